//! Who is calling and where: the request context every handler receives.

use std::net::IpAddr;

use crate::clock::Clock;

/// The kind of identity behind a request; IAM users and roles plug in here without changes to
/// the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account's root user.
    Root,
    /// An IAM user.
    User { name: String },
    /// A role session from `AssumeRole`.
    AssumedRole {
        role_name: String,
        session_name: String,
    },
    /// A federated user from `GetFederationToken`.
    FederatedUser { name: String },
    /// An unsigned request; only resource policies that grant `*` can allow it.
    Anonymous,
}

/// The authenticated identity of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account_id: String,
    /// The ARN `GetCallerIdentity` answers, e.g. `arn:aws:iam::000000000000:root`.
    pub arn: String,
    /// The unique id `GetCallerIdentity` answers as `UserId`.
    pub user_id: String,
    pub kind: PrincipalKind,
}

impl Principal {
    /// The root user of `account_id`.
    pub fn root(account_id: &str) -> Self {
        Principal {
            account_id: account_id.to_string(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id.to_string(),
            kind: PrincipalKind::Root,
        }
    }

    /// The caller of an unsigned request.
    pub fn anonymous() -> Self {
        Principal {
            account_id: String::new(),
            arn: "anonymous".to_string(),
            user_id: "anonymous".to_string(),
            kind: PrincipalKind::Anonymous,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.kind == PrincipalKind::Anonymous
    }

    pub fn is_root(&self) -> bool {
        self.kind == PrincipalKind::Root
    }
}

/// Everything a handler may know about the request besides its input.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub region: String,
    pub principal: Principal,
    /// The access key id the request was signed with (empty when anonymous).
    pub access_key_id: String,
    pub clock: Clock,
    /// botocore's name of the service, e.g. `sts`.
    pub service: &'static str,
    pub operation: String,
    pub source_ip: Option<IpAddr>,
    pub secure_transport: bool,
}

impl RequestContext {
    pub fn account_id(&self) -> &str {
        &self.principal.account_id
    }
}
