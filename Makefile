# Two entry points for a fresh machine with Python >= 3.11 and pip:
#   make demo   set up .venv and run the main job on the bundled example
#   make test   set up .venv with the dev tools and run lint, type check and tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= mmm-out
export JAX_PLATFORMS ?= cpu

.PHONY: demo test lint pytest docs setup setup-dev setup-docs clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), f"Python >= 3.11 needed, found {sys.version.split()[0]}: run make PYTHON=python3.11 ..."'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.runtime

$(VENV)/.docs: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $@ $(VENV)/.runtime

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev
setup-docs: $(VENV)/.docs

demo: setup
	$(BIN)/mmm demo --out $(OUT)

lint: setup-dev
	$(BIN)/ruff check mmm tests benchmarks
	$(BIN)/ruff format --check mmm tests benchmarks
	$(BIN)/mypy

pytest: setup-dev
	$(BIN)/python -m pytest

test: lint pytest

docs: setup-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(OUT) site
