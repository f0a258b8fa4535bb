"""KMS through the official clients: keys, aliases, tags, real encryption with encryption
context, data keys, key states, scheduled deletion on the server clock, rotation, and key
policies and IAM policies deciding who may use a key.

Tests share one server; each creates its own keys and aliases (see `uid`)."""
import base64
import json
import uuid

import botocore.exceptions
import pytest
from helpers import error_of


def uid():
    return uuid.uuid4().hex[:10]


def fails(call, code, status=400):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    assert error_of(e) == (code, status), e.value.response["Error"]
    return e.value.response["Error"].get("Message", "")


@pytest.fixture
def kms(gureum):
    return gureum.client("kms")


def account_of(gureum):
    return gureum.client("sts").get_caller_identity()["Account"]


def new_key(kms, **kwargs):
    return kms.create_key(**kwargs)["KeyMetadata"]


# --- keys, aliases, tags -----------------------------------------------------------------------


def test_create_describe_list(kms, gureum):
    acct = account_of(gureum)
    meta = new_key(kms, Description="first", Tags=[{"TagKey": "team", "TagValue": "web"}])
    key_id = meta["KeyId"]
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{acct}:key/{key_id}"
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["KeyManager"] == "CUSTOMER" and meta["Origin"] == "AWS_KMS"
    assert meta["Description"] == "first"
    for ident in (key_id, meta["Arn"]):
        assert kms.describe_key(KeyId=ident)["KeyMetadata"]["KeyId"] == key_id
    keys = [k["KeyId"] for k in kms.get_paginator("list_keys").paginate(Limit=1).build_full_result()["Keys"]]
    assert key_id in keys
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "team", "TagValue": "web"}]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{acct}:root"}
    assert policy["Statement"][0]["Action"] == "kms:*"


def test_keys_are_regional(gureum):
    east = gureum.client("kms", region="us-east-1")
    west = gureum.client("kms", region="us-west-2")
    key_id = new_key(west)["KeyId"]
    assert new_key(west)["Arn"].startswith("arn:aws:kms:us-west-2:")
    fails(lambda: east.describe_key(KeyId=key_id), "NotFoundException")


def test_unknown_keys(kms, gureum):
    acct = account_of(gureum)
    missing = "11111111-2222-4333-8444-555555555555"
    msg = fails(lambda: kms.describe_key(KeyId=missing), "NotFoundException")
    assert msg == f"Key 'arn:aws:kms:us-east-1:{acct}:key/{missing}' does not exist"
    msg = fails(lambda: kms.describe_key(KeyId="alias/nope-" + uid()), "NotFoundException")
    assert msg.startswith(f"Alias arn:aws:kms:us-east-1:{acct}:alias/nope-")
    fails(lambda: kms.encrypt(KeyId=missing, Plaintext=b"x"), "NotFoundException")


def test_aliases(kms, gureum):
    acct = account_of(gureum)
    a, b = new_key(kms)["KeyId"], new_key(kms)["KeyId"]
    name = "alias/app-" + uid()
    kms.create_alias(AliasName=name, TargetKeyId=a)
    for ident in (name, f"arn:aws:kms:us-east-1:{acct}:{name}"):
        assert kms.describe_key(KeyId=ident)["KeyMetadata"]["KeyId"] == a
    fails(lambda: kms.create_alias(AliasName=name, TargetKeyId=b), "AlreadyExistsException")
    fails(lambda: kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=b), "NotAuthorizedException")
    fails(lambda: kms.create_alias(AliasName=name + "2", TargetKeyId=name), "ValidationException")
    kms.update_alias(AliasName=name, TargetKeyId=b)
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == b
    listed = kms.list_aliases(KeyId=b)["Aliases"]
    assert [x["AliasName"] for x in listed] == [name]
    assert listed[0]["AliasArn"] == f"arn:aws:kms:us-east-1:{acct}:{name}"
    assert listed[0]["TargetKeyId"] == b
    all_names = [x["AliasName"] for x in kms.get_paginator("list_aliases").paginate().build_full_result()["Aliases"]]
    assert name in all_names
    kms.delete_alias(AliasName=name)
    fails(lambda: kms.describe_key(KeyId=name), "NotFoundException")
    fails(lambda: kms.delete_alias(AliasName=name), "NotFoundException")


