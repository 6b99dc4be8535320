//! Who made a failed request, read from a log entry: whether a `principalId` or client id is a
//! Cognito identity id, an IAM role session of Cognito credentials or an X.509 certificate id,
//! and the caller's identity id when the entry gives it (the principal, or the client id by the
//! rule client id = identity id or a role's `connect` form).
//! Must not: evaluate policies, compare requests with grants, or decide a verdict (`judge` and
//! `relation` do).

use crate::mqtt::IDENTITY;

use super::logs::Event;

/// Where the identity id came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The identity id.
    pub id: String,
    /// How it was found.
    pub from: String,
}

/// `REGION:GUID`, 1–55 characters (docs/aws-facts.md §1.1).
pub fn identity_shaped(s: &str) -> bool {
    let Some((region, id)) = s.split_once(':') else {
        return false;
    };
    s.len() <= 55
        && !region.is_empty()
        && !id.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// An X.509 certificate id: 64 hex digits (the documented example principal).
pub fn certificate_shaped(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// `AROA...:CognitoIdentityCredentials`: the IAM role session of Cognito credentials.
pub fn role_session(s: &str) -> Option<&str> {
    let (id, session) = s.split_once(':')?;
    (session == "CognitoIdentityCredentials"
        && !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric()))
    .then_some(id)
}

/// What a log entry's `principalId` is, in words; `None` when it is empty.
pub fn describe_principal(principal: &str) -> Option<String> {
    if principal.is_empty() {
        None
    } else if identity_shaped(principal) {
        Some("a Cognito identity id".into())
    } else if let Some(role_id) = role_session(principal) {
        Some(format!(
            "the role session of Cognito credentials (role id {role_id}): it names the role, not the identity"
        ))
    } else if certificate_shaped(principal) {
        Some("an X.509 certificate id".into())
    } else {
        Some("not a Cognito identity or role session".into())
    }
}

/// The caller's identity id: the principal when it is one, else the client id when it is one or
/// when it has the form `prefix${identity}suffix` of a role's `connect` grant (`connects`: each
/// role's name and the target of one of its connect grants).
pub fn find_identity<'a>(
    event: &Event,
    connects: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<Identity> {
    if let Some(p) = event.principal_id.as_deref().filter(|p| identity_shaped(p)) {
        return Some(Identity {
            id: p.to_owned(),
            from: "principal".into(),
        });
    }
    let client = event.client_id.as_deref()?;
    if identity_shaped(client) {
        return Some(Identity {
            id: client.to_owned(),
            from: "client id, by the rule client id = identity id".into(),
        });
    }
    // A role that connects as `prefix${identity}suffix`.
    for (role, target) in connects {
        if let Some((prefix, suffix)) = target.split_once(IDENTITY) {
            if let Some(middle) = client
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(suffix))
            {
                if identity_shaped(middle) {
                    return Some(Identity {
                        id: middle.to_owned(),
                        from: format!("client id, by role {role}'s client id `{target}`"),
                    });
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_shapes() {
        assert!(identity_shaped("us-east-1:1111"));
        assert!(identity_shaped(
            "eu-west-1:0b3a2c1d-1234-4abc-9def-0123456789ab"
        ));
        assert!(!identity_shaped("mqttjs_1234"));
        assert!(!identity_shaped("us-east-1:xyz"));
        assert!(!identity_shaped(":11"));
        assert!(!identity_shaped(&format!("us-east-1:{}", "a".repeat(60))));
        assert_eq!(
            role_session("AROAEXAMPLE:CognitoIdentityCredentials"),
            Some("AROAEXAMPLE")
        );
        assert_eq!(role_session("AROAEXAMPLE:other"), None);
        assert!(certificate_shaped(
            "145179c40e2219e18a909d896a5340b74cf97a39641beec2fc3eeafc5a932167"
        ));
    }
}
