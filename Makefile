# Throughline developer commands (GNU make). `make serve` and `make test` are all a new machine needs.

PYTHON ?= $(shell python3.11 -c 'pass' >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
# Re-install whenever pyproject.toml changes; the stamp lives inside .venv so `clean` removes both.
STAMP := $(VENV)/.installed
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install serve test lint openapi clean

help:
	@echo "make serve    migrate the database, then serve the API on 127.0.0.1:$(PORT)"
	@echo "make test     run the test suite (PostgreSQL tests need TEST_DATABASE_URL)"
	@echo "make lint     ruff and mypy"
	@echo "make openapi  regenerate openapi/openapi.json"
	@echo "make clean    remove the virtualenv and caches"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/throughline migrate
	$(BIN)/throughline serve --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

openapi: $(STAMP)
	$(BIN)/throughline openapi > openapi/openapi.json.tmp
	mv openapi/openapi.json.tmp openapi/openapi.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
