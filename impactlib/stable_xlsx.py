"""Workbooks whose bytes depend only on their content (and a given day).

An ``.xlsx`` file is a zip archive. openpyxl stamps the clock's time twice:
in ``docProps/core.xml`` (created, modified) and on every zip member; the
zip members also record the system that wrote them (0 on Windows, 3
elsewhere). :func:`stable_bytes` rewrites an archive with one fixed day for
all of those and the same attributes on every system, so that the same
tables give the same bytes on Linux and Windows, today and tomorrow.

Every workbook the project writes goes through it: the report's
``results.xlsx``, the counsellors' follow-up list, the demo's exports.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd

__all__ = ["fixed_day", "stable_bytes", "write_stable_xlsx"]

_EARLIEST, _LATEST = dt.datetime(1980, 1, 1), dt.datetime(2107, 12, 31)   # what zip can hold


def fixed_day(day=None) -> dt.datetime:
    """Midnight of ``day`` (a date, ISO text or Timestamp; naive, UTC if zoned),
    kept within what a zip archive can record (1980 to 2107); 1980-01-01 when
    ``day`` is None or missing.

    Examples
    --------
    >>> fixed_day("2025-06-30 14:00")
    datetime.datetime(2025, 6, 30, 0, 0)
    >>> fixed_day(None)
    datetime.datetime(1980, 1, 1, 0, 0)
    """
    if day is None or (not isinstance(day, (str, dt.date)) and pd.isna(day)):
        return _EARLIEST
    stamp = pd.Timestamp(day)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return min(max(dt.datetime(stamp.year, stamp.month, stamp.day), _EARLIEST), _LATEST)


def stable_bytes(data: bytes, day=None) -> bytes:
    """The workbook ``data`` with every time set to ``day`` (see :func:`fixed_day`)
    and its zip members written the same way on every system.

    Examples
    --------
    >>> import io
    >>> def book():
    ...     buffer = io.BytesIO()
    ...     pd.DataFrame({"a": [1]}).to_excel(buffer, index=False)
    ...     return buffer.getvalue()
    >>> stable_bytes(book(), "2025-01-01") == stable_bytes(book(), "2025-01-01")
    True
    """
    when = fixed_day(day)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for member in src.infolist():
            content = src.read(member.filename)
            if member.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                                 rb"\g<1>" + stamp, content)
            info = zipfile.ZipInfo(member.filename, when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3                      # the same on Windows and Linux
            info.external_attr = 0o644 << 16
            dst.writestr(info, content)
    return out.getvalue()


def write_stable_xlsx(path: str | Path, sheets: dict[str, pd.DataFrame], day=None,
                      creator: str = "impactlib") -> Path:
    """Write ``sheets`` (name -> table, no index) to the workbook ``path`` with
    :func:`stable_bytes`; the file is replaced in one step."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
        writer.book.properties.creator = creator
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(stable_bytes(buffer.getvalue(), day))
    tmp.replace(path)
    return path
