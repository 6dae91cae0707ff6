#!/usr/bin/env bash
# End-to-end SLURM test for initstudy (issue 6).
#
#   tests/cluster/run_cluster_test.sh          # as root; installs SLURM if missing
#
# 1. starts a private single-node SLURM cluster (slurm_up.sh; stopped again by
#    slurm_down.sh on exit, whatever happens),
# 2. copies the workflow into a fresh temp dir and runs it through
#    `snakemake --profile workflow/profiles/slurm` (under timeout -k),
# 3. checks the jobs really went through SLURM: "Job ... has been submitted with
#    SLURM jobid N" in the snakemake log, every such N known to the cluster
#    (`scontrol show job N` -> COMPLETED), and at least one job present,
# 4. copies the workflow into a second temp dir, runs it locally
#    (--profile workflow/profiles/default --cores 2),
# 5. compares the result files of both runs (pandas DataFrame.equals for
#    parquet, exact bytes otherwise).
#
# Environment (all optional):
#   INITSTUDY_WORKFLOW_DIR   workflow to test (default: this repository). Copied,
#                            so relative paths (config/..., src/...) still work:
#                            git repos via `git ls-files --cached --others
#                            --exclude-standard` (tracked + untracked-not-ignored),
#                            other dirs via tar; .git, .venv, .snakemake, results
#                            are never copied.
#   INITSTUDY_CONFIGFILE     --configfile, relative to the workflow (config/quick.yaml;
#                            empty: none)
#   INITSTUDY_COMPARE        files compared between the runs
#                            ("results/metrics.parquet results/layers.parquet")
#   INITSTUDY_TARGETS        snakemake targets (default: none = first rule)
#   INITSTUDY_SNAKEMAKE      snakemake binary (<repo>/.venv/bin/snakemake)
#   INITSTUDY_SLURM_STATE    cluster state dir (/tmp/initstudy-slurm)
#   INITSTUDY_CLUSTER_TIMEOUT  seconds per snakemake run (1800)
#   INITSTUDY_KEEP=1         keep the temp dirs (printed) for inspection
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WF=$(cd "${INITSTUDY_WORKFLOW_DIR:-$REPO}" && pwd)
CONFIGFILE=${INITSTUDY_CONFIGFILE-config/quick.yaml}
COMPARE=${INITSTUDY_COMPARE:-results/metrics.parquet results/layers.parquet}
TARGETS=${INITSTUDY_TARGETS:-}
SNAKEMAKE=${INITSTUDY_SNAKEMAKE:-$REPO/.venv/bin/snakemake}
export INITSTUDY_SLURM_STATE=${INITSTUDY_SLURM_STATE:-/tmp/initstudy-slurm}
TIMEOUT=${INITSTUDY_CLUSTER_TIMEOUT:-1800}
PROFILE_SLURM=$REPO/workflow/profiles/slurm
PROFILE_LOCAL=$REPO/workflow/profiles/default

