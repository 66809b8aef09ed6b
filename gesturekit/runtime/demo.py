"""The live gesture demo: detector -> IoU tracker -> per-track clip buffer -> clip classifier
-> annotated frames, as OpenVINO's gesture recognition demo chains them.

Frames come from a video file or a camera (:mod:`gesturekit.runtime.video`). Each frame's detections
update an :class:`~runtime.tracker.IouTracker`; every track keeps the recent frames in a
:class:`~runtime.clip.ClipSampler` at the classifier card's ``clip.fps``, and every
``classify_every`` frames each track with a full clip is classified: ``Clip(frames, box)``
for a card with ``clip.crop: box`` (centre square on the tracked box), ``Clip(frames,
None)`` for ``clip.crop: frame`` (one clip of the whole frame, its label shown on every
track). A track shows the label of its newest classified clip.

``mode="async"``: frames are decoded ahead in a thread, detections run on OpenVINO infer
requests one frame ahead (``ServedModel.stream``; a worker thread for .h5/.onnx
detectors), clips on an ``AsyncInferQueue``, and the output video is encoded in its own
thread. A frame is drawn once the clips submitted up to it are classified, so both modes
give the same labels. ``mode="sync"`` runs every stage in turn (the baseline).
"""
from __future__ import annotations

import json
import os
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from voc_tools.errors import GestureKitError

from .async_jobs import AsyncJobs, SyncJobs
from .clip import Clip, ClipPrediction, ClipSampler, sample_indices
from .overlay import TrackView, draw_fps, draw_tracks
from .server import ModelServer, ServedModel
from .tracker import IouTracker, Track
from .video import FOURCC, FrameReader, Source, VideoSink, open_source

MODES = ("async", "sync")
STAGES = ("decode", "detect", "track", "classify", "draw", "write")
WINDOW = "gesturekit demo"
FRAME_KEY = 0  # the sampler key of the whole frame (clip.crop: frame); track ids start at 1
SYSTEM_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype",
                    "/usr/share/fonts")


@dataclass
class DemoOptions:
    """Settings of one demo run (the CLI's flags)."""

    threshold: float = 0.5          # minimum detector score
    max_detections: int = 10
    max_frames: int | None = None
    classify_every: int | None = None  # None: the classifier card's frame stride
    mode: str = "async"
    window: bool = False
    iou_threshold: float = 0.3
    max_missed: int = 5
    min_hits: int = 1
    smoothing: float = 0.5
    warmup: bool = True             # one untimed inference per model before the clock starts
    progress: bool = False          # a tqdm bar of finished frames

    def validate(self) -> "DemoOptions":
        if not 0 <= self.threshold <= 1:
            raise GestureKitError(f"--threshold must be in 0..1 (got {self.threshold})")
        if self.max_frames is not None and self.max_frames < 1:
            raise GestureKitError(f"--max-frames must be at least 1 (got {self.max_frames})")
        if self.classify_every is not None and self.classify_every < 1:
            raise GestureKitError(f"--classify-every must be at least 1 "
                                  f"(got {self.classify_every})")
        if self.mode not in MODES:
            raise GestureKitError(f"unknown mode '{self.mode}' (one of {', '.join(MODES)})")
        return self


@dataclass
class DemoResult:
    """What a run did and how fast: ``stage_ms`` is milliseconds per frame of each stage
    (sync: the stage's cost; async: decode and write in their threads, the others in the
    main thread including the waits for results)."""

    frames: int
    seconds: float
    mode: str
    source_fps: float
    size: tuple[int, int]
    classify_every: int | None
    clips_classified: int
    tracks_started: int
    stage_ms: dict[str, float] = field(default_factory=dict)
    output: Path | None = None
    results: Path | None = None

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        stages = ", ".join(f"{k} {v:.1f}" for k, v in self.stage_ms.items())
        return (f"{self.frames} frames in {self.seconds:.2f} s: {self.fps:.1f} FPS ({self.mode}); "
                f"{self.tracks_started} tracks, {self.clips_classified} clips classified; "
                f"ms per frame: {stages}")


class StageTimes:
    """Seconds spent per stage, from any thread."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] += seconds  # one writer per stage: no lock needed

    def adder(self, stage: str):  # type: ignore[no-untyped-def]
        return lambda seconds: self.add(stage, seconds)

    def per_frame_ms(self, frames: int) -> dict[str, float]:
        return {k: round(1000 * v / max(frames, 1), 2) for k, v in self.seconds.items()}


class Stopwatch:
    """``with Stopwatch(times, 'draw'):`` adds the block's seconds to a stage."""

    def __init__(self, times: StageTimes, stage: str) -> None:
        self.times, self.stage = times, stage

    def __enter__(self) -> "Stopwatch":
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.times.add(self.stage, time.perf_counter() - self.start)


