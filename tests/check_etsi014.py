#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the ETSI GS QKD 014 client (docs/models.md), used by
tests/etsi014.sh. Each recomputes from the request log what the summary
claims, or checks a closed-form result.

  check_etsi014.py statuses TRACE
      every status and 400 reason of tests/etsi014/statuses.xml where its
      app produces it; /status fields; summary columns recounted from
      /requests; latency percentiles recomputed (numpy, linear
      interpolation, as GSL's quantile).
  check_etsi014.py throughput TRACE APP SUPPLY_BPS DEMAND_BPS [TOL]
      bits delivered to the master of APP over the run within TOL
      (default 1 %) of min(SUPPLY, DEMAND) x duration.
  check_etsi014.py little TRACE APP [TOL]
      Little's law L = lambda W within TOL (default 2 %): lambda from the
      first tries in the log, W from the final answers in the log, L from
      the summary's time integral (mean_in_system).
  check_etsi014.py arrivals TRACE APP RATE [TOL]
      the number of first tries over the duration within TOL (default
      2 %) of RATE requests/s.
  check_etsi014.py replay TRACE APP CSV START_NS DEFAULT_SIZE
      the master's requests are exactly the CSV's rows.
  check_etsi014.py slaves TRACE
      tests/etsi014/slaves.xml: additional slaves on nodes that share no
      link with the master get the master's key IDs by key relay, after
      the relay's latency (h x (hop-delay + 100 us)), answered 400 unknown
      key IDs before; relay key spent per link and per flow = jobs x hops x
      (N + T); PQC fallback answers take kme-delay + fallback-delay, and
      Little's law holds when they interleave with 200s; a relay job cut
      by an outage gives its slave a final 400 (slave_failed).
  check_etsi014.py waits TRACE
      tests/etsi014/waits.xml: a relayed additional slave asks once (400)
      while its key is on the way and then only at its first slot at or
      after max(arrival, grant + key-sync-delay): one request per grant
      when the relay is starved, two with key-sync-delay (the directly
      bound slave asks at every slot before it); a SEND flow refused by
      QKDTL admission gives every grant's slave a final 400; SEND flows'
      demand is the requested rate x N and delivered_bps delivered / the
      app's active time.
  check_etsi014.py same-gets A B
      the master GET_KEYs (times, sizes, apps) of two traces are identical
      (a change to another process left the arrivals' draws alone).

Exit status 0 when every check passed, 1 otherwise (each failure printed).
"""
import sys

import h5py
import numpy as np

GET_KEY, FETCH, STATUS = 1, 2, 3
R_NONE, R_SIZE, R_NUMBER, R_IDS, R_SAES, R_ADDR, R_KEY = range(7)

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def load(path):
    f = h5py.File(path, "r")
    ids = [a["id"].decode() if isinstance(a["id"], bytes) else str(a["id"]) for a in f["apps"][()]]
    return f, {n: i for i, n in enumerate(ids)}


def rows(f, app, kind=None):
    r = f["requests"][()]
    sel = r["app"] == app
    if kind is not None:
        sel &= r["kind"] == kind
    return r[sel]


def summary(f, app):
    s = f["summary/apps"][()]
    return s[s["app"] == app][0]


def finals(r):
    """The final answers of master requests: the attempts not retried."""
    return [x for x in r if x["retried"] == 0]


def count(r, status, reason=None):
    sel = r["status"] == status
    if reason is not None:
        sel &= r["reason"] == reason
    return int(np.count_nonzero(sel))


def duration(f):
    return float(f["summary/network"][()]["end"][0]) / 1e9


def check_summary_counts(f, app, name):
    r = rows(f, app)
    m = rows(f, app, GET_KEY)
    fin = finals(m)
    s = summary(f, app)
    fst = np.array([int(x["status"]) for x in fin])
    expect(s["requests"] == len(fin), f"{name}: requests {s['requests']} != {len(fin)} final answers")
    for col, st in (("ok", 200), ("bad_request", 400), ("unavailable", 503)):
        expect(s[col] == int(np.count_nonzero(fst == st)), f"{name}: {col} {s[col]}")
    expect(s["unauthorized"] == count(r, 401), f"{name}: unauthorized {s['unauthorized']}")
    expect(s["status_requests"] == int(np.count_nonzero(r["kind"] == STATUS)),
           f"{name}: status_requests")
    expect(s["retries"] == int(np.count_nonzero(m["retried"] == 1)), f"{name}: retries")
    tries = {int(x["t_first"]) for x in m}
    expect(len(tries) == np.count_nonzero(m["attempt"] == 0), f"{name}: one first try per request")
    expect(all((x["retried"] == 1) == (x["status"] == 503 and int(x["t_first"]) in
               {int(y["t_first"]) for y in m if y["attempt"] == x["attempt"] + 1})
               for x in m if x["retried"] == 1 and x["t_response"] < f["summary/network"][()]["end"][0] - 1e9),
           f"{name}: a retried 503 is followed by its next attempt")
    expect(s["fallback"] == int(np.count_nonzero(m["fallback"] > 0)), f"{name}: fallback")
    expect(s["bits"] == int(sum(int(x["bits"]) for x in fin)), f"{name}: bits")
    lat = np.array([(int(x["t_response"]) - int(x["t_first"])) / 1e9 for x in fin])
    if len(lat):
        for q, col in ((50, "latency_p50_s"), (95, "latency_p95_s"), (99, "latency_p99_s")):
            want = float(np.percentile(lat, q))
            expect(abs(s[col] - want) <= 1e-9 * max(1.0, want), f"{name}: {col} {s[col]} != {want}")


def statuses(path):
    f, app = load(path)
    for name, i in app.items():
        check_summary_counts(f, i, name)

    def g(name, kind=None):
        return rows(f, app[name], kind)

    ok = g("ok")
    expect(count(ok, 200) == len(ok) and len(ok) > 0, "ok: every request 200")
    st = f["status"][()]
    mine = st[st["app"] == app["ok"]]
    expect(len(mine) == count(g("ok", STATUS), 200) > 0, "ok: a /status row per GET_STATUS")
    n = f["nodes"][()]
    node = {(x["id"].decode() if isinstance(x["id"], bytes) else str(x["id"])): k for k, x in enumerate(n)}
    for x in mine:
        expect(x["source_kme"] == node["A"] and x["target_kme"] == node["B"], "ok: KME ids")
        expect(x["master_sae"] == node["A"] and x["slave_sae"] == node["B"], "ok: SAE ids")
        expect((x["key_size"], x["max_key_per_request"], x["max_key_size"], x["min_key_size"],
                x["max_sae_id_count"]) == (256, 128, 4096, 64, 2), f"ok: status limits {x}")
        expect(x["max_key_count"] == 10_000_000 // 256, "ok: max_key_count = capacity / key_size")
        expect(0 < x["stored_key_count"] <= x["max_key_count"], "ok: stored_key_count in range")
    slave = st[st["app"] == app["status-slave"]]
    expect(len(slave) > 0 and all(x["source_kme"] == node["A"] for x in slave),
           "status-slave: GET_STATUS by the slave comes from the slave's KME")
    for name, reason in (("too-big", R_SIZE), ("odd-size", R_SIZE), ("too-many", R_NUMBER),
                         ("too-many-saes", R_SAES)):
        r = g(name, GET_KEY)
        expect(len(r) > 0 and count(r, 400, reason) == len(r), f"{name}: every GET_KEY 400 reason {reason}")
    multi = g("multi", FETCH)
    expect({int(x) for x in multi["node"]} == {node["B"], node["C"]} and count(multi, 200) == len(multi),
           "multi: the slave and the additional slave both fetch with 200")
    expect(len(multi) == 2 * count(g("multi", GET_KEY), 200), "multi: two fetches per grant")
    early = g("early", FETCH)
    expect(count(early, 400, R_IDS) > 0, "early: 400 unknown key IDs before the keys reach the slave's KME")
    expect(count(early, 200) == count(g("early", GET_KEY), 200), "early: every grant fetched in the end")
    nosy = g("nosy", FETCH)
    grants = count(g("nosy", GET_KEY), 200)
    expect(count(nosy, 401, R_ADDR) == grants // 2 and grants > 1, "nosy: 401 for every 2nd grant")
    hungry = g("hungry", GET_KEY)
    expect(count(hungry, 503, R_KEY) > 0 and count(hungry, 200) > 0, "hungry: 503 and 200")
    expect(all(x["fallback"] == 1 for x in hungry if x["status"] == 503), "hungry: every 503 PQC fallback")
    ms = g("multi-short", GET_KEY)
    s = summary(f, app["multi-short"])
    expect(count(ms, 503, R_KEY) > 0 and count(ms, 200) > 0, "multi-short: 503 and 200")
    expect(s["discarded_bits"] == 256 * count(ms, 503, R_KEY),
           "multi-short: each 503 gave up the slave's 256 bits taken on AB")
    hk = g("hungry-kdf", GET_KEY)
    first_ok = min(int(x["t_request"]) for x in hk if x["status"] == 200)
    for x in hk:
        if x["fallback"] == 2:
            expect(int(x["t_request"]) > first_ok, "hungry-kdf: KDF fallback only after QKD key")
    expect(max(int(x) for x in hk["attempt"]) == 3, "hungry-kdf: at most max-retries=3 retries")
    expect(all(x["fallback"] == 0 for x in hk if x["status"] == 503 and x["attempt"] < 3),
           "hungry-kdf: no fallback while a retry remains")


def throughput(path, name, supply, demand, tol=0.01):
    f, app = load(path)
    s = summary(f, app[name])
    want = min(supply, demand) * duration(f)
    got = float(s["bits"])
    print(f"{name}: delivered {got:.0f} bits, min(supply, demand) x T = {want:.0f} "
          f"({100 * (got / want - 1):+.3f} %)")
    expect(abs(got / want - 1) <= tol, f"{name}: delivered {got} not within {tol} of {want}")


def little(path, name, tol=0.02):
    f, app = load(path)
    i = app[name]
    m = rows(f, i, GET_KEY)
    T = duration(f)
    lam = np.count_nonzero(m["attempt"] == 0) / T
    fin = finals(m)
    W = np.mean([(int(x["t_response"]) - int(x["t_first"])) / 1e9 for x in fin])
    L = float(summary(f, i)["mean_in_system"])
    print(f"{name}: lambda {lam:.4f}/s, W {W:.6f} s, lambda W {lam * W:.6f}, L {L:.6f} "
          f"({100 * (L / (lam * W) - 1):+.3f} %), retries {summary(f, i)['retries']}")
    expect(summary(f, i)["retries"] > 0, f"{name}: the run retried no request")
    expect(abs(L / (lam * W) - 1) <= tol, f"{name}: L = {L} but lambda W = {lam * W}")


def arrivals(path, name, rate, tol=0.02):
    f, app = load(path)
    m = rows(f, app[name], GET_KEY)
    got = np.count_nonzero(m["attempt"] == 0) / duration(f)
    print(f"{name}: {got:.4f} requests/s, expected {rate}")
    expect(abs(got / rate - 1) <= tol, f"{name}: rate {got} not within {tol} of {rate}")


def replay(path, name, csv, start, default_size):
    f, app = load(path)
    m = rows(f, app[name], GET_KEY)
    want = []
    for line in open(csv):
        line = line.strip()
        if not line or line.startswith("#") or line.lower().startswith("time"):
            continue
        t, _, size = line.partition(",")
        want.append((round(float(t) * 1e9) + start, int(size) if size.strip() else default_size))
    got = [(int(x["t_request"]), int(x["size"])) for x in m]
    expect(got == want, f"{name}: replayed {got} != {want}")


def same_gets(a, b):
    fa, _ = load(a)
    fb, _ = load(b)
    ra, rb = fa["requests"][()], fb["requests"][()]
    ga = ra[ra["kind"] == GET_KEY][["t_request", "app", "size"]]
    gb = rb[rb["kind"] == GET_KEY][["t_request", "app", "size"]]
    expect(len(ga) > 0 and np.array_equal(ga, gb), "the master GET_KEYs differ")
    sa, sb = fa["status"][()], fb["status"][()]
    expect(len(sa) != len(sb), "the GET_STATUS processes did not differ")


def slaves(path):
    """Closed forms of tests/etsi014/slaves.xml (its comment)."""
    f, app = load(path)
    check_summary_counts(f, app["line"], "line")
    check_summary_counts(f, app["slow-pqc"], "slow-pqc")
    nodes = [(x["id"].decode() if isinstance(x["id"], bytes) else str(x["id"])) for x in f["nodes"][()]]
    node = {n: k for k, n in enumerate(nodes)}
    N, T, HOP_NS, ASK_NS = 2 * 256, 128, 5_000_000 + 100_000, 2_000_000   # ASK: kme + slave delay
    line = rows(f, app["line"])
    grants = [x for x in rows(f, app["line"], GET_KEY) if x["status"] == 200]
    G = len(grants)
    expect(G > 50, f"line: {G} grants")
    fetches = line[line["kind"] == FETCH]
    by_key = {}
    for x in fetches:
        by_key.setdefault((int(x["node"]), int(x["key_stream"]), int(x["key_offset"])), []).append(x)
    for g in grants:
        t, key = int(g["t_request"]), (int(g["key_stream"]), int(g["key_offset"]))
        for name, hops in (("B", 0), ("C", 2), ("D", 3)):
            fx = sorted(by_key.get((node[name],) + key, []), key=lambda x: int(x["t_request"]))
            arrive = t + hops * HOP_NS
            first = t + ASK_NS * max(1, -(-(arrive - t) // ASK_NS))   # first ask at or after it
            ok = [x for x in fx if x["status"] == 200]
            early = [x for x in fx if x["status"] != 200]
            expect(len(ok) == 1 and int(ok[0]["t_request"]) == first and int(ok[0]["bits"]) == N,
                   f"line: slave {name} fetches grant at {t} with 200 at {first} "
                   f"({[(int(x['t_request']), int(x['status'])) for x in fx]})")
            # one 400 at its first ask if the key is not there yet, then
            # no ask until the first slot at or after its arrival
            expect(all(x["status"] == 400 and x["reason"] == R_IDS and
                       int(x["t_request"]) == t + ASK_NS < arrive for x in early) and
                   len(early) == (1 if arrive > t + ASK_NS else 0),
                   f"line: slave {name} asks before the key is there: one 400 unknown key IDs")
    s = summary(f, app["line"])
    expect(s["slave_ok"] == 3 * G and s["unknown_ids"] == count(fetches, 400, R_IDS) == 2 * G and
           s["slave_requests"] == len(fetches) == 5 * G,
           "line: slave_ok = 3 grants, one 400 per grant for each of C and D, counted")
    flows = f["summary/flows"][()]
    send = flows[flows["kind"] == 3]
    send = send[send["src"] == node["A"]]
    expect(len(send) == 2, "line: two SEND flows (C and D)")
    for x in send:
        hops = {node["C"]: 2, node["D"]: 3}[int(x["dst"])]
        expect(int(x["src"]) == node["A"] and x["jobs"] == x["done"] == G and
               x["delivered"] == G * N and x["spent"] == G * hops * (N + T) and
               x["tags"] == G * hops * T and abs(x["latency_p50"] - hops * HOP_NS / 1e9) < 1e-12,
               f"line: SEND flow to {nodes[int(x['dst'])]}: {x}")
    rl = {int(x["link"]): int(x["spent"]) for x in f["summary/relay_links"][()]}
    lid = {(x["id"].decode() if isinstance(x["id"], bytes) else str(x["id"])): k
           for k, x in enumerate(f["links"][()])}
    for name, jobs in (("AB", 2 * G), ("BC", 2 * G), ("CD", G), ("AE", 0)):
        expect(rl[lid[name]] == jobs * (N + T), f"line: relay spent on {name} {rl[lid[name]]} "
               f"!= {jobs} x (N + T)")
    pqc = finals(rows(f, app["slow-pqc"], GET_KEY))
    expect(len(pqc) > 100 and all(x["status"] == 503 and x["fallback"] == 1 and
                                  int(x["t_response"]) - int(x["t_first"]) == 42_000_000
                                  for x in pqc),
           "slow-pqc: every request a PQC fallback answered kme-delay + fallback-delay later")
    check_summary_counts(f, app["cut"], "cut")
    cg = [x for x in rows(f, app["cut"], GET_KEY) if x["status"] == 200]
    cf = rows(f, app["cut"], FETCH)
    down = [x for x in cg if 8_100_000_000 <= int(x["t_request"]) < 12_100_000_000]
    for g in cg:
        t = int(g["t_request"])
        mine = cf[(cf["node"] == node["J"]) & (cf["key_stream"] == g["key_stream"]) &
                  (cf["key_offset"] == g["key_offset"])]
        lost = 8_100_000_000 <= t < 12_100_000_000
        want = [(t + ASK_NS, 400)] if lost else [(t + ASK_NS, 400), (t + 6 * ASK_NS, 200)]
        expect([(int(x["t_request"]), int(x["status"])) for x in mine] == want,
               f"cut: slave J for the grant at {t}: {[(int(x['t_request']), int(x['status'])) for x in mine]}")
    sc = summary(f, app["cut"])
    cflow = flows[(flows["kind"] == 3) & (flows["dst"] == node["J"])]
    expect(len(down) == 20 and sc["slave_failed"] == len(down) and sc["slave_ok"] == 2 * len(cg) - len(down) and
           len(cflow) == 1 and cflow[0]["cut"] == len(down) and cflow[0]["done"] == len(cg) - len(down) and
           cflow[0]["stranded"] == 0,
           f"cut: {len(down)} grants in the outage, slave_failed {sc['slave_failed']}, flow {cflow}")
    mixed = finals(rows(f, app["mixed-pqc"], GET_KEY))
    lat = [int(x["t_response"]) - int(x["t_first"]) for x in mixed]
    expect(all(d == (2_000_000 if x["status"] == 200 else 42_000_000) for d, x in zip(lat, mixed)) and
           count(np.array(mixed), 200) > 50 and count(np.array(mixed), 503) > 50,
           "mixed-pqc: 200s after kme-delay, fallbacks after kme-delay + fallback-delay")
    T = duration(f)
    lam_w = len(mixed) / T * np.mean(lat) / 1e9
    L = float(summary(f, app["mixed-pqc"])["mean_in_system"])
    print(f"mixed-pqc: L {L:.6f}, lambda W {lam_w:.6f} ({100 * (L / lam_w - 1):+.3f} %)")
    expect(abs(L / lam_w - 1) <= 0.02, f"mixed-pqc: Little's law: L = {L} but lambda W = {lam_w}")
    check_summary_counts(f, app["mixed-pqc"], "mixed-pqc")
    sp = summary(f, app["slow-pqc"])
    expect(abs(sp["mean_latency_s"] - 0.042) < 1e-12 and abs(sp["latency_p99_s"] - 0.042) < 1e-12,
           f"slow-pqc: latency statistics {sp['mean_latency_s']}, {sp['latency_p99_s']} != 0.042 s")


def fetch_pattern(f, app, node, g):
    fx = rows(f, app, FETCH)
    mine = fx[(fx["node"] == node) & (fx["key_stream"] == g["key_stream"]) &
              (fx["key_offset"] == g["key_offset"])]
    return sorted((int(x["t_request"]) - int(g["t_request"]), int(x["status"])) for x in mine)


def waits(path):
    """Closed forms of tests/etsi014/waits.xml (its comment)."""
    f, app = load(path)
    nodes = [(x["id"].decode() if isinstance(x["id"], bytes) else str(x["id"])) for x in f["nodes"][()]]
    node = {n: k for k, n in enumerate(nodes)}
    MS, N = 1_000_000, 512
    flows = f["summary/flows"][()]
    for name, slave, extra in (("starved", "B", "C"), ("sync", "I", "J"), ("refused", "Q", "R")):
        check_summary_counts(f, app[name], name)
        grants = [x for x in rows(f, app[name], GET_KEY) if x["status"] == 200]
        G = len(grants)
        s = summary(f, app[name])
        expect(G == s["requests"] == 99, f"{name}: {G} grants of {s['requests']} requests")
        sync = name == "sync"
        want_b = [(2 * k * MS, 400) for k in range(1, 15)] + [(30 * MS, 200)] if sync else [(2 * MS, 200)]
        want_x = {"starved": [(2 * MS, 400)], "sync": [(2 * MS, 400), (30 * MS, 200)],
                  "refused": [(2 * MS, 400)]}[name]
        for g in grants:
            pb, px = fetch_pattern(f, app[name], node[slave], g), fetch_pattern(f, app[name], node[extra], g)
            expect(pb == want_b and px == want_x,
                   f"{name}: grant at {int(g['t_request'])}: slave {pb}, additional slave {px}")
        per = len(want_b) + len(want_x)
        expect(s["slave_requests"] == per * G and
               s["slave_ok"] == G * (1 + (name == "sync")) and
               s["slave_failed"] == (G if name == "refused" else 0) and
               s["unknown_ids"] == G * (per - 1 - (name == "sync")),
               f"{name}: summary {s['slave_requests']} slave requests, {s['slave_ok']} ok, "
               f"{s['slave_failed']} failed, {s['unknown_ids']} unknown IDs")
        fl = flows[(flows["kind"] == 3) & (flows["dst"] == node[extra])]
        T = duration(f)
        done = G if sync else 0
        expect(len(fl) == 1 and fl[0]["jobs"] == G and fl[0]["done"] == done and
               fl[0]["refused"] == (G if name == "refused" else 0) and
               abs(fl[0]["demand_bps"] - 5 * N) < 1e-9 and
               abs(fl[0]["delivered_bps"] - done * N / T) < 1e-9,
               f"{name}: SEND flow {fl}")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "statuses":
        statuses(args[0])
    elif cmd == "throughput":
        throughput(args[0], args[1], float(args[2]), float(args[3]), *map(float, args[4:]))
    elif cmd == "little":
        little(args[0], args[1], *map(float, args[2:]))
    elif cmd == "arrivals":
        arrivals(args[0], args[1], float(args[2]), *map(float, args[3:]))
    elif cmd == "slaves":
        slaves(args[0])
    elif cmd == "waits":
        waits(argv[2])
    elif cmd == "same-gets":
        same_gets(args[0], args[1])
    elif cmd == "replay":
        replay(args[0], args[1], args[2], int(args[3]), int(args[4]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
