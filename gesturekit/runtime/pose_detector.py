"""The pose route as a detector: MediaPipe hands → boxes, the pose classifier → classes.

    with PoseDetector("runs/pose") as detector:          # or export/pose_classifier.xml
        detections = detector.detect(image_bgr)          # detector.inference.Detections

Box = the landmarks' extent grown by ``margin`` (as ``prelabel --hands``), moved to the
dataset's box convention when the classifier learned one (``box_calibration``, see
:mod:`gesturekit.pose.boxes`), label = the classifier's best class, score = MediaPipe's hand score x
that class's probability (optionally averaged with the mirrored hand's, ``mirror_tta``, and
reweighted by the training classes' frequencies, ``prior_weight``; :mod:`gesturekit.pose.classify`).
Where MediaPipe finds no hand, ``retry`` second passes look again (:mod:`gesturekit.pose.retry`).
With ``hand_detector`` (the hybrid route), where they too find none, MediaPipe looks in
the crops of the shipped hand detector's boxes (:mod:`gesturekit.pose.crops`). It has
``.classes`` and ``.detect(image, score_threshold, max_detections)``, so
``detector.evaluate.collect``, ``testDetector.py --pose`` and the demo use it like any
detector.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from detector.card import read_card_file
from detector.inference import Detections, select
from gesturekit.pose import adapter  # noqa: F401  (the engine's pose-classifier adapter)
from gesturekit.pose.boxes import calibrate_boxes
from gesturekit.pose.classify import class_prior, hand_probabilities
from gesturekit.pose.hands import HandsResult
from gesturekit.pose.crops import hybrid_landmarker
from gesturekit.pose.retry import DEFAULT_RETRY, RetryOptions
from voc_tools.errors import GestureKitError

from .backends import choose_backend

EXPORTED_STEM = "pose_classifier"


def pose_model_file(path: Path) -> Path:
    """A directory → its Keras run (.h5) or its export (.xml); a file as given."""
    if not path.is_dir():
        return path
    for name in (f"{EXPORTED_STEM}.h5", f"{EXPORTED_STEM}.xml", f"{EXPORTED_STEM}.onnx"):
        if (path / name).is_file():
            return path / name
    raise GestureKitError("no pose classifier here (expected a gesturekit pose-train run "
                          "or a gesturekit pose-export directory)", path)


def load_pose_classifier(path: str | Path, backend: str = "auto",
                         card_path: str | Path | None = None, server: Any = None) -> Any:
    """A pose classifier with ``.classes`` and ``.predict(features N x D) -> N x C``:
    a pose-train run (directory, .h5 or .json: Keras) or an exported one (.xml: OpenVINO,
    .onnx: onnxruntime), whose card is ``card_path`` or the ``.yaml`` beside the model.
    ``server``: a :class:`gesturekit.runtime.server.ModelServer` to compile an IR on (default: its own).
    """
    path = pose_model_file(Path(path))
    if path.suffix == ".json":
        path = path.with_suffix(".h5")
    chosen = choose_backend(path, backend)
    if chosen == "keras":
        from gesturekit.pose.model import load_pose_classifier as load_keras

        return load_keras(path)
    card = card_path if card_path is not None else path.with_suffix(".yaml")
    if not Path(card).is_file():
        raise GestureKitError(f"no card {Path(card).name} beside the model; pass one or "
                              "export with gesturekit pose-export", path)
    if chosen == "onnxruntime":
        from detector.engine import OnnxRuntimeModel

        model = OnnxRuntimeModel(path, read_card_file(card), name=path.stem)
    else:
        from .server import ModelServer

        server = server if server is not None else ModelServer()
        model = server.add(path.stem, path, card)
    if model.kind != "pose_classifier":
        raise GestureKitError(f"this model is a {model.kind}, not a pose classifier", path)
    return model


def is_pose_model(path: str | Path) -> bool:
    """Whether ``path`` is a pose classifier: a pose-train run or pose-export directory, or
    a model file whose card (the .json of a .h5, the .yaml beside an .xml/.onnx) says kind
    pose_classifier."""
    path = Path(path)
    if path.is_dir():
        return any((path / f"{EXPORTED_STEM}{ext}").is_file() for ext in (".h5", ".xml", ".onnx"))
    card = path.with_suffix(".json" if path.suffix in (".h5", ".json") else ".yaml")
    if path.suffix not in (".h5", ".json", ".xml", ".onnx") or not card.is_file():
        return False
    try:
        return read_card_file(card).kind == "pose_classifier"
    except GestureKitError:
        return False


def open_pose_route(path: str | Path, backend: str = "auto",
                    hand_detector: bool = False) -> "PoseDetector | None":
    """A :class:`PoseDetector` when ``path`` is a pose classifier (see
    :func:`is_pose_model`), else None: lets a tool taking ``--detector`` take either route."""
    return (PoseDetector(path, backend=backend, hand_detector=hand_detector)
            if is_pose_model(path) else None)


class PoseDetector:
    """MediaPipe hand landmarks + a pose classifier, used as a detector; a context manager
    (it owns the MediaPipe worker process)."""

    def __init__(self, pose_model: str | Path | Any, margin: float = 0.15,
                 min_confidence: float = 0.5, max_hands: int = 2,
                 backend: str = "auto", retry: RetryOptions = DEFAULT_RETRY,
                 box_calibration: bool = True, mirror_tta: bool = False,
                 prior_weight: float = 0.0, hand_detector: bool = False) -> None:
        given = hasattr(pose_model, "predict")
        self.classifier = pose_model if given else load_pose_classifier(pose_model, backend)
        metadata = self.classifier.card.metadata  # what pose-train recorded
        self.margin, self.mirror_tta = margin, mirror_tta
        self.calibration = metadata.get("box_calibration") if box_calibration else None
        self.prior = class_prior(metadata.get("train_counts") or {}, self.classes,
                                 prior_weight) if prior_weight else None
        self.landmarker = hybrid_landmarker(max_hands, min_confidence, retry, hand_detector)

    @property
    def classes(self) -> list[str]:
        return list(self.classifier.classes)

    def detect_hands(self, hands: HandsResult, score_threshold: float = 0.05,
                     max_detections: int = 100) -> Detections:
        """Detections of hands already found (e.g. stored by ``gesturekit keypoints``)."""
        count = len(hands.hands)
        if not count:
            empty = np.zeros(0, np.float32)
            return Detections(np.zeros((0, 4), np.float32), empty, empty.astype(np.int64),
                              self.classes)
        probabilities = hand_probabilities(
            self.classifier, np.stack([h.landmarks for h in hands.hands]),
            [h.handedness for h in hands.hands], hands.width / hands.height,
            self.mirror_tta, self.prior)
        labels = probabilities.argmax(axis=1)
        scores = (np.array([h.score for h in hands.hands]) *
                  probabilities[np.arange(count), labels])
        margin = self.calibration["margin"] if self.calibration else self.margin
        boxes = np.array([h.box(hands.width, hands.height, margin) for h in hands.hands])
        boxes = calibrate_boxes(boxes, labels, self.classes, self.calibration, hands.width,
                                hands.height)
        return select(boxes, scores, labels, self.classes, score_threshold, max_detections)

    def detect(self, image_bgr: np.ndarray, score_threshold: float = 0.05,
               max_detections: int = 100) -> Detections:
        """Gesture detections in one BGR image, boxes in its pixels."""
        return self.detect_hands(self.landmarker.detect(image_bgr), score_threshold,
                                 max_detections)

    def close(self) -> None:
        self.landmarker.close()

    def __enter__(self) -> "PoseDetector":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def evaluate_pose_route(pose_model: str | Path, root: str | Path, split: str = "val",
                        out_dir: str | Path | None = None, iou_threshold: float = 0.5,
                        score_threshold: float = 0.05, max_detections: int = 100,
                        margin: float = 0.15, min_confidence: float = 0.5,
                        max_hands: int = 2, backend: str = "auto",
                        retry: RetryOptions = DEFAULT_RETRY, box_calibration: bool = True,
                        mirror_tta: bool = False, prior_weight: float = 0.0,
                        hand_detector: bool = False) -> tuple[Any, dict]:
    """The pose route's VOC mAP on a split, by the code of ``gesturekit evaluate``
    (:func:`detector.evaluate.evaluate_and_report`); writes ``eval_<split>.json`` (with ms
    per image) and ``pr_<split>.png``. Returns the
    :class:`~detector.evaluate.EvalResult` and the report."""
    from detector.evaluate import evaluate_and_report, split_image_ids
    from voc_tools.layout import VocLayout

    layout = VocLayout(Path(root)).require()
    split_image_ids(layout, split)  # an empty list fails before MediaPipe starts
    model_file = pose_model_file(Path(pose_model))
    with PoseDetector(model_file, margin, min_confidence, max_hands, backend, retry,
                      box_calibration, mirror_tta, prior_weight, hand_detector) as detector:
        result, report = evaluate_and_report(
            detector, layout, split, model_file, out_dir, iou_threshold, score_threshold,
            max_detections, label=f"pose route ({model_file.name})", timed=True,
            report_fields={"route": "pose", "margin": margin,
                           "min_confidence": min_confidence, "retry": retry.to_dict(),
                           "box_calibration": detector.calibration is not None,
                           "mirror_tta": mirror_tta, "prior_weight": prior_weight,
                           "hand_detector": hand_detector})
        report.update(detector.landmarker.counts())
        return result, report
