//! Command-line arguments (clap derive). Parsing only: `commands::run` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Synthesizes CloudFormation for Cognito identity pools, their IAM roles, AWS IoT policies and
/// the attach function, from the specs in stacks/.
#[derive(Debug, Parser)]
#[command(name = "synth", version, about, long_about = None, args_conflicts_with_subcommands = true)]
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

/// Commands besides the default (build and check templates).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// ALLOW or DENY for one MQTT request of one identity, evaluated on the generated policies.
    Simulate(SimulateArgs),
    /// Permission diff of the generated templates against a git revision or a directory.
    Diff(DiffArgs),
    /// The exact `aws cloudformation deploy` command for a stack.
    DeployCommand(DeployCommandArgs),
    /// Why AWS IoT refused what an app asked: failed log entries judged against the specs.
    Explain(ExplainArgs),
    /// The app side of a stack: its permission manifest, or a TypeScript client kit.
    Client(ClientArgs),
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when the diff contains this kind of change.
    #[arg(long, value_enum, default_value_t = FailOn::Never)]
    pub fail_on: FailOn,
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
