//! AWS's evaluation logic: which policies apply to a request, and how identity policies,
//! resource policies, permissions boundaries and session policies combine into one
//! [`Decision`].
//!
//! 1. An explicit `Deny` that applies, in any policy, decides.
//! 2. The root user is allowed everything in its own account; in another account only what the
//!    resource policy allows. Boundaries and session policies do not apply to it.
//! 3. Anonymous callers and service principals are allowed only by a resource policy.
//! 4. Users and sessions, same account: allowed when the identity policies allow (limited by the
//!    permissions boundary and the session policies, when there are any), or when the resource
//!    policy names the caller itself (user ARN, session ARN, `*`), or when it names the
//!    session's role and the boundary and session policies allow too. A resource policy that
//!    names the account only delegates to the identity policies.
//! 5. Users and sessions, cross-account: the identity side (as in 4) and the resource policy
//!    must both allow.

use std::sync::Arc;

use crate::policy::{Action, Effect, Policy, Statement};
use crate::position::Position;
use crate::principal::Grant;
use crate::request::{AuthzRequest, PrincipalKind};

/// The policies that apply to one request. Empty slices and `None` mean "there is none".
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'p> {
    /// The caller's identity policies: managed and inline policies of the user, its groups, or
    /// the session's role.
    pub identity: &'p [Arc<Policy>],
    /// The resource's policy (bucket policy, key policy, a role's trust policy for AssumeRole).
    pub resource: Option<&'p Policy>,
    /// The user's or role's permissions boundary.
    pub permissions_boundary: Option<&'p Policy>,
    /// The session's policies (`Policy` and `PolicyArns` of AssumeRole/GetFederationToken).
    pub session: &'p [Arc<Policy>],
}

/// Which slot of the [`PolicySet`] a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicySource {
    Identity,
    Resource,
    PermissionsBoundary,
    Session,
}

/// The outcome, in `SimulatePrincipalPolicy`'s words via [`Decision::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Decision {
    #[serde(rename = "allowed")]
    Allow,
    #[serde(rename = "explicitDeny")]
    ExplicitDeny,
    #[serde(rename = "implicitDeny")]
    ImplicitDeny,
}

impl Decision {
    /// `allowed`, `explicitDeny` or `implicitDeny`: IAM's `EvalDecision`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

/// A statement that applied to the request.
#[derive(Debug, Clone, Copy)]
pub struct MatchedStatement<'p> {
    pub policy: &'p Policy,
    pub source: PolicySource,
    /// The statement's index in the policy's `Statement` list.
    pub index: usize,
}

impl PartialEq for MatchedStatement<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.policy, other.policy)
            && self.source == other.source
            && self.index == other.index
    }
}

impl Eq for MatchedStatement<'_> {}

impl<'p> MatchedStatement<'p> {
    pub fn policy_id(&self) -> &'p str {
        self.policy.id()
    }

    pub fn statement(&self) -> &'p Statement {
        &self.policy.statements()[self.index]
    }

    pub fn sid(&self) -> Option<&'p str> {
        self.statement().sid()
    }

    pub fn position(&self) -> Option<(Position, Position)> {
        self.statement().position()
    }
}

/// A decision and the statement that decided it (`None` for implicit denies and for the root
/// user's own-account allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evaluation<'p> {
    pub decision: Decision,
    pub statement: Option<MatchedStatement<'p>>,
}

impl<'p> Evaluation<'p> {
    fn allow(statement: Option<MatchedStatement<'p>>) -> Self {
        Evaluation {
            decision: Decision::Allow,
            statement,
        }
    }

    fn explicit_deny(statement: MatchedStatement<'p>) -> Self {
        Evaluation {
            decision: Decision::ExplicitDeny,
            statement: Some(statement),
        }
    }

    fn implicit_deny() -> Self {
        Evaluation {
            decision: Decision::ImplicitDeny,
            statement: None,
        }
    }

    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// What one policy says about a request.
#[derive(Default)]
struct Found<'p> {
    deny: Option<MatchedStatement<'p>>,
    allow: Option<(MatchedStatement<'p>, Grant)>,
}

struct Input<'r> {
    request: &'r AuthzRequest,
    action: Action<'r>,
}

impl<'r> Input<'r> {
    fn new(request: &'r AuthzRequest) -> Self {
        Input {
            request,
            action: Action::new(&request.action),
        }
    }

