"""The contract of the results tables: columns, dtypes and meaning, written once.

Every table of ``results/*.csv`` has a :class:`pandera.DataFrameSchema` in
:data:`SCHEMAS` (pandera is what checks the processed tables too, see
:mod:`impactlib.intake.schemas`). Each column says its dtype, whether it
may be missing, the checks its values pass and what it means; from that one
declaration come

* :func:`conform`: a table as computed by :mod:`impactlib.stats` (ordered
  Categorical waves, ``int64`` or ``float64`` counts, ``""`` for "no text")
  turned into the contract's dtypes, without changing what the CSV says;
* :func:`validate`: the check made before a table is written and after it is
  read (a violation is a bug: :class:`ContractError`);
* :func:`read_dtypes`: the dtypes :func:`pandas.read_csv` is given, so that a
  table read back has the dtypes it was built with;
* :func:`markdown`: ``docs/results-tables.md``.

Dtypes (pandas 3):

=============  ===============================================================
``str``        text and keys (waves, items, dimensions, groups): pandas'
               ``str`` dtype, missing = NaN. Wave keys stay text even when
               they look like numbers (``"1"``, ``"01"``). A CSV cannot tell
               ``""`` from a missing value: both are missing.
``bool``       True / False, never missing.
``int64``      counts that are always known.
``Int64``      whole numbers that may be missing (``<NA>``).
``float64``    every other number, NaN when undefined. Degrees of freedom
               are ``float64`` (missing when a test cannot be computed).
=============  ===============================================================

Floats are written with ``%.10g``: a table read back equals the table built
to about 10 significant digits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

__all__ = ["SCHEMAS", "OPTIONAL_TABLES", "ContractError", "conform", "validate", "read_dtypes",
           "dtype_of", "markdown"]

FLOAT_FORMAT = "%.10g"


class ContractError(ValueError):
    """A results table does not follow its contract (a bug in the code that built it)."""


# ---------------------------------------------------------------------------
# Column kinds
# ---------------------------------------------------------------------------

_DTYPES = {"str": "str", "bool": "bool", "int64": "int64", "Int64": "Int64", "float64": "float64"}


def _col(kind: str, description: str, *checks, nullable: bool = False,
         required: bool = True) -> pa.Column:
    return pa.Column(_DTYPES[kind], checks=list(checks), nullable=nullable, required=required,
                     description=description, title=kind)


def key(description: str) -> pa.Column:
    """Text that identifies a row (wave, item, dimension...): never missing."""
    return _col("str", description)


def text(description: str, *checks, nullable: bool = True) -> pa.Column:
    return _col("str", description, *checks, nullable=nullable)


def flag(description: str) -> pa.Column:
    return _col("bool", description)


def count(description: str, nullable: bool = False) -> pa.Column:
    return _col("Int64" if nullable else "int64", description, pa.Check.ge(0), nullable=nullable)


def number(description: str, *checks, nullable: bool = True) -> pa.Column:
    return _col("float64", description, *checks, nullable=nullable)


def p_value(description: str = "p-value (NaN when the test cannot be computed)") -> pa.Column:
    return number(description, pa.Check.in_range(0, 1))


def share(description: str) -> pa.Column:
    return number(description, pa.Check.in_range(0, 1))


def percent(description: str) -> pa.Column:
    return number(description, pa.Check.in_range(0, 100))


def _pair(first: str = "the earlier wave of the pair", second: str = "the later wave of the pair"):
    return {"from_wave": key(f"wave key: {first}"), "to_wave": key(f"wave key: {second}")}


def _ci(what: str) -> dict:
    return {"ci_low": number(f"lower bound of the 95% confidence interval of {what}"),
            "ci_high": number(f"upper bound of the 95% confidence interval of {what}")}


def _table(description: str, columns: dict, unique=None, strict=True) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, unique=unique, strict=strict, ordered=True,
                              description=description)


# ---------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------

_EFFECTS = ("0.2", "0.3", "0.5")

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "quality": _table(
        "One row per wave file: what happened to its rows and cells. The first seven columns are "
        "always there; the others are there when the cleaning step reports them, and a table "
        "may carry more columns (read as pandas infers them).",
        {
            "wave": key("wave key"),
            "file": key("the export file, relative to the study folder"),
            "rows_read": count("data rows read from the file"),
            "rows_kept": count("rows kept as questionnaires"),
            "rows_rejected": count("rows set aside with their reason (rejected_rows.csv, internal)"),
            "duplicates_dropped": count("exact duplicate rows dropped (rows_read = rows_kept + "
                                        "rows_rejected + duplicates_dropped)"),
            "cells_invalid": count("cells of kept rows that could not be read as an answer"),
            "rejected_empty_id": _col("int64", "rows rejected: no candidate id", pa.Check.ge(0),
                                      required=False),
            "rejected_no_answer": _col("int64", "rows rejected: no answer at all", pa.Check.ge(0),
                                       required=False),
            "rejected_conflict": _col("int64", "rows rejected: same candidate, different answers",
                                      pa.Check.ge(0), required=False),
            "items_found": _col("int64", "codebook items found among the file's columns",
                                pa.Check.ge(0), required=False),
            "items_absent": _col("int64", "codebook items absent from the file", pa.Check.ge(0),
                                 required=False),
            "blank_rows_skipped": _col("int64", "blank rows skipped before or inside the data",
                                       pa.Check.ge(0), required=False),
            "encoding": _col("str", "text encoding the file was read with (missing for workbooks)",
                             nullable=True, required=False),
            "delimiter": _col("str", "field delimiter the file was read with (`tab` for a tab; "
                              "missing for workbooks)", nullable=True, required=False),
            "sheet": _col("str", "workbook sheet read (missing for other files)", nullable=True,
                          required=False),
            "rejected_incomplete": _col("int64", "rows rejected: an incomplete response (only "
                                        "for a wave with `complete_column`)", pa.Check.ge(0),
                                        required=False),
            "rejected_unknown_wave": _col("int64", "rows rejected: their wave column names no "
                                          "wave (only for a wave with `wave_column`)",
                                          pa.Check.ge(0), required=False),
        }, unique=["wave", "file"], strict=False),
    "patterns": _table(
        "One row per response pattern observed.",
        {
            "pattern": key("the waves a candidate answered, keys joined by `+` in wave order "
                           "(`T1+T3`)"),
            "n_candidates": count("candidates with this pattern"),
        }, unique=["pattern"]),
    "funnel": _table(
        "One row per wave, in wave order (empty waves included).",
        {
            "wave": key("wave key"),
            "n_questionnaires": count("questionnaires kept at this wave"),
            "n_candidates": count("distinct candidates at this wave"),
            "retention_from_first": share("share (0-1) of the first wave's candidates who answered "
                                          "this wave; NaN when nobody answered the first wave"),
            "pct_of_first": number("100 x candidates at this wave / candidates at the first wave "
                                   "(may exceed 100: counts those who skipped the first wave)",
                                   pa.Check.ge(0)),
        }, unique=["wave"]),
    "timing": _table(
        "One row per ordered wave pair: days between the two questionnaires of a candidate.",
        {
            **_pair(),
            "n": count("candidates with a date at both waves"),
            "median_days": number("median of the days between the two dates"),
            "q1_days": number("first quartile (R quantile type 7)"),
            "q3_days": number("third quartile (R quantile type 7)"),
            "n_negative": count("intervals below zero (the later wave dated first: to check)"),
        }, unique=["from_wave", "to_wave"]),
    "attrition_rates": _table(
        "Only with a registry (entry date, exit date, exit status). One row per wave: was the "
        "questionnaire due, answered, missed?",
        {
            "wave": key("wave key"),
            "n_candidates": count("registered candidates"),
            "n_due": count("due: answered + missed"),
            "n_answered": count("due and answered (or answered before the due date)"),
            "n_missed": count("due and not answered"),
            "n_not_yet_due": count("not yet due on the date the data is taken to be known at"),
            "n_unknown": count("due date unknown"),
            "response_rate": share("n_answered / n_due (NaN when nothing is due)"),
            "attrition_rate": share("1 - response_rate"),
        }, unique=["wave"]),
    "attrition": _table(
        "Who drops out between consecutive waves: one row per variable (dimension score at the "
        "earlier wave, or covariate level), returners against dropouts.",
        {
            **_pair("the earlier wave", "the next wave"),
            "n_from": count("candidates who answered from_wave"),
            "n_back": count("of them, candidates who answered to_wave"),
            "variable": key("dimension or covariate compared"),
            "kind": key("`dimension` or `covariate`"),
            "level": text("covariate level (missing for a dimension)"),
            "n_returned": count("returners with a known value"),
            "n_dropped": count("dropouts with a known value"),
            "mean_returned": number("mean score of the returners, or share having the level"),
            "mean_dropped": number("mean score of the dropouts, or share having the level"),
            "smd": number("standardized mean difference, returners minus dropouts"),
            "test": key("`welch t` (scores) or `chi-square` (covariate levels)"),
            "statistic": number("t or chi-square statistic"),
            "p_value": p_value(),
            "suppressed": flag("a group under 5: means, SMD and test hidden (NaN)"),
        }),
    "dropout_model": _table(
        "Logistic regression of coming back at the next wave on the earlier wave's scores: one "
        "row per term and consecutive wave pair.",
        {
            **_pair("the earlier wave", "the next wave"),
            "term": key("`Intercept` or a dimension"),
            "estimate": number("log-odds coefficient"),
            "std_error": number("standard error of the coefficient"),
            "z": number("Wald z"),
            "p_value": p_value(),
            "odds_ratio": number("exp(estimate)", pa.Check.ge(0)),
            **_ci("the odds ratio"),
            "n": count("candidates with every score (complete cases)"),
            "n_returned": count("of them, candidates who came back"),
            "note": text("why the model could not be fitted (missing when it was)"),
        }, unique=["from_wave", "to_wave", "term"]),
    "mcar": _table(
        "Little's test, two rows, each labelled with the question it answers: "
        "item_nonresponse (are the blanks inside the first questionnaire related to the "
        "answers? candidates x items of the first wave) and wave_dropout (is having a score at "
        "a wave related to the scores observed? candidates x (wave, dimension) scores). "
        "Neither shows that data are missing at random.",
        {
            "chi2": number("Little's d-squared statistic", pa.Check.ge(0)),
            "df": number("degrees of freedom (whole number; NaN when the test cannot be computed)",
                         pa.Check.ge(0)),
            "p_value": p_value(),
            "n_patterns": count("missing-data patterns"),
            "n": count("candidates with at least one answer"),
            "n_items": count("items with at least one answer"),
            "em_iterations": count("EM iterations"),
            "em_converged": flag("EM converged"),
            "note": text("why the test could not be computed, or a warning"),
            "wave": key("wave key of the first wave"),
            "question": text("`item_nonresponse` or `wave_dropout`: which question the row answers",
                             pa.Check.isin(["item_nonresponse", "wave_dropout"]), nullable=False),
        }, unique=["question"]),
    "item_change": _table(
        "One row per item and ordered wave pair: change of the answers of the candidates who "
        "answered the item at both waves (answers recoded: higher is better).",
        {
            "item": key("item code"),
            "dimension": text("the item's dimension"),
            **_pair(),
            "n_pairs": count("candidates with an answer at both waves"),
            "mean_from": number("mean answer at from_wave"),
            "mean_to": number("mean answer at to_wave"),
            "mean_diff": number("mean of to - from"),
            "sd_diff": number("standard deviation of to - from", pa.Check.ge(0)),
            "n_improved": count("pairs with to > from"),
            "n_stable": count("pairs with to = from"),
            "n_worsened": count("pairs with to < from"),
            "pct_improved": percent("100 n_improved / n_pairs"),
            "pct_stable": percent("100 n_stable / n_pairs"),
            "pct_worsened": percent("100 n_worsened / n_pairs"),
            "n_nonzero": count("pairs with to != from (those the Wilcoxon test ranks)"),
            "statistic": number("Wilcoxon V: sum of the ranks of the positive differences (R)",
                                pa.Check.ge(0)),
            "p_value": p_value("Wilcoxon signed-rank p-value, normal approximation with tie and "
                               "continuity corrections (R exact = FALSE)"),
            "p_adjusted": p_value("Benjamini-Hochberg adjusted p-value over the items of the pair"),
            "effect_size": number("matched-pairs rank-biserial correlation (positive: improved)",
                                  pa.Check.in_range(-1, 1)),
            **_ci("the mean paired difference (t interval)"),
        }, unique=["item", "from_wave", "to_wave"]),
    "item_ordinal": _table(
        "Ordinal mixed model per item (cumulative logit with a random intercept per candidate, "
        "as R ordinal::clmm, adaptive Gauss-Hermite quadrature) on every answer of every wave: "
        "one row per item and ordered wave pair, every pair from one fit per item (answers "
        "recoded: higher is better). An item that cannot be fitted or whose fit fails keeps "
        "its rows, with missing numbers and converged False.",
        {
            "item": key("item code"),
            "dimension": text("the item's dimension"),
            **_pair(),
            "estimate": number("log-odds of a higher answer at to_wave than at from_wave for "
                               "the same candidate, beta_to - beta_from (positive: answers "
                               "improved)"),
            "se": number("standard error (inverse Hessian of the log-likelihood)",
                         pa.Check.ge(0)),
            **_ci("the log-odds (Wald)"),
            "p_value": p_value("Wald z test of no change"),
            "prob_higher": share("probability that a typical candidate (random intercept 0) "
                                 "answers higher at to_wave than at from_wave, for two "
                                 "independent answers from the fitted model, ties counted "
                                 "half: P(to > from) + P(to = from) / 2 (0.5: no change)"),
            "prob_low": share("lower end of the interval of prob_higher: prob_higher at "
                              "ci_low in place of the estimate, the item's fitted thresholds "
                              "held fixed (the map is increasing, so the interval has the "
                              "log-odds interval's coverage and excludes 0.5 exactly when it "
                              "excludes 0; the thresholds' own uncertainty is ignored)"),
            "prob_high": share("upper end of the interval of prob_higher: prob_higher at "
                               "ci_high, as prob_low"),
            "n_candidates": count("candidates with at least one answer to the item"),
            "n_obs": count("answers used, all waves (don't-know and blank answers left out)"),
            "var_candidate": number("variance of the candidates' random intercepts, logit "
                                    "scale (0: estimated on the boundary)", pa.Check.ge(0)),
            "n_agq": count("nodes of the adaptive Gauss-Hermite quadrature"),
            "converged": flag("the maximum-likelihood fit reached a finite optimum (otherwise "
                              "the numbers are missing)"),
            "note": text("answer values nobody gave (left out of the model), a wave without "
                         "answers, a candidate variance at 0, or why there is no estimate"),
        }, unique=["item", "from_wave", "to_wave"]),
    "item_distribution": _table(
        "Answers per label, for the candidates who filled in the questionnaire at both waves of "
        "a pair: one row per item, wave pair, wave of the pair and label.",
        {
            "item": key("item code"),
            "dimension": text("the item's dimension"),
            **_pair(),
            "wave": key("the wave counted: from_wave or to_wave"),
            "label": key("answer label, missing-value labels (`Ne sait pas`) included; "
                         "`(missing)`, `(invalid)` for blank or unreadable answers"),
            "status": text("`answered`, `dont_know`, `missing` or `invalid` (missing for a "
                           "scale label nobody gave)",
                           pa.Check.isin(["answered", "dont_know", "missing", "invalid"])),
            "answered": flag("the label is an answer on the scale (has a value)"),
            "n": count("candidates giving this label"),
            "pct": percent("100 n / n_candidates"),
            "pct_answered": percent("100 n / n_answered, answered labels only (NaN otherwise)"),
            "n_candidates": count("candidates of the pair (the same at both waves)"),
            "n_answered": count("of them, candidates who answered on the scale at this wave"),
        }, unique=["item", "from_wave", "to_wave", "wave", "label"]),
    "item_shares": _table(
        "The item_distribution counts as drawn in the diverging bars "
        "(impactlib.stats.item_change.distribution_shares): one row per item, wave pair, wave "
        "and segment: each answer level from the least to the most favourable (reverse items "
        "turned round), then the don't-know and the missing answers.",
        {
            "item": key("item code"),
            "dimension": text("the item's dimension"),
            **_pair(),
            "wave": key("the wave counted: from_wave or to_wave"),
            "kind": text("the segment: an answer level, or the side segments",
                         pa.Check.isin(["answer", "dont_know", "missing"]), nullable=False),
            "label": text("answer label (missing for the dont_know and missing segments, which "
                          "gather labels)"),
            "level": count("position of the answer, 0 = least favourable (missing for the side "
                           "segments)", nullable=True),
            "n_levels": count("answer levels of the item's scale"),
            "neutral": flag("the middle level of an odd scale (centred on zero)"),
            "reverse": flag("the item is reverse-keyed (its levels run against the scale values)"),
            "n": count("candidates in the segment"),
            "n_base": count("denominator of pct: the answers given (answer segments) or every "
                            "candidate of the pair (side segments)"),
            "pct": percent("100 n / n_base (0 when n_base is 0)"),
            "start": number("left edge of the segment, in percent: answer levels below the "
                            "middle left of zero, the neutral level centred on zero; side "
                            "segments stacked from zero", nullable=False),
            "end": number("right edge of the segment: start + pct", nullable=False),
            "n_candidates": count("candidates of the pair at this wave"),
        }, unique=["item", "from_wave", "to_wave", "wave", "kind", "label"]),
    "item_transitions": _table(
        "From-answer x to-answer counts per item and wave pair (the pairs of item_change; every "
        "cell of the square table, zeros included).",
        {
            "item": key("item code"),
            "dimension": text("the item's dimension"),
            **_pair(),
            "value_from": count("recoded answer at from_wave"),
            "value_to": count("recoded answer at to_wave"),
            "n": count("candidates moving from value_from to value_to"),
            "pct": percent("100 n / n_pairs"),
            "n_pairs": count("candidates with an answer at both waves"),
            "direction": key("`improved`, `stable` or `worsened`"),
        }, unique=["item", "from_wave", "to_wave", "value_from", "value_to"]),
    "reliability": _table(
        "One row per dimension and wave: internal consistency of the dimension's items.",
        {
            "dimension": key("dimension"),
            "wave": key("wave key"),
            "n": count("candidates who answered every item of the dimension (listwise)"),
            "n_items": count("items of the dimension"),
            "alpha": number("Cronbach's alpha (NaN when undefined)", pa.Check.le(1)),
            "ci_low": number("lower bound of the Feldt 95% interval of alpha"),
            "ci_high": number("upper bound of the Feldt 95% interval of alpha", pa.Check.le(1)),
            "omega": number("McDonald's omega total (one-factor minres, as psych::omega)"),
            "heywood": flag("the one-factor solution is a Heywood case (omega not to be trusted)"),
        }, unique=["dimension", "wave"]),
    "rci": _table(
        "Jacobson-Truax reliable change per dimension and ordered wave pair (classification: "
        "impactlib.stats.reliability.change_class).",
        {
            "dimension": key("dimension"),
            **_pair(),
            "n": count("candidates scored at both waves"),
            "pct_reliable_improvement": percent("100 x share of the n with RCI > 1.96"),
            "pct_no_reliable_change": percent("100 x share of the n with |RCI| <= 1.96"),
            "pct_reliable_deterioration": percent("100 x share of the n with RCI < -1.96"),
            "se_diff": number("standard error of the difference: sd_from sqrt(2 (1 - alpha_from))",
                              pa.Check.ge(0)),
            "sd_from": number("standard deviation of the scores at from_wave (every candidate "
                              "scored then)", pa.Check.ge(0)),
            "alpha_from": number("Cronbach's alpha at from_wave", pa.Check.le(1)),
        }, unique=["dimension", "from_wave", "to_wave"]),
    "dimension_model": _table(
        "Linear mixed model score ~ wave + (1 | candidate) per dimension (REML), on every "
        "available score: one row per dimension and ordered wave pair, every pair from one fit "
        "per dimension (the pairs with the first wave first, then the others: T1>T2, T1>T3, "
        "T2>T3).",
        {
            "dimension": key("dimension"),
            "term": key("`<to_wave> vs <from_wave>`"),
            **_pair(),
            "estimate": number("mean change from from_wave to to_wave (difference of the wave "
                               "effects)"),
            "se": number("standard error of the estimate", pa.Check.ge(0)),
            **_ci("the change (Wald)"),
            "p_value": p_value("Wald z test of no change (NaN when the test cannot be computed)"),
            "df_satterthwaite": number("Satterthwaite degrees of freedom of the change, as "
                                       "lmerTest (n - p on the boundary, candidate variance 0)",
                                       pa.Check.gt(0)),
            "p_satterthwaite": p_value("t test of no change with the Satterthwaite degrees of "
                                       "freedom, as lmerTest (the p-value to quote)"),
            "n_candidates": count("candidates with at least one score"),
            "n_observations": count("scores used"),
            "var_candidate": number("variance between candidates", pa.Check.ge(0)),
            "var_residual": number("residual variance", pa.Check.ge(0)),
            "converged": flag("the REML optimum was found"),
            "fit_warnings": text("what went wrong or is worth knowing about the fit"),
        }, unique=["dimension", "from_wave", "to_wave"]),
    "completers_change": _table(
        "Paired comparison on the candidates scored at both waves (completers): one row per "
        "dimension and ordered wave pair.",
        {
            "dimension": key("dimension"),
            **_pair(),
            "n": count("completers"),
            "mean_from": number("mean score at from_wave"),
            "mean_to": number("mean score at to_wave"),
            "mean_diff": number("mean of to - from"),
            "sd_diff": number("standard deviation of to - from", pa.Check.ge(0)),
            **_ci("the mean difference (t interval)"),
            "t": number("paired t statistic"),
            "df": number("degrees of freedom, n - 1 (NaN when n < 2)", pa.Check.ge(0)),
            "p_value": p_value(),
            "d_z": number("standardized change: mean_diff / sd_diff"),
        }, unique=["dimension", "from_wave", "to_wave"]),
    "imputed_change": _table(
        "Multiple-imputation estimate of the change (sensitivity to who stayed): one row per "
        "dimension and ordered wave pair.",
        {
            "dimension": key("dimension"),
            **_pair(),
            "n": count("candidates with a baseline score (the analysed sample)"),
            "n_observed": count("of them, scored at both waves"),
            "n_imputed": count("of them, with a score imputed"),
            "estimate": number("pooled mean change (Rubin's rules)"),
            "se": number("pooled standard error", pa.Check.ge(0)),
            **_ci("the pooled change"),
            "df": number("Barnard-Rubin degrees of freedom", pa.Check.ge(0)),
            "fmi": number("fraction of missing information, (r + 2/(df + 3)) / (r + 1) with r the "
                          "relative increase in variance and df the Barnard-Rubin degrees of "
                          "freedom (as R mice::pool.scalar); above 0.5 the estimate mostly "
                          "reflects the imputation model (missing at random given the earlier "
                          "answers and covariates: an assumption)", pa.Check.in_range(0, 1)),
            "m": count("imputed data sets"),
            "seed": count("seed of the random draws"),
        }, unique=["dimension", "from_wave", "to_wave"]),
    "change_sensitivity": _table(
        "Sensitivity of the change from the first wave to the last to scores missing not at "
        "random (delta adjustment, pattern mixture): one row per dimension and shift `delta`. "
        "The later-wave scores imputed by `imputed_change` (the same draws: same seed and "
        "number of imputations) are shifted by `delta` scale points (negative: those without a "
        "score did worse than missing at random assumes), then pooled again with Rubin's "
        "rules. The tipping point is repeated on the rows of its dimension.",
        {
            "dimension": key("dimension"),
            **_pair("the first wave", "the last wave"),
            "delta": number("shift added to every imputed to_wave score, in scale points (0: "
                            "the imputed_change estimate)", nullable=False),
            "estimate": number("pooled mean change after the shift: the estimate at delta 0 + "
                               "delta x n_imputed / n_candidates"),
            "se": number("pooled standard error (grows with the size of delta: only the imputed are "
                         "shifted)", pa.Check.ge(0)),
            **_ci("the pooled change (Barnard-Rubin t)"),
            "p_value": p_value("pooled t test of no change (NaN when it cannot be computed)"),
            "df": number("Barnard-Rubin degrees of freedom", pa.Check.ge(0)),
            "n_candidates": count("candidates with a first-wave score (the analysed sample)"),
            "n_imputed": count("of them, without a to_wave score: their imputed score is shifted"),
            "m": count("imputed data sets"),
            "tipping_delta": number("the smallest shift at which the 95% interval reaches 0 "
                                    "(negative for an improvement, positive for a decline); NaN "
                                    "unless tipping is `found`"),
            "tipping": text("`found`; `not_needed` (the interval holds 0 at delta 0: no change "
                            "shown, nothing to overturn); `beyond_range` (the conclusion holds "
                            "for every shift up to the span of the observed scores); "
                            "`none_imputed` (no score imputed: delta changes nothing); "
                            "`undefined` (no interval at delta 0)",
                            pa.Check.isin(["found", "not_needed", "beyond_range", "none_imputed",
                                           "undefined"]), nullable=False),
        }, unique=["dimension", "from_wave", "to_wave", "delta"]),
    "subgroups": _table(
        "Change per covariate group and exit status (completers of each pair); groups under 5 "
        "suppressed. Empty, with these columns, when the study has no covariate and no "
        "registry.",
        {
            "dimension": key("dimension"),
            **_pair(),
            "group": key("the group: a value of the covariate"),
            "n": count("completers in the group (missing when suppressed)", nullable=True),
            "mean_from": number("mean score at from_wave"),
            "mean_to": number("mean score at to_wave"),
            "mean_diff": number("mean of to - from"),
            "sd_diff": number("standard deviation of to - from", pa.Check.ge(0)),
            **_ci("the mean difference (t interval)"),
            "suppressed": flag("fewer than 5 completers: every number hidden (NaN)"),
            "variable": key("the covariate (or `exit_status`)"),
        }, unique=["variable", "group", "dimension", "from_wave", "to_wave"]),
    "power": _table(
        "Smallest detectable effect and sample needed, per ordered wave pair (paired t test, "
        "two-sided 5%, power 80%, as R power.t.test).",
        {
            **_pair(),
            "n_pairs": count("candidates who answered both waves", nullable=True),
            "n_first_wave": count("candidates who answered the first wave", nullable=True),
            "retention": share("pairs per entrant: share of the first wave's candidates who "
                               "answered both waves"),
            "mdes": number("minimum detectable standardized effect d_z with n_pairs (NaN under 2)",
                           pa.Check.ge(0)),
            **{f"n_for_d_{d}": count(f"pairs needed to detect d_z = {d}", nullable=True)
               for d in _EFFECTS},
            **{f"entrants_for_d_{d}": count(f"entrants needed for n_for_d_{d} pairs at the observed "
                                            "retention", nullable=True) for d in _EFFECTS},
        }, unique=["from_wave", "to_wave"]),
    "collection_cohorts": _table(
        "Only with a registry. Response rate per wave by cohort of entry (month, quarter, "
        "half-year or year, chosen so that a cohort has about 20 entrants; a cohort under 5 "
        "entrants is merged with the next one).",
        {
            "cohort_start": key("first day of the cohort (YYYY-MM-DD)"),
            "cohort_end": key("last day of the cohort (YYYY-MM-DD)"),
            "period": key("`month`, `quarter`, `half-year` or `year`"),
            "wave": key("wave key"),
            "n_entrants": count("candidates who entered in the cohort"),
            "n_due": count("questionnaires of this wave due: answered + missed"),
            "n_answered": count("due and answered"),
            "n_not_yet_due": count("not yet due on the date the data is taken to be known at"),
            "response_rate": share("n_answered / n_due (NaN when suppressed)"),
            "ci_low": share("lower bound of the 95% Wilson score interval of the response rate "
                            "(as R prop.test(correct = FALSE))"),
            "ci_high": share("upper bound of that interval"),
            "suppressed": flag("fewer than 5 due: rate and interval hidden (NaN)"),
        }, unique=["cohort_start", "wave"]),
    "collection_followup": _table(
        "Only with a registry. Questionnaires to chase on the date the data is taken to be "
        "known at, as `impactlib due` counts them: per wave for every candidate, then per "
        "value of `followup_by` (study.yml). Aggregates only.",
        {
            "variable": text("the covariate (`followup_by`); missing for every candidate"),
            "group": text("its value; missing for every candidate"),
            "wave": key("wave key"),
            "overdue": count("due, not answered, candidate still in the programme or left at "
                             "most `followup_grace_days` ago (NA when 1 to 4: hidden)",
                             nullable=True),
            "due_soon": count("due within the next 14 days (NA when 1 to 4: hidden)",
                              nullable=True),
            "missed": count("due, not answered, candidate left longer ago (NA when 1 to 4: "
                            "hidden)", nullable=True),
            "suppressed": flag("a count from 1 to 4 is hidden on this row"),
        }),
    "collection_changes": _table(
        "Only with a registry and `changes` in study.yml. Response rate before and after each "
        "change to how questionnaires are collected, per wave and for all waves together; a "
        "questionnaire counts where its due date falls (between the neighbouring changes).",
        {
            "change_date": key("the day of the change (YYYY-MM-DD)"),
            "label": key("what changed (from study.yml)"),
            "wave": key("wave key, or every wave key joined by `+` for all waves together"),
            "n_before": count("due questionnaires before the change"),
            "answered_before": count("of them, answered"),
            "rate_before": share("answered_before / n_before (NaN when suppressed)"),
            "ci_low_before": share("lower bound of its 95% Wilson interval"),
            "ci_high_before": share("upper bound of its 95% Wilson interval"),
            "n_after": count("due questionnaires after the change"),
            "answered_after": count("of them, answered"),
            "rate_after": share("answered_after / n_after (NaN when suppressed)"),
            "ci_low_after": share("lower bound of its 95% Wilson interval"),
            "ci_high_after": share("upper bound of its 95% Wilson interval"),
            "difference": number("rate_after - rate_before", pa.Check.in_range(-1, 1)),
            "diff_low": number("lower bound of the 95% Newcombe (hybrid score) interval"),
            "diff_high": number("upper bound of the 95% Newcombe (hybrid score) interval"),
            "suppressed": flag("a side under 5 due questionnaires: rates, difference and model "
                               "hidden (NaN)"),
            "odds_ratio": number("adjusted odds ratio of answering, after vs before (logistic "
                                 "model, standard errors clustered by candidate)",
                                 pa.Check.ge(0)),
            "or_low": number("lower bound of its 95% interval"),
            "or_high": number("upper bound of its 95% interval"),
            "p_value": p_value(),
            "model_n": count("questionnaires in the model (0: not fitted)"),
            "model_terms": text("terms of the model (`after + wave + Antenne`); missing when "
                                "there were too few answered or missed questionnaires (under "
                                "10 per term)"),
        }, unique=["change_date", "wave"]),
    "collection_projection": _table(
        "Only with a registry. One row: at the current pace of entries and the current share "
        "of entrants who complete the first and last wave, when the study reaches the pairs "
        "needed to detect d = 0.3 (n_for_d_0.3 of `power`).",
        {
            **_pair("the first wave", "the last wave"),
            "n_needed": count("complete pairs needed", nullable=True),
            "n_pairs": count("complete pairs now"),
            "n_last_due": count("candidates whose last wave was due (answered or missed), "
                                "since p_since if given"),
            "p_since": text("the last change to how questionnaires are collected (YYYY-MM-DD): "
                            "p_pair is measured on the last waves due since then, the current "
                            "way of collecting; missing: on every last wave due"),
            "p_pair": share("share of them who completed the pair"),
            "p_pair_low": share("lower bound of its 95% Wilson interval"),
            "p_pair_high": share("upper bound of its 95% Wilson interval"),
            "n_pending": count("candidates still in the programme (last wave not yet due)"),
            "entrants_per_month": number("entrants per month over the last year (or since the "
                                         "first entry)", pa.Check.ge(0)),
            "window_days": count("days over which the pace was measured"),
            "months_in_programme": number("median months from entry to the last wave's due "
                                          "date", pa.Check.ge(0)),
            "expected_date": text("when the pairs needed are expected (YYYY-MM-DD); missing "
                                  "unless `verdict` is `expected`"),
            "expected_early": text("the same with p_pair at its upper limit"),
            "expected_late": text("the same with p_pair at its lower limit (missing: beyond 20 "
                                  "years)"),
            "verdict": key("`reached`, `expected` or `never` (never at this pace: no entrant "
                           "lately, no pair completed, or beyond 20 years)"),
        }),
    "outcomes": _table(
        "The funder's number: the share of the candidates who left that are in employment "
        "`months` (study.yml `funder_target`, default 6) after their exit, overall (`all`, "
        "first row) and per exit cohort (quarter, half-year or year, chosen from the number "
        "of exits), among the candidates whose six-month point (exit date + months) is on or "
        "before the date the data is taken to be known at. The status at that point comes "
        "from the registry's `employment_6m`, else its `job_start_date`, else (only when the "
        "registry has neither column) from the exit status, which is the status at exit, not "
        "six months later (impactlib.stats.outcomes.six_month_status).",
        {
            "cohort": key("`all` (every candidate who left), or the first day of the exit "
                          "cohort (YYYY-MM-DD)"),
            "n_exited": count("candidates who left, their six-month point passed"),
            "n_known": count("of them, with a known employment status at the six-month point"),
            "n_employed": count("of them, in employment"),
            "share": share("n_employed / n_known (NaN when suppressed)"),
            **_ci("the share (Wilson score, as R prop.test(correct = FALSE))"),
            "share_if_unknown_employed": share("upper bound: (n_employed + n_unknown) / "
                                               "n_exited, as if every unknown were employed"),
            "share_if_unknown_not_employed": share("lower bound: n_employed / n_exited, as if "
                                                   "no unknown were employed"),
            "target": share("the funder's target share (study.yml `funder_target: share`; NaN "
                            "when none is given)"),
            "cohort_end": text("last day of the exit cohort (YYYY-MM-DD); missing for `all`"),
            "period": key("`all`, `quarter`, `half-year` or `year`"),
            "months": count("months after exit at which employment is judged"),
            "n_unknown": count("n_exited - n_known"),
            "n_pending": count("candidates who left whose six-month point has not come yet "
                               "(not counted in n_exited)"),
            "n_from_employment_6m": count("known statuses read from the registry's "
                                          "`employment_6m`"),
            "n_from_job_start_date": count("known statuses derived from `job_start_date` (and "
                                           "`outcome_date`)"),
            "n_from_exit_status": count("known statuses taken from the exit status: the status "
                                        "at exit, not six months later"),
            "source": text("the sources of the known statuses, joined by `+` (`employment_6m`, "
                           "`job_start_date`, `exit_status`); missing when none is known"),
            "n_unreadable": count("of n_exited, candidates with an outcome cell of the registry "
                                  "that could not be read (made missing; invalid_cells.csv, "
                                  "internal)"),
            "suppressed": flag("fewer than 5 known statuses: shares and interval hidden (NaN)"),
        }, unique=["cohort"]),
    "exit_status": _table(
        "Registered candidates per exit category: the exit statuses grouped by study.yml "
        "`outcomes` (default emploi, formation, abandon, en cours; compared ignoring case and "
        "spaces). `ongoing`: still in the programme (an ongoing status, or neither a status "
        "nor an exit date, or an exit date after the date the data is taken to be known at); "
        "`other`: a status in no list; `unknown`: left with no status. A count from 1 to 4 "
        "is hidden.",
        {
            "category": key("`employment`, `training`, `other`, `dropout`, `ongoing` or "
                            "`unknown`"),
            "n": count("candidates in the category (NA when 1 to 4: hidden)", nullable=True),
            "share": share("n / n_candidates"),
            "share_of_exited": share("n / n_exited (NaN for `ongoing`)"),
            "n_candidates": count("candidates in the registry"),
            "n_exited": count("of them, not `ongoing`"),
            "suppressed": flag("the count is from 1 to 4: hidden"),
        }, unique=["category"]),
    "soft_hard": _table(
        "The change measured against employment: per dimension, the change from the first "
        "wave to each candidate's last questionnaire, compared between the candidates in "
        "employment at the six-month point and the others (those of `outcomes` with a known "
        "status). An association, not an effect.",
        {
            "dimension": key("dimension"),
            "n_employed": count("candidates in employment with a change in this dimension"),
            "n_not_employed": count("candidates not in employment with a change"),
            "mean_baseline_employed": number("mean first-wave score of the employed"),
            "mean_baseline_not_employed": number("mean first-wave score of the others"),
            "mean_change_employed": number("mean change (last - first) of the employed"),
            "mean_change_not_employed": number("mean change of the others"),
            "difference": number("mean_change_employed - mean_change_not_employed"),
            **_ci("the difference (Welch, as R t.test(x, y))"),
            "t": number("Welch t statistic"),
            "df": number("Welch-Satterthwaite degrees of freedom", pa.Check.ge(0)),
            "p_value": p_value(),
            "suppressed": flag("a group under 5: means and test hidden (NaN)"),
        }, unique=["dimension"]),
    "employment_model": _table(
        "Logistic model of employment at the six-month point on the change in the job-search "
        "dimension (study.yml `outcomes: job_search_dimension`, else the dimension whose name "
        "holds `emploi` or `job`), adjusted for its first-wave score and the covariates: one "
        "row per term, as R glm(employed ~ change + baseline + ..., binomial) with "
        "exp(confint.default()). Fitted only with at least 10 employed and 10 not employed "
        "per parameter (covariates left out first, from the last listed); otherwise one row "
        "(`change`) whose `note` says why. An association, not an effect.",
        {
            "dimension": text("the job-search dimension (missing when there is none)"),
            "term": key("`Intercept`, `change` (per scale point of change), `baseline`, or a "
                        "covariate level `covariate[level]` against the first level"),
            "estimate": number("log-odds coefficient"),
            "std_error": number("standard error of the coefficient", pa.Check.ge(0)),
            "z": number("Wald z"),
            "p_value": p_value(),
            "odds_ratio": number("exp(estimate)", pa.Check.ge(0)),
            **_ci("the odds ratio (Wald)"),
            "n": count("candidates in the model (complete cases)"),
            "n_employed": count("of them, in employment"),
            "model_terms": text("terms of the model (`change + baseline + Genre`); missing "
                                "when not fitted"),
            "note": text("why the model was not fitted, or the covariates left out for lack "
                         "of candidates; missing otherwise"),
        }, unique=["term"]),
    "policy_change": _table(
        "Only with a policy change in study.yml `changes` (a `kind` other than `collection`, "
        "such as `selection`). The candidates who entered before and after each such change "
        "(between the neighbouring policy changes), one row per measure: `entrants` "
        "(`per_month`), `baseline_share` (a covariate level: share among those with a known "
        "value, Newcombe difference, SMD), `baseline_score` (first-wave mean per dimension, "
        "Welch difference, SMD), `coaching_days` (`median` days from entry to exit among "
        "those who left; no interval), `in_programme` (`share` still in the programme), "
        "`employment_6m` (`known_share`: share with a known status among those whose "
        "six-month point passed; `share`: share employed among the known, Newcombe "
        "difference), `change` (mean change from the first wave to the last questionnaire "
        "per dimension, Welch difference of the changes). A before/after comparison mixes "
        "the policy with everything else that changed at the same time.",
        {
            "change_date": key("the day of the change (YYYY-MM-DD)"),
            "label": key("what changed (from study.yml)"),
            "kind": key("the kind of change (`selection`, `programme`)"),
            "measure": key("`entrants`, `baseline_share`, `baseline_score`, `coaching_days`, "
                           "`in_programme`, `employment_6m` or `change`"),
            "variable": key("`per_month`, a covariate, a dimension, `median`, `share` or "
                            "`known_share`"),
            "level": text("the covariate level (missing for other measures)"),
            "before": number("value among the candidates who entered before (share, mean, "
                             "median or rate; NaN when suppressed)"),
            "after": number("value among those who entered after"),
            "difference": number("after - before"),
            **_ci("the difference (Newcombe for shares, Welch for means; NaN for medians and "
                  "rates)"),
            "n_before": count("candidates behind `before` (with a known value)"),
            "n_after": count("candidates behind `after`"),
            "before_low": number("lower bound of the 95% interval of `before` (Wilson for "
                                 "shares, t for means)"),
            "before_high": number("upper bound of the 95% interval of `before`"),
            "after_low": number("lower bound of the 95% interval of `after`"),
            "after_high": number("upper bound of the 95% interval of `after`"),
            "smd": number("standardized difference, after - before (baseline rows only)"),
            "suppressed": flag("a side under 5 candidates: every number of the row hidden (NaN)"),
        }, unique=["change_date", "kind", "measure", "variable", "level"]),
}

#: Tables written only when the study allows them.
OPTIONAL_TABLES = {"attrition_rates": "written only when the study has a registry",
                   "collection_cohorts": "written only when the study has a registry",
                   "collection_followup": "written only when the study has a registry",
                   "collection_changes": "written only when the study has a registry and "
                                         "`changes`",
                   "collection_projection": "written only when the study has a registry",
                   "outcomes": "written only when the registry has exit statuses or outcome "
                               "columns",
                   "exit_status": "written only when the registry has exit statuses or outcome "
                                  "columns",
                   "soft_hard": "written only when the registry has exit statuses or outcome "
                                "columns",
                   "employment_model": "written only when the registry has exit statuses or "
                                       "outcome columns",
                   "policy_change": "written only when the registry has exit statuses or "
                                    "outcome columns and `changes` has a policy change"}


# ---------------------------------------------------------------------------
# Dtypes
# ---------------------------------------------------------------------------


def dtype_of(column: pa.Column):
    """The pandas dtype of a contract column (``str``, ``bool``, ``int64``, ``Int64``, ``float64``)."""
    return pd.api.types.pandas_dtype(column.title)


def read_dtypes(name: str, columns=None) -> dict:
    """``{column: dtype}`` for :func:`pandas.read_csv` of table ``name`` (its header ``columns``)."""
    schema = SCHEMAS[name]
    names = schema.columns if columns is None else [c for c in columns if c in schema.columns]
    return {c: dtype_of(schema.columns[c]) for c in names}


def _as_text(values: pd.Series) -> pd.Series:
    """Text the way the CSV writes it; ``""`` and missing values become NaN."""
    if isinstance(values.dtype, pd.StringDtype):
        out = values
    else:
        s = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
        if pd.api.types.is_float_dtype(s.dtype):
            out = pd.Series([np.nan if pd.isna(v) else FLOAT_FORMAT % v for v in s], index=s.index,
                            dtype=object)
        else:
            out = pd.Series([np.nan if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
                             for v in s], index=s.index, dtype=object)
    out = out.astype("str")
    return out.where(out != "", np.nan)


def _whole(values: pd.Series, table: str, column: str) -> pd.Series:
    """Numbers that must be whole, as ``Float64`` (NA kept); raise otherwise."""
    if pd.api.types.is_bool_dtype(values.dtype) or not (
            pd.api.types.is_numeric_dtype(values.dtype) or values.dtype == object):
        raise ContractError(f"results table {table!r}: column {column!r} holds {values.dtype}, "
                            "not whole numbers")
    try:
        num = pd.to_numeric(values, errors="raise").astype("Float64")
    except (TypeError, ValueError) as err:
        raise ContractError(f"results table {table!r}: column {column!r} is not numeric: {err}") from None
    ok = num.dropna()
    if not (np.isfinite(ok.to_numpy(dtype=float)).all() and (ok == ok.round()).all()):
        raise ContractError(f"results table {table!r}: column {column!r} has non-whole numbers")
    return num


def _cast(values: pd.Series, kind: str, table: str, column: str) -> pd.Series:
    if kind == "str":
        return _as_text(values)
    if kind == "bool":
        if values.dtype == bool:
            return values
        if values.isna().any() or not all(isinstance(v, (bool, np.bool_)) for v in values):
            raise ContractError(f"results table {table!r}: column {column!r} is not all True/False")
        return values.astype(bool)
    if kind == "int64":
        num = _whole(values, table, column)
        if num.isna().any():
            raise ContractError(f"results table {table!r}: column {column!r} has missing counts")
        return num.astype("int64")
    if kind == "Int64":
        return _whole(values, table, column).astype("Int64")
    if kind == "float64":
        if pd.api.types.is_bool_dtype(values.dtype):
            raise ContractError(f"results table {table!r}: column {column!r} holds booleans")
        try:
            return pd.to_numeric(values, errors="raise").astype("Float64").astype("float64")
        except (TypeError, ValueError) as err:
            raise ContractError(f"results table {table!r}: column {column!r} is not numeric: {err}") from None
    raise AssertionError(kind)


def conform(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Table ``name`` as computed, in the contract's dtypes (then validated).

    Lossless: ordered Categoricals become their keys as ``str``, ``""``
    becomes missing text, whole floats become integers, integers become
    floats where the contract says so; the CSV written from the result has
    the same bytes as from the input. An empty table gets the contract's
    columns it lacks. Anything else (a missing column in a non-empty table,
    a fraction in a count, text in a number) raises :class:`ContractError`.
    """
    schema = SCHEMAS[name]
    out = table.copy()
    if len(out) == 0:
        for col, spec in schema.columns.items():
            if col not in out.columns and spec.required:
                out[col] = pd.Series(dtype=dtype_of(spec))
        order = [c for c in schema.columns if c in out.columns]
        out = out[order + [c for c in out.columns if c not in order]]
    for col, spec in schema.columns.items():
        if col in out.columns:
            out[col] = _cast(out[col], spec.title, name, col)
    validate(name, out)
    return out


