//! A webhook receiver on loopback for the tests: a small HTTP/1.1 server (keep-alive) that
//! checks every signature with the crate's verifier, records every request, and answers as the
//! test says: fail the first attempts of each message, or send a 2xx status and then stall
//! before the body ends (so the test can kill the server between the 2xx and its record).

use sluice_server::delivery::sign;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as it arrived.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    /// `webhook-id`.
    pub(crate) id: String,
    /// `webhook-timestamp`.
    pub(crate) timestamp: i64,
    /// Whether the signature verified with the secret.
    pub(crate) verified: bool,
    /// The body, parsed.
    pub(crate) body: serde_json::Value,
    /// SHA-256 of the raw body, to compare attempts.
    pub(crate) digest: Vec<u8>,
    /// The status answered.
    pub(crate) status: u16,
    /// `webhook-signature`, to verify with another secret than [`SECRET`].
    pub(crate) signature: String,
    /// The raw body.
    pub(crate) raw: Vec<u8>,
}

/// How the receiver answers.
#[derive(Clone, Default)]
pub(crate) struct Behaviour {
    /// Answer 503 to the first `fail_first` attempts of each message.
    pub(crate) fail_first: usize,
    /// For the first attempt of the message with this chunk index: send `200` and its headers,
    /// then stall without the body, raising `stalled`.
    pub(crate) stall_chunk: Option<u64>,
    /// Wait this long before answering each request.
    pub(crate) delay: Duration,
}

/// A running receiver.
pub(crate) struct Receiver {
    /// `http://127.0.0.1:<port>/hooks`.
    pub(crate) url: String,
    /// Every request, in arrival order.
    pub(crate) received: Arc<Mutex<Vec<Received>>>,
    /// Raised when a stall began.
    pub(crate) stalled: Arc<AtomicBool>,
    /// What the receiver does; may be changed while it runs.
    pub(crate) behaviour: Arc<Mutex<Behaviour>>,
}

/// A secret for the tests' destinations.
pub(crate) const SECRET: &str = "whsec_dGVzdHMtb25seS10ZXN0cy1vbmx5LXRlc3RzLW9ubHkh";

impl Receiver {
    /// Starts on a free loopback port.
    pub(crate) fn start(behaviour: Behaviour) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let receiver = Receiver {
            url,
            received: Arc::default(),
            stalled: Arc::default(),
            behaviour: Arc::new(Mutex::new(behaviour)),
        };
        let shared =
            (Arc::clone(&receiver.received), Arc::clone(&receiver.stalled), Arc::clone(&receiver.behaviour));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = (Arc::clone(&shared.0), Arc::clone(&shared.1), Arc::clone(&shared.2));
                std::thread::spawn(move || serve(stream, &shared.0, &shared.1, &shared.2));
            }
        });
        receiver
    }

    /// Every request so far.
    pub(crate) fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The first 2xx answer of each message id, in the order they were given.
    pub(crate) fn delivered(&self) -> Vec<Received> {
        let mut seen = std::collections::HashSet::new();
        self.all()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status) && seen.insert(r.id.clone()))
            .collect()
    }

    /// Waits until `count` distinct messages were answered with a 2xx.
    pub(crate) fn wait_for(&self, count: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let delivered = self.delivered();
            if delivered.len() >= count {
                return delivered;
            }
            assert!(
                start.elapsed() < limit,
                "only {} of {count} messages arrived in {limit:?}",
                delivered.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn serve(
    stream: TcpStream,
    received: &Mutex<Vec<Received>>,
    stalled: &AtomicBool,
    behaviour: &Mutex<Behaviour>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    while let Some((headers, body)) = read_request(&mut reader) {
        let rules = behaviour.lock().unwrap().clone();
        std::thread::sleep(rules.delay);
        let get = |name: &str| headers.get(name).cloned().unwrap_or_default();
        let (id, timestamp) = (get("webhook-id"), get("webhook-timestamp"));
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let verified =
            sign::verify(SECRET, &id, &timestamp, &get("webhook-signature"), &body, now, 300).is_ok();
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let mut log = received.lock().unwrap();
        let attempts = log.iter().filter(|r| r.id == id).count();
        let chunk = parsed["data"]["chunk"]["index"].as_u64();
        let stall = rules.stall_chunk.is_some() && chunk == rules.stall_chunk && attempts == 0;
        let status = if attempts < rules.fail_first { 503 } else { 200 };
        log.push(Received {
            id,
            timestamp: timestamp.parse().unwrap_or(0),
            verified,
            digest: ring::digest::digest(&ring::digest::SHA256, &body).as_ref().to_vec(),
            body: parsed,
            status,
            signature: get("webhook-signature"),
            raw: body.clone(),
        });
        drop(log);
        if stall {
            let _ = writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n");
            let _ = writer.flush();
            stalled.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(60));
            return;
        }
        let reply = format!(
            "HTTP/1.1 {status} {}\r\ncontent-length: 2\r\n\r\nok",
            if status == 200 { "OK" } else { "Unavailable" }
        );
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Reads one request: its headers (lowercase names) and body; `None` at the end of the stream.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(HashMap<String, String>, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((headers, body))
}
