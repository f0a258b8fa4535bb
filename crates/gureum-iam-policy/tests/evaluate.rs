//! The evaluator, case by case: policies + request -> decision.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use gureum_iam_policy::{
    AuthzRequest, Decision, Environment, Policy, PolicyKind, PolicySet, PolicySource,
    PrincipalInfo, PrincipalKind, evaluate, evaluate_trust, simulate,
};
use serde_json::{Value, json};

use Decision::{Allow, ExplicitDeny, ImplicitDeny};

const ACCOUNT: &str = "111111111111";
const OTHER: &str = "222222222222";
const BUCKET: &str = "arn:aws:s3:::bucket";

fn compile(kind: PolicyKind, id: &str, document: Value) -> Policy {
    match Policy::parse(&document.to_string(), kind) {
        Ok(p) => p.with_id(id),
        Err(e) => panic!("{id} refused ({e}): {document}"),
    }
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(action: &str, resource: &str) -> Value {
    doc(json!({"Effect": "Allow", "Action": action, "Resource": resource}))
}

fn allow_if(action: &str, resource: &str, condition: Value) -> Value {
    doc(json!({"Effect": "Allow", "Action": action, "Resource": resource, "Condition": condition}))
}

fn deny(action: &str, resource: &str) -> Value {
    doc(json!({"Effect": "Deny", "Action": action, "Resource": resource}))
}

/// A resource policy statement: `effect` of `action` on `resource` for `principal`.
fn grant(effect: &str, principal: Value, action: &str, resource: &str) -> Value {
    doc(json!({"Effect": effect, "Principal": principal, "Action": action, "Resource": resource}))
}

/// The policies of one case.
#[derive(Default)]
struct Policies {
    identity: Vec<Arc<Policy>>,
    resource: Option<Policy>,
    boundary: Option<Policy>,
    session: Vec<Arc<Policy>>,
}

impl Policies {
    fn identity(documents: Vec<Value>) -> Self {
        Policies {
            identity: documents
                .into_iter()
                .enumerate()
                .map(|(i, d)| Arc::new(compile(PolicyKind::Identity, &format!("identity{i}"), d)))
                .collect(),
            ..Policies::default()
        }
    }

    fn none() -> Self {
        Policies::default()
    }

    fn resource(mut self, document: Value) -> Self {
        self.resource = Some(compile(PolicyKind::Resource, "resource", document));
        self
    }

    fn trust(mut self, document: Value) -> Self {
        self.resource = Some(compile(PolicyKind::Trust, "trust", document));
        self
    }

    fn boundary(mut self, document: Value) -> Self {
        self.boundary = Some(compile(PolicyKind::Identity, "boundary", document));
        self
    }

    fn session(mut self, document: Value) -> Self {
        let id = format!("session{}", self.session.len());
        self.session
            .push(Arc::new(compile(PolicyKind::Identity, &id, document)));
        self
    }

    fn set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: &self.identity,
            resource: self.resource.as_ref(),
            permissions_boundary: self.boundary.as_ref(),
            session: &self.session,
        }
    }
}

fn check(policies: &Policies, request: &AuthzRequest, expect: Decision) {
    let got = evaluate(&policies.set(), request).decision;
    assert_eq!(
        got, expect,
        "{} {} by {}",
        request.action, request.resource, request.principal.arn
    );
}

fn alice() -> PrincipalInfo {
    PrincipalInfo::user(ACCOUNT, "alice", "AIDAALICEALICEALICE1")
}

fn bob() -> PrincipalInfo {
    PrincipalInfo::user(ACCOUNT, "bob", "AIDABOBBOBBOBBOBBOB1")
}

fn session() -> PrincipalInfo {
    PrincipalInfo::assumed_role(ACCOUNT, "app", "s1", "AROAAPPAPPAPPAPPAPP1")
}

fn req(principal: PrincipalInfo, action: &str, resource: &str) -> AuthzRequest {
    AuthzRequest::new(principal, action, resource)
}

fn env() -> Environment {
    Environment {
        now: time::macros::datetime!(2024-05-01 12:00:00 UTC),
        source_ip: Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7))),
        region: "us-east-1".to_string(),
        secure_transport: true,
    }
}

/// A request from alice with the global keys filled.
fn alice_req(action: &str, resource: &str) -> AuthzRequest {
    req(alice(), action, resource).with_global_keys(&env())
}

#[test]
fn seed_example_admin_developer_reader() {
    let admin = Policies::identity(vec![allow("*", "*")]);
    let developer = Policies::identity(vec![allow("ec2:*", "*")]);
    let reader = Policies::identity(vec![doc(json!({
        "Effect": "Allow",
        "Action": ["s3:Get*", "s3:List*", "ec2:Describe*", "dynamodb:Describe*", "dynamodb:Get*"],
        "Resource": "*"
    }))]);
    let object = "arn:aws:s3:::bucket/key";
    let instance = "arn:aws:ec2:us-east-1:111111111111:instance/i-1";
    for (action, resource, admin_may, developer_may, reader_may) in [
        ("s3:GetObject", object, Allow, ImplicitDeny, Allow),
        ("s3:PutObject", object, Allow, ImplicitDeny, ImplicitDeny),
        ("s3:ListBucket", BUCKET, Allow, ImplicitDeny, Allow),
        ("s3:DeleteBucket", BUCKET, Allow, ImplicitDeny, ImplicitDeny),
        ("ec2:RunInstances", "*", Allow, Allow, ImplicitDeny),
        ("ec2:DescribeInstances", "*", Allow, Allow, Allow),
        (
            "ec2:TerminateInstances",
            instance,
            Allow,
            Allow,
            ImplicitDeny,
        ),
        ("iam:CreateUser", "*", Allow, ImplicitDeny, ImplicitDeny),
        ("dynamodb:GetItem", "*", Allow, ImplicitDeny, Allow),
    ] {
        check(&admin, &req(alice(), action, resource), admin_may);
        check(&developer, &req(alice(), action, resource), developer_may);
        check(&reader, &req(alice(), action, resource), reader_may);
    }
}

