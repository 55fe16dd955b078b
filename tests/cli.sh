#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The command line: help, version, exit codes, overrides, output naming.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
scn="$SRCDIR/scenarios/two-nodes.xml"

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND, checks its exit code.
expect() {
    want=$1; what=$2; shift 3
    "$@" > "$tmp/out" 2> "$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $what: exit $got, expected $want"; sed 's/^/  /' "$tmp/err"; fail=1
    else
        echo "ok: $what"
    fi
}
has() { grep -q -- "$2" "$tmp/$1" || { echo "FAIL: $3: '$2' not in $1"; fail=1; }; }

expect 0 "--version" -- "$QKMSIM" --version;            has out "qkmsim [0-9]" "--version"
# GNU form: "qkmsim VERSION" alone on the first line, then copyright and licence.
head -n 1 "$tmp/out" | grep -qx 'qkmsim [0-9][0-9.]*' || { echo "FAIL: --version: first line is not 'qkmsim VERSION'"; fail=1; }
has out "^Copyright (C) [0-9]" "--version copyright"; has out "GPL version 3 or later" "--version licence"
expect 0 "--help" -- "$QKMSIM" --help;                  has out "Usage: qkmsim COMMAND" "--help"
expect 0 "run --help" -- "$QKMSIM" run --help;          has out "Usage: qkmsim run" "run --help"
expect 0 "validate --help" -- "$QKMSIM" validate --help; has out "Usage: qkmsim validate" "validate --help"
expect 0 "bench --help" -- "$QKMSIM" bench kernel --help; has out "Usage: qkmsim bench" "bench --help"
expect 2 "no command" -- "$QKMSIM"
expect 2 "unknown command" -- "$QKMSIM" frobnicate;     has err "unknown command" "unknown command"
expect 2 "unknown option" -- "$QKMSIM" run --nope "$scn"
expect 2 "run without file" -- "$QKMSIM" run
expect 2 "bad --until unit" -- "$QKMSIM" run "$scn" --until 10;  has err "no unit" "bad --until"
expect 2 "bad --seed" -- "$QKMSIM" run "$scn" --seed -3
expect 2 "missing file" -- "$QKMSIM" validate "$tmp/none.xml"; has err "none.xml" "missing file"
expect 0 "validate" -- "$QKMSIM" validate "$scn";        has out "valid" "validate"
expect 2 "override selecting nothing" -- "$QKMSIM" validate "$scn" -p "links/link[@id='ZZ']/@a=A"
has err "selects nothing" "override selecting nothing"
expect 2 "override with a bad unit" -- "$QKMSIM" validate "$scn" -p "@duration=10 parsecs"

# Overrides change the run: 2 minutes instead of 10, and a store capacity.
expect 0 "run with overrides" -- "$QKMSIM" run "$scn" -o "$tmp/o.h5" --quiet \
    -p @duration=2min -p "links/link[@id='AB']/store/@capacity=20Mb"
[ ! -s "$tmp/out" ] || { echo "FAIL: --quiet printed"; fail=1; }
"$PYTHON3" - "$tmp/o.h5" <<'PY' || fail=1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    m = f["metadata"].attrs
    ok = int(m["end_ns"]) == 120 * 10**9 and int(f["stores"]["capacity"][0]) == 20 * 10**6
    ok = ok and "@duration=2min" in m["overrides"] and 'duration="2min"' in m["effective_scenario"]
    print("ok: overrides reach the run" if ok else "FAIL: overrides not applied")
    sys.exit(0 if ok else 1)
PY

# --until replaces the duration; the default output name is FILE.h5 here.
(cd "$tmp" && "$QKMSIM" run "$scn" --until 30s --quiet) || { echo "FAIL: default output"; fail=1; }
[ -f "$tmp/two-nodes.h5" ] && echo "ok: default output name" || { echo "FAIL: no two-nodes.h5"; fail=1; }

# The benchmark prints its one documented line.
expect 0 "bench kernel" -- "$QKMSIM" bench kernel --pending 1000 --events 20000
grep -Eq '^kernel hold: pending=1000 events=20000 kernel_s=[0-9.]+ rate=[0-9]+ ev/s bare_s=[0-9.]+ bare_rate=[0-9]+ ev/s ratio=[0-9.]+$' "$tmp/out" ||
    { echo "FAIL: bench line: $(cat "$tmp/out")"; fail=1; }

# An output folder that does not exist: exit 1, no file.
expect 1 "unwritable output" -- "$QKMSIM" run "$scn" -o "$tmp/no/such/dir/x.h5" --quiet
[ ! -e "$tmp/no" ] || { echo "FAIL: created something"; fail=1; }
exit $fail
