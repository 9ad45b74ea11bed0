//! What both emulators share: a controllable clock, fault injection, a request log, and the
//! plumbing to serve an actix-web app on loopback over HTTP or self-signed HTTPS.
//!
//! Tests need the remote systems to misbehave on cue (a 503 in the middle of a run, a dropped
//! connection, a slow answer) and to tell exactly which calls were made; both emulators get that
//! from this module in the same shape, under `/__emulator/`.

pub mod clock;
pub mod control;
pub mod faults;
pub mod intercept;
pub mod requests;
pub mod server;
pub mod tls;

pub use clock::Clock;
pub use faults::{FaultAction, FaultSpec, Faults};
pub use intercept::intercept;
pub use requests::RequestLog;
pub use server::{BoundListener, RunningServer, ServerOptions};

/// The shared control state an emulator app carries as `web::Data<Common>`.
#[derive(Clone, Default)]
pub struct Common {
    /// The emulated wall clock.
    pub clock: Clock,
    /// Faults armed through the control API.
    pub faults: Faults,
    /// Every request served outside `/__emulator/`.
    pub requests: RequestLog,
}

/// Path prefix of the control API; requests under it are never counted nor faulted.
pub const CONTROL_PREFIX: &str = "/__emulator/";

/// Which data an emulator starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Seed {
    /// A realistic demo org or site (see `docs/emulators.md`).
    #[default]
    Demo,
    /// Only what is needed to connect: credentials, no business data.
    Empty,
}

impl std::str::FromStr for Seed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "demo" => Ok(Self::Demo),
            "empty" => Ok(Self::Empty),
            other => Err(format!("unknown seed {other:?}: expected demo or empty")),
        }
    }
}
