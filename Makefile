# Sen CRM — the two commands of the README, and the tools around them.
# The virtualenv is .venv; every target installs what it needs from this repository's own files.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: up test lint format migrations-check messages bench reset-local-db chromium clean

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

## make test: every test (unit, API, browser) on the database DATABASE_URL names (SQLite by default)
test: $(TEST_STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/sencrm makemigrations --check --dry-run
	$(BIN)/pytest

## Debian's Chromium for the browser tests (Playwright drives it; browser downloads do not work here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(STAMP)
	$(BIN)/sencrm makemigrations --check --dry-run

## Re-extract and compile the translations (needs gettext's xgettext and msgfmt).
messages: $(STAMP)
	cd sencrm && ../$(BIN)/sencrm makemessages -l vi -l en --no-location --no-obsolete && ../$(BIN)/sencrm compilemessages

reset-local-db: $(STAMP)
	rm -f var/sencrm.sqlite3 var/sencrm.sqlite3-wal var/sencrm.sqlite3-shm
	$(BIN)/sencrm migrate --noinput
	$(BIN)/sencrm demo

clean:
	rm -rf $(VENV) var
