//! Temporary credentials: issued by STS, stored with the secret sealed under the master key,
//! resolved by [`StsCredentials`] for SigV4 (which checks the session token and the expiry on
//! the server clock).

use std::sync::Arc;

use base64::Engine;
use gureum_core::{Credential, CredentialProvider, Principal, PrincipalKind};
use gureum_store::{KvStore, Sealer, Storage};

use crate::authorizer::{GenerationCache, PolicyGeneration};
use serde::{Deserialize, Serialize};

pub const TABLE: &str = "sts.sessions";
const RECORD_VERSION: u16 = 1;

/// A principal as stored with a session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StoredKind {
    Root,
    User {
        name: String,
    },
    AssumedRole {
        role_name: String,
        role_arn: String,
        session_name: String,
    },
    FederatedUser {
        name: String,
        user_name: String,
    },
}

/// One set of temporary credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub access_key_id: String,
    /// The secret access key sealed under the master key (base64).
    pub secret_sealed: String,
    pub session_token: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub account_id: String,
    pub arn: String,
    pub user_id: String,
    pub kind: StoredKind,
    /// Inline session policy, if any: it limits what the session may do.
    #[serde(default)]
    pub session_policy: Option<String>,
    /// Managed policies passed as session policies.
    #[serde(default)]
    pub policy_arns: Vec<String>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// The long-term access key that asked for these credentials.
    pub source_access_key_id: String,
}

impl Session {
    pub fn principal(&self) -> Principal {
        Principal {
            account_id: self.account_id.clone(),
            arn: self.arn.clone(),
            user_id: self.user_id.clone(),
            kind: match &self.kind {
                StoredKind::Root => PrincipalKind::Root,
                StoredKind::User { name } => PrincipalKind::User { name: name.clone() },
                StoredKind::AssumedRole {
                    role_name,
                    session_name,
                    ..
                } => PrincipalKind::AssumedRole {
                    role_name: role_name.clone(),
                    session_name: session_name.clone(),
                },
                StoredKind::FederatedUser { name, .. } => {
                    PrincipalKind::FederatedUser { name: name.clone() }
                }
            },
        }
    }
}

/// What a caller of STS gets back.
pub struct Issued {
    pub session: Session,
    pub secret_access_key: String,
}

/// What a new session is for; [`issue`] adds keys, token and times.
pub struct SessionRequest {
    pub account_id: String,
    pub arn: String,
    pub user_id: String,
    pub kind: StoredKind,
    pub duration_secs: i64,
    pub session_policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub source_access_key_id: String,
}

fn seal_context(access_key_id: &str) -> Vec<u8> {
    format!("sts.session/{access_key_id}").into_bytes()
}

/// Creates and stores temporary credentials.
pub fn issue(
    storage: &Storage,
    now_secs: i64,
    req: SessionRequest,
) -> Result<Issued, gureum_store::StoreError> {
    let access_key_id = gureum_core::ids::random_id("ASIA", 16);
    let secret = gureum_core::ids::random_secret();
    let sealed = storage
        .sealer
        .seal(secret.as_bytes(), &seal_context(&access_key_id))?;
    let session = Session {
        secret_sealed: base64::engine::general_purpose::STANDARD.encode(sealed),
        session_token: gureum_core::ids::random_base64(180),
        issued_at: now_secs,
        expires_at: now_secs + req.duration_secs,
        account_id: req.account_id,
        arn: req.arn,
        user_id: req.user_id,
        kind: req.kind,
        session_policy: req.session_policy,
        policy_arns: req.policy_arns,
        tags: req.tags,
        source_access_key_id: req.source_access_key_id,
        access_key_id,
    };
    let record = gureum_store::encode_record(RECORD_VERSION, &session)?;
    storage
        .kv
        .put(TABLE, session.access_key_id.as_bytes(), &record)?;
    Ok(Issued {
        session,
        secret_access_key: secret,
    })
}

/// Reads a session by its access key id.
pub fn get(kv: &dyn KvStore, access_key_id: &str) -> Option<Session> {
    let bytes = kv.get(TABLE, access_key_id.as_bytes()).ok()??;
    gureum_store::decode_record(&bytes, RECORD_VERSION, gureum_store::no_migration).ok()
}

/// Resolves `ASIA...` access key ids issued by STS.
pub struct StsCredentials {
    kv: Arc<dyn KvStore>,
    sealer: Arc<Sealer>,
    /// Resolved sessions (they never change once issued; the admin reset bumps the generation).
    resolved: Option<GenerationCache<Option<Credential>>>,
}

impl StsCredentials {
    pub fn new(storage: &Storage) -> Self {
        StsCredentials {
            kv: storage.kv.clone(),
            sealer: storage.sealer.clone(),
            resolved: None,
        }
    }

    /// Remembers resolved sessions until `generation` moves.
    pub fn cached(mut self, generation: Arc<PolicyGeneration>) -> Self {
        self.resolved = Some(GenerationCache::new(generation));
        self
    }

    fn resolve(&self, access_key_id: &str) -> Option<Credential> {
        let session = get(self.kv.as_ref(), access_key_id)?;
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&session.secret_sealed)
            .ok()?;
        let secret = self
            .sealer
            .unseal(&sealed, &seal_context(access_key_id))
            .ok()?;
        Some(Credential {
            access_key_id: access_key_id.to_string(),
            secret_access_key: String::from_utf8(secret).ok()?,
            session_token: Some(session.session_token.clone()),
            expires_at: Some(session.expires_at),
            active: true,
            principal: session.principal(),
        })
    }
}

impl CredentialProvider for StsCredentials {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        if !access_key_id.starts_with("ASIA") {
            return None;
        }
        match &self.resolved {
            Some(cache) => cache
                .get_or_try_insert::<()>(access_key_id, || Ok(self.resolve(access_key_id)))
                .ok()
                .flatten(),
            None => self.resolve(access_key_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_credentials_resolve_with_token_and_expiry() {
        let storage = Storage::ephemeral();
        let issued = issue(
            &storage,
            1000,
            SessionRequest {
                account_id: "000000000000".into(),
                arn: "arn:aws:iam::000000000000:user/alice".into(),
                user_id: "AIDAEXAMPLE".into(),
                kind: StoredKind::User {
                    name: "alice".into(),
                },
                duration_secs: 900,
                session_policy: None,
                policy_arns: vec![],
                tags: vec![],
                source_access_key_id: "AKIAEXAMPLE".into(),
            },
        )
        .unwrap();
        let provider = StsCredentials::new(&storage);
        let c = provider.lookup(&issued.session.access_key_id).unwrap();
        assert_eq!(c.secret_access_key, issued.secret_access_key);
        assert_eq!(
            c.session_token.as_deref(),
            Some(issued.session.session_token.as_str())
        );
        assert_eq!(c.expires_at, Some(1900));
        assert_eq!(
            c.principal.kind,
            PrincipalKind::User {
                name: "alice".into()
            }
        );
        assert!(provider.lookup("ASIANOSUCHKEY0000000").is_none());
        assert!(provider.lookup("AKIA0000000000000000").is_none());
        // The stored record never holds the secret in the clear.
        let raw = storage
            .kv
            .get(TABLE, issued.session.access_key_id.as_bytes())
            .unwrap()
            .unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains(&issued.secret_access_key));
    }
}
