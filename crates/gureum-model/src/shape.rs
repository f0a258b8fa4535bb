//! The typed form of a botocore model: metadata, operations, shapes and shape references.

use serde::{Deserialize, Deserializer};

/// Service-wide facts: protocols, routing prefixes, namespaces.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub api_version: String,
    pub endpoint_prefix: String,
    pub protocol: String,
    #[serde(default)]
    pub protocols: Vec<String>,
    pub json_version: Option<String>,
    pub target_prefix: Option<String>,
    pub signing_name: Option<String>,
    pub service_id: String,
    pub xml_namespace: Option<String>,
    #[serde(default)]
    pub global_endpoint: Option<String>,
}

impl Metadata {
    /// The name SigV4 scopes carry for this service.
    pub fn signing_name(&self) -> &str {
        self.signing_name
            .as_deref()
            .unwrap_or(&self.endpoint_prefix)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpBinding {
    pub method: String,
    pub request_uri: String,
    pub response_code: Option<u16>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Operation {
    pub name: String,
    pub http: HttpBinding,
    pub input: Option<ShapeRef>,
    pub output: Option<ShapeRef>,
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
    pub endpoint: Option<OperationEndpoint>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationEndpoint {
    pub host_prefix: Option<String>,
}

/// Where a member travels in a REST request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Location {
    Uri,
    Querystring,
    Header,
    Headers,
    StatusCode,
}

#[derive(Debug, Clone, Deserialize)]
pub struct XmlNamespace {
    pub uri: Option<String>,
    pub prefix: Option<String>,
}

/// A reference to a shape, with the wire facts that belong to the reference (member names,
/// locations, flattening) rather than to the shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeRef {
    pub shape: String,
    pub location: Option<Location>,
    pub location_name: Option<String>,
    pub query_name: Option<String>,
    pub result_wrapper: Option<String>,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub xml_attribute: bool,
    pub xml_namespace: Option<XmlNamespace>,
    #[serde(default)]
    pub jsonvalue: bool,
    #[serde(default)]
    pub host_label: bool,
    #[serde(default)]
    pub idempotency_token: bool,
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub eventpayload: bool,
}

/// A structure member: its name in the model and its reference.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub target: ShapeRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeKind {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Boolean,
    Float,
    Double,
    Timestamp,
    Blob,
    Byte,
    Short,
    Character,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    pub code: Option<String>,
    pub http_status_code: Option<u16>,
    #[serde(default)]
    pub sender_fault: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: ShapeKind,
    /// Structure members, in model order (XML output keeps it).
    #[serde(default, deserialize_with = "ordered_members")]
    pub members: Vec<Member>,
    #[serde(default)]
    pub required: Vec<String>,
    /// A list's element.
    pub member: Option<ShapeRef>,
    /// A map's key and value.
    pub key: Option<ShapeRef>,
    pub value: Option<ShapeRef>,
    #[serde(default)]
    pub flattened: bool,
    pub location_name: Option<String>,
    pub payload: Option<String>,
    #[serde(default)]
    pub exception: bool,
    #[serde(default)]
    pub fault: bool,
    pub error: Option<ErrorInfo>,
    #[serde(default, rename = "enum")]
    pub enum_values: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    pub timestamp_format: Option<String>,
    pub xml_namespace: Option<XmlNamespace>,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub eventstream: bool,
    #[serde(default)]
    pub union: bool,
    #[serde(default)]
    pub document: bool,
    #[serde(default)]
    pub requires_length: bool,
    /// Member positions by name, built on first use for shapes with many members.
    #[serde(skip)]
    index: std::sync::OnceLock<crate::NameMap<String, usize>>,
}

/// Shapes with more members than this find them through an index rather than a scan.
const INDEXED_FROM: usize = 8;

impl Shape {
    pub fn member(&self, name: &str) -> Option<&Member> {
        if self.members.len() <= INDEXED_FROM {
            return self.members.iter().find(|m| m.name == name);
        }
        let index = self.index.get_or_init(|| {
            self.members
                .iter()
                .enumerate()
                .map(|(i, m)| (m.name.clone(), i))
                .collect()
        });
        index.get(name).map(|&i| &self.members[i])
    }

    pub fn is_required(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }

    /// Every shape reference this shape holds.
    pub fn refs(&self) -> impl Iterator<Item = &ShapeRef> {
        self.members
            .iter()
            .map(|m| &m.target)
            .chain(self.member.iter())
            .chain(self.key.iter())
            .chain(self.value.iter())
    }
}

fn ordered_members<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Member>, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Vec<Member>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of members")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(4));
            while let Some((name, target)) = map.next_entry::<String, ShapeRef>()? {
                out.push(Member { name, target });
            }
            Ok(out)
        }
    }
    d.deserialize_map(Visit)
}
