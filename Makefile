# Sen CRM — the two commands of the README, and the tools around them.
# The virtualenv is .venv; every target installs what it needs from this repository's own files.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: up test lint format migrations-check messages reset-local-db system-deps clean bench bench-quick

# (Re)install when pyproject.toml changes; creates the virtualenv on a fresh machine.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## make up: install, migrate, load the demo company once, serve on http://127.0.0.1:$${PORT:-8000}
up: $(STAMP)
	$(BIN)/sencrm up

## make test: lint, migrations check, then every test (unit, API, browser) on the database
## DATABASE_URL names (SQLite by default). --create-db: a test database left by an older checkout
## (pytest's default here is --reuse-db) must not hide a migration problem.
test: $(TEST_STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/sencrm makemigrations --check --dry-run
	$(BIN)/pytest --create-db $(PYTEST_ARGS)

## Debian packages the tests need: Chromium for the browser tests (Playwright drives it; browser
## downloads do not work here), gettext to check the Vietnamese catalogue is complete, and wrk,
## the HTTP load generator of the benchmark.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

## make bench: the benchmark of docs/BENCHMARKS.md at full size (1,000,000 contacts…) on SQLite and
## PostgreSQL ($$BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres). The first run
## builds and caches the data sets (in $$SENCRM_DATA_DIR/bench: tens of minutes); every run then serves a
## fresh copy like `make up`, measures it with wrk and writes the figures into docs/BENCHMARKS.md.
BENCH_ENGINE ?= both
bench: $(STAMP) system-deps
	$(BIN)/sencrm bench run --size full --engine $(BENCH_ENGINE) $(BENCH_ARGS)

## make bench-quick: the CI smoke run on the small data set: fails on an HTTP error or a scenario
## running more SQL queries than sencrm/bench/budgets.json allows (never on timings).
bench-quick: $(STAMP) system-deps
	$(BIN)/sencrm bench run --quick --engine $(BENCH_ENGINE) $(BENCH_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(STAMP)
	$(BIN)/sencrm makemigrations --check --dry-run

## Re-extract and compile the translations (needs gettext's xgettext and msgfmt).
## English is the source language; the Vietnamese catalogue must cover every message (a test checks).
MAKEMESSAGES_FLAGS := -l vi --no-location --no-obsolete -i "tests_browser/*" -i "*/tests/*"
messages: $(STAMP)
	cd sencrm && ../$(BIN)/sencrm makemessages $(MAKEMESSAGES_FLAGS) && ../$(BIN)/sencrm compilemessages -l vi

## Empty the database DATABASE_URL names (SQLite in $$SENCRM_DATA_DIR, ./var by default), reload the demo.
reset-local-db: $(STAMP)
	$(BIN)/sencrm migrate --noinput
	$(BIN)/sencrm flush --noinput
	$(BIN)/sencrm demo

## Remove the virtualenv and the default data dir (database, uploads, collected static files).
clean:
	rm -rf $(VENV) var
