#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `make install DESTDIR=...` installs the program, the schemas, every bundled
# scenario and sweep file, the analysis scripts, the manual page and every
# document of the source tree; the installed program runs from there and
# finds its bundled scenarios by name; `make uninstall` removes it all.
# The directories are given on the make command line (prefix /opt/qkm), so
# the layout checked here does not depend on how the tree was configured.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}" "${BUILDDIR:?}" "${MAKE:=make}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
p=/opt/qkm
dirs="prefix=$p exec_prefix=$p bindir=$p/bin datarootdir=$p/share datadir=$p/share \
mandir=$p/share/man docdir=$p/share/doc/qkmsim"
root=$tmp/stage
# shellcheck disable=SC2086 # $dirs is a list of words
$MAKE -s -C "$BUILDDIR" install DESTDIR="$root" $dirs > "$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; echo "FAIL: make install"; exit 1; }
r=$root$p
share=$r/share/qkmsim

need() { [ -f "$1" ] || bad "not installed: ${1#"$root"}"; }
need_exec() { [ -x "$1" ] || bad "not installed as executable: ${1#"$root"}"; }
need_exec "$r/bin/qkmsim"
need "$r/share/man/man1/qkmsim.1"
for f in "$SRCDIR"/scenarios/*.xml "$SRCDIR"/scenarios/*.xsd "$SRCDIR"/scenarios/*.graphml; do
    need "$share/scenarios/$(basename "$f")"
done
for f in "$SRCDIR"/scenarios/sweeps/*.xml; do need "$share/scenarios/sweeps/$(basename "$f")"; done
for f in "$SRCDIR"/analysis/*; do
    case $f in *__pycache__*) continue ;; esac
    case $f in *.py | *.sh) [ -x "$f" ] && need_exec "$share/analysis/$(basename "$f")" ;; esac
    need "$share/analysis/$(basename "$f")"
done
for f in "$SRCDIR"/docs/*.md "$SRCDIR"/README.md "$SRCDIR"/LICENSE; do
    need "$r/share/doc/qkmsim/$(basename "$f")"
done
for f in "$SRCDIR"/docs/images/*; do need "$r/share/doc/qkmsim/docs/images/$(basename "$f")"; done
# No library or headers: libqkmsim is internal (docs/user-guide.md, "Installing").
[ -d "$r/lib" ] && [ -n "$(ls -A "$r/lib")" ] && bad "something was installed in lib/: $(ls "$r/lib")"
[ -d "$r/include" ] && bad "headers were installed in include/"

# The installed program runs from there, away from the build and source trees.
mkdir "$tmp/work" && cd "$tmp/work" || exit 1
"$r/bin/qkmsim" --version > out 2>&1 || bad "installed qkmsim --version: exit $?"
"$r/bin/qkmsim" list > out 2> err || { bad "installed qkmsim list: exit $?"; cat err; }
head -n 1 out | grep -qF "Bundled scenarios in $share/scenarios " ||
    bad "installed list reads another folder: $(head -n 1 out)"
grep -q "^  default  *metro-4: " out || bad "installed list lacks default"
"$r/bin/qkmsim" run default --until 5min -o run.h5 > out 2> err || { bad "installed run default: exit $?"; cat err; }
grep -qx "using the bundled scenario $share/scenarios/default.xml" out || bad "installed run: $(head -n 1 out)"
[ -f run.h5 ] || bad "installed run wrote no trace"
"$r/bin/qkmsim" validate "$share/scenarios/graphml-ring.xml" > out 2> err ||
    { bad "installed graphml-ring.xml (reads ring.graphml beside it) is not valid"; cat err; }
"$r/bin/qkmsim" sweep plan "$share/scenarios/sweeps/backup-rate.xml" -d sweep > out 2> err ||
    { bad "installed sweep file does not plan"; cat err; }
if [ -n "${PYTHON3:-}" ] && [ -f run.h5 ]; then
    "$PYTHON3" "$share/analysis/plot_levels.py" run.h5 -o run.png > out 2> err ||
        { bad "installed plot_levels.py failed"; cat err; }
    [ -s run.png ] || bad "installed plot_levels.py wrote no PNG"
fi
cd "$tmp" || exit 1

# shellcheck disable=SC2086
$MAKE -s -C "$BUILDDIR" uninstall DESTDIR="$root" $dirs > "$tmp/uninstall.log" 2>&1 ||
    { cat "$tmp/uninstall.log"; bad "make uninstall"; }
left=$(find "$root" -type f | sed "s|^$root||")
[ -z "$left" ] || bad "make uninstall left: $left"

[ "$fail" -eq 0 ] && echo "install: every file in place; the installed program runs by name; uninstall is clean"
exit "$fail"
