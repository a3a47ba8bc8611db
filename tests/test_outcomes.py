"""Outcomes (issue 13): the funder's number, soft against hard outcomes, before/after a policy.

The R values come from ``tests/r_reference/outcomes.R`` (R 4.x, ``prop.test``,
``t.test``, ``glm``, ``confint.default``), which builds its own copy of the
closed-form data of :func:`_data`; run ``Rscript tests/r_reference/outcomes.R``
to see them again. The other values are worked out by hand beside each
assertion.
"""

from __future__ import annotations

import logging
import textwrap

import numpy as np
import pandas as pd
import pytest

from impactlib.errors import StudyError
from impactlib.intake.processed import clean_study
from impactlib.intake.study import Outcomes, load_study
from impactlib.report import contract
from impactlib.report.results import build_results, study_results
from impactlib.stats.outcomes import (CATEGORIES, DEFAULT_STATUSES, change_to_last,
                                      employment_model, employment_shares, exit_categories,
                                      exit_status_breakdown, job_search_dimension,
                                      policy_comparison, six_month_status,
                                      soft_hard_comparison)

AS_OF = "2030-01-01"       # every six-month point of _data() has passed


def _data(n: int = 120):
    """The closed-form data of outcomes.R: candidates, scores (two dimensions, three waves)."""
    i = np.arange(n)
    baseline = 2 + ((i * 7) % 11) / 5
    c13 = (i * 13) % 17
    change = c13 / 8 - 0.8
    conf = ((i * 5) % 9) / 4 - 1
    employed = (i * 37 + 11) % 20 < np.where(c13 >= 9, 12, 8)
    known = i % 6 != 5
    entry = pd.Timestamp("2023-01-01") + pd.to_timedelta(5 * i, "D")
    exit_ = entry + pd.to_timedelta(150 + (i % 7) * 10 + i // 10, "D")
    ids = [f"c{k:03d}" for k in i]
    cand = pd.DataFrame({
        "candidate": ids, "entry_date": entry, "exit_date": exit_,
        "exit_status": np.array(["emploi", "Formation", "abandon", " Emploi"])[i % 4],
        "employment_6m": np.where(known, np.where(employed, "yes", "no"), "unknown"),
        "genre": np.array(["F", "H"])[i % 2], "antenne": np.array(["A", "B", "C"])[i % 3],
        "in_registry": True})
    # Last questionnaire: T3 for i % 4 == 0 (T2 in between), else T2.
    rows = []
    for dim, first, delta in (("Recherche", baseline, change), ("Confiance", 3.0 + 0 * i, conf)):
        t3 = i % 4 == 0
        rows += [pd.DataFrame({"candidate": ids, "wave": "T1", "dimension": dim,
                               "score": first}),
                 pd.DataFrame({"candidate": ids, "wave": "T2", "dimension": dim,
                               "score": np.where(t3, first + 0.5, first + delta)}),
                 pd.DataFrame({"candidate": np.array(ids)[t3], "wave": "T3", "dimension": dim,
                               "score": (first + delta)[t3]})]
    scores = pd.concat(rows, ignore_index=True)
    scores["wave"] = pd.Categorical(scores["wave"], ["T1", "T2", "T3"], ordered=True)
    scores["dimension"] = pd.Categorical(scores["dimension"], ["Confiance", "Recherche"])
    return cand, scores


def _employed(status: pd.DataFrame) -> pd.Series:
    known = status.loc[status["counted"] & status["employed"].notna()]
    return pd.Series(known["employed"].astype(bool).to_numpy(), index=known["candidate"])


# --------------------------------------------------------------------------
# The six-month status, by hand
# --------------------------------------------------------------------------
def test_six_month_status_follows_its_rule_by_hand():
    cand = pd.DataFrame({
        "candidate": list("abcdefghij"),
        "exit_status": ["emploi", "abandon", "formation", "emploi", "formation", "en cours",
                        None, "CDI", "emploi", "abandon"],
        "exit_date": pd.to_datetime(["2024-01-31", "2024-02-01", "2024-03-01", "2024-03-01",
                                     "2024-04-01", None, "2024-02-01", "2024-02-01",
                                     "2024-09-01", None]),
        "employment_6m": ["yes", "unknown", None, None, "no", "yes", None, None, "yes", "yes"],
        "job_start_date": pd.to_datetime([None, "2024-08-01", "2024-09-02", None, "2024-05-01",
                                          None, None, None, None, None]),
        "outcome_date": pd.to_datetime([None, None, None, "2024-09-15", None, None,
                                        "2024-07-15", None, None, None]),
        "in_registry": [True] * 9 + [True]})
    st = six_month_status(cand, as_of="2024-12-31").set_index("candidate")
    # a: recorded yes; the six-month point of 31 January is 31 July (calendar months, clipped)
    assert st.loc["a", "six_month_date"] == pd.Timestamp("2024-07-31")
    assert (st.loc["a", "employed"], st.loc["a", "source"]) == (True, "employment_6m")
    # b: recorded unknown -> job_start_date 2024-08-01 on or before the point 2024-08-01: employed
    assert (st.loc["b", "employed"], st.loc["b", "source"]) == (True, "job_start_date")
    # c: job started 2024-09-02, after the point 2024-09-01: not employed at six months
    assert (st.loc["c", "employed"], st.loc["c", "source"]) == (False, "job_start_date")
    # d: no job start, checked on 2024-09-15 after the point 2024-09-01: no job then
    assert (st.loc["d", "employed"], st.loc["d", "source"]) == (False, "job_start_date")
    # e: recorded no wins over a job started before the point
    assert (st.loc["e", "employed"], st.loc["e", "source"]) == (False, "employment_6m")
    # f: still in the programme: not exited, not counted
    assert st.loc["f", "category"] == "ongoing" and not st.loc["f", "exited"]
    # g: left with no status: category unknown; no job start, checked before the point: unknown
    assert st.loc["g", "category"] == "unknown" and pd.isna(st.loc["g", "employed"])
    # h: a status in no list is "other"; nothing recorded and the registry has outcome
    # columns: unknown (the exit status is not used then)
    assert st.loc["h", "category"] == "other" and pd.isna(st.loc["h", "source"])
    # i: exited 2024-09-01, point 2025-03-01 after as_of: pending, not counted
    assert st.loc["i", "pending"] and not st.loc["i", "counted"]
    assert pd.isna(st.loc["i", "employed"])
    # j: a status but no exit date: left, but no six-month point: neither counted nor pending
    assert not st.loc["j", "exited"] and st.loc["j", "category"] == "dropout"
    assert st["counted"].sum() == 7           # a b c d e g h
    assert st.loc[st["counted"], "employed"].notna().sum() == 5


def test_exit_status_stands_in_only_without_outcome_columns():
    cand = pd.DataFrame({"candidate": list("abcd"),
                         "exit_status": ["Emploi ", "formation", "abandon", None],
                         "exit_date": pd.to_datetime(["2024-01-10"] * 4)})
    st = six_month_status(cand, as_of="2024-12-31")
    # by hand: employment at exit -> employed; training, dropout -> not; no status -> unknown
    assert st["employed"].tolist() == [True, False, False, pd.NA]
    assert st["source"].fillna("-").tolist() == ["exit_status"] * 3 + ["-"]
    table = employment_shares(st, min_n=1)
    assert table.loc[0, ["n_exited", "n_known", "n_employed", "n_from_exit_status"]].tolist() \
        == [4, 3, 1, 3]
    assert table.loc[0, "source"] == "exit_status"


def test_exit_categories_use_the_study_lists_case_and_space_insensitively():
    cand = pd.DataFrame({"exit_status": ["CDI", "cdd", "Formation  qualifiante", "emploi"],
                         "exit_date": pd.to_datetime(["2024-01-01"] * 4)})
    lists = {"employment": ["CDI", "CDD"], "training": ["formation qualifiante"],
             "dropout": [], "ongoing": ["en cours"]}
    # "emploi" is in no list given here: other
    assert exit_categories(cand, "2024-12-31", lists).tolist() == [
        "employment", "employment", "training", "other"]
    assert Outcomes().statuses == DEFAULT_STATUSES


# --------------------------------------------------------------------------
# The funder's number against R
# --------------------------------------------------------------------------
def test_employment_shares_equal_r_prop_test_with_bounds_and_cohorts():
    cand, _ = _data()
    table = employment_shares(six_month_status(cand, AS_OF), target=0.5)
    whole = table.iloc[0]
    # R (outcomes.R): 50 / 100 known employed, 120 exited
    assert whole["cohort"] == "all" and whole["period"] == "all"
    assert (whole["n_exited"], whole["n_known"], whole["n_employed"], whole["n_unknown"]) == (
        120, 100, 50, 20)
    assert whole["share"] == 0.5
    # R: prop.test(50, 100, correct = FALSE)$conf.int
    assert (whole["ci_low"], whole["ci_high"]) == pytest.approx((0.4038315304, 0.5961684696),
                                                                abs=1e-9)
    # by hand: (50 + 20) / 120 and 50 / 120
    assert whole["share_if_unknown_employed"] == pytest.approx(70 / 120)
    assert whole["share_if_unknown_not_employed"] == pytest.approx(50 / 120)
    assert whole["target"] == 0.5 and whole["months"] == 6
    assert (whole["n_from_employment_6m"], whole["source"]) == (100, "employment_6m")
    # Exit cohorts by half-year (median 36 exits, a quarter has fewer than 20); the first
    # half of 2023 (3 exits) is merged with the second. R: prop.test(x, n, correct = FALSE)
    cohorts = table.iloc[1:].set_index("cohort")
    assert set(cohorts["period"]) == {"half-year"}
    expected = {"2023-01-01": ("2023-12-31", 37, 31, 16, 0.3484039545, 0.6802974844),
                "2024-01-01": ("2024-06-30", 36, 29, 14, 0.3138609015, 0.6556897812),
                "2024-07-01": ("2024-12-31", 36, 31, 15, 0.3197025156, 0.6515960455),
                "2025-01-01": ("2025-06-30", 11, 9, 5, 0.2666512935, 0.8112214789)}
    assert list(cohorts.index) == list(expected)
    for cohort, (end, n, k, x, lo, hi) in expected.items():
        row = cohorts.loc[cohort]
        assert (row["cohort_end"], row["n_exited"], row["n_known"], row["n_employed"]) == (
            end, n, k, x)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-9)
    assert cohorts[["n_exited", "n_known", "n_employed"]].sum().tolist() == [120, 100, 50]


