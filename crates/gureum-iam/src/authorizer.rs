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

/// Values derived from IAM's stored state (resolved keys, compiled policy sets), kept until the
/// next IAM change. Bounded: when full it starts over.
pub struct GenerationCache<V> {
    generation: Arc<PolicyGeneration>,
    entries: Mutex<HashMap<String, (u64, V)>>,
}

impl<V: Clone> GenerationCache<V> {
    pub fn new(generation: Arc<PolicyGeneration>) -> Self {
        GenerationCache {
            generation,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached value for `key`, or `build`'s, remembered for the current generation.
    pub fn get_or_try_insert<E>(
        &self,
        key: &str,
        build: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        let generation = self.generation.current();
        if let Some((g, v)) = self
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
        {
            if *g == generation {
                return Ok(v.clone());
            }
        }
        let value = build()?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CACHE_ENTRIES {
            entries.clear();
        }
        entries.insert(key.to_string(), (generation, value.clone()));
        Ok(value)
    }
}

/// A caller's compiled policies.
#[derive(Default)]
pub struct CallerPolicies {
    pub principal: Option<Arc<PrincipalInfo>>,
    pub identity: Vec<Arc<Policy>>,
    pub boundary: Option<Arc<Policy>>,
    pub session: Vec<Arc<Policy>>,
    /// Whether the caller still exists (a deleted user's or role's sessions are denied).
    pub exists: bool,
    /// Whether any of these policies has conditions or variables (else the request context
    /// need not be built).
    pub reads_context: bool,
}

const CACHE_ENTRIES: usize = 4096;

pub struct IamAuthorizer {
    kv: Arc<dyn KvStore>,
    cache: GenerationCache<Arc<CallerPolicies>>,
    resource_policies: Mutex<HashMap<String, Arc<Policy>>>,
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
            cache: GenerationCache::new(generation),
            resource_policies: Mutex::new(HashMap::new()),
        }
    }

    /// The compiled policies of the caller of `ctx` (cached per access key).
    pub fn caller_policies(&self, ctx: &RequestContext) -> Result<Arc<CallerPolicies>, AwsError> {
        // An access key always belongs to one principal, so it alone keys the cache.
        self.cache
            .get_or_try_insert(&ctx.access_key_id, || self.build(ctx).map(Arc::new))
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
                out.principal = Some(Arc::new(PrincipalInfo::root(account)));
                return Ok(out);
            }
            // No identity policies: only a resource policy granting `*` lets it in.
            PrincipalKind::Anonymous => {
                out.exists = true;
                out.principal = Some(Arc::new(PrincipalInfo::anonymous()));
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
        out.reads_context = out
            .identity
            .iter()
            .chain(out.boundary.iter())
            .chain(out.session.iter())
            .any(|p| p.reads_context());
        out.principal = Some(Arc::new(principal));
        Ok(out)
    }

    /// A resource policy compiled once per distinct document.
    fn resource_policy(&self, document: &str) -> Option<Arc<Policy>> {
        let mut cache = self
            .resource_policies
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(p) = cache.get(document) {
            return Some(p.clone());
        }
        let named = NamedDocument {
            source: "resource".into(),
            document: document.to_string(),
        };
        let compiled = compile(&named, PolicyKind::Resource)?;
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(document.to_string(), compiled.clone());
        Some(compiled)
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
        let resource = target
            .resource_policy
            .as_deref()
            .and_then(|d| self.resource_policy(d));
        let mut request = AuthzRequest::new(principal, &target.action, &target.resource);
        // Building the condition context costs more than evaluating; only do it when a
        // condition or a policy variable can read it.
        if policies.reads_context || resource.as_ref().is_some_and(|p| p.reads_context()) {
            let environment = Environment {
                now: ctx.clock.now(),
                source_ip: ctx.source_ip,
                region: ctx.region.clone(),
                secure_transport: ctx.secure_transport,
            };
            request = request.with_global_keys(&environment);
            for (k, v) in &target.context {
                request.context.add(k, v.clone());
            }
        }
        if let Some(account) = &target.resource_account {
            request = request.with_resource_account(account.clone());
        }
        let set = PolicySet {
            identity: &policies.identity,
            resource: resource.as_deref(),
            permissions_boundary: policies.boundary.as_deref(),
            session: &policies.session,
        };
        let decision = gureum_iam_policy::evaluate(&set, &request).decision;
        if decision == Decision::Allow && target.resource_policy_required {
            // The resource policy must itself admit the caller (by name, or by naming its
            // account, which then needs the identity allow just found).
            return match resource.as_deref() {
                Some(policy) => {
                    match gureum_iam_policy::evaluate_trust(policy, &request).decision {
                        Decision::Allow => Decision::Allow,
                        _ => Decision::ImplicitDeny,
                    }
                }
                None => Decision::ImplicitDeny,
            };
        }
        decision
    }
}

