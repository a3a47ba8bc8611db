"""Schemas of the processed tables (pandera), checked before they are written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

__all__ = ["SCHEMAS", "validate"]

CANDIDATE = r"^C[0-9a-f]{16}$"


def _matches(pattern: str) -> pa.Check:
    """``Check.str_matches(pattern)``, tested once per distinct value.

    A long table repeats each candidate once per item and wave: the pattern is
    matched on the distinct values and the answer spread back to every row
    (the failure cases are the same rows).
    """
    def check(values: pd.Series) -> pd.Series:
        codes, distinct = pd.factorize(values)
        ok = pd.Series(distinct, dtype=values.dtype).str.match(pattern, na=False)
        return pd.Series(ok.to_numpy(dtype=bool)[codes], index=values.index)

    return pa.Check(check, name="str_matches", error=f"str_matches('{pattern}')")


def _unique(columns: list[str]) -> pa.Check:
    """The rows are unique on ``columns`` (the schema's ``unique=``), from integer codes.

    Each column is factorized, and the codes combined into one integer per
    row: no hashing of tuples of texts over a table of millions of rows.
    Duplicated rows (all of them) are the failure cases.
    """
    def check(frame: pd.DataFrame) -> pd.Series:
        key, space = np.zeros(len(frame), dtype=np.int64), 1
        for column in columns:
            values = frame[column]
            if isinstance(values.dtype, pd.CategoricalDtype):  # missing: -1, one more code
                codes, size = values.cat.codes.to_numpy(np.int64) + 1, len(values.cat.categories) + 1
            else:
                codes, distinct = pd.factorize(values, use_na_sentinel=False)
                size = max(len(distinct), 1)
            key, space = key * size + codes, space * size
        if space <= 4 * len(key) + 1_000_000:  # counts per possible key: no hashing
            repeated = np.bincount(key, minlength=space)[key] > 1
        else:
            repeated = pd.Series(key).duplicated(keep=False).to_numpy()
        return pd.Series(~repeated, index=frame.index)

    return pa.Check(check, name="unique", error=f"rows unique on {columns}")


_cand = pa.Column(str, _matches(CANDIDATE))

SCHEMAS = {
    "responses": pa.DataFrameSchema({
        "candidate": _cand,
        "wave": pa.Column("category"),
        "item": pa.Column("category"),
        "dimension": pa.Column("category"),
        "raw_value": pa.Column("Int64", nullable=True),
        "value": pa.Column("Int64", nullable=True),
        "status": pa.Column("category", pa.Check.isin(["answered", "dont_know", "missing", "invalid"])),
        "label": pa.Column("category", nullable=True),
    }, checks=_unique(["candidate", "wave", "item"]), strict=True),
    "scores": pa.DataFrameSchema({
        "candidate": _cand,
        "wave": pa.Column("category"),
        "dimension": pa.Column("category"),
        "score": pa.Column(float, nullable=True),
        "n_answered": pa.Column(int, pa.Check.ge(0)),
        "n_items": pa.Column(int, pa.Check.gt(0)),
    }, checks=_unique(["candidate", "wave", "dimension"]), strict=True),
    "questionnaires": pa.DataFrameSchema({
        "candidate": _cand,
        "wave": pa.Column("category"),
        "date": pa.Column("datetime64[ns]", nullable=True),
        "n_answered": pa.Column(int, pa.Check.gt(0)),
        "source_file": pa.Column(str),
        "source_line": pa.Column(int, pa.Check.gt(0)),
    }, checks=_unique(["candidate", "wave"]), strict=True),
    "candidates": pa.DataFrameSchema({
        "candidate": pa.Column(str, _matches(CANDIDATE), unique=True),
        "pattern": pa.Column(str),
        "n_waves": pa.Column(int, pa.Check.ge(0)),
    }),
}


def validate(processed) -> None:
    """Check every processed table against its schema (raises on a bug)."""
    for name, schema in SCHEMAS.items():
        schema.validate(getattr(processed, name), lazy=True)
