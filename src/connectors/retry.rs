//! When a failed remote call is worth repeating, and how long to wait before repeating it.
//!
//! Both remote systems fail transiently: a 503 while Salesforce fails over, a row lock held by
//! another transaction, a dropped connection, Jira's 429 burst limit. Retrying those a few times
//! after a short, randomised wait hides most of them from the sync engine; retrying anything
//! else (a validation error, a missing permission, a bad id) only repeats the same refusal and
//! spends API quota. Each client's error type says which kind it is
//! ([`RetryClassified`]); [`run`] does the repeating with [`backon`], waiting as the server asked
//! (`Retry-After`) when it did, and otherwise a "full jitter" delay: a uniformly random wait
//! between zero and an exponentially growing cap, so that many callers failing together do not
//! come back together.
//!
//! A create is different: when its answer is lost (a timeout, a dropped connection, a 5xx from
//! a proxy, a 429 after the request reached the server), the object may exist already, and
//! sending the request again would make a second one. Such calls run with [`Repeat::OnlyUnsent`]:
//! they are repeated only when the failure proves the request never reached the server (the
//! connection could not be opened, the credentials were refused before the call); any other
//! failure goes back to the caller, whose exactly-once intent looks for the object's marker
//! before creating again.

use std::future::Future;
use std::time::Duration;

use backon::Retryable;
use chrono::{DateTime, Utc};
use rand::Rng;

/// How an error answers "is trying again worth it?".
pub trait RetryClassified {
    /// True when the same request may succeed if sent again later (transport failures, 5xx,
    /// row locks, rate limits).
    fn is_retryable(&self) -> bool;

    /// How long the server asked the caller to wait (`Retry-After`), when it did.
    fn retry_after(&self) -> Option<Duration> {
        None
    }

    /// True when the failure proves the request was never processed by the server: the
    /// connection could not be opened, or the call was refused before it was handled (an
    /// invalid session). Only such failures are repeated for a call that is not idempotent.
    fn unsent(&self) -> bool {
        false
    }

    /// This error marked as a create's lost answer: the request left and its outcome is
    /// unknown. Errors that cannot say so stay as they are.
    fn answer_lost(self) -> Self
    where
        Self: Sized,
    {
        self
    }
}

/// The error a call sent under `repeat` ends with: a create (`OnlyUnsent`) that failed in a way
/// that may have left the object made is marked as a lost answer, so the caller looks for it
/// rather than taking the failure for a refusal.
pub fn final_error<E: RetryClassified>(repeat: Repeat, error: E) -> E {
    if repeat == Repeat::OnlyUnsent && error.is_retryable() && !error.unsent() {
        error.answer_lost()
    } else {
        error
    }
}

/// Whether a failed call may be sent again as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Reads and idempotent writes (GET, PUT, PATCH, DELETE, and POSTs that only read): any
    /// retryable failure is repeated.
    Safe,
    /// Creates and other non-idempotent calls: repeated only when the request never reached
    /// the server ([`RetryClassified::unsent`]).
    OnlyUnsent,
}

impl Repeat {
    /// The default for an HTTP method: POST creates, everything else is idempotent.
    pub fn for_method(method: &reqwest::Method) -> Self {
        if method == reqwest::Method::POST {
            Self::OnlyUnsent
        } else {
            Self::Safe
        }
    }

    /// Whether `error` may be retried under this rule.
    pub fn allows<E: RetryClassified>(self, error: &E) -> bool {
        error.is_retryable() && (self == Self::Safe || error.unsent())
    }
}

/// Bounds of the retrying done inside a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included (1 means no retry).
    pub max_attempts: u32,
    /// Cap of the first wait; each later cap doubles.
    pub min_delay: Duration,
    /// Largest cap of a computed wait.
    pub max_delay: Duration,
    /// Largest `Retry-After` honoured inside the client. A server asking for a longer pause gets
    /// its error returned at once, so that the caller slows the whole connector down instead of
    /// one call sleeping for minutes.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, waits capped at 200 ms then 400 ms (never above 2 s), `Retry-After`
    /// honoured up to 30 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The waits between attempts for one call: `max_attempts - 1` full-jitter delays.
    pub fn backoff(&self) -> FullJitterBackoff {
        FullJitterBackoff {
            policy: *self,
            retries_done: 0,
        }
    }

    /// The cap of the wait before retry number `retry` (0-based): `min_delay · 2^retry`, never
    /// above `max_delay`.
    pub fn cap(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX);
        self.min_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// Full-jitter exponential back-off: each wait is uniformly random in `[0, cap]`, where the
