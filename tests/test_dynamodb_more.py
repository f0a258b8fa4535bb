"""DynamoDB beyond the basics, through boto3 and the aws CLI: the legacy (pre-expression)
parameters, consumed capacity, UpdateTable's index changes, per-table authorization of batches
and transactions.

Tests share one server, so each works in tables of its own (see `table_name`)."""
import datetime
import json
import uuid

import botocore.exceptions
import pytest


def fails(call, code, message=None, status=400):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    err = e.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), err["Error"]
    if message is not None:
        assert err["Error"]["Message"] == message
    return err["Error"]["Message"]


def table_name():
    return "m-" + uuid.uuid4().hex[:12]


@pytest.fixture
def ddb(gureum):
    return gureum.client("dynamodb")


def create(ddb, name, sk_type=None, **kw):
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sk_type:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attrs.append({"AttributeName": "sk", "AttributeType": sk_type})
    attrs += kw.pop("extra_attrs", [])
    kw.setdefault("BillingMode", "PAY_PER_REQUEST")
    return ddb.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=attrs, **kw)


S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731


# ---------------------------------------------------------------------------------------------
# Legacy parameters


def test_expected_guards_put_delete_and_update(ddb):
    name = table_name()
    create(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": N(1)}, Expected={"pk": {"Exists": False}})
    fails(
        lambda: ddb.put_item(TableName=name, Item={"pk": S("a"), "v": N(2)}, Expected={"pk": {"Exists": False}}),
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": N(2)}, Expected={"v": {"Value": N(1)}})
    fails(
        lambda: ddb.delete_item(TableName=name, Key={"pk": S("a")}, Expected={"v": {"Value": N(1)}}),
        "ConditionalCheckFailedException",
    )
    # OR: one of two holds.
    ddb.update_item(
        TableName=name,
        Key={"pk": S("a")},
        AttributeUpdates={"w": {"Value": S("x"), "Action": "PUT"}},
        Expected={
            "v": {"ComparisonOperator": "GT", "AttributeValueList": [N(10)]},
            "nope": {"ComparisonOperator": "NULL"},
        },
        ConditionalOperator="OR",
    )
    fails(
        lambda: ddb.update_item(
            TableName=name,
            Key={"pk": S("a")},
            AttributeUpdates={"w": {"Value": S("y")}},
            Expected={
                "v": {"ComparisonOperator": "GT", "AttributeValueList": [N(10)]},
                "nope": {"ComparisonOperator": "NULL"},
            },
        ),
        "ConditionalCheckFailedException",
    )
    assert ddb.get_item(TableName=name, Key={"pk": S("a")})["Item"]["w"] == S("x")
    ddb.delete_item(
        TableName=name,
        Key={"pk": S("a")},
        Expected={"v": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(1), N(3)]}},
    )
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": S("a")})


@pytest.mark.parametrize(
    "operator,values,holds",
    [
        ("EQ", [S("hello")], True),
        ("NE", [S("hello")], False),
        ("LE", [S("hello")], True),
        ("LT", [S("hello")], False),
        ("GE", [S("hellp")], False),
        ("GT", [S("a")], True),
        ("NOT_NULL", [], True),
        ("NULL", [], False),
        ("CONTAINS", [S("ell")], True),
        ("NOT_CONTAINS", [S("ell")], False),
        ("BEGINS_WITH", [S("he")], True),
        ("IN", [S("x"), S("hello")], True),
        ("BETWEEN", [S("a"), S("z")], True),
    ],
)
def test_every_comparison_operator_in_expected(ddb, gureum, operator, values, holds):
    name = "m-ops-" + operator.lower().replace("_", "-")
    try:
        create(ddb, name)
    except botocore.exceptions.ClientError:
        pass
    ddb.put_item(TableName=name, Item={"pk": S("k"), "s": S("hello")})
    cond = {"s": {"ComparisonOperator": operator, "AttributeValueList": values}}
    call = lambda: ddb.put_item(TableName=name, Item={"pk": S("k"), "s": S("hello")}, Expected=cond)  # noqa: E731
    if holds:
        call()
    else:
        fails(call, "ConditionalCheckFailedException")


def test_attribute_updates_put_add_delete(ddb):
    name = table_name()
    create(ddb, name)
    key = {"pk": S("u")}
    out = ddb.update_item(
        TableName=name,
        Key=key,
        AttributeUpdates={
            "count": {"Value": N(5), "Action": "ADD"},
            "tags": {"Value": {"SS": ["a", "b", "c"]}, "Action": "ADD"},
            "list": {"Value": {"L": [S("x")]}, "Action": "ADD"},
            "name": {"Value": S("n1")},
        },
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert out["count"] == N(5) and sorted(out["tags"]["SS"]) == ["a", "b", "c"] and out["list"] == {"L": [S("x")]}
    out = ddb.update_item(
        TableName=name,
        Key=key,
        AttributeUpdates={
            "count": {"Value": N(-2), "Action": "ADD"},
            "tags": {"Value": {"SS": ["b"]}, "Action": "DELETE"},
            "list": {"Value": {"L": [S("y")]}, "Action": "ADD"},
            "name": {"Action": "DELETE"},
        },
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    assert out["count"] == N(3) and sorted(out["tags"]["SS"]) == ["a", "c"]
    assert out["list"] == {"L": [S("x"), S("y")]} and "name" not in out
    item = ddb.get_item(TableName=name, Key=key)["Item"]
    assert "name" not in item and item["count"] == N(3)
    fails(
        lambda: ddb.update_item(TableName=name, Key=key, AttributeUpdates={"pk": {"Value": S("z")}}),
        "ValidationException",
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
    )
    fails(
        lambda: ddb.update_item(TableName=name, Key=key, AttributeUpdates={"x": {"Action": "ADD"}}),
        "ValidationException",
    )
    fails(
        lambda: ddb.update_item(TableName=name, Key=key, AttributeUpdates={"x": {"Value": S("s"), "Action": "ADD"}}),
        "ValidationException",
    )


def test_key_conditions_query_filter_and_attributes_to_get(ddb):
    name = table_name()
    create(ddb, name, "N")
    for i in range(10):
        ddb.put_item(TableName=name, Item={"pk": S("p"), "sk": N(i), "odd": {"BOOL": i % 2 == 1}, "x": S(f"v{i}")})
    ddb.put_item(TableName=name, Item={"pk": S("q"), "sk": N(1)})
    got = ddb.query(
        TableName=name,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(2), N(7)]},
        },
        QueryFilter={"odd": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]}},
        AttributesToGet=["sk", "x"],
        ScanIndexForward=False,
    )
    assert [i["sk"]["N"] for i in got["Items"]] == ["7", "5", "3"]
    assert got["Items"][0] == {"sk": N(7), "x": S("v7")}
    assert got["ScannedCount"] == 6
    got = ddb.query(
        TableName=name,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]},
            "sk": {"ComparisonOperator": "LT", "AttributeValueList": [N(3)]},
        },
    )
    assert [i["sk"]["N"] for i in got["Items"]] == ["0", "1", "2"]
    # KeyConditions with a FilterExpression is allowed; with a KeyConditionExpression it is not.
    got = ddb.query(
        TableName=name,
        KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]}},
        FilterExpression="sk > :n",
        ExpressionAttributeValues={":n": N(7)},
    )
    assert [i["sk"]["N"] for i in got["Items"]] == ["8", "9"]
    fails(
        lambda: ddb.query(
            TableName=name,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": S("p")},
            QueryFilter={"odd": {"ComparisonOperator": "NOT_NULL"}},
        ),
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}",
    )
    fails(
        lambda: ddb.query(
            TableName=name,
            KeyConditions={"pk": {"ComparisonOperator": "NE", "AttributeValueList": [S("p")]}},
        ),
        "ValidationException",
        "Attempted conditional constraint is not an indexable operation",
    )


