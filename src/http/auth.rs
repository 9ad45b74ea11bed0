//! The admin guard for everything under `/api`.
//!
//! Scripts and tools send `Authorization: Bearer <admin token>`; the token is compared in
//! constant time and never logged, and a missing or wrong token answers 401 with the standard
//! error body and `WWW-Authenticate: Bearer`. When no `Authorization` header is sent, the
//! session cookie of a signed-in admin page is accepted instead (see [`super::session`]), so
//! page JavaScript can call the same API. A cookie is sent by the browser whoever asks it to, so
//! a state-changing request authenticated by the cookie must also carry `X-Requested-With`
//! (cross-site forms cannot send custom headers, and cross-origin scripts would need a CORS
//! preflight we never grant) and, when the browser names its `Origin`, come from this host.
//! Wrong bearer tokens count against the client's address ([`super::throttle`]): after a few,
//! every token it sends is answered 429 with `Retry-After` until the wait is over.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::ApiError;
use crate::http::AppState;

/// The header page scripts send with every cookie-authenticated call.
pub const REQUESTED_WITH: &str = "X-Requested-With";

/// What an `Authorization` header says, if there is one.
pub enum Bearer {
    /// No `Authorization` header.
    Absent,
    /// A header that is not `Bearer <token>` at all.
    Malformed,
    /// The admin token.
    Valid,
    /// A bearer token that is not the admin token.
    Invalid,
}

/// Checks the request's `Authorization` header against the admin token.
pub fn bearer(req: &HttpRequest, state: &AppState) -> Bearer {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Bearer::Absent;
    };
    let presented = value.to_str().ok().and_then(|v| {
        v.strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .map(str::trim)
    });
    let expected = state.admin_token.expose_secret().as_bytes();
    match presented {
        None => Bearer::Malformed,
        Some(token) if bool::from(token.as_bytes().ct_eq(expected)) => Bearer::Valid,
        Some(_) => Bearer::Invalid,
    }
}

/// Whether the admin token matches `presented` (constant time).
pub fn token_matches(state: &AppState, presented: &str) -> bool {
    bool::from(
        presented
            .trim()
            .as_bytes()
            .ct_eq(state.admin_token.expose_secret().as_bytes()),
    )
}

/// Whether the request's `Origin`, when the browser names one, is this host.
pub fn origin_is_ours(req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let host = req.connection_info().host().to_ascii_lowercase();
    origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .is_some_and(|(_, authority)| authority.trim_end_matches('/').eq_ignore_ascii_case(&host))
}

/// Refuses a cookie-authenticated request that changes state unless it proves it comes from
/// our own pages.
pub fn check_same_origin(req: &HttpRequest) -> Result<(), ApiError> {
    if req.method().is_safe() {
        return Ok(());
    }
    let marked = req
        .headers()
        .get(REQUESTED_WITH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.trim().is_empty());
    if !marked {
        return Err(ApiError::Forbidden {
            code: "csrf_header_missing",
            message: format!(
                "a change authenticated by the session cookie must send {REQUESTED_WITH} (the admin pages do); scripts should send Authorization: Bearer instead"
            ),
        });
    }
    if !origin_is_ours(req) {
        return Err(ApiError::Forbidden {
            code: "cross_origin_request",
            message: "the request comes from another site; it was not made by the admin pages"
                .into(),
        });
    }
    Ok(())
}

fn too_many(wait: std::time::Duration) -> ApiError {
    ApiError::TooManyAttempts {
        retry_after_secs: super::throttle::retry_after_secs(wait),
    }
}

/// Lets the request through with `Authorization: Bearer <admin token>`, or with the session
/// cookie of a signed-in page (plus the CSRF checks above for changes).
pub async fn require_admin_token(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(ApiError::internal(anyhow::anyhow!("application state missing")).into());
    };
    let client = super::throttle::client_of(req.request());
    let presented = bearer(req.request(), &state);
    if !matches!(presented, Bearer::Absent) {
        if let Some(wait) = state.auth_throttle.locked_out(client) {
            return Err(too_many(wait).into());
        }
    }
    let refuse = |message: &str| -> actix_web::Error {
        match state.auth_throttle.failed(client) {
            Some(wait) => too_many(wait).into(),
            None => ApiError::Unauthorized(message.into()).into(),
        }
    };
    match presented {
        Bearer::Valid => next.call(req).await,
        Bearer::Invalid => Err(refuse("the admin token is not valid")),
        Bearer::Malformed => Err(refuse(
            "send the admin token as Authorization: Bearer <token>",
        )),
        Bearer::Absent => {
            if state.sessions.of_request(req.request()).is_none() {
                return Err(ApiError::Unauthorized(
                    "send the admin token as Authorization: Bearer <token>".into(),
                )
                .into());
            }
            check_same_origin(req.request())?;
            next.call(req).await
        }
    }
}
