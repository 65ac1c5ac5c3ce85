# carbon-ledger: every target bootstraps its own virtual environment.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# The web server and, beside it, the one scheduler process (periodic jobs: registry fetches,
# checkpoints, queued imports); Ctrl-C stops both. In production each is its own systemd unit.
run: install
	$(BIN)/carbon-ledger init --demo
	$(BIN)/carbon-ledger scheduler run & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/carbon-ledger serve --dev --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Translations: one catalog for the shell (translations/) and one per module that declares one
# (<package>/translations/): extract each from its sources, merge into its zh and en catalogs
# (no fuzzy guesses) and compile the .mo files the app reads (see ledger/i18n.py). Commit them.
# The zh_CN catalog lives in zh/: Babel reads zh_CN as zh_Hans_CN, which gettext finds as zh.
.PHONY: i18n
i18n: install
	$(BIN)/python -m ledger.i18n
