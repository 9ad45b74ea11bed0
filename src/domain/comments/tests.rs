//! Tests for comment formatting, splitting and marker recognition.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn when() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()
}

fn sf_comment(reply_to: Option<ParentComment>) -> SalesforceComment {
    SalesforceComment {
        author: "Jane  Doe".into(),
        object_label: "Case".into(),
        record_label: "00001026".into(),
        created_at: when(),
        body: "The printer\nis on fire.\n".into(),
        reply_to,
    }
}

fn jira_comment(body: &str) -> JiraComment {
    JiraComment {
        author: "Ada Lovelace".into(),
        issue_key: JiraIssueKey::parse("SUP-42").unwrap(),
        comment_id: "10007".into(),
        issue_url: "https://acme.atlassian.net/browse/SUP-42".into(),
        body: body.into(),
    }
}

#[test]
fn salesforce_comment_header_names_author_record_and_time() {
    let text = format_salesforce_comment_for_jira(&sf_comment(None));
    assert_eq!(
        text,
        "Jane Doe commented in Salesforce on Case 00001026 at 2024-01-02 03:04 UTC:\n\nThe printer\nis on fire."
    );
    let header = parse_salesforce_comment_header(&text).unwrap();
    assert_eq!(header.author, "Jane Doe");
    assert_eq!(header.record, "Case 00001026");
    assert_eq!(
        header.created_at,
        Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 0).unwrap()
    );
    assert!(!header.is_reply);
}

#[test]
fn replies_are_flattened_with_the_parents_context() {
    let parent = ParentComment {
        author: "John Roe".into(),
        body: "Is it\nplugged in?".into(),
    };
    let text = format_salesforce_comment_for_jira(&sf_comment(Some(parent)));
    assert_eq!(
        text,
        "Jane Doe replied in Salesforce on Case 00001026 at 2024-01-02 03:04 UTC:\n\nReply to John Roe: \"Is it plugged in?\"\n\nThe printer\nis on fire."
    );
    assert!(parse_salesforce_comment_header(&text).unwrap().is_reply);
    // The header survives the trip through ADF.
    let via_adf = crate::domain::adf::adf_to_text(&crate::domain::adf::text_to_adf(&text));
    assert_eq!(
        parse_salesforce_comment_header(&via_adf).unwrap().author,
        "Jane Doe"
    );
}

#[test]
fn reply_excerpts_are_bounded() {
    let long = "word ".repeat(100);
    let excerpt = reply_excerpt(&long);
    assert!(excerpt.chars().count() <= REPLY_EXCERPT_CHARS);
    assert!(excerpt.ends_with("word…"));
    let unbroken = "x".repeat(300);
    assert_eq!(
        reply_excerpt(&unbroken).chars().count(),
        REPLY_EXCERPT_CHARS
    );
    assert_eq!(reply_excerpt("  short\n text "), "short text");
}

#[test]
fn ordinary_text_is_not_taken_for_a_header() {
    assert!(parse_salesforce_comment_header("I commented in Salesforce on Tuesday").is_none());
    assert!(
        parse_salesforce_comment_header("x commented in Salesforce on Case 1 at noon:").is_none()
    );
    assert!(parse_salesforce_comment_header("").is_none());
}

#[test]
fn jira_comment_for_salesforce_has_header_text_and_footer() {
    let parts = format_jira_comment_parts(&jira_comment("Fixed it."), CASE_COMMENT_LIMIT_BYTES);
    assert_eq!(
        parts,
        vec!["Ada Lovelace commented in Jira SUP-42:\n\nFixed it.\n\n— https://acme.atlassian.net/browse/SUP-42?focusedCommentId=10007".to_string()]
    );
    let marker = parse_jira_comment_marker(&parts[0]).unwrap();
    assert_eq!(marker.issue_key.to_string(), "SUP-42");
    assert_eq!(marker.comment_id, "10007");
    assert_eq!(marker.part, None);
}

