//! The operations of IAM and STS, one file per group.

pub mod sts;
