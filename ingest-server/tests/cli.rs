//! The command line: `check-config` on the example and on a broken file, `serve` refusing a bad
//! configuration, `keygen`, and the master key made on first run.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use support::{Server, config};

fn sluice(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .current_dir(dir)
        .env_remove("SLUICE_CONFIG")
        .env_remove("SLUICE_MASTER_KEY")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_example_configuration_checks_clean() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let output = sluice(&["check-config", "sluice.toml"], &examples);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("sluice.toml: ok"), "{stdout}");
    assert!(stdout.contains("importer    demo"), "{stdout}");
    assert!(stdout.contains("storage     sqlite (in the data folder)"), "{stdout}");
}

#[test]
fn check_config_shows_the_storage_without_its_passwords_or_keys() {
    let dir = tempfile::tempdir().unwrap();
    let storage = r#"
[storage]
backend = "postgres"
url = "postgres://sluice@db.internal:5432/sluice"
password_env = "CLI_DB_PASSWORD"
keystore_url = "postgres://keys@db.internal:5432/keys"
keystore_password_env = "CLI_KEYS_PASSWORD"

[storage.blobs]
url = "s3://sealed-batches/sluice"
endpoint = "http://127.0.0.1:9000"
"#;
    let file = format!("{storage}{}", config("", ""));
    std::fs::write(dir.path().join("sluice.toml"), file).unwrap();
    let secrets = [
        ("CLI_DB_PASSWORD", "db-hunter2"),
        ("CLI_KEYS_PASSWORD", "keys-hunter2"),
        ("AWS_ACCESS_KEY_ID", "AKIDCLITEST"),
        ("AWS_SECRET_ACCESS_KEY", "cli-secret-key"),
    ];
    let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check-config", "sluice.toml"])
        .current_dir(dir.path())
        .env_remove("SLUICE_CONFIG")
        .env_remove("SLUICE_MASTER_KEY")
        .envs(secrets)
        .output()
        .unwrap();
    let printed = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{printed}");
    let shown = "storage     postgres postgres://sluice@db.internal:5432/sluice, keystore \
                 postgres://keys@db.internal:5432/keys, pool 8; sealed batches in \
                 s3://sealed-batches/sluice/ at http://127.0.0.1:9000";
    assert!(printed.contains(shown), "{printed}");
    for (_, secret) in secrets {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
    }
}

#[test]
fn a_bad_configuration_is_refused_with_file_line_column_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let broken = config(
        "max_body = \"lots\"",
        "allowed_origins = [\"*\"]\n\n[importers.limits]\nmax_rows = -5\nbatch_rowz = 10",
    )
    .replace("allowed_origins = [\"https://app.example.com\"]\n", "");
    std::fs::write(dir.path().join("sluice.toml"), &broken).unwrap();
    let line_of = |needle: &str| broken.lines().position(|l| l.contains(needle)).unwrap() + 1;
    for args in [&["check-config", "sluice.toml"][..], &["serve", "--config", "sluice.toml"][..]] {
        let output = sluice(args, dir.path());
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = text(&output.stderr);
        for (needle, field) in [
            ("max_body", "server.limits.max_body"),
            ("allowed_origins", "importers[0].allowed_origins"),
            ("max_rows", "importers[0].limits.max_rows"),
            ("batch_rowz", "importers[0].limits.batch_rowz"),
        ] {
            let place = format!("sluice.toml:{}:", line_of(needle));
            let found = stderr.lines().any(|l| l.contains(&place) && l.contains(field));
            assert!(found, "{args:?}: no error at {place} for {field} in\n{stderr}");
        }
        assert!(!dir.path().join("data").exists(), "nothing is created from a bad configuration");
    }
}

#[test]
fn keygen_writes_a_private_key_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = sluice(&["keygen", "--out", "master.key"], dir.path());
    assert!(output.status.success(), "{}", text(&output.stderr));
    let path = dir.path().join("master.key");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let key = std::fs::read_to_string(&path).unwrap();
    assert_eq!(key.trim().len(), 44, "32 bytes in base64");
    assert!(!text(&output.stdout).contains(key.trim()), "the key is never printed");
    let again = sluice(&["keygen", "--out", "master.key"], dir.path());
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("refusing to overwrite"), "{}", text(&again.stderr));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), key);
}

#[test]
fn the_first_run_makes_a_master_key_next_to_the_data_and_says_so() {
    let server = Server::start();
    let key = server.data().join("master.key");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(server.stderr().contains("created a new master key"), "{}", server.stderr());
    let contents = std::fs::read_to_string(&key).unwrap();
    assert!(!server.stderr().contains(contents.trim()), "the key is never logged");
}

#[test]
fn a_master_key_from_the_environment_is_used_and_a_bad_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.toml"), config("", "")).unwrap();
    let output = sluice(&["keygen", "--out", "env.key"], dir.path());
    assert!(output.status.success());
    let key = std::fs::read_to_string(dir.path().join("env.key")).unwrap();
    let server = Server::in_dir(dir, &[("SLUICE_MASTER_KEY", key.trim())]);
    assert!(!server.data().join("master.key").exists(), "no key file when the environment gives one");
    let dir = server.kill9();
    let bad = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--config", "sluice.toml"])
        .current_dir(dir.path())
        .env("SLUICE_MASTER_KEY", "c2hvcnQ=")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let stderr = text(&bad.stderr);
    assert!(stderr.contains("SLUICE_MASTER_KEY"), "{stderr}");
    assert!(!stderr.contains("c2hvcnQ="), "the bad value is not repeated: {stderr}");
}

