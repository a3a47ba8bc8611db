"""The ordinal mixed model per item (:mod:`impactlib.stats.ordinal`), against R and by hand.

* Against R's ``ordinal::clmm`` (``tests/r_reference/ordinal.R``, values in
  ``tests/r_reference/expected/item_ordinal*.csv``) on the study of
  ``tests/r_reference/make_study.py`` (the one of ``test_against_r.py``; R read
  the raw exports, never impactlib's outputs). Every item was fitted in R by::

      clmm(value ~ wave + (1 | candidate), data = long, link = "logit",
           threshold = "flexible", nAGQ = 25)

  (R 4.2.2, ordinal 2022.11.16). Observed largest differences: 4e-5 on the
  log-odds, 2e-6 on their standard errors, 9e-5 on the variance between
  candidates (clmm stops with a gradient of up to 9e-4; impactlib at 1e-6,
  with a log-likelihood at least as high). The tolerance asked is 2e-3; the
  tests use 2e-4.
* Without random effect (variance estimated at 0): statsmodels'
  ``OrderedModel`` (cumulative logit, no random effect) gives the same fit.
* Known parameters recovered from 1 000 simulated candidates.
* The adaptive quadrature: the likelihood against numerical integration
  (``scipy.integrate.quad``), the analytic gradient against central
  differences, 25 against 40 nodes, and Laplace (1 node) visibly different.
* ``prob_higher`` by hand; degenerate items kept with their reason; the
  table against its contract on the demo.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

from impactlib.intake.processed import clean_study
from impactlib.report import contract
from impactlib.stats.ordinal import (N_AGQ, _Clmm, fit_clmm, item_ordinal, prob_higher,
                                     scale_levels)

from conftest import TEST_KEY

HERE = Path(__file__).resolve().parent / "r_reference"
EXPECTED = HERE / "expected"
TOL_R = 2e-4


def _load_generator():
    spec = importlib.util.spec_from_file_location("r_reference_make_study", HERE / "make_study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The R reference study, cleaned (the same bytes R read: checked by md5)."""
    generator = _load_generator()
    folder = tmp_path_factory.mktemp("r_reference_ordinal") / "study"
    generator.write_study(folder)
    recorded = dict(line.split("  ", 1)[::-1] for line in
                    (EXPECTED / "inputs.md5").read_text(encoding="utf-8").splitlines())
    for path, digest in recorded.items():
        assert hashlib.md5((folder / path).read_bytes()).hexdigest() == digest, path
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMPACTLIB_KEY", TEST_KEY)
        return clean_study(folder / "study.yml")


@pytest.fixture(scope="module")
def ours(reference):
    return item_ordinal(reference.responses, waves=reference.waves,
                        levels=scale_levels(reference.items, reference.scales))


def _item_arrays(responses, item, waves):
    """(y, x, group) of one item for fit_clmm: codes of the values given, wave dummies."""
    d = responses.loc[(responses["item"] == item) & responses["value"].notna()]
    value = d["value"].astype(int).to_numpy()
    y = np.unique(value, return_inverse=True)[1]
    wave = d["wave"].astype(str).to_numpy()
    x = np.column_stack([wave == w for w in waves[1:]]).astype(float)
    return y, x, d["candidate"].astype(str).to_numpy()


# ---------------------------------------------------------------------------
# Against R
# ---------------------------------------------------------------------------


def test_item_ordinal_matches_clmm(ours):
    r = pd.read_csv(EXPECTED / "item_ordinal.csv", keep_default_na=False, na_values=[""])
    got = ours.assign(from_wave=ours["from_wave"].astype(str), to_wave=ours["to_wave"].astype(str))
    m = r.merge(got, on=["item", "from_wave", "to_wave"], how="outer", suffixes=("_r", "_py"),
                indicator=True, validate="one_to_one")
    assert (m["_merge"] == "both").all() and len(m) == 60      # 20 items x 3 pairs
    for col in ["n_candidates", "n_obs", "n_agq"]:
        assert (m[f"{col}_r"] == m[f"{col}_py"]).all(), col
    assert m["converged"].all() and (m["note"].fillna("") == "").all()
    for col in ["estimate", "se", "ci_low", "ci_high", "p_value", "prob_higher"]:
        np.testing.assert_allclose(m[f"{col}_py"], m[f"{col}_r"], rtol=0, atol=TOL_R,
                                   err_msg=col)
    np.testing.assert_allclose(np.log(m["var_candidate_py"]) / 2, m["log_sigma"], rtol=0,
                               atol=TOL_R)
    np.testing.assert_allclose(m["var_candidate_py"], m["var_candidate_r"], rtol=0, atol=2e-3)
    # the T2 -> T3 contrast is its own estimate, not T1->T3 minus T1->T2's SEs
    t23 = m.loc[m["from_wave"] == "T2"]
    assert (t23["se_py"] > 0).all()


