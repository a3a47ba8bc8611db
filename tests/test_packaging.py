"""The two dependency files say the same thing; a wheel installed outside the
repository carries the notebooks' .py sources (no .ipynb) and produces a report."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\s\[]", requirement.strip(), maxsplit=1)[0].lower()


# pip name -> conda-forge name, where they differ. Checked on anaconda.org
# (November 2026): the Python package of Playwright is conda-forge's
# "playwright-python" (https://anaconda.org/conda-forge/playwright-python);
# "playwright" is the name in Microsoft's own channel
# (https://anaconda.org/Microsoft/playwright), not on conda-forge. Every other
# package of pyproject.toml has its pip name on conda-forge (pyyaml, pytest,
# pandera, pyreadstat, nbval, papermill, pingouin... each has its page there).
CONDA_FORGE_NAME = {"playwright": "playwright-python"}
NOT_ON_CONDA_FORGE = {"playwright"}


def _tasks():
    """tasks.py, the task runner at the repository root, as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("impactlib_tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pins() -> dict[str, str]:
    """constraints.txt as {normalized name: version}."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name).replace("_", "-")] = version.strip()
    return pins


def _conda_dependencies() -> dict[str, str]:
    """environment.yml's conda packages as {name: spec after the name}."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    found = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name = _name(dep)
            found[name] = dep.strip()[len(name):].strip()
    return found


def test_environment_yml_has_every_package_of_pyproject_by_its_conda_forge_name():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # environment.yml is the whole environment: the dependencies and every extra
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    wanted = {CONDA_FORGE_NAME.get(_name(r), _name(r)) for r in project["dependencies"] + extras}
    conda = _conda_dependencies()
    assert conda.pop("python") == "=3.11" and conda.pop("pip") == ""
    assert not set(conda) & NOT_ON_CONDA_FORGE, "not a conda-forge package name"
    assert set(conda) == wanted


def test_environment_yml_pins_what_constraints_txt_pins():
    """Each conda package is pinned to constraints.txt's version of its pip
    package (``pandas==3.1.1`` there, ``pandas=3.1.1`` here), and that version
    satisfies pyproject.toml's lower bound."""
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    pip_name = {v: k for k, v in CONDA_FORGE_NAME.items()}
    pins = _pins()
    specs = {}
    for r in project["dependencies"] + extras:
        req = Requirement(r)
        specs.setdefault(_name(req.name), req.specifier)
    conda = _conda_dependencies()
    conda.pop("python"), conda.pop("pip")
    for name, spec in conda.items():
        pip = pip_name.get(name, name)
        assert spec.startswith("=") and not spec.startswith("=="), f"{name}: pin with one '='"
        version = spec[1:]
        assert version == pins[pip], f"{name}={version} but constraints.txt has {pip}=={pins[pip]}"
        assert specs[pip].contains(version), f"{name}={version} is outside pyproject's {specs[pip]}"


def test_required_packages_are_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # setup (tasks.py) installs the dependencies and the extras named in EXTRAS
    extras = _tasks().EXTRAS
    names = {_name(r) for r in project["dependencies"] + [
        r for extra in extras.split(",") for r in project["optional-dependencies"][extra]]}
    assert {"jupyterlab", "pandas", "seaborn", "statsmodels", "pingouin", "papermill",
            "nbval"} <= names
    assert set(extras.split(",")) == set(project["optional-dependencies"])


def test_every_pinned_requirement_is_pinned():
    names = {_name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text(
        encoding="utf-8"))["project"]["dependencies"]}
    pins = {_name(line) for line in (ROOT / "constraints.txt").read_text().splitlines()
            if line and not line.startswith("#")}
    assert names <= pins


def test_every_package_is_listed_for_the_wheel():
    """pyproject lists the packages (the notebooks' mapping needs an explicit
    list): every folder of impactlib/ with an __init__.py is in it."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "impactlib").rglob("__init__.py")}
    assert on_disk | {"impactlib.report.notebooks"} == set(setuptools["packages"])
    assert setuptools["package-dir"] == {"impactlib.report.notebooks": "notebooks"}


@pytest.mark.slow
def test_installed_wheel_reports_from_any_folder(tmp_path):
    """Slow (a wheel built, a demo study reported: about a minute): a real wheel,
    not the editable install, carries the notebooks, templates and locales, and
    ``impactlib demo`` then ``report`` work from a folder outside the repository,
    writing nothing into it nor into the repository.

    The wheel is built from a copy of the sources (building writes ``build/``
    and ``*.egg-info`` beside them) and installed with ``--target`` into a
    folder put first on ``PYTHONPATH``: the dependencies come from this
    environment, and the editable install's finder (appended to
    ``sys.meta_path``, so consulted after ``PYTHONPATH``) is checked not to
    win. Building needs setuptools from the package index or pip's cache.
    """
    from impactlib.report.sources import write_ipynb_copies

    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
    for name in ("impactlib", "notebooks"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    write_ipynb_copies(src / "notebooks")      # as in a checkout set up for JupyterLab
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                            "--disable-pip-version-check", "-w", str(wheels), str(src)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(wheels.glob("impactlib-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    # the notebooks' .py sources, and none of the generated .ipynb (which
    # could hold outputs of a real study) although the sources' folder has them
    sources = sorted((src / "notebooks").glob("*.py"))
    assert len(sources) >= 6 and any((src / "notebooks").glob("*.ipynb"))
    for nb in sources:
        assert f"impactlib/report/notebooks/{nb.name}" in names
    assert not [n for n in names if n.endswith(".ipynb")]
    data = {p.relative_to(ROOT).as_posix() for p in (ROOT / "impactlib").rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert "impactlib/report/templates/board/index.html.j2" in data
    assert data <= names, f"missing from the wheel: {sorted(data - names)}"   # locales, templates

    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                                "--disable-pip-version-check", "--no-compile",
                                "--target", str(site), str(wheel)],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-2000:]

    cwd = tmp_path / "anywhere"
    cwd.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "IMPACTLIB_KEY": "test-key-not-secret"}
    env.pop("IMPACTLIB_PROJECT", None)

    def run(*args):
        return subprocess.run([sys.executable, *map(str, args)], capture_output=True,
                              text=True, cwd=cwd, env=env, timeout=900)

    where = run("-c", "import impactlib.config as c; print(c.PACKAGE_DIR); "
                      "print(c.notebooks_dir()); print(c.checkout_dir()); print(c.git_commit())")
    assert where.returncode == 0, where.stderr
    package, notebooks, checkout, commit = where.stdout.split("\n")[:4]
    assert Path(package) == site / "impactlib"
    assert Path(notebooks) == site / "impactlib" / "report" / "notebooks"
    assert (checkout, commit) == ("None", "unknown")

    watched = [ROOT / name for name in ("notebooks", "data", "reports")]
    before = {p: sorted(q.name for q in p.iterdir()) for p in watched if p.is_dir()}
    study = tmp_path / "study"
    demo = run("-m", "impactlib", "demo", study, "--candidates", "20")
    assert demo.returncode == 0, demo.stderr
    report = run("-m", "impactlib", "-q", "report", study / "study.yml", "--jobs", "2")
    assert report.returncode == 0, report.stderr
    index = Path(report.stdout.strip())
    assert index.exists() and index.is_relative_to(study / "reports")    # standalone study
    assert (study / "processed" / "responses.parquet").exists()
    manifest = json.loads((index.parent.parent / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["commit"] == "unknown"
    assert list(cwd.iterdir()) == []
    assert {p: sorted(q.name for q in p.iterdir()) for p in before} == before
