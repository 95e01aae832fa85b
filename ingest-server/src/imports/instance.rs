//! This server among the instances sharing one store: its id, under which it leases outbox
//! messages and jobs, and the jobs only one instance runs at a time (the retention job).

use super::{ImportError, Imports, Internal};
use crate::crypto;
use crate::store::Lease;
use ring::rand::{SecureRandom, SystemRandom};
use std::time::Duration;

/// The retention job's name among the leased jobs.
pub const RETENTION_JOB: &str = "retention";

/// A fresh instance id: `ins_` and 16 random hex digits, new at every start (a restarted
/// instance does not take back the leases it held before: they run out).
pub fn instance_id() -> Result<String, ImportError> {
    let mut bytes = [0u8; 8];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Internal::Generate { what: "an instance id", source: crypto::Error::Randomness })?;
    Ok(format!("ins_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

impl Imports {
    /// Whether `instance` runs job `job` now: it takes or keeps the job's lease for `hold`
    /// from `now_ms` (Unix milliseconds), unless another live instance holds it.
    pub fn leads(&self, job: &str, instance: &str, now_ms: i64, hold: Duration) -> Result<bool, ImportError> {
        let hold = i64::try_from(hold.as_millis()).unwrap_or(i64::MAX / 2);
        let lease = Lease { holder: instance.to_owned(), until_ms: now_ms.saturating_add(hold) };
        Ok(self.store.lead(job, &lease, now_ms)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_are_fresh_and_well_formed() {
        let (a, b) = (instance_id().unwrap(), instance_id().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 20);
        assert!(a.starts_with("ins_") && a[4..].bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
    }
}
