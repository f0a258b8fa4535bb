//! awsJson1_0 / awsJson1_1: a JSON body keyed by member names (or `locationName`), blobs as
//! base64, timestamps as epoch seconds; the JSON error envelope (shared with restJson1); and
//! the model-driven walk between a parsed wire document and the canonical value tree, which the
//! RPC v2 CBOR codec shares through [`Wire`] and [`output_scalar`].

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use gureum_core::{AwsError, OperationInput, OperationOutput};
use gureum_model::{Operation, ServiceModel, Shape, ShapeKind, ShapeRef};
use serde_json::{Map, Number, Value};

use crate::value::{
    TimestampFormat, format_timestamp, parse_timestamp, shape, too_deep, wire_name,
};
use crate::{HttpRequest, HttpResponse, MAX_DEPTH, Protocol};

pub(crate) fn decode(
    model: &ServiceModel,
    op: &Operation,
    req: &HttpRequest,
) -> Result<OperationInput, AwsError> {
    let params = match &op.input {
        Some(input) => decode_shape(model, input, &parse_body(&req.body)?)?,
        None => Value::Object(Map::new()),
    };
    Ok(OperationInput {
        params,
        payload: None,
        stream: None,
    })
}

/// Parses a JSON request body; an empty body is an empty object.
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, AwsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    // serde_json refuses nesting deeper than 128 (= 2 * MAX_DEPTH) levels without recursing.
    serde_json::from_slice(body).map_err(|e| {
        if e.to_string().starts_with("recursion limit exceeded") {
            serialization(too_deep().message)
        } else {
            serialization(format!("Malformed JSON request body: {e}"))
        }
    })
}

pub(crate) fn encode(
    model: &ServiceModel,
    op: &Operation,
    out: &OperationOutput,
) -> Result<HttpResponse, AwsError> {
    // Written straight from the canonical tree: no second tree is built (the hot path of
    // every JSON answer, DynamoDB's items above all).
    let body = match &op.output {
        Some(r) if !out.params.is_null() => serde_json::to_vec(&Encoded {
            model,
            r,
            v: &out.params,
            depth: 0,
        })
        .map_err(|e| AwsError::internal(e.to_string()))?,
        _ => b"{}".to_vec(),
    };
    Ok(HttpResponse::new(200, &content_type(Some(model)), body))
}

/// A canonical value serialized as the JSON of its shape, as [`encode_shape`] builds it (wire
/// names, only modeled members, nulls omitted), without building it.
struct Encoded<'a> {
    model: &'a ServiceModel,
    r: &'a ShapeRef,
    v: &'a Value,
    depth: usize,
}

impl serde::Serialize for Encoded<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap, SerializeSeq};

        let fail = |e: AwsError| S::Error::custom(e.message);
        if self.depth > MAX_DEPTH * 2 {
            return Err(S::Error::custom("output nests too deep"));
        }
        let s = shape(self.model, &self.r.shape).map_err(fail)?;
        match s.kind {
            ShapeKind::Structure if s.document => serde::Serialize::serialize(self.v, ser),
            ShapeKind::Structure => {
                let fields = self.v.as_object().ok_or_else(|| fail(unfit(s, self.v)))?;
                let mut map = ser.serialize_map(None)?;
                for (name, value) in fields {
                    if value.is_null() {
                        continue;
                    }
                    if let Some(m) = s.members.iter().find(|m| &m.name == name) {
                        map.serialize_entry(
                            wire_name(&m.name, &m.target),
                            &Encoded {
                                model: self.model,
                                r: &m.target,
                                v: value,
                                depth: self.depth + 1,
                            },
                        )?;
                    }
                }
                map.end()
            }
            ShapeKind::List => {
                let member = s
                    .member
                    .as_ref()
                    .ok_or_else(|| fail(AwsError::internal("list without member")))?;
                let items = self.v.as_array().ok_or_else(|| fail(unfit(s, self.v)))?;
                let mut seq = ser.serialize_seq(None)?;
                for item in items.iter().filter(|i| !i.is_null()) {
                    seq.serialize_element(&Encoded {
                        model: self.model,
                        r: member,
                        v: item,
                        depth: self.depth + 1,
                    })?;
                }
                seq.end()
            }
            ShapeKind::Map => {
                let value_ref = s
                    .value
                    .as_ref()
                    .ok_or_else(|| fail(AwsError::internal("map without value")))?;
                let entries = self.v.as_object().ok_or_else(|| fail(unfit(s, self.v)))?;
                let mut map = ser.serialize_map(None)?;
                for (key, value) in entries.iter().filter(|(_, v)| !v.is_null()) {
                    map.serialize_entry(
                        key,
                        &Encoded {
                            model: self.model,
                            r: value_ref,
                            v: value,
                            depth: self.depth + 1,
                        },
                    )?;
                }
                map.end()
            }
            _ => match output_scalar(s, self.v).ok_or_else(|| fail(unfit(s, self.v)))? {
                Scalar::Text(t) => ser.serialize_str(&t),
                Scalar::Bool(b) => ser.serialize_bool(b),
                Scalar::Int(i) => ser.serialize_i64(i),
                Scalar::Float(f) => match Number::from_f64(f) {
                    Some(n) => serde::Serialize::serialize(&n, ser),
                    None => ser.serialize_str(non_finite_name(f)),
                },
                Scalar::Timestamp(secs) => {
                    match TimestampFormat::of(Some(self.r), s, TimestampFormat::UnixTimestamp) {
                        TimestampFormat::UnixTimestamp => {
                            serde::Serialize::serialize(&epoch_number(secs), ser)
                        }
                        format => ser.serialize_str(&format_timestamp(secs, format)),
                    }
                }
                Scalar::Blob(b) => ser.serialize_str(b),
            },
        }
    }
}

