//! The `[storage]` section: which database holds the metadata (SQLite in the data folder, or
//! PostgreSQL with its keystore in a second database), and, in `[storage.blobs]`, an optional
//! object store for sealed batches. Passwords and access keys come from the environment or from
//! files readable by their owner only, never from the file or a URL, and never print.

use super::blobs::{self, BLOB_FIELDS, BlobSettings};
use super::bucket::parse_env_name;
use super::error::{Located, Report};
use super::reader::Table;
use super::secret::Secret;
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use url::Url;

/// The fields of `[storage]`: `backend`, [`POSTGRES_FIELDS`], and `blobs`, in the order an
/// unknown field's message lists them.
fn fields() -> Vec<&'static str> {
    [&["backend"][..], POSTGRES_FIELDS, &["blobs"]].concat()
}

/// The fields of `[storage]` that only `backend = "postgres"` reads.
const POSTGRES_FIELDS: &[&str] = &[
    "url",
    "password_env",
    "password_file",
    "keystore_url",
    "keystore_password_env",
    "keystore_password_file",
    "pool_size",
    "ca_file",
];

/// Connections to PostgreSQL, by default, and the most allowed.
const DEFAULT_POOL: u32 = 8;
const MAX_POOL: u64 = 64;

/// Where the server keeps what it stores.
#[derive(Clone, Debug, Default)]
pub struct Storage {
    /// The metadata database (default SQLite in the data folder).
    pub backend: Backend,
    /// Where sealed batches go when not in the database (`None`: in the database).
    pub blobs: Option<BlobSettings>,
}

impl Storage {
    /// One line for `check-config`: the backend and where it is, without any password.
    pub fn describe(&self) -> String {
        let backend = match &self.backend {
            Backend::Sqlite => "sqlite (in the data folder)".to_owned(),
            Backend::Postgres(pg) => {
                format!("postgres {}, keystore {}, pool {}", pg.url, pg.keystore_url, pg.pool_size)
            }
        };
        match &self.blobs {
            Some(blobs) => format!("{backend}; sealed batches in {}", blobs.describe()),
            None => backend,
        }
    }
}

/// The metadata database.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite files in the data folder (the default).
    #[default]
    Sqlite,
    /// A PostgreSQL server.
    Postgres(PostgresSettings),
}

/// `backend = "postgres"`, checked.
#[derive(Clone, Debug)]
pub struct PostgresSettings {
    /// The data database.
    pub url: DatabaseUrl,
    /// The keystore: a separate database, so that one dump never holds both the data and the
    /// keys that open it.
    pub keystore_url: DatabaseUrl,
    /// The most connections to open (1 to 64, default 8).
    pub pool_size: u32,
    /// The certificate authority to verify the database's TLS certificate with.
    pub ca_file: Option<PathBuf>,
}

/// A database URL with its password put in. `Display` and `Debug` show it without the password;
/// [`expose`](DatabaseUrl::expose) gives the whole URL, to connect with.
#[derive(Clone)]
pub struct DatabaseUrl {
    full: Secret,
    shown: String,
}

impl DatabaseUrl {
    /// The URL with its password, for the one place that connects.
    pub fn expose(&self) -> &str {
        self.full.expose()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.shown)
    }
}

/// Reads `[storage]`; the environment gives passwords and access keys.
pub(super) fn read(
    root: &Table<'_>,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    report: &mut Report<'_>,
) -> Storage {
    let t = root.table("storage", &fields(), report);
    let postgres = t
        .parsed("backend", "expected a string", report, |backend| match backend {
            "sqlite" => Ok(false),
            "postgres" => Ok(true),
            _ => Err("expected \"sqlite\" or \"postgres\"".to_owned()),
        })
        .is_some_and(|p| p.value);
    let backend = if postgres {
        read_postgres(&t, base, env, report).map_or(Backend::Sqlite, Backend::Postgres)
    } else {
        refuse_written(&t, POSTGRES_FIELDS, "only with backend = \"postgres\"", report);
        Backend::Sqlite
    };
    let blobs = t.table("blobs", BLOB_FIELDS, report);
    if !blobs.is_present() {
        return Storage { backend, blobs: None };
    }
    if !postgres {
        let message = "object storage needs backend = \"postgres\": with SQLite, sealed batches stay in \
                       the data folder (remove [storage.blobs], or move to PostgreSQL)";
        report.error(&blobs.own_place(), message);
        return Storage { backend, blobs: None };
    }
    Storage { backend, blobs: blobs::read(&blobs, env, report) }
}

