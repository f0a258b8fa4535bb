//! The `Service` trait: what a service crate implements so the pipeline can call it.
//!
//! Inputs and outputs are value trees in the canonical form every codec produces and consumes:
//! JSON values whose object keys are the model's member names, blobs as base64 strings,
//! timestamps as epoch seconds (numbers). Handlers deserialize them into plain serde structs
//! holding just the fields they use (see [`crate::wire`] for blob and timestamp helpers).

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use serde_json::Value;

use crate::authz::AuthzTarget;
use crate::context::RequestContext;
use crate::error::AwsError;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A decoded request.
#[derive(Debug, Default)]
pub struct OperationInput {
    pub params: Value,
    /// The raw payload of a streaming blob member (S3 object bodies), kept out of `params`.
    pub payload: Option<Bytes>,
    /// A payload too large to hold, read as it arrives (instead of `payload`). Only the
    /// operations [`Service::streams_input`] names receive one.
    pub stream: Option<crate::BodyStream>,
}

/// What a handler answers.
#[derive(Debug, Default)]
pub struct OperationOutput {
    pub params: Value,
    /// The raw payload of a streaming blob member.
    pub payload: Option<Bytes>,
    /// A payload read from a file as it is sent (instead of `payload`).
    pub stream: Option<crate::OutputStream>,
    /// An HTTP status other than the operation's usual one (S3 RestoreObject's 202 for a new
    /// restore), for REST protocols whose model has no status member to carry it.
    pub status: Option<u16>,
    /// What the request consumed beyond the one request the pipeline always meters.
    pub usage: Vec<crate::Usage>,
}

impl OperationOutput {
    pub fn new(params: Value) -> Self {
        OperationOutput {
            params,
            payload: None,
            stream: None,
            status: None,
            usage: Vec::new(),
        }
    }

    /// The same output answered with another HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Serializes a handler's output struct into the canonical value tree.
    pub fn from_serde<T: serde::Serialize>(output: &T) -> Result<Self, AwsError> {
        serde_json::to_value(output)
            .map(Self::new)
            .map_err(|e| AwsError::internal(format!("output encoding failed: {e}")))
    }
}

/// Deserializes canonical input params into a handler's input struct, answering AWS's
/// validation error when they do not fit.
pub fn parse_input<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, AwsError> {
    serde_json::from_value(params).map_err(|e| AwsError::validation(format!("invalid input: {e}")))
}

/// A handler that takes and answers the value tree alone (every operation without a raw
/// payload), run on the service's state `S`.
pub type ValueHandler<S> = fn(&S, &RequestContext, Value) -> Result<Value, AwsError>;

/// The handler a service's operation table holds for `operation`. Every service keeps one
/// table of `(operation name, handler)`; `implements` and `call` both read it.
pub fn find_handler<H: Copy>(table: &[(&'static str, H)], operation: &str) -> Option<H> {
    table
        .iter()
        .find(|(name, _)| *name == operation)
        .map(|(_, h)| *h)
}

/// Runs `operation` from a table of value handlers; `NotImplemented` when the table lacks it.
pub fn dispatch_values<S>(
    service: &str,
    table: &[(&'static str, ValueHandler<S>)],
    state: &S,
    ctx: &RequestContext,
    operation: &str,
    params: Value,
) -> Result<OperationOutput, AwsError> {
    match find_handler(table, operation) {
        Some(handler) => handler(state, ctx, params).map(OperationOutput::new),
        None => Err(AwsError::not_implemented(service, operation)),
    }
}

/// One AWS service as gureum implements it.
pub trait Service: Send + Sync + 'static {
    /// botocore's name of the service model this implements (`sts`, `s3`, ...).
    fn name(&self) -> &'static str;

    /// Whether `operation` is implemented; others answer `NotImplemented`.
    fn implements(&self, operation: &str) -> bool;

    /// Whether `operation` takes a large payload as a [`crate::BodyStream`] rather than in
    /// memory (S3 PutObject, UploadPart). Others get large bodies collected up to the limit.
    fn streams_input(&self, _operation: &str) -> bool {
        false
    }

    /// Runs one operation. Only called for operations [`Service::implements`] accepts.
    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: OperationInput,
    ) -> BoxFuture<'a, Result<OperationOutput, AwsError>>;

    /// The prefix of this service's IAM actions (`s3`, `dynamodb`, `sts`...).
    fn iam_prefix(&self) -> &'static str {
        self.name()
    }

    /// What the request needs permission for, decided before the handler runs. By default the
    /// action named after the operation on any resource; services override this with the
    /// real action names and resource ARNs (and may answer none for open operations).
    fn authz_targets(
        &self,
        _ctx: &RequestContext,
        operation: &str,
        _input: &OperationInput,
    ) -> Vec<AuthzTarget> {
        vec![AuthzTarget::new(
            format!("{}:{operation}", self.iam_prefix()),
            "*",
        )]
    }

    /// Time-driven work (lifecycle transitions, expiries) due at the server clock's `now`.
    /// The binary calls it every few seconds and right after `/_gureum/clock` moves the clock;
    /// it must be idempotent and bounded in the work it does per call.
    fn tick(&self, _clock: &crate::Clock) {}

    /// Usage that accrues with time rather than with requests (stored bytes, as byte-hours),
    /// since the previous call; the binary meters it right after each [`Service::tick`].
    fn accrued_usage(&self, _clock: &crate::Clock) -> Vec<crate::UsageEvent> {
        Vec::new()
    }

    /// Wipes every resource this service holds (the admin reset).
    fn reset(&self) -> Result<(), AwsError> {
        Ok(())
    }
}
