//! Reading request bodies under a size limit and a time limit. A declared `Content-Length` over
//! the limit is refused before a byte is read; a streamed body (chunked, or lying about its
//! length) is refused as soon as it passes the limit; a body that trickles is cut off when its
//! time is up.

use super::problem::Problem;
use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::web::{BytesMut, Payload};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Most bytes of a JSON request (create, complete).
pub(super) const JSON_LIMIT: usize = 64 * 1024;

/// Reads the whole body: at most `limit` bytes within `timeout`.
pub(super) async fn read(
    request: &HttpRequest,
    payload: Payload,
    limit: usize,
    timeout: Duration,
) -> Result<BytesMut, Problem> {
    let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(limit));
    }
    let capacity = declared.map_or(8 * 1024, |length| usize::try_from(length).unwrap_or(limit)).min(limit);
    match tokio::time::timeout(timeout, collect(payload, limit, capacity)).await {
        Ok(result) => result,
        Err(_) => Err(Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!("the request body did not arrive within {} seconds", timeout.as_secs_f64()),
        )),
    }
}

/// Reads and parses a JSON body of at most [`JSON_LIMIT`] bytes.
pub(super) async fn json<T: DeserializeOwned>(
    request: &HttpRequest,
    payload: Payload,
    timeout: Duration,
) -> Result<T, Problem> {
    json_within(request, payload, JSON_LIMIT, timeout).await
}

/// Reads and parses a JSON body of at most `limit` bytes.
pub(super) async fn json_within<T: DeserializeOwned>(
    request: &HttpRequest,
    payload: Payload,
    limit: usize,
    timeout: Duration,
) -> Result<T, Problem> {
    let bytes = read(request, payload, limit, timeout).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let where_ = format!("line {}, column {}", e.line(), e.column());
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("the request body is not the JSON expected ({where_}): {e}"),
        )
    })
}

async fn collect(mut payload: Payload, limit: usize, capacity: usize) -> Result<BytesMut, Problem> {
    let mut body = BytesMut::with_capacity(capacity);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "body_unreadable",
                format!("the request body could not be read: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn too_large(limit: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the request body is larger than {limit} bytes"),
    )
    .with("limit", limit)
}