    /// Whether `statement` applies to the request, and with which grant. Principals are read
    /// only in resource policies; identity-side statements grant directly.
    fn applies(&self, statement: &Statement, by_principal: bool) -> Option<Grant> {
        let context = &self.request.context;
        if !statement.matches_action(&self.action, context)
            || !statement.matches_resource(&self.request.resource, context)
        {
            return None;
        }
        let grant = if by_principal {
            statement.grant(&self.request.principal)?
        } else {
            Grant::Direct
        };
        statement.conditions_hold(context).then_some(grant)
    }

    /// Scans `policy`, stopping at the first applicable deny. With `want_allow` false only
    /// denies are looked for.
    fn scan<'p>(&self, policy: &'p Policy, source: PolicySource, want_allow: bool) -> Found<'p> {
        let mut found = Found::default();
        if !want_allow && !policy.has_deny() {
            return found;
        }
        let by_principal = source == PolicySource::Resource;
        for (index, statement) in policy.statements().iter().enumerate() {
            let is_allow = statement.effect() == Effect::Allow;
            if is_allow && (!want_allow || found.allow.is_some_and(|(_, g)| g == Grant::Direct)) {
                if !policy.has_deny() {
                    break;
                }
                continue;
            }
            let Some(grant) = self.applies(statement, by_principal) else {
                continue;
            };
            let matched = MatchedStatement {
                policy,
                source,
                index,
            };
            if !is_allow {
                found.deny = Some(matched);
                return found;
            }
            if found.allow.is_none_or(|(_, g)| grant > g) {
                found.allow = Some((matched, grant));
            }
        }
        found
    }
}

/// Decides `request` against `policies`.
pub fn evaluate<'p>(policies: &PolicySet<'p>, request: &AuthzRequest) -> Evaluation<'p> {
    let input = Input::new(request);
    let principal_kind = &request.principal.kind;
    let iam_caller = !matches!(
        principal_kind,
        PrincipalKind::Root | PrincipalKind::Anonymous | PrincipalKind::Service { .. }
    );

    let mut identity_allow = None;
    let mut boundary_allows = true;
    let mut session_allows = true;
    if iam_caller {
        for policy in policies.identity {
            let found = input.scan(policy, PolicySource::Identity, identity_allow.is_none());
            if let Some(deny) = found.deny {
                return Evaluation::explicit_deny(deny);
            }
            if identity_allow.is_none() {
                identity_allow = found.allow.map(|(m, _)| m);
            }
        }
        if let Some(boundary) = policies.permissions_boundary {
            let found = input.scan(boundary, PolicySource::PermissionsBoundary, true);
            if let Some(deny) = found.deny {
                return Evaluation::explicit_deny(deny);
            }
            boundary_allows = found.allow.is_some();
        }
        if !policies.session.is_empty() {
            session_allows = false;
            for policy in policies.session {
                let found = input.scan(policy, PolicySource::Session, !session_allows);
                if let Some(deny) = found.deny {
                    return Evaluation::explicit_deny(deny);
                }
                session_allows |= found.allow.is_some();
            }
        }
    }

    let resource = match policies.resource {
        Some(policy) => input.scan(policy, PolicySource::Resource, true),
        None => Found::default(),
    };
    if let Some(deny) = resource.deny {
        return Evaluation::explicit_deny(deny);
    }
    let resource_allow = resource.allow;

    match principal_kind {
        PrincipalKind::Anonymous | PrincipalKind::Service { .. } => {
            return match resource_allow {
                Some((m, _)) => Evaluation::allow(Some(m)),
                None => Evaluation::implicit_deny(),
            };
        }
        PrincipalKind::Root => {
            return if !request.is_cross_account() {
                Evaluation::allow(resource_allow.map(|(m, _)| m))
            } else {
                match resource_allow {
                    Some((m, _)) => Evaluation::allow(Some(m)),
                    None => Evaluation::implicit_deny(),
                }
            };
        }
        _ => {}
    }

    let limits_allow = boundary_allows && session_allows;
    let identity_allow = identity_allow.filter(|_| limits_allow);
    if request.is_cross_account() {
        return match (identity_allow, resource_allow) {
            (Some(m), Some(_)) => Evaluation::allow(Some(m)),
            _ => Evaluation::implicit_deny(),
        };
    }
    if let Some(m) = identity_allow {
        return Evaluation::allow(Some(m));
    }
    match resource_allow {
        Some((m, Grant::Direct)) => Evaluation::allow(Some(m)),
        Some((m, Grant::RoleArn)) if limits_allow => Evaluation::allow(Some(m)),
        _ => Evaluation::implicit_deny(),
    }
}

