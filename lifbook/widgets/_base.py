"""The explorer machinery: a pure compute function, a figure, and two faces for a slider widget.

Every explorer is a small class with

* ``params``: the sliders (name, default, range, unit, and the values the kernel-free face uses);
* ``compute(**values) -> dict``: the numbers the figure shows (pure: tests assert on it);
* ``draw(fig) -> (update, dynamic)``: builds the figure's artists once and returns
  ``update(result)``, which only changes their data, and the list of artists it changes; a
  :class:`Renderer` blits just those onto a saved background, so a slider move costs a few ms;
* ``live()``: an ``ipywidgets.interactive`` for a running kernel; its ``.result`` is the last
  ``compute`` result and ``.timings`` the measured milliseconds of each update;
* ``static()``: the kernel-free face for the rendered book (:func:`lifbook.frames.grid_explorer`),
  every combination of the ``grid`` values pre-rendered and switched in the browser.

``lifbook.widgets`` imports matplotlib and ipywidgets only when a face is built.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np


__all__ = ["Param", "Explorer", "Renderer", "LIVE_DPI"]

#: Resolution of live frames (the kernel-free frames use lifbook.frames.DEFAULT_DPI).
LIVE_DPI = 80


@dataclass(frozen=True)
class Param:
    """One slider: ``name`` (a keyword of ``compute``), ``default``, ``lo``/``hi``/``step`` for the live
    slider, ``grid`` for the kernel-free face, ``unit`` and ``label`` (LaTeX allowed)."""

    name: str
    default: float
    lo: float
    hi: float
    step: float
    grid: tuple
    unit: str = ""
    label: str = ""
    fmt: str = "{:g}"


class Explorer:
    """Base class; subclasses define ``params``, ``compute``, ``draw`` and ``figsize``."""

    params: tuple[Param, ...] = ()
    figsize = (8.0, 3.2)
    title = ""

    # -- the model side --------------------------------------------------------------------
    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}

    def compute(self, **values) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self, fig) -> tuple[Callable[[dict], None], list | None]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check(self, values: dict) -> dict:
        from ..validate import param_names

        param_names(values, [p.name for p in self.params], f"a parameter of {type(self).__name__}")
        out = self.defaults()
        out.update(values)
        return out

    # -- rendering ---------------------------------------------------------------------------
    def figure(self, **values):
        """A new pyplot Figure for these values (displayed by Jupyter like any figure)."""
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=self.figsize, layout="constrained")
        update, _ = self.draw(fig)
        update(self.compute(**self._check(values)))
        return fig

    def renderer(self, dpi: int = LIVE_DPI) -> "Renderer":
        """A :class:`Renderer`: ``renderer.png(result)`` redraws only what changed."""
        return Renderer(self, dpi)

    def live(self):
        """Sliders for a running kernel: ``ipywidgets.interactive`` plus an image of the figure.

        The figure is built once; each slider move calls ``compute``, updates the artists' data
        and blits them onto the saved background (one small PNG). ``.result`` holds the last
        result, ``.timings`` the milliseconds per update (compute + draw + PNG).
        """
        widgets = _ipywidgets()
        rend = self.renderer(LIVE_DPI)
        image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        timings: list[float] = []

        def show(**values):
            start = time.perf_counter()
            result = self.compute(**values)
            image.value = rend.png(result, fast=True)
            timings.append((time.perf_counter() - start) * 1e3)
            return result

        sliders = {p.name: widgets.FloatSlider(value=p.default, min=p.lo, max=p.hi, step=p.step,
                                               description=_describe(p), continuous_update=False,
                                               style={"description_width": "initial"})
                   for p in self.params}
        w = widgets.interactive(show, **sliders)
        w.children = tuple(w.children) + (image,)
        w.image = image
        w.timings = timings
        w.renderer = rend
        w.add_class("lifbook-live-explorer")
        return w

    def static(self, grid: dict | None = None, dpi: int | None = None):
        """The kernel-free face: every combination of the ``grid`` values, pre-rendered.

        ``grid`` maps parameter names to value lists (default: each ``Param.grid``); parameters
        left out stay at their defaults.
        """
        from ..frames import DEFAULT_DPI, grid_explorer

        grid = {p.name: p.grid for p in self.params} if grid is None else grid
        specs = {p.name: p for p in self.params}
        unknown = set(grid) - set(specs)
        if unknown:
            raise ValueError(f"grid: unknown parameter(s) {sorted(unknown)}")
        axes = [(name, tuple(values), specs[name].label or name, specs[name].unit, specs[name].fmt)
                for name, values in grid.items()]
        rend = self.renderer(dpi or DEFAULT_DPI)

        def render(**values):
            return rend.png(self.compute(**self._check(values)))

        initial = {name: _nearest(values, specs[name].default) for name, values, *_ in axes}
        return grid_explorer(render, axes, initial=initial, dpi=dpi or DEFAULT_DPI)


class Renderer:
    """Draws an explorer's figure once and re-renders only its changing artists (blitting).

    ``explorer.draw(fig)`` returns ``(update, dynamic)``: the artists in ``dynamic`` are drawn
    on top of a background saved once (axes, ticks, labels); ``dynamic=None`` means a full
    redraw each time (for figures whose axes change).
    """

    def __init__(self, explorer: Explorer, dpi: int):
        self.fig = fig = _new_figure(explorer.figsize, dpi, layout="constrained")
        self.update, self.dynamic = explorer.draw(fig)
        self.update(explorer.compute(**explorer.defaults()))
        fig.canvas.draw()  # lays out once (constrained), then the layout is frozen
        fig.set_layout_engine("none")
        self.background = None
        if self.dynamic is not None:
            for a in self.dynamic:
                a.set_animated(True)
            fig.canvas.draw()
            self.background = fig.canvas.copy_from_bbox(fig.bbox)

    def png(self, result: dict, fast: bool = False) -> bytes:
        """PNG bytes of the figure showing ``result``.

        ``fast`` (live use): RGB, light compression. Otherwise (frames stored in the book): a
        64-colour palette, about a third of the size.
        """
        canvas = self.fig.canvas
        self.update(result)
        if self.dynamic is None:
            canvas.draw()
        else:
            canvas.restore_region(self.background)
            for a in self.dynamic:
                self.fig.draw_artist(a)
        from PIL import Image

        buf = io.BytesIO()
        image = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
        if fast:
            image.save(buf, format="png", compress_level=1)
        else:
            # Frames stored in the page: a 64-colour palette keeps line plots sharp at ~1/3 the size.
            image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
                buf, format="png", optimize=True)
        return buf.getvalue()


def _new_figure(figsize, dpi, layout="constrained"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi, layout=layout, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _nearest(values, x) -> int:
    return int(np.argmin(np.abs(np.asarray(values, dtype=float) - x)))


def _describe(p: Param) -> str:
    return f"{p.label or p.name} ({p.unit})" if p.unit else (p.label or p.name)


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the explorers need ipywidgets: pip install 'lifbook[widgets]'") from None
    return ipywidgets


def _spike_marks(ax, color):
    return ax.vlines([], [], [], color=color, lw=1.2)


def _set_marks(marks, t, v, k, u_th, height=20.0):
    before = np.where(k > 0, v[np.maximum(k - 1, 0)], v[k]) if len(k) else np.zeros(0)
    marks.set_segments([[(t[j], b), (t[j], u_th + height)] for j, b in zip(k, before)])


