//! Leases on outbox messages and jobs, kept in memory: a SQLite store is served by one process
//! at a time, so the leases only have to keep that process's own delivery threads apart, and a
//! restart forgets them with the process that held them (nothing to wait out). A store shared
//! by several instances keeps its leases in its database instead.

use super::super::{Claim, Lease, Message, Result, StoreError};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Messages an unordered lane looks at to find one not leased.
pub(super) const LOOKAHEAD: u32 = 256;

/// The leases held now: on messages by id, and on jobs by name.
#[derive(Default)]
pub(super) struct Leases {
    messages: Mutex<HashMap<String, Lease>>,
    jobs: Mutex<HashMap<String, Lease>>,
}

/// Whether a message under `lease` is taken at `now_ms`: a running lease keeps everyone out,
/// its own holder too (two threads of one instance never send one message).
fn taken(lease: Option<&Lease>, now_ms: i64) -> bool {
    lease.is_some_and(|l| l.until_ms > now_ms)
}

impl Leases {
    /// The message leases, locked: a map left by a thread that panicked is still a map of
    /// leases, so it is used.
    pub(super) fn messages(&self) -> MutexGuard<'_, HashMap<String, Lease>> {
        self.messages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An ordered lane's claim on its oldest pending message `head`. `head` must be read while
    /// `held` is locked, so that a message recorded meanwhile is not taken again.
    pub(super) fn claim_head(
        held: &mut HashMap<String, Lease>,
        head: Option<Message>,
        now_ms: i64,
        lease: &Lease,
    ) -> Claim {
        let Some(head) = head else { return Claim::Empty };
        match held.get(&head.id) {
            Some(l) if taken(Some(l), now_ms) => Claim::Wait { until_ms: l.until_ms },
            _ if head.next_attempt_at > now_ms => Claim::Wait { until_ms: head.next_attempt_at },
            _ => {
                held.insert(head.id.clone(), lease.clone());
                Claim::Message(head)
            }
        }
    }

    /// An unordered lane's claim: the first of `due` (oldest first) that no one holds.
    /// `due` must be read while `held` is locked, so that two threads cannot take one message.
    pub(super) fn claim_any(
        held: &mut HashMap<String, Lease>,
        due: Vec<Message>,
        now_ms: i64,
        lease: &Lease,
    ) -> Claim {
        match due.into_iter().find(|m| !taken(held.get(&m.id), now_ms)) {
            Some(m) => {
                held.insert(m.id.clone(), lease.clone());
                Claim::Message(m)
            }
            None => Claim::Empty,
        }
    }

    /// Whether another holder than `holder` has taken message `id` (after `holder`'s lease ran
    /// out): then `holder`'s failure is not recorded.
    pub(super) fn held_by_other(&self, id: &str, holder: &str) -> bool {
        self.messages().get(id).is_some_and(|l| l.holder != holder)
    }

    /// Ends `holder`'s lease on message `id` once its attempt is recorded, or anyone's when
    /// `always` (a delivery, which ends the message).
    pub(super) fn end(&self, id: &str, holder: &str, always: bool) {
        let mut held = self.messages();
        if always || held.get(id).is_some_and(|l| l.holder == holder) {
            held.remove(id);
        }
    }

    /// Ends `holder`'s lease on message `id`.
    pub(super) fn release(&self, id: &str, holder: &str) {
        let mut held = self.messages();
        if held.get(id).is_some_and(|l| l.holder == holder) {
            held.remove(id);
        }
    }

    /// Extends `holder`'s leases on messages `ids` to `until_ms`; how many.
    pub(super) fn renew(&self, holder: &str, ids: &[String], until_ms: i64) -> u64 {
        let mut held = self.messages();
        let mut renewed = 0;
        for id in ids {
            if let Some(lease) = held.get_mut(id).filter(|l| l.holder == holder) {
                lease.until_ms = lease.until_ms.max(until_ms);
                renewed += 1;
            }
        }
        renewed
    }

