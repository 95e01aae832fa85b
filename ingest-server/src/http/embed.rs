//! The widget over HTTP: the loader host pages include (`/sluice.js`), the importer app's files
//! (`/widget/…`, embedded in the binary at build time), and the page the loader frames,
//! `/embed/{importer}?origin=…`, which only that origin, one of the importer's allowed origins,
//! may frame (a strict CSP with `frame-ancestors`) and which tells the app the one origin it may talk to.
//!
//! Caching: the app's files have content-hashed names and are immutable for a year; the loader
//! and the embed page keep their names, so they are cached briefly (the page: revalidated each
//! time) with a strong `ETag`, and `If-None-Match` gets 304 Not Modified.

use super::State;
use super::problem::{Problem, unknown_importer};
use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, ETAG, IF_NONE_MATCH, VARY};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

/// A file of the built widget.
pub(super) struct Asset {
    path: &'static str,
    content_type: &'static str,
    /// A content-hashed name: its bytes never change.
    immutable: bool,
    body: &'static [u8],
    gzip: Option<&'static [u8]>,
}

mod assets {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/widget_assets.rs"));
}

/// What the widget's scripts may do: run our own code and compile our WebAssembly, start our
/// worker, call this server; nothing from anywhere else.
/// A file whose name changes with its content.
const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The loader, whose URL host pages hard-code: a short cache, then a revalidation.
const CACHE_LOADER: &str = "public, max-age=300";
/// The embed page names the app's current files: always revalidated.
const CACHE_PAGE: &str = "no-cache";

const ASSET_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; \
                         connect-src 'self'; frame-ancestors 'none'";

/// Registers the widget's routes.
pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/sluice.js", web::get().to(loader))
        .route("/widget/{path:.*}", web::get().to(asset))
        .route("/embed/{key}", web::get().to(embed));
}

/// `GET /sluice.js`: the loader, for `<script src>` on any host page (the importer's allowed
/// origins are checked when it opens an importer, not here).
async fn loader(request: HttpRequest) -> Result<HttpResponse, Problem> {
    let mut response = serve(&request, "sluice.js")?;
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("cross-origin-resource-policy"),
        actix_web::http::header::HeaderValue::from_static("cross-origin"),
    );
    Ok(response)
}

/// `GET /widget/{path}`: a file of the importer app.
async fn asset(request: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, Problem> {
    serve(&request, &path)
}

fn serve(request: &HttpRequest, path: &str) -> Result<HttpResponse, Problem> {
    if assets::ASSETS.is_empty() {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "widget_not_built",
            "this server was built without the widget; run `make widget`, then build it again",
        ));
    }
    let asset = assets::ASSETS.iter().find(|a| a.path == path).ok_or_else(not_found)?;
    let accepts_gzip = request
        .headers()
        .get(ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let gzip = asset.gzip.filter(|_| accepts_gzip);
    let mut response = if asset.immutable {
        let mut response = HttpResponse::Ok();
        response.insert_header(("cache-control", CACHE_IMMUTABLE));
        response
    } else {
        // The gzipped bytes are another representation, so another strong tag.
        let tag = entity_tag(asset.body, if gzip.is_some() { "-gzip" } else { "" });
        match revalidate(request, tag, CACHE_LOADER, ASSET_CSP) {
            Revalidated::NotModified(not_modified) => return Ok(not_modified),
            Revalidated::Send(response) => response,
        }
    };
    response
        .content_type(asset.content_type)
        .insert_header(("content-security-policy", ASSET_CSP))
        .insert_header((VARY, "accept-encoding"));
    Ok(match gzip {
        Some(gzip) => response.insert_header((CONTENT_ENCODING, "gzip")).body(gzip),
        None => response.body(asset.body),
    })
}

/// A strong entity tag for `body`: its SHA-256, shortened, with `suffix`.
fn entity_tag(body: &[u8], suffix: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, body);
    let hex: String = digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}{suffix}\"")
}

/// What a request with a tagged answer gets.
enum Revalidated {
    /// 304: the client's copy is current.
    NotModified(HttpResponse),
    /// 200, its tag and cache headers set, for the caller to finish with the body.
    Send(actix_web::HttpResponseBuilder),
}

/// 304 Not Modified when the request's `If-None-Match` holds `tag` (or `*`), else a 200 to send;
/// both carry the tag, `cache_control` and `csp` (a browser applies a 304's headers to its
/// copy, so a 304 without the page's CSP would replace it with the server's default).
fn revalidate(request: &HttpRequest, tag: String, cache_control: &'static str, csp: &str) -> Revalidated {
    let matches = request.headers().get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == tag || t == "*")
    });
    let builder = |mut builder: actix_web::HttpResponseBuilder| {
        builder
            .insert_header((ETAG, tag.clone()))
            .insert_header(("cache-control", cache_control))
            .insert_header(("content-security-policy", csp.to_owned()))
            .insert_header((VARY, "accept-encoding"));
        builder
    };
    if matches {
        Revalidated::NotModified(builder(HttpResponse::NotModified()).finish())
    } else {
        Revalidated::Send(builder(HttpResponse::Ok()))
    }
}

fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "no such file in the widget")
}

/// The query of `/embed/{key}`.
#[derive(Deserialize)]
struct EmbedQuery {
    /// The host page's origin, as the loader saw it.
    origin: Option<String>,
}

/// `GET /embed/{key}?origin=…`: the importer app's page. The origin must be one the importer
/// allows; the page may only be framed by that origin (`frame-ancestors`), and the app only
/// ever posts messages to it.
async fn embed(
    request: HttpRequest,
    state: web::Data<State>,
    key: web::Path<String>,
    query: web::Query<EmbedQuery>,
) -> Result<HttpResponse, Problem> {
    let importer = state.imports.importer(&key).map_err(|_| unknown_importer())?;
    let allowed = &importer.config.allowed_origins;
    let origin = query.origin.as_deref().filter(|o| allowed.iter().any(|a| a == o)).ok_or_else(|| {
        Problem::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this page's origin is not in the importer's allowed_origins",
        )
    })?;
    let csp = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; \
         style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors {origin}"
    );
    let html = page(&key, &importer.config.name, origin);
    Ok(match revalidate(&request, entity_tag(html.as_bytes(), ""), CACHE_PAGE, &csp) {
        Revalidated::NotModified(not_modified) => not_modified,
        Revalidated::Send(mut response) => response.content_type("text/html; charset=utf-8").body(html),
    })
}

/// The app's HTML: asset paths are relative, so a path prefix in `public_url` works.
fn page(key: &str, name: &str, origin: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="../widget/{css}">
<script type="module" src="../widget/{js}"></script>
</head>
<body>
<div id="sluice" data-importer="{key}" data-parent-origin="{origin}"></div>
</body>
</html>
"#,
        title = escape(name),
        key = escape(key),
        origin = escape(origin),
        css = assets::APP_CSS,
        js = assets::APP_JS,
    )
}

/// Escapes text for HTML content and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_escapes_what_it_puts_in_html() {
        let html = page("demo", "<Contacts & \"Co\">", "http://127.0.0.1:8080");
        assert!(html.contains("<title>&lt;Contacts &amp; &quot;Co&quot;&gt;</title>"));
        assert!(html.contains(r#"data-parent-origin="http://127.0.0.1:8080""#));
    }
}
