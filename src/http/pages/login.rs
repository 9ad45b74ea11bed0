//! Sign-in and sign-out for the pages.
//!
//! The admin types the admin token once; on success the browser gets a session cookie (see
//! [`crate::http::session`]) and the token is never written into a page or a URL. A wrong token
//! is answered slowly and without saying more than "not valid"; after a few from one address,
//! that address is answered 429 for a while ([`crate::http::throttle`]). Signing out is a plain form
//! carrying the session's CSRF token, so another site cannot sign anyone out either.

use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::layout::public_page;
use super::{html_with, secure, state_of, PageError};
use crate::http::AppState;
use crate::http::{auth, session, throttle};

/// Pause before answering a wrong token, to slow guessing down.
const WRONG_TOKEN_DELAY: Duration = Duration::from_millis(300);

/// Where to go after signing in: a path on this site, never another host.
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && !next.starts_with("/admin/login")
        && !next.starts_with("/admin/logout");
    if local {
        next
    } else {
        "/admin"
    }
}

/// Query of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    /// Where to return to.
    #[serde(default)]
    next: String,
}

fn form_markup(next: &str, error: Option<&str>) -> Markup {
    public_page(
        "Sign in",
        html! {
            section.card.narrow aria-labelledby="signin-title" {
                h1 #signin-title { "Sign in to sfjira" }
                p {
                    "Enter the admin token: the value of " code { "http.admin_token" }
                    " in the configuration, or the one " code { "sfjira demo" } " printed."
                }
                @if let Some(error) = error {
                    div #signin-error .banner.error role="alert" { (error) }
                }
                form method="post" action="/admin/login" {
                    input type="hidden" name="next" value=(safe_next(next));
                    div.field {
                        label for="token" { "Admin token" }
                        input #token type="password" name="token" required
                            autocomplete="current-password" autofocus
                            aria-invalid=[error.map(|_| "true")]
                            aria-describedby=[error.map(|_| "signin-error")];
                    }
                    div.form-actions {
                        button.button.primary type="submit" { "Sign in" }
                    }
                }
            }
        },
    )
}

/// `GET /admin/login`.
pub async fn form(
    req: HttpRequest,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    let state = state_of(&req)?;
    if state.sessions.of_request(&req).is_some() {
        return Ok(see_other(safe_next(&query.next)));
    }
    Ok(html_with(StatusCode::OK, form_markup(&query.next, None)))
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

fn see_other(location: &str) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    secure(&mut response);
    response
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

fn cross_site(req: &HttpRequest) -> Result<(), PageError> {
    if auth::origin_is_ours(req) {
        Ok(())
    } else {
        Err(PageError::Forbidden(
            "This form was sent from another site.".into(),
        ))
    }
}

/// `POST /admin/login`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SignIn>,
) -> Result<HttpResponse, PageError> {
    cross_site(&req)?;
    let client = throttle::client_of(&req);
    let presented = !form.token.trim().is_empty();
    if presented {
        if let Some(wait) = state.auth_throttle.locked_out(client) {
            return Ok(throttled(&form.next, wait));
        }
    }
    if !presented || !auth::token_matches(&state, &form.token) {
        if presented {
            if let Some(wait) = state.auth_throttle.failed(client) {
                return Ok(throttled(&form.next, wait));
            }
        }
        actix_web::rt::time::sleep(WRONG_TOKEN_DELAY).await;
        let message = if form.token.trim().is_empty() {
            "Enter the admin token."
        } else {
            "That admin token is not valid."
        };
        return Ok(html_with(
            StatusCode::UNAUTHORIZED,
            form_markup(&form.next, Some(message)),
        ));
    }
    let (id, _) = state.sessions.create();
    let mut response = see_other(safe_next(&form.next));
    response
        .add_cookie(&session::cookie(&id, session::is_https(&req)))
        .map_err(|e| PageError::Api(crate::http::ApiError::internal(e)))?;
    tracing::info!("admin signed in to the pages");
    Ok(response)
}

/// The sign-in form again, answered 429 with `Retry-After`: too many wrong tokens came from
/// this address.
fn throttled(next: &str, wait: Duration) -> HttpResponse {
    let secs = throttle::retry_after_secs(wait);
    let message =
        format!("Too many wrong admin tokens came from this address. Try again in {secs} seconds.");
    let mut response = html_with(
        StatusCode::TOO_MANY_REQUESTS,
        form_markup(next, Some(&message)),
    );
    if let Ok(value) = header::HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct SignOut {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/logout`.
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SignOut>,
) -> Result<HttpResponse, PageError> {
    if let Some((id, session)) = state.sessions.of_request(&req) {
        if !bool::from(form.csrf.as_bytes().ct_eq(session.csrf.as_bytes())) {
            return Err(PageError::Forbidden(
                "This sign-out did not come from an sfjira page; you are still signed in.".into(),
            ));
        }
        state.sessions.remove(&id);
    }
    let mut response = see_other("/admin/login");
    response
        .add_cookie(&session::removal(session::is_https(&req)))
        .map_err(|e| PageError::Api(crate::http::ApiError::internal(e)))?;
    Ok(response)
}
