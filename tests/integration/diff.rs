//! `synth diff` on real git histories built in temp directories: specs committed with their
//! generated out/, a spec changed and regenerated with the real `synth`, then diffed against a
//! revision (or a directory). Git runs with a fixed identity and no global or system config, so
//! the tests do not depend on the machine's git setup.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{self, Ran, repo};

/// Env for every git and synth process: fixed author and committer, no user config.
const GIT_ENV: [(&str, &str); 8] = [
    ("GIT_AUTHOR_NAME", "cogsynth test"),
    ("GIT_AUTHOR_EMAIL", "test@example.com"),
    ("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z"),
    ("GIT_COMMITTER_NAME", "cogsynth test"),
    ("GIT_COMMITTER_EMAIL", "test@example.com"),
    ("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z"),
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
];

/// The fixture spec (`stack: shop`, pool `shop`, roles member and guest).
fn shop() -> String {
    fs::read_to_string(repo().join("tests/fixtures/diff/shop.yaml")).expect("fixture")
}

/// The fixture spec with one more topic for signed-in members: `subscribe shop/alerts`, a
/// broadening of both layers.
fn shop_with_alerts() -> String {
    edit(
        &shop(),
        r#"subscribe: ["shop/news/#"]"#,
        r#"subscribe: ["shop/news/#", "shop/alerts"]"#,
    )
}

/// `text` with `from` replaced by `to`; `from` must occur, so a fixture edit cannot silently
/// stop testing anything.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "fixture has no `{from}`");
    text.replacen(from, to, 1)
}

/// A git repository in a temp directory holding `stacks/` and `out/`.
struct Repo {
    dir: TempDir,
}

impl Repo {
    /// An empty repository on branch main.
    fn new() -> Repo {
        let r = Repo {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        r.git(&["init", "--quiet"]);
        r
    }

    /// Changes the spec to [`shop_with_alerts`] and builds it (uncommitted).
    fn add_alerts(&self) {
        self.spec(&shop_with_alerts());
        self.build();
    }

    /// A repository whose first commit holds the fixture spec and its templates.
    fn with_shop() -> Repo {
        let r = Repo::new();
        r.spec(&shop());
        r.build();
        r.commit("shop");
        r
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=cogsynth test",
                "-c",
                "user.email=test@example.com",
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .envs(GIT_ENV)
            .current_dir(self.path())
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.path().join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path().join(name)).expect("read")
    }

    fn spec(&self, text: &str) {
        self.write("stacks/shop.yaml", text);
    }

    fn synth(&self, args: &[&str]) -> Ran {
        support::synth(self.path(), args, &GIT_ENV)
    }

    /// Regenerates out/ with the real synth.
    fn build(&self) {
        let ran = self.synth(&[]);
        assert_eq!(ran.code, 0, "synth: {ran:?}");
    }

    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "--quiet", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// `synth diff ARGS`, expecting exit `code`.
    fn diff(&self, args: &[&str], code: i32) -> Ran {
        let mut all = vec!["diff"];
        all.extend_from_slice(args);
        let ran = self.synth(&all);
        assert_eq!(ran.code, code, "synth {all:?}: {ran:?}");
        assert!(!ran.stderr.contains("panicked"), "{ran:?}");
        ran
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let ran = self.diff(&all, 0);
        serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}: {}", ran.stdout))
    }
}

