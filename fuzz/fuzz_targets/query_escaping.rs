//! libFuzzer entry point of [`targets::query_escaping`].
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::query_escaping(data));