def test_thresholds_sigma_and_likelihood_match_clmm(reference):
    r = pd.read_csv(EXPECTED / "item_ordinal.csv").drop_duplicates("item").set_index("item")
    thr = pd.read_csv(EXPECTED / "item_ordinal_thresholds.csv")
    for item, expected in thr.groupby("item", sort=False):
        y, x, group = _item_arrays(reference.responses, item, reference.waves)
        fit = fit_clmm(y, x, group)
        k1 = len(fit.thresholds)
        assert k1 == len(expected)
        np.testing.assert_allclose(fit.thresholds, expected["estimate"], rtol=0, atol=TOL_R)
        np.testing.assert_allclose(fit.se[:k1], expected["se"], rtol=0, atol=TOL_R)
        # vcov(clmm)["ST1", "ST1"] is the variance of log(sigma) (see ordinal.R)
        assert fit.se[-1] == pytest.approx(r.loc[item, "se_log_sigma"], abs=TOL_R)
        assert fit.loglik == pytest.approx(r.loc[item, "loglik"], abs=1e-5)
        assert fit.loglik >= r.loc[item, "loglik"] - 1e-8        # at least clmm's optimum
        assert fit.max_gradient < 1e-4


# ---------------------------------------------------------------------------
# The likelihood and its gradient
# ---------------------------------------------------------------------------

# Eight candidates answering twice (values 0, 1, 2): the example of fit_clmm.
SMALL_Y = np.array([2, 1, 0, 0, 1, 1, 1, 1, 0, 2, 1, 1, 2, 2, 1, 2])
SMALL_X = np.array([[0.0], [1.0]] * 8)
SMALL_G = np.repeat(np.arange(8), 2)


def test_small_example_matches_clmm():
    # R: d <- data.frame(y = factor(c(2,1,0,0,1,1,1,1,0,2,1,1,2,2,1,2), ordered = TRUE),
    #      w = factor(rep(c("T1", "T2"), 8)), g = factor(rep(1:8, each = 2)))
    #    f <- clmm(y ~ w + (1 | g), data = d, nAGQ = 25)
    #    coef(f): 0|1 -1.50228603, 1|2 1.47971458, wT2 0.79812639
    #    sqrt(diag(vcov(f))): 1.07595557 1.06242624 1.05320438 0.92774094 (ST1: log sigma)
    #    f$ST: 1.2903117; logLik -15.84501804
    fit = fit_clmm(SMALL_Y, SMALL_X, SMALL_G)
    np.testing.assert_allclose(np.r_[fit.thresholds, fit.beta], [-1.50228603, 1.47971458,
                                                                   0.79812639], atol=1e-5)
    np.testing.assert_allclose(fit.se, [1.07595557, 1.06242624, 1.05320438, 0.92774094],
                               atol=1e-5)
    assert fit.sigma == pytest.approx(1.2903117, abs=1e-5)
    assert fit.loglik == pytest.approx(-15.84501804, abs=1e-7)


def _loglik_by_quad(theta, beta, sigma, y, x, group):
    """sum_i log int prod_j P(y_ij | x_ij beta + u) phi(u; 0, sigma) du, by scipy's quad."""
    cuts = np.r_[-np.inf, theta, np.inf]
    total = 0.0
    for i in np.unique(group):
        rows = group == i
        eta = x[rows] @ beta
        upper, lower = cuts[y[rows] + 1], cuts[y[rows]]

        def integrand(u):
            p = special.expit(upper - eta - u) - special.expit(lower - eta - u)
            return np.prod(p) * stats.norm.pdf(u, scale=sigma)

        value, _ = integrate.quad(integrand, -12 * sigma, 12 * sigma, epsabs=0, epsrel=1e-12,
                                  limit=200)
        total += np.log(value)
    return total


