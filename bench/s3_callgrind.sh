#!/bin/bash
# Server instructions per S3 request, counted by callgrind (steady on a shared machine, where
# wall-clock rates are not): a bucket and a 4 KiB object (as s3_bench.py), then N GetObjects of
# it or N PutObjects of 4 KiB (boto3, payload signed with its SHA-256), with instrumentation on
# for those alone. gureum keeps a data directory (durable PUTs, as s3_bench.py) unless
# EPHEMERAL=1. Under valgrind SHA-256 and AES take their software paths: discount them.
#
#   cargo build --release -p gureum
#   bench/s3_callgrind.sh [get|put] [N] [BIN]   -> total Ir; divide by N
set -euo pipefail
MODE=${1:-get}; N=${2:-500}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${3:-$HERE/../target/release/gureum}
PY=${PYTHON:-$HERE/../tests/.venv/bin/python}
OUT=$(mktemp -d)
PORT=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
if [ "${EPHEMERAL:-0}" = 1 ]; then STORE=(--ephemeral); else STORE=(--data-dir "$OUT/data"); fi
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/cg.out" \
  "$BIN" serve "${STORE[@]}" --workers 1 --listen 127.0.0.1:$PORT --log-level warn >"$OUT/vg.log" 2>&1 &
VG=$!
for _ in $(seq 1 200); do curl -s -o /dev/null http://127.0.0.1:$PORT/_gureum/health && break; sleep 0.5; done
run() {
  $PY - "$PORT" "$1" "$2" <<'PYEOF'
import sys, boto3, botocore.config
port, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test",
                 config=botocore.config.Config(retries={"max_attempts": 1},
                                               s3={"addressing_style": "path"}))
B, K = "s3-bench", "small-4k"
BODY = ("gureum-s3-bench-" * 256)[:4096].encode()
if mode == "setup":
    c.create_bucket(Bucket=B)
    c.put_object(Bucket=B, Key=K, Body=BODY)
elif mode == "get":
    for _ in range(n):
        assert c.get_object(Bucket=B, Key=K)["Body"].read() == BODY
else:
    for i in range(n):
        c.put_object(Bucket=B, Key=f"put-{i % 256}", Body=BODY)
PYEOF
}
run setup 0
run "$MODE" 3
callgrind_control -i on $VG >/dev/null
run "$MODE" "$N"
callgrind_control -i off $VG >/dev/null
kill -TERM $VG; wait $VG || true
callgrind_annotate "$OUT/cg.out" 2>/dev/null | grep -m1 "PROGRAM TOTALS"
echo "profile: $OUT/cg.out (callgrind_annotate --inclusive=yes $OUT/cg.out)"
