//! The webhook kind on its own: the destination contract, its bodies, and how one attempt's
//! answer is classified, against a receiver on 127.0.0.1 started by the test.

use super::*;
use crate::config::{Delivery, Secret};
use crate::delivery::Failure;
use crate::delivery::contract::{self, Fixture, SECRET_CELL};
use crate::delivery::destination::Attempts;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

/// The Standard Webhooks example secret.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn hook(url: &str, allow_private_network: bool) -> Webhook {
    Webhook {
        url: url.to_owned(),
        secret: Secret::new(SECRET),
        previous: None,
        allow_private_network,
        chunk_rows: 3,
        delivery: Delivery::Sequential,
        timeout: Duration::from_secs(5),
    }
}

fn prepared(message: usize) -> (Message, Value) {
    let destination = WebhookDestination::open(&hook("http://127.0.0.1:9/", true)).unwrap();
    let message = Fixture::messages().remove(message);
    let body = destination.prepare(&message, &mut Fixture::new().reader()).unwrap();
    let json = serde_json::from_slice(&body).unwrap();
    (message, json)
}

/// What a receiver was sent: the request's head lines and its body.
type Received = (Vec<String>, Vec<u8>);

/// A receiver that answers one request with `status`; its URL, and what it was sent.
fn receiver(status: &str) -> (String, std::thread::JoinHandle<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let head: Vec<String> = std::iter::from_fn(|| {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            Some(line.trim_end().to_owned()).filter(|l| !l.is_empty())
        })
        .collect();
        let length = head.iter().find_map(|h| h.strip_prefix("content-length: ")).unwrap().parse().unwrap();
        let mut body = vec![0; length];
        std::io::Read::read_exact(&mut reader, &mut body).unwrap();
        reader.get_mut().write_all(answer.as_bytes()).unwrap();
        (head, body)
    });
    (url, handle)
}

fn attempt(url: &str, allow_private_network: bool) -> Outcome {
    let destination = WebhookDestination::open(&hook(url, allow_private_network)).unwrap();
    let message = Fixture::messages().remove(0);
    destination.attempt(&message, &mut Fixture::new().reader()).unwrap()
}

fn retried(outcome: Outcome) -> Failure {
    match outcome {
        Outcome::Retry { after: None, failure } => failure,
        other => panic!("expected a retry on the schedule: {other:?}"),
    }
}

#[test]
fn the_webhook_keeps_the_destination_contract() {
    contract::run(&WebhookDestination::open(&hook("https://app.example.com/hooks", false)).unwrap());
}

#[test]
fn a_rows_body_carries_its_chunk_and_its_rows_as_stored() {
    let (_, body) = prepared(0);
    assert_eq!(body["type"], "import.rows");
    assert_eq!(body["timestamp"], "2021-02-25T15:02:10Z");
    let data = &body["data"];
    assert_eq!((data["chunk"]["index"].as_u64(), data["chunk"]["count"].as_u64()), (Some(0), Some(2)));
    assert_eq!(
        (data["firstRow"].as_u64(), data["lastRow"].as_u64(), data["totalRows"].as_u64()),
        (Some(1), Some(3), Some(4))
    );
    assert_eq!(data["file"]["name"], "contacts.csv");
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["data"]["name"], "=1+2", "webhooks carry cells as stored");
    assert_eq!((rows[1]["kept"]["Notes"].as_str(), rows[2]["invalid"].as_bool()), (Some("vip"), Some(true)));
}

#[test]
fn a_completed_body_carries_counts_and_the_mapping() {
    let (_, body) = prepared(2);
    assert_eq!(body["type"], "import.completed");
    let data = &body["data"];
    assert_eq!(
        (data["rows"].as_u64(), data["invalidRows"].as_u64(), data["chunks"].as_u64()),
        (Some(4), Some(1), Some(2))
    );
    assert_eq!(data["mapping"]["email"], "E-mail");
    assert_eq!(data["completedAt"], "2021-02-25T15:02:10Z");
}

#[test]
fn a_2xx_is_delivered_with_standard_webhooks_headers_that_verify() {
    let (url, receiver) = receiver("204 No Content");
    let outcome = attempt(&url, true);
    assert!(matches!(outcome, Outcome::Delivered { status: Some(204) }), "{outcome:?}");
    let (head, body) = receiver.join().unwrap();
    let header = |name: &str| {
        let prefix = format!("{name}: ");
        head.iter().find_map(|h| h.strip_prefix(&prefix).map(str::to_owned)).unwrap()
    };
    assert_eq!(header("webhook-id"), "msg_0");
    assert_eq!(header("content-type"), "application/json");
    let timestamp = header("webhook-timestamp");
    let now = timestamp.parse().unwrap();
    sign::verify(SECRET, "msg_0", &timestamp, &header("webhook-signature"), &body, now, 0).unwrap();
}

#[test]
fn other_answers_are_retried_on_the_schedule_and_say_what_came_without_the_url() {
    for (status, error) in [
        ("503 Service Unavailable", "HTTP 503"),
        ("429 Too Many Requests", "HTTP 429"),
        ("400 Bad Request", "HTTP 400"),
        ("302 Found", "HTTP 302: a redirect, which is not followed"),
    ] {
        let (url, receiver) = receiver(status);
        let failure = retried(attempt(&format!("{url}?token=hunter2"), true));
        receiver.join().unwrap();
        assert_eq!(failure.status().map(|s| s.to_string()), status.get(..3).map(str::to_owned));
        assert_eq!(failure.to_string(), error);
        assert!(failure.cause().downcast_ref::<WebhookError>().is_some());
    }
}

#[test]
fn a_receiver_on_this_machine_is_refused_when_not_allowed_and_nothing_secret_leaks() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://localhost:{}/hooks?token=hunter2", listener.local_addr().unwrap().port());
    let failure = retried(attempt(&url, false));
    assert_eq!((failure.status(), failure.to_string()), (None, network::PRIVATE.to_owned()));
    assert!(matches!(failure.cause().downcast_ref::<WebhookError>(), Some(WebhookError::PrivateRefused)));
    for text in ["hunter2", SECRET, SECRET_CELL] {
        assert!(!failure.to_string().contains(text));
    }
}

#[test]
fn a_rotated_secret_signs_beside_the_new_one_until_its_time_and_not_from_then() {
    let mut rotated = hook("https://app.example.com/hooks", false);
    let old = "whsec_b2xkLW9sZC1vbGQtb2xkLW9sZC1vbGQtb2xkLW9sZC1vbGQh";
    rotated.previous = Some(crate::config::PreviousSecret { secret: Secret::new(old), until: 1000 });
    let destination = WebhookDestination::open(&rotated).unwrap();
    let before = destination.signature("msg_1", 999, b"{}");
    let parts: Vec<&str> = before.split(' ').collect();
    assert_eq!(parts.len(), 2);
    assert!(sign::verify(SECRET, "msg_1", "999", &before, b"{}", 999, 300).is_ok());
    assert!(sign::verify(old, "msg_1", "999", &before, b"{}", 999, 300).is_ok());
    let after = destination.signature("msg_1", 1000, b"{}");
    assert!(!after.contains(' '));
    assert!(sign::verify(old, "msg_1", "1000", &after, b"{}", 1000, 300).is_err());
}
