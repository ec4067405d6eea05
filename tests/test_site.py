"""The website, rendered by Quarto and read in a real browser.

The site is rendered ONCE per test session into a temporary folder (a copy of
the project's pages, so the checkout is never touched), served over HTTP on
127.0.0.1 and visited with Chromium driven by Playwright. Every request that
leaves 127.0.0.1 is refused, except MathJax and jQuery, which are answered
from npm's packages so that math really typesets offline. Each page is loaded
in a fresh browser context (nothing cached), checked, and its transfer size
and load time are printed at the end of the session.

Needs: Quarto (``$QUARTO``, else ``quarto`` on the PATH), a Chromium or Chrome
(``$COURSE_BROWSER``, else ``chromium``/``google-chrome`` on the PATH), and
npm's ``mathjax`` and ``jquery`` in ``$COURSE_SITE_JS`` (default
``~/.cache/course-site-js``; installed there with npm when missing). Without
them these tests are skipped with one line saying why, unless
``COURSE_REQUIRE_SITE=1`` (set by ``.ci/run``): then a missing piece, an
empty render or a page that was not found is a failure. For debugging,
``COURSE_SITE_BUILT=/path/to/_site`` checks a site rendered earlier instead
(ignored when ``COURSE_REQUIRE_SITE=1``), and ``COURSE_SITE_SCREENSHOTS=/some/dir``
saves a screenshot of the top of each page there.

One chapter is also read in both colour schemes (light and dark, with Quarto's toggle): computed
colours give each text sample's contrast, what lies behind the figures, and whether the animation
player's play button shows a glyph with Font Awesome's CDN refused; a screenshot of each theme is
saved (theme-light-*.png, theme-dark-*.png) in ``COURSE_SITE_SCREENSHOTS`` or a temporary folder.

The configuration checks that need none of this are in test_site_config.py.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
PAGES = ["index.html", "results.html"] + [f"chapters/{nb.stem}.html" for nb in CHAPTERS]
REQUIRE = os.environ.get("COURSE_REQUIRE_SITE") == "1"

# The course map's parts, by chapter number (a part not in the sidebar yet may have no chapter on disk).
PARTS = {"I": range(1, 7), "II": range(7, 11), "III": range(11, 13), "IV": range(13, 16),
         "V": range(16, 18), "VI": range(18, 20), "VII": range(20, 21)}
# Transfer size: the bytes a reader downloads from the published site, where text (HTML, CSS,
# JavaScript, JSON, SVG) is sent gzip-compressed (GitHub Pages and the CDNs do), measured as
# gzip -6 of each response body Chromium received; images and fonts count as they are.
MAX_CHAPTER_TRANSFER = 5_000_000
COMPRESSED_TYPES = r"text/|application/(javascript|json|xml)|image/svg"
RENDER_TIMEOUT_S = 600

# The only requests answered from outside 127.0.0.1: URL prefix -> folder of the npm package (pinned).
JS_PACKAGES = {"mathjax": "3.2.2", "jquery": "3.5.1"}
CDN = {
    "https://cdn.jsdelivr.net/npm/mathjax@3/": "mathjax",
    "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.5.1/": "jquery/dist",
}
# Quarto's inline define('jquery', ...) runs without require.js, which cannot be answered offline.
EXPECTED_ERROR = "define is not defined"


def _config() -> dict:
    return yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- what the browser tests need

def _unavailable(reason: str):
    if REQUIRE:
        pytest.fail(f"COURSE_REQUIRE_SITE=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _find_quarto() -> str | None:
    for candidate in (os.environ.get("QUARTO"), shutil.which("quarto"), str(ROOT / ".venv/bin/quarto")):
        if candidate and os.access(candidate, os.X_OK) and Path(candidate).is_file():
            return candidate
    return None


def _find_browser() -> str | None:
    names = [os.environ.get("COURSE_BROWSER"), "/usr/bin/chromium"]
    names += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    for candidate in names:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _js_packages() -> Path | None:
    """npm's mathjax and jquery in the cache folder, installed with npm if missing."""
    folder = Path(os.environ.get("COURSE_SITE_JS", Path.home() / ".cache/course-site-js")).expanduser()
    modules = folder / "node_modules"

    def ready() -> bool:
        for name, version in JS_PACKAGES.items():
            manifest = modules / name / "package.json"
            if not manifest.exists() or json.loads(manifest.read_text())["version"] != version:
                return False
        return True

    if not ready() and shutil.which("npm"):
        folder.mkdir(parents=True, exist_ok=True)
        specs = [f"{n}@{v}" for n, v in JS_PACKAGES.items()]
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder), *specs],
                       capture_output=True, timeout=300)
    return modules if ready() else None


