//! The `[server]` section: where the server listens and is reached, where it keeps its data and
//! master key, TLS, and request limits; read from the file, overridden from the environment, then
//! checked as a whole.

use super::error::{Located, Place, Report};
use super::net::{self, HttpUrl};
use super::proxies::{self, TrustedProxies};
use super::reader::{Table, nonzero};
use super::secret::Secret;
use super::units::ByteSize;
use crate::store::DiskLimits;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The fields of `[server]`.
const SERVER_FIELDS: &[&str] = &[
    "listen",
    "public_url",
    "data_dir",
    "master_key_file",
    "allow_plain_http",
    "admin_token",
    "trusted_proxies",
    "tls",
    "limits",
    "delivery",
    "disk",
];

/// The fields of `[server.disk]`.
const DISK_FIELDS: &[&str] = &["min_free", "reserve"];

/// The fields of `[server.delivery]`.
const DELIVERY_FIELDS: &[&str] = &["retry_schedule"];

/// The fewest characters of an admin token.
pub(super) const MIN_ADMIN_TOKEN: usize = 32;

/// The most retries a message gets before it becomes a dead letter.
const MAX_RETRIES: usize = 30;

/// The longest wait between two attempts.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The fields of `[server.tls]`.
const TLS_FIELDS: &[&str] = &["cert", "key"];

/// The fields of `[server.limits]`.
const LIMIT_FIELDS: &[&str] =
    &["max_body", "header_timeout", "body_timeout", "upload_token_ttl", "import_ttl", "rate_limit"];

/// The address listened on by default: this machine only.
const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));

/// The master key's file name in the data directory, by default.
const MASTER_KEY_FILE: &str = "master.key";

/// The `[server]` section, checked.
#[derive(Clone, Debug)]
pub struct Server {
    /// The address to listen on (default `127.0.0.1:8080`). Port 0 asks the system for a free
    /// port; the caller then knows the real one only after binding.
    pub listen: SocketAddr,
    /// The URL browsers reach the server at, without a trailing `/` (default
    /// `http://<listen>`, or `https://<listen>` with TLS).
    pub public_url: String,
    /// Where the database and key files live (default `data` next to the configuration file).
    pub data_dir: PathBuf,
    /// Where the master key comes from.
    pub master_key: MasterKeySource,
    /// Whether plain HTTP is allowed on an address other than loopback, for a server behind a
    /// TLS-terminating proxy.
    pub allow_plain_http: bool,
    /// The certificate and key to serve HTTPS with; `None` serves plain HTTP.
    pub tls: Option<Tls>,
    /// Request limits.
    pub limits: ServerLimits,
    /// The token the operator's admin API (deletion, dead letters) requires; `None` turns the
    /// admin API off.
    pub admin_token: Option<Secret>,
    /// How webhooks are retried.
    pub delivery: DeliverySettings,
    /// `[server.disk]`: the free-space floor and the disk reserve of the data folder's volume.
    pub disk: DiskLimits,
    /// The proxies in front of the server whose `X-Forwarded-For` or `Forwarded` header names
    /// the client (for rate limits and the admin API's count of wrong tokens); default none.
    pub trusted_proxies: TrustedProxies,
}

impl Server {
    /// The master key file, when it lies inside the data folder: then one backup of that folder
    /// holds both the data and the key that opens it, which the server warns about.
    pub fn master_key_in_data_dir(&self) -> Option<&Path> {
        let MasterKeySource::File(path) = &self.master_key else { return None };
        let resolved = |p: &Path| p.canonicalize().or_else(|_| std::path::absolute(p)).unwrap_or_default();
        let folder = path.parent().map(resolved)?;
        folder.starts_with(resolved(&self.data_dir)).then_some(path.as_path())
    }
}

/// Reads `[server.disk]`: sizes in bytes, 0 for none.
fn read_disk(t: &Table<'_>, report: &mut Report<'_>) -> DiskLimits {
    let default = DiskLimits::default();
    DiskLimits {
        min_free: t.size("min_free", report).map_or(default.min_free, |size| size.value.0),
        reserve: t.size("reserve", report).map_or(default.reserve, |size| size.value.0),
    }
}

