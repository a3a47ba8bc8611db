"""Readers: encodings, delimiters, line numbers, workbooks, SPSS, bad files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impactlib.errors import StudyError
from impactlib.intake.readers import check_unique_columns, detect_delimiter, normalize_key, read_table

TEXT = "N° dossier;Q1;Q2\nA1;Tout à fait d'accord;Pas d'accord\nA2;D'accord;\n"


@pytest.mark.parametrize("encoding, expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16")])
def test_encodings_are_detected_and_text_survives(tmp_path, encoding, expected):
    path = tmp_path / "wave.csv"
    path.write_bytes(TEXT.encode(encoding))
    table = read_table(path)
    assert table.encoding == expected
    assert list(table.data.columns) == ["N° dossier", "Q1", "Q2"]
    assert table.data.iloc[0, 1] == "Tout à fait d'accord"
    assert table.data.iloc[1, 2] == ""


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiters_are_detected(tmp_path, delimiter):
    path = tmp_path / "wave.csv"
    path.write_text(TEXT.replace(";", delimiter), encoding="utf-8")
    table = read_table(path)
    assert table.delimiter == delimiter
    assert table.data.shape == (2, 3)


def test_semicolon_wins_over_commas_inside_quotes():
    assert detect_delimiter('id;"Q1, texte";"Q2, texte"') == ";"
    assert detect_delimiter("id,q1,q2") == ","


def test_line_numbers_follow_crlf_and_quoted_line_breaks(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_bytes(b'id;comment;Q1\r\nA;"two\r\nlines";1\r\nB;x;2\r\n\r\nC;y;3\r\n')
    table = read_table(path)
    # header line 1; A spans lines 2-3; B line 4; blank line 5 (skipped); C line 6
    assert table.lines.tolist() == [2, 4, 6]
    assert table.data["id"].tolist() == ["A", "B", "C"]
    assert table.meta["blank_rows"] == 1


def test_blank_rows_count_the_same_in_csv_and_workbook(tmp_path):
    rows = [["A", "1"], ["", ""], ["B", "2"], ["", ""], ["", ""]]
    csv_path = tmp_path / "wave.csv"
    csv_path.write_text("id;Q1\n" + "".join(";".join(r) + "\n" for r in rows), encoding="utf-8")
    xlsx_path = tmp_path / "wave.xlsx"
    pd.DataFrame(rows, columns=["id", "Q1"]).replace("", None).to_excel(xlsx_path, index=False)
    for path in (csv_path, xlsx_path):
        table = read_table(path)
        # the blank row between A and B is counted; the trailing ones are not
        assert table.data["id"].tolist() == ["A", "B"], path.name
        assert table.lines.tolist() == [2, 4], path.name
        assert table.meta["blank_rows"] == 1, path.name


def test_malformed_csv_names_file_and_line(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_text("id;Q1;Q2\nA;1;2\nB;1;2;3\n", encoding="utf-8")
    with pytest.raises(StudyError) as err:
        read_table(path)
    assert err.value.line == 3 and err.value.file == str(path)
    assert "line 3" in str(err.value) and "malformed CSV" in str(err.value)


def test_unclosed_quote_is_a_clear_error(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_text('id;Q1\nA;"open\nB;2\n', encoding="utf-8")
    with pytest.raises(StudyError, match="quote"):
        read_table(path)


def test_duplicate_column_names_are_kept_apart_and_refused_only_when_used(tmp_path, caplog):
    path = tmp_path / "wave.csv"
    path.write_text("id;Q1;q1 ;Remarques;Q1 (2)\nA;1;2;x;y\n", encoding="utf-8")
    with caplog.at_level("INFO", logger="impactlib.intake.readers"):
        table = read_table(path)
    # "q1 " folds to "q1" like "Q1": the copy is renamed, avoiding the existing "Q1 (2)".
    assert table.data.columns.tolist() == ["id", "Q1", "q1 (2)'", "Remarques", "Q1 (2)"]
    assert table.data.iloc[0].tolist() == ["A", "1", "2", "x", "y"]
    assert table.meta["duplicate_columns"] == {"Q1": [2, 3]}
    assert "wave.csv: the column name 'Q1' appears 2 times (columns 2, 3)" in caplog.text
    check_unique_columns(table, ["id", "Remarques", None])        # not used: fine
    with pytest.raises(StudyError, match=r"appears twice \(columns 2 and 3\) and this "
                                         "column is needed") as err:
        check_unique_columns(table, ["id", "q1"])
    assert err.value.column == "Q1" and err.value.line == 1


def test_bytes_that_fit_no_forced_encoding_are_a_clear_error(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_bytes(b"id;Q1\r\nA;ok\rB;\x81\x8d\x90\n")  # bytes undefined in UTF-8
    with pytest.raises(StudyError, match=r"cannot decode the file as the study says "
                                         r"\(encoding: utf-8\)") as err:
        read_table(path, encoding="utf-8")
    assert err.value.line == 3            # \r\n, then \r: the third physical line
    with pytest.raises(StudyError, match="unknown encoding 'klingon'"):
        read_table(path, encoding="klingon")
    # Without a forced encoding, these bytes mean something in Mac Roman and CP850:
    # the file is read, and the labels then decide (see below).
    assert read_table(path).encoding in ("mac_roman", "cp850")


LABELS = ["Pas du tout d'accord", "Plutôt pas d'accord", "Plutôt d'accord",
          "Tout à fait d'accord", "Ne sait pas"]
MAC_EXPORT = ("N° dossier;Q01;Q02;Remarque\r"      # Excel for Mac: Mac Roman, CR line ends
              "A1;Tout à fait d'accord;Plutôt d'accord;Très bien\r"
              "A2;Plutôt pas d'accord;Tout à fait d'accord;Déçu\r")


@pytest.mark.parametrize("encoding", ["mac_roman", "cp1252", "iso8859_15", "cp850"])
def test_eight_bit_exports_are_read_in_their_own_encoding(tmp_path, encoding):
    path = tmp_path / "wave.csv"
    path.write_bytes(MAC_EXPORT.encode(encoding))
    table = read_table(path, known=LABELS + ["N° dossier"])
    # Latin-9 writes these French letters with the same bytes as Windows-1252,
    # so either name is right as long as the text comes back whole.
    assert path.read_bytes().decode(table.encoding) == MAC_EXPORT
    assert table.data.columns.tolist() == ["N° dossier", "Q01", "Q02", "Remarque"]
    assert table.data["Q01"].tolist() == ["Tout à fait d'accord", "Plutôt pas d'accord"]
    assert table.data["Remarque"].tolist() == ["Très bien", "Déçu"]
    assert table.lines.tolist() == [2, 3]


def test_codebook_labels_are_the_judge_between_encodings(tmp_path):
    # The byte 0xc9 is "É" in Windows-1252 and "…" in Mac Roman: both texts are
    # plausible, and only the codebook tells which the export meant.
    path = tmp_path / "wave.csv"
    path.write_bytes("id;Q1\n1;Énorme\n".encode("cp1252"))   # 0xc9
    assert "Énorme".encode("cp1252").decode("mac_roman") == "…norme"
    assert read_table(path, known=["Énorme"]).encoding == "cp1252"
    path.write_bytes("id;Q1\n1;…norme\n".encode("mac_roman"))  # the same bytes
    assert read_table(path, known=["…norme"]).encoding == "mac_roman"


def test_empty_missing_and_unsupported_files(tmp_path):
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(StudyError, match="empty"):
        read_table(tmp_path / "empty.csv")
    with pytest.raises(StudyError, match="not found"):
        read_table(tmp_path / "absent.csv")
    (tmp_path / "w.ods").write_text("x", encoding="utf-8")
    with pytest.raises(StudyError, match="unsupported"):
        read_table(tmp_path / "w.ods")


def test_workbook_rows_are_excel_row_numbers(tmp_path):
    path = tmp_path / "wave.xlsx"
    frame = pd.DataFrame({"id": ["A", "B", None, "D"], "Q1": [4, 2.0, None, 3],
                          "when": pd.to_datetime(["2024-01-05"] * 4)})
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="Réponses", index=False)
    table = read_table(path, "Réponses")
    assert table.lines.tolist() == [2, 3, 4, 5]        # row 1 is the header
    assert table.data["Q1"].tolist() == ["4", "2", "", "3"]   # no "4.0"
    assert table.data["when"].iloc[0].startswith("2024-01-05")
    with pytest.raises(StudyError, match="no sheet named 'Feuil9'.*Réponses"):
        read_table(path, "Feuil9")


def test_damaged_workbook_is_a_clear_error(tmp_path):
    path = tmp_path / "wave.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(StudyError, match="cannot open the workbook"):
        read_table(path)


def test_spss_codes_become_text(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    path = tmp_path / "wave.sav"
    frame = pd.DataFrame({"id": ["A", "B"], "Q1": [4.0, np.nan], "Q2": [1.0, 2.5]})
    pyreadstat.write_sav(frame, str(path))
    table = read_table(path)
    assert table.lines.tolist() == [1, 2]
    assert table.data["Q1"].tolist() == ["4", ""]
    assert table.data["Q2"].tolist() == ["1", "2.5"]


def test_normalize_key_folds_case_accents_apostrophes_spaces():
    keys = normalize_key(pd.Series(["  Tout a  FAIT d’accord ", "Tout à fait d'accord", None]))
    assert keys.tolist() == ["tout a fait d'accord", "tout a fait d'accord", ""]


# Found by tests/test_properties.py (hypothesis); each now a clear StudyError or a table.

def test_blank_lines_before_the_header_are_skipped(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_bytes(b"\n\nid;Q1\nA;1\n")
    table = read_table(path)
    assert list(table.data.columns) == ["id", "Q1"] and table.lines.tolist() == [4]


def test_a_first_row_longer_than_the_header_is_refused(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_bytes(b"id;Q1\nA;1;2\nB;3;4\n")       # pandas would make column 1 an index
    with pytest.raises(StudyError, match="3 fields where the header has 2") as err:
        read_table(path)
    assert err.value.line == 2


def test_delimiter_comes_from_the_whole_header_record(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_bytes(b'"N\xc2\xb0\ndossier";Q1;Q2\nA;1;2\n')   # a line break in the first name
    table = read_table(path)
    assert table.delimiter == ";" and table.data.shape == (1, 3)
    assert table.lines.tolist() == [3]


def test_blank_header_names_get_a_placeholder(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_bytes(b"id;;\nA;1;2\n")
    assert list(read_table(path).data.columns) == ["id", "Unnamed: 1", "Unnamed: 2"]


def test_a_bom_followed_by_other_bytes_is_a_clear_error(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_bytes(b"\xef\xbb\xbfid;Q1\nA;\x80\n")
    with pytest.raises(StudyError, match="byte-order mark") as err:
        read_table(path)
    assert err.value.line == 2


def test_workbook_hidden_first_sheet_is_skipped_and_the_sheet_is_named(tmp_path, caplog):
    from openpyxl import Workbook

    book = Workbook()
    old = book.active
    old.title = "ancien"
    old.append(["id", "Q1"])
    old.append(["OLD", "1"])
    old.sheet_state = "hidden"
    new = book.create_sheet("Réponses")
    new.append(["id", "Q1"])
    new.append(["NEW", "2"])
    path = tmp_path / "wave.xlsx"
    book.save(path)
    with caplog.at_level("INFO", logger="impactlib.intake.readers"):
        table = read_table(path)
    assert table.meta["sheet"] == "Réponses"
    assert table.data["id"].tolist() == ["NEW"]
    assert "wave.xlsx: read sheet 'Réponses'" in caplog.text
    assert read_table(path, "ancien").data["id"].tolist() == ["OLD"]   # asked for by name


def test_workbook_ids_are_read_as_excel_shows_them(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(["N° dossier", "Score", "Code"])
    for number, score, code in [(101, 3, 42), (2345, 4, 7), (12345678, 5, 1234)]:
        ws.append([number, score, code])
    for row in ws.iter_rows(min_row=2):
        row[0].number_format = "00000"         # shows 00101, 02345, 12345678
        row[2].number_format = '"000"'         # quoted: the literal text 000, not a width
    ws.append(["ABC", 1, "x"])                 # text stays text
    path = tmp_path / "wave.xlsx"
    book.save(path)
    data = read_table(path).data
    assert data["N° dossier"].tolist() == ["00101", "02345", "12345678", "ABC"]
    assert data["Score"].tolist() == ["3", "4", "5", "1"]      # no format: unchanged
    assert data["Code"].tolist() == ["42", "7", "1234", "x"]       # the value, unpadded


# Workbooks read by python-calamine (issue 14): the text of each cell is the one
# openpyxl gave before. The expected values are what Excel shows (or, for dates
# and durations, Python's str of the value openpyxl returned), written by hand.

def test_workbook_cell_types_read_as_text(tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "Réponses"
    ws.append(["id", "date", "moment", "heure", "durée", "n", "x", "ok", "texte", "grand",
               "petit", "erreur", "formule"])
    ws.append([101, dt.date(2024, 1, 5), dt.datetime(2024, 1, 5, 10, 30, 15), dt.time(9, 45),
               dt.timedelta(hours=30, minutes=5), 3, 2.5, True, "007", 12345678901234, 1e-7,
               "#DIV/0!", "=1+1"])
    ws.append([102, dt.datetime(2024, 2, 29), None, None, None, 3.0, -0.5, False, " 4 ", 1e20,
               None, "#N/A", None])
    ws.append([None] * 13)                     # a blank row inside: counted, skipped
    ws.append(["x", "2024-01-05", "05/01/2024", None, None, "3,5", None, None, "'12"])
    ws["D2"].number_format = "hh:mm"
    assert ws["L2"].data_type == "e" and ws["L3"].data_type == "e"   # real error cells
    path = tmp_path / "wave.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.lines.tolist() == [2, 3, 5] and table.meta["blank_rows"] == 1
    assert table.data.to_dict("list") == {
        "id": ["101", "102", "x"],
        "date": ["2024-01-05 00:00:00", "2024-02-29 00:00:00", "2024-01-05"],  # text stays text
        "moment": ["2024-01-05 10:30:15", "", "05/01/2024"],
        "heure": ["09:45:00", "", ""],
        "durée": ["1 day, 6:05:00", "", ""],
        "n": ["3", "3", "3,5"],
        "x": ["2.5", "-0.5", ""],
        "ok": ["True", "False", ""],
        "texte": ["007", " 4 ", "'12"],          # numbers stored as text are kept as typed
        "grand": ["12345678901234", "100000000000000000000", ""],
        "petit": ["1e-07", "", ""],
        "erreur": ["", "", ""],                  # error cells are empty, as with openpyxl
        "formule": ["", "", ""],                 # a formula never calculated has no value
    }


def test_workbook_header_below_a_merged_title_and_merged_cells(tmp_path):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws["C3"] = "Suivi des questionnaires"
    ws.merge_cells("C3:F3")
    ws["B5"], ws["C5"], ws["D5"] = "id", "Q1", "Q2"
    ws["B6"], ws["C6"], ws["D6"] = "A", 1, 2
    ws["B7"], ws["C7"] = "B", 3
    ws.merge_cells("C7:D7")                      # the value is in C7 only
    ws["B9"], ws["C9"], ws["D9"] = "C", 4, 5
    ws["H20"].font = Font(bold=True)             # formatted, empty: not a column
    ws.cell(2, 10).font = Font(italic=True)
    path = tmp_path / "wave.xlsx"
    book.save(path)
    table = read_table(path)
    # The first non-blank row (the merged title, row 3) is the header, as before;
    # column A, empty, is kept so that columns stay where Excel shows them.
    assert list(table.data.columns) == ["Unnamed: 0", "Unnamed: 1", "Suivi des questionnaires",
                                        "Unnamed: 3"]
    assert table.lines.tolist() == [5, 6, 7, 9] and table.meta["blank_rows"] == 2
    assert table.data.iloc[:, 1:].values.tolist() == [["id", "Q1", "Q2"], ["A", "1", "2"],
                                                      ["B", "3", ""], ["C", "4", "5"]]


def test_workbook_very_hidden_and_visible_sheets(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    for title, state in [("ancien", "hidden"), ("calculs", "veryHidden"), ("Réponses", "visible")]:
        ws = book.active if title == "ancien" else book.create_sheet(title)
        ws.title = title
        ws.append(["id"])
        ws.append([title])
        ws.sheet_state = state
    path = tmp_path / "wave.xlsx"
    book.save(path)
    assert read_table(path).data["id"].tolist() == ["Réponses"]
    assert read_table(path, "calculs").data["id"].tolist() == ["calculs"]
    for ws in book.worksheets:
        ws.sheet_state = "hidden" if ws.title != "ancien" else "visible"
    book.active = 0
    book.save(path)
    assert read_table(path).meta["sheet"] == "ancien"


def test_workbook_escapes_are_decoded_as_excel_shows_them(tmp_path):
    """Excel writes a carriage return in cell text as ``_x000D_``: the text is
    read as Excel shows it (openpyxl left the escape in the text)."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "Remarque"])
    book.active.append(["A", "ligne 1_x000D_\nligne 2"])
    path = tmp_path / "wave.xlsx"
    book.save(path)
    assert read_table(path).data["Remarque"].tolist() == ["ligne 1\r\nligne 2"]


def test_number_formats_are_read_only_when_the_workbook_has_a_zero_format(tmp_path, monkeypatch):
    from openpyxl import Workbook

    from impactlib.intake import readers

    book = Workbook()
    book.active.append(["id", "Q1"])
    book.active.append([101, 3])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    book.active["A2"].number_format = "00000"
    padded = tmp_path / "padded.xlsx"
    book.save(padded)
    assert not readers._zero_formats(plain) and readers._zero_formats(padded)
    assert read_table(padded).data["id"].tolist() == ["00101"]
    import openpyxl

    opened = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a) or real(*a, **k))
    assert read_table(plain).data["id"].tolist() == ["101"]
    assert opened == []                          # openpyxl is not opened for the plain one
    assert read_table(padded).data["id"].tolist() == ["00101"] and len(opened) == 1


def test_ctrl_c_while_reading_a_workbook_is_not_a_damaged_workbook(tmp_path, monkeypatch):
    path = tmp_path / "wave.xlsx"
    pd.DataFrame({"id": ["A"]}).to_excel(path, index=False)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(pd, "read_excel", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_table(path)
