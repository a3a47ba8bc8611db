"""Shared fixtures: a fixed pseudonymization key, the demo study, small studies."""

from __future__ import annotations

import textwrap
from pathlib import Path

import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from impactlib.intake.demo import write_demo
from impactlib.intake.processed import clean_study

TEST_KEY = "test-key-not-secret"

# Hypothesis profiles for every property test: ``ci`` (default: 40 examples,
# derandomized, so CI is deterministic) or ``fuzz`` (2000 random examples,
# ``make fuzz``), chosen with HYPOTHESIS_PROFILE.
_SLOW = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
         HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                          database=None, suppress_health_check=_SLOW, print_blob=True)
settings.register_profile("fuzz", max_examples=2000, deadline=None,
                          suppress_health_check=_SLOW, print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    """Never touch a real key file from the tests."""
    monkeypatch.setenv("IMPACTLIB_KEY", TEST_KEY)


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory) -> Path:
    """The default demo study (309 candidates), written once per session."""
    return write_demo(tmp_path_factory.mktemp("demo") / "demo")


@pytest.fixture(scope="session")
def demo_processed(demo_study):
    mp = pytest.MonkeyPatch()
    mp.setenv("IMPACTLIB_KEY", TEST_KEY)
    try:
        return clean_study(demo_study)
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def demo_report(demo_study, tmp_path_factory):
    """A full report of the demo study, produced once per session."""
    from impactlib.report.build import run_report

    mp = pytest.MonkeyPatch()
    mp.setenv("IMPACTLIB_KEY", TEST_KEY)
    out = tmp_path_factory.mktemp("report") / "demo"
    try:
        run_report(demo_study, out=out, processed=out.parent / "processed")
    finally:
        mp.undo()
    return out


ITEMS_CSV = """item,text,dimension,scale,reverse
A1,Je me sens capable,Confiance,accord,non
A2,Je doute de moi,Confiance,accord,oui
B1,Je sais chercher,Recherche,accord,non
B2,Mon CV est prêt,Recherche,accord,non
"""
SCALES_CSV = """scale,value,label
accord,1,Pas du tout d'accord
accord,2,Pas d'accord
accord,3,D'accord
accord,4,Tout à fait d'accord
accord,,Ne sait pas
"""


@pytest.fixture
def make_study(tmp_path):
    """Write a small study: ``make_study({"T1": "csv text", ...}, **options)``.

    Wave exports given as text are written as UTF-8 CSV files; give bytes to
    control the encoding, or a DataFrame to write a workbook. The codebook is a
    folder with 4 items (A2 reversed) on a 4-point scale plus "Ne sait pas".
    """
    def _make(waves: dict, items: str = ITEMS_CSV, scales: str = SCALES_CSV,
              extra: str = "", wave_options: dict | None = None) -> Path:
        (tmp_path / "codebook").mkdir(exist_ok=True)
        (tmp_path / "codebook" / "items.csv").write_text(items, encoding="utf-8")
        (tmp_path / "codebook" / "scales.csv").write_text(scales, encoding="utf-8")
        lines = ["title: Test", "id_column: id", "codebook: codebook", extra, "waves:"]
        for key, content in waves.items():
            if isinstance(content, pd.DataFrame):
                name = f"{key}.xlsx"
                content.to_excel(tmp_path / name, index=False)
            elif isinstance(content, bytes):
                name = f"{key}.csv"
                (tmp_path / name).write_bytes(content)
            else:
                name = f"{key}.csv"
                (tmp_path / name).write_text(textwrap.dedent(content).lstrip("\n"),
                                             encoding="utf-8")
            lines += [f"  - key: {key}", f"    file: {name}"]
            for opt, value in (wave_options or {}).get(key, {}).items():
                lines.append(f"    {opt}: {value}")
        path = tmp_path / "study.yml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return _make