    /// Takes or keeps job `job`'s lease; whether `lease.holder` holds it now.
    pub(super) fn lead(&self, job: &str, lease: &Lease, now_ms: i64) -> Result<bool> {
        let mut jobs = self.jobs.lock().map_err(|_| StoreError::other("the job leases' lock is poisoned"))?;
        if jobs.get(job).is_some_and(|l| l.holder != lease.holder && l.until_ms > now_ms) {
            return Ok(false);
        }
        jobs.insert(job.to_owned(), lease.clone());
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MessageKind, MessageStatus};

    fn message(id: &str, due: i64) -> Message {
        Message {
            id: id.into(),
            import_id: "imp_a".into(),
            importer: "demo".into(),
            destination: 0,
            sequence: 0,
            kind: MessageKind::Rows,
            first_batch: 0,
            first_offset: 0,
            row_count: 1,
            chunks: 1,
            status: MessageStatus::Pending,
            attempts: 0,
            next_attempt_at: due,
            last_attempt_at: None,
            last_status: None,
            last_error: None,
            delivered_at: None,
        }
    }

    fn lease(holder: &str, until_ms: i64) -> Lease {
        Lease { holder: holder.into(), until_ms }
    }

    #[test]
    fn an_ordered_lane_waits_for_a_running_lease_and_takes_one_that_ran_out() {
        let leases = Leases::default();
        let head = || Some(message("msg_0", 100));
        let claim = |head, now, lease: &Lease| Leases::claim_head(&mut leases.messages(), head, now, lease);
        assert_eq!(claim(None, 100, &lease("a", 200)), Claim::Empty);
        assert_eq!(claim(head(), 50, &lease("a", 200)), Claim::Wait { until_ms: 100 }, "not due");
        assert!(matches!(claim(head(), 100, &lease("a", 200)), Claim::Message(_)));
        for holder in ["a", "b"] {
            assert_eq!(claim(head(), 150, &lease(holder, 300)), Claim::Wait { until_ms: 200 });
        }
        assert!(matches!(claim(head(), 200, &lease("b", 300)), Claim::Message(_)), "ran out");
        leases.release("msg_0", "a");
        assert_eq!(claim(head(), 250, &lease("a", 400)), Claim::Wait { until_ms: 300 }, "b's");
        assert_eq!(leases.renew("b", &["msg_0".to_owned()], 500), 1);
        assert_eq!(claim(head(), 350, &lease("a", 400)), Claim::Wait { until_ms: 500 });
        assert!(leases.held_by_other("msg_0", "a"), "a's late failure is not recorded under b's lease");
        leases.end("msg_0", "a", false);
        assert_eq!(claim(head(), 350, &lease("a", 400)), Claim::Wait { until_ms: 500 }, "still b's");
        assert!(!leases.held_by_other("msg_0", "b"));
        leases.end("msg_0", "b", false);
        assert!(matches!(claim(head(), 350, &lease("a", 400)), Claim::Message(_)));
        leases.end("msg_0", "b", true);
        assert!(
            matches!(claim(head(), 350, &lease("b", 400)), Claim::Message(_)),
            "a delivery ends any lease"
        );
    }

    #[test]
    fn an_unordered_lane_takes_the_oldest_message_no_one_holds() {
        let leases = Leases::default();
        let due = || vec![message("msg_0", 0), message("msg_1", 0)];
        let take =
            |holder: &str| match Leases::claim_any(&mut leases.messages(), due(), 10, &lease(holder, 100)) {
                Claim::Message(m) => Some(m.id),
                _ => None,
            };
        assert_eq!(take("a").as_deref(), Some("msg_0"));
        assert_eq!(take("a").as_deref(), Some("msg_1"), "its own lease keeps its other threads out too");
        assert_eq!(take("b"), None);
    }

    #[test]
    fn a_job_has_one_leader_until_its_lease_runs_out() {
        let leases = Leases::default();
        assert!(leases.lead("retention", &lease("a", 100), 0).unwrap());
        assert!(!leases.lead("retention", &lease("b", 150), 50).unwrap());
        assert!(leases.lead("retention", &lease("a", 200), 90).unwrap(), "its holder keeps it");
        assert!(leases.lead("retention", &lease("b", 300), 200).unwrap(), "taken over once it ran out");
        assert!(leases.lead("other", &lease("a", 300), 200).unwrap(), "jobs are apart");
    }
}
