#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write one self-contained HTML page describing a qkmsim run.

The page holds: the scenario (name, seed, run, overrides, the effective
scenario text), the topology drawn (node positions /nodes x, y when the
scenario gives them, else a circle), the key level of every store with its
state bands (plot_levels.py), the request latencies and outcomes
(plot_requests.py), every /summary table as an HTML table, and the
provenance (program version, trace format, scenario SHA-256, the trace
file's SHA-256). Images are inlined as base64 PNG; the page loads nothing
from the network and has no external CSS or JavaScript, so it can be
mailed or opened from a USB stick. A small inline script marks the <body>
with data-images-total and data-images-decoded once the page has loaded
(tests/report.sh reads them).

`qkmsim report RUN.h5 -o OUT.html` runs this script. The page is written
to OUT.html.tmp and renamed, so a failed report leaves nothing at OUT.
Exit status: 0 done, 2 missing, unreadable or incomplete trace (or bad
usage), 1 any other failure.
"""

import base64
import hashlib
import html
import io
import math
import os
import sys

import numpy as np

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import plot_levels  # noqa: E402
import plot_requests  # noqa: E402
from qkmtrace import Trace, script_parser  # noqa: E402

STYLE = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th { background: #f0f0f0; } td.text { text-align: left; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 1em; }
dt { font-weight: bold; } dd { margin: 0; font-family: monospace; word-break: break-all; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 0.8em; }
img { max-width: 100%; }
.note { font-style: italic; color: #555; }
"""

# Sets data-images-total / data-images-decoded on <body> once loaded.
SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++)
    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
  document.body.setAttribute('data-images-total', String(imgs.length));
  document.body.setAttribute('data-images-decoded', String(ok));
});
"""


class TraceError(Exception):
    """A missing, unreadable or incomplete trace (exit status 2)."""


def _text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def esc(v):
    return html.escape(_text(v), quote=True)


def png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def img(fig, alt):
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{png(fig)}">'


def topology_figure(trace):
    nodes = trace.table("nodes")
    links = trace.table("links")
    n = len(nodes)
    x = nodes["x"].astype(float)
    y = nodes["y"].astype(float)
    placed = n > 0 and not np.isnan(x).any() and not np.isnan(y).any()
    if not placed:
        angle = [math.pi / 2 - 2 * math.pi * i / max(n, 1) for i in range(n)]
        x = np.cos(angle)
        y = np.sin(angle)
    fig, ax = plt.subplots(figsize=(6, 5))
    for lk in links:
        a, b = int(lk["a"]), int(lk["b"])
        ax.plot([x[a], x[b]], [y[a], y[b]], color="tab:blue", linewidth=2, zorder=1)
        ax.text((x[a] + x[b]) / 2, (y[a] + y[b]) / 2, _text(lk["id"]), fontsize=8,
                color="tab:blue", ha="center", va="center",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.scatter(x, y, s=500, color="white", edgecolor="black", zorder=2)
    for i, nd in enumerate(nodes):
        ax.text(x[i], y[i], _text(nd["id"]), ha="center", va="center", fontsize=9, zorder=3)
    ax.set_aspect("equal", adjustable="datalim")
    ax.margins(0.2)
    ax.axis("off")
    ax.set_title("topology" + ("" if placed else " (circle layout: no positions given)"),
                 fontsize=10)
    fig.tight_layout()
    return fig


def cell(v, column=None):
    if isinstance(v, (bytes, str)):
        return f'<td class="text" data-column="{esc(column)}">{esc(v)}</td>'
    if isinstance(v, (float, np.floating)):
        return f'<td data-column="{esc(column)}">{repr(float(v))}</td>'
    return f'<td data-column="{esc(column)}">{esc(v)}</td>'


def table_html(table_id, columns, rows):
    """rows: lists of values in column order."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "\n".join("<tr>" + "".join(cell(v, c) for v, c in zip(r, columns)) + "</tr>"
                     for r in rows)
    return (f'<table id="{esc(table_id)}">\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table>")


def summary_tables(trace):
    """HTML of every /summary table, stores and apps labelled by their ids."""
    h5 = trace.h5
    stores = trace.table("stores")
    apps = trace.table("apps")
    links = trace.table("links")
    parts = []
    for name in sorted(h5["summary"].keys()):
        ds = h5["summary"][name]
        data = ds[()]
        columns = list(data.dtype.names)
        names = {c: trace.code_names(f"summary/{name}", c) for c in columns}
        extra, label = [], None
        if name == "stores":
            extra = ["node_id", "link_id", "role"]

            def label(r):
                s = stores[int(r["store"])]
                return [s["node_id"], s["link_id"],
                        s["role"] if "role" in stores.dtype.names else b""]
        elif name == "apps":
            extra = ["id"]

            def label(r):
                return [apps[int(r["app"])]["id"]]
        elif name in ("links", "link_devices"):
            extra = ["link_id"]

            def label(r):
                return [links[int(r["link"])]["id"]]
        rows = []
        for r in data:
            values = []
            for c in columns:
                v = r[c]
                values.append(names[c].get(int(v), str(int(v))) if names[c] else v.item()
                              if hasattr(v, "item") else v)
            rows.append((label(r) if label else []) + values)
        parts.append(f"<h3>/summary/{esc(name)}</h3>\n"
                     + table_html(f"summary-{name}", extra + columns, rows))
    return "\n".join(parts)


def dl(items):
    return "<dl>\n" + "\n".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + \
        "\n</dl>"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build(path):
    """The report page of trace `path`, as a string."""
    if not os.path.exists(path):
        raise TraceError(f"{path}: no such file")
    try:
        trace = Trace(path)
    except (OSError, ValueError) as e:
        raise TraceError(str(e) if str(path) in str(e) else f"{path}: {e}")
    with trace:
        meta = trace.metadata()
        name = meta.get("scenario_name", os.path.basename(path))
        end_s = int(meta["end_ns"]) / 1e9
        stores = plot_levels.store_rows(trace)
        overrides = meta.get("overrides", "").strip()
        sections = []
        sections.append("<h2>Scenario</h2>\n" + dl([
            ("scenario", name),
            ("scenario file", meta.get("scenario_path", "")),
            ("duration simulated", f"{end_s:g} s"),
            ("seed", meta["seed"]), ("run", meta["run"]),
            ("overrides (-p)", overrides if overrides else "none"),
            ("storage designs", meta.get("storage_designs", "")),
            ("level trace", meta.get("levels", "")),
            ("request log", meta.get("requests", "")),
            ("block log", "every block" if int(meta.get("blocks", 0)) else "off"),
        ]) + "\n<details><summary>effective scenario (after overrides)</summary>\n<pre>"
            + esc(meta.get("effective_scenario", "")) + "</pre></details>")
        sections.append("<h2>Topology</h2>\n" + img(topology_figure(trace), "topology"))
        if stores:
            lv = ""
            if meta.get("levels") == "off":
                lv = ('<p class="note">The level trace is off (levels="off"): only the '
                      'thresholds are drawn; see the summary tables.</p>\n')
            elif meta.get("levels") == "sampled":
                lv = ('<p class="note">Levels sampled every '
                      f'{int(meta.get("sample_interval_ns", 0)) / 1e9:g} s (levels="sampled", '
                      'the default): the curve and the state bands follow the samples; '
                      'run with -O levels=on-change for every change.</p>\n')
            sections.append("<h2>Key levels</h2>\n" + lv
                            + img(plot_levels.figure(trace, stores, title=f"{name}: key levels"),
                                  "key levels per store"))
        if len(trace.table("apps")):
            cl = plot_requests.clients(trace)
            sections.append("<h2>Requests</h2>\n<p class=\"note\">"
                            + esc(plot_requests.note(meta.get("requests", "all"),
                                                     int(meta.get("request_every", 0))))
                            + "</p>\n"
                            + img(plot_requests.figure(trace, cl, title=f"{name}: requests"),
                                  "request latencies and outcomes"))
        sections.append("<h2>Summary</h2>\n<p class=\"note\">Bits, nanoseconds and counts "
                        "as in the trace (docs/trace-format.md).</p>\n"
                        + summary_tables(trace))
        sections.append("<h2>Provenance</h2>\n" + dl([
            ("program", f"{meta.get('program', 'qkmsim')} {meta.get('version', '?')}"),
            ("trace format", meta.get("trace_format", "")),
            ("scenario SHA-256", meta.get("scenario_sha256", "")),
            ("trace file", os.path.basename(path)),
            ("trace SHA-256", sha256_file(path)),
            ("report by", "analysis/report.py, matplotlib " + matplotlib.__version__
             + ", numpy " + np.__version__),
        ]))
    title = f"qkmsim run: {name} (seed {meta['seed']}, run {meta['run']})"
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n"
            f"<script>{SCRIPT}</script>\n</head>\n<body>\n<h1>{esc(title)}</h1>\n"
            + "\n".join(sections) + "\n</body>\n</html>\n")


def main(argv=None):
    ap = script_parser(__doc__)
    ap.add_argument("-o", "--output", required=True, help="the HTML file to write")
    args = ap.parse_args(argv)
    try:
        page = build(args.trace)
    except TraceError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 2
    except (KeyError, ValueError, IndexError) as e:
        print(f"report.py: {args.trace}: {e}", file=sys.stderr)
        return 2
    tmp = args.output + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)
        os.replace(tmp, args.output)
    except OSError as e:
        print(f"report.py: cannot write '{args.output}': {e.strerror}", file=sys.stderr)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
