#!/usr/bin/env bash
# Runs every test: the Rust unit and integration tests, then the Python suite that drives the
# real gureum binary with boto3 and the aws CLI. Sets up tests/.venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --bin gureum
cargo test --locked --workspace

venv=tests/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import boto3, pytest, awscli' 2>/dev/null \
   || [ tests/requirements.txt -nt "$venv/.installed" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements.txt
  touch "$venv/.installed"
fi
export PATH="$PWD/$venv/bin:$PATH"
export GUREUM_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/gureum"
exec "$venv/bin/python" -m pytest -q tests "$@"
