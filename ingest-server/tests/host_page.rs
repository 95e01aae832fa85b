//! Importers that hand rows to the host page (`host_page_rows`): the public config says so, an
//! importer that stores no rows (`never_store` without a destination) takes no batch and logs
//! the count the widget handed over, and an importer that also stores rows works as before.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use serde_json::json;
use sluice_server::client::{Client, FileInfo, Upload};
use support::{ADMIN_TOKEN, Server, batches, config, csv};

const ADMIN: &[(&str, &str)] = &[("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)];

const HOST_PAGE_ONLY: &str = "host_page_rows = true\n[importers.retention]\nmode = \"never_store\"";

fn start(client: &Client) -> Upload<'_> {
    client.start(&FileInfo::named("contacts.csv", 1234), Default::default(), Default::default()).unwrap()
}

/// The answer to a completion request with `body`: the status and the JSON.
fn complete(upload: &Upload<'_>, body: serde_json::Value) -> (u16, serde_json::Value) {
    let answer = upload.complete_raw(&body).unwrap();
    (answer.status, answer.json().unwrap())
}

#[test]
fn an_importer_that_hands_rows_to_the_host_page_only_takes_no_batch_and_logs_the_count() {
    let server = Server::with_env(&config("", HOST_PAGE_ONLY), ADMIN);
    let client = Client::new(&server.url, "demo").unwrap();
    let public = client.config().unwrap();
    assert!(public.host_page_rows && !public.stores_rows);

    let upload = start(&client);
    let refused = upload.send(&batches(&csv(3, |_| String::new()), 10, false)[0]).unwrap_err();
    assert_eq!(refused.code(), Some("rows_not_taken"), "{refused}");
    let (status, problem) = complete(&upload, json!({ "batches": 0, "rows": 0 }));
    assert_eq!((status, problem["code"].as_str()), (422, Some("too_few_rows")), "{problem}");
    let (status, done) = complete(&upload, json!({ "batches": 0, "rows": 0, "hostPageRows": 3 }));
    assert_eq!((status, done["rows"].as_u64()), (200, Some(0)), "{done}");

    let (_, import) =
        server.admin("GET", &format!("/v1/admin/imports/{}", upload.import_id), Some(ADMIN_TOKEN));
    assert_eq!(import["status"], "complete", "{import}");
    let completed =
        import["events"].as_array().unwrap().iter().find(|e| e["kind"] == "import_completed").unwrap();
    assert_eq!(completed["detail"]["hostPageRows"], 3, "{completed}");
    let (_, importers) = server.admin("GET", "/v1/admin/importers", Some(ADMIN_TOKEN));
    assert_eq!(importers["importers"][0]["hostPageRows"], true);
}

#[test]
fn rows_handed_to_the_host_page_stay_within_max_rows() {
    let server =
        Server::with_config(&config("", &format!("{HOST_PAGE_ONLY}\n[importers.limits]\nmax_rows = 10")));
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = start(&client);
    let (status, problem) = complete(&upload, json!({ "batches": 0, "rows": 0, "hostPageRows": 11 }));
    assert_eq!((status, problem["code"].as_str()), (422, Some("too_many_rows")), "{problem}");
}

#[test]
fn an_importer_that_also_stores_rows_takes_batches_and_logs_what_the_host_page_got() {
    let server = Server::with_env(&config("", "host_page_rows = true"), ADMIN);
    let client = Client::new(&server.url, "demo").unwrap();
    let public = client.config().unwrap();
    assert!(public.host_page_rows && public.stores_rows);
    let upload = start(&client);
    for batch in batches(&csv(30, |_| String::new()), 10, false) {
        upload.send(&batch).unwrap();
    }
    let (status, done) = complete(&upload, json!({ "batches": 3, "rows": 30, "hostPageRows": 30 }));
    assert_eq!((status, done["rows"].as_u64()), (200, Some(30)), "{done}");
    let (_, import) =
        server.admin("GET", &format!("/v1/admin/imports/{}", upload.import_id), Some(ADMIN_TOKEN));
    let completed =
        import["events"].as_array().unwrap().iter().find(|e| e["kind"] == "import_completed").unwrap();
    assert_eq!(completed["detail"]["hostPageRows"], 30, "{completed}");
}

#[test]
fn an_importer_without_host_page_rows_refuses_a_host_page_count() {
    let server = Server::start();
    let client = Client::new(&server.url, "demo").unwrap();
    assert!(!client.config().unwrap().host_page_rows);
    let upload = start(&client);
    upload.send(&batches(&csv(3, |_| String::new()), 10, false)[0]).unwrap();
    let (status, problem) = complete(&upload, json!({ "batches": 1, "rows": 3, "hostPageRows": 3 }));
    assert_eq!((status, problem["code"].as_str()), (400, Some("bad_request")), "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("host_page_rows = true"), "{problem}");
}
