//! What a decision is asked about: who calls, which action on which resource, and the request
//! context's condition keys (`aws:SourceIp`, `aws:PrincipalTag/...`, service keys).

use std::collections::HashMap;
use std::net::IpAddr;

use time::OffsetDateTime;

/// The kind of identity behind a request, as the evaluator needs to tell them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account's root user: allowed everything in its account unless a resource policy
    /// denies it.
    Root,
    /// An IAM user.
    User,
    /// A role session from `AssumeRole`; `role_arn` is the role's ARN (with its path), which a
    /// resource or trust policy may name instead of the session ARN.
    AssumedRole { role_arn: String },
    /// A federated user session from `GetFederationToken`.
    FederatedUser,
    /// The caller of `AssumeRoleWithWebIdentity`/`AssumeRoleWithSAML`, known only by its identity
    /// provider, which trust policies name as `"Federated": "cognito-identity.amazonaws.com"` or
    /// a SAML provider ARN. (The session it obtains is an [`PrincipalKind::AssumedRole`].)
    WebIdentity { provider: String },
    /// An unsigned request: only resource policies that name `*` can allow it.
    Anonymous,
    /// An AWS service acting on its own behalf (`lambda.amazonaws.com`): named by `"Service"`.
    Service { name: String },
}

/// The authenticated caller, as policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalInfo {
    /// The caller's ARN (`arn:aws:iam::123456789012:user/alice`, the assumed-role session ARN,
    /// ...); `*` for anonymous callers, the service name for services.
    pub arn: String,
    /// The caller's account; empty for anonymous callers and services.
    pub account_id: String,
    pub kind: PrincipalKind,
    /// The unique id `aws:userid` answers: `AIDA...` for users, `AROA...:session` for role
    /// sessions, the account id for root.
    pub user_id: String,
    /// The IAM user name (`aws:username`); empty for every other kind.
    pub username: String,
    /// The principal's tags (`aws:PrincipalTag/<key>`): the user's or role's tags, session tags
    /// winning.
    pub tags: Vec<(String, String)>,
}

impl PrincipalInfo {
    /// The root user of `account_id`.
    pub fn root(account_id: &str) -> Self {
        PrincipalInfo {
            arn: format!("arn:aws:iam::{account_id}:root"),
            account_id: account_id.to_string(),
            kind: PrincipalKind::Root,
            user_id: account_id.to_string(),
            username: String::new(),
            tags: Vec::new(),
        }
    }

    /// The IAM user `name` (path `/`) of `account_id`, with unique id `user_id`.
    pub fn user(account_id: &str, name: &str, user_id: &str) -> Self {
        PrincipalInfo {
            arn: format!("arn:aws:iam::{account_id}:user/{name}"),
            account_id: account_id.to_string(),
            kind: PrincipalKind::User,
            user_id: user_id.to_string(),
            username: name.to_string(),
            tags: Vec::new(),
        }
    }

    /// A session `session_name` of the role `role_name` (path `/`) of `account_id`, whose unique
    /// id is `role_id`.
    pub fn assumed_role(
        account_id: &str,
        role_name: &str,
        session_name: &str,
        role_id: &str,
    ) -> Self {
        PrincipalInfo {
            arn: format!("arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"),
            account_id: account_id.to_string(),
            kind: PrincipalKind::AssumedRole {
                role_arn: format!("arn:aws:iam::{account_id}:role/{role_name}"),
            },
            user_id: format!("{role_id}:{session_name}"),
            username: String::new(),
            tags: Vec::new(),
        }
    }

    /// An unsigned caller.
    pub fn anonymous() -> Self {
        PrincipalInfo {
            arn: "*".to_string(),
            account_id: String::new(),
            kind: PrincipalKind::Anonymous,
            user_id: "anonymous".to_string(),
            username: String::new(),
            tags: Vec::new(),
        }
    }

    /// An AWS service principal such as `lambda.amazonaws.com`.
    pub fn service(name: &str) -> Self {
        PrincipalInfo {
            arn: name.to_string(),
            account_id: String::new(),
            kind: PrincipalKind::Service {
                name: name.to_string(),
            },
            user_id: name.to_string(),
            username: String::new(),
            tags: Vec::new(),
        }
    }

    pub fn with_tags(mut self, tags: Vec<(String, String)>) -> Self {
        self.tags = tags;
        self
    }

    /// What `aws:PrincipalType` answers.
    pub fn principal_type(&self) -> &'static str {
        match self.kind {
            PrincipalKind::Root => "Account",
            PrincipalKind::User => "User",
            PrincipalKind::AssumedRole { .. } => "AssumedRole",
            PrincipalKind::WebIdentity { .. } => "WebIdentityUser",
            PrincipalKind::FederatedUser => "FederatedUser",
            PrincipalKind::Anonymous => "Anonymous",
            PrincipalKind::Service { .. } => "Service",
        }
    }
}

/// The request context's condition keys. Key names are case-insensitive; every key holds a list
/// of values (single-valued keys hold one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionContext {
    keys: HashMap<Box<str>, Vec<String>>,
}

