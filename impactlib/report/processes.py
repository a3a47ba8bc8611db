"""Stopping the notebook workers and their kernels, with every descendant.

Each notebook runs in a worker process of a ProcessPoolExecutor, and its
kernel is a child of that worker started by jupyter_client (in a session of
its own on POSIX, so that a kill of the worker's process group would not
reach it). On a failure or an interruption every worker and every descendant
of a worker is killed: on POSIX the workers are first frozen (SIGSTOP: no
new kernel can start), their descendants collected (psutil when installed,
else /proc/<pid>/task/*/children on Linux, else ``ps``), then all killed
(SIGKILL). On Windows ``taskkill /T /F /PID <worker>`` ends each worker with
its tree. Workers start in a process group of their own on POSIX (the
terminal's Ctrl-C reaches only the command, which stops them in order) and
with the default SIGTERM action (not the command's handler). A killed
kernel may leave its connection file in Jupyter's runtime folder.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["worker_init", "kill_process_trees", "descendants"]


def worker_init() -> None:
    import signal

    if os.name == "posix":
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            os.setpgrp()
        except OSError:
            pass


def kill_process_trees(pids: list[int]) -> None:
    """Kill the processes ``pids`` and all their descendants."""
    if not pids:
        return
    if os.name == "nt":
        import subprocess

        for pid in pids:
            subprocess.run(["taskkill", "/T", "/F", "/PID", str(pid)], capture_output=True,
                           creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        return
    import signal

    for pid in pids:
        _signal(pid, signal.SIGSTOP)
    killed: set[int] = set()
    for _ in range(3):      # again, for anything started while the first pass ran
        tree = [pid for pid in descendants(pids) + list(pids) if pid not in killed]
        if not tree:
            break
        for pid in tree:
            _signal(pid, signal.SIGKILL)
        killed.update(tree)


def _signal(pid: int, sig) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def descendants(pids: list[int]) -> list[int]:
    """Every descendant (children, their children...) of the processes ``pids``."""
    try:
        import psutil
    except ImportError:
        psutil = None
    found: list[int] = []
    if psutil is not None:
        for pid in pids:
            try:
                found += [c.pid for c in psutil.Process(pid).children(recursive=True)]
            except psutil.Error:
                pass
        return list(dict.fromkeys(found))
    children = _children_proc if Path("/proc/self/task").is_dir() else _children_ps()
    todo = list(pids)
    while todo:
        for child in children(todo.pop()):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def _children_proc(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return out


def _children_ps():
    import subprocess

    table: dict[int, list[int]] = {}
    try:
        text = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True,
                              text=True, check=False).stdout
    except OSError:
        text = ""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            table.setdefault(int(parts[1]), []).append(int(parts[0]))
    return lambda pid: table.get(pid, [])
