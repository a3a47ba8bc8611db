"""The command line: a thin face over the package.

    impactlib demo DIR [--candidates N] [--seed S]
    impactlib init FOLDER [--force]
    impactlib clean STUDY.yml [--out DIR]
    impactlib report STUDY.yml [--out DIR] [--processed DIR] [--since DATE]
                     [--until DATE] [--lang fr|en] [--jobs N]
    impactlib due STUDY.yml [--on DATE] [--within DAYS] [--by COLUMN] [--out FILE.xlsx]

Default folders come from the study's location (see :mod:`impactlib.config`),
never from the current folder: nothing is written there unless asked.

Bad input ends with one line on standard error naming the file, line and
column, and exit status 2; never a traceback. So does a system error (a
folder that cannot be written, a full disk), and a file the run must replace
that is open in Excel: ``impactlib: close FILE in Excel (or any program that
has it open) and run again`` (the previous output is left as it was).
"""

from __future__ import annotations

import argparse
import os
import logging
import sys
import traceback
from pathlib import Path

from impactlib.errors import StudyError

__all__ = ["main"]

log = logging.getLogger("impactlib")


def _parser() -> argparse.ArgumentParser:
    from impactlib import __version__

    # -q/-v are accepted before and after the command (``impactlib -q report``
    # and ``impactlib report STUDY -q``): the command's copies default to
    # SUPPRESS so that they never undo the ones given before the command.
    verbosity = argparse.ArgumentParser(add_help=False)
    verbosity.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                           help="only warnings and errors")
    verbosity.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                           help="also the details (debug messages)")
    p = argparse.ArgumentParser(prog="impactlib",
                                description="Social impact of employment coaching: "
                                            "questionnaires cleaned, analysed and reported.")
    p.add_argument("--version", action="version", version=f"impactlib {__version__}")
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    p.add_argument("-v", "--verbose", action="store_true", help="also the details")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="write the synthetic demo study", parents=[verbosity])
    d.add_argument("folder", type=Path)
    d.add_argument("--force", action="store_true", help="replace a study already in the folder")
    d.add_argument("--candidates", type=int, default=309, help="number of candidates (309)")
    d.add_argument("--seed", type=int, default=20240601, help="random seed (20240601)")

    i = sub.add_parser("init", help="draft study.yml and codebook.xlsx from a folder of exports",
                       parents=[verbosity])
    i.add_argument("folder", type=Path, help="the folder holding the exports")
    i.add_argument("--force", action="store_true",
                   help="replace an existing study.yml or codebook.xlsx")

    c = sub.add_parser("clean", help="clean a study into tidy processed tables",
                       parents=[verbosity])
    c.add_argument("study", type=Path, help="study.yml (or its folder)")
    c.add_argument("--out", type=Path,
                   help="folder for the processed tables (default: the study's, "
                        "<project>/data/processed/<study>/ or processed/ beside the study)")

    r = sub.add_parser("report", help="clean, analyse and render the HTML report",
                       parents=[verbosity])
    r.add_argument("study", type=Path, help="study.yml (or its folder)")
    r.add_argument("--out", type=Path,
                   help="report folder (default: reports/<study>-<until>/ of the study's "
                        "project, or beside the study)")
    r.add_argument("--processed", type=Path,
                   help="processed tables (default: as for clean)")
    r.add_argument("--since", help="first day of the period, YYYY-MM-DD")
    r.add_argument("--until", help="last day of the period, YYYY-MM-DD")
    r.add_argument("--lang", choices=["fr", "en"], help="report language (study's default)")
    r.add_argument("--jobs", type=int, default=2, help="notebooks run at once (2)")

    f = sub.add_parser("due", help="the follow-up list for counsellors: questionnaires "
                                   "overdue, due soon, or missed (real ids: internal)",
                       parents=[verbosity])
    f.add_argument("study", type=Path, help="study.yml (or its folder)")
    f.add_argument("--on", help="the day of the list, YYYY-MM-DD (default: today)")
    f.add_argument("--within", type=int, default=14,
                   help="days ahead for 'due soon' (14)")
    f.add_argument("--by", help="a covariate (an antenne, a counsellor) or exit_status: "
                                "one sheet per value")
    f.add_argument("--out", type=Path,
                   help="the workbook (default: followup/a-relancer-<date>.xlsx in the "
                        "study's processed folder)")
    return p


def main(argv: list[str] | None = None) -> int:
    restore = _sigterm_as_interrupt()
    try:
        return _main(argv)
    finally:
        restore()