#[test]
fn wildcards_in_actions_and_resources() {
    let p = Policies::identity(vec![allow("s3:Get*", "arn:aws:s3:::bucket/*")]);
    check(
        &p,
        &req(alice(), "s3:GetObject", "arn:aws:s3:::bucket/k"),
        Allow,
    );
    check(
        &p,
        &req(alice(), "S3:getobject", "arn:aws:s3:::bucket/k"),
        Allow,
    );
    check(
        &p,
        &req(alice(), "s3:PutObject", "arn:aws:s3:::bucket/k"),
        ImplicitDeny,
    );
    check(
        &p,
        &req(alice(), "s3:GetObject", "arn:aws:s3:::BUCKET/k"),
        ImplicitDeny,
    );
    check(
        &p,
        &req(alice(), "s3:GetObject", "arn:aws:s3:::bucket2/k"),
        ImplicitDeny,
    );
    check(&p, &req(alice(), "s3:GetObject", BUCKET), ImplicitDeny);
    let q = Policies::identity(vec![allow("s3:Get?bject*", "arn:aws:s3:::b?cket/*/x")]);
    check(
        &q,
        &req(alice(), "s3:GetObjectAcl", "arn:aws:s3:::bucket/a/b/x"),
        Allow,
    );
    check(
        &q,
        &req(alice(), "s3:GetObjectAcl", "arn:aws:s3:::buucket/a/x"),
        ImplicitDeny,
    );
    let admin = Policies::identity(vec![allow("*", "*")]);
    check(&admin, &req(alice(), "no-colon", "é/*?"), Allow);
    check(
        &Policies::identity(vec![allow("s3:*", "*")]),
        &req(alice(), "", ""),
        ImplicitDeny,
    );
    let mixed = Policies::identity(vec![allow("*:Describe*", "*")]);
    check(&mixed, &req(alice(), "ec2:DescribeVpcs", "*"), Allow);
    check(&mixed, &req(alice(), "ec2:RunInstances", "*"), ImplicitDeny);
}

#[test]
fn not_action_and_not_resource() {
    let p = Policies::identity(vec![doc(
        json!({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}),
    )]);
    check(&p, &req(alice(), "s3:GetObject", "*"), Allow);
    check(&p, &req(alice(), "iam:CreateUser", "*"), ImplicitDeny);
    let q = Policies::identity(vec![
        allow("s3:*", "*"),
        doc(
            json!({"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::hr/payroll", "arn:aws:s3:::hr/payroll/*"]}),
        ),
    ]);
    check(
        &q,
        &req(alice(), "s3:GetObject", "arn:aws:s3:::hr/payroll/x"),
        Allow,
    );
    check(
        &q,
        &req(alice(), "s3:GetObject", "arn:aws:s3:::hr/other"),
        ExplicitDeny,
    );
    let r = Policies::identity(vec![doc(
        json!({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}),
    )]);
    check(
        &r,
        &req(alice(), "s3:GetObject", "arn:aws:s3:::open/x"),
        Allow,
    );
    check(
        &r,
        &req(alice(), "s3:GetObject", "arn:aws:s3:::secret/x"),
        ImplicitDeny,
    );
}

