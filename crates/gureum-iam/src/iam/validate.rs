//! Input checks the model's lengths and enums do not cover: name and path patterns, policy
//! documents (with AWS's MalformedPolicyDocument reasons and size quotas), tags and policy ARNs.
//! Messages are AWS's.

use gureum_core::AwsError;

use super::errors::{invalid_input, limit_exceeded, malformed};
use crate::model::Tag;

/// The pattern of user, group, role, policy and instance profile names.
pub const NAME_PATTERN: &str = r"[\w+=,.@-]+";
const PATH_PATTERN: &str = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)";
const PATH_PREFIX_PATTERN: &str = r"\u002F[\u0021-\u007F]*";
const POLICY_PATH_PATTERN: &str = r"((/[A-Za-z0-9\.,\+@=_-]+)*)/";
const TAG_KEY_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
const TAG_VALUE_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";

/// AWS's front-end message for a value that misses its pattern.
pub fn pattern_error(value: &str, field: &str, pattern: &str) -> AwsError {
    AwsError::validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
    ))
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// A user, group, role, policy or instance profile name (`field` as AWS names it: `userName`).
pub fn name(value: &str, field: &str) -> Result<(), AwsError> {
    if value.is_empty() || !value.chars().all(name_char) {
        return Err(pattern_error(value, field, NAME_PATTERN));
    }
    Ok(())
}