impl ConditionContext {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to the single value `value`, replacing what it held.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.keys.insert(fold(key), vec![value.into()]);
    }

    /// Sets `key` to `values` (a multivalued key such as `aws:TagKeys`).
    pub fn set_values(&mut self, key: &str, values: Vec<String>) {
        self.keys.insert(fold(key), values);
    }

    /// Adds one value to `key`.
    pub fn add(&mut self, key: &str, value: impl Into<String>) {
        self.keys.entry(fold(key)).or_default().push(value.into());
    }

    pub fn remove(&mut self, key: &str) {
        self.keys.remove(&*fold(key));
    }

    /// The values of `key`, if the request has it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.get_folded(&key.to_ascii_lowercase())
        } else {
            self.get_folded(key)
        }
    }

    /// Lookup by an already lower-cased key (compiled policies hold their keys lower-cased).
    pub(crate) fn get_folded(&self, key: &str) -> Option<&[String]> {
        self.keys.get(key).map(Vec::as_slice)
    }

    /// The first value of an already lower-cased key: what a policy variable resolves to.
    pub(crate) fn first_folded(&self, key: &str) -> Option<&str> {
        self.get_folded(key)
            .and_then(|values| values.first())
            .map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Fills the global condition keys AWS derives from the caller and the request's
    /// environment: `aws:CurrentTime`, `aws:EpochTime`, `aws:SourceIp`, `aws:SecureTransport`,
    /// `aws:RequestedRegion`, `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`,
    /// `aws:userid`, `aws:username` (IAM users only), `aws:PrincipalTag/<key>`,
    /// `aws:PrincipalIsAWSService` and `aws:PrincipalServiceName` (services).
    pub fn fill_global_keys(&mut self, principal: &PrincipalInfo, environment: &Environment) {
        let now = environment.now.to_offset(time::UtcOffset::UTC);
        self.set(
            "aws:CurrentTime",
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                now.year(),
                now.month() as u8,
                now.day(),
                now.hour(),
                now.minute(),
                now.second()
            ),
        );
        self.set("aws:EpochTime", now.unix_timestamp().to_string());
        if let Some(ip) = environment.source_ip {
            self.set("aws:SourceIp", ip.to_string());
        }
        self.set(
            "aws:SecureTransport",
            if environment.secure_transport {
                "true"
            } else {
                "false"
            },
        );
        if !environment.region.is_empty() {
            self.set("aws:RequestedRegion", environment.region.clone());
        }
        match &principal.kind {
            PrincipalKind::Anonymous => {
                self.set("aws:PrincipalType", "Anonymous");
                self.set("aws:userid", "anonymous");
                return;
            }
            PrincipalKind::Service { name } => {
                self.set("aws:PrincipalIsAWSService", "true");
                self.set("aws:PrincipalServiceName", name.clone());
                return;
            }
            PrincipalKind::AssumedRole { role_arn } => {
                self.set("aws:PrincipalArn", role_arn.clone());
            }
            PrincipalKind::User => {
                self.set("aws:PrincipalArn", principal.arn.clone());
                self.set("aws:username", principal.username.clone());
            }
            _ => self.set("aws:PrincipalArn", principal.arn.clone()),
        }
        self.set("aws:PrincipalIsAWSService", "false");
        self.set("aws:PrincipalAccount", principal.account_id.clone());
        self.set("aws:PrincipalType", principal.principal_type());
        self.set("aws:userid", principal.user_id.clone());
        for (key, value) in &principal.tags {
            self.set(&format!("aws:PrincipalTag/{key}"), value.clone());
        }
    }
}

fn fold(key: &str) -> Box<str> {
    key.to_ascii_lowercase().into_boxed_str()
}

/// The parts of the request context that come from the request's environment rather than from
/// the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// The server clock's time of the request.
    pub now: OffsetDateTime,
    pub source_ip: Option<IpAddr>,
    /// The region the request was sent to; empty for global services.
    pub region: String,
    /// Whether the request came over TLS.
    pub secure_transport: bool,
}

/// One authorization question: may `principal` perform `action` on `resource`?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthzRequest {
    /// Shared, so one caller's many decisions need not copy it.
    pub principal: std::sync::Arc<PrincipalInfo>,
    /// `service:Operation`, e.g. `s3:GetObject` (matched case-insensitively).
    pub action: String,
    /// The resource ARN, or `*` for actions without a resource.
    pub resource: String,
    /// The account that owns the resource; `None` means the principal's own account.
    pub resource_account: Option<String>,
    pub context: ConditionContext,
}

impl AuthzRequest {
    /// A request with an empty context (see [`AuthzRequest::with_global_keys`]).
    pub fn new(
        principal: impl Into<std::sync::Arc<PrincipalInfo>>,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        AuthzRequest {
            principal: principal.into(),
            action: action.into(),
            resource: resource.into(),
            resource_account: None,
            context: ConditionContext::new(),
        }
    }

    /// Fills the global condition keys from the principal and `environment`.
    pub fn with_global_keys(mut self, environment: &Environment) -> Self {
        self.context.fill_global_keys(&self.principal, environment);
        self
    }

    pub fn with_resource_account(mut self, account_id: impl Into<String>) -> Self {
        self.resource_account = Some(account_id.into());
        self
    }

    /// Sets one condition key (service keys such as `s3:prefix`, `sts:ExternalId`).
    pub fn with_key(mut self, key: &str, value: impl Into<String>) -> Self {
        self.context.set(key, value);
        self
    }

    /// Sets one multivalued condition key.
    pub fn with_values(mut self, key: &str, values: &[&str]) -> Self {
        self.context
            .set_values(key, values.iter().map(|v| v.to_string()).collect());
        self
    }

    /// Whether the resource belongs to another account than the caller's.
    pub fn is_cross_account(&self) -> bool {
        self.resource_account
            .as_deref()
            .is_some_and(|account| account != self.principal.account_id)
    }
}
