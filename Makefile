# Khabar: `make run` serves the product, `make test` runs every test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHELL := /bin/bash
SEEDS := samples/seeds
# pip's output goes to $(VENV)/pip-install.log; the terminal gets one line per stage.
PIP_PROGRESS := awk 'BEGIN{printf "  downloading packages "} /^Collecting /{n++; printf "."; fflush()} \
	/Building editable for khabar.*started/{printf " %d\n  building Khabar (compiles its embedding engine)\n", n; fflush()} \
	/^Installing collected/{print "  installing them"; fflush()} /^Successfully installed/{print "  installed"}'

.PHONY: run test test-fast bench install clean dictionary

$(BIN)/.installed: pyproject.toml setup.py search/embedding/native/e5.c search/embedding/native/build.py
	@echo "==> installing Khabar into $(VENV) (first run, ~2 min; later runs skip this)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@set -o pipefail; $(BIN)/pip install -e '.[test,bench]' 2>&1 | tee $(VENV)/pip-install.log | $(PIP_PROGRESS) \
	  || { echo; tail -n 25 $(VENV)/pip-install.log; echo "pip failed: the whole log is in $(VENV)/pip-install.log" >&2; exit 1; }
	@touch $@

install: $(BIN)/.installed

## FreeDict English-Arabic (GPL, so fetched from the Debian archive, not vendored): the lexical side of English queries.
dictionary:
	@echo "==> English-Arabic dictionary for English queries (FreeDict; fetched from the Debian archive on first use)"
	@bash scripts/dictionary.sh >/dev/null || echo "warning: no FreeDict dictionary; English queries get the hand lexicon only" >&2

## Serve the UI + API on 127.0.0.1:7860 with the sample corpus indexed (embedded backend, offline).
run: $(BIN)/.installed dictionary
	@echo "==> indexing $$(ls $(SEEDS) | wc -l) sample articles from $(SEEDS), then serving; the address follows"
	@$(BIN)/khabar serve --index $(SEEDS)

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
