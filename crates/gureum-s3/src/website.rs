//! Bucket website configuration: Put/Get/DeleteBucketWebsite (index document, error document,
//! redirect of all requests, routing rules), validated as S3 does and stored. The website
//! endpoint that serves it is [`crate::website_endpoint`].
//!
//! `s3.websites`: a bucket document ([`crate::subresource`]), tied to the bucket's creation time
//! (a bucket deleted and created again under the same name does not inherit it).

use gureum_core::{AwsError, OperationInput, OperationOutput, RequestContext};
use serde_json::{Map, Value, json};

use crate::model::Bucket;
use crate::{S3, errors, str_param, subresource};

pub const WEBSITES: &str = "s3.websites";

/// S3's limit on routing rules per configuration.
const MAX_ROUTING_RULES: usize = 50;

fn no_such_website() -> AwsError {
    AwsError::new(
        "NoSuchWebsiteConfiguration",
        404,
        "The specified bucket does not have a website configuration",
    )
}

fn string_member(v: &Value, name: &str) -> Option<String> {
    str_param(v, name)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn check_protocol(v: &Value) -> Result<Option<String>, AwsError> {
    match str_param(v, "Protocol") {
        None => Ok(None),
        Some(p @ ("http" | "https")) => Ok(Some(p.to_string())),
        Some(_) => Err(errors::invalid_argument(
            "Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.",
        )),
    }
}

fn check_rule(rule: &Value) -> Result<Value, AwsError> {
    let mut out = Map::new();
    if let Some(condition) = rule.get("Condition") {
        let prefix = str_param(condition, "KeyPrefixEquals");
        let code = str_param(condition, "HttpErrorCodeReturnedEquals");
        if prefix.is_none() && code.is_none() {
            return Err(errors::invalid_argument(
                "Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present.",
            ));
        }
        if let Some(code) = code {
            let valid = code.parse::<u16>().is_ok_and(|c| (400..600).contains(&c));
            if !valid {
                return Err(errors::invalid_argument(
                    "The provided HTTP error code is not valid. Valid codes are 4XX or 5XX.",
                ));
            }
        }
        let mut c = Map::new();
        if let Some(p) = prefix {
            c.insert("KeyPrefixEquals".into(), p.into());
        }
        if let Some(code) = code {
            c.insert("HttpErrorCodeReturnedEquals".into(), code.into());
        }
        out.insert("Condition".into(), Value::Object(c));
    }
    let redirect = rule.get("Redirect").ok_or_else(errors::malformed_xml)?;
    let mut r = Map::new();
    if let Some(protocol) = check_protocol(redirect)? {
        r.insert("Protocol".into(), protocol.into());
    }
    for name in ["HostName", "ReplaceKeyPrefixWith", "ReplaceKeyWith"] {
        if let Some(v) = str_param(redirect, name) {
            r.insert(name.into(), v.into());
        }
    }
    if r.contains_key("ReplaceKeyPrefixWith") && r.contains_key("ReplaceKeyWith") {
        return Err(errors::invalid_argument(
            "You can only define ReplaceKeyPrefix or ReplaceKey but not both.",
        ));
    }
    if let Some(code) = str_param(redirect, "HttpRedirectCode") {
        let valid = code
            .parse::<u16>()
            .is_ok_and(|c| (300..400).contains(&c) && c != 300);
        if !valid {
            return Err(errors::invalid_argument(
                "The provided HTTP redirect code is not valid. It should be a string containing a number between 301 and 399.",
            ));
        }
        r.insert("HttpRedirectCode".into(), code.into());
    }
    if r.is_empty() {
        return Err(errors::invalid_argument(
            "The Redirect element must contain at least one of the following: Protocol, HostName, ReplaceKeyPrefixWith, ReplaceKeyWith or HttpRedirectCode.",
        ));
    }
    out.insert("Redirect".into(), Value::Object(r));
    Ok(Value::Object(out))
}

/// Validates a `WebsiteConfiguration` as S3 does and answers the form to store.
pub fn validate(config: &Value) -> Result<Value, AwsError> {
    let mut out = Map::new();
    let index = config.get("IndexDocument");
    let error = config.get("ErrorDocument");
    let redirect_all = config.get("RedirectAllRequestsTo");
    let rules = config.get("RoutingRules");
    if let Some(all) = redirect_all {
        if index.is_some() || error.is_some() || rules.is_some() {
            return Err(errors::invalid_argument(
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing/Redirection/Error/Index directives.",
            ));
        }
        let host = string_member(all, "HostName").ok_or_else(errors::malformed_xml)?;
        let mut r = Map::new();
        r.insert("HostName".into(), host.into());
        if let Some(protocol) = check_protocol(all)? {
            r.insert("Protocol".into(), protocol.into());
        }
        out.insert("RedirectAllRequestsTo".into(), Value::Object(r));
        return Ok(Value::Object(out));
    }
    let Some(index) = index else {
        return Err(errors::invalid_argument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
        ));
    };
    let suffix = str_param(index, "Suffix").unwrap_or_default();
    if suffix.is_empty() || suffix.contains('/') {
        return Err(errors::invalid_argument(
            "The IndexDocument Suffix is not well formed",
        ));
    }
    out.insert("IndexDocument".into(), json!({"Suffix": suffix}));
    if let Some(error) = error {
        let key = string_member(error, "Key")
            .ok_or_else(|| errors::invalid_argument("The ErrorDocument Key is not well formed"))?;
        if key.len() > crate::validate::MAX_KEY_BYTES {
            return Err(errors::invalid_argument(
                "The ErrorDocument Key is not well formed",
            ));
        }
        out.insert("ErrorDocument".into(), json!({"Key": key}));
    }
    if let Some(rules) = rules {
        let list = rules.as_array().ok_or_else(errors::malformed_xml)?;
        if list.is_empty() {
            return Err(errors::malformed_xml());
        }
        if list.len() > MAX_ROUTING_RULES {
            return Err(errors::invalid_argument(
                "The number of routing rules must not exceed the allowed limit of 50.",
            ));
        }
        let checked = list.iter().map(check_rule).collect::<Result<Vec<_>, _>>()?;
        out.insert("RoutingRules".into(), Value::Array(checked));
    }
    Ok(Value::Object(out))
}

