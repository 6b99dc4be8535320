//! Security rules: checks on the spec and on the template synth built from it. One file per
//! rule, named by its id (CIP-IOTP-007 is `iotp_007.rs`); what several rules share is in
//! `helpers`, and what they look at is [`Context`]. Each rule has a stable id, a severity, a
//! rationale naming its anchor (docs/security-rules.md §9 and the tools it cites), and tests
//! that fire and that do not. Errors block synth (exit 1); warnings print. A spec may waive a rule with a
//! reason (`waivers:`); the reason then also goes into the template's suppression metadata.
//! Must not: change the template (rules judge; `cfn::build` decides).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::arn::iot_resource;
use crate::cfn::ids::PoolIds;
use crate::compiled::Compiled;
use crate::diag::{Class, Diagnostic, Pos, Severity};
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::Grants;
use crate::policy::doc::{Effect, Identities, RoleView, Stmt, all_statements, role_views};
use crate::source::escape_token;
use crate::spec::schema_suggest;

/// A rule.
pub struct Rule {
    /// Stable id, e.g. `CIP-POOL-002`.
    pub id: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One line: what it checks.
    pub summary: &'static str,
    /// Why, and the checks of other tools it mirrors.
    pub rationale: &'static str,
    /// The check.
    pub check: fn(&Context<'_>) -> Vec<Finding>,
}

/// What a rule looks at.
pub struct Context<'a> {
    /// The compiled spec.
    pub compiled: &'a Compiled,
    /// Every pool role, read back from the template.
    pub roles: Vec<RoleView>,
    /// Today, `YYYY-MM-DD` (UTC; `SYNTH_TODAY` overrides it), for dated rules.
    pub today: String,
    /// Every IAM and IoT policy statement of the template, read once on first use.
    pub statements: std::cell::OnceCell<Vec<Stmt>>,
    /// The MQTT grants of each spec role, with their origins, made once on first use.
    pub grants: std::cell::OnceCell<BTreeMap<String, Grants>>,
}

impl<'a> Context<'a> {
    /// The context of one compiled spec, on day `today` (`YYYY-MM-DD`).
    pub fn new(compiled: &'a Compiled, today: String) -> Self {
        Context {
            compiled,
            roles: role_views(&compiled.json),
            today,
            statements: std::cell::OnceCell::new(),
            grants: std::cell::OnceCell::new(),
        }
    }

    /// Every IAM and IoT policy statement of the template ([`all_statements`]), read once.
    pub fn statements(&self) -> &[Stmt] {
        self.statements
            .get_or_init(|| all_statements(self.template()))
    }

    /// The Allow statements among [`Self::statements`]: what the wildcard rules look at.
    pub fn allowed(&self) -> impl Iterator<Item = &Stmt> {
        self.statements()
            .iter()
            .filter(|s| s.effect == Effect::Allow)
    }

    /// The template as JSON.
    pub fn template(&self) -> &Value {
        &self.compiled.json
    }

    /// Resources of a type, `(logical id, resource)`.
    pub fn resources(&self, kind: &str) -> Vec<(&str, &Value)> {
        self.template()
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
            .map(|(id, r)| (id.as_str(), r))
            .collect()
    }

    /// Every Allow statement of the IAM role policies of the pool roles serving `kind`.
    pub fn allows(&self, kind: Identities) -> impl Iterator<Item = (&RoleView, &Stmt)> {
        self.roles
            .iter()
            .filter(move |v| v.identities == kind)
            .flat_map(|v| {
                v.iam
                    .iter()
                    .filter(|s| s.effect == Effect::Allow)
                    .map(move |s| (v, s))
            })
    }

    /// Every IoT resource of every statement: `(statement, resource, kind, name)`, e.g.
    /// `(.., "arn:..:topic/a/b", "topic", "a/b")`.
    pub fn iot_resources(&self) -> impl Iterator<Item = (&Stmt, &str, &str, &str)> {
        self.statements().iter().flat_map(|s| {
            s.resources.iter().filter_map(move |r| {
                iot_resource(r).map(|(kind, name)| (s, r.as_str(), kind, name))
            })
        })
    }

    /// The spec pointer of an identity pool.
    pub fn pool_pointer(&self, pool: &str) -> String {
        format!("/identity_pools/{}", escape_token(pool))
    }

    /// The spec pointer of a role.
    pub fn role_pointer(&self, role: &str) -> String {
        format!("/roles/{}", escape_token(role))
    }

