"""One exception for bad input, carrying where the problem is.

A :class:`StudyError` is raised for every study-level problem (a missing file,
a missing column, a malformed CSV...). The command line prints its message on
one line, without a traceback, and exits with status 2. So it does for a
:class:`FileInUseError`: a file the run must replace is open in another
program (Excel, on Windows).
"""

from __future__ import annotations

import errno
from pathlib import Path

__all__ = ["StudyError", "FileInUseError"]


class FileInUseError(PermissionError):
    """A file, or a folder holding one, that the run must replace is open elsewhere.

    Windows refuses to replace, rename or delete a file that a program (Excel,
    most often) holds open, and to rename a folder holding such a file. The
    previous output is left as it was; the command line says, in one line,
    to close the file and run again.

    Parameters
    ----------
    path : str or Path
        The file open in another program; or the folder, when which of its
        files is open could not be found (``folder`` true).
    folder : bool
        Whether ``path`` is the folder rather than the file.
    """

    def __init__(self, path: str | Path, folder: bool = False):
        super().__init__(errno.EACCES, "open in another program", str(path))
        self.folder = folder


class StudyError(Exception):
    """A problem with the study's input files that stops the run.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    file : str or Path, optional
        The file concerned.
    line : int, optional
        1-based line (CSV), row (workbook) or case number.
    column : str, optional
        The column concerned.
    """

    def __init__(self, message: str, file: str | Path | None = None,
                 line: int | None = None, column: str | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return (": ".join([", ".join(where), self.message]) if where
                else self.message)
