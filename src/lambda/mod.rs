//! The attach function's source code, rendered with minijinja from the templates beside this file.
//!
//! This module owns the handler source only: which runtime, role or permission runs it is the template
//! builder's business. It must not read the filesystem or the environment: the templates are embedded, and
//! every deployment-specific value (pool id, policy names) reaches the function through environment variables
//! set by the stack, so the rendered code is the same for every deployment of a spec.

use std::sync::OnceLock;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, context};

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

// The extension before `.j2` selects minijinja's auto-escaping: `.js` prints every value as a JSON
// literal, `.py` prints raw text, so the Python template pipes every value through `tojson`.
const NODE_TEMPLATE: &str = "attach.js.j2";
const PYTHON_TEMPLATE: &str = "attach.py.j2";

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // The syntax must be set before templates are added: they are compiled on insertion.
        env.set_syntax(
            SyntaxConfig::builder()
                .keep_trailing_newline(true)
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .expect("embedded syntax configuration is valid"),
        );
        env.add_template(NODE_TEMPLATE, include_str!("attach.js.j2"))
            .expect("embedded template parses");
        env.add_template(PYTHON_TEMPLATE, include_str!("attach.py.j2"))
            .expect("embedded template parses");
        env
    })
}

/// Renders the handler source: `index.js` for Node.js, `index.py` for Python.
pub fn render(source: &AttachSource<'_>) -> String {
    let name = match source.language {
        Language::NodeJs => NODE_TEMPLATE,
        Language::Python => PYTHON_TEMPLATE,
    };
    let invoke = match source.invoke {
        InvokeMode::Direct => "direct",
        InvokeMode::ApiGateway => "api_gateway",
    };
    environment()
        .get_template(name)
        .expect("embedded template exists")
        .render(context! { stack => source.stack, pool => source.pool, invoke => invoke })
        .expect("embedded template renders")
}

#[cfg(test)]
mod tests {
    use super::{AttachSource, InvokeMode, Language, render};

    const VARIANTS: [(Language, InvokeMode); 4] = [
        (Language::NodeJs, InvokeMode::Direct),
        (Language::NodeJs, InvokeMode::ApiGateway),
        (Language::Python, InvokeMode::Direct),
        (Language::Python, InvokeMode::ApiGateway),
    ];

    fn source(language: Language, invoke: InvokeMode) -> AttachSource<'static> {
        AttachSource {
            language,
            invoke,
            stack: "fleet",
            pool: "devices",
        }
    }

    fn rendered(language: Language, invoke: InvokeMode) -> String {
        render(&source(language, invoke))
    }

    #[test]
    fn every_variant_renders_deterministically() {
        for (language, invoke) in VARIANTS {
            let first = rendered(language, invoke);
            assert_eq!(first, rendered(language, invoke), "{language:?} {invoke:?}");
            // keep_trailing_newline: the file ends with exactly one newline.
            assert!(first.ends_with('\n'), "{language:?} {invoke:?}");
            assert!(!first.ends_with("\n\n"), "{language:?} {invoke:?}");
        }
    }

    #[test]
    fn no_template_syntax_is_left_over() {
        for (language, invoke) in VARIANTS {
            let text = rendered(language, invoke);
            for marker in ["{{", "}}", "{%", "%}", "{#", "#}"] {
                assert!(
                    !text.contains(marker),
                    "{language:?} {invoke:?} contains {marker}"
                );
            }
        }
    }

    #[test]
    fn all_four_variants_differ() {
        let texts: Vec<String> = VARIANTS
            .iter()
            .map(|&(language, invoke)| rendered(language, invoke))
            .collect();
        for (i, a) in texts.iter().enumerate() {
            for b in &texts[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn node_is_commonjs_with_the_v3_sdk() {
        for invoke in [InvokeMode::Direct, InvokeMode::ApiGateway] {
            let text = rendered(Language::NodeJs, invoke);
            assert!(text.contains(
                r#"const { IoTClient, AttachPolicyCommand } = require("@aws-sdk/client-iot");"#
            ));
            assert!(text.contains("exports.handler = async (event, context) =>"));
            assert!(text.contains("const client = new IoTClient({});"));
            assert!(!text.contains("import "));
            assert!(!text.contains("aws-sdk\""), "no SDK v2");
        }
    }

    #[test]
    fn python_uses_one_boto3_client() {
        for invoke in [InvokeMode::Direct, InvokeMode::ApiGateway] {
            let text = rendered(Language::Python, invoke);
            assert!(text.contains("\nclient = boto3.client(\"iot\")\n"));
            assert!(text.contains("def handler(event, context):"));
            assert!(
                text.contains("client.attach_policy(policyName=policy_name, target=identity_id)")
            );
        }
    }

    #[test]
    fn the_identity_source_follows_the_invoke_mode() {
        let node_direct = rendered(Language::NodeJs, InvokeMode::Direct);
        assert!(node_direct.contains("context?.identity"));
        assert!(!node_direct.contains("requestContext"));
        assert!(!node_direct.contains("statusCode"));

        let python_direct = rendered(Language::Python, InvokeMode::Direct);
        assert!(python_direct.contains("\"cognito_identity_id\""));
        assert!(python_direct.contains("\"cognito_identity_pool_id\""));
        assert!(!python_direct.contains("requestContext"));
        assert!(!python_direct.contains("statusCode"));

        for language in [Language::NodeJs, Language::Python] {
            let text = rendered(language, InvokeMode::ApiGateway);
            assert!(text.contains("requestContext"), "{language:?}");
            assert!(text.contains("cognitoAuthenticationType"), "{language:?}");
            assert!(text.contains("\"authenticated\""), "{language:?}");
            assert!(text.contains("statusCode"), "{language:?}");
        }
    }

    #[test]
    fn configuration_comes_from_the_environment_only() {
        for (language, invoke) in VARIANTS {
            let text = rendered(language, invoke);
            assert!(text.contains("IDENTITY_POOL_ID"), "{language:?} {invoke:?}");
            assert!(text.contains("IOT_POLICY_NAMES"), "{language:?} {invoke:?}");
        }
    }

    #[test]
    fn names_are_printed_as_string_literals() {
        let node = rendered(Language::NodeJs, InvokeMode::Direct);
        assert!(node.contains("const STACK = \"fleet\";\nconst POOL = \"devices\";\n"));
        let python = rendered(Language::Python, InvokeMode::Direct);
        assert!(python.contains("STACK = \"fleet\"\nPOOL = \"devices\"\n"));
    }

    #[test]
    fn hostile_names_stay_inside_their_literal() {
        let hostile = "a\"b'c\\d\ne\u{2028}f</script>{{ x }}${g}\u{7}";
        for (language, invoke) in VARIANTS {
            let text = render(&AttachSource {
                language,
                invoke,
                stack: hostile,
                pool: "devices",
            });
            let literal = text
                .lines()
                .find_map(|line| {
                    line.strip_prefix("const STACK = ")
                        .and_then(|rest| rest.strip_suffix(';'))
                        .or_else(|| line.strip_prefix("STACK = "))
                })
                .expect("a STACK line");
            // The literal is JSON on one line, so it round-trips exactly; both languages read it the same way.
            let value: String = serde_json::from_str(literal).expect("the literal is JSON");
            assert_eq!(value, hostile, "{language:?} {invoke:?}");
        }
    }
}
