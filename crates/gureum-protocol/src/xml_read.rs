//! Reads XML documents into the canonical value tree, shape-driven: the mirror of `xml.rs`.
//! Member names come from `locationName`; lists may be wrapped (`member` or the list member's
//! name) or flattened; maps use `entry`/`key`/`value` or are flattened; namespaces are ignored
//! for matching; unknown elements are skipped. Documents are parsed into a small tree first,
//! iteratively and bounded by [`crate::MAX_DEPTH`]; DOCTYPE (and so any custom entity) is
//! refused.

use gureum_core::AwsError;
use gureum_model::{ServiceModel, Shape, ShapeKind, ShapeRef};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use serde_json::{Map, Value};

use crate::MAX_DEPTH;
use crate::value::{TimestampFormat, scalar_from_text, shape};

/// One element: local name, attributes (qualified names) and its direct text.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// An attribute by qualified name (`xsi:type`) or, failing that, by local name.
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| {
                self.attributes
                    .iter()
                    .find(|(k, _)| local_name(k) == local_name(name))
            })
            .map(|(_, v)| v.as_str())
    }
}

/// The error a service answers for a body that is not well-formed XML or does not fit the
/// model: S3's `MalformedXML`, Route 53's `InvalidInput`, CloudFront's `InvalidArgument`.
pub fn malformed(model: &ServiceModel, detail: &str) -> AwsError {
    match model.metadata.service_id.as_str() {
        "Route 53" => AwsError::bad_request("InvalidInput", detail.to_string()),
        "CloudFront" => AwsError::bad_request("InvalidArgument", detail.to_string()),
        _ => AwsError::bad_request(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        ),
    }
}

fn local_name(qname: &str) -> String {
    qname.rsplit(':').next().unwrap_or(qname).to_string()
}

fn open(e: &BytesStart) -> Result<Element, String> {
    let mut el = Element {
        name: local_name(e.name().as_ref()),
        ..Element::default()
    };
    for attr in e.attributes() {
        let attr = attr.map_err(|err| err.to_string())?;
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| err.to_string())?;
        el.attributes
            .push((attr.key.as_ref().to_string(), value.into_owned()));
    }
    Ok(el)
}

/// Parses a document into its root element. Refuses DOCTYPE declarations, entities other
/// than XML's five and character references, nesting deeper than [`MAX_DEPTH`], and anything
/// that is not exactly one well-formed root element.
pub fn parse(body: &[u8]) -> Result<Element, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the document is not UTF-8".to_string())?;
    let mut reader = Reader::from_str(text.strip_prefix('\u{feff}').unwrap_or(text));
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                return Err(format!(
                    "content after the root element: <{}>",
                    local_name(e.name().as_ref())
                ));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("the document nests deeper than {MAX_DEPTH} levels"));
                }
                stack.push(open(&e)?);
            }
            Event::Empty(e) => {
                let el = open(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unexpected end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => match stack.last_mut() {
                Some(el) => el.text.push_str(&t.xml10_content()),
                None if t.trim().is_empty() => {}
                None => return Err("text outside the root element".into()),
            },
            Event::CData(t) => match stack.last_mut() {
                Some(el) => el.text.push_str(&t),
                None => return Err("CDATA outside the root element".into()),
            },
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&r)
                        .ok_or_else(|| format!("undefined entity &{};", &*r))?
                        .to_string(),
                };
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&c),
                    None => return Err("reference outside the root element".into()),
                }
            }
            Event::DocType(_) => return Err("DOCTYPE declarations are not allowed".into()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err("the document ends inside an element".into());
    }
    root.ok_or_else(|| "the document has no root element".into())
}

/// Reads a whole document whose root element holds a value of the referenced shape.
pub fn read_document(model: &ServiceModel, r: &ShapeRef, body: &[u8]) -> Result<Value, AwsError> {
    let root = parse(body).map_err(|detail| malformed(model, &detail))?;
    read_element(model, r, &root, 0)
}

