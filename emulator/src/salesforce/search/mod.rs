//! Text search: SOSL on `GET …/search?q=FIND {…} IN … FIELDS RETURNING …` and the
//! `parameterizedSearch` resource (GET parameters or POST body). Both answer
//! `{"searchRecords":[…]}`.
//!
//! Matching follows the SOSL reference: case-insensitive, words ANDed unless joined by `OR`
//! (`AND NOT` excludes), `"phrases"`, `*`/`?` wildcards, and the reserved characters
//! `? & | ! { } [ ] ( ) ^ ~ * : \ " ' + -` escaped with a backslash; an unescaped reserved
//! character or a bad escape fails with `MALFORMED_SEARCH`. Records match on the tokens of
//! their searchable text fields (Name, Subject, CaseNumber, Email, Phone, Company, Website…).
//! Results are ordered by object, then by record age (real search ranks by relevance).

mod term;

use serde_json::{json, Value};

use super::error::{Reply, SfError, SfResult};
use super::router::{Ctx, RestRequest};
use super::schema::{FieldType, ObjectDef};
use super::soql::bind::{Binder, Plan};
use super::soql::eval::Env;
use super::soql::lexer::{tokenize, Tok};
use super::soql::run::Runner;
use super::soql::{self, caret_message};
use super::store::{Org, Record};

pub use term::{parse_term, Expr};

/// Which fields a search looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// All searchable text fields.
    All,
    /// Name fields.
    Name,
    /// E-mail fields.
    Email,
    /// Phone fields.
    Phone,
}

impl Scope {
    fn parse(word: &str) -> Option<Self> {
        match word.to_ascii_uppercase().as_str() {
            "ALL" | "SIDEBAR" => Some(Self::All),
            "NAME" => Some(Self::Name),
            "EMAIL" => Some(Self::Email),
            "PHONE" => Some(Self::Phone),
            _ => None,
        }
    }
}

/// One object to return, with its field list and optional WHERE/ORDER BY/LIMIT.
struct Target {
    plan: Plan,
}

fn malformed(message: impl Into<String>) -> SfError {
    SfError::new(400, "MALFORMED_SEARCH", message)
}

/// The text a record offers to a search in `scope`.
fn haystack<'r>(def: &ObjectDef, rec: &'r Record, scope: Scope) -> Vec<&'r str> {
    def.fields
        .iter()
        .filter(|f| match scope {
            Scope::All => f.searchable,
            Scope::Name => f.name_field || f.compound_field_name.is_some(),
            Scope::Email => f.ftype == FieldType::Email,
            Scope::Phone => {
                f.ftype == FieldType::Phone || (f.searchable && f.name.ends_with("Phone"))
            }
        })
        .filter_map(|f| rec.str(&f.name))
        .collect()
}

/// Builds a plan for `Object(fields WHERE … ORDER BY … LIMIT n)` by reusing the SOQL binder.
fn target_plan(org: &Org, ctx: &Ctx, object: &str, inner: Option<&str>) -> SfResult<Target> {
    let inner = inner
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("Id");
    let split = tokenize(inner)
        .ok()
        .and_then(|toks| {
            toks.into_iter()
                .find(|t| {
                    ["WHERE", "ORDER", "LIMIT", "OFFSET", "USING", "WITH"]
                        .iter()
                        .any(|k| t.is_kw(k))
                })
                .map(|t| t.pos)
        })
        .unwrap_or(inner.len());
    let (fields, tail) = inner.split_at(split);
    let src = format!("SELECT {} FROM {object} {tail}", fields.trim());
    let query = soql::parse(&src).map_err(|e| e.into_sf(&src))?;
    let binder = Binder {
        org,
        user_id: &ctx.user_id,
        now: ctx.now,
        system: false,
    };
    let plan = binder.bind(&query).map_err(|e| e.into_sf(&src))?;
    Ok(Target { plan })
}

