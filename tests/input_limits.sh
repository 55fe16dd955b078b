#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Inputs the loader refuses before reading them: a scenario (or a GraphML
# file a scenario names) that is not a regular file (/dev/zero, a FIFO, a
# directory) or is larger than SCN_MAX_FILE_BYTES (64 MiB, sim/scenario.h).
# `qkmsim validate` and `qkmsim run` must exit 2 at once, naming the file,
# and leave no output. Every command runs under `timeout`, so a loader that
# reads /dev/zero or waits on a FIFO fails the test instead of hanging it;
# `ulimit -v` keeps a loader that reads without bound from taking the
# machine's memory, where it can: a program built with AddressSanitizer
# reserves terabytes of address space at start and cannot run under it
# (the sanitizer pass, make check-sanitizers), so there only the timeout
# guards.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
limit=$((64 * 1024 * 1024))
vmem=1048576
(ulimit -v "$vmem"; "$QKMSIM" --version) > /dev/null 2>&1 || vmem=unlimited

# refused WHAT NAME CMD...: CMD must exit 2 within 30 s and name NAME.
refused() {
    what=$1; name=$2; shift 2
    (ulimit -v "$vmem"; timeout 30 "$@") > "$tmp/out" 2> "$tmp/err"
    code=$?
    if [ "$code" -ne 2 ]; then
        echo "FAIL: $what: exit $code, expected 2"; head -c 300 "$tmp/err"; fail=1; return
    fi
    grep -qF -- "$name" "$tmp/err" || { echo "FAIL: $what: stderr does not name $name"; fail=1; return; }
    echo "ok: $what: $(head -n 1 "$tmp/err")"
}

mkfifo "$tmp/fifo.xml"
mkdir "$tmp/dir.xml"
# A big scenario: a valid head, then comments up to one byte over the limit.
head -c -12 "$SRCDIR/scenarios/two-nodes.xml" > "$tmp/big.xml"
awk -v n=$((limit / 60)) 'BEGIN { s = "<!-- padding padding padding padding padding padding pad -->"; for (i = 0; i <= n; i++) print s }' >> "$tmp/big.xml"
echo "</scenario>" >> "$tmp/big.xml"
[ "$(wc -c < "$tmp/big.xml")" -gt "$limit" ] || { echo "FAIL: big.xml is not above the limit"; exit 1; }

for cmd in validate run; do
    o=""
    [ "$cmd" = run ] && o="-o $tmp/out.h5"
    # shellcheck disable=SC2086
    refused "$cmd /dev/zero" /dev/zero "$QKMSIM" $cmd /dev/zero $o
    # shellcheck disable=SC2086
    refused "$cmd a FIFO" fifo.xml "$QKMSIM" $cmd "$tmp/fifo.xml" $o
    # shellcheck disable=SC2086
    refused "$cmd a directory" dir.xml "$QKMSIM" $cmd "$tmp/dir.xml" $o
    # shellcheck disable=SC2086
    refused "$cmd above the limit" big.xml "$QKMSIM" $cmd "$tmp/big.xml" $o
    grep -q "64 MiB" "$tmp/err" || { echo "FAIL: $cmd: the limit is not named"; fail=1; }
done
[ ! -e "$tmp/out.h5" ] && [ ! -e "$tmp/out.h5.partial" ] || { echo "FAIL: output left"; fail=1; }

# A GraphML file named by a scenario: the same rules.
cp "$SRCDIR/scenarios/graphml-ring.xml" "$tmp/ring.xml"
mkfifo "$tmp/ring.graphml"
refused "GraphML a FIFO" ring.graphml "$QKMSIM" validate "$tmp/ring.xml"
rm "$tmp/ring.graphml"
ln -s /dev/zero "$tmp/ring.graphml"
refused "GraphML /dev/zero" ring.graphml "$QKMSIM" validate "$tmp/ring.xml"
rm "$tmp/ring.graphml"
{ head -n 1 "$SRCDIR/scenarios/ring.graphml"
  awk -v n=$((limit / 60)) 'BEGIN { s = "<!-- padding padding padding padding padding padding pad -->"; for (i = 0; i <= n; i++) print s }'
  tail -n +2 "$SRCDIR/scenarios/ring.graphml"; } > "$tmp/ring.graphml"
refused "GraphML above the limit" ring.graphml "$QKMSIM" validate "$tmp/ring.xml"
grep -q "64 MiB" "$tmp/err" || { echo "FAIL: GraphML: the limit is not named"; fail=1; }

# Files at the limit's side that are fine still load.
cp "$SRCDIR/scenarios/ring.graphml" "$tmp/ring.graphml"
timeout 60 "$QKMSIM" validate "$tmp/ring.xml" > /dev/null ||
    { echo "FAIL: the bundled GraphML scenario no longer validates"; fail=1; }
exit $fail
