"""Check the built course site in headless Chromium with no network: what a reader sees.

Every page is opened from disk (``file:``; any request that would leave the site is refused
and reported), and must show:

- every formula typeset by MathJax (no ``.math`` element left as TeX, no MathJax error, no
  TeX command left in the text outside code);
- every image loaded, at least one per image output of its notebook and one per widget;
  each widget's saved picture at its intended size (half its pixels: it was rendered for a
  2x screen) with its readout;
- the sidebar with every lesson, the page's own contents, a link to the next page (all but
  the last), to the previous one (all but the first), a "launch on Binder" link to this
  notebook and a download link to the notebook itself.

Every image must have an alt text that describes it (not a file name, not empty). axe-core
(npm, pinned in book/package.json) audits every page, the search page and the index in light
and dark mode for WCAG 2.1 A and AA: any violation fails. Each sidebar toggle is clicked at
390 px and 1366 px and must open its drawer. The search page must find a word of the course,
rank the lesson that teaches a term among its first three results (``SEARCH_TERMS``), list
no solution page and show no TeX; the index must also work when the site is served over
HTTP. ``tabs_to`` counts the presses of Tab to a link. Used by ``tools/build_site.py`` and by
``tests/browser``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "screenshots" / "site"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# Chromium on a machine with no network but the package registries: these flags keep it
# from trying to reach Google's services at start and in the background.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """$CHROMIUM, else Debian's /usr/bin/chromium, else a chromium on the PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def open_browser():
    """One headless Chromium (Playwright gives it a fresh temporary profile), always closed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()


def notebook_counts(path: Path) -> tuple[int, int]:
    """(image outputs, widget outputs) of a notebook."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    images = widgets = 0
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            images += any(kind in data for kind in IMAGE_TYPES)
            widgets += WIDGET_VIEW in data
    return images, widgets


# What a page shows, read in the page once MathJax has finished.
PAGE_FACTS = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        await MathJax.startup.promise;
    }
    const visible = el => el.checkVisibility();
    const images = Array.from(document.images).filter(visible);
    const math = Array.from(document.querySelectorAll('.math'));
    // TeX left as text: a backslash command outside code, scripts and typeset formulas.
    // The whole page: its text, and the sidebar's and the search results' titles.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const raw = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (parent.closest('pre, code, script, style, mjx-container, .highlight, .MathJax_Preview')) continue;
        if (!parent.checkVisibility()) continue;
        const found = node.textContent.match(/\\\\[A-Za-z]{2,}|\\$\\$|\\\\\\(|\\\\\\[/);
        if (found) raw.push(node.textContent.trim().slice(0, 60));
    }
    const href = sel => { const a = document.querySelector(sel); return a ? a.href : null; };
    const widgetPictures = Array.from(document.querySelectorAll('.xent-widget img')).map(img => ({
        loaded: img.complete && img.naturalWidth > 0,
        css: img.getBoundingClientRect().width, natural: img.naturalWidth,
        room: img.parentElement.getBoundingClientRect().width,
    }));
    // An alt text that says nothing: missing, empty, a file name, or the old generic one.
    const poorAlt = img => {
        const alt = (img.getAttribute('alt') || '').trim();
        return alt.length < 10 || /\\.(png|jpe?g|svg|gif)$/i.test(alt) || /^[\\w\\/.-]+$/.test(alt)
            || alt === 'saved picture of an interactive widget';
    };
    const decorative = img => img.closest('.navbar-brand, .logo');
    return {
        title: document.title,
        poor_alt: images.filter(i => !decorative(i) && poorAlt(i))
            .map(i => (i.getAttribute('alt') || '(none)').slice(0, 60) + ' ' + i.src.slice(-30)),
        images: images.length,
        broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80)),
        math: math.length,
        untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60)),
        errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent.slice(0, 60)),
        raw: raw.slice(0, 5), raw_count: raw.length,
        next: href('a.right-next'), previous: href('a.left-prev'),
        sidebar: Array.from(document.querySelectorAll('.bd-sidenav a.reference')).map(a => a.href),
        contents: document.querySelectorAll('.bd-toc-nav a, #pst-page-toc-nav a').length,
        launch: Array.from(document.querySelectorAll('a[href*="mybinder.org/v2/gh/"]')).map(a => a.href),
        download: Array.from(document.querySelectorAll('a[href$=".ipynb"]')).map(a => a.href),
        widget_pictures: widgetPictures,
        widget_readouts: document.querySelectorAll('.xent-widget .xent-widget-readout').length,
        theme_switch: !!document.querySelector('.theme-switch-button'),
        search_box: !!document.querySelector('.search-button, form.bd-search, #search-input, .search-button-field'),
    };
}"""


@dataclass
class PageReport:
    page: str
    facts: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # requests that would leave the site
    axe: dict | None = None  # axe-core's violations by colour mode, if asked for (axe_audit's)


def offline_context(browser, viewport=None):
    """A browser context that loads file: and data: URLs only, and notes what it refused."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    refused: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            return request_route.continue_()
        refused.append(url)
        return request_route.abort()

    context.route("**/*", route)
    context.refused = refused
    return context


