//! `synth deploy-command STACK`: prints the exact `aws cloudformation deploy` invocation for the
//! stack whose spec (in `--stacks`) says `stack: STACK`, for its generated template in `--out`.
//! Reads specs and the template; writes nothing but stdout (the command) and stderr (notes on
//! what the user must fill in). Facts (docs/aws-facts.md §6.1, §6.2): the 51,200-byte inline
//! template limit; `deploy` flags, capabilities, parameter overrides, empty change sets.
//! Must not: print an error (it returns it), or name an out/ file itself (`layout` does).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::DeployCommandArgs;
use crate::diag::io_words;
use crate::error::{Error, Exit};
use crate::input::{SPEC_MAX_BYTES, read_bounded};
use crate::layout::{self, display};
use crate::limits::TEMPLATE_BODY_BYTES;
use crate::spec::{self, Spec};

/// Stands for a parameter value the spec has no default for.
pub const PARAMETER_PLACEHOLDER: &str = "REPLACE_ME";

/// Stands for the S3 bucket of an oversized template.
pub const BUCKET_PLACEHOLDER: &str = "REPLACE_WITH_BUCKET";

/// Properties that name an IAM resource: any of them needs `CAPABILITY_NAMED_IAM`
/// (docs/aws-facts.md §6.2). synth never sets them; a hand-edited or future template might.
const IAM_NAMES: [&str; 5] = [
    "RoleName",
    "UserName",
    "GroupName",
    "ManagedPolicyName",
    "InstanceProfileName",
];

/// Runs `synth deploy-command`: the command on stdout, notes on stderr.
pub fn run(
    args: &DeployCommandArgs,
    cwd: &Path,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Exit, Error> {
    let found = command(args, cwd)?;
    super::print(stdout, &found.command, "the command")?;
    for n in &found.notes {
        let _ = writeln!(stderr, "synth deploy-command: note: {n}");
    }
    Ok(Exit::Ok)
}

/// An error in what the command line names.
fn usage(message: String) -> Error {
    Error::Usage {
        command: "deploy-command",
        message,
        help: None,
    }
}

/// The command and the notes that go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployCommand {
    /// The shell command, one flag per line joined with ` \`, ending in a newline.
    pub command: String,
    /// What the user must fill in before running it.
    pub notes: Vec<String>,
}

