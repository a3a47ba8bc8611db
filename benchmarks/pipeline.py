"""Benchmark of the pipeline, by study size: ingestion, statistics, report, growth.

A measurement, not a test: nothing is asserted about the times; where a
target of issue 14 is missed, the table says by how much. For each size a
synthetic demo study is written (:func:`impactlib.intake.demo.write_demo`),
then:

1. **Ingestion.** ``impactlib clean`` as a whole process (start-up, imports,
   reading, checks, writing Parquet) against a *floor* process
   (``benchmarks/floor.py``) that only reads the same files with the fastest
   readers (pandas' pyarrow engine for CSV, python-calamine for workbooks)
   and writes what it read to Parquet. The two are run in turn (clean, floor,
   clean, floor...; ``--runs`` pairs), and the ratio is the median of the
   ratios of each pair, so that a slow moment of a shared machine falls on
   both. Peak memory is the child's peak resident set size: on POSIX from
   ``os.wait4`` in a small launcher process (the rusage of that one child;
   ``RUSAGE_CHILDREN`` would give the largest of all children so far, and a
   child forked from the benchmark itself inherits its peak), elsewhere by
   polling psutil every 20 ms (a lower bound), or "n/a" without psutil.
2. **Statistics.** :func:`impactlib.report.results.study_results` on the
   processed tables that ``impactlib clean`` wrote. Each table's time is
   taken inside ``build_results`` itself: a tracer on that one function's
   frame notes when each table lands in its ``out`` dict (so the steps can
   never drift from what ``build_results`` does; inputs computed between two
   tables count with the next one; tables that land together are one step;
   ``contract.conform`` at the end is a step of its own). Best of
   ``--repeats`` runs. The peak of each step is the peak of memory
   allocations traced by :mod:`tracemalloc` during that step, in a separate
   run (tracemalloc slows the code, so it never runs during the timed runs).
   The total is also taken in a fresh process (load the processed tables,
   ``study_results``): its seconds and the process's peak resident set size.
3. **Report.** ``impactlib report`` on the demo study (309 candidates; the
   whole command: cleaning, statistics, notebooks, rendering) against a floor
   process (``benchmarks/report_floor.py``) that runs as many import-only
   notebooks with papermill, at the same ``--jobs``, and converts them to
   HTML with nbconvert. Pairs in turn after one warm-up run; wall seconds and
   CPU seconds of the process with its kernels; medians of paired ratios.
4. **Growth exponents** between consecutive sizes, ``log(t2/t1) /
   log(n2/n1)``: 1 is linear; n log n gives slightly more than 1 (printed
   beside them).

    python benchmarks/pipeline.py                  # 1,000 and 10,000 candidates (minutes)
    python benchmarks/pipeline.py --full           # and 100,000 (about 15 minutes more)
    python benchmarks/pipeline.py --sizes 2000 --runs 5 --out bench.csv
    python benchmarks/pipeline.py --report-only     # part 3 only

``--out FILE.csv`` writes every measure in long form (``candidates``,
``part``, ``step``, ``seconds``, ``peak_mb``, ``ratio``). ``python tasks.py
bench`` (or ``make bench``) runs it with the project's environment.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import NamedTuple

import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_SIZES = (1000, 10000)
FULL_SIZE = 100000
KEY = "benchmark-key-not-secret"  # never the user's pseudonymization key
SEED = 20240601
MB = 1024 * 1024

#: Targets of issue 14 (2-core machine).
TARGET_INGEST_RATIO = {10000: 2.0, 100000: 1.5}
TARGET_STATS_SECONDS = {100000: 15.0}
TARGET_PEAK_MB = {100000: 1024.0}
TARGET_REPORT_RATIO = 1.25


# -- child processes ---------------------------------------------------------

def _poll_peak(pid: int, stop: threading.Event, out: list) -> None:
    try:
        import psutil
    except ImportError:
        return
    try:
        proc = psutil.Process(pid)
        peak = 0
        while not stop.is_set():
            peak = max(peak, proc.memory_info().rss)
            stop.wait(0.02)
        out.append(peak)
    except psutil.Error:
        out.append(None)


#: Run by a small launcher process: the command, its wall time and its peak RSS
#: (``os.wait4``), written to the file named first. Measured from a fresh, small
#: process because Linux gives a child the peak RSS of the process it was forked
#: from (the benchmark's own, hundreds of MB once a study is loaded).
LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as f:
    f.write(f"{seconds} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


class Run(NamedTuple):
    """A child's wall seconds, peak RSS in MB, stdout, and CPU seconds (None: unknown)."""

    seconds: float
    peak: float | None
    out: str
    cpu: float | None = None


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd``; return its wall seconds, its peak RSS in MB (None: unknown), its stdout
    and its CPU seconds, user and system, its own and its waited-for descendants'
    (the kernels of a report: Linux adds a reaped child's times to its parent's).

    POSIX: through :data:`LAUNCHER`, whose ``os.wait4`` gives the rusage of
    that one child (``RUSAGE_CHILDREN`` would give the largest of all children
    so far). Elsewhere: psutil polled every 20 ms (a lower bound), or None
    without psutil. Exits with the child's error output when it fails: a
    benchmark of a failing command means nothing.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, **(env or {})}
        if hasattr(os, "wait4"):
            usage_file = Path(tmp) / "usage"
            child = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(usage_file), *cmd],
                                     stdout=out, stderr=err, env=env)
            child.wait()
            cpu = None
            if child.returncode == 0:
                seconds, maxrss, cpu = usage_file.read_text().split()
                seconds, cpu = float(seconds), float(cpu)
                # ru_maxrss: kilobytes on Linux, bytes on macOS
                peak = int(maxrss) / (MB if sys.platform == "darwin" else 1024)
        else:
            start, cpu = time.perf_counter(), None
            child = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
            stop, found = threading.Event(), []
            poller = threading.Thread(target=_poll_peak, args=(child.pid, stop, found), daemon=True)
            poller.start()
            child.wait()
            seconds = time.perf_counter() - start
            stop.set()
            poller.join()
            peak = found[0] / MB if found and found[0] else None
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            sys.exit(f"benchmark: {' '.join(cmd[:4])}... failed (exit {child.returncode}):\n"
                     + err.read().decode(errors="replace")[-2000:])
        return Run(seconds, peak, out.read().decode(errors="replace"), cpu)


