"""Reliability of the questionnaire dimensions and reliable individual change.

The functions take the tidy tables described in ``docs/tidy-tables.md``
(long format: one row per candidate x wave x item for ``responses``, one row
per candidate x wave x dimension for ``scores``) and return tidy DataFrames,
one row per dimension x wave (or dimension x wave pair).

Waves are ordered by the ``waves=`` argument when given, else by the order of
the categories of the ``wave`` column when it is an *ordered*
:class:`pandas.Categorical`, else by sorting the observed values.

Public functions
----------------
cronbach_alpha_by
    Cronbach's alpha (Feldt 95% CI) and McDonald's omega total per
    dimension x wave.
reliable_change
    Jacobson-Truax reliable change index: percentage of candidates with a
    reliable improvement, no reliable change or a reliable deterioration, per
    dimension and ordered wave pair.
change_class
    The one classification of an RCI (improved / no change / deteriorated)
    used by :func:`reliable_change` and :func:`rci_points`.
rci_points
    Candidate by candidate: from-score, to-score, RCI and its class, for
    drawing (never written to a shareable table: one row per candidate).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from impactlib.frames import as_float, check_columns, level_order, wave_categorical, wave_order, wave_pairs, wide_scores

__all__ = ["cronbach_alpha_by", "reliable_change", "change_class", "rci_points", "CHANGE_CLASSES",
           "POINT_COLUMNS"]


# ---------------------------------------------------------------------------
# Cronbach's alpha and McDonald's omega
# ---------------------------------------------------------------------------


def _alpha_feldt(x: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Cronbach's alpha of a complete n x k matrix and its Feldt CI."""
    n, k = x.shape
    nan3 = (np.nan, np.nan, np.nan)
    if n < 2 or k < 2:
        return nan3
    cov = np.cov(x, rowvar=False)
    item_var = float(np.trace(cov))
    total_var = float(cov.sum())
    # Zero total variance (e.g. everybody gave the same answers): undefined.
    if not (item_var > 0 and total_var > 1e-12 * item_var):
        return nan3
    alpha = k / (k - 1) * (1.0 - item_var / total_var)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1.0 - confidence) / 2.0
    ci_low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - tail, df1, df2)
    ci_high = 1.0 - (1.0 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(alpha), float(ci_low), float(ci_high)


_PSI_LOWER = 0.005  # psych::fa lower bound for the uniquenesses (minres)


def _omega_total(x: np.ndarray) -> tuple[float, bool]:
    """McDonald's omega total from a one-factor minres (ULS) model.

    Returns ``(omega, heywood)``; ``heywood`` is True when a uniqueness sits
    on the 0.005 lower bound (Heywood case).
    """
    n, k = x.shape
    if n < 3 or k < 3:
        return np.nan, False
    sd = x.std(axis=0, ddof=1)
    if not np.all(sd > 0):
        return np.nan, False
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = np.corrcoef(x, rowvar=False)
        if not np.all(np.isfinite(r)):
            return np.nan, False
        idx = np.diag_indices(k)

        def top_factor(psi):
            s = r.copy()
            s[idx] -= psi
            ev, vec = np.linalg.eigh(s)
            lam = vec[:, -1] * np.sqrt(max(ev[-1], 0.0))
            return s, lam

        def objective(psi):
            s, lam = top_factor(psi)
            resid = s - np.outer(lam, lam)
            # ULS criterion; its gradient is the diagonal residual, as in
            # psych:::FAgr.minres.
            return 0.5 * float(np.sum(resid**2)), -np.diag(resid).copy()

        try:
            smc = 1.0 - 1.0 / np.diag(np.linalg.inv(r))
        except np.linalg.LinAlgError:
            smc = np.full(k, 0.5)
        if not np.all(np.isfinite(smc)):
            smc = np.full(k, 0.5)
        start = np.clip(1.0 - smc, _PSI_LOWER, 1.0)
        res = optimize.minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(_PSI_LOWER, 1.0)] * k,
            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000},
        )
        _, lam = top_factor(res.x)
        if lam.sum() < 0:
            lam = -lam
        # psych::omega(flip=TRUE): reverse the items loading negatively.
        key = np.where(lam < 0, -1.0, 1.0)
        vt = float((r * np.outer(key, key)).sum())
        omega = (vt - float(np.sum(1.0 - lam**2))) / vt
    heywood = bool(np.any(res.x <= _PSI_LOWER * (1 + 1e-6)))
    if not np.isfinite(omega):
        return np.nan, False
    return float(omega), heywood