impl Authorizer for IamAuthorizer {
    fn authorize(&self, ctx: &RequestContext, targets: &[AuthzTarget]) -> Result<(), AwsError> {
        // The root user skips identity policies; only a resource policy can refuse it.
        // The root user skips evaluation in its own account when no resource policy could
        // refuse it; in another account's resources only a resource policy can let it in.
        let own = |t: &AuthzTarget| {
            t.resource_account
                .as_deref()
                .is_none_or(|a| a == ctx.account_id())
        };
        if ctx.principal.is_root()
            && targets
                .iter()
                .all(|t| t.resource_policy.is_none() && own(t))
        {
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

    fn tick(&self, clock: &gureum_core::Clock) {
        self.inner.tick(clock)
    }

    fn reset(&self) -> Result<(), AwsError> {
        self.generation.bump();
        self.inner.reset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_core::{Clock, Principal};
    use gureum_store::MemoryStore;

    fn ctx(principal: Principal, key: &str) -> RequestContext {
        RequestContext {
            request_id: "r".into(),
            region: "us-east-1".into(),
            principal,
            access_key_id: key.into(),
            clock: Clock::new(),
            service: "s3",
            operation: "GetObject".into(),
            source_ip: Some("127.0.0.1".parse().unwrap()),
            secure_transport: false,
        }
    }

    fn user_ctx(kv: &Arc<dyn KvStore>, name: &str, inline: Option<&str>) -> RequestContext {
        let user = model::User {
            name: name.into(),
            id: format!("AIDA{}", name.to_uppercase()),
            path: "/".into(),
            create_date: 0,
            tags: vec![],
            permissions_boundary: None,
            inline_policies: inline
                .map(|d| [("p".to_string(), d.to_string())].into_iter().collect())
                .unwrap_or_default(),
            attached_policies: vec![],
            groups: vec![],
            access_keys: vec![],
            login_profile: None,
            password_last_used: None,
        };
        model::transact(kv.as_ref(), |txn| {
            model::put_user(txn, "111111111111", &user)
        })
        .unwrap();
        ctx(
            Principal {
                account_id: "111111111111".into(),
                arn: user.arn("111111111111"),
                user_id: user.id.clone(),
                kind: PrincipalKind::User { name: name.into() },
            },
            &format!("AKIA{}", name.to_uppercase()),
        )
    }

    const BUCKET_POLICY_ALLOW_ALICE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    const BUCKET_POLICY_DENY_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#;
    const ALLOW_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

    fn target(account: &str, policy: Option<&str>) -> AuthzTarget {
        AuthzTarget::new("s3:GetObject", "arn:aws:s3:::b/k")
            .with_resource_policy(account, policy.map(Arc::from))
    }

    #[test]
    fn resource_policies_plug_into_every_decision() {
        let kv: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
        let authz = IamAuthorizer::new(kv.clone(), Arc::new(PolicyGeneration::default()));
        let alice = user_ctx(&kv, "alice", None);
        let bob = user_ctx(&kv, "bob", Some(ALLOW_GET));
        let root = ctx(Principal::root("111111111111"), "test");
        let cases: Vec<(&RequestContext, AuthzTarget, Result<(), &str>)> = vec![
            // Same account: a bucket policy naming the user allows on its own.
            (
                &alice,
                target("111111111111", Some(BUCKET_POLICY_ALLOW_ALICE)),
                Ok(()),
            ),
            (
                &alice,
                target("111111111111", None),
                Err("no identity-based policy"),
            ),
            (&bob, target("111111111111", None), Ok(())),
            // Cross-account: the identity policy alone is not enough.
            (
                &bob,
                target("222222222222", None),
                Err("no identity-based policy"),
            ),
            // An explicit deny in the resource policy refuses even root.
            (
                &root,
                target("111111111111", Some(BUCKET_POLICY_DENY_ALL)),
                Err("explicit deny in a resource-based policy"),
            ),
            (&root, target("111111111111", None), Ok(())),
            // Another account's root gets nothing without a resource policy.
            (
                &root,
                target("222222222222", None),
                Err("no identity-based policy"),
            ),
            (
                &bob,
                target("111111111111", Some(BUCKET_POLICY_DENY_ALL)),
                Err("explicit deny"),
            ),
        ];
        for (i, (ctx, target, want)) in cases.into_iter().enumerate() {
            let got = authz.authorize(ctx, &[target]).map_err(|e| e.message);
            match (got, want) {
                (Ok(()), Ok(())) => {}
                (Err(msg), Err(part)) => assert!(msg.contains(part), "case {i}: {msg}"),
                (got, want) => panic!("case {i}: got {got:?}, want {want:?}"),
            }
        }
    }
}
