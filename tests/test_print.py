"""The board's HTML without a browser: SVG figures, the pages' frame, weight and
no external request (the browser, print and phone checks are in test_browser.py).

A small executed notebook is built here (Markdown and HTML outputs, one figure
shown twice, a table) and rendered by :func:`impactlib.report.render.render_pages`;
the demo report (``demo_report`` fixture) is weighed and every address in it read.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlparse

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from impactlib.report import figures as F  # noqa: E402
from impactlib.report.i18n import Translator  # noqa: E402
from impactlib.report.render import KEEP_TABLE_ROWS, render_pages  # noqa: E402

FR = Translator("fr")
#: The whole html/ folder of the demo report, pages, printable report and figures.
MAX_REPORT_BYTES = 1_500_000
FUNNEL = pd.DataFrame({"wave": ["T1", "T2", "T3"], "n_candidates": [309, 149, 38],
                       "retention_from_first": [1.0, 0.482, 0.123]})


class _Addresses(HTMLParser):
    """Every ``src``, ``href``, ``srcset``, ``action``, ``data`` and ``poster``
    of a page, and whether it has a ``<script>`` or a ``<base>``."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "data", "poster") and value is not None:
                self.found.append(value)
            if name == "srcset" and value:
                self.found += [part.split()[0] for part in value.split(",") if part.strip()]


def external_addresses(folder: Path) -> list[str]:
    """Addresses in ``folder``'s pages, stylesheets and SVG files that would
    make a browser fetch something from outside the folder (anything but a
    relative path to a file of the folder, ``#fragment`` or ``data:``), and
    pages with a script or a ``<base>``."""
    problems = []
    for page in sorted(folder.rglob("*.html")):
        parser = _Addresses()
        parser.feed(page.read_text(encoding="utf-8"))
        if parser.tags & {"script", "base", "iframe", "object", "embed"}:
            problems.append(f"{page.name}: {sorted(parser.tags & {'script', 'base', 'iframe'})}")
        for address in parser.found:
            url = urlparse(address)
            if url.scheme == "data" or address.startswith("#"):
                continue
            target = (page.parent / unquote(url.path)).resolve()
            if url.scheme or url.netloc or address.startswith(("/", "\\")) or not target.is_file() \
                    or folder.resolve() not in target.parents:
                problems.append(f"{page.name}: {address}")
    for sheet in sorted(folder.rglob("*.css")):
        text = sheet.read_text(encoding="utf-8")
        problems += [f"{sheet.name}: {m}" for m in re.findall(r"url\(|@import", text)]
    for svg in sorted(folder.rglob("*.svg")):
        text = svg.read_text(encoding="utf-8")
        problems += [f"{svg.name}: {m}" for m in re.findall(r'href="(?!#|data:)[^"]*"', text)]
        problems += [f"{svg.name}: {m}" for m in re.findall(r"url\((?!#)[^)]*\)|@import", text)]
    return problems


def _executed(path: Path, cells: list[list[dict]]) -> Path:
    """An executed notebook whose code cells have the given outputs."""
    nb = nbformat.v4.new_notebook()
    for outputs in cells:
        cell = nbformat.v4.new_code_cell("report.show()")
        cell.outputs = [nbformat.v4.new_output("display_data", data=o) for o in outputs]
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_markdown_cell("An evaluator's note"))
    nbformat.write(nb, path)
    return path


def _md(text: str) -> dict:
    return {"text/markdown": text, "text/plain": "<IPython.core.display.Markdown object>"}


def _figure_html(svg: bytes, alt: str) -> dict:
    data = base64.b64encode(svg).decode("ascii")
    return {"text/html": f'<figure class="impact-figure"><img class="impact-figure" alt="{alt}" '
                         f'width="480" height="300" src="data:image/svg+xml;base64,{data}">'
                         f"</figure>",
            "text/plain": "<IPython.core.display.HTML object>"}


def _table_html(rows: int) -> dict:
    frame = pd.DataFrame({"Question": [f"Q{i:02d}" for i in range(rows)],
                          "Intitulé": ["Je me sens capable de réussir ce que j'entreprends."] * rows,
                          "Paires": range(rows), "p": ["< 0,001"] * rows})
    return {"text/html": frame.to_html(index=False, classes="impact-table", border=0),
            "text/plain": "table"}


