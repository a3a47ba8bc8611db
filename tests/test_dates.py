"""Dates as tools write them: every accepted form, time zones, Excel serials.

Expected days are worked out by hand from the calendar: Brussels is UTC+1 in
winter and UTC+2 from the last Sunday of March to the last Sunday of October.
Excel serial 45717 is 1 March 2025: Excel counts days from 30 December 1899
(after its 1900 leap-year bug), and ``(date(2025, 3, 1) - date(1899, 12,
30)).days`` is 45717.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from impactlib.intake.dates import parse_dates

BRUSSELS = ZoneInfo("Europe/Brussels")


def _day(values, **kw) -> list:
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d")
            for v in parse_dates(pd.Series(values, dtype=object), **kw)]


@pytest.mark.parametrize("text, day", [
    # day first, as French-Belgian Excel and Google Forms (fr) write them
    ("01/03/2025", "2025-03-01"), ("1/3/2025", "2025-03-01"), ("01-03-2025", "2025-03-01"),
    ("01.03.2025", "2025-03-01"), ("01/03/25", "2025-03-01"),
    ("01/03/2025 10:15", "2025-03-01"), ("01/03/2025 10:15:00", "2025-03-01"),
    # ISO without a zone: taken as local time
    ("2025-03-01", "2025-03-01"), ("2025-03-01 23:59:59", "2025-03-01"),
    ("2025-03-01T10:15:00", "2025-03-01"),
    # workbook datetimes with milliseconds (Google Sheets downloads), comma or point
    ("2025-03-01 10:15:00.123000", "2025-03-01"), ("2025-03-01T10:15:00,5", "2025-03-01"),
    # ISO with a zone: converted to Brussels, then the day is taken
    ("2025-03-01T10:15:00+01:00", "2025-03-01"),
    ("2025-02-28T23:30:00Z", "2025-03-01"),            # 00:30 in Brussels (UTC+1)
    ("2025-03-01T23:30:00Z", "2025-03-02"),            # 00:30 on the 2nd
    ("2025-07-01T22:30:00Z", "2025-07-02"),            # summer: UTC+2 -> 00:30
    ("2025-07-01T21:30:00Z", "2025-07-01"),            # summer: 23:30
    ("2025-03-01T01:00:00+05:00", "2025-02-28"),       # 20:00 UTC = 21:00 in Brussels
    ("2025-03-01 10:15:00+0100", "2025-03-01"),
    ("2025-03-01T10:15:00.250-05:00", "2025-03-01"),   # 16:15 in Brussels
    # Google Forms' CSV download: year first with slashes, 12-hour clock, GMT offset
    ("2025/03/01 10:15:00 AM GMT+1", "2025-03-01"),
    ("2025/03/01 11:30:00 PM GMT+1", "2025-03-01"),    # 23:30 in Brussels
    ("2025/03/01 11:30:00 PM GMT-5", "2025-03-02"),    # 04:30 UTC = 05:30 in Brussels
    ("2025/03/01 12:10:00 AM GMT+1", "2025-03-01"),    # 00:10
    ("2025/7/1 23:30:00 UTC", "2025-07-02"),           # summer: 01:30 on the 2nd
    ("2025/03/01 22:15 UTC+01:00", "2025-03-01"),
    ("2025/03/01", "2025-03-01"), ("2025/03/01 13:00:00 PM", None),
    # Excel serial numbers, with or without a time of day (point or comma)
    ("45717", "2025-03-01"), ("45717.99", "2025-03-01"), ("45717,5", "2025-03-01"),
    # not a date
    ("", None), ("   ", None), ("demain", None), ("32/01/2025", None), ("0", None),
    ("2025-13-01", None),
])
def test_each_accepted_form(text, day):
    assert _day([text]) == [day]


def test_the_study_time_zone_is_used():
    # 2025-03-01T03:00Z is 22:00 on 28 February in New York (UTC-5).
    assert _day(["2025-03-01T03:00:00Z"], timezone="America/New_York") == ["2025-02-28"]
    assert _day(["2025-03-01T03:00:00Z"]) == ["2025-03-01"]


def test_mixed_forms_in_one_column_keep_their_rows():
    values = ["2025-02-28T23:30:00Z", "01/03/2025", "", "45718", "2025-03-01T10:00:00+01:00"]
    assert _day(values) == ["2025-03-01", "2025-03-01", None, "2025-03-02", "2025-03-01"]


@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1),
                    timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=1)),
                                               dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
                                               dt.timezone(dt.timedelta(hours=2))])),
       st.sampled_from(["T", " "]), st.booleans())
def test_any_zoned_timestamp_gives_its_brussels_day(moment, sep, millis):
    """Oracle: Python's zoneinfo conversion of the same instant."""
    text = moment.isoformat(sep=sep, timespec="milliseconds" if millis else "seconds")
    text = text.replace("+00:00", "Z") if moment.utcoffset() == dt.timedelta(0) else text
    expected = moment.astimezone(BRUSSELS).date().isoformat()
    assert _day([text]) == [expected], text


@given(st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2199, 12, 31)))
def test_any_excel_serial_gives_its_day(moment):
    """Oracle: the serial is the number of days since 1899-12-30, plus the time as a fraction."""
    moment = moment.replace(microsecond=0)   # whole seconds, as workbooks store them
    serial = (moment - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)
    assert _day([repr(serial)]) == [moment.date().isoformat()]


@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)),
       st.integers(min_value=-11, max_value=12), st.booleans())
def test_any_google_forms_timestamp_gives_its_brussels_day(naive, hours, twelve_hour):
    """Oracle: zoneinfo on the same instant, written as Google Forms' CSV writes it."""
    moment = naive.replace(microsecond=0, tzinfo=dt.timezone(dt.timedelta(hours=hours)))
    clock = moment.strftime("%I:%M:%S %p" if twelve_hour else "%H:%M:%S")
    text = f"{moment:%Y/%m/%d} {clock} GMT{hours:+d}"
    expected = moment.astimezone(BRUSSELS).date().isoformat()
    assert _day([text]) == [expected], text
