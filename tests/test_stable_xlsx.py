"""Workbooks with the same bytes for the same content, whatever the day or the system."""

from __future__ import annotations

import io
import sys
import zipfile

import pandas as pd
from openpyxl import load_workbook

from impactlib.stable_xlsx import stable_bytes, write_stable_xlsx


def _book() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"a": [1, 2], "b": ["x", "é"]}).to_excel(buffer, index=False)
    return buffer.getvalue()


def test_same_bytes_on_windows_and_linux_and_the_day_is_recorded(monkeypatch):
    linux = stable_bytes(_book(), "2025-03-01")
    monkeypatch.setattr(sys, "platform", "win32")     # zipfile records 0 (MS-DOS) there
    windows = stable_bytes(_book(), "2025-03-01")
    assert windows == linux
    with zipfile.ZipFile(io.BytesIO(linux)) as z:
        assert {i.date_time for i in z.infolist()} == {(2025, 3, 1, 0, 0, 0)}
        assert {i.create_system for i in z.infolist()} == {3}
        assert b"2025-03-01T00:00:00Z" in z.read("docProps/core.xml")
    assert stable_bytes(_book(), "2025-03-02") != linux


def test_written_workbook_reads_back(tmp_path):
    path = write_stable_xlsx(tmp_path / "w.xlsx", {"S": pd.DataFrame({"a": [1]})}, "2025-01-01")
    assert load_workbook(path)["S"]["A2"].value == 1
    assert not list(tmp_path.glob(".*.tmp"))
