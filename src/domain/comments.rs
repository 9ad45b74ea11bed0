//! How mirrored comments and connector notes read, and how we recognise our own text again.
//!
//! A comment copied to the other system must say who wrote it, where and when, because it is
//! posted by the integration user. Salesforce feed replies have no Jira equivalent, so a reply
//! is flattened into one comment that quotes its parent. Salesforce limits `CaseComment` to
//! 4,000 bytes and `FeedItem` to 10,000, so long Jira comments are split into numbered parts or
//! truncated with a note.
//!
//! Every text we write carries a recognisable marker so that, after a crash between "remote
//! create" and "record what we did", the next run can find its own comment or note instead of
//! writing a second one, and so that the puller never mirrors our own text back. Markers are
//! plain lines that survive Salesforce plain text (CRLF line endings, trimmed whitespace) and
//! its rich-text bodies (`<p>` paragraphs, HTML entities). The exact formats:
//!
//! * Salesforce → Jira comment, first line:
//!   `<author> commented in Salesforce on <object> <record> at YYYY-MM-DD HH:MM UTC:` (or
//!   `replied`, followed by `Reply to <parent author>: "<excerpt>"`).
//! * Jira → Salesforce comment: `<author> commented in Jira <KEY>:`, a blank line, the text, a
//!   blank line, then `— <issue url>?focusedCommentId=<id>`; when split, every part starts with
//!   `(part i/n)` and ends with the same `— …` line.
//! * Link note and attachment note: a first line starting with [`MARKER_TAG`], then
//!   `Key: value` lines (see [`LinkNote`], [`JiraAttachmentNote`]).

mod split;
mod surface;

pub use split::{split_for_case_comment, truncate_with_note, MIN_SPLIT_LIMIT};
pub use surface::{
    comment_sobject, new_comment_fields, new_part_fields, part_sobject, sobject_of_part,
    written_comment_kind,
};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::ids::JiraIssueKey;

/// The tag that opens every connector note written to Salesforce.
pub const MARKER_TAG: &str = "[sfjira]";
/// `CaseComment.CommentBody` limit, in bytes.
pub const CASE_COMMENT_LIMIT_BYTES: usize = 4000;
/// `FeedItem.Body` and `FeedComment.CommentBody` limit. Salesforce counts characters; we count
/// UTF-8 bytes, which is never more lenient.
pub const FEED_BODY_LIMIT_BYTES: usize = 10_000;
/// The longest parent excerpt quoted in a flattened reply, in characters.
pub const REPLY_EXCERPT_CHARS: usize = 120;

const TIME_FORMAT: &str = "%Y-%m-%d %H:%M UTC";
const LINK_NOTE_TITLE: &str = "Jira link note";
const ATTACHMENT_NOTE_TITLE: &str = "Jira attachment sync note";
const FOOTER_DASH: &str = "— ";

/// The comment a reply answers, for flattening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentComment {
    /// Who wrote the parent.
    pub author: String,
    /// The parent's text.
    pub body: String,
}

/// A Salesforce comment, feed post or feed reply to mirror into Jira.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesforceComment {
    /// The author's display name.
    pub author: String,
    /// The object label (`Case`).
    pub object_label: String,
    /// The record's short label (`00001026`).
    pub record_label: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The text (plain; rich text should be converted first).
    pub body: String,
    /// Set for a feed reply: the comment it answers.
    pub reply_to: Option<ParentComment>,
}

/// Collapses all whitespace, including newlines, to single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The parent's text on one line, at most [`REPLY_EXCERPT_CHARS`] characters, cut at a word
/// boundary where possible and ending with `…` when shortened.
pub fn reply_excerpt(parent_body: &str) -> String {
    let flat = one_line(parent_body);
    if flat.chars().count() <= REPLY_EXCERPT_CHARS {
        return flat;
    }
    let keep: String = flat.chars().take(REPLY_EXCERPT_CHARS - 1).collect();
    let cut = match keep.rfind(' ') {
        Some(p) if p >= keep.len() / 2 => keep[..p].trim_end().to_string(),
        _ => keep,
    };
    format!("{cut}…")
}

/// The Jira comment text for a Salesforce comment: a header naming author, record and time,
/// then for a reply the parent's context, then the text. Convert with
/// [`crate::domain::adf::text_to_adf`] before posting.
pub fn format_salesforce_comment_for_jira(comment: &SalesforceComment) -> String {
    let verb = if comment.reply_to.is_some() {
        "replied"
    } else {
        "commented"
    };
    let mut out = format!(
        "{} {verb} in Salesforce on {} {} at {}:",
        one_line(&comment.author),
        one_line(&comment.object_label),
        one_line(&comment.record_label),
        comment.created_at.format(TIME_FORMAT)
    );
    if let Some(parent) = &comment.reply_to {
        out.push_str(&format!(
            "\n\nReply to {}: \"{}\"",
            one_line(&parent.author),
            reply_excerpt(&parent.body)
        ));
    }
    let body = comment.body.trim();
    if !body.is_empty() {
        out.push_str("\n\n");
        out.push_str(body);
    }
    out
}

