"""study.yml and the codebook: every problem is one clear message."""

from __future__ import annotations

import pandas as pd
import pytest

from impactlib.intake.codebook import read_codebook
from impactlib.errors import StudyError
from impactlib.intake.study import load_study

from conftest import ITEMS_CSV, SCALES_CSV


def test_codebook_folder_is_read_and_normalized(make_study, tmp_path):
    make_study({"T1": "id;A1\nX;1\n"})
    cb = read_codebook(tmp_path / "codebook")
    assert cb.items["item"].tolist() == ["A1", "A2", "B1", "B2"]
    assert cb.items["reverse"].tolist() == [False, True, False, False]
    assert cb.items[["min", "max"]].drop_duplicates().values.tolist() == [[1, 4]]
    assert cb.dimensions == ["Confiance", "Recherche"]
    assert cb.scales["value"].isna().sum() == 1          # "Ne sait pas"


def test_codebook_workbook_is_read(tmp_path):
    path = tmp_path / "codebook.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"item": ["Q1", "Q2"], "text": ["a", "b"], "dimension": ["D", "D"],
                      "scale": ["s", "s"], "reverse": ["Oui", "no"]}).to_excel(
            writer, sheet_name="items", index=False)
        pd.DataFrame({"scale": ["s"] * 3, "value": [1, 2, None],
                      "label": ["Non", "Oui", "NSP"]}).to_excel(writer, sheet_name="scales", index=False)
    cb = read_codebook(path)
    assert cb.items["reverse"].tolist() == [True, False]


@pytest.mark.parametrize("items, scales, message, file, line, column", [
    (ITEMS_CSV + "A1,again,Confiance,accord,non\n", SCALES_CSV,
     "item code 'A1' is defined twice", "items.csv", 6, "item"),
    (ITEMS_CSV.replace("B2,Mon CV est prêt,Recherche,accord", "B2,Mon CV,Recherche,frequence"),
     SCALES_CSV, "scale 'frequence' is used but not defined", "items.csv", 5, "scale"),
    (ITEMS_CSV.replace("oui", "peut-être"), SCALES_CSV, "reverse must be", "items.csv", 3, "reverse"),
    (ITEMS_CSV, SCALES_CSV.replace("accord,2,", "accord,deux,"), "not a whole number",
     "scales.csv", 3, "value"),
    (ITEMS_CSV, SCALES_CSV + "accord,,D’ACCORD\n", "has the label", "scales.csv", 7, "label"),
    (ITEMS_CSV.replace("scale,", "echelle,"), SCALES_CSV, "missing column 'scale'",
     "items.csv", 1, "scale"),
])
def test_codebook_problems(tmp_path, items, scales, message, file, line, column):
    (tmp_path / "items.csv").write_text(items, encoding="utf-8")
    (tmp_path / "scales.csv").write_text(scales, encoding="utf-8")
    with pytest.raises(StudyError, match=message) as err:
        read_codebook(tmp_path)
    assert err.value.file.endswith(file)
    assert (err.value.line, err.value.column) == (line, column)


def test_study_yaml_is_checked(make_study, tmp_path):
    path = make_study({"T1": "id;A1\nX;1\n"})
    study = load_study(path)
    assert study.wave_keys == ["T1"] and study.language == "fr"
    assert study.min_items_answered == 0.5

    text = path.read_text(encoding="utf-8")
    path.write_text(text + "wavse: []\n", encoding="utf-8")
    with pytest.raises(StudyError, match="unknown key 'wavse'"):
        load_study(path)
    path.write_text(text.replace("file: T1.csv", "file: T9.csv"), encoding="utf-8")
    with pytest.raises(StudyError, match="file of wave T1 not found: T9.csv"):
        load_study(path)
    path.write_text(text.replace("id_column: id\n", ""), encoding="utf-8")
    with pytest.raises(StudyError, match="'id_column' is required"):
        load_study(path)
    path.write_text(text + "  - key: T1\n    file: T1.csv\n", encoding="utf-8")
    with pytest.raises(StudyError, match="wave key 'T1' is used twice"):
        load_study(path)
    path.write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(StudyError, match="not valid YAML") as err:
        load_study(path)
    assert err.value.line is not None
    with pytest.raises(StudyError, match="study file not found"):
        load_study(tmp_path / "nowhere.yml")


def test_study_yaml_key_written_twice_is_refused_with_both_lines(make_study):
    path = make_study({"T1": "id;A1\nX;1\n"})
    lines = path.read_text(encoding="utf-8").splitlines()
    # make_study writes "title: Test" on line 1; the copy goes on line 3.
    lines.insert(2, "title: Autre titre")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StudyError) as err:
        load_study(path)
    assert err.value.line == 3
    assert "key 'title' is written twice (lines 1 and 3)" in str(err.value)


