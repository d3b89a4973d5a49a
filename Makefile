# Set-up and checks for the cross-entropy course. Needs only Python 3 (3.10 to 3.13).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install only when the requirements or the package metadata change.
STAMP  := $(VENV)/.installed
export PYTHONHASHSEED := 0
# Each part of the checks says what it cost when it ends (wall and CPU time, tools/timed.py);
# `make test` lists them all at the end.
TIMED  := $(BIN)/python tools/timed.py

.PHONY: help install lab test checks lint unit doctest nbval browser browser-jupyterlab browser-site-pages browser-site-widgets classroom notebooks html bench clean

help:
	@echo "make lab    - install (once) and open JupyterLab at the first lesson"
	@echo "make test   - install (once) and run every check: ruff, pytest, doctests, nbval,"
	@echo "              every lesson in JupyterLab in headless Chromium (when installed),"
	@echo "              and a class: a JupyterHub with the nbgitpuller link, graded by nbgrader"
	@echo "make html   - build the static course site in site/ (open site/index.html) and check it"
	@echo "make bench  - speed and memory benchmarks against PyTorch"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

install: $(STAMP)

# JupyterLab on localhost only, with Jupyter's token on (its default), rooted at notebooks/.
# The link it prints (and the browser it opens) goes to lesson 00, not the Launcher; the
# settings in jupyter_config/ (no news pop-up, no update check) apply to this JupyterLab only,
# as defaults under the user's own. As root (a container), Jupyter wants --allow-root.
# LAB_ARGS passes more options (the browser test adds --no-browser and a port).
LAB_FIRST := /lab/tree/00_welcome.ipynb
lab: $(STAMP)
	cd notebooks && \
	JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter_config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	../$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --LabApp.default_url=$(LAB_FIRST) \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

lint: $(STAMP)
	@$(TIMED) lint -- $(BIN)/ruff check .

# pytest-xdist: one worker per core (two here); a notebook's cells stay on one worker, in order.
XDIST := -n auto

unit: $(STAMP)
	@$(TIMED) unit -- $(BIN)/python -m pytest $(XDIST) tests --ignore=tests/browser --ignore=tests/classroom

doctest: $(STAMP)
	@$(TIMED) doctest -- $(BIN)/python -m pytest --doctest-modules xent_lessons

# NBVAL_PATHS: which notebooks (default: all, learner and solution versions).
NBVAL_PATHS ?= notebooks
nbval: $(STAMP)
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then \
		$(TIMED) nbval -- $(BIN)/python -m pytest $(XDIST) --dist loadfile --nbval $(NBVAL_PATHS) \
			--nbval-sanitize-with tests/nbval_sanitize.cfg; \
	else echo "nbval: no notebooks yet"; fi

# Regenerate the learner notebooks from the solution notebooks and save both after
# Restart & Run All. NB=03_softmax limits it to one lesson.
notebooks: $(STAMP)
	$(BIN)/python tools/make_notebooks.py $(NB)

# Every lesson run in JupyterLab in headless Chromium (Debian's; CHROMIUM=/path for another),
# its widgets moved, and the static site's pages checked. Screenshots go to screenshots/.
# Three pytest runs side by side (tests/browser/conftest.py): JupyterLab, the site's pages and
# its widgets (one site build, shared).
HAVE_CHROMIUM := $(shell { [ -x "$${CHROMIUM:-/usr/bin/chromium}" ] || command -v chromium; } >/dev/null 2>&1 && echo yes)
BROWSER_LANES := browser-jupyterlab browser-site-pages browser-site-widgets
# XENT_SHARED_SITE: the folder (new each run) where the site lanes share one site build.
SHARED_SITE := shared=$$(mktemp -d); trap 'rm -rf "$$shared"' EXIT; export XENT_SHARED_SITE=$$shared
browser: $(STAMP)
ifeq ($(HAVE_CHROMIUM),yes)
	@$(SHARED_SITE); $(MAKE) --no-print-directory -j3 --output-sync=target $(BROWSER_LANES)
else
	@echo "browser test SKIPPED: Chromium not found (apt-get install -y chromium, or set CHROMIUM=/path/to/chromium)"
endif

browser-jupyterlab: $(STAMP)
	@$(TIMED) browser-jupyterlab -- $(BIN)/python -m pytest tests/browser -m jupyterlab_lane
browser-site-pages: $(STAMP)
	@$(TIMED) browser-site-pages -- $(BIN)/python -m pytest tests/browser -m site_lane \
		--ignore=tests/browser/test_site_widgets.py
browser-site-widgets: $(STAMP)
	@$(TIMED) browser-site-widgets -- $(BIN)/python -m pytest tests/browser/test_site_widgets.py

# The static course site (Sphinx, myst-nb, sphinx-book-theme; source in book/): every notebook,
# learner and solution version, as saved; MathJax from npm (npm ci, the first time), served by
# the site. Then each page is checked in Chromium with no network.
html: $(STAMP)
	$(BIN)/python tools/build_site.py

# A class (tests/classroom/, TEACHING.md): every lesson graded by nbgrader (a right answer, a
# stub and a typical mistake in one submission; three learners for two lessons);
# a JupyterHub on 127.0.0.1 where two learners log in, pull the course with the nbgitpuller
# link, run lesson 00 in Chromium and merge a course update; the Kubernetes values checked.
# The hub's proxy is configurable-http-proxy from npm (pinned in tests/classroom/
# package-lock.json), installed here with `npm ci` when npm is there; without it, or without
# Chromium, the hub test says SKIPPED in one line.
CLASSROOM_NPM := tests/classroom/node_modules/.package-lock.json
classroom: $(STAMP)
	@if [ ! -f $(CLASSROOM_NPM) ] || [ tests/classroom/package-lock.json -nt $(CLASSROOM_NPM) ]; then \
		if command -v npm >/dev/null 2>&1; then \
			npm ci --prefix tests/classroom --no-audit --no-fund --loglevel=error \
				|| echo "npm ci failed: the JupyterHub test will be SKIPPED"; \
		fi; \
	fi
	@$(TIMED) classroom -- $(BIN)/python -m pytest tests/classroom -rs

# Five lanes side by side, each one's output printed when it ends: the checks (ruff, pytest,
# the doctests, nbval: one after the other, each on both cores), the browser tests'
# three (JupyterLab; the static site's pages; its widgets, on the same site) and the class.
# The browser and class tests wait on servers, browsers and kernels much of the time, and the
# other lanes use that time.
# XENT_LANE_TIMES: where each part's time line goes, printed as one table at the end.
test: $(STAMP)
	@$(SHARED_SITE); export XENT_LANE_TIMES=$$shared/times; started=$$(date +%s); \
	$(MAKE) --no-print-directory -j5 --output-sync=target checks \
		$(if $(HAVE_CHROMIUM),$(BROWSER_LANES),browser) classroom; status=$$?; \
	echo "make test: each part's wall and CPU time (user + sys, its processes included)"; \
	cat "$$XENT_LANE_TIMES" 2>/dev/null; \
	echo "make test: $$(( $$(date +%s) - started )) s in all"; exit $$status

# With Chromium, the browser test runs every learner notebook in JupyterLab and checks what
# JupyterLab saves after the run byte for byte against the committed file (every output of
# every cell, stricter than nbval's sanitised comparison), so nbval runs the solution
# notebooks only: a learner notebook is not executed twice for the same check. Without
# Chromium, nbval runs them all.
checks: $(STAMP)
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory doctest
	@$(MAKE) --no-print-directory nbval $(if $(HAVE_CHROMIUM),NBVAL_PATHS=notebooks/solutions)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) site build book/node_modules
