//! Policy documents: parsing, IAM's validation (with its `MalformedPolicyDocument` reasons, in
//! the order IAM reports them), and compilation into [`Policy`], the form the evaluator reads.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::condition::{Condition, Operator, scalar_text};
use crate::date;
use crate::error::PolicyError;
use crate::pattern::Pattern;
use crate::position::{Position, statement_spans};
use crate::principal::{Grant, Principals, valid_syntax};
use crate::request::{ConditionContext, PrincipalInfo};

/// Where a document is used, which decides what it may and must contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to a user, group or role (managed, inline), a permissions boundary or a session
    /// policy: version 2012-10-17, resources required, no principal.
    Identity,
    /// Attached to a resource (bucket policy, key policy): principals required.
    Resource,
    /// A role's `AssumeRolePolicyDocument`: principals required, no resources, STS actions only.
    Trust,
}

/// The policy language version. Policy variables exist only in 2012-10-17.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2008_10_17,
    V2012_10_17,
    /// No `Version` element (read as 2008-10-17).
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One pattern of `Action`/`NotAction`: the vendor is compared on its own (it cannot hold
/// wildcards), so most statements are ruled out by a few bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ActionPattern {
    /// `*`
    Any,
    /// `s3:Get*`: vendor `s3`, name `Get*`.
    Vendor { vendor: Box<str>, name: Pattern },
    /// `*:Get*` and other shapes.
    Whole(Pattern),
}

impl ActionPattern {
    fn compile(text: &str) -> ActionPattern {
        if text == "*" {
            return ActionPattern::Any;
        }
        match text.split_once(':') {
            Some((vendor, name)) if !vendor.contains(['*', '?']) => ActionPattern::Vendor {
                vendor: vendor.to_ascii_lowercase().into(),
                name: Pattern::compile(name, true, false),
            },
            _ => ActionPattern::Whole(Pattern::compile(text, true, false)),
        }
    }

    fn matches(&self, action: &Action<'_>, context: &ConditionContext) -> bool {
        match self {
            ActionPattern::Any => true,
            ActionPattern::Vendor { vendor, name } => {
                action.vendor.eq_ignore_ascii_case(vendor)
                    && name.matches(action.name, true, context)
            }
            ActionPattern::Whole(pattern) => pattern.matches(action.full, true, context),
        }
    }
}

/// A request's action split once into vendor and name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Action<'a> {
    full: &'a str,
    vendor: &'a str,
    name: &'a str,
}