def test_tags(kms):
    key_id = new_key(kms)["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "3"}])
    kms.untag_resource(KeyId=key_id, TagKeys=["b"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "a", "TagValue": "3"}]
    fails(lambda: kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "aws:x", "TagValue": "1"}]), "TagException")


# --- cryptography ------------------------------------------------------------------------------


def test_encrypt_decrypt_round_trip(kms):
    meta = new_key(kms)
    ctx = {"purpose": "test", "tenant": "t1"}
    out = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"attack at dawn", EncryptionContext=ctx)
    assert out["KeyId"] == meta["Arn"] and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = out["CiphertextBlob"]
    assert b"attack at dawn" not in blob
    back = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    assert back["Plaintext"] == b"attack at dawn" and back["KeyId"] == meta["Arn"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, KeyId=meta["Arn"])["Plaintext"] == b"attack at dawn"
    other = new_key(kms)["KeyId"]
    fails(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, KeyId=other), "IncorrectKeyException")


def test_encryption_context_and_tampering_refused(kms):
    key_id = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionContext={"k": "v"})["CiphertextBlob"]
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "InvalidCiphertextException")
    fails(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "w"}), "InvalidCiphertextException")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    fails(lambda: kms.decrypt(CiphertextBlob=tampered, EncryptionContext={"k": "v"}), "InvalidCiphertextException")
    fails(lambda: kms.decrypt(CiphertextBlob=b"not a ciphertext at all"), "InvalidCiphertextException")


def test_plaintext_limit(kms):
    key_id = new_key(kms)["KeyId"]
    assert kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key_id, Plaintext=b"x" * 4096)["CiphertextBlob"])["Plaintext"] == b"x" * 4096
    fails(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x" * 4097), "ValidationException")


def test_encrypt_decrypt_through_the_cli(gureum, kms, tmp_path):
    # The aws CLI v1 sends a blob argument's text as the bytes; fileb:// sends a file's bytes.
    name = "alias/cli-" + uid()
    kms.create_alias(AliasName=name, TargetKeyId=new_key(kms)["KeyId"])
    out = gureum.cli("kms", "encrypt", "--key-id", name, "--plaintext", "from the cli",
                     "--encryption-context", "app=cli", "--output", "json")
    blob_file = tmp_path / "blob"
    blob_file.write_bytes(base64.b64decode(json.loads(out.stdout)["CiphertextBlob"]))
    out = gureum.cli("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob_file}", "--encryption-context",
                     "app=cli", "--output", "text", "--query", "Plaintext")
    assert base64.b64decode(out.stdout.strip()) == b"from the cli"
    out = gureum.cli("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob_file}", check=False)
    assert out.returncode != 0 and "InvalidCiphertextException" in out.stderr


def test_data_keys(kms):
    key_id = new_key(kms)["KeyId"]
    dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext={"f": "1"})
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"f": "1"})["Plaintext"] == dk["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key_id, NumberOfBytes=64)["Plaintext"]) == 64
    assert len(kms.generate_data_key(KeyId=key_id, KeySpec="AES_128")["Plaintext"]) == 16
    fails(lambda: kms.generate_data_key(KeyId=key_id), "ValidationException")
    wp = kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_256")
    assert "Plaintext" not in wp
    assert len(kms.decrypt(CiphertextBlob=wp["CiphertextBlob"])["Plaintext"]) == 32
    assert len(kms.generate_random(NumberOfBytes=48)["Plaintext"]) == 48


def test_re_encrypt(kms):
    a, b = new_key(kms), new_key(kms)
    blob = kms.encrypt(KeyId=a["KeyId"], Plaintext=b"move me", EncryptionContext={"x": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"x": "1"},
                         DestinationKeyId=b["KeyId"], DestinationEncryptionContext={"y": "2"})
    assert out["SourceKeyId"] == a["Arn"] and out["KeyId"] == b["Arn"]
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"y": "2"})
    assert back["Plaintext"] == b"move me" and back["KeyId"] == b["Arn"]


