"""Ordinal mixed model of the answers to each item (cumulative link mixed model).

Likert answers are ordered labels, not numbers. For each item, this module
fits the cumulative logit model with a random intercept per candidate, on
every available answer of every wave (as R's ``ordinal::clmm``)::

    logit P(Y_ij <= k) = theta_k - (beta_wave(j) + u_i),   u_i ~ N(0, sigma^2)

where ``Y_ij`` is candidate ``i``'s answer at wave ``j`` (recoded so that
higher is better), ``theta_1 < ... < theta_{K-1}`` are the thresholds
between the ``K`` answer values, ``beta`` are the wave effects (the first
wave is the reference, ``beta = 0``) and ``u_i`` is the candidate's own
level. A positive ``beta_T3 - beta_T1`` means that answers at T3 are higher
than at T1 for the same candidate: ``exp(beta)`` is the common odds ratio of
answering above any given value.

Fitting on answer patterns, not on candidates
---------------------------------------------
The marginal likelihood is a product over candidates of
``L_i = int prod_j p(Y_ij | beta_wave(j) + u) phi(u / sigma) / sigma du``,
and ``L_i`` depends on candidate ``i`` only through its *answer pattern*:
the answer code (or "no answer") at each wave, the design having nothing
else per candidate (the waves, no covariate). Two candidates with the same
pattern have the same ``L_i``, the same mode and curvature of the integrand
and the same derivatives. So :func:`item_ordinal` collapses the candidates
of an item to their distinct patterns (``np.unique`` on the rows of the
integer-coded candidate x wave matrix) with their counts ``n_p``, and
:func:`fit_clmm` maximizes ``sum_p n_p log L_p``: the same function as
``sum_i log L_i``, with its gradient, and so its Hessian and standard
errors, weighted by the same counts. Only the order of the floating-point
sums changes (the estimates move by less than the optimizer's tolerance:
about 1e-8 at 10,000 candidates). With ``K`` answer values and ``W`` waves
there are at most ``(K + 1)^W - 1`` patterns (215 for 5 values and 3
waves), so the fit costs the same at 300 or 100,000 candidates; only
building the patterns grows with the data. ``n_candidates`` and ``n_obs``
still count candidates and answers.

Public functions
----------------
item_ordinal
    The results table ``item_ordinal``: one row per item and pair of waves
    (every pair from one fit per item).
fit_clmm
    The model on integer-coded answers, a design matrix and candidate codes.
prob_higher
    The probability that a typical candidate answers higher at one wave
    than at another (ties counted half).
scale_levels
    The recoded answer values each item can take, from the codebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, sparse, special, stats

from impactlib.frames import as_float, check_columns, wave_codes, wave_order, wave_pairs

__all__ = ["item_ordinal", "fit_clmm", "prob_higher", "scale_levels", "OrdinalFit", "N_AGQ"]

#: Nodes of the adaptive Gauss-Hermite quadrature (R ``clmm(nAGQ = 25)``).
N_AGQ = 25
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_LOG_SQRT_PI = np.array([0.5 * np.log(np.pi)])
# The search box: outside it, the objective is the likelihood at the nearest
# point of the box plus a steep quadratic wall, so that a line search never
# evaluates absurd values (sigma of 1e300). Thresholds' log increments in
# [-20, 6], coefficients and the first threshold in [-50, 50], log sigma in
# [-20, 7]; the optimum is never near the walls, or the fit is reported as not
# converged (see _RUNAWAY and _SIGMA_MAX).
_BOX_COEF = 50.0
_BOX_LOG_INCREMENT = (-20.0, 6.0)
_BOX_LOG_SIGMA = (-20.0, 7.0)
_WALL = 1e4
_LOG_SIGMA_START = 0.0
_SIGMA_MAX = 20.0
# A wave effect or threshold whose standard error exceeds this (an interval
# wider than +/- 20 logits) is not an estimate: the likelihood is flat to
# infinity (e.g. no candidate's answer went down: sigma and beta run away).
_MAX_SE = 10.0
# Convergence: largest absolute gradient of the negative log-likelihood in
# (theta, beta, log sigma) at the reported optimum, as clmm's gradTol.
_GRAD_TOL = 1e-4
# |estimate| above which a log-odds is taken as running away to infinity (an
# answer pattern separates the waves): the likelihood has no finite maximum.
_RUNAWAY = 25.0
# Newton search of each candidate's mode: stop when |d/db| < _MODE_TOL.
_MODE_TOL = 1e-11
_MODE_MAX_ITER = 100
# Step of the central differences of the analytic gradient (Hessian).
_HESS_STEP = 1e-4


# ---------------------------------------------------------------------------
# The likelihood of one answer: log(F(a) - F(c)) and its derivatives
# ---------------------------------------------------------------------------


def _logistic(x):
    """``F(x)``, ``S(x) = 1 - F(x)`` of the logistic cdf and ``1 + exp(-|x|)``, without overflow."""
    e = np.exp(-np.abs(x))
    one_e = 1.0 + e
    inv = 1.0 / one_e
    pos = x >= 0
    return np.where(pos, inv, e * inv), np.where(pos, e * inv, inv), one_e


def _gap(a, c):
    """``m = 1 - exp(c - a)`` and ``log m``: they depend on the thresholds only."""
    m = -np.expm1(c - a)
    return m, np.log(m)


def _interval(a, c, gap=None):
    """``log D``, ``f(a) / D``, ``f(c) / D``, ``F(a)`` and ``F(c)``, for ``D = F(a) - F(c)``.

    ``a > c`` are the upper and lower cuts of the observed value (``a = +inf``
    for the highest value, ``c = -inf`` for the lowest), ``F`` the logistic
    cdf and ``f = F (1 - F)`` its density. ``D = F(a) S(c) m`` with
    ``S = 1 - F`` and ``m = 1 - exp(c - a)`` is exact in floating point
    whatever the sign and size of the cuts (no cancellation):
    ``log F(a) + log S(c) = -max(-a, 0) - max(c, 0) - log((1 + e^-|a|)(1 + e^-|c|))``
    takes one logarithm (of a number in [1, 4]; ``log`` rather than
    ``log1p``: the absolute error is below 1e-15). ``gap`` may give
    ``(m, log m)`` (:func:`_gap`, shaped to broadcast).
    """
    m, log_m = _gap(a, c) if gap is None else gap
    fa, sa, one_a = _logistic(a)
    fc, sc, one_c = _logistic(c)
    log_d = log_m - np.maximum(-a, 0.0) - np.maximum(c, 0.0) - np.log(one_a * one_c)
    ra = sa / (sc * m)          # f(a) / D
    rc = fc / (fa * m)          # f(c) / D
    return log_d, ra, rc, fa, fc


def _derivatives(a, c, gap=None):
    """Derivatives of ``L(a, c) = log(F(a) - F(c))`` up to the third order.

    Returns ``log D`` and the dictionary of partial derivatives ``a``, ``c``,
    ``aa``, ``ac``, ``cc``, ``aaa``, ``aac``, ``acc``, ``ccc``. With
    ``D_a = f(a)``, ``D_c = -f(c)``, ``f' = f (1 - 2F)``, ``f'' = f (1 - 6f)``
    and no mixed derivative of ``D``, the derivatives of ``log D`` are
    ``L_i = D_i / D``, ``L_ij = D_ij / D - L_i L_j`` and
    ``L_ijk = D_ijk / D - (D_ij L_k + D_ik L_j + D_jk L_i) / D + 2 L_i L_j L_k``.
    """
    log_d, ra, rc, fa, fc = _interval(a, c, gap)
    pa = ra * (1.0 - 2.0 * fa)              # f'(a) / D
    pc = rc * (1.0 - 2.0 * fc)              # f'(c) / D
    qa = ra * (1.0 - 6.0 * fa * (1.0 - fa))  # f''(a) / D
    qc = rc * (1.0 - 6.0 * fc * (1.0 - fc))  # f''(c) / D
    la, lc = ra, -rc
    d = {
        "a": la, "c": lc,
        "aa": pa - la * la, "cc": -pc - lc * lc, "ac": -la * lc,
        "aaa": qa - 3.0 * pa * la + 2.0 * la ** 3,
        "ccc": -qc + 3.0 * pc * lc + 2.0 * lc ** 3,
        "aac": -pa * lc + 2.0 * la * la * lc,
        "acc": pc * la + 2.0 * la * lc * lc,
    }
    # derivatives in the linear predictor t (a = theta_y - t, c = theta_{y-1} - t)
    d["t"] = -(la + lc)
    d["tt"] = d["aa"] + 2.0 * d["ac"] + d["cc"]
    d["ttt"] = -(d["aaa"] + 3.0 * d["aac"] + 3.0 * d["acc"] + d["ccc"])
    return log_d, d


# ---------------------------------------------------------------------------
# The marginal likelihood by adaptive Gauss-Hermite quadrature
# ---------------------------------------------------------------------------


class _Clmm:
    """Negative log-likelihood of the model and its exact gradient.

    Per-candidate sums are products with the sparse candidate x answer
    indicator matrix, so every step is vectorized across candidates and
    quadrature nodes.

    Parameters are ``(theta, beta, tau)`` with ``tau = log sigma`` (the
    *natural* parametrization, used for the Hessian and reported), or the
    *raw* parametrization searched by the optimizer, where the thresholds
    are ``alpha_1 = theta_1`` and ``alpha_k = log(theta_k - theta_{k-1})``
    (so that any raw vector gives increasing thresholds).
    """

    def __init__(self, y: np.ndarray, x: np.ndarray, group: np.ndarray, n_agq: int,
                 counts: np.ndarray | None = None):
        order = np.argsort(group, kind="stable")
        self.y = y[order]
        self.x = x[order]
        g = group[order]
        self.g, first = pd.factorize(g)
        self.n_groups = int(self.g.max()) + 1
        # how many candidates each group stands for (an answer pattern, see
        # item_ordinal), indexed by group code; per answer too
        self.wg = (np.ones(self.n_groups) if counts is None
                   else np.asarray(counts, dtype=float)[np.asarray(first)])
        self.wo = self.wg[self.g]
        self.n_weight = float(self.wg.sum())
        # per-candidate sums as a product with the candidate x answer indicator
        self.indicator = sparse.csr_array(
            (np.ones(len(g)), (self.g, np.arange(len(g)))), shape=(self.n_groups, len(g)))
        self.k = int(self.y.max()) + 1
        self.p = self.x.shape[1]
        self.z, w = np.polynomial.hermite.hermgauss(n_agq)
        self.log_w = np.log(w)
        self.b = np.zeros(self.n_groups)          # warm start of the modes
        self.has_upper = self.y < self.k - 1
        self.has_lower = self.y > 0
        self.mode_converged = True

    # -- parametrizations ---------------------------------------------------
    def split(self, params):
        k1 = self.k - 1
        return params[:k1], params[k1:k1 + self.p], params[k1 + self.p]

    @staticmethod
    def theta_of(alpha):
        return np.cumsum(np.r_[alpha[:1], np.exp(alpha[1:])])

    @staticmethod
    def alpha_of(theta):
        return np.r_[theta[:1], np.log(np.diff(theta))]

    def to_natural(self, raw):
        alpha, beta, tau = self.split(raw)
        return np.concatenate([self.theta_of(alpha), beta, [tau]])

    def jacobian(self, raw):
        """d natural / d raw (thresholds only; beta and tau are the same)."""
        alpha = raw[:self.k - 1]
        n = len(raw)
        jac = np.eye(n)
        k1 = self.k - 1
        block = np.tril(np.ones((k1, k1))) * np.r_[1.0, np.exp(alpha[1:])][None, :]
        jac[:k1, :k1] = block
        return jac

    def _cuts(self, theta):
        ext = np.concatenate([[-np.inf], theta, [np.inf]])
        return ext[self.y + 1], ext[self.y]

    def _sum(self, values):
        return self.indicator @ values

    # -- the modes of the integrands -----------------------------------------
    def _modes(self, eta, sigma, up, lo, gap):
        """Mode ``b`` of each candidate's integrand (standardized scale) by damped Newton.

        ``h(b) = sum_j log p(y_j | eta_j + sigma b) - b^2 / 2`` is strictly
        concave. All candidates step at once, from the previous call's modes;
        a candidate whose ``h`` decreased goes back and halves its step (the
        check uses the values computed for the next step, so it costs no
        extra evaluation). Returns the modes, the per-observation
        derivatives at the modes and ``h''``.
        """
        b = self.b.copy()
        prev = np.full_like(b, -np.inf)
        base, step, lam = b, np.zeros_like(b), np.ones_like(b)
        self.mode_converged = False
        for _ in range(_MODE_MAX_ITER):
            t = eta + sigma * b[self.g]
            log_d, d = _derivatives(up - t, lo - t, gap)
            h = self._sum(log_d) - 0.5 * b * b
            h1 = sigma * self._sum(d["t"]) - b
            h2 = sigma * sigma * self._sum(d["tt"]) - 1.0
            worse = h < prev - 1e-13 * (1.0 + np.abs(prev))
            if not worse.any() and np.max(np.abs(h1)) < _MODE_TOL:
                self.mode_converged = True
                break
            ok = ~worse
            lam = np.where(ok, 1.0, 0.5 * lam)
            base = np.where(ok, b, base)
            step = np.where(ok, -h1 / h2, step)
            prev = np.where(ok, h, prev)
            b = base + lam * step
        self.b = b
        return b, d, h2

    # -- value and gradient ----------------------------------------------------
    def nll(self, natural, gradient=True):
        """Negative log-likelihood (and its gradient) at natural parameters.

        ``tau = -inf`` gives the model without random effect (sigma = 0).
        """
        theta, beta, tau = self.split(natural)
        sigma = float(np.exp(tau))
        up, lo = self._cuts(theta)
        gap = _gap(up, lo)
        eta = np.sum(self.x * beta, axis=1)
        b, dm, h2 = self._modes(eta, sigma, up, lo, gap)
        big_h = -h2
        s = np.sqrt(2.0 / big_h)
        # sigma = 0: the integrand is phi(b) times a constant, integrated
        # exactly by one node (z = 0, w = sqrt(pi), s = sqrt(2))
        z, log_w = (self.z, self.log_w) if sigma > 0 else (np.zeros(1), _LOG_SQRT_PI)
        nodes = b[:, None] + s[:, None] * z[None, :]                 # (n, Q)
        t = eta[:, None] + (sigma * nodes)[self.g]                     # (N, Q)
        log_d, ra, rc, _, _ = _interval(up[:, None] - t, lo[:, None] - t,
                                        (gap[0][:, None], gap[1][:, None]))
        e = self._sum(log_d) - 0.5 * nodes * nodes + z * z + log_w
        e_max = e.max(axis=1)
        wts = np.exp(e - e_max[:, None])
        total = wts.sum(axis=1)
        loglik = np.sum(self.wg * (np.log(s) + e_max + np.log(total))) \
            - self.n_weight * _LOG_SQRT_2PI
        if not gradient:
            return -loglik
        pi = wts / total[:, None]                                      # (n, Q)
        pio = pi[self.g]                                               # (N, Q)
        l1q = rc - ra                                                  # dl/dt at the nodes
        # direct derivatives at fixed nodes (each answer weighted by its group's count)
        pra = np.sum(pio * ra, axis=1) * self.wo
        prc = np.sum(pio * rc, axis=1) * self.wo
        g_beta = np.sum(self.x * (prc - pra)[:, None], axis=0)
        g_theta = (np.bincount(self.y[self.has_upper], pra[self.has_upper], minlength=self.k - 1)
                   - np.bincount(self.y[self.has_lower] - 1, prc[self.has_lower],
                                 minlength=self.k - 1))
        # h'(b_q) = sigma sum_o dl/dt - b_q at the nodes; d h / d tau = sigma b_q sum_o dl/dt
        hprime = sigma * self._sum(l1q) - nodes                        # (n, Q)
        g_tau = np.sum(self.wg * np.sum(pi * nodes * (hprime + nodes), axis=1))
        # the nodes move with the parameters: implicit derivatives of the mode
        # (h'(b) = 0) and of the curvature h''(b) at the mode
        c1 = np.sum(pi * hprime, axis=1)
        k2 = np.sum(pi * hprime * z, axis=1) + 1.0 / s
        l1, l2, l3 = dm["t"], dm["tt"], dm["ttt"]
        h3 = sigma ** 3 * self._sum(l3)
        big_m = self.wg * (c1 + 0.5 * k2 * s * h3 / big_h) / big_h
        big_r = self.wg * 0.5 * k2 * s / big_h
        mo, ro, bo = big_m[self.g], big_r[self.g], b[self.g]
        s2 = sigma * sigma
        g_beta = g_beta + np.sum(self.x * (mo * sigma * l2 + ro * s2 * l3)[:, None], axis=0)
        up_w = mo * (-sigma) * (dm["aa"] + dm["ac"]) + ro * s2 * (dm["aaa"] + 2 * dm["aac"]
                                                                   + dm["acc"])
        lo_w = mo * (-sigma) * (dm["ac"] + dm["cc"]) + ro * s2 * (dm["aac"] + 2 * dm["acc"]
                                                                   + dm["ccc"])
        g_theta = (g_theta
                   + np.bincount(self.y[self.has_upper], up_w[self.has_upper],
                                 minlength=self.k - 1)
                   + np.bincount(self.y[self.has_lower] - 1, lo_w[self.has_lower],
                                 minlength=self.k - 1))
        g_tau = g_tau + np.sum(mo * (sigma * l1 + s2 * bo * l2)
                               + ro * (2.0 * s2 * l2 + sigma ** 3 * bo * l3))
        return -loglik, -np.concatenate([g_theta, g_beta, [g_tau]])

    def nll_raw(self, raw):
        value, grad = self.nll(self.to_natural(raw))
        return value, self.jacobian(raw).T @ grad

    def hessian_raw(self, raw, free):
        """Hessian of the negative log-likelihood in the raw parameters ``free``.

        Central differences of the analytic gradient (step 1e-4), made
        symmetric.
        """
        idx = np.flatnonzero(free)
        hess = np.empty((len(idx), len(idx)))
        for col, j in enumerate(idx):
            h = _HESS_STEP * max(1.0, abs(raw[j]))
            plus, minus = raw.copy(), raw.copy()
            plus[j] += h
            minus[j] -= h
            hess[:, col] = (self.nll_raw(plus)[1][idx] - self.nll_raw(minus)[1][idx]) / (2 * h)
        return 0.5 * (hess + hess.T)


# ---------------------------------------------------------------------------
# Fitting
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrdinalFit:
    """A fitted cumulative link mixed model (see :func:`fit_clmm`).

    Attributes
    ----------
    thresholds : ndarray, shape (K - 1,)
        ``theta_1 < ... < theta_{K-1}``.
    beta : ndarray, shape (P,)
        Coefficients of the columns of ``x``.
    sigma : float
        Standard deviation of the random intercept (0 on the boundary).
    cov : ndarray, shape (K - 1 + P + 1, K - 1 + P + 1)
        Covariance of ``(thresholds, beta, log sigma)``: the inverse Hessian
        of the negative log-likelihood (R ``vcov(clmm)``). The ``log sigma``
        row and column are NaN when ``sigma`` is 0.
    loglik : float
        Maximized log-likelihood (adaptive quadrature).
    converged : bool
        The optimum was found: see :func:`fit_clmm`.
    message : str
        Why it did not converge, or that sigma is at the boundary; "" otherwise.
    max_gradient : float
        Largest absolute gradient at the optimum (natural parameters).
    n_agq : int
        Quadrature nodes.
    """

    thresholds: np.ndarray
    beta: np.ndarray
    sigma: float
    cov: np.ndarray
    loglik: float
    converged: bool
    message: str
    max_gradient: float
    n_agq: int

    @property
    def se(self) -> np.ndarray:
        """Standard errors of ``(thresholds, beta, log sigma)``."""
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(self.cov))


def _start(y: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Thresholds from the cumulative shares of the answers (logits), ``weights`` per answer."""
    counts = np.bincount(y, weights, minlength=k)
    share = np.cumsum(counts)[:-1] / counts.sum()
    return special.logit(np.clip(share, 1e-3, 1 - 1e-3))


