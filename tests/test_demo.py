"""The live demo: the IoU tracker on hand-made boxes, then detector -> tracker -> clip
classifier -> annotated video end to end on real frames of hands.mp4 (Open Model Zoo's
person-detection-asl-0001 and the session's small detector), and one-line errors for bad
input."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from conftest import shared_path
from hostile import frameless_video, run_verb
from test_label_gui import xserver  # noqa: F401  (a module fixture: a private Xvfb)
from test_runtime import CLIP_CLASSES, OMZ, clip_model  # noqa: F401  (a module fixture)

from gesturekit.runtime.demo import DemoOptions, clip_span, load_models, run_demo
from gesturekit.runtime.tracker import IouTracker

FRAMES = 40
REPO = Path(__file__).resolve().parents[1]


def box(x: float, y: float, w: float = 40, h: float = 40) -> list[float]:
    return [x, y, x + w, y + h]


def ids_and_boxes(tracks: list) -> dict[int, list[float]]:
    return {t.id: [round(float(v), 3) for v in t.box] for t in tracks}


# ---------------------------------------------------------------- the tracker

def test_crossing_tracks_keep_their_ids() -> None:
    tracker = IouTracker(iou_threshold=0.3, smoothing=0.5)
    for step in range(21):  # A goes right at y=0, B goes left at y=20; they cross at step 10
        a, b = box(5 * step, 0), box(100 - 5 * step, 20)
        tracks = tracker.update(np.array([b, a]) if step % 2 else np.array([a, b]))
        assert [t.id for t in tracks] == [1, 2]
        assert all(t.missed == 0 for t in tracks)
        by_id = ids_and_boxes(tracks)
        assert by_id[1][1] < 10 < by_id[2][1]  # id 1 stays the upper box A, id 2 the lower B
    assert by_id[1][0] > 80 and by_id[2][0] < 20  # and both really crossed
    assert tracker.next_id == 3


def test_hungarian_matching_beats_greedy() -> None:
    # IoU(T1, D1) .67 is the best pair, but taking it leaves T2 with D2 at IoU .11; the
    # assignment T1-D2 (.54) + T2-D1 (.54) keeps both tracks
    tracker = IouTracker(iou_threshold=0.3, smoothing=0.0)
    tracker.update(np.array([[0, 0, 10, 10], [5, 0, 15, 10]]))
    tracks = tracker.update(np.array([[2, 0, 12, 10], [-3, 0, 7, 10]]))
    assert ids_and_boxes(tracks) == {1: [-3, 0, 7, 10], 2: [2, 0, 12, 10]}
    assert [t.detection for t in tracks] == [1, 0]


def test_smoothed_box_is_a_moving_average() -> None:
    tracker = IouTracker(smoothing=0.75)
    tracker.update(np.array([box(0, 0)]), np.array([0.9]), np.array([1]))
    (track,) = tracker.update(np.array([box(8, 4)]), np.array([0.6]), np.array([0]))
    np.testing.assert_allclose(track.box, [2, 1, 42, 41])  # 0.75 old + 0.25 new
    assert (track.score, track.label, track.hits, track.age) == (pytest.approx(0.6), 0, 2, 2)


def test_a_missed_frame_keeps_the_track_and_too_many_drop_it() -> None:
    tracker = IouTracker(max_missed=2, smoothing=0.0)
    assert [t.id for t in tracker.update(np.array([box(0, 0)]))] == [1]
    (track,) = tracker.update(np.empty((0, 4)))  # missed once: still there, box kept
    assert (track.id, track.missed, track.detection) == (1, 1, None)
    assert track.box.tolist() == box(0, 0)
    (track,) = tracker.update(np.array([box(3, 0)]))
    assert (track.id, track.missed, track.streak) == (1, 0, 1)
    assert [t.missed for t in tracker.update(np.empty((0, 4)))] == [1]
    assert [t.missed for t in tracker.update(np.empty((0, 4)))] == [2]
    assert tracker.update(np.empty((0, 4))) == []  # third miss in a row: dropped
    assert [t.id for t in tracker.update(np.array([box(3, 0)]))] == [2]  # ids never reused


def test_min_hits_confirms_before_an_id_is_given() -> None:
    tracker = IouTracker(min_hits=3, smoothing=0.0)
    noise = np.array([box(200, 200)])
    assert tracker.update(np.array([box(0, 0)])) == []
    assert tracker.update(np.concatenate([[box(1, 0)], noise])) == []
    tracks = tracker.update(np.array([box(2, 0)]))  # 3rd hit; the one-frame noise is gone
    assert [t.id for t in tracks] == [1] and len(tracker.tracks) == 1
    assert tracker.update(np.array([box(3, 0)]))[0].id == 1


def test_clip_span_covers_the_sampled_frames() -> None:
    assert clip_span(8, 25, 12.5) == 15       # every 2nd frame, 8 frames
    assert clip_span(16, 30, 15) == 31
    assert clip_span(4, 10, 10) == 4


# ---------------------------------------------------------------- end to end on real video

def omz_xml() -> Path:
    return shared_path("models", OMZ, "FP32", f"{OMZ}.xml")


def video_facts(path: Path) -> tuple[int, tuple[int, int], np.ndarray]:
    """Frames actually decodable, (width, height), and the first frame."""
    capture, count, first = cv2.VideoCapture(str(path)), 0, None
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            first = frame if first is None else first
            count += 1
    finally:
        capture.release()
    return count, (first.shape[1], first.shape[0]), first


def first_frame(path: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    try:
        return capture.read()[1]
    finally:
        capture.release()


def read_results(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def labels_of(records: list[dict]) -> list[tuple]:
    return [(r["frame"], t["id"], t["label"], t["clip_frame"]) for r in records
            for t in r["tracks"]]


@pytest.fixture(scope="module")
def frame_card(clip_model, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """The clip model's card with ``clip.crop: frame``."""
    data = yaml.safe_load(Path(clip_model[1]).read_text())
    data["clip"]["crop"] = "frame"
    card = tmp_path_factory.mktemp("frame_card") / "clip_frame.yaml"
    card.write_text(yaml.safe_dump(data))
    return card