def _missing() -> str | None:
    if os.environ.get("COURSE_SITE_BUILT"):
        return None
    if _find_quarto() is None:
        return "no Quarto found (set QUARTO, or install it: https://quarto.org/docs/get-started/)"
    if _find_browser() is None:
        return "no Chromium found (apt-get install chromium, or set COURSE_BROWSER)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed in this Python (it is in requirements.txt)"
    return None


# One line, not one per test, when the site cannot be rendered or read here (a reader's machine).
if _missing() and not REQUIRE:
    pytest.skip(f"site tests skipped: {_missing()}", allow_module_level=True)


@pytest.fixture(scope="session")
def site(tmp_path_factory, request) -> dict:
    """Render the site once into a temporary copy of the project; returns its folder, log and time."""
    built = os.environ.get("COURSE_SITE_BUILT")
    if built and not REQUIRE:  # a debugging aid: check a site rendered earlier instead of rendering
        request.config.course_site_summary = [f"site: checking the site already rendered in {built}"]
        return {"dir": Path(built), "log": None, "seconds": None, "src": ROOT}
    quarto = _find_quarto()
    if quarto is None:
        _unavailable("no Quarto found (set QUARTO, or install it: https://quarto.org/docs/get-started/)")
    work = tmp_path_factory.mktemp("site-src")
    for path in ROOT.iterdir():
        if path.is_file() and (path.name.startswith("_quarto") and path.suffix == ".yml" or path.suffix == ".qmd"):
            shutil.copy2(path, work / path.name)
    shutil.copytree(ROOT / "chapters", work / "chapters",
                    ignore=shutil.ignore_patterns("*.md", ".ipynb_checkpoints", "*_files"))
    shutil.copytree(ROOT / "site", work / "site")  # the site's stylesheets (light and dark themes)
    env = dict(os.environ, QUARTO_PYTHON=sys.executable, PYTHONPATH=str(ROOT))
    env.pop("QUARTO_PROFILE", None)
    start = time.perf_counter()
    done = subprocess.run([quarto, "render"], cwd=work, env=env, capture_output=True, text=True,
                          timeout=RENDER_TIMEOUT_S)
    seconds = time.perf_counter() - start
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"quarto render failed ({done.returncode}):\n{log[-4000:]}"
    out = work / "_site"
    assert (out / "index.html").exists(), f"quarto render wrote no index.html:\n{log[-2000:]}"
    version = subprocess.run([quarto, "--version"], capture_output=True, text=True).stdout.strip()
    request.config.course_site_summary = [f"site: Quarto {version} rendered {len(list(out.rglob('*.html')))} pages "
                                     f"in {seconds:.0f} s"]
    return {"dir": out, "log": log, "seconds": seconds, "src": work}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site) -> str:
    handler = functools.partial(_Quiet, directory=str(site["dir"]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser(site):
    executable = _find_browser()
    if executable is None:
        _unavailable("no Chromium found (apt-get install chromium, or set COURSE_BROWSER)")
    modules = _js_packages()
    if modules is None:
        _unavailable("npm's mathjax and jquery are not available (npm install mathjax@3 jquery@3.5.1)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed in this Python")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        b.course_modules = modules
        yield b
        b.close()


# ---------------------------------------------------------------- one visit per page

def _answer(route, modules: Path, refused: list):
    url = route.request.url
    host = urlparse(url).hostname
    if host == "127.0.0.1":
        return route.continue_()
    for prefix, folder in CDN.items():
        if url.startswith(prefix):
            path = modules / folder / unquote(urlparse(url[len(prefix):]).path)
            if path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return route.fulfill(status=200, body=path.read_bytes(), content_type=kind,
                                     headers={"Access-Control-Allow-Origin": "*", "Timing-Allow-Origin": "*"})
    refused.append(url)
    return route.abort()


# Everything a test needs to know about a loaded page, read by the browser after scripts ran.
READ_PAGE = """async () => {
  for (const img of document.images) { if (!img.complete) img.loading = 'eager'; }
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
  const sections = [...document.querySelectorAll('#quarto-sidebar li.sidebar-item-section')]
    .filter(li => !li.parentElement.closest('li.sidebar-item-section'))
    .map(li => {
      const label = li.querySelector('.menu-text');
      const text = li.querySelector(':scope > .sidebar-item-container > .sidebar-item-text, :scope > .sidebar-item-text');
      return {title: label ? label.textContent.trim() : '',
              links: [...li.querySelectorAll('li a.sidebar-link[href]')].map(a => a.href),
              after: text ? getComputedStyle(text, '::after').content : ''};
    });
  const math = [...document.querySelectorAll('span.math')];
  return {
    sections,
    top_links: [...document.querySelectorAll('#quarto-sidebar a.sidebar-link[href]')].map(a => a.href),
    images: [...document.images].map(img => ({src: img.currentSrc.slice(0, 80), width: img.naturalWidth})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    unresolved: (document.body.innerText.match(/\\?@[\\w-]+/g) || []),
    math: math.length,
    typeset: math.filter(s => s.querySelector('mjx-container')).length,
    math_errors: document.querySelectorAll('mjx-merror').length,
    copy_buttons: document.querySelectorAll('.code-copy-button').length,
    code_cells: document.querySelectorAll('div.sourceCode pre code').length,
    download: [...document.querySelectorAll('a[download]')].map(a => a.href),
    solutions: document.querySelectorAll('.callout .callout-collapse.collapse').length,
    animations: document.querySelectorAll('.animation img[id^=_anim_img]').length,
    requirejs: !!document.querySelector('script[src*="require"]'),
    text: document.body.innerText,
    load_ms: performance.getEntriesByType('navigation')[0].loadEventEnd,
  };
}"""


def _open_solution(page) -> bool:
    header = page.locator(".callout .callout-header[data-bs-toggle='collapse']").first
    header.scroll_into_view_if_needed()
    body = page.locator(".callout .callout-collapse.collapse").first
    if body.is_visible():
        return False  # a "collapsed" solution that is already open
    header.click()
    body.wait_for(state="visible", timeout=5000)
    return True


def _play_animation(page) -> bool:
    player = page.locator(".animation").first
    player.scroll_into_view_if_needed()
    slider = player.locator("input.anim-slider")
    before = slider.input_value()
    img = player.locator("img").first
    src = img.get_attribute("src")
    player.locator("button[onclick*='play_animation']").first.click()
    page.wait_for_function("([el, v]) => el.value !== v", arg=[slider.element_handle(), before], timeout=5000)
    return img.get_attribute("src") != src


def _contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two opaque CSS colours given as rgb(...) strings."""
    def luminance(colour: str) -> float:
        channels = [float(v) / 255 for v in re.findall(r"[\d.]+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _ink(png: bytes) -> int:
    """Pixels of a button's screenshot that differ clearly from its background (read just inside the border)."""
    import io

    from PIL import Image

    import numpy as np

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    background = pixels[min(3, pixels.shape[0] - 1), pixels.shape[1] // 2]
    return int((np.abs(pixels - background).sum(axis=-1) > 120).sum())


def _play_glyph(page) -> dict:
    """The play button's icon as drawn: its box, its mask image, and the pixels that show it.

    Off-site requests are refused in these tests, so Font Awesome (which matplotlib's player
    links from a CDN) never loads: whatever is visible is drawn by the site itself."""
    button = page.locator(".anim-buttons button[onclick*='play_animation']").first
    button.scroll_into_view_if_needed()
    icon = button.locator("i").first
    box = icon.bounding_box() or {"width": 0, "height": 0}
    colours = button.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    return {"width": box["width"], "height": box["height"], "contrast": _contrast(*colours),
            "mask": icon.evaluate("e => getComputedStyle(e).webkitMaskImage || getComputedStyle(e).maskImage"),
            "ink": _ink(button.screenshot()) if box["width"] and box["height"] else 0,
            "font_awesome": page.evaluate("() => [...document.styleSheets].some(s => (s.href || '').includes('font-awesome')"
                                          " && (() => { try { return s.cssRules.length > 0 } catch (e) { return false } })())")}


def _visit(browser, base: str, page_path: str) -> dict:
    refused, errors, console, failed, responses = [], [], [], [], []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda route: _answer(route, browser.course_modules, refused))
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: console.append((m.text, m.location.get("url", ""))) if m.type == "error" else None)
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("requestfinished", lambda r: responses.append(r))
    start = time.perf_counter()
    response = page.goto(base + page_path, wait_until="load")
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => true) : false")
    info = page.evaluate(READ_PAGE)
    info["wall_ms"] = (time.perf_counter() - start) * 1000
    info["status"] = response.status
    info["mathjax_loaded"] = page.evaluate("() => !!(window.MathJax && MathJax.version)")
    shots = os.environ.get("COURSE_SITE_SCREENSHOTS")  # a folder: save what a reader first sees of each page
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / (page_path.replace("/", "_").removesuffix(".html") + ".png")))
    if page_path.startswith("chapters/"):
        for key, needed, action in (("solution_opened", info["solutions"], _open_solution),
                                    ("animation_played", info["animations"], _play_animation)):
            try:
                info[key] = action(page) if needed else None
            except Exception as error:  # recorded, and reported by the test that needs it
                info[key] = f"{type(error).__name__}: {str(error)[:300]}"
        info["download_body"] = [page.request.get(href).body() for href in info["download"]]
        info["play_glyph"] = _play_glyph(page) if info["animations"] else None
    sizes = []
    for r in responses:
        try:
            response = r.response()
            body = response.body() if response else b""
        except Exception:  # a redirect, or a request that finished after the page went away
            continue
        kind = (response.headers.get("content-type") or "").split(";")[0]
        squeezed = len(gzip.compress(body, 6)) if re.match(COMPRESSED_TYPES, kind) else len(body)
        sizes.append((squeezed, len(body), r.url))
    info["transfer"] = sum(n for n, _, _ in sizes)
    info["bytes"] = sum(n for _, n, _ in sizes)
    info["largest"] = sorted(((n, u) for _, n, u in sizes), reverse=True)[:3]
    info["requests"] = len(sizes)
    info.update(refused=refused, errors=errors, console=console,
                failed=[u for u in failed if u not in refused])
    context.close()
    return info


