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
# Attrition: response patterns, questionnaires due / answered / missed / not
# yet due, timing between waves, who drops out, Little's test (blanks inside the
# entry questionnaire: are they related to the answers? not whether dropout is random), and the
# sensitivity of the conclusions to dropout (completers, all available data,
# multiple imputation).

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
display(report.md("attrition.title", level=1), report.md("attrition.intro"))

# %%
display(report.md("attrition.funnel_title", level=2),
        report.fig(figures.funnel_figure(report.results["funnel"], report.tr,
                                         wave_labels=report.wave_labels)))

# %%
display(report.md("attrition.rates_title", level=2))
if "attrition_rates" in report.results:
    display(report.table_of(narrative.rates_table(report), "attrition.rates_columns"),
            report.md("attrition.rates_note", days=narrative.due_days_text(report)))
else:
    display(report.md("attrition.no_registry"))

# %%
timing = report.results["timing"]
display(report.md("attrition.timing_title", level=2),
        report.table_of(narrative.timing_table(report), "attrition.timing_columns"))
if timing["n_negative"].sum() > 0:
    display(report.md("attrition.timing_negative", n=int(timing["n_negative"].sum())))

# %%
display(report.md("attrition.who_title", level=2))
for (from_wave, to_wave), table in narrative.dropout_tables(report):
    display(report.md("attrition.who_intro", from_label=report.label(from_wave),
                      to_label=report.label(to_wave)),
            report.table_of(table, "attrition.who_columns"))
display(report.text(narrative.mcar_text(report)))

# %%
pair = narrative.main_pair(report)
if pair:
    imputed = report.results["imputed_change"]
    display(report.md("attrition.sensitivity_title", level=2),
            report.md("attrition.sensitivity_intro", from_label=report.label(pair[0]),
                      to_label=report.label(pair[1]), m=int(imputed["m"].iloc[0]),
                      seed=str(int(imputed["seed"].iloc[0]))),
            report.fig(figures.sensitivity_figure(
                report.results["dimension_model"], report.results["completers_change"],
                imputed, report.tr, *pair, wave_labels=report.wave_labels)))
    display(report.text(narrative.imputation_text(report, *pair)))

# %%
sensitivity = report.results.get("change_sensitivity")
if pair and sensitivity is not None and (
        (sensitivity["from_wave"] == pair[0]) & (sensitivity["to_wave"] == pair[1])).any():
    display(report.md("attrition.tipping_title", level=2),
            report.md("attrition.tipping_intro", from_label=report.label(pair[0]),
                      to_label=report.label(pair[1]), m=int(sensitivity["m"].iloc[0]),
                      seed=str(int(imputed["seed"].iloc[0]))),
            report.fig(figures.tipping_point_figure(sensitivity, report.tr, *pair,
                                                    wave_labels=report.wave_labels)),
            report.text(narrative.tipping_text(report, *pair)))
