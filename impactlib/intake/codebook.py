"""The codebook: which columns are items, their dimensions, scales and labels.

A codebook is either a workbook with two sheets, ``items`` and ``scales``, or a
folder holding ``items.csv`` and ``scales.csv``.

``items``: ``item`` (the column code in the exports), ``text``, ``dimension``,
``scale``, ``reverse`` (oui/non, yes/no, true/false, 1/0; empty means no).

``scales``: ``scale``, ``value`` (an integer; empty for a label that means
"missing", such as "Ne sait pas"), ``label``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from impactlib.errors import StudyError
from impactlib.intake.readers import RawTable, check_unique_columns, normalize_key, read_table

__all__ = ["Codebook", "read_codebook", "TRUE_WORDS", "FALSE_WORDS"]

TRUE_WORDS = {"oui", "yes", "true", "vrai", "1", "o", "y", "x"}
FALSE_WORDS = {"non", "no", "false", "faux", "0", "n", ""}
ITEM_COLUMNS = ["item", "text", "dimension", "scale", "reverse"]
SCALE_COLUMNS = ["scale", "value", "label"]


@dataclass
class Codebook:
    """Items and scales of a questionnaire, checked and normalized.

    Attributes
    ----------
    items : DataFrame
        ``item``, ``text``, ``dimension``, ``scale``, ``reverse`` (bool),
        ``min``, ``max`` (the scale's smallest and largest value).
    scales : DataFrame
        ``scale``, ``value`` (Int64, <NA> for a missing-value label), ``label``,
        ``key`` (the folded label used for matching).
    source : Path
    """

    items: pd.DataFrame
    scales: pd.DataFrame
    source: Path

    @property
    def dimensions(self) -> list[str]:
        """Dimensions in codebook order."""
        return list(dict.fromkeys(self.items["dimension"]))


def _columns(table: RawTable, wanted: list[str], optional: set[str]) -> pd.DataFrame:
    """Pick the wanted columns (matched ignoring case and spaces)."""
    check_unique_columns(table, wanted)
    keys = dict(zip(normalize_key(pd.Series(table.data.columns, dtype=object)),
                    table.data.columns))
    out = {}
    for name in wanted:
        if name in keys:
            out[name] = table.data[keys[name]].astype(str).str.strip()
        elif name in optional:
            out[name] = pd.Series("", index=table.data.index, dtype=object)
        else:
            raise StudyError(
                f"missing column '{name}'; the table has: "
                + ", ".join(repr(c) for c in table.data.columns), table.file, 1, name)
    frame = pd.DataFrame(out)
    frame.index = table.lines
    return frame[(frame != "").any(axis=1)]


def read_codebook(path: str | Path) -> Codebook:
    """Read and check a codebook (workbook or folder).

    Raises
    ------
    StudyError
        Missing tables or columns, duplicate item codes, a scale used by an item
        but not defined, a value that is not an integer, two labels of one scale
        that cannot be told apart, a reverse flag that is not yes or no.
    """
    path = Path(path)
    if path.is_dir():
        items_file, scales_file = path / "items.csv", path / "scales.csv"
        items_raw, scales_raw = read_table(items_file), read_table(scales_file)
    elif path.exists():
        items_raw, scales_raw = read_table(path, "items"), read_table(path, "scales")
        items_file = scales_file = path
    else:
        raise StudyError("codebook not found (a workbook with sheets 'items' "
                         "and 'scales', or a folder with items.csv and scales.csv)", path)
    scales = _check_scales(_columns(scales_raw, SCALE_COLUMNS, set()), scales_file)
    items = _check_items(_columns(items_raw, ITEM_COLUMNS, {"text", "reverse"}),
                         items_file, scales)
    return Codebook(items=items.reset_index(drop=True),
                    scales=scales.reset_index(drop=True), source=path)


def _check_scales(s: pd.DataFrame, file: Path) -> pd.DataFrame:
    for col in ("scale", "label"):
        empty = s.index[s[col] == ""]
        if len(empty):
            raise StudyError(f"empty '{col}'", file, int(empty[0]), col)
    number = pd.to_numeric(s["value"].str.replace(",", ".", regex=False), errors="coerce")
    bad = (s["value"] != "") & (number.isna() | ~np.isfinite(number.fillna(0))
                                | (number.abs() > 1e6) | (number != np.round(number)))
    if bad.any():
        line = int(s.index[bad.to_numpy()][0])
        raise StudyError(f"value '{s.loc[line, 'value']}' is not a whole number "
                         "(leave it empty for a missing-value label)", file, line, "value")
    s = s.assign(value=number.astype("Int64"), key=normalize_key(s["label"]))
    blank = s["key"] == ""
    if blank.any():
        line = int(s.index[blank.to_numpy()][0])
        raise StudyError("a label must have letters or digits (this one is only accents or "
                         "spaces)", file, line, "label")
    for (dup_cols, what) in ((["scale", "key"], "label"), (["scale", "value"], "value")):
        sub = s if what == "label" else s[s["value"].notna()]
        dup = sub.duplicated(dup_cols, keep="first")
        if dup.any():
            line = int(sub.index[dup.to_numpy()][0])
            raise StudyError(f"scale '{sub.loc[line, 'scale']}' has the {what} "
                             f"'{sub.loc[line, what]}' twice (labels are compared "
                             "ignoring case, accents and spaces)", file, line, what)
    n_values = s[s["value"].notna()].groupby("scale")["value"].nunique()
    for scale in s["scale"].unique():
        if n_values.get(scale, 0) < 2:
            line = int(s.index[(s["scale"] == scale).to_numpy()][0])
            raise StudyError(f"scale '{scale}' needs at least two numbered labels",
                             file, line, "value")
    return s


def _check_items(it: pd.DataFrame, file: Path, scales: pd.DataFrame) -> pd.DataFrame:
    for col in ("item", "dimension", "scale"):
        empty = it.index[it[col] == ""]
        if len(empty):
            raise StudyError(f"empty '{col}'", file, int(empty[0]), col)
    key = normalize_key(it["item"])
    dup = key.duplicated(keep="first")
    if dup.any():
        line = int(it.index[dup.to_numpy()][0])
        first = int(it.index[(key == key[line]).to_numpy()][0])
        raise StudyError(f"item code '{it.loc[line, 'item']}' is defined twice "
                         f"(also line {first})", file, line, "item")
    unknown = ~it["scale"].isin(set(scales["scale"]))
    if unknown.any():
        line = int(it.index[unknown.to_numpy()][0])
        raise StudyError(f"scale '{it.loc[line, 'scale']}' is used but not defined "
                         "in the scales table", file, line, "scale")
    flag = normalize_key(it["reverse"])
    bad = ~flag.isin(TRUE_WORDS | FALSE_WORDS)
    if bad.any():
        line = int(it.index[bad.to_numpy()][0])
        raise StudyError(f"reverse must be oui/non, yes/no, true/false or 1/0, "
                         f"not '{it.loc[line, 'reverse']}'", file, line, "reverse")
    bounds = (scales[scales["value"].notna()].groupby("scale")["value"]
              .agg(["min", "max"]).astype(int))
    it = it.assign(reverse=flag.isin(TRUE_WORDS).to_numpy())
    it = it.join(bounds, on="scale")
    return it[["item", "text", "dimension", "scale", "reverse", "min", "max"]]
