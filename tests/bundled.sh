#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Bundled scenarios by name (sim/datadir.c): `run NAME` and `validate NAME`
# from any folder, what takes precedence, and `qkmsim list`.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
cd "$tmp" || exit 1

# NAME and NAME.xml, from a folder that holds no scenario.
for name in two-nodes two-nodes.xml; do
    "$QKMSIM" validate "$name" > out 2> err || { bad "validate $name: exit $?"; cat err; }
    grep -qx "using the bundled scenario $SRCDIR/scenarios/two-nodes.xml" out ||
        bad "validate $name does not say which file it used"
    grep -q ": valid$" out || bad "validate $name: not valid"
done
"$QKMSIM" validate -q two-nodes > out 2>&1 || bad "validate -q two-nodes failed"
[ -s out ] && bad "validate -q printed: $(cat out)"

"$QKMSIM" run two-nodes --until 1min > out 2> err || { bad "run two-nodes: exit $?"; cat err; }
[ -f two-nodes.h5 ] || bad "run two-nodes did not write two-nodes.h5 here"
grep -q "^using the bundled scenario .*/scenarios/two-nodes.xml$" out || bad "run does not say which file"

# Unknown names, and names with a '/', are errors (status 2) naming the folder.
"$QKMSIM" validate no-such-scenario > out 2> err; rc=$?
[ "$rc" -eq 2 ] || bad "unknown name: exit $rc, expected 2"
grep -q "no bundled scenario 'no-such-scenario' in $SRCDIR/scenarios" err || bad "unknown name: $(cat err)"
"$QKMSIM" validate ./two-nodes > out 2> err; rc=$?
[ "$rc" -eq 2 ] || bad "./two-nodes (has a '/') was looked up: exit $rc"

# A file in the current folder wins over a bundled scenario of that name.
sed 's/name="two-nodes"/name="local-copy"/' "$SRCDIR/scenarios/two-nodes.xml" > two-nodes
"$QKMSIM" validate two-nodes > out 2> err || bad "local two-nodes: exit $?"
grep -q "bundled" out && bad "a local file two-nodes was not preferred"
grep -qx "two-nodes: valid" out || bad "local two-nodes: $(cat out)"

# list: one line per bundled scenario, NAME, its name attribute, its summary.
"$QKMSIM" list > out 2> err || { bad "list: exit $?"; cat err; }
head -n 1 out | grep -qx "Bundled scenarios in $SRCDIR/scenarios (qkmsim run NAME):" || bad "list header: $(head -n 1 out)"
n=0
for f in "$SRCDIR"/scenarios/*.xml; do
    base=$(basename "$f" .xml)
    title=$(sed -n 's/.*<scenario[^>]* name="\([^"]*\)".*/\1/p' "$f" | head -n 1)
    grep -q "^  $base  *$title: [A-Z]" out || bad "list: no line for $base ($title)"
    n=$((n + 1))
done
[ "$(($(wc -l < out) - 1))" -eq "$n" ] || bad "list: $(($(wc -l < out) - 1)) lines for $n scenarios"
grep -qx "  default  *metro-4: The default scenario: a small metropolitan QKD network of four sites\." out ||
    bad "list: default's description is not the first sentence of its comment"
awk 'NR > 1 && length($0) > 120 { exit 1 }' out || bad "list: a line longer than 120 characters"
"$QKMSIM" list extra > /dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || bad "list extra: exit $rc, expected 2"

[ "$fail" -eq 0 ] && echo "bundled: run/validate NAME and list work from any folder"
exit "$fail"
