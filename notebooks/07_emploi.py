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
# Employment and social impact (issue 13): the funder's number (share in
# employment `months` after exit, overall and per exit cohort, Wilson 95%
# interval, the bounds for the unknowns, the target), the exit statuses, the
# change measured compared between the candidates in employment and the others
# (Welch) with the logistic model of employment on job-search progress, and
# the candidates who entered before and after a policy change (`changes` with
# `kind: selection` or `programme`). Every number comes from the results tables
# `outcomes`, `exit_status`, `soft_hard`, `employment_model` and
# `policy_change`, which exist only when the registry records exit statuses or
# outcomes; without them the page says how to add them. Words never claim a
# cause: employment and progress "go together".

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
recorded = narrative.outcomes_recorded(report)
months = narrative.outcome_months(report)
display(report.md("outcomes.title", level=1), report.md("outcomes.intro", months=months))
if not recorded:
    display(report.text(narrative.funder_texts(report)[0]))

# %%
if recorded:
    display(report.md("outcomes.funder_title", level=2, months=months),
            report.md("outcomes.funder_intro", months=months),
            *[report.text(t) for t in narrative.funder_texts(report)],
            report.fig(figures.employment_trend(report.results["outcomes"], report.tr)),
            report.md("outcomes.cohorts_intro", unit=narrative.exit_unit(report)),
            report.table_of(narrative.outcome_cohort_table(report), "outcomes.cohort_columns"),
            report.md("outcomes.cohorts_note", months=months))

# %%
if recorded and "exit_status" in report.results:
    display(report.md("outcomes.exit_title", level=2),
            report.text(narrative.exit_status_intro(report)),
            report.table_of(narrative.exit_status_table(report), "outcomes.exit_columns"))

# %%
if recorded and "soft_hard" in report.results:
    display(report.md("outcomes.soft_title", level=2),
            report.md("outcomes.soft_intro", months=months),
            report.fig(figures.soft_hard_figure(report.results["soft_hard"], report.tr, months)),
            report.table_of(narrative.soft_hard_table(report), "outcomes.soft_columns"),
            *[report.text(t) for t in narrative.soft_hard_texts(report)])
    model = narrative.employment_model_text(report)
    if model:
        display(report.text(model))

# %%
if recorded:
    dates = narrative.policy_dates(report)
    for day in dates:
        display(report.md("outcomes.policy_title", level=2, date=report.tr.date(day)),
                *[report.text(t) for t in narrative.policy_profile_texts(report, day)],
                report.fig(figures.policy_profile(report.results["policy_change"], report.tr,
                                                  day)),
                report.table_of(narrative.policy_profile_table(report, day),
                                "outcomes.policy_columns"),
                *[report.text(t) for t in narrative.policy_outcome_texts(report, day)],
                report.table_of(narrative.policy_outcome_table(report, day),
                                "outcomes.policy_columns"))
    if not dates:
        display(report.md("outcomes.policy_none"))
