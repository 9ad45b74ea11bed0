//! Attachment rules: what is too large to copy, what a file may be called on each side, and
//! the Jira comment that says where a synced file came from.
//!
//! Files are copied whole through memory, so a ceiling (10 MB by default) keeps one large file
//! from stalling a link or exhausting the process; Jira also announces its own upload limit
//! (`GET /attachment/meta`). A skipped file is recorded with its reason, never retried blindly.
//! File names cross between two systems with different rules, so names are sanitised to a
//! form both accept.

use serde::{Deserialize, Serialize};

use crate::domain::comments::MARKER_TAG;
use crate::domain::side::Side;

/// The default size ceiling: 10 MB (10 × 1024 × 1024 bytes).
pub const DEFAULT_CEILING_BYTES: u64 = 10 * 1024 * 1024;
/// The longest file name we produce, in characters (Jira and `ContentVersion.Title` hold 255).
pub const MAX_FILENAME_CHARS: usize = 255;
/// The longest extension kept (`ContentVersion.FileExtension` holds 40).
pub const MAX_EXTENSION_CHARS: usize = 40;
/// The name used when nothing usable is left.
pub const FALLBACK_FILENAME: &str = "attachment";

/// Why a file is not copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SkipReason {
    /// Larger than the connector's ceiling.
    OverCeiling {
        /// The file's size in bytes.
        size: u64,
        /// The ceiling in bytes.
        ceiling: u64,
    },
    /// Larger than Jira's announced upload limit.
    OverUploadLimit {
        /// The file's size in bytes.
        size: u64,
        /// Jira's limit in bytes.
        limit: u64,
    },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::OverCeiling { size, ceiling } => write!(
                f,
                "the file is {}, larger than the {} ceiling",
                format_size(*size),
                format_size(*ceiling)
            ),
            SkipReason::OverUploadLimit { size, limit } => write!(
                f,
                "the file is {}, larger than Jira's upload limit of {}",
                format_size(*size),
                format_size(*limit)
            ),
        }
    }
}

/// Whether to copy a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum TransferDecision {
    /// Copy it.
    Transfer,
    /// Leave it, and record why.
    Skip {
        /// Why.
        reason: SkipReason,
    },
}

/// Decides whether a file of `size` bytes is copied: files above `ceiling` are skipped, and
/// so are files above Jira's `upload_limit` when one is known. A file exactly at a limit is
/// copied. The ceiling is checked first, so its reason is reported when both apply.
pub fn decide_transfer(size: u64, ceiling: u64, upload_limit: Option<u64>) -> TransferDecision {
    if size > ceiling {
        return TransferDecision::Skip {
            reason: SkipReason::OverCeiling { size, ceiling },
        };
    }
    match upload_limit {
        Some(limit) if size > limit => TransferDecision::Skip {
            reason: SkipReason::OverUploadLimit { size, limit },
        },
        _ => TransferDecision::Transfer,
    }
}

/// A size for people: `512 B`, `1.5 KB`, `10 MB`, `2.3 GB` (binary units, one decimal,
/// without a trailing `.0`).
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// A file name both systems accept: only the last path component, control characters removed,
/// `< > : " | ? *` replaced by `_`, whitespace collapsed, no leading spaces or trailing dots and
/// spaces, at most [`MAX_FILENAME_CHARS`] characters with the extension kept when shortening,
/// and [`FALLBACK_FILENAME`] when nothing is left.
pub fn sanitize_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned = cleaned.trim_end_matches(['.', ' ']).trim_start();
    if cleaned.is_empty() {
        return FALLBACK_FILENAME.to_string();
    }
    if cleaned.chars().count() <= MAX_FILENAME_CHARS {
        return cleaned.to_string();
    }
    let (stem, ext) = split_extension(cleaned);
    let ext: String = ext.chars().take(MAX_EXTENSION_CHARS).collect();
    let room = MAX_FILENAME_CHARS
        - if ext.is_empty() {
            0
        } else {
            ext.chars().count() + 1
        };
    let stem: String = stem.chars().take(room).collect();
    let stem = stem.trim_end_matches(['.', ' ']);
    if ext.is_empty() {
        stem.to_string()
    } else {
        format!("{stem}.{ext}")
    }
}