def test_scan_filter_with_or(ddb):
    name = table_name()
    create(ddb, name)
    for i in range(6):
        ddb.put_item(TableName=name, Item={"pk": S(f"k{i}"), "n": N(i), "tags": {"SS": [f"t{i % 3}"]}})
    got = ddb.scan(
        TableName=name,
        ScanFilter={
            "n": {"ComparisonOperator": "IN", "AttributeValueList": [N(0), N(1)]},
            "tags": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [S("t2")]},
        },
        ConditionalOperator="OR",
    )
    assert sorted(i["pk"]["S"] for i in got["Items"]) == ["k0", "k1", "k2", "k5"]
    got = ddb.scan(
        TableName=name,
        ScanFilter={
            "n": {"ComparisonOperator": "GE", "AttributeValueList": [N(2)]},
            "tags": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("t2")]},
        },
    )
    assert sorted(i["pk"]["S"] for i in got["Items"]) == ["k3", "k4"]
    fails(
        lambda: ddb.scan(
            TableName=name,
            ScanFilter={"n": {"ComparisonOperator": "GT", "AttributeValueList": [N(1), N(2)]}},
        ),
        "ValidationException",
        "One or more parameter values were invalid: Invalid number of argument(s) for the GT ComparisonOperator",
    )
    fails(
        lambda: ddb.scan(
            TableName=name,
            ScanFilter={"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"SS": ["x"]}]}},
        ),
        "ValidationException",
        "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type",
    )


def test_legacy_validation_messages(ddb):
    name = table_name()
    create(ddb, name)
    item = {"pk": S("a")}
    fails(
        lambda: ddb.put_item(
            TableName=name, Item=item, Expected={"pk": {"Exists": False}}, ConditionExpression="attribute_not_exists(pk)"
        ),
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
    )
    fails(
        lambda: ddb.update_item(
            TableName=name,
            Key=item,
            AttributeUpdates={"x": {"Value": S("1")}},
            UpdateExpression="SET y = :v",
            ExpressionAttributeValues={":v": S("1")},
        ),
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
    )
    fails(
        lambda: ddb.get_item(TableName=name, Key=item, AttributesToGet=["pk"], ProjectionExpression="pk"),
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
    )
    fails(
        lambda: ddb.put_item(TableName=name, Item=item, Expected={"v": {"Exists": True}}),
        "ValidationException",
        "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: v",
    )
    fails(
        lambda: ddb.put_item(TableName=name, Item=item, Expected={"v": {"Exists": False, "Value": S("x")}}),
        "ValidationException",
        "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: v",
    )
    fails(
        lambda: ddb.put_item(
            TableName=name, Item=item, Expected={"v": {"Exists": True, "ComparisonOperator": "EQ", "AttributeValueList": [S("x")]}}
        ),
        "ValidationException",
        "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: v",
    )


def test_conditional_operator_needs_two_conditions(ddb):
    name = table_name()
    create(ddb, name)
    item = {"pk": S("a")}
    fails(
        lambda: ddb.put_item(TableName=name, Item=item, ConditionalOperator="AND"),
        "ValidationException",
        "ConditionalOperator cannot be used without Filter or Expected",
    )
    fails(
        lambda: ddb.put_item(TableName=name, Item=item, ConditionalOperator="OR", Expected={"pk": {"Exists": False}}),
        "ValidationException",
        "ConditionalOperator can only be used when Filter or Expected has two or more elements",
    )
    fails(
        lambda: ddb.scan(
            TableName=name, ScanFilter={"x": {"ComparisonOperator": "NULL"}}, ConditionalOperator="AND"
        ),
        "ValidationException",
        "ConditionalOperator can only be used when Filter or Expected has two or more elements",
    )
    fails(
        lambda: ddb.scan(
            TableName=name,
            AttributesToGet=["pk"],
            ScanFilter={"x": {"ComparisonOperator": "NULL"}},
            FilterExpression="attribute_exists(pk)",
            ProjectionExpression="pk",
        ),
        "ValidationException",
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet, ScanFilter} Expression parameters: {ProjectionExpression, FilterExpression}",
    )


