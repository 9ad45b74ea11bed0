//! Which side's value of a two-way mapped field holds when the two systems disagree.
//!
//! Each link remembers, per mapping, the value both sides last held (as a fingerprint of its
//! Salesforce form). A side whose value still matches that memory has not changed; the other
//! one has, and wins. When both changed since, the later change wins, exactly as for status;
//! a tie or an unknown time goes to Salesforce, and with no memory at all (a new link, a new
//! mapping) Salesforce initialises Jira.
//!
//! Without the memory, each direction would write what it saw changed and two edits made
//! close together would cross over: Jira would end with Salesforce's value and Salesforce with
//! Jira's, each recognised as "ours" by the other side's echo check, and the two would never
//! converge. The rule is pure; the pull path (Salesforce → Jira) and the push path (Jira →
//! Salesforce) feed it what they read and each writes only in its own direction, so both reach
//! the same verdict from the same evidence.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::side::Side;

/// Why a field value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldReason {
    /// No value was agreed yet: Salesforce initialises Jira.
    FirstSync,
    /// Only the winner's value changed since both sides last held the same value.
    OnlyThisSideChanged,
    /// Both changed; the winner's change is the later one.
    ChangedLater,
    /// Both changed at the same time, or a time is unknown: Salesforce wins.
    TieGoesToSalesforce,
}

/// What the two sides hold for one mapping, as fingerprints of the Salesforce form.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSides<'a> {
    /// The value both sides last held, when there is one.
    pub agreed: Option<&'a str>,
    /// Salesforce's value now.
    pub salesforce: &'a str,
    /// When Salesforce's value last changed (the record's modification stamp).
    pub salesforce_changed_at: Option<DateTime<Utc>>,
    /// Jira's value now.
    pub jira: &'a str,
    /// When Jira's value last changed (its newest changelog entry for the field).
    pub jira_changed_at: Option<DateTime<Utc>>,
}

/// The outcome for one mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldVerdict {
    /// Both sides hold the same value; nothing to write.
    InStep,
    /// The winner's value is to be written to the other side.
    Wins {
        /// The side whose value holds.
        winner: Side,
        /// Why.
        reason: FieldReason,
    },
}

/// Decides which side's value holds.
pub fn decide_field_winner(sides: &FieldSides<'_>) -> FieldVerdict {
    if sides.salesforce == sides.jira {
        return FieldVerdict::InStep;
    }
    let Some(agreed) = sides.agreed else {
        return FieldVerdict::Wins {
            winner: Side::Salesforce,
            reason: FieldReason::FirstSync,
        };
    };
    let only = |winner| FieldVerdict::Wins {
        winner,
        reason: FieldReason::OnlyThisSideChanged,
    };
    match (sides.salesforce == agreed, sides.jira == agreed) {
        (true, _) => only(Side::Jira),
        (false, true) => only(Side::Salesforce),
        (false, false) => match (sides.salesforce_changed_at, sides.jira_changed_at) {
            (Some(sf), Some(jira)) if jira > sf => FieldVerdict::Wins {
                winner: Side::Jira,
                reason: FieldReason::ChangedLater,
            },
            (Some(sf), Some(jira)) if sf > jira => FieldVerdict::Wins {
                winner: Side::Salesforce,
                reason: FieldReason::ChangedLater,
            },
            _ => FieldVerdict::Wins {
                winner: Side::Salesforce,
                reason: FieldReason::TieGoesToSalesforce,
            },
        },
    }
}

impl FieldReason {
    /// A sentence for the audit timeline, naming the winning side.
    pub fn explain(self, winner: Side) -> String {
        match self {
            FieldReason::FirstSync => {
                "the first sync of a link initialises Jira from Salesforce".into()
            }
            FieldReason::OnlyThisSideChanged => {
                format!("only {winner} changed since both sides last held the same value")
            }
            FieldReason::ChangedLater => {
                format!("both sides changed; {winner}'s change is the later one")
            }
            FieldReason::TieGoesToSalesforce => {
                "both sides changed at the same time (or a time is unknown); Salesforce wins ties"
                    .into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> Option<DateTime<Utc>> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).single()
    }

    fn sides<'a>(
        agreed: Option<&'a str>,
        sf: (&'a str, Option<DateTime<Utc>>),
        jira: (&'a str, Option<DateTime<Utc>>),
    ) -> FieldSides<'a> {
        FieldSides {
            agreed,
            salesforce: sf.0,
            salesforce_changed_at: sf.1,
            jira: jira.0,
            jira_changed_at: jira.1,
        }
    }

    fn wins(winner: Side, reason: FieldReason) -> FieldVerdict {
        FieldVerdict::Wins { winner, reason }
    }

    #[test]
    fn equal_values_need_no_write_whatever_the_memory() {
        for agreed in [None, Some("a"), Some("b")] {
            let verdict = decide_field_winner(&sides(agreed, ("b", at(1)), ("b", at(2))));
            assert_eq!(verdict, FieldVerdict::InStep);
        }
    }

    #[test]
    fn without_memory_salesforce_initialises_jira() {
        let verdict = decide_field_winner(&sides(None, ("a", at(1)), ("b", at(9))));
        assert_eq!(verdict, wins(Side::Salesforce, FieldReason::FirstSync));
    }

    #[test]
    fn the_side_that_changed_wins_even_when_the_other_is_newer() {
        // Jira's changelog may be newer for unrelated reasons; only a changed value counts.
        let sf_changed = decide_field_winner(&sides(Some("a"), ("b", at(1)), ("a", at(9))));
        assert_eq!(
            sf_changed,
            wins(Side::Salesforce, FieldReason::OnlyThisSideChanged)
        );
        let jira_changed = decide_field_winner(&sides(Some("a"), ("a", at(9)), ("c", at(1))));
        assert_eq!(
            jira_changed,
            wins(Side::Jira, FieldReason::OnlyThisSideChanged)
        );
    }

    #[test]
    fn when_both_changed_the_later_change_wins_and_ties_go_to_salesforce() {
        let jira_later = decide_field_winner(&sides(Some("a"), ("b", at(1)), ("c", at(2))));
        assert_eq!(jira_later, wins(Side::Jira, FieldReason::ChangedLater));
        let sf_later = decide_field_winner(&sides(Some("a"), ("b", at(3)), ("c", at(2))));
        assert_eq!(sf_later, wins(Side::Salesforce, FieldReason::ChangedLater));
        let tie = decide_field_winner(&sides(Some("a"), ("b", at(2)), ("c", at(2))));
        assert_eq!(
            tie,
            wins(Side::Salesforce, FieldReason::TieGoesToSalesforce)
        );
        let unknown = decide_field_winner(&sides(Some("a"), ("b", None), ("c", at(2))));
        assert_eq!(
            unknown,
            wins(Side::Salesforce, FieldReason::TieGoesToSalesforce)
        );
    }
}
