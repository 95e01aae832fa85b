//! Where an importer delivers its rows: `[[importers.destinations]]`, signed webhooks (the
//! Standard Webhooks scheme, with the URL and secret checked before the server starts) or a
//! table in the operator's PostgreSQL database (`table`), or objects in an S3-compatible bucket
//! (`bucket`).

use super::bucket::{self, S3Bucket};
use super::error::{Located, Report};
use super::net::{self, HttpUrl};
use super::reader::Table;
use super::secret::Secret;
use super::table::{self, PgTransaction, PostgresTable};
use std::time::Duration;
use zeroize::Zeroizing;

/// The fields of a webhook.
const WEBHOOK_FIELDS: &[&str] =
    &["url", "secret", "allow_private_network", "chunk_rows", "delivery", "parallelism", "timeout"];

/// Rows per message by default.
const DEFAULT_CHUNK_ROWS: u32 = 1000;

/// The most rows per message.
const MAX_CHUNK_ROWS: u64 = 100_000;

/// The most messages in flight at once to one parallel destination.
const MAX_PARALLELISM: u64 = 64;

/// Messages in flight at once to a parallel destination, by default.
const DEFAULT_PARALLELISM: u32 = 4;

/// The time an attempt may take by default, connection to response.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest time an attempt may take.
const MAX_TIMEOUT: Duration = Duration::from_secs(300);

/// The prefix of a Standard Webhooks secret.
const SECRET_PREFIX: &str = "whsec_";

/// What a webhook secret must look like, and how to make one.
const SECRET_EXAMPLE: &str = "expected \"whsec_\" followed by 24 to 64 random bytes in base64, such as \
                              the output of: echo \"whsec_$(openssl rand -base64 32)\"";

/// One destination of an importer's rows.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Destination {
    /// `type = "webhook"`.
    Webhook(Webhook),
    /// `type = "postgres"`.
    Postgres(PostgresTable),
    /// `type = "s3"`.
    S3(S3Bucket),
}

impl Destination {
    /// Whether its messages go one at a time, in order, or several at once. Every kind has
    /// this setting: the delivery lanes, shared by all kinds, apply it.
    pub fn delivery(&self) -> Delivery {
        match self {
            Destination::Webhook(hook) => hook.delivery,
            Destination::Postgres(table) => table.delivery,
            Destination::S3(bucket) => bucket.delivery,
        }
    }

    /// Rows per message: how an import's rows are cut into the outbox's messages.
    pub fn chunk_rows(&self) -> u32 {
        match self {
            Destination::Webhook(hook) => hook.chunk_rows,
            // One message for the whole import when it is one transaction.
            Destination::Postgres(table) if table.transaction == PgTransaction::Import => u32::MAX,
            Destination::Postgres(table) => table.chunk_rows,
            // One message for the whole import: it is one object.
            Destination::S3(_) => u32::MAX,
        }
    }
}

/// A webhook that receives rows in signed requests.
#[derive(Clone, Debug)]
pub struct Webhook {
    /// The URL, normalised (lowercase scheme and host, default port removed). Plain `http://`
    /// only with `allow_private_network`.
    pub url: String,
    /// The Standard Webhooks signing secret: `whsec_` then 24 to 64 bytes in base64.
    pub secret: Secret,
    /// The secret this one replaced when it was rotated in the dashboard, which also signs
    /// every message until its time is up, so that a receiver verifies with either meanwhile;
    /// never from the configuration file.
    pub previous: Option<PreviousSecret>,
    /// Whether the URL may lead to this machine or a private network (default false). The
    /// config refuses such literal addresses and `localhost`; names must still be checked when
    /// they are resolved, with [`is_private_address`](super::is_private_address).
    pub allow_private_network: bool,
    /// Rows per `import.rows` message, 1 to 100000 (default 1000).
    pub chunk_rows: u32,
    /// Whether messages go one at a time, in order, or several at once.
    pub delivery: Delivery,
    /// The longest an attempt may take, from connecting to the end of the response (default
    /// 30s, at most 5m).
    pub timeout: Duration,
}