/// Splits `report.final.pdf` into (`report.final`, `pdf`); a leading dot (`.env`) is not an
/// extension separator.
pub fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(p) if p > 0 && p + 1 < name.len() => (&name[..p], &name[p + 1..]),
        _ => (name, ""),
    }
}

/// The `ContentVersion` fields for a file going to Salesforce: `Title` (the name without its
/// extension, as Salesforce shows it) and `PathOnClient` (the full name, whose extension sets
/// the file type).
pub fn salesforce_upload_names(filename: &str) -> (String, String) {
    let clean = sanitize_filename(filename);
    let title = split_extension(&clean).0.to_string();
    (title, clean)
}

/// The Jira file name for a Salesforce file: its `Title` plus `.FileExtension` unless the
/// title already ends with it.
pub fn jira_filename_from_salesforce(title: &str, extension: Option<&str>) -> String {
    let title = title.trim();
    let name = match extension.map(str::trim).filter(|e| !e.is_empty()) {
        Some(ext) => {
            let (_, existing) = split_extension(title);
            if existing.eq_ignore_ascii_case(ext) {
                title.to_string()
            } else {
                format!("{title}.{ext}")
            }
        }
        None => title.to_string(),
    };
    sanitize_filename(&name)
}

/// The Jira comment that records a file's synchronisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentSyncComment {
    /// The file name.
    pub filename: String,
    /// Its size in bytes.
    pub size: u64,
    /// Where the file was added first.
    pub origin: Side,
    /// The Salesforce record, as shown to people (`Case 00001026`).
    pub record: String,
    /// `None` when copied, the reason when skipped.
    pub skipped: Option<SkipReason>,
}

const ATTACHMENT_COMMENT_TITLE: &str = "Attachment sync:";

/// The comment text, for example
/// `[sfjira] Attachment sync: log.txt (2 KB) was added in Salesforce (Case 00001026) and copied to Jira.`
pub fn format_attachment_comment(c: &AttachmentSyncComment) -> String {
    let name = c.filename.split_whitespace().collect::<Vec<_>>().join(" ");
    let record = c.record.split_whitespace().collect::<Vec<_>>().join(" ");
    let origin = match c.origin {
        Side::Salesforce => format!("Salesforce ({record})"),
        Side::Jira => "Jira".to_string(),
    };
    let destination = match c.origin.other() {
        Side::Salesforce => format!("Salesforce ({record})"),
        Side::Jira => "Jira".to_string(),
    };
    let outcome = match &c.skipped {
        None => format!("and copied to {destination}."),
        Some(reason) => format!("but not copied to {destination}: {reason}."),
    };
    format!(
        "{MARKER_TAG} {ATTACHMENT_COMMENT_TITLE} {name} ({}) was added in {origin} {outcome}",
        format_size(c.size)
    )
}

/// Reads back the file name and origin of an attachment sync comment.
pub fn parse_attachment_comment(text: &str) -> Option<(String, Side)> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let rest = line
        .strip_prefix(MARKER_TAG)?
        .trim_start()
        .strip_prefix(ATTACHMENT_COMMENT_TITLE)?
        .trim_start();
    let (head, tail) = rest.rsplit_once(" was added in ")?;
    let origin = if tail.starts_with("Salesforce") {
        Side::Salesforce
    } else if tail.starts_with("Jira") {
        Side::Jira
    } else {
        return None;
    };
    let name = head.rsplit_once(" (")?.0;
    Some((name.to_string(), origin))
}

#[cfg(test)]
mod tests;
