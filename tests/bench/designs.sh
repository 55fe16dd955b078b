#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/designs.sh - the cost of each storage design (not a test).
#
# Runs scenarios/compare-designs.xml under every storage design for a long
# simulated time with the level trace off, and prints the events run, the
# wall time and events per second that qkmsim reports, and (when valgrind
# is installed) callgrind's instruction count per event, which, unlike
# wall time, is the same on every machine.
#
# Usage: tests/bench/designs.sh         (from the build directory)
#   QKMSIM=path/to/qkmsim   the program (default ./qkmsim)
#   SRCDIR=path             the source tree (default: this script's ../..)
#   BENCH_UNTIL=T           simulated time of the timed runs (default 20h)
#   BENCH_CG_UNTIL=T        simulated time of the callgrind runs (default 2h)
#   BENCH_CALLGRIND=0       skip the callgrind counts
set -eu

QKMSIM=${QKMSIM:-./qkmsim}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
UNTIL=${BENCH_UNTIL:-20h}
CG_UNTIL=${BENCH_CG_UNTIL:-2h}
scn="$SRCDIR/scenarios/compare-designs.xml"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ ! -x "$QKMSIM" ]; then
    echo "designs.sh: $QKMSIM is not an executable; build it or set QKMSIM" >&2
    exit 2
fi
cg=1
[ "${BENCH_CALLGRIND:-1}" = 0 ] && cg=0
command -v valgrind >/dev/null 2>&1 || cg=0
# A libtool wrapper script would be profiled instead of the program.
[ "$(head -c 4 "$QKMSIM" | od -An -c | tr -d ' ')" = '177ELF' ] || cg=0

# One design per line: label, then its overrides.
designs='shared //storage/@design=shared
q3p //storage/@design=q3p
session //storage/@design=session
collide //storage/@design=collide //storage/@remedy=none
collide-opposite-ends //storage/@design=collide //storage/@remedy=opposite-ends
collide-working-set //storage/@design=collide //storage/@remedy=working-set'

echo "== storage designs: $scn, --until $UNTIL, levels off"
printf '%-22s %10s %8s %12s %14s\n' design events wall_s events_per_s instr_per_event
echo "$designs" | while read -r label o1 o2; do
    set -- -p "//trace/@levels=off" -p "$o1"
    [ -n "${o2:-}" ] && set -- "$@" -p "$o2"
    report=$("$QKMSIM" run "$scn" -o "$out/$label.h5" --force --until "$UNTIL" "$@")
    events=$(echo "$report" | awk '/events,/ { print $3 }')
    wall=$(echo "$report" | awk -F'[(]' '/s wall/ { split($2, a, " "); print a[1] }')
    per=n/a
    if [ "$cg" = 1 ]; then
        refs=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$QKMSIM" run "$scn" \
                 -o "$out/cg.h5" --force --until "$CG_UNTIL" --quiet "$@" 2>&1 |
               awk '/ refs:/ { gsub(",", "", $NF); print $NF }')
        cg_events=$("$QKMSIM" run "$scn" -o "$out/cg.h5" --force --until "$CG_UNTIL" "$@" |
                    awk '/events,/ { print $3 }')
        per=$(awk -v r="$refs" -v e="$cg_events" 'BEGIN { printf "%.0f", r / e }')
    fi
    rate=$(awk -v e="$events" -v w="$wall" 'BEGIN { if (w > 0) printf "%.3g", e / w; else print "n/a" }')
    printf '%-22s %10s %8s %12s %14s\n' "$label" "$events" "$wall" "$rate" "$per"
done

# Growth with the run length: collide at low demand with a large store
# holds thousands of ranges, and every notice used to rebuild the whole
# store (kstore_remove), so the cost grew with the square of the run
# (1.9, 7.3, 28.1 s for 2.5, 5, 10 h before the fix; about 0.1-0.2 s
# after). Doubling the run should about double wall_s.
growth="$SRCDIR/scenarios/collisions.xml"
echo "== collide, growth with run length: $growth, 1 request/s per client, 1 Gb stores, levels off"
printf '%-22s %10s %8s\n' until events wall_s
for until in 2.5h 5h 10h; do
    report=$("$QKMSIM" run "$growth" -o "$out/growth.h5" --until "$until" \
             -p "//trace/@levels=off" -p "//arrivals/@rate=1/s" -p "//store/@capacity=1Gb")
    events=$(echo "$report" | awk '/events,/ { print $3 }')
    wall=$(echo "$report" | awk -F'[(]' '/s wall/ { split($2, a, " "); print a[1] }')
    printf '%-22s %10s %8s\n' "$until" "$events" "$wall"
done