fn content_type(model: Option<&ServiceModel>) -> String {
    let version = model
        .and_then(|m| m.metadata.json_version.as_deref())
        .unwrap_or("1.0");
    format!("application/x-amz-json-{version}")
}

/// The JSON error envelope of awsJson and restJson1: `{"__type": Code, "message": ...}` plus
/// `x-amzn-ErrorType`, which botocore and aws-sdk-rust both read (stripping any `ns#` prefix).
pub(crate) fn encode_error(
    protocol: Protocol,
    model: Option<&ServiceModel>,
    err: &AwsError,
) -> HttpResponse {
    let info = ErrorInfo::of(model, err);
    let mut body = Map::new();
    body.insert("__type".into(), Value::String(info.type_name.to_string()));
    body.insert(info.message_key.into(), Value::String(err.message.clone()));
    if let Some(details) = &err.details {
        for (k, v) in &details.fields {
            body.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let content_type = match protocol {
        Protocol::RestJson => "application/json".to_string(),
        _ => content_type(model),
    };
    let resp = HttpResponse::new(err.status, &content_type, Value::Object(body).to_string())
        .header("x-amzn-errortype", info.type_name.to_string());
    info.with_query_error(resp)
}

/// What an error envelope says about an `AwsError`, from the model's error shapes.
pub(crate) struct ErrorInfo<'a> {
    /// The error shape's name (the `__type`), else the code itself.
    pub type_name: &'a str,
    /// `message` or `Message`, whichever the error shape models.
    pub message_key: &'a str,
    /// Whether `type_name` names a modeled error shape.
    pub modeled: bool,
    /// For services that used to speak awsQuery: the `x-amzn-query-error` value, `Code;Sender`.
    pub query_error: Option<String>,
}

impl<'a> ErrorInfo<'a> {
    /// Handlers answer a service's own codes: a shape name, or (for services that moved off
    /// awsQuery, like CloudWatch) the query code an error shape declares (`InvalidParameterValue`
    /// for `InvalidParameterValueException`). Both find the shape.
    pub fn of(model: Option<&'a ServiceModel>, err: &'a AwsError) -> Self {
        let code = err.code.as_ref();
        let found = model.and_then(|m| {
            let by_name = m.shapes.get_key_value(code).filter(|(_, s)| s.exception);
            by_name.or_else(|| {
                m.shapes
                    .iter()
                    .filter(|(_, s)| {
                        s.exception
                            && s.error.as_ref().and_then(|e| e.code.as_deref()) == Some(code)
                    })
                    .min_by_key(|(name, _)| name.as_str())
            })
        });
        let message_key = found
            .and_then(|(_, s)| {
                s.members
                    .iter()
                    .find(|m| m.name.eq_ignore_ascii_case("message"))
            })
            .map_or("message", |m| m.name.as_str());
        let query_compatible =
            model.is_some_and(|m| m.metadata.protocols.iter().any(|p| p == "query"));
        let query_error = query_compatible.then(|| {
            let query_code = found
                .and_then(|(_, s)| s.error.as_ref()?.code.as_deref())
                .unwrap_or(code);
            let fault = if err.sender_fault {
                "Sender"
            } else {
                "Receiver"
            };
            format!("{query_code};{fault}")
        });
        ErrorInfo {
            type_name: found.map_or(code, |(name, _)| name.as_str()),
            message_key,
            modeled: found.is_some(),
            query_error,
        }
    }

    pub fn with_query_error(&self, resp: HttpResponse) -> HttpResponse {
        match &self.query_error {
            Some(v) => resp.header("x-amzn-query-error", v.clone()),
            None => resp,
        }
    }
}

/// The error for request bodies that are malformed or do not fit the model.
pub(crate) fn serialization(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("SerializationException", message)
}

// ---- wire document -> canonical tree -------------------------------------------------------

/// A parsed wire document (JSON or CBOR) as the model-driven walk reads it.
pub(crate) trait Wire: Sized {
    /// What the value is, for error messages: "a string", "a map", ...
    fn kind(&self) -> &'static str;
    fn is_null(&self) -> bool;
    /// The entries of an object or map with text keys; `None` when it is not one.
    fn entries(&self) -> Option<Vec<(&str, &Self)>>;
    fn items(&self) -> Option<&[Self]>;
    /// The canonical form of a scalar of `s`'s kind; `None` when the value does not fit it.
    fn scalar(&self, r: &ShapeRef, s: &Shape) -> Option<Value>;
    /// A document-type member as plain JSON; `None` when the format has no documents.
    fn document(&self) -> Option<Value>;
}

/// A step of the path to a value, for error messages.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn show(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Decodes a wire document into the canonical tree of the referenced shape, validating every
/// value against the model. Unknown members and null members are skipped, as AWS does.
pub(crate) fn decode_shape<W: Wire>(
    model: &ServiceModel,
    r: &ShapeRef,
    raw: &W,
) -> Result<Value, AwsError> {
    walk(model, r, raw, &mut Vec::new(), 0)
}

/// `depth` counts structures: every recursive path through a model passes through one, and
/// the parsers refuse documents nested deeper than `2 * MAX_DEPTH` before the walk starts
/// (DynamoDB's 32 levels of nested attributes are 66 wire levels but 33 structures).
fn walk<'a, W: Wire>(
    model: &ServiceModel,
    r: &ShapeRef,
    raw: &'a W,
    path: &mut Vec<Step<'a>>,
    depth: usize,
) -> Result<Value, AwsError> {
    let s = shape(model, &r.shape)?;
    let mismatch = |path: &[Step]| {
        let at = if path.is_empty() {
            "the request body".to_string()
        } else {
            format!("'{}'", show(path))
        };
        serialization(format!(
            "Expected {} at {at}, found {}",
            expected(s.kind),
            raw.kind()
        ))
    };
    match s.kind {
        ShapeKind::Structure if s.document => raw.document().ok_or_else(|| mismatch(path)),
        ShapeKind::Structure => {
            if depth >= MAX_DEPTH {
                return Err(serialization(too_deep().message));
            }
            let entries = raw.entries().ok_or_else(|| mismatch(path))?;
            let mut out = Map::new();
            for (key, v) in entries {
                let Some(m) = s
                    .members
                    .iter()
                    .find(|m| wire_name(&m.name, &m.target) == key)
                else {
                    continue;
                };
                if v.is_null() {
                    continue;
                }
                path.push(Step::Key(key));
                let value = walk(model, &m.target, v, path, depth + 1)?;
                path.pop();
                out.insert(m.name.clone(), value);
            }
            Ok(Value::Object(out))
        }
        ShapeKind::List => {
            let member = s
                .member
                .as_ref()
                .ok_or_else(|| AwsError::internal("list without member"))?;
            let items = raw.items().ok_or_else(|| mismatch(path))?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                out.push(walk(model, member, item, path, depth)?);
                path.pop();
            }
            Ok(Value::Array(out))
        }
        ShapeKind::Map => {
            let value_ref = s
                .value
                .as_ref()
                .ok_or_else(|| AwsError::internal("map without value"))?;
            let entries = raw.entries().ok_or_else(|| mismatch(path))?;
            let mut out = Map::new();
            for (key, v) in entries {
                path.push(Step::Key(key));
                let value = walk(model, value_ref, v, path, depth)?;
                path.pop();
                out.insert(key.to_string(), value);
            }
            Ok(Value::Object(out))
        }
        _ => raw.scalar(r, s).ok_or_else(|| mismatch(path)),
    }
}

