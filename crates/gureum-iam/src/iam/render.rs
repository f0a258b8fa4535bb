//! Records as IAM's responses show them (value trees keyed by botocore's member names), policy
//! documents URL-encoded as AWS returns them, and Marker/MaxItems pagination.

use base64::Engine;
use gureum_core::AwsError;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use crate::model::{Group, InstanceProfile, ManagedPolicy, Role, Tag, User};

/// Everything but RFC 3986's unreserved characters is escaped, as AWS does; botocore undoes it
/// with `unquote` and parses the JSON.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A policy document as IAM's responses carry it: URL-encoded.
pub fn document(doc: &str) -> String {
    utf8_percent_encode(doc, ENCODE).to_string()
}

/// A timestamp member: epoch seconds.
pub fn ts(secs: i64) -> Value {
    json!(secs)
}

pub fn boundary(arn: &str) -> Value {
    json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn})
}

pub fn tags(tags: &[Tag]) -> Value {
    serde_json::to_value(tags).unwrap_or_else(|_| json!([]))
}

fn put_opt(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(key.into(), v);
    }
}

/// A `User`. `full` adds what only GetUser/CreateUser show: the boundary and tags.
pub fn user(u: &User, account: &str, full: bool) -> Value {
    let mut m = Map::new();
    m.insert("Path".into(), json!(u.path));
    m.insert("UserName".into(), json!(u.name));
    m.insert("UserId".into(), json!(u.id));
    m.insert("Arn".into(), json!(u.arn(account)));
    m.insert("CreateDate".into(), ts(u.create_date));
    put_opt(&mut m, "PasswordLastUsed", u.password_last_used.map(ts));
    if full {
        put_opt(
            &mut m,
            "PermissionsBoundary",
            u.permissions_boundary.as_deref().map(boundary),
        );
        if !u.tags.is_empty() {
            m.insert("Tags".into(), tags(&u.tags));
        }
    }
    Value::Object(m)
}

pub fn group(g: &Group, account: &str) -> Value {
    json!({
        "Path": g.path,
        "GroupName": g.name,
        "GroupId": g.id,
        "Arn": g.arn(account),
        "CreateDate": ts(g.create_date),
    })
}

/// A `Role`. `full` adds what only GetRole/CreateRole show: boundary, tags and last use.
pub fn role(r: &Role, account: &str, full: bool) -> Value {
    let mut m = Map::new();
    m.insert("Path".into(), json!(r.path));
    m.insert("RoleName".into(), json!(r.name));
    m.insert("RoleId".into(), json!(r.id));
    m.insert("Arn".into(), json!(r.arn(account)));
    m.insert("CreateDate".into(), ts(r.create_date));
    m.insert(
        "AssumeRolePolicyDocument".into(),
        json!(document(&r.assume_role_policy)),
    );
    put_opt(
        &mut m,
        "Description",
        r.description.as_ref().map(|d| json!(d)),
    );
    m.insert("MaxSessionDuration".into(), json!(r.max_session_duration));
    if full {
        put_opt(
            &mut m,
            "PermissionsBoundary",
            r.permissions_boundary.as_deref().map(boundary),
        );
        if !r.tags.is_empty() {
            m.insert("Tags".into(), tags(&r.tags));
        }
        m.insert("RoleLastUsed".into(), role_last_used(r));
    }
    Value::Object(m)
}

pub fn role_last_used(r: &Role) -> Value {
    match &r.last_used {
        Some(u) => json!({"LastUsedDate": ts(u.date), "Region": u.region}),
        None => json!({}),
    }
}

/// A customer managed policy as GetPolicy shows it (`full` adds description and tags).
pub fn local_policy(
    p: &ManagedPolicy,
    account: &str,
    attachments: i64,
    boundaries: i64,
    full: bool,
) -> Value {
    let mut m = Map::new();
    m.insert("PolicyName".into(), json!(p.name));
    m.insert("PolicyId".into(), json!(p.id));
    m.insert("Arn".into(), json!(p.arn(account)));
    m.insert("Path".into(), json!(p.path));
    m.insert("DefaultVersionId".into(), json!(p.default_version));
    m.insert("AttachmentCount".into(), json!(attachments));
    m.insert("PermissionsBoundaryUsageCount".into(), json!(boundaries));
    m.insert("IsAttachable".into(), json!(true));
    m.insert("CreateDate".into(), ts(p.create_date));
    m.insert("UpdateDate".into(), ts(p.update_date));
    if full {
        put_opt(
            &mut m,
            "Description",
            p.description.as_ref().map(|d| json!(d)),
        );
        if !p.tags.is_empty() {
            m.insert("Tags".into(), tags(&p.tags));
        }
    }
    Value::Object(m)
}

