//! The policy simulator: SimulatePrincipalPolicy (a user's, group's or role's stored policies,
//! plus any supplied) and SimulateCustomPolicy (supplied policies only), answered by the same
//! evaluator that authorizes every request (`gureum_iam_policy::simulate`).
//!
//! What the simulator reports follows what IAM answers:
//! - one `EvaluationResult` per action (pages count actions); without `ResourceArns` it is about
//!   `*`; with them, each resource has a `ResourceSpecificResults` entry and the action's
//!   decision is the strictest of them;
//! - statements are named by `SourcePolicyId` (`PolicyInputList.1`, a managed policy's name,
//!   `user_<user>_<policy>` for an inline policy, `ResourcePolicy`,
//!   `PermissionsBoundaryPolicyInputList.1`) and `SourcePolicyType` (`IAM Policy`,
//!   `Resource Policy`, `Permissions Boundary Policy`), with IAM's positions: a statement starts
//!   just after the token before it (`[`, the previous statement, or the `{` of a lone statement)
//!   and ends just after its `}`;
//! - the request context is only what `ContextEntries` say, over defaults derived from the
//!   simulated caller (`aws:PrincipalArn`, `aws:username`, `aws:userid`,
//!   `aws:PrincipalAccount`); nothing comes from the real request (no `aws:SourceIp`,
//!   `aws:CurrentTime`...);
//! - `MissingContextValues` lists the condition keys the policies needed and did not get, unless
//!   the request is allowed anyway.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use gureum_core::{Arn, AwsError, RequestContext};
use gureum_iam_policy::{
    AuthzRequest, ConditionContext, Decision, Policy, PolicyError, PolicyKind, PolicySet,
    PrincipalInfo, PrincipalKind, evaluate, evaluate_trust, simulate,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::errors::{invalid_input, no_such_entity};
use super::{Iam, input};
use crate::model::{self, NamedDocument};

/// `aws:userid` when the simulation names no caller, as IAM fills it.
const STUB_USER_ID: &str = "STUB_PRINCIPAL_FOR_POLICY_SIMULATOR";
const DEFAULT_MAX_ITEMS: usize = 100;
const CONTEXT_KEY_TYPES: &str = "binary, ipList, booleanList, ip, boolean, numericList, \
                                 dateList, numeric, date, stringList, string, binaryList";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContextEntry {
    context_key_name: Option<String>,
    #[serde(default)]
    context_key_values: Vec<String>,
    context_key_type: Option<String>,
}

/// The members both operations share (SimulatePrincipalPolicy adds `PolicySourceArn`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SimulateInput {
    policy_source_arn: Option<String>,
    #[serde(default)]
    policy_input_list: Vec<String>,
    #[serde(default)]
    permissions_boundary_policy_input_list: Vec<String>,
    #[serde(default)]
    action_names: Vec<String>,
    #[serde(default)]
    resource_arns: Vec<String>,
    resource_policy: Option<String>,
    resource_owner: Option<String>,
    caller_arn: Option<String>,
    #[serde(default)]
    context_entries: Vec<ContextEntry>,
    // `ResourceHandlingOption` is accepted and ignored: gureum has no catalogue of the
    // resources each action needs.
    max_items: Option<i64>,
    marker: Option<String>,
}

pub fn simulate_principal_policy(
    iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: SimulateInput = input(params)?;
    let source_arn = req
        .policy_source_arn
        .clone()
        .ok_or_else(|| AwsError::validation("PolicySourceArn is required"))?;
    let source = load_source(iam, ctx.account_id(), &source_arn)?;
    run(ctx, req, Some(source))
}

pub fn simulate_custom_policy(
    _iam: &Iam,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let req: SimulateInput = input(params)?;
    run(ctx, req, None)
}

// ---------------------------------------------------------------------------------------------
// Entities: the policy source and the simulated caller
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntityKind {
    User,
    Group,
    Role,
}

/// An IAM user, group or role named by ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EntityArn {
    kind: EntityKind,
    account: String,
    name: String,
}

/// `arn:aws:iam::ACCOUNT:(user|group|role)/PATH/NAME`; the path is not checked (IAM finds the
/// entity by name).
fn parse_entity_arn(arn: &str) -> Option<EntityArn> {
    let parsed = Arn::parse(arn)?;
    if parsed.service != "iam" || !parsed.region.is_empty() || parsed.account_id.is_empty() {
        return None;
    }
    let (kind, rest) = parsed.resource.split_once('/')?;
    let kind = match kind {
        "user" => EntityKind::User,
        "group" => EntityKind::Group,
        "role" => EntityKind::Role,
        _ => return None,
    };
    let name = rest.rsplit('/').next().filter(|n| !n.is_empty())?;
    Some(EntityArn {
        kind,
        account: parsed.account_id,
        name: name.to_string(),
    })
}

/// The simulated caller: who resource policies see, and where the `aws:Principal*` defaults
/// come from.
#[derive(Debug, Clone)]
struct Caller {
    arn: String,
    entity: EntityArn,
    /// The stored entity's unique id, when the caller is the policy source.
    unique_id: Option<String>,
}

/// A policy source's stored policies.
struct Source {
    caller: Caller,
    identity: Vec<NamedDocument>,
    boundary: Option<NamedDocument>,
}

fn load_source(iam: &Iam, account: &str, arn: &str) -> Result<Source, AwsError> {
    let entity = parse_entity_arn(arn)
        .ok_or_else(|| invalid_input(format!("Invalid ARN provided in the request: {arn}")))?;
    if entity.account != account {
        return Err(invalid_input(format!(
            "Invalid Policy Source Arn: caller's account {account} does not have access to \
             policies in account {}.",
            entity.account
        )));
    }
    let missing = || no_such_entity("Unable to retrieve specified IAM entity.");
    let kv = iam.kv();
    let r = &mut model::Committed(kv);
    let (name, stored_arn, unique_id, set) = match entity.kind {
        EntityKind::User => {
            let user = model::get_user(r, account, &entity.name)?.ok_or_else(missing)?;
            let set = model::user_policy_set(kv, account, &user.name)?.ok_or_else(missing)?;
            (user.name.clone(), user.arn(account), user.id, set)
        }
        EntityKind::Role => {
            let role = model::get_role(r, account, &entity.name)?.ok_or_else(missing)?;
            let set = model::role_policy_set(kv, account, &role.name)?.ok_or_else(missing)?;
            (role.name.clone(), role.arn(account), role.id, set)
        }
        EntityKind::Group => {
            // A group's own policies only; groups have no permissions boundary.
            let group = model::get_group(r, account, &entity.name)?.ok_or_else(missing)?;
            let mut set = model::PolicySet::default();
            for (name, document) in &group.inline_policies {
                set.identity.push(NamedDocument {
                    source: format!("group/{}/inline/{name}", group.name),
                    document: document.clone(),
                });
            }
            for policy_arn in &group.attached_policies {
                if let Some(document) = model::managed_policy_document(r, account, policy_arn)? {
                    set.identity.push(NamedDocument {
                        source: policy_arn.clone(),
                        document,
                    });
                }
            }
            (group.name.clone(), group.arn(account), group.id, set)
        }
    };
    // A managed policy attached to the user and to one of its groups counts once.
    let mut identity: Vec<NamedDocument> = Vec::with_capacity(set.identity.len());
    for doc in set.identity {
        if !identity.iter().any(|d| d.source == doc.source) {
            identity.push(doc);
        }
    }
    Ok(Source {
        caller: Caller {
            entity: EntityArn { name, ..entity },
            arn: stored_arn,
            unique_id: Some(unique_id),
        },
        identity,
        boundary: set.boundary,
    })
}

