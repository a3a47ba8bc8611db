"""Ingestion: one wave export in, answers checked against the codebook out.

For each wave, every row read is accounted for (``rows_read = rows_kept +
rows_rejected + duplicates_dropped``), in this order:

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
from impactlib.intake.readers import RawTable, normalize_key, read_table
from impactlib.intake.study import Study, Wave

__all__ = ["WaveData", "read_wave", "map_cells", "normalize_ids", "STATUSES"]

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
    return columns.get(normalize_key(pd.Series([name])).iloc[0])


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
        invalid), ``label`` (canonical label or <NA>), ``reason`` (for invalid
        cells). Distinct (scale, text) pairs are resolved once.
    """
    pairs = pd.MultiIndex.from_arrays([pd.Index(scales, dtype=object),
                                       pd.Index(cells, dtype=object)])
    codes, uniq = pairs.factorize()
    u = pd.DataFrame({"scale": uniq.get_level_values(0).astype(object),
                      "text": uniq.get_level_values(1).astype(object)})
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
    out["label"] = np.where(label_hit, by_label["label"],
                            np.where(value_hit, by_value["label"], None))
    status = np.full(len(u), "invalid", dtype=object)
    status[label_hit | value_hit] = "answered"
    status[label_hit & by_label["value"].isna().to_numpy()] = "dont_know"
    status[empty] = "missing"
    out["status"] = status
    bounds = codebook.scales[codebook.scales["value"].notna()].groupby("scale")["value"]
    lo, hi = u["scale"].map(bounds.min()), u["scale"].map(bounds.max())
    reason = np.where(u["number"].notna(),
                      "value " + u["number"].astype(str) + " outside the scale ("
                      + lo.astype(str) + " to " + hi.astype(str) + ")",
                      "unknown label")
    out["reason"] = np.where(status == "invalid", reason, None)
    return out.iloc[codes].reset_index(drop=True)


