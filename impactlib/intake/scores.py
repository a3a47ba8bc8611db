"""Dimension scores: the mean of a dimension's recoded answered items.

A candidate's score on a dimension at a wave is the mean of the recoded values
(higher is better) of the dimension's items answered at that wave, when at
least ``min_items_answered`` (a share) of the dimension's items are answered;
otherwise it is missing. "Ne sait pas" counts as not answered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["dimension_scores"]


def dimension_scores(responses: pd.DataFrame, items: pd.DataFrame,
                     min_items_answered: float = 0.5) -> pd.DataFrame:
    """Score every candidate x wave x dimension.

    Parameters
    ----------
    responses : DataFrame
        Long table with ``candidate``, ``wave``, ``dimension``, ``value``.
    items : DataFrame
        Codebook items (``item``, ``dimension``): gives each dimension's size.
    min_items_answered : float
        Share of the dimension's items that must be answered, in (0, 1].

    Returns
    -------
    DataFrame
        ``candidate``, ``wave``, ``dimension``, ``score``, ``n_answered``,
        ``n_items``.

    Examples
    --------
    >>> r = pd.DataFrame({"candidate": ["a"] * 3, "wave": ["T1"] * 3,
    ...                   "dimension": ["D"] * 3, "value": pd.array([4, 2, None], dtype="Int64")})
    >>> dimension_scores(r, pd.DataFrame({"item": ["q1", "q2", "q3"], "dimension": ["D"] * 3}))
      candidate wave dimension  score  n_answered  n_items
    0         a   T1         D    3.0           2        3
    """
    size = items.groupby("dimension", sort=False)["item"].count()
    value = responses["value"].astype("Float64").astype(float)
    g = (responses.assign(_v=value, _a=value.notna())
         .groupby(["candidate", "wave", "dimension"], observed=True, sort=True))
    out = g.agg(total=("_v", "sum"), n_answered=("_a", "sum")).reset_index()
    out["n_items"] = out["dimension"].astype(object).map(size).astype("int64")
    out["n_answered"] = out["n_answered"].astype("int64")
    enough = (out["n_answered"] > 0) & (out["n_answered"] >= min_items_answered * out["n_items"] - 1e-9)
    out["score"] = np.where(enough, out["total"] / out["n_answered"].where(enough, 1), np.nan)
    return out[["candidate", "wave", "dimension", "score", "n_answered", "n_items"]]
