"""Deep checks of a stack deployed into moto (called by .ci/deploy-rehearsal).

  rehearsal_check.py params TEMPLATE              -> Key=Value for each parameter without a Default
  rehearsal_check.py check ENDPOINT STACK TEMPLATE -> one line per check; exit 1 on any FAIL
Expectations come from the template (Ref/GetAtt/Sub resolved) for IAM roles, IoT policies, Lambda
functions, log groups. skip: depends on a resource moto did not create; note: accepted moto quirk."""
import ast
import json
import re
import sys
from collections import namedtuple

import boto3
import yaml

REGION, ACCOUNT, PARTITION = "us-east-1", "123456789012", "aws"  # moto's defaults
ABSENT = "(absent)"
Skip = namedtuple("Skip", "why")  # expected value that depends on a resource moto did not create
AnyOf = namedtuple("AnyOf", "real moto note")  # what CloudFormation gives, what moto gives instead
ARNS = {  # GetAtt X.Arn from the physical id (name) or the resolved Ref (ref)
    ("AWS::IAM::Role", "Arn"): f"arn:{PARTITION}:iam::{ACCOUNT}:role/{{name}}",  # Path "/" only
    ("AWS::Lambda::Function", "Arn"): f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{{name}}",
    ("AWS::IoT::Policy", "Arn"): f"arn:{PARTITION}:iot:{REGION}:{ACCOUNT}:policy/{{ref}}",
    ("AWS::Logs::LogGroup", "Arn"): f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{{name}}",
}
show = lambda v: v if v is ABSENT else (t := json.dumps(v, default=str))[:200] + "..." * (len(t) > 200)  # noqa
SUB = re.compile(r"\$\{(!?)([^}]*)\}")  # ${Name}, ${Res.Attr}; ${!Literal} stands for ${Literal}
LAMBDA_CONFIG = ("Runtime", "Handler", "Timeout", "MemorySize", "Description", "Architectures")


class Unsupported(Exception):
    """The template uses an intrinsic or attribute this script does not resolve."""


def params(template):
    for key, p in (yaml.safe_load(open(template)).get("Parameters") or {}).items():
        if "Default" in p:
            continue
        candidates = p.get("AllowedValues") or ["us-east-1_Rehearsal1", "rehearsal1"]  # pool-id shape first
        fits = [c for c in candidates if re.fullmatch(p.get("AllowedPattern", ".*"), str(c))]
        if not fits:
            sys.exit(f"rehearsal_check: no value for parameter {key} fits {p.get('AllowedPattern')}")
        print(f"{key}={fits[0]}")


