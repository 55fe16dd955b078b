#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The level log's modes against each other (docs/trace-format.md,
# "/levels"): a sampled row holds the store's level and state at its time,
# the ones the log of every change gives there, and the store summaries
# (time in each state included) do not depend on the mode. The world
# writes sampled rows itself and observes the stores' changes only when
# every change is kept (docs/architecture.md), so this checks that the
# two paths agree.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
for s in default storage-options; do
    for m in on-change sampled off; do
        "$QKMSIM" run "$SRCDIR/scenarios/$s.xml" --until 20min -q -o "$tmp/$s-$m.h5" \
            -O levels=$m -O interval=7001ms || { echo "FAIL: $s levels=$m exited $?"; fail=1; }
    done
done
"$PYTHON3" - "$tmp" <<'PY' || fail=1
import sys, h5py, numpy as np
d = sys.argv[1]
bad = []
def expect(c, m):
    if not c:
        bad.append(m)
SAMPLE = 8
for s in ("default", "storage-options"):
    f = {m: h5py.File(f"{d}/{s}-{m}.h5", "r") for m in ("on-change", "sampled", "off")}
    for m in ("sampled", "off"):
        for n in ("stores", "links"):
            expect(f[m]["summary"][n][()].tobytes() == f["on-change"]["summary"][n][()].tobytes(),
                   f"{s}: /summary/{n} with levels={m} differs from on-change")
        a, b = f[m]["summary/network"][()], f["on-change"]["summary/network"][()]
        for c in a.dtype.names:   # the sampling events are events
            expect(c == "events" or a[c].tobytes() == b[c].tobytes(),
                   f"{s}: /summary/network {c} with levels={m} differs from on-change")
    expect(len(f["off"]["levels"]) == 0, f"{s}: levels=off wrote rows")
    ch, smp = f["on-change"]["levels"][()], f["sampled"]["levels"][()]
    nstores = len(f["on-change"]["stores"])
    end = int(f["on-change"]["summary/network"][0]["end"])
    times = np.arange(0, end + 1, 7001 * 10**6)
    expect(len(smp) == len(times) * nstores, f"{s}: {len(smp)} samples, want {len(times) * nstores}")
    expect(np.all(smp["cause"] == SAMPLE) and np.all(smp["delta"] == 0) and
           np.all(smp["amount"] == 0), f"{s}: a sampled row is not a sample")
    checked = 0
    for st in range(nstores):
        rows = ch[ch["store"] == st]
        for r in smp[smp["store"] == st]:
            t = int(r["time"])
            if np.any(rows["time"] == t):
                continue   # a change at the same instant: the event order decides
            before = rows[rows["time"] < t]
            level, state = (0, 3) if len(before) == 0 else (before[-1]["level"], before[-1]["state"])
            expect(int(r["level"]) == int(level) and int(r["state"]) == int(state),
                   f"{s}: store {st} at {t} ns: sampled {r['level']}/{r['state']}, "
                   f"the change log gives {level}/{state}")
            checked += 1
    expect(checked > 100, f"{s}: only {checked} samples checked")
for m in bad[:20]:
    print("FAIL:", m)
sys.exit(1 if bad else 0)
PY
exit $fail
