"""The project's commands, the same on Windows, Linux and macOS: ``python tasks.py TASK``.

Run with Python 3.11 or later, from any folder (paths are found from this
file's location)::

    python3 tasks.py report        # Linux, macOS (or: make report)
    py -3.11 tasks.py report       # Windows (no make, no POSIX shell needed)

Tasks
-----
setup
    Create ``.venv/`` with the running Python if it is missing; install the
    project and its extras there, pinned by ``constraints.txt``, when
    ``pyproject.toml`` or ``constraints.txt`` is newer than the stamp
    ``.venv/.installed`` (or there is no stamp); then sync the notebooks
    (``jupytext --sync`` on each ``notebooks/*.py``, which creates a missing
    ``.ipynb`` and keeps whichever of the pair was edited last).
report
    setup, the demo study in ``data/raw/demo/`` if absent, then its report.
test
    setup, the demo study, browser, then the test suite (``python -m
    pytest``; any further arguments are passed to pytest).
browser
    Debian's ``chromium`` and ``poppler-utils`` (``pdfinfo``, ``pdftoppm``)
    for the browser and print tests: installed with apt-get when missing and
    running as root on Linux, otherwise one line says those tests will skip.
lab
    setup, the demo study, then JupyterLab on ``notebooks/``.
fuzz
    setup, then the property tests with many more random inputs
    (hypothesis profile ``fuzz``; further arguments go to pytest).
sync-notebooks
    setup (which syncs the notebooks), for after editing a notebook's ``.py``.
clean-reports
    Delete the report folders under ``reports/``.
bench
    setup, then ``benchmarks/pipeline.py``: ingestion against a reading
    floor, the statistics table by table, the report against its notebook
    floor, growth between sizes (a benchmark, not a test; further arguments
    go to it, e.g. ``--full``).

Options (anywhere before ``--``)
--------------------------------
--dry-run
    Print the commands a task would run; run nothing, write nothing.
--no-venv
    Use the running Python as it is (a conda environment made from
    ``environment.yml``, or any environment where the project is installed)
    instead of ``.venv/``: nothing is created or installed. The environment
    variable ``IMPACTLIB_NO_VENV=1`` does the same.

Every step prints one short line. A failing command ends the task with one
line naming it and with its exit code; Ctrl-C lets the running command stop
cleanly and exits with 130. Only the standard library is used: this file runs
before anything is installed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
#: The extras ``setup`` installs besides the project's dependencies.
EXTRAS = "test,lab"
#: A newer version of either triggers a reinstall into ``.venv/``.
INSTALL_INPUTS = ("pyproject.toml", "constraints.txt")
DEMO = Path("data", "raw", "demo")
DEMO_PROCESSED = Path("data", "processed", "demo")
PIP = ("-m", "pip", "install", "--quiet", "--disable-pip-version-check")
#: Debian packages the browser and print tests need: command -> package.
BROWSER_TOOLS = {"chromium": "chromium", "pdfinfo": "poppler-utils", "pdftoppm": "poppler-utils"}
#: Exit statuses of a child stopped by Ctrl-C: 130 (shells, impactlib),
#: -SIGINT (POSIX, killed by the signal), STATUS_CONTROL_C_EXIT (Windows).
INTERRUPTED = {130, -int(signal.SIGINT), 0xC000013A}


class TaskFailed(Exception):
    """A command of a task failed: one line for the user, and an exit code."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


class Interrupted(Exception):
    """Ctrl-C: the running command was stopped."""


def venv_python(venv: Path, os_name: str | None = None) -> Path:
    """The Python interpreter of the virtual environment ``venv``.

    Parameters
    ----------
    venv : Path
        The environment's folder.
    os_name : str, optional
        ``os.name`` of the platform (``"nt"`` on Windows); the running one
        by default.

    Examples
    --------
    >>> venv_python(Path(".venv"), "nt").parts
    ('.venv', 'Scripts', 'python.exe')
    >>> venv_python(Path(".venv"), "posix").parts
    ('.venv', 'bin', 'python')
    """
    if (os_name or os.name) == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def needs_install(stamp: Path, inputs: list[Path]) -> bool:
    """Whether to (re)install: no stamp yet, or an input newer than it.

    The same rule as make's: ``stamp`` is up to date when it exists and
    none of ``inputs`` (``pyproject.toml``, ``constraints.txt``) was
    modified after it.
    """
    try:
        installed = stamp.stat().st_mtime_ns
    except FileNotFoundError:
        return True
    return any(p.stat().st_mtime_ns > installed for p in inputs if p.exists())


