"""Student versions of the chapters: ``python -m lifbook.course student book/*.ipynb --out student/``.

A chapter is the instructor version. Its exercises follow ``book/STYLE.md``: an
``exercise-start``/``exercise-end`` block, then a folded ``solution-start``/``solution-end`` block
whose code cells are tagged ``solution`` (they compute ``answer``) or ``check`` (they call a
``lifbook.exercises`` check). The student version

* replaces every code cell inside a solution by a stub: ``answer = ...`` (when the solution
  assigns ``answer``) and ``raise NotImplementedError``;
* keeps ``check`` cells, so students get feedback once their ``answer`` is filled in;
* removes the outputs of stubs and checks (they would reveal the answer) and the solution's text;
* turns the exercise directives into plain Markdown headings, and replaces the book's
  ``{glue:text}`` roles by the values glued in the notebook, so the text reads well in Jupyter.

Everything outside the solutions is kept as it is, outputs included.
"""
from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import sys
from pathlib import Path

__all__ = ["student_version", "write_student_versions", "STUB_MARK"]

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
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name and _GLUE_MIME in out.get("data", {}):
                values[name] = _source({"source": out["data"][_GLUE_MIME]})
    return values


def _fill_glue(text: str, values: dict) -> str:
    def sub(m):
        raw = values.get(m.group("name"))
        if raw is None:
            return m.group(0)
        spec = m.group("spec")
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


def _assigns_answer(code: str) -> bool:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return "answer" in code
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and n.id == "answer":
                    return True
    return False


def _stub(code: str, label: str | None) -> str:
    lines = [STUB_MARK]
    if _assigns_answer(code):
        lines.append("answer = ...")
    what = f"exercise {label}" if label else "this exercise"
    lines.append(f'raise NotImplementedError("{what}: write your solution here")')
    return "\n".join(lines) + "\n"


def _exercise_heading(match: re.Match) -> str:
    title = match.group("title").strip() or "Exercise"
    return f"### Exercise: {title}\n"


def _markdown(text: str) -> str:
    text = _EX_START.sub(_exercise_heading, text)
    return _EX_END.sub("", text)


def student_version(nb: dict) -> dict:
    """Return the student version of a notebook (a JSON dict in nbformat 4); ``nb`` is not modified."""
    out = copy.deepcopy(nb)
    glued = _glued_values(nb)
    cells, in_solution, label, stubs = [], False, None, 0
    for cell in out["cells"]:
        kind, src = cell["cell_type"], _source(cell)
        tags = set(cell.get("metadata", {}).get("tags", []))
        if kind == "markdown":
            keep = []
            rest = src
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
                    in_solution, rest = True, rest[m.end():]
                else:
                    m = _SOL_END.search(rest)
                    if m is None:
                        break  # solution text: dropped
                    in_solution, rest = False, rest[m.end():]
            text = _fill_glue(_markdown("".join(keep)), glued).strip("\n")
            if text.strip():
                cell["source"] = text + "\n"
                cells.append(cell)
            continue
        if kind == "code" and (in_solution or "solution" in tags or "check" in tags):
            if "check" in tags:
                cell["outputs"], cell["execution_count"] = [], None
            else:
                cell["source"] = _stub(src, label)
                cell["outputs"], cell["execution_count"] = [], None
                cell.setdefault("metadata", {})["tags"] = sorted((tags - {"solution"}) | {"stub"})
                stubs += 1
            cells.append(cell)
            continue
        cells.append(cell)
    if in_solution:
        raise ValueError("a solution-start has no matching solution-end")
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