impl<'a> Action<'a> {
    pub(crate) fn new(full: &'a str) -> Action<'a> {
        let (vendor, name) = full.split_once(':').unwrap_or(("", full));
        Action { full, vendor, name }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ActionMatch {
    Action(Box<[ActionPattern]>),
    NotAction(Box<[ActionPattern]>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ResourceMatch {
    /// No `Resource` element (trust policies): any resource.
    Any,
    Resource(Box<[Pattern]>),
    NotResource(Box<[Pattern]>),
}

/// A compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sid: Option<Box<str>>,
    effect: Effect,
    actions: ActionMatch,
    resources: ResourceMatch,
    principals: Option<Principals>,
    conditions: Box<[Condition]>,
    position: Option<(Position, Position)>,
}

impl Statement {
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// The statement's first and last character in the document (the braces).
    pub fn position(&self) -> Option<(Position, Position)> {
        self.position
    }

    pub(crate) fn matches_action(&self, action: &Action<'_>, context: &ConditionContext) -> bool {
        match &self.actions {
            ActionMatch::Action(patterns) => patterns.iter().any(|p| p.matches(action, context)),
            ActionMatch::NotAction(patterns) => {
                !patterns.iter().any(|p| p.matches(action, context))
            }
        }
    }

    pub(crate) fn matches_resource(&self, resource: &str, context: &ConditionContext) -> bool {
        match &self.resources {
            ResourceMatch::Any => true,
            ResourceMatch::Resource(patterns) => {
                patterns.iter().any(|p| p.matches(resource, false, context))
            }
            ResourceMatch::NotResource(patterns) => {
                !patterns.iter().any(|p| p.matches(resource, false, context))
            }
        }
    }

    /// How the statement's `Principal`/`NotPrincipal` applies to `caller`; a statement without
    /// one applies to no one (in a resource policy).
    pub(crate) fn grant(&self, caller: &PrincipalInfo) -> Option<Grant> {
        self.principals.as_ref().and_then(|p| p.grant(caller))
    }

    pub(crate) fn conditions_hold(&self, context: &ConditionContext) -> bool {
        self.conditions.iter().all(|c| c.holds(context))
    }

    /// Condition keys the statement reads that `context` lacks.
    pub(crate) fn missing_keys<'s>(
        &'s self,
        context: &'s ConditionContext,
    ) -> impl Iterator<Item = &'s str> + 's {
        self.conditions
            .iter()
            .filter(move |c| context.get_folded(c.key()).is_none())
            .map(Condition::name)
    }
}

/// A validated, compiled policy document. Compile once, share as `Arc<Policy>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    id: String,
    kind: PolicyKind,
    version: Version,
    document_id: Option<String>,
    statements: Box<[Statement]>,
    size: usize,
    has_deny: bool,
    reads_context: bool,
}

impl Policy {
    /// Parses, validates and compiles `document` as a policy of `kind`. The error is IAM's
    /// `MalformedPolicyDocument` reason.
    pub fn parse(document: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let value: Value = serde_json::from_str(document).map_err(|_| PolicyError::Syntax)?;
        let checked = check_syntax(&value)?;
        if kind == PolicyKind::Identity && checked.version != Version::V2012_10_17 {
            return Err(PolicyError::VersionTooOld);
        }
        check_legacy(&checked.statements)?;
        let resource_error = check_resources(&checked.statements)?;
        check_sids(&checked.statements, kind)?;
        check_actions_present(&checked.statements)?;
        if let Some(error) = resource_error {
            return Err(error);
        }
        check_action_vendors(&checked.statements)?;
        check_kind(&checked.statements, kind)?;
        let variables = checked.version == Version::V2012_10_17;
        let spans = statement_spans(document);
        let mut statements = Vec::with_capacity(checked.statements.len());
        for (i, st) in checked.statements.iter().enumerate() {
            let mut statement = compile_statement(st, variables)?;
            statement.position = spans.get(i).copied();
            statements.push(statement);
        }
        Ok(Policy {
            id: String::new(),
            kind,
            version: checked.version,
            document_id: checked.document_id,
            has_deny: statements.iter().any(|s| s.effect == Effect::Deny),
            reads_context: statements.iter().any(|s| !s.conditions.is_empty())
                || (variables && document.contains("${")),
            statements: statements.into_boxed_slice(),
            size: document_size(document),
        })
    }

    /// Names the policy (its ARN, or `user/alice/inline-name`): what a decision reports as the
    /// source of the statement that decided.
    pub fn with_id(mut self, id: impl Into<String>) -> Policy {
        self.id = id.into();
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether a decision can depend on the request context (conditions or policy variables).
    /// When no policy of a set reads it, callers may skip building it.
    pub fn reads_context(&self) -> bool {
        self.reads_context
    }

    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// The document's `Id` element.
    pub fn document_id(&self) -> Option<&str> {
        self.document_id.as_deref()
    }

    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The document's size as IAM counts it against its quotas: characters, whitespace excluded.
    pub fn size(&self) -> usize {
        self.size
    }

    pub(crate) fn has_deny(&self) -> bool {
        self.has_deny
    }

    /// Account ids, ARNs and unique ids named under `"AWS"` in `Principal`/`NotPrincipal`, for
    /// callers that check the principals exist.
    pub fn aws_principals(&self) -> impl Iterator<Item = &str> {
        self.statements
            .iter()
            .filter_map(|s| s.principals.as_ref())
            .flat_map(|p| p.aws_names())
    }
}

/// A document's size as IAM counts it: characters, whitespace excluded.
pub fn document_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

struct Checked<'v> {
    version: Version,
    document_id: Option<String>,
    statements: Vec<&'v Map<String, Value>>,
}

const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

/// The grammar: every failure here is "Syntax errors in policy.".
fn check_syntax(value: &Value) -> Result<Checked<'_>, PolicyError> {
    let syntax = PolicyError::Syntax;
    let top = value.as_object().ok_or(PolicyError::Syntax)?;
    if top
        .keys()
        .any(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement" | "Conditions"))
    {
        return Err(syntax);
    }
    let version = match top.get("Version") {
        None => Version::Missing,
        Some(Value::String(v)) if v == "2012-10-17" => Version::V2012_10_17,
        Some(Value::String(v)) if v == "2008-10-17" => Version::V2008_10_17,
        Some(_) => return Err(syntax),
    };
    let document_id = match top.get("Id") {
        None => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return Err(syntax),
    };
    let statements: Vec<&Map<String, Value>> = match top.get("Statement") {
        Some(Value::Object(st)) => vec![st],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(Value::as_object)
            .collect::<Option<_>>()
            .ok_or(PolicyError::Syntax)?,
        _ => return Err(syntax),
    };
    for st in &statements {
        check_statement_syntax(st)?;
    }
    Ok(Checked {
        version,
        document_id,
        statements,
    })
}

fn check_statement_syntax(st: &Map<String, Value>) -> Result<(), PolicyError> {
    let ok = st.keys().all(|k| STATEMENT_KEYS.contains(&k.as_str()))
        && !(st.contains_key("Resource") && st.contains_key("NotResource"))
        && !(st.contains_key("Action") && st.contains_key("NotAction"))
        && !(st.contains_key("Principal") && st.contains_key("NotPrincipal"))
        && matches!(st.get("Effect"), Some(Value::String(e))
            if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny"))
        && ["Action", "NotAction", "Resource", "NotResource"]
            .iter()
            .all(|k| match st.get(*k) {
                None | Some(Value::String(_)) => true,
                Some(Value::Array(items)) => items.iter().all(|i| i.is_string() || i.is_null()),
                Some(_) => false,
            })
        && ["Principal", "NotPrincipal"]
            .iter()
            .all(|k| st.get(*k).is_none_or(valid_syntax))
        && st.get("Sid").is_none_or(Value::is_string)
        && st.get("Condition").is_none_or(condition_syntax);
    if ok { Ok(()) } else { Err(PolicyError::Syntax) }
}

fn condition_syntax(condition: &Value) -> bool {
    let Some(operators) = condition.as_object() else {
        return false;
    };
    operators.iter().all(|(name, block)| {
        let Some(block) = block.as_object() else {
            return false;
        };
        let values_ok = block.values().all(|v| match v {
            Value::Array(items) => items.iter().all(|i| scalar_text(i).is_some()),
            other => scalar_text(other).is_some(),
        });
        values_ok && (block.is_empty() || Operator::parse(name).is_some())
    })
}

fn strings_of(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// IAM's legacy parser: `Effect` spelled exactly, dates it can read.
fn check_legacy(statements: &[&Map<String, Value>]) -> Result<(), PolicyError> {
    for st in statements {
        if !matches!(st.get("Effect"), Some(Value::String(e)) if e == "Allow" || e == "Deny") {
            return Err(PolicyError::LegacyParsing);
        }
        let Some(Value::Object(operators)) = st.get("Condition") else {
            continue;
        };
        for (name, block) in operators {
            if !Operator::parse(name).is_some_and(|op| op.is_date()) {
                continue;
            }
            for value in block.as_object().into_iter().flat_map(|b| b.values()) {
                let texts: Vec<&Value> = match value {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for text in texts {
                    let readable = match text {
                        Value::String(s) => date::parse(s).is_some(),
                        Value::Number(n) => date::parse(&n.to_string()).is_some(),
                        _ => false,
                    };
                    if !readable {
                        return Err(PolicyError::LegacyParsing);
                    }
                }
            }
        }
    }
    Ok(())
}

const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

const IAM_RESOURCE_PREFIXES: [&str; 13] = [
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

fn partition_at(s: &str) -> (&str, Option<&str>) {
    match s.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    }
}

/// The ARN-format reason IAM gives for `resource`, if any.
fn resource_format_error(resource: &str) -> Option<PolicyError> {
    if resource == "*" {
        return None;
    }
    let Some((_, rest)) = resource.split_once(':') else {
        return Some(PolicyError::ResourceNotArn(resource.to_string()));
    };
    let (partition, after_partition) = partition_at(rest);
    if partition != "*" && !PARTITIONS.contains(&partition) {
        let remaining: Vec<&str> = after_partition.unwrap_or("").split(':').collect();
        let part = |i: usize| remaining.get(i).copied().unwrap_or("*");
        let first = if !remaining[0].is_empty() || remaining.len() > 1 {
            remaining[0]
        } else {
            "*"
        };
        let last = if remaining.len() > 3 {
            remaining[3..].join(":")
        } else {
            "*".to_string()
        };
        return Some(PolicyError::InvalidPartition {
            partition: partition.to_string(),
            resource: format!("arn:{partition}:{first}:{}:{}:{last}", part(1), part(2)),
        });
    }
    let Some(after_partition) = after_partition else {
        return Some(PolicyError::ResourceVendorNotQualified);
    };
    let (service, after_service) = partition_at(after_partition);
    let after_service = after_service.unwrap_or("");
    let (_region, after_region) = partition_at(after_service);
    let (_account, resource_id) = partition_at(after_region.unwrap_or(""));
    let resource_id = resource_id.unwrap_or("");
    let has_region = !after_service.starts_with(':');
    match service {
        "iam" if has_region => {
            return Some(PolicyError::IamResourceWithRegion(resource.to_string()));
        }
        "s3" if has_region && !resource_id.starts_with("accesspoint/") => {
            return Some(PolicyError::S3ResourceWithRegion(resource.to_string()));
        }
        _ => {}
    }
    if service == "iam"
        && resource_id != "*"
        && !IAM_RESOURCE_PREFIXES
            .iter()
            .any(|p| resource_id.starts_with(p))
    {
        return Some(PolicyError::IamResourcePath);
    }
    None
}

/// IAM's legacy check of an ARN's shape: six parts when `::` appears, a service.
fn legacy_resource_ok(resource: &str) -> bool {
    resource == "*"
        || ((resource.matches(':').count() >= 5 || !resource.contains("::"))
            && resource.split(':').nth(2).is_some_and(|s| !s.is_empty()))
}

/// Checks `Resource` then `NotResource` of every statement. A format reason is held back (IAM
/// reports it after the statement-id and action checks; the last one found wins, as in IAM); a
/// legacy-parsing failure is reported at once, but only while no format reason is pending.
fn check_resources(statements: &[&Map<String, Value>]) -> Result<Option<PolicyError>, PolicyError> {
    let mut pending = None;
    for key in ["Resource", "NotResource"] {
        for st in statements {
            let Some(value) = st.get(key) else { continue };
            let mut resources = strings_of(Some(value));
            if value.is_array() {
                // IAM skips empty entries of a list and reads the rest in descending order.
                resources.retain(|r| !r.is_empty());
                resources.sort_unstable_by(|a, b| b.cmp(a));
            }
            for r in &resources {
                if let Some(error) = resource_format_error(r) {
                    pending = Some(error);
                }
            }
            if pending.is_none() && !resources.iter().all(|r| legacy_resource_ok(r)) {
                return Err(PolicyError::LegacyParsing);
            }
        }
    }
    Ok(pending)
}

fn check_sids(statements: &[&Map<String, Value>], kind: PolicyKind) -> Result<(), PolicyError> {
    let mut seen = HashSet::new();
    for st in statements {
        if let Some(Value::String(sid)) = st.get("Sid") {
            if !sid.is_empty() && !seen.insert(sid.as_str()) {
                return Err(PolicyError::DuplicateSid);
            }
        }
    }
    if kind != PolicyKind::Resource {
        for st in statements {
            if let Some(Value::String(sid)) = st.get("Sid") {
                if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(PolicyError::SidNotAlphanumeric);
                }
            }
        }
    }
    Ok(())
}

fn check_actions_present(statements: &[&Map<String, Value>]) -> Result<(), PolicyError> {
    for st in statements {
        let present = match st.get("Action").or_else(|| st.get("NotAction")) {
            Some(Value::Array(items)) => !items.is_empty(),
            Some(_) => true,
            None => false,
        };
        if !present {
            return Err(PolicyError::MissingActions);
        }
    }
    Ok(())
}

fn check_action_vendors(statements: &[&Map<String, Value>]) -> Result<(), PolicyError> {
    for key in ["Action", "NotAction"] {
        for st in statements {
            for action in strings_of(st.get(key)) {
                let parts: Vec<&str> = action.split(':').collect();
                if parts.len() == 1 && parts[0] != "*" {
                    return Err(PolicyError::ActionWithoutVendor);
                }
                if parts.len() > 2 {
                    return Err(PolicyError::ActionWithColons);
                }
                let vendor = parts[0];
                if vendor != "*"
                    && !vendor
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                {
                    return Err(PolicyError::InvalidVendor(vendor.to_string()));
                }
            }
        }
    }
    Ok(())
}

/// The actions a trust policy may name.
const TRUST_ACTIONS: [&str; 11] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:DecodeAuthorizationMessage",
    "sts:GetAccessKeyInfo",
    "sts:GetCallerIdentity",
    "sts:GetFederationToken",
    "sts:GetServiceBearerToken",
    "sts:GetSessionToken",
    "sts:SetSourceIdentity",
    "sts:TagSession",
];

fn check_kind(statements: &[&Map<String, Value>], kind: PolicyKind) -> Result<(), PolicyError> {
    let has_principal =
        |st: &Map<String, Value>| st.contains_key("Principal") || st.contains_key("NotPrincipal");
    match kind {
        PolicyKind::Identity => {
            for st in statements {
                let present = match st.get("Resource").or_else(|| st.get("NotResource")) {
                    Some(Value::Array(items)) => !items.is_empty(),
                    Some(_) => true,
                    None => false,
                };
                if !present {
                    return Err(PolicyError::MissingResources);
                }
            }
            if statements.iter().any(|st| has_principal(st)) {
                return Err(PolicyError::PrincipalNotAllowed);
            }
        }
        PolicyKind::Trust => {
            let context = ConditionContext::new();
            for st in statements {
                let Some(actions) = st.get("Action") else {
                    return Err(PolicyError::TrustPolicyAction);
                };
                for action in strings_of(Some(actions)) {
                    let pattern = ActionPattern::compile(action);
                    if !TRUST_ACTIONS
                        .iter()
                        .any(|t| pattern.matches(&Action::new(t), &context))
                    {
                        return Err(PolicyError::TrustPolicyAction);
                    }
                }
            }
            if statements
                .iter()
                .any(|st| st.contains_key("Resource") || st.contains_key("NotResource"))
            {
                return Err(PolicyError::TrustPolicyResource);
            }
            if !statements.iter().all(|st| has_principal(st)) {
                return Err(PolicyError::TrustPolicyWithoutPrincipal);
            }
        }
        PolicyKind::Resource => {
            if !statements.iter().all(|st| has_principal(st)) {
                return Err(PolicyError::MissingPrincipal);
            }
        }
    }
    Ok(())
}

fn compile_statement(st: &Map<String, Value>, variables: bool) -> Result<Statement, PolicyError> {
    let effect = match st.get("Effect") {
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        _ => Effect::Allow,
    };
    let compile_actions = |v: Option<&Value>| -> Box<[ActionPattern]> {
        strings_of(v)
            .into_iter()
            .map(ActionPattern::compile)
            .collect()
    };
    let actions = match st.get("NotAction") {
        Some(v) => ActionMatch::NotAction(compile_actions(Some(v))),
        None => ActionMatch::Action(compile_actions(st.get("Action"))),
    };
    let compile_resources = |v: &Value| -> Box<[Pattern]> {
        strings_of(Some(v))
            .into_iter()
            .map(|r| Pattern::compile(r, true, variables))
            .collect()
    };
    let resources = match (st.get("Resource"), st.get("NotResource")) {
        (Some(v), _) => ResourceMatch::Resource(compile_resources(v)),
        (None, Some(v)) => ResourceMatch::NotResource(compile_resources(v)),
        (None, None) => ResourceMatch::Any,
    };
    let principals = match (st.get("Principal"), st.get("NotPrincipal")) {
        (Some(p), _) => Some(Principals::compile(p, false)?),
        (None, Some(p)) => Some(Principals::compile(p, true)?),
        (None, None) => None,
    };
    let mut conditions = Vec::new();
    if let Some(Value::Object(operators)) = st.get("Condition") {
        for (name, block) in operators {
            // Unknown operators only get here with an empty block: nothing to test.
            let Some(operator) = Operator::parse(name) else {
                continue;
            };
            for (key, value) in block.as_object().into_iter().flatten() {
                let texts: Vec<String> = match value {
                    Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
                    other => scalar_text(other).into_iter().collect(),
                };
                conditions.push(Condition::compile(operator, key, &texts, variables));
            }
        }
    }
    Ok(Statement {
        sid: match st.get("Sid") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.as_str().into()),
            _ => None,
        },
        effect,
        actions,
        resources,
        principals,
        conditions: conditions.into_boxed_slice(),
        position: None,
    })
}
