//! The HTTP layer against the real server: body limits and timeouts on raw sockets, CORS,
//! security headers, health, rate limits, TLS, the widget's files and embed page, templates.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_server::client::Client;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::{Server, config};

/// Sends `head` (request line and headers, without the blank line) and `body` on a raw socket,
/// then reads whatever answer comes within `wait`.
fn raw(server: &Server, head: &str, body: &[u8], wait: Duration) -> String {
    let mut stream = TcpStream::connect(server.address()).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    let head = format!("{head}\r\nhost: {}\r\nconnection: close\r\n\r\n", server.address());
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    read_answer(&mut stream)
}

/// Reads one answer: its head, then as many body bytes as its `content-length` says (the
/// connection may stay open after it).
fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buffer = [0; 8192];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned)
                })
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return text;
            }
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return text,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
        }
    }
}

fn put_head(length: u64) -> String {
    format!(
        "PUT /v1/importers/demo/imports/imp_x/batches/0 HTTP/1.1\r\nauthorization: Bearer sut_x\r\n\
         sluice-first-row: 1\r\nsluice-row-count: 1\r\ncontent-length: {length}"
    )
}

#[test]
fn an_oversized_body_is_refused_from_its_length_before_it_is_sent() {
    let server =
        Server::with_config(&config("max_body = \"1MiB\"", "[importers.limits]\nbatch_bytes = \"1MiB\""));
    let started = Instant::now();
    let answer = raw(&server, &put_head(100 << 20), b"", Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":\"body_too_large\""), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3), "answered without waiting for the 100 MiB");
}