fn expected(kind: ShapeKind) -> &'static str {
    match kind {
        ShapeKind::Structure => "an object",
        ShapeKind::List => "a list",
        ShapeKind::Map => "a map",
        ShapeKind::String | ShapeKind::Character => "a string",
        ShapeKind::Boolean => "a boolean",
        ShapeKind::Byte => "an 8-bit integer",
        ShapeKind::Short => "a 16-bit integer",
        ShapeKind::Integer => "a 32-bit integer",
        ShapeKind::Long => "a 64-bit integer",
        ShapeKind::Float | ShapeKind::Double => "a number",
        ShapeKind::Timestamp => "a timestamp",
        ShapeKind::Blob => "base64-encoded bytes",
    }
}

/// A number as it came off the wire.
#[derive(Clone, Copy)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

/// The canonical form of a wire number for a numeric or timestamp shape: integers in range,
/// finite or named (`"NaN"`, `"Infinity"`, `"-Infinity"`) floats, epoch seconds.
pub(crate) fn number(kind: ShapeKind, n: Num) -> Option<Value> {
    let range = match kind {
        ShapeKind::Byte => i8::MIN as i128..=i8::MAX as i128,
        ShapeKind::Short => i16::MIN as i128..=i16::MAX as i128,
        ShapeKind::Integer => i32::MIN as i128..=i32::MAX as i128,
        ShapeKind::Long => i64::MIN as i128..=i64::MAX as i128,
        ShapeKind::Float | ShapeKind::Double | ShapeKind::Timestamp => {
            return match n {
                Num::Int(i) => match i64::try_from(i) {
                    Ok(i) => Some(Value::from(i)),
                    Err(_) => Number::from_f64(i as f64).map(Value::Number),
                },
                Num::Float(f) if f.is_finite() => Number::from_f64(f).map(Value::Number),
                Num::Float(_) if kind == ShapeKind::Timestamp => None,
                Num::Float(f) => Some(Value::String(non_finite_name(f).to_string())),
            };
        }
        _ => return None,
    };
    let i = match n {
        Num::Int(i) => i,
        Num::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e19 => f as i128,
        Num::Float(_) => return None,
    };
    range.contains(&i).then(|| Value::from(i as i64))
}