/// What a stored policy is called in `MatchedStatements`: a managed policy's name, or
/// `user_<user>_<policy>` (`group_...`, `role_...`) for an inline policy.
fn source_policy_id(source: &str) -> String {
    if source.starts_with("arn:") {
        return source.rsplit('/').next().unwrap_or(source).to_string();
    }
    match source.split('/').collect::<Vec<_>>().as_slice() {
        [kind, entity, "inline", name] => format!("{kind}_{entity}_{name}"),
        _ => source.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

/// Which part of the evaluation a document plays, as `SourcePolicyType` and the keys of
/// `EvalDecisionDetails` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Identity,
    Boundary,
    Resource,
}

impl Layer {
    fn name(self) -> &'static str {
        match self {
            Layer::Identity => "IAM Policy",
            Layer::Boundary => "Permissions Boundary Policy",
            Layer::Resource => "Resource Policy",
        }
    }
}

/// A line and column as IAM reports them (1-based; columns count characters).
type LineColumn = (u32, u32);

struct Document {
    id: String,
    layer: Layer,
    /// Each statement's `StartPosition` and `EndPosition`, in document order.
    spans: Vec<(LineColumn, LineColumn)>,
}

/// Compiles a supplied or stored document. The simulator, unlike the Put/Create operations,
/// accepts a document without `Version`; it is read as 2012-10-17.
fn compile(text: &str, kind: PolicyKind) -> Option<Policy> {
    match Policy::parse(text, kind) {
        Ok(policy) => Some(policy),
        Err(PolicyError::VersionTooOld) if lacks_version(text) => {
            let brace = text.find('{')?;
            let mut patched = String::with_capacity(text.len() + 24);
            patched.push_str(&text[..=brace]);
            patched.push_str("\"Version\":\"2012-10-17\",");
            patched.push_str(&text[brace + 1..]);
            Policy::parse(&patched, kind).ok()
        }
        Err(_) => None,
    }
}

fn lacks_version(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.as_object().map(|o| !o.contains_key("Version")))
        .unwrap_or(false)
}

/// Where IAM says each statement of `doc` is (see `gureum_iam_policy::statement_spans`).
fn statement_spans(doc: &str) -> Vec<(LineColumn, LineColumn)> {
    gureum_iam_policy::statement_spans(doc)
        .into_iter()
        .map(|(start, end)| ((start.line, start.column), (end.line, end.column)))
        .collect()
}