class Stack:
    def __init__(self, endpoint, name, template):
        self.name, self.t, self.fails = name, yaml.safe_load(open(template)), 0
        self.resources = self.t.get("Resources") or {}
        session = boto3.session.Session(region_name=REGION)
        self.aws = {s: session.client(s, endpoint_url=endpoint)
                    for s in ("cloudformation", "iam", "iot", "lambda", "logs")}
        desc = self.aws["cloudformation"].describe_stacks(StackName=name)["Stacks"][0]
        self.params = {p["ParameterKey"]: p["ParameterValue"] for p in desc.get("Parameters") or []}
        self.pseudo = {"AWS::StackName": name, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                       "AWS::Partition": PARTITION, "AWS::StackId": desc["StackId"]}
        summaries = self.aws["cloudformation"].list_stack_resources(StackName=name)["StackResourceSummaries"]
        # moto lists the resources it skipped (Cognito) with an empty logical id
        self.phys = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries if s["LogicalResourceId"]}

    def line(self, status, what, detail=""):
        self.fails += status == "FAIL"
        print(f"{status:<4} {self.name}: {what}{': ' + detail if detail else ''}")

    def resource(self, lid, what):
        if lid not in self.resources:
            raise Unsupported(f"{what}: no such parameter or resource")
        res = self.resources[lid]
        return res if lid in self.phys else Skip(f"{what} ({res['Type']}, not created by moto)")

    def resolve(self, node):
        if isinstance(node, list):
            return [self.resolve(v) for v in node]
        if not isinstance(node, dict):
            return node
        key, arg = next(iter(node.items())) if len(node) == 1 else ("", None)
        if key == "Ref":
            return self.ref(arg)
        if key == "Fn::GetAtt":
            return self.getatt(*(arg.split(".", 1) if isinstance(arg, str) else arg))
        if key == "Fn::Sub":
            return self.sub(*(arg if isinstance(arg, list) else [arg, {}]))
        if key.startswith("Fn::"):
            raise Unsupported(f"{key} is not resolved by rehearsal_check.py")
        return {k: self.resolve(v) for k, v in node.items()}

    def ref(self, name):
        if name in self.pseudo:
            return self.pseudo[name]
        if name in (self.t.get("Parameters") or {}):
            return self.params.get(name, self.t["Parameters"][name].get("Default", ABSENT))
        res = self.resource(name, f"Ref {name}")
        if isinstance(res, Skip):
            return res
        if res["Type"] == "AWS::IoT::Policy" and "PolicyName" in res.get("Properties", {}):
            return self.resolve(res["Properties"]["PolicyName"])  # moto's physical id for it is empty
        return self.phys[name]

    def getatt(self, lid, attr):
        res = self.resource(lid, f"GetAtt {lid}.{attr}")
        if isinstance(res, Skip):
            return res
        arn = ARNS.get((res["Type"], attr), "").format(name=self.phys[lid], ref=self.ref(lid))
        if not arn:
            raise Unsupported(f"GetAtt {lid}.{attr} ({res['Type']}) is not resolved by rehearsal_check.py")
        if res["Type"] == "AWS::Logs::LogGroup":
            return AnyOf(arn + ":*", arn, "moto's LogGroup Arn lacks the ':*' CloudFormation appends")
        return arn

    def sub(self, text, variables):
        values = {}
        for bang, var in SUB.findall(text):
            if bang:
                continue
            if var in variables:
                values[var] = self.resolve(variables[var])
            elif "." in var and not var.startswith("AWS::"):
                values[var] = self.getatt(*var.split(".", 1))
            else:
                values[var] = self.ref(var)
            if isinstance(values[var], Skip):
                return Skip(f"Fn::Sub {text!r} uses {values[var].why}")
        pick = lambda v, moto: (v.moto if moto else v.real) if isinstance(v, AnyOf) else str(v)
        render = lambda moto: SUB.sub(lambda m: "${" + m[2] + "}" if m[1] else pick(values[m[2]], moto), text)
        quirks = [v.note for v in values.values() if isinstance(v, AnyOf)]
        return AnyOf(render(False), render(True), quirks[0]) if quirks else render(False)

    def diff(self, exp, got, path, notes):
        if isinstance(exp, Skip):
            notes.append(("skip", f"{path} = {exp.why}; moto gave {show(got)}"))
            return []
        if isinstance(exp, AnyOf):
            if got == exp.moto and got != exp.real:
                notes.append(("note", f"{path}: {exp.note}"))
            return [] if got in (exp.real, exp.moto) else [f"{path}: expected {show(exp.real)}, got {show(got)}"]
        if isinstance(exp, dict) and isinstance(got, dict):
            out = [f"{path}.{k}: unexpected key (value {show(got[k])})" for k in got if k not in exp]
            for k, v in exp.items():
                if k not in got and not isinstance(v, Skip):
                    out.append(f"{path}.{k}: missing (expected {show(v)})")
                else:
                    out += self.diff(v, got.get(k, ABSENT), f"{path}.{k}", notes)
            return out
        if isinstance(exp, list) and isinstance(got, list) and len(exp) == len(got):
            return [d for i, e in enumerate(exp) for d in self.diff(e, got[i], f"{path}[{i}]", notes)]
        return [] if exp == got else [f"{path}: expected {show(exp)}, got {show(got)}"]

    def check(self, what, template_value, got):
        notes = []
        try:
            diffs = self.diff(self.resolve(template_value), got, "$", notes)
        except Unsupported as err:
            diffs = [str(err)]
        for d in diffs:
            self.line("FAIL", what, d)
        if not diffs:
            self.line("ok", what, summary(got))
        for status, note in notes:
            self.line(status, what, note)

    def role(self, lid, props, name):
        iam = self.aws["iam"]
        trust = props["AssumeRolePolicyDocument"]
        amr = sorted({str(v) for st in trust["Statement"] for op in (st.get("Condition") or {}).values()
                      for k, v in op.items() if k.endswith(":amr")})
        self.check(f"role {lid} trust" + (f" (amr {', '.join(amr)})" if amr else ""), trust,
                   iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"])
        want = {p["PolicyName"]: p["PolicyDocument"] for p in props.get("Policies", [])}
        have = iam.list_role_policies(RoleName=name)["PolicyNames"]
        for policy in sorted(set(want) | set(have)):  # a missing or an extra policy FAILs as (absent)
            doc = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"] \
                if policy in have else ABSENT
            self.check(f"role {lid} policy {policy}", want.get(policy, ABSENT), document(doc))

    def iot_policy(self, lid, props, _physical):
        name = self.ref(lid)  # the resolved PolicyName (moto's physical id is empty)
        doc = self.aws["iot"].get_policy(policyName=name)["policyDocument"]
        self.check(f"iot policy {lid} ({name}) document", props["PolicyDocument"], document(doc))

    def function(self, lid, props, name):
        cfg = self.aws["lambda"].get_function_configuration(FunctionName=name)
        keys = [k for k in LAMBDA_CONFIG if k in props]
        self.check(f"function {lid} configuration", {k: props[k] for k in keys},
                   {k: cfg.get(k, ABSENT) for k in keys})
        env = props.get("Environment", {}).get("Variables", {})
        got_env = cfg.get("Environment", {}).get("Variables", {})
        self.check(f"function {lid} environment", env, got_env)
        if "IOT_POLICY_NAMES" in env:
            names = {str(self.ref(k)) for k, r in self.resources.items() if r["Type"] == "AWS::IoT::Policy"}
            got = [n.strip() for n in got_env.get("IOT_POLICY_NAMES", "").split(",") if n.strip()]
            bad = not got or not set(got) <= names
            self.line("FAIL" if bad else "ok", f"function {lid} IOT_POLICY_NAMES are IoT policies of this stack",
                      f"expected a non-empty subset of {sorted(names)}, got {got}" if bad else ", ".join(got))
        self.check(f"function {lid} execution role (ARN ending in its physical name)", props["Role"], cfg["Role"])
        if "ReservedConcurrentExecutions" in props:
            got = self.aws["lambda"].get_function_concurrency(FunctionName=name)
            self.check(f"function {lid} reserved concurrency", props["ReservedConcurrentExecutions"],
                       got.get("ReservedConcurrentExecutions", ABSENT))
        if "LoggingConfig" in props:  # accepted by moto 5.2.5 but not stored
            self.line("skip", f"function {lid} LoggingConfig", "moto 5.2.5 does not store LoggingConfig")

    def log_group(self, lid, props, name):
        groups = self.aws["logs"].describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        group = next((g for g in groups if g["logGroupName"] == name), {})
        want = {"logGroupName": props.get("LogGroupName", name),
                "retentionInDays": props.get("RetentionInDays", ABSENT)}
        self.check(f"log group {lid}", want, {k: group.get(k, ABSENT) for k in want})

    def run(self):
        checks = {"AWS::IAM::Role": self.role, "AWS::IoT::Policy": self.iot_policy,
                  "AWS::Lambda::Function": self.function, "AWS::Logs::LogGroup": self.log_group}
        if skipped := ", ".join(f"{lid} ({r['Type']})" for lid, r in self.resources.items() if lid not in self.phys):
            self.line("skip", "not created by moto, not checked", skipped)
        for lid, res in ((lid, r) for lid, r in self.resources.items() if lid in self.phys):
            if res["Type"] not in checks:
                self.line("skip", f"{lid} ({res['Type']})", "no check for this resource type")
                continue
            try:
                checks[res["Type"]](lid, res.get("Properties", {}), self.phys[lid])
            except Exception as err:  # a lookup failed: the resource is missing or unreadable
                self.line("FAIL", f"{lid} ({res['Type']}, physical id {self.phys[lid]!r})",
                          f"{type(err).__name__}: {err}")
        return 1 if self.fails else 0


def summary(value):  # a short rendering of a checked value for ok lines
    if isinstance(value, dict) and "Statement" in value:
        value = [f"{len(value['Statement'])} statement(s)"] + [st["Sid"] for st in value["Statement"] if "Sid" in st]
    if isinstance(value, dict):
        value = [f"{k}={v}" for k, v in value.items()]
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 100 else text[:97] + "..."


def document(text):
    """moto returns some policy documents as a Python dict repr instead of JSON."""
    try:
        return json.loads(text) if isinstance(text, str) and text is not ABSENT else text
    except ValueError:
        return ast.literal_eval(text)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "params":
        params(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        sys.exit(Stack(*sys.argv[2:]).run())
    else:
        sys.exit(__doc__)
