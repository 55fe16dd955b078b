#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every bundled scenario's summary rows against the reference digests in
# tests/summary_digests.txt (see summary_digests.py): a refactoring that
# changes any result, or the number of rows of any table, fails here.
#
#   tests/summary_digests.sh            the test (make check)
#   tests/summary_digests.sh --write    rewrites the reference file (only
#                                       when a change of results is meant)
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
ref="$SRCDIR/tests/summary_digests.txt"
args=""
for s in "$SRCDIR"/scenarios/*.xml; do
    n=$(basename "$s" .xml)
    # The detailed logs, as when the reference digests were made: the
    # digest counts the rows of every table outside /summary, so it depends
    # on what the trace records (the summary rows themselves do not:
    # output_control.sh). Every request and block, and every level change
    # unless the scenario asks for another level mode.
    lv="-O levels=on-change"
    grep -q '<trace[^>]*levels=' "$s" && lv=""
    # shellcheck disable=SC2086
    "$QKMSIM" run "$s" -o "$tmp/$n.h5" --quiet -O requests=all -O blocks=true $lv ||
        { echo "FAIL: run $n exited $?"; exit 1; }
    args="$args $n=$tmp/$n.h5"
done
if [ "${1:-}" = --write ]; then
    {
        echo "# Reference digests of the bundled scenarios' summary rows"
        echo "# (tests/summary_digests.py); regenerate with tests/summary_digests.sh --write"
        for a in $args; do
            echo "${a%%=*} $("$PYTHON3" "$SRCDIR/tests/summary_digests.py" digest "${a#*=}")"
        done
    } > "$ref"
    echo "wrote $ref"
    exit 0
fi
# shellcheck disable=SC2086
"$PYTHON3" "$SRCDIR/tests/summary_digests.py" check "$ref" $args
