//! IAM (`iam` in botocore's naming): users, groups, roles, managed and inline policies, access
//! keys, login profiles, instance profiles, tags, permissions boundaries, service-linked roles
//! and the account views. Persisted in the store, keyed by the caller's account.
//!
//! Each operation is a function `(iam, ctx, params) -> output tree`, listed in [`OPERATIONS`];
//! the files beside this one hold them by group.

mod access_keys;
mod account;
mod authz;
mod entities;
pub mod errors;
mod groups;
mod inline;
mod instance_profiles;
mod login_profiles;
mod policies;
pub mod render;
mod roles;
mod service_linked;
mod simulate;
mod tags;
mod users;
pub mod validate;

use gureum_core::{
    AuthzTarget, AwsError, BoxFuture, OperationInput, OperationOutput, RequestContext, Service,
};
use gureum_store::{KvStore, Storage};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The IAM service.
pub struct Iam {
    storage: Storage,
}

impl Iam {
    pub fn new(storage: Storage) -> Self {
        Iam { storage }
    }

    fn kv(&self) -> &dyn KvStore {
        &*self.storage.kv
    }
}

type Handler = gureum_core::service::ValueHandler<Iam>;

/// Every operation gureum's IAM implements, with its handler.
static OPERATIONS: &[(&str, Handler)] = &[
    // users.rs
    ("CreateUser", users::create_user),
    ("GetUser", users::get_user),
    ("ListUsers", users::list_users),
    ("UpdateUser", users::update_user),
    ("DeleteUser", users::delete_user),
    ("PutUserPermissionsBoundary", users::put_boundary),
    ("DeleteUserPermissionsBoundary", users::delete_boundary),
    // groups.rs
    ("CreateGroup", groups::create_group),
    ("GetGroup", groups::get_group),
    ("ListGroups", groups::list_groups),
    ("UpdateGroup", groups::update_group),
    ("DeleteGroup", groups::delete_group),
    ("AddUserToGroup", groups::add_user_to_group),
    ("RemoveUserFromGroup", groups::remove_user_from_group),
    ("ListGroupsForUser", groups::list_groups_for_user),
    // roles.rs
    ("CreateRole", roles::create_role),
    ("GetRole", roles::get_role),
    ("ListRoles", roles::list_roles),
    ("UpdateRole", roles::update_role),
    ("UpdateRoleDescription", roles::update_role_description),
    ("UpdateAssumeRolePolicy", roles::update_assume_role_policy),
    ("DeleteRole", roles::delete_role),
    ("PutRolePermissionsBoundary", roles::put_boundary),
    ("DeleteRolePermissionsBoundary", roles::delete_boundary),
    // policies.rs
    ("CreatePolicy", policies::create_policy),
    ("GetPolicy", policies::get_policy),
    ("ListPolicies", policies::list_policies),
    ("DeletePolicy", policies::delete_policy),
    ("CreatePolicyVersion", policies::create_policy_version),
    ("GetPolicyVersion", policies::get_policy_version),
    ("ListPolicyVersions", policies::list_policy_versions),
    ("DeletePolicyVersion", policies::delete_policy_version),
    (
        "SetDefaultPolicyVersion",
        policies::set_default_policy_version,
    ),
    ("AttachUserPolicy", policies::attach_user_policy),
    ("AttachGroupPolicy", policies::attach_group_policy),
    ("AttachRolePolicy", policies::attach_role_policy),
    ("DetachUserPolicy", policies::detach_user_policy),
    ("DetachGroupPolicy", policies::detach_group_policy),
    ("DetachRolePolicy", policies::detach_role_policy),
    (
        "ListAttachedUserPolicies",
        policies::list_attached_user_policies,
    ),
    (
        "ListAttachedGroupPolicies",
        policies::list_attached_group_policies,
    ),
    (
        "ListAttachedRolePolicies",
        policies::list_attached_role_policies,
    ),
    ("ListEntitiesForPolicy", policies::list_entities_for_policy),
    // inline.rs
    ("PutUserPolicy", inline::put_user_policy),
    ("GetUserPolicy", inline::get_user_policy),
    ("ListUserPolicies", inline::list_user_policies),
    ("DeleteUserPolicy", inline::delete_user_policy),
    ("PutGroupPolicy", inline::put_group_policy),
    ("GetGroupPolicy", inline::get_group_policy),
    ("ListGroupPolicies", inline::list_group_policies),
    ("DeleteGroupPolicy", inline::delete_group_policy),
    ("PutRolePolicy", inline::put_role_policy),
    ("GetRolePolicy", inline::get_role_policy),
    ("ListRolePolicies", inline::list_role_policies),
    ("DeleteRolePolicy", inline::delete_role_policy),
    // access_keys.rs
    ("CreateAccessKey", access_keys::create_access_key),
    ("ListAccessKeys", access_keys::list_access_keys),
    ("UpdateAccessKey", access_keys::update_access_key),
    ("DeleteAccessKey", access_keys::delete_access_key),
    (
        "GetAccessKeyLastUsed",
        access_keys::get_access_key_last_used,
    ),
    // login_profiles.rs
    ("CreateLoginProfile", login_profiles::create_login_profile),
    ("GetLoginProfile", login_profiles::get_login_profile),
    ("UpdateLoginProfile", login_profiles::update_login_profile),
    ("DeleteLoginProfile", login_profiles::delete_login_profile),
    ("ChangePassword", login_profiles::change_password),
    (
        "GetAccountPasswordPolicy",
        login_profiles::get_account_password_policy,
    ),
    (
        "UpdateAccountPasswordPolicy",
        login_profiles::update_account_password_policy,
    ),
    (
        "DeleteAccountPasswordPolicy",
        login_profiles::delete_account_password_policy,
    ),
    // instance_profiles.rs
    (
        "CreateInstanceProfile",
        instance_profiles::create_instance_profile,
    ),
    (
        "GetInstanceProfile",
        instance_profiles::get_instance_profile,
    ),
    (
        "ListInstanceProfiles",
        instance_profiles::list_instance_profiles,
    ),
    (
        "DeleteInstanceProfile",
        instance_profiles::delete_instance_profile,
    ),
    (
        "AddRoleToInstanceProfile",
        instance_profiles::add_role_to_instance_profile,
    ),
    (
        "RemoveRoleFromInstanceProfile",
        instance_profiles::remove_role_from_instance_profile,
    ),
    (
        "ListInstanceProfilesForRole",
        instance_profiles::list_instance_profiles_for_role,
    ),
    // tags.rs
    ("TagUser", tags::tag_user),
    ("UntagUser", tags::untag_user),
    ("ListUserTags", tags::list_user_tags),
    ("TagRole", tags::tag_role),
    ("UntagRole", tags::untag_role),
    ("ListRoleTags", tags::list_role_tags),
    ("TagPolicy", tags::tag_policy),
    ("UntagPolicy", tags::untag_policy),
    ("ListPolicyTags", tags::list_policy_tags),
    ("TagInstanceProfile", tags::tag_instance_profile),
    ("UntagInstanceProfile", tags::untag_instance_profile),
    ("ListInstanceProfileTags", tags::list_instance_profile_tags),
    // account.rs
    (
        "GetAccountAuthorizationDetails",
        account::get_account_authorization_details,
    ),
    ("GetAccountSummary", account::get_account_summary),
    ("CreateAccountAlias", account::create_account_alias),
    ("DeleteAccountAlias", account::delete_account_alias),
    ("ListAccountAliases", account::list_account_aliases),
    // service_linked.rs
    (
        "CreateServiceLinkedRole",
        service_linked::create_service_linked_role,
    ),
    (
        "DeleteServiceLinkedRole",
        service_linked::delete_service_linked_role,
    ),
    (
        "GetServiceLinkedRoleDeletionStatus",
        service_linked::get_service_linked_role_deletion_status,
    ),
    // simulate.rs
    (
        "SimulatePrincipalPolicy",
        simulate::simulate_principal_policy,
    ),
    ("SimulateCustomPolicy", simulate::simulate_custom_policy),
];

