"""The API platform through the official clients: STS GetCallerIdentity, SigV4 refusals,
admin endpoints, configuration, durability, and every protocol's not-implemented error."""
import datetime
import json
import os
import signal
import subprocess
import time
import urllib.request
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
import pytest

from conftest import BIN
from helpers import error_of


def test_get_caller_identity_boto3(gureum):
    ident = gureum.client("sts").get_caller_identity()
    assert ident["Account"] == "000000000000"
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"
    assert ident["UserId"] == "000000000000"
    assert ident["ResponseMetadata"]["RequestId"]


def test_get_caller_identity_cli(gureum):
    out = gureum.cli("sts", "get-caller-identity")
    ident = json.loads(out.stdout)
    assert ident == {"UserId": "000000000000", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}


def test_get_caller_identity_presigned_and_expiring(start_gureum):
    # A server of its own: moving the shared server's clock would expire other tests' URLs.
    gureum = start_gureum().start()
    url = gureum.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    with urllib.request.urlopen(url) as r:
        assert b"<Arn>arn:aws:iam::000000000000:root</Arn>" in r.read()
    assert gureum.admin("/_gureum/clock", {"advance_seconds": 120})[0] == 200
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url)
    assert e.value.code == 403
    assert b"AccessDenied" in e.value.read()


@pytest.mark.parametrize(
    "key,secret,code,status",
    [
        ("test", "wrong-secret", "SignatureDoesNotMatch", 403),
        ("AKIANOSUCHKEY", "test", "InvalidClientTokenId", 403),
    ],
)
def test_refuses_bad_credentials(gureum, key, secret, code, status):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        gureum.client("sts", key=key, secret=secret).get_caller_identity()
    assert error_of(e) == (code, status)


def test_bad_credentials_in_json_and_s3_families(gureum):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        gureum.client("dynamodb", secret="wrong").list_tables()
    assert error_of(e) == ("InvalidSignatureException", 400)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        gureum.client("kms", key="AKIANOSUCHKEY").list_keys()
    assert error_of(e) == ("UnrecognizedClientException", 400)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        gureum.client("s3", secret="wrong").list_buckets()
    assert error_of(e) == ("SignatureDoesNotMatch", 403)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        gureum.client("s3", key="AKIANOSUCHKEY").list_buckets()
    assert error_of(e) == ("InvalidAccessKeyId", 403)


