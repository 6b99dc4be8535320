// ---------------------------------------------------------------------------------------------
// The flow (README, "The client flow"): sign in, get an identity id and credentials from the
// identity pool, attach() once per identity (signed-in roles), then connect() over MQTT over
// WebSocket, signed with SigV4, with client id = identity id.

/** What the kit needs to know of a pool (generated in `POOLS`). */
interface PoolInfo {
  readonly invoke: "direct" | "api-gateway";
  readonly outputs: {
    readonly identityPoolId: string;
    readonly attachFunctionName: string;
    readonly attachUrl: string | null;
    readonly iotPolicyNames: string;
  };
  /** Which identities of the pool each role serves; signed-in ones need attach() first. */
  readonly roles: Readonly<Record<string, { readonly identities: readonly ("signed-in" | "guest")[] }>>;
}

/** Credentials of the identity (from the identity pool), or a provider that refreshes them. */
export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/** Where the kit finds the stack and the identity. */
export interface Options<P extends PoolName> {
  /** The identity pool, by its spec name. */
  pool: P;
  /** The region the stack is deployed to (the identity id begins with it). */
  region: string;
  /** The caller's Cognito identity id (`GetId`). */
  identityId: string;
  /** Its credentials (`GetCredentialsForIdentity`), or a provider such as `fromCognitoIdentityPool`. */
  credentials: Credentials;
  /** Stack outputs by name (`aws cloudformation describe-stacks`, or baked into the build). */
  outputs: Readonly<Record<string, string>>;
  /** The account's data endpoint: `aws iot describe-endpoint --endpoint-type iot:Data-ATS`. */
  iotEndpoint: string;
  /** Retries of attach() and of the first connection (IoT takes a moment to apply an attachment). */
  retry?: { attempts?: number; baseMs?: number; maxMs?: number };
  /** Remembers attached identities across reloads, e.g. `window.localStorage`. */
  storage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  /** Local stand-ins only (tests, a local broker): plain `ws://`, another port, a Lambda endpoint. */
  local?: { insecure?: boolean; mqttPort?: number; lambdaEndpoint?: string };
}

/** What the attach function answers. */
export interface AttachAnswer {
  ok: true;
  identityId: string;
  attached: string[];
}

/** The attach function refused the caller: retrying cannot help. */
export class AttachRefused extends Error {
  override name = "AttachRefused";
}

const attached = new Map<string, Promise<AttachAnswer>>();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withBackoff<T>(
  retry: Options<PoolName>["retry"],
  what: () => Promise<T>,
  retryable: (err: unknown) => boolean,
): Promise<T> {
  const attempts = Math.max(1, retry?.attempts ?? 6);
  const base = retry?.baseMs ?? 250;
  const max = retry?.maxMs ?? 8000;
  for (let n = 0; ; n += 1) {
    try {
      return await what();
    } catch (err) {
      if (n + 1 >= attempts || !retryable(err)) {
        throw err;
      }
      // Exponential backoff with jitter, so that many apps do not retry in step.
      await sleep(Math.min(max, base * 2 ** n) * (0.5 + Math.random() / 2));
    }
  }
}

async function resolveCredentials(c: Credentials): Promise<AwsCredentialIdentity> {
  return typeof c === "function" ? await c() : c;
}

function output<P extends PoolName>(o: Options<P>, name: string): string {
  const value = o.outputs[name];
  if (typeof value !== "string" || value === "") {
    throw new Error(`stack output ${name} is missing from options.outputs`);
  }
  return value;
}

function parseAnswer(text: string): AttachAnswer {
  const body: unknown = JSON.parse(text);
  if (typeof body === "object" && body !== null && (body as { ok?: unknown }).ok === true) {
    const answer = body as AttachAnswer;
    if (typeof answer.identityId === "string" && Array.isArray(answer.attached)) {
      return answer;
    }
  }
  const error = (body as { error?: unknown } | null)?.error;
  if (error === "forbidden") {
    throw new AttachRefused("the attach function refused this identity (not a signed-in identity of this pool)");
  }
  throw new Error(`the attach function failed: ${typeof error === "string" ? error : "no answer"}`);
}

