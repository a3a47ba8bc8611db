"""The ordinal model's effect as a probability, with its interval (issue 15).

``item_ordinal``'s ``prob_low`` / ``prob_high`` are ``prob_higher`` at the ends of the
log-odds interval, with the item's fitted thresholds. References are computed here, outside
the code under test, by direct summation over the answer categories (scipy.special.expit for
the cumulative logit), from the thresholds and wave effects R's ``ordinal::clmm`` fitted
(``tests/r_reference/expected/item_ordinal*.csv``, made by ``tests/r_reference/ordinal.R``),
and by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from impactlib.stats.ordinal import item_ordinal, scale_levels
from impactlib.stats.ordinal_effects import ordinal_effects

from test_ordinal import EXPECTED, reference  # noqa: F401  (the R reference study, a fixture)


def superiority(thresholds, eta_from, eta_to):
    """P(Y_to > Y_from) + P(Y_to = Y_from) / 2 by summing over the pairs of categories.

    P(Y <= k) = expit(theta_k - eta); p_k the differences; sum over a > b of p_to[a] p_from[b]
    plus half the diagonal. Written out, independent of impactlib.stats.ordinal.prob_higher.
    """
    theta = np.asarray(thresholds, dtype=float)
    cum = lambda eta: np.concatenate([[0.0], special.expit(theta - eta), [1.0]])  # noqa: E731
    p_from, p_to = np.diff(cum(eta_from)), np.diff(cum(eta_to))
    joint = np.outer(p_to, p_from)                  # joint[a, b] = P(Y_to = a, Y_from = b)
    return float(np.tril(joint, -1).sum() + 0.5 * np.trace(joint))


def test_hand_case_symmetric_thresholds_and_no_change_give_one_half():
    # thresholds -1, 0, 1 are symmetric about 0: with contrast 0 the two answers have the
    # same distribution, so P(higher) = P(lower) and P(higher) + tie / 2 = 1/2 exactly
    assert superiority([-1.0, 0.0, 1.0], 0.0, 0.0) == pytest.approx(0.5, abs=1e-15)
    # K = 2, threshold 0, eta 0 -> log 3: P(high) 1/2 -> 3/4, so
    # P(higher) = 3/4 * 1/2 = 3/8, tie = 1/2 * 1/4 + 1/2 * 3/4 = 1/2 -> 3/8 + 1/4 = 0.625
    assert superiority([0.0], 0.0, np.log(3)) == pytest.approx(0.625, abs=1e-15)


def test_symmetric_item_without_change_gives_one_half_and_a_symmetric_interval():
    """Answer pairs (T1, T2) on 1..3 that are the same data with the waves swapped and with
    the scale turned round (y -> 4 - y): the likelihood is symmetric in both, so the fit has
    contrast 0 and thresholds symmetric about 0. By hand, prob_higher is 0.5 and the interval
    ends are 1/2 -+ the same amount (g(-d) = 1 - g(d) when the thresholds are symmetric)."""
    pairs = [(1, 2), (2, 1), (3, 2), (2, 3), (1, 3), (3, 1), (1, 1), (3, 3), (2, 2), (2, 2)] * 3
    t1, t2 = (list(c) for c in zip(*pairs))
    n = len(pairs)
    data = pd.DataFrame({"candidate": [f"c{i}" for i in range(n)] * 2,
                         "wave": ["T1"] * n + ["T2"] * n, "item": "q",
                         "value": pd.array(t1 + t2, dtype="Int64")})
    row = item_ordinal(data, dimension=None).iloc[0]
    assert row["converged"]
    assert row["estimate"] == pytest.approx(0.0, abs=1e-6)
    assert row["prob_higher"] == pytest.approx(0.5, abs=1e-6)
    assert row["prob_low"] < 0.5 < row["prob_high"]
    assert row["prob_low"] + row["prob_high"] == pytest.approx(1.0, abs=1e-6)


def test_interval_ends_are_prob_higher_at_the_log_odds_bounds_with_clmms_thresholds(reference):  # noqa: F811
    """The R reference study (20 items x 3 pairs). For each row the reference is
    superiority(theta_R, eta_from, eta_from + bound) with theta_R the thresholds R's clmm
    fitted (item_ordinal_thresholds.csv), eta_from = 0 at T1 and beta_T2 (R's T1 -> T2
    estimate) at T2, bound = R's ci_low / ci_high. Fits agree to 2e-4; the map's slope is
    below 1/4, so 5e-4 is ample."""
    ours = item_ordinal(reference.responses, waves=reference.waves,
                        levels=scale_levels(reference.items, reference.scales))
    r = pd.read_csv(EXPECTED / "item_ordinal.csv")
    thr = {item: g["estimate"].to_numpy() for item, g in
           pd.read_csv(EXPECTED / "item_ordinal_thresholds.csv").groupby("item", sort=False)}
    beta_t2 = r.loc[r["to_wave"].eq("T2")].set_index("item")["estimate"]
    got = ours.assign(from_wave=ours["from_wave"].astype(str), to_wave=ours["to_wave"].astype(str))
    m = r.merge(got, on=["item", "from_wave", "to_wave"], suffixes=("_r", ""), validate="1:1")
    assert len(m) == 60 and m["converged"].all()
    for row in m.itertuples(index=False):
        eta_from = 0.0 if row.from_wave == "T1" else beta_t2[row.item]
        theta = thr[row.item]
        assert row.prob_low == pytest.approx(
            superiority(theta, eta_from, eta_from + row.ci_low_r), abs=5e-4)
        assert row.prob_high == pytest.approx(
            superiority(theta, eta_from, eta_from + row.ci_high_r), abs=5e-4)
        assert row.prob_higher == pytest.approx(
            superiority(theta, eta_from, eta_from + row.estimate_r), abs=5e-4)
    # the probability interval excludes 0.5 exactly when the log-odds interval excludes 0
    assert ((m["prob_low"] > 0.5) == (m["ci_low"] > 0)).all()
    assert ((m["prob_high"] < 0.5) == (m["ci_high"] < 0)).all()
    assert ((m["prob_low"] <= m["prob_higher"]) & (m["prob_higher"] <= m["prob_high"])).all()
    assert m[["prob_low", "prob_high"]].apply(lambda c: c.between(0, 1)).all().all()


def test_t2_to_t3_is_measured_from_t2s_answers_not_from_the_difference_alone(reference):  # noqa: F811
    """prob_higher of a pair of later waves depends on the contrast *and* on where the earlier
    wave lies (the answer distribution at T2): by hand, with R's thresholds, superiority at
    (beta_T2, beta_T3) equals superiority at (0, beta_T3 - beta_T2) with the thresholds moved
    by -beta_T2, and differs from it with the thresholds left in place."""
    r = pd.read_csv(EXPECTED / "item_ordinal.csv").set_index(["item", "from_wave", "to_wave"])
    theta = pd.read_csv(EXPECTED / "item_ordinal_thresholds.csv").query("item == 'Q01'")[
        "estimate"].to_numpy()
    b2, b3 = r.loc[("Q01", "T1", "T2"), "estimate"], r.loc[("Q01", "T1", "T3"), "estimate"]
    assert r.loc[("Q01", "T2", "T3"), "prob_higher"] == pytest.approx(
        superiority(theta, b2, b3), abs=1e-9)
    assert superiority(theta, b2, b3) == pytest.approx(superiority(theta - b2, 0.0, b3 - b2),
                                                       abs=1e-12)
    assert abs(superiority(theta, b2, b3) - superiority(theta, 0.0, b3 - b2)) > 1e-4


def test_not_converged_and_not_estimable_rows_have_no_interval():
    # a single answer value: nothing to model, every number NaN (the row is kept)
    data = pd.DataFrame({"candidate": list("abcd") * 2, "wave": ["T1"] * 4 + ["T2"] * 4,
                         "item": "q", "value": pd.array([2] * 8, dtype="Int64")})
    row = item_ordinal(data, dimension=None).iloc[0]
    assert not row["converged"]
    assert np.isnan([row["prob_higher"], row["prob_low"], row["prob_high"]]).all()


def test_effects_copy_the_interval_keep_unconverged_items_and_suppress_small_ones():
    t = pd.DataFrame({
        "item": ["Q1", "Q2", "Q3", "Q4", "Q5", "Q1"], "dimension": ["A", "A", "B", "B", "B", "A"],
        "from_wave": ["T1"] * 5 + ["T2"], "to_wave": ["T3"] * 6,
        "estimate": [1.0, -0.6, 0.1, np.nan, 2.0, 0.3],
        "ci_low": [0.2, -1.0, -0.5, np.nan, 1.0, -0.1],
        "ci_high": [1.8, -0.2, 0.7, np.nan, 3.0, 0.7],
        "prob_higher": [0.62, 0.43, 0.51, np.nan, 0.7, 0.53],
        "prob_low": [0.53, 0.38, 0.46, np.nan, 0.6, 0.49],
        "prob_high": [0.70, 0.48, 0.56, np.nan, 0.8, 0.58],
        "n_candidates": [120, 118, 119, 117, 4, 80],
        "converged": [True, True, True, False, True, True]})
    e = ordinal_effects(t, "T1", "T3")
    assert e["item"].tolist() == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert e["status"].astype(str).tolist() == ["higher", "lower", "unclear", "not_converged",
                                                "suppressed"]
    assert e["n_candidates"].tolist()[:4] == [120, 118, 119, 117]
    assert pd.isna(e.loc[4, "n_candidates"])                 # 4 candidates: not shown
    assert e.loc[3:, ["prob_higher", "prob_low", "prob_high"]].isna().all().all()
    assert e.loc[:2, ["prob_higher", "prob_low", "prob_high"]].to_numpy().tolist() == [
        [0.62, 0.53, 0.70], [0.43, 0.38, 0.48], [0.51, 0.46, 0.56]]
    # an older table without the interval: the ends are NaN, the status still from ci_low/high
    old = ordinal_effects(t.drop(columns=["prob_low", "prob_high"]), "T1", "T3")
    assert old[["prob_low", "prob_high"]].isna().all().all()
    assert old["status"].astype(str).tolist() == e["status"].astype(str).tolist()
