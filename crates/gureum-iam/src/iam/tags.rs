//! Tags on users, roles, customer managed policies and instance profiles: Tag*, Untag*, List*Tags.
//! At most 50 per entity; keys compare without case, and tagging a key again replaces its value.

use gureum_core::{AwsError, RequestContext};
use gureum_store::Txn;
use serde::Deserialize;
use serde_json::{Value, json};

use super::entities::PolicyHolder;
use super::render::paginate;
use super::{Iam, empty, errors, input, policies, validate};
use crate::model::{self, Reader, Role, Tag, User};

/// AWS's quota of tags per entity.
const TAGS_PER_ENTITY: usize = 50;

/// One kind of taggable entity: how to find it and where its tags are.
trait Taggable: Sized {
    /// The request member naming the entity.
    const NAME_MEMBER: &'static str;
    /// The quota name (`TagsPerUser`).
    const QUOTA: &'static str;
    fn load<R: Reader + ?Sized>(
        r: &mut R,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<Self, AwsError>;
    fn store(&self, txn: &mut dyn Txn, account: &str) -> Result<(), AwsError>;
    fn tags(&mut self) -> &mut Vec<Tag>;
}

impl Taggable for User {
    const NAME_MEMBER: &'static str = "UserName";
    const QUOTA: &'static str = "TagsPerUser";
    fn load<R: Reader + ?Sized>(
        r: &mut R,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<Self, AwsError> {
        <User as PolicyHolder>::require(r, ctx.account_id(), name)
    }
    fn store(&self, txn: &mut dyn Txn, account: &str) -> Result<(), AwsError> {
        model::put_user(txn, account, self)
    }
    fn tags(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
}

impl Taggable for Role {
    const NAME_MEMBER: &'static str = "RoleName";
    const QUOTA: &'static str = "TagsPerRole";
    fn load<R: Reader + ?Sized>(
        r: &mut R,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<Self, AwsError> {
        <Role as PolicyHolder>::require(r, ctx.account_id(), name)
    }
    fn store(&self, txn: &mut dyn Txn, account: &str) -> Result<(), AwsError> {
        model::put_role(txn, account, self)
    }
    fn tags(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
}

impl Taggable for model::ManagedPolicy {
    const NAME_MEMBER: &'static str = "PolicyArn";
    const QUOTA: &'static str = "TagsPerPolicy";
    fn load<R: Reader + ?Sized>(
        r: &mut R,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<Self, AwsError> {
        match policies::find(r, ctx.account_id(), arn)? {
            Some(policies::Found::Local(p)) => Ok(p),
            Some(policies::Found::Aws(_)) => {
                Err(policies::aws_policy_denied(ctx, "TagPolicy", arn))
            }
            None => Err(errors::no_such_policy(arn)),
        }
    }
    fn store(&self, txn: &mut dyn Txn, account: &str) -> Result<(), AwsError> {
        model::put_policy(txn, account, self)
    }
    fn tags(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
}

impl Taggable for model::InstanceProfile {
    const NAME_MEMBER: &'static str = "InstanceProfileName";
    const QUOTA: &'static str = "TagsPerInstanceProfile";
    fn load<R: Reader + ?Sized>(
        r: &mut R,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<Self, AwsError> {
        model::get_instance_profile(r, ctx.account_id(), name)?
            .ok_or_else(|| errors::no_such_instance_profile(name))
    }
    fn store(&self, txn: &mut dyn Txn, account: &str) -> Result<(), AwsError> {
        model::put_instance_profile(txn, account, self)
    }
    fn tags(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
}

fn entity_name<T: Taggable>(params: &Value) -> Result<String, AwsError> {
    params
        .get(T::NAME_MEMBER)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AwsError::validation(format!("{} is required", T::NAME_MEMBER)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagRequest {
    tags: Vec<Tag>,
}

fn tag<T: Taggable>(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let name = entity_name::<T>(&params)?;
    let req: TagRequest = input(params)?;
    validate::tags(&req.tags)?;
    model::transact(iam.kv(), |txn| {
        let mut entity = T::load(txn, ctx, &name)?;
        model::merge_tags(entity.tags(), &req.tags);
        if entity.tags().len() > TAGS_PER_ENTITY {
            return Err(errors::quota(T::QUOTA, TAGS_PER_ENTITY));
        }
        entity.store(txn, ctx.account_id())
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagRequest {
    tag_keys: Vec<String>,
}

fn untag<T: Taggable>(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let name = entity_name::<T>(&params)?;
    let req: UntagRequest = input(params)?;
    validate::tag_keys(&req.tag_keys)?;
    model::transact(iam.kv(), |txn| {
        let mut entity = T::load(txn, ctx, &name)?;
        model::remove_tags(entity.tags(), &req.tag_keys);
        entity.store(txn, ctx.account_id())
    })?;
    Ok(empty())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    marker: Option<String>,
    max_items: Option<i64>,
}

fn list<T: Taggable>(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    let name = entity_name::<T>(&params)?;
    let req: ListRequest = input(params)?;
    let mut entity = T::load(&mut model::Committed(iam.kv()), ctx, &name)?;
    let items = entity
        .tags()
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("{i:03}"), json!({"Key": t.key, "Value": t.value})))
        .collect();
    Ok(paginate(items, req.marker.as_deref(), req.max_items)?.output("Tags"))
}

pub fn tag_user(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    tag::<User>(iam, ctx, params)
}
pub fn untag_user(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    untag::<User>(iam, ctx, params)
}
pub fn list_user_tags(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    list::<User>(iam, ctx, params)
}
pub fn tag_role(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    tag::<Role>(iam, ctx, params)
}
pub fn untag_role(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    untag::<Role>(iam, ctx, params)
}
pub fn list_role_tags(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    list::<Role>(iam, ctx, params)
}
pub fn tag_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    tag::<model::ManagedPolicy>(iam, ctx, params)
}
pub fn untag_policy(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    untag::<model::ManagedPolicy>(iam, ctx, params)
}
pub fn list_policy_tags(iam: &Iam, ctx: &RequestContext, params: Value) -> Result<Value, AwsError> {
    list::<model::ManagedPolicy>(iam, ctx, params)
}
pub fn tag_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    tag::<model::InstanceProfile>(iam, ctx, params)
}
pub fn untag_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    untag::<model::InstanceProfile>(iam, ctx, params)
}
pub fn list_instance_profile_tags(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    list::<model::InstanceProfile>(iam, ctx, params)
}
