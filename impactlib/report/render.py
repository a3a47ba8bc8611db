"""The board's HTML pages from executed notebooks.

What :func:`render_pages` writes into ``DIR/html/``:

=====================  ====================================================
``index.html``         the entry page: the study, its period, the list of
                       pages and the link to the printable version
``<notebook>.html``    one page per notebook (``00_synthese.html`` first):
                       outputs only, no code, no evaluator notes
``rapport.html``       every page in order (the synthesis first) after a
                       table of contents, one page break between them: the
                       document to print, or save as PDF, from a browser
``report.css``         the one stylesheet: screen, phone (390 px) and A4
                       paper
``figures/*.svg``      the figures, one file each, named by a hash of their
                       bytes, shared by the pages and ``rapport.html``
=====================  ====================================================

Everything is relative to ``html/``: the folder works from a disk, a zip or
a mail, nothing is fetched from elsewhere (no font, no CDN, no script) and
nothing runs. The pages read in order without the stylesheet.

Choices, with what was measured on the demo report (309 candidates)
--------------------------------------------------------------------
Before: 5.0 MB (index.html 314 KB, 03_questions 2.6 MB of which 2.3 MB of
base64 PNG, 257 KB of CSS in each page); printed on Letter, 03_questions
took 24 sheets and 04_dimensions 15. After: about 1 MB in all (pages of 2 to
30 KB, rapport.html 70 KB, figures 850 KB); A4, 03_questions on 20 sheets
(its 12 answer-bar figures are each too tall to share a sheet), 04_dimensions
on 8.

* **The entry page is not the synthesis.** ``index.html`` used to repeat
  ``00_synthese`` whole, figures included. Now it is a short page (the
  study, the period, the pages, the printable version) and each notebook
  has exactly one page, whose name is the notebook's: links, bookmarks and
  the sections of ``rapport.html`` map one to one to notebooks, and the
  synthesis is the first link. Making ``index.html`` the synthesis and
  dropping ``00_synthese.html`` was the other choice: one click less, but
  the first notebook would then have two names depending on where it is
  linked from.
* **A lean template.** nbconvert's ``lab`` template inlined 257 KB of
  JupyterLab's CSS into every page; the ``board`` template
  (``templates/board/index.html.j2``, on nbconvert's ``base``) writes the
  outputs as plain HTML (headings, paragraphs, lists, tables, figures) and
  :file:`templates/board/page.html.j2` puts them in a page linking
  ``report.css`` (about 6 KB, written once).
* **Figures are SVG files.** With text as text (see
  :func:`impactlib.report.figures.to_svg_bytes`) a figure stays sharp when a
  phone scales it to its width and when it is printed; the demo's figures
  weigh about half their PNG (and PNG in a page is base64, a third more).
  The figures are drawn 5 in wide (:data:`impactlib.report.figures.WIDTH`)
  with no text under 8 pt: about 9 CSS px across a 390 px phone, their
  drawn size on paper. They are files rather than inline so that ``rapport.html``
  and the pages share them instead of carrying each figure twice (the
  executed notebooks keep them embedded, for JupyterLab).
* **Print.** ``report.css`` sets A4, margins, page numbers ("3 / 12") and
  the study and period at the foot of every page (CSS ``@page`` margin
  boxes: Chrome and Edge 131 or later; other browsers print without them,
  or with their own header and footer); figures, table rows and tables of up to
  :data:`KEEP_TABLE_ROWS` rows are never split across pages, headings stay
  with what follows, navigation is hidden and links print as text. A
  figure prints at its drawn size, or smaller only when taller than a page
  (the forest plot of 30 questions, 14 in: its text then prints at about
  6 pt; drawing it per dimension would avoid that). The
  table of contents of ``rapport.html`` has no page numbers: browsers
  cannot write the page a link lands on (``target-counter``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from impactlib import config
from impactlib.report.i18n import Translator

__all__ = ["render_pages", "render_body", "FigureFiles", "STYLESHEET", "RAPPORT",
           "FIGURES", "KEEP_TABLE_ROWS"]

STYLESHEET = "report.css"
RAPPORT = "rapport.html"
FIGURES = "figures"
#: Tables with at most this many rows are printed whole on one page.
KEEP_TABLE_ROWS = 20

_BOARD = config.TEMPLATES_DIR / "board"
_DATA_IMAGE = re.compile(r'src="data:image/(svg\+xml|png|jpeg);base64,([A-Za-z0-9+/=\s]+)"')
_EXTENSIONS = {"svg+xml": ".svg", "png": ".png", "jpeg": ".jpg"}
_TABLE = re.compile(r"<table\b([^>]*)>(.*?)</table>", re.S)
_HEADING = re.compile(r"<(/?)h([1-5])(?=[\s>])")


class FigureFiles:
    """Images embedded in the notebooks' outputs, written once each to a folder.

    A file is named by the first 16 hex digits of its bytes' SHA-256, so the
    same figure on two pages is one file and the names do not change from
    one run to the next when the figures do not.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.written: dict[str, int] = {}

    def extract(self, html: str) -> str:
        """``html`` with each ``src="data:image/...;base64,..."`` replaced by
        ``src="figures/<hash>.<ext>"``, the file written."""
        return _DATA_IMAGE.sub(self._replace, html)

    def _replace(self, match: re.Match) -> str:
        try:
            data = base64.b64decode("".join(match.group(2).split()), validate=True)
        except (binascii.Error, ValueError):
            return match.group(0)       # not base64 after all: left as it was
        name = hashlib.sha256(data).hexdigest()[:16] + _EXTENSIONS[match.group(1)]
        if name not in self.written:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / name).write_bytes(data)
            self.written[name] = len(data)
        return f'src="{self.folder.name}/{name}"'


_ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S)
_CELL = re.compile(r"<(t[dh])\b([^>]*)>(.*?)</\1>", re.S)


def _is_words(text: str) -> bool:
    """A cell of words: letters and no digit (``Entrée``), or more than three
    words (a question's text); ``0,49``, ``24 %``, ``[0,34 ; 0,64]``,
    ``p < 0,001``, ``moins de 5``, ``Q01``, ``–`` are not."""
    if not re.search(r"[^\W\d_]", text):
        return False
    return not re.search(r"\d", text) or len(text.split()) > 3


def _text_columns(inner: str) -> dict[int, str]:
    """Columns of a table's body that hold words rather than numbers, and
    their class: ``text``, or ``text long`` for sentences (over 40 characters)."""
    longest: dict[int, int] = {}
    for row in _ROW.findall(inner.split("<tbody>", 1)[-1]):
        for i, (_, _, cell) in enumerate(_CELL.findall(row)):
            text = re.sub(r"<[^>]+>", "", cell).strip()
            if _is_words(text):
                longest[i] = max(longest.get(i, 0), len(text))
    return {i: "text long" if n > 40 else "text" for i, n in longest.items()}


def _tables(html: str) -> str:
    """Each table in a box that scrolls sideways when the screen is narrower
    (focusable, so that a keyboard scrolls it too); cells of columns holding
    words are marked ``text`` (left-aligned, wrapped; numbers stay on one
    line), and ``long`` for sentences (given the room); a table of at most :data:`KEEP_TABLE_ROWS` rows is marked
    ``keep`` (not split across printed pages)."""
    def mark(row: re.Match, columns: dict[int, str]) -> str:
        index = iter(range(10 ** 6))

        def cell(c: re.Match) -> str:
            tag, attrs, content = c.groups()
            kind = columns.get(next(index))
            if kind:
                attrs = (re.sub(r'\bclass="', f'class="{kind} ', attrs, count=1)
                         if re.search(r'\bclass="', attrs) else attrs + f' class="{kind}"')
            return f"<{tag}{attrs}>{content}</{tag}>"
        return _CELL.sub(cell, row.group(0))

    def wrap(match: re.Match) -> str:
        attrs, inner = match.group(1), match.group(2)
        columns = _text_columns(inner)
        inner = _ROW.sub(lambda row: mark(row, columns), inner)
        if len(_ROW.findall(inner)) <= KEEP_TABLE_ROWS + 1:     # + the header row
            attrs = (re.sub(r'\bclass="', 'class="keep ', attrs, count=1)
                     if re.search(r'\bclass="', attrs) else attrs + ' class="keep"')
        return f'<div class="table-scroll" tabindex="0"><table{attrs}>{inner}</table></div>'
    return _TABLE.sub(wrap, html)


