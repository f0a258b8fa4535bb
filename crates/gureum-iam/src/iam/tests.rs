//! The IAM service driven through `Service::call` on an ephemeral store: each case is an
//! operation, its input, and the outcome (output fields or an error code).

use gureum_core::{Clock, OperationInput, Principal, RequestContext, Service};
use gureum_store::Storage;
use serde_json::{Value, json};

use super::Iam;

fn ctx(account: &str) -> RequestContext {
    RequestContext {
        request_id: "r".into(),
        region: "us-east-1".into(),
        principal: Principal::root(account),
        access_key_id: "test".into(),
        clock: Clock::new(),
        service: "iam",
        operation: String::new(),
        source_ip: None,
        secure_transport: false,
    }
}

/// Handlers never await, so one poll completes them.
fn run(iam: &Iam, ctx: &RequestContext, op: &str, params: Value) -> Result<Value, (String, u16)> {
    use std::task::{Context, Poll, Waker};
    let mut fut = std::pin::pin!(iam.call(
        ctx,
        op,
        OperationInput {
            params,
            payload: None,
            stream: None
        }
    ));
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(out)) => Ok(out.params),
        Poll::Ready(Err(e)) => Err((e.code.to_string(), e.status)),
        Poll::Pending => panic!("{op} did not complete"),
    }
}

