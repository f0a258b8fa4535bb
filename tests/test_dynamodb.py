"""DynamoDB through boto3 (client and resource APIs) and the aws CLI: table lifecycle, items with
condition and update expressions, Query in DynamoDB's key order, pagination, scans, errors with
DynamoDB's codes and messages, and durability across a restart.

Tests share one server, so each works in tables of its own (see `table_name`)."""
import decimal
import json
import time
import uuid

import boto3
import botocore.exceptions
import pytest
from boto3.dynamodb.conditions import Attr, Key
from helpers import error_of


def fails(call, code, message=None, status=400):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    assert error_of(e) == (code, status), e.value.response["Error"]
    if message is not None:
        assert e.value.response["Error"]["Message"] == message
    return e.value.response["Error"]["Message"]


def table_name():
    return "t-" + uuid.uuid4().hex[:12]


@pytest.fixture
def ddb(gureum):
    return gureum.client("dynamodb")


def create(ddb, name, sk_type=None, **kw):
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sk_type:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attrs.append({"AttributeName": "sk", "AttributeType": sk_type})
    kw.setdefault("BillingMode", "PAY_PER_REQUEST")
    return ddb.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=attrs, **kw)


def test_table_lifecycle(ddb):
    name = table_name()
    desc = create(ddb, name, "N")["TableDescription"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
    assert desc["ItemCount"] == 0 and desc["TableSizeBytes"] == 0
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert len(desc["TableId"]) == 36
    ddb.get_waiter("table_exists").wait(TableName=name)
    got = ddb.describe_table(TableName=name)["Table"]
    assert got["KeySchema"] == desc["KeySchema"] and got["TableId"] == desc["TableId"]
    assert name in ddb.list_tables()["TableNames"]
    fails(lambda: create(ddb, name), "ResourceInUseException", f"Table already exists: {name}")
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "x"}})
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 1
    up = ddb.update_table(TableName=name, BillingMode="PROVISIONED",
                          ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})
    assert up["TableDescription"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    ddb.delete_table(TableName=name)
    fails(lambda: ddb.describe_table(TableName=name), "ResourceNotFoundException",
          f"Requested resource not found: Table: {name} not found")
    fails(lambda: ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}}),
          "ResourceNotFoundException", "Requested resource not found")
    # A table of the same name starts empty.
    create(ddb, name, "N")
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})


def test_create_table_validation(ddb):
    name = table_name()
    fails(lambda: create(ddb, name, BillingMode="PROVISIONED"), "ValidationException",
          "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
    fails(lambda: create(ddb, name, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
          "ValidationException",
          "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
    fails(lambda: ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                   AttributeDefinitions=[{"AttributeName": "x", "AttributeType": "S"}],
                                   BillingMode="PAY_PER_REQUEST"),
          "ValidationException",
          "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [x]")


def test_list_tables_paginates(ddb):
    names = sorted(table_name() for _ in range(3))
    for n in names:
        create(ddb, n)
    seen, start = [], None
    while True:
        kw = {"Limit": 2}
        if start:
            kw["ExclusiveStartTableName"] = start
        page = ddb.list_tables(**kw)
        assert len(page["TableNames"]) <= 2
        seen += page["TableNames"]
        start = page.get("LastEvaluatedTableName")
        if not start:
            break
    assert all(n in seen for n in names) and seen == sorted(seen)
    # Other regions see none of them.
    other = boto3.client("dynamodb", endpoint_url=ddb.meta.endpoint_url, region_name="eu-west-1",
                         aws_access_key_id="test", aws_secret_access_key="test")
    assert not set(names) & set(other.list_tables()["TableNames"])


def test_put_get_delete_with_conditions(ddb):
    name = table_name()
    create(ddb, name)
    item = {"pk": {"S": "k"}, "n": {"N": "1.50"}, "e": {"S": ""}, "b": {"B": b"\x00\x01"},
            "l": {"L": [{"S": "a"}, {"N": "2"}]}, "m": {"M": {"x": {"BOOL": True}, "y": {"NULL": True}}},
            "ss": {"SS": ["a", "b"]}}
    ddb.put_item(TableName=name, Item=item)
    got = ddb.get_item(TableName=name, Key={"pk": {"S": "k"}}, ConsistentRead=True)["Item"]
    assert got["n"] == {"N": "1.5"} and got["e"] == {"S": ""} and got["b"] == {"B": b"\x00\x01"}
    assert got["m"] == item["m"] and got["l"] == item["l"] and sorted(got["ss"]["SS"]) == ["a", "b"]
    proj = ddb.get_item(TableName=name, Key={"pk": {"S": "k"}}, ProjectionExpression="#n, m.x, l[1]",
                        ExpressionAttributeNames={"#n": "n"})["Item"]
    assert proj == {"n": {"N": "1.5"}, "m": {"M": {"x": {"BOOL": True}}}, "l": {"L": [{"N": "2"}]}}
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "k"}}, ConditionExpression="attribute_not_exists(pk)"),
          "ConditionalCheckFailedException", "The conditional request failed")
    old = ddb.put_item(TableName=name, Item={"pk": {"S": "k"}, "v": {"N": "2"}}, ReturnValues="ALL_OLD",
                       ConditionExpression="n BETWEEN :lo AND :hi AND (contains(ss, :a) OR size(l) > :z) AND NOT begins_with(pk, :x)",
                       ExpressionAttributeValues={":lo": {"N": "1"}, ":hi": {"N": "2"}, ":a": {"S": "a"},
                                                  ":z": {"N": "5"}, ":x": {"S": "q"}})
    assert old["Attributes"]["n"] == {"N": "1.5"}
    fails(lambda: ddb.delete_item(TableName=name, Key={"pk": {"S": "k"}}, ConditionExpression="v IN (:a, :b)",
                                  ExpressionAttributeValues={":a": {"N": "3"}, ":b": {"N": "4"}}),
          "ConditionalCheckFailedException")
    gone = ddb.delete_item(TableName=name, Key={"pk": {"S": "k"}}, ReturnValues="ALL_OLD",
                           ConditionExpression="attribute_type(v, :t)", ExpressionAttributeValues={":t": {"S": "N"}})
    assert gone["Attributes"] == {"pk": {"S": "k"}, "v": {"N": "2"}}
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "k"}})


