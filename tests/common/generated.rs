//! A deterministic multi-megabyte file for the upload and download tests of both REST clients,
//! produced chunk by chunk (never whole in memory), with the SHA-256 it must arrive with, and
//! the reader that checks what came back the same way.

use bytes::Bytes;
use futures::StreamExt;
use sfjira::connectors::{byte_stream, ByteStream};
use sha2::{Digest, Sha256};

/// A stream of `len` bytes and the hex SHA-256 of its content.
pub fn generated(len: usize) -> (ByteStream, String) {
    const CHUNK: usize = 64 * 1024;
    let chunk = move |i: usize| -> Bytes {
        let size = CHUNK.min(len - i * CHUNK);
        Bytes::from(
            (0..size)
                .map(|j| ((i * 31 + j * 7) % 251) as u8)
                .collect::<Vec<u8>>(),
        )
    };
    let count = len.div_ceil(CHUNK);
    let mut hasher = Sha256::new();
    for i in 0..count {
        hasher.update(chunk(i));
    }
    let digest = hex::encode(hasher.finalize());
    let stream =
        futures::stream::iter((0..count).map(move |i| Ok::<Bytes, std::io::Error>(chunk(i))));
    (byte_stream(stream), digest)
}

/// Reads a downloaded stream to its end, chunk by chunk: how many bytes came and their hex
/// SHA-256.
pub async fn received(mut stream: ByteStream) -> (usize, String) {
    let mut hasher = Sha256::new();
    let mut count = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        count += chunk.len();
        hasher.update(&chunk);
    }
    (count, hex::encode(hasher.finalize()))
}
