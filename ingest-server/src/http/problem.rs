//! Errors as `application/problem+json` (RFC 9457) with a stable `code`, and how each failure
//! of the import service maps to one. Problems carry counts, codes, row numbers and column keys,
//! never a cell value; internal details go to the log, not to the client.

use crate::imports::{ImportError, StartRefusal};
use crate::store::ImportStatus;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value, json};
use std::fmt;

/// Seconds a client is asked to wait when the server's volume is full.
const RETRY_FULL: u64 = 60;

/// Seconds a client is asked to wait when the store cannot be reached.
const RETRY_UNAVAILABLE: u64 = 30;

/// An error answer.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    code: &'static str,
    detail: String,
    extra: Map<String, Value>,
    retry_after: Option<u64>,
}

impl Problem {
    /// A problem with a status, a stable code and a sentence saying what happened and what to do.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Problem {
        Problem { status, code, detail: detail.into(), extra: Map::new(), retry_after: None }
    }

    /// Says, in `Retry-After`, how many seconds to wait before trying again.
    pub fn retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after = Some(seconds);
        self
    }

    /// Adds a member to the problem's JSON.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Problem {
        self.extra.insert(name.to_owned(), value.into());
        self
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The uniform refusal: wrong or expired token, another import, a batch that does not open.
    pub fn rejected() -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "rejected",
            "the request was not accepted for this import; start a new import if the upload token expired",
        )
    }

    /// Something failed inside the server; `detail` is logged, the client gets no detail.
    pub fn internal(detail: &str) -> Problem {
        tracing::error!(detail, "internal error");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server failed; try again later")
    }

    fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("type".into(), format!("urn:sluice:problem:{}", self.code).into());
        body.insert("title".into(), self.status.canonical_reason().unwrap_or("Error").into());
        body.insert("status".into(), self.status.as_u16().into());
        body.insert("code".into(), self.code.into());
        body.insert("detail".into(), self.detail.clone().into());
        body.extend(self.extra.clone());
        Value::Object(body)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds));
        }
        response.content_type("application/problem+json").body(self.body().to_string())
    }
}

impl From<ImportError> for Problem {
    fn from(error: ImportError) -> Problem {
        match error {
            ImportError::UnknownImporter => unknown_importer(),
            ImportError::ImporterDisabled => Problem::new(
                StatusCode::FORBIDDEN,
                "importer_disabled",
                "this importer is disabled and starts no new import; its operator can enable it in the dashboard",
            ),
            ImportError::Rejected => Problem::rejected(),
            ImportError::BadRequest(detail) => Problem::new(StatusCode::BAD_REQUEST, "bad_request", detail),
            ImportError::FileTooLarge { limit } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "file_too_large",
                format!("the file is larger than this importer's limit of {limit} bytes"),
            )
            .with("limit", limit),
            ImportError::MetadataTooLarge { limit } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "metadata_too_large",
                format!("the file's details, user and attributes take more than this importer's limit of {limit} bytes as JSON"),
            )
            .with("limit", limit),
            ImportError::TooManyOpen { limit, retry_after } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_open_imports",
                format!("this importer has {limit} imports open, as many as it may; try again once one completes or expires"),
            )
            .with("limit", limit)
            .retry_after(retry_after),
            ImportError::StartRefused(refusal) => start_refused(refusal),
            ImportError::Conflict => Problem::new(
                StatusCode::CONFLICT,
                "batch_conflict",
                "another batch is already stored under this sequence number; send each batch under its own number",
            ),
            ImportError::Closed(status) => closed(status),
            ImportError::RowsNotTaken => Problem::new(
                StatusCode::CONFLICT,
                "rows_not_taken",
                "this importer hands rows to the host page only and stores none: send no batch, and \
                 complete with hostPageRows",
            ),
            ImportError::Gone(detail) => Problem::new(StatusCode::GONE, "data_deleted", detail),
            ImportError::BatchInvalid(detail) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "batch_invalid", detail),
            ImportError::UnmappedRefused { kept_columns, first_row_with_extras } => unmapped_refused(kept_columns, first_row_with_extras),
            ImportError::RowsInvalid { error_count, errors } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "rows_invalid",
                format!("{error_count} cells are invalid and this importer refuses invalid rows; fix them and send again"),
            )
            .with("errorCount", error_count)
            .with("errors", json!(errors)),
            ImportError::TooManyRows { limit } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_rows",
                format!("the import would have more than this importer's limit of {limit} rows"),
            )
            .with("limit", limit),
            ImportError::TooFewRows { limit, rows } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_few_rows",
                format!(
                    "the import has {rows} rows and this importer needs at least {limit} {}; import a \
                     file with data rows",
                    if limit == 1 { "row" } else { "rows" }
                ),
            )
            .with("limit", limit)
            .with("rows", rows),
            ImportError::BinaryContent { row, column } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "binary_content",
                format!(
                    "row {row}, {column}: a cell holds a NUL character (U+0000), which no text file does; \
                     the rows come from a binary file, not a CSV file"
                ),
            )
            .with("row", row)
            .with("column", column),
            ImportError::Incomplete { missing } => Problem::new(
                StatusCode::CONFLICT,
                "incomplete",
                "batches are missing; send them, then complete again",
            )
            .with("missing", json!(missing)),
            ImportError::CountMismatch { batches, rows } => Problem::new(
                StatusCode::CONFLICT,
                "count_mismatch",
                format!("the server stored {batches} batches with {rows} rows, not the counts given"),
            )
            .with("batches", batches)
            .with("rows", rows),
            ImportError::StorageFull => Problem::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "storage_full",
                "the server has no room to store more data now; try again later",
            )
            .retry_after(RETRY_FULL),
            ImportError::Unavailable(detail) => {
                tracing::error!(detail, "storage unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the server cannot reach its storage now; try again later",
                )
                .retry_after(RETRY_UNAVAILABLE)
            }
            ImportError::Internal(cause) => Problem::internal(&cause.to_string()),
        }
    }
}

