//! Helpers shared by the Jira emulator's integration tests: start an emulator on port 0, call
//! it as the seeded admin, and receive webhooks on a local HTTP server.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use emulator::common::{BoundListener, RunningServer, ServerOptions};
use emulator::jira::{JiraEmulator, JiraInfo, JiraOptions, WebhookRetry};
use parking_lot::Mutex;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

/// A running emulator and a client for it.
pub struct Jira {
    pub emulator: JiraEmulator,
    pub info: JiraInfo,
    pub http: reqwest::Client,
}

/// Options for tests: demo seed, fast webhook retries.
pub fn options() -> JiraOptions {
    JiraOptions {
        webhook_retry: WebhookRetry {
            max_attempts: 4,
            base_backoff: Duration::from_millis(20),
        },
        ..JiraOptions::default()
    }
}

impl Jira {
    pub async fn start() -> Self {
        Self::start_with(options()).await
    }

    pub async fn start_with(options: JiraOptions) -> Self {
        let emulator = JiraEmulator::start(options).await.expect("start emulator");
        let info = emulator.info();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            emulator,
            info,
            http,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.info.base_url)
    }

    /// A request as the seeded admin (Basic auth with the API token).
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .basic_auth(&self.info.email, Some(&self.info.api_token))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.expect("GET")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.req(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.req(Method::PUT, path)
            .json(body)
            .send()
            .await
            .expect("PUT")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.req(Method::DELETE, path).send().await.expect("DELETE")
    }

    /// A control-API call (no credentials).
    pub async fn control(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut r = self.http.request(method, self.url(path));
        if let Some(b) = body {
            r = r.json(b);
        }
        r.send().await.expect("control call")
    }

    pub async fn stop(self) {
        self.emulator.stop().await;
    }
}

/// The JSON body of a response, asserting its status first.
pub async fn expect_json(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// An ADF document with one paragraph.
pub fn adf(text: &str) -> Value {
    serde_json::json!({"type": "doc", "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
}

/// One request a webhook receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }
}

/// A local webhook receiver answering the statuses in `script` in turn (then 200).
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    server: RunningServer,
}

impl Receiver {
    pub async fn start(script: Vec<u16>) -> Self {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script = Arc::new(Mutex::new(
            script
                .into_iter()
                .collect::<std::collections::VecDeque<_>>(),
        ));
        let bound = BoundListener::bind(&ServerOptions::default(), "receiver").expect("bind");
        let url = format!("{}/hook", bound.base_url());
        let (r, s) = (received.clone(), script.clone());
        let server = bound
            .serve(HttpServer::new(move || {
                let (r, s) = (r.clone(), s.clone());
                App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                    let (r, s) = (r.clone(), s.clone());
                    async move {
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(k, v)| {
                                (k.to_string(), v.to_str().unwrap_or_default().to_string())
                            })
                            .collect();
                        r.lock().push(Received {
                            headers,
                            body: body.to_vec(),
                        });
                        let status = s.lock().pop_front().unwrap_or(200);
                        HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(status).expect("status"),
                        )
                        .finish()
                    }
                }))
            }))
            .expect("serve receiver");
        Self {
            url,
            received,
            server,
        }
    }

    /// Waits until `n` requests arrived (at most 5 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..250 {
            if self.received.lock().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.received.lock().clone()
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}
