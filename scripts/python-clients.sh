#!/usr/bin/env bash
# Creates .venv with the real Python client libraries the emulator fidelity tests drive
# (simple-salesforce and jira), unless it already has them. Prints the interpreter's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
# Test binaries may call this at the same moment: one creates the environment, the others wait.
exec 9>"${TMPDIR:-/tmp}/sfjira-python-clients.lock"
flock 9
if ! "$venv/bin/python" -c "import simple_salesforce, jira" >/dev/null 2>&1; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check simple-salesforce jira >&2
fi
echo "$venv/bin/python"
