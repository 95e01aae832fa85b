//! CORS for the importer routes, from each importer's `allowed_origins`. A request with an
//! `Origin` the importer does not allow is refused outright (not only left without headers), so a
//! page that is not allowed cannot even start an import; a request without `Origin` (a server, the
//! Rust client) passes, and so does the server's own origin (the importer app it serves in the
//! frame, which only allowed origins may frame). Preflights are answered here and never reach a handler.

use super::State;
use super::problem::{Problem, unknown_importer};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};

/// Methods the importer routes answer.
const METHODS: &str = "GET, POST, PUT";

/// Request headers a page may send.
const REQUEST_HEADERS: &str = "authorization, content-type, sluice-first-row, sluice-row-count";

/// Response headers a page may read.
const EXPOSED_HEADERS: &str = "retry-after, sluice-replayed";

/// How long a browser may cache a preflight, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The middleware: checks the origin, answers preflights, adds the CORS headers to answers.
pub(super) async fn cors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let origin = match allowed_origin(&request) {
        Ok(origin) => origin,
        Err(problem) => return Ok(request.into_response(problem.error_response()).map_into_right_body()),
    };
    if request.method() == Method::OPTIONS {
        let response = preflight(origin.as_ref());
        return Ok(request.into_response(response).map_into_right_body());
    }
    let mut response = next.call(request).await?;
    if let Some(origin) = origin {
        add_headers(response.headers_mut(), origin);
    }
    Ok(response.map_into_left_body())
}

/// The request's origin if the importer allows it, `None` if there is none; an error if the
/// importer is unknown or the origin not allowed.
fn allowed_origin(request: &ServiceRequest) -> Result<Option<HeaderValue>, Problem> {
    let state = request.app_data::<web::Data<State>>().ok_or_else(|| Problem::internal("no state"))?;
    let key = request.match_info().get("key").unwrap_or_default();
    let importer = state.imports.importer(key).map_err(|_| unknown_importer())?;
    let Some(origin) = request.headers().get(header::ORIGIN) else { return Ok(None) };
    let allowed = origin.to_str().is_ok_and(|text| {
        text == state.own_origin || importer.config.allowed_origins.iter().any(|o| o == text)
    });
    if allowed {
        Ok(Some(origin.clone()))
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this page's origin is not in the importer's allowed_origins",
        ))
    }
}

fn preflight(origin: Option<&HeaderValue>) -> HttpResponse {
    let mut response = HttpResponse::NoContent().finish();
    let headers = response.headers_mut();
    if let Some(origin) = origin {
        add_headers(headers, origin.clone());
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(METHODS));
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(REQUEST_HEADERS));
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(PREFLIGHT_MAX_AGE));
    }
    response
}

fn add_headers(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED_HEADERS));
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}
