"""S3 against the real binary, beyond objects: ACLs, ownership controls, public access blocks,
CORS, notification configuration, lifecycle with object lock, browser POST uploads, website
endpoints."""
import datetime
import json
import os
import urllib.error
import urllib.request
import uuid

import botocore.exceptions
import pytest
from helpers import error_of, eventually

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def new_bucket(s3, prefix="m", **kwargs):
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, **kwargs)
    return name


def acl_bucket(s3):
    """A bucket with ACLs enabled and no public access block, as before 2023."""
    name = new_bucket(s3, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    return name


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def unsigned(server, method, path, data=None, headers=None):
    """An unsigned request; redirects are answered, not followed."""
    req = urllib.request.Request(f"{server.endpoint}{path}", data=data, method=method,
                                 headers=headers or {})
    try:
        with _opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def raises(code, status, call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    assert error_of(e) == (code, status), e.value.response["Error"]
    return e.value.response["Error"].get("Message")


@pytest.fixture
def s3(gureum):
    return gureum.client("s3")


# ---------------------------------------------------------------------------------------------
# ACLs, ownership controls, public access block.

def grants_of(acl):
    out = set()
    for g in acl["Grants"]:
        who = g["Grantee"].get("URI") or g["Grantee"].get("ID")
        out.add((g["Grantee"]["Type"], who, g["Permission"]))
    return out


def test_new_buckets_disable_acls_and_block_public_access(s3):
    name = new_bucket(s3)
    rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    acl = s3.get_bucket_acl(Bucket=name)
    owner = acl["Owner"]["ID"]
    assert len(owner) == 64
    assert grants_of(acl) == {("CanonicalUser", owner, "FULL_CONTROL")}
    raises("AccessControlListNotSupported", 400, s3.put_bucket_acl, Bucket=name, ACL="public-read")
    raises("AccessControlListNotSupported", 400, s3.put_object, Bucket=name, Key="k", Body=b"x",
           ACL="public-read")
    raises("AccessControlListNotSupported", 400, s3.put_object, Bucket=name, Key="k", Body=b"x",
           ACL="bucket-owner-read")
    # The owner-only ACLs are still accepted, as AWS does.
    s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_bucket_acl(Bucket=name, ACL="private")
    assert grants_of(s3.get_object_acl(Bucket=name, Key="k")) == {("CanonicalUser", owner, "FULL_CONTROL")}
    raises("InvalidBucketAclWithObjectOwnership", 400, s3.create_bucket,
           Bucket=f"m-{uuid.uuid4().hex[:12]}", ACL="public-read")
    raises("InvalidBucketAclWithBlockPublicAccessError", 400, s3.create_bucket,
           Bucket=f"m-{uuid.uuid4().hex[:12]}", ACL="public-read", ObjectOwnership="ObjectWriter")
    s3.delete_bucket_ownership_controls(Bucket=name)
    raises("OwnershipControlsNotFoundError", 404, s3.get_bucket_ownership_controls, Bucket=name)
    s3.delete_public_access_block(Bucket=name)
    raises("NoSuchPublicAccessBlockConfiguration", 404, s3.get_public_access_block, Bucket=name)
    raises("MalformedXML", 400, s3.put_bucket_ownership_controls, Bucket=name,
           OwnershipControls={"Rules": [{"ObjectOwnership": "Nobody"}]})
    raises("NoSuchBucket", 404, s3.get_bucket_acl, Bucket=f"nope-{uuid.uuid4().hex[:12]}")


def test_object_acls_grant_anonymous_reads(gureum, s3):
    name = new_bucket(s3, ObjectOwnership="ObjectWriter")
    # BlockPublicAcls refuses a public ACL while it is on.
    raises("AccessDenied", 403, s3.put_object, Bucket=name, Key="pub", Body=b"x", ACL="public-read")
    s3.delete_public_access_block(Bucket=name)
    s3.put_object(Bucket=name, Key="pub", Body=b"open", ACL="public-read")
    s3.put_object(Bucket=name, Key="priv", Body=b"closed")
    owner = s3.get_bucket_acl(Bucket=name)["Owner"]["ID"]
    assert grants_of(s3.get_object_acl(Bucket=name, Key="pub")) == {
        ("CanonicalUser", owner, "FULL_CONTROL"), ("Group", ALL_USERS, "READ")}
    assert unsigned(gureum, "GET", f"/{name}/pub")[::2] == (200, b"open")
    status, _, body = unsigned(gureum, "GET", f"/{name}/priv")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    # READ on an object does not open its ACL, the bucket listing or writes.
    assert unsigned(gureum, "GET", f"/{name}/pub?acl")[0] == 403
    assert unsigned(gureum, "GET", f"/{name}")[0] == 403
    assert unsigned(gureum, "PUT", f"/{name}/pub", data=b"y")[0] == 403
    # Back to private by PutObjectAcl; an overwrite without an ACL is private again too.
    s3.put_object_acl(Bucket=name, Key="pub", ACL="private")
    assert unsigned(gureum, "GET", f"/{name}/pub")[0] == 403
    s3.put_object_acl(Bucket=name, Key="pub", ACL="public-read")
    assert unsigned(gureum, "GET", f"/{name}/pub")[0] == 200
    s3.put_object(Bucket=name, Key="pub", Body=b"again")
    assert unsigned(gureum, "GET", f"/{name}/pub")[0] == 403
    # CopyObject takes the ACL it is given, not the source's.
    s3.copy_object(Bucket=name, Key="copy", CopySource={"Bucket": name, "Key": "priv"}, ACL="public-read")
    assert unsigned(gureum, "GET", f"/{name}/copy")[::2] == (200, b"closed")
    # IgnorePublicAcls makes public grants count for nothing, without removing them.
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert unsigned(gureum, "GET", f"/{name}/copy")[0] == 403
    assert ("Group", ALL_USERS, "READ") in grants_of(s3.get_object_acl(Bucket=name, Key="copy"))
    # BucketOwnerEnforced disables ACLs: the grant stops counting and reads show the owner only.
    s3.delete_public_access_block(Bucket=name)
    assert unsigned(gureum, "GET", f"/{name}/copy")[0] == 200
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert unsigned(gureum, "GET", f"/{name}/copy")[0] == 403
    assert grants_of(s3.get_object_acl(Bucket=name, Key="copy")) == {("CanonicalUser", owner, "FULL_CONTROL")}
    raises("NoSuchKey", 404, s3.get_object_acl, Bucket=name, Key="missing")


def test_streamed_puts_take_their_acl_and_object_lock(gureum, s3):
    """Bodies over 1 MiB stream from the connection: the ACL and object lock headers count for
    them as for small ones, and are refused before the body is read."""
    big = os.urandom(2 * 1024 * 1024 + 5)
    name = new_bucket(s3, ObjectOwnership="ObjectWriter")
    raises("AccessDenied", 403, s3.put_object, Bucket=name, Key="pub", Body=big, ACL="public-read")
    s3.delete_public_access_block(Bucket=name)
    s3.put_object(Bucket=name, Key="pub", Body=big, ACL="public-read")
    assert unsigned(gureum, "GET", f"/{name}/pub")[::2] == (200, big)
    s3.put_object(Bucket=name, Key="pub", Body=big)
    assert unsigned(gureum, "GET", f"/{name}/pub")[0] == 403
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    raises("InvalidRequest", 400, s3.put_object, Bucket=name, Key="l", Body=big,
           ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    locked = f"lk-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=locked, ObjectLockEnabledForBucket=True)
    v = s3.put_object(Bucket=locked, Key="k", Body=big, ObjectLockMode="COMPLIANCE",
                      ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")["VersionId"]
    assert s3.get_object_retention(Bucket=locked, Key="k", VersionId=v)["Retention"]["Mode"] == "COMPLIANCE"
    assert s3.get_object_legal_hold(Bucket=locked, Key="k", VersionId=v)["LegalHold"] == {"Status": "ON"}
    raises("AccessDenied", 403, s3.delete_object, Bucket=locked, Key="k", VersionId=v)
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    v = s3.put_object(Bucket=locked, Key="d", Body=big)["VersionId"]
    assert s3.get_object_retention(Bucket=locked, Key="d", VersionId=v)["Retention"]["Mode"] == "GOVERNANCE"
    raises("AccessDenied", 403, s3.delete_object, Bucket=locked, Key="d", VersionId=v)


def test_versioned_object_acls_are_per_version(gureum, s3):
    name = acl_bucket(s3)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=name, Key="k", Body=b"one", ACL="public-read")["VersionId"]
    v2 = s3.put_object(Bucket=name, Key="k", Body=b"two")["VersionId"]
    assert unsigned(gureum, "GET", f"/{name}/k")[0] == 403
    assert unsigned(gureum, "GET", f"/{name}/k?versionId={v1}")[::2] == (200, b"one")
    assert ("Group", ALL_USERS, "READ") in grants_of(s3.get_object_acl(Bucket=name, Key="k", VersionId=v1))
    s3.put_object_acl(Bucket=name, Key="k", VersionId=v2, ACL="public-read")
    assert unsigned(gureum, "GET", f"/{name}/k")[::2] == (200, b"two")
    raises("NoSuchVersion", 404, s3.get_object_acl, Bucket=name, Key="k", VersionId="nope")


def test_multipart_uploads_and_deletes_carry_object_acls(gureum, s3):
    name = acl_bucket(s3)
    upload = s3.create_multipart_upload(Bucket=name, Key="big", ACL="public-read")["UploadId"]
    part = s3.upload_part(Bucket=name, Key="big", UploadId=upload, PartNumber=1, Body=b"p" * 10)
    # Not readable before it completes: there is no object yet.
    assert unsigned(gureum, "GET", f"/{name}/big")[0] == 403
    s3.complete_multipart_upload(Bucket=name, Key="big", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert unsigned(gureum, "GET", f"/{name}/big")[::2] == (200, b"p" * 10)
    assert ("Group", ALL_USERS, "READ") in grants_of(s3.get_object_acl(Bucket=name, Key="big"))
    # An upload without an ACL completes private over it.
    upload = s3.create_multipart_upload(Bucket=name, Key="big")["UploadId"]
    part = s3.upload_part(Bucket=name, Key="big", UploadId=upload, PartNumber=1, Body=b"q")
    s3.complete_multipart_upload(Bucket=name, Key="big", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert unsigned(gureum, "GET", f"/{name}/big")[0] == 403
    # A deleted object's ACL does not outlive it: the key is closed again, not a public 404.
    s3.put_object(Bucket=name, Key="d1", Body=b"1", ACL="public-read")
    s3.put_object(Bucket=name, Key="d2", Body=b"2", ACL="public-read")
    s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "d1"}]})
    s3.delete_object(Bucket=name, Key="d2")
    assert unsigned(gureum, "GET", f"/{name}/d1")[0] == 403
    assert unsigned(gureum, "GET", f"/{name}/d2")[0] == 403


def test_bucket_acls_grant_listing_and_writes(gureum, s3):
    name = acl_bucket(s3)
    s3.put_object(Bucket=name, Key="a", Body=b"a")
    assert unsigned(gureum, "GET", f"/{name}?list-type=2")[0] == 403
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    status, _, body = unsigned(gureum, "GET", f"/{name}?list-type=2")
    assert status == 200 and b"<Key>a</Key>" in body
    # Listing, not reading the objects.
    assert unsigned(gureum, "GET", f"/{name}/a")[0] == 403
    assert unsigned(gureum, "PUT", f"/{name}/w", data=b"w")[0] == 403
    s3.put_bucket_acl(Bucket=name, ACL="public-read-write")
    assert unsigned(gureum, "PUT", f"/{name}/w", data=b"w")[0] == 200
    assert s3.get_object(Bucket=name, Key="w")["Body"].read() == b"w"
    assert s3.get_object_acl(Bucket=name, Key="w")["Owner"] == s3.get_bucket_acl(Bucket=name)["Owner"]
    # Enforcing bucket ownership needs the public bucket ACL gone first.
    raises("InvalidBucketAclWithObjectOwnership", 400, s3.put_bucket_ownership_controls, Bucket=name,
           OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_acl(Bucket=name, ACL="private")
    assert unsigned(gureum, "GET", f"/{name}?list-type=2")[0] == 403
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})


