// The first-login flow of the generated TypeScript kit (stack fleet), end to end, against local
// stand-ins: the attach function synth generates (its inline code from the template, run with
// the stub IoT SDK of tests/fixtures/lambda) behind a local Lambda Invoke endpoint that checks
// the SigV4 signature, and a real MQTT broker (aedes, over WebSocket) that checks the signed
// URL and authorizes every connect, publish, subscribe and delivery with the policy resources
// of the permission manifest, the IoT policy counting only once attached.
//
// Run by tests/client/run.sh (node --test), which writes .build/: js/fleet.js (the compiled kit),
// fleet.manifest.json, fleet.template.json.
import { test as nodeTest, before, after } from "node:test";

const test = (name, fn) => nodeTest(name, { timeout: 20_000 }, fn);
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

import { Aedes } from "aedes";
import { WebSocketServer, createWebSocketStream } from "ws";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";
import { connect as mqttConnect } from "mqtt";

const here = dirname(fileURLToPath(import.meta.url));
const build = join(here, ".build");
const kit = await import(join(build, "js", "fleet.js"));
const manifest = JSON.parse(readFileSync(join(build, "fleet.manifest.json"), "utf8"));
const template = JSON.parse(readFileSync(join(build, "fleet.template.json"), "utf8"));

const REGION = "us-east-1";
const POOL_ID = "us-east-1:00000000-0000-4000-8000-0000000000aa";
const POLICY = "fleet-fleet";
// What the identity pool would hand out: an identity id and its credentials, per identity.
const IDENTITIES = {
  ASIAMEMBER1111: {
    identityId: "us-east-1:11111111-1111-4111-8111-111111111111",
    secretAccessKey: "member-secret",
    sessionToken: "member-session-token",
  },
};
const me = IDENTITIES.ASIAMEMBER1111;
const credentials = {
  accessKeyId: "ASIAMEMBER1111",
  secretAccessKey: me.secretAccessKey,
  sessionToken: me.sessionToken,
};
const member = manifest.pools[0].roles.find((r) => r.role === "member");

// --- The attach function, as the template carries it, with the stub SDK. -------------------
const lambdaDir = mkdtempSync(join(tmpdir(), "cogsynth-e2e-"));
const code = template.Resources.FleetAttachFunction.Properties.Code.ZipFile;
writeFileSync(join(lambdaDir, "index.js"), code);
mkdirSync(join(lambdaDir, "node_modules", "@aws-sdk"), { recursive: true });
symlinkSync(
  join(here, "..", "fixtures", "lambda", "stub-node", "@aws-sdk", "client-iot"),
  join(lambdaDir, "node_modules", "@aws-sdk", "client-iot"),
);
const lambdaRequire = createRequire(join(lambdaDir, "index.js"));
const handler = lambdaRequire("./index.js").handler;
const stub = lambdaRequire("@aws-sdk/client-iot").__stub;
process.env.IDENTITY_POOL_ID = POOL_ID;
process.env.IOT_POLICY_NAMES = POLICY;

/** Identities the attach function attached the policy to (what IoT would know). */
function attachedIdentities() {
  return new Set(stub.calls.filter((c) => c.op === "AttachPolicy" && c.policyName === POLICY).map((c) => c.target));
}

// --- SigV4 checks, with the secrets the stand-in identity pool handed out. -------------------
function credentialOf(scopeCredential) {
  const accessKeyId = scopeCredential.split("/")[0];
  const known = IDENTITIES[accessKeyId];
  return known === undefined ? null : { accessKeyId, ...known };
}

/** `X-Amz-Date` (20170810T153723Z) as a Date. */
function amzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? "");
  return m === null ? null : new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

/** Checks a header-signed request (Lambda Invoke); returns the caller's identity or null. */
async function verifyHeaderSigned(req, body) {
  const auth = req.headers.authorization ?? "";
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(auth);
  if (m === null) return null;
  const cred = credentialOf(m[1]);
  if (cred === null || req.headers["x-amz-security-token"] !== cred.sessionToken) return null;
  const headers = {};
  for (const name of m[2].split(";")) headers[name] = req.headers[name];
  const url = new URL(req.url, "http://localhost");
  const query = Object.fromEntries(url.searchParams);
  const signer = new SignatureV4({ service: "lambda", region: REGION, credentials: cred, sha256: Sha256 });
  const signed = await signer.sign(
    { method: req.method, protocol: "http:", hostname: "127.0.0.1", path: url.pathname, query, headers, body },
    { signingDate: amzDate(req.headers["x-amz-date"]) },
  );
  return signed.headers.authorization === auth ? cred : null;
}

