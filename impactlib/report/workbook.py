"""``results/results.xlsx``: the results tables as a workbook for Excel users.

The CSV files of ``results/`` stay standard for programs (UTF-8, ``,``
separator, ``.`` decimal point); a French Excel opens them badly (mangled
accents, everything in one column). :func:`write_workbook` writes the same
tables beside them as one workbook, ``results.xlsx`` (one fixed name in every
language, so that the documentation can name it):

* a first sheet, "À lire" ("Read me" in English), with the study, the period
  and what each sheet holds (each sheet's name links to it);
* one sheet per results table, in the order of the contract
  (:mod:`impactlib.report.contract`), named in the report's language (31
  characters at most, unique), with the column headers translated
  (``workbook.columns.<column>`` in ``locales/<lang>/workbook.yml``; a column
  without a translation keeps its name), the header row frozen, an autofilter
  and column widths fitted to the content;
* numbers stored as numbers, with a number format per column: counts ``0``,
  shares (0-1) ``0.0%``, percentages (0-100) ``0.0``, p-values ``0.000``
  (shown ``< 0,001`` below 0.001), days ``0.0``, other numbers ``0.00``, dates
  ``yyyy-mm-dd``. Formats are stored independently of the locale: Excel shows
  them with the reader's decimal comma or point. Only the display is rounded:
  the cells hold the same values as the CSV files (10 significant digits).
  True/False are Excel booleans; a missing value is an empty cell.

Text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is neutralized as in the CSV files (:func:`impactlib.safe_csv.neutralize_formulas`:
a leading apostrophe) and always stored as text, never as a formula.

The same tables give the same bytes: the workbook's created and modified
times, and the times of the files inside it (an ``.xlsx`` is a zip archive),
are set from the end of the report's period, not from the clock
(:mod:`impactlib.stable_xlsx`).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from impactlib.report import contract
from impactlib.report.i18n import Translator
from impactlib.safe_csv import neutralize_formulas
from impactlib.stable_xlsx import fixed_day, stable_bytes

__all__ = ["WORKBOOK_NAME", "write_workbook", "workbook_bytes", "column_format", "sheet_names",
           "header"]

WORKBOOK_NAME = "results.xlsx"

#: Number formats (locale-free codes: Excel shows the reader's decimal separator).
COUNT, SHARE, PERCENT, NUMBER, DAYS, DATE = "0", "0.0%", "0.0", "0.00", "0.0", "yyyy-mm-dd"
P_VALUE_COLUMNS = ("p_value", "p_adjusted", "p_satterthwaite")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Characters that XML 1.0 (hence an .xlsx file) cannot hold; tab, LF and CR can.
_ILLEGAL_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_MAX_WIDTH = 50


def column_format(table: str, column: str, dtype, lang: str = "fr") -> str | None:
    """The number format of a column (``None``: Excel's General, for text and booleans).

    Parameters
    ----------
    table, column : str
        The results table and column; the contract says what the column holds
        (a share 0-1 or a percentage 0-100...) when it knows them.
    dtype : numpy or pandas dtype
        The column's dtype (used for a column outside the contract).
    lang : str
        ``fr`` or ``en``: the text shown for a p-value under 0.001.

    Examples
    --------
    >>> column_format("funnel", "retention_from_first", "float64")
    '0.0%'
    >>> column_format("item_change", "pct_improved", "float64")
    '0.0'
    >>> column_format("quality", "rows_read", "int64")
    '0'
    """
    spec = contract.SCHEMAS.get(table, None)
    spec = spec.columns.get(column) if spec is not None else None
    kind = spec.title if spec is not None else _kind_of(dtype)
    if kind in ("int64", "Int64"):
        return COUNT
    if kind == "datetime":
        return DATE
    if kind != "float64":
        return None
    if column in P_VALUE_COLUMNS:
        text = "< 0,001" if lang == "fr" else "< 0.001"
        return f'[<0.001]"{text}";0.000'
    if column.startswith("pct"):
        return PERCENT
    low, high = _range(spec)
    if (low, high) == (0, 1):
        return SHARE
    if (low, high) == (0, 100):
        return PERCENT
    if column.endswith("_days"):
        return DAYS
    return NUMBER


def _kind_of(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int64"
    if pd.api.types.is_float_dtype(dtype):
        return "float64"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "str"


def _range(spec) -> tuple:
    """``(min, max)`` of a contract column's ``in_range`` check, else ``(None, None)``."""
    for check in (spec.checks if spec is not None else []):
        if check.name == "in_range":
            return check.statistics["min_value"], check.statistics["max_value"]
    return None, None


def header(table: str, column: str, tr: Translator) -> str:
    """The header of ``column`` in the workbook: its translation, else its name.

    ``workbook.by_table.<table>.<column>`` (a column whose meaning depends on
    its table) comes before ``workbook.columns.<column>``.
    """
    strings = tr.strings
    return strings.get(f"workbook.by_table.{table}.{column}",
                       strings.get(f"workbook.columns.{column}", str(column)))


def sheet_names(tables, tr: Translator) -> dict[str, str]:
    """``{table: sheet name}``: translated, 31 characters at most, unique.

    Characters a sheet name cannot hold (``[]:*?/\\``) are replaced by ``-``;
    a name already taken (Excel compares them ignoring case) gets `` (2)``...
    """
    taken = {tr.t("workbook.readme.sheet").casefold()}
    out = {}
    for table in tables:
        name = _SHEET_FORBIDDEN.sub("-", tr.strings.get(f"workbook.sheets.{table}.name", table))
        name = name.strip("'").strip() or "-"
        candidate, n = name[:31], 1
        while candidate.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            candidate = name[:31 - len(suffix)] + suffix
        taken.add(candidate.casefold())
        out[table] = candidate
    return out


def _cell_values(values: pd.Series) -> list:
    """The cells of a column, as openpyxl takes them (``None``: an empty cell)."""
    kind = _kind_of(values.dtype)
    if kind == "bool":
        return [bool(v) for v in values.to_numpy(dtype=bool)]
    if kind == "int64":
        numbers = values.astype("Int64")
        missing = numbers.isna().to_numpy()
        ints = numbers.fillna(0).to_numpy(dtype=np.int64).tolist()
        return [None if m else v for v, m in zip(ints, missing)]
    if kind == "float64":
        floats = values.to_numpy(dtype=float)
        finite = np.isfinite(floats)
        # the same numbers as the CSV files: 10 significant digits
        rounded = np.char.mod(contract.FLOAT_FORMAT, np.where(finite, floats, 0.0)).astype(float)
        out = np.where(finite, rounded, None).astype(object)
        infinite = np.isinf(floats)
        out[infinite] = np.where(floats[infinite] > 0, "inf", "-inf")   # as the CSV writes them
        return out.tolist()
    if kind == "datetime":
        stamps = pd.to_datetime(values)
        return [None if pd.isna(v) else v.to_pydatetime() for v in stamps]
    text = values.astype("string").str.replace(_ILLEGAL_XML, "\ufffd", regex=True)
    return [None if pd.isna(v) or v == "" else str(v) for v in text]


def _fill_table(ws, name: str, table: pd.DataFrame, tr: Translator) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    safe = neutralize_formulas(table)
    labels = pd.DataFrame([[header(name, c, tr) for c in table.columns]], dtype=object)
    headers = [str(h) for h in neutralize_formulas(labels).iloc[0]] if len(labels.columns) else []
    ws.append(headers)
    columns = [_cell_values(safe[c]) for c in safe.columns]
    for row in zip(*columns):
        ws.append(row)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, (column, values) in enumerate(zip(table.columns, columns), start=1):
        letter = get_column_letter(j)
        top = ws.cell(row=1, column=j)
        top.font, top.alignment = bold, wrap
        fmt = column_format(name, str(column), table[column].dtype, tr.lang)
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            if isinstance(cell.value, str):
                cell.data_type = "s"        # never a formula, whatever the text
            elif fmt is not None:
                cell.number_format = fmt
        widest = max((len(v) for v in values if isinstance(v, str)), default=0)
        numeric = 10 if fmt is not None else 0
        ws.column_dimensions[letter].width = min(_MAX_WIDTH, max(8, min(len(headers[j - 1]), 30),
                                                              widest, numeric) + 2)
    ws.freeze_panes = "A2"
    if table.columns.size:
        ws.auto_filter.ref = f"A1:{get_column_letter(table.columns.size)}{max(1, len(table) + 1)}"


def _fill_readme(ws, sheets: dict[str, str], tables: dict[str, pd.DataFrame], tr: Translator,
                 study_title: str, period: str, version: str | None) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import quote_sheetname
    from openpyxl.worksheet.hyperlink import Hyperlink

    lines = [tr.t("workbook.readme.title", title=study_title),
             tr.t("workbook.readme.period", period=period)]
    if version:
        lines.append(tr.t("workbook.readme.made_by", version=version))
    lines += ["", tr.t("workbook.readme.csv"), tr.t("workbook.readme.numbers"),
              tr.t("workbook.readme.empty"), ""]
    for line in lines:
        ws.append([line or None])
    ws["A1"].font = Font(bold=True, size=14)
    head = ws.max_row + 1
    ws.append([tr.t("workbook.readme.col_sheet"), tr.t("workbook.readme.col_about"),
               tr.t("workbook.readme.col_rows"), tr.t("workbook.readme.col_file")])
    for cell in ws[head]:
        cell.font = Font(bold=True)
    for table, sheet in sheets.items():
        about = tr.strings.get(f"workbook.sheets.{table}.about", "")
        ws.append([sheet, about or None, len(tables[table]), f"results/{table}.csv"])
        link = ws.cell(row=ws.max_row, column=1)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"{quote_sheetname(sheet)}!A1")
        link.font = Font(underline="single", color="0563C1")
        ws.cell(row=ws.max_row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=ws.max_row, column=3).number_format = COUNT
    for letter, width in zip("ABCD", (32, 80, 10, 32)):
        ws.column_dimensions[letter].width = width


