#!/bin/bash
# Server instructions per KMS request, counted by callgrind (steady on a shared machine, where
# wall-clock rates are not): one symmetric key (CreateKey), then N Encrypts of 256 bytes, N
# Decrypts of one such ciphertext, or N GenerateDataKeys (AES_256), with instrumentation on for
# those alone.
#
#   cargo build --release -p gureum
#   bench/kms_callgrind.sh [encrypt|decrypt|gdk] [N] [BIN]   -> total Ir; divide by N
set -euo pipefail
MODE=${1:-encrypt}; N=${2:-100}
BIN=${3:-}
source "$(dirname "$0")/callgrind_lib.sh"
cg_start
run() {
  $PY - "$PORT" "$OUT/key" "$1" "$2" <<'PYEOF'
import sys, boto3, botocore.config
port, keyfile, mode, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = boto3.client("kms", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test",
                 config=botocore.config.Config(retries={"max_attempts": 1}))
PT = bytes(range(256))
if mode == "setup":
    key = c.create_key(Description="kms bench", KeySpec="SYMMETRIC_DEFAULT",
                       KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    blob = c.encrypt(KeyId=key, Plaintext=PT)["CiphertextBlob"]
    open(keyfile, "w").write(key)
    open(keyfile + ".blob", "wb").write(blob)
    sys.exit(0)
key = open(keyfile).read()
blob = open(keyfile + ".blob", "rb").read()
if mode == "encrypt":
    for _ in range(n):
        assert c.encrypt(KeyId=key, Plaintext=PT)["CiphertextBlob"]
elif mode == "decrypt":
    for _ in range(n):
        assert c.decrypt(CiphertextBlob=blob)["Plaintext"] == PT
else:
    for _ in range(n):
        assert len(c.generate_data_key(KeyId=key, KeySpec="AES_256")["Plaintext"]) == 32
PYEOF
}
cg_measure "$MODE" "$N"
