//! IAM users' access keys as a credential source for SigV4: an active key resolves to its
//! user's principal with the secret unsealed from the store; an inactive key resolves with
//! `active: false`; a key whose user is gone resolves to nothing.
//!
//! Key use is recorded for GetAccessKeyLastUsed without a store write per request: each key's
//! last-used record is written at most once a minute.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use gureum_core::{Clock, Credential, CredentialProvider, Principal, PrincipalKind};
use gureum_store::{KvStore, Sealer, Storage, Versioned};

use crate::authorizer::{GenerationCache, PolicyGeneration};
use crate::model::{self, KEY_LAST_USED, KeyLastUsed};

/// How often a key's last-used record is rewritten, at most.
const LAST_USED_GRANULARITY_SECS: i64 = 60;

/// Resolves IAM user access keys (`AKIA...`).
pub struct IamCredentials {
    kv: Arc<dyn KvStore>,
    sealer: Arc<Sealer>,
    clock: Clock,
    /// When each key's last-used record was last written (server seconds).
    flushed: Mutex<HashMap<String, i64>>,
    /// Resolved keys, until the next IAM change (`None` without a cache).
    resolved: Option<GenerationCache<Option<Credential>>>,
}

impl IamCredentials {
    pub fn new(storage: &Storage, clock: Clock) -> Self {
        IamCredentials {
            kv: storage.kv.clone(),
            sealer: storage.sealer.clone(),
            clock,
            flushed: Mutex::new(HashMap::new()),
            resolved: None,
        }
    }

    /// Remembers resolved keys until IAM next changes (every change bumps `generation`), so a
    /// request costs no store read, decoding or unsealing for its key.
    pub fn cached(mut self, generation: Arc<PolicyGeneration>) -> Self {
        self.resolved = Some(GenerationCache::new(generation));
        self
    }

    /// Records that `access_key_id` signed a request for `service` in `region` (the pipeline may
    /// call this once it knows both; [`CredentialProvider::lookup`] records the time alone).
    /// Writes at most once a minute per key.
    pub fn record_use(&self, access_key_id: &str, service: &str, region: &str) {
        let now = self.clock.now_secs();
        if self.due(access_key_id, now) {
            self.write_use(access_key_id, now, service.to_string(), region.to_string());
        }
    }

    /// Whether the key's last-used record should be written now; claims the slot if so.
    fn due(&self, access_key_id: &str, now: i64) -> bool {
        let mut flushed = self.flushed.lock().unwrap_or_else(|e| e.into_inner());
        if flushed
            .get(access_key_id)
            .is_some_and(|t| now - t < LAST_USED_GRANULARITY_SECS)
        {
            return false;
        }
        flushed.insert(access_key_id.to_string(), now);
        true
    }

    fn write_use(&self, access_key_id: &str, now: i64, service: String, region: String) {
        let record = KeyLastUsed {
            date: now,
            service,
            region,
        };
        let written = record
            .to_record()
            .and_then(|bytes| self.kv.put(KEY_LAST_USED, access_key_id.as_bytes(), &bytes));
        if let Err(e) = written {
            // Not the request's problem; the next minute tries again.
            tracing::warn!(error = %e, access_key_id, "recording access key use failed");
        }
    }

    fn resolve(&self, access_key_id: &str) -> Option<Credential> {
        let r = &mut model::Committed(&*self.kv);
        let key = model::get_access_key(r, access_key_id).ok()??;
        let user = model::get_user(r, &key.account, &key.user_name).ok()??;
        if !user.access_keys.iter().any(|k| k == access_key_id) {
            return None;
        }
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&key.secret_sealed)
            .ok()?;
        let secret = self.sealer.unseal(&sealed, access_key_id.as_bytes()).ok()?;
        let secret = String::from_utf8(secret).ok()?;
        Some(Credential {
            access_key_id: access_key_id.to_string(),
            secret_access_key: secret,
            session_token: None,
            expires_at: None,
            active: key.active,
            principal: Principal {
                account_id: key.account.clone(),
                arn: user.arn(&key.account),
                user_id: user.id.clone(),
                kind: PrincipalKind::User {
                    name: user.name.clone(),
                },
            },
        })
    }
}