def cronbach_alpha_by(
    responses: pd.DataFrame,
    dv: str = "value",
    within: str = "wave",
    subject: str = "candidate",
    item: str = "item",
    dimension: str = "dimension",
    waves: Sequence | None = None,
    status: str | None = "status",
    confidence: float = 0.95,
    omega: bool = True,
) -> pd.DataFrame:
    """Cronbach's alpha (with Feldt CI) and McDonald's omega per dimension x wave.

    Parameters
    ----------
    responses : pandas.DataFrame
        Long ``responses`` table: one row per candidate x wave x item.
    dv : str
        Column with the recoded item value (higher is better). Default
        ``"value"``.
    within, subject, item, dimension : str
        Columns with the wave, the candidate, the item and the item's
        dimension.
    waves : list, optional
        Waves to report, in order. Default: the ordered categories of
        ``within``, else its sorted values. A listed wave without data gives a
        row with ``n = 0`` and NaN statistics.
    status : str or None
        Column with the answer status; when present, only rows whose status is
        ``"answered"`` count as answered. ``None`` uses ``dv`` alone (non-null
        is answered).
    confidence : float
        Confidence level of the alpha interval (default 0.95).
    omega : bool
        Also compute McDonald's omega total (default True).

    Returns
    -------
    pandas.DataFrame
        One row per dimension x wave with columns

        * ``dimension``, ``wave`` (ordered categorical; names follow the
          ``dimension`` and ``within`` arguments),
        * ``n``: candidates who answered **all** items of the dimension at
          that wave (listwise deletion); only those enter the statistics,
        * ``n_items``: items of the dimension (every item seen for it in
          ``responses``),
        * ``alpha``, ``ci_low``, ``ci_high``: Cronbach's alpha and its Feldt
          confidence interval,
        * ``omega``, ``heywood`` (when ``omega=True``): McDonald's omega total
          and whether the one-factor solution is a Heywood case.

        Statistics are NaN when undefined: fewer than 2 complete candidates
        or 2 items (3 of each for omega), zero total variance (everybody
        gave the same answers), an item with zero variance (omega only).

    Notes
    -----
    Cronbach's alpha of :math:`k` items with covariance matrix :math:`C`
    (sample covariances, ddof = 1) is

    .. math::

        \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr}(C)}
        {\\mathbf{1}^\\top C \\mathbf{1}}\\right)

    The confidence interval is Feldt's F-based interval, the one used by
    :func:`pingouin.cronbach_alpha` and R ``psych::alpha.ci``: with
    :math:`df_1 = n-1`, :math:`df_2 = (n-1)(k-1)`,

    .. math::

        \\left[1 - (1-\\hat\\alpha) F_{1-\\gamma/2}(df_1, df_2),\\;
        1 - (1-\\hat\\alpha) F_{\\gamma/2}(df_1, df_2)\\right]

    where :math:`\\gamma = 1 - \\text{confidence}` and :math:`F_p` is the
    :math:`p` quantile of the F distribution.

    Omega total follows R ``psych::omega(x, nfactors = 1)$omega.tot``: a
    one-factor model is fitted to the Pearson correlation matrix :math:`R` by
    minimum residual (unweighted least squares; uniquenesses
    :math:`\\psi_i` bounded to [0.005, 1] as in ``psych::fa``), items with a
    negative loading are reversed (``flip = TRUE``), and

    .. math::

        \\omega_t = \\frac{\\mathbf{1}^\\top R \\mathbf{1} - \\sum_i (1 - \\lambda_i^2)}
        {\\mathbf{1}^\\top R \\mathbf{1}}

    It matches psych to about 1e-7 when no uniqueness is at its lower bound.
    In Heywood cases (``heywood`` True) psych's own optimizer stops at a
    slightly different point (differences of the order of 1e-4) and the
    value should not be trusted anyway.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
    tests. *Psychometrika*, 16, 297-334.

    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical
    inference for coefficient alpha. *Applied Psychological Measurement*, 11,
    93-103.

    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.

    Revelle, W. psych: Procedures for Psychological, Psychometric, and
    Personality Research (R package), functions ``alpha``, ``alpha.ci``,
    ``omega``.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.reliability import cronbach_alpha_by
    >>> values = [[3, 4, 3], [2, 2, 3], [5, 4, 4], [1, 2, 1], [4, 5, 5]]
    >>> responses = pd.DataFrame(
    ...     [(f"c{i}", "T1", f"q{j}", "D", v, "answered")
    ...      for i, row in enumerate(values) for j, v in enumerate(row)],
    ...     columns=["candidate", "wave", "item", "dimension", "value", "status"])
    >>> cronbach_alpha_by(responses)[["dimension", "wave", "n", "alpha"]].round(4)
      dimension wave  n   alpha
    0         D   T1  5  0.9364
    """
    check_columns(responses, [dv, within, subject, item, dimension], "responses")
    waves = wave_order(responses, within, waves)
    dims = level_order(responses[dimension])

    use_status = status is not None and status in responses.columns
    keep = [dimension, within, subject, item, dv] + ([status] if use_status else [])
    d = responses.loc[responses[within].isin(waves), keep].reset_index(drop=True)
    d[within] = d[within].astype(object)
    d["_value"] = as_float(d[dv])
    if use_status:
        d["_value"] = d["_value"].where(d[status] == "answered")
    if d.duplicated([subject, within, item]).any():
        dup = d.loc[d.duplicated([subject, within, item], keep=False)].head()
        raise ValueError(f"responses has several rows for the same {subject} x {within} x {item}:\n{dup}")

    # Items of each dimension: every item seen for it (any wave, answered or not).
    items_of = {
        dim: sorted(pd.unique(block[item]))
        for dim, block in responses.groupby(dimension, observed=True, sort=False)
    }
    groups = {key: block for key, block in d.groupby([dimension, within], observed=True, sort=False)}

    rows = []
    for dim in dims:
        items = items_of.get(dim, [])
        for wave in waves:
            block = groups.get((dim, wave))
            if block is None or not items:
                x = np.empty((0, len(items)))
            else:
                wide = block.pivot(index=subject, columns=item, values="_value").reindex(columns=items)
                x = wide.to_numpy(dtype=float)
                x = x[~np.isnan(x).any(axis=1)]
            alpha, ci_low, ci_high = _alpha_feldt(x, confidence)
            row = {
                dimension: dim,
                within: wave,
                "n": int(x.shape[0]),
                "n_items": len(items),
                "alpha": alpha,
                "ci_low": ci_low,
                "ci_high": ci_high,
            }
            if omega:
                row["omega"], row["heywood"] = _omega_total(x)
            rows.append(row)
    columns = [dimension, within, "n", "n_items", "alpha", "ci_low", "ci_high"]
    if omega:
        columns += ["omega", "heywood"]
    out = pd.DataFrame(rows, columns=columns)
    out[within] = wave_categorical(out[within], waves)
    return out