def workbook_bytes(results: dict[str, pd.DataFrame], tr: Translator, study_title: str,
                   period: str, as_of=None, version: str | None = None) -> bytes:
    """The bytes of ``results.xlsx`` (see :func:`write_workbook`)."""
    from openpyxl import Workbook

    order = [t for t in contract.SCHEMAS if t in results] + [t for t in results
                                                            if t not in contract.SCHEMAS]
    sheets = sheet_names(order, tr)
    when = fixed_day(as_of)
    wb = Workbook()
    readme = wb.active
    readme.title = tr.t("workbook.readme.sheet")
    _fill_readme(readme, sheets, results, tr, study_title, period, version)
    for table in order:
        _fill_table(wb.create_sheet(sheets[table]), table, results[table], tr)
    wb.properties.creator = "impactlib"
    wb.properties.title = study_title
    wb.properties.created = wb.properties.modified = when
    buffer = io.BytesIO()
    wb.save(buffer)
    return stable_bytes(buffer.getvalue(), when)   # no clock time in it


def write_workbook(results: dict[str, pd.DataFrame], path: str | Path, tr: Translator,
                   study_title: str, period: str, as_of=None, version: str | None = None) -> Path:
    """Write the results tables to the workbook ``path`` (``results/results.xlsx``).

    Parameters
    ----------
    results : dict of DataFrame
        The results tables (:func:`impactlib.report.results.build_results`),
        keyed by their name.
    path : str or Path
        The workbook to write (replaced if it exists).
    tr : Translator
        The report's language: sheet names, headers, the "Read me" sheet.
    study_title, period : str
        The study and the period in words, for the "Read me" sheet.
    as_of : date, ISO text or Timestamp, optional
        The end of the report's period: the workbook's created/modified time
        (no clock time, so the same tables give the same bytes).
    version : str, optional
        impactlib's version, named on the "Read me" sheet.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.write_bytes(workbook_bytes(results, tr, study_title, period, as_of, version))
    return path