async function callAttach<P extends PoolName>(o: Options<P>): Promise<AttachAnswer> {
  const pool: PoolInfo = POOLS[o.pool];
  if (pool.invoke === "api-gateway") {
    const url = new URL(output(o, pool.outputs.attachUrl ?? ""));
    const signer = new SignatureV4({
      service: "execute-api",
      region: o.region,
      credentials: () => resolveCredentials(o.credentials),
      sha256: Sha256,
    });
    const body = "{}";
    const signed = await signer.sign({
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === "" ? undefined : Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host, "content-type": "application/json" },
      body,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) {
      // fetch sets Host itself (from the URL, so the signed value holds).
      if (name.toLowerCase() !== "host") {
        headers[name] = value;
      }
    }
    const response = await fetch(url, { method: "POST", headers, body });
    if (response.status === 403) {
      throw new AttachRefused(`POST ${url.pathname} answered 403`);
    }
    return parseAnswer(await response.text());
  }
  const lambda = new LambdaClient({
    region: o.region,
    credentials: o.credentials,
    ...(o.local?.lambdaEndpoint === undefined ? {} : { endpoint: o.local.lambdaEndpoint }),
  });
  const result = await lambda.send(
    new InvokeCommand({
      FunctionName: output(o, pool.outputs.attachFunctionName),
      Payload: new TextEncoder().encode("{}"),
    }),
  );
  if (result.FunctionError !== undefined) {
    throw new Error(`the attach function failed: ${result.FunctionError}`);
  }
  return parseAnswer(new TextDecoder().decode(result.Payload ?? new Uint8Array()));
}

/**
 * Attaches the stack's IoT policies to the identity, once per identity: later calls return the
 * first answer (and `options.storage` remembers it across reloads). Retries with backoff while
 * the function fails; never when it refuses the caller.
 */
export function attach<P extends PoolName>(o: Options<P>): Promise<AttachAnswer> {
  const key = `cogsynth:${STACK}:${o.pool}:${o.identityId}`;
  const known = attached.get(key);
  if (known !== undefined) {
    return known;
  }
  const stored = o.storage?.getItem(key);
  if (stored !== null && stored !== undefined) {
    const answer = Promise.resolve(parseAnswer(stored));
    attached.set(key, answer);
    return answer;
  }
  const answer = withBackoff(o.retry, () => callAttach(o), (err) => !(err instanceof AttachRefused)).then(
    (a) => {
      o.storage?.setItem(key, JSON.stringify(a));
      return a;
    },
  );
  attached.set(key, answer);
  // A failure is not cached: the next call tries again.
  answer.catch(() => attached.delete(key));
  return answer;
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The signed WebSocket URL: SigV4 query signing for `iotdevicegateway`, the session token
 * appended after signing (AWS IoT does not accept it inside the signature).
 */
export async function signedUrl<P extends PoolName>(o: Options<P>, now: Date = new Date()): Promise<string> {
  const creds = await resolveCredentials(o.credentials);
  const port = o.local?.mqttPort;
  const host = port === undefined ? o.iotEndpoint : `${o.iotEndpoint}:${port}`;
  const signer = new SignatureV4({
    service: "iotdevicegateway",
    region: o.region,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: "GET",
      protocol: o.local?.insecure === true ? "ws:" : "wss:",
      hostname: o.iotEndpoint,
      port,
      path: "/mqtt",
      query: {},
      headers: { host },
    },
    { expiresIn: 300, signingDate: now },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(String(v))}`)
    .join("&");
  const token = creds.sessionToken === undefined ? "" : `&X-Amz-Security-Token=${rfc3986(creds.sessionToken)}`;
  return `${o.local?.insecure === true ? "ws" : "wss"}://${host}/mqtt?${query}${token}`;
}

/** An MQTT session of one role: only that role's topics and filters type-check. */
export interface Session<R extends RoleName> {
  readonly client: MqttClient;
  publish(topic: PublishTopic<R>, payload: string | Uint8Array, qos?: 0 | 1): Promise<void>;
  /** Rejects when the broker refuses the subscription (SUBACK 0x80). */
  subscribe(filter: SubscribeFilter<R>, qos?: 0 | 1): Promise<void>;
  onMessage(handler: (topic: string, payload: Uint8Array) => void): void;
  end(): Promise<void>;
}

function openOnce(url: string, clientId: string, extra: IClientOptions, urls: () => string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqttConnect(url, {
      clientId,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...extra,
      // Every (re)connection uses the newest signed URL.
      transformWsUrl: () => urls(),
    });
    const fail = (err: Error) => {
      client.end(true);
      reject(err);
    };
    client.once("connect", () => {
      client.removeListener("error", fail);
      resolve(client);
    });
    client.once("error", fail);
    client.once("close", () => fail(new Error("the broker closed the connection before CONNACK")));
  });
}

