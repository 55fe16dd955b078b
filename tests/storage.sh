#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The key storage options (docs/storage-models.md) in the bundled scenario
# storage-options.xml: the general trace checks, key expiry exactly at
# birth + max-age replayed from the level trace, format waste per app and
# per store derived from the formats, Mmin reservation on and off, and
# `qkmsim summarize` against the traces.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
scn="$SRCDIR/scenarios/storage-options.xml"
check="$SRCDIR/tests/check_storage.py"
# Every level change (expiry and supply are replayed from them) and block
# (check_trace.py): logs the default trace does not keep.
detail="-O levels=on-change -O blocks=true"

# shellcheck disable=SC2086
"$QKMSIM" run "$scn" -o "$tmp/reserve.h5" --quiet -O requests=all $detail || { echo "FAIL: run exited $?"; exit 1; }
# shellcheck disable=SC2086
"$QKMSIM" run "$scn" -o "$tmp/open.h5" --quiet -O requests=all $detail -p "//store/@reserve-min=false" \
    -p "@name=no-reserve" || { echo "FAIL: run without reserve exited $?"; exit 1; }
"$PYTHON3" "$SRCDIR/tests/check_trace.py" check "$tmp/reserve.h5" "$scn" || fail=1
"$PYTHON3" "$check" check "$tmp/reserve.h5" --expect-expiry --reserve-bites AD || fail=1
# Without the reservation, supply on AD goes below Mmin.
"$PYTHON3" "$check" check "$tmp/open.h5" --expect-expiry --below-min AD || fail=1

"$QKMSIM" summarize --csv "$tmp/reserve.h5" "$tmp/open.h5" > "$tmp/summary.csv" ||
    { echo "FAIL: summarize exited $?"; fail=1; }
"$PYTHON3" "$check" summarize "$tmp/summary.csv" "$tmp/reserve.h5" "$tmp/open.h5" || fail=1
"$QKMSIM" summarize "$tmp/reserve.h5" > "$tmp/summary.txt" || { echo "FAIL: summarize"; fail=1; }
grep -q '^name  *seed  *run  *design  *served  *refused  *lost  *mean_latency_s  *wasted_bits  *expired_bits  *internal_bits  *relayed_bits  *stranded_bits  *relay_fairness  *trace  *overrides$' \
    "$tmp/summary.txt" || { echo "FAIL: summarize header: $(head -1 "$tmp/summary.txt")"; fail=1; }
grep -q '^storage-options ' "$tmp/summary.txt" || { echo "FAIL: summarize row"; fail=1; }
"$QKMSIM" summarize "$tmp/none.h5" > /dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: summarize of a missing file should exit 2"; fail=1; }
"$QKMSIM" summarize "$scn" > /dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: summarize of a non-trace should exit 2"; fail=1; }
"$QKMSIM" summarize > /dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: summarize without a trace should exit 2"; fail=1; }
[ $fail -eq 0 ] && echo "ok: storage options"
exit $fail
