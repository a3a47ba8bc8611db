"""Tests of impactlib.stats.power.

Expected values come from R 4.2 ``power.t.test`` (call beside each value) or
from hand computation. R solves with ``uniroot(tol = .Machine$double.eps^0.25)``
(about 1.2e-4), so the comparisons use ``atol=1e-4``.
"""

import numpy as np
import pandas as pd
import pytest

from impactlib.stats.power import mdes_paired, n_pairs_for_effect, power_paired, power_table

# R: power.t.test(n=n, sd=1, sig.level=0.05, power=0.8, type="paired")$delta
MDES_R = {
    2: 11.54988844,
    3: 3.26404839,
    4: 2.12792210,
    5: 1.68199904,
    6: 1.43455937,
    10: 0.99600190,
    24: 0.59719476,
    30: 0.52922662,
    100: 0.28291252,
    500: 0.12553237,
}

# R: power.t.test(delta=d, sd=1, power=0.8, type="paired")$n -> ceiling
N_R = {
    0.2: 199,  # 198.151301
    0.3: 90,  # 89.149577
    0.5: 34,  # 33.367204
    0.8: 15,  # 14.302803
    1.2: 8,  # 7.587719
    3: 4,  # 3.144028
    10: 3,  # 2.059392
}


@pytest.mark.parametrize("n", list(MDES_R))
def test_mdes_matches_r(n):
    assert mdes_paired(n) == pytest.approx(MDES_R[n], abs=1e-4)


def test_mdes_vectorized_and_options():
    got = mdes_paired(np.array([5, 30, 5]))
    np.testing.assert_allclose(got, [MDES_R[5], MDES_R[30], MDES_R[5]], atol=1e-4)
    # R: power.t.test(n=40, sd=1, sig.level=0.01, power=0.9, type="paired")$delta -> 0.63735576
    assert mdes_paired(40, alpha=0.01, power=0.9) == pytest.approx(0.63735576, abs=1e-4)
    # R: power.t.test(n=50, sd=1, sig.level=0.1, power=0.9, type="paired")$delta -> 0.41970760
    assert mdes_paired(50, alpha=0.1, power=0.9) == pytest.approx(0.41970760, abs=1e-4)
    # R: power.t.test(n=40, sd=1, power=0.8, type="paired", strict=TRUE)$delta -> 0.45423931
    assert mdes_paired(40, strict=True) == pytest.approx(0.45423931, abs=1e-4)


def test_mdes_undefined():
    # no test possible with fewer than 2 pairs (df = n - 1 = 0)
    assert np.isnan(mdes_paired(1))
    assert np.isnan(mdes_paired(0))
    assert np.isnan(mdes_paired(np.nan))


@pytest.mark.parametrize("d", list(N_R))
def test_n_pairs_matches_r(d):
    assert n_pairs_for_effect(d) == N_R[d]
    assert isinstance(n_pairs_for_effect(d), int)


def test_n_pairs_options_and_edge_cases():
    # R: power.t.test(delta=0.5, sd=1, power=0.9, sig.level=0.01, type="paired")$n -> 62.87024
    assert n_pairs_for_effect(0.5, alpha=0.01, power=0.9) == 63
    # sign ignored
    assert n_pairs_for_effect(-0.5) == 34
    np.testing.assert_array_equal(n_pairs_for_effect([0.2, 0.5]), [199, 34])
    assert np.isnan(n_pairs_for_effect(0.0))


def test_power_paired_matches_r():
    # R: power.t.test(n=20, delta=0.5, sd=1, type="paired")$power -> 0.5644828967
    assert power_paired(0.5, 20) == pytest.approx(0.5644828967, abs=1e-8)
    # R: power.t.test(n=3, delta=1, sd=1, type="paired")$power -> 0.17861006
    assert power_paired(1.0, 3) == pytest.approx(0.17861006, abs=1e-7)
    # R: power.t.test(n=3, delta=1, sd=1, type="paired", strict=TRUE)$power -> 0.17925539
    assert power_paired(1.0, 3, strict=True) == pytest.approx(0.17925539, abs=1e-7)
    assert np.isnan(power_paired(0.5, 1))