fn handler(operation: &str) -> Option<Handler> {
    gureum_core::service::find_handler(OPERATIONS, operation)
}

impl Service for Iam {
    fn name(&self) -> &'static str {
        "iam"
    }

    fn implements(&self, operation: &str) -> bool {
        handler(operation).is_some()
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: OperationInput,
    ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
        Box::pin(async move {
            gureum_core::service::dispatch_values(
                "iam",
                OPERATIONS,
                self,
                ctx,
                operation,
                input.params,
            )
        })
    }

    fn authz_targets(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &OperationInput,
    ) -> Vec<AuthzTarget> {
        authz::targets(self, ctx, operation, &input.params)
    }
}

/// Deserializes an operation's input into its struct.
fn input<T: DeserializeOwned>(params: Value) -> Result<T, AwsError> {
    // awsQuery sends no params at all for an operation without input members.
    let params = if params.is_null() {
        Value::Object(Default::default())
    } else {
        params
    };
    gureum_core::service::parse_input(params)
}

/// A fresh unique id: `prefix` and 17 characters, as AWS writes them (`AIDA...`).
fn new_id(prefix: &str) -> String {
    gureum_core::ids::random_id(prefix, 17)
}

/// The empty output of operations that answer nothing.
fn empty() -> Value {
    Value::Object(Default::default())
}

/// The user an operation without `UserName` acts on: the calling IAM user. `None` for root.
fn caller_user(ctx: &RequestContext) -> Result<Option<String>, AwsError> {
    match &ctx.principal.kind {
        gureum_core::PrincipalKind::Root => Ok(None),
        gureum_core::PrincipalKind::User { name } => Ok(Some(name.clone())),
        _ => Err(AwsError::validation(
            "Must specify userName when calling with non-User credentials",
        )),
    }
}

#[cfg(test)]
mod tests;
