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
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${3:-$HERE/../target/release/gureum}
PY=${PYTHON:-$HERE/../tests/.venv/bin/python}
OUT=$(mktemp -d)
PORT=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/cg.out" \
  "$BIN" serve --ephemeral --workers 1 --listen 127.0.0.1:$PORT --log-level warn >"$OUT/vg.log" 2>&1 &
VG=$!
for _ in $(seq 1 200); do curl -s -o /dev/null http://127.0.0.1:$PORT/_gureum/health && break; sleep 0.5; done
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
run setup 0
run "$MODE" 3
callgrind_control -i on $VG >/dev/null 2>&1
run "$MODE" "$N"
callgrind_control -i off $VG >/dev/null 2>&1
kill -TERM $VG; wait $VG || true
callgrind_annotate "$OUT/cg.out" 2>/dev/null | grep "PROGRAM TOTALS" || true
echo "profile: $OUT/cg.out (callgrind_annotate --inclusive=yes $OUT/cg.out)"
