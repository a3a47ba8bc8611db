# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version,-jupytext.text_representation.format_version
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# Item-level change for the same candidates between two questionnaires:
# a forest plot of the mean change with its 95% t interval and diverging
# stacked bars ("Ne sait pas" apart), one small figure per dimension (each
# fits a printed page, its text at 8 pt or more), the detailed table
# (Wilcoxon signed-rank, Benjamini-Hochberg, rank-biserial r); then, for the
# entry -> exit pair (narrative.main_pair) only, the ordinal mixed model on
# every answer (item_ordinal): the probability that a typical candidate
# answers higher, per dimension, and one sentence; the other pairs are in
# the workbook. Last, transition heatmaps.

# %% tags=["parameters"]
study = "../data/raw/demo/study.yml"
processed = None
results = None
since = None
until = None
lang = None

# %%
from IPython.display import display

from impactlib.report import figures, narrative
from impactlib.report.notebook import open_report
from impactlib.stats.ordinal_effects import ordinal_effects

report = open_report(study, processed, results, since, until, lang)
display(report.md("items.title", level=1), report.md("items.intro"))

# %%
pairs = narrative.item_pairs(report)
if not pairs:
    display(report.md("items.none"))
for from_wave, to_wave, n in pairs:
    display(report.md("items.pair_title", level=2, from_label=report.label(from_wave),
                      to_label=report.label(to_wave), n=n))
    for dimension in report.dimensions:
        display(report.fig(figures.forest_plot(report.results["item_change"], report.data.items,
                                               report.tr, from_wave, to_wave,
                                               wave_labels=report.wave_labels,
                                               dimension=dimension)))
    display(report.md("items.forest_note"))
    for dimension in report.dimensions:
        display(report.fig(figures.diverging_bars(
            report.results["item_shares"], report.data.items, report.tr, from_wave,
            to_wave, dimension=dimension, wave_labels=report.wave_labels)))
    display(report.md("items.bars_note"), report.md("items.table_title", level=3),
            report.table_of(narrative.item_table(report, from_wave, to_wave), "items.columns"))

# %%
pair = narrative.main_pair(report)
if pair and "item_ordinal" in report.results:
    effects = ordinal_effects(report.results["item_ordinal"], *pair)
    display(report.md("items.ordinal_title", level=2),
            report.text(narrative.ordinal_sentence(report, *pair)))
    for dimension in report.dimensions:
        display(report.fig(figures.ordinal_plot(effects, report.data.items, report.tr, *pair,
                                                dimension=dimension,
                                                wave_labels=report.wave_labels)))

# %%
if pair:
    display(report.md("items.transitions_title", level=2), report.md("items.transitions_intro"))
    for item in narrative.top_items(report, *pair, n=3):
        display(report.fig(figures.transition_heatmap(report.results["item_transitions"], item,
                                                      pair[0], pair[1], report.tr,
                                                      scales=report.data.scales,
                                                      items=report.data.items,
                                                      wave_labels=report.wave_labels)))
