//! The cost of one decision for a user with 10 attached policies of 10 statements each (mixed
//! actions, resources and conditions; the allowing statement is the very last one), printed in
//! nanoseconds per decision for an allow and for an implicit deny.
//!
//! `cargo run --release -p gureum-iam-policy --example decision_cost`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Instant;

use gureum_iam_policy::{
    AuthzRequest, Decision, Environment, Policy, PolicyKind, PolicySet, PrincipalInfo, evaluate,
};
use serde_json::{Value, json};

const DECISIONS: u32 = 200_000;

/// Statement `s` of policy `p`: services, resources and conditions vary; some statements are
/// denies (so no policy can be skipped once an allow is found).
fn statement(p: usize, s: usize) -> Value {
    let services = [
        "ec2", "dynamodb", "sqs", "s3", "kms", "lambda", "iam", "logs", "sns", "s3",
    ];
    let service = services[(p + s) % services.len()];
    let (actions, resource) = match service {
        "s3" => (
            json!([format!("s3:Put*"), format!("s3:GetBucket{}", s)]),
            json!(format!("arn:aws:s3:::bucket-{p}-{s}/*")),
        ),
        "ec2" => (
            json!(["ec2:Describe*", "ec2:StartInstances", "ec2:StopInstances"]),
            json!(format!("arn:aws:ec2:*:111111111111:instance/i-{p}{s}")),
        ),
        "dynamodb" => (
            json!(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"]),
            json!(format!(
                "arn:aws:dynamodb:us-east-1:111111111111:table/t{p}{s}"
            )),
        ),
        "iam" => (
            json!(["iam:Get*", "iam:List*"]),
            json!(format!("arn:aws:iam::111111111111:user/u{p}{s}")),
        ),
        _ => (
            json!([format!("{service}:*")]),
            json!([
                format!("arn:aws:{service}:us-east-1:111111111111:thing-{p}-{s}"),
                format!("arn:aws:{service}:us-west-2:111111111111:*")
            ]),
        ),
    };
    let mut st = json!({
        "Sid": format!("P{p}S{s}"),
        "Effect": if s == 7 { "Deny" } else { "Allow" },
        "Action": actions,
        "Resource": resource,
    });
    match s % 4 {
        1 => {
            st["Condition"] =
                json!({"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}})
        }
        2 => {
            st["Condition"] =
                json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}})
        }
        3 => {
            st["Condition"] = json!({"Bool": {"aws:SecureTransport": "true"}, "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
        }
        _ => {}
    }
    st
}

fn policies() -> Vec<Arc<Policy>> {
    (0..10)
        .map(|p| {
            let mut statements: Vec<Value> = (0..10).map(|s| statement(p, s)).collect();
            if p == 9 {
                statements[9] = json!({
                    "Sid": "ReadReports",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                    "Resource": "arn:aws:s3:::data-bucket/reports/${aws:username}/*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}, "Bool": {"aws:SecureTransport": "true"}}
                });
            }
            let document = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
            match Policy::parse(&document, PolicyKind::Identity) {
                Ok(policy) => Arc::new(policy.with_id(format!("policy{p}"))),
                Err(e) => panic!("policy {p} refused: {e}"),
            }
        })
        .collect()
}

fn measure(set: &PolicySet<'_>, request: &AuthzRequest, expect: Decision) -> f64 {
    assert_eq!(evaluate(set, request).decision, expect);
    // Warm up, then time.
    for _ in 0..DECISIONS / 10 {
        black_box(evaluate(black_box(set), black_box(request)));
    }
    let start = Instant::now();
    for _ in 0..DECISIONS {
        black_box(evaluate(black_box(set), black_box(request)));
    }
    start.elapsed().as_nanos() as f64 / DECISIONS as f64
}

fn main() {
    let identity = policies();
    let set = PolicySet {
        identity: &identity,
        ..PolicySet::default()
    };
    let environment = Environment {
        now: time::macros::datetime!(2024-05-01 12:00:00 UTC),
        source_ip: Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7))),
        region: "us-east-1".to_string(),
        secure_transport: true,
    };
    let alice = PrincipalInfo::user("111111111111", "alice", "AIDAALICEALICEALICE1");
    let resource = "arn:aws:s3:::data-bucket/reports/alice/2024.csv";
    let allowed =
        AuthzRequest::new(alice.clone(), "s3:GetObject", resource).with_global_keys(&environment);
    let denied =
        AuthzRequest::new(alice, "s3:DeleteObject", resource).with_global_keys(&environment);

    let allow_ns = measure(&set, &allowed, Decision::Allow);
    let deny_ns = measure(&set, &denied, Decision::ImplicitDeny);
    println!("10 policies x 10 statements, {DECISIONS} decisions each");
    println!("allow (last statement decides): {allow_ns:.0} ns/decision");
    println!("implicit deny:                  {deny_ns:.0} ns/decision");
}
