"""The MediaPipe hand options shared by prelabel, keypoints, pseudolabel and pose-eval."""
from __future__ import annotations

import argparse


def add_hand_options(parser: argparse.ArgumentParser, applies_to: str = "",
                     max_hands: bool = True) -> None:
    """``--margin``, ``--min-confidence`` and (unless ``max_hands`` is False)
    ``--max-hands``; ``applies_to`` (e.g. ``"--hands"``) prefixes their help."""
    prefix = f"{applies_to}: " if applies_to else ""
    parser.add_argument("--margin", type=float, default=0.15,
                        help=f"{prefix}a hand's box is the landmarks' extent grown by this "
                             "fraction of its longer side (default 0.15; use one value for "
                             "keypoints, pose-eval and pseudolabel)")
    parser.add_argument("--min-confidence", type=float, default=0.5,
                        help=f"{prefix}MediaPipe's minimum hand-detection confidence "
                             "(default 0.5; lower finds more hands, and more false ones)")
    if max_hands:
        parser.add_argument("--max-hands", type=int, default=2,
                            help=f"{prefix}at most this many hands per image (default 2)")


def add_box_calibration_option(parser: argparse.ArgumentParser, applies_to: str = "",
                               note: str = "") -> None:
    """``--no-box-calibration``: keep MediaPipe's hand boxes instead of moving them by the
    box convention the pose model learned at pose-train (:mod:`gesturekit.pose.boxes`)."""
    prefix = f"{applies_to}: " if applies_to else ""
    parser.add_argument("--no-box-calibration", action="store_true",
                        help=f"{prefix}keep the hands' landmark boxes as found instead of "
                             "moving them by the box convention pose-train learned" + note)


def add_retry_options(parser: argparse.ArgumentParser) -> None:
    """``--retry-confidence``, ``--retry-mirror`` and ``--retry-upscale``: the second
    MediaPipe passes on images where the first found no hand (:mod:`gesturekit.pose.retry`)."""
    from gesturekit.pose.retry import DEFAULT_RETRY

    parser.add_argument("--retry-confidence", type=float, default=DEFAULT_RETRY.confidence,
                        metavar="C",
                        help="where no hand was found, look again at this lower minimum "
                             f"confidence (default {DEFAULT_RETRY.confidence}; 0: no second "
                             "pass at a lower confidence)")
    parser.add_argument("--retry-mirror", action=argparse.BooleanOptionalAction,
                        default=DEFAULT_RETRY.mirror,
                        help="where no hand was found, look again in the mirrored image "
                             f"(default {'on' if DEFAULT_RETRY.mirror else 'off'})")
    parser.add_argument("--retry-upscale", type=float, metavar="F",
                        default=DEFAULT_RETRY.upscale,
                        help="where no hand was found, look again in the image resized by F "
                             f"(> 1; default {DEFAULT_RETRY.upscale}; 0: not tried)")


def add_hand_detector_option(parser: argparse.ArgumentParser, applies_to: str = "") -> None:
    """``--hand-detector``: the hybrid route (:mod:`gesturekit.pose.crops`); ``applies_to`` (e.g.
    ``"--pose"``) prefixes its help."""
    prefix = f"with {applies_to}: " if applies_to else ""
    parser.add_argument("--hand-detector", action="store_true",
                        help=f"{prefix}the hybrid route: where MediaPipe finds no hand in the "
                             "whole image, look again in the upscaled crops of the boxes the "
                             "kit's shipped hand detector finds (slower)")


def require_pose_route(args: argparse.Namespace, pose_flag: str) -> None:
    """One line when ``--hand-detector`` is asked for without the pose route."""
    from voc_tools.errors import GestureKitError

    if args.hand_detector and not args.pose:
        raise GestureKitError(f"--hand-detector is for the pose route: add {pose_flag}")


def retry_options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The :class:`gesturekit.pose.retry.RetryOptions` of :func:`add_retry_options`' arguments."""
    from gesturekit.pose.retry import RetryOptions

    return RetryOptions(confidence=args.retry_confidence or None, mirror=args.retry_mirror,
                        upscale=args.retry_upscale or None)
