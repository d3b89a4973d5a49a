"""Redraw only what an update changed (blitting), exactly as a full draw would show it.

A speed trick, kept out of :mod:`._figure_widget`: drawing a whole figure at 2x takes tens
of milliseconds, most of it tick labels and other text that never changes. matplotlib already
records which artists changed since they were last drawn (their ``stale`` flag), so after a
widget's ``update`` this module finds what moved without being told:

1. A figure is drawn as a list of *units*, in the order matplotlib draws them: the figure's
   children by ``zorder`` (its Axes, figure texts, ...), and within each Axes its children
   by ``zorder`` (lines, patches, texts, its two axis objects, its legend, ...).
2. A unit whose ``stale`` flag is set after ``update`` has changed; an Axes whose position
   or list of children changed must be drawn whole; when only its limits change, what
   follows them (its axes, its data) has changed, not its titles and legends. What has
   changed once is *moving* from then on. (Text is drawn from caches: ``_text_cache``.)
3. Within an Axes, every unit drawn after its first moving one (whatever lies on top of the
   moving units, the *cover*) is redrawn with them; at the figure's level, every later unit
   whose box overlaps one redrawn before it. A full draw with all of these marked
   ``animated`` (for that draw only) leaves them out; it is saved as the background.
4. Each later update restores the background and draws those units in matplotlib's order:
   the same pixels as a full draw (the tests compare the two for every widget).
5. Anything the plan does not cover (a unit that had not moved before, new limits, a moving
   unit that now reaches into something drawn after it and not redrawn) makes that update a
   full draw with a new plan.

``static_key`` (optional) names the state of the rest of the figure when a control changes
it (say, which training run is shown): one plan and background is kept per name, and on a
switch back to a name drawn before, what changed outside that plan's redrawn units (an axis
rescaled for that run) is taken to be that state's, already in its background.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from ._text_cache import CACHED_METHODS, use_text_cache


def _is_axes(artist) -> bool:
    return hasattr(artist, "viewLim")


def _axes_units(ax) -> list:
    """The children of ``ax`` in the order ``Axes.draw`` draws them (its patch left out)."""
    children = [child for child in ax.get_children() if child is not ax.patch]
    if not (ax.axison and ax.get_frame_on()):
        children = [child for child in children if child not in ax.spines.values()]
    if not ax.axison:
        children = [child for child in children if child not in ax._axis_map.values()]
    return sorted(children, key=attrgetter("zorder"))  # a stable sort, as in Axes.draw


def _figure_units(figure) -> list:
    children = [child for child in figure.get_children() if child is not figure.patch]
    return sorted(children, key=attrgetter("zorder"))  # a stable sort, as in Figure.draw


def _figure_structure(figure) -> tuple:
    return (tuple(figure.get_size_inches()), figure.dpi, tuple(map(id, figure.get_children())))


def _axes_structure(ax) -> tuple:
    """What, if it changes, changes how all of ``ax`` is drawn (its ticks, its frame); its
    limits apart, as ``(frame, limits)``: new limits move only what follows them."""
    frame = (
        tuple(map(id, ax.get_children())),
        tuple(ax.get_position().bounds),
        ax.get_xscale(),
        ax.get_yscale(),
        ax.axison,
        ax.patch.stale,
    )
    return frame, tuple(ax.viewLim.bounds)


def _uses_data_coordinates(transform, ax) -> bool:
    try:
        return any(transform.contains_branch_seperately(ax.transData))
    except Exception:  # whatever it is, assume the worst
        return True


def _follows_limits(unit, ax) -> bool:
    """Whether ``unit`` (of ``ax``) may draw differently when the limits of ``ax`` change:
    all but plain texts and legends placed in the Axes' own coordinates (a title, a note)."""
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    if type(unit) is Text:  # an Annotation (a subclass) points at data: it follows
        return _uses_data_coordinates(unit.get_transform(), ax)
    if isinstance(unit, Legend):
        anchor = unit.get_bbox_to_anchor()
        return (
            unit._loc == 0  # "best": placed away from the data, wherever they are
            or _uses_data_coordinates(getattr(anchor, "_transform", ax.transData), ax)
        )
    return True


def _title_follows_limits(ax) -> bool:
    """Whether ``Axes.draw`` may move the titles of ``ax`` when its limits change: when
    they make room for labels on top, or for the y-axis' offset text ("1e-5")."""
    for other in (ax, *ax._twinned_axes.get_siblings(ax)):
        if other.xaxis.get_ticks_position() in ("top", "unknown"):
            return True
        if other.xaxis.get_label_position() == "top":
            return True
        offset = other.yaxis.offsetText
        if offset.get_visible() and offset.get_text():
            return True
    return bool(ax.child_axes)


