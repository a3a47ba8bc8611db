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
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ._frames import as_float, check_columns, level_order, wave_categorical, wave_order, wave_pairs
from .reliability import _wide_scores

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


def _random_intercept_vcov(x: np.ndarray, groups: np.ndarray, tau2: float, sigma2: float) -> np.ndarray:
    """``(X' V^-1 X)^-1`` for V = sigma2 I + tau2 Z Z' (random intercept).

    This is the fixed-effect covariance reported by ``lme4::vcov`` at the
    REML estimates of the variance components. Per group ``g`` of size
    ``n_g``, ``V_g^-1 = (I - w_g J) / sigma2`` with
    ``w_g = tau2 / (sigma2 + n_g tau2)``.
    """
    codes, _ = pd.factorize(groups)
    sums = np.zeros((codes.max() + 1, x.shape[1]))
    np.add.at(sums, codes, x)
    sizes = np.bincount(codes)
    w = tau2 / (sigma2 + sizes * tau2)
    info = (x.T @ x - (sums * w[:, None]).T @ sums) / sigma2
    return np.linalg.inv(info)


def _fit_random_intercept(y: np.ndarray, x: np.ndarray, groups: np.ndarray):
    """Fit y ~ X + (1 | group) by REML with statsmodels; never warns or raises.

    statsmodels' default gradient optimizers are tried first; when they do
    not converge (typically a random-intercept variance on the boundary,
    lme4's "singular fit"), the fit is retried with the derivative-free
    Powell and Nelder-Mead methods and the converged fit with the highest
    REML log-likelihood is kept.

    Returns ``(beta, cov_beta, tau2, sigma2, converged, messages)``; the
    arrays are NaN when the fit failed.
    """
    from statsmodels.regression.mixed_linear_model import MixedLM

    p = x.shape[1]
    nan_out = (np.full(p, np.nan), np.full((p, p), np.nan), np.nan, np.nan, False)
    best, best_key, notes = None, None, []
    for method in (None, "powell", "nm"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(all="ignore"):
                try:
                    kwargs = {} if method is None else {"method": method}
                    result = MixedLM(y, x, groups=groups).fit(reml=True, **kwargs)
                    beta = np.asarray(result.fe_params, dtype=float)
                    tau2 = float(np.asarray(result.cov_re, dtype=float).ravel()[0])
                    sigma2 = float(result.scale)
                    cov = _random_intercept_vcov(x, groups, max(tau2, 0.0), sigma2)
                    fit = (beta, cov, tau2, sigma2, bool(result.converged))
                    llf = float(result.llf)
                except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError, OverflowError) as exc:
                    fit, llf = nan_out, -np.inf
                    caught.append(warnings.WarningMessage(f"fit failed: {exc}", RuntimeWarning, "", 0))
        beta, cov, tau2, sigma2, converged = fit
        valid = bool(np.all(np.isfinite(beta)) and np.all(np.isfinite(np.diag(cov))) and sigma2 > 0)
        messages = list(dict.fromkeys(str(w.message).strip() for w in caught))
        if method is not None:
            messages.insert(0, f"refitted with method={method!r}")
        key = (valid and converged, valid, llf if np.isfinite(llf) else -np.inf)
        if best_key is None or key > best_key:
            best, best_key, notes = fit if valid else nan_out, key, messages
        if valid and converged:
            break
    beta, cov, tau2, sigma2, converged = best
    return beta, cov, tau2, sigma2, converged, "; ".join(notes)


