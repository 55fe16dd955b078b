#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# What `qkmsim run -o OUT` may replace. Refused with exit 2, before the
# scenario is even read, and with nothing changed: an OUT that is a
# directory, a character device, a FIFO, a symbolic link, or the input
# scenario itself (also by another path, a symlink or a hard link, and also
# with --force); an existing regular OUT without --force; an OUT.partial
# that is a symlink or a FIFO. Allowed: a new OUT, an existing regular OUT
# with --force (replaced by a complete trace), a leftover regular
# OUT.partial (replaced, then renamed).
set -u
: "${QKMSIM:?}" "${SRCDIR:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
cp "$SRCDIR/scenarios/two-nodes.xml" "$tmp/in.xml" || exit 1
cp "$tmp/in.xml" "$tmp/in.orig" || exit 1
printf 'not a scenario\n' > "$tmp/bad.xml"
echo keep > "$tmp/victim"

# run CODE WHAT ARGS...: `qkmsim run ARGS...` (with a 2 s run) must exit CODE.
run() {
    want=$1; what=$2; shift 2
    timeout 120 "$QKMSIM" run "$@" --quiet -p @duration=2s > "$tmp/out" 2> "$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $what: exit $got, expected $want"; sed 's/^/  /' "$tmp/err"; fail=1
        return 1
    fi
    echo "ok: $what: exit $got${want:+ }$(head -n 1 "$tmp/err")"
}
has() { grep -q -- "$1" "$tmp/err" || { echo "FAIL: $2: '$1' not in stderr"; fail=1; }; }
unchanged() {
    cmp -s "$tmp/in.xml" "$tmp/in.orig" || { echo "FAIL: $1: the input changed"; fail=1; }
    [ "$(cat "$tmp/victim")" = keep ] || { echo "FAIL: $1: the symlink's target changed"; fail=1; }
}
no_partial() {
    [ ! -e "$1.partial" ] && [ ! -L "$1.partial" ] || { echo "FAIL: $2: $1.partial left"; fail=1; }
}

# Not a regular file.
mkdir "$tmp/dir"
run 2 "a directory" "$tmp/in.xml" -o "$tmp/dir" && has "is a directory" "a directory"
[ -d "$tmp/dir" ] || { echo "FAIL: the directory is gone"; fail=1; }
no_partial "$tmp/dir" "a directory"

mkfifo "$tmp/fifo"
run 2 "a FIFO" "$tmp/in.xml" -o "$tmp/fifo" --force && has "FIFO" "a FIFO"
[ -p "$tmp/fifo" ] || { echo "FAIL: the FIFO was replaced"; fail=1; }
no_partial "$tmp/fifo" "a FIFO"

if mknod "$tmp/null" c 1 3 2> /dev/null; then
    run 2 "a character device" "$tmp/in.xml" -o "$tmp/null" --force &&
        has "character device" "a character device"
    [ -c "$tmp/null" ] || { echo "FAIL: the device node was replaced"; fail=1; }
    no_partial "$tmp/null" "a character device"
else
    echo "note: mknod not permitted here: the character-device case is not checked"
fi

ln -s "$tmp/victim" "$tmp/link.h5"
run 2 "a symlink to another file" "$tmp/in.xml" -o "$tmp/link.h5" --force &&
    has "symbolic link" "a symlink"
[ -L "$tmp/link.h5" ] || { echo "FAIL: the symlink was replaced"; fail=1; }
unchanged "a symlink"

# The input itself, however it is named; --force does not change that.
ln -s "$tmp/in.xml" "$tmp/in-link.xml"
ln "$tmp/in.xml" "$tmp/in-hard.xml"
run 2 "the input" "$tmp/in.xml" -o "$tmp/in.xml" && has "is the scenario" "the input"
run 2 "the input, --force" "$tmp/in.xml" -o "$tmp/in.xml" --force
run 2 "the input by another path" "$tmp/in.xml" -o "$tmp/dir/../in.xml" --force
run 2 "the input through a symlink" "$tmp/in.xml" -o "$tmp/in-link.xml" --force
run 2 "the input given as a symlink" "$tmp/in-link.xml" -o "$tmp/in.xml" --force
run 2 "the input by a hard link" "$tmp/in.xml" -o "$tmp/in-hard.xml" --force
(cd "$tmp" && timeout 120 "$QKMSIM" run in.xml -o ./in.xml --force --quiet 2> "$tmp/err")
[ $? -eq 2 ] && echo "ok: the input by a relative path" ||
    { echo "FAIL: the input by a relative path was not refused"; fail=1; }
unchanged "the input"
no_partial "$tmp/in.xml" "the input"

# The checks come first: a bad scenario is not even read.
run 2 "checked before the scenario" "$tmp/bad.xml" -o "$tmp/dir" && has "is a directory" "order"

# An existing regular file: only with --force.
echo old > "$tmp/old.h5"
run 2 "an existing file" "$tmp/in.xml" -o "$tmp/old.h5" && has "exists" "existing" &&
    has "--force" "existing"
[ "$(cat "$tmp/old.h5")" = old ] || { echo "FAIL: the existing file was replaced"; fail=1; }
run 0 "an existing file, --force" "$tmp/in.xml" -o "$tmp/old.h5" --force
[ "$(head -c 4 "$tmp/old.h5" | od -An -c | tr -d ' ')" = '211HDF' ] ||
    { echo "FAIL: --force did not write a trace"; fail=1; }
no_partial "$tmp/old.h5" "--force"

# The partial file: never through a symlink, never a FIFO; a leftover
# regular one is replaced.
ln -s "$tmp/victim" "$tmp/p.h5.partial"
run 2 "a symlink at .partial" "$tmp/in.xml" -o "$tmp/p.h5" && has "p.h5.partial" "symlink .partial"
[ -L "$tmp/p.h5.partial" ] && [ ! -e "$tmp/p.h5" ] || { echo "FAIL: symlink .partial"; fail=1; }
unchanged "a symlink at .partial"
mkfifo "$tmp/q.h5.partial"
run 2 "a FIFO at .partial" "$tmp/in.xml" -o "$tmp/q.h5" && has "q.h5.partial" "FIFO .partial"
[ -p "$tmp/q.h5.partial" ] && [ ! -e "$tmp/q.h5" ] || { echo "FAIL: FIFO .partial"; fail=1; }
cp "$tmp/in.xml" "$tmp/r.h5.partial"
run 2 "the input at .partial" "$tmp/r.h5.partial" -o "$tmp/r.h5" && has "is the scenario" "input .partial"
echo stale > "$tmp/s.h5.partial"
run 0 "a stale .partial" "$tmp/in.xml" -o "$tmp/s.h5"
[ -f "$tmp/s.h5" ] || { echo "FAIL: no trace after a stale .partial"; fail=1; }
no_partial "$tmp/s.h5" "a stale .partial"
exit $fail