def _box(k1: int, p: int, with_sigma: bool) -> tuple[np.ndarray, np.ndarray]:
    low = np.r_[-_BOX_COEF, np.full(k1 - 1, _BOX_LOG_INCREMENT[0]), np.full(p, -_BOX_COEF)]
    high = np.r_[_BOX_COEF, np.full(k1 - 1, _BOX_LOG_INCREMENT[1]), np.full(p, _BOX_COEF)]
    if with_sigma:
        low, high = np.r_[low, _BOX_LOG_SIGMA[0]], np.r_[high, _BOX_LOG_SIGMA[1]]
    return low, high


def _minimize(objective, raw0: np.ndarray, box) -> optimize.OptimizeResult:
    """BFGS on ``objective`` (value, gradient), walled in ``box``.

    BFGS rather than L-BFGS-B: with a multithreaded OpenBLAS, each L-BFGS-B
    iteration of these 5-10 parameters costs more than a likelihood
    evaluation.
    """
    low, high = box

    def walled(raw):
        inside = np.clip(raw, low, high)
        out = raw - inside
        value, grad = objective(inside)
        if not np.isfinite(value):
            return np.inf, np.zeros_like(raw)
        grad = np.where(out == 0, grad, 0.0)
        return value + _WALL * float(out @ out), grad + 2.0 * _WALL * out

    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        res = optimize.minimize(walled, raw0, jac=True, method="BFGS",
                                options={"maxiter": 1000, "gtol": 1e-6})
    res.x = np.clip(res.x, low, high)
    return res


