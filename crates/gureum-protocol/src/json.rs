//! awsJson1_0 / awsJson1_1 (stub until the codec lands).

use crate::{HttpRequest, HttpResponse, Protocol};
use gureum_core::{AwsError, OperationInput, OperationOutput};
use gureum_model::{Operation, ServiceModel};

pub(crate) fn decode(_model: &ServiceModel, _op: &Operation, _req: &HttpRequest) -> Result<OperationInput, AwsError> {
    Err(AwsError::internal("json decoding is not built yet"))
}

pub(crate) fn encode(_model: &ServiceModel, _op: &Operation, _out: &OperationOutput) -> Result<HttpResponse, AwsError> {
    Err(AwsError::internal("json encoding is not built yet"))
}

pub(crate) fn encode_error(_protocol: Protocol, _model: Option<&ServiceModel>, err: &AwsError) -> HttpResponse {
    let body = serde_json::json!({"__type": err.code, "message": err.message}).to_string();
    HttpResponse::new(err.status, "application/x-amz-json-1.1", body).header("x-amzn-errortype", err.code.to_string())
}
