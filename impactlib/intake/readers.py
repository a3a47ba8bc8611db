"""Readers: turn one export file into a table of text cells and source lines.

Every reader returns a :class:`RawTable`: the cells as text exactly as the
export holds them (empty string for an empty cell), the column names, and for
each row the line (CSV), row (workbook) or case (SPSS) number it came from, so
that every later message can point back to the file.

Supported exports
-----------------
* CSV and text (``.csv``, ``.txt``, ``.tsv``): the delimiter (``,`` ``;`` or
  tab) is detected from the header line; the encoding is UTF-8, UTF-8 with a
  byte-order mark, UTF-16 with a byte-order mark ("Unicode text" from Excel),
  or else the 8-bit encoding that fits the evidence best: Windows-1252 (French
  Excel on Windows), Mac Roman (Excel on a Mac), Latin-9 or CP850, judged by
  how many of the texts the study expects (answer labels, item texts, column
  names) each one decodes, then by how few implausible characters it gives.
  Line ends may be ``\r\n``, ``\n`` or ``\r`` (old Mac). A wave's
  ``encoding:`` in ``study.yml`` overrides the choice.
* Workbooks (``.xlsx``, ``.xlsm``): one sheet, the first *visible* one by
  default (hidden sheets are skipped), always named in the log. Cells are read
  as the user sees them where it matters for ids: a whole number formatted
  ``00000`` is read ``00101``, as Excel shows it.
* SPSS (``.sav``, ``.zsav``): numeric codes, read with pyreadstat.

Workbook reader
---------------
Cells are parsed by python-calamine (a Rust parser, pandas'
``read_excel(engine="calamine")``), 8 to 12 times faster than openpyxl, which
parsed them before and took most of the time of ``impactlib clean`` on a
workbook export. The text of each cell is the one openpyxl gave, which the
tests check on hostile workbooks:

* numbers: calamine gives floats; pandas turns whole ones into ints, and a
  left ``.0`` is dropped here, so ``3``, ``2.5``, ``1e-07`` as before;
* dates and times: calamine gives ``datetime``/``date``/``time``/
  ``timedelta`` from the cell's date format, as openpyxl did
  (``2024-01-05 00:00:00``, ``09:45:00``, ``1 day, 6:05:00``); text that
  looks like a date stays text; booleans are ``True``/``False``;
* error cells (``#N/A``, ``#DIV/0!``) and formulas without a cached value are
  empty, as pandas made them with openpyxl; merged cells hold their value in
  the top-left cell only;
* visible sheets come from calamine's sheet metadata (``hidden`` and
  ``veryHidden`` both skipped); chart sheets are not sheets;
* rows start at row 1 and column A whatever the sheet's first cell, so row
  numbers are Excel's; columns after the last one holding a value (formatted
  empty cells, which calamine may include) are dropped, as openpyxl's rows
  ended at their last value; empty rows at the end are left out by
  :func:`_skip_blank_rows` in both;
* number formats, which calamine does not read: ``xl/styles.xml`` is read
  first, and only when it defines a format of zeros (``00000``) are the
  first rows under the header read with openpyxl in read-only mode, to find
  the columns to pad (:func:`_zero_padded_columns`);
* a damaged workbook is one line naming the file, whatever the parser raises
  (a Rust panic included).

Where calamine reads differently (documented, tested): a text cell of XML
white space only (spaces, tabs, line ends) that openpyxl wrote without ``xml:space="preserve"`` is read
empty (Excel writes such text with it, and calamine keeps it then); blank and
white-space cells are the same everywhere downstream.

A deliberate difference: Excel's escapes in cell text (``_x000D_`` for a
carriage return, written by Excel for text holding a Windows line break) are
decoded by calamine, as Excel shows them; openpyxl left ``_x000D_`` in the
text, where it defeated label matching.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impactlib.errors import StudyError

__all__ = ["RawTable", "read_table", "detect_encoding", "detect_delimiter",
           "normalize_key", "fold_key", "check_unique_columns"]

log = logging.getLogger(__name__)

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
SPSS_SUFFIXES = {".sav", ".zsav"}
DELIMITERS = (";", ",", "\t")
# 8-bit encodings tried when the bytes are not UTF-8, in order of preference on a tie.
EIGHT_BIT_ENCODINGS = ("cp1252", "mac_roman", "iso8859_15", "cp850")
# Non-ASCII characters that French (and Dutch, German) text plausibly holds.
_PLAUSIBLE = set("àâäáçéèêëîïíìôöóòùûüúÿñœæßÀÂÄÁÇÉÈÊËÎÏÍÔÖÓÙÛÜÚŸÑŒÆ"
                 "«»°€£’‘“”–—…·ºª²³\u00a0§µ×÷±")
_LOWER_THEN_ACCENTED_UPPER = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœæ][ÀÂÄÁÇÉÈÊËÎÏÍÔÖÓÙÛÜÚŸÑŒÆ]")


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


@functools.lru_cache(maxsize=4096, typed=True)
def fold_key(name) -> str:
    """:func:`normalize_key` of one name: ``fold_key(name) == normalize_key(pd.Series([name])).iloc[0]``.

    Cached: the same names (items, id and date columns, covariates) are looked
    up in every wave's columns, and each call of :func:`normalize_key` costs
    the set-up of a few string operations whatever the length of its column.
    """
    return normalize_key(pd.Series([name])).iloc[0]


def detect_encoding(raw: bytes, file: Path | str = "", known=()) -> str:
    r"""Return the encoding of a CSV export's bytes.

    Parameters
    ----------
    raw : bytes
        The file's bytes.
    file : path, optional
        For messages.
    known : iterable of str, optional
        Texts the file is expected to hold (answer labels, item texts, column
        names). Only those with a non-ASCII character tell encodings apart.

    Returns
    -------
    str
        ``utf-8-sig`` or ``utf-16`` when a byte-order mark says so, ``utf-8``
        when the bytes are valid UTF-8, else one of
        :data:`EIGHT_BIT_ENCODINGS`: the one under which most ``known`` texts
        are found in the file, then the one giving the fewest implausible
        characters (symbols such as ``ˆ`` or ``Ž`` inside words, an accented
        capital right after a small letter), then the first in that list.

    Examples
    --------
    >>> text = "id;Q1\n1;Tout à fait d'accord\n2;Plutôt d'accord\n"
    >>> detect_encoding(text.encode("mac_roman"))
    'mac_roman'
    >>> detect_encoding(text.encode("cp1252"))
    'cp1252'
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
    # The evidence is computed from the bytes, without decoding and scanning
    # the whole file once per encoding (which took most of the time of reading
    # a large 8-bit export): every 8-bit encoding here decodes ASCII bytes as
    # ASCII, one byte to one character, so they differ only on bytes >= 0x80.
    # The counts are the same as on the decoded text (tests/test_readers.py).
    data = np.frombuffer(raw, dtype=np.uint8)
    high = data >= 0x80
    counts = np.bincount(data[high], minlength=256)
    present = np.flatnonzero(counts)
    chars = {}
    for encoding in EIGHT_BIT_ENCODINGS:
        try:  # the file decodes iff each byte >= 0x80 it holds does
            chars[encoding] = {int(b): bytes([b]).decode(encoding) for b in present}
        except UnicodeDecodeError:
            continue
    if not chars:  # every byte decodes in mac_roman and cp850: kept as a guard
        raise StudyError("cannot decode the file: it is neither UTF-8 nor an 8-bit "
                         "encoding such as Windows-1252; save it again as CSV UTF-8", file)
    if len(chars) == 1:
        return next(iter(chars))
    clues = sorted({k.casefold() for k in map(str, known) if k and not k.isascii()})
    found = _clues_found(raw, clues, list(chars))
    # A small letter then an accented capital: the capital is a byte >= 0x80.
    after = np.flatnonzero(high[1:])
    before, upper = data[after], data[after + 1]

    def evidence(encoding):
        table = chars[encoding]
        odd = sum(int(counts[b]) for b, ch in table.items() if ch not in _PLAUSIBLE)
        small, capital = np.zeros(256, dtype=bool), np.zeros(256, dtype=bool)
        for b, ch in [(b, chr(b)) for b in range(128)] + list(table.items()):
            small[b] = _LOWER_THEN_ACCENTED_UPPER.fullmatch(ch + "\u00c0") is not None
            capital[b] = _LOWER_THEN_ACCENTED_UPPER.fullmatch("a" + ch) is not None
        odd += int((small[before] & capital[upper]).sum())
        return (found[encoding], -odd, -EIGHT_BIT_ENCODINGS.index(encoding))

    return max(chars, key=evidence)


