#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A full file system: `qkmsim run` with its output on a 512 KiB tmpfs whose
# trace does not fit must exit 1 (not crash), print one message naming the
# file and "no space left on device", and leave nothing behind (neither the
# output nor its .partial). Two scenarios: one whose trace fails at the
# final flush (two-nodes, about 2 MB) and one whose trace fails while the
# run writes batches (default, about 28 MB).
# Mounting needs root (CI runs the tests as root); elsewhere this test
# says why and is skipped (exit 77).
set -u
: "${QKMSIM:?}" "${SRCDIR:?}"
tmp=$(mktemp -d) || exit 1
fs="$tmp/fs"
mkdir "$fs" || exit 1
if ! why=$(mount -t tmpfs -o size=512k tmpfs "$fs" 2>&1); then
    echo "SKIP: cannot mount a tmpfs on $fs: ${why:-mount failed} (the test needs root)"
    rm -rf "$tmp"
    exit 77
fi
trap 'umount "$fs"; rm -rf "$tmp"' EXIT INT TERM
fail=0

for name in two-nodes default; do
    out="$fs/$name.h5"
    "$QKMSIM" run "$SRCDIR/scenarios/$name.xml" -o "$out" --quiet > "$tmp/out" 2> "$tmp/err"
    code=$?
    if [ "$code" -ne 1 ]; then
        echo "FAIL: $name: exit $code on a full file system, expected 1"; fail=1
    fi
    # Before it, the run may warn that the trace will not fit (estimate.sh).
    grep -v '^qkmsim: warning: ' "$tmp/err" > "$tmp/errors"
    if [ "$(wc -l < "$tmp/errors")" -ne 1 ]; then
        echo "FAIL: $name: expected one error on stderr, got:"; sed 's/^/  /' "$tmp/err"; fail=1
    fi
    grep -qF -- "$out" "$tmp/errors" || { echo "FAIL: $name: stderr does not name $out"; fail=1; }
    grep -qi -- "no space left on device" "$tmp/errors" ||
        { echo "FAIL: $name: stderr does not say 'no space left on device'"; fail=1; }
    if [ -n "$(ls -A "$fs")" ]; then
        echo "FAIL: $name: left behind:"; ls -la "$fs" | sed 's/^/  /'; fail=1
        rm -f "$fs"/*
    fi
    [ "$fail" -eq 0 ] && echo "ok: $name: $(cat "$tmp/errors")"
done

exit $fail