impl CredentialProvider for IamCredentials {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        // IAM user keys start with AKIA; session keys (ASIA) and root keys belong to others.
        if !access_key_id.starts_with("AKIA") {
            return None;
        }
        let credential = match &self.resolved {
            Some(cache) => cache
                .get_or_try_insert::<()>(access_key_id, || Ok(self.resolve(access_key_id)))
                .ok()
                .flatten()?,
            None => self.resolve(access_key_id)?,
        };
        let now = self.clock.now_secs();
        if credential.active && self.due(access_key_id, now) {
            // Keep the service and region a fuller record_use left, if any.
            let last = model::get_key_last_used(&mut model::Committed(&*self.kv), access_key_id)
                .ok()
                .flatten();
            let (service, region) = last
                .map(|l| (l.service, l.region))
                .unwrap_or_else(|| ("N/A".into(), "N/A".into()));
            self.write_use(access_key_id, now, service, region);
        }
        Some(credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Iam;
    use gureum_core::{OperationInput, RequestContext, Service};
    use serde_json::{Value, json};

    fn ctx(clock: &Clock, account: &str) -> RequestContext {
        RequestContext {
            request_id: "r".into(),
            region: "us-east-1".into(),
            principal: Principal::root(account),
            access_key_id: "test".into(),
            clock: clock.clone(),
            service: "iam",
            operation: String::new(),
            source_ip: None,
            secure_transport: false,
        }
    }

    fn call(iam: &Iam, ctx: &RequestContext, op: &str, params: Value) -> Value {
        let fut = iam.call(
            ctx,
            op,
            OperationInput {
                params,
                payload: None,
                stream: None,
            },
        );
        block_on(fut).unwrap_or_else(|e| panic!("{op}: {e}")).params
    }

    /// Handlers never await anything, so one poll completes them.
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("handler did not complete"),
        }
    }

    #[test]
    fn keys_resolve_to_their_user_until_deleted() {
        let storage = Storage::ephemeral();
        let clock = Clock::new();
        let iam = Iam::new(storage.clone());
        let creds = IamCredentials::new(&storage, clock.clone());
        let c = ctx(&clock, "123456789012");
        let user = call(
            &iam,
            &c,
            "CreateUser",
            json!({"UserName": "dev", "Path": "/team/"}),
        );
        let key = call(&iam, &c, "CreateAccessKey", json!({"UserName": "dev"}));
        let id = key["AccessKey"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .to_string();
        let secret = key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_string();

        let found = creds.lookup(&id).expect("key resolves");
        assert_eq!(found.secret_access_key, secret);
        assert!(found.active);
        assert_eq!(found.principal.account_id, "123456789012");
        assert_eq!(
            found.principal.arn,
            "arn:aws:iam::123456789012:user/team/dev"
        );
        assert_eq!(found.principal.user_id, user["User"]["UserId"]);
        assert_eq!(
            found.principal.kind,
            PrincipalKind::User { name: "dev".into() }
        );
        // The stored record does not hold the secret in the clear.
        let raw = storage
            .kv
            .get(model::ACCESS_KEYS, id.as_bytes())
            .unwrap()
            .unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains(&secret));

        // Used: GetAccessKeyLastUsed shows a date.
        let used = call(&iam, &c, "GetAccessKeyLastUsed", json!({"AccessKeyId": id}));
        assert!(used["AccessKeyLastUsed"]["LastUsedDate"].is_number());

        call(
            &iam,
            &c,
            "UpdateAccessKey",
            json!({"UserName": "dev", "AccessKeyId": id, "Status": "Inactive"}),
        );
        assert!(!creds.lookup(&id).unwrap().active);

        assert!(creds.lookup("AKIANOSUCHKEY0000000").is_none());
        assert!(creds.lookup("test").is_none());

        // A key whose user is gone resolves to nothing, even if its record lingered.
        let txn_user = model::get_user(&mut model::Committed(&*storage.kv), "123456789012", "dev")
            .unwrap()
            .unwrap();
        model::transact(&*storage.kv, |txn| {
            model::delete_user(txn, "123456789012", &txn_user.name)
        })
        .unwrap();
        assert!(creds.lookup(&id).is_none());
    }

    #[test]
    fn last_use_is_written_at_most_once_a_minute() {
        let storage = Storage::ephemeral();
        let clock = Clock::new();
        let creds = IamCredentials::new(&storage, clock.clone());
        creds.record_use("AKIAEXAMPLE", "s3", "us-east-1");
        let first = model::get_key_last_used(&mut model::Committed(&*storage.kv), "AKIAEXAMPLE")
            .unwrap()
            .unwrap();
        creds.record_use("AKIAEXAMPLE", "ec2", "eu-west-1");
        let same = model::get_key_last_used(&mut model::Committed(&*storage.kv), "AKIAEXAMPLE")
            .unwrap()
            .unwrap();
        assert_eq!(same.service, "s3");
        clock.advance_secs(61);
        creds.record_use("AKIAEXAMPLE", "ec2", "eu-west-1");
        let later = model::get_key_last_used(&mut model::Committed(&*storage.kv), "AKIAEXAMPLE")
            .unwrap()
            .unwrap();
        assert_eq!(later.service, "ec2");
        assert!(later.date >= first.date + 61);
    }
}
