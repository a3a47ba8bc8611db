"""Figures of the board report, drawn from the results tables.

Compute, then draw (plotnine's stat/geom split): every number a figure shows
is a cell of a results table (:func:`impactlib.report.results.read_results`
or :func:`~impactlib.report.results.build_results`: the same dtypes, see
``docs/results-tables.md``) or of a tidy frame made by the statistics layer
(:func:`impactlib.stats.item_change.distribution_shares` for the diverging
bars, :func:`impactlib.stats.reliability.rci_points` for the reliable-change
scatter, :func:`impactlib.stats.power.mdes_curve` for the power curve). The
functions here only select rows, arrange, label and draw: text wrapping,
colours, axis ranges, label placement. They take a
:class:`~impactlib.report.i18n.Translator` and return a
:class:`matplotlib.figure.Figure` (with an Agg canvas; nothing is shown and
pyplot's global state is not used).

* :func:`funnel_figure` -- candidates per wave and retention from the first.
* :func:`diverging_bars` -- answer shares per item and wave, diverging
  around the neutral answer; "don't know" and missing answers apart.
* :func:`forest_plot` -- mean paired difference per item with its t interval.
* :func:`ordinal_plot` -- probability of a higher answer per item (ordinal
  mixed model) with its 95% interval.
* :func:`rci_scatter` -- from-score vs to-score per candidate with the
  reliable-change band (candidates classed by the statistics layer).
* :func:`transition_heatmap` -- from-answer x to-answer counts of one item,
  counts under 5 suppressed.
* :func:`sensitivity_figure` -- completers, mixed model and multiple
  imputation estimates side by side.
* :func:`tipping_point_figure` -- the change by shift of the imputed scores
  (delta adjustment) with the tipping point.
* :func:`power_curve` -- minimum detectable effect by number of pairs.
* :func:`collection_trend` -- response rate per wave by cohort of entry, with the
  changes to collection marked.
* :func:`employment_trend` -- the funder's number per exit cohort: share in
  employment with its interval, the bounds for the unknowns, the target.
* :func:`soft_hard_figure` -- change per dimension, employed against not employed.
* :func:`policy_profile` -- profile at entry before and after a policy change
  (standardized differences).
* :func:`to_svg_bytes` -- deterministic SVG (text as text) for the HTML report.
* :func:`to_png_bytes`, :func:`save_png` -- deterministic PNG output.

Conventions: every text comes from ``locales/<lang>/figures.yml`` (numbers
through :meth:`Translator.number` and :meth:`Translator.percent`); texts
taken from the data (item texts, labels, dimensions) are wrapped and their
``$`` escaped so that matplotlib prints them literally. Categories use the
Okabe-Ito palette, agreement levels the ColorBrewer ``BrBG`` diverging
palette (its two sides differ by position around zero and its levels by
lightness, so both survive greyscale printing). Empty input, or input without
any usable number, gives a small figure saying there is no data.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from functools import wraps
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from impactlib.stats.power import mdes_curve

__all__ = [
    "funnel_figure",
    "diverging_bars",
    "forest_plot",
    "ordinal_plot",
    "rci_scatter",
    "transition_heatmap",
    "sensitivity_figure",
    "tipping_point_figure",
    "power_curve",
    "collection_trend",
    "employment_trend",
    "soft_hard_figure",
    "policy_profile",
    "to_svg_bytes",
    "to_png_bytes",
    "save_png",
    "OKABE_ITO",
    "DIVERGING_CMAP",
    "PNG_DPI",
    "MIN_CELL",
]

#: Okabe & Ito (2008) colour-blind safe palette.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
#: ColorBrewer diverging palette of the agreement levels (unfavourable brown, favourable teal).
DIVERGING_CMAP = "BrBG"
#: Resolution of the PNG files.
PNG_DPI = 110
#: Cells with fewer candidates than this (and more than none) are not detailed.
MIN_CELL = 5

#: Inches. Drawn this narrow so that shown across a 390 px phone the smallest
#: text (8 pt) is about 9 CSS px, and printed at its size on A4.
WIDTH = 5.0
GREY = "#BDBDBD"
DARK_GREY = "#555555"
DONT_KNOW_COLOUR = "#D9D9D9"
MISSING_COLOUR = "#8C8C8C"
_RC = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "figure.titlesize": 11.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "svg.fonttype": "none",
    "text.usetex": False,
}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _styled(func):
    """Create the figure under the report's fixed style (whatever the caller's rcParams)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(_RC):
            return func(*args, **kwargs)

    return wrapper


def _isna(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _esc(text) -> str:
    """Text drawn literally: ``$`` escaped (no mathtext), no leading ``_`` (legend)."""
    s = "" if text is None or _isna(text) else str(text)
    s = s.replace("$", r"\$")
    if s.startswith("_"):
        s = "\u200b" + s
    return s


def _wrap(text, width: int) -> str:
    """Wrapped and escaped text from the data."""
    s = "" if text is None or _isna(text) else str(text)
    lines = textwrap.wrap(s, width, break_long_words=True, break_on_hyphens=False)
    return _esc("\n".join(lines) if lines else s)


def _usable(table, columns) -> bool:
    return isinstance(table, pd.DataFrame) and len(table) > 0 and all(c in table.columns for c in columns)


def _known(value):
    """``None`` for a missing value, else the value (for plain Python logic)."""
    return None if _isna(value) else value


def _pair_rows(table, from_wave, to_wave) -> pd.DataFrame:
    """Rows of one wave pair (empty frame when the table cannot say)."""
    if not _usable(table, ["from_wave", "to_wave"]):
        return pd.DataFrame()
    keep = ((table["from_wave"] == str(from_wave)).to_numpy(dtype=bool)
            & (table["to_wave"] == str(to_wave)).to_numpy(dtype=bool))
    return table.loc[keep].reset_index(drop=True)


def _first_seen(values) -> list:
    out, seen = [], set()
    for v in values:
        if v is not None and v not in seen:
            seen.add(v)
            out.append(v)
    return out


def _wave_name(key, wave_labels, tr) -> str:
    key = str(key)
    label = wave_labels.get(key) if isinstance(wave_labels, Mapping) else None
    if label is None or _isna(label) or str(label) == key:
        return _esc(key)
    return _esc(tr.t("figures.common.wave", label=label, key=key))


def _pair(from_wave, to_wave, wave_labels, tr) -> str:
    return tr.t("figures.common.pair", start=_wave_name(from_wave, wave_labels, tr),
                end=_wave_name(to_wave, wave_labels, tr))


def _count_text(values, tr) -> str:
    """``149`` or ``147 à 149`` for a set of counts."""
    v = [x for x in values if not _isna(x)]
    if not v:
        return "0"
    low, high = min(v), max(v)
    if low == high:
        return tr.number(low)
    return tr.t("figures.common.n_range", low=tr.number(low), high=tr.number(high))


def _lines(text, width: int) -> list[str]:
    """Wrapped lines of a text whose ``\n`` separate paragraphs."""
    if not text:
        return []
    out = []
    for para in str(text).split("\n"):
        out += textwrap.wrap(para, width, break_on_hyphens=False) or [""]
    return out


def _frame(width: float, body_height: float, title: str, subtitle: str | None = None,
           note: str | None = None):
    """A figure with a title block on top, a body and an optional footnote.

    The title (bold), the subtitle and the footnote are laid out in their own
    subfigures sized from their wrapped line counts, so they never overlap
    the body, whose axes and legends constrained layout arranges.

    Returns
    -------
    (Figure, SubFigure)
        The figure (with an Agg canvas) and the body to draw in.
    """
    title_lines = _lines(title, max(30, int(width * 9.6)))
    sub_lines = _lines(subtitle, max(40, int(width * 14.0)))
    note_lines = _lines(note, max(40, int(width * 15.0)))
    title_h = len(title_lines) * 11.5 * 1.22 / 72
    sub_h = len(sub_lines) * 8.5 * 1.28 / 72
    head_h = 0.1 + title_h + (0.06 + sub_h if sub_lines else 0.0) + 0.04
    foot_h = 0.06 + len(note_lines) * 8 * 1.3 / 72 + 0.04 if note_lines else 0.0
    fig = Figure(figsize=(width, head_h + body_height + foot_h), layout="constrained")
    FigureCanvasAgg(fig)
    ratios = [head_h, body_height] + ([foot_h] if note_lines else [])
    parts = fig.subfigures(len(ratios), 1, height_ratios=ratios, hspace=0)
    head, body = parts[0], parts[1]
    x0 = 0.08 / width
    head.text(x0, 1 - 0.1 / head_h, "\n".join(title_lines), ha="left", va="top", fontsize=11.5,
              fontweight="bold", gid="title")
    if sub_lines:
        head.text(x0, 1 - (0.16 + title_h) / head_h, "\n".join(sub_lines), ha="left", va="top",
                  fontsize=8.5, color="#333333", gid="subtitle", linespacing=1.15)
    if note_lines:
        parts[2].text(x0, 1 - 0.06 / foot_h, "\n".join(note_lines), ha="left", va="top",
                      fontsize=8, color="#333333", gid="note", linespacing=1.2)
    return fig, body


def _legend(body, handles, ncol: int, **kwargs):
    """Figure legend under the body, handles read row by row."""
    ncol = max(1, min(ncol, len(handles)))
    nrows = math.ceil(len(handles) / ncol)
    ordered = [handles[r * ncol + c] for c in range(ncol) for r in range(nrows)
               if r * ncol + c < len(handles)]
    return body.legend(handles=ordered, loc="outside lower center", ncol=ncol, frameon=False,
                       **kwargs)


def _no_data(tr, title: str | None = None) -> Figure:
    """Small figure that says there is no data."""
    with mpl.rc_context(_RC):
        fig, body = _frame(WIDTH, 0.8, title or "")
        ax = body.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, _esc(tr.t("figures.common.no_data")), ha="center", va="center",
                fontsize=10, color=DARK_GREY, transform=ax.transAxes, gid="no-data")
        fig.set_gid("no-data")
        return fig


def _text_colour(colour) -> str:
    r, g, b = mpl.colors.to_rgb(colour)
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else "black"


def _left_of_axis(ax):
    """Transform: x in axes fraction, y in data."""
    return transforms.blended_transform_factory(ax.transAxes, ax.transData)


def _item_info(items) -> dict:
    """``{item: {text, dimension, reverse, scale}}`` from the codebook ``items`` table."""
    if not _usable(items, ["item"]):
        return {}
    out = {}
    for pos in range(len(items)):
        row = items.iloc[pos]
        key = _known(row["item"])
        if key is None or key in out:
            continue
        out[key] = {
            "text": _known(row["text"]) if "text" in items.columns else None,
            "dimension": _known(row["dimension"]) if "dimension" in items.columns else None,
            "reverse": bool(row["reverse"]) if "reverse" in items.columns else False,
            "scale": _known(row["scale"]) if "scale" in items.columns else None,
        }
    return out


def _item_text(item, info, width, mark_reverse=True) -> str:
    """Wrapped item text, ``*`` after the text of a reverse item."""
    meta = info.get(item, {})
    text = meta.get("text") or item
    if mark_reverse and meta.get("reverse"):
        text = f"{text}\u00a0*"
    return _wrap(text, width)


def _level_colours(k: int) -> list:
    """``k`` colours of the diverging palette, symmetric around its light middle."""
    cmap = mpl.colormaps[DIVERGING_CMAP]
    if k <= 1:
        return [cmap(0.5)]
    return [cmap(0.5 + (i - (k - 1) / 2) / (k - 1) * 0.8) for i in range(k)]


def _item_rows(groups, info, wrap: int, show_heads: bool):
    """Vertical layout of item rows grouped by dimension (forest and ordinal plots).

    Returns ``(ypos, heads, n_rows)``: each item's row centre, the
    ``(y, dimension)`` of each dimension heading (none when ``show_heads`` is
    false), and the height used, in row units; a row grows with the lines of
    its wrapped question text.
    """
    ypos, heads = {}, []
    y = 0.0
    for dim, members in groups:
        if show_heads:
            y += 0.2 if heads else 0.0
            heads.append((y, dim))
            y += 1.1
        for item in members:
            lines = _item_text(item, info, wrap).count("\n") + 1
            step = 0.55 + 0.5 * lines
            ypos[item] = y + (step - 1.05) / 2
            y += step
    return ypos, heads, y


