# Two commands for a newcomer: `make report` (build everything) and `make test`.
# Both create the virtual environment on first use and are safe to run again.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: report report-en build test bench lab clean distclean venv notebooks-sync help mutation

help:
	@echo "make report   build tables, execute notebooks, export figures (the main job)"
	@echo "make test     run the test suite"
	@echo "make report-en  the same figures with English labels (figures/*_en.*)"
	@echo "make lab      open the notebooks in JupyterLab"
	@echo "make bench    run the performance benchmark (not part of the tests)"
	@echo "make mutation mutation-test the statistics, validation, theme, screen, keyness and co-occurrence modules; prints the score"
	@echo "make clean    remove every build product"

# Reinstall when the dependency list changes; the stamp makes reruns instant.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@# strip notebook outputs on `git add` (the filter is named in .gitattributes)
	-@test -d .git && $(VENV)/bin/nbstripout --install
	@touch $(STAMP)

venv: $(STAMP)

report: $(STAMP)
	$(PY) -m analysis report

report-en: $(STAMP)
	$(PY) -m analysis report -p lang en

lab: $(STAMP)
	$(PY) -m analysis build -q
	$(VENV)/bin/jupyter lab notebooks/

build: $(STAMP)
	$(PY) -m analysis build

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/run.py

# Mutation testing with mutmut (configured in pyproject.toml [tool.mutmut]: which modules, which
# fast test files). Results are cached in mutants/, so a second run only retests the functions that
# changed; the cache does not notice new tests, so every survivor is then run again against them.
# Surviving mutants judged equivalent are listed with a reason in tests/mutation_survivors.md.
mutation: $(STAMP)
	@mkdir -p .cache; start=$$(date +%s); \
	$(PY) -m mutmut run --max-children 2 > .cache/mutmut.log 2>&1 || { tail -30 .cache/mutmut.log; exit 1; }; \
	survivors=$$($(PY) -m mutmut results 2>/dev/null | sed -n 's/^ *\(.*\): survived$$/\1/p'); \
	if [ -n "$$survivors" ]; then $(PY) -m mutmut run --max-children 2 $$survivors >> .cache/mutmut.log 2>&1 \
	  || { tail -30 .cache/mutmut.log; exit 1; }; fi; \
	$(PY) -m mutmut export-cicd-stats > /dev/null 2>&1; \
	$(PY) tests/mutation_score.py mutants/mutmut-cicd-stats.json $$(( $$(date +%s) - start ))

# Keep each notebook's jupytext twin (notebooks/*.py) in step with the .ipynb.
notebooks-sync: $(STAMP)
	$(VENV)/bin/jupytext --sync notebooks/*.ipynb
	$(VENV)/bin/nbstripout notebooks/[0-9][0-9]_*.ipynb

clean:
	find data/processed -mindepth 1 ! -name README.md ! -name .gitkeep -exec rm -rf {} +
	find figures -mindepth 1 ! -name README.md ! -name .gitkeep -exec rm -rf {} +
	rm -rf notebooks/executed reports benchmarks/results .cache scratch mutants .run-staging-* .run-old-* .run.lock

distclean: clean
	rm -rf $(VENV) src/*.egg-info
