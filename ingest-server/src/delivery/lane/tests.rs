//! The lanes driven through a destination written for the test: a real implementation of the
//! trait that records what it was asked to send and answers with a scripted outcome, over a
//! real store.

use super::*;
use crate::delivery::contract::Fixture;
use crate::delivery::destination::{Destination, Failure, Probe};
use crate::store::{
    Completing, ImportStatus, MessageKind, MessageStatus, NewImport, NewMessage, SqliteStore,
};
use std::collections::VecDeque;
use std::sync::Mutex;

/// A destination that answers each attempt with the next scripted outcome (delivered when the
/// script is used up), or finds the import gone.
#[derive(Default)]
struct Scripted {
    outcomes: Mutex<VecDeque<Outcome>>,
    sent: Mutex<Vec<String>>,
    gone: bool,
}

impl Destination for Scripted {
    type Prepared = String;

    fn prepare(&self, message: &Message, _reader: &mut ImportReader) -> Result<String, SourceError> {
        if self.gone { Err(SourceError::Gone) } else { Ok(message.id.clone()) }
    }

    fn send(&self, _message: &Message, prepared: String) -> Outcome {
        self.sent.lock().unwrap().push(prepared);
        self.outcomes.lock().unwrap().pop_front().unwrap_or(Outcome::Delivered { status: None })
    }

    fn test(&self, _: &Probe<'_>) -> Outcome {
        panic!("lanes never test a destination")
    }
}

/// A lane's world: a store holding a completed import `imp_a` of importer `demo` with three
/// messages to destination 0 (`msg_0`, `msg_1`, `msg_2`), all due.
struct World {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    data: Arc<Fixture>,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store.create_import(new_import()).unwrap();
        let messages = (0..3).map(message).collect();
        store.complete("imp_a", Completing { at: 1, messages, ..Completing::default() }).unwrap();
        assert_eq!(store.import("imp_a").unwrap().unwrap().status, ImportStatus::Complete);
        World { _dir: dir, store: Arc::new(store), data: Fixture::new() }
    }

    fn lane(&self, delivery: Delivery, destination: Scripted, schedule: &[Duration]) -> Arc<Lane> {
        let shared = Shared {
            store: Arc::clone(&self.store),
            data: Arc::clone(&self.data) as Arc<dyn ImportData>,
            wakeup: Arc::default(),
            schedule: schedule.to_vec(),
            instance: "ins_test".into(),
            in_flight: Arc::default(),
        };
        Lane::new("demo", 0, delivery, Box::new(destination), shared)
    }

    fn message(&self, id: &str) -> Message {
        let pending = self.store.pending_messages("demo", 0, None, 10).unwrap();
        let dead = self.store.dead_letters(10).unwrap();
        pending.into_iter().chain(dead).find(|m| m.id == id).unwrap()
    }
}

fn new_import() -> NewImport {
    NewImport {
        id: "imp_a".into(),
        importer: "demo".into(),
        schema_digest: [1; 32],
        token_hash: [2; 32],
        token_expires_at: 2000,
        created_at: 0,
        expires_at: i64::MAX / 2,
        file_size: None,
        schema: None,
        metadata: vec![9],
        data_key: (vec![7; 16], vec![8; 60]),
        transport_key: vec![6; 60],
    }
}

fn message(sequence: u32) -> NewMessage {
    NewMessage {
        id: format!("msg_{sequence}"),
        destination: 0,
        sequence,
        kind: MessageKind::Completed,
        first_batch: 0,
        first_offset: 0,
        row_count: 0,
        chunks: 0,
        due_at: 0,
    }
}

fn retry(after: Option<Duration>) -> Outcome {
    Outcome::Retry { after, failure: Failure::with_status(503, std::io::Error::other("HTTP 503")) }
}

/// Takes the lane's next message and attempts it; its id.
fn step(lane: &Lane) -> String {
    let Next::Send(message) = lane.next().unwrap() else { panic!("nothing to send") };
    assert!(lane.attempt(&message, &mut ImportReader::new(Arc::clone(&lane.shared.data))));
    message.id
}

fn scripted(outcomes: impl IntoIterator<Item = Outcome>) -> Scripted {
    Scripted { outcomes: Mutex::new(outcomes.into_iter().collect()), ..Scripted::default() }
}

#[test]
fn jitter_stays_within_a_fifth_of_the_wait() {
    for _ in 0..1000 {
        let wait = jittered(Duration::from_secs(100));
        assert!((80_000..=120_000).contains(&wait), "{wait}");
    }
}

#[test]
fn a_wait_the_destination_gives_is_honoured_over_the_schedule() {
    let world = World::new();
    let schedule = [Duration::from_secs(3600)];
    let lane = world.lane(Delivery::Sequential, scripted([retry(Some(Duration::from_secs(7)))]), &schedule);
    let before = now_ms();
    assert_eq!(step(&lane), "msg_0");
    let head = world.message("msg_0");
    assert_eq!((head.status, head.attempts, head.last_status), (MessageStatus::Pending, 1, Some(503)));
    assert!((before + 7_000..=now_ms() + 7_000).contains(&head.next_attempt_at), "{}", head.next_attempt_at);
    assert_eq!(head.last_error.as_deref(), Some("HTTP 503"));
}

#[test]
fn without_a_wait_from_the_destination_the_schedule_applies_with_jitter() {
    let world = World::new();
    let lane = world.lane(Delivery::Sequential, scripted([retry(None)]), &[Duration::from_secs(100)]);
    let before = now_ms();
    step(&lane);
    let wait = world.message("msg_0").next_attempt_at - before;
    assert!((80_000..=121_000).contains(&wait), "{wait}");
}

