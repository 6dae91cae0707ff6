#!/usr/bin/env bash
# The GPU rows of benchmarks/RESULTS.md (issue 12), measured in one go on a machine with an NVIDIA GPU:
#   1. the default study end to end (target: 2 min),
#   2. the training of config/full.yaml, shards of 20,000 runs (target: 10 min),
#   3. the engine beside bare JAX on the reference grid and the deep case.
# Run from the repository root after `make` set up .venv and `.venv/bin/pip install -e '.[cuda]'`:
#   benchmarks/gpu_rows.sh [OUT]            (OUT: benchmarks/results/gpu by default)
# CONFIG=config/quick.yaml FULL=config/quick.yaml CASES=none benchmarks/gpu_rows.sh /tmp/out is a
# CPU smoke test of the script itself. It deletes results/, logs/, report/ and .snakemake/ (the
# study's outputs) and leaves the last run's in place.
set -euo pipefail
OUT=${1:-benchmarks/results/gpu}
BIN=${BIN:-.venv/bin}
CONFIG=${CONFIG:-config/config.yaml}
FULL=${FULL:-config/full.yaml}
CASES=${CASES:-reference,deep}
CORES=${CORES:-4}
mkdir -p "$OUT"
{
    date -u
    nvidia-smi -L 2>/dev/null || echo "nvidia-smi: none"
    "$BIN/python" -c "from initstudy.backends import describe; print(describe('jax'))"
} | tee "$OUT/device.txt"

fresh() { rm -rf results logs report .snakemake; }

fresh
/usr/bin/time -v "$BIN/snakemake" --profile workflow/profiles/default --cores "$CORES" --configfile "$CONFIG" \
    > "$OUT/default_study.log" 2>&1
grep -E "Elapsed \(wall|Maximum resident" "$OUT/default_study.log" | sed 's/^/default study: /' | tee -a "$OUT/summary.txt"

fresh
/usr/bin/time -v "$BIN/snakemake" --profile workflow/profiles/default --cores "$CORES" --until aggregate_metrics \
    --configfile "$FULL" --config shard_size=20000 > "$OUT/full_training.log" 2>&1
grep -E "Elapsed \(wall|Maximum resident" "$OUT/full_training.log" | sed 's/^/full.yaml training: /' | tee -a "$OUT/summary.txt"
cp -r results/benchmarks "$OUT/full_training_jobs"

if [ "$CASES" != none ]; then
    "$BIN/python" benchmarks/run_all.py --cases "$CASES" --impls jax,engine_jax --no-one-core --wait-idle 0 \
        --out "$OUT/bench.json" | tee "$OUT/bench.txt"
fi
echo "written: $OUT"
