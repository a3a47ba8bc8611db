"""Tests of impactlib.stats.item_change.

Expected values were computed outside impactlib, with R 4.2 (the call is
written beside each value) or by hand (the computation is written beside).
Run with ``-W error::RuntimeWarning``: edge cases must not warn.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from impactlib.stats.item_change import (
    _p_adjust_bh,
    distribution_shares,
    item_change,
    response_distribution,
    transition_table,
)

WAVES = ["T1", "T2", "T3"]
CANDIDATES = ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]
DK = "dk"  # "Ne sait pas": status dont_know, value <NA>
NA = "na"  # blank answer: status missing, value <NA>, label <NA>
ABSENT = "absent"  # no questionnaire at that wave: no row at all

# Recoded values (higher is better) per item, wave and candidate c1..c7.
# c6 has no T3 questionnaire. q2 is reverse-coded (raw = 6 - value).
# q3 has no variation T1 -> T2; q4 was never answered.
VALUES = {
    "q1": {"T1": [2, 3, 1, 4, 2, 3, DK],
           "T2": [3, 3, 2, 4, 4, 2, 3],
           "T3": [4, 4, 2, 5, NA, ABSENT, 4]},
    "q2": {"T1": [1, 2, 2, 3, 3, 5, 2],
           "T2": [2, 2, 4, 2, 5, 5, DK],
           "T3": [3, 1, 4, 3, 4, ABSENT, 3]},
    "q3": {"T1": [3, 3, 3, 3, 3, 3, 3],
           "T2": [3, 3, 3, 3, 3, 3, 3],
           "T3": [4, 3, 3, 3, 3, ABSENT, 3]},
    "q4": {"T1": [DK] * 7,
           "T2": [DK] * 7,
           "T3": [DK] * 5 + [ABSENT, DK]},
}
DIMENSION = {"q1": "A", "q2": "A", "q3": "B", "q4": "B"}
REVERSE = {"q1": False, "q2": True, "q3": False, "q4": False}
LABELS = {1: "Pas du tout", 2: "Peu", 3: "Moyen", 4: "Assez", 5: "Tout a fait"}


def make_responses(values=VALUES, waves=WAVES, categories=None):
    """Build a `responses` table following docs/tidy-tables.md."""
    rows = []
    for it, by_wave in values.items():
        for w in waves:
            for cand, v in zip(CANDIDATES, by_wave[w]):
                if v == ABSENT:
                    continue
                if v == DK:
                    raw, val, status, label = pd.NA, pd.NA, "dont_know", "Ne sait pas"
                elif v == NA:
                    raw, val, status, label = pd.NA, pd.NA, "missing", pd.NA
                else:
                    raw = 6 - v if REVERSE[it] else v
                    val, status, label = v, "answered", LABELS[raw]
                rows.append(dict(candidate=cand, wave=w, item=it, dimension=DIMENSION[it],
                                 raw_value=raw, value=val, status=status, label=label))
    df = pd.DataFrame(rows)
    df["wave"] = pd.Categorical(df["wave"], categories=categories or waves, ordered=True)
    for col in ["raw_value", "value"]:
        df[col] = df[col].astype("Int64")
    df["label"] = df["label"].astype(object)
    return df


def simple(from_values, to_values, item="q"):
    """Two-wave frame for a single item."""
    n = len(from_values)
    return pd.DataFrame({
        "candidate": [f"c{k}" for k in range(n)] * 2,
        "wave": pd.Categorical(["T1"] * n + ["T2"] * n, categories=["T1", "T2"], ordered=True),
        "item": item,
        "dimension": "D",
        "value": pd.array(list(from_values) + list(to_values), dtype="Int64"),
    })


@pytest.fixture(scope="module")
def responses():
    return make_responses()


@pytest.fixture(scope="module")
def change(responses):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return item_change(responses)


def row(res, item, w1, w2):
    sel = res[(res["item"] == item) & (res["from_wave"] == w1) & (res["to_wave"] == w2)]
    assert len(sel) == 1
    return sel.iloc[0]


# ---------------------------------------------------------------------------
# item_change
# ---------------------------------------------------------------------------


def test_item_change_shape_and_columns(change):
    # 4 items x 3 ordered pairs (T1>T2, T1>T3, T2>T3)
    assert len(change) == 12
    for col in ["item", "dimension", "from_wave", "to_wave", "n_pairs", "mean_from",
                "mean_to", "pct_improved", "pct_stable", "pct_worsened", "statistic",
                "p_value", "p_adjusted", "effect_size", "ci_low", "ci_high"]:
        assert col in change.columns
    assert list(change["item"].unique()) == ["q1", "q2", "q3", "q4"]
    pairs = list(zip(change["from_wave"].astype(str), change["to_wave"].astype(str)))[:3]
    assert pairs == [("T1", "T2"), ("T1", "T3"), ("T2", "T3")]
    assert change.loc[change["item"] == "q3", "dimension"].eq("B").all()


# (item, from, to): n_pairs, mean_from, mean_to, V, p, effect size, ci_low, ci_high
# p, V: R wilcox.test(to, from, paired=TRUE, exact=FALSE); CI: R t.test(to, from, paired=TRUE)$conf.int
# effect size by hand: r = (R+ - R-) / (R+ + R-) over the ranks of the non-zero |d|.
EXPECTED = {
    # d = 1,0,1,0,2,-1 -> |d| 1,1,2,1 ranks 2,2,4,2: R+ = 8, R- = 2, r = 6/10
    # R: wilcox.test(c(3,3,2,4,4,2), c(2,3,1,4,2,3), paired=TRUE, exact=FALSE) -> V = 8, p = 0.3447042220
    # R: t.test(c(3,3,2,4,4,2), c(2,3,1,4,2,3), paired=TRUE)$conf.int -> -0.6006573847 1.6006573847
    ("q1", "T1", "T2"): (6, 2.5, 3.0, 8.0, 0.3447042220, 0.6, -0.6006573847, 1.6006573847),
    # d = 1,0,2,-1,2,0 -> |d| 1,2,1,2 ranks 1.5,3.5,1.5,3.5: R+ = 8.5, R- = 1.5, r = 7/10
    # R: wilcox.test(c(2,2,4,2,5,5), c(1,2,2,3,3,5), paired=TRUE, exact=FALSE) -> V = 8.5, p = 0.2652053926
    # R: t.test(c(2,2,4,2,5,5), c(1,2,2,3,3,5), paired=TRUE)$conf.int -> -0.6042630080 1.9375963414
    ("q2", "T1", "T2"): (6, 16 / 6, 20 / 6, 8.5, 0.2652053926, 0.7, -0.6042630080, 1.9375963414),
    # d = 2,1,1,1 -> all positive, r = 1
    # R: wilcox.test(c(4,4,2,5), c(2,3,1,4), paired=TRUE, exact=FALSE) -> V = 10, p = 0.0889730117
    # R: t.test(c(4,4,2,5), c(2,3,1,4), paired=TRUE)$conf.int -> 0.4543884237 2.0456115763
    ("q1", "T1", "T3"): (4, 2.5, 3.75, 10.0, 0.0889730117, 1.0, 0.4543884237, 2.0456115763),
    # d = 2,-1,2,0,1,1 -> |d| 2,1,2,1,1 ranks 4.5,2,4.5,2,2: R+ = 13, R- = 2, r = 11/15
    # R: wilcox.test(c(3,1,4,3,4,3), c(1,2,2,3,3,2), paired=TRUE, exact=FALSE) -> V = 13, p = 0.1675462775
    # R: t.test(c(3,1,4,3,4,3), c(1,2,2,3,3,2), paired=TRUE)$conf.int -> -0.3935043584 2.0601710250
    ("q2", "T1", "T3"): (6, 13 / 6, 3.0, 13.0, 0.1675462775, 11 / 15, -0.3935043584, 2.0601710250),
    # d = 1,0,0,0,0,0 -> one non-zero difference, r = 1
    # R: wilcox.test(c(4,3,3,3,3,3), c(3,3,3,3,3,3), paired=TRUE, exact=FALSE) -> V = 1, p = 1
    # R: t.test(c(4,3,3,3,3,3), c(3,3,3,3,3,3), paired=TRUE)$conf.int -> -0.2617636393 0.5950969726
    ("q3", "T1", "T3"): (6, 3.0, 19 / 6, 1.0, 1.0, 1.0, -0.2617636393, 0.5950969726),
    # d = 1,1,0,1,1 -> non-zero differences all tied, r = 1
    # R: wilcox.test(c(4,4,2,5,4), c(3,3,2,4,3), paired=TRUE, exact=FALSE) -> V = 10, p = 0.0718606382
    # R: t.test(c(4,4,2,5,4), c(3,3,2,4,3), paired=TRUE)$conf.int -> 0.2447109790 1.3552890210
    ("q1", "T2", "T3"): (5, 3.0, 3.8, 10.0, 0.0718606382, 1.0, 0.2447109790, 1.3552890210),
    # d = 1,-1,0,1,-1 -> ranks all 2.5: R+ = 5 = R-, r = 0
    # R: wilcox.test(c(3,1,4,3,4), c(2,2,4,2,5), paired=TRUE, exact=FALSE) -> V = 5, p = 1
    # R: t.test(c(3,1,4,3,4), c(2,2,4,2,5), paired=TRUE)$conf.int -> -1.2416639982 1.2416639982
    ("q2", "T2", "T3"): (5, 3.0, 3.0, 5.0, 1.0, 0.0, -1.2416639982, 1.2416639982),
    # d = 1,0,0,0,0,0 (c1-c5, c7), r = 1
    # R: wilcox.test(c(4,3,3,3,3,3), c(3,3,3,3,3,3), paired=TRUE, exact=FALSE) -> V = 1, p = 1
    # R: t.test(c(4,3,3,3,3,3), c(3,3,3,3,3,3), paired=TRUE)$conf.int -> -0.2617636393 0.5950969726
    ("q3", "T2", "T3"): (6, 3.0, 19 / 6, 1.0, 1.0, 1.0, -0.2617636393, 0.5950969726),
}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_item_change_against_r(change, key):
    n, m_from, m_to, v, p, r, lo, hi = EXPECTED[key]
    got = row(change, *key)
    assert got["n_pairs"] == n
    np.testing.assert_allclose(
        got[["mean_from", "mean_to", "statistic", "p_value", "effect_size", "ci_low", "ci_high"]]
        .to_numpy(dtype=float),
        [m_from, m_to, v, p, r, lo, hi], rtol=0, atol=1e-6)


def test_item_change_percentages(change):
    # q1 T1>T2: d = 1,0,1,0,2,-1 -> 3/6 up, 2/6 stable, 1/6 down
    got = row(change, "q1", "T1", "T2")
    np.testing.assert_allclose(
        got[["pct_improved", "pct_stable", "pct_worsened"]].to_numpy(dtype=float),
        [50.0, 100 * 2 / 6, 100 / 6], atol=1e-6)
    assert (got["n_improved"], got["n_stable"], got["n_worsened"]) == (3, 2, 1)
    # q2 T2>T3: d = 1,-1,0,1,-1 -> 2/5 up, 1/5 stable, 2/5 down
    got = row(change, "q2", "T2", "T3")
    np.testing.assert_allclose(
        got[["pct_improved", "pct_stable", "pct_worsened"]].to_numpy(dtype=float),
        [40.0, 20.0, 40.0], atol=1e-6)
    # q1 T1>T2 mean difference by hand: (1+0+1+0+2-1)/6
    assert got["mean_diff"] == pytest.approx(0.0)
    assert row(change, "q1", "T1", "T2")["mean_diff"] == pytest.approx(3 / 6)


def test_item_change_bh_per_wave_pair(change):
    # R: p.adjust(c(0.3447042220, 0.2652053926, NA, NA), "BH") -> 0.344704222 0.344704222 NA NA
    # R: p.adjust(c(0.0889730117, 0.1675462775, 1, NA), "BH") -> 0.2513194162 0.2513194162 1 NA
    # R: p.adjust(c(0.0718606382, 1, 1, NA), "BH") -> 0.2155819147 1 1 NA
    expected = {
        ("T1", "T2"): [0.344704222, 0.344704222, np.nan, np.nan],
        ("T1", "T3"): [0.2513194162, 0.2513194162, 1.0, np.nan],
        ("T2", "T3"): [0.2155819147, 1.0, 1.0, np.nan],
    }
    for (w1, w2), exp in expected.items():
        got = [row(change, it, w1, w2)["p_adjusted"] for it in ["q1", "q2", "q3", "q4"]]
        np.testing.assert_allclose(got, exp, atol=1e-6)


def test_item_change_no_variation(change):
    # q3 T1>T2: 7 pairs, all differences zero.
    # R: wilcox.test(rep(3,7), rep(3,7), paired=TRUE, exact=FALSE) -> V = 0, p = NA
    # R: t.test(rep(3,7), rep(3,7), paired=TRUE)$conf.int -> NaN NaN
    got = row(change, "q3", "T1", "T2")
    assert got["n_pairs"] == 7
    assert got["n_nonzero"] == 0
    assert got["pct_stable"] == pytest.approx(100.0)
    for col in ["statistic", "p_value", "p_adjusted", "effect_size", "ci_low", "ci_high"]:
        assert np.isnan(got[col]), col


def test_item_change_item_nobody_answered(change):
    for w1, w2 in [("T1", "T2"), ("T1", "T3"), ("T2", "T3")]:
        got = row(change, "q4", w1, w2)
        assert got["n_pairs"] == 0
        for col in ["mean_from", "mean_to", "pct_improved", "pct_stable", "pct_worsened",
                    "statistic", "p_value", "p_adjusted", "effect_size", "ci_low", "ci_high"]:
            assert np.isnan(got[col]), col


def test_item_change_all_ties():
    # d = +1, +1, +1: every non-zero difference tied, r = 1.
    # R: wilcox.test(c(2,3,4), c(1,2,3), paired=TRUE, exact=FALSE)$p.value -> 0.1489147
    # hand: V = 6, z = (6 - 3 - 0.5) / sqrt(3*4*7/24 - (27-3)/48) = 2.5 / sqrt(3)
    # R: t.test(c(2,3,4), c(1,2,3), paired=TRUE) -> Error "data are essentially constant": CI NaN
    res = item_change(simple([1, 2, 3], [2, 3, 4]))
    got = res.iloc[0]
    assert got["n_pairs"] == 3
    assert got["statistic"] == pytest.approx(6.0)
    assert got["p_value"] == pytest.approx(0.1489147, abs=1e-6)
    assert got["effect_size"] == pytest.approx(1.0)
    assert np.isnan(got["ci_low"]) and np.isnan(got["ci_high"])
    # p_adjusted of a single test is the p-value (R: p.adjust(0.1489147, "BH") -> 0.1489147)
    assert got["p_adjusted"] == pytest.approx(0.1489147, abs=1e-6)


def test_item_change_all_tied_negative():
    # d = -2, -2: r = (0 - 3) / 3 = -1, V = 0
    # R: wilcox.test(c(1,2), c(3,4), paired=TRUE, exact=FALSE)$p.value -> 0.3457785862
    # hand: z = (0 - 1.5 + 0.5) / sqrt(2*3*5/24 - (8-2)/48) = -1 / sqrt(1.125) -> 2*pnorm(-0.9428090)
    got = item_change(simple([3, 4], [1, 2])).iloc[0]
    assert got["statistic"] == 0.0
    assert got["effect_size"] == pytest.approx(-1.0)
    assert got["p_value"] == pytest.approx(0.3457785862, abs=1e-6)


def test_item_change_one_candidate():
    got = item_change(simple([2], [4])).iloc[0]
    assert got["n_pairs"] == 1
    assert (got["mean_from"], got["mean_to"], got["pct_improved"]) == (2.0, 4.0, 100.0)
    for col in ["statistic", "p_value", "p_adjusted", "effect_size", "ci_low", "ci_high"]:
        assert np.isnan(got[col]), col


def test_item_change_empty_wave():
    # T4 is a wave of the study without any questionnaire yet.
    df = make_responses(categories=["T1", "T2", "T3", "T4"])
    res = item_change(df)
    assert len(res) == 4 * 6  # 4 items x C(4, 2) pairs
    t4 = res[res["to_wave"] == "T4"]
    assert len(t4) == 12
    assert (t4["n_pairs"] == 0).all()
    assert t4[["mean_from", "statistic", "p_value", "p_adjusted", "effect_size",
               "ci_low"]].isna().all().all()
    # the other pairs are unchanged: R value of q1 T1>T2 above
    assert row(res, "q1", "T1", "T2")["p_value"] == pytest.approx(0.3447042220, abs=1e-6)


def test_item_change_waves_argument(responses):
    # waves= overrides the categorical order and restricts the pairs
    res = item_change(responses, waves=["T1", "T3"])
    assert len(res) == 4
    assert set(res["to_wave"].astype(str)) == {"T3"}
    # R: wilcox.test(c(4,4,2,5), c(2,3,1,4), paired=TRUE, exact=FALSE)$p.value -> 0.0889730117
    assert row(res, "q1", "T1", "T3")["p_value"] == pytest.approx(0.0889730117, abs=1e-6)
    # BH over the T1>T3 items: same as above
    # R: p.adjust(c(0.0889730117, 0.1675462775, 1, NA), "BH") -> 0.2513194162 ...
    assert row(res, "q1", "T1", "T3")["p_adjusted"] == pytest.approx(0.2513194162, abs=1e-6)


def test_item_change_string_waves_sorted(responses):
    # plain strings: sorted unique order T1 < T2 < T3
    df = responses.assign(wave=responses["wave"].astype(str))
    res = item_change(df)
    assert row(res, "q2", "T1", "T3")["statistic"] == pytest.approx(13.0)


def test_item_change_duplicates_raise(responses):
    with pytest.raises(ValueError, match="several rows"):
        item_change(pd.concat([responses, responses.iloc[:1]]))


def test_item_change_direction_convention():
    # `statistic` is V of to - from: sum of the ranks of positive differences.
    # d = 1, -2, 3 -> ranks 1, 2, 3 -> V = 1 + 3 = 4, r = (4 - 2) / 6
    # R: wilcox.test(c(2,1,4), c(1,3,1), paired=TRUE, exact=FALSE) -> V = 4, p-value = 0.789268
    got = item_change(simple([1, 3, 1], [2, 1, 4])).iloc[0]
    assert got["statistic"] == 4.0
    assert got["effect_size"] == pytest.approx(1 / 3)
    assert got["p_value"] == pytest.approx(0.789268, abs=1e-6)


# ---------------------------------------------------------------------------
# Benjamini-Hochberg helper
# ---------------------------------------------------------------------------


def test_bh_against_r():
    # R: p.adjust(c(0.01, NA, 0.04, 0.03, 0.04, 0.2, 0.5), "BH")
    #    -> 0.06 NA 0.06 0.06 0.06 0.24 0.50
    got = _p_adjust_bh([0.01, np.nan, 0.04, 0.03, 0.04, 0.2, 0.5])
    np.testing.assert_allclose(got, [0.06, np.nan, 0.06, 0.06, 0.06, 0.24, 0.5], atol=1e-12)
    # R: p.adjust(c(0.9, 0.95), "BH") -> 0.95 0.95
    np.testing.assert_allclose(_p_adjust_bh([0.9, 0.95]), [0.95, 0.95], atol=1e-12)
    assert np.isnan(_p_adjust_bh([np.nan, np.nan])).all()


def _r_p_adjust_bh(p):
    """R's p.adjust(p, "BH") written out (stats/R/p.adjust.R), NA already dropped:
    i <- n:1; o <- order(p, decreasing = TRUE); ro <- order(o)
    pmin(1, cummin(n / i * p[o]))[ro]"""
    p = np.asarray(p, dtype=float)
    n = len(p)
    i = np.arange(n, 0, -1)
    o = np.argsort(-p, kind="stable")
    ro = np.argsort(o, kind="stable")
    return np.minimum(1, np.minimum.accumulate(n / i * p[o]))[ro]


def test_bh_is_scipy_and_equals_r_to_the_last_bit():
    # scipy.stats.false_discovery_control multiplies in R's order (n / i first):
    # the adjusted values are the same floats as R's, ties and NaN included.
    rng = np.random.default_rng(8)  # test data only
    for m in (1, 2, 3, 7, 30, 200):
        p = rng.random(m) ** 3
        p[: m // 3] = np.round(p[: m // 3], 2)          # ties
        with_nan = np.concatenate([p, [np.nan, np.nan]])[rng.permutation(m + 2)]
        got = _p_adjust_bh(with_nan)
        ok = ~np.isnan(with_nan)
        assert np.isnan(got[~ok]).all()
        assert np.array_equal(got[ok], _r_p_adjust_bh(with_nan[ok])), m


def test_scipy_wilcoxon_gives_the_p_value_but_not_r_statistic():
    # Why item_change does not call scipy.stats.wilcoxon (see its docstring).
    # Differences 1, 2, 3, 4, -1, 5: |d| ranks 1.5, 3, 4, 5, 1.5, 6 (the two 1s tie),
    # R+ = 1.5 + 3 + 4 + 5 + 6 = 19.5, R- = 1.5.
    from scipy import stats

    before = np.array([1, 1, 1, 1, 2, 1])
    after = before + np.array([1, 2, 3, 4, -1, 5])
    df = pd.DataFrame({"candidate": list("abcdef") * 2, "wave": ["T1"] * 6 + ["T2"] * 6,
                       "item": "q", "value": pd.array(np.r_[before, after], dtype="Int64")})
    ours = item_change(df).iloc[0]
    sp = stats.wilcoxon(after, before, zero_method="wilcox", correction=True, method="approx")
    assert ours["statistic"] == 19.5          # R: wilcox.test(...)$statistic V = 19.5
    assert sp.statistic == 1.5                # SciPy, two-sided: min(R+, R-)
    assert ours["p_value"] == pytest.approx(sp.pvalue, abs=1e-14)
    # SciPy's default method ("auto") uses the exact distribution here: not R's exact = FALSE
    assert stats.wilcoxon(after[:4], before[:4]).pvalue != pytest.approx(
        stats.wilcoxon(after[:4], before[:4], method="approx", correction=True).pvalue)


# ---------------------------------------------------------------------------
# response_distribution
# ---------------------------------------------------------------------------


def dist_row(res, item, w1, w2, wave, label):
    sel = res[(res["item"] == item) & (res["from_wave"] == w1) & (res["to_wave"] == w2)
              & (res["wave"] == wave) & (res["label"] == label)]
    assert len(sel) == 1, (item, w1, w2, wave, label)
    return sel.iloc[0]


def test_response_distribution_same_candidates(responses):
    res = response_distribution(responses)
    # q1 T1>T3: candidates with a questionnaire at both T1 and T3 are c1-c5, c7 (c6 has no T3).
    # T1 labels: Peu, Moyen, Pas du tout, Assez, Peu, Ne sait pas -> Peu = 2/6
    got = dist_row(res, "q1", "T1", "T3", "T1", "Peu")
    assert (got["n"], got["n_candidates"], got["n_answered"]) == (2, 6, 5)
    assert got["pct"] == pytest.approx(100 * 2 / 6)
    assert got["pct_answered"] == pytest.approx(100 * 2 / 5)
    dk = dist_row(res, "q1", "T1", "T3", "T1", "Ne sait pas")
    assert (dk["n"], dk["status"], bool(dk["answered"])) == (1, "dont_know", False)
    assert dk["pct"] == pytest.approx(100 / 6)
    assert np.isnan(dk["pct_answered"])
    # T3 values 4,4,2,5,<blank>,4 -> Assez 3/6, blank answer is its own "(missing)" category
    assert dist_row(res, "q1", "T1", "T3", "T3", "Assez")["n"] == 3
    miss = dist_row(res, "q1", "T1", "T3", "T3", "(missing)")
    assert (miss["n"], miss["status"]) == (1, "missing")
    # label observed for q1 but not at this wave: zero count kept
    assert dist_row(res, "q1", "T1", "T3", "T3", "Pas du tout")["n"] == 0
    # q1 T1>T2: all 7 candidates -> Moyen at T1: c2, c6 = 2/7
    got = dist_row(res, "q1", "T1", "T2", "T1", "Moyen")
    assert (got["n"], got["n_candidates"]) == (2, 7)


def test_response_distribution_sums_and_order(responses):
    res = response_distribution(responses)
    sums = res.groupby(["item", "from_wave", "to_wave", "wave"], observed=True)["pct"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 100.0)
    answered = res[res["answered"]]
    sums = answered.groupby(["item", "from_wave", "to_wave", "wave"], observed=True)[
        "pct_answered"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 100.0)  # q4 has no answered label
    # answered labels ordered by raw scale value, then missing-value labels
    q1 = res[(res["item"] == "q1") & (res["from_wave"] == "T1") & (res["to_wave"] == "T2")
             & (res["wave"] == "T1")]
    assert list(q1["label"]) == ["Pas du tout", "Peu", "Moyen", "Assez", "Tout a fait",
                                 "Ne sait pas", "(missing)"][: len(q1)]
    # q4: nobody answered -> only "Ne sait pas", with the same candidates
    q4 = res[(res["item"] == "q4") & (res["from_wave"] == "T2") & (res["to_wave"] == "T3")]
    assert list(q4["label"]) == ["Ne sait pas", "Ne sait pas"]
    assert list(q4["n"]) == [6, 6]


def test_response_distribution_given_labels(responses):
    scale = pd.DataFrame({
        "label": ["Pas du tout", "Peu", "Moyen", "Assez", "Tout a fait", "Ne sait pas"],
        "value": pd.array([1, 2, 3, 4, 5, None], dtype="Int64"),
    })
    res = response_distribution(responses, labels=scale)
    q3 = res[(res["item"] == "q3") & (res["from_wave"] == "T1") & (res["to_wave"] == "T2")
             & (res["wave"] == "T2")]
    # listed labels first (all of them, zeros kept), then "(missing)" seen in the data
    assert list(q3["label"]) == list(scale["label"]) + ["(missing)"]
    # q3 T2: everybody answered 3 (Moyen): 7/7
    assert list(q3["n"]) == [0, 0, 7, 0, 0, 0, 0]
    assert list(q3["pct_answered"].fillna(-1)) == [0, 0, 100, 0, 0, -1, -1]


# ---------------------------------------------------------------------------
# transition_table
# ---------------------------------------------------------------------------


def test_transition_table(responses):
    res = transition_table(responses)
    assert {"item", "from_wave", "to_wave", "value_from", "value_to", "n"} <= set(res.columns)
    t = res[(res["item"] == "q1") & (res["from_wave"] == "T1") & (res["to_wave"] == "T2")]
    # q1 values observed 1..5 -> 5 x 5 table
    assert len(t) == 25
    # pairs (from, to): (2,3), (3,3), (1,2), (4,4), (2,4), (3,2) by hand
    nonzero = t[t["n"] > 0].set_index(["value_from", "value_to"])["n"].to_dict()
    assert nonzero == {(1, 2): 1, (2, 3): 1, (2, 4): 1, (3, 2): 1, (3, 3): 1, (4, 4): 1}
    assert t["n"].sum() == 6
    assert (t["n_pairs"] == 6).all()
    assert t.set_index(["value_from", "value_to"]).loc[(3, 2), "direction"] == "worsened"
    # compact form: observed cells only
    compact = transition_table(responses, complete=False)
    c = compact[(compact["item"] == "q3") & (compact["from_wave"] == "T1")
                & (compact["to_wave"] == "T3")]
    # q3 T1>T3: d = 1,0,0,0,0,0 -> (3,4) once, (3,3) five times
    assert c.set_index(["value_from", "value_to"])["n"].to_dict() == {(3, 3): 5, (3, 4): 1}
    assert c["pct"].tolist() == pytest.approx([500 / 6, 100 / 6])


def test_transition_table_consistent_with_item_change(responses, change):
    # improved / stable / worsened counts add up to item_change's
    res = transition_table(responses)
    agg = res.pivot_table(index=["item", "from_wave", "to_wave"], columns="direction",
                          values="n", aggfunc="sum", observed=True).fillna(0)
    for _, r in change[change["n_pairs"] > 0].iterrows():
        a = agg.loc[(r["item"], r["from_wave"], r["to_wave"])]
        assert (a["improved"], a["stable"], a["worsened"]) == (
            r["n_improved"], r["n_stable"], r["n_worsened"])


def test_single_wave_gives_empty_results(responses):
    one = responses[responses["wave"] == "T1"]
    assert item_change(one, waves=["T1"]).empty
    assert transition_table(one, waves=["T1"]).empty
    assert response_distribution(one, waves=["T1"]).empty


def test_item_change_many_items_against_scipy():
    # Vectorized computation over 12 items x 3 pairs, checked against SciPy's
    # independent implementations (SciPy forced to the normal approximation):
    # scipy.stats.wilcoxon(to, from, zero_method="wilcox", correction=True, method="approx")
    # scipy.stats.ttest_rel(to, from).confidence_interval()
    from scipy import stats

    rng = np.random.default_rng(20240601)  # test data only; the library is deterministic
    n_cand, items = 25, [f"i{k}" for k in range(12)]
    idx = pd.MultiIndex.from_product([[f"c{k}" for k in range(n_cand)], WAVES, items],
                                     names=["candidate", "wave", "item"])
    values = pd.array(rng.integers(1, 6, len(idx)), dtype="Int64")
    values[rng.random(len(idx)) < 0.2] = pd.NA
    df = pd.DataFrame({"value": values}, index=idx).reset_index()
    res = item_change(df)
    wide = df.pivot(index=["item", "candidate"], columns="wave", values="value")
    for _, r in res.iterrows():
        pair = wide.loc[r["item"], [r["from_wave"], r["to_wave"]]].dropna().astype(float)
        x, y = pair.iloc[:, 0].to_numpy(), pair.iloc[:, 1].to_numpy()
        assert r["n_pairs"] == len(x)
        w = stats.wilcoxon(y, x, zero_method="wilcox", correction=True, method="approx")
        ci = stats.ttest_rel(y, x).confidence_interval()
        np.testing.assert_allclose([r["p_value"], r["ci_low"], r["ci_high"]],
                                   [w.pvalue, ci.low, ci.high], atol=1e-10)


# ---------------------------------------------------------------------------
# distribution_shares
# ---------------------------------------------------------------------------

SCALE4 = pd.DataFrame({"scale": "s4", "value": pd.array([1, 2, 3, 4, None], dtype="Int64"),
                       "label": ["L1", "L2", "L3", "L4", "NSP"]})
ITEMS2 = pd.DataFrame({"item": ["qa", "qr"], "dimension": "D", "scale": "s4",
                       "reverse": [False, True]})


def _dist(counts):
    """item_distribution rows: {(item, wave): [n_L1, n_L2, n_L3, n_L4, n_NSP, n_missing]}."""
    labels = ["L1", "L2", "L3", "L4", "NSP", "(missing)"]
    status = ["answered"] * 4 + ["dont_know", "missing"]
    rows = [(item, "T1", "T2", wave, lab, st, st == "answered", n)
            for (item, wave), ns in counts.items() for lab, st, n in zip(labels, status, ns)]
    return pd.DataFrame(rows, columns=["item", "from_wave", "to_wave", "wave", "label", "status",
                                       "answered", "n"])


def _shares_of(table, item, wave, kind="answer"):
    sel = table[(table["item"] == item) & (table["wave"] == wave) & (table["kind"] == kind)]
    return sel.sort_values("level") if kind == "answer" else sel.iloc[0]


def test_distribution_shares_by_hand():
    table = distribution_shares(_dist({
        ("qa", "T1"): [1, 3, 4, 2, 1, 1], ("qa", "T2"): [0, 2, 5, 3, 0, 2],
        ("qr", "T1"): [1, 3, 4, 2, 1, 1], ("qr", "T2"): [1, 3, 4, 2, 1, 1]}), ITEMS2, SCALE4)
    assert len(table) == 4 * (4 + 2)
    # qa at T1: A = 1+3+4+2 = 10 answers, N = 12 candidates; pct = 10, 30, 40, 20;
    # even scale (k = 4, h = 2): start_0 = -(10 + 30) = -40, then -30, 0, 40; ends -30, 0, 40, 60
    a1 = _shares_of(table, "qa", "T1")
    assert a1["label"].tolist() == ["L1", "L2", "L3", "L4"]
    np.testing.assert_allclose(a1["pct"], [10, 30, 40, 20])
    np.testing.assert_allclose(a1["start"], [-40, -30, 0, 40])
    np.testing.assert_allclose(a1["end"], [-30, 0, 40, 60])
    assert a1["n_base"].tolist() == [10] * 4 and not a1["neutral"].any()
    # side: 1 "Ne sait pas" and 1 missing of N = 12: 100/12 each, stacked from 0
    dk, miss = _shares_of(table, "qa", "T1", "dont_know"), _shares_of(table, "qa", "T1", "missing")
    assert (dk["n"], dk["n_base"], miss["n"]) == (1, 12, 1)
    assert dk["pct"] == pytest.approx(100 / 12) and dk["start"] == 0
    assert miss["start"] == pytest.approx(100 / 12) and miss["end"] == pytest.approx(200 / 12)
    # qa at T2: L1 nobody (kept: a level of the scale), pct 0, 20, 50, 30;
    # start_0 = -(0 + 20) = -20: -20, -20, 0, 50
    a2 = _shares_of(table, "qa", "T2")
    np.testing.assert_allclose(a2["pct"], [0, 20, 50, 30])
    np.testing.assert_allclose(a2["start"], [-20, -20, 0, 50])
    assert _shares_of(table, "qa", "T2", "missing")["pct"] == pytest.approx(200 / 12)
    # qr is reverse-keyed: least favourable first = L4, L3, L2, L1 with pct 20, 40, 30, 10;
    # start_0 = -(20 + 40) = -60, then -60 + 20 = -40, -40 + 40 = 0, 0 + 30 = 30
    r1 = _shares_of(table, "qr", "T1")
    assert r1["label"].tolist() == ["L4", "L3", "L2", "L1"] and r1["reverse"].all()
    np.testing.assert_allclose(r1["pct"], [20, 40, 30, 10])
    np.testing.assert_allclose(r1["start"], [-60, -40, 0, 30])
    assert table["n_levels"].eq(4).all() and table["dimension"].eq("D").all()
    assert table["n_candidates"].eq(12).all()


def test_distribution_shares_odd_scale_centres_the_neutral_answer():
    # 3 levels 2, 4, 2 of A = 8: pct 25, 50, 25; start_0 = -(25 + 50 / 2) = -50
    dist = pd.DataFrame({"item": "q", "from_wave": "T1", "to_wave": "T2", "wave": ["T1", "T1", "T1"],
                         "label": ["No", "Maybe", "Yes"], "answered": True, "n": [2, 4, 2]})
    table = distribution_shares(dist)
    ans = table[(table["wave"] == "T1") & (table["kind"] == "answer")]
    np.testing.assert_allclose(ans["start"], [-50, -25, 25])
    assert ans["neutral"].tolist() == [False, True, False]
    neutral = ans[ans["neutral"]].iloc[0]
    assert neutral["start"] + neutral["pct"] / 2 == 0
    # T2 has no row: zeros, and everything is 0 % of nobody
    t2 = table[table["wave"] == "T2"]
    assert t2["n"].eq(0).all() and t2["pct"].eq(0).all()


def test_distribution_shares_labels_outside_the_scale_use_the_table_order():
    # "Autre" is answered but not a label of the scale: the levels are the labels answered,
    # in the order of the table (L2, Autre, L1), none of the scale's unseen levels
    dist = pd.DataFrame({"item": "qa", "from_wave": "T1", "to_wave": "T2", "wave": "T1",
                         "label": ["L2", "Autre", "L1"], "answered": True, "n": [1, 1, 2]})
    table = distribution_shares(dist, ITEMS2, SCALE4)
    ans = table[(table["wave"] == "T1") & (table["kind"] == "answer")].sort_values("level")
    assert ans["label"].tolist() == ["L2", "Autre", "L1"]
    np.testing.assert_allclose(ans["pct"], [25, 25, 50])


def test_distribution_shares_of_response_distribution(responses):
    # the answer shares of every item x pair x wave sum to 100 when someone answered
    table = distribution_shares(response_distribution(responses))
    ans = table[table["kind"] == "answer"]
    sums = ans.groupby(["item", "from_wave", "to_wave", "wave"])["pct"].sum()
    base = ans.groupby(["item", "from_wave", "to_wave", "wave"])["n_base"].first()
    np.testing.assert_allclose(sums[base > 0], 100)
    assert (sums[base == 0] == 0).all()
    side = table[table["kind"] != "answer"].groupby(["item", "from_wave", "to_wave", "wave"])
    np.testing.assert_allclose(side["pct"].sum().to_numpy(),
                               (100 * side["n"].sum() / side["n_base"].first()).to_numpy())


def test_docstring_examples():
    import doctest

    import impactlib.stats.item_change

    assert doctest.testmod(impactlib.stats.item_change).failed == 0
