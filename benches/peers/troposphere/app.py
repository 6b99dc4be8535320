#!/usr/bin/env python3
"""Peer benchmark: troposphere defining and writing N stacks equivalent to the ones `synth`
writes for benches/generate/stack.yaml.in. Run by benches/peers.sh; checked by
benches/peers/compare.py, as the CDK peer (benches/peers/cdk/app.js) is.

  python app.py N [OUTDIR] [--yaml]      (OUTDIR defaults to tropo.out next to this file)

Identical to synth's bench-NNNN template (benches/peers/compare.py checks it): every resource
with synth's logical id, its properties, IAM and IoT policy documents, resource and template
metadata (linter suppressions included), DependsOn edges, deletion policies, Outputs and
Exports, and the Lambda code (the CDK peer's attach.js.in and detach.js.in, copied verbatim
from synth's template). Written as a troposphere user most likely would: resource classes
with typed properties (troposphere checks each property's type as it is set and every required
property when the template is rendered), policy documents as plain dicts, one Template per
stack, `to_json()` into bench-NNNN.template.json (troposphere's own serialiser); `--yaml` writes
`to_yaml()` (cfn-flip) into bench-NNNN.template.yaml instead, the format synth writes by
default. troposphere has no counterpart for synth's rules, size limits or `expect:`.
"""
import os
import sys

from troposphere import GetAtt, Output, Export, Ref, Sub, Template
from troposphere.cloudformation import AWSCustomObject
from troposphere import awslambda, cognito, iam, iot, logs

HERE = os.path.dirname(os.path.abspath(__file__))
CDK = os.path.join(HERE, "..", "cdk")

ARN = "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:"
SUB = "${!cognito-identity.amazonaws.com:sub}"
IDENTITY = "${identity}"
SUB_TEXT = "${cognito-identity.amazonaws.com:sub}"
VERSION = "2012-10-17"


class DetachIotPolicyTargets(AWSCustomObject):
    """synth's custom resource that empties an IoT policy before CloudFormation deletes it."""

    resource_type = "Custom::DetachIotPolicyTargets"
    props = {"ServiceToken": (str, True), "PolicyName": (str, True)}


def iot_arn(resource):
    return Sub(ARN + resource)


def one_or_list(values):
    """synth writes a one-element Resource or Action as a scalar (but see `statements`)."""
    return values[0] if len(values) == 1 else values


def statement(actions, resources, sid=None):
    s = {"Effect": "Allow", "Action": one_or_list(actions), "Resource": one_or_list(resources)}
    if sid:
        s["Sid"] = sid
    return s


def reviewed(cogsynth, reason, rules, applies_to=None):
    """The linter suppressions synth writes next to a reviewed finding."""
    nag, checkov, cdk_nag, guard = rules
    cdk_nag_rule = {"id": cdk_nag, "reason": reason}
    if applies_to:
        cdk_nag_rule["applies_to"] = applies_to
    return {
        "cogsynth": cogsynth,
        "cfn_nag": {"rules_to_suppress": [{"id": nag, "reason": reason}]},
        "checkov": {"skip": [{"id": checkov, "comment": reason}]},
        "cdk_nag": {"rules_to_suppress": [cdk_nag_rule]},
        "guard": {"SuppressedRules": [guard]},
    }


INLINE = "Made for this role alone and deleted with it"


def inline_policy(metadata):
    """What synth writes on every role for its inline policy, merged into the role's metadata."""
    guard = metadata.get("guard", {}).get("SuppressedRules", [])
    return {**metadata, "cogsynth": {**metadata["cogsynth"], "inline_policy_reason": INLINE},
            "guard": {"SuppressedRules": [*guard, "IAM_NO_INLINE_POLICY_CHECK"]}}


# The scanner suppressions synth writes on each log group and function it makes.
LOG_GROUP_METADATA = {
    "cogsynth": {"retention_reason": "Kept 90 days as attach.log_retention_days says (365 satisfies this rule)"},
    "checkov": {"skip": [{"id": "CKV_AWS_158", "comment": "Logs no secret; CloudWatch Logs encrypts at rest by default"}]},
    "guard": {"SuppressedRules": ["CLOUDWATCH_LOG_GROUP_ENCRYPTED", "CLOUDWATCH_LOG_GROUP_ENCRYPTED_CHECK",
                                  "CLOUDWATCH_LOG_GROUP_RETENTION_PERIOD_CHECK"]},
}
FUNCTION_GUARD = {"SuppressedRules": ["LAMBDA_CONCURRENCY_CHECK", "LAMBDA_DLQ_CHECK", "LAMBDA_INSIDE_VPC",
                                      "LAMBDA_INSIDE_VPC_CHECK"]}