@dataclass
class _Plan:
    figure_structure: tuple
    axes_structure: dict  # Axes -> _axes_structure
    background: object
    draw_list: list  # what is drawn over the background, in drawing order
    watched: list  # the units whose changes are looked for
    redrawn: set  # the watched units that each update redraws
    # [(a moving unit, boxes of what the figure draws after it and is not redrawn)]: a moving
    # unit that reaches into one of those boxes would be drawn over it, where a full draw
    # puts it under: that update is drawn in full.
    later: list = field(default_factory=list)
    blit: bool = True


class FigureRenderer:
    """Draws ``figure`` on ``canvas`` after each update, redrawing only what moved.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    canvas : matplotlib.backends.backend_agg.FigureCanvasAgg
    moving : sequence of artists, optional
        Artists known to move; optional, since what changed is found anyway.
    static_key : callable, optional
        Returns a name for the current state of the rest of the figure; one plan per name.
    """

    def __init__(
        self,
        figure,
        canvas,
        moving: Sequence[object] = (),
        static_key: Callable[[], object] | None = None,
    ):
        self.figure = figure
        self.canvas = canvas
        self._static_key = static_key
        self._seeds = [artist for artist in moving if artist is not None]
        self._moving: set = set()  # units (not Axes) that have changed at least once
        self._whole: set = set()  # Axes drawn whole: their frame or artists have changed
        self._rescaled: set = set()  # Axes whose limits have changed: what follows them moves
        # Each moving unit's boxes so far, joined: where it may be drawn again. Planning with
        # these (not only where it is now) spares a new plan each time it reaches a bit further.
        self._swept: dict = {}
        self._plans: dict = {}
        self._last_key = None  # the static_key of the last render
        self._stale_after_draw: set = set()
        self._visible_after_draw: dict = {}
        self.full_draws = 0  # counts, for tests and benchmarks
        self.blits = 0
        self.last_draw = ""  # "blit", or "full: " and why

    # ------------------------------------------------------------------------- public

    def render(self) -> None:
        """Bring the canvas up to date with the figure's artists."""
        figure = self.figure
        use_text_cache(self.canvas.get_renderer())
        key = None if self._static_key is None else self._static_key()
        plan = self._plans.get(key)
        if plan is None:
            self._full_draw(key, "first draw of this state")
            return
        if plan.figure_structure != _figure_structure(figure):
            self._full_draw(key, "the figure's artists changed")
            return
        reshaped, rescaled = set(), set()
        for ax in figure.axes:
            before, now = plan.axes_structure.get(ax), _axes_structure(ax)
            if before is None or before[0] != now[0]:
                reshaped.add(ax)
            elif before[1] != now[1]:
                rescaled.add(ax)
        # New limits redraw what follows them (ticks, data) over a background that keeps the
        # rest (titles, legends); unless they may move the titles (Axes.draw places them).
        reshaped |= {ax for ax in rescaled if _title_follows_limits(ax)}
        if reshaped - self._whole:
            self._whole |= reshaped
            self._plans.clear()  # every background must now leave these Axes out
            self._full_draw(key, "new artists or frame in an Axes")
            return
        rescaled -= self._whole | self._rescaled
        if rescaled:
            self._rescaled |= rescaled
            for ax in rescaled:
                self._moving.update(u for u in _axes_units(ax) if _follows_limits(u, ax))
            self._plans.clear()
            self._full_draw(key, "new limits in an Axes")
            return
        changed = self._changed(plan.watched)
        if key != self._last_key:
            # Back to a state drawn before: what is not redrawn is part of that state, and
            # its background shows it as it is now (``static_key``'s promise).
            for unit in changed - plan.redrawn:
                unit.stale = False  # as if drawn: it is, in the background
            changed &= plan.redrawn
        if not changed <= plan.redrawn:
            self._moving |= changed
            self._plans.clear()
            self._full_draw(key, "new moving artists")
            return
        if not plan.blit:
            self._full_draw(key, "no blitting for this figure")
            return
        if self._reaches_later(plan):
            self._full_draw(key, "a moving artist overlaps one drawn after it")
            return
        self.canvas.restore_region(plan.background)
        for unit in plan.draw_list:
            figure.draw_artist(unit)
        titles_move = {ax for ax in self._rescaled if _title_follows_limits(ax)} - self._whole
        if titles_move:  # the new limits brought an offset text: Axes.draw places the titles
            self._whole |= titles_move
            self._plans.clear()
            self._full_draw(key, "the titles make room for an offset text")
            return
        self._last_key = key
        self.blits += 1
        self.last_draw = "blit"
        self._remember(plan.watched, plan.redrawn)

    def invalidate(self) -> None:
        """Forget every saved background: the next render draws the whole figure."""
        self._plans.clear()

    def full_picture(self):
        """The figure drawn in full, with no blitting, as an RGBA array (for the tests)."""
        import numpy as np

        # With matplotlib's own text drawing (the class's, not the caches of ``_text_cache``),
        # so that the tests check those caches too.
        renderer = self.canvas.get_renderer()
        cached = {
            name: renderer.__dict__.pop(name)
            for name in CACHED_METHODS
            if name in renderer.__dict__
        }
        try:
            self.canvas.draw()
        finally:
            renderer.__dict__.update(cached)
        picture = np.array(self.canvas.buffer_rgba())
        watched = self._watched()
        self._remember(watched, set(watched))  # every unit was drawn; the backgrounds stand
        return picture

    # ------------------------------------------------------------------------ helpers

    def _watched(self) -> list:
        """The units whose changes are looked for: all but those of the Axes drawn whole."""
        units = []
        for unit in _figure_units(self.figure):
            if not _is_axes(unit):
                units.append(unit)
            elif unit not in self._whole:
                units.extend(u for u in _axes_units(unit) if not _is_axes(u))
        return units

    def _changed(self, units) -> set:
        return {
            unit
            for unit in units
            if (unit.stale and unit not in self._stale_after_draw)
            or unit.get_visible() != self._visible_after_draw.get(unit)
        }

    def _remember(self, watched: list, redrawn: set) -> None:
        """Note each unit's flags after a draw, to tell later which ones an update changed."""
        self._stale_after_draw = {unit for unit in watched if unit.stale}
        self._visible_after_draw = {unit: unit.get_visible() for unit in watched}
        # A visible unit still stale after a draw cannot be watched: redraw it every time.
        unwatchable = {u for u in self._stale_after_draw if u.get_visible()} - redrawn
        if unwatchable - self._moving:
            self._moving |= unwatchable
            self._plans.clear()

    def _take_seeds(self) -> None:
        """Map the artists given as ``moving`` to the units that hold them (once)."""
        if not self._seeds:
            return
        seeds = {id(artist) for artist in self._seeds}
        for unit in self._watched():
            if _is_axes(unit):
                continue
            if any(id(artist) in seeds for artist in unit.findobj(include_self=True)):
                self._moving.add(unit)
        self._seeds = []

    def _full_draw(self, key, reason: str) -> None:
        figure, canvas = self.figure, self.canvas
        self._take_seeds()
        renderer = canvas.get_renderer()
        figure_units = _figure_units(figure)
        later = []  # (a moving unit, boxes of what is drawn after it and not redrawn)
        inner = {}  # Axes -> (its redrawn units, the union of their boxes)
        inner_later = {}  # Axes -> its entries of ``later``, to extend at the figure's level
        for ax in figure_units:
            if not _is_axes(ax) or ax in self._whole:
                continue
            units = _axes_units(ax)
            boxes = {unit: self._sweep(unit, _box(unit, renderer)) for unit in units}
            redrawn = _plan_group(units, self._moving.__contains__, boxes)
            if any(_is_axes(unit) for unit in redrawn):  # an inset Axes on top: draw it all
                self._whole.add(ax)
            elif redrawn:
                inner[ax] = (redrawn, _union([boxes[unit] for unit in redrawn]))
                inner_later[ax] = _later_boxes(units, redrawn, self._moving, boxes)
        # At the figure's level: the Axes drawn whole, those with redrawn units, the moving
        # figure-level artists, and whatever is drawn after one of them and overlaps it.
        boxes = {
            unit: inner[unit][1] if unit in inner else _box(unit, renderer) for unit in figure_units
        }
        top = _plan_group(
            figure_units,
            lambda unit: unit in self._whole or unit in inner or unit in self._moving,
            boxes,
        )
        draw_list, whole = [], set()
        for unit in top:
            if unit in inner and not any(
                _overlap(boxes[unit], boxes[earlier]) for earlier in top[: top.index(unit)]
            ):
                draw_list.extend(inner[unit][0])
            else:
                draw_list.append(unit)
                if _is_axes(unit):
                    whole.add(unit)
        movers = set(self._whole) | set(self._moving) | set(inner)
        for unit, unit_boxes in _later_boxes(figure_units, top, movers, boxes):
            if unit in inner and unit not in whole:
                # Its moving units must stay clear of its own later units and of the
                # figure's later units alike.
                later += [(mover, own + unit_boxes) for mover, own in inner_later[unit]]
            else:
                later.append((unit, unit_boxes))
        # Marked animated for the background's draw only, so that it leaves them out; the
        # figure keeps no animated artists (savefig and other canvases draw everything).
        flags = []
        for unit in draw_list:
            flags.append((unit, unit.get_animated()))
            unit.set_animated(True)
        try:
            canvas.draw()
        finally:
            for unit, flag in flags:
                unit.set_animated(flag)
        background = canvas.copy_from_bbox(figure.bbox)
        for unit in draw_list:
            figure.draw_artist(unit)
        self.full_draws += 1
        self.last_draw = f"full: {reason}"
        watched = self._watched()
        redrawn = set(draw_list)
        for ax in whole:
            redrawn.update(_axes_units(ax))
        plan = _Plan(
            figure_structure=_figure_structure(figure),
            axes_structure={ax: _axes_structure(ax) for ax in figure.axes},
            background=background,
            draw_list=draw_list,
            watched=watched,
            redrawn=redrawn,
            later=[(unit, unit_boxes) for unit, unit_boxes in later if unit_boxes],
            blit=bool(draw_list),
        )
        self._plans[key] = plan
        self._last_key = key
        self._remember(watched, redrawn)

    def _reaches_later(self, plan: _Plan) -> bool:
        renderer = self.canvas.get_renderer()
        for unit, later_boxes in plan.later:
            clip = _clip_box(unit)
            if clip is not None and not any(_overlap(clip, other) for other in later_boxes):
                continue  # it cannot draw outside its clip box: no need to measure it
            box = self._sweep(unit, _box(unit, renderer))
            if any(_overlap(box, other) for other in later_boxes):
                return True
        return False

    def _sweep(self, unit, box):
        """For a moving unit: ``box`` joined with where it has been; else ``box``."""
        if unit not in self._moving or box is None:
            return box
        from matplotlib.transforms import Bbox

        swept = self._swept.get(unit)
        swept = box if swept is None else Bbox.union([swept, box])
        self._swept[unit] = swept
        return swept