def _dimension_rows(keys, dims, order_hint):
    """Keys grouped by dimension (order of ``order_hint`` first, then of appearance)."""
    dim_order = _first_seen([d for d in order_hint if d in set(dims.values())] + list(dims.values()))
    groups = []
    for dim in dim_order:
        members = [k for k in keys if dims.get(k) == dim]
        if members:
            groups.append((dim, members))
    loose = [k for k in keys if dims.get(k) is None]
    if loose:
        groups.append((None, loose))
    return groups


# ---------------------------------------------------------------------------
# Funnel
# ---------------------------------------------------------------------------


@_styled
def funnel_figure(funnel: pd.DataFrame, tr, wave_labels=None) -> Figure:
    """Candidates per wave, with the retention from the first wave.

    Parameters
    ----------
    funnel : pandas.DataFrame
        The ``funnel`` results table: ``wave``, ``n_candidates`` and
        optionally ``retention_from_first`` (share 0-1 of the first wave's
        candidates who answered the wave). Waves are drawn in Categorical
        order, else in row order.
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    wave_labels : mapping or sequence, optional
        Names of the waves (``{"T1": "Entrée"}``, or a list in wave order);
        drawn as ``Entrée (T1)``.

    Returns
    -------
    matplotlib.figure.Figure
        One horizontal bar per wave, annotated with the number of candidates
        and the retention from the first wave.
    """
    if not _usable(funnel, ["wave", "n_candidates"]):
        return _no_data(tr, tr.t("figures.funnel.title"))
    table = funnel
    if isinstance(table["wave"].dtype, pd.CategoricalDtype):
        table = table.assign(_code=table["wave"].cat.codes).sort_values("_code", kind="stable")
    table = table.loc[table["wave"].notna().to_numpy() & table["n_candidates"].notna().to_numpy()]
    if len(table) == 0:
        return _no_data(tr, tr.t("figures.funnel.title"))
    waves = [str(w) for w in table["wave"]]
    n = table["n_candidates"].to_numpy()
    retention = (table["retention_from_first"].to_numpy() if "retention_from_first" in table.columns
                 else np.full(len(table), np.nan))
    if wave_labels is not None and not isinstance(wave_labels, Mapping):
        wave_labels = dict(zip(waves, list(wave_labels)))
    first = _wave_name(waves[0], wave_labels, tr)
    fig, body = _frame(WIDTH, 0.9 + 0.45 * len(waves), tr.t("figures.funnel.title"),
                       tr.t("figures.funnel.subtitle", first=first))
    ax = body.add_subplot()
    y = np.arange(len(waves))
    bars = ax.barh(y, n, height=0.6, color=OKABE_ITO["blue"], edgecolor="white")
    for bar, w in zip(bars, waves):
        bar.set_gid(f"funnel:{w}")
    ax.set_yticks(y, [_wave_name(w, wave_labels, tr) for w in waves])
    ax.invert_yaxis()
    top = float(np.nanmax(n)) if np.nanmax(n) > 0 else 1.0
    for k, (value, ret) in enumerate(zip(n, retention)):
        if k == 0 or not np.isfinite(ret):
            text = tr.t("figures.funnel.bar_first", n=tr.number(value))
        else:
            text = tr.t("figures.funnel.bar", n=tr.number(value), pct=tr.percent(ret))
        ax.annotate(_esc("\n".join(_lines(text, 30))), xy=(value, k), xytext=(4, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=8.5)
    ax.set_xlim(0, top * 2.0)       # room for the wrapped text beside the longest bar
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v)))
    ax.set_xlabel(tr.t("figures.funnel.xlabel"))
    ax.tick_params(axis="y", length=0)
    return fig


# ---------------------------------------------------------------------------
# Diverging bars
# ---------------------------------------------------------------------------


#: Height of a bar row of :func:`diverging_bars`, inches.
ROW_IN = 0.155
#: Height of a row unit of :func:`forest_plot` and :func:`ordinal_plot`, inches: an item
#: whose text takes two lines (8.5 pt) takes 1.55 units.
ITEM_ROW_IN = 0.21


@_styled
def diverging_bars(shares: pd.DataFrame, items: pd.DataFrame | None, tr, from_wave, to_wave,
                   dimension: str | None = None, wave_labels: Mapping | None = None,
                   min_label: float = 12.0) -> Figure:
    """Diverging stacked bars of the answers per item, at both waves of a pair.

    Parameters
    ----------
    shares : pandas.DataFrame
        The ``item_shares`` results table, made by
        :func:`impactlib.stats.item_change.distribution_shares` from the
        ``item_distribution`` counts (columns ``item``, ``dimension``,
        ``from_wave``, ``to_wave``, ``wave``, ``kind``, ``label``, ``level``,
        ``n_levels``, ``neutral``, ``reverse``, ``n``, ``pct``, ``start``,
        ``end``, ``n_candidates``). It holds the same candidates at both
        waves of a pair; every percentage and position drawn is one of its
        cells.
    items : pandas.DataFrame or None
        Codebook ``items`` table (``item``, ``text``, ``dimension``,
        ``reverse``): item texts label the bars, in codebook order.
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    from_wave, to_wave : str
        The wave pair.
    dimension : str, optional
        Draw the items of this dimension only.
    wave_labels : mapping, optional
        Names of the waves for the title.
    min_label : float
        Segments narrower than this percentage are not labelled.

    Returns
    -------
    matplotlib.figure.Figure
        Left panel: one bar per item and wave; the answer segments
        (``kind = "answer"``) from ``start`` to ``end``, least favourable
        answers left of zero, the neutral answer centred on zero, favourable
        answers right (reverse items, whose levels run against the scale
        values, are marked ``*`` with a footnote). Right panel: the
        "don't know" and missing segments, in percent of the candidates.
        Patches carry the gid ``"bar:<item>:<wave>:<label>"``
        (``"side:<item>:<wave>:<kind>"`` on the right).
    """
    need = ["item", "dimension", "wave", "kind", "label", "level", "n_levels", "neutral",
            "reverse", "n", "pct", "start", "end"]
    d = _pair_rows(shares, from_wave, to_wave)
    pair = _pair(from_wave, to_wave, wave_labels, tr)
    title = (tr.t("figures.diverging.title_dimension", dimension=_esc(dimension), pair=pair)
             if dimension is not None else tr.t("figures.diverging.title", pair=pair))
    if not _usable(d, need):
        return _no_data(tr, title)
    info = _item_info(items)
    if dimension is not None:
        d = d.loc[(d["dimension"] == str(dimension)).to_numpy(dtype=bool)]
    waves = [str(from_wave), str(to_wave)]
    d = d.loc[d["wave"].isin(waves).to_numpy(dtype=bool)]
    if len(d) == 0 or not (d["n"] > 0).any():
        return _no_data(tr, title)

    item_order = _first_seen([k for k in info if k in set(d["item"])] + d["item"].tolist())
    dims = {it: _known(dim) for it, dim in zip(d["item"], d["dimension"])}
    groups = _dimension_rows(item_order, dims, [m.get("dimension") for m in info.values()])
    show_heads = len(groups) > 1

    rows_out = []  # (y, item, wave, answer segments, side segments)
    heads, item_centres = [], []
    legend_sets, reverse_standard = [], None
    y = 0.0
    for dim, members in groups:
        if show_heads:
            heads.append((y, dim))
            y += 1.1
        for item in members:
            # a text of more lines than its two bars are tall gets room above and below
            lines = _item_text(item, info, 27).count("\n") + 1
            extra = max(0.0, (lines * 8.5 * 1.2 / 72 + 0.05) / ROW_IN - 2.5)
            y += extra / 2
            rows = d.loc[(d["item"] == item).to_numpy(dtype=bool)]
            answers = rows.loc[(rows["kind"] == "answer").to_numpy(dtype=bool)]
            levels = answers.loc[(answers["wave"] == waves[0]).to_numpy(dtype=bool)]
            levels = levels.sort_values("level")["label"].tolist()
            reverse = bool(rows["reverse"].iloc[0])
            standard = levels[::-1] if reverse else levels
            colours = _level_colours(int(rows["n_levels"].iloc[0]))
            if tuple(standard) not in [tuple(s) for s in legend_sets] and standard:
                legend_sets.append(standard)
            if reverse and standard and reverse_standard is None:
                reverse_standard = standard
            ys = []
            for wave in waves:
                wr = rows.loc[(rows["wave"] == wave).to_numpy(dtype=bool)]
                ans = wr.loc[(wr["kind"] == "answer").to_numpy(dtype=bool)].sort_values("level")
                segs = [(lab, start, end, pct, colours[level], neutral) for lab, start, end, pct, level, neutral
                        in zip(ans["label"], ans["start"], ans["end"], ans["pct"], ans["level"],
                               ans["neutral"])]
                side = {kind: (start, end, pct) for kind, start, end, pct
                        in zip(wr["kind"], wr["start"], wr["end"], wr["pct"]) if kind != "answer"}
                rows_out.append((y, item, wave, segs, side))
                ys.append(y)
                y += 1.0
            item_centres.append((float(np.mean(ys)), item))
            y += 0.5 + extra / 2
    n_rows = y

    n_text = _count_text(d["n_candidates"] if "n_candidates" in d.columns else [], tr)
    note = (tr.t("figures.diverging.reverse_note", high=_esc(reverse_standard[-1]),
                 low=_esc(reverse_standard[0])) if reverse_standard is not None else None)
    n_legend = sum(len(st) for st in legend_sets) + 2
    # rows of 0.155 in (bars 9 pt thick, their 8 pt numbers inside; item texts on two
    # lines): two figures of five items fit on a printed A4 page
    fig, body = _frame(WIDTH, 0.8 + ROW_IN * n_rows + 0.19 * math.ceil(n_legend / 2), title,
                       tr.t("figures.diverging.subtitle", n=n_text), note)
    gs = body.add_gridspec(1, 2, width_ratios=[5.0, 1.5])
    ax = body.add_subplot(gs[0, 0])
    side_ax = body.add_subplot(gs[0, 1], sharey=ax)
    reach, top_side = 10.0, 0.0
    for (yy, item, wave, segs, side) in rows_out:
        for lab, start, end, width, colour, neutral in segs:
            if width <= 0:
                continue
            patch = ax.barh(yy, width, left=start, height=0.8, color=colour,
                            edgecolor=GREY if neutral else "white", linewidth=0.6)[0]
            patch.set_gid(f"bar:{item}:{wave}:{lab}")
            if width >= min_label:
                ax.text(start + width / 2, yy, tr.number(width), ha="center", va="center",
                        fontsize=8, color=_text_colour(colour))
        if segs:
            reach = max(reach, -min(s[1] for s in segs), max(s[2] for s in segs))
        for kind, colour, hatch in [("dont_know", DONT_KNOW_COLOUR, None),
                                    ("missing", MISSING_COLOUR, "////")]:
            start, _, width = side.get(kind, (0.0, 0.0, 0.0))
            if width > 0:
                patch = side_ax.barh(yy, width, left=start, height=0.8, color=colour, hatch=hatch,
                                     edgecolor="white", linewidth=0.6)[0]
                patch.set_gid(f"side:{item}:{wave}:{kind}")
        outer = max([end for _, end, _ in side.values()] + [0.0])
        if outer > 0:
            side_ax.text(outer, yy, " " + tr.number(outer), ha="left", va="center", fontsize=8)
        top_side = max(top_side, outer)
    reach = min(100.0, math.ceil(reach / 10.0) * 10.0)
    ax.set_xlim(-reach, reach)
    # ticks inside the limits (a "100 %" at the edge ran into the side panel's "0 %")
    step = 50.0 if reach > 60 else 25.0 if reach > 30 else 10.0
    ax.set_xticks(np.arange(-math.floor((reach - 1) / step), math.floor((reach - 1) / step) + 1)
                  * step)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.percent(abs(v) / 100)))
    # "<- less favourable   % of answers   more favourable ->": the arrows on
    # either side of zero, the words under them (the panel is narrow)
    xlabel = re.split(r"\s{3,}", tr.t("figures.diverging.xlabel"))
    ax.set_xlabel(f"{xlabel[0]}  {xlabel[2]}\n{xlabel[1]}" if len(xlabel) == 3
                  else " ".join(xlabel), fontsize=8.5)
    ax.set_yticks([r[0] for r in rows_out], [_esc(r[2]) for r in rows_out])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(n_rows - 0.3, -0.6)
    ax.spines["left"].set_visible(False)
    tick_chars = max(len(r[2]) for r in rows_out)
    offset = -(10 + 5.5 * tick_chars)
    blend = _left_of_axis(ax)
    for yy, item in item_centres:
        ax.annotate(_item_text(item, info, 27), xy=(0, yy), xycoords=blend, xytext=(offset, 0),
                    textcoords="offset points", ha="right", va="center", fontsize=8.5)
    for yy, dim in heads:
        ax.annotate(_wrap(dim, 28), xy=(0, yy), xycoords=blend, xytext=(offset, 0),
                    textcoords="offset points", ha="right", va="center", fontsize=9,
                    fontweight="bold")
    side_ax.set_xlim(0, max(10.0, math.ceil(top_side * 1.35 / 5.0) * 5.0))
    side_ax.set_xticks([0, side_ax.get_xlim()[1]])
    side_ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.percent(v / 100)))
    side_ax.tick_params(axis="y", left=False, labelleft=False)
    side_ax.spines["left"].set_visible(False)
    # under the panel, beside the main axis's label (a title above it took three lines)
    side_ax.set_xlabel("\n".join(_lines(tr.t("figures.diverging.side_title"), 13)), fontsize=8,
                       loc="left")

    handles = []
    seen = set()
    for standard in legend_sets:
        for lab, colour in zip(standard, _level_colours(len(standard))):
            if (lab, colour) not in seen:
                seen.add((lab, colour))
                handles.append(Patch(facecolor=colour, edgecolor=DARK_GREY, linewidth=0.4,
                                     label=_esc(lab)))
    handles += [Patch(facecolor=DONT_KNOW_COLOUR, edgecolor=DARK_GREY, linewidth=0.4,
                      label=tr.t("figures.diverging.dont_know")),
                Patch(facecolor=MISSING_COLOUR, edgecolor="white", hatch="////",
                      label=tr.t("figures.diverging.missing"))]
    _legend(body, handles, 2, fontsize=8.5)
    return fig


