# Two commands do everything on a fresh clone:
#   make run    the whole study on the embedded synthetic data set (results/report.md)
#   make test   the test suite
# Each bootstraps the virtual environment .venv first (torch pinned: a bare `torch` pulls GB of CUDA).

PYTHON3 ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= $(shell nproc)
SNAKEMAKE_ARGS ?=
# pytest-xdist workers; the tests of one file share a worker (and its module fixtures)
TEST_WORKERS ?= $(CORES)
PYTEST_ARGS ?=

.PHONY: run test lint lock venv clean benchmark

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml envs/requirements.lock
	$(PYTHON3) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -r envs/requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

run: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

test: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --lint

benchmark: venv
	$(BIN)/python benchmarks/train_throughput.py --architecture 3,3,3 --channels 1024 --batch-size 1024

# Re-pin the environment from what is installed (torch and this package excluded).
lock: venv
	{ sed -n '1,3p' envs/requirements.lock; $(BIN)/python -m pip freeze --exclude-editable | grep -v -E '^(torch|poselift)=='; } > envs/requirements.lock.new
	mv envs/requirements.lock.new envs/requirements.lock

clean:
	rm -rf results .snakemake
