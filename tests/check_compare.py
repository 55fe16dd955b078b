# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the storage-design comparison set (tests/compare_designs.sh).

  check_compare.py TABLE.csv

TABLE.csv is `qkmsim summarize --csv` over the traces of
analysis/compare_designs.sh. Every expectation below follows from the
models (docs/storage-models.md), not from an earlier run.
"""

import csv
import sys

import h5py
import numpy as np

from check_trace import expect, failures, report

LABELS = ["shared", "q3p", "session", "collide", "collide-opposite-ends", "collide-working-set",
          "format-bytes", "format-blocks-256", "format-ddka"]
# bits one key of the 100-bit sensor client takes under each format
SENSOR_KEY_BITS = {"format-bytes": 104, "format-blocks-256": 256, "format-ddka": 128}


def load(path):
    with h5py.File(path, "r") as f:
        req = f["requests"][()]
        apps = f["apps"][()]
        sensor = [int(a["index"]) for a in apps if a["id"] in (b"sensor", "sensor")][0]
        return {"req": req, "sensor": sensor, "tags": int(f["summary/links"]["tag_bits"].sum()),
                "collisions": int(f["summary/links"]["collisions"].sum()),
                "internal": int(f["summary/stores"]["internal"].sum()),
                "wasted": int(f["summary/stores"]["wasted"].sum())}


def main(argv):
    with open(argv[1], newline="") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    expect(sorted(rows) == sorted(LABELS), f"rows {sorted(rows)}, expected {sorted(LABELS)}")
    if failures:
        return report("compare")
    runs = {k: load(r["trace"]) for k, r in rows.items()}
    base = runs["shared"]["req"]
    base_t = base["t_request"][base["kind"] == 1]
    for k, run in runs.items():
        req = run["req"]
        master = req[req["kind"] == 1]
        # The same seeded workload: the same master requests at the same instants.
        expect(np.array_equal(master["t_request"], base_t), f"{k}: another workload than shared")
        r = rows[k]
        expect(int(r["served"]) + int(r["refused"]) + int(r["lost"]) == len(master),
               f"{k}: served + refused + lost != requests")
        if k == "q3p":
            # Every Q3P message costs a tag at both ends; nothing else is internal.
            expect(run["tags"] > 0 and run["internal"] == run["tags"], f"{k}: tags {run['tags']}, internal {run['internal']}")
        else:
            expect(run["internal"] == 0, f"{k}: internal consumption without Q3P tags")
        if k == "collide":
            expect(int(r["lost"]) > 0 and run["collisions"] == int(r["lost"]),
                   f"{k}: lost {r['lost']}, collisions {run['collisions']}: two uncoordinated ends must collide here")
        elif k == "collide-opposite-ends":
            expect(int(r["lost"]) < int(rows["collide"]["lost"]), f"{k}: the remedy does not reduce collisions")
        else:
            expect(int(r["lost"]) == 0 and run["collisions"] == 0, f"{k}: collisions without the collision design")
        if k in SENSOR_KEY_BITS:
            ok = master[(master["app"] == run["sensor"]) & (master["status"] == 200)]
            want = 2 * len(ok) * (SENSOR_KEY_BITS[k] - 100)   # both ends
            expect(run["wasted"] == want == int(r["wasted_bits"]), f"{k}: wasted {run['wasted']}, the formats give {want}")
        elif not k.startswith("collide"):
            expect(run["wasted"] == 0, f"{k}: waste without a key format")
    return report("compare")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
