"""The board's HTML pages from executed notebooks (nbconvert, ``board`` template).

Outputs only: no code, no evaluator notes; images inline. ``index.html`` is
the first page (the synthesis) with the list of every page.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from impactlib import config
from impactlib.report.i18n import Translator

__all__ = ["render_html", "render_pages"]


def render_html(executed: Path, target: Path, title: str, tr: Translator,
                 **resources) -> None:
    """The board's page: outputs only (no code, no evaluator notes), images inline.

    ``resources`` reach the ``board`` template: ``impact_back`` (link to the
    index), ``impact_contents`` (the index's list of pages), ``impact_footer``.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(extra_template_basedirs=[str(config.TEMPLATES_DIR)],
                            template_name="board",
                            exclude_input=True, exclude_markdown=True,
                            exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    exporter.language_code = tr.lang
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    target.write_text(body, encoding="utf-8")


def render_pages(html_dir: Path, runs: list, tr: Translator, study_title: str,
                  period: str, version: str) -> None:
    """One page per notebook, and ``index.html``: the first page (the synthesis)
    with the list of every page."""
    titles = [(f"{r.name}.html", tr.strings.get("index.notebooks." + r.name, r.name)) for r in runs]
    footer = [tr.t("common.no_code_note"),
              tr.t("common.generated", date=dt.date.today().isoformat(), version=version)]
    for r, (href, title) in zip(runs, titles):
        render_html(r.executed, html_dir / href, title, tr, impact_back=tr.t("nav.back"),
                     impact_footer=footer)
    render_html(runs[0].executed, html_dir / "index.html",
                 f"{tr.t('index.title')} - {study_title}", tr,
                 impact_contents=titles, impact_contents_title=tr.t("index.contents"),
                 impact_lead=tr.t("index.intro", title=study_title, period=period),
                 impact_footer=footer)