#[test]
fn long_jira_comments_split_into_recognisable_parts() {
    let body = (0..400)
        .map(|i| format!("Paragraph {i} has some words in it."))
        .collect::<Vec<_>>()
        .join("\n\n");
    let parts = format_jira_comment_parts(&jira_comment(&body), CASE_COMMENT_LIMIT_BYTES);
    assert!(parts.len() > 3);
    let n = parts.len();
    for (i, part) in parts.iter().enumerate() {
        assert!(part.len() <= CASE_COMMENT_LIMIT_BYTES);
        let marker = parse_jira_comment_marker(part).unwrap();
        assert_eq!(marker.comment_id, "10007");
        assert_eq!(marker.part, Some((i + 1, n)));
        // Paragraph-boundary cuts: every part's body ends with a full sentence.
        let body_end = part.rsplit_once("\n\n— ").unwrap().0;
        assert!(body_end.ends_with('.'), "{body_end:?}");
    }
}

#[test]
fn a_long_comment_for_a_feed_becomes_a_post_and_replies_that_each_keep_the_footer() {
    let body = "é".repeat(20_000);
    let parts = format_jira_comment_parts(&jira_comment(&body), FEED_BODY_LIMIT_BYTES);
    assert!(parts.len() >= 4, "{} parts", parts.len());
    for (i, part) in parts.iter().enumerate() {
        assert!(part.len() <= FEED_BODY_LIMIT_BYTES);
        let marker = parse_jira_comment_marker(part).unwrap();
        assert_eq!(marker.comment_id, "10007");
        assert_eq!(marker.part, Some((i + 1, parts.len())));
    }
    let kept: usize = parts.iter().map(|p| p.matches('é').count()).sum();
    assert_eq!(kept, 20_000, "no character is lost");
}

#[test]
fn truncation_note_counts_what_was_left_out() {
    let text = "abc ".repeat(100);
    let cut = truncate_with_note(&text, 100);
    assert!(cut.len() <= 100, "{}", cut.len());
    let kept = cut.split("\n\n[…").next().unwrap();
    let omitted: usize = cut
        .rsplit("truncated: ")
        .next()
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(kept.chars().count() + omitted, text.chars().count());
    assert_eq!(truncate_with_note("short", 100), "short");
}

#[test]
fn split_prefers_boundaries_and_numbers_parts() {
    assert_eq!(
        split_for_case_comment("fits", 4000),
        vec!["fits".to_string()]
    );
    let text = format!("{}\n{}", "a".repeat(60), "b".repeat(60));
    let parts = split_for_case_comment(&text, 80);
    assert_eq!(
        parts,
        vec![
            format!("(part 1/2)\n{}", "a".repeat(60)),
            format!("(part 2/2)\n{}", "b".repeat(60))
        ]
    );
    // Tiny limits are raised rather than looping forever.
    let parts = split_for_case_comment(&"z".repeat(200), 1);
    assert!(parts.iter().all(|p| p.len() <= MIN_SPLIT_LIMIT));
    assert_eq!(
        split_for_case_comment(&" ".repeat(500), 64),
        vec![String::new()]
    );
}

#[test]
fn link_notes_round_trip() {
    let note = LinkNote {
        issue_key: JiraIssueKey::parse("SUP-42").unwrap(),
        issue_url: "https://acme.atlassian.net/browse/SUP-42".into(),
        item_name: "Support\ncases: EMEA".into(),
        origin: LinkOrigin::Auto,
    };
    let text = format_link_note(&note);
    assert_eq!(
        text,
        "[sfjira] Jira link note\nIssue: SUP-42\nURL: https://acme.atlassian.net/browse/SUP-42\nItem: Support cases: EMEA\nLink: automatic"
    );
    let back = parse_link_note(&text).unwrap();
    assert_eq!(back.item_name, "Support cases: EMEA");
    assert_eq!(back.issue_url, note.issue_url);
    assert_eq!(back.origin, LinkOrigin::Auto);
    assert!(parse_attachment_note(&text).is_none());
    assert!(is_connector_text(&text));
}

