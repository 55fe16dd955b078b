# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a qkmsim trace (HDF5) through its documented layout only.

docs/trace-format.md is the contract; this module reads nothing else.
Requires h5py and numpy (Debian: python3-h5py).
"""

import h5py
import numpy as np

STATES = ("READY", "CHARGING", "WARNING", "EMPTY")
CAUSES = ("initial", "generated", "supplied", "reserved", "internal",
          "relayed", "expired", "discarded", "sample", "moved")
NS_PER_S = 1e9


def code_names(dataset, column):
    """{code: name} of an enumeration column, from the dataset's
    attribute `<column>_names` ("0=READY,1=CHARGING,...";
    docs/trace-format.md, "Code names"). {} when the attribute is absent."""
    raw = dataset.attrs.get(f"{column}_names")
    if raw is None:
        return {}
    names = {}
    for item in _text(raw).split(","):
        code, _, name = item.partition("=")
        names[int(code)] = name
    return names


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class Trace:
    """An open trace. Use as a context manager or call close()."""

    def __init__(self, path):
        self.path = path
        self.h5 = h5py.File(path, "r")
        meta = self.h5["metadata"].attrs
        if int(meta.get("completed", 0)) != 1:
            self.h5.close()
            raise ValueError(f"{path}: the run did not complete (/metadata@completed != 1)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.h5.close()

    def metadata(self):
        return {k: (_text(v) if isinstance(v, (bytes, str)) else v.item() if hasattr(v, "item") else v)
                for k, v in self.h5["metadata"].attrs.items()}

    def table(self, name):
        """A table (compound dataset) as a numpy structured array."""
        return self.h5[name][()]

    def stores(self):
        """[(index, node_id, link_id, capacity, mmin, mthr)] in store order."""
        rows = self.table("stores")
        return [(int(r["index"]), _text(r["node_id"]), _text(r["link_id"]),
                 int(r["capacity"]), int(r["mmin"]), int(r["mthr"])) for r in rows]

    def levels(self, store):
        """(time in s, level in bits, cause, state) arrays of one store."""
        lv = self.table("levels")
        sel = lv[lv["store"] == store]
        return (sel["time"] / NS_PER_S, sel["level"].astype(np.float64),
                sel["cause"], sel["state"])

    def code_names(self, table, column):
        """{code: name} of an enumeration column of a table (see code_names)."""
        return code_names(self.h5[table], column)

    def end_seconds(self):
        return int(self.h5["metadata"].attrs["end_ns"]) / NS_PER_S


def script_parser(doc):
    """The argument parser every analysis script starts from: its docstring's
    first paragraph as the description, the rest as the epilog, and the
    trace as the first argument."""
    import argparse
    ap = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        epilog=doc.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace", help="a completed qkmsim trace (.h5)")
    return ap


def save_figure(fig, out, dpi=100):
    """Writes fig to out: SVG when out ends in .svg, PNG otherwise."""
    import matplotlib.pyplot as plt
    fig.savefig(out, dpi=dpi, format="svg" if out.lower().endswith(".svg") else "png")
    plt.close(fig)
