"""Collection statistics (impactlib.stats.collection) against values computed outside it.

The R values come from ``tests/r_reference/collection.R`` (R 4.x, ``prop.test``,
``glm``, ``sandwich::vcovCL``, ``lmtest::coeftest``/``coefci``), which builds
its own copy of the data below from the same closed-form rule; run
``Rscript tests/r_reference/collection.R`` to see them again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impactlib.stats.collection import (change_comparison, cohort_period,
                                        cohort_response_rates, newcombe_difference,
                                        pairs_projection, wilson_interval)


@pytest.mark.parametrize("x, n, low, high", [
    # R: prop.test(x, n, correct = FALSE)$conf.int
    (8, 10, 0.4901624715, 0.9433178485),
    (0, 7, 0.0, 0.3543304351),
    (38, 111, 0.2606740497, 0.4345579653),
    (5, 5, 0.5655175352, 1.0),
])
def test_wilson_interval_equals_r_prop_test(x, n, low, high):
    lo, hi = wilson_interval(x, n)
    assert lo == pytest.approx(low, abs=1e-9) and hi == pytest.approx(high, abs=1e-9)


def test_wilson_interval_is_vectorized_and_nan_without_trials():
    lo, hi = wilson_interval([8, 0, 3], [10, 7, 0])
    assert lo[:2] == pytest.approx([0.4901624715, 0.0], abs=1e-9)
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_newcombe_difference_textbook_and_r():
    # Newcombe (1998), Statistics in Medicine 17:873, Table II, example (a):
    # 56/70 vs 48/80, method 10 (hybrid score): 0.0524 to 0.3339.
    d, lo, hi = newcombe_difference(48, 80, 56, 70)
    assert (d, round(lo, 4), round(hi, 4)) == (pytest.approx(0.2), 0.0524, 0.3339)
    # R, by hand from prop.test's Wilson limits (collection.R): 5/56 -> 0/29
    d, lo, hi = newcombe_difference(5, 56, 0, 29)
    assert (d, lo, hi) == pytest.approx((-0.0892857143, -0.1925600139, 0.0381371479), abs=1e-9)


def _change_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The closed-form data of collection.R: 120 candidates x (T2, T3)."""
    i = np.repeat(np.arange(120), 2)
    w = np.tile([2, 3], 120)
    antenne = np.array(["Liege", "Namur", "Mons"])[i % 3]
    due = pd.Timestamp("2024-01-01") + pd.to_timedelta(3 * i + np.where(w == 3, 120, 0), "D")
    after = due >= pd.Timestamp("2024-07-01")
    u = (i * 37 + w * 11 + i // 7) % 10
    answered = u < np.where(after, 7, 5) - (antenne == "Mons") + (w == 2)
    cand = pd.Series(i).map("c{:03d}".format).to_numpy()
    status = pd.DataFrame({
        "candidate": cand, "wave": pd.Categorical([f"T{x}" for x in w], ["T2", "T3"], ordered=True),
        "status": np.where(answered, "answered", "missed"), "due_date": due,
        "date": pd.Series(due).where(answered).to_numpy()})
    candidates = pd.DataFrame({"candidate": cand[::2], "antenne": antenne[::2]})
    return status, candidates


def test_change_comparison_equals_r_glm_with_clustered_errors():
    status, candidates = _change_data()
    t = change_comparison(status, [("2024-07-01", "Questionnaire au dernier entretien")],
                          candidates=candidates, covariates=["antenne"])
    assert list(t["wave"]) == ["T2", "T3", "T2+T3"]
    pooled = t.iloc[2]
    # R: sum(answered[after==0]) / sum(after==0) etc.: 46/82 before, 119/158 after
    assert (pooled["answered_before"], pooled["n_before"]) == (46, 82)
    assert (pooled["answered_after"], pooled["n_after"]) == (119, 158)
    assert pooled["difference"] == pytest.approx(119 / 158 - 46 / 82)
    d, lo, hi = newcombe_difference(46, 82, 119, 158)
    assert (pooled["diff_low"], pooled["diff_high"]) == pytest.approx((lo, hi))
    # R: glm(answered ~ after + wave + antenne, binomial), vcovCL(m, cluster = ~cand),
    # coefci / coeftest: OR 2.8317288538 [1.5310826492, 5.2372667836], p 0.0009075809
    assert pooled["model_terms"] == "after + wave + antenne"
    assert (pooled["odds_ratio"], pooled["or_low"], pooled["or_high"], pooled["p_value"]) == \
        pytest.approx((2.8317288538, 1.5310826492, 5.2372667836, 0.0009075809), rel=1e-6)
    # R: the same model on T2 alone, without wave: OR 3.3105276024 [1.4424277049, 7.5980189294]
    t2 = t.iloc[0]
    assert t2["model_terms"] == "after + antenne"
    assert (t2["odds_ratio"], t2["or_low"], t2["or_high"], t2["p_value"]) == \
        pytest.approx((3.3105276024, 1.4424277049, 7.5980189294, 0.0047398988), rel=1e-6)


def test_change_comparison_suppresses_small_sides_and_skips_thin_models():
    status, candidates = _change_data()
    early = status.loc[status["due_date"] < "2024-01-13"]          # 4 candidates x T2 before
    t = change_comparison(early.assign(due_date=early["due_date"]),
                          [("2024-01-10", "x")], candidates=candidates, covariates=["antenne"])
    row = t.iloc[0]
    assert row["suppressed"] and np.isnan(row["rate_before"]) and np.isnan(row["difference"])
    assert row["model_terms"] == "" and np.isnan(row["odds_ratio"])
    assert row["n_before"] + row["n_after"] == (early["wave"] == "T2").sum()


def test_change_periods_are_cut_at_the_neighbouring_changes():
    status, _ = _change_data()
    t = change_comparison(status, [("2024-09-01", "b"), ("2024-04-01", "a")])
    first, second = t.loc[t["label"] == "a"].iloc[-1], t.loc[t["label"] == "b"].iloc[-1]
    due = status["due_date"]
    # change a: before = everything before 2024-04-01, after = [2024-04-01, 2024-09-01)
    assert first["n_before"] == (due < "2024-04-01").sum()
    assert first["n_after"] == ((due >= "2024-04-01") & (due < "2024-09-01")).sum()
    assert second["n_before"] == first["n_after"]
    assert second["n_after"] == (due >= "2024-09-01").sum()


def test_cohorts_by_month_merge_small_ones_and_count_due_questionnaires():
    # 3 entrants in January, 6 in February, 2 in March, 7 in April. Each has T1 answered; T2 answered by even candidates, missed by odd ones.
    entries = (["2024-01-10"] * 3 + ["2024-02-10"] * 6 + ["2024-03-10"] * 2
               + ["2024-04-10"] * 7)
    n = len(entries)
    ids = [f"c{k:02d}" for k in range(n)]
    status = pd.DataFrame({
        "candidate": np.repeat(ids, 2), "wave": ["T1", "T2"] * n,
        "status": [s for k in range(n) for s in ("answered", "answered" if k % 2 == 0
                                                 else "missed")],
        "date": pd.NaT, "due_date": pd.NaT})
    cands = pd.DataFrame({"candidate": ids, "entry_date": pd.to_datetime(entries)})
    t = cohort_response_rates(status, cands, period="month", min_n=5)
    t2 = t.loc[t["wave"] == "T2"]
    # January (3) is merged forward with February (6): 9 entrants, c00..c08: T2 answered by
    # c00, c02, c04, c06, c08 = 5 of 9. March (2: c09, c10) is too small too: merged forward
    # with April (7): 9 entrants c09..c17, T2 answered by c10, c12, c14, c16 = 4 of 9.
    assert list(t2["n_entrants"]) == [9, 9]
    assert list(t2["cohort_start"].dt.strftime("%Y-%m-%d")) == ["2024-01-01", "2024-03-01"]
    assert list(t2["cohort_end"].dt.strftime("%Y-%m-%d")) == ["2024-02-29", "2024-04-30"]
    assert list(t2["n_answered"]) == [5, 4] and list(t2["n_due"]) == [9, 9]
    lo, hi = wilson_interval(5, 9)
    assert t2.iloc[0][["ci_low", "ci_high"]].tolist() == pytest.approx([lo, hi])
    assert not t2["suppressed"].any()


def test_cohort_period_grows_with_a_small_study():
    fast = pd.Series(pd.date_range("2024-01-01", periods=300, freq="D"))   # ~30 a month
    slow = pd.Series(pd.date_range("2024-01-01", periods=40, freq="15D"))  # 2 a month
    assert cohort_period(fast) == "month"
    assert cohort_period(slow) == "year"        # 12 per half-year < 20, ~24 a year


def _projection_status(n_done: int, n_pairs: int, n_pending: int, entries_per_month: int,
                       as_of: str = "2025-01-01") -> pd.DataFrame:
    """n_done candidates whose last wave was due 180 days after entry (n_pairs answered
    both), n_pending still in the programme; entries spread evenly over the last year."""
    n = n_done + n_pending
    end = pd.Timestamp(as_of)
    entry = end - pd.to_timedelta(np.linspace(364, 0, n).round(), "D") if entries_per_month else \
        pd.DatetimeIndex([end - pd.Timedelta(days=900)] * n)
    ids = [f"c{k:03d}" for k in range(n)]
    last = np.array(["answered"] * n_pairs + ["missed"] * (n_done - n_pairs)
                    + ["not_yet_due"] * n_pending)
    # the first n_done entered earliest: their last wave is due 180 days after entry
    due_last = pd.Series(entry + pd.Timedelta(days=180)).where(last != "not_yet_due")
    return pd.DataFrame({
        "candidate": np.repeat(ids, 2), "wave": ["T1", "T3"] * n,
        "status": np.ravel(np.column_stack([["answered"] * n, last])),
        "due_date": np.ravel(np.column_stack([entry, due_last])),
        "date": pd.NaT}), pd.DataFrame({"candidate": ids, "entry_date": entry})


def test_pairs_projection_by_hand():
    status, cands = _projection_status(n_done=40, n_pairs=10, n_pending=20, entries_per_month=5)
    p = pairs_projection(status, n_needed=90, as_of="2025-01-01", candidates=cands).iloc[0]
    # By hand: p_pair = 10/40 = 0.25; pending 20 -> 5 expected pairs; missing = 90-10-5 = 75
    # pairs = 300 entrants; 60 entrants over the 364 days since the first entry ->
    # 60/364*30.4375 = 5.01717 a month -> 59.795 months, + 180/30.4375 = 5.9138 months in
    # the programme = 65.709 months = 2000 days after 2025-01-01 = 2030-06-24.
    assert (p["n_pairs"], p["n_last_due"], p["n_pending"]) == (10, 40, 20)
    assert p["p_pair"] == 0.25 and p["window_days"] == 364
    assert p["entrants_per_month"] == pytest.approx(60 / 364 * 30.4375)
    assert p["months_in_programme"] == pytest.approx(180 / 30.4375)
    assert p["verdict"] == "expected"
    assert p["expected_date"] == pd.Timestamp("2025-01-01") + pd.Timedelta(days=2000)
    assert p["expected_early"] < p["expected_date"] < p["expected_late"]


def test_pairs_projection_says_never_and_reached():
    status, cands = _projection_status(n_done=40, n_pairs=0, n_pending=0, entries_per_month=5)
    assert pairs_projection(status, 90, "2025-01-01", cands)["verdict"].item() == "never"
    status, cands = _projection_status(n_done=40, n_pairs=10, n_pending=0, entries_per_month=0)
    p = pairs_projection(status, 90, "2025-01-01", cands).iloc[0]
    assert p["verdict"] == "never" and p["entrants_per_month"] == 0 and pd.isna(p["expected_date"])
    status, cands = _projection_status(n_done=40, n_pairs=30, n_pending=0, entries_per_month=5)
    assert pairs_projection(status, 25, "2025-01-01", cands)["verdict"].item() == "reached"


def test_half_years_are_january_june_and_july_december():
    from impactlib.stats.collection import calendar_cohorts

    d = pd.Series(pd.to_datetime(["2024-03-31", "2024-04-01", "2024-06-30", "2024-07-01",
                                  "2024-12-31"]))
    c = calendar_cohorts(d, "half-year", min_n=1)
    assert c["cohort_start"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01"] * 3 + [
        "2024-07-01"] * 2
    assert c["cohort_end"].dt.strftime("%Y-%m-%d").tolist() == ["2024-06-30"] * 3 + [
        "2024-12-31"] * 2
    # about 25 entrants a half-year, under 20 a quarter: half-year is chosen
    entries = pd.Series(pd.date_range("2023-01-01", periods=100, freq="7D"))
    assert cohort_period(entries) == "half-year"
