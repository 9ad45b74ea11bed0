//! Faithful local emulators of the Salesforce REST API and the Jira Cloud REST API v3.
#![forbid(unsafe_code)]

pub mod common;
pub mod jira;
pub mod salesforce;
