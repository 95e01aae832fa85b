//! The operator's admin API under `/v1/admin`, behind `Authorization: Bearer <admin token>`
//! (`server.admin_token` or `SLUICE_ADMIN_TOKEN`; without one every route answers 401), and the
//! dashboard that uses it under `/admin`. A peer that sends a wrong token ten times in a minute is
//! refused (429) until the minute is over. Operator actions go to the audit log (events whose
//! kind starts with `admin_`), never with a cell value. See `docs/server.md`.
//!
//! - `reads`: what the operator sees (importers, imports, rows, downloads, dead letters, audit);
//! - `actions`: deletions and retries;
//! - `configure`: importers made in the dashboard (create, edit, disable, delete);
//! - `guard`: the count of failed attempts per peer;
//! - `ui`: the dashboard's files.

mod actions;
mod configure;
mod guard;
mod reads;
mod ui;

pub(super) use guard::FailureGuard;

use super::State;
use super::problem::Problem;
use crate::store::Event;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::middleware::{Next, from_fn};
use actix_web::{ResponseError, web};
use ring::digest::{SHA256, digest};

/// Registers the API, each route behind the token check, and the dashboard.
pub(super) fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/v1/admin")
            .wrap(from_fn(require_token))
            .route("/session", web::post().to(reads::session))
            .route("/importers", web::get().to(reads::importers))
            .route("/importers", web::post().to(configure::create))
            .route("/importers/check", web::post().to(configure::check))
            .route("/importers/{key}", web::put().to(configure::update))
            .route("/importers/{key}", web::delete().to(configure::delete))
            .route("/importers/{key}/disable", web::post().to(configure::disable))
            .route("/importers/{key}/enable", web::post().to(configure::enable))
            .route("/importers/{key}/destinations/{index}/rotate", web::post().to(configure::rotate))
            .route("/importers/{key}/destinations/{index}/test", web::post().to(configure::test_destination))
            .route("/imports", web::get().to(reads::imports))
            .route("/imports/{id}", web::get().to(reads::import))
            .route("/imports/{id}/rows", web::get().to(reads::rows))
            .route("/imports/{id}/download", web::get().to(reads::download))
            .route("/deliveries/dead", web::get().to(reads::dead_letters))
            .route("/audit", web::get().to(reads::audit_log))
            .route("/imports/{id}", web::delete().to(actions::delete_import))
            .route("/importers/{key}/data", web::delete().to(actions::delete_importer_data))
            .route("/data", web::delete().to(actions::delete_all))
            .route("/deliveries/{id}/retry", web::post().to(actions::retry)),
    );
    ui::routes(config);
}

/// Lets a request through only with the admin token; counts failures per peer, and answers a
/// peer that failed too often 429 (unless its token is right).
async fn require_token(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<State>>().cloned() else {
        return Ok(request.into_response(Problem::internal("no state").error_response()));
    };
    let given = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let refusal = match (&state.config.server.admin_token, given) {
        (None, _) => Some("the admin API is off: set server.admin_token or SLUICE_ADMIN_TOKEN"),
        (Some(_), None) => Some("send the admin token as Authorization: Bearer <token>"),
        (Some(token), Some(given)) if !same(token.expose(), given) => Some("the admin token is not valid"),
        _ => None,
    };
    let Some(detail) = refusal else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let peer = state.client_address(request.peer_addr(), request.headers());
    if let Some(wait) = peer.and_then(|ip| state.admin_guard.blocked(ip)) {
        let detail = "too many requests with a wrong admin token from this address; wait a minute";
        let mut response =
            Problem::new(StatusCode::TOO_MANY_REQUESTS, "too_many_failures", detail).error_response();
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(wait));
        return Ok(request.into_response(response));
    }
    if let (Some(ip), Some(_)) = (peer, given.filter(|g| !g.is_empty())) {
        let failures = state.admin_guard.failed(ip);
        if guard::worth_recording(failures) {
            let detail = serde_json::json!({ "route": request.path(), "failuresThisMinute": failures });
            audit(&state, None, "admin_sign_in_failed", detail);
        }
    }
    let mut response = Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail).error_response();
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"sluice-admin\""));
    Ok(request.into_response(response))
}

/// Compares two tokens in time independent of where they differ (through their digests).
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (digest(&SHA256, a.as_bytes()), digest(&SHA256, b.as_bytes()));
    a.as_ref().iter().zip(b.as_ref()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Records an operator action in the audit log (ids, counts and options only) and the log,
/// on the blocking pool, without waiting for the write.
fn audit(state: &State, import_id: Option<&str>, kind: &'static str, detail: serde_json::Value) {
    tracing::info!(import = import_id.unwrap_or("-"), %detail, "{kind}");
    let event = Event { import_id: import_id.map(str::to_owned), at: super::routes::now(), kind, detail };
    let imports = state.imports.clone();
    actix_web::rt::task::spawn_blocking(move || imports.audit_event(event));
}

/// No import has the id in the URL.
fn unknown_import() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "unknown_import", "no import has this id")
}
