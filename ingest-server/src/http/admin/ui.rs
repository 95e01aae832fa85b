//! The dashboard's files under `/admin`, built into the binary: one page, its script and its
//! style, under a CSP that allows nothing but themselves and calls to this server. The page
//! holds no data: the script asks the admin API for it with the token the operator typed.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

/// The dashboard's page.
const PAGE: &str = include_str!("../../../admin/index.html");

/// Its script.
const SCRIPT: &str = include_str!("../../../admin/admin.js");

/// Its style.
const STYLE: &str = include_str!("../../../admin/admin.css");

/// The dashboard's CSP: its own files and this server's API, nothing inline, never framed, and
/// no HTML built from strings (Trusted Types with no policy: `innerHTML` and the like fail).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
                   require-trusted-types-for 'script'; trusted-types 'none'";

/// Registers `/admin` and its two files.
pub(super) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/admin", web::get().to(|| async { file(PAGE, "text/html; charset=utf-8") }))
        .route("/admin/", web::get().to(|| async { file(PAGE, "text/html; charset=utf-8") }))
        .route("/admin/admin.js", web::get().to(|| async { file(SCRIPT, "text/javascript; charset=utf-8") }))
        .route("/admin/admin.css", web::get().to(|| async { file(STYLE, "text/css; charset=utf-8") }));
}

fn file(body: &'static str, media: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, media))
        .insert_header((CONTENT_SECURITY_POLICY, CSP))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(body)
}
