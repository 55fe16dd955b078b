#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare the tables of a `qkmsim report` page, as a browser rendered it,
with the trace.

Usage: check_report.py DOM.html TRACE.h5

DOM.html is the DOM a browser dumped after loading the page (chromium
--dump-dom). Checks: <body> says every image decoded (data-images-decoded
== data-images-total, at least 3 images: topology, levels, requests); every
/summary table of the trace appears as <table id="summary-NAME"> with one
row per trace row, and every column's cell holds the trace's value (integers
exactly, floats as Python's repr, code columns as their name); the page
shows the scenario name, seed, run and scenario SHA-256. Exit 0 or 1.
"""
import sys
from html.parser import HTMLParser

import h5py


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.body = {}
        self.tables = {}          # id -> [[(column, text)]]
        self.text = []
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "table":
            self._table = a.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = [a.get("data-column"), ""]

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append(tuple(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data
        self.text.append(data)


def names_of(ds, column):
    raw = ds.attrs.get(f"{column}_names")
    if raw is None:
        return None
    return {int(c): n for c, _, n in (i.partition("=") for i in str(raw).split(","))}


def main():
    dom, trace = sys.argv[1], sys.argv[2]
    page = Page()
    page.feed(open(dom, encoding="utf-8").read())
    bad = 0

    def fail(msg):
        nonlocal bad
        print(f"check_report: FAIL: {msg}")
        bad = 1

    total = page.body.get("data-images-total")
    decoded = page.body.get("data-images-decoded")
    if total is None or decoded is None:
        fail(f"<body> has no image marks (the page's script did not run): {page.body}")
    elif int(total) < 3 or decoded != total:
        fail(f"images: {decoded} of {total} decoded (want all, at least 3)")
    text = "".join(page.text)
    with h5py.File(trace, "r") as f:
        meta = f["metadata"].attrs
        for key in ("scenario_name", "scenario_sha256", "version"):
            if str(meta[key]) not in text:
                fail(f"the page does not show {key} '{meta[key]}'")
        for key in ("seed", "run"):
            if f"{key}{int(meta[key])}" not in text.replace(" ", "").replace("\n", ""):
                fail(f"the page does not show {key} {int(meta[key])}")
        checked = 0
        for name in f["summary"]:
            ds = f["summary"][name]
            data = ds[()]
            rows = page.tables.get(f"summary-{name}")
            if rows is None:
                fail(f"no table summary-{name}")
                continue
            if len(rows) != len(data):
                fail(f"summary-{name}: {len(rows)} rows, the trace has {len(data)}")
                continue
            for i, (row, r) in enumerate(zip(rows, data)):
                cells = dict(row)
                for col in data.dtype.names:
                    v = r[col]
                    names = names_of(ds, col)
                    if names is not None:
                        want = names[int(v)]
                    elif isinstance(v, (bytes, str)):
                        want = v.decode() if isinstance(v, bytes) else v
                    elif data.dtype[col].kind == "f":
                        want = repr(float(v))
                    else:
                        want = str(int(v))
                    if cells.get(col) != want:
                        fail(f"summary-{name} row {i} {col}: page '{cells.get(col)}', "
                             f"trace '{want}'")
                    checked += 1
        print(f"check_report: {checked} summary cells equal the trace; images "
              f"{decoded}/{total} decoded")
    return bad


if __name__ == "__main__":
    sys.exit(main())
