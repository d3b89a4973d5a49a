"""Plain text drawn from caches of layouts and glyph bitmaps: matplotlib's pixels, faster.

A speed trick for the widgets' canvases (see :mod:`._figure_widget`). An update of a widget
redraws tens of texts (tick labels of an axis that moves, values on bars, titles), a few
hundred glyphs at 2x, and matplotlib's Agg renderer lays out every text and renders every
glyph with FreeType again each time: a large part of an update. Both results depend only on
things that repeat from one update to the next:

- a text's layout (which glyph goes where) on its font, size and string;
- a glyph's bitmap on its font, size, rotation and where its origin falls within a pixel
  (FreeType places glyphs in 1/64 px; a shift by whole pixels only moves the bitmap);
- a font's line metrics (which every text's layout reads from the font file's tables) and
  which font file a ``FontProperties`` names, on the properties and the font settings.

:func:`use_text_cache` makes one Agg renderer keep both and blend each cached bitmap where
matplotlib would have rendered it: the same calls, in the same order, with the same pixels
(the lesson tests compare a widget's picture with one drawn by a canvas without the cache).
Anything else (mathtext, TeX, font features or languages) is left to matplotlib.
"""

from __future__ import annotations

import math
import threading

# Bounds on the caches (a few hundred bytes a glyph): emptied when full, which a widget
# reaches only after thousands of different texts.
_MAX_LAYOUTS = 20_000
_MAX_GLYPHS = 20_000


# The settings that choose a font file for a FontProperties (as matplotlib's findfont reads them).
_FONT_SETTINGS = ("font.serif", "font.sans-serif", "font.cursive", "font.fantasy", "font.monospace")

# The methods use_text_cache sets on a renderer; full_picture in ._blit takes them off to draw
# as matplotlib alone does.
CACHED_METHODS = ("draw_text", "_get_font_height_metrics")


# Shared by every widget of the process (what they hold depends on no figure): a widget's
# first moves find the digits and letters that the widgets before it have rendered.
_FONTS: dict = {}  # _font_key -> FT2Font
_METRICS: dict = {}  # (_font_key, dpi) -> (ascent, descent, line gap)
_LAYOUTS: dict = {}  # (font, size, dpi, string, flags) -> ((font, glyph, dx, dy), ...)
_GLYPHS: dict = {}  # (font, size, dpi, glyph, flags, mode, rotation, x & 63, y & 63) -> bitmap


def _font_key(prop) -> tuple:
    """What decides the font file and size of ``prop`` (an immutable copy of its fields)."""
    import matplotlib as mpl

    return (
        tuple(prop.get_family()),
        prop.get_style(),
        prop.get_variant(),
        prop.get_weight(),
        prop.get_stretch(),
        prop.get_size(),
        prop.get_file(),
        prop.get_math_fontfamily(),
        *(tuple(mpl.rcParams[name]) for name in _FONT_SETTINGS),
        mpl.rcParams["text.hinting_factor"],
    )


def use_text_cache(renderer) -> None:
    """Make ``renderer`` (a ``RendererAgg``) draw plain text from its caches (idempotent)."""
    if getattr(renderer, "_xl_text_cache", False):
        return
    import numpy as np
    from matplotlib.backends.backend_agg import get_hinting_flag
    from matplotlib.font_manager import fontManager, get_font
    from matplotlib.ft2font import RenderMode

    matplotlib_draw_text = renderer.draw_text
    fonts, metrics, layouts, glyphs = _FONTS, _METRICS, _LAYOUTS, _GLYPHS

    def find_font(prop, key):
        # One per thread, as matplotlib's get_font does: a FreeType font is not thread-safe.
        key = (key, threading.get_ident())
        font = fonts.get(key)
        if font is None:
            font = fonts[key] = get_font(fontManager._find_fonts_by_props(prop))
        return font

    def font_height_metrics(prop):
        """What ``Text._get_layout`` reads from the font's tables, as it computes it."""
        key = _font_key(prop)
        dpi = renderer.dpi
        found = metrics.get((key, dpi))
        if found is not None:
            return found
        font = find_font(prop, key)
        found = (None, None, None)  # no tables: matplotlib measures the text instead
        for table_name, linegap_key, ascent_key, descent_key in (
            ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
            ("hhea", "lineGap", "ascent", "descent"),
        ):
            table = font.get_sfnt_table(table_name)
            if table is None:
                continue
            fontsize = prop.get_size_in_points()
            units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
            scale = 1 / units_per_em * fontsize * dpi / 72
            found = (
                table[ascent_key] * scale,
                -table[descent_key] * scale,
                table[linegap_key] * scale,
            )
            break
        metrics[(key, dpi)] = found
        return found

    def draw_text(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or (
            mtext is not None
            and (mtext.get_fontfeatures() is not None or mtext.get_language() is not None)
        ):
            return matplotlib_draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        # As RendererAgg.draw_text and _draw_text_glyphs_and_boxes do, keeping their results.
        font = find_font(prop, _font_key(prop))
        size = prop.get_size_in_points()
        dpi = renderer.dpi
        flags = get_hinting_flag()
        key = (font, size, dpi, s, flags)
        items = layouts.get(key)
        if items is None:
            if len(layouts) >= _MAX_LAYOUTS:
                layouts.clear()
            font.clear()  # as RendererAgg._prepare_font does
            font.set_size(size, dpi)
            items = tuple(
                (item.ft_object, item.glyph_index, item.x, item.y)
                for item in font._layout(s, flags=flags, features=None, language=None)
            )
            layouts[key] = items
        cos = math.cos(math.radians(angle))
        sin = math.sin(math.radians(angle))
        matrix = None
        rotation = (round(0x10000 * cos), round(0x10000 * sin))
        antialiased = gc.get_antialiased()
        mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
        height = renderer.height
        for ft_font, glyph_index, dx, dy in items:  # dy is upwards
            # Where FreeType puts the glyph's origin, in 1/64 px (its y is upwards).
            ox = round(0x40 * (x + dx * cos - dy * sin))
            oy = round(0x40 * (height - y + dx * sin + dy * cos))
            glyph_key = (ft_font, size, dpi, glyph_index, flags, mode, rotation, ox & 63, oy & 63)
            cached = glyphs.get(glyph_key)
            if cached is None:
                if matrix is None:  # as matplotlib computes it (no slant, no extension)
                    matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
                ft_font.set_size(size, dpi)
                ft_font._set_transform(matrix, [ox, oy])
                bitmap = ft_font._render_glyph(glyph_index, flags, mode)
                buffer = bitmap.buffer
                if not antialiased:
                    buffer *= 0xFF
                # Kept relative to the whole-pixel part of the origin.
                cached = (buffer, bitmap.left - (ox >> 6), bitmap.top - (oy >> 6))
                if len(glyphs) >= _MAX_GLYPHS:
                    glyphs.clear()
                glyphs[glyph_key] = cached
            buffer, left, top = cached
            renderer._renderer.draw_text_image(
                buffer, left + (ox >> 6), int(height) - (top + (oy >> 6)) + buffer.shape[0], 0, gc
            )

    renderer.draw_text = draw_text
    renderer._get_font_height_metrics = font_height_metrics
    renderer._xl_text_cache = True
