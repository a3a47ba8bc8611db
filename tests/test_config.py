"""Paths from the study's location, never from the current folder (impactlib.config).

Project root: ``IMPACTLIB_PROJECT``, else ``<root>`` of ``<root>/data/raw/...``
above the study, else the study's own folder (standalone). The key, the
processed tables and the reports follow; the notebooks and the command line
find them the same way from any folder and write nothing into it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from impactlib import config
from impactlib.errors import StudyError
from impactlib.intake.demo import write_demo
from impactlib.intake.pseudonym import load_key
from impactlib.intake.study import load_study

ROOT = Path(__file__).resolve().parents[1]
KEY_VARS = (config.ENV_KEY, config.ENV_KEY_FILE, config.ENV_PROJECT)


def _study(folder: Path) -> Path:
    """A study.yml (content irrelevant to path rules) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yml").write_text("title: x\n", encoding="utf-8")
    return folder / "study.yml"


def _no_key_env(monkeypatch):
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)


# --- the project root and the derived paths -------------------------------------------

def test_study_under_data_raw_belongs_to_its_project(tmp_path):
    study = _study(tmp_path / "proj" / "data" / "raw" / "spring")
    paths = config.study_paths(study, env={})
    proj = tmp_path / "proj"
    assert (paths.root, paths.standalone, paths.name) == (proj, False, "spring")
    assert paths.key_file == proj / "data" / ".pseudonym-key"
    assert paths.processed == proj / "data" / "processed" / "spring"
    assert paths.report("2025-06-30") == proj / "reports" / "spring-2025-06-30"


def test_nearest_data_raw_above_a_nested_study(tmp_path):
    study = _study(tmp_path / "proj" / "data" / "raw" / "2025" / "spring")
    paths = config.study_paths(study.parent, env={})            # the folder works too
    assert paths.root == tmp_path / "proj" and paths.name == "spring"
    assert paths.processed == tmp_path / "proj" / "data" / "processed" / "spring"


def test_standalone_study_keeps_everything_beside_it(tmp_path):
    study = _study(tmp_path / "exports" / "spring")
    paths = config.study_paths(study, env={})
    folder = study.parent
    assert (paths.root, paths.standalone) == (folder, True)
    assert paths.key_file == folder / ".pseudonym-key"
    assert paths.processed == folder / "processed"
    assert paths.report("all") == folder / "reports" / "spring-all"


def test_impactlib_project_wins(tmp_path):
    study = _study(tmp_path / "proj" / "data" / "raw" / "spring")
    other = tmp_path / "other"
    other.mkdir()
    paths = config.study_paths(study, env={config.ENV_PROJECT: str(other)})
    assert (paths.root, paths.standalone) == (other, False)
    assert paths.processed == other / "data" / "processed" / "spring"
    with pytest.raises(StudyError, match="IMPACTLIB_PROJECT names a folder that does not exist"):
        config.study_paths(study, env={config.ENV_PROJECT: str(tmp_path / "absent")})


def test_the_current_folder_plays_no_part(tmp_path, monkeypatch):
    study = _study(tmp_path / "proj" / "data" / "raw" / "spring")
    expected = config.study_paths(study, env={})
    for cwd in (tmp_path, study.parent, tmp_path / "proj"):
        monkeypatch.chdir(cwd)
        relative = os.path.relpath(study, cwd)
        assert config.study_paths(relative, env={}) == expected
        assert config.study_paths(_with_path(relative), env={}) == expected


class _with_path:
    """Anything with a ``path`` (a Study) is accepted."""

    def __init__(self, path):
        self.path = Path(path)


def test_a_linked_study_folder_stays_in_its_project(tmp_path):
    real = _study(tmp_path / "elsewhere" / "spring").parent
    (tmp_path / "proj" / "data" / "raw").mkdir(parents=True)
    link = tmp_path / "proj" / "data" / "raw" / "spring"
    try:
        link.symlink_to(real, target_is_directory=True)
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available here")
    assert config.study_paths(link / "study.yml", env={}).root == tmp_path / "proj"


def test_shareable_path():
    base, root = "/p/data/raw/demo", "/p"
    assert config.shareable_path("/p/data/raw/demo/study.yml", base, root) == "study.yml"
    assert config.shareable_path("/p/reports/demo-x", base, root) == "../../../reports/demo-x"
    assert config.shareable_path("/tmp/out", base, root) == "<elsewhere>/out"


# --- the key ----------------------------------------------------------------------------

