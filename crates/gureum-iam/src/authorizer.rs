//! IAM's side of every request: the identity policies, permissions boundary and session
//! policies of the caller, compiled once and cached until IAM changes, evaluated for each
//! action and resource the operation named.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use gureum_core::{
    Authorizer, AuthzTarget, AwsError, BoxFuture, OperationInput, OperationOutput, PrincipalKind,
    RequestContext, Service,
};
use gureum_iam_policy::{
    AuthzRequest, Decision, Environment, Policy, PolicyKind, PolicySet, PrincipalInfo,
};
use gureum_store::KvStore;

use crate::model::{self, NamedDocument};
use crate::sts::sessions::{self, StoredKind};

/// Counts IAM changes; cached policy sets older than the current count are rebuilt.
#[derive(Debug, Default)]
pub struct PolicyGeneration(AtomicU64);

impl PolicyGeneration {
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::Release);
    }

    pub fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// A caller's compiled policies.
#[derive(Default)]
pub struct CallerPolicies {
    pub principal: Option<PrincipalInfo>,
    pub identity: Vec<Arc<Policy>>,
    pub boundary: Option<Arc<Policy>>,
    pub session: Vec<Arc<Policy>>,
    /// Whether the caller still exists (a deleted user's or role's sessions are denied).
    pub exists: bool,
}

const CACHE_ENTRIES: usize = 4096;

pub struct IamAuthorizer {
    kv: Arc<dyn KvStore>,
    generation: Arc<PolicyGeneration>,
    cache: Mutex<HashMap<String, (u64, Arc<CallerPolicies>)>>,
}

fn compile(doc: &NamedDocument, kind: PolicyKind) -> Option<Arc<Policy>> {
    match Policy::parse(&doc.document, kind) {
        Ok(p) => Some(Arc::new(p.with_id(doc.source.clone()))),
        Err(e) => {
            // Documents are validated when stored; one that no longer parses grants nothing.
            tracing::warn!(policy = %doc.source, error = %e, "ignoring a stored policy that no longer parses");
            None
        }
    }
}

impl IamAuthorizer {
    pub fn new(kv: Arc<dyn KvStore>, generation: Arc<PolicyGeneration>) -> Self {
        IamAuthorizer {
            kv,
            generation,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The compiled policies of the caller of `ctx` (cached per access key).
    pub fn caller_policies(&self, ctx: &RequestContext) -> Result<Arc<CallerPolicies>, AwsError> {
        let generation = self.generation.current();
        let key = format!("{}\u{0}{}", ctx.access_key_id, ctx.principal.arn);
        if let Some((g, cached)) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            if *g == generation {
                return Ok(cached.clone());
            }
        }
        let built = Arc::new(self.build(ctx)?);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, (generation, built.clone()));
        Ok(built)
    }

    fn build(&self, ctx: &RequestContext) -> Result<CallerPolicies, AwsError> {
        let p = &ctx.principal;
        let account = p.account_id.as_str();
        let mut out = CallerPolicies::default();
        let session = if ctx.access_key_id.starts_with("ASIA") {
            sessions::get(self.kv.as_ref(), &ctx.access_key_id)
        } else {
            None
        };
        let (set, principal) = match &p.kind {
            PrincipalKind::Root => {
                out.exists = true;
                out.principal = Some(PrincipalInfo::root(account));
                return Ok(out);
            }
            PrincipalKind::User { name } | PrincipalKind::FederatedUser { name } => {
                let user_name = match session.as_ref().map(|s| &s.kind) {
                    Some(StoredKind::FederatedUser { user_name, .. }) => user_name.clone(),
                    _ => name.clone(),
                };
                let user =
                    model::get_user(&mut model::Committed(self.kv.as_ref()), account, &user_name)?;
                let Some(user) = user else { return Ok(out) };
                let set = model::user_policy_set(self.kv.as_ref(), account, &user.name)?;
                let mut info = PrincipalInfo::user(account, &user.name, &user.id);
                info.arn = p.arn.clone();
                info.tags = user
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect();
                (set, info)
            }
            PrincipalKind::AssumedRole { session_name, .. } => {
                let Some(StoredKind::AssumedRole { role_arn, .. }) =
                    session.as_ref().map(|s| &s.kind)
                else {
                    return Ok(out);
                };
                let Some(role) = model::role_by_arn(self.kv.as_ref(), role_arn)? else {
                    return Ok(out);
                };
                let set = model::role_policy_set(self.kv.as_ref(), account, &role.name)?;
                let mut info =
                    PrincipalInfo::assumed_role(account, &role.name, session_name, &role.id);
                info.arn = p.arn.clone();
                if let gureum_iam_policy::PrincipalKind::AssumedRole { role_arn: a } =
                    &mut info.kind
                {
                    *a = role_arn.clone();
                }
                let mut tags: Vec<(String, String)> = role
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect();
                if let Some(s) = &session {
                    for (k, v) in &s.tags {
                        tags.retain(|(tk, _)| !tk.eq_ignore_ascii_case(k));
                        tags.push((k.clone(), v.clone()));
                    }
                }
                info.tags = tags;
                (set, info)
            }
        };
        let Some(set) = set else { return Ok(out) };
        out.exists = true;
        out.identity = set
            .identity
            .iter()
            .filter_map(|d| compile(d, PolicyKind::Identity))
            .collect();
        out.boundary = set
            .boundary
            .as_ref()
            .and_then(|d| compile(d, PolicyKind::Identity));
        if let Some(s) = &session {
            if let Some(doc) = &s.session_policy {
                let named = NamedDocument {
                    source: "session".into(),
                    document: doc.clone(),
                };
                out.session.extend(compile(&named, PolicyKind::Identity));
            }
            for arn in &s.policy_arns {
                let doc = model::managed_policy_document(
                    &mut model::Committed(self.kv.as_ref()),
                    account,
                    arn,
                )?;
                if let Some(document) = doc {
                    out.session.extend(compile(
                        &NamedDocument {
                            source: arn.clone(),
                            document,
                        },
                        PolicyKind::Identity,
                    ));
                }
            }
            // Session policies only ever limit: a session created with some must match one.
            if (s.session_policy.is_some() || !s.policy_arns.is_empty()) && out.session.is_empty() {
                out.exists = false;
            }
        }
        out.principal = Some(principal);
        Ok(out)
    }