#[test]
fn export_writes_every_stored_row_once_decrypted_as_json_lines() {
    use sluice_server::client::{Client, FileInfo};
    let server = Server::start();
    let client = Client::new(&server.url, "demo").unwrap();
    let upload =
        client.start(&FileInfo::named("contacts.csv", 1), Default::default(), Default::default()).unwrap();
    for batch in support::batches(&support::csv(1200, |n| format!(" é{n}")), 500, false) {
        upload.send(&batch).unwrap();
    }
    upload.complete_all().unwrap();
    let output = sluice(&["export", "--config", "sluice.toml", &upload.import_id], server.dir.path());
    assert!(output.status.success(), "{}", text(&output.stderr));
    let rows: Vec<serde_json::Value> =
        text(&output.stdout).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(rows.len(), 1200);
    for (i, row) in rows.iter().enumerate() {
        let n = i as u64 + 1;
        assert_eq!(row["row"], n);
        assert_eq!(row["cells"]["last_name"], format!("Last{n} é{n}"));
        assert_eq!(row["cells"]["email"], format!("user{n}@example.com"));
    }
    assert!(text(&output.stderr).contains("exported 1200 rows"));

    let unknown = sluice(&["export", "--config", "sluice.toml", "imp_unknown"], server.dir.path());
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("no import imp_unknown"), "{}", text(&unknown.stderr));
}

/// The webhook secret published in `examples/sluice.toml`.
const PUBLISHED_SECRET: &str = "whsec_g4rDJISbhb1a9suuXF7jHvHciBzooAgd8JOKiavMKTQ=";

/// A configuration with a weak admin token and the published webhook secret for a receiver
/// on `url`.
fn with_weak_secrets(url: &str) -> String {
    let hook = format!(
        "[[importers.destinations]]\ntype = \"webhook\"\nurl = \"{url}\"\nsecret = \"{PUBLISHED_SECRET}\"\n\
         allow_private_network = true\n"
    );
    config("", &hook).replace(
        "data_dir = \"data\"",
        "data_dir = \"data\"\nadmin_token = \"abababababababababababababababab\"",
    )
}

/// Starts `sluice serve` with `args`; the first line it printed, once it has, and the process.
fn serve(dir: &Path, args: &[&str]) -> (String, std::process::Child) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--config", "sluice.toml"])
        .args(args)
        .current_dir(dir)
        .env_remove("SLUICE_MASTER_KEY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    (first, child)
}

#[test]
fn weak_secrets_are_refused_by_check_config_and_serve_unless_allowed_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let text_of_config = with_weak_secrets("https://hooks.example.com/sluice");
    std::fs::write(dir.path().join("sluice.toml"), &text_of_config).unwrap();
    let line_of = |needle: &str| text_of_config.lines().position(|l| l.contains(needle)).unwrap() + 1;
    for args in [&["check-config", "sluice.toml"][..], &["serve", "--config", "sluice.toml"][..]] {
        let output = sluice(args, dir.path());
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = text(&output.stderr);
        let admin = format!("sluice.toml:{}:15: server.admin_token: is weak", line_of("admin_token"));
        assert!(stderr.contains(&admin), "{args:?}: {stderr}");
        let secret =
            format!("sluice.toml:{}:10: importers[0].destinations[0].secret: is weak", line_of("secret ="));
        assert!(stderr.contains(&secret) && stderr.contains("published"), "{args:?}: {stderr}");
        assert!(stderr.contains("--allow-weak"), "{stderr}");
        assert!(
            !stderr.contains("abababab") && !stderr.contains(PUBLISHED_SECRET),
            "never printed: {stderr}"
        );
        assert!(!dir.path().join("data").exists(), "nothing is created");
    }
    let allowed = sluice(&["check-config", "--allow-weak", "sluice.toml"], dir.path());
    assert!(allowed.status.success(), "{}", text(&allowed.stderr));
    assert!(text(&allowed.stderr).contains("warning"), "{}", text(&allowed.stderr));
    let (first, mut child) = serve(dir.path(), &["--allow-weak"]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(first.starts_with("sluice listening on "), "{first}");
}

#[test]
fn the_published_webhook_secret_passes_for_a_receiver_on_this_machine_and_weak_tokens_from_the_environment_do_not()
 {
    let dir = tempfile::tempdir().unwrap();
    let loopback = with_weak_secrets("http://127.0.0.1:8090/hooks").replace(
        "admin_token = \"abababababababababababababababab\"",
        "admin_token = \"Zq7vR2mK9xT4wL8nB3cF6hJ1pD5sG0yE\"",
    );
    std::fs::write(dir.path().join("sluice.toml"), &loopback).unwrap();
    let output = sluice(&["check-config", "sluice.toml"], dir.path());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("warning"));

    let weak = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check-config", "sluice.toml"])
        .current_dir(dir.path())
        .env("SLUICE_ADMIN_TOKEN", "correcthorsebatterycorrecthorsebattery")
        .output()
        .unwrap();
    assert_eq!(weak.status.code(), Some(1));
    let stderr = text(&weak.stderr);
    assert!(stderr.contains("sluice.toml: SLUICE_ADMIN_TOKEN: is weak"), "{stderr}");
}
