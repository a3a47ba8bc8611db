"""The REML fit behind impactlib.stats.dimension_change.dimension_model, checked independently.

``dimension_model`` profiles the REML criterion of ``score ~ wave + (1 | candidate)``
in the single ratio gamma = tau2 / sigma2, computed from per-candidate sums.
These tests compare it with

* the same criterion written with dense matrices (V, V^-1, X'V^-1 X),
* statsmodels' MixedLM (the previous implementation) on a larger simulated
  study: same estimates at 1e-4, and a REML log-likelihood at least as high,
* lme4 (the stored R results of tests/r_reference), at 1e-6, tighter than
  the 1e-4 of tests/test_against_r.py,
* ordinary least squares when the candidate variance is on the boundary.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impactlib.stats.dimension_change import _fit_random_intercept, _RandomInterceptREML, dimension_model
from impactlib.intake.processed import clean_study

from conftest import TEST_KEY

R_REFERENCE = Path(__file__).resolve().parent / "r_reference"


def simulate(n: int, tau2: float, sigma2: float, seed: int, dims=("D",)) -> pd.DataFrame:
    """Long scores of n candidates: all at T1, 60% at T2, 30% at T3 (T1+T3 too)."""
    rng = np.random.default_rng(seed)
    parts = []
    for dim in dims:
        u = rng.normal(0.0, np.sqrt(tau2), n)
        for t, (effect, share) in enumerate([(0.0, 1.0), (0.3, 0.6), (0.5, 0.3)]):
            keep = rng.random(n) < share
            score = 3.0 + effect + u + rng.normal(0.0, np.sqrt(sigma2), n)
            parts.append(pd.DataFrame({"candidate": [f"c{i:05d}" for i in np.flatnonzero(keep)],
                                       "wave": f"T{t + 1}", "dimension": dim, "score": score[keep]}))
    scores = pd.concat(parts, ignore_index=True)
    scores["wave"] = pd.Categorical(scores["wave"], categories=["T1", "T2", "T3"], ordered=True)
    return scores


def design(scores: pd.DataFrame):
    y = scores["score"].to_numpy(dtype=float)
    wave = scores["wave"].astype(str).to_numpy()
    x = np.column_stack([np.ones(y.size), wave == "T2", wave == "T3"]).astype(float)
    return y, x, scores["candidate"].to_numpy()


def dense(y, x, groups, gamma):
    """(beta, X'H^-1 X, r'H^-1 r, REML deviance) with H = I + gamma Z Z' as dense matrices."""
    z = (groups[:, None] == np.unique(groups)[None, :]).astype(float)
    h = np.eye(y.size) + gamma * z @ z.T
    hinv = np.linalg.inv(h)
    a = x.T @ hinv @ x
    beta = np.linalg.solve(a, x.T @ hinv @ y)
    r = y - x @ beta
    rhr = r @ hinv @ r
    n, p = x.shape
    dev = (n - p) * np.log(rhr) + np.linalg.slogdet(h)[1] + np.linalg.slogdet(a)[1]
    return beta, a, rhr, dev


def test_profile_equals_dense_matrices():
    scores = simulate(40, 0.4, 0.2, seed=3)
    y, x, groups = design(scores)
    model = _RandomInterceptREML(y, x, groups)
    for gamma in (0.0, 1e-3, 0.37, 2.0, 50.0):
        beta, a, rhr, dev = model.solve(gamma)
        d_beta, d_a, d_rhr, d_dev = dense(y, x, groups, gamma)
        np.testing.assert_allclose(beta, d_beta, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(a, d_a, rtol=1e-10, atol=1e-10)
        assert rhr == pytest.approx(d_rhr, rel=1e-10)
        assert dev == pytest.approx(d_dev, rel=1e-10, abs=1e-9)


@pytest.mark.parametrize("seed", [1, 2])
def test_matches_statsmodels_on_a_larger_simulated_study(seed):
    from statsmodels.regression.mixed_linear_model import MixedLM

    scores = simulate(1500, 0.5, 0.2, seed=seed)
    y, x, groups = design(scores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = MixedLM(y, x, groups=groups).fit(reml=True)
    assert sm.converged
    sm_tau2 = float(np.asarray(sm.cov_re).ravel()[0])
    beta, cov, tau2, sigma2, converged, notes = _fit_random_intercept(y, x, groups)
    assert converged and notes == ""
    np.testing.assert_allclose(beta, sm.fe_params, atol=1e-4)
    assert tau2 == pytest.approx(sm_tau2, abs=1e-4)
    assert sigma2 == pytest.approx(sm.scale, abs=1e-4)
    # lme4's vcov at statsmodels' variance components, from dense matrices.
    _, a, _, _ = dense(y, x, groups, sm_tau2 / sm.scale)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), np.sqrt(np.diag(sm.scale * np.linalg.inv(a))), atol=1e-4)
    # The optimum is at least as good as statsmodels' (same REML log-likelihood).
    model = _RandomInterceptREML(y, x, groups)
    assert model.reml_llf(sm_tau2 / sm.scale) == pytest.approx(sm.llf, abs=1e-6)
    assert model.reml_llf(tau2 / sigma2) >= sm.llf - 1e-9
    # Through dimension_model, with several dimensions.
    other = simulate(300, 0.2, 0.4, seed=seed + 10).assign(dimension="A")
    out = dimension_model(pd.concat([other, scores], ignore_index=True))
    d = out[out["dimension"] == "D"]
    np.testing.assert_allclose(d["estimate"], beta[1:], rtol=0, atol=1e-12)
    np.testing.assert_allclose(d["se"], np.sqrt(np.diag(cov))[1:], rtol=0, atol=1e-12)