def test_disabled_key(kms):
    key_id = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    msg = fails(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), "DisabledException")
    assert msg.endswith(f"key/{key_id} is disabled.")
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "DisabledException")
    fails(lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"), "DisabledException")
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_rotation_keeps_old_ciphertexts(kms):
    key_id = new_key(kms)["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    old = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key_id)
    new = kms.encrypt(KeyId=key_id, Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after"
    assert [r["RotationType"] for r in kms.list_key_rotations(KeyId=key_id)["Rotations"]] == ["ON_DEMAND"]
    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_scheduled_deletion_on_the_server_clock(start_gureum):
    server = start_gureum().start()
    kms = server.client("kms")
    key_id = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    fails(lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=6), "ValidationException")
    fails(lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=31), "ValidationException")
    out = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion" and "DeletionDate" in meta
    fails(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), "KMSInvalidStateException")
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "KMSInvalidStateException")
    kms.cancel_key_deletion(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    fails(lambda: kms.cancel_key_deletion(KeyId=key_id), "KMSInvalidStateException")
    kms.enable_key(KeyId=key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert server.admin("/_gureum/clock", {"advance_seconds": 6 * 86400})[0] == 200
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert server.admin("/_gureum/clock", {"advance_seconds": 86400 + 60})[0] == 200
    fails(lambda: kms.describe_key(KeyId=key_id), "NotFoundException")
    assert key_id not in [k["KeyId"] for k in kms.list_keys()["Keys"]]
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "NotFoundException")


def test_keys_survive_a_restart(start_gureum):
    server = start_gureum().start()
    kms = server.client("kms")
    key_id = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"durable")["CiphertextBlob"]
    server.kill()
    server.start()
    assert server.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"durable"


# --- authorization -----------------------------------------------------------------------------


def make_user(gureum, policy=None):
    iam = gureum.client("iam")
    name = "kms-user-" + uid()
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    return gureum.client("kms", key=key["AccessKeyId"], secret=key["SecretAccessKey"]), arn


def allow(actions, resource="*"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}


def test_iam_policy_decides_for_users(gureum, kms):
    meta = new_key(kms)
    other = new_key(kms)
    nobody, _ = make_user(gureum)
    msg = fails(lambda: nobody.encrypt(KeyId=meta["KeyId"], Plaintext=b"x"), "AccessDeniedException")
    assert "kms:Encrypt" in msg and meta["Arn"] in msg
    fails(lambda: nobody.list_keys(), "AccessDeniedException")
    user, _ = make_user(gureum, allow(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], meta["Arn"]))
    blob = user.encrypt(KeyId=meta["KeyId"], Plaintext=b"ok")["CiphertextBlob"]
    assert user.decrypt(CiphertextBlob=blob)["Plaintext"] == b"ok"
    fails(lambda: user.encrypt(KeyId=other["KeyId"], Plaintext=b"x"), "AccessDeniedException")
    fails(lambda: user.disable_key(KeyId=meta["KeyId"]), "AccessDeniedException")


def test_key_policy_grants_and_denies(gureum, kms):
    acct = account_of(gureum)
    user, user_arn = make_user(gureum)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "user", "Effect": "Allow", "Principal": {"AWS": user_arn},
             "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"},
        ],
    }
    key_id = new_key(kms, Policy=json.dumps(policy))["KeyId"]
    blob = user.encrypt(KeyId=key_id, Plaintext=b"granted by the key")["CiphertextBlob"]
    assert user.decrypt(CiphertextBlob=blob)["Plaintext"] == b"granted by the key"
    fails(lambda: user.generate_data_key(KeyId=key_id, KeySpec="AES_256"), "AccessDeniedException")
    # A key policy that denies wins over the user's own allow, and over root.
    admin, _ = make_user(gureum, allow("kms:*"))
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"},
        ],
    }
    locked = new_key(kms, Policy=json.dumps(deny))["KeyId"]
    blob = admin.encrypt(KeyId=locked, Plaintext=b"x")["CiphertextBlob"]
    fails(lambda: admin.decrypt(CiphertextBlob=blob), "AccessDeniedException")
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "AccessDeniedException")


# --- key policies ------------------------------------------------------------------------------


def root_policy(acct, *extra):
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
             "Action": "kms:*", "Resource": "*"},
            *extra,
        ],
    }


LOCKOUT = "The new key policy will not allow you to update the key policy in the future."


