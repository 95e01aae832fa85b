//! The operator's configuration: one TOML file for the server and its importers, loaded into
//! typed values, with every error reported at once by file, line, column and field.
//!
//! `examples/sluice.toml` documents every option and its default. In short:
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:8080"        # an IP address and a port
//! data_dir = "data"
//!
//! [server.limits]
//! max_body = "8MiB"
//!
//! [[importers]]
//! key = "contacts"
//! allowed_origins = ["https://app.example.com"]
//! schema = "schema.toml"
//!
//! [[importers.destinations]]
//! type = "webhook"
//! url = "https://app.example.com/hooks/sluice"
//! secret = "whsec_..."
//! ```
//!
//! # Values
//!
//! - Durations are an integer and a unit, `ms`, `s`, `m`, `h` or `d`: `"500ms"`, `"30s"`, `"24h"`.
//! - Sizes are an integer and a unit, decimal (`KB`, `MB`, `GB`, `TB`) or binary (`KiB`, `MiB`,
//!   `GiB`, `TiB`), spelled with that case; a bare integer counts bytes: `"10MB"`, `"8MiB"`.
//! - Relative paths, in the file and in the environment, start from the configuration file's
//!   folder, not from the working directory.
//! - Origins are `scheme://host[:port]`, stored normalised (lowercase, default port removed).
//! - Unknown fields are errors: a typo never silently falls back to a default.
//!
//! # Environment overrides
//!
//! After the file is read, and before it is checked, these variables replace settings of
//! `[server]` (an empty variable counts as unset; errors name the variable):
//!
//! | variable | overrides |
//! |---|---|
//! | `SLUICE_LISTEN` | `server.listen` |
//! | `SLUICE_PUBLIC_URL` | `server.public_url` |
//! | `SLUICE_DATA_DIR` | `server.data_dir` (and so the default key file, `<data_dir>/master.key`) |
//! | `SLUICE_MASTER_KEY` | `server.master_key_file`: the key itself, 32 bytes in base64 |
//! | `SLUICE_ALLOW_PLAIN_HTTP` | `server.allow_plain_http` (`true` or `false`) |
//! | `SLUICE_TLS_CERT` | `server.tls.cert` |
//! | `SLUICE_TLS_KEY` | `server.tls.key` |
//!
//! # Checks
//!
//! Beyond types: TLS files come in pairs and exist; plain HTTP on an address other than
//! loopback needs `allow_plain_http` (behind a TLS proxy); importer keys are unique; origins are
//! exact (`"*"` is refused); trusted proxies are exact addresses or networks; start limits are
//! in range (`first_batch_within` at most `import_ttl`) and start secrets long; batches fit in a request body; retention days are 1 to 3650; rows
//! deleted on delivery need a destination; webhooks use https and avoid private networks unless
//! allowed; schemas load with `sluice-parser`, their errors pointing into the schema file.
//!
//! `[storage]` (SQLite unless `backend = "postgres"`) takes its database passwords from the
//! variables `password_env` and `keystore_password_env` name or from owner-only files, never
//! from a URL; the keystore must be another database; `[storage.blobs]` needs the postgres
//! backend and reads its access keys from the environment at load.
//!
//! Weak secrets are not errors but are listed in [`Config::weak_secrets`]: an admin token or
//! signing secret with few different characters, a part that repeats or runs such as `abcd`,
//! and the webhook secret published in `examples/sluice.toml` for a destination off this
//! machine.

mod blobs;
mod bucket;
mod dashboard;
mod destination;
mod env;
mod error;
mod importer;
mod net;
mod proxies;
mod reader;
mod schema;
mod secret;
mod server;
mod start;
mod storage;
mod table;
mod units;
mod weak;

pub use blobs::{BlobSettings, S3BlobSettings};
pub use bucket::{ObjectFormat, S3Bucket, S3Credentials};
pub use dashboard::read_importer;
pub use destination::{Delivery, Destination, PreviousSecret, Webhook, webhook_key};
pub use env::{ENV_OVERRIDES, MASTER_KEY_LEN, process_env};
pub use error::{ConfigError, ConfigErrors};
pub use importer::{Importer, ImporterLimits, InvalidRows, Retention, UnmappedColumns};
pub use net::is_private_address;
pub use proxies::{IpRange, TrustedProxies};
pub use secret::Secret;
pub use server::{DeliverySettings, MasterKeySource, Server, ServerLimits, Tls};
pub use start::ImportStart;
pub use storage::{Backend, DatabaseUrl, PostgresSettings, Storage};
pub use table::{PgTransaction, PostgresTable};
pub use units::ByteSize;

