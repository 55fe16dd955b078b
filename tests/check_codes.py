#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The code names of the enumeration columns (docs/trace-format.md, "Code
names"), and pandas on every table.

Usage: check_codes.py TRACE.h5 [--expect-outages] [--etsi004]

For every enumeration column: the dataset carries `<column>_names`, the
attribute parses as CODE=NAME pairs, its names are the documented ones,
and every value in the column has a name. Then every table of the file
reads into pandas.DataFrame(h5py.File(p)[table][()]) with its columns, and
the /levels causes map to names with pandas alone (Series.map). The trace
must log every level change (run with -O levels=on-change: the default
samples hold only SAMPLE rows, which would leave the causes unchecked).
--expect-outages: /link_outages must have rows (so its kind column is
checked on real values). --etsi004: a trace of ETSI 004 sessions only:
/etsi004_calls and /sessions must have rows, /requests may be empty.
Exit status 0 when all hold, 1 otherwise.
"""
import sys

import h5py
import pandas

# The documented names (docs/trace-format.md, "Codes").
EXPECTED = {
    ("levels", "cause"): {0: "INITIAL", 1: "GENERATED", 2: "SUPPLIED", 3: "RESERVED",
                          4: "INTERNAL", 5: "RELAYED", 6: "EXPIRED", 7: "DISCARDED",
                          8: "SAMPLE", 9: "MOVED"},
    ("levels", "state"): {0: "READY", 1: "CHARGING", 2: "WARNING", 3: "EMPTY"},
    ("requests", "kind"): {1: "GET_KEY", 2: "GET_KEY_WITH_KEY_IDS", 3: "GET_STATUS"},
    ("requests", "status"): {200: "OK", 400: "BAD_REQUEST", 401: "UNAUTHORIZED",
                             503: "SERVICE_UNAVAILABLE"},
    ("requests", "reason"): {0: "NONE", 1: "SIZE", 2: "NUMBER", 3: "UNKNOWN_KEY_IDS",
                             4: "SAE_ID_COUNT", 5: "NOT_ADDRESSED", 6: "NOT_ENOUGH_KEY"},
    ("requests", "fallback"): {0: "NONE", 1: "PQC", 2: "KDF"},
    ("link_outages", "kind"): {0: "SCHEDULED", 1: "FAILURE"},
    ("summary/stores", "final_state"): {0: "READY", 1: "CHARGING", 2: "WARNING", 3: "EMPTY"},
    ("etsi004_calls", "call"): {1: "OPEN_CONNECT", 2: "GET_KEY", 3: "CLOSE"},
    ("etsi004_calls", "status"): {0: "SUCCESSFUL", 1: "PEER_NOT_CONNECTED",
                                  2: "INSUFFICIENT_KEY", 3: "GET_KEY_PEER_NOT_CONNECTED",
                                  4: "NO_QKD_CONNECTION", 5: "KSID_IN_USE", 6: "TIMEOUT",
                                  7: "QOS_NOT_MET", 8: "METADATA_SIZE_INSUFFICIENT"},
    ("sessions", "close_cause"): {0: "REFUSED", 1: "CLOSED", 2: "TTL", 3: "OPEN"},
}


def parse(raw):
    names = {}
    for item in raw.split(","):
        code, eq, name = item.partition("=")
        if not eq or not code.isdigit() or not name:
            raise ValueError(f"bad item '{item}'")
        names[int(code)] = name
    return names


def main():
    path = sys.argv[1]
    expect_outages = "--expect-outages" in sys.argv[2:]
    nonempty = (("levels", "summary/stores", "etsi004_calls", "sessions")
                if "--etsi004" in sys.argv[2:] else ("levels", "requests", "summary/stores"))
    bad = 0

    def fail(msg):
        nonlocal bad
        print(f"check_codes: {path}: {msg}")
        bad = 1

    with h5py.File(path, "r") as f:
        mode = f["metadata"].attrs["levels"]
        mode = mode.decode() if isinstance(mode, bytes) else str(mode)
        if mode != "on-change":
            fail(f"levels='{mode}': the checks need levels='on-change' (run with -O levels=on-change)")
        for (table, column), want in EXPECTED.items():
            ds = f[table]
            raw = ds.attrs.get(f"{column}_names")
            if raw is None:
                fail(f"/{table} has no attribute {column}_names")
                continue
            raw = raw.decode() if isinstance(raw, bytes) else str(raw)
            try:
                names = parse(raw)
            except ValueError as e:
                fail(f"/{table}@{column}_names: {e}")
                continue
            if names != want:
                fail(f"/{table}@{column}_names is {names}, want {want}")
            values = set(int(v) for v in ds[column]) if len(ds) else set()
            if values - set(names):
                fail(f"/{table}.{column} has values without a name: {sorted(values - set(names))}")
            if table in nonempty and not values:
                fail(f"/{table} is empty: nothing checked")
            print(f"/{table}.{column}: {len(names)} names; values seen: "
                  + ", ".join(f"{v}={names.get(v)}" for v in sorted(values)))
        if expect_outages and len(f["link_outages"]) == 0:
            fail("/link_outages has no rows")
        tables = []
        f.visititems(lambda n, o: tables.append(n) if isinstance(o, h5py.Dataset) else None)
        for name in tables:
            data = f[name][()]
            try:
                df = pandas.DataFrame(data)
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                fail(f"pandas.DataFrame(/{name}) failed: {e}")
                continue
            if list(df.columns) != list(data.dtype.names) or len(df) != len(data):
                fail(f"pandas.DataFrame(/{name}): columns or rows differ")
        levels = pandas.DataFrame(f["levels"][()])
        causes = levels["cause"].map(parse(f["levels"].attrs["cause_names"]))
        if causes.isna().any() or causes.iloc[0] != "INITIAL":
            fail("/levels causes do not map to names with pandas (first row should be INITIAL)")
        print(f"{len(tables)} tables read by pandas")
    return bad


if __name__ == "__main__":
    sys.exit(main())
