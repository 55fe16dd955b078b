#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/scenarios.sh at tiny sizes (BENCH_SMOKE=1), so that the
# benchmark script and its scenarios cannot rot: every benchmark runs and
# prints its line with events > 0, and the scenarios stay valid. No timing
# is asserted (speed is measured by tests/bench/, docs/performance.md).
# The geo-N-T runs and analysis/plot_scaling.py too.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
if [ ! -x /usr/bin/time ]; then
    echo "SKIP: GNU time (/usr/bin/time) is not installed"
    exit 77
fi
BENCH_SMOKE=1 QKMSIM="$QKMSIM" SRCDIR="$SRCDIR" sh "$SRCDIR/tests/bench/scenarios.sh" > "$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ $rc -eq 0 ] || { echo "FAIL: scenarios.sh exited $rc"; exit 1; }
fail=0
for n in kernel geo100 geo1000 geo1000-notrace geo1000-requests geo1000-relay geo1000-relay-ct qkdnetsim qkdnetsim-notrace geo10000; do
    grep -Eq "^$n +events=[1-9][0-9]* wall_s=[0-9.]+ events_per_s=[0-9]+ peak_MiB=[0-9.]+ trace_bytes=[0-9]+ cpu_s=[0-9.]+ load=" "$tmp/out" ||
        { echo "FAIL: no line for $n"; fail=1; }
done
# Benchmarks run only when named.
BENCH_SMOKE=1 QKMSIM="$QKMSIM" SRCDIR="$SRCDIR" sh "$SRCDIR/tests/bench/scenarios.sh" qkdnetsim-detail geo1000-hugepages \
    > "$tmp/named" 2>&1 || { echo "FAIL: scenarios.sh qkdnetsim-detail"; fail=1; }
cat "$tmp/named"
grep -Eq "^qkdnetsim-detail +events=[1-9][0-9]* .* trace_bytes=[1-9][0-9]* " "$tmp/named" ||
    { echo "FAIL: no line for qkdnetsim-detail"; fail=1; }
grep -Eq "^geo1000-hugepages +events=[1-9][0-9]* .* trace_bytes=[1-9][0-9]* " "$tmp/named" ||
    { echo "FAIL: no line for geo1000-hugepages"; fail=1; }
# The scaling runs and their plot (analysis/plot_scaling.py).
# With valgrind, the instruction counts (BENCH_CALLGRIND=1) and their panel
# (not on a build with AddressSanitizer, which valgrind cannot run).
cg=0
command -v valgrind > /dev/null && ! grep -q __asan_init "$QKMSIM" && cg=1
BENCH_SMOKE=1 BENCH_CALLGRIND=$cg QKMSIM="$QKMSIM" SRCDIR="$SRCDIR" sh "$SRCDIR/tests/bench/scenarios.sh" \
    geo-40-5s geo-80-5s geo-40-10s > "$tmp/scaling" 2>&1 || { echo "FAIL: geo-N-T runs"; cat "$tmp/scaling"; fail=1; }
cat "$tmp/scaling"
"$PYTHON3" "$SRCDIR/analysis/plot_scaling.py" "$tmp/scaling" -o "$tmp/s.png" --print > "$tmp/points" ||
    { echo "FAIL: plot_scaling.py exited $?"; fail=1; }
[ "$(grep -c '^geo-' "$tmp/points")" -eq 3 ] && [ -s "$tmp/s.png" ] ||
    { echo "FAIL: plot_scaling.py: $(cat "$tmp/points")"; fail=1; }
if [ $cg = 1 ]; then
    [ "$(grep -Ec ' instr=[1-9][0-9]* instr_per_event=[1-9][0-9.]*$' "$tmp/scaling")" -eq 3 ] &&
        grep -q '^fit: instructions per event = ' "$tmp/points" ||
        { echo "FAIL: BENCH_CALLGRIND=1: no instruction counts or fit"; fail=1; }
fi
for s in "$SRCDIR"/tests/bench/*.xml; do
    "$QKMSIM" validate "$s" -q || { echo "FAIL: $s is not valid"; fail=1; }
done
exit $fail
