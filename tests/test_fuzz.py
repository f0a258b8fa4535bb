"""Bad input never gets a 500, a panic or a hang: seeded random requests to every operation of the
JSON services (DynamoDB, DynamoDB Streams, KMS) built from their botocore models with wrong
types, missing and extra members, deep nesting and junk; random S3 paths, queries, headers and
bodies; and raw protocol garbage. Each answer must be a well-formed client error (4xx) or 501
(NotImplemented), and the server must keep answering real requests. Bounded: a fixed number of
requests from a fixed seed, so a failure reproduces."""

import hashlib
import http.client
import json
import random
import socket
import urllib.parse

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SEED = 20261127
JSON_SERVICES = {
    "dynamodb": ("DynamoDB_20120810", "application/x-amz-json-1.0"),
    "dynamodbstreams": ("DynamoDBStreams_20120810", "application/x-amz-json-1.0"),
    "kms": ("TrentService", "application/x-amz-json-1.1"),
}
SIGNING_NAME = {"dynamodbstreams": "dynamodb"}


def send_signed(server, method, path, body, headers, service):
    headers = dict(headers)
    headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    req = AWSRequest(method=method, url=server.endpoint + path, data=body, headers=headers)
    SigV4Auth(Credentials("test", "test"), service, "us-east-1").add_auth(req)
    prepared = req.prepare()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=dict(prepared.headers))
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def junk_value(rng, depth=0):
    kind = rng.randrange(9 if depth < 6 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, -(2**70), 1e308, 3.5, 10**40])
    if kind == 3:
        return rng.choice(["", "x" * rng.randrange(1, 3000), "\u0000\uffff", "arn:aws:kms:us-east-1:0:key/x",
                           "alias/aws/s3", "ZZZ==", "1234abcd-12ab-34cd-56ef-1234567890ab", "#name", ":v"])
    if kind == 4:
        return rng.choice(["SYMMETRIC_DEFAULT", "S", "N", "B", "PAY_PER_REQUEST", "ALL_OLD", "TOTAL"])
    if kind == 5:
        return [junk_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 6:
        return {rng.choice(["S", "N", "B", "M", "L", "SS", "NULL", "BOOL", "x"]): junk_value(rng, depth + 1)}
    if kind == 7:
        return {f"k{i}": junk_value(rng, depth + 1) for i in range(rng.randrange(4))}
    return "a" * 40


def shaped_value(rng, model, shape_name, depth=0):
    """A value of roughly the model's shape, wrong often enough to hit validation paths."""
    shape = model["shapes"][shape_name]
    if rng.random() < 0.15 or depth > 8:
        return junk_value(rng, depth)
    t = shape["type"]
    if t == "structure":
        out = {}
        for name, member in shape.get("members", {}).items():
            if rng.random() < 0.6:
                out[name] = shaped_value(rng, model, member["shape"], depth + 1)
        return out
    if t == "list":
        return [shaped_value(rng, model, shape["member"]["shape"], depth + 1) for _ in range(rng.randrange(3))]
    if t == "map":
        return {f"k{i}": shaped_value(rng, model, shape["value"]["shape"], depth + 1) for i in range(rng.randrange(3))}
    if t == "string":
        if "enum" in shape:
            return rng.choice(shape["enum"] + ["NOT_AN_ENUM"])
        return rng.choice(["t", "key", "alias/x", "#a = :v", "attribute_exists(a)", "SET a = :v", "x" * 300])
    if t in ("integer", "long"):
        return rng.choice([0, 1, -5, 100, 2**40])
    if t == "boolean":
        return rng.choice([True, False])
    if t == "blob":
        return rng.choice(["AAAA", "not base64!", ""])
    if t == "timestamp":
        return rng.choice([0, 1e10, "yesterday"])
    return junk_value(rng, depth)


def deep(n):
    return "[" * n + "]" * n


def assert_client_error(status, body, what):
    assert status < 500 or status == 501, f"{what}: {status} {body[:300]!r}"


@pytest.mark.parametrize("service", sorted(JSON_SERVICES))
def test_json_services_answer_random_input_with_client_errors(gureum, service):
    prefix, content_type = JSON_SERVICES[service]
    model = botocore.session.get_session().get_service_model(service)._service_description
    rng = random.Random(f"{SEED}-{service}")
    signing = SIGNING_NAME.get(service, service)
    for op in sorted(model["operations"]):
        op_model = model["operations"][op]
        for _ in range(25):
            if "input" in op_model and rng.random() < 0.8:
                doc = shaped_value(rng, model, op_model["input"]["shape"])
                body = json.dumps(doc).encode()
            else:
                body = rng.choice([b"", b"{", b"null", b"[]", b'{"a":', deep(5000).encode(), b"\xff\xfe"])
            headers = {"Content-Type": content_type, "X-Amz-Target": f"{prefix}.{op}"}
            status, answer = send_signed(gureum, "POST", "/", body, headers, signing)
            assert_client_error(status, answer, f"{service}.{op} {body[:200]!r}")
    # Still serving.
    assert gureum.client("kms").list_keys()["Keys"] is not None


def test_s3_answers_random_requests_with_client_errors(gureum):
    rng = random.Random(f"{SEED}-s3")
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="fuzz-bucket")
    s3.put_object(Bucket="fuzz-bucket", Key="k", Body=b"v")
    subresources = ["acl", "cors", "policy", "tagging", "versioning", "lifecycle", "website", "uploads",
                    "versions", "location", "object-lock", "retention", "legal-hold", "notification",
                    "encryption", "ownershipControls", "publicAccessBlock", "restore", "delete",
                    "uploadId=zzz", "partNumber=0&uploadId=x", "list-type=2&max-keys=-1",
                    "list-type=2&continuation-token=%%%", "prefix=%FF", "encoding-type=bogus"]
    bodies = [b"", b"<", b"<x/>", b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
              b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", b"{}", b"\x00" * 100,
              ("<a>" * 3000 + "</a>" * 3000).encode(), b"<Delete><Object><Key></Key></Object></Delete>"]
    header_sets = [{}, {"Range": "bytes=9-1"}, {"Range": "bytes=abc"}, {"If-Match": "\"nope\""},
                   {"x-amz-copy-source": "/nowhere"}, {"x-amz-copy-source": "%%%"},
                   {"Content-MD5": "bad"}, {"x-amz-checksum-crc32": "!!"}, {"x-amz-storage-class": "NOPE"},
                   {"x-amz-tagging": "a=%ZZ"}, {"x-amz-object-lock-mode": "FOREVER"},
                   {"x-amz-server-side-encryption": "ROT13"}, {"x-amz-acl": "world-writable"}]
    for i in range(1500):
        method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
        key = rng.choice(["", "k", "missing", "a/../../b", "%2F%2F", "x" * 1100, "\u00e9"])
        path = "/fuzz-bucket/" + key if rng.random() < 0.8 else rng.choice(["/", "/NoSuchBucket", "/a", "//"])
        query = rng.choice(subresources) if rng.random() < 0.7 else ""
        body = rng.choice(bodies) if method in ("PUT", "POST") else b""
        headers = dict(rng.choice(header_sets))
        url_path = urllib.parse.quote(path, safe="/%")
        status, answer = send_signed(gureum, method, url_path + ("?" + query if query else ""), body, headers, "s3")
        assert_client_error(status, answer, f"{method} {url_path}?{query} {headers} {body[:80]!r}")
    # Still serving (the random requests may well have deleted the object and the bucket).
    s3.create_bucket(Bucket="fuzz-after")
    s3.put_object(Bucket="fuzz-after", Key="k", Body=b"v")
    assert s3.get_object(Bucket="fuzz-after", Key="k")["Body"].read() == b"v"


def test_protocol_garbage_never_takes_the_server_down(gureum):
    rng = random.Random(f"{SEED}-raw")
    garbage = [b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
               b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
               b"PUT /b/k HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=/,,,\r\n"
               b"Content-Length: 0\r\n\r\n",
               b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
               b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"]
    for _ in range(3):
        garbage.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000))))
    for g in garbage:
        with socket.create_connection(("127.0.0.1", gureum.port), timeout=10) as s:
            try:
                s.sendall(g)
                s.shutdown(socket.SHUT_WR)
                answer = s.recv(65536)
            except OSError:
                answer = b""
        assert not answer.startswith(b"HTTP/1.1 5"), answer[:200]
    assert gureum.client("sts").get_caller_identity()["Account"] == "000000000000"