def dimension_model(
    scores: pd.DataFrame,
    dv: str = "score",
    within: str = "wave",
    subject: str = "candidate",
    dimension: str = "dimension",
    waves: Sequence | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Linear mixed model ``score ~ wave + (1 | candidate)`` per dimension.

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
        One row per dimension x non-reference wave, with columns

        * ``dimension``, ``term`` (``"T2 vs T1"``: the wave key, ``" vs "``,
          the reference wave key), ``from_wave`` (the reference) and
          ``to_wave`` (ordered categoricals),
        * ``estimate``: fixed effect of the wave, i.e. the model-based mean
          difference ``to_wave - from_wave``,
        * ``se``, ``ci_low``, ``ci_high``: standard error and Wald CI,
        * ``p_value``: two-sided Wald z test,
        * ``n_candidates``, ``n_observations``: candidates and non-missing
          scores of the dimension used by the model,
        * ``var_candidate``, ``var_residual``: REML variance components,
        * ``converged``: the optimizer reported convergence,
        * ``fit_warnings``: the warnings raised during the fit (e.g. random
          intercept variance on the boundary), joined by ``"; "``; empty
          when none.

        Rows are NaN when the model cannot be fitted: fewer than 2
        candidates, no score at the reference wave, constant scores, or no
        score at that wave (that term only).

    Notes
    -----
    For candidate :math:`i` at wave :math:`t`

    .. math::

        y_{it} = \\beta_0 + \\sum_{w \\neq w_1} \\beta_w [t = w] + b_i
        + \\varepsilon_{it}, \\quad b_i \\sim N(0, \\tau^2),\\;
        \\varepsilon_{it} \\sim N(0, \\sigma^2)

    fitted by REML with :class:`statsmodels.regression.mixed_linear_model.MixedLM`
    on every non-missing score, including candidates with a single
    questionnaire (they inform the intercept and the variance components;
    this is the missing-at-random analysis). The standard errors are
    :math:`\\sqrt{\\operatorname{diag}\\,(X^\\top \\hat V^{-1} X)^{-1}}` at the
    REML variance estimates, as ``vcov()`` in lme4 (statsmodels' own
    ``bse_fe`` comes from the numerical Hessian and differs slightly). The
    interval is :math:`\\hat\\beta \\pm z_{1-\\gamma/2} SE`, as
    ``confint(fit, method = "Wald")`` in lme4, and the p-value is the Wald
    z test :math:`2\\,\\Phi(-|\\hat\\beta / SE|)` (lmerTest's Satterthwaite t
    test gives slightly larger p-values in small samples).

    statsmodels' ConvergenceWarning and other warnings raised while fitting
    are caught and reported in ``converged`` / ``fit_warnings``.

    References
    ----------
    Laird, N. M., & Ware, J. H. (1982). Random-effects models for
    longitudinal data. *Biometrics*, 38, 963-974.

    Bates, D., Maechler, M., Bolker, B., & Walker, S. (2015). Fitting linear
    mixed-effects models using lme4. *Journal of Statistical Software*,
    67(1), 1-48.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.models import dimension_model
    >>> scores = pd.DataFrame({
    ...     "candidate": list("abcdef") * 2,
    ...     "wave": ["T1"] * 6 + ["T2"] * 6,
    ...     "dimension": "D",
    ...     "score": [2.0, 3.0, 2.5, 3.5, 4.0, 3.0, 3.0, 3.5, 3.5, 4.0, 4.5, 3.0]})
    >>> fit = dimension_model(scores)
    >>> fit[["dimension", "term", "estimate", "n_candidates"]].round(4)
      dimension      term  estimate  n_candidates
    0         D  T2 vs T1    0.5833             6
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

    rows = []
    for dim in dims:
        block = blocks.get(dim, d.iloc[:0])
        y = block[dv].to_numpy()
        wave_values = block[within].to_numpy()
        groups = block[subject].astype(str).to_numpy()
        n_obs, n_cand = int(y.size), int(pd.unique(groups).size)
        present = [w for w in waves[1:] if np.any(wave_values == w)]
        result = {w: (np.nan, np.nan) for w in waves[1:]}
        tau2 = sigma2 = np.nan
        converged, messages = False, ""
        if ref is None or n_cand < 2 or not np.any(wave_values == ref):
            messages = "not estimable: fewer than 2 candidates or no score at the reference wave"
        elif np.ptp(y) == 0:
            messages = "not estimable: constant scores"
        else:
            x = np.column_stack([np.ones(n_obs)] + [(wave_values == w).astype(float) for w in present])
            beta, cov, tau2, sigma2, converged, messages = _fit_random_intercept(y, x, groups)
            se = np.sqrt(np.diag(cov))
            for j, w in enumerate(present, start=1):
                result[w] = (beta[j], se[j])
        for w in waves[1:]:
            est, se = result[w]
            if np.isfinite(se) and se > 0:
                stat = est / se
                ci = (est - z * se, est + z * se)
                p_value = float(2.0 * stats.norm.sf(abs(stat)))
            else:
                ci, p_value = (np.nan, np.nan), np.nan
            rows.append(
                {
                    dimension: dim,
                    "term": f"{w} vs {ref}",
                    "from_wave": ref,
                    "to_wave": w,
                    "estimate": est,
                    "se": se,
                    "ci_low": ci[0],
                    "ci_high": ci[1],
                    "p_value": p_value,
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
        "n_candidates", "n_observations", "var_candidate", "var_residual", "converged", "fit_warnings",
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
    >>> from impactlib.models import completers_change
    >>> scores = pd.DataFrame({
    ...     "candidate": list("abcd") * 2, "wave": ["T1"] * 4 + ["T2"] * 4,
    ...     "dimension": "D", "score": [2.0, 3.0, 2.5, 3.5, 3.0, 3.5, 3.5, 4.5]})
    >>> completers_change(scores)[["n", "mean_diff", "ci_low", "ci_high", "d_z"]].round(4)
       n  mean_diff  ci_low  ci_high  d_z
    0  4      0.875  0.4772   1.2728  3.5
    """
    waves = wave_order(scores, within, waves)
    pairs = wave_pairs(waves, pairs)
    wide = _wide_scores(scores, dv, within, subject, dimension, waves)
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
    >>> from impactlib.models import pool_rubin
    >>> pool_rubin([1.0, 1.2, 0.9], [0.04, 0.05, 0.045], df_complete=49)[["estimate", "se", "df"]].round(4)
    estimate    1.0333
    se          0.2759
    df          8.3724
    dtype: float64
    """
    q = np.asarray(estimates, dtype=float).ravel()
    u = np.asarray(variances, dtype=float).ravel()
    if q.shape != u.shape:
        raise ValueError("estimates and variances must have the same length")
    m = q.size
    keys = ["estimate", "se", "ci_low", "ci_high", "df", "ubar", "b", "t", "riv", "lambda", "fmi", "m"]
    out = dict.fromkeys(keys, np.nan)
    out["m"] = float(m)
    if m < 2 or not (np.all(np.isfinite(q)) and np.all(np.isfinite(u))):
        return pd.Series(out, dtype=float)
    qbar, ubar = float(q.mean()), float(u.mean())
    b = float(np.var(q, ddof=1))
    t = ubar + (1.0 + 1.0 / m) * b
    out.update(estimate=qbar, ubar=ubar, b=b, t=t, se=float(np.sqrt(t)))
    if not t > 0:
        return pd.Series(out, dtype=float)
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
    return pd.Series(out, dtype=float)


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
    >>> from impactlib.models import imputed_change
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
    waves = wave_order(scores, within, waves)
    pairs = wave_pairs(waves, pairs)
    wide = _wide_scores(scores, dv, within, subject, dimension, waves)
    ss, reported_seed = _seed_sequence(seed)
    children = ss.spawn(len(wide))
    pos = {w: i for i, w in enumerate(waves)}

    rows = []
    for (dim, w), child in zip(wide.items(), children):
        rng = np.random.default_rng(child)
        sample = w[w[waves[0]].notna()] if waves else w
        y = sample.to_numpy(dtype=float)
        n = y.shape[0]
        z = _covariate_design(candidates, covariates, subject, sample.index)
        observed = ~np.isnan(y)
        completed = []
        for _ in range(m):
            yc = y.copy()
            usable = [0]  # waves usable as predictors (complete after imputation)
            for t in range(1, len(waves)):
                obs, mis = observed[:, t], ~observed[:, t]
                if mis.any():
                    x = np.column_stack([np.ones(n), yc[:, usable], z])
                    if obs.sum() >= x.shape[1] + 1:
                        yc[mis, t] = _norm_draw(x[obs], yc[obs, t], x[mis], rng, ridge)
                if not np.isnan(yc[:, t]).any():
                    usable.append(t)
            completed.append(yc)
        completed = np.stack(completed) if completed else np.empty((0, n, len(waves)))
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
    >>> from impactlib.models import subgroup_change
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
    wide = _wide_scores(scores, dv, within, subject, dimension, waves)
    groups_of = candidates.set_index(subject)[by]
    levels = candidates.groupby(by, observed=False, dropna=dropna).size().index
    q_level = 0.5 + confidence / 2.0
    stat_cols = ["mean_from", "mean_to", "mean_diff", "sd_diff", "ci_low", "ci_high"]

    parts = []
    for dim, w in wide.items():
        for a, b in pairs:
            both = w[[a, b]].dropna()
            d = pd.DataFrame(
                {"_from": both[a], "_to": both[b], "_diff": both[b] - both[a]}, index=both.index
            ).join(groups_of, how="left")
            g = d.groupby(by, observed=False, dropna=dropna)
            agg = pd.DataFrame(
                {
                    "n": g["_diff"].count(),
                    "mean_from": g["_from"].mean(),
                    "mean_to": g["_to"].mean(),
                    "mean_diff": g["_diff"].mean(),
                    "sd_diff": g["_diff"].std(ddof=1),
                }
            ).reindex(levels)
            agg["n"] = agg["n"].fillna(0).astype(float)
            n = agg["n"].to_numpy()
            sd = agg["sd_diff"].to_numpy()
            ok = (n >= 2) & (sd > 0)
            safe_n = np.where(ok, n, 2.0)
            half = np.where(ok, stats.t.ppf(q_level, safe_n - 1) * np.where(ok, sd, 0.0) / np.sqrt(safe_n), np.nan)
            agg["ci_low"] = agg["mean_diff"] - half
            agg["ci_high"] = agg["mean_diff"] + half
            agg["suppressed"] = n < min_n
            agg.loc[agg["suppressed"], ["n", *stat_cols]] = np.nan
            agg = agg.reset_index()
            agg.insert(0, "to_wave", b)
            agg.insert(0, "from_wave", a)
            agg.insert(0, dimension, dim)
            parts.append(agg)
    columns = [dimension, "from_wave", "to_wave", *by, "n", *stat_cols, "suppressed"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)[columns]
    out["suppressed"] = out["suppressed"].astype(bool)
    out["from_wave"] = wave_categorical(out["from_wave"], waves)
    out["to_wave"] = wave_categorical(out["to_wave"], waves)
    return out