/**
 * Connects as role `role` of pool `o.pool`: attach() first for signed-in roles, then MQTT over
 * WebSocket with the role's client id (the identity id, unless the spec says otherwise), retrying with backoff while IoT applies the
 * attachment. The signed URL is renewed every four minutes (asking the credential provider
 * again), so an automatic reconnect (`mqtt.reconnectPeriod`) signs with current credentials.
 */
export async function connect<P extends PoolName, R extends RoleOf<P>>(
  o: Options<P>,
  role: R,
  mqtt: IClientOptions = {},
): Promise<Session<R>> {
  const pool: PoolInfo = POOLS[o.pool];
  const serves = pool.roles[role]?.identities ?? [];
  if (serves.includes("signed-in")) {
    try {
      await attach(o);
    } catch (err) {
      // A role that also serves guests: a guest is refused by the attach function, and needs none.
      if (!(err instanceof AttachRefused && serves.includes("guest"))) {
        throw err;
      }
    }
  }
  const clientId = CLIENT_IDS[role](o.identityId);
  let url = await signedUrl(o);
  const client = await withBackoff(o.retry, () => openOnce(url, clientId, mqtt, () => url), () => true);
  const renew = setInterval(() => {
    signedUrl(o).then(
      (u) => {
        url = u;
      },
      () => undefined,
    );
  }, 240_000);
  (renew as { unref?: () => void }).unref?.();
  client.once("end", () => clearInterval(renew));
  return {
    client,
    publish: (topic, payload, qos = 0) =>
      new Promise((resolve, reject) => {
        client.publish(topic, typeof payload === "string" ? payload : Buffer.from(payload), { qos }, (err) =>
          err ? reject(err) : resolve(),
        );
      }),
    subscribe: (filter, qos = 0) =>
      new Promise((resolve, reject) => {
        client.subscribe(filter, { qos }, (err, granted) => {
          if (err) {
            // MQTT.js reports a SUBACK failure (0x80) as an error too.
            reject(new Error(`the broker refused the subscription to ${filter}: ${err.message}`));
          } else if (granted === undefined || granted.some((g) => g.qos === 128)) {
            reject(new Error(`the broker refused the subscription to ${filter}`));
          } else {
            resolve();
          }
        });
      }),
    onMessage: (handler) => {
      client.on("message", (topic, payload) => handler(topic, new Uint8Array(payload)));
    },
    end: () =>
      new Promise((resolve) => {
        clearInterval(renew);
        client.end(false, {}, () => resolve());
      }),
  };
}

/** One topic level given by the app: not empty, no `/`, `+` or `#`. */
function level(value: string): string {
  if (value === "" || /[/+#]/.test(value)) {
    throw new Error(`not a single topic level: ${JSON.stringify(value)}`);
  }
  return value;
}

/** The caller's identity id inside a topic. */
function identity(value: string): string {
  if (!/^[\w-]+:[0-9a-f-]+$/.test(value)) {
    throw new Error(`not a Cognito identity id: ${JSON.stringify(value)}`);
  }
  return value;
}

/** Several levels (for a grant ending in `#`). */
function levels(values: readonly string[]): string {
  return values.map(level).join("/");
}
