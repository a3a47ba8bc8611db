"""Hostile input: one small study per documented rule, each with its exact outcome.

Study-level problems (docs/study-format.md, "Study-level problems") are run
through the command line in a subprocess: exit status 2, exactly one line
``impactlib: error: <file>[, line N][, column 'C']: message`` on standard
error, no traceback, and nothing written.

Row and cell problems (docs/study-format.md, "What happens to each row and
cell") are run in process with :func:`impactlib.intake.processed.clean_study`, and
every study that loads is checked against the accounting invariant
``rows_read = rows_kept + rows_rejected + duplicates_dropped``.

The last test renders a full report from a codebook holding markup and checks
that every page escapes it and that no raw id reaches the report folder.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ITEMS_CSV, TEST_KEY
from impactlib.stats.attrition import days_between_waves, pattern_counts
from impactlib.intake.processed import clean_study

OK_T1 = """
id,A1,A2,B1,B2
X1,1,2,3,4
X2,4,3,2,1
"""


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def run_clean(study: Path, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "IMPACTLIB_KEY": TEST_KEY}
    return subprocess.run([sys.executable, "-m", "impactlib", "clean", str(study),
                           "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=120)


def assert_study_error(study: Path, expected: str, names: str | None = None) -> str:
    """Run ``impactlib clean`` and check the documented study-level outcome.

    ``expected`` is the whole error line after ``impactlib: error: ``.
    """
    out = study.parent / "out"
    result = run_clean(study, out)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("impactlib:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("impactlib: error: ")
    if names is not None:
        assert names in errors[0]
    assert errors[0] == f"impactlib: error: {expected}"
    assert not out.exists()
    assert not list(study.parent.glob(".out-*"))          # no temporary folder left behind
    return errors[0]


def quality(p, wave: str) -> dict:
    """The quality row of one wave, with the accounting invariant checked."""
    row = p.quality.set_index("wave").loc[wave].to_dict()
    assert row["rows_read"] == row["rows_kept"] + row["rows_rejected"] + row["duplicates_dropped"]
    return row


def check_invariant(p) -> None:
    for wave in p.quality["wave"]:
        quality(p, wave)


def assert_counts(p, wave: str, **expected) -> None:
    """The named quality counts of one wave, exactly (and the invariant)."""
    row = quality(p, wave)
    assert {k: row[k] for k in expected} == expected


def rejected(p) -> list[list]:
    r = p.rejected_rows
    return r[["wave", "file", "line", "reason", "id"]].values.tolist()


def invalid(p) -> list[list]:
    inv = p.invalid_cells
    return inv[["wave", "file", "line", "column", "raw_value", "reason"]].values.tolist()


def by_id(p, table: pd.DataFrame) -> pd.DataFrame:
    """Attach the raw id (from the internal pseudonyms table) to a tidy table."""
    ids = p.pseudonyms.set_index("candidate")["id"]
    return table.assign(id=table["candidate"].map(ids))


# --------------------------------------------------------------------------
# study-level problems: command line, exit 2, one line, nothing written
# --------------------------------------------------------------------------
def test_missing_wave_file(make_study):
    study = make_study({"T1": OK_T1, "T2": OK_T1})
    (study.parent / "T2.csv").unlink()
    assert_study_error(study, f"{study}: file of wave T2 not found: T2.csv", names="T2.csv")


def test_missing_codebook(make_study):
    study = make_study({"T1": OK_T1})
    study.write_text(study.read_text(encoding="utf-8").replace("codebook: codebook",
                                                               "codebook: codebook.xlsx"),
                     encoding="utf-8")
    assert_study_error(study, f"{study}: codebook 'codebook.xlsx' not found",
                       names="codebook.xlsx")


def test_missing_codebook_table(make_study):
    study = make_study({"T1": OK_T1})
    (study.parent / "codebook" / "scales.csv").unlink()
    scales = study.parent / "codebook" / "scales.csv"
    assert_study_error(study, f"{scales}: file not found")


def test_missing_registry(make_study):
    study = make_study({"T1": OK_T1}, extra="registry: registry.csv")
    assert_study_error(study, f"{study}: registry 'registry.csv' not found",
                       names="registry.csv")


def test_missing_study_file(tmp_path):
    study = tmp_path / "study.yml"
    assert_study_error(study, f"{study}: study file not found")


def test_missing_id_column(make_study):
    study = make_study({"T1": OK_T1, "T2": "ident,A1,A2,B1,B2\nX1,1,2,3,4\n"})
    t2 = study.parent / "T2.csv"
    assert_study_error(study, f"{t2}, line 1, column 'id': no id column 'id'; the columns "
                              "are: 'ident', 'A1', 'A2', 'B1', 'B2' (read with the "
                              "delimiter ',')")


def test_undefined_scale(make_study):
    items = ITEMS_CSV + "C1,Je sors,Sorties,frequence,non\n"
    study = make_study({"T1": OK_T1}, items=items)
    file = study.parent / "codebook" / "items.csv"
    assert_study_error(study, f"{file}, line 6, column 'scale': scale 'frequence' is used "
                              "but not defined in the scales table")


def test_duplicate_item_code(make_study):
    # the same code once folded (case, spaces): defined twice
    items = ITEMS_CSV + " a1 ,Encore,Confiance,accord,non\n"
    study = make_study({"T1": OK_T1}, items=items)
    file = study.parent / "codebook" / "items.csv"
    assert_study_error(study, f"{file}, line 6, column 'item': item code 'a1' is defined "
                              "twice (also line 2)")


def test_malformed_csv_too_many_fields(make_study):
    study = make_study({"T1": "id;A1;A2;B1;B2\nX1;1;2;3;4\nX2;1;2;3;4;5\nX3;1;2;3;4\n"})
    t1 = study.parent / "T1.csv"
    assert_study_error(study, f"{t1}, line 3: malformed CSV: 6 fields where the header has 5 "
                              "(delimiter ';'); check quotes and delimiters on that line")


def test_malformed_csv_too_many_fields_after_a_multiline_cell(make_study):
    study = make_study({"T1": 'id,A1,A2,B1,B2\nX1,"1\nsuite",2,3,4\nX2,1,2,3,4,5\n'})
    t1 = study.parent / "T1.csv"
    assert_study_error(study, f"{t1}, line 4: malformed CSV: 6 fields where the header has 5 "
                              "(delimiter ','); check quotes and delimiters on that line")


UNCLOSED = 'id,A1,A2,B1,B2\nX1,1,2,3,4\nX2,"1,2,3,4\nX3,1,2,3,4\n'


def test_malformed_csv_unclosed_quote_stops_cleanly(make_study):
    """Exit 2, one line naming the file and a line, nothing written (the line is
    checked by the next test)."""
    study = make_study({"T1": UNCLOSED})
    t1 = study.parent / "T1.csv"
    result = run_clean(study, study.parent / "out")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("impactlib:")]
    assert len(errors) == 1
    assert re.fullmatch(rf"impactlib: error: {re.escape(str(t1))}, line \d+: malformed CSV: "
                        r"a quote is opened and never closed \(delimiter ','\); check quotes "
                        r"and delimiters on that line", errors[0])
    assert not (study.parent / "out").exists()


def test_malformed_csv_unclosed_quote_line(make_study):
    study = make_study({"T1": UNCLOSED})
    t1 = study.parent / "T1.csv"
    assert_study_error(study, f"{t1}, line 3: malformed CSV: a quote is opened and never closed "
                              "(delimiter ','); check quotes and delimiters on that line")


def test_unreadable_encoding(make_study):
    # The study forces UTF-8, and 0x81 is not UTF-8: the line of the bad byte.
    # (Without a forced encoding every byte means something in Mac Roman: the
    # file would be read, and the codebook's labels decide the encoding.)
    study = make_study({"T1": b"id,A1,A2,B1,B2\nX1,1,2,3,4\nX\x81,1,2,3,4\n"},
                       wave_options={"T1": {"encoding": "utf-8"}})
    t1 = study.parent / "T1.csv"
    assert_study_error(study, f"{t1}, line 3: cannot decode the file as the study says "
                              "(encoding: utf-8); save it again as CSV UTF-8")


def test_empty_file(make_study):
    study = make_study({"T1": OK_T1, "T2": b""})
    t2 = study.parent / "T2.csv"
    assert_study_error(study, f"{t2}: the file is empty")


@pytest.mark.parametrize("content, counts", [
    ("id,A1,A2,B1,B2\n", [0, 0, 0, 0]),
    ("id,A1,A2,B1,B2\n,1,2,3,4\nX1,,,,\n", [2, 0, 2, 0]),
], ids=["header-only", "every-row-rejected"])
def test_study_with_no_row_kept(make_study, content, counts):
    """Not listed in the docs as a study-level problem: either refused with one
    line, or cleaned with every row accounted for; never a traceback."""
    study = make_study({"T1": content})
    out = study.parent / "out"
    result = run_clean(study, out)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("impactlib: error:")]
    if result.returncode == 2:        # refused: one line, nothing written
        assert len(errors) == 1 and not out.exists()
    else:                             # accepted: every row accounted for
        assert result.returncode == 0 and not errors
        q = pd.read_csv(out / "quality.csv")
        assert q[["rows_read", "rows_kept", "rows_rejected", "duplicates_dropped"]
                 ].values.tolist() == [counts]


def test_workbook_with_a_missing_sheet(make_study):
    frame = pd.DataFrame({"id": ["X1", "X2"], "A1": [1, 2], "A2": [2, 3],
                          "B1": [3, 4], "B2": [4, 1]})
    study = make_study({"T1": frame}, wave_options={"T1": {"sheet": "Réponses"}})
    t1 = study.parent / "T1.xlsx"
    assert_study_error(study, f"{t1}: no sheet named 'Réponses'; the workbook has: 'Sheet1'")


def test_codebook_workbook_without_its_scales_sheet(make_study):
    study = make_study({"T1": OK_T1})
    book = study.parent / "codebook.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.read_csv(io.StringIO(ITEMS_CSV)).to_excel(writer, sheet_name="items", index=False)
    study.write_text(study.read_text(encoding="utf-8").replace("codebook: codebook",
                                                               "codebook: codebook.xlsx"),
                     encoding="utf-8")
    assert_study_error(study, f"{book}: no sheet named 'scales'; the workbook has: 'items'")


@pytest.mark.parametrize("extra, options, message", [
    ("titel: Oops", None,
     "unknown key 'titel' (known: changes, codebook, covariates, due_days, "
     "followup_by, followup_grace_days, funder_target, id_column, language, min_items_answered, "
     "outcomes, registry, seed, timezone, title, waves)"),
    ("", {"T1": {"date_colum": "date"}},
     "unknown key 'date_colum' in wave 1 (known: columns, complete_column, date_column, "
     "encoding, file, key, label, rename, sheet, wave_column, wave_values)"),
], ids=["top-level", "in-a-wave"])
def test_unknown_key_in_study_yml(make_study, extra, options, message):
    study = make_study({"T1": OK_T1}, extra=extra, wave_options=options)
    assert_study_error(study, f"{study}: {message}")


def test_invalid_yaml_with_its_line(make_study):
    # line 4 of study.yml (title, id_column, codebook, then this line)
    study = make_study({"T1": OK_T1}, extra="language: fr: en")
    assert study.read_text(encoding="utf-8").splitlines()[3] == "language: fr: en"
    assert_study_error(study, f"{study}, line 4: not valid YAML: mapping values are not "
                              "allowed here")


# --------------------------------------------------------------------------
# row and cell rules: in process, exact counts, reasons and lines
# --------------------------------------------------------------------------
def test_unknown_label(make_study):
    # the export names the item 'Q_A1' (renamed to A1): invalid cells name the
    # export's own column; the cells of a rejected row are not recorded
    study = make_study({"T1": """
        id,Q_A1,A2,B1,B2
        X1,Plutôt d'accord,2,3,4
        X2,1,Peut-être,Tout à fait d'accord,Ne sait pas
        ,Bof,2,3,4
        """}, wave_options={"T1": {"rename": "{Q_A1: A1}"}})
    p = clean_study(study)
    assert_counts(p, "T1", rows_read=3, rows_kept=2, rows_rejected=1,
                  duplicates_dropped=0, cells_invalid=2, rejected_empty_id=1)
    assert invalid(p) == [["T1", "T1.csv", 2, "Q_A1", "Plutôt d'accord", "unknown label"],
                          ["T1", "T1.csv", 3, "A2", "Peut-être", "unknown label"]]
    r = by_id(p, p.responses)
    cell = r[(r["id"] == "X1") & (r["item"] == "A1")].iloc[0]
    assert cell["status"] == "invalid" and pd.isna(cell["value"]) and pd.isna(cell["raw_value"])
    assert r[(r["id"] == "X2")].set_index("item")["status"].astype(str).to_dict() == {
        "A1": "answered", "A2": "invalid", "B1": "answered", "B2": "dont_know"}


def test_out_of_range_value(make_study):
    study = make_study({"T1": """
        id,A1,A2,B1,B2
        X1,0,2,3,4
        X2,5,3,2,1
        X3,4,-1,12,1
        """})
    p = clean_study(study)
    assert_counts(p, "T1", rows_read=3, rows_kept=3, rows_rejected=0, duplicates_dropped=0,
                  cells_invalid=4)
    assert invalid(p) == [
        ["T1", "T1.csv", 2, "A1", "0", "value 0 outside the scale (1 to 4)"],
        ["T1", "T1.csv", 3, "A1", "5", "value 5 outside the scale (1 to 4)"],
        ["T1", "T1.csv", 4, "A2", "-1", "value -1 outside the scale (1 to 4)"],
        ["T1", "T1.csv", 4, "B1", "12", "value 12 outside the scale (1 to 4)"]]
    r = by_id(p, p.responses)
    bad = r[r["status"] == "invalid"]
    assert sorted(zip(bad["id"], bad["item"].astype(str))) == [
        ("X1", "A1"), ("X2", "A1"), ("X3", "A2"), ("X3", "B1")]
    assert bad["value"].isna().all()


def test_empty_id(make_study):
    study = make_study({"T1": """
        id,A1,A2,B1,B2
        X1,1,2,3,4
        ,1,2,3,4
           ,4,4,4,4
        ,1,2,3,4
        """})
    p = clean_study(study)
    # rule 1 comes before rule 2: the two identical empty-id rows are both rejected
    assert_counts(p, "T1", rows_read=4, rows_kept=1, rows_rejected=3, duplicates_dropped=0,
                  rejected_empty_id=3, cells_invalid=0)
    assert [row[:4] for row in rejected(p)] == [["T1", "T1.csv", 3, "empty id"],
                                                ["T1", "T1.csv", 4, "empty id"],
                                                ["T1", "T1.csv", 5, "empty id"]]
    assert json.loads(p.rejected_rows["raw_row"].iloc[1]) == {
        "id": "   ", "A1": "4", "A2": "4", "B1": "4", "B2": "4"}
    assert len(p.questionnaires) == 1


def test_empty_questionnaire(make_study):
    study = make_study({"T1": """
        id,A1,A2,B1,B2
        X1,,,,
        X2,Ne sait pas,ne sait pas,,
        X3,Bof,9,,Ne sait pas
        X4,,,,3
        X5,,,,
        X5,,,,
        """})
    p = clean_study(study)
    # "Ne sait pas" and invalid cells do not count; the exact duplicate of a row
    # with no answer is dropped first (rule 2 before rule 3)
    assert_counts(p, "T1", rows_read=6, rows_kept=1, rows_rejected=4, duplicates_dropped=1,
                  rejected_no_answer=4, rejected_empty_id=0, cells_invalid=0)
    assert rejected(p) == [["T1", "T1.csv", 2, "no item answered", "X1"],
                           ["T1", "T1.csv", 3, "no item answered", "X2"],
                           ["T1", "T1.csv", 4, "no item answered", "X3"],
                           ["T1", "T1.csv", 6, "no item answered", "X5"]]
    assert invalid(p) == []            # the cells of rejected rows are not recorded
    assert json.loads(p.rejected_rows["raw_row"].iloc[2])["A2"] == "9"
    assert by_id(p, p.questionnaires)[["id", "source_line", "n_answered"]
                                      ].values.tolist() == [["X4", 5, 1]]


def test_conflicting_duplicates(make_study):
    kept_line = "another questionnaire of this candidate in this wave was kept: line "
    study = make_study({"T1": """
        id,date,A1,A2,B1,B2
        X1,01/01/2024,1,Ne sait pas,Ne sait pas,2
        x1 ,20/01/2024,4,4,4,
        Y1,15/01/2024,1,2,3,4
        Y1,05/01/2024,4,3,2,1
        Z1,10/01/2024,1,1,1,1
        Z1,10/01/2024,2,2,2,2
        W1,,1,1,1,1
        W1,12/01/2024,2,2,2,2
        """}, wave_options={"T1": {"date_column": "date"}})
    p = clean_study(study)
    assert_counts(p, "T1", rows_read=8, rows_kept=4, rows_rejected=4, duplicates_dropped=0,
                  rejected_conflict=4)
    assert rejected(p) == [
        # X1: line 3 has 3 items answered, line 2 only 2 ("Ne sait pas" does not count)
        ["T1", "T1.csv", 2, kept_line + "3", "X1"],
        # Y1: equally complete, line 5 is dated earlier
        ["T1", "T1.csv", 4, kept_line + "5", "Y1"],
        # Z1: equally complete, same date: the first in the file
        ["T1", "T1.csv", 7, kept_line + "6", "Z1"],
        # W1: equally complete, the dated one before the undated one
        ["T1", "T1.csv", 8, kept_line + "9", "W1"],
    ]
    kept = by_id(p, p.questionnaires).set_index("id")
    assert kept["source_line"].to_dict() == {"x1": 3, "Y1": 5, "Z1": 6, "W1": 9}
    assert kept.loc["x1", "n_answered"] == 3


def test_exact_duplicates(make_study):
    study = make_study({"T1": """
        id,A1,A2,B1,B2
        X1,1,2,3,4
        X1,1,2,3,4
        X2,4,3,2,1
        X2,4,3,2,1
        X2,4,3,2,1
        X3,4,3,2,1
        """})
    p = clean_study(study)
    assert_counts(p, "T1", rows_read=6, rows_kept=3, rows_rejected=0, duplicates_dropped=3)
    assert rejected(p) == []           # dropped and counted, not rejected
    kept = by_id(p, p.questionnaires).set_index("id")
    assert kept["source_line"].to_dict() == {"X1": 2, "X2": 4, "X3": 7}


def test_orphans_in_later_waves_are_kept(make_study):
    study = make_study({
        "T1": "id,A1,A2,B1,B2\na,1,2,3,4\nb,2,2,2,2\n",
        "T2": "id,A1,A2,B1,B2\na,2,2,3,4\nc,3,3,3,3\ne,1,1,1,1\n",
        "T3": "id,A1,A2,B1,B2\nb,3,3,3,3\nC ,4,4,4,4\nd,2,3,2,3\n",
    })
    p = clean_study(study)
    for wave, n in (("T1", 2), ("T2", 3), ("T3", 3)):
        assert_counts(p, wave, rows_read=n, rows_kept=n, rows_rejected=0,
                      duplicates_dropped=0)
    assert rejected(p) == []
    cand = by_id(p, p.candidates)
    assert dict(zip(cand["id"], cand["pattern"])) == {
        "a": "T1+T2", "b": "T1+T3", "c": "T2+T3", "d": "T3", "e": "T2"}
    counts = pattern_counts(p.candidates, waves=p.waves)
    assert counts[["pattern", "n_candidates"]].values.tolist() == [
        ["T1+T2", 1], ["T1+T3", 1], ["T2", 1], ["T2+T3", 1], ["T3", 1]]
    assert len(p.questionnaires) == 8


def test_later_wave_dated_before_the_first(make_study):
    study = make_study({
        "T1": "id,date,A1,A2,B1,B2\na,10/03/2024,1,2,3,4\nb,01/01/2024,2,2,2,2\n"
              "c,05/01/2024,3,3,3,3\n",
        "T2": "id,date,A1,A2,B1,B2\na,01/02/2024,2,2,3,4\nb,01/04/2024,3,3,3,3\n",
    }, wave_options={"T1": {"date_column": "date"}, "T2": {"date_column": "date"}})
    p = clean_study(study)
    assert_counts(p, "T2", rows_read=2, rows_kept=2, rows_rejected=0,
                  cells_invalid=0)
    check_invariant(p)
    assert rejected(p) == [] and invalid(p) == []
    timing = days_between_waves(p.questionnaires)
    assert timing[["from_wave", "to_wave"]].astype(str).values.tolist() == [["T1", "T2"]]
    row = timing.iloc[0]
    # a: 10/03 -> 01/02 = -38 days (kept, counted as negative); b: +91 days
    assert row["n"] == 2 and row["n_negative"] == 1
    assert row["median_days"] == pytest.approx((-38 + 91) / 2)


# --------------------------------------------------------------------------
# privacy and escaping in a full report
# --------------------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>x</b>"


def _hostile_study(folder: Path, n: int = 30, seed: int = 11) -> tuple[Path, list[str]]:
    """Two waves, ``n`` candidates, markup in the codebook and a covariate."""
    rng = np.random.default_rng(seed)
    (folder / "codebook").mkdir(parents=True)
    codes = ["A1", "A2", "A3", "B1", "B2", "B3"]
    pd.DataFrame({
        "item": codes,
        "text": [f"Je me sens capable {SCRIPT}", "Je doute de moi", "Je sais quoi faire",
                 "Je sais chercher", f"Mon CV est prêt {SCRIPT}", "J'ai un réseau"],
        "dimension": [f"Confiance {SCRIPT}"] * 3 + ["Recherche"] * 3,
        "scale": ["accord"] * 6,
        "reverse": ["non", "oui", "non", "non", "non", "non"],
    }).to_csv(folder / "codebook" / "items.csv", index=False)
    pd.DataFrame({"scale": ["accord"] * 5, "value": ["1", "2", "3", "4", ""],
                  "label": ["Pas du tout d'accord", "Pas d'accord", "D'accord",
                            "Tout à fait d'accord", "Ne sait pas"]}
                 ).to_csv(folder / "codebook" / "scales.csv", index=False)
    # ids with '-' and '_' never occur by chance in base64 images
    ids = [f"DOSSIER-{i:03d}_ZK" for i in range(1, n + 1)]
    entry = pd.Timestamp("2024-01-08") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    base = rng.integers(1, 4, size=(n, len(codes)))
    t1 = pd.DataFrame(base, columns=codes)
    t1.insert(0, "id", ids)
    t1.insert(1, "date", entry.strftime("%d/%m/%Y"))
    t1["Antenne"] = np.where(np.arange(n) % 2 == 0, BOLD, "Nord")
    back = rng.random(n) < 0.7
    t2 = pd.DataFrame(np.clip(base + rng.integers(0, 2, size=base.shape), 1, 4), columns=codes)
    t2.insert(0, "id", [i.lower() for i in ids])        # linked after case folding
    t2.insert(1, "date", (entry + pd.Timedelta(days=120)).strftime("%d/%m/%Y"))
    t1.to_csv(folder / "T1.csv", index=False, sep=";")
    t2[back].to_csv(folder / "T2.csv", index=False, sep=";")
    (folder / "study.yml").write_text(f"""\
