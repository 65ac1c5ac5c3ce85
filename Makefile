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

run: install
	$(BIN)/carbon-ledger init --demo
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

# Translations: extract every _()/gettext string from ledger/, the domain modules and the
# templates into translations/messages.pot, merge it into each catalog (no fuzzy guesses), and
# compile the .mo files the app reads. Commit all of translations/. The zh_CN catalog lives in
# translations/zh/: Babel reads zh_CN as zh_Hans_CN, which gettext looks up as zh_Hans_CN or zh.
.PHONY: i18n
i18n: install
	$(BIN)/pybabel extract -F translations/babel.cfg -k _l -k N_ -k lazy_gettext -k lazy_ngettext:1,2 \
		--project=carbon-ledger --version=0.1 --sort-by-file -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l zh \
		--init-missing --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel update -i translations/messages.pot -d translations -l en \
		--init-missing --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d translations --statistics
