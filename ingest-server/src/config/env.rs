//! Environment overrides: `SLUICE_*` variables that replace values of `[server]` once the file is
//! read (before the checks), for containers and for the master key, which is best kept out of
//! files. An empty variable counts as unset.

use super::error::{Located, Place, Report};
use super::net;
use super::reader::resolve_path;
use super::secret::{self, Secret};
use super::server::ServerDraft;
use std::path::Path;

/// The length of the master key in bytes (AES-256).
pub const MASTER_KEY_LEN: usize = 32;

/// Each variable read, with the setting it overrides.
pub const ENV_OVERRIDES: [(&str, &str); 8] = [
    ("SLUICE_LISTEN", "server.listen"),
    ("SLUICE_PUBLIC_URL", "server.public_url"),
    ("SLUICE_DATA_DIR", "server.data_dir"),
    ("SLUICE_MASTER_KEY", "server.master_key_file"),
    ("SLUICE_ALLOW_PLAIN_HTTP", "server.allow_plain_http"),
    ("SLUICE_TLS_CERT", "server.tls.cert"),
    ("SLUICE_TLS_KEY", "server.tls.key"),
    ("SLUICE_ADMIN_TOKEN", "server.admin_token"),
];

/// The process environment, for [`Config::load`](super::Config::load); a value that is not
/// UTF-8 counts as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Applies the overrides found through `env` to `server`; relative paths start from `base`.
pub(super) fn apply(
    server: &mut ServerDraft,
    env: &dyn Fn(&str) -> Option<String>,
    base: &Path,
    report: &mut Report<'_>,
) {
    let mut vars = Vars { env, report };
    let path = |text: &str| resolve_path(text, base);
    if let Some(listen) = vars.read("SLUICE_LISTEN", net::parse_listen) {
        server.listen = listen;
    }
    if let Some(url) = vars.read("SLUICE_PUBLIC_URL", net::parse_public_url) {
        server.public_url = Some(url);
    }
    if let Some(dir) = vars.read("SLUICE_DATA_DIR", path) {
        server.data_dir = dir;
    }
    if let Some(key) = vars.read("SLUICE_MASTER_KEY", parse_master_key) {
        server.master_key = Some(key.value);
    }
    if let Some(allow) = vars.read("SLUICE_ALLOW_PLAIN_HTTP", parse_bool) {
        server.allow_plain_http = allow;
    }
    if let Some(cert) = vars.read("SLUICE_TLS_CERT", path) {
        server.tls.cert = Some(cert);
    }
    if let Some(key) = vars.read("SLUICE_TLS_KEY", path) {
        server.tls.key = Some(key);
    }
    if let Some(token) = vars.read("SLUICE_ADMIN_TOKEN", super::server::parse_admin_token) {
        server.admin_token = Some(token);
    }
}

/// The environment and where to report its errors.
struct Vars<'a, 'r, 't> {
    env: &'a dyn Fn(&str) -> Option<String>,
    report: &'r mut Report<'t>,
}

impl Vars<'_, '_, '_> {
    /// The variable `name` parsed by `parse`, or `None` when unset, empty or wrong (reported,
    /// naming the variable and the setting it overrides).
    fn read<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<Located<T>> {
        let text = (self.env)(name)?;
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let place = Place::env(name);
        match parse(text) {
            Ok(value) => Some(Located::new(value, place)),
            Err(message) => {
                let setting =
                    ENV_OVERRIDES.iter().find(|(var, _)| *var == name).map_or("", |(_, setting)| setting);
                self.report.error(&place, format!("{message} (this variable overrides {setting})"));
                None
            }
        }
    }
}

/// Parses a master key: [`MASTER_KEY_LEN`] bytes in base64. The message never repeats it.
fn parse_master_key(text: &str) -> Result<Secret, String> {
    match secret::base64_len(text) {
        Some(MASTER_KEY_LEN) => Ok(Secret::new(text)),
        _ => Err(format!(
            "expected {MASTER_KEY_LEN} random bytes in base64, such as the output of `sluice keygen`"
        )),
    }
}

