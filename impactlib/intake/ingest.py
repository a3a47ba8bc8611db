"""Ingestion: one wave export in, answers checked against the codebook out.

For each wave, every row read is accounted for (``rows_read = rows_kept +
rows_rejected + duplicates_dropped``), in this order:

0. a row that the export's shape sets aside (:mod:`impactlib.intake.shapes`)
   is **rejected** with its reason: an incomplete response (its
   ``complete_column`` is empty), a row of a shared file whose wave value
   names no wave (in the first wave reading that file);
1. a row whose id cell is empty is **rejected** ("empty id");
2. a row identical in every cell to an earlier row is **dropped** and counted
   as an exact duplicate;
3. a row with no item answered with a value of the scale is **rejected**
   ("no item answered"; "Ne sait pas" and invalid cells do not count);
4. when one candidate has several remaining rows in the wave, the most
   complete one is **kept** (most items answered), then the earliest dated,
   then the first in the file; the others are **rejected** with the line of
   the kept one.

Cells: a cell holds a label of the item's scale or its numeric value. Labels
match ignoring case, accents, apostrophe style and spaces. A label that means
missing ("Ne sait pas") gives status ``dont_know``; an empty cell ``missing``;
anything else is ``invalid``: the value becomes missing and the raw text is
recorded with file, line, column and reason. Reverse items are recoded
``min + max - value`` so that higher is always better.

Ids are matched across waves after trimming, folding case and repeated
spaces, and dropping a ``.0`` that a workbook adds to a whole number.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impactlib.intake.codebook import Codebook
from impactlib.intake.dates import parse_dates
from impactlib.errors import StudyError
from impactlib.intake.readers import (RawTable, check_unique_columns, fold_key, normalize_key,
                                      read_table)
from impactlib.intake.shapes import reject_set_aside, wave_table
from impactlib.intake.study import Study, Wave

__all__ = ["WaveData", "read_wave", "map_cells", "normalize_ids", "STATUSES",
           "reject_empty_id", "drop_exact_duplicates", "reject_no_item_answered",
           "resolve_conflicts", "warn_many_invalid_cells"]

log = logging.getLogger(__name__)
STATUSES = ["answered", "dont_know", "missing", "invalid"]

REASON_EMPTY_ID = "empty id"
REASON_NO_ANSWER = "no item answered"
REASON_CONFLICT = "another questionnaire of this candidate in this wave was kept: line "


@dataclass
class WaveData:
    """What ingestion keeps of one wave, and the account of what it did not."""

    wave: Wave
    kept: pd.DataFrame         # one row per kept questionnaire (see read_wave)
    cells: pd.DataFrame        # kept rows x items: raw_value, status, label
    rejected: pd.DataFrame     # wave, file, line, reason, id, raw_row
    invalid: pd.DataFrame      # wave, file, line, column, raw_value, reason, id_key
    quality: dict
    covariate_columns: dict    # covariate name -> column of this export


def normalize_ids(ids: pd.Series) -> pd.Series:
    """Fold ids for linkage: trim, case-fold, one space, no trailing ``.0``."""
    return (ids.astype("string").fillna("").str.strip()
            .str.replace(r"\s+", " ", regex=True)
            .str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
            .str.casefold().astype(object))


def _column_index(table: RawTable) -> dict[str, str]:
    keys = normalize_key(pd.Series(list(table.data.columns), dtype=object))
    return dict(zip(keys, table.data.columns))


def _find(columns: dict[str, str], name: str) -> str | None:
    return columns.get(fold_key(name))


def map_cells(cells: np.ndarray, scales: np.ndarray, codebook: Codebook) -> pd.DataFrame:
    """Map raw cells to scale values.

    Parameters
    ----------
    cells : array of str
        Raw cell texts ("" when empty).
    scales : array of str
        The scale of each cell's item.
    codebook : Codebook

    Returns
    -------
    DataFrame
        ``raw_value`` (Int64), ``status`` (answered, dont_know, missing,
        invalid; categorical), ``label`` (canonical label or <NA>;
        categorical, the codebook's labels as categories), ``reason`` (for
        invalid cells). Distinct (scale, text) pairs are resolved once.
    """
    codes, scales, texts = _distinct_pairs(scales, cells)
    return _map_pairs(scales, texts, codebook).iloc[codes].reset_index(drop=True)


def _distinct_pairs(scales, texts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of the distinct (scale, text) pairs, and the scale and text of each pair."""
    scale_codes, scale_values = pd.factorize(np.asarray(scales, dtype=object),
                                             use_na_sentinel=False)
    text_codes, text_values = pd.factorize(np.asarray(texts, dtype=object),
                                           use_na_sentinel=False)
    width = max(len(text_values), 1)
    codes, pairs = pd.factorize(scale_codes.astype(np.int64) * width + text_codes)
    return (codes, np.asarray(scale_values, dtype=object)[pairs // width],
            np.asarray(text_values, dtype=object)[pairs % width])


def _map_pairs(scales: np.ndarray, texts: np.ndarray, codebook: Codebook) -> pd.DataFrame:
    """:func:`map_cells` for distinct (scale, text) pairs, one row each, in their order."""
    u = pd.DataFrame({"scale": pd.Series(scales, dtype=object),
                      "text": pd.Series(texts, dtype=object)})
    u["key"] = normalize_key(u["text"])
    sc = codebook.scales[["scale", "key", "value", "label"]]
    by_label = u.merge(sc, on=["scale", "key"], how="left")
    number = pd.to_numeric(u["key"].str.replace(",", ".", regex=False), errors="coerce")
    whole = number.notna() & (number == np.round(number)) & number.abs().lt(1e9)
    u["number"] = number.where(whole).astype("Int64")
    valued = sc[sc["value"].notna()][["scale", "value", "label"]]
    by_value = u.merge(valued, left_on=["scale", "number"], right_on=["scale", "value"],
                       how="left")
    label_hit = by_label["label"].notna().to_numpy()
    value_hit = by_value["label"].notna().to_numpy()
    empty = (u["key"] == "").to_numpy()
    out = pd.DataFrame(index=u.index)
    out["raw_value"] = pd.array(np.where(label_hit, by_label["value"], by_value["value"]),
                                dtype="Int64")
    labels = list(dict.fromkeys(codebook.scales["label"]))
    out["label"] = pd.Categorical(np.where(label_hit, by_label["label"],
                                           np.where(value_hit, by_value["label"], None)),
                                  categories=labels)
    status = np.full(len(u), "invalid", dtype=object)
    status[label_hit | value_hit] = "answered"
    status[label_hit & by_label["value"].isna().to_numpy()] = "dont_know"
    status[empty] = "missing"
    out["status"] = pd.Categorical(status, categories=STATUSES)
    bounds = codebook.scales[codebook.scales["value"].notna()].groupby("scale")["value"]
    lo, hi = u["scale"].map(bounds.min()), u["scale"].map(bounds.max())
    reason = np.where(u["number"].notna(),
                      "value " + u["number"].astype(str) + " outside the scale ("
                      + lo.astype(str) + " to " + hi.astype(str) + ")",
                      "unknown label")
    out["reason"] = np.where(status == "invalid", reason, None)
    return out


# ---------------------------------------------------------------------------
# The row rules (docs/study-format.md, "What happens to each row and cell"),
# in the order they apply. Each takes the rows still in play and says which of
# them it sets aside; read_wave records the reason and counts.
# ---------------------------------------------------------------------------
def reject_empty_id(ids: pd.Series) -> np.ndarray:
    """Rule 1: a row whose id is empty is rejected.

    The id is empty once folded by :func:`normalize_ids` (an empty cell, or
    only spaces). Such a row cannot be linked to a candidate, so it goes no
    further: it is not compared with other rows by the later rules.

    Counted in ``rows_rejected`` and ``rejected_empty_id`` of ``quality.csv``;
    listed in ``rejected_rows.csv`` with the reason ``"empty id"``
    (:data:`REASON_EMPTY_ID`).

    Parameters
    ----------
    ids : pandas.Series
        The folded ids of every row read (:func:`normalize_ids`).

    Returns
    -------
    numpy.ndarray of bool
        True for the rows this rule rejects.

    Examples
    --------
    >>> import pandas as pd
    >>> reject_empty_id(normalize_ids(pd.Series(["A-1", "  ", "", None])))
    array([False,  True,  True,  True])
    """
    return (ids == "").to_numpy(dtype=bool)


def drop_exact_duplicates(rows: pd.DataFrame, in_play: np.ndarray) -> np.ndarray:
    """Rule 2: a row identical in every cell to an earlier row is dropped.

    Every column of the export is compared, as read (text, before any
    folding): the same questionnaire exported twice. Only rows still in play
    (not rejected by rule 1) are compared, and the first of identical rows
    stays in play.

    Counted in ``duplicates_dropped`` of ``quality.csv``, not in
    ``rows_rejected``: the questionnaire is kept once, so the copy is not
    listed in ``rejected_rows.csv`` and has no reason.

    Parameters
    ----------
    rows : pandas.DataFrame
        The cells of every row read.
    in_play : numpy.ndarray of bool
        Rows not set aside by an earlier rule.

    Returns
    -------
    numpy.ndarray of bool
        True for the rows this rule drops.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rows = pd.DataFrame({"id": ["A", "A", "", "", "A"], "Q1": ["1", "1", "2", "2", "2"]})
    >>> drop_exact_duplicates(rows, np.array([True, True, False, False, True]))
    array([False,  True, False, False, False])
    """
    dropped = np.zeros(len(rows), dtype=bool)
    candidates = rows[in_play]
    if candidates.shape[1]:
        # Rows identical in every cell are identical in the first one: only rows
        # whose first cell repeats (usually few) are compared in every column.
        maybe = candidates.iloc[:, 0].duplicated(keep=False).to_numpy(dtype=bool)
        found = np.zeros(len(candidates), dtype=bool)
        if maybe.any():
            found[maybe] = candidates[maybe].duplicated(keep="first").to_numpy(dtype=bool)
        dropped[in_play] = found
    else:
        dropped[in_play] = candidates.duplicated(keep="first").to_numpy(dtype=bool)
    return dropped


def reject_no_item_answered(n_answered: np.ndarray, in_play: np.ndarray) -> np.ndarray:
    """Rule 3: a row with no item answered with a value of the scale is rejected.

    An item is answered when its cell holds a label or a value of the item's
    scale (status ``answered``): a missing-value label such as "Ne sait pas"
    (``dont_know``), an empty cell and an unreadable cell (``invalid``) do not
    count. Such a row says nothing about the candidate.

    Counted in ``rows_rejected`` and ``rejected_no_answer`` of
    ``quality.csv``; listed in ``rejected_rows.csv`` with the reason
    ``"no item answered"`` (:data:`REASON_NO_ANSWER`).

    Parameters
    ----------
    n_answered : numpy.ndarray of int
        Items answered in each row.
    in_play : numpy.ndarray of bool
        Rows not set aside by an earlier rule.

    Returns
    -------
    numpy.ndarray of bool
        True for the rows this rule rejects.

    Examples
    --------
    >>> import numpy as np
    >>> reject_no_item_answered(np.array([0, 3, 0]), np.array([True, True, False]))
    array([ True, False, False])
    """
    return np.asarray(in_play, dtype=bool) & (np.asarray(n_answered) == 0)


def resolve_conflicts(ids, n_answered, dates, lines, in_play: np.ndarray) -> pd.Series:
    """Rule 4: one questionnaire per candidate and wave; the others are rejected.

    When a candidate (same folded id) has several rows in play, the one kept
    is the **most complete** (most items answered), then the **earliest
    dated** (an unknown date comes after every known one), then the **first
    in the file** (smallest line). The others are rejected, naming the line
    of the kept one.

    Counted in ``rows_rejected`` and ``rejected_conflict`` of
    ``quality.csv``; listed in ``rejected_rows.csv`` with the reason
    ``"another questionnaire of this candidate in this wave was kept: line
    N"`` (:data:`REASON_CONFLICT` and the kept line).

    Parameters
    ----------
    ids : array-like of str
        Folded id of each row read (:func:`normalize_ids`).
    n_answered : array-like of int
        Items answered in each row.
    dates : array-like of datetime64
        Date of each row (NaT when unknown).
    lines : array-like of int
        Line of each row in its file.
    in_play : numpy.ndarray of bool
        Rows not set aside by an earlier rule.

    Returns
    -------
    pandas.Series of Int64
        One value per row read, by position: the line of the row kept instead
        for the rows this rule rejects, ``<NA>`` for every other row.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> dates = pd.to_datetime(["2024-01-09", "2024-01-08", None, "2024-01-01"])
    >>> resolve_conflicts(["c", "c", "c", "d"], [2, 2, 2, 1], dates, [6, 7, 8, 9],
    ...                   np.ones(4, dtype=bool)).tolist()
    [7, <NA>, 7, <NA>]
    """
    rows = pd.DataFrame({"id": np.asarray(ids, dtype=object),
                         "answered": np.asarray(n_answered),
                         "date": pd.Series(dates).reset_index(drop=True),
                         "line": np.asarray(lines)})[np.asarray(in_play, dtype=bool)]
    rows = rows.sort_values(["answered", "date", "line"], ascending=[False, True, True],
                            na_position="last", kind="stable")
    loser = rows.duplicated("id", keep="first")
    kept_line = pd.Series(pd.NA, index=range(len(np.asarray(lines))), dtype="Int64")
    if loser.any():
        winner = rows[~loser].set_index("id")["line"]
        kept_line.loc[rows.index[loser.to_numpy()]] = winner.reindex(rows.loc[loser, "id"]).to_numpy()
    return kept_line


def read_wave(study: Study, wave: Wave, codebook: Codebook) -> WaveData:
    """Read one wave's export and account for every row (see module notes).

    The steps: read the export, keep the wave's rows and columns
    (:func:`impactlib.intake.shapes.wave_table`) and apply ``rename``; find
    the id, item, date and covariate columns; fold the ids; map every item
    cell to its scale; apply the row rules in their order
    (:func:`impactlib.intake.shapes.reject_set_aside`, :func:`reject_empty_id`,
    :func:`drop_exact_duplicates`, :func:`reject_no_item_answered`,
    :func:`resolve_conflicts`); then record the invalid cells of the kept
    rows, list the rejected rows with their reason, and count.
    """
    table, exported, exported_name = _read_export(wave, _expected_texts(study, wave, codebook))
    shown_file = _relative(study, wave.file)
    columns = _locate_columns(study, wave, codebook, table, exported_name, shown_file)
    raw, lines = table.data, table.lines
    ids = normalize_ids(raw[columns.id])
    codes, pairs, n_answered = _map_items(raw, columns.items, codebook)
    dates = (parse_dates(raw[columns.date], timezone=study.timezone) if columns.date
             else pd.Series(pd.NaT, index=raw.index))

    # The row rules, in order: each sees only the rows still in play.
    set_aside = reject_set_aside(table)   # rule 0: incomplete response, unknown wave value
    aside = pd.notna(set_aside).astype(bool)
    empty_id = reject_empty_id(ids) & ~aside
    duplicate = drop_exact_duplicates(raw, in_play=~aside & ~empty_id)
    unanswered = reject_no_item_answered(n_answered, in_play=~aside & ~empty_id & ~duplicate)
    kept_line = resolve_conflicts(ids, n_answered, dates, lines,
                                  in_play=~aside & ~empty_id & ~duplicate & ~unanswered)
    conflict = kept_line.notna().to_numpy(dtype=bool)
    reason = np.full(len(raw), None, dtype=object)
    reason[aside] = set_aside[aside]
    reason[empty_id] = REASON_EMPTY_ID
    reason[unanswered] = REASON_NO_ANSWER
    reason[conflict] = REASON_CONFLICT + kept_line[conflict].astype(str).to_numpy(dtype=object)
    keep = ~(aside | empty_id | duplicate | unanswered | conflict)

    invalid = _invalid_cells(wave, shown_file, raw, lines, ids, codes, pairs, keep,
                             columns, codebook, dates, exported_name)
    rejected = _rejected_rows(wave, shown_file, raw, exported, lines, reason, columns.id)
    kept = _kept_rows(wave, shown_file, raw, lines, ids, dates, n_answered, keep, columns)
    kept_cells = (pairs[["raw_value", "status", "label"]].iloc[codes[keep].ravel()]
                  .reset_index(drop=True))
    k, found = len(columns.items), sum(c is not None for c in columns.items)
    quality = {
        "wave": wave.key, "file": shown_file,
        "rows_read": len(raw), "rows_kept": int(keep.sum()),
        "rows_rejected": int(len(rejected)), "duplicates_dropped": int(duplicate.sum()),
        "cells_invalid": int(len(invalid)),
        "rejected_empty_id": int(empty_id.sum()),
        "rejected_no_answer": int(unanswered.sum()),
        "rejected_conflict": int(conflict.sum()),
        "items_found": int(found), "items_absent": int(k - found),
        "blank_rows_skipped": int(table.meta.get("blank_rows", 0)),
        "encoding": table.encoding or "", "delimiter": {"\t": "tab"}.get(table.delimiter, table.delimiter or ""),
        "sheet": str(table.meta.get("sheet") or ""),
    }
    # Only for the waves that can set rows aside, so other studies' quality is unchanged.
    reasons = pd.Series(set_aside[aside], dtype=object)
    if wave.complete_column is not None:
        quality["rejected_incomplete"] = int(reasons.str.startswith("incomplete response").sum())
    if wave.wave_column is not None:
        quality["rejected_unknown_wave"] = int(reasons.str.startswith("wave column").sum())
    assert quality["rows_read"] == (quality["rows_kept"] + quality["rows_rejected"]
                                    + quality["duplicates_dropped"])
    log.info("%s (%s): %d rows read, %d kept, %d rejected, %d exact duplicates, %d invalid cells",
             wave.key, shown_file, len(raw), quality["rows_kept"], quality["rows_rejected"],
             quality["duplicates_dropped"], quality["cells_invalid"])
    warn_many_invalid_cells(wave.key, shown_file, invalid, quality["rows_kept"] * found)
    return WaveData(wave, kept, kept_cells, rejected, invalid, quality, columns.covariates)


INVALID_SHARE_WARNING = 0.05


def warn_many_invalid_cells(wave: str, shown_file: str, invalid: pd.DataFrame, n_cells: int,
                            threshold: float = INVALID_SHARE_WARNING) -> bool:
    """Warn loudly when more than ``threshold`` of a wave's item cells are invalid.

    So many unreadable answers usually mean the export was misread (an
    encoding, a scale with other labels), not that candidates wrote nonsense:
    the warning names the wave, the share and the most frequent invalid
    values, so that a person can look. Returns whether it warned.

    Examples
    --------
    >>> bad = pd.DataFrame({"item": ["A1"] * 3, "raw_value": ["Tout ˆ fait", "Tout ˆ fait", "x"]})
    >>> warn_many_invalid_cells("T3", "T3.csv", bad, n_cells=20)
    True
    """
    cells = invalid[invalid["item"].notna()] if "item" in invalid else invalid
    if n_cells <= 0 or len(cells) <= threshold * n_cells:
        return False
    top = cells["raw_value"].astype(str).value_counts().head(3)
    examples = ", ".join(f"'{value}' ({count})" for value, count in top.items())
    log.warning("%s (%s): %d of %d answers (%.0f%%) are not labels of their scale; most "
                "frequent: %s. Check the export's encoding and the codebook's labels "
                "(invalid_cells.csv lists them all)", wave, shown_file, len(cells), n_cells,
                100 * len(cells) / n_cells, examples)
    return True


# ---------------------------------------------------------------------------
# The other steps of read_wave
# ---------------------------------------------------------------------------
@dataclass
class _Columns:
    """Where read_wave finds what it needs in one export (names after rename)."""

    id: str
    items: list            # column of each codebook item, None when absent
    date: str | None
    covariates: dict       # covariate name -> column


def _read_export(wave: Wave, known=()) -> tuple[RawTable, pd.DataFrame, dict]:
    """The export with ``rename`` applied, its cells as exported, and new -> exported names.

    ``known`` are the texts the export should hold (see :func:`_expected_texts`),
    the evidence for its encoding. ``rename`` names export columns the way
    every column name is matched: ignoring case, accents, apostrophe style and
    spaces.
    """
    # The wave's rows and columns of its file (impactlib.intake.shapes), lines kept.
    table = wave_table(read_table(wave.file, wave.sheet, encoding=wave.encoding, known=known),
                       wave)
    file = wave.file
    origin = table.meta.get("source_columns", {})
    shaped = {now: old for now, old in origin.items() if now != old}
    raw = table.data
    exported = raw.rename(columns=shaped) if shaped else raw
    rename = {}
    if wave.rename:
        columns = _column_index(table)
        for source, target in wave.rename.items():
            actual = _find(columns, source)
            if actual is None:
                raise StudyError(f"rename: no column '{source}' in the export", file, 1, source)
            rename[actual] = target
        check_unique_columns(table, rename)
        raw = raw.rename(columns=rename)
        dup = raw.columns[normalize_key(pd.Series(list(raw.columns), dtype=object)).duplicated()]
        if len(dup):
            raise StudyError("rename gives two columns the same name", file, 1, str(dup[0]))
    # Messages and records name columns as the export does, not as renamed.
    exported_name = {new: origin.get(old, old) for old, new in rename.items()}
    for now, old in shaped.items():
        exported_name.setdefault(now, old)
    table = RawTable(file, raw, table.lines, table.encoding, table.delimiter, table.meta)
    return table, exported, exported_name


def _expected_texts(study: Study, wave: Wave, codebook: Codebook) -> list[str]:
    """Texts a wave's export should hold: answer labels, item codes and texts, column names."""
    texts = [study.id_column, *wave.rename, *study.covariates]
    texts += codebook.scales["label"].astype(str).tolist()
    texts += codebook.items["item"].astype(str).tolist() + codebook.items["text"].astype(str).tolist()
    if wave.date_column:
        texts.append(wave.date_column)
    return texts


def _locate_columns(study: Study, wave: Wave, codebook: Codebook, table: RawTable,
                    exported_name: dict, shown_file: str) -> _Columns:
    """Find the id, item, date and covariate columns; a missing id, date or every item stops."""
    file, raw = wave.file, table.data
    columns = _column_index(table)
    id_col = _find(columns, study.id_column)
    if id_col is None:
        shown = {"\t": "tab"}.get(table.delimiter, table.delimiter)
        read_as = f" (read with the delimiter '{shown}')" if table.delimiter else ""
        raise StudyError(f"no id column '{study.id_column}'; the columns are: "
                         + ", ".join(repr(c) for c in raw.columns[:40]) + read_as,
                         file, 1, study.id_column)
    items = codebook.items
    item_cols = [columns.get(key) for key in normalize_key(pd.Series(list(items["item"]), dtype=object))]
    present = [c is not None for c in item_cols]
    if not any(present):
        raise StudyError("none of the codebook's items is a column of this export "
                         f"(expected columns such as {', '.join(items['item'][:3])}; "
                         "use 'rename' in study.yml to map export names)", file, 1)
    if not all(present):
        absent = [it for it, p in zip(items["item"], present) if not p]
        log.warning("%s: %d codebook item(s) absent from the export, read as missing: %s",
                    shown_file, len(absent), ", ".join(absent[:10]))
    date_col = None
    if wave.date_column:
        date_col = _find(columns, wave.date_column)
        if date_col is None:
            raise StudyError(f"no date column '{wave.date_column}'", file, 1,
                             exported_name.get(wave.date_column, wave.date_column))
    covariates = {c: _find(columns, c) for c in study.covariates
                  if _find(columns, c) is not None}
    check_unique_columns(table, [id_col, date_col, *item_cols, *covariates.values()])
    return _Columns(id_col, item_cols, date_col, covariates)


def _map_items(raw: pd.DataFrame, item_cols: list, codebook: Codebook):
    """Every item cell of every row mapped to its scale (as :func:`map_cells` does).

    Returns the mapped cells as codes (rows x items) into a table with one
    row per distinct (scale, text) pair (``text``, ``raw_value``, ``status``,
    ``label``, ``reason``), and the items answered per row. Each item column
    is factorized on its own (a few distinct texts each), so no rows x items
    table of texts is built.
    """
    n, k = len(raw), len(item_cols)
    scale_of = codebook.items["scale"].to_numpy(dtype=object)
    codes = np.zeros((n, k), dtype=np.int64)
    scales, texts, start = [], [], 0
    for j, col in enumerate(item_cols):  # loop over items, not rows
        if col is None:
            column_codes, values = np.zeros(n, dtype=np.int64), np.array([""], dtype=object)
        else:
            column_codes, values = pd.factorize(raw[col], use_na_sentinel=False)
            values = np.asarray(values, dtype=object)
        codes[:, j] = column_codes + start
        scales.append(np.full(len(values), scale_of[j], dtype=object))
        texts.append(values)
        start += len(values)
    scales = np.concatenate(scales) if scales else np.array([], dtype=object)
    texts = np.concatenate(texts) if texts else np.array([], dtype=object)
    # The same text of the same scale in several columns: resolved once.
    pair_codes, scales, texts = _distinct_pairs(scales, texts)
    table = _map_pairs(scales, texts, codebook)
    table["text"] = texts
    codes = pair_codes[codes]
    answered = (table["status"] == "answered").to_numpy()
    n_answered = answered[codes].sum(axis=1) if n else np.zeros(0, dtype=np.int64)
    return codes, table, n_answered


def _invalid_cells(wave: Wave, shown_file: str, raw: pd.DataFrame, lines: np.ndarray,
                   ids: pd.Series, codes: np.ndarray, table: pd.DataFrame, keep: np.ndarray,
                   columns: _Columns, codebook: Codebook, dates: pd.Series,
                   exported_name: dict) -> pd.DataFrame:
    """Invalid item cells and unreadable dates of the kept rows, by line then column."""
    invalid_pair = (table["status"] == "invalid").to_numpy()
    bad_r, bad_j = np.nonzero(invalid_pair[codes] & keep[:, None])
    bad = codes[bad_r, bad_j]
    # Named as the export names it (before rename); one name per item, not per cell.
    shown_column = np.array([exported_name.get(c, c) for c in columns.items], dtype=object)
    invalid = pd.DataFrame({
        "wave": wave.key, "file": shown_file, "line": lines[bad_r],
        "column": shown_column[bad_j] if len(bad_j) else [],
        "item": codebook.items["item"].to_numpy()[bad_j],
        "raw_value": table["text"].to_numpy(dtype=object)[bad],
        "reason": table["reason"].to_numpy(dtype=object)[bad],
        "id_key": ids.to_numpy()[bad_r]})
    date_col = columns.date
    if date_col:
        bad_date = keep & dates.isna().to_numpy() & (raw[date_col].str.strip() != "").to_numpy()
        if bad_date.any():
            invalid = pd.concat([invalid, pd.DataFrame({
                "wave": wave.key, "file": shown_file, "line": lines[bad_date],
                "column": exported_name.get(date_col, date_col), "item": None,
                "raw_value": raw[date_col].to_numpy()[bad_date],
                "reason": "unreadable date (use dd/mm/yyyy or yyyy-mm-dd)",
                "id_key": ids.to_numpy()[bad_date]})], ignore_index=True)
    return invalid.sort_values(["line", "column"], kind="stable").reset_index(drop=True)


def _rejected_rows(wave: Wave, shown_file: str, raw: pd.DataFrame, exported: pd.DataFrame,
                   lines: np.ndarray, reason: np.ndarray, id_col: str) -> pd.DataFrame:
    """The rejected rows with their reason, raw id and raw cells (as exported, JSON)."""
    rejected = pd.notna(reason)
    return pd.DataFrame({
        "wave": wave.key, "file": shown_file, "line": lines[rejected],
        "reason": reason[rejected],
        "id": raw[id_col].to_numpy()[rejected],
        "raw_row": [json.dumps(r, ensure_ascii=False)   # one per rejected row: few
                    for r in exported[rejected].to_dict(orient="records")]})


def _kept_rows(wave: Wave, shown_file: str, raw: pd.DataFrame, lines: np.ndarray,
               ids: pd.Series, dates: pd.Series, n_answered: np.ndarray, keep: np.ndarray,
               columns: _Columns) -> pd.DataFrame:
    """One row per kept questionnaire: ids, wave, date, items answered, source, covariates."""
    kept = pd.DataFrame({
        "id_key": ids.to_numpy()[keep],
        "id": raw[columns.id].astype(str).str.strip().to_numpy()[keep],
        "wave": wave.key,
        "date": dates.to_numpy()[keep],
        "n_answered": n_answered[keep],
        "source_file": shown_file,
        "source_line": lines[keep],
    })
    for name, col in columns.covariates.items():
        kept["cov:" + name] = raw[col].astype(str).str.strip().to_numpy()[keep]
    return kept


def _relative(study: Study, file) -> str:
    try:
        return file.relative_to(study.folder).as_posix()
    except ValueError:
        return file.name
