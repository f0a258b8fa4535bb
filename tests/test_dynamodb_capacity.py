"""DynamoDB capacity through boto3 and the aws CLI: read and write units metered for billing
(/_gureum/usage), provisioned throughput enforced on the server clock
(--dynamodb-enforce-capacity), and tables named by their ARN."""
import json
import uuid

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"


def fails(call, code, message=None, status=400):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    err = e.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), err["Error"]
    if message is not None:
        assert err["Error"]["Message"] == message
    return err["Error"]["Message"]


def S(v):
    return {"S": v}


def table_name():
    return "c-" + uuid.uuid4().hex[:12]


def arn(name, region="us-east-1", account=ACCOUNT):
    return f"arn:aws:dynamodb:{region}:{account}:table/{name}"


def create(ddb, name, rcu=None, wcu=None, gsi=None):
    kw = {}
    if rcu is None:
        kw["BillingMode"] = "PAY_PER_REQUEST"
    else:
        kw["ProvisionedThroughput"] = {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if gsi:
        attrs.append({"AttributeName": "g", "AttributeType": "S"})
        kw["GlobalSecondaryIndexes"] = [{
            "IndexName": "by-g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": gsi[0], "WriteCapacityUnits": gsi[1]},
        }]
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=attrs,
        **kw,
    )


def usage(server, name):
    """This table's metered quantities, by unit, summed over operations."""
    _, body = server.admin("/_gureum/usage")
    out = {}
    for row in body["usage"]:
        if row["service"] == "dynamodb" and row["resource"] == arn(name):
            out[row["unit"]] = out.get(row["unit"], 0) + row["quantity"]
    return out


def usage_by_operation(server, name, unit):
    _, body = server.admin("/_gureum/usage")
    out = {}
    for row in body["usage"]:
        if row["resource"] == arn(name) and row["unit"] == unit:
            out[row["operation"]] = out.get(row["operation"], 0) + row["quantity"]
    return out


@pytest.fixture
def ddb(gureum):
    return gureum.client("dynamodb")


# --------------------------------------------------------------------------------------------
# Usage metering


def test_on_demand_request_units_are_metered_per_table(gureum, ddb):
    name = table_name()
    create(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": S("x" * 1500)})  # 2 WRU
    ddb.put_item(TableName=name, Item={"pk": S("b")})  # 1 WRU
    ddb.get_item(TableName=name, Key={"pk": S("a")})  # eventually consistent: 0.5 RRU
    ddb.get_item(TableName=name, Key={"pk": S("a")}, ConsistentRead=True)  # 1 RRU
    ddb.get_item(TableName=name, Key={"pk": S("missing")}, ConsistentRead=True)  # 1 RRU
    ddb.delete_item(TableName=name, Key={"pk": S("b")})  # 1 WRU
    # Metered whether or not the caller asked for ReturnConsumedCapacity.
    assert usage(gureum, name) == {"WriteRequestUnits": 4.0, "ReadRequestUnits": 2.5}
    assert usage_by_operation(gureum, name, "WriteRequestUnits") == {"PutItem": 3.0, "DeleteItem": 1.0}


def test_metered_units_match_consumed_capacity(gureum, ddb):
    name = table_name()
    create(ddb, name)
    for n in range(10):
        ddb.put_item(TableName=name, Item={"pk": S(f"k{n}"), "v": S("y" * 1000)})
    before = usage(gureum, name)
    scan = ddb.scan(TableName=name, ReturnConsumedCapacity="TOTAL")
    query = ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": S("k1")}, ReturnConsumedCapacity="TOTAL")
    batch = ddb.batch_get_item(RequestItems={name: {"Keys": [{"pk": S("k1")}, {"pk": S("k2")}]}},
                               ReturnConsumedCapacity="TOTAL")
    txn = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": name, "Key": {"pk": S("k3")}}}],
                                 ReturnConsumedCapacity="TOTAL")
    reported = (scan["ConsumedCapacity"]["CapacityUnits"] + query["ConsumedCapacity"]["CapacityUnits"]
                + batch["ConsumedCapacity"][0]["CapacityUnits"] + txn["ConsumedCapacity"][0]["CapacityUnits"])
    after = usage(gureum, name)
    assert after["ReadRequestUnits"] - before.get("ReadRequestUnits", 0) == reported
    assert after["WriteRequestUnits"] == 10.0
    # A transactional write costs twice; a batch write once per item.
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": {"pk": S("t")}}}])
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": S("u")}}},
                                              {"DeleteRequest": {"Key": {"pk": S("k0")}}}]})
    assert usage(gureum, name)["WriteRequestUnits"] == 14.0