fn non_finite_name(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

/// A blob sent as base64 text, in the tree's canonical (padded, standard) base64.
fn canonical_base64(text: &str) -> Option<Value> {
    let bytes = STANDARD_PAD_INDIFFERENT.decode(text.as_bytes()).ok()?;
    Some(Value::String(STANDARD.encode(bytes)))
}

impl Wire for Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        }
    }

    fn is_null(&self) -> bool {
        self.is_null()
    }

    fn entries(&self) -> Option<Vec<(&str, &Self)>> {
        Some(
            self.as_object()?
                .iter()
                .map(|(k, v)| (k.as_str(), v))
                .collect(),
        )
    }

    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }

    fn scalar(&self, r: &ShapeRef, s: &Shape) -> Option<Value> {
        match (s.kind, self) {
            (ShapeKind::String | ShapeKind::Character, Value::String(_)) => Some(self.clone()),
            (ShapeKind::Boolean, Value::Bool(_)) => Some(self.clone()),
            (ShapeKind::Blob, Value::String(text)) => canonical_base64(text),
            (ShapeKind::Float | ShapeKind::Double, Value::String(t)) => {
                matches!(t.as_str(), "NaN" | "Infinity" | "-Infinity").then(|| self.clone())
            }
            (ShapeKind::Timestamp, Value::String(text)) => {
                let format = TimestampFormat::of(Some(r), s, TimestampFormat::UnixTimestamp);
                Number::from_f64(parse_timestamp(text, format)?).map(Value::Number)
            }
            (kind, Value::Number(n)) => {
                let num = match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => Num::Int(i.into()),
                    (_, Some(u)) => Num::Int(u.into()),
                    _ => Num::Float(n.as_f64()?),
                };
                number(kind, num)
            }
            _ => None,
        }
    }

    fn document(&self) -> Option<Value> {
        Some(self.clone())
    }
}

// ---- canonical tree -> wire ----------------------------------------------------------------

/// A scalar of the output tree, coerced to its shape's kind.
pub(crate) enum Scalar<'v> {
    Text(Cow<'v, str>),
    Bool(bool),
    Int(i64),
    /// May be NaN or infinite.
    Float(f64),
    /// Epoch seconds.
    Timestamp(f64),
    /// Base64 text, as the tree holds blobs.
    Blob(&'v str),
}

/// Reads a scalar of `s`'s kind from the tree, tolerating the harmless slips of handler
/// structs (numbers as strings and the like); `None` when the value cannot be one.
pub(crate) fn output_scalar<'v>(s: &Shape, v: &'v Value) -> Option<Scalar<'v>> {
    Some(match (s.kind, v) {
        (ShapeKind::String | ShapeKind::Character, Value::String(t)) => {
            Scalar::Text(Cow::Borrowed(t))
        }
        (ShapeKind::String | ShapeKind::Character, Value::Number(n)) => {
            Scalar::Text(Cow::Owned(n.to_string()))
        }
        (ShapeKind::String | ShapeKind::Character, Value::Bool(b)) => {
            Scalar::Text(Cow::Owned(b.to_string()))
        }
        (ShapeKind::Boolean, Value::Bool(b)) => Scalar::Bool(*b),
        (ShapeKind::Boolean, Value::String(t)) => Scalar::Bool(t.parse().ok()?),
        (ShapeKind::Byte | ShapeKind::Short | ShapeKind::Integer | ShapeKind::Long, _) => {
            let n = match v {
                Value::Number(n) => n
                    .as_i64()
                    .map(|i| Num::Int(i.into()))
                    .or_else(|| n.as_f64().map(Num::Float))?,
                Value::String(t) => Num::Int(t.trim().parse::<i64>().ok()?.into()),
                _ => return None,
            };
            Scalar::Int(number(s.kind, n)?.as_i64()?)
        }
        (ShapeKind::Float | ShapeKind::Double, Value::Number(n)) => Scalar::Float(n.as_f64()?),
        (ShapeKind::Float | ShapeKind::Double, Value::String(t)) => {
            Scalar::Float(match t.as_str() {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                t => t.trim().parse().ok()?,
            })
        }
        (ShapeKind::Timestamp, Value::Number(n)) => Scalar::Timestamp(n.as_f64()?),
        (ShapeKind::Timestamp, Value::String(t)) => {
            Scalar::Timestamp(parse_timestamp(t, TimestampFormat::Iso8601)?)
        }
        (ShapeKind::Blob, Value::String(t)) => Scalar::Blob(t),
        _ => return None,
    })
}

