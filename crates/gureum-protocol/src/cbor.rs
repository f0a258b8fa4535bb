//! Smithy RPC v2 CBOR (CloudWatch): a CBOR map body keyed by member names, blobs as byte
//! strings, timestamps as tag 1 over epoch seconds. Requests are parsed with `ciborium` (depth
//! bounded) and walked against the model like JSON; responses are written here with definite
//! lengths and the float widths the SDKs read (`float` as f32, `double` and timestamps as f64).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use ciborium::Value as Cbor;
use gureum_core::{AwsError, OperationInput, OperationOutput};
use gureum_model::{Operation, ServiceModel, Shape, ShapeKind, ShapeRef};
use serde_json::{Map, Value};

use crate::json::{
    ErrorInfo, Num, Scalar, Wire, decode_shape, number, output_scalar, serialization, unfit,
};
use crate::value::{shape, too_deep, wire_name};
use crate::{HttpRequest, HttpResponse, MAX_DEPTH};

const PROTOCOL_HEADER: (&str, &str) = ("smithy-protocol", "rpc-v2-cbor");

pub(crate) fn decode(
    model: &ServiceModel,
    op: &Operation,
    req: &HttpRequest,
) -> Result<OperationInput, AwsError> {
    let params = match &op.input {
        Some(input) if !req.body.is_empty() => decode_shape(model, input, &parse(&req.body)?)?,
        _ => Value::Object(Map::new()),
    };
    Ok(OperationInput {
        params,
        payload: None,
        stream: None,
    })
}

/// Parses one CBOR data item, refusing nesting deeper than `2 * MAX_DEPTH` without recursing.
fn parse(body: &[u8]) -> Result<Cbor, AwsError> {
    let mut reader = body;
    let value: Cbor = ciborium::de::from_reader_with_recursion_limit(&mut reader, 2 * MAX_DEPTH)
        .map_err(|e| match e {
            ciborium::de::Error::RecursionLimitExceeded => serialization(too_deep().message),
            e => serialization(format!("Malformed CBOR request body: {e:?}")),
        })?;
    if !reader.is_empty() {
        return Err(serialization(
            "Malformed CBOR request body: trailing bytes after the data item",
        ));
    }
    Ok(value)
}

impl Wire for Cbor {
    fn kind(&self) -> &'static str {
        match self {
            Cbor::Integer(_) => "an integer",
            Cbor::Bytes(_) => "a byte string",
            Cbor::Float(_) => "a float",
            Cbor::Text(_) => "a text string",
            Cbor::Bool(_) => "a boolean",
            Cbor::Null => "null",
            Cbor::Tag(..) => "a tagged item",
            Cbor::Array(_) => "an array",
            Cbor::Map(_) => "a map",
            _ => "an unsupported item",
        }
    }

    fn is_null(&self) -> bool {
        self.is_null()
    }

    fn entries(&self) -> Option<Vec<(&str, &Self)>> {
        self.as_map()?
            .iter()
            .map(|(k, v)| Some((k.as_text()?, v)))
            .collect()
    }

    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }

    fn scalar(&self, _r: &ShapeRef, s: &Shape) -> Option<Value> {
        let num = |v: &Cbor| match v {
            Cbor::Integer(i) => Some(Num::Int(i128::from(*i))),
            Cbor::Float(f) => Some(Num::Float(*f)),
            _ => None,
        };
        match (s.kind, self) {
            (ShapeKind::String | ShapeKind::Character, Cbor::Text(t)) => {
                Some(Value::String(t.clone()))
            }
            (ShapeKind::Boolean, Cbor::Bool(b)) => Some(Value::Bool(*b)),
            (ShapeKind::Blob, Cbor::Bytes(b)) => Some(Value::String(STANDARD.encode(b))),
            (ShapeKind::Timestamp, Cbor::Tag(1, inner)) => number(s.kind, num(inner)?),
            (kind, v) => number(kind, num(v)?),
        }
    }

    fn document(&self) -> Option<Value> {
        None
    }
}

pub(crate) fn encode(
    model: &ServiceModel,
    op: &Operation,
    out: &OperationOutput,
) -> Result<HttpResponse, AwsError> {
    let Some(r) = &op.output else {
        // No output shape: no body and no content type.
        return Ok(HttpResponse {
            status: 200,
            headers: vec![owned(PROTOCOL_HEADER)],
            body: Default::default(),
        });
    };
    let mut body = Vec::with_capacity(256);
    let empty = Value::Object(Map::new());
    let params = if out.params.is_null() {
        &empty
    } else {
        &out.params
    };
    write_value(model, r, params, &mut body, 0)?;
    Ok(HttpResponse::new(200, "application/cbor", body)
        .header(PROTOCOL_HEADER.0, PROTOCOL_HEADER.1))
}