def test_legacy_through_the_cli(gureum, ddb):
    name = table_name()
    create(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": S("c"), "n": N(1)})
    out = gureum.cli(
        "dynamodb", "put-item", "--table-name", name,
        "--item", json.dumps({"pk": S("c"), "n": N(2)}),
        "--expected", json.dumps({"n": {"Value": N(9)}}),
        check=False,
    )
    assert out.returncode != 0 and "ConditionalCheckFailedException" in out.stderr
    out = gureum.cli(
        "dynamodb", "scan", "--table-name", name,
        "--scan-filter", json.dumps({"n": {"ComparisonOperator": "EQ", "AttributeValueList": [N(1)]}}),
    )
    assert json.loads(out.stdout)["Count"] == 1


# ---------------------------------------------------------------------------------------------
# Consumed capacity


def gsi_table(ddb, name, **kw):
    return create(
        ddb,
        name,
        "S",
        extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "l", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "byL",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        **kw,
    )


def test_item_reads_and_writes_consume_dynamodbs_units(ddb):
    name = table_name()
    create(ddb, name)
    big = "x" * 5000  # 5 KB: 5 write units, 2 read units strongly consistent
    c = ddb.put_item(TableName=name, Item={"pk": S("a"), "v": S(big)}, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c["TableName"] == name and c["CapacityUnits"] == 5.0
    c = ddb.get_item(TableName=name, Key={"pk": S("a")}, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c["CapacityUnits"] == 1.0
    c = ddb.get_item(TableName=name, Key={"pk": S("a")}, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c["CapacityUnits"] == 2.0
    # A projection does not reduce what was read; a missing item still costs the minimum.
    c = ddb.get_item(TableName=name, Key={"pk": S("a")}, ProjectionExpression="pk", ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert c["ConsumedCapacity"]["CapacityUnits"] == 2.0 and c["Item"] == {"pk": S("a")}
    c = ddb.get_item(TableName=name, Key={"pk": S("none")}, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c["CapacityUnits"] == 0.5
    # An update is charged the larger of the item before and after.
    c = ddb.update_item(
        TableName=name, Key={"pk": S("a")}, UpdateExpression="REMOVE v", ReturnConsumedCapacity="TOTAL"
    )["ConsumedCapacity"]
    assert c["CapacityUnits"] == 5.0
    c = ddb.delete_item(TableName=name, Key={"pk": S("a")}, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c["CapacityUnits"] == 1.0
    assert "ConsumedCapacity" not in ddb.put_item(TableName=name, Item={"pk": S("b")})
    assert "ConsumedCapacity" not in ddb.put_item(TableName=name, Item={"pk": S("b")}, ReturnConsumedCapacity="NONE")


def test_index_writes_are_counted_with_indexes(ddb):
    name = table_name()
    gsi_table(ddb, name)
    c = ddb.put_item(
        TableName=name, Item={"pk": S("a"), "sk": S("1"), "g": S("G"), "l": S("L")}, ReturnConsumedCapacity="INDEXES"
    )["ConsumedCapacity"]
    assert c["CapacityUnits"] == 3.0
    assert c["Table"]["CapacityUnits"] == 1.0
    assert c["GlobalSecondaryIndexes"] == {"byG": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}
    assert c["LocalSecondaryIndexes"]["byL"]["CapacityUnits"] == 1.0
    # Moving the GSI key deletes one entry and writes another; the KEYS_ONLY LSI is unchanged.
    c = ddb.update_item(
        TableName=name,
        Key={"pk": S("a"), "sk": S("1")},
        UpdateExpression="SET g = :g",
        ExpressionAttributeValues={":g": S("H")},
        ReturnConsumedCapacity="INDEXES",
    )["ConsumedCapacity"]
    assert c["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 2.0
    assert "LocalSecondaryIndexes" not in c and c["CapacityUnits"] == 3.0
    c = ddb.update_item(
        TableName=name,
        Key={"pk": S("a"), "sk": S("1")},
        UpdateExpression="SET other = :o",
        ExpressionAttributeValues={":o": S("x")},
        ReturnConsumedCapacity="TOTAL",
    )["ConsumedCapacity"]
    assert c == {"TableName": name, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}


def test_query_and_scan_consume_by_total_size(ddb):
    name = table_name()
    gsi_table(ddb, name)
    for i in range(8):
        ddb.put_item(TableName=name, Item={"pk": S("p"), "sk": S(f"{i}"), "g": S("G"), "pad": S("y" * 1000)})
    # 8 items of about 1 KB: 2 units of 4 KB, halved when eventually consistent.
    c = ddb.query(
        TableName=name,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S("p")},
        ReturnConsumedCapacity="TOTAL",
    )["ConsumedCapacity"]
    assert c["CapacityUnits"] == 1.0
    c = ddb.query(
        TableName=name,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S("p")},
        ConsistentRead=True,
        Select="COUNT",
        ReturnConsumedCapacity="TOTAL",
    )["ConsumedCapacity"]
    assert c["CapacityUnits"] == 2.0
    c = ddb.query(
        TableName=name,
        IndexName="byG",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": S("G")},
        ReturnConsumedCapacity="INDEXES",
    )["ConsumedCapacity"]
    assert c["GlobalSecondaryIndexes"]["byG"]["CapacityUnits"] == 1.0 and c["Table"]["CapacityUnits"] == 0
    fails(
        lambda: ddb.query(
            TableName=name,
            IndexName="byG",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": S("G")},
            ConsistentRead=True,
        ),
        "ValidationException",
        "Consistent reads are not supported on global secondary indexes",
    )
    c = ddb.scan(TableName=name, Limit=2, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c["CapacityUnits"] == 0.5


def test_batches_and_transactions_report_per_table(ddb):
    a, b = table_name(), table_name()
    create(ddb, a)
    create(ddb, b)
    out = ddb.batch_write_item(
        RequestItems={
            a: [{"PutRequest": {"Item": {"pk": S(f"k{i}"), "v": S("z" * 1500)}}} for i in range(3)],
            b: [{"PutRequest": {"Item": {"pk": S("k")}}}],
        },
        ReturnConsumedCapacity="TOTAL",
    )
    by_table = {c["TableName"]: c["CapacityUnits"] for c in out["ConsumedCapacity"]}
    assert by_table == {a: 6.0, b: 1.0}
    out = ddb.batch_get_item(
        RequestItems={a: {"Keys": [{"pk": S("k0")}, {"pk": S("k1")}], "ConsistentRead": True}, b: {"Keys": [{"pk": S("k")}]}},
        ReturnConsumedCapacity="TOTAL",
    )
    by_table = {c["TableName"]: c["CapacityUnits"] for c in out["ConsumedCapacity"]}
    assert by_table == {a: 2.0, b: 0.5}
    out = ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": a, "Item": {"pk": S("t")}}},
            {"ConditionCheck": {"TableName": b, "Key": {"pk": S("k")}, "ConditionExpression": "attribute_exists(pk)"}},
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    by_table = {c["TableName"]: c for c in out["ConsumedCapacity"]}
    assert by_table[a]["CapacityUnits"] == 2.0 and by_table[a]["WriteCapacityUnits"] == 2.0
    assert by_table[b]["CapacityUnits"] == 2.0 and by_table[b]["ReadCapacityUnits"] == 2.0
    out = ddb.transact_get_items(
        TransactItems=[{"Get": {"TableName": a, "Key": {"pk": S("k0")}}}, {"Get": {"TableName": a, "Key": {"pk": S("t")}}}],
        ReturnConsumedCapacity="TOTAL",
    )
    assert out["ConsumedCapacity"] == [{"TableName": a, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}]


def test_item_collection_metrics_for_tables_with_local_indexes(ddb):
    name = table_name()
    gsi_table(ddb, name)
    out = ddb.put_item(
        TableName=name, Item={"pk": S("a"), "sk": S("1"), "l": S("L")}, ReturnItemCollectionMetrics="SIZE"
    )
    m = out["ItemCollectionMetrics"]
    assert m["ItemCollectionKey"] == {"pk": S("a")} and m["SizeEstimateRangeGB"] == [0.0, 1.0]
    out = ddb.batch_write_item(
        RequestItems={name: [{"PutRequest": {"Item": {"pk": S("b"), "sk": S("1")}}}]}, ReturnItemCollectionMetrics="SIZE"
    )
    assert out["ItemCollectionMetrics"][name][0]["ItemCollectionKey"] == {"pk": S("b")}
    plain = table_name()
    create(ddb, plain)
    assert "ItemCollectionMetrics" not in ddb.put_item(TableName=plain, Item={"pk": S("a")}, ReturnItemCollectionMetrics="SIZE")


def test_consumed_capacity_through_the_cli(gureum, ddb):
    name = table_name()
    create(ddb, name)
    out = gureum.cli(
        "dynamodb", "put-item", "--table-name", name, "--item", json.dumps({"pk": S("c")}),
        "--return-consumed-capacity", "TOTAL",
    )
    assert json.loads(out.stdout)["ConsumedCapacity"]["CapacityUnits"] == 1.0


# ---------------------------------------------------------------------------------------------
# UpdateTable


def test_update_table_creates_a_gsi_backfilled_and_deletes_it(ddb):
    name = table_name()
    create(ddb, name)
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": S(f"k{i}"), "color": S("red" if i % 2 else "blue"), "n": N(i)})
    ddb.put_item(TableName=name, Item={"pk": S("wrong-type"), "color": N(1)})
    ddb.put_item(TableName=name, Item={"pk": S("no-color")})
    desc = ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "color", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "byColor",
                    "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["n"]},
                }
            }
        ],
    )["TableDescription"]
    assert desc["TableStatus"] == "UPDATING"
    (gsi,) = desc["GlobalSecondaryIndexes"]
    assert gsi["IndexStatus"] == "CREATING" and gsi["Backfilling"] is True
    ddb.get_waiter("table_exists").wait(TableName=name)
    table = ddb.describe_table(TableName=name)["Table"]
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexStatus"] == "ACTIVE" and gsi["ItemCount"] == 5
    assert {"AttributeName": "color", "AttributeType": "S"} in table["AttributeDefinitions"]
    got = ddb.query(
        TableName=name, IndexName="byColor", KeyConditionExpression="color = :c", ExpressionAttributeValues={":c": S("red")}
    )["Items"]
    assert sorted(i["pk"]["S"] for i in got) == ["k1", "k3"] and set(got[0]) == {"pk", "color", "n"}
    # New writes reach the index too.
    ddb.put_item(TableName=name, Item={"pk": S("k9"), "color": S("red")})
    assert ddb.query(
        TableName=name, IndexName="byColor", KeyConditionExpression="color = :c", ExpressionAttributeValues={":c": S("red")}
    )["Count"] == 3
    fails(
        lambda: ddb.update_table(
            TableName=name,
            GlobalSecondaryIndexUpdates=[
                {"Create": {"IndexName": "byColor", "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}
            ],
        ),
        "ValidationException",
        "One or more parameter values were invalid: Index with name: byColor already exists",
    )
    desc = ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byColor"}}])["TableDescription"]
    assert [g["IndexStatus"] for g in desc["GlobalSecondaryIndexes"]] == ["DELETING"]
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=name)["Table"]
    fails(
        lambda: ddb.query(
            TableName=name, IndexName="byColor", KeyConditionExpression="color = :c", ExpressionAttributeValues={":c": S("red")}
        ),
        "ValidationException",
        "The table does not have the specified index: byColor",
    )
    fails(
        lambda: ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byColor"}}]),
        "ResourceNotFoundException",
    )


def test_update_table_index_errors(ddb):
    name = table_name()
    create(ddb, name)
    fails(
        lambda: ddb.update_table(
            TableName=name,
            GlobalSecondaryIndexUpdates=[
                {"Create": {"IndexName": "byX", "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}
            ],
        ),
        "ValidationException",
        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [x], AttributeDefinitions: [pk]",
    )
    two = [
        {"Create": {"IndexName": f"by{a}", "KeySchema": [{"AttributeName": a, "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}
        for a in ("x", "y")
    ]
    fails(
        lambda: ddb.update_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("x", "y")],
            GlobalSecondaryIndexUpdates=two,
        ),
        "LimitExceededException",
    )
    for i in range(20):
        ddb.update_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": f"a{i}", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[
                {"Create": {"IndexName": f"ix{i}", "KeySchema": [{"AttributeName": f"a{i}", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}}
            ],
        )
    fails(
        lambda: ddb.update_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "x", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=two[:1],
        ),
        "LimitExceededException",
    )
    assert len(ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]) == 20
    fails(lambda: ddb.update_table(TableName=name), "ValidationException")


def test_update_table_billing_throughput_streams_and_deletion_protection(ddb):
    name = table_name()
    create(
        ddb,
        name,
        extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}
        ],
        DeletionProtectionEnabled=True,
    )
    assert ddb.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is True
    fails(
        lambda: ddb.delete_table(TableName=name),
        "ValidationException",
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
    )
    desc = ddb.update_table(
        TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}
    )["TableDescription"]
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert desc["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    desc = ddb.update_table(
        TableName=name,
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "byG", "ProvisionedThroughput": {"ReadCapacityUnits": 7, "WriteCapacityUnits": 8}}}
        ],
    )["TableDescription"]
    assert desc["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    desc = ddb.update_table(
        TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )["TableDescription"]
    assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    assert ddb.describe_table(TableName=name)["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ddb.delete_table(TableName=name)


def test_update_table_gsi_through_the_cli(gureum, ddb):
    name = table_name()
    create(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "e": S("x")})
    gureum.cli(
        "dynamodb", "update-table", "--table-name", name,
        "--attribute-definitions", "AttributeName=e,AttributeType=S",
        "--global-secondary-index-updates",
        json.dumps([{"Create": {"IndexName": "byE", "KeySchema": [{"AttributeName": "e", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}]),
    )
    out = gureum.cli(
        "dynamodb", "query", "--table-name", name, "--index-name", "byE",
        "--key-condition-expression", "e = :e", "--expression-attribute-values", json.dumps({":e": S("x")}),
    )
    assert json.loads(out.stdout)["Count"] == 1


# ---------------------------------------------------------------------------------------------
# Authorization of batches and transactions, per table


def user_allowed(gureum, actions, resources):
    iam = gureum.client("iam")
    user = "ddb-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=user)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}]}
    iam.put_user_policy(UserName=user, PolicyName="one-table", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return gureum.client("dynamodb", key=key["AccessKeyId"], secret=key["SecretAccessKey"]), user


def denied(call, action, resource):
    message = fails(call, "AccessDeniedException")
    assert f"is not authorized to perform: {action} on resource: {resource}" in message, message


def test_batches_and_transactions_are_authorized_per_table(gureum, ddb):
    mine, other = table_name(), table_name()
    create(ddb, mine, extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
           GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
    create(ddb, other)
    arn = lambda t: f"arn:aws:dynamodb:us-east-1:000000000000:table/{t}"  # noqa: E731
    client, _ = user_allowed(
        gureum,
        ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:GetItem",
         "dynamodb:ConditionCheckItem", "dynamodb:Query"],
        [arn(mine)],
    )
    client.batch_write_item(RequestItems={mine: [{"PutRequest": {"Item": {"pk": S("a"), "g": S("G")}}}]})
    assert client.batch_get_item(RequestItems={mine: {"Keys": [{"pk": S("a")}]}})["Responses"][mine][0]["pk"] == S("a")
    denied(
        lambda: client.batch_write_item(
            RequestItems={mine: [{"PutRequest": {"Item": {"pk": S("b")}}}], other: [{"PutRequest": {"Item": {"pk": S("b")}}}]}
        ),
        "dynamodb:BatchWriteItem",
        arn(other),
    )
    # Nothing of a refused batch was written.
    assert "Item" not in ddb.get_item(TableName=mine, Key={"pk": S("b")})
    denied(
        lambda: client.batch_get_item(RequestItems={other: {"Keys": [{"pk": S("a")}]}}),
        "dynamodb:BatchGetItem",
        arn(other),
    )
    client.transact_write_items(TransactItems=[{"Put": {"TableName": mine, "Item": {"pk": S("t")}}}])
    denied(
        lambda: client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": mine, "Item": {"pk": S("t2")}}},
                {"ConditionCheck": {"TableName": other, "Key": {"pk": S("x")}, "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
        ),
        "dynamodb:ConditionCheckItem",
        arn(other),
    )
    denied(
        lambda: client.transact_write_items(
            TransactItems=[{"Delete": {"TableName": mine, "Key": {"pk": S("t")}}}]
        ),
        "dynamodb:DeleteItem",
        arn(mine),
    )
    assert client.transact_get_items(TransactItems=[{"Get": {"TableName": mine, "Key": {"pk": S("t")}}}])["Responses"][0]["Item"]
    denied(
        lambda: client.transact_get_items(TransactItems=[{"Get": {"TableName": other, "Key": {"pk": S("t")}}}]),
        "dynamodb:GetItem",
        arn(other),
    )
    # A query of an index is authorized on the index's ARN.
    client.query(TableName=mine, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("a")})
    denied(
        lambda: client.query(TableName=mine, IndexName="byG", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": S("G")}),
        "dynamodb:Query",
        arn(mine) + "/index/byG",
    )


# ---------------------------------------------------------------------------------------------
# PartiQL


def test_partiql_insert_select_update_delete(ddb):
    name = table_name()
    create(ddb, name, "N")
    for i in range(5):
        ddb.execute_statement(
            Statement=f'INSERT INTO "{name}" VALUE {{\'pk\': ?, \'sk\': ?, \'tag\': \'t{i % 2}\', \'l\': [1, \'two\']}}',
            Parameters=[S("p"), N(i)],
        )
    item = ddb.get_item(TableName=name, Key={"pk": S("p"), "sk": N(3)})["Item"]
    assert item == {"pk": S("p"), "sk": N(3), "tag": S("t1"), "l": {"L": [N(1), S("two")]}}
    fails(
        lambda: ddb.execute_statement(Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': 'p', 'sk': 3}}"),
        "DuplicateItemException",
        "Duplicate primary key exists in table",
    )
    got = ddb.execute_statement(Statement=f'SELECT sk, tag FROM "{name}" WHERE pk = ? AND tag = \'t1\'', Parameters=[S("p")])
    assert got["Items"] == [{"sk": N(1), "tag": S("t1")}, {"sk": N(3), "tag": S("t1")}]
    got = ddb.execute_statement(Statement=f'SELECT * FROM "{name}" WHERE sk BETWEEN 1 AND 3')
    assert sorted(int(i["sk"]["N"]) for i in got["Items"]) == [1, 2, 3]
    # Limit and NextToken page through.
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = ddb.execute_statement(Statement=f'SELECT sk FROM "{name}" WHERE pk = \'p\'', Limit=2, **kw)
        seen += [int(i["sk"]["N"]) for i in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [0, 1, 2, 3, 4]
    ddb.execute_statement(
        Statement=f'UPDATE "{name}" SET tag = ? SET n = 10 REMOVE l WHERE pk = \'p\' AND sk = 2', Parameters=[S("new")]
    )
    ddb.execute_statement(Statement=f"UPDATE \"{name}\" SET n = n + 5 WHERE pk = 'p' AND sk = 2")
    item = ddb.get_item(TableName=name, Key={"pk": S("p"), "sk": N(2)})["Item"]
    assert item["tag"] == S("new") and item["n"] == N(15) and "l" not in item
    fails(
        lambda: ddb.execute_statement(Statement=f"UPDATE \"{name}\" SET n = 1 WHERE pk = 'p' AND sk = 99"),
        "ConditionalCheckFailedException",
    )
    fails(
        lambda: ddb.execute_statement(Statement=f"UPDATE \"{name}\" SET n = 1 WHERE pk = 'p'"),
        "ValidationException",
        "Where clause does not contain a mandatory equality on all key attributes",
    )
    fails(
        lambda: ddb.execute_statement(Statement=f"DELETE FROM \"{name}\" WHERE pk = 'p' AND sk = 2 AND n = 1"),
        "ConditionalCheckFailedException",
    )
    ddb.execute_statement(Statement=f"DELETE FROM \"{name}\" WHERE pk = 'p' AND sk = 2 AND n = 15")
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": S("p"), "sk": N(2)})


def test_partiql_errors(ddb):
    name = table_name()
    create(ddb, name)
    msg = fails(lambda: ddb.execute_statement(Statement=f'SELEC * FROM "{name}"'), "ValidationException")
    assert msg.startswith("Statement wasn't well formed, can't be processed:")
    fails(
        lambda: ddb.execute_statement(Statement=f'SELECT * FROM "{name}" WHERE pk = ?'),
        "ValidationException",
        "Number of parameters in request and statement don't match.",
    )
    fails(
        lambda: ddb.execute_statement(Statement=f'SELECT * FROM "{name}"', Parameters=[S("x")]),
        "ValidationException",
        "Number of parameters in request and statement don't match.",
    )
    fails(lambda: ddb.execute_statement(Statement='SELECT * FROM "no-such-table-here"'), "ResourceNotFoundException")
    fails(
        lambda: ddb.execute_statement(Statement=f'SELECT * FROM "{name}"."nope"'),
        "ValidationException",
        "The table does not have the specified index: nope",
    )
    fails(
        lambda: ddb.execute_statement(Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 's': <<'x', 'x'>>}}"),
        "ValidationException",
        "Input collection [x, x] contains duplicates.",
    )
    deep = f'SELECT * FROM "{name}" WHERE ' + "(" * 100 + "pk = 'a'" + ")" * 100
    fails(lambda: ddb.execute_statement(Statement=deep), "ValidationException")


def test_partiql_batch_and_transaction(ddb):
    name = table_name()
    create(ddb, name)
    out = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': ?, 'v': 1}}", "Parameters": [S(k)]} for k in ("a", "b")
        ]
        + [{"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'a'}}"}]
    )["Responses"]
    assert "Error" not in out[0] and "Error" not in out[1]
    assert out[2]["Error"]["Code"] == "DuplicateItem"
    out = ddb.batch_execute_statement(
        Statements=[{"Statement": f"SELECT * FROM \"{name}\" WHERE pk = ?", "Parameters": [S(k)]} for k in ("a", "zz")]
    )["Responses"]
    assert out[0]["Item"]["pk"] == S("a") and "Item" not in out[1]
    fails(
        lambda: ddb.execute_transaction(
            TransactStatements=[
                {"Statement": f"UPDATE \"{name}\" SET v = 2 WHERE pk = 'a'"},
                {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'b'}}"},
            ]
        ),
        "TransactionCanceledException",
    )
    # All or nothing: the update of a did not land.
    assert ddb.get_item(TableName=name, Key={"pk": S("a")})["Item"]["v"] == N(1)
    ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"UPDATE \"{name}\" SET v = 2 WHERE pk = 'a'"},
            {"Statement": f"DELETE FROM \"{name}\" WHERE pk = 'b'"},
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'c', 's': <<'x', 'y'>>}}"},
        ]
    )
    out = ddb.execute_transaction(
        TransactStatements=[{"Statement": f"SELECT v FROM \"{name}\" WHERE pk = ?", "Parameters": [S(k)]} for k in ("a", "b")]
    )["Responses"]
    assert out == [{"Item": {"v": N(2)}}, {}]
    assert sorted(ddb.get_item(TableName=name, Key={"pk": S("c")})["Item"]["s"]["SS"]) == ["x", "y"]