def page_facts(context, url: str) -> tuple[dict, list[str]]:
    page = context.new_page()
    before = len(context.refused)
    try:
        page.goto(url, wait_until="load")
        facts = page.evaluate(PAGE_FACTS)
    finally:
        page.close()
    return facts, context.refused[before:]


def check_page(
    context,
    site: Path,
    html: Path,
    notebook: Path | None,
    order: list[Path],
    shots: Path | None = None,
    launch: bool = True,
    axe_modes: tuple[str, ...] = (),
) -> PageReport:
    """Check one page; ``notebook`` is the page's source (None for the index), ``order`` every
    page in reading order (the sidebar's); ``launch``: the page has a "launch on Binder" link
    (the site has a public repository), else it has none. ``axe_modes``: audit the page with
    axe-core in these colour modes too (``report.axe``), in the same load of the page, opened
    in the first of them, once its facts and screenshots are taken: what ``axe_audit`` finds
    on a page of its own, for one load and one typesetting instead of two."""
    report = PageReport(page=str(html.relative_to(site)))
    page = context.new_page()
    before = len(context.refused)
    try:
        if axe_modes:
            page.add_init_script(MODE.format(axe_modes[0]))
        page.goto(html.resolve().as_uri(), wait_until="load")
        facts = page.evaluate(PAGE_FACTS)
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            name = str(html.relative_to(site).with_suffix("")).replace("/", "-")
            page.screenshot(path=str(shots / f"{name}.png"))
            widget = page.locator(".xent-widget").first
            if widget.count():
                widget.scroll_into_view_if_needed()
                page.screenshot(path=str(shots / f"{name}-widget.png"))
        if axe_modes:
            page.evaluate("() => window.scrollTo(0, 0)")  # where a page of its own starts
            report.axe = _axe_modes(page, axe_modes)
    finally:
        page.close()
    report.facts = facts
    report.refused = context.refused[before:]
    problems = report.problems
    if report.refused:
        problems.append(f"asks the network for {report.refused[:3]}")
    if facts["broken"]:
        problems.append(f"{len(facts['broken'])} images did not load: {facts['broken'][:2]}")
    if facts["poor_alt"]:
        problems.append(
            f"{len(facts['poor_alt'])} images without a useful alt text: {facts['poor_alt'][:2]}"
        )
    if facts["untypeset"] or facts["errors"] or facts["raw_count"]:
        problems.append(
            f"raw TeX: {len(facts['untypeset'])} formulas not typeset {facts['untypeset'][:2]}, "
            f"{len(facts['errors'])} MathJax errors {facts['errors'][:2]}, "
            f"{facts['raw_count']} TeX commands in the text {facts['raw'][:2]}"
        )
    pages = {p.resolve().as_uri() for p in order}
    listed = {href.split("#")[0] for href in facts["sidebar"]}
    missing = sorted(str(p.relative_to(site)) for p in order if p.resolve().as_uri() not in listed)
    if missing:
        problems.append(f"the sidebar does not list {missing[:3]}")
    if not facts["theme_switch"] or not facts["search_box"]:
        problems.append("no dark-mode switch or no search box")
    index = order.index(html) if html in order else -1
    expected_next = order[index + 1] if 0 <= index < len(order) - 1 else None
    if html.name == "index.html" and html.parent == site:
        expected_next = order[0] if order else None
    if expected_next is not None:
        if facts["next"] is None:
            problems.append(f"no link to the next page ({expected_next.relative_to(site)})")
        elif facts["next"].split("#")[0] != expected_next.resolve().as_uri():
            problems.append(f"'next' goes to {facts['next']}, not {expected_next.name}")
        elif facts["next"].split("#")[0] not in pages:
            problems.append(f"'next' goes to a missing page {facts['next']}")
    if index > 0 and facts["previous"] is None:
        problems.append("no link to the previous page")
    if notebook is not None:
        images, widgets = notebook_counts(notebook)
        pictures = facts["widget_pictures"]
        if facts["images"] < images + widgets:
            problems.append(
                f"{facts['images']} images shown; the notebook has {images} + {widgets} widgets"
            )
        if len(pictures) < widgets or facts["widget_readouts"] < widgets:
            problems.append(
                f"{len(pictures)} widget pictures and {facts['widget_readouts']} readouts "
                f"for {widgets} widgets"
            )
        for picture in pictures:
            intended = picture["natural"] / 2
            if picture["room"] >= intended and abs(picture["css"] - intended) > 1:
                problems.append(
                    f"a widget picture is {picture['css']:.0f} px wide, not its {intended:.0f} px"
                )
        if facts["contents"] == 0:
            problems.append("no contents of the page")
        target = "notebooks/" + html.relative_to(site).with_suffix(".ipynb").as_posix()
        if launch and not any(link.endswith(target) for link in facts["launch"]):
            problems.append(f"no 'launch on Binder' link to {target}: {facts['launch'][:2]}")
        if not launch and facts["launch"]:
            problems.append(f"a 'launch on Binder' link with no repository: {facts['launch'][:1]}")
        downloads = [d for d in facts["download"] if "/_sources/" in d]
        if not downloads:
            problems.append("no link to download the notebook")
        for link in downloads:
            if not Path(link.removeprefix("file://")).is_file():
                problems.append(f"the download link {link} leads nowhere")
    return report


