//! The vocabulary every gureum crate shares: accounts and ARNs, the clock, the request context,
//! the [`Service`] trait handlers implement, the AWS error type, credentials and usage events.
//!
//! Nothing here does I/O or knows a wire format.

pub mod arn;
pub mod clock;
pub mod context;
pub mod credentials;
pub mod error;
pub mod service;
pub mod usage;
pub mod wire;

pub use arn::Arn;
pub use clock::Clock;
pub use context::{Principal, PrincipalKind, RequestContext};
pub use credentials::{Credential, CredentialProvider};
pub use error::AwsError;
pub use service::{BoxFuture, OperationInput, OperationOutput, Service};
pub use usage::{UsageEvent, UsageSink};

/// The account that owns gureum's default root credentials.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// Whether `id` is a 12-digit AWS account id.
pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// A fresh request id in the form AWS uses (a UUID).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