/// The members of structure `s` found among `el`'s children and attributes. Members bound to
/// HTTP locations (headers, URI, query) are never read from a body.
pub fn read_structure(
    model: &ServiceModel,
    s: &Shape,
    el: &Element,
    depth: usize,
) -> Result<Value, AwsError> {
    if depth > MAX_DEPTH {
        return Err(malformed(
            model,
            &format!("the document nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    let mut out = Map::new();
    for m in &s.members {
        let r = &m.target;
        if r.location.is_some() {
            continue;
        }
        let target = shape(model, &r.shape)?;
        let name = r.location_name.as_deref().unwrap_or(&m.name);
        if r.xml_attribute {
            if let Some(text) = el.attribute(name) {
                out.insert(m.name.clone(), scalar(model, name, r, target, text)?);
            }
            continue;
        }
        let flattened = r.flattened || target.flattened;
        let value = match target.kind {
            ShapeKind::List if flattened => {
                let Some(item) = target.member.as_ref() else {
                    continue;
                };
                let key = item.location_name.as_deref().unwrap_or(name);
                let items: Vec<&Element> = el.children_named(key).collect();
                if items.is_empty() {
                    continue;
                }
                let mut values = Vec::with_capacity(items.len());
                for child in items {
                    values.push(read_element(model, item, child, depth + 1)?);
                }
                Value::Array(values)
            }
            ShapeKind::Map if flattened => {
                let entries: Vec<&Element> = el.children_named(name).collect();
                if entries.is_empty() {
                    continue;
                }
                read_entries(model, target, &entries, depth + 1)?
            }
            _ => match el.child(name) {
                Some(child) => read_element(model, r, child, depth + 1)?,
                None => continue,
            },
        };
        out.insert(m.name.clone(), value);
    }
    Ok(Value::Object(out))
}

/// One element holding a value of the referenced shape (lists and maps here are wrapped).
fn read_element(
    model: &ServiceModel,
    r: &ShapeRef,
    el: &Element,
    depth: usize,
) -> Result<Value, AwsError> {
    if depth > MAX_DEPTH {
        return Err(malformed(
            model,
            &format!("the document nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    let s = shape(model, &r.shape)?;
    match s.kind {
        ShapeKind::Structure => read_structure(model, s, el, depth),
        ShapeKind::List => {
            let Some(item) = s.member.as_ref() else {
                return Ok(Value::Array(Vec::new()));
            };
            let key = item.location_name.as_deref().unwrap_or("member");
            let mut values = Vec::new();
            for child in el.children_named(key) {
                values.push(read_element(model, item, child, depth + 1)?);
            }
            Ok(Value::Array(values))
        }
        ShapeKind::Map => {
            let entries: Vec<&Element> = el.children_named("entry").collect();
            read_entries(model, s, &entries, depth + 1)
        }
        _ => scalar(model, &el.name, r, s, &el.text),
    }
}

fn read_entries(
    model: &ServiceModel,
    s: &Shape,
    entries: &[&Element],
    depth: usize,
) -> Result<Value, AwsError> {
    let (Some(k), Some(v)) = (s.key.as_ref(), s.value.as_ref()) else {
        return Err(AwsError::internal("map without key or value"));
    };
    let key_name = k.location_name.as_deref().unwrap_or("key");
    let value_name = v.location_name.as_deref().unwrap_or("value");
    let mut out = Map::new();
    for entry in entries {
        let key = entry
            .child(key_name)
            .ok_or_else(|| malformed(model, &format!("a map entry has no <{key_name}>")))?;
        let value = match entry.child(value_name) {
            Some(value) => read_element(model, v, value, depth + 1)?,
            None => Value::Null,
        };
        out.insert(key.text.clone(), value);
    }
    Ok(Value::Object(out))
}

fn scalar(
    model: &ServiceModel,
    name: &str,
    r: &ShapeRef,
    s: &Shape,
    text: &str,
) -> Result<Value, AwsError> {
    scalar_from_text(name, Some(r), s, text, TimestampFormat::Iso8601)
        .map_err(|e| malformed(model, &e.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(service: &str, input_shape: &str, payload: &str, xml: &str) -> Result<Value, AwsError> {
        let model = gureum_model::service(service).unwrap();
        let r = &model
            .shape(input_shape)
            .unwrap()
            .member(payload)
            .unwrap()
            .target;
        read_document(model, r, xml.as_bytes())
    }

    #[test]
    fn reads_s3_request_bodies() {
        let cases = [
            (
                "CompleteMultipartUploadRequest",
                "MultipartUpload",
                r#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Part><ETag>"e1"</ETag><PartNumber>1</PartNumber></Part>
  <Part><ETag>&quot;e2&quot;</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>
</CompleteMultipartUpload>"#,
                json!({"Parts": [{"ETag": "\"e1\"", "PartNumber": 1},
                                 {"ETag": "\"e2\"", "PartNumber": 2, "ChecksumCRC32": "AAAAAA=="}]}),
            ),
            (
                "DeleteObjectsRequest",
                "Delete",
                r#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a &amp; b</Key></Object><Object><Key>c</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet><Unknown><Deep/></Unknown></Delete>"#,
                json!({"Objects": [{"Key": "a & b"}, {"Key": "c", "VersionId": "v1"}], "Quiet": true}),
            ),
            (
                "PutBucketTaggingRequest",
                "Tagging",
                r#"<Tagging><TagSet><Tag><Key>k1</Key><Value> spaced </Value></Tag><Tag><Key>k2</Key><Value><![CDATA[<v2>]]></Value></Tag></TagSet></Tagging>"#,
                json!({"TagSet": [{"Key": "k1", "Value": " spaced "}, {"Key": "k2", "Value": "<v2>"}]}),
            ),
            (
                "PutBucketAclRequest",
                "AccessControlPolicy",
                r#"<AccessControlPolicy xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><AccessControlList><Grant><Grantee xsi:type="CanonicalUser"><ID>id</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList><Owner><ID>o</ID></Owner></AccessControlPolicy>"#,
                json!({"Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "id"}, "Permission": "READ"}], "Owner": {"ID": "o"}}),
            ),
            (
                "CreateBucketRequest",
                "CreateBucketConfiguration",
                r#"<s3:CreateBucketConfiguration xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:LocationConstraint>eu-west-1</s3:LocationConstraint></s3:CreateBucketConfiguration>"#,
                json!({"LocationConstraint": "eu-west-1"}),
            ),
            (
                "PutObjectRetentionRequest",
                "Retention",
                r#"<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2023-11-14T22:13:20Z</RetainUntilDate></Retention>"#,
                json!({"Mode": "GOVERNANCE", "RetainUntilDate": 1700000000.0}),
            ),
        ];
        for (shape_name, payload, xml, want) in cases {
            assert_eq!(
                read("s3", shape_name, payload, xml).unwrap(),
                want,
                "{shape_name}"
            );
        }
    }

    #[test]
    fn reads_wrapped_and_flattened_maps_and_lists() {
        let iam = gureum_model::service("iam").unwrap();
        let el = parse(b"<R><SummaryMap><entry><key>Users</key><value>3</value></entry><entry><key>Groups</key><value>0</value></entry></SummaryMap></R>").unwrap();
        let got =
            read_structure(iam, iam.shape("GetAccountSummaryResponse").unwrap(), &el, 0).unwrap();
        assert_eq!(got, json!({"SummaryMap": {"Users": 3, "Groups": 0}}));
        // No embedded XML model has a flattened map or a renamed wrapped list; a synthetic one does.
        let model: ServiceModel = serde_json::from_value(json!({
            "metadata": {"apiVersion": "1", "endpointPrefix": "t", "protocol": "rest-xml", "serviceId": "T"},
            "operations": {},
            "shapes": {
                "S": {"type": "structure", "members": {
                    "Attrs": {"shape": "M", "flattened": true, "locationName": "Attr"},
                    "Names": {"shape": "L", "locationName": "NameList"},
                    "Loose": {"shape": "L2", "flattened": true},
                    "Id": {"shape": "Str", "xmlAttribute": true, "locationName": "id"}}},
                "M": {"type": "map", "key": {"shape": "Str", "locationName": "Name"}, "value": {"shape": "Str", "locationName": "Val"}},
                "L": {"type": "list", "member": {"shape": "Str", "locationName": "Name"}},
                "L2": {"type": "list", "member": {"shape": "Str"}},
                "Str": {"type": "string"}
            }
        }))
        .unwrap();
        let el = parse(br#"<S id="7"><Attr><Name>a</Name><Val>1</Val></Attr><Attr><Name>b</Name><Val>2</Val></Attr><NameList><Name>x</Name><Name>y</Name></NameList><Loose>p</Loose><Loose>q</Loose></S>"#).unwrap();
        let got = read_structure(&model, model.shape("S").unwrap(), &el, 0).unwrap();
        assert_eq!(
            got,
            json!({"Attrs": {"a": "1", "b": "2"}, "Names": ["x", "y"], "Loose": ["p", "q"], "Id": "7"})
        );
        let err = read_structure(
            &model,
            model.shape("S").unwrap(),
            &parse(b"<S><Attr><Val>1</Val></Attr></S>").unwrap(),
            0,
        );
        assert_eq!(err.unwrap_err().code, "MalformedXML");
    }

    #[test]
    fn refuses_malformed_deep_and_doctype_documents() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        let bad = [
            "<Tagging><TagSet></Tagging>",
            "<Tagging>",
            "",
            "just text",
            "<a/><b/>",
            "<Tagging>&ent;</Tagging>",
            r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><Tagging>&lol2;</Tagging>"#,
            r#"<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Tagging><TagSet><Tag><Key>&xxe;</Key></Tag></TagSet></Tagging>"#,
            deep.as_str(),
        ];
        for xml in bad {
            let err = read("s3", "PutBucketTaggingRequest", "Tagging", xml).unwrap_err();
            assert_eq!(
                (err.code.as_ref(), err.status),
                ("MalformedXML", 400),
                "{xml}"
            );
            assert_eq!(
                err.message,
                "The XML you provided was not well-formed or did not validate against our published schema"
            );
        }
        assert!(parse(deep.as_bytes()).unwrap_err().contains("deeper"));
        assert!(parse(bad[6].as_bytes()).unwrap_err().contains("DOCTYPE"));
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());
        let err = read(
            "s3",
            "CompleteMultipartUploadRequest",
            "MultipartUpload",
            "<C><Part><PartNumber>one</PartNumber></Part></C>",
        );
        assert_eq!(err.unwrap_err().code, "MalformedXML");
        let r53 = gureum_model::service("route53").unwrap();
        let op = r53.operation("CreateHostedZone").unwrap();
        let err = read_document(
            r53,
            op.input.as_ref().unwrap(),
            b"<CreateHostedZoneRequest>",
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidInput");
    }

    #[test]
    fn parses_text_references_and_attributes() {
        let doc = "\u{feff}<a x=\"1 &amp; 2\" p:y=\"z\"><b>&#65;&#x42;&lt;&gt;</b><!-- c --><?pi x?><b/></a>";
        let el = parse(doc.as_bytes()).unwrap();
        assert_eq!(el.name, "a");
        assert_eq!(el.attribute("x"), Some("1 & 2"));
        assert_eq!(el.attribute("q:y"), Some("z"));
        assert_eq!(el.children.len(), 2);
        assert_eq!(el.children[0].text, "AB<>");
        assert_eq!(el.children[1].text, "");
    }
}