def test_key_precedence(tmp_path, monkeypatch):
    _no_key_env(monkeypatch)
    study = _study(tmp_path / "proj" / "data" / "raw" / "spring")
    derived = load_key(study)
    assert (tmp_path / "proj" / "data" / ".pseudonym-key").read_bytes().strip() == derived
    assert load_key(root=tmp_path / "proj") == derived
    named = tmp_path / "named-key"
    named.write_text("from-a-file\n", encoding="utf-8")
    monkeypatch.setenv(config.ENV_KEY_FILE, str(named))
    assert load_key(study) == b"from-a-file"
    monkeypatch.setenv(config.ENV_KEY, "from-the-environment")
    assert load_key(study) == b"from-the-environment"


def test_standalone_key_beside_the_study(tmp_path, monkeypatch):
    _no_key_env(monkeypatch)
    study = _study(tmp_path / "spring")
    key = load_key(study)
    assert (tmp_path / "spring" / ".pseudonym-key").read_bytes().strip() == key
    assert [p.name for p in tmp_path.rglob(".pseudonym-key")] == [".pseudonym-key"]


def test_key_errors_are_one_line(tmp_path, monkeypatch):
    _no_key_env(monkeypatch)
    with pytest.raises(StudyError, match="no pseudonymization key"):
        load_key()
    blocker = tmp_path / "data"
    blocker.write_text("a file where the key's folder should be", encoding="utf-8")
    with pytest.raises(StudyError, match="cannot read or create the pseudonymization key"):
        load_key(root=tmp_path)
    empty = tmp_path / "empty-key"
    empty.write_bytes(b"")
    monkeypatch.setenv(config.ENV_KEY_FILE, str(empty))
    with pytest.raises(StudyError, match="key file is empty"):
        load_key(root=tmp_path)


# --- the package's own files --------------------------------------------------------

def test_notebooks_and_commit_from_the_checkout():
    assert config.checkout_dir() == ROOT
    assert config.notebooks_dir() == ROOT / "notebooks"
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", config.git_commit())
    assert (config.TEMPLATES_DIR / "board" / "index.html.j2").exists()
    assert (config.LOCALES_DIR / "fr").is_dir()


def test_packaged_notebooks_win_and_no_foreign_commit(tmp_path, monkeypatch):
    packaged = tmp_path / "site" / "impactlib" / "report" / "notebooks"
    packaged.mkdir(parents=True)
    (packaged / "a.py").write_text("# %%\nx = 1\n", encoding="utf-8")    # a wheel's notebook
    monkeypatch.setattr(config, "PACKAGED_NOTEBOOKS_DIR", packaged)
    assert config.notebooks_dir() == packaged
    # installed inside some other repository: neither its notebooks nor its commit
    outer = tmp_path / "outer"
    (outer / "lib" / "impactlib").mkdir(parents=True)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(outer)], check=True)
    monkeypatch.setattr(config, "PACKAGE_DIR", outer / "lib" / "impactlib")
    assert config.checkout_dir() is None and config.git_commit() == "unknown"
    # a checkout (pyproject + notebooks/) nested in that repository: not its commit
    (outer / "lib" / "pyproject.toml").write_text('[project]\nname = "impactlib"\n')
    (outer / "lib" / "notebooks").mkdir()
    assert config.checkout_dir() == outer / "lib"
    assert config.git_commit() == "unknown"


# --- notebooks and commands from any folder ---------------------------------------

def test_open_report_derives_or_keeps_in_memory(make_study, tmp_path, monkeypatch):
    from impactlib.report.notebook import open_report

    study = make_study({"T1": "id;A1;A2;B1;B2\nX;1;2;3;4\nY;2;2;3;3\n"})
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    before = set(tmp_path.iterdir())
    open_report(study, False)
    assert set(tmp_path.iterdir()) == before                   # in memory: nothing written
    view = open_report(os.path.relpath(study), None)
    assert (tmp_path / "processed" / "responses.parquet").exists()   # beside the study
    assert len(view.data.candidates) == 2 and list(cwd.iterdir()) == []


def _pseudonyms(folder: Path) -> list[str]:
    return sorted(pd.read_csv(folder / "pseudonyms.csv")["candidate"])


@pytest.fixture
def project(tmp_path):
    """A small project: ``<tmp>/proj/data/raw/demo/``, 20 candidates (the
    smallest sizes run fastest: Little's test converges in a few steps)."""
    write_demo(tmp_path / "proj" / "data" / "raw" / "demo", candidates=20)
    return tmp_path / "proj"


