# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the bundled storage-design scenarios (tests/design_scenarios.sh).

  check_designs.py session TRACE.h5     session-buffers.xml
  check_designs.py q3p TRACE.h5         q3p.xml
  check_designs.py collide NONE.h5 OPPOSITE.h5 WORKING.h5   collisions.xml

Each check recomputes a design's defining behaviour from the trace, from
the rules in docs/storage-models.md, independently of the C code. session
and q3p read every level change: their traces need levels="on-change"
(the scenario's, or -O levels=on-change; the default only samples).
"""

import math
import sys

import h5py
import numpy as np

from check_trace import expect, failures, report


def text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def needs_changes(f):
    """The level log holds every change (not the default samples)."""
    mode = text(f["metadata"].attrs["levels"])
    expect(mode == "on-change",
           f"levels='{mode}': the checks need levels='on-change' (run with -O levels=on-change)")


def moved_in(levels, store):
    rows = levels[(levels["store"] == store) & (levels["cause"] == 9) & (levels["delta"] > 0)]
    return {int(t): int(a) for t, a in zip(rows["time"], rows["amount"])}


def hamilton(k, weights):
    """Largest-remainder shares of k bits by weight, ties to the first."""
    total = sum(weights)
    q = [k * w / total for w in weights]
    share = [math.floor(x) for x in q]
    order = sorted(range(len(q)), key=lambda i: (-(q[i] - share[i]), i))
    for i in order[:k - sum(share)]:
        share[i] += 1
    return share


def session(path):
    """Every refill on a link whose buffers are all needy and none fills up
    splits the key in proportion to the clients' rates (Hamilton)."""
    with h5py.File(path, "r") as f:
        needs_changes(f)
        stores, levels, apps = f["stores"][()], f["levels"][()], f["apps"][()]
        links = f["links"][()]
        checked = 0
        for l in links:
            li = int(l["index"])
            mine = [s for s in stores if int(s["link"]) == li and int(s["end"]) == 0
                    and text(s["role"]).startswith("session/")]
            ids = [text(s["role"])[len("session/"):] for s in mine]
            rate = {text(a["id"]): float(a["rate"]) * int(a["number"]) * int(a["size"]) for a in apps}
            weights = [rate[i] for i in ids]
            ins = [moved_in(levels, int(s["index"])) for s in mine]
            common = [int(s["index"]) for s in stores if int(s["link"]) == li and text(s["role"]) == "common"]
            for t in sorted(set().union(*[set(x) for x in ins])):
                got = [x.get(t, 0) for x in ins]
                # Only refills in which every buffer took key and none
                # reached its capacity are plain proportional splits.
                full = any(int(lv["level"]) == int(s["capacity"]) for s in mine
                           for lv in levels[(levels["store"] == s["index"]) & (levels["time"] == t)][-1:])
                if min(got) == 0 or full:
                    continue
                checked += 1
                want = hamilton(sum(got), weights)
                expect(got == want, f"link {li} t={t}: refill split {got}, rates give {want}")
            # Both ends move in step.
            for s in stores[(stores["link"] == li) & (stores["end"] == 0)]:
                a = moved_in(levels, int(s["index"]))
                b = moved_in(levels, int(s["index"]) + 1)
                expect(a == b, f"store {s['index']}: the two ends moved different key")
            expect(len(common) == 2, f"link {li}: {len(common)} common stores")
        expect(checked > 100, f"only {checked} proportional refills seen")
        print(f"session: {checked} proportional refills checked")


def q3p(path):
    """Tags, LOAD-REQUESTs and the one-third rule, from the level trace."""
    with h5py.File(path, "r") as f:
        needs_changes(f)
        stores, levels, lsum = f["stores"][()], f["levels"][()], f["summary/links"][()]
        ssum = f["summary/stores"][()]
        for l in f["links"][()]:
            li = int(l["index"])
            mine = stores[stores["link"] == li]
            role = {int(s["index"]): text(s["role"]) for s in mine}
            common = [i for i, r in role.items() if r == "common"]
            internal = sum(int(ssum[i]["internal"]) for i in role)
            expect(internal == int(lsum[li]["tag_bits"]),
                   f"link {li}: internal {internal} != tag_bits {int(lsum[li]['tag_bits'])}")
            expect(all(int(ssum[i]["internal"]) == 0 for i, r in role.items() if r != "common"),
                   f"link {li}: key spent internally outside the common store")
            c = levels[(levels["store"] == common[0])]
            tags = c[c["cause"] == 4]["amount"]
            expect(np.all(np.isin(tags, [96, 192])), f"link {li}: a tag payment other than 96 or 192 bits")
            expect(int((tags == 96).sum()) > 0, f"link {li}: no LOAD-REQUEST")
            # A LOAD never takes more than a third of the common store: each
            # move out of the common store (a LOAD, decided `delay` = 1 ms
            # earlier at a round or a LOAD-REQUEST's arrival) is at most a
            # third of the level last recorded at or before the decision.
            out = c[(c["cause"] == 9) & (c["delta"] < 0)]
            for t, amount in zip(out["time"], out["amount"]):
                dec = c[(c["time"] <= int(t) - 1_000_000)]
                if len(dec) == 0:
                    continue
                seen = int(dec["level"][-1])
                expect(int(amount) <= seen // 3 + 1,
                       f"link {li} t={int(t)}: a LOAD moved {int(amount)} of a common store of {seen}")


def collide(none, opposite, working):
    runs = {}
    for name, path in [("none", none), ("opposite", opposite), ("working", working)]:
        with h5py.File(path, "r") as f:
            runs[name] = (f["summary/links"][()], f["summary/network"][()][0], f["requests"][()])
    lost = {k: int(v[1]["slave_failed"]) for k, v in runs.items()}
    for k, (ls, net, req) in runs.items():
        expect(int(ls["collisions"].sum()) == lost[k], f"{k}: collisions != lost requests")
        # Every lost request is a 400 to a slave whose master got 200.
        expect(int(((req["kind"] == 2) & (req["status"] == 400)).sum()) == lost[k], f"{k}: 400s != lost")
    expect(lost["none"] > 1000, f"no remedy: only {lost['none']} collisions")
    expect(0 < lost["opposite"] < lost["none"] // 10, f"opposite ends: {lost['opposite']} collisions")
    expect(lost["working"] == 0, f"working set: {lost['working']} collisions")
    # The same requests in every run (common random numbers).
    t = [v[2]["t_request"][v[2]["kind"] == 1] for v in runs.values()]
    expect(all(np.array_equal(t[0], x) for x in t[1:]), "the runs saw different workloads")
    print(f"collide: lost none {lost['none']}, opposite-ends {lost['opposite']}, working-set {lost['working']}")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "session" and len(argv) == 3:
        session(argv[2])
    elif cmd == "q3p" and len(argv) == 3:
        q3p(argv[2])
    elif cmd == "collide" and len(argv) == 5:
        collide(*argv[2:5])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return report(cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
