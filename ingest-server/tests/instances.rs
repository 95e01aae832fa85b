//! Two `sluice serve` instances on one PostgreSQL (a data database and a keystore database) and
//! one S3 bucket (moto), both started by the test on 127.0.0.1: 20 imports at once whose batches
//! alternate between the instances, one instance killed with SIGKILL mid-import and started again
//! later, the other killed mid-delivery and started again. Every acknowledged batch is stored
//! exactly once, every message arrives with one stable id and body, no canary reaches a log, and
//! deleting the imports leaves no key, no batch and no object. A second test edits an importer
//! in the dashboard of one instance and imports through it on the other.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod support;

use base64::Engine as _;
use sluice_server::client::{Client, FileInfo, Upload};
use sluice_server::delivery::s3::{BucketConfig, S3Target};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};
use support::receiver::{Behaviour, Receiver};
use support::services::{KEY_ID, KEY_SECRET, Postgres, S3};
use support::{ADMIN_TOKEN, CANARY_PREFIX, Server, batches, canaries, csv, retries, webhook};

const BUCKET: &str = "sealed";
const PREFIX: &str = "prod";
const IMPORTS: usize = 20;
const ROWS: u64 = 300;
const BATCH_ROWS: u32 = 30;

/// The shared services and what every instance is started with.
struct Stack {
    pg: Postgres,
    s3: S3,
    config: String,
    env: Vec<(&'static str, String)>,
}

impl Stack {
    fn start(destinations: &str) -> Stack {
        let pg = Postgres::start();
        pg.create_database("sluice_data");
        pg.create_database("sluice_keys");
        let s3 = S3::start();
        s3.create_bucket(BUCKET);
        let database = |name: &str| format!("postgres://sluice@127.0.0.1:{}/{name}?sslmode=disable", pg.port);
        let config = format!(
            r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"
admin_token = "{ADMIN_TOKEN}"

[server.limits]
rate_limit = 0
{retries}
[storage]
backend = "postgres"
url = "{data}"
password_env = "TEST_DB_PASSWORD"
keystore_url = "{keys}"
keystore_password_env = "TEST_DB_PASSWORD"
pool_size = 4

[storage.blobs]
url = "s3://{BUCKET}/{PREFIX}"
endpoint = "{endpoint}"

[[importers]]
key = "demo"
name = "Contacts"
allowed_origins = ["https://app.example.com"]
schema = "{schema}"
{destinations}
"#,
            retries = retries(&["1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s"]),
            data = database("sluice_data"),
            keys = database("sluice_keys"),
            endpoint = s3.endpoint,
            schema = support::schema_path().display(),
        );
        let master = base64::engine::general_purpose::STANDARD.encode(rand_bytes::<32>());
        let env = vec![
            ("SLUICE_MASTER_KEY", master),
            ("TEST_DB_PASSWORD", pg.password.clone()),
            ("AWS_ACCESS_KEY_ID", KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", KEY_SECRET.to_owned()),
        ];
        Stack { pg, s3, config, env }
    }

    /// A new instance on the stack, in a folder of its own.
    fn instance(&self) -> Server {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Server::with_env(&self.config, &env)
    }

    fn data(&self, sql: &str) -> String {
        self.pg.psql_in("sluice_data", sql)
    }

    fn keys(&self, sql: &str) -> String {
        self.pg.psql_in("sluice_keys", sql)
    }

    /// The object names under the store's prefix.
    fn objects(&self) -> Vec<String> {
        let target = S3Target::new(&BucketConfig {
            endpoint: &self.s3.endpoint,
            bucket: BUCKET,
            region: "us-east-1",
            path_style: true,
            access_key_id: KEY_ID,
            secret_access_key: KEY_SECRET,
            timeout: Duration::from_secs(30),
            allow_private_network: true,
        })
        .unwrap();
        let (mut names, mut next) = (Vec::new(), None);
        loop {
            let page = target.list(&format!("{PREFIX}/"), next.as_deref()).unwrap();
            names.extend(page.keys);
            match page.next {
                Some(token) => next = Some(token),
                None => return names,
            }
        }
    }
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new().fill(&mut bytes).unwrap();
    bytes
}

/// The instances' URLs as the load balancer sees them: `None` while an instance is down.
type Rotation = Arc<Mutex<[Option<String>; 2]>>;

/// The URL batch `n` goes to: the instances alternate; a down one is passed over.
fn pick(rotation: &Rotation, n: usize) -> String {
    let urls = rotation.lock().unwrap();
    urls[n % 2].clone().or_else(|| urls[(n + 1) % 2].clone()).expect("an instance is up")
}

/// Sends one sealed batch to the instance whose turn it is, and to the other one when that one
/// is down or dies under it (a load balancer's retry): what was acknowledged is stored.
fn send(rotation: &Rotation, upload: &Upload<'_>, n: usize, batch: &[u8]) {
    let (sequence, first_row, rows, body) = upload.seal(batch).unwrap();
    for attempt in 0..20 {
        let client = Client::new(&pick(rotation, n + attempt), "demo").unwrap();
        let resumed = upload.resumable().resume(&client);
        match client.put_raw(&resumed.import_id, &resumed.token, sequence, first_row, rows, &body) {
            Ok(answer) if answer.status == 200 || answer.status == 201 => return,
            Ok(answer) => {
                panic!("batch {sequence}: {} {}", answer.status, String::from_utf8_lossy(&answer.body))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    panic!("batch {sequence} of {} was never acknowledged", upload.import_id);
}

/// One import: started on one instance, its batches alternating, half of them sent before
/// `halfway`, completed on the other instance. Returns its id.
fn one_import(rotation: &Rotation, i: usize, file: &[u8], halfway: &Barrier, resumed: &Barrier) -> String {
    let client = Client::new(&pick(rotation, i), "demo").unwrap();
    let info = FileInfo::named("people.csv", file.len() as u64);
    let upload = client.start(&info, Default::default(), Default::default()).unwrap();
    let all = batches(file, BATCH_ROWS, false);
    for (n, batch) in all.iter().enumerate() {
        if n == all.len() / 2 {
            halfway.wait();
            resumed.wait();
        }
        send(rotation, &upload, i + n, batch);
    }
    let other = Client::new(&pick(rotation, i + 1), "demo").unwrap();
    let done = upload.resumable().resume(&other).complete(all.len() as u64, ROWS).unwrap();
    assert_eq!(done.rows, ROWS);
    upload.import_id.clone()
}

#[test]
fn two_instances_share_one_database_and_bucket_through_crashes_and_lose_nothing() {
    let receiver = Receiver::start(Behaviour { delay: Duration::from_millis(30), ..Behaviour::default() });
    let stack = Stack::start(&webhook(&receiver.url, "chunk_rows = 100"));
    let mut a = stack.instance();
    let mut b = stack.instance();
    let mut logs = String::new();
    let rotation: Rotation = Arc::new(Mutex::new([Some(a.url.clone()), Some(b.url.clone())]));

    // 20 imports at once, each row's last name a canary.
    let marks: Vec<Vec<String>> = (0..IMPORTS).map(|_| canaries(ROWS as usize)).collect();
    let files: Vec<Vec<u8>> = marks.iter().map(|m| csv(ROWS, |n| m[n as usize - 1].clone())).collect();
    let (halfway, resumed) = (Arc::new(Barrier::new(IMPORTS + 1)), Arc::new(Barrier::new(IMPORTS + 1)));
    let threads: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let (rotation, file) = (Arc::clone(&rotation), file.clone());
            let (halfway, resumed) = (Arc::clone(&halfway), Arc::clone(&resumed));
            std::thread::spawn(move || one_import(&rotation, i, &file, &halfway, &resumed))
        })
        .collect();
    // Mid-import: instance A dies with batches in flight; the imports go on through B, and A
    // comes back on the same database and bucket for their second halves.
    halfway.wait();
    resumed.wait();
    std::thread::sleep(Duration::from_millis(150));
    rotation.lock().unwrap()[0] = None;
    logs.push_str(&a.stderr());
    drop(a.kill9());
    std::thread::sleep(Duration::from_millis(500));
    a = stack.instance();
    rotation.lock().unwrap()[0] = Some(a.url.clone());
    let ids: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();

    // Every acknowledged batch stored exactly once, with its object.
    let batches_per_import = ROWS.div_ceil(u64::from(BATCH_ROWS));
    let stored =
        stack.data("SELECT count(*), count(DISTINCT (import_id, sequence)), count(object) FROM batches");
    let expected = IMPORTS as u64 * batches_per_import;
    assert_eq!(stored.trim(), format!("{expected}|{expected}|{expected}"));
    let rows = stack.data("SELECT sum(rows) FROM imports WHERE status = 'complete'");
    assert_eq!(rows.trim(), (IMPORTS as u64 * ROWS).to_string());
    let objects = stack.objects();
    let named: BTreeSet<String> =
        stack.data("SELECT object FROM batches").lines().map(|o| format!("{PREFIX}/{o}")).collect();
    assert!(named.iter().all(|o| objects.contains(o)), "every stored batch's object is in the bucket");

    // Mid-delivery: B dies while messages are going out; A takes its leases over once they run
    // out, and B comes back later.
    let messages = IMPORTS * (ROWS as usize / 100 + 1);
    let start = Instant::now();
    while receiver.delivered().len() < messages / 4 {
        assert!(start.elapsed() < Duration::from_secs(60), "delivery did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    logs.push_str(&b.stderr());
    drop(b.kill9());
    std::thread::sleep(Duration::from_secs(2));
    b = stack.instance();
    let delivered = receiver.wait_for(messages, Duration::from_secs(120));
    assert_eq!(delivered.len(), messages);

    // One stable id per message: every 2xx of one id carried the same body.
    let mut bodies: HashMap<String, Vec<u8>> = HashMap::new();
    for r in receiver.all().into_iter().filter(|r| (200..300).contains(&r.status)) {
        assert!(r.verified, "{} is signed", r.id);
        let first = bodies.entry(r.id.clone()).or_insert_with(|| r.digest.clone());
        assert_eq!(*first, r.digest, "message {} was sent again with another body", r.id);
    }
    // Every row of every import arrived.
    let mut arrived: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &delivered {
        if r.body["type"] == "import.rows" {
            let import = r.body["data"]["importId"].as_str().unwrap().to_owned();
            for row in r.body["data"]["rows"].as_array().unwrap() {
                arrived.entry(import.clone()).or_default().insert(row["data"]["last_name"].to_string());
            }
        }
    }
    for (id, mark) in ids.iter().zip(&marks) {
        assert_eq!(arrived.get(id).map_or(0, BTreeSet::len), mark.len(), "every row of {id} arrived");
    }

    // Deleting the imports leaves no key, no batch and no object.
    for id in &ids {
        let (status, _) = a.admin("DELETE", &format!("/v1/admin/imports/{id}"), Some(ADMIN_TOKEN));
        assert_eq!(status, 200);
    }
    assert_eq!(stack.keys("SELECT count(*) FROM keys").trim(), "0");
    assert_eq!(stack.data("SELECT count(*) FROM batches").trim(), "0");
    assert_eq!(stack.objects(), Vec::<String>::new());

    logs.push_str(&a.stderr());
    logs.push_str(&b.stderr());
    assert!(logs.contains("this instance's id"), "the logs were read");
    assert!(!logs.contains(CANARY_PREFIX), "a cell value reached a log");
    for mark in marks.iter().flatten().step_by(97) {
        assert!(!logs.contains(mark.as_str()));
    }
}

#[test]
fn an_importer_made_in_one_instances_dashboard_is_served_by_the_other() {
    let stack = Stack::start("");
    // check-config reaches both databases and the bucket, and prints no password.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.toml"), &stack.config).unwrap();
    let checked = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check-config", "--connect", "sluice.toml"])
        .current_dir(dir.path())
        .envs(stack.env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let printed =
        String::from_utf8_lossy(&checked.stdout).into_owned() + &String::from_utf8_lossy(&checked.stderr);
    assert!(checked.status.success(), "{printed}");
    assert!(
        printed.contains("data: PostgreSQL") && printed.contains("a probe object written and deleted"),
        "{printed}"
    );
    assert!(!printed.contains(&stack.pg.password) && !printed.contains(KEY_SECRET), "{printed}");

    let (a, b) = (stack.instance(), stack.instance());
    let schema: serde_json::Value = serde_json::from_str(&support::schema().to_json()).unwrap();
    let document = serde_json::json!({
        "key": "leads",
        "name": "Leads",
        "allowed_origins": ["https://app.example.com"],
        "schema": schema,
        "destinations": [],
    });
    let importer = serde_json::json!({ "document": document });
    let (status, answer) = a.admin_with("POST", "/v1/admin/importers", &importer);
    assert_eq!(status, 201, "{answer}");
    let start = Instant::now();
    loop {
        let config = Client::new(&b.url, "leads").unwrap().config();
        if config.is_ok() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "B never served the importer A made");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, _) = a.admin("POST", "/v1/admin/importers/leads/disable", Some(ADMIN_TOKEN));
    assert_eq!(status, 200);
    let start = Instant::now();
    loop {
        let client = Client::new(&b.url, "leads").unwrap();
        let started = client.start(&FileInfo::named("leads.csv", 10), Default::default(), Default::default());
        match started {
            Err(e) if e.code() == Some("importer_disabled") => break,
            _ => assert!(
                start.elapsed() < Duration::from_secs(15),
                "B still starts imports of a disabled importer"
            ),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