    /// The spec name of the pool whose resources include logical id `id` (by the ids `cfn::ids`
    /// derives), if any.
    pub fn pool_of(&self, id: &str) -> Option<&str> {
        self.compiled
            .loaded
            .spec
            .identity_pools
            .iter()
            .find(|(p, pool)| {
                let ids = PoolIds::new(p);
                ids.all().contains(&id)
                    || pool
                        .signed_in_roles()
                        .into_iter()
                        .any(|r| ids.signed_in_role(r, pool.default_role() == Some(r)) == id)
            })
            .map(|(p, _)| p.as_str())
    }

    /// The spec pointer a finding about resource `id` goes to: the pool's `authenticated` or
    /// `unauthenticated.role` for its roles and IoT policy (what put them there), `attach` for
    /// the attach function and its API when the spec has that key, else the pool, else the root.
    pub fn pointer_of(&self, id: &str) -> String {
        let Some(pool) = self.pool_of(id) else {
            return String::new();
        };
        let ids = PoolIds::new(pool);
        let at = self.pool_pointer(pool);
        let doc = &self.compiled.loaded.doc.value;
        let attach_ids = [
            &ids.function,
            &ids.function_role,
            &ids.log_group,
            &ids.api,
            &ids.api_resource,
            &ids.api_method,
            &ids.api_deployment,
            &ids.api_stage,
            &ids.api_permission,
        ];
        let pool_spec = &self.compiled.loaded.spec.identity_pools[pool];
        let signed_in_role = pool_spec
            .signed_in_roles()
            .into_iter()
            .any(|r| ids.signed_in_role(r, pool_spec.default_role() == Some(r)) == id);
        if id == ids.authenticated_role || id == ids.iot_policy || signed_in_role {
            format!("{at}/authenticated")
        } else if id == ids.unauthenticated_role {
            format!("{at}/unauthenticated/role")
        } else if attach_ids.iter().any(|a| a.as_str() == id) && doc.pointer("/attach").is_some() {
            "/attach".to_owned()
        } else {
            at
        }
    }

    /// Position of a spec pointer: the key of a mapping entry (a pool, a role), else the value
    /// (a topic in a list).
    pub fn at(&self, pointer: &str) -> Pos {
        let doc = &self.compiled.loaded.doc;
        match doc.value.pointer(pointer) {
            Some(Value::Object(_) | Value::Array(_)) if !pointer.is_empty() => {
                doc.locate_key(pointer)
            }
            _ => doc.locate(pointer),
        }
    }

    /// The pool role a statement belongs to: the IAM role holding it, or the role whose
    /// signed-in identities get the IoT policy holding it.
    pub fn view_of(&self, s: &Stmt) -> Option<&RoleView> {
        self.roles
            .iter()
            .find(|v| v.role_id == s.resource || v.iot.iter().any(|i| i.resource == s.resource))
    }

    /// The spec entry a policy resource of statement `s` was translated from: the topic,
    /// filter or client id (`/topic_scopes/own/publish/0`), the role for the default connect;
    /// else the role, else the pool or spec root (a resource no spec entry made).
    pub fn cause(&self, s: &Stmt, resource: &str) -> String {
        let Some(view) = self.view_of(s) else {
            return self.pointer_of(&s.resource);
        };
        let symbolic = iot_resource(resource)
            .map(|(kind, name)| format!("{kind}/{}", name.replace(POLICY_IDENTITY, IDENTITY)));
        let grants = self.grants.get_or_init(|| {
            let spec = &self.compiled.loaded.spec;
            spec.roles
                .keys()
                .map(|r| (r.clone(), Grants::of_role(spec, r)))
                .collect()
        });
        symbolic
            .and_then(|r| grants.get(&view.role)?.origins.get(&r))
            .and_then(|pointers| pointers.iter().min_by_key(|p| self.at(p)))
            .cloned()
            .unwrap_or_else(|| self.role_pointer(&view.role))
    }

