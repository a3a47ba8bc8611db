"""The report notebooks' sources: jupytext ``.py`` files in the percent format.

Each report notebook has one tracked source, ``notebooks/<name>.py``: a
Python file whose cells start at ``# %%`` lines (jupytext's percent format),
with jupytext's header on top. The ``<name>.ipynb`` beside it is a generated
copy for JupyterLab, git-ignored: the project's setup writes it (``jupytext
--sync``), and so does the test suite when it is missing
(:func:`write_ipynb_copies`). In JupyterLab, jupytext pairs the two
(``notebooks/jupytext.toml``): saving the ``.ipynb`` rewrites the ``.py``'s
cells, and outputs stay in the ``.ipynb``. Why one tracked ``.py`` rather than
a filter stripping outputs on commit is written in the README ("Exploring").

The report runner (:mod:`impactlib.report.build`) takes its notebooks from a
folder with :func:`notebook_sources`: the percent ``.py`` files if there is
any (the ``.ipynb`` copies beside them, which may hold an evaluator's outputs
or unsaved experiments, are not looked at), else the ``.ipynb`` files (a
folder of plain notebooks, as ``impactlib report --notebooks DIR`` accepts).
:func:`read_notebook` turns a source into the notebook papermill runs, and
:func:`source_line` finds where a cell starts in a ``.py``, for error messages.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from impactlib.errors import StudyError

__all__ = ["notebook_sources", "is_percent_notebook", "read_notebook", "source_line",
           "write_ipynb_copies", "PERCENT"]

PERCENT = "py:percent"
# A cell's first line in the percent format (as jupytext reads it: "# %%",
# "# %% [markdown]", "# %% tags=[...]"...).
_CELL_START = re.compile(r"^\s*#\s*%%(%*)(\s.*)?$")


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise StudyError("a notebook's .py must be UTF-8 text", path) from None


def is_percent_notebook(path: Path) -> bool:
    """Whether a ``.py`` file is a notebook in jupytext's percent format.

    Its jupytext header says so, or it has ``# %%`` cell markers; a plain
    module (neither) is not a notebook.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     nb, module = Path(folder) / "nb.py", Path(folder) / "module.py"
    ...     _ = nb.write_text("# %%\\nx = 1\\n", encoding="utf-8")
    ...     _ = module.write_text("x = 1\\n", encoding="utf-8")
    ...     is_percent_notebook(nb), is_percent_notebook(module)
    (True, False)
    """
    from jupytext.formats import guess_format

    return guess_format(_text(path), ".py")[0] == "percent"


def notebook_sources(folder: Path) -> list[Path]:
    """The notebooks of ``folder`` a report runs, in name order.

    The ``*.py`` notebooks in jupytext's percent format if there is any (the
    ``.ipynb`` files beside them are generated copies and are ignored), else
    the ``*.ipynb`` files. An empty list when there is neither.
    """
    folder = Path(folder)
    scripts = [p for p in sorted(folder.glob("*.py")) if is_percent_notebook(p)]
    return scripts or sorted(folder.glob("*.ipynb"))


def read_notebook(path: Path):
    """A source notebook (percent ``.py`` or ``.ipynb``) as papermill runs it.

    A ``.py`` is converted by jupytext. Its cells get ids that depend only on
    their place (``cell-1``, ``cell-2``...; jupytext would draw random ones),
    and jupytext's pairing metadata is dropped: the executed copy is a part of
    the report, not a notebook to pair with a ``.py`` when opened in
    JupyterLab. A ``.py`` without jupytext's header is given the Python 3
    kernel (the one the report runs). An ``.ipynb`` is read as it is.

    Returns
    -------
    nbformat.NotebookNode
    """
    import jupytext
    import nbformat

    path = Path(path)
    if path.suffix != ".py":
        return nbformat.read(path, as_version=4)
    nb = jupytext.reads(_text(path), fmt=PERCENT)
    nb.metadata.pop("jupytext", None)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3",
                                          "language": "python"})
    nb.nbformat, nb.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
    for number, cell in enumerate(nb.cells, start=1):
        cell["id"] = f"cell-{number}"
    return nb


def source_line(path: Path, cell: int) -> int | None:
    """The line of a ``.py`` notebook where its ``cell``-th cell (from 1)
    starts: its ``# %%`` line. None for an ``.ipynb``, or when the cells
    jupytext reads do not match the ``# %%`` lines one to one.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     nb = Path(folder) / "nb.py"
    ...     _ = nb.write_text("# %%\\nx = 1\\n\\n# %%\\ny = 2\\n", encoding="utf-8")
    ...     source_line(nb, 1), source_line(nb, 2), source_line(nb, 3)
    (1, 4, None)
    """
    import jupytext

    path = Path(path)
    if path.suffix != ".py":
        return None
    try:
        text = path.read_text(encoding="utf-8")
        cells = len(jupytext.reads(text, fmt=PERCENT).cells)
    except (OSError, ValueError):
        return None
    starts = [n for n, line in enumerate(text.splitlines(), start=1) if _CELL_START.match(line)]
    first = cells - len(starts)         # 1 when the first cell has no "# %%" line
    if first not in (0, 1) or not first < cell <= cells:
        return None
    return starts[cell - 1 - first]


def write_ipynb_copies(folder: Path) -> list[Path]:
    """Write the ``.ipynb`` copy of each percent ``.py`` notebook of ``folder``
    that has none, or an older one; return the copies written.

    What JupyterLab opens and nbval runs: the cells come from the ``.py``;
    from an older copy the outputs of the cells that did not change are kept
    (as ``jupytext --sync`` does). A copy at least as recent as its ``.py`` is
    left alone (JupyterLab's pairing keeps the two in step). A copy written
    here gets its ``.py``'s modification time, so jupytext never takes it for
    newer than its source; it is written to a temporary file, then renamed
    (a reader never sees half a notebook).
    """
    import jupytext
    from jupytext.combine import combine_inputs_with_outputs

    written = []
    for script in notebook_sources(Path(folder)):
        if script.suffix != ".py":
            continue
        copy = script.with_suffix(".ipynb")
        stat = script.stat()
        if copy.exists() and copy.stat().st_mtime >= stat.st_mtime:
            continue
        nb = jupytext.reads(_text(script), fmt=PERCENT)
        if copy.exists():
            try:
                nb = combine_inputs_with_outputs(nb, jupytext.read(copy), fmt=PERCENT)
            except (OSError, ValueError, AssertionError):   # an unreadable copy:
                pass                                        # the cells alone replace it
        partial = copy.with_name(f".{copy.name}.{os.getpid()}.tmp")
        try:
            with open(partial, "w", encoding="utf-8", newline="\n") as stream:
                jupytext.write(nb, stream, fmt="ipynb")
            os.utime(partial, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            os.replace(partial, copy)
        finally:
            partial.unlink(missing_ok=True)
        written.append(copy)
    return written
