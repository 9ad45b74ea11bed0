//! Fault injection: the next N requests matching a method and a path pattern answer a chosen
//! status and body, are delayed, or have their connection dropped — either instead of being
//! handled, or after the real handler has committed its change.
//!
//! Remote systems fail in these three ways in real life (an error page, a slow answer, a broken
//! connection); a sync engine is only as trustworthy as its behaviour under each, so tests arm
//! faults through `POST /__emulator/faults` and watch what the client does. The after-commit
//! kinds are the hard case for a client: the create happened, but its answer is a 502 from a
//! proxy, a reset connection, or arrives after the client stopped waiting. A client that simply
//! sends the create again makes a duplicate.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// What a matching request gets instead of its normal answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer with this status, JSON body (or raw text) and extra headers, without running the
    /// real handler.
    Respond {
        /// HTTP status code.
        status: u16,
        /// JSON body; ignored when `text` is set.
        #[serde(default)]
        body: Option<serde_json::Value>,
        /// Raw text body.
        #[serde(default)]
        text: Option<String>,
        /// Extra response headers (for example `Retry-After`).
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
    /// Wait this long, then handle the request normally.
    Delay {
        /// Delay in milliseconds.
        millis: u64,
    },
    /// Drop the connection without handling the request.
    Drop,
    /// Handle the request (its change is committed), then answer this status and body instead
    /// of the real answer: a gateway that timed out waiting for the server.
    AfterCommitRespond {
        /// HTTP status code.
        status: u16,
        /// JSON body; ignored when `text` is set.
        #[serde(default)]
        body: Option<serde_json::Value>,
        /// Raw text body.
        #[serde(default)]
        text: Option<String>,
        /// Extra response headers.
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
    /// Handle the request (its change is committed), then drop the connection before answering.
    AfterCommitDrop,
    /// Handle the request (its change is committed), then hold the real answer this long: past
    /// the client's timeout, the client never sees it.
    AfterCommitDelay {
        /// Delay in milliseconds.
        millis: u64,
    },
}

impl FaultAction {
    /// Whether the real handler runs (and commits) before the fault shapes the answer.
    pub fn after_commit(&self) -> bool {
        matches!(
            self,
            Self::AfterCommitRespond { .. } | Self::AfterCommitDrop | Self::AfterCommitDelay { .. }
        )
    }
}

/// A fault as armed through the control API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// HTTP method to match (any when absent), case-insensitive.
    #[serde(default)]
    pub method: Option<String>,
    /// Path pattern; `*` matches any run of characters. The query string is not matched.
    pub path: String,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub times: u32,
    /// What happens to them.
    pub action: FaultAction,
}

fn one() -> u32 {
    1
}

/// An armed fault with its id and remaining count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmedFault {
    /// Id to refer to it.
    pub id: u64,
    /// The fault as armed.
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Matching requests still to be hit.
    pub remaining: u32,
    /// Requests it already hit.
    pub hits: u32,
}

/// The set of armed faults, shared by the middleware and the control API.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    armed: Arc<Mutex<Vec<ArmedFault>>>,
    next_id: Arc<AtomicU64>,
}

impl Faults {
    /// Arms a fault; returns it with its id.
    pub fn arm(&self, spec: FaultSpec) -> ArmedFault {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let armed = ArmedFault {
            id,
            remaining: spec.times,
            spec,
            hits: 0,
        };
        self.armed.lock().push(armed.clone());
        armed
    }

    /// Takes one use of the first armed fault matching this request, if any.
    pub fn take(&self, method: &str, path: &str) -> Option<FaultAction> {
        let mut armed = self.armed.lock();
        let fault = armed.iter_mut().find(|f| {
            f.remaining > 0
                && f.spec
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && glob_match(&f.spec.path, path)
        })?;
        fault.remaining -= 1;
        fault.hits += 1;
        Some(fault.spec.action.clone())
    }

    /// Every fault armed so far, spent ones included.
    pub fn list(&self) -> Vec<ArmedFault> {
        self.armed.lock().clone()
    }

    /// Disarms everything.
    pub fn clear(&self) {
        self.armed.lock().clear();
    }
}

/// Matches `text` against `pattern`, where `*` stands for any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_prefixes_suffixes_and_middles() {
        assert!(glob_match(
            "/services/data/*/query*",
            "/services/data/v60.0/query"
        ));
        assert!(glob_match(
            "/services/data/*/query*",
            "/services/data/v60.0/query/01g-2000"
        ));
        assert!(!glob_match(
            "/services/data/*/query*",
            "/services/data/v60.0/sobjects"
        ));
        assert!(glob_match("*", "/anything"));
        assert!(glob_match("/a", "/a"));
        assert!(!glob_match("/a", "/ab"));
        assert!(glob_match("/a/*/c/*", "/a/b/c/d"));
        assert!(!glob_match("/a*a", "/a"));
    }

    #[test]
    fn a_fault_applies_only_as_many_times_as_armed() {
        let faults = Faults::default();
        faults.arm(FaultSpec {
            method: Some("get".into()),
            path: "/x*".into(),
            times: 2,
            action: FaultAction::Drop,
        });
        assert_eq!(faults.take("POST", "/x"), None);
        assert_eq!(faults.take("GET", "/x1"), Some(FaultAction::Drop));
        assert_eq!(faults.take("GET", "/x2"), Some(FaultAction::Drop));
        assert_eq!(faults.take("GET", "/x3"), None);
        assert_eq!(faults.list()[0].hits, 2);
    }

    #[test]
    fn after_commit_kinds_read_from_the_control_api_shape() {
        let spec: FaultSpec = serde_json::from_value(serde_json::json!({
            "method": "POST", "path": "/rest/api/3/issue",
            "action": {"kind": "after_commit_respond", "status": 504}
        }))
        .expect("spec");
        assert!(spec.action.after_commit());
        let drop: FaultAction =
            serde_json::from_value(serde_json::json!({"kind": "after_commit_drop"})).expect("drop");
        assert_eq!(drop, FaultAction::AfterCommitDrop);
        let delay: FaultAction =
            serde_json::from_value(serde_json::json!({"kind": "after_commit_delay", "millis": 5}))
                .expect("delay");
        assert!(delay.after_commit());
        assert!(!FaultAction::Drop.after_commit());
    }
}