@pytest.fixture(scope="session")
def pages(site, server, browser, request) -> dict:
    """Crawl the whole site from the home page, following every internal link to an HTML page."""
    found, queue = {}, ["index.html"]
    while queue:
        path = queue.pop(0)
        if path in found:
            continue
        found[path] = _visit(browser, server, path)
        for href in found[path]["links"]:
            url = urldefrag(href).url
            if url.startswith(server) and url.endswith(".html"):
                target = url[len(server):]
                if target not in found and target not in queue and (site["dir"] / target).is_file():
                    queue.append(target)
    lines = getattr(request.config, "course_site_summary", [])
    lines.append(f"site: {len(found)} pages loaded in Chromium (fresh cache each): transfer size (text gzipped), "
                 "uncompressed size, requests, load time, largest responses (uncompressed):")
    for path, info in sorted(found.items(), key=lambda kv: -kv[1]["transfer"]):
        big = ", ".join(f"{Path(urlparse(u).path).name[:28]} {n / 1e6:.2f}" for n, u in info["largest"][:3])
        lines.append(f"  {path:<44} {info['transfer'] / 1e6:5.2f} MB {info['bytes'] / 1e6:5.2f} MB "
                     f"{info['requests']:3d} req {info['load_ms']:5.0f} ms   {big}")
    refused = sorted({urlparse(u).netloc + urlparse(u).path for i in found.values() for u in i["refused"]})
    lines.append(f"site: refused off-site requests: {', '.join(refused) or 'none'}")
    return found


