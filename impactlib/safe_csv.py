"""CSV files that are safe to open in Excel or LibreOffice: no formula injection.

Every CSV the project writes goes through :func:`write_csv`. A text cell that
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
run as a formula by a spreadsheet (``=HYPERLINK(...)`` in a candidate's free
text, a registry value such as ``+ de 2 ans``). Following the OWASP advice on
CSV injection, such a cell is written with a leading apostrophe (``'=...``),
which spreadsheets show as text. Numbers stay numbers: numeric columns are
never touched, and a text cell that is a plain number (``-0.25``, ``+3``,
``-1,5``) is written as it is. A carriage return inside a text cell is
written as a line break (``\\n``), which CSV readers keep inside the quoted
cell, where a lone carriage return would end the row.

Reference: OWASP, "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["neutralize_formulas", "write_csv", "FORMULA_START"]

FORMULA_START = r"^[=+\-@\t\r]"
_PLAIN_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"


def _neutralize_text(values: pd.Series) -> pd.Series:
    text = values.astype("string")
    breaks = text.str.contains("\r", regex=False).fillna(False).to_numpy(dtype=bool)
    if breaks.any():  # a lone CR would end the CSV row in most readers
        text = text.str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
    risky = (text.str.contains(FORMULA_START, regex=True)
             & ~text.str.fullmatch(_PLAIN_NUMBER)).fillna(False).to_numpy(dtype=bool)
    if not risky.any() and not breaks.any():
        return values
    out = values.astype(object).copy()
    out[breaks] = text[breaks].astype(str)
    out[risky] = "'" + text[risky].astype(str)
    return out


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot start a formula.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table about to be written as CSV.

    Returns
    -------
    pandas.DataFrame
        The same table; text cells (and column names) beginning with ``=``,
        ``+``, ``-``, ``@``, tab or carriage return are prefixed with ``'``
        unless they are a plain number. Numeric, boolean and date columns are
        returned unchanged. When nothing needs changing, ``frame`` itself is
        returned.

    Examples
    --------
    >>> t = pd.DataFrame({"note": ["=1+1", "+ de 2 ans", "-0.25", "@SUM(A1)", "ok"],
    ...                   "x": [-1.5, 2, 3, 4, 5]})
    >>> neutralize_formulas(t)["note"].tolist()
    ["'=1+1", "'+ de 2 ans", '-0.25', "'@SUM(A1)", 'ok']
    >>> neutralize_formulas(t)["x"].tolist()
    [-1.5, 2.0, 3.0, 4.0, 5.0]
    """
    changed = {}
    for name in frame.columns:
        column = frame[name]
        if (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)
                or isinstance(column.dtype, pd.CategoricalDtype)):
            safe = _neutralize_text(column)
            if safe is not column:
                changed[name] = safe
    names = pd.Series([str(c) for c in frame.columns], dtype=object)
    safe_names = _neutralize_text(names)
    rename = safe_names is not names
    if not changed and not rename:
        return frame
    out = frame.copy()
    for name, values in changed.items():
        out[name] = values.to_numpy()
    if rename:
        out.columns = safe_names.tolist()
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **options) -> Path:
    """Write ``frame`` to ``path`` as CSV with formulas neutralized.

    ``options`` go to :meth:`pandas.DataFrame.to_csv` (``index=False`` unless
    given).
    """
    options.setdefault("index", False)
    neutralize_formulas(frame).to_csv(path, **options)
    return Path(path)
