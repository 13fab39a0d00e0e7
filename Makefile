# Fuzhi: `make run` serves the demo county; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# One stamp per kind of install: what running needs (run, serve, demo, db), and that plus the
# test and lint tools (test, lint). A county's server runs `make run` and gets only the first.
HASH      := $(shell sha1sum pyproject.toml | cut -c1-12)
RUN_STAMP := $(VENV)/.installed-run-$(HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(HASH)
export FUZHI_DATA_DIR ?= $(CURDIR)/var

.DEFAULT_GOAL := help
.PHONY: help sysdeps sysdeps-dev venv venv-dev db demo setup run serve test test-pg lint format bench bench-claims bench-sweep fuzz faults machines clean docs i18n

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

sysdeps: ## install what running needs: WeasyPrint's libraries, a Chinese font, Graphviz (apt-get, as root)
	@bash .ci/sysdeps

sysdeps-dev: ## sysdeps plus what the tests need: poppler (reading PDFs back) and Chromium
	@bash .ci/sysdeps --dev

venv: $(RUN_STAMP) ## create .venv and install Fuzhi with what running it needs (no test or lint tools)

venv-dev: $(DEV_STAMP) ## .venv plus the test and lint tools (pyproject's dev extra)

$(RUN_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

$(DEV_STAMP): $(RUN_STAMP)
	$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-dev-*
	@touch $@

db: venv ## migrate the database (DATABASE_URL, default: SQLite in var/)
	$(BIN)/fuzhi db upgrade

demo: venv ## migrate and load the demo county (once)
	$(BIN)/fuzhi demo

setup: venv ## a county's own database: migrate and create the first admin (no demo)
	$(BIN)/fuzhi setup

# FUZHI_DEMO=0 make run: a county's own database, migrated but never given the demo county.
RUN_DATA := $(if $(filter 0 no false,$(FUZHI_DEMO)),db,demo)
run: sysdeps venv $(RUN_DATA) ## set everything up and serve http://127.0.0.1:8000 with the demo county (FUZHI_DEMO=0: without)
	$(BIN)/fuzhi serve

serve: venv ## serve without loading anything
	$(BIN)/fuzhi serve

test: sysdeps-dev venv-dev ## run the whole suite (DATABASE_URL selects the database; SQLite by default)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg: ## the suite against the local PostgreSQL
	DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(MAKE) test

# `fuzhi db check` runs on a fresh SQLite file: it proves the models agree with the migrations,
# whatever state the local database (or DATABASE_URL) is in. .ci/run runs `make lint` first.
lint: venv-dev ## ruff check and format, mypy (strict on the core), alembic check, the layering test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@tmp=$$(mktemp -d) && export DATABASE_URL=sqlite:///$$tmp/check.db FUZHI_SECRET_FILE=$$tmp/master.key && \
	  $(BIN)/fuzhi db upgrade >/dev/null && $(BIN)/fuzhi db check; status=$$?; rm -rf $$tmp; exit $$status
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_layering.py

format: venv-dev ## format with ruff
	$(BIN)/ruff format .

bench: venv-dev ## run the benchmarks in bench/ (figures go to docs/benchmarks.md)
	$(BIN)/python bench/bench_transitions.py
	$(BIN)/python bench/bench_lists.py
	$(BIN)/python bench/bench_inbox.py
	$(BIN)/python bench/bench_documents.py

bench-claims: venv-dev ## claims end to end and filing against the raw limit, SQLite and PostgreSQL (issue 12)
	$(BIN)/python bench/bench_claims.py --growth

fuzz: venv-dev ## Schemathesis over the whole API, every check, 1,000 cases per operation (N=… to change)
	$(BIN)/python bench/fuzz_api.py -n $(or $(N),1000)

bench-sweep: venv-dev ## time the sweep at 100,000 contracts and 1,000,000 claims (SQLite and PostgreSQL)
	$(BIN)/python bench/bench_sweep.py

faults: venv-dev ## SIGKILL a real server 50 times each during list uploads and payout confirmation (issue 14)
	$(BIN)/python bench/fault_kills.py

machines: venv ## print the state-machine diagrams
	$(BIN)/fuzhi machines

clean: ## remove the virtual environment and local data
	rm -rf $(VENV) var

LOCALE := web/locale
i18n: venv ## extract the pages' texts, update the English catalogue and compile it (web/locale)
	$(BIN)/python -m web.locale.collect
	$(BIN)/pybabel extract -F $(LOCALE)/babel.cfg -o $(LOCALE)/messages.pot --no-default-keywords \
	  -k _ -k N_ --project=Fuzhi --version=0.1.0 --copyright-holder="Fuzhi" .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages -l en --init-missing \
	  --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(LOCALE) -D messages -l en --statistics

docs: venv ## regenerate the machine diagrams in docs/architecture.md and the map docs/modules.md
	$(BIN)/python -c "from pathlib import Path; from workflow.diagram import all_diagrams; \
	p = Path('docs/architecture.md'); s = p.read_text(); a = '<!-- machines:start -->'; \
	b = '<!-- machines:end -->'; p.write_text(s[:s.index(a) + len(a)] + '\n' + all_diagrams() + s[s.index(b):])"
	$(BIN)/python docs/modules.py