def open_window() -> None:
    """Create the demo's (resizable) window. opencv-python points Qt at a font folder it
    does not ship, and Qt then warns on every frame: use the system's fonts instead."""
    import cv2  # sets QT_QPA_FONTDIR on import

    fonts = os.environ.get("QT_QPA_FONTDIR")
    if fonts and not Path(fonts).is_dir():
        found = next((d for d in SYSTEM_FONT_DIRS if Path(d).is_dir()), None)
        if found is None:
            del os.environ["QT_QPA_FONTDIR"]
        else:
            os.environ["QT_QPA_FONTDIR"] = found
    cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)


def load_models(detector: str | Path, detector_card: str | Path | None = None,
                classifier: str | Path | None = None,
                classifier_card: str | Path | None = None,
                backend: str = "auto",
                hand_detector: bool = False) -> tuple[Any, ServedModel | None]:
    """The detector (.h5, .onnx, or .xml served by OpenVINO; or a pose classifier, for the
    MediaPipe pose route, with ``hand_detector`` the hybrid route) and the clip classifier
    (.xml or .onnx, OpenVINO) with their cards; a model of the other kind is a one-line
    error."""
    from .backends import choose_backend, load_detector
    from .pose_detector import open_pose_route

    server = ModelServer()
    path = Path(detector)
    pose = open_pose_route(path, backend, hand_detector)
    if pose is not None:
        found = pose
    elif choose_backend(path, backend) == "openvino":
        found = server.add("detector", path, detector_card)
    else:
        found = load_detector(path, backend, detector_card)
    kind = getattr(found, "kind", "detector")
    if kind != "detector":
        raise GestureKitError(f"this model is a {kind}, not a detector; pass it with "
                              "--classifier", path)
    if classifier is None:
        return found, None
    served = server.add("classifier", classifier, classifier_card)
    if served.kind != "clip_classifier":
        raise GestureKitError(f"this model is a {served.kind}, not a clip classifier; pass it "
                              "with --detector", classifier)
    return found, served


def clip_span(length: int, source_fps: float, target_fps: float) -> int:
    """How many source frames a clip covers (newest - oldest + 1)."""
    newest = 1 << 30
    return newest - sample_indices(newest, length, source_fps, target_fps)[0] + 1


class ClipScheduler:
    """Per-track frame buffers (one for the whole frame with ``clip.crop: frame``) and the
    clips due at each frame: every ``every`` frames, for buffers holding a whole clip."""

    def __init__(self, card: Any, source_fps: float, every: int) -> None:
        self.card, self.source_fps, self.every = card, source_fps, every
        self.whole_frame = card.clip["crop"] == "frame"
        self.span = clip_span(card.clip["frames"], source_fps, card.clip["fps"])
        self.samplers: dict[int, ClipSampler] = {}

    def _sampler(self, key: int) -> ClipSampler:
        if key not in self.samplers:
            self.samplers[key] = ClipSampler(self.card.clip["frames"], self.source_fps,
                                               self.card.clip["fps"])
        return self.samplers[key]

    def push(self, index: int, frame: np.ndarray, tracks: list[Track]) -> list[tuple[int, Clip]]:
        """Add the frame to the live buffers; returns the (key, clip) pairs to classify."""
        keys = [FRAME_KEY] if self.whole_frame else [t.id for t in tracks]
        for key in list(self.samplers):
            if key not in keys:
                del self.samplers[key]
        for key in keys:
            self._sampler(key).push(frame)
        if not tracks or index % self.every:
            return []
        boxes = {t.id: tuple(float(v) for v in t.box) for t in tracks}
        return [(key, Clip(self.samplers[key].clip(), None if self.whole_frame else boxes[key]))
                for key in keys if self.samplers[key].count >= self.span]


@dataclass
class PendingFrame:
    index: int
    frame: np.ndarray
    views: list[TrackView]
    jobs: list[tuple[int, int]]  # (frame index, sampler key) of the clips submitted here


