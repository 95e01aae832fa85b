//! The real servers some tests need, started on 127.0.0.1 on a free port for one test and stopped
//! when dropped: PostgreSQL from Debian's `postgresql` package (its own cluster in a temporary
//! folder, run as the `postgres` user when the tests run as root, as CI does), and an
//! S3-compatible server (moto in server mode, installed from PyPI by `make setup-test` into
//! `$TEST_VENV`, by default `~/.cache/sluice/venv`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1 (free when asked: the server takes it right after).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A password no test shares: the process, the time, and a counter.
fn password() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("pw{}x{nanos}x{}", std::process::id(), COUNT.fetch_add(1, Ordering::SeqCst))
}

/// Whether the tests run as root (as CI does), where PostgreSQL refuses to run.
fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Waits until something accepts connections on `port`.
fn wait_for_port(port: u16, what: &str, log: &dyn Fn() -> String) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(60), "{what} did not start:\n{}", log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A PostgreSQL cluster of its own, with a superuser `sluice` whose password is in [`url`].
///
/// [`url`]: Postgres::url
pub(crate) struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Settings added to the server's command line (TLS).
    settings: String,
    /// `postgres://sluice:…@127.0.0.1:PORT/postgres`.
    pub(crate) url: String,
    pub(crate) port: u16,
    pub(crate) password: String,
}

impl Postgres {
    /// Initialises a cluster in a temporary folder and starts it (fsync off: nothing here
    /// needs to survive a power cut).
    pub(crate) fn start() -> Postgres {
        Postgres::start_with(&[])
    }

    /// Starts a cluster that offers TLS (and still takes plain connections) with the PEM
    /// certificate chain `cert` and its key `key`.
    #[allow(dead_code, reason = "only the storage contract's TLS test offers TLS")]
    pub(crate) fn start_with_tls(cert: &str, key: &str) -> Postgres {
        Postgres::start_with(&[("server.crt", cert), ("server.key", key)])
    }

