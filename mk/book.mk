# The book: `make book` builds _build/html strictly and offline.
# Included by the top-level Makefile (which defines VENV, PY and STAMP).
#
#   make book          set up .venv and node_modules, execute every chapter,
#                      build _build/html; fails on any warning, broken
#                      reference or failing cell (execute.raise_on_error)
#   make book-outputs  re-execute book/*.ipynb in place, storing the outputs
#                      that nbval (tests/book) compares against
#
# JavaScript (MathJax, the ipywidgets embed manager) comes from npm, pinned
# by package-lock.json, and is copied into _build/html/_static/_vendor by
# book/_ext/lifbook_assets.py: the built site loads nothing from a CDN.

NPM ?= npm
JUPYTER_BOOK := $(VENV)/bin/jupyter-book
# `npm ci` writes node_modules/.package-lock.json; our stamp sits next to it.
NODE_STAMP := node_modules/.lifbook-installed

$(NODE_STAMP): package.json package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# --all (a fresh Sphinx environment): every chapter is executed on every
# build, so a change in lifbook/ can never leave a stale page, and warnings
# from pages built earlier cannot hide behind an incremental build.
book: $(STAMP) $(NODE_STAMP)
	$(JUPYTER_BOOK) build . --builder html --all -W -n --keep-going

# Re-run the chapters in place and store their outputs, which nbval
# (tests/book) compares against. Run after editing a chapter or the library.
.PHONY: book-outputs
book-outputs: $(STAMP)
	$(PY) book/_tools/store_outputs.py book/*.ipynb
