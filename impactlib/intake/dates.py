"""Dates as the exports write them, read to the study's local calendar day.

Accepted forms (each cell may use any of them; examples are 1 March 2025):

==================================  ==============================================
form                                example
==================================  ==============================================
day first (Belgium)                 ``01/03/2025``, ``1-3-2025``, ``01.03.2025``,
                                    ``01/03/25``, with an optional time
                                    ``01/03/2025 10:15`` or ``01/03/2025 10:15:00``
ISO 8601, no time zone              ``2025-03-01``, ``2025-03-01 10:15:00``,
                                    ``2025-03-01T10:15:00.123`` (a workbook
                                    datetime with milliseconds, as Google Sheets
                                    downloads write them)
ISO 8601 with a time zone           ``2025-03-01T09:15:00Z``,
                                    ``2025-03-01T10:15:00+01:00``,
                                    ``2025-03-01 10:15:00+0100``
survey tools' time stamps           ``2025/03/01 10:15:00 AM GMT+1``,
                                    ``2025/03/01 22:15:00 UTC+01:00``,
                                    ``2025/03/01 10:15`` (year first with slashes,
                                    12- or 24-hour clock, optional GMT/UTC offset,
                                    as Google Forms' CSV download writes them)
Excel serial number                 ``45717`` (a day) or ``45717.427`` (a day and
                                    a time of day, as a workbook cell formatted
                                    as a number gives it)
==================================  ==============================================

A time stamp with a time zone (``Z`` is UTC) is converted to the study's
local time zone (``Europe/Brussels`` unless ``timezone:`` in ``study.yml``
says otherwise) before its day is taken: ``2025-02-28T23:30:00Z`` is
1 March in Brussels. Times without a zone are taken as local already. Every
date is kept to the day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["parse_dates", "DATE_FORMATS", "DEFAULT_TIMEZONE"]

DEFAULT_TIMEZONE = "Europe/Brussels"
# Day first, as in Belgium; tried in this order on what ISO 8601 leaves.
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y",
                "%d.%m.%Y", "%d/%m/%y", "%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SLASHED = (r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"
            r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}(?:[.,]\d{1,9})?))?"
            r"(?:\s*(?P<ampm>[AaPp]\.?[Mm]\.?))?)?"
            r"(?:\s*(?:GMT|UTC)?\s*(?P<sign>[+-])(?P<zh>\d{1,2})(?::?(?P<zm>\d{2}))?"
            r"|\s*(?P<utc>GMT|UTC|Z))?$")
_ISO = (r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?"
        r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?$")


def parse_dates(text: pd.Series, timezone: str = DEFAULT_TIMEZONE) -> pd.Series:
    """Parse text dates to the local calendar day; NaT where empty or unreadable.

    Parameters
    ----------
    text : pandas.Series
        Dates as the export wrote them (text; see the module's table of forms).
    timezone : str
        IANA name of the study's time zone; time stamps carrying a zone are
        converted to it before the day is taken.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` at midnight of each day, NaT where the cell is empty
        or in no accepted form.

    Notes
    -----
    Each distinct text is parsed once (a date column repeats the same days
    on many rows), and each form at once on all the texts still unparsed, so
    the work stays vectorized. Excel serial numbers are read between 1 and 109574
    (year 2199); their fraction (the time of day) is dropped.

    Examples
    --------
    >>> s = pd.Series(["05/01/2024", "2024-01-05", "45296", "45296.75",
    ...                "2024-01-04T23:30:00Z", "2024-01-05T10:00:00.250+01:00", ""])
    >>> parse_dates(s).dt.strftime("%Y-%m-%d").tolist()
    ['2024-01-05', '2024-01-05', '2024-01-05', '2024-01-05', '2024-01-05', '2024-01-05', nan]
    """
    codes, distinct = pd.factorize(text.astype("string").fillna(""))
    days = _parse_distinct(pd.Series(distinct, dtype="string"), timezone)
    return pd.Series(days.to_numpy()[codes] if len(codes) else days.to_numpy()[:0],
                     index=text.index, dtype="datetime64[ns]")


def _parse_distinct(text: pd.Series, timezone: str) -> pd.Series:
    """:func:`parse_dates` of each text (no repeats needed), on a default index."""
    s = _slashed_to_iso(text.str.strip())
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = s != ""
    if todo.any():
        iso = s[todo].str.extract(_ISO, expand=True)["zone"]
        is_iso = s[todo].str.match(_ISO)
        naive = is_iso & iso.isna()
        zoned = is_iso & iso.notna()
        if naive.any():
            values = s[todo][naive].str.replace(",", ".", regex=False)
            out[naive[naive].index] = pd.to_datetime(values, format="ISO8601", errors="coerce")
        if zoned.any():
            values = s[todo][zoned].str.replace(",", ".", regex=False)
            utc = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
            out[zoned[zoned].index] = utc.dt.tz_convert(timezone).dt.tz_localize(None)
        todo &= out.isna()
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        out[todo] = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        todo &= out.isna()
    if todo.any():
        number = pd.to_numeric(s[todo].str.replace(",", ".", regex=False), errors="coerce")
        ok = number.notna() & number.between(1, 109575, inclusive="left")
        if ok.any():
            idx = ok[ok].index
            days = np.floor(number[idx].to_numpy(dtype=float)).astype("int64")
            out[idx] = EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
    return out.dt.normalize()


def _slashed_to_iso(s: pd.Series) -> pd.Series:
    """Rewrite ``2025/03/01 10:15:00 PM GMT+1`` as ISO ``2025-03-01T22:15:00+01:00``.

    Cells of other forms are returned unchanged.
    """
    slashed = s.str.match(r"^\d{4}/")
    if not slashed.any():
        return s
    parts = s[slashed].str.extract(_SLASHED)
    ok = parts["y"].notna()
    if not ok.any():
        return s
    parts = parts[ok]
    hour = pd.to_numeric(parts["H"], errors="coerce")
    ampm = parts["ampm"].fillna("").str.lower().str.replace(".", "", regex=False)
    bad_clock = ampm.ne("") & ~hour.between(1, 12)
    hour = hour.where(~ampm.eq("am") | hour.ne(12), 0)
    hour = hour.where(~ampm.eq("pm") | hour.eq(12), hour + 12)
    iso = (parts["y"] + "-" + parts["m"].str.zfill(2) + "-" + parts["d"].str.zfill(2))
    timed = parts["H"].notna()
    clock = ("T" + hour.astype("Int64").astype("string").str.zfill(2) + ":" + parts["M"] + ":"
             + parts["S"].fillna("00").str.zfill(2))
    iso = iso.where(~timed, iso + clock)
    zone = (parts["sign"] + parts["zh"].str.zfill(2) + ":" + parts["zm"].fillna("00"))
    iso = iso.where(parts["sign"].isna(), iso + zone)
    iso = iso.where(parts["utc"].isna(), iso + "Z")
    iso[bad_clock] = "not a date"
    out = s.copy()
    out[iso.index] = iso
    return out