def test_study_yaml_not_utf8_names_the_first_bad_line(make_study):
    path = make_study({"T1": "id;A1\nX;1\n"})
    text = path.read_text(encoding="utf-8").replace("title: Test", "title: Évaluation")
    path.write_bytes(text.encode("cp1252"))   # Notepad's "ANSI": É is the byte 0xC9
    with pytest.raises(StudyError, match="not saved as UTF-8") as err:
        load_study(path)
    assert err.value.line == 1 and err.value.file == str(path)


def test_study_yaml_due_days_must_name_a_wave(make_study):
    path = make_study({"T1": "id;A1\nX;1\n", "T2": "id;A1\nX;2\n"}, extra="due_days: {T3: 90}")
    with pytest.raises(StudyError, match="due_days names wave 'T3', which is not a wave "
                                         r"of the study \(waves: T1, T2\)"):
        load_study(path)
    path.write_text(path.read_text(encoding="utf-8").replace("T3: 90", "T1: 7"),
                    encoding="utf-8")
    assert load_study(path).due_days == {"T1": 7}


def test_study_timezone_is_checked(make_study):
    path = make_study({"T1": "id;A1\nX;1\n"})
    assert load_study(path).timezone == "Europe/Brussels"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "timezone: America/Montreal\n", encoding="utf-8")
    assert load_study(path).timezone == "America/Montreal"
    path.write_text(text + "timezone: Bruxelles\n", encoding="utf-8")
    with pytest.raises(StudyError, match="timezone 'Bruxelles' is not a time zone name"):
        load_study(path)


def test_study_wave_encoding_is_checked(make_study):
    path = make_study({"T1": "id;A1\nX;1\n"}, wave_options={"T1": {"encoding": "MacRoman"}})
    assert load_study(path).waves[0].encoding == "mac-roman"       # Python's own name
    path.write_text(path.read_text(encoding="utf-8").replace("MacRoman", "ansi-fr"),
                    encoding="utf-8")
    with pytest.raises(StudyError, match="encoding 'ansi-fr' of wave T1 is not an encoding"):
        load_study(path)


def test_study_collection_changes_are_read_sorted_and_checked(make_study):
    import datetime as dt

    path = make_study({"T1": "id;A1\nX;1\n"}, extra=(
        "followup_grace_days: 45\n"
        "changes:\n"
        "  - {date: 2025-06-01, label: Rappel par SMS}\n"
        "  - {date: '2025-01-15', label: Questionnaire au dernier entretien}"))
    study = load_study(path)
    assert [(c.date, c.label) for c in study.changes] == [
        (dt.date(2025, 1, 15), "Questionnaire au dernier entretien"),
        (dt.date(2025, 6, 1), "Rappel par SMS")]
    assert study.followup_grace_days == 45
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("2025-06-01", "juin 2025"), encoding="utf-8")
    with pytest.raises(StudyError, match=r"changes entry 1 \('Rappel par SMS'\): date "
                                         "'juin 2025' is not a date written YYYY-MM-DD"):
        load_study(path)
    path.write_text(text.replace("{date: 2025-06-01, label: Rappel par SMS}",
                                 "{label: Rappel par SMS}"), encoding="utf-8")
    with pytest.raises(StudyError, match=r"'date' is required in changes entry 1"):
        load_study(path)
    path.write_text(text.replace("followup_grace_days: 45", "followup_grace_days: -1"),
                    encoding="utf-8")
    with pytest.raises(StudyError, match="followup_grace_days must be a whole number"):
        load_study(path)
    path.write_text(text.replace("followup_grace_days: 45\n", ""), encoding="utf-8")
    assert load_study(path).followup_grace_days == 30


def test_study_collection_change_waves_must_be_waves(make_study):
    path = make_study({"T1": "id;A1\nX;1\n"}, extra=(
        "changes:\n  - {date: 2025-01-15, label: SMS, waves: [T1]}"))
    assert load_study(path).changes[0].waves == ("T1",)
    path.write_text(path.read_text(encoding="utf-8").replace("[T1]", "[T9]"), encoding="utf-8")
    with pytest.raises(StudyError, match="changes entry 'SMS' names wave 'T9', which is not a "
                                         "wave of the study"):
        load_study(path)


def test_study_due_days_cannot_name_the_last_wave(make_study):
    path = make_study({"T1": "id;A1\nX;1\n", "T2": "id;A1\nX;2\n"}, extra="due_days: {T2: 90}")
    with pytest.raises(StudyError, match="due_days names the last wave 'T2', which is due at "
                                         "exit"):
        load_study(path)
