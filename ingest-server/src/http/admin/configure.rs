//! What the operator configures: importers made in the dashboard, created from the form's JSON
//! or TOML text, edited, disabled, enabled and deleted (`crate::importers` checks, stores,
//! applies and audits each change). Invalid settings are 422 `invalid_importer` with every
//! problem by field; a signing secret made for a new webhook is in the answer once, and
//! nowhere else.

use super::super::State;
use super::super::problem::Problem;
use super::reads::importer_json;
use crate::importers::{Actor, ConfigureError, Input, Saved};
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};
use ring::digest::{SHA256, digest};
use serde_json::{Value, json};

/// `POST /v1/admin/importers`: makes an importer from `{"document": {…}}` or `{"toml": "…"}`.
pub(super) async fn create(
    state: web::Data<State>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let (input, actor) = (input(&body)?, actor(&state, &request));
    let importers = state.importers.clone();
    let saved = run(move || importers.create(input, &actor, super::super::routes::now())).await?;
    Ok(HttpResponse::Created().json(saved_json(&state, &saved)?))
}

/// `POST /v1/admin/importers/check`: the settings checked and not saved, as JSON and TOML,
/// with every problem by field.
pub(super) async fn check(state: web::Data<State>, body: web::Bytes) -> Result<HttpResponse, Problem> {
    let input = input(&body)?;
    let importers = state.importers.clone();
    let checked = run(move || importers.check(input)).await?;
    Ok(HttpResponse::Ok().json(checked))
}

/// `PUT /v1/admin/importers/{key}`: replaces an importer's settings (its key stays).
pub(super) async fn update(
    state: web::Data<State>,
    request: HttpRequest,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let (input, actor) = (input(&body)?, actor(&state, &request));
    let importers = state.importers.clone();
    let key = key.into_inner();
    let saved = run(move || importers.update(&key, input, &actor, super::super::routes::now())).await?;
    Ok(HttpResponse::Ok().json(saved_json(&state, &saved)?))
}

/// `POST /v1/admin/importers/{key}/disable`: the importer starts no import; those under way
/// finish and are delivered.
pub(super) async fn disable(
    state: web::Data<State>,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    set_disabled(state, request, key.into_inner(), true).await
}

/// `POST /v1/admin/importers/{key}/enable`: the importer starts imports again.
pub(super) async fn enable(
    state: web::Data<State>,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    set_disabled(state, request, key.into_inner(), false).await
}

async fn set_disabled(
    state: web::Data<State>,
    request: HttpRequest,
    key: String,
    disabled: bool,
) -> Result<HttpResponse, Problem> {
    let actor = actor(&state, &request);
    let importers = state.importers.clone();
    let target = key.clone();
    run(move || importers.set_disabled(&target, disabled, &actor, super::super::routes::now())).await?;
    Ok(HttpResponse::Ok().json(json!({ "key": key, "disabled": disabled })))
}

/// `DELETE /v1/admin/importers/{key}`: deletes a disabled importer that holds no data.
pub(super) async fn delete(
    state: web::Data<State>,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let actor = actor(&state, &request);
    let importers = state.importers.clone();
    let key = key.into_inner();
    let target = key.clone();
    run(move || importers.delete(&target, &actor, super::super::routes::now())).await?;
    Ok(HttpResponse::Ok().json(json!({ "key": key, "deleted": true })))
}

/// The body of a rotation: how long the old secret goes on signing.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Rotation {
    overlap_seconds: Option<u64>,
}

/// How long a rotated secret signs beside the new one by default: a day.
const DEFAULT_OVERLAP: u64 = 24 * 3600;

/// `POST /v1/admin/importers/{key}/destinations/{index}/rotate`: a new signing secret for a
/// webhook, shown once, the old one signing beside it for `overlapSeconds` (a day by default,
/// a week at most).
pub(super) async fn rotate(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, usize)>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let rotation: Rotation = if body.is_empty() {
        Rotation { overlap_seconds: None }
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("expected {{\"overlapSeconds\": 86400}}: {e}"),
            )
        })?
    };
    let overlap = rotation.overlap_seconds.unwrap_or(DEFAULT_OVERLAP);
    if overlap > crate::importers::MAX_OVERLAP {
        let detail = format!("overlapSeconds must be at most {} (a week)", crate::importers::MAX_OVERLAP);
        return Err(Problem::new(StatusCode::BAD_REQUEST, "bad_request", detail));
    }
    let actor = actor(&state, &request);
    let importers = state.importers.clone();
    let (key, index) = path.into_inner();
    let (shown, until) =
        run(move || importers.rotate(&key, index, overlap, &actor, super::super::routes::now())).await?;
    Ok(HttpResponse::Ok().json(json!({ "destination": shown.destination, "index": shown.index, "secret": shown.secret, "previousSignsUntil": until })))
}

