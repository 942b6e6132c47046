# The two commands of the README: `make run` and `make test`. Everything they need
# is installed here, into .venv, from PyPI; nothing is expected on the machine but
# Python 3.11+.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install translations demo clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

## Compile the message catalogues (the .mo files are build output, not committed);
## only those whose .po changed, so a second `make` never rewrites a file a test run reads.
MO := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
translations: $(MO)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@.tmp -l $* && mv $@.tmp $@

## Set up, migrate, load the demo data, print how to sign in, and serve on http://127.0.0.1:5000
## with the Stripe emulator on http://127.0.0.1:12111 (both stop together).
run: install
	$(BIN)/flask db upgrade heads
	$(BIN)/flask demo load
	BIN=$(BIN) bin/run-local

## Set up and run the whole test suite (SQLite; set TEST_DATABASE_URL for PostgreSQL).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