#[test]
fn dead_makes_a_dead_letter_at_once_and_applies_retention() {
    let world = World::new();
    let dead = Outcome::Dead(Failure::new(std::io::Error::other("refused for good")));
    let lane = world.lane(Delivery::Sequential, scripted([dead]), &[Duration::from_secs(1); 5]);
    assert_eq!(step(&lane), "msg_0");
    let letter = world.message("msg_0");
    assert_eq!((letter.status, letter.attempts, letter.last_status), (MessageStatus::Dead, 1, None));
    assert_eq!(letter.last_error.as_deref(), Some("refused for good"));
    assert_eq!(*world.data.ended.lock().unwrap(), ["imp_a"]);
    assert_eq!(step(&lane), "msg_1", "a dead letter no longer holds the lane");
}

#[test]
fn a_retry_past_the_end_of_the_schedule_is_a_dead_letter() {
    let world = World::new();
    let lane = world.lane(
        Delivery::Sequential,
        scripted([retry(None), retry(Some(Duration::ZERO))]),
        &[Duration::ZERO],
    );
    step(&lane);
    assert_eq!(world.message("msg_0").status, MessageStatus::Pending);
    assert!(world.data.ended.lock().unwrap().is_empty(), "a retry does not end delivery");
    step(&lane);
    assert_eq!(world.message("msg_0").status, MessageStatus::Dead);
}

#[test]
fn a_sequential_lane_holds_later_messages_until_the_head_is_delivered() {
    let world = World::new();
    let destination = scripted([retry(Some(Duration::from_secs(60)))]);
    let lane = world.lane(Delivery::Sequential, destination, &[Duration::from_secs(60)]);
    assert_eq!(step(&lane), "msg_0");
    assert!(
        matches!(lane.next().unwrap(), Next::Wait(wait) if wait > Duration::from_secs(50)),
        "msg_1 waits"
    );
    // Delivered meanwhile (as by an earlier attempt whose answer came late): the lane moves on.
    world
        .store
        .record_attempt("msg_0", "ins_test", Attempt::Delivered { at: now_ms(), status: None })
        .unwrap();
    assert_eq!(step(&lane), "msg_1");
    assert_eq!(step(&lane), "msg_2");
}

#[test]
fn a_parallel_lane_sends_due_messages_side_by_side_but_never_one_twice() {
    let world = World::new();
    let lane = world.lane(Delivery::Parallel { parallelism: 2 }, Scripted::default(), &[]);
    let (Next::Send(a), Next::Send(b)) = (lane.next().unwrap(), lane.next().unwrap()) else {
        panic!("two messages are due")
    };
    assert_ne!(a.id, b.id, "a message in flight is not taken again");
    let mut reader = ImportReader::new(Arc::clone(&lane.shared.data));
    assert!(matches!(lane.next().unwrap(), Next::Send(c) if c.id == "msg_2"));
    assert!(matches!(lane.next().unwrap(), Next::Wait(_)), "every due message is in flight");
    assert!(lane.attempt(&a, &mut reader) && lane.attempt(&b, &mut reader));
    assert_eq!(world.store.delivery_summary("imp_a").unwrap().delivered, 2);
    // msg_2's lease runs until it is recorded (or runs out): no thread takes it meanwhile.
    world.store.release_message("msg_2", "ins_test").unwrap();
    assert_eq!(step(&lane), "msg_2");
    assert!(matches!(lane.next().unwrap(), Next::Wait(_)), "all delivered");
    assert_eq!(world.store.delivery_summary("imp_a").unwrap().delivered, 3);
}

#[test]
fn a_message_whose_import_is_gone_is_not_sent_and_nothing_is_recorded() {
    let world = World::new();
    let gone = Scripted { gone: true, ..Scripted::default() };
    let lane = world.lane(Delivery::Sequential, gone, &[Duration::from_secs(1)]);
    let Next::Send(message) = lane.next().unwrap() else { panic!("msg_0 is due") };
    assert!(!lane.attempt(&message, &mut ImportReader::new(Arc::clone(&lane.shared.data))));
    assert_eq!(world.message("msg_0").attempts, 0);
    assert!(
        matches!(lane.next().unwrap(), Next::Send(m) if m.id == "msg_0"),
        "its lease was given back: it is not held until the lease runs out"
    );
    assert!(world.data.ended.lock().unwrap().is_empty());
}

#[test]
fn a_message_that_cannot_be_prepared_fails_without_reaching_the_destination() {
    struct Unreadable;
    impl Destination for Unreadable {
        type Prepared = ();
        fn prepare(&self, message: &Message, _: &mut ImportReader) -> Result<(), SourceError> {
            Err(SourceError::Corrupt { import_id: message.import_id.clone(), item: "batch 0".into() })
        }
        fn send(&self, _: &Message, (): ()) -> Outcome {
            panic!("an unprepared message is never sent")
        }
        fn test(&self, _: &Probe<'_>) -> Outcome {
            panic!("lanes never test a destination")
        }
    }
    let world = World::new();
    let shared = Shared {
        store: Arc::clone(&world.store),
        data: Arc::clone(&world.data) as Arc<dyn ImportData>,
        wakeup: Arc::default(),
        schedule: vec![Duration::from_secs(1)],
        instance: "ins_test".into(),
        in_flight: Arc::default(),
    };
    let lane = Lane::new("demo", 0, Delivery::Sequential, Box::new(Unreadable), shared);
    step(&lane);
    let failed = world.message("msg_0");
    assert_eq!((failed.status, failed.attempts), (MessageStatus::Pending, 1));
    assert_eq!(
        failed.last_error.as_deref(),
        Some("cannot build the message: the batch 0 of imp_a does not open")
    );
}
