"""What a report notebook needs, in one call: data, results and words.

A notebook's code cells stay thin: they call :func:`open_report` with their
parameters and then show tables, figures and sentences through the returned
:class:`ReportView`. The same call works under papermill (results already
computed by ``impactlib report``) and in JupyterLab (results computed on the
fly from the processed tables, cleaning the study first if needed, into the
study's processed folder derived by :mod:`impactlib.config`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from impactlib.config import processed_dir
from impactlib.report.i18n import Translator
from impactlib.intake.processed import Processed, clean_study, load_processed, restrict_period
from impactlib.report.results import read_results, study_results
from impactlib.intake.study import Study, load_study

__all__ = ["open_report", "ReportView", "SMALL_GROUP"]

SMALL_GROUP = 5  # groups under this size are not shown (privacy and precision)


@dataclass
class ReportView:
    """Data, results and translations of one report."""

    study: Study
    data: Processed
    results: dict[str, pd.DataFrame]
    tr: Translator
    since: str | None = None
    until: str | None = None

    def t(self, key: str, /, **fields) -> str:
        return self.tr.t(key, **fields)

    def md(self, key: str, /, level: int = 0, **fields):
        """Show a sentence (or a heading with ``level``) as Markdown."""
        from IPython.display import Markdown

        text = self.tr.html(key, **fields)
        return Markdown(("#" * level + " " if level else "") + text)

    def table(self, frame: pd.DataFrame, labels: str | None = None):
        """Show a table with translated headers; every cell is HTML-escaped."""
        from IPython.display import HTML

        shown = frame.copy()
        if labels:
            shown.columns = [self.tr.strings.get(f"{labels}.{c}", str(c)) for c in shown.columns]
        return HTML(shown.to_html(index=False, escape=True, border=0,
                                  classes="impact-table", na_rep="–"))

    @property
    def waves(self) -> list[str]:
        """Wave keys in study order."""
        return self.study.wave_keys

    @property
    def wave_labels(self) -> dict[str, str]:
        return {w.key: w.label for w in self.study.waves}

    @property
    def dimensions(self) -> list[str]:
        """Dimensions in codebook order."""
        return list(dict.fromkeys(self.data.items["dimension"]))

    @property
    def scale_range(self) -> tuple[int, int]:
        """Smallest and largest value of the answer scales."""
        return int(self.data.items["min"].min()), int(self.data.items["max"].max())

    def label(self, wave: str) -> str:
        """The study's label of a wave (``Entrée``...), or its key."""
        return next((w.label for w in self.study.waves if w.key == str(wave)), str(wave))

    def text(self, markdown: str):
        """Show Markdown already built from the locale files (see narrative)."""
        from IPython.display import Markdown

        return Markdown(markdown)

    def bullets(self, lines: list[str]):
        """Show a list of sentences as bullets."""
        return self.text("\n".join(f"- {line}" for line in lines))

    def fig(self, figure, alt: str | None = None):
        """Show a figure as an embedded SVG image with alternative text, then close it.

        The SVG bytes are deterministic (:func:`impactlib.report.figures.to_svg_bytes`:
        text as text, sharp on a phone and on paper); the HTML report moves them
        into ``html/figures/`` (:mod:`impactlib.report.render`). The alternative
        text (for screen readers) is the figure's title and subtitle unless given.
        """
        import base64

        import matplotlib.pyplot as plt
        from IPython.display import HTML

        from impactlib.report.figures import to_svg_bytes

        if alt is None:  # the figure's title and subtitle (figures.py tags them)
            from matplotlib.text import Text

            parts = {t.get_gid(): t.get_text() for t in figure.findobj(Text)
                     if t.get_gid() in ("title", "subtitle")}
            alt = " ".join(_sentence(p) for p in (parts.get("title"), parts.get("subtitle")) if p)
        width, height = (round(v * 96) for v in figure.get_size_inches())   # CSS pixels
        data = base64.b64encode(to_svg_bytes(figure)).decode("ascii")
        plt.close(figure)
        return HTML(f'<figure class="impact-figure"><img class="impact-figure" '
                    f'alt="{html.escape(alt.replace(chr(10), " "))}" width="{width}" '
                    f'height="{height}" src="data:image/svg+xml;base64,{data}"></figure>')

    def table_of(self, frame: pd.DataFrame, section: str):
        """A table whose headers are ``section.<column>`` strings."""
        return self.table(frame, labels=section)

    @property
    def period(self) -> str:
        return self.tr.period(self.since, self.until)

    @property
    def title(self) -> str:
        return html.escape(self.study.title)


def _sentence(text: str) -> str:
    """A figure's title or subtitle as a sentence of its alternative text: on
    one line, ``$`` unescaped, a full stop added unless it ends with ``?``,
    ``!``, ``.``, ``…`` or ``:``."""
    text = " ".join(text.replace("\\$", "$").split())
    return text if text.endswith(("?", "!", ".", "…", ":")) else text + "."


def open_report(study: str | Path, processed: str | Path | bool | None = None,
                results: str | Path | None = None, since: str | None = None,
                until: str | None = None, lang: str | None = None) -> ReportView:
    """Load what a report notebook shows.

    Parameters
    ----------
    study : path to ``study.yml`` (or its folder); a relative path is taken
        from the kernel's folder, as every path in a notebook.
    processed : folder of processed tables, read when it holds them, else
        cleaned from the study and written there. None (the notebooks'
        default): the study's own processed folder, derived from its
        location (:func:`impactlib.config.processed_dir`), the same folder
        ``impactlib clean`` and ``impactlib report`` use, whatever the
        current folder. False: cleaned in memory, nothing written (for a
        quick look at a study without leaving processed tables behind).
    results : folder of ``results/*.csv``; computed from the data when None.
    since, until : ISO dates restricting the candidates (see
        :func:`impactlib.intake.processed.restrict_period`).
    lang : ``fr`` or ``en``; default: the study's language.
    """
    study_obj = load_study(study)
    if processed is None:
        processed = processed_dir(study_obj)
    if processed is not False and Path(processed, "responses.parquet").exists():
        data = load_processed(processed)
    else:
        data = clean_study(study_obj)
        if processed is not False:
            data.write(processed)
    data = restrict_period(data, since, until)
    tables = read_results(results) if results else study_results(study_obj, data, until)
    return ReportView(study=study_obj, data=data, results=tables,
                      tr=Translator(lang or study_obj.language), since=since, until=until)