use error::Report;
use importer::Context;
use reader::Table;
use server::ServerDraft;
use std::path::Path;
use toml::Spanned;
use toml::de::DeTable;

/// The top-level tables.
const ROOT_FIELDS: &[&str] = &["server", "storage", "importers"];

/// The whole configuration, checked.
#[derive(Clone, Debug)]
pub struct Config {
    /// `[server]`.
    pub server: Server,
    /// `[storage]` (SQLite in the data folder when the section is left out).
    pub storage: Storage,
    /// `[[importers]]`, in the order of the file.
    pub importers: Vec<Importer>,
    /// Secrets that are easy to guess or published (admin token, signing secrets), each with
    /// its place; `check-config` and `serve` refuse them unless allowed.
    pub weak_secrets: Vec<ConfigError>,
}

impl Config {
    /// Loads the file at `path`, then applies the process environment's overrides.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        Config::load_with_env(path, &process_env)
    }

    /// Loads the file at `path`, with environment variables read through `env` (tests give a
    /// map here instead of the process environment).
    pub fn load_with_env(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            ConfigErrors::file(path, format!("cannot read the configuration file: {error}"))
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        Config::from_str_with_env(&text, path, base, env)
    }

    /// Reads a configuration from `text`, without environment overrides. `path_for_messages`
    /// names the file in errors; relative paths start from `base_dir`.
    pub fn from_str(text: &str, path_for_messages: &Path, base_dir: &Path) -> Result<Config, ConfigErrors> {
        Config::from_str_with_env(text, path_for_messages, base_dir, &|_| None)
    }

    /// Reads a configuration from `text`, with environment variables read through `env`.
    pub fn from_str_with_env(
        text: &str,
        path_for_messages: &Path,
        base_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigErrors> {
        let document = parse(text, path_for_messages)?;
        let mut report = Report::new(path_for_messages, text);
        let root = Table::root(&document, ROOT_FIELDS, &mut report);
        let mut server = ServerDraft::read(&root, base_dir, &mut report);
        let context = Context {
            base: base_dir,
            max_body: server.limits.max_body,
            retry_span: server.delivery.longest_span(),
            import_ttl: server.limits.import_ttl,
        };
        let storage = storage::read(&root, base_dir, env, &mut report);
        let importers = importer::read_all(&root, &context, &mut report);
        env::apply(&mut server, env, base_dir, &mut report);
        let server = server.finish(&mut report);
        let weak_secrets = report.take_weak();
        report.finish(Config { server, storage, importers, weak_secrets })
    }

    /// The importer with this key.
    pub fn importer(&self, key: &str) -> Option<&Importer> {
        self.importers.iter().find(|importer| importer.key == key)
    }
}

/// Parses the TOML document, reporting every syntax error. A document with syntax errors goes
/// no further: its tree is partial, and checking it would report as missing what is only
/// unreadable.
fn parse<'t>(text: &'t str, path: &Path) -> Result<Spanned<DeTable<'t>>, ConfigErrors> {
    let (document, errors) = DeTable::parse_recoverable(text);
    let mut report = Report::new(path, text);
    for error in &errors {
        let place = error::Place { field: String::new(), span: error.span() };
        report.error(&place, format!("invalid TOML: {}", error.message()));
    }
    report.finish(document)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    /// The smallest valid importer, with an inline schema.
    pub(super) const IMPORTER: &str = r#"
[[importers]]
key = "demo"
allowed_origins = ["https://app.example.com"]
schema = { version = 1, columns = [{ key = "email", type = "email" }] }
"#;

    /// A valid webhook destination, to add after [`IMPORTER`].
    pub(super) const WEBHOOK: &str = r#"