log() { printf '[cluster-test] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

[ -x "$SNAKEMAKE" ] || fail "snakemake not found at $SNAKEMAKE (set INITSTUDY_SNAKEMAKE)"
PY=$(dirname "$SNAKEMAKE")/python
[ -x "$PY" ] || PY=python3
# jobs run with sbatch --export=ALL: put the venv first so `python` in shell
# rules and the job-side snakemake resolve to the same interpreter
PATH="$(dirname "$SNAKEMAKE"):$PATH"
export PATH

TMP=$(mktemp -d /tmp/initstudy-cluster-test.XXXXXX)
cleanup() {
    local rc=$?
    "$HERE/slurm_down.sh" "$INITSTUDY_SLURM_STATE" || rc=1
    if [ "${INITSTUDY_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
        log "temp dirs kept in $TMP"
    else
        rm -rf "$TMP"
    fi
    if [ "$rc" -eq 0 ]; then log "PASS"; else log "FAILED (exit status $rc)"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

copy_workflow() {  # copy_workflow DEST
    mkdir -p "$1"
    if git -C "$WF" rev-parse --show-toplevel >/dev/null 2>&1 \
        && [ "$(git -C "$WF" rev-parse --show-toplevel)" = "$WF" ]; then
        (cd "$WF" && git ls-files -z --cached --others --exclude-standard \
            | "$PY" -c '
import os, sys
skip = (".git/", ".venv/", "venv/", ".snakemake/", "results/")
for f in sys.stdin.buffer.read().split(b"\0"):
    s = f.decode("utf-8", "surrogateescape")
    if f and os.path.lexists(f) and not s.startswith(skip):
        sys.stdout.buffer.write(f + b"\0")' \
            | tar --null -T - -cf -) | tar -xf - -C "$1"
    else
        tar -C "$WF" --exclude=./.git --exclude=./.venv --exclude=./venv \
            --exclude=./.snakemake --exclude=./results -cf - . | tar -xf - -C "$1"
    fi
}

# snakemake_run DIR LOGFILE ARGS...: run in DIR, output to LOGFILE
snakemake_run() {
    local dir=$1 logf=$2; shift 2
    local cfg=()
    [ -n "$CONFIGFILE" ] && cfg=(--configfile "$CONFIGFILE")
    # targets before --configfile, which takes every word after it as a config file
    # shellcheck disable=SC2086
    (cd "$dir" && timeout -k 30 "$TIMEOUT" "$SNAKEMAKE" $TARGETS --workflow-profile none \
        "$@" "${cfg[@]}") >"$logf" 2>&1
}

# ------------------------------------------------------------------ 1. SLURM
t0=$SECONDS
"$HERE/slurm_up.sh" "$INITSTUDY_SLURM_STATE"
# shellcheck disable=SC1091
source "$INITSTUDY_SLURM_STATE/env.sh"    # SLURM_CONF for sbatch/squeue/scontrol
log "SLURM up in $((SECONDS - t0)) s"

# ------------------------------------------------------------ 2. SLURM run
copy_workflow "$TMP/slurm"
t1=$SECONDS
log "snakemake --profile workflow/profiles/slurm in $TMP/slurm (timeout ${TIMEOUT}s)"
if ! snakemake_run "$TMP/slurm" "$TMP/slurm.log" --profile "$PROFILE_SLURM" \
        --slurm-init-seconds-before-status-checks 5 --slurm-keep-successful-logs; then
    tail -n 60 "$TMP/slurm.log" >&2
    for f in "$TMP"/slurm/.snakemake/slurm_logs/*/*/*.log; do
        [ -f "$f" ] && { printf '\n===== %s =====\n' "$f" >&2; tail -n 30 "$f" >&2; }
    done
    squeue -t all >&2 || true
    fail "snakemake SLURM run failed (log: $TMP/slurm.log)"
fi
log "SLURM run finished in $((SECONDS - t1)) s"

# ------------------------------------------------- 3. jobs really in SLURM
mapfile -t jobids < <(sed -n 's/.*submitted with SLURM jobid \([0-9][0-9]*\).*/\1/p' "$TMP/slurm.log" | sort -un)
[ "${#jobids[@]}" -gt 0 ] || { tail -n 40 "$TMP/slurm.log" >&2; fail "no 'submitted with SLURM jobid' lines in the snakemake log"; }
grep -q 'Using profile.*workflow/profiles/slurm' "$TMP/slurm.log" || fail "slurm profile not used"
for j in "${jobids[@]}"; do
    state=$(scontrol show job "$j" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
    [ "$state" = COMPLETED ] || fail "SLURM job $j: state '${state:-unknown to slurmctld}', expected COMPLETED"
done
# one SLURM job per non-local rule instance ("rule X:"; local ones are "localrule X:")
nremote=$(grep -c '^rule ' "$TMP/slurm.log" || true)
[ "$nremote" -eq "${#jobids[@]}" ] || fail "$nremote non-local jobs in the log but ${#jobids[@]} SLURM job ids"
for j in "${jobids[@]}"; do
    compgen -G "$TMP/slurm/.snakemake/slurm_logs/*/*$j.log" >/dev/null \
        || compgen -G "$TMP/slurm/.snakemake/slurm_logs/*/*/$j.log" >/dev/null \
        || fail "no .snakemake/slurm_logs/.../$j.log for SLURM job $j"
done
log "${#jobids[@]} SLURM jobs, all COMPLETED with logs in .snakemake/slurm_logs (ids ${jobids[*]});" \
    "$(grep -c '^localrule ' "$TMP/slurm.log" || true) local rule jobs"

# ------------------------------------------------------------ 4. local run
copy_workflow "$TMP/local"
t2=$SECONDS
log "snakemake --profile workflow/profiles/default --cores 2 in $TMP/local"
if ! snakemake_run "$TMP/local" "$TMP/local.log" --profile "$PROFILE_LOCAL" --cores 2; then
    tail -n 60 "$TMP/local.log" >&2
    fail "local snakemake run failed (log: $TMP/local.log)"
fi
log "local run finished in $((SECONDS - t2)) s"

# ------------------------------------------------------------- 5. compare
# shellcheck disable=SC2086
"$PY" - "$TMP/slurm" "$TMP/local" $COMPARE <<'EOF' || fail "SLURM and local results differ"
import sys
from pathlib import Path

a_root, b_root, files = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
bad = 0
for rel in files:
    a, b = a_root / rel, b_root / rel
    if not a.is_file() or not b.is_file():
        print(f"  MISSING {rel}: slurm={a.is_file()} local={b.is_file()}")
        bad += 1
        continue
    if rel.endswith(".parquet"):
        import pandas as pd
        da, db = pd.read_parquet(a), pd.read_parquet(b)
        same = da.equals(db) and list(da.columns) == list(db.columns) \
            and list(da.dtypes) == list(db.dtypes)
        info = f"{da.shape[0]} rows x {da.shape[1]} cols"
    else:
        same = a.read_bytes() == b.read_bytes()
        info = f"{a.stat().st_size} bytes"
    print(f"  {'same' if same else 'DIFFERENT'}: {rel} ({info})")
    bad += not same
sys.exit(1 if bad else 0)
EOF
log "results identical; total $((SECONDS - t0)) s"