#[test]
fn explicit_deny_wins() {
    let p = Policies::identity(vec![allow("*", "*"), deny("s3:DeleteBucket", "*")]);
    check(&p, &req(alice(), "s3:DeleteBucket", BUCKET), ExplicitDeny);
    check(&p, &req(alice(), "s3:CreateBucket", BUCKET), Allow);
    // A deny in the same statement list, before or after the allow.
    let q = Policies::identity(vec![doc(json!([
        {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*"}
    ]))]);
    check(&q, &req(alice(), "ec2:RunInstances", "*"), ExplicitDeny);
    // A resource policy deny beats an identity allow; a boundary deny too.
    let r = Policies::identity(vec![allow("*", "*")]).resource(grant(
        "Deny",
        json!("*"),
        "s3:GetObject",
        "arn:aws:s3:::bucket/*",
    ));
    check(
        &r,
        &req(alice(), "s3:GetObject", "arn:aws:s3:::bucket/k"),
        ExplicitDeny,
    );
    check(
        &r,
        &req(alice(), "s3:PutObject", "arn:aws:s3:::bucket/k"),
        Allow,
    );
    let s = Policies::identity(vec![allow("*", "*")])
        .boundary(doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}])));
    check(&s, &req(alice(), "iam:CreateUser", "*"), ExplicitDeny);
    // A deny whose condition does not hold does not apply.
    let t = Policies::identity(vec![
        allow("*", "*"),
        doc(
            json!({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        ),
    ]);
    check(&t, &alice_req("s3:GetObject", "*"), Allow);
    check(
        &t,
        &alice_req("s3:GetObject", "*").with_key("aws:SecureTransport", "false"),
        ExplicitDeny,
    );
}

#[test]
fn deciding_statement() {
    let p = Policies::identity(vec![
        allow("ec2:*", "*"),
        doc(json!([
            {"Sid": "ReadS3", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
            {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}
        ])),
    ]);
    let set = p.set();
    let r = req(alice(), "s3:GetObject", "*");
    let e = evaluate(&set, &r);
    assert_eq!(e.decision, Allow);
    let m = e.statement.expect("an allow names its statement");
    assert_eq!(
        (m.policy_id(), m.sid(), m.index),
        ("identity1", Some("ReadS3"), 0)
    );
    assert_eq!(m.source, PolicySource::Identity);
    let r = req(alice(), "s3:DeleteObject", "*");
    let e = evaluate(&set, &r);
    assert_eq!(e.decision.as_str(), "explicitDeny");
    assert_eq!(e.statement.and_then(|m| m.sid()), Some("NoDelete"));
    let r = req(alice(), "iam:GetUser", "*");
    let e = evaluate(&set, &r);
    assert_eq!((e.decision.as_str(), e.statement), ("implicitDeny", None));
    assert_eq!(Allow.as_str(), "allowed");
}

/// One condition block on an `Allow s3:GetObject *` statement; `request` adds context keys.
fn condition_case(condition: Value, keys: &[(&str, &[&str])], expect: Decision) {
    let p = Policies::identity(vec![allow_if("s3:GetObject", "*", condition.clone())]);
    let mut r = alice_req("s3:GetObject", "arn:aws:s3:::bucket/k");
    for (key, values) in keys {
        r = r.with_values(key, values);
    }
    let got = evaluate(&p.set(), &r).decision;
    assert_eq!(got, expect, "{condition} with {keys:?}");
}

#[test]
fn string_conditions() {
    let k = "s3:prefix";
    condition_case(
        json!({"StringEquals": {k: "home/"}}),
        &[(k, &["home/"])],
        Allow,
    );
    condition_case(
        json!({"StringEquals": {k: "home/"}}),
        &[(k, &["Home/"])],
        ImplicitDeny,
    );
    condition_case(json!({"StringEquals": {k: "home/"}}), &[], ImplicitDeny);
    condition_case(
        json!({"StringEquals": {k: "a*"}}),
        &[(k, &["abc"])],
        ImplicitDeny,
    );
    condition_case(
        json!({"StringEquals": {k: ["a", "b"]}}),
        &[(k, &["b"])],
        Allow,
    );
    condition_case(
        json!({"StringNotEquals": {k: ["a", "b"]}}),
        &[(k, &["b"])],
        ImplicitDeny,
    );
    condition_case(
        json!({"StringNotEquals": {k: ["a", "b"]}}),
        &[(k, &["c"])],
        Allow,
    );
    condition_case(json!({"StringNotEquals": {k: "a"}}), &[], Allow);
    condition_case(
        json!({"StringEqualsIgnoreCase": {k: "HOME/"}}),
        &[(k, &["home/"])],
        Allow,
    );
    condition_case(
        json!({"StringNotEqualsIgnoreCase": {k: "HOME/"}}),
        &[(k, &["home/"])],
        ImplicitDeny,
    );
    condition_case(
        json!({"StringLike": {k: "home/*"}}),
        &[(k, &["home/x/y"])],
        Allow,
    );
    condition_case(
        json!({"StringLike": {k: "home/?"}}),
        &[(k, &["home/xy"])],
        ImplicitDeny,
    );
    condition_case(
        json!({"StringNotLike": {k: "home/*"}}),
        &[(k, &["tmp/x"])],
        Allow,
    );
    condition_case(
        json!({"StringNotLike": {k: "home/*"}}),
        &[(k, &["home/x"])],
        ImplicitDeny,
    );
    // Keys are case-insensitive; values compare as the operator says.
    condition_case(
        json!({"StringEquals": {"S3:Prefix": "home/"}}),
        &[("s3:PREFIX", &["home/"])],
        Allow,
    );
    // Keys in one block AND; operators AND.
    condition_case(
        json!({"StringEquals": {k: "home/", "s3:delimiter": "/"}}),
        &[(k, &["home/"])],
        ImplicitDeny,
    );
    condition_case(
        json!({"StringEquals": {k: "home/", "s3:delimiter": "/"}}),
        &[(k, &["home/"]), ("s3:delimiter", &["/"])],
        Allow,
    );
    condition_case(
        json!({"StringEquals": {k: "home/"}, "StringLike": {"s3:delimiter": "x*"}}),
        &[(k, &["home/"]), ("s3:delimiter", &["/"])],
        ImplicitDeny,
    );
    // A multivalued key without a qualifier: any value for positive, none for negated.
    condition_case(
        json!({"StringEquals": {"aws:TagKeys": "a"}}),
        &[("aws:TagKeys", &["b", "a"])],
        Allow,
    );
    condition_case(
        json!({"StringNotEquals": {"aws:TagKeys": "a"}}),
        &[("aws:TagKeys", &["b", "a"])],
        ImplicitDeny,
    );
}

#[test]
fn numeric_conditions() {
    let k = "s3:max-keys";
    for (op, value, expect) in [
        ("NumericEquals", "10", Allow),
        ("NumericEquals", "11", ImplicitDeny),
        ("NumericNotEquals", "11", Allow),
        ("NumericNotEquals", "10", ImplicitDeny),
        ("NumericLessThan", "11", Allow),
        ("NumericLessThan", "10", ImplicitDeny),
        ("NumericLessThanEquals", "10", Allow),
        ("NumericLessThanEquals", "9.5", ImplicitDeny),
        ("NumericGreaterThan", "9", Allow),
        ("NumericGreaterThan", "10", ImplicitDeny),
        ("NumericGreaterThanEquals", "10", Allow),
        ("NumericGreaterThanEquals", "10.5", ImplicitDeny),
        ("NumericEquals", "ten", ImplicitDeny),
    ] {
        condition_case(json!({op: {k: value}}), &[(k, &["10"])], expect);
    }
    condition_case(
        json!({"NumericLessThanEquals": {k: 100}}),
        &[(k, &["10"])],
        Allow,
    );
    condition_case(
        json!({"NumericLessThan": {k: "100"}}),
        &[(k, &["many"])],
        ImplicitDeny,
    );
    condition_case(json!({"NumericLessThan": {k: "100"}}), &[], ImplicitDeny);
}

#[test]
fn date_conditions() {
    // The request time is 2024-05-01T12:00:00Z (see env()).
    let k = "aws:CurrentTime";
    for (op, value, expect) in [
        ("DateEquals", "2024-05-01T12:00:00Z", Allow),
        ("DateEquals", "2024-05-01T14:00:00+02:00", Allow),
        ("DateNotEquals", "2024-05-01T12:00:00Z", ImplicitDeny),
        ("DateLessThan", "2024-06-01T00:00:00Z", Allow),
        ("DateLessThan", "2024-05-01T12:00:00Z", ImplicitDeny),
        ("DateLessThanEquals", "2024-05-01T12:00:00Z", Allow),
        ("DateGreaterThan", "2024-01-01", Allow),
        ("DateGreaterThan", "2025-01-01", ImplicitDeny),
        ("DateGreaterThanEquals", "1714564800", Allow),
        ("DateGreaterThanEquals", "1714564801", ImplicitDeny),
    ] {
        condition_case(json!({op: {k: value}}), &[], expect);
    }
    // aws:EpochTime compares as a date too.
    condition_case(
        json!({"DateLessThan": {"aws:EpochTime": "2030-01-01T00:00:00Z"}}),
        &[],
        Allow,
    );
    condition_case(
        json!({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01"}}),
        &[],
        ImplicitDeny,
    );
}

#[test]
fn bool_binary_null_conditions() {
    condition_case(json!({"Bool": {"aws:SecureTransport": "true"}}), &[], Allow);
    condition_case(
        json!({"Bool": {"aws:SecureTransport": false}}),
        &[],
        ImplicitDeny,
    );
    condition_case(json!({"Bool": {"aws:SecureTransport": "TRUE"}}), &[], Allow);
    condition_case(
        json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        &[],
        ImplicitDeny,
    );
    condition_case(
        json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}),
        &[],
        Allow,
    );
    condition_case(
        json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}),
        &[("aws:MultiFactorAuthPresent", &["false"])],
        ImplicitDeny,
    );
    condition_case(
        json!({"BinaryEquals": {"k:blob": "QmluYXJ5"}}),
        &[("k:blob", &["QmluYXJ5"])],
        Allow,
    );
    condition_case(
        json!({"BinaryEquals": {"k:blob": "QmluYXJ5"}}),
        &[("k:blob", &["QmluYXJ6"])],
        ImplicitDeny,
    );
    condition_case(json!({"Null": {"aws:TokenIssueTime": "true"}}), &[], Allow);
    condition_case(
        json!({"Null": {"aws:TokenIssueTime": "false"}}),
        &[],
        ImplicitDeny,
    );
    condition_case(json!({"Null": {"aws:SourceIp": "false"}}), &[], Allow);
    condition_case(json!({"Null": {"aws:SourceIp": true}}), &[], ImplicitDeny);
}

