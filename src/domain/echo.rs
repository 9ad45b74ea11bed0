//! Content fingerprints that recognise our own writes when they come back.
//!
//! Every write we make to one system shows up again as a change: a Jira webhook for the comment
//! we just posted, a newer `SystemModstamp` on the Case we just patched. If those were synced
//! again, each change would bounce between the systems forever.
//!
//! Why hash the content instead of asking "did the integration user write this"? Because the
//! author is a poor witness. Both sides may run as a user that people also use by hand, so an
//! author check would swallow genuine edits; Salesforce flows and triggers change records as
//! whoever triggered them, so the "last modified by" of our own write can be someone else; and
//! an author check cannot tell "our write came back unchanged" from "someone edited it right
//! after us". A fingerprint of what we wrote, compared with a fingerprint of what we observe,
//! answers exactly the question that matters: is this the value we put there? If yes it is an
//! echo; if not, it is news, whoever wrote it.
//!
//! Fingerprints are SHA-256 over a canonical form, tagged with their kind so a text and a
//! field map can never collide:
//! * text: `\r\n`/`\r` → `\n`; each line's whitespace runs collapse to one space and the line
//!   is trimmed; empty lines are dropped. Formatting that either system may add or remove
//!   (paragraph spacing, trailing blanks, line-ending style) therefore does not count as news,
//!   and text → ADF → text fingerprints the same as the text.
//! * fields: canonical JSON — object keys sorted, no insignificant whitespace, numbers with an
//!   integral value written as integers (`1.0` ≡ `1`), strings unchanged, `null` kept.
//! * file: the trimmed, lower-cased name and the size in bytes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A SHA-256 fingerprint of canonicalised content, as 64 lower-case hex characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn of(kind: &str, canonical: &[u8]) -> Fingerprint {
        let mut hasher = Sha256::new();
        hasher.update(kind.as_bytes());
        hasher.update([0u8]);
        hasher.update(canonical);
        Fingerprint(hex::encode(hasher.finalize()))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The canonical form of text used by [`fingerprint_text`].
pub fn canonical_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fingerprints text, insensitive to line-ending style and whitespace layout.
pub fn fingerprint_text(text: &str) -> Fingerprint {
    Fingerprint::of("text", canonical_text(text).as_bytes())
}

/// Writes `value` as canonical JSON into `out`.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => out.push_str(&value.to_string()),
        Value::Number(n) => {
            let integral = n
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15)
                .filter(|_| n.is_f64());
            match integral {
                Some(f) => out.push_str(&format!("{}", f as i64)),
                None => out.push_str(&n.to_string()),
            }
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// The canonical JSON used by [`fingerprint_fields`].
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

