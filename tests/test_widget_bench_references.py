"""The browser benchmark's reference widgets (benchmarks/widget_bench.py): they must show a
course widget's own pictures and swap them on every move, or the floor they measure is not
the floor under the course's widgets."""

import io
import itertools
import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import widget_bench


def _namespace() -> dict:
    namespace: dict = {}
    exec("import xent_lessons as xl\n" + widget_bench.REFERENCE_CODE, namespace)
    return namespace


def test_each_reference_swaps_its_pictures_on_every_move():
    namespace = _namespace()
    for label, code in widget_bench.REFERENCES.items():
        box = eval(code, namespace)
        (row, image, _readout) = box.children
        slider = row.children[0]
        shown = [bytes(image.value)]
        for _ in range(3):
            slider.value += 1
            shown.append(bytes(image.value))
        assert all(a != b for a, b in itertools.pairwise(shown)), (
            f"{label}: a move kept the picture"
        )


def test_the_2x_reference_shows_the_widgets_own_pictures_at_its_css_width():
    import xent_lessons as xl
    from xent_lessons import style

    namespace = _namespace()
    widget = xl.widgets.softmax_temperature()
    pictures, width = namespace["pictures_of"](xl.widgets.softmax_temperature())
    assert pictures[0] == bytes(widget.image.value)
    assert width == widget.image.layout.width
    pixels = Image.open(io.BytesIO(pictures[0])).size[0]
    assert f"{pixels // style.PIXEL_RATIO}px" == width  # drawn for 2x, shown at half its pixels