def command_line(cmd: list[str], os_name: str | None = None) -> str:
    """``cmd`` as one would type it in the platform's shell (for printing only)."""
    if (os_name or os.name) == "nt":
        return subprocess.list2cmdline(cmd)
    return shlex.join(cmd)


class Tasks:
    """The tasks of one checkout.

    Parameters
    ----------
    root : Path
        The repository (where pyproject.toml is).
    dry_run : bool
        Print the commands instead of running them; ``commands`` lists them.
    no_venv : bool
        Use ``python`` as it is instead of ``root/.venv``.
    python : str
        The running interpreter (creates the venv, or is used as is).
    os_name : str
        ``os.name`` of the platform the commands are for.
    """

    def __init__(self, root: Path = ROOT, *, dry_run: bool = False, no_venv: bool = False,
                 python: str = sys.executable, os_name: str = os.name):
        self.root = root
        self.dry_run = dry_run
        self.no_venv = no_venv
        self.base_python = python
        self.os_name = os_name
        self.venv = root / ".venv"
        self.stamp = self.venv / ".installed"
        self.python = python if no_venv else str(venv_python(self.venv, os_name))
        self.commands: list[list[str]] = []
        self._done: set[str] = set()

    # -- helpers ---------------------------------------------------------
    def say(self, task: str, message: str) -> None:
        print(f"{task}: {message}", flush=True)

    def shown(self, arg: str) -> str:
        """An argument as printed: paths inside the checkout relative to it."""
        prefix = str(self.root) + os.sep
        return arg[len(prefix):] if arg.startswith(prefix) else arg

    def run(self, cmd: list[str], what: str, env: dict[str, str] | None = None,
            quiet: bool = False) -> None:
        """Run ``cmd`` in the checkout; a failure raises :class:`TaskFailed`.

        Ctrl-C reaches the command too (same console): it is given time to
        stop cleanly (impactlib stops its notebooks' processes), and killed
        only at the third Ctrl-C; then :class:`Interrupted` is raised.
        """
        self.commands.append(cmd)
        if self.dry_run:
            print("    " + command_line([self.shown(a) for a in cmd], self.os_name), flush=True)
            return
        out = subprocess.DEVNULL if quiet else None
        try:
            child = subprocess.Popen(cmd, cwd=self.root, stdout=out,
                                     env={**os.environ, **(env or {})})
        except OSError as exc:
            raise TaskFailed(f"{what}: cannot run {self.shown(cmd[0])}: "
                             f"{exc.strerror or exc}", 127) from None
        interrupts = 0
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:
                interrupts += 1
                if interrupts >= 3:
                    child.kill()
        if interrupts or code in INTERRUPTED:
            raise Interrupted
        if code != 0:
            if code < 0:                     # killed by a signal (POSIX)
                code = 128 - code
            raise TaskFailed(f"{what} failed (exit code {code})", code)

    def once(self, name: str) -> bool:
        """True the first time ``name`` is asked for (each step runs once per call)."""
        if name in self._done:
            return False
        self._done.add(name)
        return True

    # -- steps -----------------------------------------------------------
    def setup(self) -> None:
        """Create and install ``.venv`` when needed, then sync the notebooks."""
        if not self.once("setup"):
            return
        if sys.version_info < (3, 11):
            raise TaskFailed(f"setup: impactlib needs Python 3.11 or later; this is "
                             f"{sys.version.split()[0]} (on Windows: py -3.11 tasks.py ...)", 1)
        if self.no_venv:
            self.say("setup", f"using this Python as it is ({self.base_python}): --no-venv")
        else:
            fresh = not Path(self.python).exists()
            if fresh:
                self.say("setup", f"creating .venv with Python {sys.version.split()[0]}")
                self.run([self.base_python, "-m", "venv", str(self.venv)], "creating .venv")
            inputs = [self.root / name for name in INSTALL_INPUTS]
            if fresh or needs_install(self.stamp, inputs):
                self.say("setup", f"installing impactlib[{EXTRAS}] into .venv, "
                                  "versions pinned by constraints.txt")
                self.run([self.python, *PIP, "--upgrade", "pip"], "upgrading pip")
                self.run([self.python, *PIP, "-c", "constraints.txt", "-e", f".[{EXTRAS}]"],
                         "pip install")
                if not self.dry_run:
                    self.stamp.touch()
            else:
                self.say("setup", ".venv is up to date")
        self._sync_notebooks()

    def _sync_notebooks(self) -> None:
        """``jupytext --sync`` each ``notebooks/*.py``: a missing ``.ipynb`` is
        created; the file of a pair edited last gives the other its cells (a
        notebook saved in JupyterLab is never overwritten by an older .py)."""
        sources = sorted((self.root / "notebooks").glob("*.py"))
        if not sources:
            return
        self.say("setup", f"syncing {len(sources)} notebooks with their jupytext .py")
        self.run([self.python, "-m", "jupytext", "--sync", "--quiet", *map(str, sources)],
                 "jupytext --sync", quiet=True)

    def sync_notebooks(self) -> None:
        """The notebooks synced (setup does it; this task is for after an edit)."""
        self.setup()

    def demo(self) -> None:
        """Write the demo study to ``data/raw/demo/`` unless it is there."""
        if not self.once("demo"):
            return
        self.setup()
        if (self.root / DEMO / "study.yml").exists():
            self.say("demo", f"the demo study is in {DEMO}")
            return
        self.say("demo", f"writing the demo study to {DEMO}")
        self.run([self.python, "-m", "impactlib", "demo", str(DEMO)], "impactlib demo")

    def report(self) -> None:
        """The demo study's report."""
        self.demo()
        self.say("report", "reporting the demo study")
        self.run([self.python, "-m", "impactlib", "report", str(DEMO / "study.yml"),
                  "--processed", str(DEMO_PROCESSED)], "impactlib report")

    def browser(self) -> None:
        """Debian's chromium and poppler-utils, installed as root when missing."""
        if not self.once("browser"):
            return
        found = {cmd: shutil.which(cmd) or (cmd == "chromium" and shutil.which("chromium-browser"))
                 for cmd in BROWSER_TOOLS}
        missing = sorted({BROWSER_TOOLS[cmd] for cmd, path in found.items() if not path})
        if not missing:
            self.say("browser", "chromium and poppler-utils are installed")
            return
        geteuid = getattr(os, "geteuid", None)
        apt = shutil.which("apt-get")
        if sys.platform.startswith("linux") and geteuid is not None and geteuid() == 0 and apt:
            self.say("browser", f"installing Debian's {' and '.join(missing)} "
                                "for the browser and print tests")
            env = {"DEBIAN_FRONTEND": "noninteractive"}
            self.run([apt, "update", "-qq"], "apt-get update", env=env, quiet=True)
            self.run([apt, "install", "-y", "-qq", *missing], "apt-get install", env=env,
                     quiet=True)
        else:
            self.say("browser", f"{' and '.join(missing)} not installed: the browser and print "
                                f"tests will be skipped (Debian: apt-get install {' '.join(missing)})")

    def test(self, args: list[str]) -> None:
        """The whole test suite (what CI runs)."""
        self.demo()
        self.browser()
        self.say("test", "running the test suite")
        self.run([self.python, "-m", "pytest", *args], "pytest")

    def fuzz(self, args: list[str]) -> None:
        """The property tests with many more random inputs."""
        self.setup()
        self.say("fuzz", "property tests, hypothesis profile 'fuzz'")
        self.run([self.python, "-m", "pytest", "tests/test_properties.py", "-q", *args],
                 "pytest", env={"HYPOTHESIS_PROFILE": "fuzz"})

    def bench(self, args: list[str]) -> None:
        """The pipeline benchmark (benchmarks/pipeline.py), printed as a table."""
        self.setup()
        self.say("bench", "benchmark of the pipeline (minutes; --full adds 100,000 candidates)")
        self.run([self.python, str(self.root / "benchmarks" / "pipeline.py"), *args],
                 "benchmarks/pipeline.py")

    def lab(self) -> None:
        """JupyterLab on the notebooks (their default study is the demo)."""
        self.demo()
        self.say("lab", "opening JupyterLab on notebooks/ (Ctrl-C twice to stop)")
        self.run([self.python, "-m", "jupyterlab", "notebooks"], "jupyter lab")

    def clean_reports(self) -> None:
        """Delete every report folder under ``reports/`` (not its README, not
        a hidden folder of a report being written)."""
        folders = sorted(p for p in (self.root / "reports").glob("*")
                         if p.is_dir() and not p.name.startswith("."))
        self.say("clean-reports", f"deleting {len(folders)} report folder(s) under reports/")
        for folder in folders:
            if self.dry_run:
                print(f"    delete {self.shown(str(folder))}", flush=True)
                continue
            try:
                if sys.version_info >= (3, 12):
                    shutil.rmtree(folder, onexc=_retry_writable)
                else:
                    shutil.rmtree(folder, onerror=_retry_writable)
            except OSError as exc:
                raise TaskFailed(f"clean-reports: cannot delete {exc.filename or folder}: "
                                 f"{exc.strerror or exc} (close it in any program using it "
                                 "and run again)", 1) from None


