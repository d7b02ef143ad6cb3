# Two commands do all the set-up on a fresh machine (Python >= 3.11 and make):
#   make lab    create .venv if missing, install, open the course in JupyterLab
#   make test   create/update .venv, install, run every test
# The Chinese course: make lab-zh opens it (中文版); make zh rebuilds it from the English chapters
# and the translation catalogs, and runs it (for contributors).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# JupyterLab's settings for the course, in the environment: no "get notified about Jupyter news?"
# prompt over the start page (scripts/jupyterlab-overrides.json).
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
# JupyterLab refuses to run as root unless told; containers often run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab lab-zh zh test test-fast test-python bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml scripts/jupyterlab-overrides.json | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	mkdir -p $(dir $(LAB_OVERRIDES))
	cp scripts/jupyterlab-overrides.json $(LAB_OVERRIDES)
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb

lab-zh: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --LabApp.default_url=/lab/tree/notebooks/zh/00_start_here.ipynb

zh: $(STAMP)
	$(BIN)/python scripts/translations.py check
	$(BIN)/python scripts/translations.py build
	cd notebooks/zh && for nb in [0-9][0-9]_*.ipynb; do \
		OPENBLAS_CORETYPE=Haswell ../../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=600 "$$nb" || exit 1; done

# The notebooks were executed with OpenBLAS's Haswell kernels (the slowest these machines pick); the
# test runs them with the same kernels, so that float32 training reruns to the committed digits.
# Set OPENBLAS_CORETYPE to test under another kernel.
test: $(STAMP)
	OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE:-Haswell} $(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env \
		--nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=300 -q -rs

# The suite on another Python in a venv of its own, e.g. make test-python OTHER_PYTHON=python3.13:
# every test but the browser's, and every chapter under strict nbval. (PyTorch's parity tests skip
# where no torch wheel for that Python is installed.)
OTHER_PYTHON ?=
OTHER_VENV := .venv-other
test-python:
	@test -n "$(OTHER_PYTHON)" || { echo "usage: make test-python OTHER_PYTHON=python3.13"; exit 2; }
	$(OTHER_PYTHON) -m venv $(OTHER_VENV)
	$(OTHER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OTHER_VENV)/bin/python -m pip install --quiet -e ".[dev]"
	$(OTHER_VENV)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(OTHER_VENV)/bin/python --version
	OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE:-Haswell} $(OTHER_VENV)/bin/python -m pytest tests notebooks \
		--ignore=tests/browser --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
		--nbval-cell-timeout=300 -q -rs

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -q -rs -p no:nbval --ignore=tests/browser --ignore-glob='tests/test_course_*' \
		--ignore=tests/test_ch06_experiments.py --ignore-glob='tests/test_notebook_*' \
		--ignore=tests/test_translations.py --ignore=tests/test_environment.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_rnns.py
	$(BIN)/python benchmarks/bench_widgets.py

clean:
	rm -rf $(VENV) artifacts .pytest_cache
