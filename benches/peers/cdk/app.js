"use strict";
// Peer benchmark: AWS CDK defining and synthesizing N stacks equivalent to the ones `synth`
// writes for benches/generate/stack.yaml.in. Run by benches/peers.sh; checked by
// benches/peers/compare.py.
//
//   node app.js N [OUTDIR] [--lean]        (OUTDIR defaults to cdk.out next to this file)
//
// Identical to synth's bench-NNNN template (benches/peers/compare.py checks it): every resource
// with synth's logical id (overrideLogicalId, so Ref/GetAtt match too), its properties, IAM and
// IoT policy documents, resource and template metadata (linter suppressions included), DependsOn
// edges, Outputs and Exports, and the Lambda code, copied verbatim from synth's template into
// attach.js.in and detach.js.in. Roles, log groups, functions and the custom resource are L2
// constructs, the rest L1, as a CDK user would most likely write them.
// Different by CDK's design: JSON (synth writes YAML by default) plus manifest.json, tree.json,
// <stack>.assets.json and <stack>.metadata.json; a one-element Resource or Action list written
// as a string; L2 functions DependsOn their role (implied by the GetAtt anyway); the custom
// resource gets DeletionPolicy/UpdateReplacePolicy Delete (CloudFormation's default).
// Switched off because synth has no counterpart: the CDKMetadata resource (analyticsReporting),
// the BootstrapVersion parameter and rule (generateBootstrapVersionRule), aws:cdk:trace stack
// traces. No aws:cdk:path metadata either: only the CDK CLI asks for it.
// Everything else `cdk synth` does by default stays on (synth checks its own rules on every run
// too); --lean also switches off the rest that writing the templates does not need.
const fs = require("node:fs");
const path = require("node:path");
const cdk = require("aws-cdk-lib");
const { aws_cognito: cognito, aws_iam: iam, aws_iot: iot } = cdk;
const { aws_lambda: lambda, aws_logs: logs } = cdk;

const args = process.argv.slice(2);
const lean = args.includes("--lean");
const [count, outArg] = args.filter((arg) => arg !== "--lean");
const n = Number(count);
if (!Number.isInteger(n) || n < 1) {
  console.error("usage: node app.js N [OUTDIR] [--lean]");
  process.exit(2);
}
const outdir = outArg ?? path.join(__dirname, "cdk.out");
const attachCode = fs.readFileSync(path.join(__dirname, "attach.js.in"), "utf8");
const detachCode = fs.readFileSync(path.join(__dirname, "detach.js.in"), "utf8");

// Plain strings, not template literals: these are CloudFormation's ${...}, not JavaScript's.
const ARN = "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:";
const SUB = "${!cognito-identity.amazonaws.com:sub}";
const IDENTITY = "${identity}";
const SUB_TEXT = "${cognito-identity.amazonaws.com:sub}";
const sub = (text) => cdk.Fn.sub(text);
const iotArn = (resource) => sub(ARN + resource);
const allow = (sid, actions, resources) =>
  new iam.PolicyStatement({ sid, actions: [].concat(actions), resources });
const logicalId = (construct, id) => construct.node.defaultChild.overrideLogicalId(id);

// The linter suppressions synth writes next to a reviewed finding.
function reviewed(cogsynth, reason, [nag, checkov, cdkNag, guard], appliesTo) {
  const cdkNagRule = appliesTo ? { id: cdkNag, reason, applies_to: appliesTo } : { id: cdkNag, reason };
  return {
    cogsynth,
    cfn_nag: { rules_to_suppress: [{ id: nag, reason }] },
    checkov: { skip: [{ id: checkov, comment: reason }] },
    cdk_nag: { rules_to_suppress: [cdkNagRule] },
    guard: { SuppressedRules: [guard] },
  };
}

// What synth writes on every role for its inline policy, merged into the role's metadata.
const INLINE = "Made for this role alone and deleted with it";
function inlinePolicy(metadata) {
  const guard = metadata.guard ? metadata.guard.SuppressedRules : [];
  return {
    ...metadata,
    cogsynth: { ...metadata.cogsynth, inline_policy_reason: INLINE },
    guard: { SuppressedRules: [...guard, "IAM_NO_INLINE_POLICY_CHECK"] },
  };
}

