#!/usr/bin/env bash
# Create .venv-yolo: Ultralytics YOLO (CPU) for the benchmark arm bench/yolo_arm.py. A separate environment on
# purpose: it needs torch/torchvision (a CUDA build of several GB from PyPI, run on the CPU) and must not see
# TensorFlow or the kit. Pins: requirements-yolo-bench.txt. Safe to re-run (installs nothing when up to date).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv-yolo/bin/python ]; then
  "$PYTHON" -m venv .venv-yolo
fi
log=$(mktemp)
cfg=$(mktemp -d)
trap 'rm -rf "$log" "$cfg"' EXIT
.venv-yolo/bin/python -m pip install -q --upgrade pip >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
.venv-yolo/bin/python -m pip install -q -r requirements-yolo-bench.txt >"$log" 2>&1 \
  || { grep -v "^WARNING: Location" "$log" >&2; exit 1; }
YOLO_OFFLINE=1 YOLO_CONFIG_DIR="$cfg" .venv-yolo/bin/python -c "import torch, torchvision, ultralytics
print(f'Ultralytics {ultralytics.__version__} (torch {torch.__version__}, torchvision {torchvision.__version__}) ready in .venv-yolo')"
