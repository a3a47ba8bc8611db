"""Attrition: who answers which wave, when, and who drops out.

The functions take the tidy tables described in ``docs/tidy-tables.md``
(``questionnaires``, ``candidates``, ``scores``, ``responses``) and return tidy
:class:`pandas.DataFrame` objects, one observation per row.

Wave order
----------
Every function that needs an order of the waves accepts ``waves=`` (a list of
wave keys). Without it the order is the categories of the ordered categorical
``wave`` column and, when ``wave`` is not categorical, the sorted unique
values.

Privacy
-------
:func:`dropout_comparison` (and so :func:`attrition_table`) never shows a mean,
a proportion, an SMD or a p-value computed from a group of fewer than
``min_group`` (default 5) candidates: those cells are NaN and ``suppressed`` is
True. Group sizes are still shown so that the reader knows why.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import linprog

from impactlib.frames import as_float, level_order, wave_categorical, wave_pairs

__all__ = [
    "due_offsets",
    "STATUSES",
    "pattern_counts",
    "funnel",
    "days_between_waves",
    "wave_status",
    "due_status",
    "attrition_rates",
    "dropout_comparison",
    "dropout_model",
    "item_matrix",
    "score_matrix",
    "little_mcar",
    "attrition_table",
]

#: Possible values of ``status`` in :func:`wave_status`, in display order.
STATUSES = ("answered", "missed", "not_yet_due", "unknown")

#: Default number of days between entry and a middle wave, per step: the k-th
#: middle wave (k = 1, 2, ...) is due ``k * DEFAULT_STEP_DAYS`` days after entry.
DEFAULT_STEP_DAYS = 90

#: ``exit_status`` values (compared case- and space-insensitively) meaning the
#: candidate is still in the programme.
ONGOING_STATUSES = ("en cours",)

_COMPARISON_COLUMNS = [
    "variable",
    "kind",
    "level",
    "n_returned",
    "n_dropped",
    "mean_returned",
    "mean_dropped",
    "smd",
    "test",
    "statistic",
    "p_value",
    "suppressed",
]

_MODEL_COLUMNS = [
    "term",
    "estimate",
    "std_error",
    "z",
    "p_value",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "n",
    "n_returned",
    "note",
]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _wave_of(df: pd.DataFrame) -> pd.Series:
    """``wave`` as plain objects (so categorical and str compare alike)."""
    return df["wave"].astype(object)


def _answered_candidates(
    scores: pd.DataFrame | None, candidates: pd.DataFrame | None, wave
) -> pd.Index:
    """Candidates who answered ``wave``.

    The boolean ``in_<wave>`` column of ``candidates`` is used when present,
    else presence of the candidate at that wave in ``scores`` (which has one
    row per kept questionnaire x dimension).
    """
    col = f"in_{wave}"
    if candidates is not None and col in candidates.columns:
        flag = candidates[col].astype("boolean").fillna(False).to_numpy(dtype=bool)
        return pd.Index(pd.unique(candidates.loc[flag, "candidate"]))
    if scores is None or len(scores) == 0:
        return pd.Index([])
    return pd.Index(pd.unique(scores.loc[_wave_of(scores) == wave, "candidate"]))


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _dimension_order(scores: pd.DataFrame, dimensions: Sequence | None) -> list:
    if dimensions is not None:
        return list(dimensions)
    if "dimension" not in scores.columns:
        return []
    dim = scores["dimension"]
    if isinstance(dim.dtype, pd.CategoricalDtype):
        return [d for d in dim.cat.categories if (dim == d).any()]
    return pd.unique(dim.dropna()).tolist()


def _baseline(
    scores: pd.DataFrame,
    candidates: pd.DataFrame | None,
    from_wave,
    to_wave,
    dimensions: Sequence | None,
    covariates: Sequence | None,
) -> tuple[pd.DataFrame, np.ndarray, list, list]:
    """Wide baseline table (one row per candidate who answered ``from_wave``)."""
    base = _answered_candidates(scores, candidates, from_wave)
    back = _answered_candidates(scores, candidates, to_wave)
    dims = _dimension_order(scores, dimensions)
    at_from = scores.loc[_wave_of(scores) == from_wave]
    wide = (
        at_from.groupby(["candidate", "dimension"], observed=True, sort=False)["score"]
        .mean()
        .unstack("dimension")
        .reindex(index=base, columns=dims)
        .astype("float64")
    )
    wide.columns = list(dims)
    covs = list(covariates or [])
    if covs:
        if candidates is None:
            raise ValueError("covariates need the candidates table")
        missing = [c for c in covs if c not in candidates.columns]
        if missing:
            raise KeyError(f"covariates not in candidates: {missing}")
        cov = candidates.drop_duplicates("candidate").set_index("candidate")[covs]
        wide = wide.join(cov.reindex(base))
    wide.index.name = "candidate"
    returned = np.asarray(base.isin(back), dtype=bool)
    return wide, returned, dims, covs


# --------------------------------------------------------------------------
# 1. response patterns
# --------------------------------------------------------------------------
def pattern_counts(candidates: pd.DataFrame, waves: Sequence | None = None) -> pd.DataFrame:
    """Number of candidates per response pattern.

    A pattern is the set of waves a candidate answered, written as the wave
    keys joined by ``+`` in wave order (``T1``, ``T1+T2``, ``T1+T3``, ``T2``,
    ...). Non-monotone patterns (a wave skipped and a later one answered) are
    kept as they are.

    Parameters
    ----------
    candidates : pandas.DataFrame
        The ``candidates`` table: ``candidate`` and ``pattern``; when
        ``pattern`` is absent it is rebuilt from the boolean ``in_<key>``
        columns.
    waves : list, optional
        Wave keys in study order. Default: the order of the ``in_<key>``
        columns, else the sorted keys found in the patterns.

    Returns
    -------
    pandas.DataFrame
        ``pattern``, ``n_candidates``, ``share`` (n_candidates / number of
        candidates, 0-1). Patterns are sorted by the wave positions they
        contain, compared lexicographically: with waves T1, T2, T3 the order
        is T1, T1+T2, T1+T2+T3, T1+T3, T2, T2+T3, T3. The empty pattern ``""``
        (registered candidates without any questionnaire) and patterns with
        unknown keys come last. Only observed patterns are listed.

    Notes
    -----
    The pattern notation follows the missing-data pattern tables of Little &
    Rubin (2019), ch. 1.

    References
    ----------
    Little, R. J. A., & Rubin, D. B. (2019). *Statistical Analysis with Missing
    Data* (3rd ed.). Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.attrition import pattern_counts
    >>> cand = pd.DataFrame({"candidate": ["a", "b", "c"],
    ...                      "pattern": ["T1+T2", "T1", "T1"]})
    >>> pattern_counts(cand, waves=["T1", "T2", "T3"])
      pattern  n_candidates     share
    0      T1             2  0.666667
    1   T1+T2             1  0.333333
    """
    in_cols = [c for c in candidates.columns if str(c).startswith("in_")]
    if waves is None and in_cols:
        waves = [str(c)[3:] for c in in_cols]
    if "pattern" in candidates.columns:
        pattern = candidates["pattern"].astype(object).where(candidates["pattern"].notna(), "")
        pattern = pattern.astype(str)
    elif in_cols:
        pattern = pd.Series("", index=candidates.index, dtype=object)
        for c in in_cols:  # loop over waves, not rows
            flag = candidates[c].astype("boolean").fillna(False).to_numpy(dtype=bool)
            pattern = pattern.where(~flag, pattern + "+" + str(c)[3:])
        pattern = pattern.str.lstrip("+")
    else:
        raise KeyError("candidates needs a 'pattern' column or 'in_<wave>' columns")

    counts = pattern.value_counts(sort=False)
    if waves is None:
        found = sorted({k for p in counts.index for k in p.split("+") if k}, key=str)
        waves = found
    position = {str(w): i for i, w in enumerate(waves)}

    def sort_key(p: str):
        keys = [k for k in p.split("+") if k]
        if not keys:
            return (2, (), p)
        if all(k in position for k in keys):
            return (0, tuple(position[k] for k in keys), p)
        return (1, (), p)

    order = sorted(counts.index, key=sort_key)
    n = counts.reindex(order).to_numpy(dtype="int64")
    total = int(n.sum())
    share = n / total if total else np.full(len(n), np.nan)
    return pd.DataFrame({"pattern": order, "n_candidates": n, "share": share})


# --------------------------------------------------------------------------
# 2. funnel
# --------------------------------------------------------------------------
def funnel(questionnaires: pd.DataFrame, waves: Sequence | None = None) -> pd.DataFrame:
    """Questionnaires and candidates per wave, and retention from the first wave.

    Parameters
    ----------
    questionnaires : pandas.DataFrame
        The ``questionnaires`` table (``candidate``, ``wave``).
    waves : list, optional
        Wave keys in study order (default: categorical order of ``wave``).

    Returns
    -------
    pandas.DataFrame
        One row per wave (empty waves included, with zeros):

        - ``wave`` (ordered categorical)
        - ``n_questionnaires``: rows of ``questionnaires`` at that wave
        - ``n_candidates``: distinct candidates at that wave
        - ``retention_from_first``: share (0-1) of the candidates who
          answered the *first* wave who also answered this wave,
          :math:`|C_1 \\cap C_w| / |C_1|`; 1 for the first wave, NaN when
          nobody answered the first wave. Candidates who skipped the first
          wave do not count.
        - ``pct_of_first``: :math:`100 \\cdot |C_w| / |C_1|`, a percentage
          (0-100, may exceed 100) that *does* count candidates who skipped the
          first wave; NaN when nobody answered the first wave.

    References
    ----------
    Lugtig, P. (2014). Panel attrition: separating stayers, fast attriters,
    gradual attriters, and lurkers. *Sociological Methods & Research*, 43(4),
    699-723.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.attrition import funnel
    >>> q = pd.DataFrame({"candidate": ["a", "b", "a", "c"],
    ...                   "wave": ["T1", "T1", "T2", "T2"]})
    >>> funnel(q)[["wave", "n_candidates", "retention_from_first"]]
      wave  n_candidates  retention_from_first
    0   T1             2                   1.0
    1   T2             2                   0.5
    """
    levels = level_order(questionnaires["wave"], waves, sort_key=str)
    wave = _wave_of(questionnaires)
    cand = questionnaires["candidate"]
    n_q = wave.value_counts().reindex(levels, fill_value=0).to_numpy(dtype="int64")
    pairs = pd.DataFrame({"candidate": cand.to_numpy(), "wave": wave.to_numpy()}).drop_duplicates()
    n_c = pairs["wave"].value_counts().reindex(levels, fill_value=0).to_numpy(dtype="int64")
    if levels:
        first = pd.Index(pairs.loc[pairs["wave"] == levels[0], "candidate"])
        from_first = pairs.loc[pairs["candidate"].isin(first), "wave"].value_counts()
        kept = from_first.reindex(levels, fill_value=0).to_numpy(dtype="float64")
        n_first = float(len(first))
    else:
        kept, n_first = np.zeros(0), 0.0
    if n_first > 0:
        retention = kept / n_first
        pct = 100.0 * n_c / n_first
    else:
        retention = np.full(len(levels), np.nan)
        pct = np.full(len(levels), np.nan)
    return pd.DataFrame(
        {
            "wave": wave_categorical(levels, levels),
            "n_questionnaires": n_q,
            "n_candidates": n_c,
            "retention_from_first": retention,
            "pct_of_first": pct,
        }
    )


# --------------------------------------------------------------------------
# 3. time between waves
# --------------------------------------------------------------------------
def days_between_waves(
    questionnaires: pd.DataFrame, waves: Sequence | None = None
) -> pd.DataFrame:
    """Days between the questionnaires of the same candidate, per wave pair.

    For every ordered pair of waves (``from_wave`` before ``to_wave`` in wave
    order, all pairs, not only consecutive ones) and every candidate with a
    known date at both waves, the interval is
    :math:`d = (\\text{date}_{to} - \\text{date}_{from})` in days (fractional
    when times of day are recorded). NaT dates are excluded.

    Parameters
    ----------
    questionnaires : pandas.DataFrame
        The ``questionnaires`` table (``candidate``, ``wave``, ``date``). If a
        candidate has several questionnaires at a wave, the earliest date is
        used.
    waves : list, optional
        Wave keys in study order (default: categorical order of ``wave``).

    Returns
    -------
    pandas.DataFrame
        ``from_wave``, ``to_wave``, ``n`` (pairs with both dates),
        ``median_days``, ``q1_days``, ``q3_days`` (quartiles, linear
        interpolation, i.e. R's ``quantile(type = 7)``; NaN when ``n`` is 0)
        and ``n_negative``: number of intervals below zero (the later wave
        dated before the earlier one, a data-entry problem to check).
        Negative intervals are *kept* in the quartiles.

    References
    ----------
    Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages.
    *The American Statistician*, 50(4), 361-365.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.attrition import days_between_waves
    >>> q = pd.DataFrame({"candidate": ["a", "a", "b", "b"],
    ...                   "wave": ["T1", "T2", "T1", "T2"],
    ...                   "date": pd.to_datetime(["2024-01-01", "2024-04-01",
    ...                                           "2024-02-01", "2024-03-02"])})
    >>> days_between_waves(q)[["from_wave", "to_wave", "n", "median_days"]]
      from_wave to_wave  n  median_days
    0        T1      T2  2         60.5
    """
    levels = level_order(questionnaires["wave"], waves, sort_key=str)
    dates = pd.DataFrame(
        {
            "candidate": questionnaires["candidate"].to_numpy(),
            "wave": _wave_of(questionnaires).to_numpy(),
            "date": pd.to_datetime(questionnaires["date"]).to_numpy(),
        }
    )
    dates = dates.loc[dates["wave"].isin(levels)]
    wide = (
        dates.groupby(["candidate", "wave"], sort=False)["date"]
        .min()
        .unstack("wave")
        .reindex(columns=levels)
        .astype("datetime64[ns]")
    )
    rows = []
    for a, b in wave_pairs(levels):
        d = (wide[b] - wide[a]).dropna().dt.total_seconds().to_numpy() / 86400.0
        n = len(d)
        if n:
            q1, med, q3 = np.quantile(d, [0.25, 0.5, 0.75])
        else:
            q1 = med = q3 = np.nan
        rows.append((a, b, n, med, q1, q3, int((d < 0).sum())))
    out = pd.DataFrame(
        rows,
        columns=["from_wave", "to_wave", "n", "median_days", "q1_days", "q3_days", "n_negative"],
    )
    out["from_wave"] = wave_categorical(out["from_wave"], levels)
    out["to_wave"] = wave_categorical(out["to_wave"], levels)
    out["n"] = out["n"].astype("int64")
    out["n_negative"] = out["n_negative"].astype("int64")
    for c in ("median_days", "q1_days", "q3_days"):
        out[c] = out[c].astype("float64")
    return out


# --------------------------------------------------------------------------
# 4. due / answered / missed
# --------------------------------------------------------------------------
def due_offsets(waves: Sequence, due_days: Mapping | None = None) -> dict:
    """Days after entry when each wave but the last is due (the last is due at exit).

    The first wave is due at entry (0 days) and the k-th middle wave
    ``k * DEFAULT_STEP_DAYS`` days after it, unless ``due_days`` says otherwise.

    Examples
    --------
    >>> due_offsets(["T1", "T2", "T3"], {"T2": 120})
    {'T1': 0, 'T2': 120}
    """
    waves = list(waves)
    offsets = {w: DEFAULT_STEP_DAYS * k for k, w in enumerate(waves[:-1])}
    if due_days:
        unknown_keys = [k for k in due_days if k not in waves]
        if unknown_keys:
            raise ValueError(f"due_days has unknown waves: {unknown_keys}")
        if len(waves) > 1 and waves[-1] in due_days:
            raise ValueError("the last wave is due at exit: leave it out of due_days")
        offsets.update(due_days)
    return offsets


def wave_status(
    candidates: pd.DataFrame,
    questionnaires: pd.DataFrame,
    waves: Sequence | None = None,
    as_of=None,
    due_days: Mapping | None = None,
    ongoing_statuses: Iterable[str] = ONGOING_STATUSES,
) -> pd.DataFrame:
    """Whether each wave was answered, missed or not yet due, per candidate.

    **Due rule.** Let *entry* be the registry ``entry_date`` and *exit* the ``exit_date``.

    - A candidate who answered a wave is ``answered``, whatever the dates.
    - **First wave**: due at entry + ``due_days.get(first, 0)`` days. Due when
      that date is on or before ``as_of``, or when the entry date is unknown
      (being listed means the candidate entered).
    - **Middle waves**: due ``due_days[wave]`` days after entry. Default:
      the k-th middle wave is due ``90 * k`` days after entry (T2 at 90 days
      for T1, T2, T3). ``unknown`` when the entry date is unknown.
    - **Last wave**: due at exit. A candidate is still in the programme (so
      ``not_yet_due``) when ``exit_status`` is one of ``ongoing_statuses``
      (default ``'en cours'``, compared case-insensitively), or when
      ``exit_date`` is NaT and ``exit_status`` is empty, or when ``exit_date``
      is after ``as_of``. A candidate with a non-ongoing ``exit_status`` (for
      instance ``'abandon'``) but no ``exit_date`` has left: the last wave is
      due (due date unknown). Without any registry exit information
      (``exit_date`` and ``exit_status`` columns both absent) an unanswered
      last wave is ``unknown``.
    - A due, unanswered wave is ``missed``; an undue one ``not_yet_due``.

    When the registry gives no entry date (or there is no registry), the
    candidate's earliest dated questionnaire stands in for it. The decision
    itself is :func:`due_status`, on the candidate x wave grid built here.

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``candidates`` table: ``candidate`` and, with a registry,
        ``entry_date``, ``exit_date``, ``exit_status``. Candidates found only in
        ``questionnaires`` are added.
    questionnaires : pandas.DataFrame
        ``questionnaires`` table (``candidate``, ``wave``, ``date``).
    waves : list, optional
        Wave keys in order (default: categorical order of
        ``questionnaires.wave``).
    as_of : date-like, optional
        Date the data were extracted. Default: the latest date found in the
        questionnaires and the registry (a lower bound of the extraction date:
        pass the real one).
    due_days : dict, optional
        ``{wave: days after entry}`` for the first and middle waves. The last
        wave is due at exit and may not appear here.
    ongoing_statuses : iterable of str
        ``exit_status`` values meaning "still in the programme".

    Returns
    -------
    pandas.DataFrame
        One row per candidate x wave: ``candidate``, ``wave`` (ordered
        categorical), ``status`` (one of :data:`STATUSES`), ``due_date``
        (NaT when unknown or not applicable), ``date`` (date of the
        questionnaire when answered).

    References
    ----------
    American Association for Public Opinion Research (2023). *Standard
    Definitions: Final Dispositions of Case Codes and Outcome Rates for
    Surveys* (10th ed.): eligibility (here: "due") is settled before response
    rates are computed.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.attrition import wave_status
    >>> cand = pd.DataFrame({"candidate": ["a", "b"],
    ...     "entry_date": pd.to_datetime(["2024-01-01", "2024-05-01"]),
    ...     "exit_date": pd.to_datetime(["2024-06-01", pd.NaT]),
    ...     "exit_status": ["sorti", "en cours"]})
    >>> q = pd.DataFrame({"candidate": ["a", "b"], "wave": ["T1", "T1"],
    ...     "date": pd.to_datetime(["2024-01-02", "2024-05-02"])})
    >>> st = wave_status(cand, q, waves=["T1", "T2", "T3"], as_of="2024-07-01")
    >>> st[["candidate", "wave", "status"]]
      candidate wave       status
    0         a   T1     answered
    1         a   T2       missed
    2         a   T3       missed
    3         b   T1     answered
    4         b   T2  not_yet_due
    5         b   T3  not_yet_due
    """
    levels = level_order(questionnaires["wave"], waves, sort_key=str)
    n_w = len(levels)
    offsets = due_offsets(levels, due_days)

    q = pd.DataFrame(
        {
            "candidate": questionnaires["candidate"].to_numpy(),
            "wave": _wave_of(questionnaires).to_numpy(),
            "date": pd.to_datetime(questionnaires["date"]).to_numpy()
            if "date" in questionnaires.columns
            else pd.NaT,
        }
    )
    q["date"] = pd.to_datetime(q["date"])
    q = q.loc[q["wave"].isin(levels)]
    ids = pd.Index(pd.unique(pd.concat([candidates["candidate"].astype(object), q["candidate"]])))
    reg = candidates.drop_duplicates("candidate").set_index("candidate").reindex(ids)

    has_exit_info = "exit_date" in reg.columns or "exit_status" in reg.columns
    nat = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    entry = pd.to_datetime(reg["entry_date"]) if "entry_date" in reg.columns else nat
    exit_date = pd.to_datetime(reg["exit_date"]) if "exit_date" in reg.columns else nat
    if "exit_status" in reg.columns:
        status_txt = reg["exit_status"].astype(object)
        has_status = status_txt.notna() & (status_txt.astype(str).str.strip() != "")
        ongoing_set = {str(s).strip().casefold() for s in ongoing_statuses}
        ongoing = has_status & status_txt.astype(str).str.strip().str.casefold().isin(ongoing_set)
    else:
        has_status = pd.Series(False, index=ids)
        ongoing = pd.Series(False, index=ids)
    first_q = q.groupby("candidate")["date"].min().reindex(ids)
    entry = entry.fillna(first_q) if len(entry) else entry

    if as_of is None:
        pool = pd.concat([q["date"], pd.Series(entry.to_numpy()), pd.Series(exit_date.to_numpy())])
        as_of = pool.max() if pool.notna().any() else pd.NaT
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.NaT

    # candidate x wave grid
    n_c = len(ids)
    cand_col = np.repeat(ids.to_numpy(dtype=object), n_w)
    wave_col = np.tile(np.array(levels, dtype=object), n_c)
    # each questionnaire's cell of the grid, by integer positions (no text index)
    cell = (ids.get_indexer(q["candidate"]) * n_w
            + pd.Index(levels, dtype=object).get_indexer(q["wave"].astype(object)))
    answered = np.zeros(n_c * n_w, dtype=bool)
    answered[cell] = True
    earliest = pd.Series(q["date"].to_numpy(dtype="datetime64[ns]")).groupby(cell).min()
    date_col = np.full(n_c * n_w, np.datetime64("NaT"), dtype="datetime64[ns]")
    date_col[earliest.index.to_numpy(dtype=np.int64)] = earliest.to_numpy(dtype="datetime64[ns]")
    off = np.array([offsets.get(w, 0) for w in levels], dtype="int64")
    grid = pd.DataFrame(
        {
            "position": np.tile(np.arange(n_w), n_c),
            "answered": answered,
            "entry_date": np.repeat(entry.to_numpy(dtype="datetime64[ns]"), n_w),
            "offset_days": np.tile(off, n_c),
            "exit_date": np.repeat(exit_date.to_numpy(dtype="datetime64[ns]"), n_w),
            "has_exit_status": np.repeat(has_status.to_numpy(dtype=bool), n_w),
            "ongoing": np.repeat(ongoing.to_numpy(dtype=bool), n_w),
        }
    )
    decided = due_status(grid, n_w, as_of, exit_info=has_exit_info)
    return pd.DataFrame(
        {
            "candidate": cand_col,
            "wave": wave_categorical(wave_col, levels),
            "status": decided["status"].to_numpy(dtype=object),
            "due_date": decided["due_date"].to_numpy(dtype="datetime64[ns]"),
            "date": date_col,
        }
    )


def due_status(grid: pd.DataFrame, n_waves: int, as_of=None, exit_info: bool = True) -> pd.DataFrame:
    """The due rule: each candidate x wave is answered, missed, not yet due or unknown.

    The decision of :func:`wave_status`, on a grid that already holds, for
    every candidate x wave, the dates and flags it needs. In words:

    - a wave the candidate answered is ``answered``, whatever the dates;
    - the **first wave** is due ``offset_days`` after entry (0 by default):
      due when that day is on or before ``as_of``, or when the entry date is
      unknown (being listed means the candidate entered);
    - a **middle wave** is due ``offset_days`` after entry, when that day is
      on or before ``as_of``; ``unknown`` when the entry date (or ``as_of``)
      is unknown;
    - the **last wave** is due at exit: when the candidate has left, i.e. is
      not ``ongoing`` and either has an exit status (then with an exit date on
      or before ``as_of``, or no exit date) or, without one, an exit date on
      or before ``as_of``; ``unknown`` without any exit information
      (``exit_info`` False) or when ``as_of`` is unknown and the candidate has
      neither left nor is ongoing;
    - a due wave not answered is ``missed``; a wave not due is
      ``not_yet_due``.

    Vectorised: one pass of numpy over the grid.

    Parameters
    ----------
    grid : pandas.DataFrame
        One row per candidate x wave, with columns ``position`` (0-based
        position of the wave; 0 is the first, ``n_waves - 1`` the last),
        ``answered`` (bool), ``entry_date`` and ``exit_date`` (datetime64,
        NaT when unknown), ``offset_days`` (int: days after entry when the
        wave is due; not used for the last wave), ``has_exit_status`` (bool:
        the registry gives an exit status) and ``ongoing`` (bool: that status
        means "still in the programme").
    n_waves : int
        Number of waves of the study (with one wave, it is the first).
    as_of : date-like, optional
        Date the data were extracted; None or NaT when unknown.
    exit_info : bool
        Whether the registry has exit information at all (an ``exit_date``
        or ``exit_status`` column).

    Returns
    -------
    pandas.DataFrame
        Same index as ``grid``: ``status`` (``answered``, ``missed``,
        ``not_yet_due`` or ``unknown``) and ``due_date`` (datetime64[ns]; NaT
        when unknown or, for the last wave, while the candidate has not left).

    Examples
    --------
    >>> import pandas as pd
    >>> grid = pd.DataFrame({"position": [0, 1, 2, 1],
    ...     "answered": [True, False, False, False],
    ...     "entry_date": pd.to_datetime(["2024-01-01"] * 3 + ["2024-06-01"]),
    ...     "offset_days": [0, 90, 0, 90],
    ...     "exit_date": pd.to_datetime(["2024-05-01"] * 3 + [None]),
    ...     "has_exit_status": [True, True, True, False],
    ...     "ongoing": False})
    >>> due_status(grid, n_waves=3, as_of="2024-07-01")
            status   due_date
    0     answered 2024-01-01
    1       missed 2024-03-31
    2       missed 2024-05-01
    3  not_yet_due 2024-08-30
    """
    pos = grid["position"].to_numpy(dtype="int64")
    answered = grid["answered"].to_numpy(dtype=bool)
    e = grid["entry_date"].to_numpy(dtype="datetime64[ns]")
    x = grid["exit_date"].to_numpy(dtype="datetime64[ns]")
    off_col = grid["offset_days"].to_numpy(dtype="int64").astype("timedelta64[D]")
    ongo = grid["ongoing"].to_numpy(dtype=bool)
    has_st = grid["has_exit_status"].to_numpy(dtype=bool)
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.NaT
    as_of_known = not pd.isna(as_of)

    e_known = ~np.isnat(e)
    x_known = ~np.isnat(x)
    aso = np.datetime64(as_of.to_datetime64()) if as_of_known else np.datetime64("NaT")
    entry_due = np.where(e_known, e + off_col, np.datetime64("NaT", "ns"))
    is_first = pos == 0
    is_last = (pos == n_waves - 1) & (n_waves > 1)
    is_middle = ~is_first & ~is_last

    with np.errstate(invalid="ignore"):
        due_by_entry = e_known & (entry_due <= aso) if as_of_known else np.zeros_like(e_known)
    # first wave
    first_due = (~e_known) | due_by_entry
    first_known = (~e_known) | as_of_known
    # middle waves
    middle_due = due_by_entry
    middle_known = e_known & as_of_known
    # last wave
    left = ~ongo & ((has_st & (~x_known | (x <= aso))) | (~has_st & x_known & (x <= aso)))
    if not as_of_known:
        left = ~ongo & has_st & ~x_known
    last_due = left
    last_known = np.full(len(pos), exit_info) & (as_of_known | left | ongo)

    due = np.where(is_first, first_due, np.where(is_middle, middle_due, last_due))
    known = np.where(is_first, first_known, np.where(is_middle, middle_known, last_known))
    status = np.select(
        [answered, known & due, known & ~due],
        ["answered", "missed", "not_yet_due"],
        default="unknown",
    )
    due_date = np.where(
        is_last,
        np.where(left, x, np.datetime64("NaT", "ns")),
        entry_due,
    ).astype("datetime64[ns]")
    return pd.DataFrame({"status": status.astype(object), "due_date": due_date}, index=grid.index)


def attrition_rates(status: pd.DataFrame, waves: Sequence | None = None) -> pd.DataFrame:
    """Response rate per wave among the candidates for whom the wave was due.

    .. math::

        \\text{response\\_rate}_w = \\frac{n_{answered}}{n_{answered} + n_{missed}}

    Waves not yet due (and ``unknown`` ones) are left out of the denominator.
    A wave answered before its due date counts as due and answered.

    Parameters
    ----------
    status : pandas.DataFrame
        Output of :func:`wave_status`.
    waves : list, optional
        Wave order (default: categorical order of ``status.wave``).

    Returns
    -------
    pandas.DataFrame
        ``wave``, ``n_candidates``, ``n_due`` (answered + missed),
        ``n_answered``, ``n_missed``, ``n_not_yet_due``, ``n_unknown``,
        ``response_rate`` (0-1; NaN when nothing is due), ``attrition_rate``
        (1 - response_rate).

    References
    ----------
    American Association for Public Opinion Research (2023). *Standard
    Definitions* (10th ed.), response rate RR1 restricted to eligible cases.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.attrition import attrition_rates
    >>> st = pd.DataFrame({"candidate": ["a", "b", "c"], "wave": ["T2"] * 3,
    ...                    "status": ["answered", "missed", "not_yet_due"]})
    >>> attrition_rates(st)[["wave", "n_due", "response_rate"]]
      wave  n_due  response_rate
    0   T2      2            0.5
    """
    levels = level_order(status["wave"], waves, sort_key=str)
    tab = pd.crosstab(_wave_of(status), status["status"].astype(object))
    tab = tab.reindex(index=levels, columns=list(STATUSES), fill_value=0).astype("int64")
    n_ans = tab["answered"].to_numpy()
    n_mis = tab["missed"].to_numpy()
    n_due = n_ans + n_mis
    rate = np.divide(
        n_ans, n_due, out=np.full(len(levels), np.nan), where=n_due > 0, casting="unsafe"
    )
    return pd.DataFrame(
        {
            "wave": wave_categorical(levels, levels),
            "n_candidates": tab.sum(axis=1).to_numpy(dtype="int64"),
            "n_due": n_due.astype("int64"),
            "n_answered": n_ans,
            "n_missed": n_mis,
            "n_not_yet_due": tab["not_yet_due"].to_numpy(),
            "n_unknown": tab["unknown"].to_numpy(),
            "response_rate": rate,
            "attrition_rate": 1.0 - rate,
        }
    )


# --------------------------------------------------------------------------
# 5. who drops out
# --------------------------------------------------------------------------
def _welch(m1, v1, n1, m2, v2, n2):
    """Welch's unequal-variance t-test from group summaries, vectorized; NaN where undefined.

    :func:`scipy.stats.ttest_ind_from_stats` with ``equal_var=False`` (R's
    ``t.test(x, y)``) on the columns where the test is defined: both groups
    of at least two values and a positive, finite standard error
    ``v1 / n1 + v2 / n2``. Elsewhere ``t`` and ``p`` are NaN.
    """
    m1, v1, n1, m2, v2, n2 = (np.asarray(a, dtype=float) for a in (m1, v1, n1, m2, v2, n2))
    t = np.full(m1.shape, np.nan)
    p = np.full(m1.shape, np.nan)
    ok = (n1 >= 2) & (n2 >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se2 = np.where(ok, v1 / np.where(ok, n1, 1) + v2 / np.where(ok, n2, 1), np.nan)
    ok &= np.isfinite(se2) & (se2 > 0)
    if ok.any():
        res = stats.ttest_ind_from_stats(m1[ok], np.sqrt(v1[ok]), n1[ok],
                                         m2[ok], np.sqrt(v2[ok]), n2[ok], equal_var=False)
        t[ok], p[ok] = res.statistic, res.pvalue
    return t, p


def _smd(m1, v1, m2, v2):
    """(m1 - m2) / sqrt((v1 + v2) / 2); NaN when the pooled SD is 0 or undefined."""
    m1, v1, m2, v2 = (np.asarray(a, dtype=float) for a in (m1, v1, m2, v2))
    pooled = (v1 + v2) / 2.0
    ok = np.isfinite(pooled) & (pooled > 0) & np.isfinite(m1) & np.isfinite(m2)
    out = np.full(m1.shape, np.nan)
    out[ok] = (m1[ok] - m2[ok]) / np.sqrt(pooled[ok])
    return out


def _chisq(table: np.ndarray, correction: bool) -> tuple[float, float]:
    """Pearson chi-square of a contingency table, as R's ``chisq.test``."""
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return np.nan, np.nan
    res = stats.chi2_contingency(table, correction=correction)
    return float(res.statistic), float(res.pvalue)


def _group_summary(values: np.ndarray, returned: np.ndarray):
    """n, mean and variance (ddof=1) per group, column-wise, NaN-aware."""
    out = {}
    for name, mask in (("r", returned), ("d", ~returned)):
        v = values[mask]
        ok = ~np.isnan(v)
        n = ok.sum(axis=0).astype(float)
        s = np.where(ok, v, 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, s / np.where(n > 0, n, 1), np.nan)
            dev = np.where(ok, v - mean, 0.0)
            var = np.where(n > 1, (dev**2).sum(axis=0) / np.where(n > 1, n - 1, 1), np.nan)
        out[name] = (n, mean, var)
    return out


def dropout_comparison(
    scores: pd.DataFrame,
    candidates: pd.DataFrame | None,
    from_wave,
    to_wave,
    covariates: Sequence | None = None,
    dimensions: Sequence | None = None,
    min_group: int = 5,
    correction: bool = True,
) -> pd.DataFrame:
    """Compare the baseline of candidates who came back with those who dropped out.

    Among the candidates who answered ``from_wave``, *returners* also answered
    ``to_wave`` and *dropouts* did not. Answering a wave is read from the
    ``in_<wave>`` column of ``candidates`` when present, else from the presence
    of the candidate at that wave in ``scores``.

    Numeric variables (the ``from_wave`` dimension scores and numeric
    covariates) get one row each with the standardized mean difference

    .. math::

        SMD = \\frac{\\bar x_r - \\bar x_d}{\\sqrt{(s_r^2 + s_d^2)/2}}

    (sample variances, ddof = 1; Austin, 2009) and Welch's unequal-variance
    t-test (R ``t.test(x_r, x_d)``). Categorical covariates (non-numeric or
    boolean) get one row per observed level with the proportions
    :math:`p_r, p_d` of that level among the group members with a known value,
    the SMD for proportions

    .. math::

        SMD = \\frac{p_r - p_d}{\\sqrt{(p_r(1-p_r) + p_d(1-p_d))/2}}

    and, repeated on each level row, Pearson's chi-square test of the
    group x level table, as R's ``chisq.test(table(group, x))``: with
    ``correction=True`` (R's default) Yates' continuity correction is applied
    to 2 x 2 tables only; larger tables are never corrected (R ignores
    ``correct`` for them). Levels nobody has are dropped from the table.

    Positive SMD: returners score higher (or have the level more often).

    Parameters
    ----------
    scores : pandas.DataFrame
        ``scores`` table (``candidate``, ``wave``, ``dimension``, ``score``).
    candidates : pandas.DataFrame or None
        ``candidates`` table (covariates, ``in_<wave>`` flags).
    from_wave, to_wave : str
        Wave keys.
    covariates : list of str, optional
        Columns of ``candidates`` to compare as well.
    dimensions : list of str, optional
        Dimensions to compare (default: all, in table order).
    min_group : int
        Privacy threshold: when the returners or the dropouts with a known
        value of the variable number fewer than ``min_group``, means,
        proportions, SMD, statistic and p-value are NaN and ``suppressed`` is
        True. Group sizes are still shown.
    correction : bool
        Yates' correction for 2 x 2 chi-square tables.

    Returns
    -------
    pandas.DataFrame
        ``variable``, ``kind`` (``'dimension'`` or ``'covariate'``),
        ``level`` (``''`` for numeric variables), ``n_returned``,
        ``n_dropped`` (group members with a known value), ``mean_returned``,
        ``mean_dropped`` (means, or proportions of the level),
        ``smd``, ``test`` (``'welch t'`` or ``'chi-square'``),
        ``statistic`` (t or chi-square), ``p_value``, ``suppressed``.
        Rows follow the dimensions, then the covariates in the order given.

    References
    ----------
    Austin, P. C. (2009). Balance diagnostics for comparing the distribution
    of baseline covariates between treatment groups in propensity-score
    matched samples. *Statistics in Medicine*, 28(25), 3083-3107.

    Welch, B. L. (1947). The generalization of "Student's" problem when several
    different population variances are involved. *Biometrika*, 34, 28-35.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.attrition import dropout_comparison
    >>> sc = pd.DataFrame({"candidate": list("abcdefghij") + list("abcde"),
    ...                    "wave": ["T1"] * 10 + ["T2"] * 5,
    ...                    "dimension": "D", "score": [4., 5, 4, 5, 3] + [2., 3, 2, 3, 3] + [4.] * 5})
    >>> dropout_comparison(sc, None, "T1", "T2")[["variable", "n_returned", "n_dropped", "smd"]]
      variable  n_returned  n_dropped       smd
    0        D           5          5  2.262742
    """
    wide, returned, dims, covs = _baseline(scores, candidates, from_wave, to_wave, dimensions, covariates)
    num_vars = list(dims) + [c for c in covs if _is_numeric(wide[c])]
    cat_vars = [c for c in covs if not _is_numeric(wide[c])]
    kind = {v: "dimension" for v in dims} | {c: "covariate" for c in covs}
    frames = []

    if num_vars:
        values = np.column_stack([as_float(wide[v]) for v in num_vars]) if len(wide) else np.zeros((0, len(num_vars)))
        g = _group_summary(values, returned)
        (n_r, m_r, v_r), (n_d, m_d, v_d) = g["r"], g["d"]
        t, p = _welch(m_r, v_r, n_r, m_d, v_d, n_d)
        frames.append(
            pd.DataFrame(
                {
                    "variable": num_vars,
                    "kind": [kind[v] for v in num_vars],
                    "level": "",
                    "n_returned": n_r.astype("int64"),
                    "n_dropped": n_d.astype("int64"),
                    "mean_returned": m_r,
                    "mean_dropped": m_d,
                    "smd": _smd(m_r, v_r, m_d, v_d),
                    "test": "welch t",
                    "statistic": t,
                    "p_value": p,
                }
            )
        )

    for var in cat_vars:  # loop over variables, not rows
        col = wide[var]
        known = col.notna().to_numpy()
        lab = col[known].astype(object).astype(str).to_numpy()
        if isinstance(col.dtype, pd.CategoricalDtype):
            order = [str(c) for c in col.cat.categories]
        else:
            order = sorted(pd.unique(lab))  # the distinct str(value), from a hash table
        grp = np.where(returned, "r", "d")
        tab = pd.crosstab(lab, grp[known]).reindex(columns=["r", "d"], fill_value=0)
        tab = tab.reindex([o for o in order if o in tab.index])
        counts = tab.to_numpy(dtype=float)
        n_r = float(counts[:, 0].sum()) if len(counts) else 0.0
        n_d = float(counts[:, 1].sum()) if len(counts) else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            p_r = counts[:, 0] / n_r if n_r else np.full(len(tab), np.nan)
            p_d = counts[:, 1] / n_d if n_d else np.full(len(tab), np.nan)
        stat, pval = _chisq(counts.T, correction) if len(counts) else (np.nan, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "variable": var,
                    "kind": "covariate",
                    "level": [str(i) for i in tab.index],
                    "n_returned": np.full(len(tab), n_r, dtype="int64"),
                    "n_dropped": np.full(len(tab), n_d, dtype="int64"),
                    "mean_returned": p_r,
                    "mean_dropped": p_d,
                    "smd": _smd(p_r, p_r * (1 - p_r), p_d, p_d * (1 - p_d)),
                    "test": "chi-square",
                    "statistic": stat,
                    "p_value": pval,
                }
            )
        )

    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _COMPARISON_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    rank = {v: i for i, v in enumerate(list(dims) + covs)}
    out = out.iloc[np.argsort(out["variable"].map(rank).to_numpy(), kind="stable")].reset_index(drop=True)
    suppressed = (out["n_returned"] < min_group) | (out["n_dropped"] < min_group)
    out["suppressed"] = suppressed.to_numpy(dtype=bool)
    out.loc[suppressed, ["mean_returned", "mean_dropped", "smd", "statistic", "p_value"]] = np.nan
    return out[_COMPARISON_COLUMNS]


