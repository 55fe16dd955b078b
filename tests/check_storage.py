# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the key storage options in a qkmsim trace (docs/storage-models.md).

  check_storage.py check TRACE.h5 [--expect-expiry] [--reserve-bites LINK]
                                  [--below-min LINK]
  check_storage.py summarize CSV TRACE.h5 [TRACE.h5 ...]

check: replays every store's ranges from the level trace (FIFO, births =
delivery times) and checks that key leaves exactly at birth + max-age, never
later and never earlier, and that expired amounts match the summary; derives
the waste of every served request from the store's format (an implementation
here, independent of the C code) and compares it with the per-app and
per-store summaries and with the key that left the stores; checks that a
store that reserves Mmin never supplies below it.
  --expect-expiry     some key expired
  --reserve-bites L   some request on link L was refused (503)
  --below-min L       some supply on link L took the level below Mmin

summarize: CSV is the output of `qkmsim summarize --csv TRACE...`; each row
is recomputed from the trace's request log and level trace.

Exit status 0 when every check passed, 1 otherwise (each failure printed).
"""

import collections
import csv
import sys

import h5py
import numpy as np

# The cause codes and the failure list are shared with check_trace.py.
from check_trace import C, expect, failures, report

TAKES = {C["supplied"], C["reserved"], C["internal"], C["relayed"]}


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def key_bits(fmt, sizes, size):
    """Bits one key of `size` takes, from the format rules of the docs."""
    if fmt == "bits":
        return size
    if fmt == "bytes":
        return -(-size // 8) * 8
    largest = sizes[-1]
    q, r = divmod(size, largest)
    return q * largest + (min(s for s in sizes if s >= r) if r else 0)


def replay_expiry(store, rows, summ, end):
    """FIFO replay of one store's ranges; returns the bits seen expiring."""
    idx, max_age = int(store["index"]), int(store["max_age_ns"])
    queue = collections.deque()   # [birth, bits]
    expired = 0
    for r in rows:
        t, cause, amount = int(r["time"]), int(r["cause"]), int(r["amount"])
        if cause in (C["discarded"], C["sample"]):
            continue
        if cause != C["expired"] and max_age > 0:
            expect(not queue or queue[0][0] + max_age > t,
                   f"store {idx}: key born at {queue[0][0] if queue else 0} still held at t={t} "
                   f"(max-age {max_age})")
        if cause in (C["initial"], C["generated"]):
            queue.append([t, amount])
        elif cause in TAKES:
            left = amount
            while left > 0 and queue:
                piece = min(left, queue[0][1])
                queue[0][1] -= piece
                left -= piece
                if queue[0][1] == 0:
                    queue.popleft()
            expect(left == 0, f"store {idx}: took more than it held at t={t}")
        elif cause == C["expired"]:
            expect(max_age > 0, f"store {idx}: expiry without max-age")
            due = 0
            while queue and queue[0][0] + max_age <= t:
                expect(queue[0][0] + max_age == t,
                       f"store {idx}: key born at {queue[0][0]} expired late, at t={t}")
                due += queue.popleft()[1]
            expect(due == amount, f"store {idx}: {amount} b expired at t={t}, the ranges give {due}")
            expect(due > 0, f"store {idx}: an expiry at t={t} with nothing due")
            expired += amount
    if max_age > 0:
        expect(not queue or queue[0][0] + max_age > end,
               f"store {idx}: key past its age still held at the end")
    expect(expired == int(summ["expired"]), f"store {idx}: expired {expired} in the level trace, "
                                            f"{int(summ['expired'])} in the summary")
    return expired


