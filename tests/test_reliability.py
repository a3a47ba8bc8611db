"""Tests of impactlib.stats.reliability.

Every expected value is computed outside impactlib: by R 4.2.2 (psych 2.2.9)
with the call written beside it, or by hand. The R data are the inline tables
below, read with ``read.table(..., na.strings = c(".", "?"))``.
"""

import io

import numpy as np
import pandas as pd
import pytest

from impactlib.stats.reliability import (
    change_class,
    cronbach_alpha_by,
    rci_points,
    reliable_change,
)

WAVES = ["T1", "T2", "T3"]
ITEMS = {"a1": "A", "a2": "A", "a3": "A", "a4": "A", "b1": "B", "b2": "B", "b3": "B"}
REVERSED = {"a4"}  # raw_value = 6 - value; the functions use the recoded value

# candidate wave a1 a2 a3 a4 b1 b2 b3 (recoded values 1-5; "." missing, "?" don't know)
RESPONSES = """\
c01 T1 3 2 3 2 3 4 3
c01 T2 1 1 1 2 2 3 3
c01 T3 3 4 3 4 3 2 2
c02 T1 5 4 2 3 3 2 3
c02 T2 2 3 3 2 2 3 1
c02 T3 5 . 5 4 2 3 3
c03 T1 4 2 2 3 1 2 4
c03 T2 4 4 3 4 2 3 2
c03 T3 5 4 5 4 1 3 3
c04 T1 1 3 2 3 3 2 ?
c04 T2 4 5 5 3 2 2 1
c05 T1 . . 2 2 2 2 .
c05 T2 3 2 2 . 5 5 4
c05 T3 3 2 2 4 1 1 2
c06 T1 1 . 1 2 3 3 4
c06 T3 3 4 4 4 2 3 2
c07 T1 2 4 3 3 2 2 3
c07 T2 2 4 4 3 4 3 1
c07 T3 5 3 4 2 5 4 4
c08 T1 3 3 5 4 3 3 2
c08 T2 4 3 3 4 2 2 3
c09 T1 3 4 3 4 . 2 2
c09 T2 4 4 4 4 3 3 2
c09 T3 ? 1 3 3 4 2 3
c10 T1 3 2 4 4 3 2 2
c10 T2 2 3 4 4 4 5 4
c10 T3 5 4 5 4 4 3 3
c11 T1 3 2 2 3 2 2 3
c11 T2 5 4 4 4 2 3 2
c11 T3 3 4 5 3 2 2 2
c12 T1 1 3 1 2 2 2 2
c12 T2 3 3 4 ? 2 4 3
c13 T1 1 2 3 3 2 2 2
c13 T3 2 4 3 3 3 3 3
c14 T1 . 3 2 3 . 3 2
c14 T2 4 2 ? 3 3 3 2
c14 T3 3 5 5 2 4 2 3
c15 T1 2 3 3 3 3 2 2
c15 T2 2 2 1 2 3 3 2
c15 T3 4 5 4 4 4 4 3
c16 T1 2 3 3 4 5 3 4
c16 T2 5 3 4 4 2 4 3
c17 T1 4 4 3 3 5 4 ?
c17 T2 4 3 4 3 3 3 4
c17 T3 4 3 4 5 5 5 5
c18 T1 1 2 1 2 2 4 3
c18 T2 4 4 4 4 3 2 ?
c18 T3 3 4 3 3 3 5 3
"""

# For each dimension x wave, with x <- na.omit(d[d$wave == w, items]):
#   n      = nrow(x)
#   alpha  = psych::alpha(x)$total$raw_alpha
#   ci     = psych::alpha.ci(alpha, nrow(x), ncol(x))  (Feldt), i.e.
#            1 - (1 - alpha) * qf(c(.975, .025), n - 1, (n - 1) * (k - 1))
#   omega  = psych::omega(x, nfactors = 1)$omega.tot
#   heywood: a minres uniqueness at the 0.005 bound
#            (psych::fa(x, 1)$uniquenesses; psych warns "ultra-Heywood case")
# dimension, wave, n, alpha, ci_low, ci_high, omega, heywood
R_ALPHA = [
    ("A", "T1", 15, 0.6149732620, 0.1546536002, 0.8555660684, 0.6948730958, False),
    ("A", "T2", 13, 0.8750371030, 0.7089754547, 0.9572849253, 0.8847466335, False),
    ("A", "T3", 12, 0.3768115942, -0.5032955197, 0.7987972402, 0.5960988730, True),
    ("B", "T1", 13, 0.4736842105, -0.3374462490, 0.8256488411, 0.5245032622, False),
    ("B", "T2", 15, 0.7550167224, 0.4183240301, 0.9108720207, 0.7901486556, True),
    ("B", "T3", 14, 0.8075396825, 0.5281844804, 0.9329839722, 0.8518785070, True),
]


