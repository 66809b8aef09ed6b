"""Make keras-retinanet 1.0.0 run on current TensorFlow with tf-keras.

Nothing installed is edited; everything happens at import time:

* ``TF_USE_LEGACY_KERAS=1`` (set by the ``detector`` package, the kit's one TF setup) so
  ``tensorflow.keras`` is tf-keras (Keras 2 API).
* keras-resnet does ``import keras`` (Keras 3 on current installs): it is imported
  while ``keras`` and its submodules resolve to ``tf_keras``, then restored.
* ``efficientnet.keras`` is pointed at ``efficientnet.tfkeras``, and TF's legacy
  ``is_keras_tensor`` learns to accept tf-keras tensors.
* TensorFlow's native start-up lines (absl, CUDA stubs, oneDNN) that ignore
  ``TF_CPP_MIN_LOG_LEVEL`` are dropped while it is imported; other lines still show.

Call :func:`setup` (idempotent) before importing keras_retinanet.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator

# keras-retinanet reuses one initializer instance for several layers (harmless here).
warnings.filterwarnings("ignore", message="The initializer .* is unseeded")

_DONE = False
#: Native start-up lines of TensorFlow that TF_CPP_MIN_LOG_LEVEL does not silence.
_NOISE = ("All log messages before absl::InitializeLog()", "cudart_stub.cc", "cuda_dnn.cc",
          "cuda_fft.cc", "cuda_blas.cc", "Unable to register cu", "computation_placer",
          "oneDNN custom operations", "cpu_feature_guard", "This TensorFlow binary is "
          "optimized", "TF-TRT Warning", "Could not find cuda drivers")
_KERAS_SUBMODULES = ("backend", "layers", "models", "regularizers", "metrics",
                     "initializers", "utils", "engine", "optimizers", "losses",
                     "callbacks", "activations", "applications")


def _import_keras_resnet() -> None:
    """Import keras_resnet with ``keras`` aliased to ``tf_keras``; restore afterwards."""
    if "keras_resnet" in sys.modules:
        return
    import tf_keras

    saved = {name: mod for name, mod in sys.modules.items()
             if name == "keras" or name.startswith("keras.")}
    for name in saved:
        del sys.modules[name]
    try:
        sys.modules["keras"] = tf_keras
        for sub in _KERAS_SUBMODULES:
            try:
                sys.modules[f"keras.{sub}"] = importlib.import_module(f"tf_keras.{sub}")
            except ImportError:
                pass
        import keras_resnet  # noqa: F401
        import keras_resnet.layers  # noqa: F401
        import keras_resnet.models  # noqa: F401
        import keras_resnet.blocks  # noqa: F401
    finally:
        for name in [n for n in sys.modules if n == "keras" or n.startswith("keras.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def _alias_efficientnet() -> None:
    """Make ``import efficientnet.keras`` give the tf.keras flavour."""
    try:
        import efficientnet.tfkeras as efn_tfkeras
    except ImportError:
        return  # optional: only the EfficientNet backbones need it
    sys.modules["efficientnet.keras"] = efn_tfkeras
    import efficientnet
    efficientnet.keras = efn_tfkeras

    import tf_keras
    from tensorflow.python.keras import backend as legacy_backend

    original = legacy_backend.is_keras_tensor
    if getattr(original, "_gesturekit_patched", False):
        return

    def is_keras_tensor(x):  # type: ignore[no-untyped-def]
        if tf_keras.backend.is_keras_tensor(x):
            return True
        return original(x)

    is_keras_tensor._gesturekit_patched = True  # type: ignore[attr-defined]
    legacy_backend.is_keras_tensor = is_keras_tensor


@contextlib.contextmanager
def _quiet_native_logs() -> Iterator[None]:
    """Hold back file descriptor 2 while TensorFlow loads; replay all but :data:`_NOISE`."""
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") < "1":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines(keepends=True)
                    if not any(noise in line for noise in _NOISE)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def setup() -> None:
    """Prepare the import environment for keras_retinanet (idempotent)."""
    global _DONE
    if _DONE:
        return
    if "tensorflow" in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        raise RuntimeError("TensorFlow was imported before TF_USE_LEGACY_KERAS=1 was set; "
                           "import the kit (detector, convert or gesturekit) before tensorflow")
    with _quiet_native_logs():
        _import_keras_resnet()
        _alias_efficientnet()
    _DONE = True


setup()
