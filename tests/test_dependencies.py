"""The library's dependencies are what it imports; the rest is in the extras.

``[project] dependencies`` of pyproject.toml must cover every package that
``impactlib/`` imports (directly, or as a requirement of one of them, such as
IPython for ipykernel); the evaluators' and the tests' packages (JupyterLab,
seaborn, pingouin, nbval...) are extras, which ``make setup`` installs too.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\s\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _imported_distributions() -> dict[str, str]:
    """Distribution of every third-party module imported anywhere in impactlib/."""
    tops = set()
    for path in (ROOT / "impactlib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops.add(node.module.split(".")[0])
    owners = metadata.packages_distributions()
    third = {t for t in tops if t not in sys.stdlib_module_names and t != "impactlib"}
    return {t: _name(owners[t][0]) for t in third}


def _with_requirements(names: set[str]) -> set[str]:
    """The distributions and, recursively, what they require (extras' requirements left out)."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [_name(r) for r in requires if "extra ==" not in r]
    return seen


def test_every_imported_package_comes_with_the_core_dependencies():
    core = {_name(r) for r in _project()["dependencies"]}
    reachable = _with_requirements(core)
    missing = {module: dist for module, dist in _imported_distributions().items()
               if dist not in reachable}
    assert not missing, f"imported by impactlib but not a dependency: {missing}"


def test_the_extras_hold_what_the_library_never_imports():
    project = _project()
    core = {_name(r) for r in project["dependencies"]}
    extras = {_name(r) for group in project["optional-dependencies"].values() for r in group}
    assert not core & extras
    assert {"jupyterlab", "seaborn", "pingouin", "nbval"} <= extras
    assert "jupytext" in core       # the report reads the notebooks' .py sources with it
    assert not extras & set(_imported_distributions().values())
