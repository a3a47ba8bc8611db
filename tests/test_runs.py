"""Runs that fail or are stopped harm nothing (issue 9).

The previous report survives a failing notebook, an error while rendering,
Ctrl-C and SIGTERM; a stopped run leaves no process and no temporary folder;
two runs on one processed folder do not mix; a system error is one line.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from impactlib.cli import _os_error_line, main
from impactlib.intake.demo import write_demo
from impactlib.intake.processed import lock_path, new_folder_beside, replace_folder
from impactlib.report.build import ReportError, run_report

from conftest import TEST_KEY

HAS_PROC = Path("/proc/self/task").is_dir()
PARAMS = "study = None\nprocessed = None\nresults = None\nsince = None\nuntil = None\nlang = None"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 20-candidate demo study and a full report of it (the 'previous report')."""
    root = tmp_path_factory.mktemp("runs")
    study = write_demo(root / "demo", candidates=20)
    mp = pytest.MonkeyPatch()
    mp.setenv("IMPACTLIB_KEY", TEST_KEY)
    try:
        report = run_report(study, out=root / "previous", processed=root / "processed")
    finally:
        mp.undo()
    return study, report


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _previous(small, tmp_path) -> tuple[Path, Path, dict[str, bytes]]:
    """A copy of the previous report in its own folder, and its bytes."""
    study, report = small
    out = tmp_path / "reports" / "demo"
    shutil.copytree(report, out)
    (out / "notes.txt").write_text("an evaluator's note\n", encoding="utf-8")
    return study, out, _snapshot(out)