def _clues_found(raw: bytes, clues: list[str], encodings: list[str]) -> dict[str, int]:
    """How many ``clues`` (case-folded, not ASCII) the file holds under each 8-bit encoding.

    The same count as ``sum(clue in raw.decode(e).casefold() for clue in
    clues)``, searched in far less text: an occurrence of a clue that is not
    ASCII once folded holds a character >= U+0080, which only a byte >= 0x80
    gives (folding never turns ASCII into anything else), and it lies inside
    one run of text between separators (line breaks, and the delimiters that
    no clue holds: folding never makes a separator). So the distinct runs (the
    labels with accents are repeated on every row) are all that needs decoding
    and folding. A clue that is ASCII once folded (``Straße`` gives
    ``strasse``) or holds a line break is looked for in the whole text.
    """
    seps = "\r\n" + "".join(d for d in (";", ",", "\t") if not any(d in c for c in clues))
    # The distinct runs, all of them (those without a byte >= 0x80 change
    # nothing, and are few once repeated ones are dropped), one per line.
    to_break = bytes.maketrans(seps.encode(), b"\n" * len(seps))
    runs = b"\n".join(set(raw.translate(to_break).split(b"\n")))
    whole = [c for c in clues if c.isascii() or "\n" in c or "\r" in c]
    near = [c for c in clues if c not in whole]
    found = {}
    for encoding in encodings:
        folded = runs.decode(encoding).casefold()
        n = sum(clue in folded for clue in near)
        if whole:
            everything = raw.decode(encoding).casefold()
            n += sum(clue in everything for clue in whole)
        found[encoding] = n
    return found


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


