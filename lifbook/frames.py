"""Kernel-free explorers: a slider over pre-rendered frames.

A live ``ipywidgets.interact`` needs a running kernel, which a static
Jupyter Book page does not have.  An explorer instead renders one PNG per
slider value *when the notebook runs* and links the slider to a
``widgets.Stack`` of ``widgets.Image`` frames **in the browser**
(``widgets.jslink``).  The built HTML stores the widget state, so the
slider keeps working on the static page with no kernel.

Typical use in a chapter::

    from lifbook.frames import explorer

    def render(f):
        fig, ax = plt.subplots(figsize=(5, 2.5))
        ax.plot(t, np.sin(2 * np.pi * f * t))
        return fig

    explorer(render, [1, 2, 4, 8], name="frequency f", unit="Hz")

Every frame travels inside the page, so keep explorers to a few dozen
frames at the default dpi (about 20-40 kB a frame).

Importing this module is cheap: matplotlib and ipywidgets are imported
only when a frame is rendered or an explorer is built, and torch never.
"""

from __future__ import annotations

import io
from typing import Any, Callable, Sequence

__all__ = ["PNG_SIGNATURE", "render_frames", "explorer", "grid_explorer"]

#: The eight bytes every PNG file starts with.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Default resolution of the frames: small pages, still sharp at book width.
DEFAULT_DPI = 90


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as exc:  # pragma: no cover - exercised with a fake module
        raise ImportError(
            "lifbook.frames needs ipywidgets to build an explorer; "
            "install it with: pip install lifbook[widgets]"
        ) from exc
    return ipywidgets


def _to_png(obj: Any, dpi: int) -> bytes:
    """PNG bytes of a matplotlib Figure (on an opaque white background) or of PNG bytes."""
    if isinstance(obj, (bytes, bytearray, memoryview)):
        png = bytes(obj)
    elif hasattr(obj, "savefig"):
        from matplotlib.colors import to_rgba

        # An opaque background keeps the frame readable in the book's dark
        # mode: the figure's own colour if it is opaque, else white.
        patch = obj.patch
        alpha = patch.get_alpha()
        face = to_rgba(patch.get_facecolor())
        opaque = face[3] == 1.0 and alpha in (None, 1.0)
        buf = io.BytesIO()
        try:
            patch.set_alpha(None)
            # No "Software" metadata: the bytes depend only on the drawing.
            obj.savefig(
                buf,
                format="png",
                dpi=dpi,
                facecolor=face if opaque else "white",
                transparent=False,
                metadata={"Software": None},
            )
        finally:
            patch.set_alpha(alpha)
        png = buf.getvalue()
    else:
        raise TypeError(
            "render(value) must return a matplotlib Figure or PNG bytes, "
            f"got {type(obj).__name__}"
        )
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("render(value) returned bytes that are not a PNG image")
    return png


def render_frames(
    render: Callable[[Any], Any], values: Sequence[Any], *, dpi: int = DEFAULT_DPI
) -> list[bytes]:
    """Call ``render(value)`` for every value and return the frames as PNG bytes.

    ``render`` returns a matplotlib ``Figure`` or PNG bytes.  Every figure
    that the call leaves open (the returned one and any other pyplot
    figure it created) is closed, so no figure leaks and Jupyter's inline
    backend does not display stray copies under the explorer.
    """
    import matplotlib.pyplot as plt  # lazy: keeps `import lifbook.frames` cheap

    values = list(values)
    if not values:
        raise ValueError("an explorer needs at least one slider value")
    frames = []
    for value in values:
        before = set(plt.get_fignums())
        try:
            out = render(value)
            frames.append(_to_png(out, dpi))
        finally:
            for num in set(plt.get_fignums()) - before:
                plt.close(num)
        if hasattr(out, "savefig"):
            plt.close(out)  # harmless for figures that pyplot does not manage
    return frames


def _label(value: Any, fmt: str | Callable[[Any], str], unit: str) -> str:
    text = fmt(value) if callable(fmt) else fmt.format(value)
    return f"{text} {unit}" if unit else text


def explorer(
    render: Callable[[Any], Any],
    values: Sequence[Any],
    *,
    name: str = "value",
    unit: str = "",
    fmt: str | Callable[[Any], str] = "{:g}",
    initial: int = 0,
    dpi: int = DEFAULT_DPI,
    width: str | None = None,
):
    """A slider over pre-rendered frames that works without a kernel.

    Parameters
    ----------
    render:
        ``render(value)`` returns a matplotlib ``Figure`` (closed after
        rendering) or PNG bytes.
    values:
        The slider positions, in order.  One frame is rendered per value.
    name, unit:
        The slider's description is ``"name (unit)"``; the readout shows
        the current value formatted with ``fmt`` followed by the unit.
    fmt:
        A ``str.format`` pattern or a callable turning a value into text.
    initial:
        Index of the value shown first.
    dpi:
        Resolution of the frames.
    width:
        CSS width of the frames; by default their natural size, shrunk to
        fit narrow pages.

    Returns
    -------
    ipywidgets.VBox
        ``VBox([slider, stack])`` with extra attributes for tests and
        chapters: ``values`` and ``frames`` (tuples, one PNG per value),
        ``slider`` (a ``SelectionSlider`` whose ``index`` selects the frame),
        ``stack`` (a ``Stack`` of ``Image`` widgets), ``jslink`` (the
        browser-side ``Link`` widget, ``slider.index`` <-> ``stack.selected_index``)
        and ``kernel_link`` (the same link in Python, for a live kernel).
    """
    values = tuple(values)
    if not values:
        raise ValueError("an explorer needs at least one slider value")
    if not 0 <= initial < len(values):
        raise ValueError(f"initial={initial} is not an index into {len(values)} values")
    box = grid_explorer(lambda **kw: render(kw[name]), [(name, values, name, unit, fmt)],
                        initial={name: initial}, dpi=dpi, width=width)
    box.values = values
    box.frames = tuple(box.grid_frames[(i,)] for i in range(len(values)))
    box.slider = box.sliders[0]
    box.stack = box.stacks[0][0]
    box.jslink = box.jslinks[0]
    box.kernel_link = box.kernel_links[0]
    return box