/// A path: `/` or `/segments/`, printable ASCII between.
pub fn path(value: &str, field: &str) -> Result<(), AwsError> {
    let ok = value == "/"
        || (value.len() >= 3
            && value.starts_with('/')
            && value.ends_with('/')
            && value.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if !ok {
        return Err(pattern_error(value, field, PATH_PATTERN));
    }
    Ok(())
}

/// A path prefix for listings.
pub fn path_prefix(value: &str) -> Result<(), AwsError> {
    let ok = value.starts_with('/') && value.bytes().all(|b| (0x21..=0x7f).contains(&b));
    if !ok {
        return Err(pattern_error(value, "pathPrefix", PATH_PREFIX_PATTERN));
    }
    Ok(())
}

/// A managed policy path (or path prefix in ListPolicies): `/` or `/a/b/` of name characters.
pub fn policy_path(value: &str, field: &str) -> Result<(), AwsError> {
    let ok = value.starts_with('/')
        && value.ends_with('/')
        && !value.contains("//")
        && value.chars().all(|c| c == '/' || name_char(c));
    if !ok {
        return Err(pattern_error(value, field, POLICY_PATH_PATTERN));
    }
    Ok(())
}

fn tag_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// Tags on a create or Tag* request: AWS's patterns, and no key twice (keys compare without
/// case). Lengths and the count of 50 are the model's and already checked.
pub fn tags(tags: &[Tag]) -> Result<(), AwsError> {
    for (i, t) in tags.iter().enumerate() {
        if t.key.is_empty() || !t.key.chars().all(tag_char) {
            return Err(pattern_error(
                &t.key,
                &format!("tags.{}.member.key", i + 1),
                TAG_KEY_PATTERN,
            ));
        }
        if !t.value.chars().all(tag_char) {
            return Err(pattern_error(
                &t.value,
                &format!("tags.{}.member.value", i + 1),
                TAG_VALUE_PATTERN,
            ));
        }
        if tags[..i].iter().any(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            return Err(invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    Ok(())
}

/// Tag keys in an Untag* request.
pub fn tag_keys(keys: &[String]) -> Result<(), AwsError> {
    for (i, k) in keys.iter().enumerate() {
        if k.is_empty() || !k.chars().all(tag_char) {
            return Err(pattern_error(
                k,
                &format!("tagKeys.{}.member", i + 1),
                TAG_KEY_PATTERN,
            ));
        }
    }
    Ok(())
}

/// Where a policy document goes, which decides its grammar and size quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A customer managed policy version (also used as a permissions boundary).
    Managed,
    /// An inline policy of a user.
    UserInline,
    /// An inline policy of a group.
    GroupInline,
    /// An inline policy of a role.
    RoleInline,
    /// A role's trust policy (AssumeRolePolicyDocument).
    Trust,
}

/// The size quota of a document of `kind`, counted as AWS counts it: characters other than
/// whitespace.
pub fn size(doc: &str, kind: PolicyKind, entity: &str) -> Result<(), AwsError> {
    let n = doc.chars().filter(|c| !c.is_whitespace()).count();
    let (limit, err) = match kind {
        PolicyKind::Managed => (6144, "Cannot exceed quota for PolicySize: 6144".to_string()),
        PolicyKind::UserInline => (
            2048,
            format!("Maximum policy size of 2048 bytes exceeded for user {entity}"),
        ),
        PolicyKind::GroupInline => (
            5120,
            format!("Maximum policy size of 5120 bytes exceeded for group {entity}"),
        ),
        PolicyKind::RoleInline => (
            10240,
            format!("Maximum policy size of 10240 bytes exceeded for role {entity}"),
        ),
        PolicyKind::Trust => (
            2048,
            "Cannot exceed quota for ACLSizePerRole: 2048".to_string(),
        ),
    };
    if n > limit {
        return Err(limit_exceeded(err));
    }
    Ok(())
}

/// Checks a policy document as IAM does before storing it, answering `MalformedPolicyDocument`
/// with AWS's reason. The grammar is the evaluator's (`gureum-iam-policy`), so whatever IAM
/// stores the evaluator can compile.
pub fn policy(doc: &str, kind: PolicyKind) -> Result<(), AwsError> {
    let language_kind = match kind {
        PolicyKind::Trust => gureum_iam_policy::PolicyKind::Trust,
        _ => gureum_iam_policy::PolicyKind::Identity,
    };
    gureum_iam_policy::Policy::parse(doc, language_kind)
        .map(|_| ())
        .map_err(|e| malformed(e.to_string()))
}

/// A parsed managed policy ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyArn {
    /// The owning account, or `aws` for AWS managed policies.
    pub account: String,
    pub path: String,
    pub name: String,
}

/// Parses `arn:aws:iam::ACCOUNT:policy/PATH/NAME`; anything else is AWS's
/// `InvalidInput: ARN ... is not valid.`
pub fn policy_arn(arn: &str) -> Result<PolicyArn, AwsError> {
    let bad = || invalid_input(format!("ARN {arn} is not valid."));
    let parsed = gureum_core::Arn::parse(arn).ok_or_else(bad)?;
    if parsed.service != "iam" || !parsed.region.is_empty() {
        return Err(bad());
    }
    let rest = parsed.resource.strip_prefix("policy").ok_or_else(bad)?;
    if !rest.starts_with('/') {
        return Err(bad());
    }
    let split = rest.rfind('/').ok_or_else(bad)?;
    let (path, name) = (&rest[..=split], &rest[split + 1..]);
    if name.is_empty() {
        return Err(bad());
    }
    Ok(PolicyArn {
        account: parsed.account_id,
        path: path.to_string(),
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(doc: &str, kind: PolicyKind) -> Result<(), String> {
        policy(doc, kind).map_err(|e| format!("{}: {}", e.code, e.message))
    }

    #[test]
    fn names_follow_aws_pattern() {
        for ok in ["alice", "a.b-c_d+e=f,g@h", "A1", "x"] {
            assert!(name(ok, "userName").is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a/b", "ä", "a*", "a:b"] {
            let e = name(bad, "userName").unwrap_err();
            assert_eq!(e.code, "ValidationError");
            assert!(e.message.contains(r"[\w+=,.@-]+"), "{}", e.message);
        }
    }

    #[test]
    fn paths_follow_aws_patterns() {
        for ok in ["/", "/a/", "/a/b/", "/x~!/"] {
            assert!(path(ok, "path").is_ok(), "{ok}");
        }
        for bad in ["", "a", "/a", "a/", "//", "/a b/"] {
            assert!(path(bad, "path").is_err(), "{bad:?}");
        }
        assert!(policy_path("/team/", "path").is_ok());
        assert!(policy_path("/a//b/", "path").is_err());
        assert!(policy_path("/a b/", "path").is_err());
        assert!(path_prefix("/").is_ok());
        assert!(path_prefix("x").is_err());
    }

    #[test]
    fn tags_check_patterns_and_duplicates() {
        let t = |k: &str, v: &str| Tag {
            key: k.into(),
            value: v.into(),
        };
        assert!(tags(&[t("env", "prod"), t("team:a/b", "x y")]).is_ok());
        assert_eq!(
            tags(&[t("env", "a"), t("ENV", "b")]).unwrap_err().code,
            "InvalidInput"
        );
        assert_eq!(
            tags(&[t("bad*key", "a")]).unwrap_err().code,
            "ValidationError"
        );
        assert_eq!(tags(&[t("k", "bad#")]).unwrap_err().code, "ValidationError");
    }

    #[test]
    fn policy_documents_answer_malformed_with_the_reason() {
        use PolicyKind::*;
        let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
        let trust_ok = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
        let cases: &[(&str, PolicyKind, Option<&str>)] = &[
            (ok, Managed, None),
            (ok, UserInline, None),
            (ok, RoleInline, None),
            (trust_ok, Trust, None),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
                Managed,
                Some(
                    "MalformedPolicyDocument: Policy document must be version 2012-10-17 or greater.",
                ),
            ),
            (
                "{not json",
                Managed,
                Some("MalformedPolicyDocument: Syntax errors in policy."),
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
                GroupInline,
                Some("MalformedPolicyDocument: Policy statement must contain resources."),
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
                Managed,
                Some("MalformedPolicyDocument: Policy document should not specify a principal."),
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}]}"#,
                Trust,
                Some("MalformedPolicyDocument: Has prohibited field Resource."),
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"}]}"#,
                Trust,
                Some(
                    "MalformedPolicyDocument: Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity",
                ),
            ),
        ];
        for (doc, kind, want) in cases {
            assert_eq!(check(doc, *kind).err().as_deref(), *want, "{doc}");
        }
    }

    #[test]
    fn sizes_count_non_whitespace() {
        let padded = format!("{{{}}}", " ".repeat(10_000));
        assert!(size(&padded, PolicyKind::UserInline, "u").is_ok());
        let big = "x".repeat(2049);
        let e = size(&big, PolicyKind::UserInline, "u").unwrap_err();
        assert_eq!(
            (e.code.as_ref(), e.message.as_str()),
            (
                "LimitExceeded",
                "Maximum policy size of 2048 bytes exceeded for user u"
            )
        );
        assert!(size(&big, PolicyKind::GroupInline, "g").is_ok());
        assert!(size(&"x".repeat(6145), PolicyKind::Managed, "").is_err());
        assert!(size(&"x".repeat(10240), PolicyKind::RoleInline, "r").is_ok());
    }

    #[test]
    fn policy_arns() {
        assert_eq!(
            policy_arn("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess").unwrap(),
            PolicyArn {
                account: "aws".into(),
                path: "/job-function/".into(),
                name: "ViewOnlyAccess".into()
            }
        );
        assert_eq!(
            policy_arn("arn:aws:iam::111111111111:policy/p")
                .unwrap()
                .path,
            "/"
        );
        for bad in [
            "p",
            "arn:aws:s3:::b",
            "arn:aws:iam::1:role/r",
            "arn:aws:iam::1:policy/",
        ] {
            assert_eq!(policy_arn(bad).unwrap_err().code, "InvalidInput", "{bad}");
        }
    }
}