/// Parses `true` or `false`.
fn parse_bool(text: &str) -> Result<bool, String> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{IMPORTER, temp_dir};
    use super::super::{Config, ConfigErrors, MasterKeySource};
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    /// Reads `text` in `base` with the environment `vars`.
    fn load(text: &str, base: &Path, vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_str_with_env(text, Path::new("sluice.toml"), base, &|name| vars.get(name).cloned())
    }

    #[test]
    fn environment_variables_win_over_the_file() {
        let dir = temp_dir("env");
        std::fs::write(dir.join("c.pem"), "").unwrap();
        std::fs::write(dir.join("k.pem"), "").unwrap();
        let server = r#"[server]
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"
data_dir = "data"
master_key_file = "data/master.key"
"#;
        let file = format!("{server}{IMPORTER}");
        let vars = [
            ("SLUICE_LISTEN", "0.0.0.0:443"),
            ("SLUICE_PUBLIC_URL", "https://Sluice.example.com/"),
            ("SLUICE_DATA_DIR", "/var/lib/sluice"),
            ("SLUICE_MASTER_KEY", KEY),
            ("SLUICE_ALLOW_PLAIN_HTTP", "true"),
            ("SLUICE_TLS_CERT", "c.pem"),
            ("SLUICE_TLS_KEY", "k.pem"),
        ];
        let server = load(&file, &dir, &vars).unwrap().server;
        assert_eq!(server.listen.to_string(), "0.0.0.0:443");
        assert_eq!(server.public_url, "https://sluice.example.com");
        assert_eq!(server.data_dir, Path::new("/var/lib/sluice"));
        assert!(matches!(server.master_key, MasterKeySource::Env(key) if key.expose() == KEY));
        assert!(server.allow_plain_http);
        let tls = server.tls.unwrap();
        assert_eq!((tls.cert, tls.key), (dir.join("c.pem"), dir.join("k.pem")));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn empty_variables_count_as_unset_and_the_data_dir_moves_the_default_key_file() {
        let vars = [("SLUICE_LISTEN", ""), ("SLUICE_MASTER_KEY", " "), ("SLUICE_DATA_DIR", "state")];
        let server =
            load("[server]\nlisten = \"127.0.0.2:9000\"\n", Path::new("/srv"), &vars).unwrap().server;
        assert_eq!(server.listen.to_string(), "127.0.0.2:9000");
        assert_eq!(server.data_dir, Path::new("/srv/state"));
        assert!(
            matches!(server.master_key, MasterKeySource::File(f) if f == Path::new("/srv/state/master.key"))
        );
    }

    #[test]
    fn errors_in_variables_name_the_variable_and_the_setting_it_overrides() {
        let cases = [
            ("SLUICE_LISTEN", "localhost:80", "expected an IP address and a port", "server.listen"),
            ("SLUICE_PUBLIC_URL", "sluice.internal", "must start with http://", "server.public_url"),
            ("SLUICE_MASTER_KEY", "c2hvcnQ=", "expected 32 random bytes in base64", "server.master_key_file"),
            ("SLUICE_MASTER_KEY", "not base64 at all!", "expected 32 random bytes", "server.master_key_file"),
            ("SLUICE_ALLOW_PLAIN_HTTP", "yes", "expected true or false", "server.allow_plain_http"),
        ];
        for (name, value, message, setting) in cases {
            let errors = load("", Path::new("/srv"), &[(name, value)]).unwrap_err();
            let [error] = errors.as_slice() else { panic!("{errors}") };
            assert_eq!((error.field.as_str(), error.line), (name, None));
            assert!(error.message.contains(message), "{error}");
            assert!(error.message.ends_with(&format!("(this variable overrides {setting})")), "{error}");
            assert!(!error.to_string().contains(value), "the value is not repeated: {error}");
        }
    }

    #[test]
    fn checks_after_the_overrides_point_at_the_variable_that_caused_them() {
        let errors = load("", Path::new("/srv"), &[("SLUICE_LISTEN", "192.0.2.1:80")]).unwrap_err();
        let [error] = errors.as_slice() else { panic!("{errors}") };
        assert_eq!(
            error.to_string().split(": ").take(2).collect::<Vec<_>>(),
            ["sluice.toml", "SLUICE_LISTEN"]
        );
        assert!(error.message.contains("192.0.2.1 is not a loopback address"), "{error}");

        let errors = load("", Path::new("/srv"), &[("SLUICE_TLS_CERT", "/nonexistent/c.pem")]).unwrap_err();
        let [error] = errors.as_slice() else { panic!("{errors}") };
        assert_eq!(error.field, "SLUICE_TLS_CERT");
        assert!(error.message.contains("is given without server.tls.key"), "{error}");
    }
}