def read_csv(path: Path, encoding: str | None = None, known=()) -> RawTable:
    """Read a delimited text export (see the module notes).

    ``encoding`` forces the encoding (``study.yml``'s wave ``encoding:``);
    ``known`` are texts the file should hold, the evidence for choosing an
    8-bit encoding (see :func:`detect_encoding`).
    """
    raw = path.read_bytes()
    forced = encoding is not None
    encoding = encoding or detect_encoding(raw, path, known)
    # The UTF-8 byte-order mark is dropped before decoding, so error positions
    # count from the first byte of text.
    data = raw[len(codecs.BOM_UTF8):] if encoding == "utf-8-sig" else raw
    try:
        text = data.decode("utf-8" if encoding == "utf-8-sig" else encoding)
    except UnicodeDecodeError as err:  # a byte-order mark, then bytes that do not follow it
        why = ("as the study says (encoding: " + encoding + ")" if forced else
               f"as {encoding} although it starts with its byte-order mark")
        raise StudyError(f"cannot decode the file {why}; save it again as CSV UTF-8", path,
                         _line_of(data, err.start)) from None
    except LookupError:
        raise StudyError(f"unknown encoding '{encoding}'", path) from None
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
    names, repeated = _dedupe_header(names)
    offset = skipped + header_span          # lines before the first data line

    def malformed(err: Exception | None) -> StudyError:
        found = _locate_csv_problem(body, delimiter, len(names))
        if found:
            line, what = found
            return StudyError(f"malformed CSV: {what} (delimiter '{_show(delimiter)}'); check "
                              "quotes and delimiters on that line", path, line + skipped)
        return StudyError(f"malformed CSV: {err}", path)

    df = _read_unquoted(body, delimiter, names) if '"' not in body else None
    if df is None:
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
                                     encoding=encoding, delimiter=delimiter,
                                     meta={"duplicate_columns": repeated}))


