"""The results contract: every table written checked, every table read typed, the same both ways.

The contract (impactlib/report/contract.py, docs/results-tables.md) says each
results table's columns, dtypes and allowed values. A table that breaks it is
a bug: write_results raises and writes nothing. read_results gives back the
dtypes build_results made, so a notebook gets the same tables under papermill
(CSV) and in JupyterLab (memory).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impactlib.intake.processed import clean_study
from impactlib.intake.study import load_study
from impactlib.report import contract
from impactlib.report.contract import ContractError
from impactlib.report.results import build_results, read_results, study_results, write_results

ROOT = Path(__file__).resolve().parents[1]
T1 = "id;A1;A2;B1;B2\n" + "".join(f"c{i};{1 + i % 4};{1 + (i * 3) % 4};{1 + (i // 2) % 4};2\n"
                                   for i in range(12))
T2 = "id;A1;A2;B1;B2\n" + "".join(f"c{i};{1 + (i + 1) % 4};2;3;{1 + i % 4}\n" for i in range(8))


@pytest.fixture(scope="module")
def built(demo_study, demo_processed):
    return study_results(load_study(demo_study), demo_processed)


@pytest.fixture(scope="module")
def folder(built, tmp_path_factory):
    return write_results(built, tmp_path_factory.mktemp("results"))


def assert_same_tables(a: dict, b: dict):
    """Same tables, columns, dtypes and values (floats to the 10 digits written)."""
    assert sorted(a) == sorted(b)
    for name in a:
        assert list(a[name].columns) == list(b[name].columns), name
        assert a[name].dtypes.to_dict() == b[name].dtypes.to_dict(), name
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, rtol=1e-9, atol=1e-12,
                                      obj=name)


# ---------------------------------------------------------------------------
# Built, written, read: one set of dtypes
# ---------------------------------------------------------------------------


def test_every_table_has_a_contract_and_follows_it(built):
    assert set(built) == set(contract.SCHEMAS)
    for name, table in built.items():
        contract.validate(name, table)


def test_read_results_gives_back_what_build_results_made(built, folder):
    assert_same_tables(read_results(folder), built)


def test_dtypes_are_those_of_the_contract(folder):
    res = read_results(folder)
    assert res["item_distribution"]["answered"].dtype == bool
    assert res["subgroups"]["suppressed"].dtype == bool
    assert res["subgroups"]["n"].dtype == "Int64"          # missing when suppressed
    assert res["power"]["n_for_d_0.2"].dtype == "Int64"
    assert res["funnel"]["n_candidates"].dtype == np.int64
    assert res["timing"]["q3_days"].dtype == np.float64    # whole numbers in the demo's CSV
    for name, table in res.items():
        for col in ("wave", "from_wave", "to_wave", "item", "dimension", "label"):
            if col in table.columns:
                assert table[col].dtype == "str", (name, col)
    # "" and missing text are the same in a CSV: both read as missing, both built as missing
    assert res["mcar"]["note"].isna().all()
    assert res["attrition"].loc[res["attrition"]["kind"] == "dimension", "level"].isna().all()


def test_writing_what_was_read_gives_the_same_bytes(folder, tmp_path):
    again = write_results(read_results(folder), tmp_path / "again")
    for path in sorted(folder.glob("*.csv")):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_wave_keys_that_look_like_numbers_stay_text(tmp_path):
    funnel = pd.DataFrame({"wave": pd.Categorical(["01", "2"], ordered=True),
                           "n_questionnaires": [3, 2], "n_candidates": [3, 2],
                           "retention_from_first": [1.0, 2 / 3], "pct_of_first": [100.0, 200 / 3]})
    typed = contract.conform("funnel", funnel)
    back = read_results(write_results({"funnel": typed}, tmp_path))["funnel"]
    assert back["wave"].tolist() == ["01", "2"] and back["wave"].dtype == "str"
    assert_same_tables({"funnel": back}, {"funnel": typed})


def test_a_study_with_numeric_wave_keys_reads_them_as_text(make_study, tmp_path):
    # study.yml says "key: 1" (a YAML number): read back, waves are the text "1", "2"
    res = build_results(clean_study(make_study({"1": T1, "2": T2})))
    back = read_results(write_results(res, tmp_path / "r"))
    assert back["funnel"]["wave"].tolist() == ["1", "2"]
    assert back["item_change"]["from_wave"].eq("1").all() and back["power"]["to_wave"].tolist() == ["2"]
    assert_same_tables(back, res)


def test_a_small_study_round_trips(make_study, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = build_results(clean_study(make_study({"T1": T1, "T2": T2})))
    assert "attrition_rates" not in res
    assert res["subgroups"].empty
    assert list(res["subgroups"].columns) == list(contract.SCHEMAS["subgroups"].columns)
    assert_same_tables(read_results(write_results(res, tmp_path / "r")), res)


def test_a_single_wave_study_keeps_every_column(make_study, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = build_results(clean_study(make_study({"T1": T1})))
    for name, table in res.items():
        required = [c for c, spec in contract.SCHEMAS[name].columns.items() if spec.required]
        assert [c for c in table.columns if c in required] == required, name
    assert res["dropout_model"].empty and res["item_change"].empty
    assert_same_tables(read_results(write_results(res, tmp_path / "r")), res)


# ---------------------------------------------------------------------------
# A table that breaks its contract is a bug: write_results raises, writes nothing
# ---------------------------------------------------------------------------


def broken(built, name, change):
    tables = {k: v.copy() for k, v in built.items()}
    tables[name] = change(tables[name])
    return tables


@pytest.mark.parametrize("name, change, message", [
    ("funnel", lambda t: t.assign(n_candidates=t["n_candidates"].astype(float)), "dtype"),
    ("funnel", lambda t: t.drop(columns="retention_from_first"), "retention_from_first"),
    ("funnel", lambda t: t.assign(extra=1), "extra"),
    ("funnel", lambda t: t[["n_candidates", "wave", "n_questionnaires", "retention_from_first",
                            "pct_of_first"]], "order"),
    ("item_change", lambda t: t.assign(from_wave=pd.Categorical(t["from_wave"])), "from_wave"),
    ("item_distribution", lambda t: t.assign(answered=t["answered"].astype(str)), "answered"),
    ("timing", lambda t: t.assign(n=t["n"].astype("Int64").where(t.index > 0)), "n"),
    ("item_change", lambda t: t.assign(p_value=t["p_value"] + 1), "p_value"),
    ("rci", lambda t: pd.concat([t, t.iloc[:1]], ignore_index=True), "unique"),
    ("item_shares", lambda t: t.assign(kind="bar"), "kind"),
])
def test_write_results_raises_on_a_broken_table(built, tmp_path, name, change, message):
    with pytest.raises(ContractError, match=name) as err:
        write_results(broken(built, name, change), tmp_path / "out")
    assert message in str(err.value)
    assert not (tmp_path / "out").exists()


def test_no_contract_no_write(built, tmp_path):
    with pytest.raises(ContractError, match="no contract"):
        write_results({**built, "my_table": pd.DataFrame({"a": [1]})}, tmp_path / "out")


def test_conform_keeps_what_the_csv_says_or_raises(built):
    item_change = built["item_change"]
    # whole floats may become counts; fractions may not
    whole = item_change.assign(n_pairs=item_change["n_pairs"].astype(float))
    assert contract.conform("item_change", whole)["n_pairs"].dtype == np.int64
    with pytest.raises(ContractError, match="non-whole"):
        contract.conform("item_change", whole.assign(n_pairs=whole["n_pairs"] + 0.5))
    with pytest.raises(ContractError, match="missing counts"):
        contract.conform("item_change", whole.assign(n_pairs=np.nan))
    with pytest.raises(ContractError, match="True/False"):
        contract.conform("reliability", built["reliability"].assign(heywood="no"))
    with pytest.raises(ContractError, match="not numeric"):
        contract.conform("rci", built["rci"].assign(se_diff="a"))
    with pytest.raises(ContractError, match="mean_diff"):
        contract.conform("item_change", item_change.drop(columns="mean_diff"))


def test_the_quality_table_may_carry_more_columns(built, tmp_path):
    quality = built["quality"].assign(sheet_name="Feuil1")
    back = read_results(write_results({"quality": quality}, tmp_path))["quality"]
    assert back["sheet_name"].tolist() == ["Feuil1"] * len(quality)
    assert back[list(built["quality"].columns)].dtypes.to_dict() == built["quality"].dtypes.to_dict()
    # its optional columns may be absent
    slim = contract.conform("quality", built["quality"][["wave", "file", "rows_read", "rows_kept",
                                                         "rows_rejected", "duplicates_dropped",
                                                         "cells_invalid"]])
    contract.validate("quality", slim)


def test_read_results_checks_what_it_reads(folder, tmp_path):
    for path in folder.glob("*.csv"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    funnel = (tmp_path / "funnel.csv").read_text().replace("\nT2,", "\nT2,x")
    (tmp_path / "funnel.csv").write_text(funnel)
    with pytest.raises((ContractError, ValueError)):
        read_results(tmp_path)


# ---------------------------------------------------------------------------
# The documentation is the contract
# ---------------------------------------------------------------------------


def test_docs_results_tables_is_generated_from_the_contract():
    doc = (ROOT / "docs" / "results-tables.md").read_text(encoding="utf-8")
    assert doc == contract.markdown(), (
        "docs/results-tables.md is out of date: python -m impactlib.report.contract "
        "> docs/results-tables.md")
    for name, schema in contract.SCHEMAS.items():
        assert f"## `{name}`" in doc
        for col in schema.columns:
            assert f"`{col}`" in doc, (name, col)
