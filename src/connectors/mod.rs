//! Typed REST clients for the two remote systems, and what they share.
//!
//! The sync engine never builds a URL, reads a status code or parses an error body itself: it
//! calls a method on [`salesforce::SalesforceClient`] or `jira::JiraClient` and gets typed
//! values back, or a typed error that says whether trying again can help
//! ([`retry::RetryClassified`]). Both clients retry transient failures themselves with bounded,
//! fully jittered back-off ([`retry`]), refuse to talk to hosts outside the outbound policy
//! ([`hosts`]), never follow redirects on their own, never print a secret, and move file contents
//! as streams ([`ByteStream`]) so that a large attachment never sits in memory.

pub mod hosts;
pub mod jira;
pub mod retry;
pub mod salesforce;

use std::fmt;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};

/// A stream of file bytes, as uploads take them and downloads hand them out.
///
/// Errors are `io::Error` so that the stream plugs into `tokio_util::io::StreamReader` and file
/// readers without conversion.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>> + Send + 'static>>;

/// Wraps any stream of byte chunks as a [`ByteStream`].
pub fn byte_stream<S>(stream: S) -> ByteStream
where
    S: Stream<Item = Result<Bytes, io::Error>> + Send + 'static,
{
    Box::pin(stream)
}

/// A file being downloaded: its size when the server said it, and its bytes as a stream.
///
/// Only the response headers have been read when this is handed out; the body arrives as the
/// stream is polled. Dropping the stream closes the connection.
pub struct Download {
    /// `Content-Length` of the body, when the server sent one.
    pub content_length: Option<u64>,
    /// `Content-Type` of the body, when the server sent one.
    pub content_type: Option<String>,
    /// The bytes.
    pub stream: ByteStream,
}

impl Download {
    /// Reads the whole body into memory. Meant for small files and tests; the sync engine
    /// streams instead.
    pub async fn into_bytes(self) -> Result<Vec<u8>, io::Error> {
        let mut out = Vec::with_capacity(self.content_length.unwrap_or(0).min(1 << 24) as usize);
        let mut stream = self.stream;
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("content_length", &self.content_length)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// Turns a response body into a [`Download`].
pub(crate) fn download_from(response: reqwest::Response) -> Download {
    let headers = response.headers();
    let content_length = headers
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let stream = response.bytes_stream().map_err(io::Error::other);
    Download {
        content_length,
        content_type,
        stream: Box::pin(stream),
    }
}

/// The `User-Agent` both clients send.
pub(crate) const USER_AGENT: &str = concat!("sfjira/", env!("CARGO_PKG_VERSION"));

/// Builds the HTTP client both connectors use: rustls, a connect timeout and an overall request
/// timeout, and no automatic redirects (a redirect to another host would step outside the
/// outbound host policy, so the clients decide themselves).
///
/// The overall timeout does not apply to streamed bodies beyond what reqwest enforces per
/// request; uploads and downloads of large files get `read_timeout` between chunks instead.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .read_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .use_rustls_tls()
        .build()
}
