"""Progress of a long :meth:`Population.run` in a Jupyter notebook (never in scripts or CI).

:func:`in_notebook` is true inside an IPython kernel (ipykernel's ZMQ shell: Jupyter, VS Code,
the book's execution); a plain ``python`` script, ``pytest`` or a terminal IPython gets no
progress display. :class:`Progress` is the engines' ``on_block(done, T)`` hook: it stays silent
until :data:`SHOW_AFTER_S` seconds have passed and the run is predicted to last longer, then shows
one line of text (``run: 1200/5000 steps (24%), 3.1 s, about 9.8 s left``), updated at most
every :data:`UPDATE_S` seconds between blocks of steps, and blanked when the run ends. Set
``LIFBOOK_PROGRESS=0`` to switch it off (``1`` to force it, e.g. to test it).
"""
from __future__ import annotations

import os
import sys
import time

__all__ = ["in_notebook", "Progress", "SHOW_AFTER_S"]

#: A run shows progress once it has taken this long and is predicted to take longer.
SHOW_AFTER_S = 2.0
#: Seconds between two updates of the display.
UPDATE_S = 0.5


def in_notebook() -> bool:
    """True inside an IPython kernel (ipykernel's ZMQ shell), unless ``LIFBOOK_PROGRESS`` says otherwise."""
    env = os.environ.get("LIFBOOK_PROGRESS", "").strip()
    if env in ("0", "1"):
        return env == "1"
    if "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:  # pragma: no cover - a broken IPython
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class Progress:
    """``on_block(done, T)``: a one-line text display for a run that lasts more than a few seconds."""

    def __init__(self, label: str = "run"):
        self.label = label
        self.start = time.perf_counter()
        self.last = 0.0
        self.handle = None
        self.shown = 0  # updates displayed (for tests)

    def text(self, done: int, total: int, elapsed: float) -> str:
        left = elapsed * (total - done) / max(done, 1)
        return (f"{self.label}: {done}/{total} steps ({100 * done / total:.0f}%), {elapsed:.1f} s, "
                f"about {left:.1f} s left")

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        elapsed = now - self.start
        if done >= total or elapsed < SHOW_AFTER_S or now - self.last < UPDATE_S:
            return
        self.last = now
        self.shown += 1
        line = self.text(done, total, elapsed)
        try:
            from IPython.display import display

            if self.handle is None:
                self.handle = display({"text/plain": line}, raw=True, display_id=True)
            else:
                self.handle.update({"text/plain": line}, raw=True)
        except Exception:  # pragma: no cover - no IPython display: say nothing rather than fail a run
            pass

    def close(self) -> None:
        """Blank the display (the run is over)."""
        if self.handle is not None:
            try:
                self.handle.update({"text/plain": ""}, raw=True)
            except Exception:  # pragma: no cover
                pass
