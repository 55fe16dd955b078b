#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plots how a run's cost grows with network size and simulated time.

Reads the lines tests/bench/scenarios.sh prints for its geo-N-T runs
(N nodes, 5 N client pairs, T simulated; other lines are ignored), e.g.

  geo-1000-2min      events=9012345 wall_s=... peak_MiB=... cpu_s=... load=...

and draws two panels: CPU seconds and peak memory against N (the runs of
the most common T, log-log), and CPU seconds against T (the runs of the
most common N). Lines with instr_per_event (BENCH_CALLGRIND=1: the run
loop's instructions per event, from callgrind), from the same file or
from the one --instructions names, add a third panel: those against N
(log x), with the least-squares line a + b log10 N, which is what a cost
of events x log(pending) gives when the pending events grow as N. CPU time (user + system) is used rather than wall time:
on a shared machine it moves less with the load. With --print it prints
the points and the CPU nanoseconds per event, which stay flat when the
cost grows as events x log(pending).

Examples:
  sh tests/bench/scenarios.sh geo-100-2min geo-1000-2min geo-10000-2min \\
      geo-1000-1min geo-1000-4min > scaling.txt
  analysis/plot_scaling.py scaling.txt -o docs/images/scaling.png --print
"""
import argparse
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qkmtrace import save_figure  # noqa: E402

UNITS = {"s": 1, "min": 60, "h": 3600, "d": 86400}


def seconds(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(s|min|h|d)", text)
    if not m:
        raise ValueError(f"cannot read the time '{text}'")
    return float(m.group(1)) * UNITS[m.group(2)]


def load(path):
    """[{nodes, sim_s, events, cpu_s, peak_MiB, ...}] of the geo-N-T lines."""
    rows = []
    with open(path) as fh:
        for line in fh:
            parts = line.split()
            m = re.fullmatch(r"geo-(\d+)-(\S+)", parts[0]) if parts else None
            if not m:
                continue
            kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            rows.append({"name": parts[0], "nodes": int(m.group(1)),
                         "sim_s": seconds(m.group(2)), "events": int(kv["events"]),
                         "cpu_s": float(kv["cpu_s"]), "wall_s": float(kv["wall_s"]),
                         "peak_MiB": float(kv["peak_MiB"]), "load": kv.get("load", ""),
                         "ipe": float(kv["instr_per_event"]) if "instr_per_event" in kv else None})
    return rows


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lines", help="the output of tests/bench/scenarios.sh")
    ap.add_argument("-o", "--output", default="scaling.png", help="the image (.svg for SVG)")
    ap.add_argument("--print", action="store_true", help="print the points as CSV too")
    ap.add_argument("--instructions", metavar="FILE",
                    help="take the instruction counts from FILE (lines of BENCH_CALLGRIND=1)")
    a = ap.parse_args(argv)
    try:
        rows = load(a.lines)
        counted = load(a.instructions) if a.instructions else rows
    except (OSError, ValueError, KeyError) as e:
        print(f"plot_scaling: {e.filename if isinstance(e, OSError) else a.lines}: {e}",
              file=sys.stderr)
        return 2
    if not rows:
        print(f"plot_scaling: {a.lines}: no geo-N-T line", file=sys.stderr)
        return 2
    t0 = collections.Counter(r["sim_s"] for r in rows).most_common(1)[0][0]
    n0 = collections.Counter(r["nodes"] for r in rows).most_common(1)[0][0]
    by_size = sorted((r for r in rows if r["sim_s"] == t0), key=lambda r: r["nodes"])
    by_time = sorted((r for r in rows if r["nodes"] == n0), key=lambda r: r["sim_s"])

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_instr = sorted((r for r in counted if r["ipe"] is not None), key=lambda r: r["nodes"])
    if a.instructions and not by_instr:
        print(f"plot_scaling: {a.instructions}: no line with instr_per_event", file=sys.stderr)
        return 2
    sizes = sorted({r["nodes"] for r in by_instr})
    fig, axes = plt.subplots(1, 3 if by_instr else 2, figsize=(15 if by_instr else 10, 4.2))
    ax_n, ax_t = axes[0], axes[1]
    ns = [r["nodes"] for r in by_size]
    ax_n.loglog(ns, [r["cpu_s"] for r in by_size], "o-", label="CPU time (s)")
    ax_n.loglog(ns, [r["peak_MiB"] for r in by_size], "s--", label="peak memory (MiB)")
    if len(by_size) > 1:   # events x log(pending) from the first point
        r0 = by_size[0]
        ref = [r0["cpu_s"] * r["events"] / r0["events"] for r in by_size]
        ax_n.loglog(ns, ref, ":", color="grey", label="proportional to events")
    ax_n.set_xlabel("nodes (5 client pairs per node)")
    ax_n.set_title(f"{t0:g} s simulated")
    ax_n.grid(True, which="both", alpha=0.3)
    ax_n.legend(loc="upper left")
    ts = [r["sim_s"] for r in by_time]
    ax_t.plot(ts, [r["cpu_s"] for r in by_time], "o-", label="CPU time (s)")
    ax_t.set_xlabel("simulated time (s)")
    ax_t.set_ylabel("CPU time (s)")
    ax_t.set_title(f"{n0} nodes")
    ax_t.grid(True, alpha=0.3)
    ax_t.set_xlim(left=0)
    ax_t.set_ylim(bottom=0)
    fit = None
    if by_instr:
        import numpy as np
        ax_i = axes[2]
        x = [r["nodes"] for r in by_instr]
        y = [r["ipe"] for r in by_instr]
        ax_i.semilogx(x, y, "o", label="run loop, callgrind")
        if len(sizes) > 1:
            fit = np.polyfit(np.log10(x), y, 1)
            xs = np.geomspace(min(x), max(x), 50)
            ax_i.semilogx(xs, fit[1] + fit[0] * np.log10(xs), ":", color="grey",
                          label=f"{fit[1]:.0f} + {fit[0]:.0f} log10 N")
        ax_i.set_xlabel("nodes (5 client pairs per node)")
        ax_i.set_ylabel("instructions per event")
        ax_i.set_ylim(bottom=0)
        ax_i.grid(True, which="both", alpha=0.3)
        ax_i.legend(loc="lower right")
    fig.tight_layout()
    save_figure(fig, a.output, dpi=110)
    if a.print:
        print("name,nodes,sim_s,events,cpu_s,ns_per_event,peak_MiB,wall_s,load,instr_per_event")
        for r in rows + (counted if a.instructions else []):
            ipe = "" if r["ipe"] is None else f"{r['ipe']:.1f}"
            print(f"{r['name']},{r['nodes']},{r['sim_s']:g},{r['events']},{r['cpu_s']:.2f},"
                  f"{1e9 * r['cpu_s'] / max(1, r['events']):.0f},{r['peak_MiB']:.1f},"
                  f"{r['wall_s']:.2f},{r['load']},{ipe}")
        if fit is not None:
            print(f"fit: instructions per event = {fit[1]:.1f} + {fit[0]:.1f} log10(nodes)")
    print(f"wrote {a.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
