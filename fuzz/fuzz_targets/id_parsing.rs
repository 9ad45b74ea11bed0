//! libFuzzer entry point of [`targets::id_parsing`].
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::id_parsing(data));
