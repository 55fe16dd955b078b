#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one libFuzzer harness for a bounded time: tests/fuzz/run.sh NAME
# SEED... (called by tests/fuzz_NAME.sh), where a SEED is a file or a folder
# of files. The corpus starts from the seeds (copied: libFuzzer writes what it finds into the first
# folder it is given, and the source tree is not written to).
# Environment: FUZZ_DIR (where the harnesses were built), FUZZ_WHY (why
# they were not built, if so), FUZZ_TIME (seconds, default 20),
# FUZZ_CORPUS (a folder to keep the corpus in, default a temporary one).
# A crash, leak, timeout or undefined behaviour fails the test; the input
# is printed and kept in $FUZZ_DIR/work/ (docs/reliability.md says how to
# turn it into a regression test).
set -u
: "${SRCDIR:?}" "${FUZZ_DIR:?}"
name=$1; shift
harness=$FUZZ_DIR/fuzz_$name
if [ -n "${FUZZ_WHY:-}" ]; then
    echo "SKIP fuzz_$name: $FUZZ_WHY"
    exit 77
fi
if [ ! -x "$harness" ]; then
    echo "FAIL fuzz_$name: $harness was not built"
    exit 1
fi
work=$FUZZ_DIR/work/$name
rm -rf "$work"
mkdir -p "$work/seeds" || exit 1
corpus=${FUZZ_CORPUS:-$work/corpus}
mkdir -p "$corpus" || exit 1
for d in "$@"; do
    for f in "$d" "$d"/*; do
        [ -f "$f" ] && cp "$f" "$work/seeds/"
    done
done
dict=
[ -f "$SRCDIR/tests/fuzz/$name.dict" ] && dict="-dict=$SRCDIR/tests/fuzz/$name.dict"
# Leaks are findings; a scenario that takes seconds to build is one too.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
"$harness" -max_total_time="${FUZZ_TIME:-20}" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$work/" $dict \
    "$corpus" "$work/seeds" > "$work/log" 2>&1
rc=$?
grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE' "$work/log"
if [ $rc -ne 0 ]; then
    echo "FAIL fuzz_$name: the harness exited $rc; its log ($work/log) ends:"
    tail -n 60 "$work/log"
    for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
        [ -f "$a" ] || continue
        echo "input $a (base64):"
        base64 "$a"
    done
    exit 1
fi
echo "ok fuzz_$name"
exit 0
