"""Property-based tests (hypothesis) of the input rule.

The rule: every input either loads, with the accounting invariant
``rows_read = rows_kept + rows_rejected + duplicates_dropped`` holding for
every wave, or stops with ONE :class:`impactlib.errors.StudyError` naming the
file (and the line or column where it applies) - never another exception.

1. Readers: random tables written as CSV (random delimiter, quoting, line end
   and encoding) or as a workbook come back cell for cell, with their source
   lines; malformed CSV stops with the line of the defect.
2. Random bytes or junk text as ``.csv`` / ``.xlsx``: a RawTable or a
   StudyError, nothing else.
3. Random small studies against an oracle written from docs/study-format.md.
4. Label matching: any case / space / apostrophe / accent variant of a label
   maps to the label's value.

Profiles: ``HYPOTHESIS_PROFILE=ci`` (default: 40 examples, derandomized, so CI
is deterministic) or ``HYPOTHESIS_PROFILE=fuzz`` (2000 examples, random).

Every input found to break the rule has a minimal regression test at the end
of this module (K1...); those still open are marked ``xfail(strict=True)``.
So that the properties keep guarding everything else, inputs that hit a bug
still open are tolerated (:func:`known_bug`, counted as a hypothesis
``event``) - set ``IMPACTLIB_STRICT_PROPERTIES=1`` to see them fail instead.
When such a bug is fixed, its regression test XPASSes (and fails, being
strict): remove its marker and its entry in :func:`known_bug`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import io
import os
import re
import tempfile
import traceback
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

os.environ.setdefault("IMPACTLIB_KEY", "test-key-not-secret")

from impactlib.intake.codebook import Codebook, read_codebook  # noqa: E402
from impactlib.errors import StudyError  # noqa: E402
from impactlib.intake.ingest import map_cells  # noqa: E402
from impactlib.intake.processed import clean_study  # noqa: E402
from impactlib.intake.pseudonym import pseudonymize  # noqa: E402
from impactlib.intake.readers import RawTable, normalize_key, read_table  # noqa: E402
from impactlib.intake.schemas import validate  # noqa: E402

# --------------------------------------------------------------------------
# profiles
# --------------------------------------------------------------------------
# Registered and loaded in tests/conftest.py (shared with tests/test_dates.py).
from conftest import PROFILE  # noqa: E402,F401

TOLERATE_KNOWN_BUGS = os.environ.get("IMPACTLIB_STRICT_PROPERTIES") != "1"
KEY = b"property-test-key"


@contextlib.contextmanager
def fresh_dir():
    """A new temporary folder for one example (fixtures are shared by examples)."""
    with tempfile.TemporaryDirectory(prefix="impactlib-prop-") as d:
        yield Path(d)


# --------------------------------------------------------------------------
# known bugs still open (each pinned by an xfail regression test below)
# --------------------------------------------------------------------------
def _frames(exc: BaseException) -> list[traceback.FrameSummary]:
    return list(traceback.extract_tb(exc.__traceback__))


def _raised_in(exc: BaseException, function: str, module: str) -> bool:
    return any(f.name == function and f.filename.endswith(module) for f in _frames(exc))


def known_bug(exc: BaseException) -> str | None:
    """Name the known (still open) bug that an exception other than StudyError
    comes from; fixed bugs are removed from here, so the properties guard them.

    None is open now. Add an entry such as
    ``if isinstance(exc, IndexError) and _raised_in(exc, "read_excel",
    "impactlib/readers.py"): return "K7b ..."`` with the xfail test of a new bug.
    """
    return None


def call(fn, *args, **kwargs):
    """``fn(...)``, or the StudyError it raises; a known bug gives ``KNOWN``."""
    try:
        return fn(*args, **kwargs)
    except StudyError as err:
        return err
    except Exception as exc:
        bug = known_bug(exc)
        if bug and TOLERATE_KNOWN_BUGS:
            event(f"known bug: {bug}")
            return KNOWN
        raise


KNOWN = object()


def check_study_error(err: StudyError, path: Path | None = None) -> None:
    """One clear message: the file named, a line >= 1 when given."""
    assert isinstance(err, StudyError)
    assert err.file, f"StudyError without a file: {err}"
    assert Path(err.file).name in str(err), str(err)
    if path is not None:
        assert Path(err.file) == Path(path), (err.file, path)
    if err.line is not None:
        assert isinstance(err.line, int) and err.line >= 1, str(err)


def check_raw_table(table: RawTable) -> None:
    """Structural promises of every RawTable."""
    assert isinstance(table, RawTable)
    assert len(table.lines) == len(table.data)
    assert len(table.data.columns) >= 1, "a table without columns"
    lines = np.asarray(table.lines)
    assert (lines >= 1).all()
    assert (np.diff(lines) > 0).all(), lines
    for col in table.data.columns:
        assert all(isinstance(v, str) for v in table.data[col]), col
    # no row read is blank
    if len(table.data.columns):
        blank = (table.data.apply(lambda s: s.str.strip()) == "").all(axis=1)
        assert not blank.any()


# --------------------------------------------------------------------------
# text helpers (the documented normalizations, written independently)
# --------------------------------------------------------------------------
def fold(text: str) -> str:
    """Labels and column names: case, accents, apostrophe style, spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = re.sub(r"[\u0300-\u036f]", "", text)
    text = re.sub(r"[\u2018\u2019\u02bc\u00b4`]", "'", text)
    return re.sub(r"[\u00a0\s]+", " ", text).strip().casefold()


def norm_id(text: str) -> str:
    """Ids: trim, case-fold, collapse spaces, drop a whole number's ``.0``."""
    text = re.sub(r"\s+", " ", text.strip())
    text = re.sub(r"^(\d+)\.0+$", r"\1", text)
    return text.casefold()


def workbook_cell(text: str) -> str:
    """What a workbook reader gives for a text cell: a whole number loses ``.0``;
    a text of XML white space only (space, tab, line ends; not a no-break
    space) is empty (openpyxl writes it without ``xml:space="preserve"``, and
    calamine, as XML allows, drops it)."""
    if not text.strip(" \t\r\n"):
        return ""
    return re.sub(r"^(-?\d+)\.0$", r"\1", text)


def is_blank(row) -> bool:
    return all(not c.strip() for c in row)


def blanks_inside(rows) -> int:
    filled = [not is_blank(r) for r in rows]
    if not any(filled):
        return 0
    last = max(i for i, f in enumerate(filled) if f)
    return sum(1 for f in filled[:last] if not f)