def test_adaptive_quadrature_equals_numerical_integration():
    theta, beta, sigma = np.array([-1.2, 1.1]), np.array([0.6]), 1.7
    model = _Clmm(SMALL_Y, SMALL_X, SMALL_G, N_AGQ)
    agq = -model.nll(np.r_[theta, beta, np.log(sigma)], gradient=False)
    assert agq == pytest.approx(_loglik_by_quad(theta, beta, sigma, SMALL_Y, SMALL_X, SMALL_G),
                                abs=1e-10)
    # Laplace (1 node) is an approximation, visibly off here
    laplace = -_Clmm(SMALL_Y, SMALL_X, SMALL_G, 1).nll(np.r_[theta, beta, np.log(sigma)],
                                                       gradient=False)
    assert abs(laplace - agq) > 1e-3


@pytest.mark.parametrize("n_agq", [1, 5, 25])
def test_gradient_is_exact(n_agq):
    # central differences of the likelihood (step 1e-5) against the analytic gradient,
    # away from the optimum, where the nodes' movement matters
    rng = np.random.default_rng(11)
    n = 60
    group = np.repeat(np.arange(n), 3)
    wave = np.tile(np.arange(3), n)
    latent = np.array([0, 0.4, 1.0])[wave] + 1.5 * rng.normal(size=n)[group] \
        + rng.logistic(size=3 * n)
    y = np.searchsorted([-1.0, 0.5, 2.0], latent)
    x = np.c_[wave == 1, wave == 2].astype(float)
    model = _Clmm(y, x, group, n_agq)
    params = np.array([-0.8, 0.3, 1.9, 0.2, 0.7, np.log(1.3)])
    _, grad = model.nll(params)
    h = 1e-5
    numeric = np.array([(model.nll(params + h * e, False) - model.nll(params - h * e, False))
                        / (2 * h) for e in np.eye(len(params))])
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)


def test_more_nodes_change_less_than_1e4(reference):
    for item in ["Q01", "Q07", "Q14"]:
        y, x, group = _item_arrays(reference.responses, item, reference.waves)
        f25, f40 = fit_clmm(y, x, group, n_agq=25), fit_clmm(y, x, group, n_agq=40)
        a = np.r_[f25.thresholds, f25.beta, np.log(f25.sigma), f25.se]
        b = np.r_[f40.thresholds, f40.beta, np.log(f40.sigma), f40.se]
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)
        # the Laplace approximation alone moves the estimates (why the quadrature)
        f1 = fit_clmm(y, x, group, n_agq=1)
        assert np.max(np.abs(f1.beta - f25.beta)) > 1e-3


# ---------------------------------------------------------------------------
# Without random effect; known parameters
# ---------------------------------------------------------------------------


def test_zero_variance_is_the_cumulative_logit_of_statsmodels():
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    # answers at the two waves pull apart within a candidate (correlation -0.55): the
    # variance between candidates is estimated at 0, the boundary
    rng = np.random.default_rng(20240601)
    n = 150
    y1 = rng.integers(0, 4, n)
    y2 = np.where(rng.random(n) < 0.6, 3 - y1, rng.integers(0, 4, n))
    y2 = np.minimum(3, y2 + (rng.random(n) < 0.3))
    y = np.c_[y1, y2].ravel()
    x = np.tile([0.0, 1.0], n)[:, None]
    fit = fit_clmm(y, x, np.repeat(np.arange(n), 2))
    assert fit.converged and fit.sigma == 0.0 and "boundary" in fit.message
    om = OrderedModel(y, x, distr="logit").fit(method="bfgs", disp=False, gtol=1e-10,
                                                maxiter=1000)
    # statsmodels: params = (beta, theta_1, log increments), as our search
    om_theta = np.cumsum(np.r_[om.params[1], np.exp(om.params[2:])])
    np.testing.assert_allclose(fit.beta, om.params[:1], atol=1e-6)
    np.testing.assert_allclose(fit.thresholds, om_theta, atol=1e-6)
    np.testing.assert_allclose(fit.se[3], om.bse[0], atol=1e-6)       # SE of beta
    np.testing.assert_allclose(fit.se[0], om.bse[1], atol=1e-6)       # SE of theta_1
    assert np.isnan(fit.se[-1])
    assert fit.loglik == pytest.approx(om.llf, abs=1e-8)


