"""The two dependency files say the same thing; the notebooks pair with their .py."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\s\[]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # environment.yml is the whole environment: the dependencies and every extra
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    wanted = {_name(r): r for r in project["dependencies"] + extras}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(d): d for d in env["dependencies"] if isinstance(d, str)}
    conda.pop("python"), conda.pop("pip")
    assert set(conda) == set(wanted)
    for name, spec in wanted.items():   # same lower bounds too
        assert spec.replace(" ", "") == conda[name].replace(" ", ""), name


def test_required_packages_are_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # make setup installs the dependencies and the extras named on its install line
    extras = re.search(r"-e '\.\[([\w,]+)\]'", (ROOT / "Makefile").read_text()).group(1)
    names = {_name(r) for r in project["dependencies"] + [
        r for extra in extras.split(",") for r in project["optional-dependencies"][extra]]}
    assert {"jupyterlab", "pandas", "seaborn", "statsmodels", "pingouin", "papermill",
            "nbval"} <= names


def test_every_pinned_requirement_is_pinned():
    names = {_name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text(
        encoding="utf-8"))["project"]["dependencies"]}
    pins = {_name(line) for line in (ROOT / "constraints.txt").read_text().splitlines()
            if line and not line.startswith("#")}
    assert names <= pins


def test_notebooks_are_paired_and_have_no_outputs():
    import jupytext

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for ipynb in notebooks:
        nb = json.loads(ipynb.read_text(encoding="utf-8"))
        assert not any(c.get("outputs") for c in nb["cells"]), f"{ipynb.name} has outputs"
        paired = ipynb.with_suffix(".py")
        assert paired.exists(), f"{ipynb.name} has no jupytext .py"
        a = [c["source"] for c in jupytext.read(ipynb).cells]
        b = [c["source"] for c in jupytext.read(paired).cells]
        assert a == b, f"{ipynb.name} and {paired.name} differ: run make sync-notebooks"
        tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
        assert sum("parameters" in t for t in tags) == 1, f"{ipynb.name}: one parameters cell"
