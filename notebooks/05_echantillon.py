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
# Sample size planning: the smallest standardized paired effect (d_z)
# detectable with the observed pairs (two-sided paired t test, alpha 0.05,
# power 0.80, as R's power.t.test), the pairs needed for d = 0.2, 0.3, 0.5,
# and the entrants that means at the observed retention.

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
from impactlib.stats import power
from impactlib.report.notebook import open_report

report = open_report(study, processed, results, since, until, lang)
display(report.md("sample.title", level=1), report.md("sample.intro"),
        report.table_of(narrative.power_display(report), "sample.columns"),
        report.md("sample.note"))

# %%
pair = narrative.main_pair(report)
if pair:
    display(report.text(narrative.sample_text(report, *pair)),
            report.fig(figures.power_curve(report.results["power"], report.tr, *pair,
                                           wave_labels=report.wave_labels,
                                           curve=power.mdes_curve(report.results["power"]))))