def test_index_writes_and_partiql_are_billed_to_the_table(gureum, ddb):
    name = table_name()
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
    )
    ddb.put_item(TableName=name, Item={"pk": S("a"), "g": S("x")})  # table 1 + index 1
    ddb.execute_statement(Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': 'b'}}")  # table only
    ddb.execute_statement(Statement=f"SELECT * FROM \"{name}\" WHERE pk = 'a'", ConsistentRead=True)
    assert usage(gureum, name) == {"WriteRequestUnits": 3.0, "ReadRequestUnits": 1.0}


def test_storage_is_metered_in_byte_hours_on_the_server_clock(start_gureum):
    server = start_gureum().start()
    ddb = server.client("dynamodb")
    name = table_name()
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    )
    ddb.put_item(TableName=name, Item={"pk": S("a"), "g": S("x"), "v": S("y" * 1000)})
    ddb.put_item(TableName=name, Item={"pk": S("b"), "v": S("z" * 500)})
    # Items 1004 and 503 bytes, one index entry of 4 (its keys), 100 bytes overhead each.
    billable = 1004 + 503 + 4 + 3 * 100
    advance(server, 1)  # the table is seen: metering starts
    before = usage(server, name).get("TimedStorage-ByteHrs", 0)
    advance(server, 3600)
    after = usage(server, name)["TimedStorage-ByteHrs"]
    # An hour of the server clock (and the few wall-clock seconds the test takes).
    assert billable <= after - before < billable * 1.01
    _, body = server.admin("/_gureum/usage")
    row = next(r for r in body["usage"] if r["unit"] == "TimedStorage-ByteHrs")
    assert (row["account_id"], row["region"], row["operation"]) == (ACCOUNT, "us-east-1", "Storage")
    ddb.delete_table(TableName=name)
    advance(server, 3600)
    assert usage(server, name)["TimedStorage-ByteHrs"] < after + billable * 0.01


def test_provisioned_tables_meter_consumed_capacity(gureum, ddb):
    name = table_name()
    create(ddb, name, rcu=5, wcu=5)
    ddb.put_item(TableName=name, Item={"pk": S("a")})
    ddb.get_item(TableName=name, Key={"pk": S("a")})
    assert usage(gureum, name) == {"ConsumedWriteCapacityUnits": 1.0, "ConsumedReadCapacityUnits": 0.5}


def test_failed_requests_meter_nothing(gureum, ddb):
    name = table_name()
    create(ddb, name)
    fails(lambda: ddb.get_item(TableName=name, Key={"nope": S("a")}), "ValidationException")
    assert usage(gureum, name) == {}


def test_failed_conditional_writes_are_billed(gureum, ddb):
    name = table_name()
    create(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": S("x" * 2000)})  # 2 WRU
    # A failed condition costs the size of the item found, one unit at least.
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": S("a")}, ConditionExpression="attribute_not_exists(pk)"),
          "ConditionalCheckFailedException")  # 2
    fails(lambda: ddb.delete_item(TableName=name, Key={"pk": S("b")}, ConditionExpression="attribute_exists(pk)"),
          "ConditionalCheckFailedException")  # 1
    fails(lambda: ddb.update_item(TableName=name, Key={"pk": S("a")}, UpdateExpression="SET w = :w",
                                  ConditionExpression="v = :w", ExpressionAttributeValues={":w": S("y")}),
          "ConditionalCheckFailedException")  # 2
    assert usage(gureum, name) == {"WriteRequestUnits": 7.0}
    assert usage_by_operation(gureum, name, "WriteRequestUnits") == {"PutItem": 4.0, "DeleteItem": 1.0,
                                                                      "UpdateItem": 2.0}


