"""impactlib due: the follow-up list, its workbook, its command line and its bad input.

The hand-made case below has one candidate per rule, every expected row worked
out by hand (dates counted on a calendar; 2024 is a leap year, February 2025
has 28 days). The day of the list is 1 March 2025, "due soon" looks 14 days
ahead (up to 15 March), the grace period is 30 days, and T2 is due 90 days
after entry (the default of wave_status for the one middle wave).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from impactlib import cli
from impactlib.intake.processed import KEPT_FOLDERS, clean_study
from impactlib.intake.study import load_study
from impactlib.report import followup as fu
from impactlib.report.followup import (LISTS, followup_counts, followup_list, followup_status,
                                       sheet_names, write_followup)
from impactlib.report.i18n import Translator
from impactlib.report.results import study_results
from impactlib.stats.attrition import attrition_rates, wave_status

ON = "2025-03-01"
WAVES = ["T1", "T2", "T3"]
NaT = pd.NaT

# key, shown id, entry, exit, exit status, antenne
REGISTRY = [
    ("a", "=1+1", "2024-11-01", NaT, "en cours", "Namur"),
    ("b", "D-b", "2024-12-15", NaT, "en cours", "Namur"),
    ("c", "D-c", "2024-12-16", NaT, "en cours", "Namur"),
    ("d", "D-d", "2024-06-01", "2025-01-30", "emploi", "Dinant"),
    ("e", "D-e", "2024-06-01", "2025-01-29", "formation", "Dinant"),
    ("f", "D-f", "2024-11-01", NaT, "en cours", "Namur"),
    ("g", "D-g", "2024-01-10", NaT, "abandon", '=HYPERLINK("http://x")'),
    ("h", "D-h", "2024-10-01", "2025-03-10", "emploi", "Dinant"),
    ("j", "D-j", "2025-02-20", NaT, "en cours", None),
    ("k", "D-k", "2025-03-10", NaT, "en cours", "Namur"),
    ("m", "D-m", "2024-05-01", "2025-02-01", "emploi", "Dinant"),
]
ANSWERS = [
    ("a", "T1", "2024-11-02"),
    ("b", "T1", "2024-12-16"), ("c", "T1", "2024-12-16"),
    ("d", "T1", "2024-06-03"),
    ("e", "T1", "2024-06-03"), ("e", "T2", "2024-09-10"),
    ("f", "T1", "2024-11-01"), ("f", "T2", "2025-03-05"),      # T2 after the day of the list
    ("g", "T1", "2024-01-10"),
    ("h", "T1", "2024-10-01"), ("h", "T2", "2025-01-05"),
    ("m", "T1", "2024-05-01"), ("m", "T2", "2024-08-01"), ("m", "T3", "2025-02-01"),
]

# Worked out by hand, in the list's order (list, wave, days overdue most
# first, candidate): (shown id, wave, due date, days overdue, last wave
# answered, its date, list).
#
# a: en cours, entry 1 Nov 2024: T2 due 1 Nov + 90 d = 30 Jan 2025 (Nov 1 ->
#    Nov 30: 29, Dec 31: 60, Jan 30: 90), unanswered; 30 Jan -> 1 Mar = 30 d.
#    Still in: overdue. T3 not due (en cours). The id "=1+1" sorts before "D".
# b: T2 due 15 Dec + 90 d = 15 Mar (Dec 31: 16, Jan 31: 47, Feb 28: 75,
#    Mar 15: 90) = on + 14: due soon, -14, the 14th day included.
# c: T2 due 16 Mar = on + 15: not listed at all.
# d: exited 30 Jan 2025 = 30 days before 1 Mar (exactly the grace period):
#    T2 due 1 Jun 2024 + 90 d = 30 Aug 2024, 183 days before 1 Mar (Aug 31: 1,
#    Sep 30: 31, Oct 31: 62, Nov 30: 92, Dec 31: 123, Jan 31: 154, Feb 28:
#    182, Mar 1: 183): overdue; T3 due at exit, 30 days: overdue.
# e: exited 29 Jan = 31 days before (grace + 1): T3 missed, for the record.
#    T2 answered 10 Sep 2024, after its due date (30 Aug): answered, not
#    listed, and the last wave answered.
# f: T2 answered 5 Mar 2025, after the day of the list: on 1 Mar it was not
#    answered yet: overdue, 30 days (due 30 Jan as for a); last answered T1.
# g: abandon, no exit date: has left, date unknown. T2 due 10 Jan 2024 + 90 d
#    = 9 Apr 2024 (Jan 31: 21, Feb 29: 50, Mar 31: 81, Apr 9: 90), 326 days
#    before 1 Mar 2025 (Apr 30: 21, May 31: 52, Jun 30: 82, Jul 31: 113,
#    Aug 31: 144, Sep 30: 174, Oct 31: 205, Nov 30: 235, Dec 31: 266, Jan 31:
#    297, Feb 28: 325, Mar 1: 326): overdue (nobody can tell the grace period
#    has passed). T3 due at an unknown date: overdue, days unknown (last).
# h: exits 10 Mar 2025, 9 days after the list: the exit questionnaire is due
#    soon, -9. T2 (due 30 Dec 2024) answered 5 Jan 2025: not listed.
# j: registry only, entered 20 Feb 2025: T1 due at entry, 9 days ago: overdue;
#    no questionnaire answered. Antenne missing.
# k: enters 10 Mar 2025: T1 due soon, -9.
# m: answered everything: not listed.
EXPECTED = [
    ("D-j", "T1", "2025-02-20", 9, None, NaT, "overdue"),
    ("D-g", "T2", "2024-04-09", 326, "T1", "2024-01-10", "overdue"),
    ("D-d", "T2", "2024-08-30", 183, "T1", "2024-06-03", "overdue"),
    ("=1+1", "T2", "2025-01-30", 30, "T1", "2024-11-02", "overdue"),
    ("D-f", "T2", "2025-01-30", 30, "T1", "2024-11-01", "overdue"),
    ("D-d", "T3", "2025-01-30", 30, "T1", "2024-06-03", "overdue"),
    ("D-g", "T3", NaT, None, "T1", "2024-01-10", "overdue"),
    ("D-k", "T1", "2025-03-10", -9, None, NaT, "due_soon"),
    ("D-b", "T2", "2025-03-15", -14, "T1", "2024-12-16", "due_soon"),
    ("D-h", "T3", "2025-03-10", -9, "T2", "2025-01-05", "due_soon"),
    ("D-e", "T3", "2025-01-29", 31, "T2", "2024-09-10", "missed"),
]


def _hand_made():
    reg = pd.DataFrame(REGISTRY, columns=["candidate", "id", "entry_date", "exit_date",
                                          "exit_status", "Antenne"])
    for col in ("entry_date", "exit_date"):
        reg[col] = pd.to_datetime(reg[col])
    q = pd.DataFrame(ANSWERS, columns=["candidate", "wave", "date"])
    q["wave"] = pd.Categorical(q["wave"], categories=WAVES, ordered=True)
    q["date"] = pd.to_datetime(q["date"])
    return reg, q


@pytest.fixture
def hand_made():
    reg, q = _hand_made()
    status = followup_status(reg, q, ON, within=14, waves=WAVES)
    return reg, q, status


def test_every_rule_on_the_hand_made_case(hand_made):
    reg, q, status = hand_made
    table = followup_list(status, reg, ON, within=14, grace_days=30)
    got = list(zip(table["candidate"], table["wave"].astype(str),
                   table["due_date"], table["days_overdue"], table["last_wave"],
                   table["last_date"], table["list"].astype(str)))
    assert len(got) == len(EXPECTED)
    for row, want in zip(got, EXPECTED):
        cand, wave, due, days, last, last_date, which = want
        assert row[0] == cand and row[1] == wave and row[6] == which, (row, want)
        assert (pd.isna(row[2]) and pd.isna(due)) or row[2] == pd.Timestamp(due), (row, want)
        assert (pd.isna(row[3]) and days is None) or row[3] == days, (row, want)
        assert (pd.isna(row[4]) and last is None) or row[4] == last, (row, want)
        assert ((pd.isna(row[5]) and pd.isna(last_date))
                or row[5] == pd.Timestamp(last_date)), (row, want)
    assert list(table.columns) == ["candidate", "entry_date", "wave", "due_date",
                                   "days_overdue", "last_wave", "last_date", "exit_date",
                                   "exit_status", "list"]
    assert table["list"].cat.categories.tolist() == list(LISTS)
    # entry and exit dates are the registry's
    d = table[table["candidate"] == "D-d"].iloc[0]
    assert d["entry_date"] == pd.Timestamp("2024-06-01")
    assert d["exit_date"] == pd.Timestamp("2025-01-30")


def test_the_counts_agree_with_attrition_rates_by_construction(hand_made):
    reg, q, status = hand_made
    table = followup_list(status, reg, ON, within=14, grace_days=30)
    counts = followup_counts(table, WAVES)
    # By hand (see EXPECTED): T1 j overdue, k soon; T2 g d a f overdue, b
    # soon; T3 d g overdue, h soon, e missed.
    assert counts["overdue"].tolist() == [1, 4, 2]
    assert counts["due_soon"].tolist() == [1, 1, 1]
    assert counts["missed"].tolist() == [0, 0, 1]
    rates = attrition_rates(status, waves=WAVES)
    # Missed by hand: T1 j; T2 a d f g; T3 d e g. Answered on 1 March: T1 all
    # but j and k (9); T2 e h m (f's is later); T3 m.
    assert rates["n_missed"].tolist() == [1, 4, 3]
    assert rates["n_answered"].tolist() == [9, 3, 1]
    assert rates["n_due"].tolist() == [10, 7, 4]
    assert (counts["overdue"] + counts["missed"]).tolist() == rates["n_missed"].tolist()
    # and the status is wave_status's on the questionnaires known on 1 March
    bare = wave_status(reg, q[q["date"] <= ON], waves=WAVES, as_of=ON)
    assert status["status"].tolist() == bare["status"].tolist()


def test_the_exit_questionnaire_due_soon_gets_its_exit_date(hand_made):
    reg, q, status = hand_made
    bare = wave_status(reg, q[q["date"] <= ON], waves=WAVES, as_of=ON)
    h = (status["candidate"] == "h") & (status["wave"] == "T3")
    assert bare.loc[h, "due_date"].isna().all()        # not left yet on 1 March
    assert status.loc[h, "due_date"].tolist() == [pd.Timestamp("2025-03-10")]
    assert status.loc[h, "status"].tolist() == ["not_yet_due"]
    # a (en cours, no exit date) has no due date for T3, whatever the window
    a = (status["candidate"] == "a") & (status["wave"] == "T3")
    assert status.loc[a, "due_date"].isna().all()


def test_within_and_grace_move_the_boundaries(hand_made):
    reg, q, status = hand_made
    # b (due in 14 days) drops out with a 13-day window; c (15) comes in with 15.
    short = followup_list(status, reg, ON, within=13, grace_days=30)
    assert "D-b" not in set(short["candidate"])
    wide = followup_list(followup_status(reg, q, ON, within=15, waves=WAVES), reg, ON,
                         within=15, grace_days=30)
    assert {"D-b", "D-c"} <= set(wide["candidate"])
    # with a 31-day grace, e (exited 31 days ago) is still chased
    longer = followup_list(status, reg, ON, within=14, grace_days=31)
    assert longer.loc[longer["candidate"] == "D-e", "list"].astype(str).tolist() == ["overdue"]
    # with a 29-day grace, d (exited 30 days ago) goes on the record
    shorter = followup_list(status, reg, ON, within=14, grace_days=29)
    assert set(shorter.loc[shorter["candidate"] == "D-d", "list"].astype(str)) == {"missed"}


def test_by_adds_the_covariate_and_sorts_by_it(hand_made):
    reg, q, status = hand_made
    table = followup_list(status, reg, ON, by="Antenne")
    assert list(table.columns[:3]) == ["candidate", "entry_date", "Antenne"]
    assert table["Antenne"].tolist()[:3] == ['=HYPERLINK("http://x")'] * 2 + ["Dinant"]
    assert pd.isna(table["Antenne"].iloc[-1])            # j: no antenne, last
    counts = followup_counts(table, WAVES, by="Antenne")
    dinant = counts[counts["Antenne"] == "Dinant"]
    # Dinant: d overdue T2 and T3, h soon T3, e missed T3
    assert dinant[list(LISTS)].to_numpy().tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 1]]
    assert counts[list(LISTS)].to_numpy().sum() == len(table)
    with pytest.raises(KeyError, match="Conseiller"):
        followup_list(status, reg, ON, by="Conseiller")


def test_sheet_names_are_what_excel_accepts():
    names = sheet_names(["Namur/Dinant", "NAMUR_DINANT", "a[b]:c*d?e\\f", "x" * 40,
                         "x" * 40, "'quoted'", "", "Résumé", "History"], reserved=["Résumé"])
    assert names[:3] == ["Namur_Dinant", "NAMUR_DINANT (2)", "a_b__c_d_e_f"]
    assert names[3] == "x" * 31 and names[4] == "x" * 27 + " (2)"
    assert names[5:] == ["quoted", "_", "Résumé (2)", "History (2)"]
    assert all(len(n) <= 31 for n in names)
    assert len({n.casefold() for n in names}) == len(names)


def _sheet_rows(path, name):
    book = openpyxl.load_workbook(path)
    return book, list(book[name].iter_rows(values_only=True))


def test_the_workbook(hand_made, tmp_path):
    reg, q, status = hand_made
    table = followup_list(status, reg, ON, by="Antenne")
    labels = {"T1": "Entrée", "T2": "Mi-parcours", "T3": "Sortie"}
    path = write_followup(table, tmp_path / "list.xlsx", ON, by="Antenne", wave_labels=labels)
    tr = Translator("fr")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Résumé", '=HYPERLINK("http___x")', "Dinant", "Namur",
                               "(sans valeur)"]
    for sheet in book.worksheets:
        assert sheet["A1"].value == tr.t("followup.warning")
        assert "01/03/2025" in sheet["A2"].value
        assert sheet.freeze_panes == "A6"
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    # the summary: all candidates, then per antenne (missing last)
    rows = list(book["Résumé"].iter_rows(min_row=5, values_only=True))
    assert rows[0] == ("Antenne", "Questionnaire", "En retard", "À faire bientôt",
                       "Manqué (pour mémoire)")
    assert rows[1:4] == [("Ensemble", "T1 (Entrée)", 1, 1, 0),
                         ("Ensemble", "T2 (Mi-parcours)", 4, 1, 0),
                         ("Ensemble", "T3 (Sortie)", 2, 1, 1)]
    assert rows[4][0] == "'=HYPERLINK(\"http://x\")"       # neutralized, shown as text
    assert rows[-1][:2] == ("(sans valeur)", "T3 (Sortie)")
    # a list sheet: header, rows, dates as dates, formula-like id as text
    rows = list(book["Namur"].iter_rows(min_row=5, values_only=True))
    assert rows[0][:4] == ("Candidat", "Date d'entrée", "Antenne", "Questionnaire")
    ids = [r[0] for r in rows[1:]]
    assert ids == ["'=1+1", "D-f", "D-k", "D-b"]    # overdue (30, 30 by id), then due soon
    namur = book["Namur"]
    assert namur["B7"].is_date and namur["B7"].number_format == "DD/MM/YYYY"
    assert namur["E6"].value.date().isoformat() == "2025-01-30"   # a's T2 due date
    assert namur["F6"].value == 30
    g = list(book['=HYPERLINK("http___x")'].iter_rows(min_row=6, values_only=True))
    assert [r[5] for r in g] == [326, None]          # T3 of g: due date unknown
    assert len(list(book["(sans valeur)"].iter_rows(min_row=6))) == 1   # j


def test_the_workbook_is_the_same_bytes_twice_and_in_english(hand_made, tmp_path):
    reg, q, status = hand_made
    table = followup_list(status, reg, ON)
    one = write_followup(table, tmp_path / "one.xlsx", ON).read_bytes()
    two = write_followup(table, tmp_path / "two.xlsx", ON).read_bytes()
    assert hashlib.sha256(one).hexdigest() == hashlib.sha256(two).hexdigest()
    with zipfile.ZipFile(io.BytesIO(one)) as z:
        core = z.read("docProps/core.xml").decode()
        assert {i.date_time for i in z.infolist()} == {(2025, 3, 1, 0, 0, 0)}
    assert core.count("2025-03-01T00:00:00Z") == 2          # created, modified
    english = write_followup(table, tmp_path / "en.xlsx", ON, language="en")
    book = openpyxl.load_workbook(english)
    assert book.sheetnames == ["Summary", "Follow-up"]
    assert book["Follow-up"]["A1"].value.startswith("Personal data")
    assert book["Follow-up"]["B6"].number_format == "YYYY-MM-DD"


def test_a_failed_write_leaves_the_previous_workbook(hand_made, tmp_path, monkeypatch):
    reg, q, status = hand_made
    table = followup_list(status, reg, ON)
    path = write_followup(table, tmp_path / "list.xlsx", ON)
    before = path.read_bytes()

    def broken(src, dst):
        raise OSError(28, "No space left on device", str(dst))

    monkeypatch.setattr(fu.os, "replace", broken)
    with pytest.raises(OSError):
        write_followup(table, path, "2025-03-02")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["list.xlsx"]      # no temporary left


# --------------------------------------------------------------------------
# the command line on the demo study
# --------------------------------------------------------------------------
LINE = (r"(?P<wave>\w+): (?P<overdue>\d+) overdue, (?P<due_soon>\d+) due within 14 days, "
        r"(?P<missed>\d+) missed \(exited more than 30 days ago\); "
        r"(?P<answered>\d+) answered of (?P<due>\d+) due")


def _due(capsys, *args):
    code = cli.main(["due", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _counts(out: str) -> pd.DataFrame:
    rows = pd.Series(out.splitlines()[:-1]).str.extract(LINE)
    assert rows.notna().all().all(), out
    return rows.set_index("wave").astype("int64")


def test_due_on_the_demo_counts_as_the_report(demo_study, demo_processed, tmp_path, capsys):
    """`due --on D` and the report's results/attrition_rates.csv on the same date D.

    The report without --until takes the last questionnaire's date as its
    as_of, and counts every candidate of the registry, as `due` does. Per
    wave: overdue + missed (for the record) = n_missed, answered = n_answered,
    due = n_due.
    """
    study = load_study(demo_study)
    last = demo_processed.questionnaires["date"].max().date().isoformat()
    out = tmp_path / "list.xlsx"
    code, printed, err = _due(capsys, demo_study, "--on", last, "--by", "antenne", "--out", out)
    assert code == 0, err
    assert printed.splitlines()[-1] == str(out)
    counts = _counts(printed)
    report = study_results(study, demo_processed)["attrition_rates"].set_index("wave")
    assert list(counts.index) == study.wave_keys
    assert (counts["overdue"] + counts["missed"]).tolist() == report["n_missed"].tolist()
    assert counts["answered"].tolist() == report["n_answered"].tolist()
    assert counts["due"].tolist() == report["n_due"].tolist()
    assert counts[["overdue", "due_soon", "missed"]].to_numpy().sum() > 0
    # the workbook: the summary's "Ensemble" rows are the printed counts, one
    # sheet per antenne (--by is matched ignoring case), real ids
    book = openpyxl.load_workbook(out)
    antennes = book.sheetnames[1:]
    assert book.sheetnames[0] == "Résumé" and antennes == sorted(antennes)
    assert set(antennes) <= set(demo_processed.candidates["Antenne"].dropna())
    rows = [r for r in book["Résumé"].iter_rows(min_row=6, values_only=True)
            if r[0] == "Ensemble"]
    assert [list(r[2:]) for r in rows] == counts[["overdue", "due_soon", "missed"]].to_numpy().tolist()
    listed = sum(book[a].max_row - 5 for a in antennes)
    assert listed == counts[["overdue", "due_soon", "missed"]].to_numpy().sum()
    ids = {r[0] for a in antennes for r in book[a].iter_rows(min_row=6, values_only=True)}
    real = set(demo_processed.pseudonyms["id"])
    assert ids <= real and not ids & set(demo_processed.pseudonyms["candidate"])


def test_due_on_a_day_within_the_period(demo_study, demo_processed, tmp_path, capsys):
    """On a day before the end of the data, the counts are attrition_rates as
    build_results computes them (wave_status with as_of = that day) on the
    questionnaires answered by that day."""
    on = "2024-10-01"
    code, printed, err = _due(capsys, demo_study, "--on", on, "--out", tmp_path / "x.xlsx")
    assert code == 0, err
    counts = _counts(printed)
    study = load_study(demo_study)
    q = demo_processed.questionnaires
    status = wave_status(demo_processed.candidates, q[q["date"] <= on],
                         waves=demo_processed.waves, as_of=pd.Timestamp(on),
                         due_days=study.due_days or None)
    rates = attrition_rates(status, waves=demo_processed.waves).set_index("wave")
    assert (counts["overdue"] + counts["missed"]).tolist() == rates["n_missed"].tolist()
    assert counts["answered"].tolist() == rates["n_answered"].tolist()
    assert counts["due"].tolist() == rates["n_due"].tolist()
    # questionnaires answered after that day are not counted as answered
    assert counts["answered"].sum() < len(q)


def test_quiet_prints_only_the_path_and_the_default_path_survives_clean(tmp_path, capsys):
    from impactlib.intake.demo import write_demo

    study = write_demo(tmp_path / "small", candidates=40)
    code = cli.main(["-q", "due", str(study), "--on", "2025-04-01"])
    out, err = capsys.readouterr()
    assert code == 0, err
    path = tmp_path / "small" / "processed" / "followup" / "a-relancer-2025-04-01.xlsx"
    assert len(out.splitlines()) == 1 and Path(out.strip()).resolve() == path.resolve()
    assert path.exists()
    assert fu.FOLLOWUP_FOLDER in KEPT_FOLDERS
    before = path.read_bytes()
    assert cli.main(["-q", "clean", str(study)]) == 0    # rebuilds the processed folder
    assert path.read_bytes() == before
    assert (path.parent.parent / "responses.parquet").exists()


# --------------------------------------------------------------------------
# bad input: one line, exit status 2, nothing written
# --------------------------------------------------------------------------
def _one_error(capsys, args, message):
    code = cli.main(args)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    errors = [l for l in lines if l.startswith("impactlib: error:")]
    assert code == 2 and len(errors) == 1 and "Traceback" not in err, err
    assert message in errors[0], errors[0]
    return errors[0]


@pytest.mark.parametrize("args, message", [
    (["--on", "2000-01-01"], "--on 2000-01-01 is before the first questionnaire (20"),
    (["--on", "1/3/2025"], "--on must be a date written YYYY-MM-DD, not '1/3/2025'"),
    (["--by", "Conseiller"], "--by 'Conseiller' is not a column of the candidates; available: "
                             "Genre, Tranche d'âge, Niveau de diplôme, Durée d'inoccupation, "
                             "Antenne, exit_status"),
    (["--within", "-1"], "--within must be a whole number of days (0 or more)"),
])
def test_bad_options_are_one_line(demo_study, tmp_path, capsys, args, message):
    out = tmp_path / "list.xlsx"
    _one_error(capsys, ["-q", "due", str(demo_study), *args, "--out", str(out)], message)
    assert not out.exists()


def test_no_registry_is_one_line(make_study, tmp_path, capsys):
    study = make_study({"T1": "id;A1;A2;B1;B2\nX;1;2;3;4\n"})
    line = _one_error(capsys, ["due", str(study), "--out", str(tmp_path / "l.xlsx")],
                      "impactlib due needs the registry: entry and exit dates")
    assert "study.yml" in line and "registry: registry.csv" in line and "entry_date" in line


def test_a_registry_without_entry_dates_is_one_line(make_study, tmp_path, capsys):
    study = make_study({"T1": "id;A1;A2;B1;B2\nX;1;2;3;4\n"}, extra="registry: registry.csv")
    (tmp_path / "registry.csv").write_text("id;exit_status\nX;en cours\n", encoding="utf-8")
    _one_error(capsys, ["due", str(study), "--out", str(tmp_path / "l.xlsx")],
               "registry.csv: the registry gives no entry date")
