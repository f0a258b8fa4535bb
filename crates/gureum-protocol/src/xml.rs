//! Writes the canonical value tree as XML, shape-driven: the bodies of awsQuery, ec2Query and
//! restXml responses. Member names, list and map layouts, flattening, attributes and namespaces
//! all come from the model.

use std::borrow::Cow;
use std::fmt::Write;

use gureum_core::AwsError;
use gureum_model::{Member, ServiceModel, Shape, ShapeKind, ShapeRef};
use serde_json::Value;

use crate::value::{TimestampFormat, scalar_to_text, shape, wire_name};

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s
        .bytes()
        .any(|b| matches!(b, b'<' | b'>' | b'&' | b'"' | b'\'' | b'\r'))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Writes each member of `value` (an object) present in the structure `shape`, in model order.
/// Attribute members are skipped here; [`attributes`] writes them on the enclosing tag.
pub fn write_members(
    model: &ServiceModel,
    shape: &Shape,
    value: &Value,
    out: &mut String,
    depth: usize,
) -> Result<(), AwsError> {
    let Value::Object(fields) = value else {
        return Ok(());
    };
    for Member { name, target } in &shape.members {
        if target.xml_attribute || target.location.is_some() {
            continue;
        }
        if let Some(v) = fields.get(name) {
            if v.is_null() {
                continue;
            }
            write_element(model, wire_name(name, target), target, v, out, depth + 1)?;
        }
    }
    Ok(())
}

/// The ` name="value"` attributes of a structure's attribute members.
pub fn attributes(model: &ServiceModel, shape: &Shape, value: &Value) -> Result<String, AwsError> {
    let mut out = String::new();
    let Value::Object(fields) = value else {
        return Ok(out);
    };
    for Member { name, target } in &shape.members {
        if !target.xml_attribute {
            continue;
        }
        if let Some(v) = fields.get(name) {
            let s = self::shape(model, &target.shape)?;
            if let Some(text) = scalar_to_text(Some(target), s, v, TimestampFormat::Iso8601) {
                let _ = write!(out, " {}=\"{}\"", wire_name(name, target), escape(&text));
            }
        }
    }
    Ok(out)
}

fn namespace_attr(r: &ShapeRef, s: &Shape) -> String {
    match r.xml_namespace.as_ref().or(s.xml_namespace.as_ref()) {
        Some(ns) => match (&ns.prefix, &ns.uri) {
            (Some(p), Some(u)) => format!(" xmlns:{p}=\"{}\"", escape(u)),
            (None, Some(u)) => format!(" xmlns=\"{}\"", escape(u)),
            _ => String::new(),
        },
        None => String::new(),
    }
}

/// Writes one element named `name` for a value of the referenced shape. Flattened lists and
/// maps write repeated elements instead of a wrapper.
pub fn write_element(
    model: &ServiceModel,
    name: &str,
    r: &ShapeRef,
    value: &Value,
    out: &mut String,
    depth: usize,
) -> Result<(), AwsError> {
    if depth > crate::MAX_DEPTH {
        return Err(AwsError::internal("output nests too deep"));
    }
    let s = shape(model, &r.shape)?;
    match s.kind {
        ShapeKind::Structure => {
            let attrs = attributes(model, s, value)?;
            let _ = write!(out, "<{name}{}{attrs}>", namespace_attr(r, s));
            write_members(model, s, value, out, depth)?;
            let _ = write!(out, "</{name}>");
        }
        ShapeKind::List => {
            let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
            let member = s
                .member
                .as_ref()
                .ok_or_else(|| AwsError::internal("list without member"))?;
            if r.flattened || s.flattened {
                let item_name = member.location_name.as_deref().unwrap_or(name);
                for item in items {
                    write_element(model, item_name, member, item, out, depth + 1)?;
                }
            } else {
                let item_name = member.location_name.as_deref().unwrap_or("member");
                let _ = write!(out, "<{name}{}>", namespace_attr(r, s));
                for item in items {
                    write_element(model, item_name, member, item, out, depth + 1)?;
                }
                let _ = write!(out, "</{name}>");
            }
        }
        ShapeKind::Map => {
            let (Some(k), Some(v)) = (s.key.as_ref(), s.value.as_ref()) else {
                return Err(AwsError::internal("map without key or value"));
            };
            let Value::Object(entries) = value else {
                return Ok(());
            };
            let key_name = k.location_name.as_deref().unwrap_or("key");
            let value_name = v.location_name.as_deref().unwrap_or("value");
            let flattened = r.flattened || s.flattened;
            if !flattened {
                let _ = write!(out, "<{name}>");
            }
            for (key, val) in entries {
                let entry = if flattened { name } else { "entry" };
                let _ = write!(out, "<{entry}><{key_name}>{}</{key_name}>", escape(key));
                write_element(model, value_name, v, val, out, depth + 1)?;
                let _ = write!(out, "</{entry}>");
            }
            if !flattened {
                let _ = write!(out, "</{name}>");
            }
        }
        _ => {
            let text =
                scalar_to_text(Some(r), s, value, TimestampFormat::Iso8601).unwrap_or_default();
            let _ = write!(
                out,
                "<{name}{}>{}</{name}>",
                namespace_attr(r, s),
                escape(&text)
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(service: &str, shape_name: &str, value: Value) -> String {
        let model = gureum_model::service(service).unwrap();
        let mut out = String::new();
        write_members(model, model.shape(shape_name).unwrap(), &value, &mut out, 0).unwrap();
        out
    }

    #[test]
    fn query_structures_lists_and_timestamps() {
        let cases = [
            (
                "sts",
                "GetCallerIdentityResponse",
                json!({"UserId": "u", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}),
                "<UserId>u</UserId><Account>000000000000</Account><Arn>arn:aws:iam::000000000000:root</Arn>",
            ),
            (
                "sts",
                "AssumeRoleResponse",
                json!({"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T", "Expiration": 1700000000}}),
                "<Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken><Expiration>2023-11-14T22:13:20Z</Expiration></Credentials>",
            ),
            (
                "iam",
                "ListUsersResponse",
                json!({"Users": [{"UserName": "a&b"}], "IsTruncated": false}),
                "<Users><member><UserName>a&amp;b</UserName></member></Users><IsTruncated>false</IsTruncated>",
            ),
            (
                "ec2",
                "DescribeRegionsResult",
                json!({"Regions": [{"RegionName": "us-east-1", "Endpoint": "e"}]}),
                "<regionInfo><item><regionName>us-east-1</regionName><regionEndpoint>e</regionEndpoint></item></regionInfo>",
            ),
        ];
        for (service, shape, value, want) in cases {
            assert_eq!(render(service, shape, value), want, "{service} {shape}");
        }
    }

    #[test]
    fn rest_xml_flattened_lists_and_attributes() {
        let got = render(
            "s3",
            "ListObjectsV2Output",
            json!({"Name": "b", "Contents": [{"Key": "k1"}, {"Key": "k2"}], "KeyCount": 2}),
        );
        assert!(
            got.contains("<Contents><Key>k1</Key></Contents><Contents><Key>k2</Key></Contents>"),
            "{got}"
        );
        assert!(got.contains("<Name>b</Name>"));
        let grantee = render(
            "s3",
            "Grant",
            json!({"Grantee": {"Type": "CanonicalUser", "ID": "id"}, "Permission": "READ"}),
        );
        assert!(grantee.starts_with("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>id</ID>"), "{grantee}");
    }
}
