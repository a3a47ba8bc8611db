"""The report notebooks' one source is their jupytext .py; outputs never reach git.

The ``.py`` files (percent format) in ``notebooks/`` are what git tracks; the
``.ipynb`` beside them are generated and git-ignored. Checked here: which
files a report runs, how they become notebooks, that a failure names the
``.py`` with its line and cell, the copies the test suite generates, and, in
a fresh ``git clone`` of this repository, that generating the copies and then
saving them with outputs (as JupyterLab does) leaves ``git status`` clean.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jupytext
import nbformat
import pytest

from impactlib.intake.demo import write_demo
from impactlib.report.build import ReportError, run_report
from impactlib.report.sources import (notebook_sources, read_notebook, source_line,
                                      write_ipynb_copies)

from conftest import TEST_KEY

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["00_synthese", "01_qualite", "02_abandons", "03_questions", "04_dimensions",
             "05_echantillon", "06_collecte", "07_emploi"]
PARAMS = "study = None\nprocessed = None\nresults = None\nsince = None\nuntil = None\nlang = None"
# What an executed notebook holds and a source must not: an image, its base64
# (a PNG's first bytes, b64-encoded, begin "iVBORw0KGgo"), an output, a count.
OUTPUT_MARKS = ("image/png", "iVBORw0KGgo", "output_type", "execution_count")


def _percent(path: Path, cells: list[str]) -> None:
    """A percent-format notebook: a markdown note, the parameters, then code cells."""
    text = "# %% [markdown]\n# A note for evaluators.\n\n"
    text += '# %% tags=["parameters"]\n' + cells[0] + "\n"
    text += "".join(f"\n# %%\n{c}\n" for c in cells[1:])
    path.write_text(text, encoding="utf-8")


def _ipynb(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(cells[0], metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells[1:]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


# --- which files a report runs ----------------------------------------------------

def test_a_folder_runs_its_percent_py_else_its_ipynb(tmp_path):
    both = tmp_path / "both"
    both.mkdir()
    _percent(both / "b.py", [PARAMS])
    _percent(both / "a.py", [PARAMS])
    (both / "helper.py").write_text("x = 1\n", encoding="utf-8")     # a module, not a notebook
    _ipynb(both / "a.ipynb", [PARAMS])                                # a generated copy
    _ipynb(both / "c.ipynb", [PARAMS])                                # not run either
    assert [p.name for p in notebook_sources(both)] == ["a.py", "b.py"]
    plain = tmp_path / "plain"
    plain.mkdir()
    _ipynb(plain / "z.ipynb", [PARAMS])
    _ipynb(plain / "y.ipynb", [PARAMS])
    (plain / "helper.py").write_text("x = 1\n", encoding="utf-8")
    assert [p.name for p in notebook_sources(plain)] == ["y.ipynb", "z.ipynb"]
    assert notebook_sources(tmp_path / "plain" / "nothing-here") == []


def test_the_repository_notebooks_are_percent_py_with_one_parameters_cell():
    assert [p.stem for p in notebook_sources(ROOT / "notebooks")] == NOTEBOOKS
    config = tomllib.loads((ROOT / "notebooks" / "jupytext.toml").read_text(encoding="utf-8"))
    assert config["formats"] == "ipynb,py:percent"           # JupyterLab saves rewrite the .py
    for name in NOTEBOOKS:
        source = ROOT / "notebooks" / f"{name}.py"
        nb = read_notebook(source)
        tags = [c.metadata.get("tags", []) for c in nb.cells]
        assert sum("parameters" in t for t in tags) == 1, name
        assert "jupytext" not in nb.metadata and nb.metadata.kernelspec.name == "python3"
        assert [c.id for c in nb.cells] == [f"cell-{i}" for i in range(1, len(nb.cells) + 1)]
        assert [c.id for c in read_notebook(source).cells] == [c.id for c in nb.cells]
        assert not any(c.get("outputs") for c in nb.cells)
        lines = source.read_text(encoding="utf-8").splitlines()
        for number, cell in enumerate(nb.cells, start=1):
            start = source_line(source, number)
            assert lines[start - 1].startswith("# %%"), (name, number)
            # the cell's text follows its "# %%" line (markdown is commented out)
            first = cell.source.splitlines()[0]
            assert first in lines[start] or first == lines[start].removeprefix("# "), (name, number)


def test_source_line_counts_lines_by_hand(tmp_path):
    nb = tmp_path / "nb.py"
    _percent(nb, [PARAMS, "x = 1", "raise ValueError('boom')"])
    # line 1 "# %% [markdown]", 4 the parameters (6 lines: 5-10), 12 "x = 1", 15 the raise
    assert [source_line(nb, c) for c in (1, 2, 3, 4, 5)] == [1, 4, 12, 15, None]
    headless = tmp_path / "headless.py"
    headless.write_text("import os\n\n# %%\nx = 1\n", encoding="utf-8")   # no "# %%" first
    assert [source_line(headless, c) for c in (1, 2)] == [None, 3]
    assert source_line(tmp_path / "a.ipynb", 1) is None


# --- reports from .py notebooks -----------------------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 20-candidate demo study."""
    return write_demo(tmp_path_factory.mktemp("nb") / "demo", candidates=20)


