//! Policy validation: each `MalformedPolicyDocument` reason IAM gives, and documents it accepts.

use gureum_iam_policy::{Policy, PolicyError, PolicyKind, Version, document_size};
use serde_json::{Value, json};

/// `document` parsed as `kind` fails with `expect` (IAM's message), or succeeds when `expect`
/// is `None`.
fn check(kind: PolicyKind, document: &Value, expect: Option<&str>) {
    let text = match document {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let got = Policy::parse(&text, kind)
        .map(|_| ())
        .map_err(|e| e.to_string());
    match expect {
        Some(message) => assert_eq!(got, Err(message.to_string()), "{text}"),
        None => assert_eq!(got, Ok(()), "{text}"),
    }
}

fn identity(document: Value, expect: &str) {
    check(PolicyKind::Identity, &document, Some(expect));
}

fn identity_ok(document: Value) {
    check(PolicyKind::Identity, &document, None);
}

fn statement(st: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": st})
}

const SYNTAX: &str = "Syntax errors in policy.";
const VERSION: &str = "Policy document must be version 2012-10-17 or greater.";
const LEGACY: &str = "The policy failed legacy parsing";
const VENDOR: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";

#[test]
fn syntax_errors() {
    identity(json!("This is not a json document"), SYNTAX);
    identity(json!({"Version": "2012-10-17"}), SYNTAX);
    identity(json!({"Version": "2012-10-17", "Statement": []}), SYNTAX);
    identity(
        json!({"Version": "2012-10-17", "Statement": ["afd"]}),
        SYNTAX,
    );
    identity(
        json!({"Version": "2013-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}}),
        SYNTAX,
    );
    // Unknown top-level and statement elements.
    identity(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}, "Extra field": "value"}),
        SYNTAX,
    );
    identity(
        statement(
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Extra field": "value"}),
        ),
        SYNTAX,
    );
    identity(
        json!({"Version": "2012-10-17", "Id": ["x"], "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}}),
        SYNTAX,
    );
    // Missing and invalid Effect.
    identity(
        statement(json!({"Action": "s3:ListBucket", "Resource": "*"})),
        SYNTAX,
    );
    identity(
        statement(json!({"Effect": "invalid", "Action": "s3:ListBucket", "Resource": "*"})),
        SYNTAX,
    );
    // Both Action and NotAction, both Resource and NotResource.
    identity(
        statement(
            json!({"Effect": "Allow", "NotAction": "s3:ListBucket", "Action": "iam:dsf", "Resource": "*"}),
        ),
        SYNTAX,
    );
    identity(
        statement(
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "NotResource": "*"}),
        ),
        SYNTAX,
    );
    // Wrong types.
    identity(
        statement(json!({"Effect": "Allow", "Action": {}, "Resource": "*"})),
        SYNTAX,
    );
    identity(
        statement(json!({"Effect": "Deny", "Action": [[]], "Resource": "*"})),
        SYNTAX,
    );
    identity(
        statement(json!({"Effect": "Deny", "Action": "s3:ListBucket", "Resource": ["adfdf", {}]})),
        SYNTAX,
    );
    identity(
        statement(
            json!({"Sid": [], "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}),
        ),
        SYNTAX,
    );
    // Conditions: not objects, unknown operators with values, malformed qualifiers.
    for condition in [
        json!([]),
        json!("a"),
        json!({"a": "b"}),
        json!({"DateGreaterThan": "b"}),
        json!({"DateGreaterThan": []}),
        json!({"DateGreaterThan": {"a": {}}}),
        json!({"x": {"a": "1"}}),
        json!({"ForAnyValue::StringEqualsIfExists": {"a": "asf"}}),
        json!({"NullIfExists": {"a": "true"}}),
    ] {
        identity(
            statement(
                json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": condition}),
            ),
            SYNTAX,
        );
    }
    // Principal shapes.
    check(
        PolicyKind::Resource,
        &statement(
            json!({"Effect": "Allow", "Principal": "arn:aws:iam::123456789012:root", "Action": "s3:GetObject", "Resource": "*"}),
        ),
        Some(SYNTAX),
    );
    check(
        PolicyKind::Resource,
        &statement(
            json!({"Effect": "Allow", "Principal": {"Group": "x"}, "Action": "s3:GetObject", "Resource": "*"}),
        ),
        Some(SYNTAX),
    );
}

#[test]
fn version() {
    let st = json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"});
    identity(json!({"Statement": st}), VERSION);
    identity(json!({"Version": "2008-10-17", "Statement": st}), VERSION);
    // Version wins over legacy parsing and duplicate ids.
    identity(
        json!({"Statement": {"Effect": "denY", "Action": "s3:ListBucket", "Resource": "*"}}),
        VERSION,
    );
    // Resource and trust policies may be 2008-10-17 or have no version.
    let bucket = json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
    check(
        PolicyKind::Resource,
        &json!({"Version": "2008-10-17", "Statement": bucket}),
        None,
    );
    check(PolicyKind::Resource, &json!({"Statement": bucket}), None);
    let trust = json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"});
    check(
        PolicyKind::Trust,
        &json!({"Version": "2008-10-17", "Statement": trust}),
        None,
    );
}

#[test]
fn legacy_parsing() {
    identity(
        statement(json!({"Effect": "denY", "Action": "s3:ListBucket", "Resource": "*"})),
        LEGACY,
    );
    identity(
        statement(json!({"Effect": "allow", "Resource": "arn:aws:s3:us-east-1::example_bucket"})),
        LEGACY,
    );
    identity(
        statement(
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3::example_bucket"}),
        ),
        LEGACY,
    );
    identity(
        statement(
            json!({"Effect": "Allow", "NotAction": "s3:ListBucket", "Resource": "arn:aws::::example_bucket"}),
        ),
        LEGACY,
    );
    identity(
        statement(
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws::fdsasf"}),
        ),
        LEGACY,
    );
    identity(
        statement(
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "NotResource": "arn:aws:s3::example_bucket"}),
        ),
        LEGACY,
    );
    for date in [
        "sdfdsf",
        "234-13",
        "2016-12-13t2:00:00.593194+1",
        "2016-12-13t2:00:00.1999999999+10:59",
        "9223372036854775808",
    ] {
        identity(
            statement(
                json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": {"DateLessThan": {"a": date}}}),
            ),
            LEGACY,
        );
    }
    // Legacy parsing wins over a bad partition in the same statement.
    identity(
        statement(
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:error:s3:::example_bucket", "Condition": {"DateGreaterThan": {"a": "sdfdsf"}}}),
        ),
        LEGACY,
    );
}

