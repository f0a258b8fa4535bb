"""IAM that denies: every request of a non-root principal is decided by its policies, through
the official clients. Covers the seed's admin / EC2-only developer / read-only user, policy
changes taking effect at once, explicit deny, boundaries, assumed roles and their expiry."""
import json

import botocore.exceptions
import pytest
from helpers import error_of


def allow(*actions, resource="*", effect="Allow"):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": list(actions), "Resource": resource}]})


@pytest.fixture
def server(start_gureum):
    return start_gureum().start()


def make_user(server, name, managed=(), inline=None):
    iam = server.client("iam")
    iam.create_user(UserName=name)
    for arn in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def client_as(server, service, key):
    return server.client(service, key=key[0], secret=key[1])


def denied(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    return error_of(e), e.value.response["Error"]["Message"]


def test_the_seeds_admin_developer_and_reader_through_the_cli(server):
    admin = make_user(server, "admin", ["arn:aws:iam::aws:policy/AdministratorAccess"])
    dev = make_user(server, "developer", ["arn:aws:iam::aws:policy/AmazonEC2FullAccess"])
    reader = make_user(server, "reader", ["arn:aws:iam::aws:policy/ReadOnlyAccess"])

    # The administrator may do anything.
    assert server.cli("iam", "create-user", "--user-name", "made-by-admin", key=admin[0], secret=admin[1]).returncode == 0
    # The developer may use EC2 (gureum answers it is not built yet: authorization passed) ...
    out = server.cli("ec2", "describe-instances", key=dev[0], secret=dev[1], check=False)
    assert "NotImplemented" in out.stderr, out.stderr
    # ... but not S3, nor IAM.
    out = server.cli("s3api", "list-buckets", key=dev[0], secret=dev[1], check=False)
    assert out.returncode != 0 and "AccessDenied" in out.stderr, out.stderr
    out = server.cli("iam", "list-users", key=dev[0], secret=dev[1], check=False)
    assert "AccessDenied" in out.stderr
    # The reader may read, and only read.
    users = json.loads(server.cli("iam", "list-users", key=reader[0], secret=reader[1]).stdout)
    assert {u["UserName"] for u in users["Users"]} >= {"admin", "developer", "reader"}
    out = server.cli("iam", "create-user", "--user-name", "nope", key=reader[0], secret=reader[1], check=False)
    assert "AccessDenied" in out.stderr
    assert "User: arn:aws:iam::000000000000:user/reader is not authorized to perform: iam:CreateUser" in out.stderr


def test_policy_changes_take_effect_at_once(server):
    key = make_user(server, "alice")
    iam_alice = client_as(server, "iam", key)
    code, message = denied(iam_alice.list_users)
    assert code == ("AccessDenied", 403)
    assert message.startswith("User: arn:aws:iam::000000000000:user/alice is not authorized to perform: iam:ListUsers on resource:")

    iam = server.client("iam")
    policy = iam.create_policy(PolicyName="list-users", PolicyDocument=allow("iam:ListUsers"))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="alice", PolicyArn=policy)
    assert iam_alice.list_users()["Users"]
    iam.detach_user_policy(UserName="alice", PolicyArn=policy)
    assert denied(iam_alice.list_users)[0] == ("AccessDenied", 403)

    # Through a group, too.
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=policy)
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    assert iam_alice.list_users()["Users"]
    iam.remove_user_from_group(GroupName="readers", UserName="alice")
    assert denied(iam_alice.list_users)[0] == ("AccessDenied", 403)


def test_explicit_deny_wins_and_boundaries_limit(server):
    iam = server.client("iam")
    key = make_user(server, "bob", ["arn:aws:iam::aws:policy/AdministratorAccess"])
    bob = client_as(server, "iam", key)
    assert bob.list_roles()["Roles"] == []
    iam.put_user_policy(UserName="bob", PolicyName="no-roles", PolicyDocument=allow("iam:ListRoles", effect="Deny"))
    (code, message) = denied(bob.list_roles)
    assert code == ("AccessDenied", 403) and "explicit deny" in message
    iam.delete_user_policy(UserName="bob", PolicyName="no-roles")
    assert bob.list_roles()["Roles"] == []

    boundary = iam.create_policy(PolicyName="only-list-users", PolicyDocument=allow("iam:ListUsers"))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="bob", PermissionsBoundary=boundary)
    assert bob.list_users()["Users"]
    assert denied(bob.list_roles)[0] == ("AccessDenied", 403)