def test_access_control_policy_bodies_and_grant_headers(gureum, s3):
    name = acl_bucket(s3)
    owner = s3.get_bucket_acl(Bucket=name)["Owner"]
    s3.put_bucket_acl(Bucket=name, AccessControlPolicy={
        "Owner": owner,
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
            {"Grantee": {"Type": "Group", "URI": AUTH_USERS}, "Permission": "READ_ACP"},
        ]})
    assert grants_of(s3.get_bucket_acl(Bucket=name)) == {
        ("CanonicalUser", owner["ID"], "FULL_CONTROL"), ("Group", ALL_USERS, "READ"),
        ("Group", AUTH_USERS, "READ_ACP")}
    assert unsigned(gureum, "GET", f"/{name}")[0] == 200
    # AuthenticatedUsers is not anonymous.
    assert unsigned(gureum, "GET", f"/{name}?acl")[0] == 403
    s3.put_object(Bucket=name, Key="k", Body=b"k")
    s3.put_object_acl(Bucket=name, Key="k", GrantRead=f'uri="{ALL_USERS}"',
                      GrantFullControl=f'id="{owner["ID"]}"')
    assert unsigned(gureum, "GET", f"/{name}/k")[::2] == (200, b"k")
    assert grants_of(s3.get_object_acl(Bucket=name, Key="k")) == {
        ("CanonicalUser", owner["ID"], "FULL_CONTROL"), ("Group", ALL_USERS, "READ")}
    raises("InvalidArgument", 400, s3.put_object_acl, Bucket=name, Key="k",
           GrantRead='uri="http://acs.amazonaws.com/groups/global/Everyone"')
    raises("InvalidRequest", 400, s3.put_object_acl, Bucket=name, Key="k", ACL="private",
           GrantRead=f'uri="{ALL_USERS}"')
    raises("UnresolvableGrantByEmailAddress", 400, s3.put_bucket_acl, Bucket=name,
           GrantRead='emailAddress="nobody@example.com"')
    raises("AccessDenied", 403, s3.put_bucket_acl, Bucket=name, AccessControlPolicy={
        "Owner": {"ID": "0" * 64}, "Grants": []})
    raises("MalformedACLError", 400, s3.put_bucket_acl, Bucket=name, AccessControlPolicy={
        "Owner": owner, "Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "ALL"}]})


def test_cross_account_grants(start_gureum):
    server = start_gureum(args=["--auth", "permissive"]).start()
    owner = server.client("s3", key="111111111111", secret="x")
    guest = server.client("s3", key="222222222222", secret="x")
    owner.create_bucket(Bucket="shared", ObjectOwnership="BucketOwnerPreferred")
    owner.delete_public_access_block(Bucket="shared")
    owner.put_object(Bucket="shared", Key="k", Body=b"mine")
    raises("AccessDenied", 403, guest.get_object, Bucket="shared", Key="k")
    guest_id = guest.list_buckets()["Owner"]["ID"]
    owner.put_object_acl(Bucket="shared", Key="k", GrantRead=f'id="{guest_id}"')
    assert guest.get_object(Bucket="shared", Key="k")["Body"].read() == b"mine"
    grants = grants_of(owner.get_object_acl(Bucket="shared", Key="k"))
    assert ("CanonicalUser", guest_id, "READ") in grants
    # authenticated-read: any signed caller, never an anonymous one.
    owner.put_object(Bucket="shared", Key="a", Body=b"signed", ACL="authenticated-read")
    assert guest.get_object(Bucket="shared", Key="a")["Body"].read() == b"signed"
    assert unsigned(server, "GET", "/shared/a")[0] == 403
    # A bucket WRITE grant lets the guest write; the object is the guest's own.
    owner_id = owner.list_buckets()["Owner"]["ID"]
    owner.put_bucket_acl(Bucket="shared", GrantWrite=f'id="{guest_id}"', GrantFullControl=f'id="{owner_id}"')
    guest.put_object(Bucket="shared", Key="g", Body=b"theirs")
    assert owner.get_object_acl(Bucket="shared", Key="g")["Owner"]["ID"] == guest_id
    # Its owner stays the guest through ACL changes.
    owner.put_object_acl(Bucket="shared", Key="g", ACL="private")
    acl = owner.get_object_acl(Bucket="shared", Key="g")
    assert acl["Owner"]["ID"] == guest_id
    assert grants_of(acl) == {("CanonicalUser", guest_id, "FULL_CONTROL")}
    # With BucketOwnerPreferred, bucket-owner-full-control (which needs s3:PutObjectAcl) hands
    # the object to the bucket owner.
    raises("AccessDenied", 403, guest.put_object, Bucket="shared", Key="h", Body=b"h",
           ACL="bucket-owner-full-control")
    owner.put_bucket_policy(Bucket="shared", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": ["s3:PutObject", "s3:PutObjectAcl"],
        "Resource": "arn:aws:s3:::shared/*"}]}))
    guest.put_object(Bucket="shared", Key="h", Body=b"h", ACL="bucket-owner-full-control")
    acl = owner.get_object_acl(Bucket="shared", Key="h")
    assert acl["Owner"]["ID"] == owner_id
    assert grants_of(acl) == {("CanonicalUser", owner_id, "FULL_CONTROL")}


