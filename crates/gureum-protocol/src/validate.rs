//! Model constraints on decoded input, checked the way AWS's front ends check them: required
//! members, lengths, ranges and enums, reported as "N validation errors detected: Value X at
//! 'path' failed to satisfy constraint: ...".

use gureum_core::AwsError;
use gureum_model::{ServiceModel, Shape, ShapeKind};
use serde_json::Value;

use crate::Protocol;

/// At most this many violations are listed, as AWS does.
const MAX_REPORTED: usize = 10;

/// Checks `params` against the input shape; `Ok` when every constraint holds.
pub fn check(
    protocol: Protocol,
    model: &ServiceModel,
    input_shape: &str,
    params: &Value,
) -> Result<(), AwsError> {
    let Some(shape) = model.shape(input_shape) else {
        return Ok(());
    };
    let mut found = Vec::new();
    walk(model, shape, params, "", &mut found, 0);
    if found.is_empty() {
        return Ok(());
    }
    let n = found.len();
    found.truncate(MAX_REPORTED);
    let message = format!(
        "{n} validation error{} detected: {}",
        if n == 1 { "" } else { "s" },
        found.join("; ")
    );
    let code = match protocol {
        Protocol::Query | Protocol::Ec2 => "ValidationError",
        _ => "ValidationException",
    };
    Err(AwsError::bad_request(code, message))
}

/// AWS names members in these messages with a lowercase first letter.
fn path_name(parent: &str, member: &str) -> String {
    let mut c = member.chars();
    let lowered: String = c
        .next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default();
    if parent.is_empty() {
        lowered
    } else {
        format!("{parent}.{lowered}")
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => format!("'{s}'"),
        other => format!("'{other}'"),
    }
}

fn walk(
    model: &ServiceModel,
    shape: &Shape,
    v: &Value,
    path: &str,
    found: &mut Vec<String>,
    depth: usize,
) {
    if depth > crate::MAX_DEPTH {
        return;
    }
    let fail = |found: &mut Vec<String>, what: String| {
        found.push(format!(
            "Value {} at '{path}' failed to satisfy constraint: Member must {what}",
            shown(v)
        ));
    };
    match (shape.kind, v) {
        (ShapeKind::Structure, Value::Object(fields)) => {
            for m in &shape.members {
                let Some(target) = model.shape(&m.target.shape) else {
                    continue;
                };
                let child_path = path_name(path, &m.name);
                match fields.get(&m.name) {
                    None | Some(Value::Null) if shape.is_required(&m.name) => {
                        found.push(format!(
                            "Value null at '{child_path}' failed to satisfy constraint: Member must not be null"
                        ));
                    }
                    None | Some(Value::Null) => {}
                    Some(child) => walk(model, target, child, &child_path, found, depth + 1),
                }
            }
        }
        (ShapeKind::List, Value::Array(items)) => {
            check_length(shape, items.len(), |what| fail(found, what));
            if let Some(target) = shape.member.as_ref().and_then(|r| model.shape(&r.shape)) {
                for (i, item) in items.iter().enumerate() {
                    walk(
                        model,
                        target,
                        item,
                        &format!("{path}.{}.member", i + 1),
                        found,
                        depth + 1,
                    );
                }
            }
        }
        (ShapeKind::Map, Value::Object(entries)) => {
            check_length(shape, entries.len(), |what| fail(found, what));
            if let Some(target) = shape.value.as_ref().and_then(|r| model.shape(&r.shape)) {
                for (k, item) in entries {
                    walk(
                        model,
                        target,
                        item,
                        &format!("{path}.{k}"),
                        found,
                        depth + 1,
                    );
                }
            }
        }
        (ShapeKind::String, Value::String(s)) => {
            check_length(shape, s.chars().count(), |what| fail(found, what));
            if !shape.enum_values.is_empty() && !shape.enum_values.iter().any(|e| e == s) {
                fail(
                    found,
                    format!("satisfy enum value set: [{}]", shape.enum_values.join(", ")),
                );
            }
        }
        (ShapeKind::Blob, Value::String(b64)) => {
            use base64::Engine;
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
                check_length(shape, bytes.len(), |what| fail(found, what));
            }
        }
        (
            ShapeKind::Integer
            | ShapeKind::Long
            | ShapeKind::Short
            | ShapeKind::Byte
            | ShapeKind::Float
            | ShapeKind::Double,
            Value::Number(n),
        ) => {
            if let Some(x) = n.as_f64() {
                if let Some(min) = shape.min.filter(|min| x < *min) {
                    fail(
                        found,
                        format!("have value greater than or equal to {}", min as i64),
                    );
                } else if let Some(max) = shape.max.filter(|max| x > *max) {
                    fail(
                        found,
                        format!("have value less than or equal to {}", max as i64),
                    );
                }
            }
        }
        _ => {}
    }
}

fn check_length(shape: &Shape, len: usize, mut fail: impl FnMut(String)) {
    if let Some(min) = shape.min.filter(|m| (len as f64) < *m) {
        fail(format!(
            "have length greater than or equal to {}",
            min as i64
        ));
    } else if let Some(max) = shape.max.filter(|m| (len as f64) > *m) {
        fail(format!("have length less than or equal to {}", max as i64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check_input(service: &str, op: &str, params: Value) -> Result<(), String> {
        let model = gureum_model::service(service).unwrap();
        let shape = &model.operation(op).unwrap().input.as_ref().unwrap().shape;
        let protocol = if service == "dynamodb" {
            Protocol::Json
        } else {
            Protocol::Query
        };
        check(protocol, model, shape, &params).map_err(|e| format!("{}: {}", e.code, e.message))
    }

    #[test]
    fn reports_like_aws() {
        let cases = [
            (
                "sts",
                "AssumeRole",
                json!({"RoleArn": "arn:aws:iam::000000000000:role/role", "RoleSessionName": "ok"}),
                None,
            ),
            (
                "sts",
                "AssumeRole",
                json!({"RoleSessionName": "s"}),
                Some(
                    "ValidationError: 2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
                ),
            ),
            (
                "sts",
                "AssumeRole",
                json!({"RoleArn": "arn:aws:iam::000000000000:role/role", "RoleSessionName": "ok", "DurationSeconds": 60}),
                Some(
                    "ValidationError: 1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
                ),
            ),
            (
                "dynamodb",
                "CreateTable",
                json!({"TableName": "t", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "X"}], "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]}),
                Some(
                    "ValidationException: 1 validation error detected: Value 'X' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [S, N, B]",
                ),
            ),
        ];
        for (service, op, params, want) in cases {
            assert_eq!(
                check_input(service, op, params).err().as_deref(),
                want,
                "{service}.{op}"
            );
        }
    }
}