def make_responses(text=RESPONSES, items=ITEMS, waves=WAVES):
    """Long ``responses`` table (tidy-tables contract) from the compact text."""
    names = ["candidate", "wave", *items]
    wide = pd.read_csv(io.StringIO(text), sep=" ", header=None, names=names, dtype=str)
    long = wide.melt(id_vars=["candidate", "wave"], var_name="item", value_name="token")
    long["dimension"] = long["item"].map(items)
    long["status"] = np.select(
        [long["token"] == ".", long["token"] == "?"], ["missing", "dont_know"], "answered"
    )
    value = pd.to_numeric(long["token"].where(long["status"] == "answered"), errors="coerce")
    long["value"] = value.astype("Int64")
    long["raw_value"] = long["value"].where(~long["item"].isin(REVERSED), 6 - long["value"])
    long["label"] = np.where(long["status"] == "dont_know", "Ne sait pas", "")
    long["wave"] = pd.Categorical(long["wave"], categories=waves, ordered=True)
    return long.drop(columns="token").sort_values(["candidate", "wave", "item"], ignore_index=True)


# ---------------------------------------------------------------------------
# cronbach_alpha_by
# ---------------------------------------------------------------------------


def test_alpha_ci_omega_match_r():
    out = cronbach_alpha_by(make_responses())
    assert list(out.columns) == [
        "dimension", "wave", "n", "n_items", "alpha", "ci_low", "ci_high", "omega", "heywood",
    ]
    assert len(out) == len(R_ALPHA)
    for (dim, wave, n, alpha, lo, hi, omega, heywood), (_, row) in zip(R_ALPHA, out.iterrows()):
        assert (row["dimension"], row["wave"]) == (dim, wave)
        assert row["n"] == n
        assert row["n_items"] == (4 if dim == "A" else 3)
        assert row["alpha"] == pytest.approx(alpha, abs=1e-6)
        assert row["ci_low"] == pytest.approx(lo, abs=1e-6)
        assert row["ci_high"] == pytest.approx(hi, abs=1e-6)
        assert row["heywood"] == heywood
        # psych's L-BFGS-B stops early in Heywood cases: agreement ~1e-4 there.
        assert row["omega"] == pytest.approx(omega, abs=1e-6 if not heywood else 5e-4)


def test_alpha_matches_pingouin_listwise():
    # Independent implementation (pingouin rounds its CI to 3 decimals, and
    # takes the CI's n before its own listwise deletion: drop rows first).
    pg = pytest.importorskip("pingouin")
    resp = make_responses()
    out = cronbach_alpha_by(resp, omega=False).set_index(["dimension", "wave"])
    answered = resp[resp["status"] == "answered"]
    for (dim, wave), block in answered.groupby(["dimension", "wave"], observed=True):
        wide = block.pivot(index="candidate", columns="item", values="value").astype(float)
        alpha, ci = pg.cronbach_alpha(wide.dropna())
        assert out.loc[(dim, wave), "alpha"] == pytest.approx(alpha, abs=1e-9)
        assert out.loc[(dim, wave), "ci_low"] == pytest.approx(ci[0], abs=1e-3)
        assert out.loc[(dim, wave), "ci_high"] == pytest.approx(ci[1], abs=1e-3)


