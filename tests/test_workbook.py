"""results.xlsx: the results tables for Excel, French headers, number formats, same values."""

from __future__ import annotations

import io
import math
import re
import time
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from impactlib.intake.study import load_study
from impactlib.report import contract
from impactlib.report.i18n import Translator
from impactlib.report.results import read_results, study_results, write_results
from impactlib.report.workbook import (WORKBOOK_NAME, column_format, header, sheet_names,
                                       workbook_bytes, write_workbook)

FR, EN = Translator("fr"), Translator("en")


@pytest.fixture(scope="module")
def built(demo_study, demo_processed):
    return study_results(load_study(demo_study), demo_processed)


@pytest.fixture(scope="module")
def written(built, tmp_path_factory):
    """The demo's results folder: the CSV files and results.xlsx (French)."""
    folder = write_results(built, tmp_path_factory.mktemp("results"))
    write_workbook(built, folder / WORKBOOK_NAME, FR, "Démo", FR.period("2024-01-01", "2024-12-31"),
                   as_of="2024-12-31", version="9.9")
    return folder


@pytest.mark.parametrize("tr", [FR, EN], ids=["fr", "en"])
def test_every_column_of_every_results_table_has_a_header(tr):
    # Nothing is missed: a table or column added to the contract without a
    # header in locales/<lang>/workbook.yml fails here.
    missing = [f"{table}.{col}" for table, schema in contract.SCHEMAS.items()
               for col in schema.columns
               if f"workbook.by_table.{table}.{col}" not in tr.strings
               and f"workbook.columns.{col}" not in tr.strings]
    assert missing == []
    for table, schema in contract.SCHEMAS.items():
        assert f"workbook.sheets.{table}.name" in tr.strings, table
        assert tr.strings.get(f"workbook.sheets.{table}.about"), table
        headers = [header(table, col, tr) for col in schema.columns]
        assert len(set(headers)) == len(headers), (table, headers)      # one sheet, no two alike


def test_sheet_names_are_valid_excel_names():
    for tr in (FR, EN):
        names = sheet_names(contract.SCHEMAS, tr)
        assert len(names) == len(contract.SCHEMAS)
        folded = [n.casefold() for n in names.values()] + [tr.t("workbook.readme.sheet").casefold()]
        assert len(set(folded)) == len(folded)
        for name in names.values():
            assert 0 < len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name), name
    # too long, forbidden characters, taken twice (ignoring case)
    odd = Translator("fr")
    odd.strings = {**FR.strings, "workbook.sheets.a.name": "x" * 40,
                   "workbook.sheets.b.name": "X" * 40, "workbook.sheets.c.name": "a/b:c?",
                   "workbook.sheets.d.name": "À LIRE"}
    assert sheet_names(["a", "b", "c", "d"], odd) == {
        "a": "x" * 31, "b": "X" * 27 + " (2)", "c": "a-b-c-", "d": "À LIRE (2)"}


def test_number_formats_follow_the_contract():
    # what each column holds, read from docs/results-tables.md: retention is a
    # share 0-1, pct_* are percentages 0-100, p-values 0-1, counts whole numbers.
    assert column_format("funnel", "retention_from_first", "float64") == "0.0%"
    assert column_format("attrition_rates", "response_rate", "float64") == "0.0%"
    assert column_format("power", "retention", "float64") == "0.0%"
    assert column_format("funnel", "pct_of_first", "float64") == "0.0"
    assert column_format("item_change", "pct_improved", "float64") == "0.0"
    assert column_format("rci", "pct_reliable_improvement", "float64") == "0.0"
    assert column_format("item_change", "p_value", "float64") == '[<0.001]"< 0,001";0.000'
    assert column_format("item_change", "p_adjusted", "float64", "en") == '[<0.001]"< 0.001";0.000'
    assert column_format("item_change", "effect_size", "float64") == "0.00"   # -1 to 1
    assert column_format("dimension_model", "estimate", "float64") == "0.00"
    assert column_format("timing", "median_days", "float64") == "0.0"
    assert column_format("quality", "rows_read", "int64") == "0"
    assert column_format("power", "n_for_d_0.2", "Int64") == "0"
    assert column_format("attrition", "suppressed", "bool") is None
    assert column_format("quality", "file", "str") is None
    # outside the contract: by dtype
    assert column_format("extra", "when", "datetime64[ns]") == "yyyy-mm-dd"
    assert column_format("extra", "x", "float64") == "0.00"
    # every float column of the contract is one of the deliberate formats
    for table, schema in contract.SCHEMAS.items():
        for col, spec in schema.columns.items():
            fmt = column_format(table, col, spec.title)
            assert fmt in {"0", "0.0%", "0.0", "0.00", None} or "0.000" in fmt, (table, col)


def _sheet_table(ws) -> tuple[list, list[list]]:
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), [list(r) for r in rows[1:]]


