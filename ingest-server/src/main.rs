//! `sluice`: the ingest server's command line (its commands arrive with the HTTP layer).

fn main() {}