#[test]
fn a_streamed_body_is_cut_off_once_it_passes_the_limit() {
    let server =
        Server::with_config(&config("max_body = \"64KiB\"", "[importers.limits]\nbatch_bytes = \"64KiB\""));
    let mut stream = TcpStream::connect(server.address()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let head = "PUT /v1/importers/demo/imports/imp_x/batches/0 HTTP/1.1\r\nauthorization: Bearer sut_x\r\n\
                sluice-first-row: 1\r\nsluice-row-count: 1\r\ntransfer-encoding: chunked\r\nhost: x\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'x'; 16 * 1024];
    let mut sent = 0;
    // Keep sending until the server answers and closes; it must not take the whole 10 MiB.
    while sent < 10 << 20 {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&framed).is_err() {
            break;
        }
        sent += chunk.len();
        if sent > (1 << 20) {
            break;
        }
    }
    let answer = read_answer(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[test]
fn a_body_that_trickles_times_out() {
    let server = Server::with_config(&config("body_timeout = \"1s\"", ""));
    let started = Instant::now();
    let answer = raw(&server, &put_head(1000), b"only a little", Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"body_timeout\""), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn headers_that_never_end_time_out() {
    let server = Server::with_config(&config("header_timeout = \"1s\"", ""));
    let mut stream = TcpStream::connect(server.address()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n").unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(started.elapsed() < Duration::from_secs(4), "the connection was dropped or answered in time");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn cors_follows_the_importer_allowed_origins() {
    let server = Server::start();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let url = format!("{}/v1/importers/demo/imports", server.url);
    let preflight = agent
        .options(&url)
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .call()
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let header = |r: &ureq::http::Response<ureq::Body>, name: &str| {
        r.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    };
    assert_eq!(header(&preflight, "access-control-allow-origin"), "https://app.example.com");
    assert!(header(&preflight, "access-control-allow-methods").contains("PUT"));
    assert!(header(&preflight, "access-control-allow-headers").contains("sluice-row-count"));
    assert_eq!(header(&preflight, "vary"), "Origin");

    let allowed = agent
        .get(format!("{}/v1/importers/demo", server.url))
        .header("origin", "https://app.example.com")
        .call()
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(header(&allowed, "access-control-allow-origin"), "https://app.example.com");

    let mut other = agent
        .get(format!("{}/v1/importers/demo", server.url))
        .header("origin", "https://evil.example")
        .call()
        .unwrap();
    assert_eq!(other.status(), 403);
    assert_eq!(header(&other, "access-control-allow-origin"), "");
    assert_eq!(other.body_mut().read_json::<serde_json::Value>().unwrap()["code"], "origin_not_allowed");
    let other_preflight = agent.options(&url).header("origin", "https://evil.example").call().unwrap();
    assert_eq!(other_preflight.status(), 403);

    // The importer app the server itself serves (in the frame) calls from the server's origin.
    let own =
        agent.get(format!("{}/v1/importers/demo", server.url)).header("origin", &server.url).call().unwrap();
    assert_eq!(own.status(), 200);
    assert_eq!(header(&own, "access-control-allow-origin"), server.url);
}

#[test]
fn the_template_is_a_csv_attachment_in_the_language_asked_for_under_the_importer_origin_rules() {
    let server = Server::with_schema(
        "version = 1\nname = \"Contacts\"\n\
         [[columns]]\nkey = \"email\"\ntype = \"email\"\nrequired = true\nlabel = { en = \"Email\", de = \"E-Mail\" }\n\
         [[columns]]\nkey = \"joined\"\ntype = \"date\"\nformats = [\"%d.%m.%Y\"]\nlabel = { en = \"Joined, on\", de = \"Beitritt\" }\n\
         [[columns]]\nkey = \"phone\"\ntype = \"regex\"\npattern = \"[0-9]{6,}\"\ntransform = [\"digits\"]\nexample = \"+41 44 668 18 00\"\n",
    );
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let url = format!("{}/v1/importers/demo/template.csv", server.url);
    let mut plain = agent.get(&url).call().unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, "content-type"), "text/csv; charset=utf-8");
    assert_eq!(header(&plain, "content-disposition"), "attachment; filename=\"Contacts-template.csv\"");
    assert_eq!(header(&plain, "cache-control"), "no-store");
    let english = plain.body_mut().read_to_string().unwrap();
    assert_eq!(english, "Email,\"Joined, on\",phone\r\nname@example.com,31.12.2024,+41 44 668 18 00\r\n");

    let mut german = agent.get(format!("{url}?language=de-CH&bom=true")).call().unwrap();
    let german = german.body_mut().read_to_string().unwrap();
    assert_eq!(german, "\u{feff}E-Mail,Beitritt,phone\r\nname@example.com,31.12.2024,+41 44 668 18 00\r\n");
    let schema = Client::new(&server.url, "demo").unwrap().config().unwrap().schema().unwrap();
    let mut import = sluice_parser::import::Import::new(&schema, Default::default()).unwrap();
    import.feed(german.as_bytes()).unwrap();
    let summary = import.finish().unwrap();
    assert_eq!((summary.report.valid_rows, summary.report.invalid_rows), (1, 0), "its example row passes");
    assert!(summary.mapping.columns.iter().all(|c| c.source.is_some()), "its header maps back");

    let allowed = agent.get(&url).header("origin", "https://app.example.com").call().unwrap();
    assert_eq!(header(&allowed, "access-control-allow-origin"), "https://app.example.com");
    let mut other = agent.get(&url).header("origin", "https://evil.example").call().unwrap();
    assert_eq!(other.status(), 403);
    assert_eq!(other.body_mut().read_json::<serde_json::Value>().unwrap()["code"], "origin_not_allowed");
    let mut unknown = agent.get(format!("{}/v1/importers/nope/template.csv", server.url)).call().unwrap();
    assert_eq!(unknown.body_mut().read_json::<serde_json::Value>().unwrap()["code"], "unknown_importer");
    let mut misspelt = agent.get(format!("{url}?lang=de")).call().unwrap();
    assert_eq!(misspelt.status(), 400);
    assert_eq!(misspelt.body_mut().read_json::<serde_json::Value>().unwrap()["code"], "bad_query");
}

/// The widget's file `name` (as in widget-js/src) under its content-hashed name, from the
/// manifest the widget build writes.
fn hashed(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../widget-js/dist/manifest.json");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}; the widget is built before the server (make widget)"));
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    manifest[name].as_str().unwrap().to_owned()
}

fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> String {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[test]
fn the_embed_page_is_framed_only_by_the_importer_origins() {
    let server = Server::start();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut page =
        agent.get(format!("{}/embed/demo?origin=https%3A%2F%2Fapp.example.com", server.url)).call().unwrap();
    assert_eq!(page.status(), 200);
    let csp = header(&page, "content-security-policy");
    assert!(csp.ends_with("frame-ancestors https://app.example.com"), "{csp}");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert_eq!(header(&page, "x-frame-options"), "", "frame-ancestors decides, not X-Frame-Options");
    assert!(header(&page, "set-cookie").is_empty());
    let html = page.body_mut().read_to_string().unwrap();
    assert!(html.contains(r#"data-parent-origin="https://app.example.com""#), "{html}");
    assert!(html.contains(&format!(r#"src="../widget/{}""#, hashed("app/app.js"))), "{html}");
    assert!(html.contains(&format!(r#"href="../widget/{}""#, hashed("app/app.css"))), "{html}");

    for origin in ["https%3A%2F%2Fevil.example", ""] {
        let refused = agent.get(format!("{}/embed/demo?origin={origin}", server.url)).call().unwrap();
        assert_eq!(refused.status(), 403, "origin {origin:?}");
        assert!(header(&refused, "content-security-policy").contains("frame-ancestors 'none'"));
    }
    let unknown =
        agent.get(format!("{}/embed/nope?origin=https%3A%2F%2Fapp.example.com", server.url)).call().unwrap();
    assert_eq!(unknown.status(), 404);
}

#[test]
fn the_widget_files_are_served_from_the_binary_gzipped_when_asked() {
    let server = Server::start();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let loader =
        agent.get(format!("{}/sluice.js", server.url)).header("accept-encoding", "identity").call().unwrap();
    assert_eq!(loader.status(), 200, "the widget is built before the server (make widget)");
    assert!(header(&loader, "content-type").starts_with("text/javascript"));
    assert_eq!(
        header(&loader, "cross-origin-resource-policy"),
        "cross-origin",
        "host pages of any origin load it"
    );
    assert_eq!(header(&loader, "content-encoding"), "");
    for (name, kind) in [
        ("app/app.js", "text/javascript"),
        ("app/worker.js", "text/javascript"),
        ("app/app.css", "text/css"),
        ("wasm/sluice_parser_bg.wasm", "application/wasm"),
        ("wasm/sluice_parser_sheets_bg.wasm", "application/wasm"),
    ] {
        let path = format!("/widget/{}", hashed(name));
        let gzipped =
            agent.get(format!("{}{path}", server.url)).header("accept-encoding", "gzip, br").call().unwrap();
        assert_eq!(gzipped.status(), 200, "{path}");
        assert!(header(&gzipped, "content-type").starts_with(kind), "{path}");
        assert_eq!(header(&gzipped, "content-encoding"), "gzip", "{path}");
        assert!(header(&gzipped, "content-security-policy").contains("'wasm-unsafe-eval'"), "{path}");
    }
    let missing = agent.get(format!("{}/widget/app/nope.js", server.url)).call().unwrap();
    assert_eq!(missing.status(), 404);
    let unhashed = agent.get(format!("{}/widget/app/app.js", server.url)).call().unwrap();
    assert_eq!(unhashed.status(), 404, "the app is served under its content-hashed name only");
}

#[test]
fn the_app_files_are_immutable_and_the_loader_and_page_revalidate_with_an_etag() {
    let server = Server::start();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    for name in ["app/app.js", "app/worker.js", "app/app.css", "wasm/sluice_parser_bg.wasm"] {
        assert!(hashed(name).contains('.'), "{name} has a hashed name");
        let file = agent.get(format!("{}/widget/{}", server.url, hashed(name))).call().unwrap();
        assert_eq!(file.status(), 200, "{name}");
        assert_eq!(header(&file, "cache-control"), "public, max-age=31536000, immutable", "{name}");
    }
    let page = format!("{}/embed/demo?origin=https%3A%2F%2Fapp.example.com", server.url);
    for (url, cache_control) in
        [(format!("{}/sluice.js", server.url), "public, max-age=300"), (page.clone(), "no-cache")]
    {
        for encoding in ["identity", "gzip"] {
            let first = agent.get(&url).header("accept-encoding", encoding).call().unwrap();
            assert_eq!(first.status(), 200, "{url}");
            assert_eq!(header(&first, "cache-control"), cache_control, "{url}");
            let tag = header(&first, "etag");
            assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() > 20, "a strong ETag: {tag}");
            let again = agent
                .get(&url)
                .header("accept-encoding", encoding)
                .header("if-none-match", &tag)
                .call()
                .unwrap();
            assert_eq!(again.status(), 304, "{url} with its ETag, {encoding}");
            assert_eq!(header(&again, "etag"), tag);
            assert_eq!(
                header(&again, "content-security-policy"),
                header(&first, "content-security-policy"),
                "a 304's headers replace the cached ones: {url}"
            );
            let stale = agent
                .get(&url)
                .header("accept-encoding", encoding)
                .header("if-none-match", r#""0123456789abcdef0123456789abcdef""#)
                .call()
                .unwrap();
            assert_eq!(stale.status(), 200, "{url} with another ETag");
        }
    }
    let loader = |encoding| {
        let answer =
            agent.get(format!("{}/sluice.js", server.url)).header("accept-encoding", encoding).call();
        header(&answer.unwrap(), "etag")
    };
    assert_ne!(loader("gzip"), loader("identity"), "the gzipped loader is another representation");
}

#[test]
fn every_answer_carries_security_headers_and_no_cookie() {
    let server = Server::start();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    for path in ["/health", "/v1/importers/demo", "/v1/importers/missing", "/"] {
        let response = agent.get(format!("{}{path}", server.url)).call().unwrap();
        let headers = response.headers();
        assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff", "{path}");
        assert_eq!(headers.get("cache-control").unwrap(), "no-store", "{path}");
        assert_eq!(headers.get("x-frame-options").unwrap(), "DENY", "{path}");
        assert_eq!(headers.get("referrer-policy").unwrap(), "no-referrer", "{path}");
        assert!(headers.get("content-security-policy").is_some(), "{path}");
        assert!(headers.get("set-cookie").is_none(), "{path}");
        assert!(headers.get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    }
    let mut health = agent.get(format!("{}/health", server.url)).call().unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.body_mut().read_json::<serde_json::Value>().unwrap()["status"], "ok");
}

#[test]
fn a_flood_from_one_address_is_slowed_with_429() {
    let server = Server::with_config(&config("rate_limit = 5", ""));
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let statuses: Vec<u16> = (0..12)
        .map(|_| agent.get(format!("{}/health", server.url)).call().unwrap().status().as_u16())
        .collect();
    assert!(statuses[..5].iter().all(|&s| s == 200), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    let limited = agent.get(format!("{}/health", server.url)).call().unwrap();
    assert_eq!(limited.headers().get("retry-after").unwrap(), "1");
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(agent.get(format!("{}/health", server.url)).call().unwrap().status(), 200);
}

#[test]
fn tls_serves_https_with_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    let text = config("", "").replace(
        "[server.limits]",
        "[server.tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n\n[server.limits]",
    );
    std::fs::write(dir.path().join("sluice.toml"), text).unwrap();
    let server = Server::in_dir(dir, &[]);
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);
    let url = server.url.replace("127.0.0.1", "localhost");
    let client = Client::with_root_certificate(&url, "demo", certified.cert.pem().as_bytes()).unwrap();
    assert_eq!(client.config().unwrap().key, "demo");
    let plain = raw(&server, "GET /health HTTP/1.1", b"", Duration::from_secs(2));
    assert!(!plain.contains("\"status\":\"ok\""), "plain HTTP is not served on the TLS port");
}

#[test]
fn plain_http_off_loopback_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let text = config("", "").replace(
        "listen = \"127.0.0.1:0\"",
        "listen = \"0.0.0.0:0\"\npublic_url = \"https://sluice.example.com\"",
    );
    std::fs::write(dir.path().join("sluice.toml"), &text).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check-config"])
        .arg(dir.path().join("sluice.toml"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sluice.toml:"), "{stderr}");
    assert!(stderr.contains("allow_plain_http"), "{stderr}");
    let allowed = text.replace("[server.limits]", "allow_plain_http = true\n\n[server.limits]");
    std::fs::write(dir.path().join("sluice.toml"), &allowed).unwrap();
    let server = Server::in_dir(dir, &[]);
    assert!(server.url.starts_with("http://0.0.0.0:"), "behind a TLS proxy: {}", server.url);
}

/// The test configuration with `trusted_proxies` set and a rate limit of `rate` a second.
fn behind_proxy(trusted: &str, rate: u32) -> String {
    config(&format!("rate_limit = {rate}"), "")
        .replace("data_dir = \"data\"", &format!("data_dir = \"data\"\ntrusted_proxies = [{trusted}]"))
}

/// The status of `GET /health` with one extra header.
fn health_with(server: &Server, header: (&str, &str)) -> u16 {
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    agent.get(format!("{}/health", server.url)).header(header.0, header.1).call().unwrap().status().as_u16()
}

#[test]
fn users_behind_a_trusted_proxy_get_a_rate_budget_each() {
    let server = Server::with_config(&behind_proxy("\"127.0.0.1\", \"::1/128\", \"10.0.0.0/8\"", 3));
    let first: Vec<u16> = (0..5).map(|_| health_with(&server, ("x-forwarded-for", "203.0.113.7"))).collect();
    assert_eq!(&first[..3], [200, 200, 200], "{first:?}");
    assert_eq!(first[3..], [429, 429], "{first:?}");
    assert_eq!(
        health_with(&server, ("x-forwarded-for", "198.51.100.9")),
        200,
        "another user, another budget"
    );
    let through_two_proxies = ("x-forwarded-for", "203.0.113.7, 10.1.2.3");
    assert_eq!(health_with(&server, through_two_proxies), 429, "trusted hops are skipped, right to left");
    let forged_on_the_left = ("x-forwarded-for", "198.51.100.9, 192.0.2.44");
    assert_eq!(health_with(&server, forged_on_the_left), 200, "the first untrusted address from the right");
    let forwarded = ("forwarded", "for=203.0.113.7;proto=https, for=\"[2001:db8:cafe::17]:4711\"");
    assert_eq!(health_with(&server, forwarded), 200, "RFC 7239 Forwarded, IPv6 with a port");
    for _ in 0..3 {
        health_with(&server, ("forwarded", "for=\"[2001:db8:cafe::17]\""));
    }
    assert_eq!(
        health_with(&server, ("x-forwarded-for", "2001:db8:cafe::17")),
        429,
        "the same user either way"
    );
    let plain: Vec<u16> =
        (0..4).map(|_| health_with(&server, ("x-forwarded-for", "not an address"))).collect();
    assert_eq!(plain[3], 429, "a malformed header counts against the proxy itself: {plain:?}");
}

#[test]
fn a_forwarded_address_from_a_peer_that_is_not_trusted_changes_nothing() {
    let server = Server::with_config(&behind_proxy("\"10.0.0.0/8\", \"2001:db8::/32\"", 3));
    let statuses: Vec<u16> =
        (0..5u8).map(|n| health_with(&server, ("x-forwarded-for", &format!("203.0.113.{n}")))).collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429], "one budget for the peer, whatever it claims");
}

#[test]
fn wrong_admin_tokens_count_against_the_user_behind_the_proxy_not_everyone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.toml"), behind_proxy("\"127.0.0.1\"", 1000)).unwrap();
    let server = Server::in_dir(dir, &[("SLUICE_ADMIN_TOKEN", support::ADMIN_TOKEN)]);
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let session = |client: &str, token: &str| {
        let url = format!("{}/v1/admin/session", server.url);
        let request = agent
            .post(url)
            .header("x-forwarded-for", client)
            .header("authorization", format!("Bearer {token}"));
        request.send_empty().unwrap().status().as_u16()
    };
    let guesses: Vec<u16> = (0..11).map(|_| session("203.0.113.7", "wrong-token")).collect();
    assert_eq!(guesses[10], 429, "{guesses:?}");
    assert_eq!(session("198.51.100.9", "wrong-token"), 401, "another user behind the proxy is not blocked");
    assert_eq!(session("203.0.113.7", support::ADMIN_TOKEN), 204, "the right token always passes");
}
