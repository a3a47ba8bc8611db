"""Item-level change between questionnaire waves.

The functions of this module take the long ``responses`` table described in
``docs/tidy-tables.md`` (one row per candidate x wave x item) and compare every
ordered pair of waves ``i < j`` (in wave order: T1>T2, T1>T3, T2>T3) on the
*same* candidates.

* :func:`item_change` -- paired descriptive change and Wilcoxon signed-rank
  test per item and wave pair, with Benjamini-Hochberg adjustment, the
  matched-pairs rank-biserial correlation and a paired t confidence interval.
* :func:`response_distribution` -- counts and percents of every answer label
  (missing-value labels such as "Ne sait pas" included) per item and wave,
  for the candidates present at both waves of a pair.
* :func:`transition_table` -- from-value x to-value counts per item and pair.

Wave order is taken from the ``waves=`` argument, else from the categories of
the ordered Categorical ``wave`` column, else from the sorted unique values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from impactlib.frames import as_float, check_columns, wave_codes, wave_order, wave_pairs

__all__ = ["item_change", "response_distribution", "transition_table", "distribution_shares",
           "SHARE_COLUMNS"]


# ---------------------------------------------------------------------------
# Internal helpers
# ---------------------------------------------------------------------------


class _Cube:
    """Dense item x subject x wave view of a long table.

    Attributes
    ----------
    items : pandas.Index
        Item keys in order of first appearance.
    waves : list
        Ordered wave keys.
    values : ndarray of float, shape (n_items, n_subjects, n_waves)
        ``dv`` (NaN when missing or when the row is absent).
    present : ndarray of bool, same shape
        True when the long table has a row (any status).
    rows : DataFrame
        The long rows kept, with integer codes ``_i``, ``_s``, ``_w``.
    """

    def __init__(self, data, dv, within, subject, item, waves):
        check_columns(data, [dv, within, subject, item], short=True)
        self.waves = wave_order(data, within, waves, name="`waves`")
        wave_code = wave_codes(data[within], self.waves)
        keep = (wave_code >= 0) & data[subject].notna().to_numpy() & data[item].notna().to_numpy()
        rows = data.loc[keep]
        item_code, self.items = pd.factorize(data[item])
        subject_code, subjects = pd.factorize(rows[subject])
        self.rows = rows.assign(
            _i=item_code[keep], _s=subject_code, _w=wave_code[keep].astype(np.int64)
        )
        shape = (len(self.items), len(subjects), len(self.waves))
        self.present = np.zeros(shape, dtype=bool)
        idx = (self.rows["_i"].to_numpy(), self.rows["_s"].to_numpy(), self.rows["_w"].to_numpy())
        self.present[idx] = True
        # one cell per row unless a (subject, wave, item) repeats: checked on the codes
        if np.count_nonzero(self.present) < len(rows):
            raise ValueError(
                f"`data` has several rows for one ({subject}, {within}, {item}); "
                "expected the long responses table with one row per candidate x wave x item."
            )
        self.values = np.full(shape, np.nan)
        self.values[idx] = as_float(rows[dv], errors="raise")

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return wave_pairs(range(len(self.waves)))

    def paired_long(self) -> pd.DataFrame:
        """Long frame of complete pairs: one row per pair x item x subject."""
        frames = []
        for k, (i, j) in enumerate(self.pairs):
            a = self.values[:, :, i]
            b = self.values[:, :, j]
            it, su = np.nonzero(~np.isnan(a) & ~np.isnan(b))
            frames.append(
                pd.DataFrame({"_p": k, "_i": it, "_s": su, "x": a[it, su], "y": b[it, su]})
            )
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in ["_p", "_i", "_s", "x", "y"]})
        return pd.concat(frames, ignore_index=True)

    def grid(self) -> pd.MultiIndex:
        """Full (pair, item) grid, item-major."""
        return pd.MultiIndex.from_product(
            [range(len(self.items)), range(len(self.pairs))], names=["_i", "_p"]
        ).swaplevel()

    def label_pairs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Replace the integer codes ``_i`` and ``_p`` by item and wave keys."""
        wave_dtype = pd.CategoricalDtype(self.waves, ordered=True)
        pairs = np.array(self.pairs, dtype=np.int64).reshape(-1, 2)
        p = frame["_p"].to_numpy(dtype=np.int64)
        return frame.assign(
            item=self.items.take(frame["_i"].to_numpy(dtype=np.int64)),
            from_wave=pd.Categorical.from_codes(pairs[p, 0], dtype=wave_dtype),
            to_wave=pd.Categorical.from_codes(pairs[p, 1], dtype=wave_dtype),
        )


def _dimension_map(data, item, dimension):
    """item -> dimension (first non-missing), or None when not applicable."""
    if dimension is None or dimension == item or dimension not in data.columns:
        return None
    d = data[[item, dimension]].dropna()
    return d.drop_duplicates(item).set_index(item)[dimension]


def _insert_dimension(out, data, item, dimension):
    dims = _dimension_map(data, item, dimension)
    if dims is not None:
        out.insert(1, "dimension", out["item"].map(dims))
    return out