# --------------------------------------------------------------------------
# 1. readers: random tables round-trip
# --------------------------------------------------------------------------
CELL_ALPHABET = list("abzAZ09 éèàçÉÔœß€’'\";,\t\n-.°?!()/ñ") + ["ł", "Ω", "\u00a0", "😀"]
NAME_ALPHABET = [c for c in CELL_ALPHABET if c not in "\n\t"]

cell_text = st.text(alphabet=st.sampled_from(CELL_ALPHABET), max_size=8)
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16"]


@dataclass
class CsvFile:
    header: list[str]
    rows: list[list[str]]
    bare_blank: list[bool]          # blank rows written as an empty line
    delimiter: str
    quoting: int
    lineterminator: str
    encoding: str
    data: bytes = b""
    lines: list[int] = field(default_factory=list)   # physical line of each row


def _header_names(draw, n: int, allowed: list[str], newline: bool) -> list[str]:
    alphabet = allowed + (["\n"] if newline else [])
    names = draw(st.lists(st.text(alphabet=st.sampled_from(alphabet), min_size=1, max_size=8)
                          .filter(lambda s: s.strip() and fold(s)),
                          min_size=n, max_size=n, unique_by=fold))
    return names


@st.composite
def csv_files(draw, header_newlines: bool = False) -> CsvFile:
    n = draw(st.integers(2, 5))
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    # Under minimal quoting a header name holding a delimiter is written bare and
    # counts for the delimiter detection ("the one most used in the header line").
    allowed = NAME_ALPHABET if quoting == csv.QUOTE_ALL else \
        [c for c in NAME_ALPHABET if c not in ";,\t"]
    header = _header_names(draw, n, allowed, header_newlines)
    if header_newlines and not any("\n" in h for h in header):
        j = draw(st.integers(0, n - 1))
        cut = draw(st.integers(0, len(header[j])))
        header[j] = header[j][:cut] + "\n" + header[j][cut:]
        assume(len({fold(h) for h in header}) == n and header[j].strip())
    row = st.lists(cell_text, min_size=n, max_size=n)
    rows = draw(st.lists(st.one_of(row, st.just([""] * n),
                                   st.lists(st.sampled_from(["", " ", "  "]), min_size=n, max_size=n)),
                         max_size=8))
    bare = [is_blank(r) and all(c == "" for c in r) and draw(st.booleans()) for r in rows]
    f = CsvFile(header, rows, bare, delimiter, quoting,
                draw(st.sampled_from(["\n", "\r\n"])), draw(st.sampled_from(ENCODINGS)))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator=f.lineterminator)
    writer.writerow(header)
    line = 2 + sum(h.count("\n") for h in header)
    for r, b in zip(rows, bare):
        f.lines.append(line)
        if b:
            buf.write(f.lineterminator)
        else:
            writer.writerow(r)
        line += 1 + sum(c.count("\n") for c in r)
    text = buf.getvalue()
    try:
        f.data = text.encode(f.encoding)
    except UnicodeEncodeError:      # cp1252 only when encodable
        f.encoding = "utf-8"
        f.data = text.encode("utf-8")
    return f


def expected_encoding(f: CsvFile) -> str:
    if f.encoding == "cp1252":
        return "utf-8" if f.data.isascii() else "cp1252"
    return f.encoding


@given(f=csv_files())
def test_csv_round_trip(f):
    note(repr(f.data))
    if f.encoding == "cp1252" and not f.data.isascii():
        # Bytes that are valid UTF-8 are read as UTF-8 (documented order): rare.
        try:
            f.data.decode("utf-8")
            assume(False)
        except UnicodeDecodeError:
            pass
    with fresh_dir() as d:
        path = d / "wave.csv"
        path.write_bytes(f.data)
        table = call(read_table, path)
        if table is KNOWN:
            return
        assert not isinstance(table, StudyError), str(table)
        check_raw_table(table)
        assert list(table.data.columns) == [h.strip() for h in f.header]
        assert table.delimiter == f.delimiter
        assert table.encoding == expected_encoding(f)
        kept = [(r, line) for r, line in zip(f.rows, f.lines) if not is_blank(r)]
        assert table.data.values.tolist() == [r for r, _ in kept]
        assert table.lines.tolist() == [line for _, line in kept]
        assert table.meta["blank_rows"] == blanks_inside(f.rows)


@given(f=csv_files(header_newlines=True))
def test_csv_round_trip_with_line_breaks_in_header_names(f):
    """A header cell may hold a line break (long questions): same promises."""
    note(repr(f.data))
    assume(any("\n" in h for h in f.header))
    if f.encoding == "cp1252" and not f.data.isascii():
        with contextlib.suppress(UnicodeDecodeError):
            f.data.decode("utf-8")
            assume(False)
    with fresh_dir() as d:
        path = d / "wave.csv"
        path.write_bytes(f.data)
        table = call(read_table, path)
        if table is KNOWN:
            return
        if isinstance(table, StudyError):
            # Acceptable only if it names the file; but a well-formed file should load.
            check_study_error(table, path)
            pytest.fail(f"a well-formed CSV was refused: {table}")
        check_raw_table(table)
        assert list(table.data.columns) == [h.strip() for h in f.header]
        kept = [(r, line) for r, line in zip(f.rows, f.lines) if not is_blank(r)]
        assert table.data.values.tolist() == [r for r, _ in kept]
        assert table.lines.tolist() == [line for _, line in kept]


WB_ALPHABET = [c for c in CELL_ALPHABET if c not in "\t"]
wb_text = st.text(alphabet=st.sampled_from(WB_ALPHABET), max_size=8).filter(
    lambda s: not s.startswith("="))


@st.composite
def workbooks(draw):
    n = draw(st.integers(1, 5))
    header = draw(st.lists(st.text(alphabet=st.sampled_from([c for c in WB_ALPHABET if c != "\n"]),
                                   min_size=1, max_size=8)
                           .filter(lambda s: s.strip() and fold(s) and not s.startswith("=")),
                           min_size=n, max_size=n, unique_by=fold))
    numeric = st.sampled_from(["1", "1.0", "-3.0", "2.5", "007", "10.0"])
    cell = st.one_of(wb_text, numeric)
    rows = draw(st.lists(st.one_of(st.lists(cell, min_size=n, max_size=n), st.just([""] * n)),
                         max_size=8))
    return header, rows


