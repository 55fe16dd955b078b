#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# What the trace records (<trace> and -O, docs/scenario-format.md): the
# request log all / sampled / off, the block log, summary-only,
# compression, and the compact default (levels sampled every second, no
# request or block rows, outages kept). The summary tables never depend
# on them, but for /summary/network `events`: links are lazy where
# nothing observes their blocks (docs/models.md, "Lazy links"), and the
# level sampler is an event.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
scn="$SRCDIR/scenarios/default.xml"
fail=0
run() { out=$1; shift; "$QKMSIM" run "$scn" --until 20min -q -o "$tmp/$out.h5" "$@" ||
        { echo "FAIL: run $* exited $?"; fail=1; }; }
run all -O requests=all -O blocks=true
run agg
run agg10 -O request-interval=10s
run off -O requests=off
run sampled -O requests=sampled -O request-every=7
run summary --summary-only -O blocks=true
run plain -O compress=false -O requests=all -O blocks=true
run plainagg -O compress=false
# The default settings: default.xml without its <trace levels="on-change"/>.
sed '/<trace /d' "$scn" > "$tmp/notrace.xml"
grep -q '<trace' "$tmp/notrace.xml" && { echo "FAIL: <trace> still in notrace.xml"; fail=1; }
"$QKMSIM" run "$tmp/notrace.xml" --until 20min -q -o "$tmp/defaults.h5" ||
    { echo "FAIL: run with the default trace exited $?"; fail=1; }
"$PYTHON3" - "$tmp" <<'PY' || fail=1
import sys, h5py, numpy as np
d = sys.argv[1]
bad = []
def expect(c, m):
    if not c: bad.append(m)
def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)
f = {k: h5py.File(f"{d}/{k}.h5", "r") for k in ("all", "agg", "agg10", "off", "sampled", "summary", "plain",
                                                 "plainagg", "defaults")}
summaries = [n for n in f["all"]["summary"]]
def without_events(t):
    return t[[c for c in t.dtype.names if c != "events"]].tolist()
for k, h in f.items():
    for n in summaries:
        x, y = h["summary"][n][()], f["all"]["summary"][n][()]
        expect((without_events(x) == without_events(y)) if n == "network" else
               x.tobytes() == y.tobytes(), f"{k}: /summary/{n} differs from the full trace's")
# The level log on change keeps the links eager; summary-only lets them be lazy.
expect(f["summary"]["summary/network"]["events"][0] < f["all"]["summary/network"]["events"][0],
       "summary-only: not fewer events than the full trace (links not lazy?)")
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
# The default: per-client aggregates that give the same counts as the
# log, window by window, with the log's latency quantiles (GSL's and
# numpy's "linear" are the same interpolation).
expect(f["agg"]["metadata"].attrs["requests"] == b"aggregate" or
       f["agg"]["metadata"].attrs["requests"] == "aggregate", "the default is not aggregate")
expect(len(f["agg"]["requests"]) == 0, "aggregate: per-request rows")
expect("request_stats" not in f["all"], "all: /request_stats written")
for k, width in (("agg", 60e9), ("agg10", 10e9)):
    st = f[k]["request_stats"][()]
    expect(int(f[k]["request_stats"].attrs["interval_ns"]) == width, f"{k}: interval_ns")
    expect(f[k]["request_stats"].compression == "gzip" and f[k]["request_stats"].shuffle,
           f"{k}: /request_stats is not compressed")
    for i, a in enumerate(apps):
        m, s = st[(st["app"] == i) & (st["kind"] == 1)], st[(st["app"] == i) & (st["kind"] == 2)]
        for col, want in (("requests", m["count"].sum()), ("ok", m[m["status"] == 200]["count"].sum()),
                          ("bad_request", m[m["status"] == 400]["count"].sum()),
                          ("unavailable", m[m["status"] == 503]["count"].sum()),
                          ("bits", m["bits"].sum()), ("slave_requests", s["count"].sum()),
                          ("slave_ok", s[s["status"] == 200]["count"].sum())):
            expect(int(a[col]) == int(want), f"{k}: app {i}: {col} {a[col]}, the aggregates give {want}")
        lat = (m["count"] * m["latency_mean_s"]).sum() / max(1, m["count"].sum())
        expect(abs(lat - a["mean_latency_s"]) < 1e-12, f"{k}: app {i}: mean latency")
    for row in st[:50]:
        sel = full[(full["app"] == row["app"]) & (full["kind"] == row["kind"]) &
                   (full["status"] == row["status"]) & (full["t_request"] >= row["t_start"]) &
                   (full["t_request"] < row["t_end"])]
        latency = (sel["t_response"] - sel["t_request"]) / 1e9
        expect(len(sel) == row["count"], f"{k}: a window's count differs from the log")
        for q, col in ((0.5, "latency_p50_s"), (0.95, "latency_p95_s"), (0.99, "latency_p99_s")):
            expect(len(sel) > 0 and abs(np.quantile(latency, q) - row[col]) < 1e-12,
                   f"{k}: {col} differs from the log's")
for t in ("levels", "requests", "link_blocks", "link_outages"):
    expect(len(f["summary"][t]) == 0, f"summary-only: /{t} has rows")
expect(int(f["summary"]["metadata"].attrs["summary_only"]) == 1, "summary_only attribute")
expect(int(f["summary"]["metadata"].attrs["blocks"]) == 0, "summary-only: blocks attribute not 0")
# The default trace: every store's level sampled every second from 0 to
# the end inclusive (SAMPLE rows only), no request or block rows.
dm = f["defaults"]["metadata"].attrs
end = int(dm["end_ns"])
expect(text(dm["levels"]) == "sampled" and int(dm["sample_interval_ns"]) == 10**9,
       f"default levels: {text(dm['levels'])} every {int(dm['sample_interval_ns'])} ns, want sampled every 1 s")
