#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plots a sweep's metric against a parameter, with 95 % confidence bars.

Reads DIR/points.csv, written by `qkmsim sweep merge` (docs/sweeps.md):
one row per parameter point with <metric>_mean and <metric>_ci95 (the
Student-t half-width over the point's replications). One line per value
of --by (e.g. a policy or a storage design), or one line when --by is not
given; the other parameters must then take one value, or --where fixes
them.

Examples:
  analysis/plot_sweep.py backup.sweep --x rate --metric unavailable -o u.png
  analysis/plot_sweep.py cmp.sweep --x load --by design --metric ok --where duration=1h
"""
import argparse
import csv
import math
import re
import sys


def number(text):
    """The number a parameter value starts with (units dropped), for the x axis."""
    m = re.match(r"\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)", text)
    return float(m.group(1)) if m else math.nan


def load(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def series(rows, x, metric, by, where):
    """{line label: [(x value text, mean, ci95), ...]} sorted by x."""
    out = {}
    for r in rows:
        if any(r.get(k) != v for k, v in where.items()):
            continue
        key = r[by] if by else metric
        out.setdefault(key, []).append((r[x], float(r[metric + "_mean"]),
                                        float(r[metric + "_ci95"])))
    for v in out.values():
        v.sort(key=lambda p: (number(p[0]), p[0]))
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="the sweep's folder (holding points.csv)")
    ap.add_argument("--x", required=True, help="the parameter on the x axis")
    ap.add_argument("--metric", required=True, help="the metric (a column of the run's summary)")
    ap.add_argument("--by", help="one line per value of this parameter")
    ap.add_argument("--where", action="append", default=[], metavar="PARAM=VALUE",
                    help="keep the points where PARAM is VALUE (repeatable)")
    ap.add_argument("-o", "--output", help="the image (default DIR/METRIC.png; .svg for SVG)")
    ap.add_argument("--print", action="store_true", help="print the plotted points as CSV too")
    a = ap.parse_args(argv)

    rows = load(f"{a.dir}/points.csv")
    if not rows:
        sys.exit(f"plot_sweep: {a.dir}/points.csv has no point")
    for col in (a.x, a.metric + "_mean", a.metric + "_ci95") + ((a.by,) if a.by else ()):
        if col not in rows[0]:
            sys.exit(f"plot_sweep: {a.dir}/points.csv has no column '{col}'")
    where = dict(w.split("=", 1) for w in a.where)
    lines = series(rows, a.x, a.metric, a.by, where)
    for label, pts in lines.items():
        xs = [p[0] for p in pts]
        if len(set(xs)) != len(xs):
            sys.exit(f"plot_sweep: line '{label}' has several points at one {a.x}: fix the "
                     "other parameters with --where or choose --by")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    numeric = all(not math.isnan(number(p[0])) for pts in lines.values() for p in pts)
    for label, pts in sorted(lines.items()):
        xs = [number(p[0]) if numeric else i for i, p in enumerate(pts)]
        ys = [p[1] for p in pts]
        err = [0.0 if math.isnan(p[2]) else p[2] for p in pts]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=4,
                    label=f"{a.by}={label}" if a.by else a.metric)
        if not numeric:
            ax.set_xticks(range(len(pts)), [p[0] for p in pts])
    units = {re.sub(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", "", p[0])
             for pts in lines.values() for p in pts}
    unit = units.pop() if numeric and len(units) == 1 else ""
    ax.set_xlabel(f"{a.x} ({unit.strip()})" if unit.strip() else a.x)
    ax.set_ylabel(f"{a.metric} (mean, 95 % CI)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    out = a.output or f"{a.dir}/{a.metric}.png"
    fig.savefig(out, dpi=120)
    if a.print:
        print(f"line,{a.x},mean,ci95")
        for label, pts in sorted(lines.items()):
            for p in pts:
                print(f"{label},{p[0]},{p[1]!r},{p[2]!r}")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
