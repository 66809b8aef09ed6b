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


def quiet_offline_ultralytics(out: Path) -> None:
    """Point Ultralytics at a private config dir, guard the network, and route its log to stderr at WARNING."""
    config_dir = out / "ultralytics" / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
    _install_network_guard()
    warnings.filterwarnings("ignore")

    import logging

    import matplotlib
    import torch

    torch.set_num_threads(TORCH_THREADS)

    import ultralytics.utils.torch_utils as ul_torch_utils
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


class CpuBudget:
    """Ultralytics callbacks that keep training within a CPU-seconds budget and record a row per epoch."""

    def __init__(self, budget: float, epochs_max: int, workers: int, wall0: float):
        self.budget, self.epochs_max, self.workers, self.wall0 = budget, epochs_max, workers, wall0
        self.rows: list[dict] = []
        self.images_seen = 0
        self.val_cpu_last = 0.0
        self.stopped_by = "schedule"
        self.train_cpu_start = 0.0
        self.threads_seen = None
        self.n_train = None
        # the current epoch's: reset by on_train_epoch_start, val's by on_val_start
        self.ep_cpu0, self.ep_wall0, self.ep_batches = 0.0, 0.0, 0
        self.ep_train_cpu, self.ep_train_wall = 0.0, 0.0
        self.validated, self.val_cpu = False, 0.0
        self.v_cpu0: float | None = None

    def callbacks(self) -> dict:
        """Event name -> bound method, for ``model.add_callback``."""
        events = ("on_pretrain_routine_start", "on_train_start", "on_train_epoch_start", "on_train_batch_end",
                  "on_train_epoch_end", "on_val_start", "on_val_end", "on_fit_epoch_end")
        return {event: getattr(self, event) for event in events}

    def on_pretrain_routine_start(self, trainer) -> None:
        trainer.args.workers = self.workers  # BaseTrainer forces 0 on CPU just before this callback

    def on_train_start(self, trainer) -> None:
        import torch

        torch.set_num_threads(TORCH_THREADS)
        self.threads_seen = torch.get_num_threads()
        self.train_cpu_start = cpu_seconds()
        self.n_train = len(trainer.train_loader.dataset)

    def on_train_epoch_start(self, trainer) -> None:
        self.ep_cpu0, self.ep_wall0, self.ep_batches = cpu_seconds(), time.time(), 0
        self.validated, self.val_cpu = False, 0.0

    def on_train_batch_end(self, trainer) -> None:
        self.ep_batches += 1
        if cpu_seconds() + self.val_cpu_last >= self.budget and not trainer.stop:
            trainer.stop = True
            self.stopped_by = "budget"

    def on_train_epoch_end(self, trainer) -> None:
        self.ep_train_cpu = cpu_seconds() - self.ep_cpu0
        self.ep_train_wall = time.time() - self.ep_wall0

    def on_val_start(self, validator) -> None:
        if getattr(validator, "training", True):
            self.v_cpu0 = cpu_seconds()

    def on_val_end(self, validator) -> None:
        if self.v_cpu0 is not None:
            self.validated = True
            self.val_cpu = self.val_cpu_last = cpu_seconds() - self.v_cpu0
            self.v_cpu0 = None

    def on_fit_epoch_end(self, trainer) -> None:
        done = trainer.epoch + 1  # trainer.epoch is 0-based
        now_cpu = cpu_seconds()
        images = min(self.ep_batches * trainer.batch_size, self.n_train)
        self.images_seen += images
        m = trainer.metrics or {}
        row = {
            "epoch": done,
            "cpu_s": round(now_cpu, 2),
            "wall_s": round(time.time() - self.wall0, 2),
            "train_images_seen": self.images_seen,
            "epoch_train_images": images,
            "epoch_train_cpu_s": round(self.ep_train_cpu, 2),
            "epoch_train_wall_s": round(self.ep_train_wall, 2),
            "epoch_val_cpu_s": round(self.val_cpu, 2) if self.validated else None,
            "mAP50": round(float(m["metrics/mAP50(B)"]), 5) if self.validated else None,
            "mAP50-95": round(float(m["metrics/mAP50-95(B)"]), 5) if self.validated else None,
            "lr": round(float(trainer.optimizer.param_groups[0]["lr"]), 6),
            "scheduled_epochs": trainer.epochs,
        }
        if not trainer.stop:
            self._replan(trainer, done, now_cpu)
        row["scheduled_epochs_next"] = trainer.epochs
        self.rows.append(row)
        map50 = "-" if row["mAP50"] is None else f"{row['mAP50']:.4f}"
        map5095 = "-" if row["mAP50-95"] is None else f"{row['mAP50-95']:.4f}"
        print(
            f"epoch {done}/{trainer.epochs}  cpu {now_cpu:.0f}/{self.budget:.0f} s  wall {row['wall_s']:.0f} s  "
            f"images {self.images_seen}  train {images / max(self.ep_train_wall, 1e-9):.1f} img/s  "
            f"mAP50 {map50}  mAP50-95 {map5095}",
            flush=True,
        )

    def _replan(self, trainer, done: int, now_cpu: float) -> None:
        """Re-plan the schedule on CPU time, as Ultralytics' ``time=`` does on wall time."""
        per_epoch = (now_cpu - self.train_cpu_start) / done
        left = self.budget - now_cpu
        planned = min(self.epochs_max, max(done, done + round(left / per_epoch)))
        if planned != trainer.epochs:
            trainer.epochs = trainer.args.epochs = planned
            trainer._setup_scheduler()
            trainer.scheduler.last_epoch = trainer.epoch  # as BaseTrainer does after its own `time=` re-plan
        if done >= trainer.epochs:
            trainer.stop = True


