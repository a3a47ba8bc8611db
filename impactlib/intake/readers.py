"""Readers: turn one export file into a table of text cells and source lines.

Every reader returns a :class:`RawTable`: the cells as text exactly as the
export holds them (empty string for an empty cell), the column names, and for
each row the line (CSV), row (workbook) or case (SPSS) number it came from, so
that every later message can point back to the file.

Supported exports
-----------------
* CSV and text (``.csv``, ``.txt``, ``.tsv``): the delimiter (``,`` ``;`` or
  tab) is detected from the header line; the encoding is UTF-8, UTF-8 with a
  byte-order mark, UTF-16 with a byte-order mark ("Unicode text" from Excel) or
  Windows-1252 (cp1252, the usual output of French Excel), tried in that
  order.
* Workbooks (``.xlsx``, ``.xlsm``): one sheet, the first by default.
* SPSS (``.sav``, ``.zsav``): numeric codes, read with pyreadstat.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impactlib.errors import StudyError

__all__ = ["RawTable", "read_table", "detect_encoding", "detect_delimiter",
           "normalize_key"]

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
SPSS_SUFFIXES = {".sav", ".zsav"}
DELIMITERS = (";", ",", "\t")


@dataclass
class RawTable:
    """Text cells of one export, with where each row came from."""

    file: Path
    data: pd.DataFrame            # text cells, "" when empty, original column names
    lines: np.ndarray             # source line / row / case number of each row
    encoding: str | None = None
    delimiter: str | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.data)


def normalize_key(values: pd.Series) -> pd.Series:
    """Fold text for matching: case, accents, apostrophes and spaces.

    ``"  Tout a  FAIT d’accord "`` and ``"Tout à fait d'accord"`` give the same
    key. The work is done once per distinct value, so it costs little on long
    columns.
    """
    codes, uniques = pd.factorize(values.astype("string").fillna(""), sort=False)
    u = pd.Series(uniques, dtype="string")
    u = (u.str.normalize("NFKD")
          .str.replace(r"[\u0300-\u036f]", "", regex=True)
          .str.replace(r"[\u2018\u2019\u02bc\u00b4`]", "'", regex=True)
          .str.replace(r"[\u00a0\s]+", " ", regex=True)
          .str.strip()
          .str.casefold())
    out = np.asarray(u.to_numpy(dtype=object))[codes] if len(u) else np.array([], dtype=object)
    return pd.Series(out, index=values.index, dtype=object)


def detect_encoding(raw: bytes, file: Path | str = "") -> str:
    """Return the encoding of a CSV export's bytes.

    UTF-8 (with or without BOM) first, then UTF-16 with BOM, then cp1252.
    """
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise StudyError(
            "cannot decode the file: it is neither UTF-8 nor Windows-1252 "
            f"(byte 0x{raw[err.start]:02x}); save it again as CSV UTF-8",
            file, line) from None


def detect_delimiter(header: str) -> str:
    """Pick ``;``, ``,`` or tab: the one most used in the header line.

    Quoted parts of the header are ignored. Ties go to ``;`` then ``,``
    (French Excel writes ``;``). A header with no delimiter at all is read as
    one column, which later fails with a clear message about missing columns.
    """
    bare = re.sub(r'"[^"]*"', "", header)
    counts = {d: bare.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _split_header(text: str, delimiter: str) -> tuple[list[str], int]:
    """Parse the header record; return its names and how many lines it spans."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        names = next(reader)
    except StopIteration:
        names = []
    return names, max(reader.line_num, 1)


