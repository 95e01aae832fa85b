//! The data file, the keystore and the master key, bound to each other. A new store gets a
//! binding, written into both files: a random store id and a check value (a random key wrapped by
//! the master key for that id). Every start looks before it writes: a store without its keystore,
//! keys without their data file, two files of different stores, or a master key that does not
//! open the check value stop the server with a message that names the part and what to do, and
//! nothing is changed. A master key is made only for a new store. Readiness asks the same of the
//! running server.

use crate::config::{Backend, BlobSettings, Config, MasterKeySource, PostgresSettings, Server};
use crate::crypto::{MasterKey, new_store_id};
use crate::store::blobs::open_blobs;
use crate::store::{
    Binding, Bindings, ErrorKind, Inspection, PostgresOptions, PostgresStore, SqliteStore, Store, StoreError,
};
use ring::rand::SystemRandom;
use std::path::Path;
use std::sync::Arc;

/// Why the server does not start on a data folder.
#[derive(Debug)]
pub enum StartError {
    /// The data file, the keystore and the master key do not belong together, or one of them is
    /// missing: the server refused, having changed nothing.
    Refused(String),
    /// Anything else kept the store from opening (permissions, a damaged file, a full disk).
    Failed(String),
}

impl StartError {
    /// The process exit code that tells the two apart: 3 for a refusal, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::Refused(_) => 3,
            StartError::Failed(_) => 1,
        }
    }
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Refused(message) => write!(f, "refusing to start: {message}"),
            StartError::Failed(message) => f.write_str(message),
        }
    }
}

impl From<StoreError> for StartError {
    fn from(e: StoreError) -> Self {
        match e.kind() {
            ErrorKind::Mismatch => StartError::Refused(e.detail().to_owned()),
            _ => StartError::Failed(e.to_string()),
        }
    }
}

/// Whether a missing store may be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Serving: a new data folder gets a new store (and a new master key file if there is none).
    Serve,
    /// Reading what is stored (`sluice export`): a folder without a store is an error.
    Read,
}

/// The store `config` names (`[storage]`: SQLite in the data folder, or PostgreSQL) and its
/// master key, checked to belong together.
pub fn open(config: &Config, mode: Mode) -> Result<(Arc<dyn Store>, MasterKey), StartError> {
    match &config.storage.backend {
        Backend::Postgres(settings) => {
            open_postgres(&config.server, settings, config.storage.blobs.as_ref(), mode)
        }
        _ => {
            let (store, master) = open_sqlite(&config.server, mode)?;
            Ok((Arc::new(store), master))
        }
    }
}

/// The SQLite store in the `[server]` section's data folder and its master key.
pub fn open_sqlite(server: &Server, mode: Mode) -> Result<(SqliteStore, MasterKey), StartError> {
    let dir = &server.data_dir;
    let found = SqliteStore::inspect(dir)?;
    found.refuse_unpaired()?;
    let new = !found.holds_store();
    if new && mode == Mode::Read {
        return Err(StartError::Failed(format!("{} holds no store", dir.display())));
    }
    let master = master_key(&server.master_key, new, dir)?;
    let verified = if new { None } else { verify(&found, &master)? };
    let store = SqliteStore::open(dir)?.with_disk(server.disk);
    if found.bindings.data.is_none() || found.bindings.keystore.is_none() {
        // A new store, or one made before bindings: bound now, its master key proven.
        let binding = match verified {
            Some(binding) => binding,
            None => new_binding(&master)?,
        };
        store.bind(&binding)?;
    }
    Ok((store, master))
}

