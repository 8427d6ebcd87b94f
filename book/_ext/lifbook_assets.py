"""Serve the book's JavaScript from the site itself: no CDN, works offline.

Jupyter Book's defaults load MathJax, require.js and the ipywidgets embed
manager from CDNs; offline, math stays raw TeX and widgets vanish.  This
extension copies the npm packages that ``npm ci`` installed from the
committed package-lock.json (``mathjax``, ``@jupyter-widgets/html-manager``)
into ``<outdir>/_static/_vendor/`` when the HTML builder starts, and
_config.yml points ``mathjax_path`` and myst-nb's ``nb_ipywidgets_js``
there (Sphinx resolves a relative script path against the site's
``_static/``).

It also refuses to build when either setting points off the site, so a
change that would bring a CDN back fails loudly instead of silently.
(The files are copied into the *built* _static only: Jupyter Book adds
every .js of a *source* _static folder to every page.)
"""

from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ConfigError, ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR_DIR = "_vendor"

HERE = Path(__file__).resolve().parent

# destination under _static/_vendor/ -> (source folder, files to copy).
# A source starting with "node_modules/" is an npm package (package-lock.json).
VENDOR = {
    "mathjax": (
        "node_modules/mathjax",
        [
            "LICENSE",
            "package.json",
            "es5/tex-chtml.js",
            "es5/input/tex/extensions/*",  # \require and autoloaded TeX packages
            "es5/output/chtml/fonts/woff-v2/*",
            "es5/ui/*",  # context menu, lazy typesetting
            "es5/a11y/*",  # accessibility explorer (menu option)
            "es5/sre/*",  # speech rule engine and its maps, used by the explorer
        ],
    ),
    "html-manager": (
        "node_modules/@jupyter-widgets/html-manager",
        [
            "LICENSE",
            "package.json",
            "dist/embed.js",
            "dist/embed.js.LICENSE.txt",
            # Font Awesome, loaded by embed.js from next to itself; browsers
            # only fetch the first format they support (woff2).
            "dist/*.woff2",
            "dist/*.woff",
            "dist/*.ttf",
        ],
    ),
    # Our own glue, not from npm.
    "lifbook": (str(HERE / "js"), ["*.js"]),
}


def _is_remote(url: str) -> bool:
    return "://" in url or url.startswith("//")


def check_local_urls(app: Sphinx, config) -> None:
    remote = [u for u in [config.mathjax_path, *getattr(config, "nb_ipywidgets_js", {})] if _is_remote(u)]
    if remote:
        raise ConfigError(
            "lifbook builds offline: these scripts point off the site "
            f"(set them to {VENDOR_DIR}/..., relative to _static, in _config.yml): {remote}"
        )


def _strip_prefix(rel: str) -> str:
    """es5/tex-chtml.js -> tex-chtml.js, dist/embed.js -> embed.js."""
    for prefix in ("es5/", "dist/"):
        if rel.startswith(prefix):
            return rel[len(prefix) :]
    return rel


def _sources(confdir: Path):
    for dest, (source, patterns) in VENDOR.items():
        src_root = confdir / source
        if source.startswith("node_modules/") and not (src_root / "package.json").is_file():
            raise ExtensionError(
                f"{src_root} is missing: run `npm ci` in {confdir} "
                "(`make book` does) to install the book's JavaScript from package-lock.json"
            )
        for path in sorted(src_root.rglob("*")):
            rel = path.relative_to(src_root).as_posix()
            if path.is_file() and any(fnmatch.fnmatchcase(rel, pat) for pat in patterns):
                yield path, Path(dest) / _strip_prefix(rel)


def copy_vendor(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    outdir = static / VENDOR_DIR
    copied = 0
    for path, rel in _sources(Path(app.confdir)):
        target = outdir / rel
        src_stat = path.stat()
        if target.is_file():
            dst_stat = target.stat()
            if dst_stat.st_size == src_stat.st_size and dst_stat.st_mtime >= src_stat.st_mtime:
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied += 1
    logger.info(f"lifbook_assets: {copied} vendored files copied to {outdir}")

    # Every script that the pages will load from _vendor/ must now exist.
    wanted = [app.config.mathjax_path, *getattr(app.config, "nb_ipywidgets_js", {})]
    missing = [u for u in wanted if not (static / u.split("?")[0]).is_file()]
    if missing:
        raise ExtensionError(f"lifbook_assets: configured scripts not found in the site: {missing}")


def dedupe_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Drop repeated <script> entries from a page.

    Sphinx 7.4 adds an inline script registered after the builder started
    (sphinx-thebe's `const THEBE_JS_URL = ...`) twice, once as filename None
    and once as "", so every page threw "Identifier 'THEBE_JS_URL' has
    already been declared".
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for js in scripts:
        attrs = getattr(js, "attributes", {})
        key = (getattr(js, "filename", js) or "", tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app: Sphinx):
    app.connect("config-inited", check_local_urls, priority=900)
    # builder-inited: before pages are written, so Sphinx can add ?v=checksum.
    app.connect("builder-inited", copy_vendor)
    app.connect("html-page-context", dedupe_scripts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
