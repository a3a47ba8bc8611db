"""Tests for impactlib.stats.attrition.

Every expected value is computed outside impactlib: by hand (the computation
is in the comment) or with R 4.2 (the R call is in the comment). Run with
``-W error::RuntimeWarning``.
"""

import numpy as np
import pandas as pd
import pytest

from impactlib.stats.attrition import (
    attrition_rates,
    attrition_table,
    days_between_waves,
    dropout_comparison,
    dropout_model,
    due_status,
    funnel,
    item_matrix,
    little_mcar,
    score_matrix,
    pattern_counts,
    wave_status,
)

WAVES = ["T1", "T2", "T3"]
WAVE = pd.CategoricalDtype(WAVES, ordered=True)


def _q(rows):
    """questionnaires table from (candidate, wave, date) tuples."""
    df = pd.DataFrame(rows, columns=["candidate", "wave", "date"])
    df["wave"] = df["wave"].astype(WAVE)
    df["date"] = pd.to_datetime(df["date"])
    df["n_answered"] = 30
    return df


# ---------------------------------------------------------------------------
# pattern_counts
# ---------------------------------------------------------------------------
def test_pattern_counts_order_and_non_monotone():
    cand = pd.DataFrame(
        {
            "candidate": list("abcdefghij"),
            "pattern": ["T2", "T1", "T1+T3", "T1+T2", "T1", "T1+T2+T3", "T1", "T1+T2", "", "T2+T3"],
        }
    )
    out = pattern_counts(cand, waves=WAVES)
    assert list(out.columns) == ["pattern", "n_candidates", "share"]
    # hand: positions (0,) < (0,1) < (0,1,2) < (0,2) < (1,) < (1,2); empty pattern last
    assert out["pattern"].tolist() == ["T1", "T1+T2", "T1+T2+T3", "T1+T3", "T2", "T2+T3", ""]
    assert out["n_candidates"].tolist() == [3, 2, 1, 1, 1, 1, 1]  # hand count
    assert out["share"].iloc[0] == pytest.approx(3 / 10)  # 3 of 10 candidates


def test_pattern_counts_from_in_columns():
    # no `pattern` column: rebuilt from in_T1, in_T2, in_T3 (order of columns = wave order)
    cand = pd.DataFrame(
        {
            "candidate": list("abcd"),
            "in_T1": [True, True, True, False],
            "in_T2": [True, False, False, True],
            "in_T3": [False, False, True, False],
        }
    )
    out = pattern_counts(cand)
    assert out["pattern"].tolist() == ["T1", "T1+T2", "T1+T3", "T2"]
    assert out["n_candidates"].tolist() == [1, 1, 1, 1]


def test_pattern_counts_real_data_shape():
    # 309 candidates: 160 T1 only, 111 T1+T2, 38 T1+T2+T3 (study figures)
    cand = pd.DataFrame(
        {"candidate": [f"c{i}" for i in range(309)], "pattern": ["T1"] * 160 + ["T1+T2"] * 111 + ["T1+T2+T3"] * 38}
    )
    out = pattern_counts(cand, waves=WAVES)
    assert out["n_candidates"].tolist() == [160, 111, 38]
    assert out["share"].tolist() == pytest.approx([160 / 309, 111 / 309, 38 / 309])


# ---------------------------------------------------------------------------
# funnel
# ---------------------------------------------------------------------------
def test_funnel():
    q = _q(
        [
            ("a", "T1", None), ("b", "T1", None), ("c", "T1", None), ("d", "T1", None),
            ("a", "T2", None), ("b", "T2", None), ("e", "T2", None),
            ("a", "T3", None), ("e", "T3", None),
        ]
    )
    out = funnel(q)
    assert list(out.columns) == ["wave", "n_questionnaires", "n_candidates", "retention_from_first", "pct_of_first"]
    assert out["wave"].tolist() == WAVES
    assert out["n_candidates"].tolist() == [4, 3, 2]
    # hand: T1 = {a,b,c,d}; T2 ∩ T1 = {a,b} -> 2/4; T3 ∩ T1 = {a} -> 1/4
    assert out["retention_from_first"].tolist() == pytest.approx([1.0, 0.5, 0.25])
    # hand: 100 * |T_w| / |T1| = 100, 75, 50 (e counts here)
    assert out["pct_of_first"].tolist() == pytest.approx([100.0, 75.0, 50.0])


def test_funnel_empty_waves():
    q = _q([("a", "T2", None), ("b", "T2", None)])
    out = funnel(q)  # T1 and T3 empty categories
    assert out["n_questionnaires"].tolist() == [0, 2, 0]
    assert out["retention_from_first"].isna().all()  # nobody at the first wave
    out = funnel(q, waves=["T2", "T3"])
    assert out["retention_from_first"].tolist() == pytest.approx([1.0, 0.0])


