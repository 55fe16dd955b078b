#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The ETSI GS QKD 004 client kind on the bundled scenario etsi004.xml
# (docs/models.md, "ETSI GS QKD 004"): the general trace checks, the code
# names, sessions and call log recomputed by check_etsi004.py (admission,
# replayed per link from /session_links, never reserves more than a
# link's rate), and two variants by -p:
# a fixed key stream ID (status 5) and a slow peer (status 3); and the
# relayed variant etsi004-relay.xml, admission along the path.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
scn="$SRCDIR/scenarios/etsi004.xml"
check="$SRCDIR/tests/check_etsi004.py"
# The logs check_trace.py and check_codes.py read (not in the default trace).
detail="-O levels=on-change -O blocks=true"

# shellcheck disable=SC2086
"$QKMSIM" run "$scn" -o "$tmp/e.h5" --quiet -O requests=all $detail || { echo "FAIL: run exited $?"; exit 1; }
"$PYTHON3" "$SRCDIR/tests/check_trace.py" check "$tmp/e.h5" "$scn" || fail=1
"$PYTHON3" "$SRCDIR/tests/check_codes.py" "$tmp/e.h5" --etsi004 > /dev/null || fail=1
"$PYTHON3" "$check" "$tmp/e.h5" --expect 0 1 2 6 7 8 || fail=1

"$QKMSIM" run "$scn" -o "$tmp/fixed.h5" --quiet -O requests=all -p "//etsi004[@id='video']/@key-stream-id=fixed" ||
    { echo "FAIL: run with a fixed key stream ID exited $?"; exit 1; }
"$PYTHON3" "$check" "$tmp/fixed.h5" --expect 5 || fail=1

"$QKMSIM" run "$scn" -o "$tmp/slow.h5" --quiet -O requests=all -p "//etsi004[@id='bulk']/@peer-delay=5s" ||
    { echo "FAIL: run with a slow peer exited $?"; exit 1; }
"$PYTHON3" "$check" "$tmp/slow.h5" --expect 3 || fail=1

# Admission along a relayed path (etsi004-relay.xml): every session
# crosses AB (1.5 kbit/s), the relayed ones also BC (4 kbit/s); the
# relayed video sessions (app 0) cost (4096 + 128) / 4096 bits of each
# link's key per delivered bit.
rly="$SRCDIR/scenarios/etsi004-relay.xml"
# shellcheck disable=SC2086
"$QKMSIM" run "$rly" -o "$tmp/r.h5" --quiet -O requests=all $detail || { echo "FAIL: relayed run exited $?"; exit 1; }
"$PYTHON3" "$SRCDIR/tests/check_trace.py" check "$tmp/r.h5" "$rly" || fail=1
"$PYTHON3" "$SRCDIR/tests/check_codes.py" "$tmp/r.h5" --etsi004 > /dev/null || fail=1
"$PYTHON3" "$check" "$tmp/r.h5" --cost 0=1.03125 --expect 0 1 7 || fail=1

# Same scenario, seed and run: identical datasets.
# shellcheck disable=SC2086
"$QKMSIM" run "$scn" -o "$tmp/again.h5" --quiet -O requests=all $detail || { echo "FAIL: second run exited $?"; exit 1; }
"$PYTHON3" "$SRCDIR/tests/check_trace.py" same "$tmp/e.h5" "$tmp/again.h5" > /dev/null ||
    { echo "FAIL: two runs differ"; fail=1; }
[ $fail -eq 0 ] && echo "ok: etsi004"
exit $fail
