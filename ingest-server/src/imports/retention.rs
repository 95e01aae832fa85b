//! Forgetting on time and on demand: each importer's retention (keep N days, delete after
//! delivery, pass-through), the deletions the operator asks for, expiry of unfinished imports,
//! and the completion of deletions a crash cut short. Every deletion goes through
//! [`Store::delete_data`](crate::store::Store::delete_data): keys first (crypto-shredding), then
//! rows, then truncated write-ahead logs. The import's record and log stay, with counts only.

use super::{ImportError, Imports};
use crate::config::Retention;
use crate::store::DeleteReason;
use serde::Serialize;

/// Days an import of an importer no longer in the configuration is kept.
const DEFAULT_DAYS: u32 = 30;

/// Seconds in a day.
const DAY: i64 = 86_400;

/// What one run of the retention job deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Swept {
    /// Open imports past their time.
    pub expired: u64,
    /// Imports past their importer's keep period (or longest wait for delivery).
    pub retention: u64,
    /// Imports whose delivery ended (delete after delivery, pass-through).
    pub delivered: u64,
    /// Deletions a crash had cut short, finished.
    pub resumed: u64,
}

impl Imports {
    /// Applies every importer's retention at `now` (Unix seconds). Deadlines that passed while
    /// the server was down are caught up on the first run.
    pub fn enforce_retention(&self, now: i64) -> Result<Swept, ImportError> {
        let mut swept = Swept { expired: self.expire(now)?, ..Swept::default() };
        // A deletion checkpoints too; this truncates what readers kept busy then. Its failure
        // (a full volume, say) must not hold up the deletions below.
        if let Err(e) = self.store.maintain() {
            tracing::warn!(error = %e, "the store's upkeep failed; deleting what is due all the same");
        }
        let unfinished = self.store.unfinished_deletions()?;
        swept.resumed = self.delete(&unfinished, now, DeleteReason::Resumed)?;
        for key in self.store.importers_with_data()? {
            let retention = self.importer(&key).ok().map(|i| i.config.retention);
            let days = match retention {
                Some(Retention::Keep { days } | Retention::DeleteAfterDelivery { days }) => days,
                Some(Retention::NeverStore) | None => DEFAULT_DAYS,
            };
            let due = self.store.completed_before(&key, now - i64::from(days) * DAY)?;
            swept.retention += self.delete(&due, now, DeleteReason::Retention)?;
            swept.delivered += match retention {
                Some(Retention::DeleteAfterDelivery { .. }) => {
                    self.delete(&self.store.delivery_done(&key, false)?, now, DeleteReason::Delivered)?
                }
                Some(Retention::NeverStore) => {
                    self.pass_through(&self.store.delivery_done(&key, true)?, now)?
                }
                _ => 0,
            };
        }
        Ok(swept)
    }

    /// Applies retention to one import whose message was just delivered or became a dead
    /// letter; errors are logged (the next run of the job tries again).
    pub fn after_delivery(&self, id: &str, now: i64) {
        if let Err(e) = self.retain_after_delivery(id, now) {
            tracing::warn!(import = id, error = %e, "cannot apply retention after delivery; the retention job will");
        }
    }