# ---------------------------------------------------------------- the tests

def _page(pages: dict, path: str) -> dict:
    assert path in pages, f"{path} was rendered but no link leads to it (is it in _quarto.yml's sidebar?)"
    return pages[path]


def _plain(text: str) -> str:
    """Text as compared: typographic quotes and dashes (pandoc's smart punctuation) made plain."""
    for fancy, plain in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'),
                         ("\u2013", "-"), ("\u2014", "-"), ("\u2026", "..."), ("\u00a0", " ")):
        text = text.replace(fancy, plain)
    return re.sub(r"\s+", " ", text)


def test_render_has_no_warnings(site):
    if site["log"] is None:
        pytest.skip("COURSE_SITE_BUILT: no render log to check")
    # Quarto's own warnings start the line ("WARN (file) ..."); a kernel's "[IPKernelApp] WARNING" does not count.
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in site["log"].splitlines()]
    warnings = [line for line in lines if re.match(r"\s*(WARN|WARNING)\b", line)]
    assert not warnings, "quarto render warned:\n" + "\n".join(warnings)


def test_every_page_was_found_by_the_crawl(site, pages):
    assert len(pages) >= 3, f"the crawl found only {sorted(pages)}"
    rendered = sorted(str(p.relative_to(site["dir"])) for p in site["dir"].rglob("*.html")
                      if "site_libs" not in p.parts)
    assert sorted(pages) == rendered == sorted(PAGES), "pages on disk, rendered and reached by links differ"
    assert not list(site["dir"].glob("chapters/*.md")), "a Jupytext .md source was rendered or copied"


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_errors(pages, path):
    info = _page(pages, path)
    assert info["status"] == 200
    expected = [EXPECTED_ERROR] if info["requirejs"] else []
    assert [e for e in info["errors"] if EXPECTED_ERROR not in e] == [], info["errors"]
    assert sum(EXPECTED_ERROR in e for e in info["errors"]) == len(expected), info["errors"]
    bad = [(text, url) for text, url in info["console"]
           if not (text.startswith("Failed to load resource") and url in info["refused"])
           and EXPECTED_ERROR not in text]
    assert not bad, f"console errors: {bad}"
    assert not info["failed"], f"local requests failed: {info['failed']}"


