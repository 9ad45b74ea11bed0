//! Structured logging with `tracing`: one subscriber for the process, filtered by `SFJIRA_LOG`
//! (or `RUST_LOG`), human-readable on a terminal and JSON lines when asked.
//!
//! Secrets never reach a log line: they are held in `SecretString`, whose `Debug` prints
//! `[REDACTED]`, and request logs record paths and statuses, never bodies or headers.

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, for terminals.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Installs the global subscriber once; later calls are ignored (tests start many apps).
pub fn init(default_filter: &str, format: LogFormat) {
    let filter = std::env::var("SFJIRA_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