def test_put_get_list_key_policies(gureum, kms):
    acct = account_of(gureum)
    key_id = new_key(kms)["KeyId"]
    assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]
    default = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert default["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{acct}:root"}
    _, user_arn = make_user(gureum)
    policy = root_policy(acct, {"Sid": "user", "Effect": "Allow", "Principal": {"AWS": user_arn},
                                "Action": "kms:Encrypt", "Resource": "*"})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    got = kms.get_key_policy(KeyId=key_id, PolicyName="default")
    assert json.loads(got["Policy"]) == policy and got["PolicyName"] == "default"
    # Only "default" exists.
    msg = fails(lambda: kms.put_key_policy(KeyId=key_id, PolicyName="other", Policy=json.dumps(policy)),
                "UnsupportedOperationException")
    assert msg == "Only default policy is supported"
    assert fails(lambda: kms.get_key_policy(KeyId=key_id, PolicyName="other"),
                 "NotFoundException") == "No such policy exists"
    fails(lambda: kms.list_key_policies(KeyId=str(uuid.uuid4())), "NotFoundException")


def test_key_policies_are_validated_as_resource_policies(gureum, kms):
    acct = account_of(gureum)
    key_id = new_key(kms)["KeyId"]
    no_principal = {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
    for call in (
        lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(no_principal)),
        lambda: kms.create_key(Policy=json.dumps(no_principal)),
    ):
        assert fails(call, "MalformedPolicyDocumentException") == "Missing required field Principal"
    msg = fails(lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy="{not json"),
                "MalformedPolicyDocumentException")
    assert msg == "Syntax errors in policy."
    bad_action = root_policy(acct)
    bad_action["Statement"][0]["Action"] = "Encrypt"
    msg = fails(lambda: kms.create_key(Policy=json.dumps(bad_action)), "MalformedPolicyDocumentException")
    assert "vendor" in msg
    # The stored policy is unchanged by refusals.
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Id"] == "key-default-1"


def test_lockout_safety_check(gureum, kms):
    acct = account_of(gureum)
    _, other_arn = make_user(gureum)
    only_other = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": other_arn}, "Action": "kms:*", "Resource": "*"}]}
    key_id = new_key(kms)["KeyId"]
    # Root would no longer be allowed PutKeyPolicy: refused, for PutKeyPolicy and CreateKey.
    assert fails(lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(only_other)),
                 "MalformedPolicyDocumentException") == LOCKOUT
    assert fails(lambda: kms.create_key(Policy=json.dumps(only_other)),
                 "MalformedPolicyDocumentException") == LOCKOUT
    # A policy allowing everything but denying PutKeyPolicy locks out too.
    deny = root_policy(acct, {"Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy", "Resource": "*"})
    assert fails(lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(deny)),
                 "MalformedPolicyDocumentException") == LOCKOUT
    # An IAM user whose IAM policy allows kms:*: a policy delegating to the account keeps it in,
    # naming it directly keeps it in, naming only someone else locks it out.
    admin, admin_arn = make_user(gureum, allow("kms:*"))
    user_key = new_key(kms)["KeyId"]
    admin.put_key_policy(KeyId=user_key, PolicyName="default", Policy=json.dumps(root_policy(acct)))
    direct = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [admin_arn, f"arn:aws:iam::{acct}:root"]},
         "Action": "kms:*", "Resource": "*"}]}
    admin.put_key_policy(KeyId=user_key, PolicyName="default", Policy=json.dumps(direct))
    assert fails(lambda: admin.put_key_policy(KeyId=user_key, PolicyName="default", Policy=json.dumps(only_other)),
                 "MalformedPolicyDocumentException") == LOCKOUT
    # The bypass takes the policy as written.
    admin.put_key_policy(KeyId=user_key, PolicyName="default", Policy=json.dumps(only_other),
                         BypassPolicyLockoutSafetyCheck=True)
    # The key policy is authoritative, as in KMS: it now admits only the other user, so the
    # account's root and the admin (whose IAM policy allows kms:*) are both locked out.
    message = fails(lambda: kms.get_key_policy(KeyId=user_key, PolicyName="default"), "AccessDeniedException")
    assert "because no resource-based policy allows the kms:GetKeyPolicy action" in message
    fails(lambda: admin.get_key_policy(KeyId=user_key, PolicyName="default"), "AccessDeniedException")
    created = kms.create_key(Policy=json.dumps(only_other), BypassPolicyLockoutSafetyCheck=True)
    assert created["KeyMetadata"]["KeyState"] == "Enabled"
    fails(lambda: kms.describe_key(KeyId=created["KeyMetadata"]["KeyId"]), "AccessDeniedException")


# --- grants ------------------------------------------------------------------------------------


