# OrderCRM: `make run` starts the demo, `make test` runs the suite (`make test SLOW=1`: all of it).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/ordercrm migrate --noinput
	$(BIN)/ordercrm demo --if-empty
	@echo "Open http://$(HOST):$(PORT)/ and log in with a demo login above."
	$(BIN)/ordercrm serve --host $(HOST) --port $(PORT)

# SLOW=1 also runs the slow suites (browser, fault, API/web sweeps, big imports), as CI does.
test: install-test
	ORDERCRM_SLOW_TESTS=$(SLOW) $(BIN)/pytest -n auto $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
