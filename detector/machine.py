"""What the machine's CPU is and can do, read from /proc/cpuinfo (TensorFlow-free): for the
training precision (:mod:`detector.precision`) and for every benchmark's machine line."""
from __future__ import annotations

import platform
from pathlib import Path

#: The instruction-set flags the kit's speed depends on (oneDNN's int8 and bf16 paths).
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16",
             "amx_int8")


def _read_cpuinfo() -> tuple[str | None, set[str]]:
    """The first ``model name`` and every flag of /proc/cpuinfo (None and none if unreadable)."""
    model, flags = None, set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model is None:
                model = value.strip()
            elif key.strip() == "flags":
                flags |= set(value.split())
    except OSError:
        pass
    return model, flags


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), else ``platform.processor()``, else "unknown"."""
    return _read_cpuinfo()[0] or platform.processor() or "unknown"


def cpu_flags() -> list[str]:
    """Those of :data:`CPU_FLAGS` that /proc/cpuinfo lists, in that order."""
    flags = _read_cpuinfo()[1]
    return [flag for flag in CPU_FLAGS if flag in flags]
