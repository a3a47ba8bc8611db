"""Schemas of the processed tables (pandera), checked before they are written."""

from __future__ import annotations

import pandera.pandas as pa

__all__ = ["SCHEMAS", "validate"]

_cand = pa.Column(str, pa.Check.str_matches(r"^C[0-9a-f]{16}$"))

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
    }, unique=["candidate", "wave", "item"], strict=True),
    "scores": pa.DataFrameSchema({
        "candidate": _cand,
        "wave": pa.Column("category"),
        "dimension": pa.Column("category"),
        "score": pa.Column(float, nullable=True),
        "n_answered": pa.Column(int, pa.Check.ge(0)),
        "n_items": pa.Column(int, pa.Check.gt(0)),
    }, unique=["candidate", "wave", "dimension"], strict=True),
    "questionnaires": pa.DataFrameSchema({
        "candidate": _cand,
        "wave": pa.Column("category"),
        "date": pa.Column("datetime64[ns]", nullable=True),
        "n_answered": pa.Column(int, pa.Check.gt(0)),
        "source_file": pa.Column(str),
        "source_line": pa.Column(int, pa.Check.gt(0)),
    }, unique=["candidate", "wave"], strict=True),
    "candidates": pa.DataFrameSchema({
        "candidate": pa.Column(str, pa.Check.str_matches(r"^C[0-9a-f]{16}$"), unique=True),
        "pattern": pa.Column(str),
        "n_waves": pa.Column(int, pa.Check.ge(0)),
    }),
}


def validate(processed) -> None:
    """Check every processed table against its schema (raises on a bug)."""
    for name, schema in SCHEMAS.items():
        schema.validate(getattr(processed, name), lazy=True)
