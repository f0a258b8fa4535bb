//! What a KMS request asks permission for: `kms:<Operation>` on the key's ARN
//! (`arn:aws:kms:REGION:ACCOUNT:key/KEY_ID`) with the key policy attached as the resource
//! policy, so IAM's evaluator decides with both the caller's policies and the key's. Operations
//! that create or list act on `*`; aliases are authorized on the alias ARN and on the key.
//! ReEncrypt needs `kms:ReEncryptFrom` on the source key and `kms:ReEncryptTo` on the
//! destination. The encryption context travels as `kms:EncryptionContext:<key>` condition keys
//! (and its keys as `kms:EncryptionContextKeys`). The policy attached is the key policy with the
//! key's grants written in as extra statements (`grants::policy_with_grants`); RetireGrant is
//! authorized on the key its grant token names. ReplicateKey also needs `kms:CreateKey` (and
//! `kms:TagResource` with tags); UpdatePrimaryRegion needs its action on the primary and on the
//! replica that becomes primary.

use std::sync::Arc;

use gureum_core::{AuthzTarget, RequestContext};
use serde_json::Value;

use crate::ciphertext;
use crate::model::{self, Committed, KeyRef};
use crate::{Kms, now};

/// The target for `action` on the key `id` names. An identifier that names no key still gets
/// its key ARN (or `*`), so the handler can answer NotFoundException to callers allowed to ask.
fn key_target(kms: &Kms, ctx: &RequestContext, action: &str, id: &str) -> AuthzTarget {
    let Ok(key_ref) = KeyRef::parse(ctx, id, true) else {
        return AuthzTarget::new(action, "*");
    };
    match model::resolve_shared(&mut Committed(kms.kv()), &key_ref, now(ctx)) {
        // A key policy is authoritative: IAM policies count only where it delegates to the
        // account (the default policy does).
        Ok(key) => AuthzTarget::new(action, key.arn())
            .with_resource_policy(
                key.account.clone(),
                Some(Arc::from(crate::grants::policy_with_grants(&key))),
            )
            .requiring_resource_policy(),
        Err(_) => match key_ref {
            KeyRef::Key {
                account,
                region,
                key_id,
            } => AuthzTarget::new(action, model::key_arn(&region, &account, &key_id))
                .with_resource_policy(account, None),
            // An AWS managed key not created yet: the policy it will have decides.
            KeyRef::Alias { .. } => match crate::managed::managed_alias(ctx, &key_ref) {
                Some((name, service)) => AuthzTarget::new(
                    action,
                    model::alias_arn(&ctx.region, ctx.account_id(), name),
                )
                .with_resource_policy(
                    ctx.account_id().to_string(),
                    Some(Arc::from(crate::managed::policy(
                        ctx.account_id(),
                        &ctx.region,
                        service,
                    ))),
                )
                .requiring_resource_policy(),
                None => AuthzTarget::new(action, "*"),
            },
        },
    }
    .with_context("kms:CallerAccount", ctx.account_id())
}

fn alias_target(ctx: &RequestContext, action: &str, name: &str) -> AuthzTarget {
    AuthzTarget::new(
        action,
        model::alias_arn(&ctx.region, ctx.account_id(), name),
    )
}

/// The key id the header of a ciphertext blob names, as a key ARN of the caller's scope.
fn blob_key_id(params: &Value, member: &str) -> Option<String> {
    // Decoded where it lies (as `Blob` decodes it), not from a copy of the member.
    use base64::Engine;
    let text = params.get(member)?.as_str()?;
    let blob = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .ok()?;
    let (header, _) = ciphertext::parse_header(&blob).ok()?;
    Some(header.key_id)
}

fn with_encryption_context(mut target: AuthzTarget, context: Option<&Value>) -> AuthzTarget {
    if let Some(Value::Object(pairs)) = context {
        for (k, v) in pairs {
            if let Some(v) = v.as_str() {
                target = target.with_context(format!("kms:EncryptionContext:{k}"), v);
                target = target.with_context("kms:EncryptionContextKeys", k.as_str());
            }
        }
    }
    target
}

