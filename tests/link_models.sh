#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Link models from the command line (docs/link-models.md):
# - `qkmsim model link-rate`: the decoy-BB84 rates of shared/REFERENCE.md
#   within 5 %, no key past about 145 km, the exp-loss fit to the Toshiba
#   2008 points within 1 %, usage errors exit 2;
# - common random numbers: scenarios/links.xml run twice with the same seed,
#   the second with another pulse rate on link BC only, the third with
#   another block interval and MTBF on BC (so BC draws at other times and
#   other numbers of times): link AB's blocks, outages and key levels are
#   identical in all three, BC's are not; and the same scenario twice gives
#   identical traces.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
scn="$SRCDIR/scenarios/links.xml"

# near WANT TOLERANCE MODEL LENGTH [ARGS...]: the last line of the output of
# `qkmsim model link-rate` is within TOLERANCE (a fraction) of WANT.
near() {
    want=$1; tol=$2; model=$3; length=$4; shift 4
    got=$("$QKMSIM" model link-rate --model "$model" --length "$length" "$@" | tail -n 1)
    if awk -v g="$got" -v w="$want" -v t="$tol" \
        'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g == g + 0 && d <= t * w) }'; then
        echo "ok: $model at $length: $got bit/s (reference $want)"
    else
        echo "FAIL: $model at $length: '$got' bit/s, reference $want within $tol"; fail=1
    fi
}

# REFERENCE.md, "Link rate models".
near 1570000 0.05 decoy-bb84 10km
near 962000 0.05 decoy-bb84 20km
near 223000 0.05 decoy-bb84 50km
near 17000 0.05 decoy-bb84 100km
near 1020000 0.01 exp-loss 20km
near 10100 0.01 exp-loss 100km
for l in 146km 150km 300km; do
    got=$("$QKMSIM" model link-rate --model decoy-bb84 --length $l | tail -n 1)
    [ "$got" = 0 ] && echo "ok: no key at $l" || { echo "FAIL: $got bit/s at $l"; fail=1; }
done
# The last line is the figure alone.
"$QKMSIM" model link-rate --model constant -p rate=2.5kbps | tail -n 1 | grep -qx '2500' ||
    { echo "FAIL: constant 2.5kbps does not print 2500"; fail=1; }

# expect CODE WHAT -- COMMAND...
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

expect 0 "model --help" -- "$QKMSIM" model link-rate --help
has out "Usage: qkmsim model link-rate" "model --help"
has out "decoy-bb84" "model --help lists the models"
expect 2 "no --model" -- "$QKMSIM" model link-rate --length 10km
expect 2 "unknown model" -- "$QKMSIM" model link-rate --model bb84 --length 10km
has err "unknown model 'bb84'" "unknown model"
expect 2 "missing length" -- "$QKMSIM" model link-rate --model decoy-bb84
has err "length" "missing length"
expect 2 "length without unit" -- "$QKMSIM" model link-rate --model exp-loss --length 10
expect 2 "unknown parameter" -- "$QKMSIM" model link-rate --model exp-loss --length 1km -p mu=1
has err "has no parameter 'mu'" "unknown parameter"
expect 2 "parameter out of range" -- "$QKMSIM" model link-rate --model decoy-bb84 --length 1km -p q=2
expect 2 "bad unit" -- "$QKMSIM" model link-rate --model decoy-bb84 --length 1km -p pulse-rate=1G
expect 2 "unknown subcommand" -- "$QKMSIM" model node-rate

# Common random numbers.
# links.xml logs every level change itself; the block log is asked for.
run() { "$QKMSIM" run "$scn" --until 40min --quiet -O requests=all -O blocks=true "$@" || { echo "FAIL: run $* exited $?"; fail=1; }; }
run -o "$tmp/a.h5"
run -o "$tmp/b.h5"
run -o "$tmp/c.h5" -p "links/link[@id='BC']/generation/@pulse-rate=2GHz"
run -o "$tmp/d.h5" -p "links/link[@id='BC']/generation/@block=7s" \
    -p "links/link[@id='BC']/generation/failures/@mtbf=17min"
[ $fail -eq 0 ] || exit 1
"$PYTHON3" "$SRCDIR/tests/check_trace.py" same "$tmp/a.h5" "$tmp/b.h5" || fail=1
"$PYTHON3" - "$tmp/a.h5" "$tmp/c.h5" "$tmp/d.h5" <<'PY' || fail=1
import sys, h5py
a, c, d = (h5py.File(p, "r") for p in sys.argv[1:4])
ab = list(a["links"]["id"]).index(b"AB")
bc = list(a["links"]["id"]).index(b"BC")
bad = []
def rows(f, table, link):
    t = f[table][()]
    return t[t["link"] == link].tobytes()
def levels(f, link):
    t, s = f["levels"][()], f["stores"][()]
    mine = set(int(x) for x in s["index"][s["link"] == link])
    return t[[int(x) in mine for x in t["store"]]].tobytes()
if rows(a, "link_blocks", ab) != rows(c, "link_blocks", ab):
    bad.append("AB's blocks changed with BC's pulse rate")
if rows(a, "link_outages", ab) != rows(c, "link_outages", ab):
    bad.append("AB's outages changed with BC's pulse rate")
if levels(a, ab) != levels(c, ab):
    bad.append("AB's key levels changed with BC's pulse rate")
if rows(a, "link_blocks", bc) == rows(c, "link_blocks", bc):
    bad.append("BC's blocks did not change with its pulse rate")
if rows(a, "link_outages", bc) != rows(c, "link_outages", bc):
    bad.append("BC's failures changed with its pulse rate")
for t in ("link_blocks", "link_outages"):
    if rows(a, t, ab) != rows(d, t, ab):
        bad.append(f"AB's {t} changed with BC's block interval and MTBF")
    if rows(a, t, bc) == rows(d, t, bc):
        bad.append(f"BC's {t} did not change with its block interval and MTBF")
if levels(a, ab) != levels(d, ab):
    bad.append("AB's key levels changed with BC's block interval and MTBF")
if len(a["link_blocks"][()]) < 100:
    bad.append("too few blocks to compare")
for b in bad:
    print("FAIL:", b)
print("common random numbers:", "FAILED" if bad else "ok")
sys.exit(1 if bad else 0)
PY
exit $fail