def test_person_detector_and_clip_classifier_headless_async_equals_sync(
        clip_model, hands_video: Path, tmp_path: Path, capsys) -> None:  # noqa: F811
    xml, card, _ = clip_model
    argv = [str(hands_video), "--detector", str(omz_xml()), "--classifier", str(xml),
            "--classifier-card", str(card), "--no-window", "--threshold", "0.3",
            "--max-frames", str(FRAMES)]
    assert run_verb("demo", argv + ["--output", str(tmp_path / "async.mp4")]) == 0
    printed = capsys.readouterr().out
    assert f"{FRAMES} frames in" in printed and "(async)" in printed
    assert f"per-frame results: {tmp_path / 'async.jsonl'}" in printed
    count, size, first = video_facts(tmp_path / "async.mp4")
    assert (count, size) == (FRAMES, (1280, 720))
    source = first_frame(hands_video)  # white where the FPS box (black, white text) is drawn
    assert source[:40, :100].mean() > 200 and first[:40, :100].mean() < 100
    records = read_results(tmp_path / "async.jsonl")
    assert [r["frame"] for r in records] == list(range(FRAMES))
    assert all(len(r["tracks"]) >= 1 for r in records)  # the person in front of the camera
    span = clip_span(8, 24.98, 12.5)  # a track needs a whole clip before its first label
    every = 2                         # 25 fps video / 12.5 fps clips
    for frame, track_id, label, clip_frame in labels_of(records):
        if frame < span - 1:
            assert label is None
        elif track_id == 1:
            assert label in CLIP_CLASSES and 0 <= frame - clip_frame < every
    assert run_verb("demo", argv + ["--output", str(tmp_path / "sync.mp4"), "--sync"]) == 0
    assert "(sync)" in capsys.readouterr().out
    synced = read_results(tmp_path / "sync.jsonl")
    assert labels_of(synced) == labels_of(records)
    for a, b in zip(records, synced):
        for ta, tb in zip(a["tracks"], b["tracks"]):
            np.testing.assert_allclose(ta["box"], tb["box"], atol=0.2)
            assert ta["score"] == pytest.approx(tb["score"], abs=1e-3)