/// Reports each of `keys` that is written, with `why` it does not belong.
pub(super) fn refuse_written(t: &Table<'_>, keys: &[&str], why: &str, report: &mut Report<'_>) {
    for key in keys.iter().filter(|key| t.node(key).is_some()) {
        report.error(&t.place(key), format!("is read {why}"));
    }
}

fn read_postgres(
    t: &Table<'_>,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    report: &mut Report<'_>,
) -> Option<PostgresSettings> {
    let url = database(t, "url", "password", base, env, report);
    let keystore_url = database(t, "keystore_url", "keystore_password", base, env, report);
    let pool_size = pool_size(t, report);
    let ca_file = t.path("ca_file", base, report).and_then(|file| existing(file, report));
    let (url, keystore_url) = (url?, keystore_url?);
    if same_database(&url.value, &keystore_url.value) {
        let message = "must name another database than url: the keystore is kept apart from the data, \
                       so that one dump or one leaked password never gives both";
        report.error(&keystore_url.place, message);
    }
    let url = with_password(url, report)?;
    let keystore_url = with_password(keystore_url, report)?;
    Some(PostgresSettings { url, keystore_url, pool_size, ca_file })
}

/// A database's URL and its password (from `<password>_env` or `<password>_file`).
fn database(
    t: &Table<'_>,
    key: &str,
    password: &str,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    report: &mut Report<'_>,
) -> Option<Located<(Url, Option<Secret>)>> {
    let example = "\"postgres://sluice@db.internal:5432/sluice\"";
    let url = if t.require(key, example, report) {
        t.parsed(key, "expected a string", report, |text| parse_postgres_url(text, password))
    } else {
        None
    };
    let secret = read_password(t, password, base, env, report);
    let (url, secret) = (url?, secret?);
    Some(Located::new((url.value, secret), url.place))
}

