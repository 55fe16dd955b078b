#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The small sweep on a real SLURM (docs/sweeps.md, "On a SLURM cluster"):
# brings up a single-node cluster on this host (munged, slurmctld and
# slurmd from Debian's slurm-wlm and munge, a generated slurm.conf, all in
# a scratch folder, on ports of their own), runs the sweep as one job
# array with 2 runs per task and at most 2 tasks at once, waits for it
# through `qkmsim sweep status`, merges, and checks that the merged
# results equal the local executor's bit for bit. Everything it started is
# stopped at the end. Where SLURM cannot start, it says so and fails.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d /tmp/qkm-slurm.XXXXXX) || exit 1
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    sleep 1
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "FAIL: $*"; for f in "$tmp"/log/*; do [ -f "$f" ] && { echo "== $f"; tail -n 20 "$f"; }; done; exit 1; }

for prog in munged slurmctld slurmd sbatch sinfo; do
    command -v "$prog" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
    command -v "$prog" >/dev/null 2>&1 ||
        die "$prog not found: install Debian's slurm-wlm and munge (README's set-up does)"
done
[ "$(id -u)" -eq 0 ] || die "a single-node SLURM needs root here (munged, slurmd)"

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/munge"

# munge: a key of our own and a socket of our own
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1 count=1024 2>/dev/null
chmod 600 "$tmp/munge/munge.key"
sock="$tmp/munge/munge.socket"
munged --force --key-file="$tmp/munge/munge.key" --socket="$sock" \
    --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" \
    --seed-file="$tmp/munge/seed" 2>"$tmp/log/munged.err" ||
    die "munged did not start: $(cat "$tmp/log/munged.err")"
sleep 0.5
pids="$pids $(cat "$tmp/munge/munged.pid")"

cat > "$tmp/slurm.conf" <<EOF
ClusterName=qkmtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SlurmctldPort=16917
SlurmdPort=16918
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=qkm Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -f "$SLURM_CONF" -i 2>"$tmp/log/slurmctld.err" || die "slurmctld did not start"
slurmd -f "$SLURM_CONF" 2>"$tmp/log/slurmd.err" || die "slurmd did not start"
for _ in $(seq 60); do
    [ -f "$tmp/slurmctld.pid" ] && [ -f "$tmp/slurmd.pid" ] && break
    sleep 0.5
done
pids="$pids $(cat "$tmp/slurmctld.pid" 2>/dev/null) $(cat "$tmp/slurmd.pid" 2>/dev/null)"
up=""
for _ in $(seq 60); do
    sinfo -h -o '%t' 2>/dev/null | grep -q -e idle -e mix -e alloc && { up=1; break; }
    sleep 0.5
done
[ -n "$up" ] || die "the SLURM node did not come up: $(sinfo 2>&1)"

sw="$SRCDIR/tests/sweep/small.xml"
"$QKMSIM" sweep run "$sw" -d "$tmp/local" -j 2 -q || die "the local sweep exited $?"
"$QKMSIM" sweep merge "$sw" -d "$tmp/local" > /dev/null || die "the local merge exited $?"

"$QKMSIM" sweep run "$sw" -d "$tmp/slurm" --executor slurm --partition qkm \
    --max-parallel 2 --runs-per-task 2 > "$tmp/submit" || die "submission exited $?"
grep -q "submitted job [0-9]" "$tmp/submit" || die "no job id: $(cat "$tmp/submit")"
grep -q -- "--array\|#SBATCH" "$tmp/slurm/slurm/job.sh" || die "no job script"
done=""
for _ in $(seq 240); do
    "$QKMSIM" sweep status "$sw" -d "$tmp/slurm" > "$tmp/status"
    grep -q "12 runs: 12 done, 0 failed, 0 pending" "$tmp/status" && { done=1; break; }
    grep -q "failed, 0 pending" "$tmp/status" && ! grep -q " 0 failed" "$tmp/status" && break
    sleep 0.5
done
[ -n "$done" ] || die "the SLURM sweep did not finish: $(cat "$tmp/status"; squeue 2>&1;
    cat "$tmp"/slurm/slurm/task-*.out 2>/dev/null | tail -n 5)"
ls "$tmp"/slurm/slurm/task-*.out > /dev/null 2>&1 || die "no array task wrote its output"
[ "$(ls "$tmp"/slurm/slurm/task-*.out | wc -l)" -eq 6 ] ||
    die "expected 6 array tasks of 2 runs, found $(ls "$tmp"/slurm/slurm/task-*.out | wc -l)"
"$QKMSIM" sweep merge "$sw" -d "$tmp/slurm" > /dev/null || die "the SLURM merge exited $?"
for f in results.csv points.csv; do
    cmp "$tmp/local/$f" "$tmp/slurm/$f" || die "$f differs between the local and SLURM executors"
done
"$PYTHON3" - "$tmp/local/results.h5" "$tmp/slurm/results.h5" <<'EOF' || die "results.h5 differ"
import sys, h5py
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
for t in ("runs", "points"):
    assert a[t][()].tobytes() == b[t][()].tobytes(), t
EOF
"$PYTHON3" "$SRCDIR/tests/check_sweep.py" "$tmp/slurm" 3 || die "the SLURM results do not check"
echo "sweep_slurm: 12 runs in 6 array tasks on SLURM; results equal the local executor's"