    /// The spec entry at `pointer` in words: "`publish a/+` (topic scope `own`)", "role `member`".
    pub fn cause_words(&self, pointer: &str) -> String {
        let parts: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        let text = self.compiled.loaded.doc.value.pointer(pointer);
        match (parts.as_slice(), text.and_then(Value::as_str)) {
            ([_, scope, verb, _], Some(t)) if parts[0] == "topic_scopes" => {
                format!("`{verb} {t}` (topic scope `{scope}`)")
            }
            ([_, scope, field, _], None) if parts[0] == "topic_scopes" && field == "shadows" => {
                let at = |k: &str| {
                    self.compiled
                        .loaded
                        .doc
                        .value
                        .pointer(&format!("{pointer}/{k}"))
                        .and_then(Value::as_str)
                };
                let thing = at("thing").unwrap_or_default();
                let shadow = match at("name") {
                    Some(n) => format!("shadow `{n}` of thing `{thing}`"),
                    None => format!("the classic shadow of thing `{thing}`"),
                };
                format!("{shadow} (topic scope `{scope}`)")
            }
            // The long form of a publish entry: `{ topic: T, retain: true }`.
            ([_, scope, verb, _, _], Some(t)) if parts[0] == "topic_scopes" => {
                format!("`{verb} {t}` (topic scope `{scope}`)")
            }
            ([_, role], _) if parts[0] == "roles" => format!("role `{role}`"),
            ([_, pool, ..], _) if parts[0] == "identity_pools" => {
                format!("identity pool `{pool}`")
            }
            _ => "the spec".to_owned(),
        }
    }
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Overrides the rule's severity (a runtime that is deprecated warns, one that is blocked errs).
    pub severity: Option<Severity>,
    /// Spec pointer of the cause (`/topic_scopes/own/publish/0`, `/identity_pools/fleet`).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// Where in the template the cause shows: `(policy resource, statement)`. Findings of one
    /// rule with the same pointer and message are one cause, reported once with every place.
    pub places: Vec<(String, String)>,
}

impl Finding {
    /// A finding at a spec pointer.
    pub fn new(
        pointer: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            severity: None,
            pointer: pointer.into(),
            message: message.into(),
            help: help.into(),
            places: Vec::new(),
        }
    }

    /// A finding about resource `resource` of statement `s`, at the spec entry it came from
    /// ([`Context::cause`]); `what` says what is wrong with it, after the cause in words.
    pub fn at_cause(
        ctx: &Context<'_>,
        s: &Stmt,
        resource: &str,
        what: impl std::fmt::Display,
        help: impl Into<String>,
    ) -> Finding {
        let pointer = ctx.cause(s, resource);
        let message = format!("{} {what}", ctx.cause_words(&pointer));
        let mut f = Finding::new(pointer, message, help);
        f.places.push((resource.to_owned(), s.locate()));
        f
    }
}

/// Findings of one rule with the same pointer, message and severity become one, listing every
/// policy resource and statement they were found in (first appearance order).
fn merge(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        match out
            .iter_mut()
            .find(|o| o.pointer == f.pointer && o.message == f.message && o.severity == f.severity)
        {
            Some(o) => {
                for p in f.places {
                    if !o.places.contains(&p) {
                        o.places.push(p);
                    }
                }
            }
            None => out.push(f),
        }
    }
    for f in &mut out {
        if f.places.is_empty() {
            continue;
        }
        // `a/*` (IAM role X policy p, statement 3; IoT policy Y, statement 3), `a` (...)
        let mut by_resource: Vec<(&str, Vec<&str>)> = Vec::new();
        for (resource, statement) in &f.places {
            match by_resource.iter_mut().find(|(r, _)| r == resource) {
                Some((_, s)) => s.push(statement),
                None => by_resource.push((resource, vec![statement])),
            }
        }
        // `topic/a/*`, not the whole ARN: every IoT ARN synth writes has the same prefix.
        let list: Vec<String> = by_resource
            .iter()
            .map(|(r, s)| {
                let short = iot_resource(r)
                    .map_or_else(|| (*r).to_owned(), |(kind, name)| format!("{kind}/{name}"));
                format!("`{short}` ({})", s.join("; "))
            })
            .collect();
        f.message = format!("{}: {}", f.message, list.join(", "));
    }
    out
}

// One file per rule, named by its id: CIP-IOTP-007 is `iotp_007.rs`.
mod attach_001;
mod attach_003;
mod attach_004;
mod attach_005;
mod auth_001;
mod cfn_001;
mod cfn_002;
mod helpers;
mod iam_001;
mod iotp_002;
mod iotp_003;
mod iotp_005;
mod iotp_007;
mod iotp_010;
mod lambda_001;
mod map_001;
mod map_002;
mod pool_001;
mod pool_002;
mod trust_001;
mod trust_002;
mod unauth_001;
mod unauth_002;
mod unauth_003;

