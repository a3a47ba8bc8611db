"""`make test` runs the package's docstring examples, never the notebooks' .py files.

pytest's ``--doctest-modules`` imports every ``.py`` file it collects. The
notebooks' jupytext ``.py`` files must not be imported (that would run the
notebooks outside nbval), while nbval still collects the ``.ipynb`` files.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pytest_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["pytest"]["ini_options"]


def test_doctests_of_the_package_are_part_of_the_suite():
    config = _pytest_config()
    assert "impactlib" in config["testpaths"]
    assert "--doctest-modules" in shlex.split(config["addopts"])


def test_the_notebooks_py_files_are_ignored_from_any_folder():
    globs = [a.split("=", 1)[1] for a in shlex.split(_pytest_config()["addopts"])
             if a.startswith("--ignore-glob=")]
    sources = sorted((ROOT / "notebooks").glob("*.py"))
    assert sources
    # pytest makes a relative glob absolute from the current folder, then
    # matches it against the absolute path (fnmatch: '*' also matches '/')
    for cwd in (ROOT, ROOT / "notebooks", ROOT / "tests"):
        absolute = [os.path.abspath(os.path.join(cwd, g)) for g in globs]
        for path in sources:
            assert any(fnmatch.fnmatch(str(path), g) for g in absolute), (path, cwd)
    for path in [ROOT / "impactlib" / "report" / "narrative.py", ROOT / "tests" / "conftest.py"]:
        assert not any(fnmatch.fnmatch(str(path), os.path.abspath(g)) for g in globs), path


def test_pytest_collects_the_notebooks_and_the_docstring_examples():
    # collect only: nothing runs (the notebooks' .py files, if collected, would)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "notebooks", "impactlib/report/narrative.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    files = {line.split("::")[0] for line in out.stdout.splitlines() if "::" in line}
    notebooks = {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert files == notebooks | {"impactlib/report/narrative.py"}
