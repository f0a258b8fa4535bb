//! awsQuery and ec2Query: form parameters into the value tree (`Tags.member.1.Key`,
//! `Tag.1.Key`), outputs as `<OpResponse><OpResult>` XML (EC2: members under `<OpResponse>`
//! with `<requestId>`), and the two protocols' error envelopes.

use std::collections::BTreeMap;

use gureum_core::{AwsError, OperationInput, OperationOutput};
use gureum_model::{Operation, ServiceModel, Shape, ShapeKind, ShapeRef};
use serde_json::{Map, Value};

use crate::value::{TimestampFormat, scalar_from_text, shape, too_deep};
use crate::xml::{escape, write_members};
use crate::{HttpRequest, HttpResponse, MAX_DEPTH, Protocol};

/// Parameters grouped by their dotted path: `A.member.1.B=x` is `A` > `member` > `1` > `B`.
#[derive(Default, Debug)]
struct Node {
    text: Option<String>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn insert(&mut self, key: &str, value: String) -> Result<(), AwsError> {
        let mut node = self;
        for (depth, part) in key.split('.').enumerate() {
            if depth > MAX_DEPTH * 3 {
                return Err(too_deep());
            }
            node = node.children.entry(part.to_string()).or_default();
        }
        node.text = Some(value);
        Ok(())
    }

    /// The children whose names are list indexes (1, 2, ...), in numeric order.
    fn indexed(&self) -> Vec<&Node> {
        let mut items: Vec<(u32, &Node)> = self
            .children
            .iter()
            .filter_map(|(k, v)| k.parse::<u32>().ok().map(|i| (i, v)))
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items.into_iter().map(|(_, n)| n).collect()
    }
}

pub(crate) fn decode(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    req: &HttpRequest,
) -> Result<OperationInput, AwsError> {
    let mut root = Node::default();
    for (k, v) in crate::route::query_params(req) {
        if k == "Action" || k == "Version" || k.starts_with("X-Amz-") {
            continue;
        }
        root.insert(&k, v)?;
    }
    let params = match &op.input {
        Some(r) => {
            let s = shape(model, &r.shape)?;
            decode_structure(protocol, model, s, &root, "", 0)?
        }
        None => Value::Object(Map::new()),
    };
    Ok(OperationInput {
        params,
        payload: None,
        stream: None,
    })
}

/// The parameter name of a structure member.
fn member_key(protocol: Protocol, name: &str, r: &ShapeRef) -> String {
    match protocol {
        Protocol::Ec2 => {
            if let Some(q) = &r.query_name {
                q.clone()
            } else if let Some(l) = &r.location_name {
                let mut c = l.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            } else {
                name.to_string()
            }
        }
        _ => {
            // A flattened list whose member is renamed is keyed by the member's name.
            r.location_name.clone().unwrap_or_else(|| name.to_string())
        }
    }
}

fn decode_structure(
    protocol: Protocol,
    model: &ServiceModel,
    s: &Shape,
    node: &Node,
    path: &str,
    depth: usize,
) -> Result<Value, AwsError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    let mut out = Map::new();
    for m in &s.members {
        let mut key = member_key(protocol, &m.name, &m.target);
        let target = shape(model, &m.target.shape)?;
        if protocol == Protocol::Query
            && target.kind == ShapeKind::List
            && (m.target.flattened || target.flattened)
        {
            if let Some(name) = target.member.as_ref().and_then(|r| r.location_name.clone()) {
                key = name;
            }
        }
        if let Some(child) = node.children.get(&key) {
            let child_path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            let v = decode_value(
                protocol,
                model,
                &m.target,
                target,
                child,
                &child_path,
                depth + 1,
            )?;
            out.insert(m.name.clone(), v);
        }
    }
    Ok(Value::Object(out))
}