title: "Étude {SCRIPT}"
id_column: id
codebook: codebook
covariates: [Antenne]
waves:
  - key: T1
    label: Entrée
    file: T1.csv
    date_column: date
  - key: T2
    label: Sortie
    file: T2.csv
    date_column: date
""", encoding="utf-8")
    return folder / "study.yml", ids


def test_report_escapes_markup_and_holds_no_raw_id(tmp_path):
    from impactlib.report.build import run_report

    study, ids = _hostile_study(tmp_path / "hostile")
    out = tmp_path / "report"
    run_report(study, out=out, processed=tmp_path / "processed")
    processed = clean_study(study)
    check_invariant(processed)
    assert processed.quality["rows_kept"].iloc[0] == 30

    pages = sorted((out / "html").glob("*.html"))
    assert len(pages) >= 2 and (out / "html" / "index.html") in pages
    escaped = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert SCRIPT not in text, page.name
        assert BOLD not in text, page.name
        # every alert(1) of the page is inside the escaped form
        assert text.count("alert(1)") == text.count("&lt;script&gt;alert(1)&lt;/script&gt;"), \
            page.name
        escaped += text.count("&lt;script&gt;")
    assert escaped >= 1
    assert any("&lt;b&gt;x&lt;/b&gt;" in p.read_text(encoding="utf-8") for p in pages)

    # the ids searched for are the real ones: the internal table holds them
    internal = pd.read_csv(tmp_path / "processed" / "pseudonyms.csv", dtype=str)
    assert sorted(internal["id"]) == sorted(ids)

    files = [p for p in out.rglob("*") if p.is_file()]
    assert {"results", "notebooks", "html"} <= {p.relative_to(out).parts[0] for p in files}
    assert (out / "manifest.json") in files
    leaks = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        folded = text.casefold()
        leaks += [(path.name, i) for i in ids if i.casefold() in folded]
    assert leaks == []
    assert TEST_KEY not in "".join(p.read_text(encoding="utf-8", errors="replace")
                                   for p in files)