/// `[server.delivery]`: how failed webhook deliveries are retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliverySettings {
    /// The wait before each retry, in order (each with up to 20 % of jitter); when they are used
    /// up the message becomes a dead letter. Default 5s, 5m, 30m, 2h, 5h, 10h, 10h: about 28
    /// hours in 8 attempts.
    pub retry_schedule: Vec<Duration>,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        DeliverySettings {
            retry_schedule: vec![
                Duration::from_secs(5),
                minutes(5),
                minutes(30),
                minutes(120),
                minutes(300),
                minutes(600),
                minutes(600),
            ],
        }
    }
}

impl DeliverySettings {
    /// The longest a message can be retried: every wait of the schedule at its longest (+20 %).
    pub fn longest_span(&self) -> Duration {
        self.retry_schedule.iter().sum::<Duration>() * 6 / 5
    }

    /// Reads `[server.delivery]`.
    fn read(t: &Table<'_>, report: &mut Report<'_>) -> Self {
        let Some(waits) = t.strings("retry_schedule", report, parse_retry_wait) else {
            return DeliverySettings::default();
        };
        if waits.len() > MAX_RETRIES {
            report.error(&t.place("retry_schedule"), format!("has more than {MAX_RETRIES} retries"));
        }
        DeliverySettings { retry_schedule: waits.into_iter().map(|w| w.value).collect() }
    }
}

/// Parses one wait of the retry schedule: more than zero, at most 7 days.
fn parse_retry_wait(text: &str) -> Result<Duration, String> {
    let wait = super::units::parse_duration(text)?;
    if wait.is_zero() || wait > MAX_RETRY_WAIT {
        return Err("must be more than 0 and at most 7d".to_owned());
    }
    Ok(wait)
}

/// Checks an admin token: at least 32 printable characters without spaces; never echoed.
pub(super) fn parse_admin_token(text: &str) -> Result<Secret, String> {
    let printable = text.bytes().all(|b| b.is_ascii_graphic());
    if text.len() < MIN_ADMIN_TOKEN || !printable {
        return Err(format!(
            "expected at least {MIN_ADMIN_TOKEN} printable characters without spaces, such as the output \
             of `sluice keygen`"
        ));
    }
    Ok(Secret::new(text))
}

/// Where the master key that wraps every data key comes from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum MasterKeySource {
    /// `SLUICE_MASTER_KEY`: [`MASTER_KEY_LEN`](super::MASTER_KEY_LEN) bytes in base64, checked
    /// to decode to that length; the caller decodes it.
    Env(Secret),
    /// A key file: `master_key_file`, by default `<data_dir>/master.key`. It may not exist yet:
    /// the server creates it on first run.
    File(PathBuf),
}

/// The certificate chain and private key files (PEM), both checked to exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tls {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// Limits on requests, each greater than zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// The largest request body (default 8MiB).
    pub max_body: ByteSize,
    /// The time to receive a request's headers (default 10s).
    pub header_timeout: Duration,
    /// The time to receive a request's body (default 30s).
    pub body_timeout: Duration,
    /// How long an upload token is valid (default 1h).
    pub upload_token_ttl: Duration,
    /// How long an import may take before it expires (default 24h).
    pub import_ttl: Duration,
    /// Requests per second per client address; `None` for no limit (written as 0; default 100).
    pub rate_limit: Option<NonZeroU32>,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_body: ByteSize(8 << 20),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            upload_token_ttl: Duration::from_secs(3600),
            import_ttl: Duration::from_secs(24 * 3600),
            rate_limit: NonZeroU32::new(100),
        }
    }
}

impl ServerLimits {
    /// Reads `[server.limits]`.
    fn read(t: &Table<'_>, report: &mut Report<'_>) -> Self {
        let default = ServerLimits::default();
        ServerLimits {
            max_body: nonzero(t.size("max_body", report), report).unwrap_or(default.max_body),
            header_timeout: nonzero(t.duration("header_timeout", report), report)
                .unwrap_or(default.header_timeout),
            body_timeout: nonzero(t.duration("body_timeout", report), report).unwrap_or(default.body_timeout),
            upload_token_ttl: nonzero(t.duration("upload_token_ttl", report), report)
                .unwrap_or(default.upload_token_ttl),
            import_ttl: nonzero(t.duration("import_ttl", report), report).unwrap_or(default.import_ttl),
            rate_limit: rate_limit(t, report).unwrap_or(default.rate_limit),
        }
    }
}

