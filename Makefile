# Khabar: `make run` serves the product, `make test` runs every test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast bench install clean dictionary

$(BIN)/.installed: pyproject.toml setup.py search/embedding/native/e5.c search/embedding/native/build.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

install: $(BIN)/.installed

## FreeDict English-Arabic (GPL, so fetched from the Debian archive, not vendored): the lexical side of English queries.
dictionary:
	@bash scripts/dictionary.sh >/dev/null || echo "warning: no FreeDict dictionary; English queries get the hand lexicon only" >&2

## Serve the UI + API on 127.0.0.1:7860 with the sample corpus indexed (embedded backend, offline).
run: $(BIN)/.installed dictionary
	$(BIN)/khabar serve --index samples/seeds

## Everything CI runs: unit + contract (embedded and a real Elasticsearch) + browser + sentence-transformers.
test: $(BIN)/.installed
	bash scripts/test.sh

## Unit and embedded-backend tests only (no Elasticsearch, browser or torch).
test-fast: $(BIN)/.installed dictionary
	KHABAR_SKIP_BROWSER=1 $(BIN)/python -m pytest -q -m "not elasticsearch and not browser and not st"

bench: $(BIN)/.installed
	$(BIN)/python bench/retrieval.py

clean:
	rm -rf $(VENV) khabar-data .pytest_cache
