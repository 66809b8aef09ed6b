"""Inference jobs submitted under a key and collected later: :class:`AsyncJobs` runs them
on OpenVINO's ``AsyncInferQueue`` (THROUGHPUT hint) while the caller goes on with other
work; :class:`SyncJobs` runs each at once, with the same interface, as the baseline."""
from __future__ import annotations

import threading
from typing import Any, Hashable

import numpy as np


class SyncJobs:
    """Each job runs at submission (the served model's LATENCY compilation)."""

    def __init__(self, served: Any, **decode_args: Any) -> None:
        self.served, self.decode_args = served, decode_args
        self._results: dict[Hashable, Any] = {}

    def submit(self, key: Hashable, item: Any) -> None:
        self._results[key] = self.served.infer(item, **self.decode_args)

    def ready(self, key: Hashable) -> bool:
        return key in self._results

    def pop(self, key: Hashable) -> Any:
        """The decoded result of job ``key`` (waits for it), forgotten afterwards."""
        return self._results.pop(key)

    def close(self) -> None:
        self._results.clear()


class AsyncJobs(SyncJobs):
    """Jobs run by ``jobs`` parallel infer requests (0: OpenVINO's optimal number) of a
    :class:`~runtime.server.ServedModel`; callbacks only copy the outputs."""

    def __init__(self, served: Any, jobs: int = 0, **decode_args: Any) -> None:
        import openvino as ov

        super().__init__(served, **decode_args)
        self._queue = ov.AsyncInferQueue(served.throughput_compiled, jobs)
        self._queue.set_callback(self._done)
        self._meta: dict[Hashable, Any] = {}
        self._outputs: dict[Hashable, list[np.ndarray]] = {}
        self._failed: list[BaseException] = []
        self._changed = threading.Condition()

    def _done(self, request: Any, key: Hashable) -> None:
        try:
            outputs = self.served.outputs_of(request)
        except BaseException as err:  # surfaced in the caller's thread by pop
            with self._changed:
                self._failed.append(err)
                self._changed.notify_all()
            return
        with self._changed:
            self._outputs[key] = outputs
            self._changed.notify_all()

    def submit(self, key: Hashable, item: Any) -> None:
        """Prepare ``item`` here and start it; blocks only while every request is busy."""
        tensor, self._meta[key] = self.served.adapter.prepare(item)
        self._queue.start_async({0: tensor}, key)

    def ready(self, key: Hashable) -> bool:
        with self._changed:
            return key in self._outputs or bool(self._failed)

    def pop(self, key: Hashable) -> Any:
        with self._changed:
            self._changed.wait_for(lambda: key in self._outputs or self._failed)
            if self._failed:
                raise self._failed[0]
            outputs = self._outputs.pop(key)
        return self.served.adapter.decode(outputs, self._meta.pop(key), **self.decode_args)

    def close(self) -> None:
        """Wait for the jobs in flight and forget every result."""
        self._queue.wait_all()
        with self._changed:
            self._outputs.clear()
        self._meta.clear()