fn decode_value(
    protocol: Protocol,
    model: &ServiceModel,
    r: &ShapeRef,
    s: &Shape,
    node: &Node,
    path: &str,
    depth: usize,
) -> Result<Value, AwsError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    match s.kind {
        ShapeKind::Structure => decode_structure(protocol, model, s, node, path, depth),
        ShapeKind::List => {
            let member = s
                .member
                .as_ref()
                .ok_or_else(|| AwsError::internal("list without member"))?;
            let member_shape = shape(model, &member.shape)?;
            let flattened = protocol == Protocol::Ec2 || r.flattened || s.flattened;
            let holder = if flattened {
                Some(node)
            } else {
                node.children
                    .get(member.location_name.as_deref().unwrap_or("member"))
            };
            let mut items = Vec::new();
            if let Some(holder) = holder {
                for (i, item) in holder.indexed().into_iter().enumerate() {
                    let p = format!("{path}.{}", i + 1);
                    items.push(decode_value(
                        protocol,
                        model,
                        member,
                        member_shape,
                        item,
                        &p,
                        depth + 1,
                    )?);
                }
            }
            Ok(Value::Array(items))
        }
        ShapeKind::Map => {
            let (Some(k), Some(v)) = (s.key.as_ref(), s.value.as_ref()) else {
                return Err(AwsError::internal("map without key or value"));
            };
            let value_shape = shape(model, &v.shape)?;
            let key_name = k.location_name.as_deref().unwrap_or("key");
            let value_name = v.location_name.as_deref().unwrap_or("value");
            let holder = if r.flattened || s.flattened {
                Some(node)
            } else {
                node.children.get("entry")
            };
            let mut out = Map::new();
            if let Some(holder) = holder {
                for entry in holder.indexed() {
                    let Some(key) = entry.children.get(key_name).and_then(|n| n.text.clone())
                    else {
                        return Err(AwsError::validation(format!(
                            "a map entry of '{path}' has no key"
                        )));
                    };
                    let val = match entry.children.get(value_name) {
                        Some(n) => {
                            decode_value(protocol, model, v, value_shape, n, path, depth + 1)?
                        }
                        None => Value::Null,
                    };
                    out.insert(key, val);
                }
            }
            Ok(Value::Object(out))
        }
        _ => {
            let text = node.text.as_deref().unwrap_or("");
            scalar_from_text(path, Some(r), s, text, TimestampFormat::Iso8601)
        }
    }
}

pub(crate) fn encode(
    protocol: Protocol,
    model: &ServiceModel,
    op: &Operation,
    output: &OperationOutput,
    request_id: &str,
) -> Result<HttpResponse, AwsError> {
    let ns = model.metadata.xml_namespace.as_deref().unwrap_or("");
    let mut body = String::with_capacity(512);
    body.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let name = &op.name;
    // Written piece by piece: format! here cost more than the members themselves.
    for piece in ["<", name.as_str(), "Response xmlns=\""] {
        body.push_str(piece);
    }
    body.push_str(&escape(ns));
    body.push_str("\">");
    if protocol == Protocol::Ec2 {
        body.push_str("<requestId>");
        body.push_str(&escape(request_id));
        body.push_str("</requestId>");
        if let Some(r) = &op.output {
            write_members(model, shape(model, &r.shape)?, &output.params, &mut body, 0)?;
        }
    } else {
        if let Some(r) = &op.output {
            let (wrapper, suffix) = match &r.result_wrapper {
                Some(w) => (w.as_str(), ""),
                None => (name.as_str(), "Result"),
            };
            for piece in ["<", wrapper, suffix, ">"] {
                body.push_str(piece);
            }
            write_members(model, shape(model, &r.shape)?, &output.params, &mut body, 0)?;
            for piece in ["</", wrapper, suffix, ">"] {
                body.push_str(piece);
            }
        }
        body.push_str("<ResponseMetadata><RequestId>");
        body.push_str(&escape(request_id));
        body.push_str("</RequestId></ResponseMetadata>");
    }
    for piece in ["</", name.as_str(), "Response>"] {
        body.push_str(piece);
    }
    Ok(HttpResponse::new(200, "text/xml", body))
}

