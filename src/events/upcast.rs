//! Schema versions and the upcaster chain.
//!
//! Events are never rewritten. When a payload's shape changes, its type's current version goes
//! up by one and an upcaster from the previous version is added here; reading runs the chain
//! from the stored version to the current one, one step at a time. Golden fixtures of every
//! historical version live in `tests/fixtures/events/` and must keep reading.

use serde_json::Value;

/// One step: a payload of `event_type` at `from_version` becomes `from_version + 1`.
pub struct Upcaster {
    /// The event type it applies to.
    pub event_type: &'static str,
    /// The version it reads.
    pub from_version: u16,
    /// The transformation.
    pub apply: fn(Value) -> Result<Value, String>,
}

/// Current schema versions of the types that have moved past version 1.
const CURRENT: &[(&str, u16)] = &[
    ("link.linked", 2),
    ("link.field_pulled", 2),
    ("link.field_pushed", 2),
    ("link.remote_write_intended", 2),
    ("scheduler.run_finished", 2),
];

/// Every upcaster, in no particular order.
const CHAIN: &[Upcaster] = &[
    Upcaster {
        event_type: "link.linked",
        from_version: 1,
        apply: link_linked_v1_to_v2,
    },
    Upcaster {
        event_type: "link.field_pulled",
        from_version: 1,
        apply: link_field_pulled_v1_to_v2,
    },
    Upcaster {
        event_type: "link.field_pushed",
        from_version: 1,
        apply: link_field_pushed_v1_to_v2,
    },
    Upcaster {
        event_type: "link.remote_write_intended",
        from_version: 1,
        apply: link_remote_write_intended_v1_to_v2,
    },
    Upcaster {
        event_type: "scheduler.run_finished",
        from_version: 1,
        apply: scheduler_run_finished_v1_to_v2,
    },
];

/// Why a payload could not be brought to the current version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpcastError {
    /// Stored by a newer release than this one.
    #[error("{event_type} v{stored} is newer than this release understands (v{current})")]
    FromTheFuture {
        /// Type string.
        event_type: String,
        /// Version stored.
        stored: u16,
        /// Version this release writes.
        current: u16,
    },
    /// A step is missing from the chain.
    #[error("no upcaster for {event_type} v{from}")]
    MissingStep {
        /// Type string.
        event_type: String,
        /// The version without a step.
        from: u16,
    },
    /// An upcaster refused the payload.
    #[error("upcasting {event_type} v{from}: {message}")]
    Refused {
        /// Type string.
        event_type: String,
        /// The version being read.
        from: u16,
        /// What was wrong.
        message: String,
    },
}

/// The version this release writes for `event_type`.
pub fn current_version(event_type: &str) -> u16 {
    CURRENT
        .iter()
        .find(|(t, _)| *t == event_type)
        .map_or(1, |(_, v)| *v)
}

/// Brings `payload` from `stored` to the current version of `event_type`.
pub fn upcast(event_type: &str, stored: u16, mut payload: Value) -> Result<Value, UpcastError> {
    let current = current_version(event_type);
    if stored > current {
        return Err(UpcastError::FromTheFuture {
            event_type: event_type.into(),
            stored,
            current,
        });
    }
    let mut version = stored;
    while version < current {
        let step = CHAIN
            .iter()
            .find(|u| u.event_type == event_type && u.from_version == version)
            .ok_or_else(|| UpcastError::MissingStep {
                event_type: event_type.into(),
                from: version,
            })?;
        payload = (step.apply)(payload).map_err(|message| UpcastError::Refused {
            event_type: event_type.into(),
            from: version,
            message,
        })?;
        version += 1;
    }
    Ok(payload)
}

/// `link.linked` v1 (the first release) knew only manual links made from the panel and did not
/// keep the Jira issue id. v2 adds `origin`, `issue_id` and `trigger`; a v1 link was manual.
fn link_linked_v1_to_v2(payload: Value) -> Result<Value, String> {
    let Value::Object(mut map) = payload else {
        return Err("payload is not an object".into());
    };
    map.entry("origin").or_insert_with(|| Value::from("manual"));
    map.entry("issue_id").or_insert(Value::Null);
    map.entry("trigger").or_insert_with(|| Value::from("panel"));
    Ok(Value::Object(map))
}

/// `link.field_pulled` v1 wrote whatever had changed in Salesforce, without comparing with
/// Jira. v2 records why Salesforce's value held and Jira's change time when both changed; a v1
/// pull was a change on the Salesforce side only.
fn link_field_pulled_v1_to_v2(payload: Value) -> Result<Value, String> {
    let Value::Object(mut map) = payload else {
        return Err("payload is not an object".into());
    };
    map.entry("reason")
        .or_insert_with(|| Value::from("only_this_side_changed"));
    map.entry("jira_changed_at").or_insert(Value::Null);
    Ok(Value::Object(map))
}

/// `link.field_pushed` v1 did not read the record before writing. v2 records why Jira's value
/// held, and the record's `SystemModstamp` and the value replaced, read before the write; a v1
/// push was a change on the Jira side only, over an unknown record.
fn link_field_pushed_v1_to_v2(payload: Value) -> Result<Value, String> {
    let Value::Object(mut map) = payload else {
        return Err("payload is not an object".into());
    };
    map.entry("reason")
        .or_insert_with(|| Value::from("only_this_side_changed"));
    map.entry("salesforce_modstamp").or_insert(Value::Null);
    map.entry("replaced_fingerprint").or_insert(Value::Null);
    Ok(Value::Object(map))
}

/// `scheduler.run_finished` v1 counted only fields written to Jira; v2 also counts fields
/// written to Salesforce. A v1 run's pushes were not counted: they read as 0.
/// `link.remote_write_intended` v1 did not say when the intent was recorded. v2 does, so that a
/// lookup after a crash knows how recent the attempt may have been; a v1 intent is long past.
fn link_remote_write_intended_v1_to_v2(payload: Value) -> Result<Value, String> {
    let Value::Object(mut map) = payload else {
        return Err("payload is not an object".into());
    };
    map.entry("at").or_insert(Value::Null);
    Ok(Value::Object(map))
}

fn scheduler_run_finished_v1_to_v2(payload: Value) -> Result<Value, String> {
    let Value::Object(mut map) = payload else {
        return Err("payload is not an object".into());
    };
    if let Some(Value::Array(items)) = map.get_mut("items") {
        for item in items {
            if let Some(Value::Object(counts)) = item.get_mut("counts") {
                counts.entry("fields_pushed").or_insert(Value::from(0));
            }
        }
    }
    Ok(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_past_version_one_has_a_complete_chain() {
        for (event_type, current) in CURRENT {
            for from in 1..*current {
                assert!(
                    CHAIN
                        .iter()
                        .any(|u| u.event_type == *event_type && u.from_version == from),
                    "{event_type} lacks an upcaster from v{from}"
                );
            }
        }
    }

    #[test]
    fn a_future_version_is_refused_not_guessed() {
        let err = upcast("link.linked", 9, json!({})).expect_err("future");
        assert!(matches!(err, UpcastError::FromTheFuture { .. }));
    }

    #[test]
    fn current_versions_pass_through_untouched() {
        let payload = json!({"a": 1});
        assert_eq!(upcast("item.defined", 1, payload.clone()), Ok(payload));
    }
}