def test_hand_computed_alpha():
    # Two items, values (1,2), (2,3), (3,5): var = 1, 7/3, cov = 3/2;
    # alpha = 2 * (1 - (1 + 7/3) / (1 + 7/3 + 3)) = 2 * (1 - 10/19) = 18/19.
    # Feldt: df1 = 2, df2 = 2; R: 1 - (1 - 18/19) * qf(c(.975, .025), 2, 2)
    #   -> -1.052631579, 0.998650472
    resp = pd.DataFrame(
        {
            "candidate": ["x", "x", "y", "y", "z", "z"],
            "wave": "T1",
            "item": ["q1", "q2"] * 3,
            "dimension": "D",
            "value": [1, 2, 2, 3, 3, 5],
            "status": "answered",
        }
    )
    out = cronbach_alpha_by(resp)
    assert out.loc[0, "alpha"] == pytest.approx(18 / 19, abs=1e-12)
    assert out.loc[0, "ci_low"] == pytest.approx(-1.052631579, abs=1e-6)
    assert out.loc[0, "ci_high"] == pytest.approx(0.998650472, abs=1e-6)
    assert np.isnan(out.loc[0, "omega"])  # omega needs 3 items


def test_wave_order_from_categories_and_argument():
    resp = make_responses()
    resp["wave"] = pd.Categorical(resp["wave"].astype(str), categories=["T3", "T1", "T2"], ordered=True)
    out = cronbach_alpha_by(resp, omega=False)
    assert list(out["wave"].astype(str)[:3]) == ["T3", "T1", "T2"]
    assert out["wave"].cat.ordered
    out = cronbach_alpha_by(resp, waves=["T2", "T1"], omega=False)
    assert list(out["wave"].astype(str)) == ["T2", "T1", "T2", "T1"]
    assert list(out["wave"].cat.categories) == ["T2", "T1"]
    # Plain strings: sorted unique waves.
    resp["wave"] = resp["wave"].astype(str)
    out = cronbach_alpha_by(resp, omega=False)
    assert list(out["wave"].astype(str)[:3]) == ["T1", "T2", "T3"]


def test_empty_wave_gives_nan_row_with_n():
    resp = make_responses(waves=["T1", "T2", "T3", "T4"])  # T4: declared, no data
    out = cronbach_alpha_by(resp)
    t4 = out[out["wave"] == "T4"]
    assert len(t4) == 2
    assert (t4["n"] == 0).all()
    assert t4[["alpha", "ci_low", "ci_high", "omega"]].isna().all().all()


def test_zero_variance_dimension():
    # Everybody answers 3 to every item of Z: alpha undefined (0/0) -> NaN.
    rows = [(f"c{i}", "T1", f"z{j}", "Z", 3, "answered") for i in range(6) for j in range(3)]
    resp = pd.DataFrame(rows, columns=["candidate", "wave", "item", "dimension", "value", "status"])
    out = cronbach_alpha_by(resp)
    assert out.loc[0, "n"] == 6 and out.loc[0, "n_items"] == 3
    assert out[["alpha", "ci_low", "ci_high", "omega"]].isna().all(axis=None)


def test_one_item_with_zero_variance_keeps_alpha_drops_omega():
    # z3 constant: alpha is defined, the correlation matrix (omega) is not.
    # Hand: items (1,2,3,4), (2,2,4,4), (3,3,3,3); variances 5/3, 4/3, 0;
    # total (6,7,10,11) variance 17/3; alpha = 3/2 * (1 - 3/(17/3)) = 12/17.
    vals = {"z1": [1, 2, 3, 4], "z2": [2, 2, 4, 4], "z3": [3, 3, 3, 3]}
    rows = [(f"c{i}", "T1", it, "Z", v[i], "answered") for it, v in vals.items() for i in range(4)]
    resp = pd.DataFrame(rows, columns=["candidate", "wave", "item", "dimension", "value", "status"])
    out = cronbach_alpha_by(resp)
    assert out.loc[0, "alpha"] == pytest.approx(12 / 17, abs=1e-12)
    assert np.isnan(out.loc[0, "omega"])


def test_one_candidate():
    resp = make_responses()
    resp = resp[resp["candidate"] == "c01"]
    out = cronbach_alpha_by(resp)
    assert (out["n"] == 1).all()
    assert out[["alpha", "ci_low", "ci_high", "omega"]].isna().all(axis=None)


