#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of an ETSI GS QKD 004 trace (docs/trace-format.md, "/sessions"),
recomputed from the call log and the session rows independently of the C
code.

  check_etsi004.py TRACE.h5 [--cost APP=C ...] [--expect STATUS ...]

For every session: chunks, delivered bits and timeouts equal what its
source's GET_KEY rows say; rate = delivered / (closed - opened); qos_met
from the rate, min_bps and the jitter; refused sessions have no calls
but their OPEN_CONNECT. Per client: every status count of
/summary/sessions equals the call log's, and its latency mean and p50,
p95, p99 equal numpy's over the source's GET_KEY rows. Admission,
replayed per link from /session_links against each link's mean rate
(/links rate_bps): an admitted session holds reserved_bps x cost on every
link of its path from its opening to its close (TTL and end of run
included), link_reserved_bps is the most of those, the rate in force on
a link never exceeds its mean rate, and a session refused with 7 was
offered exactly min over its path of (rate minus what was reserved when
it asked) / cost. --cost APP=C: app index APP's sessions cost C bits of
each link's key per delivered bit (hop-by-hop relay; default 1).
--expect: these statuses appear in the log. Exit status 0 when every
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


def in_force(rows, link, at, strict):
    """bit/s reserved on link at `at` by the rows (reserved <= at < released;
    strict: reserved < at < released, what a session opening at `at` saw
    when others opened or closed at the same instant)."""
    on = rows[(rows["link"] == link) & (rows["reserved"] >= 0)]
    start = on["reserved"] < at if strict else on["reserved"] <= at
    return float(on["reserved_bps"][start & (at < on["released"])].sum())


def check_admission(ses, rows, rate, cost):
    """Reservations in force over time, replayed per link from
    /session_links against each link's mean rate (/links rate_bps)."""
    held = rows[rows["reserved"] >= 0]
    for s in ses:
        mine = rows[(rows["app"] == s["app"]) & (rows["session"] == s["session"])]
        tag = f"app {s['app']} session {s['session']}"
        c = cost.get(int(s["app"]), 1.0)
        expect(np.array_equal(mine["hop"], np.arange(len(mine))), f"{tag}: hops not 0..n-1")
        for r in mine:
            expect(abs(r["cost"] - c) < 1e-12, f"{tag}: link {r['link']} cost {r['cost']}, want {c}")
        if s["reserved_bps"] > 0:
            expect(len(mine) == s["hops"] > 0, f"{tag}: {len(mine)} link rows, hops {s['hops']}")
            for r in mine:
                expect(abs(r["reserved_bps"] - s["reserved_bps"] * r["cost"]) < 1e-6,
                       f"{tag}: {r['reserved_bps']} reserved on link {r['link']}")
                expect(r["reserved"] == s["opened"] and r["released"] == s["closed"],
                       f"{tag}: link {r['link']} held [{r['reserved']}, {r['released']}), "
                       f"session [{s['opened']}, {s['closed']}]")
            expect(abs(s["link_reserved_bps"] - mine["reserved_bps"].max()) < 1e-6,
                   f"{tag}: link_reserved_bps {s['link_reserved_bps']}")
            for r in mine:   # what is in force when it opens, itself included
                total = in_force(held, r["link"], s["opened"], False)
                expect(total <= rate[r["link"]] * (1 + 1e-9),
                       f"{tag}: {total} bit/s reserved on link {r['link']} at {s['opened']} ns "
                       f"> {rate[r['link']]}")
        else:
            expect(s["hops"] == 0 and (mine["reserved"] == -1).all() and
                   (mine["released"] == -1).all(), f"{tag}: refused but holds links")
        if s["status"] == 7:
            expect(len(mine) > 0, f"{tag}: refused with 7 but no path recorded")
            left = [max(rate[r["link"]] - in_force(held, r["link"], s["opened"], True), 0) / r["cost"]
                    for r in mine]
            want = min(left) if left else 0.0
            expect(abs(s["offered_bps"] - want) < 1e-3,
                   f"{tag}: offered {s['offered_bps']}, the path had {want} left")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--cost", nargs="*", default=[])
    ap.add_argument("--expect", nargs="*", type=int, default=[])
    args = ap.parse_args()
    path, want = args.trace, args.expect
    cost = {int(k): float(v) for k, v in (x.split("=") for x in args.cost)}
    with h5py.File(path, "r") as f:
        ses, calls, summ = f["sessions"][()], f["etsi004_calls"][()], f["summary/sessions"][()]
        net = f["summary/network"][()][0]
        expect(len(ses) > 0, "no sessions")
        check_sessions(ses, calls, f["apps"][()])
        check_summary(summ, calls)
        rate = {int(r["index"]): float(r["rate_bps"]) for r in f["links"][()]}
        check_admission(ses, f["session_links"][()], rate, cost)
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
