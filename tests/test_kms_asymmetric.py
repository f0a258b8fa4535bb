"""KMS asymmetric keys, imported key material and multi-region keys through the official clients.

Known-answer checks use the `cryptography` package: gureum's signatures verify under the public
key GetPublicKey hands out, ciphertexts made locally with RSA-OAEP decrypt in gureum, shared
secrets derived locally equal DeriveSharedSecret's, data key pairs load as PKCS#8, and material
wrapped locally imports and then computes what the same material computes locally."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import uuid

import botocore.exceptions
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from helpers import error_of


def fails(call, code, status=400):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    assert error_of(e) == (code, status), e.value.response["Error"]
    return e.value.response["Error"].get("Message", "")


@pytest.fixture
def kms(gureum):
    return gureum.client("kms")


def new_key(kms, **kwargs):
    return kms.create_key(**kwargs)["KeyMetadata"]


HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}
RSA_SIGNING = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]
EC_SPECS = {
    "ECC_NIST_P256": ("ECDSA_SHA_256", ec.SECP256R1),
    "ECC_NIST_P384": ("ECDSA_SHA_384", ec.SECP384R1),
    "ECC_NIST_P521": ("ECDSA_SHA_512", ec.SECP521R1),
    "ECC_SECG_P256K1": ("ECDSA_SHA_256", ec.SECP256K1),
}


def hash_of(algorithm):
    return HASHES[algorithm[-7:]]()


def local_verify(public_der, algorithm, message, signature, prehashed=False):
    """Verifies with `cryptography`; raises InvalidSignature when it does not verify."""
    public = serialization.load_der_public_key(public_der)
    h = hash_of(algorithm)
    alg = Prehashed(h) if prehashed else h
    if algorithm.startswith("ECDSA"):
        public.verify(signature, message, ec.ECDSA(alg))
    elif algorithm.startswith("RSASSA_PSS"):
        public.verify(signature, message, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), alg)
    else:
        public.verify(signature, message, padding.PKCS1v15(), alg)


# --- key specs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec,usage,member,algorithms",
    [
        ("RSA_2048", "SIGN_VERIFY", "SigningAlgorithms", RSA_SIGNING),
        ("RSA_3072", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]),
        ("ECC_NIST_P256", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
        ("ECC_NIST_P384", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_384"]),
        ("ECC_NIST_P521", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_512"]),
        ("ECC_SECG_P256K1", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
        ("ECC_NIST_P384", "KEY_AGREEMENT", "KeyAgreementAlgorithms", ["ECDH"]),
        ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY", "SigningAlgorithms", ["ED25519_PH_SHA_512", "ED25519_SHA_512"]),
    ],
)
def test_describe_and_get_public_key(kms, spec, usage, member, algorithms):
    meta = new_key(kms, KeySpec=spec, KeyUsage=usage)
    assert meta["KeySpec"] == spec and meta["CustomerMasterKeySpec"] == spec
    assert meta["KeyUsage"] == usage and meta["KeyState"] == "Enabled"
    assert meta[member] == algorithms
    for other in {"SigningAlgorithms", "EncryptionAlgorithms", "KeyAgreementAlgorithms", "MacAlgorithms"} - {member}:
        assert other not in meta
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described[member] == algorithms
    out = kms.get_public_key(KeyId=meta["KeyId"])
    assert out["KeyId"] == meta["Arn"] and out["KeySpec"] == spec and out["KeyUsage"] == usage
    assert out[member] == algorithms
    public = serialization.load_der_public_key(out["PublicKey"])
    if spec.startswith("RSA"):
        assert isinstance(public, rsa.RSAPublicKey) and public.key_size == int(spec[4:])
    elif spec == "ECC_NIST_EDWARDS25519":
        assert isinstance(public, ed25519.Ed25519PublicKey)
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        assert isinstance(public.curve, EC_SPECS[spec][1])


def test_update_key_description(kms):
    key_id = new_key(kms, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", Description="before")["KeyId"]
    kms.update_key_description(KeyId=key_id, Description="after")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "after"
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    fails(lambda: kms.update_key_description(KeyId=key_id, Description="x"), "KMSInvalidStateException")
    fails(
        lambda: kms.update_key_description(KeyId="alias/nope", Description="x"),
        "NotFoundException",
    )


def test_incompatible_specs_and_usages(kms):
    for spec, usage in [
        ("ECC_NIST_P256", "ENCRYPT_DECRYPT"),
        ("ECC_SECG_P256K1", "KEY_AGREEMENT"),
        ("RSA_2048", "KEY_AGREEMENT"),
        ("RSA_2048", "GENERATE_VERIFY_MAC"),
    ]:
        fails(lambda: kms.create_key(KeySpec=spec, KeyUsage=usage), "ValidationException")
    # The default usage is ENCRYPT_DECRYPT, which an ECC key does not have.
    fails(lambda: kms.create_key(KeySpec="ECC_NIST_P256"), "ValidationException")
    symmetric = new_key(kms)["KeyId"]
    fails(lambda: kms.get_public_key(KeyId=symmetric), "UnsupportedOperationException")
    signer = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    fails(lambda: kms.enable_key_rotation(KeyId=signer), "UnsupportedOperationException")


# --- Sign and Verify ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", list(EC_SPECS))
def test_ecdsa_sign_verifies_locally(kms, spec):
    algorithm, _ = EC_SPECS[spec]
    key_id = new_key(kms, KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyId"]
    public = kms.get_public_key(KeyId=key_id)["PublicKey"]
    message = b"attack at dawn " + spec.encode()
    out = kms.sign(KeyId=key_id, Message=message, SigningAlgorithm=algorithm)
    assert out["SigningAlgorithm"] == algorithm and out["KeyId"].endswith(key_id)
    local_verify(public, algorithm, message, out["Signature"])
    with pytest.raises(InvalidSignature):
        local_verify(public, algorithm, message + b"!", out["Signature"])
    # DIGEST: the caller hashes; the signature is over the same digest.
    digest = hashlib.new(algorithm[-7:].replace("_", "").lower(), message).digest()
    sig = kms.sign(KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm)["Signature"]
    local_verify(public, algorithm, message, sig)
    local_verify(public, algorithm, digest, sig, prehashed=True)
    for signature, msg, mtype in [(out["Signature"], message, "RAW"), (sig, digest, "DIGEST")]:
        v = kms.verify(KeyId=key_id, Message=msg, MessageType=mtype, Signature=signature, SigningAlgorithm=algorithm)
        assert v["SignatureValid"] is True and v["SigningAlgorithm"] == algorithm
    fails(
        lambda: kms.verify(KeyId=key_id, Message=b"other", Signature=out["Signature"], SigningAlgorithm=algorithm),
        "KMSInvalidSignatureException",
    )
    fails(
        lambda: kms.verify(KeyId=key_id, Message=message, Signature=b"\x30\x00garbage", SigningAlgorithm=algorithm),
        "KMSInvalidSignatureException",
    )
    fails(
        lambda: kms.sign(KeyId=key_id, Message=digest[:-1], MessageType="DIGEST", SigningAlgorithm=algorithm),
        "ValidationException",
    )
    wrong = "ECDSA_SHA_384" if algorithm != "ECDSA_SHA_384" else "ECDSA_SHA_256"
    fails(lambda: kms.sign(KeyId=key_id, Message=message, SigningAlgorithm=wrong), "InvalidKeyUsageException")
    fails(
        lambda: kms.sign(KeyId=key_id, Message=message, SigningAlgorithm="RSASSA_PSS_SHA_256"),
        "InvalidKeyUsageException",
    )


def test_verify_accepts_a_high_s_secp256k1_signature(kms):
    """ECDSA signatures with either half of s are valid; KMS's secp256k1 keys accept both."""
    key_id = new_key(kms, KeySpec="ECC_SECG_P256K1", KeyUsage="SIGN_VERIFY")["KeyId"]
    sig = kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

    r, s = decode_dss_signature(sig)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    flipped = encode_dss_signature(r, n - s)
    assert flipped != sig
    v = kms.verify(KeyId=key_id, Message=b"m", Signature=flipped, SigningAlgorithm="ECDSA_SHA_256")
    assert v["SignatureValid"] is True


