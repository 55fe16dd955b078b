#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Generated topologies (<topology><generate>) and application mixes
# (<mix>), docs/scenario-format.md:
# - a geometric draw: link lengths are the distances of their nodes, rates
#   follow the lengths (decoy-bb84), the draw follows seed and run only;
# - a mix's pairs sit on links (adjacent), draw sizes and rates in their
#   ranges, and adding a pair (or another mix) changes no other pair's
#   nodes, values or requests; between="all" makes every pair of the set;
# - bad input: exit 2 naming the element.
set -u
: "${QKMSIM:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# scenario FILE PAIRS EXTRA-APPS [GENERATE-ATTRS, default radius="0.25"]
scenario() {
    gen=${4:-"radius='0.25'"}
    cat > "$1" <<XML
<?xml version="1.0"?>
<scenario name="mix" duration="2min" seed="11">
  <topology>
    <generate model="geometric" nodes="60" side="80km" $gen/>
    <link-defaults>
      <generation model="decoy-bb84" block="1s"/>
      <store capacity="100Mb" min="0b" threshold="1Mb" initial="50Mb"/>
    </link-defaults>
  </topology>
  <apps>
    <mix kind="etsi014" id="m" pairs="$2" size="uniform-int(128, 1024)" number="choice(1|2|4)">
      <arrivals process="poisson" rate="exponential(5/s)"/>
    </mix>
    $3
  </apps>
</scenario>
XML
}
run() { "$QKMSIM" run "$1" -o "$2" -q "$@" 2> "$tmp/err" || { echo "FAIL: run $1: $(cat "$tmp/err")"; fail=1; }; }

scenario "$tmp/a.xml" 40 ""
scenario "$tmp/b.xml" 41 '<mix kind="etsi014" id="extra" pairs="3" between="random" nodes="n0 n1"><arrivals rate="1/s"/></mix>'
scenario "$tmp/all.xml" 1 '<mix kind="etsi014" id="every" between="all" nodes="n0 n1 n2 n3"><arrivals rate="1/s"/></mix>' 'radius="1.414" disconnected="refuse"'
"$QKMSIM" run "$tmp/a.xml" -o "$tmp/a.h5" -q -O requests=all || { echo "FAIL: run a"; fail=1; }
"$QKMSIM" run "$tmp/a.xml" -o "$tmp/a-run1.h5" -q --run 1 || { echo "FAIL: run a, run 1"; fail=1; }
"$QKMSIM" run "$tmp/b.xml" -o "$tmp/b.h5" -q -O requests=all || { echo "FAIL: run b"; fail=1; }
"$QKMSIM" run "$tmp/all.xml" -o "$tmp/all.h5" -q || { echo "FAIL: run all"; fail=1; }
[ $fail -eq 0 ] || exit 1

"$PYTHON3" - "$tmp" <<'PY' || fail=1
import sys, h5py, numpy as np
d = sys.argv[1]
bad = []
def expect(c, m):
    if not c: bad.append(m)
a, b = h5py.File(f"{d}/a.h5", "r"), h5py.File(f"{d}/b.h5", "r")
r1, al = h5py.File(f"{d}/a-run1.h5", "r"), h5py.File(f"{d}/all.h5", "r")
nodes, links, apps = a["nodes"][()], a["links"][()], a["apps"][()]
expect(len(nodes) > 1 and len(links) > 0, "no nodes or links drawn")
for l in links:
    p, q = nodes[l["a"]], nodes[l["b"]]
    dist = np.hypot(p["x"] - q["x"], p["y"] - q["y"]) * 1000
    expect(abs(dist - l["length_m"]) < 1e-6 * max(1, dist), f"link {l['id']}: length is not the distance")
    expect(dist < 0.25 * 80e3, f"link {l['id']}: longer than the radius")
order = np.argsort(links["length_m"])
expect(np.all(np.diff(links["rate_bps"][order]) <= 1e-9), "decoy-bb84 rates do not fall with length")
expect(not np.array_equal(r1["nodes"][()]["x"], nodes["x"]), "another run drew the same nodes")
ends = {(int(l["a"]), int(l["b"])) for l in links} | {(int(l["b"]), int(l["a"])) for l in links}
expect(len(apps) == 40, f"{len(apps)} apps, want 40")
for p in apps:
    expect((int(p["master"]), int(p["slave"])) in ends, f"app {p['id']} is not on a link")
    expect(128 <= p["size"] <= 1024 and p["number"] in (1, 2, 4), f"app {p['id']}: size or number")
expect(len(set(apps["size"])) > 10, "sizes are not drawn per pair")
expect(0.5 < apps["rate"].mean() / 5 < 2, f"mean rate {apps['rate'].mean()}, drawn with mean 5/s")
expect([x.decode() for x in apps["id"][:3]] == ["m.0", "m.1", "m.2"], "pair ids")
# Adding a pair and another mix changes none of the first 40 pairs.
bapps = b["apps"][()]
expect(len(bapps) == 44, f"b: {len(bapps)} apps, want 44")
for col in ("master", "slave", "size", "number", "rate"):
    expect(np.array_equal(bapps[col][:40], apps[col]), f"adding pairs changed column {col}")
ra, rb = a["requests"][()], b["requests"][()]
for i in range(40):
    x, y = ra[ra["app"] == i], rb[rb["app"] == i]
    expect(np.array_equal(x["t_request"], y["t_request"]), f"pair {i}: its requests changed")
expect(all(bapps["master"][41:] <= 1) and all(bapps["slave"][41:] <= 1), "random pairs outside nodes=")
# between="all" on 4 nodes of a complete draw: the 6 pairs, in order.
ap = al["apps"][()]
every = [(int(p["master"]), int(p["slave"])) for p in ap if p["id"].decode().startswith("every.")]
expect(every == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)], f"between=all made {every}")
for m in bad:
    print("FAIL:", m)
sys.exit(1 if bad else 0)
PY

# Bad input: exit 2, the element named, no output.
refuse() {   # WHAT GREP-PATTERN FILE
    "$QKMSIM" run "$3" -o "$tmp/x.h5" -q 2> "$tmp/err"
    rc=$?
    if [ $rc -ne 2 ] || ! grep -q "$2" "$tmp/err" || [ -e "$tmp/x.h5" ]; then
        echo "FAIL: $1: exit $rc, $(cat "$tmp/err")"; fail=1
    fi
}
scenario "$tmp/e1.xml" 5 "" 'radius="0.01" disconnected="refuse"'
refuse "a disconnected draw" "<generate.*connected components" "$tmp/e1.xml"
sed 's/uniform-int(128, 1024)/uniform-int(128b, 1024)/' "$tmp/a.xml" > "$tmp/e2.xml"
refuse "a bad distribution" "e2.xml:11: <mix.*attribute 'size': cannot read" "$tmp/e2.xml"
sed 's/pairs="40"/pairs="40" nodes="n0 nowhere"/' "$tmp/a.xml" > "$tmp/e3.xml"
refuse "an unknown node" "<mix.*unknown node 'nowhere'" "$tmp/e3.xml"
sed 's/choice(1|2|4)/choice(one|two)/' "$tmp/a.xml" > "$tmp/e4.xml"
refuse "a drawn value the kind refuses" "e4.xml:11: <etsi014" "$tmp/e4.xml"
exit $fail