    /// The decision for one target, with the caller's compiled policies.
    pub fn decide(
        &self,
        ctx: &RequestContext,
        policies: &CallerPolicies,
        target: &AuthzTarget,
    ) -> Decision {
        let Some(principal) = policies.principal.clone() else {
            return Decision::ImplicitDeny;
        };
        if !policies.exists {
            return Decision::ImplicitDeny;
        }
        let environment = Environment {
            now: ctx.clock.now(),
            source_ip: ctx.source_ip,
            region: ctx.region.clone(),
            secure_transport: ctx.secure_transport,
        };
        let request = AuthzRequest::new(principal, &target.action, &target.resource)
            .with_global_keys(&environment);
        let set = PolicySet {
            identity: &policies.identity,
            resource: None,
            permissions_boundary: policies.boundary.as_deref(),
            session: &policies.session,
        };
        gureum_iam_policy::evaluate(&set, &request).decision
    }
}

impl Authorizer for IamAuthorizer {
    fn authorize(&self, ctx: &RequestContext, targets: &[AuthzTarget]) -> Result<(), AwsError> {
        if ctx.principal.is_root() {
            return Ok(());
        }
        let policies = self.caller_policies(ctx)?;
        for target in targets {
            match self.decide(ctx, &policies, target) {
                Decision::Allow => {}
                Decision::ExplicitDeny => {
                    return Err(gureum_core::authz::denied(ctx, target, true));
                }
                Decision::ImplicitDeny => {
                    return Err(gureum_core::authz::denied(ctx, target, false));
                }
            }
        }
        Ok(())
    }
}

/// Wraps the IAM service so that every change it makes invalidates cached policy sets.
pub struct Invalidating<S> {
    inner: S,
    generation: Arc<PolicyGeneration>,
}

impl<S> Invalidating<S> {
    pub fn new(inner: S, generation: Arc<PolicyGeneration>) -> Self {
        Invalidating { inner, generation }
    }
}

/// Operations that change nothing a policy decision reads.
fn is_read(operation: &str) -> bool {
    ["Get", "List", "Simulate", "Generate"]
        .iter()
        .any(|p| operation.starts_with(p))
}

impl<S: Service> Service for Invalidating<S> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn implements(&self, operation: &str) -> bool {
        self.inner.implements(operation)
    }

    fn iam_prefix(&self) -> &'static str {
        self.inner.iam_prefix()
    }

    fn authz_targets(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &OperationInput,
    ) -> Vec<AuthzTarget> {
        self.inner.authz_targets(ctx, operation, input)
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: OperationInput,
    ) -> BoxFuture<'a, Result<OperationOutput, AwsError>> {
        Box::pin(async move {
            let result = self.inner.call(ctx, operation, input).await;
            if !is_read(operation) {
                self.generation.bump();
            }
            result
        })
    }

    fn reset(&self) -> Result<(), AwsError> {
        self.generation.bump();
        self.inner.reset()
    }
}
