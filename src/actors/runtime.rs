//! A background thread running its own actix System, where long-lived actors and tasks live.
//!
//! Link actors, the scheduler and projection runners must outlive any one HTTP worker and must
//! not block HTTP workers with sled I/O; giving them their own thread and event loop does both,
//! and works the same under `sfjira serve`, the demo, and any test harness.

use std::future::Future;
use std::sync::mpsc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

/// A thread with its own actix System.
pub struct BackgroundRuntime {
    name: String,
    arbiter: actix::ArbiterHandle,
    system: actix::System,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl BackgroundRuntime {
    /// Starts the thread and waits until its System runs.
    pub fn start(name: &str) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let system = actix::System::new();
                system.block_on(async move {
                    let _ = tx.send((actix::System::current(), actix::Arbiter::current()));
                });
                let _ = system.run();
            })?;
        let (system, arbiter) = rx
            .recv()
            .map_err(|_| std::io::Error::other("background runtime did not start"))?;
        Ok(Self {
            name: name.to_string(),
            arbiter,
            system,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Where to start actors: `Actor::start_in_arbiter(runtime.arbiter(), …)`.
    pub fn arbiter(&self) -> &actix::ArbiterHandle {
        &self.arbiter
    }

    /// Runs a future on this runtime.
    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        if !self.arbiter.spawn(future) {
            tracing::error!(runtime = %self.name, "runtime stopped; task not started");
        }
    }

    /// Stops the System and joins the thread.
    pub fn stop(&self) {
        self.system.stop();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BackgroundRuntime {
    fn drop(&mut self) {
        self.system.stop();
    }
}