pub(crate) fn encode_error(
    protocol: Protocol,
    model: Option<&ServiceModel>,
    err: &AwsError,
    request_id: &str,
) -> HttpResponse {
    let code = escape(&err.code);
    let message = escape(&err.message);
    let id = escape(request_id);
    let body = if protocol == Protocol::Ec2 {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{id}</RequestID></Response>"
        )
    } else {
        let ns = model
            .and_then(|m| m.metadata.xml_namespace.as_deref())
            .unwrap_or("");
        let kind = if err.sender_fault {
            "Sender"
        } else {
            "Receiver"
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{}\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>",
            escape(ns)
        )
    };
    HttpResponse::new(err.status, "text/xml", body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode_form(service: &str, op: &str, form: &str) -> Result<Value, AwsError> {
        let model = gureum_model::service(service).unwrap();
        let protocol = if service == "ec2" {
            Protocol::Ec2
        } else {
            Protocol::Query
        };
        let req = HttpRequest {
            method: http::Method::POST,
            path: "/".into(),
            query: String::new(),
            headers: [(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded".parse().unwrap(),
            )]
            .into_iter()
            .collect(),
            body: form.to_string().into(),
        };
        decode(protocol, model, model.operation(op).unwrap(), &req).map(|i| i.params)
    }

    #[test]
    fn decodes_query_and_ec2_parameters() {
        let cases = [
            (
                "sts",
                "GetCallerIdentity",
                "Action=GetCallerIdentity&Version=2011-06-15",
                json!({}),
            ),
            (
                "sts",
                "AssumeRole",
                "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=s&DurationSeconds=900&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1&PolicyArns.member.1.arn=p",
                json!({"RoleArn": "arn:aws:iam::1:role/r", "RoleSessionName": "s", "DurationSeconds": 900,
                       "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}], "PolicyArns": [{"arn": "p"}]}),
            ),
            (
                "iam",
                "ListUsers",
                "Action=ListUsers&MaxItems=10",
                json!({"MaxItems": 10}),
            ),
            (
                "ec2",
                "DescribeInstances",
                "Action=DescribeInstances&InstanceId.1=i-1&InstanceId.2=i-2&Filter.1.Name=n&Filter.1.Value.1=v&DryRun=true",
                json!({"InstanceIds": ["i-1", "i-2"], "Filters": [{"Name": "n", "Values": ["v"]}], "DryRun": true}),
            ),
        ];
        for (service, op, form, want) in cases {
            assert_eq!(
                decode_form(service, op, form).unwrap(),
                want,
                "{service} {op}"
            );
        }
    }

    #[test]
    fn refuses_bad_scalars_and_deep_keys() {
        let err = decode_form(
            "sts",
            "AssumeRole",
            "RoleArn=a&RoleSessionName=s&DurationSeconds=soon",
        )
        .unwrap_err();
        assert_eq!(err.code, "ValidationError");
        let deep = format!("RoleArn=a&{}=x", vec!["A"; 500].join("."));
        assert_eq!(
            decode_form("sts", "AssumeRole", &deep).unwrap_err().code,
            "ValidationError"
        );
    }

    #[test]
    fn encodes_output_and_errors() {
        let model = gureum_model::service("sts").unwrap();
        let op = model.operation("GetCallerIdentity").unwrap();
        let out = OperationOutput::new(
            json!({"UserId": "000000000000", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}),
        );
        let resp = encode(Protocol::Query, model, op, &out, "rid").unwrap();
        let body = std::str::from_utf8(&resp.body).unwrap();
        assert!(body.contains("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><UserId>000000000000</UserId>"), "{body}");
        assert!(body.ends_with("<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetCallerIdentityResponse>"));
        let err = AwsError::new(
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid.",
        );
        let resp = encode_error(Protocol::Query, Some(model), &err, "rid");
        assert_eq!(resp.status, 403);
        assert!(
            std::str::from_utf8(&resp.body)
                .unwrap()
                .contains("<Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>")
        );
        let resp = encode_error(Protocol::Ec2, None, &err, "rid");
        assert!(
            std::str::from_utf8(&resp.body)
                .unwrap()
                .contains("<Response><Errors><Error><Code>InvalidClientTokenId</Code>")
        );
    }
}