# ---------------------------------------------------------------------------
# Jacobson-Truax reliable change
# ---------------------------------------------------------------------------


def _reliability_lookup(reliability, dimension: str, within: str, column: str):
    """Return a function ``(dim, wave) -> reliability`` from the accepted inputs."""
    if isinstance(reliability, pd.DataFrame):
        check_columns(reliability, [dimension, within, column], "reliability")
        keys = zip(reliability[dimension].astype(object), reliability[within].astype(object))
        table = {}
        for key, val in zip(keys, as_float(reliability[column])):
            if key in table:
                raise ValueError(f"reliability has several rows for {dimension} x {within} = {key}")
            table[key] = val
        return lambda dim, wave: table.get((dim, wave), np.nan)
    if isinstance(reliability, Mapping):
        return lambda dim, wave: float(reliability.get(dim, np.nan))
    if np.isscalar(reliability):
        value = float(reliability)
        return lambda dim, wave: value
    raise TypeError("reliability must be a DataFrame (dimension, wave, alpha), a mapping or a number")


#: The classes of :func:`change_class`, from the best to the worst.
CHANGE_CLASSES = ("improved", "no_change", "deteriorated")


def change_class(rci, critical: float = 1.96) -> np.ndarray:
    """Reliable-change class of each RCI value (Jacobson & Truax, 1991).

    Scores are recoded so that higher is better::

        improved       if RCI >  c
        deteriorated   if RCI < -c
        no_change      if -c <= RCI <= c
        missing        if RCI is NaN (no SE of the difference)

    with ``c = critical``.

    Parameters
    ----------
    rci : array-like of float
        Reliable change indices ``(x_to - x_from) / SE_diff``.
    critical : float
        Critical value (default 1.96, two-sided 5%).

    Returns
    -------
    numpy.ndarray of object
        ``"improved"``, ``"no_change"``, ``"deteriorated"`` (see
        :data:`CHANGE_CLASSES`) or NaN, one per value.

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical
    approach to defining meaningful change in psychotherapy research.
    *Journal of Consulting and Clinical Psychology*, 59(1), 12-19.

    Examples
    --------
    >>> from impactlib.stats.reliability import change_class
    >>> change_class([2.5, 1.96, -0.3, -1.97, float("nan")]).tolist()
    ['improved', 'no_change', 'no_change', 'deteriorated', nan]
    """
    z = np.asarray(rci, dtype=float)
    out = np.full(z.shape, np.nan, dtype=object)
    out[z > critical] = "improved"
    out[np.abs(z) <= critical] = "no_change"
    out[z < -critical] = "deteriorated"
    return out