@given(wb=workbooks(), sheet=st.sampled_from([None, "Réponses"]))
def test_workbook_round_trip(wb, sheet):
    header, rows = wb
    with fresh_dir() as d:
        path = d / "wave.xlsx"
        frame = pd.DataFrame(rows, columns=header, dtype=object)
        frame.to_excel(path, index=False, sheet_name=sheet or "Feuil1")
        table = call(read_table, path, sheet)
        assert table is not KNOWN and not isinstance(table, StudyError), str(table)
        check_raw_table(table)
        assert list(table.data.columns) == [h.strip() for h in header]
        kept = [(r, i + 2) for i, r in enumerate(rows) if not is_blank(r)]
        assert table.data.values.tolist() == [[workbook_cell(c) for c in r] for r, _ in kept]
        assert table.lines.tolist() == [line for _, line in kept]
        assert table.meta["blank_rows"] == blanks_inside(rows)


# --------------------------------------------------------------------------
# 1b. malformed CSV: the defect's line
# --------------------------------------------------------------------------
@st.composite
def malformed_csvs(draw):
    n = draw(st.integers(2, 4))
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    term = draw(st.sampled_from(["\n", "\r\n"]))
    header = [f"c{j}" for j in range(n)]
    rows = draw(st.lists(st.lists(cell_text, min_size=n, max_size=n), min_size=1, max_size=6))
    # Some rows a little short (padded with empty cells by the reader).
    short = [draw(st.integers(0, 1)) if not is_blank(r[: n - 1]) else 0 for r in rows]
    # index of the defect (0: the first data row; len(rows): after the last row)
    bad = 0 if draw(st.integers(0, 4)) == 0 else draw(st.integers(1, len(rows)))
    kind = draw(st.sampled_from(["extra", "quote"]))
    extra = draw(st.lists(cell_text, min_size=1, max_size=2))
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=term)
    w.writerow(header)
    line, bad_line = 2, None
    for i, r in enumerate(rows + [None]):
        if i == bad:
            bad_line = line
            if kind == "extra":
                w.writerow(["x"] + ["1"] * (n - 1) + extra)
                line += 1 + sum(c.count("\n") for c in extra)
            else:
                buf.write('"' + "open" + delimiter + "x" + term)
                break                     # everything after is inside the quote
        if r is None:
            break
        w.writerow(r[: n - short[i]])
        line += 1 + sum(c.count("\n") for c in r[: n - short[i]])
    text = buf.getvalue()
    if kind == "quote":
        # after an opened quote, nothing else may close it
        head, _, tail = text.rpartition('"open')
        assume('"' not in tail)
    return text.encode("utf-8"), kind, bad, bad_line


@given(case=malformed_csvs())
def test_malformed_csv_stops_with_its_line(case):
    data, kind, bad, bad_line = case
    note(repr(data))
    with fresh_dir() as d:
        path = d / "wave.csv"
        path.write_bytes(data)
        out = call(read_table, path)
        if out is KNOWN:
            return
        assert isinstance(out, StudyError), f"loaded: {out.data.to_dict('list')}"
        check_study_error(out, path)
        assert ("fields" if kind == "extra" else "quote") in out.message
        assert out.line == bad_line, (str(out), bad_line)


# --------------------------------------------------------------------------
# 2. random bytes / junk
# --------------------------------------------------------------------------
BOMS = [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]
JUNK_ALPHABET = list(';,\t"\n\r \'’€éa1A\x00\x1a\ufeff\u2028\x85')


def _check_any(path: Path) -> None:
    out = call(read_table, path)
    if out is KNOWN:
        return
    if isinstance(out, StudyError):
        check_study_error(out, path)
    else:
        check_raw_table(out)


@given(bom=st.sampled_from(BOMS), body=st.binary(max_size=300),
       suffix=st.sampled_from([".csv", ".txt", ".tsv"]))
def test_random_bytes_as_csv(bom, body, suffix):
    with fresh_dir() as d:
        path = d / f"wave{suffix}"
        path.write_bytes(bom + body)
        _check_any(path)


@given(text=st.text(alphabet=st.sampled_from(JUNK_ALPHABET), max_size=200),
       encoding=st.sampled_from(ENCODINGS + ["utf-16-le", "utf-16-be"]))
def test_junk_text_as_csv(text, encoding):
    with fresh_dir() as d:
        path = d / "wave.csv"
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            data = text.encode("utf-8")
        path.write_bytes(data)
        _check_any(path)


def _base_workbook(sheets: int) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as w:
        pd.DataFrame({"id": ["A", "B"], "Q1": ["1", "Tout à fait d'accord"]}).to_excel(
            w, index=False, sheet_name="items")
        if sheets > 1:
            pd.DataFrame({"x": ["1"]}).to_excel(w, index=False, sheet_name="scales")
    return buf.getvalue()


BASE_XLSX = {n: _base_workbook(n) for n in (1, 2)}
BASE_MEMBERS = {n: zipfile.ZipFile(io.BytesIO(b)).namelist() for n, b in BASE_XLSX.items()}


