//! Logical ids, derived from spec names only (never from order), so a template diff shows a
//! rename as a rename. CloudFormation logical ids are `[A-Za-z0-9]+`, at most 255 characters
//! (aws-facts.md §1.11).

/// `own-device` → `OwnDevice`.
pub fn pascal(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Logical ids of everything emitted for identity pool `pool`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolIds {
    /// `AWS::Cognito::IdentityPool`.
    pub pool: String,
    /// `AWS::Cognito::IdentityPoolRoleAttachment`.
    pub attachment: String,
    /// Authenticated `AWS::IAM::Role`.
    pub authenticated_role: String,
    /// Unauthenticated `AWS::IAM::Role`.
    pub unauthenticated_role: String,
    /// `AWS::IoT::Policy` of the authenticated role.
    pub iot_policy: String,
    /// The attach function.
    pub function: String,
    /// Its execution role.
    pub function_role: String,
    /// Its log group.
    pub log_group: String,
    /// The function that detaches identities from the IoT policies on delete.
    pub detach_function: String,
    /// Its execution role.
    pub detach_function_role: String,
    /// Its log group.
    pub detach_log_group: String,
}

impl PoolIds {
    /// Ids for pool `pool`.
    pub fn new(pool: &str) -> PoolIds {
        let p = pascal(pool);
        PoolIds {
            pool: format!("{p}IdentityPool"),
            attachment: format!("{p}RoleAttachment"),
            authenticated_role: format!("{p}AuthenticatedRole"),
            unauthenticated_role: format!("{p}UnauthenticatedRole"),
            iot_policy: format!("{p}IotPolicy"),
            function: format!("{p}AttachFunction"),
            function_role: format!("{p}AttachFunctionRole"),
            log_group: format!("{p}AttachFunctionLogs"),
            detach_function: format!("{p}DetachFunction"),
            detach_function_role: format!("{p}DetachFunctionRole"),
            detach_log_group: format!("{p}DetachFunctionLogs"),
        }
    }

    /// The `index`th IoT policy (0-based): `FleetIotPolicy`, `FleetIotPolicy2`, ...
    pub fn iot_policy_n(&self, index: usize) -> String {
        if index == 0 {
            self.iot_policy.clone()
        } else {
            format!("{}{}", self.iot_policy, index + 1)
        }
    }

    /// The custom resource that detaches the `index`th IoT policy's targets before it goes.
    pub fn cleanup_n(&self, index: usize) -> String {
        format!("{}Detach", self.iot_policy_n(index))
    }

    /// Every id, for collision checks.
    pub fn all(&self) -> [&str; 11] {
        [
            &self.pool,
            &self.attachment,
            &self.authenticated_role,
            &self.unauthenticated_role,
            &self.iot_policy,
            &self.function,
            &self.function_role,
            &self.log_group,
            &self.detach_function,
            &self.detach_function_role,
            &self.detach_log_group,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_from_kebab_names() {
        assert_eq!(pascal("own-device"), "OwnDevice");
        assert_eq!(pascal("fleet"), "Fleet");
        assert_eq!(pascal("a-1"), "A1");
        assert_eq!(PoolIds::new("web-app").function, "WebAppAttachFunction");
    }
}