    fn retain_after_delivery(&self, id: &str, now: i64) -> Result<(), ImportError> {
        let Some(record) = self.store.import(id)? else { return Ok(()) };
        if record.data_deleted_at.is_some() {
            return Ok(());
        }
        let retention = self.importer(&record.importer).ok().map(|i| i.config.retention);
        let summary = self.store.delivery_summary(id)?;
        match retention {
            Some(Retention::DeleteAfterDelivery { .. }) if summary.pending == 0 && summary.dead == 0 => {
                self.delete(&[id.to_owned()], now, DeleteReason::Delivered)?;
            }
            Some(Retention::NeverStore) if summary.pending == 0 => {
                self.pass_through(&[id.to_owned()], now)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Deletes pass-through imports whose delivery has ended, saying whether it all arrived.
    fn pass_through(&self, ids: &[String], now: i64) -> Result<u64, ImportError> {
        let mut deleted = 0;
        for id in ids {
            let reason = match self.store.delivery_summary(id)?.dead {
                0 => DeleteReason::Delivered,
                _ => DeleteReason::PassThrough,
            };
            deleted += self.delete(std::slice::from_ref(id), now, reason)?;
        }
        Ok(deleted)
    }

    /// Deletes the data of one import at the operator's request; `false` when it had none left.
    pub fn delete_import(&self, id: &str, now: i64) -> Result<bool, ImportError> {
        self.store.import(id)?.ok_or(ImportError::Rejected)?;
        Ok(self.delete(&[id.to_owned()], now, DeleteReason::Operator)? > 0)
    }

    /// Deletes the data of every import of one importer (`Some`), or of all (`None`), at the
    /// operator's request; returns how many imports had data.
    pub fn delete_all(&self, importer: Option<&str>, now: i64) -> Result<u64, ImportError> {
        let ids = self.store.imports_with_data(importer)?;
        self.delete(&ids, now, DeleteReason::Operator)
    }

    fn delete(&self, ids: &[String], now: i64, reason: DeleteReason) -> Result<u64, ImportError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let deleted = self.store.delete_data(ids, now, reason)?;
        for id in ids {
            self.forget_keys(id);
        }
        for id in &deleted {
            tracing::info!(import = %id, reason = reason.as_str(), "import data deleted");
        }
        Ok(deleted.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::crypto::MasterKey;
    use crate::store::{
        Attempt, Completing, ImportRecord, KeyPurpose, MessageKind, NewBatch, NewImport, NewMessage,
        SqliteStore, Store,
    };
    use ring::rand::SystemRandom;
    use std::path::Path;
    use std::sync::Arc;

    /// The moment the tests' imports complete (Unix seconds); the clock is whatever a test says.
    const T: i64 = 1_800_000_000;

    /// Three importers: `kept` keeps 2 days, `after` deletes after delivery (10 days at most),
    /// `through` passes rows through.
    const CONFIG: &str = r#"
[[importers]]
key = "kept"
allowed_origins = ["https://app.example.com"]
schema = { version = 1, columns = [{ key = "email", type = "email" }] }
retention = { mode = "keep", days = 2 }

[[importers]]
key = "after"
allowed_origins = ["https://app.example.com"]
schema = { version = 1, columns = [{ key = "email", type = "email" }] }
retention = { mode = "delete_after_delivery", days = 10 }
destinations = [{ type = "webhook", url = "https://app.example.com/hooks", secret = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }]

[[importers]]
key = "through"
allowed_origins = ["https://app.example.com"]
schema = { version = 1, columns = [{ key = "email", type = "email" }] }
retention = { mode = "never_store" }
destinations = [{ type = "webhook", url = "https://app.example.com/hooks", secret = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }]
"#;

    /// The server's import service on the store in `dir`, as a restart would make it.
    fn start(dir: &Path) -> Imports {
        let config = Arc::new(Config::from_str(CONFIG, Path::new("sluice.toml"), dir).unwrap());
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir).unwrap());
        Imports::new(config, store, MasterKey::generate(&SystemRandom::new()).unwrap()).unwrap()
    }

    /// A completed import `id` of `importer` with one batch and one message to deliver.
    fn completed(imports: &Imports, importer: &str, id: &str) {
        let store = imports.store();
        store
            .create_import(NewImport {
                id: id.into(),
                importer: importer.into(),
                schema_digest: [0; 32],
                token_hash: [0; 32],
                token_expires_at: T,
                created_at: T - 60,
                expires_at: T + 3600,
                file_size: None,
                schema: None,
                metadata: vec![1; 40],
                data_key: (vec![2; 16], vec![3; 60]),
                transport_key: vec![4; 60],
            })
            .unwrap();
        let batch = NewBatch {
            import_id: id.into(),
            sequence: 0,
            first_row: 1,
            row_count: 1,
            invalid_rows: Vec::new(),
            fingerprint: [5; 32],
            sealed: vec![6; 80],
            summary: None,
            max_rows: u64::MAX,
            stored_at: T - 30,
            token_expires_at: T,
        };
        store.put_batch(batch).unwrap();
        let message = NewMessage {
            id: format!("msg_{id}"),
            destination: 0,
            sequence: 0,
            kind: MessageKind::Completed,
            first_batch: 0,
            first_offset: 0,
            row_count: 0,
            chunks: 0,
            due_at: T * 1000,
        };
        let messages = if importer == "kept" { Vec::new() } else { vec![message] };
        store
            .complete(id, Completing { at: T, batches: 1, rows: 1, messages, ..Completing::default() })
            .unwrap();
    }

    fn record(imports: &Imports, id: &str) -> ImportRecord {
        imports.store().import(id).unwrap().unwrap()
    }

    #[test]
    fn kept_imports_go_after_their_days_also_when_the_deadline_passed_while_the_server_was_down() {
        let dir = tempfile::tempdir().unwrap();
        {
            let imports = start(dir.path());
            completed(&imports, "kept", "imp_kept");
            assert_eq!(imports.enforce_retention(T + DAY).unwrap(), Swept::default());
            assert_eq!(imports.enforce_retention(T + 2 * DAY - 1).unwrap(), Swept::default());
            assert!(record(&imports, "imp_kept").data_deleted_at.is_none());
        }
        // Down from T + 2 days - 1 s to T + 9 days: the first run after the restart catches up.
        let imports = start(dir.path());
        assert_eq!(imports.enforce_retention(T + 9 * DAY).unwrap().retention, 1);
        let kept = record(&imports, "imp_kept");
        assert_eq!(
            (kept.data_deleted_at, kept.deleted_reason.as_deref()),
            (Some(T + 9 * DAY), Some("retention"))
        );
        assert_eq!((kept.rows, kept.batches), (1, 1), "the record keeps its counts");
        assert!(imports.store().key("imp_kept", KeyPurpose::Data).unwrap().is_none());
        assert!(imports.store().batches("imp_kept").unwrap().is_empty());
        assert_eq!(imports.enforce_retention(T + 10 * DAY).unwrap(), Swept::default(), "once");
    }

    #[test]
    fn delete_after_delivery_waits_for_every_message_and_keeps_dead_letters_until_its_days() {
        let dir = tempfile::tempdir().unwrap();
        let imports = start(dir.path());
        completed(&imports, "after", "imp_sent");
        completed(&imports, "after", "imp_dead");
        assert_eq!(imports.enforce_retention(T + 60).unwrap(), Swept::default(), "nothing delivered yet");
        let store = imports.store();
        store
            .record_attempt(
                "msg_imp_sent",
                "ins_test",
                Attempt::Delivered { at: T * 1000, status: Some(204) },
            )
            .unwrap();
        let dead =
            Attempt::Failed { at: T * 1000, status: Some(500), error: "HTTP 500".into(), retry_at: None };
        store.record_attempt("msg_imp_dead", "ins_test", dead).unwrap();
        imports.after_delivery("imp_sent", T + 61);
        imports.after_delivery("imp_dead", T + 61);
        assert_eq!(record(&imports, "imp_sent").deleted_reason.as_deref(), Some("delivered"));
        assert!(record(&imports, "imp_dead").data_deleted_at.is_none(), "kept for a retry");
        assert_eq!(imports.enforce_retention(T + 10 * DAY - 1).unwrap(), Swept::default());
        assert_eq!(imports.enforce_retention(T + 10 * DAY).unwrap().retention, 1);
        assert_eq!(store.delivery_summary("imp_dead").unwrap().cancelled, 1);
    }

    #[test]
    fn delivery_recorded_before_a_crash_is_applied_by_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        {
            let imports = start(dir.path());
            completed(&imports, "after", "imp_a");
            // Delivered and recorded, then the server died before `after_delivery`.
            let delivered = Attempt::Delivered { at: T * 1000, status: Some(200) };
            imports.store().record_attempt("msg_imp_a", "ins_test", delivered).unwrap();
        }
        let imports = start(dir.path());
        assert_eq!(imports.enforce_retention(T + 120).unwrap().delivered, 1);
        assert_eq!(record(&imports, "imp_a").deleted_reason.as_deref(), Some("delivered"));
    }

    #[test]
    fn pass_through_rows_go_when_delivery_ends_either_way() {
        let dir = tempfile::tempdir().unwrap();
        let imports = start(dir.path());
        completed(&imports, "through", "imp_ok");
        completed(&imports, "through", "imp_dead");
        imports.after_delivery("imp_ok", T + 1);
        assert!(record(&imports, "imp_ok").data_deleted_at.is_none(), "still pending");
        let store = imports.store();
        store
            .record_attempt("msg_imp_ok", "ins_test", Attempt::Delivered { at: T * 1000, status: Some(200) })
            .unwrap();
        let dead = Attempt::Failed { at: T * 1000, status: None, error: "timed out".into(), retry_at: None };
        store.record_attempt("msg_imp_dead", "ins_test", dead).unwrap();
        assert_eq!(imports.enforce_retention(T + 2).unwrap().delivered, 2);
        assert_eq!(record(&imports, "imp_ok").deleted_reason.as_deref(), Some("delivered"));
        assert_eq!(record(&imports, "imp_dead").deleted_reason.as_deref(), Some("pass_through"));
    }

    #[test]
    fn open_imports_expire_with_their_data_and_complete_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let imports = start(dir.path());
        completed(&imports, "kept", "imp_done");
        let store = imports.store();
        store
            .create_import(NewImport {
                id: "imp_open".into(),
                importer: "kept".into(),
                schema_digest: [0; 32],
                token_hash: [0; 32],
                token_expires_at: T,
                created_at: T,
                expires_at: T + 100,
                file_size: None,
                schema: None,
                metadata: Vec::new(),
                data_key: (vec![2; 16], vec![3; 60]),
                transport_key: vec![4; 60],
            })
            .unwrap();
        let swept = imports.enforce_retention(T + 100).unwrap();
        assert_eq!((swept.expired, swept.resumed), (1, 0));
        let open = record(&imports, "imp_open");
        assert_eq!(
            (open.status, open.deleted_reason.as_deref()),
            (crate::store::ImportStatus::Expired, Some("expired"))
        );
        assert!(record(&imports, "imp_done").data_deleted_at.is_none());
    }
}
