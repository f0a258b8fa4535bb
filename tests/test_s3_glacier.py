"""The S3 cold store through the real binary: GLACIER / DEEP_ARCHIVE bodies encrypted at rest
with SSE-S3 (every new object's default) are compressed before they are encrypted again, so
their cold blob on disk is much smaller than the body and never holds its plaintext; a restore
gives back the exact bytes (whole, by range, copied, with their checksums). SSE-C bodies, which
the server cannot decrypt on its own, are packed as they are stored."""
import base64
import hashlib
import os

import botocore.exceptions
import pytest
from helpers import error_of, eventually, files_containing

MARKER = b"gureum-cold-plaintext-marker"
MIB = 1024 * 1024


def text(size, tag="x"):
    """`size` bytes of log-like lines (compressible) that repeat the marker, so any plaintext
    on disk shows."""
    out = bytearray()
    i = 0
    while len(out) < size:
        out += b"%s %s line %08d: the same old message, again and again\n" % (MARKER, tag.encode(), i)
        i += 1
    return bytes(out[:size])


def cold_blobs(data_dir):
    """{path: size} of the cold store's blobs on disk."""
    found = {}
    for root, _, files in os.walk(os.path.join(data_dir, "blobs")):
        for name in files:
            if name.startswith("cold-"):
                path = os.path.join(root, name)
                found[path] = os.path.getsize(path)
    return found


def advance(server, seconds):
    assert server.admin("/_gureum/clock", {"advance_seconds": int(seconds)})[0] == 200


def assert_archived(s3, bucket, key, **extra):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key, **extra)
    assert error_of(e) == ("InvalidObjectState", 403)


