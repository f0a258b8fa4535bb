//! Smithy RPC v2 CBOR (stub until the codec lands).

use crate::HttpRequest;
use crate::HttpResponse;
use gureum_core::{AwsError, OperationInput, OperationOutput};
use gureum_model::{Operation, ServiceModel};

pub(crate) fn decode(_model: &ServiceModel, _op: &Operation, _req: &HttpRequest) -> Result<OperationInput, AwsError> {
    Err(AwsError::internal("rpc v2 cbor decoding is not built yet"))
}

pub(crate) fn encode(_model: &ServiceModel, _op: &Operation, _out: &OperationOutput) -> Result<HttpResponse, AwsError> {
    Err(AwsError::internal("rpc v2 cbor encoding is not built yet"))
}

pub(crate) fn encode_error(_model: Option<&ServiceModel>, err: &AwsError) -> HttpResponse {
    HttpResponse::new(err.status, "application/cbor", Vec::new())
}
