"""Acceptance test: impactlib's statistics equal an independent R computation.

A synthetic study the project has never seen (``tests/r_reference/make_study.py``:
309 candidates, 160 at T1 only, 111 at T1+T2, 38 at T1+T2+T3; 20 items in 4
dimensions, half reverse-keyed, on a 4-point scale with "Je ne sais pas"; T1 and
T3 exports with labels, T2 with numeric codes) is cleaned with
:func:`impactlib.intake.processed.clean_study` and analysed with
:func:`impactlib.report.results.build_results`. Every value of the tables
``item_change``, ``reliability``, ``rci``, ``dimension_model`` and ``power`` is
compared with ``tests/r_reference/expected/*.csv``, written by
``tests/r_reference/reference.R`` from the RAW exports and codebook (R's
``wilcox.test``, ``p.adjust``, ``t.test``, ``psych::alpha``/``omega``, ``qf``,
``lme4::lmer``, ``confint``, ``lmerTest::contest`` (Satterthwaite df and
p-values of every wave pair), ``power.t.test``), never from impactlib's outputs.

Tolerances (absolute): item_change, reliability, rci 1e-6; dimension_model
1e-4; power 1e-3. Counts, labels and flags are compared exactly.

R is not needed to run this test: the R results are stored. To regenerate
them (after a deliberate change of the generator or of a definition)::

    python tests/r_reference/make_study.py DIR
    Rscript tests/r_reference/reference.R DIR tests/r_reference/expected

(R >= 4.2 with lme4, lmerTest, psych and yaml). ``reference.R`` also records the md5 of
every input file in ``expected/inputs.md5``; the first test checks that the
generator still writes those exact bytes, so a drift of the generator (or of
numpy's random streams) is reported as such instead of as wrong statistics.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impactlib.intake.processed import clean_study
from impactlib.report.results import build_results

from conftest import TEST_KEY

HERE = Path(__file__).resolve().parent / "r_reference"
EXPECTED = HERE / "expected"

# table -> (key columns, absolute tolerance of the floating-point columns)
TABLES = {
    "item_change": (["item", "from_wave", "to_wave"], 1e-6),
    "reliability": (["dimension", "wave"], 1e-6),
    "rci": (["dimension", "from_wave", "to_wave"], 1e-6),
    "dimension_model": (["dimension", "term"], 1e-4),
    "power": (["from_wave", "to_wave"], 1e-3),
}
# Columns compared exactly: counts, labels, flags.
EXACT = {"dimension", "from_wave", "to_wave", "n_pairs", "n_improved", "n_stable", "n_worsened",
         "n_nonzero", "n", "n_items", "heywood", "n_candidates", "n_observations",
         "n_first_wave", "n_for_d_0.2", "n_for_d_0.3", "n_for_d_0.5",
         "entrants_for_d_0.2", "entrants_for_d_0.3", "entrants_for_d_0.5"}
# R-only columns, checked by their own test below.
R_ONLY = {"dimension_model": {"singular"}}
# Known discrepancies: (table, column) -> reason (xfail strict). None so far.
KNOWN = {}


def _read_expected(name: str) -> pd.DataFrame:
    return pd.read_csv(EXPECTED / f"{name}.csv", keep_default_na=False, na_values=[""],
                       encoding="utf-8")


def _cases():
    for name, (keys, _) in TABLES.items():
        for column in _read_expected(name).columns:
            if column in keys or column in R_ONLY.get(name, ()):
                continue
            marks = ()
            if (name, column) in KNOWN:
                marks = pytest.mark.xfail(strict=True, reason=KNOWN[name, column])
            yield pytest.param(name, column, id=f"{name}-{column}", marks=marks)


def _load_generator():
    spec = importlib.util.spec_from_file_location("r_reference_make_study", HERE / "make_study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("r_reference") / "study"
    _load_generator().write_study(folder)
    return folder


@pytest.fixture(scope="module")
def results(study) -> dict[str, pd.DataFrame]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMPACTLIB_KEY", TEST_KEY)
        processed = clean_study(study / "study.yml")
    return build_results(processed)


@pytest.fixture(scope="module")
def merged(results) -> dict[str, pd.DataFrame]:
    """Expected (``_r``) and impactlib (``_py``) columns side by side, per table."""
    out = {}
    for name, (keys, _) in TABLES.items():
        expected = _read_expected(name)
        got = results[name].copy()
        for col in got.columns:     # ordered Categoricals (waves) -> plain text
            if isinstance(got[col].dtype, pd.CategoricalDtype):
                got[col] = got[col].astype(str)
        for col in keys:
            expected[col] = expected[col].astype(str)
            got[col] = got[col].astype(str)
        out[name] = expected.merge(got, on=keys, how="outer", suffixes=("_r", "_py"),
                                   indicator=True, validate="one_to_one")
    return out


def test_generator_writes_the_reference_inputs(study):
    """Same seed, same bytes: the study is the one the R reference was computed on."""
    recorded = {}
    for line in (EXPECTED / "inputs.md5").read_text(encoding="utf-8").splitlines():
        digest, path = line.split("  ", 1)
        recorded[path] = digest
    assert set(recorded) == {p.relative_to(study).as_posix()
                             for p in _load_generator().input_files(study)}
    actual = {path: hashlib.md5((study / path).read_bytes()).hexdigest() for path in recorded}
    assert actual == recorded, (
        "make_study.py no longer writes the study of tests/r_reference/expected: "
        "regenerate the reference (see this module's docstring)")


@pytest.mark.parametrize("name", list(TABLES))
def test_same_rows(merged, name):
    m = merged[name]
    keys = TABLES[name][0]
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", keys + ["_merge"]]
    assert len(m) == len(_read_expected(name))


@pytest.mark.parametrize("name, column", list(_cases()))
def test_matches_r(merged, name, column):
    m = merged[name]
    tol = TABLES[name][1]
    keys = TABLES[name][0]
    assert f"{column}_py" in m.columns or column in m.columns, f"impactlib lacks {name}.{column}"
    r = m[f"{column}_r"] if f"{column}_r" in m.columns else m[column]
    py = m[f"{column}_py"] if f"{column}_py" in m.columns else m[column]
    label = m[keys].astype(str).agg(" ".join, axis=1).tolist()
    if column in EXACT:
        if pd.api.types.is_numeric_dtype(r) and not pd.api.types.is_bool_dtype(r):
            got = pd.to_numeric(py).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            want = r.to_numpy(dtype=float)
            bad = ~((got == want) | (np.isnan(got) & np.isnan(want)))
        else:
            got = py.astype(str).to_numpy()
            want = r.astype(str).to_numpy()
            bad = got != want
        assert not bad.any(), [(label[i], want[i], got[i]) for i in np.flatnonzero(bad)]
        return
    got = pd.to_numeric(py).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    want = r.to_numpy(dtype=float)
    np.testing.assert_allclose(got, want, rtol=0, atol=tol, equal_nan=True,
                               err_msg=f"{name}.{column} (impactlib vs R), rows {label}")


def test_dimension_model_fits_are_regular(merged):
    """lme4 found an interior optimum (not singular); impactlib converged without warning."""
    m = merged["dimension_model"]
    assert not m["singular"].any()
    assert m["converged"].all()
    assert (m["fit_warnings"].fillna("") == "").all(), m["fit_warnings"].tolist()