expect(int(dm["blocks"]) == 0 and text(dm["requests"]) == "aggregate",
       "default: blocks or requests not off/aggregate")
lv = f["defaults"]["levels"][()]
nstores = len(f["defaults"]["stores"])
expect(len(lv) == nstores * (end // 10**9 + 1), f"default: {len(lv)} level rows, want "
       f"{nstores} stores x {end // 10**9 + 1} samples")
expect(np.all(lv["cause"] == 8) and np.all(lv["time"] % 10**9 == 0), "default: a level row that is not a sample")
expect(len(f["defaults"]["link_blocks"]) == 0 and len(f["defaults"]["requests"]) == 0,
       "default: block or request rows")
expect(len(f["defaults"]["request_stats"]) > 0, "default: no request aggregates")
# The block log when asked for: a row per block closed with key.
dev = f["all"]["summary/link_devices"][()]
expect(int(f["all"]["metadata"].attrs["blocks"]) == 1, "blocks=true: attribute not 1")
expect(len(f["all"]["link_blocks"]) == int(dev["closed"].sum()) > 0,
       f"blocks=true: {len(f['all']['link_blocks'])} rows, {int(dev['closed'].sum())} blocks closed")
for k in ("agg", "off", "sampled"):
    expect(len(f[k]["link_blocks"]) == 0 and int(f[k]["metadata"].attrs["blocks"]) == 0,
           f"{k}: block rows without blocks=true")
for t in ("levels", "requests", "link_blocks"):
    expect(f["all"][t].compression == "gzip" and f["all"][t].shuffle, f"/{t} is not compressed")
    expect(f["plain"][t].compression is None, f"compress=false: /{t} is compressed")
    expect(f["plain"][t][()].tobytes() == f["all"][t][()].tobytes(), f"/{t}: compression changed data")
expect(f["plainagg"]["request_stats"].compression is None, "compress=false: /request_stats is compressed")
expect(f["plainagg"]["request_stats"][()].tobytes() == f["agg"]["request_stats"][()].tobytes(),
       "/request_stats: compression changed data")
expect(f["all"]["summary/network"].compression is None, "a summary table is compressed")
for m in bad:
    print("FAIL:", m)
sys.exit(1 if bad else 0)
PY
# A client's windows come in time order, each once, even when calls wait
# at the KME across a window's end (ETSI 004 GET_KEY waiting for key):
# a call counts in the window it was answered in.
"$QKMSIM" run "$SRCDIR/scenarios/etsi004.xml" -q -O request-interval=100ms -o "$tmp/e4.h5" &&
"$PYTHON3" - "$tmp/e4.h5" <<'PY' || { echo "FAIL: etsi004 windows split or out of order"; fail=1; }
import sys, h5py, collections
st = h5py.File(sys.argv[1], "r")["request_stats"][()]
keys = collections.Counter((int(r["app"]), int(r["t_start"]), int(r["kind"]), int(r["status"])) for r in st)
dup = [k for k, n in keys.items() if n > 1]
last, back = {}, 0
for r in st:
    a, t = int(r["app"]), int(r["t_start"])
    back += a in last and t < last[a]
    last[a] = t
print(f"etsi004 windows: {len(st)} rows, {len(dup)} written twice, {back} out of order")
sys.exit(1 if dup or back or len(st) == 0 else 0)
PY
# The schema takes the settings in <trace> too (not only through -O).
sed 's|<trace levels="on-change"/>|<trace levels="on-change" requests="aggregate" request-interval="30s" blocks="true"/>|' \
    "$scn" > "$tmp/agg.xml"
grep -q 'request-interval="30s"' "$tmp/agg.xml" &&
    "$QKMSIM" run "$tmp/agg.xml" --until 2min -q -o "$tmp/agg30.h5" &&
    "$PYTHON3" -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r'); sys.exit(int(f['request_stats'].attrs['interval_ns']) != 30e9 or int(f['metadata'].attrs['blocks']) != 1 or len(f['link_blocks']) == 0)" "$tmp/agg30.h5" ||
    { echo "FAIL: <trace requests=\"aggregate\" request-interval=\"30s\" blocks=\"true\">"; fail=1; }
# Outages are logged by default (links.xml logs levels on change, and
# nothing else beyond the default), and blocks are not.
"$QKMSIM" run "$SRCDIR/scenarios/links.xml" --until 2h -q -o "$tmp/links.h5" &&
    "$PYTHON3" -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r'); sys.exit(len(f['link_outages']) != int(f['summary/link_devices']['outages'].sum()) or len(f['link_outages']) == 0 or len(f['link_blocks']) != 0)" "$tmp/links.h5" ||
    { echo "FAIL: links.xml: outage rows missing or block rows by default"; fail=1; }
"$QKMSIM" run "$scn" -q -o "$tmp/x.h5" -O blocks=maybe 2> "$tmp/err"
[ $? -eq 2 ] && grep -q "blocks" "$tmp/err" && [ ! -e "$tmp/x.h5" ] || { echo "FAIL: a bad -O blocks value"; fail=1; }
"$QKMSIM" run "$scn" -q -o "$tmp/x.h5" -O levels=sometimes 2> "$tmp/err"
[ $? -eq 2 ] && grep -q "levels" "$tmp/err" && [ ! -e "$tmp/x.h5" ] || { echo "FAIL: a bad -O value"; fail=1; }
"$QKMSIM" validate "$scn" -q -O nothing=1 2> "$tmp/err"
[ $? -eq 2 ] && grep -q "unknown output setting 'nothing'" "$tmp/err" || { echo "FAIL: an unknown -O name"; fail=1; }
exit $fail
