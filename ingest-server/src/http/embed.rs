//! The widget over HTTP: the loader host pages include (`/sluice.js`), the importer app's files
//! (`/widget/…`, embedded in the binary at build time), and the page the loader frames,
//! `/embed/{importer}?origin=…`, which only that origin, one of the importer's allowed origins,
//! may frame (a strict CSP with `frame-ancestors`) and which tells the app the one origin it may talk to.

use super::State;
use super::problem::{Problem, unknown_importer};
use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, VARY};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

/// A file of the built widget.
pub(super) struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    gzip: Option<&'static [u8]>,
}

mod assets {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/widget_assets.rs"));
}

/// What the widget's scripts may do: run our own code and compile our WebAssembly, start our
/// worker, call this server; nothing from anywhere else.
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
    let mut response = HttpResponse::Ok();
    response
        .content_type(asset.content_type)
        .insert_header(("cache-control", "public, max-age=300"))
        .insert_header(("content-security-policy", ASSET_CSP))
        .insert_header((VARY, "accept-encoding"));
    Ok(match asset.gzip {
        Some(gzip) if accepts_gzip => response.insert_header((CONTENT_ENCODING, "gzip")).body(gzip),
        _ => response.body(asset.body),
    })
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
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("content-security-policy", csp))
        .body(page(&key, &importer.config.name, origin)))
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
<link rel="stylesheet" href="../widget/app/app.css">
<script type="module" src="../widget/app/app.js"></script>
</head>
<body>
<div id="sluice" data-importer="{key}" data-parent-origin="{origin}"></div>
</body>
</html>
"#,
        title = escape(name),
        key = escape(key),
        origin = escape(origin),
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
