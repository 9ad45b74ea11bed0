//! Helpers shared by the Salesforce emulator's integration tests: start an emulator on port 0,
//! get a token through the real OAuth endpoint, and make REST and control calls over HTTP.
#![allow(dead_code)]

use emulator::common::Seed;
use emulator::salesforce::{SalesforceEmulator, SalesforceInfo, SalesforceOptions};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The API version tests call.
pub const V: &str = "v60.0";

/// A running emulator and an authenticated client.
pub struct Sf {
    pub emu: SalesforceEmulator,
    pub http: reqwest::Client,
    pub base: String,
    pub info: SalesforceInfo,
    pub token: String,
}

/// An HTTP answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// `errorCode` of the first error of a REST error array.
    pub fn code(&self) -> &str {
        self.body[0]["errorCode"].as_str().unwrap_or("")
    }

    /// `message` of the first error.
    pub fn message(&self) -> &str {
        self.body[0]["message"].as_str().unwrap_or("")
    }
}

/// Starts an emulator with `options` and logs in with the seeded app.
pub async fn start_with(options: SalesforceOptions) -> Sf {
    let emu = SalesforceEmulator::start(options)
        .await
        .expect("start emulator");
    let http = match emu.cert_path() {
        Some(path) => {
            let pem = std::fs::read(path).expect("read certificate");
            reqwest::Client::builder()
                .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"))
                .build()
                .expect("client")
        }
        None => reqwest::Client::new(),
    };
    let base = emu.base_url().to_string();
    let info = emu.info();
    let mut sf = Sf {
        emu,
        http,
        base,
        info,
        token: String::new(),
    };
    sf.token = sf.login().await;
    sf
}

/// Starts an emulator with the given seed.
pub async fn start(seed: Seed) -> Sf {
    start_with(SalesforceOptions {
        seed,
        ..SalesforceOptions::default()
    })
    .await
}

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Answer {
        status,
        headers,
        body,
    }
}

impl Sf {
    /// A token for the seeded app.
    pub async fn login(&self) -> String {
        let a = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", &self.info.client_id),
                ("client_secret", &self.info.client_secret),
            ])
            .await;
        assert_eq!(a.status, 200, "token: {}", a.body);
        a.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// `POST /services/oauth2/token` with a form body.
    pub async fn token_request(&self, form: &[(&str, &str)]) -> Answer {
        let r = self
            .http
            .post(format!("{}/services/oauth2/token", self.base))
            .form(form)
            .send()
            .await
            .expect("send");
        answer(r).await
    }

    /// `/services/data/v60.0{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/services/data/{V}{path}", self.base)
    }

    /// A REST call with the current token.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call_as(&self.token.clone(), method, path, body).await
    }

    /// A REST call with a given token.
    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.expect("send")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Runs SOQL and returns the first page.
    pub async fn query(&self, soql: &str) -> Answer {
        let r = self
            .http
            .get(self.url("/query"))
            .query(&[("q", soql)])
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("send");
        answer(r).await
    }

    /// Runs SOQL that must succeed; returns the records of the first page.
    pub async fn rows(&self, soql: &str) -> Vec<Value> {
        let a = self.query(soql).await;
        assert_eq!(a.status, 200, "{soql}: {}", a.body);
        a.body["records"].as_array().cloned().unwrap_or_default()
    }

    /// Creates a record that must succeed; returns its id.
    pub async fn create(&self, object: &str, body: Value) -> String {
        let a = self.post(&format!("/sobjects/{object}"), body).await;
        assert_eq!(a.status, 201, "create {object}: {}", a.body);
        a.body["id"].as_str().expect("id").to_string()
    }

    /// A control-API call.
    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}/__emulator{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.expect("send")).await
    }

    /// Freezes the emulated clock at an RFC 3339 instant.
    pub async fn freeze(&self, at: &str) {
        let a = self
            .control(Method::PUT, "/clock", Some(json!({"now": at})))
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }

    /// Moves the emulated clock.
    pub async fn advance(&self, seconds: i64) {
        let a = self
            .control(
                Method::POST,
                "/clock/advance",
                Some(json!({"seconds": seconds})),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }

    /// Freezes the clock at `at`, rebuilds the org from `seed` (so seeded timestamps are
    /// deterministic) and logs in again.
    pub async fn reseed_at(&mut self, seed: &str, at: &str) {
        self.freeze(at).await;
        let a = self
            .control(Method::POST, "/reset", Some(json!({"seed": seed})))
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        self.token = self.login().await;
    }

    /// The id of the first Case of the demo seed, by subject.
    pub async fn case_id(&self, subject_like: &str) -> String {
        let rows = self
            .rows(&format!(
                "SELECT Id FROM Case WHERE Subject LIKE '{subject_like}%' LIMIT 1"
            ))
            .await;
        rows[0]["Id"].as_str().expect("case").to_string()
    }

    /// Stops the emulator.
    pub async fn stop(self) {
        self.emu.stop().await;
    }
}
