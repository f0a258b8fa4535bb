//! restXml (stub until the codec lands).

use crate::{HttpRequest, HttpResponse};
use gureum_core::{AwsError, OperationInput, OperationOutput};
use gureum_model::{Operation, ServiceModel};

pub(crate) fn decode(_model: &ServiceModel, _op: &Operation, _req: &HttpRequest) -> Result<OperationInput, AwsError> {
    Err(AwsError::internal("rest-xml decoding is not built yet"))
}

pub(crate) fn encode(_model: &ServiceModel, _op: &Operation, _out: OperationOutput) -> Result<HttpResponse, AwsError> {
    Err(AwsError::internal("rest-xml encoding is not built yet"))
}

pub(crate) fn encode_error(err: &AwsError, request_id: &str) -> HttpResponse {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
        crate::xml::escape(&err.code),
        crate::xml::escape(&err.message),
        crate::xml::escape(request_id)
    );
    HttpResponse::new(err.status, "application/xml", body)
}
