//! Credentials: what an access key id resolves to. Root keys come from configuration, IAM user
//! keys and session credentials from the IAM service; the pipeline asks every provider in turn.

use crate::context::Principal;

#[derive(Debug, Clone)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Temporary credentials carry a session token the request must present.
    pub session_token: Option<String>,
    /// Expiry in server-clock seconds since the epoch, for temporary credentials.
    pub expires_at: Option<i64>,
    /// Inactive keys are refused.
    pub active: bool,
    pub principal: Principal,
}

/// Resolves access key ids to credentials.
pub trait CredentialProvider: Send + Sync {
    fn lookup(&self, access_key_id: &str) -> Option<Credential>;
}