def reliable_change(
    scores: pd.DataFrame,
    reliability,
    dv: str = "score",
    within: str = "wave",
    subject: str = "candidate",
    dimension: str = "dimension",
    waves: Sequence | None = None,
    pairs: Sequence | None = None,
    reliability_col: str = "alpha",
    critical: float = 1.96,
) -> pd.DataFrame:
    """Jacobson-Truax reliable change per dimension and ordered wave pair.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long ``scores`` table: one row per candidate x wave x dimension.
    reliability : pandas.DataFrame, mapping or float
        Reliability of each dimension at each wave. Usually the output of
        :func:`cronbach_alpha_by` (columns ``dimension``, ``wave`` and
        ``reliability_col``); a mapping ``{dimension: reliability}`` or a
        single number applies to every wave.
    dv, within, subject, dimension : str
        Columns with the score, the wave, the candidate and the dimension.
    waves : list, optional
        Waves in order (default: ordered categories of ``within``, else
        sorted values).
    pairs : list of (from, to) tuples, optional
        Wave pairs to compare. Default: every ordered pair of ``waves``
        (T1>T2, T1>T3, T2>T3 for three waves).
    reliability_col : str
        Column of ``reliability`` to use (``"alpha"``; ``"omega"`` also works).
    critical : float
        Critical value of the RCI (default 1.96, two-sided 5%).

    Returns
    -------
    pandas.DataFrame
        One row per dimension x wave pair with columns ``dimension``,
        ``from_wave``, ``to_wave`` (ordered categoricals), ``n`` (candidates
        with a score at both waves), ``pct_reliable_improvement``,
        ``pct_no_reliable_change``, ``pct_reliable_deterioration``
        (percentages 0-100 of ``n``), ``se_diff``, ``sd_from`` and
        ``alpha_from``. The percentages are NaN when ``n`` is 0 or when
        ``se_diff`` is not a positive number (fewer than two scores at the
        from-wave, zero SD, reliability missing or >= 1).

    Notes
    -----
    Following Jacobson & Truax (1991), for each candidate with a score at
    both waves

    .. math::

        RCI = \\frac{x_{to} - x_{from}}{SE_{diff}}, \\qquad
        SE_{diff} = SD_{from}\\,\\sqrt{2}\\,\\sqrt{1 - r_{from}}

    where :math:`SD_{from}` is the SD (ddof = 1) of the dimension score over
    *all* candidates scored at the from-wave (not only those scored at both
    waves) and :math:`r_{from}` the reliability at the from-wave. Scores are
    recoded so that higher is better: :math:`RCI > c` is a reliable
    improvement, :math:`RCI < -c` a reliable deterioration, anything else no
    reliable change (:math:`c` = ``critical``).

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical
    approach to defining meaningful change in psychotherapy research.
    *Journal of Consulting and Clinical Psychology*, 59(1), 12-19.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.reliability import reliable_change
    >>> scores = pd.DataFrame({
    ...     "candidate": ["a", "b", "c", "d"] * 2,
    ...     "wave": ["T1"] * 4 + ["T2"] * 4,
    ...     "dimension": "D",
    ...     "score": [2.0, 3.0, 4.0, 3.0, 4.5, 3.0, 3.5, 4.0]})
    >>> out = reliable_change(scores, reliability=0.8)
    >>> out[["from_wave", "to_wave", "n", "pct_reliable_improvement", "se_diff"]].round(4)
      from_wave to_wave  n  pct_reliable_improvement  se_diff
    0        T1      T2  4                      25.0   0.5164
    """
    waves = wave_order(scores, within, waves)
    pairs = wave_pairs(waves, pairs)
    wide = wide_scores(scores, dv, within, subject, dimension, waves)
    rel = _reliability_lookup(reliability, dimension, within, reliability_col)

    rows = []
    for dim, w in wide.items():
        for a, b in pairs:
            x_from = w[a].to_numpy()
            x_from = x_from[~np.isnan(x_from)]
            sd_from = float(np.std(x_from, ddof=1)) if x_from.size >= 2 else np.nan
            alpha_from = float(rel(dim, a))
            if np.isfinite(alpha_from) and alpha_from <= 1:
                se_diff = sd_from * np.sqrt(2.0) * np.sqrt(1.0 - alpha_from)
            else:
                se_diff = np.nan
            both = w[[a, b]].dropna().to_numpy()
            n = int(both.shape[0])
            pct = (np.nan, np.nan, np.nan)
            if n > 0 and np.isfinite(se_diff) and se_diff > 0:
                classes = change_class((both[:, 1] - both[:, 0]) / se_diff, critical)
                pct = tuple(float(np.mean(classes == c)) * 100.0 for c in CHANGE_CLASSES)
            rows.append(
                {
                    dimension: dim,
                    "from_wave": a,
                    "to_wave": b,
                    "n": n,
                    "pct_reliable_improvement": pct[0],
                    "pct_no_reliable_change": pct[1],
                    "pct_reliable_deterioration": pct[2],
                    "se_diff": se_diff,
                    "sd_from": sd_from,
                    "alpha_from": alpha_from,
                }
            )
    columns = [
        dimension, "from_wave", "to_wave", "n", "pct_reliable_improvement",
        "pct_no_reliable_change", "pct_reliable_deterioration", "se_diff", "sd_from", "alpha_from",
    ]
    out = pd.DataFrame(rows, columns=columns)
    out["from_wave"] = wave_categorical(out["from_wave"], waves)
    out["to_wave"] = wave_categorical(out["to_wave"], waves)
    return out


