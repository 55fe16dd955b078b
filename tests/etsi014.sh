#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The ETSI GS QKD 014 client (docs/models.md) on the scenarios of
# tests/etsi014/, checked by tests/check_etsi014.py: every status and 400
# reason where a scenario produces it, GET_STATUS's fields, the summary
# recounted from the request log, `validate` warnings for apps that can
# never be served, the arrival processes and a replayed CSV trace (bad
# rows refused with the file and line, exit 2, no output), relayed
# additional slaves that wait for their key (tests/etsi014/waits.xml), and the
# closed-form checks over a long run: delivered key = min(supply, demand)
# within 1 % with and without retries, Little's law within 2 %.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
dir="$SRCDIR/tests/etsi014"
check="$SRCDIR/tests/check_etsi014.py"
# The logs check_trace.py replays (not in the default trace).
detail="-O levels=on-change -O blocks=true"

run() {   # run NAME SCENARIO [ARGS...]
    n=$1; s=$2; shift 2
    "$QKMSIM" run "$s" -o "$tmp/$n.h5" --quiet -O requests=all "$@" 2> "$tmp/$n.err" ||
        { echo "FAIL: run $n exited $?"; cat "$tmp/$n.err"; fail=1; return 1; }
}

# GET_STATUS rows follow the request log's setting: none under the
# default (aggregate), though the summary counts the calls.
if "$QKMSIM" run "$dir/statuses.xml" -o "$tmp/agg.h5" --quiet 2> "$tmp/agg.err"; then
    "$PYTHON3" -c "
import sys, h5py
f = h5py.File(sys.argv[1], 'r')
calls = int(f['summary/apps']['status_requests'].sum())
sys.exit(0 if len(f['status']) == 0 and len(f['requests']) == 0 and calls > 0 else 1)" "$tmp/agg.h5" ||
        { echo "FAIL: /status rows under requests=aggregate (or no GET_STATUS counted)"; fail=1; }
else
    echo "FAIL: run statuses (aggregate) exited $?"; fail=1
fi
# Every status, and the warnings of apps that are always refused.
# shellcheck disable=SC2086
if run statuses "$dir/statuses.xml" $detail; then
    "$PYTHON3" "$check" statuses "$tmp/statuses.h5" || fail=1
    "$PYTHON3" "$SRCDIR/tests/check_trace.py" check "$tmp/statuses.h5" "$dir/statuses.xml" ||
        fail=1
fi
"$QKMSIM" validate "$dir/statuses.xml" > /dev/null 2> "$tmp/validate.err" ||
    { echo "FAIL: validate exited $?"; fail=1; }
for w in '32: <etsi014 id="too-big">: size 8192 bits is outside' \
         '36: <etsi014 id="odd-size">: size 100 bits is not a multiple of 8 (size-multiple' \
         '40: <etsi014 id="too-many">: number 200 is outside' \
         '44: <etsi014 id="too-many-saes">: 1 additional slaves exceed max-sae-ids 0'; do
    grep -qF "qkmsim: warning: $dir/statuses.xml:$w" "$tmp/validate.err" ||
        { echo "FAIL: no warning '$w'"; cat "$tmp/validate.err"; fail=1; }
done
[ "$(wc -l < "$tmp/validate.err")" -eq 4 ] ||
    { echo "FAIL: validate warned about apps that can be served"; cat "$tmp/validate.err"; fail=1; }

# Arrival processes; GET_STATUS draws from its own stream.
if run arrivals "$dir/arrivals.xml" &&
   run arrivals2 "$dir/arrivals.xml" -p "//get-status/@rate=3/s"; then
    "$PYTHON3" "$check" arrivals "$tmp/arrivals.h5" p 50 || fail=1
    "$PYTHON3" "$check" arrivals "$tmp/arrivals.h5" q 9.999 0 || fail=1
    "$PYTHON3" "$check" arrivals "$tmp/arrivals.h5" b 32.5 0.03 || fail=1
    "$PYTHON3" "$check" replay "$tmp/arrivals.h5" t "$dir/replay.csv" 5000000000 256 || fail=1
    "$PYTHON3" "$check" same-gets "$tmp/arrivals.h5" "$tmp/arrivals2.h5" || fail=1
