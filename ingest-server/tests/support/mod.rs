//! Test support: the real `sluice` binary started on port 0 in a temporary folder, CSV files of
//! the example schema, and batches made from them with `sluice-parser` as the browser makes them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub(crate) mod backend;
pub(crate) mod receiver;
pub(crate) mod services;

use sluice_parser::batch::BatchOptions;
use sluice_parser::import::{Import, ImportOptions};
use sluice_parser::schema::Schema;
use sluice_parser::validate::{MappingSpec, Unmapped};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The example schema, as the tests' importers use it.
pub(crate) fn schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/schema.toml")
}

/// The example schema.
pub(crate) fn schema() -> Schema {
    Schema::from_toml(&std::fs::read_to_string(schema_path()).unwrap()).unwrap()
}

/// A configuration for a test server: one importer `demo` on the example schema, with
/// `server_extra` lines added to `[server.limits]` and `importer_extra` to `[[importers]]`. The
/// free-space floor is low, so that the tests also run on a machine with little disk to spare.
pub(crate) fn config(server_limits: &str, importer: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[server.limits]
{server_limits}

[server.disk]
min_free = "16MiB"
reserve = "4MiB"

[[importers]]
key = "demo"
name = "Contacts"
allowed_origins = ["https://app.example.com"]
schema = "{schema}"
{importer}
"#,
        schema = schema_path().display()
    )
}

