# BOB: set-up commands. Needs only python3 (with venv and pip) on the machine.
#
#   make run            fresh machine -> portal with demo data on http://127.0.0.1:5000 (data in ./instance),
#                       and `portal worker` beside it (search index, alerts); Ctrl-C stops both
#   make test           the whole suite on SQLite (browser tests skip, saying why, without /usr/bin/chromium)
#   make test PYTEST_ARGS='-x -k login'       extra pytest arguments
#   make test-postgres  the suite on the PostgreSQL named by PORTAL_TEST_DATABASE_URL (.ci/start-postgres makes one)
#   make lint           ruff, import-linter layer contracts, mypy, models vs migrations
#   make clean          build and cache files (make distclean also removes .venv)
#
# pip runs again only when pyproject.toml changes (stamp files in .venv).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: help run test test-postgres lint wheel-smoke ci clean distclean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "BOB needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Run: make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "Could not create $(VENV). On Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/portal db upgrade
	$(BIN)/portal demo
	$(BIN)/portal search update
	@# The worker runs beside the server (search index and alerts on short demo intervals; no syncs:
	@# the demo has no upstream); Ctrl-C or TERM stops both, the worker after its current job.
	PORTAL_WORKER_SYNC_INTERVAL=$${PORTAL_WORKER_SYNC_INTERVAL:-0} \
	PORTAL_WORKER_INDEX_INTERVAL=$${PORTAL_WORKER_INDEX_INTERVAL:-5} \
	PORTAL_WORKER_ALERTS_INTERVAL=$${PORTAL_WORKER_ALERTS_INTERVAL:-10} \
	PORTAL_WORKER_DIGEST_INTERVAL=$${PORTAL_WORKER_DIGEST_INTERVAL:-60} \
	  $(BIN)/portal worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true' EXIT; \
	$(BIN)/portal serve --host $(HOST) --port $(PORT)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(TEST_STAMP)
	@[ -n "$${PORTAL_TEST_DATABASE_URL:-}" ] || { \
	  echo "Set PORTAL_TEST_DATABASE_URL, e.g. postgresql+psycopg://portal:portal@127.0.0.1:5432/portal_test" >&2; \
	  echo "(.ci/start-postgres starts a local PostgreSQL with that role and database)" >&2; exit 1; }
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every check runs, so one pass shows all problems; the target fails if any did.
lint: $(TEST_STAMP)
	@failed=""; \
	  echo "== ruff check ."; $(BIN)/ruff check . || failed="$$failed ruff"; \
	  echo "== lint-imports (layer contracts in pyproject.toml)"; $(BIN)/lint-imports || failed="$$failed import-linter"; \
	  echo "== mypy (strict for the domain and below, see [tool.mypy] in pyproject.toml)"; $(BIN)/mypy || failed="$$failed mypy"; \
	  tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  echo "== portal db check (models vs migrations, on a new SQLite database in $$tmp)"; \
	  { env -u PORTAL_DATABASE_URL PORTAL_INSTANCE_PATH="$$tmp" $(BIN)/portal db upgrade && \
	    env -u PORTAL_DATABASE_URL PORTAL_INSTANCE_PATH="$$tmp" $(BIN)/portal db check; } || failed="$$failed db-check"; \
	  if [ -n "$$failed" ]; then echo "lint FAILED:$$failed" >&2; exit 1; fi; echo "lint passed"

wheel-smoke:
	.ci/wheel-smoke

ci:
	.ci/run

clean:
	rm -rf build dist .pytest_cache .ruff_cache .import_linter_cache test-results *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
