"""Helpers for the book's notebooks that work in any Jupyter kernel.

:func:`glue` is what the chapters use to quote numbers computed in their cells (myst-nb's
``{glue:text}`` role). It calls ``myst_nb.glue`` when myst-nb is installed (the book build) and
otherwise displays the same output bundle itself, so a chapter opened in JupyterLab or VS Code
with ``pip install "lifbook[notebooks]"`` runs without myst-nb, and a notebook executed there
still carries the values that the book build reads.
"""
from __future__ import annotations

from typing import Any

__all__ = ["glue", "sci_text", "GLUE_PREFIX"]

#: MIME-type prefix of a value glued without display (myst-nb's and papermill's convention).
GLUE_PREFIX = "application/papermill.record/"


_SUPERSCRIPT = str.maketrans("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")


def sci_text(x: float, digits: int = 1) -> str:
    """``x`` in scientific notation for prose: ``sci_text(3.1e-13)`` is ``'3.1 × 10⁻¹³'``.

    ``digits`` digits after the decimal point of the mantissa (``sci_text(1.2e-10, 0)`` is
    ``'1 × 10⁻¹⁰'``); an exponent of 0 gives the mantissa alone, 0 gives ``'0'``. Python's
    ``1e-13`` format reads as code in a sentence; this is how a textbook prints the number.
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits: expected an integer >= 0, got {digits!r}")
    x = float(x)
    if x == 0:
        return "0"
    if x != x or x in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "\u221e", "-inf": "-\u221e"}[repr(x)]
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    exponent = int(exponent)
    if exponent == 0:
        return mantissa
    return f"{mantissa} \u00d7 10{str(exponent).translate(_SUPERSCRIPT)}"


def glue(name: str, variable: Any, display: bool = True, *, sci: int | None = None) -> None:
    """Store ``variable``'s display value in the cell's output under ``name`` (myst-nb's ``glue``).

    With ``sci=d`` the value glued is the text :func:`sci_text` ``(variable, d)``, so that
    ``{glue:text}`name``` prints a small number as "3.1 × 10⁻¹³" rather than "3.1e-13".

    The output is a display-data bundle (``text/plain`` and whatever else IPython renders for
    ``variable``) with metadata ``{"scrapbook": {"name": name, "mime_prefix": prefix}}``; with
    ``display=False`` each MIME type is prefixed by :data:`GLUE_PREFIX`, so Jupyter shows nothing
    while the book can still paste the value. Outside an IPython shell or kernel (a plain
    ``python`` script) there is no cell output to store it in, and nothing happens.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name: expected a non-empty string naming the glued value, got {name!r}")
    if sci is not None:
        variable = sci_text(variable, sci)
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
