# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of a qkmsim trace, used by the scenario tests.

  check_trace.py check TRACE.h5 SCENARIO.xml [--all-states]
  check_trace.py same A.h5 B.h5      (every dataset bit-identical)
  check_trace.py differ A.h5 B.h5    (the request logs differ)
  check_trace.py lazy LAZY.h5 EAGER.h5 fewer|equal
                                     (a run and its --eager-links twin: every
                                     dataset and /metadata attribute the same
                                     but /summary/network events, fewer in
                                     LAZY.h5 or equal)

The checks recompute from the trace what the summary claims, and replay the
key store state machine of shared/REFERENCE.md independently of the C code.
`check` needs the detailed logs, which the default trace does not keep: the
block log (run with -O blocks=true) and every level change (-O
levels=on-change), unless the scenario's own <trace levels> asks for
another mode (then the checks of that mode run). A trace without them
fails, saying so, rather than being checked less.
Exit status 0 when every check passed, 1 otherwise (each failure printed).
"""

import hashlib
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np

STATES = {"READY": 0, "CHARGING": 1, "WARNING": 2, "EMPTY": 3}
C = {n: i for i, n in enumerate(["initial", "generated", "supplied", "reserved", "internal",
                                 "relayed", "expired", "discarded", "sample", "moved"])}
RISING_WINDOW = 5
TABLES = ["nodes", "links", "stores", "apps", "levels", "requests", "summary/stores",
          "summary/links", "summary/apps", "summary/network", "link_devices", "link_blocks",
          "link_outages", "summary/link_devices"]

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


def report(cmd):
    """Prints the failures (the first 50) and a last line; the exit status."""
    for msg in failures[:50]:
        print("FAIL:", msg)
    print(f"{cmd}: {'FAILED' if failures else 'ok'} ({len(failures)} failures)")
    return 1 if failures else 0


def next_state(prev, level, history, mmin, mthr):
    """QKDNetSim's rules, as shared/REFERENCE.md gives them."""
    rising = all(level >= h for h in history)
    between = mmin < level < mthr
    if level >= mthr:
        return STATES["READY"]
    if between and ((rising and prev != STATES["READY"]) or prev == STATES["EMPTY"]):
        return STATES["CHARGING"]
    if between and prev != STATES["CHARGING"]:
        return STATES["WARNING"]
    if level <= mmin:
        return STATES["EMPTY"]
    return prev


def check_store_accounts(idx, summary):
    """The identity of docs/trace-format.md ("Accounting"), from the summary."""
    out = sum(int(summary[k]) for k in ["stored", "supplied", "internal", "relayed", "expired",
                                        "discarded", "moved_out"])
    expect(int(summary["generated"]) + int(summary["moved_in"]) == out,
           f"store {idx}: accounting does not close")
    expect(int(summary["closes"]) == 1, f"store {idx}: summary says accounts do not close")
    expect(int(summary["stored"]) == int(summary["level"]) + int(summary["reserved"]),
           f"store {idx}: stored != level + reserved")


def check_store_samples(s, rows, summary):
    """levels="sampled": rows are samples only (cause 8, delta 0) inside [0, capacity]."""
    idx, cap = int(s["index"]), int(s["capacity"])
    expect(np.all(rows["cause"] == C["sample"]) and np.all(rows["delta"] == 0),
           f"store {idx}: a sampled trace holds a change row")
    expect(np.all(rows["level"] <= cap), f"store {idx}: a sample above capacity")
    check_store_accounts(idx, summary)
    return set()


