//! The attach function's settings in a spec: runtime, how it is invoked, log retention, reserved
//! concurrency and the detach-on-delete switch.
//! Must not: render the function (that is `lambda`) or judge the runtime's dates (that is
//! `rules::lambda_001`).

use serde::Deserialize;

/// A Lambda runtime the attach function may use: one AWS Lambda supports for production use
/// (docs/aws-facts.md §1.6). Each has an entry in the schema's enum and a row in the dated table
/// of `rules::lambda_001` (CIP-LAMBDA-001); a test there holds the three together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum Runtime {
    /// Node.js 22.
    #[serde(rename = "nodejs22.x")]
    NodeJs22,
    /// Node.js 24: the default, the newest Node.js LTS runtime Lambda supports (docs/aws-facts.md
    /// §1.6).
    #[default]
    #[serde(rename = "nodejs24.x")]
    NodeJs24,
    /// Python 3.11.
    #[serde(rename = "python3.11")]
    Python311,
    /// Python 3.12.
    #[serde(rename = "python3.12")]
    Python312,
    /// Python 3.13.
    #[serde(rename = "python3.13")]
    Python313,
    /// Python 3.14.
    #[serde(rename = "python3.14")]
    Python314,
}

impl Runtime {
    /// Every runtime, in the schema's order.
    pub const ALL: [Runtime; 6] = [
        Runtime::NodeJs22,
        Runtime::NodeJs24,
        Runtime::Python311,
        Runtime::Python312,
        Runtime::Python313,
        Runtime::Python314,
    ];

    /// The identifier Lambda knows.
    pub fn id(self) -> &'static str {
        match self {
            Runtime::NodeJs22 => "nodejs22.x",
            Runtime::NodeJs24 => "nodejs24.x",
            Runtime::Python311 => "python3.11",
            Runtime::Python312 => "python3.12",
            Runtime::Python313 => "python3.13",
            Runtime::Python314 => "python3.14",
        }
    }

    /// The language family.
    pub fn language(self) -> Language {
        match self {
            Runtime::NodeJs22 | Runtime::NodeJs24 => Language::NodeJs,
            _ => Language::Python,
        }
    }
}

/// Which language family a Lambda runtime belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// `nodejs22.x`, `nodejs24.x`: CommonJS `index.js`.
    NodeJs,
    /// `python3.x`: `index.py`.
    Python,
}

/// How the app calls the attach function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvokeMode {
    /// Lambda `Invoke` with identity-pool credentials: identity from the Lambda context.
    Direct,
    /// API Gateway REST API with `AWS_IAM` auth: identity from `requestContext.identity`.
    ApiGateway,
}

/// How the app invokes the attach function, as written in the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Invoke {
    /// Lambda Invoke.
    #[default]
    Direct,
    /// API Gateway REST API with `AWS_IAM`.
    ApiGateway,
}

impl Invoke {
    /// The mode the handler is rendered for.
    pub fn mode(self) -> InvokeMode {
        match self {
            Invoke::Direct => InvokeMode::Direct,
            Invoke::ApiGateway => InvokeMode::ApiGateway,
        }
    }
}

/// Attach function settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attach {
    /// Runtime.
    #[serde(default)]
    pub runtime: Runtime,
    /// Invocation mode.
    #[serde(default)]
    pub invoke: Invoke,
    /// Log retention.
    #[serde(default = "default_retention")]
    pub log_retention_days: u32,
    /// Reserved concurrency.
    pub reserved_concurrency: Option<u32>,
    /// Detach every identity before an IoT policy is deleted or replaced (default true).
    #[serde(default = "yes")]
    pub detach_on_delete: bool,
}

fn yes() -> bool {
    true
}

fn default_retention() -> u32 {
    90
}

impl Default for Attach {
    fn default() -> Self {
        Attach {
            runtime: Runtime::default(),
            invoke: Invoke::default(),
            log_retention_days: default_retention(),
            reserved_concurrency: None,
            detach_on_delete: true,
        }
    }
}