# ---------------------------------------------------------------------------
# days_between_waves
# ---------------------------------------------------------------------------
def test_days_between_waves():
    q = _q(
        [
            ("a", "T1", "2024-01-01"), ("a", "T2", "2024-04-01"), ("a", "T3", "2024-07-01"),
            ("b", "T1", "2024-01-15"), ("b", "T2", "2024-03-01"),
            ("c", "T1", "2024-02-10"), ("c", "T2", "2024-02-07"),
            ("d", "T1", "2024-02-01"), ("d", "T2", None), ("d", "T3", "2024-06-15"),
            ("e", "T1", None), ("e", "T2", "2024-05-01"), ("e", "T3", "2024-08-01"),
            ("f", "T1", "2024-03-01"), ("f", "T2", "2024-06-29"),
        ]
    )
    out = days_between_waves(q)
    assert list(out.columns) == ["from_wave", "to_wave", "n", "median_days", "q1_days", "q3_days", "n_negative"]
    assert list(zip(out["from_wave"], out["to_wave"])) == [("T1", "T2"), ("T1", "T3"), ("T2", "T3")]
    assert out["n"].tolist() == [4, 2, 2]
    assert out["n_negative"].tolist() == [1, 0, 0]  # c: T2 dated 3 days before T1
    # R: d <- function(a, b) as.numeric(as.Date(b) - as.Date(a))
    # R: quantile(c(91, 46, -3, 120), c(.25, .5, .75)) -> 33.75 68.50 98.25
    assert out.loc[0, ["q1_days", "median_days", "q3_days"]].tolist() == pytest.approx([33.75, 68.5, 98.25])
    # R: quantile(c(182, 135), c(.25, .5, .75)) -> 146.75 158.50 170.25
    assert out.loc[1, ["q1_days", "median_days", "q3_days"]].tolist() == pytest.approx([146.75, 158.5, 170.25])
    # R: quantile(c(91, 92), c(.25, .5, .75)) -> 91.25 91.50 91.75
    assert out.loc[2, ["q1_days", "median_days", "q3_days"]].tolist() == pytest.approx([91.25, 91.5, 91.75])


def test_days_between_waves_no_dates():
    q = _q([("a", "T1", None), ("a", "T2", None)])
    out = days_between_waves(q)
    assert out["n"].tolist() == [0, 0, 0]
    assert out["median_days"].isna().all() and out["q1_days"].isna().all()


# ---------------------------------------------------------------------------
# wave_status / attrition_rates
# ---------------------------------------------------------------------------
def _registry():
    return pd.DataFrame(
        {
            "candidate": list("abcdefg"),
            "entry_date": pd.to_datetime(
                ["2024-01-01", "2024-01-15", "2024-05-01", "2024-02-01", "2024-03-01", "2024-08-01", None]
            ),
            "exit_date": pd.to_datetime(["2024-05-01", "2024-06-01", None, None, "2024-09-01", None, None]),
            "exit_status": ["sorti", "abandon", "en cours", "En cours ", None, None, "abandon"],
        }
    )


def _registry_q():
    return _q(
        [
            ("a", "T1", "2024-01-02"), ("a", "T2", "2024-03-30"), ("a", "T3", "2024-05-02"),
            ("b", "T1", "2024-01-16"),
            ("c", "T1", "2024-05-02"),
            ("d", "T1", "2024-02-01"), ("d", "T3", "2024-03-01"),
            ("h", "T2", "2024-03-10"),  # h: not in the registry
        ]
    )


EXPECTED_STATUS = {
    # hand, as_of = 2024-06-30, T2 due entry + 90 days, T3 due at exit:
    "a": ["answered", "answered", "answered"],
    # b: T2 due 2024-04-14 (R: as.Date("2024-01-15") + 90) <= as_of; left 2024-06-01
    "b": ["answered", "missed", "missed"],
    # c: T2 due 2024-07-30 (R: as.Date("2024-05-01") + 90) > as_of; 'en cours'
    "c": ["answered", "not_yet_due", "not_yet_due"],
    # d: T2 due 2024-05-01 missed; 'En cours ' is ongoing but T3 was answered (early)
    "d": ["answered", "missed", "answered"],
    # e: entry 2024-03-01 -> T1 missed, T2 due 2024-05-30 missed; exit 2024-09-01 > as_of
    "e": ["missed", "missed", "not_yet_due"],
    # f: entry after as_of; no exit information -> still in
    "f": ["not_yet_due", "not_yet_due", "not_yet_due"],
    # g: entry unknown -> T1 due, T2 unknown; 'abandon' without date -> left, T3 due
    "g": ["missed", "unknown", "missed"],
    # h: entry = first questionnaire 2024-03-10; no registry row -> still in
    "h": ["missed", "answered", "not_yet_due"],
}


def test_wave_status_rules():
    st = wave_status(_registry(), _registry_q(), as_of="2024-06-30")
    assert list(st.columns) == ["candidate", "wave", "status", "due_date", "date"]
    assert len(st) == 8 * 3
    got = st.groupby("candidate")["status"].agg(list).to_dict()
    assert got == EXPECTED_STATUS
    b = st.set_index(["candidate", "wave"]).loc[("b", "T2")]
    assert b["due_date"] == pd.Timestamp("2024-04-14")  # R: as.Date("2024-01-15") + 90
    assert st.set_index(["candidate", "wave"]).loc[("b", "T3"), "due_date"] == pd.Timestamp("2024-06-01")
    assert st.set_index(["candidate", "wave"]).loc[("a", "T2"), "date"] == pd.Timestamp("2024-03-30")


def test_attrition_rates():
    st = wave_status(_registry(), _registry_q(), as_of="2024-06-30")
    out = attrition_rates(st)
    assert list(out.columns) == [
        "wave", "n_candidates", "n_due", "n_answered", "n_missed", "n_not_yet_due", "n_unknown",
        "response_rate", "attrition_rate",
    ]
    # hand counts from EXPECTED_STATUS
    assert out["n_answered"].tolist() == [4, 2, 2]
    assert out["n_missed"].tolist() == [3, 3, 2]
    assert out["n_not_yet_due"].tolist() == [1, 2, 4]
    assert out["n_unknown"].tolist() == [0, 1, 0]
    assert out["n_due"].tolist() == [7, 5, 4]
    assert out["response_rate"].tolist() == pytest.approx([4 / 7, 2 / 5, 2 / 4])