/// The PostgreSQL store of `settings` (with sealed batches in `blobs`, if given) and its master
/// key. Both databases hold the binding; an empty pair is bound now. Several instances may
/// start on an empty pair at once: each binds only what is not bound yet, then every instance
/// checks the binding both databases hold in the end against its own master key, so an instance
/// given another key refuses to start.
fn open_postgres(
    server: &Server,
    settings: &PostgresSettings,
    blobs: Option<&BlobSettings>,
    mode: Mode,
) -> Result<(Arc<dyn Store>, MasterKey), StartError> {
    let blobs = blobs.map(open_blobs).transpose()?;
    if let Some(blobs) = &blobs {
        blobs.check().map_err(|e| StartError::Failed(format!("{}: {e}", blobs.describe())))?;
    }
    let options = PostgresOptions {
        data_url: settings.url.expose().to_owned(),
        keystore_url: settings.keystore_url.expose().to_owned(),
        pool_size: settings.pool_size,
        ca_file: settings.ca_file.clone(),
    };
    let store = PostgresStore::open(&options, blobs)?;
    let found = store.bindings()?;
    let new = found.data.is_none() && found.keystore.is_none();
    if new && mode == Mode::Read {
        return Err(StartError::Failed("the PostgreSQL databases hold no store".into()));
    }
    let master = master_key(&server.master_key, new, &server.data_dir)?;
    if let Some(binding) = &found.keystore {
        opens_database(&master, binding)?;
    }
    if found.data.is_none() || found.keystore.is_none() {
        let binding = match &found.keystore {
            Some(binding) => binding.clone(),
            None => new_binding(&master)?,
        };
        store.bind(&binding)?;
    }
    let bound = store.bindings()?;
    match (&bound.data, &bound.keystore) {
        (Some(data), Some(keys)) if data == keys => opens_database(&master, data)?,
        (Some(data), Some(keys)) => {
            return Err(refused(format!(
                "the keystore database belongs to another store ({}) than the data database ({}): \
                 give the keystore_url of this store's keystore",
                keys.store_id, data.store_id
            )));
        }
        _ => return Err(StartError::Failed("the PostgreSQL store could not be bound".into())),
    }
    Ok((Arc::new(store), master))
}

/// Refuses a master key that does not open a PostgreSQL store's check value.
fn opens_database(master: &MasterKey, binding: &Binding) -> Result<(), StartError> {
    if master.opens_check(&binding.store_id, &binding.check) {
        return Ok(());
    }
    Err(refused(format!(
        "the master key does not open store {} in the PostgreSQL databases: it is not the key this \
         store was made with. Give every instance the same key (master_key_file, or SLUICE_MASTER_KEY)",
        binding.store_id
    )))
}

/// Checks that the bindings the running store's files hold now are one and the same, and that
/// `master` opens its check value; says what is wrong otherwise.
pub fn check(bindings: &Bindings, master: &MasterKey) -> Result<(), &'static str> {
    match (&bindings.data, &bindings.keystore) {
        (Some(data), Some(keys)) if data != keys => Err("store_mismatch"),
        (Some(data), Some(_)) if !master.opens_check(&data.store_id, &data.check) => Err("key_check_failed"),
        (Some(_), Some(_)) => Ok(()),
        _ => Err("store_unbound"),
    }
}

/// Checks an existing store's files against each other and the master key, before anything is
/// written; returns the binding the store is to have (`None` for a store made before bindings
/// whose keystore holds no key, which gets a new one).
fn verify(found: &Inspection, master: &MasterKey) -> Result<Option<Binding>, StartError> {
    let (data, keys) = (found.data_path.display(), found.keys_path.display());
    match (&found.bindings.data, &found.bindings.keystore) {
        (Some(one), Some(other)) if one != other => Err(refused(format!(
            "{keys} belongs to another store ({}) than {data} ({}): put back the keystore that was \
             backed up with this data file",
            other.store_id, one.store_id
        ))),
        (Some(binding), Some(_)) => opens(master, binding, found).map(|()| Some(binding.clone())),
        (Some(binding), None) => Err(refused(format!(
            "{data} belongs to store {}, but {keys} holds no store id: it is not this store's keystore \
             (a copy from before Sluice bound its files, or another server's)",
            binding.store_id
        ))),
        // A store made before bindings (its keystore's binding was written first, then a crash
        // kept the data file's from being written, or neither has one yet): the master key must
        // open what the keystore holds.
        (None, keystore) => {
            if let Some(binding) = keystore {
                opens(master, binding, found)?;
            }
            opens_sample_key(master, found)?;
            Ok(keystore.clone())
        }
    }
}

/// Refuses a master key that does not open the store's check value.
fn opens(master: &MasterKey, binding: &Binding, found: &Inspection) -> Result<(), StartError> {
    if master.opens_check(&binding.store_id, &binding.check) {
        return Ok(());
    }
    Err(refused(format!(
        "the master key does not open store {} in {}: it is not the key this store was made with. \
         Give the right key (master_key_file, or SLUICE_MASTER_KEY)",
        binding.store_id,
        found.data_path.parent().map_or_else(|| found.data_path.display(), Path::display)
    )))
}

