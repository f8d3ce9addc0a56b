# The two commands of the README: `make run` and `make test`. `make bench` runs the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# The suite runs in two processes (pytest-xdist), each with its own PostgreSQL database.
PYTEST_ARGS ?= -n 2
export FLASK_APP := wsgi

.PHONY: run test lint bench install install-test translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

## make run: set up, migrate, load demo data and serve on 127.0.0.1:$(PORT) (SQLite, no servers).
run: install
	AGENCY_ENV=$${AGENCY_ENV:-development} $(BIN)/flask db upgrade
	AGENCY_ENV=$${AGENCY_ENV:-development} $(BIN)/flask demo
	@echo "Serving on http://127.0.0.1:$(PORT)/login"
	AGENCY_ENV=$${AGENCY_ENV:-development} $(BIN)/flask run --host 127.0.0.1 --port $(PORT) --no-reload

## make test: ruff, then the whole suite (SQLite; PostgreSQL and Redis too when TEST_* are set).
test: install-test
	scripts/ensure-test-tools
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

## make bench [ONLY=name]: run the benchmarks in bench/.
bench: install-test
	scripts/ensure-bench-tools
	$(BIN)/python -m bench $(if $(ONLY),--only $(ONLY))

## make translations: extract the texts, update the Dutch, German and French catalogues, compile
## them (commit both). German and French cover the debtor's payment page.
translations: install-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header -o agency/translations/messages.pot .
	for lang in nl de fr; do \
		$(BIN)/pybabel update -i agency/translations/messages.pot -d agency/translations -l $$lang --no-fuzzy-matching; \
	done
	$(BIN)/pybabel compile -d agency/translations
