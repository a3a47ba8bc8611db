"""Shared helpers for tidy frames: wave order, wave pairs, column checks, wide scores.

The bottom layer, used by the statistics modules (:mod:`impactlib.stats`),
which take the long tables of ``docs/tidy-tables.md``. It imports nothing
from the rest of the package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# ---------------------------------------------------------------------------
# Order of levels and waves
# ---------------------------------------------------------------------------


def level_order(
    column: pd.Series | None,
    order: Sequence | None = None,
    *,
    ordered_only: bool = False,
    sort_key: Callable | None = None,
) -> list:
    """Levels of a grouping column, in order.

    ``order`` (as a list) when given; else ``[]`` when ``column`` is None;
    else the categories of a categorical ``column`` (of an *ordered* one only
    when ``ordered_only``); else its sorted unique non-missing values (plain
    Python scalars), sorted with ``sort_key``.

    >>> level_order(pd.Series(["T2", "T1", None, "T2"]))
    ['T1', 'T2']
    >>> level_order(pd.Series([2, 10, 1]), sort_key=str)
    [1, 10, 2]
    """
    if order is not None:
        return list(order)
    if column is None:
        return []
    if isinstance(column.dtype, pd.CategoricalDtype) and (column.cat.ordered or not ordered_only):
        return list(column.cat.categories)
    return sorted(column.dropna().unique().tolist(), key=sort_key)


def wave_order(data: pd.DataFrame, within: str, waves: Sequence | None = None, *, name: str = "waves") -> list:
    """Ordered waves: ``waves`` if given, else ordered categories, else sorted values.

    ``waves`` is returned as a list (``ValueError`` naming it ``name`` when it
    repeats a wave) and then ``data`` is not looked at. Otherwise the
    categories of ``data[within]`` when it is an *ordered* Categorical, else
    its sorted unique non-missing values.

    >>> df = pd.DataFrame({"wave": ["T2", "T1", "T3"]})
    >>> wave_order(df, "wave")
    ['T1', 'T2', 'T3']
    >>> wave_order(df, "wave", ["T3", "T1"])
    ['T3', 'T1']
    """
    if waves is not None:
        waves = list(waves)
        if len(set(waves)) != len(waves):
            raise ValueError(f"{name} contains duplicates: {waves!r}")
        return waves
    return level_order(data[within], ordered_only=True)


def wave_pairs(waves: Sequence, pairs: Iterable | None = None) -> list[tuple]:
    """Every ordered pair ``(earlier, later)`` of ``waves``, or the checked ``pairs``.

    Pairs ``i < j`` in the order of ``waves`` (T1>T2, T1>T3, T2>T3); pass
    ``range(n)`` for pairs of positions. Given ``pairs`` are returned as
    tuples, each wave checked to be in ``waves``.

    >>> wave_pairs(["T1", "T2", "T3"])
    [('T1', 'T2'), ('T1', 'T3'), ('T2', 'T3')]
    """
    if pairs is None:
        return list(combinations(waves, 2))
    out = []
    for pair in pairs:
        a, b = pair
        if a not in waves or b not in waves:
            raise ValueError(f"wave pair {pair!r} uses a wave not in {list(waves)}")
        out.append((a, b))
    return out


def wave_categorical(values, waves: Sequence) -> pd.Categorical:
    """Ordered Categorical of wave keys, categories = ``waves``."""
    return pd.Categorical(list(values), categories=list(waves), ordered=True)


def wave_codes(column: pd.Series, waves: Sequence) -> np.ndarray:
    """Position of each row's wave in ``waves`` (-1 when absent or missing).

    A categorical column is matched on its categories, then taken by its
    codes (no text per row).

    >>> wave_codes(pd.Series(["T2", None, "T1", "T9"], dtype="category"), ["T1", "T2"])
    array([ 1, -1,  0, -1])
    """
    keys = pd.Index(waves, dtype=object)
    if isinstance(column.dtype, pd.CategoricalDtype):
        at = keys.get_indexer(pd.Index(column.cat.categories.astype(object)))
        codes = column.cat.codes.to_numpy()
        return np.where(codes >= 0, np.r_[at, -1][codes], -1).astype(np.intp)
    return keys.get_indexer(pd.Index(column.astype(object)))


# ---------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------


def check_columns(data: pd.DataFrame, columns: Sequence[str], name: str = "data", *, short: bool = False) -> None:
    """Raise ``TypeError`` unless ``data`` is a DataFrame, ``KeyError`` if it lacks a column.

    The messages name the table ``name``:
    ``"scores lacks the column(s) ['score']; it has [...]"``; with ``short``,
    ``"Column(s) ['score'] not found in `data`."``.
    """
    if not isinstance(data, pd.DataFrame):
        if short:
            raise TypeError(f"`{name}` must be a pandas DataFrame.")
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        if short:
            raise KeyError(f"Column(s) {missing} not found in `{name}`.")
        raise KeyError(f"{name} lacks the column(s) {missing}; it has {list(data.columns)}")


def is_in(column: pd.Series, values) -> np.ndarray:
    """``column.isin(values)`` as a boolean array, vectorised for Arrow strings.

    pandas' ``isin`` on an Arrow-backed string column turns each of
    ``values`` into a pyarrow scalar in Python (about 1 s for 50,000
    candidate ids against a million rows); this passes them to
    ``pyarrow.compute.is_in`` in one array (about 30 ms). A missing value is
    never in ``values`` unless they hold one, as with ``isin``. Other columns
    (or values that are not all strings) go to ``isin``.

    >>> is_in(pd.Series(["a", "b", None], dtype="str"), pd.Index(["b", "c"]))
    array([False,  True, False])
    """
    arrow = _arrow_strings(column)
    if arrow is not None:
        wanted = pd.Index(values).to_numpy(dtype=object)
        if all(isinstance(v, str) or v is None for v in pd.unique(wanted).tolist()):
            found = pc.is_in(arrow, value_set=pa.array(wanted, type=arrow.type, from_pandas=True))
            return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    return column.isin(values).to_numpy(dtype=bool)


def positions_in(column: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value of ``column`` in ``index`` (-1 when absent or missing).

    ``index.get_indexer(column)`` for a unique ``index``, vectorised for
    Arrow strings (``pyarrow.compute.index_in``).

    >>> positions_in(pd.Series(["b", "x", "a"], dtype="str"), pd.Index(["a", "b"]))
    array([ 1, -1,  0])
    """
    arrow = _arrow_strings(column)
    keys = index.to_numpy(dtype=object)
    if arrow is not None and all(isinstance(v, str) for v in keys.tolist()):
        found = pc.index_in(arrow, value_set=pa.array(keys, type=arrow.type))
        return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.asarray(index.get_indexer(column), dtype=np.int64)