/// The grants of the role serving `identities` in the first stack, as `(change, kind, mqtt)`.
fn grants(report: &Value, identities: &str) -> Vec<(String, String, String)> {
    let roles = report["stacks"][0]["roles"].as_array().expect("roles");
    let role = roles
        .iter()
        .find(|r| r["identities"] == identities)
        .unwrap_or_else(|| panic!("no {identities} role in {report:#}"));
    role["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .map(|g| {
            (
                g["change"].as_str().unwrap_or_default().to_owned(),
                g["kind"].as_str().unwrap_or_default().to_owned(),
                g["mqtt"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn triple(change: &str, kind: &str, mqtt: &str) -> (String, String, String) {
    (change.into(), kind.into(), mqtt.into())
}

#[test]
fn no_change_is_reported_as_none_and_never_fails() {
    let r = Repo::with_shop();
    let ran = r.diff(&["--base", "HEAD"], 0);
    assert!(
        ran.stdout.starts_with("synth diff: out against ")
            && ran.stdout.contains("no changes (1 stack(s))"),
        "{}",
        ran.stdout
    );
    r.diff(&["--base", "HEAD", "--fail-on", "any"], 0);
    let json = r.json(&["--base", "HEAD"]);
    assert_eq!(json["summary"]["stacks_changed"], 0);
    assert_eq!(json["stacks"][0]["status"], "unchanged");
    let md = r.diff(&["--base", "HEAD", "--format", "markdown"], 0);
    assert!(
        md.stdout.contains("No changes: 1 stack(s) unchanged."),
        "{}",
        md.stdout
    );
}

#[test]
fn an_added_topic_broadens_both_layers_and_a_removed_one_narrows() {
    let r = Repo::with_shop();
    r.add_alerts();
    let ran = r.diff(&["--base", "HEAD"], 0);
    let text = &ran.stdout;
    assert!(
        text.contains("stack shop: changed (out/shop.template.yaml)"),
        "{text}"
    );
    assert!(
        text.contains("pool shop, role member: signed-in identities (effective grant: IAM role policy ∩ IoT policy)"),
        "{text}"
    );
    assert!(
        text.contains("+ broadening  subscribe shop/alerts  in IAM role policy mqtt-and-attach, IoT policy ShopIotPolicy"),
        "{text}"
    );
    assert!(
        text.contains(
            "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topicfilter/shop/alerts"
        ),
        "the policy resource is shown too: {text}"
    );
    let json = r.json(&["--base", "HEAD"]);
    assert_eq!(
        grants(&json, "authenticated"),
        [
            triple("added", "broadening", "subscribe shop/alerts"),
            triple("added", "broadening", "receive shop/alerts"),
        ]
    );
    let layers = &json["stacks"][0]["roles"][0]["grants"][0]["layers"];
    assert_eq!(layers[0]["layer"], "iam");
    assert_eq!(layers[1]["layer"], "iot");

    // Commit it, then take a publish topic away: narrowing, in both layers.
    r.commit("alerts");
    r.spec(&edit(
        &shop_with_alerts(),
        r#", "devices/${identity}/status"]"#,
        "]",
    ));
    r.build();
    let ran = r.diff(&["--base", "HEAD"], 0);
    assert!(
        ran.stdout.contains("- narrowing   publish devices/${identity}/status  in IAM role policy mqtt-and-attach, IoT policy ShopIotPolicy"),
        "{}",
        ran.stdout
    );
    let json = r.json(&["--base", "HEAD"]);
    assert_eq!(
        grants(&json, "authenticated"),
        [triple(
            "removed",
            "narrowing",
            "publish devices/${identity}/status"
        )]
    );
    assert_eq!(json["summary"]["narrowing"], 1);
    assert_eq!(json["summary"]["broadening"], 0);
    // Against the first commit, both changes show.
    let first = r.git(&["rev-list", "--max-parents=0", "HEAD"]);
    let json = r.json(&["--base", &first]);
    assert_eq!(json["summary"]["broadening"], 2);
    assert_eq!(json["summary"]["narrowing"], 1);
}

#[test]
fn a_guest_role_gaining_a_grant_is_a_broadening_of_the_iam_role_alone() {
    let r = Repo::with_shop();
    r.spec(&edit(
        &shop(),
        r#"subscribe: ["lobby/announcements"]"#,
        "subscribe: [\"lobby/announcements\"]\n    publish: [\"lobby/hello\"]",
    ));
    r.build();
    let ran = r.diff(&["--base", "HEAD"], 0);
    assert!(
        ran.stdout
            .contains("pool shop, role guest: guests (effective grant: the IAM role policy alone)"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("+ broadening  publish lobby/hello  in IAM role policy mqtt\n"),
        "{}",
        ran.stdout
    );
    let json = r.json(&["--base", "HEAD"]);
    assert_eq!(
        grants(&json, "unauthenticated"),
        [triple("added", "broadening", "publish lobby/hello")]
    );
    let role = &json["stacks"][0]["roles"][0];
    assert_eq!(role["role"], "guest");
    assert_eq!(role["role_id"], "ShopUnauthenticatedRole");
    let g = &role["grants"][0];
    assert_eq!(g["layers"].as_array().map(Vec::len), Some(1));
    assert_eq!(g["layers"][0]["policy"], "mqtt");
    assert_eq!(g["effective"], true);
    r.diff(&["--base", "HEAD", "--fail-on", "broadening"], 1);
}

#[test]
fn a_renamed_identity_pool_is_flagged_as_a_dangerous_replacement() {
    let r = Repo::with_shop();
    r.spec(&edit(&shop(), "\n  shop:\n", "\n  store:\n"));
    r.build();
    let ran = r.diff(&["--base", "HEAD"], 0);
    let text = &ran.stdout;
    assert!(
        text.contains("! StoreIdentityPool (AWS::Cognito::IdentityPool): REPLACED: logical id renamed: ShopIdentityPool -> StoreIdentityPool"),
        "{text}"
    );
    assert!(text.contains("every identity id changes"), "{text}");
    assert!(
        text.contains("! StoreIotPolicy (AWS::IoT::Policy): REPLACED: logical id renamed: ShopIotPolicy -> StoreIotPolicy"),
        "{text}"
    );
    assert!(text.contains("DeleteConflictException"), "{text}");
    // The grants did not change: the rename is reported once, not as every grant twice.
    assert!(
        text.contains("pool store (was shop), role member: signed-in identities"),
        "{text}"
    );
    let json = r.json(&["--base", "HEAD"]);
    assert_eq!(json["summary"]["broadening"], 0);
    assert_eq!(json["summary"]["narrowing"], 0);
    let pool = json["stacks"][0]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["type"] == "AWS::Cognito::IdentityPool")
        .expect("pool")
        .clone();
    assert_eq!(pool["change"], "replaced");
    assert_eq!(pool["replacement"]["cause"], "logical-id");
    assert_eq!(pool["replacement"]["old"], "ShopIdentityPool");
    assert_eq!(pool["replacement"]["new"], "StoreIdentityPool");
    assert!(pool["danger"].as_str().is_some());
    let md = r.diff(&["--base", "HEAD", "--format", "markdown"], 0);
    assert!(
        md.stdout.contains("| **replaced** | `StoreIdentityPool` | `AWS::Cognito::IdentityPool` | logical id renamed: `ShopIdentityPool` → `StoreIdentityPool`"),
        "{}",
        md.stdout
    );
}

#[test]
fn fail_on_broadening_fails_on_broadening_only() {
    let r = Repo::with_shop();
    // Narrowing only: a topic taken away.
    r.spec(&edit(&shop(), r#", "devices/${identity}/status"]"#, "]"));
    r.build();
    r.diff(&["--base", "HEAD", "--fail-on", "broadening"], 0);
    let ran = r.diff(&["--base", "HEAD", "--fail-on", "any"], 1);
    assert!(
        ran.stderr.contains("failing (--fail-on any)"),
        "{}",
        ran.stderr
    );
    r.diff(&["--base", "HEAD", "--fail-on", "never"], 0);
    r.diff(&["--base", "HEAD"], 0);
    // Broadening: a topic added.
    r.add_alerts();
    let ran = r.diff(&["--base", "HEAD", "--fail-on", "broadening"], 1);
    assert!(
        ran.stderr
            .contains("failing (--fail-on broadening): 2 broadening grant change(s)"),
        "{}",
        ran.stderr
    );
    // The report is printed even when the check fails.
    assert!(ran.stdout.contains("+ broadening"), "{}", ran.stdout);
}

#[test]
fn base_dir_compares_with_a_directory_outside_git() {
    // No repository at all.
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| support::synth(dir.path(), args, &[]);
    fs::create_dir_all(dir.path().join("stacks")).expect("mkdir");
    fs::write(dir.path().join("stacks/shop.yaml"), shop()).expect("write");
    assert_eq!(run(&["--out", "before"]).code, 0);
    fs::write(dir.path().join("stacks/shop.yaml"), shop_with_alerts()).expect("write");
    assert_eq!(run(&[]).code, 0);
    let ran = run(&["diff", "--base-dir", "before", "--format", "json"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let json: Value = serde_json::from_str(&ran.stdout).expect("json");
    assert_eq!(
        json["base"],
        serde_json::json!({ "kind": "dir", "dir": "before" })
    );
    assert_eq!(json["stacks"][0]["base_file"], "before/shop.template.yaml");
    assert_eq!(json["stacks"][0]["file"], "out/shop.template.yaml");
    assert_eq!(json["summary"]["broadening"], 2);
    let ran = run(&["diff", "--base-dir", "before"]);
    assert!(
        ran.stdout
            .starts_with("synth diff: out against before: 1 stack(s) changed"),
        "{}",
        ran.stdout
    );
    // Without --base-dir, outside a repository: exit 2, and a hint.
    let ran = run(&["diff"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("not in a git repository"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("--base-dir"), "{}", ran.stderr);
}

#[test]
fn hand_edited_create_only_properties_and_trust_policies_are_reported() {
    let r = Repo::with_shop();
    // A base where the IoT policy, the function and the attachment had other create-only
    // values, and the member role's trust allowed any kind of identity.
    let text = fs::read(r.path().join("out/shop.template.yaml")).expect("template");
    let mut old = cogsynth::source::parse("t.yaml", &text)
        .expect("parses")
        .value;
    let res = &mut old["Resources"];
    res["ShopIotPolicy"]["Properties"]["PolicyName"] = Value::from("shop-old");
    res["ShopAttachFunction"]["Properties"]["FunctionName"] = Value::from("shop-attach-old");
    res["ShopRoleAttachment"]["Properties"]["IdentityPoolId"] = Value::from("us-east-1:0000");
    res["ShopAuthenticatedRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
        ["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"] = Value::from("*");
    r.write(
        "base/shop.template.json",
        &serde_json::to_string_pretty(&old).expect("json"),
    );
    let json = r.json(&["--base-dir", "base"]);
    let resources = json["stacks"][0]["resources"]
        .as_array()
        .expect("resources");
    let find = |id: &str| {
        resources
            .iter()
            .find(|r| r["logical_id"] == id)
            .unwrap_or_else(|| panic!("{id} in {resources:#?}"))
    };
    for (id, property) in [
        ("ShopIotPolicy", "PolicyName"),
        ("ShopAttachFunction", "FunctionName"),
        ("ShopRoleAttachment", "IdentityPoolId"),
    ] {
        let r = find(id);
        assert_eq!(r["change"], "replaced", "{id}");
        assert_eq!(r["replacement"]["cause"], "property", "{id}");
        assert_eq!(r["replacement"]["property"], property, "{id}");
        assert!(r["danger"].as_str().is_some(), "{id}");
    }
    assert_eq!(find("ShopIotPolicy")["replacement"]["old"], "shop-old");
    assert_eq!(
        find("ShopIotPolicy")["replacement"]["new"],
        "${AWS::StackName}-shop"
    );
    assert_eq!(
        find("ShopRoleAttachment")["replacement"]["new"],
        "{Ref ShopIdentityPool}"
    );
    let role = find("ShopAuthenticatedRole");
    assert_eq!(role["change"], "modified");
    assert_eq!(
        role["trust"],
        serde_json::json!([{
            "path": "/Statement/0/Condition/ForAnyValue:StringLike/cognito-identity.amazonaws.com:amr",
            "old": "*",
            "new": "authenticated"
        }])
    );
    // A trust change cannot be judged automatically: --fail-on broadening fails on it.
    let ran = r.diff(&["--base-dir", "base", "--fail-on", "broadening"], 1);
    assert!(
        ran.stderr.contains("1 trust policy change(s)"),
        "{}",
        ran.stderr
    );
    let ran = r.diff(&["--base-dir", "base"], 0);
    assert!(
        ran.stdout.contains(
            "! ShopIotPolicy (AWS::IoT::Policy): REPLACED: PolicyName changed: shop-old -> ${AWS::StackName}-shop"
        ),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("trust policy: /Statement/0/Condition/ForAnyValue:StringLike/cognito-identity.amazonaws.com:amr: * -> authenticated"),
        "{}",
        ran.stdout
    );
}

#[test]
fn markdown_is_a_pr_comment_with_a_heading_per_stack_and_tables() {
    let r = Repo::with_shop();
    r.add_alerts();
    let md = r
        .diff(&["--base", "HEAD", "--format", "markdown"], 0)
        .stdout;
    let short: String = r.git(&["rev-parse", "--short=7", "HEAD"]);
    assert!(
        md.starts_with(&format!(
            "## Permission diff: `out` against HEAD (`{short}`)\n\n1 stack(s) changed, 0 unchanged · grants: **2 broadening**, 0 narrowing · resources: 0 added, 0 removed, 0 replaced, 2 modified\n"
        )),
        "{md}"
    );
    for line in [
        "### Stack `shop`: changed",
        "**Pool `shop`, role `member`**: signed-in identities (effective grant: IAM role policy ∩ IoT policy)",
        "| Change | Grant | Layer | Policy resource |",
        "| added, **broadening** | `subscribe shop/alerts` | IAM role policy `mqtt-and-attach`<br>IoT policy `ShopIotPolicy` | `arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topicfilter/shop/alerts` |",
        "| Change | Logical id | Type | Details |",
        "| modified | `ShopIotPolicy` | `AWS::IoT::Policy` | PolicyDocument |",
    ] {
        assert!(md.lines().any(|l| l == line), "no line {line:?} in\n{md}");
    }
    // Every table row has as many cells as its header.
    for l in md.lines().filter(|l| l.starts_with('|')) {
        assert_eq!(l.matches('|').count() - l.matches("\\|").count(), 5, "{l}");
    }
}

#[test]
fn json_has_the_documented_shape() {
    let r = Repo::with_shop();
    let base = r.git(&["rev-parse", "HEAD"]);
    r.add_alerts();
    let json = r.json(&["--base", "HEAD"]);
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(json["version"], 1);
    assert_eq!(
        json["base"],
        serde_json::json!({ "kind": "git", "rev": "HEAD", "commit": base })
    );
    assert_eq!(json["out"], "out");
    assert_eq!(
        keys(&json["summary"]),
        [
            "broadening",
            "cross_identity",
            "narrowing",
            "resources_added",
            "resources_modified",
            "resources_removed",
            "resources_replaced",
            "stacks_changed",
            "stacks_unchanged",
            "trust_changes"
        ]
    );
    let stack = &json["stacks"][0];
    assert_eq!(
        keys(stack),
        [
            "base_file",
            "file",
            "mappings",
            "resources",
            "roles",
            "sections",
            "stack",
            "status"
        ]
    );
    let role = &stack["roles"][0];
    assert_eq!(
        keys(role),
        [
            "broadened",
            "grants",
            "identities",
            "pool",
            "pool_renamed_from",
            "renamed_from",
            "role",
            "role_id",
            "status"
        ]
    );
    let grant = &role["grants"][0];
    assert_eq!(
        keys(grant),
        [
            "action",
            "change",
            "effect",
            "effective",
            "kind",
            "layers",
            "mqtt",
            "resource"
        ]
    );
    assert_eq!(grant["action"], "iot:Subscribe");
    assert_eq!(grant["effect"], "Allow");
    assert_eq!(keys(&grant["layers"][0]), ["layer", "policy", "resource"]);
    assert_eq!(grant["layers"][1]["policy"], Value::Null);
    let resource = &stack["resources"][0];
    assert_eq!(
        keys(resource),
        [
            "attributes",
            "change",
            "danger",
            "logical_id",
            "metadata",
            "properties",
            "replacement",
            "trust",
            "type"
        ]
    );
    // Deterministic: the same input prints the same bytes.
    let again = r.diff(&["--base", "HEAD", "--format", "json"], 0).stdout;
    assert_eq!(
        again,
        r.diff(&["--base", "HEAD", "--format", "json"], 0).stdout
    );
}

#[test]
fn the_default_base_is_head_on_main_and_the_merge_base_elsewhere() {
    let r = Repo::with_shop();
    // On main: committed vs working tree.
    r.add_alerts();
    let json = r.json(&[]);
    assert_eq!(json["base"]["rev"], "HEAD");
    assert_eq!(json["summary"]["broadening"], 2);
    // On a branch with the change committed, main moved on meanwhile: the merge base.
    let fork = r.git(&["rev-parse", "HEAD"]);
    r.git(&["checkout", "--quiet", "-b", "feature"]);
    r.commit("alerts");
    r.git(&["checkout", "--quiet", "main"]);
    r.write("README.md", "main moved on\n");
    r.commit("readme");
    r.git(&["checkout", "--quiet", "feature"]);
    let json = r.json(&[]);
    assert_eq!(json["base"]["rev"], "merge-base of HEAD and main");
    assert_eq!(json["base"]["commit"], fork);
    assert_eq!(json["summary"]["broadening"], 2);
    // origin/main wins over main when there is one.
    r.git(&["update-ref", "refs/remotes/origin/main", "feature"]);
    let json = r.json(&[]);
    assert_eq!(json["base"]["rev"], "HEAD");
    assert_eq!(json["summary"]["stacks_changed"], 0);
}

#[test]
fn the_text_diff_is_coloured_only_when_asked() {
    let r = Repo::with_shop();
    r.add_alerts();
    let plain = r.diff(&["--base", "HEAD", "--color", "never"], 0).stdout;
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
    let piped = r.diff(&["--base", "HEAD"], 0).stdout;
    assert_eq!(piped, plain, "a pipe gets no colour");
    let coloured = r.diff(&["--base", "HEAD", "--color", "always"], 0).stdout;
    assert!(
        coloured.contains("\u{1b}[32m    + broadening  subscribe shop/alerts"),
        "{coloured:?}"
    );
    // Markdown and JSON are for machines and PR comments: never painted.
    let md = r
        .diff(
            &[
                "--base", "HEAD", "--color", "always", "--format", "markdown",
            ],
            0,
        )
        .stdout;
    assert!(!md.contains('\u{1b}'));
}

#[test]
fn a_stale_out_is_refused_naming_the_stale_files() {
    let r = Repo::with_shop();
    // The spec gains a grant, and synth is not run: out/ still says what HEAD says.
    r.spec(&shop_with_alerts());
    let ran = r.diff(&["--base", "HEAD"], 2);
    assert_eq!(ran.stdout, "", "no report of a stale out/");
    assert_eq!(
        ran.stderr,
        "out: error[stale]: out is not what the specs in stacks compile to now:\n  \
         out/shop.template.yaml: stale: stacks/shop.yaml generates other content\n  \
         = help: run `synth` (and commit out), then `synth diff` again: a diff of a stale out would describe permissions the specs no longer grant\n"
    );
    // Every format, every --fail-on: the same refusal.
    r.diff(
        &["--base", "HEAD", "--format", "json", "--fail-on", "never"],
        2,
    );
    // A new spec not built yet is missing; a template whose spec is gone is orphaned.
    r.write(
        "stacks/more.yaml",
        &shop().replace("stack: shop", "stack: more"),
    );
    r.write("out/gone.template.yaml", &r.read("out/shop.template.yaml"));
    let ran = r.diff(&["--base", "HEAD"], 2);
    for line in [
        "  out/gone.template.yaml: orphaned: no spec generates it\n",
        "  out/more.template.yaml: missing: stacks/more.yaml generates it\n",
        "  out/shop.template.yaml: stale: stacks/shop.yaml generates other content\n",
    ] {
        assert!(ran.stderr.contains(line), "{line}: {}", ran.stderr);
    }
    // A file name from the listing of out/ cannot write lines of its own into the CI log.
    r.write(
        "out/x\n## forged\u{1b}[2J.template.yaml",
        &r.read("out/shop.template.yaml"),
    );
    let ran = r.diff(&["--base", "HEAD"], 2);
    assert!(
        ran.stderr
            .contains("out/x\\n## forged\\u{1b}[2J.template.yaml: "),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("\n## forged"), "{}", ran.stderr);
    fs::remove_file(r.path().join("out/x\n## forged\u{1b}[2J.template.yaml")).expect("rm");
    // A spec with errors: nothing is generated from it, so out/ cannot be current.
    fs::remove_file(r.path().join("out/gone.template.yaml")).expect("rm");
    r.write("stacks/more.yaml", "version: 1\nstack: more\nstakc: x\n");
    let ran = r.diff(&["--base", "HEAD"], 2);
    assert!(
        ran.stderr
            .contains("  stacks/more.yaml: has errors, so nothing in it is generated\n"),
        "{}",
        ran.stderr
    );
    // Once synth has run, the diff describes the change.
    fs::remove_file(r.path().join("stacks/more.yaml")).expect("rm");
    r.build();
    let ran = r.diff(&["--base", "HEAD"], 0);
    assert!(
        ran.stdout.contains("+ broadening  subscribe shop/alerts"),
        "{}",
        ran.stdout
    );
    // Without a stacks directory there is nothing to check against, and the diff says so.
    let ran = r.diff(&["--base", "HEAD", "--stacks", "none"], 0);
    assert!(
        ran.stderr.contains(
            "synth diff: note: no stacks directory none: cannot check that out is what the specs compile to; describing out as it is"
        ),
        "{}",
        ran.stderr
    );
}

#[test]
fn unusable_input_is_exit_2_with_a_clear_message() {
    let r = Repo::with_shop();
    let ran = r.diff(&["--base", "no-such-rev"], 2);
    assert_eq!(
        ran.stderr.lines().next(),
        Some("synth diff: error: `no-such-rev` is not a commit in this repository"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("= help: "), "{}", ran.stderr);
    assert!(ran.stdout.is_empty());
    let ran = r.diff(&["--base=--help"], 2);
    assert!(
        ran.stderr.contains("is not a git revision"),
        "{}",
        ran.stderr
    );
    // A missing out/ directory.
    let ran = r.diff(&["--base", "HEAD", "--out", "nowhere"], 2);
    assert!(
        ran.stderr
            .starts_with("nowhere: error[io]: cannot read the template directory"),
        "{}",
        ran.stderr
    );
    // A malformed template in the base.
    r.write("bad/shop.template.yaml", "Resources: [unclosed\n");
    let ran = r.diff(&["--base-dir", "bad"], 2);
    assert!(
        ran.stderr.starts_with("bad/shop.template.yaml:"),
        "{}",
        ran.stderr
    );
    // A malformed template in a revision.
    r.write("out/shop.template.yaml", "{");
    r.commit("broken");
    r.build();
    let ran = r.diff(&["--base", "HEAD"], 2);
    assert!(
        ran.stderr.starts_with("HEAD:out/shop.template.yaml:"),
        "{}",
        ran.stderr
    );
    // A repository without a main branch, and no --base.
    let lone = Repo::new();
    lone.git(&["checkout", "--quiet", "-b", "topic"]);
    lone.spec(&shop());
    lone.build();
    lone.commit("first");
    let ran = lone.diff(&[], 2);
    assert!(ran.stderr.contains("no main branch"), "{}", ran.stderr);
}

#[test]
fn stacks_added_and_removed_and_a_base_without_out() {
    let r = Repo::new();
    r.write("README.md", "empty\n");
    r.commit("empty");
    r.spec(&shop());
    r.build();
    // The base has no out/ at all: every stack is added.
    let ran = r.diff(&["--base", "HEAD", "--format", "json"], 0);
    assert!(
        ran.stderr.contains("out/ does not exist at HEAD"),
        "{}",
        ran.stderr
    );
    let json: Value = serde_json::from_str(&ran.stdout).expect("json");
    assert_eq!(json["stacks"][0]["status"], "added");
    assert_eq!(json["stacks"][0]["base_file"], Value::Null);
    assert_eq!(
        grants(&json, "unauthenticated"),
        [
            triple("added", "broadening", "connect ${identity}"),
            triple("added", "broadening", "subscribe lobby/announcements"),
            triple("added", "broadening", "receive lobby/announcements"),
        ]
    );
    r.commit("shop");
    // The stack's spec and template go: removed, with what deleting it breaks.
    fs::remove_file(r.path().join("stacks/shop.yaml")).expect("rm");
    fs::remove_file(r.path().join("out/shop.template.yaml")).expect("rm");
    let ran = r.diff(&["--base", "HEAD"], 0);
    assert!(
        ran.stdout
            .contains("stack shop: removed (out/shop.template.yaml)"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("- ShopIotPolicy (AWS::IoT::Policy): removed\n        danger: signed-in identities lose what this IoT policy granted"),
        "{}",
        ran.stdout
    );
}

#[test]
fn changes_outside_resources_are_named() {
    let r = Repo::with_shop();
    r.spec(&edit(
        &shop(),
        "    description: Cognito user pool that signs users in\n",
        "    description: Cognito user pool that signs users in\n    default: us-east-1_Shop1\n",
    ));
    r.build();
    let json = r.json(&["--base", "HEAD"]);
    assert_eq!(json["stacks"][0]["status"], "changed");
    assert_eq!(
        json["stacks"][0]["sections"],
        serde_json::json!(["Parameters"])
    );
    assert_eq!(json["stacks"][0]["roles"], serde_json::json!([]));
    let ran = r.diff(&["--base", "HEAD", "--fail-on", "any"], 1);
    assert!(
        ran.stdout
            .contains("stack shop: changed (out/shop.template.yaml)\n  also changed: Parameters\n"),
        "{}",
        ran.stdout
    );
    r.diff(&["--base", "HEAD", "--fail-on", "broadening"], 0);
}

#[test]
fn a_template_format_switch_is_no_change() {
    let r = Repo::with_shop();
    let ran = r.synth(&["--template-format", "json"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let json = r.json(&["--base", "HEAD"]);
    assert_eq!(json["summary"]["stacks_changed"], 0, "{json:#}");
    assert!(
        json["stacks"][0]["file"]
            .as_str()
            .is_some_and(|f| Path::new(f).extension().is_some_and(|e| e == "json")),
        "{json:#}"
    );
}

/// Topics no spec can hold any more (they are refused at `file:line:col`), written into a
/// template by hand, as an old or hostile base could hold them.
const HOSTILE_TOPICS: [&str; 5] = [
    "a\n## Pwned <!--",
    "b|c`d\r\u{1b}[2Jx",
    "e\u{2028}f\u{85}g",
    "<script>alert(1)</script>",
    "[click](http://example.com) **bold** ~~x~~ &amp;",
];

/// A base of the committed shop templates, and an out/ whose member role may also subscribe to
/// every one of [`HOSTILE_TOPICS`] in both layers.
fn hostile_out(r: &Repo) {
    let text = fs::read(r.path().join("out/shop.template.yaml")).expect("template");
    let base = cogsynth::source::parse("t.yaml", &text)
        .expect("parses")
        .value;
    let mut new = base.clone();
    add_subscribe_filters(&mut new, HOSTILE_TOPICS.iter().map(|t| (*t).to_owned()));
    for (dir, value) in [("base", &base), ("new", &new)] {
        r.write(
            &format!("{dir}/shop.template.json"),
            &serde_json::to_string_pretty(value).expect("json"),
        );
    }
}

#[test]
fn hostile_topics_cannot_end_a_markdown_row_or_hide_the_rest_of_the_comment() {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let r = Repo::with_shop();
    hostile_out(&r);
    let md = r
        .diff(
            &[
                "--base-dir",
                "base",
                "--out",
                "new",
                "--stacks",
                "none",
                "--format",
                "markdown",
            ],
            0,
        )
        .stdout;
    let mut headings = 0;
    let mut rows = 0;
    let mut html = Vec::new();
    let mut code = String::new();
    let mut in_heading = false;
    for event in Parser::new_ext(&md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                headings += 1;
                in_heading = true;
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Start(Tag::TableRow) => rows += 1,
            Event::Html(h) | Event::InlineHtml(h) => html.push(h.to_string()),
            Event::Code(c) if !in_heading => {
                code.push_str(&c);
                code.push('\n');
            }
            Event::Start(
                Tag::Link { .. } | Tag::Strikethrough | Tag::Image { .. } | Tag::HtmlBlock,
            ) => panic!("{event:?} in\n{md}"),
            _ => {}
        }
    }
    // Two headings (the report, the stack); the only HTML is synth's own: line breaks in a
    // cell and the footer.
    assert_eq!(headings, 2, "{md}");
    assert!(
        html.iter()
            .all(|h| ["<br>", "<sub>", "</sub>"].contains(&h.as_str())),
        "{html:?} in\n{md}"
    );
    // Five subscribe grants and two modified resources: seven body rows, none cut short.
    assert_eq!(rows, 7, "{md}");
    for shown in [
        "a\\n## Pwned <!--",
        "b|c`d\\r\\u{1b}[2Jx",
        "e\\u{2028}f\\u{85}g",
        "<script>alert(1)</script>",
    ] {
        assert!(code.contains(shown), "{shown:?} not in code spans:\n{code}");
    }
    assert!(
        !md.chars()
            .any(|c| c != '\n' && cogsynth::text::is_hazard(c))
    );
}

#[test]
fn hostile_topics_print_as_one_escaped_line_each_in_text() {
    let r = Repo::with_shop();
    hostile_out(&r);
    let text = r
        .diff(
            &["--base-dir", "base", "--out", "new", "--stacks", "none"],
            0,
        )
        .stdout;
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && cogsynth::text::is_hazard(c))
    );
    assert!(
        text.lines()
            .any(|l| l.ends_with(":topicfilter/a\\n## Pwned <!--")),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("## Pwned")), "{text}");
}

/// A broadened grant that reaches into another identity's subtree is labelled cross-identity,
/// with the topic it reaches, in every format (synth itself refuses such a spec, CIP-IOTP-010;
/// here it is waived so that out/ can hold it, as a reviewed exception or an old synth's
/// output would).
#[test]
fn a_grant_reaching_another_identitys_subtree_is_cross_identity() {
    let r = Repo::with_shop();
    let spec = edit(
        &shop(),
        r#"subscribe: ["shop/news/#"]"#,
        r#"subscribe: ["shop/news/#", "devices/+/commands"]"#,
    ) + "waivers:\n  - { rule: CIP-IOTP-010, reason: testing the diff label of a reviewed exception }\n";
    r.spec(&spec);
    r.build();
    let json = r.json(&["--base", "HEAD"]);
    let role = &json["stacks"][0]["roles"][0];
    let labelled: Vec<(&str, &str)> = role["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .filter_map(|g| Some((g["mqtt"].as_str()?, g["cross_identity"].as_str()?)))
        .collect();
    assert_eq!(
        labelled,
        [
            (
                "subscribe devices/*/commands",
                "devices/us-east-1:2222/commands/commands"
            ),
            (
                "receive devices/*/commands",
                "devices/us-east-1:2222/commands/commands"
            ),
        ],
        "{json:#}"
    );
    assert_eq!(json["summary"]["cross_identity"], 2);
    let text = r.diff(&["--base", "HEAD"], 0).stdout;
    assert!(
        text.contains("+ CROSS-IDENTITY  subscribe devices/*/commands"),
        "{text}"
    );
    assert!(
        text.contains(
            "(reaches `devices/us-east-1:2222/commands/commands`: another identity's topic"
        ),
        "{text}"
    );
    let md = r
        .diff(&["--base", "HEAD", "--format", "markdown"], 0)
        .stdout;
    assert!(md.contains("| added, **broadening**, **cross-identity** | `subscribe devices/*/commands`<br>**reaches `devices/us-east-1:2222/commands/commands`**"), "{md}");
    // A grant that only broadens, next to no per-identity subtree, keeps its plain label.
    let r = Repo::with_shop();
    r.add_alerts();
    let json = r.json(&["--base", "HEAD"]);
    assert_eq!(json["summary"]["cross_identity"], 0, "{json:#}");
}

/// A role-mapping change reads as which tokens now get which role, and a group moving to a role
/// with more access is broadening (`--fail-on broadening` fails), in text, Markdown and JSON.
#[test]
fn role_mapping_changes_are_told_in_words_and_judged() {
    let spec = fs::read_to_string(repo().join("stacks/field-service.yaml")).unwrap();
    let scratch = support::Scratch::new().file("stacks/field-service.yaml", &spec);
    assert_eq!(scratch.run(&["--out", "old"]).code, 0);
    let moved = edit(
        &spec,
        "equals: installers, role: installer",
        "equals: installers, role: support",
    );
    let scratch = scratch.file("stacks/field-service.yaml", &moved);
    let built = scratch.run(&["--out", "new"]);
    assert_eq!(
        built.code, 1,
        "the installers' expectations now fail: {built:?}"
    );
    // Build without the expectations that the move breaks, to diff the templates.
    let cut = moved.find("\nexpect:").unwrap();
    let scratch = scratch.file("stacks/field-service.yaml", &moved[..=cut]);
    assert_eq!(scratch.run(&["--out", "new"]).code, 0);
    let text = scratch.run(&[
        "diff",
        "--base-dir",
        "old",
        "--out",
        "new",
        "--fail-on",
        "broadening",
    ]);
    assert_eq!(text.code, 1, "{text:?}");
    assert!(
        text.stdout.contains("pool service, role mapping: broadening  tokens whose `cognito:groups` equals `installers` now get role support (was role installer)"),
        "{}",
        text.stdout
    );
    let md = scratch.run(&[
        "diff",
        "--base-dir",
        "old",
        "--out",
        "new",
        "--format",
        "markdown",
    ]);
    assert!(md.stdout.contains("**Role mapping**"), "{}", md.stdout);
    assert!(md.stdout.contains("| **broadening** |"), "{}", md.stdout);
    let json = scratch.run(&[
        "diff",
        "--base-dir",
        "old",
        "--out",
        "new",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v["stacks"][0]["mappings"][0],
        serde_json::json!({
            "pool": "service",
            "words": "tokens whose `cognito:groups` equals `installers` now get role support (was role installer)",
            "was": "installer",
            "now": "support",
            "kind": "broadening"
        })
    );
    assert!(v["summary"]["broadening"].as_u64().unwrap() >= 1);
}

#[test]
fn identical_templates_are_not_parsed_and_changed_ones_are() {
    // A malformed template (no stack generates it, so the stale check leaves it alone) on both
    // sides with the same bytes: unchanged, never parsed, so no error. With other bytes it is
    // parsed, and an error (before this, an identical malformed template was an error too).
    let r = Repo::with_shop();
    r.write("out/broken.template.yaml", "Resources: [unclosed\n");
    r.commit("broken");
    let json = r.json(&["--base", "HEAD"]);
    let broken = &json["stacks"][0];
    assert_eq!(broken["stack"], "broken", "{json:#}");
    assert_eq!(broken["status"], "unchanged", "{json:#}");
    assert_eq!(broken["base_file"], "out/broken.template.yaml");
    assert_eq!(broken["file"], "out/broken.template.yaml");
    // The same through a directory base.
    r.write("old/broken.template.yaml", "Resources: [unclosed\n");
    r.write("old/shop.template.yaml", &r.read("out/shop.template.yaml"));
    let ran = r.diff(&["--base-dir", "old"], 0);
    assert!(ran.stdout.contains("no changes (2 stack(s))"), "{ran:?}");
    // Changed and still malformed: parsed, so an error at its position, and no report.
    r.write("out/broken.template.yaml", "Resources: [still unclosed\n");
    let ran = r.diff(&["--base", "HEAD"], 2);
    assert!(
        ran.stderr.starts_with("out/broken.template.yaml:1:"),
        "{}",
        ran.stderr
    );
    assert!(ran.stdout.is_empty(), "{}", ran.stdout);
    // The current side is read first: its error is the one shown.
    let ran = r.diff(&["--base-dir", "old"], 2);
    assert!(
        ran.stderr.starts_with("out/broken.template.yaml:1:"),
        "{}",
        ran.stderr
    );
}

/// A spec like the fixture's, for stack `name`.
fn shop_named(name: &str) -> String {
    edit(&shop(), "stack: shop\n", &format!("stack: {name}\n"))
}

#[test]
fn unchanged_stacks_are_counted_and_listed_with_verbose() {
    let r = Repo::with_shop();
    for name in ["aisle", "till"] {
        r.write(&format!("stacks/{name}.yaml"), &shop_named(name));
    }
    r.build();
    r.commit("three shops");
    r.add_alerts();
    let ran = r.diff(&["--base", "HEAD"], 0);
    assert!(
        ran.stdout
            .ends_with("\nunchanged: 2 stack(s) (`synth diff --verbose` lists them)\n"),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("aisle"), "{}", ran.stdout);
    let ran = r.diff(&["--base", "HEAD", "--verbose"], 0);
    assert!(
        ran.stdout.ends_with("\nunchanged: aisle, till\n"),
        "{}",
        ran.stdout
    );
    let md = r
        .diff(&["--base", "HEAD", "--format", "markdown"], 0)
        .stdout;
    assert!(
        md.contains("\n\nUnchanged: 2 stack(s) (`synth diff --verbose` lists them).\n\n<sub>"),
        "{md}"
    );
    let md = r
        .diff(&["--base", "HEAD", "--format", "markdown", "--verbose"], 0)
        .stdout;
    assert!(
        md.contains("\n\nUnchanged: `aisle`, `till`.\n\n<sub>"),
        "{md}"
    );
    // JSON lists every stack, with or without --verbose.
    let json = r.json(&["--base", "HEAD"]);
    let stacks: Vec<(&str, &str)> = json["stacks"]
        .as_array()
        .expect("stacks")
        .iter()
        .map(|s| {
            (
                s["stack"].as_str().unwrap_or_default(),
                s["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        stacks,
        [
            ("aisle", "unchanged"),
            ("shop", "changed"),
            ("till", "unchanged")
        ]
    );
    // Nothing changed: the count is the whole report; --verbose names them.
    r.commit("alerts");
    let ran = r.diff(&["--base", "HEAD", "--verbose"], 0);
    assert_eq!(
        ran.stdout.lines().nth(1),
        Some("unchanged: aisle, shop, till"),
        "{}",
        ran.stdout
    );
}

#[test]
fn a_sha256_repository_compares_bytes() {
    // Blob ids there are SHA-256: synth cannot compute them, so it reads the base's bytes.
    let r = Repo {
        dir: tempfile::tempdir().expect("temp dir"),
    };
    r.git(&["init", "--quiet", "--object-format=sha256"]);
    r.spec(&shop());
    r.build();
    // Identical bytes are found without parsing there too (see the test above).
    r.write("out/broken.template.yaml", "Resources: [unclosed\n");
    let commit = r.commit("shop");
    assert_eq!(commit.len(), 64, "not a SHA-256 repository");
    let json = r.json(&["--base", "HEAD"]);
    assert_eq!(json["stacks"][0]["status"], "unchanged", "{json:#}");
    assert_eq!(json["stacks"][1]["status"], "unchanged", "{json:#}");
    r.add_alerts();
    let json = r.json(&["--base", "HEAD"]);
    assert_eq!(json["stacks"][1]["status"], "changed", "{json:#}");
    assert_eq!(json["summary"]["broadening"], 2, "{json:#}");
    r.write("out/broken.template.yaml", "Resources: [still unclosed\n");
    let ran = r.diff(&["--base", "HEAD"], 2);
    assert!(
        ran.stderr.starts_with("out/broken.template.yaml:1:"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_markdown_report_too_long_for_a_comment_is_cut_between_stacks() {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    const STACKS: usize = 120;
    let r = Repo::with_shop();
    // Templates written by hand (no stacks directory): each of STACKS stacks gains 40 topics
    // in both layers, some 6 KiB of Markdown each, far more than a comment holds.
    let text = fs::read(r.path().join("out/shop.template.yaml")).expect("template");
    let base = cogsynth::source::parse("t.yaml", &text)
        .expect("parses")
        .value;
    let base_text = serde_json::to_string_pretty(&base).expect("json");
    for i in 0..STACKS {
        let mut new = base.clone();
        add_subscribe_filters(&mut new, (0..40).map(|t| format!("shop/{i}/topic-{t}")));
        let name = format!("s{i:03}.template.json");
        r.write(&format!("base/{name}"), &base_text);
        r.write(
            &format!("new/{name}"),
            &serde_json::to_string_pretty(&new).expect("json"),
        );
    }
    // And one unchanged stack.
    r.write("base/same.template.json", &base_text);
    r.write("new/same.template.json", &base_text);
    let args = [
        "--base-dir",
        "base",
        "--out",
        "new",
        "--stacks",
        "none",
        "--format",
    ];
    let md = r.diff(&[&args[..], &["markdown"]].concat(), 0).stdout;
    assert!(md.len() <= 65_536, "{} bytes", md.len());
    assert!(md.len() > 60_000, "cut far too early: {} bytes", md.len());
    // Summary first.
    assert!(
        md.lines().nth(2).is_some_and(|l| l.starts_with(&format!(
            "{STACKS} stack(s) changed, 1 unchanged · grants: **{} broadening**",
            STACKS * 40
        ))),
        "{md}"
    );
    // Headings, and the table rows under each.
    let mut sections: Vec<(String, usize)> = Vec::new();
    let mut in_heading = false;
    for event in Parser::new_ext(&md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                sections.push((String::new(), 0));
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Text(t) | Event::Code(t) if in_heading => {
                sections.last_mut().expect("a heading").0.push_str(&t);
            }
            Event::Start(Tag::TableRow) => sections.last_mut().expect("a heading").1 += 1,
            Event::Start(Tag::Link { .. } | Tag::HtmlBlock) => panic!("{event:?} in\n{md}"),
            _ => {}
        }
    }
    // The report's heading, then whole stack sections in name order: every one shown has all
    // the rows of the first (all stacks changed alike), the last one included.
    let stacks = &sections[1..];
    let shown = stacks.len();
    assert!(shown > 0 && shown < STACKS, "{shown} stacks shown");
    for (i, (heading, rows)) in stacks.iter().enumerate() {
        assert_eq!(*heading, format!("Stack s{i:03}: changed"));
        assert_eq!(*rows, stacks[0].1, "{heading}");
    }
    // 40 grant rows (each in both layers) and two modified resources.
    assert_eq!(stacks[0].1, 42);
    let note = format!(
        "|\n\n**{} of {STACKS} changed stack(s) not shown** ({} of them with broadening changes): this comment would pass GitHub's limit of 65,536 characters. The full report: `synth diff --format json`, or the text report (`synth diff`) kept as a CI artifact.\n\n",
        STACKS - shown,
        STACKS - shown
    );
    let at = md.find(&note).unwrap_or_else(|| panic!("no note in\n{md}"));
    assert!(
        md[at..].contains("Unchanged: 1 stack(s) (`synth diff --verbose` lists them).\n\n<sub>"),
        "{}",
        &md[at..]
    );
    // JSON stays complete.
    let json: Value =
        serde_json::from_str(&r.diff(&[&args[..], &["json"]].concat(), 0).stdout).expect("json");
    assert_eq!(json["stacks"].as_array().map(Vec::len), Some(STACKS + 1));
}

/// A template reached through a symbolic link is read as `synth --check` reads it (it was
/// reported removed), and a file in out/ whose name is not UTF-8, which synth never writes, is
/// skipped with a note (it was "no such file").
#[cfg(unix)]
#[test]
fn symlinked_templates_are_read_and_non_utf8_names_skipped() {
    use std::os::unix::ffi::OsStrExt as _;
    let r = Repo::with_shop();
    let template = r.read("out/shop.template.yaml");
    r.write("old/shop.template.yaml", &template);
    r.write("kept/shop.template.yaml", &template);
    fs::remove_file(r.path().join("out/shop.template.yaml")).expect("rm");
    std::os::unix::fs::symlink(
        "../kept/shop.template.yaml",
        r.path().join("out/shop.template.yaml"),
    )
    .expect("symlink");
    let ran = r.diff(&["--base-dir", "old", "--format", "json"], 0);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).expect("json");
    assert_eq!(report["stacks"][0]["status"], "unchanged", "{}", ran.stdout);
    // Committed, the link is a blob holding its target's path: not read as a template, said so.
    r.commit("out/ through a link");
    let ran = r.diff(&["--base", "HEAD"], 0);
    assert!(
        ran.stderr
            .contains("out/shop.template.yaml: skipped at HEAD"),
        "{}",
        ran.stderr
    );
    fs::write(
        r.path()
            .join("out")
            .join(std::ffi::OsStr::from_bytes(b"x\xff.template.yaml")),
        &template,
    )
    .expect("write");
    let ran = r.diff(&["--base-dir", "old"], 0);
    assert!(
        ran.stderr.contains(
            "out/x\u{fffd}.template.yaml: skipped: its name is not UTF-8, so synth did not write it"
        ),
        "{}",
        ran.stderr
    );
}

/// Adds `filters` to the subscribe statements of the shop template's two layers (its IAM role
/// policy and its IoT policy), as `topicfilter/` ARNs.
fn add_subscribe_filters(template: &mut serde_json::Value, filters: impl Iterator<Item = String>) {
    let arns: Vec<serde_json::Value> = filters
        .map(|t| serde_json::json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iot:${{AWS::Region}}:${{AWS::AccountId}}:topicfilter/{t}") }))
        .collect();
    for path in [
        "/Resources/ShopAuthenticatedRole/Properties/Policies/0/PolicyDocument/Statement",
        "/Resources/ShopIotPolicy/Properties/PolicyDocument/Statement",
    ] {
        let subscribe = template
            .pointer_mut(path)
            .expect("statements")
            .as_array_mut()
            .expect("statements")
            .iter_mut()
            .find(|s| s["Action"] == "iot:Subscribe")
            .expect("a subscribe statement");
        let list = subscribe["Resource"].as_array_mut().expect("resources");
        list.extend(arns.iter().cloned());
    }
}
