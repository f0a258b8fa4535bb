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
BIN=${3:-}
source "$(dirname "$0")/callgrind_lib.sh"
if [ "${EPHEMERAL:-0}" = 1 ]; then cg_start; else cg_start --data-dir "$(mktemp -d)/data"; fi
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
cg_measure "$MODE" "$N"
