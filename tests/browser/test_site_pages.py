"""The static course site (``make html``), built and read in headless Chromium with no network.

The site is built once for the run (conftest.py's ``site``: Sphinx with myst-nb and
sphinx-book-theme, from the notebooks as saved, and the widgets' frames rendered by their
own code), then ``tools/site_check.py`` opens every page
from disk, as a reader without a network would, and each must have: every formula typeset
by the site's own MathJax (no raw TeX), every image loaded (one per figure and one per
widget, the widget's picture at its intended size with its readout), the sidebar with
every lesson, its contents, a link to the next page and to the previous one, a "launch on
Binder" link and a download link, and every image a real description as its alt text.
axe-core (pinned in book/package.json) audits every page in light and dark mode (WCAG 2.1
A and AA): any violation fails. Each sidebar toggle is clicked on a phone and on a desktop
and must open its drawer. The search page must find a word, rank the lesson that teaches a
term in its first three results, list no solution page and show no raw TeX; the pages must
also work served over HTTP. A page that asks the network for anything fails.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _browser import REPO, SCREENSHOTS, open_browser, skip_without_browser

skip_without_browser(pytest)

# The site lane (conftest.py).
pytestmark = pytest.mark.site_lane

import build_site  # noqa: E402
from site_check import (  # noqa: E402
    SEARCH_TERMS,
    axe_audit,
    axe_violations,
    check_menus,
    check_page,
    check_search,
    check_search_ranking,
    check_served,
    notebook_counts,
    offline_context,
    reading_order,
    search_results,
    tabs_to,
)

NOTEBOOKS = REPO / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*.ipynb"))
PAGES = [path.relative_to(NOTEBOOKS).with_suffix(".html") for path in LESSONS + SOLUTIONS]


@pytest.fixture(scope="module")
def site_without_binder(tmp_path_factory):
    """The site as `make html` builds it while the README still says OWNER/REPO: one lesson
    is enough to see the launch buttons go (the full site is ``site``, in conftest.py)."""
    work = tmp_path_factory.mktemp("site-no-binder")
    notebooks = work / "notebooks"
    notebooks.mkdir()
    shutil.copy2(LESSONS[0], notebooks / LESSONS[0].name)
    out = work / "site"
    pages = build_site.build(
        out, notebooks=notebooks, solutions=False, work=work / "build", binder="OWNER/REPO"
    )
    return out, pages


@pytest.fixture(scope="module")
def browser():
    with open_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def context(browser):
    context = offline_context(browser)
    yield context
    context.close()


def figures_without_alt(notebook: Path) -> int:
    """The image outputs of a notebook whose metadata has no ``alt`` (not xl.show_figure's)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    count = 0
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                count += not output.get("metadata", {}).get("image/png", {}).get("alt")
    return count


def test_lessons_00_to_07_describe_every_figure():
    for notebook in [*LESSONS, *SOLUTIONS]:
        if notebook.name[:2] <= "07":
            assert figures_without_alt(notebook) == 0, notebook.name


def test_every_notebook_has_a_page(site):
    out, pages = site
    assert sorted(p.relative_to(out) for p in pages) == sorted(PAGES)
    for page in pages:
        assert page.is_file(), page
        assert (out / "_sources" / page.relative_to(out).with_suffix(".ipynb")).is_file()
    assert (out / "_static" / "mathjax" / "tex-svg.js").is_file()


# axe-core's findings on a page, from the load of it that test_page_reads_offline (or the
# index's test) made: the same audit as axe_audit's, without a second load and typesetting of
# the page. The axe test takes them, or audits the page itself when they are not there (run
# alone, or the read failed before its audit).
AXE_MODES = ("light", "dark")
AXE_FOUND: dict[Path, dict] = {}


def test_index_lists_every_lesson_and_both_versions(site, context):
    out, pages = site
    order = reading_order(out, pages)
    report = check_page(
        context, out, out / "index.html", None, order, SCREENSHOTS / "site", axe_modes=AXE_MODES
    )
    AXE_FOUND[Path("index.html")] = report.axe
    assert report.problems == []
    text = (out / "index.html").read_text(encoding="utf-8")
    for lesson in LESSONS:
        assert f'href="{lesson.stem}.html"' in text, lesson.name
        if (NOTEBOOKS / "solutions" / lesson.name).is_file():
            assert f'href="solutions/{lesson.stem}.html"' in text, lesson.name


@pytest.mark.parametrize("page", PAGES, ids=[str(p.with_suffix("")) for p in PAGES])
def test_page_reads_offline(site, context, page):
    out, pages = site
    html = out / page
    report = check_page(
        context,
        out,
        html,
        out / "_sources" / page.with_suffix(".ipynb"),
        reading_order(out, pages),
        SCREENSHOTS / "site",
        axe_modes=AXE_MODES,
    )
    AXE_FOUND[page] = report.axe
    # Every image must have a real alt text. A figure still shown with plt.show() (no alt in
    # its output's metadata; lessons are moving to xl.show_figure issue by issue) must be
    # reported as one without, exactly so many of them; once a lesson has moved, none.
    without_alt = figures_without_alt(NOTEBOOKS / page.with_suffix(".ipynb"))
    problems = [p for p in report.problems if "without a useful alt text" not in p]
    reported = [p for p in report.problems if "without a useful alt text" in p]
    assert problems == [], "\n".join(problems)
    if without_alt:
        assert reported and reported[0].startswith(f"{without_alt} images without"), reported
    else:
        assert reported == [], reported
    facts = report.facts
    _, widgets = notebook_counts(NOTEBOOKS / page.with_suffix(".ipynb"))
    assert len(facts["widget_pictures"]) == widgets
    assert all(picture["loaded"] for picture in facts["widget_pictures"])
    assert facts["math"] > 0 and not facts["untypeset"]
    # The solution page says so, in its title.
    assert (", with solutions" in facts["title"]) == (page.parts[0] == "solutions")


@pytest.mark.parametrize("page", PAGES[:1] + [p for p in PAGES if p.parts[0] == "solutions"][:1])
def test_launch_links_point_at_the_repository_and_the_notebook(site, page):
    out, _ = site
    text = (out / page).read_text(encoding="utf-8")
    notebook = page.with_suffix(".ipynb").as_posix()
    assert (
        "https://mybinder.org/v2/gh/example/cross-entropy/HEAD"
        f"?urlpath=lab/tree/notebooks/{notebook}"
    ) in text


def test_search_finds_a_word_of_the_course(site, context):
    out, _ = site
    assert check_search(context, out, "entropy") == []


def test_search_ranks_the_teaching_lesson_first_and_shows_no_tex(site, context):
    out, _ = site
    terms = {term: page for term, page in SEARCH_TERMS.items() if (out / page).is_file()}
    assert len(terms) >= 3, terms
    assert check_search_ranking(context, out, terms) == []
    # A title with a formula (lesson 06's) is typeset, not shown as TeX.
    titles = [r["title"] for r in search_results(context, out, "gradient")]
    assert any("[formula]" in title for title in titles), titles[:5]


AUDITED = [Path("index.html"), *PAGES, Path("search.html"), Path("genindex.html")]


@pytest.mark.parametrize("page", AUDITED, ids=[str(p.with_suffix("")) for p in AUDITED])
def test_axe_finds_no_violation_in_light_or_dark_mode(site, context, page):
    out, _ = site
    found = AXE_FOUND.get(page) or axe_audit(context, (out / page).resolve().as_uri())
    assert list(found) == list(AXE_MODES)
    assert found == {"light": [], "dark": []}, "\n".join(
        f"{mode}: {v['id']} x{v['nodes']}: {v['targets']}"
        for mode, violations in found.items()
        for v in violations
    )


def test_dark_mode_is_audited_as_dark(site, context):
    """Switching the theme as its button does gives the same result as a page opened dark."""
    out, _ = site
    url = (out / PAGES[3]).resolve().as_uri()
    switched = (AXE_FOUND.get(PAGES[3]) or axe_audit(context, url))["dark"]
    assert axe_violations(context, url, dark=True) == switched


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("page", ["index.html", "10_calibration.html"])
def test_menu_toggles_open_their_drawers(site, browser, page, width):
    out, _ = site
    assert check_menus(browser, (out / page).resolve().as_uri(), width) == []


def test_formulas_are_not_tab_stops(site, context):
    """Lesson 10: 162 presses of Tab reached "Next" before (86 formulas, 31 code blocks)."""
    out, _ = site
    count = tabs_to(context, (out / "10_calibration.html").resolve().as_uri())
    assert count is not None and count <= 60, count


def test_solution_pages_are_not_searched(site):
    out, _ = site
    index = (out / "searchindex.js").read_text(encoding="utf-8")
    assert '"solutions/' in index  # listed, as every page is ...
    words = index[index.index('"terms":') :]
    assert "solutions/" not in words  # ... but none of their words is indexed


def test_the_site_also_works_served(site, browser):
    out, _ = site
    assert check_served(browser, out) == []


def test_no_launch_button_while_the_repository_is_a_placeholder(site_without_binder, context):
    out, pages = site_without_binder
    order = reading_order(out, pages)
    report = check_page(
        context,
        out,
        pages[0],
        out / "_sources" / pages[0].relative_to(out).with_suffix(".ipynb"),
        order,
        None,
        launch=False,
    )
    assert report.problems == [], report.problems
    text = pages[0].read_text(encoding="utf-8")
    assert "OWNER/REPO" not in text and "mybinder.org" not in text
    assert "no public" in (out / "index.html").read_text(encoding="utf-8")


def test_build_leaves_nothing_outside_its_folders(site):
    out, _ = site  # make html: site/ in the repository, and myst-nb's files in build/
    assert not (out.parent / "jupyter_execute").exists()


def test_repository_comes_from_the_readme():
    assert build_site.repository() == build_site.BINDER_LINK.search(
        (REPO / "README.md").read_text()
    ).group(1)


def test_mathjax_is_the_pinned_npm_package():
    pinned = json.loads((REPO / "book" / "package.json").read_text())["dependencies"]["mathjax"]
    lock = json.loads((REPO / "book" / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/mathjax"]["version"] == pinned
    installed = Path(build_site.mathjax_dir()).parent / "package.json"
    assert json.loads(installed.read_text())["version"] == pinned
