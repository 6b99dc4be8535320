//! ARNs, written and read. synth writes every ARN from pseudo parameters (`${AWS::Partition}`,
//! `${AWS::Region}`, `${AWS::AccountId}`) inside `Fn::Sub`, so one template deploys to every
//! partition, region and account (docs/aws-facts.md §3.2, §6.3); it reads ARNs back (rules,
//! `synth diff`, the policy evaluator) as text in which a `${…}` reference is one piece even
//! when it holds a `:`.
//! Must not: know which resources a policy may name (that is `policy` and the rules), or resolve
//! pseudo parameters (that is `cfn::size`).

/// The ARN prefix of IoT resources in the stack's partition, region and account, as `Fn::Sub`
/// text; a resource follows it (`topic/a/b`, `client/x`, `policy/name`).
pub const IOT_PREFIX: &str = "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:";

/// The stack's account, as `Fn::Sub` text: the account field of most ARNs synth writes.
pub const ACCOUNT: &str = "${AWS::AccountId}";

/// `arn:${AWS::Partition}:<service>:${AWS::Region}:<account>:<resource>`, for `Fn::Sub`.
/// `account` is [`ACCOUNT`] except where a service puts something else there (an API Gateway
/// integration URI names `lambda`).
pub fn sub(service: &str, account: &str, resource: &str) -> String {
    format!("arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:{account}:{resource}")
}

/// The fields of an ARN text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-us-gov`, or `${AWS::Partition}`.
    pub partition: &'a str,
    /// `iot`, `lambda`, ...
    pub service: &'a str,
    /// A region, `${AWS::Region}`, or empty.
    pub region: &'a str,
    /// An account id, `${AWS::AccountId}`, or empty.
    pub account: &'a str,
    /// Everything after the fifth `:`, which may itself hold `:` (`topic/a:b`).
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `arn:<partition>:<service>:<region>:<account>:<resource>`. A `${…}` reference is
    /// one piece even when it holds a `:` (`${AWS::Region}`, the identity variable), nested
    /// references included; a reference left open swallows the rest. `None` when the text is not
    /// an ARN.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let bytes = text.as_bytes();
        let mut fields = Vec::with_capacity(5);
        let (mut depth, mut start, mut i) = (0usize, 0, 0);
        while i < bytes.len() && fields.len() < 5 {
            match bytes[i] {
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    depth += 1;
                    i += 1;
                }
                b'}' if depth > 0 => depth -= 1,
                b':' if depth == 0 => {
                    fields.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        match fields.as_slice() {
            ["arn", partition, service, region, account] => Some(Arn {
                partition,
                service,
                region,
                account,
                resource: &text[start..],
            }),
            _ => None,
        }
    }

    /// The kind and name of an IoT resource: `topic/a/b` → `("topic", "a/b")`; `None` for
    /// another service or a resource without a kind (`*`).
    pub fn iot_resource(&self) -> Option<(&'a str, &'a str)> {
        if self.service != "iot" {
            return None;
        }
        self.resource.split_once('/')
    }
}

/// The kind and name of an IoT ARN text's resource, `("topic", "a/b")`; `None` for any other
/// text ([`Arn::iot_resource`]).
pub fn iot_resource(text: &str) -> Option<(&str, &str)> {
    Arn::parse(text)?.iot_resource()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_stay_whole() {
        let a = Arn::parse(
            "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/a:b/${x:y}",
        )
        .unwrap();
        assert_eq!(
            (a.partition, a.service, a.region, a.account, a.resource),
            (
                "${AWS::Partition}",
                "iot",
                "${AWS::Region}",
                "${AWS::AccountId}",
                "topic/a:b/${x:y}"
            )
        );
        assert_eq!(a.iot_resource(), Some(("topic", "a:b/${x:y}")));
        let literal = Arn::parse("arn:aws:iot:us-east-1:123456789012:client/x").unwrap();
        assert_eq!(literal.iot_resource(), Some(("client", "x")));
        assert_eq!(
            Arn::parse("arn:aws:s3:::bucket/topic/a").and_then(|a| a.iot_resource()),
            None
        );
        assert_eq!(
            Arn::parse(&format!("{IOT_PREFIX}*")).map(|a| a.resource),
            Some("*")
        );
        assert_eq!(Arn::parse("*"), None);
        assert_eq!(Arn::parse("arn:aws:iot:${AWS::Region:x:y:topic/a"), None);
        assert_eq!(Arn::parse("not:an:arn:at:all:x"), None);
    }

    #[test]
    fn what_synth_writes_reads_back() {
        assert_eq!(sub("iot", ACCOUNT, ""), IOT_PREFIX);
        let route = sub("execute-api", ACCOUNT, "${Api}/*/POST/attach");
        let a = Arn::parse(&route).unwrap();
        assert_eq!(
            (a.service, a.account, a.resource),
            ("execute-api", ACCOUNT, "${Api}/*/POST/attach")
        );
    }
}
