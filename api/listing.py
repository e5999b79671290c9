#!/usr/bin/env python3
"""Print the public API of a crate from its rustdoc JSON, one line per item.

Usage: listing.py CRATE.json > listing.txt

Each line is `<path> | <kind> | <detail>`:
  * every public path reachable from the crate root (re-exports included),
    with its kind (`mod`, `struct`, `trait`, `fn`, ...);
  * every function and associated const/type, with its signature;
  * every impl block of a local type or trait (inherent, trait and auto-trait
    impls; blanket impls such as `impl<T> From<T> for T` are left out), keyed
    by the type it is for.
Types are printed with the public path of local items (`mio::event::Events`,
not the private module where it is defined) and with a short, toolchain-
stable form for foreign items (`io::Result`, `os::OwnedFd`: the top module of
the crate plus the item name), so that a new nightly moving std internals
around does not change the listing. Lines are sorted and deduplicated.
"""
import json
import sys

data = json.load(open(sys.argv[1]))
index = data["index"]
paths = data["paths"]
root = data["root"]
STD_CRATES = {"std", "core", "alloc"}
# Auto traits that only exist on nightly (rustdoc lists them for every type);
# they are not part of the API a stable user sees.
UNSTABLE_AUTO_TRAITS = {"marker::Freeze", "marker::UnsafeUnpin"}

public_path = {}  # id (str) -> shortest public path of a local item
lines = set()


def kind_of(item):
    return next(iter(item["inner"]))


# --- walk the module tree from the root, following re-exports ----------------
def walk(mod_id, prefix, seen):
    if mod_id in seen:
        return
    seen = seen | {mod_id}
    item = index[str(mod_id)]
    for child in item["inner"]["module"]["items"]:
        c = index.get(str(child))
        if c is None:
            continue
        k = kind_of(c)
        if k == "use":
            use = c["inner"]["use"]
            target = use["id"]
            if use["is_glob"]:
                if target is not None and str(target) in index:
                    walk(target, prefix, seen)
                continue
            name = use["name"]
            path = prefix + "::" + name
            if target is not None and str(target) in index:
                t = index[str(target)]
                record(str(target), path, t)
                if kind_of(t) == "module":
                    walk(target, path, seen)
            else:
                # A re-export of a foreign item (e.g. std's unix SocketAddr).
                lines.add(f"{path} | use | {use['source']}")
            continue
        if c.get("name") is None:
            continue
        path = prefix + "::" + c["name"]
        record(str(child), path, c)
        if k == "module":
            walk(child, path, seen)


def record(item_id, path, item):
    k = kind_of(item)
    old = public_path.get(item_id)
    if old is None or (path.count("::"), path) < (old.count("::"), old):
        public_path[item_id] = path
    lines.add(f"{path} | {k} | {describe(item)}")


def describe(item):
    k = kind_of(item)
    inner = item["inner"][k]
    if k == "function":
        return fn_sig(item["name"], inner)
    if k == "struct":
        kind = inner["kind"]
        g = generics_params(inner["generics"])
        if kind == "unit":
            return f"struct{g};"
        if "tuple" in kind:
            fields = []
            for f in kind["tuple"]:
                if f is None:
                    fields.append("_")
                else:
                    fi = index[str(f)]
                    fields.append("pub " + ty(fi["inner"]["struct_field"]))
            return f"struct{g}({', '.join(fields)})"
        pub = []
        for f in kind["plain"]["fields"]:
            fi = index[str(f)]
            pub.append(f"pub {fi['name']}: {ty(fi['inner']['struct_field'])}")
        return f"struct{g} {{ {', '.join(pub)} }}"
    if k == "trait":
        g = generics_params(inner["generics"])
        unsafe = "unsafe " if inner.get("is_unsafe") else ""
        bounds = " + ".join(bound(b) for b in inner.get("bounds", []))
        return f"{unsafe}trait{g}" + (f": {bounds}" if bounds else "")
    if k == "constant":
        return f"const: {ty(inner['type'])}"
    if k == "enum":
        return "enum" + generics_params(inner["generics"])
    return k


# --- type rendering -----------------------------------------------------------
def item_path(p):
    """Name a path (rustdoc `Path`) stably."""
    pid = p.get("id")
    if pid is not None and str(pid) in public_path:
        return public_path[str(pid)]
    info = paths.get(str(pid)) if pid is not None else None
    if info is not None:
        segs = info["path"]
        if info["crate_id"] == 0:
            return "::".join(segs)
        if segs[0] in STD_CRATES:
            return "::".join(segs[1:2] + segs[-1:]) if len(segs) > 2 else segs[-1]
        return "::".join(segs)
    written = p.get("path", p.get("name", "?"))
    for pre in ("$crate::", "::"):
        if written.startswith(pre):
            written = written[len(pre):]
    return written