def test_item_validation_errors(ddb):
    name = table_name()
    create(ddb, name, "N")
    put = lambda item: lambda: ddb.put_item(TableName=name, Item=item)
    fails(put({"pk": {"S": "a"}}), "ValidationException",
          "One or more parameter values were invalid: Missing the key sk in the item")
    fails(put({"pk": {"S": "a"}, "sk": {"S": "1"}}), "ValidationException",
          "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S")
    fails(put({"pk": {"S": ""}, "sk": {"N": "1"}}), "ValidationException",
          "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk")
    fails(put({"pk": {"S": "a"}, "sk": {"N": "1" * 39}}), "ValidationException",
          "Attempting to store more than 38 significant digits in a Number")
    fails(put({"pk": {"S": "a"}, "sk": {"N": "abc"}}), "ValidationException")
    fails(put({"pk": {"S": "a"}, "sk": {"N": "1"}, "big": {"S": "x" * 410_000}}), "ValidationException",
          "Item size has exceeded the maximum allowed size")
    fails(lambda: ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}), "ValidationException",
          "The provided key element does not match the schema")
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                               ConditionExpression="a = :a", ExpressionAttributeValues={":a": {"S": "x"}, ":x": {"S": "y"}}),
          "ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}")
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                               ConditionExpression="a = :nope", ExpressionAttributeValues={":a": {"S": "x"}}),
          "ValidationException",
          "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope")
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                               ConditionExpression="a = = :a", ExpressionAttributeValues={":a": {"S": "x"}}),
          "ValidationException", 'Invalid ConditionExpression: Syntax error; token: "=", near: "= ="')
    fails(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                               ConditionExpression="#x = :a", ExpressionAttributeValues={":a": {"S": "x"}}),
          "ValidationException",
          "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x")


def test_update_expressions(ddb):
    name = table_name()
    create(ddb, name)
    key = {"pk": {"S": "u"}}
    r = ddb.update_item(TableName=name, Key=key, ReturnValues="ALL_NEW",
                        UpdateExpression="SET c = :one, l = :l, m = :m ADD s :s, tot :five",
                        ExpressionAttributeValues={":one": {"N": "1"}, ":l": {"L": [{"S": "a"}]},
                                                   ":m": {"M": {"in": {"N": "0"}}}, ":s": {"SS": ["x", "y"]},
                                                   ":five": {"N": "5"}})
    assert r["Attributes"]["c"] == {"N": "1"} and r["Attributes"]["tot"] == {"N": "5"}
    r = ddb.update_item(TableName=name, Key=key, ReturnValues="UPDATED_NEW",
                        UpdateExpression="SET c = c + :d, l = list_append(l, :more), m.#in = m.#in - :d, "
                                         "f = if_not_exists(f, :d), g = if_not_exists(c, :d) "
                                         "REMOVE gone DELETE s :x ADD tot :d",
                        ExpressionAttributeNames={"#in": "in"},
                        ExpressionAttributeValues={":d": {"N": "0.5"}, ":more": {"L": [{"S": "b"}]}, ":x": {"SS": ["x"]}})
    a = r["Attributes"]
    assert a["c"] == {"N": "1.5"} and a["l"] == {"L": [{"S": "a"}, {"S": "b"}]}
    assert a["m"] == {"M": {"in": {"N": "-0.5"}}} and a["f"] == {"N": "0.5"} and a["g"] == {"N": "1"}
    assert a["s"] == {"SS": ["y"]} and a["tot"] == {"N": "5.5"}
    r = ddb.update_item(TableName=name, Key=key, UpdateExpression="REMOVE l[0], f", ReturnValues="ALL_OLD")
    assert r["Attributes"]["f"] == {"N": "0.5"}
    item = ddb.get_item(TableName=name, Key=key)["Item"]
    assert item["l"] == {"L": [{"S": "b"}]} and "f" not in item
    fails(lambda: ddb.update_item(TableName=name, Key=key, UpdateExpression="SET pk = :v",
                                  ExpressionAttributeValues={":v": {"S": "z"}}),
          "ValidationException",
          "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")
    fails(lambda: ddb.update_item(TableName=name, Key=key, UpdateExpression="SET c = c + :v",
                                  ExpressionAttributeValues={":v": {"S": "z"}}),
          "ValidationException", "An operand in the update expression has an incorrect data type")
    fails(lambda: ddb.update_item(TableName=name, Key=key, UpdateExpression="SET c = :v",
                                  ConditionExpression="c > :v", ExpressionAttributeValues={":v": {"N": "100"}}),
          "ConditionalCheckFailedException")
    fails(lambda: ddb.update_item(TableName=name, Key=key, UpdateExpression="SET status = :v",
                                  ExpressionAttributeValues={":v": {"N": "1"}}),
          "ValidationException", "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status")