def test_block_public_policy_and_policy_status(gureum, s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="k", Body=b"k")
    public = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]})
    message = raises("AccessDenied", 403, s3.put_bucket_policy, Bucket=name, Policy=public)
    assert "BlockPublicPolicy" in message
    raises("NoSuchBucketPolicy", 404, s3.get_bucket_policy_status, Bucket=name)
    # A policy pinned to a source address is not public and passes.
    pinned = json.loads(public)
    pinned["Statement"][0]["Condition"] = {"IpAddress": {"aws:SourceIp": "10.1.2.0/24"}}
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(pinned))
    assert s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"] == {"IsPublic": False}
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    s3.put_bucket_policy(Bucket=name, Policy=public)
    assert s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"] == {"IsPublic": True}
    # RestrictPublicBuckets: the public policy is kept but lets nobody outside in.
    assert unsigned(gureum, "GET", f"/{name}/k")[0] == 403
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    assert unsigned(gureum, "GET", f"/{name}/k")[::2] == (200, b"k")
    raises("InvalidRequest", 400, s3.put_public_access_block, Bucket=name,
           PublicAccessBlockConfiguration={})


def test_acl_commands_in_the_cli(gureum, s3):
    name = acl_bucket(s3)
    gureum.cli("s3api", "put-bucket-acl", "--bucket", name, "--acl", "public-read")
    out = json.loads(gureum.cli("s3api", "get-bucket-acl", "--bucket", name).stdout)
    assert {"Type": "Group", "URI": ALL_USERS} in [g["Grantee"] for g in out["Grants"]]
    out = json.loads(gureum.cli("s3api", "get-public-access-block", "--bucket", name,
                                check=False).stdout or "{}")
    assert out == {}
    gureum.cli("s3api", "put-public-access-block", "--bucket", name, "--public-access-block-configuration",
               "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true")
    out = json.loads(gureum.cli("s3api", "get-public-access-block", "--bucket", name).stdout)
    assert out["PublicAccessBlockConfiguration"]["IgnorePublicAcls"] is True