def test_employment_shares_hide_small_groups_and_count_pending_and_unreadable():
    cand, _ = _data(12)
    status = six_month_status(cand, "2023-12-31")
    # by hand: exit on day 5 i + 150 + 10 (i % 7) + i // 10 of 2023: 150, 165, 180 (30 June)
    # for i = 0, 1, 2 (six-month point on or before 2023-12-31): counted; the 9 others,
    # all left by 2023-12-31 (the last on day 236), pending.
    table = employment_shares(status, unreadable=["c001", "c009"])
    whole = table.iloc[0]
    counted = status["counted"].sum()
    assert whole["n_exited"] == counted == 3
    assert whole["n_pending"] == 9
    assert whole["n_unreadable"] == 1          # c001 is counted, c009 is pending
    assert whole["suppressed"] and np.isnan(whole["share"]) and np.isnan(whole["ci_low"])
    assert np.isnan(whole["share_if_unknown_employed"])
    # counts stay, as in the other tables
    assert whole["n_known"] == 3 and whole["n_employed"] == status["employed"].sum()
    assert np.isnan(whole["target"])


def test_exit_status_breakdown_hides_counts_from_one_to_four():
    st = pd.DataFrame({"category": ["employment"] * 7 + ["training"] * 3 + ["dropout"] * 5
                       + ["ongoing"] * 5 + ["unknown"] * 1})
    t = exit_status_breakdown(st).set_index("category")
    assert list(t.index) == list(CATEGORIES)
    # by hand: 21 candidates, 16 not ongoing
    assert (t["n_candidates"].iloc[0], t["n_exited"].iloc[0]) == (21, 16)
    assert t.loc["employment", "n"] == 7
    assert t.loc["employment", "share"] == pytest.approx(7 / 21)
    assert t.loc["employment", "share_of_exited"] == pytest.approx(7 / 16)
    assert t.loc["other", "n"] == 0 and not t.loc["other", "suppressed"]
    for hidden in ("training", "unknown"):
        assert pd.isna(t.loc[hidden, "n"]) and t.loc[hidden, "suppressed"]
        assert np.isnan(t.loc[hidden, "share"])
    assert t.loc["ongoing", "n"] == 5 and np.isnan(t.loc["ongoing", "share_of_exited"])


