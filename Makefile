# Two commands do all the set-up on a fresh machine (Python >= 3.11 and make):
#   make lab    create .venv if missing, install, open the course in JupyterLab
#   make test   create/update .venv, install, run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# JupyterLab refuses to run as root unless told; containers often run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test test-fast bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env \
		--nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=300 -q -rs

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -q -m "not browser" -rs

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_rnns.py
	$(BIN)/python benchmarks/bench_widgets.py

clean:
	rm -rf $(VENV) artifacts .pytest_cache