def test_frame_crop_classifies_the_whole_frame_once_for_every_track(
        clip_model, frame_card: Path, hands_video: Path, tmp_path: Path) -> None:  # noqa: F811
    from gesturekit.runtime.clip import Clip, sample_indices
    from test_runtime import video_frames

    xml = clip_model[0]
    detector, classifier = load_models(omz_xml(), None, xml, frame_card)
    assert classifier.card.clip["crop"] == "frame"
    result = run_demo(hands_video, detector, classifier,
                      DemoOptions(threshold=0.3, max_frames=30, classify_every=3),
                      results=tmp_path / "frame.jsonl")
    assert result.frames == 30 and result.output is None and result.classify_every == 3
    assert set(result.stage_ms) == {"decode", "detect", "track", "classify", "draw", "write"}
    records = read_results(tmp_path / "frame.jsonl")
    labelled = [t for r in records for t in r["tracks"] if t["label"] is not None]
    assert labelled and all(t["clip_frame"] % 3 == 0 for t in labelled)
    last = labelled[-1]
    indices = sample_indices(last["clip_frame"], 8, result.source_fps, 12.5)
    expected = classifier.classify(Clip(video_frames(hands_video, indices), None))
    assert (last["label"], last["score"]) == (expected.name, pytest.approx(expected.score,
                                                                            abs=1e-4))


@pytest.mark.slow
def test_small_detector_keras_on_hands_video_and_its_own_sample(
        small_detector: dict, clip_model, hands_video: Path, tmp_path: Path) -> None:  # noqa: F811
    xml, card, _ = clip_model
    detector, classifier = load_models(small_detector["model"] / "inference.h5", None, xml,
                                       card)
    assert detector.classes == ["grab", "drop"]
    result = run_demo(hands_video, detector, classifier,
                      DemoOptions(threshold=0.3, max_frames=16), tmp_path / "hands.avi")
    assert video_facts(tmp_path / "hands.avi")[:2] == (16, (1280, 720))
    assert len(read_results(tmp_path / "hands.jsonl")) == 16 == result.frames
    sample = sorted((small_detector["root"].parent / "sample" / "videos").glob("*.mp4"))[0]
    # a low threshold: the session's detector trains briefly, some takes score below 0.3
    result = run_demo(sample, detector, classifier, DemoOptions(threshold=0.05),
                      tmp_path / "sample.mp4")
    count, size, _ = video_facts(sample)
    assert video_facts(tmp_path / "sample.mp4")[:2] == (count, size) == (12, (320, 240))
    records = read_results(tmp_path / "sample.jsonl")
    tracks = [t for r in records for t in r["tracks"]]
    assert tracks and {t["detector_class"] for t in tracks} <= {"grab", "drop"}
    assert {t["label"] for t in tracks if t["label"]} <= set(CLIP_CLASSES)
    assert result.clips_classified > 0 and any(t["label"] for t in tracks)
    run_demo(sample, detector, classifier, DemoOptions(threshold=0.05, mode="sync"),
             results=tmp_path / "sync.jsonl")  # tracks come and go: same labels as async
    synced = labels_of(read_results(tmp_path / "sync.jsonl"))
    assert synced == labels_of(records), [
        (a, b) for a, b in zip(synced, labels_of(records)) if a != b][:5]


def test_a_clip_classifier_finds_the_card_beside_it(clip_model,  # noqa: F811
                                                    tmp_path: Path) -> None:
    xml, card, _ = clip_model
    for source, name in ((xml, "model.xml"), (xml.with_suffix(".bin"), "model.bin"),
                         (card, "model.yaml")):
        (tmp_path / name).write_bytes(Path(source).read_bytes())
    _, classifier = load_models(omz_xml(), None, tmp_path / "model.xml")  # no card given
    assert classifier.card.path == tmp_path / "model.yaml"
    assert classifier.classes == CLIP_CLASSES


