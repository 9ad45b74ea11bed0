//! A background thread running its own actix System, where long-lived actors and tasks live,
//! and a pool of worker threads (arbiters of that System) where link actors live.
//!
//! Link actors, the scheduler and projection runners must outlive any one HTTP worker and must
//! not block HTTP workers with sled I/O; giving them their own threads and event loops does
//! both, and works the same under `sfjira serve`, the demo, and any test harness. The scheduler,
//! the projection runners and the webhook inbox run on the main thread; link actors are spread
//! over the workers by a stable hash of their link id ([`placement`]), so a back-fill's work
//! (JSON, HTTP, appends) uses every core while one link always lands on the same thread.

use std::future::Future;
use std::sync::mpsc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

/// A thread with its own actix System, and the System's worker arbiters.
pub struct BackgroundRuntime {
    name: String,
    arbiter: actix::ArbiterHandle,
    workers: Vec<actix::ArbiterHandle>,
    system: actix::System,
    threads: Mutex<Option<(JoinHandle<()>, Vec<actix::Arbiter>)>>,
}

/// What the System thread hands back once it runs.
type Started = (
    actix::System,
    actix::ArbiterHandle,
    std::io::Result<Vec<actix::Arbiter>>,
);

impl BackgroundRuntime {
    /// Starts the thread with one worker and waits until its System runs.
    pub fn start(name: &str) -> std::io::Result<Self> {
        Self::with_workers(name, 1)
    }

    /// Starts the thread and `workers` (at least one) worker arbiters, and waits until they run.
    pub fn with_workers(name: &str, workers: usize) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Started>();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let system = actix::System::new();
                system.block_on(async move {
                    let pool = (0..workers.max(1))
                        .map(|_| actix::Arbiter::try_new())
                        .collect::<std::io::Result<Vec<_>>>();
                    let _ = tx.send((actix::System::current(), actix::Arbiter::current(), pool));
                });
                let _ = system.run();
            })?;
        let (system, arbiter, pool) = rx
            .recv()
            .map_err(|_| std::io::Error::other("background runtime did not start"))?;
        let pool = match pool {
            Ok(pool) => pool,
            Err(error) => {
                system.stop();
                let _ = thread.join();
                return Err(error);
            }
        };
        Ok(Self {
            name: name.to_string(),
            arbiter,
            workers: pool.iter().map(actix::Arbiter::handle).collect(),
            system,
            threads: Mutex::new(Some((thread, pool))),
        })
    }

    /// Where to start long-lived actors: `Actor::start_in_arbiter(runtime.arbiter(), …)`.
    pub fn arbiter(&self) -> &actix::ArbiterHandle {
        &self.arbiter
    }

    /// How many worker arbiters link actors are spread over.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// The worker arbiter for `key` (always the same one for the same key): see [`placement`].
    pub fn worker_for(&self, key: &[u8]) -> &actix::ArbiterHandle {
        &self.workers[placement(key, self.workers.len())]
    }

    /// Runs a future on this runtime's main thread.
    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        if !self.arbiter.spawn(future) {
            tracing::error!(runtime = %self.name, "runtime stopped; task not started");
        }
    }

    /// Stops the System (which stops its workers) and joins every thread.
    pub fn stop(&self) {
        self.system.stop();
        if let Some((thread, pool)) = self.threads.lock().take() {
            let _ = thread.join();
            for worker in pool {
                worker.stop();
                let _ = worker.join();
            }
        }
    }
}

impl Drop for BackgroundRuntime {
    fn drop(&mut self) {
        self.system.stop();
    }
}

/// Which of `slots` (at least one) a key goes to: FNV-1a of its bytes, so the choice depends on
/// the key alone — the same in every process and on every call — and spreads uniformly.
pub fn placement(key: &[u8], slots: usize) -> usize {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = key
        .iter()
        .fold(OFFSET, |h, b| (h ^ u64::from(*b)).wrapping_mul(PRIME));
    (hash % slots.max(1) as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_is_stable_in_range_and_spreads() {
        let keys: Vec<[u8; 16]> = (0u128..1000)
            .map(|i| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, &i.to_le_bytes()).into_bytes())
            .collect();
        let mut counts = [0usize; 4];
        for key in &keys {
            let slot = placement(key, 4);
            assert_eq!(slot, placement(key, 4), "same key, same slot");
            counts[slot] += 1;
        }
        for count in counts {
            assert!((150..=350).contains(&count), "uneven spread: {counts:?}");
        }
        assert!(keys.iter().all(|k| placement(k, 1) == 0));
        assert_eq!(placement(b"anything", 0), 0, "no slots is treated as one");
    }

    #[test]
    fn workers_are_threads_of_their_own() {
        let runtime = BackgroundRuntime::with_workers("placement-test", 3).expect("start");
        assert_eq!(runtime.workers(), 3);
        let (tx, rx) = mpsc::channel();
        for i in 0..3 {
            let tx = tx.clone();
            assert!(runtime.workers[i].spawn(async move {
                let _ = tx.send(std::thread::current().id());
            }));
        }
        let ids: std::collections::HashSet<_> = (0..3).map(|_| rx.recv().expect("ran")).collect();
        assert_eq!(ids.len(), 3);
        assert!(!ids.contains(&std::thread::current().id()));
        runtime.stop();
    }
}
