"""The REML fit behind impactlib.stats.dimension_change.dimension_model, checked independently.

``dimension_model`` profiles the REML criterion of ``score ~ wave + (1 | candidate)``
in the single ratio gamma = tau2 / sigma2, computed from per-candidate sums.
These tests compare it with

* the same criterion written with dense matrices (V, V^-1, X'V^-1 X),
* statsmodels' MixedLM (the previous implementation) on a larger simulated
  study: same estimates at 1e-4, and a REML log-likelihood at least as high,
* lme4 (the stored R results of tests/r_reference), at 1e-6, tighter than
  the 1e-4 of tests/test_against_r.py,
* ordinary least squares when the candidate variance is on the boundary,
* for the Satterthwaite degrees of freedom: lmerTest's own recipe redone with
  dense matrices and numerical derivatives, lmerTest's stored results (1e-6
  relative), and balanced designs where the df are known in closed form
  (paired t test, repeated-measures ANOVA).
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
    d = out[(out["dimension"] == "D") & (out["from_wave"] == "T1")]
    np.testing.assert_allclose(d["estimate"], beta[1:], rtol=0, atol=1e-12)
    np.testing.assert_allclose(d["se"], np.sqrt(np.diag(cov))[1:], rtol=0, atol=1e-12)
    # T3 vs T2 from the same fit: beta_T3 - beta_T2, var = C22 + C33 - 2 C23.
    t32 = out[(out["dimension"] == "D") & (out["term"] == "T3 vs T2")].iloc[0]
    assert t32["estimate"] == pytest.approx(beta[2] - beta[1], abs=1e-12)
    assert t32["se"] == pytest.approx(np.sqrt(cov[1, 1] + cov[2, 2] - 2 * cov[1, 2]), abs=1e-12)


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
    # lmerTest::contest(fit, L, joint = FALSE): numerical derivatives there, exact here.
    np.testing.assert_allclose(merged["df_satterthwaite_py"], merged["df_satterthwaite_r"], rtol=1e-6)
    np.testing.assert_allclose(merged["p_satterthwaite_py"], merged["p_satterthwaite_r"], rtol=1e-5)


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


# ---------------------------------------------------------------------------
# Satterthwaite degrees of freedom
# ---------------------------------------------------------------------------


def dense_satterthwaite(y, x, groups, tau2, sigma2, contrasts, h=1e-4):
    """lmerTest's recipe (as_lmerModLT + contest1D) with dense matrices and central differences.

    varpar = (theta, sigma); D(varpar) = REML deviance (lmerTest:::devfun_vp: the
    GLS beta at theta); C(varpar) = sigma^2 (X'H^-1 X)^-1; A = 2 * inverse of the
    Hessian of D (eigenvalues > 1e-8); df = 2 (l'Cl)^2 / (g'Ag), g = l' dC/dvarpar l.
    """
    z = (groups[:, None] == np.unique(groups)[None, :]).astype(float)
    zz = z @ z.T
    n, p = x.shape

    def dev(v):
        theta, sigma = v
        hm = np.eye(n) + theta ** 2 * zz
        hinv = np.linalg.inv(hm)
        a = x.T @ hinv @ x
        beta = np.linalg.solve(a, x.T @ hinv @ y)
        r = y - x @ beta
        return (np.linalg.slogdet(hm)[1] + r @ hinv @ r / sigma ** 2 + (n - p) * np.log(sigma ** 2)
                + np.linalg.slogdet(a)[1])

    def covbeta(v):
        theta, sigma = v
        hinv = np.linalg.inv(np.eye(n) + theta ** 2 * zz)
        return sigma ** 2 * np.linalg.inv(x.T @ hinv @ x)

    v0 = np.array([np.sqrt(tau2 / sigma2), np.sqrt(sigma2)])
    e = np.eye(2) * h
    hess = np.array([[(dev(v0 + e[i] + e[j]) - dev(v0 + e[i] - e[j]) - dev(v0 - e[i] + e[j])
                       + dev(v0 - e[i] - e[j])) / (4 * h * h) for j in range(2)] for i in range(2)])
    values, vectors = np.linalg.eigh(hess)
    keep = values > 1e-8
    a_vp = 2 * (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
    jac = [(covbeta(v0 + e[k]) - covbeta(v0 - e[k])) / (2 * h) for k in range(2)]
    c = covbeta(v0)
    out = []
    for l in contrasts:
        g = np.array([l @ j @ l for j in jac])
        out.append(2 * (l @ c @ l) ** 2 / (g @ a_vp @ g))
    return np.array(out)


@pytest.mark.parametrize("seed", [3, 4])
def test_satterthwaite_equals_lmertest_recipe_with_dense_matrices(seed):
    scores = simulate(60, 0.3, 0.25, seed=seed)
    y, x, groups = design(scores)
    _, _, tau2, sigma2, converged, _ = _fit_random_intercept(y, x, groups)
    assert converged and tau2 > 0
    contrasts = np.array([[0.0, 1, 0], [0, 0, 1], [0, -1, 1]])
    want = dense_satterthwaite(y, x, groups, tau2, sigma2, contrasts)
    got = dimension_model(scores)
    np.testing.assert_allclose(got["df_satterthwaite"], want, rtol=1e-5)


def test_satterthwaite_balanced_two_waves_is_the_paired_t_test():
    # Every candidate at T1 and T2, candidate variance inside (0, inf): REML = ANOVA,
    # var(T2 - T1) = 2 sigma2 / n with sigma2 on n - 1 df, so df = n - 1 and the t
    # test is the paired t test (scipy.stats.ttest_rel, computed outside impactlib).
    from scipy import stats

    rng = np.random.default_rng(21)
    n = 25
    u = rng.normal(0, 0.7, n)
    t1 = 3 + u + rng.normal(0, 0.4, n)
    t2 = 3.2 + u + rng.normal(0, 0.4, n)
    scores = pd.DataFrame({"candidate": [f"c{i}" for i in range(n)] * 2, "wave": ["T1"] * n + ["T2"] * n,
                           "dimension": "D", "score": np.r_[t1, t2]})
    row = dimension_model(scores).iloc[0]
    assert row["var_candidate"] > 0
    paired = stats.ttest_rel(t2, t1)
    assert row["df_satterthwaite"] == pytest.approx(n - 1, abs=1e-6)
    assert row["p_satterthwaite"] == pytest.approx(paired.pvalue, rel=1e-6)
    assert row["estimate"] / row["se"] == pytest.approx(paired.statistic, rel=1e-6)


def test_satterthwaite_balanced_three_waves_is_the_repeated_measures_anova():
    # Complete n x 3 table: every pair's df = (n - 1)(3 - 1), the error df of the
    # two-way ANOVA (candidate + wave), and t = diff / sqrt(2 MSE / n), MSE its
    # residual mean square, computed by hand below.
    from scipy import stats

    rng = np.random.default_rng(8)
    n, k = 20, 3
    y = 3 + rng.normal(0, 0.6, (n, 1)) + np.array([0.0, 0.3, 0.45]) + rng.normal(0, 0.35, (n, k))
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    mse = (resid ** 2).sum() / ((n - 1) * (k - 1))
    scores = pd.DataFrame({"candidate": np.tile([f"c{i}" for i in range(n)], k),
                           "wave": np.repeat(["T1", "T2", "T3"], n), "dimension": "D",
                           "score": y.T.ravel()})
    out = dimension_model(scores)
    assert (out["var_candidate"] > 0).all()
    assert list(out["term"]) == ["T2 vs T1", "T3 vs T1", "T3 vs T2"]
    np.testing.assert_allclose(out["df_satterthwaite"], (n - 1) * (k - 1), atol=1e-6)
    means = y.mean(axis=0)
    t = np.array([means[1] - means[0], means[2] - means[0], means[2] - means[1]]) / np.sqrt(2 * mse / n)
    np.testing.assert_allclose(out["p_satterthwaite"], 2 * stats.t.sf(np.abs(t), (n - 1) * (k - 1)),
                               rtol=1e-6)


def test_satterthwaite_on_the_boundary_is_least_squares():
    # tau2 = 0 (singular fit): lmerTest gives the residual df of least squares,
    # n - p (see tests/test_models.py::test_dimension_model_singular_fit for R).
    scores = simulate(300, 0.0, 0.3, seed=11)
    out = dimension_model(scores)
    if out["var_candidate"].iloc[0] > 0:
        pytest.skip("interior optimum for this draw")
    np.testing.assert_allclose(out["df_satterthwaite"], out["n_observations"] - 3, rtol=1e-9)