def path_str(p):
    return item_path(p) + generic_args(p.get("args"))


def generic_args(args):
    if not args:
        return ""
    if "angle_bracketed" in args:
        ab = args["angle_bracketed"]
        parts = []
        for a in ab["args"]:
            if "type" in a:
                parts.append(ty(a["type"]))
            elif "lifetime" in a:
                parts.append(a["lifetime"])
            elif "const" in a:
                parts.append(str(a["const"].get("expr", "?")))
            else:
                parts.append("_")
        for c in ab.get("constraints", []):
            b = c["binding"]
            rhs = ty(b["equality"]["type"]) if "equality" in b and "type" in b["equality"] else \
                " + ".join(bound(x) for x in b.get("constraint", []))
            sep = " = " if "equality" in b else ": "
            parts.append(c["name"] + generic_args(c.get("args")) + sep + rhs)
        return "<" + ", ".join(parts) + ">" if parts else ""
    if "parenthesized" in args:
        pa = args["parenthesized"]
        out = "(" + ", ".join(ty(t) for t in pa["inputs"]) + ")"
        if pa.get("output") is not None:
            out += " -> " + ty(pa["output"])
        return out
    return ""


def ty(t):
    if t is None:
        return "()"
    k = next(iter(t))
    v = t[k]
    if k == "resolved_path":
        return path_str(v)
    if k == "generic":
        return v
    if k == "primitive":
        return v
    if k == "borrowed_ref":
        lt = (v["lifetime"] + " ") if v.get("lifetime") else ""
        m = "mut " if v["is_mutable"] else ""
        return f"&{lt}{m}{ty(v['type'])}"
    if k == "raw_pointer":
        return ("*mut " if v["is_mutable"] else "*const ") + ty(v["type"])
    if k == "tuple":
        return "(" + ", ".join(ty(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if k == "slice":
        return "[" + ty(v) + "]"
    if k == "array":
        return f"[{ty(v['type'])}; {v['len']}]"
    if k == "impl_trait":
        return "impl " + " + ".join(bound(b) for b in v)
    if k == "dyn_trait":
        parts = [path_str(p["trait"]) for p in v["traits"]]
        if v.get("lifetime"):
            parts.append(v["lifetime"])
        return "dyn " + " + ".join(parts)
    if k == "qualified_path":
        trait = f" as {path_str(v['trait'])}" if v.get("trait") else ""
        return f"<{ty(v['self_type'])}{trait}>::{v['name']}"
    if k == "function_pointer":
        sig = v["sig"]
        ins = ", ".join(ty(x[1]) for x in sig["inputs"])
        out = f" -> {ty(sig['output'])}" if sig.get("output") is not None else ""
        return f"fn({ins}){out}"
    if k == "infer":
        return "_"
    return k


def bound(b):
    if "trait_bound" in b:
        tb = b["trait_bound"]
        mod = {"maybe": "?", "maybe_const": "~const "}.get(tb.get("modifier", "none"), "")
        hr = ""
        if tb.get("generic_params"):
            hr = "for<" + ", ".join(p["name"] for p in tb["generic_params"]) + "> "
        return hr + mod + path_str(tb["trait"])
    if "outlives" in b:
        return b["outlives"]
    return "?"


def generics_params(g):
    out = []
    for p in g["params"]:
        k = p["kind"]
        if "lifetime" in k:
            o = k["lifetime"].get("outlives") or []
            out.append(p["name"] + (": " + " + ".join(o) if o else ""))
        elif "type" in k:
            if k["type"].get("is_synthetic"):
                continue
            bs = k["type"]["bounds"]
            out.append(p["name"] + (": " + " + ".join(bound(b) for b in bs) if bs else ""))
        elif "const" in k:
            out.append(f"const {p['name']}: {ty(k['const']['type'])}")
    return "<" + ", ".join(out) + ">" if out else ""


def where_clause(g):
    preds = []
    for w in g["where_predicates"]:
        if "bound_predicate" in w:
            bp = w["bound_predicate"]
            preds.append(f"{ty(bp['type'])}: " + " + ".join(bound(b) for b in bp["bounds"]))
        elif "lifetime_predicate" in w:
            lp = w["lifetime_predicate"]
            preds.append(f"{lp['lifetime']}: " + " + ".join(lp["outlives"]))
        elif "eq_predicate" in w:
            ep = w["eq_predicate"]
            preds.append(f"{ty(ep['lhs'])} = {ty(ep['rhs'].get('type'))}")
    return " where " + ", ".join(preds) if preds else ""


def fn_sig(name, f):
    h = f["header"]
    quals = ""
    if h.get("is_const"):
        quals += "const "
    if h.get("is_async"):
        quals += "async "
    if h.get("is_unsafe"):
        quals += "unsafe "
    args = []
    for n, t in f["sig"]["inputs"]:
        if n == "self":
            if t == {"generic": "Self"}:
                args.append("self")
                continue
            if "borrowed_ref" in t and t["borrowed_ref"]["type"] == {"generic": "Self"}:
                r = t["borrowed_ref"]
                lt = (r["lifetime"] + " ") if r.get("lifetime") else ""
                args.append("&" + lt + ("mut " if r["is_mutable"] else "") + "self")
                continue
            args.append("self: " + ty(t))
            continue
        args.append(f"{n}: {ty(t)}")
    out = f["sig"].get("output")
    ret = f" -> {ty(out)}" if out is not None else ""
    g = f["generics"]
    return f"{quals}fn {name}{generics_params(g)}({', '.join(args)}){ret}{where_clause(g)}"


# --- impls --------------------------------------------------------------------
def impls():
    for iid, item in index.items():
        if kind_of(item) != "impl" or item["crate_id"] != 0:
            continue
        im = item["inner"]["impl"]
        if im.get("blanket_impl") is not None:
            continue
        for_ty = ty(im["for"])
        trait = im.get("trait")
        # Only impls that touch a public local type or trait.
        touches = "mio::" in for_ty or (trait is not None and "mio::" in path_str(trait))
        if not touches:
            continue
        g = generics_params(im["generics"])
        neg = "!" if im.get("is_negative") else ""
        unsafe = "unsafe " if im.get("is_unsafe") else ""
        if trait is not None:
            if im.get("is_synthetic") and item_path(trait) in UNSTABLE_AUTO_TRAITS:
                continue
            head = f"{unsafe}impl{g} {neg}{path_str(trait)} for {for_ty}{where_clause(im['generics'])}"
            kind = "auto-impl" if im.get("is_synthetic") else "impl"
            lines.add(f"{for_ty} | {kind} | {head}")
            for sub in im["items"]:
                s = index.get(str(sub))
                if s is None:
                    continue
                sk = kind_of(s)
                if sk == "assoc_type":
                    t = s["inner"]["assoc_type"].get("type")
                    lines.add(f"{for_ty} | impl | {head} {{ type {s['name']} = {ty(t)} }}")
                elif sk == "assoc_const":
                    ac = s["inner"]["assoc_const"]
                    lines.add(f"{for_ty} | impl | {head} {{ const {s['name']}: {ty(ac['type'])} }}")
            continue
        # Inherent impl: one line per public associated item.
        for sub in im["items"]:
            s = index.get(str(sub))
            if s is None or s.get("visibility") != "public":
                continue
            sk = kind_of(s)
            path = f"{for_ty}::{s['name']}"
            if sk == "function":
                lines.add(f"{path} | method | {fn_sig(s['name'], s['inner']['function'])}")
            elif sk == "assoc_const":
                lines.add(f"{path} | const | const {s['name']}: {ty(s['inner']['assoc_const']['type'])}")
            elif sk == "assoc_type":
                lines.add(f"{path} | type | type {s['name']}")


def traits():
    for iid, path in list(public_path.items()):
        item = index[iid]
        if kind_of(item) != "trait":
            continue
        for sub in item["inner"]["trait"]["items"]:
            s = index[str(sub)]
            sk = kind_of(s)
            if sk == "function":
                f = s["inner"]["function"]
                req = "provided" if f.get("has_body") else "required"
                lines.add(f"{path}::{s['name']} | trait-{req} | {fn_sig(s['name'], f)}")
            else:
                lines.add(f"{path}::{s['name']} | trait-{sk} | {s['name']}")


walk(root, index[str(root)]["name"], frozenset())
# Render again now that every public path is known (re-exports found later in
# the walk may give a shorter path).
lines.clear()
walk(root, index[str(root)]["name"], frozenset())
impls()
traits()
for line in sorted(lines):
    print(line)
