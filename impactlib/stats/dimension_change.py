"""Models of the change in dimension scores between waves.

Every function takes the long ``scores`` table of ``docs/tidy-tables.md``
(one row per candidate x wave x dimension, column ``score``) and returns a
tidy DataFrame with one row per dimension x term (or wave pair, or subgroup).

Public functions
----------------
dimension_model
    Linear mixed model ``score ~ wave + (1 | candidate)`` (REML) per
    dimension, on every available score.
completers_change
    Paired comparison (paired t-test, d_z) on the candidates scored at both
    waves of each wave pair.
imputed_change
    Multiple-imputation sensitivity estimate of the mean change per wave
    pair, pooled with Rubin's rules.
subgroup_change
    Mean change per wave pair within subgroups of candidates, with small
    groups suppressed.
pool_rubin
    Rubin's rules for pooling a scalar estimate over imputations.

Building blocks shared with :mod:`impactlib.stats.sensitivity` (public so
that no private name crosses modules, but not in ``__all__``):
``imputation_draws`` (the completed data sets of :func:`imputed_change`),
``imputed_rows`` / ``imputed_table`` (its rows and table) and ``rubin_pool``
(:func:`pool_rubin` as a dict).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.frames import (as_float, check_columns, level_order, wave_categorical, wave_order,
                              wave_pairs, wide_scores)

__all__ = [
    "dimension_model",
    "completers_change",
    "imputed_change",
    "subgroup_change",
    "pool_rubin",
]


# ---------------------------------------------------------------------------
# Linear mixed model
# ---------------------------------------------------------------------------


# Search grid of the variance ratio gamma = tau2 / sigma2 (natural log), then
# refined by bounded Brent between the neighbours of the best grid point.
_LOG_GAMMA_GRID = np.linspace(np.log(1e-8), np.log(1e8), 33)
_LOG_GAMMA_XATOL = 1e-10
_SINGULAR_THETA = 1e-4  # lme4's isSingular(tol = 1e-4) on theta = tau / sigma


class _RandomInterceptREML:
    """REML profile of ``y = X b + u_group + e`` in ``gamma = tau2 / sigma2``.

    With ``H = I + gamma Z Z'`` (``V = sigma2 H``), per group ``g`` of size
    ``n_g``: ``H_g^-1 = I - w_g J`` with ``w_g = gamma / (1 + n_g gamma)`` and
    ``log|H_g| = log(1 + n_g gamma)``. So, with ``s_g`` the column sums of X
    and ``t_g`` the sum of y in group g,

    * ``X'H^-1 X = X'X - sum_g w_g s_g s_g'``, ``X'H^-1 y = X'y - sum_g w_g s_g t_g``,
    * ``b(gamma)`` is the GLS solution, ``r = y - X b``,
      ``r'H^-1 r = r'r - sum_g w_g (sum_g r)^2``,
    * ``sigma2(gamma) = r'H^-1 r / (n - p)`` and the profiled REML deviance is
      ``(n - p) log r'H^-1 r + sum_g log(1 + n_g gamma) + log|X'H^-1 X|``
      (plus a constant),

    each evaluated in O(n p + G p^2) from group-wise sums.
    """

    def __init__(self, y: np.ndarray, x: np.ndarray, groups: np.ndarray):
        codes, uniques = pd.factorize(groups)
        k = len(uniques)
        self.y, self.x, self.codes = y, x, codes
        self.n, self.p = x.shape
        self.sizes = np.bincount(codes, minlength=k).astype(float)
        self.sx = np.column_stack([np.bincount(codes, weights=x[:, j], minlength=k) for j in range(self.p)])
        self.sy = np.bincount(codes, weights=y, minlength=k)
        self.xtx = np.einsum("ij,ik->jk", x, x)
        self.xty = np.einsum("ij,i->j", x, y)

    def solve(self, gamma: float):
        """``(beta, X'H^-1 X, r'H^-1 r, deviance)`` at ``gamma``; deviance is inf if undefined."""
        # einsum, not BLAS, for the long thin products: a threaded BLAS is
        # much slower on them than a single loop when the cores are busy.
        w = gamma / (1.0 + self.sizes * gamma)
        ws = self.sx * w[:, None]
        a = self.xtx - np.einsum("gi,gj->ij", ws, self.sx)
        c = self.xty - np.einsum("gi,g->i", ws, self.sy)
        try:
            chol = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            return None, a, np.nan, np.inf
        beta = np.linalg.solve(a, c)
        r = self.y - np.einsum("ij,j->i", self.x, beta)
        rg = np.bincount(self.codes, weights=r, minlength=self.sizes.size)
        rhr = float(np.einsum("i,i->", r, r) - np.einsum("g,g,g->", w, rg, rg))
        if not (np.isfinite(rhr) and rhr > 0):
            return beta, a, rhr, np.inf
        dev = ((self.n - self.p) * np.log(rhr) + float(np.sum(np.log1p(self.sizes * gamma)))
               + 2.0 * float(np.sum(np.log(np.diag(chol)))))
        return beta, a, rhr, dev

    def deviance(self, log_gamma: float) -> float:
        return self.solve(float(np.exp(log_gamma)))[3]

    def reml_llf(self, gamma: float) -> float:
        """REML log-likelihood at ``gamma`` and the profiled ``sigma2`` (statsmodels' ``llf``)."""
        _, _, rhr, dev = self.solve(gamma)
        df = self.n - self.p
        return -0.5 * (dev - df * np.log(rhr) + df * (1.0 + np.log(2.0 * np.pi * rhr / df)))


def _fit_random_intercept(y: np.ndarray, x: np.ndarray, groups: np.ndarray,
                          model: _RandomInterceptREML | None = None):
    """Fit y ~ X + (1 | group) by REML; never warns or raises.

    The REML criterion profiled over the fixed effects and the residual
    variance depends on the single ratio ``gamma = tau2 / sigma2`` (see
    :class:`_RandomInterceptREML`). It is minimized over ``log gamma`` by a
    grid search on [1e-8, 1e8] refined by bounded Brent
    (:func:`scipy.optimize.minimize_scalar`), then compared with ``gamma = 0``
    (a random-intercept variance on the boundary, lme4's "singular fit").
    The fixed effects are the GLS estimates at that ratio and their
    covariance is ``sigma2 (X' H^-1 X)^-1``, as ``lme4::vcov``.

    Returns ``(beta, cov_beta, tau2, sigma2, converged, messages)``; the
    arrays are NaN when the fit failed. ``model``: the
    :class:`_RandomInterceptREML` of these data, when already built.
    """
    p = x.shape[1]
    nan_out = (np.full(p, np.nan), np.full((p, p), np.nan), np.nan, np.nan, False)
    if y.size <= p:
        return (*nan_out, "not estimable: no residual degrees of freedom")
    failed = (*nan_out, "fit failed: the residual variance is 0 or X'V^-1 X is singular")
    with np.errstate(all="ignore"):
        if model is None:
            model = _RandomInterceptREML(np.asarray(y, dtype=float), np.asarray(x, dtype=float), groups)
        _, _, rss, dev0 = model.solve(0.0)  # gamma = 0: ordinary least squares
        if not rss > 1e-24 * float(np.einsum("i,i->", model.y, model.y)):
            return (*nan_out, "not estimable: the waves fit the scores exactly (no residual variance)")
        if model.sizes.max() < 2:
            # V = (sigma2 + tau2) I: the REML criterion does not depend on gamma,
            # the fixed effects are OLS and only the sum of the variances is known.
            gamma, converged = 0.0, True
            notes = ["variance components not identifiable (no candidate has two scores): "
                     "candidate variance set to 0"]
        else:
            found = _minimize_ratio(model, dev0)
            if found is None:
                return failed
            gamma, converged, notes = found
            if np.sqrt(gamma) < _SINGULAR_THETA:
                notes.insert(0, "boundary (singular) fit: the candidate variance is estimated at 0")
        beta, a, rhr, dev = model.solve(gamma)
        if beta is None or not np.isfinite(dev):
            return failed
        sigma2 = rhr / (model.n - p)
        try:
            cov = sigma2 * np.linalg.inv(a)
        except np.linalg.LinAlgError:
            return failed
    return beta, (cov + cov.T) / 2.0, gamma * sigma2, sigma2, converged, "; ".join(notes)


def _minimize_ratio(model: _RandomInterceptREML, dev0: float):
    """REML ratio ``gamma``: ``(gamma, converged, notes)``, or None when nowhere defined."""
    from scipy.optimize import minimize_scalar

    grid = _LOG_GAMMA_GRID
    values = np.array([model.deviance(v) for v in grid])
    if not np.isfinite(values).any():
        return (0.0, True, []) if np.isfinite(dev0) else None
    i = int(np.argmin(np.where(np.isfinite(values), values, np.inf)))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    opt = minimize_scalar(model.deviance, bounds=(lo, hi), method="bounded",
                          options={"xatol": _LOG_GAMMA_XATOL, "maxiter": 500})
    log_gamma, dev = (float(opt.x), float(opt.fun)) if opt.fun <= values[i] else (grid[i], values[i])
    if np.isfinite(dev0) and dev0 <= dev:  # the optimum is on the boundary gamma = 0
        return 0.0, True, []
    converged, notes = True, []
    if not opt.success:
        converged = False
        notes.append(f"optimizer: {opt.message}")
    if i == grid.size - 1 and hi - log_gamma < 1e-6:
        converged = False
        notes.append("candidate variance / residual variance at the upper bound of the search (1e8)")
    return float(np.exp(log_gamma)), converged, notes


# lmerTest (as_lmerModLT, tol = 1e-8): eigenvalues of the Hessian of the REML
# deviance in (theta, sigma) at or below this are left out of its inverse.
_LMERTEST_EIGEN_TOL = 1e-8


def _cs_mul(a, b, sizes):
    """Product of block-diagonal matrices ``c I + d_g J`` per group (J = 11', J^2 = n_g J)."""
    return a[0] * b[0], a[0] * b[1] + a[1] * b[0] + sizes * a[1] * b[1]


def _satterthwaite(model: _RandomInterceptREML, beta: np.ndarray, cov: np.ndarray, tau2: float,
                   sigma2: float, contrasts: np.ndarray) -> np.ndarray:
    """Satterthwaite degrees of freedom of each contrast ``l' beta`` (rows of ``contrasts``).

    With ``V = tau2 Z Z' + sigma2 I``, ``C = (X' V^-1 X)^-1``, ``P = V^-1 - V^-1 X C X' V^-1``
    and ``u = P y``, the REML deviance ``D = -2 l_R`` has, in ``phi = (tau2, sigma2)``
    (``V_1 = Z Z'``, ``V_2 = I``), the exact derivatives

    * ``dD/dphi_k = tr(P V_k) - u' V_k u``,
    * ``d2D/dphi_k dphi_m = -tr(P V_k P V_m) + 2 u' V_k P V_m u``,
    * ``dC/dphi_k = C X' V^-1 V_k V^-1 X C``,

    every term a sum over candidates of the blocks ``c I + d_g J`` (:func:`_cs_mul`).
    They are carried to lmerTest's parameters ``psi = (theta, sigma)``,
    ``tau2 = theta^2 sigma^2``, ``sigma2 = sigma^2``, by the chain rule (first
    and second order), so that the boundary ``theta = 0`` is treated as
    lmerTest treats it: ``A = 2 H^+`` (eigenvalues above 1e-8 only) and
    ``df = 2 (l' C l)^2 / (g' A g)`` with ``g_k = l' dC/dpsi_k l``.
    NaN where ``g' A g`` is not positive.
    """
    sizes, codes = model.sizes, model.codes
    theta, sigma = np.sqrt(tau2 / sigma2), np.sqrt(sigma2)
    zero, one = np.zeros_like(sizes), np.ones_like(sizes)
    vinv = (1.0 / sigma2, -tau2 / (sigma2 * (sigma2 + sizes * tau2)))
    basis = [(0.0, one), (1.0, zero)]                      # V_1 = Z Z' (tau2), V_2 = I (sigma2)
    vk = [_cs_mul(vinv, b, sizes) for b in basis]          # V^-1 V_k
    vkv = [_cs_mul(m, vinv, sizes) for m in vk]            # V^-1 V_k V^-1

    def xmx(m):                                            # X' M X
        return m[0] * model.xtx + np.einsum("g,gi,gj->ij", m[1], model.sx, model.sx)

    def trace(m):
        return float(np.sum(sizes * (m[0] + m[1])))

    r = model.y - np.einsum("ij,j->i", model.x, beta)
    rg = np.bincount(codes, weights=r, minlength=sizes.size)
    u = vinv[0] * r + (vinv[1] * rg)[codes]                 # P y = V^-1 (y - X beta)
    ug = np.bincount(codes, weights=u, minlength=sizes.size)
    xu = np.einsum("ij,i->j", model.x, u)
    uu = float(np.einsum("i,i->", u, u))

    def xmu(m):                                            # X' M u
        return m[0] * xu + np.einsum("g,gi,g->i", m[1], model.sx, ug)

    def umu(m):                                            # u' M u
        return m[0] * uu + float(np.einsum("g,g,g->", m[1], ug, ug))

    w = [xmx(m) for m in vkv]                              # X' V^-1 V_k V^-1 X
    grad = np.array([trace(vk[k]) - float(np.sum(cov * w[k])) - umu(basis[k]) for k in range(2)])
    hess = np.empty((2, 2))
    for k in range(2):
        for m in range(k, 2):
            kvm = _cs_mul(vk[k], vk[m], sizes)             # V^-1 V_k V^-1 V_m
            tr_pp = (trace(kvm) - 2.0 * float(np.sum(cov * xmx(_cs_mul(kvm, vinv, sizes))))
                     + float(np.sum((cov @ w[k]) * (cov @ w[m]).T)))
            ukm = umu(_cs_mul(basis[k], vk[m], sizes))     # u' V_k V^-1 V_m u
            bk, bm = xmu(_cs_mul(vinv, basis[k], sizes)), xmu(_cs_mul(vinv, basis[m], sizes))
            hess[k, m] = hess[m, k] = -tr_pp + 2.0 * (ukm - float(bk @ cov @ bm))
    # Chain rule to psi = (theta, sigma).
    jac = np.array([[2.0 * theta * sigma2, 2.0 * theta ** 2 * sigma], [0.0, 2.0 * sigma]])
    hess_psi = (jac.T @ hess @ jac
                + grad[0] * np.array([[2.0 * sigma2, 4.0 * theta * sigma], [4.0 * theta * sigma, 2.0 * theta ** 2]])
                + grad[1] * np.array([[0.0, 0.0], [0.0, 2.0]]))
    if not (np.isfinite(hess_psi).all() and np.isfinite(grad).all()):
        return np.full(len(contrasts), np.nan)
    values, vectors = np.linalg.eigh((hess_psi + hess_psi.T) / 2.0)
    keep = values > _LMERTEST_EIGEN_TOL
    a_psi = 2.0 * (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
    cl = contrasts @ cov                                   # (C l)' per contrast
    var = np.einsum("kp,kp->k", cl, contrasts)
    g_phi = np.column_stack([np.einsum("kp,pq,kq->k", cl, w[k], cl) for k in range(2)])
    g = g_phi @ jac
    denom = np.einsum("ki,ij,kj->k", g, a_psi, g)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, 2.0 * var ** 2 / denom, np.nan)


def _satterthwaite_or_nan(model, beta, cov, tau2, sigma2, contrasts) -> np.ndarray:
    """:func:`_satterthwaite` at a fit of ``_fit_random_intercept``; NaN where undefined, never warns."""
    with np.errstate(all="ignore"):
        try:
            df = _satterthwaite(model, beta, cov, float(tau2), float(sigma2), contrasts)
        except (np.linalg.LinAlgError, ValueError):
            df = np.full(len(contrasts), np.nan)
    return np.where(np.isfinite(df) & (df > 0), df, np.nan)


def dimension_model(
    scores: pd.DataFrame,
    dv: str = "score",
    within: str = "wave",
    subject: str = "candidate",
    dimension: str = "dimension",
    waves: Sequence | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Linear mixed model ``score ~ wave + (1 | candidate)`` per dimension, every wave pair.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long ``scores`` table.
    dv, within, subject, dimension : str
        Columns with the score, the wave, the candidate and the dimension.
    waves : list, optional
        Waves in order; the first one is the reference. Default: ordered
        categories of ``within``, else its sorted values.
    confidence : float
        Level of the Wald confidence interval (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per dimension x wave pair ``(from_wave, to_wave)``, every
        pair of waves ``i < j`` in the order of
        :func:`impactlib.frames.wave_pairs` (T1>T2, T1>T3, T2>T3, as
        ``item_change`` and ``item_ordinal``): within a dimension the pairs
        with the reference (first) wave come first, then the others, all
        from the same fit. Columns

        * ``dimension``, ``term`` (``"T3 vs T2"``: the later wave key,
          ``" vs "``, the earlier one), ``from_wave`` and ``to_wave``
          (ordered categoricals),
        * ``estimate``: model-based mean difference ``to_wave - from_wave``,
          :math:`l^\\top\\hat\\beta` (the wave's fixed effect when
          ``from_wave`` is the reference),
        * ``se``, ``ci_low``, ``ci_high``: standard error and Wald CI,
        * ``p_value``: two-sided Wald z test,
        * ``df_satterthwaite``, ``p_satterthwaite``: Satterthwaite degrees of
          freedom and the two-sided t test with them (lmerTest's default
          test; the one to quote),
        * ``n_candidates``, ``n_observations``: candidates and non-missing
          scores of the dimension used by the model,
        * ``var_candidate``, ``var_residual``: REML variance components,
        * ``converged``: the REML optimum was found (False when the search
          failed or stopped at its upper bound, or the fit failed),
        * ``fit_warnings``: what went wrong or is worth knowing about the
          fit (e.g. ``"boundary (singular) fit: ..."`` when the candidate
          variance is estimated at 0), joined by ``"; "``; empty when none.

        Rows are NaN when the model cannot be fitted: fewer than 2
        candidates, no score at the reference wave, constant scores, or no
        score at one of the pair's waves (those pairs only).

    Notes
    -----
    For candidate :math:`i` at wave :math:`t`

    .. math::

        y_{it} = \\beta_0 + \\sum_{w \\neq w_1} \\beta_w [t = w] + b_i
        + \\varepsilon_{it}, \\quad b_i \\sim N(0, \\tau^2),\\;
        \\varepsilon_{it} \\sim N(0, \\sigma^2)

    fitted by REML on every non-missing score, including candidates with a
    single questionnaire (they inform the intercept and the variance
    components; this is the missing-at-random analysis). Given the ratio
    :math:`\\rho = \\tau^2/\\sigma^2`, the fixed effects are the GLS
    estimates and :math:`\\sigma^2` has a closed form, so the REML criterion
    is a function of :math:`\\rho` alone, computed in O(n) from per-candidate
    sums; it is minimized over :math:`\\log\\rho` (grid on
    :math:`[10^{-8}, 10^8]` refined by bounded Brent) and compared with
    :math:`\\rho = 0`, the boundary (lme4's singular fit, reported in
    ``fit_warnings`` when :math:`\\sqrt\\rho < 10^{-4}` as ``isSingular``).
    The standard errors are
    :math:`\\sqrt{\\operatorname{diag}\\,(X^\\top \\hat V^{-1} X)^{-1}}` at the
    REML variance estimates, as ``vcov()`` in lme4. The
    interval is :math:`\\hat\\beta \\pm z_{1-\\gamma/2} SE`, as
    ``confint(fit, method = "Wald")`` in lme4, and ``p_value`` is the Wald
    z test :math:`2\\,\\Phi(-|\\hat\\beta / SE|)`.

    A wave pair is the contrast :math:`l` (+1 on the later wave's effect,
    -1 on the earlier one's, none for the reference):
    :math:`\\hat\\delta = l^\\top\\hat\\beta`,
    :math:`SE = \\sqrt{l^\\top C l}` with
    :math:`C = (X^\\top \\hat V^{-1} X)^{-1}`. Its Satterthwaite degrees of
    freedom (Kuznetsova et al., 2017, as ``lmerTest::contest(fit, l,
    joint = FALSE)``) are

    .. math::

        \\nu = \\frac{2\\,(l^\\top C l)^2}{g^\\top A\\, g}, \\quad
        g_k = l^\\top \\frac{\\partial C}{\\partial \\psi_k} l, \\quad
        A = 2\\, H^{+},

    with :math:`\\psi = (\\theta, \\sigma)`, :math:`\\theta = \\tau/\\sigma`,
    and :math:`H` the Hessian of the REML deviance :math:`-2\\ell_R(\\psi)` at
    the estimate (:math:`H^+`: inverse over its eigenvalues above
    :math:`10^{-8}`, as lmerTest). lmerTest differentiates numerically;
    here the derivatives in :math:`(\\tau^2, \\sigma^2)` are exact
    (:math:`\\partial C/\\partial\\phi_k = C X^\\top V^{-1} V_k V^{-1} X C`,
    :math:`\\partial^2 D/\\partial\\phi_k\\partial\\phi_m =
    -\\operatorname{tr}(P V_k P V_m) + 2\\, y^\\top P V_k P V_m P y`,
    :math:`V_1 = ZZ^\\top`, :math:`V_2 = I`) and carried to :math:`\\psi`
    by the chain rule. On the boundary (:math:`\\tau^2 = 0`, singular fit)
    :math:`\\partial C/\\partial\\theta = 0`, so only :math:`\\sigma` counts
    and :math:`\\nu = n - p`, the residual degrees of freedom of ordinary
    least squares, as lmerTest gives. With every candidate scored at every
    wave (balanced) and :math:`\\hat\\tau^2 > 0`, :math:`\\nu = (n_c - 1)(k - 1)`
    for :math:`n_c` candidates and :math:`k` waves, the error df of the
    repeated-measures ANOVA (the paired t test when :math:`k = 2`).
    ``p_satterthwaite`` is :math:`2\\,P(T_\\nu > |\\hat\\delta / SE|)`; it is
    NaN when :math:`g^\\top A g` is not positive.

    Nothing is raised or warned while fitting: problems are reported in
    ``converged`` / ``fit_warnings``.

    References
    ----------
    Laird, N. M., & Ware, J. H. (1982). Random-effects models for
    longitudinal data. *Biometrics*, 38, 963-974.

    Bates, D., Maechler, M., Bolker, B., & Walker, S. (2015). Fitting linear
    mixed-effects models using lme4. *Journal of Statistical Software*,
    67(1), 1-48.

    Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017).
    lmerTest package: tests in linear mixed effects models. *Journal of
    Statistical Software*, 82(13), 1-26.

    Satterthwaite, F. E. (1946). An approximate distribution of estimates of
    variance components. *Biometrics Bulletin*, 2(6), 110-114.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.dimension_change import dimension_model
    >>> scores = pd.DataFrame({
    ...     "candidate": list("abcdef") * 2,
    ...     "wave": ["T1"] * 6 + ["T2"] * 6,
    ...     "dimension": "D",
    ...     "score": [2.0, 3.0, 2.5, 3.5, 4.0, 3.0, 3.0, 3.5, 3.5, 4.0, 4.5, 3.0]})
    >>> fit = dimension_model(scores)
    >>> fit[["dimension", "term", "estimate", "n_candidates"]].round(4)
      dimension      term  estimate  n_candidates
    0         D  T2 vs T1    0.5833             6

    Every candidate at both waves: the Satterthwaite test is the paired t
    test (df = 6 - 1, ``scipy.stats.ttest_rel`` gives p = 0.0127).

    >>> fit[["df_satterthwaite", "p_satterthwaite"]].round(4)
       df_satterthwaite  p_satterthwaite
    0               5.0           0.0127
    """
    waves = wave_order(scores, within, waves)
    check_columns(scores, [dv, within, subject, dimension], "scores")
    dims = level_order(scores[dimension])
    ref = waves[0] if waves else None
    z = stats.norm.ppf(0.5 + confidence / 2.0)

    d = scores.loc[scores[within].isin(waves), [dimension, subject, within, dv]].copy()
    d[within] = d[within].astype(object)
    d[dv] = as_float(d[dv])
    d = d[d[dv].notna()]
    blocks = dict(tuple(d.groupby(dimension, observed=True, sort=False)))

    pairs = wave_pairs(waves)  # (T1, T2), (T1, T3), (T2, T3): the reference pairs first
    rows = []
    for dim in dims:
        block = blocks.get(dim, d.iloc[:0])
        y = block[dv].to_numpy()
        wave_values = block[within].to_numpy()
        groups = block[subject].astype(str).to_numpy()
        n_obs, n_cand = int(y.size), int(pd.unique(groups).size)
        present = [w for w in waves[1:] if np.any(wave_values == w)]
        result = {pair: (np.nan, np.nan, np.nan) for pair in pairs}
        tau2 = sigma2 = np.nan
        converged, messages = False, ""
        if ref is None or n_cand < 2 or not np.any(wave_values == ref):
            messages = "not estimable: fewer than 2 candidates or no score at the reference wave"
        elif np.ptp(y) == 0:
            messages = "not estimable: constant scores"
        else:
            x = np.column_stack([np.ones(n_obs)] + [(wave_values == w).astype(float) for w in present])
            with np.errstate(all="ignore"):
                model = _RandomInterceptREML(np.asarray(y, dtype=float), x, groups)
            beta, cov, tau2, sigma2, converged, messages = _fit_random_intercept(y, x, groups, model)
            # Contrast l of each pair with both waves present: +1 on the later wave's
            # effect, -1 on the earlier one's (none for the reference wave).
            column = {ref: None, **{w: j for j, w in enumerate(present, start=1)}}
            estimable = [(a, b) for a, b in pairs if a in column and b in column]
            contrasts = np.zeros((len(estimable), x.shape[1]))
            for k, (a, b) in enumerate(estimable):  # a few wave pairs, not data rows
                contrasts[k, column[b]] = 1.0
                if column[a] is not None:
                    contrasts[k, column[a]] = -1.0
            if estimable and np.isfinite(sigma2):
                est = contrasts @ beta
                se = np.sqrt(np.einsum("kp,pq,kq->k", contrasts, cov, contrasts))
                df = _satterthwaite_or_nan(model, beta, cov, tau2, sigma2, contrasts)
                result.update(zip(estimable, zip(est, se, df)))
        for a, b in pairs:
            est, se, df = result[a, b]
            if np.isfinite(se) and se > 0:
                stat = est / se
                ci = (est - z * se, est + z * se)
                p_value = float(2.0 * stats.norm.sf(abs(stat)))
                p_satt = float(2.0 * stats.t.sf(abs(stat), df)) if np.isfinite(df) else np.nan
            else:
                ci, p_value, df, p_satt = (np.nan, np.nan), np.nan, np.nan, np.nan
            rows.append(
                {
                    dimension: dim,
                    "term": f"{b} vs {a}",
                    "from_wave": a,
                    "to_wave": b,
                    "estimate": est,
                    "se": se,
                    "ci_low": ci[0],
                    "ci_high": ci[1],
                    "p_value": p_value,
                    "df_satterthwaite": df,
                    "p_satterthwaite": p_satt,
                    "n_candidates": n_cand,
                    "n_observations": n_obs,
                    "var_candidate": tau2,
                    "var_residual": sigma2,
                    "converged": converged,
                    "fit_warnings": messages,
                }
            )
    columns = [
        dimension, "term", "from_wave", "to_wave", "estimate", "se", "ci_low", "ci_high", "p_value",
        "df_satterthwaite", "p_satterthwaite", "n_candidates", "n_observations", "var_candidate",
        "var_residual", "converged", "fit_warnings",
    ]
    out = pd.DataFrame(rows, columns=columns)
    out["from_wave"] = wave_categorical(out["from_wave"], waves)
    out["to_wave"] = wave_categorical(out["to_wave"], waves)
    return out


# ---------------------------------------------------------------------------
# Completers: paired t-test
# ---------------------------------------------------------------------------


def _mean_ci(diff: np.ndarray, confidence: float) -> dict:
    """Mean, SD, t-based CI and one-sample t test (against 0) of ``diff``."""
    n = diff.size
    out = dict.fromkeys(["mean_diff", "sd_diff", "ci_low", "ci_high", "t", "df", "p_value", "d_z"], np.nan)
    if n == 0:
        return out
    mean = float(diff.mean())
    out["mean_diff"] = mean
    if n < 2:
        return out
    sd = float(np.std(diff, ddof=1))
    out["sd_diff"] = sd
    out["df"] = n - 1
    if sd > 1e-12 * max(1.0, abs(mean)):
        se = sd / np.sqrt(n)
        t = mean / se
        q = stats.t.ppf(0.5 + confidence / 2.0, n - 1)
        out.update(
            ci_low=mean - q * se,
            ci_high=mean + q * se,
            t=t,
            p_value=float(2.0 * stats.t.sf(abs(t), n - 1)),
            d_z=mean / sd,
        )
    return out


def completers_change(
    scores: pd.DataFrame,
    dv: str = "score",
    within: str = "wave",
    subject: str = "candidate",
    dimension: str = "dimension",
    waves: Sequence | None = None,
    pairs: Sequence | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Paired comparison of two waves on the candidates scored at both.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long ``scores`` table.
    dv, within, subject, dimension : str
        Columns with the score, the wave, the candidate and the dimension.
    waves : list, optional
        Waves in order (default: ordered categories, else sorted values).
    pairs : list of (from, to) tuples, optional
        Wave pairs; default every ordered pair (T1>T2, T1>T3, T2>T3).
    confidence : float
        Level of the confidence interval (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per dimension x wave pair with ``dimension``, ``from_wave``,
        ``to_wave``, ``n`` (completers: candidates with a score at both
        waves), ``mean_from``, ``mean_to``, ``mean_diff`` (mean of
        ``to - from``), ``sd_diff``, ``ci_low``, ``ci_high``, ``t``, ``df``,
        ``p_value`` and ``d_z``. Statistics are NaN when undefined (n < 2,
        or all differences equal, where R's ``t.test`` stops with "data are
        essentially constant").

    Notes
    -----
    With :math:`d_i = x_{i,to} - x_{i,from}` over the :math:`n` completers,
    :math:`\\bar d`, :math:`s_d` (ddof = 1):

    .. math::

        t = \\frac{\\bar d}{s_d / \\sqrt n}, \\quad
        CI = \\bar d \\pm t_{1-\\gamma/2,\\,n-1}\\, s_d/\\sqrt n, \\quad
        d_z = \\bar d / s_d

    identical to R ``t.test(to, from, paired = TRUE)``. Completers are a
    selected group: compare with :func:`dimension_model` and
    :func:`imputed_change`.

    References
    ----------
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate
    cumulative science: a practical primer for t-tests and ANOVAs.
    *Frontiers in Psychology*, 4, 863.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.dimension_change import completers_change
    >>> scores = pd.DataFrame({
    ...     "candidate": list("abcd") * 2, "wave": ["T1"] * 4 + ["T2"] * 4,
    ...     "dimension": "D", "score": [2.0, 3.0, 2.5, 3.5, 3.0, 3.5, 3.5, 4.5]})
    >>> completers_change(scores)[["n", "mean_diff", "ci_low", "ci_high", "d_z"]].round(4)
       n  mean_diff  ci_low  ci_high  d_z
    0  4      0.875  0.4772   1.2728  3.5
    """
    waves = wave_order(scores, within, waves)
    pairs = wave_pairs(waves, pairs)
    wide = wide_scores(scores, dv, within, subject, dimension, waves)
    rows = []
    for dim, w in wide.items():
        for a, b in pairs:
            both = w[[a, b]].dropna().to_numpy()
            n = int(both.shape[0])
            row = {
                dimension: dim,
                "from_wave": a,
                "to_wave": b,
                "n": n,
                "mean_from": float(both[:, 0].mean()) if n else np.nan,
                "mean_to": float(both[:, 1].mean()) if n else np.nan,
            }
            row.update(_mean_ci(both[:, 1] - both[:, 0], confidence))
            rows.append(row)
    columns = [
        dimension, "from_wave", "to_wave", "n", "mean_from", "mean_to", "mean_diff", "sd_diff",
        "ci_low", "ci_high", "t", "df", "p_value", "d_z",
    ]
    out = pd.DataFrame(rows, columns=columns)
    out["from_wave"] = wave_categorical(out["from_wave"], waves)
    out["to_wave"] = wave_categorical(out["to_wave"], waves)
    return out


# ---------------------------------------------------------------------------
# Multiple imputation
# ---------------------------------------------------------------------------


def pool_rubin(estimates, variances, df_complete: float = np.inf, confidence: float = 0.95) -> pd.Series:
    """Pool a scalar estimate over imputations with Rubin's rules.

    Parameters
    ----------
    estimates, variances : array-like of length m
        Point estimate :math:`Q_j` and its squared standard error
        :math:`U_j` in each completed data set.
    df_complete : float
        Degrees of freedom of the complete-data analysis (``n - 1`` for a
        mean); ``inf`` gives Rubin's (1987) large-sample df.
    confidence : float
        Level of the confidence interval (default 0.95).

    Returns
    -------
    pandas.Series
        ``estimate`` (:math:`\\bar Q`), ``se`` (:math:`\\sqrt T`),
        ``ci_low``, ``ci_high``, ``df``, ``ubar``, ``b``, ``t``, ``riv``
        (relative increase in variance :math:`r`), ``lambda``, ``fmi`` and
        ``m``. All NaN but ``m`` if an input is NaN or m < 2.

    Notes
    -----
    .. math::

        \\bar Q = \\frac1m \\sum_j Q_j, \\quad
        \\bar U = \\frac1m \\sum_j U_j, \\quad
        B = \\frac{1}{m-1} \\sum_j (Q_j - \\bar Q)^2, \\quad
        T = \\bar U + (1 + 1/m) B

    :math:`r = (1 + 1/m) B / \\bar U`, :math:`\\lambda = (1 + 1/m) B / T`,
    degrees of freedom of Barnard & Rubin (1999),
    :math:`\\nu = \\nu_{old}\\nu_{obs} / (\\nu_{old} + \\nu_{obs})` with
    :math:`\\nu_{old} = (m-1)/\\lambda^2`,
    :math:`\\nu_{obs} = \\frac{\\nu_{com}+1}{\\nu_{com}+3}\\nu_{com}(1-\\lambda)`
    (:math:`\\nu = \\nu_{old}` when :math:`\\nu_{com}` is infinite), and
    :math:`FMI = (r + 2/(\\nu + 3)) / (r + 1)`. As in R
    ``mice::pool.scalar`` (which this reproduces), :math:`\\lambda` is floored
    at 1e-4 when computing the df. CI: :math:`\\bar Q \\pm t_{1-\\gamma/2,\\nu}\\sqrt T`.

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*.
    Wiley.

    Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with
    multiple imputation. *Biometrika*, 86, 948-955.

    Examples
    --------
    >>> from impactlib.stats.dimension_change import pool_rubin
    >>> pool_rubin([1.0, 1.2, 0.9], [0.04, 0.05, 0.045], df_complete=49)[["estimate", "se", "df"]].round(4)
    estimate    1.0333
    se          0.2759
    df          8.3724
    dtype: float64
    """
    return pd.Series(rubin_pool(estimates, variances, df_complete, confidence), dtype=float)


def rubin_pool(estimates, variances, df_complete: float = np.inf, confidence: float = 0.95) -> dict:
    """:func:`pool_rubin` as a dict (no Series built: it is called per delta in a scan)."""
    q = np.asarray(estimates, dtype=float).ravel()
    u = np.asarray(variances, dtype=float).ravel()
    if q.shape != u.shape:
        raise ValueError("estimates and variances must have the same length")
    m = q.size
    keys = ["estimate", "se", "ci_low", "ci_high", "df", "ubar", "b", "t", "riv", "lambda", "fmi", "m"]
    out = dict.fromkeys(keys, np.nan)
    out["m"] = float(m)
    if m < 2 or not (np.all(np.isfinite(q)) and np.all(np.isfinite(u))):
        return out
    qbar, ubar = float(q.mean()), float(u.mean())
    b = float(np.var(q, ddof=1))
    t = ubar + (1.0 + 1.0 / m) * b
    out.update(estimate=qbar, ubar=ubar, b=b, t=t, se=float(np.sqrt(t)))
    if not t > 0:
        return out
    lam = (1.0 + 1.0 / m) * b / t
    lam_floor = max(lam, 1e-4)
    df_old = (m - 1) / lam_floor**2
    if np.isinf(df_complete):
        df = df_old
    else:
        df_obs = (df_complete + 1.0) / (df_complete + 3.0) * df_complete * (1.0 - lam_floor)
        df = df_old * df_obs / (df_old + df_obs) if df_old + df_obs > 0 else np.nan
    riv = (1.0 + 1.0 / m) * b / ubar if ubar > 0 else np.nan
    fmi = (riv + 2.0 / (df + 3.0)) / (riv + 1.0) if np.isfinite(riv) and np.isfinite(df) else np.nan
    out.update(df=df, riv=riv, fmi=fmi)
    out["lambda"] = lam
    if np.isfinite(df) and df > 0:
        half = stats.t.ppf(0.5 + confidence / 2.0, df) * np.sqrt(t)
        out.update(ci_low=qbar - half, ci_high=qbar + half)
    return out


def _norm_draw(x_obs, y_obs, x_mis, rng: np.random.Generator, ridge: float) -> np.ndarray:
    """Bayesian linear regression imputation (``mice.impute.norm``).

    Draws sigma* = sqrt(RSS / chi2_df), beta* ~ N(beta_hat, sigma*^2 V) with
    V = (X'X + ridge diag(X'X))^-1, then y_mis = X_mis beta* + N(0, sigma*^2).
    """
    n, p = x_obs.shape
    xtx = x_obs.T @ x_obs
    v = np.linalg.pinv(xtx + ridge * np.diag(np.diag(xtx)), hermitian=True)
    coef = v @ (x_obs.T @ y_obs)
    resid = y_obs - x_obs @ coef
    sigma = np.sqrt(float(resid @ resid) / rng.chisquare(max(n - p, 1)))
    evals, evecs = np.linalg.eigh((v + v.T) / 2.0)
    root = evecs * np.sqrt(np.clip(evals, 0.0, None))
    beta = coef + root @ rng.standard_normal(p) * sigma
    return x_mis @ beta + rng.standard_normal(x_mis.shape[0]) * sigma


def _covariate_design(candidates: pd.DataFrame | None, covariates, subject: str, index: pd.Index) -> np.ndarray:
    """Numeric design matrix (no intercept) of the covariates, rows = ``index``."""
    if not covariates:
        return np.empty((len(index), 0))
    if candidates is None:
        raise ValueError("covariates were given but candidates is None")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    check_columns(candidates, [subject, *covariates], "candidates")
    if candidates[subject].duplicated().any():
        raise ValueError(f"candidates has several rows for the same {subject}")
    cov = candidates.set_index(subject)[covariates].reindex(index)
    parts = []
    for col in covariates:
        s = cov[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            s = s.astype(object).where(s.notna(), "(missing)")
            parts.append(pd.get_dummies(s.astype(str), prefix=col, drop_first=True, dtype=float))
        else:
            if s.isna().any():
                raise ValueError(f"numeric covariate {col!r} has missing values; impute or bin it first")
            parts.append(s.astype(float).to_frame())
    design = pd.concat(parts, axis=1).to_numpy(dtype=float)
    # Constant columns carry no information and make X'X singular.
    return design[:, np.ptp(design, axis=0) > 0] if design.size else design


def _seed_sequence(seed) -> tuple[np.random.SeedSequence, object]:
    """SeedSequence from an int / None / SeedSequence / Generator, and the seed to report."""
    if isinstance(seed, np.random.Generator):
        entropy = int(seed.integers(0, 2**63 - 1))
        return np.random.SeedSequence(entropy), entropy
    if isinstance(seed, np.random.SeedSequence):
        return seed, seed.entropy
    ss = np.random.SeedSequence(seed)
    return ss, (seed if seed is not None else ss.entropy)


def imputation_draws(scores, candidates, covariates, dv, within, subject, dimension, waves,
                     m: int, seed, ridge: float):
    """The completed data sets behind :func:`imputed_change` (same draws, same seed).

    Returns ``(waves, reported_seed, draws)`` where ``draws`` is an iterator
    (one dimension in memory at a time) giving, per dimension in the order of
    :func:`imputed_change`, ``(dimension, observed, completed)``:
    ``observed`` is the n x waves boolean matrix of the scores observed for
    the sample (candidates scored at the first wave, in candidate order),
    ``completed`` the m x n x waves array of the scores after each
    imputation (NaN where a wave could not be imputed). Used by
    :mod:`impactlib.stats.sensitivity` to shift the imputed scores.
    """
    waves = wave_order(scores, within, waves)
    wide = wide_scores(scores, dv, within, subject, dimension, waves)
    ss, reported_seed = _seed_sequence(seed)
    children = ss.spawn(len(wide))
    return waves, reported_seed, _draws(wide, children, waves, candidates, covariates, subject,
                                        m, ridge)


def _draws(wide, children, waves, candidates, covariates, subject, m, ridge):
    """Generator of :func:`imputation_draws`: ``(dimension, observed, completed)``.

    The rows observed and missing at each wave, and the covariates of those
    rows, are found once per dimension (they are the same in every
    imputation); each imputation works on a waves x n copy of the scores
    (each wave's scores contiguous, so the rows of a wave are gathered fast)
    and builds only the design rows it fits on and those it imputes,
    ``[1, earlier waves, covariates]``, in place of the whole ``n x p``
    matrix. The values, the draws and their order are those of the
    one-matrix version.
    """
    n_waves = len(waves)
    for (dim, w), child in zip(wide.items(), children):
        rng = np.random.default_rng(child)
        sample = w[w[waves[0]].notna()] if waves else w
        y = sample.to_numpy(dtype=float)
        n = y.shape[0]
        z = _covariate_design(candidates, covariates, subject, sample.index)
        observed = ~np.isnan(y)
        rows = []  # per wave: (observed rows, missing rows, their ones and covariates)
        for t in range(n_waves):
            obs, mis = np.flatnonzero(observed[:, t]), np.flatnonzero(~observed[:, t])
            rows.append((obs, mis, np.ones(obs.size), np.ones(mis.size), z[obs], z[mis]))
        completed = np.empty((m, n, n_waves))
        work = np.empty((n_waves, n))  # one imputation, wave by wave: contiguous columns
        for j in range(m):
            work[...] = y.T
            usable = [0]  # waves usable as predictors (complete after imputation)
            for t in range(1, n_waves):
                obs, mis, one_obs, one_mis, z_obs, z_mis = rows[t]
                if mis.size:
                    if obs.size >= 1 + len(usable) + z.shape[1] + 1:
                        x_obs = np.column_stack([one_obs, *(work[u][obs] for u in usable), z_obs])
                        x_mis = np.column_stack([one_mis, *(work[u][mis] for u in usable), z_mis])
                        work[t][mis] = _norm_draw(x_obs, work[t][obs], x_mis, rng, ridge)
                if not np.isnan(work[t]).any():
                    usable.append(t)
            completed[j] = work.T
        yield dim, observed, completed


def imputed_change(
    scores: pd.DataFrame,
    candidates: pd.DataFrame | None = None,
    covariates: Sequence[str] | str | None = None,
    dv: str = "score",
    within: str = "wave",
    subject: str = "candidate",
    dimension: str = "dimension",
    waves: Sequence | None = None,
    pairs: Sequence | None = None,
    m: int = 20,
    seed=None,
    confidence: float = 0.95,
    ridge: float = 1e-5,
) -> pd.DataFrame:
    """Multiple-imputation sensitivity estimate of the mean change per wave pair.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long ``scores`` table.
    candidates : pandas.DataFrame, optional
        ``candidates`` table holding the ``covariates`` (one row per
        candidate).
    covariates : list of str, optional
        Columns of ``candidates`` used as predictors of the imputation model.
        Non-numeric (and boolean) columns are dummy-coded, their missing
        values forming a ``"(missing)"`` level; numeric columns must be
        complete.
    dv, within, subject, dimension : str
        Columns with the score, the wave, the candidate and the dimension.
    waves : list, optional
        Waves in order; the first one is the baseline. Default: ordered
        categories, else sorted values.
    pairs : list of (from, to) tuples, optional
        Wave pairs; default every ordered pair.
    m : int
        Number of imputations (>= 2, default 20).
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None
        Seed of the random draws. Results are identical for the same seed
        and data. ``None`` draws fresh entropy, reported in the ``seed``
        column so that the run can be reproduced.
    confidence : float
        Level of the confidence interval (default 0.95).
    ridge : float
        Ridge penalty of the imputation regression, as ``mice`` (1e-5).

    Returns
    -------
    pandas.DataFrame
        One row per dimension x wave pair: ``dimension``, ``from_wave``,
        ``to_wave``, ``n`` (candidates with a baseline score: the analysed
        sample), ``n_observed`` (of them, scored at both waves),
        ``n_imputed`` (with at least one of the two scores imputed),
        ``estimate`` (pooled mean of ``to - from``), ``se``, ``ci_low``,
        ``ci_high``, ``df``, ``fmi`` (fraction of missing information), ``m``
        and ``seed``. NaN when a wave cannot be imputed (fewer observed
        scores than regression parameters + 1).

    Notes
    -----
    For each dimension, the sample is every candidate with a score at the
    first (baseline) wave. Each later wave :math:`t`, in wave order, is
    imputed by Bayesian linear regression on an intercept, the scores of all
    earlier waves (observed or already imputed) and the covariates, fitted on
    the candidates observed at :math:`t`: with
    :math:`\\hat\\beta = (X^\\top X)^{-1}X^\\top y`, residual sum of squares
    RSS and :math:`\\nu = n_{obs} - p`,

    .. math::

        \\sigma_*^2 = RSS / \\chi^2_{\\nu}, \\quad
        \\beta_* \\sim N(\\hat\\beta, \\sigma_*^2 (X^\\top X)^{-1}), \\quad
        y_{mis} = X_{mis}\\beta_* + N(0, \\sigma_*^2)

    (the ``norm`` method of R ``mice``, van Buuren 2018, algorithm 3.1;
    this sequential scheme is exact for monotone drop-out and an
    approximation for intermittent patterns such as T1+T3). In each of the
    ``m`` completed data sets the change is :math:`Q_j = \\bar d` with
    :math:`U_j = s_d^2 / n`, pooled by :func:`pool_rubin` with
    :math:`\\nu_{com} = n - 1`. It is valid under missing at random given
    the earlier scores and covariates, not under informative drop-out. It
    does not reproduce R mice draw for draw.

    Each dimension uses its own random stream (``SeedSequence(seed).spawn``)
    in the order of the dimensions.

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*.
    Wiley.

    van Buuren, S. (2018). *Flexible Imputation of Missing Data* (2nd ed.).
    Chapman & Hall/CRC.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from impactlib.stats.dimension_change import imputed_change
    >>> rng = np.random.default_rng(1)
    >>> t1 = rng.normal(3, 0.8, 200)
    >>> t2 = t1 + 0.5 + rng.normal(0, 0.4, 200)
    >>> t2[rng.random(200) < 0.3] = np.nan
    >>> scores = pd.DataFrame({"candidate": np.tile(np.arange(200), 2),
    ...     "wave": ["T1"] * 200 + ["T2"] * 200, "dimension": "D",
    ...     "score": np.r_[t1, t2]})
    >>> out = imputed_change(scores, m=10, seed=42)
    >>> bool(abs(out.loc[0, "estimate"] - 0.5) < 0.1)
    True
    """
    if int(m) < 2:
        raise ValueError("m must be at least 2")
    m = int(m)
    waves, reported_seed, draws = imputation_draws(
        scores, candidates, covariates, dv, within, subject, dimension, waves, m, seed, ridge)
    pairs = wave_pairs(waves, pairs)
    rows = []
    for dim, observed, completed in draws:
        rows.extend(imputed_rows(dim, observed, completed, waves, pairs, m, reported_seed,
                                  confidence, dimension))
    return imputed_table(rows, waves, dimension)


def imputed_rows(dim, observed, completed, waves, pairs, m, reported_seed, confidence,
                  dimension) -> list[dict]:
    """Rows of :func:`imputed_change` for one dimension of :func:`imputation_draws`."""
    pos = {w: i for i, w in enumerate(waves)}
    rows = []
    n = observed.shape[0]
    for a, b in pairs:
        ia, ib = pos[a], pos[b]
        both_obs = observed[:, ia] & observed[:, ib]
        diff = completed[:, :, ib] - completed[:, :, ia]  # m x n
        if n >= 2 and np.all(np.isfinite(diff)):
            q = diff.mean(axis=1)
            u = diff.var(axis=1, ddof=1) / n
            pooled = pool_rubin(q, u, df_complete=n - 1, confidence=confidence)
        else:
            pooled = pool_rubin([np.nan] * m, [np.nan] * m)
        rows.append(
            {
                dimension: dim,
                "from_wave": a,
                "to_wave": b,
                "n": n,
                "n_observed": int(both_obs.sum()),
                "n_imputed": int(n - both_obs.sum()),
                "estimate": pooled["estimate"],
                "se": pooled["se"],
                "ci_low": pooled["ci_low"],
                "ci_high": pooled["ci_high"],
                "df": pooled["df"],
                "fmi": pooled["fmi"],
                "m": m,
                "seed": reported_seed,
            }
        )
    return rows


def imputed_table(rows: list[dict], waves, dimension: str) -> pd.DataFrame:
    """The :func:`imputed_change` table from the rows of every dimension."""
    columns = [
        dimension, "from_wave", "to_wave", "n", "n_observed", "n_imputed", "estimate", "se",
        "ci_low", "ci_high", "df", "fmi", "m", "seed",
    ]
    out = pd.DataFrame(rows, columns=columns)
    out["from_wave"] = wave_categorical(out["from_wave"], waves)
    out["to_wave"] = wave_categorical(out["to_wave"], waves)
    return out


# ---------------------------------------------------------------------------
# Subgroups
# ---------------------------------------------------------------------------


def _level_positions(groups_of: pd.DataFrame, levels: pd.Index, by: list, ids: pd.Index) -> np.ndarray:
    """Position in ``levels`` of the group of each candidate of ``ids`` (-1: in none).

    ``groups_of`` holds the ``by`` columns, indexed by candidate; a candidate
    absent from it has missing values in every ``by`` column. Keys are
    matched by value, missing values matching missing values (the groups of
    ``groupby(..., dropna=False)``); with ``dropna`` they are not in ``levels``.
    """
    n_levels = len(levels)
    if n_levels == 0 or len(ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    level_frame = levels.to_frame(index=False) if isinstance(levels, pd.MultiIndex) \
        else pd.DataFrame({by[0]: levels})
    frame = pd.concat([level_frame.astype(object), groups_of.reset_index(drop=True).astype(object)],
                      ignore_index=True)
    key = frame.groupby(by, dropna=False, observed=True, sort=False).ngroup().to_numpy()
    position = np.full(int(key.max()) + 1, -1, dtype=np.int64)
    position[key[:n_levels]] = np.arange(n_levels)
    of_candidate = position[key[n_levels:]]
    all_missing = np.flatnonzero(level_frame.isna().all(axis=1).to_numpy())
    absent = int(all_missing[0]) if all_missing.size else -1
    row = groups_of.index.get_indexer(ids)
    return np.where(row >= 0, of_candidate[np.maximum(row, 0)] if len(of_candidate) else -1, absent)


def subgroup_change(
    scores: pd.DataFrame,
    candidates: pd.DataFrame,
    by: str | Sequence[str],
    dv: str = "score",
    within: str = "wave",
    subject: str = "candidate",
    dimension: str = "dimension",
    waves: Sequence | None = None,
    pairs: Sequence | None = None,
    min_n: int = 5,
    confidence: float = 0.95,
    dropna: bool = True,
) -> pd.DataFrame:
    """Mean change per wave pair within subgroups, small groups suppressed.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long ``scores`` table.
    candidates : pandas.DataFrame
        ``candidates`` table (one row per candidate) holding ``by``.
    by : str or list of str
        Column(s) of ``candidates`` defining the subgroups (a covariate,
        ``exit_status``...). Numeric covariates should be binned first.
    dv, within, subject, dimension : str
        Columns with the score, the wave, the candidate and the dimension.
    waves : list, optional
        Waves in order (default: ordered categories, else sorted values).
    pairs : list of (from, to) tuples, optional
        Wave pairs; default every ordered pair.
    min_n : int
        Smallest group size reported (default 5). Groups with fewer
        completers are suppressed.
    confidence : float
        Level of the t confidence interval (default 0.95).
    dropna : bool
        Leave out candidates whose ``by`` value is missing (default True).

    Returns
    -------
    pandas.DataFrame
        One row per dimension x wave pair x group (every group present in
        ``candidates``, and every category of a categorical ``by``), with
        ``dimension``, ``from_wave``, ``to_wave``, the ``by`` column(s),
        ``n`` (completers of the pair in the group), ``mean_from``,
        ``mean_to``, ``mean_diff`` (mean of ``to - from``), ``sd_diff``,
        ``ci_low``, ``ci_high`` and ``suppressed``.

    Notes
    -----
    Privacy and precision rule: when a group has fewer than ``min_n``
    completers, ``suppressed`` is True and every statistic, ``n``
    included, is NaN (``n`` is therefore a float column). The CI is
    :math:`\\bar d \\pm t_{1-\\gamma/2,\\,n-1} s_d / \\sqrt n` (R
    ``t.test(to - from)``), NaN when all differences are equal.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.dimension_change import subgroup_change
    >>> scores = pd.DataFrame({
    ...     "candidate": list("abcdefg") * 2, "wave": ["T1"] * 7 + ["T2"] * 7,
    ...     "dimension": "D",
    ...     "score": [2, 3, 2.5, 3.5, 3, 2, 4, 3, 3.5, 3.5, 4.5, 3.5, 2, 4]})
    >>> candidates = pd.DataFrame({"candidate": list("abcdefg"),
    ...                            "sex": ["F"] * 5 + ["M"] * 2})
    >>> out = subgroup_change(scores, candidates, by="sex", min_n=3)
    >>> out[["sex", "n", "mean_diff", "suppressed"]]
      sex    n  mean_diff  suppressed
    0   F  5.0        0.8       False
    1   M  NaN        NaN        True
    """
    by = [by] if isinstance(by, str) else list(by)
    waves = wave_order(scores, within, waves)
    pairs = wave_pairs(waves, pairs)
    check_columns(candidates, [subject, *by], "candidates")
    if candidates[subject].duplicated().any():
        raise ValueError(f"candidates has several rows for the same {subject}")
    wide = wide_scores(scores, dv, within, subject, dimension, waves)
    groups_of = candidates.set_index(subject)[by]
    levels = candidates.groupby(by, observed=False, dropna=dropna).size().index
    q_level = 0.5 + confidence / 2.0
    stat_cols = ["mean_from", "mean_to", "mean_diff", "sd_diff", "ci_low", "ci_high"]
    columns = [dimension, "from_wave", "to_wave", *by, "n", *stat_cols, "suppressed"]

    # Completers of every dimension x pair (block k) stacked in one long frame;
    # the loop is over blocks, not rows.
    keys, ids, block, x_from, x_to = [], [], [], [], []
    for dim, w in wide.items():
        for a, b in pairs:
            va, vb = w[a].to_numpy(dtype=float), w[b].to_numpy(dtype=float)
            both = ~np.isnan(va) & ~np.isnan(vb)
            block.append(np.full(int(both.sum()), len(keys)))
            keys.append((dim, a, b))
            ids.append(w.index[both])
            x_from.append(va[both])
            x_to.append(vb[both])
    if not keys:
        return pd.DataFrame(columns=columns)
    n_blocks, n_levels = len(keys), len(levels)
    ids = ids[0].append(ids[1:]) if len(ids) > 1 else ids[0]
    x_from, x_to = np.concatenate(x_from), np.concatenate(x_to)
    group = _level_positions(groups_of, levels, by, ids)
    long = pd.DataFrame({"_cell": np.concatenate(block) * n_levels + group,
                         "_from": x_from, "_to": x_to, "_diff": x_to - x_from})
    long = long[group >= 0]
    g = long.groupby("_cell", sort=True)
    agg = pd.DataFrame(
        {
            "n": g["_diff"].count(),
            "mean_from": g["_from"].mean(),
            "mean_to": g["_to"].mean(),
            "mean_diff": g["_diff"].mean(),
            "sd_diff": g["_diff"].std(ddof=1),
        }
    ).reindex(np.arange(n_blocks * n_levels))
    out = pd.DataFrame({dimension: [k[0] for k in keys], "from_wave": [k[1] for k in keys],
                        "to_wave": [k[2] for k in keys]}).take(np.repeat(np.arange(n_blocks), n_levels))
    level_rows = levels.take(np.tile(np.arange(n_levels), n_blocks))
    level_frame = level_rows.to_frame(index=False) if len(by) > 1 else pd.DataFrame({by[0]: level_rows})
    out = pd.concat([out.reset_index(drop=True), level_frame.reset_index(drop=True),
                     agg.reset_index(drop=True)], axis=1)
    out["n"] = out["n"].fillna(0).astype(float)
    n = out["n"].to_numpy()
    sd = out["sd_diff"].to_numpy()
    ok = (n >= 2) & (sd > 0)
    safe_n = np.where(ok, n, 2.0)
    half = np.where(ok, stats.t.ppf(q_level, safe_n - 1) * np.where(ok, sd, 0.0) / np.sqrt(safe_n), np.nan)
    out["ci_low"] = out["mean_diff"] - half
    out["ci_high"] = out["mean_diff"] + half
    out["suppressed"] = n < min_n
    out.loc[out["suppressed"], ["n", *stat_cols]] = np.nan
    out = out[columns]
    out["suppressed"] = out["suppressed"].astype(bool)
    out["from_wave"] = wave_categorical(out["from_wave"], waves)
    out["to_wave"] = wave_categorical(out["to_wave"], waves)
    return out
