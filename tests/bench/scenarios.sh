#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/scenarios.sh - the benchmark scenarios of issue 14 (not a test).
#
# Runs each benchmark once and prints one line per benchmark:
#   name events wall_s events_per_s peak_MiB trace_bytes cpu_s load
# events from the run's report ("simulated ...: N events"), wall time,
# peak memory (maximum resident set) and CPU time (user + system) from
# /usr/bin/time (GNU time's %e, %M, %U + %S); events_per_s is per wall
# second, trace_bytes the size of the HDF5 file written (0 for the kernel),
# load the 1-minute load average before the run (the machine may be shared:
# read wall figures with it). The benchmarks:
#   kernel             `qkmsim bench kernel` (hold model, 100,000 pending):
#                      the kernel's rate, the yardstick of "events/s"
#   geo1000            geometric-1000.xml: 1,000 nodes, ~2,800 decoy-BB84
#                      links, 5,000 ETSI 014 pairs, 1 h, default trace
#   geo1000-notrace    the same with --summary-only (HDF5 cost = the difference)
#   geo1000-requests   the same with every request logged (-O requests=all)
#   geo1000-relay      geometric-1000-relay.xml: the same network, 5,000
#                      pairs between random nodes, relayed, 1 h, default trace
#   geo1000-relay-ct   the same with <relay cut-through="true"> (a model
#                      option: free hops ahead taken at once, docs/models.md)
#   qkdnetsim          qkdnetsim.xml, 10 days, default trace
#   qkdnetsim-notrace  the same with --summary-only
#   qkdnetsim-detail   the same with the detailed logs (-O levels=on-change
#                      -O blocks=true): the default trace before issue 14;
#                      not run unless named
#   geo10000           10,000 nodes (radius 0.0139: ~28,000 links), 50,000
#                      pairs, BENCH_BIG_UNTIL (default 5 min): the memory target
#   geo100             100 nodes (radius 0.139: ~280 links), 500 pairs, 1 h
#   geo-N-T            N nodes, 5 N pairs, radius 0.044 sqrt(1000 / N) (the
#                      same mean degree, about 5.6), T simulated (e.g.
#                      geo-10000-2min): the scaling runs of docs/performance.md
#                      (analysis/plot_scaling.py plots their lines)
#
# Usage: tests/bench/scenarios.sh [NAME ...]   (from the build directory)
#   QKMSIM=path/to/qkmsim   the program (default ./qkmsim)
#   SRCDIR=path             the source tree (default: this script's ../..)
#   BENCH_SMOKE=1           tiny sizes (seconds in all): what `make check`
#                           runs (tests/bench_smoke.sh) so the script cannot rot
#   BENCH_UNTIL=T           simulated time of the geo runs (default 1h)
#   BENCH_QKD_UNTIL=T       simulated time of the qkdnetsim runs (default 10d)
#   BENCH_BIG_UNTIL=T       simulated time of geo10000 (default 5min)
#   BENCH_KEEP=DIR          keep the traces in DIR
#   geo1000-hugepages is geo1000 with GLIBC_TUNABLES=glibc.malloc.hugetlb=1
#   (glibc 2.35 or later: malloc asks the kernel for transparent huge pages;
#   the same results, fewer TLB misses; docs/performance.md, "Huge pages");
#   run only when named.
#   BENCH_CALLGRIND=1       also run each geo benchmark once more under
#                           callgrind, counting the instructions of the run
#                           loop only (--toggle-collect=sim_run: not the
#                           build of the world, not the trace's opening), and
#                           add instr=N and instr_per_event=X to its line
#                           (deterministic, unlike the times)
set -eu

QKMSIM=${QKMSIM:-./qkmsim}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
here="$SRCDIR/tests/bench"
out=${BENCH_KEEP:-$(mktemp -d)}
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$out"' EXIT
mkdir -p "$out"

if [ ! -x "$QKMSIM" ]; then
    echo "scenarios.sh: $QKMSIM is not an executable; build it or set QKMSIM" >&2
    exit 2
fi
if [ ! -x /usr/bin/time ]; then
    echo "scenarios.sh: needs GNU time (/usr/bin/time)" >&2
    exit 2
fi

if [ "${BENCH_SMOKE:-0}" = 1 ]; then
    UNTIL=20s QKD_UNTIL=1h BIG_UNTIL=5s
    KERNEL="--pending 1000 --events 100000"
    GEO="-p //generate/@nodes=80 -p //generate/@radius=0.2 -p //mix/@pairs=60"
    BIG="-p //generate/@nodes=150 -p //generate/@radius=0.15 -p //mix/@pairs=200"
    SMALL="-p //generate/@nodes=30 -p //generate/@radius=0.3 -p //mix/@pairs=20"
else
    UNTIL=${BENCH_UNTIL:-1h} QKD_UNTIL=${BENCH_QKD_UNTIL:-10d} BIG_UNTIL=${BENCH_BIG_UNTIL:-5min}
    KERNEL="--pending 100000 --events 10000000"
    GEO=""
    BIG="-p //generate/@nodes=10000 -p //generate/@radius=0.0139 -p //mix/@pairs=50000"
    SMALL="-p //generate/@nodes=100 -p //generate/@radius=0.139 -p //mix/@pairs=500"
fi

load() { cut -d' ' -f1 /proc/loadavg; }