def test_resource_api_and_conditions(gureum):
    name = table_name()
    res = boto3.resource("dynamodb", endpoint_url=gureum.endpoint, region_name="us-east-1",
                         aws_access_key_id="test", aws_secret_access_key="test")
    table = res.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                        {"AttributeName": "sk", "KeyType": "RANGE"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                   {"AttributeName": "sk", "AttributeType": "S"}])
    table.wait_until_exists()
    for sk in ["order#2", "order#1", "user#1", "order#10", "ordez"]:
        table.put_item(Item={"pk": "cust", "sk": sk, "amount": decimal.Decimal("12.5"), "tags": {"a", "b"}})
    got = table.get_item(Key={"pk": "cust", "sk": "order#1"})["Item"]
    assert got["amount"] == decimal.Decimal("12.5") and got["tags"] == {"a", "b"}
    r = table.query(KeyConditionExpression=Key("pk").eq("cust") & Key("sk").begins_with("order#"))
    assert [i["sk"] for i in r["Items"]] == ["order#1", "order#10", "order#2"]
    r = table.query(KeyConditionExpression=Key("pk").eq("cust") & Key("sk").between("order#10", "user#1"),
                    ScanIndexForward=False, FilterExpression=Attr("sk").ne("ordez"))
    assert [i["sk"] for i in r["Items"]] == ["user#1", "order#2", "order#10"]
    assert r["ScannedCount"] == 4 and r["Count"] == 3
    r = table.scan(FilterExpression=Attr("sk").begins_with("user") | Attr("sk").eq("ordez"))
    assert sorted(i["sk"] for i in r["Items"]) == ["ordez", "user#1"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        table.put_item(Item={"pk": "cust", "sk": "ordez"}, ConditionExpression=Attr("pk").not_exists())
    assert error_of(e) == ("ConditionalCheckFailedException", 400)


def test_numeric_sort_keys_query_in_numeric_order(ddb):
    name = table_name()
    create(ddb, name, "N")
    numbers = ["-1e20", "-100", "-10.5", "-10", "-1", "-0.001", "0", "0.001", "1", "2", "9.99", "10",
               "10.5", "100", "12345678901234567890123456789012345678", "1e100"]
    for i, n in enumerate(reversed(numbers)):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": n}, "i": {"N": str(i)}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "other"}, "sk": {"N": "5"}})
    r = ddb.query(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
    got = [decimal.Decimal(i["sk"]["N"]) for i in r["Items"]]
    assert got == sorted(decimal.Decimal(n) for n in numbers) and r["Count"] == len(numbers)
    r = ddb.query(TableName=name, KeyConditionExpression="pk = :p AND sk < :z", ScanIndexForward=False,
                  ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"}})
    assert [i["sk"]["N"] for i in r["Items"]][:3] == ["-0.001", "-1", "-10"]
    r = ddb.query(TableName=name, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "-10"}, ":b": {"N": "10"}}, Select="COUNT")
    assert r["Count"] == 9 and "Items" not in r
    # Pages of 3 walk the whole partition once, in order.
    seen, start = [], None
    while True:
        kw = {"ExclusiveStartKey": start} if start else {}
        page = ddb.query(TableName=name, KeyConditionExpression="pk = :p", Limit=3,
                         ExpressionAttributeValues={":p": {"S": "p"}}, **kw)
        seen += [i["sk"]["N"] for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert [decimal.Decimal(n) for n in seen] == sorted(decimal.Decimal(n) for n in numbers)
    fails(lambda: ddb.query(TableName=name, KeyConditionExpression="sk = :z", ExpressionAttributeValues={":z": {"N": "0"}}),
          "ValidationException", "Query condition missed key schema element: pk")


def test_scan_filters_and_paginates(ddb):
    name = table_name()
    create(ddb, name)
    for i in range(25):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i:02}"}, "n": {"N": str(i)}})
    items, start, pages = [], None, 0
    while True:
        kw = {"ExclusiveStartKey": start} if start else {}
        page = ddb.scan(TableName=name, Limit=7, FilterExpression="n >= :ten", ExpressionAttributeValues={":ten": {"N": "10"}}, **kw)
        pages += 1
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert pages == 4 and sorted(int(i["n"]["N"]) for i in items) == list(range(10, 25))
    paginator = ddb.get_paginator("scan")
    assert sum(p["Count"] for p in paginator.paginate(TableName=name, PaginationConfig={"PageSize": 4})) == 25


def test_page_limit_of_one_megabyte(ddb):
    name = table_name()
    create(ddb, name)
    for i in range(6):
        ddb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "blob": {"S": "x" * 300_000}})
    page = ddb.scan(TableName=name)
    assert page["Count"] < 6 and "LastEvaluatedKey" in page


