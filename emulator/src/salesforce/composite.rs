//! The composite resource: up to 25 subrequests run in order through the same router as
//! top-level calls, with `@{ref.field}` references (including `records[0].Id`) to earlier
//! results, counted as one API call. With `allOrNone`, the first failure rolls everything back
//! and every other subrequest reports `PROCESSING_HALTED`.
//!
//! Source: REST API Developer Guide, "Composite" resource and "Composite Subrequest Result".

use std::collections::HashMap;

use actix_web::http::Method;
use regex::Regex;
use serde_json::{json, Map, Value};

use super::error::{Payload, Reply, SfError, SfResult};
use super::router::{self, Body, Ctx, RestRequest};
use super::store::Org;

/// Most subrequests one composite call may hold.
pub const MAX_SUBREQUESTS: usize = 25;

const ROLLED_BACK: &str =
    "The transaction was rolled back since another operation in the same transaction failed.";

fn halted(message: impl Into<String>) -> Reply {
    Reply::json(
        400,
        json!([{"errorCode": "PROCESSING_HALTED", "message": message.into()}]),
    )
}

fn reference_regex() -> Regex {
    Regex::new(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[[0-9]+\])*)\}").expect("constant regex")
}

/// Looks up `.a.b[0].c` in a result body.
fn navigate<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    let mut current = root;
    let re = Regex::new(r"\.([A-Za-z0-9_]+)|\[([0-9]+)\]").expect("constant regex");
    for cap in re.captures_iter(path) {
        current = match (cap.get(1), cap.get(2)) {
            (Some(key), _) => current.get(key.as_str())?,
            (_, Some(index)) => current.get(index.as_str().parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    (!current.is_null()).then_some(current)
}

struct Resolver<'a> {
    results: &'a HashMap<String, Value>,
    re: Regex,
}

impl Resolver<'_> {
    fn missing(name: &str, path: &str) -> Reply {
        halted(format!(
            "Invalid reference specified. No value for {name}{path} found in {name}. Provided referenceId ('{name}') must be for a sObject or a sObject field."
        ))
    }

    fn lookup(&self, name: &str, path: &str) -> Result<&Value, Reply> {
        self.results
            .get(name)
            .and_then(|body| navigate(body, path))
            .ok_or_else(|| Self::missing(name, path))
    }

    fn text(&self, input: &str) -> Result<String, Reply> {
        let mut out = String::new();
        let mut last = 0;
        for cap in self.re.captures_iter(input) {
            let whole = cap.get(0).map_or(0..0, |m| m.range());
            let value = self.lookup(&cap[1], &cap[2])?;
            out.push_str(&input[last..whole.start]);
            match value {
                Value::String(s) => out.push_str(s),
                other => out.push_str(&other.to_string()),
            }
            last = whole.end;
        }
        out.push_str(&input[last..]);
        Ok(out)
    }

    fn value(&self, input: &Value) -> Result<Value, Reply> {
        Ok(match input {
            Value::String(s) => {
                if let Some(cap) = self
                    .re
                    .captures(s)
                    .filter(|c| c.get(0).map(|m| m.as_str()) == Some(s.as_str()))
                {
                    self.lookup(&cap[1], &cap[2])?.clone()
                } else {
                    Value::String(self.text(s)?)
                }
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.value(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    out.insert(k.clone(), self.value(v)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }
}

/// A subrequest URL taken apart: version, path after it, decoded query.
type SubUrl = (String, String, Vec<(String, String)>);

/// Splits `/services/data/v60.0/sobjects/Case?fields=Id` into version, path and query.
fn split_url(url: &str) -> Option<SubUrl> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let rest = path.strip_prefix("/services/data/")?;
    let (version, tail) = rest.split_once('/').unwrap_or((rest, ""));
    if !router::known_version(version) {
        return None;
    }
    let query = serde_urlencoded::from_str(query).unwrap_or_default();
    Some((version.to_string(), format!("/{tail}"), query))
}

fn item(reference: &Value, reply: &Reply) -> Value {
    let body = match &reply.payload {
        Payload::None => Value::Null,
        Payload::Json(v) => v.clone(),
        Payload::Raw { bytes, .. } => Value::String(String::from_utf8_lossy(bytes).into_owned()),
    };
    let headers: Map<String, Value> = reply
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({"body": body, "httpHeaders": headers, "httpStatusCode": reply.status, "referenceId": reference})
}

/// `POST …/composite`.
pub fn run(org: &mut Org, ctx: &Ctx, body: &Value) -> SfResult<Reply> {
    let subrequests = body["compositeRequest"]
        .as_array()
        .ok_or_else(|| SfError::json_parser("compositeRequest: required field is missing"))?;
    if subrequests.len() > MAX_SUBREQUESTS {
        let reply = Reply::json(
            400,
            json!([{"errorCode": "LIMIT_EXCEEDED", "message": "The request can’t contain more than 25 operations."}]),
        );
        return Ok(Reply::ok(
            json!({"compositeResponse": [item(&Value::Null, &reply)]}),
        ));
    }
    let all_or_none = body["allOrNone"].as_bool().unwrap_or(false);
    let snapshot = all_or_none.then(|| org.data.clone());
    let mut results: HashMap<String, Value> = HashMap::new();
    let mut replies: Vec<(Value, Reply)> = Vec::new();
    let mut failed_at = None;
    for (index, sub) in subrequests.iter().enumerate() {
        let reference = sub.get("referenceId").cloned().unwrap_or(Value::Null);
        let resolver = Resolver {
            results: &results,
            re: reference_regex(),
        };
        let reply = execute(org, ctx, sub, &resolver);
        if reply.status < 300 {
            if let (Some(name), Some(v)) = (reference.as_str(), reply.body_json()) {
                results.insert(name.to_string(), v.clone());
            }
        }
        let failed = reply.status >= 400;
        replies.push((reference, reply));
        if failed && all_or_none {
            failed_at = Some(index);
            break;
        }
    }
    if let (Some(failed), Some(data)) = (failed_at, snapshot) {
        org.data = data;
        let mut out = Vec::new();
        for (index, sub) in subrequests.iter().enumerate() {
            let reference = sub.get("referenceId").cloned().unwrap_or(Value::Null);
            if index == failed {
                out.push(item(&reference, &replies[index].1));
            } else {
                out.push(item(&reference, &halted(ROLLED_BACK)));
            }
        }
        return Ok(Reply::ok(json!({"compositeResponse": out})));
    }
    let out: Vec<Value> = replies.iter().map(|(r, reply)| item(r, reply)).collect();
    Ok(Reply::ok(json!({"compositeResponse": out})))
}

fn execute(org: &mut Org, ctx: &Ctx, sub: &Value, resolver: &Resolver) -> Reply {
    let method = sub["method"]
        .as_str()
        .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok());
    let (Some(method), Some(url)) = (method, sub["url"].as_str()) else {
        return Reply::error(&SfError::json_parser(
            "Composite subrequests need a method and a url",
        ));
    };
    let url = match resolver.text(url) {
        Ok(u) => u,
        Err(reply) => return reply,
    };
    let body = match sub.get("body").filter(|b| !b.is_null()) {
        Some(b) => match resolver.value(b) {
            Ok(v) => Body::Json(v),
            Err(reply) => return reply,
        },
        None => Body::None,
    };
    let Some((version, path, query)) = split_url(&url) else {
        return Reply::error(&SfError::not_found());
    };
    if path.starts_with("/composite") && !path.starts_with("/composite/sobjects") {
        return Reply::error(&SfError::new(
            400,
            "INVALID_BATCH_REQUEST",
            "Composite requests cannot be nested",
        ));
    }
    let sub_ctx = Ctx {
        version,
        ..ctx.clone()
    };
    let request = RestRequest {
        method,
        path,
        query,
        body,
    };
    router::dispatch(org, &sub_ctx, &request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_navigate_fields_and_indexes() {
        let body = json!({"records": [{"Id": "500A"}], "id": "001B"});
        assert_eq!(navigate(&body, ".records[0].Id"), Some(&json!("500A")));
        assert_eq!(navigate(&body, ".id"), Some(&json!("001B")));
        assert_eq!(navigate(&body, ".missing"), None);
        let mut results = HashMap::new();
        results.insert("acct".to_string(), body);
        let r = Resolver {
            results: &results,
            re: reference_regex(),
        };
        assert_eq!(r.text("/x/@{acct.id}?a=1").unwrap(), "/x/001B?a=1");
        assert!(r.text("@{nope.id}").is_err());
    }

    #[test]
    fn subrequest_urls_carry_version_path_and_query() {
        let (v, p, q) = split_url("/services/data/v60.0/query?q=SELECT+Id+FROM+Case").unwrap();
        assert_eq!((v.as_str(), p.as_str()), ("v60.0", "/query"));
        assert_eq!(
            q,
            vec![("q".to_string(), "SELECT Id FROM Case".to_string())]
        );
        assert!(split_url("/services/data/v20.0/query").is_none());
    }
}
