//! The HTTP face of the server (actix-web): routes of protocol v1, CORS per importer, security
//! headers, per-address rate limits, body limits and timeouts, TLS through rustls, and a request
//! log of methods, route patterns, statuses and problem codes (never bodies or cell values).

mod admin;
mod body;
mod cors;
mod embed;
mod forwarded;
mod problem;
mod rate;
mod routes;
mod tls;

pub use problem::Problem;
pub use rate::RateLimiter;
pub use routes::PROTOCOL;

use crate::config::Config;
use crate::importers::Importers;
use crate::imports::Imports;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpServer, web};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What every handler shares.
pub struct State {
    /// The import service.
    pub imports: Arc<Imports>,
    /// The importers made in the dashboard.
    pub importers: Arc<Importers>,
    /// The configuration.
    pub config: Arc<Config>,
    /// The per-address limiter, unless limits are off.
    pub limiter: Option<Arc<RateLimiter>>,
    /// The origin of `public_url`: the importer app's own, always allowed to call the API.
    pub own_origin: String,
    /// Failed admin-token attempts per peer.
    admin_guard: admin::FailureGuard,
}

impl State {
    fn body_timeout(&self) -> Duration {
        self.config.server.limits.body_timeout
    }

    /// The client's address: the peer, or behind a trusted proxy the address it forwards for.
    fn client_address(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let trusted = &self.config.server.trusted_proxies;
        peer.map(|peer| forwarded::client_address(peer.ip(), headers, trusted))
    }
}

/// A bound, not yet running server.
pub struct Bound {
    /// The server; await it to run.
    pub server: Server,
    /// Where it listens (the real port when the configuration said 0).
    pub address: SocketAddr,
    /// `http` or `https`.
    pub scheme: &'static str,
}

/// Binds the listener and builds the server; refuses plain HTTP off loopback unless allowed.
pub fn bind(config: Arc<Config>, imports: Arc<Imports>, importers: Arc<Importers>) -> Result<Bound, String> {
    let server_config = &config.server;
    let listen = server_config.listen;
    if server_config.tls.is_none() && !listen.ip().is_loopback() && !server_config.allow_plain_http {
        return Err(format!(
            "refusing to serve plain HTTP on {listen}, which is not a loopback address: configure \
             [server.tls], or set allow_plain_http = true behind a TLS-terminating proxy"
        ));
    }
    let tls = server_config.tls.as_ref().map(tls::server_config).transpose()?;
    let listener = TcpListener::bind(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let address = listener.local_addr().map_err(|e| format!("cannot read the listening address: {e}"))?;
    let limiter = server_config.limits.rate_limit.map(|rate| Arc::new(RateLimiter::new(rate)));
    let own_origin = own_origin(&server_config.public_url, address, tls.is_some());
    let admin_guard = admin::FailureGuard::default();
    let state = web::Data::new(State {
        imports,
        importers,
        config: Arc::clone(&config),
        limiter,
        own_origin,
        admin_guard,
    });
    let factory = move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::QueryConfig::default().error_handler(problem::bad_query))
            .service(routes::importer_routes(web::scope("/v1/importers/{key}")).wrap(from_fn(cors::cors)))
            .configure(embed::routes)
            .configure(admin::routes)
            .route("/health", web::get().to(routes::health))
            .route("/health/ready", web::get().to(routes::ready))
            .route("/", web::get().to(routes::index))
            .default_service(web::to(routes::not_found))
            .wrap(from_fn(rate::limit))
            .wrap(from_fn(security_headers))
            .wrap(from_fn(log))
    };
    let limits = &server_config.limits;
    let server = HttpServer::new(factory)
        .client_request_timeout(limits.header_timeout)
        .client_disconnect_timeout(Duration::from_secs(5))
        .shutdown_timeout(10);
    let (server, scheme) = match tls {
        Some(tls) => (server.listen_rustls_0_23(listener, tls), "https"),
        None => (server.listen(listener), "http"),
    };
    let server = server.map_err(|e| format!("cannot serve on {address}: {e}"))?;
    Ok(Bound { server: server.run(), address, scheme })
}

/// Headers on every answer: nothing is cached, sniffed, framed or referred; HSTS over TLS. A
/// handler that sets its own header keeps it; one that sets its own CSP (the embed page, whose
/// `frame-ancestors` lists the importer's origins) gets no `X-Frame-Options`.
async fn security_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = request.app_data::<web::Data<State>>().is_some_and(|s| s.config.server.tls.is_some());
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    let own_csp = headers.contains_key("content-security-policy");
    let defaults = [
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    for (name, value) in defaults {
        insert_missing(headers, name, value);
    }
    if !own_csp {
        insert_missing(headers, "x-frame-options", "DENY");
    }
    if https {
        insert_missing(headers, "strict-transport-security", "max-age=63072000; includeSubDomains");
    }
    Ok(response)
}

fn insert_missing(headers: &mut HeaderMap, name: &'static str, value: &'static str) {
    let name = HeaderName::from_static(name);
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// The origin browsers see this server at: `public_url`'s, or the bound address's when the
/// configuration asked for port 0 and left `public_url` to its default.
fn own_origin(public_url: &str, address: SocketAddr, https: bool) -> String {
    let scheme = if https { "https" } else { "http" };
    let unbound = SocketAddr::new(address.ip(), 0);
    if public_url == format!("{scheme}://{unbound}") {
        format!("{scheme}://{address}")
    } else {
        origin_of(public_url)
    }
}

/// `scheme://host[:port]` of a URL, as browsers send it in `Origin`.
fn origin_of(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    url[..end].to_owned()
}

/// Logs each request: method, route pattern, status, problem code, time. Successes at debug,
/// client errors at info, server errors at warn.
async fn log(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let method = request.method().clone();
    let response = next.call(request).await?;
    let route = response.request().match_pattern().unwrap_or_else(|| "-".to_owned());
    let status = response.status().as_u16();
    let code = response.response().error().and_then(|e| e.as_error::<Problem>()).map(Problem::code);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    match status {
        500.. => tracing::warn!(%method, route, status, code, ms, "request"),
        400..500 => tracing::info!(%method, route, status, code, ms, "request"),
        _ => tracing::debug!(%method, route, status, ms, "request"),
    }
    Ok(response)
}