/// A `postgres://` URL with a host and a database, and no password. Messages never repeat it.
fn parse_postgres_url(text: &str, password: &str) -> Result<Url, String> {
    let url = Url::parse(text)
        .map_err(|e| format!("expected a URL such as \"postgres://sluice@db.internal:5432/sluice\": {e}"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(format!("unknown scheme {:?}: expected postgres://", url.scheme()));
    }
    let in_query = url.query_pairs().any(|(key, _)| matches!(key.as_ref(), "password" | "sslpassword"));
    if url.password().is_some() || in_query {
        return Err(format!(
            "a password in the URL is refused (it would show wherever the URL does): remove it, \
             and give it with {password}_env or {password}_file"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name the database server's host".to_owned());
    }
    if url.path().trim_start_matches('/').is_empty() {
        return Err("must name the database after the host, such as …:5432/sluice".to_owned());
    }
    Ok(url)
}

/// Whether two URLs name the same database: same host, port (5432 when left out) and database.
fn same_database(a: &(Url, Option<Secret>), b: &(Url, Option<Secret>)) -> bool {
    let key = |url: &Url| {
        (url.host_str().map(str::to_ascii_lowercase), url.port().unwrap_or(5432), url.path().to_owned())
    };
    key(&a.0) == key(&b.0)
}

/// The URL, and the URL with its password put in.
fn with_password(url: Located<(Url, Option<Secret>)>, report: &mut Report<'_>) -> Option<DatabaseUrl> {
    let (mut full, secret) = url.value;
    let shown = full.to_string();
    if let Some(secret) = secret
        && full.set_password(Some(secret.expose())).is_err()
    {
        report.error(&url.place, "this URL cannot carry a password");
        return None;
    }
    Some(DatabaseUrl { full: Secret::new(full.to_string()), shown })
}

/// The password from `<prefix>_env` or `<prefix>_file`: `Some(None)` when neither is given,
/// `None` when something is wrong (reported).
fn read_password(
    t: &Table<'_>,
    prefix: &str,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    report: &mut Report<'_>,
) -> Option<Option<Secret>> {
    let (env_key, file_key) = (format!("{prefix}_env"), format!("{prefix}_file"));
    let variable = t.parsed(&env_key, "expected a string", report, parse_env_name);
    let file = t.path(&file_key, base, report);
    match (variable, file) {
        (Some(_), Some(file)) => {
            report.error(&file.place, format!("give either {env_key} or {file_key}, not both"));
            None
        }
        (Some(name), None) => from_env(&name, env, report).map(Some),
        (None, Some(file)) => password_file(&file, report).map(Some),
        (None, None) => {
            let written = t.node(&env_key).is_some() || t.node(&file_key).is_some();
            (!written).then_some(None)
        }
    }
}

/// The value of the environment variable `name` names, reported at `name` when unset or empty.
pub(super) fn from_env(
    name: &Located<String>,
    env: &dyn Fn(&str) -> Option<String>,
    report: &mut Report<'_>,
) -> Option<Secret> {
    match env(&name.value).filter(|value| !value.trim().is_empty()) {
        Some(value) => Some(Secret::new(value)),
        None => {
            report.error(&name.place, format!("the environment variable {} is not set", name.value));
            None
        }
    }
}

/// A password read from a file only its owner may read; one trailing newline is not part of it.
fn password_file(file: &Located<PathBuf>, report: &mut Report<'_>) -> Option<Secret> {
    let path = file.value.display();
    let message = match std::fs::metadata(&file.value).map(|meta| meta.permissions().mode() & 0o777) {
        Err(e) => format!("cannot read {path}: {}", e.kind()),
        Ok(mode) if mode & 0o077 != 0 => format!(
            "{path} may be read by its group or others (mode {mode:o}): make it readable by its owner \
             only (chmod 600 {path})"
        ),
        Ok(_) => match std::fs::read_to_string(&file.value) {
            Err(e) => format!("cannot read {path}: {}", e.kind()),
            Ok(text) if trim_newline(&text).is_empty() => format!("{path} is empty"),
            Ok(text) => return Some(Secret::new(trim_newline(&text))),
        },
    };
    report.error(&file.place, message);
    None
}

/// `text` without one trailing `\n` or `\r\n`, as editors and `echo` leave.
fn trim_newline(text: &str) -> &str {
    let line = text.strip_suffix('\n').unwrap_or(text);
    line.strip_suffix('\r').unwrap_or(line)
}

/// `pool_size`: 1 to [`MAX_POOL`], default [`DEFAULT_POOL`].
fn pool_size(t: &Table<'_>, report: &mut Report<'_>) -> u32 {
    match t.unsigned("pool_size", report) {
        Some(size) if (1..=MAX_POOL).contains(&size.value) => size.value as u32,
        Some(size) => {
            report.error(&size.place, format!("must be from 1 to {MAX_POOL}"));
            DEFAULT_POOL
        }
        None => DEFAULT_POOL,
    }
}

/// A path to a file that exists.
fn existing(file: Located<PathBuf>, report: &mut Report<'_>) -> Option<PathBuf> {
    if file.value.is_file() {
        return Some(file.value);
    }
    report.error(&file.place, format!("{} is not a file", file.value.display()));
    None
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::{assert_errors, temp_dir};
    use super::super::{Config, ConfigErrors};
    use super::*;
    use std::collections::HashMap;

    pub(crate) const POSTGRES: &str = r#"[storage]
backend = "postgres"
url = "postgres://sluice@db.internal:5432/sluice?sslmode=require"
password_env = "SLUICE_DB_PASSWORD"
keystore_url = "postgres://sluice_keys@db.internal:5432/sluice_keys"
keystore_password_env = "SLUICE_KEYS_PASSWORD"
"#;

    pub(crate) const ENV: &[(&str, &str)] = &[
        ("SLUICE_DB_PASSWORD", "p@ss:word/1"),
        ("SLUICE_KEYS_PASSWORD", "keys-password"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-secret"),
    ];

    pub(crate) fn load_env(text: &str, base: &Path, vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_str_with_env(text, Path::new("sluice.toml"), base, &|name| vars.get(name).cloned())
    }

    fn postgres(storage: &Storage) -> &PostgresSettings {
        match &storage.backend {
            Backend::Postgres(pg) => pg,
            Backend::Sqlite => panic!("expected postgres"),
        }
    }

    #[test]
    fn without_the_section_storage_is_sqlite_with_batches_in_the_database() {
        let storage = load_env("", Path::new("/srv"), &[]).unwrap().storage;
        assert!(matches!(storage.backend, Backend::Sqlite) && storage.blobs.is_none());
        let storage = load_env("[storage]\nbackend = \"sqlite\"\n", Path::new("/srv"), &[]).unwrap().storage;
        assert!(matches!(storage.backend, Backend::Sqlite));
        assert_eq!(storage.describe(), "sqlite (in the data folder)");
    }

    #[test]
    fn postgres_urls_get_their_passwords_from_the_environment_and_never_print_them() {
        let text =
            format!("{POSTGRES}pool_size = 16\n\n[storage.blobs]\nurl = \"s3://sealed-batches/sluice\"\n");
        let env = [ENV, &[("AWS_SESSION_TOKEN", "session-token")]].concat();
        let config = load_env(&text, Path::new("/srv"), &env).unwrap();
        let pg = postgres(&config.storage);
        assert_eq!(
            pg.url.expose(),
            "postgres://sluice:p%40ss%3Aword%2F1@db.internal:5432/sluice?sslmode=require"
        );
        assert_eq!(
            pg.keystore_url.expose(),
            "postgres://sluice_keys:keys-password@db.internal:5432/sluice_keys"
        );
        assert_eq!(pg.url.to_string(), "postgres://sluice@db.internal:5432/sluice?sslmode=require");
        assert_eq!((pg.pool_size, pg.ca_file.is_none()), (16, true));
        let Some(BlobSettings::S3(s3)) = &config.storage.blobs else { panic!("s3") };
        assert_eq!(
            (s3.bucket.as_str(), s3.prefix.as_str(), s3.region.as_str()),
            ("sealed-batches", "sluice/", "us-east-1")
        );
        assert_eq!(s3.endpoint, None);
        assert_eq!(s3.session_token.as_ref().map(Secret::expose), Some("session-token"));
        assert_eq!(s3.secret_access_key.expose(), "wJalrXUtnFEMI-secret");
        let printed = format!("{config:?} {:#?} {}", config.storage, config.storage.describe());
        for secret in ["p@ss", "p%40ss", "keys-password", "AKIDEXAMPLE", "wJalrXUtnFEMI", "session-token"] {
            assert!(!printed.contains(secret), "{secret} printed");
        }
        assert!(
            config.storage.describe().ends_with("pool 16; sealed batches in s3://sealed-batches/sluice/")
        );
    }

    #[test]
    fn a_password_file_is_read_without_its_newline_and_only_when_its_owner_alone_may_read_it() {
        let dir = temp_dir("storage-password");
        let file = dir.join("db-password");
        std::fs::write(&file, "from-a-file\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let text =
            POSTGRES.replace("password_env = \"SLUICE_DB_PASSWORD\"", "password_file = \"db-password\"");
        let pg_url = |config: Config| postgres(&config.storage).url.expose().to_owned();
        let url = pg_url(load_env(&text, &dir, ENV).unwrap());
        assert_eq!(url, "postgres://sluice:from-a-file@db.internal:5432/sluice?sslmode=require");

        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        let errors = load_env(&text, &dir, ENV).unwrap_err();
        let [error] = errors.as_slice() else { panic!("{errors}") };
        assert_eq!((error.line, error.field.as_str()), (Some(4), "storage.password_file"));
        assert!(error.message.contains("may be read by its group or others (mode 640)"), "{error}");
        assert!(!errors.to_string().contains("from-a-file"));

        std::fs::write(&file, "\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
        let errors = load_env(&text, &dir, ENV).unwrap_err();
        assert!(errors.to_string().ends_with("db-password is empty"), "{errors}");
        let missing = text.replace("db-password", "nonexistent");
        let errors = load_env(&missing, &dir, ENV).unwrap_err();
        assert!(
            errors.to_string().contains("cannot read") && errors.to_string().contains("not found"),
            "{errors}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn each_mistake_in_storage_is_an_error_at_its_key() {
        assert_errors(
            "[storage]\nbackend = \"mysql\"\n",
            &[(2, "storage.backend", "expected \"sqlite\" or \"postgres\"")],
        );
        assert_errors(
            "[storage]\nbackend = \"postgres\"\n",
            &[(1, "storage.url", "is missing: add url = "), (1, "storage.keystore_url", "is missing")],
        );
        assert_errors(
            "[storage]\nurl = \"postgres://a@b/c\"\npool = 3\n",
            &[
                (2, "storage.url", "is read only with backend = \"postgres\""),
                (3, "storage.pool", "unknown field; expected one of: backend, url"),
            ],
        );
        assert_errors(
            "[storage.blobs]\nurl = \"s3://bucket\"\n",
            &[(1, "storage.blobs", "object storage needs backend = \"postgres\"")],
        );
    }

    #[test]
    fn bad_postgres_settings_are_errors_that_never_repeat_a_password() {
        let data = "postgres://sluice@db.internal:5432/sluice?sslmode=require";
        let keys = "postgres://sluice_keys@db.internal:5432/sluice_keys";
        let cases = [
            (data, "postgres://sluice:hunter2@db/sluice", "storage.url", "a password in the URL is refused"),
            (
                data,
                "postgres://sluice@db/sluice?password=hunter2",
                "storage.url",
                "a password in the URL is refused",
            ),
            (
                data,
                "mysql://sluice@db/sluice",
                "storage.url",
                "unknown scheme \"mysql\": expected postgres://",
            ),
            (data, "not a url", "storage.url", "expected a URL such as"),
            (data, "postgres://sluice@db.internal:5432/", "storage.url", "must name the database"),
            (
                keys,
                "postgres://other@DB.internal:5432/sluice",
                "storage.keystore_url",
                "must name another database",
            ),
            (
                keys,
                "postgresql://other@db.internal/sluice",
                "storage.keystore_url",
                "must name another database",
            ),
        ];
        for (written, url, field, message) in cases {
            let text = POSTGRES.replace(written, url);
            let errors = load_env(&text, Path::new("/srv"), ENV).unwrap_err();
            let [error] = errors.as_slice() else { panic!("{url}: {errors}") };
            assert_eq!(error.field, field, "{error}");
            assert!(error.message.contains(message), "{error}");
            assert!(!errors.to_string().contains("hunter2"), "{errors}");
        }
        let zero = format!("{POSTGRES}pool_size = 0\n");
        let errors = load_env(&zero, Path::new("/srv"), ENV).unwrap_err();
        assert!(errors.to_string().ends_with("storage.pool_size: must be from 1 to 64"), "{errors}");
        let both = format!(
            "{POSTGRES}password_file = \"/run/secrets/db\"\npool_size = 65\nca_file = \"/nonexistent.pem\"\n"
        );
        let errors: Vec<_> = load_env(&both, Path::new("/srv"), ENV)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect();
        let fields: Vec<_> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["storage.password_file", "storage.pool_size", "storage.ca_file"], "{errors:?}");
        assert!(errors[0].1.contains("give either password_env or password_file, not both"));
        assert!(errors[1].1.contains("must be from 1 to 64") && errors[2].1.contains("is not a file"));

        let errors = load_env(POSTGRES, Path::new("/srv"), &ENV[1..]).unwrap_err();
        let [error] = errors.as_slice() else { panic!("{errors}") };
        assert_eq!((error.line, error.field.as_str()), (Some(4), "storage.password_env"));
        assert!(error.message.contains("the environment variable SLUICE_DB_PASSWORD is not set"));
    }
}
