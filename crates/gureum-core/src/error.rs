//! The AWS error every handler and pipeline stage answers with: a code, a message and an HTTP
//! status. The protocol layer puts it in the envelope the caller's protocol expects.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AwsError {
    /// The AWS error code, e.g. `ValidationError` or `NoSuchBucket`.
    pub code: Cow<'static, str>,
    pub message: String,
    pub status: u16,
    /// Whether the caller is at fault (`Sender`) or the server (`Receiver`).
    pub sender_fault: bool,
}

impl AwsError {
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        status: u16,
        message: impl Into<String>,
    ) -> Self {
        AwsError {
            code: code.into(),
            message: message.into(),
            status,
            sender_fault: status < 500,
        }
    }

    /// 400 with the given code.
    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(code, 400, message)
    }

    /// The query protocols' validation error.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationError", 400, message)
    }

    /// An operation AWS has and gureum does not implement yet.
    pub fn not_implemented(service: &str, operation: &str) -> Self {
        Self::new(
            "NotImplemented",
            501,
            format!("gureum does not implement {service}:{operation} yet"),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("InternalError", 500, message)
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new("AccessDenied", 403, message)
    }
}
