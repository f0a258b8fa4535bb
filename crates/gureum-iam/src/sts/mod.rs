//! STS (`sts` in botocore's naming): caller identity and temporary credentials.

mod ops;
pub mod sessions;

use std::sync::{Arc, OnceLock};

use gureum_core::{
    AuthzTarget, AwsError, BoxFuture, CredentialProvider, OperationInput, OperationOutput,
    RequestContext, Service,
};
use gureum_store::Storage;

use crate::authorizer::IamAuthorizer;

pub use sessions::StsCredentials;

/// The STS service.
pub struct Sts {
    storage: Storage,
    /// Every credential source, for GetAccessKeyInfo; set once the binary has built the chain.
    credentials: OnceLock<Arc<dyn CredentialProvider>>,
    /// IAM's evaluator, for the trust-policy decision of AssumeRole.
    authorizer: OnceLock<Arc<IamAuthorizer>>,
}

impl Sts {
    pub fn new(storage: Storage) -> Self {
        Sts {
            storage,
            credentials: OnceLock::new(),
            authorizer: OnceLock::new(),
        }
    }

    /// Gives STS the full credential chain (root, IAM keys, sessions).
    pub fn set_credentials(&self, chain: Arc<dyn CredentialProvider>) {
        let _ = self.credentials.set(chain);
    }

    /// Gives STS IAM's evaluator (AssumeRole answers AccessDenied without it).
    pub fn set_authorizer(&self, authorizer: Arc<IamAuthorizer>) {
        let _ = self.authorizer.set(authorizer);
    }
}

impl Service for Sts {
    fn name(&self) -> &'static str {
        "sts"
    }

    fn implements(&self, operation: &str) -> bool {
        matches!(
            operation,
            "GetCallerIdentity" | "GetSessionToken" | "GetAccessKeyInfo" | "AssumeRole"
        )
    }

    /// GetCallerIdentity needs no permission, as in AWS; the credential-issuing operations
    /// check their own policies (trust policies for AssumeRole).
    fn authz_targets(
        &self,
        _: &RequestContext,
        operation: &str,
        _: &OperationInput,
    ) -> Vec<AuthzTarget> {
        match operation {
            "GetCallerIdentity" | "GetSessionToken" | "GetAccessKeyInfo" | "AssumeRole" => {
                Vec::new()
            }
            other => vec![AuthzTarget::new(format!("sts:{other}"), "*")],
        }
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: OperationInput,
    ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
        Box::pin(async move {
            match operation {
                "GetCallerIdentity" => ops::get_caller_identity(ctx),
                "GetSessionToken" => ops::get_session_token(&self.storage, ctx, input),
                "GetAccessKeyInfo" => {
                    ops::get_access_key_info(self.credentials.get().map(|c| c.as_ref()), input)
                }
                "AssumeRole" => match self.authorizer.get() {
                    Some(authorizer) => ops::assume_role(&self.storage, authorizer, ctx, input),
                    None => Err(AwsError::access_denied("IAM is not wired")),
                },
                other => Err(AwsError::not_implemented("sts", other)),
            }
        })
    }
}
