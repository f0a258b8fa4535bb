//! IAM and STS: who is calling, what they may do, and the credentials that say so.
//!
//! `sts` answers GetCallerIdentity for every principal kind and issues temporary credentials;
//! `iam` keeps users, groups, roles, policies and keys.

pub mod sts;

pub use sts::Sts;
