//! What the operator sees: the importers as configured (never a secret), imports with their
//! counts, times, file, user, deliveries and errors by code, one import's record and log, its
//! rows page by page and as CSV or JSON (decrypted on demand, formula cells neutralised by
//! default), dead letters, and the audit log. Reading rows and downloads are audited.

use super::super::State;
use super::super::problem::Problem;
use super::super::routes::blocking;
use super::{audit, unknown_import};
use crate::config::{Delivery, Destination, Importer, Retention};
use crate::importers::{Unserved, masked_url};
use crate::imports::{Format, ImportError, ImporterRuntime, Imports, Source};
use crate::store::ImportRecord;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Imports listed at most.
const MAX_IMPORTS: u32 = 1000;

/// Dead letters and audit entries listed at most.
const MAX_LISTED: u32 = 1000;

/// `POST /v1/admin/session`: checks the token (the guard did) and records the sign-in.
pub(super) async fn session(state: web::Data<State>) -> HttpResponse {
    audit(&state, None, "admin_sign_in", json!({}));
    HttpResponse::NoContent().finish()
}

/// `GET /v1/admin/importers`: every importer as configured.
pub(super) async fn importers(state: web::Data<State>) -> HttpResponse {
    let mut importers: Vec<Value> = state.imports.importers().iter().map(|i| importer_json(i)).collect();
    importers.extend(state.importers.unserved().into_iter().map(unserved_json));
    importers.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
    HttpResponse::Ok().json(json!({ "importers": importers }))
}

/// An importer as the admin API shows it: its settings (never a secret; URLs masked), where it
/// is defined, whether it is disabled, and for one made in the dashboard its document (as
/// JSON and TOML, with destination ids) for the form to edit.
pub(super) fn importer_json(importer: &ImporterRuntime) -> Value {
    let mut json = settings_json(&importer.config, &importer.schema_json);
    json["disabled"] = json!(importer.disabled);
    json["served"] = json!(true);
    match &importer.source {
        Source::File => json["source"] = json!("file"),
        Source::Dashboard { document, toml } => {
            json["source"] = json!("dashboard");
            json["document"] = document.clone();
            json["toml"] = json!(toml);
        }
    }
    json
}

/// A stored importer the server does not serve: its key, settings and why, for the dashboard to
/// list and edit.
fn unserved_json(unserved: Unserved) -> Value {
    json!({
        "key": unserved.key,
        "name": unserved.document["name"].as_str().unwrap_or(&unserved.key),
        "source": "dashboard",
        "served": false,
        "problem": unserved.problem,
        "disabled": unserved.disabled,
        "document": unserved.document,
        "toml": unserved.toml,
        "allowedOrigins": [],
        "destinations": [],
        "schema": { "columns": [] },
    })
}

fn settings_json(config: &Importer, schema: &Value) -> Value {
    let retention = match config.retention {
        Retention::Keep { days } => json!({ "mode": "keep", "days": days }),
        Retention::DeleteAfterDelivery { days } => json!({ "mode": "delete_after_delivery", "days": days }),
        Retention::NeverStore => json!({ "mode": "never_store", "days": null }),
    };
    let destinations: Vec<Value> = config
        .destinations
        .iter()
        .map(|destination| {
            let (delivery, parallelism) = match destination.delivery() {
                Delivery::Sequential => ("sequential", None),
                Delivery::Parallel { parallelism } => ("parallel", Some(parallelism)),
            };
            let mut described = match destination {
                Destination::Webhook(hook) => json!({
                    "type": "webhook",
                    "url": masked_url(&hook.url),
                    "timeoutSeconds": hook.timeout.as_secs(),
                }),
                Destination::Postgres(table) => json!({
                    "type": "postgres",
                    "url": masked_url(&table.url),
                    "table": table.table,
                    "tls": if table.tls { "require" } else { "disable" },
                    "transaction": if table.transaction == crate::config::PgTransaction::Import { "import" } else { "chunk" },
                    "timeoutSeconds": table.timeout.as_secs(),
                }),
                Destination::S3(bucket) => json!({
                    "type": "s3",
                    "url": masked_url(&bucket.endpoint),
                    "bucket": bucket.bucket,
                    "prefix": bucket.prefix,
                    "format": bucket.format.as_str(),
                    "timeoutSeconds": bucket.timeout.as_secs(),
                }),
            };
            described["delivery"] = json!(delivery);
            described["parallelism"] = json!(parallelism);
            // An S3 destination writes an import as one object: its chunks are unbounded.
            let chunk_rows = (!matches!(destination, Destination::S3(_))).then(|| destination.chunk_rows());
            described["chunkRows"] = json!(chunk_rows);
            described
        })
        .collect();
    json!({
        "key": config.key,
        "name": config.name,
        "allowedOrigins": config.allowed_origins,
        "invalidRows": if config.invalid_rows == crate::config::InvalidRows::Record { "record" } else { "refuse" },
        "retention": retention,
        "destinations": destinations,
        "hostPageRows": config.host_page_rows,
        "schema": schema,
    })
}

