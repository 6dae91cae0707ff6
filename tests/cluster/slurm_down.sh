#!/usr/bin/env bash
# Stop the private SLURM cluster started by tests/cluster/slurm_up.sh.
#
#   tests/cluster/slurm_down.sh [STATE_DIR]
#
# Stops only what slurm_up.sh started: the PIDs recorded in
# STATE_DIR/pids/*.pid (checked against the expected process name, so a stale
# file never kills a reused PID), plus leftover processes that carry
# slurm_up.sh's marker INITSTUDY_SLURM_DAEMON=STATE_DIR in their environment
# (e.g. slurmstepd of a job still running).  Never kills by process name.
# Also removes the /etc/slurm/slurm.conf symlink if it points to STATE_DIR.
# Idempotent: a second call finds nothing to stop and exits 0.
# Logs and config stay in STATE_DIR for inspection.
set -uo pipefail

STATE=${1:-${INITSTUDY_SLURM_STATE:-/tmp/initstudy-slurm}}
STATE=$(realpath -m "$STATE")
log() { printf '[slurm_down] %s\n' "$*" >&2; }

if [ ! -d "$STATE/pids" ]; then
    log "no cluster state in $STATE; nothing to stop"
    exit 0
fi
export SLURM_CONF="$STATE/slurm.conf"

pid_of() {
    local f="$STATE/pids/$1.pid" pid
    [ -s "$f" ] || return 1
    pid=$(tr -dc '0-9' <"$f")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
    echo "$pid"
}

# stop_pid PID LABEL: SIGTERM, wait up to 15 s, then SIGKILL.
stop_pid() {
    local pid=$1 label=$2
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 75); do
        kill -0 "$pid" 2>/dev/null || { log "stopped $label (pid $pid)"; return 0; }
        sleep 0.2
    done
    log "$label (pid $pid) ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    log "WARNING: $label (pid $pid) still alive"
    return 1
}

rc=0
# Cancel jobs still queued/running on *this* cluster (SLURM_CONF points at it).
if pid_of slurmctld >/dev/null && [ -f "$SLURM_CONF" ]; then
    jobs=$(timeout 10 squeue -h -t PENDING,RUNNING,SUSPENDED,COMPLETING -o '%i' 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
        log "cancelling jobs: $jobs"
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null || true
        sleep 2
    fi
fi

for name in slurmd slurmctld munged; do
    if pid=$(pid_of "$name"); then
        stop_pid "$pid" "$name" || rc=1
    fi
    rm -f "$STATE/pids/$name.pid"
done

# Leftovers started by our daemons (slurmstepd etc.), identified by the marker.
mark="INITSTUDY_SLURM_DAEMON=$STATE"
for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$$" ] && continue
    if tr '\0' '\n' 2>/dev/null <"$d/environ" | grep -qxF "$mark"; then
        stop_pid "$p" "$(cat "$d/comm" 2>/dev/null) (leftover)" || rc=1
    fi
done

# the /etc/slurm/slurm.conf symlink made by slurm_up.sh (only if it is ours)
if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$STATE/slurm.conf" ]; then
    rm -f /etc/slurm/slurm.conf
fi

[ "$rc" -eq 0 ] && log "SLURM down ($STATE)"
exit "$rc"
