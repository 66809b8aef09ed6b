#!/usr/bin/env bash
# The main job on the built-in synthetic sample, on a fresh machine:
# set up .venv, then sample -> frames -> VOC -> split -> check -> train -> best -> convert
# -> evaluate -> testDetector. Prints the val mAP and the annotated image's path.
# Each run writes into a new folder (work/sample-<time>); nothing earlier is touched.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup_env.sh
export PATH="$PWD/.venv/bin:$PATH"
OUT=${1:-work/sample-$(date +%Y%m%d-%H%M%S)}
EPOCHS=${EPOCHS:-6}
STEPS=${STEPS:-90}

gesturekit sample "$OUT/sample" --videos 16 --frames 24
gesturekit frames "$OUT"/sample/videos/*.mp4 "$OUT/frames"
gesturekit voc init "$OUT/voc" --classes-file "$OUT/sample/classes.txt"
gesturekit voc add "$OUT/voc" "$OUT/frames" --annotations "$OUT/sample/annotations"
gesturekit split "$OUT/voc" --val 0.3 --seed 0
gesturekit check "$OUT/voc"
# The kit's default recipe: fine-tune the hand detector it ships (--weights hands, no
# downloads), backbone included, at 192..256 px; the sample needs 6 epochs of 90 steps.
gesturekit train "$OUT/voc" --out "$OUT/run" --epochs "$EPOCHS" --steps "$STEPS"
best=$(gesturekit best "$OUT/run" --by map | sed -n 's/^best: //p')
gesturekit convert "$best" "$OUT/model"
gesturekit evaluate "$OUT/model/inference.h5" "$OUT/voc" --split val
image=$(head -n 1 "$OUT/voc/ImageSets/Main/val.txt")
python testDetector.py --model "$OUT/model/inference.h5" \
  --image "$OUT/voc/JPEGImages/$image.jpg" --output "$OUT/detections.jpg"
echo "annotated image: $OUT/detections.jpg"
