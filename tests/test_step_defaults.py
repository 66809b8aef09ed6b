"""One set of export and bench defaults: the CLI's options come from the library's
ExportConfig and BenchConfig (as train's come from TrainConfig, tests/test_train_defaults.py)."""
from __future__ import annotations

from dataclasses import fields

import pytest

from convert.export import ExportConfig
from gesturekit.cli import build_parser
from gesturekit.cli import bench, export
from gesturekit.runtime.benchmark import BenchConfig


def _parse(*argv: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(list(argv))


def _changed(config, defaults) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.name for f in fields(config) if getattr(config, f.name) != getattr(defaults, f.name)}


def test_export_cli_defaults_are_the_librarys() -> None:
    config = export.config_from_args(_parse("export", "M", "--out", "O"))
    assert config == ExportConfig(model="M", out="O")


def test_every_export_field_is_an_option() -> None:
    defaults = ExportConfig(model="M", out="O")
    config = export.config_from_args(_parse(
        "export", "M", "--out", "O", "--format", "onnx", "--precision", "int8",
        "--input-size", "64x80", "--root", "R", "--calib-size", "5"))
    dynamic = export.config_from_args(_parse("export", "M", "--out", "O", "--dynamic"))
    assert _changed(config, defaults) | _changed(dynamic, defaults) == \
        {f.name for f in fields(ExportConfig)} - {"model", "out"}


def test_bench_cli_defaults_are_the_librarys() -> None:
    config = bench.config_from_args(_parse("bench", "M", "--root", "R"))
    assert config == BenchConfig(model="M", root="R")


def test_every_bench_field_is_an_option() -> None:
    """Each BenchConfig field but async_repeats (library only) can be set from the CLI."""
    config = bench.config_from_args(_parse(
        "bench", "M", "--root", "R", "--out", "D", "--input-size", "64x80", "--runs", "7",
        "--warmup", "2", "--split", "test", "--backends", "openvino_fp32", "--video", "V.mp4",
        "--video-frames", "9", "--no-map", "--calib-size", "5", "--note", "n"))
    assert _changed(config, BenchConfig(model="M", root="R")) == \
        {f.name for f in fields(BenchConfig)} - {"model", "root", "async_repeats"}


def test_a_voc_root_is_root_on_every_verb_and_the_old_names_still_work(capsys) -> None:  # type: ignore[no-untyped-def]
    """--root ROOT where a verb takes the VOC root as an option; the old option names are
    aliases of it, so command lines written before keep working."""
    for verb, old in (("bench", "--images"), ("export", "--calib"), ("pose-eval", "--voc"),
                      ("pose-train", "--voc")):
        argv = [verb, "M", "--out", "O"] if verb in ("export", "pose-train") else [verb, "M"]
        assert str(_parse(*argv, "--root", "R").root) == "R", verb
        assert str(_parse(*argv, old, "R").root) == "R", (verb, old)
        with pytest.raises(SystemExit):
            _parse(verb, "--help")
        assert f"--root ROOT, {old} ROOT" in capsys.readouterr().out, verb