# ---------------------------------------------------------------------------------------------
# CORS.

CORS_RULES = [
    {"ID": "site", "AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET", "PUT"],
     "AllowedHeaders": ["x-amz-*", "Content-Type"], "ExposeHeaders": ["ETag", "x-amz-version-id"],
     "MaxAgeSeconds": 600},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]


def test_bucket_cors_configuration(s3):
    name = new_bucket(s3)
    raises("NoSuchCORSConfiguration", 404, s3.get_bucket_cors, Bucket=name)
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": CORS_RULES})
    assert s3.get_bucket_cors(Bucket=name)["CORSRules"] == CORS_RULES
    for rule, message in [
        ({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]},
         "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"),
        ({"AllowedOrigins": ["http://*.*.com"], "AllowedMethods": ["GET"]},
         'AllowedOrigin "http://*.*.com" can not have more than one wildcard.'),
        ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["**"]},
         'AllowedHeader "**" can not have more than one wildcard.'),
    ]:
        assert raises("InvalidRequest", 400, s3.put_bucket_cors, Bucket=name,
                      CORSConfiguration={"CORSRules": [rule]}) == message
    raises("MalformedXML", 400, s3.put_bucket_cors, Bucket=name,
           CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": []}]})
    # The stored rules survive a refused update.
    assert s3.get_bucket_cors(Bucket=name)["CORSRules"] == CORS_RULES
    s3.delete_bucket_cors(Bucket=name)
    raises("NoSuchCORSConfiguration", 404, s3.get_bucket_cors, Bucket=name)


def test_cors_preflight_and_actual_requests(gureum, s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="k", Body=b"k")
    preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "Content-Type, X-Amz-Date"}
    status, _, body = unsigned(gureum, "OPTIONS", f"/{name}/k", headers=preflight)
    assert status == 403 and b"CORS is not enabled for this bucket" in body
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": CORS_RULES})
    status, headers, _ = unsigned(gureum, "OPTIONS", f"/{name}/k", headers=preflight)
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert headers["Access-Control-Allow-Headers"] == "content-type, x-amz-date"
    assert headers["Access-Control-Expose-Headers"] == "ETag, x-amz-version-id"
    assert headers["Access-Control-Max-Age"] == "600"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    # Any origin may GET (the wildcard rule answers "*"), nobody else may DELETE.
    status, headers, _ = unsigned(gureum, "OPTIONS", f"/{name}/k", headers={
        "Origin": "http://elsewhere.test", "Access-Control-Request-Method": "GET"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    for bad in ({"Origin": "http://elsewhere.test", "Access-Control-Request-Method": "DELETE"},
                {**preflight, "Access-Control-Request-Headers": "Authorization"},
                {**preflight, "Origin": "http://app.example.com"}):
        status, _, body = unsigned(gureum, "OPTIONS", f"/{name}/k", headers=bad)
        assert status == 403, bad
        assert b"<Code>AccessForbidden</Code>" in body
        assert b"CORSResponse: This CORS request is not allowed." in body
        assert b"<ResourceType>OBJECT</ResourceType>" in body
    status, _, body = unsigned(gureum, "OPTIONS", f"/{name}/k", headers={"Origin": "https://a.example.com"})
    assert status == 400 and b"Invalid Access-Control-Request-Method: null" in body
    status, _, body = unsigned(gureum, "OPTIONS", f"/{name}/k", headers={"Access-Control-Request-Method": "GET"})
    assert status == 400 and b"Origin request header needed" in body
    # Virtual-hosted addressing finds the same rules.
    status, headers, _ = unsigned(gureum, "OPTIONS", "/k", headers={**preflight, "Host": f"{name}.s3.localhost"})
    assert status == 200
    # Actual requests carrying Origin get the headers of the rule that allows them.
    signed = gureum.client("s3")
    seen = {}

    def keep(http_response, **_):
        seen.update({k.lower(): v for k, v in http_response.headers.items()})
    signed.meta.events.register("after-call.s3.GetObject", keep)
    signed.meta.events.register("before-send.s3.GetObject",
                                lambda request, **_: request.headers.__setitem__("Origin", "https://app.example.com"))
    signed.get_object(Bucket=name, Key="k")
    assert seen["access-control-allow-origin"] == "https://app.example.com"
    assert seen["access-control-expose-headers"] == "ETag, x-amz-version-id"
    seen.clear()
    signed.meta.events.register("before-send.s3.GetObject",
                                lambda request, **_: request.headers.__setitem__("Origin", "http://other.test"))
    signed.get_object(Bucket=name, Key="k")
    assert seen["access-control-allow-origin"] == "*"
    # Without a matching rule, no CORS headers at all.
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": CORS_RULES[:1]})
    seen.clear()
    signed.get_object(Bucket=name, Key="k")
    assert "access-control-allow-origin" not in seen


def test_cors_in_the_cli(gureum, s3, tmp_path):
    name = new_bucket(s3)
    doc = tmp_path / "cors.json"
    doc.write_text(json.dumps({"CORSRules": CORS_RULES[1:]}))
    gureum.cli("s3api", "put-bucket-cors", "--bucket", name, "--cors-configuration", f"file://{doc}")
    out = json.loads(gureum.cli("s3api", "get-bucket-cors", "--bucket", name).stdout)
    assert out["CORSRules"] == CORS_RULES[1:]


# ---------------------------------------------------------------------------------------------
# Event notification configuration.

def test_notification_configuration(s3):
    name = new_bucket(s3)
    assert {k: v for k, v in s3.get_bucket_notification_configuration(Bucket=name).items()
            if k != "ResponseMetadata"} == {}
    config = {
        "QueueConfigurations": [{
            "Id": "uploads", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:uploads",
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                               {"Name": "suffix", "Value": ".jpg"}]}}}],
        "TopicConfigurations": [{
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:removed",
            "Events": ["s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated"]}],
        "LambdaFunctionConfigurations": [{
            "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:thumbs",
            "Events": ["s3:ObjectCreated:Put"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "out/"}]}}}],
        "EventBridgeConfiguration": {},
    }
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=config)
    got = s3.get_bucket_notification_configuration(Bucket=name)
    queue = got["QueueConfigurations"][0]
    assert queue["Id"] == "uploads"
    assert queue["Filter"]["Key"]["FilterRules"] == [{"Name": "Prefix", "Value": "in/"},
                                                     {"Name": "Suffix", "Value": ".jpg"}]
    topic = got["TopicConfigurations"][0]
    assert topic["Id"] and topic["TopicArn"].endswith(":removed")
    assert topic["Events"] == ["s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated"]
    assert got["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"].endswith(":function:thumbs")
    assert got["EventBridgeConfiguration"] == {}
    for bad, message in [
        ({"QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:123456789012:q",
                                   "Events": ["s3:ObjectCreated:Everything"]}]},
         "The event is not supported for notifications"),
        ({"QueueConfigurations": [{"QueueArn": "not-an-arn", "Events": ["s3:ObjectCreated:*"]}]},
         "The ARN is not well formed"),
        ({"QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:123456789012:q",
                                   "Events": ["s3:ObjectCreated:*"],
                                   "Filter": {"Key": {"FilterRules": [{"Name": "infix", "Value": "x"}]}}}]},
         "filter rule name must be either prefix or suffix"),
        ({"QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:123456789012:a", "Events": ["s3:ObjectCreated:*"]}],
          "TopicConfigurations": [{"TopicArn": "arn:aws:sns:us-east-1:123456789012:b", "Events": ["s3:ObjectCreated:Copy"]}]},
         "Configurations overlap. Configurations on the same bucket cannot share a common event type."),
    ]:
        assert raises("InvalidArgument", 400, s3.put_bucket_notification_configuration, Bucket=name,
                      NotificationConfiguration=bad) == message
    # An empty configuration turns notifications off.
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={})
    got = s3.get_bucket_notification_configuration(Bucket=name)
    assert "QueueConfigurations" not in got and "EventBridgeConfiguration" not in got
    raises("NoSuchBucket", 404, s3.get_bucket_notification_configuration, Bucket=f"nope-{uuid.uuid4().hex[:12]}")


