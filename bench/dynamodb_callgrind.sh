#!/bin/bash
# Server instructions per DynamoDB request, counted by callgrind (steady on a shared machine,
# where wall-clock rates are not): 1000 items of ~200 B under one pk (as dynamodb_bench.py),
# then N Query pages of 20, GetItems or PutItems (the same item of ~200 B each time, as
# dynamodb_bench.py replays it; the store's syncer thread is counted too), with instrumentation
# on for those alone.
#
#   cargo build --release -p gureum
#   bench/dynamodb_callgrind.sh [query|get|put] [N] [BIN]   -> total Ir; divide by N
set -euo pipefail
MODE=${1:-query}; N=${2:-100}
BIN=${3:-}
source "$(dirname "$0")/callgrind_lib.sh"
cg_start
run() {
  $PY - "$PORT" "$1" "$2" <<'PYEOF'
import sys, boto3, botocore.config
port, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test",
                 config=botocore.config.Config(retries={"max_attempts": 1}))
T = "bench-table"
def item(sk):
    return {"pk": {"S": "bench-pk"}, "sk": {"N": str(sk)}, "data": {"S": f"{sk:06d}-" + "x" * 160}, "n": {"N": str(sk * 7)}}
if mode == "setup":
    c.create_table(TableName=T, BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    for sk in range(1000):
        c.put_item(TableName=T, Item=item(sk))
elif mode == "query":
    for _ in range(n):
        r = c.query(TableName=T, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "bench-pk"}}, Limit=20)
        assert r["Count"] == 20 and r["Items"][0] == item(0), r
elif mode == "put":
    for _ in range(n):
        c.put_item(TableName=T, Item=item(1000))
else:
    for _ in range(n):
        assert c.get_item(TableName=T, Key={"pk": {"S": "bench-pk"}, "sk": {"N": "500"}})["Item"] == item(500)
PYEOF
}
cg_measure "$MODE" "$N"