def test_a_report_runs_the_py_not_the_ipynb_beside_it(small, tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACTLIB_KEY", TEST_KEY)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _percent(folder / "a_ok.py", [PARAMS, "print('from the py')"])
    _ipynb(folder / "a_ok.ipynb", [PARAMS, "print('from a stale copy')"])
    out = run_report(small, out=tmp_path / "report", processed=tmp_path / "p",
                     notebooks=folder, jobs=1)
    assert [p.name for p in (out / "notebooks").iterdir()] == ["a_ok.ipynb"]
    assert (out / "html" / "a_ok.html").exists()
    nb = nbformat.read(out / "notebooks" / "a_ok.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert printed == "from the py\n"
    assert nb.metadata.papermill.input_path == "a_ok.py"
    assert "jupytext" not in nb.metadata          # a part of the report, paired with nothing
    ids = [c.id for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    assert ids == ["cell-1", "cell-2", "cell-3"]


def test_a_failing_py_notebook_is_named_with_its_line_and_cell(small, tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACTLIB_KEY", TEST_KEY)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _percent(folder / "a_ok.py", [PARAMS, "x = 1"])
    _percent(folder / "b_broken.py", [PARAMS, "x = 1", "raise ValueError('boom')"])
    _ipynb(folder / "b_broken.ipynb", [PARAMS, "x = 1"])          # a copy that would pass
    out = tmp_path / "report"
    with pytest.raises(ReportError) as err:
        run_report(small, out=out, processed=tmp_path / "p", notebooks=folder, jobs=1)
    message = str(err.value)
    # cell 4 of b_broken.py (markdown, parameters, x = 1, raise) starts at line 15
    # (see test_source_line_counts_lines_by_hand)
    assert message.startswith(f"{folder / 'b_broken.py'}, line 15: notebook failed at cell 4 ")
    assert "ValueError: boom" in message and "\n" not in message
    failed = out.with_name("report-b_broken-failed.ipynb")
    assert str(failed) in message and "boom" in failed.read_text(encoding="utf-8")
    assert not out.exists()


# --- the .ipynb copies the test suite writes ---------------------------------------

def test_copies_are_written_when_missing_or_older_never_over_a_newer_one(tmp_path):
    source = tmp_path / "a.py"
    _percent(source, [PARAMS, "x = 1", "y = 2"])
    os.utime(source, (1_700_000_000, 1_700_000_000))
    copy = tmp_path / "a.ipynb"
    assert write_ipynb_copies(tmp_path) == [copy]
    assert copy.stat().st_mtime == source.stat().st_mtime       # never newer than its source
    nb = nbformat.read(copy, as_version=4)
    assert [c.source for c in nb.cells] == [c.source for c in jupytext.read(source).cells]
    assert write_ipynb_copies(tmp_path) == []                   # up to date: left alone

    # an evaluator ran it (outputs) and saved it: newer than the .py, left alone
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    nb.cells[2].execution_count = 1
    nbformat.write(nb, copy)
    os.utime(copy, (1_700_000_100, 1_700_000_100))
    saved = copy.read_bytes()
    assert write_ipynb_copies(tmp_path) == [] and copy.read_bytes() == saved

    # then the .py changed (git pull): its cells win, outputs of unchanged cells stay
    _percent(source, [PARAMS, "x = 1", "y = 3"])
    os.utime(source, (1_700_000_200, 1_700_000_200))
    assert write_ipynb_copies(tmp_path) == [copy]
    nb = nbformat.read(copy, as_version=4)
    assert nb.cells[2].source == "x = 1" and nb.cells[2].outputs[0].text == "ran\n"
    assert nb.cells[3].source == "y = 3" and nb.cells[3].outputs == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ipynb", "a.py"]   # no temp file


# --- in a fresh clone: outputs never show as a change to commit -----------------------

def _git_env() -> dict[str, str]:
    """This environment without git's own variables (a hook's GIT_DIR...)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def _git(*args, cwd: Path) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                         timeout=120, env=_git_env())
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"
    return out.stdout


def _status(clone: Path) -> list[str]:
    """``git status --porcelain`` with every untracked file listed."""
    return _git("status", "--porcelain", "--untracked-files=all", cwd=clone).splitlines()


@pytest.fixture
def clone(tmp_path) -> Path:
    """A fresh ``git clone`` of this repository (its last commit)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    top = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True, env=_git_env())
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != ROOT:
        pytest.skip("the tests do not run from a git checkout of impactlib")
    _git("clone", "--quiet", str(ROOT), str(tmp_path / "clone"), cwd=tmp_path)
    return tmp_path / "clone"


def test_git_tracks_the_py_sources_and_no_ipynb(clone):
    tracked = _git("ls-files", "notebooks", cwd=clone).split()
    assert not [t for t in tracked if t.endswith(".ipynb")]
    assert {f"notebooks/{n}.py" for n in NOTEBOOKS} | {"notebooks/jupytext.toml"} <= set(tracked)
    for name in NOTEBOOKS:
        ignored = subprocess.run(["git", "check-ignore", "-q", f"notebooks/{name}.ipynb"],
                                 cwd=clone, env=_git_env())
        assert ignored.returncode == 0, f"notebooks/{name}.ipynb is not git-ignored"
    for path in tracked:
        text = (clone / path).read_text(encoding="utf-8")
        assert not [m for m in OUTPUT_MARKS if m in text], path


@pytest.mark.parametrize("how", ["setup", "conftest"])
def test_generating_the_copies_leaves_git_clean(clone, how):
    """Setup's ``jupytext --sync`` and the test suite's copies add nothing to
    commit, and do not rewrite the tracked .py."""
    sources = sorted((clone / "notebooks").glob("*.py"))
    before = {p: p.read_bytes() for p in sources}
    if how == "setup":
        done = subprocess.run([sys.executable, "-m", "jupytext", "--sync",
                               *[p.relative_to(clone).as_posix() for p in sources]],
                              cwd=clone, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    else:
        write_ipynb_copies(clone / "notebooks")
    assert sorted(p.stem for p in (clone / "notebooks").glob("*.ipynb")) == NOTEBOOKS
    assert {p: p.read_bytes() for p in sources} == before
    assert _status(clone) == []


def _run_outputs(nb) -> None:
    """What running every cell in JupyterLab leaves in a notebook: counts,
    printed text, a figure (a real PNG), timings, the kernel's language."""
    import matplotlib

    matplotlib.use("Agg")
    from io import BytesIO

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([1, 2, 3])
    png = BytesIO()
    fig.savefig(png, format="png")
    plt.close(fig)
    image = base64.b64encode(png.getvalue()).decode("ascii")
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.9",
                                    "codemirror_mode": {"name": "ipython", "version": 3}}
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        cell.metadata["execution"] = {"iopub.execute_input": "2025-03-31T09:00:00.000Z",
                                      "shell.execute_reply": "2025-03-31T09:00:01.000Z"}
        cell.outputs = [
            nbformat.v4.new_output("stream", text="146 candidats\n"),
            nbformat.v4.new_output("display_data", data={"image/png": image,
                                                         "text/plain": "<Figure>"}),
        ]


def _save(clone: Path, path: str, nb, how: str) -> None:
    """Save ``nb`` at ``clone/path`` (an .ipynb of notebooks/) the way ``how`` does."""
    if how == "jupyterlab":
        # JupyterLab's server saves through jupytext's contents manager
        manager = pytest.importorskip("jupytext.async_contentsmanager",
                                      reason="jupyter_server is not installed")
        cm = manager.AsyncTextFileContentsManager(root_dir=str(clone))

        async def save():
            await cm.save({"type": "notebook", "format": "json", "content": nb}, path)
            await cm.create_checkpoint(path)

        asyncio.run(save())
    else:
        # the notebook written with its outputs, then paired from the command line
        nbformat.write(nb, clone / path)
        done = subprocess.run([sys.executable, "-m", "jupytext", "--sync", path], cwd=clone,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr


def _open(clone: Path, path: str, how: str):
    if how == "jupyterlab":
        manager = pytest.importorskip("jupytext.async_contentsmanager",
                                      reason="jupyter_server is not installed")
        cm = manager.AsyncTextFileContentsManager(root_dir=str(clone))
        return asyncio.run(cm.get(path))["content"]
    return nbformat.read(clone / path, as_version=4)


@pytest.mark.parametrize("how", ["jupyterlab", "jupytext-cli"])
def test_saving_an_executed_notebook_leaves_git_clean(clone, how):
    write_ipynb_copies(clone / "notebooks")            # what setup leaves
    path = "notebooks/00_synthese.ipynb"
    nb = _open(clone, path, how)
    _run_outputs(nb)
    _save(clone, path, nb, how)
    saved = (clone / path).read_text(encoding="utf-8")
    assert "iVBORw0KGgo" in saved and "146 candidats" in saved     # the outputs were saved
    assert _status(clone) == []                                    # and git sees nothing

    # the save does go through the pairing: an edited cell changes the .py,
    # and the .py alone, still without outputs
    nb = _open(clone, path, how)
    code = next(c for c in nb.cells if c.cell_type == "code" and "display(" in c.source)
    code.source += "\nprint('an evaluator was here')"
    _save(clone, path, nb, how)
    assert _status(clone) == [" M notebooks/00_synthese.py"]
    diff = _git("diff", "--", "notebooks/00_synthese.py", cwd=clone)
    added = [line for line in diff.splitlines()
             if line.startswith("+") and not line.startswith("+++")]
    assert added == ["+print('an evaluator was here')"]
    text = (clone / "notebooks" / "00_synthese.py").read_text(encoding="utf-8")
    assert not [m for m in OUTPUT_MARKS if m in text]
