"""tasks.py, the one task runner (the Makefile and the README's Windows commands
both go through it): its plan with no make and no shell utilities on PATH, from
another folder; Windows paths; the reinstall stamp; one line and the exit code
when a step fails; Ctrl-C; and a Makefile that only delegates.

Nothing is installed: the plans are dry runs, and the failing or interrupted
steps are a stand-in ``impactlib`` package in a fake checkout.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_tasks():
    spec = importlib.util.spec_from_file_location("impactlib_tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tasks = _load_tasks()


def _checkout(tmp_path: Path, notebooks=("00_a.py",)) -> Path:
    """A fake checkout: tasks.py and the files its plans look at, nothing else."""
    root = tmp_path / "checkout"
    root.mkdir()
    shutil.copy2(ROOT / "tasks.py", root / "tasks.py")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (root / "constraints.txt").write_text("pandas==3.1.1\n", encoding="utf-8")
    if notebooks:
        (root / "notebooks").mkdir()
        for name in notebooks:
            (root / "notebooks" / name).write_text("# %%\n", encoding="utf-8")
    return root


def _bare_path(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A Python reachable through a PATH holding nothing else (no make, no
    shell, no coreutils): a folder with only a link to this interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    link = bin_dir / ("python.exe" if os.name == "nt" else "python3")
    try:
        link.symlink_to(sys.executable)
    except OSError:                       # Windows without the symlink privilege
        shutil.copy2(sys.executable, link)
    env = {"PATH": str(bin_dir)}
    if os.name == "nt":
        env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", r"C:\Windows")
    return str(link), env


def _fake_impactlib(root: Path, main: str) -> None:
    """A stand-in ``impactlib`` in the fake checkout (``python -m impactlib``
    runs from the checkout, so it is the one found)."""
    (root / "impactlib").mkdir()
    (root / "impactlib" / "__init__.py").write_text("", encoding="utf-8")
    (root / "impactlib" / "__main__.py").write_text(main, encoding="utf-8")


def test_dry_run_plan_needs_no_make_and_no_shell_from_any_folder(tmp_path):
    root = _checkout(tmp_path)
    python, env = _bare_path(tmp_path)
    assert shutil.which("make", path=env["PATH"]) is None
    assert shutil.which("sh", path=env["PATH"]) is None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([python, str(root / "tasks.py"), "--dry-run", "test", "-k", "report"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    # the steps in order, each announced by one line
    steps = [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")]
    assert steps == ["setup", "setup", "setup", "demo", "browser", "test"], out
    commands = [line.strip() for line in out.splitlines() if line.startswith("    ")]
    if os.name != "nt":                   # the printed commands are shell-quoted on POSIX
        argv = [shlex.split(c) for c in commands]
        venv = ".venv/bin/python"
        assert argv == [
            [python, "-m", "venv", ".venv"],
            [venv, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--upgrade", "pip"],
            [venv, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-c", "constraints.txt", "-e", ".[test,lab]"],
            [venv, "-m", "jupytext", "--sync", "--quiet", "notebooks/00_a.py"],
            [venv, "-m", "impactlib", "demo", "data/raw/demo"],
            [venv, "-m", "pytest", "-k", "report"],
        ]
    assert not re.search(r"\bmake\b", out)
    # a dry run writes nothing, neither in the checkout nor where it was run
    assert sorted(p.name for p in root.iterdir()) == [
        "constraints.txt", "notebooks", "pyproject.toml", "tasks.py"]
    assert list(elsewhere.iterdir()) == []


def test_dry_run_of_this_checkout_from_another_folder(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "tasks.py"), "--dry-run", "report"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    study, processed = str(Path("data/raw/demo/study.yml")), str(Path("data/processed/demo"))
    assert f"-m impactlib report {study} --processed {processed}" in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_windows_plan_uses_the_scripts_folder(tmp_path):
    root = _checkout(tmp_path)
    base = r"C:\Python311\python.exe"
    plan = tasks.Tasks(root, dry_run=True, python=base, os_name="nt")
    plan.test(["-x"])
    venv_python = root / ".venv" / "Scripts" / "python.exe"
    assert plan.commands[0] == [base, "-m", "venv", str(root / ".venv")]
    assert all(cmd[0] == str(venv_python) for cmd in plan.commands[1:]
               if cmd[0] != shutil.which("apt-get"))
    assert plan.commands[-1] == [str(venv_python), "-m", "pytest", "-x"]
    assert not any("bin" in Path(cmd[0]).parts for cmd in plan.commands[1:] if "venv" in cmd[0])
    # as Windows' own shell would read them
    assert tasks.command_line(["C:\\a b\\python.exe", "-e", ".[test,lab]"], "nt") == \
        '"C:\\a b\\python.exe" -e .[test,lab]'


def test_setup_writes_missing_notebooks_and_never_overwrites_a_newer_one(tmp_path):
    """The notebooks step of setup (one jupytext --sync on the .py files) for
    real: a missing .ipynb is written from its .py; an .ipynb saved later
    (JupyterLab) keeps its cells and outputs, and gives its cells to the .py."""
    jupytext = pytest.importorskip("jupytext")
    import nbformat

    root = _checkout(tmp_path, notebooks=())
    notebooks = root / "notebooks"
    notebooks.mkdir()
    (notebooks / "jupytext.toml").write_text('formats = "ipynb,py:percent"\n', encoding="utf-8")
    fresh, edited = notebooks / "00_a.py", notebooks / "01_b.py"
    fresh.write_text("# %%\nx = 1\n", encoding="utf-8")
    edited.write_text("# %%\ny = 1\n", encoding="utf-8")
    saved = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "y = 2", outputs=[nbformat.v4.new_output("stream", text="2\n")])])
    saved.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    nbformat.write(saved, edited.with_suffix(".ipynb"))
    later = edited.stat().st_mtime + 10
    os.utime(edited.with_suffix(".ipynb"), (later, later))

    tasks.Tasks(root, no_venv=True, python=sys.executable)._sync_notebooks()

    assert [c.source for c in jupytext.read(fresh.with_suffix(".ipynb")).cells] == ["x = 1"]
    kept = nbformat.read(edited.with_suffix(".ipynb"), as_version=4)
    assert [c.source for c in kept.cells] == ["y = 2"]
    assert kept.cells[0].outputs[0]["text"] == "2\n"
    assert "y = 2" in edited.read_text(encoding="utf-8")


def test_venv_python_per_platform():
    venv = Path("proj") / ".venv"
    assert tasks.venv_python(venv, "nt") == venv / "Scripts" / "python.exe"
    assert tasks.venv_python(venv, "posix") == venv / "bin" / "python"
    assert doctest.testmod(tasks).failed == 0


def test_reinstall_only_when_pyproject_or_constraints_is_newer_than_the_stamp(tmp_path):
    root = _checkout(tmp_path, notebooks=())
    pyproject, constraints = root / "pyproject.toml", root / "constraints.txt"
    stamp = root / ".venv" / ".installed"
    inputs = [pyproject, constraints]
    assert tasks.needs_install(stamp, inputs)                 # never installed
    python = tasks.venv_python(root / ".venv", "posix")
    python.parent.mkdir(parents=True)
    python.write_bytes(b"")                                   # the venv exists
    stamp.touch()
    t = pyproject.stat().st_mtime
    os.utime(pyproject, (t, t))
    os.utime(constraints, (t, t))
    os.utime(stamp, (t + 10, t + 10))
    assert not tasks.needs_install(stamp, inputs)

    def planned():
        plan = tasks.Tasks(root, dry_run=True, python="python3", os_name="posix")
        plan.setup()
        return [c[1:3] for c in plan.commands]

    assert planned() == []                                    # up to date: nothing to run
    os.utime(constraints, (t + 20, t + 20))                   # new pins
    assert tasks.needs_install(stamp, inputs)
    assert planned() == [["-m", "pip"], ["-m", "pip"]]        # pip upgraded, project installed
    os.utime(constraints, (t, t))
    os.utime(pyproject, (t + 20, t + 20))                     # new dependencies
    assert planned() == [["-m", "pip"], ["-m", "pip"]]
    os.utime(pyproject, (t, t))
    python.unlink()                                           # venv gone: created, installed
    assert planned() == [["-m", "venv"], ["-m", "pip"], ["-m", "pip"]]


def test_a_failing_step_ends_with_one_line_and_its_exit_code(tmp_path):
    root = _checkout(tmp_path, notebooks=())
    _fake_impactlib(root, "import sys\nprint('impactlib: cannot write data/raw/demo', "
                          "file=sys.stderr)\nsys.exit(7)\n")
    done = subprocess.run([sys.executable, str(root / "tasks.py"), "--no-venv", "report"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 7
    assert done.stderr.splitlines() == ["impactlib: cannot write data/raw/demo",
                                        "tasks.py: impactlib demo failed (exit code 7)"]
    assert "report: " not in done.stdout                      # stopped at the failing step


def test_a_command_that_cannot_start_is_one_line(tmp_path, capsys):
    plan = tasks.Tasks(tmp_path, python=str(tmp_path / "no-such-python"), no_venv=True)
    with pytest.raises(tasks.TaskFailed) as failed:
        plan.run([plan.python, "-V"], "checking")
    assert failed.value.code == 127
    assert str(failed.value).startswith("checking: cannot run ")


@pytest.mark.skipif(os.name == "nt", reason="sends SIGINT to a process (POSIX)")
def test_ctrl_c_lets_the_command_stop_then_exits_130_quietly(tmp_path):
    """The stand-in command sends Ctrl-C's signal to tasks.py, then takes a
    moment to stop cleanly: tasks.py waits for it, then exits 130 with no
    traceback and no failure line."""
    root = _checkout(tmp_path, notebooks=())
    _fake_impactlib(root, "import os, signal, sys, time\n"
                          "os.kill(os.getppid(), signal.SIGINT)\n"
                          "time.sleep(1)\n"
                          "print('stand-in stopped cleanly', flush=True)\n"
                          "sys.exit(130)\n")
    done = subprocess.run([sys.executable, str(root / "tasks.py"), "--no-venv", "report"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 130
    assert "stand-in stopped cleanly" in done.stdout
    assert done.stderr == ""


def test_usage_errors(capsys):
    assert tasks.main(["--help"]) == 0
    assert "sync-notebooks" in capsys.readouterr().out
    assert tasks.main([]) == 2
    assert tasks.main(["bogus"]) == 2
    assert "unknown task 'bogus'" in capsys.readouterr().err
    assert tasks.main(["report", "-x"]) == 2
    assert capsys.readouterr().err.strip() == "tasks.py: report takes no arguments (got -x)"


def test_clean_reports_deletes_report_folders_only(tmp_path, capsys):
    reports = tmp_path / "reports"
    (reports / "demo-2026-01-01" / "html").mkdir(parents=True)
    (reports / "demo-2026-01-01" / "html" / "index.html").write_text("x", encoding="utf-8")
    (reports / ".demo.tmp-12-ab").mkdir()                     # a report being written
    (reports / "README.md").write_text("x", encoding="utf-8")
    (reports / ".gitkeep").write_text("", encoding="utf-8")
    tasks.Tasks(tmp_path).clean_reports()
    assert sorted(p.name for p in reports.iterdir()) == [".demo.tmp-12-ab", ".gitkeep", "README.md"]
    assert capsys.readouterr().out == "clean-reports: deleting 1 report folder(s) under reports/\n"


def test_no_venv_uses_this_python_and_installs_nothing(tmp_path):
    root = _checkout(tmp_path)
    plan = tasks.Tasks(root, dry_run=True, no_venv=True, python="/opt/conda/envs/impactlib/bin/python")
    plan.report()
    assert {cmd[0] for cmd in plan.commands} == {"/opt/conda/envs/impactlib/bin/python"}
    assert not any("pip" in cmd or "venv" in cmd for cmd in plan.commands)
    assert [cmd[2] for cmd in plan.commands] == ["jupytext", "impactlib", "impactlib"]


FORBIDDEN = ("command -v", "test -x", "touch", "id -u", "rm -rf", ".venv", "apt-get", "$(shell")


def test_makefile_only_delegates_to_tasks_py():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    for word in FORBIDDEN:
        assert word not in text, word
    recipes = [line for line in text.splitlines() if line.startswith("\t")]
    assert recipes == ["\t$(PYTHON) tasks.py $@ $(ARGS)"]
    names = re.search(r"^TASKS := (.+)$", text, re.M).group(1).split()
    assert set(names) == set(tasks.TASKS)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_runs_the_same_task():
    done = subprocess.run(["make", "-n", "-C", str(ROOT), "test", "PYTHON=python3"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [l for l in done.stdout.splitlines() if not l.startswith("make")]
    assert [l.strip() for l in lines] == ["python3 tasks.py test"]