def check_store(s, rows, summary):
    idx, cap, mmin, mthr = int(s["index"]), int(s["capacity"]), int(s["mmin"]), int(s["mthr"])
    level, state, history = 0, STATES["EMPTY"], []
    amounts = np.zeros(len(C), dtype=np.uint64)
    moved_in = moved_out = 0
    seen = set()
    prev = None
    for r in rows:
        cause = int(r["cause"])
        amounts[cause] += np.uint64(r["amount"])
        if cause == C["moved"]:
            if int(r["delta"]) > 0:
                moved_in += int(r["amount"])
            else:
                moved_out += int(r["amount"])
        if cause == C["discarded"]:
            expect(r["delta"] == 0 and level == cap,
                   f"store {idx}: discard at t={r['time']} while not full")
            # trace-format.md: a DISCARDED row follows the GENERATED or
            # MOVED (into the store) row of the same offer when part of it
            # fit, and stands alone when the store was already full.
            follows = (prev is not None and int(prev["time"]) == int(r["time"]) and
                       int(prev["level"]) == cap and
                       (int(prev["cause"]) == C["generated"] or
                        (int(prev["cause"]) == C["moved"] and int(prev["delta"]) > 0)))
            expect(follows or prev is None or int(prev["level"]) == cap,
                   f"store {idx}: a discard at t={r['time']} follows neither a fill nor a full store")
            prev = r
            continue
        prev = r
        new = level + int(r["delta"])
        expect(new == int(r["level"]), f"store {idx}: level does not follow its deltas at t={r['time']}")
        expect(0 <= new <= cap, f"store {idx}: level {new} outside [0, {cap}]")
        expect(abs(int(r["delta"])) == int(r["amount"]), f"store {idx}: |delta| != amount")
        history = (history + [level])[-(RISING_WINDOW - 1):]
        state = next_state(state, new, history, mmin, mthr)
        level = new
        expect(state == int(r["state"]),
               f"store {idx}: state {int(r['state'])} at t={r['time']}, the rules give {state}")
        seen.add(state)
    # What entered: link key (initial, generated) and moved key, kept or
    # discarded at capacity.
    offered = int(amounts[C["initial"]] + amounts[C["generated"]] + amounts[C["discarded"]]) + moved_in
    expect(offered == int(summary["generated"]) + int(summary["moved_in"]),
           f"store {idx}: generated + moved_in differs from the trace")
    expect(moved_out == int(summary["moved_out"]), f"store {idx}: moved_out differs from the trace")
    expect(level == int(summary["level"]), f"store {idx}: final level differs from the trace")
    expect(int(amounts[C["discarded"]]) == int(summary["discarded"]), f"store {idx}: discarded differs")
    check_store_accounts(idx, summary)
    # Everything taken (supplied at the master, reserved at the slave) is
    # accounted for as supplied or still reserved.
    taken = int(amounts[C["supplied"]] + amounts[C["reserved"]])
    expect(taken == int(summary["supplied"]) + int(summary["reserved"]),
           f"store {idx}: supplied + reserved differs from the trace")
    return seen


def scenario_levels(scenario):
    """The levels mode the scenario file itself asks for, "on-change" when it
    says nothing (the mode the checks need)."""
    trace = ET.parse(scenario).getroot().find("trace")
    return "on-change" if trace is None else trace.get("levels", "on-change")


def check_detail(meta, scenario):
    """The trace keeps the logs the checks replay (see the module's doc)."""
    mode = meta["levels"]
    mode = mode.decode() if isinstance(mode, bytes) else mode
    want = scenario_levels(scenario)
    expect(mode in ("on-change", want),
           f"levels='{mode}': the checks need levels='{want}' (run with -O levels={want})")
    expect("blocks" in meta and int(meta["blocks"]) == 1,
           "no block log: the checks need blocks='true' (run with -O blocks=true)")


