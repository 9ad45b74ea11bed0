#!/usr/bin/env bash
# Fuzzes each target in fuzz/ for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# With a nightly toolchain and cargo-fuzz installed (`rustup toolchain install nightly`,
# `cargo install cargo-fuzz`), each target runs under libFuzzer for SECONDS_PER_TARGET
# (default 60), keeping its corpus in fuzz/corpus/<target> and any crash in
# fuzz/artifacts/<target>. Without them, the same target bodies run on the stable toolchain
# through tests/fuzz_targets.rs with many more generated cases than the test command uses.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
all=(webhook_delivery query_escaping adf_text id_parsing config_parsing)
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then targets=("${all[@]}"); fi

if cargo +nightly fuzz --version >/dev/null 2>&1; then
    for target in "${targets[@]}"; do
        echo "== fuzzing $target for ${seconds}s" >&2
        (cd fuzz && cargo +nightly fuzz run "$target" -- -max_total_time="$seconds")
    done
else
    echo "cargo-fuzz on nightly is not available; running the targets on stable instead" >&2
    cases=$((seconds * 200))
    for target in "${targets[@]}"; do
        echo "== $target: $cases generated cases" >&2
        SFJIRA_FUZZ_CASES="$cases" cargo test --test fuzz_targets -- --exact "$target"
    done
fi
