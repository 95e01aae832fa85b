//! An `[[importers]]` entry: its public key, the origins that may embed it, its schema, what to
//! do with invalid rows and with the file's unmapped columns, limits, retention and
//! destinations; read and checked.

use super::destination::{self, Destination};
use super::error::{Located, Report};
use super::net;
use super::reader::{Table, nonzero};
use super::schema;
use super::start::{self, ImportStart};
use super::units::ByteSize;
use sluice_parser::schema::Schema;
use std::path::Path;

/// The fields of `[[importers]]`.
pub(super) const IMPORTER_FIELDS: &[&str] = &[
    "key",
    "name",
    "allowed_origins",
    "schema",
    "invalid_rows",
    "unmapped_columns",
    "limits",
    "start",
    "retention",
    "destinations",
    "host_page_rows",
];

/// The fields of `[importers.limits]`.
const LIMIT_FIELDS: &[&str] = &["max_rows", "min_rows", "max_file_size", "batch_rows", "batch_bytes"];

/// The fields of `[importers.retention]`.
const RETENTION_FIELDS: &[&str] = &["mode", "days"];

/// The most rows per batch: a batch is checked and stored in one piece.
const MAX_BATCH_ROWS: u64 = 100_000;

/// The longest retention, in days: ten years.
const MAX_RETENTION_DAYS: u64 = 3650;

/// The retention when none is written, in days.
const DEFAULT_RETENTION_DAYS: u32 = 30;

/// One importer, checked.
#[derive(Clone, Debug)]
pub struct Importer {
    /// The public key that names the importer in URLs: 3 to 64 of `a-z`, `0-9`, `_`, `-`; unique.
    pub key: String,
    /// The name shown to end users (default: the key).
    pub name: String,
    /// The origins that may embed the importer, normalised (`https://app.example.com`), at
    /// least one, without duplicates.
    pub allowed_origins: Vec<String>,
    /// The columns the importer expects.
    pub schema: Schema,
    /// What to do with rows that fail validation.
    pub invalid_rows: InvalidRows,
    /// What happens to the file's columns that no schema column takes.
    pub unmapped_columns: UnmappedColumns,
    /// Size limits.
    pub limits: ImporterLimits,
    /// How imports start: open imports at once, metadata size, time to the first batch.
    pub start: ImportStart,
    /// How long imported rows are kept.
    pub retention: Retention,
    /// Where rows are delivered, in order; may be empty when rows are kept for download or
    /// handed to the host page only.
    pub destinations: Vec<Destination>,
    /// Whether the widget may hand the checked rows to the host page (`onData`) and to the host
    /// page's hooks (`validateRows`, `transformRow`); off by default, since rows then leave the
    /// importer's frame for the page that embeds it.
    pub host_page_rows: bool,
}

impl Importer {
    /// Whether the server takes rows at all: not when they are never stored and go nowhere but
    /// to the host page (`host_page_rows` with `never_store` and no destination), where the
    /// server keeps only the import's log.
    pub fn stores_rows(&self) -> bool {
        !(self.host_page_rows && self.retention == Retention::NeverStore && self.destinations.is_empty())
    }
}

/// What to do with rows that fail validation (default: refuse).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidRows {
    /// The widget does not submit until every invalid row is fixed or removed (`"refuse"`).
    #[default]
    Refuse,
    /// Invalid rows are stored and delivered with their errors (`"record"`).
    Record,
}

/// What happens to the file's columns that no schema column takes (default: left out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnmappedColumns {
    /// Never collected: the widget leaves them out and the server refuses a batch that carries
    /// them (`"leave_out"`), so data the app never asked for is not shipped, stored or delivered.
    #[default]
    LeaveOut,
    /// Sent, stored and delivered beside the schema's columns under their header names (`"keep"`).
    Keep,
    /// The end user chooses on the mapping step, "leave out" preselected (`"ask"`).
    Ask,
}