/// Runs a parsed search.
fn execute(
    org: &Org,
    ctx: &Ctx,
    expr: &Expr,
    scope: Scope,
    targets: &[Target],
    overall: usize,
) -> Value {
    let runner = Runner {
        env: Env {
            org,
            include_deleted: false,
        },
        version: &ctx.version,
    };
    let mut out = Vec::new();
    for target in targets {
        let Some(def) = org.schema.get(&target.plan.object) else {
            continue;
        };
        let candidates: Vec<&Record> = org
            .records_of(&def.name)
            .filter(|r| !r.is_deleted())
            .filter(|r| expr.matches(&haystack(def, r, scope)))
            .collect();
        let rows = runner.select(&target.plan, candidates);
        out.extend(runner.project_all(&target.plan, rows));
        if out.len() >= overall {
            out.truncate(overall);
            break;
        }
    }
    json!({"searchRecords": out})
}

fn all_targets(org: &Org, ctx: &Ctx) -> SfResult<Vec<Target>> {
    org.schema
        .iter()
        .filter(|o| o.searchable && org.perms(&ctx.user_id, &o.name).read)
        .map(|o| target_plan(org, ctx, &o.name, None))
        .collect()
}

/// `GET …/search?q=<SOSL>`.
pub fn sosl(org: &Org, ctx: &Ctx, q: Option<&str>) -> SfResult<Reply> {
    let src = q.unwrap_or("");
    let trimmed = src.trim_start();
    let lead = src.len() - trimmed.len();
    let no_term = || malformed("No search term found. The search term must be enclosed in braces.");
    if trimmed.len() < 4 || !trimmed[..4].eq_ignore_ascii_case("FIND") {
        return Err(no_term());
    }
    let after_find = &trimmed[4..];
    let brace = after_find.trim_start();
    if !brace.starts_with('{') {
        return Err(no_term());
    }
    let open = lead + 4 + (after_find.len() - brace.len());
    let (expr, close) = term::parse_braced(src, open + 1).map_err(|e| e.into_sf(src, true))?;
    let rest = &src[close + 1..];
    let rest_start = close + 1;
    let toks = tokenize(rest).map_err(|_| malformed("unexpected token in search"))?;
    let mut i = 0;
    let mut scope = Scope::All;
    let at = |i: usize, kw: &str| toks.get(i).is_some_and(|t| t.is_kw(kw));
    let unexpected = |i: usize| {
        let pos = toks.get(i).map_or(src.len(), |t| rest_start + t.pos);
        let text = toks.get(i).map_or("<EOF>".to_string(), |t| {
            rest[t.pos..t.pos + t.len].to_string()
        });
        SfError::new(
            400,
            "MALFORMED_SEARCH",
            caret_message(src, pos, &format!("unexpected token: {text}")),
        )
    };
    if at(i, "IN") {
        scope = toks
            .get(i + 1)
            .and_then(|t| match &t.tok {
                Tok::Ident(w) => Scope::parse(w),
                _ => None,
            })
            .ok_or_else(|| unexpected(i + 1))?;
        if !at(i + 2, "FIELDS") {
            return Err(unexpected(i + 2));
        }
        i += 3;
    }
    let mut targets = Vec::new();
    if at(i, "RETURNING") {
        i += 1;
        loop {
            let Some(Tok::Ident(object)) = toks.get(i).map(|t| &t.tok) else {
                return Err(unexpected(i));
            };
            i += 1;
            let mut inner = None;
            if matches!(toks.get(i).map(|t| &t.tok), Some(Tok::LParen)) {
                let start = toks[i].pos + 1;
                let mut depth = 0;
                let mut end = None;
                for (j, t) in toks.iter().enumerate().skip(i) {
                    match t.tok {
                        Tok::LParen => depth += 1,
                        Tok::RParen => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let end = end.ok_or_else(|| unexpected(toks.len()))?;
                inner = Some(&rest[start..toks[end].pos]);
                i = end + 1;
            }
            if org.schema.get(object).is_none() || !org.perms(&ctx.user_id, object).read {
                return Err(SfError::new(
                    400,
                    "INVALID_TYPE",
                    caret_message(
                        src,
                        rest_start + toks[i - 1].pos,
                        &soql::not_supported_type(object),
                    ),
                ));
            }
            targets.push(target_plan(org, ctx, object, inner)?);
            if matches!(toks.get(i).map(|t| &t.tok), Some(Tok::Comma)) {
                i += 1;
            } else {
                break;
            }
        }
    } else {
        targets = all_targets(org, ctx)?;
    }
    let mut overall = 2000;
    if at(i, "LIMIT") {
        overall = match toks.get(i + 1).map(|t| &t.tok) {
            Some(Tok::Num(n)) => n.parse().map_err(|_| unexpected(i + 1))?,
            _ => return Err(unexpected(i + 1)),
        };
        i += 2;
    }
    if i < toks.len() {
        return Err(unexpected(i));
    }
    Ok(Reply::ok(execute(
        org, ctx, &expr, scope, &targets, overall,
    )))
}

/// One `sobjects` entry of a parameterized search.
struct Spec {
    object: String,
    fields: Option<String>,
    limit: Option<u64>,
    filter: Option<String>,
}

/// The options of a parameterized search, from GET parameters or a POST body.
struct Params {
    q: Option<String>,
    scope: Option<String>,
    specs: Vec<Spec>,
    fields: Option<String>,
    default_limit: Option<u64>,
    overall: Option<u64>,
}

impl Params {
    fn from_body(body: &Value) -> Self {
        let specs = body["sobjects"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|s| Spec {
                        object: s["name"].as_str().unwrap_or("").to_string(),
                        fields: s["fields"].as_array().map(|f| join(f)),
                        limit: s["limit"].as_u64(),
                        filter: s["where"].as_str().map(str::to_string),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            q: body["q"].as_str().map(str::to_string),
            scope: body["in"].as_str().map(str::to_string),
            specs,
            fields: body["fields"].as_array().map(|f| join(f)),
            default_limit: body["defaultLimit"].as_u64(),
            overall: body["overallLimit"].as_u64(),
        }
    }

    fn from_query(req: &RestRequest) -> Self {
        let specs = req
            .query
            .iter()
            .filter(|(k, _)| k == "sobject")
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .map(|object| Spec {
                fields: req.param(&format!("{object}.fields")).map(str::to_string),
                limit: req
                    .param(&format!("{object}.limit"))
                    .and_then(|l| l.parse().ok()),
                filter: None,
                object,
            })
            .collect();
        Self {
            q: req.param("q").map(str::to_string),
            scope: req.param("in").map(str::to_string),
            specs,
            fields: req.param("fields").map(str::to_string),
            default_limit: req.param("defaultLimit").and_then(|l| l.parse().ok()),
            overall: req.param("overallLimit").and_then(|l| l.parse().ok()),
        }
    }
}

/// `GET|POST …/parameterizedSearch`.
pub fn parameterized(org: &Org, ctx: &Ctx, req: &RestRequest) -> SfResult<Reply> {
    let params = if req.method == actix_web::http::Method::POST {
        Params::from_body(req.json()?)
    } else {
        Params::from_query(req)
    };
    let q = params
        .q
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| SfError::new(400, "MISSING_ARGUMENT", "Missing required parameter: q"))?;
    let scope = match params.scope {
        Some(s) => Scope::parse(&s).ok_or_else(|| {
            SfError::new(
                400,
                "INVALID_SEARCH_SCOPE",
                format!("Invalid value for parameter in: {s}"),
            )
        })?,
        None => Scope::All,
    };
    let expr = parse_term(&q).map_err(|e| e.into_sf(&q, false))?;
    let targets = if params.specs.is_empty() {
        all_targets(org, ctx)?
    } else {
        params
            .specs
            .iter()
            .map(|spec| {
                let object = &spec.object;
                if org.schema.get(object).is_none() || !org.perms(&ctx.user_id, object).read {
                    return Err(SfError::new(
                        400,
                        "INVALID_TYPE",
                        soql::not_supported_type(object),
                    ));
                }
                let mut inner = spec
                    .fields
                    .clone()
                    .or_else(|| params.fields.clone())
                    .unwrap_or_else(|| "Id".into());
                if let Some(w) = &spec.filter {
                    inner.push_str(&format!(" WHERE {w}"));
                }
                if let Some(l) = spec.limit.or(params.default_limit) {
                    inner.push_str(&format!(" LIMIT {l}"));
                }
                target_plan(org, ctx, object, Some(&inner))
            })
            .collect::<SfResult<Vec<_>>>()?
    };
    let overall = params.overall.map_or(2000, |n| n as usize);
    Ok(Reply::ok(execute(
        org, ctx, &expr, scope, &targets, overall,
    )))
}

fn join(list: &[Value]) -> String {
    list.iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