def render_body(executed: Path, figures: FigureFiles, lang: str = "fr") -> str:
    """The outputs of an executed notebook as plain HTML (no code, no
    Markdown cells, no prompts), its figures moved into ``figures``."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(extra_template_basedirs=[str(config.TEMPLATES_DIR)],
                            template_name="board",
                            exclude_input=True, exclude_markdown=True, exclude_raw=True,
                            exclude_unknown=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_anchor_links=True)
    exporter.language_code = lang
    exporter.register_filter("board_html", lambda html: _tables(figures.extract(str(html))))
    body, _ = exporter.from_notebook_node(nb)
    return body.strip()


@dataclass
class _Section:
    name: str
    href: str
    title: str
    body: str

    @property
    def id(self) -> str:
        return "part-" + re.sub(r"[^\w-]", "-", self.name)


def _one_level_down(html: str) -> str:
    """Headings ``h1``-``h5`` one level lower (a page's ``h1`` becomes a
    section's ``h2`` under the printable report's own ``h1``)."""
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}", html)


def _css_string(text: str) -> str:
    """``text`` as a CSS string, every character but plain ASCII letters,
    digits and spaces written as a hex escape (safe in any encoding). Each
    escape ends with a space, which CSS reads as its end (a space after an
    escape is always taken as such; the text's own spaces stay)."""
    return '"' + "".join(c if (c.isascii() and (c.isalnum() or c == " ")) else f"\\{ord(c):06x} "
                         for c in text) + '"'


def _stylesheet(footer: str) -> str:
    """``report.css`` with the text at the foot of every printed page."""
    css = (_BOARD / STYLESHEET).read_text(encoding="utf-8")
    return (css.rstrip("\n") + "\n\n/* at the foot of every printed page */\n"
            "@page {\n  @bottom-left {\n    content: " + _css_string(footer) + ";\n"
            "    font-family: system-ui, Arial, sans-serif; font-size: 8pt; color: #444;\n"
            "  }\n}\n")


def render_pages(html_dir: Path, runs: list, tr: Translator, study_title: str,
                 period: str, version: str) -> None:
    """Write the board's HTML into ``html_dir`` (see the module's notes).

    Parameters
    ----------
    html_dir : the (empty) ``html`` folder of the report being built
    runs : the executed notebooks, in report order (``name``, ``executed``)
    tr : the report's language
    study_title, period : shown on the entry page, the printable report and
        at the foot of every printed page
    version : impactlib's version, for the pages' footer
    """
    import jinja2
    from markupsafe import Markup

    def escaped(value):
        """Text escaped for HTML as nbconvert does it (``&``, ``<``, ``>``,
        and ``"`` for attributes; the apostrophe of "d'impact" stays one)."""
        if isinstance(value, Markup) or not isinstance(value, str):
            return value
        return Markup(html.escape(value, quote=False).replace('"', "&quot;"))

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_BOARD)),
                             autoescape=True, finalize=escaped, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    page = env.get_template("page.html.j2")
    figures = FigureFiles(html_dir / FIGURES)
    sections = [_Section(r.name, quote(f"{r.name}.html"),
                         tr.strings.get("index.notebooks." + r.name, r.name),
                         render_body(r.executed, figures, tr.lang))
                for r in runs]
    words = {"back": tr.t("nav.back"), "print": tr.t("pages.print"),
             "print_hint": tr.t("pages.print_hint"), "contents": tr.t("index.contents"),
             "nav_label": tr.t("pages.nav")}
    common = {"lang": tr.lang, "words": words, "study": study_title,
              "footer": [tr.t("common.no_code_note"),
                         tr.t("common.generated", date=dt.date.today().isoformat(),
                              version=version)]}
    heading = tr.t("index.title")
    lead = tr.t("index.intro", title=study_title, period=period)

    def write(name: str, **fields) -> None:
        (html_dir / name).write_text(page.render(**common, **fields), encoding="utf-8",
                                     newline="\n")

    for s in sections:
        write(f"{s.name}.html", kind="page", title=f"{s.title} - {study_title}",
              body=Markup(s.body))
    write("index.html", kind="index", title=f"{heading} - {study_title}", heading=heading,
          lead=lead, sections=[{"href": s.href, "title": s.title} for s in sections])
    write(RAPPORT, kind="rapport", title=f"{heading} - {study_title}", heading=heading,
          lead=lead,
          sections=[{"href": "#" + s.id, "title": s.title, "id": s.id,
                     "html": Markup(_one_level_down(s.body))} for s in sections])
    (html_dir / STYLESHEET).write_text(
        _stylesheet(tr.t("pages.footer", title=study_title, period=period)),
        encoding="utf-8", newline="\n")
