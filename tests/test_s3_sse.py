"""S3 server-side encryption through boto3 and the aws CLI: SSE-S3 (every new object's
default), SSE-C and SSE-KMS, with bodies checked on disk to never hold the plaintext, ranged
reads, multipart uploads, copies between modes, bucket default encryption, KMS permissions
through IAM users and disabled keys."""
import base64
import hashlib
import json
import os
import uuid

import botocore.exceptions
import pytest
from helpers import error_of, files_containing

MARKER = b"gureum-sse-plaintext-marker-"
MIB = 1024 * 1024


def new_bucket(s3):
    name = "sse-" + uuid.uuid4().hex[:16]
    s3.create_bucket(Bucket=name)
    return name


def body(size, tag="x"):
    """`size` bytes that repeat the marker (so any plaintext on disk shows), varied enough that
    a misplaced segment changes the result."""
    unit = MARKER + tag.encode() + b"|"
    out = bytearray()
    i = 0
    while len(out) < size:
        out += unit + str(i).encode() + b";"
        i += 1
    return bytes(out[:size])


def fails(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kwargs)
    return error_of(e), e.value.response["Error"].get("Message", "")


def customer_key(seed=b"k"):
    return hashlib.sha256(seed).digest()


def sse_c(key, prefix="SSECustomer"):
    return {f"{prefix}Algorithm": "AES256", f"{prefix}Key": key}


def make_user(gureum, name, policy):
    iam = gureum.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def allow(*actions, resource="*"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}]}


