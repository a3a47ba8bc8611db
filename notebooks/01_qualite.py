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
# Data quality: what was read, kept and set aside. Every sentence shown comes
# from `impactlib/report/locales/<lang>.yml`; the numbers come from `results/`.

# %% tags=["parameters"]
study = "../data/raw/demo/study.yml"
processed = None
results = None
since = None
until = None
lang = None

# %%
from IPython.display import display

from impactlib.report import narrative
from impactlib.report.notebook import open_report

report = open_report(study, processed, results, since, until, lang)
display(report.md("quality.title", level=1), report.md("quality.intro"))

# %%
quality = report.results["quality"]
display(report.md("quality.table_title", level=2),
        report.table(narrative.quality_table(report), labels="quality.columns"))

# %%
display(report.md("quality.rejected_note", n=int(quality["rows_rejected"].sum())),
        report.md("quality.invalid_note", n=int(quality["cells_invalid"].sum())),
        report.bullets(narrative.quality_alerts(report)))

# %%
patterns = report.results["patterns"]
display(report.md("quality.patterns_title", level=2),
        report.md("quality.patterns_intro", n=int(patterns["n_candidates"].sum())),
        report.table(narrative.display_table(report, patterns[["pattern", "n_candidates"]],
                                             {"n_candidates": 0}),
                     labels="quality"))