#[test]
fn ip_address_conditions() {
    // The request comes from 203.0.113.7 (see env()).
    let k = "aws:SourceIp";
    condition_case(json!({"IpAddress": {k: "203.0.113.0/24"}}), &[], Allow);
    condition_case(json!({"IpAddress": {k: "203.0.113.7"}}), &[], Allow);
    condition_case(
        json!({"IpAddress": {k: ["10.0.0.0/8", "198.51.100.0/24"]}}),
        &[],
        ImplicitDeny,
    );
    condition_case(json!({"IpAddress": {k: "0.0.0.0/0"}}), &[], Allow);
    condition_case(
        json!({"NotIpAddress": {k: "203.0.113.0/24"}}),
        &[],
        ImplicitDeny,
    );
    condition_case(
        json!({"NotIpAddress": {k: ["10.0.0.0/8", "198.51.100.0/24"]}}),
        &[],
        Allow,
    );
    condition_case(
        json!({"IpAddress": {k: "2001:db8::/32"}}),
        &[(k, &["2001:db8:1::5"])],
        Allow,
    );
    condition_case(
        json!({"IpAddress": {k: "2001:db8::5"}}),
        &[(k, &["2001:db8::5"])],
        Allow,
    );
    condition_case(
        json!({"IpAddress": {k: "2001:db8::5/128"}}),
        &[(k, &["2001:db8::6"])],
        ImplicitDeny,
    );
    condition_case(
        json!({"IpAddress": {k: "::/0"}}),
        &[(k, &["2001:db8::6"])],
        Allow,
    );
    condition_case(json!({"IpAddress": {k: "::/0"}}), &[], ImplicitDeny);
    condition_case(
        json!({"IpAddress": {k: "203.0.113.0/24"}}),
        &[(k, &["::ffff:203.0.113.9"])],
        Allow,
    );
    condition_case(
        json!({"IpAddress": {k: "203.0.113.0/33"}}),
        &[],
        ImplicitDeny,
    );
    condition_case(
        json!({"IpAddress": {k: "2001:db8::/32"}}),
        &[(k, &["2001:db9::5"])],
        ImplicitDeny,
    );
    condition_case(
        json!({"IpAddress": {k: "2001:db8::/32"}}),
        &[],
        ImplicitDeny,
    );
    condition_case(json!({"IpAddress": {k: "not-a-cidr"}}), &[], ImplicitDeny);
    condition_case(
        json!({"IpAddressIfExists": {"aws:VpcSourceIp": "10.0.0.0/8"}}),
        &[],
        Allow,
    );
}

#[test]
fn arn_conditions() {
    let k = "aws:SourceArn";
    let topic = "arn:aws:sns:us-east-1:111111111111:topic";
    for (op, value, expect) in [
        ("ArnEquals", topic, Allow),
        ("ArnLike", "arn:aws:sns:*:111111111111:*", Allow),
        ("ArnLike", "arn:aws:sns:us-?ast-1:*:top*", Allow),
        ("ArnLike", "arn:aws:sqs:*:*:*", ImplicitDeny),
        (
            "ArnEquals",
            "arn:aws:sns:us-east-1:111111111111:other",
            ImplicitDeny,
        ),
        (
            "ArnNotEquals",
            "arn:aws:sns:us-east-1:111111111111:other",
            Allow,
        ),
        ("ArnNotLike", "arn:aws:sns:*:*:*", ImplicitDeny),
        ("ArnNotLike", "arn:aws:sqs:*:*:*", Allow),
    ] {
        condition_case(json!({op: {k: value}}), &[(k, &[topic])], expect);
    }
    condition_case(
        json!({"ArnLike": {k: "arn:aws:sns:*:*:*"}}),
        &[(k, &["not-an-arn"])],
        ImplicitDeny,
    );
    condition_case(json!({"ArnNotLike": {k: "arn:aws:sns:*:*:*"}}), &[], Allow);
    condition_case(
        json!({"ArnLikeIfExists": {k: "arn:aws:sns:*:*:*"}}),
        &[],
        Allow,
    );
    condition_case(
        json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/alice"}}),
        &[],
        Allow,
    );
}

#[test]
fn if_exists_conditions() {
    let k = "ec2:InstanceType";
    condition_case(json!({"StringEqualsIfExists": {k: "t3.micro"}}), &[], Allow);
    condition_case(
        json!({"StringEqualsIfExists": {k: "t3.micro"}}),
        &[(k, &["t3.micro"])],
        Allow,
    );
    condition_case(
        json!({"StringEqualsIfExists": {k: "t3.micro"}}),
        &[(k, &["m5.large"])],
        ImplicitDeny,
    );
    condition_case(
        json!({"StringNotEqualsIfExists": {k: "t3.micro"}}),
        &[(k, &["t3.micro"])],
        ImplicitDeny,
    );
    condition_case(
        json!({"NumericLessThanIfExists": {"s3:max-keys": "5"}}),
        &[],
        Allow,
    );
    condition_case(
        json!({"DateGreaterThanIfExists": {"aws:TokenIssueTime": "2020-01-01"}}),
        &[],
        Allow,
    );
}

#[test]
fn set_operators() {
    let k = "aws:TagKeys";
    let all = json!({"ForAllValues:StringEquals": {k: ["Team", "Env"]}});
    condition_case(all.clone(), &[(k, &["Team"])], Allow);
    condition_case(all.clone(), &[(k, &["Team", "Env"])], Allow);
    condition_case(all.clone(), &[(k, &["Team", "Owner"])], ImplicitDeny);
    // ForAllValues holds when the key is missing or empty.
    condition_case(all.clone(), &[], Allow);
    condition_case(all, &[(k, &[])], Allow);
    let any = json!({"ForAnyValue:StringEquals": {k: ["Team", "Env"]}});
    condition_case(any.clone(), &[(k, &["Owner", "Env"])], Allow);
    condition_case(any.clone(), &[(k, &["Owner"])], ImplicitDeny);
    // ForAnyValue fails when the key is missing, unless IfExists.
    condition_case(any, &[], ImplicitDeny);
    condition_case(
        json!({"ForAnyValue:StringEqualsIfExists": {k: "Team"}}),
        &[],
        Allow,
    );
    // Negated operators: every / some request value matches none of the policy's values.
    let all_not = json!({"ForAllValues:StringNotEquals": {k: ["Secret", "Admin"]}});
    condition_case(all_not.clone(), &[(k, &["Team", "Env"])], Allow);
    condition_case(all_not.clone(), &[(k, &["Team", "Admin"])], ImplicitDeny);
    condition_case(all_not, &[], Allow);
    let any_not = json!({"ForAnyValue:StringNotEquals": {k: ["Secret", "Admin"]}});
    condition_case(any_not.clone(), &[(k, &["Team", "Admin"])], Allow);
    condition_case(any_not.clone(), &[(k, &["Admin"])], ImplicitDeny);
    condition_case(any_not, &[], ImplicitDeny);
    condition_case(
        json!({"ForAnyValue:StringLike": {k: "Te*"}}),
        &[(k, &["x", "Team"])],
        Allow,
    );
    condition_case(
        json!({"ForAllValues:StringLike": {k: "Te*"}}),
        &[(k, &["x", "Team"])],
        ImplicitDeny,
    );
}

