//! The emulated wall clock: real time by default, or frozen and moved by the control API.
//!
//! Salesforce timestamps (`CreatedDate`, `SystemModstamp`) and Jira's `created`/`updated` come
//! from this clock, so a test can freeze time, make a change, advance five minutes, and know
//! exactly which window an incremental query should see. Both APIs report milliseconds, so
//! `now()` is truncated to the millisecond.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use parking_lot::Mutex;
use serde::Serialize;

/// How the clock currently runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Real time plus an offset (moved by `advance`).
    Real { offset: Duration },
    /// Stopped at an instant until set or advanced again.
    Frozen(DateTime<Utc>),
}

/// A cloneable handle to one shared clock.
#[derive(Debug, Clone)]
pub struct Clock(Arc<Mutex<Mode>>);

impl Default for Clock {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Mode::Real {
            offset: Duration::zero(),
        })))
    }
}

/// The clock as the control API reports it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClockState {
    /// `real` or `frozen`.
    pub mode: &'static str,
    /// The emulated current time.
    pub now: DateTime<Utc>,
    /// Offset from real time in milliseconds (0 when frozen).
    pub offset_millis: i64,
}

impl Clock {
    /// The emulated current time, truncated to milliseconds.
    pub fn now(&self) -> DateTime<Utc> {
        let t = match *self.0.lock() {
            Mode::Real { offset } => Utc::now() + offset,
            Mode::Frozen(at) => at,
        };
        t.duration_trunc(Duration::milliseconds(1)).unwrap_or(t)
    }

    /// Freezes the clock at `at`.
    pub fn freeze_at(&self, at: DateTime<Utc>) {
        *self.0.lock() = Mode::Frozen(at);
    }

    /// Lets the clock run in real time again, starting from `at`.
    pub fn run_from(&self, at: DateTime<Utc>) {
        *self.0.lock() = Mode::Real {
            offset: at - Utc::now(),
        };
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut mode = self.0.lock();
        *mode = match *mode {
            Mode::Real { offset } => Mode::Real {
                offset: offset + by,
            },
            Mode::Frozen(at) => Mode::Frozen(at + by),
        };
    }

    /// Back to plain real time.
    pub fn reset(&self) {
        *self.0.lock() = Mode::Real {
            offset: Duration::zero(),
        };
    }

    /// The state for `GET /__emulator/clock`.
    pub fn state(&self) -> ClockState {
        let mode = *self.0.lock();
        ClockState {
            mode: match mode {
                Mode::Real { .. } => "real",
                Mode::Frozen(_) => "frozen",
            },
            now: self.now(),
            offset_millis: match mode {
                Mode::Real { offset } => offset.num_milliseconds(),
                Mode::Frozen(_) => 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let clock = Clock::default();
        let t0 = DateTime::parse_from_rfc3339("2024-01-02T03:04:05.678Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("valid literal");
        clock.freeze_at(t0);
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::minutes(5));
        assert_eq!(clock.now(), t0 + Duration::minutes(5));
        assert_eq!(clock.state().mode, "frozen");
    }

    #[test]
    fn real_clock_with_offset_runs_ahead() {
        let clock = Clock::default();
        clock.advance(Duration::hours(1));
        let ahead = clock.now() - Utc::now();
        assert!(ahead > Duration::minutes(59) && ahead <= Duration::hours(1));
    }
}
