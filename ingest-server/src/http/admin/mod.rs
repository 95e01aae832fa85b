//! The operator's admin API under `/v1/admin`, behind `Authorization: Bearer <admin token>`
//! (`server.admin_token` or `SLUICE_ADMIN_TOKEN`; without one every route answers 401): an
//! import's record, deliveries and log (never its rows), deletion of one import's data, of an
//! importer's, of all, and dead letters to see and retry. See `docs/server.md`.

use super::State;
use super::problem::Problem;
use super::routes::{blocking, now};
use crate::delivery::now_ms;
use crate::imports::ImportError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpResponse, ResponseError, web};
use ring::digest::{SHA256, digest};
use serde::Deserialize;
use serde_json::json;

/// Dead letters listed at most.
const MAX_DEAD_LETTERS: u32 = 1000;

/// The word `DELETE /v1/admin/data` needs in `?confirm=`.
const CONFIRM_ALL: &str = "delete-all-data";

/// Registers the routes, each behind the token check.
pub(super) fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/v1/admin")
            .wrap(from_fn(require_token))
            .route("/imports/{id}", web::get().to(import))
            .route("/imports/{id}", web::delete().to(delete_import))
            .route("/importers/{key}/data", web::delete().to(delete_importer_data))
            .route("/data", web::delete().to(delete_all))
            .route("/deliveries/dead", web::get().to(dead_letters))
            .route("/deliveries/{id}/retry", web::post().to(retry)),
    );
}

/// Lets a request through only with the admin token.
async fn require_token(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<State>>().cloned();
    let expected = state.as_ref().and_then(|s| s.config.server.admin_token.clone());
    let given = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let refusal = match (&expected, given) {
        (None, _) => Some("the admin API is off: set server.admin_token or SLUICE_ADMIN_TOKEN"),
        (Some(_), None) => Some("send the admin token as Authorization: Bearer <token>"),
        (Some(token), Some(given)) if !same(token.expose(), given) => Some("the admin token is not valid"),
        _ => None,
    };
    match refusal {
        Some(detail) => {
            let problem = Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail);
            let mut response = problem.error_response();
            response.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer realm=\"sluice-admin\""),
            );
            Ok(request.into_response(response))
        }
        None => Ok(next.call(request).await?.map_into_boxed_body()),
    }
}

/// Compares two tokens in time independent of where they differ (through their digests).
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (digest(&SHA256, a.as_bytes()), digest(&SHA256, b.as_bytes()));
    a.as_ref().iter().zip(b.as_ref()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /v1/admin/imports/{id}`: the record, deliveries and log of an import, never its rows.
async fn import(state: web::Data<State>, id: web::Path<String>) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let id = id.into_inner();
    let answer = blocking(move || {
        let store = imports.store();
        let Some(record) = store.import(&id)? else { return Ok(None) };
        let events: Vec<_> = store
            .events(&id)?
            .into_iter()
            .map(|(at, kind, detail)| json!({ "at": at, "kind": kind, "detail": detail }))
            .collect();
        Ok(Some(json!({
            "importId": record.id,
            "importer": record.importer,
            "status": record.status,
            "createdAt": record.created_at,
            "completedAt": record.completed_at,
            "batches": record.batches,
            "rows": record.rows,
            "invalidRows": record.invalid_rows,
            "dataDeletedAt": record.data_deleted_at,
            "deletedReason": record.deleted_reason,
            "delivery": store.delivery_summary(&id)?,
            "messages": store.messages(&id)?,
            "events": events,
        })))
    })
    .await?;
    answer.map(|answer| HttpResponse::Ok().json(answer)).ok_or_else(unknown_import)
}

/// No import has the id in the URL.
fn unknown_import() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "unknown_import", "no import has this id")
}

/// `DELETE /v1/admin/imports/{id}`: deletes one import's data; its record and log stay.
async fn delete_import(state: web::Data<State>, id: web::Path<String>) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let id = id.into_inner();
    let answer_id = id.clone();
    let deleted = blocking(move || match imports.delete_import(&id, now()) {
        Err(ImportError::Rejected) => Ok(None),
        other => other.map(Some),
    })
    .await?
    .ok_or_else(unknown_import)?;
    tracing::info!(import = %answer_id, deleted, "operator: delete an import's data");
    Ok(HttpResponse::Ok().json(json!({ "importId": answer_id, "deleted": deleted })))
}

/// `DELETE /v1/admin/importers/{key}/data`: deletes the data of every import of an importer.
async fn delete_importer_data(
    state: web::Data<State>,
    key: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let key = key.into_inner();
    let importer = key.clone();
    let deleted = blocking(move || imports.delete_all(Some(&key), now())).await?;
    tracing::info!(%importer, deleted, "operator: delete an importer's data");
    Ok(HttpResponse::Ok().json(json!({ "importer": importer, "deleted": deleted })))
}

/// What `DELETE /v1/admin/data` needs in its query.
#[derive(Deserialize)]
struct ConfirmAll {
    confirm: Option<String>,
}

/// `DELETE /v1/admin/data?confirm=delete-all-data`: deletes the data of every import.
async fn delete_all(state: web::Data<State>, query: web::Query<ConfirmAll>) -> Result<HttpResponse, Problem> {
    if query.confirm.as_deref() != Some(CONFIRM_ALL) {
        let detail = format!("deleting all data needs ?confirm={CONFIRM_ALL}");
        return Err(Problem::new(StatusCode::BAD_REQUEST, "confirmation_required", detail));
    }
    let imports = state.imports.clone();
    let deleted = blocking(move || imports.delete_all(None, now())).await?;
    tracing::info!(deleted, "operator: delete all data");
    Ok(HttpResponse::Ok().json(json!({ "deleted": deleted })))
}

/// `GET /v1/admin/deliveries/dead`: dead letters, oldest first.
async fn dead_letters(state: web::Data<State>) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let dead = blocking(move || Ok(imports.store().dead_letters(MAX_DEAD_LETTERS)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "messages": dead })))
}

/// `POST /v1/admin/deliveries/{id}/retry`: a dead letter (`msg_…`), or every dead letter of an
/// import (`imp_…`), is sent again with a fresh retry schedule.
async fn retry(state: web::Data<State>, id: web::Path<String>) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let id = id.into_inner();
    let target = id.clone();
    let retried = blocking(move || {
        let retried = imports.store().retry_dead(&id, now_ms())?;
        imports.wakeup().ring();
        Ok(retried)
    })
    .await?;
    tracing::info!(target = %target, retried, "operator: retry dead letters");
    Ok(HttpResponse::Ok().json(json!({ "retried": retried })))
}
