"""IAM through the official clients: users, groups, roles, managed and inline policies, access
keys, login profiles, instance profiles, tags, permissions boundaries, service-linked roles, the
account views, pagination, URL-encoded documents, account isolation and persistence.

Tests share one server, so each works under its own names and path (see `Names`)."""
import json
import uuid

import botocore.exceptions
import pytest
from helpers import error_of

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}],
}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"


def fails(call, code, status, message=None):
    """Asserts `call()` answers AWS error `code` with HTTP `status` (and `message`, if given)."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    assert error_of(e) == (code, status), e.value.response["Error"]
    if message is not None:
        assert e.value.response["Error"]["Message"] == message
    return e.value.response["Error"]["Message"]


class Names:
    """Names and a path no other test uses."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:10]
        self.path = f"/t{self.tag}/"

    def __call__(self, base):
        return f"{base}-{self.tag}"


@pytest.fixture
def iam(gureum):
    return gureum.client("iam")


@pytest.fixture
def raw_iam(gureum):
    """A client that leaves input validation to the server, as the CLI with bad input does."""
    return gureum.client("iam", parameter_validation=False)


@pytest.fixture
def n():
    return Names()


def account_of(gureum):
    return gureum.client("sts").get_caller_identity()["Account"]


# --- users -----------------------------------------------------------------------------------


def test_user_lifecycle(iam, n, gureum):
    acct = account_of(gureum)
    user = iam.create_user(UserName=n("alice"), Path=n.path, Tags=[{"Key": "team", "Value": "web"}])["User"]
    assert user["Arn"] == f"arn:aws:iam::{acct}:user{n.path}{n('alice')}"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert user["Path"] == n.path
    assert user["Tags"] == [{"Key": "team", "Value": "web"}]
    got = iam.get_user(UserName=n("alice"))["User"]
    assert got["UserId"] == user["UserId"] and got["CreateDate"] == user["CreateDate"]
    # Names are unique without regard to case, and found without it.
    assert iam.get_user(UserName=n("ALICE"))["User"]["UserName"] == n("alice")
    fails(lambda: iam.create_user(UserName=n("Alice")), "EntityAlreadyExists", 409,
          f"User with name {n('Alice')} already exists.")
    listed = iam.list_users(PathPrefix=n.path)["Users"]
    assert [u["UserName"] for u in listed] == [n("alice")]
    assert "Tags" not in listed[0]  # listings leave tags out, as AWS's do

    iam.update_user(UserName=n("alice"), NewUserName=n("alicia"), NewPath=n.path + "x/")
    moved = iam.get_user(UserName=n("alicia"))["User"]
    assert moved["UserId"] == user["UserId"]
    assert moved["Arn"] == f"arn:aws:iam::{acct}:user{n.path}x/{n('alicia')}"
    fails(lambda: iam.get_user(UserName=n("alice")), "NoSuchEntity", 404,
          f"The user with name {n('alice')} cannot be found.")
    iam.delete_user(UserName=n("alicia"))
    fails(lambda: iam.delete_user(UserName=n("alicia")), "NoSuchEntity", 404)


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"UserName": "has space"}, "ValidationError"),
        ({"UserName": "slash/name"}, "ValidationError"),
        ({"UserName": "x" * 65}, "ValidationError"),
        ({"UserName": "ok-name", "Path": "no-slashes"}, "ValidationError"),
        ({"UserName": "ok-name", "Path": "/a"}, "ValidationError"),
    ],
)
def test_user_names_and_paths_are_validated(raw_iam, kwargs, code):
    message = fails(lambda: raw_iam.create_user(**kwargs), code, 400)
    assert "failed to satisfy constraint" in message


def test_name_pattern_message_is_aws(iam):
    fails(lambda: iam.create_user(UserName="bad name"), "ValidationError", 400,
          "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: "
          "Member must satisfy regular expression pattern: [\\w+=,.@-]+")


def test_get_user_without_name_answers_the_caller(iam, gureum):
    acct = account_of(gureum)
    me = iam.get_user()["User"]
    assert me["Arn"] == f"arn:aws:iam::{acct}:root"
    assert me["UserId"] == acct
    assert me["CreateDate"] == iam.get_user()["User"]["CreateDate"]


def test_delete_user_refuses_while_things_hang_off_it(iam, n):
    u = n("busy")
    iam.create_user(UserName=u)
    iam.create_login_profile(UserName=u, Password="Sup3r-Secret!")
    fails(lambda: iam.delete_user(UserName=u), "DeleteConflict", 409,
          "Cannot delete entity, must delete login profile first.")
    iam.delete_login_profile(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]["AccessKeyId"]
    fails(lambda: iam.delete_user(UserName=u), "DeleteConflict", 409,
          "Cannot delete entity, must delete access keys first.")
    iam.delete_access_key(UserName=u, AccessKeyId=key)
    iam.put_user_policy(UserName=u, PolicyName="inline", PolicyDocument=json.dumps(S3_READ))
    fails(lambda: iam.delete_user(UserName=u), "DeleteConflict", 409,
          "Cannot delete entity, must delete policies first.")
    iam.delete_user_policy(UserName=u, PolicyName="inline")
    iam.attach_user_policy(UserName=u, PolicyArn=READ_ONLY)
    fails(lambda: iam.delete_user(UserName=u), "DeleteConflict", 409,
          "Cannot delete entity, must detach all policies first.")
    iam.detach_user_policy(UserName=u, PolicyArn=READ_ONLY)
    iam.delete_user(UserName=u)


