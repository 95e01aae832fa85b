//! Importers made in the dashboard, through the admin API of the real server: made, edited,
//! disabled and deleted while it runs, taking imports and delivering at once, kept across a
//! restart with their secrets sealed; settings checked as the file's are, each problem named by
//! its field; every change audited without a secret; the file's importers read-only.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use sluice_server::client::{Client, FileInfo};
use sluice_server::delivery::sign;
use std::time::Duration;
use support::receiver::{Behaviour, Received, Receiver};
use support::{ADMIN_TOKEN, Server, batches, config, csv, schema};

const ADMIN: &[(&str, &str)] = &[("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)];

/// An importer `key` on the example schema, with `destinations`.
fn document(key: &str, destinations: Value) -> Value {
    let schema: Value = serde_json::from_str(&schema().to_json()).unwrap();
    json!({
        "key": key,
        "name": "CRM contacts",
        "allowed_origins": ["https://crm.example.com"],
        "schema": schema,
        "destinations": destinations,
    })
}

/// Uploads `rows` rows of the example file to importer `key` and completes the import.
fn import_to(server: &Server, key: &str, rows: u64) -> String {
    let file = csv(rows, |_| String::new());
    let client = Client::new(&server.url, key).unwrap();
    let upload = client
        .start(&FileInfo::named("contacts.csv", file.len() as u64), Default::default(), Default::default())
        .unwrap();
    for batch in batches(&file, 50, false) {
        upload.send(&batch).unwrap();
    }
    assert_eq!(upload.complete_all().unwrap().rows, rows);
    upload.import_id.clone()
}

/// The audit log's entries, newest first.
fn audit(server: &Server) -> Vec<Value> {
    let (status, audit) = server.admin("GET", "/v1/admin/audit", Some(ADMIN_TOKEN));
    assert_eq!(status, 200);
    audit["entries"].as_array().unwrap().clone()
}

/// Whether `message`'s signatures include one made with `secret`.
fn verifies(message: &Received, secret: &str) -> bool {
    let timestamp = message.timestamp.to_string();
    sign::verify(secret, &message.id, &timestamp, &message.signature, &message.raw, now(), 300).is_ok()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn an_importer_made_in_the_dashboard_takes_imports_delivers_signed_and_survives_a_restart() {
    let receiver = Receiver::start(Behaviour::default());
    let server = Server::with_env(&config("", ""), ADMIN);
    let hook =
        json!([{ "type": "webhook", "url": receiver.url, "allow_private_network": true, "chunk_rows": 100 }]);
    let (status, made) =
        server.admin_with("POST", "/v1/admin/importers", &json!({ "document": document("crm", hook) }));
    assert_eq!(status, 201, "{made}");
    let secret = made["secrets"][0]["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 40);
    assert_eq!(
        (made["importer"]["source"].as_str(), made["importer"]["disabled"].as_bool()),
        (Some("dashboard"), Some(false))
    );
    let id = made["importer"]["document"]["destinations"][0]["id"].as_str().unwrap().to_owned();

    let (_, listed) = server.admin("GET", "/v1/admin/importers", Some(ADMIN_TOKEN));
    assert!(!listed.to_string().contains(&secret), "the secret is shown once, on creation");
    let sources: Vec<(&str, &str)> = listed["importers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["key"].as_str().unwrap(), i["source"].as_str().unwrap()))
        .collect();
    assert_eq!(sources, [("crm", "dashboard"), ("demo", "file")]);

    let import = import_to(&server, "crm", 150);
    let delivered = receiver.wait_for(3, Duration::from_secs(20));
    for message in &delivered {
        assert_eq!(message.body["data"]["importId"], import.as_str());
        let timestamp = message.timestamp.to_string();
        sign::verify(&secret, &message.id, &timestamp, &message.signature, &message.raw, now(), 300).unwrap();
    }

    let dir = server.kill9();
    let data = std::fs::read(dir.path().join("data/sluice.db")).unwrap();
    let key_part = secret.trim_start_matches("whsec_");
    assert!(!data.windows(key_part.len()).any(|w| w == key_part.as_bytes()), "the secret is sealed at rest");
    let server = Server::in_dir(dir, ADMIN);
    let (_, listed) = server.admin("GET", "/v1/admin/importers", Some(ADMIN_TOKEN));
    assert_eq!(listed["importers"][0]["document"]["destinations"][0]["id"], id.as_str());
    import_to(&server, "crm", 10);
    let delivered = receiver.wait_for(5, Duration::from_secs(20));
    let last = delivered.last().unwrap();
    sign::verify(&secret, &last.id, &last.timestamp.to_string(), &last.signature, &last.raw, now(), 300)
        .unwrap();
}

#[test]
fn edits_apply_at_once_disabling_refuses_new_imports_and_deleting_needs_the_data_deleted() {
    let server = Server::with_env(&config("", ""), ADMIN);
    let (status, _) =
        server.admin_with("POST", "/v1/admin/importers", &json!({ "document": document("crm", json!([])) }));
    assert_eq!(status, 201);
    let (status, again) =
        server.admin_with("POST", "/v1/admin/importers", &json!({ "document": document("crm", json!([])) }));
    assert_eq!((status, again["code"].as_str()), (409, Some("importer_exists")));

    let mut edited = document("crm", json!([]));
    edited["name"] = json!("Leads");
    edited["limits"] = json!({ "max_rows": 40 });
    let (status, _) = server.admin_with("PUT", "/v1/admin/importers/crm", &json!({ "document": edited }));
    assert_eq!(status, 200);
    let (_, public) = server.admin("GET", "/v1/importers/crm", None);
    assert_eq!((public["name"].as_str(), public["limits"]["maxRows"].as_u64()), (Some("Leads"), Some(40)));

    let file = csv(20, |_| String::new());
    let client = Client::new(&server.url, "crm").unwrap();
    let info = FileInfo::named("contacts.csv", file.len() as u64);
    let under_way = client.start(&info, Default::default(), Default::default()).unwrap();
    let (status, _) = server.admin("POST", "/v1/admin/importers/crm/disable", Some(ADMIN_TOKEN));
    assert_eq!(status, 200);
    let Err(refused) = client.start(&info, Default::default(), Default::default()) else { panic!("started") };
    let refused = refused.to_string();
    assert!(refused.starts_with("403 importer_disabled"), "{refused}");
    for batch in batches(&file, 10, false) {
        under_way.send(&batch).unwrap();
    }
    assert_eq!(under_way.complete_all().unwrap().rows, 20, "an import under way finishes");

    let (status, refused) = server.admin("DELETE", "/v1/admin/importers/crm", Some(ADMIN_TOKEN));
    assert_eq!(
        (status, refused["code"].as_str(), refused["imports"].as_u64()),
        (409, Some("importer_has_data"), Some(1))
    );
    server.admin("DELETE", "/v1/admin/importers/crm/data", Some(ADMIN_TOKEN));
    let (status, _) = server.admin("DELETE", "/v1/admin/importers/crm", Some(ADMIN_TOKEN));
    assert_eq!(status, 200);
    let (status, _) = server.admin("GET", "/v1/importers/crm", None);
    assert_eq!(status, 404);

    let entries = audit(&server);
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("importer_"))
        .collect();
    assert_eq!(actions, ["importer_deleted", "importer_disabled", "importer_updated", "importer_created"]);
    let updated = entries.iter().find(|e| e["action"] == "importer_updated").unwrap();
    assert_eq!(updated["detail"]["importer"], "crm");
    assert!(updated["detail"]["by"]["session"].as_str().unwrap().starts_with("adm_"));
    assert_eq!(
        updated["detail"]["changes"],
        json!([{ "field": "limits.max_rows", "from": null, "to": 40 }, { "field": "name", "from": "CRM contacts", "to": "Leads" }])
    );
    assert!(!Value::Array(entries).to_string().contains(ADMIN_TOKEN));
}

#[test]
fn invalid_settings_are_refused_with_every_problem_named_by_its_field() {
    let server = Server::with_env(&config("", ""), ADMIN);
    let mut bad = document("crm", json!([{ "type": "webhook", "url": "https://10.0.0.8/hooks" }]));
    bad["allowed_origins"] = json!(["*"]);
    bad["limits"] = json!({ "max_rows": 0 });
    let (status, problem) = server.admin_with("POST", "/v1/admin/importers", &json!({ "document": bad }));
    assert_eq!((status, problem["code"].as_str()), (422, Some("invalid_importer")));
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["allowed_origins[0]", "destinations[0].url", "limits.max_rows"], "{problem}");
    let private = json!([{ "type": "webhook", "url": "http://127.0.0.1:9/", "allow_private_network": true }]);
    let mut short = document("crm", private);
    short["retention"] = json!({ "days": 1 });

    let cases = [
        (json!({ "document": short }), "retention.mode", "less than a webhook delivery may be retried"),
        (json!({ "document": document("demo", json!([])) }), "key", "configuration file"),
        (json!({ "toml": "key = \"crm\"\nallowed_origins = [" }), "toml", "line 2, column"),
        (
            json!({ "document": { "key": "crm", "allowed_origins": ["https://a.example"], "schema": "/etc/passwd" } }),
            "schema",
            "as a table",
        ),
        (
            json!({ "document": document("crm", json!([{ "type": "webhook", "url": "https://h.example", "secret": "whsec_x" }])) }),
            "destinations[0].secret",
            "the server makes",
        ),
        (
            json!({ "document": document("crm", json!([{ "type": "s3", "endpoint": "https://s3.example.com", "bucket": "imports", "access_key_id": "AKIA" }])) }),
            "destinations[0].secret_access_key",
            "together",
        ),
    ];
    for (body, field, message) in cases {
        let (status, problem) = server.admin_with("POST", "/v1/admin/importers", &body);
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains(message), "{problem}");
    }

    let (status, checked) =
        server.admin_with("POST", "/v1/admin/importers/check", &json!({ "document": bad }));
    assert_eq!(status, 200, "{checked}");
    assert_eq!(checked["errors"].as_array().unwrap().len(), 3, "the same problems, nothing saved");
    assert!(checked["toml"].as_str().unwrap().contains("max_rows = 0"));
    let (_, listed) = server.admin("GET", "/v1/admin/importers", Some(ADMIN_TOKEN));
    assert_eq!(listed["importers"].as_array().unwrap().len(), 1);

    let text = "key = \"crm\"\nallowed_origins = [\"https://crm.example.com\"]\n[schema]\nversion = 1\ncolumns = [{ key = \"email\", type = \"email\" }]\n";
    let (status, made) = server.admin_with("POST", "/v1/admin/importers", &json!({ "toml": text }));
    assert_eq!(status, 201, "{made}");
    assert!(made["importer"]["toml"].as_str().unwrap().contains("key = \"crm\""));
    for (method, path) in [
        ("PUT", "/v1/admin/importers/demo"),
        ("DELETE", "/v1/admin/importers/demo"),
        ("POST", "/v1/admin/importers/demo/disable"),
    ] {
        let (status, problem) = server.admin_with(method, path, &json!({ "toml": text }));
        assert_eq!((status, problem["code"].as_str()), (409, Some("importer_read_only")), "{method} {path}");
    }
    let (status, problem) = server.admin_with(
        "PUT",
        "/v1/admin/importers/crm",
        &json!({ "toml": text.replace("\"crm\"", "\"crm2\"") }),
    );
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (422, Some("key")));
}

#[test]
fn a_rotated_secret_signs_beside_the_new_one_during_the_overlap_and_no_longer_after() {
    let receiver = Receiver::start(Behaviour::default());
    let server = Server::with_env(&config("", ""), ADMIN);
    let hook = json!([{ "type": "webhook", "url": receiver.url, "allow_private_network": true }]);
    let (_, made) =
        server.admin_with("POST", "/v1/admin/importers", &json!({ "document": document("crm", hook) }));
    let old = made["secrets"][0]["secret"].as_str().unwrap().to_owned();
    let rotate = "/v1/admin/importers/crm/destinations/0/rotate";
    let (status, rotated) = server.admin_with("POST", rotate, &json!({ "overlapSeconds": 5 }));
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    let until = rotated["previousSignsUntil"].as_i64().unwrap();
    assert!(new.starts_with("whsec_") && new != old);

    import_to(&server, "crm", 10);
    let during = receiver.wait_for(2, Duration::from_secs(20));
    assert!(during[0].timestamp < until, "the first message went out within the overlap");
    for message in &during {
        let both = message.timestamp < until;
        assert_eq!(message.signature.split(' ').count(), if both { 2 } else { 1 });
        assert!(verifies(message, &new));
        assert_eq!(verifies(message, &old), both, "the old secret verifies during the overlap only");
    }
    while now() <= until {
        std::thread::sleep(Duration::from_millis(200));
    }
    import_to(&server, "crm", 10);
    let after = receiver.wait_for(4, Duration::from_secs(20));
    for message in &after[2..] {
        assert!(
            verifies(message, &new) && !verifies(message, &old),
            "after the overlap only the new secret signs"
        );
    }

    let entries = Value::Array(audit(&server));
    let rotated =
        entries.as_array().unwrap().iter().find(|e| e["action"] == "importer_secret_rotated").unwrap();
    assert_eq!(rotated["detail"]["changes"][0]["change"], "rotated");
    let text = entries.to_string();
    assert!(
        !text.contains(old.trim_start_matches("whsec_")) && !text.contains(new.trim_start_matches("whsec_"))
    );
    let (status, problem) =
        server.admin_with("POST", "/v1/admin/importers/demo/destinations/0/rotate", &json!({}));
    assert_eq!((status, problem["code"].as_str()), (409, Some("importer_read_only")));
    let (status, problem) =
        server.admin_with("POST", "/v1/admin/importers/crm/destinations/3/rotate", &json!({}));
    assert_eq!((status, problem["code"].as_str()), (404, Some("unknown_destination")));
}

#[test]
fn testing_a_webhook_sends_a_signed_sluice_test_message_and_shows_the_receivers_refusal() {
    let (good, bad) = (
        Receiver::start(Behaviour::default()),
        Receiver::start(Behaviour { fail_first: 100, ..Behaviour::default() }),
    );
    let server = Server::with_env(&config("", ""), ADMIN);
    let hooks = json!([
        { "type": "webhook", "url": good.url, "allow_private_network": true },
        { "type": "webhook", "url": bad.url, "allow_private_network": true },
    ]);
    let (_, made) =
        server.admin_with("POST", "/v1/admin/importers", &json!({ "document": document("crm", hooks) }));
    let secret = made["secrets"][0]["secret"].as_str().unwrap().to_owned();
    let (status, tested) =
        server.admin("POST", "/v1/admin/importers/crm/destinations/0/test", Some(ADMIN_TOKEN));
    assert_eq!(status, 200);
    assert_eq!(tested, json!({ "outcome": "delivered", "status": 200, "error": null }));
    let [message] = good.all().try_into().unwrap();
    assert_eq!(
        (message.body["type"].as_str(), message.body["data"]["importer"].as_str()),
        (Some("sluice.test"), Some("crm"))
    );
    assert!(message.id.starts_with("msg_") && message.id.len() == 36);
    sign::verify(
        &secret,
        &message.id,
        &message.timestamp.to_string(),
        &message.signature,
        &message.raw,
        now(),
        300,
    )
    .unwrap();
    let (_, tested) = server.admin("POST", "/v1/admin/importers/crm/destinations/1/test", Some(ADMIN_TOKEN));
    assert_eq!(tested, json!({ "outcome": "failed", "status": 503, "error": "HTTP 503" }));
    let (status, problem) =
        server.admin("POST", "/v1/admin/importers/demo/destinations/0/test", Some(ADMIN_TOKEN));
    assert_eq!((status, problem["code"].as_str()), (404, Some("unknown_destination")));
}

#[test]
fn a_stored_importer_that_cannot_be_served_after_a_restart_is_listed_with_why_and_can_be_fixed() {
    let with_keys = [
        ("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN),
        ("CRM_KEY_ID", "AKIDTEST"),
        ("CRM_SECRET", "test-secret-value"),
    ];
    let server = Server::with_env(&config("", ""), &with_keys);
    let mut bucket = document(
        "crm",
        json!([{ "type": "s3", "endpoint": "http://127.0.0.1:9", "bucket": "imports",
        "path_style": true, "allow_private_network": true, "access_key_id_env": "CRM_KEY_ID", "secret_access_key_env": "CRM_SECRET" }]),
    );
    let (status, made) = server.admin_with("POST", "/v1/admin/importers", &json!({ "document": bucket }));
    assert_eq!(status, 201, "{made}");

    let server = Server::in_dir(server.kill9(), ADMIN);
    let (status, _) = server.admin("GET", "/v1/importers/crm", None);
    assert_eq!(status, 404, "not served without its credentials");
    let (_, listed) = server.admin("GET", "/v1/admin/importers", Some(ADMIN_TOKEN));
    let crm = listed["importers"].as_array().unwrap().iter().find(|i| i["key"] == "crm").unwrap().clone();
    assert_eq!((crm["served"].as_bool(), crm["source"].as_str()), (Some(false), Some("dashboard")));
    assert!(crm["problem"].as_str().unwrap().contains("CRM_KEY_ID is not set"), "{crm}");
    assert!(server.stderr().contains("cannot be served"));

    bucket["destinations"][0]["id"] = crm["document"]["destinations"][0]["id"].clone();
    bucket["destinations"][0]["access_key_id"] = json!("AKIDTEST");
    bucket["destinations"][0]["secret_access_key"] = json!("test-secret-value");
    let (status, fixed) = server.admin_with("PUT", "/v1/admin/importers/crm", &json!({ "document": bucket }));
    assert_eq!(status, 200, "{fixed}");
    let (status, _) = server.admin("GET", "/v1/importers/crm", None);
    assert_eq!(status, 200, "served once fixed, without a restart");
    let (_, listed) = server.admin("GET", "/v1/admin/importers", Some(ADMIN_TOKEN));
    assert_eq!(listed["importers"].as_array().unwrap().len(), 2, "listed once: {listed}");
    assert!(!listed.to_string().contains("test-secret-value"));
}
