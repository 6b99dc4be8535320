//! The TypeScript client kit: one module per stack, from its manifest. The generated part names
//! the stack, its pools (attach call, outputs, roles), the client id of each role, and typed
//! topic builders per role; the fixed part (`kit.ts`) is attach(), signedUrl() and connect().
//!
//! Typing: `PublishTopic<"member">` and `SubscribeFilter<"member">` are branded strings that
//! only the builders of role `member` return, and a session of role `member` takes only those,
//! so a topic another role holds, or one no role holds, does not type-check.
//!
//! Escaping: every value from the spec is printed as a JSON string literal (a valid JavaScript
//! expression since ES2019), never inside a template literal, and comment text has `*/` broken,
//! although spec topics cannot hold `*` (the spec refuses it).
//! Must not: read files.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::manifest::{Grant, Manifest};
use crate::mqtt::IDENTITY;

/// The npm packages the kit imports, at the versions `tests/client/package-lock.json` pins and
/// the kit is compiled and tested with.
pub const PACKAGES: [(&str, &str); 5] = [
    ("@aws-crypto/sha256-js", "5.2.0"),
    ("@aws-sdk/client-lambda", "3.1162.0"),
    ("@smithy/signature-v4", "5.7.5"),
    ("@smithy/types", "4.20.0"),
    ("mqtt", "5.16.0"),
];

const RUNTIME: &str = include_str!("kit.ts");

