//! Command-line arguments (clap derive). Parsing only: `commands::run` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Synthesizes CloudFormation for Cognito identity pools, their IAM roles, AWS IoT policies and
/// the attach function, from the specs in stacks/.
#[derive(Debug, Parser)]
#[command(
    name = "synth",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    after_help = "With no command, synth builds out/ from every spec in stacks/ (or the SPECS named), \
                  and `synth --check` checks it. Start with `synth init`."
)]
pub struct Cli {
    /// A command other than building the templates.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Spec files to build (default: every *.yaml in the stacks directory).
    pub specs: Vec<PathBuf>,

    /// Write nothing; exit 1 with a unified diff when out/ differs from what synth would write.
    #[arg(long)]
    pub check: bool,

    /// Where templates go.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,

    /// Where specs are found when none are named.
    #[arg(long, value_name = "DIR", default_value = "stacks")]
    pub stacks: PathBuf,

    /// Template format.
    #[arg(long, value_enum, default_value_t = TemplateFormat::Yaml)]
    pub template_format: TemplateFormat,

    /// Diagnostics format.
    #[arg(long, value_enum, default_value_t = DiagFormat::Text)]
    pub format: DiagFormat,

    /// When to colour the output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", global = true, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set (`CLICOLOR_FORCE` forces it).
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// The names of the subcommands, as typed (`simulate`, `deploy-command`).
pub fn subcommand_names() -> Vec<String> {
    use clap::CommandFactory as _;
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect()
}

/// `--template-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    /// YAML (CloudFormation's YAML 1.1-safe subset).
    Yaml,
    /// JSON.
    Json,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagFormat {
    /// `file:line:col: error[code]: message`, a snippet and a hint.
    Text,
    /// One JSON document with every diagnostic.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// Commands besides the default (build and check templates). Each doc line is the one line
/// `synth --help` shows for it.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter spec to stacks/NAME.yaml, and the schema for editors
    Init(InitArgs),
    /// ALLOW or DENY for one MQTT request of one identity, on the generated policies
    Simulate(SimulateArgs),
    /// Permission diff of out/ against a git revision or a directory, for pull requests
    Diff(DiffArgs),
    /// Print the exact `aws cloudformation deploy` command for a stack
    DeployCommand(DeployCommandArgs),
    /// List the security rules, or explain one: `synth rules CIP-POOL-001`
    Rules(RulesArgs),
    /// Print the JSON Schema of a spec, for editors: `synth schema > .cogsynth.schema.json`
    Schema,
    /// Print shell completions: `synth completions bash|zsh|fish|powershell`
    Completions(CompletionsArgs),
    /// Why AWS IoT refused what an app asked: failed log entries judged against the specs
    Explain(ExplainArgs),
    /// The app side of a stack: its permission manifest, or a TypeScript client kit
    Client(ClientArgs),
}

/// `synth init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Stack name and file stem (default: the current directory's name, made a valid stack
    /// name, or `app`).
    pub name: Option<String>,
    /// Where the spec goes.
    #[arg(long, value_name = "DIR", default_value = "stacks")]
    pub stacks: PathBuf,
}

/// `synth rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule id (`CIP-POOL-001`, any case) to explain; none lists every rule.
    pub id: Option<String>,
}

/// `synth completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `--as`: which identities of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Signed-in identities.
    SignedIn,
    /// Guest identities.
    Guest,
}

impl From<Kind> for crate::spec::IdentityKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::SignedIn => crate::spec::IdentityKind::SignedIn,
            Kind::Guest => crate::spec::IdentityKind::Guest,
        }
    }
}

/// `synth simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The spec.
    pub spec: PathBuf,
    /// The role (spec name); with `--claim`, the role the claims must give.
    #[arg(long, required_unless_present = "claims")]
    pub role: Option<String>,
    /// A token claim of a signed-in identity, `NAME=VALUE` (repeat it; a name given twice has
    /// several values): the pool's role mapping chooses the role, as Cognito would.
    #[arg(long = "claim", value_name = "NAME=VALUE")]
    pub claims: Vec<String>,
    /// The identity pool (spec name); needed only when several pools use the role.
    #[arg(long)]
    pub pool: Option<String>,
    /// Signed-in or guest identities; needed only when one pool uses the role for both.
    #[arg(long = "as", value_enum, value_name = "KIND")]
    pub kind: Option<Kind>,
    /// The caller's Cognito identity id, e.g. us-east-1:1111.
    #[arg(long)]
    pub identity: String,
    /// connect, publish, publish-retained, subscribe or receive.
    pub action: String,
    /// Client id, topic or topic filter.
    pub topic: String,
}

/// `synth diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Git revision to compare with (default: the merge base with the main branch).
    #[arg(long, value_name = "REV", conflicts_with = "base_dir")]
    pub base: Option<String>,
    /// A directory of templates to compare with, instead of a git revision.
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// Where the current templates are.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Where the specs are: out/ must be what they compile to now, or the diff refuses.
    #[arg(long, value_name = "DIR", default_value = "stacks")]
    pub stacks: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when the diff contains this kind of change.
    #[arg(long, value_enum, default_value_t = FailOn::Never)]
    pub fail_on: FailOn,
    /// List the unchanged stacks by name in text and Markdown (without it, only their count;
    /// JSON always lists every stack).
    #[arg(long)]
    pub verbose: bool,
}

/// `synth diff --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Plain text.
    Text,
    /// GitHub-flavoured Markdown, for a PR comment.
    Markdown,
    /// JSON.
    Json,
}

/// `synth diff --fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any grant that allows more than before.
    Broadening,
    /// Any change at all.
    Any,
    /// Never (report only).
    Never,
}

/// `synth deploy-command`.
#[derive(Debug, Args)]
pub struct DeployCommandArgs {
    /// Stack name (the spec's `stack:`).
    pub stack: String,
    /// An environment of the spec: its parameter values, and stack name `<stack>-<env>`.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Where specs are.
    #[arg(long, value_name = "DIR", default_value = "stacks")]
    pub stacks: PathBuf,
    /// Where templates are.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
}

/// `synth explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// AWS IoT log entries (JSON lines, `aws logs filter-log-events` or `get-query-results`
    /// output); `-` or nothing for stdin.
    pub file: Option<PathBuf>,
    /// Where specs are.
    #[arg(long, value_name = "DIR", default_value = "stacks")]
    pub stacks: PathBuf,
    /// Judge against this stack only (the spec's `stack:`).
    #[arg(long, value_name = "NAME")]
    pub stack: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

/// `synth explain --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Plain text.
    Text,
    /// JSON.
    Json,
    /// GitHub-flavoured Markdown.
    Markdown,
}

/// `synth client`.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// Stack name (the spec's `stack:`).
    pub stack: String,
    /// What to write.
    #[arg(long, value_enum)]
    pub lang: ClientLang,
    /// Write `<stack>.ts` or `<stack>.manifest.json` into this directory instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where specs are.
    #[arg(long, value_name = "DIR", default_value = "stacks")]
    pub stacks: PathBuf,
}

/// `synth client --lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientLang {
    /// The permission manifest (JSON).
    Manifest,
    /// A TypeScript module for browser and Node apps.
    Typescript,
}
