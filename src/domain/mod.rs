//! The pure sync rules: no I/O, no async, tested without either remote system.

pub mod adf;
pub mod catalog;
pub mod ids;
pub mod item;
pub mod link;
pub mod side;
