"""Execute chapters in place and store their outputs (what nbval compares against).

    .venv/bin/python book/_tools/store_outputs.py book/01-welcome.ipynb [...]
    make book-outputs            # every book/*.ipynb

Runs each notebook top to bottom with the python3 kernel of the Python that
runs this script (the project's .venv), with book/ as the working
directory, as the book build and nbval do. Widget state is *not* stored in
the .ipynb (the build re-executes and stores it in the HTML; nbval ignores
widget views), nor are per-cell timings, so re-running gives small diffs.
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def store(path: Path, timeout: int = 600) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
        record_timing=False,
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    print(f"stored outputs: {path}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for arg in sys.argv[1:]:
        store(Path(arg))