def _read_unquoted(body: str, delimiter: str, names: list[str]) -> pd.DataFrame | None:
    """A CSV body without any quote, read by pyarrow's parser (several threads).

    Without quotes a record is one line and a cell what lies between two
    delimiters, so pyarrow reads the same cells as pandas' C parser, as text
    (nothing made missing), in a few times less time on a large export. Any
    line that pyarrow refuses (another number of cells than the header, an
    empty line), and an export with no data row, are left to the C parser,
    which reads them (or says where they are malformed) as before: None.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        table = pcsv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, quote_char=False,
                                            ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types={name: pa.string() for name in names}, null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, ValueError):
        return None
    if table.num_rows == 0 or table.column_names != names:
        return None
    return table.to_pandas()


def _line_of(data: bytes, position: int) -> int:
    """1-based physical line of a byte position; ``\r\n``, ``\n`` and ``\r`` end lines."""
    head = data[:position]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


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


def _dedupe_header(names: list[str]) -> tuple[list[str], dict[str, list[int]]]:
    """Keep columns whose names repeat apart: later copies get `` (2)``, `` (3)``...

    Names are compared folded (:func:`normalize_key`). Returns the unique
    names and, for each repeated name (as first written), its 1-based column
    positions. Whether a repeat matters is decided by whoever uses the
    columns (:func:`check_unique_columns`): two unused "Remarques" columns
    are no problem.
    """
    keys = normalize_key(pd.Series(names, dtype=object)).tolist()
    positions: dict[str, list[int]] = {}
    for i, key in enumerate(keys, start=1):
        if names[i - 1]:
            positions.setdefault(key, []).append(i)
    repeated = {key: cols for key, cols in positions.items() if len(cols) > 1}
    if not repeated:
        return names, {}
    out = list(names)
    taken = set(keys)
    for key, cols in repeated.items():
        for copy, i in enumerate(cols[1:], start=2):
            name = f"{names[i - 1]} ({copy})"
            while fold_key(name) in taken:
                name += "'"
            taken.add(fold_key(name))
            out[i - 1] = name
    return out, {names[cols[0] - 1]: cols for cols in repeated.values()}


def check_unique_columns(table: RawTable, used) -> None:
    """Refuse a used column whose name appears more than once in the export.

    Parameters
    ----------
    table : RawTable
        As read (its ``meta["duplicate_columns"]`` lists repeated names).
    used : iterable of str
        The column names a reader of the table relies on (id, date, items,
        covariates; a codebook's columns). None entries are skipped.

    Raises
    ------
    StudyError
        Naming the file, line 1, the column and both positions: which of two
        columns with the same name holds the data cannot be known.
    """
    repeated = table.meta.get("duplicate_columns") or {}
    if not repeated:
        return
    by_key = {fold_key(name): (name, cols)
              for name, cols in repeated.items()}
    for name in used:
        if name is None:
            continue
        found = by_key.get(fold_key(str(name)))
        if found:
            shown, cols = found
            raise StudyError(f"the column name appears twice (columns {cols[0]} and "
                             f"{cols[1]}) and this column is needed", table.file, 1, shown)


def _report_unused_duplicates(table: RawTable) -> None:
    for name, cols in (table.meta.get("duplicate_columns") or {}).items():
        log.info("%s: the column name '%s' appears %d times (columns %s); the columns are "
                 "kept apart", table.file.name, name, len(cols), ", ".join(map(str, cols)))


def read_excel(path: Path, sheet: str | int | None = None) -> RawTable:
    """Read one sheet of a workbook as text cells.

    The sheet is ``sheet`` when given, else the first visible one. Cells are
    parsed by python-calamine (pandas' ``engine="calamine"``; see the module
    notes for what it reads like openpyxl and why). Whole numbers in a column
    formatted with zeros (``00000``) are padded as Excel shows them (see
    :func:`_zero_padded_columns`).
    """
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except BaseException as err:  # zip or XML damage: say which file
        # (a Rust parser's PanicException derives from BaseException only)
        if isinstance(err, _STOPS):
            raise
        raise StudyError(f"cannot open the workbook ({type(err).__name__}: {err})",
                         path) from None
    with book:
        sheets = book.sheet_names
        if not sheets:
            raise StudyError("the workbook has no readable sheet", path)
        if sheet is None:
            sheet = _first_visible_sheet(book, sheets)
        elif sheet not in sheets:
            raise StudyError(f"no sheet named '{sheet}'; the workbook has: "
                             + ", ".join(repr(s) for s in sheets), path)
        try:
            df = pd.read_excel(book, sheet_name=sheet, dtype=str, header=None,
                               keep_default_na=False, na_filter=False)
        except BaseException as err:  # a damaged worksheet inside a sound zip
            if isinstance(err, _STOPS):
                raise
            raise StudyError(f"cannot read sheet '{sheet}' ({type(err).__name__}: {err})",
                             path) from None
    df = _drop_trailing_empty_columns(df.fillna(""))
    if df.empty:
        raise StudyError(f"sheet '{sheet}' is empty", path)
    # The first row that is not blank is the header; rows are numbered as in Excel.
    nonblank = (df != "").any(axis=1).to_numpy()
    first = int(np.argmax(nonblank))
    widths = _zero_padded_columns(path, sheet, header_row=first + 1, n_columns=df.shape[1])
    log.info("%s: read sheet '%s'", path.name, sheet)
    names, repeated = _dedupe_header([_cell_name(v, i) for i, v in enumerate(df.iloc[first].tolist())])
    body = df.iloc[first + 1:].reset_index(drop=True)
    body.columns = names
    body = body.apply(_drop_point_zero)
    for position, width in widths.items():
        column = body.iloc[:, position]
        short = column.str.fullmatch(r"\d+") & (column.str.len() < width)
        if short.any():
            body.iloc[:, position] = column.where(~short, column.str.zfill(width))
    lines = np.arange(len(body)) + first + 2
    return _skip_blank_rows(RawTable(path, body, lines,
                                     meta={"sheet": sheet, "duplicate_columns": repeated}))


def _drop_point_zero(column: pd.Series) -> pd.Series:
    """``3.0`` -> ``3`` (a whole number that calamine gave as a float), once per distinct text."""
    codes, distinct = pd.factorize(column, use_na_sentinel=False)
    fixed = pd.Series(distinct, dtype=column.dtype).str.replace(r"^(-?\d+)\.0$", r"\1", regex=True)
    return pd.Series(fixed.array.take(codes), index=column.index, name=column.name)


#: Never taken for a damaged workbook: the user or the program stopping.
_STOPS = (KeyboardInterrupt, SystemExit, GeneratorExit)


def _drop_trailing_empty_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Columns after the last one holding a cell are not part of the sheet.

    openpyxl's rows ended at their last value; calamine's range may reach
    further (a formatted but empty cell, a cell holding an empty string).
    """
    if not df.shape[1]:
        return df
    filled = (df != "").any(axis=0).to_numpy()
    last = len(filled) - int(np.argmax(filled[::-1])) if filled.any() else 0
    return df.iloc[:, :last] if last < df.shape[1] else df


def _first_visible_sheet(book: pd.ExcelFile, sheets: list[str]) -> str:
    """The first sheet that is not hidden (the first sheet when none is visible).

    Hidden and "very hidden" sheets are both skipped (calamine's sheet
    metadata, read from ``xl/workbook.xml``).
    """
    try:
        from python_calamine import SheetVisibleEnum

        states = {m.name: m.visible for m in book.book.sheets_metadata}
    except Exception:  # a reader without sheet states: the first sheet
        return sheets[0]
    return next((s for s in sheets if states.get(s, SheetVisibleEnum.Visible)
                 == SheetVisibleEnum.Visible), sheets[0])


_ZEROS_FORMAT = re.compile(r"^(0+)$")


def _zero_formats(path: Path) -> bool:
    """Whether the workbook defines a number format of two zeros or more.

    Reads only ``xl/styles.xml``: a format made of zeros (``00000``) is
    always a custom one (the only built-in one is ``0``, which pads nothing),
    so without such a format no cell can need padding and the worksheet's
    styles need not be read at all.
    """
    import xml.etree.ElementTree as ET
    import zipfile

    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.lower() == "xl/styles.xml"]
        if not names:
            return False
        root = ET.fromstring(archive.read(names[0]))
    return any(element.tag.rsplit("}", 1)[-1] == "numFmt"
               and re.fullmatch(r"00+", element.get("formatCode", "") or "")
               for element in root.iter())


