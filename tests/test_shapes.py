"""Export shapes: one file for several waves, one row per candidate, incomplete responses."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from impactlib.errors import StudyError
from impactlib.intake.processed import clean_study
from impactlib.intake.readers import read_table
from impactlib.intake.shapes import reject_set_aside, wave_table
from impactlib.intake.study import load_study

SCALES = "scale,value,label\naccord,1,Non\naccord,2,Oui\n"
ITEMS = "item,text,dimension,scale,reverse\nQ1,a,D,accord,non\nQ2,b,D,accord,non\n"


def _study(tmp_path, waves_yaml: str, files: dict[str, str]):
    (tmp_path / "codebook").mkdir(exist_ok=True)
    (tmp_path / "codebook" / "items.csv").write_text(ITEMS, encoding="utf-8")
    (tmp_path / "codebook" / "scales.csv").write_text(SCALES, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "study.yml").write_text(
        "title: t\nid_column: id\ncodebook: codebook\nwaves:\n"
        + textwrap.indent(textwrap.dedent(waves_yaml), "  "), encoding="utf-8")
    return load_study(tmp_path / "study.yml")


MOMENTS = ("id;Moment;Q1;Q2\n"
           "A;Entrée;1;2\n"      # line 2
           "A;Sortie;2;2\n"      # line 3
           "B;entree ;1;1\n"     # line 4: folded like "Entrée"
           "C;T4;1;1\n"          # line 5: names no wave
           "D;;2;1\n"            # line 6: empty
           "B;Sortie;2;1\n")     # line 7


def test_wave_column_splits_one_file_and_sets_unknown_values_aside_in_the_first_wave(tmp_path):
    study = _study(tmp_path, """\
        - key: T1
          file: all.csv
          wave_column: Moment
          wave_values: [Entrée]
        - key: T3
          file: all.csv
          wave_column: Moment
          wave_values: Sortie
        """, {"all.csv": MOMENTS})
    t1, t3 = study.waves
    assert t1.value_waves == {"Entrée": "T1", "Sortie": "T3"} == t3.value_waves
    raw = read_table(t1.file)
    a = wave_table(raw, t1)
    b = wave_table(raw, t3)
    assert a.lines.tolist() == [2, 4, 5, 6] and b.lines.tolist() == [3, 7]
    # Every row of the file is a row of exactly one wave: none is lost.
    assert len(a) + len(b) == len(raw)
    assert a.meta["rows_elsewhere"] == 2 and b.meta["rows_elsewhere"] == 4
    assert reject_set_aside(a).tolist() == [
        None, None, "wave column 'Moment' holds 'T4', which names no wave",
        "wave column 'Moment' holds '', which names no wave"]
    assert reject_set_aside(b).tolist() == [None, None]


def test_wide_file_gives_each_wave_its_columns_and_skips_moments_not_answered(tmp_path):
    wide = ("id;Nom;T1_date;T1_Q1;T1_Q2;T2_date;T2_Q1;T2_Q2\n"
            "A;x;01/02/2025;1;2;01/05/2025;2;2\n"
            "B;y;03/02/2025;2;;;;\n"
            "C;z;;;;04/05/2025;1;1\n")
    study = _study(tmp_path, """\
        - key: T1
          file: wide.csv
          columns: "T1_{item}"
          date_column: date
        - key: T2
          file: wide.csv
          columns: "T2_{item}"
          date_column: date
        """, {"wide.csv": wide})
    raw = read_table(study.waves[0].file)
    t1, t2 = (wave_table(raw, w) for w in study.waves)
    assert list(t1.data.columns) == ["id", "Nom", "date", "Q1", "Q2"]
    assert t1.data["id"].tolist() == ["A", "B"] and t1.lines.tolist() == [2, 3]
    assert t2.data["id"].tolist() == ["A", "C"] and t2.data["Q1"].tolist() == ["2", "1"]
    assert t2.meta["source_columns"]["Q1"] == "T2_Q1"
    assert t1.meta["rows_elsewhere"] == 1


def test_complete_column_sets_incomplete_responses_aside(tmp_path):
    lime = ('"id","submitdate","lastpage","NUM","Q1","Q2"\n'
            '"1","2025-03-01 10:00:00","2","A","Oui","Non"\n'
            '"2","","1","B","Oui",""\n')
    study = _study(tmp_path, """\
        - key: T1
          file: lime.csv
          complete_column: submitdate
        """, {"lime.csv": lime})
    table = wave_table(read_table(study.waves[0].file), study.waves[0])
    assert reject_set_aside(table).tolist() == [None, "incomplete response (empty 'submitdate')"]
    plain = read_table(study.waves[0].file)
    assert reject_set_aside(plain).tolist() == [None, None]


@pytest.mark.parametrize("waves, message", [
    ("- {key: T1, file: all.csv, wave_values: [a]}", "has wave_values but no wave_column"),
    ("- {key: T1, file: all.csv, wave_column: Moment}", "has a wave_column but no wave_values"),
    ("- {key: T1, file: all.csv, columns: 'T1_'}", "must hold '{item}' once"),
    ("- {key: T1, file: all.csv, wave_column: Moment, wave_values: [a]}\n"
     "- {key: T2, file: all.csv, wave_column: Moment, wave_values: [A ]}",
     "wave value 'A' is claimed by waves T1 and T2"),
    ("- {key: T1, file: all.csv, wave_column: Moment, wave_values: [a]}\n"
     "- {key: T2, file: all.csv, wave_column: Etape, wave_values: [b]}",
     "must name the same wave_column"),
])
def test_shape_keys_are_checked_when_the_study_is_loaded(tmp_path, waves, message):
    with pytest.raises(StudyError, match=message.replace("{", r"\{").replace("}", r"\}")):
        _study(tmp_path, waves + "\n", {"all.csv": MOMENTS})


def test_shape_columns_missing_from_the_export_are_one_clear_error(tmp_path):
    study = _study(tmp_path, """\
        - {key: T1, file: all.csv, wave_column: Etape, wave_values: [Entrée]}
        - {key: T2, file: b.csv, columns: "T9_{item}"}
        - {key: T3, file: b.csv, complete_column: submitdate}
        """, {"all.csv": MOMENTS, "b.csv": "id;T1_Q1\nA;1\n"})
    with pytest.raises(StudyError, match="no wave_column 'Etape'") as err:
        wave_table(read_table(study.waves[0].file), study.waves[0])
    assert err.value.line == 1 and err.value.column == "Etape"
    with pytest.raises(StudyError, match="no column matches columns: 'T9_{item}'"):
        wave_table(read_table(study.waves[1].file), study.waves[1])
    with pytest.raises(StudyError, match="no complete_column 'submitdate'"):
        wave_table(read_table(study.waves[2].file), study.waves[2])


def test_a_wave_without_shape_keys_reads_the_whole_table(tmp_path):
    study = _study(tmp_path, "- {key: T1, file: all.csv}\n", {"all.csv": MOMENTS})
    raw = read_table(study.waves[0].file)
    table = wave_table(raw, study.waves[0])
    assert table.data.equals(raw.data) and np.array_equal(table.lines, raw.lines)
    assert table.meta["rows_elsewhere"] == 0


def test_every_row_of_a_shared_file_is_accounted_for_in_exactly_one_wave(tmp_path):
    study = _study(tmp_path, """\
        - {key: T1, file: all.csv, wave_column: Moment, wave_values: [Entrée]}
        - {key: T3, file: all.csv, wave_column: Moment, wave_values: [Sortie]}
        """, {"all.csv": MOMENTS.replace(";1;", ";Oui;").replace(";2;", ";Non;")
              .replace(";1\n", ";Oui\n").replace(";2\n", ";Non\n")})
    processed = clean_study(study)
    q = processed.quality.set_index("wave")
    assert q["rows_read"].sum() == 6                     # every row of the file, once
    assert q.loc["T1", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [4, 2, 2]
    assert q.loc["T3", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [2, 2, 0]
    assert q.loc["T1", "rejected_unknown_wave"] == 2
    rejected = processed.rejected_rows
    assert rejected[["wave", "line", "reason"]].values.tolist() == [
        ["T1", 5, "wave column 'Moment' holds 'T4', which names no wave"],
        ["T1", 6, "wave column 'Moment' holds '', which names no wave"]]
    assert processed.candidates["pattern"].value_counts().to_dict() == {"T1+T3": 2}


def test_wide_and_incomplete_rows_through_clean(tmp_path):
    wide = ("id;T1_date;T1_Q1;T1_Q2;T2_date;T2_Q1;T2_Q2;submitdate\n"
            "A;01/02/2025;Oui;Non;01/05/2025;Non;Maybe;x\n"
            "B;03/02/2025;Non;;;;;x\n"
            "C;04/02/2025;Oui;Oui;04/05/2025;Oui;Oui;\n")
    study = _study(tmp_path, """\
        - {key: T1, file: wide.csv, columns: "T1_{item}", date_column: date}
        - {key: T2, file: wide.csv, columns: "T2_{item}", date_column: date,
           complete_column: submitdate}
        """, {"wide.csv": wide})
    processed = clean_study(study)
    q = processed.quality.set_index("wave")
    assert q.loc["T1", ["rows_read", "rows_kept"]].tolist() == [3, 3]
    assert q.loc["T2", ["rows_read", "rows_kept", "rows_rejected"]].tolist() == [2, 1, 1]
    assert q.loc["T2", "rejected_incomplete"] == 1
    assert processed.rejected_rows["reason"].tolist() == ["incomplete response (empty 'submitdate')"]
    # The invalid cell is named as the export names it, on its line of the file.
    assert processed.invalid_cells[["wave", "line", "column", "raw_value"]].values.tolist() == [
        ["T2", 2, "T2_Q2", "Maybe"]]
    assert sorted(processed.questionnaires["date"].dt.strftime("%m/%d")) == [
        "02/01", "02/03", "02/04", "05/01"]


def test_a_rejection_count_some_waves_cannot_have_is_zero_for_them(make_study, tmp_path):
    """LimeSurvey at entry only: rejected_incomplete is 2 at T1 and 0 (not missing) at T2,
    so the results contract's whole counts hold (found by init -> report on a fixture)."""
    from impactlib.intake.processed import clean_study
    from impactlib.report.contract import validate

    study = make_study({"T1": "id;A1;submitdate\nX;1;2025-01-01\nY;2;\nZ;3;\n",
                        "T2": "id;A1\nX;2\n"},
                       wave_options={"T1": {"complete_column": "submitdate"}})
    quality = clean_study(study).quality
    assert quality["rejected_incomplete"].tolist() == [2, 0]
    assert quality["rejected_incomplete"].dtype == "int64"
    validate("quality", quality)
