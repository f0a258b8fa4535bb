//! KMS: keys that really encrypt. The service is wired into the pipeline; its operations land here one group at a time.

use gureum_core::{AwsError, BoxFuture, OperationInput, OperationOutput, RequestContext, Service};
use gureum_store::Storage;

/// The `kms` service.
pub struct Kms {
    #[allow(dead_code)]
    storage: Storage,
}

impl Kms {
    pub fn new(storage: Storage) -> Self {
        Kms { storage }
    }
}

impl Service for Kms {
    fn name(&self) -> &'static str {
        "kms"
    }

    fn implements(&self, _operation: &str) -> bool {
        false
    }

    fn call<'a>(
        &'a self,
        _ctx: &'a RequestContext,
        operation: &'a str,
        _input: OperationInput,
    ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
        Box::pin(async move { Err(AwsError::not_implemented("kms", operation)) })
    }
}