def test_partiql_is_authorized_per_statement(gureum, ddb):
    mine, other = table_name(), table_name()
    create(ddb, mine, extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
           GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
    create(ddb, other)
    arn = lambda t: f"arn:aws:dynamodb:us-east-1:000000000000:table/{t}"  # noqa: E731
    client, _ = user_allowed(gureum, ["dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert"], [arn(mine)])
    client.execute_statement(Statement=f"INSERT INTO \"{mine}\" VALUE {{'pk': 'a'}}")
    assert client.execute_statement(Statement=f'SELECT * FROM "{mine}"')["Items"] == [{"pk": S("a")}]
    denied(
        lambda: client.execute_statement(Statement=f'SELECT * FROM "{mine}"."byG"'),
        "dynamodb:PartiQLSelect",
        arn(mine) + "/index/byG",
    )
    denied(
        lambda: client.execute_statement(Statement=f"DELETE FROM \"{mine}\" WHERE pk = 'a'"),
        "dynamodb:PartiQLDelete",
        arn(mine),
    )
    denied(
        lambda: client.execute_transaction(
            TransactStatements=[
                {"Statement": f"INSERT INTO \"{mine}\" VALUE {{'pk': 'b'}}"},
                {"Statement": f"INSERT INTO \"{other}\" VALUE {{'pk': 'b'}}"},
            ]
        ),
        "dynamodb:PartiQLInsert",
        arn(other),
    )


def test_partiql_through_the_cli(gureum, ddb):
    name = table_name()
    create(ddb, name)
    gureum.cli("dynamodb", "execute-statement", "--statement", f"INSERT INTO \"{name}\" VALUE {{'pk': 'cli', 'n': 7}}")
    out = gureum.cli("dynamodb", "execute-statement", "--statement", f"SELECT n FROM \"{name}\" WHERE pk = 'cli'")
    assert json.loads(out.stdout)["Items"] == [{"n": {"N": "7"}}]


# ---------------------------------------------------------------------------------------------
# Backups and point-in-time recovery


def test_backup_restore_list_and_delete(ddb):
    name = table_name()
    gsi_table(ddb, name)
    for i in range(4):
        ddb.put_item(TableName=name, Item={"pk": S("p"), "sk": S(f"{i}"), "g": S("G" if i < 2 else "H"), "l": S(f"l{i}")})
    details = ddb.create_backup(TableName=name, BackupName="before")["BackupDetails"]
    assert details["BackupStatus"] == "AVAILABLE" and details["BackupType"] == "USER"
    assert details["BackupArn"].startswith(f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}/backup/")
    # Changes after the backup do not reach it.
    ddb.put_item(TableName=name, Item={"pk": S("p"), "sk": S("9"), "g": S("G")})
    ddb.delete_item(TableName=name, Key={"pk": S("p"), "sk": S("0")})
    desc = ddb.describe_backup(BackupArn=details["BackupArn"])["BackupDescription"]
    assert desc["SourceTableDetails"]["TableName"] == name and desc["SourceTableDetails"]["ItemCount"] == 4
    assert [g["IndexName"] for g in desc["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"]] == ["byG"]
    listed = ddb.list_backups(TableName=name)["BackupSummaries"]
    assert [b["BackupArn"] for b in listed] == [details["BackupArn"]]
    restored = name + "-r"
    desc = ddb.restore_table_from_backup(TargetTableName=restored, BackupArn=details["BackupArn"])["TableDescription"]
    assert desc["RestoreSummary"]["SourceBackupArn"] == details["BackupArn"]
    assert desc["RestoreSummary"]["RestoreInProgress"] is False
    assert desc["ItemCount"] == 4
    keys = sorted(i["sk"]["S"] for i in ddb.scan(TableName=restored)["Items"])
    assert keys == ["0", "1", "2", "3"]
    # Indexes come back with their entries.
    got = ddb.query(TableName=restored, IndexName="byG", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": S("G")})
    assert sorted(i["sk"]["S"] for i in got["Items"]) == ["0", "1"]
    got = ddb.query(
        TableName=restored, IndexName="byL", KeyConditionExpression="pk = :p AND l = :l",
        ExpressionAttributeValues={":p": S("p"), ":l": S("l3")},
    )
    assert got["Count"] == 1
    fails(
        lambda: ddb.restore_table_from_backup(TargetTableName=restored, BackupArn=details["BackupArn"]),
        "TableAlreadyExistsException",
    )
    # Backups outlive their table.
    ddb.delete_table(TableName=name)
    assert ddb.describe_backup(BackupArn=details["BackupArn"])["BackupDescription"]["BackupDetails"]["BackupName"] == "before"
    deleted = ddb.delete_backup(BackupArn=details["BackupArn"])["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    fails(lambda: ddb.describe_backup(BackupArn=details["BackupArn"]), "BackupNotFoundException")
    fails(lambda: ddb.delete_backup(BackupArn=details["BackupArn"]), "BackupNotFoundException")
    fails(lambda: ddb.create_backup(TableName="no-such-table-x", BackupName="bak"), "TableNotFoundException")
    fails(
        lambda: ddb.restore_table_from_backup(TargetTableName="x-" + name, BackupArn=details["BackupArn"]),
        "BackupNotFoundException",
    )


def test_backups_through_the_cli(gureum, ddb):
    name = table_name()
    create(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": S("a")})
    arn = json.loads(gureum.cli("dynamodb", "create-backup", "--table-name", name, "--backup-name", "cli").stdout)["BackupDetails"]["BackupArn"]
    out = json.loads(gureum.cli("dynamodb", "list-backups", "--table-name", name).stdout)
    assert [b["BackupName"] for b in out["BackupSummaries"]] == ["cli"]
    gureum.cli("dynamodb", "restore-table-from-backup", "--target-table-name", name + "-c", "--backup-arn", arn)
    assert ddb.get_item(TableName=name + "-c", Key={"pk": S("a")})["Item"] == {"pk": S("a")}


def test_point_in_time_recovery_on_the_server_clock(start_gureum):
    server = start_gureum().start()
    ddb = server.client("dynamodb")
    name = "pitr"
    create(ddb, name)
    fails(
        lambda: ddb.restore_table_to_point_in_time(SourceTableName=name, TargetTableName="r-0", UseLatestRestorableTime=True),
        "PointInTimeRecoveryUnavailableException",
    )
    assert ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"
    ] == "DISABLED"
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": N(1)})
    desc = ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert desc["PointInTimeRecoveryStatus"] == "ENABLED" and desc["RecoveryPeriodInDays"] == 35
    enabled_at = desc["EarliestRestorableDateTime"]

    def advance(seconds):
        assert server.admin("/_gureum/clock", {"advance_seconds": seconds})[0] == 200

    def now():
        return ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"][
            "PointInTimeRecoveryDescription"]["LatestRestorableDateTime"]

    advance(10)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "v": N(2)})
    ddb.put_item(TableName=name, Item={"pk": S("b"), "v": N(1)})
    t1 = now()
    advance(10)
    ddb.delete_item(TableName=name, Key={"pk": S("b")})
    ddb.update_item(TableName=name, Key={"pk": S("a")}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": N(3)})
    t2 = now()
    advance(10)

    def restored(target, **kw):
        ddb.restore_table_to_point_in_time(SourceTableName=name, TargetTableName=target, **kw)
        return {i["pk"]["S"]: int(i["v"]["N"]) for i in ddb.scan(TableName=target)["Items"]}

    assert restored("r-start", RestoreDateTime=enabled_at) == {"a": 1}
    assert restored("r-t1", RestoreDateTime=t1) == {"a": 2, "b": 1}
    assert restored("r-t2", RestoreDateTime=t2) == {"a": 3}
    assert restored("r-latest", UseLatestRestorableTime=True) == {"a": 3}
    desc = ddb.describe_table(TableName="r-t1")["Table"]
    assert desc["RestoreSummary"]["SourceTableArn"].endswith(":table/pitr") and desc["ItemCount"] == 2
    fails(
        lambda: ddb.restore_table_to_point_in_time(SourceTableName=name, TargetTableName="r-early", RestoreDateTime=enabled_at - datetime.timedelta(hours=1)),
        "InvalidRestoreTimeException",
    )
    fails(
        lambda: ddb.restore_table_to_point_in_time(SourceTableName=name, TargetTableName="r-t1", UseLatestRestorableTime=True),
        "TableAlreadyExistsException",
    )
    # Past the window, the earliest restorable time moves with the clock; the state there is
    # still the one the log replays to.
    ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 1}
    )
    advance(2 * 24 * 3600)
    ddb.put_item(TableName=name, Item={"pk": S("c"), "v": N(9)})
    desc = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert desc["EarliestRestorableDateTime"] > t2
    assert restored("r-window", RestoreDateTime=desc["EarliestRestorableDateTime"]) == {"a": 3}
    fails(
        lambda: ddb.restore_table_to_point_in_time(SourceTableName=name, TargetTableName="r-old", RestoreDateTime=t1),
        "InvalidRestoreTimeException",
    )
    assert restored("r-now", UseLatestRestorableTime=True) == {"a": 3, "c": 9}
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    fails(
        lambda: ddb.restore_table_to_point_in_time(SourceTableName=name, TargetTableName="r-off", UseLatestRestorableTime=True),
        "PointInTimeRecoveryUnavailableException",
    )
    fails(lambda: ddb.describe_continuous_backups(TableName="nope"), "TableNotFoundException")


