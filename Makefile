# Two entry points for a fresh machine with Python 3.11 and git:
#   make demo   set up .venv, build the fixture repositories, mine one, show the patterns and the fix
#   make test   set up .venv and run the whole test suite (two processes: pytest-xdist)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO := fixtures/repos/build

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

test: $(STAMP)
	$(PY) -m pytest -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check repairbot tests fixtures benchmarks scripts

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis
