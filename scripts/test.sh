#!/usr/bin/env bash
# Runs every check and test sfjira has, installing what the tests need on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# The real Python client libraries the emulator fidelity tests drive.
SFJIRA_PYTHON="$(scripts/python-clients.sh)"
export SFJIRA_PYTHON

rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