# ---------------------------------------------------------------------------
# Forest plot
# ---------------------------------------------------------------------------


@_styled
def forest_plot(item_change: pd.DataFrame, items: pd.DataFrame | None, tr, from_wave, to_wave,
                wave_labels: Mapping | None = None, alpha: float = 0.05,
                dimension: str | None = None) -> Figure:
    """Mean paired difference of every item with its 95% t interval.

    Parameters
    ----------
    item_change : pandas.DataFrame
        The ``item_change`` results table (``item``, ``from_wave``,
        ``to_wave``, ``n_pairs``, ``mean_diff``, ``ci_low``, ``ci_high``,
        ``p_adjusted``, optionally ``dimension``).
    items : pandas.DataFrame or None
        Codebook ``items`` table (``item``, ``text``, ``dimension``,
        ``reverse``): row labels and grouping.
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    from_wave, to_wave : str
        The wave pair.
    wave_labels : mapping, optional
        Names of the waves for the title.
    alpha : float
        Threshold of ``p_adjusted`` (Benjamini-Hochberg) for the filled
        marker.
    dimension : str, optional
        Draw the items of this dimension only (its name in the title), on
        the x range of the whole pair, so that the figures of a pair's
        dimensions read on one scale; each fits a printed page where all 30
        items of the demo, drawn at once, were shrunk to 6 pt text.

    Returns
    -------
    matplotlib.figure.Figure
        One row per item with a mean difference, grouped by dimension: the
        point is ``mean_diff`` (answers recoded, positive = improvement), the
        line the t interval ``ci_low``-``ci_high`` of the mean paired
        difference; filled blue points when ``p_adjusted < alpha``, open
        grey ones otherwise; ``n = n_pairs`` on the right. Points are two
        scatter collections with gids ``"significant"`` and
        ``"not-significant"``.
    """
    pair = _pair(from_wave, to_wave, wave_labels, tr)
    title = (tr.t("figures.forest.title_dimension", dimension=_esc(dimension), pair=pair)
             if dimension is not None else tr.t("figures.forest.title", pair=pair))
    d = _pair_rows(item_change, from_wave, to_wave)
    if not _usable(d, ["item", "mean_diff"]):
        return _no_data(tr, title)
    d = d.loc[d["mean_diff"].notna().to_numpy() & d["item"].notna().to_numpy()]
    if len(d) == 0:
        return _no_data(tr, title)
    info = _item_info(items)
    # the x range of the whole pair (every dimension's figure on one scale)
    xs = np.concatenate([d[c].to_numpy(dtype=float) for c in ["mean_diff", "ci_low", "ci_high"]
                         if c in d.columns] + [[0.0]])
    xs = xs[np.isfinite(xs)]
    if dimension is not None:
        dims_of = (d["dimension"].astype(object) if "dimension" in d.columns
                   else d["item"].map(lambda k: info.get(k, {}).get("dimension")))
        d = d.loc[(dims_of.astype(str) == str(dimension)).to_numpy(dtype=bool)]
        if len(d) == 0:
            return _no_data(tr, title)
    nan = pd.Series(np.nan, index=d.index)
    low = (d["ci_low"] if "ci_low" in d.columns else nan).to_numpy()
    high = (d["ci_high"] if "ci_high" in d.columns else nan).to_numpy()
    padj = d["p_adjusted"] if "p_adjusted" in d.columns else nan
    npairs = d["n_pairs"] if "n_pairs" in d.columns else nan
    table_dims = d["dimension"] if "dimension" in d.columns else nan
    records = {}
    for item, diff, lo, hi, p, n, dim in zip(d["item"], d["mean_diff"], low, high, padj, npairs,
                                             table_dims):
        records.setdefault(item, (diff, lo, hi, p, n,
                                  _known(dim) or info.get(item, {}).get("dimension")))
    order = _first_seen([k for k in info if k in records] + list(records))
    groups = _dimension_rows(order, {k: records[k][5] for k in order},
                             [m.get("dimension") for m in info.values()])
    show_heads = len(groups) > 1
    wrap = 30
    ypos, heads, n_rows = _item_rows(groups, info, wrap, show_heads)
    note = (tr.t("figures.forest.reverse_note")
            if any(info.get(k, {}).get("reverse") for k in order) else None)
    fig, body = _frame(WIDTH, 0.95 + ITEM_ROW_IN * n_rows, title, tr.t("figures.forest.subtitle"),
                       note)
    ax = body.add_subplot()
    sig_xy, ns_xy = [], []
    for item in order:
        diff, lo, hi, p, n, _ = records[item]
        yy = ypos[item]
        sig = bool(not _isna(p) and p < alpha)
        colour = OKABE_ITO["blue"] if sig else "#767676"
        if np.isfinite(lo) and np.isfinite(hi):
            ax.plot([lo, hi], [yy, yy], color=colour, linewidth=1.6, solid_capstyle="butt")
        (sig_xy if sig else ns_xy).append((diff, yy))
        if not _isna(n):
            ax.annotate(tr.t("figures.common.n", n=tr.number(n)), xy=(1, yy), xycoords=_left_of_axis(ax),
                        xytext=(6, 0), textcoords="offset points", va="center", ha="left",
                        fontsize=8, color=DARK_GREY)
    sig_coll = ax.scatter(*zip(*sig_xy) if sig_xy else ([], []), s=42, marker="o",
                          color=OKABE_ITO["blue"], edgecolor="white", linewidth=0.6, zorder=3)
    sig_coll.set_gid("significant")
    ns_coll = ax.scatter(*zip(*ns_xy) if ns_xy else ([], []), s=38, marker="o", facecolor="white",
                         edgecolor="#555555", linewidth=1.2, zorder=3)
    ns_coll.set_gid("not-significant")
    ax.axvline(0, color="black", linewidth=0.8, zorder=1)
    ticks = [ypos[k] for k in order] + [h[0] for h in heads]
    tick_labels = [_item_text(k, info, wrap) for k in order] + [_wrap(h[1], wrap) for h in heads]
    ax.set_yticks(ticks, tick_labels)
    for label in ax.get_yticklabels()[len(order):]:
        label.set_fontweight("bold")
        label.set_fontsize(9)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(n_rows - 0.45, -0.65)
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    span = max(float(np.max(np.abs(xs))), 0.1)
    ax.set_xlim(min(-0.1 * span, float(np.min(xs)) - 0.08 * span), float(np.max(xs)) + 0.08 * span)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v, 1)))
    ax.set_xlabel("\n".join(textwrap.wrap(tr.t("figures.forest.xlabel", start=_wave_name(from_wave, None, tr),
                                                 end=_wave_name(to_wave, None, tr)), 50)))
    handles = [Line2D([], [], marker="o", linestyle="-", color=OKABE_ITO["blue"], markeredgecolor="white",
                      markersize=7, label=tr.t("figures.forest.significant", alpha=tr.number(alpha, 2))),
               Line2D([], [], marker="o", linestyle="-", color="#767676", markerfacecolor="white",
                      markeredgecolor="#555555", markersize=6.5,
                      label=tr.t("figures.forest.not_significant"))]
    _legend(body, handles, 2, fontsize=8, columnspacing=1.2, handlelength=1.6)
    return fig


# ---------------------------------------------------------------------------
# Ordinal model: probability of a higher answer
# ---------------------------------------------------------------------------


_ORDINAL_STYLE = {  # status -> (colour, filled)
    "higher": (OKABE_ITO["blue"], True),
    "lower": (OKABE_ITO["vermillion"], True),
    "unclear": ("#767676", False),
}


