//! The keys of open imports, unwrapped once and kept in memory (bounded, and for a minute at
//! most), so that a batch costs no keystore read; forgotten when an import completes or expires
//! on this instance, and within two minutes when another instance sharing the store completes or
//! deletes it (keys are never kept past [`MAX_AGE`], and every instance drops the older ones
//! every minute).

use super::{ImportError, Imports, Internal};
use crate::crypto::{DataKey, TransportKey};
use crate::store::KeyPurpose;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long unwrapped keys are kept: unwrapping them again costs two keystore reads a minute
/// for an import sending batches, and a key another instance destroyed is not kept here.
pub(super) const MAX_AGE: Duration = Duration::from_secs(60);

/// An import's unwrapped keys.
#[derive(Clone)]
pub(super) struct Keys {
    pub(super) data: Arc<DataKey>,
    pub(super) transport: Option<Arc<TransportKey>>,
}

/// Unwrapped keys by import id, with when they were unwrapped.
pub(super) struct KeyCache {
    keys: Mutex<HashMap<String, (Keys, Instant)>>,
    limit: usize,
    max_age: Duration,
}

impl KeyCache {
    pub(super) fn new(limit: usize, max_age: Duration) -> Self {
        KeyCache { keys: Mutex::new(HashMap::new()), limit, max_age }
    }

    fn get(&self, id: &str) -> Option<Keys> {
        let mut map = self.keys.lock().ok()?;
        match map.get(id) {
            Some((keys, at)) if at.elapsed() < self.max_age => Some(keys.clone()),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    pub(super) fn put(&self, id: &str, keys: Keys) {
        if let Ok(mut map) = self.keys.lock() {
            // Past the limit the cache starts over: keys are cheap to unwrap again.
            if map.len() >= self.limit {
                map.clear();
            }
            map.insert(id.to_owned(), (keys, Instant::now()));
        }
    }

    /// Drops the keys kept longer than the cache's age limit; how many.
    pub(super) fn forget_old(&self) -> usize {
        let Ok(mut map) = self.keys.lock() else { return 0 };
        let before = map.len();
        map.retain(|_, (_, at)| at.elapsed() < self.max_age);
        before - map.len()
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

    /// Drops the unwrapped keys kept longer than a minute: every instance does so every
    /// minute, so that keys another instance destroyed (a completion, a deletion) do not stay
    /// in this one's memory.
    pub fn forget_old_keys(&self) {
        let dropped = self.keys.forget_old();
        if dropped > 0 {
            tracing::debug!(imports = dropped, "unwrapped keys kept past their time dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys { data: Arc::new(DataKey::from_parts([1; 16], &[2; 32])), transport: None }
    }

    #[test]
    fn keys_are_kept_until_their_age_runs_out() {
        let cache = KeyCache::new(10, Duration::from_millis(50));
        cache.put("imp_a", keys());
        assert!(cache.get("imp_a").is_some());
        assert_eq!(cache.forget_old(), 0, "young keys stay");
        std::thread::sleep(Duration::from_millis(60));
        cache.put("imp_b", keys());
        assert!(cache.get("imp_a").is_none(), "past its age a key is unwrapped again");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.forget_old(), 1, "the sweep drops what no request asked for");
        assert!(cache.keys.lock().unwrap().is_empty());
    }
}
