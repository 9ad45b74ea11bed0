//! The middleware in front of every emulated API route: it applies armed faults and records each
//! request in the log. Control routes (`/__emulator/…`) pass straight through.

use std::io;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use bytes::Bytes;

use super::{Common, FaultAction, CONTROL_PREFIX};

/// Applies faults and records requests; install with `middleware::from_fn(intercept)`.
pub async fn intercept(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path().to_string();
    let common = req.app_data::<web::Data<Common>>().cloned();
    let Some(common) = common.filter(|_| !path.starts_with(CONTROL_PREFIX)) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let started = std::time::Instant::now();
    let served = move || u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let method = req.method().as_str().to_string();
    let query = req.query_string().to_string();
    let fault = common.faults.take(&method, &path);
    match fault {
        Some(FaultAction::Respond {
            status,
            body,
            text,
            headers,
        }) => {
            let response = injected_response(status, body, text, &headers);
            common.requests.record(
                &method,
                &path,
                &query,
                response.status().as_u16(),
                true,
                served(),
            );
            tracing::debug!(%method, %path, status, "injected response");
            let mut response = req.into_response(response);
            set_date(&common, response.headers_mut());
            return Ok(response);
        }
        Some(FaultAction::Drop) => {
            common
                .requests
                .record(&method, &path, &query, 0, true, served());
            tracing::debug!(%method, %path, "injected connection drop");
            return Ok(req.into_response(dropped_connection()));
        }
        Some(FaultAction::Delay { millis }) => {
            tracing::debug!(%method, %path, millis, "injected delay");
            tokio::time::sleep(Duration::from_millis(millis)).await;
        }
        _ => {}
    }
    let mut response = next.call(req).await?;
    set_date(&common, response.headers_mut());
    let handled = response.status().as_u16();
    let after_commit = fault.as_ref().is_some_and(FaultAction::after_commit);
    let recorded = match &fault {
        Some(FaultAction::AfterCommitRespond { status, .. }) => *status,
        Some(FaultAction::AfterCommitDrop) => 0,
        _ => handled,
    };
    common
        .requests
        .record(&method, &path, &query, recorded, after_commit, served());
    match fault {
        Some(FaultAction::AfterCommitRespond {
            status,
            body,
            text,
            headers,
        }) => {
            tracing::debug!(%method, %path, status, "handled; answering an injected status");
            let (request, _) = response.into_parts();
            let mut replaced =
                ServiceResponse::new(request, injected_response(status, body, text, &headers));
            set_date(&common, replaced.headers_mut());
            Ok(replaced)
        }
        Some(FaultAction::AfterCommitDrop) => {
            tracing::debug!(%method, %path, "handled; dropping the connection");
            let (request, _) = response.into_parts();
            Ok(ServiceResponse::new(request, dropped_connection()))
        }
        Some(FaultAction::AfterCommitDelay { millis }) => {
            tracing::debug!(%method, %path, millis, "handled; holding the answer");
            tokio::time::sleep(Duration::from_millis(millis)).await;
            Ok(response.map_into_boxed_body())
        }
        _ => Ok(response.map_into_boxed_body()),
    }
}

/// The answer an injected status gives: the status, extra headers, and a text or JSON body.
fn injected_response(
    status: u16,
    body: Option<serde_json::Value>,
    text: Option<String>,
    headers: &std::collections::BTreeMap<String, String>,
) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.insert_header((name, value));
        }
    }
    match (text, body) {
        (Some(text), _) => response.content_type("text/plain").body(text),
        (None, Some(body)) => response.json(body),
        (None, None) => response.finish(),
    }
}

/// Both APIs send a `Date` header; clients may read the server's clock from it, so it follows
/// the emulated clock rather than the machine's.
fn set_date(common: &Common, headers: &mut actix_web::http::header::HeaderMap) {
    let date = common
        .clock
        .now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    if let Ok(value) = HeaderValue::try_from(date) {
        headers.insert(actix_web::http::header::DATE, value);
    }
}

/// A response whose body fails at once, which makes the server abort the connection: the client
/// sees a broken connection rather than an HTTP answer.
fn dropped_connection() -> HttpResponse {
    let failing = futures::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection dropped by an injected fault",
        ))
    });
    HttpResponse::Ok()
        .insert_header(("Connection", "close"))
        .streaming(failing)
}