# --- groups ----------------------------------------------------------------------------------


def test_groups_and_memberships(iam, n):
    g, u1, u2 = n("devs"), n("ann"), n("ben")
    group = iam.create_group(GroupName=g, Path=n.path)["Group"]
    assert group["GroupId"].startswith("AGPA") and group["Arn"].endswith(f":group{n.path}{g}")
    fails(lambda: iam.create_group(GroupName=g.upper()), "EntityAlreadyExists", 409)
    for u in (u1, u2):
        iam.create_user(UserName=u)
        iam.add_user_to_group(GroupName=g, UserName=u)
    iam.add_user_to_group(GroupName=g, UserName=u1)  # again: no change
    got = iam.get_group(GroupName=g)
    assert got["Group"]["GroupName"] == g
    assert sorted(x["UserName"] for x in got["Users"]) == sorted([u1, u2])
    assert got["IsTruncated"] is False
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=u1)["Groups"]] == [g]
    assert [x["GroupName"] for x in iam.list_groups(PathPrefix=n.path)["Groups"]] == [g]
    fails(lambda: iam.add_user_to_group(GroupName=g, UserName=n("ghost")), "NoSuchEntity", 404)
    fails(lambda: iam.add_user_to_group(GroupName=n("nogroup"), UserName=u1), "NoSuchEntity", 404,
          f"The group with name {n('nogroup')} cannot be found.")
    fails(lambda: iam.delete_group(GroupName=g), "DeleteConflict", 409,
          "Cannot delete entity, must remove users from group first.")

    iam.update_group(GroupName=g, NewGroupName=n("developers"))
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=u2)["Groups"]] == [n("developers")]
    for u in (u1, u2):
        iam.remove_user_from_group(GroupName=n("developers"), UserName=u)
        iam.delete_user(UserName=u)
    fails(lambda: iam.remove_user_from_group(GroupName=n("developers"), UserName=u1), "NoSuchEntity", 404)
    iam.delete_group(GroupName=n("developers"))
    fails(lambda: iam.get_group(GroupName=n("developers")), "NoSuchEntity", 404)


def test_groups_per_user_quota(iam, n):
    u = n("joiner")
    iam.create_user(UserName=u)
    for i in range(10):
        iam.create_group(GroupName=n(f"g{i}"))
        iam.add_user_to_group(GroupName=n(f"g{i}"), UserName=u)
    iam.create_group(GroupName=n("g10"))
    fails(lambda: iam.add_user_to_group(GroupName=n("g10"), UserName=u), "LimitExceeded", 409,
          "Cannot exceed quota for GroupsPerUser: 10")


# --- roles -----------------------------------------------------------------------------------


def test_role_lifecycle(iam, n, gureum):
    acct = account_of(gureum)
    r = n("web")
    role = iam.create_role(RoleName=r, Path=n.path, AssumeRolePolicyDocument=json.dumps(TRUST),
                           Description="web servers", MaxSessionDuration=7200,
                           Tags=[{"Key": "env", "Value": "prod"}])["Role"]
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["Arn"] == f"arn:aws:iam::{acct}:role{n.path}{r}"
    assert role["AssumeRolePolicyDocument"] == TRUST  # botocore decodes the URL-encoded document
    got = iam.get_role(RoleName=r)["Role"]
    assert got["Description"] == "web servers" and got["MaxSessionDuration"] == 7200
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert got["RoleLastUsed"] == {}
    assert [x["RoleName"] for x in iam.list_roles(PathPrefix=n.path)["Roles"]] == [r]
    fails(lambda: iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST)),
          "EntityAlreadyExists", 409, f"Role with name {r} already exists.")

    iam.update_role(RoleName=r, MaxSessionDuration=3600, Description="changed")
    assert iam.get_role(RoleName=r)["Role"]["MaxSessionDuration"] == 3600
    assert iam.update_role_description(RoleName=r, Description="again")["Role"]["Description"] == "again"
    lambda_trust = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "lambda.amazonaws.com"}}]}
    iam.update_assume_role_policy(RoleName=r, PolicyDocument=json.dumps(lambda_trust))
    assert iam.get_role(RoleName=r)["Role"]["AssumeRolePolicyDocument"] == lambda_trust
    iam.delete_role(RoleName=r)
    fails(lambda: iam.get_role(RoleName=r), "NoSuchEntity", 404, f"The role with name {r} cannot be found.")


@pytest.mark.parametrize(
    "doc,reason",
    [
        ("not json", "Syntax errors in policy."),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                               "Principal": {"AWS": "*"}, "Resource": "*"}]}),
         "Has prohibited field Resource."),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                               "Principal": {"AWS": "*"}}]}),
         "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"),
    ],
)
def test_trust_policies_are_validated(iam, n, doc, reason):
    fails(lambda: iam.create_role(RoleName=n("bad"), AssumeRolePolicyDocument=doc),
          "MalformedPolicyDocument", 400, reason)


def test_role_session_duration_range(raw_iam, n):
    fails(lambda: raw_iam.create_role(RoleName=n("short"), AssumeRolePolicyDocument=json.dumps(TRUST),
                                  MaxSessionDuration=60), "ValidationError", 400)


# --- managed policies ------------------------------------------------------------------------


