//! Typed identifiers for both systems and for our own aggregates.
//!
//! Salesforce hands out ids in two spellings (15 characters, case-sensitive, and 18 characters
//! with a case-safety checksum) and Jira issue keys arrive in whatever case a user typed. Comparing
//! raw strings from either system is a classic source of duplicate links, so every id is parsed
//! once at the edge into a newtype that stores one canonical form: Salesforce ids as 18
//! characters, Jira keys in upper case. Our own ids are uuids; a link's id is derived from the
//! item and the record it links, so asking twice to "link this record" names the same link.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;
use uuid::Uuid;

/// The alphabet that maps a 5-bit chunk of the case map to a checksum character.
const CHECKSUM_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// Why a string is not a Salesforce id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SalesforceIdError {
    /// The id is neither 15 nor 18 characters long.
    #[error("a Salesforce id has 15 or 18 characters, this one has {0}")]
    WrongLength(usize),
    /// The id contains something other than ASCII letters and digits.
    #[error("a Salesforce id has only letters and digits, found {found:?} at position {position}")]
    InvalidCharacter {
        /// The offending character.
        found: char,
        /// Its zero-based character position.
        position: usize,
    },
    /// The last three characters of an 18-character id do not match the first fifteen.
    #[error(
        "the checksum of this 18-character Salesforce id is {found}, but its first 15 characters \
         give {expected}: the id was mistyped or its letter case was changed"
    )]
    BadChecksum {
        /// The checksum computed from the first 15 characters.
        expected: String,
        /// The checksum the id carried.
        found: String,
    },
}

/// A Salesforce record id, always held in its 18-character form.
///
/// [`SalesforceId::parse`] accepts both spellings, verifies the checksum of an 18-character id
/// and computes it for a 15-character one. Equality, ordering and hashing use the 18-character
/// form, so the two spellings of one record compare equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SalesforceId(String);

impl SalesforceId {
    /// Parses a 15- or 18-character id (surrounding whitespace is ignored, as ids are often
    /// pasted). The checksum suffix of an 18-character id is compared without regard to case.
    pub fn parse(input: &str) -> Result<Self, SalesforceIdError> {
        let trimmed = input.trim();
        let len = trimmed.chars().count();
        if len != 15 && len != 18 {
            return Err(SalesforceIdError::WrongLength(len));
        }
        if let Some((position, found)) = trimmed
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_alphanumeric())
        {
            return Err(SalesforceIdError::InvalidCharacter { found, position });
        }
        // All characters are ASCII from here on, so byte slicing is safe.
        let base = &trimmed[..15];
        let expected = checksum(base);
        if len == 18 {
            let found = trimmed[15..].to_ascii_uppercase();
            if found != expected {
                return Err(SalesforceIdError::BadChecksum {
                    expected,
                    found: trimmed[15..].to_string(),
                });
            }
        }
        Ok(Self(format!("{base}{expected}")))
    }

    /// The canonical 18-character form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 15-character, case-sensitive form.
    pub fn to_15(&self) -> &str {
        &self.0[..15]
    }

    /// The three-character key prefix that names the object type (`500` for Case).
    pub fn key_prefix(&self) -> &str {
        &self.0[..3]
    }
}

/// Computes the 3-character case-safety checksum of a 15-character ASCII id.
fn checksum(base: &str) -> String {
    base.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            char::from(CHECKSUM_ALPHABET[bits])
        })
        .collect()
}

impl fmt::Display for SalesforceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SalesforceId {
    type Err = SalesforceIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for SalesforceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SalesforceId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Why a string is not a Jira project key or issue key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JiraKeyError {
    /// The project key is empty.
    #[error("a Jira project key cannot be empty")]
    EmptyProject,
    /// The project key does not start with a letter.
    #[error("a Jira project key starts with a letter, {0:?} does not")]
    ProjectStart(String),
    /// The project key has a character other than a letter, digit or underscore.
    #[error(
        "a Jira project key has only letters, digits and underscores, found {found:?} in {key:?}"
    )]
    ProjectCharacter {
        /// The key as given.
        key: String,
        /// The offending character.
        found: char,
    },
    /// The project key is longer than Jira allows.
    #[error("a Jira project key has at most {max} characters, {key:?} has {len}")]
    ProjectTooLong {
        /// The key as given.
        key: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The issue key has no `-` between project and number.
    #[error("a Jira issue key looks like PROJ-123, {0:?} has no '-'")]
    MissingDash(String),
    /// The part after the dash is not a positive number without leading zeros.
    #[error(
        "the number in Jira issue key {0:?} must be a positive whole number without leading zeros"
    )]
    BadNumber(String),
}