/// A query string that does not parse as the route's (a number out of range, a word that is
/// not one of those allowed).
pub(super) fn bad_query(
    error: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    let detail = format!("the query string is not what this route takes: {error}");
    Problem::new(StatusCode::BAD_REQUEST, "bad_query", detail).into()
}

/// A start refused for its token: each reason its own code.
fn start_refused(refusal: StartRefusal) -> Problem {
    let (code, detail) = match refusal {
        StartRefusal::Required => (
            "start_token_required",
            "this importer starts imports only with a start token signed by the host app's server; send it as startToken".to_owned(),
        ),
        StartRefusal::Invalid(why) => ("start_token_invalid", format!("the start token is not accepted: {why}")),
        StartRefusal::WrongImporter => ("start_token_wrong_importer", "the start token was signed for another importer".to_owned()),
        StartRefusal::Expired => ("start_token_expired", "the start token has expired; get a fresh one".to_owned()),
        StartRefusal::Mismatch => (
            "start_token_mismatch",
            "the user or attributes are not those the start token was signed for".to_owned(),
        ),
        StartRefusal::Used => ("start_token_used", "the start token was used already; get a fresh one for each start".to_owned()),
    };
    Problem::new(StatusCode::FORBIDDEN, code, detail)
}

/// No importer has the key in the URL.
pub(super) fn unknown_importer() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "unknown_importer",
        "no importer has this key; check the key in the embed code",
    )
}

/// A batch carrying file columns the importer leaves out: where, and what the client must do.
fn unmapped_refused(kept_columns: usize, first_row_with_extras: Option<u64>) -> Problem {
    let what = match (kept_columns, first_row_with_extras) {
        (0, Some(row)) => format!("row {row} has fields past the header"),
        (n, Some(row)) => {
            format!("the batch has {n} kept file columns and row {row} has fields past the header")
        }
        (n, None) => format!("the batch has {n} kept file columns"),
    };
    let problem = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unmapped_columns_refused",
        format!(
            "{what}, and this importer leaves the file's unmapped columns out (unmapped_columns = \
             \"leave_out\"); send only the schema's columns"
        ),
    )
    .with("keptColumns", kept_columns);
    match first_row_with_extras {
        Some(row) => problem.with("row", row),
        None => problem,
    }
}

fn closed(status: ImportStatus) -> Problem {
    let detail = match status {
        ImportStatus::Complete => "the import is complete and takes no more batches",
        ImportStatus::Expired | ImportStatus::Open => {
            "the import expired before it was completed; start a new import"
        }
        ImportStatus::Deleted => "the operator deleted this import; start a new import",
    };
    Problem::new(StatusCode::CONFLICT, "import_closed", detail).with("status", json!(status))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ErrorKind, StoreError};
    use actix_web::body::MessageBody;

    fn body(problem: Problem) -> Value {
        let response = problem.error_response();
        assert_eq!(response.headers().get("content-type").unwrap(), "application/problem+json");
        let bytes = response.into_body().try_into_bytes().unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn problems_have_a_type_status_code_and_detail() {
        let value = body(Problem::from(ImportError::TooManyRows { limit: 10 }));
        assert_eq!(value["type"], "urn:sluice:problem:too_many_rows");
        assert_eq!(value["status"], 422);
        assert_eq!(value["code"], "too_many_rows");
        assert_eq!(value["limit"], 10);
        assert!(value["detail"].as_str().unwrap().contains("limit of 10 rows"));
    }

    #[test]
    fn internal_errors_keep_their_detail_out_of_the_answer() {
        let cause = StoreError::new(ErrorKind::Corrupt, "sqlite: database disk image is malformed at page 7");
        let value = body(Problem::from(ImportError::from(cause)));
        assert_eq!((value["status"].as_u64(), value["code"].as_str()), (Some(500), Some("internal")));
        assert!(!value.to_string().contains("page 7"));
    }

    #[test]
    fn a_full_volume_is_a_507_with_a_time_to_wait_and_no_detail() {
        let response = Problem::from(ImportError::StorageFull).error_response();
        assert_eq!(response.status().as_u16(), 507);
        assert_eq!(response.headers().get("retry-after").unwrap(), "60");
        let value = body(Problem::from(ImportError::StorageFull));
        assert_eq!(value["code"], "storage_full");
        let value = body(Problem::from(ImportError::Unavailable("disk I/O error at page 7".into())));
        assert_eq!(
            (value["status"].as_u64(), value["code"].as_str()),
            (Some(503), Some("storage_unavailable"))
        );
        assert!(!value.to_string().contains("page 7"));
    }

    #[test]
    fn every_refusal_reads_the_same() {
        assert_eq!(body(Problem::from(ImportError::Rejected)), body(Problem::rejected()));
    }
}
