//! libFuzzer entry point of [`targets::config_parsing`].
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::config_parsing(data));