def _damage(sheets: int, member: str, how: str, draw=None) -> bytes:
    """A real workbook with one zip member cut, dropped, replaced or flipped."""
    src = zipfile.ZipFile(io.BytesIO(BASE_XLSX[sheets]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in BASE_MEMBERS[sheets]:
            data = src.read(name)
            if name == member:
                if how == "drop":
                    continue
                if how == "half":
                    data = data[: len(data) // 2]
                elif how == "cut":
                    data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
                elif how == "junk":
                    data = draw(st.binary(max_size=200))
                elif how == "flip":
                    i = draw(st.integers(0, max(len(data) - 1, 0)))
                    data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1:]
            z.writestr(name, data)
    return out.getvalue()


@st.composite
def damaged_workbooks(draw):
    sheets = draw(st.sampled_from([1, 2]))
    return _damage(sheets, draw(st.sampled_from(BASE_MEMBERS[sheets])),
                   draw(st.sampled_from(["cut", "drop", "junk", "flip"])), draw)


@given(data=st.one_of(st.binary(max_size=300),
                      st.builds(lambda a, b: b"PK\x03\x04" + a + b, st.binary(max_size=50),
                                st.binary(max_size=200)),
                      damaged_workbooks()),
       sheet=st.sampled_from([None, "items", "absent"]))
def test_junk_as_workbook(data, sheet):
    with fresh_dir() as d:
        path = d / "wave.xlsx"
        path.write_bytes(data)
        out = call(read_table, path, sheet)
        if out is KNOWN:
            return
        if isinstance(out, StudyError):
            check_study_error(out, path)
        else:
            check_raw_table(out)


# --------------------------------------------------------------------------
# 3. random studies against the documented rules
# --------------------------------------------------------------------------
LABEL_POOL = ["Pas du tout d'accord", "Pas d’accord", "Plutôt pas d'accord",
              "Ni d'accord ni pas d'accord", "Plutôt d'accord", "D'accord",
              "Tout à fait d'accord", "Jamais", "Rarement", "Parfois", "Souvent",
              "Toujours", "Très mal", "Mal", "Bien", "Très bien", "Œuvre", "Énormément"]
MISSING_POOL = ["Ne sait pas", "NSP", "Sans avis", "Je préfère ne pas répondre"]
JUNK_CELLS = ["peut-être", "?", "n/a", "2.5", "1,5", "x", "—", "oui", "NaN", "inf", "abc",
              "1e", "Tout à fait"]
TRUE_FLAGS = ["oui", "OUI", "yes", "True", "vrai", "1", " Oui "]
FALSE_FLAGS = ["non", "NON", "no", "false", "Faux", "0", ""]
DIMENSIONS = ["Confiance", "Recherche d'emploi", "Bien-être"]
ID_BASES = ["A1", "B2", "Jean Dupont", "17", "c-3"]
DATES = [("05/01/2024", "2024-01-05"), ("2024-01-05", "2024-01-05"), ("45296", "2024-01-05"),
         ("04/01/2024", "2024-01-04"), ("2024-01-06 10:30:00", "2024-01-06"),
         ("", None), ("demain", "bad"), ("31/02/2024", "bad")]
ID_COLUMN = "N° dossier"
DATE_COLUMN = "Date de passation"


@dataclass
class Scale:
    name: str
    values: list[int]
    labels: list[str]
    missing: list[str]


@dataclass
class Item:
    code: str
    dimension: str
    scale: Scale
    reverse: bool
    flag: str


@dataclass
class Cell:
    text: str
    status: str               # answered, dont_know, missing, invalid
    raw: int | None


@dataclass
class WaveSpec:
    key: str
    fmt: str                  # csv or xlsx
    present: list[int]        # item indices, in column order
    date: bool
    rows: list[list] = field(default_factory=list)   # [id, date_text, date, cells]
    csv_dialect: tuple = (";", "utf-8", "\n")
    typed: bool = False       # workbook: whole numbers and dates as typed cells
    read_rows: list[list[str]] = field(default_factory=list)   # cells as a reader gives them


@dataclass
class StudySpec:
    scales: list[Scale]
    items: list[Item]
    waves: list[WaveSpec]
    codebook_fmt: str
    defect: str | None        # a codebook defect, or None


def _variant(draw, text: str) -> str:
    """A case / space / apostrophe variant of a label."""
    out = []
    for ch in text:
        how = draw(st.integers(0, 5))
        if ch == " ":
            out.append(draw(st.sampled_from([" ", "  ", "\u00a0", " \t"])))
        elif ch in "'’":
            out.append(draw(st.sampled_from(["'", "’"])))
        elif how == 0:
            out.append(ch.upper())
        elif how == 1:
            out.append(ch.lower())
        else:
            out.append(ch)
    pad = st.sampled_from(["", " ", "  "])
    return draw(pad) + "".join(out) + draw(pad)


@st.composite
def variants(draw, text: str) -> str:
    return _variant(draw, text)


def _cell(draw, scale: Scale) -> Cell:
    kind = draw(st.sampled_from(["empty", "label", "label", "value", "value", "dont_know",
                                 "out", "junk"]))
    lo, hi = min(scale.values), max(scale.values)
    if kind == "label":
        i = draw(st.integers(0, len(scale.labels) - 1))
        return Cell(_variant(draw, scale.labels[i]), "answered", scale.values[i])
    if kind == "value":
        v = draw(st.sampled_from(scale.values))
        text = draw(st.sampled_from([f"{v}", f" {v} ", f"{v}.0", f"{v},0"]))
        return Cell(text, "answered", v)
    if kind == "dont_know" and scale.missing:
        return Cell(_variant(draw, draw(st.sampled_from(scale.missing))), "dont_know", None)
    if kind == "out":
        v = draw(st.sampled_from([hi + 1, hi + 2, lo - 1, 99, -7]))
        return Cell(str(v), "invalid", None)
    if kind == "junk":
        return Cell(draw(st.sampled_from(JUNK_CELLS)), "invalid", None)
    return Cell(draw(st.sampled_from(["", " ", "  "])), "missing", None)


def _id(draw) -> str:
    if draw(st.integers(0, 9)) == 5:     # (hypothesis favours 0 and bounds)
        return draw(st.sampled_from(["", "  "]))
    base = draw(st.sampled_from(ID_BASES))
    if base == "17" and draw(st.booleans()):
        base = draw(st.sampled_from(["17.0", "17.00"]))
    if " " in base and draw(st.booleans()):
        base = base.replace(" ", "   ")
    case = draw(st.sampled_from([str, str.upper, str.lower]))
    pad = st.sampled_from(["", " "])
    return draw(pad) + case(base) + draw(pad)


@st.composite
def studies(draw) -> StudySpec:
    scales = []
    for s in range(draw(st.integers(1, 2))):
        points = draw(st.integers(2, 7))
        start = draw(st.sampled_from([0, 1]))
        labels = draw(st.lists(st.sampled_from(LABEL_POOL), min_size=points, max_size=points,
                               unique_by=fold))
        missing = draw(st.lists(st.sampled_from(MISSING_POOL), max_size=2, unique_by=fold))
        scales.append(Scale(f"echelle{s + 1}", list(range(start, start + points)), labels, missing))
    n_items = draw(st.integers(1, 6))
    dims = DIMENSIONS[: draw(st.integers(1, 3))]
    items = []
    for j in range(n_items):
        reverse = draw(st.booleans())
        items.append(Item(f"Q{j + 1}", draw(st.sampled_from(dims)), draw(st.sampled_from(scales)),
                          reverse, draw(st.sampled_from(TRUE_FLAGS if reverse else FALSE_FLAGS))))
    defect = None
    if draw(st.integers(0, 14)) == 7:
        defect = draw(st.sampled_from(["reverse", "value", "label", "scale", "item"]))
    waves = []
    for w in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 29)) == 13:
            present = []
        else:
            present = draw(st.lists(st.integers(0, n_items - 1), min_size=1, max_size=n_items,
                                    unique=True))
        spec = WaveSpec(f"T{w + 1}", draw(st.sampled_from(["csv", "csv", "xlsx"])), present,
                        draw(st.booleans()),
                        csv_dialect=(draw(st.sampled_from([";", ",", "\t"])),
                                     draw(st.sampled_from(ENCODINGS)),
                                     draw(st.sampled_from(["\n", "\r\n"]))),
                        typed=draw(st.booleans()))
        for _ in range(draw(st.integers(0, 8))):
            choice = draw(st.integers(0, 9))
            if choice == 3 and spec.rows:          # an exact copy of an earlier row
                spec.rows.append(list(draw(st.sampled_from(spec.rows))))
            elif choice == 4:                      # a blank row
                spec.rows.append(["", "", None, [Cell("", "missing", None) for _ in present]])
            else:
                date_text, date = draw(st.sampled_from(DATES)) if spec.date else ("", None)
                spec.rows.append([_id(draw), date_text, date,
                                  [_cell(draw, items[j].scale) for j in present]])
        waves.append(spec)
    return StudySpec(scales, items, waves, draw(st.sampled_from(["folder", "xlsx"])), defect)