/// Every rule, in id order (the order of the file names).
pub static RULES: &[&Rule] = &[
    &attach_001::RULE,
    &attach_003::RULE,
    &attach_004::RULE,
    &attach_005::RULE,
    &auth_001::RULE,
    &cfn_001::RULE,
    &cfn_002::RULE,
    &iam_001::RULE,
    &iotp_002::RULE,
    &iotp_003::RULE,
    &iotp_005::RULE,
    &iotp_007::RULE,
    &iotp_010::RULE,
    &lambda_001::RULE,
    &map_001::RULE,
    &map_002::RULE,
    &pool_001::RULE,
    &pool_002::RULE,
    &trust_001::RULE,
    &trust_002::RULE,
    &unauth_001::RULE,
    &unauth_002::RULE,
    &unauth_003::RULE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_783), "2026-11-26");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    #[test]
    fn rule_ids_are_unique_and_documented() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        for r in RULES {
            assert!(
                r.id.starts_with("CIP-") && !r.summary.is_empty() && r.rationale.contains('('),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn unknown_waivers_are_refused_with_a_suggestion() {
        let spec = format!(
            "{}waivers:\n  - {{ rule: CIP-POOL-009, reason: typo in the rule id }}\n",
            fixture::SPEC
        );
        let diags = run(&fixture::compiled(&spec));
        let d = diags
            .iter()
            .find(|d| d.code == "spec-waiver")
            .expect("refused");
        assert_eq!(d.message, "unknown rule `CIP-POOL-009`");
        assert_eq!(d.help.as_deref(), Some("did you mean `CIP-POOL-001`?"));
    }
}

#[cfg(test)]
pub(crate) mod fixture {
    //! Specs and templates the rule tests start from.

    use serde_json::Value;

    use super::{Finding, Rule, run};
    use crate::compile::{Compiled, compile};

    /// A spec with members and guests.
    pub(crate) const SPEC: &str = "version: 1\nstack: s\ntopic_scopes:\n  own:\n    publish: [\"d/${identity}/t\"]\n    subscribe: [\"d/${identity}/c/#\"]\n  lobby:\n    publish: [lobby/hello]\nroles:\n  member: { scopes: [own] }\n  guest: { scopes: [lobby] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated: member\n    unauthenticated: { role: guest, reason: Visitors say hello in the lobby }\n";

    /// Compiles `spec` (which must be usable).
    pub(crate) fn compiled(spec: &str) -> Compiled {
        let (c, diags) = compile("t.yaml", spec.as_bytes());
        c.unwrap_or_else(|| panic!("spec unusable: {diags:?}"))
    }

    /// The findings of `rule` on `spec`'s template after `mutate`.
    pub(crate) fn findings(
        rule: &Rule,
        spec: &str,
        mutate: impl FnOnce(&mut Value),
    ) -> Vec<Finding> {
        let mut c = compiled(spec);
        mutate(&mut c.json);
        let ctx = super::Context::new(&c, "2026-11-26".into());
        (rule.check)(&ctx)
    }

    /// The same through `rules::run`, codes only (waivers applied).
    pub(crate) fn codes(spec: &str) -> Vec<&'static str> {
        run(&compiled(spec)).iter().map(|d| d.code).collect()
    }

    /// `Resources.<id>.Properties`.
    pub(crate) fn props<'a>(t: &'a mut Value, id: &str) -> &'a mut Value {
        &mut t["Resources"][id]["Properties"]
    }

    /// The statements of the first inline policy of role `id`.
    pub(crate) fn role_statements<'a>(t: &'a mut Value, id: &str) -> &'a mut Vec<Value> {
        props(t, id)["Policies"][0]["PolicyDocument"]["Statement"]
            .as_array_mut()
            .expect("statements")
    }
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// Today as `YYYY-MM-DD` in UTC, or `SYNTH_TODAY` when set (to reproduce a dated finding).
fn today() -> String {
    if let Ok(d) = std::env::var("SYNTH_TODAY") {
        return d;
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (Howard Hinnant's `civil_from_days`).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Runs every rule on a compiled spec, minus waived ones; unknown waiver ids are input errors.
pub fn run(compiled: &Compiled) -> Vec<Diagnostic> {
    let file = &compiled.loaded.file;
    let spec = &compiled.loaded.spec;
    let mut out = Vec::new();
    let ids: Vec<String> = RULES.iter().map(|r| r.id.to_owned()).collect();
    for (i, w) in spec.waivers.iter().enumerate() {
        if rule(&w.rule).is_none() {
            let pos = compiled.loaded.doc.locate(&format!("/waivers/{i}/rule"));
            let d = Diagnostic::input(
                "spec-waiver",
                file,
                pos,
                format!("unknown rule `{}`", w.rule),
            );
            out.push(match schema_suggest(&w.rule, &ids) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("README lists the rules"),
            });
        }
    }
    let ctx = Context::new(compiled, today());
    for r in RULES {
        if spec.waivers.iter().any(|w| w.rule == r.id) {
            continue;
        }
        for f in merge((r.check)(&ctx)) {
            out.push(Diagnostic {
                code: r.id,
                severity: f.severity.unwrap_or(r.severity),
                class: Class::Finding,
                file: file.clone(),
                pos: Some(ctx.at(&f.pointer)),
                message: f.message,
                help: Some(f.help),
            });
        }
    }
    out
}
