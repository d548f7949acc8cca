# senrun — two commands do everything on a fresh machine:
#   make run    set up and run the funding job on the committed sample data
#   make test   set up and run the whole test suite
# and `make bench` (QUICK=1 for fewer runs) times it at a council's scale and England's:
# docs/performance.md; `make soak` runs the long fault loops (docs/reliability.md); `make render`
# prints the sample's workbooks to PDF and PNG pages (out-render/) with LibreOffice, to look at them
# as they print.  `make chain` and `make render` write folders of their own beside out/ (out-chain/,
# out-render/): inside it, they would make the next `make run` refuse to replace out/ (it would hold
# files its manifest.json does not list).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-slow bench soak sample chain render clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -c constraints.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/senrun allocate --config config/senrun.yaml --out out/

test: $(STAMP)
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	SENRUN_SLOW=1 $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick)

# The long fault loops (docs/reliability.md): 100 random SIGKILLs of `allocate --jobs 2`, 20 SIGHUPs
# and SIGTERMs to its whole process group, and runs under `ulimit -v` from 150 MB to 1 GB.  KILLS=20 for fewer.
soak: $(STAMP)
	$(BIN)/python bench/soak.py --memory $(if $(KILLS),--kills $(KILLS))
render: $(STAMP)
	sh tools/render.sh

sample: $(STAMP)
	$(BIN)/senrun sample --scale la --seed 2013 --out sample_data/

# The seven-year demo chain (docs/sample.md): each year run with the one before as register and previous.
chain: $(STAMP)
	rm -rf out-chain && $(BIN)/senrun sample --scale demo --seed 7 --years 2012-13:2019-20 --out out-chain/data
	prev=; for y in $$(ls out-chain/data); do \
	  $(BIN)/senrun allocate -q --no-returns --config out-chain/data/$$y/senrun.yaml --out out-chain/$$y \
	    $${prev:+--register out-chain/$$prev --previous out-chain/$$prev/schools.csv} || exit 1; prev=$$y; done

clean:
	rm -rf $(VENV) out out-chain out-render .pytest_cache bench/cache
