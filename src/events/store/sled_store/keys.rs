//! Key layout of the `log` tree: one byte of keyspace, then big-endian fixed-width numbers and
//! NUL-terminated stream names.
//!
//! | keyspace | key | value |
//! |---|---|---|
//! | `E` event | `E` + seq (u64 BE) | the record ([`crate::events::store::RawEvent::encode`]) |
//! | `S` stream index | `S` + stream + `0x00` + version (u64 BE) | seq (u64 BE) |
//! | `H` stream head | `H` + stream + `0x00` | version (u64 BE) + last seq (u64 BE) |
//! | `D` idempotency | `D` + event id (16 bytes) | seq, first seq, last seq, version (u64 BE) + stream |
//! | `M` meta | `M` + name (ASCII) | value (see [`META_FORMAT`]) |
//!
//! Big-endian numbers make byte order equal numeric order, so a range scan of `E` is the log in
//! sequence order and a prefix scan of one stream's `S` keys is that stream in version order.
//! Stream names cannot contain NUL, so the terminator makes one stream's prefix never a prefix
//! of another's (`S link-a 0x00` vs `S link-ab 0x00`). Nothing here imports sled; the layout is
//! public so the recovery runbook and tooling can name exact keys.

use uuid::Uuid;

use crate::events::store::StreamId;

/// Keyspace byte of events by sequence.
pub const EVENT: u8 = b'E';
/// Keyspace byte of the stream index.
pub const STREAM: u8 = b'S';
/// Keyspace byte of stream heads.
pub const HEAD: u8 = b'H';
/// Keyspace byte of the idempotency index.
pub const DEDUPE: u8 = b'D';
/// Keyspace byte of store metadata.
pub const META: u8 = b'M';

/// Meta entry holding the store format version (one byte, currently 1).
pub const META_FORMAT: &str = "format";
/// Meta entry holding the creation time (RFC 3339 text).
pub const META_CREATED_AT: &str = "created_at";
/// The store format this code writes and reads.
pub const FORMAT_VERSION: u8 = 1;

/// `E` + seq.
pub fn event_key(seq: u64) -> [u8; 9] {
    let mut key = [0; 9];
    key[0] = EVENT;
    key[1..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// The seq of an `E` key, `None` if the key is not one.
pub fn decode_event_key(key: &[u8]) -> Option<u64> {
    match key {
        [EVENT, rest @ ..] if rest.len() == 8 => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

fn named(space: u8, stream: &StreamId, extra: usize) -> Vec<u8> {
    let name = stream.as_str().as_bytes();
    let mut key = Vec::with_capacity(2 + name.len() + extra);
    key.push(space);
    key.extend_from_slice(name);
    key.push(0);
    key
}

/// `S` + stream + NUL: the prefix of all index keys of one stream.
pub fn stream_prefix(stream: &StreamId) -> Vec<u8> {
    named(STREAM, stream, 8)
}

/// `S` + stream + NUL + version.
pub fn stream_key(stream: &StreamId, version: u64) -> Vec<u8> {
    let mut key = named(STREAM, stream, 8);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// The stream and version of an `S` key.
pub fn decode_stream_key(key: &[u8]) -> Option<(StreamId, u64)> {
    let rest = key.strip_prefix(&[STREAM])?;
    let (name, version) = rest.split_at_checked(rest.len().checked_sub(9)?)?;
    let (nul, version) = version.split_first()?;
    if *nul != 0 {
        return None;
    }
    let stream = StreamId::parse(std::str::from_utf8(name).ok()?).ok()?;
    Some((stream, u64::from_be_bytes(version.try_into().ok()?)))
}

/// `H` + stream + NUL.
pub fn head_key(stream: &StreamId) -> Vec<u8> {
    named(HEAD, stream, 0)
}

/// The stream of an `H` key.
pub fn decode_head_key(key: &[u8]) -> Option<StreamId> {
    let rest = key.strip_prefix(&[HEAD])?.strip_suffix(&[0])?;
    StreamId::parse(std::str::from_utf8(rest).ok()?).ok()
}

/// `D` + event id.
pub fn dedupe_key(event_id: &Uuid) -> [u8; 17] {
    let mut key = [0; 17];
    key[0] = DEDUPE;
    key[1..].copy_from_slice(event_id.as_bytes());
    key
}

/// `M` + name.
pub fn meta_key(name: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + name.len());
    key.push(META);
    key.extend_from_slice(name.as_bytes());
    key
}

/// A big-endian u64 value (`S` values).
pub fn decode_u64(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str) -> StreamId {
        StreamId::parse(name).expect("valid")
    }

    #[test]
    fn keys_round_trip() {
        assert_eq!(decode_event_key(&event_key(42)), Some(42));
        assert_eq!(
            decode_stream_key(&stream_key(&s("link-1"), 7)),
            Some((s("link-1"), 7))
        );
        assert_eq!(decode_head_key(&head_key(&s("link-1"))), Some(s("link-1")));
        assert_eq!(decode_event_key(b"E123"), None);
    }

    #[test]
    fn stream_prefixes_do_not_overlap() {
        let a = stream_key(&s("link-a"), 1);
        let ab = stream_key(&s("link-ab"), 1);
        assert!(a.starts_with(&stream_prefix(&s("link-a"))));
        assert!(!ab.starts_with(&stream_prefix(&s("link-a"))));
    }

    #[test]
    fn event_keys_sort_numerically() {
        assert!(event_key(255) < event_key(256));
        assert!(stream_key(&s("x"), 255) < stream_key(&s("x"), 256));
    }
}
