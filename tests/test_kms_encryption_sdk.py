"""The AWS Encryption SDK for Python doing envelope encryption against gureum's KMS: a real client
that calls GenerateDataKey, Encrypt and Decrypt with encryption context the way applications do.

The SDK builds its own KMS clients from a botocore session, so the session carries the test
credentials and region, and AWS_ENDPOINT_URL (read by botocore when a client is created) points
them at gureum."""
import os
import uuid

import aws_encryption_sdk
import botocore.session
import pytest
from aws_encryption_sdk import CommitmentPolicy
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError, DecryptKeyError
from cryptography.exceptions import InvalidSignature, InvalidTag

SIZES = [0, 1024, 1024 * 1024]


@pytest.fixture
def kms(gureum):
    return gureum.client("kms")


@pytest.fixture
def sdk_session(gureum, monkeypatch):
    """A botocore session the SDK's KMS clients are made from, aimed at gureum."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_KMS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", gureum.endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    session = botocore.session.Session()
    session.set_credentials("test", "test")
    session.set_config_variable("region", "us-east-1")
    return session


@pytest.fixture
def sdk():
    return aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )


def new_key_arn(kms):
    return kms.create_key(Description="encryption-sdk " + uuid.uuid4().hex[:8])["KeyMetadata"]["Arn"]


def provider(session, *arns):
    return aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=list(arns), botocore_session=session)


def context():
    return {"purpose": "gureum-test", "request": uuid.uuid4().hex}


def kms_errors(session, operation):
    """Collects the KMS error codes gureum returns to `operation` calls made by clients created
    from `session` after this call (the SDK itself only reports DecryptKeyError)."""
    codes = []

    def record(parsed, **kw):
        if "Error" in parsed:
            codes.append(parsed["Error"].get("Code"))

    session.register(f"after-call.kms.{operation}", record)
    return codes


def count_calls(session, operation):
    """Counts KMS `operation` calls made by clients created from `session` after this call."""
    calls = []
    session.register(f"before-call.kms.{operation}", lambda **kw: calls.append(operation))
    return calls


@pytest.mark.parametrize("size", SIZES, ids=["0B", "1KiB", "1MiB"])
def test_envelope_round_trip(kms, sdk, sdk_session, size):
    arn = new_key_arn(kms)
    generated = count_calls(sdk_session, "GenerateDataKey")
    decrypted_calls = count_calls(sdk_session, "Decrypt")
    mkp = provider(sdk_session, arn)
    plaintext = os.urandom(size)
    ctx = context()

    ciphertext, enc_header = sdk.encrypt(source=plaintext, key_provider=mkp, encryption_context=ctx)
    assert ciphertext != plaintext and len(ciphertext) > size
    assert plaintext == b"" or plaintext not in ciphertext
    assert len(enc_header.encrypted_data_keys) == 1
    edk = next(iter(enc_header.encrypted_data_keys))
    assert edk.key_provider.provider_id == "aws-kms" and edk.key_provider.key_info == arn.encode()

    # A fresh provider (no cached clients or keys) must get the data key back from KMS.
    result, dec_header = sdk.decrypt(source=ciphertext, key_provider=provider(sdk_session, arn))
    assert result == plaintext
    for k, v in ctx.items():
        assert dec_header.encryption_context[k] == v
    assert generated == ["GenerateDataKey"] and decrypted_calls == ["Decrypt"]


def test_stream_round_trip(kms, sdk, sdk_session):
    arn = new_key_arn(kms)
    mkp = provider(sdk_session, arn)
    plaintext = os.urandom(300 * 1024 + 7)
    ctx = context()
    with sdk.stream(mode="e", source=plaintext, key_provider=mkp, encryption_context=ctx, frame_length=8192) as enc:
        ciphertext = b"".join(enc)
    with sdk.stream(mode="d", source=ciphertext, key_provider=provider(sdk_session, arn)) as dec:
        result = b"".join(dec)
        assert dec.header.encryption_context["request"] == ctx["request"]
    assert result == plaintext


def test_tampered_message_refused(kms, sdk, sdk_session):
    arn = new_key_arn(kms)
    mkp = provider(sdk_session, arn)
    ciphertext, _ = sdk.encrypt(source=os.urandom(1024), key_provider=mkp, encryption_context=context())
    # The untouched message decrypts.
    assert sdk.decrypt(source=ciphertext, key_provider=mkp)[0]

    # A flipped byte in the body (or in the trailing signature) is caught by the SDK itself
    # (as cryptography's InvalidTag or InvalidSignature, which the SDK does not wrap).
    for index in (len(ciphertext) // 2, len(ciphertext) - 1):
        tampered = bytearray(ciphertext)
        tampered[index] ^= 0x01
        with pytest.raises((AWSEncryptionSDKClientError, InvalidTag, InvalidSignature)):
            sdk.decrypt(source=bytes(tampered), key_provider=mkp)

    # A flipped byte inside the KMS ciphertext blob of the encrypted data key reaches gureum,
    # which must refuse it (InvalidCiphertextException), so the SDK cannot get the data key.
    decrypts = count_calls(sdk_session, "Decrypt")  # before the provider makes its client
    errors = kms_errors(sdk_session, "Decrypt")
    fresh = provider(sdk_session, arn)
    start = ciphertext.index(arn.encode()) + len(arn)
    blob_len = int.from_bytes(ciphertext[start : start + 2], "big")
    assert blob_len > 16
    tampered = bytearray(ciphertext)
    tampered[start + 2 + blob_len // 2] ^= 0x01
    with pytest.raises(DecryptKeyError):
        sdk.decrypt(source=bytes(tampered), key_provider=fresh)
    assert decrypts == ["Decrypt"] and errors == ["InvalidCiphertextException"]


def test_kms_refuses_wrong_context(kms, sdk, sdk_session):
    """The SDK passes the message's encryption context to KMS Decrypt; an edited context in
    the header must make gureum refuse the data key (the context is KMS's authenticated data)."""
    arn = new_key_arn(kms)
    ctx = {"purpose": "gureum-test", "tenant": "aaaaaaaa"}
    ciphertext, _ = sdk.encrypt(source=b"secret", key_provider=provider(sdk_session, arn), encryption_context=ctx)
    edited = ciphertext.replace(b"aaaaaaaa", b"bbbbbbbb")
    assert edited != ciphertext
    decrypts = count_calls(sdk_session, "Decrypt")
    errors = kms_errors(sdk_session, "Decrypt")
    with pytest.raises(DecryptKeyError):
        sdk.decrypt(source=edited, key_provider=provider(sdk_session, arn))
    assert decrypts == ["Decrypt"] and errors == ["InvalidCiphertextException"]  # refused by KMS, not by the SDK


def test_provider_for_other_key_cannot_decrypt(kms, sdk, sdk_session):
    first, second = new_key_arn(kms), new_key_arn(kms)
    ciphertext, _ = sdk.encrypt(source=b"for the second key", key_provider=provider(sdk_session, second))
    decrypts = count_calls(sdk_session, "Decrypt")  # registered before the providers below exist
    with pytest.raises(DecryptKeyError):
        sdk.decrypt(source=ciphertext, key_provider=provider(sdk_session, first))
    assert decrypts == []  # the strict provider never even asks KMS
    assert sdk.decrypt(source=ciphertext, key_provider=provider(sdk_session, second))[0] == b"for the second key"


def test_multi_key_message_decrypts_with_either_key(kms, sdk, sdk_session):
    first, second = new_key_arn(kms), new_key_arn(kms)
    encrypts = count_calls(sdk_session, "Encrypt")
    plaintext = os.urandom(4096 + 17)
    ctx = context()
    ciphertext, header = sdk.encrypt(source=plaintext, key_provider=provider(sdk_session, first, second), encryption_context=ctx)
    # One GenerateDataKey under the first key, then KMS Encrypt of the data key under the second.
    assert encrypts == ["Encrypt"]
    assert {edk.key_provider.key_info for edk in header.encrypted_data_keys} == {first.encode(), second.encode()}
    for arn in (first, second):
        result, dec_header = sdk.decrypt(source=ciphertext, key_provider=provider(sdk_session, arn))
        assert result == plaintext and dec_header.encryption_context["request"] == ctx["request"]


def test_disabled_key_stops_decryption(kms, sdk, sdk_session):
    arn = new_key_arn(kms)
    ciphertext, _ = sdk.encrypt(source=b"data", key_provider=provider(sdk_session, arn), encryption_context=context())
    kms.disable_key(KeyId=arn)
    errors = kms_errors(sdk_session, "Decrypt")
    try:
        with pytest.raises(DecryptKeyError):
            sdk.decrypt(source=ciphertext, key_provider=provider(sdk_session, arn))
        assert errors == ["DisabledException"]
        with pytest.raises(AWSEncryptionSDKClientError):
            sdk.encrypt(source=b"more", key_provider=provider(sdk_session, arn))
    finally:
        kms.enable_key(KeyId=arn)
    assert sdk.decrypt(source=ciphertext, key_provider=provider(sdk_session, arn))[0] == b"data"


def test_data_key_caching(kms, sdk, sdk_session):
    arn = new_key_arn(kms)
    generated = count_calls(sdk_session, "GenerateDataKey")
    cmm = aws_encryption_sdk.CachingCryptoMaterialsManager(
        master_key_provider=provider(sdk_session, arn),
        cache=aws_encryption_sdk.LocalCryptoMaterialsCache(capacity=10),
        max_age=300.0,
        max_messages_encrypted=10,
    )
    ctx = context()
    messages = [os.urandom(512) for _ in range(3)]
    ciphertexts = [sdk.encrypt(source=m, materials_manager=cmm, encryption_context=ctx)[0] for m in messages]
    assert generated == ["GenerateDataKey"]  # one data key from KMS serves all three messages
    for message, ciphertext in zip(messages, ciphertexts):
        assert sdk.decrypt(source=ciphertext, key_provider=provider(sdk_session, arn))[0] == message