# --------------------------------------------------------------------------
# Soft outcomes against hard outcomes, against R
# --------------------------------------------------------------------------
def test_change_to_last_takes_the_last_questionnaire():
    cand, scores = _data()
    ch = change_to_last(scores, waves=["T1", "T2", "T3"])
    rec = ch.loc[ch["dimension"] == "Recherche"].set_index("candidate")
    # c000: T3 (i % 4 == 0) holds baseline + change, T2 baseline + 0.5; c001: T2
    assert rec.loc["c000", "last_wave"] == "T3" and rec.loc["c001", "last_wave"] == "T2"
    assert rec.loc["c000", "change"] == pytest.approx(0 / 8 - 0.8)
    assert rec.loc["c001", "change"] == pytest.approx(13 / 8 - 0.8)
    assert len(ch) == 240 and list(dict.fromkeys(ch["dimension"])) == ["Confiance", "Recherche"]


def test_soft_hard_comparison_equals_r_welch():
    cand, scores = _data()
    status = six_month_status(cand, AS_OF)
    t = soft_hard_comparison(change_to_last(scores), _employed(status)).set_index("dimension")
    # R: t.test(change[known & employed == 1], change[known & employed == 0])
    rec = t.loc["Recherche"]
    assert (rec["n_employed"], rec["n_not_employed"]) == (50, 50)
    assert rec["difference"] == pytest.approx(0.2175, abs=1e-9)
    assert (rec["ci_low"], rec["ci_high"]) == pytest.approx((-0.0246833568, 0.4596833568),
                                                            abs=1e-9)
    assert (rec["t"], rec["df"], rec["p_value"]) == pytest.approx(
        (1.7823101005, 97.5628741867, 0.0778094516), abs=1e-9)
    conf = t.loc["Confiance"]
    assert conf["difference"] == pytest.approx(-0.03, abs=1e-9)
    assert (conf["ci_low"], conf["ci_high"], conf["df"]) == pytest.approx(
        (-0.2912472085, 0.2312472085, 97.5275188836), abs=1e-9)
    assert conf["mean_baseline_employed"] == conf["mean_baseline_not_employed"] == 3.0
    assert not t["suppressed"].any()
    # A group under 5: means and test hidden, counts kept
    few = _employed(status).iloc[:8]
    small = soft_hard_comparison(change_to_last(scores), few)
    assert small["suppressed"].all() and small["difference"].isna().all()
    assert (small["n_employed"] + small["n_not_employed"] == 8).all()


