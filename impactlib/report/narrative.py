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
           "SMD_NOTABLE", "cohort_unit", "cohort_table", "change_texts", "projection_texts",
           "followup_tables", "followup_intro", "collection_synthesis", "ordinal_sentence",
           "outcomes_recorded", "outcome_months", "target_verdict", "funder_texts", "exit_unit",
           "outcome_cohort_table", "exit_status_intro", "exit_status_table", "soft_hard_texts",
           "soft_hard_table", "employment_model_text", "policy_dates", "policy_profile_texts",
           "policy_outcome_texts",
           "policy_profile_table", "policy_outcome_table", "outcomes_synthesis"]

SMD_NOTABLE = 0.2  # a standardized mean difference beyond this is "notable" (Cohen's small)
FMI_HIGH = 0.5  # above this fraction of missing information, an imputed estimate mostly
#                reflects the imputation model (issue 15)


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
    scored like the others at the start (:func:`dropout_caveat`), whether
    the conclusions depend on the method (:func:`sensitivity_disagreements`),
    and, when a fraction of missing information of the main pair's imputation
    exceeds :data:`FMI_HIGH`, that the imputed estimate mostly reflects the
    imputation model (an assumption, not a finding), and the smallest shift
    of the missing scores that would overturn an improvement
    (:func:`tipping_caveat`).

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
    detail = dropout_caveat(view) if len(f) > 1 else ""
    if detail:
        out.append(tr.html("synthesis.caveat_attrition", pct=tr.percent(last_share),
                           detail=detail))
    differs = sensitivity_disagreements(view)
    if differs is not None:
        out.append(tr.html("synthesis.caveat_sensitivity_differs", n=differs) if differs
                   else tr.html("synthesis.caveat_sensitivity_same"))
    pair = main_pair(view)
    imputed = view.results.get("imputed_change")
    if pair is not None and imputed is not None and "fmi" in imputed:
        fmi = _pair(imputed, *pair)["fmi"].astype(float).dropna()
        if len(fmi) and fmi.max() > FMI_HIGH:
            out.append(tr.html("synthesis.caveat_imputation_model", from_label=view.label(pair[0]),
                               to_label=view.label(pair[1]), fmi_high=tr.number(fmi.max(), 2)))
    tipping = tipping_caveat(view, *pair) if pair is not None else ""
    if tipping:
        out.append(tipping)
    out += [tr.html("synthesis.caveat_self_report"), tr.html("synthesis.caveat_small_groups")]
    return out


def dropout_caveat(view) -> str:
    """Whether those who stay differ from those who leave, as the synthesis says it.

    The wording rule (issue 15): the report never says that data are missing
    at random. The dropout comparison decides the sentence: when any shown
    dimension row of ``attrition`` (not suppressed) has ``|smd| >=``
    :data:`SMD_NOTABLE` (0.2), the sentence says that those who stay differ
    from those who leave, with the number of such rows (one per dimension and
    consecutive wave pair) and the largest standardized difference, whatever
    Little's test says. Otherwise it says
    that no large difference was found on the measured scores, and that this
    does not show dropout to be random. When Little's test was run
    (``mcar``), a sentence says that it answers another question (are the
    blanks inside the entry questionnaire related to the answers?).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results`` ``attrition`` (rows of ``kind``
        ``"dimension"``, columns ``smd`` and ``suppressed``) and ``mcar``
        (optional) are used.

    Returns
    -------
    str
        Plain text (to be passed as ``detail`` of ``synthesis.caveat_attrition``),
        ``""`` when no dimension row has a standardized difference.
    """
    tr = view.tr
    att = view.results.get("attrition")
    if att is None or att.empty:
        return ""
    dims = att[(att["kind"] == "dimension") & ~att["suppressed"].astype(bool)]
    smd = dims["smd"].astype(float).dropna()
    if smd.empty:
        return ""
    largest = float(smd.iloc[int(np.argmax(smd.abs().to_numpy()))])
    notable = smd[smd.abs() >= SMD_NOTABLE]
    if notable.empty:
        key = "caveat_attrition_similar"
    else:
        key = ("caveat_attrition_higher" if (notable > 0).all()
               else "caveat_attrition_lower" if (notable < 0).all() else "caveat_attrition_mixed")
    text = tr.t(f"synthesis.{key}", smd=tr.number(largest, 2), n_notable=len(notable),
                n_compared=len(smd))
    m = view.results.get("mcar")
    if m is not None and not m.empty:
        text += " " + tr.t("synthesis.caveat_attrition_little", wave=view.label(m["wave"].iloc[0]))
    return text


def imputation_text(view, from_wave: str, to_wave: str) -> str:
    """How much of the multiple-imputation estimate comes from the imputation model.

    The fraction of missing information (``fmi`` of ``imputed_change``, Rubin's
    rules with the Barnard-Rubin degrees of freedom, see
    :func:`impactlib.stats.dimension_change.pool_rubin`) is given as its range
    over the dimensions of the pair. Above :data:`FMI_HIGH` (0.5) the sentence
    says that the imputed estimate mostly reflects the imputation model, which
    assumes the missing answers missing at random given the earlier answers
    and covariates: an assumption, not a finding (issue 15). Below, it says the
    estimate rests mostly on the observed answers, under the same assumption.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["imputed_change"]``
        (:func:`impactlib.stats.dimension_change.imputed_change`: ``fmi``,
        ``n``, ``n_imputed``) is used.
    from_wave, to_wave : str
        The pair of waves.

    Returns
    -------
    str
        Markdown (locale key ``attrition.imputation_fmi``); ``""`` when the
        pair has no finite fraction of missing information.
    """
    tr = view.tr
    imputed = view.results.get("imputed_change")
    if imputed is None or "fmi" not in imputed:
        return ""
    rows = _pair(imputed, from_wave, to_wave)
    rows = rows[np.isfinite(rows["fmi"].astype(float))]
    if rows.empty:
        return ""
    fmi = rows["fmi"].astype(float)
    widest = rows.loc[rows["n_imputed"].astype(float).idxmax()]
    n_high = int((fmi > FMI_HIGH).sum())
    verdict = (tr.t("attrition.imputation_fmi_high", n_high=n_high, n_dimensions=len(fmi))
               if n_high else tr.t("attrition.imputation_fmi_low"))
    return tr.html("attrition.imputation_fmi", from_label=view.label(from_wave),
                   to_label=view.label(to_wave), fmi_low=tr.number(fmi.min(), 2),
                   fmi_high=tr.number(fmi.max(), 2), n_imputed=int(widest["n_imputed"]),
                   n=int(widest["n"]), verdict=verdict)


def tipping_text(view, from_wave: str, to_wave: str) -> str:
    """The tipping points of the delta adjustment, in plain words (issue 15).

    From the ``change_sensitivity`` table
    (:func:`impactlib.stats.sensitivity.delta_adjusted_change`), its rows at
    ``delta == 0`` for the pair: for the improvement that tips soonest, how
    much lower the missing later scores would have to be than the imputation
    assumes for the improvement to be no longer shown (its 95% interval
    reaching 0); the range of that shift over the other improvements; a
    decline's shift upwards; the dimensions with no change shown even at
    ``delta = 0`` (nothing to overturn), those whose conclusion holds over
    the whole range of the scores, those with nothing imputed. It never says
    a result is robust: whether a shift is plausible is a judgement on the
    absent candidates that no calculation makes, and the text says so.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["change_sensitivity"]`` is used.
    from_wave, to_wave : str
        The pair of waves.

    Returns
    -------
    str
        Markdown (locale keys ``attrition.tipping_*``); ``""`` without the
        table or a row for the pair.
    """
    tr = view.tr
    table = view.results.get("change_sensitivity")
    if table is None or table.empty:
        return ""
    rows = _pair(table, from_wave, to_wave)
    rows = rows[rows["delta"].astype(float) == 0]
    if rows.empty:
        return ""
    labels = {"from_label": view.label(from_wave), "to_label": view.label(to_wave)}
    last = " et " if tr.lang == "fr" else " and "

    def names(frame):
        quoted = [tr.t("attrition.tipping_quote", dimension=d) for d in frame["dimension"]]
        return last.join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else quoted[0]

    status = rows["tipping"].astype(str)
    found = rows.loc[(status == "found").to_numpy()].assign(
        shift=lambda f: f["tipping_delta"].astype(float).abs()).sort_values("shift")
    up = found.loc[(found["estimate"].astype(float) > 0).to_numpy()]
    down = found.loc[(found["estimate"].astype(float) < 0).to_numpy()]
    out = []
    if len(up):
        first = up.iloc[0]
        out.append(tr.html("attrition.tipping_first", dimension=first["dimension"],
                           delta=tr.number(first["shift"], 2),
                           estimate=tr.number(first["estimate"], 2), **labels))
        others = up.iloc[1:]
        if len(others) == 1:
            out.append(tr.html("attrition.tipping_other", dimension=others["dimension"].iloc[0],
                               delta=tr.number(others["shift"].iloc[0], 2)))
        elif len(others) > 1:
            out.append(tr.html("attrition.tipping_others", n=len(others),
                               low=tr.number(others["shift"].min(), 2),
                               high=tr.number(others["shift"].max(), 2)))
    for r in down.itertuples():
        out.append(tr.html("attrition.tipping_decline", dimension=r.dimension,
                           delta=tr.number(r.shift, 2), **labels))
    for key, kind in (("tipping_beyond", "beyond_range"), ("tipping_not_needed", "not_needed"),
                      ("tipping_none_imputed", "none_imputed")):
        some = rows[status == kind]
        if len(some):
            out.append(tr.html(f"attrition.{key}", n=len(some), dimensions=names(some), **labels))
    if len(up) or len(down):
        out.append(tr.html("attrition.tipping_judgement", **labels))
    return " ".join(out)


