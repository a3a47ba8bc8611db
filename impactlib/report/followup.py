"""The follow-up list: who is due, overdue or has missed a questionnaire (``impactlib due``).

Counsellors chase the questionnaires that are due; this module says which.
It decides nothing about "due" itself: the status of every candidate x wave
(answered, missed, not yet due, unknown) and its due date come from
:func:`impactlib.stats.attrition.wave_status`, the rule behind the report's
``results/attrition_rates.csv``. The lists only sort its ``missed`` and
``not_yet_due`` rows:

- **overdue**: ``missed`` (due on or before the day of the list, not
  answered) and the candidate is still in the programme, or left at most
  ``grace_days`` days ago (``followup_grace_days`` in ``study.yml``, default
  30), or left without an exit date (nobody can tell that the grace period
  has passed: a person decides);
- **missed**, for the record: ``missed`` and the candidate left more than
  ``grace_days`` days ago;
- **due soon**: ``not_yet_due`` with a due date at most ``within`` days
  after the day of the list (``within`` days included).

So, per wave, overdue + missed = ``n_missed`` of :func:`attrition_rates` on
the same questionnaires and date, by construction.

The list holds the **real candidate ids** (it is for the people who coach
them): personal data, written only under the study's processed folder (never
under ``reports/``), each sheet headed by a line saying so.

Functions
---------
:func:`followup_status`
    ``wave_status`` on the day of the list, of what was known that day.
:func:`followup_list`
    The list itself (pure: frames in, frame out).
:func:`followup_counts`
    Rows per wave and list (and per value of a covariate).
:func:`write_followup`
    The workbook: a summary sheet, then one sheet per value of a covariate.
:func:`run_followup`
    All of it for a study, with its checks (what ``impactlib due`` runs).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from impactlib import config
from impactlib.errors import StudyError
from impactlib.frames import level_order, wave_categorical, wave_codes
from impactlib.intake.processed import clean_study, processed_lock
from impactlib.intake.study import Study, load_study
from impactlib.report.i18n import Translator
from impactlib.safe_csv import neutralize_formulas
from impactlib.stable_xlsx import stable_bytes
from impactlib.stats.attrition import attrition_rates, wave_status

__all__ = ["LISTS", "DEFAULT_WITHIN", "FOLLOWUP_FOLDER", "followup_status", "followup_list",
           "followup_counts", "sheet_names", "write_followup", "default_path", "FollowupRun",
           "run_followup"]

#: Values of the ``list`` column, in display order.
LISTS = ("overdue", "due_soon", "missed")

#: Default number of days ahead for "due soon".
DEFAULT_WITHIN = 14

#: Folder of the follow-up workbooks inside the study's processed folder
#: (kept when ``impactlib clean`` or ``report`` rebuilds that folder).
FOLLOWUP_FOLDER = "followup"

#: Characters Excel refuses in a sheet name, and its length limit.
_SHEET_FORBIDDEN = r"[\[\]:*?/\\]"
_SHEET_MAX = 31


def _day(value) -> pd.Timestamp:
    """A date-like value as a Timestamp at midnight."""
    return pd.Timestamp(value).normalize()


# --------------------------------------------------------------------------
# the list
# --------------------------------------------------------------------------
def followup_status(candidates: pd.DataFrame, questionnaires: pd.DataFrame, on,
                    within: int = DEFAULT_WITHIN, waves=None, due_days=None) -> pd.DataFrame:
    """:func:`~impactlib.stats.attrition.wave_status` on the day ``on``, of what was known then.

    Two things differ from a bare ``wave_status(candidates, questionnaires,
    as_of=on)``, neither of them the due rule:

    1. Questionnaires dated after ``on`` are left out: on that day they were
       not answered yet. Undated questionnaires are kept.
    2. A ``not_yet_due`` wave whose due date ``wave_status`` leaves unknown on
       ``on`` gets the due date ``wave_status`` gives it on ``on + within``
       when it is due by then. This is the exit questionnaire of a candidate
       whose registry exit date falls in the next ``within`` days (due at
       exit); ``status`` itself is untouched.

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``candidates`` table with the registry columns ``entry_date``,
        ``exit_date``, ``exit_status``.
    questionnaires : pandas.DataFrame
        ``questionnaires`` table (``candidate``, ``wave``, ``date``).
    on : date-like
        The day of the list.
    within : int
        Days ahead for "due soon".
    waves : list, optional
        Wave keys in study order.
    due_days : dict, optional
        ``due_days`` of the study, as for ``wave_status``.

    Returns
    -------
    pandas.DataFrame
        The frame of ``wave_status`` (``candidate``, ``wave``, ``status``,
        ``due_date``, ``date``); ``attrition_rates`` of it equals
        ``attrition_rates(wave_status(candidates, questionnaires dated up to
        on, as_of=on))``.

    Examples
    --------
    >>> import pandas as pd
    >>> cand = pd.DataFrame({"candidate": ["a"], "entry_date": pd.to_datetime(["2025-01-06"]),
    ...     "exit_date": pd.to_datetime(["2025-03-10"]), "exit_status": ["emploi"]})
    >>> q = pd.DataFrame({"candidate": ["a", "a"], "wave": ["T1", "T2"],
    ...     "date": pd.to_datetime(["2025-01-06", "2025-03-05"])})
    >>> st = followup_status(cand, q, on="2025-03-01", waves=["T1", "T2", "T3"],
    ...                      due_days={"T2": 30})
    >>> st[["wave", "status", "due_date"]]
      wave       status   due_date
    0   T1     answered 2025-01-06
    1   T2       missed 2025-02-05
    2   T3  not_yet_due 2025-03-10

    T2, answered on 5 March, was not answered yet on 1 March; T3 is due at
    exit, 10 March.
    """
    on = _day(on)
    dates = pd.to_datetime(questionnaires["date"])
    known = questionnaires.loc[~(dates > on).to_numpy()]
    now = wave_status(candidates, known, waves=waves, as_of=on, due_days=due_days)
    ahead = wave_status(candidates, known, waves=waves, as_of=on + pd.Timedelta(days=within),
                        due_days=due_days)
    # Same candidates, same questionnaires: the two grids are the same rows in
    # the same order.
    fill = ((now["status"] == "not_yet_due") & now["due_date"].isna()
            & ahead["due_date"].notna()).to_numpy()
    out = now.copy()
    out.loc[fill, "due_date"] = ahead.loc[fill, "due_date"].to_numpy()
    return out


def followup_list(status_frame: pd.DataFrame, candidates: pd.DataFrame, on,
                  within: int = DEFAULT_WITHIN, grace_days: int = 30,
                  by: str | None = None) -> pd.DataFrame:
    """One row per candidate x wave to chase: overdue, due soon, or missed for the record.

    The rows are classified from ``status`` and ``due_date`` of
    ``status_frame`` only (see the module's notes):

    =========  ===============================================================
    list       rows
    =========  ===============================================================
    overdue    ``missed``; still in the programme (no exit date, or one after
               ``on``), or exited at most ``grace_days`` days before ``on``,
               or left with no exit date
    missed     ``missed``; exited more than ``grace_days`` days before ``on``
    due_soon   ``not_yet_due``; due date at most ``within`` days after ``on``
    =========  ===============================================================

    Parameters
    ----------
    status_frame : pandas.DataFrame
        Output of :func:`followup_status` (or of
        :func:`~impactlib.stats.attrition.wave_status`): ``candidate``,
        ``wave``, ``status``, ``due_date``, ``date``.
    candidates : pandas.DataFrame
        One row per ``candidate`` (the key of ``status_frame``) with
        ``entry_date``, ``exit_date``, ``exit_status``, the column ``by`` if
        given, and optionally ``id``: the id shown (the real candidate id;
        without it, the key is shown).
    on : date-like
        The day of the list.
    within : int
        Days ahead for "due soon" (the ``within``-th day included).
    grace_days : int
        Days after exit during which a missed questionnaire is still chased
        (the ``grace_days``-th day included).
    by : str, optional
        A column of ``candidates`` (a covariate such as an antenne) copied
        into the list.

    Returns
    -------
    pandas.DataFrame
        ``candidate`` (the shown id), ``entry_date``, ``by`` (when given and
        not already a column), ``wave`` (ordered categorical),
        ``due_date``, ``days_overdue`` (Int64: ``on - due_date`` in days; 0 =
        due today, negative = days left, NA when the due date is unknown),
        ``last_wave`` (the last wave answered, in wave order, by ``on``) and
        ``last_date`` (its date), ``exit_date``, ``exit_status``, ``list``
        (ordered categorical of :data:`LISTS`). Sorted by ``by``, ``list``,
        wave, days overdue (most first) and candidate.

    Raises
    ------
    KeyError
        ``by`` is not a column of ``candidates``.

    Examples
    --------
    >>> import pandas as pd
    >>> st = pd.DataFrame({"candidate": ["a", "a", "b", "b"],
    ...     "wave": pd.Categorical(["T1", "T2"] * 2, categories=["T1", "T2"], ordered=True),
    ...     "status": ["answered", "missed", "answered", "not_yet_due"],
    ...     "due_date": pd.to_datetime(["2025-01-02", "2025-02-20", "2025-02-01", "2025-03-10"]),
    ...     "date": pd.to_datetime(["2025-01-02", None, "2025-02-01", None])})
    >>> cand = pd.DataFrame({"candidate": ["a", "b"], "id": ["D-001", "D-002"],
    ...     "entry_date": pd.to_datetime(["2025-01-02", "2025-02-01"]),
    ...     "exit_date": pd.NaT, "exit_status": "en cours"})
    >>> fl = followup_list(st, cand, on="2025-03-01")
    >>> fl[["candidate", "wave", "days_overdue", "last_wave", "list"]]
      candidate wave  days_overdue last_wave      list
    0     D-001   T2             9        T1   overdue
    1     D-002   T2            -9        T1  due_soon
    """
    on = _day(on)
    waves = level_order(status_frame["wave"], None, sort_key=str)
    reg = candidates.drop_duplicates("candidate").set_index("candidate")
    if by is not None and by not in reg.columns:
        raise KeyError(f"'{by}' is not a column of candidates")
    key = pd.Series(status_frame["candidate"].to_numpy(dtype=object))
    status = status_frame["status"].astype(object).to_numpy()
    due = pd.Series(pd.to_datetime(status_frame["due_date"]).to_numpy(dtype="datetime64[ns]"))

    def column(name: str, dates: bool = False) -> pd.Series:
        if name not in reg.columns:
            return pd.Series(pd.NaT if dates else None, index=key.index,
                             dtype="datetime64[ns]" if dates else object)
        values = key.map(reg[name])
        return pd.to_datetime(values) if dates else values.astype(object)

    exit_date = column("exit_date", dates=True)
    days = (on - due).dt.days
    since_exit = (on - exit_date).dt.days
    gone = (since_exit > grace_days).fillna(False).to_numpy(dtype=bool)
    missed = status == "missed"
    soon = ((status == "not_yet_due") & due.notna().to_numpy()
            & (due <= on + pd.Timedelta(days=within)).fillna(False).to_numpy(dtype=bool))
    which = np.select([missed & gone, missed, soon], ["missed", "overdue", "due_soon"],
                      default="")
    keep = which != ""

    # The last wave answered by each candidate (in wave order) and its date.
    answered = pd.DataFrame({"candidate": key, "position": wave_codes(status_frame["wave"], waves),
                             "date": pd.to_datetime(status_frame["date"]).to_numpy()})
    answered = (answered.loc[status == "answered"]
                .sort_values(["candidate", "position"], kind="stable")
                .drop_duplicates("candidate", keep="last").set_index("candidate"))
    last_position = key.map(answered["position"])
    last_wave = pd.Series(np.asarray(waves + [None], dtype=object)[
        last_position.fillna(len(waves)).astype("int64").to_numpy()])

    shown = column("id").where(column("id").notna(), key) if "id" in reg.columns else key
    out = pd.DataFrame({
        "candidate": shown.astype(object),
        "entry_date": column("entry_date", dates=True),
    })
    if by is not None and by not in ("entry_date", "exit_date", "exit_status"):
        out[by] = column(by)
    out["wave"] = wave_categorical(status_frame["wave"].astype(object), waves)
    out["due_date"] = due
    out["days_overdue"] = days.astype("Int64")
    out["last_wave"] = last_wave
    out["last_date"] = pd.to_datetime(key.map(answered["date"]))
    out["exit_date"] = exit_date
    out["exit_status"] = column("exit_status")
    out["list"] = pd.Categorical(np.where(keep, which, None), categories=LISTS, ordered=True)
    out = out.loc[keep]
    order = ([by] if by is not None else []) + ["list", "wave", "days_overdue", "candidate"]
    ascending = ([True] if by is not None else []) + [True, True, False, True]
    out = out.sort_values(order, ascending=ascending, na_position="last", kind="stable")
    return out.reset_index(drop=True)


def followup_counts(table: pd.DataFrame, waves=None, by: str | None = None) -> pd.DataFrame:
    """Rows of a follow-up list per wave and list (and per value of ``by``).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`followup_list`.
    waves : list, optional
        Wave order (default: the categories of ``table.wave``). Every wave
        gets a row, with zeros when nothing is listed.
    by : str, optional
        A column of ``table``: one block of waves per value (sorted, the
        missing value last).

    Returns
    -------
    pandas.DataFrame
        ``by`` (when given), ``wave``, ``overdue``, ``due_soon``, ``missed``
        (int64).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"wave": ["T2", "T2", "T3"],
    ...                   "list": ["overdue", "missed", "overdue"]})
    >>> followup_counts(t, waves=["T1", "T2", "T3"])
      wave  overdue  due_soon  missed
    0   T1        0         0       0
    1   T2        1         0       1
    2   T3        1         0       0
    """
    waves = level_order(table["wave"], waves, sort_key=str)

    def count(part: pd.DataFrame) -> pd.DataFrame:
        tab = pd.crosstab(part["wave"].astype(object), part["list"].astype(object))
        tab = tab.reindex(index=waves, columns=list(LISTS), fill_value=0).astype("int64")
        tab.index.name, tab.columns.name = "wave", None
        return tab.reset_index()

    if by is None:
        return count(table)
    blocks = [count(part).assign(**{by: value}) for value, part in  # a loop over values
              table.groupby(table[by].astype(object), dropna=False, sort=True)]
    if not blocks:
        return pd.DataFrame(columns=[by, "wave", *LISTS])
    out = pd.concat(blocks, ignore_index=True)
    return out[[by, "wave", *LISTS]]


# --------------------------------------------------------------------------
# the workbook
# --------------------------------------------------------------------------
def sheet_names(values, reserved=()) -> list[str]:
    """Sheet names Excel accepts, one per value, all different.

    Excel's characters ``[ ] : * ? / \\`` become ``_``, a leading or trailing
    apostrophe is dropped, names are cut to 31 characters, and a name already
    taken (compared ignoring case, as Excel does; ``History`` is reserved)
    gets `` (2)``, `` (3)``...

    Examples
    --------
    >>> sheet_names(["Namur/Dinant", "namur_dinant", "x" * 40], reserved=["Résumé"])
    ['Namur_Dinant', 'namur_dinant (2)', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']
    """
    taken = {str(r).casefold() for r in reserved} | {"history"}
    names = []
    for value in values:  # a loop over sheets
        base = re.sub(_SHEET_FORBIDDEN, "_", str(value)).strip().strip("'").strip()
        base = base[:_SHEET_MAX] or "_"
        name, k = base, 2
        while name.casefold() in taken:
            suffix = f" ({k})"
            name = base[:_SHEET_MAX - len(suffix)].rstrip() + suffix
            k += 1
        taken.add(name.casefold())
        names.append(name)
    return names


def default_path(study: Study, on) -> Path:
    """Where ``impactlib due`` writes by default: ``<processed>/followup/a-relancer-<on>.xlsx``
    (``follow-up-<on>.xlsx`` for a study in English), in the study's processed
    folder (:func:`impactlib.config.processed_dir`), never under ``reports/``."""
    name = Translator(study.language).t("followup.file", on=_day(on).date().isoformat())
    return config.processed_dir(study) / FOLLOWUP_FOLDER / name


def write_followup(table: pd.DataFrame, path: str | Path, on, *, language: str = "fr",
                   within: int = DEFAULT_WITHIN, grace_days: int = 30, by: str | None = None,
                   wave_labels: dict | None = None) -> Path:
    """Write a follow-up list as an Excel workbook, atomically, with deterministic bytes.

    The first sheet sums up the list (rows per wave and list; with ``by``,
    for all candidates then per value); then one sheet per value of ``by``
    (missing values under "(sans valeur)"), or one sheet for the whole list.
    Every sheet begins with a line saying it holds personal data not to be
    shared nor sent by e-mail, and the day of the list; its table header is
    frozen, dates are Excel dates, columns are as wide as their text.

    Text cells go through :func:`impactlib.safe_csv.neutralize_formulas`: a
    value beginning with ``=``, ``+``, ``-`` or ``@`` is written with a
    leading apostrophe and is never a formula. The file is written beside
    ``path`` under a temporary name, then renamed over it: a failure leaves
    the previous file as it was. The workbook's creation and modification
    times are ``on``, so the same list on the same day gives the same bytes.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`followup_list`.
    path : str or Path
        The ``.xlsx`` file; its folder is created if needed.
    on : date-like
        The day of the list.
    language : {"fr", "en"}
        Language of the sheet names, headers and lines.
    within, grace_days : int
        As given to :func:`followup_list` (written in the header line).
    by : str, optional
        The column of ``table`` splitting the list into sheets.
    wave_labels : dict, optional
        ``{wave key: label}``; a wave is shown ``T2 (Mi-parcours)``.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> t = pd.DataFrame({"candidate": ["D-001"], "entry_date": pd.to_datetime(["2025-01-02"]),
    ...     "wave": pd.Categorical(["T2"], categories=["T1", "T2"]),
    ...     "due_date": pd.to_datetime(["2025-02-20"]), "days_overdue": pd.array([9], "Int64"),
    ...     "last_wave": ["T1"], "last_date": pd.to_datetime(["2025-01-02"]),
    ...     "exit_date": pd.NaT, "exit_status": ["en cours"], "list": ["overdue"]})
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "list.xlsx"
    >>> write_followup(t, out, on="2025-03-01").name
    'list.xlsx'
    """
    path = Path(path)
    on = _day(on)
    tr = Translator(language)
    waves = level_order(table["wave"], None, sort_key=str)
    labels = wave_labels or {}

    def wave_text(values: pd.Series) -> pd.Series:
        names = {w: (f"{w} ({labels[w]})" if labels.get(w) and labels[w] != w else str(w))
                 for w in waves}
        return values.astype(object).map(names).where(values.notna(), None)

    lines = [tr.t("followup.warning"),
             tr.t("followup.context", on=on.strftime(tr.t("followup.date_format")),
                  within=within, grace=grace_days)]
    list_names = {k: tr.t(f"followup.lists.{k}") for k in LISTS}
    no_value = tr.t("followup.no_value")

    # Summary: all candidates, then per value of ``by``.
    summary = followup_counts(table, waves)
    if by is not None:
        per_value = followup_counts(table, waves, by=by)
        summary = pd.concat([summary.assign(**{by: tr.t("followup.all_values")}),
                             per_value.assign(**{by: per_value[by].astype(object)
                                                 .where(per_value[by].notna(), no_value)})],
                            ignore_index=True)[[by, "wave", *LISTS]]
    # The list: shown values and headers.
    shown = table.copy()
    shown["wave"] = wave_text(shown["wave"])
    shown["last_wave"] = wave_text(shown["last_wave"])
    shown["list"] = shown["list"].astype(object).map(list_names)
    headers = {c: tr.t(f"followup.columns.{c}") for c in [*shown.columns, *summary.columns]
               if f"followup.columns.{c}" in tr.strings}
    summary["wave"] = wave_text(summary["wave"])
    summary = summary.rename(columns={**headers, **list_names})
    if by is not None:
        groups = shown[by].astype(object).where(shown[by].notna(), no_value)
        values = list(dict.fromkeys(groups))   # the order of the sorted list
    else:
        groups, values = pd.Series("", index=shown.index), [""]
    summary_name = tr.t("followup.summary_sheet")
    names = (sheet_names(values, reserved=[summary_name]) if by is not None and values
             else [tr.t("followup.all_sheet")])
    if by is not None and not values:
        values = [None]
    date_format = tr.t("followup.excel_date")

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _write_sheet(writer, summary_name, summary, lines, date_format)
        for value, name in zip(values, names):  # a loop over sheets
            part = shown.loc[(groups == value).to_numpy()] if value is not None else shown
            _write_sheet(writer, name, part.rename(columns=headers),
                         lines + [tr.t("followup.days_note")], date_format)
        writer.book.properties.creator = "impactlib"
        writer.book.properties.created = on.to_pydatetime()
    data = stable_bytes(buffer.getvalue(), on)
    _replace_file(path, data)
    return path


_HEADER_ROWS = 4   # warning, context, note (or empty), empty; the table starts below


def _write_sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, lines: list[str],
                 date_format: str) -> None:
    """One sheet: the lines on top, the table below, frozen header, widths, filter;
    dates shown with the Excel ``date_format``."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    safe = neutralize_formulas(frame)
    safe.to_excel(writer, sheet_name=name, index=False, startrow=_HEADER_ROWS)
    sheet = writer.sheets[name]
    for i, text in enumerate(neutralize_formulas(pd.DataFrame({"t": lines}))["t"], start=1):
        cell = sheet.cell(row=i, column=1, value=text)
        cell.font = Font(bold=True, color="C00000") if i == 1 else Font(italic=True)
    header_row = _HEADER_ROWS + 1
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    last = get_column_letter(max(len(safe.columns), 1))
    sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + len(safe)}"
    for j, col in enumerate(safe.columns, start=1):  # a loop over columns
        values = safe[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            width = 12
            for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=j, max_col=j):
                cell.number_format = date_format     # formatting the cells of one column
        else:
            width = int(values.astype(object).dropna().astype(str).str.len().max()
                        if values.notna().any() else 0)
        width = min(max(width, len(str(col))) + 2, 60)
        sheet.column_dimensions[get_column_letter(j)].width = width


