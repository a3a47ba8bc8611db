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
        ok = np.append(ok.to_numpy(dtype=bool), True)  # code -1, missing: the column's
        return pd.Series(ok[codes], index=values.index)  # nullable says

    # ignore_na=False: pandera would otherwise check a copy without the missing values
    return pa.Check(check, name="str_matches", error=f"str_matches('{pattern}')",
                    ignore_na=False)


def _unique(columns: list[str]) -> pa.Check:
    """The rows are unique on ``columns`` (the schema's ``unique=``), from integer codes.

    Each column is factorized, and the codes combined into one integer per
    row: no hashing of tuples of texts over a table of millions of rows.
    Duplicated rows (all of them) are the failure cases.
    """
    def check(frame: pd.DataFrame) -> pd.Series:
        key, space = np.zeros(len(frame), dtype=np.int64), 1
        for column in columns:  # in place: the table may have millions of rows
            values = frame[column]
            if isinstance(values.dtype, pd.CategoricalDtype):  # missing: -1, one more code
                codes, size = values.cat.codes.to_numpy(), len(values.cat.categories) + 1
                key *= size
                key += codes
                key += 1
            else:
                codes, distinct = pd.factorize(values, use_na_sentinel=False)
                size = max(len(distinct), 1)
                key *= size
                key += codes
            del codes
            space *= size
        if space <= len(key) + 1_000_000:  # a count per possible key: no hashing
            repeated = np.bincount(key, minlength=space)[key] > 1
        else:
            ordered = np.sort(key)
            if len(key) < 2 or (ordered[1:] != ordered[:-1]).all():  # the usual answer
                repeated = np.zeros(len(key), dtype=bool)
            else:
                repeated = pd.Series(key).duplicated(keep=False).to_numpy()
        return pd.Series(~repeated, index=frame.index)

    # ignore_na=False: pandera would otherwise check a copy of the table without
    # the rows holding a missing value (most rows of responses hold one)
    return pa.Check(check, name="unique", error=f"rows unique on {columns}", ignore_na=False)


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
    """Check every processed table against its schema (raises on a bug).

    ``inplace=True``: nothing is coerced, so the tables are checked as they
    are, without the copy pandera makes otherwise (a copy of the long
    ``responses`` table was the peak of memory of ``impactlib clean``).
    """
    for name, schema in SCHEMAS.items():
        schema.validate(getattr(processed, name), lazy=True, inplace=True)
