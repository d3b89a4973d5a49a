"""The static course site (``make html``), checked in headless Chromium without a network.

The site is built here from the notebooks' saved outputs (``--no-execute``: the notebooks
are committed after Restart & Run All, and nbval checks those outputs), so the test takes
seconds; ``make html`` builds it from fresh runs and runs the same check. Each page must show
all its figures (every visible ``<img>`` loaded), one saved picture per widget (the widgets'
live view needs a CDN and, to respond, a kernel), and the index must link every lesson.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from _browser import REPO, SCREENSHOTS, open_browser, skip_without_browser

skip_without_browser(pytest)

from build_site import WIDGET_VIEW, build, find_lessons  # noqa: E402
from site_check import check_page  # noqa: E402

NOTEBOOKS = REPO / "notebooks"
# A folder with the widgets' HTML manager (embed-amd.js) and require.js, to stand in for the
# CDN they load from: `npm pack @jupyter-widgets/html-manager requirejs`, then unpack both.
WIDGET_JS = os.environ.get("XENT_WIDGET_JS")
PAGES = [
    (kind, path)
    for lesson in find_lessons(NOTEBOOKS)
    for kind, path in (("lessons", lesson.learner), ("solutions", lesson.solution))
    if path is not None
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    pages = build(out, execute_notebooks=False, notebooks=NOTEBOOKS)
    return out, pages


@pytest.fixture(scope="module")
def browser():
    with open_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def offline_context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    yield context
    context.close()


def test_index_links_every_lesson(site, offline_context):
    site, _ = site
    lessons = find_lessons(NOTEBOOKS)
    report = check_page(offline_context, site / "index.html", 0, SCREENSHOTS / "site")
    assert report.problems == []
    text = (site / "index.html").read_text()
    rows = re.findall(r"<tr><td class=\"num\">(\d\d)</td><td>([^<]+)</td>", text)
    assert [number for number, _ in rows] == [lesson.number for lesson in lessons]
    for (_, title), lesson in zip(rows, lessons, strict=True):
        assert title.strip() and not title.startswith(("Lesson", lesson.number)), title
    links = re.findall(r'href="((?:lessons|solutions)/[^"]+\.html)"', text)
    assert len(links) == len(PAGES)
    for link in links:
        assert (site / link).is_file(), link


@pytest.mark.parametrize(
    ("kind", "notebook"),
    PAGES or [pytest.param(None, None, marks=pytest.mark.skip(reason="no lesson notebooks yet"))],
    ids=[f"{kind}/{path.stem}" for kind, path in PAGES] or None,
)
def test_page_shows_its_figures_without_a_kernel(site, offline_context, kind, notebook):
    site, pages = site
    page = site / kind / f"{notebook.stem}.html"
    info = pages[page]
    report = check_page(offline_context, page, info.figures, SCREENSHOTS / "site")
    assert report.problems == []
    assert report.loaded == report.images >= report.expected >= info.figures
    # Every widget output carries its saved picture, and its state is embedded for the
    # widgets' HTML manager (the live view, where the CDN can be reached).
    views = info.widget_views
    assert info.widgets == views
    assert report.widget_pictures >= views
    html = page.read_text()
    if views:
        state = re.search(
            r'<script type="application/vnd\.jupyter\.widget-state\+json">\s*(.*?)\s*</script>',
            html,
            re.DOTALL,
        )
        assert state and json.loads(state.group(1))["state"]
        assert html.count(f'<script type="{WIDGET_VIEW}">') == views


@pytest.mark.skipif(
    not WIDGET_JS,
    reason="set XENT_WIDGET_JS to a folder with the widgets' embed-amd.js and require.js",
)
def test_saved_widget_state_renders_where_the_cdn_is_reachable(site, browser):
    """With the CDN's scripts served from disk, the saved state shows as live widgets."""
    site, pages = site
    files = {
        name: next(Path(WIDGET_JS).rglob(name)).read_bytes()
        for name in ("embed-amd.js", "require.js")
    }

    def serve(route):
        url = route.request.url
        if url.startswith("file:"):
            return route.continue_()
        if "@jupyter-widgets/html-manager" in url and url.endswith("/embed-amd.js"):
            return route.fulfill(body=files["embed-amd.js"], content_type="text/javascript")
        if "require" in url and url.endswith(".js"):
            return route.fulfill(body=files["require.js"], content_type="text/javascript")
        return route.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", serve)
    try:
        for path, info in sorted(pages.items()):
            if not info.widget_views:
                continue
            page = context.new_page()
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function(
                "n => document.querySelectorAll('img.widget-image').length >= n",
                arg=info.widget_views,
                timeout=20_000,
            )
            live = page.eval_on_selector_all(
                "img.widget-image", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"
            )
            assert all(live), f"{path.name}: a live widget's saved picture did not load"
            hidden = page.eval_on_selector_all(
                ".xent-widget-fallback", "els => els.map(e => e.hidden)"
            )
            assert all(hidden), (
                f"{path.name}: the fallback picture is still shown beside the live view"
            )
            page.close()
    finally:
        context.close()
