//! `[importers.start]`: who may start an import of an importer and what a start may cost, so
//! that a public importer key cannot be used to keep data on the server: how many imports may
//! be open at once, how large the user, attributes and file details may be, and how soon an
//! import must receive its first batch.

use super::error::Report;
use super::reader::{Table, nonzero};
use super::units::ByteSize;
use std::time::Duration;

/// The fields of `[importers.start]`.
pub(super) const FIELDS: &[&str] = &["max_open", "max_metadata", "first_batch_within"];

/// The largest `max_metadata`.
const MAX_METADATA: ByteSize = ByteSize(1 << 20);

/// The smallest `max_metadata`: room for a file name, a user id and a few attributes.
const MIN_METADATA: ByteSize = ByteSize(1 << 10);

/// How imports of one importer start.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

impl Default for ImportStart {
    fn default() -> Self {
        ImportStart {
            max_open: 100,
            max_metadata: ByteSize(16 << 10),
            first_batch_within: Duration::from_secs(600),
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
        }
    }
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

    #[test]
    fn start_limits_are_read_with_their_defaults() {
        assert_eq!(load(IMPORTER).unwrap().importers[0].start, ImportStart::default());
        let table =
            "[importers.start]\nmax_open = 5\nmax_metadata = \"4KiB\"\nfirst_batch_within = \"90s\"\n";
        let start = &load(&format!("{IMPORTER}{table}")).unwrap().importers[0].start;
        let expected = ImportStart {
            max_open: 5,
            max_metadata: ByteSize(4096),
            first_batch_within: Duration::from_secs(90),
        };
        assert_eq!(start, &expected);
        let short = format!("[server.limits]\nimport_ttl = \"5m\"\n{IMPORTER}");
        assert_eq!(load(&short).unwrap().importers[0].start.first_batch_within, Duration::from_secs(300));
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
