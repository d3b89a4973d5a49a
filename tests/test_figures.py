"""xl.show_figure: a 2x picture, shown at its CSS size, with its description as alt and text."""

import base64

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import xent_lessons as xl
from xent_lessons import figures, style


def _shown(monkeypatch, fig, alt):
    calls = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: calls.append((a, k)))
    xl.show_figure(fig, alt=alt)
    assert len(calls) == 1
    (bundle,), kwargs = calls[0]
    return bundle, kwargs


def test_picture_is_2x_with_alt_text_and_the_figure_is_closed(monkeypatch):
    fig, ax = plt.subplots(figsize=(4.0, 2.0))
    ax.plot([0, 1], [0, 1])
    bundle, kwargs = _shown(monkeypatch, fig, "  A line rising from (0, 0) to (1, 1).  ")
    assert kwargs["raw"] is True
    meta = kwargs["metadata"]["image/png"]
    assert meta["alt"] == bundle["text/plain"] == "A line rising from (0, 0) to (1, 1)."
    width, height = figures._png_size(base64.b64decode(bundle["image/png"]))
    assert (width, height) != (meta["width"], meta["height"])
    assert abs(width - style.PIXEL_RATIO * meta["width"]) <= style.PIXEL_RATIO
    assert abs(height - style.PIXEL_RATIO * meta["height"]) <= style.PIXEL_RATIO
    # tight bounding box: about the figure's size in CSS pixels, never far larger
    assert 300 <= meta["width"] <= 4.0 * style.CSS_DPI + 10
    assert not plt.fignum_exists(fig.number)


@pytest.mark.parametrize("alt", ["", "   ", "fig", None, 3])
def test_a_missing_or_empty_description_is_refused(alt):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="alt must describe the figure"):
        xl.show_figure(fig, alt=alt)
    plt.close(fig)


def test_png_size_refuses_what_is_not_a_png():
    with pytest.raises(ValueError, match="not a PNG"):
        figures._png_size(b"GIF89a" + bytes(30))
