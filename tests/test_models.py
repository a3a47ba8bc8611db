"""Tests of impactlib.stats.dimension_change.

Every expected value is computed outside impactlib: by R 4.2.2 (lme4 1.1-31,
mice 3.15.0) with the call written beside it, by hand, or from the known
truth of a simulation. The R data frame ``d`` is the DATA table below in long
format (one row per candidate x wave x dimension, NA scores dropped), with
``d$wave <- factor(d$wave, levels = c("T1", "T2", "T3"))``; ``w`` is its wide
form (one row per candidate x dimension, columns T1, T2, T3).
"""

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from impactlib.stats.dimension_change import (
    completers_change,
    dimension_model,
    imputed_change,
    pool_rubin,
    subgroup_change,
)

WAVES = ["T1", "T2", "T3"]

# candidate sex exit_status age | dimension A at T1 T2 T3 | dimension B at T1 T2 T3
DATA = """\
c01 M none     52  2.439    NA 2.818  2.778    NA 2.523
c02 F employed 40  2.092 2.837 3.228  3.766 2.626 4.009
c03 M employed 21  2.138    NA    NA  2.274    NA    NA
c04 M employed 35  1.860 1.995 2.624  3.276 3.549 4.153
c05 F moved    20  2.914 4.157 3.466  4.355 4.221 3.755
c06 F employed 45  2.837 2.962 3.934  3.344 3.206 3.769
c07 F moved    36  2.079 3.403 2.667  4.332 3.839 4.225
c08 F none     55  2.376 3.185    NA  1.732 2.923    NA
c09 F training 35  1.069 1.977 2.527  3.206 2.623 3.152
c10 M employed 46  2.887 3.743 3.997  3.199 2.866 3.068
c11 M employed 41  2.728 3.418    NA  3.916 3.760    NA
c12 F employed 55  2.691 4.738 3.921  2.612 2.061 1.466
c13 F none     46  2.962 3.966 3.721  2.921 1.698 2.334
c14 F none     28  2.757 2.243 3.506  4.394 4.221 3.889
c15 M employed 54  1.808 3.028 3.033  3.194 3.886 3.754
c16 M employed 48     NA 2.595 2.530     NA 3.631 3.851
c17 F employed 39  2.141 3.125 4.193  1.827 2.249 2.809
c18 M employed 27  2.693    NA 4.432  3.540    NA 3.154
c19 F employed 52  2.954 4.009    NA  3.255 3.431    NA
c20 F training 25  2.682 4.077 4.276  3.548 4.109 3.034
c21 M none     37  3.870    NA 4.194  3.090    NA 2.646
c22 M employed 28  3.386 2.981    NA  1.546 1.809    NA
c23 F training 51  2.392 3.661 3.184  1.921 2.808 2.971
c24 F employed 39     NA 2.984 3.616     NA 3.491 3.048
c25 M moved    19  3.225 4.163 3.616  3.525 3.557 3.684
c26 M none     22  2.903    NA    NA  2.321    NA    NA
c27 F moved    34  3.610 4.401    NA  2.528 2.383    NA
c28 M moved    35  2.772 2.897    NA  3.879 3.793    NA
c29 F employed 41  3.727 4.064 3.815  3.669 3.404 3.336
c30 F training 49  2.223 3.618    NA  2.035 1.779    NA
c31 M training 47  3.253 4.250    NA  2.781 2.372    NA
c32 M training 28  3.942 3.351 3.579  3.005 3.157 3.527
c33 M training 23  3.885 4.437 5.069  2.160 2.727 2.621
c34 M employed 45  1.473    NA 2.542  3.308    NA 2.756
c35 F employed 51  3.694 4.363 3.986  2.817 3.355 3.901
c36 F none     35  2.869 2.276    NA  2.086 2.405    NA
"""


def make_tables(waves=WAVES):
    names = ["candidate", "sex", "exit_status", "age", "A_T1", "A_T2", "A_T3", "B_T1", "B_T2", "B_T3"]
    wide = pd.read_csv(io.StringIO(DATA), sep=r"\s+", header=None, names=names)
    candidates = wide[["candidate", "sex", "exit_status", "age"]].copy()
    long = wide.drop(columns=["sex", "exit_status", "age"]).melt(id_vars="candidate", value_name="score")
    long[["dimension", "wave"]] = long.pop("variable").str.split("_", expand=True)
    long["wave"] = pd.Categorical(long["wave"], categories=waves, ordered=True)
    scores = long[["candidate", "wave", "dimension", "score"]]
    # The tidy table has a row per kept questionnaire; drop never-filled waves.
    return scores[scores["score"].notna()].reset_index(drop=True), candidates


