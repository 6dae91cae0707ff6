#!/usr/bin/env bash
# Start a private, single-node SLURM cluster (munged + slurmctld + slurmd) for
# the initstudy cluster test.  Debian/Ubuntu only; must run as root.
#
#   tests/cluster/slurm_up.sh [STATE_DIR]
#
# STATE_DIR (default: $INITSTUDY_SLURM_STATE or /tmp/initstudy-slurm) holds
# everything: slurm.conf, munge key + socket, spool/state dirs, logs and the
# daemons' PID files (STATE_DIR/pids/{munged,slurmctld,slurmd}.pid).  Clients
# find the cluster through SLURM_CONF:
#
#   source STATE_DIR/env.sh      # exports SLURM_CONF=STATE_DIR/slurm.conf
#
# The only file written outside STATE_DIR is the symlink
# /etc/slurm/slurm.conf -> STATE_DIR/slurm.conf (needed by the srun that runs
# inside each snakemake job, see below); it is created only if no real
# slurm.conf is there, and removed again by slurm_down.sh.
#
# Re-runnable: if the cluster in STATE_DIR is already up this is a no-op; a
# half-started one is stopped (tests/cluster/slurm_down.sh) and restarted.
# Stop with tests/cluster/slurm_down.sh [STATE_DIR].
#
# Tunables (env): INITSTUDY_SLURMCTLD_PORT (6817), INITSTUDY_SLURMD_PORT (6818),
# INITSTUDY_SLURM_WAIT (seconds per readiness wait, 60).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${1:-${INITSTUDY_SLURM_STATE:-/tmp/initstudy-slurm}}
STATE=$(realpath -m "$STATE")
CTLD_PORT=${INITSTUDY_SLURMCTLD_PORT:-6817}
SLURMD_PORT=${INITSTUDY_SLURMD_PORT:-6818}
WAIT=${INITSTUDY_SLURM_WAIT:-60}

log() { printf '[slurm_up] %s\n' "$*" >&2; }