/// A webhook's signing secret before its rotation, still signing for a while.
#[derive(Clone, Debug)]
pub struct PreviousSecret {
    /// The secret.
    pub secret: Secret,
    /// Until when (Unix seconds) it signs beside the new one.
    pub until: i64,
}

/// How messages go to a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// One at a time, in the order they were made (`delivery = "sequential"`, the default): a
    /// message waits until the one before it is delivered or has become a dead letter.
    Sequential,
    /// Up to `parallelism` (1 to 64, default 4) at once, in no promised order
    /// (`delivery = "parallel"`).
    Parallel {
        /// Messages in flight at once.
        parallelism: u32,
    },
}

/// Reads every destination of an importer.
pub(super) fn read_all(importer: &Table<'_>, report: &mut Report<'_>) -> Vec<Destination> {
    let mut known = vec!["type"];
    known.extend(WEBHOOK_FIELDS.iter().chain(table::FIELDS).chain(bucket::FIELDS));
    let tables = importer.tables("destinations", &known, report);
    tables.iter().filter_map(|t| read(t, report)).collect()
}

/// Reads one destination by its type, refusing the fields of other types.
fn read(t: &Table<'_>, report: &mut Report<'_>) -> Option<Destination> {
    if !t.require("type", "\"webhook\"", report) {
        return None;
    }
    let kind = t.parsed("type", "expected a string", report, |kind| match kind {
        "webhook" | "postgres" | "s3" => Ok(kind.to_owned()),
        _ => Err("unknown destination type: expected \"webhook\", \"postgres\" or \"s3\"".to_owned()),
    })?;
    let own = match kind.value.as_str() {
        "webhook" => WEBHOOK_FIELDS,
        "postgres" => table::FIELDS,
        _ => bucket::FIELDS,
    };
    let every: std::collections::BTreeSet<&str> =
        WEBHOOK_FIELDS.iter().chain(table::FIELDS).chain(bucket::FIELDS).copied().collect();
    for field in every.into_iter().filter(|f| !own.contains(f) && t.node(f).is_some()) {
        report.error(&t.place(field), format!("is not a setting of type = \"{}\": remove it", kind.value));
    }
    match kind.value.as_str() {
        "webhook" => read_webhook(t, report).map(Destination::Webhook),
        "postgres" => table::read(t, report).map(Destination::Postgres),
        _ => bucket::read(t, report).map(Destination::S3),
    }
}

/// Reads a webhook.
fn read_webhook(t: &Table<'_>, report: &mut Report<'_>) -> Option<Webhook> {
    let private = t.boolean("allow_private_network", report).is_some_and(|allow| allow.value);
    let has_url = t.require("url", "\"https://app.example.com/hooks/sluice\"", report);
    let has_secret = t.require("secret", "\"whsec_...\"", report);
    let url = has_url.then(|| t.parsed("url", "expected a string", report, |url| parse_url(url, private)));
    let secret = has_secret.then(|| t.parsed("secret", "expected a string", report, parse_secret));
    let chunk_rows = chunk_rows(t, report, DEFAULT_CHUNK_ROWS);
    let delivery = read_delivery(t, report);
    let timeout = read_timeout(t, report);
    let (url, secret) = (url??.value, secret??);
    check_weak_secret(&url, &secret, report);
    Some(Webhook {
        url,
        secret: secret.value,
        previous: None,
        allow_private_network: private,
        chunk_rows,
        delivery,
        timeout,
    })
}

/// Reports a weak secret (`super::weak`) of a webhook off this machine: a receiver on
/// loopback (`make run`'s) may use the published example secret.
fn check_weak_secret(url: &str, secret: &Located<Secret>, report: &mut Report<'_>) {
    let on_this_machine = HttpUrl::parse(url).is_ok_and(|url| net::is_loopback_host(url.host()));
    let text = secret.value.expose();
    let random_part = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
    if let Some(reason) = super::weak::weakness(text, random_part).filter(|_| !on_this_machine) {
        report.weak(&secret.place, reason);
    }
}