def raw(gureum, method, path, body=b"", headers=None):
    req = urllib.request.Request(gureum.endpoint + path, data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def signed(gureum, method, path, body, headers, service="sts", when=None, secret="test"):
    request = botocore.awsrequest.AWSRequest(method=method, url=gureum.endpoint + path, data=body, headers=headers)
    creds = botocore.credentials.Credentials("test", secret)
    if when is None:
        botocore.auth.SigV4Auth(creds, service, "us-east-1").add_auth(request)
    else:
        class Then(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return when

            @classmethod
            def now(cls, tz=None):
                return when.replace(tzinfo=tz) if tz else when

        with mock.patch.object(botocore.auth.datetime, "datetime", Then):
            botocore.auth.SigV4Auth(creds, service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    return raw(gureum, method, path, body, dict(prepared.headers))


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def test_unsigned_request_is_refused(gureum):
    status, _, body = raw(gureum, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15", FORM)
    assert status == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in body


def test_skewed_signature_is_refused(gureum):
    old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    status, _, body = signed(gureum, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15", FORM, when=old)
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in body and b"Signature expired" in body
    recent = datetime.datetime.utcnow() - datetime.timedelta(minutes=5)
    status, _, _ = signed(gureum, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15", FORM, when=recent)
    assert status == 200


def test_tampered_body_is_refused(gureum):
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=gureum.endpoint + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15", headers=FORM
    )
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "sts", "us-east-1").add_auth(request)
    headers = dict(request.prepare().headers)
    status, _, body = raw(gureum, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-16", headers)
    assert status == 403 and b"SignatureDoesNotMatch" in body


def test_unknown_action_is_invalid_action(gureum):
    status, headers, body = signed(gureum, "POST", "/", b"Action=NoSuchThing&Version=2011-06-15", FORM)
    assert status == 400
    assert b"<Code>InvalidAction</Code>" in body
    assert headers.get("x-amzn-RequestId") or headers.get("x-amzn-requestid")


# One operation per service and protocol that gureum does not implement yet: each must answer a
# clean NotImplemented (501) in its protocol's shape, which the client parses.
NOT_YET = [
    ("iam", "list_open_id_connect_providers", {}),  # awsQuery
    ("ec2", "describe_instances", {}),  # ec2Query
    ("dynamodb", "list_global_tables", {}),  # awsJson1_0
    ("kms", "get_key_last_usage", {"KeyId": "alias/not-yet"}),  # awsJson1_1
    ("logs", "describe_log_groups", {}),  # awsJson1_1
    ("cloudwatch", "list_metrics", {}),  # Smithy RPC v2 CBOR
    ("lambda", "list_functions", {}),  # restJson1
    ("efs", "describe_file_systems", {}),  # restJson1
    ("glacier", "list_vaults", {"accountId": "-"}),  # restJson1
    ("s3", "get_bucket_logging", {"Bucket": "not-yet-bucket"}),  # restXml
    ("route53", "list_hosted_zones", {}),  # restXml
    ("cloudfront", "list_distributions", {}),  # restXml
    ("sts", "decode_authorization_message", {"EncodedMessage": "x"}),
    ("elbv2", "describe_load_balancers", {}),
    ("elb", "describe_load_balancers", {}),
    ("autoscaling", "describe_auto_scaling_groups", {}),
    ("rds", "describe_db_instances", {}),
    ("lightsail", "get_instances", {}),
    ("storagegateway", "list_gateways", {}),
    ("ce", "get_cost_and_usage", {"TimePeriod": {"Start": "2026-01-01", "End": "2026-02-01"}, "Granularity": "MONTHLY", "Metrics": ["UnblendedCost"]}),
]


@pytest.mark.parametrize("service,op,params", NOT_YET, ids=[f"{s}.{o}" for s, o, _ in NOT_YET])
def test_unimplemented_operations_answer_not_implemented(gureum, service, op, params):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        getattr(gureum.client(service), op)(**params)
    code, status = error_of(e)
    assert (code, status) == ("NotImplemented", 501)
    assert "gureum does not implement" in e.value.response["Error"]["Message"]


def test_cloudwatch_query_fallback_answers_in_query(gureum):
    # Older clients speak awsQuery to CloudWatch; the same service answers in that protocol.
    body = b"Action=ListMetrics&Version=2010-08-01"
    status, _, text = signed(gureum, "POST", "/", body, FORM, service="monitoring")
    assert status == 501
    assert b"<ErrorResponse" in text and b"<Code>NotImplemented</Code>" in text


def test_malformed_json_body_is_a_serialization_error(gureum):
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"}
    status, _, body = signed(gureum, "POST", "/", b"{not json", headers, service="dynamodb")
    assert status == 400
    assert b"SerializationException" in body


def test_deeply_nested_input_is_refused_and_server_lives(gureum):
    nested = "[" * 100000 + "]" * 100000
    body = ('{"TableName":"t","Item":{"a":{"L":' + nested + "}}}").encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.PutItem"}
    status, _, _ = signed(gureum, "POST", "/", body, headers, service="dynamodb")
    assert status == 400
    form = ("Action=AssumeRole&Version=2011-06-15&" + ".".join(["A"] * 5000) + "=x").encode()
    status, _, _ = signed(gureum, "POST", "/", form, FORM)
    assert status == 400
    assert gureum.client("sts").get_caller_identity()["Account"] == "000000000000"


def test_health_endpoints(gureum):
    status, health = gureum.admin("/_gureum/health")
    assert status == 200
    assert health["services"]["sts"] == "running"
    assert set(health["services"]) >= {"s3", "dynamodb", "kms", "iam", "ec2", "lambda", "cloudwatch"}
    assert health["version"]
    status, ls = gureum.admin("/_localstack/health")
    assert status == 200
    assert ls["services"]["sts"] == "running"
    assert "version" in ls and "edition" in ls


def test_clock_moves_forward_on_request(start_gureum):
    gureum = start_gureum().start()
    status, before = gureum.admin("/_gureum/clock")
    assert status == 200
    t0 = datetime.datetime.fromisoformat(before["now"].replace("Z", "+00:00"))
    status, after = gureum.admin("/_gureum/clock", {"advance_seconds": 7200})
    assert status == 200
    t1 = datetime.datetime.fromisoformat(after["now"].replace("Z", "+00:00"))
    assert 7200 <= (t1 - t0).total_seconds() < 7300
    for bad in ({"advance_seconds": -5}, {"advance_seconds": "soon"}, {}):
        assert gureum.admin("/_gureum/clock", bad)[0] == 400


def test_usage_is_metered_per_operation(gureum):
    sts = gureum.client("sts")
    _, before = gureum.admin("/_gureum/usage")

    def count(usage):
        return sum(u["quantity"] for u in usage["usage"] if u["service"] == "sts" and u["operation"] == "GetCallerIdentity")

    for _ in range(3):
        sts.get_caller_identity()
    _, after = gureum.admin("/_gureum/usage")
    assert count(after) - count(before) == 3
    row = next(u for u in after["usage"] if u["service"] == "sts")
    assert row["account_id"] == "000000000000" and row["region"] == "us-east-1" and row["unit"] == "Requests"


def test_reset_wipes_state(start_gureum):
    server = start_gureum().start()
    server.client("sts").get_caller_identity()
    server.admin("/_gureum/clock", {"advance_seconds": 3600})
    assert server.admin("/_gureum/usage")[1]["usage"]
    status, _ = server.admin("/_gureum/reset", {})
    assert status == 200
    assert server.admin("/_gureum/usage")[1]["usage"] == []
    assert server.admin("/_gureum/clock")[1]["offset_seconds"] == 0


def test_acknowledged_writes_survive_kill_9(start_gureum):
    server = start_gureum().start()
    assert server.admin("/_gureum/clock", {"advance_seconds": 86400})[0] == 200
    server.kill(signal.SIGKILL)
    again = start_gureum(data_dir=server.data_dir, port=server.port).start()
    assert again.admin("/_gureum/clock")[1]["offset_seconds"] >= 86400


def test_usage_survives_clean_shutdown(start_gureum):
    server = start_gureum().start()
    server.client("sts").get_caller_identity()
    server.kill(signal.SIGTERM)
    again = start_gureum(data_dir=server.data_dir, port=server.port).start()
    usage = again.admin("/_gureum/usage")[1]["usage"]
    assert any(u["operation"] == "GetCallerIdentity" for u in usage)


def test_ephemeral_keeps_nothing(start_gureum):
    server = start_gureum(args=["--ephemeral"]).start()
    server.admin("/_gureum/clock", {"advance_seconds": 600})
    server.kill()
    assert not os.path.exists(os.path.join(server.data_dir, "gureum.redb"))


def test_non_loopback_without_credentials_refuses_to_start(tmp_path):
    out = subprocess.run(
        [BIN, "serve", "--listen", "0.0.0.0:0", "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=30
    )
    assert out.returncode != 0
    assert "only accepted on loopback" in out.stderr


def test_non_loopback_admin_needs_root_signature(start_gureum):
    server = start_gureum(env={"GUREUM_ROOT_ACCESS_KEY_ID": "AKIAROOT", "GUREUM_ROOT_SECRET_ACCESS_KEY": "s3cret"})
    server.args = ["--listen", f"0.0.0.0:{server.port}"]
    server.proc = subprocess.Popen(
        [BIN, "serve", "--data-dir", server.data_dir, *server.args],
        stdout=server.log, stderr=subprocess.STDOUT, env={**os.environ, **server.env}, cwd=server.data_dir,
    )
    deadline = time.time() + 20
    while True:
        try:
            status, _ = server.admin("/_gureum/health")
            break
        except OSError:
            assert time.time() < deadline, server.output()
            time.sleep(0.05)
    assert status == 403
    # test/test is not accepted there; the configured root key is.
    with pytest.raises(botocore.exceptions.ClientError):
        server.client("sts").get_caller_identity()
    ident = server.client("sts", key="AKIAROOT", secret="s3cret").get_caller_identity()
    assert ident["Account"] == "000000000000"


def test_configuration_layers(start_gureum, tmp_path):
    # gureum.toml in the working directory, overridden by env, overridden by flags.
    d = str(tmp_path)
    with open(os.path.join(d, "gureum.toml"), "w") as f:
        f.write('account-id = "111111111111"\nregion = "eu-west-1"\n')
    server = start_gureum(data_dir=d).start()
    assert server.client("sts").get_caller_identity()["Account"] == "111111111111"
    server.kill()
    server = start_gureum(data_dir=d, env={"GUREUM_ACCOUNT_ID": "222222222222"}).start()
    assert server.client("sts").get_caller_identity()["Account"] == "222222222222"
    server.kill()
    server = start_gureum(data_dir=d, env={"GUREUM_ACCOUNT_ID": "222222222222"}, args=["--account-id", "333333333333"]).start()
    assert server.client("sts").get_caller_identity()["Account"] == "333333333333"


def test_permissive_mode_accepts_any_credentials(start_gureum):
    server = start_gureum(args=["--auth", "permissive"]).start()
    ident = server.client("sts", key="123456789012", secret="anything").get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert server.client("sts", key="whatever", secret="x").get_caller_identity()["Account"] == "000000000000"


def test_json_log_lines(start_gureum):
    server = start_gureum(args=["--log-format", "json"]).start()
    server.client("sts").get_caller_identity()
    server.kill()
    lines = [json.loads(l) for l in server.output().splitlines() if l.startswith("{")]
    req = [l for l in lines if l.get("operation") == "GetCallerIdentity"]
    assert req, server.output()
    assert req[0]["service"] == "sts" and req[0]["status"] == 200
    assert req[0]["principal"] == "arn:aws:iam::000000000000:root"
    assert "latency_us" in req[0]


def test_serve_help_documents_every_flag():
    out = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    for flag in ["--listen", "--data-dir", "--ephemeral", "--auth", "--log-format", "--region", "--config",
                 "GUREUM_LISTEN", "GUREUM_DATA_DIR", "GUREUM_AUTH", "GUREUM_REGION"]:
        assert flag in out.stdout, flag


def test_oversized_body_is_refused(start_gureum):
    server = start_gureum(args=["--max-body-bytes", "1024"]).start()
    status, _, body = raw(server, "POST", "/", b"Action=GetCallerIdentity&" + b"x" * 4096, FORM)
    assert status == 413
    assert server.client("sts").get_caller_identity()["Account"] == "000000000000"


def chunked_put(gureum, body_chunks, trailer_value):
    """A PUT with an aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER body, signed as boto3 signs it."""
    import base64
    import zlib

    payload = b"".join(body_chunks)
    crc = trailer_value or base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    wire = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in body_chunks)
    wire += b"0\r\nx-amz-checksum-crc32:" + crc.encode() + b"\r\n\r\n"
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "X-Amz-Decoded-Content-Length": str(len(payload)),
        "X-Amz-Trailer": "x-amz-checksum-crc32",
    }
    request = botocore.awsrequest.AWSRequest(method="PUT", url=gureum.endpoint + "/bucket/key", data=wire, headers=headers)
    request.context["checksum"] = {"request_algorithm": {"in": "trailer", "name": "x-amz-checksum-crc32"}}
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    return raw(gureum, "PUT", "/bucket/key", wire, dict(request.prepare().headers))


def test_aws_chunked_payload_with_trailing_checksum(gureum):
    # A good checksum passes authentication and reaches S3, which stores the object.
    gureum.client("s3").create_bucket(Bucket="bucket")
    status, _, body = chunked_put(gureum, [b"hello ", b"world"], None)
    assert status == 200, body
    assert gureum.client("s3").get_object(Bucket="bucket", Key="key")["Body"].read() == b"hello world"
    # A checksum that does not match the payload is refused as S3 does.
    status, _, body = chunked_put(gureum, [b"hello ", b"world"], "AAAAAA==")
    assert status == 400 and b"<Code>BadDigest</Code>" in body
    # Tampering with a chunk after signing is caught by the checksum too.
    status, _, body = chunked_put(gureum, [b"hello ", b"world"], "DUoRhQ==")
    assert status == 200
    status, _, body = chunked_put(gureum, [b"hellO ", b"world"], "DUoRhQ==")
    assert status == 400 and b"BadDigest" in body


def test_missing_required_member_is_a_validation_error(gureum):
    status, _, body = signed(gureum, "POST", "/", b"Action=AssumeRole&Version=2011-06-15&RoleSessionName=s", FORM)
    assert status == 400
    assert b"<Code>ValidationError</Code>" in body
    assert b"2 validation errors detected: Value null at &apos;roleArn&apos; failed to satisfy constraint: Member must not be null" in body
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.DescribeTable"}
    status, _, body = signed(gureum, "POST", "/", b"{}", headers, service="dynamodb")
    assert status == 400
    doc = json.loads(body)
    assert doc["__type"].endswith("ValidationException")
    assert "Value null at 'tableName' failed to satisfy constraint: Member must not be null" in doc["message"]


def test_wrongly_typed_json_is_a_serialization_error(gureum):
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Encrypt"}
    status, _, body = signed(gureum, "POST", "/", b'{"KeyId": 5, "Plaintext": "aGk="}', headers, service="kms")
    assert status == 400
    assert b"SerializationException" in body


def test_malformed_xml_is_malformed_xml(gureum):
    body = b"<Tagging><TagSet><Tag><Key>a</Key></TagSet>"
    request = botocore.awsrequest.AWSRequest(method="PUT", url=gureum.endpoint + "/bucket?tagging", data=body)
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    status, _, text = raw(gureum, "PUT", "/bucket?tagging", body, dict(request.prepare().headers))
    assert status == 400 and b"<Code>MalformedXML</Code>" in text
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Tagging><TagSet/></Tagging>'
    request = botocore.awsrequest.AWSRequest(method="PUT", url=gureum.endpoint + "/bucket?tagging", data=evil)
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    status, _, text = raw(gureum, "PUT", "/bucket?tagging", evil, dict(request.prepare().headers))
    assert status == 400 and b"<Code>MalformedXML</Code>" in text


def test_malformed_cbor_is_refused(gureum):
    headers = {"Content-Type": "application/cbor", "Accept": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
    path = "/service/GraniteServiceVersion20100801/operation/ListMetrics"
    status, resp_headers, _ = signed(gureum, "POST", path, b"\xbf\x61", headers, service="monitoring")
    assert status == 400
    nested = b"\x81" * 100000  # arrays nested 100k deep
    status, _, _ = signed(gureum, "POST", path, nested, headers, service="monitoring")
    assert status == 400
    assert gureum.client("sts").get_caller_identity()["Account"] == "000000000000"


def test_cloudwatch_speaks_cbor_when_asked(gureum):
    import botocore.model

    # botocore 1.43 prefers JSON for CloudWatch; put CBOR first so the client speaks it, and
    # confirm from the server's answer that it did.
    order = ("smithy-rpc-v2-cbor", "json", "query")
    with mock.patch.object(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", order):
        cw = gureum.client("cloudwatch")
        assert cw.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
        with pytest.raises(botocore.exceptions.ClientError) as e:
            cw.list_metrics()
    assert error_of(e) == ("NotImplemented", 501)
    headers = e.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers.get("smithy-protocol") == "rpc-v2-cbor"


def test_unsigned_s3_requests_are_anonymous_and_denied_without_a_policy(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="anon-check")
    s3.put_object(Bucket="anon-check", Key="k", Body=b"private")
    status, _, body = raw(gureum, "GET", "/anon-check/k")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body and b"Access Denied" in body
    status, _, body = raw(gureum, "GET", "/")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body


def test_s3_presigned_urls_in_both_signature_versions(start_gureum):
    import botocore.config

    server = start_gureum().start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="shared")
    s3.put_object(Bucket="shared", Key="note.txt", Body=b"share by URL")
    v2 = server.client("s3")  # boto3's default presigning for S3 here is the legacy SigV2
    v4 = server.client("s3", signature_version="s3v4")
    for client in (v2, v4):
        url = client.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "note.txt"}, ExpiresIn=60)
        with urllib.request.urlopen(url) as r:
            assert r.read() == b"share by URL"
        put = client.generate_presigned_url(
            "put_object", Params={"Bucket": "shared", "Key": "up.txt", "ContentType": "text/plain"}, ExpiresIn=60)
        req = urllib.request.Request(put, data=b"uploaded", method="PUT", headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req) as r:
            assert r.status == 200
        assert s3.get_object(Bucket="shared", Key="up.txt")["Body"].read() == b"uploaded"
        tampered = url.replace("note.txt", "up.txt")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(tampered)
        assert e.value.code == 403 and b"SignatureDoesNotMatch" in e.value.read()
    assert "AWSAccessKeyId=" in v2.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "note.txt"})
    # Both kinds expire on the server clock.
    urls = [c.generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "note.txt"}, ExpiresIn=60) for c in (v2, v4)]
    assert server.admin("/_gureum/clock", {"advance_seconds": 120})[0] == 200
    for url in urls:
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url)
        assert e.value.code == 403 and b"AccessDenied" in e.value.read()
