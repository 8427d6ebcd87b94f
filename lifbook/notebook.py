"""Helpers for the book's notebooks that work in any Jupyter kernel.

:func:`glue` is what the chapters use to quote numbers computed in their cells (myst-nb's
``{glue:text}`` role). It calls ``myst_nb.glue`` when myst-nb is installed (the book build) and
otherwise displays the same output bundle itself, so a chapter opened in JupyterLab or VS Code
with ``pip install "lifbook[notebooks]"`` runs without myst-nb, and a notebook executed there
still carries the values that the book build reads.
"""
from __future__ import annotations

from typing import Any

__all__ = ["glue", "GLUE_PREFIX"]

#: MIME-type prefix of a value glued without display (myst-nb's and papermill's convention).
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Store ``variable``'s display value in the cell's output under ``name`` (myst-nb's ``glue``).

    The output is a display-data bundle (``text/plain`` and whatever else IPython renders for
    ``variable``) with metadata ``{"scrapbook": {"name": name, "mime_prefix": prefix}}``; with
    ``display=False`` each MIME type is prefixed by :data:`GLUE_PREFIX`, so Jupyter shows nothing
    while the book can still paste the value. Outside an IPython shell or kernel (a plain
    ``python`` script) there is no cell output to store it in, and nothing happens.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name: expected a non-empty string naming the glued value, got {name!r}")
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None:
        return
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        myst_glue = None
    if myst_glue is not None:
        myst_glue(name, variable, display=display)
        return
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    mimebundle, metadata = format_display_data(variable)
    mime_prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = dict(name=name, mime_prefix=mime_prefix)
    ipy_display({mime_prefix + k: v for k, v in mimebundle.items()}, raw=True, metadata=metadata)