def test_durable_across_restart(start_gureum, tmp_path):
    server = start_gureum(data_dir=str(tmp_path)).start()
    ddb = server.client("dynamodb")
    create(ddb, "durable", "N")
    ddb.put_item(TableName="durable", Item={"pk": {"S": "a"}, "sk": {"N": "-3.25"}, "v": {"S": "kept"}})
    port = server.port
    server.kill()
    again = start_gureum(data_dir=str(tmp_path), port=port).start()
    ddb = again.client("dynamodb")
    assert ddb.describe_table(TableName="durable")["Table"]["ItemCount"] == 1
    got = ddb.get_item(TableName="durable", Key={"pk": {"S": "a"}, "sk": {"N": "-3.25"}})["Item"]
    assert got["v"] == {"S": "kept"}


def test_cli_list_tables(gureum, ddb):
    name = table_name()
    create(ddb, name)
    out = gureum.cli("dynamodb", "list-tables")
    assert name in json.loads(out.stdout)["TableNames"]


def test_batch_write_and_get(ddb, gureum):
    name, other = table_name(), table_name()
    create(ddb, name, "N")
    create(ddb, other)
    out = ddb.batch_write_item(RequestItems={
        name: [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": str(i)}, "v": {"N": str(i * 10)}}}}
               for i in range(20)],
        other: [{"PutRequest": {"Item": {"pk": {"S": "x"}, "w": {"S": "y"}}}}],
    })
    assert out["UnprocessedItems"] == {}
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 20
    ddb.batch_write_item(RequestItems={name: [
        {"DeleteRequest": {"Key": {"pk": {"S": "a"}, "sk": {"N": "0"}}}},
        {"DeleteRequest": {"Key": {"pk": {"S": "a"}, "sk": {"N": "99"}}}},  # absent: no error
        {"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "-1"}}}},
    ]})
    got = ddb.batch_get_item(RequestItems={
        name: {"Keys": [{"pk": {"S": "a"}, "sk": {"N": str(i)}} for i in range(3)],
               "ProjectionExpression": "#s, v", "ExpressionAttributeNames": {"#s": "sk"}},
        other: {"Keys": [{"pk": {"S": "x"}}, {"pk": {"S": "nope"}}]},
    })
    assert got["UnprocessedKeys"] == {}
    assert sorted((i["sk"]["N"], i["v"]["N"]) for i in got["Responses"][name]) == [("1", "-1"), ("2", "20")]
    assert all("pk" not in i for i in got["Responses"][name])
    assert got["Responses"][other] == [{"pk": {"S": "x"}, "w": {"S": "y"}}]

    fails(lambda: ddb.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": {"pk": {"S": "d"}, "sk": {"N": "1"}}}},
        {"DeleteRequest": {"Key": {"pk": {"S": "d"}, "sk": {"N": "1.0"}}}},
    ]}), "ValidationException", "Provided list of item keys contains duplicates")
    fails(lambda: ddb.batch_write_item(RequestItems={
        name: [{"PutRequest": {"Item": {"pk": {"S": "e"}, "sk": {"N": str(i)}}}} for i in range(20)],
        other: [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(6)],
    }), "ValidationException", "Too many items requested for the BatchWriteItem call")
    fails(lambda: ddb.batch_get_item(RequestItems={
        name: {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}}, {"pk": {"S": "a"}, "sk": {"N": "1"}}]},
    }), "ValidationException", "Provided list of item keys contains duplicates")
    fails(lambda: ddb.batch_get_item(RequestItems={
        name: {"Keys": [{"pk": {"S": "a"}, "sk": {"N": str(i)}} for i in range(60)]},
        other: {"Keys": [{"pk": {"S": str(i)}} for i in range(41)]},
    }), "ValidationException", "Too many items requested for the BatchGetItem call")
    fails(lambda: ddb.batch_write_item(RequestItems={"missing-" + name: [
        {"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}),
        "ResourceNotFoundException", "Requested resource not found")
    # A refused batch wrote nothing.
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "d"}, "sk": {"N": "1"}})
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "e"}, "sk": {"N": "1"}})


