#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The same scenario, seed and run give bit-identical datasets; another seed
# or another run number gives another workload.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
scn="$SRCDIR/scenarios/default.xml"
check="$SRCDIR/tests/check_trace.py"
fail=0
# every request, level change and block, so that all of them are compared
run() { "$QKMSIM" run "$scn" --until 20min --quiet -O requests=all -O blocks=true "$@" || { echo "FAIL: run $* exited $?"; fail=1; }; }

run -o "$tmp/a.h5" --seed 5
run -o "$tmp/b.h5" --seed 5
run -o "$tmp/c.h5" --seed 6
run -o "$tmp/d.h5" --seed 5 --run 1
[ $fail -eq 0 ] || exit 1
"$PYTHON3" "$check" same "$tmp/a.h5" "$tmp/b.h5" || fail=1
"$PYTHON3" "$check" differ "$tmp/a.h5" "$tmp/c.h5" || fail=1
"$PYTHON3" "$check" differ "$tmp/a.h5" "$tmp/d.h5" || fail=1
exit $fail
