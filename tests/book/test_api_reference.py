"""The API reference in the built book documents the public names, and the chapters link to it.

Needs the built book (``make book``, _build/html); skipped without it. The coverage is read from
the site's Sphinx inventory (objects.inv): a name counts as documented when the reference has a
target for it (a ``py:`` object: module, class, function, method, data).
"""

from __future__ import annotations

import importlib
import re
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
INV = SITE / "objects.inv"

# The modules whose __all__ the reference must cover (issue 10).
MODULES = ["lifbook", "lifbook.theory", "lifbook.inputs", "lifbook.plot", "lifbook.analysis", "lifbook.network",
           "lifbook.exercises", "lifbook.record", "lifbook.params"]
MIN_COVERAGE = 0.95
MIN_CHAPTER_LINKS = 30

pytestmark = pytest.mark.skipif(not INV.is_file(), reason="build the book first: make book")


def read_inventory(path: Path) -> dict[str, tuple[str, str]]:
    """``{name: (role, uri)}`` of a Sphinx version-2 objects.inv."""
    raw = path.read_bytes()
    lines = raw.split(b"\n", 4)
    assert lines[0].startswith(b"# Sphinx inventory version 2"), lines[0]
    body = zlib.decompress(lines[4]).decode("utf-8")
    out = {}
    for line in body.splitlines():
        m = re.match(r"(?x)(.+?)\s+(\S+:\S+)\s+(-?\d+)\s+(\S+)\s+(.*)", line.rstrip())
        if m:
            name, role, _prio, uri, _disp = m.groups()
            out.setdefault(name, (role, uri))
    return out


def public_names() -> list[str]:
    names = []
    for modname in MODULES:
        mod = importlib.import_module(modname)
        names += [f"{modname}.{n}" for n in mod.__all__]
    return names


def test_reference_covers_public_names():
    inv = read_inventory(INV)
    py = {k for k, (role, _) in inv.items() if role.startswith("py:")}
    names = public_names()
    missing = [n for n in names if n not in py]
    coverage = 1 - len(missing) / len(names)
    print(f"API reference: {len(names) - len(missing)}/{len(names)} public names documented ({coverage:.1%})")
    assert coverage >= MIN_COVERAGE, f"{coverage:.1%} documented; missing: {missing}"


def test_main_objects_have_examples():
    """The main classes and functions show an example (numpydoc "Examples" section)."""
    main = ["lifbook.CLIFPopulation", "lifbook.ELIFPopulation", "lifbook.params.CLIFParams",
            "lifbook.params.ELIFParams", "lifbook.record.Record", "lifbook.inputs.step",
            "lifbook.theory.lif_rate", "lifbook.theory.lif_rheobase", "lifbook.theory.eif_rheobase",
            "lifbook.analysis.fi_curve", "lifbook.plot.voltage_trace"]
    inv = read_inventory(INV)
    missing = []
    for name in main:
        role, uri = inv[name]
        page = (SITE / uri.split("#")[0]).read_text(encoding="utf-8")
        anchor = uri.split("#", 1)[1].replace("$", name)
        start = page.index(f'id="{anchor}"')
        # the object's description runs to the next top-level object (or the end of the page)
        nxt = page.find('<dl class="py ', start + 1)
        body = page[start: nxt if nxt > 0 else len(page)]
        if "Examples" not in body:
            missing.append(name)
    assert not missing, f"no Examples section in the reference for {missing}"


def test_chapters_link_to_the_reference():
    """Chapters link library calls to the API reference (href into book/api/)."""
    counts = {}
    for page in sorted((SITE / "book").glob("0*.html")):
        html = page.read_text(encoding="utf-8")
        counts[page.stem] = len(re.findall(r'<a class="reference internal" href="api/[a-z_]+\.html#(?:module-)?lifbook\b', html))
    total = sum(counts.values())
    print(f"links from chapters into the API reference: {total} {counts}")
    assert total >= MIN_CHAPTER_LINKS, counts


def test_reference_pages_in_site():
    for rel in ["book/api/index.html", "book/glossary.html", "book/references.html", "genindex.html",
                "py-modindex.html"]:
        assert (SITE / rel).is_file(), rel
    refs = (SITE / "book" / "references.html").read_text(encoding="utf-8")
    assert refs.count('class="citation"') + refs.count('role="doc-biblioentry"') + refs.count("<dt class=\"label\"") >= 20