/// The error for output trees that do not fit the model: a handler bug.
pub(crate) fn unfit(s: &Shape, v: &Value) -> AwsError {
    AwsError::internal(format!(
        "output holds {} where the model wants {}",
        v.kind(),
        expected(s.kind)
    ))
}

/// Encodes a canonical value as the JSON of the referenced shape: wire names, only modeled
/// members, nulls omitted. `None` for a null value. The tree form of [`Encoded`], which the
/// tests hold it to.
#[cfg(test)]
pub(crate) fn encode_shape(
    model: &ServiceModel,
    r: &ShapeRef,
    v: &Value,
    depth: usize,
) -> Result<Option<Value>, AwsError> {
    if v.is_null() {
        return Ok(None);
    }
    if depth > MAX_DEPTH * 2 {
        return Err(AwsError::internal("output nests too deep"));
    }
    let s = shape(model, &r.shape)?;
    Ok(Some(match s.kind {
        ShapeKind::Structure if s.document => v.clone(),
        ShapeKind::Structure => {
            let fields = v.as_object().ok_or_else(|| unfit(s, v))?;
            let mut out = Map::new();
            for m in &s.members {
                if let Some(value) = fields.get(&m.name) {
                    if let Some(encoded) = encode_shape(model, &m.target, value, depth + 1)? {
                        out.insert(wire_name(&m.name, &m.target).to_string(), encoded);
                    }
                }
            }
            Value::Object(out)
        }
        ShapeKind::List => {
            let member = s
                .member
                .as_ref()
                .ok_or_else(|| AwsError::internal("list without member"))?;
            let items = v.as_array().ok_or_else(|| unfit(s, v))?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.extend(encode_shape(model, member, item, depth + 1)?);
            }
            Value::Array(out)
        }
        ShapeKind::Map => {
            let value_ref = s
                .value
                .as_ref()
                .ok_or_else(|| AwsError::internal("map without value"))?;
            let entries = v.as_object().ok_or_else(|| unfit(s, v))?;
            let mut out = Map::new();
            for (key, value) in entries {
                if let Some(encoded) = encode_shape(model, value_ref, value, depth + 1)? {
                    out.insert(key.clone(), encoded);
                }
            }
            Value::Object(out)
        }
        _ => match output_scalar(s, v).ok_or_else(|| unfit(s, v))? {
            Scalar::Text(t) => Value::String(t.into_owned()),
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::from(i),
            Scalar::Float(f) => match Number::from_f64(f) {
                Some(n) => Value::Number(n),
                None => Value::String(non_finite_name(f).to_string()),
            },
            Scalar::Timestamp(secs) => {
                match TimestampFormat::of(Some(r), s, TimestampFormat::UnixTimestamp) {
                    TimestampFormat::UnixTimestamp => epoch_number(secs),
                    format => Value::String(format_timestamp(secs, format)),
                }
            }
            Scalar::Blob(b) => Value::String(b.to_string()),
        },
    }))
}