def test_sse_s3_glacier_body_is_compressed_encrypted_and_restored_identical(start_gureum):
    server = start_gureum().start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="frozen")
    data = text(MIB, "put")
    sha256 = base64.b64encode(hashlib.sha256(data).digest()).decode()
    put = s3.put_object(Bucket="frozen", Key="logs", Body=data, StorageClass="GLACIER",
                        ChecksumAlgorithm="SHA256")
    assert put["ServerSideEncryption"] == "AES256"
    assert put["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    cold = cold_blobs(server.data_dir)
    assert len(cold) == 1, cold
    size = list(cold.values())[0]
    # Compressed before it was encrypted again: a small fraction of the body.
    assert size < len(data) / 4, (size, len(data))
    print(f"cold blob of a compressible 1 MiB SSE-S3 body: {size} bytes")
    # Neither the cold blob nor anything else on disk holds the plaintext.
    assert files_containing(server.data_dir, MARKER) == []
    head = s3.head_object(Bucket="frozen", Key="logs")
    assert head["ContentLength"] == len(data) and head["StorageClass"] == "GLACIER"
    assert head["ServerSideEncryption"] == "AES256"
    assert_archived(s3, "frozen", "logs")
    assert_archived(s3, "frozen", "logs", Range="bytes=0-9")

    restore = s3.restore_object(Bucket="frozen", Key="logs", RestoreRequest={
        "Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}})
    assert restore["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert_archived(s3, "frozen", "logs")
    advance(server, 301)
    got = s3.get_object(Bucket="frozen", Key="logs", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ETag"] == put["ETag"] and got["ChecksumSHA256"] == sha256
    assert got["ServerSideEncryption"] == "AES256"
    for first, last in [(0, 0), (65_530, 65_545), (1000, 300_000), (MIB - 10, MIB - 1)]:
        ranged = s3.get_object(Bucket="frozen", Key="logs", Range=f"bytes={first}-{last}")
        assert ranged["Body"].read() == data[first:last + 1], (first, last)
    assert s3.get_object(Bucket="frozen", Key="logs", Range="bytes=-100")["Body"].read() == data[-100:]
    # The restored copy is encrypted at rest too; the cold blob stays as it was.
    assert files_containing(server.data_dir, MARKER) == []
    assert cold_blobs(server.data_dir) == cold
    # A restored object copies out like any other, to a warm class or back into the cold store.
    warm = s3.copy_object(Bucket="frozen", Key="warm", CopySource={"Bucket": "frozen", "Key": "logs"},
                          StorageClass="STANDARD")
    assert warm["CopyObjectResult"]["ETag"] == put["ETag"]
    assert s3.get_object(Bucket="frozen", Key="warm")["Body"].read() == data
    s3.copy_object(Bucket="frozen", Key="deep", CopySource={"Bucket": "frozen", "Key": "logs"},
                   StorageClass="DEEP_ARCHIVE")
    again = cold_blobs(server.data_dir)
    assert len(again) == 2 and all(s < len(data) / 4 for s in again.values()), again
    s3.restore_object(Bucket="frozen", Key="deep", RestoreRequest={"Days": 1})
    advance(server, 12 * 3600 + 60)
    assert s3.get_object(Bucket="frozen", Key="deep")["Body"].read() == data
    assert files_containing(server.data_dir, MARKER) == []


def test_lifecycle_transition_compresses_an_sse_s3_body(start_gureum):
    server = start_gureum().start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="aging")
    # Over 1 MiB: received through the streamed PutObject path.
    data = text(MIB + MIB // 2, "lc")
    s3.put_object(Bucket="aging", Key="logs/old", Body=data)
    assert cold_blobs(server.data_dir) == {}
    s3.put_bucket_lifecycle_configuration(Bucket="aging", LifecycleConfiguration={"Rules": [
        {"ID": "g", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
         "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
    advance(server, 2 * 86400)
    eventually(lambda: assert_eq(s3.head_object(Bucket="aging", Key="logs/old")["StorageClass"], "GLACIER"))
    cold = cold_blobs(server.data_dir)
    assert len(cold) == 1, cold
    assert list(cold.values())[0] < len(data) / 4, cold
    assert files_containing(server.data_dir, MARKER) == []
    assert_archived(s3, "aging", "logs/old")
    s3.restore_object(Bucket="aging", Key="logs/old", RestoreRequest={"Days": 1})
    # GLACIER Standard: five hours.
    advance(server, 4 * 3600)
    assert_archived(s3, "aging", "logs/old")
    advance(server, 3600 + 60)
    assert s3.get_object(Bucket="aging", Key="logs/old")["Body"].read() == data
    ranged = s3.get_object(Bucket="aging", Key="logs/old", Range="bytes=70000-1200000")
    assert ranged["Body"].read() == data[70000:1200001]
    assert files_containing(server.data_dir, MARKER) == []


def test_sse_c_glacier_body_is_packed_as_stored_and_restores(start_gureum):
    server = start_gureum().start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="customer")
    key = hashlib.sha256(b"cold customer").digest()
    sse_c = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
    data = text(MIB, "ssec")
    s3.put_object(Bucket="customer", Key="c", Body=data, StorageClass="GLACIER", **sse_c)
    cold = cold_blobs(server.data_dir)
    assert len(cold) == 1, cold
    # The server cannot decrypt it without the customer's key: its ciphertext is packed as it
    # is, so it does not shrink (nor grow much).
    assert len(data) < list(cold.values())[0] < len(data) * 1.01 + 4096, cold
    assert files_containing(server.data_dir, MARKER) == []
    assert_archived(s3, "customer", "c", **sse_c)
    s3.restore_object(Bucket="customer", Key="c", RestoreRequest={
        "Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}})
    advance(server, 301)
    assert s3.get_object(Bucket="customer", Key="c", **sse_c)["Body"].read() == data
    ranged = s3.get_object(Bucket="customer", Key="c", Range="bytes=100-70000", **sse_c)
    assert ranged["Body"].read() == data[100:70001]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket="customer", Key="c")
    assert error_of(e) == ("InvalidRequest", 400)


def assert_eq(got, want):
    assert got == want, got
