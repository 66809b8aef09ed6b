"""Appending rows to the kit's CSV files (manifests, sources.csv)."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Sequence


def append_csv_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Append ``rows``, writing ``header`` first when the file is new or empty."""
    new_file = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        if new_file:
            writer.writerow(header)
        writer.writerows(rows)


def write_csv_dicts(path: Path, columns: Sequence[str], rows: Iterable[dict]) -> Path:
    """Rewrite ``path`` atomically with a header and one line per dict (other keys ignored)."""
    part = path.with_name(path.name + ".part")
    with part.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    part.replace(path)
    return path