def _plan_group(units: list, is_moving, boxes: dict) -> list:
    """The units (in drawing order) to redraw: those that move, and those drawn after a
    redrawn one that overlap it (they cover it). The others stay in the background."""
    redrawn, redrawn_boxes = [], []
    for unit in units:
        if is_moving(unit) or any(_overlap(boxes[unit], box) for box in redrawn_boxes):
            redrawn.append(unit)
            redrawn_boxes.append(boxes[unit])
    return redrawn


def _later_boxes(units: list, redrawn: list, movers, boxes: dict) -> list:
    """For each moving unit among ``redrawn``: the boxes of the units drawn after it that are
    not redrawn. A moving unit that comes to overlap one of them needs a full draw."""
    redrawn_set = set(redrawn)
    result = []
    for i, unit in enumerate(units):
        if unit in redrawn_set and unit in movers:
            after = [boxes[u] for u in units[i + 1 :] if u not in redrawn_set]
            result.append((unit, [box for box in after if box is not None]))
    return result


def _union(boxes: list):
    from matplotlib.transforms import Bbox

    boxes = [box for box in boxes if box is not None]
    return Bbox.union(boxes) if boxes else None


_PAD_PX = 3  # antialiasing reaches a pixel or two past an artist's geometry


def _box(artist, renderer):
    """Where the artist draws, in pixels (padded); None if it draws nothing.

    An axis draws its grid lines across its Axes, which its tight box leaves out; an artist
    that cannot be measured counts as drawing over the whole figure.
    """
    from matplotlib.axis import Axis
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    if not artist.get_visible() or (isinstance(artist, Text) and not artist.get_text()):
        return None  # an empty text draws nothing (and matplotlib cannot measure it)
    everywhere = artist.get_figure(root=True).bbox
    try:
        box = artist.get_tightbbox(renderer)
    except Exception:  # whatever it is, assume the worst
        return everywhere
    if box is None:
        return None
    if not all(abs(v) < float("inf") for v in box.bounds):
        return everywhere
    if isinstance(artist, Axis) and any(line.get_visible() for line in artist.get_gridlines()):
        box = Bbox.union([box, artist.axes.bbox])
    return box.padded(_PAD_PX)


def _clip_box(artist):
    """The box (padded) that ``artist`` is clipped to, if only a box clips it; else None.
    Cheaper than measuring where it draws (a bar's ``get_tightbbox`` costs ~0.3 ms)."""
    if not artist.get_clip_on() or artist.get_clip_path() is not None:
        return None
    clip = artist.get_clip_box()
    return None if clip is None else clip.padded(_PAD_PX)


def _overlap(box, other) -> bool:
    return box is not None and other is not None and box.overlaps(other)
