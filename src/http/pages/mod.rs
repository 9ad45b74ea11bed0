//! The web pages people use: the admin page, the item editor and history, the issue panel and
//! a link's history, served by sfjira itself.
//!
//! Pages are rendered on the server (maud) from the same engine functions the JSON API uses, so
//! the first paint comes straight from the projections and never waits on Salesforce or Jira. A
//! little plain JavaScript (in `assets/`, embedded in the binary) does the interactions by
//! calling the JSON API with the session cookie, and swaps in server-rendered fragments after a
//! change so there is one renderer. Nothing is loaded from anywhere else, which the
//! Content-Security-Policy enforces. Every page needs the admin token: a browser without a
//! session is sent to the sign-in page.

pub mod admin;
pub mod assets;
pub mod editor;
pub mod history;
pub mod layout;
pub mod link_history;
pub mod login;
pub mod panel;

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use maud::Markup;

use super::auth::{self, Bearer};
use super::ApiError;
use crate::engine::SyncError;
use crate::http::AppState;

/// Registers the page routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root))
        .route("/assets/{name}", web::get().to(assets::serve))
        .service(
            web::resource("/admin/login")
                .route(web::get().to(login::form))
                .route(web::post().to(login::submit)),
        )
        .route("/admin/logout", web::post().to(login::sign_out))
        .route("/admin", web::get().to(admin::page))
        .route("/admin/items/table", web::get().to(admin::items_fragment))
        .route("/admin/items/new", web::get().to(editor::new_item))
        .route("/admin/items/{id}/edit", web::get().to(editor::edit_item))
        .route(
            "/admin/items/{id}/dead-letters",
            web::get().to(history::dead_letters_fragment),
        )
        .route("/admin/items/{id}", web::get().to(history::page))
        .route("/admin/links/{id}", web::get().to(link_history::page))
        .route("/panel/{key}", web::get().to(panel::page))
        .route(
            "/panel/{key}/cards/{item}",
            web::get().to(panel::card_fragment),
        );
}

async fn root() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .finish()
}

/// A request from a signed-in admin: a live session cookie, or the admin bearer token.
pub struct Viewer {
    /// The session's CSRF token for the sign-out form; `None` when the bearer token was used.
    pub csrf: Option<String>,
}

/// Whether the request was made by page JavaScript (which wants status codes, not redirects).
fn from_script(req: &HttpRequest) -> bool {
    req.headers().contains_key(auth::REQUESTED_WITH)
}

fn viewer(req: &HttpRequest) -> Result<Viewer, PageError> {
    let state = state_of(req)?;
    match auth::bearer(req, state) {
        Bearer::Valid => return Ok(Viewer { csrf: None }),
        Bearer::Absent => {}
        Bearer::Invalid | Bearer::Malformed => {
            return Err(PageError::SignIn {
                next: "/admin".into(),
                script: true,
            })
        }
    }
    match state.sessions.of_request(req) {
        Some((_, session)) => Ok(Viewer {
            csrf: Some(session.csrf),
        }),
        None => Err(PageError::SignIn {
            next: req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/admin".into()),
            script: from_script(req),
        }),
    }
}

fn state_of(req: &HttpRequest) -> Result<&AppState, PageError> {
    req.app_data::<web::Data<AppState>>()
        .map(|d| d.get_ref())
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")).into())
}

impl FromRequest for Viewer {
    type Error = PageError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(viewer(req))
    }
}

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No session: go and sign in, then come back to `next`.
    #[error("sign in first")]
    SignIn {
        /// Where to return after signing in.
        next: String,
        /// The request came from page JavaScript: answer 401 instead of redirecting.
        script: bool,
    },
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// A form that did not come from our own page.
    #[error("{0}")]
    Forbidden(String),
    /// What the engine or the API layer refused.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<SyncError> for PageError {
    fn from(e: SyncError) -> Self {
        PageError::Api(e.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { script: true, .. } => StatusCode::UNAUTHORIZED,
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let PageError::SignIn { next, script } = self {
            let target = format!(
                "/admin/login?next={}",
                url::form_urlencoded::byte_serialize(login::safe_next(next).as_bytes())
                    .collect::<String>()
            );
            let mut response = HttpResponse::build(status);
            no_store(&mut response);
            if !script {
                response.insert_header((header::LOCATION, target));
            }
            return response.finish();
        }
        let message = match self {
            PageError::Api(ApiError::Internal(cause)) => {
                tracing::error!(error.cause_chain = ?cause, "page failed");
                "Something went wrong on our side; the log has the details.".to_string()
            }
            other => other.to_string(),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let mut response = HttpResponse::build(status);
        secure(&mut response);
        response
            .content_type("text/html; charset=utf-8")
            .body(layout::error_page(title, &message).into_string())
    }
}

/// The policy every page is served under: only our own scripts, styles and images, no
/// framing, forms and fetches to this host only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn no_store(response: &mut HttpResponseBuilder) {
    response.insert_header((header::CACHE_CONTROL, "no-store"));
}

/// Adds the headers every page carries.
pub fn secure(response: &mut HttpResponseBuilder) {
    no_store(response);
    response
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        // `same-origin` (not `no-referrer`) so the browser still names our Origin on the
        // scripts' own POSTs, which the CSRF check reads.
        .insert_header((header::REFERRER_POLICY, "same-origin"));
}

/// A rendered page or fragment as a response.
pub fn html(markup: Markup) -> HttpResponse {
    html_with(StatusCode::OK, markup)
}

/// A rendered page with a status.
pub fn html_with(status: StatusCode, markup: Markup) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    secure(&mut response);
    response
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}
