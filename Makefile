# senrun — two commands do everything on a fresh machine:
#   make run    set up and run the funding job on the committed sample data
#   make test   set up and run the whole test suite
# and `make bench` (QUICK=1 for fewer runs) times it at a council's scale and England's:
# docs/performance.md.  `make render` prints the sample's workbooks to PDF and PNG pages
# (out/render/) with LibreOffice, to look at them as they print.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test bench sample render clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/senrun allocate --config config/senrun.yaml --out out/

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick)

render: $(STAMP)
	sh tools/render.sh

sample: $(STAMP)
	$(BIN)/senrun sample --scale la --seed 2013 --out sample_data/

clean:
	rm -rf $(VENV) out .pytest_cache bench/cache
