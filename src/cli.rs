//! Command-line arguments (clap derive). Parsing only: `synth::run` does the work.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Synthesizes CloudFormation for Cognito identity pools, their IAM roles, AWS IoT policies and
/// the attach function, from the specs in stacks/.
#[derive(Debug, Parser)]
#[command(name = "synth", version, about, long_about = None)]
pub struct Cli {
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
}