def validate(name: str, table: pd.DataFrame) -> None:
    """Raise :class:`ContractError` unless ``table`` follows the contract of ``name``.

    Checks the columns (present, in order, no unknown column except in
    ``quality``), their exact dtypes, missing values where not allowed,
    the values' checks and the uniqueness of the row keys.
    """
    if name not in SCHEMAS:
        raise ContractError(f"no contract for a results table named {name!r}")
    schema = SCHEMAS[name]
    if not isinstance(table, pd.DataFrame):
        raise ContractError(f"results table {name!r} is a {type(table).__name__}, not a DataFrame")
    try:
        schema.validate(table, lazy=True)
    except (SchemaError, SchemaErrors) as err:
        raise ContractError(f"results table {name!r} breaks its contract:\n{err}") from None
    wrong = [f"{c}: {table[c].dtype} instead of {dtype_of(spec)}"
             for c, spec in schema.columns.items()
             if c in table.columns and table[c].dtype != dtype_of(spec)]
    if wrong:
        raise ContractError(f"results table {name!r} has wrong dtypes: " + "; ".join(wrong))


# ---------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------

_DOC_HEAD = """\
# The results tables (contract between statistics and report)

`impactlib report` writes these tables to `results/<table>.csv` (UTF-8, `,`
separator, `.` decimal point, floats with 10 significant digits, one header
line, fixed row and column order: the same inputs give the same bytes). They
hold counts and statistics only, never a candidate id or pseudonym. The
notebooks read them with `impactlib.report.results.read_results`, or compute
them in memory with `build_results`: both give the same dtypes.

This page is generated from the contract itself,
`impactlib/report/contract.py` (pandera schemas), by
`python -m impactlib.report.contract > docs/results-tables.md`; a test checks
that it is up to date. A table that breaks its contract (a missing or extra
column, a wrong dtype, a missing value where none is allowed, a value out of
range, a duplicated row key) is a bug: `write_results` and `read_results`
raise `ContractError`.

Types:

| type | meaning | missing |
|---|---|---|
| `str` | text or key (waves, items, dimensions, groups; wave keys stay text even when they look like numbers) | NaN (an empty cell; a CSV cannot tell `""` from missing) |
| `bool` | `True` / `False` | never |
| `int64` | a count that is always known | never |
| `Int64` | a whole number that may be missing | `<NA>` |
| `float64` | any other number (degrees of freedom included) | NaN |

Waves are identified by their key; rows follow the wave order of
`study.yml`. Percentages are 0-100, shares 0-1. Every table may be empty
(for a study too small for it): it keeps its columns.
"""


