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
# Following up data collection (issue 12): the response rate per wave by
# cohort of entry (Wilson 95% intervals), the response rate before and after
# each change to how questionnaires are collected (`changes` in study.yml:
# Newcombe interval of the difference, logistic model's odds ratio), when the
# complete pairs needed for d = 0.3 will be reached at the current pace, and
# the questionnaires to chase now (the counts of `impactlib due`, never its
# names). Every number comes from the `collection_*` results tables, which
# exist only with a registry; `collection_changes` only with `changes`.

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
registry = "collection_cohorts" in report.results
display(report.md("collection.title", level=1), report.md("collection.intro"))
if not registry:
    display(report.md("collection.no_registry"))

# %%
if registry:
    display(report.md("collection.cohorts_title", level=2),
            report.md("collection.cohorts_intro", unit=narrative.cohort_unit(report)),
            report.fig(figures.collection_trend(
                report.results["collection_cohorts"], report.tr,
                report.results.get("collection_changes"), wave_labels=report.wave_labels,
                waves=report.waves)),
            report.table_of(narrative.cohort_table(report), "collection.cohort_columns"),
            report.md("collection.cohorts_note"))

# %%
if registry:
    display(report.md("collection.changes_title", level=2))
    if "collection_changes" in report.results:
        display(report.md("collection.changes_intro"))
    display(report.text("\n\n".join(narrative.change_texts(report))))

# %%
if registry:
    need, *rest = narrative.projection_texts(report)
    display(report.md("collection.projection_title", level=2),
            report.text(" ".join([need, *rest[:1]])), *[report.text(t) for t in rest[1:]])

# %%
if registry and "collection_followup" in report.results:
    overall, per_group = narrative.followup_tables(report)
    display(report.md("collection.followup_title", level=2),
            report.text(narrative.followup_intro(report)),
            report.table_of(overall, "collection.followup_columns"))
    if per_group is not None:
        display(report.md("collection.followup_by", variable=per_group.columns[0]),
                report.table_of(per_group, "collection.followup_columns"))
    display(report.md("collection.followup_due"))
