"""Processed tables: schemas, all-or-nothing writes, pseudonym keys, periods."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from impactlib.intake.processed import clean_study, load_processed, restrict_period
from impactlib.intake.pseudonym import load_key, pseudonymize


def test_write_and_read_back(demo_processed, tmp_path):
    folder = demo_processed.write(tmp_path / "processed")
    back = load_processed(folder)
    pd.testing.assert_frame_equal(back.responses, demo_processed.responses)
    pd.testing.assert_frame_equal(back.scores, demo_processed.scores)
    assert back.waves == ["T1", "T2", "T3"]
    assert {p.name for p in folder.iterdir()} >= {
        "responses.parquet", "scores.parquet", "candidates.parquet", "questionnaires.parquet",
        "quality.csv", "rejected_rows.csv", "invalid_cells.csv", "pseudonyms.csv"}
    inv = pd.read_csv(folder / "invalid_cells.csv")
    assert "raw_value" in inv.columns


def test_a_failed_write_leaves_the_old_folder(demo_processed, tmp_path, monkeypatch):
    folder = demo_processed.write(tmp_path / "processed")
    before = sorted(p.name for p in folder.iterdir())

    def boom(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError):
        demo_processed.write(folder)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["processed"]


def test_key_file_is_created_once_and_private(tmp_path, monkeypatch):
    for name in ("IMPACTLIB_KEY", "IMPACTLIB_KEY_FILE", "IMPACTLIB_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    key = load_key(root=tmp_path)             # the project's key: <root>/data/.pseudonym-key
    path = tmp_path / "data" / ".pseudonym-key"
    assert path.exists()
    if os.name == "posix":
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert load_key(root=tmp_path) == key and len(key) == 64
    ids = pd.Series(["a1", "b2", "a1"])
    assert pseudonymize(ids, key).tolist() == pseudonymize(ids, key).tolist()
    assert pseudonymize(ids, b"other").iloc[0] != pseudonymize(ids, key).iloc[0]


def test_pseudonym_is_the_documented_hmac():
    import hashlib
    import hmac
    # by hand: HMAC-SHA256(key=b"k", msg=b"a1"), first 16 hex digits
    expected = "C" + hmac.new(b"k", b"a1", hashlib.sha256).hexdigest()[:16]
    assert pseudonymize(pd.Series(["a1"]), b"k").iloc[0] == expected


def test_restrict_period_keeps_first_questionnaires_in_window(make_study):
    t1 = "id;date;A1\nA;05/01/2024;1\nB;05/03/2024;2\nC;05/05/2024;3\n"
    t2 = "id;date;A1\nA;05/04/2024;2\nB;05/06/2024;3\n"
    opts = {"T1": {"date_column": "date"}, "T2": {"date_column": "date"}}
    p = clean_study(make_study({"T1": t1, "T2": t2}, wave_options=opts))
    ids = p.pseudonyms.set_index("candidate")["id"]
    cut = restrict_period(p, since="2024-02-01", until="2024-05-31")
    kept = cut.candidates.assign(id=lambda d: d["candidate"].map(ids)).set_index("id")
    # A starts before the window; B starts in it but its T2 (June) is after until
    assert sorted(kept.index) == ["B", "C"]
    assert kept.loc["B", "pattern"] == "T1" and kept.loc["C", "pattern"] == "T1"
    assert set(cut.responses["candidate"]) == set(cut.candidates["candidate"])
    assert restrict_period(p) is p