# --------------------------------------------------------------------------------------------
# Provisioned throughput, enforced

THROTTLED = ("The level of configured provisioned throughput for the table was exceeded. "
             "Consider increasing your provisioning level with the UpdateTable API.")


@pytest.fixture
def enforcing(start_gureum):
    return start_gureum(["--dynamodb-enforce-capacity"]).start()


def advance(server, seconds):
    assert server.admin("/_gureum/clock", {"advance_seconds": seconds})[0] == 200


def test_enforcement_is_off_by_default(gureum, ddb):
    name = table_name()
    create(ddb, name, rcu=1, wcu=1)
    for n in range(5):
        ddb.put_item(TableName=name, Item={"pk": S(f"k{n}"), "v": S("x" * 10_000)})


def big(kb):
    """A value making an item of about `kb` KB (the key and attribute names add a few bytes)."""
    return S("x" * (kb * 1024 - 16))


# The server clock keeps running between requests, so each case leaves a margin of whole
# seconds of capacity on the side it asserts.


def test_writes_beyond_provisioned_capacity_are_throttled(enforcing):
    ddb = enforcing.client("dynamodb")
    name = table_name()
    create(ddb, name, rcu=1, wcu=1)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": big(50)})  # 50 WCU against 1: 49 in debt
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": S("b")}),
          "ProvisionedThroughputExceededException", THROTTLED)
    # The throttled write did nothing.
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": S("b")})
    advance(enforcing, 30)
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": S("b")}), "ProvisionedThroughputExceededException")
    advance(enforcing, 30)
    ddb.put_item(TableName=name, Item={"pk": S("b")})
    ddb.delete_item(TableName=name, Key={"pk": S("a")})
    fails(lambda: ddb.update_item(TableName=name, Key={"pk": S("b")}, UpdateExpression="SET v = :v",
                                  ExpressionAttributeValues={":v": S("1")}),
          "ProvisionedThroughputExceededException")
    # On-demand tables never throttle.
    free = table_name()
    create(ddb, free)
    for n in range(20):
        ddb.put_item(TableName=free, Item={"pk": S(f"k{n}"), "v": big(10)})


def test_burst_capacity_keeps_five_minutes(enforcing):
    ddb = enforcing.client("dynamodb")
    name = table_name()
    create(ddb, name, rcu=1, wcu=1)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": big(279)})  # 70 RCU a consistent read
    ddb.get_item(TableName=name, Key={"pk": S("a")}, ConsistentRead=True)
    advance(enforcing, 3600)
    # An hour idle banks only 300 seconds: 300 -> 230 -> 160 -> 90 -> 20 -> -50.
    for _ in range(5):
        ddb.get_item(TableName=name, Key={"pk": S("a")}, ConsistentRead=True)
    fails(lambda: ddb.get_item(TableName=name, Key={"pk": S("a")}), "ProvisionedThroughputExceededException")
    fails(lambda: ddb.scan(TableName=name), "ProvisionedThroughputExceededException")
    # Reads and writes have their own buckets.
    ddb.put_item(TableName=name, Item={"pk": S("b")})


def test_failed_conditional_writes_take_capacity(enforcing):
    ddb = enforcing.client("dynamodb")
    name = table_name()
    create(ddb, name, rcu=1, wcu=1)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": big(200)})  # 1 - 200
    advance(enforcing, 250)  # 51
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": S("a")}, ConditionExpression="attribute_not_exists(pk)"),
          "ConditionalCheckFailedException")  # 51 - 200
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": S("b")}), "ProvisionedThroughputExceededException")


