//! Audit: prove the log was not edited (hash chain, sequence, indexes) and replay any stream as a
//! human timeline or JSON lines.

pub mod describe;
pub mod replay;
pub mod verify;