def test_wave_status_due_days_and_default_as_of():
    st = wave_status(_registry(), _registry_q(), as_of="2024-06-30", due_days={"T2": 30})
    # c: entry 2024-05-01 + 30 = 2024-05-31 <= as_of -> missed
    assert st.loc[(st.candidate == "c") & (st.wave == "T2"), "status"].item() == "missed"
    with pytest.raises(ValueError):
        wave_status(_registry(), _registry_q(), due_days={"T3": 200})
    # as_of defaults to the latest date (exit 2024-09-01 of e): f (entry 2024-08-01) now due at T1
    st = wave_status(_registry(), _registry_q())
    assert st.loc[(st.candidate == "f") & (st.wave == "T1"), "status"].item() == "missed"


def test_wave_status_no_registry():
    cand = pd.DataFrame({"candidate": ["a", "b"], "pattern": ["T1+T2", "T1"]})
    q = _q([("a", "T1", "2024-01-01"), ("a", "T2", "2024-03-01"), ("b", "T1", "2024-05-01")])
    st = wave_status(cand, q, as_of="2024-06-30")
    got = st.groupby("candidate")["status"].agg(list).to_dict()
    # hand: entry = first questionnaire; b's T2 due 2024-07-30 > as_of; no exit info -> unknown
    assert got == {"a": ["answered", "answered", "unknown"], "b": ["answered", "not_yet_due", "unknown"]}
    rates = attrition_rates(st)
    assert np.isnan(rates.loc[2, "response_rate"])  # nothing known to be due at T3


# ---------------------------------------------------------------------------
# due_status: the due rule alone, one grid row per case (3 waves)
# ---------------------------------------------------------------------------
NAT = None
DUE_CASES = [
    # position, answered, entry, offset, exit, has_exit_status, ongoing -> status, due_date
    # (as_of 2024-06-30; due dates by hand, R: as.Date(entry) + offset)
    (0, True, "2024-08-01", 0, NAT, False, False, "answered", "2024-08-01"),     # answered whatever the dates
    (0, False, "2024-01-01", 0, NAT, False, False, "missed", "2024-01-01"),
    (0, False, "2024-08-01", 0, NAT, False, False, "not_yet_due", "2024-08-01"),
    (0, False, NAT, 0, NAT, False, False, "missed", NAT),                        # listed: entered
    (0, False, "2024-06-25", 10, NAT, False, False, "not_yet_due", "2024-07-05"),  # due_days of the first wave
    (1, False, "2024-01-15", 90, NAT, False, False, "missed", "2024-04-14"),
    (1, False, "2024-05-01", 90, NAT, False, False, "not_yet_due", "2024-07-30"),
    (1, False, "2024-04-01", 90, NAT, False, False, "missed", "2024-06-30"),     # due on as_of: due
    (1, False, NAT, 90, NAT, False, False, "unknown", NAT),
    (1, True, NAT, 90, NAT, False, False, "answered", NAT),
    (2, False, "2024-01-01", 0, "2024-06-01", True, False, "missed", "2024-06-01"),   # left
    (2, False, "2024-01-01", 0, NAT, True, False, "missed", NAT),                    # 'abandon', no date: left
    (2, False, "2024-01-01", 0, "2024-09-01", True, False, "not_yet_due", NAT),      # exit after as_of
    (2, False, "2024-01-01", 0, "2024-05-01", True, True, "not_yet_due", NAT),       # ongoing status wins
    (2, False, "2024-01-01", 0, "2024-05-01", False, False, "missed", "2024-05-01"),  # exit date, no status
    (2, False, "2024-01-01", 0, "2024-09-01", False, False, "not_yet_due", NAT),
    (2, False, "2024-01-01", 0, NAT, False, False, "not_yet_due", NAT),              # nothing says it left
    (2, True, "2024-01-01", 0, NAT, True, True, "answered", NAT),                    # answered early
]


def _grid(cases):
    cols = ["position", "answered", "entry_date", "offset_days", "exit_date", "has_exit_status", "ongoing"]
    grid = pd.DataFrame([c[:7] for c in cases], columns=cols)
    grid["entry_date"] = pd.to_datetime(grid["entry_date"])
    grid["exit_date"] = pd.to_datetime(grid["exit_date"])
    return grid


def test_due_status_each_case_of_the_rule():
    out = due_status(_grid(DUE_CASES), n_waves=3, as_of="2024-06-30")
    assert list(out.columns) == ["status", "due_date"]
    assert out["status"].tolist() == [c[7] for c in DUE_CASES]
    assert out["due_date"].tolist() == [pd.Timestamp(c[8]) if c[8] else pd.NaT for c in DUE_CASES]
    assert str(out["due_date"].dtype) == "datetime64[ns]"


def test_due_status_without_exit_information_or_as_of():
    grid = _grid(DUE_CASES)
    no_exit = due_status(grid, n_waves=3, as_of="2024-06-30", exit_info=False)
    last = grid["position"].to_numpy() == 2
    # without any exit column an unanswered last wave is unknown; other waves unchanged
    assert set(no_exit["status"][last & ~grid["answered"]]) == {"unknown"}
    assert no_exit["status"][~last].tolist() == [c[7] for c, l in zip(DUE_CASES, last) if not l]
    unknown_date = due_status(grid, n_waves=3, as_of=None)
    # as_of unknown: only what needs no date is decided
    assert unknown_date["status"].tolist() == [
        "answered", "unknown", "unknown", "missed", "unknown",       # first: entry unknown -> due
        "unknown", "unknown", "unknown", "unknown", "answered",      # middle: unknown
        "unknown", "missed", "unknown", "not_yet_due", "unknown",    # last: left without date -> due;
        "unknown", "unknown", "answered"]                             #   ongoing -> not yet due


