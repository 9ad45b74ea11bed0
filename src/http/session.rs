//! Browser sessions for the admin pages.
//!
//! Signing in with the admin token gives the browser a random session id in an HTTP-only,
//! `SameSite=Strict` cookie, so the token itself never sits in the browser and page scripts
//! cannot read what they hold. Sessions live in this process's memory only: signing out forgets
//! the id at once and a restart signs everyone out. The store keeps a SHA-256 of each id, not
//! the id, and a per-session CSRF token for the plain HTML forms (sign out); JavaScript calls to
//! `/api` prove they come from our pages with a custom header instead (see [`super::auth`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;
use parking_lot::Mutex;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Name of the session cookie.
pub const COOKIE: &str = "sfjira_session";

/// How long a session lasts after sign-in.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// At most this many sessions are kept; the oldest is forgotten first.
const MAX_SESSIONS: usize = 1024;

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// Token the page's own HTML forms send back, proving they were rendered by us.
    pub csrf: String,
    created: Instant,
}

/// The signed-in browsers of this process.
pub struct Sessions {
    inner: Mutex<HashMap<[u8; 32], Session>>,
    lifetime: Duration,
}

impl Default for Sessions {
    fn default() -> Self {
        Self::new(LIFETIME)
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    /// An empty store whose sessions last `lifetime`.
    pub fn new(lifetime: Duration) -> Self {
        Self {
            inner: Mutex::new(HashMap::new()),
            lifetime,
        }
    }

    /// Starts a session; returns the id to put in the cookie.
    pub fn create(&self) -> (String, Session) {
        let id = random_hex();
        let session = Session {
            csrf: random_hex(),
            created: Instant::now(),
        };
        let mut inner = self.inner.lock();
        let lifetime = self.lifetime;
        inner.retain(|_, s| s.created.elapsed() < lifetime);
        if inner.len() >= MAX_SESSIONS {
            if let Some(oldest) = inner.iter().min_by_key(|(_, s)| s.created).map(|(k, _)| *k) {
                inner.remove(&oldest);
            }
        }
        inner.insert(digest(&id), session.clone());
        (id, session)
    }

    /// The live session with this id.
    pub fn get(&self, id: &str) -> Option<Session> {
        let key = digest(id);
        let mut inner = self.inner.lock();
        match inner.get(&key) {
            Some(s) if s.created.elapsed() < self.lifetime => Some(s.clone()),
            Some(_) => {
                inner.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Forgets a session (sign out).
    pub fn remove(&self, id: &str) {
        self.inner.lock().remove(&digest(id));
    }

    /// The session the request's cookie names, if it is live.
    pub fn of_request(&self, req: &HttpRequest) -> Option<(String, Session)> {
        let cookie = req.cookie(COOKIE)?;
        let id = cookie.value().to_string();
        self.get(&id).map(|s| (id, s))
    }
}

/// Whether the browser reached us over HTTPS (directly or as a proxy in front says).
pub fn is_https(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

/// The cookie that carries a session id.
pub fn cookie(id: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, id.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(time::Duration::seconds(LIFETIME.as_secs() as i64))
        .finish()
}

/// A cookie that makes the browser drop the session id.
pub fn removal(secure: bool) -> Cookie<'static> {
    let mut cookie = cookie("", secure);
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_its_id_and_forgotten_on_removal() {
        let sessions = Sessions::default();
        let (id, session) = sessions.create();
        assert_eq!(sessions.get(&id).map(|s| s.csrf), Some(session.csrf));
        assert!(sessions.get("not-an-id").is_none());
        sessions.remove(&id);
        assert!(sessions.get(&id).is_none());
    }

    #[test]
    fn an_expired_session_is_refused() {
        let sessions = Sessions::new(Duration::ZERO);
        let (id, _) = sessions.create();
        assert!(sessions.get(&id).is_none());
    }

    #[test]
    fn the_store_never_grows_past_its_cap() {
        let sessions = Sessions::default();
        for _ in 0..(MAX_SESSIONS + 10) {
            sessions.create();
        }
        assert_eq!(sessions.inner.lock().len(), MAX_SESSIONS);
    }

    #[test]
    fn the_cookie_is_http_only_and_strict() {
        let text = cookie("abc", false).to_string();
        assert!(text.contains("HttpOnly"), "{text}");
        assert!(text.contains("SameSite=Strict"), "{text}");
        assert!(!text.contains("Secure"), "{text}");
        assert!(cookie("abc", true).to_string().contains("Secure"));
    }
}