def ingestion(study: Path, work: Path, runs: int) -> dict:
    """``impactlib clean`` and the floor, ``runs`` pairs in turn; medians and peaks."""
    clean_cmd = [sys.executable, "-m", "impactlib", "-q", "clean", str(study),
                 "--out", str(work / "processed")]
    floor_cmd = [sys.executable, str(HERE / "floor.py"), str(study), str(work / "floor")]
    env = {"IMPACTLIB_KEY": KEY}
    pairs = []
    for _ in range(runs):
        pairs.append((run_child(clean_cmd, env), run_child(floor_cmd)))
    clean = [c for c, _ in pairs]
    floor = [f for _, f in pairs]
    peak = lambda runs_: max((r[1] for r in runs_ if r[1] is not None), default=None)  # noqa: E731
    return {"clean_s": statistics.median(r[0] for r in clean),
            "floor_s": statistics.median(r[0] for r in floor),
            "ratio": statistics.median(c[0] / f[0] for c, f in pairs),
            "clean_mb": peak(clean), "floor_mb": peak(floor),
            "processed": work / "processed"}


# -- report ------------------------------------------------------------------

def report_part(root: Path, jobs: int, runs: int, seed: int) -> dict:
    """``impactlib report`` on the demo against its notebook floor, ``runs`` pairs in turn.

    The report is the whole command (cleaning, statistics, the notebooks at
    ``--jobs``, rendering); the floor (``report_floor.py``) runs as many
    import-only notebooks with papermill at the same ``jobs`` and converts
    them with nbconvert. Wall and CPU seconds (the process and its kernels),
    medians, and the medians of the paired ratios.
    """
    from impactlib import config
    from impactlib.intake.demo import write_demo
    from impactlib.report.sources import notebook_sources

    work = root / "report"
    study = write_demo(work / "raw", seed=seed)
    count = len(notebook_sources(config.notebooks_dir()))
    report_cmd = [sys.executable, "-m", "impactlib", "-q", "report", str(study),
                  "--processed", str(work / "processed"), "--out", str(work / "out"),
                  "--jobs", str(jobs)]
    floor_cmd = [sys.executable, str(HERE / "report_floor.py"), str(count), str(jobs),
                 str(work / "floor")]
    env = {"IMPACTLIB_KEY": KEY}
    run_child(report_cmd, env)      # warm-up: caches, the kernel spec, compiled files
    pairs = [(run_child(report_cmd, env), run_child(floor_cmd)) for _ in range(runs)]
    median = statistics.median
    cpu_known = all(r.cpu and f.cpu for r, f in pairs)
    return {"notebooks": count, "jobs": jobs,
            "report_s": median(r.seconds for r, _ in pairs),
            "floor_s": median(f.seconds for _, f in pairs),
            "ratio": median(r.seconds / f.seconds for r, f in pairs),
            "report_cpu": median(r.cpu for r, _ in pairs) if cpu_known else None,
            "floor_cpu": median(f.cpu for _, f in pairs) if cpu_known else None,
            "cpu_ratio": median(r.cpu / f.cpu for r, f in pairs) if cpu_known else None}