/// Runs `steps` in order; each expects success (`Ok` with fields that must match) or an error
/// code.
fn check(iam: &Iam, ctx: &RequestContext, steps: &[(&str, Value, Result<Value, &str>)]) {
    for (i, (op, params, want)) in steps.iter().enumerate() {
        let got = run(iam, ctx, op, params.clone());
        match (want, got) {
            (Ok(fields), Ok(out)) => {
                for (path, value) in fields.as_object().into_iter().flatten() {
                    let found = path.split('.').fold(&out, |v, k| match k.parse::<usize>() {
                        Ok(n) => &v[n],
                        Err(_) => &v[k],
                    });
                    assert_eq!(found, value, "step {i} {op}: {path} in {out}");
                }
            }
            (Err(code), Err((got, _))) => assert_eq!(got, *code, "step {i} {op}"),
            (want, got) => panic!("step {i} {op}: wanted {want:?}, got {got:?}"),
        }
    }
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const S3_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#;

#[test]
fn users_groups_and_conflicts() {
    let iam = Iam::new(Storage::ephemeral());
    let c = ctx("111111111111");
    check(
        &iam,
        &c,
        &[
            (
                "CreateUser",
                json!({"UserName": "alice", "Path": "/eng/"}),
                Ok(json!({"User.Arn": "arn:aws:iam::111111111111:user/eng/alice"})),
            ),
            (
                "CreateUser",
                json!({"UserName": "ALICE"}),
                Err("EntityAlreadyExists"),
            ),
            (
                "CreateUser",
                json!({"UserName": "bad name"}),
                Err("ValidationError"),
            ),
            (
                "CreateUser",
                json!({"UserName": "bob", "Path": "eng"}),
                Err("ValidationError"),
            ),
            (
                "GetUser",
                json!({"UserName": "Alice"}),
                Ok(json!({"User.UserName": "alice"})),
            ),
            (
                "GetUser",
                json!({"UserName": "nobody"}),
                Err("NoSuchEntity"),
            ),
            (
                "GetUser",
                json!({}),
                Ok(
                    json!({"User.Arn": "arn:aws:iam::111111111111:root", "User.UserId": "111111111111"}),
                ),
            ),
            (
                "CreateGroup",
                json!({"GroupName": "devs"}),
                Ok(json!({"Group.GroupName": "devs"})),
            ),
            (
                "AddUserToGroup",
                json!({"GroupName": "devs", "UserName": "alice"}),
                Ok(json!({})),
            ),
            (
                "AddUserToGroup",
                json!({"GroupName": "devs", "UserName": "alice"}),
                Ok(json!({})),
            ),
            (
                "GetGroup",
                json!({"GroupName": "devs"}),
                Ok(json!({"Users.0.UserName": "alice", "IsTruncated": false})),
            ),
            (
                "DeleteGroup",
                json!({"GroupName": "devs"}),
                Err("DeleteConflict"),
            ),
            (
                "DeleteUser",
                json!({"UserName": "alice"}),
                Err("DeleteConflict"),
            ),
            (
                "UpdateUser",
                json!({"UserName": "alice", "NewUserName": "alicia"}),
                Ok(json!({})),
            ),
            (
                "ListGroupsForUser",
                json!({"UserName": "alicia"}),
                Ok(json!({"Groups.0.GroupName": "devs"})),
            ),
            (
                "GetGroup",
                json!({"GroupName": "devs"}),
                Ok(json!({"Users.0.UserName": "alicia"})),
            ),
            (
                "RemoveUserFromGroup",
                json!({"GroupName": "devs", "UserName": "alicia"}),
                Ok(json!({})),
            ),
            (
                "RemoveUserFromGroup",
                json!({"GroupName": "devs", "UserName": "alicia"}),
                Err("NoSuchEntity"),
            ),
            ("DeleteUser", json!({"UserName": "alicia"}), Ok(json!({}))),
            ("DeleteGroup", json!({"GroupName": "devs"}), Ok(json!({}))),
            (
                "ListUsers",
                json!({}),
                Ok(json!({"Users": [], "IsTruncated": false})),
            ),
        ],
    );
}

#[test]
fn managed_policies_versions_and_attachments() {
    let iam = Iam::new(Storage::ephemeral());
    let c = ctx("111111111111");
    let arn = "arn:aws:iam::111111111111:policy/team/read";
    let mut steps = vec![
        (
            "CreatePolicy",
            json!({"PolicyName": "read", "Path": "/team/", "PolicyDocument": S3_READ}),
            Ok(json!({"Policy.Arn": arn, "Policy.DefaultVersionId": "v1"})),
        ),
        (
            "CreatePolicy",
            json!({"PolicyName": "READ", "PolicyDocument": S3_READ}),
            Err("EntityAlreadyExists"),
        ),
        (
            "CreatePolicy",
            json!({"PolicyName": "bad", "PolicyDocument": "{}"}),
            Err("MalformedPolicyDocument"),
        ),
        (
            "GetPolicy",
            json!({"PolicyArn": "arn:aws:iam::111111111111:policy/read"}),
            Err("NoSuchEntity"),
        ),
        (
            "GetPolicy",
            json!({"PolicyArn": "not-an-arn"}),
            Err("InvalidInput"),
        ),
        ("CreateUser", json!({"UserName": "u"}), Ok(json!({}))),
        (
            "AttachUserPolicy",
            json!({"UserName": "u", "PolicyArn": arn}),
            Ok(json!({})),
        ),
        (
            "AttachUserPolicy",
            json!({"UserName": "u", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
            Ok(json!({})),
        ),
        (
            "AttachUserPolicy",
            json!({"UserName": "u", "PolicyArn": "arn:aws:iam::aws:policy/NoSuch"}),
            Err("NoSuchEntity"),
        ),
        (
            "GetPolicy",
            json!({"PolicyArn": arn}),
            Ok(json!({"Policy.AttachmentCount": 1})),
        ),
        (
            "ListEntitiesForPolicy",
            json!({"PolicyArn": arn}),
            Ok(json!({"PolicyUsers.0.UserName": "u"})),
        ),
        (
            "DeletePolicy",
            json!({"PolicyArn": arn}),
            Err("DeleteConflict"),
        ),
        (
            "DetachUserPolicy",
            json!({"UserName": "u", "PolicyArn": arn}),
            Ok(json!({})),
        ),
        (
            "DetachUserPolicy",
            json!({"UserName": "u", "PolicyArn": arn}),
            Err("NoSuchEntity"),
        ),
    ];
    for v in 2..=5 {
        steps.push((
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": S3_READ, "SetAsDefault": v == 3}),
            Ok(json!({"PolicyVersion.VersionId": format!("v{v}")})),
        ));
    }
    steps.extend([
        (
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": S3_READ}),
            Err("LimitExceeded"),
        ),
        (
            "DeletePolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "v3"}),
            Err("DeleteConflict"),
        ),
        (
            "GetPolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "v3"}),
            Ok(json!({"PolicyVersion.IsDefaultVersion": true})),
        ),
        (
            "GetPolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "v9"}),
            Err("NoSuchEntity"),
        ),
        (
            "GetPolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "x"}),
            Err("ValidationError"),
        ),
        (
            "DeletePolicy",
            json!({"PolicyArn": arn}),
            Err("DeleteConflict"),
        ),
        (
            "DeletePolicy",
            json!({"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
            Err("AccessDenied"),
        ),
    ]);
    for v in [1, 2, 4, 5] {
        steps.push((
            "DeletePolicyVersion",
            json!({"PolicyArn": arn, "VersionId": format!("v{v}")}),
            Ok(json!({})),
        ));
    }
    steps.extend([
        ("DeletePolicy", json!({"PolicyArn": arn}), Ok(json!({}))),
        ("ListAttachedUserPolicies", json!({"UserName": "u"}), Ok(json!({"AttachedPolicies": [{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}))),
    ]);
    check(&iam, &c, &steps);
}

#[test]
fn attach_quota_is_ten() {
    let iam = Iam::new(Storage::ephemeral());
    let c = ctx("111111111111");
    run(
        &iam,
        &c,
        "CreateRole",
        json!({"RoleName": "r", "AssumeRolePolicyDocument": TRUST}),
    )
    .unwrap();
    for p in crate::managed::all().iter().take(10) {
        run(
            &iam,
            &c,
            "AttachRolePolicy",
            json!({"RoleName": "r", "PolicyArn": p.arn()}),
        )
        .unwrap();
    }
    let eleventh = crate::managed::all()[10].arn();
    assert_eq!(
        run(
            &iam,
            &c,
            "AttachRolePolicy",
            json!({"RoleName": "r", "PolicyArn": eleventh})
        )
        .unwrap_err(),
        ("LimitExceeded".to_string(), 409)
    );
}

#[test]
fn roles_instance_profiles_and_service_linked_roles() {
    let iam = Iam::new(Storage::ephemeral());
    let c = ctx("111111111111");
    check(
        &iam,
        &c,
        &[
            (
                "CreateRole",
                json!({"RoleName": "web", "AssumeRolePolicyDocument": TRUST, "MaxSessionDuration": 7200}),
                Ok(json!({"Role.MaxSessionDuration": 7200})),
            ),
            (
                "CreateRole",
                json!({"RoleName": "bad", "AssumeRolePolicyDocument": S3_READ}),
                Err("MalformedPolicyDocument"),
            ),
            (
                "CreateInstanceProfile",
                json!({"InstanceProfileName": "web"}),
                Ok(json!({"InstanceProfile.Roles": []})),
            ),
            (
                "AddRoleToInstanceProfile",
                json!({"InstanceProfileName": "web", "RoleName": "web"}),
                Ok(json!({})),
            ),
            (
                "AddRoleToInstanceProfile",
                json!({"InstanceProfileName": "web", "RoleName": "web"}),
                Err("LimitExceeded"),
            ),
            (
                "GetInstanceProfile",
                json!({"InstanceProfileName": "web"}),
                Ok(json!({"InstanceProfile.Roles.0.RoleName": "web"})),
            ),
            (
                "DeleteRole",
                json!({"RoleName": "web"}),
                Err("DeleteConflict"),
            ),
            (
                "DeleteInstanceProfile",
                json!({"InstanceProfileName": "web"}),
                Err("DeleteConflict"),
            ),
            (
                "RemoveRoleFromInstanceProfile",
                json!({"InstanceProfileName": "web", "RoleName": "web"}),
                Ok(json!({})),
            ),
            (
                "PutRolePolicy",
                json!({"RoleName": "web", "PolicyName": "p", "PolicyDocument": S3_READ}),
                Ok(json!({})),
            ),
            (
                "DeleteRole",
                json!({"RoleName": "web"}),
                Err("DeleteConflict"),
            ),
            (
                "DeleteRolePolicy",
                json!({"RoleName": "web", "PolicyName": "p"}),
                Ok(json!({})),
            ),
            ("DeleteRole", json!({"RoleName": "web"}), Ok(json!({}))),
            (
                "CreateServiceLinkedRole",
                json!({"AWSServiceName": "autoscaling.amazonaws.com"}),
                Ok(
                    json!({"Role.RoleName": "AWSServiceRoleForAutoScaling", "Role.Path": "/aws-service-role/autoscaling.amazonaws.com/"}),
                ),
            ),
            (
                "CreateServiceLinkedRole",
                json!({"AWSServiceName": "autoscaling.amazonaws.com"}),
                Err("InvalidInput"),
            ),
            (
                "DeleteRole",
                json!({"RoleName": "AWSServiceRoleForAutoScaling"}),
                Err("UnmodifiableEntity"),
            ),
            (
                "AttachRolePolicy",
                json!({"RoleName": "AWSServiceRoleForAutoScaling", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
                Err("UnmodifiableEntity"),
            ),
        ],
    );
    let task = run(
        &iam,
        &c,
        "DeleteServiceLinkedRole",
        json!({"RoleName": "AWSServiceRoleForAutoScaling"}),
    )
    .unwrap();
    let id = task["DeletionTaskId"].as_str().unwrap();
    assert!(id.starts_with(
        "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/"
    ));
    check(
        &iam,
        &c,
        &[
            (
                "GetServiceLinkedRoleDeletionStatus",
                json!({"DeletionTaskId": id}),
                Ok(json!({"Status": "SUCCEEDED"})),
            ),
            (
                "GetRole",
                json!({"RoleName": "AWSServiceRoleForAutoScaling"}),
                Err("NoSuchEntity"),
            ),
        ],
    );
}

#[test]
fn accounts_are_isolated() {
    let iam = Iam::new(Storage::ephemeral());
    let a = ctx("111111111111");
    let b = ctx("222222222222");
    run(&iam, &a, "CreateUser", json!({"UserName": "shared"})).unwrap();
    run(
        &iam,
        &a,
        "CreatePolicy",
        json!({"PolicyName": "p", "PolicyDocument": S3_READ}),
    )
    .unwrap();
    assert_eq!(
        run(&iam, &b, "GetUser", json!({"UserName": "shared"}))
            .unwrap_err()
            .0,
        "NoSuchEntity"
    );
    assert_eq!(
        run(&iam, &b, "ListUsers", json!({})).unwrap()["Users"],
        json!([])
    );
    run(&iam, &b, "CreateUser", json!({"UserName": "shared"})).unwrap();
    // Another account's policy is not attachable.
    let err = run(
        &iam,
        &b,
        "AttachUserPolicy",
        json!({"UserName": "shared", "PolicyArn": "arn:aws:iam::111111111111:policy/p"}),
    )
    .unwrap_err();
    assert_eq!(err, ("NoSuchEntity".to_string(), 404));
    let local = run(&iam, &b, "ListPolicies", json!({"Scope": "Local"})).unwrap();
    assert_eq!(local["Policies"], json!([]));
}

#[test]
fn every_listed_operation_is_in_the_model() {
    let model = gureum_model_ops();
    for (op, _) in super::OPERATIONS {
        assert!(
            model.contains(&op.to_string()),
            "{op} is not an IAM operation"
        );
    }
}

fn gureum_model_ops() -> Vec<String> {
    let text = include_str!("../../../gureum-model/models/iam.json");
    let v: Value = serde_json::from_str(text).unwrap();
    v["operations"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn requests_name_the_entity_they_act_on() {
    let iam = Iam::new(Storage::ephemeral());
    let c = ctx("111111111111");
    run(
        &iam,
        &c,
        "CreateUser",
        json!({"UserName": "dev", "Path": "/eng/"}),
    )
    .unwrap();
    let target = |op: &str, params: Value| {
        let t = iam.authz_targets(
            &c,
            op,
            &OperationInput {
                params,
                payload: None,
                stream: None,
            },
        );
        assert_eq!(t.len(), 1);
        (t[0].action.clone(), t[0].resource.clone())
    };
    let cases = [
        (
            "GetUser",
            json!({"UserName": "DEV"}),
            "iam:GetUser",
            "arn:aws:iam::111111111111:user/eng/dev",
        ),
        (
            "CreateUser",
            json!({"UserName": "new", "Path": "/x/"}),
            "iam:CreateUser",
            "arn:aws:iam::111111111111:user/x/new",
        ),
        (
            "AddUserToGroup",
            json!({"UserName": "dev", "GroupName": "g"}),
            "iam:AddUserToGroup",
            "arn:aws:iam::111111111111:group/g",
        ),
        (
            "AttachRolePolicy",
            json!({"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
            "iam:AttachRolePolicy",
            "arn:aws:iam::111111111111:role/r",
        ),
        (
            "GetPolicy",
            json!({"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
            "iam:GetPolicy",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ),
        (
            "CreatePolicy",
            json!({"PolicyName": "p", "Path": "/t/"}),
            "iam:CreatePolicy",
            "arn:aws:iam::111111111111:policy/t/p",
        ),
        (
            "AddRoleToInstanceProfile",
            json!({"RoleName": "r", "InstanceProfileName": "ip"}),
            "iam:AddRoleToInstanceProfile",
            "arn:aws:iam::111111111111:instance-profile/ip",
        ),
        ("ListUsers", json!({}), "iam:ListUsers", "*"),
    ];
    for (op, params, action, resource) in cases {
        assert_eq!(
            target(op, params),
            (action.to_string(), resource.to_string()),
            "{op}"
        );
    }
}

#[test]
fn an_iam_user_acts_on_itself_without_naming_itself() {
    let iam = Iam::new(Storage::ephemeral());
    let root = ctx("111111111111");
    run(
        &iam,
        &root,
        "CreateUser",
        json!({"UserName": "dev", "Path": "/eng/"}),
    )
    .unwrap();
    run(
        &iam,
        &root,
        "CreateLoginProfile",
        json!({"UserName": "dev", "Password": "First-Passw0rd"}),
    )
    .unwrap();
    let mut me = ctx("111111111111");
    me.principal = Principal {
        account_id: "111111111111".into(),
        arn: "arn:aws:iam::111111111111:user/eng/dev".into(),
        user_id: "AIDAEXAMPLE".into(),
        kind: gureum_core::PrincipalKind::User { name: "dev".into() },
    };
    check(
        &iam,
        &me,
        &[
            (
                "GetUser",
                json!({}),
                Ok(json!({"User.UserName": "dev", "User.Path": "/eng/"})),
            ),
            (
                "CreateAccessKey",
                json!({}),
                Ok(json!({"AccessKey.UserName": "dev"})),
            ),
            (
                "ChangePassword",
                json!({"OldPassword": "wrong", "NewPassword": "Second-Passw0rd"}),
                Err("AccessDenied"),
            ),
            (
                "ChangePassword",
                json!({"OldPassword": "First-Passw0rd", "NewPassword": "weak"}),
                Err("PasswordPolicyViolation"),
            ),
            (
                "ChangePassword",
                json!({"OldPassword": "First-Passw0rd", "NewPassword": "Second-Passw0rd"}),
                Ok(json!({})),
            ),
            (
                "ChangePassword",
                json!({"OldPassword": "First-Passw0rd", "NewPassword": "Third-Passw0rd"}),
                Err("AccessDenied"),
            ),
            (
                "GetLoginProfile",
                json!({}),
                Ok(json!({"LoginProfile.UserName": "dev"})),
            ),
        ],
    );
    assert_eq!(
        run(&iam, &me, "ListAccessKeys", json!({})).unwrap()["AccessKeyMetadata"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    check(
        &iam,
        &root,
        &[(
            "ChangePassword",
            json!({"OldPassword": "a", "NewPassword": "b"}),
            Err("InvalidUserType"),
        )],
    );
}