/// Fingerprints a set of field values (API name → value) as canonical JSON.
pub fn fingerprint_fields(fields: &BTreeMap<String, Value>) -> Fingerprint {
    let object = Value::Object(fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    Fingerprint::of("fields", canonical_json(&object).as_bytes())
}

/// Fingerprints a single field value.
pub fn fingerprint_value(value: &Value) -> Fingerprint {
    Fingerprint::of("value", canonical_json(value).as_bytes())
}

/// Fingerprint of a field value in Salesforce terms: text compared as text (whitespace and line
/// endings normalised, so a round trip through Jira's rich text still matches), anything else
/// as canonical JSON. Both directions of field sync record and compare these, so a value
/// written to one side is recognised when it comes back from the other.
pub fn fingerprint_field_value(value: &Value) -> Fingerprint {
    match value {
        Value::String(text) => fingerprint_text(text),
        other => fingerprint_value(other),
    }
}

/// Fingerprints a file by name and size: enough to recognise the file we just uploaded when
/// it is listed again, without downloading it.
pub fn fingerprint_file(name: &str, size: u64) -> Fingerprint {
    let canonical = format!("{}\n{size}", name.trim().to_lowercase());
    Fingerprint::of("file", canonical.as_bytes())
}

/// Whether what we observe is the echo of what we last wrote to that place.
pub fn is_echo(observed: &Fingerprint, last_written: Option<&Fingerprint>) -> bool {
    last_written == Some(observed)
}

/// Whether what we observe matches any of several recent writes (for places written more than
/// once between two observations, such as a field changed twice within a sync cycle).
pub fn is_echo_of_any<'a>(
    observed: &Fingerprint,
    recent_writes: impl IntoIterator<Item = &'a Fingerprint>,
) -> bool {
    recent_writes.into_iter().any(|w| w == observed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::adf::{adf_to_text, text_to_adf};
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn text_fingerprints_ignore_layout_but_not_words() {
        let a = fingerprint_text("Hello  world\r\n\r\nSecond\tline  ");
        let b = fingerprint_text("Hello world\nSecond line");
        assert_eq!(a, b);
        assert_ne!(a, fingerprint_text("Hello world\nSecond line!"));
        assert_ne!(a, fingerprint_text("Hello world Second line"));
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn known_digest_is_stable() {
        // sha256("text\0hi"), pinned so the canonical form cannot drift unnoticed.
        assert_eq!(
            fingerprint_text(" hi ").as_str(),
            hex::encode(Sha256::digest(b"text\0hi"))
        );
    }

    #[test]
    fn field_fingerprints_are_order_and_number_style_insensitive() {
        let mut a = BTreeMap::new();
        a.insert("Amount".to_string(), json!(1.0));
        a.insert("Meta".to_string(), json!({"b": 1, "a": [1.5, null]}));
        let mut b = BTreeMap::new();
        b.insert("Meta".to_string(), json!({"a": [1.5, null], "b": 1.0}));
        b.insert("Amount".to_string(), json!(1));
        assert_eq!(fingerprint_fields(&a), fingerprint_fields(&b));
        b.insert("Amount".to_string(), json!("1"));
        assert_ne!(fingerprint_fields(&a), fingerprint_fields(&b));
        assert_eq!(
            canonical_json(&json!({"z": "é\"", "a": [true, null, 2.5]})),
            r#"{"a":[true,null,2.5],"z":"é\""}"#
        );
    }

    #[test]
    fn kinds_never_collide() {
        let mut fields = BTreeMap::new();
        fields.insert("x".to_string(), json!("y"));
        assert_ne!(fingerprint_text("x"), fingerprint_value(&json!("x")));
        assert_ne!(
            fingerprint_fields(&fields),
            fingerprint_value(&json!({"x": "y"}))
        );
    }

    #[test]
    fn file_fingerprints() {
        assert_eq!(
            fingerprint_file(" Report.PDF ", 10),
            fingerprint_file("report.pdf", 10)
        );
        assert_ne!(
            fingerprint_file("report.pdf", 10),
            fingerprint_file("report.pdf", 11)
        );
    }

    #[test]
    fn echo_checks() {
        let written = fingerprint_text("ours");
        assert!(is_echo(&fingerprint_text("ours\n"), Some(&written)));
        assert!(!is_echo(&fingerprint_text("theirs"), Some(&written)));
        assert!(!is_echo(&written, None));
        let recent = [fingerprint_text("a"), fingerprint_text("b")];
        assert!(is_echo_of_any(&fingerprint_text("b"), &recent));
        assert!(!is_echo_of_any(&fingerprint_text("c"), &recent));
    }

    proptest! {
        #[test]
        fn text_written_as_adf_fingerprints_the_same_when_read_back(text in "(\\PC|\n|\r\n){0,200}") {
            let back = adf_to_text(&text_to_adf(&text));
            prop_assert_eq!(fingerprint_text(&back), fingerprint_text(&text));
        }

        #[test]
        fn canonical_text_is_idempotent(text in "(\\PC|\n|\r){0,200}") {
            let once = canonical_text(&text);
            prop_assert_eq!(canonical_text(&once), once);
        }
    }
}