def test_resource_batch_writer(gureum):
    ddb = gureum.client("dynamodb")
    name = table_name()
    create(ddb, name, "N")
    table = boto3.resource("dynamodb", endpoint_url=gureum.endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test").Table(name)
    with table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
        for i in range(60):
            batch.put_item(Item={"pk": "p", "sk": i, "n": decimal.Decimal(i) / 2})
        batch.put_item(Item={"pk": "p", "sk": 3, "n": 100})  # overwrites within one buffer
        batch.delete_item(Key={"pk": "p", "sk": 59})
    items = table.query(KeyConditionExpression=Key("pk").eq("p"))["Items"]
    assert len(items) == 59
    assert items[3]["n"] == 100 and items[4]["n"] == 2


def test_transact_write_items(ddb):
    name = table_name()
    create(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "acct1"}, "balance": {"N": "100"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "acct2"}, "balance": {"N": "0"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "gone"}})

    def transfer(amount, token=None):
        kw = {"ClientRequestToken": token} if token else {}
        return ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": name, "Key": {"pk": {"S": "acct1"}},
                        "UpdateExpression": "SET balance = balance - :a",
                        "ConditionExpression": "balance >= :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
            {"Update": {"TableName": name, "Key": {"pk": {"S": "acct2"}},
                        "UpdateExpression": "ADD balance :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
        ], **kw)

    transfer(30)
    bal = lambda k: ddb.get_item(TableName=name, Key={"pk": {"S": k}})["Item"]["balance"]["N"]
    assert (bal("acct1"), bal("acct2")) == ("70", "30")
    msg = fails(lambda: transfer(71), "TransactionCanceledException",
                "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]")
    assert (bal("acct1"), bal("acct2")) == ("70", "30")
    # The SDK reads the reasons as a structured member too.
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as e:
        transfer(71)
    reasons = e.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None"]
    assert reasons[0]["Message"] == "The conditional request failed"

    # Put, Delete and ConditionCheck together; a failing check cancels everything.
    items = [
        {"Put": {"TableName": name, "Item": {"pk": {"S": "new"}, "v": {"S": "1"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Delete": {"TableName": name, "Key": {"pk": {"S": "gone"}}}},
        {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "acct2"}},
                            "ConditionExpression": "balance = :b",
                            "ExpressionAttributeValues": {":b": {"N": "31"}}}},
    ]
    fails(lambda: ddb.transact_write_items(TransactItems=items), "TransactionCanceledException",
          "Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, ConditionalCheckFailed]")
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "new"}})
    assert "Item" in ddb.get_item(TableName=name, Key={"pk": {"S": "gone"}})
    items[2]["ConditionCheck"]["ExpressionAttributeValues"][":b"]["N"] = "30"
    ddb.transact_write_items(TransactItems=items)
    assert "Item" in ddb.get_item(TableName=name, Key={"pk": {"S": "new"}})
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "gone"}})
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 3

    fails(lambda: ddb.transact_write_items(TransactItems=[
        {"Delete": {"TableName": name, "Key": {"pk": {"S": "acct1"}}}},
        {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "acct1"}},
                            "ConditionExpression": "attribute_exists(pk)"}},
    ]), "ValidationException", "Transaction request cannot include multiple operations on one item")
    fails(lambda: ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": name, "Key": {"pk": {"S": "acct1"}},
                    "UpdateExpression": "SET pk = :v", "ExpressionAttributeValues": {":v": {"S": "z"}}}},
    ]), "ValidationException",
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")
    fails(lambda: ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "missing-" + name, "Item": {"pk": {"S": "a"}}}}]),
        "ResourceNotFoundException", "Requested resource not found")

    # A ClientRequestToken makes a retry a no-op; another request with it is refused.
    transfer(10, token="tok-" + name[-12:])
    transfer(10, token="tok-" + name[-12:])
    assert (bal("acct1"), bal("acct2")) == ("60", "40")
    fails(lambda: transfer(11, token="tok-" + name[-12:]), "IdempotentParameterMismatchException")


def test_transact_get_items(ddb):
    name = table_name()
    create(ddb, name, "S")
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "x": {"N": "1"}, "y": {"N": "2"}})
    out = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": name, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                 "ProjectionExpression": "#y", "ExpressionAttributeNames": {"#y": "y"}}},
        {"Get": {"TableName": name, "Key": {"pk": {"S": "a"}, "sk": {"S": "2"}}}},
        {"Get": {"TableName": name, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}}}},
    ])["Responses"]
    assert out[0] == {"Item": {"y": {"N": "2"}}}
    assert out[1] == {}
    assert out[2]["Item"]["x"] == {"N": "1"}
    fails(lambda: ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": name, "Key": {"pk": {"S": "a"}}}}]),
        "ValidationException", "The provided key element does not match the schema")


