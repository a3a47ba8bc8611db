"""The shared helpers of impactlib.frames: wave order, wave pairs, column checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impactlib.frames import (
    as_float,
    check_columns,
    level_order,
    wave_categorical,
    wave_codes,
    wave_order,
    wave_pairs,
)


def test_wave_order_from_explicit_list():
    df = pd.DataFrame({"wave": ["T1", "T2", "T3"]})
    assert wave_order(df, "wave", ("T3", "T1")) == ["T3", "T1"]
    # the data are not looked at when the order is given
    assert wave_order(None, "wave", ["T2", "T1"]) == ["T2", "T1"]


def test_wave_order_explicit_duplicates():
    with pytest.raises(ValueError, match=r"^waves contains duplicates: \['T1', 'T1'\]$"):
        wave_order(None, "wave", ["T1", "T1"])
    with pytest.raises(ValueError, match=r"^`waves` contains duplicates"):
        wave_order(None, "wave", ["T1", "T1"], name="`waves`")


def test_wave_order_from_ordered_categorical():
    wave = pd.Categorical(["T1", "T3", "T1"], categories=["T3", "T1", "T2"], ordered=True)
    df = pd.DataFrame({"wave": wave})
    # category order, unobserved categories included
    assert wave_order(df, "wave") == ["T3", "T1", "T2"]


def test_wave_order_from_sorted_unique_values():
    df = pd.DataFrame({"wave": ["T2", None, "T1", "T2"]})
    assert wave_order(df, "wave") == ["T1", "T2"]
    # an unordered categorical is sorted too
    df = pd.DataFrame({"wave": pd.Categorical(["T2", "T1"], categories=["T2", "T1"])})
    assert wave_order(df, "wave") == ["T1", "T2"]
    # plain Python scalars, not NumPy ones
    out = wave_order(pd.DataFrame({"wave": [3, 1, 2]}), "wave")
    assert out == [1, 2, 3] and all(type(w) is int for w in out)


def test_level_order():
    assert level_order(None) == []
    assert level_order(None, ["b", "a"]) == ["b", "a"]
    # any categorical gives its categories unless ordered_only
    col = pd.Series(pd.Categorical(["a", "b"], categories=["b", "a"]))
    assert level_order(col) == ["b", "a"]
    assert level_order(col, ordered_only=True) == ["a", "b"]
    assert level_order(pd.Series([10, 2, 1, np.nan])) == [1.0, 2.0, 10.0]
    assert level_order(pd.Series([10, 2, 1]), sort_key=str) == [1, 10, 2]


def test_wave_pairs_in_order():
    assert wave_pairs(["T1", "T2", "T3"]) == [("T1", "T2"), ("T1", "T3"), ("T2", "T3")]
    assert wave_pairs(["T3", "T1"]) == [("T3", "T1")]
    assert wave_pairs(["T1"]) == []
    assert wave_pairs(range(3)) == [(0, 1), (0, 2), (1, 2)]


def test_wave_pairs_given():
    assert wave_pairs(["T1", "T2", "T3"], [["T1", "T3"]]) == [("T1", "T3")]
    with pytest.raises(ValueError, match="uses a wave not in"):
        wave_pairs(["T1", "T2"], [("T1", "T9")])


def test_wave_categorical_and_codes():
    cat = wave_categorical(pd.Series(["T2", "T1", None]), ["T1", "T2"])
    assert cat.ordered and list(cat.categories) == ["T1", "T2"]
    assert cat.codes.tolist() == [1, 0, -1]
    col = pd.Series(pd.Categorical(["T2", "T1", None, "T9"]))
    assert wave_codes(col, ["T1", "T2"]).tolist() == [1, 0, -1, -1]


def test_check_columns_missing_column_message():
    df = pd.DataFrame({"candidate": ["a"], "wave": ["T1"]})
    check_columns(df, ["candidate", "wave"])
    with pytest.raises(KeyError) as err:
        check_columns(df, ["wave", "score", "dimension"], "scores")
    assert err.value.args[0] == (
        "scores lacks the column(s) ['score', 'dimension']; it has ['candidate', 'wave']"
    )
    with pytest.raises(KeyError) as err:
        check_columns(df, ["score"], short=True)
    assert err.value.args[0] == "Column(s) ['score'] not found in `data`."


def test_check_columns_not_a_frame():
    with pytest.raises(TypeError, match="^scores must be a pandas DataFrame, got list$"):
        check_columns([], ["score"], "scores")
    with pytest.raises(TypeError, match="^`data` must be a pandas DataFrame.$"):
        check_columns(None, ["score"], short=True)


def test_as_float():
    out = as_float(pd.Series([1, None, 3], dtype="Int64"))
    assert out.dtype == float
    np.testing.assert_array_equal(out, [1.0, np.nan, 3.0])
    np.testing.assert_array_equal(as_float(pd.Series(["1.5", "x", None], dtype=object)), [1.5, np.nan, np.nan])
    with pytest.raises(ValueError):
        as_float(pd.Series(["1.5", "x"], dtype=object), errors="raise")