def test_managed_policy_versions(iam, n, gureum):
    acct = account_of(gureum)
    policy = iam.create_policy(PolicyName=n("read"), Path=n.path, PolicyDocument=json.dumps(S3_READ),
                               Description="reads")["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{acct}:policy{n.path}{n('read')}"
    assert policy["PolicyId"].startswith("ANPA") and policy["DefaultVersionId"] == "v1"
    assert policy["IsAttachable"] is True and policy["AttachmentCount"] == 0
    fails(lambda: iam.create_policy(PolicyName=n("READ"), PolicyDocument=json.dumps(S3_READ)),
          "EntityAlreadyExists", 409,
          f"A policy called {n('READ')} already exists. Duplicate names are not allowed.")
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "reads"

    for i in range(2, 6):
        doc = {**S3_READ, "Statement": [{**S3_READ["Statement"][0], "Sid": f"V{i}"}]}
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc), SetAsDefault=(i == 3))
        assert v["PolicyVersion"]["VersionId"] == f"v{i}"
        assert v["PolicyVersion"]["IsDefaultVersion"] is (i == 3)
    fails(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3_READ)),
          "LimitExceeded", 409,
          "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["IsDefaultVersion"] for v in versions] == [False, False, True, False, False]
    v3 = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert v3["Document"]["Statement"][0]["Sid"] == "V3"
    fails(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v3"), "DeleteConflict", 409,
          "Cannot delete the default version of a policy.")
    fails(lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v9"), "NoSuchEntity", 404)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    # The next version number is never reused.
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3_READ))["PolicyVersion"]["VersionId"] == "v6"
    fails(lambda: iam.delete_policy(PolicyArn=arn), "DeleteConflict", 409)
    for v in ("v2", "v4", "v6"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    fails(lambda: iam.get_policy(PolicyArn=arn), "NoSuchEntity", 404, f"Policy {arn} was not found.")


@pytest.mark.parametrize(
    "doc,reason",
    [
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
         "Policy document must be version 2012-10-17 or greater."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]},
         "Policy statement must contain resources."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]},
         "Policy statement must contain actions."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]},
         "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                    "Principal": "*"}]},
         "Policy document should not specify a principal."),
    ],
)
def test_policy_documents_are_validated(iam, n, doc, reason):
    fails(lambda: iam.create_policy(PolicyName=n("bad"), PolicyDocument=json.dumps(doc)),
          "MalformedPolicyDocument", 400, reason)


