"""Batched statistics equal their plain per-group definitions.

``little_mcar`` runs its EM and its d2 on all missingness patterns at once, and
``subgroup_change`` aggregates every dimension x wave pair x group in one
groupby. Here each is compared with a direct transcription of its definition,
one pattern (or one dimension x pair) at a time, on simulated data with many
patterns, missing groups and several grouping columns.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from impactlib.stats.attrition import little_mcar
from impactlib.stats.dimension_change import subgroup_change


def little_reference(X: np.ndarray, tol: float = 1e-10, max_iter: int = 10_000):
    """Little's test, pattern by pattern (the algorithm of Little 1988, EM of Dempster et al.)."""
    X = X[~np.isnan(X).all(axis=1)]
    n, p = X.shape
    obs_all = ~np.isnan(X)
    patterns, inverse = np.unique(obs_all, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    groups = [(np.flatnonzero(inverse == j), patterns[j]) for j in range(len(patterns))]
    mu, sigma = np.nanmean(X, axis=0), np.diag(np.nanvar(X, axis=0))
    for it in range(1, max_iter + 1):
        T1, T2 = np.zeros(p), np.zeros((p, p))
        for rows, obs in groups:
            Xh = X[rows].copy()
            mis = ~obs
            if mis.any():
                B = np.linalg.solve(sigma[np.ix_(obs, obs)], sigma[np.ix_(obs, mis)])
                Xh[:, mis] = mu[mis] + (Xh[:, obs] - mu[obs]) @ B
                T2[np.ix_(mis, mis)] += len(rows) * (sigma[np.ix_(mis, mis)] - sigma[np.ix_(mis, obs)] @ B)
            T1 += Xh.sum(axis=0)
            T2 += Xh.T @ Xh
        new_mu = T1 / n
        new_sigma = T2 / n - np.outer(new_mu, new_mu)
        change = max(np.abs(new_mu - mu).max(), np.abs(new_sigma - sigma).max())
        mu, sigma = new_mu, new_sigma
        if change < tol:
            break
    d2 = 0.0
    for rows, obs in groups:
        diff = X[np.ix_(rows, obs)].mean(axis=0) - mu[obs]
        d2 += len(rows) * diff @ np.linalg.solve(sigma[np.ix_(obs, obs)], diff)
    df = int(patterns.sum() - p)
    return d2, df, len(patterns), it


@pytest.mark.parametrize("n, p, missing, seed", [(400, 6, 0.15, 1), (1500, 10, 0.08, 2), (60, 4, 0.3, 3)])
def test_little_mcar_equals_pattern_by_pattern(n, p, missing, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) @ rng.normal(size=(p, p)) + 3.0
    X[rng.random((n, p)) < missing] = np.nan
    d2, df, n_patterns, iterations = little_reference(X)
    out = little_mcar(X).iloc[0]
    assert out["chi2"] == pytest.approx(d2, rel=1e-9)
    assert out["p_value"] == pytest.approx(stats.chi2.sf(d2, df), rel=1e-7, abs=1e-12)
    assert (out["df"], out["n_patterns"], out["em_iterations"]) == (df, n_patterns, iterations)
    assert bool(out["em_converged"])


def subgroup_reference(scores, candidates, by, waves, min_n, dropna, confidence=0.95):
    """Per dimension x wave pair x group: the completers of the group, selected by a mask.

    A missing value of a ``by`` column matches a missing value (the group of
    ``groupby(..., dropna=False)``); a candidate absent from ``candidates``
    has every ``by`` value missing.
    """
    wide = {dim: block.pivot(index="candidate", columns="wave", values="score").reindex(columns=waves)
            for dim, block in scores.assign(wave=scores["wave"].astype(str)).groupby("dimension", sort=True)}
    groups_of = candidates.set_index("candidate")[by]
    levels = candidates.groupby(by, observed=False, dropna=dropna).size().index
    level_rows = levels.to_frame(index=False) if len(by) > 1 else pd.DataFrame({by[0]: levels})
    q = stats.t.ppf(0.5 + confidence / 2, np.arange(1, 100_000))
    rows = []
    for dim, w in wide.items():
        for i, a in enumerate(waves):
            for b in waves[i + 1:]:
                both = w[[a, b]].dropna()
                member = groups_of.reindex(both.index)
                for _, level in level_rows.iterrows():
                    mask = np.ones(len(both), dtype=bool)
                    for col in by:
                        value = member[col].astype(object)
                        mask &= value.isna().to_numpy() if pd.isna(level[col]) else (value == level[col]).to_numpy()
                    x, y = both[a].to_numpy()[mask], both[b].to_numpy()[mask]
                    d = y - x
                    n = float(mask.sum())
                    row = {"dimension": dim, "from_wave": a, "to_wave": b, **level.to_dict(), "n": n,
                           "mean_from": x.mean() if n else np.nan, "mean_to": y.mean() if n else np.nan,
                           "mean_diff": d.mean() if n else np.nan, "sd_diff": d.std(ddof=1) if n > 1 else np.nan}
                    half = q[int(n) - 2] * row["sd_diff"] / np.sqrt(n) if n >= 2 and row["sd_diff"] > 0 else np.nan
                    row.update(ci_low=row["mean_diff"] - half, ci_high=row["mean_diff"] + half, suppressed=n < min_n)
                    if row["suppressed"]:
                        for col in ("n", "mean_from", "mean_to", "mean_diff", "sd_diff", "ci_low", "ci_high"):
                            row[col] = np.nan
                    rows.append(row)
    return pd.DataFrame(rows)


def simulated_study(n: int, seed: int):
    rng = np.random.default_rng(seed)
    ids = [f"k{i:04d}" for i in range(n)]
    candidates = pd.DataFrame({
        "candidate": ids,
        "sex": rng.choice(["F", "M", None], n, p=[0.5, 0.45, 0.05]),
        "site": pd.Categorical(rng.choice(["north", "south", "east"], n), categories=["north", "south", "east", "west"]),
        "flag": rng.random(n) < 0.3,
    })
    rows = []
    for dim in ("D1", "D2", "D3"):
        level = rng.normal(3.0, 0.7, n)
        for t, (share, gain) in enumerate([(1.0, 0.0), (0.6, 0.3), (0.3, 0.5)]):
            keep = rng.random(n) < share
            rows.append(pd.DataFrame({"candidate": np.array(ids)[keep], "wave": f"T{t + 1}", "dimension": dim,
                                      "score": np.round(level[keep] + gain + rng.normal(0, 0.4, keep.sum()), 1)}))
    scores = pd.concat(rows, ignore_index=True)
    # Candidates scored but absent from the candidates table: a missing group.
    return scores, candidates.iloc[: n - 7].reset_index(drop=True)


@pytest.mark.parametrize("by", ["sex", "site", "flag", ["sex", "site"]])
@pytest.mark.parametrize("dropna", [True, False])
def test_subgroup_change_equals_per_pair_groupby(by, dropna):
    scores, candidates = simulated_study(600, seed=4)
    waves = ["T1", "T2", "T3"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = subgroup_change(scores, candidates, by=by, waves=waves, min_n=5, dropna=dropna)
    want = subgroup_reference(scores, candidates, [by] if isinstance(by, str) else by, waves, 5, dropna)
    assert len(got) == len(want)
    keys = ["dimension", "from_wave", "to_wave"]
    got_keys = got[keys].astype(str).to_numpy()
    assert (got_keys == want[keys].astype(str).to_numpy()).all()
    for col in [by] if isinstance(by, str) else by:
        def labels(s):
            return s.astype(object).where(s.notna(), "<missing>").astype(str).to_numpy()
        assert (labels(got[col]) == labels(want[col])).all(), col
    for col in ["n", "mean_from", "mean_to", "mean_diff", "sd_diff", "ci_low", "ci_high"]:
        np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-10, atol=1e-12,
                                   equal_nan=True, err_msg=col)
    assert (got["suppressed"].to_numpy() == want["suppressed"].to_numpy()).all()
