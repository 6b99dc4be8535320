"""The gate of .ci/scanners: reads checkov's JSON report and cfn-guard's SARIF reports, prints
every finding (and every suppression with its reason), and exits 1 on any unsuppressed finding.

    python3 .ci/scanners_check.py --checkov checkov.json --guard NAME=report.sarif ... TEMPLATE...

checkov applies `Metadata.checkov.skip` itself; a skip without a comment counts as a finding.
cfn-guard rules decide suppression themselves, and only the AWS Guard Rules Registry's read
`Metadata.guard.SuppressedRules`; the AWS Control Tower rules read nothing. So this script applies
that convention to every guard rule set alike: a finding of rule R on resource X is suppressed
when X's `Metadata.guard.SuppressedRules` lists R, and only if X's metadata states a reason (a
checkov comment or a `Metadata.cogsynth.*_reason`); anything else is a finding. A guard result
that names no resource cannot be suppressed.
Exit status: 0 when nothing is unsuppressed, 1 otherwise, 2 on bad input.
"""

import argparse
import json
import re
import sys
from collections import defaultdict

import yaml

RESOURCE = re.compile(r"/Resources/([A-Za-z0-9]+)")


def load_template(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # synth's templates use no YAML tags (long-form intrinsics), so a plain YAML reader
    # (which also reads JSON) sees them whole.
    return yaml.safe_load(text)


def reasons_of(resource):
    """The reasons stated in a resource's metadata: (cogsynth *_reason notes, checkov comments)."""
    meta = (resource or {}).get("Metadata") or {}
    notes = [
        value
        for key, value in (meta.get("cogsynth") or {}).items()
        if key.endswith("_reason") and isinstance(value, str) and value.strip()
    ]
    comments = [
        entry["comment"]
        for entry in (meta.get("checkov") or {}).get("skip") or []
        if isinstance(entry, dict) and str(entry.get("comment") or "").strip()
    ]
    return notes, comments


def guard_suppressed(resource):
    meta = (resource or {}).get("Metadata") or {}
    rules = (meta.get("guard") or {}).get("SuppressedRules") or []
    return {r for r in rules if isinstance(r, str)}


def checkov_results(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    reports = data if isinstance(data, list) else [data]
    out = []
    for report in reports:
        if report.get("check_type") != "cloudformation":
            continue
        results = report.get("results") or {}
        for kind in ("passed_checks", "failed_checks", "skipped_checks"):
            for r in results.get(kind) or []:
                out.append(
                    {
                        "kind": kind,
                        "file": r["file_abs_path"],
                        "check": r["check_id"],
                        "name": r.get("check_name", ""),
                        "resource": r["resource"].split(".", 1)[-1],
                        "comment": (r.get("check_result") or {}).get("suppress_comment"),
                    }
                )
        for err in results.get("parsing_errors") or []:
            out.append({"kind": "parsing_error", "file": err, "check": "-", "name": "",
                        "resource": "-", "comment": None})
    return out


def guard_results(path):
    """(rule id, file, resource or None, message) for every SARIF result."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    out = []
    for run in data.get("runs") or []:
        for r in run.get("results") or []:
            text = (r.get("message") or {}).get("text", "")
            uris = [
                loc["physicalLocation"]["artifactLocation"]["uri"]
                for loc in r.get("locations") or []
                if "physicalLocation" in loc
            ]
            ids = sorted(set(RESOURCE.findall(text))) or [None]
            for uri in uris or ["?"]:
                for rid in ids:
                    out.append((r["ruleId"], uri, rid, text.strip().splitlines()[0][:160]))
    return out


def same_file(uri, path):
    # cfn-guard writes the data file's path without its leading "/".
    return uri.lstrip("/") == path.lstrip("/")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkov", required=True)
    ap.add_argument("--guard", action="append", default=[], metavar="NAME=SARIF")
    ap.add_argument("templates", nargs="+")
    args = ap.parse_args()

    templates = {p: load_template(p) for p in args.templates}
    resources = {p: (t or {}).get("Resources") or {} for p, t in templates.items()}
    unsuppressed = []
    per_file = defaultdict(lambda: defaultdict(int))

    # --- checkov
    ck = checkov_results(args.checkov)
    # A template no check applies to (the StackSet) has no results; one checkov could not read
    # is a parsing error, which fails below.
    checks_run = sorted({r["check"] for r in ck if r["kind"] != "parsing_error"})
    print(f"checkov: {len(checks_run)} distinct checks evaluated, {len(ck)} results")
    for r in sorted(ck, key=lambda r: (r["file"], r["resource"], r["check"])):
        f = r["file"]
        if r["kind"] == "passed_checks":
            per_file[f]["checkov passed"] += 1
        elif r["kind"] == "skipped_checks":
            comment = (r["comment"] or "").strip()
            if comment:
                per_file[f]["checkov suppressed"] += 1
                print(f"  suppressed  {f}  {r['resource']}  {r['check']}: {comment}")
            else:
                per_file[f]["checkov FINDINGS"] += 1
                unsuppressed.append(f"checkov {r['check']} on {f} {r['resource']}: skipped without a comment")
        elif r["kind"] == "parsing_error":
            unsuppressed.append(f"checkov could not parse {f}")
        else:
            per_file[f]["checkov FINDINGS"] += 1
            unsuppressed.append(f"checkov {r['check']} on {f} {r['resource']}: {r['name']}")

    # --- cfn-guard, one SARIF report per rule set
    for spec in args.guard:
        name, _, path = spec.partition("=")
        results = guard_results(path)
        findings = {}
        for rule, uri, rid, msg in results:
            match = [p for p in templates if same_file(uri, p)]
            if len(match) != 1:
                print(f"scanners: guard result for unknown file {uri!r}", file=sys.stderr)
                return 2
            findings.setdefault((match[0], rid, rule), msg)
        print(f"cfn-guard ({name}): {len(results)} failed clauses, {len(findings)} findings")
        for (f, rid, rule), msg in sorted(findings.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])):
            res = resources[f].get(rid) if rid else None
            if res is not None and rule in guard_suppressed(res):
                notes, comments = reasons_of(res)
                if notes or comments:
                    per_file[f][f"guard {name} suppressed"] += 1
                    why = "; ".join(notes) if notes else "see the checkov comments of the resource"
                    print(f"  suppressed  {f}  {rid}  {rule}: {why}")
                    continue
                reason = "listed in Metadata.guard.SuppressedRules, but the metadata states no reason"
            else:
                reason = msg
            per_file[f][f"guard {name} FINDINGS"] += 1
            unsuppressed.append(f"cfn-guard ({name}) {rule} on {f} {rid or '(no resource named)'}: {reason}")

    print("\nper template:")
    for p in templates:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(per_file[p].items()))
        print(f"  {p}: {counts}")
    if unsuppressed:
        print(f"\nscanners: {len(unsuppressed)} unsuppressed finding(s):")
        for u in unsuppressed:
            print(f"  FINDING  {u}")
        print("fix the generator (and regenerate out/), or, where the finding is by design, add a "
              "Decision with a reason that is true for the resource (src/cfn/suppress.rs)")
        return 1
    print("\nscanners: 0 unsuppressed findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
