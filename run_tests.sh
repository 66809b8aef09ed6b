#!/usr/bin/env bash
# Set up .venv (pinned dependencies) and run the whole test suite, slow end-to-end tests included.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup_env.sh
export TF_CPP_MIN_LOG_LEVEL=3
.venv/bin/python -m pytest -q -ra "$@"