def test_employment_model_equals_r_glm_and_confint_default():
    cand, scores = _data()
    status = six_month_status(cand, AS_OF)
    fit = employment_model(change_to_last(scores), _employed(status), cand, "Recherche",
                           ["genre", "antenne"]).set_index("term")
    # R: glm(employed ~ change + baseline + genre + antenne, binomial); exp(confint.default(m))
    # 50 employed and 50 not: 10 per parameter for 5 parameters, just enough
    assert list(fit.index) == ["Intercept", "change", "baseline", "genre[H]", "antenne[B]",
                               "antenne[C]"]
    assert (fit["n"].iloc[0], fit["n_employed"].iloc[0]) == (100, 50)
    assert fit["model_terms"].iloc[0] == "change + baseline + genre + antenne"
    assert fit["note"].isna().all()
    expected = {"Intercept": (0.0382266851, 1.0538782501, 0.1316857694, 8.1971792356),
                "change": (0.5860285703, 0.3371928899, 0.9278758385, 3.4795900683),
                "baseline": (-0.0710403984, 0.3243890503, 0.4932045640, 1.7590087799),
                "genre[H]": (0.1480176417, 0.4562351585, 0.4741712017, 2.8355108668),
                "antenne[B]": (-0.0241490986, 0.4559282340, 0.3994159129, 2.3856075255),
                "antenne[C]": (0.0598663415, 0.6016893084, 0.3264681017, 3.4526971766)}
    for term, (b, se, lo, hi) in expected.items():
        row = fit.loc[term]
        assert (row["estimate"], row["std_error"]) == pytest.approx((b, se), abs=1e-6)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-6)
    assert fit.loc["change", "odds_ratio"] == pytest.approx(1.7968382098, rel=1e-6)
    assert fit.loc["change", "p_value"] == pytest.approx(0.0822174361, abs=1e-6)