@pytest.mark.parametrize("path", PAGES)
def test_sidebar_lists_every_chapter_under_its_part_in_order(pages, server, path):
    sections = _page(pages, path)["sections"]
    titles = [s["title"].split(":")[0].removeprefix("Part ") for s in sections]
    assert len(titles) >= 6 and titles == list(PARTS)[:len(titles)], f"parts missing or out of order: {titles}"
    top = pages[path]["top_links"]
    assert (server in top or server + "index.html" in top) and server + "results.html" in top, top[:3]
    for section, part in zip(sections, titles):
        expected = [server + f"chapters/{nb.stem}.html" for nb in CHAPTERS if int(nb.name[:2]) in PARTS[part]]
        assert section["links"] == expected, f"{section['title']}: sidebar {section['links']} != chapters on disk"
        if not expected:
            assert "coming" in section["after"], f"{section['title']} is empty and does not say 'coming'"
    listed = [u for s in sections for u in s["links"]]
    assert len(listed) == len(CHAPTERS), "a chapter on disk is missing from its part in the sidebar"


@pytest.mark.parametrize("path", PAGES)
def test_images_load_and_cross_references_resolve(pages, path):
    info = _page(pages, path)
    broken = [img["src"] for img in info["images"] if img["width"] == 0]
    assert not broken, f"{len(broken)} images did not load: {broken[:3]}"
    assert not info["unresolved"], f"unresolved cross-references: {info['unresolved']}"


@pytest.mark.parametrize("path", PAGES)
def test_math_typesets(pages, path):
    info = _page(pages, path)
    if info["math"]:
        assert info["mathjax_loaded"], "the page has math but MathJax did not load"
    assert info["typeset"] == info["math"], f"{info['math'] - info['typeset']} of {info['math']} formulas not typeset"
    assert info["math_errors"] == 0, f"{info['math_errors']} MathJax errors"