def test_the_workbook_reads_back_with_french_headers_and_the_csv_values(written):
    wb = openpyxl.load_workbook(written / WORKBOOK_NAME)
    csv = read_results(written)
    names = sheet_names([t for t in contract.SCHEMAS if t in csv], FR)
    assert wb.sheetnames == ["À lire", *names.values()]
    assert len(names) == len(csv) >= 18
    for table, frame in csv.items():
        ws = wb[names[table]]
        headers, rows = _sheet_table(ws)
        assert headers == [header(table, c, FR) for c in frame.columns]
        assert ws.freeze_panes == "A2"
        assert len(rows) == len(frame), table
        for j, col in enumerate(frame.columns):
            got = [r[j] for r in rows]
            want = frame[col].tolist()
            for g, w in zip(got, want):
                if w is None or (isinstance(w, float) and math.isnan(w)) or w is pd.NA:
                    assert g is None, (table, col, g)
                elif isinstance(w, (bool, np.bool_)):
                    assert g is bool(w), (table, col)
                elif isinstance(w, str):
                    assert g == w, (table, col)
                else:                       # the same number as the CSV, to the last digit
                    assert g == w and not isinstance(g, bool), (table, col, g, w)
    # headers in French, number formats on the cells
    quality = wb[names["quality"]]
    assert [c.value for c in quality[1]][:3] == ["Questionnaire", "Fichier", "Lignes lues"]
    change = wb[names["item_change"]]
    head = [c.value for c in change[1]]
    fmt = {h: change.cell(row=2, column=i + 1).number_format for i, h in enumerate(head)}
    assert fmt["Paires"] == "0" and fmt["% en progrès"] == "0.0"
    assert fmt["p"] == '[<0.001]"< 0,001";0.000' and fmt["Évolution moyenne"] == "0.00"
    funnel = wb[names["funnel"]]
    assert funnel.cell(row=2, column=4).number_format == "0.0%"     # retention_from_first
    assert "Part des entrants" == funnel.cell(row=1, column=4).value
    # no formula anywhere
    assert not [c.coordinate for ws in wb for row in ws.iter_rows() for c in row
                if c.data_type == "f"]


def test_the_read_me_sheet_says_the_study_period_and_each_sheet(written):
    wb = openpyxl.load_workbook(written / WORKBOOK_NAME)
    ws = wb.worksheets[0]
    text = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert ws.title == "À lire"
    assert text[0] == "Résultats de l'étude «\u00a0Démo\u00a0»"
    assert "Période\u00a0: du 2024-01-01 au 2024-12-31." in text
    assert "Produit par impactlib 9.9." in text
    names = sheet_names([t for t in contract.SCHEMAS if (written / f"{t}.csv").exists()], FR)
    links = {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row
             if c.hyperlink is not None}
    assert links["Qualité"] == "'Qualité'!A1" and links["Modèle d'abandon"] == "'Modèle d''abandon'!A1"
    assert set(links) == set(names.values())
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r[0] in links}
    assert rows["Parcours de réponse"][2:] == (3, "results/patterns.csv")      # 3 patterns
    assert wb.properties.created == wb.properties.modified == pd.Timestamp("2024-12-31")


def test_two_writes_give_the_same_bytes(built, tmp_path):
    small = {k: built[k] for k in ("quality", "patterns", "item_change")}
    first = workbook_bytes(small, FR, "Démo", "p", as_of="2024-12-31")
    time.sleep(2.1)                 # zip times have a 2-second resolution: the clock moved on
    write_workbook(small, tmp_path / "r.xlsx", FR, "Démo", "p", as_of="2024-12-31")
    assert (tmp_path / "r.xlsx").read_bytes() == first
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2024, 12, 31, 0, 0, 0)}
    # another period end: another time stamp, the same tables
    assert workbook_bytes(small, FR, "Démo", "p", as_of="2025-01-31") != first
    assert workbook_bytes(small, FR, "Démo", "p", as_of=None) != first      # 1980-01-01


def test_text_never_becomes_a_formula_and_odd_values_survive(tmp_path):
    extra = pd.DataFrame({
        "remark": pd.Series(["=HYPERLINK(\"http://x\",\"y\")", "+ de 2 ans", "-0.25", "@SUM(A1)",
                           "a\x01b", None], dtype="str"),
        "x": [1.5, np.nan, np.inf, -np.inf, 1 / 3, 2e-12],
        "k": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
        "flag": [True, False, True, False, True, False],
        "when": pd.to_datetime(["2024-01-02", None, "2024-03-04", "2024-05-06", "2024-07-08",
                                "2024-09-10"]),
        "=col": ["a"] * 6,
    })
    path = write_workbook({"extra": extra}, tmp_path / "r.xlsx", EN, "=Study", "-", None)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Read me", "extra"]
    headers, rows = _sheet_table(wb["extra"])
    assert headers == ["remark", "x", "k", "flag", "when", "'=col"]     # untranslated: its name
    assert [r[0] for r in rows] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+ de 2 ans", "-0.25",
                                    "'@SUM(A1)", "a\ufffdb", None]
    assert [r[1] for r in rows] == [1.5, None, "inf", "-inf", 0.3333333333, 2e-12]
    assert [r[2] for r in rows] == [1, None, 3, 4, 5, 6]
    assert [r[3] for r in rows] == [True, False, True, False, True, False]
    assert rows[0][4] == pd.Timestamp("2024-01-02") and rows[1][4] is None
    ws = wb["extra"]
    assert ws["E2"].number_format == "yyyy-mm-dd" and ws["B2"].number_format == "0.00"
    assert ws["C2"].number_format == "0"
    assert not [c.coordinate for w in wb for row in w.iter_rows() for c in row
                if c.data_type == "f"]
    assert wb.worksheets[0]["A1"].value == "Results of the study \"=Study\""


def test_an_empty_table_keeps_its_headers(tmp_path):
    empty = contract.conform("subgroups", pd.DataFrame())
    path = write_workbook({"subgroups": empty}, tmp_path / "r.xlsx", FR, "Démo", "p", "2024-01-01")
    ws = openpyxl.load_workbook(path)["Sous-groupes"]
    headers, rows = _sheet_table(ws)
    assert headers == [header("subgroups", c, FR) for c in empty.columns] and rows == []
    assert headers[:4] == ["Dimension", "Du questionnaire", "Au questionnaire", "Groupe"]