@pytest.fixture
def small_site(tmp_path):
    """Two executed notebooks rendered into ``tmp_path/html``."""
    svg = F.to_svg_bytes(F.funnel_figure(FUNNEL, FR))
    first = _executed(tmp_path / "00_synthese.ipynb", [
        [_md("# Synthèse"), _md("Une phrase **en gras**."), _figure_html(svg, "Entonnoir")],
        [_md("## Qui a répondu ?"), _table_html(3)]])
    second = _executed(tmp_path / "02_abandons.ipynb", [
        [_md("# Abandons"), _figure_html(svg, "Entonnoir"), _table_html(KEEP_TABLE_ROWS + 5)]])
    html = tmp_path / "html"
    html.mkdir()
    runs = [SimpleNamespace(name=p.stem, executed=p) for p in (first, second)]
    render_pages(html, runs, FR, 'Étude "test" </style> & co', "toutes les données", "9.9")
    return html, svg


# ---------------------------------------------------------------------------
# SVG figures
# ---------------------------------------------------------------------------


def test_svg_is_deterministic_with_text_as_text():
    first = F.to_svg_bytes(F.funnel_figure(FUNNEL, FR))
    again = F.to_svg_bytes(F.funnel_figure(FUNNEL, FR))
    assert first == again                       # a new figure, the same bytes
    text = first.decode("utf-8")
    assert text.startswith("<?xml") and "<svg" in text
    # text is text (svg.fonttype none): the title can be read, no glyph paths
    assert ">Combien de candidats ont répondu à chaque" in text
    assert "<text" in text and 'id="DejaVuSans' not in text
    # no date, no matplotlib version, no DTD, no indentation
    assert "dc:date" not in text and "Matplotlib v" not in text and "DOCTYPE" not in text
    assert not re.search(r"\n[ \t]", text)
    # drawn at the report's width: 5 in = 360 pt
    assert re.search(r'<svg[^>]* width="360pt"', text)


def test_svg_text_is_never_under_8_points():
    """8 pt across a 390 px phone: 8 * 390 / 360 = 8.7 CSS px (the browser
    test measures it on the demo report)."""
    for fig in (F.funnel_figure(FUNNEL, FR), F.diverging_bars(pd.DataFrame(), None, FR, "T1", "T2")):
        svg = F.to_svg_bytes(fig).decode("utf-8")
        sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg)]
        assert len(sizes) >= 2 and min(sizes) >= 8


# ---------------------------------------------------------------------------
# The pages' frame, on a small report
# ---------------------------------------------------------------------------


def test_pages_index_and_printable_report(small_site):
    html, svg = small_site
    names = sorted(p.name for p in html.iterdir())
    assert names == ["00_synthese.html", "02_abandons.html", "figures", "index.html",
                     "rapport.html", "report.css"]
    # the figure, shown on both pages, is one file, with the bytes of the notebook
    figures = list((html / "figures").iterdir())
    assert len(figures) == 1 and figures[0].suffix == ".svg"
    assert figures[0].read_bytes() == svg
    page = (html / "00_synthese.html").read_text(encoding="utf-8")
    assert f'src="figures/{figures[0].name}"' in page and 'alt="Entonnoir"' in page
    assert "data:image" not in page and "<style" not in page and "<script" not in page
    assert '<link rel="stylesheet" href="report.css">' in page
    assert '<html lang="fr">' in page and "<main" in page
    assert "An evaluator" not in page and "report.show" not in page    # outputs only
    assert 'href="index.html"' in page and 'href="rapport.html"' in page
    # the entry page repeats no page: no figure, no table, the list and the printable version
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "<img" not in index and "<table" not in index
    assert index.index('href="00_synthese.html"') < index.index('href="02_abandons.html"')
    assert 'href="rapport.html"' in index and "Version à imprimer" in index
    # the printable report: contents, then every page in order, headings one level down
    rapport = (html / "rapport.html").read_text(encoding="utf-8")
    assert rapport.count("<h1") == 1
    assert rapport.index('href="#part-00_synthese"') < rapport.index('href="#part-02_abandons"')
    assert (rapport.index('id="part-00_synthese"') < rapport.index("<h2>Synthèse</h2>")
            < rapport.index("<h3>Qui a répondu ?</h3>") < rapport.index('id="part-02_abandons"')
            < rapport.index("<h2>Abandons</h2>"))
    assert rapport.count(f'src="figures/{figures[0].name}"') == 2


