//! Role mapping within Cognito's limits (docs/aws-facts.md §2.5) that the schema cannot state:
//! role mappings for at most 10 identity providers per pool (synth writes one per user pool).
//! The schema holds the others at their `file:line:col`: 1 to 25 rules per provider, claims of
//! 1 to 64 characters without spaces, values of 1 to 128.

use crate::diag::Diagnostic;
use crate::spec::Loaded;

use super::at;

/// `SetIdentityPoolRoles`: "RoleMappings ... Map Entries: Maximum number of 10 items".
const MAX_ROLE_MAPPINGS: usize = 10;

pub(super) fn check(l: &Loaded, out: &mut Vec<Diagnostic>) {
    for (name, pool) in &l.spec.identity_pools {
        if pool.is_mapped() && pool.user_pools.len() > MAX_ROLE_MAPPINGS {
            out.push(
                Diagnostic::input(
                    "limit-role-mappings",
                    &l.file,
                    at(l, &["identity_pools", name, "user_pools"]),
                    format!(
                        "identity pool `{name}` maps roles for {} user pools; Cognito takes role mappings for at most {MAX_ROLE_MAPPINGS} identity providers",
                        pool.user_pools.len()
                    ),
                )
                .with_help("synth writes one role mapping per user pool (SetIdentityPoolRoles, RoleMappings): split the pool, or list at most 10 user pools"),
            );
        }
    }
}
