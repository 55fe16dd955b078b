#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every element and attribute that scenarios/qkmsim.xsd declares is
documented in docs/scenario-format.md:

  - an element E (<xs:element name="E">) as `<E>` or `<E ...>` somewhere in
    the page (headings and text);
  - an attribute A (<xs:attribute name="A">) in the "attribute" column of
    a table of the "Elements" section, as `A` (e.g. "| `length-unit` | ...",
    "| `x`, `y` | ...", "| | `alpha` | ...").

Prints what is missing and exits 1; then checks itself: an XSD with one
element and one attribute more must be refused.

  scenario_doc.py XSD DOC
"""
import re
import sys
import xml.etree.ElementTree as ET

XS = "{http://www.w3.org/2001/XMLSchema}"


def declared(xsd_text):
    root = ET.fromstring(xsd_text)
    elements = sorted({e.get("name") for e in root.iter(XS + "element") if e.get("name")})
    attributes = sorted({a.get("name") for a in root.iter(XS + "attribute") if a.get("name")})
    return elements, attributes


def documented(doc_text):
    m = re.search(r"^## Elements$(.*?)^## ", doc_text, re.M | re.S)
    section = m.group(1) if m else ""
    cells, col = set(), None
    for line in section.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            col = None                      # a table ended
            continue
        row = [c.strip() for c in line.strip("|").split("|")]
        if col is None:                     # the header row: find "attribute"
            col = row.index("attribute") if "attribute" in row else -1
        elif col >= 0 and col < len(row):
            cells.update(re.findall(r"`([^`]+)`", row[col]))
    tags = set(re.findall(r"`<([A-Za-z][\w-]*)[ >/]", doc_text))
    return tags, cells


def missing(xsd_text, doc_text):
    elements, attributes = declared(xsd_text)
    tags, cells = documented(doc_text)
    out = [f"element <{e}> is not documented as `<{e}>`" for e in elements if e not in tags]
    out += [f"attribute {a} is in no 'attribute' column of the Elements section" for a in attributes
            if a not in cells]
    return elements, attributes, out


def main(xsd, doc):
    xsd_text, doc_text = open(xsd).read(), open(doc).read()
    elements, attributes, bad = missing(xsd_text, doc_text)
    for line in bad:
        print(f"scenario_doc: {doc}: {line}")
    if not elements or not attributes:
        print("scenario_doc: FAIL: no elements or attributes read from the XSD")
        return 1
    # Self-check: one undocumented element and attribute more are caught.
    extra = xsd_text.replace(
        "</xs:schema>",
        '<xs:element name="no-such-element"><xs:complexType>'
        '<xs:attribute name="no-such-attribute"/></xs:complexType></xs:element></xs:schema>')
    _, _, bad2 = missing(extra, doc_text)
    if len(bad2) != len(bad) + 2:
        print("scenario_doc: FAIL: the self-check's undocumented element and attribute were not caught")
        return 1
    if bad:
        return 1
    print(f"scenario_doc: {len(elements)} elements and {len(attributes)} attributes of the XSD, "
          f"all documented")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