/// Whether the trust policy `trust` itself trusts the caller of `request` (action
/// `sts:AssumeRole` or another STS action, resource the role's ARN, `sts:ExternalId` and the
/// like in the context).
///
/// This is the trust policy's half of AssumeRole. When the trust policy names the caller's
/// account rather than the caller, or the caller is in another account, the caller's identity
/// policies must allow `sts:AssumeRole` too: [`evaluate`] with the trust policy as
/// [`PolicySet::resource`] and the role's account as the resource account answers the whole
/// question.
pub fn evaluate_trust<'p>(trust: &'p Policy, request: &AuthzRequest) -> Evaluation<'p> {
    let found = Input::new(request).scan(trust, PolicySource::Resource, true);
    match (found.deny, found.allow) {
        (Some(deny), _) => Evaluation::explicit_deny(deny),
        (None, Some((m, _))) => Evaluation::allow(Some(m)),
        (None, None) => Evaluation::implicit_deny(),
    }
}

/// A decision with the detail `SimulatePrincipalPolicy`/`SimulateCustomPolicy` report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulation<'p> {
    pub decision: Decision,
    /// The statements behind the decision: the applicable denies for an explicit deny, the
    /// applicable allows for an allow, none for an implicit deny.
    pub matched_statements: Vec<MatchedStatement<'p>>,
    /// Condition keys read by statements that match the action and resource but that the
    /// request context lacks (`EvalDecisionDetails`' `MissingContextValues`).
    pub missing_context_keys: Vec<String>,
    /// Whether the permissions boundary allows the request, when there is one
    /// (`PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary`).
    pub permissions_boundary_allows: Option<bool>,
}

/// Decides `request` like [`evaluate`] and lists every statement that applied.
pub fn simulate<'p>(policies: &PolicySet<'p>, request: &AuthzRequest) -> Simulation<'p> {
    let decision = evaluate(policies, request).decision;
    let input = Input::new(request);
    let context = &request.context;
    let iam_caller = !matches!(
        request.principal.kind,
        PrincipalKind::Root | PrincipalKind::Anonymous | PrincipalKind::Service { .. }
    );
    let mut sources: Vec<(&'p Policy, PolicySource)> = Vec::new();
    if iam_caller {
        sources.extend(
            policies
                .identity
                .iter()
                .map(|p| (&**p, PolicySource::Identity)),
        );
        sources.extend(
            policies
                .permissions_boundary
                .map(|p| (p, PolicySource::PermissionsBoundary)),
        );
        sources.extend(
            policies
                .session
                .iter()
                .map(|p| (&**p, PolicySource::Session)),
        );
    }
    sources.extend(policies.resource.map(|p| (p, PolicySource::Resource)));

    let mut matched_statements = Vec::new();
    let mut missing_context_keys: Vec<String> = Vec::new();
    let mut boundary_allows = None;
    for (policy, source) in sources {
        let by_principal = source == PolicySource::Resource;
        if source == PolicySource::PermissionsBoundary {
            boundary_allows = Some(false);
        }
        for (index, statement) in policy.statements().iter().enumerate() {
            if !statement.matches_action(&input.action, context)
                || !statement.matches_resource(&request.resource, context)
                || (by_principal && statement.grant(&request.principal).is_none())
            {
                continue;
            }
            for key in statement.missing_keys(context) {
                if !missing_context_keys
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(key))
                {
                    missing_context_keys.push(key.to_string());
                }
            }
            if !statement.conditions_hold(context) {
                continue;
            }
            let is_allow = statement.effect() == Effect::Allow;
            if source == PolicySource::PermissionsBoundary && is_allow {
                boundary_allows = Some(true);
            }
            let reported = match decision {
                Decision::ExplicitDeny => !is_allow,
                Decision::Allow => is_allow && source != PolicySource::PermissionsBoundary,
                Decision::ImplicitDeny => false,
            };
            if reported {
                matched_statements.push(MatchedStatement {
                    policy,
                    source,
                    index,
                });
            }
        }
    }
    Simulation {
        decision,
        matched_statements,
        missing_context_keys,
        permissions_boundary_allows: boundary_allows,
    }
}