def fit_clmm(y, x, group, n_agq: int = N_AGQ, counts=None) -> OrdinalFit:
    """Cumulative logit model with a random intercept, by maximum likelihood.

    ``logit P(y_o <= k) = theta_k - (x_o' beta + u_group(o))``,
    ``u ~ N(0, sigma^2)``, as R ``ordinal::clmm(y ~ x + (1 | group),
    link = "logit", threshold = "flexible", nAGQ = n_agq)``.

    Parameters
    ----------
    y : array of int
        Answers coded ``0 .. K-1``, every code used at least once, ``K >= 2``.
    x : array, shape (N, P)
        Design matrix without intercept (the thresholds play its part).
    group : array of int
        Candidate code of each answer.
    n_agq : int
        Nodes of the adaptive Gauss-Hermite quadrature (>= 1; 1 is the
        Laplace approximation).
    counts : array of int, optional
        Frequency weights: ``counts[g]`` candidates share the answers of
        group ``g`` (``group`` then holds the codes ``0 .. len(counts) - 1``).
        Each group's log-likelihood, and so its gradient and Hessian, counts
        ``counts[g]`` times: the fit equals the fit on ``counts[g]`` copies
        of the group (:func:`item_ordinal` passes one group per distinct
        answer pattern). Default: 1 for every group.

    Returns
    -------
    OrdinalFit

    Notes
    -----
    **Likelihood.** With ``b = u / sigma ~ N(0, 1)``, candidate ``i``
    contributes ``L_i = int exp(h_i(b)) db``, where
    ``h_i(b) = sum_o log p(y_o | x_o' beta + sigma b) + log phi(b)``.
    Adaptive Gauss-Hermite quadrature (Pinheiro & Bates 1995; Liu & Pierce
    1994) centres the rule on the mode ``b_i`` of ``h_i`` and scales it by the
    curvature ``H_i = -h_i''(b_i)``: with the Gauss-Hermite nodes ``z_q`` and
    weights ``w_q``, ``s_i = sqrt(2 / H_i)``,
    ``L_i ~ s_i sum_q w_q exp(h_i(b_i + s_i z_q) + z_q^2)``.
    The modes are found by Newton steps (halved when they overshoot), all
    candidates at once, starting from the previous evaluation's modes.

    **Gradient.** Exact for this approximation: the derivative at fixed
    nodes plus the movement of the nodes, by implicit differentiation of
    ``h_i'(b_i) = 0`` (``d b_i = d h_i' / H_i``) and of ``H_i`` (which needs
    the third derivative of ``log p`` in the linear predictor). The
    derivatives of ``log(F(a) - F(c))`` are written in closed form
    (:func:`_derivatives`). ``tests/test_ordinal.py`` checks the gradient
    against central differences of the likelihood.

    **Search.** BFGS (:func:`scipy.optimize.minimize`, ``gtol = 1e-6``) on
    the thresholds written as ``theta_1`` and the logs of the increments
    (any value gives increasing thresholds), ``beta`` and ``log sigma``,
    first without random effect (``sigma = 0``, from the logits of the
    cumulative shares of the answers and ``beta = 0``), then with it from
    that fit and ``sigma = 1``. A steep wall keeps the search inside
    ``|theta_1|, |beta| <= 50``, ``log sigma`` in ``[-20, 7]``. The fit
    without random effect is the boundary ``sigma^2 = 0``: it is reported
    (``sigma = 0``, ``message`` says so) when its likelihood is not smaller
    than the random-intercept fit's (the likelihood then decreases in sigma
    near 0, lme4's singular fit; clmm reports a tiny sigma instead).

    **Standard errors.** The Hessian of the negative log-likelihood in the
    raw parameters by central differences of the analytic gradient,
    inverted and carried to ``(theta, beta, log sigma)`` by the Jacobian of
    the thresholds (at the optimum this equals the inverse Hessian in
    those parameters, as clmm computes it; the ``beta`` block does not
    depend on how the other parameters are written). On the boundary the
    Hessian leaves ``log sigma`` out.

    **Convergence.** ``converged`` is False when the search stopped without
    reaching ``max |gradient| < 1e-4`` (clmm's ``gradTol``), when the
    Hessian is not positive definite, when ``sigma`` exceeds 20, or when a
    threshold or coefficient exceeds 25 in absolute value or has a standard
    error above 10 (an answer pattern separating the waves, e.g. no answer
    that went down: the likelihood has no finite maximum; clmm then reports
    huge estimates and standard errors). Nothing is
    raised or warned for a bad fit; ``message`` says what went wrong.

    References
    ----------
    Christensen, R. H. B. (2019). Cumulative link models for ordinal
    regression with the R package ordinal (``clmm``). https://CRAN.R-project.org/package=ordinal

    Agresti, A. (2010). *Analysis of Ordinal Categorical Data* (2nd ed.).
    Wiley. Chapters 3 and 10.

    Pinheiro, J. C., & Bates, D. M. (1995). Approximations to the
    log-likelihood function in the nonlinear mixed-effects model. *Journal
    of Computational and Graphical Statistics*, 4(1), 12-35.

    Liu, Q., & Pierce, D. A. (1994). A note on Gauss-Hermite quadrature.
    *Biometrika*, 81(3), 624-629.

    Examples
    --------
    Eight candidates answer twice (values coded 0, 1, 2):

    >>> import numpy as np
    >>> y = np.array([2, 1, 0, 0, 1, 1, 1, 1, 0, 2, 1, 1, 2, 2, 1, 2])
    >>> x = np.array([[0.0], [1.0]] * 8)         # first and second wave
    >>> group = np.repeat(np.arange(8), 2)       # candidate of each answer
    >>> fit = fit_clmm(y, x, group)
    >>> fit.converged, fit.n_agq
    (True, 25)
    >>> print(np.round(fit.beta, 4), np.round(fit.se[2], 4), round(fit.sigma, 4))
    [0.7981] 1.0532 1.2903

    R: ``clmm(y ~ w + (1 | g), nAGQ = 25)`` gives ``wT2`` 0.79812639 (SE
    1.05320438) and a standard deviation of 1.2903117.
    """
    y = np.asarray(y, dtype=np.int64)
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    group = np.asarray(group)
    if not (len(y) == len(x) == len(group)):
        raise ValueError("`y`, `x` and `group` must have the same length.")
    if int(n_agq) < 1:
        raise ValueError("`n_agq` must be at least 1.")
    k = int(y.max()) + 1 if len(y) else 0
    if k < 2 or y.min() < 0 or len(np.unique(y)) != k:
        raise ValueError("`y` must code at least 2 answer values as 0 .. K-1, each used.")
    if counts is not None:
        counts = np.asarray(counts, dtype=np.int64)
        if (counts.ndim != 1 or not np.issubdtype(group.dtype, np.integer) or len(group) == 0
                or group.min() < 0 or group.max() >= len(counts) or np.any(counts < 1)):
            raise ValueError("`counts` must give a count >= 1 for each group code "
                             "0 .. len(counts) - 1 of `group`.")
    else:
        group = pd.factorize(group)[0]
    model = _Clmm(y, x, group, int(n_agq), counts)
    k1, p = k - 1, x.shape[1]
    # 1. without random effect (sigma = 0), from the cumulative logits
    raw0 = np.r_[model.alpha_of(_start(model.y, k, model.wo)), np.zeros(p)]

    def nll_fixed(r):
        value, grad = model.nll_raw(np.r_[r, -np.inf])
        return value, grad[:-1]

    res0 = _minimize(nll_fixed, raw0, _box(k1, p, False))
    # 2. with random effect, from there and sigma = 1
    model.b = np.zeros(model.n_groups)
    res1 = _minimize(model.nll_raw, np.r_[res0.x, _LOG_SIGMA_START], _box(k1, p, True))
    nll0 = float(res0.fun) if np.isfinite(res0.fun) else np.inf
    nll1 = float(res1.fun) if np.isfinite(res1.fun) else np.inf
    boundary = nll0 <= nll1
    if boundary:
        raw, res, free = np.r_[res0.x, -np.inf], res0, np.r_[np.ones(k1 + p, dtype=bool), False]
    else:
        raw, res, free = res1.x, res1, np.ones(k1 + p + 1, dtype=bool)
    return _finish(model, raw, res, free, boundary, int(n_agq))


