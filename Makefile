# The two commands: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

comma := ,

.PHONY: run test browser pgbouncer wrk lint audit schema bench load faults lock clean

run: $(VENV)/.run-installed
	$(BIN)/jobgraph serve --migrate --demo

test: $(VENV)/.test-installed browser pgbouncer
	$(BIN)/ruff check src tests migrations bench clients
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests migrations bench clients
	$(BIN)/ruff format --check src tests migrations bench clients

# Known vulnerabilities in the pinned dependencies (needs PyPI's JSON API or OSV).
audit: $(VENV)/.test-installed
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --strict --no-deps --disable-pip -r constraints.txt

# `make bench BENCH="--postings 1000000"`: the same at another scale (its own data set).
bench: $(VENV)/.test-installed wrk
	$(BIN)/python -m bench $(BENCH)

# `make load LOAD=--restart-postgres`: PostgreSQL stopped and started again under the load,
# seekers applying meanwhile (bench/load.py).
load: $(VENV)/.test-installed wrk
	$(BIN)/python -m bench.load $(LOAD)

# The faults of docs/operations.md ("When something fails"), each made to happen to the real
# service on this machine (PostgreSQL dropping and refusing connections and restarting under
# load, PgBouncer restarting, Redis stopping, the read replica stopping, a worker killed
# mid-delivery), each test's name saying what held.
faults: $(VENV)/.test-installed pgbouncer
	$(BIN)/pytest -v -rA tests/test_faults.py tests/test_periodic_work.py \
		"tests/test_replicas.py::test_reads_go_to_the_primary_while_the_standby_is_away" \
		"tests/test_pgbouncer.py::test_a_restart_of_pgbouncer_is_a_clean_error_and_serving_goes_on"

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

# Debian packages the tests and the benchmark drive: installed when missing if we are root,
# otherwise named with what to do. $(call debian_tool,command,package,what it is for,hint)
# apt waits for a lock another install holds (a second make test started beside the first).
APT_GET = DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600
define debian_tool
	@command -v $(1) >/dev/null || [ -x /usr/sbin/$(1) ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's $(2) for $(3)..."; \
	    $(APT_GET) install -y -qq $(2) >/dev/null 2>&1 || \
	    { $(APT_GET) update -qq && $(APT_GET) install -y -qq $(2) >/dev/null; }; \
	  else \
	    echo "$(3) needs $(1): install it (Debian: apt-get install $(2))$(4)."; \
	  fi; }
endef

# The console test drives a real Chromium: Debian's package (Playwright downloads none).
browser:
	$(if $(JOBGRAPH_CHROMIUM),,$(call debian_tool,chromium,chromium,the console's browser test,$(comma) or set JOBGRAPH_CHROMIUM=/path/to/chromium))

# The pooler test runs Debian's PgBouncer in transaction mode (skipped without it).
pgbouncer:
	$(call debian_tool,pgbouncer,pgbouncer,the PgBouncer test,)

# The benchmark's load generator: Debian's wrk (C), so the client is not the bottleneck;
# without it the benchmark falls back to its Python client and says so.
wrk:
	$(call debian_tool,wrk,wrk,the benchmark,)

clean:
	-[ -x $(BIN)/jobgraph ] && $(BIN)/jobgraph db clean
	rm -rf $(VENV) .data