def test_large_items_take_the_bucket_into_debt(enforcing):
    ddb = enforcing.client("dynamodb")
    name = table_name()
    create(ddb, name, rcu=1, wcu=1)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": big(20)})  # 1 - 20 = -19
    advance(enforcing, 10)  # -9
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": S("b")}), "ProvisionedThroughputExceededException")
    advance(enforcing, 10)  # 1
    ddb.put_item(TableName=name, Item={"pk": S("b")})


def test_update_table_raises_capacity(enforcing):
    ddb = enforcing.client("dynamodb")
    name = table_name()
    create(ddb, name, rcu=1, wcu=1)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": big(20)})
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": S("b")}), "ProvisionedThroughputExceededException")
    ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 100})
    advance(enforcing, 1)  # -19 + 100 at the new rate
    ddb.put_item(TableName=name, Item={"pk": S("b"), "v": big(20)})


def test_global_index_capacity_throttles_its_reads_and_the_table_writes(enforcing):
    ddb = enforcing.client("dynamodb")
    name = table_name()
    create(ddb, name, rcu=100, wcu=100, gsi=(1, 1))
    ddb.put_item(TableName=name, Item={"pk": S("a"), "g": S("x"), "v": big(20)})  # the index: 1 - 20
    msg = fails(lambda: ddb.put_item(TableName=name, Item={"pk": S("b")}),
                "ProvisionedThroughputExceededException")
    assert "global secondary indexes" in msg
    q = dict(TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
             ExpressionAttributeValues={":g": S("x")})
    ddb.query(**q)  # 20 KB eventually consistent: 2.5 against 1
    fails(lambda: ddb.query(**q), "ProvisionedThroughputExceededException")
    # The table's own reads are not the index's.
    ddb.get_item(TableName=name, Key={"pk": S("a")})
    ddb.query(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("a")})


def test_batches_return_throttled_items_unprocessed(enforcing):
    ddb = enforcing.client("dynamodb")
    name = table_name()
    create(ddb, name, rcu=1, wcu=1)
    puts = [{"PutRequest": {"Item": {"pk": S(f"k{n}"), "v": big(5)}}} for n in range(5)]
    out = ddb.batch_write_item(RequestItems={name: puts})  # 1 - 5: the first alone
    assert out["UnprocessedItems"] == {name: puts[1:]}
    assert ddb.scan(TableName=name, ConsistentRead=True)["Count"] == 1
    # Nothing left: the whole batch is refused.
    fails(lambda: ddb.batch_write_item(RequestItems=out["UnprocessedItems"]),
          "ProvisionedThroughputExceededException")
    advance(enforcing, 100)
    assert ddb.batch_write_item(RequestItems=out["UnprocessedItems"])["UnprocessedItems"] == {}
    assert ddb.scan(TableName=name, ConsistentRead=True)["Count"] == 5


def test_batch_get_returns_unprocessed_keys(enforcing):
    ddb = enforcing.client("dynamodb")
    name = table_name()
    create(ddb, name, rcu=1, wcu=100)
    keys = [{"pk": S(f"k{n}")} for n in range(5)]
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {**k, "v": big(16)}}} for k in keys]})
    got = ddb.batch_get_item(RequestItems={name: {"Keys": keys, "ConsistentRead": True,
                                                  "ProjectionExpression": "pk"}})
    # 4 units a key against 1: the first is read, the rest come back with the request's members.
    assert got["Responses"][name] == [keys[0]]
    assert got["UnprocessedKeys"] == {name: {"Keys": keys[1:], "ConsistentRead": True,
                                             "ProjectionExpression": "pk"}}
    fails(lambda: ddb.batch_get_item(RequestItems=got["UnprocessedKeys"]), "ProvisionedThroughputExceededException")
    advance(enforcing, 100)
    again = ddb.batch_get_item(RequestItems=got["UnprocessedKeys"])
    assert again["UnprocessedKeys"] == {} and len(again["Responses"][name]) == 4


