"""bf16 mixed precision for training: the float32 model stays the run's model, a bf16 twin
takes the steps, and the two hold the same weights."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detector import compat  # noqa: F401
from detector import precision
from detector.loop import fit
from tensorflow import keras

from test_loop import _Batches


def _architecture() -> keras.Model:
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    return keras.Model(inputs, [keras.layers.Dense(2, name="regression")(hidden),
                                keras.layers.Dense(1, name="classification")(hidden)])


def _losses() -> dict:
    return {"regression": keras.losses.MeanSquaredError(),
            "classification": keras.losses.MeanSquaredError()}


def _model_and_twin(learning_rate: float) -> tuple[keras.Model, keras.Model]:
    keras.utils.set_random_seed(3)
    model = _architecture()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss=_losses())
    return model, precision.bf16_twin(model, _architecture, _losses())


def _batches() -> _Batches:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 4)).astype(np.float32)
    return _Batches(x, x[:, :2] * 2.0, x[:, 2:3] - x[:, 3:4], batch=4)


def test_auto_is_bf16_only_where_the_cpu_computes_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(precision, "cpu_flags", lambda: ["avx2", "avx512f", "avx512_bf16"])
    assert precision.training_precision("auto") == "bfloat16"
    monkeypatch.setattr(precision, "cpu_flags", lambda: ["avx2", "amx_bf16"])
    assert precision.training_precision("auto") == "bfloat16"
    monkeypatch.setattr(precision, "cpu_flags", lambda: ["avx2", "avx512f"])
    assert precision.training_precision("auto") == "float32"
    assert precision.training_precision("bfloat16") == "bfloat16"
    assert precision.training_precision("float32") == "float32"
    with pytest.raises(ValueError, match="precision must be one of"):
        precision.training_precision("float16")


def test_twin_computes_in_bf16_with_the_models_weights_and_optimizer() -> None:
    model, twin = _model_and_twin(0.05)
    assert {layer.compute_dtype for layer in model.layers[1:]} == {"float32"}
    inner = twin.layers[1]  # the architecture, built under the mixed policy
    assert {layer.compute_dtype for layer in inner.layers[1:]} == {"bfloat16"}
    assert [output.dtype for output in inner.outputs] == ["bfloat16", "bfloat16"]
    assert [output.dtype for output in twin.outputs] == ["float32", "float32"]
    assert twin.output_names == model.output_names
    assert all(w.dtype == "float32" for w in twin.weights)  # variables stay float32
    for ours, theirs in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert twin.optimizer is model.optimizer
    # a float32 model built after the twin is float32 again (the policy was restored)
    assert keras.mixed_precision.global_policy().name == "float32"


def test_twin_restores_the_callers_policy_not_float32() -> None:
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = _architecture()
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss=_losses())
        precision.bf16_twin(model, _architecture, _losses())
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_fit_trains_the_model_through_its_twin_like_float32() -> None:
    model, twin = _model_and_twin(0.05)
    start = model.get_weights()
    history = fit(model, _batches(), steps=6, epochs=4, step_model=twin, verbose=0)
    for ours, theirs in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(ours, theirs)  # copied after every step
    assert any(not np.array_equal(a, b) for a, b in zip(start, model.get_weights()))
    keras.utils.set_random_seed(3)
    reference = _architecture()
    reference.compile(optimizer=keras.optimizers.SGD(0.05), loss=_losses())
    float32 = fit(reference, _batches(), steps=6, epochs=4, verbose=0)
    bf16_loss, float32_loss = history.history["loss"], float32.history["loss"]
    assert bf16_loss[-1] < bf16_loss[0]
    np.testing.assert_allclose(bf16_loss, float32_loss, rtol=0.05)
    assert set(history.history) == set(float32.history)  # the same log names


class _SetWeightsAtEpochBegin(keras.callbacks.Callback):
    """Puts known weights into the model when epoch 1 begins, as an EMA swap does."""

    def __init__(self, weights: list[np.ndarray]) -> None:
        super().__init__()
        self.weights = weights

    def on_epoch_begin(self, epoch, logs=None):  # type: ignore[no-untyped-def]
        if epoch == 1:
            self.model.set_weights(self.weights)


def test_weights_a_callback_sets_at_epoch_begin_reach_the_twin() -> None:
    model, twin = _model_and_twin(0.0)  # no updates: the weights stay what was set
    known = [np.full(w.shape, 0.25, np.float32) for w in model.get_weights()]
    callback = _SetWeightsAtEpochBegin(known)
    fit(model, _batches(), steps=3, epochs=2, step_model=twin, callbacks=[callback],
        verbose=0)
    for ours, theirs, want in zip(model.get_weights(), twin.get_weights(), known):
        np.testing.assert_array_equal(ours, want)
        np.testing.assert_array_equal(theirs, want)


@pytest.mark.slow
def test_a_bf16_run_trains_like_float32_and_saves_float32_snapshots(tmp_path: Path) -> None:
    """A real RetinaNet on the sample: the same start and batches in both precisions; the
    bf16 run logs the same names and losses within 10%, its snapshot is float32. (The
    batches were not the same until the augmentation's generator was seeded: the losses
    then differed by up to 45% in long pytest sessions.)"""
    from detector.card import load_card
    from detector.config import TrainConfig
    from detector.inference import load_keras_model
    from detector.run_log import read_metrics
    from detector.train import resume_config, train
    from sample_voc import build_sample_voc

    from detector.inference import save_h5
    from detector.model import build_training_model
    from voc_tools.classes import read_classes

    root = build_sample_voc(tmp_path / "data", videos=2, frames=6)
    # one start for both runs, saved once: initialisers drawn in each run depend on what the
    # process built before, so "from scratch" twice is not the same start in a long session
    start = tmp_path / "start.h5"
    save_h5(build_training_model("mobilenet128_0.25", len(read_classes(root / "classes.txt")),
                                 None, False, 1e-3, 16, 16), start)
    runs = {}
    for name in ("float32", "bfloat16"):
        config = TrainConfig(root=str(root), out=str(tmp_path / name), weights=str(start),
                             backbone="mobilenet128_0.25", head_width=16, fpn_width=16,
                             image_min_side=96, image_max_side=128, batch_size=2,
                             epochs=2, steps=3, learning_rate=1e-3, keep_best=1,
                             precision=name)
        runs[name] = train(config)
    rows = {name: read_metrics(run) for name, run in runs.items()}
    assert list(rows["bfloat16"][0]) == list(rows["float32"][0])
    for key in ("loss", "regression_loss", "classification_loss", "val_loss"):
        ours, theirs = (float(rows[name][0][key]) for name in ("bfloat16", "float32"))
        assert np.isfinite(ours) and abs(ours - theirs) <= 0.1 * abs(theirs), key
    assert load_card(runs["bfloat16"]).extra["training_precision"] == "bfloat16"
    snapshot = load_keras_model(runs["bfloat16"] / rows["bfloat16"][-1]["snapshot"],
                                "mobilenet128_0.25")
    assert {layer.compute_dtype for layer in snapshot.layers[1:]} == {"float32"}
    resumed = train(resume_config(runs["bfloat16"], epochs=3), resume=True)
    assert [int(row["epoch"]) for row in read_metrics(resumed)] == [1, 2, 3]
    assert np.isfinite(float(read_metrics(resumed)[-1]["loss"]))
