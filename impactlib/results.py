"""Results: the shareable aggregate tables written to ``DIR/results/``.

Results hold counts and statistics only: no candidate id, no pseudonym, no raw
answer. :func:`build_results` computes them from processed tables;
:func:`write_results` writes them as UTF-8 CSV with ``,`` and ``.``, in a fixed
row and column order, so the same inputs give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .attrition import pattern_counts
from .processed import Processed

__all__ = ["build_results", "write_results", "read_results", "QUALITY_COLUMNS"]

QUALITY_COLUMNS = ["wave", "file", "rows_read", "rows_kept", "rows_rejected",
                   "duplicates_dropped", "cells_invalid"]


def build_results(processed: Processed) -> dict[str, pd.DataFrame]:
    """Every result table, keyed by its file name (without ``.csv``)."""
    answered = processed.candidates[processed.candidates["n_waves"] > 0]
    patterns = pattern_counts(answered, waves=processed.waves)[["pattern", "n_candidates"]]
    quality = processed.quality[QUALITY_COLUMNS + [c for c in processed.quality.columns
                                                   if c not in QUALITY_COLUMNS]]
    return {"patterns": patterns, "quality": quality}


def write_results(results: dict[str, pd.DataFrame], folder: str | Path) -> Path:
    """Write each table to ``folder/<name>.csv`` (deterministic bytes)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in sorted(results.items()):
        table.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8",
                     lineterminator="\n", float_format="%.10g")
    return folder


def read_results(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Read back every ``*.csv`` of a results folder."""
    return {p.stem: pd.read_csv(p, keep_default_na=False, na_values=[""])
            for p in sorted(Path(folder).glob("*.csv"))}