/// Reads `rate_limit`: 0 for none.
fn rate_limit(t: &Table<'_>, report: &mut Report<'_>) -> Option<Option<NonZeroU32>> {
    let limit = t.unsigned("rate_limit", report)?;
    match u32::try_from(limit.value) {
        Ok(limit) => Some(NonZeroU32::new(limit)),
        Err(_) => {
            report.error(&limit.place, format!("must be at most {} requests per second", u32::MAX));
            None
        }
    }
}

/// `[server]` as read, each value with its place, until the environment and the checks are done.
pub(super) struct ServerDraft {
    /// `listen`.
    pub(super) listen: Located<SocketAddr>,
    /// `public_url`, normalised.
    pub(super) public_url: Option<Located<String>>,
    /// `data_dir`, resolved.
    pub(super) data_dir: Located<PathBuf>,
    /// `master_key_file`, resolved.
    pub(super) master_key_file: Option<Located<PathBuf>>,
    /// `SLUICE_MASTER_KEY`.
    pub(super) master_key: Option<Secret>,
    /// `allow_plain_http`.
    pub(super) allow_plain_http: Located<bool>,
    /// `[server.tls]`.
    pub(super) tls: TlsDraft,
    /// `[server.limits]`, checked.
    pub(super) limits: ServerLimits,
    /// `admin_token`, or `SLUICE_ADMIN_TOKEN`.
    pub(super) admin_token: Option<Located<Secret>>,
    /// `[server.delivery]`, checked.
    pub(super) delivery: DeliverySettings,
    /// `[server.disk]`.
    pub(super) disk: DiskLimits,
    /// `trusted_proxies`, checked.
    pub(super) trusted_proxies: TrustedProxies,
}

/// `[server.tls]` as read: both files, one, or neither.
pub(super) struct TlsDraft {
    /// The table, when written.
    table: Option<Place>,
    /// `cert`, resolved.
    pub(super) cert: Option<Located<PathBuf>>,
    /// `key`, resolved.
    pub(super) key: Option<Located<PathBuf>>,
}

impl ServerDraft {
    /// Reads `[server]` from the root table; relative paths are resolved against `base`.
    pub(super) fn read(root: &Table<'_>, base: &Path, report: &mut Report<'_>) -> Self {
        let t = root.table("server", SERVER_FIELDS, report);
        let url_kind = "expected a URL";
        ServerDraft {
            listen: t
                .parsed("listen", "expected a string", report, net::parse_listen)
                .unwrap_or_else(|| t.default("listen", DEFAULT_LISTEN)),
            public_url: t.parsed("public_url", url_kind, report, net::parse_public_url),
            data_dir: t
                .path("data_dir", base, report)
                .unwrap_or_else(|| t.default("data_dir", base.join("data"))),
            master_key_file: t.path("master_key_file", base, report),
            master_key: None,
            allow_plain_http: t
                .boolean("allow_plain_http", report)
                .unwrap_or_else(|| t.default("allow_plain_http", false)),
            tls: TlsDraft::read(&t.table("tls", TLS_FIELDS, report), base, report),
            limits: ServerLimits::read(&t.table("limits", LIMIT_FIELDS, report), report),
            admin_token: t.parsed("admin_token", "expected a string", report, parse_admin_token),
            delivery: DeliverySettings::read(&t.table("delivery", DELIVERY_FIELDS, report), report),
            disk: read_disk(&t.table("disk", DISK_FIELDS, report), report),
            trusted_proxies: t
                .strings("trusted_proxies", report, proxies::parse_range)
                .map(|ranges| TrustedProxies::new(ranges.into_iter().map(|r| r.value).collect()))
                .unwrap_or_default(),
        }
    }