/// Reads `chunk_rows`, 1 to 100000.
pub(super) fn chunk_rows(t: &Table<'_>, report: &mut Report<'_>, default: u32) -> u32 {
    let Some(rows) = t.unsigned("chunk_rows", report) else { return default };
    match u32::try_from(rows.value) {
        Ok(value) if (1..=MAX_CHUNK_ROWS).contains(&rows.value) => value,
        _ => {
            report.error(&rows.place, format!("must be from 1 to {MAX_CHUNK_ROWS} rows per message"));
            default
        }
    }
}

/// Reads `delivery` and `parallelism`.
pub(super) fn read_delivery(t: &Table<'_>, report: &mut Report<'_>) -> Delivery {
    let parallel = t
        .parsed("delivery", "expected a string", report, |mode| match mode {
            "sequential" => Ok(false),
            "parallel" => Ok(true),
            _ => Err("expected \"sequential\" or \"parallel\"".to_owned()),
        })
        .is_some_and(|parallel| parallel.value);
    let parallelism = t.unsigned("parallelism", report);
    match (parallel, parallelism) {
        (false, Some(given)) => {
            report.error(
                &given.place,
                "only applies with delivery = \"parallel\": remove it or change delivery",
            );
            Delivery::Sequential
        }
        (false, None) => Delivery::Sequential,
        (true, None) => Delivery::Parallel { parallelism: DEFAULT_PARALLELISM },
        (true, Some(given)) => match u32::try_from(given.value) {
            Ok(value) if (1..=MAX_PARALLELISM).contains(&given.value) => {
                Delivery::Parallel { parallelism: value }
            }
            _ => {
                report.error(&given.place, format!("must be from 1 to {MAX_PARALLELISM} messages at once"));
                Delivery::Parallel { parallelism: DEFAULT_PARALLELISM }
            }
        },
    }
}

/// Reads `timeout`: more than 0, at most 5m.
pub(super) fn read_timeout(t: &Table<'_>, report: &mut Report<'_>) -> Duration {
    let Some(timeout) = t.duration("timeout", report) else { return DEFAULT_TIMEOUT };
    if timeout.value.is_zero() || timeout.value > MAX_TIMEOUT {
        report.error(&timeout.place, "must be more than 0 and at most 5m");
        return DEFAULT_TIMEOUT;
    }
    timeout.value
}

/// Parses a webhook URL; the message never repeats it, as URLs may carry tokens.
fn parse_url(text: &str, allow_private_network: bool) -> Result<String, String> {
    let url = HttpUrl::parse(text).map_err(|reason| {
        format!("{reason}; expected a URL such as \"https://app.example.com/hooks/sluice\"")
    })?;
    if allow_private_network {
        return Ok(url.normalised());
    }
    if net::is_private_host(url.host()) {
        return Err("leads to this machine or a private network: set allow_private_network = true if \
                    that is intended"
            .to_owned());
    }
    if !url.is_https() {
        return Err("uses plain http://, so rows would cross the network unencrypted: use https://, or \
                    set allow_private_network = true for a receiver on your own network"
            .to_owned());
    }
    Ok(url.normalised())
}

/// Checks a Standard Webhooks secret; the message never repeats it.
fn parse_secret(text: &str) -> Result<Secret, String> {
    match webhook_key(text).map(|key| key.len()) {
        Some(24..=64) => Ok(Secret::new(text)),
        _ => Err(SECRET_EXAMPLE.to_owned()),
    }
}

