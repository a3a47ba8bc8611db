"""Outcomes: the funder's number (employment some months after exit) beside the change measured.

The functions take the tidy ``candidates`` table (with the registry's
``entry_date``, ``exit_date``, ``exit_status`` and, when recorded,
``employment_6m``, ``job_start_date``, ``outcome_date``) and ``scores``, and
return tidy tables:

- :func:`six_month_status`: per candidate, the exit category and the
  employment status ``months`` after exit, with where it comes from;
- :func:`employment_shares`: the funder's number per exit cohort and overall,
  with its Wilson interval and the bounds for the unknowns;
- :func:`exit_status_breakdown`: employment, training, other, dropout, still
  in the programme;
- :func:`change_to_last` and :func:`soft_hard_comparison`: the change in each
  dimension from entry to the last questionnaire, employed against not
  employed (Welch);
- :func:`employment_model`: a logistic model of employment on the change in
  the job-search dimension, adjusted for its baseline and the covariates;
- :func:`policy_comparison`: the candidates who entered before and after a
  change of policy (selection...): baseline profile, length of coaching,
  employment, change.

Six-month status
----------------
A candidate has **exited** when their exit status is not one of the
``ongoing`` statuses and their ``exit_date`` is known and on or before
``as_of`` (as :func:`impactlib.stats.attrition.wave_status` decides who is
still in the programme). Their **six-month point** is ``exit_date`` plus
``months`` calendar months; only the exited candidates whose six-month point
is on or before ``as_of`` count (``counted``); the others are ``pending``.
For a counted candidate, the status at the six-month point is, in this order:

1. ``employment_6m`` as recorded (yes / no; ``unknown`` or empty: go on);
2. ``job_start_date``: employed when the job started on or before the
   six-month point (the job is assumed held until then), not employed when
   it started after it; an empty ``job_start_date`` with an ``outcome_date``
   (the day the outcome was checked) on or after the six-month point means
   no job had started then: not employed;
3. only when the registry has neither an ``employment_6m`` nor a
   ``job_start_date`` column: the **exit status** (employed when it is one of
   the ``employment`` statuses, not employed for any other status). That is
   the status *at exit*, not six months later: ``source`` says so.

Otherwise the status is unknown. Unknowns are common and hide the truth:
:func:`employment_shares` gives the share among the known and the two bounds
(every unknown employed, none employed).

Privacy
-------
A share, mean or model computed from fewer than ``min_n`` (default 5)
candidates is not shown (NaN, ``suppressed`` True); counts stay, as in the
other results tables, except in :func:`exit_status_breakdown`, where a count
from 1 to 4 is hidden too (it counts people, not questionnaires).

A before/after comparison is not an experiment: it mixes the policy with
everything else that changed at the same time (the labour market, the
counsellors, the season). And employment going with progress says nothing of
what causes what. The tables give sizes and precision; the report's words
say the rest.
"""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.frames import is_in, level_order, positions_in
from impactlib.stats.collection import (COHORT_TARGET, EVENTS_PER_PARAMETER,
                                        calendar_cohorts, cohort_period,
                                        newcombe_difference, wilson_interval)

__all__ = [
    "CATEGORIES",
    "DEFAULT_STATUSES",
    "SOURCES",
    "exit_categories",
    "six_month_status",
    "exit_cohort_period",
    "employment_shares",
    "exit_status_breakdown",
    "change_to_last",
    "soft_hard_comparison",
    "job_search_dimension",
    "employment_model",
    "policy_comparison",
]

#: Exit categories, in display order: the four lists of ``outcomes`` in
#: study.yml (``ongoing``: still in the programme), ``other`` (an exit status in
#: no list) and ``unknown`` (left, with no exit status).
CATEGORIES = ("employment", "training", "other", "dropout", "ongoing", "unknown")

#: ``exit_status`` values per category when study.yml says nothing (compared
#: ignoring case and repeated spaces); :class:`impactlib.intake.study.Outcomes`
#: has the same defaults.
DEFAULT_STATUSES = {"employment": ("emploi",), "training": ("formation",),
                    "dropout": ("abandon",), "ongoing": ("en cours",)}

#: Where a six-month status comes from (see the module notes), in order of precedence.
SOURCES = ("employment_6m", "job_start_date", "exit_status")

_MONTH_DAYS = 30.4375


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _fold(values: pd.Series) -> pd.Series:
    """Text compared ignoring case, surrounding and repeated spaces (missing stays missing)."""
    return (values.astype("string").str.strip().str.replace(r"\s+", " ", regex=True)
            .str.casefold())


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    return float(stats.norm.ppf(0.5 + level / 2))


def _summary(values: pd.Series, groups: pd.Series, keys: Sequence) -> pd.DataFrame:
    """n, mean and sample variance (ddof = 1) of ``values`` per group, NaN-aware."""
    frame = pd.DataFrame({"g": groups.to_numpy(), "v": values.to_numpy(dtype=float)})
    frame = frame.loc[frame["v"].notna()]
    agg = frame.groupby("g", sort=False)["v"].agg(["count", "mean", "var"])
    return agg.reindex(list(keys)).assign(count=lambda t: t["count"].fillna(0))


