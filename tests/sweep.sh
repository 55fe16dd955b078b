#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Sweeps on the local executor (docs/sweeps.md): plan, run, status, merge
# checked against the run files (check_sweep.py), resume after deleted
# results and after a killed run, failures kept with their reasons, and
# a folder with results refused without --resume.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
sw="$SRCDIR/tests/sweep"
fail=0
no() { echo "FAIL: $*"; fail=1; }

# plan: the run table, 2 rates x 2 durations x 3 replications
"$QKMSIM" sweep plan "$sw/small.xml" -d "$tmp/s" > "$tmp/plan" || no "plan exited $?"
[ "$(wc -l < "$tmp/plan")" -eq 13 ] || no "plan prints $(wc -l < "$tmp/plan") lines, not 13"
[ -f "$tmp/s/manifest.tsv" ] || no "no manifest"
# replication r runs with run number r at every point, one seed
awk -F'\t' 'NR > 1 && ($3 != $5 || $3 != ($1 % 3) || $4 != 2026) { bad = 1 } END { exit bad }' \
    "$tmp/plan" || no "the plan's seeds and run numbers are not common random numbers"

# run, merge, check against the run files
"$QKMSIM" sweep run "$sw/small.xml" -d "$tmp/s" -j 2 -q || no "run exited $?"
"$QKMSIM" sweep status "$sw/small.xml" -d "$tmp/s" | grep -q "12 runs: 12 done, 0 failed, 0 pending" ||
    no "status after the run"
"$QKMSIM" sweep merge "$sw/small.xml" -d "$tmp/s" > /dev/null || no "merge exited $?"
"$PYTHON3" "$SRCDIR/tests/check_sweep.py" "$tmp/s" 3 || fail=1
cp "$tmp/s/results.csv" "$tmp/first.csv"

# the plot of a metric against a parameter, one line per duration
"$PYTHON3" "$SRCDIR/analysis/plot_sweep.py" "$tmp/s" --x rate --by duration \
    --metric unavailable -o "$tmp/u.png" --print > "$tmp/plotted" 2>/dev/null || no "plot_sweep"
[ "$(head -c 8 "$tmp/u.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] &&
    [ "$(wc -c < "$tmp/u.png")" -gt 10000 ] || no "plot_sweep wrote no real PNG"
"$PYTHON3" - "$tmp/s/points.csv" "$tmp/plotted" <<'PY' || no "plot_sweep plots other numbers"
import csv, sys
pts = {(r["duration"], r["rate"]): r for r in csv.DictReader(open(sys.argv[1]))}
got = list(csv.DictReader(open(sys.argv[2])))
assert len(got) == len(pts) == 4, len(got)
for g in got:
    p = pts[(g["line"], g["rate"])]
    assert float(g["mean"]) == float(p["unavailable_mean"]) and float(g["ci95"]) == float(p["unavailable_ci95"])
PY

# a second run into the same folder is refused
"$QKMSIM" sweep run "$sw/small.xml" -d "$tmp/s" -q 2> "$tmp/err"
[ $? -eq 2 ] && grep -q -- "--resume" "$tmp/err" || no "a folder with results was not refused"

# resume after deleting results: only those rerun, the results are the same
sum() { md5sum "$tmp"/s/runs/run-0000*.h5 | grep -v -e run-000003 -e run-000007; }
sum > "$tmp/before"
rm -f "$tmp/s/runs/run-000003.done" "$tmp/s/runs/run-000007.done" "$tmp/s/runs/run-000007.h5"
"$QKMSIM" sweep status "$sw/small.xml" -d "$tmp/s" | grep -q "10 done, 0 failed, 2 pending" ||
    no "status after deleting two results"
"$QKMSIM" sweep run "$sw/small.xml" -d "$tmp/s" --resume -q || no "resume exited $?"
sum | cmp -s - "$tmp/before" || no "resume reran runs that were done"
"$QKMSIM" sweep merge "$sw/small.xml" -d "$tmp/s" > /dev/null &&
    cmp -s "$tmp/s/results.csv" "$tmp/first.csv" || no "results differ after the resume"

# a run killed while it runs leaves no done marker, and its reason
"$QKMSIM" sweep run "$sw/slow.xml" -d "$tmp/k" -j 1 -q 2> "$tmp/kerr" &
parent=$!
child=""
for _ in $(seq 50); do
    child=$(pgrep -P "$parent" | head -n 1)
    [ -n "$child" ] && break
    sleep 0.1
done
sleep 0.5
[ -n "$child" ] && kill -KILL "$child"
wait "$parent"
[ $? -eq 1 ] || no "a sweep with a killed run did not exit 1"
[ ! -e "$tmp/k/runs/run-000000.done" ] || no "a killed run left a done marker"
grep -q "killed by signal 9" "$tmp/k/runs/run-000000.failed" 2>/dev/null ||
    no "the killed run's reason is not kept"
"$QKMSIM" sweep status "$sw/slow.xml" -d "$tmp/k" | grep -q "0 done, 1 failed" ||
    no "status after the killed run"
"$QKMSIM" sweep run "$sw/slow.xml" -d "$tmp/k" --resume -q || no "resume after the kill exited $?"
[ -e "$tmp/k/runs/run-000000.done" ] && [ ! -e "$tmp/k/runs/run-000000.failed" ] ||
    no "the resumed run is not done"

# runs that fail: exit 1, reasons kept, the others merged
"$QKMSIM" sweep run "$sw/bad.xml" -d "$tmp/b" -q 2> /dev/null
[ $? -eq 1 ] || no "a sweep with failing runs did not exit 1"
grep -q "exit status 2" "$tmp/b/runs/run-000002.failed" 2>/dev/null &&
    grep -q "rate" "$tmp/b/runs/run-000002.failed" || no "a failed run's reason is not kept"
"$QKMSIM" sweep merge "$sw/bad.xml" -d "$tmp/b" | grep -q "merged 2 of 4 runs" ||
    no "merge of the runs that succeeded"

# a bad sweep file: exit 2, file and line
printf '<sweep name="x" scenario="none.xml">\n<param name="a" path="@duration"/></sweep>\n' \
    > "$tmp/x.xml"
"$QKMSIM" sweep plan "$tmp/x.xml" -d "$tmp/x" 2> "$tmp/err"
[ $? -eq 2 ] && grep -q "x.xml:2:" "$tmp/err" || no "a bad sweep file: $(cat "$tmp/err")"
exit $fail