def test_due_status_with_one_wave_it_is_the_first():
    grid = _grid([(0, False, "2024-01-01", 0, "2024-02-01", True, False, "", "")])
    assert due_status(grid, n_waves=1, as_of="2024-06-30")["due_date"].tolist() == [pd.Timestamp("2024-01-01")]
    assert due_status(grid, n_waves=1, as_of="2023-06-30")["status"].tolist() == ["not_yet_due"]


def test_due_status_empty_grid():
    out = due_status(_grid([]), n_waves=3, as_of="2024-06-30")
    assert len(out) == 0 and list(out.columns) == ["status", "due_date"]


# ---------------------------------------------------------------------------
# dropout_comparison / dropout_model  (data: numpy seed 2024, pasted)
# ---------------------------------------------------------------------------
# fmt: off
CONF = [4.0, 4.5, 4.0, 2.5, 2.0, 3.25, 4.0, 3.5, 4.75, 3.75, 3.75, 2.5, 2.25, 4.5, 3.25, 3.75, 2.0, 2.75, 2.25, 2.5,
        4.0, 2.0, 2.75, 3.25, 2.75, 3.0, 3.0, 3.5, 2.75, 3.5, 3.25, 3.5, 3.5, 4.5, 2.75, 4.25, 3.0, 2.5, 4.25, 2.75]
MOB = [2.5, 1.75, 1.0, 3.5, 1.75, 3.5, 4.5, np.nan, 2.0, 3.25, 3.5, 2.75, 3.0, 4.0, 4.0, 3.5, 2.0, 2.75, 3.5, 2.75,
       2.25, 2.25, 2.25, 2.25, 2.5, 4.0, 2.25, 3.75, 3.25, 3.0, 2.25, 2.5, 4.75, 3.0, 3.5, 3.5, 3.75, 2.75, 2.25, 2.75]
AGE = [30.0, 35.0, 50.0, 42.0, 26.0, 29.0, 26.0, 36.0, 30.0, 24.0, 45.0, 47.0, np.nan, 23.0, 35.0, 30.0, 34.0, 27.0,
       20.0, 24.0, 53.0, 41.0, 41.0, 27.0, 46.0, 49.0, 57.0, 30.0, 19.0, 58.0, 55.0, 42.0, 59.0, 22.0, 41.0, 44.0,
       27.0, 27.0, 41.0, 34.0]
SEXE = ['H', 'F', 'F', 'F', 'H', 'H', 'F', 'H', 'F', 'F', 'H', 'H', 'H', 'F', 'F', 'F', 'F', 'F', 'H', 'F', 'F', 'H',
        'F', 'F', 'F', 'H', 'H', 'H', 'F', 'H', 'H', 'H', 'H', 'H', 'F', 'F', 'F', 'H', 'F', 'H']
NIVEAU = ['sup', 'sup', 'infra', 'bac', 'sup', 'bac', 'infra', 'sup', 'sup', 'infra', 'infra', 'bac', 'sup', 'infra',
          'bac', 'infra', 'bac', 'bac', 'infra', 'infra', 'infra', 'bac', 'bac', 'bac', 'bac', 'bac', 'infra', 'infra',
          'bac', 'infra', 'sup', 'sup', 'sup', 'bac', 'sup', 'bac', 'bac', 'bac', 'sup', 'bac']
RET = [1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1,
       1, 1, 0, 1]
# fmt: on
# In R: d <- data.frame(conf = CONF, mob = MOB, age = AGE, sexe = SEXE, niveau = NIVEAU, ret = RET)
#       r <- d$ret == 1


def _dropout_tables(with_flags=False):
    ids = [f"c{i:02d}" for i in range(len(CONF))]
    t1 = pd.concat(
        [
            pd.DataFrame({"candidate": ids, "wave": "T1", "dimension": "conf", "score": CONF}),
            pd.DataFrame({"candidate": ids, "wave": "T1", "dimension": "mob", "score": MOB}),
        ]
    )
    back = [c for c, r in zip(ids, RET) if r]
    t2 = pd.DataFrame({"candidate": back, "wave": "T2", "dimension": "conf", "score": 3.0})
    scores = pd.concat([t1, t2], ignore_index=True)
    scores["wave"] = scores["wave"].astype(WAVE)
    scores["n_answered"] = 4
    scores["n_items"] = 4
    cand = pd.DataFrame({"candidate": ids, "age": AGE, "sexe": SEXE, "niveau": NIVEAU})
    if with_flags:
        cand["in_T1"] = True
        cand["in_T2"] = np.array(RET, dtype=bool)
        cand["in_T3"] = False
    return scores, cand