def tipping_caveat(view, from_wave: str, to_wave: str) -> str:
    """The synthesis's sentence on the tipping point: the most fragile improvement.

    Of the ``change_sensitivity`` rows of the pair at ``delta == 0`` whose
    tipping point was found (``tipping == "found"``) and whose change is an
    improvement (estimate > 0), the one with the smallest shift ``|delta|``:
    how much lower the missing later scores would have to be than the
    imputation assumes for that improvement to be no longer shown. The
    synthesis says it beside the agreement of the three methods, which all
    assume the answers missing at random given what is known: that agreement
    alone would reassure where the tipping point may not.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["change_sensitivity"]`` is used.
    from_wave, to_wave : str
        The pair of waves.

    Returns
    -------
    str
        Markdown (locale key ``synthesis.caveat_tipping``); ``""`` without
        the table or when no improvement has a tipping point.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> from impactlib.report.i18n import Translator
    >>> table = pd.DataFrame({"dimension": ["A", "B"], "from_wave": "T1", "to_wave": "T3",
    ...                       "delta": 0.0, "estimate": [0.5, 0.4], "tipping": "found",
    ...                       "tipping_delta": [-0.52, -0.34]})
    >>> view = SimpleNamespace(tr=Translator("en"), results={"change_sensitivity": table},
    ...                        label={"T1": "Entry", "T3": "Exit"}.get)
    >>> print(tipping_caveat(view, "T1", "T3"))  # doctest: +NORMALIZE_WHITESPACE
    These improvements rest on an assumption about those who are missing: if the candidates
    who did not fill in the Exit questionnaire had in fact scored 0.34 points lower than the
    imputation assumes, the improvement in “B” would already no longer be shown (see the
    "Dropout" page).
    """
    table = view.results.get("change_sensitivity")
    if table is None or table.empty:
        return ""
    rows = _pair(table, from_wave, to_wave)
    rows = rows[(rows["delta"].astype(float) == 0).to_numpy()
                & (rows["tipping"].astype(str) == "found").to_numpy()
                & (rows["estimate"].astype(float) > 0).to_numpy()]
    if rows.empty:
        return ""
    shift = rows["tipping_delta"].astype(float).abs()
    first = rows.iloc[int(np.argmin(shift.to_numpy()))]
    return view.tr.html("synthesis.caveat_tipping", to_label=view.label(to_wave),
                        dimension=first["dimension"],
                        delta=view.tr.number(float(shift.min()), 2))


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
    """Little's test in words, labelled with the question it answers.

    The test is run on the item non-response inside one questionnaire: it
    answers "are the blanks inside this questionnaire related to the
    answers?", not "is dropout random?" (issue 15), and the sentence says so.
    The test on wave dropout (dimension scores of every wave, candidates as
    rows) is written beside it, labelled with its own question; neither
    sentence says that data are missing at random.
    Whether those who stay differ from those who leave is said by
    :func:`dropout_caveat`, from the dropout comparison.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["mcar"]``
        (:func:`impactlib.stats.attrition.little_mcar`, one row per
        ``question``: ``item_nonresponse``, ``wave_dropout``; a table without
        ``question`` is read as the item-level test) is used.

    Returns
    -------
    str
        Markdown, one paragraph per test (locale keys ``attrition.mcar``,
        ``attrition.mcar_dropout``), each labelled with its question, with chi-square, degrees of
        freedom, p-value (``p = 0,049``, ``p < 0,001``) and the verdict (no link
        found between blanks and answers at p >= 0.05, a link below, or why the
        test could not be computed); ``""`` when there is no test result.
    """
    m = view.results.get("mcar")
    if m is None or m.empty:
        return ""
    if "question" not in m:
        m = m.assign(question="item_nonresponse")
    tr = view.tr
    out = []
    for question, key, no_link, link in (
            ("item_nonresponse", "attrition.mcar", "attrition.mcar_random",
             "attrition.mcar_not_random"),
            ("wave_dropout", "attrition.mcar_dropout", "attrition.mcar_dropout_no_link",
             "attrition.mcar_dropout_link")):
        rows = m[m["question"] == question]
        if rows.empty:
            continue
        r = rows.iloc[0]
        if not np.isfinite(r["p_value"]):
            verdict = tr.t("attrition.mcar_na", note=r.get("note") or "–")
        else:
            verdict = tr.t(no_link if r["p_value"] >= 0.05 else link)
        out.append(tr.html(key, wave=view.label(r["wave"]),
                           chi2=tr.number(r["chi2"], 1) if np.isfinite(r["chi2"]) else "–",
                           df=int(r["df"]) if np.isfinite(r["df"]) else "–",
                           p=tr.p(float(r["p_value"])),
                           verdict=verdict))
    return "\n\n".join(out)


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


