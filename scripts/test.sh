#!/usr/bin/env bash
# Runs every check and test sfjira has, installing what the tests need on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# The real Python client libraries the emulator fidelity tests drive.
SFJIRA_PYTHON="$(scripts/python-clients.sh)"
export SFJIRA_PYTHON

# Headless Chromium and its WebDriver for the browser tests (tests/browser), from Debian.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    echo "Installing chromium and chromium-driver for the browser tests..." >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    log="$(mktemp)"
    if ! { $SUDO apt-get update -qq &&
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } >"$log" 2>&1; then
        cat "$log" >&2
        exit 1
    fi
    rm -f "$log"
fi

rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --lib --bins --tests

# The OpenAPI document against the live service: schemathesis drives every operation with the
# admin token; any server error or answer the document does not describe fails the run.
scripts/schemathesis.sh