# ---------------------------------------------------------------------------
# Candidate-level reliable change (for drawing only)
# ---------------------------------------------------------------------------

POINT_COLUMNS = ["dimension", "from_wave", "to_wave", "score_from", "score_to", "rci", "change"]


def rci_points(
    scores: pd.DataFrame,
    rci: pd.DataFrame,
    dv: str = "score",
    within: str = "wave",
    subject: str = "candidate",
    dimension: str = "dimension",
    critical: float = 1.96,
) -> pd.DataFrame:
    """Candidate by candidate: both scores, the RCI and its class, per row of an ``rci`` table.

    For each row of ``rci`` (one dimension and wave pair, with its
    ``se_diff``), every candidate with a score at both waves gives a row::

        rci = (score_to - score_from) / se_diff
        change = change_class(rci, critical)

    the same classification as the percentages of :func:`reliable_change`,
    so the points of a row of ``rci`` classed ``"improved"`` are
    ``pct_reliable_improvement`` percent of its ``n`` (when ``critical`` is
    the same). ``rci`` and ``change`` are NaN when ``se_diff`` is not a
    positive number.

    The frame holds one row per candidate but no candidate id: it is meant
    to be drawn (:func:`impactlib.report.figures.rci_scatter`), never to be
    written with the shareable results.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long ``scores`` table: one row per candidate x wave x dimension.
    rci : pandas.DataFrame
        The table of :func:`reliable_change` (columns ``dimension``,
        ``from_wave``, ``to_wave``, ``se_diff``), or some of its rows.
    dv, within, subject, dimension : str
        Columns of ``scores`` with the score, the wave, the candidate and
        the dimension (``rci`` names its dimension column the same way).
    critical : float
        Critical value of the RCI (default 1.96, as :func:`reliable_change`).

    Returns
    -------
    pandas.DataFrame
        Columns ``dimension``, ``from_wave``, ``to_wave`` (as in ``rci``),
        ``score_from``, ``score_to``, ``rci`` (float) and ``change``
        (``"improved"``, ``"no_change"``, ``"deteriorated"`` or NaN); rows
        in the order of ``rci``, then of the candidate ids.

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical
    approach to defining meaningful change in psychotherapy research.
    *Journal of Consulting and Clinical Psychology*, 59(1), 12-19.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.reliability import rci_points, reliable_change
    >>> scores = pd.DataFrame({
    ...     "candidate": ["a", "b", "c", "d"] * 2,
    ...     "wave": ["T1"] * 4 + ["T2"] * 4,
    ...     "dimension": "D",
    ...     "score": [2.0, 3.0, 4.0, 3.0, 4.5, 3.0, 3.5, 4.0]})
    >>> table = reliable_change(scores, reliability=0.8)
    >>> rci_points(scores, table)[["score_from", "score_to", "rci", "change"]].round(3)
       score_from  score_to    rci     change
    0         2.0       4.5  4.841   improved
    1         3.0       3.0  0.000  no_change
    2         4.0       3.5 -0.968  no_change
    3         3.0       4.0  1.936  no_change
    """
    check_columns(rci, [dimension, "from_wave", "to_wave", "se_diff"], "rci")
    keys = rci[[dimension, "from_wave", "to_wave"]].astype(object)
    waves = list(dict.fromkeys(list(keys["from_wave"]) + list(keys["to_wave"])))
    wide = wide_scores(scores, dv, within, subject, dimension, waves) if waves else {}
    frames = []
    for (dim, a, b), se in zip(keys.itertuples(index=False), as_float(rci["se_diff"])):
        w = wide.get(dim)
        if w is None or len(w) == 0:
            continue
        both = w[[a, b]].dropna().to_numpy()
        if np.isfinite(se) and se > 0:
            z = (both[:, 1] - both[:, 0]) / se
        else:
            z = np.full(len(both), np.nan)
        frames.append(pd.DataFrame({dimension: dim, "from_wave": a, "to_wave": b,
                                    "score_from": both[:, 0], "score_to": both[:, 1], "rci": z,
                                    "change": change_class(z, critical)}))
    columns = [dimension] + POINT_COLUMNS[1:]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("score_from", "score_to", "rci") else object)
                             for c in columns})
    out = pd.concat(frames, ignore_index=True)[columns]
    for col in (dimension, "from_wave", "to_wave"):
        if isinstance(rci[col].dtype, pd.CategoricalDtype):
            out[col] = pd.Categorical(out[col], dtype=rci[col].dtype)
    return out