def grid_explorer(
    render: Callable[..., Any],
    axes: Sequence[tuple],
    *,
    initial: dict | None = None,
    dpi: int = DEFAULT_DPI,
    width: str | None = None,
):
    """Several sliders over a grid of pre-rendered frames, still without a kernel.

    ``axes`` lists the sliders as ``(name, values, label, unit, fmt)`` tuples (``label``,
    ``unit`` and ``fmt`` optional); ``render(**{name: value, ...})`` is called once for
    every combination. The frames sit in nested ``Stack`` widgets, one level per slider:
    slider ``k`` is ``jslink``-ed to the ``selected_index`` of every stack at level ``k``,
    so moving any slider shows the right frame in the browser with no kernel. The page
    carries ``prod(len(values))`` frames: keep grids to a few dozen.

    Returns a ``VBox([slider, ..., outer_stack])`` with attributes ``sliders``, ``stacks``
    (per level, a list of stacks), ``grid_frames`` (``{index tuple: PNG}``), ``jslinks``,
    ``kernel_links`` (per slider, the Python-side links) and ``visible()``, the index tuple
    of the frame the stacks currently show.
    """
    import itertools

    widgets = _ipywidgets()
    import traitlets

    specs = []
    for ax in axes:
        name, values, label, unit, fmt = (tuple(ax) + (None, "", "{:g}"))[:5] if len(ax) < 5 else tuple(ax)
        values = tuple(values)
        if not values:
            raise ValueError(f"{name}: a slider needs at least one value")
        labels = [_label(v, fmt or "{:g}", unit) for v in values]
        if len(set(labels)) != len(labels):
            raise ValueError(f"{name}: slider labels are not distinct, use a finer fmt: {labels}")
        specs.append((name, values, label or name, unit, labels))
    if len({s[0] for s in specs}) != len(specs):
        raise ValueError("axes: slider names must be distinct")
    initial = dict(initial or {})
    start = []
    for name, values, *_ in specs:
        i = initial.pop(name, 0)
        if not 0 <= i < len(values):
            raise ValueError(f"initial: {name}={i} is not an index into {len(values)} values")
        start.append(i)
    if initial:
        raise ValueError(f"initial: unknown slider(s) {sorted(initial)}")

    index_grid = list(itertools.product(*(range(len(s[1])) for s in specs)))
    combos = [{s[0]: s[1][i] for s, i in zip(specs, idx)} for idx in index_grid]
    pngs = render_frames(lambda combo: render(**combo), combos, dpi=dpi)
    grid_frames = dict(zip(index_grid, pngs))

    stacks: list[list] = [[] for _ in specs]

    def build(level: int, prefix: tuple):
        if level == len(specs) - 1:
            children = [widgets.Image(value=grid_frames[prefix + (i,)], format="png",
                                      layout=widgets.Layout(width=width, max_width="100%", height="auto"))
                        for i in range(len(specs[level][1]))]
        else:
            children = [build(level + 1, prefix + (i,)) for i in range(len(specs[level][1]))]
        stack = widgets.Stack(children, selected_index=start[level])
        stacks[level].append(stack)
        return stack

    outer = build(0, ())
    sliders, jslinks, kernel_links = [], [], []
    for level, (name, values, label, unit, labels) in enumerate(specs):
        slider = widgets.SelectionSlider(
            options=list(zip(labels, range(len(values)))),
            index=start[level],
            description=f"{label} ({unit})" if unit else label,
            continuous_update=True,
            readout=True,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="min(100%, 36em)"),
        )
        # SelectionSlider syncs `index` (not `value`) with the browser, so the browser-side
        # links use `index`; the kernel-side links keep Python consistent and serve tests.
        jslinks.append([widgets.jslink((slider, "index"), (st, "selected_index")) for st in stacks[level]])
        kernel_links.append([traitlets.link((slider, "index"), (st, "selected_index")) for st in stacks[level]])
        sliders.append(slider)

    def visible() -> tuple:
        idx, node = [], outer
        for level in range(len(specs)):
            idx.append(node.selected_index)
            node = node.children[node.selected_index]
        return tuple(idx)

    box = widgets.VBox([*sliders, outer])
    box.add_class("lifbook-explorer")
    box.sliders = sliders
    box.stacks = stacks
    box.grid_frames = grid_frames
    box.jslinks = [links[0] if len(links) == 1 else links for links in jslinks]
    box.kernel_links = [links[0] if len(links) == 1 else links for links in kernel_links]
    box.visible = visible
    box.axes = tuple((s[0], s[1]) for s in specs)
    return box
