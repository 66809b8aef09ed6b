"""YOLO arm of the detector benchmark: Ultralytics YOLOv8n from random weights under a CPU-seconds budget.

Runs inside ``.venv-yolo`` (``scripts/setup_yolo_bench.sh``; pins in ``requirements-yolo-bench.txt``) and
never imports the kit (no TensorFlow there)::

    .venv-yolo/bin/python bench/yolo_arm.py --data EXPORT/data.yaml --out DIR --cpu-seconds N \
        [--imgsz 384] [--batch 8] [--epochs-max 300] [--seed 0] [--predict-split val] [--workers 0|1] \
        [--threads 2] [--no-val] [--cache none|ram]

``EXPORT`` is what ``gesturekit voc export yolo`` writes. The script trains ``YOLO("yolov8n.yaml")`` (the
architecture only; ``pretrained=False``, nothing is downloaded) with Ultralytics' default detection
hyper-parameters, ``amp=False``, ``plots=False``, ``device=cpu``, 2 torch threads, ``patience=0`` (no early
stopping) and the given seed (Ultralytics' ``deterministic=True`` default).

Budget. "CPU seconds" is user+sys time of this process and all its children (dataloader workers), read with
psutil (live children) plus ``getrusage(RUSAGE_CHILDREN)`` (reaped ones), counted from process start: imports,
dataset scan and Ultralytics' per-epoch validation all count. The schedule is set the way Ultralytics' own
``time=`` argument does it, but on CPU time instead of wall time: training starts with ``epochs=--epochs-max``;
after every epoch the mean CPU cost of an epoch so far (training + its validation + checkpoint save) gives the
number of epochs that fit in what is left, ``epochs = done + round(left / mean)`` (capped by ``--epochs-max``),
and the LR scheduler (linear, ``lrf=0.01``) is rebuilt for that length, so the LR reaches its end value
within about half an epoch of the budget. A hard stop between batches ends training when the CPU time plus
the cost of the last validation reaches the budget (``stopped_by: "budget"``; else ``"schedule"``); the
stopped epoch is still validated and saved. Caveats: warm-up length (3 epochs) is fixed at start, and
``close_mosaic=10`` closes mosaic for the last 10 scheduled epochs (from the 2nd epoch on when fewer than 11
fit). ``--no-val`` skips validation except for the last epoch (metrics are then ``null`` for other epochs).
Ultralytics' ``final_eval`` (a second validation of best.pt after training) is skipped; the checkpoint is
still stripped as usual.

Weights and predictions. Predictions use ``last.pt`` (the EMA weights at the end of the budget, which is what
a fixed budget means; best.pt would pick an epoch using the val set), stored in fp16 by Ultralytics and loaded
back in fp32. Every image of the ``--predict-split`` key of data.yaml (``val`` or ``test``: a folder, a .txt
list or a list of either) is predicted one at a time (batch 1) with ``conf=0.001`` (Ultralytics' val default),
``iou=0.7``, ``max_det=100``, ``imgsz`` as in training, and written to ``DIR/predictions.json`` as
``{"classes": [...data.yaml order...], "images": {"<file name>": [[x1, y1, x2, y2, score, class_id], ...]}}``
in original-image pixels (continuous corners, 0 at the image's left/top edge, floats). ``ms_per_image`` is the
median wall time of one ``model.predict`` call on an already decoded BGR image (letterbox, forward, NMS, box
scaling; disk read and JPEG decode excluded) after 3 warm-up images; Ultralytics' own preprocess / inference /
postprocess medians are recorded beside it. ``DIR/yolo_arm.json`` has versions, the exact training arguments,
the budget accounting, per-epoch rows (epoch, cumulative CPU s, wall s, train images seen, train/val CPU s,
Ultralytics' mAP50 and mAP50-95 on the val split) and training images/s. Ultralytics' run folder (weights,
results.csv, args.yaml) is ``DIR/ultralytics/train``.

What needed care offline (each is handled here): ``YOLO_OFFLINE=1`` (else ``import ultralytics`` resolves
one.one.one.one / dns.google, and ``Model.train`` asks PyPI for a newer ultralytics); ``YOLO_AUTOINSTALL=0``
(no pip installs of missing extras); a private ``YOLO_CONFIG_DIR`` in DIR with ``sync=False`` (no analytics
events; no touching ~/.config); ``check_det_dataset`` always calls ``check_font("Arial.ttf")``, which
downloads the font from Ultralytics' assets when missing: matplotlib's DejaVuSans is copied into
YOLO_CONFIG_DIR/Ultralytics as Arial.ttf and Arial.Unicode.ttf first; ``amp=False`` skips ``check_amp``, which
would download yolo26n.pt/yolov8n.pt; ``pretrained=False`` with a .yaml model loads no weights; the Platform
callback does nothing without an API key (none is set). As a check, a guard makes any attempt at a
non-loopback address or name lookup fail at once and lists it in ``yolo_arm.json`` (``network_attempts``;
empty in a clean run). Other settings that are not defaults: Ultralytics sets ``torch.set_num_threads(min(8,
cores - 1))`` (1 here) in ``select_device``; its NUM_THREADS is set to 2 (``--threads``).
``OMP_WAIT_POLICY=PASSIVE`` unless set: with libgomp's default spinning, 2 threads on 2 cores shared with
other jobs burned over 10x the CPU time of one forward pass. On CPU Ultralytics forces ``workers=0``;
``--workers 1`` is put back after that (the val loader then gets 2 workers, Ultralytics' ``workers * 2``). Its
logger goes to stderr at WARNING level and its progress bars are off, so stdout has one line per epoch and a
last summary line. Ultralytics writes ``labels.cache`` beside the exported labels when that folder is writable
(a warning only when not).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import sys
import time
import warnings
from pathlib import Path

TORCH_THREADS = 2
if "--threads" in sys.argv[1:-1]:  # needed before torch loads (OMP_NUM_THREADS)
    TORCH_THREADS = int(sys.argv[sys.argv.index("--threads") + 1])

# --- before anything imports torch or ultralytics ----------------------------------------------------------
os.environ["OMP_NUM_THREADS"] = str(TORCH_THREADS)
# libgomp's default spin-wait burns CPU time when the 2 cores are shared (seen here under load 6: one forward
# at 224 px took 517 CPU ms with 2 spinning threads, 42 ms with PASSIVE, 30 ms with 1 thread).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ["YOLO_OFFLINE"] = "1"
os.environ["YOLO_AUTOINSTALL"] = "0"
os.environ["YOLO_VERBOSE"] = "0"

NETWORK_ATTEMPTS: list[str] = []


def _caller() -> str:
    import traceback

    frames = [f for f in traceback.extract_stack() if "ultralytics" in f.filename] or traceback.extract_stack()
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(frames[-4:]))
_LOCAL_NAMES = {None, "", "localhost", "127.0.0.1", "::1", "0.0.0.0"}


def _install_network_guard() -> None:
    """Fail fast (and record) any lookup or connect to a non-loopback host; AF_UNIX (torch workers) is untouched."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOCAL_NAMES and not str(name).startswith("127."):
            NETWORK_ATTEMPTS.append(f"getaddrinfo {name} from {_caller()}")
            raise socket.gaierror(socket.EAI_NONAME, f"yolo_arm: network disabled ({name})")
        return real_getaddrinfo(host, *args, **kwargs)

    def _check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else address
            if host not in _LOCAL_NAMES and not str(host).startswith("127."):
                NETWORK_ATTEMPTS.append(f"connect {address} from {_caller()}")
                raise OSError(f"yolo_arm: network disabled ({address})")

    def connect(self, address):
        _check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex


def cpu_seconds(_cache={}) -> float:
    """User+sys CPU seconds of this process, its reaped children and its live children (recursive)."""
    import psutil

    proc = _cache.get("proc") or _cache.setdefault("proc", psutil.Process())
    t = proc.cpu_times()
    total = t.user + t.system
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    total += ru.ru_utime + ru.ru_stime
    for child in proc.children(recursive=True):
        try:
            c = child.cpu_times()
            total += c.user + c.system
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            pass  # ended between listing and reading: its time shows up in RUSAGE_CHILDREN once reaped
    _cache["max"] = max(total, _cache.get("max", 0.0))  # never go backwards while a child is being reaped
    return _cache["max"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="data.yaml of a YOLO-format export")
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--cpu-seconds", type=float, required=True, help="CPU-time budget (user+sys, with children)")
    p.add_argument("--imgsz", type=int, default=384)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--epochs-max", type=int, default=300, help="upper bound and initial schedule length")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--predict-split", default="val", choices=["val", "test"])
    p.add_argument("--workers", type=int, default=0, choices=[0, 1])
    p.add_argument("--threads", type=int, default=TORCH_THREADS, help="torch threads (default 2)")
    p.add_argument("--no-val", action="store_true", help="validate only the last epoch")
    p.add_argument("--cache", default="none", choices=["none", "ram"], help="Ultralytics image cache")
    return p.parse_args(argv)


