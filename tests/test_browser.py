"""The report in a real browser: Debian's headless Chromium, driven by Playwright.

Opens ``html/index.html``, follows every link between the pages, and fails on
a missing image, a broken link or anchor, a failed request or a console error.
Chromium is installed by ``make test`` (Debian's package); where it cannot be,
the test is skipped with the reason, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import shutil
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
