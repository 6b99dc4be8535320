//! `synth init [NAME]`: writes a commented starter spec, `stacks/<NAME>.yaml` (signed-in users
//! with their own topic subtree, one shared topic, guests off, an `expect:` block), and the spec
//! schema beside the stacks directory for editors (`.cogsynth.schema.json`, what `synth schema`
//! prints), then says which commands come next. Refuses to overwrite a spec; leaves a schema file
//! that differs alone and says how to refresh it.
//! Must not: overwrite anything, or write anything when it refuses.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use crate::cli::InitArgs;
use crate::error::{Error, Exit};
use crate::layout::display;
use crate::spec::SCHEMA_TEXT;

/// The schema file `init` writes for editors, at the project root (the working directory).
pub const SCHEMA_FILE: &str = ".cogsynth.schema.json";

/// The starter spec; `{stack}` and `{schema}` are filled in.
const STARTER: &str = r#"# yaml-language-server: $schema={schema}
# A cogsynth spec: who may do what over MQTT, for apps on AWS IoT Core behind a Cognito
# identity pool. `synth` turns it into out/{stack}.template.yaml (CloudFormation).
# Every key: `synth schema`, or hover in an editor with the YAML language server.
# The security rules synth applies: `synth rules`.
version: 1
# The stack name, and the stem of its files in out/.
stack: {stack}
description: App clients over MQTT on AWS IoT Core, signed in with Cognito

parameters:                          # CloudFormation parameters, used below as { param: Name }
  UserPoolId: { description: Cognito user pool that signs users in }
  UserPoolClientId: { description: App client of that user pool }

topic_scopes:                        # grants in MQTT terms; + and # are MQTT wildcards
  own-subtree:                       # each signed-in identity reads and writes its own subtree
    publish:   ["users/${identity}/#"]
    subscribe: ["users/${identity}/#"]
  news:                              # one shared topic every signed-in user reads
    subscribe: ["app/news"]

roles:
  member: { scopes: [own-subtree, news] }

identity_pools:
  main:
    user_pools:
      - user_pool_id: { param: UserPoolId }
        client_id: { param: UserPoolClientId }
    authenticated: member
    # Guests are off. To let people in before they sign in, give them a role of their own
    # (only what a stranger may do) and say why:
    #   unauthenticated: { role: guest, reason: Visitors read the lobby before they sign in }

expect:                              # permission tests: every `synth` and `synth --check` proves them
  - role: member
    identity: "us-east-1:00000000-0000-4000-8000-000000000001"
    allow:
      - connect us-east-1:00000000-0000-4000-8000-000000000001
      - publish users/us-east-1:00000000-0000-4000-8000-000000000001/status
      - subscribe app/news
    deny:
      - connect us-east-1:00000000-0000-4000-8000-000000000002
      - publish users/us-east-1:00000000-0000-4000-8000-000000000002/status
      - publish app/news
"#;

