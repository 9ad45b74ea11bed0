//! The shared control plane, exercised over real HTTP: faults, the request log, the clock, TLS.

use actix_web::{middleware, web, App, HttpResponse, HttpServer};
use emulator::common::{intercept, BoundListener, Common, RunningServer, ServerOptions};
use serde_json::{json, Value};

async fn hello() -> HttpResponse {
    HttpResponse::Ok().json(json!({"hello": "world"}))
}

fn start(options: ServerOptions) -> RunningServer {
    let common = Common::default();
    let bound = BoundListener::bind(&options, "test").expect("bind loopback");
    bound
        .serve(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(common.clone()))
                .wrap(middleware::from_fn(intercept))
                .configure(emulator::common::control::configure)
                .route("/api/{tail:.*}", web::get().to(hello))
        }))
        .expect("serve")
}

#[tokio::test]
async fn faults_answer_delay_and_drop_then_run_out() {
    let server = start(ServerOptions::default());
    let http = reqwest::Client::new();
    let base = &server.base_url;
    let armed: Value = http
        .post(format!("{base}/__emulator/faults"))
        .json(&json!([
            {"method": "GET", "path": "/api/fail*", "times": 1,
             "action": {"kind": "respond", "status": 503, "body": [{"errorCode": "SERVER_UNAVAILABLE"}],
                        "headers": {"Retry-After": "2"}}},
            {"path": "/api/drop", "action": {"kind": "drop"}},
            {"path": "/api/slow", "action": {"kind": "delay", "millis": 300}}
        ]))
        .send()
        .await
        .expect("arm")
        .json()
        .await
        .expect("json");
    assert_eq!(armed.as_array().map(Vec::len), Some(3));

    let r = http
        .get(format!("{base}/api/fail/1"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "2");
    let r = http
        .get(format!("{base}/api/fail/1"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200, "the fault was armed for one request only");

    let dropped = match http.get(format!("{base}/api/drop")).send().await {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(
        dropped,
        "a dropped connection must surface as a transport error"
    );

    let t = std::time::Instant::now();
    let r = http
        .get(format!("{base}/api/slow"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));

    let log: Value = http
        .get(format!("{base}/__emulator/requests"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(log["total"], 4, "control calls are not counted: {log}");
    assert_eq!(log["counts"]["GET /api/fail/1"], 2);
    server.stop().await;
}

#[tokio::test]
async fn the_clock_can_be_frozen_and_advanced() {
    let server = start(ServerOptions::default());
    let http = reqwest::Client::new();
    let base = &server.base_url;
    let state: Value = http
        .put(format!("{base}/__emulator/clock"))
        .json(&json!({"now": "2024-05-01T10:00:00Z"}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(state["mode"], "frozen");
    let state: Value = http
        .post(format!("{base}/__emulator/clock/advance"))
        .json(&json!({"seconds": 300}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(state["now"], "2024-05-01T10:05:00Z");
    let answered = http
        .get(format!("{base}/api/x"))
        .send()
        .await
        .expect("send");
    assert_eq!(
        answered.headers()["date"],
        "Wed, 01 May 2024 10:05:00 GMT",
        "the Date header follows the emulated clock"
    );
    let bad = http
        .post(format!("{base}/__emulator/clock/advance"))
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    assert_eq!(bad.status(), 400);
    server.stop().await;
}

#[tokio::test]
async fn https_with_a_trusted_self_signed_certificate() {
    let dir = std::env::temp_dir().join(format!("emu-tls-{}", std::process::id()));
    let server = start(ServerOptions {
        port: 0,
        tls_dir: Some(dir.clone()),
    });
    assert!(server.base_url.starts_with("https://"));
    let pem = std::fs::read(server.cert_path.clone().expect("cert")).expect("read cert");
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"))
        .build()
        .expect("client");
    let r = http
        .get(format!("{}/api/x", server.base_url))
        .send()
        .await
        .expect("https request");
    assert_eq!(r.status(), 200);
    server.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