def test_json_and_query_services_deny_in_their_own_shape(server):
    key = make_user(server, "carol")
    (code, message) = denied(client_as(server, "dynamodb", key).list_tables)
    assert code == ("AccessDeniedException", 400)
    assert "carol is not authorized to perform: dynamodb:ListTables" in message
    assert denied(client_as(server, "ec2", key).describe_instances)[0] == ("AccessDenied", 403)
    assert denied(client_as(server, "lambda", key).list_functions)[0] == ("AccessDeniedException", 403)
    # GetCallerIdentity needs no permission, as in AWS.
    ident = client_as(server, "sts", key).get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::000000000000:user/carol"
    assert ident["UserId"].startswith("AIDA")


def test_deleted_users_and_inactive_keys_are_refused(server):
    iam = server.client("iam")
    key = make_user(server, "dave", ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    dave = client_as(server, "iam", key)
    assert dave.list_users()
    iam.update_access_key(UserName="dave", AccessKeyId=key[0], Status="Inactive")
    assert denied(dave.list_users)[0] == ("InvalidClientTokenId", 403)
    iam.update_access_key(UserName="dave", AccessKeyId=key[0], Status="Active")
    assert dave.list_users()
    iam.delete_access_key(UserName="dave", AccessKeyId=key[0])
    assert denied(dave.list_users)[0] == ("InvalidClientTokenId", 403)


TRUST_ACCOUNT = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}],
})


def test_assumed_role_credentials_work_and_expire(server):
    iam = server.client("iam")
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=TRUST_ACCOUNT, MaxSessionDuration=7200)
    iam.put_role_policy(RoleName="ops", PolicyName="roles", PolicyDocument=allow("iam:ListRoles"))
    role_arn = "arn:aws:iam::000000000000:role/ops"

    # A user whose own policies do not allow sts:AssumeRole is refused by a trust policy that
    # only names the account.
    key = make_user(server, "erin")
    (code, message) = denied(lambda: client_as(server, "sts", key).assume_role(RoleArn=role_arn, RoleSessionName="s1"))
    assert code == ("AccessDenied", 403)
    assert "sts:AssumeRole on resource: arn:aws:iam::000000000000:role/ops" in message
    iam.put_user_policy(UserName="erin", PolicyName="assume", PolicyDocument=allow("sts:AssumeRole", resource=role_arn))
    resp = client_as(server, "sts", key).assume_role(RoleArn=role_arn, RoleSessionName="s1", DurationSeconds=900)
    creds = resp["Credentials"]
    assert resp["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/ops/s1"
    assert resp["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA") and resp["AssumedRoleUser"]["AssumedRoleId"].endswith(":s1")

    session = dict(key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
    assert server.client("sts", **session).get_caller_identity()["Arn"] == "arn:aws:sts::000000000000:assumed-role/ops/s1"
    assert server.client("iam", **session).list_roles()["Roles"][0]["RoleName"] == "ops"
    assert denied(server.client("iam", **session).list_users)[0] == ("AccessDenied", 403)

    assert server.admin("/_gureum/clock", {"advance_seconds": 901})[0] == 200
    assert denied(server.client("iam", **session).list_roles)[0] == ("ExpiredToken", 403)


def test_trust_policy_rules(server):
    iam = server.client("iam")
    key = make_user(server, "frank")
    frank_arn = "arn:aws:iam::000000000000:user/frank"
    trust_frank = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": frank_arn}, "Action": "sts:AssumeRole",
                       "Condition": {"StringEquals": {"sts:ExternalId": "secret-handshake"}}}],
    })
    iam.create_role(RoleName="partner", AssumeRolePolicyDocument=trust_frank)
    sts = client_as(server, "sts", key)
    role_arn = "arn:aws:iam::000000000000:role/partner"
    # Named directly by the trust policy, frank needs no identity policy; the condition holds.
    assert denied(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="xx"))[0] == ("AccessDenied", 403)
    assert denied(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="xx", ExternalId="wrong"))[0] == ("AccessDenied", 403)
    assert sts.assume_role(RoleArn=role_arn, RoleSessionName="xx", ExternalId="secret-handshake")["Credentials"]
    # Unknown roles are refused the same way; durations are bounded by the role.
    assert denied(lambda: sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/none", RoleSessionName="xx"))[0] == ("AccessDenied", 403)
    (code, message) = denied(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="xx", ExternalId="secret-handshake", DurationSeconds=7200))
    assert code == ("ValidationError", 400) and "MaxSessionDuration" in message
    # The root user needs the trust policy too.
    assert denied(lambda: server.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="xx"))[0] == ("AccessDenied", 403)