def test_item_nobody_answered():
    resp = make_responses()
    extra = resp[resp["item"] == "a1"].assign(item="a5", value=pd.NA, raw_value=pd.NA, status="missing")
    out = cronbach_alpha_by(pd.concat([resp, extra], ignore_index=True))
    a = out[out["dimension"] == "A"]
    assert (a["n"] == 0).all() and (a["n_items"] == 5).all()
    assert a[["alpha", "ci_low", "ci_high", "omega"]].isna().all(axis=None)
    b = out[out["dimension"] == "B"]
    assert list(b["n"]) == [13, 15, 14]  # unaffected


def test_status_other_than_answered_is_missing():
    # A "dont_know" row that carries a value must not count as answered.
    resp = make_responses()
    row = (resp["candidate"] == "c01") & (resp["wave"] == "T1") & (resp["item"] == "a1")
    resp.loc[row, "status"] = "dont_know"
    out = cronbach_alpha_by(resp, omega=False)
    assert out.loc[0, "n"] == 14
    out = cronbach_alpha_by(resp, status=None, omega=False)  # value alone
    assert out.loc[0, "n"] == 15


def test_duplicate_rows_raise():
    resp = make_responses()
    with pytest.raises(ValueError, match="several rows"):
        cronbach_alpha_by(pd.concat([resp, resp.iloc[:1]]))


# ---------------------------------------------------------------------------
# reliable_change
# ---------------------------------------------------------------------------

# candidate dimension T1 T2 T3 (dimension scores)
SCORES = """\
k01 D 2.85 3.73 4.19
k02 D 3.72 4.25 4.92
k03 D 3.34 3.55 4.71
k04 D 2.39 2.33 3.13
k05 D 2.61 2.78 NA
k06 D 2.70 NA 3.38
k07 D 3.01 4.02 4.46
k08 D 2.83 3.71 4.24
k09 D 3.36 3.58 4.40
k10 D 2.00 2.89 NA
k11 D 3.64 4.06 3.96
k12 D 3.00 NA 3.41
k13 D 4.03 4.28 4.49
k14 D NA 3.85 3.12
k01 E 3.86 3.54 3.49
k02 E 3.65 3.83 4.37
k03 E 1.23 2.24 2.35
k04 E 3.17 2.66 3.97
k05 E 2.28 3.00 NA
k06 E 2.75 NA 3.08
k07 E 2.85 3.32 3.85
k08 E 2.19 2.63 3.51
k09 E 3.92 3.30 3.07
k10 E 2.61 2.37 NA
k11 E 3.03 3.43 3.70
k12 E 2.90 NA 2.56
k13 E 3.08 3.74 3.41
k14 E NA 3.19 3.13
"""

ALPHAS = {("D", "T1"): 0.80, ("D", "T2"): 0.85, ("D", "T3"): 0.90,
          ("E", "T1"): 0.70, ("E", "T2"): 0.50, ("E", "T3"): 0.78}

# R, with w <- read.csv of SCORES (wide), for each dimension and pair (a, b):
#   sdf <- sd(w[[a]], na.rm = TRUE); se <- sdf * sqrt(2) * sqrt(1 - alpha[dim, a])
#   ok <- !is.na(w[[a]]) & !is.na(w[[b]]); rci <- (w[[b]][ok] - w[[a]][ok]) / se
#   100 * mean(rci > 1.96); 100 * mean(abs(rci) <= 1.96); 100 * mean(rci < -1.96)
# dimension, from, to, n, improvement, no change, deterioration, se_diff, sd_from, alpha_from
R_RCI = [
    ("D", "T1", "T2", 11, 36.3636363636, 63.6363636364, 0.0, 0.3597256790, 0.5687762392, 0.80),
    ("D", "T1", "T3", 11, 63.6363636364, 36.3636363636, 0.0, 0.3597256790, 0.5687762392, 0.80),
    ("D", "T2", "T3", 10, 40.0, 50.0, 10.0, 0.3365989656, 0.6145428210, 0.85),
    ("E", "T1", "T2", 11, 0.0, 100.0, 0.0, 0.5670409021, 0.7320466568, 0.70),
    ("E", "T1", "T3", 11, 18.1818181818, 81.8181818182, 0.0, 0.5670409021, 0.7320466568, 0.70),
    ("E", "T2", "T3", 10, 10.0, 90.0, 0.0, 0.5255552619, 0.5255552619, 0.50),
]


