//! `sluice`: the ingest server's command line.
//!
//! ```text
//! sluice serve [--config FILE] [--allow-weak]          run the server
//! sluice check-config [--allow-weak] [--connect] [FILE]  check a configuration, report every error
//! sluice keygen [--out FILE]            write a new master key file (mode 0600)
//! sluice export [--config FILE] ID      an import's stored rows, decrypted, as JSON lines
//! ```
//!
//! The configuration file is `--config`, else `$SLUICE_CONFIG`, else `sluice.toml`. A weak
//! secret (an admin token or signing secret that is easy to guess, or published) stops `serve`
//! and fails `check-config`, unless `--allow-weak` turns it into a warning.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use clap::{Parser, Subcommand};
use ring::rand::SystemRandom;
use sluice_server::config::{Backend, Config};
use sluice_server::crypto::MasterKey;
use sluice_server::integrity::StartError;
use sluice_server::store::blobs::open_blobs;
use sluice_server::store::{PostgresOptions, PostgresStore};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The Sluice ingest server.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server.
    Serve {
        /// The configuration file.
        #[arg(long, short, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        /// Start even with weak secrets (easy to guess, or published), warning about each.
        #[arg(long)]
        allow_weak: bool,
    },
    /// Checks a configuration file and reports every error with file, line and field.
    CheckConfig {
        /// The configuration file.
        #[arg(env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        /// Pass with weak secrets (easy to guess, or published), warning about each.
        #[arg(long)]
        allow_weak: bool,
        /// With PostgreSQL: also connect to both databases and probe the object storage.
        #[arg(long)]
        connect: bool,
    },
    /// Writes an import's stored rows, decrypted, to stdout as JSON lines, one row a line:
    /// {"row": n, "invalid": bool, "cells": {key: value}, "kept": {header: value}}.
    Export {
        /// The configuration file.
        #[arg(long, short, env = "SLUICE_CONFIG", default_value = "sluice.toml")]
        config: PathBuf,
        /// The import's id (imp_…).
        import: String,
    },
    /// Writes a new master key file, readable by its owner only.
    Keygen {
        /// Where to write it; an existing file is never overwritten.
        #[arg(long, short, default_value = "master.key")]
        out: PathBuf,
    },
}

/// Exit codes: 0 done, 1 failed, 3 refused to start on a data folder whose data file, keystore
/// and master key do not belong together (nothing was changed).
fn main() -> ExitCode {
    init_logging();
    let result = match Cli::parse().command {
        Command::Serve { config, allow_weak } => {
            load_strong(&config, allow_weak).map_err(StartError::Failed).and_then(sluice_server::serve::serve)
        }
        Command::CheckConfig { config, allow_weak, connect } => {
            check(&config, allow_weak, connect).map_err(StartError::Failed)
        }
        Command::Keygen { out } => keygen(&out).map_err(StartError::Failed),
        Command::Export { config, import } => load(&config).map_err(StartError::Failed).and_then(|config| {
            let rows = sluice_server::serve::export(config, &import)?;
            eprintln!("sluice: exported {rows} rows of {import}");
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sluice: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

/// Logs to stderr; `SLUICE_LOG` (or `RUST_LOG`) filters, default `info`.
fn init_logging() {
    let filter =
        std::env::var("SLUICE_LOG").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
}

fn load(path: &Path) -> Result<Config, String> {
    Config::load(path).map_err(|errors| format!("{} has errors:\n{errors}", path.display()))
}

/// Loads the configuration and refuses its weak secrets unless `allow_weak`, when it warns.
fn load_strong(path: &Path, allow_weak: bool) -> Result<Config, String> {
    let config = load(path)?;
    if config.weak_secrets.is_empty() {
        return Ok(config);
    }
    let list = config.weak_secrets.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    if !allow_weak {
        return Err(format!(
            "{} has weak secrets (give --allow-weak to use them anyway, on a machine no one else reaches):\n{list}",
            path.display()
        ));
    }
    for weak in &config.weak_secrets {
        eprintln!("sluice: warning (allowed by --allow-weak): {weak}");
    }
    Ok(config)
}

fn check(path: &Path, allow_weak: bool, connect: bool) -> Result<(), String> {
    let config = load_strong(path, allow_weak)?;
    println!("{}: ok", path.display());
    println!("  listen      {}", config.server.listen);
    println!("  public URL  {}", config.server.public_url);
    println!("  data        {}", config.server.data_dir.display());
    println!("  storage     {}", config.storage.describe());
    if connect {
        check_storage(&config)?;
    }
    if let Some(path) = config.server.master_key_in_data_dir() {
        println!(
            "  warning     the master key file {} is inside the data folder, so one backup of that folder \
             holds both the data and the key that opens it: keep it elsewhere (master_key_file, or \
             SLUICE_MASTER_KEY)",
            path.display()
        );
    }
    for importer in &config.importers {
        println!(
            "  importer    {} ({:?}): {} columns, {} origins, {} destinations",
            importer.key,
            importer.name,
            importer.schema.columns().len(),
            importer.allowed_origins.len(),
            importer.destinations.len()
        );
    }
    Ok(())
}

/// `--connect`, with PostgreSQL: connects to both databases, and checks the object storage (a
/// probe object written and deleted), so that a wrong URL, password, certificate or bucket shows
/// before a start. Nothing is changed.
fn check_storage(config: &Config) -> Result<(), String> {
    let Backend::Postgres(settings) = &config.storage.backend else { return Ok(()) };
    let options = PostgresOptions {
        data_url: settings.url.expose().to_owned(),
        keystore_url: settings.keystore_url.expose().to_owned(),
        pool_size: 1,
        ca_file: settings.ca_file.clone(),
    };
    let [data, keys] = PostgresStore::check_connections(&options).map_err(|e| e.to_string())?;
    println!("  database    data: PostgreSQL {data}; keystore: PostgreSQL {keys}");
    if let Some(blobs) = &config.storage.blobs {
        let store = open_blobs(blobs).map_err(|e| format!("object storage: {e}"))?;
        store.check().map_err(|e| format!("object storage {}: {e}", store.describe()))?;
        println!("  objects     {}: a probe object written and deleted", store.describe());
    }
    Ok(())
}

fn keygen(out: &Path) -> Result<(), String> {
    MasterKey::create_file(out, &SystemRandom::new()).map_err(|e| e.to_string())?;
    println!("wrote a new master key to {} (mode 0600); keep a copy apart from the data", out.display());
    Ok(())
}
