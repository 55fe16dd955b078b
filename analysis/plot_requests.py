#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plot the request latencies and outcomes of the clients of a qkmsim trace.

Left: the latency distribution (empirical CDF of t_response - t_request,
ms) of each client's GET_KEY requests (kind 1, made by the master SAE).
Right: each client's GET_KEY outcomes, the counts of status 200 (OK),
400 (bad request) and 503 (unavailable).

What /requests holds depends on /metadata@requests (docs/trace-format.md):
  all      every request: counts and latencies come from /requests;
  sampled  one request in k (request_every): counts come from
           /summary/apps (exact), the CDF from the sample, and the plot says so;
  off      no rows: counts and the mean latency come from /summary/apps,
           and the plot says that the distribution was not recorded;
  aggregate  (the default) no rows either, as off: the per-window quantiles
           are in /request_stats, which this plot does not draw.

The output is PNG, or SVG when -o ends in .svg. --print writes what was
plotted, one line per client: the counts of 200/400/503, their source
(requests or summary), and the latency mean and quantiles (s) over the
requests used (mean only, from /summary/apps, when the log is off).

Reads only the documented trace layout (docs/trace-format.md) through
qkmtrace.py. Exit status: 0 done, 2 bad usage, unreadable or incomplete
trace.
"""

import os
import sys

import numpy as np

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qkmtrace import Trace, save_figure, script_parser  # noqa: E402

STATUSES = (200, 400, 503)
STATUS_COLOURS = ("tab:green", "tab:orange", "tab:red")
QUANTILES = (0.5, 0.9, 0.99)


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def clients(trace):
    """Per client: id, label, counts {status: n}, latencies (s, array or
    None), mean latency (s), source of the counts, and the log mode."""
    meta = trace.metadata()
    mode = meta.get("requests", "all")
    every = int(meta.get("request_every", 0))
    nodes = [_text(n["id"]) for n in trace.table("nodes")]
    apps = trace.table("apps")
    summary = trace.table("summary/apps")
    req = trace.table("requests")
    out = []
    for a in apps:
        i = int(a["index"])
        srow = summary[summary["app"] == i][0]
        mine = req[(req["app"] == i) & (req["kind"] == 1)]
        c = {"id": _text(a["id"]),
             "label": f"{_text(a['id'])} ({nodes[a['master']]}\u2192{nodes[a['slave']]})",
             "mode": mode, "every": every}
        if mode == "all":
            c["counts"] = {s: int((mine["status"] == s).sum()) for s in STATUSES}
            c["source"] = "requests"
        else:
            c["counts"] = {200: int(srow["ok"]), 400: int(srow["bad_request"]),
                           503: int(srow["unavailable"])}
            c["source"] = "summary"
        if mode == "off" or len(mine) == 0:
            c["latency"] = None
            c["mean"] = float(srow["mean_latency_s"])
        else:
            c["latency"] = np.sort((mine["t_response"] - mine["t_request"]) / 1e9)
            c["mean"] = float(c["latency"].mean())
        out.append(c)
    return out


def note(mode, every):
    if mode == "sampled":
        return (f"request log sampled (1 in {every}): latency CDF from the sample, "
                "counts from /summary/apps")
    if mode == "off":
        return ("request log off: latency distribution not recorded; "
                "counts and mean latency from /summary/apps")
    if mode == "aggregate":
        return ("requests aggregated (/request_stats): no per-request rows; "
                "counts and mean latency from /summary/apps")
    return "every request logged (/requests)"


def figure(trace, cl=None, title=None):
    meta = trace.metadata()
    cl = clients(trace) if cl is None else cl
    mode = meta.get("requests", "all")
    fig, (ax_cdf, ax_bar) = plt.subplots(1, 2, figsize=(12, 4.6),
                                         gridspec_kw={"width_ratios": (1.3, 1)})
    for c in cl:
        if c["latency"] is not None:
            lat = c["latency"] * 1e3
            y = np.arange(1, len(lat) + 1) / len(lat)
            ax_cdf.step(np.concatenate(([0], lat)), np.concatenate(([0], y)), where="post",
                        label=c["label"])
        else:
            ax_cdf.axvline(c["mean"] * 1e3, linestyle="--", label=f"{c['label']}: mean")
    ax_cdf.set_xlabel("latency (ms)")
    ax_cdf.set_ylabel("fraction of GET_KEY requests")
    ax_cdf.set_ylim(0, 1.02)
    longest = max([c["latency"][-1] if c["latency"] is not None and len(c["latency"])
                   else c["mean"] for c in cl] + [0]) * 1e3
    ax_cdf.set_xlim(0, longest * 1.15 if longest > 0 else 1)
    ax_cdf.set_title("latency distribution (CDF)" if mode not in ("off", "aggregate") else
                     "mean latency (distribution not recorded)", fontsize=10)
    if cl:
        ax_cdf.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                      frameon=False)
    x = np.arange(len(cl))
    width = 0.27
    for k, (s, colour) in enumerate(zip(STATUSES, STATUS_COLOURS)):
        counts = [c["counts"][s] for c in cl]
        ax_bar.bar(x + (k - 1) * width, counts, width, color=colour, label=str(s))
    ax_bar.set_xticks(x)
    ax_bar.set_xticklabels([c["id"] for c in cl], rotation=30, ha="right", fontsize=8)
    ax_bar.set_ylabel("GET_KEY requests")
    ax_bar.set_title("outcomes (HTTP status)", fontsize=10)
    ax_bar.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
                  title="status")
    if title is None:
        title = (f"{meta.get('scenario_name', os.path.basename(trace.path))}: requests "
                 f"(seed {meta['seed']}, run {meta['run']})")
    fig.suptitle(title, fontsize=11)
    fig.text(0.01, 0.01, note(mode, int(meta.get("request_every", 0))), fontsize=8,
             style="italic")
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    return fig


def report_lines(cl):
    """The --print lines: per client, counts and latency statistics."""
    lines = []
    for c in cl:
        line = (f"app={c['id']} source={c['source']} requests={c['mode']} "
                + " ".join(f"status_{s}={c['counts'][s]}" for s in STATUSES)
                + f" latency_mean_s={c['mean']:.9g}")
        if c["latency"] is not None:
            line += f" latency_n={len(c['latency'])} " + " ".join(
                f"latency_p{int(q * 100)}_s={np.quantile(c['latency'], q):.9g}"
                for q in QUANTILES)
        lines.append(line)
    return lines


def main(argv=None):
    ap = script_parser(__doc__)
    ap.add_argument("-o", "--output",
                    help="image file: .svg for SVG, else PNG "
                         "(default: TRACE's name with -requests.png)")
    ap.add_argument("--print", dest="print_", action="store_true",
                    help="print each client's counts and latency statistics")
    args = ap.parse_args(argv)
    out = args.output or os.path.splitext(os.path.basename(args.trace))[0] + "-requests.png"
    try:
        with Trace(args.trace) as trace:
            cl = clients(trace)
            if args.print_:
                print("\n".join(report_lines(cl)))
            save_figure(figure(trace, cl), out)
    except (OSError, KeyError, ValueError, IndexError) as e:
        print(f"plot_requests.py: {args.trace}: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}", file=sys.stderr if args.print_ else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
