#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keeps the examples of a Markdown guide honest: runs its command blocks
in order in a scratch folder and compares the outputs it shows.

  doc_examples.py GUIDE.md QKMSIM SRCDIR

Every ```sh and ```python block runs (sh blocks with sh -e, python blocks
with this interpreter), in document order, in one scratch folder where
./qkmsim is the program under test and scenarios/ and analysis/ are the
source tree's. A block preceded by "<!-- doc-test: skip -->" does not run
(installation, benchmarks, rebuilds). A plain ``` block preceded by
"<!-- doc-test: output -->" is the output of the block run just before
it: its lines must be the last lines that block printed, the wall time
"(N.NN s wall)" excepted. Any block that fails fails the test.
"""
import os
import re
import subprocess
import sys
import tempfile

WALL = re.compile(r"\(\d+\.\d+ s wall\)")


def blocks(text):
    """(info, marker, body, line) of every fenced block."""
    out, lines, i, marker = [], text.split("\n"), 0, None
    while i < len(lines):
        m = re.match(r"<!-- doc-test: (\w+) -->", lines[i])
        if m:
            marker = m.group(1)
        elif lines[i].startswith("```"):
            info, start, body = lines[i][3:].strip(), i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            out.append((info, marker, "\n".join(body) + "\n", start))
            marker = None
        elif lines[i].strip():
            marker = None if not lines[i].startswith("<!--") else marker
        i += 1
    return out


def main(guide, qkmsim, srcdir):
    text = open(guide).read()
    fail, last, ran = 0, None, 0
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(os.path.abspath(qkmsim), os.path.join(tmp, "qkmsim"))
        for d in ("scenarios", "analysis"):
            os.symlink(os.path.join(os.path.abspath(srcdir), d), os.path.join(tmp, d))
        for info, marker, body, line in blocks(text):
            where = f"{os.path.basename(guide)}:{line}"
            if marker == "skip":
                continue
            if info in ("sh", "python"):
                cmd = ["sh", "-e", "-c", body] if info == "sh" else [sys.executable, "-c", body]
                p = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
                ran += 1
                if p.returncode != 0:
                    print(f"{where}: the block exited {p.returncode}:\n{body}{p.stderr}")
                    fail = 1
                last = p.stdout
            elif marker == "output":
                want = WALL.sub("(X s wall)", body).rstrip("\n").split("\n")
                got = WALL.sub("(X s wall)", last or "").rstrip("\n").split("\n")
                if got[-len(want):] != want:
                    print(f"{where}: the guide shows\n  " + "\n  ".join(want) +
                          "\nbut the block before it printed\n  " + "\n  ".join(got[-len(want):]))
                    fail = 1
    print(f"doc_examples: {ran} blocks of {os.path.basename(guide)} run, "
          f"{'all as shown' if not fail else 'some not as shown'}")
    return fail


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
