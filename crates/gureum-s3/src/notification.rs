//! Event notification configuration: Put/GetBucketNotificationConfiguration (SNS topic, SQS
//! queue and Lambda function destinations, event names, key name filters, EventBridge),
//! validated as S3 does and stored. Nothing is delivered yet: delivery comes with the
//! services that receive it.
//!
//! `s3.notifications`: `join([bucket])` -> the configuration (see [`crate::subresource`]).

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use serde_json::{Map, Value, json};

use crate::{S3, errors, str_param, subresource};

pub const NOTIFICATIONS: &str = "s3.notifications";

/// The event types S3 sends notifications for.
const EVENTS: &[&str] = &[
    "s3:ReducedRedundancyLostObject",
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectAcl:Put",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
];

/// Each destination kind: the list member, its ARN member, and the service its ARN names.
const KINDS: [(&str, &str, &str); 3] = [
    ("TopicConfigurations", "TopicArn", "sns"),
    ("QueueConfigurations", "QueueArn", "sqs"),
    (
        "LambdaFunctionConfigurations",
        "LambdaFunctionArn",
        "lambda",
    ),
];

fn invalid(message: &str) -> AwsError {
    errors::invalid_argument(message.to_string())
}

/// Whether `arn` is a well-formed ARN of `service`'s resource.
fn arn_of(arn: &str, service: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == service
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[5].is_empty()
}

/// The key filter of one configuration: (prefix, suffix), each possibly empty.
fn check_filter(config: &Value) -> Result<(Option<Value>, String, String), AwsError> {
    let Some(filter) = config.get("Filter") else {
        return Ok((None, String::new(), String::new()));
    };
    let rules = filter
        .pointer("/Key/FilterRules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (mut prefix, mut suffix) = (None::<String>, None::<String>);
    let mut kept = Vec::new();
    for rule in &rules {
        let name = str_param(rule, "Name").unwrap_or_default();
        let value = str_param(rule, "Value").unwrap_or_default().to_string();
        let slot = match name.to_ascii_lowercase().as_str() {
            "prefix" => &mut prefix,
            "suffix" => &mut suffix,
            _ => return Err(invalid("filter rule name must be either prefix or suffix")),
        };
        if slot.is_some() {
            return Err(invalid(&format!(
                "Cannot specify more than one {} rule in a filter.",
                name.to_ascii_lowercase()
            )));
        }
        if value.len() > 1024 {
            return Err(invalid("The filter rule value is too long."));
        }
        *slot = Some(value.clone());
        kept.push(json!({"Name": capitalized(name), "Value": value}));
    }
    let stored = json!({"Key": {"FilterRules": kept}});
    Ok((
        Some(stored),
        prefix.unwrap_or_default(),
        suffix.unwrap_or_default(),
    ))
}

/// S3 answers filter rule names as `Prefix` and `Suffix` whatever case they were sent in.
fn capitalized(name: &str) -> &'static str {
    if name.eq_ignore_ascii_case("prefix") {
        "Prefix"
    } else {
        "Suffix"
    }
}

/// Whether two event types can name the same event (`s3:ObjectCreated:*` covers
/// `s3:ObjectCreated:Put`).
fn events_overlap(a: &str, b: &str) -> bool {
    let family = |e: &str| e.rsplit_once(':').map(|(f, _)| f.to_string());
    a == b
        || (a.ends_with(":*") && family(a) == family(b))
        || (b.ends_with(":*") && family(a) == family(b))
}

/// A configuration as checked: its events and key filter, for the overlap rule.
struct Checked {
    events: Vec<String>,
    prefix: String,
    suffix: String,
}

fn overlaps(a: &Checked, b: &Checked) -> bool {
    let prefixes = a.prefix.starts_with(&b.prefix) || b.prefix.starts_with(&a.prefix);
    let suffixes = a.suffix.ends_with(&b.suffix) || b.suffix.ends_with(&a.suffix);
    prefixes
        && suffixes
        && a.events
            .iter()
            .any(|x| b.events.iter().any(|y| events_overlap(x, y)))
}

