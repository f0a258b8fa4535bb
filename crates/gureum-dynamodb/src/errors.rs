//! DynamoDB's error codes (all 400 and sender faults, except the store failing underneath).

use gureum_core::AwsError;
use gureum_store::StoreError;

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("ValidationException", message)
}

pub fn resource_not_found(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("ResourceNotFoundException", message)
}

pub fn resource_in_use(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("ResourceInUseException", message)
}

pub fn conditional_check_failed() -> AwsError {
    AwsError::bad_request(
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )
}

pub fn store_error(e: StoreError) -> AwsError {
    AwsError::new(
        "InternalServerError",
        500,
        format!("DynamoDB storage failed: {e}"),
    )
}
