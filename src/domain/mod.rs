//! The pure sync rules: no I/O, no async, tested without either remote system.

pub mod adf;
pub mod attachments;
pub mod catalog;
pub mod comments;
pub mod echo;
pub mod escape;
pub mod feeds;
pub mod fields;
pub mod ids;
pub mod item;
pub mod link;
pub mod plan;
pub mod side;
pub mod status;
pub mod unknown_outcome;