def test_rsa_signing_algorithms_verify_locally(kms):
    key_id = new_key(kms, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyId"]
    public = kms.get_public_key(KeyId=key_id)["PublicKey"]
    message = os.urandom(4096)
    for algorithm in RSA_SIGNING:
        sig = kms.sign(KeyId=key_id, Message=message, SigningAlgorithm=algorithm)["Signature"]
        assert len(sig) == 256
        local_verify(public, algorithm, message, sig)
        with pytest.raises(InvalidSignature):
            local_verify(public, algorithm, message[:-1], sig)
        assert kms.verify(KeyId=key_id, Message=message, Signature=sig, SigningAlgorithm=algorithm)["SignatureValid"]
        tampered = bytes([sig[0] ^ 1]) + sig[1:]
        fails(
            lambda: kms.verify(KeyId=key_id, Message=message, Signature=tampered, SigningAlgorithm=algorithm),
            "KMSInvalidSignatureException",
        )
        digest = hashlib.new(algorithm[-7:].replace("_", "").lower(), message).digest()
        dsig = kms.sign(KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm)["Signature"]
        local_verify(public, algorithm, message, dsig)
    # PKCS#1 v1.5 is deterministic: RAW and DIGEST of the same message give the same signature.
    a = kms.sign(KeyId=key_id, Message=b"same", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["Signature"]
    b = kms.sign(
        KeyId=key_id,
        Message=hashlib.sha256(b"same").digest(),
        MessageType="DIGEST",
        SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256",
    )["Signature"]
    assert a == b
    fails(
        lambda: kms.sign(KeyId=key_id, Message=b"x" * 4097, SigningAlgorithm="RSASSA_PSS_SHA_256"),
        "ValidationException",
    )
    fails(
        lambda: kms.sign(KeyId=key_id, Message=b"x" * 33, MessageType="DIGEST", SigningAlgorithm="RSASSA_PSS_SHA_256"),
        "ValidationException",
    )
    fails(lambda: kms.sign(KeyId=key_id, Message=b"x", SigningAlgorithm="ECDSA_SHA_256"), "InvalidKeyUsageException")
    fails(
        lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256"),
        "InvalidKeyUsageException",
    )


def test_ed25519_signs_messages_and_digests(kms):
    key_id = new_key(kms, KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    message = b"pure EdDSA over the whole message"
    sig = kms.sign(KeyId=key_id, Message=message, SigningAlgorithm="ED25519_SHA_512")["Signature"]
    assert len(sig) == 64
    public.verify(sig, message)
    # Ed25519 is deterministic: the same message signs the same.
    assert kms.sign(KeyId=key_id, Message=message, SigningAlgorithm="ED25519_SHA_512")["Signature"] == sig
    assert kms.verify(KeyId=key_id, Message=message, Signature=sig, SigningAlgorithm="ED25519_SHA_512")[
        "SignatureValid"
    ]
    fails(
        lambda: kms.verify(KeyId=key_id, Message=message + b".", Signature=sig, SigningAlgorithm="ED25519_SHA_512"),
        "KMSInvalidSignatureException",
    )
    digest = hashlib.sha512(message).digest()
    ph = kms.sign(KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512")
    assert len(ph["Signature"]) == 64 and ph["Signature"] != sig
    assert kms.verify(
        KeyId=key_id, Message=digest, MessageType="DIGEST", Signature=ph["Signature"], SigningAlgorithm="ED25519_PH_SHA_512"
    )["SignatureValid"]
    fails(
        lambda: kms.verify(
            KeyId=key_id, Message=digest, MessageType="DIGEST", Signature=sig, SigningAlgorithm="ED25519_PH_SHA_512"
        ),
        "KMSInvalidSignatureException",
    )
    # Each algorithm takes one message type only, and a digest is 64 bytes.
    fails(
        lambda: kms.sign(KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm="ED25519_SHA_512"),
        "ValidationException",
    )
    fails(lambda: kms.sign(KeyId=key_id, Message=message, SigningAlgorithm="ED25519_PH_SHA_512"), "ValidationException")
    fails(
        lambda: kms.sign(KeyId=key_id, Message=digest[:32], MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512"),
        "ValidationException",
    )
    fails(lambda: kms.sign(KeyId=key_id, Message=message, SigningAlgorithm="ECDSA_SHA_256"), "InvalidKeyUsageException")
    fails(lambda: kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="KEY_AGREEMENT"), "ValidationException")

    # Imported Ed25519 material verifies signatures made locally.
    imported = new_key(kms, Origin="EXTERNAL", KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyId"]
    mine = ed25519.Ed25519PrivateKey.generate()
    import_material(
        kms,
        imported,
        mine.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    local = mine.sign(b"made here")
    assert kms.verify(KeyId=imported, Message=b"made here", Signature=local, SigningAlgorithm="ED25519_SHA_512")[
        "SignatureValid"
    ]
    assert kms.sign(KeyId=imported, Message=b"made here", SigningAlgorithm="ED25519_SHA_512")["Signature"] == local


@pytest.mark.parametrize("spec", ["RSA_3072", "RSA_4096"])
def test_larger_rsa_keys_sign(kms, spec):
    key_id = new_key(kms, KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyId"]
    public = kms.get_public_key(KeyId=key_id)["PublicKey"]
    sig = kms.sign(KeyId=key_id, Message=b"big", SigningAlgorithm="RSASSA_PSS_SHA_512")["Signature"]
    assert len(sig) == int(spec[4:]) // 8
    local_verify(public, "RSASSA_PSS_SHA_512", b"big", sig)


def test_key_states_and_usages_for_signing(kms):
    symmetric = new_key(kms)["KeyId"]
    fails(lambda: kms.sign(KeyId=symmetric, Message=b"x", SigningAlgorithm="ECDSA_SHA_256"), "InvalidKeyUsageException")
    key_id = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    alias = f"alias/signer-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    sig = kms.sign(KeyId=alias, Message=b"x", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    kms.disable_key(KeyId=key_id)
    fails(lambda: kms.sign(KeyId=key_id, Message=b"x", SigningAlgorithm="ECDSA_SHA_256"), "DisabledException")
    fails(
        lambda: kms.verify(KeyId=key_id, Message=b"x", Signature=sig, SigningAlgorithm="ECDSA_SHA_256"),
        "DisabledException",
    )
    fails(lambda: kms.get_public_key(KeyId=key_id), "DisabledException")
    kms.enable_key(KeyId=key_id)
    assert kms.verify(KeyId=alias, Message=b"x", Signature=sig, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    agreement = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyId"]
    fails(lambda: kms.sign(KeyId=agreement, Message=b"x", SigningAlgorithm="ECDSA_SHA_256"), "InvalidKeyUsageException")


# --- RSA encryption ----------------------------------------------------------------------------


def oaep(algorithm):
    h = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)


def test_rsa_oaep_decrypts_local_ciphertexts(kms):
    meta = new_key(kms, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    key_id = meta["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    for algorithm, limit in [("RSAES_OAEP_SHA_1", 214), ("RSAES_OAEP_SHA_256", 190)]:
        secret = os.urandom(limit)
        blob = public.encrypt(secret, oaep(algorithm))
        out = kms.decrypt(KeyId=key_id, CiphertextBlob=blob, EncryptionAlgorithm=algorithm)
        assert out["Plaintext"] == secret and out["EncryptionAlgorithm"] == algorithm
        assert out["KeyId"] == meta["Arn"]
        # gureum's own ciphertext is raw OAEP output under the same key.
        mine = kms.encrypt(KeyId=key_id, Plaintext=secret, EncryptionAlgorithm=algorithm)
        assert len(mine["CiphertextBlob"]) == 256 and mine["EncryptionAlgorithm"] == algorithm
        assert kms.decrypt(KeyId=key_id, CiphertextBlob=mine["CiphertextBlob"], EncryptionAlgorithm=algorithm)[
            "Plaintext"
        ] == secret
        fails(
            lambda: kms.encrypt(KeyId=key_id, Plaintext=secret + b"!", EncryptionAlgorithm=algorithm),
            "ValidationException",
        )
    blob = public.encrypt(b"hello", oaep("RSAES_OAEP_SHA_256"))
    # The other OAEP digest does not open it; neither does a missing key id or the symmetric algorithm.
    fails(
        lambda: kms.decrypt(KeyId=key_id, CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_1"),
        "InvalidCiphertextException",
    )
    fails(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256"), "ValidationException")
    fails(lambda: kms.decrypt(KeyId=key_id, CiphertextBlob=blob), "InvalidKeyUsageException")
    fails(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), "InvalidKeyUsageException")
    fails(
        lambda: kms.encrypt(
            KeyId=key_id, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256", EncryptionContext={"a": "b"}
        ),
        "ValidationException",
    )
    fails(
        lambda: kms.sign(KeyId=key_id, Message=b"x", SigningAlgorithm="RSASSA_PSS_SHA_256"),
        "InvalidKeyUsageException",
    )
    fails(lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"), "InvalidKeyUsageException")
    symmetric = new_key(kms)["KeyId"]
    fails(
        lambda: kms.encrypt(KeyId=symmetric, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256"),
        "InvalidKeyUsageException",
    )
    # ReEncrypt moves an RSA ciphertext under a symmetric key and back.
    re = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceKeyId=key_id,
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
        DestinationKeyId=symmetric,
    )
    assert re["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert re["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"] == b"hello"


# --- data key pairs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec", ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"]
)
def test_generate_data_key_pair(kms, spec):
    key_id = new_key(kms)["KeyId"]
    context = {"purpose": "pair"}
    out = kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec=spec, EncryptionContext=context)
    assert out["KeyPairSpec"] == spec and out["KeyId"].endswith(key_id)
    private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], password=None)
    public_der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_der == out["PublicKey"]
    clear = kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"], EncryptionContext=context)["Plaintext"]
    assert clear == out["PrivateKeyPlaintext"]
    fails(lambda: kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"]), "InvalidCiphertextException")
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=key_id, KeyPairSpec=spec)
    assert "PrivateKeyPlaintext" not in bare
    opened = serialization.load_der_private_key(
        kms.decrypt(CiphertextBlob=bare["PrivateKeyCiphertextBlob"])["Plaintext"], password=None
    )
    assert (
        opened.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        == bare["PublicKey"]
    )


def test_data_key_pairs_need_a_symmetric_key(kms):
    signer = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    fails(lambda: kms.generate_data_key_pair(KeyId=signer, KeyPairSpec="RSA_2048"), "InvalidKeyUsageException")
    rsa_key = new_key(kms, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyId"]
    fails(
        lambda: kms.generate_data_key_pair_without_plaintext(KeyId=rsa_key, KeyPairSpec="ECC_NIST_P256"),
        "InvalidKeyUsageException",
    )
    symmetric = new_key(kms)["KeyId"]
    fails(lambda: kms.generate_data_key_pair(KeyId=symmetric, KeyPairSpec="RSA_1024"), "ValidationException")


# --- DeriveSharedSecret ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec,curve", [("ECC_NIST_P256", ec.SECP256R1), ("ECC_NIST_P384", ec.SECP384R1), ("ECC_NIST_P521", ec.SECP521R1)]
)
def test_derive_shared_secret_matches_local_ecdh(kms, spec, curve):
    key_id = new_key(kms, KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyId"]
    kms_public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    mine = ec.generate_private_key(curve())
    my_public = mine.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    out = kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=my_public)
    assert out["SharedSecret"] == mine.exchange(ec.ECDH(), kms_public)
    assert out["KeyAgreementAlgorithm"] == "ECDH" and out["KeyOrigin"] == "AWS_KMS"
    other_curve = ec.SECP384R1() if spec != "ECC_NIST_P384" else ec.SECP256R1()
    foreign = (
        ec.generate_private_key(other_curve)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    fails(
        lambda: kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=foreign),
        "ValidationException",
    )
    fails(
        lambda: kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=b"not a key"),
        "ValidationException",
    )


def test_derive_shared_secret_needs_a_key_agreement_key(kms):
    signer = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    pub = kms.get_public_key(KeyId=signer)["PublicKey"]
    fails(
        lambda: kms.derive_shared_secret(KeyId=signer, KeyAgreementAlgorithm="ECDH", PublicKey=pub),
        "InvalidKeyUsageException",
    )
    symmetric = new_key(kms)["KeyId"]
    fails(
        lambda: kms.derive_shared_secret(KeyId=symmetric, KeyAgreementAlgorithm="ECDH", PublicKey=pub),
        "InvalidKeyUsageException",
    )


# --- the aws CLI -------------------------------------------------------------------------------


def test_cli_get_public_key_sign_and_verify(gureum, tmp_path):
    created = json.loads(
        gureum.cli(
            "kms", "create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY", "--output", "json"
        ).stdout
    )
    key_id = created["KeyMetadata"]["KeyId"]
    got = json.loads(gureum.cli("kms", "get-public-key", "--key-id", key_id, "--output", "json").stdout)
    assert got["SigningAlgorithms"] == ["ECDSA_SHA_256"]
    public = base64.b64decode(got["PublicKey"])
    message = tmp_path / "message.txt"
    message.write_bytes(b"signed by the aws cli")
    signed = json.loads(
        gureum.cli(
            "kms",
            "sign",
            "--key-id",
            key_id,
            "--message",
            f"fileb://{message}",
            "--message-type",
            "RAW",
            "--signing-algorithm",
            "ECDSA_SHA_256",
            "--output",
            "json",
        ).stdout
    )
    signature = base64.b64decode(signed["Signature"])
    local_verify(public, "ECDSA_SHA_256", b"signed by the aws cli", signature)
    sig_file = tmp_path / "sig.bin"
    sig_file.write_bytes(signature)
    verified = json.loads(
        gureum.cli(
            "kms",
            "verify",
            "--key-id",
            key_id,
            "--message",
            f"fileb://{message}",
            "--signature",
            f"fileb://{sig_file}",
            "--signing-algorithm",
            "ECDSA_SHA_256",
            "--output",
            "json",
        ).stdout
    )
    assert verified["SignatureValid"] is True


# --- imported key material ---------------------------------------------------------------------


def import_material(kms, key_id, material, algorithm="RSAES_OAEP_SHA_256", spec="RSA_2048", **terms):
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    wrapping = serialization.load_der_public_key(params["PublicKey"])
    assert wrapping.key_size == int(spec[4:])
    wrapped = wrapping.encrypt(material, oaep(algorithm))
    terms = terms or {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
    kms.import_key_material(KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped, **terms)
    return params


def test_import_symmetric_material(kms):
    meta = new_key(kms, Origin="EXTERNAL")
    key_id = meta["KeyId"]
    assert meta["Origin"] == "EXTERNAL" and meta["KeyState"] == "PendingImport" and meta["Enabled"] is False
    fails(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), "KMSInvalidStateException")
    material = os.urandom(32)
    params = import_material(kms, key_id, material, algorithm="RSAES_OAEP_SHA_1", spec="RSA_3072")
    assert params["KeyId"].endswith(key_id)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert "ValidTo" not in meta
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"imported")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"
    fails(lambda: kms.enable_key_rotation(KeyId=key_id), "UnsupportedOperationException")

    # Taking the material away leaves the key waiting for it; ciphertexts wait too.
    kms.delete_imported_key_material(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "KMSInvalidStateException")
    # Other material is refused; the same material brings the ciphertexts back.
    fails(lambda: import_material(kms, key_id, os.urandom(32)), "IncorrectKeyMaterialException")
    fails(lambda: import_material(kms, key_id, os.urandom(16)), "IncorrectKeyMaterialException")
    import_material(kms, key_id, material)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"

    # Tokens belong to one key and one GetParametersForImport.
    other = new_key(kms, Origin="EXTERNAL")["KeyId"]
    params = kms.get_parameters_for_import(
        KeyId=other, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    wrapped = serialization.load_der_public_key(params["PublicKey"]).encrypt(
        os.urandom(32), oaep("RSAES_OAEP_SHA_256")
    )
    fails(
        lambda: kms.import_key_material(
            KeyId=key_id,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        ),
        "InvalidImportTokenException",
    )
    fails(
        lambda: kms.import_key_material(
            KeyId=other,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=b"\x01" * 256,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        ),
        "InvalidCiphertextException",
    )
    fails(
        lambda: kms.import_key_material(
            KeyId=other, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped
        ),
        "ValidationException",
    )
    # Keys KMS made have no material to import.
    native = new_key(kms)["KeyId"]
    fails(
        lambda: kms.get_parameters_for_import(
            KeyId=native, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        ),
        "UnsupportedOperationException",
    )
    fails(lambda: kms.delete_imported_key_material(KeyId=native), "UnsupportedOperationException")


def test_imported_hmac_and_ecc_material_computes_like_local(kms):
    hmac_key = new_key(kms, Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    secret = os.urandom(32)
    import_material(kms, hmac_key, secret)
    mac = kms.generate_mac(KeyId=hmac_key, Message=b"data", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(secret, b"data", hashlib.sha256).digest()

    ecc = new_key(kms, Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    private = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fails(
        lambda: import_material(kms, ecc, ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ), spec="RSA_4096"),
        "IncorrectKeyMaterialException",
    )
    import_material(kms, ecc, pkcs8, spec="RSA_4096")
    sig = kms.sign(KeyId=ecc, Message=b"imported signer", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private.public_key().verify(sig, b"imported signer", ec.ECDSA(hashes.SHA256()))
    # With the private key known, gureum's Verify meets signatures made locally.
    local = private.sign(b"signed locally", ec.ECDSA(hashes.SHA256()))
    v = kms.verify(KeyId=ecc, Message=b"signed locally", Signature=local, SigningAlgorithm="ECDSA_SHA_256")
    assert v["SignatureValid"] is True
    fails(
        lambda: kms.verify(KeyId=ecc, Message=b"signed locally!", Signature=local, SigningAlgorithm="ECDSA_SHA_256"),
        "KMSInvalidSignatureException",
    )

    # An imported key-agreement key derives what the same private key derives locally.
    agree = new_key(kms, Origin="EXTERNAL", KeySpec="ECC_NIST_P521", KeyUsage="KEY_AGREEMENT")["KeyId"]
    mine = ec.generate_private_key(ec.SECP521R1())
    import_material(
        kms,
        agree,
        mine.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        spec="RSA_4096",
    )
    peer = ec.generate_private_key(ec.SECP521R1())
    peer_der = peer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    out = kms.derive_shared_secret(KeyId=agree, KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)
    assert out["SharedSecret"] == mine.exchange(ec.ECDH(), peer.public_key())
    assert out["KeyOrigin"] == "EXTERNAL"


@pytest.mark.parametrize("algorithm", ["RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"])
def test_import_an_rsa_key_with_aes_key_wrap(kms, algorithm):
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

    key_id = new_key(kms, Origin="EXTERNAL", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyId"]
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_3072")
    wrapping = serialization.load_der_public_key(params["PublicKey"])
    aes_key = os.urandom(32)
    oaep_name = "RSAES_OAEP_SHA_1" if algorithm.endswith("SHA_1") else "RSAES_OAEP_SHA_256"
    wrapped = wrapping.encrypt(aes_key, oaep(oaep_name)) + aes_key_wrap_with_padding(aes_key, pkcs8)
    # RSA keys are too long for plain OAEP, and a corrupted wrap does not open.
    fails(
        lambda: kms.import_key_material(
            KeyId=key_id,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrapped[:-1] + bytes([wrapped[-1] ^ 1]),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        ),
        "InvalidCiphertextException",
    )
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrapped,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    assert kms.get_public_key(KeyId=key_id)["PublicKey"] == private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sig = kms.sign(KeyId=key_id, Message=b"imported rsa", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["Signature"]
    # PKCS#1 v1.5 is deterministic: the same key signs the same bytes locally.
    assert sig == private.sign(b"imported rsa", padding.PKCS1v15(), hashes.SHA256())
    # gureum's Verify meets PSS signatures made locally with the same key.
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    local = private.sign(b"local pss", pss, hashes.SHA384())
    v = kms.verify(KeyId=key_id, Message=b"local pss", Signature=local, SigningAlgorithm="RSASSA_PSS_SHA_384")
    assert v["SignatureValid"] is True
    fails(
        lambda: kms.verify(KeyId=key_id, Message=b"local pss", Signature=local, SigningAlgorithm="RSASSA_PSS_SHA_512"),
        "KMSInvalidSignatureException",
    )


def test_imported_material_expires_on_the_server_clock(start_gureum):
    server = start_gureum().start()
    kms = server.client("kms")
    key_id = new_key(kms, Origin="EXTERNAL")["KeyId"]
    now = datetime.datetime.now(datetime.timezone.utc)
    valid_to = now + datetime.timedelta(hours=2)
    import_material(kms, key_id, os.urandom(32), ValidTo=valid_to, ExpirationModel="KEY_MATERIAL_EXPIRES")
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and meta["KeyState"] == "Enabled"
    assert abs(meta["ValidTo"].timestamp() - valid_to.timestamp()) < 1
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"soon gone")["CiphertextBlob"]
    # Re-importing the same material without expiry keeps this one for good.
    kept = new_key(kms, Origin="EXTERNAL")["KeyId"]
    material = os.urandom(32)
    import_material(kms, kept, material, ValidTo=valid_to, ExpirationModel="KEY_MATERIAL_EXPIRES")
    import_material(kms, kept, material)
    assert server.admin("/_gureum/clock", {"advance_seconds": 3 * 3600})[0] == 200
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert "ValidTo" not in kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert kms.describe_key(KeyId=kept)["KeyMetadata"]["KeyState"] == "Enabled"
    fails(lambda: kms.decrypt(CiphertextBlob=blob), "KMSInvalidStateException")

    # Import parameters last 24 hours on the server clock.
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    wrapped = serialization.load_der_public_key(params["PublicKey"]).encrypt(
        os.urandom(32), oaep("RSAES_OAEP_SHA_256")
    )
    assert server.admin("/_gureum/clock", {"advance_seconds": 25 * 3600})[0] == 200
    fails(
        lambda: kms.import_key_material(
            KeyId=key_id,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        ),
        "ExpiredImportTokenException",
    )
    # ValidTo in the (server's) past is refused.
    fails(
        lambda: import_material(
            kms, key_id, os.urandom(32), ValidTo=now + datetime.timedelta(hours=1), ExpirationModel="KEY_MATERIAL_EXPIRES"
        ),
        "ValidationException",
    )


# --- multi-region keys -------------------------------------------------------------------------


def test_multi_region_replicas_share_material(gureum):
    east = gureum.client("kms", region="us-east-1")
    west = gureum.client("kms", region="eu-west-1")
    meta = new_key(east, MultiRegion=True, Description="global")
    key_id = meta["KeyId"]
    assert key_id.startswith("mrk-") and len(key_id) == 36
    assert meta["MultiRegion"] is True
    config = meta["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "PRIMARY" and config["ReplicaKeys"] == []
    assert config["PrimaryKey"] == {"Arn": meta["Arn"], "Region": "us-east-1"}
    fails(lambda: west.describe_key(KeyId=key_id), "NotFoundException")
    blob = east.encrypt(KeyId=key_id, Plaintext=b"everywhere", EncryptionContext={"k": "v"})["CiphertextBlob"]

    out = east.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1", Tags=[{"TagKey": "r", "TagValue": "eu"}])
    replica = out["ReplicaKeyMetadata"]
    assert replica["KeyId"] == key_id and replica["Arn"] == meta["Arn"].replace("us-east-1", "eu-west-1")
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert out["ReplicaTags"] == [{"TagKey": "r", "TagValue": "eu"}]
    assert "Statement" in json.loads(out["ReplicaPolicy"])
    assert west.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == b"everywhere"
    back = west.encrypt(KeyId=key_id, Plaintext=b"from eu")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=back)["Plaintext"] == b"from eu"
    assert key_id in [k["KeyId"] for k in west.list_keys()["Keys"]]
    primary = east.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    assert primary["ReplicaKeys"] == [{"Arn": replica["Arn"], "Region": "eu-west-1"}]

    fails(lambda: east.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1"), "AlreadyExistsException")
    fails(lambda: east.replicate_key(KeyId=key_id, ReplicaRegion="us-east-1"), "AlreadyExistsException")
    fails(lambda: west.replicate_key(KeyId=key_id, ReplicaRegion="ap-south-1"), "UnsupportedOperationException")
    fails(lambda: west.rotate_key_on_demand(KeyId=key_id), "UnsupportedOperationException")
    single = new_key(east)["KeyId"]
    fails(lambda: east.replicate_key(KeyId=single, ReplicaRegion="eu-west-1"), "UnsupportedOperationException")

    # Rotating the primary gives the replicas the new material too.
    east.rotate_key_on_demand(KeyId=key_id)
    rotated = east.encrypt(KeyId=key_id, Plaintext=b"rotated")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=rotated)["Plaintext"] == b"rotated"

    # The primary moves to eu-west-1.
    east.update_primary_region(KeyId=key_id, PrimaryRegion="eu-west-1")
    now_east = east.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    now_west = west.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    assert now_east["MultiRegionKeyType"] == "REPLICA" and now_west["MultiRegionKeyType"] == "PRIMARY"
    assert now_east["PrimaryKey"]["Region"] == "eu-west-1"
    assert now_east["ReplicaKeys"] == [{"Arn": meta["Arn"], "Region": "us-east-1"}]
    fails(lambda: east.update_primary_region(KeyId=key_id, PrimaryRegion="eu-west-1"), "UnsupportedOperationException")
    fails(lambda: west.update_primary_region(KeyId=key_id, PrimaryRegion="ap-south-1"), "NotFoundException")
    out = west.replicate_key(KeyId=key_id, ReplicaRegion="ap-south-1")
    assert [r["Region"] for r in out["ReplicaKeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"]] == [
        "us-east-1",
        "ap-south-1",
    ]
    south = gureum.client("kms", region="ap-south-1")
    assert south.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == b"everywhere"
    assert [r["Region"] for r in east.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"]] == [
        "us-east-1",
        "ap-south-1",
    ]


def test_multi_region_asymmetric_key_signs_in_every_region(gureum):
    east = gureum.client("kms", region="us-east-1")
    west = gureum.client("kms", region="us-west-2")
    key_id = new_key(east, MultiRegion=True, KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyId"]
    east.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2")
    assert east.get_public_key(KeyId=key_id)["PublicKey"] == west.get_public_key(KeyId=key_id)["PublicKey"]
    sig = west.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_384")["Signature"]
    assert east.verify(KeyId=key_id, Message=b"m", Signature=sig, SigningAlgorithm="ECDSA_SHA_384")["SignatureValid"]


# --- who may ---------------------------------------------------------------------------------


def make_user(gureum, statements):
    iam = gureum.client("iam")
    name = "kms-asym-" + uuid.uuid4().hex[:10]
    iam.create_user(UserName=name)
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return lambda region="us-east-1": gureum.client(
        "kms", key=key["AccessKeyId"], secret=key["SecretAccessKey"], region=region
    )


def test_iam_decides_signing_replication_and_primary_moves(gureum, kms):
    signer = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    user = make_user(gureum, [{"Effect": "Allow", "Action": ["kms:Sign", "kms:GetPublicKey"], "Resource": signer["Arn"]}])
    sig = user().sign(KeyId=signer["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    local_verify(user().get_public_key(KeyId=signer["KeyId"])["PublicKey"], "ECDSA_SHA_256", b"m", sig)
    msg = fails(
        lambda: user().verify(KeyId=signer["KeyId"], Message=b"m", Signature=sig, SigningAlgorithm="ECDSA_SHA_256"),
        "AccessDeniedException",
    )
    assert "kms:Verify" in msg

    mrk = new_key(kms, MultiRegion=True)
    east_arn = mrk["Arn"]
    west_arn = east_arn.replace("us-east-1", "us-west-1")
    only_replicate = make_user(gureum, [{"Effect": "Allow", "Action": "kms:ReplicateKey", "Resource": east_arn}])
    msg = fails(
        lambda: only_replicate().replicate_key(KeyId=mrk["KeyId"], ReplicaRegion="us-west-1"), "AccessDeniedException"
    )
    assert "kms:CreateKey" in msg
    replicator = make_user(
        gureum,
        [
            {"Effect": "Allow", "Action": "kms:ReplicateKey", "Resource": east_arn},
            {"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"},
            {"Effect": "Allow", "Action": "kms:UpdatePrimaryRegion", "Resource": east_arn},
        ],
    )
    replicator().replicate_key(KeyId=mrk["KeyId"], ReplicaRegion="us-west-1")
    msg = fails(
        lambda: replicator().update_primary_region(KeyId=mrk["KeyId"], PrimaryRegion="us-west-1"),
        "AccessDeniedException",
    )
    assert west_arn in msg
    mover = make_user(
        gureum, [{"Effect": "Allow", "Action": "kms:UpdatePrimaryRegion", "Resource": [east_arn, west_arn]}]
    )
    mover().update_primary_region(KeyId=mrk["KeyId"], PrimaryRegion="us-west-1")
    assert kms.describe_key(KeyId=mrk["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]["PrimaryKey"]["Region"] == (
        "us-west-1"
    )


def test_a_deleted_replica_can_be_made_again(start_gureum):
    server = start_gureum().start()
    east = server.client("kms", region="us-east-1")
    west = server.client("kms", region="eu-central-1")
    key_id = new_key(east, MultiRegion=True)["KeyId"]
    east.replicate_key(KeyId=key_id, ReplicaRegion="eu-central-1")
    blob = east.encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]
    west.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    fails(lambda: west.decrypt(CiphertextBlob=blob), "KMSInvalidStateException")
    assert server.admin("/_gureum/clock", {"advance_seconds": 8 * 86400})[0] == 200
    fails(lambda: west.describe_key(KeyId=key_id), "NotFoundException")
    out = east.replicate_key(KeyId=key_id, ReplicaRegion="eu-central-1")
    assert [r["Region"] for r in out["ReplicaKeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"]] == [
        "eu-central-1"
    ]
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"


def test_imported_multi_region_replicas_wait_for_the_same_material(gureum):
    east = gureum.client("kms", region="us-east-1")
    west = gureum.client("kms", region="ca-central-1")
    key_id = new_key(east, MultiRegion=True, Origin="EXTERNAL")["KeyId"]
    material = os.urandom(32)
    import_material(east, key_id, material)
    blob = east.encrypt(KeyId=key_id, Plaintext=b"byok")["CiphertextBlob"]
    replica = east.replicate_key(KeyId=key_id, ReplicaRegion="ca-central-1")["ReplicaKeyMetadata"]
    assert replica["KeyState"] == "PendingImport" and replica["Origin"] == "EXTERNAL"
    fails(lambda: import_material(west, key_id, os.urandom(32)), "IncorrectKeyMaterialException")
    import_material(west, key_id, material)
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"byok"


def test_a_primary_waits_for_its_replicas_to_be_deleted(start_gureum):
    server = start_gureum().start()
    east = server.client("kms", region="us-east-1")
    west = server.client("kms", region="us-west-2")
    key_id = new_key(east, MultiRegion=True)["KeyId"]
    east.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2")
    out = east.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingReplicaDeletion" and "DeletionDate" not in out
    meta = east.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "PendingReplicaDeletion" and meta["PendingDeletionWindowInDays"] == 7
    assert "DeletionDate" not in meta
    fails(lambda: east.encrypt(KeyId=key_id, Plaintext=b"x"), "KMSInvalidStateException")
    fails(lambda: east.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-3"), "KMSInvalidStateException")
    # The replica keeps working and the primary waits as long as it lives.
    assert server.admin("/_gureum/clock", {"advance_seconds": 40 * 86400})[0] == 200
    assert east.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingReplicaDeletion"
    west.encrypt(KeyId=key_id, Plaintext=b"still here")
    replica_out = west.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=10)
    assert replica_out["KeyState"] == "PendingDeletion"
    assert server.admin("/_gureum/clock", {"advance_seconds": 11 * 86400})[0] == 200
    fails(lambda: west.describe_key(KeyId=key_id), "NotFoundException")
    meta = east.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    assert abs(meta["DeletionDate"].timestamp() - (replica_out["DeletionDate"].timestamp() + 7 * 86400)) < 2
    assert server.admin("/_gureum/clock", {"advance_seconds": 7 * 86400})[0] == 200
    fails(lambda: east.describe_key(KeyId=key_id), "NotFoundException")

    # Cancelling while replicas live leaves the primary disabled, as any cancelled deletion.
    other = new_key(east, MultiRegion=True)["KeyId"]
    east.replicate_key(KeyId=other, ReplicaRegion="us-west-2")
    east.schedule_key_deletion(KeyId=other, PendingWindowInDays=7)
    east.cancel_key_deletion(KeyId=other)
    assert east.describe_key(KeyId=other)["KeyMetadata"]["KeyState"] == "Disabled"


def test_dry_runs_answer_dry_run_operation_and_change_nothing(gureum, kms):
    key_id = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    fails(
        lambda: kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256", DryRun=True),
        "DryRunOperationException",
        412,
    )
    # A dry run that would fail fails as the real call would.
    fails(
        lambda: kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_384", DryRun=True),
        "InvalidKeyUsageException",
    )
    symmetric = new_key(kms)["KeyId"]
    fails(lambda: kms.encrypt(KeyId=symmetric, Plaintext=b"x", DryRun=True), "DryRunOperationException", 412)
    account = gureum.client("sts").get_caller_identity()["Account"]
    grantee = f"arn:aws:iam::{account}:root"
    fails(
        lambda: kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=["Sign"], DryRun=True),
        "DryRunOperationException",
        412,
    )
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    grant_id = kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=["Sign"])["GrantId"]
    fails(lambda: kms.revoke_grant(KeyId=key_id, GrantId=grant_id, DryRun=True), "DryRunOperationException", 412)
    assert [g["GrantId"] for g in kms.list_grants(KeyId=key_id)["Grants"]] == [grant_id]
    kms.revoke_grant(KeyId=key_id, GrantId=grant_id)
    assert kms.list_grants(KeyId=key_id)["Grants"] == []


def test_asymmetric_and_imported_keys_survive_a_restart(start_gureum):
    server = start_gureum().start()
    kms = server.client("kms")
    signer = new_key(kms, KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyId"]
    public = kms.get_public_key(KeyId=signer)["PublicKey"]
    imported = new_key(kms, Origin="EXTERNAL")["KeyId"]
    valid_to = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=5)
    import_material(kms, imported, os.urandom(32), ValidTo=valid_to, ExpirationModel="KEY_MATERIAL_EXPIRES")
    blob = kms.encrypt(KeyId=imported, Plaintext=b"durable")["CiphertextBlob"]
    server.kill()
    server.start()
    kms = server.client("kms")
    assert kms.get_public_key(KeyId=signer)["PublicKey"] == public
    sig = kms.sign(KeyId=signer, Message=b"after restart", SigningAlgorithm="ECDSA_SHA_384")["Signature"]
    local_verify(public, "ECDSA_SHA_384", b"after restart", sig)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"durable"
    # The expiry is remembered across the restart too.
    assert server.admin("/_gureum/clock", {"advance_seconds": 6 * 3600})[0] == 200
    assert kms.describe_key(KeyId=imported)["KeyMetadata"]["KeyState"] == "PendingImport"