def _arrow_strings(column: pd.Series):
    """The pyarrow array of an Arrow-backed string column, else None."""
    if not isinstance(column.dtype, pd.StringDtype) or column.dtype.storage != "pyarrow":
        return None
    arrow = pa.array(column.array)
    return arrow if pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type) \
        else None


def as_float(values, errors: str = "coerce") -> np.ndarray:
    """Numeric values (int, Int64, Float64, float, object) as a float array, NaN for NA.

    ``errors`` is passed to :func:`pandas.to_numeric`: ``"coerce"`` turns
    non-numbers into NaN, ``"raise"`` raises on them.

    >>> as_float(pd.Series([1, None, 3], dtype="Int64"))
    array([ 1., nan,  3.])
    """
    return pd.to_numeric(values, errors=errors).astype("Float64").to_numpy(dtype=float, na_value=np.nan)


# ---------------------------------------------------------------------------
# Long scores to wide frames
# ---------------------------------------------------------------------------


def wide_scores(
    scores: pd.DataFrame,
    dv: str,
    within: str,
    subject: str,
    dimension: str,
    waves: Sequence,
) -> dict:
    """Split long ``scores`` into one wide (subject x wave) float frame per dimension.

    Returns a dict ``{dimension: DataFrame}``; every frame has the columns
    ``waves`` (in that order), NaN where the score is missing. Dimensions with
    no row get an empty frame.
    """
    check_columns(scores, [dv, within, subject, dimension], "scores")
    d = scores.loc[scores[within].isin(waves), [dimension, subject, within, dv]].copy()
    d[within] = d[within].astype(object)
    if d.duplicated([dimension, subject, within]).any():
        dup = d.loc[d.duplicated([dimension, subject, within], keep=False)].head()
        raise ValueError(
            f"scores has several rows for the same {dimension} x {subject} x {within}:\n{dup}"
        )
    d[dv] = as_float(d[dv])
    dims = level_order(scores[dimension])
    out = {}
    for dim, block in d.groupby(dimension, observed=True, sort=False):
        wide = block.pivot(index=subject, columns=within, values=dv)
        out[dim] = wide.reindex(columns=list(waves)).astype(float)
    empty = pd.DataFrame(columns=list(waves), dtype=float)
    return {dim: out.get(dim, empty) for dim in dims}