def test_dropout_comparison_numeric():
    scores, cand = _dropout_tables()
    out = dropout_comparison(scores, cand, "T1", "T2", covariates=["age"]).set_index("variable")
    assert list(out.reset_index().columns) == [
        "variable", "kind", "level", "n_returned", "n_dropped", "mean_returned", "mean_dropped", "smd",
        "test", "statistic", "p_value", "suppressed",
    ]
    assert out.loc["conf", "kind"] == "dimension" and out.loc["age", "kind"] == "covariate"
    assert out.loc["conf", "level"] == "" and out.loc["conf", "test"] == "welch t"
    assert out["n_returned"].tolist() == [19, 19, 19]
    assert out["n_dropped"].tolist() == [21, 20, 20]  # one NaN mob, one NaN age among dropouts
    # R: x <- d$conf[r]; y <- d$conf[!r]; mean(x); mean(y) -> 3.47368421052632 3.07142857142857
    assert out.loc["conf", "mean_returned"] == pytest.approx(3.47368421052632, abs=1e-12)
    assert out.loc["conf", "mean_dropped"] == pytest.approx(3.07142857142857, abs=1e-12)
    # R: (mean(x) - mean(y)) / sqrt((var(x) + var(y)) / 2) -> 0.534983142723849
    assert out.loc["conf", "smd"] == pytest.approx(0.534983142723849, abs=1e-10)
    # R: t.test(x, y)$statistic -> 1.68116119371023 ; $p.value -> 0.101685527372128
    assert out.loc["conf", "statistic"] == pytest.approx(1.68116119371023, abs=1e-10)
    assert out.loc["conf", "p_value"] == pytest.approx(0.101685527372128, abs=1e-10)
    # R (NA removed): smd -> -0.176182384442852 ; t.test p -> 0.58518048930758
    assert out.loc["mob", "smd"] == pytest.approx(-0.176182384442852, abs=1e-10)
    assert out.loc["mob", "p_value"] == pytest.approx(0.58518048930758, abs=1e-10)
    # R: age: smd -> -0.33282914708066 ; t -> -1.04288262334616 ; p -> 0.304173915276384
    assert out.loc["age", "smd"] == pytest.approx(-0.33282914708066, abs=1e-10)
    assert out.loc["age", "statistic"] == pytest.approx(-1.04288262334616, abs=1e-10)
    assert out.loc["age", "p_value"] == pytest.approx(0.304173915276384, abs=1e-10)
    assert not out["suppressed"].any()


def test_dropout_comparison_categorical():
    scores, cand = _dropout_tables()
    out = dropout_comparison(scores, cand, "T1", "T2", covariates=["sexe", "niveau"], dimensions=[])
    assert out["variable"].tolist() == ["sexe", "sexe", "niveau", "niveau", "niveau"]
    assert out["level"].tolist() == ["F", "H", "bac", "infra", "sup"]
    assert (out["test"] == "chi-square").all()
    niv = out[out.variable == "niveau"]
    # R: table(d$ret, d$niveau) -> ret=0: 8 7 6 ; ret=1: 9 5 5
    assert niv["mean_returned"].tolist() == pytest.approx([9 / 19, 5 / 19, 5 / 19])
    assert niv["mean_dropped"].tolist() == pytest.approx([8 / 21, 7 / 21, 6 / 21])
    # R: p1 <- prop.table(table(d$niveau[r])); p2 <- prop.table(table(d$niveau[!r]))
    #    (p1 - p2) / sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    #    -> 0.1882835846198622 -0.1538461538461538 -0.0505649896847431
    assert niv["smd"].tolist() == pytest.approx([0.1882835846198622, -0.1538461538461538, -0.0505649896847431], abs=1e-12)
    # R: chisq.test(table(d$ret, d$niveau)) -> X-squared 0.384026018700942, p 0.825296131855223 (2x3: no correction)
    assert niv["statistic"].tolist() == pytest.approx([0.384026018700942] * 3, abs=1e-12)
    assert niv["p_value"].tolist() == pytest.approx([0.825296131855223] * 3, abs=1e-12)
    sexe = out[out.variable == "sexe"]
    # R: chisq.test(table(d$ret, d$sexe)) (2x2, Yates; |O - E| < 0.5 so corrected to 0) -> 0, p 1
    assert sexe["statistic"].tolist() == pytest.approx([0.0, 0.0], abs=1e-12)
    assert sexe["p_value"].tolist() == pytest.approx([1.0, 1.0], abs=1e-12)
    # R: (p1 - p2) / sqrt(...) for sexe -> 0.00501885613228484 -0.00501885613228496
    assert sexe["smd"].tolist() == pytest.approx([0.00501885613228484, -0.00501885613228496], abs=1e-12)
    unc = dropout_comparison(scores, cand, "T1", "T2", covariates=["sexe"], dimensions=[], correction=False)
    # R: chisq.test(table(d$ret, d$sexe), correct = FALSE) -> 0.000251254703173982, p 0.987353248782707
    assert unc["statistic"].tolist() == pytest.approx([0.000251254703173982] * 2, abs=1e-12)
    assert unc["p_value"].tolist() == pytest.approx([0.987353248782707] * 2, abs=1e-12)


def test_dropout_comparison_in_flags_same_as_scores():
    scores, cand = _dropout_tables(with_flags=True)
    a = dropout_comparison(scores, cand, "T1", "T2")
    b = dropout_comparison(scores, None, "T1", "T2")
    assert a["n_returned"].tolist() == b["n_returned"].tolist() == [19, 19]  # sum(RET) = 19


def test_dropout_comparison_suppression():
    # 4 returners, 6 dropouts: returners' group < 5 -> suppressed
    scores = pd.DataFrame(
        {
            "candidate": list("abcdefghij") + list("abcd"),
            "wave": pd.Categorical(["T1"] * 10 + ["T2"] * 4, categories=WAVES, ordered=True),
            "dimension": "D",
            "score": [4.0, 5, 4, 5, 3, 2, 3, 2, 3, 3] + [4.0] * 4,
        }
    )
    out = dropout_comparison(scores, None, "T1", "T2")
    assert out["suppressed"].tolist() == [True]
    assert out[["n_returned", "n_dropped"]].iloc[0].tolist() == [4, 6]
    assert out[["mean_returned", "mean_dropped", "smd", "statistic", "p_value"]].isna().all(axis=None)
    out = dropout_comparison(scores, None, "T1", "T2", min_group=4)
    # hand: returners 4,5,4,5: mean 4.5, var 1/3; dropouts 3,2,3,2,3,3: mean 16/6, var (4*(1/9)+2*(4/9))/5 = 4/15
    # smd = (4.5 - 8/3) / sqrt((1/3 + 4/15) / 2)
    assert out["smd"].item() == pytest.approx((4.5 - 8 / 3) / np.sqrt((1 / 3 + 4 / 15) / 2), abs=1e-12)


