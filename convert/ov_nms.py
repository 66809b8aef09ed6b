"""keras-retinanet's FilterDetections rebuilt from OpenVINO operations.

Per class: scores > score_threshold, NMS (IoU > nms_threshold suppresses, corner boxes
without +1), at most ``max_detections`` each; then the best ``max_detections`` over all
classes by score, padded with -1 (boxes, scores, labels), batch 1. Same outputs as the
Keras inference model: boxes (1, N, 4) float32, scores (1, N) float32, labels (1, N) int32.
"""
from __future__ import annotations

import numpy as np


def add_nms(boxes, classification, settings: dict) -> tuple:  # type: ignore[no-untyped-def]
    """OpenVINO outputs (boxes, scores, labels) from raw boxes (1,N,4), scores (1,N,C)."""
    from openvino import opset13 as ops

    def const(value, dtype=np.int64):  # type: ignore[no-untyped-def]
        return ops.constant(np.array(value, dtype=dtype))

    limit = int(settings["max_detections"])
    scores_t = ops.transpose(classification, const([0, 2, 1]))  # (1, C, N)
    nms = ops.non_max_suppression(
        boxes, scores_t, const(limit), const(settings["nms_threshold"], np.float32),
        const(settings["score_threshold"], np.float32), box_encoding="corner",
        sort_result_descending=False, output_type="i64")
    selected, selected_scores = nms.output(0), nms.output(1)  # (M, 3): batch, class, box
    column = lambda tensor, i: ops.squeeze(  # noqa: E731
        ops.gather(tensor, const([i]), const(1)), const([1]))
    labels, box_index, scores = column(selected, 1), column(selected, 2), \
        column(selected_scores, 2)
    count = ops.gather(ops.shape_of(scores), const(0), const(0))
    k = ops.minimum(count, const(limit))
    top = ops.topk(scores, k, 0, "max", "value", "i64", stable=True)
    top_scores, order = top.output(0), top.output(1)
    top_labels = ops.gather(labels, order, const(0))
    top_boxes = ops.gather(ops.squeeze(boxes, const([0])), ops.gather(box_index, order, const(0)),
                           const(0))
    pad = ops.unsqueeze(ops.subtract(const(limit), k), const(0))
    zero = const([0])
    out_boxes = ops.pad(top_boxes, ops.concat([zero, zero], 0), ops.concat([pad, zero], 0),
                        "constant", const(-1.0, np.float32))
    out_scores = ops.pad(top_scores, zero, pad, "constant", const(-1.0, np.float32))
    out_labels = ops.pad(ops.convert(top_labels, "i32"), zero, pad, "constant",
                         const(-1, np.int32))
    return (ops.unsqueeze(out_boxes, const([0])), ops.unsqueeze(out_scores, const([0])),
            ops.unsqueeze(out_labels, const([0])))