impl UnmappedColumns {
    /// The setting as written in the configuration and the public config.
    pub fn as_str(self) -> &'static str {
        match self {
            UnmappedColumns::LeaveOut => "leave_out",
            UnmappedColumns::Keep => "keep",
            UnmappedColumns::Ask => "ask",
        }
    }
}

/// Limits on one import, each greater than zero except `min_rows`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImporterLimits {
    /// The most data rows a file may have (default 1000000).
    pub max_rows: u64,
    /// The fewest rows an import may complete with, at most `max_rows` (default 1; 0 allows an
    /// empty import, and the widget then reads an empty or header-only file as 0 rows).
    pub min_rows: u64,
    /// The largest file the widget accepts (default 1GiB).
    pub max_file_size: ByteSize,
    /// Rows per batch the widget sends, 1 to 100000 (default 5000).
    pub batch_rows: u32,
    /// The most bytes of rows per batch, at most `server.limits.max_body` (default 1MiB).
    pub batch_bytes: ByteSize,
}

impl Default for ImporterLimits {
    fn default() -> Self {
        ImporterLimits {
            max_rows: 1_000_000,
            min_rows: 1,
            max_file_size: ByteSize(1 << 30),
            batch_rows: 5000,
            batch_bytes: ByteSize(1 << 20),
        }
    }
}

/// How long imported rows are kept (default: 30 days).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retention {
    /// Kept for `days` (1 to 3650) after the import, then deleted (`mode = "keep"`).
    Keep {
        /// Days to keep.
        days: u32,
    },
    /// Deleted once every destination has acknowledged every message of the import
    /// (`"delete_after_delivery"`); rows that cannot be delivered (dead letters) are kept for
    /// the operator to retry, `days` (1 to 3650, default 30) at most.
    DeleteAfterDelivery {
        /// Days at most to keep rows not delivered.
        days: u32,
    },
    /// Pass-through (`"never_store"`): rows are held, sealed, only while their delivery is under
    /// way, and deleted as soon as it ends, delivered or dead-lettered; never readable by the
    /// operator's export.
    NeverStore,
}

/// What importers take from the rest of the configuration.
pub(super) struct Context<'c> {
    /// The folder relative paths start from.
    pub(super) base: &'c Path,
    /// `server.limits.max_body`, which a batch must fit in.
    pub(super) max_body: ByteSize,
    /// The longest a webhook message can be retried: the retry schedule, with its jitter.
    pub(super) retry_span: std::time::Duration,
    /// `server.limits.import_ttl`, the most an import's first batch may be waited for.
    pub(super) import_ttl: std::time::Duration,
}

/// Reads every `[[importers]]` table; keys must be unique.
pub(super) fn read_all(root: &Table<'_>, context: &Context<'_>, report: &mut Report<'_>) -> Vec<Importer> {
    let mut keys: Vec<Located<String>> = Vec::new();
    let mut importers = Vec::new();
    for table in root.tables("importers", IMPORTER_FIELDS, report) {
        let key = read_key(&table, report);
        if let Some(key) = &key {
            match keys.iter().find(|seen| seen.value == key.value) {
                Some(seen) => report.error(
                    &key.place,
                    format!(
                        "\"{}\" is already the key of {}: each importer needs its own key",
                        key.value, seen.place.field
                    ),
                ),
                None => keys.push(key.clone()),
            }
        }
        importers.extend(Importer::read(&table, key, context, report));
    }
    importers
}

/// Reads one importer table on its own (the dashboard's), key and all.
pub(super) fn read_one(t: &Table<'_>, context: &Context<'_>, report: &mut Report<'_>) -> Option<Importer> {
    let key = read_key(t, report);
    Importer::read(t, key, context, report)
}

/// Reads and checks an importer's key.
fn read_key(t: &Table<'_>, report: &mut Report<'_>) -> Option<Located<String>> {
    if !t.require("key", "\"contacts\"", report) {
        return None;
    }
    t.parsed("key", "expected a string", report, |key| {
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-';
        match (3..=64).contains(&key.len()) && key.bytes().all(allowed) {
            true => Ok(key.to_owned()),
            false => {
                Err("must be 3 to 64 characters among a-z, 0-9, _ and -, such as \"contacts\"".to_owned())
            }
        }
    })
}