def test_secondary_indexes(ddb):
    name = table_name()
    desc = ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in [("pk", "S"), ("sk", "N"), ("g", "S"), ("gs", "N"), ("l", "S")]],
        GlobalSecondaryIndexes=[
            {"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                               {"AttributeName": "gs", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["extra"]}},
            {"IndexName": "byGAll", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
        ],
        LocalSecondaryIndexes=[
            {"IndexName": "byL", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                               {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
        ],
    )["TableDescription"]
    gsis = {i["IndexName"]: i for i in desc["GlobalSecondaryIndexes"]}
    assert gsis["byG"]["IndexStatus"] == "ACTIVE"
    assert gsis["byG"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["extra"]}
    assert gsis["byG"]["IndexArn"] == desc["TableArn"] + "/index/byG"
    assert desc["LocalSecondaryIndexes"][0]["IndexName"] == "byL"

    for i in range(6):
        item = {"pk": {"S": f"p{i % 2}"}, "sk": {"N": str(i)}, "extra": {"S": f"e{i}"}, "other": {"S": "o"},
                "l": {"S": f"l{5 - i}"}}
        if i != 5:  # sparse: item 5 has no g
            item["g"] = {"S": "G"}
            item["gs"] = {"N": str(10 - i)}
        ddb.put_item(TableName=name, Item=item)
    got = ddb.query(TableName=name, IndexName="byG", KeyConditionExpression="g = :g AND gs > :m",
                    ExpressionAttributeValues={":g": {"S": "G"}, ":m": {"N": "6"}})
    assert [i["sk"]["N"] for i in got["Items"]] == ["3", "2", "1", "0"]
    assert set(got["Items"][0]) == {"pk", "sk", "g", "gs", "extra"}
    # Items leave and move in the index with their writes.
    ddb.update_item(TableName=name, Key={"pk": {"S": "p0"}, "sk": {"N": "2"}}, UpdateExpression="SET gs = :v",
                    ExpressionAttributeValues={":v": {"N": "1"}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "p1"}, "sk": {"N": "3"}})
    ddb.update_item(TableName=name, Key={"pk": {"S": "p0"}, "sk": {"N": "0"}}, UpdateExpression="REMOVE g")
    got = ddb.query(TableName=name, IndexName="byG", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "G"}}, ScanIndexForward=False)
    assert [i["sk"]["N"] for i in got["Items"]] == ["1", "4", "2"]
    # Pagination on an index.
    page = ddb.query(TableName=name, IndexName="byG", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "G"}}, Limit=2)
    assert set(page["LastEvaluatedKey"]) == {"pk", "sk", "g", "gs"}
    rest = ddb.query(TableName=name, IndexName="byG", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "G"}}, ExclusiveStartKey=page["LastEvaluatedKey"])
    assert [i["sk"]["N"] for i in page["Items"] + rest["Items"]] == ["2", "4", "1"]
    assert ddb.scan(TableName=name, IndexName="byGAll", Select="COUNT")["Count"] == 3
    local = ddb.query(TableName=name, IndexName="byL", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "p0"}})["Items"]
    assert [i["l"]["S"] for i in local] == ["l1", "l3", "l5"] and set(local[0]) == {"pk", "sk", "l"}
    desc = ddb.describe_table(TableName=name)["Table"]
    assert {i["IndexName"]: i["ItemCount"] for i in desc["GlobalSecondaryIndexes"]} == {"byG": 3, "byGAll": 3}

    fails(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "x"}, "sk": {"N": "1"}, "g": {"N": "1"}}),
          "ValidationException",
          "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: byG")
    fails(lambda: ddb.query(TableName=name, IndexName="nope", KeyConditionExpression="g = :g",
                            ExpressionAttributeValues={":g": {"S": "G"}}),
          "ValidationException", "The table does not have the specified index: nope")
    fails(lambda: ddb.create_table(
        TableName=table_name(), BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "idx", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}]),
        "ValidationException",
        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [pk, g], AttributeDefinitions: [pk]")
    ddb.delete_table(TableName=name)


def test_time_to_live_on_the_server_clock(start_gureum):
    server = start_gureum().start()
    ddb = server.client("dynamodb")
    name = table_name()
    create(ddb, name, "N")
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    spec = {"Enabled": True, "AttributeName": "exp"}
    assert ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)["TimeToLiveSpecification"] == spec
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    fails(lambda: ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec),
          "ValidationException", "TimeToLive is already enabled")
    fails(lambda: ddb.describe_time_to_live(TableName="missing-" + name), "ResourceNotFoundException")
    now = int(time.time())  # a fresh server's clock is the wall clock
    for i, exp in enumerate([now - 10, now + 3600, None, now + 7200]):
        item = {"pk": {"S": "p"}, "sk": {"N": str(i)}}
        if exp is not None:
            item["exp"] = {"N": str(exp)}
        ddb.put_item(TableName=name, Item=item)
    key = lambda i: {"pk": {"S": "p"}, "sk": {"N": str(i)}}
    assert "Item" not in ddb.get_item(TableName=name, Key=key(0))
    assert "Item" in ddb.get_item(TableName=name, Key=key(1))
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 3  # removed lazily
    assert server.admin("/_gureum/clock", {"advance_seconds": 3601})[0] == 200
    got = ddb.query(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
    assert [i["sk"]["N"] for i in got["Items"]] == ["2", "3"]
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 2
    assert ddb.batch_get_item(RequestItems={name: {"Keys": [key(1), key(3)]}})["Responses"][name] == [
        {"pk": {"S": "p"}, "sk": {"N": "3"}, "exp": {"N": str(now + 7200)}}]
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"


# ---------------------------------------------------------------------------------------------
# DynamoDB Streams


def stream_records(streams, arn, kind="TRIM_HORIZON", **kw):
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **kw)["ShardIterator"]
    return streams.get_records(ShardIterator=it)