def test_grants_authorize_their_grantee(gureum, kms):
    acct = account_of(gureum)
    meta = new_key(kms)
    key_id = meta["KeyId"]
    user, user_arn = make_user(gureum)
    fails(lambda: user.encrypt(KeyId=key_id, Plaintext=b"x"), "AccessDeniedException")
    root_arn = f"arn:aws:iam::{acct}:root"
    g = kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn, RetiringPrincipal=root_arn,
                         Operations=["Encrypt", "Decrypt"], Name="app")
    assert len(g["GrantId"]) == 64 and g["GrantToken"]
    blob = user.encrypt(KeyId=key_id, Plaintext=b"by grant", GrantTokens=[g["GrantToken"]])["CiphertextBlob"]
    assert user.decrypt(CiphertextBlob=blob)["Plaintext"] == b"by grant"
    fails(lambda: user.generate_data_key(KeyId=key_id, KeySpec="AES_256"), "AccessDeniedException")
    fails(lambda: user.describe_key(KeyId=key_id), "AccessDeniedException")
    # Creating the same named grant again answers the same grant.
    again = kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn, RetiringPrincipal=root_arn,
                             Operations=["Encrypt", "Decrypt"], Name="app")
    assert again["GrantId"] == g["GrantId"]
    grants = kms.list_grants(KeyId=key_id)["Grants"]
    assert len(grants) == 1
    entry = grants[0]
    assert entry["KeyId"] == meta["Arn"] and entry["GrantId"] == g["GrantId"] and entry["Name"] == "app"
    assert entry["GranteePrincipal"] == user_arn and entry["RetiringPrincipal"] == root_arn
    assert entry["Operations"] == ["Encrypt", "Decrypt"] and entry["IssuingAccount"] == root_arn
    assert kms.list_grants(KeyId=key_id, GranteePrincipal="arn:aws:iam::123456789012:user/x")["Grants"] == []
    retirable = kms.list_retirable_grants(RetiringPrincipal=root_arn)["Grants"]
    assert g["GrantId"] in [r["GrantId"] for r in retirable]
    # Revoked: the user is refused again.
    kms.revoke_grant(KeyId=key_id, GrantId=g["GrantId"])
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    fails(lambda: user.encrypt(KeyId=key_id, Plaintext=b"x"), "AccessDeniedException")
    # A key policy's explicit deny still wins over a grant.
    deny = root_policy(acct, {"Effect": "Deny", "Principal": {"AWS": user_arn}, "Action": "kms:Encrypt",
                              "Resource": "*"})
    denied = new_key(kms, Policy=json.dumps(deny))["KeyId"]
    kms.create_grant(KeyId=denied, GranteePrincipal=user_arn, Operations=["Encrypt"])
    fails(lambda: user.encrypt(KeyId=denied, Plaintext=b"x"), "AccessDeniedException")


def test_grant_constraints(gureum, kms):
    key_id = new_key(kms)["KeyId"]
    user, user_arn = make_user(gureum)
    kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn, Operations=["Encrypt"],
                     Constraints={"EncryptionContextSubset": {"app": "web"}})
    fails(lambda: user.encrypt(KeyId=key_id, Plaintext=b"x"), "AccessDeniedException")
    fails(lambda: user.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"app": "db"}),
          "AccessDeniedException")
    user.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"app": "web"})
    user.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"app": "web", "more": "ok"})
    other = new_key(kms)["KeyId"]
    g = kms.create_grant(KeyId=other, GranteePrincipal=user_arn, Operations=["Encrypt"],
                         Constraints={"EncryptionContextEquals": {"app": "web"}})
    user.encrypt(KeyId=other, Plaintext=b"x", EncryptionContext={"app": "web"})
    fails(lambda: user.encrypt(KeyId=other, Plaintext=b"x", EncryptionContext={"app": "web", "more": "no"}),
          "AccessDeniedException")
    listed = kms.list_grants(KeyId=other, GrantId=g["GrantId"])["Grants"]
    assert listed[0]["Constraints"] == {"EncryptionContextEquals": {"app": "web"}}


