//! libFuzzer entry point of [`targets::webhook_delivery`].
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::webhook_delivery(data));
