"""The IAM policy simulator through the official clients: SimulatePrincipalPolicy over a user's
attached, inline and group policies (and a group's and a role's), permissions boundaries,
context entries that drive conditions, SimulateCustomPolicy with several documents and a
resource policy, pagination, the errors IAM answers, who may simulate, and the aws CLI.

Tests share one server, so each works under its own names."""
import json
import uuid

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def stmt(action, resource="*", effect="Allow", **extra):
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def fails(call, code, message=None):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    err = e.value.response["Error"]
    assert err["Code"] == code, err
    if message is not None:
        assert err["Message"] == message
    return e.value.response


def by_action(response):
    return {r["EvalActionName"]: r for r in response["EvaluationResults"]}


def sources(result):
    return [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in result["MatchedStatements"]]


@pytest.fixture
def iam(gureum):
    return gureum.client("iam")


@pytest.fixture
def tag():
    return uuid.uuid4().hex[:8]


# --- SimulatePrincipalPolicy -------------------------------------------------------------------

PRETTY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]},
    indent=2,
)


def test_user_policies_attached_inline_and_through_groups(iam, tag):
    user, group = f"sim-user-{tag}", f"sim-group-{tag}"
    arn = iam.create_user(UserName=user, Path="/team/")["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=PRETTY)
    managed = iam.create_policy(
        PolicyName=f"guard-{tag}",
        PolicyDocument=doc(stmt("s3:ListBucket"), stmt("s3:DeleteObject", effect="Deny")),
    )["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=managed)
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="queue", PolicyDocument=doc(stmt("sqs:SendMessage")))
    iam.add_user_to_group(GroupName=group, UserName=user)

    out = iam.simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["s3:GetObject", "s3:ListBucket", "sqs:SendMessage", "s3:DeleteObject", "ec2:RunInstances"],
    )
    assert out["IsTruncated"] is False
    results = by_action(out)
    assert {a: r["EvalDecision"] for a, r in results.items()} == {
        "s3:GetObject": "implicitDeny",  # the inline policy is about data/* only
        "s3:ListBucket": "allowed",
        "sqs:SendMessage": "allowed",
        "s3:DeleteObject": "explicitDeny",
        "ec2:RunInstances": "implicitDeny",
    }
    assert sources(results["s3:ListBucket"]) == [(f"guard-{tag}", "IAM Policy")]
    assert sources(results["sqs:SendMessage"]) == [(f"group_{group}_queue", "IAM Policy")]
    assert sources(results["s3:DeleteObject"]) == [(f"guard-{tag}", "IAM Policy")]
    assert results["ec2:RunInstances"]["MatchedStatements"] == []
    assert all(r["EvalResourceName"] == "*" for r in results.values())
    assert "ResourceSpecificResults" not in results["s3:ListBucket"]

    # On the object the inline policy names, with IAM's positions for a pretty document: from
    # just after the "[" to just after the statement's "}".
    out = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::data/report.csv"])
    (result,) = out["EvaluationResults"]
    assert result["EvalDecision"] == "allowed"
    assert result["EvalResourceName"] == "arn:aws:s3:::data/report.csv"
    (matched,) = result["MatchedStatements"]
    assert matched == {
        "SourcePolicyId": f"user_{user}_read",
        "SourcePolicyType": "IAM Policy",
        "StartPosition": {"Line": 3, "Column": 17},
        "EndPosition": {"Line": 9, "Column": 6},
    }
    assert result["EvalDecisionDetails"] == {}
    (specific,) = result["ResourceSpecificResults"]
    assert specific["EvalResourceName"] == "arn:aws:s3:::data/report.csv"
    assert specific["EvalResourceDecision"] == "allowed"
    assert specific["MatchedStatements"] == [matched]

    # Extra identity policies count with the stored ones.
    out = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["ec2:RunInstances"], PolicyInputList=[doc(stmt("ec2:*"))]
    )
    assert sources(out["EvaluationResults"][0]) == [("PolicyInputList.1", "IAM Policy")]

    # A group is simulated with its own policies only.
    group_arn = f"arn:aws:iam::{ACCOUNT}:group/{group}"
    results = by_action(iam.simulate_principal_policy(PolicySourceArn=group_arn, ActionNames=["sqs:SendMessage", "s3:ListBucket"]))
    assert results["sqs:SendMessage"]["EvalDecision"] == "allowed"
    assert results["s3:ListBucket"]["EvalDecision"] == "implicitDeny"