def test_dropout_model_matches_r_glm():
    scores, cand = _dropout_tables()
    out = dropout_model(scores, cand, "T1", "T2")
    assert list(out.columns) == [
        "term", "estimate", "std_error", "z", "p_value", "odds_ratio", "ci_low", "ci_high", "n", "n_returned", "note",
    ]
    assert out["term"].tolist() == ["Intercept", "conf", "mob"]
    # R: fit <- glm(ret ~ conf + mob, family = binomial, data = d,
    #               control = glm.control(epsilon = 1e-14)); coef(summary(fit))
    assert out["estimate"].tolist() == pytest.approx([-1.765993155842169, 0.792677442352894, -0.293497909171307], abs=1e-6)
    assert out["std_error"].tolist() == pytest.approx([1.860046167308282, 0.460461930682095, 0.426380983095063], abs=1e-6)
    # R: coef(summary(fit))[, 4]
    assert out["p_value"].tolist() == pytest.approx([0.3423993554498834, 0.0851631921528559, 0.4912345292927859], abs=1e-6)
    # R: exp(confint.default(fit))
    assert out["ci_low"].tolist() == pytest.approx([0.00446441695954918, 0.89600314314790208, 0.32329525221928684], abs=1e-6)
    assert out["ci_high"].tolist() == pytest.approx([6.55108275219184, 5.44755150583815, 1.71977498808680], abs=1e-6)
    # R: exp(coef(fit))[2] = exp(0.792677442352894)
    assert out["odds_ratio"].iloc[1] == pytest.approx(np.exp(0.792677442352894), abs=1e-6)
    assert out["n"].tolist() == [39] * 3  # R: nobs(fit) -> 39 (one NA in mob)
    assert (out["note"] == "").all()


def test_dropout_model_with_covariates_matches_r_glm():
    scores, cand = _dropout_tables()
    out = dropout_model(scores, cand, "T1", "T2", covariates=["age", "sexe", "niveau"])
    # R: d$niveau <- factor(d$niveau)
    #    fit2 <- glm(ret ~ conf + mob + age + sexe + niveau, family = binomial, data = d,
    #                control = glm.control(epsilon = 1e-14)); coef(summary(fit2))
    assert out["term"].tolist() == ["Intercept", "conf", "mob", "age", "sexe[H]", "niveau[infra]", "niveau[sup]"]
    assert out["estimate"].tolist() == pytest.approx(
        [-1.1079869813271750, 1.4786638790718578, -0.5377492410554491, -0.0543302715065858,
         1.2554791543692181, -1.3595680453775021, -1.1024794940546740], abs=1e-6)
    assert out["p_value"].tolist() == pytest.approx(
        [0.6492557910877481, 0.0357083840454364, 0.2780869555089402, 0.1311566499902496,
         0.1689922355370815, 0.1606675370406690, 0.3571429758444181], abs=1e-6)
    # R: exp(confint.default(fit2))[, 1]
    assert out["ci_low"].tolist() == pytest.approx(
        [0.00278668113075086, 1.10379671880161845, 0.22102409292199918, 0.88261065482812928,
         0.58652967231688180, 0.03842340189099062, 0.03177427011176726], abs=1e-6)
    assert out["n"].iloc[0] == 38  # R: nobs(fit2) -> 38


def _one_dim_scores(x, returned):
    ids = [f"c{i}" for i in range(len(x))]
    back = [c for c, r in zip(ids, returned) if r]
    return pd.DataFrame(
        {
            "candidate": ids + back,
            "wave": pd.Categorical(["T1"] * len(ids) + ["T2"] * len(back), categories=WAVES, ordered=True),
            "dimension": "D",
            "score": list(map(float, x)) + [3.0] * len(back),
        }
    )


@pytest.mark.parametrize(
    "x, returned",
    [
        # R: glm(y ~ x, binomial) warns "fitted probabilities numerically 0 or 1 occurred"
        ([1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 0, 1, 1, 1, 1]),  # complete separation
        ([1, 2, 3, 4, 5, 5, 6, 7, 8], [0, 0, 0, 0, 0, 1, 1, 1, 1]),  # quasi-complete separation
    ],
)
def test_dropout_model_separation(x, returned):
    out = dropout_model(_one_dim_scores(x, returned), None, "T1", "T2")
    assert out["term"].tolist() == ["Intercept", "D"]
    assert out["estimate"].isna().all() and out["odds_ratio"].isna().all()
    assert out["note"].str.contains("separation").all()


@pytest.mark.parametrize(
    "x, returned, note",
    [
        ([1, 2, 3, 4, 5, 6], [0] * 6, "nobody returned"),
        ([1, 2, 3, 4, 5, 6], [1] * 6, "everyone returned"),
        ([3], [1], "everyone returned"),
        ([3, 4], [0, 1], "too few cases"),
    ],
)
def test_dropout_model_degenerate(x, returned, note):
    out = dropout_model(_one_dim_scores(x, returned), None, "T1", "T2")
    assert out["estimate"].isna().all()
    assert out["note"].str.contains(note).all()