def test_employment_model_leaves_covariates_out_then_says_why():
    cand, scores = _data(80)
    status = six_month_status(cand, AS_OF)
    fit = employment_model(change_to_last(scores), _employed(status), cand, "Recherche",
                           ["genre", "antenne"]).set_index("term")
    # R (outcomes.R, i < 80): 34 employed of 67: under 50 for 5 parameters, enough (30) for
    # 3: antenne (the last listed) is left out. glm(employed ~ change + baseline + genre)
    assert fit["model_terms"].iloc[0] == "change + baseline + genre"
    assert fit["note"].iloc[0] == "covariates left out for lack of candidates: antenne"
    assert (fit["n"].iloc[0], fit["n_employed"].iloc[0]) == (67, 34)
    assert fit.loc["change", "odds_ratio"] == pytest.approx(1.7256699835, rel=1e-6)
    assert (fit.loc["change", "ci_low"], fit.loc["change", "ci_high"]) == pytest.approx(
        (0.7676680304, 3.8791987862), rel=1e-6)
    cand, scores = _data(30)
    status = six_month_status(cand, AS_OF)
    none = employment_model(change_to_last(scores), _employed(status), cand, "Recherche",
                            ["genre"])
    # R (i < 30): 12 employed of 25: under 20 for change + baseline
    assert len(none) == 1 and none["term"].iloc[0] == "change"
    assert none["note"].iloc[0] == (
        "not fitted: 12 employed and 13 not employed among 25 candidates, under 10 of each "
        "per parameter for the 2 parameters (change, baseline)")
    assert np.isnan(none["odds_ratio"].iloc[0]) and none["n"].iloc[0] == 25
    skipped = employment_model(change_to_last(scores), _employed(status), cand, None)
    assert skipped["note"].iloc[0].startswith("no job-search dimension")


def test_job_search_dimension_is_named_or_found():
    assert job_search_dimension(["Confiance", "Recherche d'EMPLOI"]) == "Recherche d'EMPLOI"
    assert job_search_dimension(["Confidence", "Job search"]) == "Job search"
    assert job_search_dimension(["Confiance", "Bien-être"]) is None
    assert job_search_dimension(["A", "B"], "B") == "B"
    with pytest.raises(ValueError, match="'C' is not a dimension"):
        job_search_dimension(["A", "B"], "C")


# --------------------------------------------------------------------------
# Before / after a policy change, against R
# --------------------------------------------------------------------------
def test_policy_comparison_equals_r():
    cand, scores = _data()
    status = six_month_status(cand, AS_OF)
    t = policy_comparison(cand, scores, status, [("2023-11-01", "Tout public", "selection")],
                          AS_OF, covariates=["genre"], waves=["T1", "T2", "T3"])
    t = t.set_index(["measure", "variable", "level"])
    assert set(t["kind"]) == {"selection"} and not t["suppressed"].any()
    # R: entry = 2023-01-01 + 5 i; 61 entered before 2023-11-01, 59 after
    ent = t.loc[("entrants", "per_month", np.nan)]
    assert (ent["n_before"], ent["n_after"]) == (61, 59)
    # by hand: 61 over the 304 days from the first entry, 59 over the days to as_of
    assert ent["before"] == pytest.approx(61 / (304 / 30.4375))
    days_after = (pd.Timestamp(AS_OF) - pd.Timestamp("2023-11-01")).days
    assert ent["after"] == pytest.approx(59 / (days_after / 30.4375))
    h = t.loc[("baseline_share", "genre", "H")]
    # R: 30/61 -> 30/59; prop.test limits, Newcombe by hand, SMD (p2 - p1) / sqrt(...)
    assert (h["before"], h["after"]) == pytest.approx((30 / 61, 30 / 59))
    assert (h["before_low"], h["before_high"], h["after_low"], h["after_high"]) == pytest.approx(
        (0.3706039532, 0.6139738151, 0.3843514306, 0.6315616309), abs=1e-9)
    assert (h["difference"], h["ci_low"], h["ci_high"]) == pytest.approx(
        (0.0166712976, -0.1574901082, 0.1894130109), abs=1e-9)
    assert h["smd"] == pytest.approx(0.0333472309, abs=1e-9)
    b = t.loc[("baseline_score", "Recherche", np.nan)]
    # R: t.test(b0)$conf.int, t.test(b1)$conf.int, t.test(b1, b0)$conf.int
    assert (b["before"], b["after"]) == pytest.approx((2.9934426230, 3.0101694915), abs=1e-9)
    assert (b["before_low"], b["before_high"], b["after_low"], b["after_high"]) == pytest.approx(
        (2.8290602253, 3.1578250206, 2.8438165590, 3.1765224241), abs=1e-9)
    assert (b["ci_low"], b["ci_high"]) == pytest.approx((-0.2147199770, 0.2481737141), abs=1e-9)
    assert b["smd"] == pytest.approx(0.0261319477, abs=1e-9)
    e = t.loc[("employment_6m", "share", np.nan)]
    # R: 25/51 -> 25/49, Newcombe
    assert (e["n_before"], e["n_after"]) == (51, 49)
    assert (e["difference"], e["ci_low"], e["ci_high"]) == pytest.approx(
        (0.0200080032, -0.1698749734, 0.2078700747), abs=1e-9)
    k = t.loc[("employment_6m", "known_share", np.nan)]
    assert (k["n_before"], k["n_after"]) == (61, 59)
    assert (k["difference"], k["ci_low"], k["ci_high"]) == pytest.approx(
        (-0.0055570992, -0.1415549573, 0.1292484106), abs=1e-9)
    c = t.loc[("change", "Recherche", np.nan)]
    # R: t.test(change[after], change[!after])
    assert (c["before"], c["after"]) == pytest.approx((0.1897540984, 0.1936440678), abs=1e-9)
    assert (c["ci_low"], c["ci_high"]) == pytest.approx((-0.2208937228, 0.2286736616), abs=1e-9)
    d = t.loc[("coaching_days", "median", np.nan)]
    assert (d["before"], d["after"], d["difference"]) == (182, 189, 7)     # R: median(days)
    assert np.isnan(d["ci_low"])
    ongoing = t.loc[("in_programme", "share", np.nan)]
    assert (ongoing["before"], ongoing["after"]) == (0, 0)    # everyone left by as_of