def _replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:   # readable by its owner only where the system supports it: personal data
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------
# for a study
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class FollowupRun:
    """What :func:`run_followup` did.

    Attributes
    ----------
    path : Path
        The workbook written.
    table : pandas.DataFrame
        The list (:func:`followup_list`), with real candidate ids.
    counts : pandas.DataFrame
        Per wave: ``overdue``, ``due_soon``, ``missed`` (rows of the list),
        and ``n_due``, ``n_answered``, ``n_missed`` of
        :func:`~impactlib.stats.attrition.attrition_rates` on the same
        status (``overdue + missed == n_missed``).
    on : datetime.date
    within, grace_days : int
    """

    path: Path
    table: pd.DataFrame
    counts: pd.DataFrame
    on: dt.date
    within: int
    grace_days: int

    def lines(self) -> list[str]:
        """One line per wave, for the command line.

        ``T2: 12 overdue, 5 due within 14 days, 3 missed (exited more than 30
        days ago); 149 answered of 264 due``: overdue + missed is ``n_missed``
        of the attrition table, answered ``n_answered`` and due ``n_due``.
        """
        def days(n: int) -> str:
            return f"{n} day" if n == 1 else f"{n} days"

        return [f"{r.wave}: {r.overdue} overdue, {r.due_soon} due within {days(self.within)}, "
                f"{r.missed} missed (exited more than {days(self.grace_days)} ago); "
                f"{r.n_answered} answered of {r.n_due} due"
                for r in self.counts.itertuples()]   # a loop over waves


