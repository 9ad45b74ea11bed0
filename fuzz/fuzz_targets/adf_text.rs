//! libFuzzer entry point of [`targets::adf_text`].
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::adf_text(data));
