"""The live demo: the IoU tracker on hand-made boxes, then detector -> tracker -> clip
classifier -> annotated video end to end on real frames of hands.mp4 (Open Model Zoo's
person-detection-asl-0001 and the session's small detector), and one-line errors for bad
input."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from conftest import shared_path
from hostile import frameless_video, run_verb
from test_runtime import CLIP_CLASSES, OMZ, clip_model  # noqa: F401  (a module fixture)

from runtime.demo import DemoOptions, clip_span, load_models, run_demo
from runtime.tracker import IouTracker

FRAMES = 40


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
