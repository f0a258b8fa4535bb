//! The `Principal` / `NotPrincipal` element of resource and trust policies: who a statement is
//! about, and how strongly a match grants (directly, through a role, or by delegating to an
//! account's own policies).

use serde_json::Value;

use crate::error::PolicyError;
use crate::request::{PrincipalInfo, PrincipalKind};

/// How a resource policy statement matched the caller. AWS treats these differently within one
/// account: a direct grant allows on its own, a role-ARN grant is still limited by the session's
/// permissions boundary and session policies, and an account grant only delegates to the
/// account's identity policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    /// The statement names the caller's account (`"AWS": "123456789012"` or its root ARN).
    Account,
    /// The statement names the role whose session is calling.
    RoleArn,
    /// The statement names the caller itself (user ARN, session ARN, `*`, a service).
    Direct,
}

/// One entry of `"AWS": ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AwsPrincipal {
    /// `*`: everyone, anonymous callers included.
    Everyone,
    Account(Box<str>),
    Arn(Box<str>),
    /// A unique id (`AIDA...`, `AROA...`): what IAM keeps when a named principal is deleted.
    UniqueId(Box<str>),
}

/// A compiled `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principals {
    negated: bool,
    aws: Vec<AwsPrincipal>,
    services: Vec<Box<str>>,
    federated: Vec<Box<str>>,
}

/// Whether `value` is a syntactically valid `Principal` element: `"*"` or an object of `AWS`,
/// `Service`, `Federated`, `CanonicalUser` with string or string-array values.
pub(crate) fn valid_syntax(value: &Value) -> bool {
    match value {
        Value::String(s) => s == "*",
        Value::Object(map) => map.iter().all(|(kind, v)| {
            matches!(
                kind.as_str(),
                "AWS" | "Service" | "Federated" | "CanonicalUser"
            ) && match v {
                Value::String(_) => true,
                Value::Array(items) => items.iter().all(Value::is_string),
                _ => false,
            }
        }),
        _ => false,
    }
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_unique_id(s: &str) -> bool {
    (16..=128).contains(&s.len())
        && s.starts_with('A')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `arn:<partition>:iam|sts::<account>:<resource>` without wildcards.
fn principal_arn(s: &str) -> Option<AwsPrincipal> {
    if s.contains(['*', '?']) {
        return None;
    }
    let mut parts = s.splitn(6, ':');
    let (arn, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn"
        || partition.is_empty()
        || !matches!(service, "iam" | "sts")
        || !region.is_empty()
        || !is_account_id(account)
        || resource.is_empty()
    {
        return None;
    }
    if service == "iam" && resource == "root" {
        return Some(AwsPrincipal::Account(account.into()));
    }
    Some(AwsPrincipal::Arn(s.into()))
}

impl Principals {
    /// Compiles a syntax-checked element, refusing principals IAM would not accept.
    pub(crate) fn compile(value: &Value, negated: bool) -> Result<Principals, PolicyError> {
        let mut principals = Principals {
            negated,
            aws: Vec::new(),
            services: Vec::new(),
            federated: Vec::new(),
        };
        match value {
            Value::String(_) => principals.aws.push(AwsPrincipal::Everyone),
            Value::Object(map) => {
                for (kind, v) in map {
                    for s in strings(v) {
                        let invalid = || PolicyError::InvalidPrincipal {
                            kind: kind.clone(),
                            value: s.to_string(),
                        };
                        match kind.as_str() {
                            "AWS" => {
                                let p = if s == "*" {
                                    AwsPrincipal::Everyone
                                } else if is_account_id(s) {
                                    AwsPrincipal::Account(s.into())
                                } else if is_unique_id(s) {
                                    AwsPrincipal::UniqueId(s.into())
                                } else {
                                    principal_arn(s).ok_or_else(invalid)?
                                };
                                principals.aws.push(p);
                            }
                            "Service" => {
                                if s.is_empty() {
                                    return Err(invalid());
                                }
                                principals.services.push(s.into());
                            }
                            "Federated" => {
                                if s.is_empty() {
                                    return Err(invalid());
                                }
                                principals.federated.push(s.into());
                            }
                            // `CanonicalUser` (S3's own ids) names no gureum caller.
                            _ => {}
                        }
                    }
                }
            }
            _ => return Err(PolicyError::Syntax),
        }
        Ok(principals)
    }

    /// The ARNs and account ids named under `"AWS"` (for callers that check they exist).
    pub(crate) fn aws_names(&self) -> impl Iterator<Item = &str> {
        self.aws.iter().filter_map(|p| match p {
            AwsPrincipal::Everyone => None,
            AwsPrincipal::Account(a) | AwsPrincipal::Arn(a) | AwsPrincipal::UniqueId(a) => {
                Some(&**a)
            }
        })
    }

    /// How the element applies to `caller`, or `None` when the statement is not about it.
    pub(crate) fn grant(&self, caller: &PrincipalInfo) -> Option<Grant> {
        let matched = self.matches(caller);
        if self.negated {
            // NotPrincipal: the statement is about everyone the list does not name.
            match matched {
                Some(_) => None,
                None => Some(Grant::Direct),
            }
        } else {
            matched
        }
    }

    fn matches(&self, caller: &PrincipalInfo) -> Option<Grant> {
        let mut best: Option<Grant> = None;
        for p in &self.aws {
            let grant = match p {
                AwsPrincipal::Everyone => Some(Grant::Direct),
                _ if matches!(
                    caller.kind,
                    PrincipalKind::Anonymous | PrincipalKind::Service { .. }
                ) =>
                {
                    None
                }
                AwsPrincipal::Account(account) => (**account == caller.account_id).then(|| {
                    if caller.kind == PrincipalKind::Root {
                        Grant::Direct
                    } else {
                        Grant::Account
                    }
                }),
                AwsPrincipal::Arn(arn) => {
                    if **arn == caller.arn {
                        Some(Grant::Direct)
                    } else {
                        match &caller.kind {
                            PrincipalKind::AssumedRole { role_arn } if **arn == *role_arn => {
                                Some(Grant::RoleArn)
                            }
                            _ => None,
                        }
                    }
                }
                AwsPrincipal::UniqueId(id) => {
                    if **id == caller.user_id {
                        Some(Grant::Direct)
                    } else {
                        caller
                            .user_id
                            .strip_prefix(&**id)
                            .filter(|rest| rest.starts_with(':'))
                            .map(|_| Grant::RoleArn)
                    }
                }
            };
            best = best.max(grant);
            if best == Some(Grant::Direct) {
                return best;
            }
        }
        match &caller.kind {
            PrincipalKind::Service { name }
                if self.services.iter().any(|s| s.eq_ignore_ascii_case(name)) =>
            {
                return Some(Grant::Direct);
            }
            PrincipalKind::WebIdentity { provider }
                if self.federated.iter().any(|f| **f == *provider) =>
            {
                return Some(Grant::Direct);
            }
            _ => {}
        }
        best
    }
}
