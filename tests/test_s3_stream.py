"""Large S3 bodies stream: uploads are stored chunk by chunk and checked on the way (payload hash,
aws-chunked signatures and trailers, Content-MD5, checksums), downloads are read from disk as
they are sent, and neither holds the object in memory. Bad or cut-off uploads leave what was
stored before untouched."""

import base64
import hashlib
import http.client
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

MIB = 1024 * 1024


def body_of(size, seed=7):
    """`size` pseudo-random bytes (not all one byte, so a misplaced chunk shows)."""
    block = hashlib.sha256(str(seed).encode()).digest() * (MIB // 32)
    reps, rest = divmod(size, len(block))
    return block * reps + block[:rest]


@pytest.fixture
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture
def bucket(s3):
    name = f"stream-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def signed(gureum, method, path, body=b"", headers=None, payload_hash=None):
    """A request signed with SigV4 by botocore; `payload_hash` overrides x-amz-content-sha256."""
    headers = dict(headers or {})
    headers["x-amz-content-sha256"] = payload_hash or hashlib.sha256(body).hexdigest()
    req = AWSRequest(method=method, url=gureum.endpoint + path, data=body, headers=headers)
    SigV4Auth(Credentials("test", "test"), "s3", "us-east-1").add_auth(req)
    return req.prepare()


def send(prepared):
    req = urllib.request.Request(prepared.url, data=prepared.body, method=prepared.method,
                                 headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def error_code(body):
    text = body.decode(errors="replace")
    return text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in text else text


def test_large_put_and_get_round_trip(s3, bucket):
    data = body_of(20 * MIB + 123)
    put = s3.put_object(Bucket=bucket, Key="big", Body=data)
    assert put["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["ContentLength"] == len(data)
    assert got["Body"].read() == data
    head = s3.head_object(Bucket=bucket, Key="big")
    assert head["ContentLength"] == len(data)


def test_ranged_get_of_a_streamed_body(s3, bucket):
    data = body_of(6 * MIB, seed=3)
    s3.put_object(Bucket=bucket, Key="ranged", Body=data)
    got = s3.get_object(Bucket=bucket, Key="ranged", Range=f"bytes={MIB}-{3 * MIB + 4}")
    assert got["ContentRange"] == f"bytes {MIB}-{3 * MIB + 4}/{len(data)}"
    assert got["Body"].read() == data[MIB:3 * MIB + 5]


def test_streamed_checksums_are_computed_and_verified(s3, bucket):
    data = body_of(3 * MIB, seed=5)
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    put = s3.put_object(Bucket=bucket, Key="crc", Body=data, ChecksumAlgorithm="CRC32")
    assert put["ChecksumCRC32"] == crc
    head = s3.head_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5", Body=data, ContentMD5=md5)


def test_wrong_payload_hash_is_refused_and_keeps_the_old_object(gureum, s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep", Body=b"old")
    data = body_of(3 * MIB, seed=9)
    wrong = hashlib.sha256(b"something else").hexdigest()
    status, _, body = send(signed(gureum, "PUT", f"/{bucket}/keep", data, payload_hash=wrong))
    assert (status, error_code(body)) == (400, "XAmzContentSHA256Mismatch")
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"old"
    # The right hash goes through.
    status, _, _ = send(signed(gureum, "PUT", f"/{bucket}/keep", data))
    assert status == 200
    assert s3.get_object(Bucket=bucket, Key="keep")["Body"].read() == data


def test_wrong_content_md5_on_a_stream_is_bad_digest(gureum, s3, bucket):
    s3.put_object(Bucket=bucket, Key="md5", Body=b"old")
    data = body_of(2 * MIB, seed=11)
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    status, _, body = send(signed(gureum, "PUT", f"/{bucket}/md5", data, {"Content-MD5": bad}))
    assert (status, error_code(body)) == (400, "BadDigest")
    assert s3.get_object(Bucket=bucket, Key="md5")["Body"].read() == b"old"


def aws_chunked(data, chunk, trailer=None):
    out = b""
    for i in range(0, len(data), chunk):
        part = data[i:i + chunk]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    out += b"0\r\n"
    if trailer:
        out += trailer.encode() + b"\r\n"
    return out + b"\r\n"


@pytest.mark.parametrize("good", [True, False])
def test_unsigned_chunked_upload_with_a_trailing_checksum(gureum, s3, bucket, good):
    data = body_of(3 * MIB + 17, seed=13)
    crc = base64.b64encode(zlib.crc32(data if good else data[:-1]).to_bytes(4, "big")).decode()
    raw = aws_chunked(data, 64 * 1024, f"x-amz-checksum-crc32:{crc}")
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }
    req = signed(gureum, "PUT", f"/{bucket}/chunked", raw, headers,
                 payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    status, _, body = send(req)
    if good:
        assert status == 200, body
        assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == data
    else:
        assert (status, error_code(body)) == (400, "BadDigest")
        with pytest.raises(s3.exceptions.NoSuchKey):
            s3.get_object(Bucket=bucket, Key="chunked")


def test_chunked_upload_shorter_than_declared_is_refused(gureum, s3, bucket):
    data = body_of(2 * MIB, seed=15)
    raw = aws_chunked(data, 256 * 1024)
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data) + 1)}
    req = signed(gureum, "PUT", f"/{bucket}/short", raw, headers,
                 payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    status, _, body = send(req)
    assert (status, error_code(body)) == (400, "IncompleteBody")


def test_a_cut_off_upload_stores_nothing_and_the_server_lives(gureum, s3, bucket):
    s3.put_object(Bucket=bucket, Key="cut", Body=b"before")
    data = body_of(4 * MIB, seed=17)
    req = signed(gureum, "PUT", f"/{bucket}/cut", data)
    head = f"PUT /{bucket}/cut HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in req.headers.items()) + f"Content-Length: {len(data)}\r\n\r\n"
    answer = b""
    with socket.create_connection(("127.0.0.1", gureum.port)) as sock:
        sock.settimeout(10)
        try:
            sock.sendall(head.encode() + data[:MIB])
            sock.shutdown(socket.SHUT_WR)
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass  # The server may give up on the connection first.
    # Whatever the server said, it did not accept the upload.
    assert not answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert s3.get_object(Bucket=bucket, Key="cut")["Body"].read() == b"before"
    s3.put_object(Bucket=bucket, Key="after", Body=b"alive")
    assert s3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"alive"


def test_presigned_put_of_a_large_body(start_gureum):
    # A server of its own: other tests move the shared server's clock, past the URL's expiry.
    server = start_gureum().start()
    s3 = server.client("s3")
    bucket = "presigned-stream"
    s3.create_bucket(Bucket=bucket)
    data = body_of(2 * MIB + 1, seed=19)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "presigned"},
                                    ExpiresIn=300)
    # No Content-Type: the legacy presigned signature covers it, and none was signed.
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.request("PUT", f"{parts.path}?{parts.query}", body=data)
    resp = conn.getresponse()
    assert resp.status == 200, resp.read()
    conn.close()
    assert s3.get_object(Bucket=bucket, Key="presigned")["Body"].read() == data