#[test]
fn policy_variables() {
    let home = Policies::identity(vec![allow(
        "s3:*",
        "arn:aws:s3:::bucket/home/${aws:username}/*",
    )]);
    check(
        &home,
        &alice_req("s3:GetObject", "arn:aws:s3:::bucket/home/alice/f"),
        Allow,
    );
    check(
        &home,
        &alice_req("s3:GetObject", "arn:aws:s3:::bucket/home/bob/f"),
        ImplicitDeny,
    );
    // A role session has no aws:username: the resource element matches nothing.
    let r = req(session(), "s3:GetObject", "arn:aws:s3:::bucket/home//f").with_global_keys(&env());
    check(&home, &r, ImplicitDeny);
    // A default fills in.
    let default = Policies::identity(vec![allow(
        "s3:*",
        "arn:aws:s3:::bucket/home/${aws:username, 'shared'}/*",
    )]);
    let r = req(
        session(),
        "s3:GetObject",
        "arn:aws:s3:::bucket/home/shared/f",
    )
    .with_global_keys(&env());
    check(&default, &r, Allow);
    // Principal tags, account and user id.
    let tags = Policies::identity(vec![allow(
        "s3:*",
        "arn:aws:s3:::${aws:PrincipalTag/team}-${aws:PrincipalAccount}/${aws:userid}",
    )]);
    let tagged = alice().with_tags(vec![("team".to_string(), "blue".to_string())]);
    let r = req(
        tagged.clone(),
        "s3:GetObject",
        "arn:aws:s3:::blue-111111111111/AIDAALICEALICEALICE1",
    )
    .with_global_keys(&env());
    check(&tags, &r, Allow);
    check(
        &tags,
        &alice_req(
            "s3:GetObject",
            "arn:aws:s3:::blue-111111111111/AIDAALICEALICEALICE1",
        ),
        ImplicitDeny,
    );
    // Any context key, and the escapes ${*}, ${?}, ${$}.
    let any_key = Policies::identity(vec![allow(
        "s3:*",
        "arn:aws:s3:::bucket/${s3:prefix}${*}${?}${$}",
    )]);
    let r = alice_req("s3:GetObject", "arn:aws:s3:::bucket/p*?$").with_key("s3:prefix", "p");
    check(&any_key, &r, Allow);
    let r = alice_req("s3:GetObject", "arn:aws:s3:::bucket/pxy$").with_key("s3:prefix", "p");
    check(&any_key, &r, ImplicitDeny);
    // In condition values.
    let prefix = Policies::identity(vec![allow_if(
        "s3:ListBucket",
        BUCKET,
        json!({"StringLike": {"s3:prefix": ["", "home/${aws:username}/*"]}}),
    )]);
    check(
        &prefix,
        &alice_req("s3:ListBucket", BUCKET).with_key("s3:prefix", "home/alice/docs"),
        Allow,
    );
    check(
        &prefix,
        &alice_req("s3:ListBucket", BUCKET).with_key("s3:prefix", "home/bob/docs"),
        ImplicitDeny,
    );
    let own_ip = Policies::identity(vec![allow_if(
        "ec2:*",
        "*",
        json!({"StringEquals": {"ec2:ResourceTag/Owner": "${aws:username}"}}),
    )]);
    check(
        &own_ip,
        &alice_req("ec2:StopInstances", "*").with_key("ec2:ResourceTag/Owner", "alice"),
        Allow,
    );
    check(
        &own_ip,
        &alice_req("ec2:StopInstances", "*").with_key("ec2:ResourceTag/Owner", "bob"),
        ImplicitDeny,
    );
    // Version 2008-10-17 has no variables: the text is literal.
    let old = Policies::none().resource(json!({
        "Version": "2008-10-17",
        "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/${aws:username}"}
    }));
    check(
        &old,
        &alice_req("s3:GetObject", "arn:aws:s3:::bucket/alice"),
        ImplicitDeny,
    );
    check(
        &old,
        &alice_req("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}"),
        Allow,
    );
}

#[test]
fn permissions_boundary() {
    let p = Policies::identity(vec![allow("s3:*", "*"), allow("ec2:*", "*")])
        .boundary(allow("s3:*", "*"));
    check(&p, &req(alice(), "s3:GetObject", "*"), Allow);
    check(&p, &req(alice(), "ec2:RunInstances", "*"), ImplicitDeny);
    // The boundary alone grants nothing.
    let q = Policies::identity(vec![allow("ec2:*", "*")]).boundary(allow("*", "*"));
    check(&q, &req(alice(), "s3:GetObject", "*"), ImplicitDeny);
    check(&q, &req(alice(), "ec2:RunInstances", "*"), Allow);
}

#[test]
fn session_policies() {
    let p = Policies::identity(vec![allow("s3:*", "*")]).session(allow("s3:GetObject", "*"));
    check(&p, &req(session(), "s3:GetObject", "*"), Allow);
    check(&p, &req(session(), "s3:PutObject", "*"), ImplicitDeny);
    // Several session policies: their union limits.
    let q = Policies::identity(vec![allow("s3:*", "*")])
        .session(allow("s3:GetObject", "*"))
        .session(allow("s3:PutObject", "*"));
    check(&q, &req(session(), "s3:PutObject", "*"), Allow);
    check(&q, &req(session(), "s3:DeleteObject", "*"), ImplicitDeny);
    // Session policies grant nothing the role does not have.
    let r = Policies::identity(vec![allow("ec2:*", "*")]).session(allow("*", "*"));
    check(&r, &req(session(), "s3:GetObject", "*"), ImplicitDeny);
    // A deny in a session policy is an explicit deny.
    let s = Policies::identity(vec![allow("*", "*")]).session(doc(json!([
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
    ])));
    check(&s, &req(session(), "s3:DeleteObject", "*"), ExplicitDeny);
}

