#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Digests of a trace's summary rows, to catch any change of results.

  summary_digests.py digest RUN.h5      prints the digest of one trace
  summary_digests.py check REF NAME=RUN.h5 ...
                                        compares with the digests in REF

The digest is the SHA-256 of a canonical text: for every dataset under
/summary (sorted by path), its column names and every row's values (floats
by repr, so exactly), then the number of rows of every other dataset. A
refactoring must leave it unchanged; a change of a model's results changes
it, and then REF is regenerated on purpose (tests/summary_digests.sh
--write) and the commit says why.
"""
import hashlib
import sys

import h5py
import numpy as np


def canonical(path):
    out = []
    with h5py.File(path, "r") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        for n in sorted(names):
            d = f[n]
            if n.startswith("summary/"):
                cols = d.dtype.names or ()
                out.append(f"{n} {','.join(cols)}")
                for row in d[()]:
                    vals = []
                    for c in cols:
                        v = row[c]
                        if isinstance(v, bytes):
                            v = v.decode()
                        elif isinstance(v, (np.floating, float)):
                            v = repr(float(v))
                        else:
                            v = str(v)
                        vals.append(v)
                    out.append(" ".join(vals))
            else:
                out.append(f"{n} rows={d.shape[0] if d.shape else 1}")
    return "\n".join(out) + "\n"


def digest(path):
    return hashlib.sha256(canonical(path).encode()).hexdigest()


def main(argv):
    if len(argv) == 3 and argv[1] == "digest":
        print(digest(argv[2]))
        return 0
    if len(argv) >= 4 and argv[1] == "check":
        ref = {}
        for line in open(argv[2]):
            line = line.strip()
            if line and not line.startswith("#"):
                name, value = line.split()
                ref[name] = value
        fail = 0
        for arg in argv[3:]:
            name, path = arg.split("=", 1)
            got = digest(path)
            if name not in ref:
                print(f"summary_digests: no reference digest for {name}")
                fail = 1
            elif ref[name] != got:
                print(f"summary_digests: {name}: the summary rows changed "
                      f"(digest {got}, reference {ref[name]})")
                fail = 1
            else:
                print(f"summary_digests: {name}: unchanged")
        return fail
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