@_styled
def ordinal_plot(effects: pd.DataFrame, items: pd.DataFrame | None, tr, from_wave, to_wave,
                 dimension: str | None = None, wave_labels: Mapping | None = None,
                 min_candidates: int = MIN_CELL) -> Figure:
    """Probability that a typical candidate answers higher, per item, with its 95% interval.

    Parameters
    ----------
    effects : pandas.DataFrame
        One wave pair of the ``item_ordinal`` results table, as made by
        :func:`impactlib.stats.ordinal_effects.ordinal_effects` (``item``,
        ``dimension``, ``n_candidates``, ``prob_higher``, ``prob_low``,
        ``prob_high``, ``status``); every number drawn is one of its cells.
    items : pandas.DataFrame or None
        Codebook ``items`` table (``item``, ``text``, ``dimension``,
        ``reverse``): row labels and grouping, in codebook order.
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    from_wave, to_wave : str
        The wave pair (title and axis).
    dimension : str, optional
        Draw the items of this dimension only (one figure per dimension
        fits a printed page); the x range is that of all of ``effects``, so
        the dimensions' figures read on one scale.
    wave_labels : mapping, optional
        Names of the waves for the title.
    min_candidates : int
        The threshold named on a suppressed row (the suppression itself is
        ``status == "suppressed"`` of ``effects``).

    Returns
    -------
    matplotlib.figure.Figure
        One row per item, grouped by dimension: the point is
        ``prob_higher`` (50% = no change, the dashed line), the line the
        interval ``prob_low``-``prob_high``; filled blue when the interval
        lies above 50%, filled vermillion below, open grey when it holds
        50%; ``n = n_candidates`` on the right. An item whose fit did not
        converge, or with fewer than ``min_candidates`` candidates, keeps
        its row with a grey text saying so (texts with gids
        ``"not_converged:<item>"``, ``"suppressed:<item>"``). Points are
        scatter collections with gids ``"higher"``, ``"lower"`` and
        ``"unclear"``.
    """
    pair = _pair(from_wave, to_wave, wave_labels, tr)
    title = (tr.t("figures.ordinal.title_dimension", dimension=_esc(dimension), pair=pair)
             if dimension is not None else tr.t("figures.ordinal.title", pair=pair))
    need = ["item", "dimension", "n_candidates", "prob_higher", "prob_low", "prob_high", "status"]
    if not _usable(effects, need):
        return _no_data(tr, title)
    d = effects.loc[effects["item"].notna().to_numpy()]
    xs = d[["prob_higher", "prob_low", "prob_high"]].to_numpy(dtype=float).ravel()
    xs = np.concatenate([xs[np.isfinite(xs)], [0.4, 0.6]])
    if dimension is not None:
        d = d.loc[(d["dimension"].astype(str) == str(dimension)).to_numpy(dtype=bool)]
    if len(d) == 0:
        return _no_data(tr, title)
    info = _item_info(items)
    records = {}
    for item, dim, n, ph, lo, hi, status in zip(d["item"], d["dimension"], d["n_candidates"],
                                                 d["prob_higher"], d["prob_low"], d["prob_high"],
                                                 d["status"].astype(str)):
        records.setdefault(item, (_known(dim) or info.get(item, {}).get("dimension"),
                                  _known(n), ph, lo, hi, status))
    order = _first_seen([k for k in info if k in records] + list(records))
    groups = _dimension_rows(order, {k: records[k][0] for k in order},
                             [m.get("dimension") for m in info.values()])
    show_heads = len(groups) > 1
    wrap = 30
    ypos, heads, n_rows = _item_rows(groups, info, wrap, show_heads)
    start, end = _wave_name(from_wave, None, tr), _wave_name(to_wave, None, tr)
    notes = [tr.t("figures.ordinal.n_note")]
    if any(info.get(k, {}).get("reverse") for k in order):
        notes.append(tr.t("figures.forest.reverse_note"))
    statuses = {records[k][5] for k in order}
    legend_keys = [s for s in ("higher", "unclear", "lower") if s in statuses] or ["unclear"]
    fig, body = _frame(WIDTH, 0.95 + ITEM_ROW_IN * n_rows + 0.17 * (len(legend_keys) > 2), title,
                       tr.t("figures.ordinal.subtitle", start=start, end=end), "\n".join(notes))
    ax = body.add_subplot()
    lo_x = max(0.0, math.floor((float(np.min(xs)) - 0.02) * 20) / 20)
    hi_x = min(1.0, math.ceil((float(np.max(xs)) + 0.02) * 20) / 20)
    points = {s: [] for s in _ORDINAL_STYLE}
    blend = _left_of_axis(ax)
    for item in order:
        _, n, ph, lo, hi, status = records[item]
        yy = ypos[item]
        if status in _ORDINAL_STYLE:
            colour = _ORDINAL_STYLE[status][0]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.plot([lo, hi], [yy, yy], color=colour, linewidth=1.6, solid_capstyle="butt")
            points[status].append((ph, yy))
        else:
            text = (tr.t("figures.ordinal.suppressed", n_min=min_candidates) if status == "suppressed"
                    else tr.t("figures.ordinal.not_converged"))
            ax.text(0.02, yy, _esc(text), transform=blend, ha="left", va="center", fontsize=8,
                    color=DARK_GREY, fontstyle="italic", gid=f"{status}:{item}")
        if n is not None:
            ax.annotate(tr.t("figures.common.n", n=tr.number(n)), xy=(1, yy), xycoords=blend,
                        xytext=(6, 0), textcoords="offset points", va="center", ha="left",
                        fontsize=8, color=DARK_GREY)
    for status, (colour, filled) in _ORDINAL_STYLE.items():
        xy = points[status]
        coll = ax.scatter(*zip(*xy) if xy else ([], []), s=40, marker="o",
                          facecolor=colour if filled else "white",
                          edgecolor="white" if filled else "#555555",
                          linewidth=0.6 if filled else 1.2, zorder=3)
        coll.set_gid(status)
    ax.axvline(0.5, color="black", linewidth=0.8, linestyle=(0, (4, 2)), zorder=1)
    ticks = [ypos[k] for k in order] + [h[0] for h in heads]
    tick_labels = [_item_text(k, info, wrap) for k in order] + [_wrap(h[1], wrap) for h in heads]
    ax.set_yticks(ticks, tick_labels)
    for label in ax.get_yticklabels()[len(order):]:
        label.set_fontweight("bold")
        label.set_fontsize(9)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(n_rows - 0.45, -0.65)
    ax.set_xlim(lo_x, hi_x)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.percent(v)))
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel("\n".join(textwrap.wrap(tr.t("figures.ordinal.xlabel", start=start, end=end), 50)))
    handles = []
    for status in legend_keys:
        colour, filled = _ORDINAL_STYLE[status]
        handles.append(Line2D([], [], marker="o", linestyle="-", color=colour,
                              markerfacecolor=colour if filled else "white",
                              markeredgecolor="white" if filled else "#555555",
                              markersize=7 if filled else 6.5,
                              label=tr.t(f"figures.ordinal.{status}")))
    _legend(body, handles, 2, fontsize=8, columnspacing=1.2, handlelength=1.6)
    return fig


# ---------------------------------------------------------------------------
# Reliable change scatter
# ---------------------------------------------------------------------------


def _rci_row(rci, dimension, from_wave, to_wave):
    if isinstance(rci, pd.Series):
        return rci
    rows = _pair_rows(rci, from_wave, to_wave)
    if not _usable(rows, ["dimension"]):
        return None
    rows = rows.loc[(rows["dimension"] == str(dimension)).to_numpy(dtype=bool)]
    return rows.iloc[0] if len(rows) else None


@_styled
def rci_scatter(points: pd.DataFrame, rci, dimension: str, from_wave, to_wave, tr,
                wave_labels: Mapping | None = None, critical: float = 1.96) -> Figure:
    """Score at the from-wave against score at the to-wave, with the reliable-change band.

    Parameters
    ----------
    points : pandas.DataFrame
        Candidate-level frame of :func:`impactlib.stats.reliability.rci_points`
        (``dimension``, ``from_wave``, ``to_wave``, ``score_from``,
        ``score_to``, ``change``): one point per candidate scored at both
        waves, classed by the statistics layer. It holds no candidate id.
    rci : pandas.DataFrame or pandas.Series
        The ``rci`` results table (or its row for this dimension and pair):
        ``se_diff`` and the ``pct_reliable_*`` percentages.
    dimension : str
        The dimension drawn.
    from_wave, to_wave : str
        The wave pair.
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    wave_labels : mapping, optional
        Names of the waves.
    critical : float
        Critical value of the reliable change index, for the band drawn
        (1.96, as the classification of
        :func:`impactlib.stats.reliability.change_class`).

    Returns
    -------
    matplotlib.figure.Figure
        One point per row of ``points`` (gid ``"improved"``, ``"no-change"``,
        ``"deteriorated"`` on the three scatter collections, or
        ``"unclassified"`` on one when there is no ``se_diff``), the
        identity line and the band ``identity +/- critical * se_diff``; the
        legend gives the percentages of the ``rci`` row.
    """
    pair = _pair(from_wave, to_wave, wave_labels, tr)
    title = tr.t("figures.rci.title", dimension=_esc(dimension), pair=pair)
    p = _pair_rows(points, from_wave, to_wave)
    if not _usable(p, ["dimension", "score_from", "score_to", "change"]):
        return _no_data(tr, title)
    p = p.loc[(p["dimension"] == str(dimension)).to_numpy(dtype=bool)
              & p["score_from"].notna().to_numpy() & p["score_to"].notna().to_numpy()]
    if len(p) == 0:
        return _no_data(tr, title)
    x = p["score_from"].to_numpy()
    y = p["score_to"].to_numpy()
    change = p["change"].to_numpy(dtype=object)
    row = _rci_row(rci, dimension, from_wave, to_wave)
    se = row["se_diff"] if row is not None and "se_diff" in row.index else np.nan
    has_band = bool(not _isna(se) and se > 0)

    n_text = tr.number(len(p))
    subtitle = (tr.t("figures.rci.subtitle", n=n_text, critical=tr.number(critical, 2),
                     se=tr.number(se, 2)) if has_band
                else tr.t("figures.rci.subtitle_no_band", n=n_text))
    fig, body = _frame(WIDTH, 3.3, title, subtitle)
    ax = body.add_subplot()
    lo = math.floor(min(x.min(), y.min()))
    hi = math.ceil(max(x.max(), y.max()))
    if hi - lo < 1:
        lo, hi = lo - 0.5, hi + 0.5
    pad = 0.04 * (hi - lo)
    grid = np.array([lo - pad, hi + pad])
    handles = []
    if has_band:
        band = ax.fill_between(grid, grid - critical * se, grid + critical * se, color="#E3E3E3",
                               linewidth=0, zorder=0, label=tr.t("figures.rci.band"))
        for sign in (-1, 1):
            ax.plot(grid, grid + sign * critical * se, color="#9E9E9E", linewidth=0.8,
                    linestyle="--", zorder=1)
        handles.append(band)
    ident, = ax.plot(grid, grid, color="black", linewidth=0.9, zorder=1,
                     label=tr.t("figures.rci.identity"))
    handles.append(ident)

    def pct(col):
        value = row[col] if row is not None and col in row.index else np.nan
        return tr.percent(value / 100) if not _isna(value) else "–"

    if has_band:
        classes = [
            ("improved", change == "improved", OKABE_ITO["blue"], "^", 34,
             tr.t("figures.rci.improved", pct=pct("pct_reliable_improvement"))),
            ("no-change", change == "no_change", "#8C8C8C", "o", 22,
             tr.t("figures.rci.no_change", pct=pct("pct_no_reliable_change"))),
            ("deteriorated", change == "deteriorated", OKABE_ITO["vermillion"], "v", 34,
             tr.t("figures.rci.deteriorated", pct=pct("pct_reliable_deterioration"))),
        ]
    else:
        classes = [("unclassified", np.ones(len(x), dtype=bool), "#555555", "o", 22,
                    tr.t("figures.rci.unclassified"))]
    for gid, mask, colour, marker, size, label in classes:
        coll = ax.scatter(x[mask], y[mask], s=size, marker=marker, color=colour, alpha=0.7,
                          edgecolor="white", linewidth=0.4, zorder=3, label=label)
        coll.set_gid(gid)
        handles.append(coll)
    ax.set_xlim(grid)
    ax.set_ylim(grid)
    ax.set_aspect("equal")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v, 0 if float(v).is_integer() else 1)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v, 0 if float(v).is_integer() else 1)))
    ax.set_xlabel(tr.t("figures.rci.xlabel", wave=_wave_name(from_wave, wave_labels, tr)))
    ax.set_ylabel(tr.t("figures.rci.ylabel", wave=_wave_name(to_wave, wave_labels, tr)))
    ax.grid(color="#EFEFEF", linewidth=0.6)
    ax.set_axisbelow(True)
    # the legend beside the square plot, its labels wrapped: the figure is
    # half as tall as with the legend under it (two fit on an A4 page)
    body.legend(handles=handles, labels=["\n".join(_lines(h.get_label(), 20)) for h in handles],
                loc="outside right center", frameon=False, labelspacing=0.9)
    return fig


# ---------------------------------------------------------------------------
# Transition heatmap
# ---------------------------------------------------------------------------


def _value_labels(values, item, items, scales):
    """Tick labels of recoded values: ``value`` or the scale label when it is known."""
    meta = _item_info(items).get(str(item))
    if meta is None or not _usable(scales, ["value", "label"]):
        return None
    names = scales["scale"] if "scale" in scales.columns else pd.Series(meta.get("scale"), index=scales.index)
    known = _first_seen(_known(s) for s in names)
    scale = meta.get("scale")
    if scale not in known and len(known) == 1:
        scale = known[0]
    if scale not in known:
        return None
    sel = scales.loc[(names == scale).to_numpy(dtype=bool) & scales["value"].notna().to_numpy()
                     & scales["label"].notna().to_numpy()]
    pairs = dict(zip(sel["value"], sel["label"]))
    if not pairs:
        return None
    vmin, vmax = min(pairs), max(pairs)
    out = []
    for v in values:
        raw = vmin + vmax - v if meta.get("reverse") else v
        out.append(pairs.get(raw))
    return out if all(lab is not None for lab in out) else None