/// The longest project key we accept (Jira's own configurable maximum).
pub const MAX_PROJECT_KEY_LEN: usize = 255;

/// A Jira project key such as `SUP`, held in upper case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProjectKey(String);

impl ProjectKey {
    /// Parses `[A-Za-z][A-Za-z0-9_]*` and upper-cases it.
    pub fn parse(input: &str) -> Result<Self, JiraKeyError> {
        let key = input.trim();
        let mut chars = key.chars();
        let first = chars.next().ok_or(JiraKeyError::EmptyProject)?;
        if !first.is_ascii_alphabetic() {
            return Err(JiraKeyError::ProjectStart(key.to_string()));
        }
        if let Some(found) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
            return Err(JiraKeyError::ProjectCharacter {
                key: key.to_string(),
                found,
            });
        }
        if key.len() > MAX_PROJECT_KEY_LEN {
            return Err(JiraKeyError::ProjectTooLong {
                key: key.to_string(),
                len: key.len(),
                max: MAX_PROJECT_KEY_LEN,
            });
        }
        Ok(Self(key.to_ascii_uppercase()))
    }

    /// The key in upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ProjectKey {
    type Err = JiraKeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ProjectKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ProjectKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A Jira issue key such as `SUP-123`: a project key and a positive issue number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JiraIssueKey {
    project: ProjectKey,
    number: u64,
}

impl JiraIssueKey {
    /// Parses `PROJ-123` (project part case-insensitive, stored upper-case). The split is at
    /// the last `-`, so the number is never confused with the project part.
    pub fn parse(input: &str) -> Result<Self, JiraKeyError> {
        let key = input.trim();
        let (project, number) = key
            .rsplit_once('-')
            .ok_or_else(|| JiraKeyError::MissingDash(key.to_string()))?;
        let project = ProjectKey::parse(project)?;
        let valid_digits = !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
            && !number.starts_with('0');
        let number = valid_digits
            .then(|| number.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| JiraKeyError::BadNumber(key.to_string()))?;
        Ok(Self { project, number })
    }

    /// Builds a key from its parts.
    pub fn new(project: ProjectKey, number: u64) -> Result<Self, JiraKeyError> {
        if number == 0 {
            return Err(JiraKeyError::BadNumber(format!("{project}-0")));
        }
        Ok(Self { project, number })
    }

    /// The project part.
    pub fn project(&self) -> &ProjectKey {
        &self.project
    }

    /// The issue number within the project.
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl fmt::Display for JiraIssueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.project, self.number)
    }
}

impl FromStr for JiraIssueKey {
    type Err = JiraKeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for JiraIssueKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for JiraIssueKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Why a string is not one of our uuid-based ids.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("not a valid {kind} id: {reason}")]
pub struct UuidIdError {
    /// Which id was being parsed (`item`, `link`).
    pub kind: &'static str,
    /// What the uuid parser said.
    pub reason: String,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing uuid.
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying uuid.
            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// Parses the hyphenated (or any uuid-crate-accepted) form.
            pub fn parse(input: &str) -> Result<Self, UuidIdError> {
                Uuid::parse_str(input.trim())
                    .map(Self)
                    .map_err(|e| UuidIdError { kind: $kind, reason: e.to_string() })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = UuidIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

uuid_id!(
    /// The id of a Smart Connected Item (one saved sync configuration).
    ItemId,
    "item"
);

uuid_id!(
    /// The id of one issue↔record link, the key of its event stream.
    LinkId,
    "link"
);

/// The fixed namespace under which link ids are derived. Changing it would rename every link
/// derived so far, so it is a constant of the log's format.
const LINK_NAMESPACE: Uuid = Uuid::from_u128(0x6a0f_3c1e_52d4_4b8a_9e0c_7d2b_91f4_e35a);

impl LinkId {
    /// The link id for `record` under `item`: a uuid v5 over the item id and the 18-character
    /// record id. The same pair always gives the same id, whichever spelling of the record id
    /// was parsed, so creating "the link for this record" twice targets one stream.
    pub fn for_record(item: ItemId, record: &SalesforceId) -> LinkId {
        let mut name = Vec::with_capacity(16 + 18);
        name.extend_from_slice(item.as_uuid().as_bytes());
        name.extend_from_slice(record.as_str().as_bytes());
        LinkId(Uuid::new_v5(&LINK_NAMESPACE, &name))
    }
}

mod schema;

#[cfg(test)]
mod tests;
