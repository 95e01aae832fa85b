//! What the operator changes: deleting an import's data, an importer's, all of it, and
//! retrying dead letters; each goes to the audit log.

use super::super::State;
use super::super::problem::Problem;
use super::super::routes::{blocking, now};
use super::{audit, unknown_import};
use crate::delivery::now_ms;
use crate::imports::ImportError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// The word `DELETE /v1/admin/data` needs in `?confirm=`.
const CONFIRM_ALL: &str = "delete-all-data";

/// `DELETE /v1/admin/imports/{id}`: deletes one import's data; its record and log stay.
pub(super) async fn delete_import(
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let id = id.into_inner();
    let target = id.clone();
    let deleted = blocking(move || match imports.delete_import(&target, now()) {
        Err(ImportError::Rejected) => Ok(None),
        other => other.map(Some),
    })
    .await?
    .ok_or_else(unknown_import)?;
    audit(&state, Some(&id), "admin_delete_import", json!({ "deleted": deleted }));
    Ok(HttpResponse::Ok().json(json!({ "importId": id, "deleted": deleted })))
}

/// `DELETE /v1/admin/importers/{key}/data`: deletes the data of every import of an importer.
pub(super) async fn delete_importer_data(
    state: web::Data<State>,
    key: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let importer = key.into_inner();
    let key = importer.clone();
    let deleted = blocking(move || imports.delete_all(Some(&key), now())).await?;
    audit(&state, None, "admin_delete_importer_data", json!({ "importer": importer, "deleted": deleted }));
    Ok(HttpResponse::Ok().json(json!({ "importer": importer, "deleted": deleted })))
}

/// What `DELETE /v1/admin/data` needs in its query.
#[derive(Deserialize)]
pub(super) struct ConfirmAll {
    confirm: Option<String>,
}

/// `DELETE /v1/admin/data?confirm=delete-all-data`: deletes the data of every import.
pub(super) async fn delete_all(
    state: web::Data<State>,
    query: web::Query<ConfirmAll>,
) -> Result<HttpResponse, Problem> {
    if query.confirm.as_deref() != Some(CONFIRM_ALL) {
        let detail = format!("deleting all data needs ?confirm={CONFIRM_ALL}");
        return Err(Problem::new(StatusCode::BAD_REQUEST, "confirmation_required", detail));
    }
    let imports = state.imports.clone();
    let deleted = blocking(move || imports.delete_all(None, now())).await?;
    audit(&state, None, "admin_delete_all", json!({ "deleted": deleted }));
    Ok(HttpResponse::Ok().json(json!({ "deleted": deleted })))
}

/// `POST /v1/admin/deliveries/{id}/retry`: a dead letter (`msg_…`), or every dead letter of an
/// import (`imp_…`), is sent again with a fresh retry schedule.
pub(super) async fn retry(state: web::Data<State>, id: web::Path<String>) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let id = id.into_inner();
    let target = id.clone();
    let retried = blocking(move || imports.retry_dead(&target, now_ms())).await?;
    let import = id.starts_with("imp_").then_some(id.as_str());
    audit(&state, import, "admin_retry", json!({ "target": id, "retried": retried }));
    Ok(HttpResponse::Ok().json(json!({ "retried": retried })))
}