# ---------------------------------------------------------------------------
# edge cases for dropout_comparison / attrition_table
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "x, returned",
    [
        ([1, 2, 3, 4, 5, 6], [0] * 6),  # nobody returning
        ([1, 2, 3, 4, 5, 6], [1] * 6),  # everyone returning
        ([3], [1]),  # one candidate
        ([], []),  # empty wave
    ],
)
def test_dropout_comparison_edges(x, returned):
    scores = _one_dim_scores(x, returned)
    cand = pd.DataFrame({"candidate": [f"c{i}" for i in range(len(x))], "sexe": ["F"] * len(x)})
    out = dropout_comparison(scores, cand, "T1", "T2", covariates=["sexe"])
    if len(x):
        assert out["suppressed"].all()
        assert out[["smd", "p_value"]].isna().all(axis=None)
    assert attrition_table(scores, cand, covariates=["sexe"]) is not None
    assert dropout_model(scores, cand, "T1", "T2", covariates=["sexe"])["estimate"].isna().all()


@pytest.mark.parametrize(
    "back, gone, t, p",
    [
        # one returner: no variance, no test
        ([4.0], [2.0, 3.0, 4.0], np.nan, np.nan),
        # both groups constant: standard error 0, no test
        ([4.0, 4.0, 4.0], [3.0, 3.0], np.nan, np.nan),
        # returners constant: se^2 = 0/3 + 1/3, t = 1 / sqrt(1/3) = sqrt(3), df = 2;
        # p = 2 * pt(-sqrt(3), 2) = 1 - sqrt(3) / sqrt(3 + 2) (R: 0.225403330758517)
        ([4.0, 4.0, 4.0], [2.0, 3.0, 4.0], np.sqrt(3.0), 1 - np.sqrt(3.0 / 5.0)),
    ],
)
def test_welch_t_test_where_it_is_undefined(back, gone, t, p):
    scores = _one_dim_scores(back + gone, [1] * len(back) + [0] * len(gone))
    out = dropout_comparison(scores, None, "T1", "T2", min_group=0)
    assert out["test"].item() == "welch t"
    assert out["statistic"].item() == pytest.approx(t, abs=1e-12, nan_ok=True)
    assert out["p_value"].item() == pytest.approx(p, abs=1e-12, nan_ok=True)


def test_attrition_table():
    scores, cand = _dropout_tables()
    out = attrition_table(scores, cand, covariates=["sexe"])
    assert list(out.columns) == [
        "from_wave", "to_wave", "n_from", "n_back", "variable", "kind", "level", "n_returned", "n_dropped",
        "mean_returned", "mean_dropped", "smd", "test", "statistic", "p_value", "suppressed",
    ]
    pairs = out[["from_wave", "to_wave"]].astype(str).drop_duplicates().apply(tuple, axis=1).tolist()
    assert pairs == [("T1", "T2"), ("T2", "T3")]
    t12 = out[out.from_wave == "T1"].set_index("variable")
    assert (t12["n_from"] == 40).all() and (t12["n_back"] == 19).all()  # hand: 40 at T1, sum(RET) = 19
    # R: t.test(d$conf[r], d$conf[!r])$p.value -> 0.101685527372128
    assert t12.loc["conf", "p_value"] == pytest.approx(0.101685527372128, abs=1e-10)
    t23 = out[out.from_wave == "T2"]
    # nobody answered T3: 0 returners -> everything suppressed
    assert (t23["n_back"] == 0).all() and t23["suppressed"].all()


# ---------------------------------------------------------------------------
# Little's MCAR test
# ---------------------------------------------------------------------------
# numpy.random.default_rng(7), 30 x 4 correlated normal, rounded to 0.1, ~18% missing,
# row 6 entirely missing
# fmt: off
LITTLE_X = np.array([
    [3.0, 3.3, 2.8, 2.0], [2.5, 1.8, 2.5, np.nan], [2.5, 2.1, 3.1, 3.4], [3.1, 2.1, 2.6, 3.6],
    [1.7, 1.9, 0.5, 0.4], [np.nan, np.nan, np.nan, np.nan], [3.2, np.nan, 0.5, 1.2], [3.0, 3.1, 1.5, 1.8],
    [2.0, 1.7, 3.4, 2.4], [3.0, 3.9, np.nan, 2.7], [3.1, 3.1, np.nan, 2.5], [4.4, 2.1, 3.6, np.nan],
    [2.4, 4.7, 4.4, 2.3], [3.1, np.nan, 3.1, 3.7], [2.9, 3.6, np.nan, 3.1], [3.2, 2.6, 3.0, 1.9],
    [np.nan, np.nan, np.nan, 4.5], [1.7, 1.5, 2.9, np.nan], [2.5, np.nan, 4.1, np.nan], [2.7, 2.5, 2.5, 4.3],
    [2.6, 2.5, 3.1, 2.9], [np.nan, 1.8, 2.5, 2.4], [np.nan, 4.2, 3.6, np.nan], [2.7, 3.9, 3.3, 3.6],
    [1.7, np.nan, 1.1, -0.1], [2.7, 1.9, 2.7, 5.2], [np.nan, 2.0, 2.7, 3.4], [2.8, 2.7, 3.6, 3.8],
    [2.0, np.nan, np.nan, 1.7], [3.3, 2.3, 3.7, 3.6],
])
# fmt: on
# R (plain base R, written independently; no package):
#   X <- X[rowSums(!is.na(X)) > 0, ]; n <- nrow(X); p <- ncol(X)
#   mu <- colMeans(X, na.rm = TRUE); S <- cov(X, use = "pairwise.complete.obs")
#   repeat {                          # EM, row by row, until max |change| < 1e-13 (57 iterations)
#     T1 <- 0; T2 <- 0
#     for (i in 1:n) { o <- !is.na(X[i, ]); m <- !o; xi <- X[i, ]; Ci <- matrix(0, p, p)
#       if (any(m)) { B <- S[m, o] %*% solve(S[o, o]); xi[m] <- mu[m] + B %*% (X[i, o] - mu[o])
#                     Ci[m, m] <- S[m, m] - B %*% S[o, m] }
#       T1 <- T1 + xi; T2 <- T2 + xi %o% xi + Ci }
#     mu1 <- T1 / n; S1 <- T2 / n - mu1 %o% mu1; ...; mu <- mu1; S <- S1 }
#   for each pattern g: d2 <- d2 + n_g * t(ybar_g - mu[o]) %*% solve(S[o, o]) %*% (ybar_g - mu[o])
#   df <- sum(|o_g|) - p; pchisq(d2, df, lower.tail = FALSE)
#   -> d2 24.1614770711267, df 19, p 0.190031058522378, 9 patterns, n 29
#   EM mean -> 2.72725229071136 2.63992914130491 2.83222194101008 2.87084696373779