def test_managed_policy_size_quota(iam, n):
    actions = [f"s3:GetObjectVersion{i:05d}" for i in range(300)]
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    fails(lambda: iam.create_policy(PolicyName=n("big"), PolicyDocument=json.dumps(doc)),
          "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
    # Whitespace does not count.
    compact = json.dumps(S3_READ)
    small = compact[:1] + " " * 7000 + compact[1:]
    iam.create_policy(PolicyName=n("airy"), PolicyDocument=small)


def test_documents_travel_url_encoded(iam, n):
    """AWS returns policy documents URL-encoded; botocore decodes them. Check the raw bytes."""
    raw = {}

    def keep(response_dict, **_):
        raw["body"] = response_dict["body"]

    iam.meta.events.register("before-parse.iam.GetPolicyVersion", keep)
    doc = json.dumps(S3_READ, indent=2)
    arn = iam.create_policy(PolicyName=n("enc"), PolicyDocument=doc)["Policy"]["Arn"]
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert got == S3_READ
    assert b"<Document>%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22" in raw["body"], raw["body"]


def test_aws_managed_policies(iam):
    names = {p["PolicyName"]: p for p in iam.get_paginator("list_policies").paginate(Scope="AWS").build_full_result()["Policies"]}
    for expected in ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "IAMFullAccess",
                     "IAMReadOnlyAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess",
                     "AmazonDynamoDBFullAccess", "AmazonDynamoDBReadOnlyAccess", "AmazonEC2FullAccess",
                     "AmazonEC2ReadOnlyAccess", "AWSLambda_FullAccess", "AWSKeyManagementServicePowerUser",
                     "CloudWatchFullAccess", "AmazonRoute53FullAccess", "AmazonVPCFullAccess", "ViewOnlyAccess"]:
        assert expected in names, expected
        assert names[expected]["Arn"].startswith("arn:aws:iam::aws:policy/")
    assert names["ViewOnlyAccess"]["Arn"] == "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
    admin = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    doc = iam.get_policy_version(PolicyArn=ADMIN, VersionId=admin["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert doc["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    power = iam.get_policy(PolicyArn=POWER_USER)["Policy"]
    doc = iam.get_policy_version(PolicyArn=POWER_USER, VersionId=power["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert doc["Statement"][0]["NotAction"] == ["iam:*", "organizations:*", "account:*"]
    assert "iam:CreateServiceLinkedRole" in doc["Statement"][1]["Action"]
    # AWS's policies belong to AWS.
    fails(lambda: iam.delete_policy(PolicyArn=ADMIN), "AccessDenied", 403)
    fails(lambda: iam.create_policy_version(PolicyArn=ADMIN, PolicyDocument=json.dumps(S3_READ)), "AccessDenied", 403)
    fails(lambda: iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy"), "NoSuchEntity", 404)
    fails(lambda: iam.get_policy(PolicyArn="not-an-arn-at-all-really"), "InvalidInput", 400,
          "ARN not-an-arn-at-all-really is not valid.")


def test_attach_and_detach(iam, n):
    u, g, r = n("u"), n("g"), n("r")
    iam.create_user(UserName=u)
    iam.create_group(GroupName=g)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST))
    local = iam.create_policy(PolicyName=n("p"), Path=n.path, PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=u, PolicyArn=local)
    iam.attach_user_policy(UserName=u, PolicyArn=local)  # again: no change
    iam.attach_group_policy(GroupName=g, PolicyArn=local)
    iam.attach_role_policy(RoleName=r, PolicyArn=local)
    iam.attach_role_policy(RoleName=r, PolicyArn=READ_ONLY)
    assert iam.get_policy(PolicyArn=local)["Policy"]["AttachmentCount"] == 3
    assert iam.list_attached_user_policies(UserName=u)["AttachedPolicies"] == [{"PolicyName": n("p"), "PolicyArn": local}]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"]] == [local, READ_ONLY]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=r, PathPrefix=n.path)["AttachedPolicies"]] == [local]
    assert iam.list_attached_group_policies(GroupName=g)["AttachedPolicies"][0]["PolicyArn"] == local
    ents = iam.list_entities_for_policy(PolicyArn=local)
    assert [x["UserName"] for x in ents["PolicyUsers"]] == [u]
    assert [x["GroupName"] for x in ents["PolicyGroups"]] == [g]
    assert [x["RoleName"] for x in ents["PolicyRoles"]] == [r]
    only_roles = iam.list_entities_for_policy(PolicyArn=local, EntityFilter="Role")
    assert only_roles["PolicyUsers"] == [] and len(only_roles["PolicyRoles"]) == 1
    attached_local = iam.list_policies(Scope="Local", OnlyAttached=True, PathPrefix=n.path)["Policies"]
    assert [p["Arn"] for p in attached_local] == [local]

    fails(lambda: iam.delete_policy(PolicyArn=local), "DeleteConflict", 409, "Cannot delete a policy attached to entities.")
    missing = "arn:aws:iam::aws:policy/NoSuchPolicyAtAll"
    fails(lambda: iam.attach_user_policy(UserName=u, PolicyArn=missing), "NoSuchEntity", 404,
          f"Policy {missing} does not exist or is not attachable.")
    fails(lambda: iam.attach_user_policy(UserName=n("ghost"), PolicyArn=local), "NoSuchEntity", 404)
    fails(lambda: iam.detach_user_policy(UserName=u, PolicyArn=READ_ONLY), "NoSuchEntity", 404,
          f"Policy {READ_ONLY} was not found.")

    iam.detach_user_policy(UserName=u, PolicyArn=local)
    iam.detach_group_policy(GroupName=g, PolicyArn=local)
    iam.detach_role_policy(RoleName=r, PolicyArn=local)
    assert iam.get_policy(PolicyArn=local)["Policy"]["AttachmentCount"] == 0
    iam.delete_policy(PolicyArn=local)


def test_attached_policies_quota(iam, n):
    r = n("many")
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST))
    arns = [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=11)["Policies"]]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName=r, PolicyArn=arn)
    fails(lambda: iam.attach_role_policy(RoleName=r, PolicyArn=arns[10]), "LimitExceeded", 409,
          "Cannot exceed quota for PoliciesPerRole: 10")


def test_list_policies_scopes_and_paths(iam, n):
    local = iam.create_policy(PolicyName=n("scoped"), Path=n.path, PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    aws_only = iam.get_paginator("list_policies").paginate(Scope="AWS").build_full_result()["Policies"]
    assert all(p["Arn"].startswith("arn:aws:iam::aws:") for p in aws_only)
    local_only = iam.list_policies(Scope="Local", PathPrefix=n.path)["Policies"]
    assert [p["Arn"] for p in local_only] == [local]
    job = iam.list_policies(Scope="AWS", PathPrefix="/job-function/")["Policies"]
    assert "ViewOnlyAccess" in [p["PolicyName"] for p in job]
    assert all(p["Path"] == "/job-function/" for p in job)
    everything = iam.get_paginator("list_policies").paginate(Scope="All").build_full_result()["Policies"]
    arns = [p["Arn"] for p in everything]
    assert local in arns and ADMIN in arns


# --- inline policies -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_inline_policies(iam, n, kind):
    name = n(kind)
    create = {"user": lambda: iam.create_user(UserName=name),
              "group": lambda: iam.create_group(GroupName=name),
              "role": lambda: iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))}[kind]
    create()
    key = {"user": "UserName", "group": "GroupName", "role": "RoleName"}[kind]
    cap = kind.capitalize()
    put = getattr(iam, f"put_{kind}_policy")
    get = getattr(iam, f"get_{kind}_policy")
    lst = getattr(iam, f"list_{kind}_policies")
    delete = getattr(iam, f"delete_{kind}_policy")
    put(**{key: name}, PolicyName="b-read", PolicyDocument=json.dumps(S3_READ))
    put(**{key: name}, PolicyName="a-read", PolicyDocument=json.dumps(S3_READ))
    got = get(**{key: name}, PolicyName="b-read")
    assert got[key] == name and got["PolicyName"] == "b-read"
    assert got["PolicyDocument"] == S3_READ
    assert lst(**{key: name})["PolicyNames"] == ["a-read", "b-read"]
    fails(lambda: get(**{key: name}, PolicyName="nope"), "NoSuchEntity", 404,
          f"The {kind} policy with name nope cannot be found.")
    fails(lambda: put(**{key: name}, PolicyName="bad", PolicyDocument="{}"), "MalformedPolicyDocument", 400)
    fails(lambda: put(**{key: n("ghost")}, PolicyName="p", PolicyDocument=json.dumps(S3_READ)), "NoSuchEntity", 404)
    delete(**{key: name}, PolicyName="a-read")
    delete(**{key: name}, PolicyName="b-read")
    assert lst(**{key: name})["PolicyNames"] == []
    fails(lambda: delete(**{key: name}, PolicyName="b-read"), "NoSuchEntity", 404)
    assert cap  # the kinds' names are AWS's