impl Importer {
    /// Reads an importer table whose key was read already.
    fn read(
        t: &Table<'_>,
        key: Option<Located<String>>,
        context: &Context<'_>,
        report: &mut Report<'_>,
    ) -> Option<Self> {
        let label = key.as_ref().map_or_else(|| t.own_place().field, |key| key.value.clone());
        let name = t.string("name", report).map(|name| name.value);
        let allowed_origins = read_origins(t, report);
        let schema = schema::read(t, &label, context.base, report);
        let invalid_rows = t.parsed("invalid_rows", "expected a string", report, parse_invalid_rows);
        let unmapped = t.parsed("unmapped_columns", "expected a string", report, parse_unmapped_columns);
        let limits = ImporterLimits::read(&t.table("limits", LIMIT_FIELDS, report), context.max_body, report);
        let start = ImportStart::read(&t.table("start", start::FIELDS, report), context.import_ttl, report);
        let retention = read_retention(&t.table("retention", RETENTION_FIELDS, report), report);
        let destinations = destination::read_all(t, report);
        let host_page_rows = t.boolean("host_page_rows", report).is_some_and(|v| v.value);
        if destinations.is_empty() {
            check_retention_without_destination(&retention, host_page_rows, report);
        } else {
            check_retention_outlasts_retries(&retention, context.retry_span, report);
        }
        let key = key?.value;
        Some(Importer {
            name: name.unwrap_or_else(|| key.clone()),
            key,
            allowed_origins: allowed_origins?,
            schema: schema?,
            invalid_rows: invalid_rows.map_or(InvalidRows::default(), |v| v.value),
            unmapped_columns: unmapped.map_or(UnmappedColumns::default(), |v| v.value),
            limits,
            start,
            retention: retention.value,
            destinations,
            host_page_rows,
        })
    }
}

/// Reads `allowed_origins`: at least one, normalised, duplicates dropped.
fn read_origins(t: &Table<'_>, report: &mut Report<'_>) -> Option<Vec<String>> {
    if !t.require("allowed_origins", "[\"https://app.example.com\"]", report) {
        return None;
    }
    let origins = t.strings("allowed_origins", report, net::parse_origin)?;
    if origins.is_empty() {
        let message = "is empty: list the origins of the web pages that embed this importer, such as \
                       [\"https://app.example.com\"]";
        report.error(&t.place("allowed_origins"), message);
        return None;
    }
    let mut unique: Vec<String> = Vec::with_capacity(origins.len());
    for origin in origins {
        if !unique.contains(&origin.value) {
            unique.push(origin.value);
        }
    }
    Some(unique)
}

/// Parses `invalid_rows`.
fn parse_invalid_rows(text: &str) -> Result<InvalidRows, String> {
    match text {
        "refuse" => Ok(InvalidRows::Refuse),
        "record" => Ok(InvalidRows::Record),
        _ => Err("expected \"refuse\" or \"record\"".to_owned()),
    }
}

/// Parses `unmapped_columns`.
fn parse_unmapped_columns(text: &str) -> Result<UnmappedColumns, String> {
    match text {
        "leave_out" => Ok(UnmappedColumns::LeaveOut),
        "keep" => Ok(UnmappedColumns::Keep),
        "ask" => Ok(UnmappedColumns::Ask),
        _ => Err("expected \"leave_out\", \"keep\" or \"ask\"".to_owned()),
    }
}

impl ImporterLimits {
    /// Reads `[importers.limits]`; a batch must fit in a request body.
    fn read(t: &Table<'_>, max_body: ByteSize, report: &mut Report<'_>) -> Self {
        let default = ImporterLimits::default();
        let max_rows = nonzero(t.unsigned("max_rows", report), report).unwrap_or(default.max_rows);
        ImporterLimits {
            max_rows,
            min_rows: min_rows(t, max_rows, report).unwrap_or(default.min_rows),
            max_file_size: nonzero(t.size("max_file_size", report), report).unwrap_or(default.max_file_size),
            batch_rows: batch_rows(t, report).unwrap_or(default.batch_rows),
            batch_bytes: batch_bytes(t, max_body, report).unwrap_or(default.batch_bytes),
        }
    }
}

