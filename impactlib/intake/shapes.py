"""Export shapes: from the table read from a wave's file to that wave's rows.

Most studies have one export per wave, read as it is. Two other shapes are
described in ``study.yml`` (see ``docs/study-format.md``, "Export shapes"):

* **one file for several waves** (``wave_column`` and ``wave_values``): each
  wave reads the rows whose ``wave_column`` holds one of its values (folded:
  case, accents, spaces). A row whose value names no wave of the study (an
  empty cell, a typo, a wave the study does not have) is not lost: it is a row
  of the *first* wave reading that file, set aside with the reason
  ``wave column 'Moment' holds 'X', which names no wave``;
* **one row per candidate** (``columns: "T1_{item}"``): the wave reads every
  row, with its own columns renamed to what ``{item}`` stands for
  (``T1_Q01`` -> ``Q01``, ``T1_date`` -> ``date``) and the other waves'
  columns left out; a row whose own columns are all empty holds no
  questionnaire of this wave and is not a row read for it.

And one row rule that an export states itself: ``complete_column`` names a
column that is empty for an **incomplete response** (LimeSurvey's
``submitdate``); such a row is set aside with the reason ``incomplete
response (empty 'submitdate')``.

:func:`wave_table` returns the wave's :class:`RawTable` with the source lines
of the file preserved, and records in ``meta``: ``set_aside`` (a reason per
row, ``None`` for a row that goes on to the row rules), ``source_columns``
(column as named now -> as the export names it) and ``rows_elsewhere`` (rows
of the file that belong to other waves or hold no questionnaire of this one).
:func:`reject_set_aside` is the row rule that turns ``set_aside`` into
rejections.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from impactlib.errors import StudyError
from impactlib.intake.readers import RawTable, fold_key, normalize_key
from impactlib.intake.study import Wave

__all__ = ["wave_table", "reject_set_aside", "pattern_regex", "REASON_INCOMPLETE",
           "REASON_UNKNOWN_WAVE"]

REASON_INCOMPLETE = "incomplete response (empty '{column}')"
REASON_UNKNOWN_WAVE = "wave column '{column}' holds '{value}', which names no wave"


def pattern_regex(pattern: str) -> re.Pattern:
    """The regular expression of a ``columns`` pattern such as ``"T1_{item}"``.

    Matched against whole column names, ignoring case; group 1 is the item.

    Examples
    --------
    >>> pattern_regex("T1_{item}").fullmatch("t1_Q01").group(1)
    'Q01'
    """
    head, tail = pattern.split("{item}")
    return re.compile(re.escape(head) + r"(.+?)" + re.escape(tail), re.IGNORECASE)


def _find_column(table: RawTable, name: str, wave: Wave, key: str) -> str:
    columns = dict(zip(normalize_key(pd.Series(list(table.data.columns), dtype=object)),
                       table.data.columns))
    found = columns.get(fold_key(name))
    if found is None:
        raise StudyError(f"no {key} '{name}' (wave {wave.key}); the columns are: "
                         + ", ".join(repr(c) for c in table.data.columns[:40]),
                         table.file, 1, name)
    return found


def wave_table(table: RawTable, wave: Wave) -> RawTable:
    """The rows and columns of ``wave`` in the table read from its file.

    Parameters
    ----------
    table : RawTable
        The export as :func:`impactlib.intake.readers.read_table` read it.
    wave : Wave
        The wave, with its shape keys (``wave_column``/``wave_values``,
        ``columns``, ``complete_column``); a wave without them gets the whole
        table.

    Returns
    -------
    RawTable
        The wave's rows (source lines kept) and columns; ``meta`` also holds
        ``set_aside``, ``source_columns`` and ``rows_elsewhere`` (module notes).

    Raises
    ------
    StudyError
        A ``wave_column`` or ``complete_column`` that the export does not have,
        a ``columns`` pattern that matches no column, or two columns that
        would get the same name.
    """
    data, lines = table.data, np.asarray(table.lines)
    n = len(data)
    mine = np.ones(n, dtype=bool)
    reasons = np.full(n, None, dtype=object)
    source = {c: c for c in data.columns}

    if wave.wave_column is not None:
        col = _find_column(table, wave.wave_column, wave, "wave_column")
        mapping = dict(zip(normalize_key(pd.Series(list(wave.value_waves), dtype=object)),
                           wave.value_waves.values()))
        folded = normalize_key(data[col])
        target = folded.map(mapping).to_numpy(dtype=object)
        unknown = pd.isna(target)
        first = next(iter(wave.value_waves.values()), wave.key)
        mine = (target == wave.key) | (unknown & (first == wave.key))
        if unknown.any() and first == wave.key:
            raw = data[col].astype(str).str.strip().to_numpy(dtype=object)
            reasons[unknown] = [REASON_UNKNOWN_WAVE.format(column=col, value=v) for v in raw[unknown]]

    if wave.columns is not None:
        own = pattern_regex(wave.columns)
        others = [pattern_regex(p) for p in wave.other_columns]
        renamed: dict[str, str] = {}
        dropped: list[str] = []
        for c in data.columns:  # a loop over columns, not rows
            hit = own.fullmatch(str(c))
            if hit:
                renamed[c] = hit.group(1)
            elif any(o.fullmatch(str(c)) for o in others):
                dropped.append(c)
        if not renamed:
            raise StudyError(f"no column matches columns: '{wave.columns}' of wave {wave.key}",
                             table.file, 1)
        kept = [c for c in data.columns if c not in dropped]
        new_names = [renamed.get(c, c) for c in kept]
        folded_names = normalize_key(pd.Series(new_names, dtype=object))
        clash = folded_names.duplicated()
        if clash.any():
            name = new_names[int(np.argmax(clash.to_numpy()))]
            raise StudyError(f"columns: '{wave.columns}' gives two columns the name '{name}'",
                             table.file, 1, name)
        own_cells = data[list(renamed)].astype(str).apply(lambda s: s.str.strip())
        mine &= (own_cells != "").any(axis=1).to_numpy()
        data = data[kept].set_axis(new_names, axis=1)
        source = {renamed.get(c, c): c for c in kept}

    if wave.complete_column is not None:
        col = _find_column(table, wave.complete_column, wave, "complete_column")
        empty = (table.data[col].astype(str).str.strip() == "").to_numpy()
        incomplete = empty & pd.isna(reasons)
        reasons[incomplete] = REASON_INCOMPLETE.format(column=col)

    meta = dict(table.meta)
    meta.update(set_aside=reasons[mine], source_columns=source,
                rows_elsewhere=int((~mine).sum()))
    return RawTable(table.file, data[mine].reset_index(drop=True), lines[mine],
                    table.encoding, table.delimiter, meta)


def reject_set_aside(table: RawTable) -> np.ndarray:
    """Rule 0: a row that the export's shape sets aside is rejected, with its reason.

    An **incomplete response** (its ``complete_column`` cell is empty: the
    survey tool recorded a questionnaire that was never submitted) and a row
    of a shared file whose wave value names no wave. Such rows go no further:
    the other row rules do not see them. Counted in ``rows_rejected``; listed
    in ``rejected_rows.csv`` with their reason.

    Parameters
    ----------
    table : RawTable
        A wave's table from :func:`wave_table` (a table without
        ``meta["set_aside"]`` sets nothing aside).

    Returns
    -------
    numpy.ndarray of object
        The reason of each row, ``None`` for the rows that stay in play.
    """
    reasons = table.meta.get("set_aside")
    if reasons is None:
        return np.full(len(table.data), None, dtype=object)
    return np.asarray(reasons, dtype=object)