class DemoPipeline:
    """One run of the demo over a source; see the module docstring."""

    def __init__(self, detector: Any, classifier: ServedModel | None, source: Source,
                 options: DemoOptions) -> None:
        self.detector, self.classifier, self.source = detector, classifier, source
        self.options = options
        self.asynchronous = options.mode == "async"
        self.times = StageTimes()
        self.tracker = IouTracker(options.iou_threshold, options.max_missed, options.min_hits,
                                  options.smoothing)
        self.every: int | None = None
        self.scheduler: ClipScheduler | None = None
        self.jobs: SyncJobs | None = None
        if classifier is not None:
            card = classifier.card
            self.every = options.classify_every or max(1, round(source.fps / card.clip["fps"]))
            self.scheduler = ClipScheduler(card, source.fps, self.every)
            self.jobs = AsyncJobs(classifier) if self.asynchronous else SyncJobs(classifier)
        self.labels: dict[int, tuple[ClipPrediction, int]] = {}
        self.pending: deque[PendingFrame] = deque()
        self.finished = 0
        self.clips = 0
        self.stopped = False
        self.sink: VideoSink | None = None
        self.results_file: Any = None
        self._frame_times: deque[float] = deque(maxlen=30)
        self.bar: Any = None

    # ------------------------------------------------------------------ detection
    def _detect(self, frame: np.ndarray) -> Any:
        return self.detector.detect(frame, self.options.threshold, self.options.max_detections)

    def detections(self, frames: Iterator[tuple[int, np.ndarray]]
                   ) -> Iterator[tuple[int, np.ndarray, Any]]:
        """``(index, frame, detections)`` in order; async: inference runs ahead."""
        if not self.asynchronous:
            for index, frame in frames:
                with Stopwatch(self.times, "detect"):
                    found = self._detect(frame)
                yield index, frame, found
            return
        waiting: deque[tuple[int, np.ndarray]] = deque()

        def feed() -> Iterator[np.ndarray]:
            for index, frame in frames:
                waiting.append((index, frame))
                yield frame

        if isinstance(self.detector, ServedModel):
            results = self.detector.stream(feed(), score_threshold=self.options.threshold,
                                           max_detections=self.options.max_detections)
        else:
            results = self._ahead_in_thread(feed())
        while True:
            with Stopwatch(self.times, "detect"):
                found = next(results, None)
            if found is None:
                return
            yield (*waiting.popleft(), found)

    def _ahead_in_thread(self, frames: Iterator[np.ndarray], depth: int = 2) -> Iterator[Any]:
        with ThreadPoolExecutor(1) as pool:
            futures: deque = deque()
            for frame in frames:
                futures.append(pool.submit(self._detect, frame))
                if len(futures) > depth:
                    yield futures.popleft().result()
            while futures:
                yield futures.popleft().result()

    # ------------------------------------------------------------------ per frame
    def track(self, index: int, frame: np.ndarray, found: Any) -> None:
        """Update the tracks, submit the clips due, queue the frame for drawing."""
        with Stopwatch(self.times, "track"):
            tracks = self.tracker.update(found.boxes, found.scores, found.labels)
            views = [TrackView(t.id, tuple(float(v) for v in t.box),
                               found.classes[t.label], t.score, t.missed) for t in tracks]
            due = self.scheduler.push(index, frame, tracks) if self.scheduler else []
        with Stopwatch(self.times, "classify"):
            for key, clip in due:
                self.jobs.submit((index, key), clip)
        self.clips += len(due)
        self.pending.append(PendingFrame(index, frame, views, [(index, k) for k, _ in due]))

    def drain(self, wait: bool) -> None:
        """Finish queued frames in order: all of them (``wait``), else those whose clips are
        classified, keeping at most 4 waiting."""
        while self.pending and (wait or len(self.pending) > 4 or all(
                self.jobs.ready(job) for job in self.pending[0].jobs)):
            self.finish(self.pending.popleft())

    def finish(self, pending: PendingFrame) -> None:
        """Collect the frame's clip labels, draw, write and show it."""
        with Stopwatch(self.times, "classify"):
            for job in pending.jobs:
                self.labels[job[1]] = (self.jobs.pop(job), job[0])
            live = {view.id for view in pending.views}  # a track gone never comes back
            for key in [k for k in self.labels if k != FRAME_KEY and k not in live]:
                del self.labels[key]
        with Stopwatch(self.times, "draw"):
            for view in pending.views:
                label = self.labels.get(FRAME_KEY if self.scheduler and
                                        self.scheduler.whole_frame else view.id)
                if label is not None:
                    view.label, view.score, view.clip_frame = label[0].name, label[0].score, \
                        label[1]
            now = time.perf_counter()
            self._frame_times.append(now)
            span = now - self._frame_times[0]
            fps = (len(self._frame_times) - 1) / span if span > 0 else 0.0
            canvas = draw_fps(draw_tracks(pending.frame, pending.views), fps)
        with Stopwatch(self.times, "write"):
            if self.sink is not None:
                self.sink.write(canvas)
            if self.results_file is not None:
                self.results_file.write(json.dumps({
                    "frame": pending.index, "tracks": [v.record() for v in pending.views]})
                    + "\n")
        if self.options.window:
            self.show(canvas)
        if self.bar is not None:
            self.bar.update()
        self.finished += 1

    def show(self, canvas: np.ndarray) -> None:
        import cv2

        cv2.imshow(WINDOW, canvas)
        key = cv2.waitKey(1) & 0xFF
        if key in (27, ord("q")) or cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
            self.stopped = True

    # ------------------------------------------------------------------ the run
    def warm_up(self) -> None:
        """One untimed inference per model (first-call compilation, THROUGHPUT compiles)."""
        blank = np.zeros((max(self.source.height, 32), max(self.source.width, 32), 3), np.uint8)
        self._detect(blank)
        if isinstance(self.detector, ServedModel) and self.asynchronous:
            _ = self.detector.throughput_compiled
        if self.classifier is not None:
            self.classifier.classify(Clip([blank] * self.classifier.card.clip["frames"]))
            if self.asynchronous:
                _ = self.classifier.throughput_compiled

    def run(self, output: Path | None, results: Path | None) -> DemoResult:
        reader = FrameReader(self.source, self.options.max_frames, self.asynchronous,
                             timer=self.times.adder("decode"))
        frames = self.detections(iter(reader))
        keep = False
        try:
            if self.options.warmup:
                self.warm_up()
            if self.options.window:
                open_window()
            if output is not None:
                self.sink = VideoSink(output, self.source.fps,
                                      (self.source.width, self.source.height),
                                      self.asynchronous, self.times.adder("write"))
            if results is not None:
                self.results_file = results.open("w", encoding="utf-8")
            if self.options.progress:
                from tqdm import tqdm

                total = [n for n in (self.source.frame_count, self.options.max_frames) if n]
                self.bar = tqdm(total=min(total) if total else None, unit="frame",
                                desc=Path(self.source.name).name, leave=False)
            start = time.perf_counter()
            for index, frame, found in frames:
                self.track(index, frame, found)
                self.drain(wait=not self.asynchronous)
                if self.stopped:
                    break
            self.drain(wait=True)
            keep = True
        finally:
            frames.close()
            reader.close()
            if self.bar is not None:
                self.bar.close()
            if self.jobs is not None:
                self.jobs.close()
            if self.sink is not None:
                with Stopwatch(self.times, "write"):
                    self.sink.close(keep)
            if self.results_file is not None:
                self.results_file.close()
                if not keep:
                    results.unlink(missing_ok=True)
        seconds = time.perf_counter() - start
        return DemoResult(self.finished, seconds, self.options.mode, self.source.fps,
                          (self.source.width, self.source.height), self.every, self.clips,
                          self.tracker.next_id - 1, self.times.per_frame_ms(self.finished),
                          output, results)


