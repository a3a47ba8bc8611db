"""Results: the shareable aggregate tables written to ``DIR/results/``.

Results hold counts and statistics only: no candidate id, no pseudonym, no raw
answer. :func:`build_results` computes every table from the processed tables
and puts it in the dtypes of its contract (:mod:`impactlib.report.contract`,
documented in ``docs/results-tables.md``); :func:`write_results` checks each
table against its contract (a violation is a bug: it raises) and writes it as
UTF-8 CSV with ``,`` and ``.``, in a fixed row and column order, so the same
inputs give the same bytes; :func:`read_results` reads the tables back in the
same dtypes (waves and other keys as ``str``, even when they look like
numbers), so that a notebook gets the same tables from the CSV files as from
:func:`build_results`.

=======================  ==========================================================
file                     content
=======================  ==========================================================
``quality``              rows read, kept, rejected, duplicates, invalid cells per wave
``patterns``             candidates per response pattern (``T1+T2``...)
``funnel``               questionnaires, candidates, retention from the first wave
``timing``               days between waves (median, IQR, negative intervals)
``attrition_rates``      due / answered / missed / not yet due per wave (registry)
``attrition``            who drops out: baseline scores and covariates, SMD, tests
``dropout_model``        logistic regression of coming back on baseline scores
``mcar``                 Little's test: first wave's items, and wave dropout
``item_change``          per item and wave pair: Wilcoxon, BH, rank-biserial, CI
``item_ordinal``         per item and wave pair: ordinal mixed model (clmm) on all answers
``item_distribution``    answers per label, same candidates at both waves
``item_shares``          the same answers as percentages laid out for the diverging bars
``item_transitions``     from-answer x to-answer counts
``reliability``          Cronbach's alpha (Feldt CI) and omega per dimension x wave
``rci``                  Jacobson-Truax reliable change per dimension x wave pair
``dimension_model``      mixed model score ~ wave + (1 | candidate), REML
``completers_change``    paired comparison on completers only
``imputed_change``       multiple-imputation sensitivity estimate
``change_sensitivity``   first to last wave with the imputed scores shifted (tipping point)
``subgroups``            change by covariate and exit status (under 5: suppressed)
``power``                detectable effect and pairs/entrants needed
``outcomes``             the funder's number: employment months after exit (registry)
``exit_status``          candidates per exit category (registry)
``soft_hard``            change per dimension, employed against not employed
``employment_model``     logistic model of employment on job-search progress
``policy_change``        entrants before/after a policy change (``changes`` kind)
=======================  ==========================================================
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from impactlib.report import contract
from impactlib.report import followup
from impactlib.stats import attrition, collection
from impactlib.stats import outcomes as outcome_stats
from impactlib.stats import item_change as change
from impactlib.stats import ordinal
from impactlib.stats import dimension_change as models
from impactlib.stats import power
from impactlib.stats import reliability
from impactlib.stats import sensitivity
from impactlib.intake.processed import Processed
from impactlib.safe_csv import write_csv

__all__ = ["build_results", "study_results", "study_seed", "write_results", "read_results", "QUALITY_COLUMNS",
           "DEFAULT_SEED", "MIN_GROUP"]

log = logging.getLogger(__name__)
QUALITY_COLUMNS = ["wave", "file", "rows_read", "rows_kept", "rows_rejected",
                   "duplicates_dropped", "cells_invalid"]
DEFAULT_SEED = 20240601
MIN_GROUP = 5
#: The effect (d_z) the study is planned to detect: the collection projection
#: says when the pairs needed for it will be reached.
PLANNED_D = 0.3
REGISTRY_COLUMNS = ("entry_date", "exit_date", "exit_status")
SUBGROUP_COLUMNS = ["dimension", "from_wave", "to_wave", "group", "n", "mean_from", "mean_to",
                    "mean_diff", "sd_diff", "ci_low", "ci_high", "suppressed", "variable"]


def build_results(processed: Processed, covariates=(), due_days: dict | None = None,
                  as_of=None, seed: int | None = None, imputations: int = 20, changes=(),
                  followup_by: str | None = None, grace_days: int = 30,
                  outcomes=None, funder_target=None) -> dict[str, pd.DataFrame]:
    """Every result table, keyed by its file name (without ``.csv``).

    Parameters
    ----------
    processed : Processed
        Tidy tables, already restricted to the report's period.
    covariates : list of str
        Baseline covariates (columns of ``candidates``) for attrition and
        subgroups.
    due_days : dict
        Days after entry when each middle wave is due (see
        :func:`impactlib.stats.attrition.wave_status`).
    as_of : date
        Date of the data extraction, for "not yet due" (default: the last
        questionnaire date).
    seed : int
        Seed of the multiple imputation (default :data:`DEFAULT_SEED`).
    imputations : int
        Number of imputed data sets.
    changes : list of CollectionChange
        ``changes`` of study.yml: those of kind ``collection`` (how
        questionnaires are collected) are compared before/after on response
        rates; the policy changes (another ``kind``) on who entered and how
        they fared (``policy_change``); both with a registry.
    followup_by : str
        A covariate: questionnaires to chase are also counted per value.
    grace_days : int
        ``followup_grace_days`` of the study (see :mod:`impactlib.report.followup`).
    outcomes : Outcomes, optional
        ``outcomes`` of study.yml (exit statuses per category, job-search
        dimension); default :class:`impactlib.intake.study.Outcomes`.
    funder_target : FunderTarget, optional
        ``funder_target`` of study.yml (share, months).
    """
    seed = DEFAULT_SEED if seed is None else seed
    policy = [c for c in changes if getattr(c, "kind", "collection") != "collection"]
    changes = [c for c in changes if getattr(c, "kind", "collection") == "collection"]
    waves = processed.waves
    cand = processed.candidates
    answered = cand[cand["n_waves"] > 0].reset_index(drop=True)
    q, r, s = processed.questionnaires, processed.responses, processed.scores
    covariates = [c for c in covariates if c in cand.columns]
    out: dict[str, pd.DataFrame] = {}

    quality = processed.quality
    out["quality"] = quality[QUALITY_COLUMNS + [c for c in quality.columns
                                                if c not in QUALITY_COLUMNS]]
    out["patterns"] = attrition.pattern_counts(answered, waves=waves)[["pattern", "n_candidates"]]
    out["funnel"] = attrition.funnel(q, waves=waves)
    out["timing"] = attrition.days_between_waves(q, waves=waves)
    status = None
    if all(c in cand.columns for c in REGISTRY_COLUMNS):
        if as_of is None:
            as_of = q["date"].max()
        status = attrition.wave_status(cand, q, waves=waves, as_of=as_of, due_days=due_days or None)
        out["attrition_rates"] = attrition.attrition_rates(status, waves=waves)
        out["collection_cohorts"] = collection.cohort_response_rates(status, cand, waves=waves,
                                                                     min_n=MIN_GROUP)
        out["collection_followup"] = _followup_counts(cand, q, waves, as_of, due_days,
                                                      grace_days, followup_by)
        if changes:
            out["collection_changes"] = collection.change_comparison(
                status, changes, candidates=cand, covariates=covariates, waves=waves,
                min_n=MIN_GROUP)
        out.update(_outcome_tables(processed, covariates, as_of, policy, outcomes,
                                   funder_target))
    out["attrition"] = attrition.attrition_table(s, answered, waves=waves, covariates=covariates,
                                                 min_group=MIN_GROUP)
    out["dropout_model"] = _per_pair(
        lambda a, b: attrition.dropout_model(s, answered, a, b), zip(waves, waves[1:]))
    # Little's test asked two questions (issue 15), each row says which: the blanks inside
    # the first questionnaire, and wave dropout (dimension scores of every wave)
    out["mcar"] = pd.concat([
        attrition.little_mcar(attrition.item_matrix(r, waves[0])).assign(
            wave=waves[0], question="item_nonresponse"),
        attrition.little_mcar(attrition.score_matrix(s, waves=waves)).assign(
            wave=waves[0], question="wave_dropout")], ignore_index=True)

    out["item_change"] = change.item_change(r, waves=waves)
    out["item_ordinal"] = ordinal.item_ordinal(
        r, waves=waves, levels=ordinal.scale_levels(processed.items, processed.scales))
    out["item_distribution"] = change.response_distribution(r, labels=processed.scales, waves=waves)
    out["item_shares"] = change.distribution_shares(out["item_distribution"], items=processed.items,
                                                    scales=processed.scales)
    out["item_transitions"] = change.transition_table(r, waves=waves)

    rel = reliability.cronbach_alpha_by(r, waves=waves)
    out["reliability"] = rel
    out["rci"] = reliability.reliable_change(s, rel, waves=waves)
    out["dimension_model"] = models.dimension_model(s, waves=waves)
    out["completers_change"] = models.completers_change(s, waves=waves)
    # one imputation pass (seed, m) for both: the imputed_change table, and the same draws with
    # the imputed last-wave scores shifted (issue 15), as their two functions give them (issue 14)
    out["imputed_change"], out["change_sensitivity"] = sensitivity.imputed_change_and_sensitivity(
        s, waves=waves, m=imputations, seed=seed)
    groups = covariates + (["exit_status"] if "exit_status" in cand.columns else [])
    out["subgroups"] = pd.concat(
        [models.subgroup_change(s, answered, by=g, waves=waves, min_n=MIN_GROUP)
         .rename(columns={g: "group"}).assign(variable=g) for g in groups],
        ignore_index=True) if groups else pd.DataFrame(columns=SUBGROUP_COLUMNS)
    out["power"] = power.power_table(q, waves=waves)
    ends = out["power"].loc[(out["power"]["from_wave"] == waves[0])
                            & (out["power"]["to_wave"] == waves[-1]), f"n_for_d_{PLANNED_D}"]
    if status is not None and len(waves) > 1 and len(ends) and pd.notna(ends.iloc[0]):
        last = [c.date for c in changes if not c.waves or str(waves[-1]) in c.waves]
        out["collection_projection"] = collection.pairs_projection(
            status, n_needed=int(ends.iloc[0]), as_of=as_of, candidates=cand, waves=waves,
            since=max(last) if last else None, min_n=MIN_GROUP)
    return {name: contract.conform(name, _iso_dates(table)) for name, table in out.items()}


def _followup_counts(cand, q, waves, as_of, due_days, grace_days, by) -> pd.DataFrame:
    """Questionnaires to chase on ``as_of``, per wave (and per value of ``by``): the
    counts of ``impactlib due`` (:mod:`impactlib.report.followup`), aggregates
    only; a count from 1 to 4 is hidden (NA, ``suppressed``)."""
    status = followup.followup_status(cand, q, on=as_of, waves=waves, due_days=due_days or None)
    listed = followup.followup_list(status, cand, on=as_of, grace_days=grace_days,
                                    by=by if by in cand.columns else None)
    blocks = [followup.followup_counts(listed, waves=waves).assign(variable=None, group=None)]
    if by in cand.columns:
        per = followup.followup_counts(listed, waves=waves, by=by)
        per = per.loc[per[by].notna()] if len(per) else per
        blocks.append(per.rename(columns={by: "group"}).assign(variable=by))
    table = pd.concat(blocks, ignore_index=True)
    counts = list(followup.LISTS)
    small = (table[counts] > 0) & (table[counts] < MIN_GROUP)
    table[counts] = table[counts].astype("Int64").mask(small)
    table["suppressed"] = small.any(axis=1)
    return table[["variable", "group", "wave", *counts, "suppressed"]]


def _outcome_tables(processed: Processed, covariates, as_of, policy, settings,
                    target) -> dict[str, pd.DataFrame]:
    """``outcomes``, ``exit_status``, ``soft_hard``, ``employment_model`` and (with a
    policy change) ``policy_change`` (:mod:`impactlib.stats.outcomes`); none when the
    registry has neither an exit status nor an outcome column."""
    cand = processed.candidates
    reg = cand.loc[cand["in_registry"]] if "in_registry" in cand.columns else cand
    status_given = reg["exit_status"].astype("string").str.strip().fillna("").ne("").any()
    if not status_given and not {"employment_6m", "job_start_date"} & set(cand.columns):
        return {}
    statuses = settings.statuses if settings is not None else None
    months = getattr(target, "months", 6)
    status = outcome_stats.six_month_status(cand, as_of, months=months, statuses=statuses)
    other = reg.loc[status["category"].eq("other").to_numpy(), "exit_status"].value_counts() \
        if len(reg) == len(status) else pd.Series(dtype="int64")
    if len(other):
        log.warning("exit_status values in no list of study.yml outcomes, counted as other: %s",
                    ", ".join(f"'{v}' ({n})" for v, n in other.items()))
    inv = processed.invalid_cells
    no_wave = inv["wave"].isna() | (inv["wave"].astype(str).str.strip() == "")
    out = {"outcomes": outcome_stats.employment_shares(
        status, target=getattr(target, "share", None), min_n=MIN_GROUP,
        unreadable=inv.loc[no_wave, "candidate"]),
        "exit_status": outcome_stats.exit_status_breakdown(status, min_n=MIN_GROUP)}
    waves = processed.waves
    changes = outcome_stats.change_to_last(processed.scores, waves=waves)
    known = status.loc[status["counted"] & status["employed"].notna()]
    employed = pd.Series(known["employed"].astype(bool).to_numpy(), index=known["candidate"])
    out["soft_hard"] = outcome_stats.soft_hard_comparison(changes, employed, min_n=MIN_GROUP)
    dimensions = processed.scores["dimension"].cat.categories \
        if isinstance(processed.scores["dimension"].dtype, pd.CategoricalDtype) \
        else pd.unique(processed.scores["dimension"])
    dimension = outcome_stats.job_search_dimension(
        dimensions, getattr(settings, "job_search_dimension", None))
    out["employment_model"] = outcome_stats.employment_model(changes, employed, cand, dimension,
                                                             covariates)
    if policy:
        out["policy_change"] = outcome_stats.policy_comparison(
            cand, processed.scores, status, policy, as_of, covariates=covariates, waves=waves,
            questionnaires=processed.questionnaires, min_n=MIN_GROUP)
    return out


def _iso_dates(table: pd.DataFrame) -> pd.DataFrame:
    """Date columns as ``YYYY-MM-DD`` text (the contract has no date dtype)."""
    dated = [c for c in table.columns if pd.api.types.is_datetime64_any_dtype(table[c])]
    if not dated:
        return table
    return table.assign(**{c: table[c].dt.strftime("%Y-%m-%d").astype(object)
                           .where(table[c].notna()) for c in dated})


def study_results(study, processed: Processed, until=None) -> dict[str, pd.DataFrame]:
    """:func:`build_results` with the settings of a study (covariates, due days, seed).

    ``until`` (the end of the report's period) is the date the data is taken
    to be known at; without it, the last questionnaire's date.
    """
    return build_results(processed, covariates=study.covariates, due_days=study.due_days,
                         as_of=None if until is None else pd.Timestamp(until),
                         seed=study_seed(study), changes=study.changes,
                         followup_by=study.followup_by, grace_days=study.followup_grace_days,
                         outcomes=study.outcomes, funder_target=study.funder_target)


def study_seed(study) -> int:
    """The seed of a study's random steps: ``seed`` in study.yml, else the default."""
    return DEFAULT_SEED if study.seed is None else study.seed


def _per_pair(fit, pairs) -> pd.DataFrame:
    frames = [fit(a, b).assign(from_wave=a, to_wave=b) for a, b in pairs]
    if not frames:
        return pd.DataFrame(columns=["from_wave", "to_wave"])
    table = pd.concat(frames, ignore_index=True)
    first = ["from_wave", "to_wave"]
    return table[first + [c for c in table.columns if c not in first]]


def write_results(results: dict[str, pd.DataFrame], folder: str | Path) -> Path:
    """Write each table to ``folder/<name>.csv`` (deterministic bytes).

    Every table is first checked against its contract
    (:func:`impactlib.report.contract.validate`); a table that breaks it
    raises :class:`~impactlib.report.contract.ContractError` and nothing of
    it is written.
    """
    for name, table in results.items():
        contract.validate(name, table)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in sorted(results.items()):
        write_csv(table, folder / f"{name}.csv", encoding="utf-8",
                  lineterminator="\n", float_format=contract.FLOAT_FORMAT)
    return folder


def read_results(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Read back every ``*.csv`` of a results folder, in the dtypes of its contract.

    The tables come back as :func:`build_results` made them (``str`` keys and
    text, ``bool`` flags, ``int64``/``Int64`` counts, ``float64`` numbers;
    floats to the 10 significant digits written) and are checked against
    their contract. A file without a contract is read as pandas infers it.
    """
    out = {}
    for path in sorted(Path(folder).glob("*.csv")):
        name = path.stem
        if name not in contract.SCHEMAS:
            try:
                out[name] = pd.read_csv(path, keep_default_na=False, na_values=[""])
            except pd.errors.EmptyDataError:  # a table with no columns
                out[name] = pd.DataFrame()
            continue
        header = pd.read_csv(path, nrows=0).columns
        table = pd.read_csv(path, keep_default_na=False, na_values=[""],
                            dtype=contract.read_dtypes(name, header))
        contract.validate(name, table)
        out[name] = table
    return out
