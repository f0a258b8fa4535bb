//! Users, groups and roles seen alike: the three kinds of entity that hold inline policies and
//! attached managed policies, so attach/detach and put/get/list/delete of inline policies are
//! written once.

use std::collections::BTreeMap;

use gureum_core::AwsError;
use gureum_store::Txn;

use super::errors;
use super::validate::PolicyKind;
use crate::model::{self, EntityKind, Group, Reader, Role, User};

/// An entity policies attach to.
pub trait PolicyHolder: Sized {
    const KIND: EntityKind;
    /// The quota name of attached managed policies (`PoliciesPerUser`).
    const ATTACH_QUOTA: &'static str;
    /// The request member naming the entity (`UserName`).
    const NAME_MEMBER: &'static str;
    /// The grammar and size quota of this entity's inline policies.
    const INLINE_KIND: PolicyKind;

    fn load<R: Reader + ?Sized>(
        r: &mut R,
        account: &str,
        name: &str,
    ) -> Result<Option<Self>, AwsError>;
    fn store(&self, txn: &mut dyn Txn, account: &str) -> Result<(), AwsError>;
    fn missing(name: &str) -> AwsError;
    fn name(&self) -> &str;
    fn id(&self) -> &str;
    fn attached(&mut self) -> &mut Vec<String>;
    fn inline(&mut self) -> &mut BTreeMap<String, String>;
    /// `NoSuchEntity` for an inline policy of this entity that does not exist.
    fn missing_inline(&self, policy: &str) -> AwsError;
    /// Refuses changes AWS does not allow (service-linked roles).
    fn check_modifiable(&self) -> Result<(), AwsError> {
        Ok(())
    }

    /// Loads the entity or answers `NoSuchEntity`.
    fn require<R: Reader + ?Sized>(r: &mut R, account: &str, name: &str) -> Result<Self, AwsError> {
        Self::load(r, account, name)?.ok_or_else(|| Self::missing(name))
    }
}

impl PolicyHolder for User {
    const KIND: EntityKind = EntityKind::User;
    const ATTACH_QUOTA: &'static str = "PoliciesPerUser";
    const NAME_MEMBER: &'static str = "UserName";
    const INLINE_KIND: PolicyKind = PolicyKind::UserInline;

    fn load<R: Reader + ?Sized>(
        r: &mut R,
        account: &str,
        name: &str,
    ) -> Result<Option<Self>, AwsError> {
        model::get_user(r, account, name)
    }
    fn store(&self, txn: &mut dyn Txn, account: &str) -> Result<(), AwsError> {
        model::put_user(txn, account, self)
    }
    fn missing(name: &str) -> AwsError {
        errors::no_such_user(name)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn attached(&mut self) -> &mut Vec<String> {
        &mut self.attached_policies
    }
    fn inline(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.inline_policies
    }
    fn missing_inline(&self, policy: &str) -> AwsError {
        errors::no_such_entity(format!(
            "The user policy with name {policy} cannot be found."
        ))
    }
}

impl PolicyHolder for Group {
    const KIND: EntityKind = EntityKind::Group;
    const ATTACH_QUOTA: &'static str = "PoliciesPerGroup";
    const NAME_MEMBER: &'static str = "GroupName";
    const INLINE_KIND: PolicyKind = PolicyKind::GroupInline;

    fn load<R: Reader + ?Sized>(
        r: &mut R,
        account: &str,
        name: &str,
    ) -> Result<Option<Self>, AwsError> {
        model::get_group(r, account, name)
    }
    fn store(&self, txn: &mut dyn Txn, account: &str) -> Result<(), AwsError> {
        model::put_group(txn, account, self)
    }
    fn missing(name: &str) -> AwsError {
        errors::no_such_group(name)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn attached(&mut self) -> &mut Vec<String> {
        &mut self.attached_policies
    }
    fn inline(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.inline_policies
    }
    fn missing_inline(&self, policy: &str) -> AwsError {
        errors::no_such_entity(format!(
            "The group policy with name {policy} cannot be found."
        ))
    }
}

impl PolicyHolder for Role {
    const KIND: EntityKind = EntityKind::Role;
    const ATTACH_QUOTA: &'static str = "PoliciesPerRole";
    const NAME_MEMBER: &'static str = "RoleName";
    const INLINE_KIND: PolicyKind = PolicyKind::RoleInline;

    fn load<R: Reader + ?Sized>(
        r: &mut R,
        account: &str,
        name: &str,
    ) -> Result<Option<Self>, AwsError> {
        model::get_role(r, account, name)
    }
    fn store(&self, txn: &mut dyn Txn, account: &str) -> Result<(), AwsError> {
        model::put_role(txn, account, self)
    }
    fn missing(name: &str) -> AwsError {
        errors::no_such_role(name)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn attached(&mut self) -> &mut Vec<String> {
        &mut self.attached_policies
    }
    fn inline(&mut self) -> &mut BTreeMap<String, String> {
        &mut self.inline_policies
    }
    fn missing_inline(&self, policy: &str) -> AwsError {
        errors::no_such_entity(format!(
            "The role policy with name {policy} cannot be found."
        ))
    }
    fn check_modifiable(&self) -> Result<(), AwsError> {
        if self.linked_service.is_some() {
            return Err(errors::protected_role(&self.name));
        }
        Ok(())
    }
}
