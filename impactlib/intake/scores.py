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
    # The group-by of candidate x wave x dimension (sorted, observed groups
    # only, missing keys left out), done on integer codes: the long table has
    # one row per answer, and a group-by on its text ids was the peak of
    # memory of `impactlib clean`.
    keys = [_codes(responses[c]) for c in ("candidate", "wave", "dimension")]
    sizes = [max(len(values), 1) for _, values in keys]
    ok = (keys[0][0] >= 0) & (keys[1][0] >= 0) & (keys[2][0] >= 0)
    key = np.zeros(int(ok.sum()), dtype=np.int64)
    for (codes, _), size_ in zip(keys, sizes):
        key = key * size_ + codes[ok]
    value = responses["value"].to_numpy(dtype=float, na_value=np.nan)
    value = value[ok] if not ok.all() else value
    answered = ~np.isnan(value)
    space = sizes[0] * sizes[1] * sizes[2]
    if space <= 4 * len(key) + 1_000_000:  # a count per possible group: no sort
        seen = np.bincount(key, minlength=space) > 0
        groups = np.flatnonzero(seen)
        at = (np.cumsum(seen) - 1)[key]
    else:
        groups, at = np.unique(key, return_inverse=True)
    del key
    total = np.bincount(at, weights=np.where(answered, value, 0.0), minlength=len(groups))
    n_answered = np.bincount(at, weights=answered, minlength=len(groups)).astype("int64")
    del at, value, answered
    group_codes = [groups // (sizes[1] * sizes[2]), groups // sizes[2] % sizes[1],
                   groups % sizes[2]]
    out = pd.DataFrame({c: _take(responses[c], codes, values)
                        for c, codes, (_, values) in zip(("candidate", "wave", "dimension"),
                                                         group_codes, keys)})
    out["total"] = total
    out["n_answered"] = n_answered
    dims = out["dimension"]
    if isinstance(dims.dtype, pd.CategoricalDtype):  # one look-up per dimension
        per = size.reindex(dims.cat.categories).to_numpy(dtype=float)
        out["n_items"] = pd.Series(per[dims.cat.codes.to_numpy()]).astype("int64")
    else:
        out["n_items"] = dims.astype(object).map(size).astype("int64")
    enough = (out["n_answered"] > 0) & (out["n_answered"] >= min_items_answered * out["n_items"] - 1e-9)
    out["score"] = np.where(enough, out["total"] / out["n_answered"].where(enough, 1), np.nan)
    return out[["candidate", "wave", "dimension", "score", "n_answered", "n_items"]]


def _codes(column: pd.Series) -> tuple[np.ndarray, object]:
    """Integer codes of a key column in sorted order (categories' order), -1 when missing."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return np.asarray(column.cat.codes, dtype=np.int64), column.cat.categories
    codes, values = pd.factorize(column, sort=True)
    return codes.astype(np.int64), values


def _take(column: pd.Series, codes: np.ndarray, values):
    """The key of each group from its codes, with the column's type."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(codes, dtype=column.dtype)
    return values.take(codes)