def test_stream_records_each_view_type(ddb, gureum):
    streams = gureum.client("dynamodbstreams")
    for view in ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]:
        name = table_name()
        desc = create(ddb, name, "N", StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
        desc = desc["TableDescription"]
        assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": view}
        arn = desc["LatestStreamArn"]
        assert arn == f"{desc['TableArn']}/stream/{desc['LatestStreamLabel']}"
        assert ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"] == arn
        key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
        ddb.put_item(TableName=name, Item={**key, "v": {"S": "a"}})
        ddb.update_item(TableName=name, Key=key, UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": {"S": "b"}})
        ddb.update_item(TableName=name, Key=key, UpdateExpression="SET v = :v",  # a no-op: no record
                        ExpressionAttributeValues={":v": {"S": "b"}})
        ddb.delete_item(TableName=name, Key=key)
        ddb.delete_item(TableName=name, Key=key)  # nothing to delete: no record
        got = stream_records(streams, arn)
        records = got["Records"]
        assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
        assert "NextShardIterator" in got
        seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
        assert seqs == sorted(seqs) and len(set(seqs)) == 3 and all(s.isdigit() for s in seqs)
        for r in records:
            assert r["eventSource"] == "aws:dynamodb" and r["awsRegion"] == "us-east-1"
            assert r["eventVersion"] and len(r["eventID"]) >= 16 and "userIdentity" not in r
            d = r["dynamodb"]
            assert d["Keys"] == key and d["StreamViewType"] == view and d["SizeBytes"] > 0
            assert abs(d["ApproximateCreationDateTime"].timestamp() - time.time()) < 60
        new = [r["dynamodb"].get("NewImage") for r in records]
        old = [r["dynamodb"].get("OldImage") for r in records]
        a, b = {**key, "v": {"S": "a"}}, {**key, "v": {"S": "b"}}
        assert new == ([a, b, None] if view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") else [None] * 3)
        assert old == ([None, a, b] if view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") else [None] * 3)
        ddb.delete_table(TableName=name)


def test_stream_batches_transactions_and_iterator_types(ddb, gureum):
    streams = gureum.client("dynamodbstreams")
    name = table_name()
    create(ddb, name)
    assert "LatestStreamArn" not in ddb.describe_table(TableName=name)["Table"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "before"}})  # before the stream: not recorded
    desc = ddb.update_table(TableName=name, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    arn = desc["LatestStreamArn"]
    fails(lambda: ddb.update_table(TableName=name, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}),
        "ValidationException", f"Table already has an enabled stream: TableName: {name}")
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": f"b{i}"}}}} for i in range(3)]})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "t"}}}},
        {"Delete": {"TableName": name, "Key": {"pk": {"S": "b0"}}}},
    ])
    records = stream_records(streams, arn)["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", "b0"), ("INSERT", "b1"), ("INSERT", "b2"), ("INSERT", "t"), ("REMOVE", "b0")]
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert desc["StreamStatus"] == "ENABLED" and desc["StreamViewType"] == "NEW_IMAGE"
    assert desc["TableName"] == name and desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    shard = desc["Shards"][0]
    assert shard["ShardId"].startswith("shardId-")
    assert shard["SequenceNumberRange"]["StartingSequenceNumber"] == seqs[0]
    assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]
    at = stream_records(streams, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=seqs[2])["Records"]
    assert [r["dynamodb"]["SequenceNumber"] for r in at] == seqs[2:]
    after = stream_records(streams, arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=seqs[2])["Records"]
    assert [r["dynamodb"]["SequenceNumber"] for r in after] == seqs[3:]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST")
    got = streams.get_records(ShardIterator=latest["ShardIterator"])
    assert got["Records"] == []
    ddb.put_item(TableName=name, Item={"pk": {"S": "late"}})
    got = streams.get_records(ShardIterator=got["NextShardIterator"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in got["Records"]] == ["late"]
    assert streams.get_records(ShardIterator=got["NextShardIterator"])["Records"] == []
    # Paging with Limit walks the same records in order.
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    paged = []
    for _ in range(6):
        got = streams.get_records(ShardIterator=it, Limit=2)
        paged += [r["dynamodb"]["SequenceNumber"] for r in got["Records"]]
        it = got["NextShardIterator"]
    assert paged == seqs + [paged[-1]] and len(paged) == 6
    # ListStreams, filtered and paginated.
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": name, "StreamLabel": arn.split("/stream/")[1]}]
    assert arn in [s["StreamArn"] for s in streams.list_streams()["Streams"]]
    # Disabling closes the shard; re-enabling starts a new stream.
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    fails(lambda: ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False}),
          "ValidationException", f"Table has no stream to disable: TableName: {name}")
    table = ddb.describe_table(TableName=name)["Table"]
    assert "StreamSpecification" not in table and table["LatestStreamArn"] == arn
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert desc["StreamStatus"] == "DISABLED"
    assert desc["Shards"][0]["SequenceNumberRange"]["EndingSequenceNumber"] > seqs[-1]
    ddb.put_item(TableName=name, Item={"pk": {"S": "unrecorded"}})
    got = stream_records(streams, arn)
    assert len(got["Records"]) == 6 and "NextShardIterator" in got
    assert "NextShardIterator" not in streams.get_records(ShardIterator=got["NextShardIterator"])
    arn2 = ddb.update_table(TableName=name, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]["LatestStreamArn"]
    assert arn2 != arn
    page = streams.list_streams(TableName=name, Limit=1)
    assert page["Streams"][0]["StreamArn"] == arn and page["LastEvaluatedStreamArn"] == arn
    rest = streams.list_streams(TableName=name, ExclusiveStartStreamArn=arn)["Streams"]
    assert [s["StreamArn"] for s in rest] == [arn2]
    ddb.delete_table(TableName=name)