def _t_interval(mean, var, n, level: float):
    """t interval of a mean (R ``t.test(x)$conf.int``), NaN under 2 values."""
    mean, var, n = (np.asarray(a, dtype=float) for a in (mean, var, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        half = stats.t.ppf(0.5 + level / 2, n - 1) * np.sqrt(var / n)
    half = np.where(n >= 2, half, np.nan)
    return mean - half, mean + half


def _welch(m1, v1, n1, m2, v2, n2, level: float):
    """Welch's unequal-variance comparison of ``m1 - m2`` from group summaries.

    .. math::

        t = \\frac{\\bar x_1 - \\bar x_2}{\\sqrt{s_1^2/n_1 + s_2^2/n_2}}, \\quad
        \\nu = \\frac{(s_1^2/n_1 + s_2^2/n_2)^2}
                    {\\frac{(s_1^2/n_1)^2}{n_1 - 1} + \\frac{(s_2^2/n_2)^2}{n_2 - 1}}

    and the interval :math:`\\bar x_1 - \\bar x_2 \\pm t_{\\nu, 1-\\alpha/2} SE`:
    R's ``t.test(x1, x2)`` (Welch, 1947). NaN where a group has fewer than
    two values or the standard error is 0.
    Returns (difference, low, high, t, df, p).
    """
    m1, v1, n1, m2, v2, n2 = (np.asarray(a, dtype=float) for a in (m1, v1, n1, m2, v2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = v1 / n1, v2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a ** 2 / (n1 - 1) + b ** 2 / (n2 - 1))
        ok = (n1 >= 2) & (n2 >= 2) & np.isfinite(se) & (se > 0)
        d = m1 - m2
        t = np.where(ok, d / se, np.nan)
        df = np.where(ok, df, np.nan)
        half = stats.t.ppf(0.5 + level / 2, df) * se
        p = 2 * stats.t.sf(np.abs(t), df)
    return d, d - half, d + half, t, df, p


def _smd(m1, v1, m2, v2):
    """Standardized mean difference ``(m1 - m2) / sqrt((v1 + v2) / 2)`` (Austin, 2009),
    as :func:`impactlib.stats.attrition.dropout_comparison` computes it; for
    shares, ``v = p (1 - p)``. NaN when the pooled SD is 0 or undefined."""
    m1, v1, m2, v2 = (np.asarray(a, dtype=float) for a in (m1, v1, m2, v2))
    pooled = (v1 + v2) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (m1 - m2) / np.sqrt(pooled)
    return np.where(np.isfinite(pooled) & (pooled > 0), out, np.nan)


def _statuses(statuses: Mapping | None) -> dict[str, tuple[str, ...]]:
    given = dict(DEFAULT_STATUSES if statuses is None else statuses)
    unknown = set(given) - set(DEFAULT_STATUSES)
    if unknown:
        raise ValueError(f"unknown outcome categories {sorted(unknown)} (known: "
                         f"{sorted(DEFAULT_STATUSES)})")
    return {c: tuple(given.get(c, ())) for c in DEFAULT_STATUSES}


# --------------------------------------------------------------------------
# 1. who left, and their status months later
# --------------------------------------------------------------------------
def exit_categories(candidates: pd.DataFrame, as_of, statuses: Mapping | None = None
                    ) -> pd.Series:
    """Exit category of each candidate (one of :data:`CATEGORIES`), on ``as_of``.

    ``ongoing`` (still in the programme): an ``exit_status`` of the ongoing
    list, or neither an exit status nor an exit date, or an exit date after
    ``as_of`` (the rule of :func:`impactlib.stats.attrition.wave_status`).
    Otherwise the list the exit status belongs to (``employment``,
    ``training``, ``dropout``), ``other`` for a status in no list, or
    ``unknown`` when the candidate left (an exit date) with no status.
    Statuses are compared ignoring case and surrounding or repeated spaces.

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``exit_status`` and ``exit_date`` (either may be absent).
    as_of : date-like
        The day the data are known at.
    statuses : mapping, optional
        ``{category: exit_status values}`` for ``employment``, ``training``,
        ``dropout`` and ``ongoing`` (default :data:`DEFAULT_STATUSES`).

    Returns
    -------
    pandas.Series of str, aligned on ``candidates``.

    Examples
    --------
    >>> cand = pd.DataFrame({"exit_status": ["Emploi ", "CDI", None, None, "en  cours"],
    ...     "exit_date": pd.to_datetime(["2024-01-10", "2024-02-01", "2024-03-01", None, None])})
    >>> exit_categories(cand, "2024-12-31").tolist()
    ['employment', 'other', 'unknown', 'ongoing', 'ongoing']
    """
    lists = _statuses(statuses)
    n = len(candidates)
    raw = (candidates["exit_status"] if "exit_status" in candidates.columns
           else pd.Series(pd.NA, index=candidates.index, dtype="string"))
    folded = _fold(raw)
    empty = (folded.isna() | (folded == "")).to_numpy(dtype=bool)
    exit_date = (pd.to_datetime(candidates["exit_date"]) if "exit_date" in candidates.columns
                 else pd.Series(pd.NaT, index=candidates.index, dtype="datetime64[ns]"))
    cat = np.full(n, "other", dtype=object)
    for name in ("employment", "training", "dropout", "ongoing"):
        wanted = set(_fold(pd.Series(list(lists[name]), dtype="string")).dropna())
        cat[folded.isin(wanted).fillna(False).to_numpy(dtype=bool)] = name
    cat[empty] = "unknown"
    after = (exit_date > pd.Timestamp(as_of)).fillna(False).to_numpy(dtype=bool)
    cat[(empty & exit_date.isna().to_numpy()) | after] = "ongoing"
    return pd.Series(cat, index=candidates.index, dtype=object)


def six_month_status(candidates: pd.DataFrame, as_of, months: int = 6,
                     statuses: Mapping | None = None) -> pd.DataFrame:
    """Each candidate's exit category and employment status ``months`` after exit.

    The rule is in the module notes (*Six-month status*). Candidates not in
    the registry (``in_registry`` False, when that column is there) are left
    out: nothing is known of their exit.

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``candidate``, ``exit_date``, ``exit_status`` and, when recorded,
        ``employment_6m`` (``yes`` / ``no`` / ``unknown``), ``job_start_date``,
        ``outcome_date``.
    as_of : date-like
        The day the data are known at.
    months : int
        Months after exit at which employment is judged (the funder's).
    statuses : mapping, optional
        As in :func:`exit_categories`.

    Returns
    -------
    pandas.DataFrame
        One row per candidate: ``candidate``, ``category``
        (:func:`exit_categories`), ``exit_date``, ``six_month_date``,
        ``exited`` (left, with a known exit date), ``counted`` (exited and the
        six-month point on or before ``as_of``), ``pending`` (exited, the
        point not reached yet), ``employed`` (boolean, ``<NA>`` when unknown or
        not counted), ``source`` (one of :data:`SOURCES`, missing when
        unknown), ``months``.

    Examples
    --------
    >>> cand = pd.DataFrame({"candidate": list("abcde"),
    ...     "exit_status": ["emploi", "abandon", "formation", "emploi", "en cours"],
    ...     "exit_date": pd.to_datetime(["2024-01-15", "2024-02-01", "2024-03-01",
    ...                                  "2024-11-30", None]),
    ...     "employment_6m": ["yes", None, "unknown", "yes", None],
    ...     "job_start_date": pd.to_datetime([None, "2024-09-01", "2024-08-01", None, None])})
    >>> st = six_month_status(cand, as_of="2024-12-31")
    >>> st[["candidate", "counted", "employed", "source"]]
      candidate  counted  employed          source
    0         a     True      True   employment_6m
    1         b     True     False  job_start_date
    2         c     True      True  job_start_date
    3         d    False      <NA>             NaN
    4         e    False      <NA>             NaN
    """
    if not isinstance(months, (int, np.integer)) or months < 1:
        raise ValueError(f"months must be a whole number of at least 1, not {months!r}")
    cand = candidates
    if "in_registry" in cand.columns:
        cand = cand.loc[cand["in_registry"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
    cand = cand.reset_index(drop=True)
    as_of = pd.Timestamp(as_of)
    category = exit_categories(cand, as_of, statuses)
    nat = pd.Series(pd.NaT, index=cand.index, dtype="datetime64[ns]")
    exit_date = pd.to_datetime(cand["exit_date"]) if "exit_date" in cand.columns else nat
    exit_date = exit_date.astype("datetime64[ns]")
    point = (exit_date + pd.DateOffset(months=int(months))).astype("datetime64[ns]")
    exited = (category != "ongoing").to_numpy(dtype=bool) & exit_date.notna().to_numpy()
    reached = (point <= as_of).fillna(False).to_numpy(dtype=bool)
    counted = exited & reached

    employed = pd.array([pd.NA] * len(cand), dtype="boolean")
    source = np.full(len(cand), None, dtype=object)
    open_ = counted.copy()                      # counted, status still unknown
    if "employment_6m" in cand.columns:
        said = _fold(cand["employment_6m"])
        known = open_ & said.isin(["yes", "no"]).fillna(False).to_numpy(dtype=bool)
        employed[known] = (said == "yes").fillna(False).to_numpy(dtype=bool)[known]
        source[known] = "employment_6m"
        open_ &= ~known
    if "job_start_date" in cand.columns:
        start = pd.to_datetime(cand["job_start_date"]).astype("datetime64[ns]")
        has_start = start.notna().to_numpy()
        job = open_ & has_start
        employed[job] = (start <= point).to_numpy(dtype=bool)[job]
        checked = nat
        if "outcome_date" in cand.columns:
            checked = pd.to_datetime(cand["outcome_date"]).astype("datetime64[ns]")
        none_yet = open_ & ~has_start & (checked >= point).fillna(False).to_numpy(dtype=bool)
        employed[none_yet] = False
        source[job | none_yet] = "job_start_date"
        open_ &= ~(job | none_yet)
    if "employment_6m" not in cand.columns and "job_start_date" not in cand.columns:
        at_exit = open_ & (category != "unknown").to_numpy(dtype=bool)
        employed[at_exit] = (category == "employment").to_numpy(dtype=bool)[at_exit]
        source[at_exit] = "exit_status"
    return pd.DataFrame({
        "candidate": cand["candidate"].to_numpy(dtype=object) if "candidate" in cand.columns
        else np.arange(len(cand)),
        "category": category.to_numpy(dtype=object),
        "exit_date": exit_date.to_numpy(),
        "six_month_date": point.to_numpy(),
        "exited": exited,
        "counted": counted,
        "pending": exited & ~reached,
        "employed": employed,
        "source": source,
        "months": int(months),
    })


# --------------------------------------------------------------------------
# 2. the funder's number
# --------------------------------------------------------------------------
#: Exit cohort lengths, finest first (calendar periods of
#: :func:`impactlib.stats.collection.period_start`).
EXIT_PERIODS = ("quarter", "half-year", "year")


def exit_cohort_period(dates: pd.Series, target: int = COHORT_TARGET) -> str:
    """The exit cohort length: the finest of quarter, half-year (January-June,
    July-December) and year whose median number of exits per non-empty cohort
    reaches ``target`` (20, as :func:`impactlib.stats.collection.cohort_period`
    for entry cohorts); ``"year"`` when none does.

    Examples
    --------
    >>> exit_cohort_period(pd.Series(pd.date_range("2024-01-01", periods=120, freq="3D")))
    'quarter'
    """
    return cohort_period(dates, target, EXIT_PERIODS)


def _exit_cohorts(dates: pd.Series, period: str, min_n: int) -> tuple[pd.Series, pd.Series]:
    """First and last day of each date's exit cohort (see
    :func:`impactlib.stats.collection.calendar_cohorts`)."""
    cohorts = calendar_cohorts(dates, period, min_n).reindex(dates.index)
    return cohorts["cohort_start"], cohorts["cohort_end"]


def employment_shares(status: pd.DataFrame, target: float | None = None, min_n: int = 5,
                      level: float = 0.95, period: str | None = None,
                      unreadable: Iterable = ()) -> pd.DataFrame:
    """The share of exited candidates in employment at the six-month point, overall and
    per exit cohort, with its Wilson interval and the bounds for the unknowns.

    Among the candidates counted by :func:`six_month_status` (exited, six-month
    point passed): ``n_exited``, ``n_known`` (status known), ``n_employed``,

    .. math::

        \\hat p = \\frac{n_{employed}}{n_{known}}, \\qquad
        \\text{bounds: } \\frac{n_{employed} + n_{unknown}}{n_{exited}}
        \\text{ and } \\frac{n_{employed}}{n_{exited}}

    with the Wilson score interval of :math:`\\hat p` without continuity
    correction (:func:`impactlib.stats.collection.wilson_interval`, R's
    ``prop.test(x, n, correct = FALSE)$conf.int``). The bounds say what the
    share would be if every unknown were employed, or none were: the truth
    among all who left lies between them.

    Cohorts are by **exit date**: calendar quarter, half-year or year, the
    finest whose median number of exits reaches 20 (:func:`exit_cohort_period`;
    a cohort of fewer than ``min_n`` exits is
    merged with the next one), the first row being the whole study
    (``cohort`` ``all``). Exits whose six-month point has not come count in
    ``n_pending`` only.

    Parameters
    ----------
    status : pandas.DataFrame
        Output of :func:`six_month_status`.
    target : float, optional
        The funder's target share (``funder_target: share`` of study.yml).
    min_n : int
        Fewest known statuses whose share is shown.
    level : float
        Confidence level.
    period : {"quarter", "half-year", "year"}, optional
        Forces the cohort length.
    unreadable : iterable
        Candidates whose outcome cell could not be read (made missing),
        counted in ``n_unreadable``.

    Returns
    -------
    pandas.DataFrame
        ``cohort`` (``all`` or the cohort's first day), ``n_exited``,
        ``n_known``, ``n_employed``, ``share``, ``ci_low``, ``ci_high``,
        ``share_if_unknown_employed``, ``share_if_unknown_not_employed``,
        ``target``, then ``cohort_end``, ``period``, ``months``, ``n_unknown``,
        ``n_pending`` (exited, six-month point not reached),
        ``n_from_employment_6m``, ``n_from_job_start_date``,
        ``n_from_exit_status``, ``source`` (the sources used, joined by
        ``+``), ``n_unreadable``, ``suppressed`` (``n_known < min_n``: shares
        and interval NaN).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA* 22, 209-212. Manski, C. F. (2003).
    *Partial Identification of Probability Distributions*. Springer (the
    bounds for the unknowns).

    Examples
    --------
    >>> st = pd.DataFrame({"candidate": list("abcdefgh"),
    ...     "exit_date": pd.to_datetime(["2024-01-10"] * 8),
    ...     "six_month_date": pd.to_datetime(["2024-07-10"] * 8),
    ...     "exited": True, "counted": True, "pending": False,
    ...     "employed": pd.array([True, True, True, True, False, False, pd.NA, pd.NA],
    ...                          dtype="boolean"),
    ...     "source": ["employment_6m"] * 6 + [None] * 2})
    >>> t = employment_shares(st, target=0.5)
    >>> t[["cohort", "n_exited", "n_known", "n_employed", "share"]].round(4)
           cohort  n_exited  n_known  n_employed   share
    0         all         8        6           4  0.6667
    1  2024-01-01         8        6           4  0.6667
    >>> t[["share_if_unknown_employed", "share_if_unknown_not_employed", "target"]].head(1)
       share_if_unknown_employed  share_if_unknown_not_employed  target
    0                       0.75                            0.5     0.5
    """
    unreadable = set(unreadable)
    exited = status.loc[status["exited"].to_numpy(dtype=bool)].copy()
    exited["exit_date"] = pd.to_datetime(exited["exit_date"]).astype("datetime64[ns]")
    if period is None:
        period = exit_cohort_period(exited["exit_date"]) if len(exited) else "quarter"
    if period not in EXIT_PERIODS:
        raise ValueError(f"period must be quarter, half-year or year, not {period!r}")
    start, end = _exit_cohorts(exited["exit_date"], period, max(min_n, 1))
    exited["cohort"] = start.dt.strftime("%Y-%m-%d")
    exited["cohort_end"] = end.dt.strftime("%Y-%m-%d")
    counted = exited["counted"].to_numpy(dtype=bool)
    employed = exited["employed"].astype("boolean")
    frame = pd.DataFrame({
        "cohort": exited["cohort"].to_numpy(dtype=object),
        "cohort_end": exited["cohort_end"].to_numpy(dtype=object),
        "n_exited": counted,
        "n_known": counted & employed.notna().to_numpy(),
        "n_employed": counted & employed.fillna(False).to_numpy(dtype=bool),
        "n_pending": exited["pending"].to_numpy(dtype=bool),
        **{f"n_from_{s}": counted & (exited["source"] == s).to_numpy(dtype=bool)
           for s in SOURCES},
        "n_unreadable": counted & exited["candidate"].isin(unreadable).to_numpy(dtype=bool),
    })
    counts = [c for c in frame.columns if c.startswith("n_")]
    per = (frame.groupby(["cohort", "cohort_end"], sort=True)[counts].sum().reset_index()
           .assign(period=period))
    whole = pd.DataFrame([{"cohort": "all", "cohort_end": None, "period": "all",
                           **{c: int(frame[c].sum()) for c in counts}}])
    out = pd.concat([whole, per], ignore_index=True)
    for c in counts:
        out[c] = out[c].astype("int64")
    out["n_unknown"] = out["n_exited"] - out["n_known"]
    x, k, n = (out[c].to_numpy(dtype=float) for c in ("n_employed", "n_known", "n_exited"))
    shown = k >= max(min_n, 1)
    lo, hi = wilson_interval(x, k, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = np.where(shown, x / k, np.nan)
        out["ci_low"] = np.where(shown, lo, np.nan)
        out["ci_high"] = np.where(shown, hi, np.nan)
        out["share_if_unknown_employed"] = np.where(shown, (x + n - k) / n, np.nan)
        out["share_if_unknown_not_employed"] = np.where(shown, x / n, np.nan)
    out["target"] = np.nan if target is None else float(target)
    out["months"] = int(status["months"].iloc[0]) if "months" in status and len(status) else 6
    out["source"] = ["+".join(s for s in SOURCES if row[f"n_from_{s}"] > 0) or None
                     for _, row in out.iterrows()]          # one per cohort: few rows
    out["suppressed"] = ~shown
    cols = ["cohort", "n_exited", "n_known", "n_employed", "share", "ci_low", "ci_high",
            "share_if_unknown_employed", "share_if_unknown_not_employed", "target",
            "cohort_end", "period", "months", "n_unknown", "n_pending",
            *[f"n_from_{s}" for s in SOURCES], "source", "n_unreadable", "suppressed"]
    return out[cols]


def exit_status_breakdown(status: pd.DataFrame, min_n: int = 5) -> pd.DataFrame:
    """Candidates per exit category (:data:`CATEGORIES`), counts from 1 to ``min_n - 1`` hidden.

    Parameters
    ----------
    status : pandas.DataFrame
        Output of :func:`six_month_status` (its ``category``).
    min_n : int
        A count from 1 to ``min_n - 1`` is hidden (``<NA>``, shares NaN,
        ``suppressed`` True).

    Returns
    -------
    pandas.DataFrame
        One row per category, always in the order of :data:`CATEGORIES`:
        ``category``, ``n``, ``share`` (of every registered candidate),
        ``share_of_exited`` (of the candidates who left, NaN for
        ``ongoing``), ``n_candidates``, ``n_exited`` (every candidate not
        ``ongoing``), ``suppressed``.

    Examples
    --------
    >>> st = pd.DataFrame({"category": ["employment"] * 6 + ["training"] * 2 + ["ongoing"] * 5})
    >>> exit_status_breakdown(st)[["category", "n", "share_of_exited"]].head(3)
         category     n  share_of_exited
    0  employment     6             0.75
    1    training  <NA>              NaN
    2       other     0             0.00
    """
    cat = status["category"].astype(object)
    counts = cat.value_counts().reindex(list(CATEGORIES), fill_value=0).astype("int64")
    n_all = int(len(cat))
    n_exited = int((cat != "ongoing").sum())
    small = (counts > 0) & (counts < min_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = counts / n_all if n_all else counts * np.nan
        of_exited = counts / n_exited if n_exited else counts * np.nan
    of_exited[counts.index == "ongoing"] = np.nan
    out = pd.DataFrame({
        "category": list(CATEGORIES),
        "n": counts.astype("Int64").mask(small).reset_index(drop=True),
        "share": share.astype(float).mask(small).to_numpy(),
        "share_of_exited": of_exited.astype(float).mask(small).to_numpy(),
        "n_candidates": n_all, "n_exited": n_exited,
        "suppressed": small.to_numpy(dtype=bool)})
    return out


# --------------------------------------------------------------------------
# 3. soft outcomes against hard outcomes
# --------------------------------------------------------------------------
def change_to_last(scores: pd.DataFrame, waves: Sequence | None = None) -> pd.DataFrame:
    """Each candidate's change in each dimension from the first wave to their last score.

    The *baseline* is the score at the first wave; the *last* is the score
    at the latest later wave where the candidate has a score in that
    dimension. Candidates without both are left out.

    Parameters
    ----------
    scores : pandas.DataFrame
        ``candidate``, ``wave``, ``dimension``, ``score``.
    waves : list, optional
        Wave order (default: the categories of ``scores.wave``).

    Returns
    -------
    pandas.DataFrame
        ``candidate``, ``dimension``, ``baseline``, ``last``, ``last_wave``,
        ``change`` (``last - baseline``), in dimension then candidate order.

    Examples
    --------
    >>> sc = pd.DataFrame({"candidate": list("aaabb"), "wave": ["T1", "T2", "T3", "T1", "T2"],
    ...     "dimension": "D", "score": [2.0, 3.0, None, 3.0, 3.5]})
    >>> change_to_last(sc, waves=["T1", "T2", "T3"])[["candidate", "last_wave", "change"]]
      candidate last_wave  change
    0         a        T2     1.0
    1         b        T2     0.5
    """
    levels = level_order(scores["wave"], waves, sort_key=str)
    dims = level_order(scores["dimension"])
    s = scores.loc[scores["score"].notna() & scores["wave"].isin(levels),
                   ["candidate", "wave", "dimension", "score"]].copy()
    s["wave"] = s["wave"].astype(object)
    s["dimension"] = s["dimension"].astype(object)
    s["pos"] = s["wave"].map({w: i for i, w in enumerate(levels)}).astype("int64")
    first = s.loc[s["pos"] == 0, ["candidate", "dimension", "score"]].rename(
        columns={"score": "baseline"})
    later = (s.loc[s["pos"] > 0].sort_values("pos", kind="stable")
             .drop_duplicates(["candidate", "dimension"], keep="last")
             .rename(columns={"score": "last", "wave": "last_wave"}))
    out = first.merge(later[["candidate", "dimension", "last", "last_wave"]],
                      on=["candidate", "dimension"], how="inner")
    out["change"] = out["last"] - out["baseline"]
    out["order"] = out["dimension"].map({d: i for i, d in enumerate(dims)})
    out = out.sort_values(["order", "candidate"], kind="stable").reset_index(drop=True)
    return out[["candidate", "dimension", "baseline", "last", "last_wave", "change"]]


def soft_hard_comparison(changes: pd.DataFrame, employed: pd.Series, min_n: int = 5,
                         level: float = 0.95) -> pd.DataFrame:
    """Change per dimension (entry to last questionnaire), employed against not employed.

    For each dimension, among the candidates with a change
    (:func:`change_to_last`) and a known employment status at the six-month
    point: the mean change of the employed and of the others, and the
    difference (employed minus not employed) with Welch's 95% interval, as
    R's ``t.test(change[employed], change[!employed])``. The mean baselines
    show where each group started. It describes who progressed among those
    who found work; it does not say that progress caused employment.

    Parameters
    ----------
    changes : pandas.DataFrame
        Output of :func:`change_to_last`.
    employed : pandas.Series of bool
        Employment at the six-month point, indexed by candidate (known
        statuses only).
    min_n : int
        A group under ``min_n`` hides the means and the test (NaN,
        ``suppressed``).
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per dimension: ``dimension``, ``n_employed``,
        ``n_not_employed``, ``mean_baseline_employed``,
        ``mean_baseline_not_employed``, ``mean_change_employed``,
        ``mean_change_not_employed``, ``difference``, ``ci_low``,
        ``ci_high``, ``t``, ``df``, ``p_value``, ``suppressed``.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when
    several different population variances are involved. *Biometrika* 34,
    28-35.

    Examples
    --------
    >>> ch = pd.DataFrame({"candidate": list("abcdefghij"), "dimension": "D",
    ...     "baseline": 2.0, "change": [1.0, 0.8, 1.2, 0.6, 1.4, 0.0, 0.4, -0.2, 0.2, 0.1]})
    >>> emp = pd.Series([True] * 5 + [False] * 5, index=list("abcdefghij"))
    >>> t = soft_hard_comparison(ch, emp)
    >>> round(float(t["difference"].iloc[0]), 2)
    0.9
    """
    known = pd.Series(employed).dropna().astype(bool)
    d = changes.loc[changes["candidate"].isin(known.index)].copy()
    d["employed"] = d["candidate"].map(known).astype(bool)
    dims = list(dict.fromkeys(changes["dimension"].astype(object)))
    rows = []
    for dim in dims:                                    # one step per dimension
        part = d.loc[d["dimension"] == dim]
        grp = part["employed"].map({True: "e", False: "n"})
        ch = _summary(part["change"], grp, ["e", "n"])
        base = _summary(part["baseline"], grp, ["e", "n"])
        diff, lo, hi, t, df, p = _welch(ch.loc["e", "mean"], ch.loc["e", "var"],
                                        ch.loc["e", "count"], ch.loc["n", "mean"],
                                        ch.loc["n", "var"], ch.loc["n", "count"], level)
        rows.append({"dimension": dim, "n_employed": int(ch.loc["e", "count"]),
                     "n_not_employed": int(ch.loc["n", "count"]),
                     "mean_baseline_employed": base.loc["e", "mean"],
                     "mean_baseline_not_employed": base.loc["n", "mean"],
                     "mean_change_employed": ch.loc["e", "mean"],
                     "mean_change_not_employed": ch.loc["n", "mean"],
                     "difference": float(diff), "ci_low": float(lo), "ci_high": float(hi),
                     "t": float(t), "df": float(df), "p_value": float(p)})
    cols = ["dimension", "n_employed", "n_not_employed", "mean_baseline_employed",
            "mean_baseline_not_employed", "mean_change_employed", "mean_change_not_employed",
            "difference", "ci_low", "ci_high", "t", "df", "p_value"]
    out = pd.DataFrame(rows, columns=cols)
    for c in ("n_employed", "n_not_employed"):
        out[c] = out[c].astype("int64")
    small = (out["n_employed"] < min_n) | (out["n_not_employed"] < min_n)
    out.loc[small, cols[3:]] = np.nan
    out["suppressed"] = small.to_numpy(dtype=bool)
    return out


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", str(text))
                   if not unicodedata.combining(c)).casefold()


def job_search_dimension(dimensions: Iterable, name: str | None = None) -> str | None:
    """The job-search dimension: ``name`` when given (it must be one of
    ``dimensions``), else the first dimension whose name holds "emploi" or
    "job" (ignoring case and accents), else None.

    Examples
    --------
    >>> job_search_dimension(["Confiance en soi", "Recherche d'emploi"])
    "Recherche d'emploi"
    >>> job_search_dimension(["Confiance"]) is None
    True
    """
    dims = [str(d) for d in dimensions]
    if name is not None:
        if str(name) not in dims:
            raise ValueError(f"{name!r} is not a dimension ({', '.join(dims)})")
        return str(name)
    for d in dims:
        if "emploi" in _plain(d) or "job" in _plain(d):
            return d
    return None


_MODEL_COLUMNS = ["dimension", "term", "estimate", "std_error", "z", "p_value", "odds_ratio",
                  "ci_low", "ci_high", "n", "n_employed", "model_terms", "note"]


def _design(data: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """change, baseline, then treatment dummies ``cov[level]`` against the first level
    (levels in sorted order, as R's ``factor``)."""
    parts = [data[["change", "baseline"]].astype(float)]
    for c in covariates:
        col = data[c].astype(str)
        levels = sorted(pd.unique(col))
        parts.append(pd.DataFrame({f"{c}[{lv}]": (col == lv).astype(float)
                                   for lv in levels[1:]}, index=data.index))
    return pd.concat(parts, axis=1)


def employment_model(changes: pd.DataFrame, employed: pd.Series, candidates: pd.DataFrame | None,
                     dimension: str | None, covariates: Sequence[str] = (),
                     level: float = 0.95,
                     events_per_parameter: int = EVENTS_PER_PARAMETER) -> pd.DataFrame:
    """Logistic model of employment at the six-month point on the change in one dimension.

    .. math::

        \\operatorname{logit} P(\\text{employed}_i) = \\beta_0
        + \\beta_1\\,\\text{change}_i + \\beta_2\\,\\text{baseline}_i
        + \\sum_k \\gamma_k\\,\\text{covariate dummies}_{ik}

    fitted by maximum likelihood (statsmodels GLM binomial, as R's
    ``glm(employed ~ change + baseline + ..., family = binomial)``) on the
    candidates with a change in ``dimension`` (:func:`change_to_last`), a
    known status and every covariate (complete cases; categorical
    covariates as treatment dummies against their first level in sorted
    order). :math:`e^{\\beta_1}` is the odds ratio per scale point of change,
    the baseline held equal, with the Wald interval
    :math:`\\exp(\\hat\\beta \\pm z_{1-\\alpha/2} SE)` (R's
    ``exp(confint.default(fit))``).

    **Enough candidates.** The model is fitted only when the employed and
    the not employed both number at least ``events_per_parameter`` (10) per
    parameter (intercept excluded). When the covariates make too many
    parameters, they are left out one at a time from the last listed;
    ``model_terms`` names the terms kept and ``note`` the covariates left
    out. When even change + baseline are too many, one row (``term``
    ``change``) says why in ``note``. It is an association, not an effect
    of progress on employment.

    Parameters
    ----------
    changes : pandas.DataFrame
        Output of :func:`change_to_last`.
    employed : pandas.Series of bool
        Employment at the six-month point, indexed by candidate (known only).
    candidates : pandas.DataFrame, optional
        ``candidate`` and the covariate columns.
    dimension : str or None
        The job-search dimension (:func:`job_search_dimension`); None: not
        fitted, with a note.
    covariates : list of str
        Covariates to adjust for, in the order they are kept.
    level : float
        Confidence level.
    events_per_parameter : int
        Fewest events and non-events per parameter.

    Returns
    -------
    pandas.DataFrame
        One row per term (``Intercept``, ``change``, ``baseline``,
        ``cov[level]``...): ``dimension``, ``term``, ``estimate`` (log-odds),
        ``std_error``, ``z``, ``p_value``, ``odds_ratio``, ``ci_low``,
        ``ci_high``, ``n`` (complete cases), ``n_employed``, ``model_terms``,
        ``note``.

    References
    ----------
    Peduzzi, P., Concato, J., Kemper, E., Holford, T. R., & Feinstein, A. R.
    (1996). A simulation study of the number of events per variable in
    logistic regression analysis. *Journal of Clinical Epidemiology* 49,
    1373-1379. Hosmer, D. W., Lemeshow, S., & Sturdivant, R. X. (2013).
    *Applied Logistic Regression* (3rd ed.). Wiley.

    Examples
    --------
    >>> fit = employment_model(changes, employed, candidates,  # doctest: +SKIP
    ...                        "Recherche d'emploi", ["Genre"])
    >>> fit.loc[fit["term"] == "change", ["odds_ratio", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    def one_row(note: str, n: int = 0, n_emp: int = 0) -> pd.DataFrame:
        return pd.DataFrame([{"dimension": dimension, "term": "change", "estimate": np.nan,
                              "std_error": np.nan, "z": np.nan, "p_value": np.nan,
                              "odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                              "n": n, "n_employed": n_emp, "model_terms": None,
                              "note": note}])[_MODEL_COLUMNS]

    if dimension is None:
        return one_row("no job-search dimension: name one with outcomes: "
                       "{job_search_dimension: ...} in study.yml")
    known = pd.Series(employed).dropna().astype(bool)
    d = changes.loc[(changes["dimension"].astype(object) == dimension)
                    & changes["candidate"].isin(known.index)
                    & changes["change"].notna() & changes["baseline"].notna()]
    d = d[["candidate", "change", "baseline"]].set_index("candidate")
    d["employed"] = known.reindex(d.index).astype(float)
    covariates = [c for c in covariates if candidates is not None and c in candidates.columns]
    if covariates:
        cov = candidates.drop_duplicates("candidate").set_index("candidate")[covariates]
        d = d.join(cov.astype(object).where(cov.notna(), None))
    last_reason = ""
    for k in range(len(covariates), -1, -1):
        kept = covariates[:k]
        data = d.dropna(subset=kept) if kept else d
        X = _design(data, kept)
        X = X.loc[:, (X.std() > 0) | X.columns.isin(["change", "baseline"])]
        y = data["employed"].to_numpy(dtype=float)
        n, n_emp = len(y), int(y.sum())
        p = X.shape[1]
        fewest = min(n_emp, n - n_emp)
        if fewest < events_per_parameter * p:
            last_reason = (f"not fitted: {n_emp} employed and {n - n_emp} not employed among "
                           f"{n} candidates, under {events_per_parameter} of each per "
                           f"parameter for the {p} parameters ({', '.join(X.columns)})")
            continue
        design = np.column_stack([np.ones(n), X.to_numpy(dtype=float)])
        if np.linalg.matrix_rank(design) < design.shape[1]:
            last_reason = "not fitted: collinear predictors"
            continue
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
            warnings.simplefilter("always")
            res = sm.GLM(y, design, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
        bad = [w for w in caught
               if issubclass(w.category, (ConvergenceWarning, PerfectSeparationWarning))]
        beta, se = np.asarray(res.params, dtype=float), np.asarray(res.bse, dtype=float)
        if bad or not (np.isfinite(beta).all() and np.isfinite(se).all()):
            last_reason = "not fitted: the model did not converge (separation?)"
            continue
        z = beta / se
        q = _z(level)
        dropped = covariates[k:]
        terms = ["Intercept", *X.columns]
        return pd.DataFrame({
            "dimension": dimension, "term": terms, "estimate": beta, "std_error": se, "z": z,
            "p_value": 2 * stats.norm.sf(np.abs(z)), "odds_ratio": np.exp(beta),
            "ci_low": np.exp(beta - q * se), "ci_high": np.exp(beta + q * se),
            "n": n, "n_employed": n_emp,
            "model_terms": " + ".join(["change", "baseline", *kept]),
            "note": (f"covariates left out for lack of candidates: {', '.join(dropped)}"
                     if dropped else None)})[_MODEL_COLUMNS]
    n_all, emp_all = len(d), int(d["employed"].sum())
    return one_row(last_reason or "not fitted: no candidate", n_all, emp_all)


# --------------------------------------------------------------------------
# 4. before / after a change of policy
# --------------------------------------------------------------------------
_POLICY_COLUMNS = ["change_date", "label", "kind", "measure", "variable", "level", "before",
                   "after", "difference", "ci_low", "ci_high", "n_before", "n_after",
                   "before_low", "before_high", "after_low", "after_high", "smd", "suppressed"]


def _change_items(changes) -> list[tuple[pd.Timestamp, str, str]]:
    items = [(pd.Timestamp(c[0]), str(c[1]), str(c[2]) if len(c) > 2 else "selection")
             if isinstance(c, tuple) else
             (pd.Timestamp(c.date), str(c.label), str(getattr(c, "kind", "selection")))
             for c in changes]
    return sorted(items, key=lambda c: c[0])


def _means_row(values: pd.Series, after: pd.Series, level: float) -> dict:
    """Before/after means with t intervals, the Welch difference (after - before), SMD."""
    s = _summary(values, after.map({False: "b", True: "a"}), ["b", "a"])
    (nb, mb, vb), (na, ma, va) = s.loc["b"].to_numpy(), s.loc["a"].to_numpy()
    blo, bhi = _t_interval(mb, vb, nb, level)
    alo, ahi = _t_interval(ma, va, na, level)
    d, lo, hi, _, _, _ = _welch(ma, va, na, mb, vb, nb, level)
    return {"before": mb, "after": ma, "difference": float(d), "ci_low": float(lo),
            "ci_high": float(hi), "n_before": int(nb), "n_after": int(na),
            "before_low": float(blo), "before_high": float(bhi), "after_low": float(alo),
            "after_high": float(ahi), "smd": float(_smd(ma, va, mb, vb))}


def _shares_row(x_b, n_b, x_a, n_a, level: float, smd: bool = False) -> dict:
    """Before/after shares with Wilson intervals, Newcombe's difference (after - before)."""
    blo, bhi = wilson_interval(x_b, n_b, level)
    alo, ahi = wilson_interval(x_a, n_a, level)
    d, lo, hi = newcombe_difference(x_b, n_b, x_a, n_a, level)
    pb = x_b / n_b if n_b else np.nan
    pa = x_a / n_a if n_a else np.nan
    return {"before": pb, "after": pa, "difference": d, "ci_low": lo, "ci_high": hi,
            "n_before": int(n_b), "n_after": int(n_a), "before_low": blo, "before_high": bhi,
            "after_low": alo, "after_high": ahi,
            "smd": float(_smd(pa, pa * (1 - pa), pb, pb * (1 - pb))) if smd else np.nan}


def policy_comparison(candidates: pd.DataFrame, scores: pd.DataFrame, status: pd.DataFrame,
                      changes, as_of, covariates: Sequence[str] = (),
                      waves: Sequence | None = None, questionnaires: pd.DataFrame | None = None,
                      min_n: int = 5, level: float = 0.95) -> pd.DataFrame:
    """The candidates who entered before and after each change of policy, compared.

    For the change at date *c_k*, *before* is the candidates who entered in
    [*c_(k-1)*, *c_k*) (from the first entry for the first change) and *after*
    those who entered in [*c_k*, *c_(k+1)*) (to ``as_of`` for the last one);
    entry is the registry's ``entry_date``, else the first questionnaire's
    date. One row per ``measure`` and ``variable`` (and ``level``):

    ``entrants`` / ``per_month``
        entrants per month of 30.44 days over each side's span (no interval);
    ``baseline_share`` / a covariate, ``level``
        share having the level among the candidates with a known value;
        difference of shares with Newcombe's interval
        (:func:`impactlib.stats.collection.newcombe_difference`) and
        standardized difference ``smd`` (:math:`p (1 - p)` variances, as in
        :func:`impactlib.stats.attrition.dropout_comparison`);
    ``baseline_score`` / a dimension
        mean score at the first wave, t intervals, Welch difference (R's
        ``t.test(after, before)``), ``smd``;
    ``coaching_days`` / ``median``
        median days from entry to exit among those who have left (no
        interval; the recent side has fewer long stays completed);
    ``in_programme`` / ``share``
        share still in the programme on ``as_of`` (Wilson, Newcombe);
    ``employment_6m`` / ``known_share`` and ``share``
        among the candidates whose six-month point has passed
        (:func:`six_month_status`): share with a known status, then share
        employed among the known (Wilson, Newcombe);
    ``change`` / a dimension
        mean change from the first wave to the last questionnaire
        (:func:`change_to_last`), t intervals, Welch difference of the
        changes (after minus before). A mixed model with a cohort x wave
        interaction would use the middle waves too; the difference of the
        changes is kept here for its plain reading.

    A side with fewer than ``min_n`` candidates hides every number of the
    row (``suppressed``; counts stay). A before/after comparison mixes the
    policy with everything else that changed at the same time.

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``candidate``, ``entry_date``, ``exit_date`` and the covariates.
    scores : pandas.DataFrame
        ``candidate``, ``wave``, ``dimension``, ``score``.
    status : pandas.DataFrame
        Output of :func:`six_month_status`.
    changes : sequence
        Policy changes: objects with ``date``, ``label`` and ``kind``
        (``Study.policy_changes``) or ``(date, label[, kind])`` tuples.
    as_of : date-like
        The day the data are known at.
    covariates : list of str
        Columns of ``candidates`` compared level by level.
    waves : list, optional
        Wave order.
    questionnaires : pandas.DataFrame, optional
        ``candidate`` and ``date``: the entry of a candidate without a
        registry entry date.
    min_n : int
        Fewest candidates on each side.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        ``change_date``, ``label``, ``kind``, ``measure``, ``variable``,
        ``level``, ``before``, ``after``, ``difference`` (after - before),
        ``ci_low``, ``ci_high``, ``n_before``, ``n_after``, ``before_low``,
        ``before_high``, ``after_low``, ``after_high``, ``smd``,
        ``suppressed``.

    Examples
    --------
    >>> cand = pd.DataFrame({"candidate": [f"c{i}" for i in range(12)],
    ...     "entry_date": pd.date_range("2024-01-01", periods=12, freq="MS"),
    ...     "exit_date": pd.NaT, "exit_status": "en cours",
    ...     "Diplome": ["haut"] * 5 + ["bas"] + ["bas"] * 5 + ["haut"]})
    >>> sc = pd.DataFrame(columns=["candidate", "wave", "dimension", "score"])
    >>> st = six_month_status(cand, "2024-12-31")
    >>> t = policy_comparison(cand, sc, st, [("2024-07-01", "Tout public")], "2024-12-31",
    ...                       covariates=["Diplome"])
    >>> t.loc[t["measure"] == "baseline_share", ["level", "before", "after"]]
      level    before     after
    1   bas  0.166667  0.833333
    2  haut  0.833333  0.166667
    """
    items = _change_items(changes)
    as_of = pd.Timestamp(as_of)
    cand = candidates.drop_duplicates("candidate").set_index("candidate")
    entry = (pd.to_datetime(cand["entry_date"]) if "entry_date" in cand.columns
             else pd.Series(pd.NaT, index=cand.index)).astype("datetime64[ns]")
    if questionnaires is not None and len(questionnaires):
        first = pd.to_datetime(questionnaires.groupby("candidate", observed=True)["date"].min())
        entry = entry.fillna(first.reindex(entry.index).astype("datetime64[ns]"))
    exit_date = (pd.to_datetime(cand["exit_date"]) if "exit_date" in cand.columns
                 else pd.Series(pd.NaT, index=cand.index)).astype("datetime64[ns]")
    st = status.drop_duplicates("candidate").set_index("candidate")
    levels = level_order(scores["wave"], waves, sort_key=str) if len(scores) else []
    dims = level_order(scores["dimension"]) if len(scores) else []
    base = scores.loc[(scores["wave"].astype(object) == levels[0]) if levels
                      else np.zeros(len(scores), bool)]
    base = base.assign(dimension=base["dimension"].astype(object))
    changes_to_last = change_to_last(scores, waves=levels) if levels else None
    # each dimension's rows once (not per change); candidates matched in arrays below
    base_dim = {dim: (base["dimension"] == dim).to_numpy(dtype=bool) for dim in dims}
    last_dim = ({dim: (changes_to_last["dimension"] == dim).to_numpy(dtype=bool) for dim in dims}
                if changes_to_last is not None else {})
    covariates = [c for c in covariates if c in cand.columns]
    first_entry = entry.min()
    rows = []
    for k, (date, label, kind) in enumerate(items):
        lo = items[k - 1][0] if k > 0 else pd.Timestamp.min
        hi = items[k + 1][0] if k + 1 < len(items) else pd.Timestamp.max
        inside = entry.notna() & (entry >= lo) & (entry < hi) & (entry <= as_of)
        after = (entry >= date)[inside]
        ids = after.index
        after_values = after.to_numpy()
        head = {"change_date": date, "label": label, "kind": kind}

        def add(measure, variable, level_, values):
            rows.append({**head, "measure": measure, "variable": variable, "level": level_,
                         **values})

        # entrants per month
        start_b = max(lo, first_entry) if pd.notna(first_entry) else date
        end_a = min(hi, as_of)
        months_b = (date - start_b).days / _MONTH_DAYS
        months_a = (end_a - date).days / _MONTH_DAYS
        n_b, n_a = int((~after).sum()), int(after.sum())
        rate_b = n_b / months_b if months_b > 0 else np.nan
        rate_a = n_a / months_a if months_a > 0 else np.nan
        add("entrants", "per_month", None, {
            "before": rate_b, "after": rate_a, "difference": rate_a - rate_b,
            "n_before": n_b, "n_after": n_a})
        # baseline profile: covariate levels, then first-wave scores
        for c in covariates:
            col = cand.loc[ids, c].astype(object)
            known = col.notna() & (col.astype(str).str.strip() != "")
            values = col[known].astype(str)
            side = after[known]
            for lv in sorted(pd.unique(values)):
                has = values == lv
                add("baseline_share", c, lv, _shares_row(
                    int((has & ~side).sum()), int((~side).sum()),
                    int((has & side).sum()), int(side.sum()), level, smd=True))
        base_in = is_in(base["candidate"], ids)
        for dim in dims:
            part = base.loc[base_dim[dim] & base_in]
            add("baseline_score", dim, None, _means_row(
                part["score"].astype(float).reset_index(drop=True),
                pd.Series(after_values[positions_in(part["candidate"], ids)]), level))
        # length of coaching and who is still in
        ex = st["exited"].reindex(ids).fillna(False).astype(bool)
        days = (exit_date.reindex(ids) - entry.reindex(ids)).dt.days.where(ex)
        med_b = days[~after].median() if days[~after].notna().any() else np.nan
        med_a = days[after].median() if days[after].notna().any() else np.nan
        add("coaching_days", "median", None, {
            "before": med_b, "after": med_a, "difference": med_a - med_b,
            "n_before": int(days[~after].notna().sum()), "n_after": int(days[after].notna().sum())})
        still = (st["category"].reindex(ids) == "ongoing").fillna(False).astype(bool)
        add("in_programme", "share", None, _shares_row(
            int((still & ~after).sum()), n_b, int((still & after).sum()), n_a, level))
        # the funder's number
        counted = st["counted"].reindex(ids).fillna(False).astype(bool)
        emp = st["employed"].reindex(ids).astype("boolean")
        known = counted & emp.notna()
        yes = known & emp.fillna(False).astype(bool)
        add("employment_6m", "known_share", None, _shares_row(
            int((known & ~after).sum()), int((counted & ~after).sum()),
            int((known & after).sum()), int((counted & after).sum()), level))
        add("employment_6m", "share", None, _shares_row(
            int((yes & ~after).sum()), int((known & ~after).sum()),
            int((yes & after).sum()), int((known & after).sum()), level))
        # the change measured
        if changes_to_last is not None:
            last_in = is_in(changes_to_last["candidate"], ids)
            for dim in dims:
                part = changes_to_last.loc[last_dim[dim] & last_in]
                row = _means_row(part["change"].reset_index(drop=True),
                                 pd.Series(after_values[positions_in(part["candidate"], ids)]),
                                 level)
                row["smd"] = np.nan
                add("change", dim, None, row)
    out = pd.DataFrame(rows, columns=_POLICY_COLUMNS)
    for c in ("n_before", "n_after"):
        out[c] = out[c].fillna(0).astype("int64")
    small = (out["n_before"] < min_n) | (out["n_after"] < min_n)
    numbers = ["before", "after", "difference", "ci_low", "ci_high", "before_low",
               "before_high", "after_low", "after_high", "smd"]
    out[numbers] = out[numbers].astype(float)
    out.loc[small, numbers] = np.nan
    out["suppressed"] = small.to_numpy(dtype=bool)
    out["change_date"] = pd.to_datetime(out["change_date"]).astype("datetime64[ns]")
    return out