def test_every_internal_link_and_anchor_resolves(site, server, pages):
    ids = {path: set(info["ids"]) for path, info in pages.items()}
    broken = []
    for path, info in pages.items():
        for href in set(info["links"]):
            if not href.startswith(server):
                continue
            url, fragment = urldefrag(href)
            target = url[len(server):] or "index.html"
            if target.endswith("/"):
                target += "index.html"
            if not (site["dir"] / unquote(target)).is_file():
                broken.append(f"{path}: {href} (no such file)")
            elif fragment and target.endswith(".html") and unquote(fragment) not in ids.get(target, set()):
                broken.append(f"{path}: {href} (no element #{fragment})")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(sorted(broken)[:20])


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page_features(site, pages, notebook):
    info = _page(pages, f"chapters/{notebook.stem}.html")
    assert len(info["download"]) == 1 and info["download"][0].endswith(f"/chapters/{notebook.name}"), info["download"]
    rendered = site["src"] / "chapters" / notebook.name  # the copy that was rendered (the checkout may have moved on)
    assert info["download_body"][0] == rendered.read_bytes(), "Download notebook does not return the chapter's .ipynb"
    assert info["code_cells"] and info["copy_buttons"] >= info["code_cells"], "code-copy buttons are missing"
    assert info["solutions"], "no collapsed solution on the page"
    assert info["solution_opened"] is True, f"a collapsed solution did not open on click ({info['solution_opened']})"
    if info["animations"]:
        assert info["animation_played"] is True, (
            f"the animation player did not advance frames when played ({info['animation_played']})")
        glyph = info["play_glyph"]
        assert not glyph["font_awesome"], "Font Awesome loaded although off-site requests are refused"
        assert glyph["width"] > 0 and glyph["height"] > 0, f"the play button's icon has no size: {glyph}"
        assert "data:image/svg" in glyph["mask"], f"the play icon is not the site's own drawing: {glyph['mask'][:80]}"
        assert glyph["ink"] >= 20, f"the play button shows no glyph offline ({glyph['ink']} pixels drawn)"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page_weight(pages, notebook):
    info = _page(pages, f"chapters/{notebook.stem}.html")
    assert info["transfer"] < MAX_CHAPTER_TRANSFER, (
        f"{notebook.stem}: {info['transfer'] / 1e6:.2f} MB to download ({info['bytes'] / 1e6:.2f} MB uncompressed), "
        f"over 5 MB; largest: {info['largest']}")


def test_results_page_shows_every_chapter(pages, server, site):
    from utils.results import collect_results

    info = _page(pages, "results.html")
    text = _plain(info["text"])
    for row in collect_results(ROOT / "chapters"):
        assert server + f"chapters/{Path(row['file']).stem}.html" in info["links"], f"chapter {row['chapter']} missing"
        for shown in row["headline_texts"] + ([row["anchor"]] if row["anchor"] else []):
            assert _plain(shown) in text, f"chapter {row['chapter']}: {shown!r} is not on the results page"
        if row["seconds"] is not None:
            assert f"{row['seconds'] / 60:.1f} min" in text
    assert 'id="fig-minutes"' in (site["dir"] / "results.html").read_text(encoding="utf-8"), "no run-time figure"
    home = _plain(_page(pages, "index.html")["text"])
    assert all(_plain(t) in home for row in collect_results(ROOT / "chapters") for t in row["headline_texts"])