def _separated(X: np.ndarray, y: np.ndarray) -> bool:
    """Linear-programming check for (quasi-)complete separation (Konis, 2007).

    Maximizes :math:`\\sum_i s_i x_i^T\\beta` subject to
    :math:`s_i x_i^T\\beta \\ge 0` and :math:`-1 \\le \\beta \\le 1`, with
    :math:`s_i = 2y_i - 1`. A positive optimum means a direction separates
    the outcomes, so the maximum-likelihood estimate does not exist.
    """
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    A = (2.0 * y - 1.0)[:, None] * (X / scale)
    res = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(y)), bounds=(-1, 1), method="highs")
    return bool(res.status == 0 and -res.fun > 1e-7 * len(y))


def dropout_model(
    scores: pd.DataFrame,
    candidates: pd.DataFrame | None,
    from_wave,
    to_wave,
    dimensions: Sequence | None = None,
    covariates: Sequence | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Logistic regression of coming back at ``to_wave`` on the ``from_wave`` profile.

    .. math::

        \\operatorname{logit} P(\\text{returned}_i = 1)
        = \\beta_0 + \\sum_k \\beta_k x_{ik}

    fitted by maximum likelihood (IRLS, statsmodels GLM binomial, equivalent
    to R ``glm(returned ~ ..., family = binomial)``) on the candidates who
    answered ``from_wave`` and have all predictors (complete cases).
    Predictors are the baseline dimension scores, plus optional covariates
    (numeric as is; categorical as treatment dummies against their first
    level, named ``var[level]``, as R's default contrasts). Wald intervals:
    :math:`\\exp(\\hat\\beta \\pm z_{1-\\alpha/2}\\,SE)`, as R
    ``exp(confint.default(fit))``; p-values from the Wald z.

    When the model cannot be estimated, one NaN row per term is returned with
    a ``note``: no candidates, nobody or everyone returned, fewer candidates
    than parameters + 1, collinear predictors, (quasi-)complete separation
    (detected by linear programming, Konis 2007, before fitting), or no
    convergence.

    Parameters
    ----------
    scores, candidates, from_wave, to_wave, dimensions, covariates
        As in :func:`dropout_comparison`.
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        ``term`` (``'Intercept'`` first), ``estimate`` (log-odds),
        ``std_error``, ``z``, ``p_value``, ``odds_ratio``, ``ci_low``,
        ``ci_high`` (odds-ratio scale), ``n`` (complete cases),
        ``n_returned``, ``note`` (``''`` when estimated).

    References
    ----------
    Hosmer, D. W., Lemeshow, S., & Sturdivant, R. X. (2013). *Applied Logistic
    Regression* (3rd ed.). Wiley.

    Konis, K. (2007). *Linear programming algorithms for detecting separated
    data in binary logistic regression models*. DPhil thesis, University of
    Oxford.

    Examples
    --------
    >>> from impactlib.stats.attrition import dropout_model
    >>> fit = dropout_model(scores, candidates, "T1", "T2")  # doctest: +SKIP
    >>> fit[["term", "odds_ratio", "ci_low", "ci_high", "p_value"]]  # doctest: +SKIP
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    wide, returned, dims, covs = _baseline(scores, candidates, from_wave, to_wave, dimensions, covariates)
    parts = [pd.DataFrame({d: as_float(wide[d]) for d in dims}, index=wide.index)]
    for c in covs:
        col = wide[c]
        if _is_numeric(col):
            parts.append(pd.DataFrame({c: as_float(col)}, index=wide.index))
        else:
            if isinstance(col.dtype, pd.CategoricalDtype):
                levels = [lv for lv in col.cat.categories if (col == lv).any()]
            else:
                levels = sorted(pd.unique(col.dropna()).tolist(), key=str)
            known = col.notna().to_numpy()
            dummies = {
                f"{c}[{lv}]": np.where(known, (col.astype(object) == lv).to_numpy(dtype=float), np.nan)
                for lv in levels[1:]
            }
            parts.append(pd.DataFrame(dummies, index=wide.index))
    X = pd.concat(parts, axis=1)
    terms = ["Intercept"] + list(X.columns)
    complete = X.notna().all(axis=1).to_numpy()
    Xc = np.column_stack([np.ones(int(complete.sum())), X.to_numpy(dtype=float)[complete]])
    y = returned[complete].astype(float)
    n, k = Xc.shape
    n_ret = int(y.sum())

    def empty(note: str) -> pd.DataFrame:
        nan = np.full(len(terms), np.nan)
        return pd.DataFrame(
            {
                "term": terms,
                "estimate": nan,
                "std_error": nan,
                "z": nan,
                "p_value": nan,
                "odds_ratio": nan,
                "ci_low": nan,
                "ci_high": nan,
                "n": n,
                "n_returned": n_ret,
                "note": note,
            }
        )[_MODEL_COLUMNS]

    if n == 0:
        return empty("no candidates with complete data")
    if n_ret == 0:
        return empty("nobody returned")
    if n_ret == n:
        return empty("everyone returned")
    if n <= k:
        return empty(f"too few cases: {n} candidates for {k} parameters")
    if np.linalg.matrix_rank(Xc) < k:
        return empty("collinear predictors")
    if _separated(Xc, y):
        return empty("perfect or quasi-complete separation: estimates do not exist")

    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        res = sm.GLM(y, Xc, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
    bad = [w for w in caught if issubclass(w.category, (ConvergenceWarning, PerfectSeparationWarning))]
    beta = np.asarray(res.params, dtype=float)
    se = np.asarray(res.bse, dtype=float)
    if bad or not np.all(np.isfinite(beta)) or not np.all(np.isfinite(se)):
        return empty("model did not converge")
    z = beta / se
    p = 2.0 * stats.norm.sf(np.abs(z))
    q = stats.norm.ppf(1.0 - alpha / 2.0)
    return pd.DataFrame(
        {
            "term": terms,
            "estimate": beta,
            "std_error": se,
            "z": z,
            "p_value": p,
            "odds_ratio": np.exp(beta),
            "ci_low": np.exp(beta - q * se),
            "ci_high": np.exp(beta + q * se),
            "n": n,
            "n_returned": n_ret,
            "note": "",
        }
    )[_MODEL_COLUMNS]


# --------------------------------------------------------------------------
# Little's MCAR test
# --------------------------------------------------------------------------
def item_matrix(responses: pd.DataFrame, wave, value: str = "value") -> pd.DataFrame:
    """Candidates x items matrix of one wave, NaN where not answered.

    Parameters
    ----------
    responses : pandas.DataFrame
        ``responses`` table.
    wave : str
        Wave key.
    value : str
        ``'value'`` (recoded) or ``'raw_value'``.

    Returns
    -------
    pandas.DataFrame
        Index ``candidate``, one float column per item (codebook order of
        appearance); cells whose ``status`` is not ``'answered'`` are NaN.

    Examples
    --------
    >>> from impactlib.stats.attrition import item_matrix, little_mcar
    >>> little_mcar(item_matrix(responses, "T1"))  # doctest: +SKIP
    """
    r = responses.loc[_wave_of(responses) == wave]
    v = pd.to_numeric(r[value], errors="coerce").astype("float64")
    if "status" in r.columns:
        v = v.where(r["status"].astype(object) == "answered")
    items = pd.unique(r["item"].astype(object)).tolist()
    wide = (
        pd.DataFrame({"candidate": r["candidate"].to_numpy(), "item": r["item"].astype(object).to_numpy(), "v": v.to_numpy()})
        .groupby(["candidate", "item"], sort=False)["v"]
        .mean()
        .unstack("item")
        .reindex(columns=items)
    )
    wide.columns.name = None
    return wide


def score_matrix(scores: pd.DataFrame, waves: Sequence | None = None) -> pd.DataFrame:
    """Candidates x (wave, dimension) matrix of dimension scores, NaN where not scored.

    The matrix on which Little's test asks the question of *wave dropout*: is
    whether a candidate has a score at a later wave related to the scores
    observed? (:func:`item_matrix` asks it of the blanks inside one
    questionnaire.)

    Parameters
    ----------
    scores : pandas.DataFrame
        ``scores`` table (``candidate``, ``wave``, ``dimension``, ``score``).
    waves : sequence of str, optional
        Wave order (default: categorical order of ``scores.wave``).

    Returns
    -------
    pandas.DataFrame
        Index ``candidate`` (every candidate scored at some wave), one float
        column per wave and dimension, named ``"wave:dimension"``, waves in
        order, dimensions in order of appearance (their categorical order
        when categorical).

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.attrition import score_matrix
    >>> s = pd.DataFrame({"candidate": ["a", "a", "b"], "wave": ["T1", "T2", "T1"],
    ...                   "dimension": "D", "score": [3.0, 4.0, 2.5]})
    >>> m = score_matrix(s, waves=["T1", "T2"])
    >>> list(m.columns), list(m.index), m.to_numpy().tolist()
    (['T1:D', 'T2:D'], ['a', 'b'], [[3.0, 4.0], [2.5, nan]])
    """
    waves = [str(w) for w in level_order(scores["wave"], waves)]
    dim = scores["dimension"]
    dims = ([str(d) for d in dim.cat.categories] if isinstance(dim.dtype, pd.CategoricalDtype)
            else [str(d) for d in pd.unique(dim.astype(object))])
    frame = pd.DataFrame({"candidate": scores["candidate"].to_numpy(),
                          "column": (scores["wave"].astype(str) + ":"
                                     + dim.astype(str)).to_numpy(),
                          "score": pd.to_numeric(scores["score"], errors="coerce")
                          .astype("float64").to_numpy()})
    wide = frame.groupby(["candidate", "column"], sort=False)["score"].mean().unstack("column")
    wide = wide.reindex(columns=[f"{w}:{d}" for w in waves for d in dims])
    wide.columns.name = None
    return wide


class _Patterns:
    """Rows of ``X`` by missingness pattern, patterns batched by their number of missing columns.

    Each block holds the patterns with ``k`` missing columns: their observed
    and missing column indices (``obs``: patterns x (p - k), ``mis``:
    patterns x k), their row counts, and the rows of ``X`` in them with the
    position of their pattern in the block. The linear algebra of every
    pattern of a block is then one stacked call, so the cost in Python does
    not grow with the number of patterns (which grows with the rows).
    """

    def __init__(self, observed: np.ndarray):
        if 0 < observed.shape[1] <= 64 and observed.shape[0]:
            # each row's flags as one integer, first column the highest bit: the
            # integers sort as np.unique(axis=0) sorts the rows, without sorting rows
            packed = np.packbits(observed, axis=1, bitorder="big")
            packed = np.pad(packed, ((0, 0), (8 - packed.shape[1], 0)))
            key = packed.view(">u8").ravel()
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            patterns = observed[first]
        else:
            patterns, inverse = np.unique(observed, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        self.patterns, self.inverse = patterns, inverse
        self.counts = np.bincount(inverse, minlength=len(patterns))
        p = observed.shape[1]
        n_mis = p - patterns.sum(axis=1)
        position = np.empty(len(patterns), dtype=np.int64)
        self.blocks = []
        for k in np.unique(n_mis):  # loop over numbers of missing columns (<= p), not rows
            pats = np.flatnonzero(n_mis == k)
            position[pats] = np.arange(pats.size)
            sub = patterns[pats]
            obs = np.nonzero(sub)[1].reshape(pats.size, p - k)
            mis = np.nonzero(~sub)[1].reshape(pats.size, k)
            rows = np.flatnonzero(n_mis[inverse] == k)
            self.blocks.append((int(k), pats, obs, mis, rows, position[inverse[rows]]))


def _pattern_sums(X: np.ndarray, pat: _Patterns) -> tuple[np.ndarray, np.ndarray]:
    """Per pattern: the sums of the rows and of their cross-products (missing taken as 0).

    ``S1[j] = sum_r x_r`` and ``S2[j] = sum_r x_r x_r'`` over the rows ``r`` of
    pattern ``j``; built once, by chunks of rows sorted by pattern (the
    outer products of at most about 2 million numbers at a time).
    """
    n, p = X.shape
    J = len(pat.counts)
    X0 = np.nan_to_num(X, nan=0.0)
    order = np.argsort(pat.inverse, kind="stable")
    xs, ps = X0[order], pat.inverse[order]
    s1 = np.zeros((J, p))
    s2 = np.zeros((J, p, p))
    step = max(1, 2 ** 21 // (p * p))
    for a in range(0, n, step):  # chunks of rows, not rows
        x, pid = xs[a:a + step], ps[a:a + step]
        starts = np.flatnonzero(np.r_[True, pid[1:] != pid[:-1]])
        s1[pid[starts]] += np.add.reduceat(x, starts, axis=0)
        s2[pid[starts]] += np.add.reduceat(x[:, :, None] * x[:, None, :], starts, axis=0)
    return s1, s2


def _em_mvn(X: np.ndarray, pat: _Patterns, max_iter: int, tol: float):
    """EM for the mean and covariance (ML, divisor n) of a multivariate normal.

    E step per pattern with observed columns ``o`` and missing ``m``:
    ``x_m = mu_m + (x_o - mu_o) S_oo^-1 S_om`` and the conditional covariance
    ``S_mm - S_mo S_oo^-1 S_om`` added to the cross-products, all patterns
    of a block of :class:`_Patterns` at once.

    The imputed ``x_m`` is affine in ``x_o`` (``x_m = mu_m + B'(x_o - mu_o)``,
    ``B = S_oo^-1 S_om``), so the sums the M step needs over the ``n_j`` rows
    of a pattern come from the pattern's sums ``s1 = sum x_o`` and
    ``s2 = sum x_o x_o'`` (computed once, :func:`_pattern_sums`):
    ``sum x_m = n_j mu_m + B'd`` with ``d = s1 - n_j mu_o``;
    ``sum x_o x_m' = s1 mu_m' + (s2 - s1 mu_o') B``;
    ``sum x_m x_m' = n_j mu_m mu_m' + mu_m (B'd)' + (B'd) mu_m' + B' M B`` with
    ``M = sum (x_o - mu_o)(x_o - mu_o)' = s2 - s1 mu_o' - mu_o s1' + n_j mu_o mu_o'``.
    The same iterates as imputing every row (up to the order of the
    floating-point sums), at a cost per iteration that grows with the
    patterns, not with the rows.
    """
    n, p = X.shape
    mu = np.nanmean(X, axis=0)
    sigma = np.diag(np.nanvar(X, axis=0))
    converged = False
    it = 0
    s1, s2 = _pattern_sums(X, pat)
    t1_obs = s1.sum(axis=0)                # observed values: the same at every iteration
    t2_obs = s2.sum(axis=0)
    blocks = []
    for k, pats, obs, mis, _, _ in pat.blocks:
        if k == 0:
            continue
        blocks.append((obs, mis, pat.counts[pats].astype(float), s1[pats[:, None], obs],
                       s2[pats[:, None, None], obs[:, :, None], obs[:, None, :]]))
    for it in range(1, max_iter + 1):
        T1 = t1_obs.copy()
        T2 = t2_obs.copy()
        for obs, mis, nj, s1o, s2oo in blocks:
            s_oo = sigma[obs[:, :, None], obs[:, None, :]]
            s_om = sigma[obs[:, :, None], mis[:, None, :]]
            B = np.linalg.solve(s_oo, s_om)  # patterns x |o| x |m|
            C = sigma[mis[:, :, None], mis[:, None, :]] - np.swapaxes(s_om, 1, 2) @ B
            mu_o, mu_m = mu[obs], mu[mis]
            n3 = nj[:, None, None]
            btd = np.einsum("jom,jo->jm", B, s1o - nj[:, None] * mu_o)
            np.add.at(T1, mis, nj[:, None] * mu_m + btd)
            cross = s2oo - s1o[:, :, None] * mu_o[:, None, :]          # s2 - s1 mu_o'
            om = s1o[:, :, None] * mu_m[:, None, :] + cross @ B
            centred = cross - mu_o[:, :, None] * s1o[:, None, :] \
                + n3 * mu_o[:, :, None] * mu_o[:, None, :]
            mm = (n3 * mu_m[:, :, None] * mu_m[:, None, :]
                  + mu_m[:, :, None] * btd[:, None, :] + btd[:, :, None] * mu_m[:, None, :]
                  + np.swapaxes(B, 1, 2) @ centred @ B + n3 * C)
            np.add.at(T2, (obs[:, :, None], mis[:, None, :]), om)
            np.add.at(T2, (mis[:, :, None], obs[:, None, :]), np.swapaxes(om, 1, 2))
            np.add.at(T2, (mis[:, :, None], mis[:, None, :]), mm)
        new_mu = T1 / n
        new_sigma = T2 / n - np.outer(new_mu, new_mu)
        change = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = new_mu, new_sigma
        if change < tol:
            converged = True
            break
    return mu, sigma, it, converged


def _little_d2(X: np.ndarray, pat: _Patterns, mu: np.ndarray, sigma: np.ndarray) -> float:
    """Little's d2: sum over patterns of n_j (ybar_j - mu_o)' S_oo^-1 (ybar_j - mu_o)."""
    order = np.argsort(pat.inverse, kind="stable")
    starts = np.searchsorted(pat.inverse[order], np.arange(len(pat.counts)))
    means = np.add.reduceat(np.nan_to_num(X[order], nan=0.0), starts, axis=0) / pat.counts[:, None]
    d2 = 0.0
    for _, pats, obs, _, _, _ in pat.blocks:
        diff = means[pats[:, None], obs] - mu[obs]
        sol = np.linalg.solve(sigma[obs[:, :, None], obs[:, None, :]], diff[:, :, None])[:, :, 0]
        d2 += float(np.sum(pat.counts[pats] * np.einsum("jo,jo->j", diff, sol)))
    return d2


def little_mcar(
    data_wide: pd.DataFrame | np.ndarray, max_iter: int = 10_000, tol: float = 1e-10
) -> pd.DataFrame:
    """Little's (1988) test that the data are missing completely at random.

    With :math:`J` missingness patterns, :math:`n_j` rows and :math:`o_j`
    observed variables in pattern :math:`j`, :math:`\\bar y_j` their observed
    means, and :math:`\\hat\\mu, \\hat\\Sigma` the maximum-likelihood (EM)
    estimates of the mean and covariance under a multivariate normal model,

    .. math::

        d^2 = \\sum_{j=1}^J n_j (\\bar y_j - \\hat\\mu_{o_j})^T
              \\hat\\Sigma_{o_j o_j}^{-1} (\\bar y_j - \\hat\\mu_{o_j})
        \\sim \\chi^2_{\\sum_j |o_j| - p}

    under MCAR. A small p-value is evidence against MCAR (missingness depends
    on the answers). The EM algorithm (Dempster, Laird & Rubin, 1977) is
    iterated until no parameter changes by more than ``tol``; the covariance
    is the ML one (divisor n), as in Little (1988) and ``naniar::mcar_test``.

    Rows with no observed value and columns with no observed value are
    dropped first. The result is NaN (with a ``note``) when fewer than two rows
    remain, when a variable is constant, or when a covariance block is
    singular. With complete data :math:`d^2 = 0`, df = 0 and the p-value is
    NaN (nothing to test).

    Parameters
    ----------
    data_wide : pandas.DataFrame or numpy.ndarray
        Rows = candidates, columns = items, NaN (or ``pd.NA``) = missing. See
        :func:`item_matrix`.
    max_iter : int
        Maximum number of EM iterations.
    tol : float
        Convergence threshold on the largest absolute change of any mean or
        covariance entry.

    Returns
    -------
    pandas.DataFrame
        One row: ``chi2``, ``df``, ``p_value``, ``n_patterns``, ``n`` (rows
        used), ``n_items`` (columns used), ``em_iterations``,
        ``em_converged``, ``note``.

    References
    ----------
    Little, R. J. A. (1988). A test of missing completely at random for
    multivariate data with missing values. *Journal of the American
    Statistical Association*, 83(404), 1198-1202.

    Dempster, A. P., Laird, N. M., & Rubin, D. B. (1977). Maximum likelihood
    from incomplete data via the EM algorithm. *JRSS B*, 39(1), 1-38.

    Examples
    --------
    >>> import numpy as np
    >>> from impactlib.stats.attrition import little_mcar
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(200, 3))
    >>> x[rng.random((200, 3)) < 0.2] = np.nan
    >>> res = little_mcar(x)
    >>> int(res.loc[0, "df"]), int(res.loc[0, "n_patterns"])
    (9, 7)
    """
    if isinstance(data_wide, pd.DataFrame):
        X = data_wide.apply(pd.to_numeric, errors="coerce").astype("float64").to_numpy()
    else:
        X = np.asarray(data_wide, dtype="float64")
    if X.ndim != 2:
        raise ValueError("data_wide must be two-dimensional")
    obs_all = ~np.isnan(X)
    X = X[:, obs_all.any(axis=0)] if X.shape[0] else X
    obs_all = ~np.isnan(X)
    X = X[obs_all.any(axis=1)]
    obs_all = ~np.isnan(X)
    n, p = X.shape

    def result(chi2=np.nan, df=np.nan, pval=np.nan, n_pat=0, it=0, conv=False, note=""):
        return pd.DataFrame(
            {
                "chi2": [float(chi2)],
                "df": [df],
                "p_value": [float(pval)],
                "n_patterns": [int(n_pat)],
                "n": [int(n)],
                "n_items": [int(p)],
                "em_iterations": [int(it)],
                "em_converged": [bool(conv)],
                "note": [note],
            }
        )

    if n < 2 or p == 0:
        return result(n_pat=len(np.unique(obs_all, axis=0)) if n else 0, note="fewer than two rows with data")
    pat = _Patterns(obs_all)
    n_pat = len(pat.patterns)
    counts = obs_all.sum(axis=0)
    with np.errstate(all="ignore"):
        var0 = np.nanvar(X, axis=0) if (counts > 0).all() else np.zeros(p)
    if (counts < 2).any() or not (var0 > 0).all():
        return result(n_pat=n_pat, note="a variable has fewer than two values or no variance")
    try:
        with np.errstate(all="ignore"):
            mu, sigma, it, conv = _em_mvn(X, pat, max_iter, tol)
            d2 = _little_d2(X, pat, mu, sigma)
    except np.linalg.LinAlgError:
        return result(n_pat=n_pat, note="singular covariance matrix")
    if not np.isfinite(d2):
        return result(n_pat=n_pat, note="singular covariance matrix")
    df = int(pat.patterns.sum() - p)
    pval = stats.chi2.sf(d2, df) if df > 0 else np.nan
    note = "" if df > 0 else "no missing data"
    if not conv:
        note = (note + "; " if note else "") + "EM did not converge"
    return result(d2, df, pval, n_pat, it, conv, note)


# --------------------------------------------------------------------------
# 6. report table
# --------------------------------------------------------------------------
def attrition_table(
    scores: pd.DataFrame,
    candidates: pd.DataFrame | None = None,
    waves: Sequence | None = None,
    covariates: Sequence | None = None,
    dimensions: Sequence | None = None,
    min_group: int = 5,
    correction: bool = True,
) -> pd.DataFrame:
    """Who drops out between consecutive waves: the ``results/attrition.csv`` table.

    For every consecutive pair of waves (T1 -> T2, T2 -> T3, ...) the
    candidates who answered the earlier wave are split into returners and
    dropouts and compared with :func:`dropout_comparison` (SMD, Welch t-test
    or chi-square test, small-group suppression).

    Parameters
    ----------
    scores, candidates, covariates, dimensions, min_group, correction
        As in :func:`dropout_comparison`.
    waves : list, optional
        Wave order (default: categorical order of ``scores.wave``).

    Returns
    -------
    pandas.DataFrame
        ``from_wave``, ``to_wave``, ``n_from`` (candidates who answered
        ``from_wave``), ``n_back`` (of whom answered ``to_wave``), then the
        columns of :func:`dropout_comparison`: ``variable``, ``kind``,
        ``level``, ``n_returned``, ``n_dropped``, ``mean_returned``,
        ``mean_dropped``, ``smd``, ``test``, ``statistic``, ``p_value``,
        ``suppressed``. ``n_from`` and ``n_back`` count candidates whatever
        their missing values; ``n_returned``/``n_dropped`` count those with a
        known value of the variable.

    References
    ----------
    Austin, P. C. (2009). *Statistics in Medicine*, 28(25), 3083-3107.

    Examples
    --------
    >>> from impactlib.stats.attrition import attrition_table
    >>> attrition_table(scores, candidates, covariates=["sexe"]).to_csv(
    ...     "results/attrition.csv", index=False)  # doctest: +SKIP
    """
    levels = level_order(scores["wave"], waves, sort_key=str)
    frames = []
    for a, b in zip(levels[:-1], levels[1:]):
        comp = dropout_comparison(scores, candidates, a, b, covariates, dimensions, min_group, correction)
        base = _answered_candidates(scores, candidates, a)
        back = base.isin(_answered_candidates(scores, candidates, b))
        comp.insert(0, "n_back", int(back.sum()))
        comp.insert(0, "n_from", len(base))
        comp.insert(0, "to_wave", b)
        comp.insert(0, "from_wave", a)
        frames.append(comp)
    columns = ["from_wave", "to_wave", "n_from", "n_back"] + _COMPARISON_COLUMNS
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out = pd.concat(frames, ignore_index=True)[columns]
    out["from_wave"] = wave_categorical(out["from_wave"].astype(object), levels)
    out["to_wave"] = wave_categorical(out["to_wave"].astype(object), levels)
    return out
