//! The keys of open imports, unwrapped once and kept in memory (bounded), so that a batch costs
//! no keystore read; forgotten when an import completes or expires.

use super::{ImportError, Imports, Internal};
use crate::crypto::{DataKey, TransportKey};
use crate::store::KeyPurpose;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An import's unwrapped keys.
#[derive(Clone)]
pub(super) struct Keys {
    pub(super) data: Arc<DataKey>,
    pub(super) transport: Option<Arc<TransportKey>>,
}

/// Unwrapped keys by import id.
pub(super) struct KeyCache {
    keys: Mutex<HashMap<String, Keys>>,
    limit: usize,
}

impl KeyCache {
    pub(super) fn new(limit: usize) -> Self {
        KeyCache { keys: Mutex::new(HashMap::new()), limit }
    }

    fn get(&self, id: &str) -> Option<Keys> {
        self.keys.lock().ok()?.get(id).cloned()
    }

    pub(super) fn put(&self, id: &str, keys: Keys) {
        if let Ok(mut map) = self.keys.lock() {
            // Past the limit the cache starts over: keys are cheap to unwrap again.
            if map.len() >= self.limit {
                map.clear();
            }
            map.insert(id.to_owned(), keys);
        }
    }

    pub(super) fn forget(&self, id: &str) {
        if let Ok(mut map) = self.keys.lock() {
            map.remove(id);
        }
    }

    pub(super) fn clear(&self) {
        if let Ok(mut map) = self.keys.lock() {
            map.clear();
        }
    }
}

impl Imports {
    /// The import's keys, from the cache or unwrapped from the keystore. The transport key is
    /// absent once the import is closed.
    pub(super) fn keys(&self, id: &str) -> Result<Keys, ImportError> {
        if let Some(keys) = self.keys.get(id) {
            return Ok(keys);
        }
        let wrapped = self
            .store
            .key(id, KeyPurpose::Data)?
            .ok_or_else(|| Internal::KeyMissing { import: id.to_owned(), purpose: KeyPurpose::Data })?;
        let bytes = self
            .master
            .unwrap(KeyPurpose::Data.as_str(), id, &wrapped.wrapped)
            .map_err(|_| Internal::KeyDoesNotOpen { import: id.to_owned(), purpose: KeyPurpose::Data })?;
        let key_id: [u8; 16] = wrapped
            .key_id
            .as_slice()
            .try_into()
            .map_err(|_| Internal::KeyIdLength { import: id.to_owned(), len: wrapped.key_id.len() })?;
        let data = Arc::new(DataKey::from_parts(key_id, &bytes));
        let transport = match self.store.key(id, KeyPurpose::Transport)? {
            Some(t) => {
                let bytes =
                    self.master.unwrap(KeyPurpose::Transport.as_str(), id, &t.wrapped).map_err(|_| {
                        Internal::KeyDoesNotOpen { import: id.to_owned(), purpose: KeyPurpose::Transport }
                    })?;
                Some(Arc::new(TransportKey::from_bytes(&bytes)))
            }
            None => None,
        };
        let keys = Keys { data, transport };
        self.keys.put(id, keys.clone());
        Ok(keys)
    }

    pub(super) fn forget_keys(&self, id: &str) {
        self.keys.forget(id);
        self.schemas.forget(id);
    }
}
