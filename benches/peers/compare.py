#!/usr/bin/env python3
"""Is a peer of benches/peers.sh doing the same work as synth? Compares synth's template for one
stack with the one a peer writes for it (CDK's app.js, troposphere's app.py).

  benches/peers/compare.py SYNTH.template.json PEER.template.json [--peer NAME]

NAME labels the peer's side of the report (default: cdk).

SYNTH is JSON (`synth --template-format json`): Python's standard library reads no YAML.
Both templates are normalised first, only where CloudFormation reads the two forms alike, and
each normalisation is counted in the report:
  - in policy documents, Action/Resource/Principal values as lists, sorted; statements sorted
  - DependsOn entries that the resource already implies by a Ref or Fn::GetAtt
  - DeletionPolicy / UpdateReplacePolicy "Delete" (CloudFormation's default)
  - CDK's own aws:cdk:* metadata keys
Logical ids are compared as they are (both peers give their resources synth's ids). Prints the
resource types of both, then every remaining difference; exits 1 if there is any.
"""
import collections
import json
import sys

POLICY_LISTS = ("Action", "NotAction", "Resource", "NotResource")
MISSING = object()


def canonical(value):
    return json.dumps(value, sort_keys=True)


def as_sorted_list(value, counts, what):
    if not isinstance(value, list):
        counts[what] += 1
        value = [value]
    return sorted(value, key=canonical)


def normalise_policy(doc, counts):
    statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    out = []
    for statement in statements:
        statement = dict(statement)
        for key in POLICY_LISTS:
            if key in statement:
                statement[key] = as_sorted_list(statement[key], counts, "policy: single value not in a list")
        if isinstance(statement.get("Principal"), dict):
            statement["Principal"] = {
                k: as_sorted_list(v, counts, "policy: single value not in a list")
                for k, v in statement["Principal"].items()
            }
        out.append(statement)
    return dict(doc, Statement=sorted(out, key=canonical))


def normalise(value, counts):
    if isinstance(value, dict):
        if "Statement" in value and "Version" in value:
            value = normalise_policy(value, counts)
        return {k: normalise(v, counts) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, counts) for v in value]
    return value


def referenced(value):
    """Logical ids named by Ref and Fn::GetAtt anywhere in value."""
    found = set()
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            found.add(value["Ref"])
        if isinstance(value.get("Fn::GetAtt"), list):
            found.add(value["Fn::GetAtt"][0])
        for v in value.values():
            found |= referenced(v)
    elif isinstance(value, list):
        for v in value:
            found |= referenced(v)
    return found


def normalise_template(template, counts):
    template = dict(template)
    resources = {}
    for logical_id, resource in template.get("Resources", {}).items():
        resource = dict(resource)
        depends = resource.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else depends
        implied = referenced(resource.get("Properties", {}))
        kept = sorted(d for d in depends if d not in implied)
        counts["DependsOn implied by a Ref/GetAtt"] += len(depends) - len(kept)
        resource.pop("DependsOn", None)
        if kept:
            resource["DependsOn"] = kept
        for key in ("DeletionPolicy", "UpdateReplacePolicy"):
            if resource.get(key) == "Delete":
                counts[f"{key} Delete (the default)"] += 1
                del resource[key]
        metadata = {k: v for k, v in resource.get("Metadata", {}).items() if not k.startswith("aws:cdk:")}
        counts["aws:cdk:* metadata"] += len(resource.get("Metadata", {})) - len(metadata)
        resource.pop("Metadata", None)
        if metadata:
            resource["Metadata"] = metadata
        resources[logical_id] = normalise(resource, counts)
    template["Resources"] = resources
    return template


def differences(a, b, where=""):
    """Yields (path, synth's value, the peer's value) for each leaf that differs."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            here = f"{where}.{key}" if where else key
            if key not in b:
                yield here, a[key], MISSING
            elif key not in a:
                yield here, MISSING, b[key]
            else:
                yield from differences(a[key], b[key], here)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{where}[{i}]")
    elif a != b:
        yield where, a, b


def short(value, limit=160):
    text = "(missing)" if value is MISSING else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def main():
    args = sys.argv[1:]
    name = "cdk"
    if len(args) == 4 and args[2] == "--peer":
        name, args = args[3], args[:2]
    if len(args) != 2 or not all(p.endswith(".json") for p in args):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(args[0]) as f:
        synth = json.load(f)
    with open(args[1]) as f:
        peer = json.load(f)

    types = [collections.Counter(r["Type"] for r in t.get("Resources", {}).values()) for t in (synth, peer)]
    print(f"resource types: synth {sum(types[0].values())}, {name} {sum(types[1].values())}", end="")
    if types[0] == types[1]:
        print(" - same multiset")
    else:
        print(" - DIFFERENT")
        for kind in sorted(set(types[0]) | set(types[1])):
            if types[0][kind] != types[1][kind]:
                print(f"  {kind}: synth {types[0][kind]}, {name} {types[1][kind]}")

    counts = [collections.Counter(), collections.Counter()]
    found = list(differences(normalise_template(synth, counts[0]), normalise_template(peer, counts[1])))
    policies = sum(1 for path, _, _ in found if "PolicyDocument" in path)
    print(f"policy documents: {'same' if policies == 0 else f'{policies} differences'}")
    print(f"other differences: {len(found) - policies}")
    for path, a, b in found:
        if isinstance(a, str) and isinstance(b, str):  # e.g. the Lambda code: show where they part
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            path, a, b = f"{path} (from character {at})", a[max(0, at - 40):], b[max(0, at - 40):]
        print(f"  {path}\n    synth: {short(a)}\n    {name + ':':<7}{short(b)}")
    print(f"normalised away (synth / {name}):")
    for what in sorted(set(counts[0]) | set(counts[1])):
        if counts[0][what] or counts[1][what]:
            print(f"  {what}: {counts[0][what]} / {counts[1][what]}")
    return 1 if found or types[0] != types[1] else 0


if __name__ == "__main__":
    sys.exit(main())