    /// Initialises a cluster with `files` (name, contents: TLS when given) beside its data.
    fn start_with(files: &[(&str, &str)]) -> Postgres {
        let bin = postgres_bin();
        let dir = tempfile::Builder::new().prefix("sluice-pg-").tempdir().unwrap();
        let password = password();
        std::fs::write(dir.path().join("pw"), &password).unwrap();
        let mut settings = String::new();
        for (name, contents) in files {
            let path = dir.path().join(name);
            std::fs::write(&path, contents).unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        }
        if !files.is_empty() {
            let at = |name: &str| dir.path().join(name).display().to_string();
            settings = format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                at("server.crt"),
                at("server.key")
            );
        }
        if is_root() {
            let status = Command::new("chown").arg("-R").arg("postgres:").arg(dir.path()).status().unwrap();
            assert!(status.success(), "cannot give the cluster's folder to the postgres user");
        }
        let data = dir.path().join("data");
        run_as_postgres(
            &bin.join("initdb"),
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "sluice".as_ref(),
                "--auth=scram-sha-256".as_ref(),
                format!("--pwfile={}", dir.path().join("pw").display()).as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-instructions".as_ref(),
            ],
        );
        let mut postgres = Postgres { dir, bin, settings, url: String::new(), port: 0, password };
        postgres.run();
        postgres
    }

    /// Starts the server on a free port (tried again on another port if it was taken).
    fn run(&mut self) {
        for _ in 0..3 {
            let port = free_port();
            let options = format!(
                "-h 127.0.0.1 -p {port} -k {} -c fsync=off -c full_page_writes=off -c max_connections=50{}",
                self.dir.path().display(),
                self.settings
            );
            let data = self.dir.path().join("data");
            let log = self.dir.path().join("log");
            let started = as_postgres(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .arg("-o")
                .arg(&options)
                .args(["-w", "-t", "60", "start"])
                .stdout(Stdio::null())
                .status()
                .unwrap();
            if started.success() {
                self.port = port;
                self.url = format!("postgres://sluice:{}@127.0.0.1:{port}/postgres", self.password);
                return;
            }
        }
        panic!("PostgreSQL did not start:\n{}", self.log());
    }

    /// The server's log.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// Runs SQL with `psql` as the superuser; returns its output (unaligned, tuples only).
    pub(crate) fn psql(&self, sql: &str) -> String {
        let output = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", &self.url, "-c", sql])
            .output()
            .unwrap();
        assert!(output.status.success(), "psql failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `sql` with `psql` in database `database`; returns what it printed (unaligned,
    /// tuples only).
    #[allow(dead_code, reason = "not every test binary that includes this file reads a database")]
    pub(crate) fn psql_in(&self, database: &str, sql: &str) -> String {
        let (server, _) = self.url.rsplit_once('/').unwrap();
        let output = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &format!("{server}/{database}"),
                "-c",
                sql,
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "psql failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// Creates the database `name` (owned by the superuser); returns its URL.
    #[allow(dead_code, reason = "the delivery bench includes this file and makes no database")]
    pub(crate) fn create_database(&self, name: &str) -> String {
        self.psql(&format!("CREATE DATABASE \"{name}\""));
        let (server, _) = self.url.rsplit_once('/').unwrap();
        format!("{server}/{name}")
    }
}

impl Postgres {
    /// The cluster's folder (its data in `data`).
    #[allow(dead_code, reason = "only the tests on a shared cluster read it")]
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A shell command that stops the server, for a process that outlives this one.
    #[allow(dead_code, reason = "only the tests on a shared cluster stop it so")]
    pub(crate) fn stop_command(&self) -> String {
        let runner = if is_root() { "runuser -u postgres -- " } else { "" };
        format!(
            "{runner}'{}' -D '{}' -m immediate -w stop",
            self.bin.join("pg_ctl").display(),
            self.dir.path().join("data").display()
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Debian's PostgreSQL programs (`/usr/lib/postgresql/N/bin`, the newest N).
fn postgres_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: run `make setup-test` (Debian's postgresql package)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort_by_key(|bin| {
        bin.parent().and_then(Path::file_name).and_then(|v| v.to_str()?.parse::<u32>().ok())
    });
    found.pop().expect("no /usr/lib/postgresql/N/bin/initdb: run `make setup-test`")
}

/// A command run as the `postgres` user when the tests run as root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run_as_postgres(program: &Path, args: &[&std::ffi::OsStr]) {
    let output = as_postgres(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{} failed: {}{}",
        program.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The access key id the tests sign S3 requests with (moto checks none; s3s-fs checks its own).
pub(crate) const KEY_ID: &str = "AKIDSLUICETEST";

/// The secret access key the tests sign S3 requests with.
pub(crate) const KEY_SECRET: &str = "sluice-test-secret";

/// An S3-compatible server (moto) with any bucket a test makes; credentials are not checked,
/// but requests must be signed (AWS Signature Version 4) as with any S3.
pub(crate) struct S3 {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) endpoint: String,
    log: tempfile::NamedTempFile,
    /// Where a file-backed server keeps its objects.
    _root: Option<tempfile::TempDir>,
}

impl S3 {
    /// Starts moto's server.
    pub(crate) fn start() -> S3 {
        let venv = std::env::var_os("TEST_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/sluice/venv"));
        let program = venv.join("bin/moto_server");
        assert!(program.exists(), "{} is missing: run `make setup-test`", program.display());
        let log = tempfile::NamedTempFile::new().unwrap();
        let port = free_port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let s3 = S3 { child, endpoint: format!("http://127.0.0.1:{port}"), log, _root: None };
        wait_for_port(port, "the S3 server (moto)", &|| {
            std::fs::read_to_string(s3.log.path()).unwrap_or_default()
        });
        s3
    }

    /// Starts `program`, the `s3s-fs` server (a Rust S3 server from crates.io, on files in a
    /// temporary folder), checking every request's signature against `key_id` and `secret`. The
    /// load benchmark uses it where it is installed: moto, in Python, would take most of the
    /// machine's CPU.
    #[allow(dead_code, reason = "only the load benchmark starts it")]
    pub(crate) fn start_s3s_fs(program: &Path, key_id: &str, secret: &str) -> S3 {
        let log = tempfile::NamedTempFile::new().unwrap();
        let root = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(program)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--access-key",
                key_id,
                "--secret-key",
                secret,
            ])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let s3 = S3 { child, endpoint: format!("http://127.0.0.1:{port}"), log, _root: Some(root) };
        wait_for_port(port, "the S3 server (s3s-fs)", &|| {
            std::fs::read_to_string(s3.log.path()).unwrap_or_default()
        });
        s3
    }
}

impl S3 {
    /// The server's process id (to read its CPU time).
    #[allow(dead_code, reason = "only the load benchmark reads it")]
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where the server writes its log.
    #[allow(dead_code, reason = "only the tests on a shared server read it")]
    pub(crate) fn log_path(&self) -> &Path {
        self.log.path()
    }

    /// Creates bucket `name`, signing with the tests' credentials (moto does not check them).
    #[allow(dead_code, reason = "not every test binary that includes this file makes a bucket")]
    pub(crate) fn create_bucket(&self, name: &str) {
        self.create_bucket_as(name, KEY_ID, KEY_SECRET);
    }

    /// Creates bucket `name`, signing with `key_id` and `secret`.
    #[allow(dead_code, reason = "not every test binary that includes this file makes a bucket")]
    pub(crate) fn create_bucket_as(&self, name: &str, key_id: &str, secret: &str) {
        use rusty_s3::S3Action as _;
        let endpoint = self.endpoint.parse().unwrap();
        let bucket =
            rusty_s3::Bucket::new(endpoint, rusty_s3::UrlStyle::Path, name.to_owned(), "us-east-1").unwrap();
        let credentials = rusty_s3::Credentials::new(key_id, secret);
        let url = bucket.create_bucket(&credentials).sign(Duration::from_secs(60));
        assert_eq!(ureq::put(url.as_str()).send_empty().unwrap().status(), 200);
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