def check(path, scenario, all_states):
    with h5py.File(path, "r") as f:
        for t in TABLES:
            expect(t in f, f"missing dataset /{t}")
        meta = f["metadata"].attrs
        expect(int(meta["completed"]) == 1, "completed flag not set")
        text = meta["scenario_text"]
        text = text.encode() if isinstance(text, str) else text
        with open(scenario, "rb") as sf:
            expect(text == sf.read(), "scenario_text is not the scenario file")
        expect(meta["scenario_sha256"] == hashlib.sha256(text).hexdigest(), "scenario_sha256 wrong")
        check_detail(meta, scenario)
        if failures:
            return
        stores, levels, summ = f["stores"][()], f["levels"][()], f["summary/stores"][()]
        expect(len(summ) == len(stores), "summary/stores has a row per store")
        all_seen = []
        mode = meta["levels"]
        mode = mode.decode() if isinstance(mode, bytes) else mode
        replay = {"on-change": check_store, "sampled": check_store_samples}.get(mode)
        for s in stores:
            rows = levels[levels["store"] == s["index"]]
            expect(np.all(np.diff(rows["time"]) >= 0), f"store {s['index']}: time goes back")
            if replay is None:   # levels="off": no rows
                expect(len(rows) == 0, f"store {s['index']}: level rows with levels=off")
                check_store_accounts(int(s["index"]), summ[int(s["index"])])
                continue
            all_seen.append(replay(s, rows, summ[int(s["index"])]))
        if all_states:
            expect(any(len(x) == 4 for x in all_seen), "no store went through all four states")
        check_requests(f)
        check_links(f)
        check_link_models(f)
        net = f["summary/network"][()][0]
        for k in ["generated", "stored", "supplied", "discarded"]:
            expect(int(net[k]) == int(summ[k].sum()), f"network {k} is not the sum over stores")
        # Moves stay inside a node, so the network identity has no moved terms.
        expect(int(summ["moved_in"].sum()) == int(summ["moved_out"].sum()) == int(net["moved"]),
               "key moved in differs from key moved out")
        # Relay key of jobs that never arrived leaves RELAYED for STRANDED.
        expect(int(net["relayed"]) + int(net["stranded"]) == int(summ["relayed"].sum()),
               "network relayed + stranded is not the stores' relayed")
        out = sum(int(net[k]) for k in ["stored", "supplied", "internal", "relayed", "stranded",
                                        "expired", "discarded"])
        expect(int(net["generated"]) == out, "network accounting does not close")


def check_requests(f):
    req, apps, summ = f["requests"][()], f["apps"][()], f["summary/apps"][()]
    expect(np.all(np.isin(req["status"], [200, 400, 401, 503])), "a status other than 200/400/401/503")
    expect(np.all(req["t_response"] >= req["t_request"]), "negative latency")
    ok = req["status"] == 200
    expect(np.all(req["bits"][ok] == req["number"][ok] * req["size"][ok]), "a 200 without its key")
    expect(np.all(req["bits"][~ok] == 0), "a refused request delivered key")
    expect(np.all(np.isin(req["app"], summ["app"])), "a request of an app without a /summary/apps row")
    for s in summ:   # the ETSI 014 apps (other kinds keep their own tables)
        i = int(s["app"])
        # Final answers of master requests (a retried 503 is not one); the
        # slaves' requests (an unaddressed SAE's 401 is not one).
        mine = req[(req["app"] == i) & (req["kind"] == 1) & (req["retried"] == 0)]
        slave = req[(req["app"] == i) & (req["kind"] == 2) & (req["status"] != 401)]
        expect(len(mine) == int(s["requests"]), f"app {i}: request count differs from the log")
        expect(int((mine["status"] == 200).sum()) == int(s["ok"]), f"app {i}: ok count differs")
        expect(int((mine["status"] == 503).sum()) == int(s["unavailable"]), f"app {i}: 503 differs")
        expect(len(slave) == int(s["slave_requests"]), f"app {i}: slave count differs")
        expect(int((slave["status"] == 400).sum()) == int(s["unknown_ids"]) >= int(s["slave_failed"]),
               f"app {i}: slave 400 count differs")
        for node in set(int(n) for n in slave["node"]):
            expect(int(((slave["node"] == node) & (slave["status"] == 200)).sum()) <= int(s["ok"]),
                   f"app {i}: more slave keys than served keys")
        # Each slave call names the keys of one served master call.
        served = set(zip(mine["key_stream"][mine["status"] == 200], mine["key_offset"][mine["status"] == 200]))
        expect(all((a_, b_) in served for a_, b_ in zip(slave["key_stream"], slave["key_offset"])),
               f"app {i}: a slave asked for keys its master never got")


def plain_constant_links(f):
    """Indices of the links with one constant device, no fluctuation, no outages."""
    devs = f["link_devices"][()]
    out = set()
    for i in set(int(x) for x in devs["link"]):
        mine = devs[devs["link"] == i]
        d = mine[0]
        if (len(mine) == 1 and d["model"] in (b"constant", "constant") and d["law"] in (b"none", "none")
                and int(d["scheduled_outages"]) == 0 and int(d["mtbf_ns"]) == 0):
            out.add(i)
    return out