@_styled
def transition_heatmap(transitions: pd.DataFrame, item, from_wave, to_wave, tr,
                       scales: pd.DataFrame | None = None, items: pd.DataFrame | None = None,
                       wave_labels: Mapping | None = None, min_count: int = MIN_CELL) -> Figure:
    """From-answer x to-answer counts of one item, small counts suppressed.

    Parameters
    ----------
    transitions : pandas.DataFrame
        The ``item_transitions`` results table (``item``, ``from_wave``,
        ``to_wave``, ``value_from``, ``value_to``, ``n``); values are recoded
        (higher is better).
    item : str
        The item drawn.
    from_wave, to_wave : str
        The wave pair.
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    scales : pandas.DataFrame, optional
        Codebook ``scales`` table; with ``items``, the axes show the answer
        labels (turned round for reverse items) instead of the values.
    items : pandas.DataFrame, optional
        Codebook ``items`` table (``item``, ``text``, ``scale``,
        ``reverse``): the title shows the item text.
    wave_labels : mapping, optional
        Names of the waves.
    min_count : int
        Cells with ``0 < n < min_count`` are suppressed: annotated ``<5``
        and coloured neutral grey, whatever their true count; the colour
        scale spans the shown counts only. Empty cells show ``0``.

    Returns
    -------
    matplotlib.figure.Figure
        Rows: answer at ``from_wave`` (lowest on top); columns: answer at
        ``to_wave``; cells above the diagonal are improvements. The image
        has gid ``"transitions"``; its suppressed cells are masked.
    """
    info = _item_info(items)
    item_key = str(item)
    text = _esc(info.get(item_key, {}).get("text") or item_key)
    title = tr.t("figures.heatmap.title", item=text, start=_wave_name(from_wave, wave_labels, tr),
                 end=_wave_name(to_wave, wave_labels, tr))
    d = _pair_rows(transitions, from_wave, to_wave)
    if not _usable(d, ["item", "value_from", "value_to", "n", "n_pairs"]):
        return _no_data(tr, title)
    d = d.loc[(d["item"] == item_key).to_numpy(dtype=bool)]
    cells = d.loc[d["value_from"].notna().to_numpy() & d["value_to"].notna().to_numpy()
                  & d["n"].notna().to_numpy()]
    if not (cells["n"] > 0).any():
        return _no_data(tr, title)
    values = sorted(set(cells["value_from"]) | set(cells["value_to"]))
    index = {v: i for i, v in enumerate(values)}
    counts = np.zeros((len(values), len(values)))  # one row of the table per cell
    for a, b, c in zip(cells["value_from"], cells["value_to"], cells["n"]):
        counts[index[a], index[b]] = c
    suppressed = (counts > 0) & (counts < min_count)
    shown = np.ma.masked_array(counts, mask=suppressed)
    vmax = float(shown.max()) if shown.count() and shown.max() > 0 else 1.0
    cmap = mpl.colormaps["Blues"].with_extremes(bad=GREY)

    n_pairs = _count_text(d["n_pairs"], tr)
    names = _value_labels(values, item_key, items, scales)
    subtitle = tr.t("figures.heatmap.subtitle", n=n_pairs, end=_wave_name(to_wave, wave_labels, tr),
                    suppressed=tr.t("figures.heatmap.suppressed"))
    if names is None:
        subtitle += " " + tr.t("figures.heatmap.values_note")
    size = max(3.3, 0.7 + 0.55 * len(values))
    fig, body = _frame(min(WIDTH, size + 2.4), size + 0.6, title, subtitle)
    ax = body.add_subplot()
    image = ax.imshow(shown, cmap=cmap, vmin=0, vmax=vmax, aspect="equal")
    image.set_gid("transitions")
    for i in range(len(values)):
        for j in range(len(values)):
            if suppressed[i, j]:
                label, colour = tr.t("figures.heatmap.suppressed"), "black"
            else:
                label = tr.number(counts[i, j])
                colour = _text_colour(cmap(counts[i, j] / vmax))
            ax.text(j, i, label, ha="center", va="center", fontsize=8.5, color=colour)
        ax.add_patch(Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.2))
    digits = 0 if all(float(v).is_integer() for v in values) else 1
    ticks = [tr.number(v, digits) for v in values]
    if names is not None:
        ticks = [f"{t}\n{_wrap(lab, 11)}" for t, lab in zip(ticks, names)]
    ax.set_xticks(range(len(values)), ticks, fontsize=8)
    ax.set_yticks(range(len(values)), [t.replace("\n", " ", 1) for t in ticks], fontsize=8)
    ax.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(tr.t("figures.heatmap.xlabel", wave=_wave_name(to_wave, wave_labels, tr)))
    ax.set_ylabel(tr.t("figures.heatmap.ylabel", wave=_wave_name(from_wave, wave_labels, tr)))
    bar = body.colorbar(image, ax=ax, shrink=0.7, pad=0.02)
    bar.set_label(tr.t("figures.heatmap.colorbar"))
    bar.ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v)))
    return fig


# ---------------------------------------------------------------------------
# Sensitivity
# ---------------------------------------------------------------------------


def _estimates(table, from_wave, to_wave, value, low="ci_low", high="ci_high", n="n"):
    rows = _pair_rows(table, from_wave, to_wave)
    if not _usable(rows, ["dimension", value]):
        return {}
    nan = pd.Series(np.nan, index=rows.index)
    out = {}
    for dim, est, a, b, k in zip(rows["dimension"], rows[value], rows[low] if low in rows.columns else nan,
                                 rows[high] if high in rows.columns else nan,
                                 rows[n] if n in rows.columns else nan):
        if not _isna(dim) and not _isna(est) and dim not in out:
            out[dim] = (est, a, b, k)
    return out


@_styled
def sensitivity_figure(dimension_model: pd.DataFrame, completers_change: pd.DataFrame,
                       imputed_change: pd.DataFrame, tr, from_wave, to_wave,
                       wave_labels: Mapping | None = None) -> Figure:
    """Change of every dimension by three methods: does it depend on who stayed?

    Parameters
    ----------
    dimension_model : pandas.DataFrame
        The ``dimension_model`` results table (``dimension``, ``from_wave``,
        ``to_wave``, ``estimate``, ``ci_low``, ``ci_high``,
        ``n_candidates``): all available data, one row per dimension and
        wave pair (every pair from one fit).
    completers_change : pandas.DataFrame
        The ``completers_change`` results table (``mean_diff``, ``ci_low``,
        ``ci_high``, ``n``): candidates scored at both waves.
    imputed_change : pandas.DataFrame
        The ``imputed_change`` results table (``estimate``, ``ci_low``,
        ``ci_high``, ``n``): multiple imputation.
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    from_wave, to_wave : str
        The wave pair.
    wave_labels : mapping, optional
        Names of the waves.

    Returns
    -------
    matplotlib.figure.Figure
        One row per dimension, three dodged points with their 95% intervals
        (gids ``"completers"``, ``"model"``, ``"imputed"`` on the scatter
        collections) and a zero line.
    """
    pair = _pair(from_wave, to_wave, wave_labels, tr)
    title = tr.t("figures.sensitivity.title", pair=pair)
    methods = [
        ("completers", _estimates(completers_change, from_wave, to_wave, "mean_diff"),
         OKABE_ITO["orange"], "s", "figures.sensitivity.completers"),
        ("model", _estimates(dimension_model, from_wave, to_wave, "estimate", n="n_candidates"),
         OKABE_ITO["blue"], "o", "figures.sensitivity.model"),
        ("imputed", _estimates(imputed_change, from_wave, to_wave, "estimate"),
         OKABE_ITO["bluish_green"], "D", "figures.sensitivity.imputed"),
    ]
    dims = _first_seen([dim for _, est, *_ in methods for dim in est])
    if not dims:
        return _no_data(tr, title)
    n_methods = sum(1 for m in methods if m[1])
    note = tr.t("figures.sensitivity.model_missing") if not methods[1][1] else None
    fig, body = _frame(WIDTH, 1.0 + 0.2 * n_methods + (0.18 * n_methods + 0.1) * len(dims), title,
                       tr.t("figures.sensitivity.subtitle"), note)
    ax = body.add_subplot()
    present = [m[0] for m in methods if m[1]]
    spread = np.linspace(-0.24, 0.24, len(present)) if len(present) > 1 else [0.0]
    offsets = dict(zip(present, spread))
    values = [0.0]
    handles = []
    for key, est, colour, marker, label_key in methods:
        if not est:
            continue
        xs, ys = [], []
        for i, dim in enumerate(dims):
            if dim not in est:
                continue
            e, lo, hi, _ = est[dim]
            yy = i + offsets[key]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.plot([lo, hi], [yy, yy], color=colour, linewidth=1.6, solid_capstyle="butt")
                values += [lo, hi]
            xs.append(e)
            ys.append(yy)
            values.append(e)
        coll = ax.scatter(xs, ys, s=36, marker=marker, color=colour, edgecolor="white",
                          linewidth=0.5, zorder=3)
        coll.set_gid(key)
        n_text = _count_text([v[3] for v in est.values()], tr)
        handles.append(Line2D([], [], color=colour, marker=marker, markeredgecolor="white",
                              markersize=7, label="\n".join(_lines(
                                  tr.t(label_key, n=tr.t("figures.common.n", n=n_text)), 55))))
    ax.axvline(0, color="black", linewidth=0.8, zorder=1)
    ax.set_yticks(range(len(dims)), [_wrap(dim, 18) for dim in dims])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(dims) - 0.5, -0.5)
    for i in range(1, len(dims)):
        ax.axhline(i - 0.5, color="#E5E5E5", linewidth=0.6)
    ax.grid(axis="x", color="#EFEFEF", linewidth=0.6)
    ax.set_axisbelow(True)
    span = max(max(abs(v) for v in values), 0.1)
    ax.set_xlim(min(min(values) - 0.08 * span, -0.1 * span), max(values) + 0.08 * span)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v, 1)))
    ax.set_xlabel(tr.t("figures.sensitivity.xlabel", start=_wave_name(from_wave, None, tr),
                       end=_wave_name(to_wave, None, tr)))
    _legend(body, handles, 1)
    return fig


# ---------------------------------------------------------------------------
# Tipping point of the delta adjustment (issue 15)
# ---------------------------------------------------------------------------