@pytest.mark.parametrize("kind,limit", [("user", 2048), ("group", 5120), ("role", 10240)])
def test_inline_policy_size_quotas(iam, n, kind, limit):
    name = n(kind)
    if kind == "user":
        iam.create_user(UserName=name)
    elif kind == "group":
        iam.create_group(GroupName=name)
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    key = {"user": "UserName", "group": "GroupName", "role": "RoleName"}[kind]
    put = getattr(iam, f"put_{kind}_policy")
    count = limit // 20
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [f"s3:Get{i:012d}" for i in range(count)], "Resource": "*"}]}
    fails(lambda: put(**{key: name}, PolicyName="big", PolicyDocument=json.dumps(doc)), "LimitExceeded", 409,
          f"Maximum policy size of {limit} bytes exceeded for {kind} {name}")


# --- access keys -----------------------------------------------------------------------------


def test_access_keys(iam, n):
    u = n("keys")
    iam.create_user(UserName=u)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40
    assert key["Status"] == "Active" and key["UserName"] == u
    second = iam.create_access_key(UserName=u)["AccessKey"]["AccessKeyId"]
    fails(lambda: iam.create_access_key(UserName=u), "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    listed = iam.list_access_keys(UserName=u)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"], second]
    assert all("SecretAccessKey" not in k for k in listed)
    iam.update_access_key(UserName=u, AccessKeyId=second, Status="Inactive")
    assert iam.list_access_keys(UserName=u)["AccessKeyMetadata"][1]["Status"] == "Inactive"
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last["UserName"] == u
    assert last["AccessKeyLastUsed"]["ServiceName"] == "N/A" and "LastUsedDate" not in last["AccessKeyLastUsed"]
    fails(lambda: iam.update_access_key(UserName=u, AccessKeyId="AKIANOSUCHKEY0000000", Status="Active"),
          "NoSuchEntity", 404, "The Access Key with id AKIANOSUCHKEY0000000 cannot be found.")
    fails(lambda: iam.list_access_keys(UserName=n("ghost")), "NoSuchEntity", 404)
    iam.delete_access_key(UserName=u, AccessKeyId=second)
    fails(lambda: iam.delete_access_key(UserName=u, AccessKeyId=second), "NoSuchEntity", 404)
    assert len(iam.list_access_keys(UserName=u)["AccessKeyMetadata"]) == 1


def test_access_key_secret_is_not_in_the_data_dir(iam, n, gureum):
    import os
    u = n("sealed")
    iam.create_user(UserName=u)
    secret = iam.create_access_key(UserName=u)["AccessKey"]["SecretAccessKey"]
    for root, _, files in os.walk(gureum.data_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                assert secret.encode() not in fh.read(), f


# --- login profiles --------------------------------------------------------------------------


def test_login_profiles(iam, n):
    u = n("console")
    iam.create_user(UserName=u)
    fails(lambda: iam.get_login_profile(UserName=u), "NoSuchEntity", 404, f"Login Profile for User {u} cannot be found.")
    fails(lambda: iam.create_login_profile(UserName=u, Password="short"), "PasswordPolicyViolation", 400)
    profile = iam.create_login_profile(UserName=u, Password="Corr3ct-Horse!", PasswordResetRequired=True)["LoginProfile"]
    assert profile["UserName"] == u and profile["PasswordResetRequired"] is True
    fails(lambda: iam.create_login_profile(UserName=u, Password="Corr3ct-Horse!"), "EntityAlreadyExists", 409)
    assert iam.get_login_profile(UserName=u)["LoginProfile"]["PasswordResetRequired"] is True
    iam.update_login_profile(UserName=u, Password="An0ther-Pass!", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName=u)["LoginProfile"]["PasswordResetRequired"] is False
    fails(lambda: iam.update_login_profile(UserName=u, Password="weak"), "PasswordPolicyViolation", 400)
    iam.delete_login_profile(UserName=u)
    fails(lambda: iam.delete_login_profile(UserName=u), "NoSuchEntity", 404)
    fails(lambda: iam.create_login_profile(UserName=n("ghost"), Password="Corr3ct-Horse!"), "NoSuchEntity", 404)


def test_change_password_needs_an_iam_user(iam):
    fails(lambda: iam.change_password(OldPassword="Old-Passw0rd", NewPassword="New-Passw0rd"), "InvalidUserType", 400)


def test_account_password_policy(start_gureum):
    server = start_gureum().start()
    iam = server.client("iam")
    fails(lambda: iam.get_account_password_policy(), "NoSuchEntity", 404)
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, AllowUsersToChangePassword=True)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 12 and policy["RequireSymbols"] is True
    assert policy["ExpirePasswords"] is False
    iam.create_user(UserName="p")
    fails(lambda: iam.create_login_profile(UserName="p", Password="Abcdef12345"), "PasswordPolicyViolation", 400)
    iam.create_login_profile(UserName="p", Password="abcdefghij!k")
    iam.delete_account_password_policy()
    fails(lambda: iam.delete_account_password_policy(), "NoSuchEntity", 404)


