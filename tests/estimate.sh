#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The estimate of a run (docs/models.md, "How big a run is"):
# - `qkmsim validate` prints "estimate: about N events, about M MB of trace";
#   for every bundled scenario, N and M are within a factor 2 of the events
#   the run reports and the size of the trace it writes;
# - extreme but valid workloads (10^9 requests/s, a 1 ns Q3P timer, ten
#   years at 10^15 bit/s) are estimated at once, and as huge;
# - `qkmsim run` warns on stderr, and still runs, when the estimate exceeds
#   the free space of the output's file system (checked on a 512 KiB tmpfs:
#   needs root, else that part is skipped with a note), and says nothing
#   when it fits.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}"
tmp=$(mktemp -d) || exit 1
mounted=""
trap '[ -n "$mounted" ] && umount "$tmp/fs"; rm -rf "$tmp"' EXIT INT TERM
fail=0

# estimate FILE ARGS...: sets est_events and est_mb from `qkmsim validate`.
estimate() {
    est_events=""; est_mb=""
    line=$(timeout 30 "$QKMSIM" validate "$@" | grep '^estimate: ')
    est_events=$(echo "$line" | sed -n 's/^estimate: about \([^ ]*\) events, about \([^ ]*\) MB of trace$/\1/p')
    est_mb=$(echo "$line" | sed -n 's/^estimate: about \([^ ]*\) events, about \([^ ]*\) MB of trace$/\2/p')
    [ -n "$est_events" ] && [ -n "$est_mb" ] ||
        { echo "FAIL: validate $*: no estimate line ('$line')"; fail=1; return 1; }
}
# within WHAT ESTIMATE REAL: the ratio lies in [1/2, 2].
within() {
    if awk -v e="$2" -v r="$3" 'BEGIN { exit !(r > 0 && e / r >= 0.5 && e / r <= 2) }'; then
        echo "ok: $1: estimate $2, real $3"
    else
        echo "FAIL: $1: estimate $2 is not within a factor 2 of $3"; fail=1
    fi
}
# at_least WHAT VALUE MIN
at_least() {
    awk -v v="$2" -v m="$3" 'BEGIN { exit !(v >= m) }' && echo "ok: $1: $2" ||
        { echo "FAIL: $1: $2 < $3"; fail=1; }
}

for s in "$SRCDIR"/scenarios/*.xml; do
    n=$(basename "$s" .xml)
    estimate "$s" || continue
    "$QKMSIM" run "$s" -o "$tmp/$n.h5" > "$tmp/report" 2> "$tmp/err" ||
        { echo "FAIL: $n: run exited $?"; cat "$tmp/err"; fail=1; continue; }
    events=$(sed -n 's/^simulated [^:]*: \([0-9][0-9]*\) events,.*/\1/p' "$tmp/report")
    mb=$(wc -c < "$tmp/$n.h5" | awk '{ print $1 / 1e6 }')
    within "$n events" "$est_events" "$events"
    within "$n MB" "$est_mb" "$mb"
    [ -s "$tmp/err" ] && { echo "FAIL: $n: the run warned:"; cat "$tmp/err"; fail=1; }
    rm -f "$tmp/$n.h5"
done

# Extreme workloads: estimated without running, and huge.
two="$SRCDIR/scenarios/two-nodes.xml"
estimate "$two" -p "apps/etsi014/arrivals/@rate=1000000000/s" &&
    at_least "10^9 requests/s, events" "$est_events" 1e12
estimate "$SRCDIR/scenarios/q3p.xml" -p "//storage/@timer=1ns" &&
    at_least "1 ns Q3P timer, events" "$est_events" 1e12
# (with the logs that grow with the blocks: the default trace samples the
# levels and logs no block)
estimate "$two" -p @duration=3650d -p "links/link/generation/@rate=1Gbps" \
    -p "links/link/generation/@block=1ms" -O levels=on-change -O blocks=true &&
    at_least "ten years of 1 ms blocks, MB" "$est_mb" 1e5
# (ten years at 10^15 bit/s no longer runs at all: more key than 64-bit
# counters hold is refused at load, tests/bad/key-bound-*.xml)

# What the trace records changes the estimate as it changes the file.
d="$SRCDIR/scenarios/default.xml"
for opts in "-O compress=false" "-O requests=off" "-O requests=sampled -O request-every=10" \
            "--summary-only" "-O levels=sampled -O interval=10s" "-O blocks=true"; do
    # shellcheck disable=SC2086
    estimate "$d" $opts || continue
    # shellcheck disable=SC2086
    "$QKMSIM" run "$d" -o "$tmp/o.h5" -q $opts || { echo "FAIL: run $opts"; fail=1; continue; }
    within "default $opts MB" "$est_mb" "$(wc -c < "$tmp/o.h5" | awk '{ print $1 / 1e6 }')"
    rm -f "$tmp/o.h5"
done
# The same on the QKDNetSim bench (six hours), whose blocks are most of
# the detailed trace: the default (no block rows) and the block log,
# compressed or not.
q="$SRCDIR/tests/bench/qkdnetsim.xml"
for opts in "" "-O blocks=true" "-O blocks=true -O compress=false"; do
    # shellcheck disable=SC2086
    estimate "$q" -p @duration=6h $opts || continue
    # shellcheck disable=SC2086
    "$QKMSIM" run "$q" -p @duration=6h -o "$tmp/o.h5" -q $opts || { echo "FAIL: run bench $opts"; fail=1; continue; }
    within "qkdnetsim 6h ${opts:-(default)} MB" "$est_mb" "$(wc -c < "$tmp/o.h5" | awk '{ print $1 / 1e6 }')"
    rm -f "$tmp/o.h5"
done
[ -z "$("$QKMSIM" validate "$two" --quiet)" ] || { echo "FAIL: validate --quiet printed"; fail=1; }

# The warning: the run goes on (and here meets the full disk).
mkdir "$tmp/fs"
if why=$(mount -t tmpfs -o size=512k tmpfs "$tmp/fs" 2>&1); then
    mounted=yes
    "$QKMSIM" run "$two" -o "$tmp/fs/x.h5" --quiet > /dev/null 2> "$tmp/err"
    code=$?
    if head -n 1 "$tmp/err" | grep -q "^qkmsim: warning: .*MB.*more than the .* MB free for '$tmp/fs/x.h5'; running anyway$"; then
        echo "ok: warned: $(head -n 1 "$tmp/err")"
    else
        echo "FAIL: no warning before a run that does not fit:"; cat "$tmp/err"; fail=1
    fi
    [ "$code" -eq 1 ] && grep -qi "no space left on device" "$tmp/err" ||
        { echo "FAIL: the run did not go on after the warning (exit $code)"; fail=1; }
else
    echo "note: cannot mount a tmpfs ($why): the warning is not checked"
fi
exit $fail
