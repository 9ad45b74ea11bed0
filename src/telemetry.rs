//! Structured logging with `tracing`.
