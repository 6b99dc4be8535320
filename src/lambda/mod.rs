//! The attach function's source code, rendered with minijinja from the templates beside this file.
//!
//! This module owns the handler source only: which runtime, role or permission runs it is the template
//! builder's business. It must not read the filesystem or the environment: the templates are embedded, and
//! every deployment-specific value (pool id, policy names and, behind API Gateway, the API id) reaches the
//! function through environment variables set by the stack, so the rendered code is the same for every
//! deployment of a spec.
//!
//! It also renders the detach function ([`render_detach`]), the custom resource that detaches an IoT policy's
//! runtime attachments before CloudFormation deletes the policy; it learns the policy name from the request.

use std::sync::OnceLock;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior, context};

// The spec model owns what a runtime is and how the function is invoked; the handler is
// rendered for them.
pub use crate::spec::{InvokeMode, Language};

/// What the rendered source may depend on. Runtime values (pool id, policy names, API id) come from
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
const DETACH_NODE_TEMPLATE: &str = "detach.js.j2";
const DETACH_PYTHON_TEMPLATE: &str = "detach.py.j2";

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
        env.add_template(DETACH_NODE_TEMPLATE, include_str!("detach.js.j2"))
            .expect("embedded template parses");
        env.add_template(DETACH_PYTHON_TEMPLATE, include_str!("detach.py.j2"))
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

/// Renders the source of the detach function, the handler of the `Custom::DetachIotPolicyTargets` custom
/// resource: `index.js` for Node.js, `index.py` for Python.
///
/// One such resource per IoT policy (`Properties: {ServiceToken, PolicyName: !Ref ThePolicy}`) depends on the
/// policy, so CloudFormation deletes it first; its Delete detaches every target the attach function attached
/// at runtime, which DeletePolicy otherwise refuses with DeleteConflictException. Create and Update detach
/// nothing; the physical id is `detach-targets:<PolicyName>`, so a renamed policy's old resource receives a
/// Delete with the old properties. The function sends exactly one response to the pre-signed `ResponseURL`.
///
/// `stack` and `pool` label the log line only; the policy name reaches the function in the request.
pub fn render_detach(language: Language, stack: &str, pool: &str) -> String {
    let name = match language {
        Language::NodeJs => DETACH_NODE_TEMPLATE,
        Language::Python => DETACH_PYTHON_TEMPLATE,
    };
    environment()
        .get_template(name)
        .expect("embedded template exists")
        .render(context! { stack => stack, pool => pool })
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
            // Only API Gateway mode checks which API the event names; direct mode never reads the event.
            assert_eq!(
                text.contains("ATTACH_API_ID"),
                invoke == InvokeMode::ApiGateway,
                "{language:?} {invoke:?}"
            );
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

#[cfg(test)]
mod detach_tests {
    use super::{Language, render_detach};

    const LANGUAGES: [Language; 2] = [Language::NodeJs, Language::Python];

    fn rendered(language: Language) -> String {
        render_detach(language, "fleet", "devices")
    }

    #[test]
    fn both_languages_render_deterministically() {
        for language in LANGUAGES {
            let first = rendered(language);
            assert_eq!(first, rendered(language), "{language:?}");
            // keep_trailing_newline: the file ends with exactly one newline.
            assert!(first.ends_with('\n'), "{language:?}");
            assert!(!first.ends_with("\n\n"), "{language:?}");
            assert!(
                first.starts_with("// Generated by synth")
                    || first.starts_with("# Generated by synth"),
                "the template comment is stripped: {language:?}"
            );
        }
        assert_ne!(rendered(Language::NodeJs), rendered(Language::Python));
    }

    #[test]
    fn no_template_syntax_is_left_over() {
        for language in LANGUAGES {
            let text = rendered(language);
            for marker in ["{{", "}}", "{%", "%}", "{#", "#}"] {
                assert!(!text.contains(marker), "{language:?} contains {marker}");
            }
        }
    }

    #[test]
    fn node_is_commonjs_with_the_v3_sdk_and_no_cfn_response() {
        let text = rendered(Language::NodeJs);
        assert!(text.contains("require(\"@aws-sdk/client-iot\")"));
        for name in [
            "IoTClient",
            "ListTargetsForPolicyCommand",
            "DetachPolicyCommand",
        ] {
            assert!(text.contains(&format!("  {name},\n")), "{name}");
        }
        assert!(text.contains("exports.handler = async (event, context) =>"));
        assert!(text.contains("const client = new IoTClient({});"));
        assert!(text.contains("require(\"node:https\")"));
        assert!(text.contains("require(\"node:http\")"));
        assert!(!text.contains("import "));
        assert!(!text.contains("aws-sdk\""), "no SDK v2");
        assert!(!text.contains("require(\"cfn-response\")"));
    }

    #[test]
    fn python_uses_one_boto3_client_and_urllib() {
        let text = rendered(Language::Python);
        assert!(text.contains("\nclient = boto3.client(\"iot\")\n"));
        assert!(text.contains("def handler(event, context):"));
        assert!(text.contains("client.list_targets_for_policy(**arguments)"));
        assert!(text.contains("client.detach_policy(policyName=policy_name, target=target)"));
        assert!(text.contains("import urllib.request\n"));
        assert!(!text.contains("import cfnresponse"));
        assert!(!text.contains("import requests"));
    }

    #[test]
    fn both_languages_share_the_contract_constants() {
        for language in LANGUAGES {
            let text = rendered(language);
            for needle in [
                "\"detach-targets:\"",
                "\"detach-targets\"",
                "PAGE_SIZE = 250",
                "REASON_LIMIT = 300",
                "\"content-type\": \"\"",
                "ResourceNotFoundException",
            ] {
                assert!(text.contains(needle), "{language:?} lacks {needle}");
            }
        }
    }

    #[test]
    fn names_are_printed_as_string_literals() {
        let node = rendered(Language::NodeJs);
        assert!(node.contains("const STACK = \"fleet\";\nconst POOL = \"devices\";\n"));
        let python = rendered(Language::Python);
        assert!(python.contains("STACK = \"fleet\"\nPOOL = \"devices\"\n"));
    }

    #[test]
    fn hostile_names_stay_inside_their_literal() {
        let hostile = "a\"b'c\\d\ne\u{2028}f</script>{{ x }}${g}\u{7}";
        for language in LANGUAGES {
            for (stack, pool) in [(hostile, "devices"), ("fleet", hostile)] {
                let text = render_detach(language, stack, pool);
                for (prefix, expected) in [("STACK = ", stack), ("POOL = ", pool)] {
                    let literal = text
                        .lines()
                        .find_map(|line| {
                            let line = line.strip_prefix("const ").unwrap_or(line);
                            line.strip_prefix(prefix)
                                .map(|rest| rest.strip_suffix(';').unwrap_or(rest))
                        })
                        .expect("a constant line");
                    // JSON on one line round-trips exactly; both languages read it the same way.
                    let value: String = serde_json::from_str(literal).expect("the literal is JSON");
                    assert_eq!(value, expected, "{language:?}");
                }
            }
        }
    }
}