# -- statistics ----------------------------------------------------------------

class StepClock:
    """Time (or traced memory peak) of each table as ``build_results`` makes it.

    A tracer on the frames of ``build_results`` only (other frames are not
    traced, so the cost is a few microseconds per line of that function):
    at each of its lines, the keys of its local ``out`` are compared with the
    ones seen; new keys close a step.
    """

    def __init__(self, memory: bool = False):
        self.memory = memory
        self.steps: list[tuple[str, float]] = []

    def _mark(self, names: list[str]) -> None:
        now = tracemalloc.get_traced_memory()[1] / MB if self.memory else time.perf_counter()
        value = now if self.memory else now - self._since
        self.steps.append(("+".join(names), value))
        if self.memory:
            tracemalloc.reset_peak()
        self._since = time.perf_counter()

    def _local(self, frame, event, arg):
        if event in ("line", "return"):
            out = frame.f_locals.get("out")
            if isinstance(out, dict) and len(out) > len(self._seen):
                new = [k for k in out if k not in self._seen]
                self._seen.update(new)
                self._mark(new)
            if event == "return":
                self._mark(["(conform to the contract)"])
        return self._local

    def _global(self, frame, event, arg):
        if event == "call" and frame.f_code is self._code:
            return self._local
        return None

    def run(self, func, *args, **kwargs):
        from impactlib.report import results

        self._code = results.build_results.__code__
        self._seen: set[str] = set()
        self.steps = []
        if self.memory:
            tracemalloc.start()
            tracemalloc.reset_peak()
        self._since = time.perf_counter()
        sys.settrace(self._global)
        try:
            value = func(*args, **kwargs)
        finally:
            sys.settrace(None)
            if self.memory:
                tracemalloc.stop()
        return value


