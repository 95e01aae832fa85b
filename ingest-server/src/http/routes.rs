//! The handlers of protocol v1 (see `docs/protocol.md`): each reads its request, hands the work
//! to the import service on the blocking pool (sealing, checking and SQLite are CPU and disk
//! work) and writes the answer.

use super::State;
use super::body;
use super::problem::Problem;
use crate::config::InvalidRows;
use crate::imports::{BatchHeaders, CreateImport, Expected, ImportError, MAX_NUMBER, RememberedMapping};
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_DISPOSITION, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use sluice_parser::template::{TemplateOptions, template_csv};
use std::time::{SystemTime, UNIX_EPOCH};

/// Bytes the transport seal adds to a batch: a 12-byte nonce and a 16-byte tag.
const SEAL_OVERHEAD: usize = 28;

/// The protocol version these routes speak.
pub const PROTOCOL: u32 = 1;

/// Registers the routes under `/v1/importers/{key}`.
pub(super) fn importer_routes(scope: actix_web::Scope) -> actix_web::Scope {
    scope
        .route("", web::get().to(public_config))
        .route("/template.csv", web::get().to(template))
        .route("/imports", web::post().to(create))
        .route("/imports/{id}", web::get().to(status))
        .route("/imports/{id}/batches/{sequence}", web::put().to(put_batch))
        .route("/imports/{id}/complete", web::post().to(complete))
        .route("/mappings/{hash}", web::get().to(remembered_mapping))
        .route("/mappings/{hash}", web::put().to(remember_mapping))
}

