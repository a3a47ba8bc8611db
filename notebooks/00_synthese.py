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
# The board's one-page summary: who answered, what changed, what the sample
# can and cannot detect, and how to read it. Sentences come from
# `impactlib/report/locales/<lang>/`, choices of sentence from `impactlib.report.narrative`,
# numbers from `results/`. Markdown cells like this one are notes for
# evaluators and are left out of the board's HTML.

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

report = open_report(study, processed, results, since, until, lang)
display(report.md("synthesis.title", level=1),
        report.md("synthesis.lead", title=report.study.title, period=report.period))

# %%
display(report.md("synthesis.who_title", level=2),
        report.text(narrative.funnel_text(report)),
        report.fig(figures.funnel_figure(report.results["funnel"], report.tr,
                                         wave_labels=report.wave_labels)))

# %%
pair = narrative.main_pair(report)
if pair:
    low, high = report.scale_range
    display(report.md("synthesis.change_title", level=2),
            report.md("synthesis.change_intro", low=low, high=high,
                      from_label=report.label(pair[0]), to_label=report.label(pair[1])),
            report.bullets(narrative.change_sentences(report, *pair)),
            report.table_of(narrative.change_table(report, *pair), "synthesis.columns"))
# the funder's number beside the change measured (or where to record outcomes)
display(report.text(narrative.outcomes_synthesis(report)))

# %%
if pair:
    display(report.md("synthesis.sample_title", level=2),
            report.text(narrative.sample_text(report, *pair)))
collection = narrative.collection_synthesis(report)   # the latest change, when we will know
if collection:
    display(report.text(collection))

# %%
display(report.md("synthesis.caveats_title", level=2),
        report.bullets(narrative.caveats(report)))