dump_logs() {
    local f
    for f in "$STATE"/munge/munged.log "$STATE"/log/*; do
        [ -f "$f" ] || continue
        printf '\n===== %s (last 40 lines) =====\n' "$f" >&2
        tail -n 40 "$f" >&2 || true
    done
}

STARTED=
die() {
    log "ERROR: $*"
    dump_logs
    # do not leave half a cluster behind
    if [ -n "$STARTED" ]; then "$HERE/slurm_down.sh" "$STATE" || true; fi
    exit 1
}

[ "$(id -u)" -eq 0 ] || { log "ERROR: must run as root (munged/slurmd)"; exit 1; }

# ---------------------------------------------------------------- packages
need_pkgs=()
command -v munged >/dev/null || need_pkgs+=(munge)
command -v slurmctld >/dev/null || need_pkgs+=(slurmctld)
command -v slurmd >/dev/null || need_pkgs+=(slurmd)
command -v sbatch >/dev/null || need_pkgs+=(slurm-client)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || { log "ERROR: missing ${need_pkgs[*]} and no apt-get"; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    # apt-get update only when the package lists do not know the packages yet
    for p in "${need_pkgs[@]}"; do
        if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
            log "apt-get update"
            apt-get update -qq >&2
            break
        fi
    done
    log "installing ${need_pkgs[*]}"
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2 \
        || { log "ERROR: apt-get install ${need_pkgs[*]} failed"; exit 1; }
fi
id munge >/dev/null 2>&1 || { log "ERROR: user 'munge' missing (munge package broken?)"; exit 1; }

export SLURM_CONF="$STATE/slurm.conf"

# -------------------------------------------------------------- PID helpers
# pid_of NAME: print the PID recorded for daemon NAME if that process is alive
# and really is NAME (guards against stale PID files / reused PIDs).
pid_of() {
    local f="$STATE/pids/$1.pid" pid
    [ -s "$f" ] || return 1
    pid=$(tr -dc '0-9' <"$f")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
    echo "$pid"
}

node_state() { timeout 5 sinfo -h -N -o '%T' 2>/dev/null | head -n1; }

cluster_ready() {
    [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$SLURM_CONF" ] \
        && pid_of munged >/dev/null && pid_of slurmctld >/dev/null && pid_of slurmd >/dev/null \
        && timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP' \
        && case "$(node_state)" in idle* | mixed* | allocated* | completing*) true ;; *) false ;; esac
}

if [ -f "$STATE/slurm.conf" ]; then
    if cluster_ready; then
        log "already running in $STATE (node: $(node_state)); nothing to do"
        exit 0
    fi
    if pid_of munged >/dev/null || pid_of slurmctld >/dev/null || pid_of slurmd >/dev/null; then
        log "found a half-running cluster in $STATE; stopping it first"
        "$HERE/slurm_down.sh" "$STATE"
    fi
fi

# ------------------------------------------------------------ fresh state
# Only our own sub-directories are wiped (STATE may be a shared parent dir).
rm -rf "$STATE/munge" "$STATE/ctld" "$STATE/spool" "$STATE/log" "$STATE/pids" \
       "$STATE/slurm.conf" "$STATE/plugstack.conf" "$STATE/env.sh"
mkdir -p "$STATE"/{ctld,spool,log,pids}
chmod 755 "$STATE"
install -d -o munge -g munge -m 0711 "$STATE/munge"

HOST=$(hostname -s)
read -r CPUS REALMEM < <(slurmd -C | awk '
    /^NodeName=/ { for (i = 1; i <= NF; i++) { split($i, kv, "=");
        if (kv[1] == "CPUs") c = kv[2]; if (kv[1] == "RealMemory") m = kv[2] } }
    END { print c, m }')
if [ -z "${CPUS:-}" ] || [ -z "${REALMEM:-}" ]; then die "could not parse 'slurmd -C'"; fi
# default memory per CPU: half the node split over its CPUs, at most 1 GB
DEFMEM=$(( REALMEM / CPUS / 2 )); [ "$DEFMEM" -gt 1024 ] && DEFMEM=1024

: >"$STATE/plugstack.conf"
cat >"$SLURM_CONF" <<EOF
# Generated by tests/cluster/slurm_up.sh -- private single-node test cluster.
ClusterName=initstudy
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$STATE/munge/munge.socket.2
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/pids/slurmctld.pid
SlurmdPidFile=$STATE/pids/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
PlugStackConfig=$STATE/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# without DefMemPerCPU a job without --mem gets the whole node's memory
DefMemPerCPU=$DEFMEM
# finished jobs stay visible to squeue for 10 min; the snakemake slurm plugin
# needs MinJobAge >= 3 * slurm-init-seconds-before-status-checks to use squeue
MinJobAge=600
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$REALMEM State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
printf 'export SLURM_CONF=%q\n' "$SLURM_CONF" >"$STATE/env.sh"

# SLURM_CONF is not enough: inside a job, snakemake's slurm-jobstep plugin
# strips SLURM_* variables (SLURM_CONF included) before its nested `srun`, which
# then only finds the default /etc/slurm/slurm.conf. So point that at ours via a
# symlink -- but never replace a real (non-generated) slurm.conf.
ETC_CONF=/etc/slurm/slurm.conf
if [ -e "$ETC_CONF" ] || [ -L "$ETC_CONF" ]; then
    other=$(readlink "$ETC_CONF" 2>/dev/null || true)
    if [ -L "$ETC_CONF" ] && { [ ! -e "$ETC_CONF" ] \
            || grep -q '^# Generated by tests/cluster/slurm_up.sh' "$ETC_CONF"; }; then
        odir=$(dirname "$other")
        if [ "$odir" != "$STATE" ] && [ -s "$odir/pids/slurmctld.pid" ] \
            && [ "$(cat "/proc/$(tr -dc '0-9' <"$odir/pids/slurmctld.pid")/comm" 2>/dev/null)" = slurmctld ]; then
            die "another test cluster is running from $odir; stop it first: $HERE/slurm_down.sh $odir"
        fi
        ln -sfn "$SLURM_CONF" "$ETC_CONF"
    else
        die "$ETC_CONF exists and is not ours; refusing to touch a real SLURM config"
    fi
else
    mkdir -p /etc/slurm
    ln -s "$SLURM_CONF" "$ETC_CONF"
fi

# Every daemon carries this marker in its environment (slurmstepd inherits it
# from slurmd), so slurm_down.sh can find leftovers it started -- and only those.
MARK="INITSTUDY_SLURM_DAEMON=$STATE"

# ------------------------------------------------------------------ munged
mungekey --create --keyfile="$STATE/munge/munge.key" >/dev/null 2>&1 \
    || dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1 count=1024 status=none
chown munge:munge "$STATE/munge/munge.key"
chmod 0400 "$STATE/munge/munge.key"
STARTED=1
log "starting munged"
runuser -u munge -- env "$MARK" /usr/sbin/munged \
    --socket="$STATE/munge/munge.socket.2" \
    --key-file="$STATE/munge/munge.key" \
    --pid-file="$STATE/munge/munged.pid" \
    --log-file="$STATE/munge/munged.log" \
    --seed-file="$STATE/munge/munged.seed" \
    </dev/null >>"$STATE/log/munged.out" 2>&1 || die "munged failed to start"
deadline=$((SECONDS + WAIT))
while [ "$SECONDS" -lt "$deadline" ]; do
    [ -s "$STATE/munge/munged.pid" ] && [ -S "$STATE/munge/munge.socket.2" ] && break
    sleep 0.2
done
cp "$STATE/munge/munged.pid" "$STATE/pids/munged.pid" 2>/dev/null || die "munged wrote no PID file"
pid_of munged >/dev/null || die "munged is not running"
munge -S "$STATE/munge/munge.socket.2" -n </dev/null \
    | unmunge -S "$STATE/munge/munge.socket.2" >/dev/null 2>&1 || die "munge self-test failed"

# --------------------------------------------------------------- slurmctld
log "starting slurmctld"
env "$MARK" slurmctld -i -f "$SLURM_CONF" </dev/null >>"$STATE/log/slurmctld.out" 2>&1 \
    || die "slurmctld failed to start"
ok=
deadline=$((SECONDS + WAIT))
while [ "$SECONDS" -lt "$deadline" ]; do
    if timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP'; then ok=1; break; fi
    # it daemonizes first; a vanished PID means it died (e.g. port in use)
    [ -s "$STATE/pids/slurmctld.pid" ] && ! pid_of slurmctld >/dev/null && die "slurmctld exited"
    sleep 1
done
[ -n "$ok" ] || die "slurmctld not UP after ${WAIT}s"
pid_of slurmctld >/dev/null || die "slurmctld PID file missing or stale"

# ------------------------------------------------------------------ slurmd
log "starting slurmd"
env "$MARK" slurmd -f "$SLURM_CONF" -N "$HOST" </dev/null >>"$STATE/log/slurmd.out" 2>&1 \
    || die "slurmd failed to start"
ok=
deadline=$((SECONDS + WAIT))
while [ "$SECONDS" -lt "$deadline" ]; do
    [ -s "$STATE/pids/slurmd.pid" ] && ! pid_of slurmd >/dev/null && die "slurmd exited"
    case "$(node_state)" in
        idle* | mixed* | allocated*) ok=1; break ;;
        drain* | down* | fail*) die "node $HOST is $(node_state): $(sinfo -h -R 2>/dev/null)" ;;
    esac
    sleep 1
done
[ -n "$ok" ] || die "node $HOST not idle after ${WAIT}s (state: $(node_state))"
pid_of slurmd >/dev/null || die "slurmd PID file missing or stale"

log "SLURM up: state=$STATE node=$HOST cpus=$CPUS mem=${REALMEM}MB" \
    "pids: munged=$(pid_of munged) slurmctld=$(pid_of slurmctld) slurmd=$(pid_of slurmd)"
log "clients: source $STATE/env.sh   (SLURM_CONF=$SLURM_CONF)"
