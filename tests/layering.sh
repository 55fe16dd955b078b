#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The layers of docs/architecture.md, checked on the sources:
#   - no file of sim/ but the wiring file sim/main.c includes a models/ header;
#   - libxml2 headers (<libxml/...>) appear only in sim/scenario.c,
#     igraph's (<igraph...>) only in sim/topo.c, HDF5's (<hdf5.h>, <H5...>)
#     only in sim/trace.c, libcrypto's (<openssl/...>) only in sim/digest.c;
#   - the kernel (sim/kernel.c) includes no GSL header.
# tests/ is not checked: test_trace.c and test_topo.c read what their
# module wrote through the library itself, as an independent check.
# Then it checks itself: a copy of the tree with one forbidden include
# added must be refused, so that a checker that finds nothing cannot pass.
#
# Usage: tests/layering.sh [TREE]   (TREE defaults to $SRCDIR)
set -u
tree=${1:-${SRCDIR:?}}

# Prints one line per violation in tree $1; exits 1 when there is any.
check() {
    t=$1
    bad=0
    for f in "$t"/sim/*.c "$t"/sim/*.h; do
        [ -e "$f" ] || continue
        case ${f#"$t"/} in sim/main.c) continue ;; esac
        if grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"models/' "$f"; then
            echo "layering: ${f#"$t"/} includes a models/ header (only sim/main.c may)"
            bad=1
        fi
    done
    # library header -> its one home
    for pair in 'libxml/:sim/scenario.c' 'igraph:sim/topo.c' 'hdf5.h:sim/trace.c' \
                'H5[A-Za-z]*\.h:sim/trace.c' 'openssl/:sim/digest.c'; do
        pat=${pair%%:*}
        home=${pair#*:}
        for f in $(find "$t/sim" "$t/models" -name '*.[ch]' 2>/dev/null); do
            rel=${f#"$t"/}
            [ "$rel" = "$home" ] && continue
            if grep -Hn "^[[:space:]]*#[[:space:]]*include[[:space:]]*<$pat" "$f"; then
                echo "layering: $rel includes <$pat...> (its home is $home)"
                bad=1
            fi
        done
    done
    if grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*<gsl/' "$t/sim/kernel.c"; then
        echo "layering: sim/kernel.c includes GSL (the kernel draws no random numbers)"
        bad=1
    fi
    return $bad
}

# The tree itself.
check "$tree" || exit 1

# Self-check on a scratch copy: one forbidden include of each kind added
# must be caught, so that a checker that finds nothing cannot pass.
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sim" "$tmp/models"
cp "$tree"/sim/*.[ch] "$tmp/sim/" && cp "$tree"/models/*.[ch] "$tmp/models/" || exit 1
printf '#include "models/world.h"\n' >> "$tmp/sim/units.c"
if check "$tmp" >/dev/null; then
    echo "layering: FAIL: a models/ include added to sim/units.c was not caught"
    exit 1
fi
sed -i '$d' "$tmp/sim/units.c"
printf '#include <hdf5.h>\n' >> "$tmp/models/kstore.c"
if check "$tmp" >/dev/null; then
    echo "layering: FAIL: an HDF5 include added to models/kstore.c was not caught"
    exit 1
fi
sed -i '$d' "$tmp/models/kstore.c"
printf '#include <openssl/evp.h>\n' >> "$tmp/sim/units.c"
if check "$tmp" >/dev/null; then
    echo "layering: FAIL: a libcrypto include added to sim/units.c was not caught"
    exit 1
fi
echo "layering: sim/ includes no models/ header but in sim/main.c; libxml2, igraph, HDF5 and libcrypto stay home"
