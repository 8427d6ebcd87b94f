"""Where numba caches lifbook's compiled kernels: the user's cache directory, not site-packages.

numba's default for ``cache=True`` is a ``__pycache__`` next to the source file, which for an
installed lifbook is inside site-packages (shared by every user of that environment, and often
read-only). lifbook instead caches its kernels in

* ``$NUMBA_CACHE_DIR`` when it is set (numba's own setting, respected as numba does);
* else the user's cache directory: ``$XDG_CACHE_HOME/lifbook/numba`` (default
  ``~/.cache/lifbook/numba``) on Linux and other POSIX systems, ``~/Library/Caches/lifbook/numba``
  on macOS, ``%LOCALAPPDATA%\\lifbook\\Cache\\numba`` on Windows.

It does so with a numba cache locator that claims only functions defined in lifbook's own files
(:func:`install`, called by :mod:`lifbook.engine.kernels` right after it imports numba and before
it compiles anything), so other numba code in the same process keeps numba's defaults and no
environment variable is changed. If that directory cannot be written, numba's own choices apply
(and without any writable place the kernels are compiled in memory each session).
:func:`lifbook.engine.info` reports the directory (``info()["numba"]["cache_dir"]``) and where a
compiled kernel actually lives (``["cache"]``).

This module imports numba only inside :func:`install`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["user_cache_dir", "cache_dir", "install"]

_PACKAGE = Path(__file__).resolve().parent.parent  # the lifbook package directory
_installed: list = []  # the locator class, once registered


def user_cache_dir() -> Path:
    """The user's cache directory for lifbook's numba kernels (whether or not it exists yet)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData", "Local")
        return Path(base) / "lifbook" / "Cache" / "numba"
    if sys.platform == "darwin":
        return Path(os.path.expanduser("~")) / "Library" / "Caches" / "lifbook" / "numba"
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not base or not os.path.isabs(base):  # the XDG spec: a relative path is invalid, ignore it
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lifbook" / "numba"


def cache_dir() -> Path:
    """Where lifbook's kernels are cached: ``$NUMBA_CACHE_DIR`` if set, else :func:`user_cache_dir`.

    Once numba is imported its configuration counts (numba reads ``NUMBA_CACHE_DIR`` at import).
    """
    numba = sys.modules.get("numba")
    if numba is not None:
        configured = getattr(getattr(numba, "config", None), "CACHE_DIR", "")
    else:
        configured = os.environ.get("NUMBA_CACHE_DIR", "")
    return Path(configured) if configured else user_cache_dir()


def _is_lifbook_file(py_file: str) -> bool:
    try:
        return Path(py_file).resolve().is_relative_to(_PACKAGE)
    except (OSError, ValueError):  # pragma: no cover - odd paths
        return False


def _numba_class(caching, name: str):
    """A class of numba's caching module by its current name or its older one (a leading ``_``)."""
    cls = getattr(caching, name, None) or getattr(caching, "_" + name, None)
    if cls is None:
        raise AttributeError(f"numba.core.caching has no {name} (nor _{name})")
    return cls


def _impl_class(caching):
    """numba's ``CacheImpl`` (``_CacheImpl`` in some versions)."""
    return _numba_class(caching, "CacheImpl")


#: Why :func:`install` could not register the locator (then numba's defaults apply), else ``None``.
install_error: str | None = None


def install():
    """Register lifbook's cache locator with numba (once; imports numba). Returns its class.

    The locator comes right after numba's ``UserProvidedCacheLocator`` (``NUMBA_CACHE_DIR``) and
    before the one that writes next to the source file, and declines every function not defined
    in a file of the lifbook package. With a numba whose caching internals differ (they are not
    public API) it returns ``None``, sets :data:`install_error` and leaves numba's defaults.
    """
    global install_error
    try:
        from numba.core import caching

        if _installed:
            cls = _installed[0]
        else:
            cls = _make_locator(caching)
            _installed.append(cls)
        classes = _impl_class(caching)._locator_classes
        if cls not in classes:
            user = _numba_class(caching, "UserProvidedCacheLocator")
            after = [i + 1 for i, c in enumerate(classes) if c is user]
            classes.insert(after[0] if after else 0, cls)
    except Exception as exc:  # numba's caching internals changed: keep its defaults
        install_error = f"{type(exc).__name__}: {exc}"
        return None
    install_error = None
    return cls


def _make_locator(caching):
    class LifbookCacheLocator(_numba_class(caching, "SourceFileBackedLocatorMixin"),
                              _numba_class(caching, "CacheLocator")):
        """Caches functions of lifbook's files in :func:`user_cache_dir`."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = str(user_cache_dir() / self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            if not _is_lifbook_file(py_file):
                return None
            return super().from_function(py_func, py_file)

    return LifbookCacheLocator