#[test]
fn resource_policy_same_account() {
    let object = "arn:aws:s3:::bucket/k";
    let user_arn = "arn:aws:iam::111111111111:user/alice";
    // Naming the user allows on its own.
    let named = Policies::none().resource(grant(
        "Allow",
        json!({"AWS": user_arn}),
        "s3:GetObject",
        "arn:aws:s3:::bucket/*",
    ));
    check(&named, &req(alice(), "s3:GetObject", object), Allow);
    check(&named, &req(bob(), "s3:GetObject", object), ImplicitDeny);
    // Even when the user's boundary does not allow it.
    let bounded = Policies::identity(vec![])
        .resource(grant(
            "Allow",
            json!({"AWS": user_arn}),
            "s3:GetObject",
            "*",
        ))
        .boundary(allow("ec2:*", "*"));
    check(&bounded, &req(alice(), "s3:GetObject", object), Allow);
    // Naming the account delegates to the identity policies.
    let account = grant("Allow", json!({"AWS": ACCOUNT}), "s3:GetObject", "*");
    check(
        &Policies::none().resource(account.clone()),
        &req(alice(), "s3:GetObject", object),
        ImplicitDeny,
    );
    check(
        &Policies::identity(vec![allow("s3:GetObject", "*")]).resource(account),
        &req(alice(), "s3:GetObject", object),
        Allow,
    );
    // "*" allows everyone, identity policies or not.
    let public = Policies::none().resource(grant(
        "Allow",
        json!("*"),
        "s3:GetObject",
        "arn:aws:s3:::bucket/*",
    ));
    check(&public, &req(alice(), "s3:GetObject", object), Allow);
    check(&public, &req(alice(), "s3:PutObject", object), ImplicitDeny);
    // Either side may allow.
    let either = Policies::identity(vec![allow("s3:PutObject", "*")]).resource(grant(
        "Allow",
        json!({"AWS": user_arn}),
        "s3:GetObject",
        "*",
    ));
    check(&either, &req(alice(), "s3:GetObject", object), Allow);
    check(&either, &req(alice(), "s3:PutObject", object), Allow);
    check(
        &either,
        &req(alice(), "s3:DeleteObject", object),
        ImplicitDeny,
    );
}

#[test]
fn resource_policy_role_sessions() {
    let object = "arn:aws:s3:::bucket/k";
    let session_arn = "arn:aws:sts::111111111111:assumed-role/app/s1";
    let role_arn = "arn:aws:iam::111111111111:role/app";
    // The session ARN: allowed directly, whatever the session policies say.
    let by_session = Policies::identity(vec![])
        .resource(grant(
            "Allow",
            json!({"AWS": session_arn}),
            "s3:GetObject",
            "*",
        ))
        .session(allow("ec2:*", "*"));
    check(&by_session, &req(session(), "s3:GetObject", object), Allow);
    // The role ARN: allowed, but limited by session policies and the boundary.
    let by_role = || {
        Policies::none().resource(grant(
            "Allow",
            json!({"AWS": role_arn}),
            "s3:GetObject",
            "*",
        ))
    };
    check(&by_role(), &req(session(), "s3:GetObject", object), Allow);
    check(
        &by_role().session(allow("ec2:*", "*")),
        &req(session(), "s3:GetObject", object),
        ImplicitDeny,
    );
    check(
        &by_role().session(allow("s3:*", "*")),
        &req(session(), "s3:GetObject", object),
        Allow,
    );
    check(
        &by_role().boundary(allow("ec2:*", "*")),
        &req(session(), "s3:GetObject", object),
        ImplicitDeny,
    );
    // Another session of another role is not named.
    let other = PrincipalInfo::assumed_role(ACCOUNT, "batch", "s1", "AROABATCHBATCHBATCH1");
    check(
        &by_role(),
        &req(other, "s3:GetObject", object),
        ImplicitDeny,
    );
    // A role's unique id names its sessions like its ARN.
    let by_id = Policies::none().resource(grant(
        "Allow",
        json!({"AWS": "AROAAPPAPPAPPAPPAPP1"}),
        "s3:GetObject",
        "*",
    ));
    check(&by_id, &req(session(), "s3:GetObject", object), Allow);
}

#[test]
fn resource_policy_cross_account() {
    let object = "arn:aws:s3:::bucket/k";
    let carol = PrincipalInfo::user(OTHER, "carol", "AIDACAROLCAROLCAROL1");
    let carol_arn = "arn:aws:iam::222222222222:user/carol";
    let cross =
        |p: PrincipalInfo, action: &str| req(p, action, object).with_resource_account(ACCOUNT);
    // Both sides must allow.
    let both = Policies::identity(vec![allow("s3:*", "*")]).resource(grant(
        "Allow",
        json!({"AWS": carol_arn}),
        "s3:GetObject",
        "*",
    ));
    check(&both, &cross(carol.clone(), "s3:GetObject"), Allow);
    check(&both, &cross(carol.clone(), "s3:PutObject"), ImplicitDeny);
    let resource_only = Policies::none().resource(grant(
        "Allow",
        json!({"AWS": carol_arn}),
        "s3:GetObject",
        "*",
    ));
    check(
        &resource_only,
        &cross(carol.clone(), "s3:GetObject"),
        ImplicitDeny,
    );
    let identity_only = Policies::identity(vec![allow("s3:*", "*")]);
    check(
        &identity_only,
        &cross(carol.clone(), "s3:GetObject"),
        ImplicitDeny,
    );
    // Naming the other account is enough on the resource side.
    let account = Policies::identity(vec![allow("s3:*", "*")]).resource(grant(
        "Allow",
        json!({"AWS": OTHER}),
        "s3:GetObject",
        "*",
    ));
    check(&account, &cross(carol.clone(), "s3:GetObject"), Allow);
    check(&account, &cross(alice(), "s3:GetObject"), Allow);
    // A public bucket still needs the caller's own identity allow across accounts.
    let public = Policies::none().resource(grant("Allow", json!("*"), "s3:GetObject", "*"));
    check(&public, &cross(carol.clone(), "s3:GetObject"), ImplicitDeny);
    // The boundary limits the identity side across accounts too.
    let bounded = Policies::identity(vec![allow("s3:*", "*")])
        .resource(grant(
            "Allow",
            json!({"AWS": carol_arn}),
            "s3:GetObject",
            "*",
        ))
        .boundary(allow("ec2:*", "*"));
    check(&bounded, &cross(carol, "s3:GetObject"), ImplicitDeny);
}

