# The two commands of the quick start: `make dev` and `make test`. Both bootstrap what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: help bootstrap bootstrap-test dev test lint typecheck seed bench

help:
	@echo "make dev   - run the whole local stack at http://127.0.0.1:$${PORT:-8080}"
	@echo "make test  - run the whole test suite (lint, types, unit, integration, e2e)"

bootstrap:
	@PYTHON=$(PYTHON) bash scripts/bootstrap.sh

bootstrap-test:
	@PYTHON=$(PYTHON) bash scripts/bootstrap.sh test

dev: bootstrap
	@$(PY) scripts/dev_server.py

test: bootstrap-test
	@bash scripts/run_tests.sh

lint: bootstrap
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: bootstrap
	@$(VENV)/bin/mypy

seed: bootstrap
	@$(PY) scripts/seed.py

bench:
	@PYTHON=$(PYTHON) bash scripts/bootstrap.sh bench
	@$(PY) bench/run_all.py
