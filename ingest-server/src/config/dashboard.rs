//! Importers made in the dashboard: one `[[importers]]` table written as its own TOML document,
//! read and checked by the very readers the configuration file goes through (origins, schema,
//! limits, retention against destinations, destination URLs and private networks, secrets),
//! against the file's `[server]` settings. Fields are named from the importer
//! (`limits.max_rows`, `destinations[0].url`).

use super::error::{ConfigErrors, Report};
use super::importer::{self, Context, Importer};
use super::reader::Table;
use super::server::Server;
use std::path::Path;

/// What names the document in errors.
const DOCUMENT: &str = "dashboard importer";

/// Reads one importer from `text`, a TOML table of the fields of `[[importers]]`. Its schema
/// must be written inline (no file of the server is read), and it takes no start secret. A
/// secret that is weak is an error here: the dashboard has no `--allow-weak`.
pub fn read_importer(text: &str, server: &Server) -> Result<Importer, ConfigErrors> {
    let document = super::parse(text, Path::new(DOCUMENT))?;
    let mut report = Report::new(Path::new(DOCUMENT), text);
    let root = Table::root(&document, importer::IMPORTER_FIELDS, &mut report);
    refuse_file_only_settings(&root, &mut report);
    let context = Context {
        base: Path::new("/nonexistent"),
        max_body: server.limits.max_body,
        retry_span: server.delivery.longest_span(),
        import_ttl: server.limits.import_ttl,
    };
    let read = importer::read_one(&root, &context, &mut report);
    for weak in report.take_weak() {
        report.error(&super::error::Place { field: weak.field, span: None }, weak.message);
    }
    report.finish(read).and_then(|read| {
        read.ok_or_else(|| ConfigErrors::file(Path::new(DOCUMENT), "is not an importer".into()))
    })
}

/// Reports what only the configuration file may hold: a schema file's path (the dashboard
/// writes the schema itself) and a start secret.
fn refuse_file_only_settings(root: &Table<'_>, report: &mut Report<'_>) {
    if root.node("schema").is_some_and(|node| node.get_ref().as_str().is_some()) {
        report.error(
            &root.place("schema"),
            "write the schema here as a table: a schema file is for importers of the configuration file",
        );
    }
    let start = root.node("start").and_then(|node| node.get_ref().as_table());
    if start.is_some_and(|start| start.get("secret").is_some()) {
        let message = "signed starts are for importers of the configuration file for now: remove start.secret, or define this importer in the file";
        report.error(&root.place("start"), message);
    }
}
