"""The points of the report's power curve come from the statistics layer (stats.power.mdes_curve).

Expected MDES values are R 4.2's: power.t.test(n = n, sd = 1, sig.level = 0.05,
power = 0.8, type = "paired")$delta (the table of tests/test_power.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impactlib.stats.power import mdes_curve, power_table

# R: power.t.test(n=n, sd=1, sig.level=0.05, power=0.8, type="paired")$delta
MDES_R = {4: 2.12792210, 5: 1.68199904, 6: 1.43455937, 10: 0.99600190, 24: 0.59719476,
          30: 0.52922662, 100: 0.28291252}


def test_default_grid_reaches_past_the_observed_and_the_needed_pairs():
    table = pd.DataFrame({"from_wave": ["T1", "T1"], "to_wave": ["T2", "T3"],
                          "n_pairs": pd.array([30, 150], dtype="Int64"),
                          "n_for_d_0.2": pd.array([199, 199], dtype="Int64")})
    curve = mdes_curve(table)
    t12 = curve[curve["to_wave"] == "T2"]
    t13 = curve[curve["to_wave"] == "T3"]
    # n_max = max(60, 2 x 30, 1.25 x 199) = 248.75 -> 249; max(60, 2 x 150, 248.75) = 300
    assert t12["n_pairs"].iloc[0] == 4 and t12["n_pairs"].iloc[-1] == 249
    assert t13["n_pairs"].iloc[-1] == 300
    assert (np.diff(t12["n_pairs"]) > 0).all() and (np.diff(t12["mdes"]) < 0).all()
    for n, delta in MDES_R.items():
        got = t12.loc[t12["n_pairs"] == n, "mdes"]
        assert len(got) == 1, n
        assert got.iloc[0] == pytest.approx(delta, abs=1e-4), n


def test_curve_goes_through_the_power_table():
    q = pd.DataFrame({"candidate": [f"c{i}" for i in range(40)] + [f"c{i}" for i in range(24)],
                      "wave": ["T1"] * 40 + ["T2"] * 24})
    table = power_table(q)
    curve = mdes_curve(table)
    at = curve.loc[curve["n_pairs"] == 24, "mdes"].iloc[0]
    assert at == table["mdes"].iloc[0]              # the same function, the same float
    assert at == pytest.approx(MDES_R[24], abs=1e-4)


def test_options_and_empty_input():
    table = pd.DataFrame({"from_wave": ["T1", "T1"], "to_wave": ["T2", "T3"],
                          "n_pairs": pd.array([30, None], dtype="Int64")})
    curve = mdes_curve(table, n_min=10, n_max=100, points=3)   # 10, 31.6, 100
    assert curve["n_pairs"].tolist() == [10, 32, 100]             # T1 -> T3 has no pairs: no points
    assert curve["mdes"].iloc[0] == pytest.approx(MDES_R[10], abs=1e-4)
    assert curve["mdes"].iloc[2] == pytest.approx(MDES_R[100], abs=1e-4)
    empty = mdes_curve(table.iloc[:0])
    assert list(empty.columns) == ["from_wave", "to_wave", "n_pairs", "mdes"] and empty.empty