def _locate_csv_problem(text: str, delimiter: str, expected: int) -> tuple[int, str] | None:
    """Find the physical line where a CSV goes wrong (only run once parsing failed).

    Returns the first line of the first record with more fields than the
    header, or of the record whose quote is never closed, and what is wrong.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    start = 1
    try:
        for record in reader:
            if len(record) > expected:
                return start, f"{len(record)} fields where the header has {expected}"
            start = reader.line_num + 1
    except csv.Error:
        return start, "a quote is opened and never closed"
    return None


def read_csv(path: Path) -> RawTable:
    """Read a delimited text export (see the module notes)."""
    raw = path.read_bytes()
    encoding = detect_encoding(raw, path)
    # The UTF-8 byte-order mark is dropped before decoding, so error positions
    # count from the first byte of text.
    data = raw[len(codecs.BOM_UTF8):] if encoding == "utf-8-sig" else raw
    try:
        text = data.decode("utf-8" if encoding == "utf-8-sig" else encoding)
    except UnicodeDecodeError as err:  # a byte-order mark, then bytes that do not follow it
        raise StudyError(f"cannot decode the file as {encoding} although it starts with its "
                         "byte-order mark; save it again as CSV UTF-8", path,
                         data[: err.start].count(b"\n") + 1) from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise StudyError("the file is empty", path)
    # Blank lines before the header are not part of the table.
    body = text.lstrip("\n")
    skipped = len(text) - len(body)
    header_text = _first_record(body)
    delimiter = detect_delimiter(header_text)
    try:
        names, header_span = _split_header(body, delimiter)
    except csv.Error as err:
        raise StudyError(f"malformed CSV header: {err}", path, skipped + 1) from None
    names = [n.strip().lstrip("\ufeff") or f"Unnamed: {i}" for i, n in enumerate(names)]
    _check_header(names, path)
    offset = skipped + header_span          # lines before the first data line

    def malformed(err: Exception | None) -> StudyError:
        found = _locate_csv_problem(body, delimiter, len(names))
        if found:
            line, what = found
            return StudyError(f"malformed CSV: {what} (delimiter '{_show(delimiter)}'); check "
                              "quotes and delimiters on that line", path, line + skipped)
        return StudyError(f"malformed CSV: {err}", path)

    try:
        df = pd.read_csv(io.StringIO(body), sep=delimiter, dtype=str, header=0,
                         names=names, keep_default_na=False, na_filter=False,
                         skip_blank_lines=False, engine="c", quotechar='"')
    except (pd.errors.ParserError, csv.Error) as err:
        raise malformed(err) from None
    if not isinstance(df.index, pd.RangeIndex):
        # pandas took a first data row longer than the header as an index: refuse it.
        raise malformed(None)
    df = df.fillna("")
    # Source line of each record: records may span several lines when a quoted
    # cell holds a line break, so count the breaks instead of assuming one line.
    if '"' in body and len(df):
        breaks = sum(df[c].str.count("\n").to_numpy() for c in df.columns)
    else:
        breaks = np.zeros(len(df), dtype=int)
    span = 1 + np.asarray(breaks, dtype=int)
    lines = (offset + 1 + np.concatenate([[0], np.cumsum(span)[:-1]]) if len(df)
             else np.array([], dtype=int))
    return _skip_blank_rows(RawTable(path, df, np.asarray(lines, dtype=int),
                                     encoding=encoding, delimiter=delimiter))


def _first_record(text: str) -> str:
    """The text of the first record: up to the first line break outside quotes."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            return text
        if text.count('"', 0, end) % 2 == 0:
            return text[:end]
        start = end + 1


