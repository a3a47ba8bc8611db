"""Every results table on the demo: present, honest, private and reproducible."""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

from impactlib.report.results import build_results, study_results, write_results
from impactlib.intake.study import load_study

EXPECTED_TABLES = {
    "quality", "patterns", "funnel", "timing", "attrition_rates", "attrition",
    "dropout_model", "mcar", "item_change", "item_ordinal", "item_distribution",
    "item_transitions",
    "reliability", "rci", "dimension_model", "completers_change", "imputed_change",
    "change_sensitivity",
    "subgroups", "power", "item_shares", "collection_cohorts", "collection_changes",
    "collection_projection", "collection_followup", "outcomes", "exit_status", "soft_hard",
    "employment_model", "policy_change"}


@pytest.fixture(scope="module")
def demo_results(demo_study, demo_processed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no division by zero, no empty group
        return study_results(load_study(demo_study), demo_processed)


def test_every_table_is_built_without_warnings(demo_results):
    assert set(demo_results) == EXPECTED_TABLES
    for name, table in demo_results.items():
        assert len(table) > 0, name


def test_funnel_shows_160_111_38(demo_results):
    f = demo_results["funnel"].set_index("wave")
    assert f["n_candidates"].tolist() == [309, 149, 38]
    # by hand: 149 / 309 and 38 / 309 of the entrants answered T2 and T3
    assert f.loc["T2", "retention_from_first"] == pytest.approx(149 / 309)
    assert f.loc["T3", "retention_from_first"] == pytest.approx(38 / 309)
    p = demo_results["patterns"]
    assert dict(zip(p["pattern"], p["n_candidates"])) == {"T1": 160, "T1+T2": 111, "T1+T2+T3": 38}


def test_estimates_come_with_their_n_and_uncertainty(demo_results):
    for name, n_col, ci in [("item_change", "n_pairs", ("ci_low", "ci_high")),
                            ("reliability", "n", ("ci_low", "ci_high")),
                            ("dimension_model", "n_candidates", ("ci_low", "ci_high")),
                            ("completers_change", "n", ("ci_low", "ci_high")),
                            ("imputed_change", "n", ("ci_low", "ci_high"))]:
        table = demo_results[name]
        assert table[n_col].notna().all(), name
        assert (table[ci[0]] <= table[ci[1]]).all(), name
    ic = demo_results["item_change"]
    assert set(zip(ic["from_wave"].astype(str), ic["to_wave"].astype(str))) == {
        ("T1", "T2"), ("T1", "T3"), ("T2", "T3")}
    assert ic.groupby(["from_wave", "to_wave"], observed=True)["item"].count().tolist() == [30] * 3
    pct = ic[["pct_improved", "pct_stable", "pct_worsened"]].sum(axis=1)
    np.testing.assert_allclose(pct, 100)


def test_small_subgroups_are_suppressed(demo_results):
    sub = demo_results["subgroups"]
    assert {"variable", "group", "n", "suppressed"} <= set(sub.columns)
    shown = sub[~sub["suppressed"]]
    assert (shown["n"] >= 5).all()
    hidden = sub[sub["suppressed"]]
    assert hidden["n"].isna().all() and hidden["mean_diff"].isna().all()
    att = demo_results["attrition"]
    assert att.loc[att["suppressed"], "p_value"].isna().all()


def test_results_hold_no_candidate(demo_results, demo_processed):
    pseudonyms = set(demo_processed.candidates["candidate"])
    for name, table in demo_results.items():
        text = table.to_csv()
        assert not any(p in text for p in list(pseudonyms)[:50]), name
        assert "candidate" not in table.columns, name


def test_results_are_byte_identical_twice(demo_study, demo_processed, tmp_path):
    study = load_study(demo_study)
    a = write_results(study_results(study, demo_processed), tmp_path / "a")
    b = write_results(study_results(study, demo_processed), tmp_path / "b")
    digest = lambda d: {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted(d.glob("*.csv"))}
    assert digest(a) == digest(b) and len(digest(a)) == len(EXPECTED_TABLES)


def test_a_study_without_registry_or_covariates(make_study):
    from impactlib.intake.processed import clean_study

    t1 = "id;A1;A2;B1;B2\n" + "".join(f"c{i};{1 + i % 4};{1 + (i * 3) % 4};{1 + (i // 2) % 4};2\n"
                                        for i in range(12))
    t2 = "id;A1;A2;B1;B2\n" + "".join(f"c{i};{1 + (i + 1) % 4};2;3;{1 + i % 4}\n" for i in range(8))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = build_results(clean_study(make_study({"T1": t1, "T2": t2})))
    assert "attrition_rates" not in res           # no registry: no due dates
    assert res["subgroups"].empty and "mean_diff" in res["subgroups"].columns
    assert res["power"]["n_pairs"].tolist() == [8]


def test_an_empty_wave_and_a_single_candidate(make_study):
    from impactlib.intake.processed import clean_study

    t1 = "id;A1;A2;B1;B2\nsolo;1;2;3;4\n"
    t2 = "id;A1;A2;B1;B2\n;1;2;3;4\n"             # its only row has no id: empty wave
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = build_results(clean_study(make_study({"T1": t1, "T2": t2})))
    assert res["funnel"]["n_candidates"].tolist() == [1, 0]
    assert res["item_change"]["n_pairs"].eq(0).all()
    assert res["item_change"]["p_value"].isna().all()
    assert res["power"]["n_pairs"].tolist() == [0]


def test_collection_tables_follow_the_demo_change(demo_results):
    """The demo's change (study.yml: changes, T3 only, 2024-03-01) is compared on T3, and
    the projection measures the pair rate since then."""
    ch = demo_results["collection_changes"]
    assert list(ch["wave"]) == ["T3"] and list(ch["change_date"]) == ["2024-03-01"]
    row = ch.iloc[0]
    assert row["n_before"] + row["n_after"] == demo_results["attrition_rates"].set_index(
        "wave").loc["T3", "n_due"]
    assert row["rate_after"] > row["rate_before"]          # the demo is built so
    proj = demo_results["collection_projection"].iloc[0]
    assert proj["p_since"] == "2024-03-01" and proj["n_needed"] == demo_results["power"].set_index(
        ["from_wave", "to_wave"]).loc[("T1", "T3"), "n_for_d_0.3"]
    cohorts = demo_results["collection_cohorts"]
    assert (cohorts.groupby("wave")["n_due"].sum()
            == demo_results["attrition_rates"].set_index("wave")["n_due"]).all()


def test_collection_followup_counts_equal_the_due_list_and_hide_small_counts(demo_study,
                                                                             demo_results,
                                                                             tmp_path):
    """The report's follow-up counts are those of `impactlib due` on the same day (the last
    questionnaire's date), per wave and per antenne (followup_by in the demo's study.yml)."""
    from impactlib.report.followup import followup_counts, run_followup

    table = demo_results["collection_followup"]
    run = run_followup(demo_study, on=_last_questionnaire_day(demo_study),
                       out=tmp_path / "list.xlsx")
    every = table.loc[table["variable"].isna()].set_index("wave")
    expected = followup_counts(run.table, waves=list(every.index)).set_index("wave")
    for col in ("overdue", "due_soon", "missed"):
        shown = every[col].dropna().astype(int)
        assert (shown == expected.loc[shown.index, col]).all(), col
    per = table.loc[table["variable"] == "Antenne"]
    assert set(per["group"]) == {"Namur", "Dinant", "Philippeville"}
    values = per[["overdue", "due_soon", "missed"]]
    assert not ((values > 0) & (values < 5)).any().any()         # 1 to 4: hidden
    assert (per["suppressed"] == values.isna().any(axis=1)).all()


def _last_questionnaire_day(demo_study):
    from impactlib.intake.processed import clean_study

    return clean_study(load_study(demo_study)).questionnaires["date"].max().date()