def no_warnings(func, *args, **kwargs):
    """Call func and fail if it lets any warning escape."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = func(*args, **kwargs)
    assert [str(w.message) for w in caught] == []
    return result


# ---------------------------------------------------------------------------
# dimension_model
# ---------------------------------------------------------------------------

# R: m <- lmer(score ~ wave + (1 | candidate), data = subset(d, dimension == dim), REML = TRUE)
#    summary(m)$coefficients[, 1:2]; confint(m, method = "Wald", parm = "beta_")
#    2 * pnorm(-abs(estimate / se))
#    ngrps(m) -> 36; nobs(m) -> 89; as.data.frame(VarCorr(m))$vcov
#    T3 vs T2 and the Satterthwaite columns (lmerTest 3.1-3, m fitted by lmerTest::lmer):
#    ct <- contest(m, L, joint = FALSE) with L = c(0, 1, 0), c(0, 0, 1), c(0, -1, 1);
#    ct$Estimate, ct$`Std. Error`, estimate -/+ qnorm(0.975) * se, ct$df, ct$`Pr(>|t|)`
# dimension, term, estimate, se, ci_low, ci_high, p_value, df_satterthwaite, p_satterthwaite
R_LMER = [
    ("A", "T2 vs T1", 0.69348010, 0.11214660, 0.47367680, 0.91328340, 6.2619271e-10, 53.971654, 8.6582912e-08),
    ("A", "T3 vs T1", 0.83985949, 0.12011909, 0.60443040, 1.07528858, 2.7120709e-12, 55.070996, 3.8653497e-09),
    ("A", "T3 vs T2", 0.14637938, 0.12359108, -0.095854675, 0.38861344, 0.23626081, 54.889362, 0.24136412),
    ("B", "T2 vs T1", -0.00582723, 0.10320345, -0.20810227, 0.19644781, 0.95497256, 52.484448, 0.95518697),
    ("B", "T3 vs T1", 0.09143542, 0.11069781, -0.12552829, 0.30839913, 0.40880905, 53.301121, 0.41249108),
    ("B", "T3 vs T2", 0.09726265, 0.11386535, -0.12590933, 0.32043463, 0.39299969, 53.109433, 0.39683632),
]
R_VARCORR = {"A": (0.3131168, 0.1895712), "B": (0.3865101, 0.1596535)}  # candidate, residual


def test_dimension_model_matches_lme4():
    scores, _ = make_tables()
    out = no_warnings(dimension_model, scores)
    assert list(out.columns) == [
        "dimension", "term", "from_wave", "to_wave", "estimate", "se", "ci_low", "ci_high", "p_value",
        "df_satterthwaite", "p_satterthwaite",
        "n_candidates", "n_observations", "var_candidate", "var_residual", "converged", "fit_warnings",
    ]
    assert len(out) == len(R_LMER)
    for (dim, term, est, se, lo, hi, p, df, p_satt), (_, row) in zip(R_LMER, out.iterrows()):
        assert (row["dimension"], row["term"]) == (dim, term)
        assert row["from_wave"] == term[-2:] and row["to_wave"] == term[:2]
        assert row["df_satterthwaite"] == pytest.approx(df, abs=1e-4)
        assert row["p_satterthwaite"] == pytest.approx(p_satt, rel=1e-5)
        assert row["estimate"] == pytest.approx(est, abs=1e-4)
        assert row["se"] == pytest.approx(se, abs=1e-4)
        assert row["ci_low"] == pytest.approx(lo, abs=1e-4)
        assert row["ci_high"] == pytest.approx(hi, abs=1e-4)
        assert row["p_value"] == pytest.approx(p, rel=1e-3)
        assert (row["n_candidates"], row["n_observations"]) == (36, 89)
        assert row["var_candidate"] == pytest.approx(R_VARCORR[dim][0], abs=1e-4)
        assert row["var_residual"] == pytest.approx(R_VARCORR[dim][1], abs=1e-4)
        assert row["converged"]


def test_dimension_model_nan_scores_and_string_waves():
    # NaN scores (too few items answered) are ignored; plain string waves sort.
    scores, _ = make_tables()
    extra = pd.DataFrame({"candidate": ["c03", "c26"], "wave": ["T2", "T3"], "dimension": "A", "score": np.nan})
    scores = pd.concat([scores.astype({"wave": str}), extra], ignore_index=True)
    out = dimension_model(scores)
    assert out.loc[0, "estimate"] == pytest.approx(R_LMER[0][2], abs=1e-4)
    assert out.loc[0, "n_observations"] == 89


def test_dimension_model_singular_fit():
    # Random-intercept variance estimated at 0 (lme4: "boundary (singular) fit").
    # R: t1 <- c(4.22, 1.47, 3.25, 2.66, 2.73, 2.87, 1.79, 2.86)
    #    t2 <- c(2.88, 5.39, 3.54, 3.19, 3.23, 3.00, 2.77, 3.17)
    #    m <- lmer(score ~ wave + (1 | candidate), REML = TRUE); isSingular(m) -> TRUE
    #    waveT2: estimate 0.66500, Std. Error 0.4212200604; sigma 0.84244
    #    lmerTest 3.1-3 (m by lmerTest::lmer): contest(m, c(0, 1), joint = FALSE)
    #    df 13.9999999997, Pr(>|t|) 0.136716344583: on the boundary the df are
    #    the residual df of least squares, 16 - 2
    t1 = [4.22, 1.47, 3.25, 2.66, 2.73, 2.87, 1.79, 2.86]
    t2 = [2.88, 5.39, 3.54, 3.19, 3.23, 3.00, 2.77, 3.17]
    scores = pd.DataFrame(
        {"candidate": [f"s{i}" for i in range(8)] * 2, "wave": ["T1"] * 8 + ["T2"] * 8,
         "dimension": "D", "score": t1 + t2}
    )
    out = no_warnings(dimension_model, scores)
    row = out.iloc[0]
    assert row["estimate"] == pytest.approx(0.665, abs=1e-4)
    assert row["se"] == pytest.approx(0.4212200604, abs=1e-4)
    assert row["var_candidate"] == pytest.approx(0.0, abs=1e-4)
    assert np.sqrt(row["var_residual"]) == pytest.approx(0.84244, abs=1e-4)
    assert isinstance(row["converged"], (bool, np.bool_))
    assert "boundary" in row["fit_warnings"]
    assert row["df_satterthwaite"] == pytest.approx(14.0, abs=1e-6)
    assert row["p_satterthwaite"] == pytest.approx(0.136716344583, rel=1e-6)


def test_dimension_model_empty_wave():
    # No T3 score for dimension A: the T3 term is NaN, T2 is the T1/T2 model.
    # R: lmer(score ~ wave + (1 | candidate), droplevels(subset(d, dimension == "A" & wave != "T3")))
    #    waveT2 0.6906020759 (SE 0.1213282738); ngrps 36, nobs 64
    scores, _ = make_tables()
    scores = scores[~((scores["dimension"] == "A") & (scores["wave"] == "T3"))]
    out = no_warnings(dimension_model, scores)
    a2, a3, a32 = out.iloc[0], out.iloc[1], out.iloc[2]
    assert a2["estimate"] == pytest.approx(0.6906020759, abs=1e-4)
    assert a2["se"] == pytest.approx(0.1213282738, abs=1e-4)
    assert (a2["n_candidates"], a2["n_observations"]) == (36, 64)
    assert a3["term"] == "T3 vs T1" and np.isnan(a3[["estimate", "se", "ci_low", "p_value"]].astype(float)).all()
    assert a32["term"] == "T3 vs T2" and np.isnan(a32[["estimate", "df_satterthwaite",
                                                        "p_satterthwaite"]].astype(float)).all()
    assert out.iloc[3]["estimate"] == pytest.approx(R_LMER[3][2], abs=1e-4)  # B unaffected


def test_dimension_model_degenerate_inputs():
    scores, _ = make_tables()
    flat = scores.assign(score=3.0)  # zero variance
    out = no_warnings(dimension_model, flat)
    assert out["estimate"].isna().all() and (out["n_observations"] == 89).all()
    assert not out["converged"].any()
    one = scores[scores["candidate"] == "c02"]  # one candidate
    out = no_warnings(dimension_model, one)
    assert out["estimate"].isna().all() and (out["n_candidates"] == 1).all()
    no_ref = scores[scores["wave"] != "T1"]  # no score at the reference wave
    out = no_warnings(dimension_model, no_ref)
    assert out["estimate"].isna().all() and list(out["term"][:2]) == ["T2 vs T1", "T3 vs T1"]
    out = no_warnings(dimension_model, scores.iloc[:0])  # nothing at all
    assert len(out) == 0 or out["estimate"].isna().all()


# ---------------------------------------------------------------------------
# completers_change
# ---------------------------------------------------------------------------

# R: ok <- !is.na(x[[a]]) & !is.na(x[[b]]); t <- t.test(x[[b]][ok], x[[a]][ok], paired = TRUE)
#    (x <- w[w$dimension == dim, ]); t$conf.int; t$p.value; mean(diff) / sd(diff)
# dimension, from, to, n, mean_from, mean_to, mean_diff, ci_low, ci_high, p_value, d_z
R_PAIRED = [
    ("A", "T1", "T2", 28, 2.7791071429, 3.4758928571, 0.6967857143, 0.4408682096, 0.9527032190, 6.330867716e-06, 1.0557515180),
    ("A", "T1", "T3", 23, 2.7008260870, 3.5794782609, 0.8786521739, 0.6337943266, 1.1235100212, 1.919077752e-07, 1.5517480722),
    ("A", "T2", "T3", 21, 3.4223333333, 3.5470476190, 0.1247142857, -0.1566557861, 0.4060843575, 0.3662057567, 0.2017601299),
    ("B", "T1", "T2", 28, 3.0296071429, 3.0291785714, -0.0004285714, -0.2154696887, 0.2146125458, 0.9967673278, -0.0007727948),
    ("B", "T1", "T3", 23, 3.2081304348, 3.2406956522, 0.0325652174, -0.2353646506, 0.3004950854, 0.8033296332, 0.0525594855),
    ("B", "T2", "T3", 21, 3.2040000000, 3.3502857143, 0.1462857143, -0.1014818704, 0.3940532989, 0.2323898291, 0.2687537149),
]


def test_completers_change_matches_t_test():
    scores, _ = make_tables()
    out = no_warnings(completers_change, scores)
    assert list(out.columns) == [
        "dimension", "from_wave", "to_wave", "n", "mean_from", "mean_to", "mean_diff", "sd_diff",
        "ci_low", "ci_high", "t", "df", "p_value", "d_z",
    ]
    for expected, (_, row) in zip(R_PAIRED, out.iterrows(), strict=True):
        dim, a, b, n, m_from, m_to, m_diff, lo, hi, p, dz = expected
        assert (row["dimension"], row["from_wave"], row["to_wave"], row["n"]) == (dim, a, b, n)
        assert row["df"] == n - 1
        for col, val in zip(["mean_from", "mean_to", "mean_diff", "ci_low", "ci_high", "d_z"],
                            [m_from, m_to, m_diff, lo, hi, dz]):
            assert row[col] == pytest.approx(val, abs=1e-8), col
        assert row["p_value"] == pytest.approx(p, rel=1e-6)


def test_completers_change_edge_cases():
    scores, _ = make_tables(waves=["T1", "T2", "T3", "T4"])
    one = scores[scores["candidate"].isin(["c02"])]
    out = no_warnings(completers_change, one, pairs=[("T1", "T2"), ("T3", "T4")])
    assert list(out["n"]) == [1, 0, 1, 0]
    assert out.loc[0, "mean_diff"] == pytest.approx(2.837 - 2.092, abs=1e-12)
    assert out[["sd_diff", "ci_low", "t", "p_value", "d_z"]].isna().all(axis=None)
    assert out.loc[1, ["mean_from", "mean_diff"]].isna().all()
    # Equal differences: R t.test stops ("data are essentially constant").
    same = pd.DataFrame({"candidate": list("abcd") * 2, "wave": ["T1"] * 4 + ["T2"] * 4,
                         "dimension": "D", "score": [1.0, 2.0, 3.0, 4.0, 1.5, 2.5, 3.5, 4.5]})
    out = no_warnings(completers_change, same)
    assert out.loc[0, "mean_diff"] == pytest.approx(0.5) and out.loc[0, "sd_diff"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc[0, ["t", "p_value", "ci_low", "d_z"]].isna().all()


# ---------------------------------------------------------------------------
# subgroup_change
# ---------------------------------------------------------------------------

# R: d <- merge(w, candidates); for each group g with completers x of the pair:
#    diff <- x[[b]] - x[[a]]; length(diff); mean(diff); t.test(diff)$conf.int
# by, dimension, from, to, group, n, mean_diff, ci_low, ci_high
R_SUBGROUP = [
    ("sex", "A", "T1", "T2", "F", 18, 0.8329444444, 0.5038786123, 1.1620102765),
    ("sex", "A", "T1", "T2", "M", 10, 0.4517000000, 0.0131408949, 0.8902591051),
    ("sex", "A", "T1", "T3", "F", 13, 0.9528461538, 0.6223665219, 1.2833257858),
    ("sex", "A", "T1", "T3", "M", 10, 0.7822000000, 0.3490261017, 1.2153738983),
    ("sex", "A", "T2", "T3", "F", 14, 0.1059285714, -0.3053541160, 0.5172112589),
    ("sex", "A", "T2", "T3", "M", 7, 0.1622857143, -0.2210267618, 0.5455981904),
    ("sex", "B", "T1", "T2", "F", 18, -0.0559444444, -0.3743525107, 0.2624636218),
    ("sex", "B", "T1", "T2", "M", 10, 0.0995000000, -0.1594243410, 0.3584243410),
    ("sex", "B", "T1", "T3", "F", 13, -0.0047692308, -0.4371533530, 0.4276148915),
    ("sex", "B", "T1", "T3", "M", 10, 0.0811000000, -0.2773934209, 0.4395934209),
    ("sex", "B", "T2", "T3", "F", 14, 0.1276428571, -0.2482902544, 0.5035759687),
    ("sex", "B", "T2", "T3", "M", 7, 0.1835714286, -0.0551688968, 0.4223117539),
    ("exit_status", "A", "T1", "T2", "employed", 12, 0.7048333333, 0.3066013517, 1.1030653149),
    ("exit_status", "A", "T1", "T2", "moved", 5, 0.8842000000, 0.2919227587, 1.4764772413),
    ("exit_status", "A", "T1", "T2", "none", 4, 0.1765000000, -1.1717374709, 1.5247374709),
    ("exit_status", "A", "T1", "T2", "training", 7, 0.8464285714, 0.1968624381, 1.4959947047),
    ("exit_status", "A", "T1", "T3", "employed", 11, 1.0729090909, 0.6969751816, 1.4488430002),
    ("exit_status", "A", "T1", "T3", "moved", 3, 0.5103333333, 0.2497434590, 0.7709232077),
    ("exit_status", "A", "T1", "T3", "none", 4, 0.5527500000, 0.1811971223, 0.9243028777),
    ("exit_status", "A", "T1", "T3", "training", 5, 0.9330000000, -0.0437098226, 1.9097098226),
    ("exit_status", "A", "T2", "T3", "employed", 11, 0.2220909091, -0.1714293400, 0.6156111582),
    ("exit_status", "A", "T2", "T3", "moved", 3, -0.6580000000, -0.9032512056, -0.4127487944),
    ("exit_status", "A", "T2", "T3", "none", 2, 0.5090000000, -9.0714783711, 10.0894783711),
    ("exit_status", "A", "T2", "T3", "training", 5, 0.2264000000, -0.3165186304, 0.7693186304),
    ("exit_status", "B", "T1", "T2", "employed", 12, -0.0182500000, -0.3469921679, 0.3104921679),
    ("exit_status", "B", "T1", "T2", "moved", 5, -0.1652000000, -0.4088279559, 0.0784279559),
    ("exit_status", "B", "T1", "T2", "none", 4, 0.0285000000, -1.5739944428, 1.6309944428),
    ("exit_status", "B", "T1", "T2", "training", 7, 0.1312857143, -0.3888989035, 0.6514703320),
    ("exit_status", "B", "T1", "T3", "employed", 11, 0.1475454545, -0.3330391547, 0.6281300638),
    ("exit_status", "B", "T1", "T3", "moved", 3, -0.1826666667, -1.1393478453, 0.7740145119),
    ("exit_status", "B", "T1", "T3", "none", 4, -0.4477500000, -0.6724728336, -0.2230271664),
    ("exit_status", "B", "T1", "T3", "training", 5, 0.2930000000, -0.4482047691, 1.0342047691),
    ("exit_status", "B", "T2", "T3", "employed", 11, 0.2581818182, -0.1179400939, 0.6343037303),
    ("exit_status", "B", "T2", "T3", "moved", 3, 0.0156666667, -1.0693423910, 1.1006757244),
    ("exit_status", "B", "T2", "T3", "none", 2, 0.1520000000, -5.9978030923, 6.3018030923),
    ("exit_status", "B", "T2", "T3", "training", 5, -0.0238000000, -0.8108961853, 0.7632961853),
]


@pytest.mark.parametrize("by", ["sex", "exit_status"])
@pytest.mark.parametrize("min_n", [1, 5])
def test_subgroup_change_matches_r_and_suppresses(by, min_n):
    scores, candidates = make_tables()
    out = no_warnings(subgroup_change, scores, candidates, by=by, min_n=min_n)
    assert list(out.columns) == [
        "dimension", "from_wave", "to_wave", by, "n", "mean_from", "mean_to", "mean_diff", "sd_diff",
        "ci_low", "ci_high", "suppressed",
    ]
    expected = [r for r in R_SUBGROUP if r[0] == by]
    assert len(out) == len(expected)
    for (_, dim, a, b, group, n, mean, lo, hi), (_, row) in zip(expected, out.iterrows()):
        assert (row["dimension"], row["from_wave"], row["to_wave"], row[by]) == (dim, a, b, group)
        if n < min_n:
            assert row["suppressed"]
            assert pd.isna(row[["n", "mean_from", "mean_to", "mean_diff", "sd_diff", "ci_low", "ci_high"]]).all()
        else:
            assert not row["suppressed"]
            assert row["n"] == n
            assert row["mean_diff"] == pytest.approx(mean, abs=1e-8)
            assert row["ci_low"] == pytest.approx(lo, abs=1e-8)
            assert row["ci_high"] == pytest.approx(hi, abs=1e-8)


def test_subgroup_change_edge_cases():
    scores, candidates = make_tables()
    # A categorical level nobody has, a group with one completer, missing group.
    candidates["exit_status"] = pd.Categorical(
        candidates["exit_status"], categories=["employed", "training", "none", "moved", "deceased"]
    )
    candidates.loc[candidates["candidate"] == "c02", "exit_status"] = np.nan
    out = no_warnings(subgroup_change, scores, candidates, by="exit_status", min_n=1, pairs=[("T1", "T2")])
    a = out[out["dimension"] == "A"].set_index("exit_status")
    assert list(a.index) == ["employed", "training", "none", "moved", "deceased"]
    assert a.loc["deceased", "suppressed"] and np.isnan(a.loc["deceased", "n"])
    assert a.loc["employed", "n"] == 11  # c02 left out (missing exit status)
    # min_n = 1 keeps a single completer: mean shown, SD and CI undefined.
    candidates["solo"] = np.where(candidates["candidate"] == "c05", "x", "y")
    out = no_warnings(subgroup_change, scores, candidates, by="solo", min_n=1, pairs=[("T1", "T2")])
    x = out[(out["dimension"] == "A") & (out["solo"] == "x")].iloc[0]
    assert x["n"] == 1 and x["mean_diff"] == pytest.approx(4.157 - 2.914, abs=1e-12)
    assert np.isnan(x["sd_diff"]) and np.isnan(x["ci_low"])
    # Several columns, zero variance.
    out = no_warnings(subgroup_change, scores.assign(score=2.0), candidates, by=["sex", "exit_status"])
    assert {"sex", "exit_status"} <= set(out.columns)
    shown = out[~out["suppressed"]]
    assert (shown["mean_diff"] == 0).all() and shown["ci_low"].isna().all()


# ---------------------------------------------------------------------------
# pool_rubin and imputed_change
# ---------------------------------------------------------------------------

Q = [0.52, 0.61, 0.48, 0.57, 0.55]
U = [0.010, 0.012, 0.011, 0.009, 0.010]


def test_pool_rubin_matches_hand_and_mice():
    # Hand: qbar = 2.73 / 5 = 0.546; ubar = 0.052 / 5 = 0.0104;
    # B = (0.026^2 + 0.064^2 + 0.066^2 + 0.024^2 + 0.004^2) / 4 = 0.00243;
    # T = 0.0104 + 1.2 * 0.00243 = 0.013316; r = 1.2 * 0.00243 / 0.0104 = 0.28038461538
    # R: p <- mice::pool.scalar(Q, U, n = 40, k = 1)
    #    p$df -> 21.5236756254; p$fmi -> 0.2826794811
    #    p$qbar + c(-1, 1) * qt(.975, p$df) * sqrt(p$t) -> 0.3063780348 0.7856219652
    out = pool_rubin(Q, U, df_complete=39)
    assert out["estimate"] == pytest.approx(0.546, abs=1e-12)
    assert out["ubar"] == pytest.approx(0.0104, abs=1e-12)
    assert out["b"] == pytest.approx(0.00243, abs=1e-12)
    assert out["t"] == pytest.approx(0.013316, abs=1e-12)
    assert out["se"] == pytest.approx(np.sqrt(0.013316), abs=1e-12)
    assert out["riv"] == pytest.approx(0.2803846154, abs=1e-9)
    assert out["df"] == pytest.approx(21.5236756254, abs=1e-8)
    assert out["fmi"] == pytest.approx(0.2826794811, abs=1e-9)
    assert out["ci_low"] == pytest.approx(0.3063780348, abs=1e-9)
    assert out["ci_high"] == pytest.approx(0.7856219652, abs=1e-9)
    assert out["m"] == 5
    # R: p <- mice::pool.scalar(Q, U)  (n = Inf: Rubin's 1987 df)
    #    p$df -> 83.4127664219; p$fmi -> 0.2370610675; CI 0.3165008335 0.7754991665
    out = pool_rubin(Q, U)
    assert out["df"] == pytest.approx(83.4127664219, abs=1e-8)
    assert out["fmi"] == pytest.approx(0.2370610675, abs=1e-9)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((0.3165008335, 0.7754991665), abs=1e-9)


def test_fraction_of_missing_information_by_hand_on_two_imputations():
    # m = 2, Q = (1, 2), U = (0.5, 0.5), by hand in fractions:
    #   Qbar = 3/2, Ubar = 1/2, B = ((1 - 3/2)^2 + (2 - 3/2)^2) / 1 = 1/2,
    #   T = 1/2 + (1 + 1/2) 1/2 = 5/4, r = (3/2)(1/2) / (1/2) = 3/2,
    #   lambda = (3/2)(1/2) / (5/4) = 3/5, nu_old = (m - 1) / lambda^2 = 25/9.
    # Large sample (nu_com infinite): nu = 25/9,
    #   FMI = (r + 2/(nu + 3)) / (r + 1) = (3/2 + 18/52) / (5/2) = 48/65.
    # nu_com = 10 (Barnard-Rubin): nu_obs = (11/13) 10 (1 - 3/5) = 44/13,
    #   nu = (25/9)(44/13) / (25/9 + 44/13) = 1100/721,
    #   FMI = (3/2 + 2/(1100/721 + 3)) / (5/2) = 12673/16315.
    out = pool_rubin([1.0, 2.0], [0.5, 0.5])
    assert out["lambda"] == pytest.approx(3 / 5, abs=1e-12)
    assert out["df"] == pytest.approx(25 / 9, abs=1e-12)
    assert out["fmi"] == pytest.approx(48 / 65, abs=1e-12)
    out = pool_rubin([1.0, 2.0], [0.5, 0.5], df_complete=10)
    assert out["df"] == pytest.approx(1100 / 721, abs=1e-12)
    assert out["fmi"] == pytest.approx(12673 / 16315, abs=1e-12)
    # the FMI column of imputed_change is the pooled fmi (its contract says which one)
    from impactlib.report.contract import SCHEMAS
    assert "Barnard-Rubin" in SCHEMAS["imputed_change"].columns["fmi"].description


def test_pool_rubin_degenerate():
    out = no_warnings(pool_rubin, [1.0], [0.1])  # m = 1
    assert out["m"] == 1 and out[["estimate", "se", "df"]].isna().all()
    out = no_warnings(pool_rubin, [1.0, np.nan], [0.1, 0.1])
    assert out[["estimate", "se"]].isna().all()
    out = no_warnings(pool_rubin, [2.0, 2.0, 2.0], [0.0, 0.0, 0.0], df_complete=9)
    assert out["estimate"] == 2.0 and out["se"] == 0.0 and np.isnan(out["ci_low"])


def test_imputed_change_without_missing_data_is_the_complete_case_mean():
    # A, T1 -> T2, completers only: nothing to impute, B = 0.
    # R: x <- w[w$dimension == "A" & !is.na(w$T1) & !is.na(w$T2), ]; d <- x$T2 - x$T1
    #    mean(d) -> 0.6967857143; sd(d) / sqrt(28) -> 0.1247264346
    #    p <- mice::pool.scalar(rep(mean(d), 20), rep(var(d) / 28, 20), n = 28)
    #    p$df -> 25.1974796658; CI 0.4400088574 0.9535625712
    scores, _ = make_tables()
    wide = scores.pivot_table(index=["dimension", "candidate"], columns="wave", values="score", observed=True)
    keep = wide.loc["A"].dropna(subset=["T1", "T2"]).index
    sub = scores[(scores["dimension"] == "A") & scores["candidate"].isin(keep) & (scores["wave"] != "T3")]
    out = no_warnings(imputed_change, sub, waves=["T1", "T2"], m=20, seed=1)
    row = out.iloc[0]
    assert (row["n"], row["n_observed"], row["n_imputed"], row["m"], row["seed"]) == (28, 28, 0, 20, 1)
    assert row["estimate"] == pytest.approx(0.6967857143, abs=1e-9)
    assert row["se"] == pytest.approx(0.1247264346, abs=1e-9)
    assert row["df"] == pytest.approx(25.1974796658, abs=1e-6)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.4400088574, 0.9535625712), abs=1e-8)


def test_imputed_change_is_deterministic_for_a_seed():
    scores, candidates = make_tables()
    kwargs = dict(candidates=candidates, covariates=["sex", "age"], m=20)
    first = no_warnings(imputed_change, scores, seed=2024, **kwargs)
    again = imputed_change(scores, seed=2024, **kwargs)
    pd.testing.assert_frame_equal(first, again)
    rng_a = imputed_change(scores, seed=np.random.default_rng(7), **kwargs)
    rng_b = imputed_change(scores, seed=np.random.default_rng(7), **kwargs)
    pd.testing.assert_frame_equal(rng_a, rng_b)
    other = imputed_change(scores, seed=2025, **kwargs)
    assert not np.allclose(first["estimate"], other["estimate"])
    assert list(first.columns) == [
        "dimension", "from_wave", "to_wave", "n", "n_observed", "n_imputed", "estimate", "se",
        "ci_low", "ci_high", "df", "fmi", "m", "seed",
    ]
    # Sample = the 34 candidates with a T1 score (c16 and c24 have none).
    assert (first["n"] == 34).all()
    # Completers of the pair within that sample: for T2>T3, the 21 completers
    # of R_PAIRED minus c16 and c24 (no T1).
    assert list(first["n_observed"][:3]) == [28, 23, 19]
    # A seed of None is drawn, reported, and reproduces the run.
    free = imputed_change(scores, seed=None, **kwargs)
    pd.testing.assert_frame_equal(free, imputed_change(scores, seed=free.loc[0, "seed"], **kwargs))


def test_imputation_draws_are_those_of_the_one_matrix_loop():
    # _draws builds only the design rows it fits on and imputes (issue 14). Reference: the
    # loop it replaced, written here: per imputation, X = [1, earlier usable waves,
    # covariates] for all n rows, fitted on the rows observed at t, then X[missing] imputed
    # by _norm_draw, with the same random stream. Same numbers, same order, to the bit.
    from impactlib.frames import wave_order, wide_scores
    from impactlib.stats.dimension_change import (_covariate_design, imputation_draws,
                                                  _norm_draw, _seed_sequence)

    scores, candidates = make_tables()
    covariates, m, seed = ["sex", "age"], 6, 99
    waves, _, draws = imputation_draws(scores, candidates, covariates, "score", "wave",
                                        "candidate", "dimension", None, m, seed, 1e-5)
    ref_waves = wave_order(scores, "wave", None)
    wide = wide_scores(scores, "score", "wave", "candidate", "dimension", ref_waves)
    children = _seed_sequence(seed)[0].spawn(len(wide))
    got = list(draws)
    assert [d for d, _, _ in got] == list(wide)
    for (dim, w), child, (_, observed, completed) in zip(wide.items(), children, got):
        rng = np.random.default_rng(child)
        sample = w[w[ref_waves[0]].notna()]
        y = sample.to_numpy(dtype=float)
        n = y.shape[0]
        z = _covariate_design(candidates, covariates, "candidate", sample.index)
        expected = []
        for _ in range(m):
            yc = y.copy()
            usable = [0]
            for t in range(1, len(ref_waves)):
                obs, mis = ~np.isnan(y[:, t]), np.isnan(y[:, t])
                if mis.any():
                    x = np.column_stack([np.ones(n), yc[:, usable], z])
                    if obs.sum() >= x.shape[1] + 1:
                        yc[mis, t] = _norm_draw(x[obs], yc[obs, t], x[mis], rng, 1e-5)
                if not np.isnan(yc[:, t]).any():
                    usable.append(t)
            expected.append(yc)
        np.testing.assert_array_equal(observed, ~np.isnan(y))
        assert completed.shape == (m, n, len(ref_waves))
        assert completed.tobytes() == np.stack(expected).tobytes(), dim


def simulate(n, rng, mar=False):
    """Scores at T1, T2, T3 with known mean changes 0.5 (T1>T2), 0.8 (T1>T3)."""
    group = rng.choice(["a", "b"], size=n)
    t1 = rng.normal(3.0, 0.7, n)
    t2 = t1 + 0.5 + rng.normal(0, 0.4, n)
    t3 = t2 + 0.3 + rng.normal(0, 0.4, n)
    if mar:  # low baseline -> bigger gain and more drop-out
        gain = -0.6 * (t1 - 3.0)
        t2, t3 = t2 + gain, t3 + gain
        p_drop = 1 / (1 + np.exp(3.0 * (t1 - 2.8)))
    else:
        p_drop = np.full(n, 0.3)
    full = np.column_stack([t1, t2, t3])
    obs = full.copy()
    obs[rng.random(n) < p_drop, 1:] = np.nan  # drop out after T1
    obs[rng.random(n) < 0.1, 2] = np.nan  # lost at T3 only
    cands = [f"s{i:03d}" for i in range(n)]
    scores = pd.DataFrame({
        "candidate": np.repeat(cands, 3), "wave": np.tile(WAVES, n), "dimension": "D",
        "score": obs.ravel(),
    })
    scores["wave"] = pd.Categorical(scores["wave"], categories=WAVES, ordered=True)
    candidates = pd.DataFrame({"candidate": cands, "group": group})
    return scores, candidates, full


def test_imputed_change_recovers_truth_under_mcar():
    rng = np.random.default_rng(123)
    scores, candidates, full = simulate(600, rng)
    out = no_warnings(imputed_change, scores, candidates, covariates="group", m=20, seed=5)
    # Truth: the realised mean change of the full (unmasked) sample.
    truth = [np.mean(full[:, 1] - full[:, 0]), np.mean(full[:, 2] - full[:, 0]), np.mean(full[:, 2] - full[:, 1])]
    assert out["estimate"].to_numpy() == pytest.approx(truth, abs=0.05)
    assert (out["ci_low"] < truth).all() and (out["ci_high"] > truth).all()
    assert (out["n_imputed"] > 150).all() and (out["fmi"] > 0).all()


def test_imputed_change_corrects_mar_dropout():
    # Drop-out depends on the baseline score (missing at random): candidates
    # with a low baseline gain more and drop out more, so completers
    # underestimate the change; imputation from the T1 score recovers it.
    rng = np.random.default_rng(321)
    scores, candidates, full = simulate(800, rng, mar=True)
    truth = np.mean(full[:, 2] - full[:, 0])
    cc = completers_change(scores, pairs=[("T1", "T3")]).loc[0, "mean_diff"]
    mi = imputed_change(scores, pairs=[("T1", "T3")], m=20, seed=11).loc[0, "estimate"]
    # R-free check against the simulation's realised truth (0.814 here):
    # completers about 0.60, imputation about 0.78 (SE 0.035).
    assert truth - cc > 0.15  # the complete-case bias is real
    assert mi == pytest.approx(truth, abs=0.07)
    assert abs(mi - truth) < abs(cc - truth) / 3


def test_imputed_change_edge_cases():
    scores, candidates = make_tables(waves=["T1", "T2", "T3", "T4"])
    out = no_warnings(imputed_change, scores, m=5, seed=0, pairs=[("T1", "T2"), ("T1", "T4")])
    assert np.isfinite(out.loc[0, "estimate"]) and np.isnan(out.loc[1, "estimate"])  # empty T4
    one = scores[scores["candidate"] == "c02"]
    out = no_warnings(imputed_change, one, m=5, seed=0)
    assert (out["n"] == 1).all() and out["estimate"].isna().all()
    flat = scores.assign(score=3.0)
    out = no_warnings(imputed_change, flat, m=5, seed=0, waves=WAVES)
    # Zero change; not exactly 0 because of the mice-style ridge (1e-5).
    assert np.allclose(out["estimate"], 0, atol=1e-4) and np.allclose(out["se"], 0, atol=1e-4)
    with pytest.raises(ValueError, match="missing values"):
        imputed_change(scores, candidates.assign(age=np.nan), covariates=["age"], seed=0)
    with pytest.raises(ValueError, match="m must be"):
        imputed_change(scores, m=1, seed=0)