def make_scores(text=SCORES, waves=WAVES):
    wide = pd.read_csv(io.StringIO(text), sep=" ", header=None, names=["candidate", "dimension", *waves])
    long = wide.melt(id_vars=["candidate", "dimension"], var_name="wave", value_name="score")
    long["wave"] = pd.Categorical(long["wave"], categories=waves, ordered=True)
    return long


def reliability_table():
    return pd.DataFrame(
        [(d, w, a) for (d, w), a in ALPHAS.items()], columns=["dimension", "wave", "alpha"]
    )


def test_reliable_change_matches_r():
    out = reliable_change(make_scores(), reliability_table())
    assert list(out.columns) == [
        "dimension", "from_wave", "to_wave", "n", "pct_reliable_improvement",
        "pct_no_reliable_change", "pct_reliable_deterioration", "se_diff", "sd_from", "alpha_from",
    ]
    assert len(out) == len(R_RCI)
    for expected, (_, row) in zip(R_RCI, out.iterrows()):
        dim, a, b, n, up, same, down, se, sd, alpha = expected
        assert (row["dimension"], row["from_wave"], row["to_wave"]) == (dim, a, b)
        assert row["n"] == n
        assert row["pct_reliable_improvement"] == pytest.approx(up, abs=1e-6)
        assert row["pct_no_reliable_change"] == pytest.approx(same, abs=1e-6)
        assert row["pct_reliable_deterioration"] == pytest.approx(down, abs=1e-6)
        assert row["se_diff"] == pytest.approx(se, abs=1e-6)
        assert row["sd_from"] == pytest.approx(sd, abs=1e-6)
        assert row["alpha_from"] == pytest.approx(alpha, abs=1e-12)
    assert out["from_wave"].cat.ordered and out["to_wave"].cat.ordered


def test_reliable_change_scalar_mapping_and_pairs():
    scores = make_scores()
    # A single reliability for every wave: D at T2 with 0.85 as in R_RCI row 3.
    out = reliable_change(scores, 0.85, pairs=[("T2", "T3")])
    assert len(out) == 2 and (out["from_wave"] == "T2").all()
    assert out.loc[0, "se_diff"] == pytest.approx(0.3365989656, abs=1e-6)
    out = reliable_change(scores, {"D": 0.80, "E": 0.70}, pairs=[("T1", "T3")])
    assert out.loc[1, "pct_reliable_improvement"] == pytest.approx(18.1818181818, abs=1e-6)
    with pytest.raises(ValueError):
        reliable_change(scores, 0.8, pairs=[("T1", "T9")])


def test_reliable_change_uses_cronbach_alpha_by_output():
    resp = make_responses()
    rel = cronbach_alpha_by(resp)
    scores = (
        resp[resp["status"] == "answered"]
        .groupby(["candidate", "wave", "dimension"], observed=True)["value"].mean()
        .astype(float).rename("score").reset_index()
    )
    out = reliable_change(scores, rel)
    first = out.iloc[0]
    assert first["alpha_from"] == pytest.approx(R_ALPHA[0][3], abs=1e-6)  # A at T1
    # SD over all candidates scored at T1 (hand, from RESPONSES' item means).
    sd = scores.loc[(scores["dimension"] == "A") & (scores["wave"] == "T1"), "score"].std(ddof=1)
    assert first["se_diff"] == pytest.approx(sd * np.sqrt(2) * np.sqrt(1 - first["alpha_from"]), abs=1e-12)


