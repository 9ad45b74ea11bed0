//! The SQLite baseline: the same envelopes, hashes and checks as the sled store, in one table
//! with unique indexes, behind a writer thread that commits one append or a group per transaction.

use super::*;

/// One append for the SQLite writer thread.
pub(crate) struct SqlAppend {
    pub(crate) stream: String,
    pub(crate) expected: Option<u64>,
    pub(crate) events: Vec<EventData>,
    pub(crate) reply: oneshot::Sender<Result<u64, String>>,
}

/// The SQLite log: the same envelopes as the sled store, one table plus unique indexes.
pub(crate) struct SqliteLog {
    pub(crate) conn: Connection,
    pub(crate) head: u64,
    pub(crate) last_hash: [u8; 32],
}

impl SqliteLog {
    pub(crate) fn open(path: &std::path::Path) -> Self {
        let conn = Connection::open(path).expect("open sqlite");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        conn.pragma_update(None, "synchronous", "FULL")
            .expect("synchronous");
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS events (
                 seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL,
                 event_id BLOB NOT NULL UNIQUE, record BLOB NOT NULL, UNIQUE (stream, version));
             CREATE TABLE IF NOT EXISTS view (key BLOB PRIMARY KEY, value BLOB NOT NULL);",
        )
        .expect("schema");
        let last: Option<(u64, Vec<u8>)> = conn
            .query_row(
                "SELECT seq, record FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .expect("tip");
        let (head, last_hash) = match last {
            Some((seq, record)) => (seq, RawEvent::decode(&record).expect("decode").hash),
            None => (0, ZERO_HASH),
        };
        Self {
            conn,
            head,
            last_hash,
        }
    }

    /// Writes `batch` in one transaction; answers each request after the commit.
    pub(crate) fn commit(&mut self, batch: Vec<SqlAppend>) {
        let tx = self.conn.transaction().expect("begin");
        let mut head = self.head;
        let mut last_hash = self.last_hash;
        let now = chrono::Utc::now().timestamp_micros();
        let mut replies = Vec::with_capacity(batch.len());
        {
            let mut version_of = tx
                .prepare_cached("SELECT max(version) FROM events WHERE stream = ?1")
                .expect("prepare");
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (seq, stream, version, event_id, record)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .expect("prepare");
            for req in batch {
                let actual: Option<u64> = version_of
                    .query_row([&req.stream], |r| r.get(0))
                    .expect("version");
                let base = actual.unwrap_or(0);
                if req.expected.is_some_and(|e| e != base) {
                    replies.push((req.reply, Err("conflict".to_owned())));
                    continue;
                }
                let stream = StreamId::parse(req.stream.clone()).expect("valid");
                for (i, e) in req.events.iter().enumerate() {
                    let mut raw = RawEvent {
                        seq: head + 1,
                        stream: stream.clone(),
                        version: base + 1 + i as u64,
                        event_id: e.event_id,
                        event_type: e.event_type.clone(),
                        schema_version: e.schema_version,
                        recorded_at_micros: now,
                        causation_id: e.causation_id,
                        correlation_id: e.correlation_id,
                        payload: serde_json::to_vec(&e.payload).expect("json"),
                        prev_hash: last_hash,
                        hash: [0; 32],
                    };
                    raw.hash = raw.compute_hash();
                    insert
                        .execute(params![
                            raw.seq,
                            req.stream,
                            raw.version,
                            e.event_id.as_bytes().as_slice(),
                            raw.encode()
                        ])
                        .expect("insert");
                    head += 1;
                    last_hash = raw.hash;
                }
                replies.push((req.reply, Ok(base + req.events.len() as u64)));
            }
        }
        tx.commit().expect("commit");
        self.head = head;
        self.last_hash = last_hash;
        for (reply, result) in replies {
            let _ = reply.send(result);
        }
    }

    pub(crate) fn read_all(&self, after: u64, limit: usize) -> Vec<RecordedEvent> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT record FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .expect("prepare");
        let rows = stmt
            .query_map(params![after, limit as u64], |r| r.get::<_, Vec<u8>>(0))
            .expect("query");
        rows.map(|r| decode(&r.expect("row"))).collect()
    }

    pub(crate) fn read_stream(&self, stream: &str) -> Vec<RecordedEvent> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT record FROM events WHERE stream = ?1 ORDER BY version")
            .expect("prepare");
        let rows = stmt
            .query_map([stream], |r| r.get::<_, Vec<u8>>(0))
            .expect("query");
        rows.map(|r| decode(&r.expect("row"))).collect()
    }
}

pub(crate) fn decode(record: &[u8]) -> RecordedEvent {
    RawEvent::decode(record)
        .expect("decode")
        .to_recorded()
        .expect("recorded")
}

/// A SQLite log behind a writer thread; `max_group` 1 means one transaction per append.
#[derive(Clone)]
pub(crate) struct SqliteWriter {
    pub(crate) tx: mpsc::Sender<SqlAppend>,
}

impl SqliteWriter {
    pub(crate) fn start(path: &std::path::Path, max_group: usize) -> Self {
        let mut log = SqliteLog::open(path);
        let (tx, rx) = mpsc::channel::<SqlAppend>();
        std::thread::spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while batch.len() < max_group {
                    match rx.try_recv() {
                        Ok(req) => batch.push(req),
                        Err(_) => break,
                    }
                }
                log.commit(batch);
            }
        });
        Self { tx }
    }

    pub(crate) async fn append(
        &self,
        stream: String,
        expected: Option<u64>,
        events: Vec<EventData>,
    ) -> u64 {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(SqlAppend {
                stream,
                expected,
                events,
                reply,
            })
            .expect("writer alive");
        rx.await.expect("reply").expect("append")
    }
}

// ---- criterion: appends -----------------------------------------------------------------------