/// Runs `synth init`: the files it wrote and what to do next, on stderr (like `synth`'s own
/// report lines).
pub fn run(args: &InitArgs, cwd: &Path, stderr: &mut dyn Write) -> Result<Exit, Error> {
    let stack = match &args.name {
        Some(name) => checked_name(name)?,
        None => default_name(cwd),
    };
    let spec = args.stacks.join(format!("{stack}.yaml"));
    let shown = display(&spec);
    if cwd.join(&spec).exists() || fs::symlink_metadata(cwd.join(&spec)).is_ok() {
        return Err(Error::Usage {
            command: "init",
            message: format!("{shown} already exists; synth init does not overwrite"),
            help: Some(format!(
                "pick another name (`synth init <name>`), or edit {shown} and run `synth`"
            )),
        });
    }
    let text = STARTER
        .replace("{stack}", &stack)
        .replace("{schema}", &schema_reference(&args.stacks));
    fs::create_dir_all(cwd.join(&args.stacks))
        .map_err(|e| Error::io(display(&args.stacks), "cannot create the directory", &e))?;
    write_new(&cwd.join(&spec), &text)
        .map_err(|e| Error::io(&shown, "cannot write the spec", &e))?;
    let _ = writeln!(stderr, "synth: wrote {shown} (stack `{stack}`)");
    let schema = cwd.join(SCHEMA_FILE);
    match fs::read(&schema) {
        Ok(old) if old == SCHEMA_TEXT.as_bytes() => {
            let _ = writeln!(stderr, "synth: unchanged {SCHEMA_FILE} (the spec schema)");
        }
        Ok(_) => {
            let _ = writeln!(
                stderr,
                "synth: note: {SCHEMA_FILE} differs from this synth's schema and was left as it is; refresh it with `synth schema > {SCHEMA_FILE}`"
            );
        }
        Err(_) => {
            write_new(&schema, SCHEMA_TEXT)
                .map_err(|e| Error::io(SCHEMA_FILE, "cannot write the schema", &e))?;
            let _ = writeln!(
                stderr,
                "synth: wrote {SCHEMA_FILE} (the spec schema, for editors; `synth schema` prints it)"
            );
        }
    }
    let stacks = display(&args.stacks);
    let stacks_flag = if stacks == "stacks" {
        String::new()
    } else {
        format!(" --stacks {stacks}")
    };
    let id = "us-east-1:00000000-0000-4000-8000-000000000001";
    let _ = writeln!(
        stderr,
        "\nNext:\n  \
         1. Edit {shown}: your topics, roles and `expect:` cases.\n  \
         2. Build out/{stack}.template.yaml (every rule and `expect:` case must pass):\n       \
         synth{stacks_flag}\n  \
         3. Ask what one identity may do:\n       \
         synth simulate {shown} --role member --identity {id} publish users/{id}/status\n  \
         4. Commit {shown} and out/, and let CI check them (README \"CI recipe\"):\n       \
         synth{stacks_flag} --check\n  \
         5. Deploy:\n       \
         synth deploy-command {stack}"
    );
    Ok(Exit::Ok)
}

/// `NAME` as given, when it is a valid stack name (the schema's pattern).
fn checked_name(name: &str) -> Result<String, Error> {
    if is_stack_name(name) {
        return Ok(name.to_owned());
    }
    let suggestion = stack_name_from(name);
    Err(Error::Usage {
        command: "init",
        message: format!(
            "`{}` is not a stack name: lowercase letters, digits and single hyphens, starting with a letter, at most 64 characters",
            crate::text::escape(name)
        ),
        help: suggestion.map(|s| format!("try `synth init {s}`")),
    })
}

/// The working directory's name made a stack name, or `app`.
fn default_name(cwd: &Path) -> String {
    cwd.file_name()
        .and_then(|n| stack_name_from(&n.to_string_lossy()))
        .unwrap_or_else(|| "app".to_owned())
}

/// `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`, at most 64 characters (schemas/stack.schema.json).
fn is_stack_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `My_Project.v2` → `my-project-v2`: lowercase, other characters as single hyphens, from the
/// first letter on; `None` when nothing is left.
fn stack_name_from(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if out.is_empty() && !c.is_ascii_alphabetic() {
                continue;
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(64);
    let out = out.trim_end_matches('-').to_owned();
    is_stack_name(&out).then_some(out)
}

/// The schema comment's path from a spec in `stacks` to the schema file in the working
/// directory: `../.cogsynth.schema.json` for `stacks/`.
fn schema_reference(stacks: &Path) -> String {
    let mut up = PathBuf::new();
    let mut depth = 0usize;
    for c in stacks.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::ParentDir => depth = depth.saturating_sub(1),
            Component::CurDir => {}
            // An absolute stacks directory: no relative path is sure to reach the schema.
            Component::RootDir | Component::Prefix(_) => return SCHEMA_FILE.to_owned(),
        }
    }
    for _ in 0..depth {
        up.push("..");
    }
    display(&up.join(SCHEMA_FILE))
}

/// Writes a file that must not exist yet.
fn write_new(path: &Path, text: &str) -> io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_stack_names() {
        assert_eq!(
            stack_name_from("My_Project.v2").as_deref(),
            Some("my-project-v2")
        );
        assert_eq!(stack_name_from("2fast").as_deref(), Some("fast"));
        assert_eq!(stack_name_from(".tmpAbC12").as_deref(), Some("tmpabc12"));
        assert_eq!(stack_name_from("__"), None);
        assert!(
            is_stack_name("fleet-dashboard") && !is_stack_name("Fleet") && !is_stack_name("a--b")
        );
    }

    #[test]
    fn the_schema_comment_reaches_the_working_directory() {
        assert_eq!(
            schema_reference(Path::new("stacks")),
            "../.cogsynth.schema.json"
        );
        assert_eq!(
            schema_reference(Path::new("./infra/stacks")),
            "../../.cogsynth.schema.json"
        );
    }
}