def _p_adjust_bh(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, NaN ignored (as R ``p.adjust(p, "BH")``).

    :func:`scipy.stats.false_discovery_control` applied to the non-missing
    p-values: ``p_adj[(k)] = min(1, min_{l >= k} m / l * p_(l))`` where
    ``m`` counts the non-missing p-values only (as R, whose default
    ``n = length(p)`` is taken after dropping ``NA``). SciPy multiplies in
    R's order (``m / l`` first), so the values agree with R to the last bit.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


# ---------------------------------------------------------------------------
# item_change
# ---------------------------------------------------------------------------


def item_change(
    data: pd.DataFrame,
    dv: str = "value",
    within: str = "wave",
    subject: str = "candidate",
    item: str = "item",
    dimension: str | None = "dimension",
    waves: Sequence | None = None,
    confidence: float = 0.95,
    min_pairs: int = 2,
) -> pd.DataFrame:
    """Paired change of every item between every ordered pair of waves.

    For each item and each pair of waves ``i < j`` (in wave order), the
    *pairs* are the candidates with a non-missing ``dv`` at both waves.
    With ``d = to - from`` (answers recoded so that higher is better):

    * descriptive change: ``mean_from``, ``mean_to`` (means over the pairs),
      ``mean_diff``, ``sd_diff`` and the percent of pairs that improved
      (``d > 0``), stayed stable (``d == 0``) or worsened (``d < 0``);
    * Wilcoxon signed-rank test, normal approximation with tie and
      continuity correction, zero differences dropped (Wilcox). With
      ``n`` non-zero differences, ranks ``R_k`` of ``|d|`` (mid-ranks for
      ties of sizes ``t``), ``V = sum_{d_k > 0} R_k``::

          z = (V - n(n+1)/4 - 0.5 sign(V - n(n+1)/4))
              / sqrt(n(n+1)(2n+1)/24 - sum(t^3 - t)/48)
          p = 2 min(Phi(z), 1 - Phi(z))

      This equals R ``wilcox.test(to, from, paired = TRUE, exact = FALSE)``
      (``correct = TRUE`` by default) whatever the sample size. SciPy 1.17's
      ``wilcoxon(to - from, zero_method="wilcox", correction=True,
      method="approx")`` gives the same p-value (same zero handling, tie
      and continuity corrections; checked in ``tests/test_change.py``), but
      it is not used: its two-sided ``statistic`` is ``min(R+, R-)``, not
      R's ``V = R+`` reported here and used by the rank-biserial
      correlation; it takes one call per item x wave pair where the ranks
      of every pair are computed here in one grouped pass; and it warns
      when every difference is zero. (Its default ``method="auto"`` would
      also switch to the exact distribution for small samples without ties
      or zeros, which R's ``exact = FALSE`` does not.)
    * Benjamini-Hochberg adjustment over the items of one wave pair
      (R ``p.adjust(p, method = "BH")``; items without a p-value are not
      counted).
    * Matched-pairs rank-biserial correlation (zeros dropped), positive
      when answers improved::

          r = (R+ - R-) / (R+ + R-),   R+ + R- = n(n+1)/2

    * ``ci_low``, ``ci_high``: ``confidence`` t-interval of the paired mean
      difference ``mean_diff +/- t_{1-a/2, n-1} sd_diff / sqrt(n)``, as R
      ``t.test(to, from, paired = TRUE)$conf.int``.

    Parameters
    ----------
    data : pandas.DataFrame
        Long ``responses`` table: one row per candidate x wave x item.
    dv : str
        Numeric answer column (recoded, higher is better). Missing answers
        (``<NA>``, e.g. "Ne sait pas") are excluded from the pairs.
    within, subject, item : str
        Wave, candidate and item columns.
    dimension : str or None
        Dimension column copied to the output (skipped when absent).
    waves : list, optional
        Waves to compare, in order. Default: categories of the ordered
        Categorical ``within`` column, else its sorted unique values. A wave
        without any row (empty wave) yields rows with ``n_pairs = 0``.
    confidence : float
        Confidence level of the t-interval.
    min_pairs : int
        Minimum number of pairs to report inferential statistics
        (``statistic``, ``p_value``, ``effect_size``, CI). Default 2: with a
        single candidate everything inferential is NaN.

    Returns
    -------
    pandas.DataFrame
        One row per item x wave pair (items in order of first appearance,
        then pairs in wave order) with columns ``item``, ``dimension``,
        ``from_wave``, ``to_wave`` (ordered Categoricals), ``n_pairs``,
        ``mean_from``, ``mean_to``, ``mean_diff``, ``sd_diff``,
        ``n_improved``, ``n_stable``, ``n_worsened``, ``pct_improved``,
        ``pct_stable``, ``pct_worsened`` (0-100), ``n_nonzero``,
        ``statistic`` (V, sum of the ranks of the positive differences),
        ``p_value``, ``p_adjusted``, ``effect_size`` (rank-biserial),
        ``ci_low``, ``ci_high``.

    Notes
    -----
    Edge cases never raise nor warn; they give NaN: no pair (empty wave,
    item nobody answered: means and percents NaN too), fewer than
    ``min_pairs`` pairs, all differences zero (``statistic``, ``p_value``,
    ``effect_size`` NaN; R returns ``V = 0, p = NA``), zero variance of the
    differences (CI NaN; R's ``t.test`` stops with "data are essentially
    constant"). ``n_pairs`` is always given.

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods.
    *Biometrics Bulletin*, 1(6), 80-83.

    Kerby, D. S. (2014). The simple difference formula: an approach to
    teaching nonparametric correlation. *Comprehensive Psychology*, 3, 11.

    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery
    rate. *JRSS B*, 57(1), 289-300.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.item_change import item_change
    >>> df = pd.DataFrame({
    ...     "candidate": ["a", "b", "c", "d"] * 2,
    ...     "wave": ["T1"] * 4 + ["T2"] * 4,
    ...     "item": "q1", "dimension": "confidence",
    ...     "value": pd.array([2, 2, 4, 2, 3, 4, 5, 2], dtype="Int64")})
    >>> res = item_change(df)
    >>> res[["item", "n_pairs", "statistic", "effect_size"]]
      item  n_pairs  statistic  effect_size
    0   q1        4        6.0          1.0
    >>> # R: wilcox.test(c(3,4,5,2), c(2,2,4,2), paired=TRUE, exact=FALSE)$p.value
    >>> print(round(res.p_value[0], 7))
    0.1735682
    """
    if not 0 < confidence < 1:
        raise ValueError("`confidence` must be in (0, 1).")
    cube = _Cube(data, dv, within, subject, item, waves)
    long = cube.paired_long()
    key = ["_p", "_i"]
    long = long.assign(d=long["y"] - long["x"])
    long = long.assign(
        up=long["d"] > 0, same=long["d"] == 0, down=long["d"] < 0
    )
    g = long.groupby(key)
    desc = pd.DataFrame(
        {
            "n_pairs": g.size(),
            "mean_from": g["x"].mean(),
            "mean_to": g["y"].mean(),
            "mean_diff": g["d"].mean(),
            "sd_diff": g["d"].std(ddof=1),
            "n_improved": g["up"].sum(),
            "n_stable": g["same"].sum(),
            "n_worsened": g["down"].sum(),
        }
    )

    # Signed ranks of the non-zero differences, vectorized across groups.
    nz = long.loc[~long["same"]].assign(a=lambda f: f["d"].abs())
    nz = nz.assign(rank=nz.groupby(key)["a"].rank(method="average"))
    gn = nz.groupby(key)
    ties = nz.groupby(key + ["a"]).size()
    ranks = pd.DataFrame(
        {
            "n_nonzero": gn.size(),
            "r_plus": nz["rank"].where(nz["up"], 0.0).groupby([nz["_p"], nz["_i"]]).sum(),
            "ties": (ties.astype(float) ** 3 - ties).groupby(level=key).sum(),
        }
    )

    out = desc.join(ranks).reindex(cube.grid())
    for col in ["n_pairs", "n_improved", "n_stable", "n_worsened", "n_nonzero"]:
        out[col] = out[col].fillna(0).astype(np.int64)
    out["ties"] = out["ties"].fillna(0.0)
    out["r_plus"] = out["r_plus"].fillna(0.0)

    n = out["n_pairs"].to_numpy(dtype=float)
    has = n > 0
    safe_n = np.where(has, n, 1.0)
    for col, src in [("pct_improved", "n_improved"), ("pct_stable", "n_stable"),
                     ("pct_worsened", "n_worsened")]:
        out[col] = np.where(has, 100.0 * out[src].to_numpy() / safe_n, np.nan)

    # Wilcoxon signed-rank, normal approximation (R exact = FALSE, correct = TRUE).
    m = out["n_nonzero"].to_numpy(dtype=float)
    enough = n >= max(int(min_pairs), 1)
    testable = enough & (m > 0)
    r_plus = out["r_plus"].to_numpy()
    total = m * (m + 1) / 2
    z0 = r_plus - total / 2
    var = m * (m + 1) * (2 * m + 1) / 24 - out["ties"].to_numpy() / 48
    sigma = np.sqrt(np.where(testable, var, 1.0))
    z = (z0 - 0.5 * np.sign(z0)) / sigma
    p = 2 * np.minimum(stats.norm.cdf(z), stats.norm.sf(z))
    out["statistic"] = np.where(testable, r_plus, np.nan)
    out["p_value"] = np.where(testable, np.minimum(p, 1.0), np.nan)
    safe_total = np.where(testable, total, 1.0)
    out["effect_size"] = np.where(testable, (2 * r_plus - total) / safe_total, np.nan)

    # Paired t-interval of the mean difference.
    sd = out["sd_diff"].to_numpy(dtype=float)
    ci_ok = enough & (n >= 2) & np.isfinite(sd) & (np.nan_to_num(sd) > 0)
    df = np.where(ci_ok, n - 1, 1.0)
    half = stats.t.ppf(0.5 + confidence / 2, df) * np.where(ci_ok, sd, 0.0) / np.sqrt(safe_n)
    mean_diff = out["mean_diff"].to_numpy(dtype=float)
    out["ci_low"] = np.where(ci_ok, mean_diff - half, np.nan)
    out["ci_high"] = np.where(ci_ok, mean_diff + half, np.nan)

    out = out.reset_index()
    out["p_adjusted"] = out.groupby("_p")["p_value"].transform(_p_adjust_bh)
    out = cube.label_pairs(out)
    columns = [
        "item", "from_wave", "to_wave", "n_pairs", "mean_from", "mean_to",
        "mean_diff", "sd_diff", "n_improved", "n_stable", "n_worsened",
        "pct_improved", "pct_stable", "pct_worsened", "n_nonzero", "statistic",
        "p_value", "p_adjusted", "effect_size", "ci_low", "ci_high",
    ]
    out = out[columns].reset_index(drop=True)
    return _insert_dimension(out, data, item, dimension)


# ---------------------------------------------------------------------------
# response_distribution
# ---------------------------------------------------------------------------


def _label_frame(rows, status, dv, order_by, labels, names=None):
    """Ordered label catalogue with ``status`` and ``answered`` per label.

    ``rows["_label"]`` holds each row's label, or with ``names`` its code:
    the position of the label in ``names``, codes numbered in order of first
    appearance (then the groups are made on integers, not on text).
    """
    obs = pd.DataFrame(
        {
            "label": rows["_label"],
            "answered": rows[dv].notna().to_numpy(),
            "order": as_float(rows[order_by], errors="raise") if order_by in rows.columns else np.nan,
        }
    )
    if status is not None:
        obs["status"] = rows[status].to_numpy()
    # Answered labels by (mean) scale value, then the missing-value labels in
    # order of first appearance.
    cat = (
        obs.groupby("label", sort=names is not None)
        .agg(
            answered=("answered", "all"),
            order=("order", "mean"),
            **({"status": ("status", "first")} if status is not None else {}),
        )
        .reset_index()
    )
    if names is not None:
        cat["label"] = np.asarray(names, dtype=object)[cat["label"].to_numpy(dtype=np.int64)]
    cat["_first"] = np.arange(len(cat))
    cat = cat.sort_values(["answered", "order", "_first"], ascending=[False, True, True],
                          na_position="last", kind="stable")
    if labels is None:
        return cat.drop(columns=["order", "_first"]).reset_index(drop=True)

    if isinstance(labels, pd.DataFrame):
        given = labels.drop_duplicates("label")
        spec = pd.DataFrame({"label": given["label"].to_numpy()})
        if "value" in given.columns:
            spec["_given"] = given["value"].notna().to_numpy(dtype=float)
    else:
        spec = pd.DataFrame({"label": pd.unique(pd.Series(list(labels), dtype=object))})
    extra = cat.loc[~cat["label"].isin(spec["label"]), ["label"]]
    spec = pd.concat([spec, extra], ignore_index=True)
    known = cat.set_index("label")
    # Answered flag: from the labels table, else from the data, else True.
    given_flag = spec["_given"] if "_given" in spec.columns else pd.Series(np.nan, index=spec.index)
    seen_flag = spec["label"].map(known["answered"].astype(float))
    spec["answered"] = given_flag.combine_first(seen_flag).fillna(1.0).astype(bool)
    spec = spec.drop(columns="_given", errors="ignore")
    if status is not None:
        spec["status"] = spec["label"].map(known["status"])
    return spec


def response_distribution(
    data: pd.DataFrame,
    labels=None,
    dv: str = "value",
    within: str = "wave",
    subject: str = "candidate",
    item: str = "item",
    label: str = "label",
    status: str | None = "status",
    dimension: str | None = "dimension",
    order_by: str = "raw_value",
    waves: Sequence | None = None,
) -> pd.DataFrame:
    """Answer distribution of every item at both waves of every wave pair.

    For each item and wave pair ``i < j``, the distribution is computed on the
    *same* candidates at both waves: those who have a row for the item at
    both waves, i.e. who filled in the questionnaire at both waves (whatever
    the status of their answer to this item: answered, missing, "Ne sait
    pas", invalid). Each answer label is a category, missing-value labels
    included; a row without label (blank answer) gets the category
    ``"(<status>)"``, e.g. ``"(missing)"`` (``"(missing)"`` also when there
    is no status column).

    ``pct = 100 n / n_candidates`` (sums to 100 over the labels of one item x
    pair x wave) and ``pct_answered = 100 n / n_answered`` over the answered
    labels only (``dv`` not missing; NaN for missing-value labels).

    Parameters
    ----------
    data : pandas.DataFrame
        Long ``responses`` table.
    labels : sequence of str or pandas.DataFrame, optional
        Labels to report, in display order, for every item (zero counts are
        kept). A DataFrame must have a ``label`` column and may have a
        ``value`` column (e.g. the ``scales`` table of one scale), whose
        ``<NA>`` marks a missing-value label. Labels found in the data but not
        listed are appended. Default: the labels observed for each item,
        answered labels ordered by ``order_by`` then missing-value labels.
    dv : str
        Numeric answer column; ``<NA>`` means not answered.
    within, subject, item, label : str
        Wave, candidate, item and label columns.
    status : str or None
        Status column copied to the output (skipped when absent).
    dimension : str or None
        Dimension column copied to the output (skipped when absent).
    order_by : str
        Column ordering the answered labels (default ``raw_value``, the scale
        value as answered); falls back to label order of appearance.
    waves : list, optional
        Waves to compare, in order (see :func:`item_change`).

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``dimension``, ``from_wave``, ``to_wave``, ``wave``,
        ``label``, ``status``, ``answered`` (bool), ``n``, ``pct``,
        ``pct_answered``, ``n_candidates``, ``n_answered``; one row per item x
        pair x wave (the two waves of the pair) x label.

    References
    ----------
    Agresti, A. (2010). *Analysis of Ordinal Categorical Data* (2nd ed.),
    ch. 1. Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.item_change import response_distribution
    >>> df = pd.DataFrame({
    ...     "candidate": ["a", "b", "c", "a", "b"],
    ...     "wave": ["T1", "T1", "T1", "T2", "T2"], "item": "q1",
    ...     "value": pd.array([1, 2, 2, 2, None], dtype="Int64"),
    ...     "label": ["No", "Yes", "Yes", "Yes", "Ne sait pas"]})
    >>> response_distribution(df, labels=["No", "Yes", "Ne sait pas"])[
    ...     ["wave", "label", "n", "pct", "pct_answered"]]
      wave        label  n   pct  pct_answered
    0   T1           No  1  50.0          50.0
    1   T1          Yes  1  50.0          50.0
    2   T1  Ne sait pas  0   0.0           NaN
    3   T2           No  0   0.0           0.0
    4   T2          Yes  1  50.0         100.0
    5   T2  Ne sait pas  1  50.0           NaN
    """
    check_columns(data, [label], short=True)
    if status is not None and status not in data.columns:
        status = None
    cube = _Cube(data, dv, within, subject, item, waves)
    rows = cube.rows
    # A row's label text depends on its label and status only: it is written
    # once per distinct (label, status) pair, and the rows carry integer codes.
    label_code = pd.factorize(rows[label])[0].astype(np.int64)
    status_code = (pd.factorize(rows[status])[0].astype(np.int64) if status is not None
                   else np.zeros(len(rows), dtype=np.int64))
    pair, _ = pd.factorize((label_code + 1) * (int(status_code.max(initial=-1)) + 2)
                           + status_code + 1)
    first = np.unique(pair, return_index=True)[1]
    few = rows.iloc[first]
    fallback = ("(" + few[status].astype("string") + ")") if status is not None else "(missing)"
    text = few[label].astype("string").fillna(fallback).fillna("(missing)").astype(object)
    text_code, names = pd.factorize(text.to_numpy())
    rows = rows.assign(_label=text_code[pair])
    cat = _label_frame(rows, status, dv, order_by, labels, names=names)
    cat["_l"] = np.arange(len(cat))
    at = pd.Index(cat["label"].to_numpy(dtype=object)).get_indexer(pd.Index(names, dtype=object))
    rows = rows.assign(_l=at[rows["_label"].to_numpy()].astype(np.int64))

    # Labels reported per item: all given labels, else those seen for the item.
    if labels is None:
        item_labels = rows[["_i", "_l"]].drop_duplicates()
    else:
        item_labels = pd.MultiIndex.from_product(
            [range(len(cube.items)), cat["_l"]], names=["_i", "_l"]
        ).to_frame(index=False)

    frames = []
    for k, (i, j) in enumerate(cube.pairs):
        both = cube.present[:, :, i] & cube.present[:, :, j]
        sel = rows.loc[rows["_w"].isin([i, j]) & both[rows["_i"].to_numpy(), rows["_s"].to_numpy()]]
        counts = sel.groupby(["_i", "_w", "_l"]).size().rename("n")
        n_cand = pd.Series(both.sum(axis=1), name="n_candidates").rename_axis("_i")
        grid = item_labels.merge(pd.DataFrame({"_w": [i, j]}), how="cross")
        grid = grid.join(counts, on=["_i", "_w", "_l"]).join(n_cand, on="_i")
        grid["_p"] = k
        frames.append(grid)
    if not frames:
        grid = pd.DataFrame({c: pd.Series(dtype=np.int64) for c in ["_i", "_l", "_w", "n", "n_candidates", "_p"]})
        frames.append(grid)
    out = pd.concat(frames, ignore_index=True)
    out["n"] = out["n"].fillna(0).astype(np.int64)
    out = out.join(cat.set_index("_l").drop(columns="label").add_prefix("c_"), on="_l")
    out["label"] = cat["label"].to_numpy()[out["_l"].to_numpy(dtype=np.int64)] if len(out) else []
    answered = out["c_answered"].astype(bool)
    out["answered"] = answered
    out["n_answered"] = out["n"].where(answered, 0).groupby(
        [out["_i"], out["_p"], out["_w"]]).transform("sum").astype(np.int64)
    nc = out["n_candidates"].to_numpy(dtype=float)
    na = out["n_answered"].to_numpy(dtype=float)
    cnt = out["n"].to_numpy(dtype=float)
    out["pct"] = np.where(nc > 0, 100 * cnt / np.where(nc > 0, nc, 1), np.nan)
    out["pct_answered"] = np.where(answered & (na > 0), 100 * cnt / np.where(na > 0, na, 1), np.nan)
    out = out.sort_values(["_i", "_p", "_w", "_l"], kind="stable")
    out = cube.label_pairs(out)
    wave_dtype = pd.CategoricalDtype(cube.waves, ordered=True)
    out["wave"] = pd.Categorical.from_codes(out["_w"].to_numpy(dtype=np.int64), dtype=wave_dtype)
    columns = ["item", "from_wave", "to_wave", "wave", "label"]
    if status is not None:
        out["status"] = out["c_status"]
        columns.append("status")
    columns += ["answered", "n", "pct", "pct_answered", "n_candidates", "n_answered"]
    out = out[columns].reset_index(drop=True)
    out["n_candidates"] = out["n_candidates"].astype(np.int64)
    return _insert_dimension(out, data, item, dimension)


# ---------------------------------------------------------------------------
# transition_table
# ---------------------------------------------------------------------------


def transition_table(
    data: pd.DataFrame,
    dv: str = "value",
    within: str = "wave",
    subject: str = "candidate",
    item: str = "item",
    dimension: str | None = "dimension",
    waves: Sequence | None = None,
    values: Sequence | None = None,
    complete: bool = True,
) -> pd.DataFrame:
    """From-value x to-value transition counts per item and wave pair.

    Counts, for each item and wave pair ``i < j``, the candidates answering
    ``value_from`` at wave ``i`` and ``value_to`` at wave ``j`` among the
    pairs with a non-missing ``dv`` at both waves (the pairs of
    :func:`item_change`)::

        n(a, b) = #{candidates : dv_i = a and dv_j = b}
        pct(a, b) = 100 n(a, b) / n_pairs

    Parameters
    ----------
    data : pandas.DataFrame
        Long ``responses`` table.
    dv : str
        Numeric answer column (recoded: higher is better).
    within, subject, item : str
        Wave, candidate and item columns.
    dimension : str or None
        Dimension column copied to the output (skipped when absent).
    waves : list, optional
        Waves to compare, in order (see :func:`item_change`).
    values : sequence, optional
        Scale values spanning the table when ``complete`` (default: values
        of ``dv`` observed for the item at any wave).
    complete : bool
        Include zero cells (the full square table) when True, else only the
        observed transitions.

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``dimension``, ``from_wave``, ``to_wave``,
        ``value_from``, ``value_to``, ``n``, ``pct``, ``n_pairs`` and
        ``direction`` (``"improved"``, ``"stable"``, ``"worsened"``).

    References
    ----------
    Bishop, Y. M. M., Fienberg, S. E., & Holland, P. W. (1975). *Discrete
    Multivariate Analysis*, ch. 8 (square tables). MIT Press.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.item_change import transition_table
    >>> df = pd.DataFrame({
    ...     "candidate": ["a", "b", "a", "b"], "wave": ["T1", "T1", "T2", "T2"],
    ...     "item": "q1", "value": pd.array([1, 2, 2, 2], dtype="Int64")})
    >>> transition_table(df)[["value_from", "value_to", "n", "direction"]]
       value_from  value_to  n direction
    0           1         1  0    stable
    1           1         2  1  improved
    2           2         1  0  worsened
    3           2         2  1    stable
    """
    cube = _Cube(data, dv, within, subject, item, waves)
    long = cube.paired_long()
    key = ["_p", "_i", "x", "y"]
    counts = long.groupby(key).size().rename("n")
    n_pairs = long.groupby(["_p", "_i"]).size().rename("n_pairs")
    if complete:
        if values is None:
            vals = pd.DataFrame({"_i": cube.rows["_i"].to_numpy(), "v": cube.values[
                cube.rows["_i"].to_numpy(), cube.rows["_s"].to_numpy(), cube.rows["_w"].to_numpy()]}).dropna().drop_duplicates()
        else:
            vals = pd.MultiIndex.from_product(
                [range(len(cube.items)), sorted(values)], names=["_i", "v"]).to_frame(index=False)
        vals = vals.sort_values(["_i", "v"])
        sq = vals.merge(vals, on="_i", suffixes=("_x", "_y")).rename(columns={"v_x": "x", "v_y": "y"})
        grid = cube.grid().to_frame(index=False).merge(sq, on="_i")
        grid = grid.sort_values(["_i", "_p", "x", "y"], kind="stable")
        out = grid.join(counts, on=key)
        out["n"] = out["n"].fillna(0).astype(np.int64)
    else:
        out = counts.reset_index().sort_values(["_i", "_p", "x", "y"], kind="stable")
    out = out.join(n_pairs, on=["_p", "_i"])
    out["n_pairs"] = out["n_pairs"].fillna(0).astype(np.int64)
    npairs = out["n_pairs"].to_numpy(dtype=float)
    out["pct"] = np.where(npairs > 0, 100 * out["n"].to_numpy() / np.where(npairs > 0, npairs, 1), np.nan)
    diff = np.sign(out["y"].to_numpy(dtype=float) - out["x"].to_numpy(dtype=float))
    out["direction"] = np.select([diff > 0, diff < 0], ["improved", "worsened"], "stable")
    out = cube.label_pairs(out)
    vtype = data[dv].dtype
    as_int = pd.api.types.is_integer_dtype(vtype) and (
        values is None or all(float(v).is_integer() for v in values)
    )
    conv = (lambda s: s.astype(np.int64)) if as_int else (lambda s: s)
    out = out.assign(value_from=conv(out["x"]), value_to=conv(out["y"]))
    columns = ["item", "from_wave", "to_wave", "value_from", "value_to", "n", "pct",
               "n_pairs", "direction"]
    out = out[columns].reset_index(drop=True)
    return _insert_dimension(out, data, item, dimension)


# ---------------------------------------------------------------------------
# distribution_shares
# ---------------------------------------------------------------------------

SHARE_COLUMNS = [
    "item", "dimension", "from_wave", "to_wave", "wave", "kind", "label", "level", "n_levels",
    "neutral", "reverse", "n", "n_base", "pct", "start", "end", "n_candidates",
]


def _scale_labels(scales) -> dict:
    """``{scale: (answer labels ordered by value, missing-value labels)}`` of a codebook."""
    if scales is None or len(scales) == 0 or not {"value", "label"} <= set(scales.columns):
        return {}
    frame = pd.DataFrame({
        "scale": scales["scale"].astype(object) if "scale" in scales.columns else "",
        "value": as_float(scales["value"]),
        "label": scales["label"].astype(object),
    })
    frame = frame.loc[frame["label"].notna()]
    out = {}
    for name, block in frame.groupby("scale", sort=False, dropna=False):
        answered = block.loc[np.isfinite(block["value"])].sort_values("value", kind="stable")
        out[name] = (answered["label"].tolist(),
                     block.loc[~np.isfinite(block["value"]), "label"].tolist())
    return out


def _item_meta(items) -> dict:
    """``{item: (dimension, scale, reverse)}`` of a codebook ``items`` table (first row wins)."""
    if items is None or len(items) == 0 or "item" not in items.columns:
        return {}
    out = {}
    for pos in range(len(items)):
        row = items.iloc[pos]
        if pd.isna(row["item"]) or row["item"] in out:
            continue
        out[row["item"]] = (
            row["dimension"] if "dimension" in items.columns and pd.notna(row["dimension"]) else None,
            row["scale"] if "scale" in items.columns and pd.notna(row["scale"]) else None,
            bool(row["reverse"]) if "reverse" in items.columns else False,
        )
    return out


def distribution_shares(distribution: pd.DataFrame, items: pd.DataFrame | None = None,
                        scales: pd.DataFrame | None = None) -> pd.DataFrame:
    """Shares of the answers per item and wave, laid out as diverging bars.

    Takes the counts of :func:`response_distribution` and gives, for each
    item, wave pair and wave, one row per *segment*: every answer level of
    the item's scale (``kind = "answer"``), then the "don't know" answers
    and the missing or invalid answers gathered in one segment each
    (``kind = "dont_know"``, ``"missing"``). Answer levels run from the
    least to the most favourable answer: by scale value, turned round for
    reverse items (whose raw values run the other way).

    With ``n_l`` the count of answer level ``l`` (``l = 0 .. k-1``),
    ``A = sum_l n_l`` the answers given, ``D`` the "don't know" answers and
    ``N`` every candidate of the pair (``N = A + D + M``)::

        pct_l = 100 n_l / A                       (0 when A = 0)
        pct_dont_know = 100 D / N,  pct_missing = 100 M / N   (0 when N = 0)

    Answer segments are placed around zero so that the levels below the
    middle one ``h = floor(k / 2)`` lie left of zero and the neutral level
    (the middle of an odd scale) is centred on zero::

        start_0 = -(pct_0 + ... + pct_{h-1} + [k odd] pct_h / 2)
        start_{l+1} = start_l + pct_l,   end_l = start_l + pct_l

    The side segments are stacked from zero: ``start = 0`` for "don't know",
    ``start = pct_dont_know`` for missing answers.

    Parameters
    ----------
    distribution : pandas.DataFrame
        Counts per label: the ``item_distribution`` table (``item``,
        ``from_wave``, ``to_wave``, ``wave``, ``label``, ``n`` and, when
        known, ``dimension``, ``status``, ``answered``).
    items : pandas.DataFrame, optional
        Codebook ``items`` table (``item``, ``dimension``, ``scale``,
        ``reverse``): the scale and direction of each item.
    scales : pandas.DataFrame, optional
        Codebook ``scales`` table (``scale``, ``value``, ``label``; a
        missing ``value`` marks a "don't know" label). Gives the answer
        levels, unseen ones included, when every label answered belongs to
        the item's scale (the only scale when there is one); otherwise the
        levels are the answered labels in the order of the table.

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``dimension``, ``from_wave``, ``to_wave``, ``wave``,
        ``kind``, ``label`` (NaN for the side segments, which gather
        labels), ``level`` (``Int64``, 0 = least favourable; NA for the side
        segments), ``n_levels`` (``k``), ``neutral`` (the middle level of an
        odd scale), ``reverse``, ``n``, ``n_base`` (the denominator: ``A``
        or ``N``), ``pct``, ``start``, ``end`` and ``n_candidates`` (``N``).
        Labels answered but not in the scale's levels (when the levels come
        from the scale) and labels without a value count as missing unless
        their status is ``dont_know`` or the scale lists them without value.

    References
    ----------
    Robbins, N. B., & Heiberger, R. M. (2011). Plotting Likert and other
    rating scales. *Proceedings of the 2011 Joint Statistical Meeting*,
    1058-1066.

    Examples
    --------
    >>> import pandas as pd
    >>> from impactlib.stats.item_change import distribution_shares
    >>> dist = pd.DataFrame({
    ...     "item": "q1", "from_wave": "T1", "to_wave": "T2", "wave": ["T1"] * 4 + ["T2"] * 5,
    ...     "label": ["No", "Maybe", "Yes", "Ne sait pas"] * 2 + ["(missing)"],
    ...     "status": (["answered"] * 3 + ["dont_know"]) * 2 + ["missing"],
    ...     "n": [2, 4, 2, 2, 1, 2, 5, 0, 2]})
    >>> shares = distribution_shares(dist)
    >>> shares[["wave", "kind", "label", "n", "n_base", "pct", "start", "end"]]
      wave       kind  label  n  n_base   pct  start   end
    0   T1     answer     No  2       8  25.0  -50.0 -25.0
    1   T1     answer  Maybe  4       8  50.0  -25.0  25.0
    2   T1     answer    Yes  2       8  25.0   25.0  50.0
    3   T1  dont_know    NaN  2      10  20.0    0.0  20.0
    4   T1    missing    NaN  0      10   0.0   20.0  20.0
    5   T2     answer     No  1       8  12.5  -25.0 -12.5
    6   T2     answer  Maybe  2       8  25.0  -12.5  12.5
    7   T2     answer    Yes  5       8  62.5   12.5  75.0
    8   T2  dont_know    NaN  0      10   0.0    0.0   0.0
    9   T2    missing    NaN  2      10  20.0    0.0  20.0
    """
    check_columns(distribution, ["item", "from_wave", "to_wave", "wave", "label", "n"], "distribution")
    meta = _item_meta(items)
    catalogue = _scale_labels(scales)
    d = distribution.reset_index(drop=True)
    if "answered" in d.columns:
        answered = d["answered"].astype(bool).to_numpy()
    elif "status" in d.columns:
        answered = (d["status"].astype(object) == "answered").to_numpy()
    else:
        answered = ~d["label"].astype(str).str.startswith("(").to_numpy()
    d = pd.DataFrame({
        "item": d["item"].astype(object), "from_wave": d["from_wave"].astype(object),
        "to_wave": d["to_wave"].astype(object), "wave": d["wave"].astype(object),
        "label": d["label"].astype(object), "_answered": answered,
        "_status": d["status"].astype(object) if "status" in d.columns else None,
        "_dim": d["dimension"].astype(object) if "dimension" in d.columns else None,
        "n": np.nan_to_num(as_float(d["n"])),
    })

    rows = []
    for (item, from_wave, to_wave), block in d.groupby(["item", "from_wave", "to_wave"], sort=False):
        dims = block["_dim"].dropna()
        dim_meta, scale, reverse = meta.get(item, (None, None, False))
        dimension = dims.iloc[0] if len(dims) else dim_meta
        labels = block["label"].tolist()
        seen = list(dict.fromkeys(lab for lab, a in zip(labels, block["_answered"]) if a and pd.notna(lab)))
        if scale not in catalogue and len(catalogue) == 1:
            scale = next(iter(catalogue))
        scale_levels, scale_missing = catalogue.get(scale, ([], []))
        used = {lab for lab, a, c in zip(labels, block["_answered"], block["n"]) if a and c > 0}
        levels = list(scale_levels) if scale_levels and used <= set(scale_levels) else seen
        if reverse:
            levels = levels[::-1]
        k = len(levels)
        dont_know = {lab for lab, st in zip(labels, block["_status"]) if st == "dont_know"}
        dont_know |= set(scale_missing)
        for wave in dict.fromkeys((from_wave, to_wave)):
            by_label: dict = {}
            at = block.loc[block["wave"] == wave]
            for lab, c in zip(at["label"], at["n"]):
                by_label[lab] = by_label.get(lab, 0.0) + c
            total = sum(by_label.values())
            n_ans = sum(by_label.get(lab, 0.0) for lab in levels)
            n_dk = sum(c for lab, c in by_label.items() if lab not in levels and lab in dont_know)
            n_miss = total - n_ans - n_dk
            pct = [100 * by_label.get(lab, 0.0) / n_ans if n_ans > 0 else 0.0 for lab in levels]
            half = k // 2
            left = -(sum(pct[:half]) + (pct[half] / 2 if k % 2 else 0.0))
            common = (item, dimension, from_wave, to_wave, wave)
            for level, (lab, p) in enumerate(zip(levels, pct)):
                rows.append(common + ("answer", lab, level, k, bool(k % 2 and level == half), reverse,
                                      by_label.get(lab, 0.0), n_ans, p, left, left + p, total))
                left += p
            dk = 100 * n_dk / total if total > 0 else 0.0
            miss = 100 * n_miss / total if total > 0 else 0.0
            rows.append(common + ("dont_know", np.nan, None, k, False, reverse, n_dk, total, dk,
                                  0.0, 0.0 + dk, total))
            rows.append(common + ("missing", np.nan, None, k, False, reverse, n_miss, total, miss,
                                  0.0 + dk, 0.0 + dk + miss, total))
    out = pd.DataFrame(rows, columns=SHARE_COLUMNS)
    for col in ("item", "dimension", "from_wave", "to_wave", "wave", "kind", "label"):
        out[col] = out[col].astype("str")
    out["level"] = pd.array(out["level"].tolist(), dtype="Int64")
    for col in ("n_levels", "n", "n_base", "n_candidates"):
        out[col] = np.round(out[col].to_numpy(dtype=float)).astype(np.int64)
    for col in ("neutral", "reverse"):
        out[col] = out[col].astype(bool)
    for col in ("pct", "start", "end"):
        out[col] = out[col].astype(float)
    return out
