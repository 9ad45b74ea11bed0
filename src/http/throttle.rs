//! Throttling of failed credentials per client address: wrong admin tokens on the sign-in page
//! and wrong bearer tokens on `/api`.
//!
//! A 32-character token cannot be guessed, but an endless stream of guesses still costs CPU,
//! fills logs and hides real traffic, so an address that keeps failing is answered
//! `429 Too Many Requests` with `Retry-After` until it may try again. The counting is a GCRA
//! rate limiter per address from the `governor` crate: `http.auth_failures_allowed` failures
//! pass at once (the burst) and one more is allowed every `auth_failure_window_secs /
//! auth_failures_allowed` seconds. Once an address is over, *every* credential it presents is
//! refused until the wait ends, the right one included, so a guess never learns whether it was
//! right. Successful requests cost nothing. The address is the TCP peer: behind a reverse proxy
//! every client shares the proxy's address (see the admin guide).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parking_lot::Mutex;

/// At most this many locked-out addresses are remembered; expired ones are dropped first.
const MAX_LOCKED: usize = 10_000;

/// Failed-credential accounting for one application.
pub struct AuthThrottle {
    failures: DefaultKeyedRateLimiter<IpAddr>,
    locked: Mutex<HashMap<IpAddr, Instant>>,
    clock: DefaultClock,
}

impl std::fmt::Debug for AuthThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthThrottle")
            .field("locked", &self.locked.lock().len())
            .finish()
    }
}

impl AuthThrottle {
    /// Allows `allowed` failures at once per address, refilled over `window`.
    pub fn new(allowed: u32, window: Duration) -> Self {
        let burst = NonZeroU32::new(allowed).unwrap_or(NonZeroU32::MIN);
        let period = (window / burst.get()).max(Duration::from_millis(1));
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            failures: RateLimiter::keyed(quota),
            locked: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    /// How long `client` must still wait, if it is locked out now.
    pub fn locked_out(&self, client: IpAddr) -> Option<Duration> {
        let mut locked = self.locked.lock();
        let until = *locked.get(&client)?;
        let now = Instant::now();
        if until > now {
            Some(until - now)
        } else {
            locked.remove(&client);
            None
        }
    }

    /// Counts one failure of `client`; returns how long it must wait when this failure was one
    /// too many.
    pub fn failed(&self, client: IpAddr) -> Option<Duration> {
        let not_until = self.failures.check_key(&client).err()?;
        let wait = not_until
            .wait_time_from(self.clock.now())
            .max(Duration::from_secs(1));
        let now = Instant::now();
        let mut locked = self.locked.lock();
        if locked.len() >= MAX_LOCKED {
            locked.retain(|_, until| *until > now);
            self.failures.retain_recent();
        }
        locked.insert(client, now + wait);
        tracing::warn!(%client, wait_secs = wait.as_secs(), "too many failed credentials; throttled");
        Some(wait)
    }
}

/// The address throttling counts by: the TCP peer.
pub fn client_of(req: &actix_web::HttpRequest) -> IpAddr {
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Whole seconds for a `Retry-After` header (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_locked_out_after_its_allowance_and_others_are_not() {
        let throttle = AuthThrottle::new(3, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        for _ in 0..3 {
            assert!(throttle.failed(a).is_none());
            assert!(throttle.locked_out(a).is_none());
        }
        let wait = throttle
            .failed(a)
            .expect("the fourth failure is one too many");
        assert!(wait <= Duration::from_secs(21) && wait >= Duration::from_secs(1));
        assert!(throttle.locked_out(a).is_some());
        assert!(throttle.locked_out(b).is_none());
        assert!(throttle.failed(b).is_none());
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
    }
}