def _sigterm_as_interrupt():
    """SIGTERM stops the command like Ctrl-C (KeyboardInterrupt in the main
    thread: the notebooks' workers and kernels are stopped, the previous report
    kept, exit status 130). Further SIGTERM/SIGINT are ignored while it stops.
    Returns what puts the previous handlers back."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    names = [s for s in ("SIGTERM", "SIGINT") if hasattr(signal, s)]
    previous = {n: signal.getsignal(getattr(signal, n)) for n in names}

    def stop(signum, frame):
        for n in names:
            signal.signal(getattr(signal, n), signal.SIG_IGN)
        raise KeyboardInterrupt

    if "SIGTERM" in previous:
        signal.signal(signal.SIGTERM, stop)
    if previous.get("SIGINT") is signal.default_int_handler:
        signal.signal(signal.SIGINT, stop)

    def restore():
        for n, handler in previous.items():
            if handler is not None:
                signal.signal(getattr(signal, n), handler)
    return restore


#: Files a user may have open in Excel (or LibreOffice) while a run replaces them.
SPREADSHEET_SUFFIXES = (".csv", ".xlsx", ".xls", ".parquet")


def _in_use_line(err: OSError) -> str | None:
    """The one line for a file open in another program, else ``None``.

    Windows refuses to replace, rename or delete a file that Excel holds open
    (``WinError 32``, a sharing violation; 33, a lock), or to rename a
    folder holding one (:class:`~impactlib.errors.FileInUseError`). A
    permission error on a spreadsheet-like file (``.csv``, ``.xlsx``,
    ``.parquet``) is taken as the same on any system: the line also says what
    to check when no program has it open.
    """
    from impactlib.errors import FileInUseError

    if not isinstance(err, PermissionError):
        return None
    if isinstance(err, FileInUseError) and err.folder:
        return (f"impactlib: {err.filename} cannot be replaced: close its files open in Excel "
                "(or any program that has one open) and run again")
    paths = [str(f) for f in (err.filename2, err.filename) if f]   # a replaced file is the 2nd
    sheets = [p for p in paths if Path(p).suffix.lower() in SPREADSHEET_SUFFIXES]
    sharing = getattr(err, "winerror", None) in (32, 33) or isinstance(err, FileInUseError)
    if not (sharing or sheets):
        return None
    name = (sheets or paths or ["the file"])[0]
    line = f"impactlib: close {name} in Excel (or any program that has it open) and run again"
    if not sharing:
        line += "; if no program has it open, check that you may write to it"
    return line


def _os_error_line(err: OSError) -> str:
    """One line for a system error: the path, what happened, what to do."""
    import errno

    in_use = _in_use_line(err)
    if in_use:
        return in_use
    paths = [str(f) for f in (err.filename, err.filename2) if f]
    where = " -> ".join(paths) + ": " if paths else ""
    detail = (err.strerror or str(err)).replace("\n", " ")
    if isinstance(err, PermissionError):
        todo = ("no right to write here, or the file is open in another program: close it "
                "(in Excel, say) and run again, or choose another folder")
    elif err.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        todo = "the disk is full: free disk space and run again"
    elif isinstance(err, NotADirectoryError):
        todo = "a file is where a folder is expected: choose another folder, or move the file"
    elif isinstance(err, IsADirectoryError):
        todo = "a folder is where a file is expected: choose another name, or move the folder"
    elif isinstance(err, FileExistsError):
        todo = "it already exists: choose another name, or move it"
    elif isinstance(err, FileNotFoundError):
        todo = "not found: check the path and run again"
    elif err.errno == errno.EROFS:
        todo = "the disk is read-only: choose another folder"
    else:
        todo = "check the path and the disk, and run again"
    return f"impactlib: error: {where}{detail}; {todo}"


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=(logging.WARNING if args.quiet else
                               logging.DEBUG if args.verbose else logging.INFO),
                        format="%(levelname)s: %(message)s", stream=sys.stderr)
    for noisy in ("papermill", "traitlets", "nbconvert"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        if args.command == "demo":
            from impactlib.intake.demo import write_demo

            if (args.folder / "study.yml").exists() and not args.force:
                raise StudyError("a study is already in this folder; use --force to replace "
                                 "it with the demo", args.folder / "study.yml")
            try:
                path = write_demo(args.folder, candidates=args.candidates, seed=args.seed)
            except ValueError as err:
                raise StudyError(str(err)) from None
            print(path)
        elif args.command == "init":
            from impactlib.intake.draft import draft_study

            print(draft_study(args.folder, force=args.force).text())
        elif args.command == "clean":
            from impactlib.config import processed_dir
            from impactlib.intake.processed import clean_study, processed_lock
            from impactlib.intake.study import load_study

            study = load_study(args.study)
            target = args.out or processed_dir(study)
            with processed_lock(target):        # a concurrent run is refused before cleaning
                folder = clean_study(study).write(target)
            print(folder)
        elif args.command == "report":
            from impactlib.report.build import run_report

            folder = run_report(args.study, out=args.out, processed=args.processed,
                                since=args.since, until=args.until, lang=args.lang,
                                jobs=args.jobs)
            print(folder / "html" / "index.html")
        elif args.command == "due":
            from impactlib.report.followup import run_followup

            done = run_followup(args.study, on=args.on, within=args.within, by=args.by,
                                out=args.out)
            if not args.quiet:
                print("\n".join(done.lines()))
            print(done.path)
    except StudyError as err:
        print(f"impactlib: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:          # a folder that cannot be written, a full disk...
        print(_os_error_line(err), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("impactlib: interrupted", file=sys.stderr)
        return 130
    except Exception as err:        # a bug: one line, the details only when asked for
        if os.environ.get("IMPACTLIB_DEBUG"):
            raise
        where = traceback.extract_tb(err.__traceback__)[-1]
        print(f"impactlib: internal error: {type(err).__name__}: {err} (in "
              f"{Path(where.filename).name}, line {where.lineno}). Please report it; set "
              "IMPACTLIB_DEBUG=1 to see the details.",
              file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