def test_retire_grants_and_bad_grant_input(gureum, kms):
    acct = account_of(gureum)
    key_id = new_key(kms)["KeyId"]
    user, user_arn = make_user(gureum)
    g1 = kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn, Operations=["Encrypt", "RetireGrant"])
    # The grantee retires its own grant by token.
    user.retire_grant(GrantToken=g1["GrantToken"])
    fails(lambda: user.encrypt(KeyId=key_id, Plaintext=b"x"), "AccessDeniedException")
    # A retiring principal retires by key and grant id.
    retirer, retirer_arn = make_user(gureum)
    g2 = kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn, RetiringPrincipal=retirer_arn,
                          Operations=["Encrypt"])
    assert [r["GrantId"] for r in kms.list_retirable_grants(RetiringPrincipal=retirer_arn)["Grants"]] == [g2["GrantId"]]
    retirer.retire_grant(KeyId=key_id, GrantId=g2["GrantId"])
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    # Bad input.
    fails(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=["not-a-token"]),
          "InvalidGrantTokenException")
    fails(lambda: kms.retire_grant(GrantToken="not-a-token"), "InvalidGrantTokenException")
    fails(lambda: kms.retire_grant(GrantToken=g1["GrantToken"]), "InvalidGrantTokenException")
    fails(lambda: kms.revoke_grant(KeyId=key_id, GrantId="nope"), "InvalidGrantIdException")
    msg = fails(lambda: kms.revoke_grant(KeyId=key_id, GrantId="0" * 64), "NotFoundException")
    assert msg == f"Grant ID {'0' * 64} not found"
    fails(lambda: kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn, Operations=["Fly"]),
          "ValidationException")
    fails(lambda: kms.create_grant(KeyId=str(uuid.uuid4()), GranteePrincipal=user_arn, Operations=["Encrypt"]),
          "NotFoundException")
    kms.disable_key(KeyId=key_id)
    fails(lambda: kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn, Operations=["Encrypt"]),
          "DisabledException")
    assert acct


def test_grants_through_the_cli(gureum, kms):
    key_id = new_key(kms)["KeyId"]
    _, user_arn = make_user(gureum)
    out = gureum.cli("kms", "create-grant", "--key-id", key_id, "--grantee-principal", user_arn,
                     "--operations", "Decrypt", "--output", "json")
    grant_id = json.loads(out.stdout)["GrantId"]
    out = gureum.cli("kms", "list-grants", "--key-id", key_id, "--output", "json")
    assert [g["GrantId"] for g in json.loads(out.stdout)["Grants"]] == [grant_id]


def test_key_policy_is_authoritative(gureum, kms):
    # An IAM allow counts only where the key policy delegates to the account.
    acct = account_of(gureum)
    user, user_arn = make_user(gureum, allow("kms:*"))
    delegated = new_key(kms)["KeyId"]  # the default policy delegates to the account
    assert user.describe_key(KeyId=delegated)["KeyMetadata"]["KeyId"] == delegated
    # A key policy naming the account only for the root user itself delegates nothing.
    private = kms.create_key(BypassPolicyLockoutSafetyCheck=True, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "kms:*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalType": "Account"}}}]}))["KeyMetadata"]["KeyId"]
    assert kms.describe_key(KeyId=private)["KeyMetadata"]["KeyId"] == private
    fails(lambda: user.describe_key(KeyId=private), "AccessDeniedException")
    # A user named by the key policy needs no IAM policy at all.
    plain, plain_arn = make_user(gureum)
    named = kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": plain_arn}, "Action": "kms:Encrypt", "Resource": "*"}]}))["KeyMetadata"]["KeyId"]
    assert plain.encrypt(KeyId=named, Plaintext=b"x")["CiphertextBlob"]
    fails(lambda: plain.describe_key(KeyId=named), "AccessDeniedException")


# --- HMAC keys ---------------------------------------------------------------------------------

HMAC_SPECS = {"HMAC_224": ("HMAC_SHA_224", 28), "HMAC_256": ("HMAC_SHA_256", 32),
              "HMAC_384": ("HMAC_SHA_384", 48), "HMAC_512": ("HMAC_SHA_512", 64)}


