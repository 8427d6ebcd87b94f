# lifbook: the commands a fresh machine needs. Each target sets up .venv by itself.
#   make test   set up and run every test (library, notebooks with nbval, browser)
#   make demo   simulate both populations and write their voltage and raster plots to demo/
#   make bench  print neuron-updates/s figures (see bench/)
#   make book   build the book into _build/html (strict, offline; see mk/book.mk)
#   make lab    open the chapters in JupyterLab (MyST rendered, live explorers), on 127.0.0.1
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# Re-install when the dependency list or the pins change.
STAMP := $(VENV)/.installed

.PHONY: book test demo bench lab venv clean

# Builds and tests are not interactive: no progress line or compile notice in executed chapters
# (they would differ from run to run and from the stored outputs). `make lab` keeps them.
book book-outputs test: export LIFBOOK_PROGRESS = 0

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e ".[all]"
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile

demo: $(STAMP)
	$(PY) -m lifbook.demo demo

bench: $(STAMP)
	$(PY) bench/bench_lifbook.py --quick
	$(PY) bench/bench_widgets.py

# JupyterLab on book/, reachable from this machine only, with a token (the URL with the token is
# printed, and opened in a browser where there is one). LAB_ARGS adds options, e.g. --no-browser.
# As root (a container), Jupyter refuses to start without --allow-root.
LAB_ARGS ?=
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=book \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

clean:
	rm -rf $(VENV) _build demo node_modules

-include mk/book.mk