def _leftovers(folder: Path) -> list[str]:
    """Temporary or aside folders, and lock files, in ``folder``."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(".") and (".tmp-" in p.name or ".old-" in p.name
                                                 or p.name.endswith(".lock")))


def _notebook(path: Path, sources: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(sources[0], metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources[1:]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


# --- the previous report survives -------------------------------------------

def test_a_failing_notebook_keeps_the_previous_report(small, tmp_path):
    study, out, before = _previous(small, tmp_path)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "a_ok.ipynb", [PARAMS, "x = 1"])
    _notebook(folder / "b_broken.ipynb", [PARAMS, "raise ValueError('boom')"])
    with pytest.raises(ReportError) as err:
        run_report(study, out=out, processed=tmp_path / "p", notebooks=folder, jobs=1)
    assert "ValueError: boom" in str(err.value)
    assert _snapshot(out) == before
    failed = out.with_name("demo-b_broken-failed.ipynb")      # kept for the evaluator
    assert str(failed) in str(err.value) and "boom" in failed.read_text(encoding="utf-8")
    assert _leftovers(out.parent) == [] and _leftovers(tmp_path) == []


def test_an_error_while_rendering_keeps_the_previous_report(small, tmp_path, monkeypatch):
    import impactlib.report.build as build

    study, out, before = _previous(small, tmp_path)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "a_ok.ipynb", [PARAMS, "x = 1"])

    def broken(*args, **kwargs):
        raise RuntimeError("rendering broke")

    monkeypatch.setattr(build, "render_pages", broken)
    with pytest.raises(RuntimeError, match="rendering broke"):
        run_report(study, out=out, processed=tmp_path / "p", notebooks=folder)
    assert _snapshot(out) == before
    assert _leftovers(out.parent) == [] and _leftovers(tmp_path) == []


def test_a_new_report_replaces_the_old_one_whole(small, tmp_path):
    study, out, before = _previous(small, tmp_path)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "a_ok.ipynb", [PARAMS, "print('hello')"])
    (out / "html" / "stale.html").write_text("old page", encoding="utf-8")
    run_report(study, out=out, processed=tmp_path / "p", notebooks=folder)
    assert sorted(p.name for p in (out / "html").iterdir()) == ["a_ok.html", "index.html",
                                                               "rapport.html", "report.css"]
    assert [p.name for p in (out / "notebooks").iterdir()] == ["a_ok.ipynb"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "an evaluator's note\n"
    assert before["results/funnel.csv"] == (out / "results" / "funnel.csv").read_bytes()
    nb = nbformat.read(out / "notebooks" / "a_ok.ipynb", as_version=4)
    injected = [c.source for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert '"<elsewhere>/results"' in injected[0] and ".tmp-" not in injected[0]
    text = "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in out.rglob("*") if p.is_file())
    assert ".tmp-" not in text                       # the work folder's name shows nowhere
    assert _leftovers(out.parent) == [] and _leftovers(tmp_path) == []


# --- stopped runs: no process left, previous report intact -------------------

def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return out


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _running(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _run(*args, **kwargs):
    env = {**os.environ, "IMPACTLIB_KEY": TEST_KEY}
    return subprocess.run([sys.executable, "-m", "impactlib", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300, **kwargs)


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals (Windows has no SIGTERM to catch)")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_run_leaves_nothing_behind(small, tmp_path, sig):
    study, out, before = _previous(small, tmp_path)
    processed = tmp_path / "processed"
    env = {**os.environ, "IMPACTLIB_KEY": TEST_KEY}
    proc = subprocess.Popen([sys.executable, "-m", "impactlib", "-q", "report", str(study),
                             "--out", str(out), "--processed", str(processed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    seen: set[int] = set()
    work: list[Path] = []
    try:
        # wait until notebooks run: a kernel among the command's descendants,
        # and the work folder's notebooks/ beside the report
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            work = [p for p in out.parent.glob(".demo.tmp-*") if (p / "notebooks").is_dir()]
            if HAS_PROC:
                seen |= _descendants(proc.pid)
                kernels = [p for p in seen if "ipykernel" in _cmdline(p) and _running(p)]
                if work and kernels:
                    break
            elif work:
                time.sleep(3)
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        assert work, "the notebooks never started"

        # meanwhile a second run on the same processed folder is refused
        second = _run("-q", "clean", study, "--out", processed)
        lines = second.stderr.strip().splitlines()
        assert second.returncode == 2 and len(lines) == 1, second.stderr
        assert "another run is using this processed folder" in lines[0]
        assert str(lock_path(processed)) in lines[0]

        if HAS_PROC:
            seen |= _descendants(proc.pid)
        signalled = time.monotonic()
        os.kill(proc.pid, sig)
        _, stderr = proc.communicate(timeout=60)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    # the notebooks are stopped, not waited for (each takes seconds)
    assert took < 15, f"{took:.1f} s from the signal to the end of the command"
    # (kernels starting print their own warnings, "[IPKernelApp] WARNING | ...")
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("[IPKernelApp]")]
    assert lines == ["impactlib: interrupted"] and "Traceback" not in stderr, stderr
    if HAS_PROC:
        assert seen, "no process was seen"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(p) for p in seen):
            time.sleep(0.2)
        assert [(p, _cmdline(p)) for p in seen if _running(p)] == []
    assert _snapshot(out) == before
    assert _leftovers(out.parent) == [] and _leftovers(tmp_path) == []


# --- one run at a time on a processed folder ---------------------------------

def _lock(folder: Path, pid: int, host: str | None = None) -> Path:
    lock = lock_path(folder)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({"pid": pid, "host": host or platform.node(),
                                "started": "2026-01-01T00:00:00", "token": "x"}),
                    encoding="utf-8")
    return lock


def test_a_held_lock_refuses_a_second_run(small, tmp_path, capsys):
    study, _ = small
    processed = tmp_path / "p"
    lock = _lock(processed, os.getpid())
    assert main(["clean", str(study), "--out", str(processed)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and str(lock) in lines[0], lines
    assert "another run is using this processed folder" in lines[0]
    assert "delete this lock file" in lines[0]
    assert not processed.exists() and lock.exists()


def test_the_lock_of_a_dead_run_is_taken_over(small, tmp_path, caplog):
    study, _ = small
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    processed = tmp_path / "p"
    lock = _lock(processed, dead.pid)
    assert main(["-q", "clean", str(study), "--out", str(processed)]) == 0
    assert (processed / "responses.parquet").exists()
    assert not lock.exists()                            # released at the end
    assert "taking over the lock" in caplog.text


def test_unique_temporary_names_and_the_old_folder_put_back(tmp_path, monkeypatch):
    target = tmp_path / "folder"
    target.mkdir()
    (target / "a.txt").write_text("old", encoding="utf-8")
    one, two = new_folder_beside(target), new_folder_beside(target)
    assert one != two and one.parent == two.parent == tmp_path
    (one / "a.txt").write_text("new", encoding="utf-8")

    real = Path.rename
    def rename(self, to):
        if self == one:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, to)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(PermissionError):
        replace_folder(one, target)
    assert (target / "a.txt").read_text(encoding="utf-8") == "old"     # put back
    monkeypatch.undo()
    replace_folder(one, target)
    assert (target / "a.txt").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["folder", two.name])


# --- system errors are one line ----------------------------------------------

def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_file_open_elsewhere_is_one_line(small, tmp_path, monkeypatch, capsys):
    import impactlib.intake.processed as processed_module

    study, _ = small
    processed = tmp_path / "p"
    assert main(["-q", "clean", str(study), "--out", str(processed)]) == 0
    before = _snapshot(processed)

    def denied(frame, path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(processed_module, "write_csv", denied)
    assert main(["-q", "clean", str(study), "--out", str(processed)]) == 2
    line = _one_line(capsys)
    assert "quality.csv" in line and "in Excel (or any program that has it open) and run " \
        "again" in line
    assert _snapshot(processed) == before
    assert _leftovers(tmp_path) == []


def test_a_full_disk_is_one_line(small, tmp_path, monkeypatch, capsys):
    import pandas as pd

    study, _ = small
    out = tmp_path / "p"

    def full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    assert main(["-q", "clean", str(study), "--out", str(out)]) == 2
    line = _one_line(capsys)
    assert ".parquet" in line and "free disk space" in line
    assert not out.exists() and _leftovers(tmp_path) == []


def test_a_file_where_the_report_folder_should_be_is_one_line(small, tmp_path, capsys):
    study, _ = small
    out = tmp_path / "report"
    out.write_text("not a folder", encoding="utf-8")
    assert main(["-q", "report", str(study), "--out", str(out),
                 "--processed", str(tmp_path / "p")]) == 2
    line = _one_line(capsys)
    assert str(out) in line and "choose another folder" in line
    assert out.read_text(encoding="utf-8") == "not a folder"
    assert _leftovers(tmp_path) == []


def test_a_file_where_the_processed_folder_should_be_is_one_line(small, tmp_path, capsys):
    study, _ = small
    out = tmp_path / "p"
    out.write_text("not a folder", encoding="utf-8")
    assert main(["-q", "clean", str(study), "--out", str(out)]) == 2
    line = _one_line(capsys)
    assert str(out) in line and "choose another folder" in line


def test_each_system_error_says_what_to_do():
    in_use = PermissionError(13, "The process cannot access the file because it is being "
                                 "used by another process", r"C:\r\results\funnel.csv")
    in_use.winerror = 32                       # what Windows sets on a file open in Excel
    assert "in Excel (or any program that has it open) and run again" in _os_error_line(in_use)
    assert r"C:\r\results\funnel.csv" in _os_error_line(in_use)
    assert "free disk space" in _os_error_line(OSError(errno.ENOSPC, "No space", "/x"))
    assert "choose another folder" in _os_error_line(
        NotADirectoryError(errno.ENOTDIR, "Not a directory", "/x"))
    assert "choose another folder" in _os_error_line(OSError(errno.EROFS, "Read-only", "/x"))
    for err in (in_use, OSError(errno.EIO, "I/O error\nmore", "/x")):
        assert "\n" not in _os_error_line(err)


def test_what_a_run_killed_outright_left_is_tidied(tmp_path):
    from impactlib.intake.processed import sweep_leftovers

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = tmp_path / "demo"
    aside = tmp_path / f".demo.old-{dead.pid}-0123abcd"      # killed between the renames
    aside.mkdir()
    (aside / "a.txt").write_text("previous", encoding="utf-8")
    (tmp_path / f".demo.tmp-{dead.pid}-89abcdef").mkdir()
    alive = tmp_path / f".demo.tmp-{os.getppid()}-00000000"    # a live run's: left alone
    alive.mkdir()
    other = tmp_path / f".demo-2.tmp-{dead.pid}-00000000"      # another report's
    other.mkdir()
    sweep_leftovers(folder)
    assert (folder / "a.txt").read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["demo", alive.name, other.name])


@pytest.mark.skipif(not HAS_PROC, reason="reads /proc to see the processes (Linux)")
@pytest.mark.parametrize("with_psutil", [True, False], ids=["psutil", "stdlib"])
def test_a_process_tree_is_killed_whole(monkeypatch, with_psutil):
    """A worker whose child (a kernel, say) runs in a session of its own."""
    from impactlib.report.processes import descendants, kill_process_trees

    if with_psutil:
        pytest.importorskip("psutil")
    else:
        monkeypatch.setitem(sys.modules, "psutil", None)          # import fails
    code = ("import subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
            " start_new_session=True)\n"
            "time.sleep(60)\n")
    worker = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _descendants(worker.pid):
            time.sleep(0.1)
        kernel = _descendants(worker.pid)
        assert len(kernel) == 1 and descendants([worker.pid]) == list(kernel)
        kill_process_trees([worker.pid])
        worker.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(p) for p in kernel):
            time.sleep(0.1)
        assert not any(_running(p) for p in kernel)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