/// RPC v2 CBOR errors: `{"__type": "<namespace>#<Shape>", "message": ...}`. botocore and
/// aws-sdk-rust take the code after `#`; query-compatible services add `x-amzn-query-error`.
pub(crate) fn encode_error(model: Option<&ServiceModel>, err: &AwsError) -> HttpResponse {
    let info = ErrorInfo::of(model, err);
    let type_id = match model {
        Some(m) if info.modeled => format!("{}#{}", namespace(m), info.type_name),
        _ => info.type_name.to_string(),
    };
    let mut body = Vec::with_capacity(64 + err.message.len());
    head(&mut body, MAP, 2);
    text(&mut body, "__type");
    text(&mut body, &type_id);
    text(&mut body, info.message_key);
    text(&mut body, &err.message);
    let resp = HttpResponse::new(err.status, "application/cbor", body)
        .header(PROTOCOL_HEADER.0, PROTOCOL_HEADER.1);
    info.with_query_error(resp)
}

/// The Smithy namespace of AWS's models: `com.amazonaws.` and the service id, lowercased.
fn namespace(model: &ServiceModel) -> String {
    let id: String = model
        .metadata
        .service_id
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    format!("com.amazonaws.{}", id.to_ascii_lowercase())
}

fn owned((k, v): (&str, &str)) -> (String, String) {
    (k.to_string(), v.to_string())
}

// ---- writing -------------------------------------------------------------------------------

const UINT: u8 = 0;
const NINT: u8 = 1;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;

/// A data item's head: major type and argument, in the shortest form.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if let Ok(n) = u8::try_from(n) {
        out.extend([m | 24, n]);
    } else if let Ok(n) = u16::try_from(n) {
        out.push(m | 25);
        out.extend(n.to_be_bytes());
    } else if let Ok(n) = u32::try_from(n) {
        out.push(m | 26);
        out.extend(n.to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend(n.to_be_bytes());
    }
}

fn text(out: &mut Vec<u8>, s: &str) {
    head(out, TEXT, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        head(out, UINT, i as u64);
    } else {
        head(out, NINT, !i as u64);
    }
}

fn f64_item(out: &mut Vec<u8>, f: f64) {
    out.push(0xfb);
    out.extend(f.to_be_bytes());
}

