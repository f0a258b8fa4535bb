//! Tables named by ARN: every member that takes a table name also takes the table's ARN
//! (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`). Requests are rewritten to plain names before
//! their handler runs; an ARN of another region is refused, one of another account denied (no
//! resource-based policies here), and an index, stream or malformed ARN is not a table.

use gureum_core::{AwsError, RequestContext};
use serde_json::{Map, Value};

use crate::errors::validation;

/// What an ARN in a table-name member names.
struct TableArn<'a> {
    region: &'a str,
    account: &'a str,
    name: &'a str,
}

fn parse(s: &str) -> Option<TableArn<'_>> {
    let mut parts = s.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("dynamodb"), Some(region), Some(account), Some(res)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let name = res.strip_prefix("table/")?;
    let valid_name = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    (partition.starts_with("aws") && !region.is_empty() && valid_name).then_some(TableArn {
        region,
        account,
        name,
    })
}

fn malformed(s: &str, member: &str) -> AwsError {
    validation(format!(
        "1 validation error detected: Value '{s}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ or be a valid table ARN"
    ))
}

/// The table name `s` stands for: itself, or the name in a table ARN of the caller's region
/// and account.
pub fn resolve<'s>(ctx: &RequestContext, s: &'s str, member: &str) -> Result<&'s str, AwsError> {
    if !s.starts_with("arn:") {
        return Ok(s);
    }
    let arn = parse(s).ok_or_else(|| malformed(s, member))?;
    if arn.region != ctx.region {
        return Err(validation(format!(
            "The table ARN {s} names region {}, but the request was sent to {}",
            arn.region, ctx.region
        )));
    }
    if arn.account != ctx.account_id() {
        return Err(AwsError::bad_request(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: dynamodb:{} on resource: {s} because no resource-based policy allows the dynamodb:{} action",
                ctx.principal.arn, ctx.operation, ctx.operation
            ),
        ));
    }
    Ok(arn.name)
}

/// The resource ARN IAM is asked about for a table named `s` (a name or an ARN, taken as is).
pub fn authz_arn(ctx: &RequestContext, s: &str) -> String {
    if s.starts_with("arn:") {
        s.to_string()
    } else {
        crate::table_arn(ctx, s)
    }
}

fn rewrite(ctx: &RequestContext, v: Option<&mut Value>, member: &str) -> Result<(), AwsError> {
    if let Some(Value::String(s)) = v {
        if s.starts_with("arn:") {
            *s = resolve(ctx, s, member)?.to_string();
        }
    }
    Ok(())
}

/// Rewrites every table ARN of a request to its table's name: `TableName`, the keys of a
/// batch's `RequestItems`, and each transaction item's `TableName`.
pub fn resolve_all(
    ctx: &RequestContext,
    operation: &str,
    params: &mut Value,
) -> Result<(), AwsError> {
    let Some(obj) = params.as_object_mut() else {
        return Ok(());
    };
    rewrite(ctx, obj.get_mut("TableName"), "tableName")?;
    if operation == "RestoreTableToPointInTime" {
        if let Some(Value::String(arn)) = obj.get("SourceTableArn") {
            resolve(ctx, arn, "sourceTableArn")?;
        }
    }
    if let Some(Value::Object(items)) = obj.get_mut("RequestItems") {
        if items.keys().any(|k| k.starts_with("arn:")) {
            let mut renamed = Map::new();
            for (k, v) in std::mem::take(items) {
                let name = resolve(ctx, &k, "requestItems")?.to_string();
                if renamed.insert(name.clone(), v).is_some() {
                    return Err(validation(format!(
                        "Provided list of item keys contains duplicates: table {name} is named twice"
                    )));
                }
            }
            *items = renamed;
        }
    }
    if let Some(Value::Array(elements)) = obj.get_mut("TransactItems") {
        for element in elements {
            for member in ["Put", "Update", "Delete", "ConditionCheck", "Get"] {
                rewrite(
                    ctx,
                    element.get_mut(member).and_then(|m| m.get_mut("TableName")),
                    "tableName",
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_arns_parse() {
        for (s, expect) in [
            (
                "arn:aws:dynamodb:us-east-1:000000000000:table/orders",
                Some(("us-east-1", "000000000000", "orders")),
            ),
            (
                "arn:aws:dynamodb:us-east-1:000000000000:table/t/index/i",
                None,
            ),
            ("arn:aws:dynamodb:us-east-1:000000000000:backup/x", None),
            ("arn:aws:s3:::bucket", None),
            ("arn:aws:dynamodb:us-east-1:000000000000:table/", None),
        ] {
            assert_eq!(
                parse(s).map(|a| (a.region, a.account, a.name)),
                expect,
                "{s}"
            );
        }
    }
}