# --- instance profiles -----------------------------------------------------------------------


def test_instance_profiles(iam, n, gureum):
    acct = account_of(gureum)
    ip, r, r2 = n("ip"), n("ec2"), n("ec2b")
    profile = iam.create_instance_profile(InstanceProfileName=ip, Path=n.path)["InstanceProfile"]
    assert profile["InstanceProfileId"].startswith("AIPA")
    assert profile["Arn"] == f"arn:aws:iam::{acct}:instance-profile{n.path}{ip}"
    assert profile["Roles"] == []
    fails(lambda: iam.create_instance_profile(InstanceProfileName=ip), "EntityAlreadyExists", 409)
    for role in (r, r2):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r)
    fails(lambda: iam.add_role_to_instance_profile(InstanceProfileName=ip, RoleName=r2), "LimitExceeded", 409,
          "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
    got = iam.get_instance_profile(InstanceProfileName=ip)["InstanceProfile"]
    assert [x["RoleName"] for x in got["Roles"]] == [r]
    assert got["Roles"][0]["AssumeRolePolicyDocument"] == TRUST
    assert [x["InstanceProfileName"] for x in iam.list_instance_profiles_for_role(RoleName=r)["InstanceProfiles"]] == [ip]
    assert [x["InstanceProfileName"] for x in iam.list_instance_profiles(PathPrefix=n.path)["InstanceProfiles"]] == [ip]
    fails(lambda: iam.delete_role(RoleName=r), "DeleteConflict", 409,
          "Cannot delete entity, must remove roles from instance profile first.")
    fails(lambda: iam.delete_instance_profile(InstanceProfileName=ip), "DeleteConflict", 409)
    iam.remove_role_from_instance_profile(InstanceProfileName=ip, RoleName=r)
    iam.delete_instance_profile(InstanceProfileName=ip)
    fails(lambda: iam.get_instance_profile(InstanceProfileName=ip), "NoSuchEntity", 404,
          f"Instance Profile {ip} cannot be found.")
    iam.delete_role(RoleName=r)


# --- tags ------------------------------------------------------------------------------------


def test_tags(iam, raw_iam, n):
    u, r = n("tagged"), n("tagged-role")
    iam.create_user(UserName=u)
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST))
    arn = iam.create_policy(PolicyName=n("tagged"), PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    iam.tag_user(UserName=u, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}])
    iam.tag_user(UserName=u, Tags=[{"Key": "env", "Value": "prod"}])
    assert iam.list_user_tags(UserName=u)["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}]
    iam.untag_user(UserName=u, TagKeys=["team"])
    assert iam.list_user_tags(UserName=u)["Tags"] == [{"Key": "env", "Value": "prod"}]
    iam.tag_role(RoleName=r, Tags=[{"Key": "k", "Value": "v"}])
    assert iam.list_role_tags(RoleName=r)["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.untag_role(RoleName=r, TagKeys=["k"])
    assert iam.list_role_tags(RoleName=r)["Tags"] == []
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "owner", "Value": "me"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "owner", "Value": "me"}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [{"Key": "owner", "Value": "me"}]
    fails(lambda: iam.tag_user(UserName=u, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]),
          "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    fails(lambda: iam.tag_user(UserName=u, Tags=[{"Key": "bad#key", "Value": "1"}]), "ValidationError", 400)
    fails(lambda: iam.tag_user(UserName=n("ghost"), Tags=[{"Key": "a", "Value": "1"}]), "NoSuchEntity", 404)
    iam.tag_user(UserName=u, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    fails(lambda: iam.tag_user(UserName=u, Tags=[{"Key": "one-more", "Value": "v"}]), "LimitExceeded", 409)
    fails(lambda: raw_iam.tag_user(UserName=u, Tags=[{"Key": f"x{i}", "Value": "v"} for i in range(51)]), "ValidationError", 400)
    paged = iam.list_user_tags(UserName=u, MaxItems=20)
    assert len(paged["Tags"]) == 20 and paged["IsTruncated"] is True


# --- permissions boundaries ------------------------------------------------------------------


def test_permissions_boundaries(iam, n):
    u, r = n("bounded"), n("bounded-role")
    user = iam.create_user(UserName=u, PermissionsBoundary=POWER_USER)["User"]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                           "PermissionsBoundaryArn": POWER_USER}
    assert iam.get_user(UserName=u)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == POWER_USER
    iam.create_role(RoleName=r, AssumeRolePolicyDocument=json.dumps(TRUST))
    local = iam.create_policy(PolicyName=n("bound"), PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=r, PermissionsBoundary=local)
    assert iam.get_role(RoleName=r)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == local
    policy = iam.get_policy(PolicyArn=local)["Policy"]
    assert policy["PermissionsBoundaryUsageCount"] == 1 and policy["AttachmentCount"] == 0
    ents = iam.list_entities_for_policy(PolicyArn=local, PolicyUsageFilter="PermissionsBoundary")
    assert [x["RoleName"] for x in ents["PolicyRoles"]] == [r]
    fails(lambda: iam.delete_policy(PolicyArn=local), "DeleteConflict", 409)
    missing = f"arn:aws:iam::{local.split(':')[4]}:policy/{n('none')}"
    fails(lambda: iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=missing), "NoSuchEntity", 404)
    fails(lambda: iam.create_user(UserName=n("b2"), PermissionsBoundary="arn:aws:iam::aws:policy/Nope"), "NoSuchEntity", 404)
    iam.delete_role_permissions_boundary(RoleName=r)
    iam.delete_user_permissions_boundary(UserName=u)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=r)["Role"]
    assert "PermissionsBoundary" not in iam.get_user(UserName=u)["User"]
    assert iam.get_policy(PolicyArn=local)["Policy"]["PermissionsBoundaryUsageCount"] == 0
    iam.delete_policy(PolicyArn=local)


