"""Dates as the exports write them: dd/mm/yyyy, ISO, or Excel serial numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["parse_dates", "DATE_FORMATS"]

# Day first, as in Belgium; ISO for survey tools and workbooks.
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S",
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def parse_dates(text: pd.Series) -> pd.Series:
    """Parse text dates to day precision; NaT where empty or unreadable.

    Each format is tried on the cells still unparsed, so the work stays
    vectorized. Whole numbers between 1 and 109574 (year 2199) are read as
    Excel serial dates.

    Examples
    --------
    >>> parse_dates(pd.Series(["05/01/2024", "2024-01-05", "45296", ""])).dt.strftime("%Y-%m-%d").tolist()
    ['2024-01-05', '2024-01-05', '2024-01-05', nan]
    """
    s = text.astype("string").fillna("").str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = s != ""
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        out[todo] = parsed
        todo &= out.isna()
    if todo.any():
        number = pd.to_numeric(s[todo], errors="coerce")
        ok = number.notna() & (number == np.round(number)) & number.between(1, 109574)
        if ok.any():
            idx = ok[ok].index
            out[idx] = EXCEL_EPOCH + pd.to_timedelta(number[idx].astype("int64"), unit="D")
    return out.dt.normalize()
