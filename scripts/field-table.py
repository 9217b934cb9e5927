#!/usr/bin/env python3
"""Writes src/api/fields.txt: the field names Kubernetes and JobSet define for every object kind
a JobSet can hold, read from the upstream Go API types.

Usage: scripts/field-table.py CORE_V1 BATCH_V1 META_V1 JOBSET_V1ALPHA2 > src/api/fields.txt
where each argument is a types.go file: k8s.io/api core/v1/types.go and batch/v1/types.go,
k8s.io/apimachinery pkg/apis/meta/v1/types.go, sigs.k8s.io/jobset api/jobset/v1alpha2/jobset_types.go.

Each output line is `Type: field field:Other field:[Other]`: a bare field holds a scalar, a
list of scalars or a map with free keys (labels, resource lists), so its contents are not
checked; `:Other` holds an object of type Other, `:[Other]` a list of them.
"""
import re
import sys

PKG_PREFIX = {"corev1": "core", "v1": "core", "batchv1": "batch", "metav1": "meta"}
# Types with their own JSON form (a string or a number), whatever their Go fields.
LEAF = {"Time", "MicroTime", "Duration", "IntOrString", "Quantity", "FieldsV1", "RawExtension", "Fields"}


def parse(pkg, path):
    text = open(path).read()
    structs = {}
    for m in re.finditer(r"^type (\w+) struct \{\n(.*?)^\}", text, re.M | re.S):
        fields = []
        for line in m.group(2).splitlines():
            fm = re.match(r"\s*(\w+)?\s+([\w\.\*\[\]]+)\s+`json:\"([^\"]*)\"", line)
            if not fm:
                continue
            name, gotype, tag = fm.groups()
            json_name = tag.split(",")[0]
            if json_name == "-":
                continue
            # An embedded struct without a JSON name (`json:",inline"`) has its fields inlined.
            fields.append((json_name, gotype))
        structs[(pkg, m.group(1))] = fields
    return structs


def resolve(pkg, gotype):
    """(kind, (pkg, name)) for a Go type: kind is 'one', 'list' or 'leaf'."""
    kind = "one"
    t = gotype
    while True:
        if t.startswith("*"):
            t = t[1:]
        elif t.startswith("[]"):
            if t == "[]byte":
                return "leaf", None
            kind = "list"
            t = t[2:]
        else:
            break
    if t.startswith("map["):
        return "leaf", None
    if "." in t:
        p, t = t.split(".", 1)
        pkg = PKG_PREFIX.get(p)
        if pkg is None:
            return "leaf", None
    if t in LEAF:
        return "leaf", None
    return kind, (pkg, t)


def main():
    structs = {}
    for pkg, path in zip(["core", "batch", "meta", "jobset"], sys.argv[1:5]):
        structs.update(parse(pkg, path))
    names = {}
    for pkg, name in structs:
        names.setdefault(name, []).append(pkg)

    def shown(key):
        pkg, name = key
        return name if len(names[name]) == 1 else f"{pkg}.{name}"

    order, seen = [], set()

    def fields_of(key):
        out = []
        for json_name, gotype in structs[key]:
            kind, child = resolve(key[0], gotype)
            if child is not None and child not in structs:
                kind, child = "leaf", None
            if json_name == "":
                if child is not None:
                    out.extend(fields_of(child))
                continue
            out.append((json_name, kind, child))
        return out

    def visit(key):
        if key in seen:
            return
        seen.add(key)
        fields = fields_of(key)
        if not fields:
            return
        order.append((key, fields))
        for _, kind, child in fields:
            if child is not None and kind != "leaf":
                visit(child)

    visit(("jobset", "JobSet"))
    print("# Field names Kubernetes and JobSet define for every object a JobSet can hold.")
    print("# Written by scripts/field-table.py from the upstream API types; see src/api/fields.rs.")
    for key, fields in order:
        parts = []
        for name, kind, child in fields:
            if kind == "leaf" or child is None or not fields_of(child):
                parts.append(name)
            elif kind == "list":
                parts.append(f"{name}:[{shown(child)}]")
            else:
                parts.append(f"{name}:{shown(child)}")
        print(f"{shown(key)}: {' '.join(parts)}")


main()
