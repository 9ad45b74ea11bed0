//! `/api/admin/secrets`: the Jira credentials and the webhook secret kept in the encrypted vault
//! instead of in the configuration file.
//!
//! An admin who does not want the Jira API token (or bearer token, or webhook secret) in plain
//! text in the TOML stores it here (or with `sfjira secrets set`); it is sealed with the key
//! kept outside the data directory and read at the next start for each key the configuration
//! leaves unset. Values are never answered back: the list says only where each one comes from.

use actix_web::{web, HttpResponse};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{OpenApi, ToSchema};

use super::ApiError;
use crate::http::AppState;
use crate::secrets::{check_vault_value, VaultValueError, JIRA_SECRETS};

/// The secrets routes' part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, put, delete))]
pub struct SecretsApi;

/// The path parameter naming a secret.
const SECRET_NAME: &str =
    "The secret: `jira.api_token`, `jira.bearer_token` or `jira.webhook_secret`.";

/// Where one secret comes from (never its value).
#[derive(Serialize, ToSchema)]
struct SecretSource {
    /// The secret's configuration key.
    name: &'static str,
    /// What sfjira uses now: `configuration`, `vault` or `unset`.
    in_use_from: &'static str,
    /// Whether the vault holds a value for it.
    stored_in_vault: bool,
}

/// Answer of `GET /api/admin/secrets`.
#[derive(Serialize, ToSchema)]
struct SecretList {
    /// One entry per secret the vault can hold.
    secrets: Vec<SecretSource>,
}

/// Answer of `PUT` and `DELETE /api/admin/secrets/{name}`.
#[derive(Serialize, ToSchema)]
struct SecretStored {
    /// The secret's configuration key.
    name: &'static str,
    /// Whether the vault now holds a value for it.
    stored_in_vault: bool,
    /// When the change takes effect: `at the next start`.
    applies: &'static str,
}

/// Registers the routes on the (already guarded) `/api` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/secrets", web::get().to(list)).service(
        web::resource("/admin/secrets/{name}")
            .route(web::put().to(put))
            .route(web::delete().to(delete)),
    );
}

/// Body of `PUT /api/admin/secrets/{name}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PutSecret {
    /// The secret's value (at least 32 characters for the webhook secret).
    #[schema(value_type = String)]
    value: SecretString,
}

fn configured(state: &AppState, name: &str) -> bool {
    let jira = &state.settings.jira;
    let set = match name {
        "jira.api_token" => jira.api_token.is_some(),
        "jira.bearer_token" => jira.bearer_token.is_some(),
        _ => jira.webhook_secret.is_some(),
    };
    set && !state.secrets_from_vault.contains(&name)
}

fn known(name: &str) -> Result<&'static str, ApiError> {
    JIRA_SECRETS
        .iter()
        .copied()
        .find(|n| *n == name)
        .ok_or_else(|| ApiError::NotFound {
            code: "unknown_secret",
            message: VaultValueError::UnknownName(name.to_string()).to_string(),
        })
}

#[utoipa::path(
    get,
    path = "/api/admin/secrets",
    tag = "secrets",
    responses((status = 200, description = "Where each secret comes from", body = SecretList))
)]
async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut secrets = Vec::new();
    for name in JIRA_SECRETS {
        let stored = state
            .engine
            .vault
            .get(name)
            .map_err(ApiError::internal)?
            .is_some();
        let source = if configured(&state, name) {
            "configuration"
        } else if state.secrets_from_vault.contains(name) {
            "vault"
        } else {
            "unset"
        };
        secrets.push(SecretSource {
            name,
            in_use_from: source,
            stored_in_vault: stored,
        });
    }
    Ok(HttpResponse::Ok().json(SecretList { secrets }))
}

#[utoipa::path(
    put,
    path = "/api/admin/secrets/{name}",
    tag = "secrets",
    params(("name" = String, Path, description = SECRET_NAME)),
    request_body = PutSecret,
    responses((status = 200, description = "Stored; used from the next start", body = SecretStored))
)]
async fn put(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<PutSecret>,
) -> Result<HttpResponse, ApiError> {
    let name = known(&path)?;
    check_vault_value(name, &body.value).map_err(|e| ApiError::Unprocessable {
        code: "weak_secret",
        message: e.to_string(),
        details: json!({ "name": name }),
    })?;
    if configured(&state, name) {
        return Err(ApiError::Conflict {
            code: "secret_set_in_configuration",
            message: format!(
                "{name} is set in the configuration, which wins over the vault; remove it (and {name}_file) from the configuration first"
            ),
            details: json!({ "name": name }),
        });
    }
    state
        .engine
        .vault
        .put(name, &body.value)
        .map_err(ApiError::internal)?;
    tracing::info!(secret = name, "secret stored in the vault");
    Ok(HttpResponse::Ok().json(SecretStored {
        name,
        stored_in_vault: true,
        applies: "at the next start",
    }))
}

#[utoipa::path(
    delete,
    path = "/api/admin/secrets/{name}",
    tag = "secrets",
    params(("name" = String, Path, description = SECRET_NAME)),
    responses((status = 200, description = "Erased; the change applies at the next start", body = SecretStored))
)]
async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = known(&path)?;
    let existed = state
        .engine
        .vault
        .delete(name)
        .map_err(ApiError::internal)?;
    if !existed {
        return Err(ApiError::not_found(
            "secret_not_stored",
            format!("{name} is not stored in the vault"),
        ));
    }
    tracing::info!(secret = name, "secret erased from the vault");
    Ok(HttpResponse::Ok().json(SecretStored {
        name,
        stored_in_vault: false,
        applies: "at the next start",
    }))
}