def reading_order(site: Path, pages: list[Path]) -> list[Path]:
    """The lesson pages in the sidebar's order: learner versions, then solution versions."""
    learner = sorted(p for p in pages if p.parent == site)
    solutions = sorted(p for p in pages if p.parent != site)
    return learner + solutions


def check_search(context, site: Path, word: str = "entropy") -> list[str]:
    """The search page, opened from disk, finds ``word``."""
    page = context.new_page()
    try:
        page.goto((site / "search.html").resolve().as_uri() + f"?q={word}", wait_until="load")
        page.wait_for_function(
            "() => document.querySelectorAll('#search-results li, ul.search li').length > 0",
            timeout=20_000,
        )
        found = page.locator("#search-results li, ul.search li").count()
    except Exception as error:  # a timeout: nothing found
        return [f"search for {word!r} found nothing ({type(error).__name__})"]
    finally:
        page.close()
    return [] if found else [f"search for {word!r} found nothing"]


# ------------------------------------------------------------------ accessibility (axe-core)

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # WCAG 2.1, levels A and AA
MODE = "localStorage.setItem('mode', '{0}'); localStorage.setItem('theme', '{0}');"


def axe_script() -> Path:
    """axe-core's script, pinned in book/package.json (installed by ``npm ci`` if missing)."""
    from build_site import axe_script as pinned

    return pinned()


# Every rule of the tags runs on the whole page; resultTypes only spares axe the details (a
# unique selector for every node) of the passes and the incomplete results, which are not
# read: the violations come in full (axe-core's documented way to make a run faster).
AXE_RUN = """async tags => {
    const result = await axe.run(document, {
        runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
    });
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, nodes: v.nodes.length,
        targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
    }));
}"""
# The theme's colours change at once (no transitions), so that axe reads the final ones.
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; }"


def axe_audit(context, url: str, modes=("light", "dark")) -> dict[str, list[dict]]:
    """axe-core's WCAG 2.1 A/AA violations of the page at ``url`` in each colour mode
    (``{"light": [{"id", "impact", "nodes", "targets"}], "dark": [...]}``), after MathJax has
    typeset the page. The page is loaded once, in the first mode; the theme's switch to the
    other is what its dark-mode button does (``data-theme`` on the root element)."""
    page = context.new_page()
    try:
        page.add_init_script(MODE.format(modes[0]))
        page.goto(url, wait_until="load")
        return _axe_modes(page, modes)
    finally:
        page.close()


