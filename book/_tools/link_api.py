"""Link the chapters' mentions of library names to the API reference.

In markdown cells, an inline code mention of a documented name, e.g. ```theory.lif_rate```,
```lifbook.theory.lif_rate```, ```CLIFPopulation``` or ```Record.spike_times```, becomes a
cross-reference role that keeps the text as written::

    {py:func}`theory.lif_rate <lifbook.theory.lif_rate>`

Only names the reference documents are linked (the ``__all__`` of the modules that have a page
in book/api/, and the public methods/properties of the main classes); headings, directive lines
(``:::{...}``) and code blocks are left alone, and so is a mention that is already a role. The
build is strict (-n), so a wrong target fails it. Idempotent: run it again after editing a
chapter::

    .venv/bin/python book/_tools/link_api.py book/0*.ipynb        # rewrite, list the changes
    .venv/bin/python book/_tools/link_api.py --check book/0*.ipynb  # exit 1 if something is unlinked
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import re
import sys
from pathlib import Path

# The modules with a page in book/api/ (their __all__ is documented).
API_MODULES = ["lifbook", "lifbook.params", "lifbook.inputs", "lifbook.theory", "lifbook.record",
               "lifbook.analysis", "lifbook.plot", "lifbook.exercises", "lifbook.widgets", "lifbook.frames",
               "lifbook.scale", "lifbook.accuracy", "lifbook.engine"]
# Classes whose members are documented, under the name the reference uses.
CLASSES = {"CLIFPopulation": "lifbook.CLIFPopulation", "ELIFPopulation": "lifbook.ELIFPopulation",
           "Record": "lifbook.record.Record", "CLIFParams": "lifbook.params.CLIFParams",
           "ELIFParams": "lifbook.params.ELIFParams", "Current": "lifbook.inputs.Current"}

MENTION = re.compile(r"(?<![`}\w])`([A-Za-z_][\w.]*)(\(\))?`(?!`)")


def _role(obj) -> str:
    if inspect.ismodule(obj):
        return "py:mod"
    if inspect.isclass(obj):
        return "py:exc" if issubclass(obj, BaseException) else "py:class"
    if callable(obj):
        return "py:func"
    return "py:data"


def targets() -> dict[str, tuple[str, str]]:
    """``{full name: (role, full name)}`` and the short spellings that map to it."""
    full: dict[str, str] = {}
    for modname in API_MODULES:
        mod = importlib.import_module(modname)
        full[modname] = "py:mod"
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            full[f"{modname}.{name}"] = "py:mod" if inspect.ismodule(obj) else _role(obj)
    for short, dotted in CLASSES.items():
        modname, cls_name = dotted.rsplit(".", 1)
        cls = getattr(importlib.import_module(modname), cls_name)
        for attr, value in inspect.getmembers(cls):
            if attr.startswith("_"):
                continue
            raw = inspect.getattr_static(cls, attr)
            if isinstance(raw, property):
                full[f"{dotted}.{attr}"] = "py:attr"
            elif callable(value):
                full[f"{dotted}.{attr}"] = "py:meth"
    spell: dict[str, tuple[str, str]] = {}
    for name, role in full.items():
        spell[name] = (role, name)
        if name.startswith("lifbook.") and name.count(".") >= 2:
            spell.setdefault(name[len("lifbook."):], (role, name))  # theory.lif_rate
    for name, role in full.items():
        if name.count(".") == 1 and name.startswith("lifbook.") and role != "py:mod":
            spell.setdefault(name[len("lifbook."):], (role, name))  # NumericalWarning
    for short, dotted in CLASSES.items():
        spell.setdefault(short, ("py:class", dotted))
        for name, role in full.items():
            if name.startswith(dotted + "."):
                spell.setdefault(short + name[len(dotted):], (role, name))  # Record.spike_times
    return spell


def link_text(text: str, spell) -> tuple[str, list[str]]:
    out, changes, fence = [], [], False
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fence = not fence
        if fence or stripped.startswith(("#", ":::", "```", "$$")) or stripped.startswith(":") and "`" not in line:
            out.append(line)
            continue

        def repl(m):
            name, call = m.group(1), m.group(2) or ""
            if name not in spell:
                return m.group(0)
            role, target = spell[name]
            shown = name + call
            new = f"{{{role}}}`{shown} <{target}>`"
            changes.append(f"{m.group(0)} -> {new}")
            return new

        out.append(MENTION.sub(repl, line))
    return "\n".join(out), changes


def process(path: Path, spell, write: bool) -> list[str]:
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    changes = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        new, ch = link_text(src, spell)
        if ch:
            changes += ch
            cell["source"] = new.splitlines(keepends=True)
    if changes and write:
        text = json.dumps(nb, indent=1, ensure_ascii=False)
        path.write_text(text + ("\n" if raw.endswith("\n") else ""), encoding="utf-8")
    return changes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a mention is unlinked")
    args = ap.parse_args(argv)
    spell = targets()
    total = 0
    for path in args.notebooks:
        changes = process(path, spell, write=not args.check)
        total += len(changes)
        for c in changes:
            print(f"{path}: {c}")
    print(f"{total} mention(s) {'unlinked' if args.check else 'linked'}")
    return 1 if args.check and total else 0


if __name__ == "__main__":
    sys.exit(main())
