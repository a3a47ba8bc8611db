"""Floor of ``impactlib report``: import-only notebooks, run and rendered the same way.

    python benchmarks/report_floor.py NOTEBOOKS JOBS WORK

Writes ``NOTEBOOKS`` notebooks into ``WORK``, each with the report's
parameters cell and one cell of the imports every report notebook starts
with (``impactlib.report.figures``, ``narrative``, ``notebook``: pandas,
matplotlib, seaborn, statsmodels come with them), runs them with papermill,
``JOBS`` at a time in worker processes, with the same kernel options as the
report (:func:`impactlib.report.build._execute`), then converts each executed
notebook to HTML with nbconvert. What ``impactlib report`` does beyond this
floor is its own work: cleaning, statistics, the notebooks' cells, figures,
rendering. Used by ``benchmarks/pipeline.py`` (part 4).
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

IMPORTS = """from IPython.display import display

from impactlib.report import figures, narrative
from impactlib.report.notebook import open_report
"""
PARAMETERS = """study = None
processed = None
results = None
since = None
until = None
lang = None
"""


def _run(path: str) -> str:
    import papermill as pm
    from nbconvert import HTMLExporter
    import nbformat

    pm.execute_notebook(path, path, parameters={"lang": "fr"}, kernel_name="python3",
                        progress_bar=False, cwd=str(Path(path).parent), log_output=False,
                        extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    body, _ = HTMLExporter(exclude_input=True).from_notebook_node(nbformat.read(path, as_version=4))
    Path(path).with_suffix(".html").write_text(body, encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    import nbformat

    count, jobs, work = int(argv[0]), int(argv[1]), Path(argv[2])
    work.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell(PARAMETERS)
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(IMPORTS)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        path = work / f"floor_{i:02d}.ipynb"
        nbformat.write(nb, path)
        paths.append(str(path))
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, count))) as pool:
        list(pool.map(_run, paths))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