# ---------------------------------------------------------------------------------------------
# Lifecycle rules meet object lock.

DAY = 86400


def _versions(s3, bucket, key):
    listing = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return ([v["VersionId"] for v in listing.get("Versions", []) if v["Key"] == key],
            [m["VersionId"] for m in listing.get("DeleteMarkers", []) if m["Key"] == key])


def test_lifecycle_expiration_spares_locked_versions(start_gureum):
    import datetime
    server = start_gureum().start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    put = lambda key, **kw: s3.put_object(Bucket="locked", Key=key, Body=key.encode(), **kw)["VersionId"]
    held = put("a-held", ObjectLockLegalHoldStatus="ON")
    held_new = put("a-held")
    free, free_new = put("b-free"), put("b-free")
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=5)
    kept = put("c-kept", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    kept_new = put("c-kept")
    s3.put_bucket_lifecycle_configuration(Bucket="locked", LifecycleConfiguration={"Rules": [
        {"ID": "n", "Status": "Enabled", "Filter": {"Prefix": ""},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    server.admin("/_gureum/clock", {"advance_seconds": 2 * DAY})
    # The unlocked noncurrent version goes; keys are visited in order, so by then the locked
    # ones (sorted before and after it in the same pass) have been passed by.
    eventually(lambda: _assert_eq(_versions(s3, "locked", "b-free"), ([free_new], [])))
    assert _versions(s3, "locked", "a-held") == ([held_new, held], [])
    assert _versions(s3, "locked", "c-kept") == ([kept_new, kept], [])
    # Lifting the legal hold lets the rule take the version; the retention still holds.
    s3.put_object_legal_hold(Bucket="locked", Key="a-held", VersionId=held, LegalHold={"Status": "OFF"})
    server.admin("/_gureum/clock", {"advance_seconds": DAY})
    eventually(lambda: _assert_eq(_versions(s3, "locked", "a-held"), ([held_new], [])))
    assert _versions(s3, "locked", "c-kept") == ([kept_new, kept], [])
    server.admin("/_gureum/clock", {"advance_seconds": 3 * DAY})
    eventually(lambda: _assert_eq(_versions(s3, "locked", "c-kept"), ([kept_new], [])))
    # Expiring a locked current version only puts a delete marker over it.
    s3.put_bucket_lifecycle_configuration(Bucket="locked", LifecycleConfiguration={"Rules": [
        {"ID": "e", "Status": "Enabled", "Filter": {"Prefix": "d-"}, "Expiration": {"Days": 1}}]})
    current = put("d-current", ObjectLockLegalHoldStatus="ON")
    server.admin("/_gureum/clock", {"advance_seconds": 2 * DAY})

    def marked():
        versions, markers = _versions(s3, "locked", "d-current")
        assert versions == [current] and len(markers) == 1
    eventually(marked)
    assert s3.get_object(Bucket="locked", Key="d-current", VersionId=current)["Body"].read() == b"d-current"


def _assert_eq(got, want):
    assert got == want, got


# ---------------------------------------------------------------------------------------------
# Browser-based POST uploads.

def post_form(server, url, fields, body=b"file body", filename="photo.txt", headers=None):
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                f"{value}\r\n").encode()
    out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
    path = url[len(server.endpoint):]
    req_headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})}
    return unsigned(server, "POST", path, data=out, headers=req_headers)


@pytest.fixture
def s3v4(gureum):
    return gureum.client("s3", signature_version="s3v4")


def test_post_upload_with_a_presigned_policy(gureum, s3v4):
    s3 = s3v4
    name = new_bucket(s3)
    post = s3.generate_presigned_post(
        name, "uploads/${filename}",
        Fields={"Content-Type": "text/plain", "x-amz-meta-color": "blue"},
        Conditions=[["starts-with", "$Content-Type", "text/"], {"x-amz-meta-color": "blue"},
                    ["content-length-range", 1, 1024]],
        ExpiresIn=600)
    status, headers, body = post_form(gureum, post["url"], post["fields"], b"hello form")
    assert status == 204, body
    got = s3.get_object(Bucket=name, Key="uploads/photo.txt")
    assert got["Body"].read() == b"hello form"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"color": "blue"}
    assert headers["ETag"] == got["ETag"]
    assert headers["Location"].endswith(f"/{name}/uploads/photo.txt")
    # 201 answers an XML document; a redirect answers 303 with the upload's particulars.
    post = s3.generate_presigned_post(name, "k201", Fields={"success_action_status": "201"},
                                      Conditions=[{"success_action_status": "201"}])
    status, _, body = post_form(gureum, post["url"], post["fields"])
    assert status == 201 and b"<Key>k201</Key>" in body and f"<Bucket>{name}</Bucket>".encode() in body
    target = "http://app.test/done"
    post = s3.generate_presigned_post(name, "k303", Fields={"success_action_redirect": target},
                                      Conditions=[{"success_action_redirect": target}])
    status, headers, _ = post_form(gureum, post["url"], post["fields"])
    assert status == 303
    assert headers["Location"].startswith(f"{target}?bucket={name}&key=k303&etag=%22")
    assert s3.head_object(Bucket=name, Key="k303")["ContentLength"] == 9


