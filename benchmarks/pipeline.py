"""Benchmark of the pipeline: cleaning and every result table, by study size.

For each size, a synthetic demo study is written (:func:`impactlib.intake.demo.write_demo`),
cleaned (:func:`impactlib.intake.processed.clean_study`), written and read back
(:func:`impactlib.intake.processed.load_processed`, as ``impactlib clean`` then the
analysis do), and every table of :func:`impactlib.report.results.build_results` is
timed on its own, with the study's settings (covariates, due days, seed), as
:func:`impactlib.report.results.study_results` calls it. Then ``build_results`` itself
is run once, its total time reported, and its tables compared with the ones
timed step by step, so that the steps below cannot drift from what
``build_results`` does without the benchmark saying so (exit status 1).

Times are wall-clock (:func:`time.perf_counter`), the best of ``--repeats``
runs (default: 5 under 2,000 candidates, 3 up to 5,000, else 1). Nothing is
asserted about them: this is a measurement, not a test.

    python benchmarks/pipeline.py                       # 309, 5000, 20000 candidates
    python benchmarks/pipeline.py --sizes 309 2000 --out bench.csv
    python benchmarks/pipeline.py --sizes 20000 --only dimension_model imputed_change

The CSV (``--out``) is long: one row per size x step, with the columns
``candidates``, ``step``, ``seconds``, ``repeats``, ``rows`` (rows of the
output table) and ``scores`` (rows of the long ``scores`` table).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from impactlib.stats import attrition
from impactlib.stats import item_change as change
from impactlib.stats import dimension_change as models
from impactlib.stats import power
from impactlib.stats import reliability
from impactlib.intake.demo import write_demo
from impactlib.intake.processed import Processed, clean_study, load_processed
from impactlib.report.results import (
    MIN_GROUP,
    REGISTRY_COLUMNS,
    SUBGROUP_COLUMNS,
    QUALITY_COLUMNS,
    _per_pair,
    study_results,
    study_seed,
)
from impactlib.intake.study import Study, load_study
from impactlib.report import contract

DEFAULT_SIZES = (309, 5000, 20000)
KEY = b"benchmark-key-not-secret"  # never the user's pseudonymization key
WARM_UP = 60  # candidates of the untimed warm-up study


def default_repeats(candidates: int) -> int:
    if candidates < 2000:
        return 5
    if candidates <= 5000:
        return 3
    return 1


def best_of(func: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Smallest wall-clock time of ``repeats`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def table_steps(processed: Processed, study: Study) -> list[tuple]:
    """The tables of :func:`build_results`, in its order: ``(name, func[, prepare])``.

    ``func()`` returns the table; ``prepare()``, when given, computes an
    input of it that is not part of its time.

    Mirrors ``impactlib/results.py`` (``build_results`` called by
    ``study_results``) statement by statement; :func:`check_same` verifies
    that the outputs are identical.
    """
    covariates = study.covariates
    due_days = study.due_days
    seed = study_seed(study)
    imputations = 20
    waves = processed.waves
    cand = processed.candidates
    answered = cand[cand["n_waves"] > 0].reset_index(drop=True)
    q, r, s = processed.questionnaires, processed.responses, processed.scores
    covariates = [c for c in covariates if c in cand.columns]
    groups = covariates + (["exit_status"] if "exit_status" in cand.columns else [])

    def quality():
        table = processed.quality
        return table[QUALITY_COLUMNS + [c for c in table.columns if c not in QUALITY_COLUMNS]]

    def attrition_rates():
        status = attrition.wave_status(cand, q, waves=waves, as_of=q["date"].max(),
                                       due_days=due_days or None)
        return attrition.attrition_rates(status, waves=waves)

    def subgroups():
        if not groups:
            return pd.DataFrame(columns=SUBGROUP_COLUMNS)
        return pd.concat(
            [models.subgroup_change(s, answered, by=g, waves=waves, min_n=MIN_GROUP)
             .rename(columns={g: "group"}).assign(variable=g) for g in groups],
            ignore_index=True)

    dist = {}

    def item_shares_input():  # the counts are an input of the shares, not timed with them
        if "table" not in dist:
            dist["table"] = change.response_distribution(r, labels=processed.scales, waves=waves)

    def item_shares():
        return change.distribution_shares(dist["table"], items=processed.items, scales=processed.scales)

    def reliability_table():
        return reliability.cronbach_alpha_by(r, waves=waves)

    rel = {}

    def rci_input():  # the reliability table is an input of rci, not timed with it
        if "table" not in rel:
            rel["table"] = reliability_table()

    def rci():
        return reliability.reliable_change(s, rel["table"], waves=waves)

    steps = [
        ("quality", quality),
        ("patterns", lambda: attrition.pattern_counts(answered, waves=waves)[["pattern", "n_candidates"]]),
        ("funnel", lambda: attrition.funnel(q, waves=waves)),
        ("timing", lambda: attrition.days_between_waves(q, waves=waves)),
    ]
    if all(c in cand.columns for c in REGISTRY_COLUMNS):
        steps.append(("attrition_rates", attrition_rates))
    steps += [
        ("attrition", lambda: attrition.attrition_table(s, answered, waves=waves, covariates=covariates,
                                                        min_group=MIN_GROUP)),
        ("dropout_model", lambda: _per_pair(lambda a, b: attrition.dropout_model(s, answered, a, b),
                                            zip(waves, waves[1:]))),
        ("mcar", lambda: attrition.little_mcar(attrition.item_matrix(r, waves[0])).assign(wave=waves[0])),
        ("item_change", lambda: change.item_change(r, waves=waves)),
        ("item_distribution", lambda: change.response_distribution(r, labels=processed.scales, waves=waves)),
        ("item_shares", item_shares, item_shares_input),
        ("item_transitions", lambda: change.transition_table(r, waves=waves)),
        ("reliability", reliability_table),
        ("rci", rci, rci_input),
        ("dimension_model", lambda: models.dimension_model(s, waves=waves)),
        ("completers_change", lambda: models.completers_change(s, waves=waves)),
        ("imputed_change", lambda: models.imputed_change(s, waves=waves, m=imputations, seed=seed)),
        ("subgroups", subgroups),
        ("power", lambda: power.power_table(q, waves=waves)),
    ]
    return steps


def check_same(steps: dict[str, pd.DataFrame], whole: dict[str, pd.DataFrame]) -> list[str]:
    """Tables that differ between the timed steps and ``build_results`` (empty: none)."""
    problems = []
    if set(steps) != set(whole):
        problems.append(f"tables {sorted(set(steps) ^ set(whole))} are in only one of the two")
    for name in sorted(set(steps) & set(whole)):
        try:  # build_results gives each table in the dtypes of its contract
            pd.testing.assert_frame_equal(contract.conform(name, steps[name]), whole[name],
                                          check_exact=False, rtol=1e-12, atol=0)
        except AssertionError as err:
            problems.append(f"{name}: {str(err).splitlines()[0]}")
    return problems


def bench_size(candidates: int, repeats: int, only: set[str] | None, total: bool, workdir: Path,
               seed: int, quiet: bool = False) -> tuple[list[dict], list[str]]:
    rows: list[dict] = []
    folder = workdir / f"demo-{candidates}"
    study_path = write_demo(folder / "raw", candidates=candidates, seed=seed)
    study = load_study(study_path)

    def record(step: str, seconds: float, n_rows: int | None, reps: int) -> None:
        rows.append({"candidates": candidates, "step": step, "seconds": seconds, "repeats": reps,
                     "rows": n_rows})
        if not quiet:
            print(f"  {step:<20} {seconds:10.3f} s", file=sys.stderr, flush=True)

    if only is None or "clean_study" in only:
        seconds, processed = best_of(lambda: clean_study(study, key=KEY), repeats)
        record("clean_study", seconds, len(processed.scores), repeats)
    else:
        processed = clean_study(study, key=KEY)
    processed.write(folder / "processed")
    processed = load_processed(folder / "processed")
    n_scores = len(processed.scores)

    tables: dict[str, pd.DataFrame] = {}
    for name, func, *prepare in table_steps(processed, study):
        if only is not None and name not in only:
            continue
        for step in prepare:
            step()
        seconds, table = best_of(func, repeats)
        tables[name] = table
        record(name, seconds, len(table), repeats)
    if only is None:
        record("sum of tables", sum(r["seconds"] for r in rows if r["step"] != "clean_study"), None, repeats)

    problems: list[str] = []
    if total:
        seconds, whole = best_of(lambda: study_results(study, processed), 1)
        record("build_results", seconds, None, 1)
        if only is None:
            problems = check_same(tables, whole)
    for row in rows:
        row["scores"] = n_scores
    return rows, [f"{candidates} candidates: {p}" for p in problems]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                   help="numbers of candidates (default: 309 5000 20000)")
    p.add_argument("--repeats", type=int, help="runs per step, best kept (default: 5/3/1 by size)")
    p.add_argument("--only", nargs="+", help="time only these steps (e.g. clean_study dimension_model)")
    p.add_argument("--no-total", action="store_true",
                   help="skip the whole build_results run and the comparison of its tables")
    p.add_argument("--seed", type=int, default=20240601, help="seed of the demo studies")
    p.add_argument("--out", type=Path, help="write the timings to this CSV file")
    p.add_argument("--keep", type=Path, help="write the demo studies here instead of a temporary folder")
    args = p.parse_args(argv)

    only = set(args.only) if args.only else None
    all_rows: list[dict] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="impactlib-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        # Warm-up on a small study: imports and first-call costs are not timed.
        print("warm-up", file=sys.stderr, flush=True)
        warm, _ = bench_size(WARM_UP, 1, None, False, Path(tmp), args.seed, quiet=True)
        known = [r["step"] for r in warm if r["step"] != "sum of tables"]
        if only is not None and not only <= set(known):
            p.error(f"unknown step(s) {sorted(only - set(known))}; the steps are {known}")
        for n in args.sizes:
            repeats = args.repeats or default_repeats(n)
            print(f"{n} candidates (best of {repeats})", file=sys.stderr, flush=True)
            rows, bad = bench_size(n, repeats, only, not args.no_total and only is None, workdir, args.seed)
            all_rows += rows
            problems += bad

    long = pd.DataFrame(all_rows, columns=["candidates", "step", "seconds", "repeats", "rows", "scores"])
    long["rows"] = long["rows"].astype("Int64")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        long.to_csv(args.out, index=False, float_format="%.4f", lineterminator="\n")
    wide = long.pivot(index="step", columns="candidates", values="seconds")
    wide = wide.reindex(list(dict.fromkeys(long["step"])))[list(dict.fromkeys(long["candidates"]))]
    wide.columns = [f"{c} cand. (s)" for c in wide.columns]
    print(wide.to_string(float_format=lambda v: f"{v:.3f}", na_rep="-"))
    scores = long.groupby("candidates", sort=False)["scores"].first()
    print("rows of scores: " + ", ".join(f"{c} cand. -> {s}" for c, s in scores.items()))
    for problem in problems:
        print(f"WARNING: the timed steps differ from build_results: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
