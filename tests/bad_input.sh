#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The bad-input corpus: every tests/bad/*.xml holds one mistake. Its first
# line is "<!-- expect: SUBSTRING -->", a text the error message must
# contain; the line where the error must be reported carries "<!-- here -->".
# For each file, `qkmsim validate` and `qkmsim run` must exit 2, print one
# line "qkmsim: ..." on stderr (libraries print nothing of their own) that
# names the file and that line ("FILE:LINE:") with the expected text, and
# `run` must leave no output file behind (neither OUT nor OUT.partial).
set -u
: "${QKMSIM:?}" "${SRCDIR:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0
count=0

# problem FILE ARGS...: runs `qkmsim ARGS...` about FILE and prints the
# first thing wrong with its exit code and stderr, or nothing.
problem() {
    file=$1; shift
    base=${file##*/}
    "$QKMSIM" "$@" > "$tmp/out" 2> "$tmp/err"
    code=$?
    if [ "$code" -ne 2 ]; then
        echo "'$1' exited $code, not 2"; return
    fi
    # one line from the command line: the library itself prints nothing
    if [ "$(wc -l < "$tmp/err")" -ne 1 ] || ! grep -q '^qkmsim: ' "$tmp/err"; then
        echo "'$1': stderr is not one line 'qkmsim: ...'"; return
    fi
    if ! grep -qF -- "$base" "$tmp/err"; then
        echo "'$1': stderr does not name $base"; return
    fi
    if ! grep -qF -- "$expect" "$tmp/err"; then
        echo "'$1': stderr lacks '$expect'"; return
    fi
    if [ -n "$line" ]; then
        if ! grep -qF -- "$base:$line:" "$tmp/err"; then
            echo "'$1': stderr does not name line $line ('$base:$line:')"; return
        fi
    elif ! grep -q -- "$base_re:[0-9][0-9]*:" "$tmp/err"; then
        echo "'$1': stderr has no line number after $base"; return
    fi
}

for f in "$SRCDIR"/tests/bad/*.xml; do
    [ -f "$f" ] || continue
    count=$((count + 1))
    base=${f##*/}
    base_re=$(printf '%s' "$base" | sed 's/[].[\*^$]/\\&/g')
    expect=$(sed -n '1s/^<!-- expect: \(.*\) -->$/\1/p' "$f")
    line=$(grep -n -- '<!-- here -->' "$f" | head -n 1 | cut -d: -f1)
    why=
    : > "$tmp/err"
    if [ -z "$expect" ]; then
        why="first line is not '<!-- expect: SUBSTRING -->'"
    fi
    [ -n "$why" ] || why=$(problem "$f" validate "$f")
    if [ -z "$why" ]; then
        rm -f "$tmp/out.h5" "$tmp/out.h5.partial"
        why=$(problem "$f" run "$f" -o "$tmp/out.h5")
        if [ -z "$why" ] && { [ -e "$tmp/out.h5" ] || [ -e "$tmp/out.h5.partial" ]; }; then
            why="'run' left an output file behind"
        fi
    fi
    if [ -n "$why" ]; then
        echo "FAIL $base: $why"
        sed 's/^/    stderr: /' "$tmp/err" 2>/dev/null
        failed=1
    else
        echo "ok $base"
    fi
done

if [ "$count" -lt 10 ]; then
    echo "FAIL: only $count files in $SRCDIR/tests/bad (expected at least 10)"
    failed=1
fi
exit "$failed"
