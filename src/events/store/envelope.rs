//! The envelope exactly as stored, its binary codec, and the canonical bytes of the hash chain.
//!
//! The hash chain is what lets an auditor prove the log was not edited, so its input must be
//! defined independently of any storage format or serde implementation: a storage codec may
//! change (with a format byte), the canonical encoding may not without a new domain tag. Both
//! live here, next to each other, so a reader can check them against one another.
//!
//! # Canonical hash encoding (version 1)
//!
//! `hash = hex(SHA-256(bytes))` where `bytes` is the concatenation of, in order:
//!
//! | field | encoding |
//! |---|---|
//! | domain tag | the 16 ASCII bytes `sfjira/event/v1\n` ([`HASH_DOMAIN`]) |
//! | seq | u64 big-endian |
//! | stream | u32 big-endian byte length, then the UTF-8 bytes |
//! | version | u64 big-endian |
//! | event_id | the 16 bytes of the uuid (RFC 4122 order) |
//! | event_type | u32 big-endian byte length, then the UTF-8 bytes |
//! | schema_version | u16 big-endian |
//! | recorded_at | i64 big-endian microseconds since 1970-01-01T00:00:00Z |
//! | causation_id | one byte `0` if absent; `1` then the 16 uuid bytes if present |
//! | correlation_id | same as causation_id |
//! | payload | u64 big-endian byte length, then the payload bytes exactly as stored (JSON text) |
//! | prev_hash | the 32 raw bytes of the previous envelope's hash (32 zero bytes for seq 1) |
//!
//! Every variable-length field is length-prefixed, so no two different envelopes share an
//! encoding. The `hash` itself is, of course, not part of its own input.
//!
//! # Storage codec (format 1)
//!
//! `u8 format=1 | u64 seq | u64 version | [16] event_id | u16 schema_version | i64 recorded_at µs |
//! u8 flags (bit 0: causation, bit 1: correlation) | [16] causation? | [16] correlation? |
//! [32] prev_hash | [32] hash | u16 len + stream | u16 len + event_type | u32 len + payload`,
//! all integers big-endian. Fixed-width fields first keep decoding a straight walk with no
//! allocation beyond the three strings.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{RecordedEvent, StoreError, StreamId};

/// Domain-separation tag at the start of every hashed envelope.
pub const HASH_DOMAIN: &[u8; 16] = b"sfjira/event/v1\n";

/// The previous hash of the first event: 32 zero bytes.
pub const ZERO_HASH: [u8; 32] = [0; 32];

const FORMAT_V1: u8 = 1;
const FLAG_CAUSATION: u8 = 0b01;
const FLAG_CORRELATION: u8 = 0b10;

/// Why stored bytes could not be decoded into a [`RawEvent`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("undecodable event record: {0}")]
pub struct CodecError(pub String);

/// One event envelope exactly as stored: the payload is kept as the bytes that were hashed.
///
/// [`RecordedEvent`] is what readers want; `RawEvent` is what auditors want, because re-encoding
/// a parsed JSON value is not guaranteed to give back the bytes that were hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// Global sequence number.
    pub seq: u64,
    /// The stream it belongs to.
    pub stream: StreamId,
    /// Version within the stream (1-based).
    pub version: u64,
    /// Unique event id.
    pub event_id: Uuid,
    /// Stable type string.
    pub event_type: String,
    /// Schema version of the payload.
    pub schema_version: u16,
    /// Commit time, microseconds since the Unix epoch (UTC).
    pub recorded_at_micros: i64,
    /// The event or command that caused this one.
    pub causation_id: Option<Uuid>,
    /// The run or request this belongs to.
    pub correlation_id: Option<Uuid>,
    /// The JSON payload bytes, exactly as hashed and stored.
    pub payload: Vec<u8>,
    /// Hash of the previous envelope ([`ZERO_HASH`] for seq 1).
    pub prev_hash: [u8; 32],
    /// Hash of this envelope, as stored.
    pub hash: [u8; 32],
}

