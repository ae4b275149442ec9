"""The built site in a real browser (headless Chromium driven by Playwright).

Runs only when given a built site: ``pytest tests/test_site.py --site _build/quick/_build/html``
(``make test`` does this after its quick build). For every page: it loads without console
errors or failed requests, requests nothing from outside the site, all internal links and
anchors resolve, every image is present and decoded, math is typeset by MathJax without errors,
and a chapter page has its figures and a Colab button that points to the chapter's committed
notebook in the book's repository. Solution toggles open on click. A full-page screenshot of
each page is written to ``<site>/../screenshots/`` for a person to look at.

Chromium: Debian's ``chromium`` (``/usr/bin/chromium``, or ``$CHROMIUM``). Without it the tests
are skipped, unless ``MD_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which makes them fail.
"""

import functools
import http.server
import os
import re
import shutil
import threading
import urllib.parse
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser

_SKIP_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static", "reports", "_panels_static"}
_REFRESH = re.compile(r'http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"', re.I)
_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def site(request) -> Path:
    option = request.config.getoption("--site")
    if not option:
        pytest.skip("no --site given (make test passes the quick build's html)")
    path = Path(option).resolve()
    if not (path / "index.html").is_file():
        pytest.fail(f"--site {path} has no index.html: build the book first")
    return path


def _pages(site: Path) -> list[str]:
    pages = []
    for html in sorted(site.rglob("*.html")):
        rel = html.relative_to(site)
        if not (set(rel.parts[:-1]) & _SKIP_DIRS):
            pages.append(rel.as_posix())
    return pages


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        if os.environ.get("MD_REQUIRE_BROWSER") == "1":
            pytest.fail("MD_REQUIRE_BROWSER=1 but no chromium found (apt-get install chromium)")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=_FLAGS)
        yield b
        b.close()


@functools.lru_cache(maxsize=None)
def _ids(path: Path) -> frozenset[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return frozenset(re.findall(r'\bid="([^"]+)"', text))


def _visit(browser, server, site, page_path, shots: Path):
    """Load one page and return what was seen on it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside, errors, failed = [], [], []

    def route(r):
        if r.request.url.startswith(server) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url) if r.url.startswith(server) else None)
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(server + page_path, wait_until="load")
    # a redirect page (the site's index.html) navigates again after "load": wait for its target,
    # or the checks below would run in a page that is being replaced
    redirect = _REFRESH.search((site / page_path).read_text(encoding="utf-8", errors="replace"))
    if redirect:
        page.wait_for_url(urllib.parse.urljoin(server + page_path, redirect.group(1)), wait_until="load")
    has_math = page.locator("span.math, div.math").count() > 0
    if has_math:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=30_000)
        page.evaluate("() => MathJax.startup.promise")
    seen = page.evaluate("""() => ({
        links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
        images: Array.from(document.images).map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0})),
        mjx: document.querySelectorAll('mjx-container').length,
        mjxErrors: document.querySelectorAll('mjx-merror').length,
        cellImages: document.querySelectorAll('.cell_output img').length,
        colab: Array.from(document.querySelectorAll('a[href*="colab.research.google.com"]')).map(a => a.href),
    })""")
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / (page_path.replace("/", "__").removesuffix(".html") + ".png")),
                    full_page=True)
    seen.update(outside=outside, errors=errors, failed=failed, has_math=has_math, page=page,
                context=context)
    return seen


def _check_links(seen, server, site, page_path) -> list[str]:
    broken = []
    for href in seen["links"]:
        if not href.startswith(server):
            continue
        parsed = urllib.parse.urlparse(href)
        target = site / urllib.parse.unquote(parsed.path.removeprefix("/"))
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{href} (no file)")
        elif parsed.fragment and target.suffix == ".html" and parsed.fragment not in _ids(target):
            broken.append(f"{href} (no anchor)")
    return broken


def _notebook_of(colab_url: str, config: dict) -> Path:
    """The local file a Colab button opens, after checking the repository and branch."""
    match = re.fullmatch(r"https://colab\.research\.google\.com/github/([^/]+)/([^/]+)/blob/([^/]+)/(.+)",
                         colab_url)
    assert match, f"unexpected Colab URL {colab_url}"
    org, repo, branch, path = match.groups()
    expected = urllib.parse.urlparse(config["repository"]["url"]).path.strip("/")
    assert f"{org}/{repo}" == expected and branch == config["repository"]["branch"], colab_url
    return ROOT / path


def test_every_page_in_a_browser(site, server, browser):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    shots = site.parent / "screenshots"
    pages = _pages(site)
    assert "index.html" in pages and any(p.startswith("chapters/") for p in pages)
    problems: list[str] = []
    for page_path in pages:
        seen = _visit(browser, server, site, page_path, shots)
        try:
            where = f"{page_path}:"
            problems += [f"{where} console error: {e}" for e in seen["errors"]]
            problems += [f"{where} failed request: {f}" for f in seen["failed"]]
            problems += [f"{where} requested outside the site: {u}" for u in seen["outside"]]
            problems += [f"{where} broken link {b}" for b in _check_links(seen, server, site, page_path)]
            problems += [f"{where} image not loaded: {i['src']}" for i in seen["images"] if not i["ok"]]
            if seen["has_math"] and seen["mjx"] == 0:
                problems.append(f"{where} math present but MathJax typeset nothing")
            if seen["mjxErrors"]:
                problems.append(f"{where} {seen['mjxErrors']} MathJax errors")
            source = ROOT / Path(page_path).with_suffix(".md")
            notebook = source.with_suffix(".ipynb")
            if notebook.is_file():  # a chapter with code: figures and a working Colab button
                if "plot" in source.read_text() and seen["cellImages"] == 0:
                    problems.append(f"{where} a chapter with plots shows no figure")
                if not seen["colab"]:
                    problems.append(f"{where} no Colab button")
                for url in set(seen["colab"]):
                    target = _notebook_of(url, config)
                    if target != notebook:
                        problems.append(f"{where} Colab button opens {target}, not {notebook}")
        finally:
            seen["context"].close()
    assert not problems, "\n".join(problems)
    assert len(list(shots.glob("*.png"))) == len(pages)


def test_solutions_are_hidden_until_toggled(site, server, browser):
    pages = [p for p in _pages(site) if "solution" in (site / p).read_text(encoding="utf-8")]
    assert pages, "no page with a solution"
    context = browser.new_context()
    try:
        page = context.new_page()
        checked = 0
        for page_path in pages:
            page.goto(server + page_path, wait_until="load")
            solutions = page.locator("div.solution.dropdown, details.solution")
            for i in range(solutions.count()):
                solution = solutions.nth(i)
                body = solution.locator("section, .admonition-title ~ *").first
                assert not body.is_visible(), f"{page_path}: solution {i} is visible before the toggle"
                # the toggle button sphinx-togglebutton adds to the title (clicking the title text
                # itself may hit the link to the exercise instead)
                toggle = solution.locator("button.toggle-button")
                (toggle if toggle.count() else solution.locator("summary, .admonition-title")).first.click()
                body.wait_for(state="visible", timeout=5_000)
                checked += 1
        assert checked > 0, "found no dropdown solutions"
    finally:
        context.close()