@_styled
def tipping_point_figure(change_sensitivity: pd.DataFrame, tr, from_wave, to_wave,
                         wave_labels: Mapping | None = None) -> Figure:
    """How much worse could the absent have done before the change is no longer shown?

    Parameters
    ----------
    change_sensitivity : pandas.DataFrame
        The ``change_sensitivity`` results table
        (:func:`impactlib.stats.sensitivity.delta_adjusted_change`:
        ``dimension``, ``from_wave``, ``to_wave``, ``delta``, ``estimate``,
        ``ci_low``, ``ci_high``, ``n_candidates``, ``n_imputed``, ``m``,
        ``tipping_delta``, ``tipping``).
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    from_wave, to_wave : str
        The wave pair.
    wave_labels : mapping, optional
        Names of the waves.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per dimension (two columns, shared axes), the shift
        ``delta`` on x with 0 on the left (the imputation's assumption) and
        the larger shifts to the right: the pooled change as a line (gid
        ``estimate:<i>``), its 95% interval as a band (gid ``ci:<i>``), the
        zero line (gid ``zero``) and, when the tipping point falls inside the
        grid, a dashed vertical line at it (gid ``tipping:<i>``) with its
        value; otherwise a word says why there is none (no change shown at
        0, none over the range of the scores, nothing imputed) or where it is.
        A count of imputed candidates from 1 to 4 is written ``moins de 5``.
    """
    pair = _pair(from_wave, to_wave, wave_labels, tr)
    title = tr.t("figures.tipping.title", pair=pair)
    needed = ["dimension", "delta", "estimate", "ci_low", "ci_high", "tipping", "tipping_delta"]
    rows = _pair_rows(change_sensitivity, from_wave, to_wave)
    if not _usable(rows, needed):
        return _no_data(tr, title)
    rows = rows.loc[rows["estimate"].notna().to_numpy()]
    dims = _first_seen(v for v in rows["dimension"] if not _isna(v))
    if not dims:
        return _no_data(tr, title)
    start, end = _wave_name(from_wave, None, tr), _wave_name(to_wave, None, tr)
    named = _wave_name(to_wave, wave_labels, tr)          # the later wave by its name, in words
    delta = rows["delta"].to_numpy(dtype=float)
    left, right = float(delta.max()), float(delta.min())   # 0 on the left, the shifts to the right
    farthest = right if abs(right) >= abs(left) else left

    n_imputed = [_known(v) for v in rows["n_imputed"]] if "n_imputed" in rows else []
    shown = [v for v in n_imputed if v is not None and not 0 < v < MIN_CELL]
    few = [v for v in n_imputed if v is not None and 0 < v < MIN_CELL]
    imputed = " ; ".join(([_count_text(shown, tr)] if shown else [])
                         + ([tr.t("figures.tipping.few", n_min=MIN_CELL)] if few else [])) or "–"
    total = _count_text(rows["n_candidates"], tr) if "n_candidates" in rows else "–"
    m = _known(rows["m"].iloc[0]) if "m" in rows else None
    note = tr.t("figures.tipping.note", end=named, n_imputed=imputed, n=total,
                m=int(m) if m is not None else 0)
    ncol = 1 if len(dims) == 1 else 2
    nrow = math.ceil(len(dims) / ncol)
    fig, body = _frame(WIDTH, 0.7 + 1.45 * nrow, title,
                       tr.t("figures.tipping.subtitle", end=named,
                            shift=tr.number(abs(farthest), 1)), note)
    axes = body.subplots(nrow, ncol, sharex=True, sharey=True, squeeze=False)
    bounds = np.concatenate([[0.0], rows["ci_low"].to_numpy(dtype=float),
                             rows["ci_high"].to_numpy(dtype=float)])
    bounds = bounds[np.isfinite(bounds)]
    low, high = float(bounds.min()), float(bounds.max())
    pad = 0.08 * max(high - low, 0.1)
    span = max(abs(left - right), 0.1)
    for i, dim in enumerate(dims):
        ax = axes.flat[i]
        d = rows.loc[(rows["dimension"] == dim).to_numpy(dtype=bool)].sort_values("delta")
        x = d["delta"].to_numpy(dtype=float)
        band = ax.fill_between(x, d["ci_low"].to_numpy(dtype=float),
                               d["ci_high"].to_numpy(dtype=float), color=OKABE_ITO["sky_blue"],
                               alpha=0.35, linewidth=0)
        band.set_gid(f"ci:{i}")
        (line,) = ax.plot(x, d["estimate"].to_numpy(dtype=float), color=OKABE_ITO["blue"],
                          linewidth=1.6)                # no markers: 13 KB less SVG
        line.set_gid(f"estimate:{i}")
        zero = ax.axhline(0, color="black", linewidth=0.8, zorder=1)
        zero.set_gid("zero")
        ax.set_title(_wrap(dim, 34), fontsize=8.5, loc="left")
        status, tip = str(d["tipping"].iloc[0]), _known(d["tipping_delta"].iloc[0])
        if status == "found" and tip is not None and min(left, right) <= tip <= max(left, right):
            mark = ax.axvline(tip, color=OKABE_ITO["vermillion"], linestyle="--", linewidth=1.2,
                              zorder=2)
            mark.set_gid(f"tipping:{i}")
            late = abs(tip - left) > 0.55 * span    # in the right half: label on its left
            ax.annotate(_esc(tr.t("figures.tipping.tipping", delta=tr.number(tip, 2))),
                        xy=(tip, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(-3 if late else 3, -2), textcoords="offset points",
                        ha="right" if late else "left", va="top", fontsize=8,
                        color=OKABE_ITO["vermillion"], gid=f"tipping-label:{i}")
        else:
            key = "beyond_grid" if status == "found" else status
            text = tr.t(f"figures.tipping.{key}", delta=tr.number(tip, 2) if tip is not None else "–")
            ax.text(0.98, 0.96, "\n".join(_lines(_esc(text), 30)), transform=ax.transAxes,
                    ha="right", va="top", fontsize=8, color=DARK_GREY, gid=f"tipping-label:{i}")
        ax.grid(axis="y", color="#EFEFEF", linewidth=0.6)
        ax.set_axisbelow(True)
    for j in range(len(dims), nrow * ncol):        # an empty last slot: no axes, the one
        axes.flat[j].set_visible(False)             # above keeps its x tick labels
        axes.flat[j - ncol].xaxis.set_tick_params(labelbottom=True)
    first = axes.flat[0]
    first.set_xlim(left + 0.04 * span, right - 0.04 * span)
    first.set_ylim(low - pad, high + pad)
    grid = np.unique(delta)                                 # ticks on every other shift
    ticks = grid[::-1][::2] if grid.size > 6 else grid
    step = float(np.min(np.abs(np.diff(ticks)))) if ticks.size > 1 else 1.0
    digits = max(0, int(np.ceil(-np.log10(step) - 1e-9)))
    first.xaxis.set_major_locator(FixedLocator(ticks))
    first.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v, digits)))
    first.yaxis.set_major_locator(MaxNLocator(nbins=4))
    first.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v, 1)))
    body.supxlabel("\n".join(_lines(tr.t("figures.tipping.xlabel", end=named), 80)),
                   fontsize=8.5)
    body.supylabel("\n".join(_lines(tr.t("figures.tipping.ylabel", start=start, end=end), 40)),
                   fontsize=8.5)
    return fig


# ---------------------------------------------------------------------------
# Power
# ---------------------------------------------------------------------------


def _effect_key(d: float) -> str:
    if d <= 0.25:
        return "figures.power.ref_small"
    if d < 0.45:
        return "figures.power.ref_small_medium"
    if d < 0.65:
        return "figures.power.ref_medium"
    return "figures.power.ref_large"


@_styled
def power_curve(power: pd.DataFrame, tr, from_wave, to_wave, wave_labels: Mapping | None = None,
                effects: Sequence[float] = (0.2, 0.3, 0.5), alpha: float = 0.05,
                target: float = 0.80, curve: pd.DataFrame | None = None) -> Figure:
    """Minimum detectable effect as a function of the number of pairs.

    Parameters
    ----------
    power : pandas.DataFrame
        The ``power`` results table (``from_wave``, ``to_wave``,
        ``n_pairs``, ``mdes`` and ``n_for_d_<d>``).
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    from_wave, to_wave : str
        The wave pair.
    wave_labels : mapping, optional
        Names of the waves.
    effects : sequence of float
        Reference effects ``d_z`` drawn as horizontal lines (labelled with
        Cohen's words: 0.2 small, 0.5 medium, 0.8 large, in between
        "small to medium"); where the table has ``n_for_d_<d>`` the pairs
        needed are marked on the curve.
    alpha, target : float
        Two-sided level and power of the curve (those of the table:
        0.05 and 0.80), for the subtitle.
    curve : pandas.DataFrame, optional
        The points of the curve: the frame of
        :func:`impactlib.stats.power.mdes_curve` (``from_wave``,
        ``to_wave``, ``n_pairs``, ``mdes``). Default: that function applied
        to the pair's row of ``power`` with ``alpha`` and ``target``.

    Returns
    -------
    matplotlib.figure.Figure
        The curve (gid ``"mdes-curve"``), the observed ``n_pairs`` and its
        ``mdes`` (gid ``"observed"``) and the reference lines.
    """
    pair = _pair(from_wave, to_wave, wave_labels, tr)
    title = tr.t("figures.power.title", pair=pair)
    rows = _pair_rows(power, from_wave, to_wave)
    if not _usable(rows, ["n_pairs"]) or _isna(rows["n_pairs"].iloc[0]):
        return _no_data(tr, title)
    row = rows.iloc[0]
    n_obs = float(row["n_pairs"])
    m_obs = float(row["mdes"]) if "mdes" in row.index and not _isna(row["mdes"]) else np.nan
    needed = {}
    for d in effects:
        col = f"n_for_d_{format(d, 'g')}"
        if col in row.index and not _isna(row[col]):
            needed[d] = float(row[col])
    if curve is None:
        curve = mdes_curve(rows.iloc[:1], alpha=alpha, power=target)
    points = _pair_rows(curve, from_wave, to_wave)
    if not _usable(points, ["n_pairs", "mdes"]):
        return _no_data(tr, title)
    grid = points["n_pairs"].to_numpy()
    fig, body = _frame(WIDTH, 3.9, title, tr.t("figures.power.subtitle", power=tr.percent(target),
                                                  alpha=tr.percent(alpha)))
    ax = body.add_subplot()
    line, = ax.plot(grid, points["mdes"].to_numpy(), color=OKABE_ITO["blue"], linewidth=2,
                    label=tr.t("figures.power.curve"))
    line.set_gid("mdes-curve")
    y_top = max(1.2, min(2.0, (m_obs if np.isfinite(m_obs) else 0) * 1.3), max(effects, default=0) * 1.5)
    for d in effects:
        ax.axhline(d, color=DARK_GREY, linewidth=0.8, linestyle=":")
        digits = 1 if round(d, 1) == d else 2
        ax.annotate(_esc(tr.t(_effect_key(d), d=tr.number(d, digits))), xy=(1, d),
                    xycoords=(ax.transAxes, ax.transData), xytext=(-2, 2), textcoords="offset points",
                    ha="right", va="bottom", fontsize=8, color=DARK_GREY)
        if d in needed:
            ax.plot([needed[d]], [d], marker="o", markersize=4, color=DARK_GREY, zorder=3)
            ax.annotate(tr.t("figures.power.needed", n=tr.number(needed[d])), xy=(needed[d], d),
                        xytext=(-4, -4), textcoords="offset points", fontsize=8, color=DARK_GREY,
                        ha="right", va="top")
    if np.isfinite(m_obs) and n_obs >= 2:
        ax.plot([n_obs, n_obs], [0, m_obs], color=OKABE_ITO["vermillion"], linewidth=1, linestyle="--")
        point, = ax.plot([n_obs], [m_obs], marker="D", markersize=8, color=OKABE_ITO["vermillion"],
                         markeredgecolor="white", linestyle="none", zorder=4,
                         label=tr.t("figures.power.observed", n=tr.number(n_obs), d=tr.number(m_obs, 2)))
        point.set_gid("observed")
        text = "\n".join(textwrap.wrap(
            tr.t("figures.power.observed", n=tr.number(n_obs), d=tr.number(m_obs, 2)), 34))
        right = n_obs < 0.55 * grid[-1]
        ax.annotate(text, xy=(n_obs, m_obs), xytext=(n_obs + (0.04 if right else -0.04) * grid[-1],
                                                     m_obs + 0.3 * y_top),
                    textcoords="data", fontsize=8.5, color=OKABE_ITO["vermillion"],
                    fontweight="bold", ha="left" if right else "right", va="bottom",
                    arrowprops={"arrowstyle": "-", "color": OKABE_ITO["vermillion"], "linewidth": 0.8})
    ax.set_xlim(0, grid[-1])
    ax.set_ylim(0, y_top)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v, 1)))
    ax.set_xlabel(tr.t("figures.power.xlabel"))
    ax.set_ylabel(tr.t("figures.power.ylabel"))
    ax.grid(color="#EFEFEF", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig


# ---------------------------------------------------------------------------
# Collection: response rate by cohort of entry
# ---------------------------------------------------------------------------


@_styled
def collection_trend(cohorts: pd.DataFrame, tr, changes: pd.DataFrame | None = None,
                     wave_labels: Mapping | None = None, waves: Sequence | None = None) -> Figure:
    """Response rate per wave by cohort of entry, with the changes to collection.

    Parameters
    ----------
    cohorts : pandas.DataFrame
        The ``collection_cohorts`` results table (``cohort_start``,
        ``period``, ``wave``, ``response_rate``, ``ci_low``, ``ci_high``,
        ``suppressed``; dates as ``YYYY-MM-DD`` text or dates).
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    changes : pandas.DataFrame, optional
        The ``collection_changes`` results table: each change (``change_date``,
        ``label``) is a vertical dashed line in the panels of the waves its
        rows name (``wave`` without ``+``), listed in the footnote.
    wave_labels : mapping, optional
        Names of the waves.
    waves : sequence, optional
        Wave order (default: that of the table).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per wave, sharing the x axis (the cohort's first day,
        labelled by its month): a point per cohort (gid ``rate:<wave>``) with
        its 95% Wilson interval (gid ``ci:<wave>``), joined by a thin line
        broken where a cohort is missing. A suppressed cohort (fewer than 5
        questionnaires due) has no point and no interval. Change lines have
        gid ``change:<YYYY-MM-DD>``.

    Notes
    -----
    The first wave is drawn only when it is informative: when some shown
    cohort's rate of it is below 100 % (with a registry, an entrant who never
    answered the entry questionnaire), or when it is the only wave. Otherwise
    (every entrant answered it, as usual) a footnote says so and the panels
    are the later waves. The footnote also says that a cohort is plotted at
    its entry while its questionnaires are due months later: a cohort that
    entered before a change may have answered after it.
    """
    import matplotlib.dates as mdates

    title = tr.t("figures.collection.title")
    if not _usable(cohorts, ["cohort_start", "wave", "response_rate", "ci_low", "ci_high"]):
        return _no_data(tr, title)
    table = cohorts.assign(_x=pd.to_datetime(cohorts["cohort_start"]), _w=cohorts["wave"].astype(str))
    hidden = (table["suppressed"].astype(bool).to_numpy() if "suppressed" in table.columns
              else np.zeros(len(table), dtype=bool))
    shown = table.loc[~hidden & table["response_rate"].notna().to_numpy()]
    order = [str(w) for w in waves] if waves is not None else _first_seen(table["_w"])
    order = [w for w in order if w in set(table["_w"])]
    first = order[0] if order else None
    first_rates = shown.loc[shown["_w"] == first, "response_rate"]
    omit_first = len(order) > 1 and len(first_rates) > 0 and bool((first_rates >= 1).all())
    drawn = [w for w in order if not (omit_first and w == first)]
    if shown.loc[shown["_w"].isin(drawn)].empty:
        return _no_data(tr, title)
    period = str(table["period"].iloc[0]) if "period" in table.columns else "month"
    unit = tr.t(f"dates.cohort.{period}") if f"dates.cohort.{period}" in tr.strings else period

    marks = []                                   # (date, label, waves it concerns)
    if _usable(changes, ["change_date", "label", "wave"]):
        for date, rows in changes.groupby("change_date", sort=True):
            concerned = [w for w in rows["wave"].astype(str) if "+" not in w]
            marks.append((pd.Timestamp(date), str(rows["label"].iloc[0]), concerned))
    notes = []
    if marks:
        notes.append(tr.t("figures.collection.changes_note", changes=" ".join(
            tr.t("figures.collection.change", date=tr.date(d), label=label) + "."
            for d, label, _ in marks)))
    notes.append(tr.t("figures.collection.lag_note"))
    if omit_first:
        notes.append(tr.t("figures.collection.first_omitted",
                          wave=_wave_name(first, wave_labels, tr)))
    fig, body = _frame(WIDTH, 0.55 + 1.45 * len(drawn), title,
                       tr.t("figures.collection.subtitle", unit=unit), "\n".join(notes))
    axes = body.subplots(len(drawn), 1, sharex=True, squeeze=False)[:, 0]
    starts = sorted(set(table["_x"]))
    dates = starts + [d for d, _, _ in marks]
    lo, hi = mdates.date2num(min(dates)) - 20, mdates.date2num(max(dates)) + 20
    for ax, wave in zip(axes, drawn):
        rows = shown.loc[shown["_w"] == wave].sort_values("_x")
        x = mdates.date2num(rows["_x"])
        rate = rows["response_rate"].to_numpy(dtype=float)
        # the thin line joins consecutive cohorts only: a missing one breaks it
        line = pd.Series(np.nan, index=pd.Index(starts))
        line.loc[rows["_x"].to_numpy()] = rate
        trend, = ax.plot(mdates.date2num(line.index), line.to_numpy(), color=OKABE_ITO["blue"],
                         linewidth=0.8, alpha=0.6)
        trend.set_gid(f"trend:{wave}")
        bars = ax.vlines(x, rows["ci_low"].to_numpy(dtype=float),
                         rows["ci_high"].to_numpy(dtype=float), color=OKABE_ITO["blue"],
                         linewidth=1.4)
        bars.set_gid(f"ci:{wave}")
        points = ax.scatter(x, rate, s=22, color=OKABE_ITO["blue"], edgecolor="white",
                            linewidth=0.5, zorder=3)
        points.set_gid(f"rate:{wave}")
        ax.set_title(_wave_name(wave, wave_labels, tr), fontsize=9, fontweight="bold")
        for k, (date, _, concerned) in enumerate(marks):
            if concerned and wave not in concerned:
                continue
            dx = mdates.date2num(date)
            mark = ax.axvline(dx, color=DARK_GREY, linewidth=1, linestyle="--", zorder=1)
            mark.set_gid(f"change:{date:%Y-%m-%d}")
            right = (dx - lo) < 0.7 * (hi - lo)
            ax.annotate(_esc(tr.date(date)), xy=(dx, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3 if right else -3, -2), textcoords="offset points",
                        ha="left" if right else "right", va="top", fontsize=8, color=DARK_GREY)
        ax.set_ylim(0, 1.08)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.percent(v)))
        ax.grid(axis="y", color="#EFEFEF", linewidth=0.6)
        ax.set_axisbelow(True)
    step = max(1, math.ceil(len(starts) / 9))
    ticks = starts[::step]
    axes[-1].set_xlim(lo, hi)
    axes[-1].set_xticks(mdates.date2num(ticks),
                        [_esc(tr.date(t, "month_short")).replace(" ", "\n", 1) for t in ticks])
    axes[-1].set_xlabel(tr.t("figures.collection.xlabel", unit=unit))
    body.supylabel(tr.t("figures.collection.ylabel"), fontsize=9)
    return fig