/// The query of `GET /v1/admin/imports`.
#[derive(Deserialize)]
pub(super) struct ImportsQuery {
    importer: Option<String>,
    limit: Option<u32>,
}

/// `GET /v1/admin/imports`: imports, newest first, with file, user, deliveries and errors.
pub(super) async fn imports(
    state: web::Data<State>,
    query: web::Query<ImportsQuery>,
) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let query = query.into_inner();
    let importer = query.importer.clone();
    let listed = blocking(move || {
        let limit = query.limit.unwrap_or(500).clamp(1, MAX_IMPORTS);
        let records = imports.list(query.importer.as_deref(), limit)?;
        records.iter().map(|record| summary(&imports, record)).collect::<Result<Vec<_>, _>>()
    })
    .await?;
    // The list opens file names and user details: who looked is recorded.
    audit(&state, None, "admin_list_imports", json!({ "importer": importer, "imports": listed.len() }));
    Ok(HttpResponse::Ok().json(json!({ "imports": listed })))
}

fn summary(imports: &Imports, record: &ImportRecord) -> Result<Value, ImportError> {
    let about = imports.about_import(record).unwrap_or_else(|e| {
        tracing::warn!(import = %record.id, error = %e, "cannot open an import's metadata");
        None
    });
    let about = about.unwrap_or(Value::Null);
    Ok(json!({
        "importId": record.id,
        "importer": record.importer,
        "status": record.status,
        "createdAt": record.created_at,
        "completedAt": record.completed_at,
        "rows": record.rows,
        "invalidRows": record.invalid_rows,
        "batches": record.batches,
        "file": about.get("file"),
        "user": about.get("user"),
        "attributes": about.get("attributes"),
        "dataDeletedAt": record.data_deleted_at,
        "deletedReason": record.deleted_reason,
        "delivery": imports.delivery_summary(&record.id)?,
        "errors": imports.error_counts(&record.id)?,
    }))
}

/// `GET /v1/admin/imports/{id}`: the record, deliveries and log of an import.
pub(super) async fn import(state: web::Data<State>, id: web::Path<String>) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let id = id.into_inner();
    let answer = blocking(move || {
        let Some(record) = imports.record(&id)? else { return Ok(None) };
        let events: Vec<_> = imports
            .events(&id)?
            .into_iter()
            .map(|(at, kind, detail)| json!({ "at": at, "kind": kind, "detail": detail }))
            .collect();
        let mut answer = summary(&imports, &record)?;
        answer["batches"] = json!(record.batches);
        answer["messages"] = json!(imports.messages(&id)?);
        answer["events"] = json!(events);
        Ok(Some(answer))
    })
    .await?;
    answer.map(|answer| HttpResponse::Ok().json(answer)).ok_or_else(unknown_import)
}

/// The query of `GET /v1/admin/imports/{id}/rows`.
#[derive(Deserialize)]
pub(super) struct RowsQuery {
    offset: Option<u64>,
    limit: Option<u64>,
}

/// `GET /v1/admin/imports/{id}/rows?offset=&limit=`: a page of rows, decrypted now.
pub(super) async fn rows(
    state: web::Data<State>,
    id: web::Path<String>,
    query: web::Query<RowsQuery>,
) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let id = id.into_inner();
    let (offset, limit) = (query.offset.unwrap_or(0), query.limit.unwrap_or(100));
    let target = id.clone();
    let page = blocking(move || imports.rows_page(&target, offset, limit)).await.map_err(not_found)?;
    audit(&state, Some(&id), "admin_view_rows", json!({ "offset": offset, "rows": page.rows.len() }));
    Ok(HttpResponse::Ok().json(page))
}