def test_known_parameters_are_recovered():
    rng = np.random.default_rng(7)
    n, sigma = 1000, 1.2
    beta, theta = np.array([0.0, 0.5, 0.9]), np.array([-1.5, 0.0, 1.5])
    cand, wave = np.repeat(np.arange(n), 3), np.tile(np.arange(3), n)
    keep = rng.random(3 * n) < np.array([1.0, 0.7, 0.4])[wave]    # attrition
    cand, wave = cand[keep], wave[keep]
    latent = beta[wave] + sigma * rng.normal(size=n)[cand] + rng.logistic(size=len(cand))
    y = np.searchsorted(theta, latent)
    fit = fit_clmm(y, np.c_[wave == 1, wave == 2].astype(float), cand)
    assert fit.converged
    est = np.r_[fit.thresholds, fit.beta, np.log(fit.sigma)]
    truth = np.r_[theta, beta[1:], np.log(sigma)]
    z = (est - truth) / fit.se
    assert np.all(np.abs(z) < 3), z


# ---------------------------------------------------------------------------
# prob_higher
# ---------------------------------------------------------------------------


def test_prob_higher_by_hand():
    # K = 3, thresholds (-1, 1), from: eta 0, to: eta 1.
    # P(Y <= k) = expit(theta_k - eta):
    #   from: expit(-1) = 0.268941, expit(1) = 0.731059 -> p = (0.268941, 0.462117, 0.268941)
    #   to:   expit(-2) = 0.119203, expit(0) = 0.5      -> p = (0.119203, 0.380797, 0.5)
    # P(to > from) = 0.268941 (0.380797 + 0.5) + 0.462117 x 0.5 = 0.467942
    # P(to = from) = 0.268941 x 0.119203 + 0.462117 x 0.380797 + 0.268941 x 0.5 = 0.342503
    # prob_higher = 0.467942 + 0.342503 / 2 = 0.639193
    assert prob_higher([-1.0, 1.0], 0.0, 1.0) == pytest.approx(0.639193, abs=1e-6)
    assert prob_higher([-1.0, 1.0], 1.0, 0.0) == pytest.approx(1 - 0.639193, abs=1e-6)
    assert prob_higher([-1.0, 1.0], 0.3, 0.3) == pytest.approx(0.5, abs=1e-15)
    # a fine scale approaches the latent logistic answers: for L_to - L_from, the
    # difference of two logistic variables shifted by d, P(L_to > L_from) =
    # e^d (e^d - 1 - d) / (e^d - 1)^2 (the integral of expit(x + d) expit'(x) dx),
    # 0.6613031 for d = 1 (Agresti & Kateri's approximation expit(d / sqrt 2) gives 0.670)
    fine = np.linspace(-15, 15, 8001)
    d = 1.0
    exact = np.exp(d) * (np.exp(d) - 1 - d) / (np.exp(d) - 1) ** 2
    assert exact == pytest.approx(0.6613031, abs=1e-7)
    assert prob_higher(fine, 0.0, d) == pytest.approx(exact, abs=1e-6)


# ---------------------------------------------------------------------------
# Degenerate items: kept, with their reason
# ---------------------------------------------------------------------------


def _answers(item, pairs, waves=("T1", "T2")):
    """Long answers of one item: pairs[i] = candidate i's values per wave (None: no answer)."""
    rows = [{"candidate": f"c{i:02d}", "wave": w, "item": item, "value": v}
            for i, values in enumerate(pairs) for w, v in zip(waves, values)]
    return pd.DataFrame(rows)