/// Writes a canonical value as the CBOR of the referenced shape. Nulls are skipped by the
/// callers, so container lengths are known before their items are written.
fn write_value(
    model: &ServiceModel,
    r: &ShapeRef,
    v: &Value,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), AwsError> {
    if depth > MAX_DEPTH * 2 {
        return Err(AwsError::internal("output nests too deep"));
    }
    let s = shape(model, &r.shape)?;
    match s.kind {
        ShapeKind::Structure => {
            let fields = v.as_object().ok_or_else(|| unfit(s, v))?;
            let present: Vec<_> = s
                .members
                .iter()
                .filter_map(|m| Some((m, fields.get(&m.name).filter(|v| !v.is_null())?)))
                .collect();
            head(out, MAP, present.len() as u64);
            for (m, value) in present {
                text(out, wire_name(&m.name, &m.target));
                write_value(model, &m.target, value, out, depth + 1)?;
            }
        }
        ShapeKind::List => {
            let member = s
                .member
                .as_ref()
                .ok_or_else(|| AwsError::internal("list without member"))?;
            let items = v.as_array().ok_or_else(|| unfit(s, v))?;
            head(
                out,
                ARRAY,
                items.iter().filter(|i| !i.is_null()).count() as u64,
            );
            for item in items.iter().filter(|i| !i.is_null()) {
                write_value(model, member, item, out, depth + 1)?;
            }
        }
        ShapeKind::Map => {
            let value_ref = s
                .value
                .as_ref()
                .ok_or_else(|| AwsError::internal("map without value"))?;
            let entries = v.as_object().ok_or_else(|| unfit(s, v))?;
            head(
                out,
                MAP,
                entries.values().filter(|e| !e.is_null()).count() as u64,
            );
            for (key, value) in entries.iter().filter(|(_, e)| !e.is_null()) {
                text(out, key);
                write_value(model, value_ref, value, out, depth + 1)?;
            }
        }
        _ => match output_scalar(s, v).ok_or_else(|| unfit(s, v))? {
            Scalar::Text(t) => text(out, &t),
            Scalar::Bool(b) => out.push(if b { 0xf5 } else { 0xf4 }),
            Scalar::Int(i) => int(out, i),
            // aws-sdk-rust reads `float` members as f32 only; botocore reads any width.
            Scalar::Float(f) if s.kind == ShapeKind::Float => {
                out.push(0xfa);
                out.extend((f as f32).to_be_bytes());
            }
            Scalar::Float(f) => f64_item(out, f),
            // Tag 1 over a double: aws-sdk-rust reads timestamps as floats only.
            Scalar::Timestamp(secs) => {
                out.push(0xc1);
                f64_item(out, secs);
            }
            Scalar::Blob(b64) => {
                let bytes = STANDARD_PAD_INDIFFERENT
                    .decode(b64.as_bytes())
                    .map_err(|_| unfit(s, v))?;
                head(out, BYTES, bytes.len() as u64);
                out.extend_from_slice(&bytes);
            }
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cbor(v: &Cbor) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(v, &mut out).unwrap();
        out
    }

    fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
        Cbor::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Cbor::Text(k.into()), v))
                .collect(),
        )
    }

    fn decode_cbor(op: &str, body: Vec<u8>) -> Result<Value, AwsError> {
        let model = gureum_model::service("cloudwatch").unwrap();
        let req = HttpRequest {
            method: http::Method::POST,
            path: format!("/service/GraniteServiceVersion20100801/operation/{op}"),
            query: String::new(),
            headers: [
                ("smithy-protocol", "rpc-v2-cbor"),
                ("content-type", "application/cbor"),
            ]
            .into_iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    http::HeaderValue::from_static(v),
                )
            })
            .collect(),
            body: body.into(),
        };
        decode(model, model.operation(op).unwrap(), &req).map(|i| i.params)
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn decodes_requests_built_with_ciborium() {
        let datum = |ts: Cbor| {
            map(vec![
                ("MetricName", Cbor::Text("m".into())),
                ("Timestamp", Cbor::Tag(1, Box::new(ts))),
                ("Value", Cbor::Float(1.5)),
                (
                    "Values",
                    Cbor::Array(vec![Cbor::Integer(2.into()), Cbor::Float(f64::NAN)]),
                ),
                ("StorageResolution", Cbor::Integer(60.into())),
                (
                    "Dimensions",
                    Cbor::Array(vec![map(vec![
                        ("Name", Cbor::Text("d".into())),
                        ("Value", Cbor::Text("v".into())),
                    ])]),
                ),
                ("Unknown", Cbor::Bytes(vec![1, 2])),
                ("Unit", Cbor::Null),
            ])
        };
        let body = map(vec![
            ("Namespace", Cbor::Text("ns".into())),
            (
                "MetricData",
                Cbor::Array(vec![
                    datum(Cbor::Integer(1_700_000_000.into())),
                    datum(Cbor::Float(1_700_000_000.25)),
                ]),
            ),
        ]);
        let want = |ts: Value| {
            json!({"MetricName": "m", "Timestamp": ts, "Value": 1.5, "Values": [2, "NaN"], "StorageResolution": 60,
                   "Dimensions": [{"Name": "d", "Value": "v"}]})
        };
        assert_eq!(
            decode_cbor("PutMetricData", cbor(&body)).unwrap(),
            json!({"Namespace": "ns", "MetricData": [want(json!(1700000000)), want(json!(1700000000.25))]})
        );
        // Blobs are byte strings; an empty body is an empty input.
        let body = map(vec![
            ("MetricWidget", Cbor::Text("{}".into())),
            ("OutputFormat", Cbor::Text("png".into())),
        ]);
        assert_eq!(
            decode_cbor("GetMetricWidgetImage", cbor(&body)).unwrap(),
            json!({"MetricWidget": "{}", "OutputFormat": "png"})
        );
        assert_eq!(
            decode_cbor("ListDashboards", Vec::new()).unwrap(),
            json!({})
        );
        assert_eq!(
            decode_cbor("ListDashboards", vec![0xa0]).unwrap(),
            json!({})
        );
        // The walk is the JSON codec's: a DynamoDB item with a byte-string blob and a number.
        let ddb = gureum_model::service("dynamodb").unwrap();
        let item = map(vec![(
            "Item",
            map(vec![
                ("b", map(vec![("B", Cbor::Bytes(vec![0, 255]))])),
                ("n", map(vec![("N", Cbor::Text("1.5".into()))])),
            ]),
        )]);
        let input = ddb.operation("PutItem").unwrap().input.as_ref().unwrap();
        assert_eq!(
            decode_shape(ddb, input, &item).unwrap(),
            json!({"Item": {"b": {"B": "AP8="}, "n": {"N": "1.5"}}})
        );
    }

    #[test]
    fn decodes_indefinite_lengths_and_half_floats() {
        // {_ "Namespace": (_ "n", "s"), "MetricData": [_ {_ "MetricName": "m", "Value": f16 1.5,
        //   "Timestamp": 1(f32 1.7e9)}]}
        let body = hex(concat!(
            "bf",
            "694e616d657370616365",
            "7f616e6173ff",
            "6a4d657472696344617461",
            "9f",
            "bf",
            "6a4d65747269634e616d65",
            "616d",
            "6556616c7565",
            "f93e00",
            "6954696d657374616d70",
            "c1fa4ecaa1b7",
            "ff",
            "ff",
            "ff"
        ));
        let got = decode_cbor("PutMetricData", body).unwrap();
        assert_eq!(got["Namespace"], "ns");
        assert_eq!(got["MetricData"][0]["Value"], 1.5);
        assert_eq!(got["MetricData"][0]["MetricName"], "m");
        assert!(got["MetricData"][0]["Timestamp"].as_f64().unwrap() > 1.69e9);
    }

    #[test]
    fn decodes_botocore_request_bodies() {
        // botocore 1.43.11, RpcV2CBORSerializer: cloudwatch PutMetricData(Namespace="ns",
        // MetricData=[{MetricName: "m", Timestamp: datetime(2023,11,14,22,13,20,tz=utc), Value: 1.5,
        // Dimensions: [{Name: "d", Value: "v"}], StorageResolution: 1}])
        let body = hex(BOTOCORE_PUT_METRIC_DATA);
        assert_eq!(
            decode_cbor("PutMetricData", body).unwrap(),
            json!({"Namespace": "ns", "MetricData": [{"MetricName": "m", "Timestamp": 1700000000, "Value": 1.5,
                   "Dimensions": [{"Name": "d", "Value": "v"}], "StorageResolution": 1}]})
        );
    }

    const BOTOCORE_PUT_METRIC_DATA: &str = concat!(
        "a2694e616d657370616365626e736a4d65747269634461746181a56a4d65747269634e616d65616d6954696d657374616d70",
        "c11a6553f1006556616c7565fb3ff80000000000006a44696d656e73696f6e7381a2644e616d6561646556616c756561767153",
        "746f726167655265736f6c7574696f6e01",
    );

    #[test]
    fn refuses_bodies_that_do_not_fit_the_model() {
        let cases = [
            (
                map(vec![("Namespace", Cbor::Integer(1.into()))]),
                "'Namespace'",
            ),
            (map(vec![("MetricData", map(vec![]))]), "'MetricData'"),
            (
                map(vec![(
                    "MetricData",
                    Cbor::Array(vec![map(vec![("Timestamp", Cbor::Text("now".into()))])]),
                )]),
                "'MetricData[0].Timestamp'",
            ),
            (
                map(vec![(
                    "MetricData",
                    Cbor::Array(vec![map(vec![("StorageResolution", Cbor::Float(1.5))])]),
                )]),
                "'MetricData[0].StorageResolution'",
            ),
            (
                map(vec![(
                    "MetricData",
                    Cbor::Array(vec![map(vec![(
                        "StorageResolution",
                        Cbor::Integer(u64::MAX.into()),
                    )])]),
                )]),
                "'MetricData[0].StorageResolution'",
            ),
            (Cbor::Array(vec![]), "the request body"),
            (
                Cbor::Map(vec![(Cbor::Integer(1.into()), Cbor::Null)]),
                "the request body",
            ),
        ];
        for (body, what) in cases {
            let err = decode_cbor("PutMetricData", cbor(&body)).unwrap_err();
            assert_eq!(
                (err.code.as_ref(), err.status),
                ("SerializationException", 400)
            );
            assert!(err.message.contains(what), "{what}: {}", err.message);
        }
        for body in [vec![0xbf], vec![0x1c], hex("a1614e01ff")] {
            let err = decode_cbor("PutMetricData", body).unwrap_err();
            assert_eq!(err.code, "SerializationException");
        }
        let blob = map(vec![
            ("MetricWidget", Cbor::Text("{}".into())),
            ("OutputFormat", Cbor::Bytes(vec![1])),
        ]);
        assert_eq!(
            decode_cbor("GetMetricWidgetImage", cbor(&blob))
                .unwrap_err()
                .code,
            "SerializationException"
        );
    }

    #[test]
    fn refuses_deep_nesting_without_recursing() {
        for depth in [MAX_DEPTH * 2 + 1, 100_000] {
            let mut body = hex("a1694e616d657370616365");
            body.extend(std::iter::repeat_n(0x81, depth));
            body.push(0x00);
            let err = decode_cbor("PutMetricData", body).unwrap_err();
            assert_eq!(err.code, "SerializationException");
            assert!(err.message.contains("deeper than"), "{}", err.message);
        }
    }

    #[test]
    fn encodes_outputs_with_definite_lengths() {
        let model = gureum_model::service("cloudwatch").unwrap();
        let out = OperationOutput::new(json!({
            "MetricDataResults": [{"Id": "a", "Timestamps": [1700000000], "Values": [1.5, "NaN"], "StatusCode": "Complete"}],
            "NotModeled": true,
        }));
        let resp = encode(model, model.operation("GetMetricData").unwrap(), &out).unwrap();
        let header = |name: &str| {
            resp.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("content-type"), Some("application/cbor"));
        assert_eq!(header("smithy-protocol"), Some("rpc-v2-cbor"));
        let want = concat!(
            "a1",
            "714d657472696344617461526573756c7473",
            "81",
            "a4",
            "624964",
            "6161",
            "6a54696d657374616d7073",
            "81",
            "c1fb41d954fc40000000",
            "6656616c756573",
            "82",
            "fb3ff8000000000000",
            "fb7ff8000000000000",
            "6a537461747573436f6465",
            "68436f6d706c657465",
        );
        assert_eq!(
            resp.body
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            want
        );
        // Operations without output answer no body.
        let resp = encode(
            model,
            model.operation("PutMetricData").unwrap(),
            &OperationOutput::default(),
        )
        .unwrap();
        assert!(resp.body.is_empty());
        // Blobs go out as byte strings.
        let out = OperationOutput::new(json!({"MetricWidgetImage": "aGk="}));
        let resp = encode(
            model,
            model.operation("GetMetricWidgetImage").unwrap(),
            &out,
        )
        .unwrap();
        assert_eq!(
            &resp.body[..],
            &hex("a1714d6574726963576964676574496d616765426869")[..]
        );
    }

    #[test]
    fn error_envelopes() {
        let model = gureum_model::service("cloudwatch").unwrap();
        let cases = [
            (
                AwsError::bad_request("InvalidParameterValue", "bad"),
                "com.amazonaws.cloudwatch#InvalidParameterValueException",
                "message",
                Some("InvalidParameterValue;Sender"),
            ),
            (
                AwsError::new("InternalServiceError", 500, "oops"),
                "com.amazonaws.cloudwatch#InternalServiceFault",
                "Message",
                Some("InternalServiceError;Receiver"),
            ),
            (
                crate::json::serialization("bad body"),
                "SerializationException",
                "message",
                Some("SerializationException;Sender"),
            ),
        ];
        for (err, type_id, key, query_error) in cases {
            let resp = encode_error(Some(model), &err);
            assert_eq!(resp.status, err.status);
            let body: Cbor = ciborium::de::from_reader(&resp.body[..]).unwrap();
            let want = map(vec![
                ("__type", Cbor::Text(type_id.into())),
                (key, Cbor::Text(err.message.clone())),
            ]);
            assert_eq!(body, want);
            let header = |name: &str| {
                resp.headers
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            assert_eq!(header("x-amzn-query-error"), query_error);
            assert_eq!(header("smithy-protocol"), Some("rpc-v2-cbor"));
        }
        let resp = encode_error(None, &AwsError::new("UnknownOperationException", 404, "no"));
        let body: Cbor = ciborium::de::from_reader(&resp.body[..]).unwrap();
        assert_eq!(
            body,
            map(vec![
                ("__type", Cbor::Text("UnknownOperationException".into())),
                ("message", Cbor::Text("no".into()))
            ])
        );
    }
}
