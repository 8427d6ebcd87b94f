"""A chapter in a real JupyterLab, driven by Playwright and Debian's chromium.

What a student does, end to end: open a chapter in JupyterLab, run all cells, look at the
figures, move an explorer's slider. The test starts ``jupyter lab`` from the interpreter
running pytest (so the kernel is this environment's ipykernel, importing this checkout's
``lifbook``) on 127.0.0.1, a free port and a random token, in a temporary root folder holding
a copy of the chapter with its stored outputs cleared (nothing is written into ``book/``).
HOME and the Jupyter config, data and runtime folders are temporary too, so no user setting
interferes; the extensions installed in the environment (jupyterlab-myst, the widget
manager) are used as installed. Every browser request to a host other than 127.0.0.1 is
blocked and fails the test. The server and its kernels are stopped by the fixture, also when
the test fails.

It checks, in that order:

* the markdown cells are rendered by jupyterlab-myst (admonitions and exercises as MyST
  elements, math by KaTeX without errors, no directive fence such as ``:::{`` left as text);
* Run > Run All Cells runs every code cell, in order, in this session (execution counts
  1..N; the copy starts with none);
* no cell wrote to stderr (no traceback, no error, no warning);
* the matplotlib figures are rendered images (at least ``MIN_FIGURES``), every widget
  view rendered;
* the live explorer (``Explorer.live()``, a kernel round trip per move) shows a new figure
  after one arrow-key press on its first slider, and its readout follows; the kernel-free
  explorer (``Explorer.static()``) switches its frame in the browser.

Screenshots: ``_build/screenshots/jupyterlab-<chapter>-*.png``.

Skipped (with a loud reason under ``-ra``) only when ``chromium`` is not on PATH. Without
JupyterLab, jupyterlab-myst or Playwright the test fails: ``pip install 'lifbook[notebooks]'``
(``make`` installs ``lifbook[all]``, which has them).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.jupyterlab

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium")

if CHROMIUM is None:
    pytest.skip(
        "JUPYTERLAB TEST SKIPPED: no `chromium` on PATH (Debian: apt-get install -y chromium); "
        "the chapter was NOT run in JupyterLab",
        allow_module_level=True,
    )

#: The chapter run: quick (about 10 s of cells), with matplotlib figures, MyST admonitions,
#: exercises, a kernel-free explorer and a live one.
CHAPTER = "02-lif"
#: Matplotlib figures the chapter draws (5 when this was written): a floor, not a count.
MIN_FIGURES = 4

SERVER_START_S = 120.0
OPEN_MS = 120_000  # first load of JupyterLab (a loaded 2-core machine is slow)
RUN_ALL_MS = 300_000  # all cells of the chapter; about 10 s on an idle machine
UI_MS = 30_000  # any other wait (a widget update is a kernel round trip)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# User settings of the temporary JupyterLab: no news or update checks (they go to the
# network), and every cell in the DOM (no virtual scrolling), so that all outputs can be
# inspected without scrolling through the notebook.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}

# Environment variables that would point the server or the kernel at the user's own setup.
_DROPPED_ENV = re.compile(r"^(JUPYTER_.*|IPYTHONDIR|MPLBACKEND|MPLCONFIGDIR|XDG_.*|PYDEVD_.*)$")


def _require_client():
    missing = []
    for module in ("jupyterlab", "jupyterlab_myst", "ipykernel", "ipywidgets"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        pytest.fail(
            f"JupyterLab test: {', '.join(missing)} not installed in {sys.executable}: "
            "pip install -c constraints.txt -e '.[notebooks]' (make installs lifbook[all], which has it)",
            pytrace=False,
        )
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("JupyterLab test: playwright missing: pip install -c constraints.txt -e '.[test]'", pytrace=False)
    return sync_api


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cleared_copy(src: Path, dst: Path) -> int:
    """Copy a notebook without its outputs and execution counts; return its number of code cells."""
    nb = json.loads(src.read_text(encoding="utf-8"))
    n_code = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            n_code += 1
    nb["metadata"].pop("widgets", None)  # the stored widget state of the book build
    dst.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return n_code


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path
    proc: subprocess.Popen
    n_code_cells: int

    def api(self, path: str, method: str = "GET", timeout: float = 10.0):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 40) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


def _stop(lab: Lab):
    """Shut the kernels down, stop the server (terminate, then kill), and any process it left."""
    try:
        import psutil

        descendants = psutil.Process(lab.proc.pid).children(recursive=True)
    except Exception:  # psutil missing, or the server is gone already
        descendants = []
    if lab.proc.poll() is None:
        try:
            for kernel in lab.api("/api/kernels"):
                lab.api(f"/api/kernels/{kernel['id']}", method="DELETE", timeout=20.0)
        except Exception:
            pass  # the server may be wedged: the signals below still stop it
        lab.proc.terminate()
        try:
            lab.proc.wait(20)
        except subprocess.TimeoutExpired:
            lab.proc.kill()
            lab.proc.wait(10)
    for child in descendants:  # kernels run in their own session: not reached by the signal
        try:
            child.terminate()
            child.wait(5)
        except Exception:
            try:
                child.kill()
            except Exception:
                pass


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    _require_client()
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root, home = tmp / "root", tmp / "home"
    root.mkdir()
    home.mkdir()
    n_code = _cleared_copy(BOOK / f"{CHAPTER}.ipynb", root / f"{CHAPTER}.ipynb")
    config = tmp / "config"
    for plugin, settings in LAB_SETTINGS.items():
        path = config / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))

    env = {k: v for k, v in os.environ.items() if not _DROPPED_ENV.match(k)}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        # The kernel imports this checkout's lifbook, whatever is installed.
        # Chapter 6 looks for bench/results.json above its folder: the copy is elsewhere.
        LIFBOOK_BENCH_RESULTS=str(ROOT / "bench" / "results.json"),
        PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]),
    )
    token = secrets.token_hex(24)
    port = _free_port()
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI run as root
    log = tmp / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, log, proc, n_code)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{lab.log_tail()}", pytrace=False)
            try:
                lab.api("/api/status", timeout=5.0)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer on {lab.url} within {SERVER_START_S:g} s:\n"
                                f"{lab.log_tail()}", pytrace=False)
                time.sleep(0.5)
        yield lab
    finally:
        _stop(lab)


@pytest.fixture(scope="module")
def browser():
    sync_api = _require_client()
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


# -- page helpers -----------------------------------------------------------------------------

_PROMPTS = """() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
    .map(e => e.textContent.trim())"""

# Done when every code cell has its execution count, or when a cell failed (Run All stops
# there, and the cells after it keep an empty prompt) and the kernel is idle again.
_ALL_RAN_OR_FAILED = """n => {
    const p = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
        .map(e => e.textContent.trim());
    if (p.length === n && p.every(x => /^\\[\\d+\\]:$/.test(x))) return true;
    const failed = Array.from(document.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
        .some(e => /Traceback|Error/.test(e.textContent));
    return failed && !p.some(x => x.includes('*'));
}"""

_KERNEL_IDLE = """() => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))
    .some(e => /\\|\\s*Idle$/.test(e.textContent.trim()))"""

_IMAGE_HASH = """async img => {
    const buf = await (await fetch(img.src)).arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-256', buf);
    return Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, '0')).join('');
}"""

_SRC_CHANGED = """([img, src]) => img.src !== src && img.complete && img.naturalWidth > 0"""


def _wait(page, expression, arg=None, *, what, timeout_ms=UI_MS, lab=None):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(expression, arg=arg, timeout=timeout_ms, polling=250)
    except PlaywrightTimeout:
        what = what() if callable(what) else what
        extra = f"\nserver log:\n{lab.log_tail()}" if lab is not None else ""
        pytest.fail(f"{what} (waited {timeout_ms / 1000:g} s){extra}", pytrace=False)


def _shot(page, name: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"jupyterlab-{CHAPTER}-{name}.png"))


def _move_slider(page, explorer, what: str):
    """Focus the first slider handle of ``explorer`` and press an arrow key once; return the key."""
    handle = explorer.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    key = "ArrowLeft" if at_max else "ArrowRight"
    before = handle.get_attribute("aria-valuenow")
    page.keyboard.press(key)
    _wait(page, "([h, v]) => h.getAttribute('aria-valuenow') !== v", [handle.element_handle(), before],
          what=f"{what}: the slider did not move after {key}")
    return key


# -- the test ---------------------------------------------------------------------------------


def test_chapter_runs_in_jupyterlab(lab, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    external, page_errors, console_errors = [], [], []

    def route(r):
        if _is_local(r.request.url):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort("blockedbyclient")

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(UI_MS)
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    # jupyterlab-myst reports roles that point at other pages of the book (glossary terms such as
    # {term}`rheobase`) as console errors, one line per role, and renders their text: a notebook
    # opened alone has no glossary. Those lines are expected; any other console error fails.
    unresolved = "Cross reference target was not found: "
    try:
        _run_chapter(page, lab)
    finally:
        context.close()
    assert not external, f"requests off 127.0.0.1: {external}"
    assert not page_errors, f"uncaught exceptions in JupyterLab: {page_errors}"
    console_errors = [e for e in console_errors
                      if not all(line.startswith(unresolved) for line in e.strip().splitlines())]
    assert not console_errors, f"console errors in JupyterLab: {[e[:300] for e in console_errors]}"


def _run_chapter(page, lab: Lab):
    t0 = time.monotonic()
    page.goto(f"{lab.url}/lab/tree/{CHAPTER}.ipynb?token={lab.token}", timeout=OPEN_MS)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=OPEN_MS)
    _wait(page, _KERNEL_IDLE, what="the kernel never became idle", timeout_ms=OPEN_MS, lab=lab)

    # The kernel is the interpreter running pytest.
    kernels = lab.api("/api/kernels")
    assert len(kernels) == 1, kernels
    try:
        import psutil

        cmdlines = [p.cmdline() for p in psutil.Process(lab.proc.pid).children(recursive=True)]
        launched = [c for c in cmdlines if "ipykernel_launcher" in c]
        assert launched and all(c[0] == sys.executable for c in launched), cmdlines
    except ImportError:
        pass

    # -- markdown: rendered by jupyterlab-myst -------------------------------------------------
    md = page.evaluate(
        """() => {
            const cells = Array.from(document.querySelectorAll('.jp-MarkdownCell'));
            const text = cells.filter(c => c.querySelector('.myst')).map(c => {
                const copy = c.querySelector('.myst').cloneNode(true);
                copy.querySelectorAll('.katex, code, pre').forEach(e => e.remove());
                return copy.textContent;
            });
            return {
                cells: cells.length,
                myst: document.querySelectorAll('.jp-MarkdownCell .myst').length,
                admonitions: document.querySelectorAll('.jp-MarkdownCell .myst-admonition').length,
                exercises: document.querySelectorAll('.jp-MarkdownCell .myst-exercise').length,
                katex: document.querySelectorAll('.jp-MarkdownCell .katex').length,
                katexErrors: document.querySelectorAll('.jp-MarkdownCell .katex-error').length,
                text: text,
            };
        }"""
    )
    assert md["cells"] and md["myst"] == md["cells"], (
        f"{md['myst']} of {md['cells']} markdown cells rendered by jupyterlab-myst: is the extension enabled?")
    assert md["admonitions"] >= 1, "no MyST admonition rendered (the learning goals)"
    assert md["exercises"] >= 1, "no MyST exercise rendered"
    assert md["katex"] >= 10 and md["katexErrors"] == 0, (md["katex"], md["katexErrors"])
    fences = [t[:200] for t in md["text"] if re.search(r":::\s*\{|```\s*\{|\$\$", t)]
    assert not fences, f"MyST syntax left as text in the rendered markdown: {fences}"
    page.locator(".jp-MarkdownCell .myst-admonition").first.scroll_into_view_if_needed()
    _shot(page, "markdown")

    # -- Run > Run All Cells --------------------------------------------------------------------
    prompts = page.evaluate(_PROMPTS)
    assert len(prompts) == lab.n_code_cells and not any(re.search(r"\d", p) for p in prompts), prompts
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    t_run = time.monotonic()
    _wait(page, _ALL_RAN_OR_FAILED, lab.n_code_cells,
          what=lambda: f"not every code cell ran: {page.evaluate(_PROMPTS)}", timeout_ms=RUN_ALL_MS, lab=lab)
    _wait(page, _KERNEL_IDLE, what="the kernel stayed busy after Run All", timeout_ms=RUN_ALL_MS, lab=lab)
    run_s = time.monotonic() - t_run

    # -- outputs: no stderr, every cell ran, figures, widgets ---------------------------------------
    stderr = page.evaluate(
        """() => Array.from(document.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
            .map(e => e.textContent.slice(0, 3000))"""
    )
    assert not stderr, "cells wrote errors or warnings:\n" + "\n-----\n".join(stderr)
    prompts = page.evaluate(_PROMPTS)
    counts = [int(m.group()) if (m := re.search(r"\d+", p)) else None for p in prompts]
    assert counts == list(range(1, lab.n_code_cells + 1)), f"cells did not run once each, in order: {prompts}"
    _wait(page, "() => Array.from(document.querySelectorAll('.jp-OutputArea-output img')).every(i => i.complete)",
          what="output images still loading")
    figures = page.evaluate(
        """() => Array.from(document.querySelectorAll('.jp-OutputArea-output[data-mime-type="image/png"] img'))
            .map(i => i.naturalWidth)"""
    )
    assert len(figures) >= MIN_FIGURES and all(w > 100 for w in figures), (
        f"matplotlib figures (their widths in px): {figures}; expected at least {MIN_FIGURES}")

    # Widget views: the widget manager replaces "Loading widget..." by the view, or shows an error.
    _wait(page, """() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))
            .every(o => !/^(Loading widget|Error displaying widget)/.test(o.textContent.trim()))""",
          what=lambda: "widget views not rendered: " + " | ".join(
              t.strip()[:200] for t in page.locator(".jp-OutputArea-output").all_text_contents()
              if re.match(r"\s*(Loading widget|Error displaying widget)", t)), lab=lab)
    n_views = page.locator(".jp-OutputArea-output > .jupyter-widgets").count()
    assert n_views >= 2, f"{n_views} widget views: the chapter shows a kernel-free and a live explorer"
    broken = page.evaluate("() => Array.from(document.querySelectorAll('.jp-OutputArea-output img'))"
                           ".filter(i => !(i.naturalWidth > 0)).length")
    assert broken == 0, f"{broken} output images did not load"
    page.locator('.jp-OutputArea-output[data-mime-type="image/png"] img').first.scroll_into_view_if_needed()
    _shot(page, "figure")

    # -- the live explorer: a kernel round trip per slider move ---------------------------------
    live = page.locator(".lifbook-live-explorer")
    assert live.count() >= 1, "no live explorer (Explorer.live()) in the chapter's outputs"
    live = live.first
    image = live.locator("img").first
    readout = live.locator(".widget-readout").first
    image.scroll_into_view_if_needed()
    src0, hash0, label0 = image.get_attribute("src"), image.evaluate(_IMAGE_HASH), readout.inner_text()
    key = _move_slider(page, live, "live explorer")
    _wait(page, _SRC_CHANGED, [image.element_handle(), src0],
          what=f"live explorer: no new figure from the kernel after {key} on its slider", lab=lab)
    hash1, label1 = image.evaluate(_IMAGE_HASH), readout.inner_text()
    assert hash1 != hash0, "live explorer: the new figure has the same bytes as the old one"
    assert label1 != label0, f"live explorer: the readout did not follow the slider ({label0!r})"
    _wait(page, _KERNEL_IDLE, what="the kernel stayed busy after the slider move", lab=lab)
    _shot(page, "live-explorer")
    stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert stderr.count() == 0, f"the slider move wrote to stderr: {stderr.all_text_contents()}"

    # -- the kernel-free explorer: frames switched in the browser ----------------------------------
    static = page.locator(".lifbook-explorer")
    assert static.count() >= 1, "no kernel-free explorer (Explorer.static()) in the chapter's outputs"
    static = static.first
    shown = static.locator("img:visible")
    assert shown.count() == 1, "a kernel-free explorer shows exactly one frame"
    src0 = shown.get_attribute("src")
    key = _move_slider(page, static, "kernel-free explorer")
    _wait(page, """([el, src]) => {
            const im = Array.from(el.querySelectorAll('img')).find(i => i.offsetParent);
            return im && im.src !== src && im.complete && im.naturalWidth > 0;
        }""", [static.element_handle(), src0],
          what=f"kernel-free explorer: the frame did not change after {key}")
    print(f"\n{CHAPTER} in JupyterLab: run all {run_s:.1f} s, whole test {time.monotonic() - t0:.1f} s, "
          f"{len(figures)} figures, {n_views} widget views")