def _axe_modes(page, modes) -> dict[str, list[dict]]:
    """axe-core's violations of the open page (loaded in ``modes[0]``) in each mode, once
    MathJax has typeset it."""
    found = {}
    page.evaluate(
        "async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise)"
        " { await MathJax.startup.promise; } }"
    )
    page.add_style_tag(content=NO_TRANSITIONS)
    page.add_script_tag(path=str(axe_script()))
    for mode in modes:
        page.evaluate(
            "m => { document.documentElement.dataset.theme = m;"
            " document.documentElement.dataset.mode = m; }",
            mode,
        )
        page.wait_for_timeout(50)
        shown = page.evaluate("document.documentElement.dataset.theme")
        if shown != mode:
            raise RuntimeError(f"the page is in {shown} mode, not {mode}")
        found[mode] = page.evaluate(AXE_RUN, AXE_TAGS)
    return found


def axe_violations(context, url: str, dark: bool = False) -> list[dict]:
    """axe-core's violations of the page at ``url`` in light or dark mode (``axe_audit``)."""
    mode = "dark" if dark else "light"
    return axe_audit(context, url, (mode,))[mode]


# ------------------------------------------------------------------------------ the menus

MENU_STATE = """selector => {
    const sidebar = document.querySelector(selector === '.primary-toggle'
        ? '#pst-primary-sidebar' : '#pst-secondary-sidebar');
    const dialog = document.querySelector(selector === '.primary-toggle'
        ? '#pst-primary-sidebar-modal' : '#pst-secondary-sidebar-modal');
    const shown = el => !!el && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
        && el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > 0;
    const links = el => el ? Array.from(el.querySelectorAll('a')).filter(shown).length : 0;
    return {dialog: !!(dialog && dialog.open), dialog_links: links(dialog),
            sidebar: shown(sidebar), sidebar_links: links(sidebar)};
}"""


# After a click on a toggle: the drawer or the sidebar has changed from ``before`` (or the
# dialog has closed, for Escape) and no transition is still running, so what is read is
# where the theme's transition ends.
MENU_SETTLED = (
    "([selector, before]) => { const now = (" + MENU_STATE + ")(selector);"
    " return (now.dialog !== before.dialog || now.sidebar !== before.sidebar)"
    " && document.getAnimations().every(a => a.playState !== 'running'); }"
)


def _menu_after(page, selector: str, before: dict, timeout_ms: int = 2000) -> dict:
    """The menu's state once a click (or Escape) has changed it and its transition has
    ended; if nothing changes within ``timeout_ms``, the state as it is then."""
    try:
        page.wait_for_function(MENU_SETTLED, arg=[selector, before], timeout=timeout_ms)
    except Exception as error:  # nothing changed: the caller says so
        if "Timeout" not in type(error).__name__:
            raise
    return page.evaluate(MENU_STATE, selector)


def check_menus(browser, url: str, width: int, height: int = 844) -> list[str]:
    """Click every visible sidebar toggle at ``width`` px: each must open its drawer (a dialog
    on a small screen; on a wide one, the sidebar shown if it was hidden, and hidden again by a
    second click), with links in it. Returns the problems; none if every toggle works."""
    problems = []
    context = offline_context(browser, {"width": width, "height": height})
    try:
        for selector in (".primary-toggle", ".secondary-toggle"):
            page = context.new_page()
            try:
                page.goto(url, wait_until="load")
                toggles = page.locator(selector)
                visible = [i for i in range(toggles.count()) if toggles.nth(i).is_visible()]
                for index in visible:
                    toggle = toggles.nth(index)
                    before = page.evaluate(MENU_STATE, selector)
                    toggle.click()
                    after = _menu_after(page, selector, before)  # the sidebar's transition
                    name = f"{selector} #{index} at {width} px"
                    if after["dialog"]:
                        if after["dialog_links"] == 0:
                            problems.append(f"{name}: the drawer opened with no links")
                        page.keyboard.press("Escape")
                        if _menu_after(page, selector, after, 1000)["dialog"]:
                            problems.append(f"{name}: Escape does not close the drawer")
                    elif after["sidebar"] != before["sidebar"]:
                        if not after["sidebar"]:  # it was open: a second click opens it again
                            toggle.click()
                            after = _menu_after(page, selector, after)
                        if not after["sidebar"] or after["sidebar_links"] == 0:
                            problems.append(f"{name}: the sidebar did not open again")
                    else:
                        problems.append(f"{name}: a click opens nothing ({before} -> {after})")
                has_contents = page.evaluate(
                    "s => document.querySelectorAll(s === '.primary-toggle'"
                    " ? '#pst-primary-sidebar a' : '#pst-secondary-sidebar a').length",
                    selector,
                )
                state = page.evaluate(MENU_STATE, selector)
                if not visible and has_contents and not state["sidebar"]:
                    # A page without contents of its own (the front page) has no
                    # secondary sidebar and no toggle for it.
                    problems.append(f"no visible {selector} at {width} px, and no sidebar")
            finally:
                page.close()
    finally:
        context.close()
    return problems


