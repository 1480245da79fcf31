# Strongroom — quick start: `make run` serves on http://127.0.0.1:4566, `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= ./data
PORT   ?= 4566
PIP    := $(BIN)/python -m pip

.PHONY: run test lint typecheck pytest system-deps clean install install-test bench screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# The Debian packages the server itself needs at run time (libmodsecurity3: the WAF's libinjection).
$(VENV)/.installed: $(BIN)/python pyproject.toml
	@scripts/system-deps.sh --runtime
	$(PIP) install -q -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install -q -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	@test -f $(DATA)/root.key || $(BIN)/strongroom init --data-dir $(DATA)
	$(BIN)/strongroom server --data-dir $(DATA) --port $(PORT)

system-deps:
	@scripts/system-deps.sh

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

typecheck: install-test
	$(BIN)/mypy

# Two pytest processes, whole files to each (--dist loadfile: a file's module fixtures and its share of the session
# servers stay in one process); each starts its own servers, PostgreSQL, SoftHSM token and Pebble on free ports.
PYTEST_WORKERS ?= 2
pytest: install-test system-deps
	$(BIN)/python -m pytest -q --durations=15 -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck pytest

# The console's screenshots in docs/console/ (docs/console.md), retaken by its browser test.
screenshots: install-test
	STRONGROOM_CONSOLE_SCREENSHOTS=1 STRONGROOM_TEST_BACKENDS=sqlite $(BIN)/python -m pytest -q tests/e2e/test_console_browser.py tests/e2e/test_console_editors.py tests/e2e/test_console_findings.py tests/e2e/test_console_firefox.py tests/e2e/test_console_more.py

# Strongroom vs moto_server vs the bare server stack, then memory; rewrites the table in docs/benchmarks.md.
# The PostgreSQL section (bench/postgres.py) starts its own PostgreSQL from system-deps' Debian package.
# wrk (Debian) is the load generator when it can be installed; otherwise bench/ falls back to its asyncio one.
# The WAF section installs its peer (apache2, libapache2-mod-security2, modsecurity-crs) when run as root, and reads
# the OWASP CRS 3.3.4 regression corpus from CRS_CORPUS=DIR (or $$STRONGROOM_CRS_CORPUS; it lives outside the repo).
# The GuardDuty section (bench/guardduty.py) replays Stratus Red Team's detonation logs from $$STRONGROOM_STRATUS_CORPUS
# and Panther's CloudTrail test events from $$STRONGROOM_PANTHER_CORPUS (outside the repo too; skipped when unset),
# then the live detector at the server's peak request rate (bench/guardduty_live.py; --guardduty-live-seconds 0 skips).
# The Inspector section (bench/inspector.py) reads the whole PyPA advisory database from $$STRONGROOM_PYPA_DB (a
# checkout of pypa/advisory-database; the tests' subset when unset).
bench: install-test system-deps
	$(PIP) install -q -e '.[test,bench]'
	@command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python -m bench.run --out docs/benchmarks.md $(if $(CRS_CORPUS),--crs-corpus $(CRS_CORPUS))

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