/** Checks the presigned WebSocket URL; returns the caller's identity or null. */
async function verifyPresigned(rawUrl, host) {
  const url = new URL(rawUrl, "http://localhost");
  const q = Object.fromEntries(url.searchParams);
  const cred = credentialOf(q["X-Amz-Credential"] ?? "");
  if (cred === null || q["X-Amz-Security-Token"] !== cred.sessionToken) return null;
  if (!(q["X-Amz-Credential"] ?? "").endsWith(`/${REGION}/iotdevicegateway/aws4_request`)) return null;
  // Signed without the session token, as AWS IoT wants it (docs/aws-facts.md §10.4).
  const signer = new SignatureV4({
    service: "iotdevicegateway",
    region: REGION,
    credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey },
    sha256: Sha256,
  });
  const [hostname, port] = host.split(":");
  const again = await signer.presign(
    { method: "GET", protocol: "ws:", hostname, port: Number(port), path: url.pathname, query: {}, headers: { host } },
    { expiresIn: Number(q["X-Amz-Expires"]), signingDate: amzDate(q["X-Amz-Date"]) },
  );
  return again.query["X-Amz-Signature"] === q["X-Amz-Signature"] ? cred : null;
}

// --- Policy resources of the manifest, matched as AWS matches them. -------------------------
function glob(pattern, text, identityId) {
  const p = pattern.split("${identity}").map((part) => part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, "."));
  const re = new RegExp(`^${p.join(identityId.replace(/[.+^${}()|[\]\\*?]/g, "\\$&"))}$`, "s");
  return re.test(text);
}
const allows = (resources, text, identityId) => resources.some((r) => glob(r, text, identityId));

// --- The stand-ins' servers. -----------------------------------------------------------------
let lambdaServer;
let broker;
let httpServer;
let brokerPort;
const serverSide = []; // messages the broker delivered to the server-side subscriber
const refused = []; // what the broker refused, and why

before(async () => {
  lambdaServer = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", async () => {
      const cred = await verifyHeaderSigned(req, body);
      const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(new URL(req.url, "http://x").pathname);
      if (cred === null || m === null || decodeURIComponent(m[1]) !== "fleet-FleetAttachFunction-EXAMPLE") {
        res.writeHead(403, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: "signature or function not recognised" }));
        return;
      }
      // Lambda writes the caller's Cognito identity into the context.
      const answer = await handler(JSON.parse(body || "{}"), {
        functionName: "fleet-FleetAttachFunction-EXAMPLE",
        awsRequestId: "request",
        getRemainingTimeInMillis: () => 3000,
        identity: { cognitoIdentityId: cred.identityId, cognitoIdentityPoolId: POOL_ID },
      });
      res.writeHead(200, { "content-type": "application/json", "x-amz-executed-version": "$LATEST" });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((resolve) => lambdaServer.listen(0, "127.0.0.1", resolve));

  broker = await Aedes.createBroker();
  // CONNACK 5 (not authorized) for a bad signature, a client id the role may not use, or an
  // identity without its IoT policy.
  broker.authenticate = (client, _username, _password, done) => {
    verifyPresigned(client.req?.url ?? "", client.req?.headers?.host ?? "").then((cred) => {
      const reject = (why) => {
        refused.push(`connect ${client.id}: ${why}`);
        const err = new Error(why);
        err.returnCode = 5;
        done(err, false);
      };
      if (cred === null) return reject("bad signature");
      if (!allows(member.policy.connect, client.id, cred.identityId)) return reject("client id not allowed");
      // A signed-in identity has no IoT policy until the attach function attached it.
      if (!attachedIdentities().has(cred.identityId)) return reject("no IoT policy attached");
      client.identityId = cred.identityId;
      done(null, true);
    });
  };
  broker.authorizePublish = (client, packet, done) => {
    if (client === null || allows(member.policy.publish, packet.topic, client.identityId)) return done(null);
    refused.push(`publish ${packet.topic}`);
    done(new Error("publish not allowed"));
  };
  broker.authorizeSubscribe = (client, sub, done) => {
    if (allows(member.policy.subscribe, sub.topic, client.identityId)) return done(null, sub);
    refused.push(`subscribe ${sub.topic}`);
    done(null, null);
  };
  broker.authorizeForward = (client, packet) =>
    allows(member.policy.receive, packet.topic, client.identityId) ? packet : null;
  broker.subscribe("devices/+/telemetry", (packet, cb) => {
    serverSide.push(`${packet.topic} ${packet.payload.toString()}`);
    cb();
  }, () => {});

  httpServer = createServer();
  const wss = new WebSocketServer({ server: httpServer });
  wss.on("connection", (socket, req) => broker.handle(createWebSocketStream(socket), req));
  await new Promise((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  brokerPort = httpServer.address().port;
});

after(async () => {
  await new Promise((resolve) => broker.close(resolve));
  await new Promise((resolve) => httpServer.close(resolve));
  await new Promise((resolve) => lambdaServer.close(resolve));
  rmSync(lambdaDir, { recursive: true, force: true });
});