def _finish(model: _Clmm, raw, res, free, boundary, n_agq) -> OrdinalFit:
    k1, p = model.k - 1, model.p
    n = k1 + p + 1
    nan_cov = np.full((n, n), np.nan)
    natural = model.to_natural(raw)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        try:
            value, grad = model.nll(natural)
            hess = model.hessian_raw(raw, free)
        except (FloatingPointError, ValueError, np.linalg.LinAlgError):
            value, grad, hess = np.inf, np.full(n, np.nan), None
    max_grad = float(np.max(np.abs(grad[free]))) if np.all(np.isfinite(grad[free])) else np.inf
    problems = []
    if not np.isfinite(value):
        problems.append("the likelihood could not be computed")
    if max_grad >= _GRAD_TOL:
        problems.append(f"the search stopped with a gradient of {max_grad:.2g} "
                        f"({str(res.message).strip()})")
    cov = nan_cov
    if hess is not None and np.all(np.isfinite(hess)):
        try:
            chol = np.linalg.cholesky(hess)
            inv = np.linalg.inv(chol)
            cov_raw = inv.T @ inv
            jac = model.jacobian(raw)[np.ix_(free, free)]
            cov = nan_cov.copy()
            cov[np.ix_(free, free)] = jac @ cov_raw @ jac.T
        except np.linalg.LinAlgError:
            problems.append("the Hessian is not positive definite")
    else:
        problems.append("the Hessian could not be computed")
    if not model.mode_converged:
        problems.append("a candidate's mode was not found")
    if np.any(np.abs(natural[:k1 + p]) > _RUNAWAY) or np.any(
            np.sqrt(np.abs(np.diag(cov)[:k1 + p])) > _MAX_SE):
        problems.append("no finite estimate: a log-odds or its standard error runs away "
                        "(an answer pattern separates the waves)")
    if not boundary and np.exp(raw[-1]) > _SIGMA_MAX:
        problems.append(f"the standard deviation between candidates runs away (above "
                        f"{_SIGMA_MAX:g} on the logit scale)")
    theta, beta, tau = model.split(natural)
    message = "; ".join(problems) if problems else (
        "variance between candidates estimated at 0 (boundary)" if boundary else "")
    return OrdinalFit(thresholds=theta, beta=beta, sigma=0.0 if boundary else float(np.exp(tau)),
                      cov=cov, loglik=-float(value), converged=not problems, message=message,
                      max_gradient=max_grad, n_agq=n_agq)