def _retry_writable(function, path, _error):
    """rmtree's error handler (``onexc``, or ``onerror`` before Python 3.12): a
    read-only file (Windows) made writable, then deleted again, once."""
    os.chmod(path, stat.S_IWRITE)
    function(path)


#: Task name -> (takes extra arguments, what it does).
TASKS = {
    "setup": (False, "create .venv if missing and install the project there (pinned), sync the notebooks"),
    "report": (False, "setup, the demo study if absent, its report"),
    "test": (True, "setup, the demo study, browser, the test suite (extra arguments go to pytest)"),
    "browser": (False, "install Debian's chromium and poppler-utils when missing (as root)"),
    "lab": (False, "setup, the demo study, JupyterLab on the notebooks"),
    "fuzz": (True, "setup, the property tests with many more examples"),
    "sync-notebooks": (False, "pair each notebooks/*.py with its .ipynb (part of setup)"),
    "clean-reports": (False, "delete the report folders under reports/"),
    "bench": (True, "setup, the pipeline benchmark (extra arguments go to benchmarks/pipeline.py)"),
}

USAGE = ("usage: python tasks.py [--dry-run] [--no-venv] TASK [ARGS...]\n\ntasks:\n"
         + "\n".join(f"  {name:<15} {what}" for name, (_, what) in TASKS.items()))


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    """Run one task; return the exit status (0, a command's, 2 for usage, 130)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    options, task, extra = set(), None, []
    for i, arg in enumerate(argv):
        if arg == "--":
            extra += argv[i + 1:]
            break
        if arg in ("--dry-run", "--no-venv", "-h", "--help"):
            options.add(arg)
        elif task is None and not arg.startswith("-"):
            task = arg
        else:
            extra.append(arg)
    if options & {"-h", "--help"}:
        print(USAGE)
        return 0
    if task not in TASKS:
        print(USAGE if task is None else f"tasks.py: unknown task {task!r}\n\n{USAGE}",
              file=sys.stderr)
        return 2
    if extra and not TASKS[task][0]:
        print(f"tasks.py: {task} takes no arguments (got {' '.join(extra)})", file=sys.stderr)
        return 2
    no_venv = "--no-venv" in options or os.environ.get("IMPACTLIB_NO_VENV", "") not in ("", "0")
    tasks = Tasks(root, dry_run="--dry-run" in options, no_venv=no_venv)
    try:
        if task in ("test", "fuzz", "bench"):
            getattr(tasks, task)(extra)
        else:
            getattr(tasks, task.replace("-", "_"))()
    except TaskFailed as exc:
        print(f"tasks.py: {exc}", file=sys.stderr, flush=True)
        return exc.code
    except (Interrupted, KeyboardInterrupt):
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
