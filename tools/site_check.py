"""Check the built course site in headless Chromium: every page shows its figures.

Each page is opened from disk as a reader without a network would see it (requests that
leave the site, such as the CDN scripts for MathJax and the widgets, are refused), and:
every visible ``<img>`` must have loaded (``naturalWidth > 0``); there must be at least as
many as the notebook has image outputs, plus one saved picture per widget; and no page may
say "Error displaying widget". Used by ``tools/build_site.py`` and tests/browser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "screenshots" / "site"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
WIDGET_PICTURE = 'alt="saved figure of an interactive widget"'

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


def image_outputs(nb) -> int:
    """How many image outputs (static figures) a notebook (or its path) has."""
    if isinstance(nb, str | Path):
        nb = nbformat.read(nb, as_version=4)
    return sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if any(t in out.get("data", {}) for t in IMAGE_TYPES)
    )


@dataclass
class PageReport:
    page: str
    images: int = 0  # visible <img> elements
    loaded: int = 0  # ... of which loaded, with naturalWidth > 0
    expected: int = 0  # at least this many: figure outputs + widget pictures
    widget_pictures: int = 0
    problems: list[str] = field(default_factory=list)


def check_page(context, path: Path, figures: int, shots: Path | None) -> PageReport:
    """Open one page; ``figures``: how many image outputs its notebook had when exported."""
    report = PageReport(page=str(path))
    html_text = path.read_text(encoding="utf-8")
    report.widget_pictures = html_text.count(WIDGET_PICTURE)
    report.expected = figures + report.widget_pictures
    page = context.new_page()
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        images = page.evaluate(
            """() => Array.from(document.images)
                .filter(img => img.checkVisibility())
                .map(img => ({loaded: img.complete && img.naturalWidth > 0,
                              alt: img.alt, src: img.src.slice(0, 40)}))"""
        )
        report.images = len(images)
        report.loaded = sum(1 for i in images if i["loaded"])
        broken = [f"{i['alt'] or '(no alt)'} {i['src']}" for i in images if not i["loaded"]]
        if broken:
            report.problems.append(f"{len(broken)} images did not load: {broken[:3]}")
        if report.images < report.expected:
            report.problems.append(f"{report.images} images shown, expected {report.expected}")
        if "Error displaying widget" in page.inner_text("body"):
            report.problems.append("says 'Error displaying widget'")
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            name = f"{path.parent.name}-{path.stem}" if path.stem != "index" else "index"
            page.screenshot(path=str(shots / f"{name}.png"))
            fallback = page.locator(".xent-widget-fallback").first
            if fallback.count():
                fallback.scroll_into_view_if_needed()
                page.screenshot(path=str(shots / f"{name}-widget.png"))
    finally:
        page.close()
    return report


def check_site(
    browser, site: Path, pages: dict, shots: Path | None = SCREENSHOTS
) -> list[PageReport]:
    """Open the index and every page in ``pages`` (``{html path: PageInfo}``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # Read the pages as from a disk with no network: only file: (and data:) URLs load.
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    try:
        reports = [check_page(context, site / "index.html", 0, shots)]
        for path, info in sorted(pages.items()):
            reports.append(check_page(context, Path(path), info.figures, shots))
    finally:
        context.close()
    return reports


def check_site_or_explain(site: Path, pages: dict) -> int:
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
        reports = check_site(browser, site, pages)
    failed = 0
    print(f"checked in Chromium (offline), screenshots in {SCREENSHOTS.relative_to(ROOT)}/:")
    for r in reports:
        status = "ok" if not r.problems else "FAIL: " + "; ".join(r.problems)
        name = Path(r.page).relative_to(site)
        print(
            f"  {name}: {r.loaded}/{r.images} images loaded ({r.widget_pictures} widget pictures) {status}"
        )
        failed += bool(r.problems)
    return 1 if failed else 0
