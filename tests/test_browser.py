"""The report in a real browser: Debian's headless Chromium, driven by Playwright.

Opens ``html/index.html``, follows every link between the pages, and fails on
a missing image, a broken link or anchor, a failed request or a console error.
Prints every page and ``rapport.html`` to PDF as a board member would ("save
as PDF"), and checks A4, the number of pages and that no figure is split
across two pages. Shows every page on a 390 px phone: nothing scrolls
sideways, figures fit and their text stays readable.

Chromium and poppler-utils (``pdfinfo``, ``pdftotext``) are installed by the
task runner (Debian's packages); where they cannot be, the tests are skipped
with the reason, except under ``CI=true``, where they fail.

How "no figure split" is checked: pagination exists only in the printed
document (the screen layout, even with print media emulated, is one long
page whose coordinates say nothing of where Chromium breaks pages, since
``break-inside: avoid`` moves figures down). So the test prints the real
PDF, with two invisible marks added inside every ``<figure>`` (a tiny white
line of text at its top and at its bottom, ``FIGSTART<n>X`` and
``FIGEND<n>X``), and reads on which page each mark landed with ``pdftotext``:
a figure is whole when both of its marks are on the same page. The marks are
part of the figure's box, so they move with it, and add 2 × 4 px to a figure
hundreds of pixels tall. Rasterising pages (``pdftoppm``) and looking for a
figure's edges was the other way; it depends on colours and antialiasing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    reason = None
    if path is None:
        reason = "Debian's chromium is not installed (make test installs it as root: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[test]')"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI: {reason}")
        pytest.skip(reason)
    return path


def _poppler() -> None:
    """pdfinfo and pdftotext (Debian's poppler-utils), or skip (fail under CI)."""
    missing = [cmd for cmd in ("pdfinfo", "pdftotext") if shutil.which(cmd) is None]
    if missing:
        reason = f"{' and '.join(missing)} missing (apt-get install poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(f"the print test must run in CI: {reason}")
        pytest.skip(reason)


#: A4 in PDF points (210 x 297 mm); Chromium writes 594.96 x 841.92.
A4 = (595.28, 841.89)
#: Two invisible marks inside every figure: at its top and at its bottom.
FIGURE_MARKS = """
figure.impact-figure::before, figure.impact-figure::after {
  display: block; font: 4px/4px sans-serif; color: #fff; }
figure.impact-figure::before { content: "FIGSTART" attr(data-mark) "X"; }
figure.impact-figure::after { content: "FIGEND" attr(data-mark) "X"; }
"""
#: Printed pages of the demo report's pages, at most (measured with the figure
#: marks: 2, 1, 4, 21, 8, 1; before the print stylesheet, on Letter paper:
#: 2, 2, 5, 24, 15, 2); any other page: 10. rapport.html: its first page
#: (contents) and then each page's sheets.
#: Issue 15 added a page to two of them: the tipping-point figure (02_abandons,
#: 4 -> 5) and the T2 -> T3 rows of the model table (04_dimensions, 8 -> 9).
MAX_PAGES = {"index": 1, "00_synthese": 2, "01_qualite": 2, "02_abandons": 5,
             "03_questions": 21, "04_dimensions": 9, "05_echantillon": 2}
#: Smallest text of a figure on a 390 px phone, in CSS pixels.
MIN_PHONE_TEXT_PX = 8.5


def print_pdf(page, html: Path, pdf: Path) -> int:
    """Print ``html`` to ``pdf`` as "save as PDF" does (A4 unless the page sets
    another size), with the figure marks; return the number of figures."""
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    figures = page.evaluate("""() => {
        const all = [...document.querySelectorAll('figure.impact-figure')];
        all.forEach((f, i) => f.dataset.mark = String(i));
        return all.length; }""")
    page.add_style_tag(content=FIGURE_MARKS)
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True, print_background=True)
    return figures


def pdf_pages(pdf: Path) -> tuple[int, tuple[float, float]]:
    """Number of pages and size of the first, in points (pdfinfo)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    return pages, (float(size.group(1)), float(size.group(2)))


def split_figures(pdf: Path, figures: int) -> list[str]:
    """Figures whose top and bottom marks are not on the same printed page."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, encoding="utf-8", check=True).stdout
    where: dict[str, set[int]] = {}
    for number, content in enumerate(text.split("\f"), start=1):
        for kind, mark in re.findall(r"FIG(START|END)(\d+)X", content.replace(" ", "")):
            where.setdefault(f"{kind}{mark}", set()).add(number)
    problems = []
    for i in range(figures):
        start, end = where.get(f"START{i}", set()), where.get(f"END{i}", set())
        if len(start) != 1 or start != end:
            problems.append(f"figure {i}: top on page(s) {sorted(start)}, bottom on {sorted(end)}")
    return problems