def ordinal_sentence(view, from_wave: str, to_wave: str) -> str:
    """What the ordinal model says of the items, in plain words, with its assumption.

    Counts the items of the pair by the status given by
    :func:`impactlib.stats.ordinal_effects.ordinal_effects` (the 95% interval
    of the probability that a typical candidate answers higher lies above
    50%, below, or holds it; no estimate; suppressed under 5 candidates) and
    says them in one sentence, then, as honest reading requires: that each
    item is judged on its own, without correction for their number (about 5%
    of the items would have an interval without 50% by chance alone, said
    when that is at least one item), and that the model uses every answer,
    those of candidates who left included, assuming their missing answers
    are missing at random.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["item_ordinal"]`` is used.
    from_wave, to_wave : str
        Wave keys of the pair.

    Returns
    -------
    str
        Markdown, the values HTML-escaped (locale keys ``items.ordinal_*``);
        ``""`` when the table has no row for the pair.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> from impactlib.report.i18n import Translator
    >>> t = pd.DataFrame({"item": ["Q1", "Q2", "Q3"], "dimension": "D", "from_wave": "T1",
    ...                   "to_wave": "T3", "estimate": [1.0, 0.1, 0.5],
    ...                   "ci_low": [0.2, -0.5, -0.1], "ci_high": [1.8, 0.7, 1.1],
    ...                   "prob_higher": [0.62, 0.51, 0.56], "n_candidates": [120, 118, 3],
    ...                   "converged": True})
    >>> view = SimpleNamespace(results={"item_ordinal": t}, tr=Translator("fr"),
    ...                        label={"T1": "Entrée", "T3": "Sortie"}.get)
    >>> print(ordinal_sentence(view, "T1", "T3").replace("\\xa0", " "))  # doctest: +NORMALIZE_WHITESPACE
    Pour 1 question sur 2, un candidat typique a plus de chances de répondre mieux au
    questionnaire Sortie qu'au questionnaire Entrée (intervalle de confiance à 95 % au-dessus
    de 50 %) ; pour 1, l'échantillon ne permet pas de conclure. 1 question est masquée (moins
    de 5 candidats). Ce modèle utilise toutes les réponses, y compris celles des candidats
    partis avant le questionnaire Sortie : il suppose que leurs réponses manquantes
    ressemblent à celles des candidats restés qui avaient répondu comme eux (réponses
    manquantes au hasard). C'est une hypothèse, pas un constat.
    """
    from impactlib.stats.ordinal_effects import MIN_CANDIDATES, ordinal_effects

    table = view.results.get("item_ordinal")
    if table is None or table.empty:
        return ""
    effects = ordinal_effects(table, from_wave, to_wave)
    if effects.empty:
        return ""
    tr = view.tr
    counts = effects["status"].value_counts()
    total = int(len(effects) - counts["suppressed"])
    labels = {"from_label": view.label(from_wave), "to_label": view.label(to_wave)}
    sentences = []
    if total:
        first = ("items.ordinal_higher" if counts["higher"] else "items.ordinal_none_higher")
        clauses = [tr.html(first, n=int(counts["higher"]), total=total, **labels)]
        clauses += [tr.html(f"items.ordinal_{status}", n=int(counts[status]))
                    for status in ("lower", "unclear", "not_converged") if counts[status]]
        sentences.append(tr.t("items.ordinal_separator").join(clauses) + ".")
    if counts["suppressed"]:
        sentences.append(tr.html("items.ordinal_suppressed", n=int(counts["suppressed"]),
                                 n_min=MIN_CANDIDATES))
    estimated = total - int(counts["not_converged"])
    if round(0.05 * estimated) >= 1:
        sentences.append(tr.html("items.ordinal_multiple", n_chance=tr.number(0.05 * estimated),
                                 total=estimated))
    if total:
        sentences.append(tr.html("items.ordinal_mar", **labels))
    return " ".join(sentences)


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
        ``dimension``, ``term`` (``Entrée → Sortie``, every wave pair of
        the table), ``estimate``, ``margin`` (as :func:`interval`),
        ``p_value`` (the model's ``p_satterthwaite``, lmerTest's t test;
        ``< 0,001`` below 0.001), ``n_candidates``, numbers written the
        local way.
    """
    m = view.results["dimension_model"]
    shown = m[["dimension", "estimate", "p_satterthwaite", "n_candidates"]].rename(
        columns={"p_satterthwaite": "p_value"})
    out = display_table(view, shown, {"estimate": 2, "p_value": "p", "n_candidates": 0})
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


# ---------------------------------------------------------------------------
# Following up data collection (page 06_collecte, issue 12)
# ---------------------------------------------------------------------------


def _signed_points(view, share: float) -> str:
    """A difference of two shares in percentage points, signed: ``+18``, ``-3``, ``0``."""
    value = round(100 * float(share))
    text = view.tr.number(abs(value))
    return "0" if value == 0 else ("+" if value > 0 else "-") + text


def _ratio(view, value: float) -> str:
    """An odds ratio with two significant digits or so: ``0,52``, ``7,1``, ``24``."""
    digits = 2 if value < 1 else 1 if value < 10 else 0
    return view.tr.number(value, digits)


def _labels(view, waves) -> str:
    """Wave labels as a list in words: ``Mi-parcours et Sortie``."""
    names = [view.label(w) for w in waves]
    last = " et " if view.tr.lang == "fr" else " and "
    return last.join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def cohort_unit(view) -> str:
    """The cohorts' length in words (``trimestre``, ``quarter``), from ``collection_cohorts``.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["collection_cohorts"]`` (its ``period``)
        is used.

    Returns
    -------
    str
        Locale key ``dates.cohort.<period>``; ``""`` without the table.
    """
    cohorts = view.results.get("collection_cohorts")
    if cohorts is None or cohorts.empty:
        return ""
    return view.tr.t(f"dates.cohort.{cohorts['period'].iloc[0]}")


def cohort_table(view) -> pd.DataFrame:
    """Response rate per wave by cohort of entry, one row per cohort (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["collection_cohorts"]``
        (:func:`impactlib.stats.collection.cohort_response_rates`) and wave
        labels are used.

    Returns
    -------
    pandas.DataFrame
        ``cohort`` (its months in words, ``janv.–mars 2024``),
        ``n_entrants``, then one column per wave, named by the wave's label:
        ``22 % (8/36), 12 % à 38 %`` (rate, answered / due, 95% Wilson
        interval; locale key ``collection.rate_cell``). A rate the table
        suppresses is never shown: ``moins de 5`` when 1 to 4 questionnaires
        were due, ``pas encore dus`` when none was due yet, ``–`` when none
        was due at all. A cohort of fewer than 5 entrants (only when the
        whole study has fewer) shows ``moins de 5``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from impactlib.report.i18n import Translator
    >>> c = pd.DataFrame({"cohort_start": "2024-01-01", "cohort_end": "2024-03-31",
    ...     "period": "quarter", "wave": ["T1", "T2"], "n_entrants": 36, "n_due": [36, 3],
    ...     "n_answered": [36, 1], "n_not_yet_due": [0, 33], "response_rate": [1.0, None],
    ...     "ci_low": [0.9036, None], "ci_high": [1.0, None], "suppressed": [False, True]})
    >>> view = SimpleNamespace(results={"collection_cohorts": c}, tr=Translator("en"),
    ...                        label={"T1": "Entry", "T2": "Exit"}.get)
    >>> cohort_table(view).iloc[0].tolist()
    ['Jan–Mar 2024', '36', '100% (36/36), 90% to 100%', 'fewer than 5']
    """
    c = view.results["collection_cohorts"]
    tr = view.tr
    waves = list(dict.fromkeys(c["wave"].astype(str)))
    keys = list(dict.fromkeys(zip(c["cohort_start"], c["cohort_end"])))
    out = pd.DataFrame({
        "cohort": [tr.month_range(a, b, short=True) for a, b in keys],
        "n_entrants": [""] * len(keys)})
    cells = {}
    for r in c.itertuples():                                # cohorts x waves: a few dozen
        if not r.suppressed and pd.notna(r.response_rate):
            text = tr.t("collection.rate_cell", pct=tr.percent(r.response_rate),
                        n_answered=int(r.n_answered), n_due=int(r.n_due),
                        pct_low=tr.percent(r.ci_low), pct_high=tr.percent(r.ci_high))
        elif r.n_due > 0:
            text = tr.t("common.suppressed")
        elif r.n_not_yet_due > 0:
            text = tr.t("collection.not_due_yet")
        else:
            text = "–"
        cells[(r.cohort_start, r.cohort_end, str(r.wave))] = text
        n = int(r.n_entrants)
        out.loc[keys.index((r.cohort_start, r.cohort_end)), "n_entrants"] = (
            tr.number(n) if n >= 5 else tr.t("common.suppressed"))
    for w in waves:
        out[view.label(w)] = [cells.get((a, b, w), "–") for a, b in keys]
    return out


def _change_rows(view) -> list[tuple[pd.Series, list[pd.Series]]]:
    """Per change, in date order: its main row (the waves together, or its one
    wave) and its rows per wave (empty when it concerns one wave)."""
    t = view.results.get("collection_changes")
    if t is None or t.empty:
        return []
    out = []
    for _, rows in t.groupby("change_date", sort=True):
        pooled = rows[rows["wave"].astype(str).str.contains("+", regex=False)]
        single = rows[~rows.index.isin(pooled.index)]
        main = pooled.iloc[0] if len(pooled) else single.iloc[0]
        out.append((main, [r for _, r in single.iterrows()] if len(pooled) else []))
    return out


def _scope(view, wave: str) -> str:
    waves = str(wave).split("+")
    if len(waves) == 1:
        return view.tr.t("collection.scope_one", wave=view.label(waves[0]))
    return view.tr.t("collection.scope_all", waves=_labels(view, waves))


def _rates(view, r) -> dict:
    """The before/after fields of a ``collection_changes`` row, written."""
    tr = view.tr
    return {"pct_before": tr.percent(r["rate_before"]), "pct_after": tr.percent(r["rate_after"]),
            "n_answered_before": int(r["answered_before"]), "n_before": int(r["n_before"]),
            "n_answered_after": int(r["answered_after"]), "n_after": int(r["n_after"]),
            "diff": _signed_points(view, r["difference"]),
            "diff_low": _signed_points(view, r["diff_low"]),
            "diff_high": _signed_points(view, r["diff_high"])}


def _odds_text(view, r) -> str:
    """The adjusted odds ratio of a change in plain words, or why there is none."""
    tr = view.tr
    terms = [t for t in str(r["model_terms"] if pd.notna(r["model_terms"]) else "").split(" + ")
             if t]
    if not terms or not np.isfinite(r["odds_ratio"]):
        return tr.html("collection.odds_none")
    covariates = [t for t in terms if t not in ("after", "wave")]
    names = ", ".join(covariates)
    if "wave" in terms and covariates:
        model = tr.t("collection.model_both", covariates=names)
    elif covariates:
        model = tr.t("collection.model_covariates", covariates=names)
    elif "wave" in terms:
        model = tr.t("collection.model_wave")
    else:
        model = tr.t("collection.model_plain")
    ratio, low, high = float(r["odds_ratio"]), float(r["or_low"]), float(r["or_high"])
    if ratio >= 1:
        text = tr.html("collection.odds_higher", model=model, ratio=_ratio(view, ratio),
                       ratio_low=_ratio(view, low), ratio_high=_ratio(view, high))
    else:          # "2 times lower": the inverse, and its interval turned round
        text = tr.html("collection.odds_lower", model=model, ratio=_ratio(view, 1 / ratio),
                       ratio_low=_ratio(view, 1 / high), ratio_high=_ratio(view, 1 / low))
    if low <= 1 <= high:
        text += " " + tr.html("collection.odds_unclear")
    if not covariates and getattr(getattr(view, "study", None), "covariates", None):
        text += " " + tr.html("collection.odds_few")      # the study has some, the model none
    return text


def change_texts(view) -> list[str]:
    """What each change to the collection did to the response rate, in words.

    One paragraph per change (``collection_changes``, in date order): the
    rates before and after with their counts, the difference in percentage
    points with its 95% Newcombe interval (``collection.change``), whether
    the interval shows a rise, a fall or cannot tell (:func:`classify_change`:
    ``collection.change_improved``, ``_worsened``, ``_unclear``), then the
    adjusted odds ratio in plain words (``collection.odds_*``) when the
    model was fitted. A change concerning several waves is described on its
    waves together, then wave by wave. A suppressed row (a side under 5 due
    questionnaires) says the groups are too small to show, and nothing
    else. The last paragraph is always the caution that a before/after
    comparison is not an experiment.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["collection_changes"]`` and wave labels
        are used.

    Returns
    -------
    list of str
        Markdown paragraphs; ``[collection.no_changes]`` when the study
        records no change.
    """
    tr = view.tr
    rows = _change_rows(view)
    if not rows:
        return [tr.html("collection.no_changes")]
    dates = [str(main["change_date"]) for main, _ in rows]
    out = []
    for k, (main, per_wave) in enumerate(rows):
        when = (tr.t("collection.when_between", since=tr.date(dates[k]), until=tr.date(dates[k + 1]))
                if k + 1 < len(dates) else tr.t("collection.when_since", since=tr.date(dates[k])))
        head = {"when": when, "label": str(main["label"]), "scope": _scope(view, main["wave"])}
        if bool(main["suppressed"]):
            out.append(tr.html("collection.change_suppressed", **head))
            continue
        kind = classify_change(main["diff_low"], main["diff_high"])
        text = (tr.html("collection.change", **head, **_rates(view, main)) + " "
                + tr.html(f"collection.change_{kind}"))
        parts = [tr.t("collection.change_wave_hidden", wave=view.label(r["wave"]))
                 if bool(r["suppressed"]) else
                 tr.t("collection.change_wave", wave=view.label(r["wave"]), **_rates(view, r))
                 for r in per_wave]
        if parts:
            text += " " + tr.html("collection.change_waves", list=_list_separator(view).join(parts))
        out.append(text + " " + _odds_text(view, main))
    out.append(tr.html("collection.caution"))
    return out


def projection_texts(view, from_wave: str | None = None, to_wave: str | None = None) -> list[str]:
    """When the study will have the complete pairs it needs, in words.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["collection_projection"]``
        (:func:`impactlib.stats.collection.pairs_projection`, one row) and
        wave labels are used.

    Returns
    -------
    list of str
        Markdown sentences: the pairs needed to detect the planned effect
        (:data:`impactlib.report.results.PLANNED_D`) and those there are;
        then, by ``verdict``, "reached", the expected month with its range
        (the early and late dates, from the limits of the share of
        candidates completing both questionnaires; ``…_open`` when the late
        date lies beyond 20 years) or "never at this pace"; then how it is
        computed. ``[collection.projection_none]`` without the table.
    """
    from impactlib.report.results import PLANNED_D

    tr = view.tr
    p = view.results.get("collection_projection")
    if p is None or p.empty:
        return [tr.html("collection.projection_none")]
    r = p.iloc[0]
    labels = {"from_label": view.label(r["from_wave"]), "to_label": view.label(r["to_wave"])}
    out = [tr.html("collection.projection_need", n_needed=int(r["n_needed"]),
                   n_pairs=int(r["n_pairs"]), d=tr.number(PLANNED_D, 1), **labels)]
    if r["verdict"] == "reached":
        return out + [tr.html("collection.projection_reached")]
    per_month = float(r["entrants_per_month"])
    entrants = (tr.number(per_month, 0 if per_month >= 10 else 1) if np.isfinite(per_month)
                else "0")
    pct = tr.percent(r["p_pair"]) if np.isfinite(r["p_pair"]) else "–"
    rhythm = (tr.t("collection.rhythm_since", entrants=entrants, pct=pct,
                   since=tr.date(r["p_since"]), **labels) if pd.notna(r["p_since"])
              else tr.t("collection.rhythm", entrants=entrants, pct=pct, **labels))
    if r["verdict"] == "expected":
        key = "projection_expected" if pd.notna(r["expected_late"]) else "projection_expected_open"
        out.append(tr.html(f"collection.{key}", rhythm=rhythm,
                           month=tr.date(r["expected_date"], "month"),
                           early=tr.date(r["expected_early"], "month"),
                           late=tr.date(r["expected_late"], "month")))
    else:
        out.append(tr.html("collection.projection_never", rhythm=rhythm))
    months = float(r["months_in_programme"])
    out.append(tr.html(
        "collection.projection_explain", days=int(r["window_days"]), n_pending=int(r["n_pending"]),
        months=tr.number(months, 0) if np.isfinite(months) else "–",
        pct_low=tr.percent(r["p_pair_low"]) if np.isfinite(r["p_pair_low"]) else "–",
        pct_high=tr.percent(r["p_pair_high"]) if np.isfinite(r["p_pair_high"]) else "–"))
    return out


def followup_tables(view) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Questionnaires to chase now, per wave and per value of ``followup_by`` (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["collection_followup"]`` and wave labels
        are used.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame or None)
        Every candidate: ``wave`` (label), ``overdue``, ``due_soon``,
        ``missed``; then per value of the covariate (None when the study
        sets no ``followup_by``): its name as the first column's header (the
        value), then the same columns, without the waves that have nothing
        to chase at all (every count 0 for every candidate). Counts are
        written the local way, a count the table hides (1 to 4) as ``<5``
        (``collection.hidden``).
    """
    f = view.results["collection_followup"]
    counts = ["overdue", "due_soon", "missed"]

    def shown(part):
        out = part[["wave"] + counts].copy()
        for col in counts:
            out[col] = [view.tr.number(int(v)) if pd.notna(v) else view.tr.t("collection.hidden")
                        for v in part[col]]
        out["wave"] = [view.label(w) for w in part["wave"]]
        return out.reset_index(drop=True)

    overall = f[f["variable"].isna()]
    by = f[f["variable"].notna()]
    # a wave with nothing to chase at all (usually the first) is not split by group
    nothing = overall.loc[overall[counts].fillna(1).eq(0).all(axis=1), "wave"]
    by = by[~by["wave"].isin(nothing)]
    per_group = None
    if len(by):
        per_group = shown(by)
        name = str(by["variable"].iloc[0])
        per_group.insert(0, name, by["group"].astype(str).to_numpy(),
                         allow_duplicates=name in per_group.columns)
    return shown(overall), per_group


def _known_on(view) -> str:
    """The day the data is known at: the report's ``until``, else the last questionnaire."""
    if getattr(view, "until", None):
        return view.tr.date(view.until)
    dates = view.data.questionnaires["date"]
    return view.tr.date(dates.max()) if dates.notna().any() else "–"


def followup_intro(view) -> str:
    """What the follow-up counts are (``collection.followup_intro``): the day
    they are counted on, the grace period and the window of "due soon"."""
    from impactlib.report.followup import DEFAULT_WITHIN

    return view.tr.html("collection.followup_intro", date=_known_on(view),
                        grace=int(view.study.followup_grace_days), within=DEFAULT_WITHIN)


def collection_synthesis(view) -> str:
    """The synthesis's sentence on collection: the latest change, the projection.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``collection_cohorts`` (is there a registry?),
        ``collection_changes`` and ``collection_projection`` are used.

    Returns
    -------
    str
        Markdown (``collection.synthesis``): the latest change's effect on
        the response rate with its 95% interval (saying when the sample
        cannot tell, or that its groups are too small), then the date the
        pairs needed are expected (reached, expected with its range, never
        at this pace). Without a registry, ``collection.synthesis_no_registry``;
        ``""`` with a registry but neither a change nor a projection.
    """
    tr = view.tr
    if "collection_cohorts" not in view.results:
        return tr.html("collection.synthesis_no_registry")
    parts = []
    rows = _change_rows(view)
    if rows:
        main = rows[-1][0]
        head = {"since": tr.date(str(main["change_date"])), "label": str(main["label"]),
                "scope": _scope(view, main["wave"])}
        if bool(main["suppressed"]):
            parts.append(tr.t("collection.synthesis_change_hidden", **head))
        else:
            kind = "unclear" if classify_change(main["diff_low"], main["diff_high"]) == "unclear" \
                else "shown"
            fields = {k: v for k, v in _rates(view, main).items() if not k.startswith("n_")}
            parts.append(tr.t(f"collection.synthesis_change_{kind}", **head, **fields))
    p = view.results.get("collection_projection")
    if p is not None and not p.empty:
        r = p.iloc[0]
        n_needed = int(r["n_needed"])
        if r["verdict"] == "reached":
            parts.append(tr.t("collection.synthesis_reached", n_needed=n_needed))
        elif r["verdict"] == "expected":
            key = "synthesis_expected" if pd.notna(r["expected_late"]) else "synthesis_expected_open"
            parts.append(tr.t(f"collection.{key}", n_needed=n_needed,
                              month=tr.date(r["expected_date"], "month"),
                              early=tr.date(r["expected_early"], "month"),
                              late=tr.date(r["expected_late"], "month")))
        else:
            parts.append(tr.t("collection.synthesis_never", n_needed=n_needed))
    if not parts:
        return ""
    return tr.html("collection.synthesis", text=_list_separator(view).join(parts))


# ---------------------------------------------------------------------------
# Employment and social impact (page 07_emploi, issue 13)
# ---------------------------------------------------------------------------

#: Exit categories shown in the exit status table even when empty (``unknown``
#: only when some candidate left without a status).
EXIT_CATEGORIES_SHOWN = ("employment", "training", "other", "dropout", "ongoing")


def outcomes_recorded(view) -> bool:
    """Whether the report has the outcome tables (a registry with exit statuses or outcomes).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> outcomes_recorded(SimpleNamespace(results={})), outcomes_recorded(
    ...     SimpleNamespace(results={"outcomes": pd.DataFrame({"cohort": ["all"]})}))
    (False, True)
    """
    t = view.results.get("outcomes")
    return t is not None and not t.empty


def outcome_months(view) -> int:
    """Months after exit at which employment is judged: the ``outcomes`` table's
    ``months``, else study.yml's ``funder_target: months``, else 6."""
    t = view.results.get("outcomes")
    if t is not None and not t.empty and "months" in t and pd.notna(t["months"].iloc[0]):
        return int(t["months"].iloc[0])
    target = getattr(getattr(view, "study", None), "funder_target", None)
    return int(getattr(target, "months", 6) or 6)


def target_verdict(share: float, ci_low: float, ci_high: float, target: float) -> str:
    """Say whether the funder's target is met, from the share's 95% interval.

    Parameters
    ----------
    share, ci_low, ci_high : float
        The share in employment and its interval (NaN when unknown).
    target : float
        The funder's target share (NaN when none is given).

    Returns
    -------
    str
        ``'met'`` when the interval lies above the target, ``'not_met'``
        when it lies below it, else ``'unclear_above'`` (the share reaches
        the target, the interval goes below it) or ``'unclear_below'``; an
        interval touching the target cannot tell. ``'none'`` without a
        target or a share.

    Examples
    --------
    >>> target_verdict(0.62, 0.55, 0.69, 0.5), target_verdict(0.40, 0.33, 0.48, 0.5)
    ('met', 'not_met')
    >>> target_verdict(0.558, 0.469, 0.644, 0.5), target_verdict(0.45, 0.38, 0.52, 0.5)
    ('unclear_above', 'unclear_below')
    >>> target_verdict(0.6, 0.5, 0.7, 0.5), target_verdict(0.6, 0.5, 0.7, float("nan"))
    ('unclear_above', 'none')
    """
    if not all(np.isfinite(v) for v in (share, ci_low, ci_high, target)):
        return "none"
    if ci_low > target:
        return "met"
    if ci_high < target:
        return "not_met"
    return "unclear_above" if share >= target else "unclear_below"


def _share_ci(view, share, low, high) -> dict:
    """``56 %`` and ``[47 ; 64]`` (the interval in percent, without the sign)."""
    return {"pct": view.tr.percent(share), "ci": interval(view, 100 * low, 100 * high, 0)}


def _signed(view, value: float, digits: int = 2) -> str:
    """A signed number: ``+0,42``, ``-0,05``, ``0,00``."""
    text = view.tr.number(abs(value), digits)
    if round(abs(value), digits) == 0:
        return text
    return ("+" if value > 0 else "-") + text


def _overall(view) -> pd.Series | None:
    t = view.results.get("outcomes")
    if t is None or t.empty:
        return None
    rows = t[t["cohort"].astype(str) == "all"]
    return rows.iloc[0] if len(rows) else None


def funder_texts(view) -> list[str]:
    """The funder's number in words: the share, its interval, the unknowns, the target.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; the ``outcomes`` results table
        (:func:`impactlib.stats.outcomes.employment_shares`, its ``all`` row)
        is used.

    Returns
    -------
    list of str
        Markdown paragraphs: the share among the known situations with its
        95% Wilson interval, its counts and the target (``outcomes.share``,
        ``share_target``), then what it would be if every unknown were in
        employment or none were (``outcomes.bounds``); whether the target is
        met, not met, or cannot be told (:func:`target_verdict`), with a
        sentence when the two bounds lie on either side of the target; then
        notes: the candidates not counted yet, statuses taken from the exit
        status (the situation at exit, not months later), job start dates,
        unreadable values. Too few known situations, or none counted yet:
        one sentence saying so (and the pending ones). Without the table,
        ``[outcomes.none]``.
    """
    tr = view.tr
    months = outcome_months(view)
    r = _overall(view)
    if r is None:
        return [tr.html("outcomes.none", months=months)]
    notes = []
    if int(r["n_pending"]) > 0:
        notes.append(tr.html("outcomes.pending", n_pending=int(r["n_pending"]), months=months))
    if int(r.get("n_from_exit_status", 0) or 0) > 0:
        notes.append(tr.html("outcomes.source_exit_status", n=int(r["n_from_exit_status"]),
                             months=months))
    if int(r.get("n_from_job_start_date", 0) or 0) > 0:
        notes.append(tr.html("outcomes.source_job_start", n=int(r["n_from_job_start_date"])))
    if int(r.get("n_unreadable", 0) or 0) > 0:
        notes.append(tr.html("outcomes.unreadable", n=int(r["n_unreadable"])))
    notes = [" ".join(notes)] if notes else []
    if int(r["n_exited"]) == 0:
        return [tr.html("outcomes.none_exited", months=months)] + notes
    if bool(r["suppressed"]) or not np.isfinite(r["share"]):
        return [tr.html("outcomes.suppressed_all", months=months, n_known=int(r["n_known"]))] + notes
    target = float(r["target"]) if pd.notna(r["target"]) else np.nan
    fields = {**_share_ci(view, r["share"], r["ci_low"], r["ci_high"]), "months": months,
              "n_employed": int(r["n_employed"]), "n_known": int(r["n_known"])}
    first = (tr.html("outcomes.share_target", target=tr.percent(target), **fields)
             if np.isfinite(target) else tr.html("outcomes.share", **fields))
    n_unknown = int(r["n_unknown"])
    if n_unknown > 0:
        first += " " + tr.html("outcomes.bounds", n_unknown=n_unknown,
                               pct_if_employed=tr.percent(r["share_if_unknown_employed"]),
                               pct_if_not=tr.percent(r["share_if_unknown_not_employed"]))
    else:
        first += " " + tr.html("outcomes.bounds_none", months=months)
    verdict = target_verdict(r["share"], r["ci_low"], r["ci_high"], target)
    if verdict == "none":
        second = tr.html("outcomes.no_target")
    else:
        second = tr.html(f"outcomes.verdict_{verdict}", target=tr.percent(target))
        low, high = r["share_if_unknown_not_employed"], r["share_if_unknown_employed"]
        if n_unknown > 0 and low < target < high:
            second += " " + tr.html("outcomes.unknowns_straddle")
    return [first, second] + notes


def exit_unit(view) -> str:
    """The exit cohorts' length in words (``trimestre``, ``quarter``), from ``outcomes``."""
    t = view.results.get("outcomes")
    if t is None or t.empty:
        return ""
    periods = t.loc[t["cohort"].astype(str) != "all", "period"].dropna().astype(str)
    period = periods.iloc[0] if len(periods) else "quarter"
    key = f"dates.cohort.{period}"
    return view.tr.t(key) if key in view.tr.strings else period


def outcome_cohort_table(view) -> pd.DataFrame:
    """The funder's number overall and per exit cohort, one row each (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["outcomes"]`` is used.

    Returns
    -------
    pandas.DataFrame
        ``cohort`` (``Ensemble``, then each exit cohort's months in words),
        ``n_exited``, ``n_known``, ``n_employed``, ``share`` (``56 % [47 ;
        64]``), ``bounds`` (``41 % à 67 %``: no unknown / every unknown in
        employment), ``n_pending``; counts written the local way. A share
        the table suppresses is never shown, nor its count employed:
        ``moins de 5`` (1 to 4 known situations), ``pas encore à 6 mois``
        (none counted yet, some pending), ``–`` (none known).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from impactlib.report.i18n import Translator
    >>> t = pd.DataFrame({"cohort": ["all", "2024-01-01"], "cohort_end": [None, "2024-03-31"],
    ...     "period": ["all", "quarter"], "months": 6, "n_exited": [30, 30], "n_known": [24, 24],
    ...     "n_employed": [18, 18], "share": [0.75, 0.75], "ci_low": [0.551, 0.551],
    ...     "ci_high": [0.880, 0.880], "share_if_unknown_employed": [0.8, 0.8],
    ...     "share_if_unknown_not_employed": [0.6, 0.6], "n_pending": [3, 3],
    ...     "suppressed": [False, False]})
    >>> narrative_view = SimpleNamespace(results={"outcomes": t}, tr=Translator("en"))
    >>> outcome_cohort_table(narrative_view).iloc[1].tolist()
    ['Jan–Mar 2024', '30', '24', '18', '75% [55, 88]', '60% to 80%', '3']
    """
    tr = view.tr
    t = view.results["outcomes"]
    months = outcome_months(view)
    rows = []
    for r in t.itertuples():                       # the whole study and a few cohorts
        if str(r.cohort) == "all":
            name = tr.t("outcomes.all")
        else:
            end = r.cohort_end if pd.notna(r.cohort_end) else r.cohort
            name = tr.month_range(r.cohort, end, short=True)
        hidden = bool(r.suppressed) or not np.isfinite(r.share)
        if not hidden:
            share = " ".join(_share_ci(view, r.share, r.ci_low, r.ci_high).values())
            bounds = tr.t("outcomes.bounds_cell",
                          pct_if_not=tr.percent(r.share_if_unknown_not_employed),
                          pct_if_employed=tr.percent(r.share_if_unknown_employed))
        elif r.n_known > 0:
            share = bounds = tr.t("common.suppressed")
        elif r.n_exited == 0 and r.n_pending > 0:
            share, bounds = tr.t("outcomes.not_yet", months=months), "–"
        else:
            share = bounds = "–"
        rows.append({"cohort": name, "n_exited": tr.number(int(r.n_exited)),
                     "n_known": tr.number(int(r.n_known)),
                     "n_employed": "–" if hidden else tr.number(int(r.n_employed)),
                     "share": share, "bounds": bounds, "n_pending": tr.number(int(r.n_pending))})
    return pd.DataFrame(rows, columns=["cohort", "n_exited", "n_known", "n_employed", "share",
                                       "bounds", "n_pending"])


def exit_status_intro(view) -> str:
    """How many candidates of the registry left (``outcomes.exit_intro``); ``""`` without
    the ``exit_status`` table."""
    t = view.results.get("exit_status")
    if t is None or t.empty:
        return ""
    return view.tr.html("outcomes.exit_intro", n_candidates=int(t["n_candidates"].iloc[0]),
                        n_exited=int(t["n_exited"].iloc[0]), months=outcome_months(view))


def exit_status_table(view) -> pd.DataFrame:
    """Candidates per exit status (display).

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["exit_status"]``
        (:func:`impactlib.stats.outcomes.exit_status_breakdown`) is used.

    Returns
    -------
    pandas.DataFrame
        ``category`` (in words), ``n`` and ``share_of_exited`` (percentage
        of the candidates who left; ``–`` for those still in the
        programme): employment, training, other, dropout, still in the
        programme, and "left without a status" when some did. A count the
        table hides (1 to 4) is ``<5``, its share ``–``.
    """
    tr = view.tr
    t = view.results["exit_status"]
    keep = t["category"].isin(EXIT_CATEGORIES_SHOWN) | t["n"].isna() | (t["n"].fillna(0) > 0)
    t = t[keep.to_numpy(dtype=bool)]
    n = [tr.t("outcomes.hidden") if pd.isna(v) else tr.number(int(v)) for v in t["n"]]
    share = [tr.percent(v) if pd.notna(v) else "–" for v in t["share_of_exited"]]
    return pd.DataFrame({"category": [tr.t(f"outcomes.category.{c}") for c in t["category"]],
                         "n": n, "share_of_exited": share})


def _soft_rows(view) -> pd.DataFrame:
    t = view.results.get("soft_hard")
    return t if t is not None else pd.DataFrame(columns=["dimension", "suppressed"])


def soft_hard_texts(view) -> list[str]:
    """The change measured, employed against not employed, in words.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["soft_hard"]``
        (:func:`impactlib.stats.outcomes.soft_hard_comparison`) is used.

    Returns
    -------
    list of str
        Markdown: one sentence per dimension whose interval shows a
        difference (:func:`classify_change`: ``outcomes.soft_higher``,
        ``soft_lower``), one for the dimensions where it does not
        (``soft_unclear_rest``, or ``soft_unclear_all``), one for the
        dimensions whose groups are too small to show (``soft_hidden``),
        and always, last, that this is an association
        (``outcomes.association``). Empty without the table.
    """
    tr = view.tr
    t = _soft_rows(view)
    if t.empty:
        return []
    hidden = t["suppressed"].astype(bool).to_numpy()
    shown = t[~hidden]
    out, unclear = [], []
    for r in shown.itertuples():
        kind = classify_change(r.ci_low, r.ci_high)
        if kind == "unclear":
            unclear.append(str(r.dimension))
            continue
        out.append(tr.html(
            "outcomes.soft_higher" if kind == "improved" else "outcomes.soft_lower",
            dimension=str(r.dimension), change_employed=_signed(view, r.mean_change_employed),
            change_not=_signed(view, r.mean_change_not_employed),
            difference=_signed(view, r.difference), ci_low=tr.number(r.ci_low, 2),
            ci_high=tr.number(r.ci_high, 2)))
    if unclear and out:
        out.append(tr.html("outcomes.soft_unclear_rest", dimensions=", ".join(unclear)))
    elif unclear:
        out.append(tr.html("outcomes.soft_unclear_all"))
    if hidden.any():
        out.append(tr.html("outcomes.soft_hidden",
                           dimensions=", ".join(t.loc[hidden, "dimension"].astype(str))))
    return out + [tr.html("outcomes.association")]


def soft_hard_table(view) -> pd.DataFrame:
    """Change per dimension, employed against not employed (display).

    Returns
    -------
    pandas.DataFrame
        ``dimension``, ``n_employed``, ``n_not_employed``,
        ``change_employed``, ``change_not_employed`` (mean change, signed),
        ``difference`` (signed) and ``interval`` (its 95% Welch interval);
        ``moins de 5`` in the numbers of a dimension whose groups are too
        small.
    """
    tr = view.tr
    t = _soft_rows(view)
    rows = []
    for r in t.itertuples():
        row = {"dimension": str(r.dimension), "n_employed": tr.number(int(r.n_employed)),
               "n_not_employed": tr.number(int(r.n_not_employed))}
        if bool(r.suppressed):
            row.update(dict.fromkeys(["change_employed", "change_not_employed", "difference",
                                      "interval"], tr.t("common.suppressed")))
        else:
            row.update(change_employed=_signed(view, r.mean_change_employed),
                       change_not_employed=_signed(view, r.mean_change_not_employed),
                       difference=_signed(view, r.difference),
                       interval=interval(view, r.ci_low, r.ci_high))
        rows.append(row)
    return pd.DataFrame(rows, columns=["dimension", "n_employed", "n_not_employed",
                                       "change_employed", "change_not_employed", "difference",
                                       "interval"])


_LEFT_OUT = "covariates left out for lack of candidates:"


def employment_model_text(view) -> str:
    """The logistic model of employment on job-search progress, in words.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["employment_model"]``
        (:func:`impactlib.stats.outcomes.employment_model`, its ``change``
        row, ``model_terms`` and ``note``) is used.

    Returns
    -------
    str
        Markdown. Fitted: the odds ratio per scale point of progress with
        its 95% interval, the model's size, what it takes into account (the
        starting score, and the covariates of ``model_terms``), as "higher"
        or, below 1, "lower" (the inverse, its interval turned round); that
        the sample cannot conclude when the interval holds 1; the
        covariates left out for lack of candidates (from ``note``). Not
        fitted: the one sentence saying why (no job-search dimension, too
        few employed or not employed for 10 per parameter, or the fit
        failed). ``""`` without the table. Never a cause: "goes together".
    """
    from impactlib.stats.collection import EVENTS_PER_PARAMETER

    tr = view.tr
    t = view.results.get("employment_model")
    if t is None or t.empty:
        return ""
    rows = t[t["term"].astype(str) == "change"]
    r = rows.iloc[0] if len(rows) else t.iloc[0]
    months = outcome_months(view)
    dimension = str(r["dimension"]) if pd.notna(r["dimension"]) else ""
    note = str(r["note"]) if pd.notna(r["note"]) else ""
    n, n_employed = int(r["n"]), int(r["n_employed"])
    if not np.isfinite(r["odds_ratio"]):
        if not dimension or note.startswith("no job-search dimension"):
            return tr.html("outcomes.model_no_dimension")
        if note.startswith("not fitted:") and ("employed" in note or "no candidate" in note):
            return tr.html("outcomes.model_too_few", dimension=dimension,
                           events=EVENTS_PER_PARAMETER, n_employed=n_employed,
                           n_not_employed=n - n_employed)
        return tr.html("outcomes.model_failed", dimension=dimension)
    terms = [x.strip() for x in str(r["model_terms"] or "").split(" + ") if x.strip()]
    covariates = [x for x in terms if x not in ("change", "baseline")]
    adjusted = (tr.t("outcomes.adjusted_covariates", covariates=", ".join(covariates))
                if covariates else tr.t("outcomes.adjusted_base"))
    ratio, low, high = float(r["odds_ratio"]), float(r["ci_low"]), float(r["ci_high"])
    common = {"months": months, "dimension": dimension, "adjusted": adjusted, "n": n,
              "n_employed": n_employed}
    if ratio >= 1:
        text = tr.html("outcomes.model_higher", ratio=_ratio(view, ratio),
                       ratio_low=_ratio(view, low), ratio_high=_ratio(view, high), **common)
    else:
        text = tr.html("outcomes.model_lower", ratio=_ratio(view, 1 / ratio),
                       ratio_low=_ratio(view, 1 / high), ratio_high=_ratio(view, 1 / low),
                       **common)
    if low <= 1 <= high:
        text += " " + tr.html("outcomes.model_unclear")
    if note.startswith(_LEFT_OUT):
        left = note[len(_LEFT_OUT):].strip()
        if left:
            text += " " + tr.html("outcomes.model_left_out", covariates=left,
                                  events=EVENTS_PER_PARAMETER)
    return text


def policy_dates(view) -> list[str]:
    """The days of the policy changes of ``policy_change`` (``YYYY-MM-DD``), in order;
    empty without the table."""
    t = view.results.get("policy_change")
    if t is None or t.empty:
        return []
    return sorted({pd.Timestamp(d).strftime("%Y-%m-%d") for d in t["change_date"]})


def _policy(view, change_date: str) -> pd.DataFrame:
    t = view.results["policy_change"]
    day = pd.to_datetime(t["change_date"]).dt.strftime("%Y-%m-%d")
    return t[(day == str(change_date)).to_numpy(dtype=bool)]


def _policy_row(rows: pd.DataFrame, measure: str, variable: str | None = None):
    part = rows[rows["measure"] == measure]
    if variable is not None:
        part = part[part["variable"].astype(str) == variable]
    return part.iloc[0] if len(part) else None


def _per_month(view, value: float) -> str:
    return view.tr.number(value, 0 if value >= 10 else 1) if np.isfinite(value) else "–"


def policy_profile_texts(view, change_date: str) -> list[str]:
    """Who entered before and after a change of policy, in words.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["policy_change"]``
        (:func:`impactlib.stats.outcomes.policy_comparison`) is used.
    change_date : str
        The change's day (``YYYY-MM-DD``, one of :func:`policy_dates`).

    Returns
    -------
    list of str
        Markdown paragraphs: what changed and how many entered on each side
        (with entrants per month); then, when the table has them, the
        profile at entry: the entry scores' standardized differences (lower,
        higher, mixed or close, beyond :data:`SMD_NOTABLE`) and the
        covariate levels whose difference is notable, largest first.
        Suppressed rows (a side under 5) are left out.
    """
    tr = view.tr
    rows = _policy(view, change_date)
    threshold = tr.number(SMD_NOTABLE, 1)
    first = rows.iloc[0]
    kind_key = f"outcomes.policy_kind.{first['kind']}"
    entrants = _policy_row(rows, "entrants")
    out = [tr.html("outcomes.policy_intro", date=tr.date(change_date),
                   kind=tr.t(kind_key) if kind_key in tr.strings else str(first["kind"]),
                   label=str(first["label"]), n_before=int(entrants["n_before"]),
                   n_after=int(entrants["n_after"]),
                   rate_before=_per_month(view, float(entrants["before"])),
                   rate_after=_per_month(view, float(entrants["after"])))]
    # profile at entry
    scores = rows[(rows["measure"] == "baseline_score") & ~rows["suppressed"].astype(bool)]
    smd = scores["smd"].astype(float).dropna()
    profile = ""
    if len(smd):
        notable = smd[smd.abs() >= SMD_NOTABLE]
        fields = {"n_notable": len(notable), "n_dimensions": len(smd),
                  "smd_low": tr.number(smd.min(), 2), "smd_high": tr.number(smd.max(), 2),
                  "threshold": threshold}
        if notable.empty:
            key = "profile_scores_close"
        elif (notable < 0).all():
            key = "profile_scores_lower"
        elif (notable > 0).all():
            key = "profile_scores_higher"
        else:
            key = "profile_scores_mixed"
        profile = tr.html(f"outcomes.{key}", **fields)
    levels = rows[(rows["measure"] == "baseline_share") & ~rows["suppressed"].astype(bool)]
    if len(levels):
        big = levels[levels["smd"].abs() >= SMD_NOTABLE]
        big = big.reindex(big["smd"].abs().sort_values(ascending=False, kind="stable").index)
        if len(big):
            items = [tr.t("outcomes.profile_level", variable=str(r.variable), level=str(r.level),
                          pct_before=tr.percent(r.before), pct_after=tr.percent(r.after))
                     for r in big.itertuples()]
            levels_text = tr.html("outcomes.profile_levels", list=_list_separator(view).join(items))
        else:
            levels_text = tr.html("outcomes.profile_levels_close", threshold=threshold)
        profile = (profile + " " + levels_text).strip()
    if profile:
        out.append(profile)
    return out


def policy_outcome_texts(view, change_date: str) -> list[str]:
    """How the candidates who entered before and after a change of policy fared, in words.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``view.results["policy_change"]`` is used.
    change_date : str
        The change's day (``YYYY-MM-DD``, one of :func:`policy_dates`).

    Returns
    -------
    list of str
        Markdown paragraphs: the median length of coaching and the share
        still in the programme; the share in employment at the six-month
        point before and after with its difference in points, its 95%
        Newcombe interval and whether it shows a rise, a fall or cannot tell
        (:func:`classify_change`), and the share of known situations; the
        change per dimension whose before/after difference is clear (or that
        none is); always, last, the caution that a before/after comparison
        mixes the policy with everything else that changed at the same time.
        A suppressed row (a side under 5) is said too small, never shown.
    """
    tr = view.tr
    rows = _policy(view, change_date)
    months = outcome_months(view)
    out = []
    # length of coaching
    days = _policy_row(rows, "coaching_days", "median")
    still = _policy_row(rows, "in_programme", "share")
    if (days is not None and not bool(days["suppressed"]) and np.isfinite(days["before"])
            and np.isfinite(days["after"]) and still is not None and not bool(still["suppressed"])):
        out.append(tr.html("outcomes.policy_length", days_before=tr.number(days["before"], 0),
                           days_after=tr.number(days["after"], 0),
                           pct_in=tr.percent(still["after"])))
    # the funder's number
    share = _policy_row(rows, "employment_6m", "share")
    known = _policy_row(rows, "employment_6m", "known_share")
    if share is not None:
        if bool(share["suppressed"]) or not np.isfinite(share["difference"]):
            out.append(tr.html("outcomes.policy_employment_hidden", months=months,
                               n_after=int(share["n_after"])))
        else:
            kind = classify_change(share["ci_low"], share["ci_high"])
            verdict = {"improved": "policy_rise", "worsened": "policy_fall",
                       "unclear": "policy_unclear"}[kind]
            known_ok = known is not None and not bool(known["suppressed"])
            out.append(tr.html(
                "outcomes.policy_employment", months=months, pct_before=tr.percent(share["before"]),
                pct_after=tr.percent(share["after"]), n_before=int(share["n_before"]),
                n_after=int(share["n_after"]), diff=_signed_points(view, share["difference"]),
                diff_low=_signed_points(view, share["ci_low"]),
                diff_high=_signed_points(view, share["ci_high"]),
                pct_known_before=tr.percent(known["before"]) if known_ok else "–",
                pct_known_after=tr.percent(known["after"]) if known_ok else "–")
                + " " + tr.html(f"outcomes.{verdict}"))
    # the change measured
    change = rows[(rows["measure"] == "change") & ~rows["suppressed"].astype(bool)]
    if len(change):
        clear = [r for r in change.itertuples() if classify_change(r.ci_low, r.ci_high) != "unclear"]
        if clear:
            items = [tr.t("outcomes.policy_progress_item", dimension=str(r.variable),
                          difference=_signed(view, r.difference), ci_low=tr.number(r.ci_low, 2),
                          ci_high=tr.number(r.ci_high, 2)) for r in clear]
            out.append(tr.html("outcomes.policy_progress_clear",
                               list=_list_separator(view).join(items)))
        else:
            out.append(tr.html("outcomes.policy_progress_unclear"))
    out.append(tr.html("outcomes.policy_caution"))
    return out


def policy_profile_table(view, change_date: str) -> pd.DataFrame:
    """Profile at entry before and after a change of policy (display).

    Returns
    -------
    pandas.DataFrame
        ``measure`` (``Niveau de diplôme : Supérieur``, ``Score à l'entrée :
        Confiance en soi``), ``before``, ``after`` (shares in percent, mean
        scores with 2 decimals) and ``smd`` (standardized difference, after
        minus before); ``moins de 5`` in a suppressed row.
    """
    tr = view.tr
    rows = _policy(view, change_date)
    rows = rows[rows["measure"].isin(["baseline_share", "baseline_score"])]
    out = []
    for r in rows.itertuples():
        share = r.measure == "baseline_share"
        name = (tr.t("outcomes.measure.baseline_share", variable=str(r.variable), level=str(r.level))
                if share else tr.t("outcomes.measure.baseline_score", dimension=str(r.variable)))
        if bool(r.suppressed):
            cells = dict.fromkeys(["before", "after", "smd"], tr.t("common.suppressed"))
        else:
            value = (lambda v: tr.percent(v)) if share else (lambda v: tr.number(v, 2))
            cells = {"before": value(r.before), "after": value(r.after),
                     "smd": tr.number(r.smd, 2) if np.isfinite(r.smd) else "–"}
        out.append({"measure": name, **cells})
    return pd.DataFrame(out, columns=["measure", "before", "after", "smd"])


def policy_outcome_table(view, change_date: str) -> pd.DataFrame:
    """Entrants, length of coaching, employment and change before and after (display).

    Returns
    -------
    pandas.DataFrame
        ``measure``, ``before``, ``after``, ``difference`` (after minus
        before) and ``interval`` (95%; Newcombe for shares, in percentage
        points; Welch for the change): entrants a month, median days of
        coaching, share still in the programme, share of known situations,
        share in employment, then the change per dimension; ``moins de 5``
        in a suppressed row, ``–`` where there is no interval.
    """
    tr = view.tr
    rows = _policy(view, change_date)
    months = outcome_months(view)
    out = []

    def add(name, r, kind):
        if r is None:
            return
        if bool(r["suppressed"]):
            out.append({"measure": name, **dict.fromkeys(
                ["before", "after", "difference", "interval"], tr.t("common.suppressed"))})
            return
        if kind == "share":
            cells = {"before": tr.percent(r["before"]), "after": tr.percent(r["after"]),
                     "difference": tr.t("outcomes.points",
                                        diff=_signed_points(view, r["difference"])),
                     "interval": (f"[{_signed_points(view, r['ci_low'])}{_sep(view)}"
                                  f"{_signed_points(view, r['ci_high'])}]")
                     if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]) else "–"}
        else:
            digits = {"rate": 1, "days": 0, "change": 2}[kind]

            def num(v, signed=False):
                if not np.isfinite(v):
                    return "–"
                return _signed(view, v, digits) if signed else tr.number(v, digits)

            cells = {"before": num(r["before"]), "after": num(r["after"]),
                     "difference": num(r["difference"], signed=True),
                     "interval": interval(view, r["ci_low"], r["ci_high"])}
        out.append({"measure": name, **cells})

    add(tr.t("outcomes.measure.entrants"), _policy_row(rows, "entrants"), "rate")
    add(tr.t("outcomes.measure.coaching_days"), _policy_row(rows, "coaching_days"), "days")
    add(tr.t("outcomes.measure.in_programme"), _policy_row(rows, "in_programme"), "share")
    add(tr.t("outcomes.measure.known_share", months=months),
        _policy_row(rows, "employment_6m", "known_share"), "share")
    add(tr.t("outcomes.measure.employment", months=months),
        _policy_row(rows, "employment_6m", "share"), "share")
    for _, r in rows[rows["measure"] == "change"].iterrows():
        add(tr.t("outcomes.measure.change", dimension=str(r["variable"])), r, "change")
    return pd.DataFrame(out, columns=["measure", "before", "after", "difference", "interval"])