    /// Checks the section as a whole and gives its final form.
    pub(super) fn finish(self, report: &mut Report<'_>) -> Server {
        let tls = self.tls.finish(report);
        // A TLS setting in error is reported as such, not again as plain HTTP.
        self.check_plain_http(tls.is_some() || self.tls.is_attempted(), report);
        let public_url = self.public_url(tls.is_some(), report);
        let master_key = match (self.master_key, self.master_key_file) {
            (Some(key), _) => MasterKeySource::Env(key),
            (None, Some(file)) => MasterKeySource::File(file.value),
            (None, None) => MasterKeySource::File(self.data_dir.value.join(MASTER_KEY_FILE)),
        };
        Server {
            listen: self.listen.value,
            public_url,
            data_dir: self.data_dir.value,
            master_key,
            allow_plain_http: self.allow_plain_http.value,
            tls,
            limits: self.limits,
            admin_token: self.admin_token.map(|token| {
                if let Some(reason) = super::weak::weakness(token.value.expose(), token.value.expose()) {
                    report.weak(&token.place, reason);
                }
                token.value
            }),
            delivery: self.delivery,
            disk: self.disk,
            trusted_proxies: self.trusted_proxies,
        }
    }

    /// Refuses to serve uploads in plain HTTP beyond this machine unless told a proxy is there.
    fn check_plain_http(&self, tls: bool, report: &mut Report<'_>) {
        let ip = self.listen.value.ip();
        if tls || self.allow_plain_http.value || ip.is_loopback() {
            return;
        }
        let message = format!(
            "{ip} is not a loopback address, and without TLS browsers would send uploads in plain \
             HTTP: add [server.tls] with cert and key, or set allow_plain_http = true if a \
             TLS-terminating proxy is in front of the server"
        );
        report.error(&self.listen.place, message);
    }

    /// The public URL: as written (refusing plain HTTP to another machine unless allowed), or
    /// made from the listen address when that is one browsers can reach.
    fn public_url(&self, tls: bool, report: &mut Report<'_>) -> String {
        if let Some(url) = &self.public_url {
            let plain =
                HttpUrl::parse(&url.value).is_ok_and(|u| !u.is_https() && !net::is_loopback_host(u.host()));
            if plain && !self.allow_plain_http.value {
                let message = "is a plain http:// URL to another machine, so uploads would cross the \
                               network unencrypted: use https://, or set allow_plain_http = true";
                report.error(&url.place, message);
            }
            return url.value.clone();
        }
        if self.listen.value.ip().is_unspecified() {
            let message = format!(
                "browsers cannot reach {}: set public_url to the URL they use, such as \
                 \"https://sluice.example.com\"",
                self.listen.value.ip()
            );
            report.error(&self.listen.place, message);
        }
        format!("{}://{}", if tls { "https" } else { "http" }, self.listen.value)
    }
}

impl TlsDraft {
    /// Whether any TLS setting is given, complete or not.
    fn is_attempted(&self) -> bool {
        self.table.is_some() || self.cert.is_some() || self.key.is_some()
    }

    /// Reads `[server.tls]`.
    fn read(t: &Table<'_>, base: &Path, report: &mut Report<'_>) -> Self {
        TlsDraft {
            table: t.is_present().then(|| t.own_place()),
            cert: t.path("cert", base, report),
            key: t.path("key", base, report),
        }
    }

    /// Both files or neither, and the files exist.
    fn finish(&self, report: &mut Report<'_>) -> Option<Tls> {
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => {
                let exist = [cert, key].map(|file| file_exists(file, report));
                (exist == [true, true]).then(|| Tls { cert: cert.value.clone(), key: key.value.clone() })
            }
            (Some(cert), None) => alone(cert, "key", report),
            (None, Some(key)) => alone(key, "cert", report),
            (None, None) => {
                if let Some(table) = &self.table {
                    report.error(table, "is empty: give cert and key, or remove [server.tls]");
                }
                None
            }
        }
    }
}

/// Reports a TLS file given without the other one.
fn alone(given: &Located<PathBuf>, other: &str, report: &mut Report<'_>) -> Option<Tls> {
    let message = format!(
        "is given without server.tls.{other}: give both cert and key (in [server.tls], or \
         SLUICE_TLS_CERT and SLUICE_TLS_KEY), or neither to serve plain HTTP"
    );
    report.error(&given.place, message);
    None
}

/// Whether a file exists; reports it when not.
fn file_exists(file: &Located<PathBuf>, report: &mut Report<'_>) -> bool {
    let exists = file.value.is_file();
    if !exists {
        report.error(&file.place, format!("file not found: {}", file.value.display()));
    }
    exists
}

#[cfg(test)]
mod tests {
    use super::super::tests::{IMPORTER, assert_errors, assert_errors_in, key_file, load, load_in, temp_dir};
    use super::*;