def check_site(index: Path, executable: str, screenshot: Path | None = None):
    """Visit every page reachable from ``index``; return (problems, pages seen)."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    seen: set[Path] = set()
    todo = [index]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        while todo:
            target = todo.pop()
            if target in seen:
                continue
            seen.add(target)
            page.goto(target.as_uri())
            page.wait_for_load_state("load")
            for src, ok in page.eval_on_selector_all(
                    "img", "els => els.map(e => [e.src.slice(0, 40), e.complete && e.naturalWidth > 0])"):
                if not ok:
                    problems.append(f"{target.name}: image not shown ({src}...)")
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                url = urlparse(href)
                if url.scheme in ("http", "https"):
                    problems.append(f"{target.name}: link leaves the report ({href})")
                    continue
                file = target if not url.path else (target.parent / unquote(url.path)).resolve()
                if not file.exists():
                    problems.append(f"{target.name}: broken link {href}")
                    continue
                if url.fragment and file == target:
                    # as browsers do: the fragment as written, then percent-decoded
                    found = page.evaluate(
                        "ids => ids.some(id => document.getElementById(id) !== null)",
                        [url.fragment, unquote(url.fragment)])
                    if not found:
                        problems.append(f"{target.name}: broken anchor {href}")
                if file.suffix == ".html":
                    todo.append(file)
            if screenshot is not None and target == index:
                page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return problems, seen


def test_report_pages_links_images_and_console(demo_report, tmp_path):
    executable = _chromium()
    html = demo_report / "html"
    problems, seen = check_site(html / "index.html", executable, tmp_path / "index.png")
    assert not problems, "\n".join(problems)
    assert {p.name for p in seen} == {p.name for p in html.glob("*.html")}
    assert (tmp_path / "index.png").stat().st_size > 10_000


def test_the_check_catches_broken_pages(tmp_path):
    executable = _chromium()
    (tmp_path / "index.html").write_text(
        '<html><body><img src="missing.png"><a href="gone.html">x</a><a href="#nowhere">y</a>'
        '<a href="two.html">z</a><script>console.error("boom")</script></body></html>',
        encoding="utf-8")
    (tmp_path / "two.html").write_text("<html><body><script>undefinedFunction()</script>"
                                       "</body></html>", encoding="utf-8")
    problems, seen = check_site(tmp_path / "index.html", executable)
    text = "\n".join(problems)
    for expected in ("image not shown", "broken link gone.html", "broken anchor #nowhere",
                     "console: boom", "page error"):
        assert expected in text, expected
    assert len(seen) == 2


def test_printed_pages_are_a4_and_no_figure_is_split(demo_report, tmp_path):
    executable = _chromium()
    _poppler()
    from playwright.sync_api import sync_playwright

    html = demo_report / "html"
    problems, counts = [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        for target in sorted(html.glob("*.html")):
            pdf = tmp_path / f"{target.stem}.pdf"
            figures = print_pdf(page, target, pdf)
            pages, size = pdf_pages(pdf)
            counts[target.stem] = pages
            if abs(size[0] - A4[0]) > 1 or abs(size[1] - A4[1]) > 1:
                problems.append(f"{target.name}: page size {size}, not A4")
            if target.stem != "rapport" and pages > MAX_PAGES.get(target.stem, 10):
                problems.append(f"{target.name}: {pages} pages, at most {MAX_PAGES.get(target.stem, 10)}")
            problems += [f"{target.name}: {m}" for m in split_figures(pdf, figures)]
        browser.close()
    assert not problems, "\n".join(problems + [f"pages: {counts}"])
    # the printable report: its contents page, then every page from a new sheet
    # (a section can take a sheet less than its page: its headings are a level down)
    pages = [n for name, n in counts.items() if name not in ("rapport", "index")]
    assert 1 + len(pages) <= counts["rapport"] <= 1 + sum(pages), counts


def test_the_split_check_catches_a_split_figure(tmp_path):
    executable = _chromium()
    _poppler()
    from playwright.sync_api import sync_playwright

    (tmp_path / "page.html").write_text(
        '<html><body><p style="height:1060px">text</p>'
        '<figure class="impact-figure"><div style="height:120px;background:#ddd"></div></figure>'
        '<figure class="impact-figure" style="break-inside:auto">'
        '<div style="height:1600px;background:#ddd"></div></figure>'
        '<figure class="impact-figure" style="break-inside:avoid">'
        '<div style="height:200px;background:#ddd"></div></figure></body></html>',
        encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        figures = print_pdf(browser.new_page(), tmp_path / "page.html", tmp_path / "page.pdf")
        browser.close()
    assert figures == 3
    problems = split_figures(tmp_path / "page.pdf", figures)
    # the 1,600 px figure cannot fit a page; the first one straddles the first page's end
    assert [p.split(":")[0] for p in problems] == ["figure 0", "figure 1"]
    pages, size = pdf_pages(tmp_path / "page.pdf")
    assert pages >= 3 and abs(size[0] - A4[0]) < 1


def test_phone_no_sideways_scroll_and_readable_figures(demo_report):
    """At 390 px: the page never scrolls sideways (a wide table scrolls in its
    own box), every figure fits the screen, and the smallest text of each SVG
    figure, scaled as shown, is at least MIN_PHONE_TEXT_PX CSS pixels."""
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    html = demo_report / "html"
    problems, smallest = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=3,
                                is_mobile=True, has_touch=True)
        for target in sorted(html.glob("*.html")):
            page.goto(target.as_uri())
            page.wait_for_load_state("load")
            width, scroll = page.evaluate("[innerWidth, document.documentElement.scrollWidth]")
            if scroll > width:
                problems.append(f"{target.name}: scrolls sideways ({scroll} > {width} px)")
            for src, left, right, shown in page.eval_on_selector_all(
                    "img.impact-figure, .table-scroll",
                    "els => els.map(e => { const r = e.getBoundingClientRect();"
                    " return [e.getAttribute('src') || 'table', r.left, r.right, r.width]; })"):
                if left < -0.5 or right > width + 0.5:
                    problems.append(f"{target.name}: {src} spans {left:.0f}-{right:.0f} px")
                if src.endswith(".svg"):
                    svg = (target.parent / unquote(src)).read_text(encoding="utf-8")
                    view = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
                    fonts = [float(f) for f in re.findall(r"font-size: ([\d.]+)px", svg)]
                    px = min(fonts) * shown / view
                    smallest.append(px)
                    if px < MIN_PHONE_TEXT_PX:
                        problems.append(f"{target.name}: {src}: text of {px:.1f} CSS px")
        browser.close()
    assert not problems, "\n".join(problems)
    assert len(smallest) >= 20          # every figure of the demo was measured
