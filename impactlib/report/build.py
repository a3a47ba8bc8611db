"""Reports: clean, compute results, run the notebooks, render HTML.

``impactlib report STUDY.yml`` does, in order:

1. clean the study into the processed folder (internal, holds pseudonyms;
   by default the study's own, see :mod:`impactlib.config`);
2. restrict to the period (``since``/``until``) and write ``DIR/results/*.csv``
   (shareable aggregates, no ids) and the same tables as one workbook for
   Excel, ``DIR/results/results.xlsx`` (:mod:`impactlib.report.workbook`);
3. run every report notebook (:func:`impactlib.config.notebooks_dir`; their
   sources are jupytext ``.py`` files, see :mod:`impactlib.report.sources`)
   with papermill into ``DIR/notebooks/<name>.ipynb``;
4. render each to an HTML page without code in ``DIR/html`` (with its
   figures in ``html/figures/`` and one ``report.css``: the folder as a whole
   is self-contained, nothing is fetched from elsewhere), the print-ready
   ``rapport.html`` gathering them, and the entry page ``index.html``
   (:mod:`impactlib.report.render`);
5. write ``DIR/manifest.json`` (parameters, input checksums, versions, commit,
   times).

If a notebook fails, the run stops with a message naming the notebook and the
cell; the executed notebook showing the error is kept beside the report
(``DIR-<notebook>-failed.ipynb``).

A failed or stopped run harms nothing
-------------------------------------
The report is built in a new folder beside ``DIR`` with a unique hidden name
(``.DIR.tmp-<pid>-<random>``, see :func:`impactlib.intake.processed.new_folder_beside`)
and swapped in only when complete (:func:`~impactlib.intake.processed.replace_folder`:
rename-aside, rename-in, delete-old, as Windows needs): a failing notebook, an
error while rendering, Ctrl-C or SIGTERM (which the command line turns into
Ctrl-C) leave the previous report as it was. On a failure or an interruption
the notebooks' worker processes and their kernels are killed before the
exception goes on (see :func:`_run_notebooks`). The processed folder's lock
(:func:`~impactlib.intake.processed.processed_lock`) is held for the whole run.
A run killed outright (SIGKILL, power cut) leaves its work folder; the next
run deletes it (:func:`~impactlib.intake.processed.sweep_leftovers`).

No path of this machine in what is shared
-----------------------------------------
The report folder is meant to be sent to other people, so no absolute path is
written into it. The notebooks run with the kernel's working folder set to
**the study's folder**, and papermill is given the study, processed and
results paths **relative to it** (``study.yml``, ``../../processed/demo``...):
for the usual layout (everything inside the project, or beside a standalone
study) the injected parameters cell is what ran, and running the executed
notebook again from the study's folder works (one exception: the report is
built in a work folder beside ``DIR`` and swapped in at the end, so the
kernels read ``results`` from the work folder, and the cell shows the path it
has once the report is in place). A folder outside the
project (``--out /tmp/x``) would need a relative path climbing to the top of
the disk, which spells the machine's folders out again: such a path is written
``<elsewhere>/<name>`` (:func:`impactlib.config.shareable_path`), and the
injected cell is rewritten after the run to show that instead of what ran
(the only case where it differs; the same for another Windows drive, where
no relative path exists and the kernel gets the absolute one). Rewriting
every injected cell after the run was the other choice; it was set aside
because the notebook would then never show the values it ran with.

After the run, each executed notebook's papermill metadata (input and output
paths) is reduced to the notebooks' names, and any absolute folder of this
machine that a cell printed (a warning names the file that issued it) is
replaced by a label: the study folder by ``.``, the processed and report
folders by what the parameters show, Python's installation by ``<python>``,
the package by ``<impactlib>`` and the home folder by ``~``.
``manifest.json`` records the same shareable paths.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from impactlib import config
from impactlib.errors import StudyError
from impactlib.report.i18n import Translator
from impactlib.report.processes import kill_process_trees, worker_init
from impactlib.report.render import render_pages
from impactlib.report.sources import notebook_sources, read_notebook, source_line
from impactlib.intake.processed import (clean_study, new_folder_beside, processed_lock,
                                        replace_folder, restrict_period, sweep_leftovers)
from impactlib.report.results import study_results, study_seed, write_results
from impactlib.report.workbook import WORKBOOK_NAME, write_workbook
from impactlib.intake.study import load_study

__all__ = ["run_report", "ReportError", "default_out"]

log = logging.getLogger(__name__)
PACKAGES = ("impactlib", "pandas", "numpy", "scipy", "statsmodels", "pingouin", "seaborn",
            "matplotlib", "papermill", "nbconvert", "pyarrow", "openpyxl", "pandera")


class ReportError(StudyError):
    """A notebook failed while producing a report."""


@dataclass
class NotebookRun:
    name: str
    source: Path
    executed: Path
    failed: Path | None = None      # where the executed notebook is kept if it fails


def default_out(study, until: str) -> Path:
    """The study's report folder for a period ending ``until`` (see
    :func:`impactlib.config.report_dir`): ``<project>/reports/<study>-<until>/``,
    or ``<study folder>/reports/<study>-<until>/`` for a standalone study."""
    return config.report_dir(study, until)


def _execute(source: str, target: str, parameters: dict, shared: dict, cwd: str,
             labels: dict[str, str]) -> None:
    """Run one notebook with papermill (in a worker process), then make the
    executed notebook shareable (see the module's notes), even when it failed.

    The source (a jupytext ``.py`` or an ``.ipynb``, see
    :mod:`impactlib.report.sources`) is first written as a notebook at
    ``target``, which papermill then runs in place."""
    import nbformat
    import papermill as pm

    nbformat.write(read_notebook(Path(source)), target)
    try:
        # The kernel's own log (its "running over TCP without encryption" warning,
        # which concerns a kernel on this machine's loopback, and its messages at
        # shutdown) is silenced at its source; errors in cells still reach us as
        # papermill's errors.
        pm.execute_notebook(target, target, parameters=parameters, kernel_name="python3",
                            progress_bar=False, cwd=cwd, log_output=False,
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    finally:
        if Path(target).exists():
            _share_notebook(Path(target), Path(source).name, parameters, shared, labels)


def _share_notebook(path: Path, source_name: str, parameters: dict, shared: dict,
                    labels: dict[str, str]) -> None:
    """Remove this machine's paths from an executed notebook (in place)."""
    import nbformat
    from papermill.translators import translate_parameters

    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("papermill")
    if meta is not None:
        meta["input_path"] = source_name
        meta["output_path"] = f"notebooks/{path.name}"
        meta["parameters"] = dict(shared)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []) and parameters != shared:
            cell.source = translate_parameters("python3", "python", shared, "Parameters")
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _redact(output["text"], labels)
            if "traceback" in output:
                output["traceback"] = [_redact(line, labels) for line in output["traceback"]]
            if "evalue" in output:
                output["evalue"] = _redact(output["evalue"], labels)
            data = output.get("data", {})
            if "text/plain" in data:
                data["text/plain"] = _redact(data["text/plain"], labels)
    nbformat.write(nb, path)