/// An AWS managed policy as GetPolicy shows it.
pub fn aws_policy(
    p: &crate::managed::AwsManagedPolicy,
    attachments: i64,
    boundaries: i64,
    full: bool,
) -> Value {
    let mut v = json!({
        "PolicyName": p.name,
        "PolicyId": p.id(),
        "Arn": p.arn(),
        "Path": p.path,
        "DefaultVersionId": p.version,
        "AttachmentCount": attachments,
        "PermissionsBoundaryUsageCount": boundaries,
        "IsAttachable": true,
        "CreateDate": ts(p.create_date),
        "UpdateDate": ts(p.update_date),
    });
    if full {
        v["Description"] = json!(p.description);
    }
    v
}

pub fn instance_profile(
    ip: &InstanceProfile,
    account: &str,
    roles: &[Role],
    tags_too: bool,
) -> Value {
    let mut v = json!({
        "Path": ip.path,
        "InstanceProfileName": ip.name,
        "InstanceProfileId": ip.id,
        "Arn": ip.arn(account),
        "CreateDate": ts(ip.create_date),
        "Roles": roles.iter().map(|r| role(r, account, false)).collect::<Vec<_>>(),
    });
    if tags_too && !ip.tags.is_empty() {
        v["Tags"] = tags(&ip.tags);
    }
    v
}

/// One page of a sorted listing.
pub struct Page {
    pub items: Vec<Value>,
    /// The marker of the next page, when there is one.
    pub next: Option<String>,
}

impl Page {
    /// `{list_name: [...], IsTruncated, Marker?}`.
    pub fn output(mut self, list_name: &str) -> Value {
        let mut m = Map::new();
        m.insert(
            list_name.into(),
            Value::Array(std::mem::take(&mut self.items)),
        );
        self.finish(m)
    }

    /// Adds `IsTruncated` and `Marker` to an output holding more than the list.
    pub fn finish(self, mut m: Map<String, Value>) -> Value {
        m.insert("IsTruncated".into(), json!(self.next.is_some()));
        if let Some(marker) = self.next {
            m.insert("Marker".into(), json!(marker));
        }
        Value::Object(m)
    }
}

/// Pages through `items` (sort key, value): sorts them, starts at the `marker` a previous page
/// answered and takes `max_items` (100 by default, as AWS).
pub fn paginate(
    mut items: Vec<(String, Value)>,
    marker: Option<&str>,
    max_items: Option<i64>,
) -> Result<Page, AwsError> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let start = match marker {
        None => 0,
        Some(m) => {
            let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(m)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| AwsError::validation("Invalid Marker."))?;
            items.partition_point(|(k, _)| k.as_str() < key.as_str())
        }
    };
    let max = usize::try_from(max_items.unwrap_or(100).max(1)).unwrap_or(100);
    let mut rest = items.into_iter().skip(start);
    let page: Vec<Value> = rest.by_ref().take(max).map(|(_, v)| v).collect();
    let next = rest
        .next()
        .map(|(k, _)| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k));
    Ok(Page { items: page, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_url_encoded_like_aws() {
        assert_eq!(
            document(r#"{"Version": "2012-10-17"}"#),
            "%7B%22Version%22%3A%20%222012-10-17%22%7D"
        );
        assert_eq!(document("a-b_c.d~e\n"), "a-b_c.d~e%0A");
    }

    #[test]
    fn pages_walk_all_items_once() {
        let items: Vec<(String, Value)> =
            (0..7).rev().map(|i| (format!("k{i}"), json!(i))).collect();
        let mut seen = Vec::new();
        let mut marker = None;
        loop {
            let page = paginate(items.clone(), marker.as_deref(), Some(3)).unwrap();
            seen.extend(page.items.iter().cloned());
            match page.next {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        assert_eq!(seen, (0..7).map(|i| json!(i)).collect::<Vec<_>>());
        assert!(paginate(items, Some("***"), None).is_err());
    }
}
