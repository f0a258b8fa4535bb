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
    /// Extra members of the error shape and extra headers, when the error carries them.
    pub details: Option<Box<ErrorDetails>>,
}

/// What some errors carry beyond code and message: members of the error shape (DynamoDB's
/// `CancellationReasons`, S3's `BucketName`) and headers (S3's `x-amz-delete-marker`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub headers: Vec<(String, String)>,
    /// What the failed request still consumed (DynamoDB's failed conditional writes), metered
    /// by the pipeline like the usage of an answer; never sent to the caller.
    pub usage: Vec<crate::Usage>,
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
            details: None,
        }
    }

    /// Adds a member of the error shape to the error's body.
    pub fn with_field(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.details
            .get_or_insert_with(Default::default)
            .fields
            .insert(name.into(), value);
        self
    }

    /// Carries what the failed request consumed to the meter.
    pub fn with_usage(mut self, usage: Vec<crate::Usage>) -> Self {
        if !usage.is_empty() {
            self.details
                .get_or_insert_with(Default::default)
                .usage
                .extend(usage);
        }
        self
    }

    /// Adds a header to the error response.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.details
            .get_or_insert_with(Default::default)
            .headers
            .push((name.into(), value.into()));
        self
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
