# Two commands matter (see README): `make serve` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000
export NO_MKDOCS_2_WARNING := 1

.PHONY: help install validate build serve offline test test-fast lint bench checklists rollup clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install pinned dependencies (with test tools)

validate: $(STAMP) ## check data/ (schemas + cross-file rules); prints counts or file:line errors
	$(BIN)/python -m macros validate

build: validate ## validate, then build the site into site/ (strict)
	$(BIN)/mkdocs build --strict

serve: build ## install, validate, build and serve the site on http://$(HOST)
	$(BIN)/mkdocs serve --strict --dev-addr $(HOST)

offline: validate ## build site-offline/: open site-offline/index.html from disk, no server needed
	OFFLINE=true DIRECTORY_URLS=false $(BIN)/mkdocs build --strict -d site-offline

test: $(STAMP) ## run the whole test suite (browser tests need /usr/bin/chromium)
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## the inner loop: every test but the browser and whole-site ones (about a minute)
	$(BIN)/python -m pytest -m "not browser and not slow" -q

lint: $(STAMP) ## ruff, yamllint and the GitHub workflow schemas
	$(BIN)/ruff check macros tests benchmarks
	$(BIN)/vulture
	$(BIN)/yamllint -s data .github
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-issue-forms $(filter-out %/config.yml,$(wildcard .github/ISSUE_TEMPLATE/*.yml))
	$(BIN)/check-jsonschema --builtin-schema vendor.github-issue-config .github/ISSUE_TEMPLATE/config.yml

bench: $(STAMP) ## benchmarks against same-run baselines; writes bench-results.json
	$(BIN)/python benchmarks/bench.py

checklists: $(STAMP) ## printable checklists (HTML, PDF, XLSX) for the bundled roster into out/checklists
	$(BIN)/python -m macros checklists --pdf --out out/checklists

clean: ## remove build output (keeps .venv)
	rm -rf site site-offline out bench-results.json