def test_little_mcar_matches_r():
    out = little_mcar(LITTLE_X)
    assert list(out.columns) == [
        "chi2", "df", "p_value", "n_patterns", "n", "n_items", "em_iterations", "em_converged", "note",
    ]
    row = out.iloc[0]
    assert row["chi2"] == pytest.approx(24.1614770711267, abs=1e-6)
    assert row["df"] == 19
    assert row["p_value"] == pytest.approx(0.190031058522378, abs=1e-6)
    assert row["n_patterns"] == 9 and row["n"] == 29 and row["n_items"] == 4
    assert bool(row["em_converged"])


def test_little_mcar_dataframe_and_item_matrix():
    # same matrix as a tidy `responses` table -> item_matrix -> same statistic
    n, p = LITTLE_X.shape
    cand = np.repeat([f"c{i:02d}" for i in range(n)], p)
    items = np.tile([f"Q{j}" for j in range(p)], n)
    vals = LITTLE_X.ravel()
    resp = pd.DataFrame(
        {
            "candidate": cand,
            "wave": pd.Categorical(["T1"] * (n * p), categories=WAVES, ordered=True),
            "item": items,
            "dimension": "D",
            "value": pd.array(np.where(np.isnan(vals), 0, vals * 10), dtype="Int64"),
            "status": np.where(np.isnan(vals), "missing", "answered"),
        }
    )
    wide = item_matrix(resp, "T1")
    assert wide.shape == (30, 4) and list(wide.columns) == ["Q0", "Q1", "Q2", "Q3"]
    out = little_mcar(wide)
    # scaling every item by 10 leaves d2 unchanged: R value 24.1614770711267
    assert out.loc[0, "chi2"] == pytest.approx(24.1614770711267, abs=1e-6)


def test_little_mcar_on_wave_dropout_score_matrix():
    # LITTLE_X read as 2 waves x 2 dimensions of scores (columns T1:A, T1:B, T2:A, T2:B), one
    # tidy row per observed score, shuffled: score_matrix rebuilds the same matrix (row 6,
    # never scored, is absent), so Little's test gives the R value above (base R, d2
    # 24.1614770711267, df 19, p 0.190031058522378, n 29)
    n = len(LITTLE_X)
    cand = np.repeat([f"c{i:02d}" for i in range(n)], 4)
    wave = np.tile(["T1", "T1", "T2", "T2"], n)
    dim = np.tile(["A", "B", "A", "B"], n)
    vals = LITTLE_X.ravel()
    keep = ~np.isnan(vals)
    scores = pd.DataFrame({"candidate": cand[keep], "wave": wave[keep], "dimension": dim[keep],
                           "score": vals[keep]}).sample(frac=1.0, random_state=3)
    wide = score_matrix(scores, waves=["T1", "T2"])
    assert list(wide.columns) == ["T1:A", "T1:B", "T2:A", "T2:B"] and len(wide) == 29
    expected = np.delete(LITTLE_X, 5, axis=0)
    assert np.array_equal(wide.sort_index().to_numpy(), expected, equal_nan=True)
    row = little_mcar(wide).iloc[0]
    assert row["chi2"] == pytest.approx(24.1614770711267, abs=1e-6) and row["df"] == 19
    assert row["p_value"] == pytest.approx(0.190031058522378, abs=1e-6) and row["n"] == 29
    # wave order from the argument, dimensions from the categorical order
    scores["dimension"] = pd.Categorical(scores["dimension"], categories=["B", "A"])
    assert list(score_matrix(scores, waves=["T2", "T1"]).columns) == ["T2:B", "T2:A", "T1:B", "T1:A"]


def test_little_mcar_edges():
    complete = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0]])
    out = little_mcar(complete)
    # hand: one pattern, ybar = mu -> d2 = 0, df = 2 - 2 = 0, no p-value
    assert out.loc[0, "chi2"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc[0, "df"] == 0 and np.isnan(out.loc[0, "p_value"])
    one = little_mcar(np.array([[1.0, np.nan]]))
    assert np.isnan(one.loc[0, "chi2"]) and one.loc[0, "note"] != ""
    empty = little_mcar(np.empty((0, 3)))
    assert np.isnan(empty.loc[0, "chi2"])
    const = little_mcar(np.array([[1.0, 1.0], [1.0, np.nan], [1.0, 3.0]]))
    assert np.isnan(const.loc[0, "p_value"])
    # all-missing column dropped: same as without it
    with_nan_col = np.column_stack([LITTLE_X, np.full(len(LITTLE_X), np.nan)])
    assert little_mcar(with_nan_col).loc[0, "chi2"] == pytest.approx(24.1614770711267, abs=1e-6)
