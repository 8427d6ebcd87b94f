"""lifbook.frames: kernel-free explorers (no browser needed; see tests/book for that)."""

import subprocess
import sys
import textwrap

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lifbook import frames  # noqa: E402

VALUES = [0.5, 1.0, 2.0, 4.0]


def sine(f):
    t = np.linspace(0.0, 1.0, 200)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(t, np.sin(2 * np.pi * f * t))
    ax.set_title(f"f = {f:g} Hz")
    return fig


def test_render_frames_are_distinct_pngs():
    pngs = frames.render_frames(sine, VALUES, dpi=50)
    assert len(pngs) == len(VALUES)
    assert all(p.startswith(frames.PNG_SIGNATURE) for p in pngs)
    assert len(set(pngs)) == len(VALUES)
    # Small: a 3x2 inch figure at 50 dpi is a few kB.
    assert max(len(p) for p in pngs) < 30_000


def test_render_frames_is_deterministic():
    assert frames.render_frames(sine, [1.0], dpi=50) == frames.render_frames(sine, [1.0], dpi=50)


def test_render_frames_closes_figures():
    plt.close("all")
    kept = plt.figure()  # a figure that the caller owns must survive

    def leaky(f):
        plt.figure()  # an extra pyplot figure that render() forgets to close
        return sine(f)

    frames.render_frames(leaky, VALUES, dpi=40)
    assert plt.get_fignums() == [kept.number]
    plt.close(kept)


def test_render_frames_closes_figures_on_error():
    plt.close("all")

    def broken(f):
        sine(f)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        frames.render_frames(broken, VALUES)
    assert plt.get_fignums() == []


def test_render_accepts_png_bytes_and_rejects_others():
    png = frames.render_frames(sine, [1.0], dpi=40)[0]
    assert frames.render_frames(lambda v: png, [1, 2]) == [png, png]
    with pytest.raises(TypeError, match="Figure or PNG bytes"):
        frames.render_frames(lambda v: "not a figure", [1])
    with pytest.raises(ValueError, match="not a PNG"):
        frames.render_frames(lambda v: b"GIF89a", [1])
    with pytest.raises(ValueError, match="at least one"):
        frames.render_frames(sine, [])


def test_figures_have_an_opaque_white_background():
    import io

    from PIL import Image  # matplotlib depends on pillow

    def transparent(f):
        fig = sine(f)
        fig.patch.set_alpha(0.0)
        return fig

    png = frames.render_frames(transparent, [1.0], dpi=40)[0]
    img = Image.open(io.BytesIO(png)).convert("RGBA")
    assert img.getpixel((0, 0)) == (255, 255, 255, 255)


# --- the widget -------------------------------------------------------------


@pytest.fixture
def widgets():
    return pytest.importorskip("ipywidgets")


@pytest.fixture
def box(widgets):
    plt.close("all")
    return frames.explorer(sine, VALUES, name="frequency f", unit="Hz", dpi=40, initial=1)


def test_explorer_structure(box, widgets):
    assert isinstance(box, widgets.VBox)
    assert box.children == (box.slider, box.stack)
    assert box.values == tuple(VALUES)
    assert len(box.frames) == len(VALUES) == len(box.stack.children)
    assert all(isinstance(im, widgets.Image) for im in box.stack.children)
    assert [im.value for im in box.stack.children] == list(box.frames)
    assert all(im.format == "png" for im in box.stack.children)
    assert plt.get_fignums() == []


def test_slider_names_parameter_and_shows_values(box, widgets):
    s = box.slider
    assert isinstance(s, widgets.SelectionSlider)
    assert s.description == "frequency f (Hz)"
    assert s.readout
    assert [label for label, _ in s.options] == ["0.5 Hz", "1 Hz", "2 Hz", "4 Hz"]
    assert s.index == 1 and s.label == "1 Hz"
    assert box.stack.selected_index == 1


def test_browser_link_connects_slider_index_to_stack(box, widgets):
    # jslink only acts in the browser (tests/book/test_browser.py checks
    # that); here we check what it links.
    link = box.jslink
    assert isinstance(link, widgets.widget_link.Link)
    assert link.source == (box.slider, "index")
    assert link.target == (box.stack, "selected_index")
    # 'index' is the trait that SelectionSlider syncs with the browser.
    assert box.slider.trait_metadata("index", "sync")
    assert box.stack.trait_metadata("selected_index", "sync")


def test_moving_the_slider_changes_the_frame(box):
    for i in [3, 0, 2]:
        box.slider.index = i
        assert box.stack.selected_index == i
    box.slider.value = 3  # the value is the frame index
    assert box.stack.selected_index == 3
    box.stack.selected_index = 1  # and the link goes both ways
    assert box.slider.index == 1


def test_explorer_rejects_bad_arguments(widgets):
    with pytest.raises(ValueError, match="initial"):
        frames.explorer(lambda v: frames.render_frames(sine, [1.0], dpi=20)[0], [1, 2], initial=2)
    with pytest.raises(ValueError, match="distinct"):
        frames.explorer(sine, [1.0, 1.01], fmt="{:.0f}", dpi=20)
    assert plt.get_fignums() == []


def test_custom_format_callable(widgets):
    png = frames.render_frames(sine, [1.0], dpi=20)[0]
    b = frames.explorer(lambda v: png, [10e-3, 20e-3], name="tau", unit="ms", fmt=lambda v: f"{v * 1e3:.0f}")
    assert [label for label, _ in b.slider.options] == ["10 ms", "20 ms"]
    assert b.slider.description == "tau (ms)"


def test_missing_ipywidgets_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    with pytest.raises(ImportError, match=r"pip install lifbook\[widgets\]"):
        frames.explorer(sine, VALUES)


def test_import_is_cheap():
    # Compared with `import lifbook` (whatever the package itself imports),
    # `import lifbook.frames` adds neither matplotlib, ipywidgets nor torch.
    code = textwrap.dedent(
        """
        import sys
        import lifbook
        before = set(sys.modules)
        import lifbook.frames
        added = set(sys.modules) - before
        heavy = sorted(m for m in added if m.split('.')[0] in {'matplotlib', 'ipywidgets', 'torch', 'numpy'})
        print(heavy)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_grid_explorer_moves_each_slider_to_the_matching_frame():
    from lifbook.frames import grid_explorer

    calls = []

    def render(a, b):
        calls.append((a, b))
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.plot([0, 1], [a, b])
        ax.set_title(f"{a}-{b}")
        return fig

    box = grid_explorer(render, [("a", (1, 2, 3), "a", "mV"), ("b", (10, 20), "b", "ms", "{:.0f}")],
                        initial={"a": 1, "b": 0})
    assert len(calls) == 6 and len(box.grid_frames) == 6
    assert len(set(box.grid_frames.values())) == 6  # every combination differs
    assert [len(level) for level in box.stacks] == [1, 3]  # one outer stack, one inner per a-value
    assert box.visible() == (1, 0)
    box.sliders[1].index = 1
    assert box.visible() == (1, 1)
    box.sliders[0].index = 2
    assert box.visible() == (2, 1)
    # the browser-side links connect each slider to every stack of its level
    assert len(box.jslinks[1]) == 3
    assert all(link.source[0] is box.sliders[1] for link in box.jslinks[1])
    assert plt.get_fignums() == []
    with pytest.raises(ValueError, match="initial: unknown slider"):
        grid_explorer(render, [("a", (1,))], initial={"c": 0})
