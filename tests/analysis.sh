#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The analysis scripts (analysis/plot_levels.py, analysis/plot_requests.py)
# on a real run of the bundled scenario session-buffers.xml (10 minutes:
# stores in all four states, clients with 503s): each image is produced and
# non-trivial (PNG signature, > 10 kB, more than one colour), SVG when -o
# ends in .svg, and the numbers each script prints with --print (per store
# final level and time per state; per client 200/400/503 counts and mean
# latency) equal the simulator's own /summary/stores and /summary/apps,
# read here independently with h5py. Then store selection by index, link
# and node id, unknown ids (exit 2), the request log sampled and off, and
# the code names of every enumeration column (tests/check_codes.py).
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
scn="$SRCDIR/scenarios/session-buffers.xml"
levels="$SRCDIR/analysis/plot_levels.py"
requests="$SRCDIR/analysis/plot_requests.py"

run() { # NAME ARGS...: one run of the scenario, 10 minutes
    name=$1; shift
    "$QKMSIM" run "$scn" --until 10min -o "$tmp/$name.h5" --quiet "$@" ||
        { echo "FAIL: run $name exited $?"; exit 1; }
}
run all -O requests=all
run off -O requests=off
run sampled -O requests=sampled -O request-every=10

# IMAGE...: PNG signature, size > 10 kB, more than one colour.
image_ok() {
    "$PYTHON3" - "$@" <<'PY'
import os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np
bad = 0
for p in sys.argv[1:]:
    if not os.path.exists(p):
        print(f"FAIL: {p} not written"); bad = 1; continue
    with open(p, "rb") as f:
        sig = f.read(8)
    size = os.path.getsize(p)
    if sig != b"\x89PNG\r\n\x1a\n":
        print(f"FAIL: {p} is not a PNG"); bad = 1; continue
    if size <= 10000:
        print(f"FAIL: {p} is only {size} bytes"); bad = 1
    px = mpimg.imread(p)
    colours = np.unique(px.reshape(-1, px.shape[-1]), axis=0)
    if len(colours) < 2:
        print(f"FAIL: {p} is all one colour"); bad = 1
    print(f"{os.path.basename(p)}: {size} bytes, {px.shape[1]}x{px.shape[0]}, {len(colours)} colours")
sys.exit(bad)
PY
}

# plot_levels.py: every store, --print against /summary/stores.
"$PYTHON3" "$levels" "$tmp/all.h5" -o "$tmp/levels.png" --print > "$tmp/levels.txt" ||
    { echo "FAIL: plot_levels.py exited $?"; fail=1; }
image_ok "$tmp/levels.png" || fail=1
"$PYTHON3" - "$tmp/all.h5" "$tmp/levels.txt" <<'PY' || fail=1
import sys
import h5py
trace, printed = sys.argv[1], sys.argv[2]
with h5py.File(trace, "r") as f:
    summary = f["summary/stores"][()]
    stores = f["stores"][()]
rows = {}
for line in open(printed):
    if line.startswith("#"):
        continue
    kv = dict(item.split("=", 1) for item in line.split())
    rows[int(kv["store"])] = kv
bad = 0
if sorted(rows) != list(range(len(stores))):
    print(f"FAIL: plot_levels --print gave stores {sorted(rows)}, the trace has {len(stores)}")
    bad = 1
states_seen = set()
for s in summary:
    kv = rows.get(int(s["store"]))
    if kv is None:
        continue
    want = {"level": int(s["level"]), "time_ready": int(s["time_ready"]),
            "time_charging": int(s["time_charging"]),
            "time_warning": int(s["time_warning"]), "time_empty": int(s["time_empty"])}
    got = {k: int(kv[k]) for k in want}
    if got != want:
        print(f"FAIL: store {int(s['store'])}: plot_levels printed {got}, /summary/stores has {want}")
        bad = 1
    st = stores[int(s["store"])]
    if kv["node"] != st["node_id"].decode() or kv["link"] != st["link_id"].decode():
        print(f"FAIL: store {int(s['store'])} labelled {kv['node']}/{kv['link']}")
        bad = 1
    states_seen |= {k for k in want if k.startswith("time_") and want[k] > 0}
# The run must exercise the bands: at least three states.
if len(states_seen) < 3:
    print(f"FAIL: the run visits only {sorted(states_seen)}: the state bands are not exercised")
    bad = 1
print(f"plot_levels --print: {len(rows)} stores agree with /summary/stores "
      f"(states seen: {sorted(states_seen)})")
sys.exit(bad)
PY

# Selection: a link id, a node id, indices; unknown ids exit 2.
sel() { # EXPECTED-STORES ARGS...
    want=$1; shift
    got=$("$PYTHON3" "$levels" "$tmp/all.h5" -o "$tmp/sel.png" --print "$@" 2>/dev/null |
          sed -n 's/^store=\([0-9]*\) .*/\1/p' | tr '\n' ' ')
    [ "$got" = "$want" ] || { echo "FAIL: plot_levels $*: stores '$got', want '$want'"; fail=1; }
}
sel "0 1 2 3 4 5 6 7 " --stores AB
sel "1 3 5 7 " --node B
sel "9 11 13 15 " --stores C
sel "0 2 4 6 " --node A --link AB
sel "3 10 " --stores 3,10
sel "8 9 10 11 12 13 14 15 " --link AC
for bad_sel in "--stores ZZ" "--node Q" "--link XY" "--stores 99"; do
    # shellcheck disable=SC2086 # the options split on purpose
    "$PYTHON3" "$levels" "$tmp/all.h5" -o "$tmp/x.png" $bad_sel > /dev/null 2> "$tmp/err"
    rc=$?
    [ $rc -eq 2 ] || { echo "FAIL: plot_levels $bad_sel exited $rc, want 2"; fail=1; }
    grep -q Traceback "$tmp/err" && { echo "FAIL: plot_levels $bad_sel: traceback"; fail=1; }
    grep -q "plot_levels.py: " "$tmp/err" || { echo "FAIL: plot_levels $bad_sel: no message"; fail=1; }
