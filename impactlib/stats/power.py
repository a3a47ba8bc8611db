"""Statistical power of paired (within-candidate) comparisons between waves.

* :func:`power_paired` -- power of the two-sided paired t-test.
* :func:`mdes_paired` -- minimum detectable standardized effect ``d_z`` for
  a number of pairs.
* :func:`n_pairs_for_effect` -- pairs needed to detect ``d_z``.
* :func:`power_table` -- one row per wave pair: observed pairs, MDES, pairs
  and entrants needed for conventional effects.
* :func:`mdes_curve` -- MDES over a range of pairs, per row of a power table
  (the points of the report's power curve).

All functions reproduce R's ``power.t.test(type = "paired")`` with its
default ``strict = FALSE``: the power of the two-sided test counts the upper
rejection tail only (the lower tail, of probability below ``alpha / 2``
under any positive effect, is ignored). Pass ``strict=True`` for the exact
two-tailed power (R ``strict = TRUE``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from impactlib.frames import check_columns, wave_categorical, wave_codes, wave_order, wave_pairs

__all__ = ["power_paired", "mdes_paired", "n_pairs_for_effect", "power_table", "mdes_curve"]

_XTOL = 1e-10


def _check_levels(alpha: float, power: float | None = None) -> None:
    if not 0 < alpha < 1:
        raise ValueError("`alpha` must be in (0, 1).")
    if power is not None and not alpha / 2 < power < 1:
        raise ValueError("`power` must be in (alpha/2, 1).")


def _power(d: float, n: float, alpha: float, strict: bool) -> float:
    """Scalar power of the two-sided paired t-test (no input checks)."""
    df = n - 1
    crit = stats.t.isf(alpha / 2, df)
    ncp = np.sqrt(n) * d
    p = stats.nct.sf(crit, df, ncp)
    if strict:
        p += stats.nct.cdf(-crit, df, ncp)
    return float(p)


def power_paired(d, n_pairs, alpha: float = 0.05, strict: bool = False):
    """Power of the two-sided paired t-test.

    With ``df = n - 1``, ``c = t_{1 - alpha/2, df}`` and noncentrality
    ``lambda = sqrt(n) d_z``::

        power = P(T'_{df, lambda} > c)                      (strict=False, R default)
        power = P(T'_{df, lambda} > c) + P(T'_{df, lambda} < -c)   (strict=True)

    where ``T'`` is noncentral t.

    Parameters
    ----------
    d : float or array_like
        Standardized paired effect ``d_z = mean(diff) / sd(diff)``.
    n_pairs : float or array_like
        Number of pairs (at least 2; NaN is returned below).
    alpha : float
        Two-sided significance level.
    strict : bool
        Count both rejection tails (R ``strict = TRUE``).

    Returns
    -------
    float or numpy.ndarray

    References
    ----------
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral
    Sciences* (2nd ed.), ch. 2. Erlbaum.

    Examples
    --------
    >>> from impactlib.stats.power import power_paired
    >>> # R: power.t.test(n=20, delta=0.5, sd=1, type="paired")$power
    >>> print(round(power_paired(0.5, 20), 6))
    0.564483
    """
    _check_levels(alpha)
    d_arr, n_arr = np.broadcast_arrays(np.asarray(d, dtype=float), np.asarray(n_pairs, dtype=float))
    ok = np.isfinite(d_arr) & np.isfinite(n_arr) & (n_arr >= 2)
    df = np.where(ok, n_arr - 1, 1.0)
    crit = stats.t.isf(alpha / 2, df)
    ncp = np.sqrt(np.where(ok, n_arr, 1.0)) * np.where(ok, d_arr, 0.0)
    p = stats.nct.sf(crit, df, ncp)
    if strict:
        p = p + stats.nct.cdf(-crit, df, ncp)
    out = np.where(ok, p, np.nan)
    return float(out) if out.ndim == 0 else out


def _mdes_one(n: float, alpha: float, power: float, strict: bool) -> float:
    if not np.isfinite(n) or n < 2:
        return np.nan
    f = lambda d: _power(d, n, alpha, strict) - power  # noqa: E731
    hi = 1.0
    while f(hi) < 0:
        hi *= 2.0
    return optimize.brentq(f, 0.0, hi, xtol=_XTOL)


def mdes_paired(n_pairs, alpha: float = 0.05, power: float = 0.80, strict: bool = False):
    """Minimum detectable effect size ``d_z`` of a two-sided paired t-test.

    Solves ``power_paired(d, n) = power`` for ``d > 0`` (Brent's method),
    i.e. with the noncentral t distribution, ``df = n - 1``::

        P(T'_{n-1, sqrt(n) d} > t_{1-alpha/2, n-1}) = power

    This matches R ``power.t.test(n = n, sd = 1, sig.level = alpha,
    power = power, type = "paired")$delta`` (default ``strict = FALSE``:
    upper tail only; R solves with ``uniroot(tol = 1.2e-4)``, this function
    to 1e-10).

    Parameters
    ----------
    n_pairs : int or array_like
        Number of pairs; fewer than 2 gives NaN.
    alpha : float
        Two-sided significance level.
    power : float
        Target power.
    strict : bool
        Count both rejection tails (R ``strict = TRUE``).

    Returns
    -------
    float or numpy.ndarray
        ``d_z`` in standard deviations of the paired differences.

    References
    ----------
    Bloom, H. S. (1995). Minimum detectable effects: a simple way to report
    the statistical power of experimental designs. *Evaluation Review*,
    19(5), 547-556.

    Examples
    --------
    >>> from impactlib.stats.power import mdes_paired
    >>> # R: power.t.test(n=30, sd=1, sig.level=0.05, power=0.8, type="paired")$delta
    >>> print(round(mdes_paired(30), 4))
    0.5292
    """
    _check_levels(alpha, power)
    n_arr = np.asarray(n_pairs, dtype=float)
    uniq, inv = np.unique(n_arr, return_inverse=True)
    sol = np.array([_mdes_one(u, alpha, power, strict) for u in uniq], dtype=float)
    out = sol[inv].reshape(n_arr.shape)
    return float(out) if out.ndim == 0 else out


def _n_one(d: float, alpha: float, power: float, strict: bool) -> float:
    d = abs(d)
    if not np.isfinite(d) or d == 0:
        return np.nan
    f = lambda n: _power(d, n, alpha, strict) - power  # noqa: E731
    if f(2.0) >= 0:
        return 2.0
    hi = 4.0
    while f(hi) < 0:
        hi *= 2.0
    root = optimize.brentq(f, 2.0, hi, xtol=_XTOL)
    n = np.ceil(root)
    # Guard against a root landing a hair above an integer.
    if n - 1 >= 2 and f(n - 1) >= 0:
        n -= 1
    return float(n)


def n_pairs_for_effect(d, alpha: float = 0.05, power: float = 0.80, strict: bool = False):
    """Number of pairs needed to detect ``d_z`` with a two-sided paired t-test.

    The smallest integer ``n >= 2`` with ``power_paired(d, n) >= power``,
    i.e. ``ceiling(power.t.test(delta = d, sd = 1, sig.level = alpha,
    power = power, type = "paired")$n)`` in R (default ``strict = FALSE``).

    Parameters
    ----------
    d : float or array_like
        Standardized paired effect ``d_z`` (sign ignored). 0 or NaN gives
        NaN (no finite sample suffices).
    alpha : float
        Two-sided significance level.
    power : float
        Target power.
    strict : bool
        Count both rejection tails (R ``strict = TRUE``).

    Returns
    -------
    int, float or numpy.ndarray
        An ``int`` for a scalar ``d`` (``nan`` when undefined); a float array
        otherwise.

    References
    ----------
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral
    Sciences* (2nd ed.), ch. 2. Erlbaum.

    Examples
    --------
    >>> from impactlib.stats.power import n_pairs_for_effect
    >>> # R: ceiling(power.t.test(delta=0.5, sd=1, power=0.8, type="paired")$n)
    >>> n_pairs_for_effect(0.5)
    34
    """
    _check_levels(alpha, power)
    d_arr = np.asarray(d, dtype=float)
    uniq, inv = np.unique(np.abs(d_arr), return_inverse=True)
    sol = np.array([_n_one(u, alpha, power, strict) for u in uniq], dtype=float)
    out = sol[inv].reshape(d_arr.shape)
    if out.ndim == 0:
        return int(out) if np.isfinite(out) else np.nan
    return out


def _presence(data, within, subject, waves):
    """Candidate x wave boolean matrix and the wave list."""
    if within in data.columns:
        if subject not in data.columns:
            raise KeyError(f"Column {subject!r} not found in `data`.")
        if waves is None:
            waves = wave_order(data, within)
        waves = list(waves)
        code = wave_codes(data[within], waves)
        keep = (code >= 0) & data[subject].notna().to_numpy()
        s_code, _ = pd.factorize(data.loc[keep, subject])
        present = np.zeros((s_code.max() + 1 if s_code.size else 0, len(waves)), dtype=bool)
        present[s_code, code[keep]] = True
        return present, waves
    # Wide `candidates` table with boolean in_<wave> columns.
    flags = [c for c in data.columns if isinstance(c, str) and c.startswith("in_")]
    if waves is None:
        if not flags:
            raise KeyError(
                f"`data` has neither a {within!r} column nor in_<wave> columns."
            )
        waves = [c[3:] for c in flags]
    waves = list(waves)
    cols = [f"in_{w}" for w in waves]
    check_columns(data, cols, short=True)
    present = data[cols].fillna(False).astype(bool).to_numpy()
    return present, waves


def _ceil(x: np.ndarray) -> np.ndarray:
    """Ceiling robust to floating noise (12.000000000001 -> 12)."""
    return np.ceil(np.round(x, 9))


def power_table(
    data,
    waves: Sequence | None = None,
    retention=None,
    effects: Sequence[float] = (0.2, 0.3, 0.5),
    alpha: float = 0.05,
    power: float = 0.80,
    within: str = "wave",
    subject: str = "candidate",
    strict: bool = False,
) -> pd.DataFrame:
    """Power of the paired comparison of every ordered pair of waves.

    For each wave pair ``i < j``:

    * ``n_pairs``: candidates present at both waves;
    * ``mdes``: :func:`mdes_paired` of ``n_pairs``;
    * ``n_for_d_<d>``: :func:`n_pairs_for_effect` for each effect ``d``;
    * ``retention``: pairs obtained per entrant, i.e. the share of
      first-wave candidates (the first of ``waves``, e.g. T1 entry) present
      at both waves of the pair -- for a pair starting at the first wave,
      the share of first-wave candidates who answered the to-wave::

          retention(i, j) = #{c in W_1 : c in W_i and c in W_j} / #W_1

    * ``entrants_for_d_<d> = ceiling(n_for_d_<d> / retention)``: entrants
      to enrol at the first wave to expect ``n_for_d_<d>`` pairs.

    Parameters
    ----------
    data : pandas.DataFrame or mapping
        One of

        * a long table with ``subject`` and ``within`` columns, one row per
          questionnaire -- the ``questionnaires`` table (the ``responses``
          or ``scores`` tables work too: only presence is used);
        * the wide ``candidates`` table, with boolean ``in_<wave>`` columns
          (used when there is no ``within`` column);
        * a mapping ``{(from_wave, to_wave): n_pairs}`` of pair counts (then
          ``retention`` must be given for the entrant columns, else NaN).
    waves : list, optional
        Waves in order. Default: the ordered Categorical order of
        ``within``, else sorted unique values; the ``in_<wave>`` column order
        for the candidates table; the mapping's key order for counts.
    retention : float or mapping, optional
        Overrides the observed retention: one share for every pair, or
        ``{(from_wave, to_wave): share}``.
    effects : sequence of float
        Effects ``d_z`` for the ``n_for_d_*`` and ``entrants_for_d_*``
        columns (named with ``format(d, "g")``).
    alpha, power, strict
        See :func:`mdes_paired`.
    within, subject : str
        Wave and candidate columns of a long table.

    Returns
    -------
    pandas.DataFrame
        Columns ``from_wave``, ``to_wave``, ``n_pairs``, ``n_first_wave``
        (NaN for counts), ``retention``, ``mdes``, ``n_for_d_<d>`` ...,
        ``entrants_for_d_<d>`` ... (nullable ``Int64``).

    References
    ----------
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral
    Sciences* (2nd ed.). Erlbaum.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.power import power_table
    >>> q = pd.DataFrame({"candidate": list("abcd") + list("ab") + ["a"],
    ...                   "wave": ["T1"] * 4 + ["T2"] * 2 + ["T3"]})
    >>> power_table(q, effects=[0.5])[["from_wave", "to_wave", "n_pairs", "retention",
    ...                                 "n_for_d_0.5", "entrants_for_d_0.5"]]
      from_wave to_wave  n_pairs  retention  n_for_d_0.5  entrants_for_d_0.5
    0        T1      T2        2       0.50           34                  68
    1        T1      T3        1       0.25           34                 136
    2        T2      T3        1       0.25           34                 136
    """
    _check_levels(alpha, power)
    if isinstance(data, Mapping):
        if waves is None:
            waves = list(dict.fromkeys(w for pair in data for w in pair))
        waves = list(waves)
        pairs = wave_pairs(waves)
        n_pairs = np.array([data.get(p, np.nan) for p in pairs], dtype=float)
        n_first = np.full(len(pairs), np.nan)
        observed = np.full(len(pairs), np.nan)
    elif isinstance(data, pd.DataFrame):
        present, waves = _presence(data, within, subject, waves)
        pairs = wave_pairs(waves)
        idx = wave_pairs(range(len(waves)))
        both = np.stack([present[:, i] & present[:, j] for i, j in idx], axis=1) if idx else \
            np.zeros((present.shape[0], 0), dtype=bool)
        n_pairs = both.sum(axis=0).astype(float)
        first = present[:, 0] if len(waves) else np.zeros(0, dtype=bool)
        n1 = float(first.sum())
        n_first = np.full(len(pairs), n1)
        kept = (both & first[:, None]).sum(axis=0).astype(float)
        observed = np.where(n1 > 0, kept / (n1 if n1 > 0 else 1.0), np.nan)
    else:
        raise TypeError("`data` must be a DataFrame or a mapping of pair counts.")

    if retention is None:
        ret = observed
    elif isinstance(retention, Mapping):
        ret = np.array([retention.get(p, np.nan) for p in pairs], dtype=float)
    else:
        ret = np.full(len(pairs), float(retention))
    if np.any((ret < 0) | (ret > 1)):
        raise ValueError("`retention` must be within [0, 1].")

    out = pd.DataFrame(
        {
            "from_wave": wave_categorical([p[0] for p in pairs], waves),
            "to_wave": wave_categorical([p[1] for p in pairs], waves),
            "n_pairs": pd.array(np.where(np.isnan(n_pairs), None, n_pairs), dtype="Int64"),
            "n_first_wave": pd.array(np.where(np.isnan(n_first), None, n_first), dtype="Int64"),
            "retention": ret,
            "mdes": mdes_paired(n_pairs, alpha, power, strict) if len(pairs) else np.zeros(0),
        }
    )
    positive = np.nan_to_num(ret) > 0
    safe_ret = np.where(positive, ret, 1.0)
    needed = {}
    for d in effects:
        n_d = float(n_pairs_for_effect(d, alpha, power, strict))
        name = format(d, "g")
        needed[f"n_for_d_{name}"] = np.full(len(pairs), n_d)
        needed[f"entrants_for_d_{name}"] = np.where(positive, _ceil(n_d / safe_ret), np.nan)
    ordered = [k for k in needed if k.startswith("n_for")] + [k for k in needed if k.startswith("entrants")]
    for k in ordered:
        v = needed[k]
        out[k] = pd.array(np.where(np.isnan(v), None, v), dtype="Int64")
    return out


def mdes_curve(
    power_table: pd.DataFrame,
    alpha: float = 0.05,
    power: float = 0.80,
    strict: bool = False,
    n_min: int = 4,
    n_max: float | None = None,
    points: int = 160,
) -> pd.DataFrame:
    """Minimum detectable effect over a range of pairs, per wave pair of a power table.

    For each row of ``power_table`` with a number of pairs ``n_obs``, the
    grid of pair counts is ``points`` geometrically spaced values from
    ``n_min`` to ``n_max``, rounded to integers (duplicates dropped), and
    each gets ``mdes = mdes_paired(n, alpha, power, strict)``. By default
    the grid reaches beyond both the observed pairs and the pairs needed
    for the table's effects::

        n_max = max(60, 2 n_obs, 1.25 max_d n_for_d)

    Parameters
    ----------
    power_table : pandas.DataFrame
        The table of :func:`power_table` (``from_wave``, ``to_wave``,
        ``n_pairs`` and optionally ``n_for_d_<d>`` columns), or some of its
        rows. Rows without ``n_pairs`` give no points.
    alpha, power, strict
        See :func:`mdes_paired` (those of the table: 0.05 and 0.80).
    n_min : int
        Smallest number of pairs of the grid.
    n_max : float, optional
        Largest number of pairs of the grid (default: the rule above).
    points : int
        Grid size before rounding.

    Returns
    -------
    pandas.DataFrame
        Columns ``from_wave``, ``to_wave`` (as in ``power_table``),
        ``n_pairs`` (int, increasing within a pair) and ``mdes`` (float).

    References
    ----------
    Bloom, H. S. (1995). Minimum detectable effects: a simple way to report
    the statistical power of experimental designs. *Evaluation Review*,
    19(5), 547-556.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.power import mdes_curve
    >>> table = pd.DataFrame({"from_wave": ["T1"], "to_wave": ["T2"], "n_pairs": [30]})
    >>> curve = mdes_curve(table, n_max=60, points=5)  # 4, 7.9, 15.5, 30.5, 60 rounded
    >>> curve.round(4)
      from_wave to_wave  n_pairs    mdes
    0        T1      T2        4  2.1279
    1        T1      T2        8  1.1560
    2        T1      T2       15  0.7780
    3        T1      T2       30  0.5292
    4        T1      T2       60  0.3677
    """
    check_columns(power_table, ["from_wave", "to_wave", "n_pairs"], "power_table")
    needed = [c for c in power_table.columns if str(c).startswith("n_for_d_")]
    frames = []
    for pos in range(len(power_table)):
        row = power_table.iloc[pos]
        n_obs = row["n_pairs"]
        if pd.isna(n_obs):
            continue
        top = n_max
        if top is None:
            top = max([60.0, 2.0 * float(n_obs)]
                      + [1.25 * float(row[c]) for c in needed if pd.notna(row[c])])
        grid = np.unique(np.round(np.geomspace(n_min, top, points)).astype(int))
        frames.append(pd.DataFrame({
            "from_wave": row["from_wave"], "to_wave": row["to_wave"], "n_pairs": grid,
            "mdes": np.asarray(mdes_paired(grid, alpha=alpha, power=power, strict=strict), dtype=float)}))
    if not frames:
        return pd.DataFrame({"from_wave": pd.Series(dtype="str"), "to_wave": pd.Series(dtype="str"),
                             "n_pairs": pd.Series(dtype=np.int64), "mdes": pd.Series(dtype=float)})
    return pd.concat(frames, ignore_index=True)