# ---------------------------------------------------------------------------
# Employment and social impact (issue 13)
# ---------------------------------------------------------------------------


def _cohort_tick(tr, start) -> str:
    """An exit cohort's first month on two lines (``avr.`` over ``2023``), as the
    cohort trend of :func:`collection_trend` labels its cohorts."""
    return _esc(tr.date(start, "month_short")).replace(" ", "\n", 1)


@_styled
def employment_trend(outcomes: pd.DataFrame, tr) -> Figure:
    """The funder's number: share in employment months after exit, overall and per exit cohort.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        The ``outcomes`` results table (``cohort``, ``cohort_end``,
        ``period``, ``months``, ``n_exited``, ``share``, ``ci_low``,
        ``ci_high``, ``share_if_unknown_employed``,
        ``share_if_unknown_not_employed``, ``target``, ``n_pending``,
        ``suppressed``; the ``all`` row first).
    tr : impactlib.report.i18n.Translator
        Language of the texts.

    Returns
    -------
    matplotlib.figure.Figure
        The whole study (left, set apart by a thin line), then one column per
        exit cohort with candidates counted: a light band from the share if
        no unknown were in employment to the share if every one were
        (patches with gid ``bounds:<cohort>``), the 95% Wilson interval as a
        bar (gid ``ci``) and the share among the known situations as a point
        (gid ``share``), in that order from left to right. A suppressed share
        (fewer than 5 known situations) has no band, bar or point, only
        ``<5`` (gid ``hidden:<cohort>``); cohorts whose candidates all left
        less than ``months`` ago are not drawn (the footnote counts them).
        The funder's target is a dashed horizontal line (gid ``target``)
        labelled with its value; none without a target.
    """
    months = (int(outcomes["months"].iloc[0]) if _usable(outcomes, ["months"])
              and not _isna(outcomes["months"].iloc[0]) else 6)
    title = tr.t("figures.outcomes.employment.title", months=months)
    if not _usable(outcomes, ["cohort", "n_exited", "share", "ci_low", "ci_high"]):
        return _no_data(tr, title)
    table = outcomes.reset_index(drop=True)
    is_all = (table["cohort"].astype(str) == "all").to_numpy()
    hidden = ((table["suppressed"].astype(bool).to_numpy() if "suppressed" in table.columns
               else np.zeros(len(table), dtype=bool)) | table["share"].isna().to_numpy())
    counted = table["n_exited"].fillna(0).to_numpy() > 0
    rows = table.loc[(is_all | ~is_all) & counted].index.tolist()
    rows = [i for i in rows if is_all[i]] + [i for i in rows if not is_all[i]]
    if not rows or all(hidden[i] for i in rows):
        return _no_data(tr, title)
    periods = table.loc[~is_all, "period"].dropna().astype(str) if "period" in table.columns \
        else pd.Series(dtype=str)
    period = periods.iloc[0] if len(periods) else "quarter"
    unit = tr.t(f"dates.cohort.{period}") if f"dates.cohort.{period}" in tr.strings else period
    overall = table.loc[is_all]
    pending = int(overall["n_pending"].iloc[0]) if len(overall) and "n_pending" in table.columns \
        else 0
    note = (tr.t("figures.outcomes.employment.note", months=months, n_pending=tr.number(pending))
            if pending else None)
    fig, body = _frame(WIDTH, 2.9, title,
                       tr.t("figures.outcomes.employment.subtitle", unit=unit), note)
    ax = body.add_subplot()
    xs, ticks = [], []
    pos = 0.0
    for i in rows:
        if not is_all[i] and xs and is_all[rows[0]] and pos == 1.0:
            pos = 1.4                                   # a gap after the whole study
        xs.append(pos)
        r = table.loc[i]
        ticks.append(_esc(tr.t("figures.outcomes.employment.all")) if is_all[i]
                     else _cohort_tick(tr, r["cohort"]))
        pos += 1.0
    xs = np.asarray(xs)
    shown = [k for k, i in enumerate(rows) if not hidden[i]]
    band = mpl.colors.to_rgba(OKABE_ITO["sky_blue"], 0.35)
    for k in shown:
        r = table.loc[rows[k]]
        low, high = r.get("share_if_unknown_not_employed"), r.get("share_if_unknown_employed")
        if _isna(low) or _isna(high):
            continue
        patch = Rectangle((xs[k] - 0.3, float(low)), 0.6, float(high) - float(low),
                          facecolor=band, edgecolor="none", zorder=1)
        patch.set_gid(f"bounds:{r['cohort']}")
        ax.add_patch(patch)
    sel = [rows[k] for k in shown]
    bars = ax.vlines(xs[shown], table.loc[sel, "ci_low"].to_numpy(dtype=float),
                     table.loc[sel, "ci_high"].to_numpy(dtype=float), color=OKABE_ITO["blue"],
                     linewidth=1.6, zorder=2)
    bars.set_gid("ci")
    colours = [OKABE_ITO["black"] if is_all[i] else OKABE_ITO["blue"] for i in sel]
    points = ax.scatter(xs[shown], table.loc[sel, "share"].to_numpy(dtype=float), s=30,
                        color=colours, edgecolor="white", linewidth=0.6, zorder=3)
    points.set_gid("share")
    for k, i in enumerate(rows):
        if hidden[i]:
            ax.text(xs[k], 0.04, _esc(tr.t("figures.outcomes.employment.hidden")), ha="center",
                    va="bottom", fontsize=8, color=DARK_GREY,
                    gid=f"hidden:{table.loc[i, 'cohort']}")
    if is_all[rows[0]] and len(rows) > 1:
        ax.axvline(0.7, color=GREY, linewidth=0.6, zorder=0)
    handles = [Line2D([], [], color=OKABE_ITO["blue"], marker="o", markeredgecolor="white",
                      markersize=6, linewidth=1.6,
                      label=tr.t("figures.outcomes.employment.legend_share")),
               Patch(facecolor=band, edgecolor="none",
                     label=tr.t("figures.outcomes.employment.legend_bounds"))]
    target = table["target"].dropna() if "target" in table.columns else pd.Series(dtype=float)
    if len(target):
        value = float(target.iloc[0])
        line = ax.axhline(value, color=OKABE_ITO["vermillion"], linewidth=1.1, linestyle="--",
                          zorder=1.5)
        line.set_gid("target")
        ax.annotate(_esc(tr.t("figures.outcomes.employment.target", target=tr.percent(value))),
                    xy=(1.0, value), xycoords=("axes fraction", "data"), xytext=(3, 0),
                    textcoords="offset points", ha="left", va="center", fontsize=8,
                    color=OKABE_ITO["vermillion"], gid="label:target")
        handles.append(Line2D([], [], color=OKABE_ITO["vermillion"], linestyle="--",
                              linewidth=1.1, label=tr.t("figures.outcomes.employment.legend_target")))
    ax.set_xlim(xs.min() - 0.6, xs.max() + 0.6)
    ax.set_xticks(xs, ticks)
    ax.tick_params(axis="x", length=0)
    ax.set_ylim(0, 1.0)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.percent(v)))
    ax.set_ylabel(tr.t("figures.outcomes.employment.ylabel"))
    ax.set_xlabel(tr.t("figures.outcomes.employment.xlabel", unit=unit))
    ax.grid(axis="y", color="#EFEFEF", linewidth=0.6)
    ax.set_axisbelow(True)
    _legend(body, handles, 1)
    return fig