# bench NAME SCENARIO UNTIL ARGS...: one run, one line.
bench() {
    name=$1 scn=$2 until=$3
    shift 3
    l=$(load)
    # shellcheck disable=SC2086
    /usr/bin/time -o "$out/$name.time" -f "%e %M %U %S" \
        env ${run_env:-} "$QKMSIM" run "$scn" --until "$until" -o "$out/$name.h5" --force "$@" \
        > "$out/$name.log" 2>&1 || { echo "$name FAILED: $(tail -n 2 "$out/$name.log")"; return 1; }
    events=$(sed -n 's/^simulated [^:]*: \([0-9]*\) events.*/\1/p' "$out/$name.log")
    read -r wall kb user sys < "$out/$name.time"
    bytes=$(wc -c < "$out/$name.h5")
    instr=
    if [ "${BENCH_CALLGRIND:-0}" = 1 ]; then
        valgrind --tool=callgrind --callgrind-out-file="$out/$name.cg" --toggle-collect=sim_run \
            "$QKMSIM" run "$scn" --until "$until" -o "$out/$name.cg.h5" --force "$@" \
            > "$out/$name.cg.log" 2>&1 || { echo "$name FAILED under callgrind"; return 1; }
        instr=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out/$name.cg")
        [ -n "$instr" ] || { echo "$name: no instruction total in $out/$name.cg"; return 1; }
    fi
    awk -v n="$name" -v e="$events" -v w="$wall" -v kb="$kb" -v b="$bytes" -v l="$l" \
        -v c="$user" -v s="$sys" -v i="$instr" 'BEGIN {
        printf "%-18s events=%d wall_s=%.2f events_per_s=%.0f peak_MiB=%.1f trace_bytes=%d cpu_s=%.2f load=%s",
               n, e, w, (w > 0 ? e / w : 0), kb / 1024, b, c + s, l
        if (i != "") printf " instr=%s instr_per_event=%.1f", i, (e > 0 ? i / e : 0)
        printf "\n" }'
}

kernel() {
    l=$(load)
    # shellcheck disable=SC2086
    /usr/bin/time -o "$out/kernel.time" -f "%e %M %U %S" "$QKMSIM" bench kernel $KERNEL > "$out/kernel.log"
    read -r wall kb user sys < "$out/kernel.time"
    sed -n 's/.*events=\([0-9]*\) kernel_s=\([0-9.]*\) rate=\([0-9]*\).*/\1 \2 \3/p' "$out/kernel.log" |
        awk -v kb="$kb" -v l="$l" -v c="$user" -v s="$sys" '{
            printf "%-18s events=%d wall_s=%.2f events_per_s=%d peak_MiB=%.1f trace_bytes=0 cpu_s=%.2f load=%s\n",
                   "kernel", $1, $2, $3, kb / 1024, c + s, l }'
}

names=${*:-"kernel geo100 geo1000 geo1000-notrace geo1000-requests geo1000-relay geo1000-relay-ct qkdnetsim qkdnetsim-notrace geo10000"}
status=0
for n in $names; do
    # shellcheck disable=SC2086
    case $n in
    kernel) kernel || status=1 ;;
    geo100) bench geo100 "$here/geometric-1000.xml" "$UNTIL" $SMALL || status=1 ;;
    geo1000) bench geo1000 "$here/geometric-1000.xml" "$UNTIL" $GEO || status=1 ;;
    geo1000-hugepages) run_env=GLIBC_TUNABLES=glibc.malloc.hugetlb=1 &&
        bench geo1000-hugepages "$here/geometric-1000.xml" "$UNTIL" $GEO || status=1
        run_env= ;;
    geo1000-notrace) bench geo1000-notrace "$here/geometric-1000.xml" "$UNTIL" $GEO --summary-only || status=1 ;;
    geo1000-requests) bench geo1000-requests "$here/geometric-1000.xml" "$UNTIL" $GEO -O requests=all || status=1 ;;
    geo1000-relay) bench geo1000-relay "$here/geometric-1000-relay.xml" "$UNTIL" $GEO || status=1 ;;
    geo1000-relay-ct) bench geo1000-relay-ct "$here/geometric-1000-relay.xml" "$UNTIL" $GEO \
        -p //relay/@cut-through=true || status=1 ;;
    qkdnetsim) bench qkdnetsim "$here/qkdnetsim.xml" "$QKD_UNTIL" || status=1 ;;
    qkdnetsim-notrace) bench qkdnetsim-notrace "$here/qkdnetsim.xml" "$QKD_UNTIL" --summary-only || status=1 ;;
    qkdnetsim-detail) bench qkdnetsim-detail "$here/qkdnetsim.xml" "$QKD_UNTIL" -O levels=on-change \
        -O blocks=true || status=1 ;;
    geo10000) bench geo10000 "$here/geometric-1000.xml" "$BIG_UNTIL" $BIG || status=1 ;;
    geo-*-*)
        nodes=${n#geo-} && nodes=${nodes%%-*}
        radius=$(awk -v n="$nodes" 'BEGIN { r = 0.044 * sqrt(1000 / n); printf "%.6f", (r > 1.414) ? 1.414 : r }')
        bench "$n" "$here/geometric-1000.xml" "${n##*-}" -p "//generate/@nodes=$nodes" \
            -p "//generate/@radius=$radius" -p "//mix/@pairs=$((5 * nodes))" || status=1 ;;
    *) echo "scenarios.sh: unknown benchmark '$n'" >&2; status=2 ;;
    esac
done
exit $status