def test_transactions_are_cancelled_without_capacity(enforcing):
    ddb = enforcing.client("dynamodb")
    name = table_name()
    other = table_name()
    create(ddb, name, rcu=1, wcu=1)
    create(ddb, other)
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": {"pk": S("a"), "v": big(10)}}}])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": other, "Item": {"pk": S("x")}}},
            {"Put": {"TableName": name, "Item": {"pk": S("b")}}},
        ])
    err = e.value.response
    assert err["Error"]["Code"] == "TransactionCanceledException"
    assert err["Error"]["Message"].endswith("[None, ProvisionedThroughputExceeded]")
    assert [r["Code"] for r in err["CancellationReasons"]] == ["None", "ProvisionedThroughputExceeded"]
    # Cancelled whole: the on-demand table's item was not written either.
    assert "Item" not in ddb.get_item(TableName=other, Key={"pk": S("x")})
    ddb.transact_get_items(TransactItems=[{"Get": {"TableName": name, "Key": {"pk": S("a")}}}])  # 1 - 6
    fails(lambda: ddb.transact_get_items(TransactItems=[{"Get": {"TableName": name, "Key": {"pk": S("a")}}}]),
          "TransactionCanceledException")
    fails(lambda: ddb.execute_statement(Statement=f"SELECT * FROM \"{name}\" WHERE pk = 'a'"),
          "ProvisionedThroughputExceededException")


def test_partiql_statements_throttle_one_by_one(enforcing):
    ddb = enforcing.client("dynamodb")
    name = table_name()
    create(ddb, name, rcu=1, wcu=1)
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'v': ?}}", "Parameters": [big(10)]},  # 1 - 10
        {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'b'}}"},
    ])["Responses"]
    assert "Error" not in out[0]
    assert out[1]["Error"]["Code"] == "ProvisionedThroughputExceeded"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.execute_transaction(TransactStatements=[{"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'c'}}"}])
    assert e.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == ["ProvisionedThroughputExceeded"]
    advance(enforcing, 20)
    ddb.execute_transaction(TransactStatements=[{"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'c'}}"}])
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 2


def test_enforcement_from_environment_and_config_file(start_gureum, tmp_path):
    server = start_gureum(env={"GUREUM_DYNAMODB_ENFORCE_CAPACITY": "true"}).start()
    ddb = server.client("dynamodb")
    name = table_name()
    create(ddb, name, rcu=1, wcu=1)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": big(10)})
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": S("b")}), "ProvisionedThroughputExceededException")
    conf = tmp_path / "gureum.toml"
    conf.write_text("dynamodb-enforce-capacity = true\n")
    server = start_gureum(["--config", str(conf)]).start()
    ddb = server.client("dynamodb")
    create(ddb, name, rcu=1, wcu=1)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": big(10)})
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": S("b")}), "ProvisionedThroughputExceededException")
    # Off by flag wins over the environment.
    server = start_gureum(["--dynamodb-enforce-capacity=false"],
                          env={"GUREUM_DYNAMODB_ENFORCE_CAPACITY": "true"}).start()
    ddb = server.client("dynamodb")
    create(ddb, name, rcu=1, wcu=1)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": big(10)})
    ddb.put_item(TableName=name, Item={"pk": S("b")})


# --------------------------------------------------------------------------------------------
# Tables named by ARN