def test_post_upload_with_a_sigv2_form(gureum, s3):
    # boto3 writes SigV2 forms (AWSAccessKeyId, signature) by default for a custom endpoint.
    name = new_bucket(s3)
    post = s3.generate_presigned_post(name, "v2/${filename}")
    assert "AWSAccessKeyId" in post["fields"]
    assert post_form(gureum, post["url"], post["fields"], b"v2 body")[0] == 204
    assert s3.get_object(Bucket=name, Key="v2/photo.txt")["Body"].read() == b"v2 body"
    status, _, body = post_form(gureum, post["url"], {**post["fields"], "signature": "bm90IGl0"}, b"x")
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    bad_key = {**post["fields"], "AWSAccessKeyId": "AKIANOBODYATALL00000"}
    status, _, body = post_form(gureum, post["url"], bad_key, b"x")
    assert status == 403 and b"<Code>InvalidAccessKeyId</Code>" in body


def test_post_upload_refusals(gureum, s3v4):
    s3 = s3v4
    name = new_bucket(s3)
    post = s3.generate_presigned_post(name, "in/${filename}", Conditions=[["content-length-range", 1, 8]])
    # The policy bounds the size.
    status, _, body = post_form(gureum, post["url"], post["fields"], b"far too long for it")
    assert status == 400 and b"<Code>EntityTooLarge</Code>" in body
    # The key must satisfy its condition.
    status, _, body = post_form(gureum, post["url"], {**post["fields"], "key": "elsewhere/x"}, b"ok")
    assert status == 403
    assert b"Invalid according to Policy: Policy Condition failed: [&quot;starts-with&quot;, &quot;$key&quot;, &quot;in/&quot;]" in body \
        or b'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "in/"]' in body
    # Every field must be covered by a condition.
    status, _, body = post_form(gureum, post["url"], {**post["fields"], "x-amz-meta-sneaky": "1"}, b"ok")
    assert status == 403 and b"Extra input fields: x-amz-meta-sneaky" in body
    # A changed policy breaks the signature.
    fields = dict(post["fields"])
    fields["x-amz-signature"] = "0" * 64
    status, _, body = post_form(gureum, post["url"], fields, b"ok")
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    # An expired policy.
    old = s3.generate_presigned_post(name, "late", ExpiresIn=-60)
    status, _, body = post_form(gureum, old["url"], old["fields"], b"ok")
    assert status == 403 and b"Policy expired." in body
    # No key field.
    fields = {k: v for k, v in post["fields"].items() if k != "key"}
    status, _, body = post_form(gureum, post["url"], fields, b"ok")
    assert status == 400 and b"must contain a field named &apos;key&apos;" in body \
        or status == 400 and b"must contain a field named 'key'" in body
    raises("NoSuchKey", 404, s3.get_object, Bucket=name, Key="late")


