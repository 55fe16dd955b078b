#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# docs/scenario-format.md documents every element and attribute that
# scenarios/qkmsim.xsd declares (tests/scenario_doc.py says how it checks).
set -u
: "${SRCDIR:?}" "${PYTHON3:?}"
exec "$PYTHON3" "$SRCDIR/tests/scenario_doc.py" "$SRCDIR/scenarios/qkmsim.xsd" \
    "$SRCDIR/docs/scenario-format.md"
