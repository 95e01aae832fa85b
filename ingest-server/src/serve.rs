//! Starting the server: open the store with its master key (checked to belong together, see
//! [`integrity`]), load the importers made in the dashboard, start the delivery threads, bind, announce the URL, enforce
//! retention at once (catching up after downtime) and every minute, run until stopped. Also the
//! operator's export of one import's rows.

use crate::config::{Config, Importer};
use crate::delivery::{Deliveries, ImportData, LaneError, Shared};
use crate::http::{self, Bound};
use crate::importers::{self, Importers};
use crate::imports::{Imports, RETENTION_JOB, Swept, instance};
use crate::integrity::{self, Mode, StartError};
use crate::store::Store;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often the importers made in the dashboard are read again, to follow what other instances
/// sharing the store changed.
const IMPORTERS_INTERVAL: Duration = Duration::from_secs(5);

/// How often retention is enforced (expiry, keep periods, deletion after delivery).
const RETENTION_INTERVAL: Duration = Duration::from_secs(60);

/// Runs the server with `config` until it is stopped (Ctrl-C or SIGTERM).
pub fn serve(config: Config) -> Result<(), StartError> {
    let config = Arc::new(config);
    warn_of_key_in_data_dir(&config);
    let (store, master) = integrity::open(&config, Mode::Serve)?;
    warn_of_keyless_imports(store.as_ref());
    if let Err(e) = store.maintain() {
        tracing::warn!(error = %e, "the store's upkeep failed at start; the retention job tries again every minute");
    }
    let imports = Arc::new(Imports::new(Arc::clone(&config), store, master).map_err(failed)?);
    let kept = instance(&config.server.data_dir).map_err(failed)?;
    let instance = Arc::clone(&kept.id);
    tracing::info!(%instance, "this instance's id (it leases delivery messages and jobs under it)");
    let mut loaded = importers::load(&imports);
    let mut served = config.importers.clone();
    served.extend(std::mem::take(&mut loaded.served));
    let deliveries = Arc::new(start_delivery(&config, &served, &imports, &instance).map_err(failed)?);
    tracing::debug!(lanes = deliveries.lanes(), "delivery started");
    let importers = Arc::new(Importers::new(Arc::clone(&imports), deliveries, loaded));
    let importers_again = Arc::clone(&importers);
    actix_web::rt::System::new().block_on(async move {
        let bound =
            http::bind(Arc::clone(&config), Arc::clone(&imports), importers).map_err(StartError::Failed)?;
        announce(&config, &bound);
        actix_web::rt::spawn(retain_periodically(imports, instance));
        actix_web::rt::spawn(follow_importers(importers_again));
        bound.server.await.map_err(|e| StartError::Failed(format!("the server stopped: {e}")))
    })
}

/// Writes the stored rows of import `id` to stdout as JSON lines (see [`Imports::export`]);
/// the server may be running. Returns the number of rows.
pub fn export(config: Config, id: &str) -> Result<u64, StartError> {
    let config = Arc::new(config);
    let (store, master) = integrity::open(&config, Mode::Read)?;
    if store.import(id).map_err(failed)?.is_none() {
        return Err(StartError::Failed(format!("no import {id} in {}", config.server.data_dir.display())));
    }
    let imports = Imports::new(Arc::clone(&config), store, master).map_err(failed)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let rows = imports
        .export(id, |row| writeln!(out, "{row}"))
        .map_err(|e| StartError::Failed(format!("cannot export import {id}: {e}")))?;
    out.flush().map_err(|e| StartError::Failed(format!("cannot write: {e}")))?;
    Ok(rows)
}

/// Starts a delivery lane for every destination of every importer served (the file's and the
/// dashboard's), reading imports through the import domain.
fn start_delivery(
    config: &Config,
    served: &[Importer],
    imports: &Arc<Imports>,
    instance: &Arc<str>,
) -> Result<Deliveries, LaneError> {
    let data: Arc<dyn ImportData> = Arc::clone(imports) as Arc<dyn ImportData>;
    let shared = Shared {
        store: Arc::clone(imports.store()),
        data,
        wakeup: Arc::clone(imports.wakeup()),
        schedule: config.server.delivery.retry_schedule.clone(),
        instance: Arc::clone(instance),
        in_flight: Arc::default(),
    };
    Deliveries::start(served, &shared)
}

fn failed(e: impl std::fmt::Display) -> StartError {
    StartError::Failed(e.to_string())
}

/// Warns when the master key file lies inside the data folder.
fn warn_of_key_in_data_dir(config: &Config) {
    if let Some(path) = config.server.master_key_in_data_dir() {
        tracing::warn!(
            path = %path.display(),
            "the master key file is inside the data folder, so one backup of that folder holds both the data \
             and the key that opens it: keep the key elsewhere (master_key_file, or SLUICE_MASTER_KEY)"
        );
    }
}

/// Warns of imports that hold data whose keys are not in the keystore: nothing is deleted for
/// that (a keystore older than the data file must not destroy anything), but they cannot be read.
fn warn_of_keyless_imports(store: &dyn Store) {
    match store.keyless_imports() {
        Ok(keyless) if keyless.is_empty() => {}
        Ok(keyless) => tracing::warn!(
            imports = keyless.len(),
            first = %keyless[0],
            "imports hold data whose keys are not in the keystore (an older copy of keys.db?): they are kept, \
             unreadable, until the keystore that holds their keys is put back or the operator deletes them"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot look for imports whose keys are missing"),
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

/// Follows, every [`IMPORTERS_INTERVAL`], the changes other instances make to the importers made
/// in the dashboard (see [`Importers::refresh`]).
async fn follow_importers(importers: Arc<Importers>) {
    let mut ticks = actix_web::rt::time::interval(IMPORTERS_INTERVAL);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let importers = Arc::clone(&importers);
        if actix_web::web::block(move || importers.refresh()).await.is_err() {
            tracing::warn!("reading the importers made in the dashboard again failed; trying again later");
        }
    }
}

/// Enforces retention now and then once a minute, when this instance leads the job.
async fn retain_periodically(imports: Arc<Imports>, instance: Arc<str>) {
    let mut ticks = actix_web::rt::time::interval(RETENTION_INTERVAL);
    loop {
        ticks.tick().await;
        let (imports, instance) = (Arc::clone(&imports), Arc::clone(&instance));
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let now_ms = i64::try_from(now).unwrap_or(i64::MAX);
        let run = move || {
            // Every instance: keys another instance destroyed are not kept here.
            imports.forget_old_keys();
            // One instance at a time runs the job; the others skip the round. The lease
            // outlasts two rounds, so its holder keeps it and a dead holder's runs out.
            if !imports.leads(RETENTION_JOB, &instance, now_ms, 2 * RETENTION_INTERVAL)? {
                return Ok(Swept::default());
            }
            imports.enforce_retention(now_ms / 1000)
        };
        match actix_web::web::block(run).await {
            Ok(Ok(swept)) if swept == Swept::default() => {}
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