# ---------------------------------------------------------------------------
# Probability of a higher answer
# ---------------------------------------------------------------------------


def prob_higher(thresholds, eta_from: float, eta_to: float) -> float:
    """``P(Y_to > Y_from) + P(Y_to = Y_from) / 2`` for a typical candidate.

    ``Y_from`` and ``Y_to`` are two independent answers of a candidate with
    ``u = 0``, from the fitted cumulative logit model at the linear
    predictors ``eta_from`` and ``eta_to`` (the wave effects). 0.5 means no
    change; above 0.5, a higher answer at ``to`` is more likely than a lower
    one. This is Agresti & Kateri's (2017) ordinal superiority measure
    ``gamma`` at ``u = 0``. As the scale gets finer it approaches the
    probability for the latent logistic answers,
    ``e^d (e^d - 1 - d) / (e^d - 1)^2`` with ``d = eta_to - eta_from``
    (Agresti & Kateri approximate it by ``expit(d / sqrt 2)``); with few
    answer values the ties pull it towards 0.5.

    Parameters
    ----------
    thresholds : array
        ``theta_1 < ... < theta_{K-1}``.
    eta_from, eta_to : float
        Linear predictors (wave effects) of the two waves.

    Returns
    -------
    float

    References
    ----------
    Agresti, A., & Kateri, M. (2017). Ordinal probability effect measures
    for group comparisons in multinomial cumulative link models.
    *Biometrics*, 73(1), 214-219.

    Examples
    --------
    Two values (K = 2), threshold 0, no change: P(higher) = 1/4, ties 1/2.

    >>> prob_higher([0.0], 0.0, 0.0)
    0.5
    >>> round(prob_higher([0.0], 0.0, np.log(3)), 4)   # P(high): 1/2 -> 3/4
    0.625
    """
    cum_from = np.r_[special.expit(np.asarray(thresholds, dtype=float) - eta_from), 1.0]
    cum_to = np.r_[special.expit(np.asarray(thresholds, dtype=float) - eta_to), 1.0]
    p_from = np.diff(np.r_[0.0, cum_from])
    p_to = np.diff(np.r_[0.0, cum_to])
    higher = float(np.sum(p_from * (1.0 - cum_to)))
    tie = float(np.sum(p_from * p_to))
    return higher + 0.5 * tie


