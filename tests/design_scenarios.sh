#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The bundled storage-design scenarios (docs/storage-models.md, "Storage
# designs"): q3p.xml, session-buffers.xml and collisions.xml (with its two
# remedies) pass the general trace checks and tests/check_designs.py, which
# recomputes each design's defining behaviour from the trace: Q3P's tags,
# LOAD-REQUESTs and the one-third rule; session refills split in proportion
# to the clients' rates; collisions without a remedy, far fewer with
# opposite ends, none with working sets, on the same workload. A second
# run of q3p.xml gives bit-identical datasets. collisions.xml with stores
# that fill up runs to its end under every remedy.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
s="$SRCDIR/scenarios"
checks="$SRCDIR/tests/check_designs.py"

# The block log for check_trace.py; q3p.xml, which says nothing about the
# level log, also asks for every level change (the checks replay them).
run() {   # run NAME SCENARIO [ARGS...]
    name=$1; scn=$2; shift 2
    "$QKMSIM" run "$scn" -o "$tmp/$name.h5" --quiet -O requests=all -O blocks=true "$@" ||
        { echo "FAIL: $name: qkmsim run exited $?"; fail=1; return 1; }
    "$PYTHON3" "$SRCDIR/tests/check_trace.py" check "$tmp/$name.h5" "$scn" > "$tmp/check.log" ||
        { echo "FAIL: $name: check_trace.py"; cat "$tmp/check.log"; fail=1; }
}

run q3p "$s/q3p.xml" -O levels=on-change && "$PYTHON3" "$checks" q3p "$tmp/q3p.h5" || fail=1
run q3p-again "$s/q3p.xml" -O levels=on-change &&
    "$PYTHON3" "$SRCDIR/tests/check_trace.py" same "$tmp/q3p.h5" "$tmp/q3p-again.h5" || fail=1
run session "$s/session-buffers.xml" && "$PYTHON3" "$checks" session "$tmp/session.h5" || fail=1
run none "$s/collisions.xml" &&
run opposite "$s/collisions.xml" -p "//storage/@remedy=opposite-ends" &&
run working "$s/collisions.xml" -p "//storage/@remedy=working-set" &&
    "$PYTHON3" "$checks" collide "$tmp/none.h5" "$tmp/opposite.h5" "$tmp/working.h5" || fail=1
# Issue 12: with little demand the unsynced copies of collide's store fill
# up at different times; each end must keep and discard on its own (this
# run failed in its 79th second, "stores 0 and 1 kept different parts of
# the same key"), for every remedy.
run full-none "$s/collisions.xml" -p "//arrivals/@rate=1/s" -p "//store/@capacity=1600kb"
run full-opposite "$s/collisions.xml" -p "//arrivals/@rate=1/s" -p "//store/@capacity=1600kb" \
    -p "//storage/@remedy=opposite-ends"
run full-working "$s/collisions.xml" -p "//arrivals/@rate=1/s" -p "//store/@capacity=1600kb" \
    -p "//storage/@remedy=working-set"
exit $fail