@_styled
def soft_hard_figure(soft_hard: pd.DataFrame, tr, months: int = 6) -> Figure:
    """Change measured, employed against not employed: a forest plot per dimension.

    Parameters
    ----------
    soft_hard : pandas.DataFrame
        The ``soft_hard`` results table (``dimension``, ``difference``,
        ``ci_low``, ``ci_high``, ``suppressed``).
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    months : int
        Months after exit at which employment is judged (the ``outcomes``
        table's ``months``), for the subtitle.

    Returns
    -------
    matplotlib.figure.Figure
        One row per dimension in table order: the difference of mean change
        (employed minus not employed) as a point (gid ``difference``) with
        its 95% Welch interval (gid ``ci``), blue when the interval excludes
        zero, grey otherwise; a zero line (gid ``zero``). A suppressed
        dimension (a group under 5) keeps its row label, marked, with no
        point and no bar.
    """
    title = tr.t("figures.outcomes.soft_hard.title")
    if not _usable(soft_hard, ["dimension", "difference", "ci_low", "ci_high"]):
        return _no_data(tr, title)
    t = soft_hard.reset_index(drop=True)
    hidden = ((t["suppressed"].astype(bool).to_numpy() if "suppressed" in t.columns
               else np.zeros(len(t), dtype=bool)) | t["difference"].isna().to_numpy())
    if hidden.all():
        return _no_data(tr, title)
    fig, body = _frame(WIDTH, 0.8 + 0.32 * len(t), title,
                       tr.t("figures.outcomes.soft_hard.subtitle", months=months))
    ax = body.add_subplot()
    shown = np.flatnonzero(~hidden)
    low = t["ci_low"].to_numpy(dtype=float)
    high = t["ci_high"].to_numpy(dtype=float)
    clear = (low > 0) | (high < 0)
    colours = [OKABE_ITO["blue"] if clear[i] else DARK_GREY for i in shown]
    ok = [i for i in shown if np.isfinite(low[i]) and np.isfinite(high[i])]
    bars = ax.hlines(ok, low[ok], high[ok], colors=[OKABE_ITO["blue"] if clear[i] else DARK_GREY
                                                    for i in ok], linewidth=1.6)
    bars.set_gid("ci")
    points = ax.scatter(t.loc[shown, "difference"].to_numpy(dtype=float), shown, s=32,
                        color=colours, edgecolor="white", linewidth=0.5, zorder=3)
    points.set_gid("difference")
    zero = ax.axvline(0, color="black", linewidth=0.8, zorder=1)
    zero.set_gid("zero")
    labels = [_wrap(tr.t("figures.outcomes.soft_hard.hidden", dimension=d) if hidden[i] else d, 26)
              for i, d in enumerate(t["dimension"].astype(str))]
    ax.set_yticks(range(len(t)), labels)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(t) - 0.5, -0.5)
    values = np.concatenate([[0.0], low[ok], high[ok], t.loc[shown, "difference"].to_numpy(float)])
    values = values[np.isfinite(values)]
    span = max(float(np.abs(values).max()), 0.1)
    ax.set_xlim(min(values.min(), 0) - 0.08 * span, max(values.max(), 0) + 0.08 * span)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v, 1)))
    ax.set_xlabel(tr.t("figures.outcomes.soft_hard.xlabel"))
    ax.grid(axis="x", color="#EFEFEF", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig


@_styled
def policy_profile(policy_change: pd.DataFrame, tr, change_date=None) -> Figure:
    """Profile at entry before and after a change of policy: standardized differences.

    Parameters
    ----------
    policy_change : pandas.DataFrame
        The ``policy_change`` results table (``change_date``, ``measure``,
        ``variable``, ``level``, ``smd``, ``suppressed``).
    tr : impactlib.report.i18n.Translator
        Language of the texts.
    change_date : date-like, optional
        Which change (default: the first in the table).

    Returns
    -------
    matplotlib.figure.Figure
        One row per covariate level (``baseline_share``), then, under a
        heading, one per dimension's entry score (``baseline_score``): the
        standardized difference (after minus before) as a point (gid
        ``smd``; vermillion beyond the notable threshold
        :data:`impactlib.report.narrative.SMD_NOTABLE`, blue within), a light
        zone from minus to plus the threshold (gid ``small``) and a zero
        line. A suppressed row (a side under 5) keeps its label and has no
        point.
    """
    from impactlib.report.narrative import SMD_NOTABLE

    if not _usable(policy_change, ["change_date", "measure", "variable", "smd"]):
        return _no_data(tr, tr.t("figures.outcomes.policy.title", date="–"))
    days = pd.to_datetime(policy_change["change_date"])
    when = pd.Timestamp(change_date) if change_date is not None else days.min()
    title = tr.t("figures.outcomes.policy.title", date=tr.date(when))
    t = policy_change.loc[(days == when).to_numpy(dtype=bool)
                          & policy_change["measure"].isin(["baseline_share", "baseline_score"])
                          .to_numpy(dtype=bool)]
    t = pd.concat([t[t["measure"] == "baseline_share"], t[t["measure"] == "baseline_score"]])
    t = t.reset_index(drop=True)
    if t.empty:
        return _no_data(tr, title)
    hidden = ((t["suppressed"].astype(bool).to_numpy() if "suppressed" in t.columns
               else np.zeros(len(t), dtype=bool)) | t["smd"].isna().to_numpy())
    if hidden.all():
        return _no_data(tr, title)
    n_shares = int((t["measure"] == "baseline_share").sum())
    gap = 0.8 if 0 < n_shares < len(t) else 0.0                 # room for the scores' heading
    y = np.arange(len(t), dtype=float) + np.where(np.arange(len(t)) >= n_shares, gap, 0.0)
    threshold = tr.number(SMD_NOTABLE, 1)
    fig, body = _frame(WIDTH, 0.7 + 0.2 * (len(t) + gap), title,
                       tr.t("figures.outcomes.policy.subtitle", threshold=threshold))
    ax = body.add_subplot()
    zone = ax.axvspan(-SMD_NOTABLE, SMD_NOTABLE, color="#EEEEEE", zorder=0)
    zone.set_gid("small")
    ax.axvline(0, color="black", linewidth=0.8, zorder=1)
    shown = np.flatnonzero(~hidden)
    smd = t["smd"].to_numpy(dtype=float)
    colours = [OKABE_ITO["vermillion"] if abs(smd[i]) >= SMD_NOTABLE else OKABE_ITO["blue"]
               for i in shown]
    points = ax.scatter(smd[shown], y[shown], s=24, color=colours, edgecolor="white",
                        linewidth=0.5, zorder=3)
    points.set_gid("smd")
    labels = []
    for r in t.itertuples():
        text = (tr.t("figures.outcomes.policy.level", variable=r.variable, level=r.level)
                if r.measure == "baseline_share" else str(r.variable))
        labels.append(_wrap(text, 44))
    ax.set_yticks(y, labels, fontsize=8)
    ax.tick_params(axis="y", length=0)
    if gap:
        ax.text(0.0, y[n_shares] - 0.75, _esc(tr.t("figures.outcomes.policy.scores")),
                transform=_left_of_axis(ax), ha="right", va="center", fontsize=8,
                fontweight="bold", gid="scores-heading")
    ax.set_ylim(y.max() + 0.6, -0.6)
    span = max(float(np.nanmax(np.abs(smd[shown]))), SMD_NOTABLE) * 1.15
    ax.set_xlim(-span, span)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tr.number(v, 1)))
    ax.set_xlabel(tr.t("figures.outcomes.policy.xlabel"))
    ax.grid(axis="x", color="#F3F3F3", linewidth=0.6)
    return fig


# ---------------------------------------------------------------------------
# SVG output
# ---------------------------------------------------------------------------

#: Fonts named in SVG files, in order: matplotlib's own (the one the layout was
#: measured with), then fonts of about its width, then the browser's sans-serif.
SVG_FONTS = ["DejaVu Sans", "Verdana", "Bitstream Vera Sans", "Arial", "Helvetica"]
_SVG_RC = {
    "svg.fonttype": "none",           # text stays text: sharp at any zoom, searchable
    "svg.hashsalt": "impactlib",      # ids of clip paths from this, not at random
    "svg.image_inline": True,
    "font.sans-serif": SVG_FONTS,     # DejaVu Sans first, as for the PNG: same layout
}


def to_svg_bytes(fig: Figure, image_dpi: int = 150) -> bytes:
    """The figure as SVG bytes; the same figure always gives the same bytes.

    Text is written as text (``svg.fonttype: none``) in the fonts of
    :data:`SVG_FONTS`, so that it stays sharp and readable when a phone
    scales the figure down or a reader zooms in, and prints as text. Clip
    path ids come from a fixed salt, the file holds no date, no matplotlib
    version and no DTD, and indentation is dropped (about 5 % of the bytes).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    image_dpi : int
        Resolution of the raster parts only (the heatmap's cells).

    Returns
    -------
    bytes
        UTF-8 SVG; its ``width``/``height`` are the figure's size in points.
    """
    buffer = io.BytesIO()
    with mpl.rc_context(_SVG_RC):
        fig.savefig(buffer, format="svg", dpi=image_dpi,
                    metadata={"Date": None, "Creator": None})
    data = re.sub(rb"\n[ \t]+", b"\n", buffer.getvalue())
    # the DTD (never fetched) and the empty metadata block are not needed
    data = re.sub(rb"<!DOCTYPE[^>]*>\n?", b"", data, count=1)
    data = re.sub(rb"<metadata>.*?</metadata>\n?", b"", data, count=1, flags=re.S)
    return _number_clip_ids(data)


def _number_clip_ids(data: bytes) -> bytes:
    """Clip path ids numbered in order of definition (``clip1``, ``clip2``...).

    matplotlib names a clip path by a hash of its salt and of the text of the
    clip object, and that text can hold something of the running process (a
    figure drawn twice in two runs got different ids, so different bytes and
    file names). Each SVG file is its own document (the pages show them with
    ``<img>``), so numbering is enough to keep the ids unique.
    """
    ids = list(dict.fromkeys(re.findall(rb'<clipPath id="([^"]+)"', data)))
    if not ids:
        return data
    names = {old: b"clip%d" % i for i, old in enumerate(ids, start=1)}
    pattern = rb'(?<=id=")(%s)(?=")|(?<=url\(#)(%s)(?=\))' % ((b"|".join(map(re.escape, ids)),) * 2)
    return re.sub(pattern, lambda m: names[m.group(0)], data)


# ---------------------------------------------------------------------------
# PNG output
# ---------------------------------------------------------------------------


def to_png_bytes(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    """The figure as PNG bytes; the same figure always gives the same bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure of this module (or any figure).
    dpi : int
        Resolution (default :data:`PNG_DPI`).

    Returns
    -------
    bytes
        PNG without the ``Software`` metadata (no matplotlib version in the file).
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def save_png(fig: Figure, path, dpi: int = PNG_DPI) -> Path:
    """Write the figure to ``path`` as a deterministic PNG (see :func:`to_png_bytes`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or pathlib.Path
        File to write (its folder is created if needed).
    dpi : int
        Resolution (default :data:`PNG_DPI`).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_png_bytes(fig, dpi=dpi))
    return path