/// Checks a `NotificationConfiguration` as S3 does and answers the one to store (with ids
/// generated where none was given).
fn validate(config: &Value) -> Result<Value, AwsError> {
    let mut out = Map::new();
    let mut seen: Vec<Checked> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for (list_member, arn_member, service) in KINDS {
        let Some(list) = config.get(list_member).and_then(Value::as_array) else {
            continue;
        };
        let mut kept = Vec::new();
        for c in list {
            let arn = str_param(c, arn_member).unwrap_or_default();
            if !arn_of(arn, service) {
                return Err(invalid("The ARN is not well formed"));
            }
            let events: Vec<String> = c
                .get("Events")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if events.is_empty() {
                return Err(errors::malformed_xml());
            }
            if events.iter().any(|e| !EVENTS.contains(&e.as_str())) {
                return Err(invalid("The event is not supported for notifications"));
            }
            let (filter, prefix, suffix) = check_filter(c)?;
            let checked = Checked {
                events: events.clone(),
                prefix,
                suffix,
            };
            if seen.iter().any(|s| overlaps(s, &checked)) {
                return Err(invalid(
                    "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                ));
            }
            seen.push(checked);
            let id = match str_param(c, "Id").filter(|s| !s.is_empty()) {
                Some(id) => id.to_string(),
                None => generated_id(),
            };
            if ids.contains(&id) {
                return Err(invalid("Duplicate notification configuration id"));
            }
            ids.push(id.clone());
            let mut entry = json!({"Id": id, arn_member: arn, "Events": events});
            if let Some(f) = filter {
                entry["Filter"] = f;
            }
            kept.push(entry);
        }
        if !kept.is_empty() {
            out.insert(list_member.into(), Value::Array(kept));
        }
    }
    if config.get("EventBridgeConfiguration").is_some() {
        out.insert("EventBridgeConfiguration".into(), json!({}));
    }
    Ok(Value::Object(out))
}

/// An id for a configuration sent without one: random, as S3 makes them.
fn generated_id() -> String {
    let mut bytes = [0u8; 18];
    gureum_core::ids::random_bytes(&mut bytes);
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn put_bucket_notification_configuration(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let config = p
        .get("NotificationConfiguration")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let stored = validate(&config)?;
    if stored.as_object().is_some_and(Map::is_empty) {
        subresource::delete(s3, NOTIFICATIONS, name)?;
    } else {
        subresource::store(s3, NOTIFICATIONS, &bucket, stored)?;
    }
    Ok(OperationOutput::new(json!({})))
}

pub fn get_bucket_notification_configuration(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let bucket = s3.bucket(ctx, str_param(&input.params, "Bucket").unwrap_or_default())?;
    let config = subresource::load(s3, NOTIFICATIONS, &bucket)?.unwrap_or_else(|| json!({}));
    Ok(OperationOutput::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(events: &[&str], rules: Value) -> Value {
        json!({"QueueArn": "arn:aws:sqs:us-east-1:123456789012:q", "Events": events,
               "Filter": {"Key": {"FilterRules": rules}}})
    }

    #[test]
    fn configurations_are_validated_as_s3_does() {
        let ok = validate(&json!({"QueueConfigurations": [
            queue(&["s3:ObjectCreated:*"], json!([{"Name": "prefix", "Value": "a/"}])),
            queue(&["s3:ObjectCreated:Put"], json!([{"Name": "prefix", "Value": "b/"}])),
        ]}))
        .unwrap();
        let list = ok["QueueConfigurations"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert!(!list[0]["Id"].as_str().unwrap().is_empty());
        assert_eq!(list[0]["Filter"]["Key"]["FilterRules"][0]["Name"], "Prefix");
        for (config, message) in [
            (
                json!({"QueueConfigurations": [queue(&["s3:ObjectCreated:*"], json!([])),
                                             queue(&["s3:ObjectCreated:Put"], json!([]))]}),
                "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
            ),
            (
                json!({"QueueConfigurations": [queue(&["s3:Nope"], json!([]))]}),
                "The event is not supported for notifications",
            ),
            (
                json!({"QueueConfigurations": [queue(&["s3:ObjectCreated:*"],
                json!([{"Name": "middle", "Value": "x"}]))]}),
                "filter rule name must be either prefix or suffix",
            ),
            (
                json!({"QueueConfigurations": [queue(&["s3:ObjectCreated:*"],
                json!([{"Name": "prefix", "Value": "x"}, {"Name": "Prefix", "Value": "y"}]))]}),
                "Cannot specify more than one prefix rule in a filter.",
            ),
            (
                json!({"TopicConfigurations": [{"TopicArn": "arn:aws:sqs:us-east-1:123456789012:q",
                "Events": ["s3:ObjectCreated:*"]}]}),
                "The ARN is not well formed",
            ),
        ] {
            let e = validate(&config).unwrap_err();
            assert_eq!(
                (e.code.as_ref(), e.message.as_ref()),
                ("InvalidArgument", message)
            );
        }
        // Different suffixes do not overlap.
        assert!(
            validate(&json!({"QueueConfigurations": [
                queue(&["s3:ObjectCreated:*"], json!([{"Name": "suffix", "Value": ".jpg"}])),
                queue(&["s3:ObjectCreated:*"], json!([{"Name": "suffix", "Value": ".png"}])),
            ]}))
            .is_ok()
        );
    }
}