def read_wave(study: Study, wave: Wave, codebook: Codebook) -> WaveData:
    """Read one wave's export and account for every row (see module notes)."""
    table = read_table(wave.file, wave.sheet)
    file = wave.file
    shown_file = _relative(study, file)
    raw = exported = table.data
    # Messages and records name columns as the export does, not as renamed.
    exported_name = {new: old for old, new in wave.rename.items()}
    if wave.rename:
        missing = [c for c in wave.rename if c not in raw.columns]
        if missing:
            raise StudyError(f"rename: no column '{missing[0]}' in the export", file, 1, missing[0])
        raw = raw.rename(columns=wave.rename)
        dup = raw.columns[raw.columns.duplicated()]
        if len(dup):
            raise StudyError("rename gives two columns the same name", file, 1, str(dup[0]))
    table = RawTable(file, raw, table.lines, table.encoding, table.delimiter, table.meta)
    columns = _column_index(table)
    id_col = _find(columns, study.id_column)
    if id_col is None:
        shown = {"\t": "tab"}.get(table.delimiter, table.delimiter)
        read_as = f" (read with the delimiter '{shown}')" if table.delimiter else ""
        raise StudyError(f"no id column '{study.id_column}'; the columns are: "
                         + ", ".join(repr(c) for c in raw.columns[:40]) + read_as,
                         file, 1, study.id_column)
    items = codebook.items
    item_cols = [_find(columns, it) for it in items["item"]]
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

    n = len(raw)
    lines = table.lines
    ids = normalize_ids(raw[id_col])
    reason = pd.Series(None, index=raw.index, dtype=object)
    reason[(ids == "").to_numpy()] = REASON_EMPTY_ID
    dup = np.zeros(n, dtype=bool)
    alive = reason.isna().to_numpy()
    dup[alive] = raw[alive].duplicated(keep="first").to_numpy()

    # Cells of every item column, row-major: row i, item j at i * k + j.
    k = len(items)
    texts = np.full((n, k), "", dtype=object)
    for j, col in enumerate(item_cols):
        if col is not None:
            texts[:, j] = raw[col].to_numpy(dtype=object)
    scale_of = np.tile(items["scale"].to_numpy(dtype=object), n)
    cells = map_cells(texts.ravel(), scale_of, codebook)
    answered = (cells["status"].to_numpy() == "answered").reshape(n, k).sum(axis=1)
    reason[(reason.isna() & ~pd.Series(dup, index=raw.index) & (answered == 0)).to_numpy()] = REASON_NO_ANSWER

    dates = parse_dates(raw[date_col]) if date_col else pd.Series(pd.NaT, index=raw.index)
    # Conflicting rows of one candidate: most complete, earliest dated, first in file.
    alive = reason.isna().to_numpy() & ~dup
    cand = pd.DataFrame({"id": ids, "answered": answered, "date": dates, "line": lines})[alive]
    cand = cand.sort_values(["answered", "date", "line"], ascending=[False, True, True],
                            na_position="last", kind="stable")
    loser = cand.duplicated("id", keep="first")
    if loser.any():
        kept_line = cand[~loser].set_index("id")["line"]
        losers = cand[loser]
        winner = kept_line.reindex(losers["id"]).astype(int).astype(str).to_numpy()
        reason[losers.index] = REASON_CONFLICT + winner
    keep = (reason.isna().to_numpy() & ~dup)

    # Invalid cells of kept rows, and unreadable dates.
    status = cells["status"].to_numpy().reshape(n, k)
    bad_r, bad_j = np.nonzero((status == "invalid") & keep[:, None])
    invalid = pd.DataFrame({
        "wave": wave.key, "file": shown_file, "line": lines[bad_r],
        "column": [exported_name.get(item_cols[j], item_cols[j]) for j in bad_j] if len(bad_j) else [],
        "item": items["item"].to_numpy()[bad_j],
        "raw_value": texts[bad_r, bad_j],
        "reason": cells["reason"].to_numpy().reshape(n, k)[bad_r, bad_j],
        "id_key": ids.to_numpy()[bad_r]})
    if date_col:
        bad_date = keep & dates.isna().to_numpy() & (raw[date_col].str.strip() != "").to_numpy()
        if bad_date.any():
            invalid = pd.concat([invalid, pd.DataFrame({
                "wave": wave.key, "file": shown_file, "line": lines[bad_date],
                "column": exported_name.get(date_col, date_col), "item": None,
                "raw_value": raw[date_col].to_numpy()[bad_date],
                "reason": "unreadable date (use dd/mm/yyyy or yyyy-mm-dd)",
                "id_key": ids.to_numpy()[bad_date]})], ignore_index=True)
    invalid = invalid.sort_values(["line", "column"], kind="stable").reset_index(drop=True)

    rej_mask = reason.notna().to_numpy()
    rejected = pd.DataFrame({
        "wave": wave.key, "file": shown_file, "line": lines[rej_mask],
        "reason": reason.to_numpy()[rej_mask],
        "id": raw[id_col].to_numpy()[rej_mask],
        "raw_row": [json.dumps(r, ensure_ascii=False)
                    for r in exported[rej_mask].to_dict(orient="records")]})

    covariate_columns = {c: _find(columns, c) for c in study.covariates
                         if _find(columns, c) is not None}
    kept = pd.DataFrame({
        "id_key": ids.to_numpy()[keep],
        "id": raw[id_col].astype(str).str.strip().to_numpy()[keep],
        "wave": wave.key,
        "date": dates.to_numpy()[keep],
        "n_answered": answered[keep],
        "source_file": shown_file,
        "source_line": lines[keep],
    })
    for name, col in covariate_columns.items():
        kept["cov:" + name] = raw[col].astype(str).str.strip().to_numpy()[keep]
    kept_cells = cells[np.repeat(keep, k)].reset_index(drop=True)
    quality = {
        "wave": wave.key, "file": shown_file,
        "rows_read": n, "rows_kept": int(keep.sum()),
        "rows_rejected": int(rej_mask.sum()), "duplicates_dropped": int(dup.sum()),
        "cells_invalid": int(len(invalid)),
        "rejected_empty_id": int((reason == REASON_EMPTY_ID).sum()),
        "rejected_no_answer": int((reason == REASON_NO_ANSWER).sum()),
        "rejected_conflict": int(loser.sum()),
        "items_found": int(sum(present)), "items_absent": int(k - sum(present)),
        "blank_rows_skipped": int(table.meta.get("blank_rows", 0)),
        "encoding": table.encoding or "", "delimiter": {"\t": "tab"}.get(table.delimiter, table.delimiter or ""),
    }
    assert quality["rows_read"] == (quality["rows_kept"] + quality["rows_rejected"]
                                    + quality["duplicates_dropped"])
    log.info("%s (%s): %d rows read, %d kept, %d rejected, %d exact duplicates, %d invalid cells",
             wave.key, shown_file, n, quality["rows_kept"], quality["rows_rejected"],
             quality["duplicates_dropped"], quality["cells_invalid"])
    return WaveData(wave, kept, kept_cells, rejected, invalid, quality, covariate_columns)


def _relative(study: Study, file) -> str:
    try:
        return file.relative_to(study.folder).as_posix()
    except ValueError:
        return file.name