/// The key bytes of a `whsec_` secret: the rest in base64, standard or URL-safe, padded or not
/// (one alphabet, canonical trailing bits); `None` when it is not that or is empty. The one
/// decoding used both to check the configuration and to sign.
pub fn webhook_key(secret: &str) -> Option<Zeroizing<Vec<u8>>> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let encoded = secret.strip_prefix(SECRET_PREFIX)?;
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(encoded).ok())
        .filter(|bytes| !bytes.is_empty())
        .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_need_https_unless_the_private_network_is_allowed() {
        let cases = [
            ("HTTPS://App.Example.com:443/hooks?t=1", false, Ok("https://app.example.com/hooks?t=1")),
            ("http://app.example.com/hooks", false, Err("uses plain http://")),
            ("http://app.example.com/hooks", true, Ok("http://app.example.com/hooks")),
            ("https://127.0.0.1:9000/hooks", false, Err("leads to this machine or a private network")),
            ("https://localhost/hooks", false, Err("leads to this machine")),
            ("https://10.0.0.8/hooks", false, Err("private network")),
            ("http://127.0.0.1:9000/hooks", true, Ok("http://127.0.0.1:9000/hooks")),
            ("ftp://app.example.com", true, Err("must start with http:// or https://")),
            ("https:///hooks", true, Err("has no host")),
        ];
        for (text, private, expected) in cases {
            match (parse_url(text, private), expected) {
                (Ok(url), Ok(expected)) => assert_eq!(url, expected),
                (Err(error), Err(reason)) => assert!(error.contains(reason), "{text}: {error}"),
                (got, _) => panic!("{text}: {got:?}"),
            }
        }
    }

    #[test]
    fn postgres_and_s3_destinations_are_read_and_other_kinds_settings_refused() {
        use super::super::tests::{IMPORTER, assert_errors, load};
        let postgres = "[[importers.destinations]]\ntype = \"postgres\"\nurl = \"postgres://sluice@db.example.com/crm\"\n\
                        password_env = \"CRM_DB_PASSWORD\"\ntable = \"crm.contacts\"\n";
        let s3 = "[[importers.destinations]]\ntype = \"s3\"\nendpoint = \"https://s3.eu-west-1.amazonaws.com\"\n\
                  bucket = \"imports\"\nregion = \"eu-west-1\"\n";
        let config = load(&format!("{IMPORTER}{postgres}{s3}")).unwrap();
        let [Destination::Postgres(table), Destination::S3(bucket)] =
            config.importers[0].destinations.as_slice()
        else {
            panic!("a table and a bucket")
        };
        assert_eq!((table.table.as_str(), table.tls, table.chunk_rows), ("crm.contacts", true, 5000));
        assert_eq!(
            (bucket.bucket.as_str(), bucket.access_key_id_env.as_str()),
            ("imports", "AWS_ACCESS_KEY_ID")
        );
        assert_eq!(config.importers[0].destinations[1].chunk_rows(), u32::MAX);
        assert_errors(
            &format!("{IMPORTER}{s3}secret = \"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n"),
            &[(11, "importers[0].destinations[0].secret", "is not a setting of type = \"s3\"")],
        );
        assert_errors(
            &format!("{IMPORTER}{}", postgres.replace("sluice@", "sluice:hunter2@")),
            &[(8, "importers[0].destinations[0].url", "password_env")],
        );
    }

    #[test]
    fn url_errors_do_not_repeat_the_url() {
        let error = parse_url("http://app.example.com/hooks?token=s3cr3t", false).unwrap_err();
        assert!(!error.contains("s3cr3t"), "{error}");
    }

    #[test]
    fn webhook_secrets_are_whsec_and_24_to_64_bytes_of_base64_and_never_echoed() {
        let bytes = |n: usize| "A".repeat(n / 3 * 4);
        let cases = [
            (format!("whsec_{}", bytes(24)), true),
            (format!("whsec_{}", bytes(33)), true),
            (format!("whsec_{}", bytes(63)), true),
            (format!("whsec_{}", bytes(21)), false),
            (format!("whsec_{}", bytes(66)), false),
            (bytes(33), false),
            ("whsec_not base64!not base64!not base64!".to_owned(), false),
            (format!("whsec_{}-w", bytes(30)), true),
            (format!("whsec_{}+A-A", bytes(27)), false),
            (format!("whsec_{}AB==", bytes(30)), false),
        ];
        for (text, valid) in cases {
            match parse_secret(&text) {
                Ok(secret) => assert!(valid && secret.expose() == text, "{text}"),
                Err(error) => assert!(!valid && error == SECRET_EXAMPLE, "{text}: {error}"),
            }
        }
    }
}