def test_session_policies_only_limit(server):
    iam = server.client("iam")
    iam.create_role(RoleName="wide", AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam.attach_role_policy(RoleName="wide", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    creds = server.client("sts").get_caller_identity() and None
    resp = server.client("sts").assume_role(
        RoleArn="arn:aws:iam::000000000000:role/wide", RoleSessionName="narrow",
        Policy=allow("iam:ListRoles", "iam:CreateUser"),
    )
    c = resp["Credentials"]
    session = dict(key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    assert server.client("iam", **session).list_roles()["Roles"]
    # Allowed by the role, not by the session policy:
    assert denied(server.client("iam", **session).list_users)[0] == ("AccessDenied", 403)
    # Allowed by the session policy, not by the role:
    assert denied(lambda: server.client("iam", **session).create_user(UserName="x"))[0] == ("AccessDenied", 403)
    assert resp["PackedPolicySize"] > 0


def test_malformed_session_policy(server):
    iam = server.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_ACCOUNT)
    (code, _) = denied(lambda: server.client("sts").assume_role(
        RoleArn="arn:aws:iam::000000000000:role/r", RoleSessionName="ss", Policy='{"Statement": []}'))
    assert code == ("MalformedPolicyDocument", 400)


def test_cross_account_assume_role(start_gureum):
    # In permissive mode a 12-digit access key id acts as that account's root.
    server = start_gureum(args=["--auth", "permissive"]).start()
    a = dict(key="111111111111", secret="x")
    b = dict(key="222222222222", secret="x")
    trust_b = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "sts:AssumeRole"}],
    })
    iam_a = server.client("iam", **a)
    iam_a.create_role(RoleName="shared", AssumeRolePolicyDocument=trust_b)
    iam_a.attach_role_policy(RoleName="shared", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    role_arn = "arn:aws:iam::111111111111:role/shared"

    # Account B's root may assume A's role; the session acts in account A.
    creds = server.client("sts", **b).assume_role(RoleArn=role_arn, RoleSessionName="from-b")["Credentials"]
    session = dict(key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
    ident = server.client("sts", **session).get_caller_identity()
    assert ident["Account"] == "111111111111"
    assert ident["Arn"] == "arn:aws:sts::111111111111:assumed-role/shared/from-b"
    assert [r["RoleName"] for r in server.client("iam", **session).list_roles()["Roles"]] == ["shared"]

    # A user of account B needs its own identity policy as well as A's trust.
    iam_b = server.client("iam", **b)
    iam_b.create_user(UserName="bee")
    key = iam_b.create_access_key(UserName="bee")["AccessKey"]
    bee = server.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert denied(lambda: bee.assume_role(RoleArn=role_arn, RoleSessionName="bee"))[0] == ("AccessDenied", 403)
    iam_b.put_user_policy(UserName="bee", PolicyName="assume", PolicyDocument=allow("sts:AssumeRole", resource=role_arn))
    assert bee.assume_role(RoleArn=role_arn, RoleSessionName="bee")["AssumedRoleUser"]["Arn"].endswith("/shared/bee")

    # Account C is trusted by nobody.
    c = dict(key="333333333333", secret="x")
    assert denied(lambda: server.client("sts", **c).assume_role(RoleArn=role_arn, RoleSessionName="cc"))[0] == ("AccessDenied", 403)