# -------------------------------------------------------------------------------- search

SEARCH_RESULTS = """() => Array.from(document.querySelectorAll('#search-results ul.search > li:not([hidden])'))
    .map(li => {
        const a = li.querySelector('a');
        const clone = a.cloneNode(true);
        clone.querySelectorAll('mjx-container').forEach(m => m.replaceWith('[formula]'));
        return {href: a.href, title: clone.textContent.trim()};
    })"""


def search_results(context, site: Path, term: str) -> list[dict]:
    """The search page's results for ``term`` (``[{"href", "title"}]``, best first), once they
    and their formulas are shown."""
    from urllib.parse import quote

    page = context.new_page()
    try:
        page.goto(
            (site / "search.html").resolve().as_uri() + f"?q={quote(term)}", wait_until="load"
        )
        # Sphinx's search writes its summary ("Search finished, found ...") once the last
        # result is in the list; then MathJax.
        page.wait_for_function(
            "() => { const s = document.querySelector('#search-results p.search-summary');"
            " return s !== null && s.textContent.trim() !== ''; }",
            timeout=20_000,
        )
        page.evaluate(
            "async () => { if (window.MathJax && MathJax.typesetPromise) {"
            " await MathJax.startup.promise; await MathJax.typesetPromise(); } }"
        )
        return page.evaluate(SEARCH_RESULTS)
    finally:
        page.close()


def check_search_ranking(context, site: Path, expected: dict[str, str]) -> list[str]:
    """For each ``term: page`` (``"log-sum-exp": "03_softmax.html"``), the page is among the
    first three results; no page is listed twice and no title shows TeX."""
    problems = []
    for term, page_name in expected.items():
        found = search_results(context, site, term)
        pages = [r["href"].split("#")[0].split("?")[0] for r in found]
        top = [p.rsplit("/", 1)[-1] for p in pages[:3]]
        if page_name not in top:
            rank = next((i + 1 for i, p in enumerate(pages) if p.endswith("/" + page_name)), None)
            problems.append(f"search {term!r}: {page_name} is result {rank}, first three {top}")
        if len(set(pages)) != len(pages):
            problems.append(f"search {term!r}: a page is listed more than once")
        if any("/solutions/" in p for p in pages):
            problems.append(f"search {term!r}: lists a solution page")
        raw = [r["title"] for r in found if "\\" in r["title"] or "$" in r["title"]]
        if raw:
            problems.append(f"search {term!r}: TeX in result titles {raw[:2]}")
    return problems


# ------------------------------------------------------------------------------ keyboard


def tabs_to(context, url: str, selector: str = "a.right-next", limit: int = 600) -> int | None:
    """How many presses of Tab, from the top of the page, reach ``selector`` (None: never)."""
    page = context.new_page()
    try:
        page.goto(url, wait_until="load")
        page.evaluate(
            "async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise)"
            " { await MathJax.startup.promise; } }"
        )
        # The page counts the presses of Tab and notes the count when focus first reaches
        # ``selector``: the presses go in batches, with one look at the page after each.
        page.evaluate(
            """s => {
                const seen = {presses: 0, reached: null};
                window.__tabsTo = seen;
                window.addEventListener('keydown', e => {
                    if (e.key === 'Tab') seen.presses += 1;
                }, true);
                document.addEventListener('focusin', e => {
                    if (seen.reached === null && e.target.matches(s)) seen.reached = seen.presses;
                }, true);
            }""",
            selector,
        )
        pressed = 0
        while pressed < limit:
            for _ in range(min(10, limit - pressed)):
                page.keyboard.press("Tab")
                pressed += 1
            reached = page.evaluate("() => window.__tabsTo.reached")
            if reached is not None:
                return reached
    finally:
        page.close()
    return None


