"""STS temporary credentials through boto3: issued, usable with their session token, refused
with another token, and expired on the server clock."""
import botocore.exceptions
import pytest
from helpers import error_of


def test_session_token_credentials_work_and_expire(start_gureum):
    server = start_gureum().start()
    creds = server.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    temp = server.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
    ident = temp.get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"

    # The same key with another key's token, or with none, is refused.
    other = server.client("sts").get_session_token()["Credentials"]
    wrong = server.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=other["SessionToken"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        wrong.get_caller_identity()
    assert error_of(e) == ("InvalidClientTokenId", 403)
    bare = server.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bare.get_caller_identity()
    assert error_of(e) == ("InvalidClientTokenId", 403)

    # Session credentials cannot mint more session credentials.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        temp.get_session_token()
    assert error_of(e) == ("AccessDenied", 403)

    # Skipping past the expiry on the server clock expires them, in every family's words.
    assert server.admin("/_gureum/clock", {"advance_seconds": 901})[0] == 200
    with pytest.raises(botocore.exceptions.ClientError) as e:
        temp.get_caller_identity()
    assert error_of(e) == ("ExpiredToken", 403)
    dynamo = server.client("dynamodb", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dynamo.list_tables()
    assert error_of(e) == ("ExpiredTokenException", 400)


def test_session_credentials_survive_restart(start_gureum):
    server = start_gureum().start()
    creds = server.client("sts").get_session_token()["Credentials"]
    server.kill()
    again = start_gureum(data_dir=server.data_dir, port=server.port).start()
    temp = again.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
    assert temp.get_caller_identity()["Account"] == "000000000000"


def test_root_session_is_capped_at_an_hour(gureum):
    import datetime

    creds = gureum.client("sts").get_session_token(DurationSeconds=129600)["Credentials"]
    _, clock = gureum.admin("/_gureum/clock")
    now = datetime.datetime.fromisoformat(clock["now"].replace("Z", "+00:00"))
    assert (creds["Expiration"] - now).total_seconds() <= 3600 + 5


def test_get_access_key_info(gureum):
    creds = gureum.client("sts").get_session_token()["Credentials"]
    assert gureum.client("sts").get_access_key_info(AccessKeyId=creds["AccessKeyId"])["Account"] == "000000000000"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        gureum.client("sts").get_access_key_info(AccessKeyId="AKIAUNKNOWNUNKNOWN00")
    assert error_of(e) == ("InvalidParameterValue", 400)


def test_session_token_through_the_cli(gureum):
    import json

    out = json.loads(gureum.cli("sts", "get-session-token", "--duration-seconds", "900").stdout)
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_web_identity_and_saml_federation_answer_not_implemented(gureum):
    sts = gureum.client("sts")
    for call in (
        lambda: sts.assume_role_with_web_identity(
            RoleArn="arn:aws:iam::000000000000:role/r", RoleSessionName="web", WebIdentityToken="x" * 10),
        lambda: sts.assume_role_with_saml(
            RoleArn="arn:aws:iam::000000000000:role/r", PrincipalArn="arn:aws:iam::000000000000:saml-provider/p",
            SAMLAssertion="x" * 10),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert error_of(e) == ("NotImplemented", 501)
