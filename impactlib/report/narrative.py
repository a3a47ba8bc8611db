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
           "caveats", "classify_change", "interval", "display_table", "SMD_NOTABLE"]

SMD_NOTABLE = 0.2  # a standardized mean difference beyond this is "notable" (Cohen's small)


def classify_change(ci_low: float, ci_high: float) -> str:
    """``improved`` when the interval lies above 0, ``worsened`` below, else ``unclear``."""
    if np.isfinite(ci_low) and ci_low > 0:
        return "improved"
    if np.isfinite(ci_high) and ci_high < 0:
        return "worsened"
    return "unclear"


def interval(view, low: float, high: float, digits: int = 2) -> str:
    """``[a ; b]`` written the local way, or a dash when unknown."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    sep = " ; " if view.tr.lang == "fr" else ", "
    return f"[{view.tr.number(low, digits)}{sep}{view.tr.number(high, digits)}]"


def main_pair(view) -> tuple[str, str] | None:
    """The wave pair the synthesis talks about: first to last with at least 2 pairs."""
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
    f = view.results["funnel"]
    first = f.iloc[0]
    rest = [view.tr.t("synthesis.funnel_wave", n=int(r.n_candidates), label=view.label(r.wave),
                      pct=view.tr.percent(r.retention_from_first))
            for r in f.iloc[1:].itertuples()]
    tail = ("; ".join(rest) + ".") if rest else ""
    return view.tr.html("synthesis.funnel", n_first=int(first.n_candidates),
                        first=view.label(first.wave), rest=tail)


def _pair(table: pd.DataFrame, from_wave: str, to_wave: str) -> pd.DataFrame:
    return table[(table["from_wave"].astype(str) == from_wave)
                 & (table["to_wave"].astype(str) == to_wave)]


def change_table(view, from_wave: str, to_wave: str) -> pd.DataFrame:
    """Dimension change from every available answer, with RCI shares (display)."""
    model = _pair(view.results["dimension_model"], from_wave, to_wave)
    rci = _pair(view.results["rci"], from_wave, to_wave).set_index("dimension")
    rows = []
    for r in model.itertuples():  # one row per dimension: a handful
        rows.append({
            "dimension": r.dimension,
            "change": view.tr.number(r.estimate, 2),
            "margin": interval(view, r.ci_low, r.ci_high),
            "n": int(r.n_candidates),
            "reliable": (view.tr.percent(rci.loc[r.dimension, "pct_reliable_improvement"] / 100)
                         if r.dimension in rci.index
                         and np.isfinite(rci.loc[r.dimension, "pct_reliable_improvement"]) else "–"),
        })
    return pd.DataFrame(rows, columns=["dimension", "change", "margin", "n", "reliable"])


def change_sentences(view, from_wave: str, to_wave: str) -> list[str]:
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
    """The reading precautions that apply to this report."""
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
    """Dimensions whose conclusion (up, down, unclear) differs between the three methods."""
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
    """Numbers written the local way (``digits`` per column), NaN as a dash."""
    out = frame.copy()
    for col, d in (digits or {}).items():
        if col in out:
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
    r = view.results["attrition_rates"]
    out = r[["wave", "n_due", "n_answered", "n_missed", "n_not_yet_due"]].copy()
    out["wave"] = [view.label(w) for w in out["wave"]]
    out["response_rate"] = [view.tr.percent(v) if pd.notna(v) else "–" for v in r["response_rate"]]
    return out


def due_days_text(view) -> str:
    """Days after entry when the middle waves are due (see attrition.due_offsets)."""
    from impactlib.stats.attrition import due_offsets

    offsets = due_offsets(view.waves, view.study.due_days)
    return ", ".join(str(offsets[w]) for w in view.waves[1:-1]) or "–"


def timing_table(view) -> pd.DataFrame:
    t = view.results["timing"]
    return pd.DataFrame({
        "pair": [_arrow(view, a, b) for a, b in zip(t["from_wave"], t["to_wave"])],
        "n": t["n"].astype(int),
        "median_days": [view.tr.number(v, 0) if pd.notna(v) else "–" for v in t["median_days"]],
        "iqr": [interval(view, a, b, 0) for a, b in zip(t["q1_days"], t["q3_days"])]})


def dropout_tables(view) -> list[tuple[tuple[str, str], pd.DataFrame]]:
    """Who drops out, one display table per consecutive wave pair."""
    att = view.results.get("attrition")
    if att is None or att.empty:
        return []
    out = []
    cols = ["variable", "level", "n_returned", "n_dropped", "mean_returned", "mean_dropped",
            "smd", "p_value"]
    for (a, b), t in att.groupby(["from_wave", "to_wave"], sort=False):
        shown = display_table(view, t[cols + ["suppressed"]].copy(),
                              {"mean_returned": 2, "mean_dropped": 2, "smd": 2, "p_value": 3})
        shown["level"] = shown["level"].fillna("")
        shown = _suppressed(view, shown, ["mean_returned", "mean_dropped", "smd", "p_value"])
        out.append(((str(a), str(b)), shown[cols]))
    return out


def mcar_text(view) -> str:
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
                   p=tr.number(r["p_value"], 3) if np.isfinite(r["p_value"]) else "–",
                   verdict=verdict)


def item_pairs(view) -> list[tuple[str, str, int]]:
    """Wave pairs from the first wave with at least 2 candidates answering both."""
    ic = view.results["item_change"]
    first = view.waves[0]
    out = []
    for (a, b), t in ic.groupby(["from_wave", "to_wave"], sort=False):
        if str(a) == first and t["n_pairs"].max() >= 2:
            out.append((str(a), str(b), int(t["n_pairs"].max())))
    return out


def item_table(view, from_wave: str, to_wave: str) -> pd.DataFrame:
    t = _pair(view.results["item_change"], from_wave, to_wave).copy()
    texts = view.data.items.set_index("item")["text"]
    t["text"] = t["item"].map(texts)
    cols = ["item", "text", "n_pairs", "mean_from", "mean_to", "pct_improved", "pct_stable",
            "pct_worsened", "effect_size", "p_adjusted"]
    return display_table(view, t[cols], {"mean_from": 2, "mean_to": 2, "pct_improved": 0,
                                         "pct_stable": 0, "pct_worsened": 0,
                                         "effect_size": 2, "p_adjusted": 3})


def top_items(view, from_wave: str, to_wave: str, n: int = 3) -> list[str]:
    """The items whose answers moved most (largest |rank-biserial r|)."""
    t = _pair(view.results["item_change"], from_wave, to_wave).dropna(subset=["effect_size"])
    return t.reindex(t["effect_size"].abs().sort_values(ascending=False).index)["item"].head(n).tolist()


def reliability_table(view) -> pd.DataFrame:
    r = view.results["reliability"]
    out = display_table(view, r[["dimension", "wave", "n", "alpha", "omega"]].copy(),
                        {"alpha": 2, "omega": 2})
    out["wave"] = [view.label(w) for w in r["wave"]]
    out.insert(4, "margin", [interval(view, a, b) for a, b in zip(r["ci_low"], r["ci_high"])])
    return out


def model_table(view) -> pd.DataFrame:
    m = view.results["dimension_model"]
    out = display_table(view, m[["dimension", "estimate", "p_value", "n_candidates"]].copy(),
                        {"estimate": 2, "p_value": 3})
    out.insert(1, "term", [_arrow(view, a, b) for a, b in zip(m["from_wave"], m["to_wave"])])
    out.insert(3, "margin", [interval(view, a, b) for a, b in zip(m["ci_low"], m["ci_high"])])
    return out


def largest_pair(view) -> tuple[str, str] | None:
    """The wave pair with the most candidates answering both (subgroups need numbers)."""
    power = view.results.get("power")
    if power is None or power.empty or power["n_pairs"].max() < 2:
        return None
    row = power.loc[power["n_pairs"].idxmax()]
    return str(row["from_wave"]), str(row["to_wave"])


def subgroup_tables(view, from_wave: str, to_wave: str) -> dict[str, pd.DataFrame | None]:
    """Change by covariate and by exit status, suppressed groups written as such."""
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
    p = view.results["power"]
    out = pd.DataFrame({"pair": [_arrow(view, a, b) for a, b in zip(p["from_wave"], p["to_wave"])]})
    out["n_pairs"] = p["n_pairs"].astype("Int64").astype(str).to_numpy()
    out["mdes"] = [view.tr.number(v, 2) if pd.notna(v) and np.isfinite(v) else "–" for v in p["mdes"]]
    for col in ("n_for_d_0.2", "n_for_d_0.3", "n_for_d_0.5", "entrants_for_d_0.3"):
        out[col] = [str(int(v)) if pd.notna(v) else "–" for v in p[col]]
    return out
