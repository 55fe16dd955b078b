#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `qkmsim report`: the page of a real run (session-buffers.xml, 10 minutes)
# is self-contained (no http(s) references, no external script or style),
# loads in headless Chromium with every image decoded, and its tables hold
# the trace's summary (tests/check_report.py on the DOM Chromium dumped).
# Then the exit statuses: an existing output without --force, a missing
# and an incomplete trace (2, nothing written), and a report.py not found (1).
# Chromium is required (Debian package chromium; CI installs it): without
# it this test fails and says so.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${PYTHON3:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# `qkmsim report` finds analysis/ next to the program; a build outside the
# source tree (VPATH) has none there, so point it at the sources.
[ -f "$(dirname "$QKMSIM")/analysis/report.py" ] ||
    { QKMSIM_ANALYSIS="$SRCDIR/analysis"; export QKMSIM_ANALYSIS; }

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
    echo "FAIL: chromium is not installed (apt-get install chromium): the report cannot be checked in a browser"
    exit 1
fi

"$QKMSIM" run "$SRCDIR/scenarios/session-buffers.xml" --until 10min -o "$tmp/run.h5" \
    --quiet -p "@seed=11" || { echo "FAIL: run exited $?"; exit 1; }
"$QKMSIM" report "$tmp/run.h5" -o "$tmp/report.html" ||
    { echo "FAIL: report exited $?"; exit 1; }
[ -s "$tmp/report.html" ] || { echo "FAIL: no report written"; exit 1; }
if grep -Eiq '(src|href)="(https?:|//)|<link |<script src' "$tmp/report.html"; then
    echo "FAIL: the report refers to outside resources:"
    grep -Eio '(src|href)="(https?:|//)[^"]*"|<link [^>]*>|<script src[^>]*>' "$tmp/report.html" | head
    fail=1
fi
n=$(grep -o '<img [^>]*src="data:image/png;base64,' "$tmp/report.html" | wc -l)
[ "$n" -ge 3 ] || { echo "FAIL: $n inline images, want at least 3"; fail=1; }

# Headless Chromium renders it; its DOM after the load event is checked.
profile=$(mktemp -d) || exit 1
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --dump-dom "file://$tmp/report.html" > "$tmp/dom.html" 2> "$tmp/chromium.err"
rc=$?
rm -rf "$profile"
if [ $rc -ne 0 ] || [ ! -s "$tmp/dom.html" ]; then
    echo "FAIL: chromium --dump-dom exited $rc"; tail -5 "$tmp/chromium.err"; exit 1
fi
"$PYTHON3" "$SRCDIR/tests/check_report.py" "$tmp/dom.html" "$tmp/run.h5" || fail=1
# The checker must catch a broken image and a wrong number.
sed 's|data:image/png;base64,iVBOR|data:image/png;base64,AAAAA|' "$tmp/dom.html" > "$tmp/bad.html"
sed -i 's|data-images-decoded="[0-9]*"|data-images-decoded="2"|' "$tmp/bad.html"
sed -i '0,/<td data-column="generated">[0-9]*</s//<td data-column="generated">1</' "$tmp/bad.html"
if "$PYTHON3" "$SRCDIR/tests/check_report.py" "$tmp/bad.html" "$tmp/run.h5" > "$tmp/bad.out"; then
    echo "FAIL: check_report.py accepted a page with a broken image and a wrong number"; fail=1
fi
grep -q "images: 2 of" "$tmp/bad.out" || { echo "FAIL: broken image not reported"; fail=1; }
grep -q "generated: page '1'" "$tmp/bad.out" || { echo "FAIL: wrong number not reported"; fail=1; }

# Exit statuses.
status() { # WANT ARGS...
    want=$1; shift
    "$QKMSIM" report "$@" > /dev/null 2> "$tmp/err"
    got=$?
    [ $got -eq "$want" ] || { echo "FAIL: report $*: exit $got, want $want"; cat "$tmp/err"; fail=1; }
}
status 2 "$tmp/run.h5" -o "$tmp/report.html"
grep -q -- "--force" "$tmp/err" || { echo "FAIL: no --force hint"; fail=1; }
status 0 "$tmp/run.h5" -o "$tmp/report.html" --force
status 2 "$tmp/none.h5" -o "$tmp/none.html"
[ -e "$tmp/none.html" ] && { echo "FAIL: a page was written for a missing trace"; fail=1; }
cp "$tmp/run.h5" "$tmp/cut.h5"
"$PYTHON3" -c 'import h5py, sys; h5py.File(sys.argv[1], "r+")["metadata"].attrs["completed"] = 0' \
    "$tmp/cut.h5"
status 2 "$tmp/cut.h5" -o "$tmp/cut.html"
grep -q "did not complete" "$tmp/err" || { echo "FAIL: incomplete trace not named"; fail=1; }
[ -e "$tmp/cut.html" ] && { echo "FAIL: a page was written for an incomplete trace"; fail=1; }
(QKMSIM_ANALYSIS="$tmp/nowhere"; export QKMSIM_ANALYSIS
 "$QKMSIM" report "$tmp/run.h5" -o "$tmp/x.html" > /dev/null 2> "$tmp/err"; [ $? -eq 1 ]) ||
    { echo "FAIL: report without report.py did not exit 1"; fail=1; }
grep -q "cannot find analysis/report.py" "$tmp/err" ||
    { echo "FAIL: report without report.py: $(cat "$tmp/err")"; fail=1; }
status 2
"$QKMSIM" report --help | grep -q "self-contained" || { echo "FAIL: report --help"; fail=1; }
exit $fail