def test_policy_comparison_hides_a_small_side():
    cand, scores = _data(30)
    status = six_month_status(cand, AS_OF)
    # entries 2023-01-01 + 5 i: 3 before 2023-01-15 (i = 0, 1, 2), 27 after
    t = policy_comparison(cand, scores, status, [("2023-01-15", "Tout public")], AS_OF)
    assert t["suppressed"].all() and t["before"].isna().all()
    assert (t.loc[t["measure"] == "entrants", ["n_before", "n_after"]].iloc[0].tolist()
            == [3, 27])
    assert set(t["kind"]) == {"selection"}


# --------------------------------------------------------------------------
# study.yml: the new keys, each problem one line
# --------------------------------------------------------------------------
@pytest.mark.parametrize("extra, message", [
    ("funder_target: {share: 50}", "funder_target share must be a share between 0 and 1 "
                                   "(excluded), such as 0.5 for 50%, not '50'"),
    ("funder_target: {share: 1}", "funder_target share must be a share between 0 and 1"),
    ("funder_target: {share: 0.5, months: 0}", "funder_target months must be a whole number "
                                               "of months from 1 to 60, not '0'"),
    ("funder_target: {share: 0.5, mois: 6}", "unknown key 'mois' in funder_target (known: "
                                             "share, months, label)"),
    ("outcomes: {emploi: [CDI]}", "unknown key 'emploi' in outcomes (known: employment, "
                                  "training, dropout, ongoing, job_search_dimension)"),
    ("outcomes: {employment: [CDI, formation], training: [Formation]}",
     "outcomes: exit status 'Formation' is listed under both employment and training"),
    ("changes:\n  - {date: 2024-01-01, label: Tout public, kind: recrutement}",
     "changes entry 1 ('Tout public'): kind 'recrutement' is not one of collection, "
     "selection, programme"),
    ("changes:\n  - {date: 2024-01-01, label: Tout public, kind: selection, waves: [T1]}",
     "changes entry 1 ('Tout public'): waves apply to kind collection only, not to a "
     "selection change"),
], ids=["share-percent", "share-one", "months", "target-key", "outcome-key", "twice", "kind",
        "waves"])
def test_study_refuses_bad_outcome_settings_in_one_line(make_study, extra, message):
    path = make_study({"T1": "id;A1\nX;1\n"}, extra=extra)
    with pytest.raises(StudyError) as err:
        load_study(path)
    assert str(err.value).startswith(f"{path}: {message}")
    assert "\n" not in str(err.value)