NO_VPC = ("CKV_AWS_117", "Reaches only public AWS endpoints, no private resource")


def function_metadata(skips):
    return {"checkov": {"skip": [{"id": i, "comment": c} for i, c in skips]}, "guard": FUNCTION_GUARD}


def member_grants(num):
    dev = f"devices-{num}/{SUB}"
    return {
        "Connect": [f"client/{SUB}"],
        "Publish": [f"topic/{dev}/status/*", f"topic/{dev}/telemetry"],
        "Subscribe": [f"topicfilter/{t}" for t in (
            f"{dev}/commands", f"{dev}/commands/*", f"fleet-{num}/news", f"fleet-{num}/news/*",
            f"inbox-{num}/{SUB}/*/messages", f"metrics-{num}/*/hourly")],
        "Receive": [f"topic/{t}" for t in (
            f"{dev}/commands", f"{dev}/commands/*", f"fleet-{num}/news", f"fleet-{num}/news/*",
            f"inbox-{num}/{SUB}/*/messages", f"inbox-{num}/{SUB}/alerts", f"metrics-{num}/*/hourly")],
    }


def guest_grants(num):
    return {
        "Connect": [f"client/{SUB}"],
        "Publish": [f"topic/lobby-{num}/hello"],
        "Subscribe": [f"topicfilter/lobby-{num}/announcements"],
        "Receive": [f"topic/lobby-{num}/announcements"],
    }


def statements(grants, with_sid):
    """MQTT grants as statements; synth writes their resources as a list even when there is one."""
    out = []
    for verb, resources in grants.items():
        s = statement([f"iot:{verb}"], ["*"], verb if with_sid else None)
        s["Resource"] = [iot_arn(r) for r in resources]
        out.append(s)
    return out


def broadened(num):
    def note(verb, topic, granted):
        return (f"{verb} {topic} is granted as {granted}: in policies `*` also matches several "
                "topic levels, where MQTT `+` matches one")
    inbox = lambda kind: f"{kind}/inbox-{num}/{SUB_TEXT}/*/messages"  # noqa: E731
    return [
        note("publish", f"devices-{num}/{IDENTITY}/status/+", f"topic/devices-{num}/{SUB_TEXT}/status/*"),
        note("subscribe", f"inbox-{num}/{IDENTITY}/+/messages", inbox("topic")),
        note("subscribe", f"inbox-{num}/{IDENTITY}/+/messages", inbox("topicfilter")),
        note("subscribe", f"metrics-{num}/+/hourly", f"topic/metrics-{num}/*/hourly"),
        note("subscribe", f"metrics-{num}/+/hourly", f"topicfilter/metrics-{num}/*/hourly"),
    ]


def cognito_trust(pool, amr):
    return {
        "Version": VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": Ref(pool)},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr},
            },
        }],
    }


def logged_function(t, prefix, *, description, role_description, policy_name, statements_for,
                    metadata, function_skips, code, timeout, environment=None, depends_on=()):
    """A function with its own log group and execution role, as synth writes the attach and
    detach functions."""
    log_group = t.add_resource(logs.LogGroup(
        f"{prefix}Logs", RetentionInDays=90, DeletionPolicy="Retain", UpdateReplacePolicy="Retain",
        Metadata=LOG_GROUP_METADATA))
    write_logs = statement(["logs:CreateLogStream", "logs:PutLogEvents"],
                           [GetAtt(log_group, "Arn")], "WriteOwnLogs")
    role = t.add_resource(iam.Role(
        f"{prefix}Role",
        AssumeRolePolicyDocument={"Version": VERSION, "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        Description=role_description,
        Policies=[iam.Policy(PolicyName=policy_name, PolicyDocument={
            "Version": VERSION, "Statement": [*statements_for, write_logs]})],
        Metadata=inline_policy(metadata),
    ))
    props = dict(
        Description=description,
        Runtime="nodejs24.x",
        Handler="index.handler",
        Role=GetAtt(role, "Arn"),
        MemorySize=128,
        Timeout=timeout,
        Code=awslambda.Code(ZipFile=code),
        LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref(log_group)),
        Metadata=function_metadata(function_skips),
    )
    if environment:
        props["Environment"] = awslambda.Environment(Variables=environment)
    if depends_on:
        props["DependsOn"] = list(depends_on)
    return t.add_resource(awslambda.Function(prefix, **props))


