# 青亲筹 — the two commands people need are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MO := marketplace/translations/en/LC_MESSAGES/messages.mo
export FLASK_APP := marketplace
HOST ?= 127.0.0.1
PORT ?= 5000
# pytest-xdist workers; each has its own database (SQLite file, or PostgreSQL database "<name>_gwN").
TEST_WORKERS ?= 2
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PG_TEST_DB ?= qqc_test_$(shell date +%s)_$$$$

.PHONY: install run serve screenshots test test-sqlite test-pg test-browser browser-deps lint format migrate-check demo clean translations

install: $(STAMP) $(MO)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(MO): marketplace/translations/en/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d marketplace/translations

## Re-extracts every message (templates and marketplace/, never .venv) and merges it into the .po files
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k Msg -k _l -k lazy_gettext --project=青亲筹 \
	  --ignore-dirs='.* _* instance search_index static migrations tests bench' \
	  -w 110 -o marketplace/translations/messages.pot . && \
	$(BIN)/pybabel update -w 110 -i marketplace/translations/messages.pot -d marketplace/translations

## Installs everything, builds the SQLite database, loads demo data and serves http://127.0.0.1:5000
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	$(BIN)/flask search reindex
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## Production-style: gunicorn (deploy/gunicorn.conf.py) on MARKETPLACE_DATABASE_URL, with Redis at
## MARKETPLACE_REDIS_URL; run `flask search watch` and the jobs beside it (see deploy/ and the README)
serve: install
	@test -n "$${MARKETPLACE_DATABASE_URL:-}" || echo "note: MARKETPLACE_DATABASE_URL is not set, serving the SQLite database in instance/"
	@test -n "$${MARKETPLACE_REDIS_URL:-}" || echo "note: MARKETPLACE_REDIS_URL is not set, each worker keeps its own rate limits"
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py 'marketplace:create_app()'

## Re-takes the README's screenshots (docs/screenshots/) by running the three browser journeys
screenshots: install browser-deps
	MARKETPLACE_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -p no:cacheprovider \
	  tests/browser/test_role_journey_organization.py tests/browser/test_role_journey_company.py \
	  tests/browser/test_role_journey_staff.py

demo: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	$(BIN)/flask search reindex

## Installs everything (Python packages, Chromium and CJK fonts) and runs every test on SQLite
test: install browser-deps lint
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

test-sqlite: install lint
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) -m "not browser"

## The same suite against a freshly created PostgreSQL database (dropped afterwards)
test-pg: install
	@set -euo pipefail; db="$(PG_TEST_DB)"; \
	$(BIN)/python -m tests.pgdb create "$(PG_ADMIN_URL)" "$$db"; \
	trap '$(BIN)/python -m tests.pgdb drop "$(PG_ADMIN_URL)" "$$db"' EXIT; \
	MARKETPLACE_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$$db" \
	  $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS)

## Browser tests only (headless Debian Chromium driven by Playwright), on PostgreSQL
test-browser: install browser-deps
	$(MAKE) test-pg PYTEST_ARGS="-m browser"

browser-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  echo "Installing Debian's chromium and CJK fonts for the browser tests"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	fi

lint: install
	$(BIN)/ruff check marketplace tests bench
	$(BIN)/ruff format --check marketplace tests bench

format: install
	$(BIN)/ruff check --fix marketplace tests bench
	$(BIN)/ruff format marketplace tests bench

clean:
	rm -rf $(VENV) instance/marketplace.db instance/uploads search_index/*