#[test]
fn root_user() {
    let root = PrincipalInfo::root(ACCOUNT);
    check(
        &Policies::none(),
        &req(root.clone(), "iam:CreateUser", "*"),
        Allow,
    );
    check(
        &Policies::none(),
        &req(root.clone(), "s3:DeleteBucket", BUCKET),
        Allow,
    );
    // Boundaries and identity policies do not apply to root.
    let ignored = Policies::identity(vec![deny("*", "*")]).boundary(allow("ec2:*", "*"));
    check(&ignored, &req(root.clone(), "s3:GetObject", "*"), Allow);
    // A resource policy deny does.
    let denied = Policies::none().resource(grant("Deny", json!("*"), "s3:DeleteBucket", BUCKET));
    check(
        &denied,
        &req(root.clone(), "s3:DeleteBucket", BUCKET),
        ExplicitDeny,
    );
    check(&denied, &req(root.clone(), "s3:GetObject", BUCKET), Allow);
    // Another account's root needs the resource policy.
    let other_root = PrincipalInfo::root(OTHER);
    let cross = req(other_root, "s3:GetObject", BUCKET).with_resource_account(ACCOUNT);
    check(&Policies::none(), &cross, ImplicitDeny);
    check(
        &Policies::none().resource(grant("Allow", json!({"AWS": OTHER}), "s3:GetObject", "*")),
        &cross,
        Allow,
    );
    check(
        &Policies::none().resource(grant(
            "Allow",
            json!({"AWS": "arn:aws:iam::222222222222:root"}),
            "s3:GetObject",
            "*",
        )),
        &cross,
        Allow,
    );
}

#[test]
fn anonymous_and_service_callers() {
    let anonymous = || {
        req(
            PrincipalInfo::anonymous(),
            "s3:GetObject",
            "arn:aws:s3:::bucket/k",
        )
    };
    check(&Policies::none(), &anonymous(), ImplicitDeny);
    check(
        &Policies::identity(vec![allow("*", "*")]),
        &anonymous(),
        ImplicitDeny,
    );
    check(
        &Policies::none().resource(grant("Allow", json!("*"), "s3:GetObject", "*")),
        &anonymous(),
        Allow,
    );
    check(
        &Policies::none().resource(grant("Allow", json!({"AWS": "*"}), "s3:GetObject", "*")),
        &anonymous(),
        Allow,
    );
    check(
        &Policies::none().resource(grant("Allow", json!({"AWS": ACCOUNT}), "s3:GetObject", "*")),
        &anonymous(),
        ImplicitDeny,
    );
    let public_but_not_put = Policies::none().resource(doc(json!([
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}
    ])));
    check(
        &public_but_not_put,
        &req(PrincipalInfo::anonymous(), "s3:PutObject", "*"),
        ExplicitDeny,
    );
    let sns = PrincipalInfo::service("sns.amazonaws.com");
    let queue = grant(
        "Allow",
        json!({"Service": "sns.amazonaws.com"}),
        "sqs:SendMessage",
        "*",
    );
    check(
        &Policies::none().resource(queue.clone()),
        &req(sns, "sqs:SendMessage", "*"),
        Allow,
    );
    let s3 = PrincipalInfo::service("s3.amazonaws.com");
    check(
        &Policies::none().resource(queue),
        &req(s3, "sqs:SendMessage", "*"),
        ImplicitDeny,
    );
}

#[test]
fn not_principal() {
    let p = Policies::identity(vec![allow("s3:*", "*")]).resource(doc(json!({
        "Effect": "Deny",
        "NotPrincipal": {"AWS": ["arn:aws:iam::111111111111:user/alice", ACCOUNT]},
        "Action": "s3:*",
        "Resource": "*"
    })));
    check(&p, &req(alice(), "s3:GetObject", "*"), Allow);
    // bob is only covered through the account entry, which NotPrincipal also lists.
    check(&p, &req(bob(), "s3:GetObject", "*"), Allow);
    let q = Policies::identity(vec![allow("s3:*", "*")]).resource(doc(json!({
        "Effect": "Deny",
        "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:user/alice"},
        "Action": "s3:*",
        "Resource": "*"
    })));
    check(&q, &req(alice(), "s3:GetObject", "*"), Allow);
    check(&q, &req(bob(), "s3:GetObject", "*"), ExplicitDeny);
}

fn trust_document(principal: Value, condition: Option<Value>) -> Value {
    let mut statement =
        json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
    if let Some(c) = condition {
        statement["Condition"] = c;
    }
    doc(statement)
}

