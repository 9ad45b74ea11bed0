//! Kill -9 the writer, twenty times, and prove nothing acknowledged is lost and nothing partial
//! is visible.
//!
//! The parent test re-invokes this very test binary (`current_exe`) to run only `crash_child`,
//! with an environment variable naming the data directory. The child opens the sled store and
//! appends batches of 1–4 events from four concurrent tasks (so group commits hold several
//! requests, and some events are large enough to push sled into its blob files), printing one
//! `ACK` line per acknowledged append. The parent kills it with SIGKILL at a random moment —
//! sometimes before it has even finished opening — then reopens the store in-process, which
//! runs the invariant check, and checks that:
//!
//! - `audit::verify` finds the hash chain, the sequence and the indexes intact;
//! - every acknowledged append is present, at the seqs and versions it was acknowledged with;
//! - every batch is either wholly present or wholly absent.
//!
//! Run alone with `cargo test --test crash_safety`. A killed process is what this proves; a
//! power cut is a different failure (the page cache dies too) that no test here can simulate.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::json;
use sfjira::audit::verify::verify;
use sfjira::events::store::{
    EventData, EventStore, ExpectedVersion, SledEventStore, SledStoreOptions, StreamId,
};
use uuid::Uuid;

const CHILD_ENV: &str = "SFJIRA_CRASH_CHILD_DIR";
const ROUNDS: usize = 20;
const WRITERS: u64 = 4;

/// One acknowledged append, as the child reported it.
#[derive(Debug, Clone)]
struct Ack {
    stream: String,
    first_seq: u64,
    last_seq: u64,
    version: u64,
    ids: Vec<Uuid>,
}

fn parse_ack(line: &str) -> Option<Ack> {
    let mut parts = line.strip_prefix("ACK ")?.split(' ');
    let stream = parts.next()?.to_owned();
    let first_seq = parts.next()?.parse().ok()?;
    let last_seq = parts.next()?.parse().ok()?;
    let version = parts.next()?.parse().ok()?;
    let ids = parts
        .next()?
        .split(',')
        .map(Uuid::parse_str)
        .collect::<Result<_, _>>()
        .ok()?;
    Some(Ack {
        stream,
        first_seq,
        last_seq,
        version,
        ids,
    })
}

/// Child mode: does nothing unless the parent set `CHILD_ENV`.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let store = SledEventStore::open(&dir, SledStoreOptions::default()).expect("child open");
        let store: Arc<dyn EventStore> = Arc::new(store);
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let stream = StreamId::parse(format!("crash-{w}")).expect("valid");
                let mut version = store.stream_version(&stream).await.expect("version");
                let mut n = 0u64;
                loop {
                    let size = 1 + (n % 4) as usize;
                    let batch: Vec<EventData> = (0..size)
                        .map(|i| {
                            let pad = if (n + i as u64) % 10 == 0 { 20_000 } else { 16 };
                            EventData::new(
                                "test.crash",
                                json!({ "w": w, "n": n, "i": i, "of": size, "pad": "p".repeat(pad) }),
                            )
                        })
                        .collect();
                    let ids: Vec<String> = batch.iter().map(|e| e.event_id.to_string()).collect();
                    let expected = match version {
                        None => ExpectedVersion::NoStream,
                        Some(v) => ExpectedVersion::Exact(v),
                    };
                    let out = store.append(&stream, expected, batch).await.expect("append");
                    version = Some(out.version);
                    println!(
                        "ACK {stream} {} {} {} {}",
                        out.first_seq,
                        out.last_seq,
                        out.version,
                        ids.join(",")
                    );
                    n += 1;
                }
            }));
        }
        for t in tasks {
            t.await.expect("writer task");
        }
    });
}

#[test]
fn killed_writer_loses_nothing_acknowledged() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("test binary path");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut rng = rand::thread_rng();
    let mut acked: Vec<Ack> = Vec::new();
    let mut kills_before_first_ack = 0;

    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            // Only complete lines count: a line cut by the kill was never acknowledged to us.
            while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                if line.ends_with(b"\n") {
                    let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                    if tx.send(text).is_err() {
                        break;
                    }
                }
                line.clear();
            }
        });

        // A quarter of the kills land early (while opening or on the first commits); the rest
        // after the child has been appending for a random while.
        if rng.gen_bool(0.25) {
            std::thread::sleep(Duration::from_millis(rng.gen_range(0..60)));
        } else {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut first = None;
            while first.is_none() && Instant::now() < deadline {
                if let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
                    first = parse_ack(&line);
                    acked.extend(first.clone());
                }
            }
            assert!(
                first.is_some(),
                "round {round}: the child never acknowledged an append"
            );
            std::thread::sleep(Duration::from_millis(rng.gen_range(0..250)));
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap child");
        reader.join().expect("reader thread");
        let before = acked.len();
        acked.extend(rx.try_iter().filter_map(|l| parse_ack(&l)));
        if acked.len() == before {
            kills_before_first_ack += 1;
        }

        runtime.block_on(check_after_crash(dir.path(), &acked, round));
    }
    eprintln!(
        "crash safety: {ROUNDS} kills ({kills_before_first_ack} with nothing new acknowledged), \
         {} acknowledged appends checked, {:.1} s",
        acked.len(),
        started.elapsed().as_secs_f64()
    );
}

/// Reopens the store (running the invariant check) and checks everything acknowledged so far.
async fn check_after_crash(dir: &std::path::Path, acked: &[Ack], round: usize) {
    let store = SledEventStore::open(dir, SledStoreOptions::default())
        .unwrap_or_else(|e| panic!("round {round}: reopen after kill failed: {e}"));
    let report = verify(&store).await.expect("verify runs");
    assert!(
        report.is_ok(),
        "round {round}: verify found {:?}",
        report.first_broken
    );

    let all = store.read_all(0, usize::MAX).await.expect("read all");
    assert_eq!(all.len() as u64, store.head());
    let by_seq: HashMap<u64, _> = all.iter().map(|e| (e.seq, e)).collect();

    for ack in acked {
        for (i, id) in ack.ids.iter().enumerate() {
            let seq = ack.first_seq + i as u64;
            let event = by_seq
                .get(&seq)
                .unwrap_or_else(|| panic!("round {round}: acknowledged seq {seq} is missing"));
            assert_eq!(
                event.event_id, *id,
                "round {round}: seq {seq} holds another event"
            );
            assert_eq!(event.stream.as_str(), ack.stream);
            assert_eq!(event.version, ack.version - (ack.ids.len() - 1 - i) as u64);
        }
        assert_eq!(ack.last_seq, ack.first_seq + ack.ids.len() as u64 - 1);
    }

    // No partial batch: group each stream's events by batch and demand complete batches.
    let mut batches: BTreeMap<(String, u64), Vec<u64>> = BTreeMap::new();
    for e in &all {
        let n = e.payload["n"].as_u64().expect("n");
        let i = e.payload["i"].as_u64().expect("i");
        let of = e.payload["of"].as_u64().expect("of");
        let entry = batches
            .entry((e.stream.to_string(), e.seq - i))
            .or_default();
        entry.push(i);
        assert!(
            i < of,
            "round {round}: event {} of batch {n} is out of range",
            e.seq
        );
    }
    for ((stream, first), members) in &batches {
        let of = by_seq[first].payload["of"].as_u64().expect("of");
        assert_eq!(
            members.len() as u64,
            of,
            "round {round}: partial batch in {stream} at seq {first}"
        );
    }
    store.close().await.expect("close");
}
