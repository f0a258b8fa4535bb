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
    walk(model, shape, params, &mut Vec::new(), &mut found, 0);
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

/// One step of the path to a value, rendered only when a violation is reported.
enum Step<'a> {
    Member(&'a str),
    Index(usize),
    Key(&'a str),
}

/// The path as AWS writes it: members with a lowercase first letter, list items as
/// `.N.member`, map values by key (`attributeDefinitions.1.member.attributeType`).
fn rendered(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Member(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let mut c = name.chars();
                if let Some(first) = c.next() {
                    out.extend(first.to_lowercase());
                    out.push_str(c.as_str());
                }
            }
            Step::Index(i) => out.push_str(&format!(".{}.member", i + 1)),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
        }
    }
    out
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => format!("'{s}'"),
        other => format!("'{other}'"),
    }
}

/// The decoded length of standard base64 text, without decoding it.
fn base64_len(text: &str) -> usize {
    let t = text.trim_end();
    let padding = t.bytes().rev().take_while(|b| *b == b'=').count().min(2);
    (t.len() / 4) * 3
        + match t.len() % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        }
        - if t.len() % 4 == 0 { padding } else { 0 }
}

fn walk<'a>(
    model: &'a ServiceModel,
    shape: &'a Shape,
    v: &'a Value,
    path: &mut Vec<Step<'a>>,
    found: &mut Vec<String>,
    depth: usize,
) {
    if depth > crate::MAX_DEPTH {
        return;
    }
    let fail = |found: &mut Vec<String>, path: &[Step<'_>], what: String| {
        found.push(format!(
            "Value {} at '{}' failed to satisfy constraint: Member must {what}",
            shown(v),
            rendered(path)
        ));
    };
    match (shape.kind, v) {
        (ShapeKind::Structure, Value::Object(fields)) => {
            for m in &shape.members {
                let Some(target) = model.shape(&m.target.shape) else {
                    continue;
                };
                match fields.get_key_value(&m.name) {
                    None | Some((_, Value::Null)) if shape.is_required(&m.name) => {
                        path.push(Step::Member(&m.name));
                        found.push(format!(
                            "Value null at '{}' failed to satisfy constraint: Member must not be null",
                            rendered(path)
                        ));
                        path.pop();
                    }
                    None | Some((_, Value::Null)) => {}
                    Some((name, child)) => {
                        path.push(Step::Member(name));
                        walk(model, target, child, path, found, depth + 1);
                        path.pop();
                    }
                }
            }
        }
        (ShapeKind::List, Value::Array(items)) => {
            check_length(shape, items.len(), |what| fail(found, path, what));
            if let Some(target) = shape.member.as_ref().and_then(|r| model.shape(&r.shape)) {
                for (i, item) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(model, target, item, path, found, depth + 1);
                    path.pop();
                }
            }
        }
        (ShapeKind::Map, Value::Object(entries)) => {
            check_length(shape, entries.len(), |what| fail(found, path, what));
            if let Some(target) = shape.value.as_ref().and_then(|r| model.shape(&r.shape)) {
                for (k, item) in entries {
                    path.push(Step::Key(k));
                    walk(model, target, item, path, found, depth + 1);
                    path.pop();
                }
            }
        }
        (ShapeKind::String, Value::String(s)) => {
            if shape.min.is_some() || shape.max.is_some() {
                check_length(shape, s.chars().count(), |what| fail(found, path, what));
            }
            if !shape.enum_values.is_empty() && !shape.enum_values.iter().any(|e| e == s) {
                let what = format!("satisfy enum value set: [{}]", shape.enum_values.join(", "));
                fail(found, path, what);
            }
        }
        (ShapeKind::Blob, Value::String(b64)) => {
            check_length(shape, base64_len(b64), |what| fail(found, path, what));
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
                        path,
                        format!("have value greater than or equal to {}", min as i64),
                    );
                } else if let Some(max) = shape.max.filter(|max| x > *max) {
                    fail(
                        found,
                        path,
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
    fn base64_lengths_without_decoding() {
        use base64::Engine;
        for n in 0..20 {
            let text = base64::engine::general_purpose::STANDARD.encode(vec![7u8; n]);
            assert_eq!(base64_len(&text), n, "{text}");
        }
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