/// The validated configuration (`WebsiteConfiguration`'s members) of `bucket`, if it has one.
pub(crate) fn load(s3: &S3, bucket: &Bucket) -> Result<Option<Value>, AwsError> {
    subresource::load(s3, WEBSITES, bucket)
}

pub fn put_bucket_website(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let p = &input.params;
    let name = str_param(p, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let config = p
        .get("WebsiteConfiguration")
        .ok_or_else(errors::malformed_xml)?;
    subresource::store(s3, WEBSITES, &bucket, validate(config)?)?;
    Ok(OperationOutput::new(json!({})))
}

pub fn get_bucket_website(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    let bucket = s3.bucket(ctx, name)?;
    let config = load(s3, &bucket)?.ok_or_else(no_such_website)?;
    Ok(OperationOutput::new(config))
}

pub fn delete_bucket_website(
    s3: &S3,
    ctx: &RequestContext,
    input: OperationInput,
) -> Result<OperationOutput, AwsError> {
    let name = str_param(&input.params, "Bucket").unwrap_or_default();
    s3.bucket(ctx, name)?;
    subresource::delete(s3, WEBSITES, name)?;
    Ok(OperationOutput::new(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(v: Value) -> String {
        validate(&v).unwrap_err().code.to_string()
    }

    #[test]
    fn website_configurations_are_validated_as_s3_does() {
        assert!(validate(&json!({"IndexDocument": {"Suffix": "index.html"}})).is_ok());
        assert!(validate(&json!({"RedirectAllRequestsTo": {"HostName": "example.com"}})).is_ok());
        assert_eq!(code(json!({})), "InvalidArgument");
        assert_eq!(
            code(json!({"IndexDocument": {"Suffix": "a/b"}})),
            "InvalidArgument"
        );
        assert_eq!(
            code(json!({"RedirectAllRequestsTo": {"HostName": "h"},
                "IndexDocument": {"Suffix": "i"}})),
            "InvalidArgument"
        );
        assert_eq!(
            code(json!({"RedirectAllRequestsTo": {"HostName": "h", "Protocol": "ftp"}})),
            "InvalidArgument"
        );
        assert_eq!(
            code(json!({"IndexDocument": {"Suffix": "i"},
                "RoutingRules": [{"Redirect": {"HttpRedirectCode": "200"}}]})),
            "InvalidArgument"
        );
        assert_eq!(
            code(json!({"IndexDocument": {"Suffix": "i"},
                "RoutingRules": [{"Redirect": {"ReplaceKeyWith": "a", "ReplaceKeyPrefixWith": "b"}}]})),
            "InvalidArgument"
        );
        assert_eq!(
            code(json!({"IndexDocument": {"Suffix": "i"}, "RoutingRules": [{}]})),
            "MalformedXML"
        );
    }
}
