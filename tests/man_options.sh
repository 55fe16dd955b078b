#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The manual page (docs/qkmsim.1) lists every command and every option:
# the commands are read from the `Commands:` list of `qkmsim --help`, so a
# command added later is checked too; each command's options are the option
# lines of `qkmsim COMMAND --help` ("  -x, --long ..." or "      --long");
# each command name, long option and short option must appear in the page
# once its roff escapes are stripped. Fails listing what is missing.
set -u
: "${QKMSIM:?}" "${SRCDIR:?}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
man="$SRCDIR/docs/qkmsim.1"

# The page as plain text: no \- (minus), \f.(font), \(xx, \& or \| escapes.
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\([a-z][a-z]//g' \
    -e 's/\\[&|~]//g' "$man" > "$tmp/man.txt"

"$QKMSIM" --help > "$tmp/help" || { echo "FAIL: qkmsim --help"; exit 1; }
commands=$(sed -n '/^Commands:/,/^$/p' "$tmp/help" | sed -n 's/^  \([a-z][a-z0-9-]*\).*/\1/p')
[ -n "$commands" ] || { echo "FAIL: no commands read from qkmsim --help"; exit 1; }

# Option lines of a help text: "  -x, --long", "      --long", "  -x ARG".
options() {
    sed -n -e 's/^ \{1,8\}\(-[A-Za-z]\), \(--[a-z][a-z0-9-]*\).*/\1 \2/p' \
           -e 's/^ \{1,8\}\(--[a-z][a-z0-9-]*\).*/\1/p' "$1" | tr ' ' '\n'
}

# has OPTION: the option as a word of the page ("--run" is not "--runs-...").
has() { grep -qE -- "(^|[^A-Za-z0-9-])$1([^A-Za-z0-9-]|\$)" "$tmp/man.txt"; }

missing=0
checked=0
options "$tmp/help" > "$tmp/opts.main"
for o in $(cat "$tmp/opts.main"); do
    checked=$((checked + 1))
    has "$o" || { echo "missing from qkmsim.1: qkmsim $o"; missing=1; }
done
for c in $commands; do
    # a synopsis or COMMANDS entry: ".B run", ".BI run \" file\"", ".B bench kernel"
    grep -qE "^\.BI? \"?$c( |\"|\$)" "$tmp/man.txt" || { echo "missing from qkmsim.1: command $c"; missing=1; }
    "$QKMSIM" "$c" --help > "$tmp/help.$c" 2>&1 || { echo "FAIL: qkmsim $c --help exits $?"; missing=1; continue; }
    n=0
    for o in $(options "$tmp/help.$c"); do
        n=$((n + 1))
        has "$o" || { echo "missing from qkmsim.1: qkmsim $c $o"; missing=1; }
    done
    # Every command has options (at least --help): none read means the
    # help's layout changed and this test would check nothing.
    [ "$n" -gt 0 ] || { echo "FAIL: no option lines read from qkmsim $c --help"; missing=1; }
    checked=$((checked + n))
done

# Self-check: an option the page does not have is reported.
printf '  -Z, --no-such-option-here   x\n' > "$tmp/fake"
has --no-such-option-here && { echo "FAIL: has() finds a made-up option"; missing=1; }
has --run || { echo "FAIL: has() does not find --run"; missing=1; }
[ "$(options "$tmp/fake" | wc -l)" -eq 2 ] || { echo "FAIL: options() does not read '  -Z, --long'"; missing=1; }

[ "$missing" -eq 0 ] && echo "man_options: $(echo $commands | wc -w) commands and $checked options, all in qkmsim.1"
exit "$missing"