def _redact(text, labels: dict[str, str]):
    """``text`` (a string or list of strings) with each absolute folder replaced
    by its label, longest first, where the folder's name ends (``/home/ana``
    in ``/home/ana/x``, not in ``/home/anabel``)."""
    if isinstance(text, list):
        return [_redact(t, labels) for t in text]
    for folder in sorted(labels, key=len, reverse=True):
        text = re.sub(re.escape(folder) + r"(?![\w.-])", lambda _m: labels[folder], text)
    return text


def _path_labels(study_folder: Path, named: dict[Path, str]) -> dict[str, str]:
    """Absolute folders of this machine (native and ``/`` spellings) and what
    replaces them in shared notebooks."""
    folders: dict[Path, str] = {}
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        folders[Path(prefix)] = "<python>"
    try:
        folders[Path.home()] = "~"
    except (RuntimeError, KeyError, OSError):    # no home folder known
        pass
    folders[config.PACKAGE_DIR] = "<impactlib>"
    folders.update(named)
    folders[study_folder] = "."
    labels: dict[str, str] = {}
    for folder, label in folders.items():
        try:
            real = str(folder.resolve())
        except OSError:
            real = str(folder)
        for spelling in {str(folder), folder.as_posix(), os.path.abspath(folder), real}:
            if Path(spelling).parent != Path(spelling):     # never a bare "/" or "C:\\"
                labels[spelling] = label
    return labels


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def run_report(study_path: str | Path, out: str | Path | None = None,
               processed: str | Path | None = None, since: str | None = None,
               until: str | None = None, lang: str | None = None,
               notebooks: str | Path | None = None, jobs: int = 2) -> Path:
    """Produce a full report of a study; return its folder.

    Parameters
    ----------
    study_path : path to ``study.yml``
    out : report folder (default :func:`default_out`: ``reports/<study>-<until>/``
        of the study's project, or beside a standalone study; ``until`` is the
        given date or that of the last questionnaire)
    processed : folder for the processed tables (default
        :func:`impactlib.config.processed_dir`: ``data/processed/<study>/`` of
        the study's project, or ``processed/`` beside a standalone study);
        internal, never inside the report
    since, until : ISO dates (``YYYY-MM-DD``) of the period
    lang : ``fr`` or ``en`` (default: the study's ``language``)
    notebooks : folder of the report notebooks (default:
        :func:`impactlib.config.notebooks_dir`): its jupytext ``.py`` notebooks
        (percent format), or its ``*.ipynb`` when it has none (see
        :func:`impactlib.report.sources.notebook_sources`)
    jobs : notebooks run at once

    Relative paths given here are taken from the current folder; nothing is
    written there unless one of them points there.
    """
    started = dt.datetime.now(dt.timezone.utc)
    for name, value in (("since", since), ("until", until)):
        if value is not None:
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                raise StudyError(f"--{name} must be a date written YYYY-MM-DD, not '{value}'") from None
    study = load_study(study_path)
    processed_dir = Path(processed) if processed else config.processed_dir(study)
    # One run at a time on a processed folder, for the whole run: the
    # notebooks read the processed tables.
    with processed_lock(processed_dir):
        return _report(study, out, processed_dir, since, until, lang, notebooks, jobs, started)