/// The actions and resources of one KMS request.
pub fn targets(
    kms: &Kms,
    ctx: &RequestContext,
    operation: &str,
    params: &Value,
) -> Vec<AuthzTarget> {
    let s = |k: &str| params.get(k).and_then(Value::as_str);
    let action = ["kms:", operation].concat();
    match operation {
        "CreateKey" | "ListKeys" | "ListAliases" | "GenerateRandom" | "ListRetirableGrants" => {
            vec![AuthzTarget::new(action, "*")]
        }
        "CreateAlias" | "UpdateAlias" => {
            let mut out = vec![alias_target(ctx, &action, s("AliasName").unwrap_or(""))];
            if let Some(target) = s("TargetKeyId") {
                out.push(key_target(kms, ctx, &action, target));
            }
            out
        }
        "DeleteAlias" => {
            let name = s("AliasName").unwrap_or("");
            // `alias/aws/` aliases are refused by the handler (NotAuthorizedException), not by
            // their key's policy.
            if name.starts_with("alias/aws/") {
                return vec![alias_target(ctx, &action, name)];
            }
            vec![
                alias_target(ctx, &action, name),
                key_target(kms, ctx, &action, name),
            ]
        }
        // Replicating creates a key in the replica region as well.
        "ReplicateKey" => {
            let mut out = vec![key_target(kms, ctx, &action, s("KeyId").unwrap_or(""))];
            out.push(AuthzTarget::new("kms:CreateKey", "*"));
            if params.get("Tags").is_some_and(|t| !t.is_null()) {
                out.push(AuthzTarget::new("kms:TagResource", "*"));
            }
            out
        }
        // Moving the primary needs permission on the primary and on the replica that takes over.
        "UpdatePrimaryRegion" => {
            let id = s("KeyId").unwrap_or("");
            let mut out = vec![key_target(kms, ctx, &action, id)];
            let replica = KeyRef::parse(ctx, id, true)
                .ok()
                .and_then(|r| model::resolve(&mut Committed(kms.kv()), &r, now(ctx)).ok())
                .zip(s("PrimaryRegion"));
            if let Some((key, region)) = replica {
                let arn = model::key_arn(region, &key.account, &key.key_id);
                out.push(key_target(kms, ctx, &action, &arn));
            }
            out
        }
        "RetireGrant" => match crate::grants::retire_target(ctx, params) {
            Some((key, _)) => vec![key_target(kms, ctx, &action, &key)],
            None => vec![AuthzTarget::new(action, "*")],
        },
        "Decrypt" => {
            let id = s("KeyId")
                .map(str::to_string)
                .or_else(|| blob_key_id(params, "CiphertextBlob"));
            let target = match id {
                Some(id) => key_target(kms, ctx, &action, &id),
                None => AuthzTarget::new(action, "*"),
            };
            vec![with_encryption_context(
                target,
                params.get("EncryptionContext"),
            )]
        }
        "ReEncrypt" => {
            let source = s("SourceKeyId")
                .map(str::to_string)
                .or_else(|| blob_key_id(params, "CiphertextBlob"));
            let from = match source {
                Some(id) => key_target(kms, ctx, "kms:ReEncryptFrom", &id),
                None => AuthzTarget::new("kms:ReEncryptFrom", "*"),
            };
            let to = key_target(
                kms,
                ctx,
                "kms:ReEncryptTo",
                s("DestinationKeyId").unwrap_or(""),
            );
            vec![
                with_encryption_context(from, params.get("SourceEncryptionContext")),
                with_encryption_context(to, params.get("DestinationEncryptionContext")),
            ]
        }
        _ => {
            let target = match s("KeyId") {
                Some(id) => key_target(kms, ctx, &action, id),
                None => AuthzTarget::new(action, "*"),
            };
            vec![with_encryption_context(
                target,
                params.get("EncryptionContext"),
            )]
        }
    }
}
