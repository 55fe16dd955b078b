#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the relay scheduler comparison (analysis/compare_relay.py on
scenarios/relay-schedulers.xml) must show, from its CSV and its traces:

  - one row per scheduler (fifo, dwrr, prio, toshiba), accounts closed;
  - every scheduler is work-conserving at the bottleneck: the flows
    together get what X-Y carries, rate x N / (N + T), within 2 %;
  - prio: class 0 (gold) gets its whole demand, more than any class 1 flow;
  - dwrr: shares follow the weights 3:1:1; toshiba: shares follow the
    demands 3:2:1; fifo: shares follow the arrivals, so every flow gets
    the same fraction of its demand (fairness >= 0.99);
  within a tolerance derived from the run: two quanta of the largest
  flow over the bits the smallest flow got, plus 1 %.

  - `qkmsim summarize` (SUMMARIZE, its CSV of the same traces): relayed_bits
    + stranded_bits is twice the relay's spent key, stranded_bits twice its
    stranded key, relay_fairness its fairness.

  check_relay.py CSV TRACE_DIR SCENARIO SUMMARIZE
"""
import csv
import sys
import xml.etree.ElementTree as ET

import h5py

BOTTLENECK_BPS, JOB, TAG = 4000.0, 1024.0, 128.0
fails = []


def expect(cond, what):
    if not cond:
        fails.append(what)


def check_summarize(path, tracedir):
    for r in csv.DictReader(open(path)):
        with h5py.File(r["trace"], "r") as f:
            rel = f["summary/relay"][()][0]
        s = r["name"]
        expect(int(r["relayed_bits"]) + int(r["stranded_bits"]) == 2 * int(rel["spent"]),
               f"summarize {s}: relayed + stranded is not twice the relay's spent key")
        expect(int(r["stranded_bits"]) == 2 * int(rel["stranded"]),
               f"summarize {s}: stranded_bits is not twice the relay's stranded key")
        expect(abs(float(r["relay_fairness"]) - float(rel["fairness"])) <= 1e-8,
               f"summarize {s}: relay_fairness {r['relay_fairness']}")


def main(path, tracedir, scenario, summarize):
    check_summarize(summarize, tracedir)
    rows = {r["scheduler"]: r for r in csv.DictReader(open(path))}
    expect(sorted(rows) == ["dwrr", "fifo", "prio", "toshiba"], f"schedulers: {sorted(rows)}")
    quantum = float(ET.parse(scenario).getroot().find("relay").get("quantum"))
    carried = BOTTLENECK_BPS * JOB / (JOB + TAG)
    for s, r in rows.items():
        with h5py.File(f"{tracedir}/{s}.h5", "r") as f:
            end_s = float(f["summary/network"]["end"][0]) / 1e9
            demand = {(x.decode() if isinstance(x, bytes) else x): float(d)
                      for x, d in zip(f["summary/flows"]["id"], f["summary/flows"]["demand_bps"])}
        rate = {k: float(r[f"rate_{k}"]) for k in demand}
        tol = 2 * quantum / (min(rate.values()) * end_s) + 0.01
        expect(r["accounts_close"] == "1", f"{s}: accounts do not close")
        total = sum(rate.values())
        expect(abs(total - carried) <= 0.02 * carried,
               f"{s}: the flows get {total:.0f} bit/s, the bottleneck carries {carried:.0f}")

        def ratio(a, b, want):
            got = rate[a] / rate[b]
            expect(abs(got / want - 1) <= tol,
                   f"{s}: {a}/{b} = {got:.3f}, expected {want} within {tol:.3f}")
        if s == "prio":
            expect(rate["gold"] >= (1 - tol) * min(demand["gold"], carried),
                   f"prio: class 0 gets {rate['gold']:.0f} of its {demand['gold']:.0f} bit/s")
            expect(rate["gold"] > rate["silver"] and rate["gold"] > rate["bronze"],
                   "prio: class 0 does not get more than class 1")
        elif s == "dwrr":
            ratio("gold", "silver", 3.0)
            ratio("silver", "bronze", 1.0)
        elif s == "toshiba":
            ratio("gold", "bronze", demand["gold"] / demand["bronze"])
            ratio("silver", "bronze", demand["silver"] / demand["bronze"])
        elif s == "fifo":
            expect(float(r["fairness"]) >= 0.99, f"fifo: fairness {r['fairness']}")
        for q in ("p50", "p95", "p99"):
            expect(float(r[q]) >= 0, f"{s}: {q} = {r[q]}")
        expect(float(r["p50"]) <= float(r["p95"]) <= float(r["p99"]), f"{s}: quantiles out of order")
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
