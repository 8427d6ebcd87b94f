"""Student versions of the chapters: ``python -m lifbook.course student book/*.ipynb --out student/``.

A chapter is the instructor version. Its exercises follow ``book/STYLE.md``: an
``exercise-start``/``exercise-end`` block, then a folded ``solution-start``/``solution-end`` block
whose code cells are tagged ``solution`` (they compute ``answer``) or ``check`` (they call a
``lifbook.exercises`` check). The student version

* replaces every code cell inside a solution by a stub that names, as ``name = ...``, every
  variable the exercise's ``check`` cells read and that cell assigns (``answer``, or e.g.
  ``u_stable`` and ``u_unstable``), then raises ``NotImplementedError``;
* keeps ``check`` cells, so students get feedback once their variables are filled in (a check
  on ``...`` says "not answered yet");
* drops the book's glue plumbing from the cells it keeps: imports of ``glue`` (from whatever
  module) and statements that only call ``glue(...)`` (or ``something.glue(...)``) to feed the
  text; a ``glue`` that displays its value becomes ``display(value)``;
* removes the outputs of stubs and checks (they would reveal the answer) and the solution's text;
* turns the exercise directives into plain Markdown headings, and replaces the book's
  ``{glue:text}`` roles by the values glued in the notebook, so the text reads well in Jupyter.

Everything outside the solutions is kept as it is, outputs included.
"""
from __future__ import annotations

import argparse
import ast
import builtins
import copy
import json
import re
import sys
from pathlib import Path

__all__ = ["student_version", "write_student_versions", "strip_glue", "solution_cells", "STUB_MARK"]

#: First line of every stub cell (tests and tools recognise stubs by it).
STUB_MARK = "# EXERCISE: your code here"

_SOL_START = re.compile(r"^:::\{solution-start\}.*?\n(?::[a-z-]+:.*\n)*:::\s*$", re.M)
_SOL_END = re.compile(r"^:::\{solution-end\}\s*\n:::\s*$", re.M)
_EX_START = re.compile(r"^:::\{exercise-start\}\s*(?P<title>.*?)\n(?P<opts>(?::[a-z-]+:.*\n)*):::\s*$", re.M)
_EX_END = re.compile(r"^:::\{exercise-end\}\s*\n:::\s*$", re.M)
_LABEL = re.compile(r":label:\s*(\S+)")
_GLUE = re.compile(r"\{glue:text\}`(?P<name>[^`:]+)(?::(?P<spec>[^`]*))?`")
_GLUE_MIME = "application/papermill.record/text/plain"


def _glued_values(nb: dict) -> dict:
    """``{name: text}`` of the values glued by ``lifbook.notebook.glue`` (myst-nb's format; stored outputs)."""
    values = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            scrap = out.get("metadata", {}).get("scrapbook", {})
            data = out.get("data", {})
            # display=False: the MIME type carries the papermill prefix; a displayed value: plain text/plain
            text = data.get(_GLUE_MIME, data.get("text/plain") if scrap.get("mime_prefix") == "" else None)
            if scrap.get("name") and text is not None:
                values[scrap["name"]] = _source({"source": text})
    return values


def _fill_glue(text: str, values: dict) -> str:
    def sub(m):
        raw = values.get(m.group("name"))
        if raw is None:
            return m.group(0)
        spec = m.group("spec")
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            raw = raw[1:-1]  # a glued string's text/plain is its repr (myst-nb drops the quotes too)
        if spec:
            try:
                return format(float(raw), spec)
            except ValueError:
                return raw
        return raw
    return _GLUE.sub(sub, text)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _parse(code: str):
    """``ast`` of a cell, IPython magics turned into calls first; ``None`` if it still does not parse."""
    try:
        return ast.parse(code)
    except SyntaxError:
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(code))
    except Exception:  # noqa: BLE001 - not Python: nothing to analyse
        return None


def _stored(tree) -> list[str]:
    """Names a cell binds (assignments, loop targets, imports, definitions), in order of appearance."""
    out = []
    if tree is None:
        return out
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out += [(a.asname or a.name).split(".")[0] for a in node.names]
    return list(dict.fromkeys(out))