@contextlib.contextmanager
def serve(folder: Path):
    """The site over HTTP on 127.0.0.1 (a free port), in a thread; stopped on exit."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def check_served(browser, site: Path) -> list[str]:
    """The index and the first lesson, served over HTTP: typeset, loaded, nothing fetched
    from elsewhere."""
    problems = []
    with serve(site) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        refused: list[str] = []

        def route(request_route):
            url = request_route.request.url
            if url.startswith((base, "data:", "blob:")):
                return request_route.continue_()
            refused.append(url)
            return request_route.abort()

        context.route("**/*", route)
        try:
            first = sorted(site.glob("[0-9][0-9]_*.html"))[:1]
            for path in [site / "index.html", *first]:
                page = context.new_page()
                try:
                    page.goto(f"{base}/{path.relative_to(site).as_posix()}", wait_until="load")
                    facts = page.evaluate(PAGE_FACTS)
                finally:
                    page.close()
                if facts["broken"] or facts["untypeset"] or facts["errors"]:
                    problems.append(
                        f"served {path.name}: {facts['broken'][:2]} {facts['untypeset'][:2]}"
                    )
        finally:
            context.close()
        if refused:
            problems.append(f"served pages ask the network for {refused[:3]}")
    return problems


# Three terms of the course and the lesson that teaches each: it must come in the first three.
SEARCH_TERMS = {
    "log-sum-exp": "03_softmax.html",
    "perplexity": "08_bits_per_character.html",
    "temperature scaling": "10_calibration.html",
}


def check_site(
    browser,
    site: Path,
    pages: list[Path],
    shots: Path | None = SCREENSHOTS,
    launch: bool = True,
    axe: bool = True,
):
    """Check the index, every page in ``pages`` (with axe-core in light and dark mode), the
    menus, and the search page; returns the reports and the site-wide problems."""
    order = reading_order(site, pages)
    sources = _sources(site, order)
    context = offline_context(browser)
    general = []
    try:
        everything = [site / "index.html", *order, site / "search.html", site / "genindex.html"]
        reports = [check_page(context, site, site / "index.html", None, order, shots, launch)]
        for html in order:
            reports.append(check_page(context, site, html, sources[html], order, shots, launch))
        if axe:
            for html in everything:
                for mode, found in axe_audit(context, html.resolve().as_uri()).items():
                    for v in found:
                        general.append(
                            f"axe {html.relative_to(site)} ({mode}): "
                            f"{v['id']} x{v['nodes']} {v['targets'][:1]}"
                        )
        general += check_search(context, site)
        terms = {t: p for t, p in SEARCH_TERMS.items() if (site / p).is_file()}
        general += check_search_ranking(context, site, terms)
    finally:
        context.close()
    first = order[0] if order else site / "index.html"
    for width in (390, 1366):
        general += check_menus(browser, first.resolve().as_uri(), width)
    general += check_served(browser, site)
    return reports, general


def _sources(site: Path, order: list[Path]) -> dict:
    """Each page's notebook, as the site ships it for download (``_sources/``)."""
    return {
        html: site / "_sources" / html.relative_to(site).with_suffix(".ipynb") for html in order
    }


def check_site_or_explain(site: Path, pages: list[Path], launch: bool = True) -> int:
    """``check_site`` with a printed table; 0 if every page is fine or the check cannot run."""
    if chromium_path() is None:
        print("site check skipped: Chromium not found (apt-get install -y chromium)")
        return 0
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        print("site check skipped: playwright is not installed (pip install -r requirements.txt)")
        return 0
    with open_browser() as browser:
        reports, general = check_site(browser, site, pages, launch=launch)
    print(f"checked in Chromium (offline), screenshots in {SCREENSHOTS.relative_to(ROOT)}/:")
    failed = 0
    for report in reports:
        facts = report.facts
        status = "ok" if not report.problems else "FAIL: " + "; ".join(report.problems)
        print(
            f"  {report.page}: {facts.get('math', 0)} formulas, {facts.get('images', 0)} images, "
            f"{len(facts.get('widget_pictures', []))} widgets: {status}"
        )
        failed += bool(report.problems)
    for problem in general:
        print(f"  FAIL: {problem}")
    return 1 if failed or general else 0
