"""Turn the chapters' plain-text citations into bibliography links, and link glossary terms.

Citations (markdown cells, outside the closing "## References" list, headings, directive
lines, code and math): ``Gerstner et al. (2014)`` becomes ``{cite:t}`gerstner2014```, and
``Gerstner et al. 2014`` inside parentheses (``(see Gerstner et al. 2014, ch. 1)``) becomes
``{cite:alp}`gerstner2014``` (author and year, no brackets of its own). Only the author-year
pairs in CITATIONS are converted (each key is in book/references.bib); anything else is left
as written.

Glossary terms: the first mention of a term of book/glossary.md in a chapter's prose becomes
``{term}`text <Term>```, once per chapter.

Idempotent: run it again after editing a chapter::

    .venv/bin/python book/_tools/link_refs.py book/0*.ipynb
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

A = r"(?:&|and)"
# (regex for the author part, year, bibtex key)
CITATIONS = [
    (r"Gerstner et al\.", "2014", "gerstner2014"),
    (r"Fourcaud-Trocm[ée] et al\.", "2003", "fourcaudtrocme2003"),
    (r"Abbott", "1999", "abbott1999"),
    (rf"Brunel {A} van Rossum", "2007", "brunel2007"),
    (r"Burkitt", "2006", "burkitt2006"),
    (r"Lapicque", "1907", "lapicque1907"),
    (rf"Rotter {A} Diesmann", "1999", "rotter1999"),
    (r"Stimberg et al\.", "2019", "stimberg2019"),
    (rf"Broadie, Glasserman {A} Kou", "1997", "broadie1997"),
    (r"Broadie et al\.", "1997", "broadie1997"),
    (r"Brunel", "2000", "brunel2000"),
    (rf"Brunel {A} Hakim", "1999", "brunel1999"),
    (r"Brunel et al\.", "2001", "brunel2001"),
    (rf"Dayan {A} Abbott", "2001", "dayan2001"),
    (rf"Fourcaud {A} Brunel", "2002", "fourcaud2002"),
    (r"Kuhn et al\.", "2004", "kuhn2004"),
    (r"Ricciardi", "1977", "ricciardi1977"),
    (r"Siegert", "1951", "siegert1951"),
    (r"Tuckwell", "1988", "tuckwell1988"),
    (r"Badel et al\.", "2008", "badel2008"),
    (rf"Brette {A} Gerstner", "2005", "brette2005"),
    (r"Hansel et al\.", "1998", "hansel1998"),
    (rf"Cox {A} Matthews", "2002", "cox2002"),
    (r"Morrison et al\.", "2007", "morrison2007"),
    (r"Hairer et al\.", "1993", "hairer1993"),
    (rf"Shelley {A} Tao", "2001", "shelley2001"),
    (r"Williams et al\.", "2009", "williams2009"),
    (r"McCalpin", "1995", "mccalpin1995"),
    (r"Eshraghian et al\.", "2023", "eshraghian2023"),
    (rf"Pehle {A} Pedersen", "2021", "pehle2021"),
    (r"Lam et al\.", "2015", "lam2015"),
    (r"Paszke et al\.", "2019", "paszke2019"),
    (rf"Softky {A} Koch", "1993", "softky1993"),
    (rf"Shadlen {A} Newsome", "1998", "shadlen1998"),
    (r"Richardson", "2007", "richardson2007"),
    (r"Campbell", "1909", "campbell1909"),
]

# Glossary term (as in book/glossary.md) -> regex of its first mention in prose.
TERMS = {
    "Rheobase": r"rheobase(?! threshold)",
    "Refractoriness": r"refractor(?:iness|y period)",
    "Current-based": r"current-based",
    "Cut-off": r"cut-off",
    "Membrane time constant": r"membrane time constant",
    "f-I curve": r"f-I curve",
    "Interspike interval": r"interspike interval",
    "Exponential integrate-and-fire": r"exponential integrate-and-fire",
    "Slope factor": r"slope factor",
    "Precise spike timing": r"precise spike tim(?:ing|es)",
    "Diffusion approximation": r"diffusion approximation",
    "Chronaxie": r"chronaxie",
    "Strength-duration curve": r"strength-duration curve",
    "Euler method": r"(?:forward |explicit )?Euler method",
    "Exact integration": r"exact integration",
    "Fixed point": r"fixed point",
    "Coefficient of variation": r"coefficient of variation",
    "Fano factor": r"Fano factor",
    "Poisson process": r"Poisson process",
    "Shot noise": r"shot noise",
}

SKIP_LINE = re.compile(r"^\s*(#|:::|```|~~~|\$\$|:[\w-]+:)")
# Spans not to touch: roles, inline code, math, links' targets.
PROTECTED = re.compile(r"\{[\w:-]+\}`[^`]*`|``[^`]*``|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)")


def _sub_unprotected(line: str, func) -> str:
    out, pos = [], 0
    for m in PROTECTED.finditer(line):
        out.append(func(line[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(func(line[pos:]))
    return "".join(out)


def cite_line(line: str, changes: list[str]) -> str:
    def conv(text: str) -> str:
        for author, year, key in CITATIONS:
            def t(m, key=key):
                changes.append(f"{m.group(0)!r} -> cite:t {key}")
                return f"{{cite:t}}`{key}`"

            def alp(m, key=key):
                changes.append(f"{m.group(0)!r} -> cite:alp {key}")
                return f"{{cite:alp}}`{key}`"

            text = re.sub(rf"\b{author} \({year}\)", t, text)
            text = re.sub(rf"\b{author},? {year}(?=[);,])", alp, text)
        return text

    return _sub_unprotected(line, conv)


def term_line(line: str, done: set[str], changes: list[str]) -> str:
    def conv(text: str) -> str:
        for term, pattern in TERMS.items():
            if term in done:
                continue
            m = re.search(rf"(?<![\w-]){pattern}(?![\w-])", text, flags=re.IGNORECASE)
            if m:
                done.add(term)
                changes.append(f"{m.group(0)!r} -> term {term}")
                text = text[:m.start()] + f"{{term}}`{m.group(0)} <{term}>`" + text[m.end():]
        return text

    return _sub_unprotected(line, conv)


def process(path: Path, write: bool) -> list[str]:
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    changes: list[str] = []
    done: set[str] = set()
    # Terms already linked in the chapter count as done.
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for m in re.finditer(r"\{term\}`[^`<]*<([^>]+)>`|\{term\}`([^`]+)`", "".join(cell["source"])):
                name = (m.group(1) or m.group(2)).strip().lower()
                done.update(t for t in TERMS if t.lower() == name)
    first_heading_seen = False
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        lines, out, fence, in_refs = src.split("\n"), [], False, False
        for line in lines:
            stripped = line.lstrip()
            if stripped.startswith(("```", "~~~", "$$")):
                fence = not fence if stripped.startswith(("```", "~~~")) else fence
                out.append(line)
                continue
            if re.match(r"#{1,6} ", stripped):
                in_refs = stripped.lower().lstrip("# ").startswith("references")
                first_heading_seen = True
            if fence or in_refs or SKIP_LINE.match(line):
                out.append(line)
                continue
            line = cite_line(line, changes)
            if first_heading_seen:
                line = term_line(line, done, changes)
            out.append(line)
        new = "\n".join(out)
        if new != src:
            cell["source"] = new.splitlines(keepends=True)
    if changes and write:
        text = json.dumps(nb, indent=1, ensure_ascii=False)
        path.write_text(text + ("\n" if raw.endswith("\n") else ""), encoding="utf-8")
    return changes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args(argv)
    total = 0
    for path in args.notebooks:
        changes = process(path, write=not args.dry_run)
        total += len(changes)
        for c in changes:
            print(f"{path}: {c}")
    print(f"{total} change(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
