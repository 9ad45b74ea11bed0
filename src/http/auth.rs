//! The admin bearer-token guard for everything under `/api`.
//!
//! The token is compared in constant time, never logged, and a missing or wrong token answers
//! 401 with the standard error body and `WWW-Authenticate: Bearer`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::ApiError;
use crate::startup::AppState;

/// Lets the request through only with `Authorization: Bearer <admin token>`.
pub async fn require_admin_token(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(ApiError::internal(anyhow::anyhow!("application state missing")).into());
    };
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let expected = state.admin_token.expose_secret().as_bytes();
    match presented {
        None => Err(ApiError::Unauthorized(
            "send the admin token as Authorization: Bearer <token>".into(),
        )
        .into()),
        Some(token) if bool::from(token.as_bytes().ct_eq(expected)) => next.call(req).await,
        Some(_) => Err(ApiError::Unauthorized("the admin token is not valid".into()).into()),
    }
}
