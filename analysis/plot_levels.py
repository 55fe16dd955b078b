#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plot the key level of qkmsim key stores over time, with their states.

One panel per store: its level (kbit, or Mbit for stores of 10 Mbit or more) as a step function, its Mmin and
Mthr (dashed) and its capacity Mmax (dotted), and the background coloured
by the store's state (READY green, CHARGING yellow, WARNING orange, EMPTY
red; docs/trace-format.md, "State codes"). Each panel names the store's
node, link, role and end. The legend sits to the right of the panels.

Stores: all of them by default. --stores takes a comma-separated list of
store indices, link ids (both stores, or all stores, of that link) and node
ids (every store at that node); --node and --link keep only the stores of
that node or link. An id that is neither a store index, a link nor a node
is an error (exit status 2). A digit string is a store index when it is a
valid one, else a node or link id.

The output is PNG, or SVG when -o ends in .svg. --print writes what was
plotted, one line per store: its final level (bits) and the time it spent
in each state (ns), recomputed from /levels (exact with levels="on-change";
from the samples with levels="sampled"; not available with levels="off").
The default trace samples every store's level every second
(levels="sampled"): the curve and the state bands then follow the samples
and miss what happened between them; run qkmsim with -O levels=on-change
for the exact step function.

Reads only the documented trace layout (docs/trace-format.md) through
qkmtrace.py. Exit status: 0 done, 2 bad usage, unreadable or incomplete
trace, unknown store/node/link.
"""

import os
import sys

import numpy as np

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qkmtrace import Trace, STATES, save_figure, script_parser  # noqa: E402

# QKDNetSim's colours for READY, CHARGING, WARNING, EMPTY.
STATE_COLOURS = ("#b7e4b0", "#fff1a8", "#ffc98a", "#f4a6a6")


class SelectionError(ValueError):
    """An unknown store index, node id or link id."""


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def store_rows(trace):
    """[dict] of /stores in index order, with the labels users know."""
    rows = trace.table("stores")
    names = rows.dtype.names
    out = []
    for r in rows:
        out.append({
            "index": int(r["index"]),
            "node": _text(r["node_id"]),
            "link": _text(r["link_id"]),
            "role": _text(r["role"]) if "role" in names else "",
            "end": "ab"[int(r["end"])] if "end" in names else "",
            "capacity": int(r["capacity"]),
            "mmin": int(r["mmin"]),
            "mthr": int(r["mthr"]),
        })
    return out


def select(stores, spec=None, nodes=None, links=None):
    """The stores chosen by --stores SPEC, --node and --link (lists of ids)."""
    by_link = {s["link"] for s in stores}
    by_node = {s["node"] for s in stores}
    chosen = list(stores)
    if spec:
        keep = set()
        for token in (t.strip() for t in spec.split(",")):
            if token == "":
                continue
            if token.isdigit() and int(token) < len(stores):
                keep.add(int(token))
            elif token in by_link or token in by_node:
                keep |= {s["index"] for s in stores
                         if s["link"] == token or s["node"] == token}
            else:
                raise SelectionError(
                    f"--stores: '{token}' is not a store index (0-{len(stores) - 1}), "
                    f"a link ({', '.join(sorted(by_link))}) or a node "
                    f"({', '.join(sorted(by_node))})")
        chosen = [s for s in chosen if s["index"] in keep]
    for flag, ids, key, known in (("--node", nodes, "node", by_node),
                                  ("--link", links, "link", by_link)):
        if not ids:
            continue
        for i in ids:
            if i not in known:
                raise SelectionError(f"{flag}: no {key} '{i}' (known: "
                                     f"{', '.join(sorted(known))})")
        chosen = [s for s in chosen if s[key] in ids]
    if not chosen:
        raise SelectionError("no store matches the selection")
    return chosen


def store_series(levels, index, end_ns):
    """(t_ns, level, state) step points of one store, closed at end_ns.

    A store is EMPTY at level 0 before its first row; each row's level and
    state hold until the next row of the store, the last until end_ns."""
    rows = levels[levels["store"] == index]
    t = np.concatenate(([0], rows["time"].astype(np.int64), [end_ns]))
    level = np.concatenate(([0], rows["level"].astype(np.float64),
                            [rows["level"][-1] if len(rows) else 0]))
    state = np.concatenate(([3], rows["state"].astype(np.int64),
                            [rows["state"][-1] if len(rows) else 3]))
    return t, level, state


def state_times(t, state):
    """ns spent in each state (0..3) of a step series from store_series."""
    hold = np.diff(t)
    return [int(hold[state[:-1] == k].sum()) for k in range(4)]


def state_spans(t, state):
    """{state: [(start_s, width_s)]}, consecutive rows of a state merged."""
    spans = {k: [] for k in range(4)}
    start = 0
    for i in range(1, len(t)):
        last = i == len(t) - 1
        if last or state[i] != state[start]:
            if t[i] > t[start]:
                spans[int(state[start])].append((t[start] / 1e9, (t[i] - t[start]) / 1e9))
            start = i
    return spans


def label(s):
    role = f", {s['role']}" if s["role"] else ""
    end = f" (end {s['end']})" if s["end"] else ""
    return f"store {s['index']}: node {s['node']}, link {s['link']}{role}{end}"


def figure(trace, stores, title=None):
    """A matplotlib Figure of the chosen stores (list of store_rows dicts)."""
    meta = trace.metadata()
    end_ns = int(meta["end_ns"])
    levels = trace.table("levels")
    mode = meta.get("levels", "on-change")
    n = len(stores)
    # kbit, or Mbit for stores of 10 Mbit and more.
    scale, unit = (1e6, "Mbit") if max(s["capacity"] for s in stores) >= 10e6 else (1e3, "kbit")
    fig, axes = plt.subplots(n, 1, figsize=(11, 1.9 + 1.9 * n), sharex=True,
                             squeeze=False)
    for ax, s in zip(axes[:, 0], stores):
        t, level, state = store_series(levels, s["index"], end_ns)
        if mode != "off":
            for k, spans in state_spans(t, state).items():
                if spans:
                    ax.broken_barh(spans, (0, 1), transform=ax.get_xaxis_transform(),
                                   facecolor=STATE_COLOURS[k], edgecolor="none", zorder=0)
            ax.step(t / 1e9, level / scale, where="post", color="tab:blue", linewidth=1.1,
                    zorder=3)
        else:
            ax.text(0.5, 0.5, "level trace off (levels=\"off\")", ha="center",
                    va="center", transform=ax.transAxes)
        ax.axhline(s["mthr"] / scale, color="tab:green", linestyle="--", linewidth=0.9, zorder=2)
        ax.axhline(s["mmin"] / scale, color="tab:red", linestyle="--", linewidth=0.9, zorder=2)
        ax.axhline(s["capacity"] / scale, color="dimgrey", linestyle=":", linewidth=0.9,
                   zorder=2)
        ax.set_xlim(0, end_ns / 1e9)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(f"key ({unit})")
        ax.set_title(label(s), fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("time (s)")
    handles = [Line2D([], [], color="tab:blue", label="level"),
               Line2D([], [], color="dimgrey", linestyle=":", label="capacity (Mmax)"),
               Line2D([], [], color="tab:green", linestyle="--", label="Mthr"),
               Line2D([], [], color="tab:red", linestyle="--", label="Mmin")]
    handles += [Patch(facecolor=c, label=name) for c, name in zip(STATE_COLOURS, STATES)]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.83, 0.98),
               fontsize=8, frameon=False)
    if title is None:
        title = (f"{meta.get('scenario_name', os.path.basename(trace.path))}: key levels "
                 f"(seed {meta['seed']}, run {meta['run']}, levels {mode})")
    fig.suptitle(title, fontsize=11, x=0.42)
    fig.tight_layout(rect=(0, 0, 0.82, 0.97))
    return fig


def report_lines(trace, stores):
    """The --print lines: per store, final level and time in each state."""
    meta = trace.metadata()
    end_ns = int(meta["end_ns"])
    mode = meta.get("levels", "on-change")
    levels = trace.table("levels")
    lines = [f"# levels={mode} end_ns={end_ns}"]
    for s in stores:
        head = (f"store={s['index']} node={s['node']} link={s['link']} "
                f"role={s['role'] or '-'} end={s['end'] or '-'}")
        if mode == "off":
            lines.append(head + " level=- (levels off)")
            continue
        t, level, state = store_series(levels, s["index"], end_ns)
        times = state_times(t, state)
        lines.append(head + f" level={int(level[-1])} " + " ".join(
            f"time_{name.lower()}={ns}" for name, ns in zip(STATES, times)))
    return lines


def main(argv=None):
    ap = script_parser(__doc__)
    ap.add_argument("-o", "--output",
                    help="image file: .svg for SVG, else PNG (default: TRACE with .png)")
    ap.add_argument("--stores", metavar="LIST",
                    help="comma-separated store indices, link ids and node ids")
    ap.add_argument("--node", action="append", metavar="ID",
                    help="only the stores at node ID (repeatable)")
    ap.add_argument("--link", action="append", metavar="ID",
                    help="only the stores of link ID (repeatable)")
    ap.add_argument("--print", dest="print_", action="store_true",
                    help="print each plotted store's final level and time per state")
    args = ap.parse_args(argv)
    out = args.output or os.path.splitext(os.path.basename(args.trace))[0] + ".png"
    try:
        with Trace(args.trace) as trace:
            stores = select(store_rows(trace), args.stores, args.node, args.link)
            if args.print_:
                print("\n".join(report_lines(trace, stores)))
            save_figure(figure(trace, stores), out)
    except SelectionError as e:
        print(f"plot_levels.py: {e}", file=sys.stderr)
        return 2
    except (OSError, KeyError, ValueError) as e:
        print(f"plot_levels.py: {args.trace}: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}", file=sys.stderr if args.print_ else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
