# The two commands: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test browser wrk lint audit schema bench load lock clean

run: $(VENV)/.run-installed
	$(BIN)/jobgraph serve --migrate --demo

test: $(VENV)/.test-installed browser
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench

# Known vulnerabilities in the pinned dependencies (needs PyPI's JSON API or OSV).
audit: $(VENV)/.test-installed
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --strict --no-deps --disable-pip -r constraints.txt

bench: $(VENV)/.test-installed wrk
	$(BIN)/python -m bench

load: $(VENV)/.test-installed
	$(BIN)/python -m bench.load

schema: $(VENV)/.run-installed
	$(BIN)/jobgraph export-schema

# Pins every dependency (constraints.txt) from what a fresh resolve installs today.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet -e '.[test]'
	.venv-lock/bin/pip freeze --exclude-editable > constraints.txt
	rm -rf .venv-lock

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "jobgraph needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"; exit 1; }
	@echo "Creating the virtual environment $(VENV)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	touch $@

$(VENV)/.run-installed: $(VENV)/.python-ok pyproject.toml constraints.txt
	@echo "Installing jobgraph and its dependencies into $(VENV) (about a minute the first time)..."
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.python-ok pyproject.toml constraints.txt
	@echo "Installing jobgraph, its dependencies and the test tools into $(VENV) (about a minute the first time)..."
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@ $(VENV)/.run-installed

# The console test drives a real Chromium: Debian's package (Playwright downloads none).
browser:
	@command -v chromium >/dev/null || [ -n "$$JOBGRAPH_CHROMIUM" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the console's browser test..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; \
	  else \
	    echo "The console test needs Chromium: install it (Debian: apt-get install chromium)"; \
	    echo "or set JOBGRAPH_CHROMIUM=/path/to/chromium."; \
	  fi; }

# The benchmark's load generator: Debian's wrk (C), so the client is not the bottleneck.
wrk:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's wrk for the benchmark..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }; \
	  else \
	    echo "The benchmark measures best with wrk (Debian: apt-get install wrk);"; \
	    echo "without it, it falls back to its Python client and says so."; \
	  fi; }

clean:
	-[ -x $(BIN)/jobgraph ] && $(BIN)/jobgraph db clean
	rm -rf $(VENV) .data
