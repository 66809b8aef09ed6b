"""MediaPipe hand-landmark worker, run by :mod:`gesturekit.pose.hands` inside ``.venv-hands``.

MediaPipe 0.10.14 (the last release whose wheel bundles the hand models and still has
``solutions.hands``) needs protobuf < 5 and opencv-contrib-python; TensorFlow 2.21 needs
protobuf >= 6.31 and keras-retinanet opencv-python. So it lives in its own virtualenv
and this script, which imports nothing of GestureKit, talks to the kit over pipes.

Protocol (one request per line on stdin, one JSON line per request on stdout):
  {"path": "img.jpg"}                          an image file
  {"frame": [height, width]} + raw BGR bytes   a decoded frame (uint8, height*width*3)
Reply: {"width": W, "height": H, "hands": [{"handedness": "Left", "score": 0.98,
        "landmarks": [[x, y, z], ... 21 normalised points]}]} or {"error": "..."}.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def _reply_stream():  # type: ignore[no-untyped-def]
    """Keep the real stdout for replies; anything native code prints goes to stderr."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    return replies


def _hands_of(result) -> list[dict]:  # type: ignore[no-untyped-def]
    hands = []
    for marks, handed in zip(result.multi_hand_landmarks or [], result.multi_handedness or []):
        label = handed.classification[0]
        hands.append({"handedness": label.label, "score": round(float(label.score), 4),
                      "landmarks": [[round(p.x, 5), round(p.y, 5), round(p.z, 5)]
                                    for p in marks.landmark]})
    return hands


def _read_frame(request: dict, stdin):  # type: ignore[no-untyped-def]
    import numpy as np

    height, width = (int(v) for v in request["frame"])
    data = stdin.read(height * width * 3)
    if len(data) != height * width * 3:
        raise EOFError("frame data cut short")
    return np.frombuffer(data, np.uint8).reshape(height, width, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-hands", type=int, default=2)
    parser.add_argument("--min-confidence", type=float, default=0.5)
    parser.add_argument("--video", action="store_true",
                        help="track hands across consecutive frames (default: still images)")
    args = parser.parse_args()
    replies = _reply_stream()
    os.environ.setdefault("GLOG_minloglevel", "2")
    import warnings

    warnings.filterwarnings("ignore")
    import cv2
    import mediapipe as mp

    hands = mp.solutions.hands.Hands(static_image_mode=not args.video,
                                     max_num_hands=args.max_hands,
                                     min_detection_confidence=args.min_confidence)
    replies.write(json.dumps({"ready": mp.__version__}) + "\n")
    stdin = sys.stdin.buffer
    for line in iter(stdin.readline, b""):
        try:
            request = json.loads(line)
            if "frame" in request:
                image = _read_frame(request, stdin)
            else:
                image = cv2.imread(request["path"], cv2.IMREAD_COLOR)
                if image is None:
                    raise ValueError("not a readable image")
            result = hands.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            reply = {"width": image.shape[1], "height": image.shape[0],
                     "hands": _hands_of(result)}
        except EOFError:
            break
        except Exception as err:  # noqa: BLE001 - reported to the caller, one line
            reply = {"error": f"{type(err).__name__}: {err}"}
        replies.write(json.dumps(reply) + "\n")
    hands.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
