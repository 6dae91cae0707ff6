# The README's two commands: `make` (set up and run the default study) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all
CONFIG ?= config/config.yaml
# Snakemake --config KEY=VALUE pairs, checked like the config file: make CONFIG=config/quick.yaml OVERRIDES="shard_size=8"
OVERRIDES ?=
CONFIG_ARGS := --configfile $(CONFIG)$(if $(strip $(OVERRIDES)), --config $(OVERRIDES))

.PHONY: all study report test test-fast test-cluster bench lint clean

all: study

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# the editable package's bytecode, written once (where PYTHONDONTWRITEBYTECODE is set, every Snakemake start would compile it)
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

study: $(STAMP)
	@echo "initstudy: running $(CONFIG) (results/, report/index.html)"
	$(BIN)/python -m initstudy.config $(CONFIG)$(if $(strip $(OVERRIDES)), --config $(OVERRIDES))
	$(BIN)/snakemake --profile workflow/profiles/default --cores $(CORES) $(CONFIG_ARGS)

report: $(STAMP)
	$(BIN)/python -m initstudy.config $(CONFIG)$(if $(strip $(OVERRIDES)), --config $(OVERRIDES))
	$(BIN)/snakemake --cores $(CORES) $(CONFIG_ARGS) report

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser"

# A real one-node SLURM cluster on this machine (installs and starts it; root): quick config
# through the slurm profile, tables compared with a local run, daemons stopped by PID.
test-cluster: $(STAMP)
	INITSTUDY_CLUSTER=1 $(BIN)/python -m pytest -q -m cluster tests/cluster

# Speed benchmarks side by side (naive loop, our engine on both backends, bare JAX jit+vmap): see benchmarks/README.md.
# The two OpenBLAS variables some machines set would pick a slower kernel: unset for this command.
bench: $(STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/snakemake --lint

clean:
	rm -rf results logs report .snakemake .cache