def test_index_sort_key_conditions_select_whole_entries(ddb):
    name = table_name()
    create(
        ddb, name, "S",
        extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "r", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "byGR",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "r", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    )
    for i in range(6):
        ddb.put_item(TableName=name, Item={"pk": S(f"k{i}"), "sk": S("s"), "g": S("G"), "r": N(i % 3)})

    def q(cond, **values):
        got = ddb.query(
            TableName=name, IndexName="byGR", KeyConditionExpression="g = :g AND " + cond,
            ExpressionAttributeValues={":g": S("G"), **{f":{k}": N(v) for k, v in values.items()}},
        )
        return sorted(i["pk"]["S"] for i in got["Items"])

    assert q("r = :a", a=1) == ["k1", "k4"]
    assert q("r <= :a", a=1) == ["k0", "k1", "k3", "k4"]
    assert q("r < :a", a=1) == ["k0", "k3"]
    assert q("r > :a", a=1) == ["k2", "k5"]
    assert q("r >= :a", a=1) == ["k1", "k2", "k4", "k5"]
    assert q("r BETWEEN :a AND :b", a=1, b=2) == ["k1", "k2", "k4", "k5"]


def test_partiql_returning(ddb):
    name = table_name()
    create(ddb, name)
    ddb.execute_statement(Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'x': 1, 'y': 'keep'}}")
    got = ddb.execute_statement(Statement=f"UPDATE \"{name}\" SET x = 2 WHERE pk = 'a' RETURNING MODIFIED OLD *")
    assert got["Items"] == [{"x": N(1)}]
    got = ddb.execute_statement(Statement=f"UPDATE \"{name}\" SET x = 3 WHERE pk = 'a' RETURNING ALL NEW *")
    assert got["Items"] == [{"pk": S("a"), "x": N(3), "y": S("keep")}]
    got = ddb.execute_statement(Statement=f"DELETE FROM \"{name}\" WHERE pk = 'a' RETURNING ALL OLD *")
    assert got["Items"] == [{"pk": S("a"), "x": N(3), "y": S("keep")}]
    fails(
        lambda: ddb.execute_statement(Statement=f"DELETE FROM \"{name}\" WHERE pk = 'a' RETURNING ALL NEW *"),
        "ValidationException",
    )


