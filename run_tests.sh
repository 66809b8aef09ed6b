#!/usr/bin/env bash
# Set up .venv (pinned dependencies), .venv-hands (MediaPipe) and the GUI test's system packages
# (Xvfb, xdotool, Qt's xcb libraries; Debian/Ubuntu with root or sudo, else those tests skip),
# then run the whole test suite, slow end-to-end tests included.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install_gui_deps.sh
scripts/setup_env.sh
scripts/setup_hands.sh
.venv/bin/python -m pytest -q -ra --durations=25 "$@"