/// Finds the stack's spec and template and builds the command.
pub fn command(args: &DeployCommandArgs, cwd: &Path) -> Result<DeployCommand, Error> {
    let (spec, spec_file) = find_spec(&args.stacks, &args.stack, cwd)?;
    let env = match &args.env {
        None => None,
        Some(name) => {
            let Some(e) = spec.environments.get(name) else {
                let known: Vec<&str> = spec.environments.keys().map(String::as_str).collect();
                let known = if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                };
                return Err(usage(format!(
                    "{spec_file} has no environment `{name}` (environments: {known})"
                )));
            };
            Some((name.as_str(), e))
        }
    };
    // Each environment is its own stack, so names derived from the stack name stay distinct.
    let stack_name = spec.stack_name(env.map(|(name, _)| name));
    let (template, bytes) = find_template(&args.out, &args.stack, cwd)?;
    let shown = display(&template);
    let size = bytes.len();
    let parsed = parse_template(&shown, &template, &bytes)?;

    let mut notes = Vec::new();
    let capability = if names_iam_resources(&parsed) {
        "CAPABILITY_NAMED_IAM"
    } else {
        // Templates without custom IAM names need only CAPABILITY_IAM (docs/aws-facts.md §6.2).
        "CAPABILITY_IAM"
    };
    let mut flags: Vec<String> = vec![
        format!("--template-file {}", quote(&shown)),
        format!("--stack-name {}", quote(&stack_name)),
        format!("--capabilities {capability}"),
        // CLI v1 fails on an empty change set by default, v2 does not: say it, so a rerun
        // without changes succeeds on either.
        "--no-fail-on-empty-changeset".to_owned(),
    ];
    // Above the inline limit `deploy` must upload the template to S3, and aborts without
    // `--s3-bucket` (docs/aws-facts.md §6.1, §6.2).
    if size > TEMPLATE_BODY_BYTES {
        flags.push(format!("--s3-bucket {BUCKET_PLACEHOLDER}"));
        notes.push(format!(
            "{shown} is {size} bytes, over the {TEMPLATE_BODY_BYTES} bytes CloudFormation accepts inline: `deploy` uploads it to S3 first; replace {BUCKET_PLACEHOLDER} with a bucket you can write to"
        ));
    }
    let (overrides, missing) = overrides(&spec, env.map(|(_, e)| e));
    if let Some((name, _)) = env {
        // Key=Value pairs work with AWS CLI v1 and v2; only v2 reads a parameter file here.
        let file = args.out.join(layout::parameters_name(&spec.stack, name));
        notes.push(format!(
            "with AWS CLI v2 the values can also come from the parameter file: --parameter-overrides file://{}",
            display(&file)
        ));
    }
    if !overrides.is_empty() {
        // Last, because it takes every following word as a Key=Value pair.
        flags.push(format!("--parameter-overrides {}", overrides.join(" ")));
    }
    if !missing.is_empty() {
        notes.push(format!(
            "{spec_file} gives no default for {}: replace {PARAMETER_PLACEHOLDER} with the value(s)",
            missing.join(", ")
        ));
    }
    let mut command = String::from("aws cloudformation deploy");
    for f in flags {
        let _ = write!(command, " \\\n  {f}");
    }
    command.push('\n');
    Ok(DeployCommand { command, notes })
}

/// `Name=value` for every spec parameter (the environment's value, its default, or the
/// placeholder), in name order, and the names that got the placeholder.
fn overrides(spec: &Spec, env: Option<&crate::spec::Environment>) -> (Vec<String>, Vec<String>) {
    let mut pairs = Vec::new();
    let mut missing = Vec::new();
    for (name, p) in &spec.parameters {
        let given = env.and_then(|e| e.parameters.get(name)).cloned();
        let value = given.or_else(|| p.default.clone()).unwrap_or_else(|| {
            missing.push(name.clone());
            PARAMETER_PLACEHOLDER.to_owned()
        });
        pairs.push(quote(&format!("{name}={value}")));
    }
    (pairs, missing)
}

/// The spec whose `stack:` is `stack`, and its file as shown.
fn find_spec(dir: &Path, stack: &str, cwd: &Path) -> Result<(Spec, String), Error> {
    let shown_dir = display(dir);
    // Every spec `synth` builds, symbolic links included: `read_bounded` refuses what is not a
    // regular file (a FIFO, a directory), and such a file is skipped with a note.
    let names: Vec<String> = layout::spec_entries(&cwd.join(dir))
        .map_err(|e| Error::io(&shown_dir, "cannot read the stacks directory", &e))?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let mut stacks: BTreeMap<String, Vec<(String, Spec)>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for name in names {
        let file = display(&dir.join(&name));
        let loaded = read_bounded(&cwd.join(dir).join(&name), SPEC_MAX_BYTES)
            .map_err(|e| io_words(&e))
            .and_then(|bytes| {
                spec::load(&file, &bytes)
                    .map_err(|d| d.first().map(|d| d.message.clone()).unwrap_or_default())
            });
        match loaded {
            Ok(l) => stacks
                .entry(l.spec.stack.clone())
                .or_default()
                .push((file, l.spec)),
            Err(why) => skipped.push(format!("{file} ({why})")),
        }
    }
    match stacks.remove(stack) {
        Some(mut found) if found.len() == 1 => {
            let (file, spec) = found.remove(0);
            Ok((spec, file))
        }
        Some(found) => {
            let files: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
            Err(usage(format!(
                "stack `{stack}` is defined by several specs: {}",
                files.join(", ")
            )))
        }
        None => {
            let known: Vec<String> = stacks.keys().cloned().collect();
            let mut message = format!("no spec in {shown_dir} has `stack: {stack}`");
            if let Some(close) = spec::schema_suggest(stack, &known) {
                let _ = write!(message, "; did you mean `{close}`?");
            }
            if known.is_empty() {
                let _ = write!(message, "\n  known stacks: none");
            } else {
                let _ = write!(message, "\n  known stacks: {}", known.join(", "));
            }
            if !skipped.is_empty() {
                let _ = write!(
                    message,
                    "\n  skipped (run `synth` to see why): {}",
                    skipped.join(", ")
                );
            }
            Err(usage(message))
        }
    }
}