def define_stack(num, attach_code, detach_code):
    name = f"bench-{num}"
    t = Template(Description=f"Benchmark stack {num} - devices, telemetry and a lobby over MQTT")
    t.set_version("2010-09-09")
    t.set_metadata({"cogsynth": {"source": f"stacks/{name}.yaml", "spec_version": 1}})
    policy_name = Sub("${AWS::StackName}-app")
    guest_reason = "Reviewed - guests may only say hello in the lobby and read its announcements"

    pool = t.add_resource(cognito.IdentityPool(
        "AppIdentityPool",
        IdentityPoolName=Sub("${AWS::StackName}-app"),
        AllowUnauthenticatedIdentities=True,
        AllowClassicFlow=False,
        CognitoIdentityProviders=[cognito.CognitoIdentityProvider(
            ProviderName=f"cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench{num}",
            ClientId=f"benchclient{num}",
            ServerSideTokenCheck=True,
        )],
        Metadata=reviewed(
            {"guest_access_reason": "Visitors see lobby announcements before they sign in"},
            guest_reason,
            ["W57", "CKV_AWS_366", "AwsSolutions-COG7", "COGNITO_ALLOW_UNAUTHENTICATED_IDENTITIES_RULE"]),
    ))

    member = member_grants(num)
    member_metadata = {"pool": "app", "role": "member", "identities": "authenticated",
                       "broadened": broadened(num)}
    iot_policy = t.add_resource(iot.Policy(
        "AppIotPolicy",
        PolicyName=policy_name,
        PolicyDocument={"Version": VERSION, "Statement": statements(member, False)},
        Metadata={"cogsynth": member_metadata},
    ))

    attach_reason = ("iot:AttachPolicy cannot be scoped for Cognito identity targets (no resource "
                     "type); the function attaches only its configured policies to the caller's own identity")
    detach_reason = ("iot:DetachPolicy cannot be scoped for Cognito identity targets (no resource "
                     "type); the function only empties this stack's IoT policies before CloudFormation deletes them")
    rules = ["W11", "CKV_AWS_109", "AwsSolutions-IAM5", "IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE"]

    detach_fn = logged_function(
        t, "DetachFunction",
        description="Detaches every identity from an IoT policy of this stack before CloudFormation deletes it",
        role_description="Execution role of the function that empties this stack's IoT policies before they are deleted",
        policy_name="detach-and-log",
        statements_for=[
            statement(["iot:ListTargetsForPolicy"], [Sub(ARN + "policy/${AWS::StackName}-app"),
                                                     Sub(ARN + "policy/${AWS::StackName}-app-*")],
                      "ListTargetsOfOwnPolicies"),
            statement(["iot:DetachPolicy"], ["*"], "DetachTargets"),
        ],
        metadata=reviewed(
            {"wildcard_resource_reason": "iot:DetachPolicy has no resource type for a Cognito identity target (its only resource types are cert and thinggroup), so it needs Resource \"*\". The function detaches targets only from the IoT policy named in the custom resource request that CloudFormation sends when the policy is deleted or replaced."},
            detach_reason, rules, ["Resource::*"]),
        function_skips=[
            ("CKV_AWS_115", "Only CloudFormation invokes it, as this stack's IoT policies are created, replaced or deleted"),
            ("CKV_AWS_116", "Custom resource: it answers CloudFormation on every path"),
            NO_VPC,
        ],
        code=detach_code.replace("@STACK@", name),
        timeout=300,
    )
    detach = t.add_resource(DetachIotPolicyTargets(
        "AppIotPolicyDetach",
        ServiceToken=GetAtt(detach_fn, "Arn"),
        PolicyName=policy_name,
        DependsOn=[iot_policy.title],
    ))

    attach_fn = logged_function(
        t, "AppAttachFunction",
        description="Attaches the IoT policy of identity pool app to the calling identity",
        role_description="Execution role of the attach function of identity pool app",
        policy_name="attach-and-log",
        statements_for=[statement(["iot:AttachPolicy"], ["*"], "AttachIotPolicyToCaller")],
        metadata=reviewed(
            {"wildcard_resource_reason": "iot:AttachPolicy has no resource type for a Cognito identity target (its only resource types are cert and thinggroup), so it cannot be scoped to a policy or identity ARN and needs Resource \"*\". The function attaches only the policy names in its IOT_POLICY_NAMES environment variable, to the caller's own identity id from the invocation context."},
            attach_reason, rules, ["Resource::*"]),
        function_skips=[
            ("CKV_AWS_115", "attach.reserved_concurrency is unset: a default would fail deploys on small accounts"),
            ("CKV_AWS_116", "Invoked synchronously: the caller gets the error and retries"),
            NO_VPC,
            ("CKV_AWS_173", "Holds no secret; Lambda encrypts it at rest by default"),
        ],
        code=attach_code.replace("@STACK@", name),
        timeout=10,
        environment={"IDENTITY_POOL_ID": Ref(pool), "IOT_POLICY_NAMES": policy_name},
        depends_on=[detach.title],
    )

    auth_role = t.add_resource(iam.Role(
        "AppAuthenticatedRole",
        AssumeRolePolicyDocument=cognito_trust(pool, "authenticated"),
        Description="Signed-in identities of identity pool app: role member",
        Policies=[iam.Policy(PolicyName="mqtt-and-attach", PolicyDocument={
            "Version": VERSION,
            "Statement": [*statements(member, True),
                          statement(["lambda:InvokeFunction"], [GetAtt(attach_fn, "Arn")],
                                    "InvokeAttachFunction")],
        })],
        Metadata=inline_policy({"cogsynth": member_metadata}),
    ))
    guest_role = t.add_resource(iam.Role(
        "AppUnauthenticatedRole",
        AssumeRolePolicyDocument=cognito_trust(pool, "unauthenticated"),
        Description="Guests (unauthenticated identities) of identity pool app: role guest",
        Policies=[iam.Policy(PolicyName="mqtt", PolicyDocument={
            "Version": VERSION, "Statement": statements(guest_grants(num), True)})],
        Metadata=inline_policy({"cogsynth": {"pool": "app", "role": "guest", "identities": "unauthenticated"}}),
    ))
    t.add_resource(cognito.IdentityPoolRoleAttachment(
        "AppRoleAttachment",
        IdentityPoolId=Ref(pool),
        Roles={"authenticated": GetAtt(auth_role, "Arn"), "unauthenticated": GetAtt(guest_role, "Arn")},
    ))

    def output(logical_id, description, value):
        t.add_output(Output(logical_id, Description=description, Value=value,
                            Export=Export(Sub(f"${{AWS::StackName}}-{logical_id}"))))

    output("AppIdentityPoolId", "Identity pool app: give it to the app", Ref(pool))
    output("AppAuthenticatedRoleArn", "Role of signed-in identities of app", GetAtt(auth_role, "Arn"))
    output("AppUnauthenticatedRoleArn", "Role of guests of app", GetAtt(guest_role, "Arn"))
    output("AppIotPolicyNames", "IoT policies (comma-separated) the attach function attaches to signed-in identities of app", policy_name)
    output("AppAttachFunctionName", "Function the app invokes after sign-in (app)", Ref(attach_fn))
    output("AppAttachFunctionArn", "ARN of the attach function of app", GetAtt(attach_fn, "Arn"))
    return t


def main():
    args = sys.argv[1:]
    yaml = "--yaml" in args
    rest = [a for a in args if a != "--yaml"]
    if not rest or not rest[0].isdigit() or int(rest[0]) < 1 or len(rest) > 2:
        print("usage: python app.py N [OUTDIR] [--yaml]", file=sys.stderr)
        return 2
    n = int(rest[0])
    outdir = rest[1] if len(rest) > 1 else os.path.join(HERE, "tropo.out")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(CDK, "attach.js.in"), encoding="utf-8") as f:
        attach_code = f.read()
    with open(os.path.join(CDK, "detach.js.in"), encoding="utf-8") as f:
        detach_code = f.read()
    for i in range(1, n + 1):
        num = f"{i:04d}"
        t = define_stack(num, attach_code, detach_code)
        ext, text = ("yaml", t.to_yaml()) if yaml else ("json", t.to_json())
        with open(os.path.join(outdir, f"bench-{num}.template.{ext}"), "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