/// `POST /v1/admin/importers/{key}/destinations/{index}/test`: tries a destination of any
/// importer without an import: `{"outcome": "delivered" | "failed", "status", "error"}`.
pub(super) async fn test_destination(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, usize)>,
) -> Result<HttpResponse, Problem> {
    let actor = actor(&state, &request);
    let importers = state.importers.clone();
    let (key, index) = path.into_inner();
    let tested =
        run(move || importers.test_destination(&key, index, &actor, super::super::routes::now())).await?;
    Ok(HttpResponse::Ok().json(tested))
}

/// The settings in a request's body.
fn input(body: &[u8]) -> Result<Input, Problem> {
    let bad = |detail: String| Problem::new(StatusCode::BAD_REQUEST, "bad_request", detail);
    let value: Value = serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    match (value.get("document"), value.get("toml")) {
        (Some(document), None) => Ok(Input::Json(document.clone())),
        (None, Some(Value::String(toml))) => Ok(Input::Toml(toml.clone())),
        _ => Err(bad("send {\"document\": {…the importer's fields…}} or {\"toml\": \"…\"}".to_owned())),
    }
}

/// Who makes the change: a fingerprint of the admin token (the guard checked it), and the
/// client's address.
fn actor(state: &State, request: &HttpRequest) -> Actor {
    let token = request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
    let hash = digest(&SHA256, token.as_bytes());
    let session =
        format!("adm_{}", hash.as_ref()[..6].iter().map(|b| format!("{b:02x}")).collect::<String>());
    let address = state.client_address(request.peer_addr(), request.headers()).map(|ip| ip.to_string());
    Actor { session, address }
}

/// The answer to a save: the importer as listed, and the secrets made now (shown once).
fn saved_json(state: &State, saved: &Saved) -> Result<Value, Problem> {
    let importer = state.imports.importer(&saved.key)?;
    Ok(json!({ "importer": importer_json(&importer), "secrets": saved.secrets }))
}

/// Runs a change on the blocking pool, its refusal as a problem document.
async fn run<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ConfigureError> + Send + 'static,
) -> Result<T, Problem> {
    match web::block(work).await {
        Ok(result) => result.map_err(problem),
        Err(_) => Err(Problem::internal("a blocking task failed")),
    }
}

/// The problem document of a refused change.
fn problem(error: ConfigureError) -> Problem {
    let conflict = |code, detail: &str| Problem::new(StatusCode::CONFLICT, code, detail.to_owned());
    match error {
        ConfigureError::Invalid(errors) => {
            let first = errors.first().map(|e| format!(": {}: {}", e.field, e.message)).unwrap_or_default();
            let detail = format!("the importer's settings have {} problems{first}", errors.len());
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_importer", detail).with("errors", json!(errors))
        }
        ConfigureError::Unknown => super::super::problem::unknown_importer(),
        ConfigureError::ReadOnly => conflict("importer_read_only", "this importer is defined in the configuration file: change it there and restart the server"),
        ConfigureError::Exists => conflict("importer_exists", "an importer made in the dashboard has this key: edit it, or choose another key"),
        ConfigureError::NotAWebhook => Problem::new(StatusCode::NOT_FOUND, "unknown_destination", "the importer has no webhook at this place (destinations count from 0)"),
        ConfigureError::UnknownDestination => Problem::new(StatusCode::NOT_FOUND, "unknown_destination", "the importer has no destination at this place (destinations count from 0)"),
        ConfigureError::Enabled => conflict("importer_enabled", "disable the importer first, so that no import starts while it is deleted"),
        ConfigureError::HasData(imports) => conflict("importer_has_data", "imports of this importer still hold data: delete its data first (DELETE /v1/admin/importers/{key}/data)").with("imports", imports),
        ConfigureError::Store(e) => {
            tracing::error!(error = %e, "an importer change failed in the store");
            Problem::from(crate::imports::ImportError::from(e))
        }
        ConfigureError::Internal(detail) => {
            tracing::error!(%detail, "an importer change failed");
            Problem::internal("the change failed inside the server; see its log")
        }
    }
}
