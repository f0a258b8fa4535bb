"""KMS CloudHSM key stores backed by a real PKCS#11 HSM: SoftHSM2 tokens in a temporary
directory stand in for CloudHSM clusters (the token label is the cluster id, the user PIN the
kmsuser password). Keys are generated inside the token and never leave it: the tests read the
token's object files back with softhsm2-dump-file to see that they are sensitive and never
extractable, and that gureum's data directory holds no clear PIN.

SoftHSM2 is required (CI installs the Debian package softhsm2): without it these tests fail.
"""
import base64
import datetime
import glob
import json
import os
import secrets
import shutil
import subprocess
import tempfile

import botocore.config
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MODULES = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"]
SO_PIN = "so-pin-1234"
# The user PIN of every token (the kmsuser password); distinctive, so a clear copy would be found.
PIN = "kmsuser-pin-5e0c91"
# Tokens made before any gureum starts: a PKCS#11 module lists its tokens when it is initialized.
POOL = 12
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def module_path():
    for path in MODULES:
        if os.path.exists(path):
            return path
    pytest.fail("SoftHSM2 is not installed (apt-get install softhsm2): no libsofthsm2.so")


def cluster_id():
    return "cluster-" + "".join(secrets.choice(ALPHABET) for _ in range(11))


class SoftHsm:
    """A SoftHSM2 configuration whose tokens live in a temporary directory."""

    def __init__(self):
        if shutil.which("softhsm2-util") is None:
            pytest.fail("SoftHSM2 is not installed (apt-get install softhsm2): no softhsm2-util")
        self.module = module_path()
        self.dir = tempfile.mkdtemp(prefix="gureum-softhsm-")
        self.tokens = os.path.join(self.dir, "tokens")
        os.mkdir(self.tokens)
        self.conf = os.path.join(self.dir, "softhsm2.conf")
        with open(self.conf, "w") as f:
            f.write(f"directories.tokendir = {self.tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
        self.env = {"SOFTHSM2_CONF": self.conf}
        self.free = [self.init_token(cluster_id(), PIN) for _ in range(POOL)]

    def token(self):
        """A token no store uses yet: its label, a cluster id."""
        return self.free.pop()

    def init_token(self, label, pin):
        env = dict(os.environ, **self.env)
        out = subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", pin],
            capture_output=True, text=True, env=env, timeout=60,
        )
        assert out.returncode == 0, out.stderr + out.stdout
        return label

    def key_objects(self):
        """The object files of the token's keys (each token also has its own token.object)."""
        return sorted(
            p for p in glob.glob(os.path.join(self.tokens, "*", "*.object"))
            if os.path.basename(p) != "token.object"
        )

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def attributes(object_file):
    """The boolean and class attributes of a SoftHSM object file, as softhsm2-dump-file shows them."""
    out = subprocess.run(["softhsm2-dump-file", object_file], capture_output=True, text=True, timeout=30)
    # softhsm2-dump-file exits with 1 once it has read the whole file; what it printed counts.
    assert "CKA_CLASS" in out.stdout, out.stderr
    lines = out.stdout.splitlines()
    attrs = {}
    for i, line in enumerate(lines):
        name = line[24:].strip()
        if name.startswith("CKA_") and i + 2 < len(lines):
            kind = lines[i + 1][24:].strip()
            value = lines[i + 2][24:].strip()
            if kind in ("boolean attribute", "unsigned long attribute"):
                attrs[name] = value
    return attrs


