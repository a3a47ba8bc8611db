"""Reports: clean, compute results, run the notebooks, render HTML.

``impactlib report STUDY.yml`` does, in order:

1. clean the study into the processed folder (internal, holds pseudonyms);
2. restrict to the period (``since``/``until``) and write ``DIR/results/*.csv``
   (shareable aggregates, no ids);
3. run every notebook of ``notebooks/`` with papermill into ``DIR/notebooks``;
4. render each to a self-contained HTML page without code in ``DIR/html`` and
   write ``DIR/html/index.html`` linking them;
5. write ``DIR/manifest.json`` (parameters, input checksums, versions, commit,
   times).

If a notebook fails, the run stops with a message naming the notebook and the
cell, and no HTML is left in ``DIR/html``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from impactlib.errors import StudyError
from impactlib.report.i18n import Translator
from impactlib.intake.processed import clean_study, restrict_period
from impactlib.report.results import study_results, study_seed, write_results
from impactlib.intake.study import load_study

__all__ = ["run_report", "ReportError", "NOTEBOOKS", "default_out"]

log = logging.getLogger(__name__)
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "templates"
PACKAGES = ("impactlib", "pandas", "numpy", "scipy", "statsmodels", "pingouin", "seaborn",
            "matplotlib", "papermill", "nbconvert", "pyarrow", "openpyxl", "pandera")


class ReportError(StudyError):
    """A notebook failed while producing a report."""


@dataclass
class NotebookRun:
    name: str
    source: Path
    executed: Path


def default_out(study_name: str, until: str) -> Path:
    """``reports/<study>-<until date>/``."""
    return Path("reports") / f"{study_name}-{until}"


def _execute(source: str, target: str, parameters: dict, cwd: str) -> None:
    """Run one notebook with papermill (in a worker process)."""
    import papermill as pm

    pm.execute_notebook(source, target, parameters=parameters, kernel_name="python3",
                        progress_bar=False, cwd=cwd, log_output=False)


def _render_html(executed: Path, target: Path, title: str, tr: Translator,
                 **resources) -> None:
    """The board's page: outputs only (no code, no evaluator notes), images inline.

    ``resources`` reach the ``board`` template: ``impact_back`` (link to the
    index), ``impact_contents`` (the index's list of pages), ``impact_footer``.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(extra_template_basedirs=[str(TEMPLATES)], template_name="board",
                            exclude_input=True, exclude_markdown=True,
                            exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    exporter.language_code = tr.lang
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    target.write_text(body, encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(NOTEBOOKS.parent), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def _render_pages(html_dir: Path, runs: list[NotebookRun], tr: Translator, study_title: str,
                  period: str, version: str) -> None:
    """One page per notebook, and ``index.html``: the first page (the synthesis)
    with the list of every page."""
    titles = [(f"{r.name}.html", tr.strings.get("index.notebooks." + r.name, r.name)) for r in runs]
    footer = [tr.t("common.no_code_note"),
              tr.t("common.generated", date=dt.date.today().isoformat(), version=version)]
    for r, (href, title) in zip(runs, titles):
        _render_html(r.executed, html_dir / href, title, tr, impact_back=tr.t("nav.back"),
                     impact_footer=footer)
    _render_html(runs[0].executed, html_dir / "index.html",
                 f"{tr.t('index.title')} - {study_title}", tr,
                 impact_contents=titles, impact_contents_title=tr.t("index.contents"),
                 impact_lead=tr.t("index.intro", title=study_title, period=period),
                 impact_footer=footer)


def run_report(study_path: str | Path, out: str | Path | None = None,
               processed: str | Path | None = None, since: str | None = None,
               until: str | None = None, lang: str | None = None,
               notebooks: str | Path | None = None, jobs: int = 2) -> Path:
    """Produce a full report of a study; return its folder.

    Parameters
    ----------
    study_path : path to ``study.yml``
    out : report folder (default ``reports/<study>-<until>/``, where ``until``
        is the given date or that of the last questionnaire)
    processed : folder for the processed tables (default
        ``data/processed/<study>/``); internal, never inside the report
    since, until : ISO dates (``YYYY-MM-DD``) of the period
    lang : ``fr`` or ``en`` (default: the study's ``language``)
    notebooks : folder of the report notebooks (default: the project's)
    jobs : notebooks run at once
    """
    started = dt.datetime.now(dt.timezone.utc)
    for name, value in (("since", since), ("until", until)):
        if value is not None:
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                raise StudyError(f"--{name} must be a date written YYYY-MM-DD, not '{value}'") from None
    study = load_study(study_path)
    lang = lang or study.language
    tr = Translator(lang)
    data = clean_study(study)
    processed_dir = Path(processed) if processed else Path("data") / "processed" / study.name
    data.write(processed_dir)
    window = restrict_period(data, since, until)
    if window.questionnaires.empty:
        raise StudyError("no questionnaire to report on"
                         + (" in this period" if since or until else
                            ": every row was set aside (see rejected_rows.csv in "
                            f"{processed_dir})"), study.path)
    last = window.questionnaires["date"].max()
    until_label = until or (last.date().isoformat() if last == last else "all")
    out = Path(out) if out else default_out(study.name, until_label)
    nb_dir = Path(notebooks) if notebooks else NOTEBOOKS
    sources = sorted(p for p in nb_dir.glob("*.ipynb"))
    if not sources:
        raise StudyError("no notebook (*.ipynb) to run", nb_dir)

    out.mkdir(parents=True, exist_ok=True)
    for sub in ("results", "notebooks", "html"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / "manifest.json").unlink(missing_ok=True)
    results_dir = write_results(study_results(study, window, until), out / "results")

    parameters = {"study": str(study.path.resolve()), "processed": str(processed_dir.resolve()),
                  "results": str(results_dir.resolve()), "since": since, "until": until,
                  "lang": lang}
    runs = [NotebookRun(p.stem, p, out / "notebooks" / p.name) for p in sources]
    (out / "notebooks").mkdir()
    _run_notebooks(runs, parameters, nb_dir, jobs)

    html_dir = out / "html"
    html_dir.mkdir()
    try:
        _render_pages(html_dir, runs, tr, study.title, tr.period(since, until),
                      _versions()["impactlib"])
    except Exception:
        shutil.rmtree(html_dir, ignore_errors=True)
        raise
    manifest = {
        "study": study.title,
        "parameters": {**parameters, "out": str(out.resolve()), "jobs": jobs},
        "seed": study_seed(study),
        "inputs": {str(p.relative_to(study.folder)) if p.is_relative_to(study.folder) else str(p):
                   _sha256(p) for p in study.input_files()},
        "versions": _versions(),
        "commit": _commit(),
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    log.info("report written to %s (open html/index.html)", out)
    return out


def _source_cell(executed: Path, index: int) -> int:
    """1-based number of a cell in the source notebook (papermill adds a cell)."""
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells[: index + 1]
    except Exception:  # the executed notebook could not be written: count as is
        return index + 1
    return sum("injected-parameters" not in c.metadata.get("tags", []) for c in cells)


def _run_notebooks(runs: list[NotebookRun], parameters: dict, cwd: Path, jobs: int) -> None:
    """Run the notebooks, ``jobs`` at a time, with a progress bar on a terminal."""
    from papermill.exceptions import PapermillExecutionError
    from tqdm.auto import tqdm

    bar = tqdm(total=len(runs), desc="notebooks", unit="nb", disable=None, file=sys.stderr)
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(runs)))) as pool:
        futures = {pool.submit(_execute, str(r.source), str(r.executed), parameters, str(cwd)): r
                   for r in runs}
        try:
            for future in as_completed(futures):
                run = futures[future]
                try:
                    future.result()
                except PapermillExecutionError as err:
                    raise ReportError(
                        f"notebook failed at cell {_source_cell(run.executed, err.cell_index)} "
                        f"(execution {err.exec_count}): {err.ename}: {err.evalue}. "
                        f"The executed notebook shows the error: {run.executed}",
                        run.source) from None
                except Exception as err:
                    raise ReportError(f"notebook could not run: {type(err).__name__}: {err}",
                                      run.source) from None
                bar.update(1)
        finally:
            bar.close()