def statistics_steps(study_path: Path, processed_dir: Path, repeats: int,
                     memory: bool) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds (best of ``repeats``) and traced peak MB of each step of build_results."""
    from impactlib.intake.processed import load_processed
    from impactlib.intake.study import load_study
    from impactlib.report.results import study_results

    study = load_study(study_path)
    processed = load_processed(processed_dir)
    clock = StepClock()
    best: dict[str, float] = {}
    for _ in range(max(1, repeats)):
        clock.run(study_results, study, processed)
        for name, seconds in clock.steps:
            best[name] = min(best.get(name, math.inf), seconds)
    peaks: dict[str, float] = {}
    if memory:
        clock = StepClock(memory=True)
        clock.run(study_results, study, processed)
        peaks = dict(clock.steps)
    return best, peaks


def statistics_child(study_path: Path, processed_dir: Path) -> None:
    """In a fresh process: load, then time ``study_results`` (printed)."""
    from impactlib.intake.processed import load_processed
    from impactlib.intake.study import load_study
    from impactlib.report.results import study_results

    study = load_study(study_path)
    processed = load_processed(processed_dir)
    start = time.perf_counter()
    study_results(study, processed)
    print(f"{time.perf_counter() - start:.6f}")


# -- report --------------------------------------------------------------------

def growth(n1: int, t1: float, n2: int, t2: float) -> float:
    """Exponent k of t = c n^k between two sizes."""
    if not (t1 > 0 and t2 > 0):
        return math.nan
    return math.log(t2 / t1) / math.log(n2 / n1)


def nlogn_exponent(n1: int, n2: int) -> float:
    """The growth exponent of n log n between n1 and n2."""
    return growth(n1, n1 * math.log(n1), n2, n2 * math.log(n2))


def print_statistics_part(sizes: list[int], steps: dict[int, dict], peaks: dict[int, dict],
                          totals: dict[int, tuple], rows: list[dict]) -> list[str]:
    """Part 2's table (and rows for ``--out``); returns the step names."""
    print("\n2. Statistics: each step of build_results (seconds, best of the runs; "
          "peak MB traced by tracemalloc), and the total in a fresh process "
          "(seconds of study_results, peak RSS of the process)\n")
    names = list(dict.fromkeys(name for n in sizes for name in steps[n]))
    print("| step | " + " | ".join(f"{n} s | {n} MB" for n in sizes) + " |")
    print("|---|" + "---|---|" * len(sizes))
    for name in names:
        cells = []
        for n in sizes:
            cells += [_fmt(steps[n].get(name), 3), _fmt(peaks[n].get(name), 0)]
            rows.append({"candidates": n, "part": "statistics", "step": name,
                         "seconds": steps[n].get(name), "peak_mb": peaks[n].get(name),
                         "ratio": None})
        print(f"| {name} | " + " | ".join(cells) + " |")
    cells = []
    for n in sizes:
        cells += [f"**{_fmt(sum(steps[n].values()), 3)}**", "-"]
    print("| **sum of steps** | " + " | ".join(cells) + " |")
    cells = []
    for n in sizes:
        seconds, peak = totals[n]
        cells += [f"**{_fmt(seconds, 3)}**", f"**{_fmt(peak, 0)}** (RSS)"]
        rows.append({"candidates": n, "part": "statistics", "step": "study_results (process)",
                     "seconds": seconds, "peak_mb": peak, "ratio": None})
    print("| **study_results, fresh process** | " + " | ".join(cells) + " |")
    for n in sizes:
        if n in TARGET_STATS_SECONDS:
            seconds, peak = totals[n]
            t, m = TARGET_STATS_SECONDS[n], TARGET_PEAK_MB[n]
            print(f"\ntarget at {n}: < {t:.0f} s "
                  + ("met" if seconds < t else f"missed by {seconds / t:.2f}x")
                  + f", peak < {m:.0f} MB "
                  + ("n/a" if peak is None else "met" if peak < m else f"missed by {peak / m:.2f}x"))
    return names


