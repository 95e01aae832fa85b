//! The benchmarks' server: the release `sluice` binary on loopback, in a folder of its own, and
//! the batches they send it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Writes `config` as `sluice.toml` in `dir`, starts `sluice serve` on it with `env` added to
/// its environment and returns the process and the URL it announced.
pub(crate) fn start(dir: &Path, config: &str, env: &[(&str, &str)]) -> (Child, String) {
    std::fs::write(dir.join("sluice.toml"), config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--config"])
        .arg(dir.join("sluice.toml"))
        .env("SLUICE_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("sluice listening on ").expect("the server did not start").to_owned();
    (child, url)
}

/// The benchmark file `file` checked against the benchmark schema (`schema`, JSON) and cut into
/// 1,000-row batches as the browser cuts them, invalid rows included.
pub(crate) fn batches(file: &[u8], schema: &str) -> Vec<Vec<u8>> {
    use sluice_parser::batch::BatchOptions;
    use sluice_parser::import::{Import, ImportOptions};
    let schema = sluice_parser::schema::Schema::from_json(schema).unwrap();
    let options = ImportOptions {
        batches: BatchOptions { max_rows: 1000, max_bytes: 4 << 20 },
        include_invalid: true,
        ..ImportOptions::default()
    };
    let mut import = Import::new(&schema, options).unwrap();
    import.feed(file).unwrap();
    import.finish().unwrap();
    std::iter::from_fn(|| import.next_batch()).collect()
}