def test_multipart_parts_stream(s3, bucket):
    parts = [body_of(5 * MIB, seed=21), body_of(3 * MIB, seed=22)]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    done = []
    for n, part in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=n, Body=part)
        assert r["ETag"] == '"%s"' % hashlib.md5(part).hexdigest()
        done.append({"PartNumber": n, "ETag": r["ETag"]})
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": done})
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"".join(parts)


def test_cli_copies_a_large_file_both_ways(gureum, bucket, tmp_path):
    src = tmp_path / "src.bin"
    data = body_of(24 * MIB + 5, seed=23)
    src.write_bytes(data)
    gureum.cli("s3", "cp", str(src), f"s3://{bucket}/cli.bin")
    dst = tmp_path / "dst.bin"
    gureum.cli("s3", "cp", f"s3://{bucket}/cli.bin", str(dst))
    assert dst.read_bytes() == data


def vm_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_a_large_upload_and_download_never_hold_the_object(start_gureum, tmp_path):
    server = start_gureum().start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="rss")
    size = 256 * MIB
    src = tmp_path / "big.bin"
    with open(src, "wb") as f:
        for i in range(size // (16 * MIB)):
            f.write(body_of(16 * MIB, seed=i))
    before = vm_hwm_mib(server.proc.pid)
    with open(src, "rb") as f:
        s3.put_object(Bucket="rss", Key="big", Body=f)
    digest = hashlib.sha256()
    body = s3.get_object(Bucket="rss", Key="big")["Body"]
    for chunk in iter(lambda: body.read(MIB), b""):
        digest.update(chunk)
    with open(src, "rb") as f:
        assert digest.hexdigest() == hashlib.file_digest(f, "sha256").hexdigest()
    grew = vm_hwm_mib(server.proc.pid) - before
    # Holding the object would add at least its 256 MiB; streaming adds a few chunks.
    assert grew < 64, f"peak RSS grew by {grew:.0f} MiB for a {size // MIB} MiB object"


def test_only_object_uploads_escape_the_in_memory_body_limit(start_gureum):
    server = start_gureum(args=["--max-body-bytes", "4096"]).start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="limits")
    data = body_of(2 * MIB, seed=29)
    # An object upload streams to disk: the in-memory limit does not apply.
    s3.put_object(Bucket="limits", Key="big", Body=data)
    assert s3.get_object(Bucket="limits", Key="big")["Body"].read() == data
    # Any other large PUT is collected, so it is held to the limit.
    tagging = b"<Tagging><TagSet>" + b" " * (2 * MIB) + b"</TagSet></Tagging>"
    status, _, body = send(signed(server, "PUT", "/limits?tagging", tagging))
    assert status == 413, body[:300]