def test_stream_errors(ddb, gureum):
    streams = gureum.client("dynamodbstreams")
    name = table_name()
    arn = create(ddb, name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})[
        "TableDescription"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    missing = arn.replace(name, "missing-" + name)
    fails(lambda: streams.describe_stream(StreamArn=missing), "ResourceNotFoundException",
          f"Requested resource not found: Stream: {missing} not found")
    fails(lambda: streams.get_shard_iterator(StreamArn=missing, ShardId=shard, ShardIteratorType="LATEST"),
          "ResourceNotFoundException")
    fails(lambda: streams.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-deadbeef", ShardIteratorType="LATEST"),
          "ResourceNotFoundException")
    fails(lambda: streams.list_streams(TableName="missing-" + name), "ResourceNotFoundException")
    message = fails(lambda: streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="SOMETIME"),
                    "ValidationException")
    assert "shardIteratorType" in message
    fails(lambda: streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER"),
          "ValidationException")
    fails(lambda: streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                             SequenceNumber="0000000000000000000012x"), "ValidationException")
    fails(lambda: streams.get_records(ShardIterator="not-an-iterator"), "ValidationException")
    fails(lambda: create(ddb, table_name(), StreamSpecification={"StreamEnabled": True}), "ValidationException")
    fails(lambda: create(ddb, table_name(), StreamSpecification={"StreamEnabled": True, "StreamViewType": "ALL"}),
          "ValidationException")
    ddb.delete_table(TableName=name)


def test_stream_iterators_expire_and_ttl_deletions_are_service_records(start_gureum):
    server = start_gureum().start()
    ddb = server.client("dynamodb")
    streams = server.client("dynamodbstreams")
    name = table_name()
    arn = create(ddb, name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"})[
        "TableDescription"]["LatestStreamArn"]
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}, "exp": {"N": str(int(time.time()) + 60)}})
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert server.admin("/_gureum/clock", {"advance_seconds": 14 * 60})[0] == 200
    it = streams.get_records(ShardIterator=it)["NextShardIterator"]  # still valid; a fresh one back
    assert server.admin("/_gureum/clock", {"advance_seconds": 15 * 60 + 1})[0] == 200
    fails(lambda: streams.get_records(ShardIterator=it), "ExpiredIteratorException")
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "x"}})  # TTL removes it
    records = stream_records(streams, arn)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "REMOVE"]
    assert "userIdentity" not in records[0]
    assert records[1]["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert records[1]["dynamodb"]["OldImage"]["pk"] == {"S": "x"}
    # Records are kept 24 hours.
    assert server.admin("/_gureum/clock", {"advance_seconds": 24 * 3600 + 1})[0] == 200
    assert stream_records(streams, arn)["Records"] == []


def test_concurrent_counter_with_conditional_updates(start_gureum):
    """Many clients increment one counter: atomically with ADD, and optimistically with a
    read-then-conditional-write loop; no increment may be lost."""
    import threading

    server = start_gureum().start()
    ddb = server.client("dynamodb")
    ddb.create_table(
        TableName="counters",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="counters", Item={"id": {"S": "optimistic"}, "n": {"N": "0"}})
    threads, per_thread = 6, 40
    conflicts = []

    def atomic():
        client = server.client("dynamodb")
        for _ in range(per_thread):
            client.update_item(TableName="counters", Key={"id": {"S": "atomic"}},
                               UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}})

    def optimistic():
        client = server.client("dynamodb")
        done = 0
        while done < per_thread:
            current = client.get_item(TableName="counters", Key={"id": {"S": "optimistic"}}, ConsistentRead=True)["Item"]["n"]["N"]
            try:
                client.update_item(
                    TableName="counters", Key={"id": {"S": "optimistic"}},
                    UpdateExpression="SET n = :new", ConditionExpression="n = :old",
                    ExpressionAttributeValues={":new": {"N": str(int(current) + 1)}, ":old": {"N": current}},
                )
                done += 1
            except ddb.exceptions.ConditionalCheckFailedException:
                conflicts.append(1)

    workers = [threading.Thread(target=f) for f in (atomic, optimistic) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers)
    total = threads * per_thread
    got = {i["id"]["S"]: int(i["n"]["N"]) for i in ddb.scan(TableName="counters")["Items"]}
    assert got == {"atomic": total, "optimistic": total}