def _range_text(column: pa.Column) -> str:
    parts = []
    for check in column.checks:
        stats = check.statistics or {}
        if check.name == "in_range":
            parts.append(f"{stats['min_value']:g} to {stats['max_value']:g}")
        elif check.name == "greater_than_or_equal_to":
            parts.append(f">= {stats['min_value']:g}")
        elif check.name == "less_than_or_equal_to":
            parts.append(f"<= {stats['max_value']:g}")
        elif check.name == "isin":
            parts.append("one of " + ", ".join(f"`{v}`" for v in stats["allowed_values"]))
    return "; ".join(parts)


def markdown() -> str:
    """``docs/results-tables.md``: every table, column, type, missing values and meaning."""
    lines = [_DOC_HEAD]
    for name, schema in SCHEMAS.items():
        lines.append(f"## `{name}`\n")
        lines.append(schema.description + (f" ({OPTIONAL_TABLES[name]}.)" if name in OPTIONAL_TABLES
                                           else ""))
        if schema.unique:
            lines.append("")
            lines.append("Row key (unique): " + ", ".join(f"`{c}`" for c in schema.unique) + ".")
        lines.append("")
        lines.append("| column | type | missing | values | meaning |")
        lines.append("|---|---|---|---|---|")
        for col, spec in schema.columns.items():
            missing = "allowed" if spec.nullable else "never"
            shown = f"`{col}`" + ("" if spec.required else " (optional)")
            lines.append(f"| {shown} | `{spec.title}` | {missing} | {_range_text(spec)} | "
                         f"{spec.description} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m impactlib.report.contract > docs/results-tables.md
    print(markdown(), end="")