def _distinctive_words() -> dict[str, str]:
    """For each chapter, a long word used at least twice in its prose (outside code and math)
    and nowhere in any other chapter's text."""
    prose, everything = {}, {}
    for nb in CHAPTERS:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        text = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        text = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\(http[^)]*\)", " ", text, flags=re.S)
        prose[nb.stem] = re.findall(r"(?<![\\\w])[a-z]{9,}\b", text)
        everything[nb.stem] = set(re.findall(r"[a-z]+", nb.read_text(encoding="utf-8").lower()))
    unique = {}
    for stem, words in prose.items():
        others = set().union(*(w for s, w in everything.items() if s != stem))
        candidates = sorted(w for w in set(words) if words.count(w) >= 2 and w not in others)
        if candidates:
            unique[stem] = candidates[len(candidates) // 2]
    return unique


def test_search_finds_a_chapter_from_a_word_of_its_body(browser, server, pages):
    unique = _distinctive_words()
    stems = [s for s in (CHAPTERS[0].stem, CHAPTERS[len(CHAPTERS) // 2].stem, CHAPTERS[-1].stem) if s in unique]
    assert stems, "no chapter has a word of its own to search for"
    context = browser.new_context()
    context.route("**/*", lambda route: _answer(route, browser.course_modules, []))
    page = context.new_page()
    page.goto(server + "index.html", wait_until="load")
    misses = []
    for stem in dict.fromkeys(stems):
        box = page.locator("#quarto-search input.aa-Input, #quarto-search input").first
        box.click()
        box.fill("")
        box.type(unique[stem], delay=20)
        try:
            page.wait_for_selector(f".aa-Panel a[href*='{stem}']", timeout=8000)
        except Exception:
            misses.append(f"{unique[stem]!r} (from {stem})")
        page.keyboard.press("Escape")
    context.close()
    assert not misses, f"search found nothing for {misses}"


# ---------------------------------------------------------------- light and dark themes

# The page read in both themes: a chapter with code, math, callouts, figures and an animation.
THEME_CHAPTER = next((nb.stem for nb in CHAPTERS if nb.name.startswith("06-")), CHAPTERS[0].stem if CHAPTERS else "")
MIN_CONTRAST = 4.5  # WCAG 2 level AA for normal text

# Computed colours after scripts ran: each text sample's contrast against the background it is drawn
# on (semi-transparent layers composited, as the browser paints them), and what lies behind figures.
READ_COLOURS = """() => {
  const parse = s => { const m = (s || '').match(/rgba?\\(([^)]*)\\)/); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, bottom) => [0, 1, 2].map(i => top[3] * top[i] + (1 - top[3]) * bottom[i]).concat([1]);
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let result = [255, 255, 255, 1];  // the canvas behind a page that paints nothing
    for (let i = layers.length - 1; i >= 0; i--) result = over(layers[i], result);
    return result;
  };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const sample = (kind, selector, limit) => [...document.querySelectorAll(selector)]
    .filter(e => shown(e) && (e.textContent || '').trim()).slice(0, limit)
    .map(e => { const bg = background(e); const fg = over(parse(getComputedStyle(e).color), bg);
                return {kind, text: e.textContent.trim().slice(0, 40), ratio: contrast(fg, bg),
                        fg: fg.slice(0, 3).map(Math.round), bg: bg.slice(0, 3).map(Math.round)}; });
  return {
    dark: document.body.classList.contains('quarto-dark'),
    light: document.body.classList.contains('quarto-light'),
    stored: localStorage.getItem('quarto-color-scheme'),
    page_luminance: lum(background(document.querySelector('main') || document.body)),
    texts: [
      ...sample('body text', 'main p', 25), ...sample('heading', 'main h2', 6), ...sample('link', 'main p a', 10),
      ...sample('code', 'main div.sourceCode code span', 120), ...sample('output', 'main .cell-output pre code', 10),
      ...sample('callout', 'main .callout .callout-title-container', 6), ...sample('math', 'main p mjx-container', 20),
      ...sample('table', 'main table td', 10), ...sample('sidebar', '#quarto-sidebar .menu-text', 12),
      ...sample('title', 'h1.title', 1), ...sample('inline code', 'main p code:not(.sourceCode)', 10),
      ...sample('caption', 'main figcaption, main .figure-caption', 6), ...sample('contents', '#TOC a.nav-link', 8),
      ...sample('breadcrumb', '.breadcrumb-item a', 3), ...sample('button', 'a.btn', 2),
    ],
    figures: [...document.querySelectorAll('main .cell-output-display img, main .animation img')].filter(shown)
      .map(img => ({src: img.getAttribute('src').slice(0, 40), behind: lum(background(img)),
                    own: getComputedStyle(img).backgroundColor})),
  };
}"""


def _theme_page(browser, server: str, scheme: str):
    """A fresh browser context whose system setting is ``scheme``, on the theme chapter."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    context.route("**/*", lambda route: _answer(route, browser.course_modules, []))
    page = context.new_page()
    page.goto(server + f"chapters/{THEME_CHAPTER}.html", wait_until="load")
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => true) : false")
    return context, page


def _mode(page) -> str:
    colours = page.evaluate(READ_COLOURS)
    assert colours["dark"] != colours["light"], "the page is in neither (or both) colour schemes"
    return "dark" if colours["dark"] else "light"


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory) -> Path:
    folder = os.environ.get("COURSE_SITE_SCREENSHOTS")
    return Path(folder) if folder else tmp_path_factory.mktemp("site-shots")


def test_theme_follows_the_system_then_the_toggle_which_is_remembered(browser, server, pages):
    assert THEME_CHAPTER, "no chapter to read"
    for scheme, other in (("light", "dark"), ("dark", "light")):
        context, page = _theme_page(browser, server, scheme)
        assert _mode(page) == scheme, f"a reader whose system is {scheme} gets the {_mode(page)} theme"
        toggle = page.locator(".quarto-color-scheme-toggle:visible").first
        assert toggle.count() == 1, "no visible light/dark toggle"
        toggle.click()
        assert _mode(page) == other, f"the toggle did not switch {scheme} -> {other}"
        page.reload(wait_until="load")
        assert _mode(page) == other, "the toggle's choice was not kept after a reload"
        page.goto(server + "index.html", wait_until="load")
        assert _mode(page) == other, "the toggle's choice did not carry over to another page"
        page.locator(".quarto-color-scheme-toggle:visible").first.click()
        assert _mode(page) == scheme, "toggling back did not restore the first theme"
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_theme_is_readable(browser, server, pages, shots_dir, request, scheme):
    context, page = _theme_page(browser, server, scheme)
    colours = page.evaluate(READ_COLOURS)
    assert _mode(page) == scheme
    if scheme == "dark":
        assert colours["page_luminance"] < 0.05, f"the dark theme's page is not dark ({colours['page_luminance']:.3f})"
    else:
        assert colours["page_luminance"] > 0.8, f"the light theme's page is not light ({colours['page_luminance']:.3f})"
    kinds = {t["kind"] for t in colours["texts"]}
    assert {"body text", "code", "math", "callout", "sidebar"} <= kinds, f"text samples missing: {kinds}"
    poor = [t for t in colours["texts"] if t["ratio"] < MIN_CONTRAST]
    assert not poor, (f"{len(poor)} of {len(colours['texts'])} text samples below contrast {MIN_CONTRAST}:1 in the "
                      f"{scheme} theme: " + "; ".join(f"{t['kind']} {t['text']!r} {t['ratio']:.2f} {t['fg']} on {t['bg']}"
                                                      for t in poor[:8]))
    assert colours["figures"], "no figure on the page"
    dim = [f for f in colours["figures"] if f["behind"] < 0.9]
    assert not dim, f"figures (transparent PNGs) drawn on a dark background in the {scheme} theme: {dim[:3]}"
    if scheme == "dark":
        assert all(f["own"] == "rgb(255, 255, 255)" for f in colours["figures"]), colours["figures"][:3]
    glyph = _play_glyph(page) if page.locator(".animation").count() else None
    if glyph:
        assert glyph["ink"] >= 20, f"the play button shows no glyph in the {scheme} theme: {glyph}"
        assert glyph["contrast"] >= 3, f"the player's icons are faint in the {scheme} theme: {glyph}"  # WCAG 1.4.11
    # What a reader sees: the top of the page, the first figure, the animation player.
    shots_dir.mkdir(parents=True, exist_ok=True)
    saved = [shots_dir / f"theme-{scheme}-top.png"]
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(saved[0]))
    for name, selector in (("figure", "main .cell-output-display img"), ("animation", "main .animation")):
        target = page.locator(selector).first
        if target.count():
            target.evaluate("e => e.scrollIntoView({block: 'center'})")
            saved.append(shots_dir / f"theme-{scheme}-{name}.png")
            page.screenshot(path=str(saved[-1]))
    lowest = min(colours["texts"], key=lambda t: t["ratio"])
    lines = getattr(request.config, "course_site_summary", [])
    lines.append(f"site: {scheme} theme on {THEME_CHAPTER}: {len(colours['texts'])} text samples, lowest contrast "
                 f"{lowest['ratio']:.2f} ({lowest['kind']}), {len(colours['figures'])} figures on "
                 f"white; screenshots {', '.join(str(p) for p in saved)}")
    request.config.course_site_summary = lines
    context.close()