def _column_variant(draw_case: int, name: str) -> str:
    return [name, name.upper(), name.lower(), f" {name} "][draw_case % 4]


def write_study(spec: StudySpec, folder: Path) -> dict:
    """Write the study; return {'codebook': files, wave key: file}."""
    items = pd.DataFrame({
        "item": [it.code for it in spec.items], "text": [f"Question {it.code}" for it in spec.items],
        "dimension": [it.dimension for it in spec.items], "scale": [it.scale.name for it in spec.items],
        "reverse": [it.flag for it in spec.items]})
    rows = []
    for s in spec.scales:
        rows += [[s.name, str(v), lab] for v, lab in zip(s.values, s.labels)]
        rows += [[s.name, "", lab] for lab in s.missing]
    scales = pd.DataFrame(rows, columns=["scale", "value", "label"])
    if spec.defect == "reverse":
        items.loc[0, "reverse"] = "peut-être"
    elif spec.defect == "value":
        scales.loc[0, "value"] = "2.5"
    elif spec.defect == "label":
        scales = pd.concat([scales, pd.DataFrame([[scales.loc[0, "scale"], "",
                                                   "  " + scales.loc[0, "label"].upper()]],
                                                 columns=scales.columns)], ignore_index=True)
    elif spec.defect == "scale":
        items.loc[0, "scale"] = "inconnue"
    elif spec.defect == "item":
        items = pd.concat([items, items.iloc[[0]].assign(item=items.loc[0, "item"].lower())],
                          ignore_index=True)
    files = {}
    if spec.codebook_fmt == "folder":
        (folder / "codebook").mkdir()
        items.to_csv(folder / "codebook" / "items.csv", index=False, sep=";")
        scales.to_csv(folder / "codebook" / "scales.csv", index=False)
        codebook = "codebook"
        files["items"] = folder / "codebook" / "items.csv"
        files["scales"] = folder / "codebook" / "scales.csv"
    else:
        with pd.ExcelWriter(folder / "codebook.xlsx") as w:
            items.to_excel(w, sheet_name="items", index=False)
            scales.to_excel(w, sheet_name="scales", index=False)
        codebook = "codebook.xlsx"
        files["items"] = files["scales"] = folder / "codebook.xlsx"
    doc = {"title": "Propriétés", "id_column": ID_COLUMN, "codebook": codebook, "waves": []}
    for n, wave in enumerate(spec.waves):
        header = [_column_variant(n, ID_COLUMN)]
        if wave.date:
            header.append(_column_variant(n + 1, DATE_COLUMN))
        header += [_column_variant(n + j, spec.items[j].code) for j in wave.present]
        body = [[r[0]] + ([r[1]] if wave.date else []) + [c.text for c in r[3]] for r in wave.rows]
        file = folder / f"{wave.key}.{wave.fmt}"
        wave.read_rows = [list(r) for r in body]
        if wave.fmt == "xlsx":
            cells = [[_typed(text, wave.typed, wave.date and j == 1) for j, text in enumerate(r)]
                     for r in body]
            wave.read_rows = [[text for _, text in r] for r in cells]
            pd.DataFrame([[value for value, _ in r] for r in cells], columns=header,
                         dtype=object).to_excel(file, index=False)
        else:
            delimiter, encoding, term = wave.csv_dialect
            buf = io.StringIO()
            w = csv.writer(buf, delimiter=delimiter, lineterminator=term)
            w.writerow(header)
            w.writerows(body)
            try:
                file.write_bytes(buf.getvalue().encode(encoding))
            except UnicodeEncodeError:
                file.write_bytes(buf.getvalue().encode("utf-8"))
        files[wave.key] = file
        entry = {"key": wave.key, "label": f"Vague {wave.key}", "file": file.name}
        if wave.date:
            entry["date_column"] = DATE_COLUMN
        doc["waves"].append(entry)
    (folder / "study.yml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return files


TYPED_DATES = {"05/01/2024": datetime.datetime(2024, 1, 5),
               "2024-01-06 10:30:00": datetime.datetime(2024, 1, 6, 10, 30)}


def _typed(text: str, typed: bool, is_date: bool) -> tuple[object, str]:
    """A workbook cell for ``text``, and the text a reader gives back for it."""
    if typed and re.fullmatch(r"-?\d+", text):
        return int(text), str(int(text))
    if typed and is_date and text in TYPED_DATES:
        stamp = TYPED_DATES[text]
        return stamp, stamp.strftime("%Y-%m-%d %H:%M:%S")
    return text, workbook_cell(text)


@dataclass
class Expected:
    quality: dict
    kept: dict                # id_key -> (line, date, cells)


def expect_wave(spec: StudySpec, wave: WaveSpec) -> Expected:
    """The documented row rules, applied to the rows as written."""
    rows = wave.read_rows
    q = dict(rows_read=0, rows_kept=0, rows_rejected=0, duplicates_dropped=0,
             rejected_empty_id=0, rejected_no_answer=0, rejected_conflict=0, cells_invalid=0,
             blank_rows_skipped=blanks_inside(rows), items_found=len(wave.present),
             items_absent=len(spec.items) - len(wave.present))
    seen, candidates = set(), []
    for i, (r, cells) in enumerate(zip(wave.rows, rows)):
        if is_blank(cells):
            continue
        q["rows_read"] += 1
        key = norm_id(cells[0])
        if key == "":
            q["rows_rejected"] += 1
            q["rejected_empty_id"] += 1
            continue
        if tuple(cells) in seen:
            q["duplicates_dropped"] += 1
            continue
        seen.add(tuple(cells))
        answered = sum(c.status == "answered" for c in r[3])
        if answered == 0:
            q["rows_rejected"] += 1
            q["rejected_no_answer"] += 1
            continue
        date = pd.Timestamp(r[2]) if r[2] not in (None, "bad") else None
        candidates.append((key, answered, date, i, r))
    kept = {}
    order = sorted(candidates, key=lambda c: (-c[1], c[2] is None, c[2] or pd.Timestamp(0), c[3]))
    for key, answered, date, i, r in order:
        if key in kept:
            q["rows_rejected"] += 1
            q["rejected_conflict"] += 1
            continue
        cells = {j: c for j, c in zip(wave.present, r[3])}
        kept[key] = (i + 2, date, [cells.get(j, Cell("", "missing", None))
                                   for j in range(len(spec.items))])
        q["cells_invalid"] += sum(c.status == "invalid" for c in r[3]) + (r[2] == "bad")
    q["rows_kept"] = len(kept)
    return Expected(q, kept)


def expected_error(spec: StudySpec, files: dict) -> tuple[Path, str | None] | None:
    """The file (and column) of the StudyError the study must stop with, if any."""
    if spec.defect in ("value", "label"):
        return files["scales"], spec.defect
    if spec.defect in ("reverse", "scale", "item"):
        return files["items"], spec.defect
    for wave in spec.waves:
        if not wave.present:
            return files[wave.key], None
    return None


@given(spec=studies())
def test_random_studies(spec):
    with fresh_dir() as d:
        files = write_study(spec, d)
        note(f"study: {spec}")
        out = call(clean_study, d / "study.yml", key=KEY)
        if out is KNOWN:
            return
        problem = expected_error(spec, files)
        if isinstance(out, StudyError):
            event("study refused")
            check_study_error(out)
            assert problem is not None, f"unexpected StudyError: {out}"
            file, column = problem
            assert Path(out.file) == file, (str(out), file)
            if column in ("reverse", "value", "label", "scale", "item"):
                assert out.column == column and out.line is not None, str(out)
            if column is None:                       # no item in this wave
                assert out.line == 1
            return
        assert problem is None, f"expected a StudyError about {problem}"
        check_processed(spec, out)
        q = out.quality
        for what in ("duplicates_dropped", "rejected_conflict", "rejected_empty_id",
                     "rejected_no_answer", "cells_invalid", "blank_rows_skipped"):
            if q[what].sum():
                event(f"study with {what}")
        if out.candidates["pattern"].str.contains(r"\+", regex=True).any():
            event("study with a candidate in several waves")


def check_processed(spec: StudySpec, p) -> None:
    keys = [w.key for w in spec.waves]
    n_items = len(spec.items)
    quality = p.quality.set_index("wave")
    by_item = {it.code: it for it in spec.items}
    expected = {w.key: expect_wave(spec, w) for w in spec.waves}
    for wave in spec.waves:
        q = quality.loc[wave.key]
        # the accounting invariant, then the oracle's counts
        assert q["rows_read"] == q["rows_kept"] + q["rows_rejected"] + q["duplicates_dropped"]
        got = {k: int(q[k]) for k in expected[wave.key].quality}
        assert got == expected[wave.key].quality, wave.key
        r = p.responses[p.responses["wave"] == wave.key]
        assert len(r) == q["rows_kept"] * n_items
    r = p.responses
    assert len(r) == len(p.questionnaires) * n_items
    codes = r["item"].astype(str).tolist()
    lo = np.array([min(by_item[c].scale.values) for c in codes], dtype=float)
    hi = np.array([max(by_item[c].scale.values) for c in codes], dtype=float)
    rev = np.array([by_item[c].reverse for c in codes], dtype=bool)
    value = r["value"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    raw = r["raw_value"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    na = np.isnan(value)
    assert (na | ((value >= lo) & (value <= hi))).all()
    assert (na == np.isnan(raw)).all()
    assert ((r["status"].astype(str).to_numpy() == "answered") == ~na).all()
    recoded = np.where(rev, lo + hi - raw, raw)
    assert (na | (value == recoded)).all()
    # every kept questionnaire, cell by cell, against the oracle
    q = p.questionnaires
    pseudo = {}
    for wave in spec.waves:
        for key, (line, date, cells) in expected[wave.key].kept.items():
            cand = pseudo.setdefault(key, pseudonymize(pd.Series([key]), KEY).iloc[0])
            row = q[(q["candidate"] == cand) & (q["wave"] == wave.key)]
            assert len(row) == 1, (wave.key, key)
            assert int(row["source_line"].iloc[0]) == line
            got_date = row["date"].iloc[0]
            assert (pd.isna(got_date) and date is None) or got_date == date, (got_date, date)
            mine = r[(r["candidate"] == cand) & (r["wave"] == wave.key)]
            assert mine["item"].astype(str).tolist() == [it.code for it in spec.items]
            assert mine["status"].astype(str).tolist() == [c.status for c in cells], (wave.key, key)
            assert [None if pd.isna(v) else int(v) for v in mine["raw_value"]] == \
                [c.raw for c in cells]
    # patterns
    kept_waves = {}
    for wave in spec.waves:
        for key in expected[wave.key].kept:
            kept_waves.setdefault(key, []).append(wave.key)
    cands = p.candidates
    assert len(cands) == len(kept_waves) == q["candidate"].nunique()
    assert int(cands["pattern"].value_counts().sum()) == len(kept_waves)
    want = {pseudo[k]: "+".join(w for w in keys if w in v) for k, v in kept_waves.items()}
    assert dict(zip(cands["candidate"], cands["pattern"])) == want
    assert len(p.invalid_cells) == int(p.quality["cells_invalid"].sum())
    validate(p)


# --------------------------------------------------------------------------
# 4. label matching
# --------------------------------------------------------------------------
LABEL_ALPHABET = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 '’-,.?"
                      "àâäçéèêëîïôöùûüÿœæÀÂÇÉÈÊÔŒÆß")
label_text = st.text(alphabet=st.sampled_from(LABEL_ALPHABET), min_size=1, max_size=25).filter(
    lambda s: s.strip() and fold(s))


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@given(labels=st.lists(label_text, min_size=2, max_size=6, unique_by=fold),
       missing=st.lists(label_text, max_size=2), data=st.data())
def test_label_variants_map_to_the_label_value(labels, missing, data):
    missing = [m for m in missing if fold(m) not in {fold(x) for x in labels}]
    missing = list({fold(m): m for m in missing}.values())
    values = list(range(1, len(labels) + 1))
    scales = pd.DataFrame({
        "scale": "s", "value": pd.array(values + [None] * len(missing), dtype="Int64"),
        "label": [x.strip() for x in labels + missing]})
    scales["key"] = normalize_key(scales["label"])
    codebook = Codebook(items=pd.DataFrame(), scales=scales, source=Path("codebook"))
    i = data.draw(st.integers(0, len(labels) + len(missing) - 1))
    label = (labels + missing)[i]
    variant = data.draw(variants(label))
    if data.draw(st.booleans()):
        variant = _strip_accents(variant)
    note(f"label={label!r} variant={variant!r}")
    out = map_cells(np.array([variant], dtype=object), np.array(["s"], dtype=object), codebook)
    if i < len(labels):
        assert out["status"].iloc[0] == "answered"
        assert out["raw_value"].iloc[0] == values[i]
        assert out["label"].iloc[0] == label.strip()
    else:
        assert out["status"].iloc[0] == "dont_know"
        assert pd.isna(out["raw_value"].iloc[0])


@given(spec=studies(), data=st.data())
def test_label_variants_through_a_codebook_file(spec, data):
    """The same through read_codebook (labels read from a file, then folded)."""
    assume(spec.defect is None)
    with fresh_dir() as d:
        files = write_study(spec, d)
        cb = read_codebook(files["items"].parent if spec.codebook_fmt == "folder" else files["items"])
        scale = data.draw(st.sampled_from(spec.scales))
        i = data.draw(st.integers(0, len(scale.labels) - 1))
        variant = data.draw(variants(scale.labels[i]))
        out = map_cells(np.array([variant], dtype=object), np.array([scale.name], dtype=object), cb)
        assert out["status"].iloc[0] == "answered" and out["raw_value"].iloc[0] == scale.values[i]


# --------------------------------------------------------------------------
# regression tests: inputs found to break the rule
# --------------------------------------------------------------------------
# Each names the bug it pins (K1...). Bugs still open are marked
# xfail(strict=True); those fixed meanwhile in the working tree are plain tests.
def _outcome(path: Path, sheet=None):
    """read_table's RawTable or StudyError; anything else propagates (the bug)."""
    try:
        return read_table(path, sheet)
    except StudyError as err:
        return err


def _write(tmp_path: Path, data: bytes, name: str = "wave.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data", [b"\xef\xbb\xbfid;Q1\nA;\x80\n", b"\xff\xfeA",
                                  b"\xff\xfe\x00\xd8a\x00"])
def test_bom_then_undecodable_bytes(tmp_path, data):
    """K1: detect_encoding trusts a byte-order mark; raw.decode() then raised
    UnicodeDecodeError (invalid UTF-8 after a UTF-8 BOM, odd length or lone
    surrogate after a UTF-16 BOM)."""
    path = _write(tmp_path, data)
    check_study_error(_outcome(path), path)


@pytest.mark.parametrize("data, rows", [(b"id;;\nA;1;2\n", [["A", "1", "2"]]),
                                        (b"id; ;\nA;1;2\n", [["A", "1", "2"]]),
                                        (b";\nA;1\n", [["A", "1"]])])
def test_several_blank_header_names(tmp_path, data, rows):
    """K2: two empty header cells: pd.read_csv(names=...) raised ValueError
    'Duplicate names are not allowed'."""
    path = _write(tmp_path, data)
    out = _outcome(path)
    if isinstance(out, StudyError):
        check_study_error(out, path)
    else:
        check_raw_table(out)
        assert out.data.values.tolist() == rows


@pytest.mark.parametrize("data, columns, lines", [(b"\nid;Q1\nA;1\n", ["id", "Q1"], [3]),
                                                  (b"\n\nid;Q1\nA;1\n", ["id", "Q1"], [4]),
                                                  (b'\r1"\r1', None, None)])
def test_blank_lines_before_the_header(tmp_path, data, columns, lines):
    """K3: a blank first line gave a header without names: a table WITHOUT COLUMNS
    (every row silently dropped), pandas EmptyDataError, or an IndexError in
    _skip_blank_rows."""
    path = _write(tmp_path, data)
    out = _outcome(path)
    if isinstance(out, StudyError):
        check_study_error(out, path)
        return
    check_raw_table(out)
    if columns is not None:
        assert list(out.data.columns) == columns and out.lines.tolist() == lines


def test_unclosed_quote_in_a_long_header(tmp_path):
    """K4: csv.reader in _split_header raised _csv.Error 'field larger than field
    limit' (a quote opened in the header, more than 131072 characters after it)."""
    path = _write(tmp_path, b'id;"Q1\n' + b"A;1\n" * 40000)
    check_study_error(_outcome(path), path)


@pytest.mark.parametrize("data", [b"id;Q1\nA;1;2\nB;3;4\n", b"id;Q1\nA;1;2\nB;3\n",
                                  b"id;Q1\nA;1;2;3\nB;3\n"])
def test_extra_fields_on_the_first_data_row(tmp_path, data):
    """K5: pandas took the extra leading fields of the first data row as an index:
    cells shifted one column left, ids lost, later short rows vanished."""
    path = _write(tmp_path, data)
    out = _outcome(path)
    assert isinstance(out, StudyError), f"loaded as {out.data.to_dict('list')}"
    check_study_error(out, path)
    assert out.line == 2 and "fields" in out.message


def test_malformed_line_after_a_multiline_cell(tmp_path):
    """K6a: pandas' 'Expected N fields in line L' counts records, not physical
    lines: line 3 was reported for line 4."""
    path = _write(tmp_path, b'id;Q1\nA;"x\ny"\nB;1;2\n')
    out = _outcome(path)
    assert isinstance(out, StudyError) and out.line == 4, str(out)


@pytest.mark.parametrize("data, line", [(b'id;Q1\nA;1\nB;"open\nC;2\n', 3),
                                        (b'id;"Q1\nA;1\n', 1)])
def test_unclosed_quote_line(tmp_path, data, line):
    """K6b: pandas' 'EOF inside string starting at row N' is 0-based: line 2 was
    reported for line 3, and 'line 0' for the header."""
    path = _write(tmp_path, data)
    out = _outcome(path)
    assert isinstance(out, StudyError) and out.line == line, str(out)


@pytest.mark.parametrize("sheets, member, how, sheet", [
    (2, "xl/worksheets/sheet1.xml", "half", None),
    (2, "xl/worksheets/sheet1.xml", "drop", "items"),
    (1, "xl/worksheets/sheet1.xml", "drop", None)])
def test_damaged_worksheet(tmp_path, sheets, member, how, sheet):
    """K7: read_excel guarded only pd.ExcelFile(): a damaged worksheet raised
    ParseError in pd.read_excel, and a workbook left with no readable sheet
    raises IndexError at ``sheets[0]``."""
    path = _write(tmp_path, _damage(sheets, member, how), "wave.xlsx")
    check_study_error(_outcome(path, sheet), path)


@pytest.mark.parametrize("value", ["inf", "-inf", "1e300"])
def test_codebook_value_not_a_finite_number(tmp_path, value):
    """K8: 'inf' passed the whole-number check (inf == round(inf)) and
    astype('Int64') raised OverflowError / TypeError."""
    (tmp_path / "items.csv").write_text("item;dimension;scale\nQ1;D;s\n", encoding="utf-8")
    (tmp_path / "scales.csv").write_text(f"scale;value;label\ns;1;a\ns;{value};b\n",
                                         encoding="utf-8")
    with pytest.raises(StudyError) as err:
        read_codebook(tmp_path)
    assert err.value.line == 3 and err.value.column == "value"
    check_study_error(err.value, tmp_path / "scales.csv")


def test_nothing_kept_anywhere(tmp_path):
    """K9: with no questionnaire kept anywhere, Processed.write's schema check
    raised pandera SchemaErrors ('candidate' float64): a traceback from the CLI."""
    (tmp_path / "cb").mkdir()
    (tmp_path / "cb" / "items.csv").write_text("item;dimension;scale\nQ1;D;s\n", encoding="utf-8")
    (tmp_path / "cb" / "scales.csv").write_text("scale;value;label\ns;1;a\ns;2;b\n",
                                                encoding="utf-8")
    (tmp_path / "T1.csv").write_text("id;Q1\n;1\nB;x\n", encoding="utf-8")
    (tmp_path / "study.yml").write_text(
        "title: t\nid_column: id\ncodebook: cb\nwaves:\n  - key: T1\n    file: T1.csv\n",
        encoding="utf-8")
    try:   # what `impactlib clean STUDY --out DIR` runs; it catches StudyError only
        clean_study(tmp_path / "study.yml", key=KEY).write(tmp_path / "out")
    except StudyError as err:
        check_study_error(err)


def test_label_that_folds_to_nothing(tmp_path):
    """K10: a label of combining accents only ('\u0301') was accepted; every EMPTY
    cell then matched it: status 'missing' but a value, counted by the scores."""
    (tmp_path / "items.csv").write_text("item;dimension;scale\nQ1;D;s\nQ2;D;s\n", encoding="utf-8")
    (tmp_path / "scales.csv").write_text("scale;value;label\ns;1;\u0301\ns;2;b\n", encoding="utf-8")
    try:
        cb = read_codebook(tmp_path)
    except StudyError as err:                     # refused: fine
        check_study_error(err, tmp_path / "scales.csv")
        return
    out = map_cells(np.array(["", "b"], dtype=object), np.array(["s", "s"], dtype=object), cb)
    assert out["status"].tolist() == ["missing", "answered"]
    assert pd.isna(out["raw_value"].iloc[0])


@pytest.mark.parametrize("data, columns", [(b'"9\n";0\nA;1\n', ["9", "0"]),
                                           (b'id;"Q1,,\nsuite";Q2\nA;1;2\n', ["id", "Q1,,\nsuite", "Q2"])])
def test_line_break_in_a_header_cell(tmp_path, data, columns):
    """K11: the delimiter was detected on the first PHYSICAL line: with a line
    break in a header cell the header was split on the wrong delimiter
    (silently one column '9\\n;0', or a crash)."""
    path = _write(tmp_path, data)
    out = _outcome(path)
    assert not isinstance(out, StudyError), str(out)
    assert list(out.data.columns) == columns
    assert out.lines.tolist() == [3]


# --------------------------------------------------------------------------
# issue 9: 8-bit encodings beyond Windows-1252, workbook number formats
# --------------------------------------------------------------------------
FRENCH_WORDS = ["Tout à fait d'accord", "Plutôt d'accord", "Pas du tout d'accord",
                "Ne sait pas", "Très souvent", "Déçu", "Où", "Août", "Élevé", "Noël",
                "Cœur", "Ça va", "Être", "Sûr", "Maïs"]


@given(encoding=st.sampled_from(["cp1252", "mac_roman", "iso8859_15", "cp850"]),
       labels=st.lists(st.sampled_from(FRENCH_WORDS), min_size=3, max_size=8,
                       unique=True),
       rows=st.integers(min_value=1, max_value=15), data=st.data(),
       newline=st.sampled_from(["\r\n", "\n", "\r"]))
def test_eight_bit_exports_decode_to_the_codebook_labels(encoding, labels, rows, data,
                                                         newline):
    """Oracle: the text written. Any encoding that gives the same text is right."""
    labels = [w for w in labels if all(c in w.encode(encoding, "ignore").decode(encoding)
                                       for c in w)]
    assume(len(labels) >= 2 and any(not w.isascii() for w in labels))
    answers = data.draw(st.lists(st.sampled_from(labels), min_size=rows, max_size=rows))
    text = newline.join(["id;Q1"] + [f"C{i};{a}" for i, a in enumerate(answers)]) + newline
    with fresh_dir() as d:
        path = d / "wave.csv"
        path.write_bytes(text.encode(encoding))
        table = read_table(path, known=labels)
    assert table.data["Q1"].tolist() == answers
    assert table.lines.tolist() == list(range(2, rows + 2))


@given(numbers=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=20),
       width=st.integers(min_value=1, max_value=10))
def test_zero_formatted_workbook_numbers_read_as_excel_shows_them(numbers, width):
    """Oracle: Excel's display of a whole number under the format 0...0 (``width``
    zeros): at least ``width`` digits, padded with zeros (``str.zfill``)."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(["id", "Q1"])
    fmt = "0" * width
    for n in numbers:
        ws.append([n, 1])
        ws.cell(row=ws.max_row, column=1).number_format = fmt
    with fresh_dir() as d:
        path = d / "wave.xlsx"
        book.save(path)
        table = read_table(path)
    assert table.data["id"].tolist() == [str(n).zfill(width) for n in numbers]
    assert table.data["Q1"].tolist() == ["1"] * len(numbers)
