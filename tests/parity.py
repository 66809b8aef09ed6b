"""Whether two backends' detections of one image agree (the export and runtime tests)."""
from __future__ import annotations

import numpy as np

TOP = 10  # detections compared per image


def covered(these, others, iou: float = 0.99, score_tol: float = 1e-3) -> bool:  # type: ignore[no-untyped-def]
    """Every detection of ``these`` has its own partner in ``others``: same label,
    IoU >= iou, score within score_tol."""
    from detector.evaluate import box_overlaps

    if len(these) == 0:
        return True
    if len(others) == 0:
        return False
    overlaps = box_overlaps(these.boxes, others.boxes)
    free = np.ones(len(others), dtype=bool)
    for i in range(len(these)):
        ok = (free & (overlaps[i] >= iou) & (others.labels == these.labels[i])
              & (np.abs(others.scores - these.scores[i]) <= score_tol))
        if not ok.any():
            return False
        free[np.flatnonzero(ok)[0]] = False
    return True


def top_detections(found, n: int):  # type: ignore[no-untyped-def]
    """The ``n`` best detections (``detect`` returns them best first)."""
    from detector.inference import Detections

    return Detections(found.boxes[:n], found.scores[:n], found.labels[:n], found.classes)


def matched(reference, other, top: int = TOP) -> bool:  # type: ignore[no-untyped-def]
    """The ``top`` best detections of each side have partners on the other side. A barely
    trained model fills all 100 slots with scores of 0.16-0.5, and which near-tied boxes
    make the 100 cut (or survive NMS at IoU ~0.5) differs between backends by float noise,
    so the tail is not compared."""
    return (covered(top_detections(reference, top), other)
            and covered(top_detections(other, top), reference))