/// cap doubles from `min_delay` up to `max_delay`. Ends after `max_attempts - 1` waits.
#[derive(Debug, Clone)]
pub struct FullJitterBackoff {
    policy: RetryPolicy,
    retries_done: u32,
}

impl Iterator for FullJitterBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.retries_done + 1 >= self.policy.max_attempts {
            return None;
        }
        let cap = self.policy.cap(self.retries_done);
        self.retries_done += 1;
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Some(Duration::from_millis(
            rand::thread_rng().gen_range(0..=millis),
        ))
    }
}

/// Whether an HTTP status, on its own, marks a transient failure: 408, 429, and every 5xx but
/// 501 (not implemented) and 505 (version not supported), which do not change on a retry.
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429) || ((500..=599).contains(&status) && !matches!(status, 501 | 505))
}

/// Parses a `Retry-After` value: a number of seconds (fractions tolerated) or an HTTP date,
/// which is turned into the time left from `now` (zero when already past). `None` when the
/// value is neither.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).ok())
            .flatten();
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Reads and parses the `Retry-After` header of a response.
pub fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()))
}

/// What to wait before the next attempt, given the computed back-off (`None` once attempts are
/// used up) and the server's `Retry-After`. A `Retry-After` above the policy's ceiling ends the
/// retrying, so the error reaches the caller, who slows down as a whole.
pub fn next_wait(
    policy: &RetryPolicy,
    computed: Option<Duration>,
    retry_after: Option<Duration>,
) -> Option<Duration> {
    let computed = computed?;
    match retry_after {
        Some(asked) if asked > policy.max_retry_after => None,
        Some(asked) => Some(asked),
        None => Some(computed),
    }
}

/// Runs `attempt` until it succeeds, fails with an error that is not retryable, or the policy's
/// attempts are used up; then returns the last outcome. `what` names the call in logs.
pub async fn run<T, E, F, Fut>(policy: &RetryPolicy, what: &str, attempt: F) -> Result<T, E>
where
    E: RetryClassified + std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    run_as(policy, Repeat::Safe, what, attempt).await
}