/// Refuses a master key that does not open a key of a store made before bindings.
fn opens_sample_key(master: &MasterKey, found: &Inspection) -> Result<(), StartError> {
    match &found.sample_key {
        Some((import, wrapped)) if master.unwrap("data", import, wrapped).is_err() => Err(refused(format!(
            "the master key does not open the keys in {}: it is not the key this store was made with. \
             Give the right key (master_key_file, or SLUICE_MASTER_KEY)",
            found.keys_path.display()
        ))),
        _ => Ok(()),
    }
}

/// A new store's binding, under `master`.
fn new_binding(master: &MasterKey) -> Result<Binding, StartError> {
    let rng = SystemRandom::new();
    let failed = |e: crate::crypto::Error| StartError::Failed(e.to_string());
    let store_id = new_store_id(&rng).map_err(failed)?;
    let check = master.seal_check(&rng, &store_id).map_err(failed)?;
    Ok(Binding { store_id, check })
}

/// Loads the master key; creates its file only for a new store.
fn master_key(source: &MasterKeySource, new: bool, dir: &Path) -> Result<MasterKey, StartError> {
    match source {
        MasterKeySource::Env(secret) => MasterKey::from_base64(secret.expose())
            .map_err(|e| StartError::Failed(format!("SLUICE_MASTER_KEY: {e}"))),
        MasterKeySource::File(path) if path.exists() => {
            MasterKey::load(path).map_err(|e| StartError::Failed(e.to_string()))
        }
        MasterKeySource::File(path) if new => create_master_key(path),
        MasterKeySource::File(path) => Err(refused(format!(
            "the master key file {} is missing, but {} holds a store: nothing in it can be read \
             without its master key. Put the key file back (or give the key in SLUICE_MASTER_KEY); \
             a new key is only ever made for a new store",
            path.display(),
            dir.display()
        ))),
    }
}

/// Writes a new master key file for a new store, and says so.
fn create_master_key(path: &Path) -> Result<MasterKey, StartError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| StartError::Failed(format!("cannot create {}: {e}", parent.display())))?;
    }
    let key =
        MasterKey::create_file(path, &SystemRandom::new()).map_err(|e| StartError::Failed(e.to_string()))?;
    tracing::warn!(
        path = %path.display(),
        "created a new master key (mode 0600) for a new store; back it up apart from the data: without it nothing stored can be read"
    );
    Ok(key)
}

