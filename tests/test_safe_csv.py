"""CSV formula injection: every text cell that a spreadsheet would run is neutralized.

The expected outputs follow the OWASP rule (prefix ``'`` to a cell starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return), worked out by hand.
"""

from __future__ import annotations

import csv

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from impactlib.safe_csv import neutralize_formulas, write_csv

FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")


def test_each_formula_start_is_neutralized_and_numbers_stay(tmp_path):
    # A carriage return is first written as a line break (a lone CR would end
    # the row), so "\rCR" is kept whole inside its quoted cell.
    frame = pd.DataFrame({
        "text": ["=HYPERLINK(\"http://x\",\"clic\")", "+ de 2 ans", "-moins", "@SUM(A1)",
                 "\tTAB", "\rCR", "ok", "a=b", "-0.25", "+3", "-1,5", "1e-3", None],
        "number": [-0.25, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, None],
    })
    path = write_csv(frame, tmp_path / "t.csv", lineterminator="\n")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["text", "number"]
    assert [r[0] for r in rows[1:]] == [
        "'=HYPERLINK(\"http://x\",\"clic\")", "'+ de 2 ans", "'-moins", "'@SUM(A1)",
        "'\tTAB", "\nCR", "ok", "a=b", "-0.25", "+3", "-1,5", "1e-3", ""]
    assert [r[1] for r in rows[1:]][:2] == ["-0.25", "-1.0"]


def test_column_names_and_categories_are_neutralized_too():
    frame = pd.DataFrame({"=cmd": pd.Categorical(["@x", "y"]), "n": [1, 2]})
    safe = neutralize_formulas(frame)
    assert safe.columns.tolist() == ["'=cmd", "n"]
    assert safe["'=cmd"].tolist() == ["'@x", "y"]
    assert frame.columns.tolist() == ["=cmd", "n"]          # the input is not changed


def test_a_safe_table_is_returned_as_it_is():
    frame = pd.DataFrame({"a": ["x", "y"], "b": [1.5, -2.0]})
    assert neutralize_formulas(frame) is frame


@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_no_written_cell_can_start_a_formula(tmp_path_factory, cells):
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    write_csv(pd.DataFrame({"c": cells}), path, lineterminator="\n")
    with open(path, newline="", encoding="utf-8") as fh:
        written = [r[0] if r else "" for r in csv.reader(fh)][1:]
    for original, cell in zip(cells, written):
        if cell.startswith(FORMULA_CHARS):
            float(cell.replace(",", "."))          # only a plain number may start so
        original = original.replace("\r\n", "\n").replace("\r", "\n")
        if cell.startswith("'") and not original.startswith("'"):
            assert cell[1:] == original            # nothing else is changed
        else:
            assert cell == original


def test_every_csv_the_project_writes_is_neutralized(make_study, tmp_path):
    """Candidates' free text, registry values and ids starting a formula, through clean
    and the results: no written cell can start a formula, numbers stay numbers."""
    import re

    from impactlib.intake.processed import clean_study
    from impactlib.intake.study import load_study
    from impactlib.report.results import study_results, write_results

    rows1 = ["id;A1;A2;B1;B2;Ancienneté"]
    rows2 = ["id;A1;A2;B1;B2"]
    for i in range(12):
        group = "+ de 2 ans" if i < 6 else "=1+1"
        rows1.append(f"C{i};{1 + i % 4};{1 + (i + 1) % 4};{1 + (i + 2) % 4};@SUM(A1);{group}")
        rows2.append(f"C{i};{1 + (i + 1) % 4};{1 + (i + 2) % 4};{1 + (i + 3) % 4};2")
    rows1.append("-X;;;;;")                       # no item answered: a rejected row
    study = make_study({"T1": "\n".join(rows1) + "\n", "T2": "\n".join(rows2) + "\n"},
                       extra="covariates: [Ancienneté]")
    processed = clean_study(study)
    processed.write(tmp_path / "processed")
    write_results(study_results(load_study(study), processed), tmp_path / "results")
    written = sorted((tmp_path / "processed").glob("*.csv")) + sorted(
        (tmp_path / "results").glob("*.csv"))
    assert {p.name for p in written} >= {"invalid_cells.csv", "rejected_rows.csv",
                                         "subgroups.csv", "attrition.csv"}
    seen = set()
    for path in written:
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    if cell.startswith(FORMULA_CHARS):
                        assert re.fullmatch(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?",
                                            cell), (path.name, cell)
                    seen.add(cell)
    # The risky values are there, neutralized (not dropped).
    assert "'@SUM(A1)" in seen and "'-X" in seen
    assert {"'+ de 2 ans", "'=1+1"} & seen