# --- pagination ------------------------------------------------------------------------------


def test_pagination_with_marker_and_max_items(iam, raw_iam, n):
    names = sorted(n(f"p{i}") for i in range(7))
    for name in names:
        iam.create_user(UserName=name, Path=n.path)
    first = iam.list_users(PathPrefix=n.path, MaxItems=3)
    assert [u["UserName"] for u in first["Users"]] == names[:3]
    assert first["IsTruncated"] is True and first["Marker"]
    second = iam.list_users(PathPrefix=n.path, MaxItems=3, Marker=first["Marker"])
    assert [u["UserName"] for u in second["Users"]] == names[3:6]
    third = iam.list_users(PathPrefix=n.path, MaxItems=3, Marker=second["Marker"])
    assert [u["UserName"] for u in third["Users"]] == names[6:]
    assert third["IsTruncated"] is False and "Marker" not in third
    pages = list(iam.get_paginator("list_users").paginate(PathPrefix=n.path, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4
    assert [u["UserName"] for p in pages for u in p["Users"]] == names
    fails(lambda: raw_iam.list_users(MaxItems=0), "ValidationError", 400)


def test_roles_pagination(iam, n):
    for i in range(5):
        iam.create_role(RoleName=n(f"r{i}"), Path=n.path, AssumeRolePolicyDocument=json.dumps(TRUST))
    pages = list(iam.get_paginator("list_roles").paginate(PathPrefix=n.path, PaginationConfig={"PageSize": 2}))
    assert [len(p["Roles"]) for p in pages] == [2, 2, 1]


# --- account views ---------------------------------------------------------------------------


def test_account_authorization_details(start_gureum):
    server = start_gureum().start()
    iam = server.client("iam")
    iam.create_user(UserName="dev")
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="dev")
    iam.put_user_policy(UserName="dev", PolicyName="inline", PolicyDocument=json.dumps(S3_READ))
    iam.attach_group_policy(GroupName="devs", PolicyArn=READ_ONLY)
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_instance_profile(InstanceProfileName="app")
    iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app")
    arn = iam.create_policy(PolicyName="mine", PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="app", PolicyArn=arn)

    d = iam.get_account_authorization_details()
    user = d["UserDetailList"][0]
    assert user["UserName"] == "dev" and user["GroupList"] == ["devs"]
    assert user["UserPolicyList"] == [{"PolicyName": "inline", "PolicyDocument": S3_READ}]
    assert d["GroupDetailList"][0]["AttachedManagedPolicies"] == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}]
    role = d["RoleDetailList"][0]
    assert role["AssumeRolePolicyDocument"] == TRUST
    assert role["InstanceProfileList"][0]["InstanceProfileName"] == "app"
    assert role["AttachedManagedPolicies"] == [{"PolicyName": "mine", "PolicyArn": arn}]
    by_arn = {p["Arn"]: p for p in d["Policies"]}
    assert set(by_arn) == {arn, READ_ONLY}  # AWS managed policies only when in use
    assert by_arn[arn]["PolicyVersionList"][0]["Document"] == S3_READ
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and len(only_roles["RoleDetailList"]) == 1
    paged = iam.get_account_authorization_details(MaxItems=2)
    assert paged["IsTruncated"] is True
    rest = iam.get_account_authorization_details(Marker=paged["Marker"])
    seen = len(paged["UserDetailList"]) + len(paged["GroupDetailList"]) + len(rest["RoleDetailList"]) + len(rest["Policies"])
    assert seen == 5

    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] == 1 and summary["Groups"] == 1 and summary["Roles"] == 1
    assert summary["Policies"] == 1 and summary["InstanceProfiles"] == 1
    assert summary["AccessKeysPerUserQuota"] == 2 and summary["AttachedPoliciesPerRoleQuota"] == 10


def test_account_alias(start_gureum):
    server = start_gureum(args=["--auth", "permissive"]).start()
    a = server.client("iam", key="111111111111", secret="x")
    b = server.client("iam", key="222222222222", secret="x")
    assert a.list_account_aliases()["AccountAliases"] == []
    a.create_account_alias(AccountAlias="my-team")
    assert a.list_account_aliases()["AccountAliases"] == ["my-team"]
    fails(lambda: b.create_account_alias(AccountAlias="my-team"), "EntityAlreadyExists", 409)
    fails(lambda: a.create_account_alias(AccountAlias="Bad_Alias"), "ValidationError", 400)
    a.delete_account_alias(AccountAlias="my-team")
    fails(lambda: a.delete_account_alias(AccountAlias="my-team"), "NoSuchEntity", 404)
    b.create_account_alias(AccountAlias="my-team")