def test_sse_s3_is_every_new_objects_default_and_never_on_disk_in_clear(gureum):
    s3 = gureum.client("s3")
    bucket = new_bucket(s3)
    config = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert config["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert config["Rules"][0]["BucketKeyEnabled"] is False

    small = body(1000, "small")
    put = s3.put_object(Bucket=bucket, Key="small", Body=small)
    assert put["ServerSideEncryption"] == "AES256"
    # SSE-S3 keeps the ETag the MD5 of the plaintext, as S3 does.
    assert put["ETag"] == '"%s"' % hashlib.md5(small).hexdigest()
    got = s3.get_object(Bucket=bucket, Key="small")
    assert got["Body"].read() == small and got["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="small")["ServerSideEncryption"] == "AES256"

    big = body(3 * MIB + 12345, "big")
    put = s3.put_object(Bucket=bucket, Key="big", Body=big, ServerSideEncryption="AES256")
    assert put["ETag"] == '"%s"' % hashlib.md5(big).hexdigest()
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == big
    for first, last in [(0, 0), (65535, 65536), (70000, 2 * MIB + 5), (len(big) - 10, len(big) - 1), (100, 1 * MIB + 300000)]:
        part = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={first}-{last}")
        assert part["Body"].read() == big[first:last + 1], (first, last)
        assert part["ContentRange"] == f"bytes {first}-{last}/{len(big)}"
    suffix = s3.get_object(Bucket=bucket, Key="big", Range="bytes=-70000")["Body"].read()
    assert suffix == big[-70000:]

    assert files_containing(gureum.data_dir, MARKER) == []
    # The bodies are there, as 64 KiB segments each with a 16-byte tag after a 16-byte header.
    sizes = set()
    for root, _, files in os.walk(os.path.join(gureum.data_dir, "blobs")):
        for f in files:
            sizes.add(os.path.getsize(os.path.join(root, f)))
    segments = -(-len(big) // 65536)
    assert 16 + 16 * segments + len(big) in sizes
    # Small bodies (up to 16 KiB stored) are kept inline in the database file, which the search
    # for the marker above covered: no file of their size.
    assert 16 + 16 + 1000 not in sizes
    with open(os.path.join(gureum.data_dir, "probe.txt"), "wb") as f:
        f.write(MARKER)
    assert files_containing(gureum.data_dir, MARKER) != []
    os.unlink(os.path.join(gureum.data_dir, "probe.txt"))


def test_unsupported_encryption_methods_are_refused(gureum):
    s3 = gureum.client("s3")
    bucket = new_bucket(s3)
    code, _ = fails(s3.put_object, Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES512")
    assert code == ("InvalidArgument", 400)
    code, _ = fails(s3.put_object, Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256", SSEKMSKeyId="alias/aws/s3")
    assert code == ("InvalidArgument", 400)
    code, _ = fails(s3.put_object, Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256", **sse_c(customer_key()))
    assert code == ("InvalidArgument", 400)
    code, _ = fails(s3.put_object, Bucket=bucket, Key="k", Body=b"x", SSECustomerAlgorithm="AES128", SSECustomerKey=customer_key())
    assert code == ("InvalidEncryptionAlgorithmError", 400)
    code, _ = fails(s3.put_object, Bucket=bucket, Key="k", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=b"short")
    assert code == ("InvalidArgument", 400)


def test_sse_c_round_trip_and_the_errors_s3_answers(gureum):
    s3 = gureum.client("s3")
    bucket = new_bucket(s3)
    key = customer_key(b"alice")
    data = body(2 * MIB + 777, "ssec")
    put = s3.put_object(Bucket=bucket, Key="c", Body=data, **sse_c(key))
    key_md5 = base64.b64encode(hashlib.md5(key).digest()).decode()
    assert put["SSECustomerAlgorithm"] == "AES256" and put["SSECustomerKeyMD5"] == key_md5
    assert "ServerSideEncryption" not in put
    # With SSE-C the ETag is not the MD5 of the data.
    assert put["ETag"] != '"%s"' % hashlib.md5(data).hexdigest()

    got = s3.get_object(Bucket=bucket, Key="c", **sse_c(key))
    assert got["Body"].read() == data and got["SSECustomerKeyMD5"] == key_md5
    ranged = s3.get_object(Bucket=bucket, Key="c", Range="bytes=1000000-1200000", **sse_c(key))
    assert ranged["Body"].read() == data[1000000:1200001]
    head = s3.head_object(Bucket=bucket, Key="c", **sse_c(key))
    assert head["ContentLength"] == len(data) and head["SSECustomerAlgorithm"] == "AES256"

    # No key: 400 InvalidRequest, on GET and HEAD.
    (code, message) = fails(s3.get_object, Bucket=bucket, Key="c")
    assert code == ("InvalidRequest", 400)
    assert "Server Side Encryption" in message
    assert fails(s3.head_object, Bucket=bucket, Key="c")[0][1] == 400
    # Another key: 403 AccessDenied.
    assert fails(s3.get_object, Bucket=bucket, Key="c", **sse_c(customer_key(b"mallory")))[0] == ("AccessDenied", 403)
    assert fails(s3.head_object, Bucket=bucket, Key="c", **sse_c(customer_key(b"mallory")))[0][1] == 403
    # A key whose MD5 does not match: 400 InvalidArgument.
    wrong_md5 = {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": base64.b64encode(key).decode(),
        "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(b"other").digest()).decode(),
    }
    assert fails(s3.get_object, Bucket=bucket, Key="c", **wrong_md5)[0] == ("InvalidArgument", 400)
    # A customer key for an object that is not SSE-C: 400 InvalidRequest.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"plain")
    assert fails(s3.get_object, Bucket=bucket, Key="plain", **sse_c(key))[0] == ("InvalidRequest", 400)

    assert files_containing(gureum.data_dir, MARKER + b"ssec") == []


def test_sse_kms_with_the_aws_managed_key_and_a_context(gureum):
    s3 = gureum.client("s3")
    kms = gureum.client("kms")
    bucket = new_bucket(s3)
    data = body(1500 * 1024, "kms")
    context = base64.b64encode(json.dumps({"project": "sse"}).encode()).decode()
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ServerSideEncryption="aws:kms", SSEKMSEncryptionContext=context)
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == managed["Arn"]
    answered = json.loads(base64.b64decode(put["SSEKMSEncryptionContext"]))
    assert answered["project"] == "sse" and answered["aws:s3:arn"] == f"arn:aws:s3:::{bucket}/k"
    assert put["ETag"] != '"%s"' % hashlib.md5(data).hexdigest()

    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == data
    assert got["ServerSideEncryption"] == "aws:kms" and got["SSEKMSKeyId"] == managed["Arn"]
    assert s3.get_object(Bucket=bucket, Key="k", Range="bytes=5-65540")["Body"].read() == data[5:65541]
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["SSEKMSKeyId"] == managed["Arn"]
    dsse = s3.put_object(Bucket=bucket, Key="d", Body=b"dual", ServerSideEncryption="aws:kms:dsse")
    assert dsse["ServerSideEncryption"] == "aws:kms:dsse"
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"dual"
    assert files_containing(gureum.data_dir, MARKER + b"kms") == []


def test_bucket_default_encryption_applies_to_new_objects(gureum):
    s3 = gureum.client("s3")
    kms = gureum.client("kms")
    bucket = new_bucket(s3)
    key_arn = kms.create_key(Description="bucket default")["KeyMetadata"]["Arn"]
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
            "BucketKeyEnabled": True,
        }]},
    )
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    assert rule["BucketKeyEnabled"] is True

    put = s3.put_object(Bucket=bucket, Key="a", Body=b"default kms")
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key_arn
    assert put["BucketKeyEnabled"] is True
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"default kms"
    # A request's own choice wins over the default.
    assert s3.put_object(Bucket=bucket, Key="b", Body=b"b", ServerSideEncryption="AES256")["ServerSideEncryption"] == "AES256"

    s3.delete_bucket_encryption(Bucket=bucket)
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert s3.put_object(Bucket=bucket, Key="c", Body=b"c")["ServerSideEncryption"] == "AES256"
    # The object written under the old default still reads.
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"default kms"

    bad = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": key_arn}}]}
    assert fails(s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration=bad)[0][1] == 400
    assert fails(s3.get_bucket_encryption, Bucket="sse-no-such-bucket-here")[0] == ("NoSuchBucket", 404)


def test_kms_permissions_are_the_callers(gureum):
    s3 = gureum.client("s3")
    kms = gureum.client("kms")
    bucket = new_bucket(s3)
    key_arn = kms.create_key(Description="for users")["KeyMetadata"]["Arn"]
    s3.put_object(Bucket=bucket, Key="by-root", Body=b"root's secret", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)

    name = "sse-user-" + uuid.uuid4().hex[:8]
    creds = make_user(gureum, name, allow("s3:*"))
    user_s3 = gureum.client("s3", key=creds[0], secret=creds[1])
    # S3 access alone does not open an object under a customer managed key ...
    (code, message) = fails(user_s3.get_object, Bucket=bucket, Key="by-root")
    assert code == ("AccessDenied", 403)
    assert "kms:Decrypt" in message and name in message
    # ... nor write one.
    (code, message) = fails(user_s3.put_object, Bucket=bucket, Key="by-user", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert code == ("AccessDenied", 403) and "kms:GenerateDataKey" in message
    # The AWS managed key admits every principal of the account through S3.
    user_s3.put_object(Bucket=bucket, Key="managed", Body=b"via s3", ServerSideEncryption="aws:kms")
    assert user_s3.get_object(Bucket=bucket, Key="managed")["Body"].read() == b"via s3"
    # Direct use of the AWS managed key is refused (no kms:ViaService).
    user_kms = gureum.client("kms", key=creds[0], secret=creds[1])
    assert fails(user_kms.generate_data_key, KeyId="alias/aws/s3", KeySpec="AES_256")[0][0] == "AccessDeniedException"

    # Granting the KMS actions on the key (the default key policy delegates to IAM) opens both.
    gureum.client("iam").put_user_policy(
        UserName=name,
        PolicyName="kms",
        PolicyDocument=json.dumps(allow("kms:Decrypt", "kms:GenerateDataKey", resource=key_arn)),
    )
    assert user_s3.get_object(Bucket=bucket, Key="by-root")["Body"].read() == b"root's secret"
    user_s3.put_object(Bucket=bucket, Key="by-user", Body=b"mine", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert s3.get_object(Bucket=bucket, Key="by-user")["Body"].read() == b"mine"

    # HEAD does not decrypt, so S3 access is enough for it.
    gureum.client("iam").delete_user_policy(UserName=name, PolicyName="kms")
    assert user_s3.head_object(Bucket=bucket, Key="by-root")["SSEKMSKeyId"] == key_arn


def test_a_disabled_key_makes_objects_unreadable_until_enabled(gureum):
    s3 = gureum.client("s3")
    kms = gureum.client("kms")
    bucket = new_bucket(s3)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"locked away", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    kms.disable_key(KeyId=key_id)
    (code, message) = fails(s3.get_object, Bucket=bucket, Key="k")
    assert code == ("KMS.DisabledException", 400)
    assert fails(s3.put_object, Bucket=bucket, Key="k2", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)[0] == ("KMS.DisabledException", 400)
    kms.enable_key(KeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"locked away"
    assert fails(s3.put_object, Bucket=bucket, Key="k3", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/no-such-alias")[0] == ("KMS.NotFoundException", 400)


def multipart(s3, bucket, key, parts, create=None, part_extra=None, complete_extra=None):
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, **(create or {}))
    etags = []
    for i, data in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=i, Body=data, **(part_extra or {}))
        etags.append({"PartNumber": i, "ETag": r["ETag"]})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": etags}, **(complete_extra or {})
    )
    return upload, done


def test_multipart_uploads_encrypt_their_parts(gureum):
    s3 = gureum.client("s3")
    bucket = new_bucket(s3)
    parts = [body(5 * MIB, "mp1"), body(MIB + 3, "mp2")]
    whole = b"".join(parts)

    upload, done = multipart(s3, bucket, "kms", parts, create={"ServerSideEncryption": "aws:kms"})
    assert upload["ServerSideEncryption"] == "aws:kms" and done["ServerSideEncryption"] == "aws:kms"
    got = s3.get_object(Bucket=bucket, Key="kms")
    assert got["Body"].read() == whole and got["ServerSideEncryption"] == "aws:kms"
    start = 5 * MIB - 100
    assert s3.get_object(Bucket=bucket, Key="kms", Range=f"bytes={start}-{start + 199}")["Body"].read() == whole[start:start + 200]

    key = customer_key(b"multipart")
    upload, done = multipart(s3, bucket, "ssec", parts, create=sse_c(key), part_extra=sse_c(key))
    assert upload["SSECustomerAlgorithm"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="ssec", **sse_c(key))["Body"].read() == whole
    assert fails(s3.get_object, Bucket=bucket, Key="ssec")[0] == ("InvalidRequest", 400)
    # A part without the upload's customer key is refused.
    u = s3.create_multipart_upload(Bucket=bucket, Key="ssec2", **sse_c(key))
    assert fails(s3.upload_part, Bucket=bucket, Key="ssec2", UploadId=u["UploadId"], PartNumber=1, Body=b"x")[0] == ("InvalidRequest", 400)
    assert fails(s3.upload_part, Bucket=bucket, Key="ssec2", UploadId=u["UploadId"], PartNumber=1, Body=b"x", **sse_c(customer_key(b"no")))[0][1] == 403
    s3.abort_multipart_upload(Bucket=bucket, Key="ssec2", UploadId=u["UploadId"])

    upload, done = multipart(s3, bucket, "default", parts)
    assert done["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="default")["Body"].read() == whole
    assert done["ETag"].endswith('-2"')

    assert files_containing(gureum.data_dir, MARKER + b"mp") == []


def test_upload_part_copy_re_encrypts(gureum):
    s3 = gureum.client("s3")
    bucket = new_bucket(s3)
    key = customer_key(b"source")
    source = body(6 * MIB, "pc")
    s3.put_object(Bucket=bucket, Key="src", Body=source, **sse_c(key))
    u = s3.create_multipart_upload(Bucket=bucket, Key="dst", ServerSideEncryption="aws:kms")
    copy_source = {"Bucket": bucket, "Key": "src"}
    # Reading the SSE-C source needs its key.
    assert fails(s3.upload_part_copy, Bucket=bucket, Key="dst", UploadId=u["UploadId"], PartNumber=1, CopySource=copy_source)[0] == ("InvalidRequest", 400)
    p1 = s3.upload_part_copy(
        Bucket=bucket, Key="dst", UploadId=u["UploadId"], PartNumber=1, CopySource=copy_source,
        CopySourceRange=f"bytes=0-{5 * MIB - 1}", **sse_c(key, "CopySourceSSECustomer"),
    )
    p2 = s3.upload_part_copy(
        Bucket=bucket, Key="dst", UploadId=u["UploadId"], PartNumber=2, CopySource=copy_source,
        CopySourceRange=f"bytes={5 * MIB}-{6 * MIB - 1}", **sse_c(key, "CopySourceSSECustomer"),
    )
    s3.complete_multipart_upload(
        Bucket=bucket, Key="dst", UploadId=u["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]},
    )
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["ServerSideEncryption"] == "aws:kms" and got["Body"].read() == source


def test_copy_object_between_modes(gureum):
    s3 = gureum.client("s3")
    kms = gureum.client("kms")
    bucket = new_bucket(s3)
    other = new_bucket(s3)
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    data = body(1200 * 1024, "copy")
    s3.put_object(Bucket=bucket, Key="s3", Body=data)

    to_kms = s3.copy_object(Bucket=bucket, Key="kms", CopySource={"Bucket": bucket, "Key": "s3"}, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert to_kms["ServerSideEncryption"] == "aws:kms" and to_kms["SSEKMSKeyId"] == key_arn
    key = customer_key(b"copy")
    to_c = s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "kms"}, **sse_c(key))
    assert to_c["SSECustomerAlgorithm"] == "AES256"
    # Without the source's customer key the copy is refused.
    assert fails(s3.copy_object, Bucket=other, Key="x", CopySource={"Bucket": bucket, "Key": "c"})[0] == ("InvalidRequest", 400)
    back = s3.copy_object(Bucket=other, Key="plain", CopySource={"Bucket": bucket, "Key": "c"}, **sse_c(key, "CopySourceSSECustomer"))
    # No encryption asked: the destination bucket's default (SSE-S3), and the MD5 ETag again.
    assert back["ServerSideEncryption"] == "AES256"
    assert back["CopyObjectResult"]["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    for b, k, extra in [(bucket, "kms", {}), (bucket, "c", sse_c(key)), (other, "plain", {})]:
        assert s3.get_object(Bucket=b, Key=k, **extra)["Body"].read() == data, k
    # Copying an object onto itself is allowed when it changes the encryption.
    again = s3.copy_object(Bucket=bucket, Key="s3", CopySource={"Bucket": bucket, "Key": "s3"}, ServerSideEncryption="aws:kms")
    assert again["ServerSideEncryption"] == "aws:kms"
    assert s3.get_object(Bucket=bucket, Key="s3")["Body"].read() == data
    assert files_containing(gureum.data_dir, MARKER + b"copy") == []


def test_aws_cli_cp_with_sse(gureum, tmp_path):
    s3 = gureum.client("s3")
    bucket = new_bucket(s3)
    src = tmp_path / "file.bin"
    data = body(300 * 1024, "cli")
    src.write_bytes(data)
    gureum.cli("s3", "cp", str(src), f"s3://{bucket}/aes", "--sse", "AES256")
    gureum.cli("s3", "cp", str(src), f"s3://{bucket}/kms", "--sse", "aws:kms")
    head = json.loads(gureum.cli("s3api", "head-object", "--bucket", bucket, "--key", "aes").stdout)
    assert head["ServerSideEncryption"] == "AES256"
    head = json.loads(gureum.cli("s3api", "head-object", "--bucket", bucket, "--key", "kms").stdout)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"].startswith("arn:aws:kms:")
    out = tmp_path / "back.bin"
    gureum.cli("s3", "cp", f"s3://{bucket}/kms", str(out))
    assert out.read_bytes() == data
    enc = json.loads(gureum.cli("s3api", "get-bucket-encryption", "--bucket", bucket).stdout)
    assert enc["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert files_containing(gureum.data_dir, MARKER + b"cli") == []


def test_aws_cli_cp_with_sse_c(gureum, tmp_path):
    s3 = gureum.client("s3")
    bucket = new_bucket(s3)
    src = tmp_path / "file.bin"
    data = body(200 * 1024, "clic")
    src.write_bytes(data)
    key = "0123456789abcdef0123456789abcdef"  # 32 bytes, as the CLI takes it
    gureum.cli("s3", "cp", str(src), f"s3://{bucket}/c", "--sse-c", "AES256", "--sse-c-key", key)
    out = gureum.cli("s3", "cp", f"s3://{bucket}/c", str(tmp_path / "no-key.bin"), check=False)
    assert out.returncode != 0 and "400" in out.stderr
    gureum.cli("s3", "cp", f"s3://{bucket}/c", str(tmp_path / "back.bin"), "--sse-c", "AES256", "--sse-c-key", key)
    assert (tmp_path / "back.bin").read_bytes() == data
    assert s3.get_object(Bucket=bucket, Key="c", **sse_c(key.encode()))["Body"].read() == data


def test_tampering_on_disk_is_detected(start_gureum):
    server = start_gureum().start()
    s3 = server.client("s3")
    bucket = new_bucket(s3)
    data = body(100 * 1024, "tamper")
    s3.put_object(Bucket=bucket, Key="k", Body=data)
    blobs = []
    for root, _, files in os.walk(os.path.join(server.data_dir, "blobs")):
        blobs += [os.path.join(root, f) for f in files if os.path.getsize(os.path.join(root, f)) == 16 + 2 * 16 + len(data)]
    assert len(blobs) == 1
    with open(blobs[0], "r+b") as f:
        f.seek(70000)
        byte = f.read(1)
        f.seek(70000)
        f.write(bytes([byte[0] ^ 1]))
    # The first segment still authenticates; the flipped one does not, and nothing of it is served.
    assert s3.get_object(Bucket=bucket, Key="k", Range="bytes=0-999")["Body"].read() == data[:1000]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k")["Body"].read()
    assert error_of(e)[1] == 500


def test_versions_keep_their_own_encryption(gureum):
    s3 = gureum.client("s3")
    bucket = new_bucket(s3)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    key = customer_key(b"v1")
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"first", **sse_c(key))["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"second", ServerSideEncryption="aws:kms")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"second"
    assert fails(s3.get_object, Bucket=bucket, Key="k", VersionId=v1)[0] == ("InvalidRequest", 400)
    old = s3.get_object(Bucket=bucket, Key="k", VersionId=v1, **sse_c(key))
    assert old["Body"].read() == b"first" and old["SSECustomerAlgorithm"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="k", VersionId=v2)["ServerSideEncryption"] == "aws:kms"


def test_bucket_policies_can_require_encryption_headers(gureum):
    s3 = gureum.client("s3")
    bucket = new_bucket(s3)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyWithoutKms",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
            {
                "Sid": "DenySseC",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}},
            },
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert fails(s3.put_object, Bucket=bucket, Key="plain", Body=b"x")[0] == ("AccessDenied", 403)
    assert fails(s3.put_object, Bucket=bucket, Key="aes", Body=b"x", ServerSideEncryption="AES256")[0] == ("AccessDenied", 403)
    assert fails(s3.put_object, Bucket=bucket, Key="c", Body=b"x", **sse_c(customer_key()))[0] == ("AccessDenied", 403)
    assert s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms")["ServerSideEncryption"] == "aws:kms"
    assert fails(s3.create_multipart_upload, Bucket=bucket, Key="mp")[0] == ("AccessDenied", 403)
    s3.delete_bucket_policy(Bucket=bucket)
