//! The two systems a link joins.
//!
//! Many rules answer "which side": who won a status race, where a comment or file came from,
//! which system a value is written to. One small enum keeps those answers comparable and makes
//! them serialise the same way in every event.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the two systems a link joins.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The Salesforce org.
    Salesforce,
    /// The Jira site.
    Jira,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Salesforce => Side::Jira,
            Side::Jira => Side::Salesforce,
        }
    }

    /// The product name, as shown to people.
    pub fn name(self) -> &'static str {
        match self {
            Side::Salesforce => "Salesforce",
            Side::Jira => "Jira",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_side_and_serde_names() {
        assert_eq!(Side::Jira.other(), Side::Salesforce);
        assert_eq!(Side::Salesforce.other().other(), Side::Salesforce);
        assert_eq!(
            serde_json::to_string(&Side::Salesforce).unwrap(),
            "\"salesforce\""
        );
        assert_eq!(Side::Jira.to_string(), "Jira");
    }
}