# ---------------------------------------------------------------- bad input, one line each

@pytest.fixture
def bad_inputs(clip_model, tmp_path: Path) -> dict:  # noqa: F811
    xml, card, _ = clip_model
    data = yaml.safe_load(Path(card).read_text())
    data["input"]["height"] = data["input"]["width"] = 32
    small = tmp_path / "small.yaml"
    small.write_text(yaml.safe_dump(data))
    (tmp_path / "taken.mp4").write_bytes(b"keep me")
    return {"xml": str(xml), "card": str(card), "small": str(small),
            "frameless": str(frameless_video(tmp_path / "frameless.avi")),
            "taken": str(tmp_path / "taken.mp4"), "omz": str(omz_xml())}


@pytest.mark.parametrize("argv, message", [
    (["{frameless}", "--detector", "{omz}"], "frameless.avi: video has no readable frames"),
    (["7", "--detector", "{omz}"], "camera 7: cannot open the camera"),
    (["{hands}", "--detector", "{omz}", "--classifier", "{xml}", "--classifier-card",
      "{small}"], "small.yaml: card input size 32x32 disagrees with the model"),
    (["{hands}", "--detector", "{xml}", "--detector-card", "{card}"],
     "this model is a clip_classifier, not a detector"),
    (["{hands}", "--detector", "{omz}", "--classifier", "{omz}"],
     "this model is a detector, not a clip classifier"),
    (["{hands}", "--detector", "{omz}", "--output", "{taken}"],
     "taken.mp4: exists; use --force to replace it"),
    (["{hands}", "--detector", "{omz}", "--classify-every", "0"],
     "--classify-every must be at least 1"),
])
def test_bad_input_is_one_line(bad_inputs: dict, hands_video: Path, argv: list[str],
                               message: str, capsys) -> None:
    values = {**bad_inputs, "hands": str(hands_video)}
    assert run_verb("demo", [a.format(**values) for a in argv] + ["--no-window"]) == 2
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gesturekit demo: error: ")
    assert message in lines[0]
    assert Path(bad_inputs["taken"]).read_bytes() == b"keep me"


def test_a_window_without_a_display_is_one_line(hands_video: Path, monkeypatch,
                                                capsys) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert run_verb("demo", [str(hands_video), "--detector", "unused.xml"]) == 2
    assert "no display ($DISPLAY is not set) for the window: use --no-window" in \
        capsys.readouterr().out


# ---------------------------------------------------------------- the window

def shown_window(env: dict) -> bool:
    return bool(subprocess.run(["xdotool", "search", "--onlyvisible", "--name",
                                "gesturekit demo"], env=env, capture_output=True,
                               text=True).stdout.split())


def test_window_on_a_display_runs_until_q(xserver: str, hands_video: Path,  # noqa: F811
                                          tmp_path: Path) -> None:
    env = {**os.environ, "DISPLAY": xserver}
    env.pop("QT_QPA_PLATFORM", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gesturekit", "demo", str(hands_video), "--detector",
         str(omz_xml()), "--threshold", "0.3", "--max-frames", "900", "--output",
         str(tmp_path / "shown.mp4")], cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not shown_window(env) and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[1]
            time.sleep(0.3)
        assert shown_window(env), "the demo window never appeared"
        time.sleep(1.0)  # let it show some frames
        for args in (["search", "--onlyvisible", "--name", "gesturekit demo", "windowfocus",
                      "--sync"], ["key", "q"]):
            subprocess.run(["xdotool", *args], env=env, check=True, timeout=15)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    shown = int(out.split(" frames in ")[0].split()[-1])
    assert 0 < shown < 900 and "(async)" in out  # q stopped it early
    assert video_facts(tmp_path / "shown.mp4")[:2] == (shown, (1280, 720))
    assert "Qt no longer ships fonts" not in err and "Traceback" not in err
