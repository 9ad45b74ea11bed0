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
    let method = req.method().as_str().to_string();
    let query = req.query_string().to_string();
    match common.faults.take(&method, &path) {
        Some(FaultAction::Respond {
            status,
            body,
            text,
            headers,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = HttpResponse::build(status);
            for (name, value) in &headers {
                if let (Ok(name), Ok(value)) = (
                    HeaderName::try_from(name.as_str()),
                    HeaderValue::try_from(value.as_str()),
                ) {
                    response.insert_header((name, value));
                }
            }
            let response = match (text, body) {
                (Some(text), _) => response.content_type("text/plain").body(text),
                (None, Some(body)) => response.json(body),
                (None, None) => response.finish(),
            };
            common
                .requests
                .record(&method, &path, &query, status.as_u16(), true);
            tracing::debug!(%method, %path, status = status.as_u16(), "injected response");
            let mut response = req.into_response(response);
            set_date(&common, response.headers_mut());
            return Ok(response);
        }
        Some(FaultAction::Drop) => {
            common.requests.record(&method, &path, &query, 0, true);
            tracing::debug!(%method, %path, "injected connection drop");
            return Ok(req.into_response(dropped_connection()));
        }
        Some(FaultAction::Delay { millis }) => {
            tracing::debug!(%method, %path, millis, "injected delay");
            tokio::time::sleep(Duration::from_millis(millis)).await;
        }
        None => {}
    }
    let mut response = next.call(req).await?;
    common
        .requests
        .record(&method, &path, &query, response.status().as_u16(), false);
    set_date(&common, response.headers_mut());
    Ok(response.map_into_boxed_body())
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