def test_roles_and_permissions_boundaries(iam, tag):
    role = f"sim-role-{tag}"
    trust = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="s3", PolicyDocument=doc(stmt("s3:*")))
    boundary = iam.create_policy(PolicyName=f"reads-{tag}", PolicyDocument=doc(stmt("s3:Get*")))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)

    results = by_action(iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=["s3:GetObject", "s3:PutObject"]))
    assert results["s3:GetObject"]["EvalDecision"] == "allowed"
    assert sources(results["s3:GetObject"]) == [(f"role_{role}_s3", "IAM Policy")]
    assert results["s3:GetObject"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert results["s3:PutObject"]["EvalDecision"] == "implicitDeny"
    assert results["s3:PutObject"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}

    # A supplied boundary replaces the role's for this simulation.
    results = by_action(
        iam.simulate_principal_policy(
            PolicySourceArn=role_arn,
            ActionNames=["s3:GetObject", "s3:PutObject"],
            PermissionsBoundaryPolicyInputList=[doc(stmt("s3:PutObject"), stmt("s3:GetObject", effect="Deny"))],
        )
    )
    assert results["s3:PutObject"]["EvalDecision"] == "allowed"
    assert results["s3:GetObject"]["EvalDecision"] == "explicitDeny"
    assert sources(results["s3:GetObject"]) == [("PermissionsBoundaryPolicyInputList.1", "Permissions Boundary Policy")]

    # The stored boundary is still the role's.
    after = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=["s3:PutObject"])
    assert after["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    fails(
        lambda: iam.simulate_custom_policy(
            PolicyInputList=[doc(stmt("s3:*"))], ActionNames=["s3:GetObject"], PermissionsBoundaryPolicyInputList=[doc(stmt("s3:*"))] * 2
        ),
        "InvalidInput",
        "The list of Permissions Boundary policies cannot exceed 1 items.",
    )