def image_list(data: dict, yaml_path: Path, split: str) -> tuple[Path, list[Path]]:
    """Images of a data.yaml split: (root they are named relative to, sorted paths)."""
    from ultralytics.data.utils import IMG_FORMATS

    entry = data.get(split)
    if not entry:
        raise SystemExit(f"{yaml_path}: no '{split}:' key")
    base = Path(data.get("path") or yaml_path.parent)
    if not base.is_absolute():
        base = (yaml_path.parent / base).resolve()
    entries = entry if isinstance(entry, (list, tuple)) else [entry]
    files: list[Path] = []
    roots: list[Path] = []
    for e in entries:
        p = Path(e) if Path(e).is_absolute() else base / e
        if p.is_dir():
            roots.append(p)
            files += [f for f in p.rglob("*") if f.suffix[1:].lower() in IMG_FORMATS]
        elif p.is_file():  # a .txt list of images
            roots.append(p.parent)
            for line in p.read_text().splitlines():
                line = line.strip()
                if line:
                    f = Path(line) if Path(line).is_absolute() else p.parent / line
                    files.append(f)
        else:
            raise SystemExit(f"{yaml_path}: {split} path {p} does not exist")
    root = roots[0] if len(roots) == 1 else Path(os.path.commonpath([str(r) for r in roots]))
    return root, sorted(files)