/// [`run`], repeating only what `repeat` allows.
pub async fn run_as<T, E, F, Fut>(
    policy: &RetryPolicy,
    repeat: Repeat,
    what: &str,
    attempt: F,
) -> Result<T, E>
where
    E: RetryClassified + std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    attempt
        .retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(|e: &E| repeat.allows(e))
        .adjust(|e: &E, computed| next_wait(policy, computed, e.retry_after()))
        .notify(|e: &E, wait| {
            tracing::warn!(call = what, error = %e, wait_ms = wait.as_millis() as u64, "retrying");
        })
        .await
        .map_err(|e| final_error(repeat, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn the_default_policy_makes_two_waits_within_their_caps() {
        let policy = RetryPolicy::default();
        for _ in 0..200 {
            let waits: Vec<Duration> = policy.backoff().collect();
            assert_eq!(waits.len(), 2);
            assert!(waits[0] <= Duration::from_millis(200), "{waits:?}");
            assert!(waits[1] <= Duration::from_millis(400), "{waits:?}");
        }
    }

    #[test]
    fn caps_double_up_to_the_maximum() {
        let policy = RetryPolicy::default();
        let caps: Vec<u128> = (0..6).map(|r| policy.cap(r).as_millis()).collect();
        assert_eq!(caps, vec![200, 400, 800, 1600, 2000, 2000]);
        assert_eq!(policy.cap(u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn full_jitter_spreads_waits_down_to_zero() {
        let policy = RetryPolicy {
            max_attempts: 2,
            min_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        let waits: Vec<Duration> = (0..400).filter_map(|_| policy.backoff().next()).collect();
        assert!(waits.iter().any(|w| *w < Duration::from_millis(250)));
        assert!(waits.iter().any(|w| *w > Duration::from_millis(750)));
    }

    #[test]
    fn a_policy_without_retries_never_waits() {
        assert_eq!(RetryPolicy::none().backoff().count(), 0);
    }

    #[test]
    fn transient_statuses() {
        for s in [408, 429, 500, 502, 503, 504, 599] {
            assert!(is_transient_status(s), "{s}");
        }
        for s in [200, 204, 301, 400, 401, 403, 404, 409, 413, 501, 505] {
            assert!(!is_transient_status(s), "{s}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .expect("literal")
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means no wait"
        );
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn retry_after_replaces_the_computed_wait_within_the_ceiling() {
        let policy = RetryPolicy::default();
        let computed = Some(Duration::from_millis(100));
        assert_eq!(next_wait(&policy, computed, None), computed);
        assert_eq!(
            next_wait(&policy, computed, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            next_wait(&policy, computed, Some(Duration::from_secs(31))),
            None,
            "a long pause goes back to the caller"
        );
        assert_eq!(next_wait(&policy, None, Some(Duration::from_secs(1))), None);
    }

    #[derive(Debug)]
    struct Failure {
        retryable: bool,
        unsent: bool,
        lost: bool,
    }

    impl std::fmt::Display for Failure {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "failure (retryable: {})", self.retryable)
        }
    }

    impl RetryClassified for Failure {
        fn is_retryable(&self) -> bool {
            self.retryable
        }

        fn unsent(&self) -> bool {
            self.unsent
        }

        fn answer_lost(self) -> Self {
            Self { lost: true, ..self }
        }
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..RetryPolicy::default()
        }
    }

    #[tokio::test]
    async fn retryable_failures_are_repeated_up_to_the_limit() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Failure> = run(&quick(), "test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Failure {
                retryable: true,
                unsent: false,
                lost: false,
            })
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_final_failure_is_returned_at_once_and_success_ends_the_loop() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Failure> = run(&quick(), "test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Failure {
                retryable: false,
                unsent: false,
                lost: false,
            })
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let calls = AtomicU32::new(0);
        let result: Result<u32, Failure> = run(&quick(), "test", || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(Failure {
                    retryable: true,
                    unsent: false,
                    lost: false,
                }),
                n => Ok(n),
            }
        })
        .await;
        assert_eq!(result.ok(), Some(1));
    }

    #[tokio::test]
    async fn a_create_is_repeated_only_when_its_request_never_left() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Failure> = run_as(&quick(), Repeat::OnlyUnsent, "test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Failure {
                retryable: true,
                unsent: false,
                lost: false,
            })
        })
        .await;
        assert!(
            result.as_ref().is_err_and(|e| e.lost),
            "marked as a lost answer"
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "an unknown outcome is not re-sent"
        );

        let calls = AtomicU32::new(0);
        let result: Result<u32, Failure> = run_as(&quick(), Repeat::OnlyUnsent, "test", || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(Failure {
                    retryable: true,
                    unsent: true,
                    lost: false,
                }),
                n => Ok(n),
            }
        })
        .await;
        assert_eq!(
            result.ok(),
            Some(1),
            "a connection never opened is tried again"
        );
    }

    #[test]
    fn only_a_create_that_may_have_happened_is_marked_as_a_lost_answer() {
        let failure = |retryable, unsent| Failure {
            retryable,
            unsent,
            lost: false,
        };
        assert!(final_error(Repeat::OnlyUnsent, failure(true, false)).lost);
        assert!(
            !final_error(Repeat::OnlyUnsent, failure(false, false)).lost,
            "a refusal"
        );
        assert!(
            !final_error(Repeat::OnlyUnsent, failure(true, true)).lost,
            "never sent"
        );
        assert!(
            !final_error(Repeat::Safe, failure(true, false)).lost,
            "a read"
        );
    }

    #[test]
    fn post_is_the_only_method_not_repeated_by_default() {
        assert_eq!(
            Repeat::for_method(&reqwest::Method::POST),
            Repeat::OnlyUnsent
        );
        for m in [
            reqwest::Method::GET,
            reqwest::Method::PUT,
            reqwest::Method::PATCH,
            reqwest::Method::DELETE,
        ] {
            assert_eq!(Repeat::for_method(&m), Repeat::Safe, "{m}");
        }
    }
}