def _zero_padded_columns(path: Path, sheet: str, header_row: int, n_columns: int,
                         sample: int = 50) -> dict[int, int]:
    """Columns whose numbers are formatted with leading zeros, and the width shown.

    The number format of the first ``sample`` data rows under the header
    (1-based ``header_row``) is read with openpyxl (calamine does not give
    formats), only when the workbook defines such a format at all
    (:func:`_zero_formats`); a column whose numeric cells use a format made of
    zeros only (``00000``, Excel's "Special: ZIP code" style) is padded to
    that many digits. Returns ``{column position: width}``.
    """
    try:
        if not _zero_formats(path):
            return {}
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
        try:
            ws = book[sheet]
            rows = ws.iter_rows(min_row=header_row + 1, max_row=header_row + sample,
                                max_col=n_columns)
            widths: dict[int, int] = {}
            for row in rows:
                for i, cell in enumerate(row):
                    value = getattr(cell, "value", None)
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        match = _ZEROS_FORMAT.match(str(getattr(cell, "number_format", "") or ""))
                        if match:
                            widths[i] = max(widths.get(i, 0), len(match.group(1)))
            return widths
        finally:
            book.close()
    except Exception:  # formats are a courtesy: never fail a read over them
        return {}


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
    filled = np.zeros(len(data), bool)
    for j in range(data.shape[1]):  # a loop over columns; each distinct text stripped once
        codes, distinct = pd.factorize(data.iloc[:, j].astype(str), use_na_sentinel=False)
        blank = (pd.Series(distinct, dtype=str).str.strip() == "").to_numpy(dtype=bool)
        filled |= ~blank[codes]
    last = len(filled) - int(np.argmax(filled[::-1])) if filled.any() else 0
    inside = np.arange(len(filled)) < last
    table.meta["blank_rows"] = int((~filled & inside).sum())
    if not len(data.columns):
        return table
    keep = filled
    table.data = data[keep].reset_index(drop=True)
    table.lines = table.lines[keep]
    return table


def read_table(path: str | Path, sheet: str | int | None = None, *,
               encoding: str | None = None, known=()) -> RawTable:
    """Read an export of any supported kind, choosing the reader by suffix.

    ``encoding`` and ``known`` apply to text exports (see :func:`read_csv`).

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
            table = read_csv(path, encoding=encoding, known=known)
        elif suffix in EXCEL_SUFFIXES:
            table = read_excel(path, sheet)
        elif suffix in SPSS_SUFFIXES:
            return read_spss(path)
        else:
            table = None
    except PermissionError:
        raise StudyError("cannot read the file: permission denied", path) from None
    if table is not None:
        _report_unused_duplicates(table)
        return table
    raise StudyError(f"unsupported file type '{suffix}': use .csv, .xlsx or .sav", path)