def test_reliable_change_edge_cases():
    scores = make_scores(waves=["T1", "T2", "T3", "T4"])  # T4 declared, empty
    rel = reliability_table()
    rel.loc[rel["dimension"] == "E", "alpha"] = 1.0  # perfect reliability: SE_diff = 0
    out = reliable_change(scores, rel, pairs=[("T1", "T2"), ("T3", "T4")])
    d12, d34, e12, _ = (row for _, row in out.iterrows())
    assert d12["n"] == 11 and np.isfinite(d12["pct_reliable_improvement"])
    assert d34["n"] == 0 and np.isnan(d34["pct_reliable_improvement"])  # empty wave
    assert e12["n"] == 11 and e12["se_diff"] == 0.0
    assert pd.isna(e12[["pct_reliable_improvement", "pct_no_reliable_change"]]).all()

    # One candidate, zero variance, missing reliability: NaN with n.
    one = make_scores()
    one = one[one["candidate"] == "k01"]
    out = reliable_change(one, {"D": 0.8})
    assert (out["n"] == 1).all()
    assert out["sd_from"].isna().all() and out["pct_reliable_improvement"].isna().all()
    flat = make_scores().assign(score=3.0)
    out = reliable_change(flat, 0.8)
    assert (out["sd_from"] == 0).all() and out["pct_no_reliable_change"].isna().all()


# ---------------------------------------------------------------------------
# One classification for the rci table and the scatter
# ---------------------------------------------------------------------------


def test_change_class_boundaries():
    # RCI > 1.96 improved, |RCI| <= 1.96 no change (1.96 itself included), < -1.96 deteriorated
    got = change_class([2.0, 1.96, 0.0, -1.96, -1.97, np.nan])
    assert got[:5].tolist() == ["improved", "no_change", "no_change", "no_change", "deteriorated"]
    assert pd.isna(got[5])
    assert change_class([1.5], critical=1.0).tolist() == ["improved"]
    assert change_class([]).shape == (0,)


def test_rci_points_by_hand():
    # se_diff 0.5 (given): (2 -> 4) RCI 4 improved; (3 -> 3.2) 0.4; (3 -> 1) -4 deteriorated;
    # (4 -> 4.2) 0.4; (2.5 -> 2.5) 0; pid-5 has no T2 score and pid-9 no pair: left out
    from_ = [2.0, 3.0, 3.0, 4.0, 2.5, 4.5]
    to = [4.0, 3.2, 1.0, 4.2, 2.5, np.nan]
    rows = [(f"pid-{i}", w, "D", v) for i, pair in enumerate(zip(from_, to))
            for w, v in zip(("T1", "T2"), pair)] + [("pid-9", "T1", "D", 3.0)]
    scores = pd.DataFrame(rows, columns=["candidate", "wave", "dimension", "score"])
    rci = pd.DataFrame({"dimension": ["D"], "from_wave": ["T1"], "to_wave": ["T2"], "se_diff": [0.5]})
    pts = rci_points(scores, rci)
    assert list(pts.columns) == ["dimension", "from_wave", "to_wave", "score_from", "score_to",
                                 "rci", "change"]
    assert "candidate" not in pts.columns            # drawn, never shared
    np.testing.assert_allclose(pts["rci"], [4.0, 0.4, -4.0, 0.4, 0.0])
    assert pts["change"].tolist() == ["improved", "no_change", "deteriorated", "no_change",
                                      "no_change"]
    # no SE of the difference: no class
    none = rci_points(scores, rci.assign(se_diff=np.nan))
    assert len(none) == 5 and none["rci"].isna().all() and none["change"].isna().all()
    assert rci_points(scores, rci.assign(dimension="Z")).empty


def test_rci_points_classes_are_the_percentages_of_reliable_change():
    scores = make_scores()
    table = reliable_change(scores, reliability_table())
    pts = rci_points(scores, table)
    for row in table.itertuples():
        sel = pts[(pts["dimension"] == row.dimension) & (pts["from_wave"] == row.from_wave)
                  & (pts["to_wave"] == row.to_wave)]
        assert len(sel) == row.n
        for cls, pct in (("improved", row.pct_reliable_improvement),
                         ("no_change", row.pct_no_reliable_change),
                         ("deteriorated", row.pct_reliable_deterioration)):
            assert 100 * (sel["change"] == cls).mean() == pytest.approx(pct, abs=1e-12)


def test_docstring_examples():
    import doctest

    import impactlib.stats.reliability

    assert doctest.testmod(impactlib.stats.reliability).failed == 0