#[test]
fn trust_policies() {
    let role = "arn:aws:iam::111111111111:role/app";
    let lambda = compile(
        PolicyKind::Trust,
        "trust",
        trust_document(json!({"Service": "lambda.amazonaws.com"}), None),
    );
    let assume = |p: PrincipalInfo| req(p, "sts:AssumeRole", role);
    assert_eq!(
        evaluate_trust(
            &lambda,
            &assume(PrincipalInfo::service("lambda.amazonaws.com"))
        )
        .decision,
        Allow
    );
    assert_eq!(
        evaluate_trust(
            &lambda,
            &assume(PrincipalInfo::service("ec2.amazonaws.com"))
        )
        .decision,
        ImplicitDeny
    );
    assert_eq!(
        evaluate_trust(&lambda, &assume(alice())).decision,
        ImplicitDeny
    );
    assert_eq!(
        evaluate_trust(
            &lambda,
            &req(
                PrincipalInfo::service("lambda.amazonaws.com"),
                "sts:TagSession",
                role
            )
        )
        .decision,
        ImplicitDeny
    );

    // Another account's user, with an external id.
    let carol = PrincipalInfo::user(OTHER, "carol", "AIDACAROLCAROLCAROL1");
    let external = compile(
        PolicyKind::Trust,
        "trust",
        trust_document(
            json!({"AWS": "arn:aws:iam::222222222222:user/carol"}),
            Some(json!({"StringEquals": {"sts:ExternalId": "s3cr3t"}})),
        ),
    );
    let with_id = |id: &str| assume(carol.clone()).with_key("sts:ExternalId", id);
    assert_eq!(
        evaluate_trust(&external, &with_id("s3cr3t")).decision,
        Allow
    );
    assert_eq!(
        evaluate_trust(&external, &with_id("guess")).decision,
        ImplicitDeny
    );
    assert_eq!(
        evaluate_trust(&external, &assume(carol.clone())).decision,
        ImplicitDeny
    );
    // The whole AssumeRole decision: across accounts carol's own policies must allow too.
    let cross = |p: Policies| {
        p.trust(trust_document(
            json!({"AWS": "arn:aws:iam::222222222222:user/carol"}),
            None,
        ))
    };
    let carol_assumes = assume(carol.clone()).with_resource_account(ACCOUNT);
    check(&cross(Policies::none()), &carol_assumes, ImplicitDeny);
    check(
        &cross(Policies::identity(vec![allow("sts:AssumeRole", role)])),
        &carol_assumes,
        Allow,
    );

    // Same account: naming the user trusts it directly; naming the account delegates.
    let direct = Policies::none().trust(trust_document(
        json!({"AWS": "arn:aws:iam::111111111111:user/alice"}),
        None,
    ));
    check(&direct, &assume(alice()), Allow);
    check(&direct, &assume(bob()), ImplicitDeny);
    let account = || Policies::none().trust(trust_document(json!({"AWS": ACCOUNT}), None));
    check(&account(), &assume(alice()), ImplicitDeny);
    let mut delegated = account();
    delegated.identity = Policies::identity(vec![allow("sts:AssumeRole", "*")]).identity;
    check(&delegated, &assume(alice()), Allow);
    let trusted = compile(
        PolicyKind::Trust,
        "trust",
        trust_document(json!({"AWS": ACCOUNT}), None),
    );
    assert_eq!(evaluate_trust(&trusted, &assume(alice())).decision, Allow);

    // Role chaining: a trust policy naming another role trusts its sessions.
    let chained = compile(
        PolicyKind::Trust,
        "trust",
        trust_document(json!({"AWS": "arn:aws:iam::111111111111:role/app"}), None),
    );
    assert_eq!(evaluate_trust(&chained, &assume(session())).decision, Allow);

    // Web identity callers are named by their provider.
    let web = compile(
        PolicyKind::Trust,
        "trust",
        doc(
            json!({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}),
        ),
    );
    let caller = |provider: &str| PrincipalInfo {
        kind: PrincipalKind::WebIdentity {
            provider: provider.to_string(),
        },
        ..PrincipalInfo::anonymous()
    };
    let web_assume = |provider: &str| req(caller(provider), "sts:AssumeRoleWithWebIdentity", role);
    assert_eq!(
        evaluate_trust(&web, &web_assume("cognito-identity.amazonaws.com")).decision,
        Allow
    );
    assert_eq!(
        evaluate_trust(&web, &web_assume("accounts.google.com")).decision,
        ImplicitDeny
    );

    // A deny in the trust policy.
    let denied = compile(
        PolicyKind::Trust,
        "trust",
        doc(json!([
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111111111111:user/bob"}, "Action": "sts:AssumeRole"}
        ])),
    );
    assert_eq!(evaluate_trust(&denied, &assume(alice())).decision, Allow);
    assert_eq!(
        evaluate_trust(&denied, &assume(bob())).decision,
        ExplicitDeny
    );
}

#[test]
fn simulation_details() {
    let document = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\"Sid\": \"B\", \"Effect\": \"Allow\", \"Action\": \"s3:Get*\", \"Resource\": \"*\", \"Condition\": {\"StringEquals\": {\"s3:ExistingObjectTag/Team\": \"blue\"}}}\n  ]\n}";
    let policy = match Policy::parse(document, PolicyKind::Identity) {
        Ok(p) => Arc::new(p.with_id("MyPolicy")),
        Err(e) => panic!("{e}"),
    };
    let identity = [policy];
    let boundary = compile(PolicyKind::Identity, "boundary", allow("s3:*", "*"));
    let set = PolicySet {
        identity: &identity,
        permissions_boundary: Some(&boundary),
        ..PolicySet::default()
    };
    let r = req(alice(), "s3:GetObject", "*");
    let s = simulate(&set, &r);
    assert_eq!(s.decision, Allow);
    assert_eq!(
        s.missing_context_keys,
        vec!["s3:ExistingObjectTag/Team".to_string()]
    );
    assert_eq!(s.permissions_boundary_allows, Some(true));
    let sids: Vec<_> = s
        .matched_statements
        .iter()
        .map(|m| (m.policy_id(), m.sid()))
        .collect();
    assert_eq!(sids, vec![("MyPolicy", Some("A"))]);
    let (start, end) = s.matched_statements[0]
        .position()
        .expect("positions are known");
    // IAM counts a listed statement from just after the `[` before it.
    assert_eq!((start.line, start.column, end.line), (3, 17, 4));
    let r = r.with_key("s3:ExistingObjectTag/Team", "blue");
    let s = simulate(&set, &r);
    assert_eq!(s.matched_statements.len(), 2);
    assert!(s.missing_context_keys.is_empty());
    let s = simulate(&set, &req(alice(), "ec2:RunInstances", "*"));
    assert_eq!((s.decision, s.matched_statements.len()), (ImplicitDeny, 0));
    assert_eq!(s.permissions_boundary_allows, Some(false));
}

#[test]
fn global_keys() {
    let tagged = alice().with_tags(vec![("Team".to_string(), "blue".to_string())]);
    let r = req(tagged, "s3:GetObject", "*").with_global_keys(&env());
    let get = |k: &str| r.context.get(k).map(|v| v.join(","));
    assert_eq!(
        get("aws:CurrentTime").as_deref(),
        Some("2024-05-01T12:00:00Z")
    );
    assert_eq!(get("aws:EpochTime").as_deref(), Some("1714564800"));
    assert_eq!(get("aws:SourceIp").as_deref(), Some("203.0.113.7"));
    assert_eq!(get("aws:SecureTransport").as_deref(), Some("true"));
    assert_eq!(get("aws:RequestedRegion").as_deref(), Some("us-east-1"));
    assert_eq!(
        get("aws:PrincipalArn").as_deref(),
        Some("arn:aws:iam::111111111111:user/alice")
    );
    assert_eq!(get("aws:PrincipalAccount").as_deref(), Some(ACCOUNT));
    assert_eq!(get("aws:PrincipalType").as_deref(), Some("User"));
    assert_eq!(get("aws:username").as_deref(), Some("alice"));
    assert_eq!(get("aws:userid").as_deref(), Some("AIDAALICEALICEALICE1"));
    assert_eq!(get("AWS:PRINCIPALTAG/team").as_deref(), Some("blue"));
    let s = req(session(), "s3:GetObject", "*").with_global_keys(&env());
    assert_eq!(
        s.context.get("aws:PrincipalArn").map(|v| v[0].as_str()),
        Some("arn:aws:iam::111111111111:role/app")
    );
    assert_eq!(
        s.context.get("aws:userid").map(|v| v[0].as_str()),
        Some("AROAAPPAPPAPPAPPAPP1:s1")
    );
    assert_eq!(s.context.get("aws:username"), None);
    assert!(matches!(
        s.principal.kind,
        PrincipalKind::AssumedRole { .. }
    ));
}
