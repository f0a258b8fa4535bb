//! S3: buckets and objects on disk. The service is wired into the pipeline; its operations land here one group at a time.

use gureum_core::{AwsError, BoxFuture, OperationInput, OperationOutput, RequestContext, Service};
use gureum_store::Storage;

/// The `s3` service.
pub struct S3 {
    #[allow(dead_code)]
    storage: Storage,
}

impl S3 {
    pub fn new(storage: Storage) -> Self {
        S3 { storage }
    }
}

impl Service for S3 {
    fn name(&self) -> &'static str {
        "s3"
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
        Box::pin(async move { Err(AwsError::not_implemented("s3", operation)) })
    }
}
