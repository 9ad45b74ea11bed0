//! Tests for the attachment rules.

use super::*;
use proptest::prelude::*;

#[test]
fn ceiling_and_upload_limit() {
    assert_eq!(DEFAULT_CEILING_BYTES, 10_485_760);
    assert_eq!(
        decide_transfer(0, DEFAULT_CEILING_BYTES, None),
        TransferDecision::Transfer
    );
    assert_eq!(
        decide_transfer(DEFAULT_CEILING_BYTES, DEFAULT_CEILING_BYTES, None),
        TransferDecision::Transfer
    );
    assert_eq!(
        decide_transfer(
            DEFAULT_CEILING_BYTES + 1,
            DEFAULT_CEILING_BYTES,
            Some(u64::MAX)
        ),
        TransferDecision::Skip {
            reason: SkipReason::OverCeiling {
                size: DEFAULT_CEILING_BYTES + 1,
                ceiling: DEFAULT_CEILING_BYTES
            }
        }
    );
    assert_eq!(
        decide_transfer(2_000_000, DEFAULT_CEILING_BYTES, Some(1_000_000)),
        TransferDecision::Skip {
            reason: SkipReason::OverUploadLimit {
                size: 2_000_000,
                limit: 1_000_000
            }
        }
    );
    assert_eq!(
        decide_transfer(1_000_000, DEFAULT_CEILING_BYTES, Some(1_000_000)),
        TransferDecision::Transfer
    );
}

#[test]
fn skip_reasons_read_well_and_serialise() {
    let reason = SkipReason::OverCeiling {
        size: 12 * 1024 * 1024 + 300_000,
        ceiling: DEFAULT_CEILING_BYTES,
    };
    assert_eq!(
        reason.to_string(),
        "the file is 12.3 MB, larger than the 10 MB ceiling"
    );
    let decision = TransferDecision::Skip { reason };
    let json = serde_json::to_value(decision).unwrap();
    assert_eq!(json["decision"], "skip");
    assert_eq!(json["reason"]["kind"], "over_ceiling");
    assert_eq!(
        serde_json::from_value::<TransferDecision>(json).unwrap(),
        decision
    );
}

#[test]
fn sizes() {
    assert_eq!(format_size(0), "0 B");
    assert_eq!(format_size(1023), "1023 B");
    assert_eq!(format_size(1536), "1.5 KB");
    assert_eq!(format_size(DEFAULT_CEILING_BYTES), "10 MB");
    assert_eq!(format_size(5 * 1024 * 1024 * 1024), "5 GB");
    assert_eq!(format_size(u64::MAX), "16777216 TB");
}

#[test]
fn filenames_are_sanitised() {
    assert_eq!(sanitize_filename("C:\\Users\\me\\report.pdf"), "report.pdf");
    assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
    assert_eq!(
        sanitize_filename("what? <now>: \"x\" | y*.txt"),
        "what_ _now__ _x_ _ y_.txt"
    );
    assert_eq!(sanitize_filename("  tab\there\n.log.  "), "tab here .log");
    assert_eq!(sanitize_filename(".env"), ".env");
    assert_eq!(sanitize_filename("..."), FALLBACK_FILENAME);
    assert_eq!(sanitize_filename("dir/"), FALLBACK_FILENAME);
    let long = format!("{}.pdf", "é".repeat(400));
    let clean = sanitize_filename(&long);
    assert_eq!(clean.chars().count(), MAX_FILENAME_CHARS);
    assert!(clean.ends_with(".pdf"));
}

#[test]
fn salesforce_names() {
    assert_eq!(
        salesforce_upload_names("log.final.txt"),
        ("log.final".to_string(), "log.final.txt".to_string())
    );
    assert_eq!(
        salesforce_upload_names("README"),
        ("README".to_string(), "README".to_string())
    );
    assert_eq!(
        jira_filename_from_salesforce("screenshot", Some("png")),
        "screenshot.png"
    );
    assert_eq!(
        jira_filename_from_salesforce("screenshot.PNG", Some("png")),
        "screenshot.PNG"
    );
    assert_eq!(jira_filename_from_salesforce("notes", None), "notes");
    assert_eq!(split_extension("archive.tar.gz"), ("archive.tar", "gz"));
    assert_eq!(split_extension("trailing."), ("trailing.", ""));
}

#[test]
fn attachment_comments_say_where_the_file_came_from() {
    let from_sf = AttachmentSyncComment {
        filename: "log (1).txt".into(),
        size: 2048,
        origin: Side::Salesforce,
        record: "Case 00001026".into(),
        skipped: None,
    };
    let text = format_attachment_comment(&from_sf);
    assert_eq!(text, "[sfjira] Attachment sync: log (1).txt (2 KB) was added in Salesforce (Case 00001026) and copied to Jira.");
    assert_eq!(
        parse_attachment_comment(&text),
        Some(("log (1).txt".to_string(), Side::Salesforce))
    );

    let from_jira = AttachmentSyncComment {
        origin: Side::Jira,
        size: 20 * 1024 * 1024,
        skipped: Some(SkipReason::OverCeiling {
            size: 20 * 1024 * 1024,
            ceiling: DEFAULT_CEILING_BYTES,
        }),
        ..from_sf
    };
    let text = format_attachment_comment(&from_jira);
    assert_eq!(
        text,
        "[sfjira] Attachment sync: log (1).txt (20 MB) was added in Jira but not copied to Salesforce (Case 00001026): the file is 20 MB, larger than the 10 MB ceiling."
    );
    assert_eq!(
        parse_attachment_comment(&text),
        Some(("log (1).txt".to_string(), Side::Jira))
    );
    assert!(crate::domain::comments::is_connector_text(&text));
    assert_eq!(
        parse_attachment_comment("Attachment sync: x was added in Jira"),
        None
    );
}

proptest! {
    #[test]
    fn sanitised_names_are_safe_and_stable(name in "\\PC{0,300}") {
        let clean = sanitize_filename(&name);
        prop_assert!(!clean.is_empty());
        prop_assert!(clean.chars().count() <= MAX_FILENAME_CHARS);
        prop_assert!(!clean.contains(['/', '\\', '<', '>', ':', '"', '|', '?', '*']));
        prop_assert!(!clean.chars().any(char::is_control));
        prop_assert!(!clean.ends_with('.') && !clean.ends_with(' '));
        prop_assert_eq!(sanitize_filename(&clean), clean.clone());
    }

    #[test]
    fn decisions_respect_both_limits(size in any::<u64>(), ceiling in any::<u64>(), limit in prop::option::of(any::<u64>())) {
        let transfer = decide_transfer(size, ceiling, limit) == TransferDecision::Transfer;
        prop_assert_eq!(transfer, size <= ceiling && limit.is_none_or(|l| size <= l));
    }
}
