//! The IAM policy language and AWS's evaluation logic, as a pure library: no I/O, no clock, no
//! async.
//!
//! - [`Policy::parse`] validates a JSON document as IAM does (the error is the
//!   `MalformedPolicyDocument` reason) and compiles it once; callers share it as `Arc<Policy>`.
//! - [`AuthzRequest`] is the question (who, which action, which resource, the condition keys);
//!   [`ConditionContext::fill_global_keys`] derives the `aws:*` keys from the caller and the
//!   request's [`Environment`].
//! - [`evaluate`] answers it from a [`PolicySet`] (identity policies, resource policy,
//!   permissions boundary, session policies) with a [`Decision`] and the statement that decided;
//!   [`simulate`] adds what `SimulatePrincipalPolicy` reports; [`evaluate_trust`] is the trust
//!   policy's half of `AssumeRole`.

mod condition;
mod date;
mod error;
mod evaluate;
mod pattern;
mod policy;
mod position;
mod principal;
mod request;

pub use error::PolicyError;
pub use evaluate::{
    Decision, Evaluation, MatchedStatement, PolicySet, PolicySource, Simulation, evaluate,
    evaluate_trust, simulate,
};
pub use policy::{Effect, Policy, PolicyKind, Statement, Version, document_size};
pub use position::{Position, statement_spans};
pub use request::{AuthzRequest, ConditionContext, Environment, PrincipalInfo, PrincipalKind};
