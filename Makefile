# Two commands on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 2
JOB_WORKERS ?= 1
PYTEST_WORKERS ?= 2

.PHONY: serve test lint format bench clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# Links in the feed and pages follow PORT unless PODCAST_SITE_URL says otherwise.
serve: export PODCAST_SITE_URL ?= http://localhost:$(PORT)
serve: $(VENV)/.installed
	$(BIN)/podcast db upgrade
	$(BIN)/podcast load-episodes --if-empty
	@echo "Serving on http://localhost:$(PORT), with a job worker; Ctrl-C stops both"
	HOST=$(HOST) WORKERS=$(WORKERS) JOB_WORKERS=$(JOB_WORKERS) $(BIN)/honcho start --no-colour --port $(PORT)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.test-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The whole suite on SQLite, then again on PostgreSQL when it answers on 127.0.0.1:5432
# (the browser tests drive pages, not SQL, so they run once).
test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS)
	@if $(BIN)/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "--- the same suite on PostgreSQL"; \
		PODCAST_TEST_DATABASE=postgres $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser"; \
	else \
		echo "PostgreSQL does not answer on 127.0.0.1:5432: the PostgreSQL run is skipped"; \
	fi

# Re-extract the interface strings, merge them into every language's .po, compile the .mo files
# (committed, so a fresh clone serves every language). The listeners' catalog "messages" (six
# languages, babel.cfg) and the producers' "admin" (en, ru, babel-admin.cfg).
TRANSLATIONS := podcast/translations
PYBABEL_EXTRACT = $(BIN)/pybabel extract -k lazy_gettext -k _l -k say -k say_plural:1,2 --no-location --sort-output --width 100 --project podcast --copyright-holder "RFE/RL"
PYBABEL_UPDATE = $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --width 100
translations: $(VENV)/.installed
	$(PYBABEL_EXTRACT) -F babel.cfg -o $(TRANSLATIONS)/messages.pot .
	$(PYBABEL_EXTRACT) -F babel-admin.cfg -o $(TRANSLATIONS)/admin.pot .
	$(PYBABEL_UPDATE) -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -D messages
	$(PYBABEL_UPDATE) -i $(TRANSLATIONS)/admin.pot -d $(TRANSLATIONS) -D admin
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS) -D messages
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS) -D admin

# Every script in bench/, bench/network.py included: the warm feed and pages of 20 shows of
# 500 episodes against 1 show (bench/feed.py and bench/pages.py --shows 20 --episodes 500).
bench: $(VENV)/.test-installed
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache test-artifacts
