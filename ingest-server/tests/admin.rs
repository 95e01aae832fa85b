//! The admin API's reads, which the dashboard shows: importers without secrets, imports with
//! file, user and error counts, rows page by page across batches, downloads neutralised or not,
//! pass-through imports never readable.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_server::client::{Client, FileInfo};
use support::receiver::{Behaviour, Receiver};
use support::{ADMIN_TOKEN, Server, batches, config, csv, webhook};

const ADMIN: &[(&str, &str)] = &[("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)];

fn import(server: &Server, file: &[u8], batch_rows: u32, invalid: bool) -> String {
    let client = Client::new(&server.url, "demo").unwrap();
    let user = serde_json::json!({ "user_id": "u_42" }).as_object().unwrap().clone();
    let upload =
        client.start(&FileInfo::named("people.csv", file.len() as u64), user, Default::default()).unwrap();
    for batch in batches(file, batch_rows, invalid) {
        upload.send(&batch).unwrap();
    }
    upload.complete_all().unwrap();
    upload.import_id.clone()
}

/// GET with the admin token: the status and the body as text.
fn text(server: &Server, path: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent
        .get(format!("{}{path}", server.url))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .call()
        .unwrap();
    (response.status().as_u16(), response.body_mut().read_to_string().unwrap())
}

#[test]
fn importers_imports_and_rows_are_shown_without_secrets_and_paged_across_batches() {
    let receiver = Receiver::start(Behaviour::default());
    let hook = webhook(&format!("{}?token=s3cr3t", receiver.url), "");
    let server = Server::with_env(&config("", &format!("invalid_rows = \"record\"\n{hook}")), ADMIN);
    let mut file = csv(250, |_| String::new());
    file.extend_from_slice(b"251,Bad,Email,not-an-email,+44 20 7946 0251,1990-01-02,pro,yes,\n");
    let id = import(&server, &file, 100, true);

    let (_, importers) = server.admin("GET", "/v1/admin/importers", Some(ADMIN_TOKEN));
    let text_of = importers.to_string();
    assert!(!text_of.contains("whsec_") && !text_of.contains("s3cr3t"), "no secret, no URL query: {text_of}");
    let shown = receiver.url.trim_end_matches("hooks").to_owned() + "…";
    assert_eq!(importers["importers"][0]["destinations"][0]["url"], shown, "no path, no query");
    assert_eq!(importers["importers"][0]["schema"]["columns"][0]["key"], "id");

    let (_, listed) = server.admin("GET", "/v1/admin/imports?importer=demo", Some(ADMIN_TOKEN));
    let first = &listed["imports"][0];
    assert_eq!((first["importId"].as_str(), first["rows"].as_u64()), (Some(id.as_str()), Some(251)));
    assert_eq!(first["file"]["name"], "people.csv");
    assert_eq!(first["user"]["user_id"], "u_42");
    assert_eq!(first["errors"]["email:email_missing_at"], 1);

    let (status, page) =
        server.admin("GET", &format!("/v1/admin/imports/{id}/rows?offset=95&limit=10"), Some(ADMIN_TOKEN));
    assert_eq!((status, page["total"].as_u64(), page["offset"].as_u64()), (200, Some(251), Some(95)));
    let numbers: Vec<u64> =
        page["rows"].as_array().unwrap().iter().map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (96..=105).collect::<Vec<_>>(), "a page across two batches");
    assert_eq!(page["rows"][0]["cells"]["email"], "user96@example.com");
    let (_, last) =
        server.admin("GET", &format!("/v1/admin/imports/{id}/rows?offset=250"), Some(ADMIN_TOKEN));
    assert_eq!(last["rows"][0]["invalid"], true);

    let (status, csv) = text(&server, &format!("/v1/admin/imports/{id}/download?format=csv"));
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 252, "a header and every row");
    assert!(lines[1].contains(",'+44 20 7946 0001,"), "{}", lines[1]);
    let (_, raw) = text(&server, &format!("/v1/admin/imports/{id}/download?format=csv&neutralize=false"));
    assert!(raw.contains(",+44 20 7946 0001,"));
    let (_, json) = text(&server, &format!("/v1/admin/imports/{id}/download?format=json"));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!((rows.len(), rows[0]["data"]["phone"].as_str()), (251, Some("'+44 20 7946 0001")));
    let (status, _) = text(&server, &format!("/v1/admin/imports/{id}/download?format=xml"));
    assert_eq!(status, 400);
}

#[test]
fn pass_through_rows_are_never_readable() {
    let receiver =
        Receiver::start(Behaviour { delay: std::time::Duration::from_secs(2), ..Behaviour::default() });
    let importer = format!("[importers.retention]\nmode = \"never_store\"\n{}", webhook(&receiver.url, ""));
    let server = Server::with_env(&config("", &importer), ADMIN);
    let id = import(&server, &csv(10, |_| String::new()), 10, false);
    let (status, problem) = server.admin("GET", &format!("/v1/admin/imports/{id}/rows"), Some(ADMIN_TOKEN));
    assert_eq!((status, problem["code"].as_str()), (410, Some("data_deleted")));
    let (status, _) = text(&server, &format!("/v1/admin/imports/{id}/download"));
    assert_eq!(status, 410);
}

#[test]
fn query_numbers_out_of_range_are_problem_documents() {
    let server = Server::with_env(&config("", ""), ADMIN);
    let id = import(&server, &csv(3, |_| String::new()), 10, false);
    for path in [
        format!("/v1/admin/imports/{id}/rows?offset=18446744073709551616"),
        format!("/v1/admin/imports/{id}/rows?limit=-1"),
        "/v1/admin/imports?limit=4294967296".to_owned(),
        "/v1/admin/audit?limit=9223372036854775808".to_owned(),
        format!("/v1/admin/imports/{id}/download?neutralize=maybe"),
    ] {
        let (status, problem) = server.admin("GET", &path, Some(ADMIN_TOKEN));
        assert_eq!((status, problem["code"].as_str()), (400, Some("bad_query")), "{path}: {problem}");
        assert!(problem["detail"].as_str().unwrap().contains("query"), "{problem}");
    }
    let (status, page) = server.admin(
        "GET",
        &format!("/v1/admin/imports/{id}/rows?offset=9223372036854775807"),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(
        (status, page["rows"].as_array().map(Vec::len)),
        (200, Some(0)),
        "a page past the end is empty"
    );
}