// The scanner suppressions synth writes on each log group and function it makes.
const LOG_GROUP_METADATA = {
  cogsynth: { retention_reason: "Kept 90 days as attach.log_retention_days says (365 satisfies this rule)" },
  checkov: { skip: [{ id: "CKV_AWS_158", comment: "Logs no secret; CloudWatch Logs encrypts at rest by default" }] },
  guard: { SuppressedRules: ["CLOUDWATCH_LOG_GROUP_ENCRYPTED", "CLOUDWATCH_LOG_GROUP_ENCRYPTED_CHECK",
    "CLOUDWATCH_LOG_GROUP_RETENTION_PERIOD_CHECK"] },
};
const FUNCTION_GUARD = { SuppressedRules: ["LAMBDA_CONCURRENCY_CHECK", "LAMBDA_DLQ_CHECK", "LAMBDA_INSIDE_VPC",
  "LAMBDA_INSIDE_VPC_CHECK"] };
const functionMetadata = (skips) => ({
  checkov: { skip: skips.map(([id, comment]) => ({ id, comment })) },
  guard: FUNCTION_GUARD,
});
const NO_VPC = ["CKV_AWS_117", "Reaches only public AWS endpoints, no private resource"];

// MQTT grants: IAM action suffix (also the Sid in the roles' policies) to IoT resources.
function memberGrants(num) {
  const dev = `devices-${num}/${SUB}`;
  return {
    Connect: [`client/${SUB}`],
    Publish: [`topic/${dev}/status/*`, `topic/${dev}/telemetry`],
    Subscribe: [`${dev}/commands`, `${dev}/commands/*`, `fleet-${num}/news`, `fleet-${num}/news/*`,
      `inbox-${num}/${SUB}/*/messages`, `metrics-${num}/*/hourly`].map((t) => `topicfilter/${t}`),
    Receive: [`${dev}/commands`, `${dev}/commands/*`, `fleet-${num}/news`, `fleet-${num}/news/*`,
      `inbox-${num}/${SUB}/*/messages`, `inbox-${num}/${SUB}/alerts`, `metrics-${num}/*/hourly`]
      .map((t) => `topic/${t}`),
  };
}

function guestGrants(num) {
  return {
    Connect: [`client/${SUB}`],
    Publish: [`topic/lobby-${num}/hello`],
    Subscribe: [`topicfilter/lobby-${num}/announcements`],
    Receive: [`topic/lobby-${num}/announcements`],
  };
}

const statements = (grants, withSid) =>
  Object.entries(grants).map(([verb, resources]) =>
    allow(withSid ? verb : undefined, `iot:${verb}`, resources.map(iotArn)));

function broadened(num) {
  const note = (verb, topic, as) =>
    `${verb} ${topic} is granted as ${as}: in policies \`*\` also matches several topic levels, where MQTT \`+\` matches one`;
  const inbox = (kind) => `${kind}/inbox-${num}/${SUB_TEXT}/*/messages`;
  return [
    note("publish", `devices-${num}/${IDENTITY}/status/+`, `topic/devices-${num}/${SUB_TEXT}/status/*`),
    note("subscribe", `inbox-${num}/${IDENTITY}/+/messages`, inbox("topic")),
    note("subscribe", `inbox-${num}/${IDENTITY}/+/messages`, inbox("topicfilter")),
    note("subscribe", `metrics-${num}/+/hourly`, `topic/metrics-${num}/*/hourly`),
    note("subscribe", `metrics-${num}/+/hourly`, `topicfilter/metrics-${num}/*/hourly`),
  ];
}

function cognitoTrust(pool, amr) {
  return new iam.WebIdentityPrincipal("cognito-identity.amazonaws.com", {
    StringEquals: { "cognito-identity.amazonaws.com:aud": pool.ref },
    "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": amr },
  });
}

