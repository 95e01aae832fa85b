//! What the operator's side reads and changes through the domain, so that the admin routes and
//! the importer service never reach around it to the store: imports and their deliveries, dead
//! letters, the audit log, and the importers made in the dashboard.

use super::{ImportError, Imports};
use crate::store::{self, AuditEntry, DeliverySummary, Event, ImportRecord, Message, StoredImporter};
use serde_json::Value;
use std::collections::BTreeMap;

impl Imports {
    /// Imports, newest first, at most `limit`: of the importer with key `importer`, or of all.
    pub fn list(&self, importer: Option<&str>, limit: u32) -> Result<Vec<ImportRecord>, ImportError> {
        Ok(self.store.list_imports(importer, limit)?)
    }

    /// The record of import `id` in any state, with its data or without; none if unknown.
    pub fn record(&self, id: &str) -> Result<Option<ImportRecord>, ImportError> {
        Ok(self.store.import(id)?)
    }

    /// Where the messages of import `id` stand.
    pub fn delivery_summary(&self, id: &str) -> Result<DeliverySummary, ImportError> {
        Ok(self.store.delivery_summary(id)?)
    }

    /// The error counts of import `id`'s stored batches, by `column:code`.
    pub fn error_counts(&self, id: &str) -> Result<BTreeMap<String, u64>, ImportError> {
        Ok(self.store.error_counts(id)?)
    }

    /// The log of import `id`, oldest first: when (Unix seconds), the event's kind, its detail.
    pub fn events(&self, id: &str) -> Result<Vec<(i64, String, Value)>, ImportError> {
        Ok(self.store.events(id)?)
    }

    /// The delivery messages of import `id`.
    pub fn messages(&self, id: &str) -> Result<Vec<Message>, ImportError> {
        Ok(self.store.messages(id)?)
    }

    /// Dead letters, oldest first, at most `limit`.
    pub fn dead_letters(&self, limit: u32) -> Result<Vec<Message>, ImportError> {
        Ok(self.store.dead_letters(limit)?)
    }

    /// Sends a dead letter (`msg_…`), or every dead letter of an import (`imp_…`), again with a
    /// fresh retry schedule from `now_ms`, and wakes delivery. Returns how many.
    pub fn retry_dead(&self, id: &str, now_ms: i64) -> Result<u64, ImportError> {
        let retried = self.store.retry_dead(id, now_ms)?;
        self.wakeup.ring();
        Ok(retried)
    }

    /// The operator's actions, newest first, at most `limit`.
    pub fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>, ImportError> {
        Ok(self.store.audit(limit)?)
    }

    /// Records an operator's action in the audit log. A failure to write it is logged and does
    /// not undo the action, which has happened.
    pub fn audit_event(&self, event: Event) {
        if let Err(e) = self.store.log(event) {
            tracing::warn!(error = %e, "could not write the audit log");
        }
    }
}

/// The importers made in the dashboard, as stored. These answer with the store's error, whose
/// kind the importer service turns into its own answer (a full volume is not a failure inside).
impl Imports {
    /// Every stored importer, in no order.
    pub fn stored_importers(&self) -> store::Result<Vec<StoredImporter>> {
        self.store.stored_importers()
    }

    /// Stores `importer`, in place of the one with its key, and `event` with it.
    pub fn store_importer(&self, importer: StoredImporter, event: Event) -> store::Result<()> {
        self.store.put_importer(importer, event)
    }

    /// Deletes the stored importer with `key`, recording `event`; whether there was one.
    pub fn delete_stored_importer(&self, key: &str, event: Event) -> store::Result<bool> {
        self.store.delete_importer(key, event)
    }

    /// The imports still holding data: of the importer with key `importer`, or of all.
    pub fn imports_with_data(&self, importer: Option<&str>) -> store::Result<Vec<String>> {
        self.store.imports_with_data(importer)
    }
}