def _loaded(tree) -> list[str]:
    """Names a cell reads before (or without) binding them itself, in order of appearance."""
    if tree is None:
        return []
    bound = set(_stored(tree))
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return [n for n in dict.fromkeys(names) if n not in bound and not hasattr(builtins, n)]


def _objects_used(tree, names) -> set:
    """Names in ``names`` whose attributes, items or calls a cell uses (objects, not plain values)."""
    out = set()
    if tree is None:
        return out
    for node in ast.walk(tree):
        target = None
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            target = node.value
        elif isinstance(node, ast.Call):
            target = node.func
        if isinstance(target, ast.Name) and target.id in names:
            out.add(target.id)
    return out


def _stub(names: list[str], label: str | None) -> str:
    lines = [STUB_MARK, *(f"{name} = ..." for name in names)]
    what = f"exercise {label}" if label else "this exercise"
    lines.append(f'raise NotImplementedError("{what}: write your solution here")')
    return "\n".join(lines) + "\n"


# -- glue plumbing ------------------------------------------------------------------------------
def _is_glue_call(stmt, glue_names) -> bool:
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    f = stmt.value.func
    return (isinstance(f, ast.Name) and f.id in glue_names) or (isinstance(f, ast.Attribute) and f.attr == "glue")


def _glue_display(call: ast.Call, code: str) -> str | None:
    """``display(value)`` for a glue call that shows its value, ``None`` for ``display=False``."""
    show = next((k.value for k in call.keywords if k.arg == "display"), None)
    if show is None and len(call.args) > 2:
        show = call.args[2]
    if isinstance(show, ast.Constant) and not show.value:
        return None
    value = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "variable"), None)
    return None if value is None else f"display({ast.get_source_segment(code, value)})"


def strip_glue(code: str) -> str:
    """``code`` without the book's glue plumbing (see the module docstring); other lines are kept as they are.

    A loop or ``with``/``if`` block that only glued is removed with its header; a body that
    would be left empty otherwise gets ``pass``."""
    if "glue" not in code or code.lstrip().startswith("%%"):
        return code  # nothing to strip, or a cell magic (not Python line by line)
    tree = _parse(code)
    if tree is None:
        return code
    glue_names = {"glue"} | {a.asname for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                             for a in n.names if a.name == "glue" and a.asname}

    def own_lines(node) -> bool:
        """The statement has its lines to itself (no ``;`` neighbours)."""
        first, last = lines[node.lineno - 1], lines[node.end_lineno - 1]
        return not first[:node.col_offset].strip() and not last[node.end_col_offset:].split("#")[0].strip()

    # Glue calls that share a line with other statements (``y = 2; glue("y", y)``) become ``pass``.
    lines = code.splitlines(keepends=True)
    shared = [n for n in ast.walk(tree) if isinstance(n, ast.stmt) and _is_glue_call(n, glue_names)
              and n.lineno == n.end_lineno and not own_lines(n)]
    for n in sorted(shared, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        line = lines[n.lineno - 1]
        lines[n.lineno - 1] = line[:n.col_offset] + "pass" + line[n.end_col_offset:]
    if shared:
        code = "".join(lines)
        tree = ast.parse(code)
    edits = []  # (first line, last line, replacement text or "")

    def indent(node):
        return " " * node.col_offset

    def prune(body) -> bool:
        """Plan the removals in ``body``; True if every statement of it goes."""
        gone = 0
        for stmt in body:
            if not own_lines(stmt):
                continue
            if _is_glue_call(stmt, glue_names):
                shown = _glue_display(stmt.value, code)
                if shown is None:
                    edits.append((stmt.lineno, stmt.end_lineno, ""))
                    gone += 1
                else:
                    edits.append((stmt.lineno, stmt.end_lineno, indent(stmt) + shown + "\n"))
            elif isinstance(stmt, ast.ImportFrom) and any(a.name == "glue" for a in stmt.names):
                rest = [a for a in stmt.names if a.name != "glue"]
                if rest:
                    new = ast.ImportFrom(module=stmt.module, names=rest, level=stmt.level)
                    edits.append((stmt.lineno, stmt.end_lineno, indent(stmt) + ast.unparse(new) + "\n"))
                else:
                    edits.append((stmt.lineno, stmt.end_lineno, ""))
                    gone += 1
            elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.If)):
                mark = len(edits)
                body_gone = prune(stmt.body)
                else_gone = prune(stmt.orelse) if getattr(stmt, "orelse", None) else True
                if body_gone and else_gone:
                    del edits[mark:]
                    edits.append((stmt.lineno, stmt.end_lineno, ""))
                    gone += 1
                elif body_gone:
                    first = stmt.body[0]
                    edits.append((first.lineno, first.lineno - 1, indent(first) + "pass\n"))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Try)):
                for field in ("body", "orelse", "finalbody"):
                    part = getattr(stmt, field, None)
                    if part and prune(part):
                        edits.append((part[0].lineno, part[0].lineno - 1, indent(part[0]) + "pass\n"))
                for h in getattr(stmt, "handlers", []):
                    if prune(h.body):
                        edits.append((h.body[0].lineno, h.body[0].lineno - 1, indent(h.body[0]) + "pass\n"))
        return gone == len(body)

    prune(tree.body)
    if not edits:
        return code
    out = list(lines)
    # Apply from the bottom up; an insertion (last < first) goes before line ``first``.
    for first, last, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out[first - 1:max(last, first - 1)] = [text] if text else []
    text = "".join(out)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.strip("\n") + ("\n" if code.endswith("\n") else "")