def _report(study, out, processed_dir: Path, since, until, lang, notebooks, jobs: int,
            started: dt.datetime) -> Path:
    """:func:`run_report` once the study is read and its processed folder locked.

    The report is built in a new folder beside ``out`` (unique hidden name)
    and swapped in only when complete: the previous report survives any
    failure (a notebook error, an error while rendering, Ctrl-C, SIGTERM)."""
    lang = lang or study.language
    tr = Translator(lang)
    clock = time.monotonic()
    data = clean_study(study)
    data.write(processed_dir)
    log.info("cleaning: %d questionnaires of %d candidates kept (%.1f s)",
             len(data.questionnaires), data.questionnaires["candidate"].nunique(),
             time.monotonic() - clock)
    window = restrict_period(data, since, until)
    if window.questionnaires.empty:
        raise StudyError("no questionnaire to report on"
                         + (" in this period" if since or until else
                            ": every row was set aside (see rejected_rows.csv in "
                            f"{processed_dir})"), study.path)
    last = window.questionnaires["date"].max()
    until_label = until or (last.date().isoformat() if last == last else "all")
    out = Path(out) if out else default_out(study, until_label)
    nb_dir = Path(notebooks) if notebooks else config.notebooks_dir()
    sources = notebook_sources(nb_dir)     # the .py (percent) notebooks, else the *.ipynb
    if not sources:
        raise StudyError("no notebook (jupytext *.py or *.ipynb) to run", nb_dir)
    if os.path.lexists(out) and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    sweep_leftovers(out)
    work = new_folder_beside(out)
    try:
        _build(study, out, work, tr, window, sources, processed_dir, since, until, lang, jobs,
               started)
        _carry_over(out, work)
        replace_folder(work, out)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    for p in sources:       # a notebook kept by an earlier failed run: out of date now
        out.with_name(_failed_name(out, p)).unlink(missing_ok=True)
    log.info("report written to %s (open html/index.html); %.1f s in all", out,
             (dt.datetime.now(dt.timezone.utc) - started).total_seconds())
    return out


REPORT_PARTS = ("results", "notebooks", "html", "manifest.json")


def _failed_name(out: Path, source: Path) -> str:
    """Where a failing notebook is kept: ``<report>-<notebook>-failed.ipynb`` beside it."""
    return f"{out.name}-{source.stem}-failed.ipynb"


def _carry_over(out: Path, work: Path) -> None:
    """Copy into the new report what else the previous one held (a file an
    evaluator put there): only the report's own parts are replaced."""
    if not out.is_dir():
        return
    for entry in out.iterdir():
        if entry.name in REPORT_PARTS or os.path.lexists(work / entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, work / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, work / entry.name, follow_symlinks=False)