def test_select_rules_of_query_and_scan(ddb):
    name = table_name()
    create(
        ddb, name, "S",
        extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "keys", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    )
    ddb.put_item(TableName=name, Item={"pk": S("a"), "sk": S("1"), "g": S("G"), "other": S("x")})
    q = dict(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("a")})
    assert ddb.query(**q, Select="COUNT")["Count"] == 1 and "Items" not in ddb.query(**q, Select="COUNT")
    assert ddb.query(**q, Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="sk")["Items"] == [{"sk": S("1")}]
    fails(lambda: ddb.query(**q, Select="COUNT", ProjectionExpression="sk"), "ValidationException",
          "Cannot specify the ProjectionExpression when choosing to get only the Count")
    legacy = dict(TableName=name, KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("a")]}})
    fails(lambda: ddb.query(**legacy, Select="ALL_ATTRIBUTES", AttributesToGet=["sk"]), "ValidationException",
          "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES")
    fails(lambda: ddb.query(**q, Select="ALL_PROJECTED_ATTRIBUTES"), "ValidationException",
          "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    fails(lambda: ddb.scan(TableName=name, Select="SPECIFIC_ATTRIBUTES"), "ValidationException")
    got = ddb.scan(TableName=name, IndexName="keys", Select="ALL_PROJECTED_ATTRIBUTES")["Items"]
    assert got == [{"pk": S("a"), "sk": S("1"), "g": S("G")}]
    fails(lambda: ddb.scan(TableName=name, IndexName="keys", Select="ALL_ATTRIBUTES"), "ValidationException",
          "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index keys because its projection type is not ALL")


def test_backups_and_recovery_log_survive_a_restart(start_gureum, tmp_path):
    server = start_gureum(data_dir=str(tmp_path)).start()
    ddb = server.client("dynamodb")
    create(ddb, "kept")
    ddb.put_item(TableName="kept", Item={"pk": S("a")})
    arn = ddb.create_backup(TableName="kept", BackupName="b-1")["BackupDetails"]["BackupArn"]
    ddb.create_backup(TableName="kept", BackupName="b-2")
    ddb.update_continuous_backups(TableName="kept", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    ddb.put_item(TableName="kept", Item={"pk": S("b")})
    port = server.port
    server.kill()
    again = start_gureum(data_dir=str(tmp_path), port=port).start()
    ddb = again.client("dynamodb")
    page = ddb.list_backups(TableName="kept", Limit=1)
    assert [b["BackupName"] for b in page["BackupSummaries"]] == ["b-1"]
    page = ddb.list_backups(TableName="kept", ExclusiveStartBackupArn=page["LastEvaluatedBackupArn"])
    assert [b["BackupName"] for b in page["BackupSummaries"]] == ["b-2"] and "LastEvaluatedBackupArn" not in page
    ddb.restore_table_from_backup(TargetTableName="from-backup", BackupArn=arn)
    assert [i["pk"]["S"] for i in ddb.scan(TableName="from-backup")["Items"]] == ["a"]
    ddb.restore_table_to_point_in_time(SourceTableName="kept", TargetTableName="from-log", UseLatestRestorableTime=True)
    assert sorted(i["pk"]["S"] for i in ddb.scan(TableName="from-log")["Items"]) == ["a", "b"]


def test_partiql_transaction_client_request_token(ddb):
    name = table_name()
    create(ddb, name)
    statements = [{"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'once'}}"}]
    token = uuid.uuid4().hex
    ddb.execute_transaction(TransactStatements=statements, ClientRequestToken=token)
    # A retry with the same token is answered without running again (no DuplicateItem).
    ddb.execute_transaction(TransactStatements=statements, ClientRequestToken=token)
    fails(
        lambda: ddb.execute_transaction(
            TransactStatements=[{"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'other'}}"}], ClientRequestToken=token
        ),
        "IdempotentParameterMismatchException",
    )
    fails(lambda: ddb.execute_transaction(TransactStatements=statements), "TransactionCanceledException")


def test_restore_overrides_indexes_and_encryption(ddb, gureum):
    name = table_name()
    gsi_table(ddb, name)
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": S("p"), "sk": S(f"{i}"), "g": S("G"), "l": S(f"l{i}")})
    backup = ddb.create_backup(TableName=name, BackupName="over")["BackupDetails"]["BackupArn"]
    # A new GSI on a defined attribute, keys only; every LSI dropped; SSE under a KMS key.
    target = name + "-o"
    desc = ddb.restore_table_from_backup(
        TargetTableName=target, BackupArn=backup,
        GlobalSecondaryIndexOverride=[{"IndexName": "byL2", "KeySchema": [{"AttributeName": "l", "KeyType": "HASH"}],
                                       "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        LocalSecondaryIndexOverride=[],
        SSESpecificationOverride={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/mine"},
    )["TableDescription"]
    assert [g["IndexName"] for g in desc["GlobalSecondaryIndexes"]] == ["byL2"]
    assert "LocalSecondaryIndexes" not in desc
    assert desc["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS",
                                      "KMSMasterKeyArn": "arn:aws:kms:us-east-1:000000000000:alias/mine"}
    got = ddb.query(TableName=target, IndexName="byL2", KeyConditionExpression="l = :l",
                    ExpressionAttributeValues={":l": S("l1")})
    assert got["Items"] == [{"pk": S("p"), "sk": S("1"), "l": S("l1")}]
    fails(lambda: ddb.query(TableName=target, IndexName="byG", KeyConditionExpression="g = :g",
                            ExpressionAttributeValues={":g": S("G")}), "ValidationException")
    # Without overrides the source's indexes and encryption come back.
    plain = name + "-p"
    desc = ddb.restore_table_from_backup(TargetTableName=plain, BackupArn=backup)["TableDescription"]
    assert [g["IndexName"] for g in desc["GlobalSecondaryIndexes"]] == ["byG"]
    assert [g["IndexName"] for g in desc["LocalSecondaryIndexes"]] == ["byL"]
    assert "SSEDescription" not in desc
    # Invalid overrides are refused and create nothing.
    bad = name + "-b"
    fails(lambda: ddb.restore_table_from_backup(
        TargetTableName=bad, BackupArn=backup,
        GlobalSecondaryIndexOverride=[{"IndexName": "xxx", "KeySchema": [{"AttributeName": "nope", "KeyType": "HASH"}],
                                       "Projection": {"ProjectionType": "ALL"}}]), "ValidationException")
    fails(lambda: ddb.restore_table_from_backup(
        TargetTableName=bad, BackupArn=backup, BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        GlobalSecondaryIndexOverride=[{"IndexName": "xxx", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                       "Projection": {"ProjectionType": "ALL"}}]),
        "ValidationException", "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: xxx")
    fails(lambda: ddb.restore_table_from_backup(
        TargetTableName=bad, BackupArn=backup, SSESpecificationOverride={"Enabled": False, "KMSMasterKeyId": "k"}),
        "ValidationException")
    fails(lambda: ddb.describe_table(TableName=bad), "ResourceNotFoundException")
    # The same through the aws CLI, to a point in time.
    ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    out = json.loads(gureum.cli(
        "dynamodb", "restore-table-to-point-in-time", "--source-table-name", name, "--target-table-name", name + "-t",
        "--use-latest-restorable-time", "--local-secondary-index-override", "[]",
        "--sse-specification-override", "Enabled=true").stdout)["TableDescription"]
    assert "LocalSecondaryIndexes" not in out and out["GlobalSecondaryIndexes"][0]["IndexName"] == "byG"
    assert out["SSEDescription"]["KMSMasterKeyArn"] == "arn:aws:kms:us-east-1:000000000000:alias/aws/dynamodb"
    assert ddb.describe_table(TableName=name + "-t")["Table"]["ItemCount"] == 3


def test_list_backups_filters_by_type_and_time(ddb, gureum):
    name = table_name()
    create(ddb, name)
    first = ddb.create_backup(TableName=name, BackupName="one")["BackupDetails"]
    gureum.admin("/_gureum/clock", {"advance_seconds": 60})
    second = ddb.create_backup(TableName=name, BackupName="two")["BackupDetails"]

    def names(**kw):
        return [b["BackupName"] for b in ddb.list_backups(TableName=name, **kw)["BackupSummaries"]]

    assert names() == ["one", "two"]
    assert names(BackupType="ALL") == ["one", "two"]
    assert names(BackupType="USER") == ["one", "two"]
    assert names(BackupType="SYSTEM") == [] and names(BackupType="AWS_BACKUP") == []
    t1, t2 = first["BackupCreationDateTime"], second["BackupCreationDateTime"]
    # The lower bound is inclusive, the upper exclusive.
    assert names(TimeRangeLowerBound=t2) == ["two"]
    assert names(TimeRangeUpperBound=t2) == ["one"]
    assert names(TimeRangeLowerBound=t1, TimeRangeUpperBound=t2) == ["one"]
    fails(lambda: ddb.list_backups(BackupType="OTHER"), "ValidationException")
    out = json.loads(gureum.cli("dynamodb", "list-backups", "--table-name", name, "--backup-type", "USER",
                                "--time-range-lower-bound", str(t2.timestamp())).stdout)
    assert [b["BackupName"] for b in out["BackupSummaries"]] == ["two"]