def test_degenerate_items_are_reported_not_dropped():
    rng = np.random.default_rng(3)
    good = [(a, b, c) for a, b, c in rng.integers(1, 5, (40, 3))]
    frames = [
        _answers("good", good, ("T1", "T2", "T3")),
        _answers("one_value", [(2, 2, 2)] * 10, ("T1", "T2", "T3")),
        _answers("one_wave", [(v, None, None) for v in [1, 2, 3, 4, 2, 3]], ("T1", "T2", "T3")),
        _answers("no_T3", [(a, b, None) for a, b, _ in good], ("T1", "T2", "T3")),
        # nobody's answer went down: beta and sigma run away (R clmm(nAGQ = 25) on the same
        # answers: wT2 18.5, SE 23.0, sigma 11)
        _answers("separated", [(1, 2), (2, 3), (1, 3), (2, 3), (3, 3), (1, 2)],
                 ("T1", "T2")),
        _answers("unused", [(a if a < 4 else 3, b if b < 4 else 1, c if c < 4 else 2)
                            for a, b, c in good], ("T1", "T2", "T3")),
    ]
    data = pd.concat(frames, ignore_index=True)
    data["value"] = data["value"].astype("Int64")
    data["wave"] = pd.Categorical(data["wave"], categories=["T1", "T2", "T3"], ordered=True)
    levels = {item: [1, 2, 3, 4] for item in data["item"].unique()}
    res = item_ordinal(data, dimension=None, levels=levels)
    assert res["item"].tolist() == [i for i in ["good", "one_value", "one_wave", "no_T3",
                                                "separated", "unused"] for _ in range(3)]
    by = {item: g.set_index(["from_wave", "to_wave"]) for item, g in res.groupby("item")}
    assert by["good"]["converged"].all() and by["good"]["estimate"].notna().all()
    assert (by["good"]["note"].fillna("") == "").all()
    assert (by["good"]["n_agq"] == 25).all()
    for item, reason in [("one_value", "a single answer value given (2)"),
                         ("one_wave", "answers at a single wave"),
                         ("separated", "no finite estimate")]:
        rows = by[item]
        assert not rows["converged"].any(), item
        assert rows[["estimate", "se", "p_value", "prob_higher", "var_candidate"]].isna().all(
            axis=None), item
        assert rows["note"].str.contains(reason, regex=False).all(), (item, rows["note"].iloc[0])
    assert (by["separated"]["n_obs"] == 12).all() and (by["one_wave"]["n_candidates"] == 6).all()
    # a wave without answers: its pairs are missing, the others estimated
    no3 = by["no_T3"]
    assert no3["converged"].all() and no3["note"].eq("no answer at T3").all()
    assert np.isfinite(no3.loc[("T1", "T2"), "estimate"])
    assert no3.loc[[("T1", "T3"), ("T2", "T3")], "estimate"].isna().all()
    # ... and T1 -> T2 is the fit of those two waves alone
    two = item_ordinal(data.loc[(data["item"] == "no_T3") & (data["wave"] != "T3")],
                       dimension=None, waves=["T1", "T2"])
    assert no3.loc[("T1", "T2"), "estimate"] == pytest.approx(two["estimate"].iloc[0], abs=1e-6)
    # a value nobody gave: named, left out (three thresholds would be two)
    assert by["unused"]["note"].str.startswith("values never given, left out of the model: 4"
                                               ).all()
    assert by["unused"]["converged"].all()


def test_bad_arguments_raise_one_clear_line():
    with pytest.raises(ValueError, match="at least 2 answer values"):
        fit_clmm([0, 0, 0], [[0.0], [1.0], [0.0]], [1, 1, 2])
    with pytest.raises(ValueError, match="n_agq"):
        fit_clmm(SMALL_Y, SMALL_X, SMALL_G, n_agq=0)
    with pytest.raises(ValueError, match="confidence"):
        item_ordinal(_answers("q", [(1, 2)]), confidence=1.5)


def test_same_input_same_output():
    data = _answers("q", [(3, 2), (1, 1), (2, 2), (2, 2), (1, 3), (2, 2), (3, 3), (2, 3)])
    data["value"] = data["value"].astype("Int64")
    a, b = item_ordinal(data, dimension=None), item_ordinal(data, dimension=None)
    pd.testing.assert_frame_equal(a, b)
    assert a["estimate"].iloc[0] == pytest.approx(0.79812639, abs=1e-5)   # R, as above


# ---------------------------------------------------------------------------
# The demo's table against its contract
# ---------------------------------------------------------------------------


def test_demo_table_follows_the_contract(demo_processed):
    p = demo_processed
    table = item_ordinal(p.responses, waves=p.waves, levels=scale_levels(p.items, p.scales))
    conformed = contract.conform("item_ordinal", table)
    contract.validate("item_ordinal", conformed)
    assert list(conformed.columns) == list(contract.SCHEMAS["item_ordinal"].columns)
    n_items = p.items["item"].nunique()
    assert len(conformed) == 3 * n_items
    assert conformed["converged"].all()
    # an improving programme: every item's T1 -> T3 log-odds is positive
    first_last = conformed.loc[(conformed["from_wave"] == "T1") & (conformed["to_wave"] == "T3")]
    assert (first_last["estimate"] > 0).all()
    assert ((first_last["prob_higher"] > 0.5) == (first_last["estimate"] > 0)).all()