def _build(study, out: Path, work: Path, tr: Translator, window, sources: list[Path],
           processed_dir: Path, since, until, lang: str, jobs: int,
           started: dt.datetime) -> None:
    """Write the whole report into ``work``, as it will read once moved to ``out``."""
    clock = time.monotonic()
    tables = study_results(study, window, until)
    results_dir = write_results(tables, work / "results")
    write_workbook(tables, results_dir / WORKBOOK_NAME, tr, study.title, tr.period(since, until),
                   as_of=until or window.questionnaires["date"].max(),
                   version=_versions()["impactlib"])
    log.info("statistics: %d results tables written, as CSV files and %s (%.1f s)", len(tables),
             WORKBOOK_NAME, time.monotonic() - clock)

    # The kernel runs in the study's folder with paths relative to it (see the
    # module's notes): the executed notebooks carry no path of this machine.
    # Resolved paths: ".." in a relative path is followed on disk, past links.
    # The results are read from the work folder, and shown where they will be.
    base = study.folder.resolve()
    within = config.study_paths(study).root.resolve()
    out_real = out.parent.resolve() / out.name
    paths = {"study": study.path.resolve(), "processed": processed_dir.resolve(),
             "results": out_real / "results"}
    shared = {name: config.shareable_path(p, base, within) for name, p in paths.items()}
    exec_paths = {name: _relative_or_absolute(p, base) for name, p in paths.items()}
    exec_paths["results"] = _relative_or_absolute(results_dir.resolve(), base)
    options = {"since": since, "until": until, "lang": lang}
    parameters, shared = {**exec_paths, **options}, {**shared, **options}
    out_shared = config.shareable_path(out_real, base, within)
    labels = _path_labels(base, {paths["processed"]: shared["processed"], out_real: out_shared,
                                 work.resolve(): out_shared})
    if exec_paths["results"] != shared["results"]:
        labels[exec_paths["results"]] = shared["results"]
    runs = [NotebookRun(p.stem, p, work / "notebooks" / f"{p.stem}.ipynb",
                        out.with_name(_failed_name(out, p))) for p in sources]
    (work / "notebooks").mkdir()
    _run_notebooks(runs, parameters, shared, base, labels, jobs)

    clock = time.monotonic()
    html_dir = work / "html"
    html_dir.mkdir()
    render_pages(html_dir, runs, tr, study.title, tr.period(since, until),
                  _versions()["impactlib"])
    log.info("rendering: %d HTML pages (%.1f s)", len(list(html_dir.glob("*.html"))),
             time.monotonic() - clock)
    manifest = {
        "study": study.title,
        "parameters": {**shared, "out": out_shared, "jobs": jobs},
        "seed": study_seed(study),
        "inputs": {config.shareable_path(p.resolve(), base, within): _sha256(p)
                   for p in study.input_files()},
        "versions": _versions(),
        "commit": config.git_commit(),
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")


def _source_cell(executed: Path, index: int) -> int:
    """1-based number of a cell in the source notebook (papermill adds a cell)."""
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells[: index + 1]
    except Exception:  # the executed notebook could not be written: count as is
        return index + 1
    return sum("injected-parameters" not in c.metadata.get("tags", []) for c in cells)


def _relative_or_absolute(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` for the kernel, or absolute on another drive."""
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return str(path)


def _run_notebooks(runs: list[NotebookRun], parameters: dict, shared: dict, cwd: Path,
                   labels: dict[str, str], jobs: int) -> None:
    """Run the notebooks, ``jobs`` at a time, logging one line as each one ends.

    The line (``notebooks 3/6: 02_abandons (21.3 s)``: how many are done, the
    one just done and its own running time) is a log line, not a progress
    bar: it reads the same in a terminal and in a log file, and ``-q`` hides
    it.

    The kernels run in ``cwd`` (the study's folder) with ``parameters``;
    ``shared`` and ``labels`` make the executed notebooks shareable. On a
    failure or an interruption (Ctrl-C, SIGTERM turned into KeyboardInterrupt
    by the command line) the worker processes and their kernels are stopped
    (:func:`_stop_workers`) before the exception goes on: no process outlives
    the run. A failing notebook is kept at ``run.failed`` (when set) for the
    evaluator to read the error."""
    from papermill.exceptions import PapermillExecutionError

    done = 0
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(runs))),
                               initializer=worker_init)
    try:
        futures = {pool.submit(_timed, _execute, str(r.source), str(r.executed), parameters,
                               shared, str(cwd), labels): r
                   for r in runs}
        for future in as_completed(futures):
            run = futures[future]
            try:
                seconds = future.result()
            except PapermillExecutionError as err:
                cell = _source_cell(run.executed, err.cell_index)
                shown = _keep_failed(run)
                raise ReportError(
                    f"notebook failed at cell {cell} (execution {err.exec_count}): "
                    f"{err.ename}: {err.evalue}."
                    + (f" The executed notebook shows the error: {shown}" if shown else ""),
                    run.source, line=source_line(run.source, cell)) from None
            except OSError:         # a full disk, a folder not writable: said as such
                raise
            except Exception as err:
                raise ReportError(f"notebook could not run: {type(err).__name__}: {err}",
                                  run.source) from None
            done += 1
            log.info("notebooks %d/%d: %s (%.1f s)", done, len(runs), run.name, seconds)
    except BaseException:
        _stop_workers(pool)
        raise
    else:
        pool.shutdown(wait=True)


def _timed(function, *args) -> float:
    """Call ``function(*args)`` (in a worker process); the seconds it took."""
    clock = time.monotonic()
    function(*args)
    return time.monotonic() - clock


def _keep_failed(run: NotebookRun) -> Path | None:
    """Copy a failed executed notebook to ``run.failed``; where it is now."""
    if run.failed is None or not run.executed.exists():
        return run.executed if run.executed.exists() else None
    try:
        shutil.copyfile(run.executed, run.failed)
    except OSError:
        return None
    return run.failed


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers and their descendants, then shut the pool down."""
    processes = getattr(pool, "_processes", None) or {}
    workers = [p.pid for p in list(processes.values()) if p.pid]
    try:
        kill_process_trees(workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
