#!/usr/bin/python3
"""Plot the key level of every store of a qkmsim trace over time.

Usage: plot_levels.py TRACE.h5 [-o OUT.png] [--stores 0,1,...]

One panel per link, showing its two stores (one line per end) as step
functions in kbit, with the store's Mmin and Mthr as dashed lines and its
capacity (Mmax) as a dotted line. Reads only the documented trace layout
(docs/trace-format.md) through qkmtrace.py.
"""

import argparse
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qkmtrace import Trace  # noqa: E402


def plot(trace, out, only=None):
    stores = trace.stores()
    if only is not None:
        stores = [s for s in stores if s[0] in only]
    links = []
    for s in stores:
        if s[2] not in links:
            links.append(s[2])
    end = trace.end_seconds()
    fig, axes = plt.subplots(len(links), 1, figsize=(10, 2.6 * len(links)),
                             sharex=True, squeeze=False)
    for ax, link in zip(axes[:, 0], links):
        ends = [s for s in stores if s[2] == link]
        for index, node, _, capacity, mmin, mthr in ends:
            t, level, _, _ = trace.levels(index)
            if len(t) == 0:
                continue
            # The level holds until the next change and to the end of the run.
            t = list(t) + [end]
            level = list(level / 1e3) + [level[-1] / 1e3]
            ax.step(t, level, where="post", label=f"store at {node}", linewidth=1)
        _, _, _, capacity, mmin, mthr = ends[0]
        ax.axhline(mthr / 1e3, color="tab:green", linestyle="--", linewidth=0.8,
                   label="Mthr")
        ax.axhline(mmin / 1e3, color="tab:red", linestyle="--", linewidth=0.8,
                   label="Mmin")
        ax.axhline(capacity / 1e3, color="grey", linestyle=":", linewidth=0.8,
                   label="capacity (Mmax)")
        ax.set_ylabel("key (kbit)")
        ax.set_title(f"link {link}", fontsize=10)
        ax.legend(loc="best", fontsize=7, ncol=5, framealpha=0.8)
    axes[-1, 0].set_xlabel("time (s)")
    meta = trace.metadata()
    fig.suptitle(f"{os.path.basename(trace.path)}: seed {meta['seed']}, run {meta['run']}",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("-o", "--output", help="PNG file (default: TRACE with .png)")
    ap.add_argument("--stores", help="comma-separated store indices to plot")
    args = ap.parse_args(argv)
    out = args.output or os.path.splitext(args.trace)[0] + ".png"
    only = None if args.stores is None else {int(x) for x in args.stores.split(",")}
    try:
        with Trace(args.trace) as trace:
            plot(trace, out, only)
    except (OSError, KeyError, ValueError) as e:
        print(f"plot_levels.py: {args.trace}: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