[[importers.destinations]]
type = "webhook"
url = "https://app.example.com/hooks"
secret = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
"#;

    /// The master key file of `server`.
    pub(super) fn key_file(server: &Server) -> &Path {
        match &server.master_key {
            MasterKeySource::File(file) => file,
            MasterKeySource::Env(_) => panic!("the master key should come from a file"),
        }
    }

    /// Reads `text` as `sluice.toml` in `/srv/sluice`, without environment.
    pub(super) fn load(text: &str) -> Result<Config, ConfigErrors> {
        Config::from_str(text, Path::new("sluice.toml"), Path::new("/srv/sluice"))
    }

    /// Reads `text` as `sluice.toml` in `base`, without environment.
    pub(super) fn load_in(text: &str, base: &Path) -> Result<Config, ConfigErrors> {
        Config::from_str(text, Path::new("sluice.toml"), base)
    }

    /// Asserts that `text` has exactly these errors: (line, field, a part of the message).
    pub(super) fn assert_errors(text: &str, expected: &[(usize, &str, &str)]) {
        assert_errors_in(text, Path::new("/srv/sluice"), expected);
    }

    /// Asserts that `text`, in `base`, has exactly these errors: (line, field, a part of the
    /// message).
    pub(super) fn assert_errors_in(text: &str, base: &Path, expected: &[(usize, &str, &str)]) {
        let errors = load_in(text, base).expect_err("the configuration should be refused");
        let errors: Vec<_> = errors.into_iter().map(|e| (e.line, e.field, e.message)).collect();
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        for ((line, field, message), (want_line, want_field, want_message)) in errors.iter().zip(expected) {
            assert_eq!((*line, field.as_str()), (Some(*want_line), *want_field), "{message}");
            assert!(message.contains(want_message), "{field}: {message:?} lacks {want_message:?}");
        }
    }

    /// A folder of its own under the system's temporary folder, emptied.
    pub(super) fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sluice-config-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn examples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
    }

    #[test]
    fn the_example_file_loads_with_the_values_it_documents() {
        let dir = examples();
        let config = Config::load_with_env(&dir.join("sluice.toml"), &|_| None).unwrap();
        let server = &config.server;
        assert_eq!(server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(server.public_url, "http://127.0.0.1:8080");
        assert_eq!(server.data_dir, dir.join("data"));
        assert_eq!(key_file(server), dir.join("keys/master.key"));
        assert_eq!(server.master_key_in_data_dir(), None, "the example keeps its key apart");
        assert_eq!(server.disk, crate::store::DiskLimits::default());
        assert!(!server.allow_plain_http);
        assert_eq!(server.tls, None);
        assert!(server.trusted_proxies.is_empty());
        assert_eq!(server.limits, ServerLimits::default());
        assert_eq!(server.limits.max_body, ByteSize(8 << 20));
        assert_eq!(server.limits.import_ttl, Duration::from_secs(24 * 3600));

        let [demo] = config.importers.as_slice() else { panic!("one importer") };
        assert_eq!((demo.key.as_str(), demo.name.as_str()), ("demo", "Contacts"));
        assert_eq!(demo.allowed_origins, ["http://127.0.0.1:8081", "http://localhost:8081"]);
        assert_eq!(demo.schema.columns().len(), 8);
        assert_eq!(demo.invalid_rows, InvalidRows::Refuse);
        assert_eq!(demo.limits, ImporterLimits::default());
        assert_eq!(demo.limits.max_file_size, ByteSize(1 << 30));
        assert_eq!(demo.retention, Retention::Keep { days: 30 });
        let start = &demo.start;
        let default = ImportStart::default();
        assert_eq!((start.max_open, start.max_metadata), (default.max_open, default.max_metadata));
        assert_eq!((start.first_batch_within, start.secret.is_none()), (default.first_batch_within, true));
        assert!(config.weak_secrets.is_empty(), "the published secret is for a receiver on this machine");
        let [Destination::Webhook(hook)] = demo.destinations.as_slice() else { panic!("one webhook") };
        assert_eq!(hook.url, "http://127.0.0.1:8090/hooks/sluice");
        assert!(hook.secret.expose().starts_with("whsec_") && hook.allow_private_network);
        assert!(config.importer("demo").is_some() && config.importer("other").is_none());
    }

    #[test]
    fn a_file_with_one_importer_and_nothing_else_takes_every_default() {
        let config = load(IMPORTER).unwrap();
        let server = &config.server;
        assert_eq!(server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(server.public_url, "http://127.0.0.1:8080");
        assert_eq!(server.data_dir, Path::new("/srv/sluice/data"));
        assert_eq!(key_file(server), Path::new("/srv/sluice/data/master.key"));
        assert_eq!(server.limits, ServerLimits::default());
        let demo = &config.importers[0];
        assert_eq!(demo.name, "demo");
        assert_eq!(demo.limits, ImporterLimits::default());
        assert_eq!(demo.retention, Retention::Keep { days: 30 });
        assert!(demo.destinations.is_empty());
    }

    #[test]
    fn an_empty_file_is_a_server_without_importers() {
        let config = load("").unwrap();
        assert!(config.importers.is_empty());
    }

    #[test]
    fn paths_are_resolved_relative_to_the_config_files_folder_unless_absolute() {
        let text = "[server]\ndata_dir = \"state\"\nmaster_key_file = \"/etc/sluice/master.key\"\n";
        let config = load(text).unwrap();
        assert_eq!(config.server.data_dir, Path::new("/srv/sluice/state"));
        assert_eq!(key_file(&config.server), Path::new("/etc/sluice/master.key"));

        let config = load("[server]\ndata_dir = \"../state\"\nmaster_key_file = \"keys/k\"\n").unwrap();
        assert_eq!(config.server.data_dir, Path::new("/srv/sluice/../state"));
        assert_eq!(key_file(&config.server), Path::new("/srv/sluice/keys/k"));
    }

    #[test]
    fn load_resolves_paths_from_the_folder_of_the_file_it_was_given() {
        let dir = temp_dir("load");
        std::fs::write(dir.join("sluice.toml"), "[server]\ndata_dir = \"state\"\n").unwrap();
        let config = Config::load_with_env(&dir.join("sluice.toml"), &|_| None).unwrap();
        assert_eq!(config.server.data_dir, dir.join("state"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_that_cannot_be_read_is_one_error_naming_it() {
        let errors = Config::load_with_env(Path::new("/nonexistent/sluice.toml"), &|_| None).unwrap_err();
        let message = errors.to_string();
        assert!(
            message.starts_with("/nonexistent/sluice.toml: cannot read the configuration file:"),
            "{message}"
        );
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn errors_display_as_file_line_column_field_message() {
        let text = format!("{IMPORTER}\n[importers.limits]\nmax_file_size = \"1 GB\"\n");
        let errors =
            Config::from_str(&text, Path::new("examples/sluice.toml"), Path::new("examples")).unwrap_err();
        let expected = "examples/sluice.toml:8:17: importers[0].limits.max_file_size: \
                        expected a size such as \"10MB\" or \"1GiB\"";
        assert_eq!(errors.to_string(), expected);
    }

    #[test]
    fn several_errors_are_reported_together_in_the_order_of_the_file() {
        let text = r#"[server]
listen = "localhost:8080"
allow_plain_http = "yes"

[server.limits]
header_timeout = "0"
body_timeout = "0s"

[[importers]]
key = "Demo!"
allowed_origins = ["*"]
schema = "schema.yaml"
"#;
        assert_errors(
            text,
            &[
                (2, "server.listen", "expected an IP address and a port"),
                (3, "server.allow_plain_http", "expected true or false, found a string"),
                (6, "server.limits.header_timeout", "add a unit"),
                (7, "server.limits.body_timeout", "must be greater than 0"),
                (10, "importers[0].key", "must be 3 to 64 characters"),
                (11, "importers[0].allowed_origins[0]", "would let any web page"),
                (12, "importers[0].schema", "must end in .toml or .json"),
            ],
        );
    }

    #[test]
    fn unknown_fields_are_errors_at_their_key_listing_the_known_ones() {
        let text = r#"[server]
listn = "127.0.0.1:8080"

[server.limits]
max_bodyy = "1MiB"

[logging]
level = "debug"
"#;
        let known = "expected one of: listen, public_url, data_dir, master_key_file, allow_plain_http, \
                     admin_token, trusted_proxies, tls, limits, delivery";
        assert_errors(
            text,
            &[
                (2, "server.listn", known),
                (5, "server.limits.max_bodyy", "unknown field; expected one of: max_body, header_timeout"),
                (7, "logging", "unknown field; expected one of: server, storage, importers"),
            ],
        );
        let text = format!("{IMPORTER}retain = 3\n{WEBHOOK}headers = {{}}\n");
        assert_errors(
            &text,
            &[
                (6, "importers[0].retain", "unknown field; expected one of: key, name, allowed_origins"),
                (12, "importers[0].destinations[0].headers", "expected one of: type, url, secret"),
            ],
        );
    }

    #[test]
    fn syntax_errors_give_line_and_column_and_stop_before_the_checks() {
        let text = "[server]\nlisten = \"127.0.0.1:8080\nallow_plain_http = true\n";
        let errors = load(text).unwrap_err();
        let first = &errors.as_slice()[0];
        assert_eq!((first.line, first.column, first.field.as_str()), (Some(2), Some(25), ""));
        assert_eq!(errors.to_string(), "sluice.toml:2:25: invalid TOML: invalid basic string, expected `\"`");

        let text = "[server]\nlisten = = 1\n\n[[importers]]\nkey = \"demo\"\nkey = \"again\"\n";
        let places: Vec<_> = load(text).unwrap_err().iter().map(|e| (e.line, e.column)).collect();
        let expected = [(Some(2), Some(10)), (Some(2), Some(12)), (Some(6), Some(1))];
        assert_eq!(places, expected, "every syntax error is reported, and nothing else");
    }

    #[test]
    fn values_of_the_wrong_type_are_reported_at_the_value() {
        let text = r#"[server]
listen = 8080
data_dir = ["a"]
tls = "yes"

[server.limits]
max_body = 1.5
rate_limit = -1
import_ttl = 3600

[[importers]]
key = 12
"#;
        assert_errors(
            text,
            &[
                (2, "server.listen", "expected a string, found an integer"),
                (3, "server.data_dir", "expected a path, found an array"),
                (4, "server.tls", "expected a table ([server.tls]), found a string"),
                (7, "server.limits.max_body", "expected a size such as \"10MB\" or \"1GiB\", found a float"),
                (8, "server.limits.rate_limit", "must be a whole number"),
                (9, "server.limits.import_ttl", "expected a duration such as"),
                (11, "importers[0].allowed_origins", "is missing: add allowed_origins = "),
                (11, "importers[0].schema", "is missing: add schema = "),
                (12, "importers[0].key", "expected a string, found an integer"),
            ],
        );
        assert_errors(
            "[importers]\nkey = \"demo\"\n",
            &[(1, "importers", "expected an array of tables ([[importers]])")],
        );
    }

    #[test]
    fn debug_display_and_errors_never_contain_a_secret() {
        let webhook = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0";
        let master = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let text = format!("{IMPORTER}{WEBHOOK}").replace("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", webhook);
        let env = |name: &str| (name == "SLUICE_MASTER_KEY").then(|| master.to_owned());
        let config = Config::from_str_with_env(&text, Path::new("s.toml"), Path::new("/"), &env).unwrap();
        let printed = format!("{config:?} {config:#?}");
        assert!(printed.contains("[redacted]"));
        for secret in [webhook, master, "c2VjcmV0"] {
            assert!(!printed.contains(secret), "{secret} printed");
        }
        assert!(matches!(&config.server.master_key, MasterKeySource::Env(key) if key.expose() == master));

        let bad = text.replace(webhook, "whsec_short-but-secret");
        let env = |name: &str| (name == "SLUICE_MASTER_KEY").then(|| "secret-master".to_owned());
        let errors = Config::from_str_with_env(&bad, Path::new("s.toml"), Path::new("/"), &env).unwrap_err();
        let printed = format!("{errors} {errors:?}");
        assert_eq!(errors.len(), 2, "{printed}");
        assert!(!printed.contains("short-but-secret") && !printed.contains("secret-master"), "{printed}");
    }
}