done
"$PYTHON3" "$levels" "$tmp/all.h5" -o "$tmp/levels.svg" --stores AC > /dev/null &&
    head -c 400 "$tmp/levels.svg" | grep -q '<svg' ||
    { echo "FAIL: plot_levels -o .svg did not write SVG"; fail=1; }
"$PYTHON3" "$levels" --help | grep -q -- "--node" || { echo "FAIL: plot_levels --help"; fail=1; }

# plot_requests.py in the three request-log modes, --print against /summary/apps.
for mode in all sampled off; do
    "$PYTHON3" "$requests" "$tmp/$mode.h5" -o "$tmp/req-$mode.png" --print \
        > "$tmp/req-$mode.txt" || { echo "FAIL: plot_requests.py ($mode) exited $?"; fail=1; }
    image_ok "$tmp/req-$mode.png" || fail=1
    "$PYTHON3" - "$tmp/$mode.h5" "$tmp/req-$mode.txt" "$mode" <<'PY' || fail=1
import sys
import h5py
import numpy as np
trace, printed, mode = sys.argv[1:4]
with h5py.File(trace, "r") as f:
    apps = f["apps"][()]
    summary = f["summary/apps"][()]
    req = f["requests"][()]
    logged = f["metadata"].attrs["requests"]
bad = 0
if logged != mode:
    print(f"FAIL: /metadata@requests is {logged}, want {mode}"); bad = 1
lines = [dict(i.split("=", 1) for i in l.split()) for l in open(printed)]
if [l["app"] for l in lines] != [a["id"].decode() for a in apps]:
    print(f"FAIL: plot_requests printed apps {[l['app'] for l in lines]}"); bad = 1
refused = 0
for kv, s in zip(lines, summary):
    want = {"status_200": int(s["ok"]), "status_400": int(s["bad_request"]),
            "status_503": int(s["unavailable"])}
    got = {k: int(kv[k]) for k in want}
    refused += want["status_503"]
    if got != want:
        print(f"FAIL: {mode}: app {kv['app']}: printed {got}, /summary/apps has {want}"); bad = 1
    if abs(float(kv["latency_mean_s"]) - float(s["mean_latency_s"])) > 1e-9 and mode != "sampled":
        print(f"FAIL: {mode}: app {kv['app']}: mean latency {kv['latency_mean_s']} != "
              f"{float(s['mean_latency_s'])}"); bad = 1
    want_source = "requests" if mode == "all" else "summary"
    if kv["source"] != want_source:
        print(f"FAIL: {mode}: counts from {kv['source']}, want {want_source}"); bad = 1
    mine = req[(req["app"] == s["app"]) & (req["kind"] == 1)]
    if mode == "off":
        if "latency_p50_s" in kv:
            print(f"FAIL: off: quantiles printed without a request log"); bad = 1
    else:
        lat = (mine["t_response"] - mine["t_request"]) / 1e9
        if int(kv["latency_n"]) != len(lat):
            print(f"FAIL: {mode}: latency_n {kv['latency_n']} != {len(lat)} rows"); bad = 1
        for q in (50, 90, 99):
            if abs(float(kv[f"latency_p{q}_s"]) - np.quantile(lat, q / 100)) > 1e-9:
                print(f"FAIL: {mode}: p{q} {kv[f'latency_p{q}_s']}"); bad = 1
if refused == 0:
    print("FAIL: no 503 in the run: the outcome counts are not exercised"); bad = 1
print(f"plot_requests --print ({mode}): {len(lines)} clients agree with /summary/apps")
sys.exit(bad)
PY
done
"$PYTHON3" "$requests" "$tmp/all.h5" -o "$tmp/req.svg" > /dev/null &&
    head -c 400 "$tmp/req.svg" | grep -q '<svg' ||
    { echo "FAIL: plot_requests -o .svg did not write SVG"; fail=1; }
"$PYTHON3" "$requests" --help | grep -q "sampled" || { echo "FAIL: plot_requests --help"; fail=1; }
"$PYTHON3" "$requests" "$tmp/none.h5" -o "$tmp/x.png" 2> /dev/null
[ $? -eq 2 ] || { echo "FAIL: plot_requests on a missing trace did not exit 2"; fail=1; }

# Code names of every enumeration column; a run with link outages too.
"$PYTHON3" "$SRCDIR/tests/check_codes.py" "$tmp/all.h5" || fail=1
"$QKMSIM" run "$SRCDIR/scenarios/links.xml" --until 100min -O requests=all -o "$tmp/links.h5" --quiet ||
    { echo "FAIL: run links.xml exited $?"; fail=1; }
"$PYTHON3" "$SRCDIR/tests/check_codes.py" "$tmp/links.h5" --expect-outages || fail=1
exit $fail
