#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# What the trace records (<trace> and -O, docs/scenario-format.md): the
# request log all / sampled / off, summary-only, compression. The summary
# tables never depend on them.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
scn="$SRCDIR/scenarios/default.xml"
fail=0
run() { out=$1; shift; "$QKMSIM" run "$scn" --until 20min -q -o "$tmp/$out.h5" "$@" ||
        { echo "FAIL: run $* exited $?"; fail=1; }; }
run all
run off -O requests=off
run sampled -O requests=sampled -O request-every=7
run summary --summary-only
run plain -O compress=false
"$PYTHON3" - "$tmp" <<'PY' || fail=1
import sys, h5py, numpy as np
d = sys.argv[1]
bad = []
def expect(c, m):
    if not c: bad.append(m)
f = {k: h5py.File(f"{d}/{k}.h5", "r") for k in ("all", "off", "sampled", "summary", "plain")}
summaries = [n for n in f["all"]["summary"]]
for k, h in f.items():
    for n in summaries:
        expect(h["summary"][n][()].tobytes() == f["all"]["summary"][n][()].tobytes(),
               f"{k}: /summary/{n} differs from the full trace's")
apps = f["all"]["summary/apps"][()]
per_client = apps["requests"] + apps["slave_requests"]
expect(len(f["all"]["requests"]) == per_client.sum(), "all: a request row is missing")
expect(len(f["off"]["requests"]) == 0, "off: request rows")
want = sum(-(-int(n) // 7) for n in per_client)
expect(len(f["sampled"]["requests"]) == want, f"sampled: {len(f['sampled']['requests'])} rows, want {want}")
# the sampled rows are a subset of the full log, in order
full = f["all"]["requests"][()]
samp = f["sampled"]["requests"][()]
for app in np.unique(full["app"]):
    a = full[full["app"] == app]
    expect(samp[samp["app"] == app].tobytes() == a[::7].tobytes(), f"sampled: app {app} rows")
for t in ("levels", "requests", "link_blocks", "link_outages"):
    expect(len(f["summary"][t]) == 0, f"summary-only: /{t} has rows")
expect(int(f["summary"]["metadata"].attrs["summary_only"]) == 1, "summary_only attribute")
for t in ("levels", "requests", "link_blocks"):
    expect(f["all"][t].compression == "gzip" and f["all"][t].shuffle, f"/{t} is not compressed")
    expect(f["plain"][t].compression is None, f"compress=false: /{t} is compressed")
    expect(f["plain"][t][()].tobytes() == f["all"][t][()].tobytes(), f"/{t}: compression changed data")
expect(f["all"]["summary/network"].compression is None, "a summary table is compressed")
for m in bad:
    print("FAIL:", m)
sys.exit(1 if bad else 0)
PY
"$QKMSIM" run "$scn" -q -o "$tmp/x.h5" -O levels=sometimes 2> "$tmp/err"
[ $? -eq 2 ] && grep -q "levels" "$tmp/err" && [ ! -e "$tmp/x.h5" ] || { echo "FAIL: a bad -O value"; fail=1; }
"$QKMSIM" validate "$scn" -q -O nothing=1 2> "$tmp/err"
[ $? -eq 2 ] && grep -q "unknown output setting 'nothing'" "$tmp/err" || { echo "FAIL: an unknown -O name"; fail=1; }
exit $fail