def _sep(view) -> str:
    return " ; " if view.tr.lang == "fr" else ", "


def outcomes_synthesis(view) -> str:
    """The synthesis's paragraph on outcomes: the funder's number beside the change measured.

    Parameters
    ----------
    view : impactlib.report.notebook.ReportView
        The report; ``outcomes`` (its ``all`` row), ``soft_hard`` and
        ``employment_model`` (which dimension is the job-search one), and
        ``policy_change`` are used.

    Returns
    -------
    str
        Markdown (``outcomes.synthesis``): the share in employment with its
        95% interval, the target and whether it is met (or that the sample
        cannot tell), and how many situations are unknown; then how the
        candidates in employment progressed in the job-search dimension
        compared with the others (as an association); then, with a policy
        change, the share in employment before and after the latest one
        with the reminder that a before/after comparison mixes it with
        everything else. Without outcomes, ``outcomes.synthesis_none``
        (where to add them).
    """
    tr = view.tr
    r = _overall(view)
    if r is None:
        return tr.html("outcomes.synthesis_none")
    months = outcome_months(view)
    parts = []
    if int(r["n_exited"]) == 0:
        parts.append(tr.t("outcomes.none_exited", months=months))
    elif bool(r["suppressed"]) or not np.isfinite(r["share"]):
        parts.append(tr.t("outcomes.synthesis_suppressed", months=months))
    else:
        fields = {**_share_ci(view, r["share"], r["ci_low"], r["ci_high"]), "months": months,
                  "n_unknown": int(r["n_unknown"])}
        target = float(r["target"]) if pd.notna(r["target"]) else np.nan
        verdict = target_verdict(r["share"], r["ci_low"], r["ci_high"], target)
        if verdict == "none":
            parts.append(tr.t("outcomes.synthesis_share", **fields))
        else:
            short = {"met": "synthesis_met", "not_met": "synthesis_not_met"}.get(
                verdict, "synthesis_unclear")
            parts.append(tr.t("outcomes.synthesis_share_target", target=tr.percent(target),
                              verdict=tr.t(f"outcomes.{short}"), **fields))
    model = view.results.get("employment_model")
    soft = view.results.get("soft_hard")
    if model is not None and not model.empty and soft is not None and not soft.empty \
            and pd.notna(model["dimension"].iloc[0]):
        dim = str(model["dimension"].iloc[0])
        row = soft[(soft["dimension"].astype(str) == dim) & ~soft["suppressed"].astype(bool)]
        if len(row):
            s = row.iloc[0]
            kind = classify_change(s["ci_low"], s["ci_high"])
            key = {"improved": "synthesis_soft_higher", "worsened": "synthesis_soft_lower",
                   "unclear": "synthesis_soft_unclear"}[kind]
            diff = (tr.number(s["difference"], 2) if kind == "improved"
                    else _signed(view, s["difference"]))
            parts.append(tr.t(f"outcomes.{key}", dimension=dim, difference=diff,
                              ci_low=tr.number(s["ci_low"], 2), ci_high=tr.number(s["ci_high"], 2)))
    dates = policy_dates(view)
    if dates:
        rows = _policy(view, dates[-1])
        share = _policy_row(rows, "employment_6m", "share")
        if share is not None and not bool(share["suppressed"]) and np.isfinite(share["difference"]):
            parts.append(tr.t("outcomes.synthesis_policy", date=tr.date(dates[-1]),
                              label=str(share["label"]), pct_before=tr.percent(share["before"]),
                              pct_after=tr.percent(share["after"]),
                              diff=_signed_points(view, share["difference"]),
                              diff_low=_signed_points(view, share["ci_low"]),
                              diff_high=_signed_points(view, share["ci_high"])))
    return tr.html("outcomes.synthesis", text=" ".join(parts))