def test_notebook_finds_the_same_key_from_any_folder(project, tmp_path, monkeypatch):
    """papermill with the kernel in the project's notebooks/, then in another folder."""
    import papermill as pm

    from impactlib.report.sources import read_notebook

    _no_key_env(monkeypatch)                  # the kernels inherit os.environ
    study = project / "data" / "raw" / "demo" / "study.yml"
    processed = project / "data" / "processed" / "demo"
    in_notebooks, elsewhere, out = project / "notebooks", tmp_path / "elsewhere", tmp_path / "out"
    for folder in (in_notebooks, elsewhere, out):
        folder.mkdir()
    source = read_notebook(ROOT / "notebooks" / "01_qualite.py")    # papermill takes the node

    # the notebook's own defaults: study "../data/raw/demo/study.yml", processed None
    pm.execute_notebook(source, str(out / "a.ipynb"), kernel_name="python3",
                        progress_bar=False, cwd=str(in_notebooks))
    first = _pseudonyms(processed)
    key = (project / "data" / ".pseudonym-key").read_bytes()
    shutil.rmtree(processed)                  # cleaned again, with the key found again
    pm.execute_notebook(source, str(out / "b.ipynb"), parameters={"study": str(study)},
                        kernel_name="python3", progress_bar=False, cwd=str(elsewhere))

    assert _pseudonyms(processed) == first and len(first) == 20
    assert [p for p in tmp_path.rglob(".pseudonym-key")] == [project / "data" / ".pseudonym-key"]
    assert (project / "data" / ".pseudonym-key").read_bytes() == key
    assert list(in_notebooks.iterdir()) == [] and list(elsewhere.iterdir()) == []


def _run(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "impactlib", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=900,
                          env={**os.environ, **(env or {})})


def _strip_images(text: str) -> str:
    """Text without base64 blobs (whose letters could spell anything)."""
    return re.sub(r"[A-Za-z0-9+/=]{200,}", "", text)


def _machine_strings(*folders: Path) -> list[str]:
    """Absolute paths of this machine that a shared file must not hold."""
    found = set()
    for folder in (*folders, Path(sys.prefix), Path(sys.base_prefix), Path.home()):
        for spelling in (str(folder), folder.as_posix(), str(folder.resolve())):
            if Path(spelling).parent != Path(spelling):
                found.add(spelling)
    user = Path.home().name
    if user:
        found |= {f"/{user}/", f"\\{user}\\"}
    return sorted(found)


def assert_no_machine_path(report: Path, *folders: Path) -> None:
    """No absolute folder (study, processed, report, Python, home, user) in a
    report's manifest, executed notebooks, pages or results."""
    files = [report / "manifest.json", *report.glob("notebooks/*.ipynb"),
             *report.glob("html/*.html"), *report.glob("results/*.csv")]
    assert len(files) > 20
    needles = _machine_strings(*folders)
    for path in files:
        text = _strip_images(path.read_text(encoding="utf-8", errors="replace"))
        text = text.replace("\\\\", "\\")          # JSON escapes Windows separators
        leaks = [n for n in needles if n in text]
        assert not leaks, f"{path.relative_to(report)} holds {leaks}"


def test_commands_from_an_unrelated_folder_write_nothing_there(project, tmp_path):
    """clean and report with defaults, run from elsewhere: everything goes to the
    project, nothing into the current folder, no path of this machine shared."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    study = project / "data" / "raw" / "demo" / "study.yml"
    no_key = {name: "" for name in KEY_VARS}           # empty = not set
    cleaned = _run("clean", study, cwd=cwd, env=no_key)
    assert cleaned.returncode == 0, cleaned.stderr
    processed = project / "data" / "processed" / "demo"
    assert cleaned.stdout.strip() == str(processed)
    first = _pseudonyms(processed)

    reported = _run("-q", "report", study, "--jobs", "2", cwd=cwd, env=no_key)
    assert reported.returncode == 0, reported.stderr
    index = Path(reported.stdout.strip())
    report = index.parent.parent
    assert index.exists() and report.parent == project / "reports"
    assert report.name.startswith("demo-")
    assert list(cwd.iterdir()) == []
    assert _pseudonyms(processed) == first
    assert [p for p in tmp_path.rglob(".pseudonym-key")] == [project / "data" / ".pseudonym-key"]
    assert_no_machine_path(report, study.parent, processed, report, project, tmp_path)

    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["study"] == "study.yml"
    assert manifest["parameters"]["processed"] == "../../processed/demo"
    assert manifest["parameters"]["out"] == f"../../../reports/{report.name}"


def test_clean_of_a_standalone_study_writes_beside_it(tmp_path):
    study = write_demo(tmp_path / "spring", candidates=12)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = _run("clean", study, cwd=cwd, env={name: "" for name in KEY_VARS})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "spring" / "processed" / "responses.parquet").exists()
    assert (tmp_path / "spring" / ".pseudonym-key").exists()
    assert list(cwd.iterdir()) == []


def test_an_unwritable_output_is_one_line(tmp_path):
    study = write_demo(tmp_path / "spring", candidates=12)
    (tmp_path / "blocker").write_text("a file", encoding="utf-8")
    result = _run("-q", "clean", study, "--out", tmp_path / "blocker" / "processed",
                  cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("impactlib: error:")]
    assert len(errors) == 1 and "blocker" in errors[0], result.stderr