def budget_trainer():
    """Ultralytics' DetectionTrainer without its extra validation of best.pt (checkpoints still stripped)."""
    from ultralytics.models.yolo.detect import DetectionTrainer
    from ultralytics.utils.torch_utils import strip_optimizer

    class BudgetTrainer(DetectionTrainer):
        def final_eval(self):
            for f in (self.last, self.best):
                if f.exists():
                    strip_optimizer(f)

    return BudgetTrainer


def training_arguments(args: argparse.Namespace, data_yaml: Path, out: Path) -> dict:
    """``model.train`` keywords: Ultralytics' defaults but for the ones the benchmark fixes."""
    return dict(
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


def predict_images(weights: Path, root: Path, files: list[Path], imgsz: int) -> tuple[dict, dict]:
    """Predict every file one at a time: (boxes per image name, timing record for yolo_arm.json)."""
    import cv2
    from ultralytics import YOLO

    model = YOLO(str(weights))
    predict_kw = dict(conf=0.001, iou=0.7, max_det=100, imgsz=imgsz, device="cpu", batch=1,
                      verbose=False, save=False)
    images: dict[str, list] = {}
    times, speeds = [], {"preprocess": [], "inference": [], "postprocess": []}
    cpu0 = cpu_seconds()
    for i, f in enumerate(files):
        im = cv2.imread(str(f))
        if im is None:
            raise SystemExit(f"cannot read {f}")
        t0 = time.perf_counter()
        r = model.predict(im, **predict_kw)[0]
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
    timing = {
        "images": len(files),
        "boxes": sum(len(v) for v in images.values()),
        **{k: v for k, v in predict_kw.items() if k not in ("verbose", "save")},
        "ms_per_image": round(statistics.median(times), 3) if times else None,
        "ms_per_image_note": "median wall ms of model.predict(decoded BGR image), batch 1, after 3 warm-up",
        "ultralytics_speed_ms_median": {k: round(statistics.median(v), 3) if v else None for k, v in speeds.items()},
        "cpu_seconds": round(cpu_seconds() - cpu0, 2),
    }
    return images, timing


def summarise(run: CpuBudget, train_cpu: float, train_wall: float) -> dict:
    """The budget accounting and the per-epoch rows of yolo_arm.json."""
    rows = run.rows
    train_only_cpu = sum(r["epoch_train_cpu_s"] for r in rows)
    train_only_wall = sum(r["epoch_train_wall_s"] for r in rows)
    return {
        "torch_threads": run.threads_seen,
        "cpu_seconds_budget": run.budget,
        "cpu_seconds": round(train_cpu, 2),
        "cpu_seconds_note": "process + children user+sys from process start to the end of training "
        "(imports, dataset scan, per-epoch validation and saves included; predictions excluded)",
        "cpu_seconds_training_loop_only": round(train_only_cpu, 2),
        "wall_seconds": round(train_wall, 2),
        "stopped_by": run.stopped_by,
        "epochs_done": len(rows),
        "last_epoch_complete": run.stopped_by != "budget",
        "train_images_seen": run.images_seen,
        "train_images": run.n_train,
        "train_images_per_s": round(run.images_seen / train_only_wall, 2) if train_only_wall else None,
        "train_images_per_cpu_s": round(run.images_seen / train_only_cpu, 2) if train_only_cpu else None,
        "final_mAP50": next((r["mAP50"] for r in reversed(rows) if r["mAP50"] is not None), None),
        "final_mAP50-95": next((r["mAP50-95"] for r in reversed(rows) if r["mAP50-95"] is not None), None),
        "epochs": rows,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    wall0 = time.time()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    data_yaml = Path(args.data).resolve()
    quiet_offline_ultralytics(out)

    import torch
    import ultralytics
    import yaml
    from ultralytics import YOLO

    data = yaml.safe_load(data_yaml.read_text())
    names = data["names"]
    classes = [names[i] for i in sorted(names)] if isinstance(names, dict) else list(names)

    run = CpuBudget(float(args.cpu_seconds), args.epochs_max, args.workers, wall0)
    train_args = training_arguments(args, data_yaml, out)
    model = YOLO("yolov8n.yaml")
    for event, callback in run.callbacks().items():
        model.add_callback(event, callback)
    model.train(trainer=budget_trainer(), **train_args)
    trainer = model.trainer
    train_cpu, train_wall = cpu_seconds(), time.time() - wall0
    last_pt = Path(trainer.last)

    root, files = image_list(data, data_yaml, args.predict_split)
    images, timing = predict_images(last_pt, root, files, args.imgsz)
    (out / "predictions.json").write_text(json.dumps({"classes": classes, "images": images}))

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
        **summarise(run, train_cpu, train_wall),
        "weights": str(last_pt),
        "weights_note": "last.pt: EMA weights at the end of training (saved fp16 by Ultralytics, run in fp32)",
        "predict": {"split": args.predict_split, **timing},
        "train_args": train_args,
        "effective_train_args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(trainer.args).items()},
        "network_attempts": NETWORK_ATTEMPTS,
    }
    (out / "yolo_arm.json").write_text(json.dumps(summary, indent=2, default=str))
    print(
        f"done: {len(run.rows)} epochs, {train_cpu:.0f} CPU s ({run.stopped_by}), "
        f"{summary['train_images_per_s']} train img/s, mAP50 {summary['final_mAP50']}, "
        f"{timing['ms_per_image']} ms/image -> {out / 'predictions.json'}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
