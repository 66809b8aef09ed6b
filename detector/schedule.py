"""Learning-rate schedule: linear warm-up, then cosine decay to zero over the run."""
from __future__ import annotations

import math
import time
from typing import Callable

from . import compat  # noqa: F401
from tensorflow import keras  # noqa: E402


def cosine_lr(step: int, total_steps: int, base_lr: float, warmup_steps: int) -> float:
    """The learning rate at ``step`` (0-based) of ``total_steps``."""
    if warmup_steps and step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * progress))


class CosineSchedule(keras.callbacks.Callback):
    """Sets the optimizer's learning rate before every batch; resumes mid-run correctly
    because the step is derived from the epoch number."""

    def __init__(self, base_lr: float, epochs: int, steps_per_epoch: int,
                 warmup_steps: int | None = None) -> None:
        super().__init__()
        self.base_lr = base_lr
        self.steps_per_epoch = steps_per_epoch
        self.total_steps = epochs * steps_per_epoch
        self.warmup_steps = (min(steps_per_epoch, self.total_steps // 10)
                             if warmup_steps is None else warmup_steps)
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        step = self.epoch * self.steps_per_epoch + batch
        keras.backend.set_value(self.model.optimizer.learning_rate,
                                cosine_lr(step, self.total_steps, self.base_lr,
                                          self.warmup_steps))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["lr"] = float(keras.backend.get_value(self.model.optimizer.learning_rate))


def budget_lr(progress: float, base_lr: float, warmup_fraction: float = 0.05) -> float:
    """The learning rate when ``progress`` (0..1) of a budget is spent: linear warm-up over
    the first ``warmup_fraction``, then cosine decay to zero at 1."""
    progress = min(max(progress, 0.0), 1.0)
    if progress < warmup_fraction:
        return base_lr * max(progress / warmup_fraction, 0.01)
    rest = (progress - warmup_fraction) / (1.0 - warmup_fraction)
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * rest))


class CpuBudgetSchedule(keras.callbacks.Callback):
    """:func:`budget_lr` over a budget of this process's CPU seconds (``clock``) instead
    of a step count; training stops after the batch that spends the budget (the epoch's
    callbacks still run, so the last snapshot is complete). For equal-CPU comparisons
    (``bench/bench_quality.py``); use with ``lr_schedule="constant"``."""

    def __init__(self, base_lr: float, budget_s: float, warmup_fraction: float = 0.05,
                 clock: Callable[[], float] = time.process_time) -> None:
        super().__init__()
        self.base_lr, self.budget_s, self.warmup_fraction = base_lr, budget_s, warmup_fraction
        self.clock = clock
        self.steps_done = 0
        self.epoch_cpu_s: list[float] = []  # the clock at each epoch's end

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        lr = budget_lr(self.clock() / self.budget_s, self.base_lr, self.warmup_fraction)
        keras.backend.set_value(self.model.optimizer.learning_rate, lr)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.steps_done += 1
        if self.clock() >= self.budget_s:
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch_cpu_s.append(round(self.clock(), 1))