fn refused(message: String) -> StartError {
    StartError::Refused(format!("{message}. Nothing was changed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::{DATA_FILE, KEYS_FILE, NewImport};

    /// The `[server]` section of a configuration whose data folder is `dir`, with the master key
    /// file inside it (the default).
    fn server(dir: &Path) -> Server {
        let text = format!("[server]\ndata_dir = {:?}\n", dir.join("data"));
        Config::from_str(&text, &dir.join("sluice.toml"), dir).unwrap().server
    }

    fn refusal(result: Result<(SqliteStore, MasterKey), StartError>) -> String {
        match result {
            Err(StartError::Refused(message)) => message,
            Err(other) => panic!("not a refusal: {other}"),
            Ok(_) => panic!("not refused"),
        }
    }

    /// An import whose data key is wrapped by `master`, as a store made before bindings has.
    fn import_with_key(store: &SqliteStore, master: &MasterKey, id: &str) {
        let rng = SystemRandom::new();
        store
            .create_import(NewImport {
                id: id.into(),
                importer: "demo".into(),
                schema_digest: [0; 32],
                token_hash: [0; 32],
                token_expires_at: 0,
                created_at: 0,
                expires_at: 0,
                file_size: None,
                schema: None,
                metadata: vec![1],
                data_key: (vec![2; 16], master.wrap(&rng, "data", id, &[3; 32]).unwrap()),
                transport_key: master.wrap(&rng, "transport", id, &[4; 32]).unwrap(),
            })
            .unwrap();
    }

    #[test]
    fn a_new_store_is_bound_to_a_new_master_key_and_opens_again_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let server = server(dir.path());
        let (store, master) = open_sqlite(&server, Mode::Serve).unwrap();
        let bindings = store.bindings().unwrap();
        assert_eq!(bindings.data, bindings.keystore);
        assert_eq!(check(&bindings, &master), Ok(()));
        import_with_key(&store, &master, "imp_a");
        drop(store);
        let (store, _) = open_sqlite(&server, Mode::Serve).unwrap();
        assert_eq!(store.bindings().unwrap(), bindings, "the binding is kept");
    }

    #[test]
    fn a_missing_master_key_is_made_only_for_a_new_store() {
        let dir = tempfile::tempdir().unwrap();
        let server = server(dir.path());
        assert!(open_sqlite(&server, Mode::Read).is_err(), "export does not make a store");
        let (store, master) = open_sqlite(&server, Mode::Serve).unwrap();
        import_with_key(&store, &master, "imp_a");
        drop(store);
        let key = dir.path().join("data/master.key");
        std::fs::remove_file(&key).unwrap();
        let message = refusal(open_sqlite(&server, Mode::Serve));
        assert!(
            message.contains("master.key is missing") && message.contains("Nothing was changed"),
            "{message}"
        );
        assert!(!key.exists(), "no new key");
    }

    #[test]
    fn another_master_key_or_another_stores_keystore_is_refused() {
        let (one, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (store, master) = open_sqlite(&server(one.path()), Mode::Serve).unwrap();
        import_with_key(&store, &master, "imp_a");
        drop((store, open_sqlite(&server(other.path()), Mode::Serve).unwrap()));
        let key = one.path().join("data/master.key");
        std::fs::copy(other.path().join("data/master.key"), &key).unwrap();
        let message = refusal(open_sqlite(&server(one.path()), Mode::Serve));
        assert!(message.contains("the master key does not open store sto_"), "{message}");
        std::fs::copy(
            other.path().join(format!("data/{KEYS_FILE}")),
            one.path().join(format!("data/{KEYS_FILE}")),
        )
        .unwrap();
        let message = refusal(open_sqlite(&server(one.path()), Mode::Serve));
        assert!(message.contains("belongs to another store"), "{message}");
    }

    #[test]
    fn a_store_made_before_bindings_is_bound_once_its_master_key_opens_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let server = server(dir.path());
        let master = MasterKey::create_file(&data_key_file(&data), &SystemRandom::new()).unwrap();
        import_with_key(&SqliteStore::open(&data).unwrap(), &master, "imp_a");
        let stranger = MasterKey::generate(&SystemRandom::new()).unwrap();
        let wrong = Server {
            master_key: MasterKeySource::Env(crate::config::Secret::new(stranger.to_base64().as_str())),
            ..server.clone()
        };
        let message = refusal(open_sqlite(&wrong, Mode::Serve));
        assert!(message.contains("does not open the keys in"), "{message}");
        assert_eq!(SqliteStore::inspect(&data).unwrap().bindings, Bindings::default(), "not bound");
        let (store, master) = open_sqlite(&server, Mode::Serve).unwrap();
        assert_eq!(check(&store.bindings().unwrap(), &master), Ok(()));
    }

    #[test]
    fn a_binding_cut_short_between_the_two_files_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let server = server(dir.path());
        let (store, master) = open_sqlite(&server, Mode::Serve).unwrap();
        import_with_key(&store, &master, "imp_a");
        let binding = store.bindings().unwrap().keystore.unwrap();
        drop(store);
        let connection = rusqlite::Connection::open(data.join(DATA_FILE)).unwrap();
        connection.execute("DELETE FROM binding", []).unwrap();
        drop(connection);
        let (store, _) = open_sqlite(&server, Mode::Serve).unwrap();
        assert_eq!(store.bindings().unwrap().data, Some(binding));
    }

    #[test]
    fn a_running_stores_bindings_are_checked_against_each_other_and_the_master_key() {
        let master = MasterKey::generate(&SystemRandom::new()).unwrap();
        let good = new_binding(&master).unwrap();
        let both = |data: &Binding, keystore: &Binding| Bindings {
            data: Some(data.clone()),
            keystore: Some(keystore.clone()),
        };
        assert_eq!(check(&both(&good, &good), &master), Ok(()));
        let stranger = MasterKey::generate(&SystemRandom::new()).unwrap();
        assert_eq!(check(&both(&good, &good), &stranger), Err("key_check_failed"));
        let other = new_binding(&master).unwrap();
        assert_eq!(check(&both(&good, &other), &master), Err("store_mismatch"));
        assert_eq!(check(&Bindings::default(), &master), Err("store_unbound"));
    }

    fn data_key_file(data: &Path) -> std::path::PathBuf {
        std::fs::create_dir_all(data).unwrap();
        data.join("master.key")
    }
}