def test_matches_lme4_at_1e6(tmp_path):
    spec = importlib.util.spec_from_file_location("r_reference_make_study", R_REFERENCE / "make_study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_study(tmp_path / "study")
    processed = clean_study(tmp_path / "study" / "study.yml", key=TEST_KEY.encode())
    got = dimension_model(processed.scores, waves=processed.waves)
    want = pd.read_csv(R_REFERENCE / "expected" / "dimension_model.csv")
    merged = want.merge(got.astype({"from_wave": str, "to_wave": str}), on=["dimension", "term"],
                        suffixes=("_r", "_py"), validate="one_to_one")
    assert len(merged) == len(want) == len(got)
    for column in ("estimate", "se", "ci_low", "ci_high", "var_candidate", "var_residual"):
        np.testing.assert_allclose(merged[f"{column}_py"], merged[f"{column}_r"], rtol=0, atol=1e-6,
                                   err_msg=column)
    np.testing.assert_allclose(merged["p_value_py"], merged["p_value_r"], rtol=1e-5)


def test_boundary_fit_is_ordinary_least_squares():
    scores = simulate(300, 0.0, 0.3, seed=11)  # no candidate variance
    y, x, groups = design(scores)
    beta, cov, tau2, sigma2, converged, notes = _fit_random_intercept(y, x, groups)
    if tau2 > 0:  # the sample may still carry a little candidate variance
        pytest.skip("interior optimum for this draw")
    ols, rss, *_ = np.linalg.lstsq(x, y, rcond=None)
    n, p = x.shape
    assert converged and notes.startswith("boundary (singular) fit")
    np.testing.assert_allclose(beta, ols, atol=1e-10)
    assert sigma2 == pytest.approx(rss[0] / (n - p), rel=1e-10)
    np.testing.assert_allclose(cov, sigma2 * np.linalg.inv(x.T @ x), rtol=1e-8)


def test_fit_does_not_depend_on_row_order_or_labels():
    scores = simulate(200, 0.3, 0.3, seed=5)
    first = dimension_model(scores)
    shuffled = scores.sample(frac=1.0, random_state=0).reset_index(drop=True)
    shuffled["candidate"] = "x" + shuffled["candidate"].str[::-1]
    second = dimension_model(shuffled)
    cols = ["estimate", "se", "var_candidate", "var_residual"]
    # The optimum of a smooth criterion is located to about sqrt(machine epsilon)
    # of its value: rounding differences move it by ~1e-8, far below 1e-4.
    np.testing.assert_allclose(first[cols].to_numpy(float), second[cols].to_numpy(float), rtol=1e-6)


def test_unidentifiable_and_exact_fits_are_reported_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Every candidate scored once: only tau2 + sigma2 is known; the waves are OLS.
        once = pd.DataFrame({"candidate": [f"c{i}" for i in range(10)], "wave": ["T1"] * 5 + ["T2"] * 5,
                             "dimension": "D", "score": np.arange(10.0) % 4})
        row = dimension_model(once).iloc[0]
        assert row["estimate"] == pytest.approx(0.2)
        assert row["var_candidate"] == 0.0 and row["converged"]
        assert "not identifiable" in row["fit_warnings"]
        # The waves explain every score: nothing left to estimate the variances.
        exact = pd.DataFrame({"candidate": list("abcabc"), "wave": ["T1"] * 3 + ["T2"] * 3,
                              "dimension": "D", "score": [1.0, 1, 1, 2, 2, 2]})
        row = dimension_model(exact).iloc[0]
        assert np.isnan(row["estimate"]) and not row["converged"]
        assert row["fit_warnings"].startswith("not estimable")
        # As many scores as fixed effects.
        tiny = pd.DataFrame({"candidate": ["a", "b"], "wave": ["T1", "T2"], "dimension": "D",
                             "score": [1.0, 2.0]})
        row = dimension_model(tiny).iloc[0]
        assert np.isnan(row["estimate"]) and not row["converged"]