/// What the header of a mirrored Salesforce comment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesforceCommentHeader {
    /// The author named in the header.
    pub author: String,
    /// `<object> <record>` as written.
    pub record: String,
    /// The time written in the header (minute precision).
    pub created_at: DateTime<Utc>,
    /// Whether it is a flattened reply.
    pub is_reply: bool,
}

/// Recognises a Jira comment we mirrored from Salesforce by its first line.
pub fn parse_salesforce_comment_header(text: &str) -> Option<SalesforceCommentHeader> {
    let plain = salesforce_text_to_plain(text);
    let first = plain.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = first.strip_suffix(':')?;
    let (author, rest, is_reply) = [
        (" commented in Salesforce on ", false),
        (" replied in Salesforce on ", true),
    ]
    .into_iter()
    .find_map(|(sep, reply)| line.split_once(sep).map(|(a, r)| (a, r, reply)))?;
    let (record, time) = rest.rsplit_once(" at ")?;
    let created_at = NaiveDateTime::parse_from_str(time, TIME_FORMAT)
        .ok()?
        .and_utc();
    Some(SalesforceCommentHeader {
        author: author.to_string(),
        record: record.to_string(),
        created_at,
        is_reply,
    })
}

/// A Jira comment to mirror into Salesforce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraComment {
    /// The author's display name.
    pub author: String,
    /// The issue it is on.
    pub issue_key: JiraIssueKey,
    /// Jira's comment id.
    pub comment_id: String,
    /// The issue's browse URL (`https://site/browse/KEY`).
    pub issue_url: String,
    /// The comment as plain text (see [`crate::domain::adf::adf_to_text`]).
    pub body: String,
}

impl JiraComment {
    fn header_and_body(&self) -> String {
        let body = self.body.trim();
        let header = format!(
            "{} commented in Jira {}:",
            one_line(&self.author),
            self.issue_key
        );
        if body.is_empty() {
            header
        } else {
            format!("{header}\n\n{body}")
        }
    }

    /// The link to the comment, which is also the recognisable footer's target.
    pub fn comment_url(&self) -> String {
        let base = one_line(&self.issue_url);
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}focusedCommentId={}", one_line(&self.comment_id))
    }

    fn footer(&self) -> String {
        format!("\n\n{FOOTER_DASH}{}", self.comment_url())
    }
}

/// The Salesforce comment bodies for a Jira comment (CaseComments, or a feed post and its
/// replies): one body when it fits in `limit_bytes`, otherwise numbered parts, each within the limit and each ending with the comment's footer so
/// that every part is recognisable on its own.
pub fn format_jira_comment_parts(comment: &JiraComment, limit_bytes: usize) -> Vec<String> {
    split::split_parts(&comment.header_and_body(), limit_bytes, &comment.footer())
}

/// What the footer (and part tag) of a mirrored Jira comment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraCommentMarker {
    /// The issue the comment is on.
    pub issue_key: JiraIssueKey,
    /// Jira's comment id.
    pub comment_id: String,
    /// `(i, n)` when the text is part `i` of `n`.
    pub part: Option<(usize, usize)>,
}

/// Recognises a Salesforce comment or feed post we mirrored from Jira.
pub fn parse_jira_comment_marker(text: &str) -> Option<JiraCommentMarker> {
    let plain = salesforce_text_to_plain(text);
    let lines: Vec<&str> = plain
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let last = lines.last()?;
    let url = ["—", "--", "-"]
        .iter()
        .find_map(|d| last.strip_prefix(d))?
        .trim();
    let (before, query) = url.split_once("focusedCommentId=")?;
    let comment_id: String = query
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let key_text = before.split("/browse/").nth(1)?;
    let key_text = key_text.split(['?', '&', '/', '#']).next()?;
    let issue_key = JiraIssueKey::parse(key_text).ok()?;
    if comment_id.is_empty() {
        return None;
    }
    let part = lines.first().and_then(|l| parse_part_tag(l));
    Some(JiraCommentMarker {
        issue_key,
        comment_id,
        part,
    })
}

/// Reads `(part i/n)`.
fn parse_part_tag(line: &str) -> Option<(usize, usize)> {
    let inner = line.strip_prefix("(part ")?.strip_suffix(')')?;
    let (i, n) = inner.split_once('/')?;
    let (i, n) = (i.trim().parse().ok()?, n.trim().parse().ok()?);
    (1..=n).contains(&i).then_some((i, n))
}

pub use crate::domain::link::events::LinkOrigin;