def test_table_arn_is_accepted_wherever_a_table_name_is(gureum, ddb):
    name = table_name()
    create(ddb, name)
    a = arn(name)
    assert ddb.describe_table(TableName=a)["Table"]["TableName"] == name
    ddb.put_item(TableName=a, Item={"pk": S("a"), "v": S("1")})
    ddb.update_item(TableName=a, Key={"pk": S("a")}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": S("2")})
    assert ddb.get_item(TableName=a, Key={"pk": S("a")})["Item"]["v"] == S("2")
    q = ddb.query(TableName=a, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("a")},
                  ReturnConsumedCapacity="TOTAL")
    assert q["Count"] == 1 and q["ConsumedCapacity"]["TableName"] == name
    assert ddb.scan(TableName=a)["Count"] == 1
    out = ddb.batch_write_item(RequestItems={a: [{"PutRequest": {"Item": {"pk": S("b")}}}]})
    assert out["UnprocessedItems"] == {}
    got = ddb.batch_get_item(RequestItems={a: {"Keys": [{"pk": S("a")}, {"pk": S("b")}]}})
    assert sorted(i["pk"]["S"] for i in got["Responses"][name]) == ["a", "b"]
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": a, "Item": {"pk": S("c")}}},
        {"ConditionCheck": {"TableName": a, "Key": {"pk": S("a")}, "ConditionExpression": "attribute_exists(pk)"}},
    ])
    t = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": a, "Key": {"pk": S("c")}}}])
    assert t["Responses"][0]["Item"]["pk"] == S("c")
    ddb.delete_item(TableName=a, Key={"pk": S("c")})
    assert ddb.describe_time_to_live(TableName=a)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    backup = ddb.create_backup(TableName=a, BackupName="bk1")["BackupDetails"]
    assert backup["BackupArn"].startswith(a + "/backup/")
    assert [b["TableName"] for b in ddb.list_backups(TableName=a)["BackupSummaries"]] == [name]
    ddb.delete_backup(BackupArn=backup["BackupArn"])
    # Streams of a table named by ARN.
    ddb.update_table(TableName=a, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    streams = gureum.client("dynamodbstreams").list_streams(TableName=a)["Streams"]
    assert [s["TableName"] for s in streams] == [name]
    # The aws CLI too.
    cli = json.loads(gureum.cli("dynamodb", "get-item", "--table-name", a, "--key", '{"pk": {"S": "a"}}').stdout)
    assert cli["Item"]["pk"] == S("a")
    ddb.delete_table(TableName=a)
    fails(lambda: ddb.describe_table(TableName=name), "ResourceNotFoundException")


def test_arns_of_other_places_are_refused(gureum, ddb):
    name = table_name()
    create(ddb, name)
    fails(lambda: ddb.get_item(TableName=arn(name, region="eu-west-1"), Key={"pk": S("a")}), "ValidationException")
    fails(lambda: ddb.get_item(TableName=arn(name, account="111122223333"), Key={"pk": S("a")}),
          "AccessDeniedException")
    fails(lambda: ddb.get_item(TableName=arn(name) + "/index/x", Key={"pk": S("a")}), "ValidationException")
    fails(lambda: ddb.describe_table(TableName=f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:stream/{name}"),
          "ValidationException")
    fails(lambda: ddb.batch_get_item(RequestItems={arn(name, region="eu-west-1"): {"Keys": [{"pk": S("a")}]}}),
          "ValidationException")
    fails(lambda: ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": arn(name, account="111122223333"), "Key": {"pk": S("a")}}}]), "AccessDeniedException")
    # A name and its ARN are one table in a batch.
    fails(lambda: ddb.batch_get_item(RequestItems={name: {"Keys": [{"pk": S("a")}]},
                                                   arn(name): {"Keys": [{"pk": S("b")}]}}),
          "ValidationException")


def test_iam_sees_the_table_arn(gureum, ddb):
    iam = gureum.client("iam")
    name = table_name()
    other = table_name()
    create(ddb, name)
    create(ddb, other)
    user = "u-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem"],
                       "Resource": arn(name)}],
    }))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    client = gureum.client("dynamodb", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    client.get_item(TableName=arn(name), Key={"pk": S("a")})
    client.get_item(TableName=name, Key={"pk": S("a")})
    client.batch_get_item(RequestItems={arn(name): {"Keys": [{"pk": S("a")}]}})
    msg = fails(lambda: client.get_item(TableName=arn(other), Key={"pk": S("a")}), "AccessDeniedException")
    assert arn(other) in msg
    fails(lambda: client.batch_get_item(RequestItems={arn(other): {"Keys": [{"pk": S("a")}]}}),
          "AccessDeniedException")
