#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# compare_designs.sh - the storage-design comparison set
# (docs/storage-models.md, "Comparing the designs").
#
#   compare_designs.sh [-q QKMSIM] [-s SCENARIO] [-o DIR] [-r RUN]
#                      [-O NAME=VALUE ...] [--csv]
#
# Runs SCENARIO (default: compare-designs.xml next to this script's
# scenarios folder) once per storage design, changing only the <storage>
# element (and, for the key-format rows, the store's format) with -p
# overrides, so every run sees the same seeded workload. Writes DIR/<label>.h5
# (default DIR: ./compare-designs; the traces of an earlier comparison there
# are replaced) and prints one `qkmsim summarize` row per design. -O passes
# an output setting to every run (e.g. -O blocks=true).
# Exit status: 0, or the first failing qkmsim's status.
set -u

here=$(cd "$(dirname "$0")" && pwd)
qkmsim=${QKMSIM:-qkmsim}
scenario=""
out=compare-designs
run=0
csv=""
outputs=""
while [ $# -gt 0 ]; do
    case "$1" in
        -q) qkmsim=$2; shift 2 ;;
        -s) scenario=$2; shift 2 ;;
        -o) out=$2; shift 2 ;;
        -r) run=$2; shift 2 ;;
        -O) outputs="$outputs
-O
$2"; shift 2 ;;
        --csv) csv=--csv; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "compare_designs.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$scenario" ]; then
    for s in "$here/../scenarios/compare-designs.xml" "$here/../share/qkmsim/scenarios/compare-designs.xml" \
             "$here/scenarios/compare-designs.xml" "$here/../scenarios/compare-designs.xml"; do
        [ -f "$s" ] && { scenario=$s; break; }
    done
fi
[ -f "$scenario" ] || { echo "compare_designs.sh: no scenario (use -s FILE)" >&2; exit 2; }
mkdir -p "$out" || exit 2

# label|overrides (separated by spaces; none contains a space)
variants='shared|
q3p|//storage/@design=q3p
session|//storage/@design=session
collide|//storage/@design=collide //storage/@remedy=none
collide-opposite-ends|//storage/@design=collide //storage/@remedy=opposite-ends
collide-working-set|//storage/@design=collide //storage/@remedy=working-set
format-bytes|//store/@format=bytes
format-blocks-256|//store/@format=blocks //store/@block-sizes=256
format-ddka|//store/@format=blocks //store/@block-sizes=128_256_512_1024_2048'

traces=""
status=0
old_ifs=$IFS
IFS='
'
for v in $variants; do
    label=${v%%|*}
    # $outputs splits at the newlines (IFS)
    # shellcheck disable=SC2086
    set -- -p "@name=$label" -r "$run" $outputs
    IFS=' '
    for o in ${v#*|}; do
        # block sizes are written with _ in the table above: restore spaces
        set -- "$@" -p "$(printf '%s' "$o" | tr '_' ' ')"
    done
    IFS='
'
    # every request's row (-O requests=all): the designs are compared request by request
    "$qkmsim" run "$scenario" -o "$out/$label.h5" --force -O requests=all "$@" \
        > "$out/$label.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "compare_designs.sh: $label failed (exit $rc), see $out/$label.log:" >&2
        tail -n 3 "$out/$label.log" >&2
        [ $status -eq 0 ] && status=$rc
        continue
    fi
    traces="$traces
$out/$label.h5"
done
IFS='
'
# shellcheck disable=SC2086
[ -n "$traces" ] && "$qkmsim" summarize $csv $traces
IFS=$old_ifs
exit $status
