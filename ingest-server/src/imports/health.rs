//! Readiness: whether this server can take imports now. The store answers for its files (each
//! written to, both still where they were opened, room on the volume); the master key must still
//! open the binding both files hold. Answers are kept for a second, so that a busy probe costs
//! one write a second at most.

use super::Imports;
use crate::integrity;
use crate::store::Unready;
use serde::Serialize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a readiness answer is reused.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// Whether the server can take imports now, and if not, why (stable codes, no secrets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Readiness {
    /// What fails, in a fixed order; empty when ready.
    pub failing: Vec<&'static str>,
}

impl Readiness {
    /// Whether nothing fails.
    pub fn is_ready(&self) -> bool {
        self.failing.is_empty()
    }
}

/// The last answer and when it was made.
#[derive(Default)]
pub(super) struct LastReadiness(Mutex<Option<(Instant, Readiness)>>);

impl Imports {
    /// Whether the server can take imports at `now` (Unix seconds).
    pub fn readiness(&self, now: i64) -> Readiness {
        let Ok(mut last) = self.readiness.0.lock() else { return self.check_readiness(now) };
        if let Some((at, readiness)) = last.as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return readiness.clone();
        }
        let readiness = self.check_readiness(now);
        *last = Some((Instant::now(), readiness.clone()));
        readiness
    }

    fn check_readiness(&self, now: i64) -> Readiness {
        let mut failing: Vec<&'static str> =
            self.store.readiness(now).into_iter().map(Unready::code).collect();
        match self.store.bindings() {
            Ok(bindings) => failing.extend(integrity::check(&bindings, &self.master).err()),
            Err(_) => failing.push("store_unreadable"),
        }
        if !failing.is_empty() {
            tracing::warn!(failing = ?failing, "not ready");
        }
        Readiness { failing }
    }
}
