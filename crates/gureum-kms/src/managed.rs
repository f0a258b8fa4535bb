//! AWS managed keys: `alias/aws/<service>` (e.g. `alias/aws/s3`, `alias/aws/dynamodb`). As in
//! AWS, such a key does not exist until first used: when DescribeKey, Encrypt, GenerateDataKey
//! (or ReEncrypt's destination) names the alias in the caller's own account and region, the key
//! and its alias are created in one transaction. The key is SYMMETRIC_DEFAULT, `KeyManager`
//! `AWS`, rotated yearly (rotation enabled, period 365 days), and its policy is the one AWS
//! writes for these keys (see [`policy`]):
//!
//! - every principal of the account (`kms:CallerAccount`) may Encrypt, Decrypt, ReEncrypt*,
//!   GenerateDataKey* and DescribeKey *through the service* (`kms:ViaService` =
//!   `<service>.<region>.amazonaws.com`); a direct call carries no `kms:ViaService`, so it is
//!   refused with AccessDeniedException, as AWS refuses it;
//! - the account (its root, hence its IAM policies) may `kms:Describe*`, `kms:Get*` and
//!   `kms:List*` directly.
//!
//! Nothing else is allowed to anyone: users cannot disable, delete, re-policy or tag these keys
//! (the key policy is authoritative), and `alias/aws/` aliases cannot be created, moved or
//! deleted by users (`aliases.rs`: NotAuthorizedException). Before the key exists, requests
//! naming the alias are authorized against the policy it will have (`authz.rs`).

use gureum_core::{AwsError, RequestContext};
use serde_json::json;

use crate::model::{self, AliasRecord, KeyRecord, KeyRef};
use crate::{Kms, new_material, now, now_ts};

/// `AWS` in `KeyMetadata.KeyManager`.
pub const AWS: &str = "AWS";
const PREFIX: &str = "alias/aws/";

/// The service an `alias/aws/<service>` name belongs to, if it is one.
pub fn service_of(alias: &str) -> Option<&str> {
    let service = alias.strip_prefix(PREFIX)?;
    let ok = !service.is_empty()
        && service.len() <= 64
        && service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then_some(service)
}

/// The managed alias a key reference names in the caller's own account and region.
pub fn managed_alias<'a>(ctx: &RequestContext, key_ref: &'a KeyRef) -> Option<(&'a str, &'a str)> {
    match key_ref {
        KeyRef::Alias {
            account,
            region,
            name,
        } if account == ctx.account_id() && *region == ctx.region => {
            service_of(name).map(|s| (name.as_str(), s))
        }
        _ => None,
    }
}

/// The key policy AWS writes for the managed key of `service`.
pub fn policy(account: &str, region: &str, service: &str) -> String {
    let policy = json!({
        "Version": "2012-10-17",
        "Id": format!("auto-{service}-1"),
        "Statement": [
            {
                "Sid": format!("Allow access through {service} for all principals in the account that are authorized to use {service}"),
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey"
                ],
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:CallerAccount": account,
                    "kms:ViaService": format!("{service}.{region}.amazonaws.com"),
                }},
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
                "Resource": "*",
            },
        ],
    });
    serde_json::to_string_pretty(&policy).unwrap_or_default()
}

/// Creates the managed key `key_ref` names, if it names one that does not exist yet.
pub fn ensure(kms: &Kms, ctx: &RequestContext, key_ref: &KeyRef) -> Result<(), AwsError> {
    let Some((name, service)) = managed_alias(ctx, key_ref) else {
        return Ok(());
    };
    let (account, region, now) = (ctx.account_id(), ctx.region.as_str(), now(ctx));
    if model::get_alias(&mut model::Committed(kms.kv()), account, region, name, now)?.is_some() {
        return Ok(());
    }
    let key_id = model::new_key_id();
    let spec = "SYMMETRIC_DEFAULT";
    let material = new_material(kms, ctx, account, region, &key_id, spec, 1, None)?;
    let stamp = now_ts(ctx);
    let key = KeyRecord {
        key_id: key_id.clone(),
        account: account.to_string(),
        region: region.to_string(),
        created: stamp,
        description: format!(
            "Default key that protects my {service} data when no other key is defined"
        ),
        key_usage: "ENCRYPT_DECRYPT".into(),
        key_spec: spec.into(),
        origin: "AWS_KMS".into(),
        key_manager: Some(AWS.into()),
        enabled: true,
        deletion_date: None,
        pending_window_days: None,
        policy: policy(account, region, service),
        tags: Vec::new(),
        // AWS rotates its managed keys every year.
        rotation_enabled: true,
        rotation_period_days: Some(365),
        materials: vec![material],
        grants: Vec::new(),
        import: None,
        replica_deletion_pending: false,
        hsm: None,
        multi_region: None,
    };
    model::transact(kms.kv(), |txn| {
        // Another request may have created it meanwhile: keep the first.
        if model::get_alias(txn, account, region, name, now)?.is_some() {
            return Ok(());
        }
        let k = model::key_key(account, region, &key_id);
        model::write(txn, model::KEYS, &k, &key)?;
        let alias = AliasRecord {
            name: name.to_string(),
            target_key_id: key_id.clone(),
            created: stamp,
            updated: stamp,
        };
        model::write(
            txn,
            model::ALIASES,
            &model::alias_key(account, region, name),
            &alias,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_alias_names() {
        assert_eq!(service_of("alias/aws/s3"), Some("s3"));
        assert_eq!(service_of("alias/aws/dynamodb"), Some("dynamodb"));
        assert_eq!(service_of("alias/aws/"), None);
        assert_eq!(service_of("alias/aws/S3"), None);
        assert_eq!(service_of("alias/mine"), None);
        let text = policy("123456789012", "us-east-1", "s3");
        assert!(crate::policy::parse(&text).is_ok());
        assert!(text.contains("s3.us-east-1.amazonaws.com"));
    }
}
