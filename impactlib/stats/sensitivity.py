"""Sensitivity of the change to scores missing not at random: delta adjustment.

:func:`impactlib.stats.dimension_change.imputed_change` imputes the missing
scores under *missing at random* (MAR): a candidate without an exit
questionnaire is assumed to have scored like the candidates with the same
earlier answers (and covariates) who did answer. Nothing in the data can
check this. The delta-adjustment (pattern-mixture) analysis asks how far the
assumption may be wrong before the conclusion changes: the imputed exit
scores are shifted by ``delta`` scale points (negative: those without an exit
questionnaire did worse than MAR says), the change is pooled again with
Rubin's rules, and the *tipping point* is the smallest shift at which the 95%
interval of the change reaches 0.

Public functions
----------------
delta_adjusted_change
    Pooled change per dimension x wave pair x ``delta``, with the tipping
    point of each dimension x wave pair.
imputed_change_and_sensitivity
    That table and the ``imputed_change`` table from one imputation pass.
tipping_points
    One row per dimension x wave pair of that table: the change under MAR
    (``delta = 0``) and its tipping point.
default_deltas
    The grid of shifts used by default (0 to -1 point in steps of 0.1 on a
    1-5 scale).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from impactlib.frames import wave_categorical, wave_pairs
from impactlib.stats.dimension_change import (imputation_draws, imputed_rows,
                                              imputed_table, rubin_pool)

__all__ = ["delta_adjusted_change", "imputed_change_and_sensitivity", "tipping_points",
           "default_deltas", "GRID_STEPS", "COLUMNS", "TIPPING_STATUSES"]

#: Steps of the default grid after 0: 0, -0.1, ..., -1.0 on a 1-5 scale.
GRID_STEPS = 10
#: Columns of :func:`delta_adjusted_change`, in order.
COLUMNS = ["dimension", "from_wave", "to_wave", "delta", "estimate", "se", "ci_low", "ci_high",
           "p_value", "df", "n_candidates", "n_imputed", "m", "tipping_delta", "tipping"]
#: Values of the ``tipping`` column.
TIPPING_STATUSES = ("found", "not_needed", "beyond_range", "none_imputed", "undefined")
_XTOL = 1e-10


def default_deltas(scores: pd.DataFrame, dv: str = "score") -> np.ndarray:
    """The default grid of shifts: 0, then :data:`GRID_STEPS` steps downwards.

    The step is 0.1 point when the observed scores span up to 4 points (a
    1-5 scale; 0.1 is the smallest change the report writes with one
    decimal) and scales by powers of ten with the span (1 point for a 0-100
    score): :math:`step = 0.1 \\cdot 10^{\\lfloor \\log_{10}(span / 4) \\rfloor}`
    for a span above 4. The grid stops at ten steps (-1 point on a 1-5 scale:
    a full scale point, more than the mean change usually measured between
    entry and exit); a tipping point further away is still computed
    exactly by :func:`delta_adjusted_change`.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long ``scores`` table.
    dv : str
        Column of the score.

    Returns
    -------
    numpy.ndarray
        ``0, -step, ..., -GRID_STEPS * step``.

    Examples
    --------
    >>> import pandas as pd
    >>> default_deltas(pd.DataFrame({"score": [1.0, 5.0]}))[[0, 1, -1]]
    array([ 0. , -0.1, -1. ])
    >>> default_deltas(pd.DataFrame({"score": [0.0, 100.0]}))[[1, -1]]
    array([ -1., -10.])
    """
    values = pd.to_numeric(scores[dv], errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    span = float(values.max() - values.min()) if values.size else 0.0
    step = 0.1 * 10.0 ** np.floor(np.log10(span / 4.0)) if span > 4.0 else 0.1
    return np.round(-step * np.arange(GRID_STEPS + 1), 12) + 0.0  # + 0.0: no -0.0


def _pool(diff: np.ndarray, shifted: np.ndarray, delta: float, confidence: float) -> dict:
    """Rubin-pooled mean of ``diff`` (m x n) after adding ``delta`` where ``shifted``.

    At ``delta == 0`` the very computation of ``imputed_change`` (same array,
    same operations), so both give the same bits. A dict of the values of
    :func:`~impactlib.stats.dimension_change.pool_rubin`'s Series: it is built
    per delta and per step of the tipping-point search, where a Series would
    cost more than the pooling.
    """
    n = diff.shape[1]
    d = diff if delta == 0 else diff + delta * shifted
    q = d.mean(axis=1)
    u = d.var(axis=1, ddof=1) / n
    pooled = rubin_pool(q, u, df_complete=n - 1, confidence=confidence)
    est, se, df = pooled["estimate"], pooled["se"], pooled["df"]
    pooled["p_value"] = (float(2.0 * stats.t.sf(abs(est / se), df))
                         if se > 0 and np.isfinite(df) and df > 0 else np.nan)
    return pooled


def _tipping(diff, shifted, confidence, at_zero: pd.Series, step: float, reach: float):
    """``(tipping_delta, status)`` of one dimension x wave pair (see delta_adjusted_change)."""
    low, high = at_zero["ci_low"], at_zero["ci_high"]
    if not (np.isfinite(low) and np.isfinite(high)):
        return np.nan, "undefined"
    if low <= 0 <= high:
        return np.nan, "not_needed"
    if not shifted.any():
        return np.nan, "none_imputed"
    # Improvement: the lower bound reaches 0 as delta goes down; worsening: the
    # upper bound as delta goes up. g > 0 while the conclusion holds.
    sign, key = (-1.0, "ci_low") if low > 0 else (1.0, "ci_high")

    def g(delta):
        return -sign * _pool(diff, shifted, delta, confidence)[key]

    last = 0.0
    for k in range(1, int(np.ceil(reach / step - 1e-9)) + 1):
        delta = sign * min(k * step, reach)
        value = g(delta)
        if not np.isfinite(value):
            return np.nan, "undefined"
        if value <= 0:
            return float(optimize.brentq(g, last, delta, xtol=_XTOL)), "found"
        last = delta
    return np.nan, "beyond_range"


def delta_adjusted_change(
    scores: pd.DataFrame,
    candidates: pd.DataFrame | None = None,
    covariates: Sequence[str] | str | None = None,
    dv: str = "score",
    within: str = "wave",
    subject: str = "candidate",
    dimension: str = "dimension",
    waves: Sequence | None = None,
    pairs: Sequence | None = None,
    deltas: Sequence[float] | None = None,
    m: int = 20,
    seed=None,
    confidence: float = 0.95,
    ridge: float = 1e-5,
) -> pd.DataFrame:
    """Change per dimension when the imputed later scores are shifted by ``delta``.

    Parameters
    ----------
    scores, candidates, covariates, dv, within, subject, dimension, waves, m, seed, confidence, ridge
        As :func:`impactlib.stats.dimension_change.imputed_change`, whose
        imputations are reused: the same arguments give the same draws, so
        the rows at ``delta = 0`` equal its estimates to the bit.
    pairs : list of (from, to) tuples, optional
        Wave pairs; default the first wave to the last (entry to exit).
    deltas : sequence of float, optional
        Shifts in scale points (default :func:`default_deltas`: 0, -0.1, ...,
        -1.0 on a 1-5 scale). 0 is added when missing: the tipping point is
        searched from it.

    Returns
    -------
    pandas.DataFrame
        One row per dimension x wave pair x delta (:data:`COLUMNS`):
        ``dimension``, ``from_wave``, ``to_wave``, ``delta``, ``estimate``
        (pooled mean change), ``se``, ``ci_low``, ``ci_high``, ``p_value``
        (pooled t test against 0 on ``df``), ``df`` (Barnard-Rubin),
        ``n_candidates`` (candidates with a first-wave score: the sample),
        ``n_imputed`` (of them, without a score at ``to_wave``: those whose
        imputed score is shifted), ``m``, and per dimension x wave pair
        (repeated on its rows) ``tipping_delta`` and ``tipping``:

        * ``found``: the conclusion at ``delta = 0`` (an interval above 0,
          or below 0) is lost at ``tipping_delta`` (negative for an
          improvement, positive for a worsening), where the interval's bound
          is exactly 0;
        * ``not_needed``: the interval holds 0 already at ``delta = 0``: no
          change is shown, there is no conclusion to overturn;
        * ``beyond_range``: the conclusion holds for every shift up to the
          span of the dimension's observed scores;
        * ``none_imputed``: nobody was imputed at ``to_wave``: delta changes
          nothing;
        * ``undefined``: no interval at ``delta = 0`` (too few candidates,
          a wave that could not be imputed).

    Notes
    -----
    In completed data set :math:`j` (:math:`j = 1..m`) the change of
    candidate :math:`i` is :math:`d_{ij} = y_{ij,to} - y_{i,from}`; let
    :math:`s_i = 1` when :math:`y_{i,to}` was imputed (missing at the later
    wave), else 0, and :math:`n_s = \\sum_i s_i`. The delta-adjusted change
    is :math:`d_{ij}(\\delta) = d_{ij} + \\delta s_i` (the imputed scores
    under MAR, shifted after imputation: Carpenter & Kenward 2013, ch. 10;
    Ratitch et al. 2013), pooled with :func:`pool_rubin` exactly as
    ``imputed_change`` (:math:`\\nu_{com} = n - 1`):

    .. math::

        \\bar Q(\\delta) = \\bar Q(0) + \\delta \\frac{n_s}{n}, \\qquad
        B(\\delta) = B(0),

    .. math::

        U_j(\\delta) = \\frac{S_{dd,j} + 2\\delta S_{ds,j}
                       + \\delta^2 n_s (n - n_s) / n}{n (n - 1)}

    with :math:`S_{dd,j} = \\sum_i (d_{ij} - \\bar d_j)^2` and
    :math:`S_{ds,j} = \\sum_i (d_{ij} - \\bar d_j)(s_i - \\bar s)`. The
    estimate is linear in :math:`\\delta`, but the within-imputation variance
    is not constant (only some candidates are shifted), so neither is
    :math:`T(\\delta) = \\bar U(\\delta) + (1 + 1/m) B`, nor the
    Barnard-Rubin df: the interval widens as :math:`|\\delta|` grows and the
    tipping point has no closed form. It is the root of the bound nearest
    0, :math:`L(\\delta) = \\bar Q(\\delta) - t_{\\nu(\\delta)}\\sqrt{T(\\delta)}`
    for an improvement, found by Brent's method (``xtol`` 1e-10) between the
    last step of a scan (at the grid's step, outwards from 0) where the
    conclusion holds and the first where it does not. For a fixed df,
    :math:`\\sqrt{T(\\delta)}` is convex and :math:`L` concave, so the shifts
    keeping the conclusion form one interval around 0 and the scan cannot
    step over a root. The scan stops at the span of the dimension's
    observed scores (a larger shift has no meaning on the scale).

    The same draws serve every delta (shifting after imputation, not inside
    the imputation model: the later waves' scores used as predictors of
    the next are the MAR ones), so the curve is smooth and the same seed
    gives the same table. The shift applies to every candidate without a
    score at ``to_wave``, whether they left the programme or had not yet
    answered; which shift is plausible is a judgement on those candidates,
    not something the data can tell (NRC 2010).

    References
    ----------
    Carpenter, J. R., & Kenward, M. G. (2013). *Multiple Imputation and its
    Application*, ch. 10. Wiley.

    Ratitch, B., O'Kelly, M., & Tosiello, R. (2013). Missing data in clinical
    trials: from clinical assumptions to statistical analysis using pattern
    mixture models. *Pharmaceutical Statistics*, 12, 337-347.

    National Research Council (2010). *The Prevention and Treatment of
    Missing Data in Clinical Trials*. National Academies Press.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from impactlib.stats.sensitivity import delta_adjusted_change
    >>> rng = np.random.default_rng(1)
    >>> t1 = rng.normal(3, 0.8, 200)
    >>> t2 = t1 + 0.3 + rng.normal(0, 0.4, 200)
    >>> t2[rng.random(200) < 0.3] = np.nan
    >>> scores = pd.DataFrame({"candidate": np.tile(np.arange(200), 2),
    ...     "wave": ["T1"] * 200 + ["T2"] * 200, "dimension": "D",
    ...     "score": np.r_[t1, t2]})
    >>> out = delta_adjusted_change(scores, m=10, seed=42)
    >>> out[["delta", "estimate"]].iloc[[0, -1]].round(2).to_numpy().tolist()
    [[0.0, 0.26], [-1.0, -0.02]]
    >>> out["tipping"].iloc[0], round(float(out["tipping_delta"].iloc[0]), 2)
    ('found', -0.68)
    """
    if int(m) < 2:
        raise ValueError("m must be at least 2")
    m = int(m)
    grid, step = _delta_grid(scores, dv, deltas)
    waves, _, draws = imputation_draws(scores, candidates, covariates, dv, within, subject,
                                        dimension, waves, m, seed, ridge)
    pairs = _sensitivity_pairs(waves, pairs)
    blocks = []
    for dim, observed, completed in draws:
        blocks.extend(_delta_blocks(dim, observed, completed, waves, pairs, grid, step, m,
                                    confidence))
    return _delta_table(blocks, waves)


def imputed_change_and_sensitivity(
    scores: pd.DataFrame,
    candidates: pd.DataFrame | None = None,
    covariates: Sequence[str] | str | None = None,
    dv: str = "score",
    within: str = "wave",
    subject: str = "candidate",
    dimension: str = "dimension",
    waves: Sequence | None = None,
    pairs: Sequence | None = None,
    sensitivity_pairs: Sequence | None = None,
    deltas: Sequence[float] | None = None,
    m: int = 20,
    seed=None,
    confidence: float = 0.95,
    ridge: float = 1e-5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`~impactlib.stats.dimension_change.imputed_change` and
    :func:`delta_adjusted_change` from one imputation pass.

    Both functions impute the same data sets from the same seed; this one
    draws them once (one dimension in memory at a time) and gives each
    dimension's completed data sets to both tables.

    Parameters
    ----------
    scores, candidates, covariates, dv, within, subject, dimension, waves, m, seed, confidence, ridge
        As :func:`~impactlib.stats.dimension_change.imputed_change`.
    pairs : list of (from, to) tuples, optional
        Wave pairs of the ``imputed_change`` table (default every ordered pair).
    sensitivity_pairs : list of (from, to) tuples, optional
        Wave pairs of the delta-adjusted table (default the first wave to the last).
    deltas : sequence of float, optional
        As :func:`delta_adjusted_change`.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The table of ``imputed_change(..., pairs=pairs)`` and that of
        ``delta_adjusted_change(..., pairs=sensitivity_pairs, deltas=deltas)``
        with the same other arguments, equal to them to the bit.

    Notes
    -----
    The draws are those of ``imputed_change`` (one ``SeedSequence(seed)``
    child per dimension, in the order of the dimensions): see its Notes for
    the imputation model and Rubin's rules, and :func:`delta_adjusted_change`
    for the shift and the tipping point.

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*.
    Wiley.

    Carpenter, J. R., & Kenward, M. G. (2013). *Multiple Imputation and its
    Application*, ch. 10. Wiley.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from impactlib.stats.dimension_change import imputed_change
    >>> from impactlib.stats.sensitivity import (delta_adjusted_change,
    ...                                          imputed_change_and_sensitivity)
    >>> rng = np.random.default_rng(1)
    >>> t1 = rng.normal(3, 0.8, 200)
    >>> t2 = t1 + 0.3 + rng.normal(0, 0.4, 200)
    >>> t2[rng.random(200) < 0.3] = np.nan
    >>> scores = pd.DataFrame({"candidate": np.tile(np.arange(200), 2),
    ...     "wave": ["T1"] * 200 + ["T2"] * 200, "dimension": "D",
    ...     "score": np.r_[t1, t2]})
    >>> mar, shifted = imputed_change_and_sensitivity(scores, m=10, seed=42)
    >>> mar.equals(imputed_change(scores, m=10, seed=42))
    True
    >>> shifted.equals(delta_adjusted_change(scores, m=10, seed=42))
    True
    """
    if int(m) < 2:
        raise ValueError("m must be at least 2")
    m = int(m)
    grid, step = _delta_grid(scores, dv, deltas)
    waves, reported_seed, draws = imputation_draws(
        scores, candidates, covariates, dv, within, subject, dimension, waves, m, seed, ridge)
    mar_pairs = wave_pairs(waves, pairs)
    shift_pairs = _sensitivity_pairs(waves, sensitivity_pairs)
    rows, blocks = [], []
    for dim, observed, completed in draws:
        rows.extend(imputed_rows(dim, observed, completed, waves, mar_pairs, m, reported_seed,
                                  confidence, dimension))
        blocks.extend(_delta_blocks(dim, observed, completed, waves, shift_pairs, grid, step, m,
                                    confidence))
    return imputed_table(rows, waves, dimension), _delta_table(blocks, waves)


def _delta_grid(scores: pd.DataFrame, dv: str, deltas) -> tuple[np.ndarray, float]:
    """The shifts (0 added when missing) and the step of the scan for the tipping point."""
    grid = default_deltas(scores, dv) if deltas is None else np.asarray(deltas, dtype=float).ravel()
    if not np.all(np.isfinite(grid)):
        raise ValueError("deltas must be finite numbers")
    grid = grid if (grid == 0).any() else np.r_[0.0, grid]
    grid = grid + 0.0
    nonzero = np.abs(grid[grid != 0])
    # the scan for the tipping point goes at the grid's step (the default's without one)
    step = float(nonzero.min()) if nonzero.size else -float(default_deltas(scores, dv)[1])
    return grid, step


def _sensitivity_pairs(waves, pairs):
    """Wave pairs of :func:`delta_adjusted_change`: default the first wave to the last."""
    if pairs is None:
        pairs = [(waves[0], waves[-1])] if len(waves) > 1 else []
    return wave_pairs(waves, pairs)


def _delta_blocks(dim, observed, completed, waves, pairs, grid, step, m, confidence) -> list:
    """Rows of :func:`delta_adjusted_change` for one dimension, one frame per wave pair."""
    pos = {w: i for i, w in enumerate(waves)}
    blocks = []
    n = observed.shape[0]
    seen = completed[0][observed] if m and n else np.empty(0)
    reach = float(seen.max() - seen.min()) if seen.size else 0.0
    for a, b in pairs:
        ia, ib = pos[a], pos[b]
        diff = completed[:, :, ib] - completed[:, :, ia]  # m x n, as imputed_change
        shifted = ~observed[:, ib]
        block = pd.DataFrame({"delta": grid})
        if n >= 2 and np.all(np.isfinite(diff)):
            pooled = pd.DataFrame([_pool(diff, shifted, d, confidence) for d in grid])
            at_zero = pooled.loc[int(np.flatnonzero(grid == 0)[0])]
            tip, status = _tipping(diff, shifted, confidence, at_zero, step, reach)
        else:
            pooled = pd.DataFrame(np.nan, index=range(grid.size),
                                  columns=["estimate", "se", "ci_low", "ci_high", "p_value",
                                           "df"])
            tip, status = np.nan, "undefined"
        block[["estimate", "se", "ci_low", "ci_high", "p_value", "df"]] = pooled[
            ["estimate", "se", "ci_low", "ci_high", "p_value", "df"]].to_numpy(dtype=float)
        blocks.append(block.assign(dimension=dim, from_wave=a, to_wave=b, n_candidates=n,
                                   n_imputed=int(shifted.sum()), m=m, tipping_delta=tip,
                                   tipping=status))
    return blocks


def _delta_table(blocks: list, waves) -> pd.DataFrame:
    """The :func:`delta_adjusted_change` table from the blocks of every dimension."""
    out = (pd.concat(blocks, ignore_index=True) if blocks
           else pd.DataFrame(columns=COLUMNS))[COLUMNS]
    out["from_wave"] = wave_categorical(out["from_wave"], waves)
    out["to_wave"] = wave_categorical(out["to_wave"], waves)
    return out


def tipping_points(table: pd.DataFrame) -> pd.DataFrame:
    """One row per dimension x wave pair of a :func:`delta_adjusted_change` table.

    Parameters
    ----------
    table : pandas.DataFrame
        The table of :func:`delta_adjusted_change` (or the
        ``change_sensitivity`` results table).

    Returns
    -------
    pandas.DataFrame
        Its rows at ``delta == 0`` (the change under missing at random) with
        ``dimension``, ``from_wave``, ``to_wave``, ``estimate``, ``ci_low``,
        ``ci_high``, ``n_candidates``, ``n_imputed``, ``tipping_delta`` and
        ``tipping``; and ``estimate_at_tipping``, the change at the tipping
        point, :math:`\\bar Q(0) + \\delta^* n_s / n` (NaN without one).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"dimension": ["D", "D"], "from_wave": "T1", "to_wave": "T3",
    ...     "delta": [0.0, -0.1], "estimate": [0.5, 0.45], "ci_low": [0.2, 0.14],
    ...     "ci_high": [0.8, 0.76], "n_candidates": 10, "n_imputed": 5,
    ...     "tipping_delta": -0.3, "tipping": "found"})
    >>> tipping_points(t)[["estimate", "tipping_delta", "estimate_at_tipping"]]
       estimate  tipping_delta  estimate_at_tipping
    0       0.5           -0.3                 0.35
    """
    keep = ["dimension", "from_wave", "to_wave", "estimate", "ci_low", "ci_high", "n_candidates",
            "n_imputed", "tipping_delta", "tipping"]
    rows = table.loc[table["delta"].astype(float).to_numpy() == 0, keep].reset_index(drop=True)
    share = rows["n_imputed"].astype(float) / rows["n_candidates"].astype(float)
    rows["estimate_at_tipping"] = rows["estimate"].astype(float) \
        + rows["tipping_delta"].astype(float) * share
    return rows
