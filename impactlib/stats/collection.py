"""Collection: are questionnaires being answered, better over time, and when will we know?

The functions take the output of :func:`impactlib.stats.attrition.wave_status`
(one row per candidate x wave: ``status`` answered / missed / not_yet_due /
unknown and ``due_date``), so that "due" means the same thing here, in the
report's attrition table and in the counsellors' follow-up list.

- :func:`wilson_interval` and :func:`newcombe_difference`: intervals for a
  response rate and for the difference of two rates, good with small counts.
- :func:`cohort_response_rates`: response rate per wave by cohort of entry
  (month, quarter, half-year or year, chosen from the study's size).
- :func:`change_comparison`: response rate before and after each change to
  how questionnaires are collected (``changes`` in ``study.yml``), raw and
  adjusted (logistic model with candidate-clustered standard errors).
- :func:`pairs_projection`: at the current pace, when the study reaches the
  complete pairs needed to detect an effect.

Privacy
-------
A rate computed from fewer than ``min_n`` (default 5) due questionnaires is
not shown: its rate and interval are NaN and ``suppressed`` is True (counts
stay, so the reader knows why).

A before/after comparison is not an experiment: other things change at the
same time (who enters, the season, the counsellors). The tables say how
large the difference is and how precise; the report's words say the rest.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.frames import level_order

__all__ = [
    "wilson_interval",
    "newcombe_difference",
    "cohort_period",
    "cohort_response_rates",
    "change_comparison",
    "pairs_projection",
    "PERIODS",
    "period_start",
    "calendar_cohorts",
]

#: Cohort lengths, finest first, in months: calendar months, quarters,
#: half-years (January-June, July-December) and years.
PERIODS = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}

#: Median number of entrants per cohort aimed at when choosing the cohort length.
COHORT_TARGET = 20

#: Events (and non-events) per model parameter needed to fit the adjusted model.
EVENTS_PER_PARAMETER = 10

_DUE = ("answered", "missed")


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_interval(x, n, level: float = 0.95):
    """Wilson score interval of a proportion, without continuity correction.

    .. math::

        \\frac{x + z^2/2}{n + z^2} \\pm \\frac{z}{n + z^2}
        \\sqrt{\\frac{x (n - x)}{n} + \\frac{z^2}{4}}

    Parameters
    ----------
    x, n : int or array-like
        Successes and trials (``0 <= x <= n``). Where ``n`` is 0 the
        interval is NaN.
    level : float
        Confidence level.

    Returns
    -------
    (lower, upper) : tuple of float or numpy arrays

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA* 22, 209-212. The same as R's
    ``prop.test(x, n, correct = FALSE)$conf.int``.

    Examples
    --------
    >>> lo, hi = wilson_interval(8, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4902, 0.9433)
    """
    z = _z(level)
    x = np.asarray(x, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (x + z * z / 2) / (n + z * z)
        half = z / (n + z * z) * np.sqrt(x * (n - x) / n + z * z / 4)
        # exactly 0 (x = 0) and 1 (x = n), where rounding would leave 1e-18
        lower = np.where(n > 0, np.where(x <= 0, 0.0, np.clip(centre - half, 0, 1)), np.nan)
        upper = np.where(n > 0, np.where(x >= n, 1.0, np.clip(centre + half, 0, 1)), np.nan)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def newcombe_difference(x1, n1, x2, n2, level: float = 0.95):
    """Difference of two proportions ``p2 - p1`` with Newcombe's hybrid score interval.

    With ``(l_i, u_i)`` the Wilson intervals of ``p_i = x_i / n_i``
    (:func:`wilson_interval`) and ``d = p2 - p1``::

        lower = d - sqrt((p2 - l2)^2 + (u1 - p1)^2)
        upper = d + sqrt((u2 - p2)^2 + (p1 - l1)^2)

    It keeps its coverage with small or extreme counts, where the Wald
    interval (R's two-sample ``prop.test``) does not.

    Parameters
    ----------
    x1, n1 : int or array-like
        Successes and trials of the first group (before).
    x2, n2 : int or array-like
        Successes and trials of the second group (after).
    level : float
        Confidence level.

    Returns
    -------
    (difference, lower, upper) : tuple of float or numpy arrays (NaN where a
    group has no trial)

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. *Statistics in
    Medicine* 17, 873-890 (method 10).

    Examples
    --------
    >>> d, lo, hi = newcombe_difference(48, 80, 56, 70)
    >>> round(float(d), 4), round(float(lo), 4), round(float(hi), 4)
    (0.2, 0.0524, 0.3339)
    """
    x1, n1, x2, n2 = (np.asarray(v, dtype="float64") for v in (x1, n1, x2, n2))
    l1, u1 = wilson_interval(x1, n1, level)
    l2, u2 = wilson_interval(x2, n2, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(n1 > 0, x1 / n1, np.nan)
        p2 = np.where(n2 > 0, x2 / n2, np.nan)
    d = p2 - p1
    lower = d - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = d + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    if np.ndim(d) == 0:
        return float(d), float(lower), float(upper)
    return d, lower, upper


def _entry_dates(status: pd.DataFrame, candidates: pd.DataFrame | None) -> pd.Series:
    """Entry date per candidate: the registry's, else the first answered questionnaire's."""
    answered = status.loc[status["status"] == "answered"]
    first = pd.to_datetime(answered.groupby("candidate", observed=True)["date"].min())
    ids = pd.Index(pd.unique(status["candidate"]))
    entry = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    if candidates is not None and "entry_date" in candidates.columns:
        reg = candidates.drop_duplicates("candidate").set_index("candidate")["entry_date"]
        entry = pd.to_datetime(reg).reindex(ids).astype("datetime64[ns]")
    return entry.fillna(first.reindex(ids))


def period_start(dates: pd.Series, period: str) -> pd.Series:
    """First day of the calendar month, quarter, half-year or year (:data:`PERIODS`)
    of each date (no missing date).

    Examples
    --------
    >>> period_start(pd.Series(pd.to_datetime(["2024-08-15", "2024-02-29"])), "half-year")
    0   2024-07-01
    1   2024-01-01
    dtype: datetime64[ns]
    """
    months = PERIODS[period]
    parts = pd.DataFrame({"year": dates.dt.year,
                          "month": (dates.dt.month - 1) // months * months + 1, "day": 1},
                         index=dates.index)
    return pd.to_datetime(parts).astype("datetime64[ns]")


def cohort_period(entry_dates, target: int = COHORT_TARGET, periods=tuple(PERIODS)) -> str:
    """The cohort length for a study: the finest of ``periods`` (month,
    quarter, half-year, year) whose median number of dates per (non-empty)
    cohort reaches ``target``; the longest when none does.

    Examples
    --------
    >>> dates = pd.Series(pd.date_range("2024-01-01", periods=120, freq="3D"))
    >>> cohort_period(dates)        # about 10 entrants a month, 30 a quarter
    'quarter'
    """
    dates = pd.to_datetime(pd.Series(entry_dates)).dropna()
    for name in periods:
        counts = period_start(dates, name).value_counts()
        if len(counts) and counts.median() >= target:
            return name
    return periods[-1]


def calendar_cohorts(dates: pd.Series, period: str, min_n: int) -> pd.DataFrame:
    """First and last day of each date's cohort (calendar ``period``); a cohort
    of fewer than ``min_n`` dates is merged with the next one (the last with
    the one before). Missing dates are left out.

    Returns
    -------
    pandas.DataFrame
        ``cohort_start``, ``cohort_end`` (datetime64), indexed like the known dates.

    Examples
    --------
    January (1) is too small and joins February (2); March (1), too small and
    last, joins them:

    >>> d = pd.Series(pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-03", "2024-03-09"]))
    >>> calendar_cohorts(d, "month", min_n=2)["cohort_end"].dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-31', '2024-03-31', '2024-03-31', '2024-03-31']
    """
    known = pd.to_datetime(dates.dropna())
    periods = period_start(known, period)
    counts = periods.value_counts().sort_index()
    # Merge small cohorts forward: a new group starts once the running group is big enough.
    group = np.zeros(len(counts), dtype="int64")
    g, size = 0, 0
    for i, c in enumerate(counts.to_numpy()):       # one step per cohort, not per candidate
        group[i] = g
        size += c
        if size >= min_n:
            g, size = g + 1, 0
    if len(counts) and 0 < size < min_n and g > 0:   # a small last group joins the previous one
        group[group == g] = g - 1
    table = pd.DataFrame({"period": counts.index, "group": group})
    bounds = table.groupby("group").agg(start=("period", "min"), end=("period", "max"))
    end = bounds["end"] + pd.DateOffset(months=PERIODS[period]) - pd.Timedelta(days=1)
    g_of = periods.map(table.set_index("period")["group"])
    return pd.DataFrame({"cohort_start": g_of.map(bounds["start"]).astype("datetime64[ns]"),
                         "cohort_end": g_of.map(end).astype("datetime64[ns]")},
                        index=known.index)


def cohort_response_rates(status: pd.DataFrame, candidates: pd.DataFrame | None = None,
                          waves: Sequence | None = None, period: str | None = None,
                          min_n: int = 5, level: float = 0.95) -> pd.DataFrame:
    """Response rate per wave by cohort of entry, with Wilson intervals.

    A candidate's cohort is the period (month, quarter, half-year or year:
    ``period``, default :func:`cohort_period`) of their entry date (the
    registry's ``entry_date``, else their first answered questionnaire). A
    cohort of fewer than ``min_n`` entrants is merged with the next one. The
    rate of a wave counts the questionnaires that were due (answered +
    missed, as in :func:`impactlib.stats.attrition.attrition_rates`).

    Parameters
    ----------
    status : pandas.DataFrame
        Output of :func:`impactlib.stats.attrition.wave_status`.
    candidates : pandas.DataFrame, optional
        ``candidate`` and ``entry_date``.
    waves : list, optional
        Wave order (default: that of ``status.wave``).
    period : {"month", "quarter", "half-year", "year"}, optional
    min_n : int
        Smallest cohort (entrants) kept apart, and smallest number of due
        questionnaires whose rate is shown.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per cohort x wave: ``cohort_start``, ``cohort_end`` (first
        and last day), ``period``, ``wave``, ``n_entrants``, ``n_due``,
        ``n_answered``, ``n_not_yet_due``, ``response_rate``, ``ci_low``,
        ``ci_high``, ``suppressed`` (``n_due < min_n``: rate and interval
        NaN). Candidates without any date are left out.

    Examples
    --------
    >>> st = pd.DataFrame({"candidate": list("aabb"), "wave": ["T1", "T2"] * 2,
    ...     "status": ["answered", "answered", "answered", "missed"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-04-01", "2024-01-20", None])})
    >>> cohort_response_rates(st, period="month", min_n=1)[["wave", "n_due", "response_rate"]]
      wave  n_due  response_rate
    0   T1      2            1.0
    1   T2      2            0.5
    """
    levels = level_order(status["wave"], waves, sort_key=str)
    entry = _entry_dates(status, candidates)
    period = period or cohort_period(entry)
    if period not in PERIODS:
        raise ValueError(f"period must be one of {list(PERIODS)}, not {period!r}")
    cohorts = calendar_cohorts(entry, period, min_n)
    st = status.loc[status["wave"].isin(levels), ["candidate", "wave", "status"]].copy()
    st["wave"] = st["wave"].astype(object)
    st = st.join(cohorts, on="candidate", how="inner")
    st["due"] = st["status"].isin(_DUE)
    st["answered"] = st["status"].eq("answered")
    st["later"] = st["status"].eq("not_yet_due")
    keys = ["cohort_start", "cohort_end", "wave"]
    out = (st.groupby(keys, sort=False)
           .agg(n_due=("due", "sum"), n_answered=("answered", "sum"),
                n_not_yet_due=("later", "sum"))
           .reset_index())
    entrants = cohorts.groupby("cohort_start").size().rename("n_entrants")
    out = out.join(entrants, on="cohort_start")
    out["wave_order"] = out["wave"].map({w: i for i, w in enumerate(levels)})
    out = out.sort_values(["cohort_start", "wave_order"], kind="stable").reset_index(drop=True)
    out = _with_rate(out, "n_answered", "n_due", min_n, level)
    out["period"] = period
    cols = ["cohort_start", "cohort_end", "period", "wave", "n_entrants", "n_due", "n_answered",
            "n_not_yet_due", "response_rate", "ci_low", "ci_high", "suppressed"]
    for c in ("n_entrants", "n_due", "n_answered", "n_not_yet_due"):
        out[c] = out[c].astype("int64")
    return out[cols]


def _with_rate(frame: pd.DataFrame, x: str, n: str, min_n: int, level: float,
               suffix: str = "") -> pd.DataFrame:
    xs, ns = frame[x].to_numpy(dtype="float64"), frame[n].to_numpy(dtype="float64")
    shown = ns >= max(min_n, 1)
    lo, hi = wilson_interval(xs, ns, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = xs / ns
    frame[f"response_rate{suffix}"] = np.where(shown, rate, np.nan)
    frame[f"ci_low{suffix}"] = np.where(shown, lo, np.nan)
    frame[f"ci_high{suffix}"] = np.where(shown, hi, np.nan)
    if not suffix:
        frame["suppressed"] = ~shown
    return frame


def _collection_dates(status: pd.DataFrame) -> pd.Series:
    """When each due questionnaire was to be collected: its due date, else
    (a wave answered with no due date known) the day it was answered."""
    due = pd.to_datetime(status["due_date"]) if "due_date" in status else pd.NaT
    return pd.Series(due, index=status.index).fillna(pd.to_datetime(status["date"]))


def change_comparison(status: pd.DataFrame, changes, candidates: pd.DataFrame | None = None,
                      covariates: Sequence[str] = (), waves: Sequence | None = None,
                      min_n: int = 5, level: float = 0.95) -> pd.DataFrame:
    """Response rate before and after each change in how questionnaires are collected.

    A due questionnaire (answered or missed) belongs to the period in which
    it was to be collected: its due date (else, answered with no due date
    known, the day it was answered). For the change at date *c_k*, *before*
    is [*c_(k-1)*, *c_k*) (from the start for the first change) and *after*
    is [*c_k*, *c_(k+1)*) (to the end for the last one). For each change,
    one row per wave it concerns (every wave unless the change names its
    ``waves``) and one for those waves together (``wave`` is their keys
    joined by ``+``, as in response patterns) give:

    - the rates before and after with Wilson intervals
      (:func:`wilson_interval`), and the difference after - before with
      Newcombe's interval (:func:`newcombe_difference`);
    - the **adjusted odds ratio** of answering after vs before, from a
      logistic model ``answered ~ after [+ wave] + covariates`` with standard
      errors clustered by candidate (a candidate counts once per wave in
      the all-waves row). It is fitted only when the answered and the missed
      questionnaires both number at least :data:`EVENTS_PER_PARAMETER` per
      parameter, first with the covariates, else without; ``model_terms``
      says which terms it holds (empty: not fitted).

    Parameters
    ----------
    status : pandas.DataFrame
        Output of :func:`impactlib.stats.attrition.wave_status`.
    changes : sequence
        Objects with ``date``, ``label`` and ``waves`` (``Study.changes``) or
        ``(date, label[, waves])`` tuples; an object whose ``kind`` is not
        ``collection`` (a policy change) is left out.
    candidates : pandas.DataFrame, optional
        ``candidate`` and the covariate columns.
    covariates : list of str
        Baseline covariates adjusted for (categorical; missing values form
        their own level).
    waves : list, optional
        Wave order.
    min_n : int
        Smallest number of due questionnaires whose rate is shown.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        ``change_date``, ``label``, ``wave``, ``n_before``,
        ``answered_before``, ``rate_before``, ``ci_low_before``,
        ``ci_high_before``, the same ``_after``, ``difference``,
        ``diff_low``, ``diff_high``, ``suppressed`` (a side under ``min_n``:
        rates, difference and model NaN), ``odds_ratio``, ``or_low``,
        ``or_high``, ``p_value``, ``model_n``, ``model_terms``.

    References
    ----------
    Newcombe (1998), see :func:`newcombe_difference`. Cameron, A. C. &
    Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. *Journal of Human Resources* 50, 317-372. R:
    ``glm(answered ~ after + wave, binomial)`` with
    ``sandwich::vcovCL(fit, cluster = ~candidate)`` (its default for a glm:
    no small-sample factor but G/(G-1), G the number of candidates).

    Examples
    --------
    >>> st = pd.DataFrame({"candidate": [f"c{i}" for i in range(12)], "wave": "T2",
    ...     "status": ["missed"] * 4 + ["answered"] * 2 + ["missed"] + ["answered"] * 5,
    ...     "due_date": pd.date_range("2024-01-01", periods=12, freq="MS"),
    ...     "date": pd.NaT})
    >>> t = change_comparison(st, [("2024-07-01", "SMS")], min_n=5)
    >>> t[["wave", "n_before", "answered_before", "n_after", "answered_after"]]
      wave  n_before  answered_before  n_after  answered_after
    0   T2         6                2        6               5
    """
    levels = level_order(status["wave"], waves, sort_key=str)
    # Only changes to how questionnaires are collected (a policy change has another kind).
    changes = [c for c in changes if getattr(c, "kind", "collection") == "collection"]
    items = [(pd.Timestamp(c[0]), str(c[1]), tuple(c[2]) if len(c) > 2 else ())
             if isinstance(c, tuple) else
             (pd.Timestamp(c.date), str(c.label), tuple(getattr(c, "waves", ())))
             for c in changes]
    items.sort(key=lambda c: c[0])
    st = status.loc[status["wave"].isin(levels) & status["status"].isin(_DUE)].copy()
    st["wave"] = st["wave"].astype(object)
    st["when"] = _collection_dates(st)
    st = st.loc[st["when"].notna()]
    st["answered"] = st["status"].eq("answered").astype("int64")
    covariates = [c for c in covariates
                  if candidates is not None and c in candidates.columns]
    if covariates:
        cov = candidates.drop_duplicates("candidate").set_index("candidate")[covariates]
        st = st.join(cov.astype(object).where(cov.notna(), "(missing)").astype(str),
                     on="candidate")
    rows = []
    for k, (date, label, concerned) in enumerate(items):
        lo = items[k - 1][0] if k > 0 else pd.Timestamp.min
        hi = items[k + 1][0] if k + 1 < len(items) else pd.Timestamp.max
        part = st.loc[(st["when"] >= lo) & (st["when"] < hi)].copy()
        part["after"] = (part["when"] >= date).astype("int64")
        mine = [w for w in levels if not concerned or str(w) in concerned]
        part = part.loc[part["wave"].isin(mine)]
        scopes = [(str(w), part.loc[part["wave"] == w], False) for w in mine]
        if len(mine) > 1:
            scopes.append(("+".join(map(str, mine)), part, True))
        for wave, sub, pooled in scopes:
            rows.append({"change_date": date, "label": label, "wave": wave,
                         **_before_after(sub, min_n, level),
                         **_adjusted(sub, covariates, pooled, min_n, level)})
    columns = ["change_date", "label", "wave", "n_before", "answered_before", "rate_before",
               "ci_low_before", "ci_high_before", "n_after", "answered_after", "rate_after",
               "ci_low_after", "ci_high_after", "difference", "diff_low", "diff_high",
               "suppressed", "odds_ratio", "or_low", "or_high", "p_value", "model_n",
               "model_terms"]
    out = pd.DataFrame(rows, columns=columns)
    for c in ("n_before", "answered_before", "n_after", "answered_after", "model_n"):
        out[c] = out[c].astype("int64")
    out["suppressed"] = out["suppressed"].astype(bool)
    out["change_date"] = pd.to_datetime(out["change_date"]).astype("datetime64[ns]")
    return out


def _before_after(sub: pd.DataFrame, min_n: int, level: float) -> dict:
    after = sub["after"].to_numpy(dtype=bool)
    ans = sub["answered"].to_numpy()
    n0, x0 = int((~after).sum()), int(ans[~after].sum())
    n1, x1 = int(after.sum()), int(ans[after].sum())
    shown = min(n0, n1) >= max(min_n, 1)
    lo0, hi0 = wilson_interval(x0, n0, level)
    lo1, hi1 = wilson_interval(x1, n1, level)
    d, dlo, dhi = newcombe_difference(x0, n0, x1, n1, level)
    nan = float("nan")

    def show(v):
        return float(v) if shown else nan

    return {"n_before": n0, "answered_before": x0,
            "rate_before": show(x0 / n0 if n0 else nan), "ci_low_before": show(lo0),
            "ci_high_before": show(hi0), "n_after": n1, "answered_after": x1,
            "rate_after": show(x1 / n1 if n1 else nan), "ci_low_after": show(lo1),
            "ci_high_after": show(hi1), "difference": show(d), "diff_low": show(dlo),
            "diff_high": show(dhi), "suppressed": not shown}


def _adjusted(sub: pd.DataFrame, covariates: list[str], by_wave: bool, min_n: int,
              level: float) -> dict:
    """Odds ratio of answering after vs before, adjusted, clustered by candidate."""
    empty = {"odds_ratio": np.nan, "or_low": np.nan, "or_high": np.nan, "p_value": np.nan,
             "model_n": 0, "model_terms": ""}
    n_after = int(sub["after"].sum())
    if min(n_after, len(sub) - n_after) < max(min_n, 1):
        return empty
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    base = ["wave"] if by_wave and sub["wave"].nunique() > 1 else []
    for terms in ([*base, *covariates], base):
        design = pd.get_dummies(sub[terms].astype(str), drop_first=True, dtype="float64") \
            if terms else pd.DataFrame(index=sub.index)
        design = design.loc[:, design.std() > 0]
        X = np.column_stack([np.ones(len(sub)), sub["after"].to_numpy(dtype="float64"),
                             design.to_numpy()])
        y = sub["answered"].to_numpy(dtype="float64")
        k = X.shape[1] - 1
        if min(y.sum(), len(y) - y.sum()) < EVENTS_PER_PARAMETER * k:
            continue
        if np.linalg.matrix_rank(X) < X.shape[1]:
            continue
        groups = pd.factorize(sub["candidate"])[0]
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            try:
                fit = sm.GLM(y, X, family=sm.families.Binomial()).fit(
                    cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
            except (PerfectSeparationWarning, np.linalg.LinAlgError, ValueError):
                continue
        # The clustered sandwich with the G/(G-1) factor only, as R's
        # sandwich::vcovCL for a glm (type "HC0") and Stata's logit, vce(cluster).
        n_groups = groups.max() + 1
        b = float(fit.params[1])
        se = float(fit.bse[1]) * np.sqrt(n_groups / (n_groups - 1)) if n_groups > 1 else np.nan
        if not np.isfinite(se) or se <= 0:
            continue
        z = _z(level)
        return {"odds_ratio": float(np.exp(b)), "or_low": float(np.exp(b - z * se)),
                "or_high": float(np.exp(b + z * se)),
                "p_value": float(2 * stats.norm.sf(abs(b / se))),
                "model_n": int(len(y)), "model_terms": " + ".join(["after", *terms])}
    return empty


def pairs_projection(status: pd.DataFrame, n_needed: int, as_of, candidates=None,
                     waves: Sequence | None = None, window_days: int = 365,
                     horizon_years: float = 20, level: float = 0.95, since=None,
                     min_n: int = 5) -> pd.DataFrame:
    """When will the study have enough complete pairs, at the current pace?

    A *complete pair* is a candidate who answered the first and the last
    wave. With, as of ``as_of``:

    - ``n_pairs``: complete pairs already;
    - ``p_pair``: share of candidates whose last wave was due (answered or
      missed) who completed the pair (Wilson interval ``p_pair_low``,
      ``p_pair_high``); with ``since`` (the last change to how
      questionnaires are collected), only the last waves due since then,
      the current way of collecting, when there are at least ``min_n``
      (``p_since`` says from when it was measured);
    - ``n_pending``: candidates whose last wave is not yet due (still in the
      programme), each expected to give ``p_pair`` pairs;
    - ``entrants_per_month``: entrants over the last ``window_days`` (or since
      the first entry, if later), per month of 30.44 days;
    - ``months_in_programme``: median time from entry to the last wave's due
      date among the candidates whose last wave was due;

    the pairs still missing, ``n_needed - n_pairs - n_pending * p_pair``,
    need ``missing / p_pair`` new entrants, who arrive in
    ``missing / p_pair / entrants_per_month`` months and give their pair
    ``months_in_programme`` later. ``expected_date`` is ``as_of`` plus that
    (``expected_early`` and ``expected_late`` with ``p_pair`` at its upper and
    lower limit). ``verdict`` is ``reached`` (``n_pairs >= n_needed``),
    ``expected`` (a date within ``horizon_years``), or ``never`` (no entrant
    lately, no pair completed, or a date beyond the horizon): "never at this
    pace".

    Parameters
    ----------
    status : pandas.DataFrame
        Output of :func:`impactlib.stats.attrition.wave_status`.
    n_needed : int
        Complete pairs needed (``n_for_d_0.3`` of
        :func:`impactlib.stats.power.power_table` for the first and last wave).
    as_of : date-like
        The day the data are known at.
    candidates : pandas.DataFrame, optional
        ``candidate`` and ``entry_date`` (else the first questionnaire's date).
    waves : list, optional
        Wave order.
    window_days : int
        Period over which the pace of entries is measured.
    horizon_years : float
        Beyond this, the answer is "never at this pace".
    level : float
        Confidence level of ``p_pair``.
    since : date-like, optional
        Measure ``p_pair`` on the last waves due from this day on.
    min_n : int
        Fewest last waves due since ``since`` to measure ``p_pair`` on them.

    Returns
    -------
    pandas.DataFrame
        One row: ``from_wave``, ``to_wave``, ``n_needed``, ``n_pairs``,
        ``n_last_due``, ``p_since`` (NaT: every last wave due), ``p_pair``, ``p_pair_low``, ``p_pair_high``,
        ``n_pending``, ``entrants_per_month``, ``window_days``,
        ``months_in_programme``, ``expected_date``, ``expected_early``,
        ``expected_late`` (NaT unless ``expected``), ``verdict``.

    Examples
    --------
    >>> st = pd.DataFrame({"candidate": [f"c{i // 2}" for i in range(8)],
    ...     "wave": ["T1", "T3"] * 4,
    ...     "status": ["answered", "answered", "answered", "missed",
    ...                "answered", "answered", "answered", "not_yet_due"],
    ...     "due_date": pd.to_datetime(["2024-01-01", "2024-07-01", "2024-02-01", "2024-08-01",
    ...                                 "2024-03-01", "2024-09-01", "2024-12-01", None]),
    ...     "date": pd.to_datetime(["2024-01-01", "2024-07-01", "2024-02-01", None,
    ...                             "2024-03-01", "2024-09-01", "2024-12-01", None])})
    >>> p = pairs_projection(st, n_needed=2, as_of="2024-12-31")
    >>> p[["n_pairs", "n_last_due", "n_pending", "verdict"]]
       n_pairs  n_last_due  n_pending  verdict
    0        2           3          1  reached
    """
    levels = level_order(status["wave"], waves, sort_key=str)
    first, last = levels[0], levels[-1]
    as_of = pd.Timestamp(as_of)
    st = status.loc[status["wave"].isin([first, last])]
    wide = st.pivot_table(index="candidate", columns=st["wave"].astype(object), values="status",
                          aggfunc="first", observed=True)
    s_first = wide.get(first, pd.Series(index=wide.index, dtype=object))
    s_last = wide.get(last, pd.Series(index=wide.index, dtype=object))
    pair = s_first.eq("answered") & s_last.eq("answered")
    last_due = s_last.isin(_DUE)
    pending = s_last.eq("not_yet_due")
    n_pairs = int(pair.sum())
    p_since = pd.NaT
    if since is not None:
        last_when = _collection_dates(st.loc[st["wave"].astype(object) == last]
                                      .set_index("candidate")).reindex(wide.index)
        recent = last_due & (last_when >= pd.Timestamp(since))
        if int(recent.sum()) >= max(min_n, 1):
            last_due, p_since = recent, pd.Timestamp(since)
    n_last_due = int(last_due.sum())
    n_pair_due = int((pair & last_due).sum())
    p_pair = n_pair_due / n_last_due if n_last_due else np.nan
    p_lo, p_hi = wilson_interval(n_pair_due, n_last_due, level)

    entry = _entry_dates(status, candidates)
    entry = entry.loc[entry.notna() & (entry <= as_of)]
    start = max(as_of - pd.Timedelta(days=window_days), entry.min()) if len(entry) else as_of
    span_days = (as_of - start).days
    recent = int((entry >= start).sum()) if len(entry) else 0
    month = 30.4375
    per_month = recent / span_days * month if span_days > 0 else np.nan
    last_rows = st.loc[(st["wave"].astype(object) == last) & st["status"].isin(_DUE)]
    last_due_dates = pd.to_datetime(last_rows.set_index("candidate")["due_date"])
    stay = (last_due_dates - entry.reindex(last_due_dates.index)).dt.days.dropna()
    months_in = float(stay.median() / month) if len(stay) else np.nan

    def when(p):
        missing = n_needed - n_pairs - n_pending_f * p
        if not np.isfinite(p) or p <= 0:
            return None
        if missing <= 0:
            months = months_in if np.isfinite(months_in) else 0.0
        else:
            if not np.isfinite(per_month) or per_month <= 0:
                return None
            months = missing / p / per_month + (months_in if np.isfinite(months_in) else 0.0)
        if months > horizon_years * 12:
            return None
        return (as_of + pd.Timedelta(days=round(months * month))).normalize()

    n_pending_f = float(pending.sum())
    nat = pd.NaT
    if n_pairs >= n_needed:
        verdict, dates = "reached", (nat, nat, nat)
    else:
        central = when(p_pair)
        verdict = "expected" if central is not None else "never"
        dates = (central or nat, when(p_hi) or nat, when(p_lo) or nat) if central else (nat,) * 3
    out = pd.DataFrame({
        "from_wave": [str(first)], "to_wave": [str(last)], "n_needed": [int(n_needed)],
        "n_pairs": [n_pairs], "n_last_due": [n_last_due], "p_since": [p_since],
        "p_pair": [float(p_pair)],
        "p_pair_low": [float(p_lo)], "p_pair_high": [float(p_hi)],
        "n_pending": [int(pending.sum())], "entrants_per_month": [float(per_month)],
        "window_days": [int(span_days)], "months_in_programme": [months_in],
        "expected_date": [dates[0]], "expected_early": [dates[1]], "expected_late": [dates[2]],
        "verdict": [verdict]})
    for c in ("p_since", "expected_date", "expected_early", "expected_late"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    return out