#[test]
fn statement_ids() {
    identity(
        statement(json!([
            {"Sid": "sdf", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
            {"Sid": "sdf", "Effect": "Allow"}
        ])),
        "Statement IDs (SID) in a single policy must be unique.",
    );
    identity(
        statement(
            json!({"Sid": "has-dash", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}),
        ),
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
    );
    // Empty Sids may repeat; resource policies may use other characters.
    identity_ok(statement(json!([
        {"Sid": "", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
        {"Sid": "", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    ])));
    check(
        PolicyKind::Resource,
        &statement(
            json!({"Sid": "Allow public read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}),
        ),
        None,
    );
}

#[test]
fn actions() {
    let missing = "Policy statement must contain actions.";
    identity(
        statement(json!({"Effect": "Allow", "Resource": "arn:aws:s3:::example_bucket"})),
        missing,
    );
    identity(statement(json!({"Effect": "Allow"})), missing);
    identity(
        statement(json!({"Effect": "Allow", "Action": [], "Resource": "*"})),
        missing,
    );
    identity(
        statement(
            json!([{"Effect": "Deny"}, {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]),
        ),
        missing,
    );
    identity(
        statement(json!({"Effect": "Allow", "Action": "invalid", "Resource": "*"})),
        VENDOR,
    );
    identity(
        statement(json!({"Effect": "Allow", "NotAction": "", "Resource": "*"})),
        VENDOR,
    );
    // A vendor error comes before a missing resource.
    identity(
        statement(json!({"Effect": "Allow", "Action": "invalid"})),
        VENDOR,
    );
    identity(
        statement(json!({"Effect": "Allow", "Action": "a a:ListBucket", "Resource": "*"})),
        "Vendor a a is not valid",
    );
    identity(
        statement(json!({"Effect": "Allow", "Action": "s3:List:Bucket", "Resource": "*"})),
        "Actions/Condition can contain only one colon.",
    );
    identity(
        statement(json!([
            {"Effect": "Allow", "Action": "s3s:ListBucket", "Resource": "*"},
            {"Effect": "Allow", "Action": "s:3s:ListBucket", "Resource": "*"}
        ])),
        "Actions/Condition can contain only one colon.",
    );
    for ok in [
        "iam: asdf safdsf af ",
        "*",
        "s3-s:ListBucket",
        "s3.s:ListBucket",
        "service-prefix:action-name",
    ] {
        identity_ok(statement(
            json!({"Effect": "Allow", "Action": ok, "Resource": "*"}),
        ));
    }
}

#[test]
fn resources() {
    let cases = [
        (
            json!("invalid resource"),
            "Resource invalid resource must be in ARN format or \"*\".",
        ),
        (json!(""), "Resource  must be in ARN format or \"*\"."),
        (
            json!(["adf"]),
            "Resource adf must be in ARN format or \"*\".",
        ),
        (
            json!("a:bsdfdsafsad"),
            "Partition \"bsdfdsafsad\" is not valid for resource \"arn:bsdfdsafsad:*:*:*:*\".",
        ),
        (
            json!("a:b:cadfsdf"),
            "Partition \"b\" is not valid for resource \"arn:b:cadfsdf:*:*:*\".",
        ),
        (
            json!("a:b:c:d:e:f:g:h"),
            "Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\".",
        ),
        (
            json!("aws:s3:::example_bucket"),
            "Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\".",
        ),
        (
            json!([
                "arn:error:s3:::example_bucket",
                "arn:error:s3::example_bucket"
            ]),
            "Partition \"error\" is not valid for resource \"arn:error:s3:::example_bucket\".",
        ),
        (
            json!("arn:aws"),
            "Resource vendor must be fully qualified and cannot contain regexes.",
        ),
        (
            json!("arn:aws:iam:us-east-1::example_bucket"),
            "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.",
        ),
        (
            json!("arn:aws:s3:us-east-1::example_bucket"),
            "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
        ),
        (
            json!("arn:aws:iam:::example_bucket"),
            "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.",
        ),
    ];
    for (resource, expect) in cases {
        identity(
            statement(json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": resource})),
            expect,
        );
    }
    // A resource reason is held back until statement ids and actions are checked ...
    identity(
        statement(json!({"Effect": "Allow", "Action": "s:3:ListBucket", "Resource": "sdfsadf"})),
        "Resource sdfsadf must be in ARN format or \"*\".",
    );
    // ... and then wins over action vendors.
    identity(
        statement(json!({"Effect": "Allow", "Action": "invalid", "Resource": "sdfsadf"})),
        "Resource sdfsadf must be in ARN format or \"*\".",
    );
    identity(
        statement(json!({"Effect": "Allow", "Action": "s3:ListBucket"})),
        "Policy statement must contain resources.",
    );
    identity(
        statement(json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": []})),
        "Policy statement must contain resources.",
    );
    for ok in [
        json!(["arn:aws:s3:::example_bucket", "*"]),
        json!("arn:aws:iam:::user/example_bucket"),
        json!("arn:aws:iam::*:user/${aws:username}"),
        json!("arn:aws:iam::123456789012:*"),
        json!("arn:aws:s33:::example_bucket"),
        json!("arn:aws:fdsasf"),
        json!("arn:aws:cloudwatch:us-east-1::example_bucket"),
        json!("arn:aws:invalid-service:us-east-1::example_bucket"),
        json!("arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point"),
        json!(["arn:aws:kms:*:123456789012:key/*", null]),
        json!("arn:aws:rds:region:*:*"),
    ] {
        identity_ok(statement(
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": ok}),
        ));
    }
}

#[test]
fn conditions_accepted() {
    for condition in [
        json!({}),
        json!({"a": {}}),
        json!({"x": {}, "y": {}}),
        json!({"DateGreaterThan": {}}),
        json!({"DateGreaterThan": {"a": []}}),
        json!({"DateGreaterThan": {"a": "01T"}}),
        json!({"DateLessThan": {"a": "-292275054"}}),
        json!({"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+23"}}),
        json!({"DateLessThanEquals": {"a": "2016-12-13T21:20:37.593194+00:00"}}),
        json!({"StringEqualsIfExists": {"a": "asf"}}),
        json!({"ForAnyValue:StringEqualsIfExists": {"a": "asf"}}),
        json!({"ForAllValues:StringEquals": {"aws:TagKeys": "Department"}}),
        json!({"Bool": {"kms:GrantIsForAWSResource": true}, "ForAllValues:Bool": {"k": false}}),
        json!({"Null": {"kms:EncryptionContextKeys": false, "kms:GrantOperations": "true"}}),
        json!({"NumericLessThan": {"s3:max-keys": 10}}),
        json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}),
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:topic"}}),
    ] {
        identity_ok(statement(
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": condition}),
        ));
    }
}

#[test]
fn principals_by_kind() {
    let st = json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject", "Resource": "*"});
    identity(
        statement(st.clone()),
        "Policy document should not specify a principal.",
    );
    identity(
        statement(
            json!({"Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}, "Action": "s3:GetObject", "Resource": "*"}),
        ),
        "Policy document should not specify a principal.",
    );
    check(PolicyKind::Resource, &statement(st), None);
    check(
        PolicyKind::Resource,
        &statement(json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})),
        Some("Missing required field Principal"),
    );
    check(
        PolicyKind::Resource,
        &statement(
            json!({"Effect": "Allow", "Principal": {"AWS": "alice"}, "Action": "s3:GetObject", "Resource": "*"}),
        ),
        Some("Invalid principal in policy: \"AWS\":\"alice\""),
    );
    check(
        PolicyKind::Resource,
        &statement(
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/*"}, "Action": "s3:GetObject", "Resource": "*"}),
        ),
        Some("Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:user/*\""),
    );
    for ok in [
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": ["123456789012", "arn:aws:iam::123456789012:user/a/b", "arn:aws:sts::123456789012:assumed-role/r/s", "AIDAJQABLZS4A3QDU576Q"]}),
        json!({"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}),
        json!({"Federated": "cognito-identity.amazonaws.com"}),
        json!({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}),
    ] {
        check(
            PolicyKind::Resource,
            &statement(
                json!({"Effect": "Allow", "Principal": ok, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}),
            ),
            None,
        );
    }
}

#[test]
fn trust_policies() {
    let trust = |st: Value| check(PolicyKind::Trust, &statement(st), None);
    let refuse = |st: Value, expect: &str| check(PolicyKind::Trust, &statement(st), Some(expect));
    trust(
        json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}),
    );
    trust(
        json!({"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": ["sts:AssumeRole", "sts:TagSession"], "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}),
    );
    trust(json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:*"}));
    let actions = "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity";
    refuse(
        json!({"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject"}),
        actions,
    );
    refuse(
        json!({"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "NotAction": "sts:AssumeRole"}),
        actions,
    );
    refuse(
        json!({"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole", "Resource": "*"}),
        "Has prohibited field Resource.",
    );
    refuse(
        json!({"Effect": "Allow", "Action": "sts:AssumeRole"}),
        "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!",
    );
}

#[test]
fn accepted_documents() {
    let policy = Policy::parse(
        &json!({
            "Version": "2012-10-17",
            "Id": "doc",
            "Statement": [
                {"Sid": "ListAndDescribe", "Effect": "Allow", "Action": ["dynamodb:List*", "dynamodb:DescribeLimits"], "Resource": "*"},
                {"Sid": "SpecificTable", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:*:*:table/MyTable"},
                {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}
            ]
        })
        .to_string(),
        PolicyKind::Identity,
    );
    let policy = match policy {
        Ok(p) => p,
        Err(e) => panic!("refused: {e}"),
    };
    assert_eq!(policy.statements().len(), 3);
    assert_eq!(policy.version(), Version::V2012_10_17);
    assert_eq!(policy.document_id(), Some("doc"));
    assert_eq!(policy.statements()[0].sid(), Some("ListAndDescribe"));
    assert_eq!(policy.statements()[2].sid(), None);
}

#[test]
fn size_without_whitespace() {
    let document = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}\n}";
    let compact: String = document.chars().filter(|c| !c.is_whitespace()).collect();
    assert_eq!(document_size(document), compact.chars().count());
    let policy = Policy::parse(document, PolicyKind::Identity).map_err(|e| e.to_string());
    assert_eq!(policy.map(|p| p.size()), Ok(compact.len()));
}

#[test]
fn error_code() {
    assert_eq!(PolicyError::Syntax.code(), "MalformedPolicyDocument");
}

/// Every truncation and many one-character edits of real documents parse to a policy or an
/// error, never a panic; whatever compiles can be evaluated.
#[test]
fn mangled_documents_never_panic() {
    use gureum_iam_policy::{AuthzRequest, PolicySet, PrincipalInfo, evaluate};
    let documents = [
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "A1", "Effect": "Allow", "Action": ["s3:Get*", "ec2:*"], "Resource": "arn:aws:s3:::b/${aws:username, 'x'}/*",
             "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "b?"]}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                           "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, "ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:t"}}},
            {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["arn:aws:iam::123456789012:user/x"]}
        ]}),
        json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": ["123456789012", "arn:aws:sts::123456789012:assumed-role/r/s"], "Service": "lambda.amazonaws.com"},
               "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "é${*}"}}}}),
    ];
    let principal = PrincipalInfo::user("123456789012", "x", "AIDAXXXXXXXXXXXXXXXX");
    let request = AuthzRequest::new(principal, "s3:GetObject", "arn:aws:s3:::b/x/é")
        .with_values("aws:TagKeys", &["ab", "é"])
        .with_key("aws:SourceIp", "10.1.2.3")
        .with_key("aws:CurrentTime", "not a date");
    for document in documents {
        let text = serde_json::to_string_pretty(&document).unwrap_or_default();
        let mut variants: Vec<String> = Vec::new();
        for (at, _) in text.char_indices() {
            variants.push(text[..at].to_string());
            for replacement in ["*", "?", "$", "{", "}", ":", "é", "\"", "-", "T", "/", "0"] {
                let mut edited = text.clone();
                let end = at + text[at..].chars().next().map_or(0, char::len_utf8);
                edited.replace_range(at..end, replacement);
                variants.push(edited);
            }
        }
        for variant in variants {
            for kind in [
                PolicyKind::Identity,
                PolicyKind::Resource,
                PolicyKind::Trust,
            ] {
                if let Ok(policy) = Policy::parse(&variant, kind) {
                    let identity = [std::sync::Arc::new(policy.clone())];
                    let set = PolicySet {
                        identity: &identity,
                        resource: Some(&policy),
                        ..PolicySet::default()
                    };
                    let _ = evaluate(&set, &request);
                }
            }
        }
    }
}