def questionnaires():
    # T1: c1-c10; T2: c1-c6 and c11 (late entrant); T3: c1-c4 and c11
    cand = ([f"c{k}" for k in range(1, 11)] + [f"c{k}" for k in range(1, 7)] + ["c11"]
            + [f"c{k}" for k in range(1, 5)] + ["c11"])
    wave = ["T1"] * 10 + ["T2"] * 7 + ["T3"] * 5
    return pd.DataFrame({
        "candidate": cand,
        "wave": pd.Categorical(wave, categories=["T1", "T2", "T3"], ordered=True),
    })


# By hand: pairs T1-T2 = c1-c6 (6), T1-T3 = c1-c4 (4), T2-T3 = c1-c4, c11 (5).
# retention = first-wave candidates at both waves / 10: 0.6, 0.4, 0.4 (c11 not a T1 entrant)
# entrants = ceiling(n / retention): 199/0.6 = 331.7 -> 332, 90/0.6 = 150, 34/0.6 = 56.7 -> 57;
# 199/0.4 = 497.5 -> 498, 90/0.4 = 225, 34/0.4 = 85
EXPECTED_TABLE = pd.DataFrame({
    "from_wave": ["T1", "T1", "T2"],
    "to_wave": ["T2", "T3", "T3"],
    "n_pairs": [6, 4, 5],
    "retention": [0.6, 0.4, 0.4],
    # R: power.t.test(n=6|4|5, sd=1, power=0.8, type="paired")$delta
    "mdes": [1.43455937, 2.12792210, 1.68199904],
    "n_for_d_0.2": [199] * 3,
    "n_for_d_0.3": [90] * 3,
    "n_for_d_0.5": [34] * 3,
    "entrants_for_d_0.2": [332, 498, 498],
    "entrants_for_d_0.3": [150, 225, 225],
    "entrants_for_d_0.5": [57, 85, 85],
})


def check_table(got, expected=EXPECTED_TABLE):
    assert list(got["from_wave"].astype(str)) == list(expected["from_wave"])
    assert list(got["to_wave"].astype(str)) == list(expected["to_wave"])
    for col in expected.columns[2:]:
        np.testing.assert_allclose(got[col].to_numpy(dtype=float),
                                   expected[col].to_numpy(dtype=float), atol=1e-4, err_msg=col)


def test_power_table_from_questionnaires():
    got = power_table(questionnaires())
    check_table(got)
    assert list(got["n_first_wave"]) == [10, 10, 10]


def test_power_table_from_candidates():
    q = questionnaires()
    wide = pd.crosstab(q["candidate"], q["wave"]).astype(bool)
    cands = pd.DataFrame({"candidate": wide.index})
    for w in ["T1", "T2", "T3"]:
        cands[f"in_{w}"] = wide[w].to_numpy()
    check_table(power_table(cands))


def test_power_table_from_counts():
    counts = {("T1", "T2"): 6, ("T1", "T3"): 4, ("T2", "T3"): 5}
    got = power_table(counts, retention={("T1", "T2"): 0.6, ("T1", "T3"): 0.4, ("T2", "T3"): 0.4})
    check_table(got)
    # without retention, no entrant estimate
    got = power_table(counts)
    assert got["entrants_for_d_0.5"].isna().all()
    # scalar retention: 34 / 0.5 = 68
    assert list(power_table(counts, retention=0.5)["entrants_for_d_0.5"]) == [68, 68, 68]


def test_power_table_edge_cases():
    q = questionnaires()
    # an empty wave T4: no pairs, no MDES, no retention -> no entrant estimate
    q4 = q.assign(wave=pd.Categorical(q["wave"].astype(str), categories=["T1", "T2", "T3", "T4"],
                                      ordered=True))
    got = power_table(q4, effects=[0.5])
    t4 = got[got["to_wave"] == "T4"]
    assert len(t4) == 3
    assert (t4["n_pairs"] == 0).all()
    assert t4["mdes"].isna().all()
    assert t4["entrants_for_d_0.5"].isna().all()
    # custom effects and waves
    got = power_table(q, waves=["T1", "T3"], effects=[0.8])
    assert list(got.columns) == ["from_wave", "to_wave", "n_pairs", "n_first_wave", "retention",
                                 "mdes", "n_for_d_0.8", "entrants_for_d_0.8"]
    # 15 / 0.4 = 37.5 -> 38
    assert got["entrants_for_d_0.8"].iloc[0] == 38


def test_docstring_examples():
    import doctest

    import impactlib.stats.power

    assert doctest.testmod(impactlib.stats.power).failed == 0