def test_study_reads_outcome_settings_and_keeps_defaults(make_study):
    path = make_study({"T1": "id;A1\nX;1\n"}, extra=textwrap.dedent("""\
        funder_target: {share: 0.5, months: 12, label: "Emploi 12 mois après la sortie"}
        outcomes: {employment: [emploi, formation], job_search_dimension: Recherche}
        changes:
          - {date: 2024-03-01, label: SMS, waves: [T1]}
          - {date: 2024-01-01, label: Tout public, kind: Selection}
          - {date: 2024-03-01, label: Atelier CV, kind: programme}"""))
    study = load_study(path)
    assert (study.funder_target.share, study.funder_target.months,
            study.funder_target.label) == (0.5, 12, "Emploi 12 mois après la sortie")
    # "formation" given under employment leaves the default training list
    assert study.outcomes.statuses == {"employment": ("emploi", "formation"), "training": (),
                                       "dropout": ("abandon",), "ongoing": ("en cours",)}
    assert study.outcomes.job_search_dimension == "Recherche"
    assert [(c.label, c.kind) for c in study.collection_changes] == [("SMS", "collection")]
    assert [(c.label, c.kind) for c in study.policy_changes] == [
        ("Tout public", "selection"), ("Atelier CV", "programme")]
    bare = load_study(make_study({"T1": "id;A1\nX;1\n"}))
    assert bare.funder_target.share is None and bare.funder_target.months == 6
    assert bare.outcomes == Outcomes()


# --------------------------------------------------------------------------
# The registry's outcome columns: read, and unreadable cells recorded
# --------------------------------------------------------------------------
REGISTRY = """\
id;entry_date;exit_date;exit_status;employment_6m;job_start_date;outcome_date
X1;01/01/2024;01/06/2024;emploi;Oui;;15/12/2024
X2;01/01/2024;01/06/2024;abandon;NON;;
X3;01/01/2024;01/06/2024;formation;ne  sait pas;02/08/2024;
X4;01/01/2024;01/06/2024;emploi;Inconnu;31/02/2024;
X5;01/01/2024;01/06/2024;emploi;peut-être;;hier
X6;01/01/2024;;en cours;;;
X7;01/01/2024;01/06/2024;Emploi;TRUE;;
X8;01/01/2024;01/06/2024;abandon;0;;
X9;01/01/2024;01/06/2024;formation;yes;;
"""


def _registry_study(make_study, registry: str = REGISTRY, extra: str = ""):
    path = make_study({"T1": "id;A1;A2;B1;B2\n" + "".join(
        f"X{k};3;2;{1 + k % 4};{1 + (k * 3) % 4}\n" for k in range(1, 10)),
        "T2": "id;A1;A2;B1;B2\n" + "".join(
        f"X{k};3;2;{1 + (k + 2) % 4};2\n" for k in range(1, 10))},
        extra="registry: registry.csv\n" + extra)
    (path.parent / "registry.csv").write_text(registry, encoding="utf-8")
    return path


def test_registry_outcomes_are_read_and_bad_cells_recorded(make_study, caplog):
    path = _registry_study(make_study)
    with caplog.at_level(logging.INFO):
        p = clean_study(path)
    cand = p.candidates.set_index(p.candidates["candidate"].map(
        dict(zip(p.pseudonyms["candidate"], p.pseudonyms["id"]))))
    # French and English spellings, case and spaces folded; unreadable -> missing
    assert cand["employment_6m"].fillna("-").to_dict() == {
        "X1": "yes", "X2": "no", "X3": "unknown", "X4": "unknown", "X5": "-", "X6": "-",
        "X7": "yes", "X8": "no", "X9": "yes"}
    assert cand.loc["X3", "job_start_date"] == pd.Timestamp("2024-08-02")
    assert pd.isna(cand.loc["X4", "job_start_date"])             # 31/02: no such day
    assert cand.loc["X1", "outcome_date"] == pd.Timestamp("2024-12-15")
    bad = p.invalid_cells.loc[p.invalid_cells["file"] == "registry.csv"]
    # by hand: line 5 (X4) job_start_date, line 6 (X5) employment_6m and outcome_date
    assert bad[["line", "column", "raw_value"]].values.tolist() == [
        [5, "job_start_date", "31/02/2024"], [6, "employment_6m", "peut-être"],
        [6, "outcome_date", "hier"]]
    assert bad["wave"].isna().all() and bad["candidate"].str.match(r"^C[0-9a-f]{16}$").all()
    assert bad["reason"].tolist() == [
        "unreadable date (use dd/mm/yyyy or yyyy-mm-dd)",
        "not a six-month employment status (oui/non/inconnu, yes/no/unknown, 1/0)",
        "unreadable date (use dd/mm/yyyy or yyyy-mm-dd)"]
    assert "registry.csv: 3 outcome cell(s) could not be read" in caplog.text
    # ... and counted in the results: X4 and X5 left on 2024-06-01, point 2024-12-01
    res = build_results(p, as_of="2025-01-31")
    whole = res["outcomes"].iloc[0]
    assert whole["n_unreadable"] == 2
    # by hand: 8 left (X6 in the programme); X1 X7 X9 yes, X2 X8 no, X3 from its job start
    # (2024-08-02 before 2024-12-01: employed); X4 X5 unknown
    assert (whole["n_exited"], whole["n_known"], whole["n_employed"]) == (8, 6, 4)
    assert (whole["n_from_employment_6m"], whole["n_from_job_start_date"]) == (5, 1)
    assert whole["source"] == "employment_6m+job_start_date"
    # The written tables keep their contract
    for name in ("outcomes", "exit_status", "soft_hard", "employment_model"):
        contract.validate(name, res[name])


