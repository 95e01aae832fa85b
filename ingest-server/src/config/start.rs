//! `[importers.start]`: who may start an import of an importer and what a start may cost, so
//! that a public importer key cannot be used to keep data on the server: how many imports may
//! be open at once, how large the user, attributes and file details may be, how soon an import
//! must receive its first batch, and the secret that signed starts are checked with.

use super::error::Report;
use super::reader::{Table, nonzero};
use super::secret::Secret;
use super::units::ByteSize;
use std::time::Duration;

/// The fields of `[importers.start]`.
pub(super) const FIELDS: &[&str] = &["max_open", "max_metadata", "first_batch_within", "secret"];

/// The fewest characters of a start secret.
const MIN_SECRET: usize = 32;

/// The largest `max_metadata`.
const MAX_METADATA: ByteSize = ByteSize(1 << 20);

/// The smallest `max_metadata`: room for a file name, a user id and a few attributes.
const MIN_METADATA: ByteSize = ByteSize(1 << 10);

/// How imports of one importer start.
#[derive(Clone, Debug)]
pub struct ImportStart {
    /// Imports open at once (started, not complete, not past their expiry), at least 1
    /// (default 100); one more is refused until one completes or expires.
    pub max_open: u64,
    /// The most bytes of the file's details, user and attributes together, as JSON, 1KiB to
    /// 1MiB (default 16KiB).
    pub max_metadata: ByteSize,
    /// How soon after it starts an import must store its first batch, or expire (default 10m,
    /// at most `server.limits.import_ttl`); the first batch gives it the whole `import_ttl`.
    pub first_batch_within: Duration,
    /// The secret the host app's server signs start tokens with (HMAC-SHA256 over its UTF-8
    /// bytes; at least 32 printable characters without spaces). With one, a start without a
    /// valid token for its user and attributes is refused; default none.
    pub secret: Option<Secret>,
}

impl Default for ImportStart {
    fn default() -> Self {
        ImportStart {
            max_open: 100,
            max_metadata: ByteSize(16 << 10),
            first_batch_within: Duration::from_secs(600),
            secret: None,
        }
    }
}

impl ImportStart {
    /// Reads `[importers.start]`; `import_ttl` bounds `first_batch_within`.
    pub(super) fn read(t: &Table<'_>, import_ttl: Duration, report: &mut Report<'_>) -> Self {
        let default = ImportStart::default();
        ImportStart {
            max_open: nonzero(t.unsigned("max_open", report), report).unwrap_or(default.max_open),
            max_metadata: max_metadata(t, report).unwrap_or(default.max_metadata),
            first_batch_within: first_batch_within(t, import_ttl, report)
                .unwrap_or_else(|| default.first_batch_within.min(import_ttl)),
            secret: secret(t, report),
        }
    }
}

/// Reads `secret`: at least 32 printable characters without spaces, reported when weak.
fn secret(t: &Table<'_>, report: &mut Report<'_>) -> Option<Secret> {
    let secret = t.parsed("secret", "expected a string", report, |text| {
        let printable = text.bytes().all(|b| b.is_ascii_graphic());
        match text.len() >= MIN_SECRET && printable {
            true => Ok(Secret::new(text)),
            false => Err(format!(
                "expected at least {MIN_SECRET} printable characters without spaces, such as the output of \
                 `openssl rand -base64 32`"
            )),
        }
    })?;
    let text = secret.value.expose();
    if let Some(reason) = super::weak::weakness(text, text) {
        report.weak(&secret.place, reason);
    }
    Some(secret.value)
}

/// Reads `max_metadata`, 1KiB to 1MiB.
fn max_metadata(t: &Table<'_>, report: &mut Report<'_>) -> Option<ByteSize> {
    let size = t.size("max_metadata", report)?;
    if !(MIN_METADATA..=MAX_METADATA).contains(&size.value) {
        report.error(&size.place, format!("must be from {MIN_METADATA} to {MAX_METADATA}"));
        return None;
    }
    Some(size.value)
}

/// Reads `first_batch_within`: more than 0, at most `import_ttl`.
fn first_batch_within(t: &Table<'_>, import_ttl: Duration, report: &mut Report<'_>) -> Option<Duration> {
    let within = t.duration("first_batch_within", report)?;
    if within.value.is_zero() || within.value > import_ttl {
        let message = format!(
            "must be more than 0 and at most server.limits.import_ttl ({}s), the time a whole import may take",
            import_ttl.as_secs()
        );
        report.error(&within.place, message);
        return None;
    }
    Some(within.value)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{IMPORTER, assert_errors, load};
    use super::*;

    /// The values of a start section that can be compared.
    fn limits(start: &ImportStart) -> (u64, ByteSize, Duration) {
        (start.max_open, start.max_metadata, start.first_batch_within)
    }

    #[test]
    fn start_limits_are_read_with_their_defaults() {
        let start = &load(IMPORTER).unwrap().importers[0].start;
        assert_eq!(limits(start), limits(&ImportStart::default()));
        assert!(start.secret.is_none());
        let table = "[importers.start]\nmax_open = 5\nmax_metadata = \"4KiB\"\nfirst_batch_within = \"90s\"\n\
                     secret = \"Xq9-2hR7mV4kP1zL8cN3bT6wY0sG5dJf\"\n";
        let config = load(&format!("{IMPORTER}{table}")).unwrap();
        let start = &config.importers[0].start;
        assert_eq!(limits(start), (5, ByteSize(4096), Duration::from_secs(90)));
        assert_eq!(start.secret.as_ref().map(Secret::expose), Some("Xq9-2hR7mV4kP1zL8cN3bT6wY0sG5dJf"));
        assert!(config.weak_secrets.is_empty());
        let short = format!("[server.limits]\nimport_ttl = \"5m\"\n{IMPORTER}");
        assert_eq!(load(&short).unwrap().importers[0].start.first_batch_within, Duration::from_secs(300));
    }

    #[test]
    fn start_secrets_are_long_and_weak_ones_are_reported() {
        let with = |secret: &str| format!("{IMPORTER}[importers.start]\nsecret = \"{secret}\"\n");
        assert_errors(
            &with("short"),
            &[(7, "importers[0].start.secret", "at least 32 printable characters")],
        );
        let weak = load(&with(&"ab".repeat(20))).unwrap().weak_secrets;
        assert_eq!(weak.len(), 1);
        assert_eq!((weak[0].line, weak[0].field.as_str()), (Some(7), "importers[0].start.secret"));
        let published = load(&with("sluice-start-token-test-vector-secret-0001")).unwrap().weak_secrets;
        assert!(published[0].message.contains("published"), "{}", published[0].message);
    }

    #[test]
    fn start_limits_out_of_range_are_refused() {
        let table = "[importers.start]\nmax_open = 0\nmax_metadata = \"2MiB\"\nfirst_batch_within = \"2d\"\n";
        assert_errors(
            &format!("{IMPORTER}{table}"),
            &[
                (7, "importers[0].start.max_open", "must be greater than 0"),
                (8, "importers[0].start.max_metadata", "must be from 1KiB to 1MiB"),
                (9, "importers[0].start.first_batch_within", "at most server.limits.import_ttl (86400s)"),
            ],
        );
    }
}
