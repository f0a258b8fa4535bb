//! IAM and STS: who is calling, what they may do, and the credentials that say so.
//!
//! `sts` answers GetCallerIdentity for every principal kind and issues temporary credentials;
//! `iam` keeps users, groups, roles, policies and keys.

pub mod authorizer;
pub mod credentials;
pub mod iam;
pub mod managed;
pub mod model;
pub mod sts;

pub use iam::Iam;
pub use sts::Sts;
