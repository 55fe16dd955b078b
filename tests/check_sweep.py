#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks a merged sweep against its per-run files, computed independently.

  check_sweep.py DIR R       R = the sweep's replications

results.csv must hold, for every done run, the row of that run's own
/summary/network (read here with h5py) and its parameters from the
manifest; points.csv the mean, sample standard deviation and 95 %
Student-t half-width of each metric over the point's replications
(computed here with the statistics module and a t quantile from a table
independent of GSL); results.h5 the same numbers as the CSV files.
"""
import csv
import math
import statistics
import sys

import h5py
import numpy as np

# t_{0.975, df}: two-sided 95 % quantiles of Student's t.
T975 = {1: 12.706204736174698, 2: 4.302652729749464, 3: 3.182446305284263,
        4: 2.7764451051977934, 5: 2.5705818356363146}

failures = []


def expect(cond, msg):
    if not cond:
        failures.append(msg)


def close(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def main(d, reps):
    manifest = [line.rstrip("\n").split("\t") for line in open(f"{d}/manifest.tsv")
                if not line.startswith("#")]
    head, rows = manifest[0], manifest[1:]
    params = head[5:]
    runs = list(csv.DictReader(open(f"{d}/results.csv")))
    expect(len(runs) > 0, "results.csv has no run")
    by_point = {}
    for r in runs:
        i = int(r["index"])
        m = dict(zip(head, rows[i]))
        for p in params:
            expect(r[p] == m[p], f"run {i}: parameter {p} is {r[p]}, the manifest says {m[p]}")
        expect(int(r["run"]) == int(m["run"]) == i % reps, f"run {i}: run number")
        with h5py.File(f"{d}/runs/run-{i:06d}.h5", "r") as f:
            expect(int(f["metadata"].attrs["completed"]) == 1, f"run {i}: not complete")
            expect(int(f["metadata"].attrs["run"]) == int(r["run"]), f"run {i}: /metadata run")
            expect(int(f["metadata"].attrs["seed"]) == int(r["seed"]), f"run {i}: /metadata seed")
            net = f["summary/network"][()][0]
            for col in net.dtype.names:
                expect(close(float(net[col]), float(r[col])), f"run {i}: {col} differs")
        by_point.setdefault(int(r["point"]), []).append(r)
    points = list(csv.DictReader(open(f"{d}/points.csv")))
    metrics = [c[:-5] for c in points[0] if c.endswith("_mean")]
    for pt in points:
        mine = by_point.get(int(pt["point"]), [])
        expect(int(pt["n"]) == len(mine), f"point {pt['point']}: n")
        for mname in metrics:
            x = [float(r[mname]) for r in mine]
            mean = statistics.fmean(x) if x else float("nan")
            sd = statistics.stdev(x) if len(x) > 1 else float("nan")
            ci = T975[len(x) - 1] * sd / math.sqrt(len(x)) if len(x) > 1 else float("nan")
            expect(close(mean, float(pt[mname + "_mean"])), f"point {pt['point']}: {mname} mean")
            expect(close(sd, float(pt[mname + "_sd"])), f"point {pt['point']}: {mname} sd")
            expect(close(ci, float(pt[mname + "_ci95"])), f"point {pt['point']}: {mname} ci95")
    with h5py.File(f"{d}/results.h5", "r") as f:
        expect(int(f["metadata"].attrs["completed"]) == 1, "results.h5 not complete")
        h = f["runs"][()]
        expect(len(h) == len(runs), "results.h5 /runs rows")
        for k, r in enumerate(runs):
            for c in h.dtype.names:
                v = h[c][k]
                if isinstance(v, bytes):
                    expect(v.decode() == r[c], f"results.h5 run {k}: {c}")
                else:
                    expect(close(float(v), float(r[c])), f"results.h5 run {k}: {c}")
        expect(all(h.dtype[c].kind != "O" for c in h.dtype.names),
               "results.h5 holds variable-length strings")
        hp = f["points"][()]
        for k, pt in enumerate(points):
            for c in hp.dtype.names:
                v = hp[c][k]
                if not isinstance(v, bytes):
                    expect(close(float(v), float(pt[c])), f"results.h5 point {k}: {c}")
    try:
        import pandas
        expect(len(pandas.read_csv(f"{d}/results.csv")) == len(runs), "pandas.read_csv")
        with h5py.File(f"{d}/results.h5", "r") as f:
            expect(len(pandas.DataFrame(f["points"][()])) == len(points), "pandas from h5py")
    except ImportError:
        failures.append("pandas is not installed (python3-pandas)")
    for msg in failures[:20]:
        print("check_sweep:", msg)
    if not failures:
        print(f"check_sweep: {len(runs)} runs and {len(points)} points agree with the run files")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
