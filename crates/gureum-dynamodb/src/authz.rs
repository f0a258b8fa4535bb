//! What each DynamoDB request asks IAM for: the action and the table (or index) ARNs it touches;
//! PartiQL statements ask for PartiQLSelect, PartiQLInsert, PartiQLUpdate or PartiQLDelete.

use std::collections::BTreeSet;

use gureum_core::{AuthzTarget, RequestContext};
use serde_json::Value;

use crate::{partiql, table_arn, table_ref};

/// The targets of one request, each (action, resource) once, in a stable order.
pub fn targets(ctx: &RequestContext, operation: &str, params: &Value) -> Vec<AuthzTarget> {
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    let mut add = |action: &str, table: &str| {
        pairs.insert((
            ["dynamodb:", action].concat(),
            table_ref::authz_arn(ctx, table),
        ));
    };
    match operation {
        "BatchGetItem" | "BatchWriteItem" => {
            if let Some(tables) = params.get("RequestItems").and_then(Value::as_object) {
                for name in tables.keys() {
                    add(operation, name);
                }
            }
        }
        "TransactWriteItems" | "TransactGetItems" => {
            for element in params
                .get("TransactItems")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for (member, action) in [
                    ("Put", "PutItem"),
                    ("Update", "UpdateItem"),
                    ("Delete", "DeleteItem"),
                    ("ConditionCheck", "ConditionCheckItem"),
                    ("Get", "GetItem"),
                ] {
                    if let Some(name) = element
                        .get(member)
                        .and_then(|m| m.get("TableName"))
                        .and_then(Value::as_str)
                    {
                        add(action, name);
                    }
                }
            }
        }
        "ExecuteStatement" => {
            if let Some(target) = params
                .get("Statement")
                .and_then(Value::as_str)
                .and_then(partiql::action_and_table)
            {
                pairs.insert(statement_target(ctx, target));
            }
        }
        "BatchExecuteStatement" | "ExecuteTransaction" => {
            let member = if operation == "ExecuteTransaction" {
                "TransactStatements"
            } else {
                "Statements"
            };
            for statement in params
                .get(member)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(target) = statement
                    .get("Statement")
                    .and_then(Value::as_str)
                    .and_then(partiql::action_and_table)
                {
                    pairs.insert(statement_target(ctx, target));
                }
            }
        }
        "DescribeBackup" | "DeleteBackup" => {
            if let Some(arn) = params.get("BackupArn").and_then(Value::as_str) {
                pairs.insert((format!("dynamodb:{operation}"), arn.to_string()));
            }
        }
        "RestoreTableFromBackup" => {
            if let Some(name) = params.get("TargetTableName").and_then(Value::as_str) {
                add(operation, name);
            }
        }
        "RestoreTableToPointInTime" => {
            for member in ["SourceTableName", "TargetTableName"] {
                if let Some(name) = params.get(member).and_then(Value::as_str) {
                    add(operation, name);
                }
            }
            if let Some(arn) = params.get("SourceTableArn").and_then(Value::as_str) {
                pairs.insert((format!("dynamodb:{operation}"), arn.to_string()));
            }
        }
        "ListTables" | "ListBackups" => {}
        _ => {
            if let Some(name) = params.get("TableName").and_then(Value::as_str) {
                let mut resource = table_ref::authz_arn(ctx, name);
                if matches!(operation, "Query" | "Scan") {
                    if let Some(index) = params.get("IndexName").and_then(Value::as_str) {
                        resource = format!("{resource}/index/{index}");
                    }
                }
                pairs.insert((format!("dynamodb:{operation}"), resource));
            }
        }
    }
    if pairs.is_empty() {
        // Nothing named (ListTables, or a request that will fail validation): the action on `*`.
        return vec![AuthzTarget::new(format!("dynamodb:{operation}"), "*")];
    }
    pairs
        .into_iter()
        .map(|(action, resource)| AuthzTarget::new(action, resource))
        .collect()
}

/// `dynamodb:PartiQL<Verb>` on the statement's table, or its index for a SELECT of one.
fn statement_target(
    ctx: &RequestContext,
    (action, table, index): (&str, String, Option<String>),
) -> (String, String) {
    let mut resource = table_arn(ctx, &table);
    if let Some(index) = index {
        resource = format!("{resource}/index/{index}");
    }
    (format!("dynamodb:{action}"), resource)
}
