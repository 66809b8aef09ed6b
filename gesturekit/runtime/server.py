"""One ``openvino.Core`` compiling and serving several named models at once.

    server = ModelServer()
    server.add("hands", "export/model.xml")                  # carries its own card
    server.add("person", "person-detection-asl-0001.xml")    # shipped card, found by name
    server.add("gesture", "clip.xml", "clip.yaml")           # any model + its card
    detections = server["hands"].detect(image)               # synchronous, LATENCY hint
    for detections in server["person"].stream(frames):       # AsyncInferQueue, THROUGHPUT
        ...

Every compile sets INFERENCE_PRECISION_HINT from the card (f32 unless the card or ``add``
says otherwise), never the CPU plugin's silent bf16 default.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from detector.engine import OpenVinoModel
from voc_tools.errors import GestureKitError

from gesturekit.pose import adapter  # noqa: F401  (the engine's pose-classifier adapter)

from . import clip  # noqa: F401  (the engine's clip-classifier adapter)
from .cards import resolve_card


class ServedModel(OpenVinoModel):
    """A model compiled by a :class:`ModelServer`: the engine's sync ``infer``/``detect``/
    ``classify``/``predict`` (LATENCY), and ``stream``/``process`` over many items
    (THROUGHPUT, in order)."""

    def __init__(self, server: "ModelServer", name: str, path: Path, card: Any,
                 precision: str | None) -> None:
        super().__init__(path, card, name, precision, server.core, server.device)
        self.server = server
        self._throughput: Any = None

    def settings(self, mode: str = "LATENCY") -> dict[str, str]:
        """The compiled model's actual precision and hint (mode LATENCY or THROUGHPUT)."""
        compiled = self.compiled if mode == "LATENCY" else self.throughput_compiled
        return {"precision": compiled.get_property("INFERENCE_PRECISION_HINT").to_string(),
                "hint": str(compiled.get_property("PERFORMANCE_HINT")),
                "requests": str(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))}

    @property
    def throughput_compiled(self) -> Any:
        """The THROUGHPUT-hinted compilation, made on first use."""
        if self._throughput is None:
            from detector.backends import compile_openvino

            self._throughput = compile_openvino(self.core, self.model, self.path,
                                                self.precision, "THROUGHPUT", self.device)
        return self._throughput

    def stream(self, items: Iterable[Any], jobs: int = 0,
               **decode_args: Any) -> Iterator[Any]:
        """Results of ``items`` (images or clips), in input order, computed asynchronously
        by ``jobs`` parallel requests (0: OpenVINO's optimal number)."""
        import openvino as ov

        queue = ov.AsyncInferQueue(self.throughput_compiled, jobs)
        done: dict[int, list[np.ndarray]] = {}
        failed: list[BaseException] = []

        def on_done(request: Any, index: int) -> None:
            try:
                done[index] = self.outputs_of(request)
            except BaseException as err:  # surfaced in the caller's thread below
                failed.append(err)

        queue.set_callback(on_done)
        metas: dict[int, Any] = {}
        next_index = 0
        try:
            for index, item in enumerate(items):
                tensor, metas[index] = self.adapter.prepare(item)
                queue.start_async({0: tensor}, index)
                while next_index in done:
                    yield self.adapter.decode(done.pop(next_index), metas.pop(next_index),
                                              **decode_args)
                    next_index += 1
            queue.wait_all()
            if failed:
                raise failed[0]
            while next_index in done:
                yield self.adapter.decode(done.pop(next_index), metas.pop(next_index),
                                          **decode_args)
                next_index += 1
        finally:
            queue.wait_all()

    def process(self, items: Iterable[Any], callback: Callable[[int, Any], None],
                jobs: int = 0, **decode_args: Any) -> int:
        """Call ``callback(index, result)`` for each item in order; returns the count."""
        count = 0
        for count, result in enumerate(self.stream(items, jobs, **decode_args), start=1):
            callback(count - 1, result)
        return count


class ModelServer:
    """Compiles and serves several named models with one ``openvino.Core``."""

    def __init__(self, device: str = "CPU") -> None:
        import openvino as ov

        self.core = ov.Core()
        self.device = device
        self.models: dict[str, ServedModel] = {}

    def add(self, name: str, model_path: str | Path, card_path: str | Path | None = None,
            precision: str | None = None) -> ServedModel:
        """Read, check against its card, and compile one model (.xml IR or .onnx).

        Without ``card_path`` the model's own card is used (an exported GestureKit model's
        ``gesturekit.json`` or IR rt_info, or a card shipped in ``gesturekit/runtime/cards``).
        ``precision`` (f32, bf16, f16) overrides the card's.
        """
        if name in self.models:
            raise GestureKitError(f"a model named '{name}' is already served", model_path)
        path = Path(model_path)
        served = ServedModel(self, name, path, resolve_card(path, card_path), precision)
        self.models[name] = served
        return served

    def __getitem__(self, name: str) -> ServedModel:
        if name not in self.models:
            raise GestureKitError(f"no model named '{name}' is served (have "
                                  f"{', '.join(sorted(self.models)) or 'none'})")
        return self.models[name]

    def __contains__(self, name: str) -> bool:
        return name in self.models

    @property
    def names(self) -> list[str]:
        return list(self.models)

    def infer(self, name: str, item: Any, **decode_args: Any) -> Any:
        """Synchronous inference of one image or clip by the model ``name``."""
        return self[name].infer(item, **decode_args)

    def stream(self, name: str, items: Iterable[Any], jobs: int = 0,
               **decode_args: Any) -> Iterator[Any]:
        """Asynchronous, in-order results of ``items`` by the model ``name``."""
        return self[name].stream(items, jobs, **decode_args)