# ---------------------------------------------------------------------------
# The results table
# ---------------------------------------------------------------------------


def scale_levels(items: pd.DataFrame, scales: pd.DataFrame) -> dict:
    """The recoded values each item can take: ``{item: [values, ascending]}``.

    The values of the item's scale (missing-value labels left out), turned
    round (``min + max - value``) for reverse-keyed items, as the
    ``responses`` table's ``value``.

    >>> items = pd.DataFrame({"item": ["q1", "q2"], "scale": "s", "reverse": [False, True],
    ...                       "min": 1, "max": 4})
    >>> scales = pd.DataFrame({"scale": "s", "value": pd.array([1, 2, 3, 4, None], "Int64"),
    ...                        "label": list("abcdx")})
    >>> scale_levels(items, scales)
    {'q1': [1, 2, 3, 4], 'q2': [1, 2, 3, 4]}
    """
    check_columns(items, ["item", "scale", "reverse", "min", "max"], "items")
    check_columns(scales, ["scale", "value"], "scales")
    answered = scales.loc[scales["value"].notna()]
    by_scale = {s: sorted(int(v) for v in g["value"]) for s, g in answered.groupby("scale")}
    out = {}
    for row in items.itertuples(index=False):
        values = by_scale.get(row.scale, [])
        if bool(row.reverse):
            values = sorted(int(row.min) + int(row.max) - v for v in values)
        out[row.item] = values
    return out


_COLUMNS = ["item", "dimension", "from_wave", "to_wave", "estimate", "se", "ci_low", "ci_high",
            "p_value", "prob_higher", "prob_low", "prob_high", "n_candidates", "n_obs",
            "var_candidate", "n_agq",
            "converged", "note"]


def _format_values(values) -> str:
    return ", ".join(f"{v:g}" for v in values)