/// A running server process in its own temporary folder; killed when dropped.
pub(crate) struct Server {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) url: String,
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts a server with the default test configuration.
    pub(crate) fn start() -> Server {
        Server::with_config(&config("", ""))
    }

    /// Starts a server with `config` as its configuration file.
    pub(crate) fn with_config(config: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sluice.toml"), config).unwrap();
        Server::in_dir(dir, &[])
    }

    /// Starts a server with the default test configuration whose importer `demo` has `schema`
    /// (TOML), written beside the configuration.
    pub(crate) fn with_schema(schema: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let example = format!("schema = \"{}\"", schema_path().display());
        let config = config("", "").replace(&example, "schema = \"schema.toml\"");
        std::fs::write(dir.path().join("schema.toml"), schema).unwrap();
        std::fs::write(dir.path().join("sluice.toml"), config).unwrap();
        Server::in_dir(dir, &[])
    }

    /// Starts a server with `config` and environment variables `env`.
    pub(crate) fn with_env(config: &str, env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sluice.toml"), config).unwrap();
        Server::in_dir(dir, env)
    }

    /// Calls the admin API with `token`: the status and the JSON answer.
    pub(crate) fn admin(&self, method: &str, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let url = format!("{}{path}", self.url);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let mut response = agent.run(request.body(()).unwrap()).unwrap();
        assert!(response.headers().get("set-cookie").is_none());
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    /// Calls the admin API with `token` and a JSON `body`: the status and the JSON answer.
    pub(crate) fn admin_with(
        &self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.url))
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .unwrap();
        let mut response = agent.run(request).unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    /// Starts a server on the configuration and data already in `dir`.
    pub(crate) fn in_dir(dir: tempfile::TempDir, env: &[(&str, &str)]) -> Server {
        backend::prepare(dir.path());
        let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
        command
            .args(["serve", "--config"])
            .arg(dir.path().join("sluice.toml"))
            .env("SLUICE_LOG", "debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .envs(backend::env());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut text = String::new();
            let mut buffer = [0; 4096];
            while let Ok(n) = err.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                text.push_str(&String::from_utf8_lossy(&buffer[..n]));
                *sink.lock().unwrap() = text.clone();
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        lines.read_line(&mut first).unwrap();
        let Some(url) = first.trim().strip_prefix("sluice listening on ") else {
            let _ = child.kill();
            std::thread::sleep(Duration::from_millis(200));
            panic!("the server did not start: {first:?}\n{}", stderr.lock().unwrap());
        };
        let url = url.to_owned();
        std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
        Server { dir, url, child, stderr }
    }

    /// Runs `sluice serve` on the configuration and data in `dir`, expecting it to stop without
    /// listening: its exit code and what it wrote to stderr.
    pub(crate) fn refused(dir: &Path, env: &[(&str, &str)]) -> (i32, String) {
        backend::prepare(dir);
        let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
        command
            .args(["serve", "--config"])
            .arg(dir.join("sluice.toml"))
            .env("NO_COLOR", "1")
            .envs(backend::env());
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(!stdout.contains("sluice listening"), "the server started: {stdout}");
        (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
    }

    /// Kills the process with SIGKILL (no chance to clean up) and hands back its folder.
    pub(crate) fn kill9(mut self) -> tempfile::TempDir {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    /// What the server wrote to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The data folder.
    pub(crate) fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The host and port.
    pub(crate) fn address(&self) -> String {
        self.url.trim_start_matches("http://").trim_start_matches("https://").to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `sluice` binary as a command, with what it needs to reach the tests' store.
pub(crate) fn sluice() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    command.envs(backend::env());
    command
}

/// Uploads `file` to the `demo` importer in batches of `batch_rows` and completes; returns the
/// import id.
pub(crate) fn upload(server: &Server, file: &[u8], batch_rows: u32) -> String {
    use sluice_server::client::{Client, FileInfo};
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = client
        .start(&FileInfo::named("people.csv", file.len() as u64), Default::default(), Default::default())
        .unwrap();
    for batch in batches(file, batch_rows, false) {
        upload.send(&batch).unwrap();
    }
    upload.complete_all().unwrap();
    upload.import_id.clone()
}

/// What every canary starts with.
pub(crate) const CANARY_PREFIX: &str = "Cnry";

/// Random canary texts (`Cnry` and 20 hex digits): recognisable, and never produced by anything
/// but the test that made them.
pub(crate) fn canaries(count: usize) -> Vec<String> {
    use ring::rand::SecureRandom;
    let rng = ring::rand::SystemRandom::new();
    (0..count)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rng.fill(&mut bytes).unwrap();
            format!("{CANARY_PREFIX}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
        })
        .collect()
}

/// Which of `canaries` (of [`canaries`]) occur in `haystack`: one pass for their common prefix,
/// then a set look-up.
pub(crate) fn canaries_in(haystack: &[u8], canaries: &[String]) -> std::collections::BTreeSet<usize> {
    let len = canaries[0].len();
    let index: std::collections::HashMap<&[u8], usize> =
        canaries.iter().enumerate().map(|(i, c)| (c.as_bytes(), i)).collect();
    memchr::memmem::find_iter(haystack, CANARY_PREFIX.as_bytes())
        .filter_map(|at| haystack.get(at..at + len).and_then(|candidate| index.get(candidate).copied()))
        .collect()
}

/// The admin token of the tests that use the admin API.
pub(crate) const ADMIN_TOKEN: &str = "tests-admin-token-0123456789abcdef";

/// `[[importers.destinations]]` for a webhook to `url` on loopback, with `extra` lines.
pub(crate) fn webhook(url: &str, extra: &str) -> String {
    format!(
        "[[importers.destinations]]\ntype = \"webhook\"\nurl = \"{url}\"\nsecret = \"{}\"\nallow_private_network = true\n{extra}\n",
        receiver::SECRET
    )
}

/// `[server.delivery]` retrying after each of `waits`, to add after the server limits.
pub(crate) fn retries(waits: &[&str]) -> String {
    let waits: Vec<String> = waits.iter().map(|w| format!("{w:?}")).collect();
    format!("\n[server.delivery]\nretry_schedule = [{}]\n", waits.join(", "))
}

/// One row of the example schema; `n` makes ids and emails unique; `note` is added to the last
/// name (a schema column, so it travels in batches).
pub(crate) fn row(n: u64, note: &str) -> String {
    format!(
        "{n},First{n},Last{n}{note},user{n}@example.com,+44 20 7946 {:04},1990-01-02,pro,yes,\n",
        n % 10_000
    )
}

/// A CSV file of `rows` rows of the example schema, last names ending in `note(n)`.
pub(crate) fn csv(rows: u64, note: impl Fn(u64) -> String) -> Vec<u8> {
    let mut text =
        String::from("Customer ID,First Name,Last Name,E-mail Address,Phone,DOB,Plan,Newsletter,Notes\n");
    for n in 1..=rows {
        text.push_str(&row(n, &note(n)));
    }
    text.into_bytes()
}

/// Uploads `rows` rows of [`csv`] to the `demo` importer in batches of `batch_rows` and
/// completes the import; returns its id.
pub(crate) fn import(server: &Server, rows: u64, batch_rows: u32) -> String {
    let file = csv(rows, |_| String::new());
    let client = sluice_server::client::Client::new(&server.url, "demo").unwrap();
    let info = sluice_server::client::FileInfo::named("contacts.csv", file.len() as u64);
    let upload = client.start(&info, Default::default(), Default::default()).unwrap();
    for batch in batches(&file, batch_rows, false) {
        upload.send(&batch).unwrap();
    }
    assert_eq!(upload.complete_all().unwrap().rows, rows);
    upload.import_id.clone()
}

/// The batches the browser would send for `file`, `batch_rows` rows each.
pub(crate) fn batches(file: &[u8], batch_rows: u32, include_invalid: bool) -> Vec<Vec<u8>> {
    batches_for(&schema(), file, batch_rows, include_invalid)
}

/// The batches the browser would send for `file` checked against `schema`.
pub(crate) fn batches_for(
    schema: &Schema,
    file: &[u8],
    batch_rows: u32,
    include_invalid: bool,
) -> Vec<Vec<u8>> {
    let options = ImportOptions {
        batches: BatchOptions { max_rows: batch_rows, ..BatchOptions::default() },
        include_invalid,
        ..ImportOptions::default()
    };
    batches_with(schema, file, options)
}

/// The batches the browser would send for `file` with the file's unmapped columns (and fields
/// past the header) kept, `batch_rows` rows each, invalid rows (too many fields) included.
pub(crate) fn batches_keeping_unmapped(file: &[u8], batch_rows: u32) -> Vec<Vec<u8>> {
    let options = ImportOptions {
        batches: BatchOptions { max_rows: batch_rows, ..BatchOptions::default() },
        mapping: MappingSpec { columns: None, unmapped: Unmapped::Keep },
        include_invalid: true,
        ..ImportOptions::default()
    };
    batches_with(&schema(), file, options)
}

/// The batches an import with `options` makes of `file`.
fn batches_with(schema: &Schema, file: &[u8], options: ImportOptions) -> Vec<Vec<u8>> {
    let mut import = Import::new(schema, options).unwrap();
    let mut out = Vec::new();
    for chunk in file.chunks(64 * 1024) {
        import.feed(chunk).unwrap();
        while let Some(batch) = import.next_batch() {
            out.push(batch);
        }
    }
    import.finish().unwrap();
    while let Some(batch) = import.next_batch() {
        out.push(batch);
    }
    out
}
