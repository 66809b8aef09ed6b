"""INT8 post-training quantization (NNCF) of the detector network, NMS kept in float.

NNCF calibrates the raw network (boxes + class scores, before NMS); OpenVINO's NMS is
attached afterwards, so the selection logic stays exact float and only the convolutions
run in INT8. Calibration images come from a VOC split, preprocessed exactly like inference.
"""
from __future__ import annotations

from pathlib import Path

from detector.preprocess import InputRule, to_network
from voc_tools.errors import GestureKitError



def calibration_images(root: Path, split: str, limit: int) -> list[Path]:
    """Up to ``limit`` image paths of a VOC root's split, evenly spread over the list."""
    from voc_tools.layout import VocLayout

    layout = VocLayout(Path(root)).require()
    ids = layout.read_split(split)
    if not ids:
        raise GestureKitError(f"the '{split}' list is empty", layout.split_path(split))
    step = max(1, len(ids) // max(1, limit))
    return [layout.image_path(i) for i in ids[::step][:limit]]


def quantize_int8(raw_model, rule: InputRule, images: list[Path]):  # type: ignore[no-untyped-def]
    """The raw ``ov.Model`` quantized by NNCF on ``images`` (mixed preset, CPU)."""
    import nncf

    from voc_tools.image_io import read_image_bgr

    def transform(path: Path):  # type: ignore[no-untyped-def]
        return to_network(read_image_bgr(path), rule)[0]

    dataset = nncf.Dataset(images, transform)
    return nncf.quantize(raw_model, dataset, subset_size=len(images),
                         preset=nncf.QuantizationPreset.MIXED)
