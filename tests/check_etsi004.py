#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of an ETSI GS QKD 004 trace (docs/trace-format.md, "/sessions"),
recomputed from the call log and the session rows independently of the C
code.

  check_etsi004.py TRACE.h5 LINK_BPS [--cost APP=C ...] [--expect STATUS ...]

For every session: chunks, delivered bits and timeouts equal what its
source's GET_KEY rows say; rate = delivered / (closed - opened); qos_met
from the rate, min_bps and the jitter; refused sessions have no calls
but their OPEN_CONNECT. Per client: every status count of
/summary/sessions equals the call log's, and its latency mean and p50,
p95, p99 equal numpy's over the source's GET_KEY rows. Admission, on
the one link every session crosses (rate LINK_BPS): the rate the sessions
open at any instant reserved on it (link_reserved_bps) never exceeds
LINK_BPS, a session reserved reserved_bps x its app's cost on it, and a
session refused with 7 was offered exactly (LINK_BPS minus what was
reserved when it asked) / cost. --cost APP=C: app index APP's sessions
cost C bits of the link's key per delivered bit (a relayed pair; default
1). --expect: these statuses appear in the log. Exit status 0 when every
check holds, 1 otherwise.
"""
import argparse
import sys

import h5py
import numpy as np

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


def check_sessions(ses, calls, apps):
    for s in ses:
        mine = calls[(calls["app"] == s["app"]) & (calls["session"] == s["session"])]
        src = mine[(mine["node"] == s["source"]) & (mine["call"] == 2)]
        tag = f"app {s['app']} session {s['session']}"
        if not s["admitted"]:
            expect(len(mine) == 1 and mine[0]["call"] == 1 and mine[0]["status"] == s["status"],
                   f"{tag}: refused, but its calls are {mine['call']}/{mine['status']}")
            expect(s["status"] in (4, 5, 7), f"{tag}: refused with status {s['status']}")
            continue
        ok = src[src["status"] == 0]
        chunk = int(s["key_chunk_size"]) * 8
        expect(len(ok) == s["chunks"], f"{tag}: {len(ok)} GET_KEY 0 rows, chunks {s['chunks']}")
        expect(ok["bits"].sum() == s["delivered_bits"] == len(ok) * chunk,
               f"{tag}: delivered {s['delivered_bits']} != rows {ok['bits'].sum()}")
        expect((src["status"] == 6).sum() == s["timeouts"], f"{tag}: timeouts differ")
        expect(np.array_equal(np.sort(ok["index"]), np.arange(len(ok))),
               f"{tag}: source key indices are not 0..n-1")
        secs = (s["closed"] - s["opened"]) / 1e9
        rate = s["delivered_bits"] / secs
        expect(abs(rate - s["rate_bps"]) <= 1e-9 * max(rate, 1), f"{tag}: rate {s['rate_bps']} != {rate}")
        met = rate >= s["min_bps"] and (s["jitter_asked_s"] == 0 or s["jitter_s"] <= s["jitter_asked_s"])
        expect(bool(s["qos_met"]) == met, f"{tag}: qos_met {s['qos_met']}, recomputed {met}")
        expect(s["close_cause"] in (1, 2, 3), f"{tag}: cause {s['close_cause']}")
        if s["close_cause"] == 2:
            expect(abs(secs - s["ttl_s"]) < 1e-9, f"{tag}: TTL expiry after {secs} s, ttl {s['ttl_s']}")


def check_summary(summ, calls):
    for row in summ:
        mine = calls[calls["app"] == row["app"]]
        src = mine[(mine["call"] == 2) & (mine["node"] == mine[mine["call"] == 1]["node"][0])]
        lat = (src["t_response"] - src["t_request"]) / 1e9
        expect(len(src) == row["get_key"], f"app {row['app']}: get_key {row['get_key']}, log {len(src)}")
        if len(lat):
            for q, col in ((50, "latency_p50_s"), (95, "latency_p95_s"), (99, "latency_p99_s")):
                expect(abs(np.percentile(lat, q) - row[col]) < 1e-9,
                       f"app {row['app']}: {col} {row[col]}, numpy {np.percentile(lat, q)}")
            expect(abs(lat.mean() - row["mean_latency_s"]) < 1e-9, f"app {row['app']}: mean latency")
        for k in range(9):
            n = int((mine["status"] == k).sum())
            expect(n == row[f"status_{k}"], f"app {row['app']}: status_{k} {row[f'status_{k}']}, log {n}")


def check_admission(ses, link_bps, cost):
    """Reservations in force over time, replayed from the session rows."""
    held = [(s["opened"], s["closed"], s["link_reserved_bps"]) for s in ses if s["reserved_bps"] > 0]
    for s in ses:
        at, c = s["opened"], cost.get(int(s["app"]), 1.0)
        if s["reserved_bps"] > 0:
            expect(abs(s["link_reserved_bps"] - s["reserved_bps"] * c) < 1e-6,
                   f"session at {at}: {s['link_reserved_bps']} reserved on the link, "
                   f"{s['reserved_bps']} x cost {c}")
        inforce = sum(r for (o, e, r) in held if o <= at < e)
        expect(inforce <= link_bps * (1 + 1e-9), f"{inforce} bit/s reserved at {at} ns > {link_bps}")
        if s["status"] == 7:
            others = sum(r for (o, e, r) in held if o < at < e or (o == at and e > at and o != s["opened"]))
            expect(abs(s["offered_bps"] - max(link_bps - others, 0) / c) < 1e-3,
                   f"session at {at}: offered {s['offered_bps']}, left {link_bps - others}, cost {c}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("link_bps", type=float)
    ap.add_argument("--cost", nargs="*", default=[])
    ap.add_argument("--expect", nargs="*", type=int, default=[])
    args = ap.parse_args()
    path, link_bps, want = args.trace, args.link_bps, args.expect
    cost = {int(k): float(v) for k, v in (x.split("=") for x in args.cost)}
    with h5py.File(path, "r") as f:
        ses, calls, summ = f["sessions"][()], f["etsi004_calls"][()], f["summary/sessions"][()]
        net = f["summary/network"][()][0]
        expect(len(ses) > 0, "no sessions")
        check_sessions(ses, calls, f["apps"][()])
        check_summary(summ, calls)
        check_admission(ses, link_bps, cost)
        expect(net["sessions_refused"] == summ["refused"].sum(), "sessions_refused differs")
        expect(net["sessions_qos_met"] == ses["qos_met"].sum(), "sessions_qos_met differs")
        expect(net["get_key_timeouts"] == ses["timeouts"].sum(), "get_key_timeouts differs")
        for k in want:
            expect((calls["status"] == k).any(), f"no call answered {k}")
    for msg in failures[:50]:
        print("FAIL:", msg)
    print(f"check_etsi004 {path}: {'FAILED' if failures else 'ok'} ({len(failures)} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