/// Reads `min_rows`, 0 to `max_rows`.
fn min_rows(t: &Table<'_>, max_rows: u64, report: &mut Report<'_>) -> Option<u64> {
    let rows = t.unsigned("min_rows", report)?;
    if rows.value > max_rows {
        report.error(&rows.place, format!("must be at most max_rows ({max_rows})"));
        return None;
    }
    Some(rows.value)
}

/// Reads `batch_rows`, 1 to 100000.
fn batch_rows(t: &Table<'_>, report: &mut Report<'_>) -> Option<u32> {
    let rows = t.unsigned("batch_rows", report)?;
    match u32::try_from(rows.value) {
        Ok(value) if (1..=MAX_BATCH_ROWS).contains(&rows.value) => Some(value),
        _ => {
            report.error(&rows.place, format!("must be from 1 to {MAX_BATCH_ROWS} rows per batch"));
            None
        }
    }
}

/// Reads `batch_bytes`, checked against the request body limit even when left to its default.
fn batch_bytes(t: &Table<'_>, max_body: ByteSize, report: &mut Report<'_>) -> Option<ByteSize> {
    let bytes = match t.node("batch_bytes") {
        Some(_) => Located::new(nonzero(t.size("batch_bytes", report), report)?, t.place("batch_bytes")),
        None => t.default("batch_bytes", ImporterLimits::default().batch_bytes),
    };
    if bytes.value > max_body {
        let message = format!(
            "{} is larger than server.limits.max_body ({max_body}): each batch is sent in one request, \
             so lower batch_bytes or raise max_body",
            bytes.value
        );
        report.error(&bytes.place, message);
        return None;
    }
    Some(bytes.value)
}

/// Reads `[importers.retention]`; the result is placed at `mode`.
fn read_retention(t: &Table<'_>, report: &mut Report<'_>) -> Located<Retention> {
    let keep = Retention::Keep { days: DEFAULT_RETENTION_DAYS };
    let mode =
        t.parsed("mode", "expected a string", report, parse_mode).unwrap_or_else(|| t.default("mode", keep));
    let days = t.unsigned("days", report);
    let checked = days.map(|days| match u32::try_from(days.value) {
        Ok(value) if (1..=MAX_RETENTION_DAYS).contains(&days.value) => Some(value),
        _ => {
            report.error(&days.place, format!("must be from 1 to {MAX_RETENTION_DAYS} days"));
            None
        }
    });
    let retention = match (mode.value, checked) {
        (Retention::Keep { .. }, Some(Some(days))) => Retention::Keep { days },
        (Retention::DeleteAfterDelivery { .. }, Some(Some(days))) => Retention::DeleteAfterDelivery { days },
        (Retention::NeverStore, Some(_)) => {
            let message = "does not apply when mode is \"never_store\": rows are deleted when their \
                           delivery ends";
            report.error(&t.place("days"), message);
            Retention::NeverStore
        }
        (other, _) => other,
    };
    Located::new(retention, mode.place)
}

/// Parses a retention `mode`, with the default number of days for `keep`.
fn parse_mode(text: &str) -> Result<Retention, String> {
    match text {
        "keep" => Ok(Retention::Keep { days: DEFAULT_RETENTION_DAYS }),
        "delete_after_delivery" => Ok(Retention::DeleteAfterDelivery { days: DEFAULT_RETENTION_DAYS }),
        "never_store" => Ok(Retention::NeverStore),
        _ => Err("expected \"keep\", \"delete_after_delivery\" or \"never_store\"".to_owned()),
    }
}

