//! The attach function's source code, rendered with minijinja from the templates beside this file.
//! OWNED BY THE LAMBDA HELPER — placeholder until it lands.

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

/// What the rendered source may depend on. Runtime values (pool id, policy names) come from
/// environment variables, never from here, so the code is the same for every deployment.
#[derive(Debug, Clone, Copy)]
pub struct AttachSource<'a> {
    /// Language of the runtime.
    pub language: Language,
    /// Invocation mode.
    pub invoke: InvokeMode,
    /// Stack name (for the log line only).
    pub stack: &'a str,
    /// Identity pool name in the spec (for the log line only).
    pub pool: &'a str,
}

/// Renders the handler source.
pub fn render(source: &AttachSource<'_>) -> String {
    let _ = source;
    String::from("exports.handler = async () => ({ ok: false });\n")
}
