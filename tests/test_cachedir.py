"""The numba kernel cache: in the user's cache directory (or NUMBA_CACHE_DIR), never next to the package."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lifbook.engine import cachedir

pytest.importorskip("numba")

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG layout (Linux and other POSIX systems)")
def test_user_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cachedir.user_cache_dir() == tmp_path / "lifbook" / "numba"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # invalid by the XDG spec: ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cachedir.user_cache_dir() == tmp_path / "home" / ".cache" / "lifbook" / "numba"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cachedir.user_cache_dir() == tmp_path / "home" / ".cache" / "lifbook" / "numba"


def test_locator_claims_only_lifbook_files_and_sits_after_numba_cache_dir(monkeypatch, tmp_path):
    from numba.core import caching

    from lifbook.engine import kernels

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    cls = cachedir.install()
    assert cachedir.install() is cls  # idempotent
    classes = cachedir._impl_class(caching)._locator_classes
    assert classes.count(cls) == 1
    user, in_tree = (cachedir._numba_class(caching, n) for n in ("UserProvidedCacheLocator", "InTreeCacheLocator"))
    assert classes.index(user) < classes.index(cls) < classes.index(in_tree)

    def f(x):
        return x

    assert cls.from_function(f, __file__) is None  # a test file: numba's defaults apply
    loc = cls.from_function(kernels.step_kernel.__wrapped__, kernels.__file__)
    assert loc is not None and Path(loc.get_cache_path()).parent == tmp_path / "lifbook" / "numba"


def test_kernels_are_cached_in_the_user_cache_dir_and_info_says_so(tmp_path):
    pycache = ROOT / "lifbook" / "engine" / "__pycache__"
    before = set(pycache.glob("*.nb[ic]")) if pycache.is_dir() else set()
    code = ("import json; from lifbook import CLIFPopulation, engine; "
            "m = CLIFPopulation(n=1, engine='numba'); c = m.run(3.0, steps=100).spike_counts(); "
            "print(json.dumps({'info': engine.info()['numba'], 'spikes': int(c.sum())}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=_env(XDG_CACHE_HOME=str(tmp_path)), cwd=tmp_path).stdout
    res = json.loads(out.splitlines()[-1])
    where = tmp_path / "lifbook" / "numba"
    assert res["spikes"] >= 1
    assert res["info"]["cache_dir"] == str(where)
    assert Path(res["info"]["cache"]).parent == where
    assert list(where.glob("*/kernels.run_kernel.*.nbi")) and list(where.glob("*/kernels.run_kernel.*.nbc"))
    after = set(pycache.glob("*.nb[ic]")) if pycache.is_dir() else set()
    assert after == before  # nothing written next to the package


def test_numba_cache_dir_is_respected(tmp_path):
    code = "import json; from lifbook import engine; print(json.dumps(engine.info()['numba']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=_env(NUMBA_CACHE_DIR=str(tmp_path / "nb"), XDG_CACHE_HOME=str(tmp_path / "xdg")),
                         cwd=tmp_path).stdout
    info = json.loads(out.splitlines()[-1])
    assert info["cache_dir"] == str(tmp_path / "nb")
    assert Path(info["cache"]).parent == tmp_path / "nb"
    assert not (tmp_path / "xdg" / "lifbook").exists()


def test_a_numba_without_the_expected_internals_keeps_its_defaults(monkeypatch):
    from numba.core import caching

    from lifbook import engine

    impl = cachedir._impl_class(caching)
    monkeypatch.setattr(impl, "_locator_classes", list(impl._locator_classes))
    monkeypatch.setattr(cachedir, "_installed", [])
    for name in ("SourceFileBackedLocatorMixin", "_SourceFileBackedLocatorMixin"):
        if hasattr(caching, name):
            monkeypatch.delattr(caching, name)
    try:
        assert cachedir.install() is None
        assert "SourceFileBackedLocatorMixin" in cachedir.install_error
        assert engine.info()["numba"]["cache_dir"].startswith("numba's default (AttributeError")
    finally:
        monkeypatch.undo()
        cachedir.install()
    assert cachedir.install_error is None