/// The query of `GET /v1/admin/imports/{id}/download`.
#[derive(Deserialize)]
pub(super) struct DownloadQuery {
    format: Option<String>,
    neutralize: Option<bool>,
}

/// `GET /v1/admin/imports/{id}/download?format=csv|json&neutralize=true|false`: the whole
/// import, streamed a batch at a time; formula cells neutralised unless `neutralize=false`.
pub(super) async fn download(
    state: web::Data<State>,
    id: web::Path<String>,
    query: web::Query<DownloadQuery>,
) -> Result<HttpResponse, Problem> {
    let (format, extension, media) = match query.format.as_deref().unwrap_or("csv") {
        "csv" => (Format::Csv, "csv", "text/csv; charset=utf-8"),
        "json" => (Format::Json, "json", "application/json"),
        _ => return Err(Problem::new(StatusCode::BAD_REQUEST, "bad_request", "format must be csv or json")),
    };
    let neutralise = query.neutralize.unwrap_or(true);
    let id = id.into_inner();
    let imports = state.imports.clone();
    let target = id.clone();
    blocking(move || imports.rows_page(&target, 0, 1).map(drop)).await.map_err(not_found)?;
    audit(&state, Some(&id), "admin_download", json!({ "format": extension, "neutralize": neutralise }));
    let body = stream(Arc::clone(&state.imports), id.clone(), format, neutralise);
    Ok(HttpResponse::Ok()
        .content_type(media)
        .insert_header(("content-disposition", format!("attachment; filename=\"{id}.{extension}\"")))
        .streaming(body))
}

/// The download produced on the blocking pool and handed over a batch at a time.
fn stream(
    imports: Arc<Imports>,
    id: String,
    format: Format,
    neutralise: bool,
) -> impl futures_util::Stream<Item = Result<web::Bytes, std::io::Error>> {
    let (pieces, receiver) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    let producer = pieces.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let sent = imports.download(&id, format, neutralise, |piece| hand_over(&producer, piece));
        if let Err(e) = sent {
            tracing::warn!(import = %id, error = %e, "a download stopped");
            let _ = producer.blocking_send(Err(std::io::Error::other("the download stopped")));
        }
    });
    drop(pieces);
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|piece| (piece, receiver))
    })
}

/// Hands a piece to the response; gives up (ending the download) when the reader is gone or
/// has taken nothing for a minute, so a stalled reader does not hold the thread and the rows.
fn hand_over(to: &tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>, piece: Vec<u8>) -> bool {
    use tokio::sync::mpsc::error::TrySendError;
    let deadline = std::time::Instant::now() + STALLED_READER;
    let mut piece = Ok(web::Bytes::from(piece));
    loop {
        match to.try_send(piece) {
            Ok(()) => return true,
            Err(TrySendError::Closed(_)) => return false,
            Err(TrySendError::Full(back)) if std::time::Instant::now() < deadline => {
                piece = back;
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(TrySendError::Full(_)) => return false,
        }
    }
}

/// How long a download waits for its reader to take the next piece.
const STALLED_READER: std::time::Duration = std::time::Duration::from_secs(60);

/// An unknown import is a 404 (not the protocol's uniform refusal).
fn not_found(problem: Problem) -> Problem {
    if problem.code() == "rejected" { unknown_import() } else { problem }
}

/// `GET /v1/admin/deliveries/dead`: dead letters, oldest first.
pub(super) async fn dead_letters(state: web::Data<State>) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let dead = blocking(move || imports.dead_letters(MAX_LISTED)).await?;
    Ok(HttpResponse::Ok().json(json!({ "messages": dead })))
}

/// The query of `GET /v1/admin/audit`.
#[derive(Deserialize)]
pub(super) struct AuditQuery {
    limit: Option<u32>,
}

/// `GET /v1/admin/audit?limit=`: the operator's actions, newest first (200 by default).
pub(super) async fn audit_log(
    state: web::Data<State>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, Problem> {
    let imports = state.imports.clone();
    let limit = query.limit.unwrap_or(200).clamp(1, MAX_LISTED);
    let entries = blocking(move || imports.audit(limit)).await?;
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|entry| {
            let action = entry.kind.strip_prefix("admin_").unwrap_or(&entry.kind).to_owned();
            json!({ "at": entry.at, "action": action, "importId": entry.import_id, "detail": entry.detail })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "entries": entries })))
}