def test_malformed_requests_get_s3_errors(gureum, s3):
    name = acl_bucket(s3)
    # A form that is not multipart/form-data as it claims.
    status, _, body = unsigned(gureum, "POST", f"/{name}", data=b"not a form",
                               headers={"Content-Type": "multipart/form-data; boundary=abc"})
    assert status == 400 and b"<Code>MalformedPOSTRequest</Code>" in body
    status, _, body = post_form(gureum, f"{gureum.endpoint}/{name}", {"policy": "e30=", "key": "k"})
    assert status == 400 and b"<Code>InvalidArgument</Code>" in body
    # PutBucketAcl with nothing to set.
    signed = gureum.client("s3")
    raises("MissingSecurityHeader", 400, signed.put_bucket_acl, Bucket=name)
    # A preflight for a bucket that does not exist.
    status, _, body = unsigned(gureum, "OPTIONS", "/no-such-bucket-here/k", headers={
        "Origin": "http://a.test", "Access-Control-Request-Method": "GET"})
    assert status == 404 and b"<Code>NoSuchBucket</Code>" in body


def test_anonymous_post_uploads_follow_the_bucket_policy(gureum, s3):
    name = new_bucket(s3)
    url = f"{gureum.endpoint}/{name}"
    status, _, body = post_form(gureum, url, {"key": "drop/${filename}"})
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/drop/*"}]}))
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://form.test"], "AllowedMethods": ["POST"]}]})
    status, headers, _ = post_form(gureum, url, {"key": "drop/${filename}"}, b"anon",
                                   headers={"Origin": "https://form.test"})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "https://form.test"
    assert s3.get_object(Bucket=name, Key="drop/photo.txt")["Body"].read() == b"anon"
    # Virtual-hosted addressing reaches the same bucket.
    status, _, _ = post_form(gureum, f"{gureum.endpoint}/", {"key": "drop/v.txt"}, b"v",
                             headers={"Host": f"{name}.s3.localhost"})
    assert status == 204
    assert s3.get_object(Bucket=name, Key="drop/v.txt")["Body"].read() == b"v"


# ---------------------------------------------------------------------------------------------
# Website endpoint.

def site_get(server, bucket, path, method="GET", dash=False):
    host = f"{bucket}.s3-website-us-east-1.localhost" if dash else f"{bucket}.s3-website.us-east-1.localhost"
    return unsigned(server, method, path, headers={"Host": host})


def public_site(s3, actions=("s3:GetObject",)):
    name = new_bucket(s3, "site")
    s3.delete_public_access_block(Bucket=name)
    statements = [{"Effect": "Allow", "Principal": "*", "Action": a,
                   "Resource": f"arn:aws:s3:::{name}" if a == "s3:ListBucket" else f"arn:aws:s3:::{name}/*"}
                  for a in actions]
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    for key, body in [("index.html", b"<h1>home</h1>"), ("dir/index.html", b"<h1>dir</h1>"),
                      ("error.html", b"<h1>oops</h1>"), ("page.html", b"<p>page</p>")]:
        s3.put_object(Bucket=name, Key=key, Body=body, ContentType="text/html")
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"},
        "RoutingRules": [
            {"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": {"ReplaceKeyPrefixWith": "new/"}},
            {"Condition": {"KeyPrefixEquals": "gone/", "HttpErrorCodeReturnedEquals": "404"},
             "Redirect": {"HostName": "archive.test", "HttpRedirectCode": "302"}},
        ]})
    return name


def test_website_serves_index_error_documents_and_redirects(gureum, s3):
    name = public_site(s3, actions=("s3:GetObject", "s3:ListBucket"))
    status, headers, body = site_get(gureum, name, "/")
    assert (status, body) == (200, b"<h1>home</h1>")
    assert headers["Content-Type"] == "text/html"
    assert site_get(gureum, name, "/dir/")[::2] == (200, b"<h1>dir</h1>")
    assert site_get(gureum, name, "/page.html", dash=True)[::2] == (200, b"<p>page</p>")
    status, headers, _ = site_get(gureum, name, "/dir")
    assert status == 302 and headers["Location"] == "/dir/"
    # A missing key answers the error document with 404 (the public may list the bucket).
    assert site_get(gureum, name, "/nothing.html")[::2] == (404, b"<h1>oops</h1>")
    status, headers, _ = site_get(gureum, name, "/old/a.html")
    assert status == 301
    assert headers["Location"] == f"http://{name}.s3-website.us-east-1.localhost/new/a.html"
    status, headers, _ = site_get(gureum, name, "/gone/b.html")
    assert status == 302 and headers["Location"] == "http://archive.test/gone/b.html"
    s3.put_object(Bucket=name, Key="moved.html", Body=b"", WebsiteRedirectLocation="/page.html")
    status, headers, _ = site_get(gureum, name, "/moved.html")
    assert status == 301 and headers["Location"] == "/page.html"
    status, headers, body = site_get(gureum, name, "/page.html", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == "11" and headers["ETag"].startswith('"')
    status, headers, body = site_get(gureum, name, "/page.html", method="POST")
    assert status == 405 and b"<li>Code: MethodNotAllowed</li>" in body
    assert headers["Content-Type"].startswith("text/html")


def test_website_serves_only_public_objects(gureum, s3):
    # GetObject alone: a missing key is indistinguishable from a forbidden one (403), and the
    # error document is still served.
    name = public_site(s3)
    assert site_get(gureum, name, "/nothing.html")[::2] == (403, b"<h1>oops</h1>")
    # No public policy at all: 403 pages, the error document's own failure included.
    private = new_bucket(s3, "site")
    s3.put_object(Bucket=private, Key="index.html", Body=b"secret")
    s3.put_bucket_website(Bucket=private, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
    status, headers, body = site_get(gureum, private, "/")
    assert status == 403 and b"secret" not in body
    assert b"<title>403 Forbidden</title>" in body and b"<li>Code: AccessDenied</li>" in body
    assert b"An Error Occurred While Attempting to Retrieve a Custom Error Document" in body
    # A public-read object ACL is enough.
    s3.put_bucket_ownership_controls(Bucket=private, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.delete_public_access_block(Bucket=private)
    s3.put_object_acl(Bucket=private, Key="index.html", ACL="public-read")
    assert site_get(gureum, private, "/")[::2] == (200, b"secret")
    # Buckets without a website, and no bucket at all.
    plain = new_bucket(s3)
    status, _, body = site_get(gureum, plain, "/")
    assert status == 404 and b"<li>Code: NoSuchWebsiteConfiguration</li>" in body
    assert f"<li>BucketName: {plain}</li>".encode() in body
    status, _, body = site_get(gureum, "no-such-site-bucket", "/")
    assert status == 404 and b"<li>Code: NoSuchBucket</li>" in body


def test_website_redirect_all_requests(gureum, s3):
    name = new_bucket(s3, "site")
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration={
        "RedirectAllRequestsTo": {"HostName": "www.example.com", "Protocol": "https"}})
    status, headers, _ = site_get(gureum, name, "/a/b.html")
    assert status == 301 and headers["Location"] == "https://www.example.com/a/b.html"


def test_website_configured_by_the_cli(gureum, s3):
    name = public_site(s3)
    s3.delete_bucket_website(Bucket=name)
    status, _, _ = site_get(gureum, name, "/")
    assert status == 404
    gureum.cli("s3", "website", f"s3://{name}", "--index-document", "page.html", "--error-document", "error.html")
    assert site_get(gureum, name, "/")[::2] == (200, b"<p>page</p>")
    out = json.loads(gureum.cli("s3api", "get-bucket-website", "--bucket", name).stdout)
    assert out["IndexDocument"] == {"Suffix": "page.html"}


def test_notification_configuration_in_the_cli(gureum, s3, tmp_path):
    name = new_bucket(s3)
    doc = tmp_path / "n.json"
    doc.write_text(json.dumps({"QueueConfigurations": [{
        "Id": "q", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:q", "Events": ["s3:ObjectRemoved:*"]}]}))
    gureum.cli("s3api", "put-bucket-notification-configuration", "--bucket", name,
               "--notification-configuration", f"file://{doc}")
    out = json.loads(gureum.cli("s3api", "get-bucket-notification-configuration", "--bucket", name).stdout)
    assert out["QueueConfigurations"][0]["Events"] == ["s3:ObjectRemoved:*"]
