"""The ordinal model's effect per item, as the board reads it: a probability.

:func:`impactlib.stats.ordinal.item_ordinal` gives, per item and wave pair,
the change in log-odds of a higher answer (``estimate``, its Wald interval
``ci_low``-``ci_high``), ``prob_higher``, the probability that a typical
candidate answers higher at the later questionnaire than at the earlier one
(ties counted half; 50% = no change), and its interval ``prob_low``-
``prob_high`` (``prob_higher`` at the log-odds interval's ends, computed
there with the item's fitted thresholds). This module turns one pair of
that table into the tidy frame the report draws and counts
(:func:`impactlib.report.figures.ordinal_plot`,
:func:`impactlib.report.narrative.ordinal_sentence`): the probability with
its 95% interval, whether the interval lies above or below 50%, and which
items are not shown (too few candidates) or have no estimate (fit not
converged).

Public functions
----------------
ordinal_effects
    The tidy frame of one wave pair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ordinal_effects", "MIN_CANDIDATES"]

#: Items answered by fewer candidates than this are not shown (the report's small-group rule).
MIN_CANDIDATES = 5

_STATUS = ["higher", "lower", "unclear", "not_converged", "suppressed"]


def ordinal_effects(item_ordinal: pd.DataFrame, from_wave, to_wave,
                    min_candidates: int = MIN_CANDIDATES) -> pd.DataFrame:
    """One wave pair of ``item_ordinal``: probability of a higher answer, interval, status.

    Parameters
    ----------
    item_ordinal : pandas.DataFrame
        The ``item_ordinal`` results table (``item``, ``dimension``,
        ``from_wave``, ``to_wave``, ``estimate``, ``ci_low``, ``ci_high``,
        ``prob_higher``, ``prob_low``, ``prob_high``, ``n_candidates``,
        ``converged``). A table without ``prob_low`` / ``prob_high`` (made
        before they existed) gives NaN interval ends.
    from_wave, to_wave : str
        The pair.
    min_candidates : int
        Items with fewer candidates (``n_candidates``: candidates with at
        least one answer to the item) are suppressed.

    Returns
    -------
    pandas.DataFrame
        One row per item of the pair, in the table's order: ``item``,
        ``dimension``, ``n_candidates``, ``prob_higher``, ``prob_low``,
        ``prob_high`` (copied from the table) and ``status``:

        * ``"suppressed"``: fewer than ``min_candidates`` candidates (the
          numbers are blanked, ``n_candidates`` too);
        * ``"not_converged"``: no estimate (the fit did not converge, or
          the item could not be fitted);
        * ``"higher"`` / ``"lower"``: the log-odds interval lies above /
          below 0 (the probability's interval above / below 50%);
        * ``"unclear"``: the interval holds 0 (or a bound is unknown).

    Examples
    --------
    >>> t = pd.DataFrame({"item": ["Q1", "Q2", "Q3", "Q4"], "dimension": "D",
    ...                   "from_wave": "T1", "to_wave": "T3",
    ...                   "estimate": [1.0, 0.1, float("nan"), 2.0],
    ...                   "ci_low": [0.2, -0.5, float("nan"), 1.0],
    ...                   "ci_high": [1.8, 0.7, float("nan"), 3.0],
    ...                   "prob_higher": [0.62, 0.51, float("nan"), 0.7],
    ...                   "prob_low": [0.52, 0.45, float("nan"), 0.6],
    ...                   "prob_high": [0.71, 0.57, float("nan"), 0.8],
    ...                   "n_candidates": [120, 118, 119, 3],
    ...                   "converged": [True, True, False, True]})
    >>> ordinal_effects(t, "T1", "T3")[["item", "n_candidates", "status"]]
      item  n_candidates         status
    0   Q1           120         higher
    1   Q2           118        unclear
    2   Q3           119  not_converged
    3   Q4          <NA>     suppressed
    """
    t = item_ordinal.loc[(item_ordinal["from_wave"].astype(str) == str(from_wave)).to_numpy()
                         & (item_ordinal["to_wave"].astype(str) == str(to_wave)).to_numpy()]
    t = t.reset_index(drop=True)
    est = t["estimate"].to_numpy(dtype=float)
    ph = t["prob_higher"].to_numpy(dtype=float)
    nan = np.full(len(t), np.nan)
    p_low = t["prob_low"].to_numpy(dtype=float) if "prob_low" in t.columns else nan
    p_high = t["prob_high"].to_numpy(dtype=float) if "prob_high" in t.columns else nan
    low = t["ci_low"].to_numpy(dtype=float)
    high = t["ci_high"].to_numpy(dtype=float)
    n = t["n_candidates"].to_numpy(dtype=float)
    small = ~(n >= min_candidates)
    fitted = t["converged"].to_numpy(dtype=bool) & np.isfinite(ph) & np.isfinite(est)
    status = np.select([small, ~fitted, fitted & (low > 0), fitted & (high < 0)],
                       ["suppressed", "not_converged", "higher", "lower"], "unclear")
    shown = ~small & fitted
    out = pd.DataFrame({
        "item": t["item"].astype(object),
        "dimension": t["dimension"].astype(object) if "dimension" in t.columns else None,
        "n_candidates": pd.array(np.where(small, pd.NA, n).tolist(), dtype="Int64"),
        "prob_higher": np.where(shown, ph, np.nan),
        "prob_low": np.where(shown, p_low, np.nan),
        "prob_high": np.where(shown, p_high, np.nan),
        "status": pd.Categorical(status, categories=_STATUS),
    })
    return out