fi
# Bad CSV rows: exit 2, the file and line named, no output file.
for bad in "bad-size.csv:line 3: 'abc'" "bad-order.csv:line 2: time goes back"; do
    f=${bad%%:*}; want=${bad#*:}
    sed "s/replay.csv/$f/" "$dir/arrivals.xml" > "$tmp/bad.xml"
    cp "$dir/$f" "$tmp/$f"
    "$QKMSIM" run "$tmp/bad.xml" -o "$tmp/bad.h5" --quiet 2> "$tmp/bad.err"
    rc=$?
    [ $rc -eq 2 ] || { echo "FAIL: $f: exit $rc, not 2"; fail=1; }
    grep -qF "<arrivals>: trace file '$f', ${want%%: *}: ${want#*: }" "$tmp/bad.err" ||
        { echo "FAIL: $f: message"; cat "$tmp/bad.err"; fail=1; }
    [ ! -e "$tmp/bad.h5" ] || { echo "FAIL: $f: an output file was left"; fail=1; }
done

# Closed forms over a long run (one app per link).
if run closed "$dir/closed.xml"; then
    "$PYTHON3" "$check" throughput "$tmp/closed.h5" over 10000 25600 || fail=1
    "$PYTHON3" "$check" throughput "$tmp/closed.h5" under 25000 12800 || fail=1
    "$PYTHON3" "$check" throughput "$tmp/closed.h5" over-retry 10000 25600 || fail=1
    "$PYTHON3" "$check" throughput "$tmp/closed.h5" under-retry 25000 14080 || fail=1
    "$PYTHON3" "$check" little "$tmp/closed.h5" under-retry || fail=1
    "$PYTHON3" "$check" little "$tmp/closed.h5" over-retry || fail=1
    "$PYTHON3" "$check" little "$tmp/closed.h5" burst-retry || fail=1
fi
# The same closed form on relayed paths (hop-by-hop relay, N = 4096 bits
# per job, T = 128-bit tags: a link of rate R carries R N / (N + T) of
# end-to-end key), with and without retries.
if run relayed "$dir/relayed.xml"; then
    path() { awk -v r="$1" 'BEGIN { printf "%.6f", r * 4096 / (4096 + 128) }'; }
    "$PYTHON3" "$check" throughput "$tmp/relayed.h5" r-over "$(path 10000)" 25600 || fail=1
    "$PYTHON3" "$check" throughput "$tmp/relayed.h5" r-under "$(path 25000)" 12800 || fail=1
fi
# Additional slaves on nodes that share no link with the master (key
# relay), and the PQC fallback's delay; accounts close.
# shellcheck disable=SC2086
if run slaves "$dir/slaves.xml" $detail; then
    "$PYTHON3" "$check" slaves "$tmp/slaves.h5" || fail=1
    "$PYTHON3" "$SRCDIR/tests/check_trace.py" check "$tmp/slaves.h5" "$dir/slaves.xml" ||
        fail=1
fi
# Relayed additional slaves whose key is slow, never comes or is refused:
# they do not poll while it is on its way (before the fix, "starved"
# asked every 2 ms until the end: 495 099 slave requests instead of 198).
# The run is bounded by `timeout`: a loop at one instant must fail, not hang.
# shellcheck disable=SC2086
if timeout 120 "$QKMSIM" run "$dir/waits.xml" -o "$tmp/waits.h5" --quiet -O requests=all $detail \
        2> "$tmp/waits.err"; then
    "$PYTHON3" "$check" waits "$tmp/waits.h5" || fail=1
    "$PYTHON3" "$SRCDIR/tests/check_trace.py" check "$tmp/waits.h5" "$dir/waits.xml" || fail=1
else
    echo "FAIL: run waits exited $? (124: timed out)"; cat "$tmp/waits.err"; fail=1
fi
[ $fail -eq 0 ] && echo "ok: etsi014"
exit $fail