def _exercise_heading(match: re.Match) -> str:
    title = match.group("title").strip() or "Exercise"
    return f"### Exercise: {title}\n"


def _markdown(text: str) -> str:
    text = _EX_START.sub(_exercise_heading, text)
    return _EX_END.sub("", text)


def _solution_blocks(nb: dict) -> list[dict]:
    """Per cell: ``{"block": k or None, "label": ..., "drop_text": ...}`` plus the markdown to keep.

    A block is one ``solution-start`` ... ``solution-end``; code cells tagged ``solution`` or
    ``check`` outside any block form a block of their own with the next ones (old notebooks)."""
    info, in_solution, label, block = [], False, None, -1
    loose = None  # role of the previous tagged cell outside a block (None: not in such a run)
    for cell in nb["cells"]:
        kind, src = cell["cell_type"], _source(cell)
        tags = set(cell.get("metadata", {}).get("tags", []))
        if kind == "markdown":
            keep, rest, inside = [], src, in_solution
            while rest:
                if not in_solution:
                    m = _SOL_START.search(rest)
                    if m is None:
                        keep.append(rest)
                        break
                    keep.append(rest[: m.start()])
                    found = _LABEL.search(m.group(0))
                    head = m.group(0).split("\n", 1)[0]
                    label = head.split("}", 1)[1].strip() or (found.group(1) if found else None)
                    in_solution, rest, block = True, rest[m.end():], block + 1
                else:
                    m = _SOL_END.search(rest)
                    if m is None:
                        break  # solution text: dropped
                    in_solution, rest = False, rest[m.end():]
            info.append({"block": block if inside or in_solution else None, "keep": "".join(keep), "label": label})
            loose = None
            continue
        if kind == "code" and (in_solution or "solution" in tags or "check" in tags):
            role = "check" if "check" in tags else "solution"
            if not in_solution:  # a tagged cell outside a solution block: solutions then checks form one
                if loose is None or (loose == "check" and role == "solution"):
                    block += 1
                loose = role
            info.append({"block": block, "role": role, "label": label if in_solution else None})
            continue
        info.append({"block": None})
        loose = None
    if in_solution:
        raise ValueError("a solution-start has no matching solution-end")
    return info


