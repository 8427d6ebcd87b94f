"""Keep build plumbing out of the reader's view, and small page fixes.

The chapters carry lines that serve the build, not the reader: ``# NBVAL_*``
markers (nbval), ``from lifbook.notebook import glue`` and ``glue(...)``
statements (myst-nb's glue, which puts computed numbers into the text).  The
notebook keeps them; this extension strips them from the *rendered* code of
every notebook cell (and from what the copy button copies).  A code cell with
nothing left is not shown (its outputs are).  A ``for`` or ``if`` whose body
was only glue goes with it.

It also registers ``lifbook-ui.js`` / ``lifbook-ui.css`` (book/_ext/static,
copied into the site's _static): the header and menu fixes for narrow
screens, scrolling display equations and the footer's index link.

Rule of thumb for authors (book/STYLE.md): never put reader-facing code on a
glue line.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

HERE = Path(__file__).resolve().parent

_NBVAL = re.compile(r"^\s*#\s*NBVAL_[A-Z_]+\s*$")
_GLUE_IMPORT = re.compile(r"^\s*from\s+(lifbook\.notebook|myst_nb)\s+import\s+glue\s*$")
_GLUE_CALL = re.compile(r"^\s*glue\(")
_STRING = re.compile(r"""("[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*')""")
_LIVE = re.compile(r"^\s*[A-Za-z_][\w.]*(\(\))?\.live\(\)\s*$")


def _paren_balance(line: str) -> int:
    code = _STRING.sub('""', line).split("#", 1)[0]
    return code.count("(") + code.count("[") + code.count("{") - code.count(")") - code.count("]") - code.count("}")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def strip_plumbing(code: str) -> str:
    """Return ``code`` without NBVAL markers, glue imports and glue statements.

    >>> strip_plumbing("# NBVAL_IGNORE_OUTPUT\\nx = 1\\nglue('x', x,\\n     display=False)\\nprint(x)")
    'x = 1\\nprint(x)'
    """
    lines = code.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _NBVAL.match(line) or _GLUE_IMPORT.match(line):
            i += 1
            continue
        if _GLUE_CALL.match(line):
            depth = _paren_balance(line)
            i += 1
            while depth > 0 and i < len(lines):
                depth += _paren_balance(lines[i])
                i += 1
            continue
        kept.append(line)
        i += 1
    # Drop block headers left without a body (a loop that only glued).
    changed = True
    while changed:
        changed = False
        for j, line in enumerate(kept):
            head = _STRING.sub("", line).split("#", 1)[0].rstrip()
            if not head.endswith(":"):
                continue
            rest = [ln for ln in kept[j + 1 :] if ln.strip()]
            if not rest or _indent(rest[0]) <= _indent(line):
                del kept[j]
                changed = True
                break
    text = "\n".join(kept)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


def _is_cell_input(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and "cell_input" in node.get("classes", [])


def hide_plumbing(app: Sphinx, doctree: nodes.document) -> None:
    for block in list(doctree.findall(nodes.literal_block)):
        parent = block.parent
        if parent is None or not _is_cell_input(parent):
            continue
        old = block.astext()
        new = strip_plumbing(old)
        cell = parent.parent
        if new == old and not _LIVE.match(new or ""):
            continue
        if not new.strip():
            parent.parent.remove(parent)
            if cell is not None and not any(isinstance(c, nodes.Element) for c in cell.children):
                cell.parent.remove(cell)
            continue
        block.children = [nodes.Text(new)]
        block.rawsource = new
        if cell is not None and all(_LIVE.match(ln) for ln in new.split("\n") if ln.strip()):
            # The live face of an explorer: its output needs a kernel, so the
            # page shows only the code; say so instead of an empty cell.
            cell["classes"].append("lifbook-live")


def setup(app: Sphinx):
    app.connect("doctree-read", hide_plumbing)
    app.add_js_file("lifbook-ui.js", defer="defer")
    app.add_css_file("lifbook-ui.css")
    app.connect("config-inited", _add_static)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


def _add_static(app: Sphinx, config) -> None:
    # Our own small CSS/JS (no vendor code): served from _static/.
    config.html_static_path.append(str(HERE / "static"))