/// `GET /health`: liveness. The process runs and answers; whether it can take imports is
/// `/health/ready`'s question.
pub(super) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /health/ready`: readiness. 200 when the server can take imports; 503 with the codes of
/// what fails (a file that cannot be written or is gone, the master key no longer opening the
/// store, free space below the floor), and never a path or a secret.
pub(super) async fn ready(state: web::Data<State>) -> HttpResponse {
    let imports = state.imports.clone();
    match web::block(move || imports.readiness(now())).await {
        Ok(readiness) if readiness.is_ready() => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Ok(readiness) => HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "not_ready", "failing": readiness.failing })),
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "not_ready", "failing": ["server_busy"] })),
    }
}

/// `GET /`: what this is and where to look.
pub(super) async fn index() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "service": "sluice",
        "version": env!("CARGO_PKG_VERSION"),
        "protocol": PROTOCOL,
        "health": "/health",
        "ready": "/health/ready",
        "importers": "/v1/importers/{key}",
    }))
}

/// Anything else.
pub(super) async fn not_found() -> Result<HttpResponse, Problem> {
    Err(Problem::new(StatusCode::NOT_FOUND, "not_found", "no such route; see docs/protocol.md"))
}

/// `GET /v1/importers/{key}`: what the widget needs to know.
async fn public_config(state: web::Data<State>, key: web::Path<String>) -> Result<HttpResponse, Problem> {
    let importer = state.imports.importer(&key)?;
    let config = &importer.config;
    let limits = &config.limits;
    Ok(HttpResponse::Ok().json(json!({
        "protocol": PROTOCOL,
        "key": config.key,
        "name": config.name,
        "schema": importer.schema_json,
        "schemaDigest": importer.schema().digest_hex(),
        "invalidRows": match config.invalid_rows { InvalidRows::Record => "record", _ => "refuse" },
        "unmappedColumns": config.unmapped_columns.as_str(),
        "signedStart": config.start.secret.is_some(),
        "hostPageRows": config.host_page_rows,
        "storesRows": config.stores_rows(),
        "limits": {
            "maxRows": limits.max_rows,
            "minRows": limits.min_rows,
            "maxFileSize": limits.max_file_size.0,
            "batchRows": limits.batch_rows,
            "batchBytes": limits.batch_bytes.0,
            "maxBody": state.config.server.limits.max_body.0,
        },
    })))
}

/// `GET /v1/importers/{key}/template.csv`: a CSV file to fill in, the importer's labels as its
/// header (in `?language=`) and an example row (`docs/schema.md`, "Templates").
async fn template(
    state: web::Data<State>,
    key: web::Path<String>,
    options: web::Query<TemplateOptions>,
) -> Result<HttpResponse, Problem> {
    let importer = state.imports.importer(&key)?;
    let csv = template_csv(importer.schema(), &options);
    let name = format!("{}-template.csv", file_name(&importer.config.name, &importer.config.key));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(csv))
}

/// `name` as a file name any header carries: ASCII letters, digits, ' ', '-', '_' and '.' kept,
/// anything else '_'; the importer's key when nothing readable is left.
fn file_name(name: &str, key: &str) -> String {
    let kept = |c: char| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.');
    let safe: String = name.chars().map(|c| if kept(c) { c } else { '_' }).collect();
    let safe = safe.trim_matches(|c: char| c == ' ' || c == '.');
    if safe.chars().any(|c| c.is_ascii_alphanumeric()) { safe.to_owned() } else { key.to_owned() }
}

/// `POST /v1/importers/{key}/imports`: the handshake.
async fn create(
    state: web::Data<State>,
    request: HttpRequest,
    key: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    let key = key.into_inner();
    // Room for the metadata twice over (a signed start repeats it), besides everything else.
    let metadata = state.imports.importer(&key)?.config.start.max_metadata.bytes();
    let limit =
        usize::try_from(metadata.saturating_mul(2)).unwrap_or(usize::MAX).saturating_add(body::JSON_LIMIT);
    let create: CreateImport = body::json_within(&request, payload, limit, state.body_timeout()).await?;
    let imports = state.imports.clone();
    let created = blocking(move || imports.create(&key, create, now())).await?;
    Ok(HttpResponse::Created().json(created))
}

/// `GET /v1/importers/{key}/imports/{id}`: what is stored, to resume.
async fn status(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let token = bearer(request.headers())?;
    let (key, id) = path.into_inner();
    let imports = state.imports.clone();
    let status = blocking(move || imports.status(&key, &id, &token, now())).await?;
    Ok(HttpResponse::Ok().json(status))
}

/// `PUT /v1/importers/{key}/imports/{id}/batches/{sequence}`: one sealed batch.
async fn put_batch(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    let token = bearer(request.headers())?;
    let (key, id, sequence) = path.into_inner();
    let headers = BatchHeaders {
        sequence: stored_number(&sequence, "the batch number in the URL")?,
        first_row: stored_number(header(request.headers(), "sluice-first-row")?, "Sluice-First-Row")?,
        row_count: number(header(request.headers(), "sluice-row-count")?, "Sluice-Row-Count")?,
    };
    // A batch of `max_body` bytes still fits with its nonce and tag around it.
    let limit = usize::try_from(state.config.server.limits.max_body.0)
        .unwrap_or(usize::MAX)
        .saturating_add(SEAL_OVERHEAD);
    let sealed = body::read(&request, payload, limit, state.body_timeout()).await?;
    let imports = state.imports.clone();
    let ack = blocking(move || imports.put_batch(&key, &id, &token, headers, &sealed, now())).await?;
    let mut response = HttpResponse::Created();
    if !ack.stored_now {
        response.insert_header(("sluice-replayed", "true"));
    }
    Ok(response.json(ack))
}

/// `POST /v1/importers/{key}/imports/{id}/complete`: verify everything and close.
async fn complete(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    let token = bearer(request.headers())?;
    let expected: Expected = body::json(&request, payload, state.body_timeout()).await?;
    let (key, id) = path.into_inner();
    let imports = state.imports.clone();
    let completion = blocking(move || imports.complete(&key, &id, &token, expected, now())).await?;
    Ok(HttpResponse::Ok().json(completion))
}

/// `GET /v1/importers/{key}/mappings/{hash}`: the mapping remembered for a header set; 204
/// when there is none.
async fn remembered_mapping(
    state: web::Data<State>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let (key, hash) = path.into_inner();
    let imports = state.imports.clone();
    match blocking(move || imports.remembered_mapping(&key, &hash, now())).await? {
        Some(mapping) => Ok(HttpResponse::Ok().json(mapping)),
        None => Ok(HttpResponse::NoContent().finish()),
    }
}

/// `PUT /v1/importers/{key}/mappings/{hash}`: remembers the mapping chosen for a header set.
async fn remember_mapping(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    let mapping: RememberedMapping = body::json(&request, payload, state.body_timeout()).await?;
    let (key, hash) = path.into_inner();
    let imports = state.imports.clone();
    blocking(move || imports.remember_mapping(&key, &hash, &mapping, now())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Runs import work on the blocking pool.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ImportError> + Send + 'static,
) -> Result<T, Problem> {
    match web::block(work).await {
        Ok(result) => result.map_err(Problem::from),
        Err(_) => Err(Problem::internal("a blocking task failed")),
    }
}

/// The upload token from `Authorization: Bearer …`; its absence is the uniform refusal.
fn bearer(headers: &HeaderMap) -> Result<String, Problem> {
    let value = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(Problem::rejected)?;
    let token = value.strip_prefix("Bearer ").ok_or_else(Problem::rejected)?;
    Ok(token.trim().to_owned())
}

fn header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, Problem> {
    headers.get(name).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        Problem::new(StatusCode::BAD_REQUEST, "missing_header", format!("the {name} header is required"))
            .with("header", name)
    })
}

fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, Problem> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten().ok_or_else(|| {
        Problem::new(StatusCode::BAD_REQUEST, "bad_number", format!("{what} must be a whole number in range"))
    })
}

/// A sequence or row number, which the store keeps as a signed 64-bit integer: 0 to 2^63 − 1.
fn stored_number(text: &str, what: &str) -> Result<u64, Problem> {
    number::<u64>(text, what).ok().filter(|n| *n <= MAX_NUMBER).ok_or_else(|| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad_number",
            format!("{what} must be a whole number from 0 to {MAX_NUMBER}"),
        )
    })
}

/// Seconds since the Unix epoch.
pub(super) fn now() -> i64 {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    i64::try_from(seconds).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn a_template_file_name_keeps_what_any_header_carries() {
        assert_eq!(file_name("Contacts", "demo"), "Contacts");
        assert_eq!(file_name("Café \"Ünion\"", "demo"), "Caf_ __nion_");
        assert_eq!(file_name("  v1.2 .", "demo"), "v1.2");
        assert_eq!(file_name("日本", "demo"), "demo");
        assert_eq!(file_name("...", "demo"), "demo");
    }
}