// A function with its own log group and execution role, as synth writes the attach and detach functions.
function loggedFunction(stack, prefix, { description, roleDescription, policyName, statementsFor, metadata, functionSkips, ...props }) {
  const logGroup = new logs.LogGroup(stack, `${prefix}Logs`, {
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: cdk.RemovalPolicy.RETAIN,
  });
  logicalId(logGroup, `${prefix}Logs`);
  logGroup.node.defaultChild.cfnOptions.metadata = LOG_GROUP_METADATA;
  const writeLogs = allow("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [logGroup.logGroupArn]);
  const role = new iam.Role(stack, `${prefix}Role`, {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    description: roleDescription,
    inlinePolicies: { [policyName]: new iam.PolicyDocument({ statements: [...statementsFor, writeLogs] }) },
  });
  logicalId(role, `${prefix}Role`);
  role.node.defaultChild.cfnOptions.metadata = inlinePolicy(metadata);
  const fn = new lambda.Function(stack, prefix, {
    description,
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: "index.handler",
    role,
    memorySize: 128,
    logGroup,
    ...props,
  });
  logicalId(fn, prefix);
  fn.node.defaultChild.cfnOptions.metadata = functionMetadata(functionSkips);
  return fn;
}

function defineStack(app, num) {
  const name = `bench-${num}`;
  const stack = new cdk.Stack(app, name, {
    description: `Benchmark stack ${num} - devices, telemetry and a lobby over MQTT`,
  });
  stack.templateOptions.templateFormatVersion = "2010-09-09";
  stack.templateOptions.metadata = { cogsynth: { source: `stacks/${name}.yaml`, spec_version: 1 } };
  const policyName = sub("${AWS::StackName}-app");
  const guestReason = "Reviewed - guests may only say hello in the lobby and read its announcements";

  const pool = new cognito.CfnIdentityPool(stack, "AppIdentityPool", {
    identityPoolName: sub("${AWS::StackName}-app"),
    allowUnauthenticatedIdentities: true,
    allowClassicFlow: false,
    cognitoIdentityProviders: [{
      providerName: `cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench${num}`,
      clientId: `benchclient${num}`,
      serverSideTokenCheck: true,
    }],
  });
  pool.cfnOptions.metadata = reviewed(
    { guest_access_reason: "Visitors see lobby announcements before they sign in" },
    guestReason, ["W57", "CKV_AWS_366", "AwsSolutions-COG7", "COGNITO_ALLOW_UNAUTHENTICATED_IDENTITIES_RULE"]);

  const member = memberGrants(num);
  const memberMetadata = { pool: "app", role: "member", identities: "authenticated", broadened: broadened(num) };
  const iotPolicy = new iot.CfnPolicy(stack, "AppIotPolicy", {
    policyName,
    policyDocument: new iam.PolicyDocument({ statements: statements(member, false) }),
  });
  iotPolicy.cfnOptions.metadata = { cogsynth: memberMetadata };

  const attachReason = "iot:AttachPolicy cannot be scoped for Cognito identity targets (no resource type); the function attaches only its configured policies to the caller's own identity";
  const detachReason = "iot:DetachPolicy cannot be scoped for Cognito identity targets (no resource type); the function only empties this stack's IoT policies before CloudFormation deletes them";
  const rules = ["W11", "CKV_AWS_109", "AwsSolutions-IAM5", "IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE"];

  const detachFn = loggedFunction(stack, "DetachFunction", {
    description: "Detaches every identity from an IoT policy of this stack before CloudFormation deletes it",
    roleDescription: "Execution role of the function that empties this stack's IoT policies before they are deleted",
    policyName: "detach-and-log",
    statementsFor: [
      allow("ListTargetsOfOwnPolicies", "iot:ListTargetsForPolicy", [
        sub(ARN + "policy/${AWS::StackName}-app"), sub(ARN + "policy/${AWS::StackName}-app-*")]),
      allow("DetachTargets", "iot:DetachPolicy", ["*"]),
    ],
    metadata: reviewed({ wildcard_resource_reason: "iot:DetachPolicy has no resource type for a Cognito identity target (its only resource types are cert and thinggroup), so it needs Resource \"*\". The function detaches targets only from the IoT policy named in the custom resource request that CloudFormation sends when the policy is deleted or replaced." },
      detachReason, rules, ["Resource::*"]),
    functionSkips: [
      ["CKV_AWS_115", "Only CloudFormation invokes it, as this stack's IoT policies are created, replaced or deleted"],
      ["CKV_AWS_116", "Custom resource: it answers CloudFormation on every path"],
      NO_VPC,
    ],
    code: lambda.Code.fromInline(detachCode.replace("@STACK@", name)),
    timeout: cdk.Duration.seconds(300),
  });
  const detach = new cdk.CustomResource(stack, "AppIotPolicyDetach", {
    serviceToken: detachFn.functionArn,
    resourceType: "Custom::DetachIotPolicyTargets",
    properties: { PolicyName: policyName },
  });
  logicalId(detach, "AppIotPolicyDetach");
  detach.node.addDependency(iotPolicy);

  const attachFn = loggedFunction(stack, "AppAttachFunction", {
    description: "Attaches the IoT policy of identity pool app to the calling identity",
    roleDescription: "Execution role of the attach function of identity pool app",
    policyName: "attach-and-log",
    statementsFor: [allow("AttachIotPolicyToCaller", "iot:AttachPolicy", ["*"])],
    metadata: reviewed({ wildcard_resource_reason: "iot:AttachPolicy has no resource type for a Cognito identity target (its only resource types are cert and thinggroup), so it cannot be scoped to a policy or identity ARN and needs Resource \"*\". The function attaches only the policy names in its IOT_POLICY_NAMES environment variable, to the caller's own identity id from the invocation context." },
      attachReason, rules, ["Resource::*"]),
    functionSkips: [
      ["CKV_AWS_115", "attach.reserved_concurrency is unset: a default would fail deploys on small accounts"],
      ["CKV_AWS_116", "Invoked synchronously: the caller gets the error and retries"],
      NO_VPC,
      ["CKV_AWS_173", "Holds no secret; Lambda encrypts it at rest by default"],
    ],
    code: lambda.Code.fromInline(attachCode.replace("@STACK@", name)),
    timeout: cdk.Duration.seconds(10),
    environment: { IDENTITY_POOL_ID: pool.ref, IOT_POLICY_NAMES: policyName },
  });
  attachFn.node.addDependency(detach);

  const authRole = new iam.Role(stack, "AppAuthenticatedRole", {
    assumedBy: cognitoTrust(pool, "authenticated"),
    description: "Signed-in identities of identity pool app: role member",
    inlinePolicies: {
      "mqtt-and-attach": new iam.PolicyDocument({
        statements: [...statements(member, true),
          allow("InvokeAttachFunction", "lambda:InvokeFunction", [attachFn.functionArn])],
      }),
    },
  });
  logicalId(authRole, "AppAuthenticatedRole");
  authRole.node.defaultChild.cfnOptions.metadata = inlinePolicy({ cogsynth: memberMetadata });

  const guestRole = new iam.Role(stack, "AppUnauthenticatedRole", {
    assumedBy: cognitoTrust(pool, "unauthenticated"),
    description: "Guests (unauthenticated identities) of identity pool app: role guest",
    inlinePolicies: { mqtt: new iam.PolicyDocument({ statements: statements(guestGrants(num), true) }) },
  });
  logicalId(guestRole, "AppUnauthenticatedRole");
  guestRole.node.defaultChild.cfnOptions.metadata =
    inlinePolicy({ cogsynth: { pool: "app", role: "guest", identities: "unauthenticated" } });

  new cognito.CfnIdentityPoolRoleAttachment(stack, "AppRoleAttachment", {
    identityPoolId: pool.ref,
    roles: { authenticated: authRole.roleArn, unauthenticated: guestRole.roleArn },
  });

  const output = (id, description, value) => new cdk.CfnOutput(stack, id, {
    description, value, exportName: sub(`\${AWS::StackName}-${id}`),
  });
  output("AppIdentityPoolId", "Identity pool app: give it to the app", pool.ref);
  output("AppAuthenticatedRoleArn", "Role of signed-in identities of app", authRole.roleArn);
  output("AppUnauthenticatedRoleArn", "Role of guests of app", guestRole.roleArn);
  output("AppIotPolicyNames", "IoT policies (comma-separated) the attach function attaches to signed-in identities of app", policyName);
  output("AppAttachFunctionName", "Function the app invokes after sign-in (app)", attachFn.functionName);
  output("AppAttachFunctionArn", "ARN of the attach function of app", attachFn.functionArn);
}

const app = new cdk.App({
  outdir,
  analyticsReporting: false,
  stackTraces: false,
  defaultStackSynthesizer: new cdk.DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  // Default work of `cdk synth` that --lean switches off: validating each template against
  // CloudFormation's schemas and rules, recording where each construct was created, tree.json.
  builtinCloudFormationValidation: !lean,
  treeMetadata: !lean,
  context: lean ? { "aws:cdk:disable-creation-stack-traces": true } : {},
});
for (let i = 1; i <= n; i++) {
  defineStack(app, String(i).padStart(4, "0"));
}
app.synth();