def _stub_names(nb: dict, info: list[dict]) -> dict[int, list[str]]:
    """For each solution cell (by index): the names its stub must define (see the module docstring)."""
    cells = nb["cells"]
    trees = {i: _parse(_source(c)) for i, c in enumerate(cells) if c["cell_type"] == "code"}
    defined: set[str] = set()  # by the cells the student version keeps as they are, so far
    out: dict[int, list[str]] = {}
    blocks: dict[int, list[int]] = {}
    for i, d in enumerate(info):
        if cells[i]["cell_type"] == "code" and d.get("block") is not None:
            blocks.setdefault(d["block"], []).append(i)
    done = set()
    for i, cell in enumerate(cells):
        d = info[i]
        if cell["cell_type"] != "code":
            continue
        if d.get("block") is None or d.get("role") == "check":
            defined |= set(_stored(trees[i]))
        if d.get("block") is None or d["block"] in done:
            continue
        done.add(d["block"])
        members = blocks[d["block"]]
        sols = [j for j in members if info[j]["role"] == "solution"]
        wanted: list[str] = []
        for j in (j for j in members if info[j]["role"] == "check"):
            wanted += [n for n in _loaded(trees[j]) if n not in wanted]
        for j in sols:
            names = _stored(trees[j])
            if "answer" in names:
                out.setdefault(j, []).append("answer")
        for name in wanted:
            if name in defined or name == "answer":
                continue
            last = [j for j in sols if name in _stored(trees[j])]
            if last:
                out.setdefault(last[-1], []).append(name)
        stubbed = {n for names in out.values() for n in names}
        for j in (j for j in members if info[j]["role"] == "check"):
            objects = _objects_used(trees[j], stubbed & set(wanted))
            if objects:
                raise ValueError(
                    f"check cell {j} uses {', '.join(sorted(objects))}, which only the solution defines: a student "
                    f"version would stub it as `...`. Define it in a cell before the solution (book/STYLE.md), "
                    f"or check a plain value.")
    return out


def solution_cells(nb: dict) -> list[str]:
    """The sources of the cells the student version replaces by stubs, in order (one per stub)."""
    info = _solution_blocks(nb)
    return [_source(c) for c, d in zip(nb["cells"], info)
            if c["cell_type"] == "code" and d.get("role") == "solution"]


def student_version(nb: dict) -> dict:
    """Return the student version of a notebook (a JSON dict in nbformat 4); ``nb`` is not modified."""
    out = copy.deepcopy(nb)
    glued = _glued_values(nb)
    info = _solution_blocks(nb)
    names = _stub_names(nb, info)
    cells, stubs = [], 0
    for i, cell in enumerate(out["cells"]):
        d = info[i]
        if cell["cell_type"] == "markdown":
            text = _fill_glue(_markdown(d["keep"]), glued).strip("\n")
            if text.strip():
                cell["source"] = text + "\n"
                cells.append(cell)
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] == "code" and d.get("role") == "check":
            cell["source"] = strip_glue(_source(cell))
            cell["outputs"], cell["execution_count"] = [], None
        elif cell["cell_type"] == "code" and d.get("role") == "solution":
            cell["source"] = _stub(names.get(i, []), d.get("label"))
            cell["outputs"], cell["execution_count"] = [], None
            cell.setdefault("metadata", {})["tags"] = sorted((tags - {"solution"}) | {"stub"})
            stubs += 1
        elif cell["cell_type"] == "code":
            src = _source(cell)
            new = strip_glue(src)
            if new != src:
                cell["source"] = new
                if not new.strip():
                    continue  # a cell that only glued
        cells.append(cell)
    out["cells"] = cells
    out.setdefault("metadata", {})["lifbook"] = {"version": "student", "stubs": stubs}
    return out


def write_student_versions(paths, out_dir) -> list[Path]:
    """Write the student version of each notebook in ``paths`` into ``out_dir`` (same file names)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for p in map(Path, paths):
        nb = json.loads(p.read_text(encoding="utf-8"))
        student = student_version(nb)
        target = out_dir / p.name
        if target.resolve() == p.resolve():
            raise ValueError(f"--out: refusing to overwrite the instructor version {p}")
        target.write_text(json.dumps(student, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lifbook.course",
                                     description="Course tools for lifbook chapters.")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("student", help="write student versions: solutions replaced by stubs")
    s.add_argument("notebooks", nargs="+", help="instructor notebooks (e.g. book/*.ipynb)")
    s.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args(argv)
    for path in write_student_versions(args.notebooks, args.out):
        nb = json.loads(path.read_text(encoding="utf-8"))
        print(f"{path}: {nb['metadata']['lifbook']['stubs']} stubs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