# --- service-linked roles --------------------------------------------------------------------


def test_service_linked_roles(start_gureum):
    server = start_gureum().start()
    iam = server.client("iam")
    role = iam.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForElasticLoadBalancing"
    assert role["Path"] == "/aws-service-role/elasticloadbalancing.amazonaws.com/"
    assert role["Arn"].endswith(":role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": ["elasticloadbalancing.amazonaws.com"]}
    fails(lambda: iam.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com"), "InvalidInput", 400)
    suffixed = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="web",
                                              Description="for web")["Role"]
    assert suffixed["RoleName"] == "AWSServiceRoleForAutoScaling_web" and suffixed["Description"] == "for web"
    fails(lambda: iam.delete_role(RoleName="AWSServiceRoleForAutoScaling_web"), "UnmodifiableEntity", 400)
    fails(lambda: iam.put_role_policy(RoleName="AWSServiceRoleForAutoScaling_web", PolicyName="p",
                                      PolicyDocument=json.dumps(S3_READ)), "UnmodifiableEntity", 400)
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForAutoScaling_web")["DeletionTaskId"]
    assert task.startswith("task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_web/")
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    fails(lambda: iam.get_role(RoleName="AWSServiceRoleForAutoScaling_web"), "NoSuchEntity", 404)
    iam.create_role(RoleName="plain", AssumeRolePolicyDocument=json.dumps(TRUST))
    fails(lambda: iam.delete_service_linked_role(RoleName="plain"), "InvalidInput", 400)


# --- accounts, persistence, CLI --------------------------------------------------------------


def test_accounts_never_see_each_other(start_gureum):
    server = start_gureum(args=["--auth", "permissive"]).start()
    a = server.client("iam", key="111111111111", secret="x")
    b = server.client("iam", key="222222222222", secret="x")
    a.create_user(UserName="same")
    arn = a.create_policy(PolicyName="p", PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    assert arn == "arn:aws:iam::111111111111:policy/p"
    assert b.list_users()["Users"] == []
    fails(lambda: b.get_user(UserName="same"), "NoSuchEntity", 404)
    fails(lambda: b.get_policy(PolicyArn=arn), "NoSuchEntity", 404)
    assert b.create_user(UserName="same")["User"]["Arn"] == "arn:aws:iam::222222222222:user/same"
    fails(lambda: b.attach_user_policy(UserName="same", PolicyArn=arn), "NoSuchEntity", 404)
    key = a.create_access_key(UserName="same")["AccessKey"]["AccessKeyId"]
    fails(lambda: b.get_access_key_last_used(AccessKeyId=key), "NoSuchEntity", 404)
    assert b.get_account_summary()["SummaryMap"]["Policies"] == 0
    assert [u["Arn"] for u in a.list_users()["Users"]] == ["arn:aws:iam::111111111111:user/same"]


def test_iam_survives_a_restart(start_gureum):
    server = start_gureum().start()
    iam = server.client("iam")
    iam.create_user(UserName="durable")
    arn = iam.create_policy(PolicyName="kept", PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="durable", PolicyArn=arn)
    key = iam.create_access_key(UserName="durable")["AccessKey"]["AccessKeyId"]
    server.kill()
    again = start_gureum(data_dir=server.data_dir, port=server.port).start()
    iam = again.client("iam")
    assert iam.get_user(UserName="durable")["User"]["UserName"] == "durable"
    assert iam.list_attached_user_policies(UserName="durable")["AttachedPolicies"][0]["PolicyArn"] == arn
    assert iam.list_access_keys(UserName="durable")["AccessKeyMetadata"][0]["AccessKeyId"] == key


def test_admin_reset_wipes_iam(start_gureum):
    server = start_gureum().start()
    iam = server.client("iam")
    iam.create_user(UserName="temp")
    assert server.admin("/_gureum/reset", {})[0] == 200
    assert iam.list_users()["Users"] == []


def test_cli(gureum, n):
    out = gureum.cli("iam", "create-user", "--user-name", n("cli"), "--path", n.path)
    assert json.loads(out.stdout)["User"]["UserName"] == n("cli")
    listed = json.loads(gureum.cli("iam", "list-users", "--path-prefix", n.path).stdout)
    assert [u["UserName"] for u in listed["Users"]] == [n("cli")]
    gureum.cli("iam", "create-policy", "--policy-name", n("cli"), "--policy-document", json.dumps(S3_READ))
    arn = f"arn:aws:iam::{json.loads(gureum.cli('sts', 'get-caller-identity').stdout)['Account']}:policy/{n('cli')}"
    doc = json.loads(gureum.cli("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1").stdout)
    assert doc["PolicyVersion"]["Document"] == S3_READ
    gureum.cli("iam", "attach-user-policy", "--user-name", n("cli"), "--policy-arn", arn)
    missing = gureum.cli("iam", "get-user", "--user-name", n("nobody"), check=False)
    assert missing.returncode != 0 and "NoSuchEntity" in missing.stderr
    aws_policies = json.loads(gureum.cli("iam", "list-policies", "--scope", "AWS").stdout)["Policies"]
    assert "AdministratorAccess" in [p["PolicyName"] for p in aws_policies]


def test_unimplemented_iam_operations_say_so(iam):
    fails(lambda: iam.list_open_id_connect_providers(), "NotImplemented", 501)
