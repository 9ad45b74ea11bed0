//! The shared part of the control API under `/__emulator/`: the clock, armed faults and the
//! request log. Each emulator adds its own `info`, seed, data and reset routes beside these.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::{Common, FaultSpec};

/// Registers `/__emulator/clock`, `/__emulator/faults` and `/__emulator/requests`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/__emulator/clock")
            .route(web::get().to(get_clock))
            .route(web::put().to(set_clock))
            .route(web::delete().to(reset_clock)),
    )
    .service(web::resource("/__emulator/clock/advance").route(web::post().to(advance_clock)))
    .service(
        web::resource("/__emulator/faults")
            .route(web::get().to(list_faults))
            .route(web::post().to(arm_faults))
            .route(web::delete().to(clear_faults)),
    )
    .service(
        web::resource("/__emulator/requests")
            .route(web::get().to(list_requests))
            .route(web::delete().to(reset_requests)),
    );
}

/// A control-API refusal: `{"error": code, "message": text}` with status 400.
pub fn bad_request(code: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::BadRequest().json(serde_json::json!({"error": code, "message": message.into()}))
}

async fn get_clock(common: web::Data<Common>) -> HttpResponse {
    HttpResponse::Ok().json(common.clock.state())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    now: DateTime<Utc>,
    #[serde(default = "yes")]
    frozen: bool,
}

fn yes() -> bool {
    true
}

async fn set_clock(common: web::Data<Common>, body: web::Json<SetClock>) -> HttpResponse {
    if body.frozen {
        common.clock.freeze_at(body.now);
    } else {
        common.clock.run_from(body.now);
    }
    HttpResponse::Ok().json(common.clock.state())
}

async fn reset_clock(common: web::Data<Common>) -> HttpResponse {
    common.clock.reset();
    HttpResponse::Ok().json(common.clock.state())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    seconds: Option<i64>,
    #[serde(default)]
    millis: Option<i64>,
}

async fn advance_clock(common: web::Data<Common>, body: web::Json<Advance>) -> HttpResponse {
    let by = match (body.seconds, body.millis) {
        (Some(s), None) => Duration::seconds(s),
        (None, Some(ms)) => Duration::milliseconds(ms),
        _ => {
            return bad_request(
                "invalid_advance",
                "give exactly one of `seconds` or `millis`",
            )
        }
    };
    common.clock.advance(by);
    HttpResponse::Ok().json(common.clock.state())
}

async fn list_faults(common: web::Data<Common>) -> HttpResponse {
    HttpResponse::Ok().json(common.faults.list())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(FaultSpec),
    Many(Vec<FaultSpec>),
}

async fn arm_faults(common: web::Data<Common>, body: web::Json<OneOrMany>) -> HttpResponse {
    let specs = match body.into_inner() {
        OneOrMany::One(spec) => vec![spec],
        OneOrMany::Many(specs) => specs,
    };
    if let Some(bad) = specs
        .iter()
        .find(|s| !s.path.starts_with('/') && s.path != "*")
    {
        return bad_request(
            "invalid_fault",
            format!("path pattern {:?} must start with '/' or be '*'", bad.path),
        );
    }
    let armed: Vec<_> = specs.into_iter().map(|s| common.faults.arm(s)).collect();
    HttpResponse::Created().json(armed)
}

async fn clear_faults(common: web::Data<Common>) -> HttpResponse {
    common.faults.clear();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<usize>,
}

async fn list_requests(common: web::Data<Common>, q: web::Query<Limit>) -> HttpResponse {
    HttpResponse::Ok().json(common.requests.summary(q.limit.unwrap_or(200)))
}

async fn reset_requests(common: web::Data<Common>) -> HttpResponse {
    common.requests.reset();
    HttpResponse::NoContent().finish()
}