def test_hmac_keys_generate_and_verify(kms):
    for spec, (algorithm, length) in HMAC_SPECS.items():
        meta = new_key(kms, KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")
        assert meta["KeySpec"] == spec and meta["KeyUsage"] == "GENERATE_VERIFY_MAC"
        assert meta["MacAlgorithms"] == [algorithm] and "EncryptionAlgorithms" not in meta
        described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
        assert described["MacAlgorithms"] == [algorithm] and described["KeySpec"] == spec
        out = kms.generate_mac(KeyId=meta["KeyId"], Message=b"hello", MacAlgorithm=algorithm)
        assert out["KeyId"] == meta["Arn"] and out["MacAlgorithm"] == algorithm
        assert len(out["Mac"]) == length  # the digest's output size
        again = kms.generate_mac(KeyId=meta["KeyId"], Message=b"hello", MacAlgorithm=algorithm)
        assert again["Mac"] == out["Mac"]  # deterministic under one key
        ok = kms.verify_mac(KeyId=meta["KeyId"], Message=b"hello", MacAlgorithm=algorithm, Mac=out["Mac"])
        assert ok["MacValid"] is True and ok["KeyId"] == meta["Arn"] and ok["MacAlgorithm"] == algorithm
        bad = bytes([out["Mac"][0] ^ 1]) + out["Mac"][1:]
        fails(lambda: kms.verify_mac(KeyId=meta["KeyId"], Message=b"hello", MacAlgorithm=algorithm, Mac=bad),
              "KMSInvalidMacException")
        fails(lambda: kms.verify_mac(KeyId=meta["KeyId"], Message=b"hellO", MacAlgorithm=algorithm,
                                     Mac=out["Mac"]), "KMSInvalidMacException")
    # Two keys of one spec have different material.
    a = new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    b = new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    mac_a = kms.generate_mac(KeyId=a, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    mac_b = kms.generate_mac(KeyId=b, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac_a != mac_b
    fails(lambda: kms.verify_mac(KeyId=b, Message=b"m", MacAlgorithm="HMAC_SHA_256", Mac=mac_a),
          "KMSInvalidMacException")
    # Through an alias too.
    name = "alias/hmac-" + uid()
    kms.create_alias(AliasName=name, TargetKeyId=a)
    assert kms.generate_mac(KeyId=name, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"] == mac_a


def test_hmac_key_bad_input(kms):
    for usage in ("ENCRYPT_DECRYPT", "SIGN_VERIFY"):
        msg = fails(lambda: kms.create_key(KeySpec="HMAC_256", KeyUsage=usage), "ValidationException")
        assert "HMAC_256" in msg
    fails(lambda: kms.create_key(KeySpec="HMAC_256"), "ValidationException")  # default usage
    fails(lambda: kms.create_key(KeyUsage="GENERATE_VERIFY_MAC"), "ValidationException")  # symmetric spec
    hmac_key = new_key(kms, KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    sym_key = new_key(kms)["KeyId"]
    # Wrong algorithm for the key's spec; the wrong kind of key for each operation.
    msg = fails(lambda: kms.generate_mac(KeyId=hmac_key, Message=b"x", MacAlgorithm="HMAC_SHA_256"),
                "InvalidKeyUsageException")
    assert "HMAC_SHA_256" in msg
    fails(lambda: kms.generate_mac(KeyId=sym_key, Message=b"x", MacAlgorithm="HMAC_SHA_256"),
          "InvalidKeyUsageException")
    fails(lambda: kms.verify_mac(KeyId=sym_key, Message=b"x", MacAlgorithm="HMAC_SHA_256", Mac=b"0" * 32),
          "InvalidKeyUsageException")
    fails(lambda: kms.encrypt(KeyId=hmac_key, Plaintext=b"x"), "InvalidKeyUsageException")
    fails(lambda: kms.generate_data_key(KeyId=hmac_key, KeySpec="AES_256"), "InvalidKeyUsageException")
    blob = kms.encrypt(KeyId=sym_key, Plaintext=b"x")["CiphertextBlob"]
    fails(lambda: kms.decrypt(KeyId=hmac_key, CiphertextBlob=blob), "InvalidKeyUsageException")
    fails(lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=hmac_key), "InvalidKeyUsageException")
    # Message size: 1 to 4096 bytes.
    kms.generate_mac(KeyId=hmac_key, Message=b"x" * 4096, MacAlgorithm="HMAC_SHA_384")
    fails(lambda: kms.generate_mac(KeyId=hmac_key, Message=b"x" * 4097, MacAlgorithm="HMAC_SHA_384"),
          "ValidationException")
    # Rotation is for symmetric encryption keys only.
    for call in (lambda: kms.enable_key_rotation(KeyId=hmac_key),
                 lambda: kms.rotate_key_on_demand(KeyId=hmac_key)):
        fails(call, "UnsupportedOperationException")
    # Key states apply as for any key.
    kms.disable_key(KeyId=hmac_key)
    fails(lambda: kms.generate_mac(KeyId=hmac_key, Message=b"x", MacAlgorithm="HMAC_SHA_384"),
          "DisabledException")
    kms.enable_key(KeyId=hmac_key)
    kms.schedule_key_deletion(KeyId=hmac_key, PendingWindowInDays=7)
    fails(lambda: kms.generate_mac(KeyId=hmac_key, Message=b"x", MacAlgorithm="HMAC_SHA_384"),
          "KMSInvalidStateException")


def test_hmac_key_policy_decides(gureum, kms):
    # A key policy that does not allow kms:GenerateMac to the account refuses it.
    acct = account_of(gureum)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:GenerateMac", "Resource": "*"},
    ]}
    key_id = new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Policy=json.dumps(policy))["KeyId"]
    fails(lambda: kms.generate_mac(KeyId=key_id, Message=b"x", MacAlgorithm="HMAC_SHA_256"),
          "AccessDeniedException")


def test_generate_mac_through_the_cli(gureum, kms, tmp_path):
    key_id = new_key(kms, KeySpec="HMAC_512", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    message = tmp_path / "message"
    message.write_bytes(b"signed by the cli")
    out = gureum.cli("kms", "generate-mac", "--key-id", key_id, "--mac-algorithm", "HMAC_SHA_512",
                     "--message", f"fileb://{message}", "--output", "json")
    mac = base64.b64decode(json.loads(out.stdout)["Mac"])
    assert len(mac) == 64
    ok = kms.verify_mac(KeyId=key_id, Message=b"signed by the cli", MacAlgorithm="HMAC_SHA_512", Mac=mac)
    assert ok["MacValid"] is True


# --- AWS managed keys --------------------------------------------------------------------------


def test_aws_managed_keys_created_on_first_use(gureum, kms):
    acct = account_of(gureum)
    # Each test server is shared, so the key may exist already; either way DescribeKey answers it.
    meta = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS" and meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT" and meta["KeyState"] == "Enabled"
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{acct}:key/{meta['KeyId']}"
    # The same key on every later use.
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"] == meta["KeyId"]
    aliases = {a["AliasName"]: a for a in kms.get_paginator("list_aliases").paginate().build_full_result()["Aliases"]}
    assert aliases["alias/aws/s3"]["TargetKeyId"] == meta["KeyId"]
    assert aliases["alias/aws/s3"]["AliasArn"] == f"arn:aws:kms:us-east-1:{acct}:alias/aws/s3"
    # Its policy: use through the service only, metadata directly.
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
    via = policy["Statement"][0]["Condition"]["StringEquals"]
    assert via == {"kms:CallerAccount": acct, "kms:ViaService": "s3.us-east-1.amazonaws.com"}
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is True
    # A direct Encrypt carries no kms:ViaService: refused, as AWS refuses it.
    fails(lambda: kms.encrypt(KeyId="alias/aws/s3", Plaintext=b"x"), "AccessDeniedException")
    # Users cannot manage an AWS managed key or its alias.
    fails(lambda: kms.disable_key(KeyId=meta["KeyId"]), "AccessDeniedException")
    fails(lambda: kms.schedule_key_deletion(KeyId=meta["KeyId"]), "AccessDeniedException")
    fails(lambda: kms.delete_alias(AliasName="alias/aws/s3"), "NotAuthorizedException")
    fails(lambda: kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=new_key(kms)["KeyId"]),
          "NotAuthorizedException")
    # A direct GenerateDataKey on a managed alias not created yet is refused by the policy it will
    # have, and creates nothing; DescribeKey then creates it.
    fails(lambda: kms.generate_data_key(KeyId="alias/aws/dynamodb", KeySpec="AES_256"), "AccessDeniedException")
    names = [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    if "alias/aws/dynamodb" not in names:
        ddb = kms.describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]
        assert ddb["KeyManager"] == "AWS" and ddb["KeyId"] != meta["KeyId"]
    # Customer keys still say CUSTOMER; an unknown non-managed alias is still NotFound.
    assert new_key(kms)["KeyManager"] == "CUSTOMER"
    fails(lambda: kms.describe_key(KeyId="alias/nothing-" + uid()), "NotFoundException")