def item_ordinal(
    data: pd.DataFrame,
    dv: str = "value",
    within: str = "wave",
    subject: str = "candidate",
    item: str = "item",
    dimension: str | None = "dimension",
    waves: Sequence | None = None,
    levels: Mapping | None = None,
    n_agq: int = N_AGQ,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Ordinal mixed model per item: the change of the answers between every pair of waves.

    For each item, :func:`fit_clmm` fits
    ``logit P(Y_ij <= k) = theta_k - (beta_wave(j) + u_i)``,
    ``u_i ~ N(0, sigma^2)``, by maximum likelihood (adaptive Gauss-Hermite
    quadrature with ``n_agq`` nodes, 25 by default) on every answer of every
    wave: candidates who answered once count too (missing at random given
    their answers). The first wave with answers is the reference. Every pair
    of waves comes from that one fit: ``T1 -> T2`` is ``beta_T2``,
    ``T2 -> T3`` is ``beta_T3 - beta_T2`` with its standard error from the
    covariance of the estimates.

    Parameters
    ----------
    data : pandas.DataFrame
        Long ``responses`` table: one row per candidate x wave x item.
    dv : str
        Answer column, recoded so that higher is better; missing answers
        (``<NA>``: "Ne sait pas", blank, invalid) are left out.
    within, subject, item : str
        Wave, candidate and item columns.
    dimension : str or None
        Dimension column copied to the output (empty when absent).
    waves : list, optional
        Waves in order. Default: ordered categories of ``within``, else its
        sorted values.
    levels : mapping, optional
        ``{item: values}``: the values the item's scale offers (see
        :func:`scale_levels`), only to name in ``note`` those nobody gave.
    n_agq : int
        Quadrature nodes (default :data:`N_AGQ` = 25).
    confidence : float
        Level of the Wald intervals.

    Returns
    -------
    pandas.DataFrame
        One row per item (in order of first appearance) and pair of waves
        ``i < j`` (in wave order), columns

        * ``item``, ``dimension``, ``from_wave``, ``to_wave``;
        * ``estimate``: ``beta_to - beta_from``, the log-odds of a higher
          answer at ``to_wave`` than at ``from_wave`` for the same
          candidate (positive: answers improved);
        * ``se``, ``ci_low``, ``ci_high``, ``p_value``: standard error from
          the inverse Hessian, Wald interval and two-sided Wald z test;
        * ``prob_higher``: :func:`prob_higher` at the two waves' effects,
          the probability that a typical candidate (``u = 0``) gives a
          higher answer at ``to_wave`` than at ``from_wave``, ties counted
          half (0.5: no change);
        * ``prob_low``, ``prob_high``: the interval of ``prob_higher``,
          :func:`prob_higher` with ``eta_to = eta_from + ci_low`` (and
          ``ci_high``), the item's fitted thresholds and ``eta_from`` held
          at their estimates (see Notes); NaN where ``se`` is;
        * ``n_candidates``, ``n_obs``: candidates with at least one answer
          to the item, answers used (all waves);
        * ``var_candidate``: ``sigma^2``, the variance between candidates
          on the logit scale (0 on the boundary);
        * ``n_agq``: quadrature nodes;
        * ``converged``: the fit converged (see :func:`fit_clmm`); when it
          did not, or when the item cannot be fitted, the numbers of the
          row are NaN (the row is kept);
        * ``note``: answer values nobody gave (the model is fitted on the
          values given: an unused value has no threshold of its own), a
          wave without answers (its pairs are NaN), the boundary
          ``sigma^2 = 0``, or why there is no estimate; empty otherwise.

    Notes
    -----
    An item cannot be fitted when fewer than 2 answer values were given, or
    when only one wave has answers; its rows say so in ``note``. Fitting
    never raises nor warns.

    ``prob_higher`` is a function of the log-odds contrast
    ``d = eta_to - eta_from`` once the thresholds and ``eta_from`` are
    fixed: with ``theta'_k = theta_k - eta_from`` (the answer distribution
    at ``from_wave``),

        g(d) = sum_k p_k [1 - F(theta'_k - d) / 2 - F(theta'_{k-1} - d) / 2],

    ``p_k`` the probability of answer ``k`` at ``from_wave``, ``F`` the
    logistic function. ``g`` is strictly increasing in ``d`` and
    ``g(0) = 1/2``. So ``[g(ci_low), g(ci_high)]`` covers ``g(d)`` exactly
    as often as the Wald interval covers ``d`` (same coverage), and it
    excludes 0.5 exactly when the log-odds interval excludes 0 (the Wald
    test). It ignores the uncertainty of the thresholds and of
    ``eta_from`` (only the contrast's is carried), as emmeans'
    back-transformed intervals (``regrid``, ``type = "response"``) ignore
    everything but the linear predictor's. For a pair of two later waves
    (``T2 -> T3``) ``eta_from`` is ``beta_T2``, not 0: the probability
    depends on the contrast and on where the earlier wave's answers lie.

    Each item is fitted on its distinct answer patterns with their counts
    (see the module docstring: exact, and the fit's cost does not grow with
    the number of candidates). Timing, measured with 25 nodes on a shared
    2-core virtual machine (numpy 2.4, scipy 1.17, load average about 6):
    the 30 items of the demo take 2.5 s of processor time at 309
    candidates (3.9 s before the patterns), 4.8 s at 10,000 (102 s
    before; about 160 patterns per item). Each item takes about 40
    evaluations of the likelihood and its gradient (15 of them, without
    random effect, cost one node), 14 of which for the Hessian.

    References
    ----------
    Christensen, R. H. B. (2019). Cumulative link models for ordinal
    regression with the R package ordinal. https://CRAN.R-project.org/package=ordinal

    Agresti, A. (2010). *Analysis of Ordinal Categorical Data* (2nd ed.). Wiley.

    Pinheiro, J. C., & Bates, D. M. (1995). Approximations to the
    log-likelihood function in the nonlinear mixed-effects model. *Journal
    of Computational and Graphical Statistics*, 4(1), 12-35.

    Agresti, A., & Kateri, M. (2017). Ordinal probability effect measures
    for group comparisons in multinomial cumulative link models.
    *Biometrics*, 73(1), 214-219.

    Lenth, R. V. emmeans: Estimated marginal means (``regrid``,
    back-transformed confidence limits). https://CRAN.R-project.org/package=emmeans

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({
    ...     "candidate": list("abcdefgh") * 2, "wave": ["T1"] * 8 + ["T2"] * 8,
    ...     "item": "q1",
    ...     "value": pd.array([3, 1, 2, 2, 1, 2, 3, 2,  2, 1, 2, 2, 3, 2, 3, 3], "Int64")})
    >>> res = item_ordinal(answers, dimension=None)
    >>> res[["from_wave", "to_wave", "estimate", "se", "prob_higher", "converged"]].round(4)
      from_wave to_wave  estimate      se  prob_higher  converged
    0        T1      T2    0.7981  1.0532       0.5986       True
    >>> res[["ci_low", "ci_high", "prob_low", "prob_higher", "prob_high"]].round(4)
       ci_low  ci_high  prob_low  prob_higher  prob_high
    0 -1.2661   2.8624    0.3433       0.5986     0.8201
    """
    if not 0 < confidence < 1:
        raise ValueError("`confidence` must be in (0, 1).")
    check_columns(data, [dv, within, subject, item], short=True)
    wave_keys = wave_order(data, within, waves, name="`waves`")
    pairs = wave_pairs(range(len(wave_keys)))
    code = wave_codes(data[within], wave_keys)
    value = as_float(data[dv], errors="raise")
    keep = (code >= 0) & ~np.isnan(value) & data[subject].notna().to_numpy() \
        & data[item].notna().to_numpy()
    item_keys = pd.unique(data[item].dropna())
    dims = {}
    if dimension is not None and dimension in data.columns:
        d = data[[item, dimension]].dropna().drop_duplicates(item)
        dims = dict(zip(d[item], d[dimension].astype(str)))
    rows = data.loc[keep, [item]].assign(_w=code[keep], _v=value[keep])
    # candidates and items as integer codes: the duplicate check and the
    # patterns of each item work on them, not on the ids' text
    item_code, item_uniques = pd.factorize(rows[item])
    subject_code, subjects = pd.factorize(data.loc[keep, subject])
    seen = np.zeros(len(item_uniques) * len(subjects) * len(wave_keys), dtype=bool)
    cell = (item_code * len(subjects) + subject_code) * len(wave_keys) + rows["_w"].to_numpy()
    seen[cell] = True
    if np.count_nonzero(seen) < len(rows):
        raise ValueError(f"`data` has several answers for one ({subject}, {within}, {item}); "
                         "expected the long responses table.")
    rows["_s"] = subject_code
    z = stats.norm.ppf(0.5 + confidence / 2)
    groups = dict(tuple(rows.groupby(item, sort=False, observed=True)))
    blocks = []
    for key in item_keys:
        sub = groups.get(key)
        blocks.append(_one_item(key, sub, wave_keys, pairs, levels, int(n_agq), z))
    out = pd.DataFrame([r for block in blocks for r in block], columns=_COLUMNS[:1] + _COLUMNS[2:])
    out.insert(1, "dimension", out["item"].map(dims).astype(object))
    wave_dtype = pd.CategoricalDtype(wave_keys, ordered=True)
    out["from_wave"] = pd.Categorical(out["from_wave"], dtype=wave_dtype)
    out["to_wave"] = pd.Categorical(out["to_wave"], dtype=wave_dtype)
    for col in ["n_candidates", "n_obs", "n_agq"]:
        out[col] = out[col].astype(np.int64)
    out["converged"] = out["converged"].astype(bool)
    for col in ["estimate", "se", "ci_low", "ci_high", "p_value", "prob_higher", "prob_low",
                "prob_high", "var_candidate"]:
        out[col] = out[col].astype(float)
    return out[_COLUMNS].reset_index(drop=True)


def _patterns(y, wave, candidate, k, n_waves):
    """The distinct answer patterns of one item, as :func:`fit_clmm` takes them.

    ``y`` (codes ``0 .. k-1``), ``wave`` (positions ``0 .. n_waves-1``
    among the waves with answers) and ``candidate`` (codes ``0 .. n-1``) of
    each answer. A candidate's pattern is the row of the candidate x wave
    matrix of answer codes (-1: no answer), written as one integer
    ``sum_j (code_j + 1) (k + 1)^j``. Returns the answers of the distinct
    patterns (``y``, the wave dummies ``x`` without the first wave, the
    pattern code of each answer as ``group``) and ``counts``, the number of
    candidates with each pattern.

    >>> y, x, g, n = _patterns(np.array([1, 0, 1, 0, 1]), np.array([0, 1, 0, 1, 0]),
    ...                        np.array([0, 0, 1, 1, 2]), 2, 2)
    >>> y.tolist(), x.ravel().tolist(), g.tolist(), n.tolist()
    ([1, 1, 0], [0.0, 0.0, 1.0], [0, 1, 1], [1, 2])
    """
    n = int(candidate.max()) + 1
    matrix = np.full((n, n_waves), -1, dtype=np.int64)
    matrix[candidate, wave] = y
    if (k + 1.0) ** n_waves < 2.0 ** 62:
        code = (matrix + 1) @ ((k + 1) ** np.arange(n_waves, dtype=np.int64))
        _, first, counts = np.unique(code, return_index=True, return_counts=True)
        distinct = matrix[first]
    else:  # pragma: no cover - more than 60 bits of answers per candidate
        distinct, counts = np.unique(matrix, axis=0, return_counts=True)
    group, wave = np.nonzero(distinct >= 0)
    x = (wave[:, None] == np.arange(1, n_waves)[None, :]).astype(float)
    return distinct[group, wave], x, group, counts


def _one_item(key, sub, wave_keys, pairs, levels, n_agq, z) -> list[list]:
    """The rows of one item (one fit); ``sub["_s"]`` holds the candidates' codes."""
    nan = np.nan
    if sub is None or len(sub) == 0:
        n_cand = n_obs = 0
        values = np.array([])
    else:
        n_cand = len(np.unique(sub["_s"].to_numpy()))
        n_obs = len(sub)
        values = np.unique(sub["_v"].to_numpy())
    notes = []
    if levels is not None and key in levels:
        unused = [v for v in levels[key] if v not in set(values.tolist())]
        if unused and len(values) >= 2:
            notes.append(f"values never given, left out of the model: {_format_values(unused)}")
    answered_waves = sorted(set(sub["_w"].tolist())) if n_obs else []
    missing_waves = [wave_keys[w] for w in range(len(wave_keys)) if w not in answered_waves]
    fit = None
    if n_obs == 0:
        notes.append("no answer")
    elif len(values) < 2:
        notes.append(f"a single answer value given ({_format_values(values)}): nothing to model")
    elif len(answered_waves) < 2:
        notes.append("answers at a single wave: nothing to compare")
    else:
        if missing_waves:
            notes.append("no answer at " + ", ".join(map(str, missing_waves)))
        y = np.searchsorted(values, sub["_v"].to_numpy())
        wave = np.searchsorted(answered_waves, sub["_w"].to_numpy())
        y, x, group, counts = _patterns(y, wave, pd.factorize(sub["_s"].to_numpy())[0],
                                        len(values), len(answered_waves))
        try:
            fit = fit_clmm(y, x, group, n_agq=n_agq, counts=counts)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:  # pragma: no cover
            notes.append(f"the model could not be fitted: {exc}")
        if fit is not None and fit.message:
            notes.append(fit.message if fit.converged else "did not converge: " + fit.message)
    note = "; ".join(notes)
    converged = fit is not None and fit.converged
    out = []
    for i, j in pairs:
        row = [key, wave_keys[i], wave_keys[j], nan, nan, nan, nan, nan, nan, nan, nan, n_cand,
               n_obs, nan, n_agq, converged, note]
        if converged and i in answered_waves and j in answered_waves:
            k1 = len(fit.thresholds)
            pos = {w: k1 + n for n, w in enumerate(answered_waves[1:])}
            contrast = np.zeros(len(fit.cov))
            if j in pos:
                contrast[pos[j]] += 1.0
            if i in pos:
                contrast[pos[i]] -= 1.0
            beta = np.r_[fit.thresholds, fit.beta, 0.0]
            est = float(contrast @ beta)
            cov = np.nan_to_num(fit.cov[:-1, :-1])
            var = float(contrast[:-1] @ cov @ contrast[:-1])
            se = np.sqrt(var) if var > 0 else nan
            eta = {w: (fit.beta[pos[w] - k1] if w in pos else 0.0) for w in answered_waves}
            low, high = est - z * se, est + z * se
            # the interval of prob_higher: the same map of the contrast, from eta_from
            row[3:11] = [est, se, low, high, float(2 * stats.norm.sf(abs(est / se))),
                         prob_higher(fit.thresholds, eta[i], eta[j]),
                         prob_higher(fit.thresholds, eta[i], eta[i] + low),
                         prob_higher(fit.thresholds, eta[i], eta[i] + high)]
        if converged:
            row[13] = fit.sigma ** 2
        out.append(row)
    return out
