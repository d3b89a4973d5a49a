"""Showing a lesson's figure: sharp on a 2x screen, with a text alternative.

A static figure is what a reader without a kernel sees, and what a reader who cannot see
reads as text. :func:`show_figure` displays a matplotlib figure the way the widgets show
their pictures (rendered at twice the CSS resolution, shown at its intended size) and
attaches the figure's description, written next to the code that draws it, in the one
place every reader of the notebook looks:

- the output's ``text/plain`` (what a terminal, nbval and a screen reader of the raw
  notebook get), and
- the image's output metadata ``alt`` (what nbconvert and the course site put in the
  ``<img alt=...>`` attribute).
"""

from __future__ import annotations

import base64
import io
import struct

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, read from a PNG's header chunk."""
    if png[:8] != _PNG_SIGNATURE or png[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    return struct.unpack(">II", png[16:24])


def figure_png(fig, *, pixel_ratio: int | None = None) -> tuple[bytes, int, int]:
    """Render ``fig`` to PNG for a screen of ``pixel_ratio`` device pixels per CSS pixel.

    Returns the PNG bytes and the CSS width and height to show it at (its pixel size
    divided by ``pixel_ratio``), with the tight bounding box JupyterLab's inline backend
    uses, so the figure looks as it always did, only sharper.
    """
    from . import style

    ratio = style.PIXEL_RATIO if pixel_ratio is None else pixel_ratio
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=style.CSS_DPI * ratio, bbox_inches="tight",
                facecolor="white")
    png = buffer.getvalue()
    width, height = _png_size(png)
    return png, round(width / ratio), round(height / ratio)


def show_figure(fig, alt: str) -> None:
    """Display ``fig`` in the notebook at 2x with ``alt`` as its text alternative, then close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The finished figure.
    alt : str
        One or two sentences saying what the figure shows, for a reader who cannot see it:
        the axes, what rises or falls, and the point the figure makes. Not its file name.

    Notes
    -----
    The figure is closed afterwards, so the inline backend does not show it a second time
    at 1x at the end of the cell.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(2, 1))
    >>> show_figure(fig, alt="An empty set of axes.")  # doctest: +SKIP
    >>> show_figure(fig, alt="")
    Traceback (most recent call last):
    ...
    ValueError: alt must describe the figure in words (one or two sentences); got ''
    """
    if not isinstance(alt, str) or len(alt.strip()) < 10:
        raise ValueError(
            f"alt must describe the figure in words (one or two sentences); got {alt!r}"
        )
    import matplotlib.pyplot as plt
    from IPython.display import display

    png, width, height = figure_png(fig)
    plt.close(fig)
    display(
        {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": alt.strip()},
        metadata={"image/png": {"width": width, "height": height, "alt": alt.strip()}},
        raw=True,
    )
