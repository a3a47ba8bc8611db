"""The package's layers, checked from the source: who may import whom.

``impactlib/`` has three layers and a bottom and a top:

* bottom: ``errors``, ``frames``, ``config``, ``safe_csv`` (import nothing of the package but
  each other);
* ``intake``: raw exports to processed tables (may import the bottom);
* ``stats``: statistics on tidy frames (may import the bottom only: no file,
  no figure);
* ``report``: results, words, figures, HTML (may import everything below);
* top: ``cli``, ``__main__`` (may import everything).

No module imports a private name (``_something``) of another module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "impactlib"
BOTTOM = {"errors", "frames", "config", "safe_csv", "stable_xlsx"}
ALLOWED = {
    "bottom": {"bottom"},
    "intake": {"bottom", "intake"},
    "stats": {"bottom", "stats"},
    "report": {"bottom", "intake", "stats", "report"},
    "top": {"bottom", "intake", "stats", "report", "top"},
}


def _layer(module: str) -> str:
    """Layer of a dotted module name inside the package (``impactlib.x.y``)."""
    parts = module.split(".")[1:]
    if not parts or parts[0] in ("cli", "__main__", "__init__", "__version__"):
        return "top"
    if parts[0] in BOTTOM:
        return "bottom"
    return parts[0]


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        yield name, path


def _imports(name: str, path: Path):
    """(imported module, imported names) of every import of the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "impactlib" or target.startswith("impactlib."):
                yield target, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("impactlib"):
                    yield alias.name, []


def test_the_layers_are_folders():
    assert {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} >= {
        "intake", "stats", "report"}
    flat = {p.stem for p in PACKAGE.glob("*.py")}
    assert flat <= BOTTOM | {"cli", "__main__", "__init__"}, flat


@pytest.mark.parametrize("name,path", list(_modules()), ids=lambda v: str(v))
def test_imports_respect_the_layers(name, path):
    layer = _layer(name)
    for target, names in _imports(name, path):
        imported = [target + "." + n for n in names] if target in (
            "impactlib", "impactlib.intake", "impactlib.stats", "impactlib.report") else [target]
        for module in imported:
            assert _layer(module) in ALLOWED[layer], f"{name} ({layer}) imports {module}"


@pytest.mark.parametrize("name,path", list(_modules()), ids=lambda v: str(v))
def test_no_private_name_crosses_modules(name, path):
    for target, names in _imports(name, path):
        if target == name:
            continue
        private = [n for n in names if n.startswith("_") and n != "__version__"]
        assert not private, f"{name} imports private {private} from {target}"
