"""Plain-word sentences and display tables built from the results tables.

The statistics are computed in the statistics modules; this module only
chooses which sentence of the locale files says what a result shows (an
improvement whose 95% interval lies above zero, a change the sample cannot
show...) and fills in the numbers, written the local way. Every function takes
a :class:`impactlib.report.notebook.ReportView` and returns Markdown text or a
display table; none computes a statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["main_pair", "funnel_text", "change_table", "change_sentences", "sample_text",
           "caveats", "classify_change", "interval", "display_table", "quality_table",
           "SMD_NOTABLE"]

SMD_NOTABLE = 0.2  # a standardized mean difference beyond this is "notable" (Cohen's small)


def classify_change(ci_low: float, ci_high: float) -> str:
    """Say whether a change is shown, from its 95% interval.

    Parameters
    ----------
    ci_low, ci_high : float
        Bounds of the change's interval (NaN when unknown).

    Returns
    -------
    str
        ``'improved'`` when the interval lies above 0, ``'worsened'`` when it
        lies below 0, else ``'unclear'`` (an interval holding or touching 0,
        or an unknown bound: the sample does not show a change).

    Examples
    --------
    >>> classify_change(0.1, 0.5)
    'improved'
    >>> classify_change(-0.5, -0.1)
    'worsened'
    >>> classify_change(0.0, 0.3), classify_change(float("nan"), 0.3)
    ('unclear', 'unclear')
    """
    if np.isfinite(ci_low) and ci_low > 0:
        return "improved"
    if np.isfinite(ci_high) and ci_high < 0:
        return "worsened"
    return "unclear"


def interval(view, low: float, high: float, digits: int = 2) -> str:
    """An interval written the local way, or a dash when unknown.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; only its translator ``view.tr`` is used (language and
        number format).
    low, high : float
        Bounds of the interval.
    digits : int
        Decimals shown.

    Returns
    -------
    str
        ``[0,20 ; 0,80]`` in French, ``[0.20, 0.80]`` in English; ``–`` when
        a bound is NaN or infinite.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from impactlib.report.i18n import Translator
    >>> interval(SimpleNamespace(tr=Translator("fr")), 0.2, 0.8)
    '[0,20 ; 0,80]'
    >>> interval(SimpleNamespace(tr=Translator("en")), 12.0, 29.6, digits=0)
    '[12, 30]'
    >>> interval(SimpleNamespace(tr=Translator("en")), float("nan"), 0.8)
    '–'
    """
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    sep = " ; " if view.tr.lang == "fr" else ", "
    return f"[{view.tr.number(low, digits)}{sep}{view.tr.number(high, digits)}]"


def main_pair(view) -> tuple[str, str] | None:
    """The wave pair the synthesis talks about.

    The pair from the first wave to the latest wave with at least two
    candidates answering both (rows of the ``power`` results table, in its
    order).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["power"]`` and ``view.waves`` are used.

    Returns
    -------
    tuple of str or None
        ``(from_wave, to_wave)``, or None when no pair from the first wave
        has two candidates.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> power = pd.DataFrame({"from_wave": ["T1", "T1", "T2"], "to_wave": ["T2", "T3", "T3"],
    ...                       "n_pairs": [40, 12, 10]})
    >>> main_pair(SimpleNamespace(results={"power": power}, waves=["T1", "T2", "T3"]))
    ('T1', 'T3')
    >>> power["n_pairs"] = [40, 1, 10]
    >>> main_pair(SimpleNamespace(results={"power": power}, waves=["T1", "T2", "T3"]))
    ('T1', 'T2')
    """
    power = view.results.get("power")
    if power is None or power.empty:
        return None
    power = power[power["from_wave"].astype(str) == view.waves[0]]
    usable = power[power["n_pairs"].fillna(0) >= 2]
    if usable.empty:
        return None
    row = usable.iloc[-1]
    return str(row["from_wave"]), str(row["to_wave"])


def funnel_text(view) -> str:
    """The synthesis's sentence on who answered each wave.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["funnel"]`` (:func:`impactlib.stats.attrition.funnel`),
        wave labels and translations are used.

    Returns
    -------
    str
        Markdown: the entrants at the first wave, then for every later wave
        its candidates and their share of the entrants (locale keys
        ``synthesis.funnel`` and ``synthesis.funnel_wave``).
    """
    f = view.results["funnel"]
    first = f.iloc[0]
    rest = [view.tr.t("synthesis.funnel_wave", n=int(r.n_candidates), label=view.label(r.wave),
                      pct=view.tr.percent(r.retention_from_first))
            for r in f.iloc[1:].itertuples()]
    tail = (_list_separator(view).join(rest) + ".") if rest else ""
    return view.tr.html("synthesis.funnel", n_first=int(first.n_candidates),
                        first=view.label(first.wave), rest=tail)


def _list_separator(view) -> str:
    """``" ; "`` in French (space before the semicolon, as before colons), ``"; "`` in English."""
    return " ; " if view.tr.lang == "fr" else "; "


def _pair(table: pd.DataFrame, from_wave: str, to_wave: str) -> pd.DataFrame:
    return table[(table["from_wave"].astype(str) == from_wave)
                 & (table["to_wave"].astype(str) == to_wave)]


def change_table(view, from_wave: str, to_wave: str) -> pd.DataFrame:
    """Change per dimension between two waves, as the synthesis shows it.

    The change is the mixed model's estimate (every available answer), with
    its 95% margin and the share of candidates whose improvement is reliable
    (RCI).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["dimension_model"]`` and
        ``view.results["rci"]`` are used.
    from_wave, to_wave : str
        Wave keys of the pair.

    Returns
    -------
    pandas.DataFrame
        One row per dimension: ``dimension``, ``change``, ``margin`` and
        ``n`` (candidates), as text written the local way, and ``reliable``
        (share of reliable improvement, ``–`` when unknown).
    """
    model = _pair(view.results["dimension_model"], from_wave, to_wave)
    rci = _pair(view.results["rci"], from_wave, to_wave).set_index("dimension")
    rows = []
    for r in model.itertuples():  # one row per dimension: a handful
        rows.append({
            "dimension": r.dimension,
            "change": view.tr.number(r.estimate, 2),
            "margin": interval(view, r.ci_low, r.ci_high),
            "n": view.tr.number(int(r.n_candidates)),
            "reliable": (view.tr.percent(rci.loc[r.dimension, "pct_reliable_improvement"] / 100)
                         if r.dimension in rci.index
                         and np.isfinite(rci.loc[r.dimension, "pct_reliable_improvement"]) else "–"),
        })
    return pd.DataFrame(rows, columns=["dimension", "change", "margin", "n", "reliable"])


def change_sentences(view, from_wave: str, to_wave: str) -> list[str]:
    """One sentence per dimension: improved, worsened, or no change shown.

    The sentence is chosen by :func:`classify_change` on the mixed model's
    interval and filled in with the estimate, its margin and the share of
    reliable improvement.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["dimension_model"]`` and
        ``view.results["rci"]`` are used.
    from_wave, to_wave : str
        Wave keys of the pair.

    Returns
    -------
    list of str
        Markdown sentences (locale keys ``synthesis.improved``,
        ``synthesis.worsened``, ``synthesis.unclear``), in the order of the
        model table.
    """
    model = _pair(view.results["dimension_model"], from_wave, to_wave)
    rci = _pair(view.results["rci"], from_wave, to_wave).set_index("dimension")
    out = []
    for r in model.itertuples():
        kind = classify_change(r.ci_low, r.ci_high)
        pct = (rci.loc[r.dimension, "pct_reliable_improvement"] / 100
               if r.dimension in rci.index else np.nan)
        out.append(view.tr.html(
            f"synthesis.{kind}", dimension=r.dimension,
            estimate=view.tr.number(abs(r.estimate) if kind != "unclear" else r.estimate, 2),
            ci_low=view.tr.number(r.ci_low, 2), ci_high=view.tr.number(r.ci_high, 2),
            pct_rci=view.tr.percent(pct) if np.isfinite(pct) else "–"))
    return out


def sample_text(view, from_wave: str, to_wave: str) -> str:
    """What the sample can detect between two waves, in words.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["power"]`` (smallest detectable effect,
        pairs and entrants needed) and wave labels are used.
    from_wave, to_wave : str
        Wave keys of the pair.

    Returns
    -------
    str
        Markdown (locale key ``synthesis.sample``), or the sentence saying
        that too few candidates answered both waves (``synthesis.sample_none``)
        when the pair has no finite smallest detectable effect.
    """
    power = _pair(view.results["power"], from_wave, to_wave)
    labels = {"from_label": view.label(from_wave), "to_label": view.label(to_wave)}
    if power.empty or not np.isfinite(power["mdes"].iloc[0]):
        return view.tr.html("synthesis.sample_none", **labels)
    p = power.iloc[0]
    entrants = p.get("entrants_for_d_0.3")
    return view.tr.html(
        "synthesis.sample", n_pairs=int(p["n_pairs"]), mdes=view.tr.number(p["mdes"], 2),
        n_needed=int(p["n_for_d_0.3"]),
        entrants=int(entrants) if pd.notna(entrants) else "–", **labels)


def caveats(view) -> list[str]:
    """The reading precautions that apply to this report.

    Always: no comparison group, self-reported answers, small groups hidden.
    When known: the retention at the last wave with whether those who stayed
    scored like the others at the start (mean SMD of the dimensions beyond
    :data:`SMD_NOTABLE` or not), and whether the conclusions depend on the
    method (:func:`sensitivity_disagreements`).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results`` ``funnel``, ``attrition``, ``power``,
        ``dimension_model``, ``completers_change`` and ``imputed_change`` are
        used.

    Returns
    -------
    list of str
        Markdown sentences, in reading order.
    """
    tr = view.tr
    out = [tr.html("synthesis.caveat_no_control")]
    f = view.results["funnel"]
    last_share = f["retention_from_first"].iloc[-1] if len(f) > 1 else 1.0
    att = view.results.get("attrition")
    if att is not None and not att.empty and len(f) > 1:
        dims = att[(att["kind"] == "dimension") & ~att["suppressed"].astype(bool)]
        smd = dims["smd"].mean() if len(dims) else np.nan
        if np.isfinite(smd):
            key = ("caveat_attrition_similar" if abs(smd) < SMD_NOTABLE
                   else "caveat_attrition_higher" if smd > 0 else "caveat_attrition_lower")
            detail = tr.t(f"synthesis.{key}", smd=tr.number(smd, 2))
            out.append(tr.html("synthesis.caveat_attrition", pct=tr.percent(last_share),
                               detail=detail))
    differs = sensitivity_disagreements(view)
    if differs is not None:
        out.append(tr.html("synthesis.caveat_sensitivity_differs", n=differs) if differs
                   else tr.html("synthesis.caveat_sensitivity_same"))
    out += [tr.html("synthesis.caveat_self_report"), tr.html("synthesis.caveat_small_groups")]
    return out


def sensitivity_disagreements(view) -> int | None:
    """Dimensions whose conclusion differs between the three ways of estimating change.

    For the pair of :func:`main_pair`, each dimension's conclusion
    (:func:`classify_change`: improved, worsened, unclear) by the mixed model
    (every available answer), by the completers (candidates answering both
    waves) and after multiple imputation is compared.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results`` ``power``, ``dimension_model``,
        ``completers_change`` and ``imputed_change`` are used.

    Returns
    -------
    int or None
        Number of dimensions whose three conclusions are not all the same;
        None when there is no main pair or no dimension estimated by all
        three methods.
    """
    pair = main_pair(view)
    if pair is None:
        return None
    frames = []
    for name, est in (("dimension_model", "estimate"), ("completers_change", "mean_diff"),
                      ("imputed_change", "estimate")):
        t = _pair(view.results[name], *pair)
        frames.append(pd.Series([classify_change(a, b) for a, b in zip(t["ci_low"], t["ci_high"])],
                                index=t["dimension"], name=name))
    table = pd.concat(frames, axis=1).dropna()
    if table.empty:
        return None
    return int((table.nunique(axis=1) > 1).sum())


def display_table(view, frame: pd.DataFrame, digits: dict | None = None) -> pd.DataFrame:
    """A copy of a table with numbers written the local way, NaN as a dash.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; only its translator ``view.tr`` is used.
    frame : pandas.DataFrame
        The table to show.
    digits : dict, optional
        ``{column: decimals}`` for the columns to write, or ``{column: "p"}``
        for a p-value column (:meth:`impactlib.report.i18n.Translator.p_value`:
        ``< 0,001`` below 0.001, else 3 decimals); other columns (and names
        not in ``frame``) are left as they are.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` whose listed columns hold text.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> from impactlib.report.i18n import Translator
    >>> t = pd.DataFrame({"dimension": ["A", "B"], "alpha": [0.8123, float("nan")]})
    >>> display_table(SimpleNamespace(tr=Translator("fr")), t, {"alpha": 2})
      dimension alpha
    0         A  0,81
    1         B     –
    >>> display_table(SimpleNamespace(tr=Translator("fr")), pd.DataFrame({"p": [0.0004, 0.5]}),
    ...               {"p": "p"})["p"].str.replace("\xa0", " ").tolist()
    ['< 0,001', '0,500']
    """
    out = frame.copy()
    for col, d in (digits or {}).items():
        if col not in out:
            continue
        if d == "p":
            out[col] = [view.tr.p_value(float(v)) if pd.notna(v) else "–" for v in out[col]]
        else:
            out[col] = [view.tr.number(v, d) if pd.notna(v) and np.isfinite(v) else "–"
                        for v in out[col]]
    return out


def _arrow(view, from_wave, to_wave) -> str:
    return f"{view.label(from_wave)} → {view.label(to_wave)}"


def _suppressed(view, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Write "fewer than 5" in the shown columns of suppressed rows."""
    if "suppressed" in frame:
        hidden = frame["suppressed"].astype(bool).to_numpy()
        for col in columns:
            frame[col] = frame[col].astype(object)
            frame.loc[hidden, col] = view.t("common.suppressed")
    return frame


def rates_table(view) -> pd.DataFrame:
    """Questionnaires due, answered, missed and not yet due per wave (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["attrition_rates"]``
        (:func:`impactlib.stats.attrition.attrition_rates`) and wave labels
        are used.

    Returns
    -------
    pandas.DataFrame
        ``wave`` (label), ``n_due``, ``n_answered``, ``n_missed``,
        ``n_not_yet_due`` (counts written the local way) and
        ``response_rate`` (percentage text, ``–`` when nothing is due).
    """
    r = view.results["attrition_rates"]
    counts = ["n_due", "n_answered", "n_missed", "n_not_yet_due"]
    out = display_table(view, r[["wave"] + counts].copy(), dict.fromkeys(counts, 0))
    out["wave"] = [view.label(w) for w in out["wave"]]
    out["response_rate"] = [view.tr.percent(v) if pd.notna(v) else "–" for v in r["response_rate"]]
    return out


def due_days_text(view) -> str:
    """Days after entry when the middle waves are due, for the report's note.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.waves`` and the study's ``due_days`` are used
        (:func:`impactlib.stats.attrition.due_offsets`).

    Returns
    -------
    str
        The days of each middle wave written the local way, as a list
        (``120 et 180`` in French, ``120 and 180`` in English); ``–`` when the
        study has no middle wave.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from impactlib.report.i18n import Translator
    >>> view = SimpleNamespace(waves=["T1", "T2", "T3", "T4"], tr=Translator("fr"),
    ...                        study=SimpleNamespace(due_days={"T2": 120}))
    >>> due_days_text(view)
    '120 et 180'
    """
    from impactlib.stats.attrition import due_offsets

    offsets = due_offsets(view.waves, view.study.due_days)
    days = [view.tr.number(offsets[w]) for w in view.waves[1:-1]]
    if not days:
        return "–"
    last = " et " if view.tr.lang == "fr" else " and "
    return last.join([", ".join(days[:-1]), days[-1]]) if len(days) > 1 else days[0]


def timing_table(view) -> pd.DataFrame:
    """Days between the questionnaires of the same candidate, per wave pair (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["timing"]``
        (:func:`impactlib.stats.attrition.days_between_waves`) and wave labels
        are used.

    Returns
    -------
    pandas.DataFrame
        ``pair`` (``Entrée → Sortie``), ``n``, ``median_days`` and ``iqr``
        (first to third quartile, as :func:`interval`), as text written the
        local way.
    """
    t = view.results["timing"]
    return pd.DataFrame({
        "pair": [_arrow(view, a, b) for a, b in zip(t["from_wave"], t["to_wave"])],
        "n": [view.tr.number(int(v)) for v in t["n"]],
        "median_days": [view.tr.number(v, 0) if pd.notna(v) else "–" for v in t["median_days"]],
        "iqr": [interval(view, a, b, 0) for a, b in zip(t["q1_days"], t["q3_days"])]})


def dropout_tables(view) -> list[tuple[tuple[str, str], pd.DataFrame]]:
    """Who drops out, one display table per consecutive wave pair.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["attrition"]``
        (:func:`impactlib.stats.attrition.attrition_table`) is used.

    Returns
    -------
    list of ((str, str), pandas.DataFrame)
        For each pair ``(from_wave, to_wave)``, its table: ``variable``,
        ``level``, ``n_returned``, ``n_dropped``, ``mean_returned``,
        ``mean_dropped``, ``smd``, ``p_value``, numbers written the local way
        (p-values as :meth:`impactlib.report.i18n.Translator.p_value`: ``<
        0,001`` below 0.001) and groups under the privacy threshold written
        "fewer than 5". Empty
        when there is no attrition table.
    """
    att = view.results.get("attrition")
    if att is None or att.empty:
        return []
    out = []
    cols = ["variable", "level", "n_returned", "n_dropped", "mean_returned", "mean_dropped",
            "smd", "p_value"]
    for (a, b), t in att.groupby(["from_wave", "to_wave"], sort=False):
        shown = display_table(view, t[cols + ["suppressed"]].copy(),
                              {"n_returned": 0, "n_dropped": 0, "mean_returned": 2,
                               "mean_dropped": 2, "smd": 2, "p_value": "p"})
        shown["level"] = shown["level"].fillna("")
        shown = _suppressed(view, shown, ["mean_returned", "mean_dropped", "smd", "p_value"])
        out.append(((str(a), str(b)), shown[cols]))
    return out


def mcar_text(view) -> str:
    """Little's test in words: are the missing answers of a wave missing at random?

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["mcar"]``
        (:func:`impactlib.stats.attrition.little_mcar`, one row) is used.

    Returns
    -------
    str
        Markdown (locale key ``attrition.mcar``) with chi-square, degrees of
        freedom, p-value (``p = 0,049``, ``p < 0,001``) and the verdict (random at p >= 0.05, not random
        below, or why the test could not be computed); ``""`` when there is no
        test result.
    """
    m = view.results.get("mcar")
    if m is None or m.empty:
        return ""
    r = m.iloc[0]
    tr = view.tr
    if not np.isfinite(r["p_value"]):
        verdict = tr.t("attrition.mcar_na", note=r.get("note") or "–")
    else:
        verdict = tr.t("attrition.mcar_random" if r["p_value"] >= 0.05 else "attrition.mcar_not_random")
    return tr.html("attrition.mcar", wave=view.label(r["wave"]),
                   chi2=tr.number(r["chi2"], 1) if np.isfinite(r["chi2"]) else "–",
                   df=int(r["df"]) if np.isfinite(r["df"]) else "–",
                   p=tr.p(float(r["p_value"])),
                   verdict=verdict)


def item_pairs(view) -> list[tuple[str, str, int | str]]:
    """Wave pairs from the first wave with at least 2 candidates answering both.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["item_change"]`` (which pairs),
        ``view.results["item_shares"]`` (how many candidates) and
        ``view.waves`` are used.

    Returns
    -------
    list of (str, str, int or str)
        ``(from_wave, to_wave, n)`` in the order of the item table. ``n`` is
        the number of candidates who filled in both questionnaires, from the
        ``n_candidates`` column of ``item_shares``: the same table and the
        same number as the ``n =`` of the pair's answer bars
        (:func:`impactlib.report.figures.diverging_bars`). When the items
        were not all asked at both waves, these counts differ between items
        and ``n`` is their range written as the figure writes it
        (``147 à 149``). A pair is kept when at least one item has 2
        candidates answering it at both waves (``n_pairs`` of
        ``item_change``, which leaves out blank and "don't know" answers and
        is shown item by item).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> from impactlib.report.i18n import Translator
    >>> ic = pd.DataFrame({"from_wave": ["T1", "T1", "T1", "T2"], "to_wave": ["T2", "T2", "T3", "T3"],
    ...                    "item": ["Q1", "Q2", "Q1", "Q1"], "n_pairs": [30, 28, 1, 12]})
    >>> shares = pd.DataFrame({"from_wave": ["T1", "T1", "T1", "T2"], "to_wave": ["T2", "T2", "T3", "T3"],
    ...                        "item": ["Q1", "Q2", "Q1", "Q1"], "n_candidates": [31, 31, 2, 12]})
    >>> view = SimpleNamespace(results={"item_change": ic, "item_shares": shares},
    ...                        waves=["T1", "T2", "T3"], tr=Translator("fr"))
    >>> item_pairs(view)
    [('T1', 'T2', 31)]
    >>> view.results["item_shares"] = shares.assign(n_candidates=[31, 29, 2, 12])
    >>> item_pairs(view)
    [('T1', 'T2', '29 à 31')]
    """
    ic = view.results["item_change"]
    shares = view.results["item_shares"]
    first = view.waves[0]
    out = []
    for (a, b), t in ic.groupby(["from_wave", "to_wave"], sort=False):
        if str(a) == first and t["n_pairs"].max() >= 2:
            n = _pair(shares, str(a), str(b))["n_candidates"].dropna()
            low, high = (int(n.min()), int(n.max())) if len(n) else (0, 0)
            out.append((str(a), str(b), high if low == high
                        else view.tr.t("figures.common.n_range", low=low, high=high)))
    return out


def item_table(view, from_wave: str, to_wave: str) -> pd.DataFrame:
    """Question by question change between two waves (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["item_change"]`` and the codebook's item
        texts (``view.data.items``) are used.
    from_wave, to_wave : str
        Wave keys of the pair.

    Returns
    -------
    pandas.DataFrame
        ``item``, ``text``, ``n_pairs``, ``mean_from``, ``mean_to``,
        ``pct_improved``, ``pct_stable``, ``pct_worsened``, ``effect_size``,
        ``p_adjusted``, numbers written the local way (``< 0,001`` for an
        adjusted p below 0.001).
    """
    t = _pair(view.results["item_change"], from_wave, to_wave).copy()
    texts = view.data.items.set_index("item")["text"]
    t["text"] = t["item"].map(texts)
    cols = ["item", "text", "n_pairs", "mean_from", "mean_to", "pct_improved", "pct_stable",
            "pct_worsened", "effect_size", "p_adjusted"]
    return display_table(view, t[cols], {"n_pairs": 0, "mean_from": 2, "mean_to": 2,
                                         "pct_improved": 0, "pct_stable": 0, "pct_worsened": 0,
                                         "effect_size": 2, "p_adjusted": "p"})


def top_items(view, from_wave: str, to_wave: str, n: int = 3) -> list[str]:
    """The items whose answers moved most between two waves.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["item_change"]`` is used.
    from_wave, to_wave : str
        Wave keys of the pair.
    n : int
        How many items.

    Returns
    -------
    list of str
        Item codes by decreasing absolute effect size (rank-biserial r),
        either way; items without an effect size are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> ic = pd.DataFrame({"from_wave": "T1", "to_wave": "T2", "item": ["Q1", "Q2", "Q3", "Q4"],
    ...                    "effect_size": [0.1, -0.6, float("nan"), 0.4]})
    >>> top_items(SimpleNamespace(results={"item_change": ic}), "T1", "T2", n=2)
    ['Q2', 'Q4']
    """
    t = _pair(view.results["item_change"], from_wave, to_wave).dropna(subset=["effect_size"])
    return t.reindex(t["effect_size"].abs().sort_values(ascending=False).index)["item"].head(n).tolist()


def reliability_table(view) -> pd.DataFrame:
    """Reliability of each dimension at each wave (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["reliability"]`` and wave labels are used.

    Returns
    -------
    pandas.DataFrame
        ``dimension``, ``wave`` (label), ``n``, ``alpha``, ``margin`` (alpha's
        interval, as :func:`interval`), ``omega``, numbers written the local
        way.
    """
    r = view.results["reliability"]
    out = display_table(view, r[["dimension", "wave", "n", "alpha", "omega"]].copy(),
                        {"n": 0, "alpha": 2, "omega": 2})
    out["wave"] = [view.label(w) for w in r["wave"]]
    out.insert(4, "margin", [interval(view, a, b) for a, b in zip(r["ci_low"], r["ci_high"])])
    return out


def model_table(view) -> pd.DataFrame:
    """The mixed model's change per dimension and wave pair (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["dimension_model"]`` and wave labels are
        used.

    Returns
    -------
    pandas.DataFrame
        ``dimension``, ``term`` (``Entrée → Sortie``), ``estimate``,
        ``margin`` (as :func:`interval`), ``p_value`` (``< 0,001`` below
        0.001), ``n_candidates``, numbers written the local way.
    """
    m = view.results["dimension_model"]
    out = display_table(view, m[["dimension", "estimate", "p_value", "n_candidates"]].copy(),
                        {"estimate": 2, "p_value": "p", "n_candidates": 0})
    out.insert(1, "term", [_arrow(view, a, b) for a, b in zip(m["from_wave"], m["to_wave"])])
    out.insert(3, "margin", [interval(view, a, b) for a, b in zip(m["ci_low"], m["ci_high"])])
    return out


def largest_pair(view) -> tuple[str, str] | None:
    """The wave pair with the most candidates answering both (subgroups need numbers).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["power"]`` is used.

    Returns
    -------
    tuple of str or None
        ``(from_wave, to_wave)`` of the first pair with the most pairs; None
        when no pair has two candidates.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> power = pd.DataFrame({"from_wave": ["T1", "T1", "T2"], "to_wave": ["T2", "T3", "T3"],
    ...                       "n_pairs": [40, 12, 40]})
    >>> largest_pair(SimpleNamespace(results={"power": power}))
    ('T1', 'T2')
    """
    power = view.results.get("power")
    if power is None or power.empty or power["n_pairs"].max() < 2:
        return None
    row = power.loc[power["n_pairs"].idxmax()]
    return str(row["from_wave"]), str(row["to_wave"])


def subgroup_tables(view, from_wave: str, to_wave: str) -> dict[str, pd.DataFrame | None]:
    """Change by covariate and by exit status, suppressed groups written as such.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["subgroups"]`` is used.
    from_wave, to_wave : str
        Wave keys of the pair.

    Returns
    -------
    dict
        ``{"covariates": table or None, "exit_status": table or None}``; each
        table has ``variable``, ``group``, ``dimension``, ``n``,
        ``mean_diff`` and ``margin``, with "fewer than 5" in the groups under
        the privacy threshold. None where there is nothing to show.
    """
    sub = view.results.get("subgroups")
    out: dict[str, pd.DataFrame | None] = {"covariates": None, "exit_status": None}
    if sub is None or sub.empty:
        return out
    sub = _pair(sub, from_wave, to_wave)
    for key, part in (("covariates", sub[sub["variable"] != "exit_status"]),
                      ("exit_status", sub[sub["variable"] == "exit_status"])):
        if part.empty:
            continue
        shown = display_table(view, part[["variable", "group", "dimension", "n", "mean_diff",
                                          "suppressed"]].copy(), {"n": 0, "mean_diff": 2})
        shown.insert(5, "margin", [interval(view, a, b)
                                   for a, b in zip(part["ci_low"], part["ci_high"])])
        shown = _suppressed(view, shown, ["n", "mean_diff", "margin"])
        out[key] = shown[["variable", "group", "dimension", "n", "mean_diff", "margin"]]
    return out


def power_display(view) -> pd.DataFrame:
    """What the sample can detect, per wave pair (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["power"]`` and wave labels are used.

    Returns
    -------
    pandas.DataFrame
        ``pair`` (``Entrée → Sortie``), ``n_pairs``, ``mdes`` (smallest
        detectable effect), ``n_for_d_0.2``, ``n_for_d_0.3``,
        ``n_for_d_0.5`` and ``entrants_for_d_0.3``, as text written the local
        way (``–`` when unknown).
    """
    p = view.results["power"]
    out = pd.DataFrame({"pair": [_arrow(view, a, b) for a, b in zip(p["from_wave"], p["to_wave"])]})
    counts = ["n_pairs", "n_for_d_0.2", "n_for_d_0.3", "n_for_d_0.5", "entrants_for_d_0.3"]
    shown = display_table(view, p[counts + ["mdes"]].reset_index(drop=True),
                          {**dict.fromkeys(counts, 0), "mdes": 2})
    return pd.concat([out, shown[["n_pairs", "mdes"] + counts[1:]]], axis=1)


def quality_alerts(view) -> list[str]:
    """Sentences for the quality page: waves with many unreadable answers, sheets read.

    A wave whose unreadable answers exceed
    :data:`impactlib.intake.ingest.INVALID_SHARE_WARNING` (5%) of its answer
    cells (kept questionnaires x items found) is named: so many usually means
    a misread export (encoding, labels), which must be checked before reading
    anything about that wave. For each workbook, the sheet that was read is
    named.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["quality"]`` is used (``cells_invalid``,
        ``rows_kept``, ``items_found`` and, when present, ``sheet``).

    Returns
    -------
    list of str
        Markdown sentences (HTML-escaped values), possibly empty.
    """
    from impactlib.intake.ingest import INVALID_SHARE_WARNING

    tr = view.tr
    q = view.results["quality"]
    out = []
    if {"items_found", "rows_kept", "cells_invalid"} <= set(q.columns):
        cells = q["rows_kept"].astype(float) * q["items_found"].astype(float)
        share = q["cells_invalid"].astype(float) / cells.where(cells > 0)
        for wave, n, total, s in zip(q["wave"], q["cells_invalid"], cells, share):
            if s == s and s > INVALID_SHARE_WARNING:
                out.append(tr.html("quality.invalid_alert", wave=view.label(wave),
                                   pct=tr.percent(s), n=int(n), total=int(total)))
    if "sheet" in q.columns:
        for wave, file, sheet in zip(q["wave"], q["file"], q["sheet"]):
            if isinstance(sheet, str) and sheet:
                out.append(tr.html("quality.sheet_read", wave=view.label(wave), file=file,
                                   sheet=sheet))
    return out


def quality_table(view) -> pd.DataFrame:
    """Rows read, kept and set aside per questionnaire file (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["quality"]`` and wave labels are used.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`impactlib.report.results.QUALITY_COLUMNS`:
        ``wave`` as its label (``Entrée``), ``file``, and the counts written
        the local way (``1 234``).
    """
    from impactlib.report.results import QUALITY_COLUMNS

    q = view.results["quality"]
    counts = [c for c in QUALITY_COLUMNS if c not in ("wave", "file")]
    out = display_table(view, q[QUALITY_COLUMNS].copy(), dict.fromkeys(counts, 0))
    out["wave"] = [view.label(w) for w in q["wave"]]
    return out
