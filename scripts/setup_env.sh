#!/usr/bin/env bash
# Create .venv and install GestureKit with the pinned, tested dependency set.
# Python 3.10-3.12 (set PYTHON=python3.x to choose one). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c requirements-lock.txt -e ".[dev]"
