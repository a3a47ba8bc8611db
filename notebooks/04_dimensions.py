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
# Dimensions: reliability (Cronbach's alpha with Feldt interval, McDonald's
# omega), the linear mixed model on every available score, reliable change
# (Jacobson-Truax) candidate by candidate, change by subgroup (groups under 5
# suppressed) and by exit status.

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
from impactlib.stats import reliability

report = open_report(study, processed, results, since, until, lang)
display(report.md("dimensions.title", level=1))

# %%
display(report.md("dimensions.reliability_title", level=2),
        report.md("dimensions.reliability_intro"),
        report.table_of(narrative.reliability_table(report), "dimensions.reliability_columns"))

# %%
display(report.md("dimensions.model_title", level=2), report.md("dimensions.model_intro"),
        report.table_of(narrative.model_table(report), "dimensions.model_columns"))

# %%
pair = narrative.main_pair(report)
if pair:
    display(report.md("dimensions.rci_title", level=2), report.md("dimensions.rci_intro"))
    for dimension in report.dimensions:
        display(report.fig(figures.rci_scatter(
            reliability.rci_points(report.data.scores, report.results["rci"]),
            report.results["rci"], dimension, pair[0], pair[1], report.tr,
            wave_labels=report.wave_labels)))

# %%
largest = narrative.largest_pair(report)
if largest:
    tables = narrative.subgroup_tables(report, *largest)
    if tables.get("covariates") is not None:
        display(report.md("dimensions.subgroups_title", level=2),
                report.md("dimensions.subgroups_intro", from_label=report.label(largest[0]),
                          to_label=report.label(largest[1]), suppressed=report.t("common.suppressed")),
                report.table_of(tables["covariates"], "dimensions.subgroups_columns"))
    if tables.get("exit_status") is not None:
        display(report.md("dimensions.exit_title", level=2), report.md("dimensions.exit_intro"),
                report.table_of(tables["exit_status"], "dimensions.subgroups_columns"))
