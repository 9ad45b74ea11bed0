//! The load run: a log of a million events, then the open-time invariant check, a full
//! `verify` and a projection rebuild on each store, printed as figures rather than sampled.

use super::*;

pub(crate) const REBUILD_STREAMS: u64 = 10_000;
pub(crate) const REBUILD_PAGE: usize = 1000;

/// The projection: per stream, its version, last type and event count; one row per stream
/// touched in a page, written together with the checkpoint.
pub(crate) fn fold_page(page: &[RecordedEvent]) -> Vec<ViewWrite> {
    let mut rows: std::collections::HashMap<&str, (u64, &str, u64, &str)> = Default::default();
    for e in page {
        let row = rows.entry(e.stream.as_str()).or_insert((0, "", 0, ""));
        // Read the payload as a real projection would.
        let status = e.payload.get("to").and_then(|v| v.as_str()).unwrap_or("");
        *row = (e.version, e.event_type.as_str(), row.2 + 1, status);
    }
    rows.into_iter()
        .map(|(k, (version, kind, count, status))| {
            let value =
                json!({ "version": version, "last": kind, "count": count, "status": status });
            (k.as_bytes().to_vec(), Some(value.to_string().into_bytes()))
        })
        .collect()
}

/// Appends `per_stream / batch` rounds of `batch` events to each of the streams, eight appends
/// in flight (group commit at work); `append(stream, expected version, events)` writes one.
fn fill<F, Fut>(rt: &Runtime, per_stream: u64, batch: u64, append: F)
where
    F: Fn(u64, u64, Vec<EventData>) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    rt.block_on(async {
        let next = Arc::new(AtomicU64::new(0));
        let rounds = per_stream / batch;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let append = append.clone();
                let next = next.clone();
                tokio::spawn(async move {
                    loop {
                        let job = next.fetch_add(1, Ordering::Relaxed);
                        if job >= rounds * REBUILD_STREAMS {
                            break;
                        }
                        let (round, s) = (job / REBUILD_STREAMS, job % REBUILD_STREAMS);
                        let events = (0..batch).map(|i| event(round * batch + i)).collect();
                        append(s, round * batch, events).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
}

pub(crate) fn rebuild_load_run(events: u64) {
    if events == 0 {
        return;
    }
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("temp dir");
    let per_stream = events / REBUILD_STREAMS;
    let batch = 100.min(per_stream.max(1));
    println!(
        "\n== load run: {events} events, {REBUILD_STREAMS} streams, pages of {REBUILD_PAGE} =="
    );

    // Fill the sled log: appends of `batch` events, eight in flight (group commit at work).
    let dir = tmp.path().join("rebuild");
    let store = sled_store(&dir, true);
    let started = Instant::now();
    let sled = store.clone();
    fill(&rt, per_stream, batch, move |s, expected, events| {
        let store = sled.clone();
        async move {
            store
                .append(&stream(s), ExpectedVersion::Exact(expected), events)
                .await
                .expect("fill");
        }
    });
    let head = store.head();
    report("sled: durable load", head, started.elapsed());
    rt.block_on(store.close()).expect("close");
    drop(store);

    // Each measurement starts from a freshly opened store, as a rebuild at startup would.
    let started = Instant::now();
    let reopened = SledEventStore::open(&dir, SledStoreOptions::default()).expect("reopen");
    report("sled: open incl. invariant check", head, started.elapsed());
    let store: Arc<dyn EventStore> = Arc::new(reopened);
    let started = Instant::now();
    let checked = rt.block_on(verify(store.as_ref())).expect("verify");
    assert!(checked.is_ok());
    report(
        "sled: audit verify (full hash chain)",
        head,
        started.elapsed(),
    );
    drop(store);
    let mut sled_rebuild = Duration::ZERO;
    for (mib, view) in [
        (64u64, "rebuild:v1"),
        (256, "rebuild:v2"),
        (1024, "rebuild:v3"),
    ] {
        let options = SledStoreOptions {
            cache_capacity: mib * 1024 * 1024,
            ..SledStoreOptions::default()
        };
        let store: Arc<dyn EventStore> =
            Arc::new(SledEventStore::open(&dir, options).expect("reopen"));
        let took = rebuild_sled(&rt, &store, view);
        report(
            &format!("sled: projection rebuild ({mib} MiB cache)"),
            head,
            took,
        );
        if mib == 64 {
            sled_rebuild = took;
        }
    }

    // The same on SQLite: load with group commit (its best case), rebuild into a view table
    // with one transaction per page (synchronous=NORMAL, lazy like the sled view commits).
    let path = tmp.path().join("rebuild.sqlite");
    let sqlite = SqliteWriter::start(&path, 512);
    let started = Instant::now();
    let writer = sqlite.clone();
    fill(&rt, per_stream, batch, move |s, expected, events| {
        let sqlite = writer.clone();
        async move {
            sqlite
                .append(stream(s).to_string(), Some(expected), events)
                .await;
        }
    });
    report(
        "sqlite: durable load (group commit)",
        head,
        started.elapsed(),
    );
    drop(sqlite);

    let mut log = SqliteLog::open(&path);
    log.conn
        .pragma_update(None, "synchronous", "NORMAL")
        .expect("synchronous");
    let started = Instant::now();
    let mut after = 0;
    loop {
        let page = log.read_all(after, REBUILD_PAGE);
        let Some(last) = page.last() else { break };
        after = last.seq;
        let rows = fold_page(&page);
        let tx = log.conn.transaction().expect("begin");
        {
            let mut upsert = tx
                .prepare_cached("INSERT OR REPLACE INTO view (key, value) VALUES (?1, ?2)")
                .expect("prepare");
            for (k, v) in rows {
                upsert.execute(params![k, v]).expect("upsert");
            }
            upsert
                .execute(params![
                    b"\x00checkpoint".to_vec(),
                    after.to_be_bytes().to_vec()
                ])
                .expect("checkpoint");
        }
        tx.commit().expect("commit");
    }
    let sqlite_rebuild = started.elapsed();
    report("sqlite: projection rebuild", head, sqlite_rebuild);
    println!(
        "rebuild ratio (sqlite time / sled time): {:.2}",
        sqlite_rebuild.as_secs_f64() / sled_rebuild.as_secs_f64()
    );
}

/// Folds the whole log into a fresh view, committing rows and checkpoint once per page.
pub(crate) fn rebuild_sled(rt: &Runtime, store: &Arc<dyn EventStore>, view: &str) -> Duration {
    let started = Instant::now();
    rt.block_on(async {
        let view = store.views().open_view(view).expect("view");
        view.clear().expect("clear");
        // As a projection runner would: a subscription from the checkpoint, one commit of rows
        // and checkpoint per batch (pages are read ahead concurrently).
        let head = store.head();
        let mut sub = Subscription::with_page_size(store.clone(), 0, REBUILD_PAGE);
        while sub.position() < head {
            let page = sub.next_batch(REBUILD_PAGE).await.expect("batch");
            view.commit(fold_page(&page), sub.position())
                .expect("commit");
        }
        assert_eq!(view.checkpoint().expect("checkpoint"), head);
    });
    started.elapsed()
}

pub(crate) fn report(what: &str, events: u64, took: Duration) {
    println!(
        "{what:<42} {events:>9} events in {:>7.2} s = {:>9.0} events/s",
        took.as_secs_f64(),
        events as f64 / took.as_secs_f64()
    );
}