def _parse_on(on) -> dt.date:
    if on is None:
        return dt.date.today()
    if isinstance(on, dt.datetime):
        return on.date()
    if isinstance(on, dt.date):
        return on
    try:
        return dt.date.fromisoformat(str(on).strip())
    except ValueError:
        raise StudyError(f"--on must be a date written YYYY-MM-DD, not '{on}'") from None


def _by_column(by: str | None, study: Study, candidates: pd.DataFrame) -> str | None:
    """The candidates' column named by ``--by`` (case ignored), or a StudyError listing them."""
    if by is None:
        return None
    available = [c for c in study.covariates if c in candidates.columns] + ["exit_status"]
    if by in available:
        return by
    folded = [c for c in available if c.casefold() == str(by).strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    raise StudyError(f"--by '{by}' is not a column of the candidates; available: "
                     f"{', '.join(available)}", study.path)


def run_followup(study: Study | str | Path, on=None, within: int = DEFAULT_WITHIN,
                 by: str | None = None, out: str | Path | None = None) -> FollowupRun:
    """The follow-up list of a study on the day ``on``, written as a workbook.

    Reads and cleans the study (:func:`impactlib.intake.processed.clean_study`),
    takes the real candidate ids from its pseudonym table (the ids as first
    read, from a wave export or the registry), and writes the workbook
    (:func:`write_followup`) to ``out`` or :func:`default_path`. The default
    path lies in the study's processed folder, whose lock is held while
    writing (a ``clean`` or ``report`` at the same time is refused).

    The counts equal those of the report's ``results/attrition_rates.csv``
    computed on the same questionnaires with ``as_of = on``: a report without
    ``--until`` takes the date of the last questionnaire, so ``due --on
    <that date>`` gives its ``n_due``, ``n_answered`` and ``n_missed`` (=
    overdue + missed). A report with ``--until`` keeps only the candidates
    whose first questionnaire falls in its period; the follow-up list keeps
    every candidate of the registry (one who never answered has an overdue
    entry questionnaire).

    Parameters
    ----------
    study : Study or path to ``study.yml``
    on : date or ``YYYY-MM-DD``, optional
        The day of the list (default: today).
    within : int
        Days ahead for "due soon" (default 14).
    by : str, optional
        A covariate of the study, or ``exit_status`` (case ignored): one sheet
        per value (default: ``followup_by`` of study.yml, if set).
    out : str or Path, optional
        The workbook (default :func:`default_path`).

    Raises
    ------
    StudyError
        ``on`` is not a date or falls before the first questionnaire;
        ``within`` is negative; the study has no registry, or a registry
        without entry dates; ``by`` names no column of the candidates.
    """
    on = _parse_on(on)
    if isinstance(within, bool) or not isinstance(within, int) or within < 0:
        raise StudyError(f"--within must be a whole number of days (0 or more), not '{within}'")
    if not isinstance(study, Study):
        study = load_study(study)
    if study.registry is None:
        raise StudyError("impactlib due needs the registry: entry and exit dates tell when each "
                         "questionnaire is due. Add 'registry: registry.csv' to study.yml, a "
                         "table with one row per candidate: the id, entry_date, exit_date (empty "
                         "while in the programme), exit_status (see docs/study-format.md)",
                         study.path)
    last = study.wave_keys[-1]
    if len(study.wave_keys) > 1 and last in study.due_days:
        raise StudyError(f"due_days names {last}, the last wave, which is due at exit: leave it "
                         "out of due_days", study.path)
    data = clean_study(study)
    cand = data.candidates
    if "entry_date" not in cand.columns or cand["entry_date"].isna().all():
        raise StudyError("the registry gives no entry date: add an entry_date column (and "
                         "exit_date, exit_status) with one date per candidate", study.registry)
    first = data.questionnaires["date"].min()
    if pd.notna(first) and pd.Timestamp(on) < first:
        raise StudyError(f"--on {on.isoformat()} is before the first questionnaire "
                         f"({first.date().isoformat()}): nothing can be due yet")
    by = _by_column(by if by is not None else study.followup_by, study, cand)
    ids = data.pseudonyms.drop_duplicates("candidate").set_index("candidate")["id"]
    cand = cand.assign(id=cand["candidate"].map(ids))
    waves = data.waves
    status = followup_status(cand, data.questionnaires, on, within, waves=waves,
                             due_days=study.due_days or None)
    table = followup_list(status, cand, on, within, study.followup_grace_days, by)
    rates = attrition_rates(status, waves=waves)
    counts = followup_counts(table, waves)
    for col in ("n_due", "n_answered", "n_missed"):
        counts[col] = rates[col].to_numpy()
    labels = {w.key: w.label for w in study.waves}
    write = dict(on=on, language=study.language, within=within,
                 grace_days=study.followup_grace_days, by=by, wave_labels=labels)
    if out is None:
        path = default_path(study, on)
        folder = config.processed_dir(study)
        with processed_lock(folder):   # refused while a clean or report rebuilds the folder
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_followup(table, path, **write)
    else:
        path = write_followup(table, Path(out), **write)
    return FollowupRun(path=path, table=table, counts=counts, on=on, within=within,
                       grace_days=study.followup_grace_days)