/// Epoch seconds as a JSON number: an integer when whole, else millisecond precision.
fn epoch_number(secs: f64) -> Value {
    if secs.fract() == 0.0 && secs.abs() < 1e15 {
        Value::from(secs as i64)
    } else {
        Number::from_f64((secs * 1000.0).round() / 1000.0).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(body: &str) -> HttpRequest {
        HttpRequest {
            method: http::Method::POST,
            path: "/".into(),
            query: String::new(),
            headers: http::HeaderMap::new(),
            body: body.to_string().into(),
        }
    }

    fn decode_json(service: &str, op: &str, body: &str) -> Result<Value, AwsError> {
        let model = gureum_model::service(service).unwrap();
        decode(model, model.operation(op).unwrap(), &request(body)).map(|i| i.params)
    }

    fn encode_json(service: &str, op: &str, tree: Value) -> (String, Value) {
        let model = gureum_model::service(service).unwrap();
        let resp = encode(
            model,
            model.operation(op).unwrap(),
            &OperationOutput::new(tree.clone()),
        )
        .unwrap();
        assert_eq!(resp.status, 200);
        let ct = resp
            .headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .unwrap()
            .1
            .clone();
        let body: Value = serde_json::from_slice(&resp.body).unwrap();
        // The streamed answer is the tree the model-driven walk builds.
        let op = model.operation(op).unwrap();
        if let (Some(r), false) = (&op.output, tree.is_null()) {
            assert_eq!(
                Some(&body),
                encode_shape(model, r, &tree, 0).unwrap().as_ref()
            );
        }
        (ct, body)
    }

    #[test]
    fn decodes_inputs_into_the_canonical_tree() {
        let cases = [
            (
                "dynamodb",
                "PutItem",
                r#"{"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"1.5"},"b":{"B":"aGk="},
                   "m":{"M":{"l":{"L":[{"BOOL":true},{"NULL":true},{"BS":["aGk"]}]}}}},
                   "ReturnValues":"ALL_OLD","Unknown":{"x":[1,2]},"ConditionExpression":null}"#,
                json!({"TableName": "t", "ReturnValues": "ALL_OLD", "Item": {
                    "pk": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": "aGk="},
                    "m": {"M": {"l": {"L": [{"BOOL": true}, {"NULL": true}, {"BS": ["aGk="]}]}}}}}),
            ),
            (
                "kms",
                "Encrypt",
                r#"{"KeyId":"alias/k","Plaintext":"c2VjcmV0","EncryptionContext":{"a":"b"}}"#,
                json!({"KeyId": "alias/k", "Plaintext": "c2VjcmV0", "EncryptionContext": {"a": "b"}}),
            ),
            (
                "cloudwatch",
                "PutMetricData",
                r#"{"Namespace":"ns","MetricData":[{"MetricName":"m","Timestamp":1700000000,"Value":1.5,
                   "Values":[1,"NaN","Infinity"],"StorageResolution":1,"Dimensions":[{"Name":"d","Value":"v"}]},
                   {"MetricName":"f","Timestamp":1700000000.25}]}"#,
                json!({"Namespace": "ns", "MetricData": [
                    {"MetricName": "m", "Timestamp": 1700000000, "Value": 1.5, "Values": [1, "NaN", "Infinity"],
                     "StorageResolution": 1, "Dimensions": [{"Name": "d", "Value": "v"}]},
                    {"MetricName": "f", "Timestamp": 1700000000.25}]}),
            ),
            ("dynamodb", "DescribeLimits", "", json!({})),
            ("dynamodb", "DescribeLimits", "{}", json!({})),
            ("kms", "ListKeys", "", json!({})),
            (
                "kms",
                "ListKeys",
                " {\"Limit\": 10.0} ",
                json!({"Limit": 10}),
            ),
            ("logs", "DescribeLogGroups", "{}", json!({})),
        ];
        for (service, op, body, want) in cases {
            assert_eq!(
                decode_json(service, op, body).unwrap(),
                want,
                "{service} {op}"
            );
        }
    }

    #[test]
    fn decodes_botocore_request_bodies() {
        // botocore 1.43.11's JSONSerializer output, verbatim.
        let cases = [
            (
                "dynamodb",
                "PutItem",
                r#"{"TableName": "t", "Item": {"pk": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": "AP9oaQ=="}, "m": {"M": {"l": {"L": [{"BOOL": true}, {"NULL": true}, {"BS": ["eA=="]}]}}}}}"#,
                json!({"TableName": "t", "Item": {"pk": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": "AP9oaQ=="},
                       "m": {"M": {"l": {"L": [{"BOOL": true}, {"NULL": true}, {"BS": ["eA=="]}]}}}}}),
            ),
            (
                "kms",
                "Encrypt",
                r#"{"KeyId": "alias/k", "Plaintext": "c2VjcmV0AA==", "EncryptionContext": {"a": "b"}}"#,
                json!({"KeyId": "alias/k", "Plaintext": "c2VjcmV0AA==", "EncryptionContext": {"a": "b"}}),
            ),
            (
                "cloudwatch",
                "PutMetricData",
                r#"{"Namespace": "ns", "MetricData": [{"MetricName": "m", "Timestamp": 1700000000, "Value": 1.5, "Dimensions": [{"Name": "d", "Value": "v"}], "StorageResolution": 1}]}"#,
                json!({"Namespace": "ns", "MetricData": [{"MetricName": "m", "Timestamp": 1700000000, "Value": 1.5,
                       "Dimensions": [{"Name": "d", "Value": "v"}], "StorageResolution": 1}]}),
            ),
        ];
        for (service, op, body, want) in cases {
            assert_eq!(
                decode_json(service, op, body).unwrap(),
                want,
                "{service} {op}"
            );
        }
        // An operation without input takes an empty body or an empty object.
        let model = gureum_model::service("dynamodb").unwrap();
        let mut op = model.operation("DescribeLimits").unwrap().clone();
        op.input = None;
        for body in ["", "{}"] {
            assert_eq!(
                decode(model, &op, &request(body)).unwrap().params,
                json!({})
            );
        }
    }

    #[test]
    fn refuses_bodies_that_do_not_fit_the_model() {
        let cases = [
            (
                "dynamodb",
                "PutItem",
                r#"{"TableName":"t","Item":{"n":{"N":1}}}"#,
                "'Item.n.N'",
            ),
            (
                "dynamodb",
                "PutItem",
                r#"{"TableName":["t"]}"#,
                "'TableName'",
            ),
            (
                "dynamodb",
                "Scan",
                r#"{"TableName":"t","Limit":"10"}"#,
                "'Limit'",
            ),
            (
                "dynamodb",
                "Scan",
                r#"{"TableName":"t","Limit":1.5}"#,
                "'Limit'",
            ),
            (
                "dynamodb",
                "Scan",
                r#"{"TableName":"t","Limit":4294967296}"#,
                "'Limit'",
            ),
            (
                "dynamodb",
                "Scan",
                r#"{"TableName":"t","ConsistentRead":"true"}"#,
                "'ConsistentRead'",
            ),
            (
                "dynamodb",
                "BatchGetItem",
                r#"{"RequestItems":[]}"#,
                "'RequestItems'",
            ),
            (
                "dynamodb",
                "Scan",
                r#"{"TableName":"t","AttributesToGet":{"a":1}}"#,
                "'AttributesToGet'",
            ),
            (
                "dynamodb",
                "Scan",
                r#"{"TableName":"t","AttributesToGet":["a",2]}"#,
                "'AttributesToGet[1]'",
            ),
            (
                "kms",
                "Encrypt",
                r#"{"KeyId":"k","Plaintext":"not base64!"}"#,
                "'Plaintext'",
            ),
            ("kms", "Encrypt", r#"["KeyId"]"#, "the request body"),
            ("kms", "Encrypt", r#"{"KeyId":"k""#, "Malformed JSON"),
            (
                "cloudwatch",
                "PutMetricData",
                r#"{"MetricData":[{"Timestamp":true}]}"#,
                "'MetricData[0].Timestamp'",
            ),
            (
                "cloudwatch",
                "PutMetricData",
                r#"{"MetricData":[{"Value":"lots"}]}"#,
                "'MetricData[0].Value'",
            ),
        ];
        for (service, op, body, what) in cases {
            let err = decode_json(service, op, body).unwrap_err();
            assert_eq!(
                (err.code.as_ref(), err.status),
                ("SerializationException", 400),
                "{body}"
            );
            assert!(err.message.contains(what), "{body}: {}", err.message);
        }
    }

    #[test]
    fn refuses_deep_nesting_without_recursing() {
        // Past serde_json's own limit: a clean 400, never a stack overflow.
        let nest = |open: &str, close: &str, n: usize| {
            format!("{}{{\"S\":\"x\"}}{}", open.repeat(n), close.repeat(n))
        };
        let deep = format!(
            "{{\"TableName\":\"t\",\"Item\":{{\"a\":{}}}}}",
            nest("{\"L\":[", "]}", 5000)
        );
        let err = decode_json("dynamodb", "PutItem", &deep).unwrap_err();
        assert_eq!(err.code, "SerializationException");
        assert!(err.message.contains("deeper than"), "{}", err.message);
        // DynamoDB's 32 levels of nested attributes decode.
        let ok = format!(
            "{{\"Item\":{{\"a\":{}}}}}",
            nest("{\"M\":{\"a\":", "}}", 32)
        );
        assert!(decode_json("dynamodb", "PutItem", &ok).is_ok());
        // A tree built in memory (no parser limit) is still refused by the walk.
        let mut v = json!({"S": "x"});
        for _ in 0..MAX_DEPTH + 1 {
            v = json!({"L": [v]});
        }
        let model = gureum_model::service("dynamodb").unwrap();
        let op = model.operation("PutItem").unwrap();
        let err = decode_shape(
            model,
            op.input.as_ref().unwrap(),
            &json!({"Item": {"a": v}}),
        )
        .unwrap_err();
        assert_eq!(err.code, "SerializationException");
    }

    #[test]
    fn encodes_outputs_by_the_model() {
        let (ct, body) = encode_json(
            "dynamodb",
            "GetItem",
            json!({"Item": {"pk": {"S": "a"}, "b": {"B": "aGk="}, "n": {"N": "2"}}, "Extra": 1, "ConsumedCapacity": null}),
        );
        assert_eq!(ct, "application/x-amz-json-1.0");
        assert_eq!(
            body,
            json!({"Item": {"pk": {"S": "a"}, "b": {"B": "aGk="}, "n": {"N": "2"}}})
        );
        let (ct, body) = encode_json(
            "kms",
            "DescribeKey",
            json!({"KeyMetadata": {"KeyId": "k", "CreationDate": 1700000000.5, "Enabled": true, "KeyUsage": "ENCRYPT_DECRYPT"}}),
        );
        assert_eq!(ct, "application/x-amz-json-1.1");
        assert_eq!(
            body,
            json!({"KeyMetadata": {"KeyId": "k", "CreationDate": 1700000000.5, "Enabled": true, "KeyUsage": "ENCRYPT_DECRYPT"}})
        );
        let (_, body) = encode_json(
            "cloudwatch",
            "GetMetricData",
            json!({"MetricDataResults": [{"Id": "a", "Timestamps": [1700000000, "2023-11-14T22:13:20Z"], "Values": [1.5, "NaN"]}]}),
        );
        assert_eq!(
            body,
            json!({"MetricDataResults": [{"Id": "a", "Timestamps": [1700000000, 1700000000], "Values": [1.5, "NaN"]}]})
        );
        let (_, body) = encode_json("kms", "Decrypt", json!({"Plaintext": "aGk=", "KeyId": "k"}));
        assert_eq!(body, json!({"Plaintext": "aGk=", "KeyId": "k"}));
        let (_, body) = encode_json("dynamodb", "DeleteTable", json!(null));
        assert_eq!(body, json!({}));
        let model = gureum_model::service("kms").unwrap();
        let out = OperationOutput::new(json!({"KeyId": {"nested": true}}));
        let err = encode(model, model.operation("Decrypt").unwrap(), &out).unwrap_err();
        assert_eq!(err.status, 500);
    }

    #[test]
    fn error_envelopes() {
        let header = |resp: &HttpResponse, name: &str| {
            resp.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let ddb = gureum_model::service("dynamodb").unwrap();
        let cw = gureum_model::service("cloudwatch").unwrap();
        let logs = gureum_model::service("logs").unwrap();
        let cases = [
            (
                Protocol::Json,
                Some(ddb),
                AwsError::bad_request("ResourceNotFoundException", "gone"),
                json!({"__type": "ResourceNotFoundException", "message": "gone"}),
                "application/x-amz-json-1.0",
                None,
            ),
            (
                Protocol::Json,
                Some(ddb),
                serialization("bad"),
                json!({"__type": "SerializationException", "message": "bad"}),
                "application/x-amz-json-1.0",
                None,
            ),
            (
                Protocol::Json,
                Some(logs),
                AwsError::bad_request("ResourceNotFoundException", "no group"),
                json!({"__type": "ResourceNotFoundException", "message": "no group"}),
                "application/x-amz-json-1.1",
                None,
            ),
            (
                Protocol::Json,
                Some(cw),
                AwsError::bad_request("InvalidParameterValue", "bad value"),
                json!({"__type": "InvalidParameterValueException", "message": "bad value"}),
                "application/x-amz-json-1.0",
                Some("InvalidParameterValue;Sender"),
            ),
            (
                Protocol::Json,
                Some(cw),
                AwsError::new("InternalServiceError", 500, "oops"),
                json!({"__type": "InternalServiceFault", "Message": "oops"}),
                "application/x-amz-json-1.0",
                Some("InternalServiceError;Receiver"),
            ),
            (
                Protocol::Json,
                Some(cw),
                AwsError::new("ResourceNotFound", 404, "no dashboard"),
                json!({"__type": "ResourceNotFound", "message": "no dashboard"}),
                "application/x-amz-json-1.0",
                Some("ResourceNotFound;Sender"),
            ),
            (
                Protocol::RestJson,
                None,
                AwsError::new("ResourceNotFoundException", 404, "no function"),
                json!({"__type": "ResourceNotFoundException", "message": "no function"}),
                "application/json",
                None,
            ),
        ];
        for (protocol, model, err, body, ct, query_error) in cases {
            let resp = encode_error(protocol, model, &err);
            assert_eq!(resp.status, err.status);
            assert_eq!(
                serde_json::from_slice::<Value>(&resp.body).unwrap(),
                body,
                "{}",
                err.code
            );
            assert_eq!(header(&resp, "content-type").as_deref(), Some(ct));
            assert_eq!(
                header(&resp, "x-amzn-errortype"),
                body["__type"].as_str().map(str::to_string)
            );
            assert_eq!(header(&resp, "x-amzn-query-error").as_deref(), query_error);
        }
    }
}
