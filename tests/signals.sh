#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs that behave under a batch system (docs/user-guide.md, "Stopping a
# run"): SIGTERM and SIGINT stop a run at the next event boundary, exit 1,
# say so on stderr, and leave the trace so far readable at OUT.partial
# with completed = 0 and nothing at OUT; the progress line of a terminal
# run (slices of the run) changes no result.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
scn="$SRCDIR/scenarios/default.xml"
fail=0
no() { echo "FAIL: $*"; fail=1; }

for sig in TERM INT; do
    out="$tmp/$sig.h5"
    "$QKMSIM" run "$scn" -o "$out" -p @duration=2000h -q -O requests=all 2> "$tmp/$sig.err" &
    pid=$!
    sleep 1
    kill -s "$sig" "$pid"
    wait "$pid"
    rc=$?
    [ $rc -eq 1 ] || no "SIG$sig: exit status $rc, not 1"
    grep -q "interrupted by signal" "$tmp/$sig.err" || no "SIG$sig: stderr says $(cat "$tmp/$sig.err")"
    [ "$(wc -l < "$tmp/$sig.err")" -eq 1 ] || no "SIG$sig: more than one line on stderr"
    [ ! -e "$out" ] || no "SIG$sig: a file at the output path"
    "$PYTHON3" - "$out.partial" "$tmp/$sig.err" <<'PY' || no "SIG$sig: the partial trace"
import re, sys, h5py
f = h5py.File(sys.argv[1], "r")
assert int(f["metadata"].attrs["completed"]) == 0, "completed is not 0"
assert "summary" not in f, "an interrupted trace has summaries"
lv = f["levels"][()]
assert len(lv) > 0, "no level row was flushed"
t = float(re.search(r"at simulated time ([0-9.]+)s", open(sys.argv[2]).read()).group(1))
assert lv["time"].max() <= round(t * 1e9), "a level row after the stop"
assert len(f["requests"]) > 0, "no request row was flushed"
PY
done

# The progress line (a terminal: the run goes in 1 % slices) changes nothing.
if command -v script >/dev/null 2>&1; then
    script -qc "'$QKMSIM' run '$scn' -o '$tmp/tty.h5' -p @duration=30min -O requests=all -O blocks=true" /dev/null > "$tmp/tty.out"
    grep -q "simulated .* events/s" "$tmp/tty.out" || no "no progress line on a terminal"
    "$QKMSIM" run "$scn" -o "$tmp/plain.h5" -p @duration=30min -O requests=all -O blocks=true > "$tmp/plain.out" 2>&1
    grep -q "simulated 1800s" "$tmp/plain.out" && ! grep -q "events/s" "$tmp/plain.out" ||
        no "a progress line without a terminal"
    "$PYTHON3" "$SRCDIR/tests/check_trace.py" same "$tmp/tty.h5" "$tmp/plain.h5" ||
        no "a run with progress differs from one without"
else
    no "script (util-linux) is needed to give the run a terminal"
fi
exit $fail
