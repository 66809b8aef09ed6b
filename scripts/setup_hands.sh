#!/usr/bin/env bash
# Create .venv-hands: MediaPipe 0.10.14 hand landmarks for `gesturekit prelabel --hands` and the
# pose route. It is a separate environment on purpose: mediapipe 0.10.14 pins protobuf<5 and
# pulls opencv-contrib-python, while TensorFlow 2.21 needs protobuf>=6.31 and keras-retinanet
# opencv-python. GestureKit runs it as a worker process (gesturekit/pose/mediapipe_worker.py). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv-hands/bin/python ]; then
  "$PYTHON" -m venv .venv-hands
fi
.venv-hands/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv-hands/bin/python -m pip install -q -r requirements-hands.txt
.venv-hands/bin/python -c "import mediapipe; mediapipe.solutions.hands.Hands().close()" 2>/dev/null \
  && echo "MediaPipe $(.venv-hands/bin/python -c 'import mediapipe; print(mediapipe.__version__)') ready in .venv-hands"
