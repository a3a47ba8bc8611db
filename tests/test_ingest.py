"""Ingestion: labels to values, recoding, linkage, row and cell rules, accounting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impactlib.errors import StudyError
from impactlib.intake.processed import clean_study

T1 = """
id;date;A1;A2;B1;B2
a-1;05/01/2024;Tout à fait d'accord;pas d'accord;D'ACCORD;  d'accord
A-2;06/01/2024;1;4;Ne sait pas;
A-3;07/01/2024;Tout a fait d’accord;7;Peut-être;2
"""


def _row(table, **where):
    mask = np.ones(len(table), bool)
    for col, value in where.items():
        mask &= (table[col].astype(str) == value).to_numpy()
    return table[mask]


def test_labels_values_and_reverse_recoding(make_study):
    p = clean_study(make_study({"T1": T1}, wave_options={"T1": {"date_column": "date"}}))
    r = p.responses
    first = r[r["candidate"] == r["candidate"].iloc[0]]
    assert len(r) == 3 * 4                      # every kept questionnaire x every item
    by = {(c, i): row for c, i, row in zip(r["candidate"], r["item"].astype(str), r.itertuples())}
    ids = p.pseudonyms.set_index("id")["candidate"]
    a1 = ids["a-1"]
    # "Tout à fait d'accord" = 4; A2 is reversed: "pas d'accord" = 2 -> 1 + 4 - 2 = 3
    assert by[(a1, "A1")].raw_value == 4 and by[(a1, "A1")].value == 4
    assert by[(a1, "A2")].raw_value == 2 and by[(a1, "A2")].value == 3
    assert by[(a1, "B1")].label == "D'accord" and by[(a1, "B2")].raw_value == 3
    a2 = ids["A-2"]
    # numeric codes are values; A2 = 4 reversed is 1
    assert by[(a2, "A1")].value == 1 and by[(a2, "A2")].value == 1
    assert by[(a2, "B1")].status == "dont_know" and pd.isna(by[(a2, "B1")].value)
    assert by[(a2, "B2")].status == "missing"
    a3 = ids["A-3"]
    # accents and typographic apostrophe folded; 7 is outside 1-4; unknown label
    assert by[(a3, "A1")].value == 4
    assert by[(a3, "A2")].status == "invalid" and pd.isna(by[(a3, "A2")].value)
    assert by[(a3, "B1")].status == "invalid"
    assert len(first) == 4


def test_invalid_cells_are_recorded_with_file_line_column(make_study):
    p = clean_study(make_study({"T1": T1}))
    inv = p.invalid_cells
    assert inv[["file", "line", "column", "raw_value"]].values.tolist() == [
        ["T1.csv", 4, "A2", "7"], ["T1.csv", 4, "B1", "Peut-être"]]
    assert inv["reason"].tolist() == ["value 7 outside the scale (1 to 4)", "unknown label"]
    assert p.quality.loc[0, "cells_invalid"] == 2


def test_row_rules_and_the_accounting_invariant(make_study):
    t1 = """
    id;date;A1;A2;B1;B2
    A;10/01/2024;1;2;3;4
    A;10/01/2024;1;2;3;4
    ;11/01/2024;1;2;3;4
    B;12/01/2024;;;;
    C;13/01/2024;1;;;
    c ;09/01/2024;2;2;;
    C;08/01/2024;3;3;;
    D;14/01/2024;Ne sait pas;;;
    """
    p = clean_study(make_study({"T1": t1}, wave_options={"T1": {"date_column": "date"}}))
    q = p.quality.iloc[0]
    assert q["rows_read"] == 8
    assert q["duplicates_dropped"] == 1                   # line 3 repeats line 2
    assert q["rows_rejected"] == 5                        # empty id, B, D, two of C
    assert q["rows_kept"] == 2                            # A and one C
    assert q["rows_read"] == q["rows_kept"] + q["rows_rejected"] + q["duplicates_dropped"]
    rej = p.rejected_rows.set_index("line")["reason"]
    assert rej[4] == "empty id"
    assert rej[5] == "no item answered" and rej[9] == "no item answered"  # "Ne sait pas" only
    # C: lines 6 (1 item), 7 (2 items, 09/01) and 8 (2 items, 08/01): the most
    # complete, then the earliest dated, is line 8.
    assert rej[6].endswith("line 8") and rej[7].endswith("line 8")
    kept = p.questionnaires.sort_values("source_line")["source_line"].tolist()
    assert kept == [2, 8]


def test_conflict_tie_keeps_the_first_line(make_study):
    t1 = "id;A1;A2\nX;1;2\nX;3;4\n"
    p = clean_study(make_study({"T1": t1}))
    assert p.questionnaires["source_line"].tolist() == [2]
    assert p.rejected_rows["reason"].tolist() == [
        "another questionnaire of this candidate in this wave was kept: line 2"]


def test_ids_link_across_waves_and_patterns_are_kept(make_study):
    t1 = "id;A1\nAB 12;1\nCD-3;2\nEF;3\n"
    t2 = "id;A1\n ab  12 ;2\nGH;4\n"          # AB 12 again; GH answered only T2
    t3 = "id;A1\ncd-3;3\nab 12;3\n"            # CD-3 skipped T2
    p = clean_study(make_study({"T1": t1, "T2": t2, "T3": t3}))
    counts = p.candidates["pattern"].value_counts().to_dict()
    assert counts == {"T1+T2+T3": 1, "T1+T3": 1, "T1": 1, "T2": 1}
    assert p.candidates["n_waves"].sum() == 3 + 2 + 1 + 1
    assert len(p.candidates) == 4


def test_whole_number_ids_from_a_workbook_link_with_csv_ids(make_study):
    t1 = "id;A1\n1234;1\n"
    t2 = pd.DataFrame({"id": [1234.0], "A1": [2]})
    p = clean_study(make_study({"T1": t1, "T2": t2}))
    assert p.candidates["pattern"].tolist() == ["T1+T2"]


def test_rename_maps_export_columns(make_study):
    t2 = pd.DataFrame({"dossier": ["A"], "T2_A1": [3], "T2_B1": ["D'accord"]})
    p = clean_study(make_study({"T2": t2}, wave_options={
        "T2": {"rename": "{dossier: id, T2_A1: A1, T2_B1: B1}"}}))
    r = p.responses.set_index(p.responses["item"].astype(str))
    assert r.loc["A1", "value"] == 3 and r.loc["B1", "value"] == 3
    assert r.loc["A2", "status"] == "missing"       # absent from the export


def test_rename_matches_export_names_like_every_column_name(make_study):
    # Survey tools' headers: other case, accents, a curly apostrophe, extra spaces.
    t1 = "N° Dossier;Je me sens capable d’avancer ;B1\nA;4;1\n"
    p = clean_study(make_study({"T1": t1}, wave_options={
        "T1": {"rename": '{"n° dossier": id, "je me  sens capable d\'avancer": A1}'}}))
    r = p.responses.set_index(p.responses["item"].astype(str))
    assert r.loc["A1", "value"] == 4 and r.loc["B1", "value"] == 1
    assert p.quality["rows_kept"].tolist() == [1]


def test_repeated_column_names_matter_only_when_used(make_study):
    # Two unused "Remarques" columns: both kept apart, the wave is read.
    t1 = "id;A1;Remarques;B1;remarques\nA;1;bien;2;suite\nB;3;;4;\n"
    p = clean_study(make_study({"T1": t1}))
    assert p.quality["rows_kept"].tolist() == [2]
    # An item written twice: which column holds the answer cannot be known.
    with pytest.raises(StudyError, match=r"appears twice \(columns 2 and 4\) and this "
                                         "column is needed") as err:
        clean_study(make_study({"T1": "id;A1;B1;a1\nA;1;2;3\n"}))
    assert err.value.column == "A1" and err.value.line == 1
    # The same through rename: the source of a rename is used.
    with pytest.raises(StudyError, match="appears twice"):
        clean_study(make_study({"T1": "id;Q;B1;Q\nA;1;2;3\n"},
                               wave_options={"T1": {"rename": "{Q: A1}"}}))


@pytest.mark.parametrize("content, message, line, column", [
    ("ident;A1\nX;1\n", "no id column 'id'", 1, "id"),
    ("id;Z1;Z2\nX;1;2\n", "none of the codebook's items", 1, None),
])
def test_study_level_problems_name_the_file(make_study, content, message, line, column):
    with pytest.raises(StudyError, match=message) as err:
        clean_study(make_study({"T1": content}))
    assert err.value.file.endswith("T1.csv")
    assert err.value.line == line and err.value.column == column


def test_missing_date_column_and_unreadable_dates(make_study):
    t1 = "id;date;A1\nX;32/01/2024;1\nY;2024-02-01;2\n"
    with pytest.raises(StudyError, match="no date column 'when'"):
        clean_study(make_study({"T1": t1}, wave_options={"T1": {"date_column": "when"}}))
    p = clean_study(make_study({"T1": t1}, wave_options={"T1": {"date_column": "date"}}))
    assert p.invalid_cells[["line", "column", "raw_value"]].values.tolist() == [[2, "date", "32/01/2024"]]
    dates = p.questionnaires.sort_values("source_line")["date"]
    assert pd.isna(dates.iloc[0]) and dates.iloc[1] == pd.Timestamp("2024-02-01")


def test_scores_need_the_minimum_share_of_items(make_study):
    # Confiance = A1, A2 (reversed); Recherche = B1, B2; min_items_answered 0.5
    t1 = "id;A1;A2;B1;B2\nX;4;1;2;\nY;;;Ne sait pas;3\n"
    p = clean_study(make_study({"T1": t1}))
    s = p.scores.merge(p.pseudonyms, on="candidate").set_index(["id", "dimension"])["score"]
    assert s[("X", "Confiance")] == 4.0            # (4 + (5 - 1)) / 2
    assert s[("X", "Recherche")] == 2.0            # one of two answered: enough
    assert np.isnan(s[("Y", "Confiance")])         # none answered
    assert s[("Y", "Recherche")] == 3.0            # "Ne sait pas" is not an answer
    p2 = clean_study(make_study({"T1": t1}, extra="min_items_answered: 1"))
    s2 = p2.scores.merge(p2.pseudonyms, on="candidate").set_index(["id", "dimension"])["score"]
    assert np.isnan(s2[("X", "Recherche")])


def test_raw_ids_stay_out_of_the_analysis_tables(make_study):
    t1 = "id;A1\nSECRET-ID-1;1\nSECRET-ID-2;2\n"
    p = clean_study(make_study({"T1": t1}))
    for name in ("responses", "scores", "questionnaires", "candidates"):
        text = getattr(p, name).to_csv()
        assert "SECRET" not in text.upper(), name
    assert set(p.pseudonyms["id"]) == {"SECRET-ID-1", "SECRET-ID-2"}


def test_a_wave_with_many_invalid_answers_is_named_loudly(make_study, caplog):
    # 2 rows x 4 items = 8 answer cells; 3 are not labels of the scale (37.5% > 5%).
    t1 = "id;A1;A2;B1;B2\nA;Tout ˆ fait d'accord;1;Tout ˆ fait d'accord;2\nB;4;zz;3;2\n"
    with caplog.at_level("WARNING", logger="impactlib.intake.ingest"):
        clean_study(make_study({"T1": t1}))
    assert ("T1 (T1.csv): 3 of 8 answers (38%) are not labels of their scale; most frequent: "
            "'Tout ˆ fait d'accord' (2), 'zz' (1)") in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="impactlib.intake.ingest"):
        clean_study(make_study({"T1": "id;A1;A2;B1;B2\nA;1;2;3;4\n"}))
    assert "are not labels" not in caplog.text