def check(path, expect_expiry, reserve_links, below_links):
    with h5py.File(path, "r") as f:
        end = int(f["metadata"].attrs["end_ns"])
        stores, links, apps = f["stores"][()], f["links"][()], f["apps"][()]
        levels, req = f["levels"][()], f["requests"][()]
        ssum, asum, net = f["summary/stores"][()], f["summary/apps"][()], f["summary/network"][()][0]
        expect(text(f["metadata"].attrs["levels"]) == "on-change",
               "needs levels='on-change' (run with -O levels=on-change)")
        link_index = {text(l["id"]): int(l["index"]) for l in links}
        total_expired = 0
        for s in stores:
            rows = levels[levels["store"] == s["index"]]
            total_expired += replay_expiry(s, rows, ssum[int(s["index"])], end)
        expect(total_expired == int(net["expired"]), "network expired is not the sum over stores")
        expect(not expect_expiry or total_expired > 0, "no key expired")

        # Waste: per app from its served requests, per store from where the
        # key left (master at GET_KEY, slave at GET_KEY_WITH_KEY_IDS).
        store_of = {(int(s["link"]), int(s["node"])): s for s in stores}
        waste = np.zeros(len(stores), dtype=np.int64)
        taken = np.zeros(len(stores), dtype=np.int64)
        for a in apps:
            i = int(a["index"])
            master = store_of[(int(a["link"]), int(a["master"]))]
            slave = store_of[(int(a["link"]), int(a["slave"]))]
            fmt, sizes = text(master["format"]), [int(x) for x in text(master["block_sizes"]).split()]
            size, number = int(a["size"]), int(a["number"])
            per_request = number * key_bits(fmt, sizes, size)
            served = int(((req["app"] == i) & (req["kind"] == 1) & (req["status"] == 200)).sum())
            fetched = int(((req["app"] == i) & (req["kind"] == 2)).sum())
            w = per_request - number * size
            expect(int(asum[i]["wasted"]) == served * w,
                   f"app {i}: wasted {int(asum[i]['wasted'])}, the format gives {served * w}")
            waste[int(master["index"])] += served * w
            waste[int(slave["index"])] += fetched * w
            taken[int(master["index"])] += served * per_request
            taken[int(slave["index"])] += served * per_request
        for s in stores:
            k = int(s["index"])
            expect(int(ssum[k]["wasted"]) == waste[k],
                   f"store {k}: wasted {int(ssum[k]['wasted'])}, the requests give {waste[k]}")
            expect(int(ssum[k]["wasted"]) <= int(ssum[k]["supplied"]), f"store {k}: wasted > supplied")
            rows = levels[levels["store"] == k]
            out = int(rows["amount"][(rows["cause"] == C["supplied"]) | (rows["cause"] == C["reserved"])].sum())
            expect(out == taken[k], f"store {k}: {out} b supplied/reserved in the level trace, "
                                    f"the formatted requests take {taken[k]}")
            # Reserved Mmin: no supply leaves the store below it.
            sup = rows[(rows["cause"] == C["supplied"]) | (rows["cause"] == C["reserved"])]
            if int(s["reserve_min"]):
                expect(np.all(sup["level"] >= s["mmin"]), f"store {k}: supplied below a reserved Mmin")
        expect(int(net["wasted"]) == int(ssum["wasted"].sum()), "network wasted is not the sum over stores")

        for name in reserve_links:
            l = link_index[name]
            mine = [int(a["index"]) for a in apps if int(a["link"]) == l]
            refused = int((np.isin(req["app"], mine) & (req["status"] == 503)).sum())
            expect(refused > 0, f"link {name}: no request was refused")
        for name in below_links:
            l = link_index[name]
            ks = [int(s["index"]) for s in stores if int(s["link"]) == l]
            rows = levels[np.isin(levels["store"], ks) & (levels["cause"] == C["supplied"])]
            mmin = int(stores[ks[0]]["mmin"])
            expect(np.any(rows["level"] < mmin), f"link {name}: no supply went below Mmin")


def summarize(csv_path, traces):
    with open(csv_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    expect(len(rows) == len(traces), f"{len(rows)} rows for {len(traces)} traces")
    for row, path in zip(rows, traces):
        with h5py.File(path, "r") as f:
            req, levels = f["requests"][()], f["levels"][()]
            master = req[req["kind"] == 1]
            lost = int((req["status"][req["kind"] == 2] == 400).sum())
            want = {
                "name": text(f["metadata"].attrs["scenario_name"]),
                "design": text(f["metadata"].attrs["storage_designs"]),
                "served": int((master["status"] == 200).sum()) - lost,
                "refused": int(np.isin(master["status"], [400, 503]).sum()),
                "lost": lost,
                "wasted_bits": int(f["summary/stores"]["wasted"].sum()),
                "expired_bits": int(levels["amount"][levels["cause"] == C["expired"]].sum()),
                "internal_bits": int(levels["amount"][levels["cause"] == C["internal"]].sum()),
                "seed": int(f["metadata"].attrs["seed"]),
                "run": int(f["metadata"].attrs["run"]),
                "overrides": "; ".join(x for x in text(f["metadata"].attrs["overrides"]).split("\n") if x),
            }
            latency = float(np.mean(master["t_response"] - master["t_request"])) / 1e9
        for k, v in want.items():
            got = row[k] if k in ("name", "design", "overrides") else int(row[k])
            expect(got == v, f"{path}: {k} is {got}, the trace gives {v}")
        expect(abs(float(row["mean_latency_s"]) - latency) <= 1e-9 * max(1.0, latency),
               f"{path}: mean latency {row['mean_latency_s']}, the trace gives {latency}")
        expect(row["trace"] == path, f"{path}: trace column is {row['trace']}")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "check" and len(argv) >= 3:
        args, reserve, below, i = argv[3:], [], [], 0
        while i < len(args):
            if args[i] in ("--reserve-bites", "--below-min") and i + 1 < len(args):
                (reserve if args[i] == "--reserve-bites" else below).append(args[i + 1])
                i += 2
            else:
                i += 1
        check(argv[2], "--expect-expiry" in args, reserve, below)
    elif cmd == "summarize" and len(argv) >= 4:
        summarize(argv[2], argv[3:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return report(cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