def _show(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else delimiter


def _check_header(names: list[str], path: Path) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if not name:
            continue
        key = normalize_key(pd.Series([name])).iloc[0]
        if key in seen:
            raise StudyError(
                f"the column name appears twice (columns {seen[key]} and {i})",
                path, 1, name)
        seen[key] = i


def read_excel(path: Path, sheet: str | int | None = None) -> RawTable:
    """Read one sheet of a workbook (the first by default) as text cells."""
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as err:  # zip or XML damage: say which file
        raise StudyError(f"cannot open the workbook ({type(err).__name__}: {err})",
                         path) from None
    with book:
        sheets = book.sheet_names
        if not sheets:
            raise StudyError("the workbook has no readable sheet", path)
        if sheet is None:
            sheet = sheets[0]
        elif sheet not in sheets:
            raise StudyError(f"no sheet named '{sheet}'; the workbook has: "
                             + ", ".join(repr(s) for s in sheets), path)
        try:
            df = pd.read_excel(book, sheet_name=sheet, dtype=str, header=None,
                               keep_default_na=False, na_filter=False)
        except Exception as err:  # a damaged worksheet inside a sound zip
            raise StudyError(f"cannot read sheet '{sheet}' ({type(err).__name__}: {err})",
                             path) from None
    df = df.fillna("")
    if df.empty:
        raise StudyError(f"sheet '{sheet}' is empty", path)
    # The first row that is not blank is the header; rows are numbered as in Excel.
    nonblank = (df != "").any(axis=1).to_numpy()
    first = int(np.argmax(nonblank))
    names = [_cell_name(v, i) for i, v in enumerate(df.iloc[first].tolist())]
    _check_header(names, path)
    body = df.iloc[first + 1:].reset_index(drop=True)
    body.columns = names
    body = body.apply(lambda s: s.str.replace(r"^(-?\d+)\.0$", r"\1", regex=True))
    lines = np.arange(len(body)) + first + 2
    return _skip_blank_rows(RawTable(path, body, lines, meta={"sheet": sheet}))


def _cell_name(value: str, i: int) -> str:
    value = str(value).strip()
    return value if value else f"Unnamed: {i}"


def read_spss(path: Path) -> RawTable:
    """Read an SPSS file: numeric codes become text such as ``"4"``."""
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as err:
        raise StudyError(f"cannot read the SPSS file ({err})", path) from None
    out = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s):
            whole = s.notna() & (s == np.round(s))
            text = s.astype(str)
            text[whole] = s[whole].astype("int64").astype(str)
            text[s.isna()] = ""
            out[col] = text
        else:
            out[col] = s.astype("string").fillna("").astype(str)
    body = pd.DataFrame(out, columns=list(df.columns))
    return _skip_blank_rows(RawTable(
        path, body, np.arange(len(body)) + 1,
        meta={"variable_labels": dict(zip(meta.column_names, meta.column_labels))}))


def _skip_blank_rows(table: RawTable) -> RawTable:
    """Leave out rows whose every cell is empty, the same way for every format.

    A blank row holds no questionnaire: it is not a row read. Blank rows
    between data rows are counted in ``meta["blank_rows"]`` (reported as
    ``blank_rows_skipped``); blank rows after the last data row (an empty
    line at the end of a CSV, formatted empty rows of a workbook) are not.
    """
    data = table.data
    filled = (data.astype(str).apply(lambda s: s.str.strip()) != "").any(axis=1).to_numpy() \
        if len(data.columns) else np.zeros(len(data), bool)
    last = len(filled) - int(np.argmax(filled[::-1])) if filled.any() else 0
    inside = np.arange(len(filled)) < last
    table.meta["blank_rows"] = int((~filled & inside).sum())
    if not len(data.columns):
        return table
    keep = filled
    table.data = data[keep].reset_index(drop=True)
    table.lines = table.lines[keep]
    return table


def read_table(path: str | Path, sheet: str | int | None = None) -> RawTable:
    """Read an export of any supported kind, choosing the reader by suffix.

    Raises
    ------
    StudyError
        When the file is missing, of an unsupported kind, or malformed.
    """
    path = Path(path)
    if not path.exists():
        raise StudyError("file not found", path)
    if not path.is_file():
        raise StudyError("not a file", path)
    suffix = path.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            return read_csv(path)
        if suffix in EXCEL_SUFFIXES:
            return read_excel(path, sheet)
        if suffix in SPSS_SUFFIXES:
            return read_spss(path)
    except PermissionError:
        raise StudyError("cannot read the file: permission denied", path) from None
    raise StudyError(f"unsupported file type '{suffix}': use .csv, .xlsx or .sav", path)