#[test]
fn attachment_notes_round_trip() {
    let note = JiraAttachmentNote {
        jira_attachment_id: "10001".into(),
        filename: "report (final).pdf".into(),
        issue_key: JiraIssueKey::parse("SUP-42").unwrap(),
    };
    let text = format_attachment_note(&note);
    assert_eq!(parse_attachment_note(&text), Some(note));
    assert!(parse_link_note(&text).is_none());
}

#[test]
fn markers_survive_salesforce_plain_and_rich_text() {
    let note = LinkNote {
        issue_key: JiraIssueKey::parse("SUP-42").unwrap(),
        issue_url: "https://acme.atlassian.net/browse/SUP-42?a=1&b=2".into(),
        item_name: "R&D <core>".into(),
        origin: LinkOrigin::Manual,
    };
    let text = format_link_note(&note);
    let crlf = format!("  {}  \r\n", text.replace('\n', " \r\n"));
    assert_eq!(parse_link_note(&crlf), Some(note.clone()));
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let rich = format!("<p>{}</p>", escaped.replace('\n', "</p><p>"));
    assert_eq!(parse_link_note(&rich), Some(note.clone()));
    let with_br = format!("<p>{}</p>", escaped.replace('\n', "<br>"));
    assert_eq!(parse_link_note(&with_br), Some(note));

    let parts = format_jira_comment_parts(&jira_comment("x"), 4000);
    let rich = format!("<p>{}</p>", parts[0].replace("\n\n", "</p><p>"));
    assert_eq!(
        parse_jira_comment_marker(&rich).unwrap().comment_id,
        "10007"
    );
}

#[test]
fn foreign_text_is_not_ours() {
    for text in [
        "hello",
        "see [sfjira] later",
        "— https://x.test/browse/SUP-1",
        "- see https://x.test/browse/SUP-1?focusedCommentId=",
    ] {
        assert!(!is_connector_text(text), "{text}");
    }
    assert!(parse_part_tag("(part 0/2)").is_none());
    assert!(parse_part_tag("(part 3/2)").is_none());
    assert_eq!(parse_part_tag("(part 2/2)"), Some((2, 2)));
}

#[test]
fn plain_text_passes_through_unchanged() {
    assert_eq!(
        salesforce_text_to_plain("a < b and c > d"),
        "a < b and c > d"
    );
    assert_eq!(
        salesforce_text_to_plain("<p>x</p><p>y &amp; z</p>"),
        "x\ny & z\n"
    );
}

proptest! {
    #[test]
    fn parts_fit_and_reassemble(text in "(\\PC|\n){0,3000}", limit in 64usize..600) {
        let parts = split_for_case_comment(&text, limit);
        prop_assert!(!parts.is_empty());
        for part in &parts {
            prop_assert!(part.len() <= limit, "{} > {}", part.len(), limit);
        }
        if parts.len() > 1 {
            let n = parts.len();
            let mut joined = String::new();
            for (i, part) in parts.iter().enumerate() {
                let tag = format!("(part {}/{n})\n", i + 1);
                prop_assert!(part.starts_with(&tag));
                joined.push_str(&part[tag.len()..]);
            }
            // Only whitespace is lost at the cuts.
            let squash = |s: &str| s.split_whitespace().collect::<String>();
            prop_assert_eq!(squash(&joined), squash(&text));
        }
    }

    #[test]
    fn truncation_fits(text in "\\PC{0,500}", limit in 64usize..300) {
        let out = truncate_with_note(&text, limit);
        prop_assert!(out.len() <= limit);
    }

    #[test]
    fn jira_parts_fit_and_are_all_marked(body in "(\\PC|\n){0,2000}", limit in 200usize..800) {
        let parts = format_jira_comment_parts(&jira_comment(&body), limit);
        for part in &parts {
            prop_assert!(part.len() <= limit);
            prop_assert!(parse_jira_comment_marker(part).is_some());
        }
    }
}
