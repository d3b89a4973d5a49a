"""The course's JupyterLab for a reader who uses a screen reader or the keyboard.

JupyterLab runs with the course's settings (``jupyter_config/``, as ``make lab`` has them) on
a notebook of two cells: a course slider (a ``FloatLogSlider`` for a temperature) and a
figure shown with ``xl.show_figure``. The slider must be a ``slider`` named by its label, and
say its value as its readout shows it (1.07, not its exponent 0.0294), also after a key
press; the figure's picture must carry the alt text saved with it; nbgrader's teacher panels
(the "Validate" button, its menu, "Create Assignment") must not be there.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from _browser import REPO, SCREENSHOTS, open_browser, skip_without_browser

skip_without_browser(pytest)

# The jupyterlab lane (conftest.py).
pytestmark = pytest.mark.jupyterlab_lane

from _lab_page import menu, open_notebook  # noqa: E402
from _lab_server import LabServer  # noqa: E402

ALT = "A straight line rising from the bottom left corner to the top right corner."
CELLS = [
    "from xent_lessons.widgets._controls import labelled_slider\n"
    'slider = labelled_slider("temperature T", 1.07, 0.1, 10.0, 0.01, log_base=10,\n'
    '                         readout_format=".2f")\n'
    "slider",
    "import matplotlib.pyplot as plt\n"
    "import xent_lessons as xl\n"
    "fig, ax = plt.subplots(figsize=(3, 2))\n"
    "ax.plot([0, 1], [0, 1])\n"
    f"xl.show_figure(fig, alt={ALT!r})",
]

SLIDER = """() => {
    const handle = document.querySelector('.jp-OutputArea .widget-slider .noUi-handle');
    const label = document.getElementById(handle.getAttribute('aria-labelledby') || '');
    const readout = handle.closest('.widget-slider').querySelector('.widget-readout');
    return {name: label ? label.textContent.trim() : null,
            valuetext: handle.getAttribute('aria-valuetext'),
            valuenow: handle.getAttribute('aria-valuenow'),
            readout: readout.textContent.trim()};
}"""


class CourseLab(LabServer):
    """A throw-away JupyterLab with the course's settings, as ``make lab`` starts it."""

    def environment(self) -> dict:
        env = super().environment()
        env["JUPYTER_CONFIG_PATH"] = str(REPO / "jupyter_config")
        return env


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab-a11y")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, notebooks / "a11y.ipynb")
    server = CourseLab(notebooks, root)
    try:
        yield server.start()
    finally:
        server.stop()


def test_slider_named_by_its_label_says_its_value_and_figure_has_alt(lab):
    with open_browser() as browser:
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        try:
            page = context.new_page()
            open_notebook(page, lab.url("/lab/tree/a11y.ipynb"), len(CELLS))
            menu(page, "Run", "runmenu:run-all")
            page.wait_for_selector(".jp-OutputArea .widget-slider .noUi-handle", timeout=60_000)
            page.wait_for_selector(".jp-OutputArea img[alt]", timeout=60_000)
            page.wait_for_function(
                "() => { const h = document.querySelector('.widget-slider .noUi-handle');"
                " return h && h.hasAttribute('aria-labelledby'); }",
                timeout=20_000,
            )
            before = page.evaluate(SLIDER)
            assert before["name"] == "temperature T", before
            assert before["readout"] == "1.07" and before["valuetext"] == "1.07", before
            slider = page.get_by_role("slider", name="temperature T")
            assert slider.count() == 1
            slider.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "v => document.querySelector('.widget-slider .widget-readout')"
                ".textContent.trim() !== v",
                arg=before["readout"],
                timeout=20_000,
            )
            page.wait_for_timeout(300)
            after = page.evaluate(SLIDER)
            assert after["valuetext"] == after["readout"] != "1.07", after
            assert 1.07 < float(after["valuetext"]) < 1.2, after  # a step of the exponent up
            alts = page.eval_on_selector_all(
                ".jp-OutputArea img", "imgs => imgs.map(i => i.getAttribute('alt'))"
            )
            assert alts == [ALT], alts
            # nbgrader's teacher panels are not in the learner's JupyterLab.
            assert page.locator(".jp-Toolbar").get_by_text("Validate").count() == 0
            assert page.locator(".lm-MenuBar-item", has_text=re.compile("nbgrader")).count() == 0
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "lab-a11y.png"))
        finally:
            context.close()


def test_nbgrader_teacher_panels_are_disabled_for_learners(lab):
    """The page's configuration lists them as disabled (jupyter_config/labconfig)."""
    import json
    import urllib.request

    with urllib.request.urlopen(lab.url("/lab"), timeout=60) as response:
        page = response.read().decode()
    found = re.search(r'<script id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)
    disabled = json.loads(found.group(1))["disabledExtensions"]
    for plugin in ("validate-assignment", "create-assignment", "menu"):
        assert f"@jupyter/nbgrader:{plugin}" in disabled, disabled
    names = [e["name"] for e in json.loads(found.group(1))["federated_extensions"]]
    assert "xent-lessons-a11y" in names, names
