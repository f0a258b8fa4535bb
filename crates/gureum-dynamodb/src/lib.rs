//! DynamoDB: tables that answer queries. The service is wired into the pipeline; its operations land here one group at a time.

use gureum_core::{AwsError, BoxFuture, OperationInput, OperationOutput, RequestContext, Service};
use gureum_store::Storage;

/// The `dynamodb` service.
pub struct DynamoDb {
    #[allow(dead_code)]
    storage: Storage,
}

impl DynamoDb {
    pub fn new(storage: Storage) -> Self {
        DynamoDb { storage }
    }
}

impl Service for DynamoDb {
    fn name(&self) -> &'static str {
        "dynamodb"
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
        Box::pin(async move { Err(AwsError::not_implemented("dynamodb", operation)) })
    }
}
