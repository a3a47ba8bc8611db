"""Paths and defaults, in one place.

Modelled on the ``config.py`` of cookiecutter-data-science v2 (a project root
and the folders under it, named once), with one difference: the project root
is found from the **study's location** (or an explicit setting), never from
the current folder, so every command and every notebook finds the same key,
processed tables and reports from wherever it is started, and nothing is
written into the current folder unless asked.

Project root
------------
1. The environment variable ``IMPACTLIB_PROJECT``, if set (and not empty), is
   the project root (a relative value is taken from the current folder, as
   any path typed by the user; the folder must exist).
2. Else, if the study file lies under ``<root>/data/raw/...``, ``<root>`` is the
   project root. The nearest ``data/raw`` above the study is used, looked for
   first on the path as given (made absolute, symbolic links kept, so a
   ``data/raw/x`` that links elsewhere still belongs to its project) and then
   on the resolved path.
3. Else the study is **standalone**: its own folder is the root of what is
   derived from it.

Derived paths
-------------
=====================  ===========================================  =========================================
                       in a project (``<root>``)                    standalone study (folder ``<study>/``)
=====================  ===========================================  =========================================
pseudonymization key   ``<root>/data/.pseudonym-key``               ``<study>/.pseudonym-key``
processed tables       ``<root>/data/processed/<name>/``            ``<study>/processed/``
report of a period     ``<root>/reports/<name>-<until>/``           ``<study>/reports/<name>-<until>/``
=====================  ===========================================  =========================================

``<name>`` is the study folder's name (:func:`study_name`). The key is, in
this order: the text of ``IMPACTLIB_KEY``; the file named by
``IMPACTLIB_KEY_FILE``; the derived key file above (created with 32 random
bytes on first use, readable by its owner only where the system supports it).
Every ``.pseudonym-key`` is git-ignored wherever it lies.

Package files
-------------
The templates and locales live in the package (``impactlib/report/``). The
report notebooks have one source, the repository's ``notebooks/`` (the ones
evaluators open in JupyterLab); building a wheel maps that folder into the
package as ``impactlib/report/notebooks/`` (``pyproject.toml``,
``[tool.setuptools] package-dir``). :func:`notebooks_dir` returns that packaged
copy when it exists (a normal install) and otherwise the checkout's
``notebooks/`` (an editable install, or running from the source tree).
:func:`checkout_dir` is the repository only when the package runs from one;
the manifest's commit is read there, never from an unrelated repository.

Examples
--------
>>> paths = study_paths("/srv/impact/data/raw/spring/study.yml", env={})
>>> paths.standalone, paths.root.name
(False, 'impact')
>>> paths.processed.relative_to(paths.root).as_posix()
'data/processed/spring'
>>> alone = study_paths("/home/ana/spring/study.yml", env={})
>>> alone.standalone, alone.root.name, alone.key_file.relative_to(alone.root).as_posix()
(True, 'spring', '.pseudonym-key')
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from impactlib.errors import StudyError

__all__ = [
    "ENV_PROJECT", "ENV_KEY", "ENV_KEY_FILE", "KEY_FILE_NAME", "STUDY_FILE",
    "DATA_DIR", "RAW_DATA_DIR", "PROCESSED_DATA_DIR", "REPORTS_DIR",
    "PACKAGE_DIR", "TEMPLATES_DIR", "LOCALES_DIR", "PACKAGED_NOTEBOOKS_DIR",
    "StudyPaths", "study_file", "study_name", "project_root", "study_paths",
    "key_file", "processed_dir", "report_dir", "notebooks_dir", "checkout_dir",
    "git_commit", "shareable_path",
]

# Environment variables.
ENV_PROJECT = "IMPACTLIB_PROJECT"
ENV_KEY = "IMPACTLIB_KEY"
ENV_KEY_FILE = "IMPACTLIB_KEY_FILE"

# Names, relative to a project root (cookiecutter-data-science layout).
KEY_FILE_NAME = ".pseudonym-key"
STUDY_FILE = "study.yml"
DATA_DIR = Path("data")
RAW_DATA_DIR = DATA_DIR / "raw"
PROCESSED_DATA_DIR = DATA_DIR / "processed"
REPORTS_DIR = Path("reports")

# Files of the package itself.
PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "report" / "templates"
LOCALES_DIR = PACKAGE_DIR / "report" / "locales"
PACKAGED_NOTEBOOKS_DIR = PACKAGE_DIR / "report" / "notebooks"


@dataclass(frozen=True)
class StudyPaths:
    """Where everything derived from one study goes.

    Attributes
    ----------
    study : Path
        The ``study.yml`` file, absolute.
    root : Path
        The project root, or the study's folder for a standalone study.
    standalone : bool
        True when the study is not under a project's ``data/raw/``.
    name : str
        The study's short name (:func:`study_name`).
    key_file : Path
        The derived pseudonymization key file (used when neither
        ``IMPACTLIB_KEY`` nor ``IMPACTLIB_KEY_FILE`` is set).
    processed : Path
        The default folder of the processed tables (internal).
    reports : Path
        The folder that holds the reports (one sub-folder per period).
    """

    study: Path
    root: Path
    standalone: bool
    name: str
    key_file: Path
    processed: Path
    reports: Path

    def report(self, until: str) -> Path:
        """The default folder of a report: ``<reports>/<name>-<until>/``."""
        return self.reports / f"{self.name}-{until}"


def study_file(study) -> Path:
    """The ``study.yml`` of a study, as an absolute path (symbolic links kept).

    Parameters
    ----------
    study : Study, str or Path
        A :class:`impactlib.intake.study.Study` (anything with a ``path``), a
        ``study.yml`` file, or a folder holding one.
    """
    path = Path(getattr(study, "path", study))
    if path.is_dir():
        path = path / STUDY_FILE
    return Path(os.path.abspath(path))


def study_name(folder: str | Path) -> str:
    """A short name for folders: the study folder's name, made safe.

    Examples
    --------
    >>> study_name("/data/raw/Printemps 2025")
    'Printemps-2025'
    """
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(folder).resolve().name).strip("-") or "study"


def _project_above(path: Path) -> Path | None:
    """The ``<root>`` of the nearest ``<root>/data/raw`` above ``path``."""
    for parent in path.parents:
        if parent.name == RAW_DATA_DIR.name and parent.parent.name == DATA_DIR.name:
            return parent.parent.parent
    return None


def project_root(study, env: Mapping[str, str] | None = None) -> tuple[Path, bool]:
    """The root of the study's project, and whether the study is standalone.

    Parameters
    ----------
    study : Study, str or Path
        The study (see :func:`study_file`).
    env : mapping, optional
        The environment (default ``os.environ``).

    Returns
    -------
    root : Path
        ``IMPACTLIB_PROJECT``, else the ``<root>`` of ``<root>/data/raw/...``
        above the study, else the study's own folder.
    standalone : bool
        True in the last case.

    Raises
    ------
    StudyError
        ``IMPACTLIB_PROJECT`` names a folder that does not exist.
    """
    env = os.environ if env is None else env
    explicit = env.get(ENV_PROJECT)
    if explicit:
        root = Path(os.path.abspath(explicit))
        if not root.is_dir():
            raise StudyError(f"{ENV_PROJECT} names a folder that does not exist", root)
        return root, False
    path = study_file(study)
    for candidate in (path, path.resolve()):
        root = _project_above(candidate)
        if root is not None:
            return root, False
    return path.parent, True


def study_paths(study, env: Mapping[str, str] | None = None) -> StudyPaths:
    """Every path derived from a study (see the module's table).

    Parameters
    ----------
    study : Study, str or Path
        The study (see :func:`study_file`).
    env : mapping, optional
        The environment (default ``os.environ``).
    """
    path = study_file(study)
    root, standalone = project_root(path, env)
    name = study_name(path.parent)
    if standalone:
        return StudyPaths(study=path, root=root, standalone=True, name=name,
                          key_file=root / KEY_FILE_NAME, processed=root / "processed",
                          reports=root / REPORTS_DIR)
    return StudyPaths(study=path, root=root, standalone=False, name=name,
                      key_file=root / DATA_DIR / KEY_FILE_NAME,
                      processed=root / PROCESSED_DATA_DIR / name, reports=root / REPORTS_DIR)


def key_file(study) -> Path:
    """The derived pseudonymization key file of a study."""
    return study_paths(study).key_file


def processed_dir(study) -> Path:
    """The default folder of a study's processed tables."""
    return study_paths(study).processed


def report_dir(study, until: str) -> Path:
    """The default folder of a study's report up to ``until`` (a date or ``all``)."""
    return study_paths(study).report(until)


def checkout_dir() -> Path | None:
    """The repository the package runs from, or None when it is installed.

    The package runs from a checkout when its parent folder holds the
    project's ``pyproject.toml`` and ``notebooks/`` (a source tree or an
    editable install); an installed copy lives in ``site-packages`` and has
    neither beside it.
    """
    parent = PACKAGE_DIR.parent
    pyproject = parent / "pyproject.toml"
    try:
        declares = re.search(r'(?m)^name\s*=\s*"impactlib"', pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return parent if declares and (parent / "notebooks").is_dir() else None


def notebooks_dir() -> Path:
    """The report notebooks: the packaged copy, else the checkout's ``notebooks/``.

    Both hold each notebook's source, a jupytext ``.py`` (see
    :mod:`impactlib.report.sources`); a checkout also has the ``.ipynb`` copies
    generated for JupyterLab, which a report does not run.

    Raises
    ------
    StudyError
        Neither exists (a broken installation).
    """
    if any(PACKAGED_NOTEBOOKS_DIR.glob("*.py")):
        return PACKAGED_NOTEBOOKS_DIR
    checkout = checkout_dir()
    if checkout is not None:
        return checkout / "notebooks"
    raise StudyError("the report notebooks are not installed (reinstall impactlib)",
                     PACKAGED_NOTEBOOKS_DIR)


def git_commit() -> str:
    """The commit of the checkout the package runs from, else ``"unknown"``.

    Only the checkout itself is asked (its top level must be
    :func:`checkout_dir`), so an installed package inside some other
    repository never reports that repository's commit.
    """
    checkout = checkout_dir()
    if checkout is None:
        return "unknown"
    try:
        out = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--show-toplevel", "HEAD"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    lines = out.stdout.split()
    if out.returncode != 0 or len(lines) != 2:
        return "unknown"
    try:
        same = Path(lines[0]).resolve() == checkout.resolve()
    except OSError:
        return "unknown"
    return lines[1] if same else "unknown"


def shareable_path(path: str | Path, base: str | Path, within: str | Path | None = None) -> str:
    """How a path is written into shareable outputs: relative to ``base``, in ``/`` form.

    A path outside ``within`` (the project root, say), or with no relative
    path from ``base`` at all (another Windows drive), is written
    ``<elsewhere>/<its last name>``: a relative path climbing to the top of the
    disk would spell this machine's folders out again.

    Parameters
    ----------
    path, base : str or Path
        The path written, and the folder it is written relative to.
    within : str or Path, optional
        Only paths inside this folder are written relative to ``base``.

    Examples
    --------
    >>> shareable_path("/p/data/processed/demo", "/p/data/raw/demo", within="/p")
    '../../processed/demo'
    >>> shareable_path("/tmp/run/processed", "/p/data/raw/demo", within="/p")
    '<elsewhere>/processed'
    """
    path = Path(os.path.abspath(path))
    elsewhere = f"<elsewhere>/{path.name}"
    if within is not None and not path.is_relative_to(os.path.abspath(within)):
        return elsewhere
    try:
        rel = os.path.relpath(path, os.path.abspath(base))
    except ValueError:
        return elsewhere
    return Path(rel).as_posix()