def test_tables_scroll_in_their_box_and_small_ones_are_kept_whole(small_site):
    html, _ = small_site
    page = (html / "02_abandons.html").read_text(encoding="utf-8")
    synthesis = (html / "00_synthese.html").read_text(encoding="utf-8")
    assert '<div class="table-scroll" tabindex="0"><table class="keep dataframe' in synthesis
    assert '<div class="table-scroll" tabindex="0"><table class="dataframe' in page  # 25 rows
    # the sentence column is marked as words, the counts and p-values are not
    assert '<td class="text long">Je me sens capable' in page
    assert "<td>Q00</td>" in page and "<td>0</td>" in page and "<td>&lt; 0,001</td>" in page


def test_print_footer_is_the_study_and_period_escaped(small_site):
    html, _ = small_site
    css = (html / "report.css").read_text(encoding="utf-8")
    assert css.isascii()
    assert "size: A4" in css and 'counter(page) " / " counter(pages)' in css
    footer = re.search(r'@bottom-left \{\s*content: ("[^"\n]*");', css).group(1)
    # every character but letters, digits and spaces is a CSS hex escape, read
    # as CSS does: up to 6 hex digits, then one space taken as the escape's end
    decoded = re.sub(r"\\([0-9a-f]{1,6}) ?", lambda m: chr(int(m.group(1), 16)), footer[1:-1])
    assert decoded == 'Étude "test" </style> & co — toutes les données'


def test_small_report_fetches_nothing(small_site):
    html, _ = small_site
    assert external_addresses(html) == []


def test_the_address_check_catches_what_leaves_the_folder(tmp_path):
    (tmp_path / "a.html").write_text(
        '<img src="https://cdn.example/x.png"><link href="//fonts.example/f.css">'
        '<a href="/etc/passwd">x</a><a href="missing.html">y</a><a href="#ok">z</a>'
        '<img src="data:image/png;base64,AA=="><script></script>', encoding="utf-8")
    (tmp_path / "s.css").write_text("@import 'x.css'; a { background: url(x.png) }",
                                    encoding="utf-8")
    (tmp_path / "f.svg").write_text('<svg><image href="http://x/y.png"/><use href="#a"/></svg>',
                                    encoding="utf-8")
    problems = "\n".join(external_addresses(tmp_path))
    for expected in ("https://cdn.example", "//fonts.example", "/etc/passwd", "missing.html",
                     "['script']", "url(", "@import", "http://x/y.png"):
        assert expected in problems, expected
    assert "#ok" not in problems and "data:" not in problems and "#a" not in problems


# ---------------------------------------------------------------------------
# The demo report
# ---------------------------------------------------------------------------


def test_demo_report_is_light_and_fetches_nothing(demo_report):
    html = demo_report / "html"
    files = [p for p in html.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total < MAX_REPORT_BYTES, f"{total} bytes"
    assert external_addresses(html) == []
    assert (html / "rapport.html").exists() and (html / "report.css").exists()
    # figures are SVG files shared by the pages and the printable report
    svgs = list((html / "figures").glob("*.svg"))
    assert len(svgs) >= 20 and not list((html / "figures").glob("*.png"))
    rapport = (html / "rapport.html").read_text(encoding="utf-8")
    assert {m for m in re.findall(r'src="figures/([^"]+)"', rapport)} == {p.name for p in svgs}
    sizes = {}
    for page in html.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "data:image" not in text and "<style" not in text, page.name
        sizes[page.name] = len(text.encode("utf-8"))
    rapport_size = sizes.pop("rapport.html")
    for name, size in sizes.items():
        assert size < 100_000, name                                  # 257 KB of CSS before
    # the printable report gathers the pages: it weighs no more than they do, plus
    # its table of contents (it grows with the pages, not with anything of its own)
    gathered = sum(size for name, size in sizes.items() if name != "index.html")
    assert rapport_size < gathered + 10_000, (rapport_size, gathered)