def main(argv=None) -> int:
    args = parse_args(argv)
    wall0 = time.time()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    data_yaml = Path(args.data).resolve()

    config_dir = out / "ultralytics" / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
    _install_network_guard()
    warnings.filterwarnings("ignore")

    import logging

    import matplotlib
    import torch

    torch.set_num_threads(TORCH_THREADS)

    import ultralytics
    import ultralytics.utils.torch_utils as ul_torch_utils
    import yaml
    from ultralytics import YOLO
    from ultralytics.models.yolo.detect import DetectionTrainer
    from ultralytics.utils import LOGGER, SETTINGS, USER_CONFIG_DIR

    for name in ("Arial.ttf", "Arial.Unicode.ttf"):  # check_font() finds these instead of downloading
        target = Path(USER_CONFIG_DIR) / name  # YOLO_CONFIG_DIR/Ultralytics
        if not target.exists():
            shutil.copyfile(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf", target)
    SETTINGS.update({"sync": False})
    ul_torch_utils.NUM_THREADS = TORCH_THREADS  # select_device() calls torch.set_num_threads(NUM_THREADS)
    LOGGER.setLevel(logging.WARNING)
    for h in LOGGER.handlers:
        if isinstance(h, logging.StreamHandler):
            h.setStream(sys.stderr)
            h.setLevel(logging.WARNING)

    data = yaml.safe_load(data_yaml.read_text())
    names = data["names"]
    classes = [names[i] for i in sorted(names)] if isinstance(names, dict) else list(names)

    budget = float(args.cpu_seconds)
    state = {
        "epoch_rows": [],
        "images_seen": 0,
        "batches": 0,
        "val_cpu_last": 0.0,
        "stopped_by": "schedule",
        "train_cpu_start": None,
        "train_wall_start": None,
        "threads_seen": None,
    }

    def on_pretrain_routine_start(trainer):
        trainer.args.workers = args.workers  # BaseTrainer forces 0 on CPU just before this callback

    def on_train_start(trainer):
        torch.set_num_threads(TORCH_THREADS)
        state["threads_seen"] = torch.get_num_threads()
        state["train_cpu_start"] = cpu_seconds()
        state["train_wall_start"] = time.time()
        state["n_train"] = len(trainer.train_loader.dataset)

    def on_train_epoch_start(trainer):
        state["ep_cpu0"] = cpu_seconds()
        state["ep_wall0"] = time.time()
        state["ep_batches"] = 0
        state["validated"] = False
        state["val_cpu"] = 0.0
        state["val_wall"] = 0.0

    def on_train_batch_end(trainer):
        state["ep_batches"] += 1
        if cpu_seconds() + state["val_cpu_last"] >= budget and not trainer.stop:
            trainer.stop = True
            state["stopped_by"] = "budget"

    def on_train_epoch_end(trainer):
        state["ep_train_cpu"] = cpu_seconds() - state["ep_cpu0"]
        state["ep_train_wall"] = time.time() - state["ep_wall0"]

    def on_val_start(validator):
        if getattr(validator, "training", True):
            state["v_cpu0"] = cpu_seconds()
            state["v_wall0"] = time.time()

    def on_val_end(validator):
        if "v_cpu0" in state:
            state["validated"] = True
            state["val_cpu"] = cpu_seconds() - state.pop("v_cpu0")
            state["val_wall"] = time.time() - state["v_wall0"]
            state["val_cpu_last"] = state["val_cpu"]

    def on_fit_epoch_end(trainer):
        epoch = trainer.epoch  # 0-based
        done = epoch + 1
        now_cpu = cpu_seconds()
        images = min(state["ep_batches"] * trainer.batch_size, state["n_train"])
        state["images_seen"] += images
        m = trainer.metrics or {}
        row = {
            "epoch": done,
            "cpu_s": round(now_cpu, 2),
            "wall_s": round(time.time() - wall0, 2),
            "train_images_seen": state["images_seen"],
            "epoch_train_images": images,
            "epoch_train_cpu_s": round(state["ep_train_cpu"], 2),
            "epoch_train_wall_s": round(state["ep_train_wall"], 2),
            "epoch_val_cpu_s": round(state["val_cpu"], 2) if state["validated"] else None,
            "mAP50": round(float(m["metrics/mAP50(B)"]), 5) if state["validated"] else None,
            "mAP50-95": round(float(m["metrics/mAP50-95(B)"]), 5) if state["validated"] else None,
            "lr": round(float(trainer.optimizer.param_groups[0]["lr"]), 6),
            "scheduled_epochs": trainer.epochs,
        }
        # Re-plan the schedule on CPU time (as Ultralytics' `time=` does on wall time).
        if not trainer.stop:
            per_epoch = (now_cpu - state["train_cpu_start"]) / done
            left = budget - now_cpu
            planned = min(args.epochs_max, max(done, done + round(left / per_epoch)))
            if planned != trainer.epochs:
                trainer.epochs = trainer.args.epochs = planned
                trainer._setup_scheduler()
                trainer.scheduler.last_epoch = epoch  # as BaseTrainer does after its own `time=` re-plan
            if done >= trainer.epochs:
                trainer.stop = True
        row["scheduled_epochs_next"] = trainer.epochs
        state["epoch_rows"].append(row)
        map50 = "-" if row["mAP50"] is None else f"{row['mAP50']:.4f}"
        map5095 = "-" if row["mAP50-95"] is None else f"{row['mAP50-95']:.4f}"
        print(
            f"epoch {done}/{trainer.epochs}  cpu {now_cpu:.0f}/{budget:.0f} s  wall {row['wall_s']:.0f} s  "
            f"images {state['images_seen']}  train {images / max(state['ep_train_wall'], 1e-9):.1f} img/s  "
            f"mAP50 {map50}  mAP50-95 {map5095}",
            flush=True,
        )

    class BudgetTrainer(DetectionTrainer):
        def final_eval(self):
            """Skip Ultralytics' extra validation of best.pt; only strip the checkpoints as it would."""
            from ultralytics.utils.torch_utils import strip_optimizer

            for f in (self.last, self.best):
                if f.exists():
                    strip_optimizer(f)

    train_args = dict(
        data=str(data_yaml),
        epochs=args.epochs_max,
        imgsz=args.imgsz,
        batch=args.batch,
        device="cpu",
        workers=args.workers,
        seed=args.seed,
        deterministic=True,
        pretrained=False,
        amp=False,
        plots=False,
        val=not args.no_val,
        cache="ram" if args.cache == "ram" else False,
        patience=0,
        project=str(out / "ultralytics"),
        name="train",
        exist_ok=True,
        verbose=False,
    )

    model = YOLO("yolov8n.yaml")
    for event, fn in [
        ("on_pretrain_routine_start", on_pretrain_routine_start),
        ("on_train_start", on_train_start),
        ("on_train_epoch_start", on_train_epoch_start),
        ("on_train_batch_end", on_train_batch_end),
        ("on_train_epoch_end", on_train_epoch_end),
        ("on_val_start", on_val_start),
        ("on_val_end", on_val_end),
        ("on_fit_epoch_end", on_fit_epoch_end),
    ]:
        model.add_callback(event, fn)
    model.train(trainer=BudgetTrainer, **train_args)
    trainer = model.trainer
    train_cpu = cpu_seconds()
    train_wall = time.time() - wall0
    last_pt = Path(trainer.last)
    effective_args = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(trainer.args).items()}

    # --- predictions with last.pt ------------------------------------------------------------------------
    import cv2

    root, files = image_list(data, data_yaml, args.predict_split)
    pred_model = YOLO(str(last_pt))
    predict_kw = dict(conf=0.001, iou=0.7, max_det=100, imgsz=args.imgsz, device="cpu", batch=1,
                      verbose=False, save=False)
    images: dict[str, list] = {}
    times, speeds = [], {"preprocess": [], "inference": [], "postprocess": []}
    pred_cpu0 = cpu_seconds()
    for i, f in enumerate(files):
        im = cv2.imread(str(f))
        if im is None:
            raise SystemExit(f"cannot read {f}")
        t0 = time.perf_counter()
        r = pred_model.predict(im, **predict_kw)[0]
        dt = time.perf_counter() - t0
        if i >= 3:
            times.append(dt * 1000)
            for k in speeds:
                if r.speed.get(k) is not None:
                    speeds[k].append(r.speed[k])
        b = r.boxes
        xyxy = b.xyxy.cpu().numpy().astype(float)
        conf = b.conf.cpu().numpy().astype(float)
        cls = b.cls.cpu().numpy().astype(int)
        key = f.relative_to(root).as_posix() if f.is_relative_to(root) else f.name
        images[key] = [
            [round(x1, 3), round(y1, 3), round(x2, 3), round(y2, 3), round(s, 5), int(c)]
            for (x1, y1, x2, y2), s, c in zip(xyxy.tolist(), conf.tolist(), cls.tolist())
        ]
    pred_cpu = cpu_seconds() - pred_cpu0
    (out / "predictions.json").write_text(json.dumps({"classes": classes, "images": images}))

    rows = state["epoch_rows"]
    total_train_images = state["images_seen"]
    train_only_cpu = sum(r["epoch_train_cpu_s"] for r in rows)
    train_only_wall = sum(r["epoch_train_wall_s"] for r in rows)
    summary = {
        "arm": "ultralytics-yolov8n-scratch",
        "versions": {
            "ultralytics": ultralytics.__version__,
            "torch": torch.__version__,
            "torchvision": __import__("importlib.metadata").metadata.version("torchvision"),
            "python": sys.version.split()[0],
        },
        "command": sys.argv,
        "data": str(data_yaml),
        "classes": classes,
        "torch_threads": state["threads_seen"],
        "cpu_seconds_budget": budget,
        "cpu_seconds": round(train_cpu, 2),
        "cpu_seconds_note": "process + children user+sys from process start to the end of training "
        "(imports, dataset scan, per-epoch validation and saves included; predictions excluded)",
        "cpu_seconds_training_loop_only": round(train_only_cpu, 2),
        "wall_seconds": round(train_wall, 2),
        "stopped_by": state["stopped_by"],
        "epochs_done": len(rows),
        "last_epoch_complete": not (state["stopped_by"] == "budget"),
        "train_images_seen": total_train_images,
        "train_images": state.get("n_train"),
        "train_images_per_s": round(total_train_images / train_only_wall, 2) if train_only_wall else None,
        "train_images_per_cpu_s": round(total_train_images / train_only_cpu, 2) if train_only_cpu else None,
        "final_mAP50": next((r["mAP50"] for r in reversed(rows) if r["mAP50"] is not None), None),
        "final_mAP50-95": next((r["mAP50-95"] for r in reversed(rows) if r["mAP50-95"] is not None), None),
        "epochs": rows,
        "weights": str(last_pt),
        "weights_note": "last.pt: EMA weights at the end of training (saved fp16 by Ultralytics, run in fp32)",
        "predict": {
            "split": args.predict_split,
            "images": len(files),
            "boxes": sum(len(v) for v in images.values()),
            **{k: v for k, v in predict_kw.items() if k not in ("verbose", "save")},
            "ms_per_image": round(statistics.median(times), 3) if times else None,
            "ms_per_image_note": "median wall ms of model.predict(decoded BGR image), batch 1, after 3 warm-up",
            "ultralytics_speed_ms_median": {
                k: round(statistics.median(v), 3) if v else None for k, v in speeds.items()
            },
            "cpu_seconds": round(pred_cpu, 2),
        },
        "train_args": train_args,
        "effective_train_args": effective_args,
        "network_attempts": NETWORK_ATTEMPTS,
    }
    (out / "yolo_arm.json").write_text(json.dumps(summary, indent=2, default=str))
    print(
        f"done: {len(rows)} epochs, {train_cpu:.0f} CPU s ({state['stopped_by']}), "
        f"{summary['train_images_per_s']} train img/s, mAP50 {summary['final_mAP50']}, "
        f"{summary['predict']['ms_per_image']} ms/image -> {out / 'predictions.json'}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