function options(extra = {}) {
  return {
    pool: "fleet",
    region: REGION,
    identityId: me.identityId,
    credentials,
    outputs: { FleetAttachFunctionName: "fleet-FleetAttachFunction-EXAMPLE" },
    iotEndpoint: "127.0.0.1",
    retry: { attempts: 3, baseMs: 10, maxMs: 50 },
    local: {
      insecure: true,
      mqttPort: brokerPort,
      lambdaEndpoint: `http://127.0.0.1:${lambdaServer.address().port}`,
    },
    ...extra,
  };
}

const waitFor = async (check, what) => {
  for (let i = 0; i < 200; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
};

test("before attach, the broker refuses the signed-in identity (IoT policy not attached yet)", async () => {
  const url = await kit.signedUrl(options());
  const err = await new Promise((resolve) => {
    const c = mqttConnect(url, { clientId: me.identityId, protocolVersion: 4, reconnectPeriod: 0 });
    c.once("connect", () => resolve(null));
    c.once("error", (e) => {
      c.end(true);
      resolve(e);
    });
    c.once("close", () => resolve(new Error("closed before CONNACK")));
  });
  assert.ok(err !== null, "connected without an attached policy");
  assert.match(refused.at(-1), /no IoT policy attached/);
});

test("a URL with a wrong signature is refused", async () => {
  const url = await kit.signedUrl(options());
  const tampered = url.replace(/X-Amz-Signature=[0-9a-f]+/, "X-Amz-Signature=" + "0".repeat(64));
  const err = await new Promise((resolve) => {
    const c = mqttConnect(tampered, { clientId: me.identityId, protocolVersion: 4, reconnectPeriod: 0 });
    c.once("connect", () => resolve(null));
    c.once("error", (e) => {
      c.end(true);
      resolve(e);
    });
    c.once("close", () => resolve(new Error("closed before CONNACK")));
  });
  assert.ok(err !== null);
  assert.match(refused.at(-1), /bad signature/);
});

test("attach() calls the generated function once per identity, signed with the identity's credentials", async () => {
  const before = stub.calls.length;
  const answer = await kit.attach(options());
  assert.deepEqual(answer, { ok: true, identityId: me.identityId, attached: [POLICY] });
  assert.deepEqual(stub.calls.slice(before).map((c) => [c.op, c.policyName, c.target]), [
    ["AttachPolicy", POLICY, me.identityId],
  ]);
  await kit.attach(options());
  assert.equal(stub.calls.length, before + 1, "the second attach() was not cached");
});

test("attach() with other credentials is refused by the local Lambda and not retried forever", async () => {
  const bad = options({ identityId: "us-east-1:22222222-2222-4222-8222-222222222222", credentials: { ...credentials, secretAccessKey: "wrong" } });
  await assert.rejects(kit.attach(bad));
});

test("connect(): a granted publish round-trips, a granted delivery arrives, forbidden ones are refused", async () => {
  const session = await kit.connect(options(), "member");
  const received = [];
  session.onMessage((topic, payload) => received.push(`${topic} ${new TextDecoder().decode(payload)}`));

  await session.subscribe(kit.topics.member.subscribe.devicesCommands(me.identityId));
  broker.publish({ topic: `devices/${me.identityId}/commands/reboot`, payload: Buffer.from("now"), qos: 0, retain: false }, () => {});
  await waitFor(() => received.length === 1, "the command");
  assert.deepEqual(received, [`devices/${me.identityId}/commands/reboot now`]);

  await session.publish(kit.topics.member.publish.devicesTelemetry(me.identityId), "21.5");
  await waitFor(() => serverSide.length === 1, "the telemetry");
  assert.deepEqual(serverSide, [`devices/${me.identityId}/telemetry 21.5`]);

  // A wildcard where the grant has the identity: refused (SUBACK 0x80).
  await assert.rejects(session.subscribe("devices/+/commands/#"), /refused the subscription/);
  assert.equal(refused.at(-1), "subscribe devices/+/commands/#");

  // Another identity's topic: refused, and the broker drops the connection as AWS IoT does.
  const closed = new Promise((resolve) => session.client.once("close", resolve));
  await session.publish("devices/us-east-1:22222222-2222-4222-8222-222222222222/telemetry", "x").catch(() => {});
  await closed;
  assert.equal(refused.at(-1), "publish devices/us-east-1:22222222-2222-4222-8222-222222222222/telemetry");
  assert.equal(serverSide.length, 1, "the forbidden publish reached a subscriber");
  await session.end();
});

test("topic builders refuse values that would change the topic's shape", () => {
  assert.throws(() => kit.topics.member.publish.devicesStatus(me.identityId, "a/b"), /single topic level/);
  assert.throws(() => kit.topics.member.publish.devicesStatus(me.identityId, "+"), /single topic level/);
  assert.throws(() => kit.topics.member.publish.devicesTelemetry("us-east-1:1111/+"), /identity id/);
  assert.equal(kit.topics.member.publish.devicesStatus(me.identityId, "battery"), `devices/${me.identityId}/status/battery`);
});