    #[test]
    fn plain_http_beyond_loopback_is_refused_unless_allowed_or_served_with_tls() {
        let public = "public_url = \"https://sluice.example.com\"\n";
        let text = format!("[server]\nlisten = \"0.0.0.0:8080\"\n{public}");
        let what_to_do =
            "add [server.tls] with cert and key, or set allow_plain_http = true if a TLS-terminating proxy";
        assert_errors(&text, &[(2, "server.listen", "0.0.0.0 is not a loopback address")]);
        assert_errors(&text, &[(2, "server.listen", what_to_do)]);
        assert!(load(&format!("{text}allow_plain_http = true\n")).is_ok());
        for listen in ["127.0.0.1:80", "127.8.9.10:8080", "[::1]:8080"] {
            let config = load(&format!("[server]\nlisten = \"{listen}\"\n")).unwrap();
            assert_eq!(config.server.public_url, format!("http://{listen}"));
        }
    }

    #[test]
    fn tls_takes_both_files_or_neither_and_both_must_exist() {
        let dir = temp_dir("tls");
        std::fs::write(dir.join("cert.pem"), "cert").unwrap();
        std::fs::write(dir.join("key.pem"), "key").unwrap();
        let tls = |lines: &str| format!("[server]\nlisten = \"192.0.2.1:8443\"\n\n[server.tls]\n{lines}");
        let config = load_in(&tls("cert = \"cert.pem\"\nkey = \"key.pem\"\n"), &dir).unwrap();
        assert_eq!(config.server.tls, Some(Tls { cert: dir.join("cert.pem"), key: dir.join("key.pem") }));
        assert_eq!(config.server.public_url, "https://192.0.2.1:8443");

        let check =
            |lines: &str, expected: &[(usize, &str, &str)]| assert_errors_in(&tls(lines), &dir, expected);
        check("cert = \"cert.pem\"\n", &[(5, "server.tls.cert", "is given without server.tls.key")]);
        check("key = \"key.pem\"\n", &[(5, "server.tls.key", "is given without server.tls.cert")]);
        check("", &[(4, "server.tls", "is empty: give cert and key, or remove [server.tls]")]);
        check(
            "cert = \"missing.pem\"\nkey = \"/nonexistent/key.pem\"\n",
            &[
                (5, "server.tls.cert", "file not found: "),
                (6, "server.tls.key", "file not found: /nonexistent/key.pem"),
            ],
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_plain_http_public_url_to_another_machine_is_refused_unless_allowed() {
        let text = "[server]\npublic_url = \"http://sluice.example.com\"\n";
        assert_errors(text, &[(2, "server.public_url", "is a plain http:// URL to another machine")]);
        assert!(load(&format!("{text}allow_plain_http = true\n")).is_ok());
        for url in ["http://localhost:8080", "http://127.0.0.1:8080/sluice", "https://sluice.example.com/"] {
            let config = load(&format!("[server]\npublic_url = \"{url}\"\n")).unwrap();
            assert_eq!(config.server.public_url, url.trim_end_matches('/'));
        }
        assert_errors(
            "[server]\npublic_url = \"sluice.example.com\"\n",
            &[(2, "server.public_url", "must start with")],
        );
    }

    #[test]
    fn listening_on_every_interface_needs_a_public_url() {
        let text = "[server]\nlisten = \"[::]:8080\"\nallow_plain_http = true\n";
        assert_errors(text, &[(2, "server.listen", "browsers cannot reach ::: set public_url")]);
        let config = load(&format!("{text}public_url = \"https://sluice.example.com\"\n")).unwrap();
        assert_eq!(config.server.public_url, "https://sluice.example.com");
    }

    #[test]
    fn server_limits_are_read_with_their_units_and_must_be_greater_than_zero() {
        let text = r#"[server.limits]
max_body = "64KiB"
header_timeout = "500ms"
body_timeout = "2m"
upload_token_ttl = "15m"
import_ttl = "7d"
rate_limit = 0
"#;
        let limits = load(text).unwrap().server.limits;
        let expected = ServerLimits {
            max_body: ByteSize(64 * 1024),
            header_timeout: Duration::from_millis(500),
            body_timeout: Duration::from_secs(120),
            upload_token_ttl: Duration::from_secs(900),
            import_ttl: Duration::from_secs(7 * 86_400),
            rate_limit: None,
        };
        assert_eq!(limits, expected);

        let zero = "[server.limits]\nmax_body = 0\nheader_timeout = \"0s\"\nbody_timeout = \"0ms\"\n\
                    upload_token_ttl = \"0m\"\nimport_ttl = \"0d\"\nrate_limit = 4294967296\n";
        assert_errors(
            zero,
            &[
                (2, "server.limits.max_body", "must be greater than 0"),
                (3, "server.limits.header_timeout", "must be greater than 0"),
                (4, "server.limits.body_timeout", "must be greater than 0"),
                (5, "server.limits.upload_token_ttl", "must be greater than 0"),
                (6, "server.limits.import_ttl", "must be greater than 0"),
                (7, "server.limits.rate_limit", "must be at most 4294967295 requests per second"),
            ],
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_or_exact_networks_and_none_by_default() {
        assert!(load(IMPORTER).unwrap().server.trusted_proxies.is_empty());
        let text = "[server]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"fd00::/8\"]\n";
        let proxies = load(text).unwrap().server.trusted_proxies;
        for (address, trusted) in
            [("127.0.0.1", true), ("10.9.8.7", true), ("fd00::1", true), ("192.0.2.1", false)]
        {
            assert_eq!(proxies.contains(address.parse().unwrap()), trusted, "{address}");
        }
        assert_errors(
            "[server]\ntrusted_proxies = [\"10.0.0.1/8\", \"proxy.internal\"]\n",
            &[
                (2, "server.trusted_proxies[0]", "has bits set past the /8: write \"10.0.0.0/8\""),
                (2, "server.trusted_proxies[1]", "expected an IP address or a network"),
            ],
        );
    }

    #[test]
    fn a_master_key_file_defaults_to_the_data_dir_and_can_be_named() {
        let config = load(&format!("[server]\ndata_dir = \"/var/lib/sluice\"\n{IMPORTER}")).unwrap();
        assert_eq!(key_file(&config.server), Path::new("/var/lib/sluice/master.key"));
        let config = load("[server]\nmaster_key_file = \"keys/master.key\"\n").unwrap();
        assert_eq!(key_file(&config.server), Path::new("/srv/sluice/keys/master.key"));
        assert_errors(
            "[server]\nmaster_key_file = \" \"\n",
            &[(2, "server.master_key_file", "must not be empty")],
        );
    }

    #[test]
    fn a_master_key_file_inside_the_data_folder_is_noticed() {
        let config = load(&format!("[server]\ndata_dir = \"/var/lib/sluice\"\n{IMPORTER}")).unwrap();
        assert_eq!(config.server.master_key_in_data_dir(), Some(Path::new("/var/lib/sluice/master.key")));
        let text =
            "[server]\ndata_dir = \"/var/lib/sluice\"\nmaster_key_file = \"/var/lib/sluice/keys/m.key\"\n";
        assert!(load(text).unwrap().server.master_key_in_data_dir().is_some(), "a folder inside it too");
        let text = "[server]\ndata_dir = \"/var/lib/sluice\"\nmaster_key_file = \"/etc/sluice/master.key\"\n";
        assert_eq!(load(text).unwrap().server.master_key_in_data_dir(), None);
        let text =
            "[server]\ndata_dir = \"/var/lib/sluice\"\nmaster_key_file = \"/var/lib/sluice-keys/m.key\"\n";
        assert_eq!(load(text).unwrap().server.master_key_in_data_dir(), None, "a sibling is outside");
    }

    #[test]
    fn the_disk_floor_and_reserve_are_sizes_and_may_be_zero() {
        let config = load(IMPORTER).unwrap();
        assert_eq!(config.server.disk, DiskLimits::default());
        let config = load("[server.disk]\nmin_free = \"2GB\"\nreserve = 0\n").unwrap();
        assert_eq!(config.server.disk, DiskLimits { min_free: 2_000_000_000, reserve: 0 });
        assert_errors("[server.disk]\nmin_free = \"lots\"\n", &[(2, "server.disk.min_free", "")]);
        assert_errors("[server.disk]\nfloor = \"1GB\"\n", &[(2, "server.disk.floor", "")]);
    }
}