def test_without_outcomes_the_tables_are_absent(make_study):
    registry = "id;entry_date;exit_date\n" + "".join(f"X{k};01/01/2024;01/06/2024\n"
                                                      for k in range(1, 10))
    p = clean_study(_registry_study(make_study, registry))
    assert "employment_6m" not in p.candidates.columns
    res = build_results(p, as_of="2025-01-31")
    assert not {"outcomes", "exit_status", "soft_hard", "employment_model",
                "policy_change"} & set(res)
    assert set(contract.OPTIONAL_TABLES) >= {"outcomes", "exit_status", "soft_hard",
                                             "employment_model", "policy_change"}


def test_job_search_dimension_must_be_a_codebook_dimension(make_study):
    path = _registry_study(make_study, extra="outcomes: {job_search_dimension: Emploi}")
    with pytest.raises(StudyError) as err:
        clean_study(path)
    assert str(err.value) == (f"{path}: outcomes job_search_dimension 'Emploi' is not a "
                              "dimension of the codebook (Confiance, Recherche)")


# --------------------------------------------------------------------------
# The demo: every table, its contract, the link it is built with
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_tables(demo_study, demo_processed):
    return study_results(load_study(demo_study), demo_processed)


def test_demo_outcome_tables_follow_their_contract(demo_tables):
    for name in ("outcomes", "exit_status", "soft_hard", "employment_model", "policy_change"):
        assert len(demo_tables[name]) > 0, name
        contract.validate(name, demo_tables[name])
    whole = demo_tables["outcomes"].iloc[0]
    assert whole["cohort"] == "all" and whole["target"] == 0.5
    # realistic unknowns: a fifth to a third of the candidates counted
    assert 0.2 <= whole["n_unknown"] / whole["n_exited"] <= 0.33
    assert whole["share_if_unknown_not_employed"] <= whole["ci_low"] <= whole["share"] \
        <= whole["ci_high"] <= whole["share_if_unknown_employed"]
    assert whole["n_unreadable"] == 1                   # the demo's "à vérifier"
    cohorts = demo_tables["outcomes"].iloc[1:]
    assert cohorts[["n_exited", "n_known", "n_employed"]].sum().tolist() == [
        whole["n_exited"], whole["n_known"], whole["n_employed"]]
    ex = demo_tables["exit_status"].set_index("category")
    assert ex["n"].sum() == ex["n_candidates"].iloc[0] == 309


def test_demo_shows_job_search_progress_going_with_employment(demo_tables):
    sh = demo_tables["soft_hard"].set_index("dimension")
    assert sh.loc["Recherche d'emploi", "difference"] > 0
    assert sh.loc["Recherche d'emploi", "ci_low"] > 0
    fit = demo_tables["employment_model"].set_index("term")
    assert fit.loc["change", "dimension"] == "Recherche d'emploi"
    assert fit.loc["change", "odds_ratio"] > 1 and fit.loc["change", "n"] >= 40


def test_demo_selection_change_is_compared_and_kept_out_of_collection(demo_tables):
    pc = demo_tables["policy_change"]
    assert set(pc["change_date"]) == {"2024-01-01"} and set(pc["kind"]) == {"selection"}
    rows = pc.set_index(["measure", "variable"])
    # the demo is built so: after the change, entrants start lower and find work less often
    assert rows.loc[("baseline_score", "Recherche d'emploi"), "difference"] < 0
    assert rows.loc[("employment_6m", "share"), "difference"] < 0
    assert set(demo_tables["collection_changes"]["change_date"]) == {"2024-03-01"}