def trust_anchor():
    """A self-signed certificate, as a CloudHSM cluster's trust anchor is."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gureum test trust anchor")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def hsm():
    h = SoftHsm()
    yield h
    h.close()


@pytest.fixture
def server(start_gureum, hsm):
    return start_gureum(args=["--pkcs11-module", hsm.module], env=hsm.env).start()


def error(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def store(kms, store_id):
    stores = kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"]
    assert len(stores) == 1
    return stores[0]


def new_store(kms, hsm, pin=PIN, name=None):
    label = hsm.token()
    store_id = kms.create_custom_key_store(
        CustomKeyStoreName=name or f"store-{label}",
        CustomKeyStoreType="AWS_CLOUDHSM",
        CloudHsmClusterId=label,
        TrustAnchorCertificate=trust_anchor(),
        KeyStorePassword=pin,
    )["CustomKeyStoreId"]
    return store_id, label


def test_create_and_describe_stores(server, hsm):
    kms = server.client("kms")
    unchecked = server.client("kms", parameter_validation=False)
    store_id, label = new_store(kms, hsm, name="payments-hsm")
    assert store_id.startswith("cks-") and len(store_id) == 21
    s = store(kms, store_id)
    assert s["CustomKeyStoreName"] == "payments-hsm"
    assert s["CloudHsmClusterId"] == label
    assert s["CustomKeyStoreType"] == "AWS_CLOUDHSM"
    assert s["ConnectionState"] == "DISCONNECTED"
    assert "ConnectionErrorCode" not in s
    assert s["TrustAnchorCertificate"].startswith("-----BEGIN CERTIFICATE-----")
    by_name = kms.describe_custom_key_stores(CustomKeyStoreName="payments-hsm")["CustomKeyStores"]
    assert [x["CustomKeyStoreId"] for x in by_name] == [store_id]

    # The name and the cluster belong to this store now.
    other = hsm.token()
    assert error(
        kms.create_custom_key_store, CustomKeyStoreName="payments-hsm", CloudHsmClusterId=other,
        TrustAnchorCertificate=trust_anchor(), KeyStorePassword="kmsuser-pin-2",
    ) == ("CustomKeyStoreNameInUseException", 400)
    assert error(
        kms.create_custom_key_store, CustomKeyStoreName="second", CloudHsmClusterId=label,
        TrustAnchorCertificate=trust_anchor(), KeyStorePassword="kmsuser-pin-1",
    ) == ("CloudHsmClusterInUseException", 400)
    # No token carries this label.
    assert error(
        kms.create_custom_key_store, CustomKeyStoreName="second", CloudHsmClusterId=cluster_id(),
        TrustAnchorCertificate=trust_anchor(), KeyStorePassword="kmsuser-pin-2",
    ) == ("CloudHsmClusterNotFoundException", 400)
    assert error(
        kms.create_custom_key_store, CustomKeyStoreName="second", CloudHsmClusterId=other,
        TrustAnchorCertificate="not a certificate", KeyStorePassword="kmsuser-pin-2",
    ) == ("IncorrectTrustAnchorException", 400)
    assert error(
        unchecked.create_custom_key_store, CustomKeyStoreName="second", CloudHsmClusterId="hsm-1",
        TrustAnchorCertificate=trust_anchor(), KeyStorePassword="kmsuser-pin-2",
    ) == ("ValidationException", 400)
    assert error(
        unchecked.create_custom_key_store, CustomKeyStoreName="second", CloudHsmClusterId=other,
        TrustAnchorCertificate=trust_anchor(), KeyStorePassword="short",
    ) == ("ValidationException", 400)
    assert error(
        kms.create_custom_key_store, CustomKeyStoreName="second", CloudHsmClusterId=other,
        KeyStorePassword="kmsuser-pin-2",
    ) == ("ValidationException", 400)
    assert error(kms.describe_custom_key_stores, CustomKeyStoreId="cks-00000000000000000") == (
        "CustomKeyStoreNotFoundException", 400)
    assert error(kms.describe_custom_key_stores, CustomKeyStoreName="nope") == (
        "CustomKeyStoreNotFoundException", 400)
    assert error(kms.connect_custom_key_store, CustomKeyStoreId="cks-00000000000000000") == (
        "CustomKeyStoreNotFoundException", 400)

    # The aws CLI lists the store too, and pages.
    second, _ = new_store(kms, hsm, name="second")
    out = json.loads(server.cli("kms", "describe-custom-key-stores", "--output", "json").stdout)
    assert {s["CustomKeyStoreId"] for s in out["CustomKeyStores"]} == {store_id, second}
    page = kms.describe_custom_key_stores(Limit=1)
    assert page["Truncated"] is True and len(page["CustomKeyStores"]) == 1
    rest = kms.describe_custom_key_stores(Limit=1, Marker=page["NextMarker"])
    assert {page["CustomKeyStores"][0]["CustomKeyStoreId"], rest["CustomKeyStores"][0]["CustomKeyStoreId"]} == {
        store_id, second}


def test_wrong_password_fails_until_updated(server, hsm):
    kms = server.client("kms")
    store_id, label = new_store(kms, hsm, pin="wrong-password")
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    s = store(kms, store_id)
    assert (s["ConnectionState"], s["ConnectionErrorCode"]) == ("FAILED", "INVALID_CREDENTIALS")
    # A FAILED store is disconnected before it connects again, and updated only when disconnected.
    assert error(kms.connect_custom_key_store, CustomKeyStoreId=store_id) == (
        "CustomKeyStoreInvalidStateException", 400)
    assert error(kms.update_custom_key_store, CustomKeyStoreId=store_id, KeyStorePassword=PIN) == (
        "CustomKeyStoreInvalidStateException", 400)
    assert error(kms.create_key, CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM") == (
        "CustomKeyStoreInvalidStateException", 400)
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    s = store(kms, store_id)
    assert s["ConnectionState"] == "DISCONNECTED" and "ConnectionErrorCode" not in s
    assert error(kms.disconnect_custom_key_store, CustomKeyStoreId=store_id) == (
        "CustomKeyStoreInvalidStateException", 400)

    kms.update_custom_key_store(
        CustomKeyStoreId=store_id, KeyStorePassword=PIN, NewCustomKeyStoreName="renamed",
    )
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    s = store(kms, store_id)
    assert (s["ConnectionState"], s["CustomKeyStoreName"]) == ("CONNECTED", "renamed")
    assert "ConnectionErrorCode" not in s
    # Connecting a connected store is fine; updating it is not.
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert error(kms.update_custom_key_store, CustomKeyStoreId=store_id, NewCustomKeyStoreName="again") == (
        "CustomKeyStoreInvalidStateException", 400)
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    # Another token is another cluster, with none of this store's keys.
    other = hsm.token()
    assert error(kms.update_custom_key_store, CustomKeyStoreId=store_id, CloudHsmClusterId=other) == (
        "CloudHsmClusterNotRelatedException", 400)
    assert error(kms.update_custom_key_store, CustomKeyStoreId=store_id, CloudHsmClusterId=cluster_id()) == (
        "CloudHsmClusterNotFoundException", 400)
    second, _ = new_store(kms, hsm, name="taken-name")
    assert error(kms.update_custom_key_store, CustomKeyStoreId=store_id, NewCustomKeyStoreName="taken-name") == (
        "CustomKeyStoreNameInUseException", 400)
    assert store(kms, second)["ConnectionState"] == "DISCONNECTED"


def test_keys_live_in_the_hsm(server, hsm):
    kms = server.client("kms")
    store_id, label = new_store(kms, hsm)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert store(kms, store_id)["ConnectionState"] == "CONNECTED"
    before = hsm.key_objects()
    meta = kms.create_key(CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM", Description="in the HSM")["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["Origin"] == "AWS_CLOUDHSM"
    assert meta["CustomKeyStoreId"] == store_id
    assert meta["CloudHsmClusterId"] == label
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["KeyState"] == "Enabled"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CustomKeyStoreId"] == store_id

    # The key is one new token object: a secret key, sensitive and never extractable.
    created = sorted(set(hsm.key_objects()) - set(before))
    assert len(created) == 1, created
    attrs = attributes(created[0])
    assert attrs["CKA_CLASS"] == "CKO_SECRET_KEY"
    assert attrs["CKA_TOKEN"] == "TRUE"
    assert attrs["CKA_SENSITIVE"] == "TRUE"
    assert attrs["CKA_EXTRACTABLE"] == "FALSE"
    assert attrs["CKA_NEVER_EXTRACTABLE"] == "TRUE"
    # gureum keeps the kmsuser password sealed: it appears nowhere in its data directory.
    for path in glob.glob(os.path.join(server.data_dir, "**"), recursive=True):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                assert PIN.encode() not in f.read(), path

    context = {"purpose": "hsm-test"}
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"kept by the HSM", EncryptionContext=context)["CiphertextBlob"]
    assert b"kept by the HSM" not in blob
    # The blob names its key: Decrypt needs no KeyId.
    out = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
    assert out["Plaintext"] == b"kept by the HSM" and out["KeyId"].endswith(key_id)
    assert kms.decrypt(CiphertextBlob=blob, KeyId=key_id, EncryptionContext=context)["Plaintext"] == b"kept by the HSM"
    assert error(kms.decrypt, CiphertextBlob=blob, EncryptionContext={"purpose": "other"}) == (
        "InvalidCiphertextException", 400)
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    assert error(kms.decrypt, CiphertextBlob=bytes(tampered), EncryptionContext=context) == (
        "InvalidCiphertextException", 400)

    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert len(data_key["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    wrapped = kms.generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=24)["CiphertextBlob"]
    assert len(kms.decrypt(CiphertextBlob=wrapped)["Plaintext"]) == 24

    # ReEncrypt moves a ciphertext between the HSM key and a key of KMS's own.
    plain_key = kms.create_key()["KeyMetadata"]["KeyId"]
    moved = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=context, DestinationKeyId=plain_key)
    assert moved["SourceKeyId"].endswith(key_id) and moved["KeyId"].endswith(plain_key)
    back = kms.re_encrypt(CiphertextBlob=moved["CiphertextBlob"], DestinationKeyId=key_id)
    assert kms.decrypt(CiphertextBlob=back["CiphertextBlob"])["Plaintext"] == b"kept by the HSM"

    random = kms.generate_random(NumberOfBytes=48, CustomKeyStoreId=store_id)["Plaintext"]
    assert len(random) == 48 and random != kms.generate_random(NumberOfBytes=48, CustomKeyStoreId=store_id)["Plaintext"]

    # What a custom key store does not hold, and what its keys do not do.
    assert error(kms.create_key, CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM", KeySpec="RSA_2048") == (
        "UnsupportedOperationException", 400)
    assert error(kms.create_key, CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM", MultiRegion=True) == (
        "UnsupportedOperationException", 400)
    assert error(kms.create_key, CustomKeyStoreId=store_id) == ("ValidationException", 400)
    assert error(kms.create_key, Origin="AWS_CLOUDHSM") == ("ValidationException", 400)
    assert error(kms.create_key, CustomKeyStoreId="cks-00000000000000000", Origin="AWS_CLOUDHSM") == (
        "CustomKeyStoreNotFoundException", 400)
    assert error(kms.enable_key_rotation, KeyId=key_id) == ("UnsupportedOperationException", 400)

    # Disconnected, the store's keys are Unavailable and do no cryptography.
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Unavailable"
    assert error(kms.encrypt, KeyId=key_id, Plaintext=b"x") == ("KMSInvalidStateException", 400)
    assert error(kms.decrypt, CiphertextBlob=blob, EncryptionContext=context) == ("KMSInvalidStateException", 400)
    assert error(kms.generate_data_key, KeyId=key_id, KeySpec="AES_128") == ("KMSInvalidStateException", 400)
    assert error(kms.generate_random, NumberOfBytes=8, CustomKeyStoreId=store_id) == (
        "CustomKeyStoreInvalidStateException", 400)
    assert error(kms.create_key, CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM") == (
        "CustomKeyStoreInvalidStateException", 400)

    # Reconnected, the old ciphertexts open again.
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == b"kept by the HSM"
    # The aws CLI decrypts through the HSM too.
    blob_file = write_temp(blob)
    try:
        out = server.cli(
            "kms", "decrypt", "--ciphertext-blob", "fileb://" + blob_file,
            "--encryption-context", "purpose=hsm-test", "--output", "json",
        )
    finally:
        os.unlink(blob_file)
    assert base64.b64decode(json.loads(out.stdout)["Plaintext"]) == b"kept by the HSM"


def write_temp(data):
    f = tempfile.NamedTemporaryFile(prefix="gureum-blob-", delete=False)
    f.write(data)
    f.close()
    return f.name


def test_delete_rules(server, hsm):
    kms = server.client("kms")
    store_id, _ = new_store(kms, hsm)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    before = len(hsm.key_objects())
    key_id = kms.create_key(CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM")["KeyMetadata"]["KeyId"]
    assert len(hsm.key_objects()) == before + 1
    # A deleted key's material is destroyed in the HSM once its waiting period is over.
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert error(kms.delete_custom_key_store, CustomKeyStoreId=store_id) == (
        "CustomKeyStoreInvalidStateException", 400)
    assert server.admin("/_gureum/clock", {"advance_seconds": 7 * 86400 + 60})[0] == 200
    assert len(hsm.key_objects()) == before
    assert error(kms.describe_key, KeyId=key_id) == ("NotFoundException", 400)

    key_id = kms.create_key(CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM")["KeyMetadata"]["KeyId"]
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert error(kms.delete_custom_key_store, CustomKeyStoreId=store_id) == ("CustomKeyStoreHasCMKsException", 400)
    # A key pending deletion is still in the store until its waiting period ends.
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert error(kms.delete_custom_key_store, CustomKeyStoreId=store_id) == ("CustomKeyStoreHasCMKsException", 400)
    assert server.admin("/_gureum/clock", {"advance_seconds": 7 * 86400 + 60})[0] == 200
    # The store was disconnected: the HSM object is left in the token, as AWS leaves it.
    assert len(hsm.key_objects()) == before + 1
    kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    assert error(kms.describe_custom_key_stores, CustomKeyStoreId=store_id) == (
        "CustomKeyStoreNotFoundException", 400)
    assert error(kms.delete_custom_key_store, CustomKeyStoreId=store_id) == ("CustomKeyStoreNotFoundException", 400)


def test_connected_stores_survive_a_restart(start_gureum, hsm):
    data_dir = tempfile.mkdtemp(prefix="gureum-test-")
    try:
        first = start_gureum(args=["--pkcs11-module", hsm.module], env=hsm.env, data_dir=data_dir).start()
        kms = first.client("kms")
        store_id, _ = new_store(kms, hsm)
        kms.connect_custom_key_store(CustomKeyStoreId=store_id)
        key_id = kms.create_key(CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM")["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"before the restart")["CiphertextBlob"]
        first.kill()
        second = start_gureum(
            args=["--pkcs11-module", hsm.module], env=hsm.env, data_dir=data_dir, port=first.port
        ).start()
        kms = second.client("kms")
        assert store(kms, store_id)["ConnectionState"] == "CONNECTED"
        # The new process logs back in to the token on first use.
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before the restart"
        second.kill()
        # Restarted without the HSM, the store cannot log back in: it fails, and so do its keys.
        third = start_gureum(data_dir=data_dir, port=first.port).start()
        kms = third.client("kms")
        assert store(kms, store_id)["ConnectionState"] == "CONNECTED"
        assert error(kms.decrypt, CiphertextBlob=blob) == ("KMSInvalidStateException", 400)
        s = store(kms, store_id)
        assert (s["ConnectionState"], s["ConnectionErrorCode"]) == ("FAILED", "CLUSTER_NOT_FOUND")
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Unavailable"
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_without_a_module_no_cluster_is_found(gureum):
    kms = gureum.client("kms")
    assert error(
        kms.create_custom_key_store, CustomKeyStoreName="no-hsm", CloudHsmClusterId=cluster_id(),
        TrustAnchorCertificate=trust_anchor(), KeyStorePassword="kmsuser-pin-1",
    ) == ("CloudHsmClusterNotFoundException", 400)
    assert error(
        kms.create_custom_key_store, CustomKeyStoreName="xks", CustomKeyStoreType="EXTERNAL_KEY_STORE",
    ) == ("NotImplemented", 501)


def test_reset_logs_the_tokens_out(server, hsm):
    kms = server.client("kms")
    label = hsm.token()
    anchor = trust_anchor()
    first = kms.create_custom_key_store(
        CustomKeyStoreName="before-reset", CloudHsmClusterId=label, TrustAnchorCertificate=anchor,
        KeyStorePassword=PIN,
    )["CustomKeyStoreId"]
    kms.connect_custom_key_store(CustomKeyStoreId=first)
    assert store(kms, first)["ConnectionState"] == "CONNECTED"
    assert server.admin("/_gureum/reset", {})[0] == 200
    # The token is free again, and its PIN is checked again: no session outlived the reset.
    wrong = kms.create_custom_key_store(
        CustomKeyStoreName="after-reset", CloudHsmClusterId=label, TrustAnchorCertificate=anchor,
        KeyStorePassword="not-the-pin",
    )["CustomKeyStoreId"]
    kms.connect_custom_key_store(CustomKeyStoreId=wrong)
    s = store(kms, wrong)
    assert (s["ConnectionState"], s["ConnectionErrorCode"]) == ("FAILED", "INVALID_CREDENTIALS")
    kms.disconnect_custom_key_store(CustomKeyStoreId=wrong)
    kms.update_custom_key_store(CustomKeyStoreId=wrong, KeyStorePassword=PIN)
    kms.connect_custom_key_store(CustomKeyStoreId=wrong)
    assert store(kms, wrong)["ConnectionState"] == "CONNECTED"
