# Validation, grid expansion and input functions shared by every rule.
import os
import sys

from initstudy import config as cfg
from initstudy.claims import load_claims
from initstudy.grid import shard_cost, shard_index

# Thread counts that could change floating-point results are pinned here, not left to the
# environment: every job does its BLAS work on one thread (jobs run in parallel instead).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
# The jax backend caches compiled training segments here (per machine type; initstudy.backends.jax_backend),
# so each layer shape compiles once per machine, not once per job. Safe to delete.
os.environ.setdefault("INITSTUDY_JAX_CACHE", os.path.abspath(".cache/jax"))

try:
    # The config file(s) re-read by initstudy.config: errors name the file, and a key given twice
    # is refused (YAML, and so Snakemake, silently keeps the last one).
    config = cfg.load(*workflow.configfiles, overrides=workflow.config_settings.config)
except cfg.ConfigError as _err:
    sys.stderr.write(f"initstudy: invalid config:\n{_err}\n")
    sys.exit(1)

CLAIMS_FILE = "config/claims.yaml"
try:
    # The decision rules, validated against their schema and this config before any job runs; the one
    # reader of the file (figure rules, report and claims step all use CLAIMS or load_claims).
    CLAIMS = load_claims(CLAIMS_FILE, config)
except cfg.ConfigError as _err:
    sys.stderr.write(f"initstudy: invalid claims file:\n{_err}\n")
    sys.exit(1)
CLAIM_IDS = list(CLAIMS["claims"])

SHARDS = shard_index(config)
# One pinned environment for all rules; conda users add `--sw-deployment-method conda`.
CONDA_ENV = "../../environment.yml"
FINAL_TARGETS = []  # each stage's rule file appends what `rule all` must build
NAME = r"[a-z][a-z0-9_]*"


def shard_of(wildcards):
    """The shard (job) a train_shard job trains."""
    return SHARDS[f"{wildcards.experiment}/{wildcards.shard}"]


# Priority of the jobs others wait for (datasets, claims, course table), ahead of the figures. Training jobs
# never compete with them: they wait for their datasets, and claims and course wait for all training.
AHEAD = 1000


def shard_priority(wildcards):
    """The longest training jobs start first (estimated seconds, initstudy.grid.shard_cost), so that no long
    job is left running alone on one core at the end of training. Order only: results never depend on it."""
    shard = shard_of(wildcards)
    return round(shard_cost(shard, config["experiments"][shard.experiment]), 1)


def shard_datasets(wildcards):
    """The datasets a training job reads, by name."""
    return {name: f"results/datasets/{name}.parquet" for name in shard_of(wildcards).datasets}


def shard_runs(wildcards):
    return [dict(r) for r in shard_of(wildcards).runs]


def experiment_setting(key):
    def get(wildcards):
        return config["experiments"][wildcards.experiment][key]

    return get


def dataset_setting(key):
    def get(wildcards):
        return config["datasets"][wildcards.dataset][key]

    return get


def shard_outputs(kind):
    """Every shard's metrics or layers file."""
    return [f"results/train/{name}.{kind}.parquet" for name in SHARDS]


def course_layouts(experiments):
    """The hidden widths of every net of the given experiments: ``{experiment: [[10, 5], ...]}``."""
    from initstudy.grid import layouts

    return {name: layouts(config["experiments"][name]) for name in experiments}