impl RawEvent {
    /// The canonical bytes hashed for this envelope (see the module documentation).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160 + self.stream.as_str().len() + self.payload.len());
        out.extend_from_slice(HASH_DOMAIN);
        out.extend_from_slice(&self.seq.to_be_bytes());
        put_str32(&mut out, self.stream.as_str());
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(self.event_id.as_bytes());
        put_str32(&mut out, &self.event_type);
        out.extend_from_slice(&self.schema_version.to_be_bytes());
        out.extend_from_slice(&self.recorded_at_micros.to_be_bytes());
        put_opt_uuid(&mut out, self.causation_id);
        put_opt_uuid(&mut out, self.correlation_id);
        out.extend_from_slice(&(self.payload.len() as u64).to_be_bytes());
        out.extend_from_slice(&self.payload);
        out.extend_from_slice(&self.prev_hash);
        out
    }

    /// Recomputes the hash from the envelope fields (ignores the stored `hash`).
    pub fn compute_hash(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// Whether the stored `hash` matches the envelope.
    pub fn hash_is_valid(&self) -> bool {
        self.compute_hash() == self.hash
    }

    /// Encodes for storage (format 1, see the module documentation).
    pub fn encode(&self) -> Vec<u8> {
        let stream = self.stream.as_str().as_bytes();
        let kind = self.event_type.as_bytes();
        let mut out = Vec::with_capacity(150 + stream.len() + kind.len() + self.payload.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(self.event_id.as_bytes());
        out.extend_from_slice(&self.schema_version.to_be_bytes());
        out.extend_from_slice(&self.recorded_at_micros.to_be_bytes());
        let mut flags = 0;
        if self.causation_id.is_some() {
            flags |= FLAG_CAUSATION;
        }
        if self.correlation_id.is_some() {
            flags |= FLAG_CORRELATION;
        }
        out.push(flags);
        if let Some(id) = self.causation_id {
            out.extend_from_slice(id.as_bytes());
        }
        if let Some(id) = self.correlation_id {
            out.extend_from_slice(id.as_bytes());
        }
        out.extend_from_slice(&self.prev_hash);
        out.extend_from_slice(&self.hash);
        // Lengths fit: stream ids are capped at 200 bytes, types at 200 bytes (append.rs), and
        // payloads at StoreLimits::max_event_bytes, which is capped below u32::MAX.
        out.extend_from_slice(&(stream.len() as u16).to_be_bytes());
        out.extend_from_slice(stream);
        out.extend_from_slice(&(kind.len() as u16).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(&(self.payload.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.payload);
        out
    }

    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut r = Reader { bytes, pos: 0 };
        let format = r.u8()?;
        if format != FORMAT_V1 {
            return Err(CodecError(format!("unknown record format {format}")));
        }
        let seq = r.u64()?;
        let version = r.u64()?;
        let event_id = Uuid::from_bytes(r.array::<16>()?);
        let schema_version = u16::from_be_bytes(r.array::<2>()?);
        let recorded_at_micros = i64::from_be_bytes(r.array::<8>()?);
        let flags = r.u8()?;
        if flags & !(FLAG_CAUSATION | FLAG_CORRELATION) != 0 {
            return Err(CodecError(format!("unknown flags {flags:#04x}")));
        }
        let causation_id = if flags & FLAG_CAUSATION != 0 {
            Some(Uuid::from_bytes(r.array::<16>()?))
        } else {
            None
        };
        let correlation_id = if flags & FLAG_CORRELATION != 0 {
            Some(Uuid::from_bytes(r.array::<16>()?))
        } else {
            None
        };
        let prev_hash = r.array::<32>()?;
        let hash = r.array::<32>()?;
        let stream_len = u16::from_be_bytes(r.array::<2>()?) as usize;
        let stream = r.string(stream_len)?;
        let stream = StreamId::parse(stream).map_err(|e| CodecError(e.to_string()))?;
        let type_len = u16::from_be_bytes(r.array::<2>()?) as usize;
        let event_type = r.string(type_len)?;
        let payload_len = u32::from_be_bytes(r.array::<4>()?) as usize;
        let payload = r.take(payload_len)?.to_vec();
        if r.pos != bytes.len() {
            return Err(CodecError(format!(
                "{} trailing bytes after the payload",
                bytes.len() - r.pos
            )));
        }
        Ok(Self {
            seq,
            stream,
            version,
            event_id,
            event_type,
            schema_version,
            recorded_at_micros,
            causation_id,
            correlation_id,
            payload,
            prev_hash,
            hash,
        })
    }

    /// The commit time as a `DateTime`.
    pub fn recorded_at(&self) -> Result<DateTime<Utc>, CodecError> {
        DateTime::from_timestamp_micros(self.recorded_at_micros).ok_or_else(|| {
            CodecError(format!(
                "recorded_at {} µs is out of range",
                self.recorded_at_micros
            ))
        })
    }

    /// Parses the payload and builds the reader-facing [`RecordedEvent`].
    pub fn to_recorded(&self) -> Result<RecordedEvent, StoreError> {
        self.clone().into_recorded()
    }

    /// Same as [`RawEvent::to_recorded`], without copying the strings (the read path).
    pub fn into_recorded(self) -> Result<RecordedEvent, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt {
            detail: format!("event seq {}: {detail}", self.seq),
        };
        let payload = serde_json::from_slice(&self.payload)
            .map_err(|e| corrupt(format!("payload is not JSON: {e}")))?;
        let recorded_at = self.recorded_at().map_err(|e| corrupt(e.0))?;
        Ok(RecordedEvent {
            seq: self.seq,
            stream: self.stream,
            version: self.version,
            event_id: self.event_id,
            event_type: self.event_type,
            schema_version: self.schema_version,
            recorded_at,
            causation_id: self.causation_id,
            correlation_id: self.correlation_id,
            payload,
            prev_hash: hex32(&self.prev_hash),
            hash: hex32(&self.hash),
        })
    }
}

/// Lower-case hex of a hash: one allocation, no per-char iterator (this runs once or twice
/// per event read, which makes it visible in replay profiles).
pub(crate) fn hex32(bytes: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn put_str32(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_uuid(out: &mut Vec<u8>, id: Option<Uuid>) {
    match id {
        Some(id) => {
            out.push(1);
            out.extend_from_slice(id.as_bytes());
        }
        None => out.push(0),
    }
}

/// A bounds-checked cursor over stored bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| {
                CodecError(format!(
                    "truncated: wanted {n} bytes at offset {} of {}",
                    self.pos,
                    self.bytes.len()
                ))
            })?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array::<8>()?))
    }

    fn string(&mut self, n: usize) -> Result<String, CodecError> {
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|e| CodecError(format!("invalid UTF-8: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RawEvent {
        let mut e = RawEvent {
            seq: 7,
            stream: StreamId::parse("link-abc").expect("valid"),
            version: 3,
            event_id: Uuid::from_u128(42),
            event_type: "link.linked".into(),
            schema_version: 2,
            recorded_at_micros: 1_700_000_000_123_456,
            causation_id: Some(Uuid::from_u128(1)),
            correlation_id: None,
            payload: br#"{"a":1}"#.to_vec(),
            prev_hash: [9; 32],
            hash: [0; 32],
        };
        e.hash = e.compute_hash();
        e
    }

    #[test]
    fn hex32_matches_the_hex_crate() {
        let h = sample().hash;
        assert_eq!(hex32(&h), hex::encode(h));
    }

    #[test]
    fn codec_round_trips() {
        let e = sample();
        let decoded = RawEvent::decode(&e.encode()).expect("decodes");
        assert_eq!(decoded, e);
        assert!(decoded.hash_is_valid());
    }

    #[test]
    fn truncated_and_trailing_bytes_are_refused() {
        let bytes = sample().encode();
        assert!(RawEvent::decode(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(RawEvent::decode(&longer).is_err());
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = sample();
        let h = base.compute_hash();
        let mut variants = vec![];
        let mut e = base.clone();
        e.seq += 1;
        variants.push(e);
        let mut e = base.clone();
        e.version += 1;
        variants.push(e);
        let mut e = base.clone();
        e.payload = br#"{"a":2}"#.to_vec();
        variants.push(e);
        let mut e = base.clone();
        e.correlation_id = Some(Uuid::from_u128(1));
        variants.push(e);
        let mut e = base.clone();
        e.prev_hash[0] ^= 1;
        variants.push(e);
        let mut e = base.clone();
        e.recorded_at_micros += 1;
        variants.push(e);
        for v in variants {
            assert_ne!(v.compute_hash(), h);
        }
    }
}