/// Resource ARNs named in a resource policy's `Resource`/`NotResource`.
fn policy_resources(doc: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<Value>(doc) else {
        return Vec::new();
    };
    let statements = match value.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(single) => vec![single],
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for st in statements {
        for key in ["Resource", "NotResource"] {
            match st.get(key) {
                Some(Value::String(s)) => out.push(s.clone()),
                Some(Value::Array(items)) => {
                    out.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                }
                _ => {}
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The request context
// ---------------------------------------------------------------------------------------------

/// Checks `ContextEntries` as IAM does and returns (name, values, multivalued).
fn context_entries(entries: &[ContextEntry]) -> Result<Vec<(String, Vec<String>, bool)>, AwsError> {
    let mut out: Vec<(String, Vec<String>, bool)> = Vec::new();
    for entry in entries {
        let Some(name) = entry.context_key_name.as_deref() else {
            continue;
        };
        if out.iter().any(|(n, _, _)| n.eq_ignore_ascii_case(name)) {
            return Err(invalid_input(format!("Duplicate context key: {name}.")));
        }
        let kind = entry.context_key_type.as_deref().unwrap_or("string");
        let (scalar, list) = match kind.strip_suffix("List") {
            Some(scalar) => (scalar, true),
            None => (kind, false),
        };
        let values = &entry.context_key_values;
        if !list && values.len() != 1 {
            return Err(invalid_input(format!(
                "Context key {kind} expected a single value, but received {}.",
                values.len()
            )));
        }
        let bad = |expected: &str| {
            invalid_input(format!(
                "Invalid context value for key {name}: expected {expected}."
            ))
        };
        let mut checked = Vec::with_capacity(values.len());
        for value in values {
            let value = match scalar {
                "string" => value.clone(),
                "numeric" => {
                    if !value.trim().parse::<f64>().is_ok_and(f64::is_finite) {
                        return Err(bad("numeric format"));
                    }
                    value.trim().to_string()
                }
                // IAM takes any value: `true` in any case is true, anything else false.
                "boolean" => {
                    if value.trim().eq_ignore_ascii_case("true") {
                        "true".to_string()
                    } else {
                        "false".to_string()
                    }
                }
                "date" => {
                    if !is_date(value.trim()) {
                        return Err(bad("DateTime format"));
                    }
                    value.trim().to_string()
                }
                "ip" => {
                    if !is_ip(value.trim()) {
                        return Err(bad("IP address"));
                    }
                    value.trim().to_string()
                }
                "binary" => {
                    if base64::engine::general_purpose::STANDARD
                        .decode(value.trim())
                        .is_err()
                    {
                        return Err(bad("base-64 encoded binary format"));
                    }
                    value.trim().to_string()
                }
                _ => {
                    return Err(AwsError::validation(format!(
                        "1 validation error detected: Value '{kind}' at \
                         'contextEntries.member.contextKeyType' failed to satisfy constraint: \
                         Member must satisfy enum value set: [{CONTEXT_KEY_TYPES}]"
                    )));
                }
            };
            checked.push(value);
        }
        out.push((name.to_string(), checked, list));
    }
    Ok(out)
}

/// ISO 8601 (`2024-01-31`, `2024-01-31T12:00:00Z`, with seconds' fractions or an offset) or
/// epoch seconds, the forms the Date operators read.
fn is_date(v: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(v.strip_prefix('-').unwrap_or(v)) {
        return true;
    }
    let (Some(date), rest) = (v.get(..10), v.get(10..).unwrap_or("")) else {
        return false;
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if !(y.len() == 4 && digits(y) && m.len() == 2 && digits(m) && d.len() == 2 && digits(d)) {
        return false;
    }
    let in_range =
        |s: &str, lo: u32, hi: u32| s.parse::<u32>().is_ok_and(|n| (lo..=hi).contains(&n));
    if !(in_range(m, 1, 12) && in_range(d, 1, 31)) {
        return false;
    }
    let Some(time) = rest.strip_prefix('T') else {
        return rest.is_empty();
    };
    let zone_at = time.find(['Z', '+', '-']).unwrap_or(time.len());
    let (clock, zone) = time.split_at(zone_at);
    let (clock, fraction) = match clock.split_once('.') {
        Some((c, f)) => (c, Some(f)),
        None => (clock, None),
    };
    if fraction.is_some_and(|f| !digits(f)) {
        return false;
    }
    let fields: Vec<&str> = clock.split(':').collect();
    let clock_ok = matches!(fields.len(), 2 | 3)
        && fields.iter().all(|f| f.len() == 2 && digits(f))
        && in_range(fields[0], 0, 23)
        && in_range(fields[1], 0, 59)
        && fields.get(2).is_none_or(|s| in_range(s, 0, 60));
    let zone_ok = match zone {
        "" | "Z" => true,
        z => {
            let offset = z[1..].replace(':', "");
            matches!(offset.len(), 2 | 4) && digits(&offset)
        }
    };
    clock_ok && zone_ok
}

/// An address or a CIDR block, IPv4 or IPv6.
fn is_ip(v: &str) -> bool {
    let (address, prefix) = match v.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (v, None),
    };
    let Ok(ip) = address.parse::<IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    prefix.is_none_or(|p| p.parse::<u8>().is_ok_and(|n| n <= max))
}

// ---------------------------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------------------------

struct Simulator {
    /// Every document, indexed by the id its compiled `Policy` carries.
    documents: Vec<Document>,
    identity: Vec<Arc<Policy>>,
    boundary: Option<Arc<Policy>>,
    resource: Option<Arc<Policy>>,
    principal: PrincipalInfo,
    context: ConditionContext,
    /// The account of resources whose ARN does not say (`ResourceOwner`).
    owner: Option<String>,
}

/// One action on one resource.
struct ResourceResult {
    resource: String,
    decision: Decision,
    /// (document, statement) pairs.
    statements: Vec<(usize, usize)>,
    missing: Vec<String>,
    boundary_allows: Option<bool>,
    /// Each policy type's own decision, for cross-account requests.
    layers: Option<Vec<(&'static str, Decision)>>,
}

fn strictness(d: Decision) -> u8 {
    match d {
        Decision::Allow => 0,
        Decision::ImplicitDeny => 1,
        Decision::ExplicitDeny => 2,
    }
}

impl Simulator {
    /// Compiles `text` as a document of `layer`; `None` when it is not a valid policy.
    fn add(&mut self, id: String, layer: Layer, text: &str) -> Option<Arc<Policy>> {
        let kind = match layer {
            Layer::Resource => PolicyKind::Resource,
            _ => PolicyKind::Identity,
        };
        let policy = compile(text, kind)?.with_id(self.documents.len().to_string());
        self.documents.push(Document {
            id,
            layer,
            spans: statement_spans(text),
        });
        Some(Arc::new(policy))
    }

    /// The account owning `resource`, when a resource policy makes it matter.
    fn resource_account(&self, resource: &str) -> Option<String> {
        self.resource.as_ref()?;
        Arn::parse(resource)
            .map(|a| a.account_id)
            .filter(|a| !a.is_empty())
            .or_else(|| self.owner.clone())
    }

    fn evaluate(&self, action: &str, resource: &str) -> ResourceResult {
        let request = AuthzRequest {
            principal: Arc::new(self.principal.clone()),
            action: action.to_string(),
            resource: resource.to_string(),
            resource_account: self.resource_account(resource),
            context: self.context.clone(),
        };
        let set = PolicySet {
            identity: &self.identity,
            resource: self.resource.as_deref(),
            permissions_boundary: self.boundary.as_deref(),
            session: &[],
        };
        let simulation = simulate(&set, &request);
        let statements = simulation
            .matched_statements
            .iter()
            .filter_map(|m| Some((m.policy_id().parse::<usize>().ok()?, m.index)))
            .collect();
        // What one kind of policy says on its own.
        let local = AuthzRequest {
            resource_account: None,
            ..request.clone()
        };
        let alone = |identity: &[Arc<Policy>]| {
            let set = PolicySet {
                identity,
                ..PolicySet::default()
            };
            evaluate(&set, &local).decision
        };
        let boundary = self
            .boundary
            .as_ref()
            .map(|b| alone(std::slice::from_ref(b)));
        let layers = request.is_cross_account().then(|| {
            let mut layers = vec![(Layer::Identity.name(), alone(&self.identity))];
            if let Some(resource) = &self.resource {
                layers.push((
                    Layer::Resource.name(),
                    evaluate_trust(resource, &request).decision,
                ));
            }
            if let Some(b) = boundary {
                layers.push((Layer::Boundary.name(), b));
            }
            layers
        });
        ResourceResult {
            resource: resource.to_string(),
            decision: simulation.decision,
            statements,
            missing: if simulation.decision == Decision::Allow {
                Vec::new()
            } else {
                simulation.missing_context_keys
            },
            boundary_allows: boundary.map(|b| b == Decision::Allow),
            layers,
        }
    }

    fn statement(&self, (document, index): (usize, usize)) -> Value {
        let Some(doc) = self.documents.get(document) else {
            return json!({});
        };
        let mut out = Map::new();
        out.insert("SourcePolicyId".into(), json!(doc.id));
        out.insert("SourcePolicyType".into(), json!(doc.layer.name()));
        if let Some(((l1, c1), (l2, c2))) = doc.spans.get(index) {
            out.insert("StartPosition".into(), json!({"Line": l1, "Column": c1}));
            out.insert("EndPosition".into(), json!({"Line": l2, "Column": c2}));
        }
        Value::Object(out)
    }

    fn statements(&self, list: &[(usize, usize)]) -> Value {
        Value::Array(list.iter().map(|s| self.statement(*s)).collect())
    }

    /// The `EvaluationResult` of one action: about `*` when `resources` is empty, else with a
    /// `ResourceSpecificResults` entry per resource.
    fn result(&self, action: &str, resources: &[String]) -> Value {
        let mut out = Map::new();
        out.insert("EvalActionName".into(), json!(action));
        if resources.is_empty() {
            let r = self.evaluate(action, "*");
            out.insert("EvalResourceName".into(), json!("*"));
            out.insert("EvalDecision".into(), json!(r.decision.as_str()));
            out.insert("MatchedStatements".into(), self.statements(&r.statements));
            out.insert("MissingContextValues".into(), json!(r.missing));
            if let Some(allowed) = r.boundary_allows {
                out.insert(
                    "PermissionsBoundaryDecisionDetail".into(),
                    json!({"AllowedByPermissionsBoundary": allowed}),
                );
            }
            return Value::Object(out);
        }

        let results: Vec<ResourceResult> =
            resources.iter().map(|r| self.evaluate(action, r)).collect();
        let decision = results
            .iter()
            .map(|r| r.decision)
            .max_by_key(|d| strictness(*d))
            .unwrap_or(Decision::ImplicitDeny);
        let mut statements: Vec<(usize, usize)> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        for r in &results {
            for s in &r.statements {
                if !statements.contains(s) {
                    statements.push(*s);
                }
            }
            for key in &r.missing {
                if !missing.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                    missing.push(key.clone());
                }
            }
        }
        // With several resources IAM names the action's resource type here; gureum has no
        // catalogue of them and leaves the name out, as IAM does for actions it has none for.
        if let [only] = resources {
            out.insert("EvalResourceName".into(), json!(only));
        }
        out.insert("EvalDecision".into(), json!(decision.as_str()));
        out.insert("MatchedStatements".into(), self.statements(&statements));
        out.insert("MissingContextValues".into(), json!(missing));
        if results.iter().any(|r| r.boundary_allows.is_some()) {
            let allowed = results.iter().all(|r| r.boundary_allows != Some(false));
            out.insert(
                "PermissionsBoundaryDecisionDetail".into(),
                json!({"AllowedByPermissionsBoundary": allowed}),
            );
        }
        // Same-account simulations of named resources carry an empty map.
        let mut details = Map::new();
        for r in &results {
            for (layer, d) in r.layers.iter().flatten() {
                let stricter = details
                    .get(*layer)
                    .and_then(Value::as_str)
                    .and_then(decision_from_str)
                    .is_none_or(|old| strictness(*d) > strictness(old));
                if stricter {
                    details.insert((*layer).to_string(), json!(d.as_str()));
                }
            }
        }
        out.insert("EvalDecisionDetails".into(), Value::Object(details));
        let specific: Vec<Value> = results.iter().map(|r| self.specific(r)).collect();
        out.insert("ResourceSpecificResults".into(), Value::Array(specific));
        Value::Object(out)
    }

    fn specific(&self, r: &ResourceResult) -> Value {
        let mut out = Map::new();
        out.insert("EvalResourceName".into(), json!(r.resource));
        out.insert("EvalResourceDecision".into(), json!(r.decision.as_str()));
        out.insert("MatchedStatements".into(), self.statements(&r.statements));
        out.insert("MissingContextValues".into(), json!(r.missing));
        if let Some(layers) = &r.layers {
            let details: Map<String, Value> = layers
                .iter()
                .map(|(layer, d)| ((*layer).to_string(), json!(d.as_str())))
                .collect();
            out.insert("EvalDecisionDetails".into(), Value::Object(details));
        }
        if let Some(allowed) = r.boundary_allows {
            out.insert(
                "PermissionsBoundaryDecisionDetail".into(),
                json!({"AllowedByPermissionsBoundary": allowed}),
            );
        }
        Value::Object(out)
    }
}

fn decision_from_str(s: &str) -> Option<Decision> {
    match s {
        "allowed" => Some(Decision::Allow),
        "implicitDeny" => Some(Decision::ImplicitDeny),
        "explicitDeny" => Some(Decision::ExplicitDeny),
        _ => None,
    }
}

fn caller_from_arn(arn: &str) -> Result<Caller, AwsError> {
    let entity = parse_entity_arn(arn).ok_or_else(|| {
        invalid_input("Invalid caller - Caller must be an IAM user, role or group in this context.")
    })?;
    Ok(Caller {
        arn: arn.to_string(),
        entity,
        unique_id: None,
    })
}

/// The evaluator's view of the simulated caller.
fn principal_of(caller: Option<&Caller>, account: &str) -> PrincipalInfo {
    let Some(caller) = caller else {
        return PrincipalInfo {
            arn: String::new(),
            account_id: account.to_string(),
            kind: PrincipalKind::User,
            user_id: STUB_USER_ID.to_string(),
            username: String::new(),
            tags: Vec::new(),
        };
    };
    let (kind, username) = match caller.entity.kind {
        EntityKind::User => (PrincipalKind::User, caller.entity.name.clone()),
        EntityKind::Role => (
            PrincipalKind::AssumedRole {
                role_arn: caller.arn.clone(),
            },
            String::new(),
        ),
        EntityKind::Group => (PrincipalKind::User, String::new()),
    };
    PrincipalInfo {
        arn: caller.arn.clone(),
        account_id: caller.entity.account.clone(),
        kind,
        user_id: caller
            .unique_id
            .clone()
            .unwrap_or_else(|| caller.arn.clone()),
        username,
        tags: Vec::new(),
    }
}

/// The account of a `ResourceOwner` ARN (`arn:aws:iam::123456789012:root`).
fn owner_account(owner: &str) -> Result<String, AwsError> {
    let bad = || invalid_input(format!("'{owner}' is not a valid as a Resource Owner."));
    let parsed = Arn::parse(owner).ok_or_else(bad)?;
    let valid = parsed.service == "iam"
        && parsed.region.is_empty()
        && gureum_core::is_account_id(&parsed.account_id)
        && !parsed.resource.is_empty();
    if valid {
        Ok(parsed.account_id)
    } else {
        Err(bad())
    }
}

fn decode_marker(marker: &str) -> Result<usize, AwsError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(marker)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("simulation:")?.parse::<usize>().ok())
        .ok_or_else(|| invalid_input("Invalid marker for pagination."))
}

fn encode_marker(next: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("simulation:{next}"))
}

fn run(
    ctx: &RequestContext,
    req: SimulateInput,
    source: Option<Source>,
) -> Result<Value, AwsError> {
    let account = ctx.account_id();
    for action in &req.action_names {
        if !action.contains(':') {
            return Err(invalid_input(
                "The action is invalid since it is missing names",
            ));
        }
    }
    for resource in &req.resource_arns {
        let is_arn =
            resource == "*" || Arn::parse(resource).is_some_and(|a| !a.resource.is_empty());
        if !is_arn {
            return Err(invalid_input(format!(
                "ResourceNames are not in a valid ARN format: {resource}."
            )));
        }
    }
    if req.permissions_boundary_policy_input_list.len() > 1 {
        return Err(invalid_input(
            "The list of Permissions Boundary policies cannot exceed 1 items.",
        ));
    }
    let entries = context_entries(&req.context_entries)?;

    let mut sim = Simulator {
        documents: Vec::new(),
        identity: Vec::new(),
        boundary: None,
        resource: None,
        principal: principal_of(None, account),
        context: ConditionContext::new(),
        owner: None,
    };
    let mut caller = None;
    if let Some(source) = source {
        for doc in &source.identity {
            // Stored documents were validated when stored; one that no longer parses grants
            // nothing, as in the authorizer.
            if let Some(p) = sim.add(
                source_policy_id(&doc.source),
                Layer::Identity,
                &doc.document,
            ) {
                sim.identity.push(p);
            }
        }
        if req.permissions_boundary_policy_input_list.is_empty() {
            if let Some(doc) = &source.boundary {
                sim.boundary = sim.add(
                    source_policy_id(&doc.source),
                    Layer::Boundary,
                    &doc.document,
                );
            }
        }
        caller = Some(source.caller);
    }
    for (i, text) in req.policy_input_list.iter().enumerate() {
        let n = i + 1;
        let policy = sim
            .add(format!("PolicyInputList.{n}"), Layer::Identity, text)
            .ok_or_else(|| {
                invalid_input(format!("Policy input list item {n} has invalid content"))
            })?;
        sim.identity.push(policy);
    }
    if let Some(text) = req.permissions_boundary_policy_input_list.first() {
        let policy = sim
            .add(
                "PermissionsBoundaryPolicyInputList.1".to_string(),
                Layer::Boundary,
                text,
            )
            .ok_or_else(|| {
                invalid_input("Permissions boundary policy input list item 1 has invalid content")
            })?;
        sim.boundary = Some(policy);
    }
    if let Some(arn) = &req.caller_arn {
        caller = Some(caller_from_arn(arn).map(|mut c| {
            // Naming the policy source again keeps its unique id.
            if let Some(source) = caller.as_ref().filter(|s| s.arn == c.arn) {
                c.unique_id = source.unique_id.clone();
            }
            c
        })?);
    }
    if let Some(owner) = &req.resource_owner {
        sim.owner = Some(owner_account(owner)?);
    }
    if let Some(text) = &req.resource_policy {
        match &caller {
            None => {
                return Err(invalid_input(
                    "Invalid caller - Caller cannot be null or empty.",
                ));
            }
            Some(c) if c.entity.kind != EntityKind::User => {
                return Err(invalid_input(
                    "Invalid caller - Caller must be an IAM user in this context.",
                ));
            }
            Some(_) => {}
        }
        if req.resource_arns.is_empty() || req.resource_arns.iter().any(|r| r == "*") {
            return Err(invalid_input(
                "Invalid Entity Arn: * does not clearly define entity type and name.",
            ));
        }
        let policy = sim
            .add("ResourcePolicy".to_string(), Layer::Resource, text)
            .ok_or_else(|| invalid_input("Resource policy has invalid content"))?;
        if policy_resources(text).iter().any(|r| r == "*") {
            return Err(invalid_input(
                "ResourceNames are not in a valid ARN format: *.",
            ));
        }
        sim.resource = Some(policy);
    }

    // The context: defaults from the simulated caller, then what the request says.
    sim.principal = principal_of(caller.as_ref(), account);
    sim.context
        .set("aws:PrincipalAccount", sim.principal.account_id.clone());
    match &caller {
        Some(c) => {
            sim.context.set("aws:PrincipalArn", c.arn.clone());
            sim.context.set("aws:userid", sim.principal.user_id.clone());
            if c.entity.kind == EntityKind::User {
                sim.context.set("aws:username", c.entity.name.clone());
            }
        }
        None => sim.context.set("aws:userid", STUB_USER_ID),
    }
    for (name, values, list) in entries {
        match (list, values.first()) {
            (false, Some(v)) => sim.context.set(&name, v.clone()),
            _ => sim.context.set_values(&name, values),
        }
    }

    // One result per action, paged by action.
    let start = match &req.marker {
        Some(m) => decode_marker(m)?,
        None => 0,
    };
    let max = req
        .max_items
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_ITEMS);
    let resources: Vec<String> = if req.resource_arns.iter().all(|r| r == "*") {
        Vec::new()
    } else {
        req.resource_arns.clone()
    };
    let end = start.saturating_add(max).min(req.action_names.len());
    let page = req.action_names.get(start..end).unwrap_or(&[]);
    let results: Vec<Value> = page.iter().map(|a| sim.result(a, &resources)).collect();
    let mut out = Map::new();
    out.insert("EvaluationResults".into(), Value::Array(results));
    let truncated = end < req.action_names.len() && start < end;
    out.insert("IsTruncated".into(), json!(truncated));
    if truncated {
        out.insert("Marker".into(), json!(encode_marker(end)));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use gureum_core::{Clock, OperationInput, Principal, Service};
    use gureum_store::Storage;

    use super::*;

    const ACCOUNT: &str = "111111111111";

    fn ctx() -> RequestContext {
        RequestContext {
            request_id: "r".into(),
            region: "us-east-1".into(),
            principal: Principal::root(ACCOUNT),
            access_key_id: "test".into(),
            clock: Clock::new(),
            service: "iam",
            operation: String::new(),
            source_ip: None,
            secure_transport: false,
        }
    }

    /// Runs one operation (handlers never await, so one poll completes them); errors come back
    /// as (code, message).
    fn call(iam: &Iam, op: &str, params: Value) -> Result<Value, (String, String)> {
        use std::task::{Context, Poll, Waker};
        let ctx = ctx();
        let mut fut = std::pin::pin!(iam.call(
            &ctx,
            op,
            OperationInput {
                params,
                payload: None,
                stream: None
            }
        ));
        match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(out)) => Ok(out.params),
            Poll::Ready(Err(e)) => Err((e.code.to_string(), e.message)),
            Poll::Pending => panic!("{op} did not complete"),
        }
    }

    fn ok(iam: &Iam, op: &str, params: Value) -> Value {
        call(iam, op, params).unwrap_or_else(|e| panic!("{op}: {e:?}"))
    }

    fn err(iam: &Iam, op: &str, params: Value) -> (String, String) {
        call(iam, op, params).expect_err(op)
    }

    fn policy(statements: Value) -> String {
        json!({"Version": "2012-10-17", "Statement": statements}).to_string()
    }

    fn allow(action: &str, resource: &str) -> String {
        policy(json!({"Effect": "Allow", "Action": action, "Resource": resource}))
    }

    fn deny(action: &str) -> String {
        policy(json!({"Effect": "Deny", "Action": action, "Resource": "*"}))
    }

    fn decisions(out: &Value) -> Vec<(String, String)> {
        out["EvaluationResults"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["EvalActionName"].as_str().unwrap_or("").to_string(),
                    r["EvalDecision"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    fn sources(result: &Value) -> Vec<String> {
        result["MatchedStatements"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                format!(
                    "{}|{}",
                    s["SourcePolicyId"].as_str().unwrap_or(""),
                    s["SourcePolicyType"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    #[test]
    fn stored_policies_are_named_as_iam_names_them() {
        for (source, id) in [
            ("user/alice/inline/read", "user_alice_read"),
            ("group/devs/inline/ec2", "group_devs_ec2"),
            ("role/app/inline/s3", "role_app_s3"),
            ("arn:aws:iam::111111111111:policy/team/a/Mine", "Mine"),
            ("arn:aws:iam::aws:policy/ReadOnlyAccess", "ReadOnlyAccess"),
        ] {
            assert_eq!(source_policy_id(source), id);
        }
    }

    #[test]
    fn entity_and_owner_arns() {
        assert_eq!(
            parse_entity_arn("arn:aws:iam::111111111111:user/a/b/alice"),
            Some(EntityArn {
                kind: EntityKind::User,
                account: ACCOUNT.into(),
                name: "alice".into()
            })
        );
        for bad in [
            "arn:aws:iam::111111111111:root",
            "arn:aws:sts::111111111111:assumed-role/r/s",
            "arn:aws:iam::111111111111:policy/p",
            "arn:aws:iam::111111111111:user/",
            "not-an-arn-but-long-enough",
        ] {
            assert_eq!(parse_entity_arn(bad), None, "{bad}");
        }
        assert_eq!(
            owner_account("arn:aws:iam::222222222222:root")
                .ok()
                .as_deref(),
            Some("222222222222")
        );
        let e = owner_account("222222222222").unwrap_err();
        assert_eq!(
            (e.code.as_ref(), e.message.as_str()),
            (
                "InvalidInput",
                "'222222222222' is not a valid as a Resource Owner."
            )
        );
    }

    #[test]
    fn context_entries_are_typed_and_checked() {
        let entry = |name: &str, kind: &str, values: &[&str]| ContextEntry {
            context_key_name: Some(name.into()),
            context_key_values: values.iter().map(|v| v.to_string()).collect(),
            context_key_type: Some(kind.into()),
        };
        let good = context_entries(&[
            entry("aws:SourceIp", "ip", &["10.0.0.1"]),
            entry("aws:CurrentTime", "date", &["2024-01-31T12:00:00Z"]),
            entry("aws:MultiFactorAuthPresent", "boolean", &["TRUE"]),
            entry("s3:max-keys", "numeric", &["10"]),
            entry("aws:TagKeys", "stringList", &["a", "b"]),
            entry("x:blob", "binary", &["aGVsbG8="]),
            entry("x:nets", "ipList", &["10.0.0.0/8", "2001:db8::/32"]),
        ])
        .unwrap();
        assert_eq!(good[2].1, vec!["true"]);
        assert_eq!(
            good[4],
            ("aws:TagKeys".into(), vec!["a".into(), "b".into()], true)
        );
        let failures = [
            (
                vec![entry("x:k", "string", &["a", "b"])],
                "Context key string expected a single value, but received 2.",
            ),
            (
                vec![entry("x:k", "numeric", &["NaN"])],
                "Invalid context value for key x:k: expected numeric format.",
            ),
            (
                vec![entry("x:k", "date", &["tomorrow"])],
                "Invalid context value for key x:k: expected DateTime format.",
            ),
            (
                vec![entry("x:k", "ip", &["999.0.0.1"])],
                "Invalid context value for key x:k: expected IP address.",
            ),
            (
                vec![entry("x:k", "binary", &["!base64"])],
                "Invalid context value for key x:k: expected base-64 encoded binary format.",
            ),
            (
                vec![
                    entry("x:k", "string", &["a"]),
                    entry("X:K", "string", &["b"]),
                ],
                "Duplicate context key: X:K.",
            ),
        ];
        for (entries, message) in failures {
            let e = context_entries(&entries).unwrap_err();
            assert_eq!(
                (e.code.as_ref(), e.message.as_str()),
                ("InvalidInput", message)
            );
        }
        for d in [
            "2024-01-31",
            "2024-01-31T12:00Z",
            "2024-01-31T12:00:00.5+09:00",
            "1700000000",
        ] {
            assert!(is_date(d), "{d}");
        }
        for d in ["2024-13-01", "2024-01-31T25:00:00Z", "31/01/2024", ""] {
            assert!(!is_date(d), "{d}");
        }
    }

    #[test]
    fn principal_policy_counts_the_users_groups_and_names_each_source() {
        let iam = Iam::new(Storage::ephemeral());
        ok(
            &iam,
            "CreateUser",
            json!({"UserName": "alice", "Path": "/eng/"}),
        );
        ok(
            &iam,
            "PutUserPolicy",
            json!({
                "UserName": "alice",
                "PolicyName": "read",
                "PolicyDocument": allow("s3:GetObject", "*")
            }),
        );
        let managed = ok(
            &iam,
            "CreatePolicy",
            json!({"PolicyName": "no-delete", "PolicyDocument": deny("s3:DeleteObject")}),
        );
        let managed_arn = managed["Policy"]["Arn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        ok(
            &iam,
            "AttachUserPolicy",
            json!({"UserName": "alice", "PolicyArn": managed_arn}),
        );
        ok(&iam, "CreateGroup", json!({"GroupName": "writers"}));
        ok(
            &iam,
            "PutGroupPolicy",
            json!({
                "GroupName": "writers",
                "PolicyName": "put",
                "PolicyDocument": allow("s3:PutObject", "*")
            }),
        );
        ok(
            &iam,
            "AttachGroupPolicy",
            json!({"GroupName": "writers", "PolicyArn": managed_arn}),
        );
        ok(
            &iam,
            "AddUserToGroup",
            json!({"GroupName": "writers", "UserName": "alice"}),
        );

        let out = ok(
            &iam,
            "SimulatePrincipalPolicy",
            json!({
                "PolicySourceArn": "arn:aws:iam::111111111111:user/eng/alice",
                "ActionNames": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "ec2:RunInstances"
                ],
            }),
        );
        assert_eq!(
            decisions(&out),
            [
                ("s3:GetObject".into(), "allowed".into()),
                ("s3:PutObject".into(), "allowed".into()),
                ("s3:DeleteObject".into(), "explicitDeny".into()),
                ("ec2:RunInstances".into(), "implicitDeny".into()),
            ]
        );
        let results = &out["EvaluationResults"];
        assert_eq!(sources(&results[0]), ["user_alice_read|IAM Policy"]);
        assert_eq!(sources(&results[1]), ["group_writers_put|IAM Policy"]);
        // Attached to the user and to its group: one source.
        assert_eq!(sources(&results[2]), ["no-delete|IAM Policy"]);
        assert_eq!(results[3]["MatchedStatements"], json!([]));
        assert_eq!(results[0]["EvalResourceName"], "*");
        assert_eq!(results[0]["StartPosition"], Value::Null);
        assert_eq!(
            results[0]["MatchedStatements"][0]["StartPosition"],
            json!({"Line": 1, "Column": 15})
        );
        assert!(results[0].get("ResourceSpecificResults").is_none());
        assert!(results[0].get("EvalDecisionDetails").is_none());
        assert_eq!(out["IsTruncated"], false);

        // The group alone: its own policies only.
        let out = ok(
            &iam,
            "SimulatePrincipalPolicy",
            json!({
                "PolicySourceArn": "arn:aws:iam::111111111111:group/writers",
                "ActionNames": ["s3:GetObject", "s3:PutObject"],
            }),
        );
        assert_eq!(
            decisions(&out),
            [
                ("s3:GetObject".into(), "implicitDeny".into()),
                ("s3:PutObject".into(), "allowed".into())
            ]
        );

        let missing = err(
            &iam,
            "SimulatePrincipalPolicy",
            json!({
                "PolicySourceArn": "arn:aws:iam::111111111111:user/nobody",
                "ActionNames": ["s3:GetObject"],
            }),
        );
        assert_eq!(
            missing,
            (
                "NoSuchEntity".into(),
                "Unable to retrieve specified IAM entity.".into()
            )
        );
        let bad = err(
            &iam,
            "SimulatePrincipalPolicy",
            json!({
                "PolicySourceArn": "arn:aws:iam::111111111111:root",
                "ActionNames": ["s3:GetObject"],
            }),
        );
        assert_eq!(bad.0, "InvalidInput");
        let other = err(
            &iam,
            "SimulatePrincipalPolicy",
            json!({
                "PolicySourceArn": "arn:aws:iam::222222222222:user/alice",
                "ActionNames": ["s3:GetObject"],
            }),
        );
        assert_eq!(
            other.1,
            "Invalid Policy Source Arn: caller's account 111111111111 does not have access to \
             policies in account 222222222222."
        );
    }

    #[test]
    fn boundaries_report_their_own_decision() {
        let iam = Iam::new(Storage::ephemeral());
        ok(
            &iam,
            "CreateRole",
            json!({
                "RoleName": "app",
                "AssumeRolePolicyDocument": policy(json!({
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole"
                }))
            }),
        );
        ok(
            &iam,
            "PutRolePolicy",
            json!({"RoleName": "app", "PolicyName": "all", "PolicyDocument": allow("s3:*", "*")}),
        );
        let boundary = ok(
            &iam,
            "CreatePolicy",
            json!({"PolicyName": "reads", "PolicyDocument": allow("s3:Get*", "*")}),
        );
        let boundary_arn = boundary["Policy"]["Arn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        ok(
            &iam,
            "PutRolePermissionsBoundary",
            json!({"RoleName": "app", "PermissionsBoundary": boundary_arn}),
        );
        let out = ok(
            &iam,
            "SimulatePrincipalPolicy",
            json!({
                "PolicySourceArn": "arn:aws:iam::111111111111:role/app",
                "ActionNames": ["s3:GetObject", "s3:PutObject"],
            }),
        );
        let r = &out["EvaluationResults"];
        assert_eq!(r[0]["EvalDecision"], "allowed");
        assert_eq!(sources(&r[0]), ["role_app_all|IAM Policy"]);
        assert_eq!(
            r[0]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"],
            true
        );
        assert_eq!(r[1]["EvalDecision"], "implicitDeny");
        assert_eq!(
            r[1]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"],
            false
        );

        // A supplied boundary replaces the role's.
        let out = ok(
            &iam,
            "SimulatePrincipalPolicy",
            json!({
                "PolicySourceArn": "arn:aws:iam::111111111111:role/app",
                "ActionNames": ["s3:GetObject", "s3:PutObject"],
                "PermissionsBoundaryPolicyInputList": [deny("s3:GetObject")],
            }),
        );
        let r = &out["EvaluationResults"];
        assert_eq!(r[0]["EvalDecision"], "explicitDeny");
        assert_eq!(
            sources(&r[0]),
            ["PermissionsBoundaryPolicyInputList.1|Permissions Boundary Policy"]
        );
        assert_eq!(r[1]["EvalDecision"], "implicitDeny");
    }

    #[test]
    fn custom_policies_with_resources_context_and_a_resource_policy() {
        let iam = Iam::new(Storage::ephemeral());
        let conditional = policy(json!({
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
        }));
        let params = |entries: Value| {
            json!({
                "PolicyInputList": [conditional.clone(), deny("s3:DeleteObject")],
                "ActionNames": ["s3:GetObject", "s3:DeleteObject"],
                "ResourceArns": ["arn:aws:s3:::b/k1", "arn:aws:s3:::other/k"],
                "ContextEntries": entries,
            })
        };
        let out = ok(&iam, "SimulateCustomPolicy", params(json!([])));
        let r = &out["EvaluationResults"][0];
        assert_eq!(r["EvalDecision"], "implicitDeny");
        assert_eq!(r["MissingContextValues"], json!(["aws:SourceIp"]));
        assert!(r.get("EvalResourceName").is_none());
        assert_eq!(r["EvalDecisionDetails"], json!({}));
        let out = ok(
            &iam,
            "SimulateCustomPolicy",
            params(json!([{
                "ContextKeyName": "aws:SourceIp",
                "ContextKeyValues": ["10.1.2.3"],
                "ContextKeyType": "ip"
            }])),
        );
        let r = &out["EvaluationResults"][0];
        // Allowed on the first resource, not the second: the action is as strict as its worst.
        assert_eq!(r["EvalDecision"], "implicitDeny");
        assert_eq!(
            r["ResourceSpecificResults"][0]["EvalResourceDecision"],
            "allowed"
        );
        assert_eq!(
            r["ResourceSpecificResults"][0]["MissingContextValues"],
            json!([])
        );
        assert_eq!(
            r["ResourceSpecificResults"][1]["EvalResourceDecision"],
            "implicitDeny"
        );
        assert_eq!(sources(r), ["PolicyInputList.1|IAM Policy"]);
        let d = &out["EvaluationResults"][1];
        assert_eq!(d["EvalDecision"], "explicitDeny");
        assert_eq!(sources(d), ["PolicyInputList.2|IAM Policy"]);

        // A resource policy: it alone allows a same-account caller it names.
        let bucket_policy = policy(json!({
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:user/bob"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::b/*"
        }));
        let with_resource = |extra: Value| {
            let mut p = json!({
                "PolicyInputList": [allow("s3:GetObject", "*")],
                "ActionNames": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                "ResourceArns": ["arn:aws:s3:::b/k"],
                "ResourcePolicy": bucket_policy.clone(),
                "CallerArn": "arn:aws:iam::111111111111:user/bob",
            });
            for (k, v) in extra.as_object().into_iter().flatten() {
                p[k] = v.clone();
            }
            p
        };
        let out = ok(&iam, "SimulateCustomPolicy", with_resource(json!({})));
        assert_eq!(
            decisions(&out)
                .into_iter()
                .map(|(_, d)| d)
                .collect::<Vec<_>>(),
            ["allowed", "allowed", "implicitDeny"]
        );
        assert_eq!(
            sources(&out["EvaluationResults"][1]),
            ["ResourcePolicy|Resource Policy"]
        );
        assert_eq!(
            out["EvaluationResults"][0]["EvalResourceName"],
            "arn:aws:s3:::b/k"
        );
        // Owned by another account: both sides must allow, and each says its part.
        let out = ok(
            &iam,
            "SimulateCustomPolicy",
            with_resource(json!({"ResourceOwner": "arn:aws:iam::222222222222:root"})),
        );
        let r = &out["EvaluationResults"];
        assert_eq!(r[0]["EvalDecision"], "implicitDeny");
        assert_eq!(
            r[0]["EvalDecisionDetails"],
            json!({"IAM Policy": "allowed", "Resource Policy": "implicitDeny"})
        );
        assert_eq!(r[1]["EvalDecision"], "implicitDeny");
        assert_eq!(
            r[1]["EvalDecisionDetails"],
            json!({"IAM Policy": "implicitDeny", "Resource Policy": "allowed"})
        );

        for (extra, message) in [
            (
                json!({"CallerArn": Value::Null}),
                "Invalid caller - Caller cannot be null or empty.",
            ),
            (
                json!({"CallerArn": "arn:aws:iam::111111111111:role/r"}),
                "Invalid caller - Caller must be an IAM user in this context.",
            ),
            (
                json!({"ResourceArns": ["*"]}),
                "Invalid Entity Arn: * does not clearly define entity type and name.",
            ),
            (
                json!({"ResourceArns": ["bucket"]}),
                "ResourceNames are not in a valid ARN format: bucket.",
            ),
            (
                json!({"PolicyInputList": ["{"]}),
                "Policy input list item 1 has invalid content",
            ),
            (
                json!({"ActionNames": ["GetObject"]}),
                "The action is invalid since it is missing names",
            ),
            (json!({"Marker": "nope"}), "Invalid marker for pagination."),
        ] {
            assert_eq!(
                err(&iam, "SimulateCustomPolicy", with_resource(extra.clone())),
                ("InvalidInput".into(), message.into()),
                "{extra}"
            );
        }
    }

    #[test]
    fn results_page_by_action() {
        let iam = Iam::new(Storage::ephemeral());
        let actions: Vec<String> = (0..5).map(|i| format!("s3:Action{i}")).collect();
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut params = json!({
                "PolicyInputList": [allow("s3:*", "*")],
                "ActionNames": actions,
                "MaxItems": 2
            });
            if let Some(m) = &marker {
                params["Marker"] = json!(m);
            }
            let out = ok(&iam, "SimulateCustomPolicy", params);
            seen.extend(decisions(&out).into_iter().map(|(a, _)| a));
            if out["IsTruncated"] == true {
                marker = out["Marker"].as_str().map(str::to_string);
            } else {
                assert!(out.get("Marker").is_none());
                break;
            }
        }
        assert_eq!(seen, actions);
    }

    #[test]
    fn caller_defaults_feed_conditions_and_versionless_documents_are_read() {
        let iam = Iam::new(Storage::ephemeral());
        // No Version: the simulator reads it as 2012-10-17.
        let by_name = json!({"Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:username": "carol"}}
        }})
        .to_string();
        let out = ok(
            &iam,
            "SimulateCustomPolicy",
            json!({
                "PolicyInputList": [by_name.clone()],
                "ActionNames": ["s3:GetObject"],
                "CallerArn": "arn:aws:iam::111111111111:user/carol"
            }),
        );
        assert_eq!(out["EvaluationResults"][0]["EvalDecision"], "allowed");
        let out = ok(
            &iam,
            "SimulateCustomPolicy",
            json!({"PolicyInputList": [by_name], "ActionNames": ["s3:GetObject"]}),
        );
        assert_eq!(out["EvaluationResults"][0]["EvalDecision"], "implicitDeny");
        assert_eq!(
            out["EvaluationResults"][0]["MissingContextValues"],
            json!(["aws:username"])
        );
    }
}
