//! restJson1 (stub until the codec lands).

use crate::{HttpRequest, HttpResponse};
use gureum_core::{AwsError, OperationInput, OperationOutput};
use gureum_model::{Operation, ServiceModel};

pub(crate) fn decode(_model: &ServiceModel, _op: &Operation, _req: &HttpRequest) -> Result<OperationInput, AwsError> {
    Err(AwsError::internal("rest-json decoding is not built yet"))
}

pub(crate) fn encode(_model: &ServiceModel, _op: &Operation, _out: OperationOutput) -> Result<HttpResponse, AwsError> {
    Err(AwsError::internal("rest-json encoding is not built yet"))
}