def check_links(f):
    links, summ, end = f["links"][()], f["summary/links"][()], int(f["metadata"].attrs["end_ns"])
    plain = plain_constant_links(f)
    for l, s in zip(links, summ):
        if int(l["index"]) not in plain:
            continue
        # floor(R * k * block) bits after k blocks: within one bit of the rate.
        k = end // int(l["block_ns"])
        expect(int(s["blocks"]) == k, f"link {l['index']}: {s['blocks']} blocks, expected {k}")
        want = int(np.floor(l["rate_bps"] * k * int(l["block_ns"]) / 1e9))
        expect(abs(int(s["generated"]) - want) <= 1, f"link {l['index']}: generated {s['generated']}, expected {want}")


def merge(intervals, end):
    """The union of [from, to) intervals clipped to [0, end], sorted and disjoint."""
    out = []
    for a, b in sorted((max(0, a), min(end, b)) for a, b in intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def down_before(merged, t):
    """Length of the union `merged` within [0, t]."""
    return sum(max(0, min(b, t) - a) for a, b in merged if a < t)


def all_down(per_device, end):
    """Time in [0, end] during which every device is down (a sweep over the unions)."""
    events = sorted([(a, 1) for m in per_device for a, _ in m] + [(b, -1) for m in per_device for _, b in m])
    total, count, since = 0, 0, 0
    for t, step in events:
        if count == len(per_device):
            total += t - since
        count += step
        since = t
    return total


def check_link_models(f):
    """The link-model tables (docs/link-models.md) against each other and the stores."""
    end = int(f["metadata"].attrs["end_ns"])
    links, devs, lsum = f["links"][()], f["link_devices"][()], f["summary/links"][()]
    dsum, blocks, outs = f["summary/link_devices"][()], f["link_blocks"][()], f["link_outages"][()]
    ssum, stores = f["summary/stores"][()], f["stores"][()]
    expect(len(dsum) == len(devs), "summary/link_devices has a row per device")
    expect(np.all(blocks["bits"] > 0), "a block of 0 bits in /link_blocks")
    expect(np.all(np.diff(blocks["time"]) >= 0), "/link_blocks goes back in time")
    expect(np.all(outs["to"] > outs["from"]), "an empty outage")
    expect(len(set(devs["stream"].tolist())) == len(devs), "two devices share a key stream")
    for l in links:
        i = int(l["index"])
        mine = devs[devs["link"] == i]
        delivered, downs = 0, []
        for d, s in zip(mine, dsum[dsum["link"] == i]):
            k = int(d["device"])
            tag = f"link {i} device {k}"
            rows = blocks[(blocks["link"] == i) & (blocks["device"] == k)]
            o = outs[(outs["link"] == i) & (outs["device"] == k)]
            down = merge(zip(o["from"].tolist(), o["to"].tolist()), end)
            downs.append(down)
            expect(int(rows["bits"].sum()) == int(s["generated"]), f"{tag}: blocks do not sum to generated")
            expect(len(rows) == int(s["closed"]), f"{tag}: block rows != closed")
            expect(len(o) == int(s["outages"]), f"{tag}: outage rows != outages")
            nblocks = end // int(d["block_ns"])
            expect(int(s["blocks"]) == nblocks, f"{tag}: {s['blocks']} blocks, expected {nblocks}")
            up = end - down_before(down, end)
            expect(int(s["up_ns"]) == up, f"{tag}: up_ns {s['up_ns']}, the outages give {up}")
            expect(abs(float(s["availability"]) - up / end) < 1e-12 if end else True, f"{tag}: availability")
            t = rows["time"].tolist()
            expect(not any(a <= x < b for x in t for a, b in down), f"{tag}: a block closed during an outage")
            if d["law"] in (b"none", "none"):
                # floor(R U(t_K)): whole bits of the rate times the up time.
                tk = nblocks * int(d["block_ns"])
                u = tk - down_before(down, tk)
                want = int(np.floor(float(d["rate_bps"]) * u / 1e9))
                got = int(s["generated"]) + int(s["held"])
                expect(abs(got - want) <= 1, f"{tag}: generated + held {got}, floor(R U) gives {want}")
            delivered += int(rows["bits"][rows["time"] + int(d["delay_ns"]) <= end].sum())
        ls = lsum[i]
        expect(int(ls["generated"]) == int(dsum["generated"][dsum["link"] == i].sum()),
               f"link {i}: generated is not the sum over its devices")
        expect(int(ls["blocks"]) == int(dsum["blocks"][dsum["link"] == i].sum()),
               f"link {i}: blocks is not the sum over its devices")
        up = end - all_down(downs, end)
        expect(int(ls["up_ns"]) == up, f"link {i}: up_ns {ls['up_ns']}, the outages give {up}")
        # Each end receives the link's initial key and every delivered block,
        # in whichever of its stores the storage design puts them.
        for side in (0, 1):
            mine = stores[(stores["link"] == i) & (stores["end"] == side)]
            got = sum(int(ssum[int(st["index"])]["generated"]) for st in mine)
            expect(got == int(l["initial"]) + delivered,
                   f"link {i} end {side}: offered {got}, initial + delivered blocks give "
                   f"{int(l['initial']) + delivered}")


def datasets(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def same_value(x, y):
    """Equality in which NaN equals NaN (a length not given is NaN)."""
    if isinstance(x, float) and isinstance(y, float) and np.isnan(x) and np.isnan(y):
        return True
    return x == y


def same_rows(x, y):
    return len(x) == len(y) and all(len(r) == len(q) and all(map(same_value, r, q))
                                    for r, q in zip(map(tuple, x), map(tuple, y)))


def same_datasets(da, db):
    """Every dataset of da equal to db's (bytes, or rows by value)."""
    expect(sorted(da) == sorted(db), "the two traces have different datasets")
    for k in da:
        if k in db:
            expect(da[k].tobytes() == db[k].tobytes() if da[k].dtype.hasobject is False
                   else same_rows(da[k], db[k]), f"/{k} differs")


def same(a, b):
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        da, db = datasets(fa), datasets(fb)
        same_datasets(da, db)
        expect(len(da.get("requests", [])) > 0 or len(da.get("etsi004_calls", [])) > 0,
               "no requests to compare")


def differ(a, b):
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        ra, rb = fa["requests"][()], fb["requests"][()]
        expect(len(ra) != len(rb) or ra.tobytes() != rb.tobytes(), "request logs are identical")


def lazy(a, b, events):
    """A run with lazy links against its --eager-links twin (docs/models.md,
    "Lazy links"): identical but for the kernel's event count."""
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        da, db = datasets(fa), datasets(fb)
        na, nb = da.pop("summary/network"), db.pop("summary/network")
        ea, eb = int(na["events"][0]), int(nb["events"][0])
        rest = [n for n in na.dtype.names if n != "events"]
        expect(same_rows(na[rest], nb[rest]), "/summary/network differs beyond events")
        same_datasets(da, db)
        ma, mb = dict(fa["metadata"].attrs), dict(fb["metadata"].attrs)
        expect(sorted(ma) == sorted(mb), "/metadata attributes differ")
        for k in ma:
            if k in mb and k != "scenario_path":
                expect(np.array_equal(np.asarray(ma[k]), np.asarray(mb[k])), f"/metadata@{k} differs")
        if events == "fewer":
            expect(ea < eb, f"events: lazy {ea} not fewer than eager {eb} (links not lazy?)")
        else:
            expect(ea == eb, f"events: {ea} and {eb} differ (a link was lazy?)")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "check" and len(argv) >= 4:
        check(argv[2], argv[3], "--all-states" in argv[4:])
    elif cmd == "same" and len(argv) == 4:
        same(argv[2], argv[3])
    elif cmd == "differ" and len(argv) == 4:
        differ(argv[2], argv[3])
    elif cmd == "lazy" and len(argv) == 5 and argv[4] in ("fewer", "equal"):
        lazy(argv[2], argv[3], argv[4])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return report(cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
