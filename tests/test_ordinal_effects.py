"""The ordinal model's effect as a probability, with its interval (issue 15).

References are computed outside the code under test: the latent probability
by numerical integration (scipy.integrate.quad), the interval ends by
:func:`impactlib.stats.ordinal.prob_higher` at thresholds fitted by
:func:`impactlib.stats.ordinal.fit_clmm` (the model ``item_ordinal`` fits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from impactlib.stats.ordinal import fit_clmm, prob_higher
from impactlib.stats.ordinal_effects import (latent_superiority, ordinal_effects,
                                             prob_higher_bounds)


@pytest.mark.parametrize("d", [-6.0, -1.0, -1e-6, 0.0, 0.3, 1.0, 2.5, 40.0])
def test_latent_superiority_is_the_logistic_convolution(d):
    # P(L_to + d > L_from) = integral of f(x) F(x + d) dx, L standard logistic
    expected = integrate.quad(lambda x: stats.logistic.pdf(x) * stats.logistic.cdf(x + d),
                              -np.inf, np.inf, epsabs=1e-12)[0]
    assert latent_superiority([d])[0] == pytest.approx(expected, abs=1e-7)


def test_bounds_are_prob_higher_at_the_fitted_thresholds_within_two_points():
    """Simulated 4-value answers at 3 waves (random intercept, sigma 1.5), fitted by fit_clmm;
    the reference maps each log-odds bound through prob_higher with the fitted thresholds and
    the from-wave effect (the demo: within 0.4 point for lower bounds, 1.5 for upper ones)."""
    rng = np.random.default_rng(15)
    n = 250
    u = rng.normal(0, 1.5, n)
    beta = np.array([0.0, 0.6, 1.1])
    theta = np.array([-1.5, 0.0, 1.4])
    waves = np.repeat([0, 1, 2], n)
    cand = np.tile(np.arange(n), 3)
    keep = rng.random(3 * n) < np.array([1.0, 0.6, 0.35])[waves]     # dropout
    latent = beta[waves] + u[cand] + rng.logistic(size=3 * n)
    y = np.searchsorted(theta, latent)[keep]
    x = np.stack([waves == 1, waves == 2], 1).astype(float)[keep]
    fit = fit_clmm(y, x, cand[keep])
    assert fit.converged
    eta = np.r_[0.0, fit.beta]
    cov = fit.cov[-3:-1, -3:-1]          # the two wave effects (sigma is last)
    z = stats.norm.ppf(0.975)
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        c = np.zeros(2)
        if j:
            c[j - 1] += 1
        if i:
            c[i - 1] -= 1
        est = eta[j] - eta[i]
        se = float(np.sqrt(c @ cov @ c))
        ph = prob_higher(fit.thresholds, eta[i], eta[j])
        for bound in (est - z * se, est + z * se):
            reference = prob_higher(fit.thresholds, eta[i], eta[i] + bound)
            assert prob_higher_bounds([est], [ph], [bound])[0] == pytest.approx(reference, abs=0.02)
        # at the estimate itself the map gives prob_higher back
        assert prob_higher_bounds([est], [ph], [est])[0] == pytest.approx(ph, abs=1e-12)


def test_the_interval_excludes_50_percent_exactly_when_the_log_odds_interval_excludes_0():
    est = np.array([0.8, 0.8, -0.5, 0.0])
    low, high = np.array([0.1, -0.2, -0.9, -0.4]), np.array([1.5, 1.8, -0.1, 0.4])
    ph = np.array([0.6, 0.6, 0.44, 0.5])
    lo, hi = prob_higher_bounds(est, ph, low), prob_higher_bounds(est, ph, high)
    assert list(lo > 0.5) == list(low > 0) and list(hi < 0.5) == list(high < 0)
    assert np.all(lo <= ph) and np.all(ph <= hi)


def test_effects_keep_unconverged_items_and_suppress_small_ones():
    t = pd.DataFrame({
        "item": ["Q1", "Q2", "Q3", "Q4", "Q5", "Q1"], "dimension": ["A", "A", "B", "B", "B", "A"],
        "from_wave": ["T1"] * 5 + ["T2"], "to_wave": ["T3"] * 6,
        "estimate": [1.0, -0.6, 0.1, np.nan, 2.0, 0.3],
        "ci_low": [0.2, -1.0, -0.5, np.nan, 1.0, -0.1],
        "ci_high": [1.8, -0.2, 0.7, np.nan, 3.0, 0.7],
        "prob_higher": [0.62, 0.43, 0.51, np.nan, 0.7, 0.53],
        "n_candidates": [120, 118, 119, 117, 4, 80],
        "converged": [True, True, True, False, True, True]})
    e = ordinal_effects(t, "T1", "T3")
    assert e["item"].tolist() == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert e["status"].astype(str).tolist() == ["higher", "lower", "unclear", "not_converged",
                                                "suppressed"]
    assert e["n_candidates"].tolist()[:4] == [120, 118, 119, 117]
    assert pd.isna(e.loc[4, "n_candidates"])                 # 4 candidates: not shown
    assert e.loc[3:, ["prob_higher", "prob_low", "prob_high"]].isna().all().all()
    assert e.loc[0, "prob_higher"] == 0.62 and e.loc[0, "prob_low"] > 0.5
    assert e.loc[1, "prob_high"] < 0.5
