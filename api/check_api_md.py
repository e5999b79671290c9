#!/usr/bin/env python3
"""Check that every item of the "Full listing (Linux)" in API.md is in a listing.

Usage: check_api_md.py API.md LISTING.txt

LISTING is the output of api/listing.py. API.md lists items under headings
`### struct|trait|function mio::path::Name`, with member lines `pub fn name`,
`pub const [fn] NAME`, `trait item: fn name` and `impl Trait for Type` /
`impl Trait (derived)`. For each one this looks for:
  * the heading's path, as a public path of that kind;
  * each method/const: a line `<...>::Name::member` (the type may be listed
    under a shorter re-export path, so only the type's own name is matched);
  * each impl: an impl head with the same trait and self type once paths are
    cut to their last segment and lifetimes dropped (`Read for &TcpStream`).
Prints every missing item and exits 1 if there is any.
"""
import re
import sys

api_md, listing_file = sys.argv[1], sys.argv[2]
listing = [line.rstrip("\n").split(" | ", 2) for line in open(listing_file) if line.strip()]


def short(s):
    """Cut paths to their last segment, drop lifetimes and spacing."""
    s = re.sub(r"'\w+\s*", "", s)           # lifetimes ('a, '_, 'static)
    s = re.sub(r"<\s*,?\s*>", "", s)        # empty generic lists left behind
    s = re.sub(r"(?:[A-Za-z_]\w*::)+", "", s)  # module paths
    s = s.replace("&mut ", "&mut").replace(" ", "")
    return s


paths_by_kind = {}
members = set()  # (TypeName, member)
impls = set()    # short("Trait for Type")
for path, kind, detail in listing:
    paths_by_kind.setdefault(kind, set()).add(path)
    if kind in ("method", "const", "trait-required", "trait-provided"):
        parts = path.split("::")
        members.add((re.sub(r"<.*", "", parts[-2]), parts[-1]))
    if kind in ("impl", "auto-impl"):
        head = re.sub(r"\s*\{.*\}$", "", detail)
        head = re.sub(r"\s+where\s.*$", "", head)
        head = re.sub(r"^(unsafe\s+)?impl(<[^>]*>)?\s+", "", head)
        impls.add(short(head))

KIND = {"struct": "struct", "trait": "trait", "function": "function"}
missing = []
checked = 0
in_listing = False
current = None  # (kind, path)
for raw in open(api_md):
    line = raw.rstrip("\n")
    if line.startswith("## Full listing"):
        in_listing = True
        continue
    if not in_listing:
        continue
    if line.startswith("```") and current is not None:
        break
    m = re.match(r"### (struct|trait|function) (\S+)", line)
    if m:
        kind, path = m.group(1), m.group(2)
        current = (kind, path)
        checked += 1
        if path not in paths_by_kind.get(KIND[kind], set()):
            missing.append(f"{kind} {path}")
        continue
    m = re.match(r"## mod (\S+)", line)
    if m:
        checked += 1
        if m.group(1) not in paths_by_kind.get("module", set()):
            missing.append(f"mod {m.group(1)}")
        current = None
        continue
    if current is None:
        continue
    kind, path = current
    type_name = path.split("::")[-1]
    body = line.strip()
    if not body:
        continue
    m = re.match(r"(?:pub )?(?:trait item: )?(?:const )?fn (\w+)", body) or \
        re.match(r"pub const (\w+)", body)
    if m:
        checked += 1
        if kind == "function":
            continue  # the heading is the function itself
        if (type_name, m.group(1)) not in members:
            missing.append(f"{path}::{m.group(1)}  ({body})")
        continue
    m = re.match(r"impl\s*(<[^>]*>)?\s*(.*)$", body)
    if m:
        checked += 1
        rest = m.group(2)
        d = re.match(r"(\S+) \(derived\)$", rest)
        if d:
            want = f"{d.group(1)} for {type_name}"
        else:
            want = rest
            if " for " not in want:
                want = f"{want} for {type_name}"
        if short(want) not in impls:
            missing.append(f"{path}: impl {rest}")
        continue
    missing.append(f"{path}: unparsed API.md line: {body}")

print(f"API.md: {checked} items checked against {listing_file}")
if missing:
    print(f"MISSING from the public API ({len(missing)}):")
    for m in missing:
        print("  " + m)
    sys.exit(1)
print("API.md: every item is present")