/// Rows that are deleted on delivery, or never stored, need somewhere to go: a destination, or
/// for rows never stored, the host page.
fn check_retention_without_destination(
    retention: &Located<Retention>,
    host_page_rows: bool,
    report: &mut Report<'_>,
) {
    let lost = match retention.value {
        Retention::DeleteAfterDelivery { .. } => true,
        Retention::NeverStore => !host_page_rows,
        Retention::Keep { .. } => false,
    };
    if lost {
        let message = "needs at least one destination, or rows would be lost: add \
                       [[importers.destinations]], or set mode = \"keep\" (or, for \"never_store\", \
                       host_page_rows = true to hand rows to the host page only)";
        report.error(&retention.place, message);
    }
}

/// Rows kept for fewer days than a delivery may be retried could be deleted mid-retry.
fn check_retention_outlasts_retries(
    retention: &Located<Retention>,
    retry_span: std::time::Duration,
    report: &mut Report<'_>,
) {
    let days = match retention.value {
        Retention::Keep { days } | Retention::DeleteAfterDelivery { days } => days,
        Retention::NeverStore => return,
    };
    if u64::from(days) * 86_400 < retry_span.as_secs() {
        let hours = retry_span.as_secs().div_ceil(3600);
        let unit = if days == 1 { "day" } else { "days" };
        let message = format!(
            "keeps rows {days} {unit}, less than a webhook delivery may be retried (up to {hours} hours with \
             server.delivery.retry_schedule and its jitter): rows could be deleted while still being \
             retried; raise days or shorten the schedule"
        );
        report.error(&retention.place, message);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{IMPORTER, WEBHOOK, assert_errors, load};
    use super::*;

    /// An importer with `lines` added to its table, then `tables` after it.
    fn importer(lines: &str, tables: &str) -> String {
        format!("{IMPORTER}{lines}\n{tables}")
    }

    #[test]
    fn importer_keys_are_checked_and_must_be_unique() {
        for key in ["abc", "contacts-2024_eu", &"k".repeat(64)] {
            assert_eq!(load(&IMPORTER.replace("demo", key)).unwrap().importers[0].key, key);
        }
        for key in ["ab", "Contacts", "con tacts", "contacté", &"k".repeat(65)] {
            let text = IMPORTER.replace("\"demo\"", &format!("{key:?}"));
            assert_errors(
                &text,
                &[(3, "importers[0].key", "must be 3 to 64 characters among a-z, 0-9, _ and -")],
            );
        }
        let text = format!("{IMPORTER}{IMPORTER}");
        assert_errors(&text, &[(8, "importers[1].key", "\"demo\" is already the key of importers[0]")]);
    }

    #[test]
    fn missing_required_fields_are_reported_at_the_importer_header() {
        assert_errors(
            "[[importers]]\nname = \"Contacts\"\n",
            &[
                (1, "importers[0].key", "is missing: add key = \"contacts\""),
                (
                    1,
                    "importers[0].allowed_origins",
                    "is missing: add allowed_origins = [\"https://app.example.com\"]",
                ),
                (1, "importers[0].schema", "is missing: add schema = \"schema.toml\""),
            ],
        );
    }

    #[test]
    fn origins_are_normalised_deduplicated_and_exact() {
        let origins = r#"allowed_origins = [
  "HTTPS://App.Example.com:443/", "https://app.example.com", "http://[::1]:3000"
]"#;
        let text = IMPORTER.replace("allowed_origins = [\"https://app.example.com\"]", origins);
        let config = load(&text).unwrap();
        assert_eq!(config.importers[0].allowed_origins, ["https://app.example.com", "http://[::1]:3000"]);

        let bad = "allowed_origins = [\"*\", \"https://app.example.com/embed\", \"app.example.com\"]";
        assert_errors(
            &IMPORTER.replace("allowed_origins = [\"https://app.example.com\"]", bad),
            &[
                (4, "importers[0].allowed_origins[0]", "\"*\" would let any web page use this importer"),
                (4, "importers[0].allowed_origins[1]", "an origin has no path, query or fragment"),
                (4, "importers[0].allowed_origins[2]", "must start with http:// or https://"),
            ],
        );
        let empty = IMPORTER.replace("[\"https://app.example.com\"]", "[]");
        assert_errors(&empty, &[(4, "importers[0].allowed_origins", "is empty: list the origins")]);
    }

    #[test]
    fn name_and_invalid_rows_are_read() {
        let config = load(&importer("name = \"Contacts\"\ninvalid_rows = \"record\"", "")).unwrap();
        let read = &config.importers[0];
        assert_eq!((read.name.as_str(), read.invalid_rows), ("Contacts", InvalidRows::Record));
        assert_errors(
            &importer("invalid_rows = \"skip\"\nname = \"\"", ""),
            &[
                (6, "importers[0].invalid_rows", "expected \"refuse\" or \"record\""),
                (7, "importers[0].name", "must not be empty"),
            ],
        );
    }

    #[test]
    fn unmapped_columns_are_left_out_unless_the_importer_says_keep_or_ask() {
        let read = |line: &str| load(&importer(line, "")).unwrap().importers[0].unmapped_columns;
        assert_eq!(read(""), UnmappedColumns::LeaveOut);
        assert_eq!(read("unmapped_columns = \"leave_out\""), UnmappedColumns::LeaveOut);
        assert_eq!(read("unmapped_columns = \"keep\""), UnmappedColumns::Keep);
        assert_eq!(read("unmapped_columns = \"ask\""), UnmappedColumns::Ask);
        assert_eq!(UnmappedColumns::Ask.as_str(), "ask");
        assert_errors(
            &importer("unmapped_columns = \"ignore\"", ""),
            &[(6, "importers[0].unmapped_columns", "expected \"leave_out\", \"keep\" or \"ask\"")],
        );
    }

    #[test]
    fn importer_limits_are_read_and_checked() {
        let limits = r#"[importers.limits]
max_rows = 10
min_rows = 0
max_file_size = "10MB"
batch_rows = 100000
batch_bytes = 4096"#;
        let read = load(&importer("", limits)).unwrap().importers[0].limits;
        let expected = ImporterLimits {
            max_rows: 10,
            min_rows: 0,
            max_file_size: ByteSize(10_000_000),
            batch_rows: 100_000,
            batch_bytes: ByteSize(4096),
        };
        assert_eq!(read, expected);

        let zero = r#"[importers.limits]
max_rows = 0
max_file_size = "0GiB"
batch_rows = 0
batch_bytes = "0B""#;
        assert_errors(
            &importer("", zero),
            &[
                (8, "importers[0].limits.max_rows", "must be greater than 0"),
                (9, "importers[0].limits.max_file_size", "must be greater than 0"),
                (10, "importers[0].limits.batch_rows", "must be from 1 to 100000 rows per batch"),
                (11, "importers[0].limits.batch_bytes", "must be greater than 0"),
            ],
        );
        let rows = "[importers.limits]\nbatch_rows = 100001";
        assert_errors(
            &importer("", rows),
            &[(8, "importers[0].limits.batch_rows", "must be from 1 to 100000")],
        );
        assert_eq!(load(IMPORTER).unwrap().importers[0].limits.min_rows, 1, "min_rows defaults to 1");
        let fewer = "[importers.limits]\nmax_rows = 5\nmin_rows = 6";
        assert_errors(
            &importer("", fewer),
            &[(9, "importers[0].limits.min_rows", "must be at most max_rows (5)")],
        );
    }

    #[test]
    fn a_batch_must_fit_in_a_request_body_even_with_the_default_batch_size() {
        let server = "[server.limits]\nmax_body = \"512KiB\"\n";
        let message =
            "1MiB is larger than server.limits.max_body (512KiB): each batch is sent in one request";
        assert_errors(&format!("{server}{IMPORTER}"), &[(4, "importers[0].limits.batch_bytes", message)]);
        let text = format!("{server}{}", importer("", "[importers.limits]\nbatch_bytes = \"1MiB\""));
        assert_errors(&text, &[(10, "importers[0].limits.batch_bytes", message)]);
        let text = format!("{server}{}", importer("", "[importers.limits]\nbatch_bytes = \"512KiB\""));
        assert!(load(&text).is_ok());
    }

    #[test]
    fn retention_modes_are_read_with_days_except_for_never_store() {
        let after = "[importers.retention]\nmode = \"delete_after_delivery\"\ndays = 7\n";
        let config = load(&importer("", &format!("{after}{WEBHOOK}"))).unwrap();
        assert_eq!(config.importers[0].retention, Retention::DeleteAfterDelivery { days: 7 });
        let cases = [
            ("[importers.retention]\ndays = 1", Retention::Keep { days: 1 }),
            ("[importers.retention]\nmode = \"keep\"\ndays = 3650", Retention::Keep { days: 3650 }),
            ("[importers.retention]\nmode = \"keep\"", Retention::Keep { days: 30 }),
        ];
        for (table, expected) in cases {
            assert_eq!(load(&importer("", table)).unwrap().importers[0].retention, expected, "{table}");
        }
        let errors = [
            (
                "[importers.retention]\ndays = 0",
                (8, "importers[0].retention.days", "must be from 1 to 3650 days"),
            ),
            (
                "[importers.retention]\ndays = 3651",
                (8, "importers[0].retention.days", "must be from 1 to 3650 days"),
            ),
            (
                "[importers.retention]\nmode = \"forever\"",
                (8, "importers[0].retention.mode", "expected \"keep\", \"delete"),
            ),
            (
                "[importers.retention]\nmode = \"never_store\"\ndays = 7",
                (9, "importers[0].retention.days", "does not apply when mode is \"never_store\""),
            ),
        ];
        for (table, expected) in errors {
            let text = importer("", table);
            let expected = if table.contains("never_store") {
                vec![(8, "importers[0].retention.mode", "needs at least one destination"), expected]
            } else {
                vec![expected]
            };
            assert_errors(&text, &expected);
        }
    }

    #[test]
    fn rows_deleted_on_delivery_or_never_stored_need_a_destination() {
        for mode in ["delete_after_delivery", "never_store"] {
            let table = format!("[importers.retention]\nmode = \"{mode}\"\n");
            let message = "needs at least one destination, or rows would be lost";
            assert_errors(&importer("", &table), &[(8, "importers[0].retention.mode", message)]);
            let config = load(&importer("", &format!("{table}{WEBHOOK}"))).unwrap();
            let expected = if mode == "never_store" {
                Retention::NeverStore
            } else {
                Retention::DeleteAfterDelivery { days: 30 }
            };
            assert_eq!(config.importers[0].retention, expected);
            assert!(config.importers[0].stores_rows());
        }
    }

    #[test]
    fn rows_never_stored_may_go_to_the_host_page_only_and_rows_deleted_on_delivery_may_not() {
        let never = "[importers.retention]\nmode = \"never_store\"\n";
        let config = load(&importer("host_page_rows = true", never)).unwrap();
        assert!(config.importers[0].host_page_rows && !config.importers[0].stores_rows());
        let after = "[importers.retention]\nmode = \"delete_after_delivery\"\n";
        let message = "needs at least one destination, or rows would be lost";
        assert_errors(
            &importer("host_page_rows = true", after),
            &[(8, "importers[0].retention.mode", message)],
        );
        let kept = load(&importer("host_page_rows = true", "")).unwrap();
        assert!(kept.importers[0].host_page_rows && kept.importers[0].stores_rows());
        assert_errors(
            &importer("host_page_rows = \"yes\"", ""),
            &[(6, "importers[0].host_page_rows", "expected true or false")],
        );
    }

    #[test]
    fn rows_must_be_kept_longer_than_deliveries_are_retried() {
        let one_day = "[importers.retention]\ndays = 1\n";
        let message = "keeps rows 1 day, less than a webhook delivery may be retried (up to 34 hours";
        assert_errors(
            &importer("", &format!("{one_day}{WEBHOOK}")),
            &[(7, "importers[0].retention.mode", message)],
        );
        let short = "[server.delivery]\nretry_schedule = [\"1m\", \"1h\"]\n";
        assert!(load(&format!("{short}{}", importer("", &format!("{one_day}{WEBHOOK}")))).is_ok());
        assert!(load(&importer("", one_day)).is_ok(), "nothing to retry without a destination");
    }

    #[test]
    fn webhook_delivery_options_are_read_and_checked() {
        let config = load(&format!("{IMPORTER}{WEBHOOK}")).unwrap();
        let Destination::Webhook(hook) = &config.importers[0].destinations[0] else { panic!("a webhook") };
        assert_eq!((hook.chunk_rows, hook.delivery), (1000, destination::Delivery::Sequential));
        assert_eq!(hook.timeout, std::time::Duration::from_secs(30));
        let options = "chunk_rows = 250\ndelivery = \"parallel\"\nparallelism = 8\ntimeout = \"5s\"\n";
        let config = load(&format!("{IMPORTER}{WEBHOOK}{options}")).unwrap();
        let Destination::Webhook(hook) = &config.importers[0].destinations[0] else { panic!("a webhook") };
        assert_eq!(
            (hook.chunk_rows, hook.delivery),
            (250, destination::Delivery::Parallel { parallelism: 8 })
        );
        assert_eq!(hook.timeout, std::time::Duration::from_secs(5));
        let errors = [
            ("chunk_rows = 0", "importers[0].destinations[0].chunk_rows", "must be from 1 to 100000"),
            ("delivery = \"fast\"", "importers[0].destinations[0].delivery", "expected \"sequential\""),
            ("parallelism = 2", "importers[0].destinations[0].parallelism", "only applies with delivery"),
            ("timeout = \"10m\"", "importers[0].destinations[0].timeout", "at most 5m"),
        ];
        for (line, field, message) in errors {
            assert_errors(&format!("{IMPORTER}{WEBHOOK}{line}\n"), &[(11, field, message)]);
        }
    }

    #[test]
    fn the_admin_token_and_the_retry_schedule_are_read_and_checked() {
        let token = "t".repeat(32);
        let server = format!(
            "[server]\nadmin_token = \"{token}\"\n[server.delivery]\nretry_schedule = [\"1s\", \"2m\"]\n"
        );
        let config = load(&format!("{server}{IMPORTER}")).unwrap();
        assert_eq!(config.server.admin_token.as_ref().map(|t| t.expose().to_owned()), Some(token));
        let seconds: Vec<u64> =
            config.server.delivery.retry_schedule.iter().map(std::time::Duration::as_secs).collect();
        assert_eq!(seconds, [1, 120]);
        assert_eq!(load(IMPORTER).unwrap().server.delivery.retry_schedule.len(), 7);
        assert!(load(IMPORTER).unwrap().server.admin_token.is_none());
        let short = format!("[server]\nadmin_token = \"short\"\n{IMPORTER}");
        assert_errors(&short, &[(2, "server.admin_token", "expected at least 32 printable characters")]);
        let zero = format!("[server.delivery]\nretry_schedule = [\"0s\"]\n{IMPORTER}");
        assert_errors(&zero, &[(2, "server.delivery.retry_schedule[0]", "must be more than 0")]);
    }

    #[test]
    fn destinations_are_checked_where_they_are_written() {
        let destinations = r#"[[importers.destinations]]
type = "email"

[[importers.destinations]]
type = "webhook"

[[importers.destinations]]
type = "webhook"
url = "http://app.example.com"
secret = "whsec_x"
"#;
        assert_errors(
            &importer("", destinations),
            &[
                (8, "importers[0].destinations[0].type", "unknown destination type: expected \"webhook\""),
                (10, "importers[0].destinations[1].url", "is missing: add url = "),
                (10, "importers[0].destinations[1].secret", "is missing: add secret = \"whsec_...\""),
                (15, "importers[0].destinations[2].url", "uses plain http://"),
                (
                    16,
                    "importers[0].destinations[2].secret",
                    "expected \"whsec_\" followed by 24 to 64 random bytes",
                ),
            ],
        );
    }
}
