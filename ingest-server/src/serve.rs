//! Starting the server: open the store, load (or create) the master key, start the delivery
//! threads, bind, announce the URL, enforce retention at once (catching up after downtime) and
//! every minute, run until stopped. Also the operator's export of one import's rows.

use crate::config::{Config, MasterKeySource};
use crate::crypto::MasterKey;
use crate::delivery::Deliveries;
use crate::http::{self, Bound};
use crate::imports::Imports;
use crate::store::{SqliteStore, Store};
use ring::rand::SystemRandom;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often retention is enforced (expiry, keep periods, deletion after delivery).
const RETENTION_INTERVAL: Duration = Duration::from_secs(60);

/// Runs the server with `config` until it is stopped (Ctrl-C or SIGTERM).
pub fn serve(config: Config) -> Result<(), String> {
    let config = Arc::new(config);
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&config.server.data_dir).map_err(|e| e.to_string())?);
    let master = master_key(&config.server.master_key)?;
    let imports = Arc::new(Imports::new(Arc::clone(&config), store, master).map_err(|e| e.to_string())?);
    let deliveries = Deliveries::start(&imports, &config.server.delivery)?;
    tracing::debug!(lanes = deliveries.lanes(), "delivery started");
    actix_web::rt::System::new().block_on(async move {
        let bound = http::bind(Arc::clone(&config), Arc::clone(&imports))?;
        announce(&config, &bound);
        actix_web::rt::spawn(retain_periodically(imports));
        bound.server.await.map_err(|e| format!("the server stopped: {e}"))
    })
}

/// Writes the stored rows of import `id` to stdout as JSON lines (see [`Imports::export`]);
/// the server may be running. Returns the number of rows.
pub fn export(config: Config, id: &str) -> Result<u64, String> {
    let config = Arc::new(config);
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&config.server.data_dir).map_err(|e| e.to_string())?);
    let master = match &config.server.master_key {
        MasterKeySource::File(path) if !path.exists() => {
            return Err(format!(
                "no master key at {}: nothing stored can be read without it",
                path.display()
            ));
        }
        source => master_key(source)?,
    };
    if store.import(id).map_err(|e| e.to_string())?.is_none() {
        return Err(format!("no import {id} in {}", config.server.data_dir.display()));
    }
    let imports = Imports::new(Arc::clone(&config), store, master).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let rows = imports
        .export(id, |row| writeln!(out, "{row}"))
        .map_err(|e| format!("cannot export import {id}: {e}"))?;
    out.flush().map_err(|e| format!("cannot write: {e}"))?;
    Ok(rows)
}

/// Loads the master key, or creates its file on first run and says so.
fn master_key(source: &MasterKeySource) -> Result<MasterKey, String> {
    match source {
        MasterKeySource::Env(secret) => {
            MasterKey::from_base64(secret.expose()).map_err(|e| format!("SLUICE_MASTER_KEY: {e}"))
        }
        MasterKeySource::File(path) if path.exists() => MasterKey::load(path).map_err(|e| e.to_string()),
        MasterKeySource::File(path) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            let key = MasterKey::create_file(path, &SystemRandom::new()).map_err(|e| e.to_string())?;
            tracing::warn!(
                path = %path.display(),
                "created a new master key (mode 0600); back it up apart from the data: without it nothing stored can be read"
            );
            Ok(key)
        }
    }
}

/// Prints where the server listens, first line on stdout (scripts and tests read it).
fn announce(config: &Config, bound: &Bound) {
    let url = format!("{}://{}", bound.scheme, bound.address);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "sluice listening on {url}");
    if config.server.public_url != url {
        let _ = writeln!(out, "public URL {}", config.server.public_url);
    }
    for importer in &config.importers {
        let _ = writeln!(out, "importer {:?}: {url}/v1/importers/{}", importer.name, importer.key);
    }
    if config.server.admin_token.is_some() {
        let _ = writeln!(
            out,
            "operator dashboard: {}/admin (sign in with the admin token)",
            config.server.public_url
        );
    }
    let _ = out.flush();
}

/// Enforces retention now and then once a minute.
async fn retain_periodically(imports: Arc<Imports>) {
    let mut ticks = actix_web::rt::time::interval(RETENTION_INTERVAL);
    loop {
        ticks.tick().await;
        let imports = Arc::clone(&imports);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        match actix_web::web::block(move || imports.enforce_retention(now)).await {
            Ok(Ok(swept)) if swept == Default::default() => {}
            Ok(Ok(swept)) => tracing::info!(
                expired = swept.expired,
                retention = swept.retention,
                delivered = swept.delivered,
                resumed = swept.resumed,
                "retention: import data deleted"
            ),
            Ok(Err(e)) => tracing::warn!(error = %e, "enforcing retention failed; trying again in a minute"),
            Err(_) => tracing::warn!("enforcing retention failed; trying again in a minute"),
        }
    }
}
