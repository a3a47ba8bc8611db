"""One exception for bad input, carrying where the problem is.

A :class:`StudyError` is raised for every study-level problem (a missing file,
a missing column, a malformed CSV...). The command line prints its message on
one line, without a traceback, and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["StudyError"]


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