fn lit(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn comment(s: &str) -> String {
    s.replace("*/", "*\\/")
}

fn camel(words: &[&str]) -> String {
    let mut out = String::new();
    for w in words {
        for part in w.split(|c: char| !c.is_ascii_alphanumeric()) {
            let mut chars = part.chars();
            if let Some(first) = chars.next() {
                if out.is_empty() {
                    out.push(first.to_ascii_lowercase());
                } else {
                    out.push(first.to_ascii_uppercase());
                }
                out.push_str(chars.as_str());
            }
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 't');
    }
    out
}

/// A piece of a generated string expression.
enum Seg {
    Lit(String),
    Expr(String),
}

/// `"devices/" + identity(identityId) + "/telemetry"`: adjacent literals merged, empty ones
/// dropped.
fn concat(segs: Vec<Seg>) -> String {
    let mut merged: Vec<Seg> = Vec::new();
    for s in segs {
        match (merged.last_mut(), s) {
            (Some(Seg::Lit(a)), Seg::Lit(b)) => a.push_str(&b),
            (_, Seg::Lit(b)) if b.is_empty() => {}
            (_, s) => merged.push(s),
        }
    }
    if merged.is_empty() {
        return "\"\"".to_owned();
    }
    let parts: Vec<String> = merged
        .into_iter()
        .map(|s| match s {
            Seg::Lit(l) => lit(&l),
            Seg::Expr(e) => e,
        })
        .collect();
    // A lone expression is already a string (the helpers return strings).
    parts.join(" + ")
}

/// Pieces of `text` with each `${identity}` replaced by the checked identity id.
fn with_identity(text: &str, segs: &mut Vec<Seg>) {
    for (i, piece) in text.split(IDENTITY).enumerate() {
        if i > 0 {
            segs.push(Seg::Expr("identity(identityId)".to_owned()));
        }
        segs.push(Seg::Lit(piece.to_owned()));
    }
}

/// The builder of one publish topic or subscribe filter: its name, parameters and body.
fn builder(target: &str, keep_wildcards: bool) -> (String, Vec<String>, String) {
    let levels: Vec<&str> = target.split('/').collect();
    let literal: Vec<&str> = levels
        .iter()
        .copied()
        .filter(|l| !l.contains(IDENTITY) && *l != "+" && *l != "#")
        .collect();
    let name = camel(&literal);
    let mut params = Vec::new();
    if target.contains(IDENTITY) {
        params.push("identityId: string".to_owned());
    }
    let mut segs = Vec::new();
    let mut rest = false;
    for (i, l) in levels.iter().enumerate() {
        if !keep_wildcards && *l == "#" {
            rest = true;
            params.push("...rest: string[]".to_owned());
            break;
        }
        if i > 0 {
            segs.push(Seg::Lit("/".to_owned()));
        }
        if !keep_wildcards && *l == "+" {
            params.push(format!("level{}: string", i + 1));
            segs.push(Seg::Expr(format!("level(level{})", i + 1)));
        } else {
            with_identity(l, &mut segs);
        }
    }
    let mut body = concat(segs);
    if rest {
        // `a/#` covers `a` itself and everything below it.
        body = format!("(rest.length === 0 ? {body} : {body} + \"/\" + levels(rest))");
    }
    (name, params, body)
}

fn unique(name: String, taken: &mut BTreeMap<String, usize>) -> String {
    let n = taken.entry(name.clone()).or_default();
    *n += 1;
    if *n == 1 { name } else { format!("{name}{n}") }
}

fn builders(out: &mut String, role: &str, kind: &str, grants: &[&Grant]) {
    let brand = if kind == "publish" {
        "PublishTopic"
    } else {
        "SubscribeFilter"
    };
    let _ = writeln!(out, "    {kind}: {{");
    let mut taken = BTreeMap::new();
    for g in grants {
        let (name, params, body) = builder(&g.target, kind == "subscribe");
        let name = unique(name, &mut taken);
        let scope = g
            .scope
            .as_deref()
            .map_or(String::new(), |s| format!(" (topic scope {s})"));
        let note = if g.exact {
            ""
        } else {
            " The policy allows more than this: a `+` level is any run of characters there."
        };
        let _ = writeln!(
            out,
            "      /** `{}`{}.{} */",
            comment(&g.target),
            comment(&scope),
            note
        );
        let _ = writeln!(
            out,
            "      {name}: ({}): {brand}<{}> => ({body}) as {brand}<{}>,",
            params.join(", "),
            lit(role),
            lit(role)
        );
    }
    let _ = writeln!(out, "    }},");
}

/// `POOLS`: per identity pool, the attach call, the outputs the app reads and the roles.
fn pools(out: &mut String, m: &Manifest) {
    out.push_str("/** Per identity pool: how the attach function is called, the stack outputs the app reads, the roles. */\nexport const POOLS = {\n");
    for p in &m.pools {
        let _ = writeln!(out, "  {}: {{", lit(&p.name));
        let _ = writeln!(out, "    invoke: {},", lit(p.attach.invoke));
        let _ = writeln!(
            out,
            "    outputs: {{ identityPoolId: {}, attachFunctionName: {}, attachUrl: {}, iotPolicyNames: {} }},",
            lit(&p.outputs.identity_pool_id),
            lit(&p.outputs.attach_function_name),
            p.outputs
                .attach_url
                .as_deref()
                .map_or("null".to_owned(), lit),
            lit(&p.outputs.iot_policy_names)
        );
        out.push_str("    roles: {\n");
        // A role may serve both kinds of identity of one pool.
        let mut kinds: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in &p.roles {
            kinds.entry(r.role.as_str()).or_default().push(r.identities);
        }
        for (role, identities) in kinds {
            let _ = writeln!(
                out,
                "      {}: {{ identities: [{}] }},",
                lit(role),
                identities
                    .iter()
                    .map(|i| lit(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        out.push_str("    },\n  },\n");
    }
}

/// The kit for manifest `m`.
pub fn generate(m: &Manifest) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Generated by synth from {} (stack {}). Do not edit: change the spec and run\n// `synth client {} --lang typescript`.\n//\n// Imports, at the versions this kit was compiled and tested with (pin them in package.json):",
        comment(&m.source),
        m.stack,
        m.stack
    );
    for (name, version) in PACKAGES {
        let _ = writeln!(out, "//   {name} {version}");
    }
    out.push_str(
        "/* eslint-disable */\nimport { LambdaClient, InvokeCommand } from \"@aws-sdk/client-lambda\";\nimport { SignatureV4 } from \"@smithy/signature-v4\";\nimport { Sha256 } from \"@aws-crypto/sha256-js\";\nimport type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from \"@smithy/types\";\nimport { connect as mqttConnect } from \"mqtt\";\nimport type { IClientOptions, MqttClient } from \"mqtt\";\n\n",
    );
    let _ = writeln!(
        out,
        "/** The stack this kit was generated for. */\nexport const STACK = {};\n",
        lit(&m.stack)
    );
    out.push_str("/** The npm packages the kit imports, at the versions it was tested with. */\nexport const PACKAGES = {\n");
    for (name, version) in PACKAGES {
        let _ = writeln!(out, "  {}: {},", lit(name), lit(version));
    }
    out.push_str("} as const;\n\n");

    // Roles, in name order; a role used by several pools has the same grants in each.
    let mut roles: BTreeMap<&str, &crate::manifest::Role> = BTreeMap::new();
    for p in &m.pools {
        for r in &p.roles {
            roles.entry(r.role.as_str()).or_insert(r);
        }
    }
    let names: Vec<String> = roles.keys().map(|r| lit(r)).collect();
    let _ = writeln!(
        out,
        "/** The roles of the stack. */\nexport type RoleName = {};\n",
        if names.is_empty() {
            "never".to_owned()
        } else {
            names.join(" | ")
        }
    );
    out.push_str("/** A topic role `R` may publish to; only the builders in `topics` make one. */\nexport type PublishTopic<R extends RoleName> = string & { readonly __publishAs: R };\n/** A filter role `R` may subscribe to; only the builders in `topics` make one. */\nexport type SubscribeFilter<R extends RoleName> = string & { readonly __subscribeAs: R };\n\n");

    pools(&mut out, m);
    out.push_str("} as const satisfies Readonly<Record<string, PoolInfo>>;\n\n/** The identity pools of the stack. */\nexport type PoolName = keyof typeof POOLS;\n/** The roles of pool `P`. */\nexport type RoleOf<P extends PoolName> = Extract<keyof (typeof POOLS)[P][\"roles\"], RoleName>;\n\n");

    out.push_str("/** The client id each role connects with (the spec's `connect`, or the identity id). */\nconst CLIENT_IDS: Readonly<Record<RoleName, (identityId: string) => string>> = {\n");
    for (name, r) in &roles {
        let first = r
            .client_id
            .allowed
            .iter()
            .find(|c| c.contains(IDENTITY))
            .or(r.client_id.allowed.first());
        let mut segs = Vec::new();
        match first {
            Some(c) => with_identity(c, &mut segs),
            None => segs.push(Seg::Expr("identity(identityId)".to_owned())),
        }
        let body = concat(segs);
        let _ = writeln!(out, "  {}: (identityId) => {body},", lit(name));
    }
    out.push_str("};\n\n");

    out.push_str("/**\n * Topic builders per role: `topics.member.publish.devicesTelemetry(identityId)`. Publish topics\n * take a value for each `+` level and the levels below a `#`; subscribe filters keep their\n * wildcards (a subscription to the filter itself; IoT also allows any narrower one).\n */\nexport const topics = {\n");
    for (name, r) in &roles {
        let _ = writeln!(out, "  {}: {{", lit(name));
        let publish: Vec<&Grant> = r.grants.iter().filter(|g| g.action == "publish").collect();
        let subscribe: Vec<&Grant> = r
            .grants
            .iter()
            .filter(|g| g.action == "subscribe")
            .collect();
        builders(&mut out, name, "publish", &publish);
        builders(&mut out, name, "subscribe", &subscribe);
        out.push_str("  },\n");
    }
    out.push_str("} as const;\n\n");
    out.push_str(RUNTIME);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_take_parameters_for_the_identity_and_wildcards() {
        let (name, params, body) = builder("devices/${identity}/status/+", false);
        assert_eq!(name, "devicesStatus");
        assert_eq!(params, ["identityId: string", "level4: string"]);
        assert_eq!(
            body,
            "\"devices/\" + identity(identityId) + \"/status/\" + level(level4)"
        );
        let (_, params, body) = builder("a/#", false);
        assert_eq!(params, ["...rest: string[]"]);
        assert_eq!(
            body,
            "(rest.length === 0 ? \"a\" : \"a\" + \"/\" + levels(rest))"
        );
        let (_, params, body) = builder("a/+/#", true);
        assert!(params.is_empty());
        assert_eq!(body, "\"a/+/#\"");
        let (_, _, body) = builder("k-${identity}-x", true);
        assert_eq!(body, "\"k-\" + identity(identityId) + \"-x\"");
        assert_eq!(camel(&["2fa", "x-y"]), "t2faXY");
        assert_eq!(lit("a\"b`${x}"), "\"a\\\"b`${x}\"");
    }
}