def results_path(output: Path) -> Path:
    """The per-frame results beside an output video: ``out.mp4`` -> ``out.jsonl``."""
    return output.with_suffix(".jsonl")


def check_outputs(output: str | Path | None, results: str | Path | None,
                  force: bool = False) -> tuple[Path | None, Path | None]:
    """The output video and results paths (results default beside the video); existing
    files are refused unless ``force``."""
    output = None if output is None else Path(output)
    results = Path(results) if results is not None else (
        results_path(output) if output is not None else None)
    if output is not None and output.suffix.lower() not in FOURCC:
        raise GestureKitError(f"unsupported output video (expected {' or '.join(FOURCC)})",
                              output)
    if output is not None and output == results:
        raise GestureKitError("the results file cannot be the output video", output)
    for path in (output, results):
        if path is not None and path.exists() and not force:
            raise GestureKitError("exists; use --force to replace it", path)
        if path is not None and not path.parent.is_dir():
            raise GestureKitError("the folder for this file does not exist", path)
    return output, results


def run_demo(source: str | int | Source, detector: Any, classifier: ServedModel | None = None,
             options: DemoOptions | None = None, output: str | Path | None = None,
             results: str | Path | None = None, force: bool = False) -> DemoResult:
    """Run the demo on a video file or camera index (or an opened :class:`Source`, which
    this releases) with loaded models (:func:`load_models`).

    ``output``: the annotated video (.mp4/.avi); ``results``: per-frame JSON lines
    (default beside ``output``). Existing files are refused unless ``force``.
    """
    opened = source if isinstance(source, Source) else None
    try:
        options = (options or DemoOptions()).validate()
        output, results = check_outputs(output, results, force)
        opened = opened or open_source(source)
        return DemoPipeline(detector, classifier, opened, options).run(output, results)
    finally:
        if opened is not None:
            opened.capture.release()
        if options is not None and options.window:
            import cv2

            cv2.destroyAllWindows()