def test_context_entries_drive_conditions(iam):
    from_office = doc(stmt("s3:GetObject", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    tiered = doc(stmt("dynamodb:Query", Condition={"StringEquals": {"myapp:tier": ["gold", "silver"]}}))
    after_launch = doc(stmt("ec2:StartInstances", Condition={"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}))

    def simulate(entries):
        return by_action(
            iam.simulate_custom_policy(
                PolicyInputList=[from_office, tiered, after_launch],
                ActionNames=["s3:GetObject", "dynamodb:Query", "ec2:StartInstances"],
                ContextEntries=entries,
            )
        )

    # Nothing comes from the real request: the keys are missing.
    results = simulate([])
    assert {a: r["EvalDecision"] for a, r in results.items()} == {
        "s3:GetObject": "implicitDeny",
        "dynamodb:Query": "implicitDeny",
        "ec2:StartInstances": "implicitDeny",
    }
    assert results["s3:GetObject"]["MissingContextValues"] == ["aws:SourceIp"]
    assert results["dynamodb:Query"]["MissingContextValues"] == ["myapp:tier"]
    assert results["ec2:StartInstances"]["MissingContextValues"] == ["aws:CurrentTime"]

    results = simulate(
        [
            {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.7"], "ContextKeyType": "ip"},
            {"ContextKeyName": "myapp:tier", "ContextKeyValues": ["gold"], "ContextKeyType": "string"},
            {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2031-06-01T12:00:00Z"], "ContextKeyType": "date"},
        ]
    )
    assert {a: r["EvalDecision"] for a, r in results.items()} == {
        "s3:GetObject": "allowed",
        "dynamodb:Query": "allowed",
        "ec2:StartInstances": "allowed",
    }
    assert all(r["MissingContextValues"] == [] for r in results.values())

    results = simulate(
        [
            {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["198.51.100.1"], "ContextKeyType": "ip"},
            {"ContextKeyName": "MyApp:Tier", "ContextKeyValues": ["bronze"], "ContextKeyType": "string"},
        ]
    )
    assert results["s3:GetObject"]["EvalDecision"] == "implicitDeny"
    assert results["s3:GetObject"]["MissingContextValues"] == []
    assert results["dynamodb:Query"]["EvalDecision"] == "implicitDeny"

    # Values are checked against their type.
    bad = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["999.1.1.1"], "ContextKeyType": "ip"}]
    fails(lambda: simulate(bad), "InvalidInput", "Invalid context value for key aws:SourceIp: expected IP address.")
    two = [{"ContextKeyName": "myapp:tier", "ContextKeyValues": ["a", "b"], "ContextKeyType": "string"}]
    fails(lambda: simulate(two), "InvalidInput", "Context key string expected a single value, but received 2.")
    as_list = [{"ContextKeyName": "myapp:tier", "ContextKeyValues": ["bronze", "silver"], "ContextKeyType": "stringList"}]
    assert simulate(as_list)["dynamodb:Query"]["EvalDecision"] == "allowed"


def test_principal_simulation_fills_the_callers_keys(iam, tag):
    user = f"sim-self-{tag}"
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    own = doc(stmt("s3:GetObject", resource="arn:aws:s3:::home/${aws:username}/*"))
    iam.put_user_policy(UserName=user, PolicyName="home", PolicyDocument=own)
    out = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:GetObject"], ResourceArns=[f"arn:aws:s3:::home/{user}/a", "arn:aws:s3:::home/someone/a"]
    )
    (result,) = out["EvaluationResults"]
    assert [(r["EvalResourceName"], r["EvalResourceDecision"]) for r in result["ResourceSpecificResults"]] == [
        (f"arn:aws:s3:::home/{user}/a", "allowed"),
        ("arn:aws:s3:::home/someone/a", "implicitDeny"),
    ]
    # The action's decision is its strictest resource's.
    assert result["EvalDecision"] == "implicitDeny"
    assert sources(result) == [(f"user_{user}_home", "IAM Policy")]


# --- SimulateCustomPolicy ----------------------------------------------------------------------


def test_custom_policies_and_a_resource_policy(iam):
    reads = doc(stmt(["s3:GetObject", "s3:ListBucket"]))
    no_deletes = doc(stmt("s3:DeleteObject", effect="Deny"))
    results = by_action(
        iam.simulate_custom_policy(
            PolicyInputList=[reads, no_deletes], ActionNames=["s3:GetObject", "s3:DeleteObject", "s3:PutObject"]
        )
    )
    assert sources(results["s3:GetObject"]) == [("PolicyInputList.1", "IAM Policy")]
    assert results["s3:GetObject"]["MatchedStatements"][0]["StartPosition"] == {"Line": 1, "Column": 41}
    assert results["s3:DeleteObject"]["EvalDecision"] == "explicitDeny"
    assert sources(results["s3:DeleteObject"]) == [("PolicyInputList.2", "IAM Policy")]
    assert results["s3:PutObject"]["EvalDecision"] == "implicitDeny"

    caller = f"arn:aws:iam::{ACCOUNT}:user/uploader"
    bucket_policy = doc(
        {"Sid": "Uploads", "Effect": "Allow", "Principal": {"AWS": caller}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared/*"},
        {"Sid": "Keep", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::shared/*"},
    )

    def simulate(**extra):
        return by_action(
            iam.simulate_custom_policy(
                PolicyInputList=[reads],
                ActionNames=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                ResourceArns=["arn:aws:s3:::shared/file"],
                ResourcePolicy=bucket_policy,
                CallerArn=caller,
                **extra,
            )
        )

    results = simulate()
    assert {a: r["EvalDecision"] for a, r in results.items()} == {
        "s3:GetObject": "allowed",
        "s3:PutObject": "allowed",  # the bucket policy alone, in the same account
        "s3:DeleteObject": "explicitDeny",
    }
    assert sources(results["s3:PutObject"]) == [("ResourcePolicy", "Resource Policy")]
    assert sources(results["s3:DeleteObject"]) == [("ResourcePolicy", "Resource Policy")]
    # The second statement starts where the first ended.
    first, second = results["s3:PutObject"]["MatchedStatements"][0], results["s3:DeleteObject"]["MatchedStatements"][0]
    assert second["StartPosition"] == first["EndPosition"]
    assert results["s3:PutObject"]["EvalDecisionDetails"] == {}

    # Owned by another account, the caller needs both sides; each says its part.
    results = simulate(ResourceOwner="arn:aws:iam::111122223333:root")
    assert results["s3:GetObject"]["EvalDecision"] == "implicitDeny"
    assert results["s3:GetObject"]["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "implicitDeny"}
    assert results["s3:PutObject"]["EvalDecisionDetails"] == {"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}
    (specific,) = results["s3:PutObject"]["ResourceSpecificResults"]
    assert specific["EvalDecisionDetails"] == {"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}

    fails(lambda: simulate(ResourceOwner="111122223333"), "InvalidInput", "'111122223333' is not a valid as a Resource Owner.")
    fails(
        lambda: iam.simulate_custom_policy(
            PolicyInputList=[reads], ActionNames=["s3:PutObject"], ResourceArns=["arn:aws:s3:::shared/file"], ResourcePolicy=bucket_policy
        ),
        "InvalidInput",
        "Invalid caller - Caller cannot be null or empty.",
    )


def test_pagination(iam):
    actions = [f"s3:Action{i}" for i in range(7)]
    first = iam.simulate_custom_policy(PolicyInputList=[doc(stmt("s3:Action*"))], ActionNames=actions, MaxItems=3)
    assert first["IsTruncated"] is True and first["Marker"]
    assert [r["EvalActionName"] for r in first["EvaluationResults"]] == actions[:3]
    second = iam.simulate_custom_policy(PolicyInputList=[doc(stmt("s3:Action*"))], ActionNames=actions, MaxItems=3, Marker=first["Marker"])
    assert [r["EvalActionName"] for r in second["EvaluationResults"]] == actions[3:6]

    paginator = iam.get_paginator("simulate_custom_policy")
    pages = list(paginator.paginate(PolicyInputList=[doc(stmt("s3:Action*"))], ActionNames=actions, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4
    seen = [r["EvalActionName"] for p in pages for r in p["EvaluationResults"]]
    assert seen == actions
    assert all(r["EvalDecision"] == "allowed" for p in pages for r in p["EvaluationResults"])
    fails(
        lambda: iam.simulate_custom_policy(PolicyInputList=[doc(stmt("s3:*"))], ActionNames=actions, Marker="garbage"),
        "InvalidInput",
        "Invalid marker for pagination.",
    )


# --- Errors and authorization ------------------------------------------------------------------


def test_errors(iam, tag):
    fails(
        lambda: iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/nobody-{tag}", ActionNames=["s3:GetObject"]),
        "NoSuchEntity",
        "Unable to retrieve specified IAM entity.",
    )
    response = fails(
        lambda: iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/nobody-{tag}", ActionNames=["s3:GetObject"]),
        "NoSuchEntity",
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    for bad in [f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", "not-an-arn-but-long-enough"]:
        fails(
            lambda: iam.simulate_principal_policy(PolicySourceArn=bad, ActionNames=["s3:GetObject"]),
            "InvalidInput",
            f"Invalid ARN provided in the request: {bad}",
        )
    fails(
        lambda: iam.simulate_principal_policy(PolicySourceArn="arn:aws:iam::111122223333:user/alice", ActionNames=["s3:GetObject"]),
        "InvalidInput",
        f"Invalid Policy Source Arn: caller's account {ACCOUNT} does not have access to policies in account 111122223333.",
    )
    for malformed in ["{", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}']:
        fails(
            lambda: iam.simulate_custom_policy(PolicyInputList=[doc(stmt("s3:*")), malformed], ActionNames=["s3:GetObject"]),
            "InvalidInput",
            "Policy input list item 2 has invalid content",
        )
    fails(
        lambda: iam.simulate_custom_policy(PolicyInputList=[doc(stmt("s3:*"))], ActionNames=["GetObject"]),
        "InvalidInput",
        "The action is invalid since it is missing names",
    )
    fails(
        lambda: iam.simulate_custom_policy(PolicyInputList=[doc(stmt("s3:*"))], ActionNames=["s3:GetObject"], ResourceArns=["bucket"]),
        "InvalidInput",
        "ResourceNames are not in a valid ARN format: bucket.",
    )

    # A group or role is no caller a resource policy can name: CallerArn must be a user.
    group = f"sim-errors-{tag}"
    group_arn = iam.create_group(GroupName=group)["Group"]["Arn"]
    bucket_policy = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    simulate = lambda **kw: iam.simulate_principal_policy(  # noqa: E731
        PolicySourceArn=group_arn, ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::b/k"], ResourcePolicy=bucket_policy, **kw
    )
    fails(simulate, "InvalidInput", "Invalid caller - Caller must be an IAM user in this context.")
    out = simulate(CallerArn=f"arn:aws:iam::{ACCOUNT}:user/anyone")
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert sources(out["EvaluationResults"][0]) == [("ResourcePolicy", "Resource Policy")]


def test_simulating_needs_permission(iam, gureum, tag):
    user = f"sim-caller-{tag}"
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    caller = gureum.client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    response = fails(lambda: caller.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject"]), "AccessDenied")
    assert f"is not authorized to perform: iam:SimulatePrincipalPolicy on resource: {arn}" in response["Error"]["Message"]
    fails(lambda: caller.simulate_custom_policy(PolicyInputList=[doc(stmt("s3:*"))], ActionNames=["s3:GetObject"]), "AccessDenied")

    iam.put_user_policy(
        UserName=user,
        PolicyName="simulate-self",
        PolicyDocument=doc(stmt("iam:SimulatePrincipalPolicy", resource=arn), stmt("iam:SimulateCustomPolicy")),
    )
    out = caller.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:SimulateCustomPolicy", "s3:GetObject"])
    assert [r["EvalDecision"] for r in out["EvaluationResults"]] == ["allowed", "implicitDeny"]
    assert caller.simulate_custom_policy(PolicyInputList=[doc(stmt("s3:*"))], ActionNames=["s3:GetObject"])["EvaluationResults"]
    other = iam.create_user(UserName=f"sim-other-{tag}")["User"]["Arn"]
    fails(lambda: caller.simulate_principal_policy(PolicySourceArn=other, ActionNames=["s3:GetObject"]), "AccessDenied")


def test_through_the_cli(gureum):
    policy = doc(stmt("s3:GetObject"), stmt("s3:DeleteObject", effect="Deny"))
    out = gureum.cli(
        "iam", "simulate-custom-policy",
        "--policy-input-list", policy,
        "--action-names", "s3:GetObject", "s3:DeleteObject", "s3:PutObject",
        "--context-entries", "ContextKeyName=aws:SourceIp,ContextKeyValues=10.0.0.1,ContextKeyType=ip",
    )
    results = json.loads(out.stdout)["EvaluationResults"]
    assert [(r["EvalActionName"], r["EvalDecision"]) for r in results] == [
        ("s3:GetObject", "allowed"),
        ("s3:DeleteObject", "explicitDeny"),
        ("s3:PutObject", "implicitDeny"),
    ]
    assert results[1]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    bad = gureum.cli("iam", "simulate-custom-policy", "--policy-input-list", "{", "--action-names", "s3:GetObject", check=False)
    assert bad.returncode != 0 and "InvalidInput" in bad.stderr and "Policy input list item 1 has invalid content" in bad.stderr
