"""Build a VOC root from the synthetic sample through the real CLI chain (for tests)."""
from __future__ import annotations

from pathlib import Path

from gesturekit.cli import main


def build_sample_voc(out: Path, videos: int = 3, frames: int = 12, every: int = 1,
                     val: float = 0.34, seed: int = 0) -> Path:
    """sample → frames → voc init → voc add → split; returns the VOC root."""
    sample, frame_dir, root = out / "sample", out / "frames", out / "voc"
    assert main(["sample", str(sample), "--videos", str(videos), "--frames", str(frames),
                 "--seed", str(seed)]) == 0
    videos_found = sorted(str(p) for p in (sample / "videos").glob("*.mp4"))
    for argv in (["frames", *videos_found, str(frame_dir), "--every", str(every)],
                 ["voc", "init", str(root), "--classes-file", str(sample / "classes.txt")],
                 ["voc", "add", str(root), str(frame_dir), "--annotations",
                  str(sample / "annotations")],
                 ["split", str(root), "--val", str(val), "--seed", str(seed)]):
        assert main(argv) == 0, argv
    return root
