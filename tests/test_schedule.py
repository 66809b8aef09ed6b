"""Learning-rate schedules: the step cosine and the CPU-budget cosine (shape and stop)."""
from __future__ import annotations

import numpy as np
import pytest

from detector.schedule import CpuBudgetSchedule, budget_lr, cosine_lr


def test_cosine_lr_warms_up_then_decays_to_zero() -> None:
    lrs = [cosine_lr(s, 100, 1e-3, 10) for s in range(100)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:])) and lrs[-1] < 1e-6


def test_budget_lr_shape() -> None:
    assert budget_lr(0.0, 1e-3) == pytest.approx(1e-5)  # warm-up starts at 1 %
    assert budget_lr(0.05, 1e-3) == pytest.approx(1e-3)
    assert budget_lr(0.525, 1e-3) == pytest.approx(5e-4)
    assert budget_lr(1.0, 1e-3) == pytest.approx(0.0) == budget_lr(2.0, 1e-3)


def test_cpu_budget_stops_training_after_the_spending_batch() -> None:
    from tensorflow import keras

    ticks = iter(np.arange(0, 100, 0.5))  # each clock read advances 0.5 "CPU seconds"
    schedule = CpuBudgetSchedule(1e-2, budget_s=10.0, clock=lambda: float(next(ticks)))
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer=keras.optimizers.SGD(1e-2), loss="mse")
    x, y = np.zeros((64, 2), np.float32), np.zeros((64, 1), np.float32)
    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))
    model.fit(x, y, batch_size=1, epochs=5, verbose=0, callbacks=[schedule, record])
    assert schedule.steps_done == 11  # reads 0, 0.5, 1.0, ...: batch k ends at k - 0.5 s
    assert seen == [0]  # stopped inside the first epoch, whose end callbacks still ran
    assert float(model.optimizer.learning_rate.numpy()) < 1e-3  # decayed near the end
