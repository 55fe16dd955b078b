#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""compare_relay.py - the relay scheduler comparison (docs/models.md,
"Comparing the relay schedulers").

  compare_relay.py [-q QKMSIM] [-s SCENARIO] [-o DIR] [-r RUN] [--csv]
                   [--schedulers fifo,dwrr,prio,toshiba] [-O NAME=VALUE ...]

Runs SCENARIO (default: relay-schedulers.xml of the bundled scenarios)
once per relay scheduler, changing only relay/@scheduler with a -p
override, so every run sees the same seeded workload. Writes
DIR/<scheduler>.h5 (default DIR: ./relay-schedulers; traces there are
replaced) and prints one row per scheduler: the delivered rate of every
flow (bit/s, /summary/flows), Jain's fairness index (/summary/relay) and
the relay latency p50/p95/p99 over every delivered job of every flow (s,
from /relays; numpy percentiles, linear interpolation). Exit status: 0,
or the first failing qkmsim's status (2 for bad arguments). -O passes an
output setting to every run (e.g. -O blocks=true).
"""
import argparse
import os
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def find_scenario():
    for s in ("../scenarios/relay-schedulers.xml", "../share/qkmsim/scenarios/relay-schedulers.xml",
              "scenarios/relay-schedulers.xml"):
        p = os.path.join(HERE, s)
        if os.path.isfile(p):
            return p
    return None


def row(path, sched):
    with h5py.File(path, "r") as f:
        flows = f["summary/flows"][()]
        rel = f["summary/relay"][()][0]
        net = f["summary/network"][()][0]
        relays = f["relays"][()]
        ids = [x.decode() if isinstance(x, bytes) else str(x) for x in flows["id"]]
        done = relays[relays["outcome"] == 0]
        lat = done["latency"] / 1e9
        q = np.percentile(lat, [50, 95, 99]) if len(lat) else [float("nan")] * 3
        out = {"scheduler": sched}
        for i, fid in enumerate(ids):
            out[f"rate_{fid}"] = float(flows["delivered_bps"][i])
        out.update({"fairness": float(rel["fairness"]), "p50": float(q[0]), "p95": float(q[1]),
                    "p99": float(q[2]), "stranded": int(rel["stranded"]),
                    "accounts_close": int(net["accounts_close"])})
        return out


def main(argv):
    ap = argparse.ArgumentParser(prog="compare_relay.py", description=__doc__.split("\n")[0])
    ap.add_argument("-q", dest="qkmsim", default=os.environ.get("QKMSIM", "qkmsim"))
    ap.add_argument("-s", dest="scenario", default=None)
    ap.add_argument("-o", dest="out", default="relay-schedulers")
    ap.add_argument("-r", dest="run", default="0")
    ap.add_argument("--csv", action="store_true")
    ap.add_argument("--schedulers", default="fifo,dwrr,prio,toshiba")
    ap.add_argument("-O", dest="outputs", action="append", default=[], metavar="NAME=VALUE",
                    help="an output setting for every run (qkmsim run -O)")
    a = ap.parse_args(argv[1:])
    scenario = a.scenario or find_scenario()
    if scenario is None or not os.path.isfile(scenario):
        print("compare_relay.py: no scenario (use -s FILE)", file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    rows, status = [], 0
    for s in a.schedulers.split(","):
        h5 = os.path.join(a.out, f"{s}.h5")
        cmd = [a.qkmsim, "run", scenario, "-o", h5, "--force", "--quiet", "-r", a.run,
               "-p", f"relay/@scheduler={s}", "-p", f"@name={s}", "-O", "requests=all"]
        for o in a.outputs:
            cmd += ["-O", o]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            print(f"compare_relay.py: {s} failed (exit {p.returncode}):\n{p.stdout}", file=sys.stderr)
            status = status or p.returncode
            continue
        rows.append(row(h5, s))
    if not rows:
        return status or 1
    cols = list(rows[0].keys())
    if a.csv:
        print(",".join(cols))
        for r in rows:
            print(",".join(f"{r[c]:.6g}" if isinstance(r[c], float) else str(r[c]) for c in cols))
    else:
        print(" ".join(f"{c:>14}" for c in cols))
        for r in rows:
            print(" ".join(f"{r[c]:>14.4g}" if isinstance(r[c], float) else f"{r[c]:>14}"
                           for c in cols))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