/// `out/STACK.template.yaml`, or `.json` when only that exists, with its bytes.
fn find_template(out: &Path, stack: &str, cwd: &Path) -> Result<(PathBuf, Vec<u8>), Error> {
    let [yaml, json] = layout::template_candidates(stack).map(|name| out.join(name));
    for path in [&yaml, &json] {
        match fs::read(cwd.join(path)) {
            Ok(bytes) => return Ok((path.clone(), bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(display(path), "cannot read the template", &e)),
        }
    }
    Err(Error::Missing {
        path: display(&yaml),
        what: format!(
            "no template for stack `{stack}` (nor {}): run `synth` first",
            display(&json)
        ),
    })
}

fn parse_template(shown: &str, path: &Path, bytes: &[u8]) -> Result<Value, Error> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let value = if is_json {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    } else {
        crate::source::parse(shown, bytes)
            .map(|d| d.value)
            .map_err(|d| d.message)
    };
    value.map_err(|why| Error::Template {
        place: shown.to_owned(),
        why: format!("cannot read the template: {why}"),
    })
}

/// True when an IAM resource carries a custom name.
fn names_iam_resources(template: &Value) -> bool {
    template
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|r| r.values())
        .filter(|r| {
            r.get("Type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("AWS::IAM::"))
        })
        .any(|r| {
            r.get("Properties")
                .and_then(Value::as_object)
                .is_some_and(|p| IAM_NAMES.iter().any(|n| p.contains_key(*n)))
        })
}

/// A word as POSIX `sh` reads it: unchanged when it holds only characters no shell treats
/// specially, otherwise single-quoted (a `'` inside becomes `'\''`).
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '-' | '.' | ',' | '/' | ':' | '@' | '%' | '+' | '=')
        });
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_shell_unsafe_words_are_quoted() {
        assert_eq!(
            quote("UserPoolId=us-east-1_Ab1"),
            "UserPoolId=us-east-1_Ab1"
        );
        assert_eq!(quote("out/fleet.template.yaml"), "out/fleet.template.yaml");
        assert_eq!(quote("Name=a b"), "'Name=a b'");
        assert_eq!(quote("Name=it's"), r"'Name=it'\''s'");
        assert_eq!(quote("Name=$HOME"), "'Name=$HOME'");
        assert_eq!(quote("Name=*"), "'Name=*'");
        assert_eq!(quote("~x"), "'~x'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn custom_iam_names_need_the_named_capability() {
        let unnamed =
            json!({ "Resources": { "R": { "Type": "AWS::IAM::Role", "Properties": {} } } });
        let named = json!({ "Resources": { "R": { "Type": "AWS::IAM::Role", "Properties": { "RoleName": "x" } } } });
        let iot = json!({ "Resources": { "P": { "Type": "AWS::IoT::Policy", "Properties": { "PolicyName": "x" } } } });
        assert!(!names_iam_resources(&unnamed));
        assert!(names_iam_resources(&named));
        assert!(
            !names_iam_resources(&iot),
            "IoT policy names need no capability"
        );
    }
}