def print_report_part(r: dict, rows: list[dict]) -> None:
    target = TARGET_REPORT_RATIO
    verdict = (f"<= {target} met" if r["ratio"] <= target
               else f"<= {target} missed by {r['ratio'] / target:.2f}x")
    print(f"\n3. Report: `impactlib report` on the demo (309 candidates, cleaning and "
          f"statistics included) vs {r['notebooks']} import-only notebooks run with "
          f"papermill at --jobs {r['jobs']} and converted by nbconvert; median of paired "
          "ratios\n")
    print("| what | report s | floor s | ratio | target |")
    print("|---|---|---|---|---|")
    print(f"| wall | {r['report_s']:.2f} | {r['floor_s']:.2f} | {r['ratio']:.2f} | {verdict} |")
    print(f"| CPU (process and kernels) | {_fmt(r['report_cpu'])} | {_fmt(r['floor_cpu'])} "
          f"| {_fmt(r['cpu_ratio'])} | - |")
    rows += [{"candidates": 309, "part": "report", "step": "impactlib report",
              "seconds": r["report_s"], "peak_mb": None, "ratio": r["ratio"]},
             {"candidates": 309, "part": "report", "step": "notebook floor",
              "seconds": r["floor_s"], "peak_mb": None, "ratio": None}]


def _fmt(value, digits=2, unit="") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}{unit}"


