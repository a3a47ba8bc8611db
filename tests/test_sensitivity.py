"""Tests of impactlib.stats.sensitivity (delta adjustment, issue 15).

The known answer is a small case whose imputation is exact (the observed exit
scores lie on a line of the entry scores, so every imputation puts the
missing ones on that line: no residual, no between-imputation variance) and
whose pooled change, interval and tipping point are computed by hand, with
R 4.2.2 for the t quantile and the root (the R lines are beside the values).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impactlib.stats.dimension_change import imputation_draws, imputed_change
from impactlib.stats.sensitivity import (COLUMNS, TIPPING_STATUSES, default_deltas,
                                         delta_adjusted_change, imputed_change_and_sensitivity,
                                         tipping_points)

# Entry scores of 8 candidates; the first 5 answered at exit with T3 = 1 + 0.8 T1
# exactly, the last 3 (entry 2, 3, 4) did not.
T1 = [1.0, 2.0, 3.0, 4.0, 5.0, 2.0, 3.0, 4.0]
T3 = [1.8, 2.6, 3.4, 4.2, 5.0, np.nan, np.nan, np.nan]


def _long(t1, t3, dimension="D", waves=("T1", "T3")) -> pd.DataFrame:
    n = len(t1)
    return pd.DataFrame({"candidate": [f"c{i:02d}" for i in range(n)] * 2,
                         "wave": [waves[0]] * n + [waves[1]] * n, "dimension": dimension,
                         "score": np.r_[t1, t3]})


def _simulated(seed=3, n=120, shift=0.4, dimensions=("A", "B")) -> pd.DataFrame:
    """Three waves, monotone and intermittent drop-out, two dimensions."""
    rng = np.random.default_rng(seed)
    blocks = []
    for k, dim in enumerate(dimensions):
        t1 = rng.normal(3.0, 0.7, n)
        t2 = t1 + shift / 2 + rng.normal(0, 0.4, n)
        t3 = t1 + shift * (1 - k) + rng.normal(0, 0.5, n)
        t2[rng.random(n) < 0.3] = np.nan
        t3[rng.random(n) < 0.45] = np.nan
        ids = [f"c{i:03d}" for i in range(n)]
        blocks.append(pd.DataFrame({"candidate": ids * 3, "wave": ["T1"] * n + ["T2"] * n
                                    + ["T3"] * n, "dimension": dim, "score": np.r_[t1, t2, t3]}))
    return pd.concat(blocks, ignore_index=True).dropna(subset=["score"])


def test_hand_case_estimate_interval_and_tipping_point():
    # By hand: d = T3 - T1 = 1 - 0.2 T1 (observed and imputed alike, ridge 0):
    # d = [.8 .6 .4 .2 0 .6 .4 .2], mean 0.4, S_dd = sum (d - 0.4)^2 = 0.48;
    # s = [0 0 0 0 0 1 1 1] (imputed at T3): n_s = 3, S_ds = .2 + 0 - .2 = 0,
    # S_ss = 3 * 5 / 8 = 1.875. So estimate(delta) = 0.4 + 3/8 delta and
    # U(delta) = (0.48 + 1.875 delta^2) / (8 * 7), B = 0: T = U.
    # df: lambda = 0 floored at 1e-4 (mice::pool.scalar), nu_com = 7, m = 2:
    # R: df_old <- 1 / 1e-4^2; df_obs <- 8 / 10 * 7 * (1 - 1e-4)
    #    df <- df_old * df_obs / (df_old + df_obs)   -> 5.59943968646273
    #    q <- qt(0.975, df)                          -> 2.48997539392565
    # delta = 0:  se = sqrt(0.48 / 56) = 0.0925820099772551,
    #    CI 0.4 -/+ q se = 0.1694730732364558, 0.6305269267635443,
    #    p = 2 * pt(-0.4 / se, df) = 0.0058414310336946
    # delta = -0.5: estimate 0.2125, se = sqrt((0.48 + 1.875 * 0.25) / 56)
    #    = 0.130161301029585, CI -0.111598436805016, 0.536598436805016
    # Tipping point: 0.4 + 0.375 d = q sqrt((0.48 + 1.875 d^2) / 56), a quadratic
    #    (0.140625 - 1.875 q^2/56) d^2 + 0.3 d + (0.16 - 0.48 q^2/56) = 0, roots
    #    4.81169148969194 and -0.331641004798652 (the one below 0; uniroot agrees).
    out = delta_adjusted_change(_long(T1, T3), waves=["T1", "T3"], m=2, seed=11, ridge=0.0)
    assert list(out.columns) == COLUMNS
    assert out["delta"].tolist() == pytest.approx([-k / 10 for k in range(11)])
    assert (out["n_candidates"] == 8).all() and (out["n_imputed"] == 3).all()
    assert (out["m"] == 2).all()
    delta = out["delta"].to_numpy()
    assert out["estimate"].to_numpy() == pytest.approx(0.4 + 0.375 * delta, abs=1e-12)
    assert out["se"].to_numpy() == pytest.approx(np.sqrt((0.48 + 1.875 * delta**2) / 56), abs=1e-12)
    assert out["df"].to_numpy() == pytest.approx(5.59943968646273, abs=1e-9)
    zero, half = out.iloc[0], out.iloc[5]
    assert (zero["ci_low"], zero["ci_high"]) == pytest.approx(
        (0.1694730732364558, 0.6305269267635443), abs=1e-10)
    assert zero["p_value"] == pytest.approx(0.0058414310336946, abs=1e-12)
    assert (half["estimate"], half["se"]) == pytest.approx((0.2125, 0.130161301029585), abs=1e-12)
    assert (half["ci_low"], half["ci_high"]) == pytest.approx(
        (-0.111598436805016, 0.536598436805016), abs=1e-10)
    assert (out["tipping"] == "found").all()
    assert out["tipping_delta"].to_numpy() == pytest.approx(-0.331641004798652, abs=1e-9)
    # Verified by the grid: the interval excludes 0 down to -0.3, holds it from -0.4
    holds = out["ci_low"] > 0
    assert holds.tolist() == [True] * 4 + [False] * 7
    # The width of the interval grows with |delta| (only 3 of 8 are shifted)
    width = (out["ci_high"] - out["ci_low"]).to_numpy()
    assert np.all(np.diff(width) > 0)


def test_at_the_tipping_point_the_bound_is_zero_and_the_estimate_linear():
    scores = _simulated()
    out = delta_adjusted_change(scores, m=10, seed=5)
    tip = tipping_points(out)
    assert set(tip["tipping"]) <= set(TIPPING_STATUSES)
    a = tip.set_index("dimension").loc["A"]
    assert a["tipping"] == "found" and a["tipping_delta"] < 0
    # A alone draws the same stream (first dimension: SeedSequence(5).spawn(...)[0])
    at = delta_adjusted_change(scores[scores["dimension"] == "A"], m=10, seed=5,
                               deltas=[0.0, a["tipping_delta"]])
    assert at["estimate"].iloc[0] == a["estimate"]
    assert at["ci_low"].iloc[1] == pytest.approx(0.0, abs=1e-8)
    assert at["estimate"].iloc[1] == pytest.approx(a["estimate_at_tipping"], abs=1e-12)
    # verified by the grid: the interval excludes 0 exactly on the grid points above it
    rows = out[out["dimension"] == "A"]
    assert ((rows["ci_low"] > 0) == (rows["delta"] > a["tipping_delta"])).all()
    # estimate(delta) = estimate(0) + delta * n_imputed / n_candidates, every row
    base = out.groupby("dimension", observed=True)["estimate"].transform("first")
    share = out["n_imputed"] / out["n_candidates"]
    assert out["estimate"].to_numpy() == pytest.approx(
        (base + out["delta"] * share).to_numpy(), abs=1e-12)


def test_pooled_variance_follows_the_formula_of_the_notes():
    # T(delta) = mean_j (S_dd,j + 2 delta S_ds,j + delta^2 n_s (n - n_s) / n) / (n (n - 1))
    #            + (1 + 1/m) B, with B the variance of the m means (unchanged by delta):
    # written here from the completed data sets, independently of the pooling code.
    scores = _simulated(dimensions=("A",))
    m = 8
    out = delta_adjusted_change(scores, m=m, seed=9)
    _, _, draws = imputation_draws(scores, None, None, "score", "wave", "candidate",
                                    "dimension", None, m, 9, 1e-5)
    _, observed, completed = next(iter(draws))
    d = completed[:, :, 2] - completed[:, :, 0]
    s = (~observed[:, 2]).astype(float)
    n, n_s = d.shape[1], s.sum()
    dev = d - d.mean(axis=1, keepdims=True)
    s_dd = (dev**2).sum(axis=1)
    s_ds = (dev * (s - s.mean())).sum(axis=1)
    b = d.mean(axis=1).var(ddof=1)
    for delta, se in zip(out["delta"], out["se"]):
        u = np.mean(s_dd + 2 * delta * s_ds + delta**2 * n_s * (n - n_s) / n) / (n * (n - 1))
        assert se == pytest.approx(np.sqrt(u + (1 + 1 / m) * b), rel=1e-10)


def test_delta_zero_is_imputed_change_to_the_bit():
    scores = _simulated()
    candidates = pd.DataFrame({"candidate": sorted(scores["candidate"].unique())})
    candidates["group"] = np.where(np.arange(len(candidates)) % 3 == 0, "x", "y")
    kwargs = dict(candidates=candidates, covariates=["group"], m=7, seed=2024)
    imp = imputed_change(scores, **kwargs)
    out = delta_adjusted_change(scores, pairs=[("T1", "T2"), ("T1", "T3")], **kwargs)
    zero = out[out["delta"] == 0].reset_index(drop=True)
    imp = imp[imp["from_wave"] == "T1"].reset_index(drop=True)
    for col in ["estimate", "se", "ci_low", "ci_high", "df"]:
        assert zero[col].tolist() == imp[col].tolist(), col
    assert zero["n_candidates"].tolist() == imp["n"].tolist()
    assert zero["n_imputed"].tolist() == imp["n_imputed"].tolist()
    # default pair: entry to exit only
    default = delta_adjusted_change(scores, **kwargs)
    assert set(zip(default["from_wave"].astype(str), default["to_wave"].astype(str))) == {("T1", "T3")}


def test_one_imputation_pass_gives_both_tables_to_the_bit():
    # build_results draws the imputations once for imputed_change and change_sensitivity
    # (issue 14): each table must be the one its own function gives, byte for byte.
    scores = _simulated(dimensions=("A", "B", "C"))
    candidates = pd.DataFrame({"candidate": sorted(scores["candidate"].unique())})
    candidates["group"] = np.where(np.arange(len(candidates)) % 3 == 0, "x", "y")
    for kwargs in (dict(m=5, seed=11),
                   dict(candidates=candidates, covariates=["group"], m=7, seed=2024)):
        mar, shifted = imputed_change_and_sensitivity(scores, **kwargs)
        alone_mar = imputed_change(scores, **kwargs)
        alone_shifted = delta_adjusted_change(scores, **kwargs)
        pd.testing.assert_frame_equal(mar, alone_mar, check_exact=True)
        pd.testing.assert_frame_equal(shifted, alone_shifted, check_exact=True)
        assert mar.to_csv(index=False, float_format="%.17g") \
            == alone_mar.to_csv(index=False, float_format="%.17g")
        assert shifted.to_csv(index=False, float_format="%.17g") \
            == alone_shifted.to_csv(index=False, float_format="%.17g")
    # pairs and deltas go to their own table
    pairs, shift_pairs = [("T2", "T3")], [("T1", "T2"), ("T1", "T3")]
    mar, shifted = imputed_change_and_sensitivity(scores, pairs=pairs, sensitivity_pairs=shift_pairs,
                                                  deltas=[-0.25, 0.5], m=4, seed=3)
    pd.testing.assert_frame_equal(mar, imputed_change(scores, pairs=pairs, m=4, seed=3),
                                  check_exact=True)
    pd.testing.assert_frame_equal(
        shifted, delta_adjusted_change(scores, pairs=shift_pairs, deltas=[-0.25, 0.5], m=4, seed=3),
        check_exact=True)
    with pytest.raises(ValueError, match="m must be at least 2"):
        imputed_change_and_sensitivity(scores, m=1)


def test_same_seed_same_bytes_other_seed_other_table():
    scores = _simulated()
    first = delta_adjusted_change(scores, m=6, seed=77).to_csv(index=False).encode()
    again = delta_adjusted_change(scores, m=6, seed=77).to_csv(index=False).encode()
    assert first == again
    assert first != delta_adjusted_change(scores, m=6, seed=78).to_csv(index=False).encode()


def test_statuses_worsening_no_change_nothing_imputed_undefined():
    rng = np.random.default_rng(4)
    n = 60
    t1 = rng.normal(3.0, 0.6, n)
    worse = t1 - 0.6 + rng.normal(0, 0.3, n)
    worse[:20] = np.nan
    out = tipping_points(delta_adjusted_change(_long(t1, worse), waves=["T1", "T3"], m=5, seed=1))
    # a decline is overturned by a shift upwards: tipping_delta > 0
    assert out.loc[0, "tipping"] == "found" and out.loc[0, "tipping_delta"] > 0
    assert out.loc[0, "estimate_at_tipping"] < 0
    flat = t1 + rng.normal(0, 0.3, n)
    flat -= np.mean(flat - t1)  # mean change exactly 0 among the observed
    flat[:20] = np.nan
    out = tipping_points(delta_adjusted_change(_long(t1, flat), waves=["T1", "T3"], m=5, seed=1))
    assert out.loc[0, "tipping"] == "not_needed" and np.isnan(out.loc[0, "tipping_delta"])
    full = t1 + 0.5 + rng.normal(0, 0.3, n)
    out = tipping_points(delta_adjusted_change(_long(t1, full), waves=["T1", "T3"], m=5, seed=1))
    assert out.loc[0, "tipping"] == "none_imputed" and out.loc[0, "n_imputed"] == 0
    one = delta_adjusted_change(_long([2.0], [3.0]), waves=["T1", "T3"], m=5, seed=1)
    assert (one["tipping"] == "undefined").all() and one["estimate"].isna().all()


def test_beyond_range_when_the_shift_would_leave_the_scale():
    # 2 of 200 imputed, a large and precise change: no shift within the span of the
    # scores (about 4 points) brings the interval to 0.
    rng = np.random.default_rng(8)
    t1 = rng.normal(2.0, 0.5, 200)
    t3 = t1 + 2.0 + rng.normal(0, 0.2, 200)
    t3[:2] = np.nan
    out = tipping_points(delta_adjusted_change(_long(t1, t3), waves=["T1", "T3"], m=5, seed=1))
    assert out.loc[0, "tipping"] == "beyond_range" and np.isnan(out.loc[0, "tipping_delta"])


def test_grid_default_and_given():
    assert default_deltas(_long(T1, T3)).tolist() == pytest.approx([-k / 10 for k in range(11)])
    assert not np.signbit(default_deltas(_long(T1, T3))[0])
    out = delta_adjusted_change(_long(T1, T3), waves=["T1", "T3"], m=2, seed=1, ridge=0.0,
                                deltas=[-0.25, -0.5])
    # 0 is added (the tipping point is searched from it); the scan steps by 0.25
    assert out["delta"].tolist() == [0.0, -0.25, -0.5]
    assert out["tipping_delta"].iloc[0] == pytest.approx(-0.331641004798652, abs=1e-9)
    with pytest.raises(ValueError):
        delta_adjusted_change(_long(T1, T3), m=1)
    with pytest.raises(ValueError):
        delta_adjusted_change(_long(T1, T3), deltas=[np.nan])


# ---------------------------------------------------------------------------
# The figure (impactlib.report.figures.tipping_point_figure): draws the table
# ---------------------------------------------------------------------------


def _sensitivity_table() -> pd.DataFrame:
    """A hand-made change_sensitivity table: A tips at -0.36, B shows no change, C holds."""
    grid = np.round(-np.arange(11) / 10, 1) + 0.0
    blocks = []
    for dim, est0, half, tip, status, n_imp in (("A", 0.5, 0.18, -0.36, "found", 30),
                                                ("B", 0.1, 0.2, np.nan, "not_needed", 3),
                                                ("C", 2.0, 0.1, np.nan, "beyond_range", 12)):
        est = est0 + grid * n_imp / 40
        blocks.append(pd.DataFrame({
            "dimension": dim, "from_wave": "T1", "to_wave": "T3", "delta": grid, "estimate": est,
            "se": half / 2, "ci_low": est - half, "ci_high": est + half, "p_value": 0.01,
            "df": 20.0, "n_candidates": 40, "n_imputed": n_imp, "m": 20, "tipping_delta": tip,
            "tipping": status}))
    return pd.concat(blocks, ignore_index=True)


def _texts(fig) -> list[str]:
    from matplotlib.text import Text
    return [t.get_text().replace("\n", " ") for t in fig.findobj(Text) if t.get_text()]


def _gid(fig, prefix):
    return [a for a in fig.findobj(lambda a: str(a.get_gid() or "").startswith(prefix))]


def test_tipping_figure_draws_the_table_and_marks_the_tipping_point():
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from impactlib.report import figures as F
    from impactlib.report.i18n import Translator

    fr = Translator("fr")
    table = _sensitivity_table()
    fig = F.tipping_point_figure(table, fr, "T1", "T3")
    assert tuple(fig.get_size_inches())[0] == 5.0
    for i, dim in enumerate("ABC"):
        rows = table[table["dimension"] == dim].sort_values("delta")
        (line,) = _gid(fig, f"estimate:{i}")
        np.testing.assert_array_equal(line.get_xdata(), rows["delta"])
        np.testing.assert_array_equal(line.get_ydata(), rows["estimate"])
        assert len(_gid(fig, f"ci:{i}")) == 1
    (mark,) = _gid(fig, "tipping:")                       # only A has one within the grid
    assert list(mark.get_xdata()) == [-0.36, -0.36]
    labels = {a.get_gid(): a.get_text().replace("\n", " ") for a in fig.findobj(Text)
              if str(a.get_gid() or "").startswith("tipping-label")}
    assert labels == {"tipping-label:0": "bascule : -0,36",
                      "tipping-label:1": "évolution non démontrée, même sans écart",
                      "tipping-label:2": "pas de bascule sur toute l'étendue des scores"}
    assert len(_gid(fig, "zero")) == 3
    note = " ".join(t for t in _texts(fig) if t.startswith("Scores T3"))
    assert "12 à 30 ; moins de 5 sur 40 candidats" in note        # 3 imputed: not shown
    named = F.tipping_point_figure(table, fr, "T1", "T3", wave_labels={"T3": "Sortie"})
    assert any("sans questionnaire Sortie (T3)" in t for t in _texts(named))
    assert all(t.get_fontsize() >= 8 for t in fig.findobj(Text) if t.get_text())
    png = F.to_png_bytes(fig)
    assert png == F.to_png_bytes(F.tipping_point_figure(table, fr, "T1", "T3"))
    en = F.tipping_point_figure(table, Translator("en"), "T1", "T3")
    assert any(t.startswith("What if the absent had done worse?") for t in _texts(en))
    # a tipping point outside the grid is written, not drawn
    far = table.assign(tipping_delta=np.where(table["dimension"] == "A", -1.4, np.nan))
    fig = F.tipping_point_figure(far, fr, "T1", "T3")
    assert not _gid(fig, "tipping:") and "bascule hors du graphique : -1,40" in _texts(fig)
    for empty in (None, pd.DataFrame(), table.iloc[:0]):
        assert F.tipping_point_figure(empty, fr, "T1", "T3").get_gid() == "no-data"
    assert F.tipping_point_figure(table, fr, "T1", "T2").get_gid() == "no-data"
    plt.close("all")


# ---------------------------------------------------------------------------
# The sentence (impactlib.report.narrative.tipping_text)
# ---------------------------------------------------------------------------


def _view(table, lang="fr"):
    from types import SimpleNamespace

    from impactlib.report.i18n import Translator
    labels = {"T1": "Entrée", "T3": "Sortie"}
    return SimpleNamespace(tr=Translator(lang), results={"change_sensitivity": table},
                           label=lambda w: labels[w])


def test_tipping_text_names_the_most_fragile_improvement_and_never_reassures():
    from impactlib.report.narrative import tipping_text

    table = _sensitivity_table()                 # A: 0.5, tips at -0.36; B: no change; C: holds
    more = table[table["dimension"] == "A"].assign(dimension="D", tipping_delta=-0.52)
    text = tipping_text(_view(pd.concat([table, more], ignore_index=True)), "T1", "T3")
    assert text == (
        "Si les candidats qui n'ont pas rempli le questionnaire Sortie avaient en réalité un score "
        "inférieur de 0,36 point à ce que suppose l'imputation, le progrès sur «\u00a0A\u00a0» "
        "(0,50 point en moyenne) ne serait plus démontré. "
        "Pour «\u00a0D\u00a0», l'autre dimension en progrès, ce seuil est de 0,52 point. "
        "Pour «\u00a0C\u00a0», la conclusion resterait la même quel que soit l'écart, dans les "
        "limites des scores observés. "
        "Pour «\u00a0B\u00a0», aucune évolution n'est démontrée, même sans écart : il n'y a pas "
        "de conclusion à remettre en cause. "
        "Aucun calcul ne dit si un tel écart est plausible : c'est à ceux qui connaissent les "
        "candidats qui n'ont pas répondu d'en juger.")
    english = tipping_text(_view(table, "en"), "T1", "T3")
    assert english.startswith("If the candidates who did not fill in the Sortie questionnaire had "
                              "in fact scored 0.36 points lower than the imputation assumes, the "
                              "improvement in “A” (0.50 points on average) would no longer be shown.")
    # a decline tips upwards; with nothing to overturn, no judgement sentence
    down = table[table["dimension"] == "A"].assign(estimate=-0.4, tipping_delta=0.21)
    assert "score supérieur de 0,21 point" in tipping_text(_view(down), "T1", "T3")
    assert "la baisse sur «\u00a0A\u00a0» ne serait plus démontrée" in tipping_text(_view(down),
                                                                                  "T1", "T3")
    only_b = tipping_text(_view(table[table["dimension"] == "B"]), "T1", "T3")
    assert "Aucun calcul" not in only_b and "aucune évolution n'est démontrée" in only_b
    for robust in ("robuste", "solide", "fiable", "rassur"):
        assert robust not in text
    assert tipping_text(_view(table), "T1", "T2") == ""
    assert tipping_text(_view(None), "T1", "T3") == ""
