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