/// How a link note spells the origin.
fn origin_text(origin: LinkOrigin) -> &'static str {
    match origin {
        LinkOrigin::Manual => "manual",
        LinkOrigin::Auto => "automatic",
    }
}

/// The note written on a Salesforce record when it is linked to a Jira issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkNote {
    /// The linked issue.
    pub issue_key: JiraIssueKey,
    /// The issue's browse URL.
    pub issue_url: String,
    /// The Smart Connected Item's name.
    pub item_name: String,
    /// Manual or automatic.
    pub origin: LinkOrigin,
}

/// The link note's text:
///
/// ```text
/// [sfjira] Jira link note
/// Issue: SUP-123
/// URL: https://acme.atlassian.net/browse/SUP-123
/// Item: Support cases
/// Link: automatic
/// ```
pub fn format_link_note(note: &LinkNote) -> String {
    format!(
        "{MARKER_TAG} {LINK_NOTE_TITLE}\nIssue: {}\nURL: {}\nItem: {}\nLink: {}",
        note.issue_key,
        one_line(&note.issue_url),
        one_line(&note.item_name),
        origin_text(note.origin)
    )
}

/// Reads a link note back.
pub fn parse_link_note(text: &str) -> Option<LinkNote> {
    let fields = note_fields(text, LINK_NOTE_TITLE)?;
    let origin = match field(&fields, "Link")?.to_ascii_lowercase().as_str() {
        "manual" => LinkOrigin::Manual,
        "automatic" => LinkOrigin::Auto,
        _ => return None,
    };
    Some(LinkNote {
        issue_key: JiraIssueKey::parse(&field(&fields, "Issue")?).ok()?,
        issue_url: field(&fields, "URL")?,
        item_name: field(&fields, "Item").unwrap_or_default(),
        origin,
    })
}

/// The note written on a Salesforce record for a file copied from Jira, which stops the same
/// file from being copied twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraAttachmentNote {
    /// Jira's attachment id.
    pub jira_attachment_id: String,
    /// The file name as uploaded to Salesforce.
    pub filename: String,
    /// The issue the attachment is on.
    pub issue_key: JiraIssueKey,
}

/// The attachment note's text:
///
/// ```text
/// [sfjira] Jira attachment sync note
/// Jira attachment: 10001
/// File: report.pdf
/// Issue: SUP-123
/// ```
pub fn format_attachment_note(note: &JiraAttachmentNote) -> String {
    format!(
        "{MARKER_TAG} {ATTACHMENT_NOTE_TITLE}\nJira attachment: {}\nFile: {}\nIssue: {}",
        one_line(&note.jira_attachment_id),
        one_line(&note.filename),
        note.issue_key
    )
}

/// Reads an attachment note back.
pub fn parse_attachment_note(text: &str) -> Option<JiraAttachmentNote> {
    let fields = note_fields(text, ATTACHMENT_NOTE_TITLE)?;
    Some(JiraAttachmentNote {
        jira_attachment_id: field(&fields, "Jira attachment")?,
        filename: field(&fields, "File")?,
        issue_key: JiraIssueKey::parse(&field(&fields, "Issue")?).ok()?,
    })
}

/// Whether a text is anything the connector writes (a mirrored comment in either direction,
/// or any note whose first line starts with [`MARKER_TAG`]), so that it is never mirrored back.
pub fn is_connector_text(text: &str) -> bool {
    let plain = salesforce_text_to_plain(text);
    let tagged = plain
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with(MARKER_TAG));
    tagged
        || parse_salesforce_comment_header(text).is_some()
        || parse_jira_comment_marker(text).is_some()
}

/// `Key: value` pairs of a note whose first non-empty line is `[sfjira] <title>`.
fn note_fields(text: &str, title: &str) -> Option<Vec<(String, String)>> {
    let plain = salesforce_text_to_plain(text);
    let mut lines = plain.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?;
    let rest = first.strip_prefix(MARKER_TAG)?.trim();
    if !rest.eq_ignore_ascii_case(title) {
        return None;
    }
    Some(
        lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect(),
    )
}

fn field(fields: &[(String, String)], key: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// Turns a Salesforce body into plain text: CRLF to LF, and for rich text (`<p>`, `<br>`, …)
/// tags to line breaks or nothing and the common entities decoded. Plain text passes through.
pub fn salesforce_text_to_plain(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if !looks_like_html(&text) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        let name = tag.trim_start_matches('/');
        let name = name.split([' ', '/']).next().unwrap_or("");
        if matches!(name, "br" | "p" | "li" | "div") && (tag.starts_with('/') || name == "br") {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn looks_like_html(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["<p>", "<p ", "<br", "</p>", "<li>", "<div"]
        .iter()
        .any(|t| lower.contains(t))
}

#[cfg(test)]
mod tests;