def print_report(sizes: list[int], ingest: dict[int, dict], steps: dict[int, dict],
                 peaks: dict[int, dict], totals: dict[int, tuple],
                 report: dict | None = None) -> list[dict]:
    rows: list[dict] = []
    with_stats = bool(totals)
    print(f"\nmachine: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"pandas {pd.__version__}, {platform.system()} {platform.machine()}")
    if sizes:
        print("\n1. Ingestion: `impactlib clean` (process) vs the floor (read with pyarrow/"
              "calamine, write Parquet); median of paired ratios\n")
        print("| candidates | clean s | floor s | ratio | target | clean peak MB | floor peak MB |")
        print("|---|---|---|---|---|---|---|")
    for n in sizes:
        g = ingest[n]
        target = TARGET_INGEST_RATIO.get(n)
        verdict = "" if target is None else (
            f"<= {target} met" if g["ratio"] <= target else
            f"<= {target} missed by {g['ratio'] / target:.2f}x")
        if n in TARGET_PEAK_MB and g["clean_mb"] is not None:
            verdict += (f"; peak < {TARGET_PEAK_MB[n]:.0f} MB "
                        + ("met" if g["clean_mb"] < TARGET_PEAK_MB[n]
                           else f"missed by {g['clean_mb'] / TARGET_PEAK_MB[n]:.2f}x"))
        print(f"| {n} | {g['clean_s']:.2f} | {g['floor_s']:.2f} | {g['ratio']:.2f} | {verdict or '-'} "
              f"| {_fmt(g['clean_mb'], 0)} | {_fmt(g['floor_mb'], 0)} |")
        rows += [{"candidates": n, "part": "ingestion", "step": "impactlib clean",
                  "seconds": g["clean_s"], "peak_mb": g["clean_mb"], "ratio": g["ratio"]},
                 {"candidates": n, "part": "ingestion", "step": "floor",
                  "seconds": g["floor_s"], "peak_mb": g["floor_mb"], "ratio": None}]

    if with_stats:
        names = print_statistics_part(sizes, steps, peaks, totals, rows)
    if report:
        print_report_part(report, rows)
    if not with_stats:
        return rows
    if len(sizes) > 1:
        print("\n4. Growth exponents log(t2/t1)/log(n2/n1) (1 = linear)\n")
        pairs = list(zip(sizes, sizes[1:]))
        print("| what | " + " | ".join(f"{a}->{b}" for a, b in pairs) + " |")
        print("|---|" + "---|" * len(pairs))
        print("| n log n | " + " | ".join(f"{nlogn_exponent(a, b):.2f}" for a, b in pairs) + " |")
        series = {"impactlib clean": {n: ingest[n]["clean_s"] for n in sizes},
                  "floor": {n: ingest[n]["floor_s"] for n in sizes},
                  "study_results (process)": {n: totals[n][0] for n in sizes}}
        for name in names:
            series[name] = {n: steps[n].get(name, math.nan) for n in sizes}
        faster = []
        for name, t in series.items():
            exps = [growth(a, t[a], b, t[b]) for a, b in pairs]
            print(f"| {name} | " + " | ".join(_fmt(e) for e in exps) + " |")
            # steps under 50 ms at the larger size are start-up and noise
            faster += [f"{name} ({a}->{b}: {e:.2f})" for (a, b), e in zip(pairs, exps)
                       if e > nlogn_exponent(a, b) + 0.15 and t[b] >= 0.05]
        print("\ngrowing faster than n log n (exponent above it by more than 0.15, "
              "steps over 50 ms): " + (", ".join(faster) if faster else "none"))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                   help="numbers of candidates (default: 1000 10000)")
    p.add_argument("--full", action="store_true", help=f"add {FULL_SIZE} candidates")
    p.add_argument("--runs", type=int, default=3,
                   help="pairs of ingestion runs, clean and floor in turn (default 3)")
    p.add_argument("--repeats", type=int,
                   help="runs of the statistics, best kept (default: 3, 1 from 50,000)")
    p.add_argument("--no-memory", action="store_true",
                   help="skip the tracemalloc run of the statistics")
    p.add_argument("--ingestion-only", action="store_true",
                   help="only part 1 (e.g. to compare two versions of the readers)")
    p.add_argument("--no-report", action="store_true",
                   help="skip part 3 (the report against its notebook floor)")
    p.add_argument("--report-only", action="store_true", help="only part 3")
    p.add_argument("--jobs", type=int, default=2,
                   help="notebooks run at once by the report and its floor (2)")
    p.add_argument("--seed", type=int, default=SEED, help="seed of the demo studies")
    p.add_argument("--out", type=Path, help="write every measure to this CSV file")
    p.add_argument("--keep", type=Path, help="write the studies here instead of a temporary folder")
    p.add_argument("--stats-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.stats_child:
        statistics_child(*args.stats_child)
        return 0

    from impactlib.intake.demo import write_demo

    sizes = sorted(set(args.sizes + ([FULL_SIZE] if args.full else [])))
    if args.report_only:
        sizes = []
    what = f"{', '.join(map(str, sizes))} candidates" if sizes else "the report only"
    print(f"benchmark: {what} on {os.cpu_count()} cores; "
          "numbers from a shared machine are noisy", file=sys.stderr, flush=True)
    ingest, steps, peaks, totals, report = {}, {}, {}, {}, None
    with tempfile.TemporaryDirectory(prefix="impactlib-bench-") as tmp:
        root = args.keep or Path(tmp)
        if not (args.no_report or args.ingestion_only):
            print(f"report: the demo against its notebook floor, {args.runs} pairs",
                  file=sys.stderr, flush=True)
            report = report_part(root, args.jobs, args.runs, args.seed)
        # Warm-up: the first run of a process pays for cold caches (files, imports).
        if sizes:
            warm = write_demo(root / "warm-up" / "raw", candidates=60, seed=args.seed)
            ingestion(warm, root / "warm-up", 1)
        for n in sizes:
            print(f"{n} candidates: writing the study", file=sys.stderr, flush=True)
            work = root / f"demo-{n}"
            study = write_demo(work / "raw", candidates=n, seed=args.seed)
            print(f"{n} candidates: ingestion, {args.runs} pairs", file=sys.stderr, flush=True)
            ingest[n] = ingestion(study, work, args.runs)
            if args.ingestion_only:
                continue
            repeats = args.repeats or (3 if n < 50000 else 1)
            print(f"{n} candidates: statistics, best of {repeats}"
                  + ("" if args.no_memory else ", then traced"), file=sys.stderr, flush=True)
            steps[n], peaks[n] = statistics_steps(study, ingest[n]["processed"], repeats,
                                                  not args.no_memory)
            seconds, peak, out, _ = run_child([sys.executable, str(Path(__file__).resolve()),
                                               "--stats-child", str(study),
                                               str(ingest[n]["processed"])])
            totals[n] = (float(out.strip().splitlines()[-1]), peak)
    rows = print_report(sizes, ingest, steps, peaks, totals, report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(args.out, index=False, float_format="%.4f", lineterminator="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
