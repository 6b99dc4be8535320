//! Logical ids, derived from spec names only (never from order), so a template diff shows a
//! rename as a rename. CloudFormation logical ids are `[A-Za-z0-9]+`, at most 255 characters
//! (docs/aws-facts.md §1.11).

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

/// The one function per stack that detaches identities from IoT policies before they are
/// deleted (the policy name comes in the request, so every pool shares it), its role and logs.
pub const DETACH_FUNCTION: &str = "DetachFunction";
/// See [`DETACH_FUNCTION`].
pub const DETACH_FUNCTION_ROLE: &str = "DetachFunctionRole";
/// See [`DETACH_FUNCTION`].
pub const DETACH_FUNCTION_LOGS: &str = "DetachFunctionLogs";

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
    /// `Fleet`: the prefix of every id above.
    pub prefix: String,
    /// `invoke: api-gateway`: the REST API, its `/attach` resource and `POST` method, the
    /// deployment, the stage, and the permission for API Gateway to invoke the function.
    pub api: String,
    /// See [`PoolIds::api`].
    pub api_resource: String,
    /// See [`PoolIds::api`].
    pub api_method: String,
    /// See [`PoolIds::api`].
    pub api_deployment: String,
    /// See [`PoolIds::api`].
    pub api_stage: String,
    /// See [`PoolIds::api`].
    pub api_permission: String,
}

impl PoolIds {
    /// Ids for pool `pool`.
    pub fn new(pool: &str) -> PoolIds {
        let p = pascal(pool);
        PoolIds {
            prefix: p.clone(),
            pool: format!("{p}IdentityPool"),
            attachment: format!("{p}RoleAttachment"),
            authenticated_role: format!("{p}AuthenticatedRole"),
            unauthenticated_role: format!("{p}UnauthenticatedRole"),
            iot_policy: format!("{p}IotPolicy"),
            function: format!("{p}AttachFunction"),
            function_role: format!("{p}AttachFunctionRole"),
            log_group: format!("{p}AttachFunctionLogs"),
            api: format!("{p}AttachApi"),
            api_resource: format!("{p}AttachApiResource"),
            api_method: format!("{p}AttachApiMethod"),
            api_deployment: format!("{p}AttachApiDeployment"),
            api_stage: format!("{p}AttachApiStage"),
            api_permission: format!("{p}AttachApiPermission"),
        }
    }

    /// The IAM role of signed-in identities that get role `role`: `FleetAuthenticatedRole` for
    /// the pool's default role (so a pool that starts mapping roles keeps its role resource),
    /// `FleetInstallerAuthenticatedRole` for another role its mapping rules give.
    pub fn signed_in_role(&self, role: &str, is_default: bool) -> String {
        if is_default {
            self.authenticated_role.clone()
        } else {
            format!("{}{}AuthenticatedRole", self.prefix, pascal(role))
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
    pub fn all(&self) -> [&str; 14] {
        [
            &self.pool,
            &self.attachment,
            &self.authenticated_role,
            &self.unauthenticated_role,
            &self.iot_policy,
            &self.function,
            &self.function_role,
            &self.log_group,
            &self.api,
            &self.api_resource,
            &self.api_method,
            &self.api_deployment,
            &self.api_stage,
            &self.api_permission,
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
