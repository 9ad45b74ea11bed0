//! The HTTP surface: routes, request parsing and the one mapping from errors to responses.

pub mod errors;

pub use errors::ApiError;
