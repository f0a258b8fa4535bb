//! Scalars between their wire text and the canonical value tree: numbers, booleans, blobs
//! (base64 in the tree) and timestamps (epoch seconds in the tree) in AWS's three formats.

use base64::Engine;
use gureum_core::AwsError;
use gureum_model::{Shape, ShapeKind, ShapeRef};
use serde_json::{Number, Value};
use time::OffsetDateTime;
use time::format_description::well_known::{Rfc2822, Rfc3339};

/// AWS's timestamp wire formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    Iso8601,
    Rfc822,
    UnixTimestamp,
}

impl TimestampFormat {
    /// The format a reference or shape names, else `default`.
    pub fn of(r: Option<&ShapeRef>, shape: &Shape, default: TimestampFormat) -> TimestampFormat {
        let named = r
            .and_then(|r| r.timestamp_format.as_deref())
            .or(shape.timestamp_format.as_deref());
        match named {
            Some("iso8601") => TimestampFormat::Iso8601,
            Some("rfc822") => TimestampFormat::Rfc822,
            Some("unixTimestamp") => TimestampFormat::UnixTimestamp,
            _ => default,
        }
    }
}

/// Parses a timestamp in any of AWS's formats, trying `preferred` first. Answers epoch seconds.
pub fn parse_timestamp(text: &str, preferred: TimestampFormat) -> Option<f64> {
    let text = text.trim();
    let as_unix = || text.parse::<f64>().ok().filter(|f| f.is_finite());
    let as_iso = || {
        OffsetDateTime::parse(text, &Rfc3339)
            .ok()
            .map(|t| t.unix_timestamp_nanos() as f64 / 1e9)
    };
    let as_http = || parse_http_date(text);
    match preferred {
        TimestampFormat::UnixTimestamp => as_unix().or_else(as_iso).or_else(as_http),
        TimestampFormat::Iso8601 => as_iso().or_else(as_unix).or_else(as_http),
        TimestampFormat::Rfc822 => as_http().or_else(as_iso).or_else(as_unix),
    }
}

fn parse_http_date(text: &str) -> Option<f64> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc2822) {
        return Some(t.unix_timestamp() as f64);
    }
    // "Sun, 06 Nov 1994 08:49:37 GMT": RFC 2822 parsing in `time` wants a numeric zone.
    let fixed = text
        .strip_suffix("GMT")
        .or_else(|| text.strip_suffix("UTC"))?;
    OffsetDateTime::parse(&format!("{fixed}+0000"), &Rfc2822)
        .ok()
        .map(|t| t.unix_timestamp() as f64)
}

/// Formats epoch seconds in a wire format.
pub fn format_timestamp(secs: f64, format: TimestampFormat) -> String {
    let nanos = (secs * 1e9).round() as i128;
    let t = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    match format {
        TimestampFormat::UnixTimestamp => format_number(secs),
        TimestampFormat::Iso8601 => {
            let millis = t.millisecond();
            let base = gureum_core::clock::rfc3339(t);
            if millis == 0 {
                base
            } else {
                format!("{}.{millis:03}Z", base.trim_end_matches('Z'))
            }
        }
        TimestampFormat::Rfc822 => {
            const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            format!(
                "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
                DAYS[t.weekday().number_days_from_monday() as usize],
                t.day(),
                MONTHS[t.month() as usize - 1],
                t.year(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
    }
}

fn format_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Turns wire text into a scalar value of `shape`'s kind (query strings, headers, XML text).
/// `member` names the field in error messages.
pub fn scalar_from_text(
    member: &str,
    r: Option<&ShapeRef>,
    shape: &Shape,
    text: &str,
    ts_default: TimestampFormat,
) -> Result<Value, AwsError> {
    let bad = |what: &str| {
        AwsError::validation(format!(
            "Value '{text}' at '{member}' failed to satisfy constraint: Member must be {what}"
        ))
    };
    Ok(match shape.kind {
        ShapeKind::String | ShapeKind::Character => Value::String(text.to_string()),
        ShapeKind::Boolean => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("a boolean")),
        },
        ShapeKind::Integer | ShapeKind::Long | ShapeKind::Short | ShapeKind::Byte => Value::Number(
            text.trim()
                .parse::<i64>()
                .map_err(|_| bad("an integer"))?
                .into(),
        ),
        ShapeKind::Float | ShapeKind::Double => {
            let t = text.trim();
            let f = match t {
                "NaN" | "Infinity" | "-Infinity" => return Ok(Value::String(t.to_string())),
                _ => t.parse::<f64>().map_err(|_| bad("a number"))?,
            };
            Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| bad("a finite number"))?
        }
        ShapeKind::Timestamp => {
            let fmt = TimestampFormat::of(r, shape, ts_default);
            let secs = parse_timestamp(text, fmt).ok_or_else(|| bad("a timestamp"))?;
            Number::from_f64(secs)
                .map(Value::Number)
                .ok_or_else(|| bad("a timestamp"))?
        }
        ShapeKind::Blob => {
            let t = text.trim();
            base64::engine::general_purpose::STANDARD
                .decode(t.as_bytes())
                .map_err(|_| bad("base64-encoded"))?;
            Value::String(t.to_string())
        }
        ShapeKind::Structure | ShapeKind::List | ShapeKind::Map => {
            return Err(bad("a scalar"));
        }
    })
}

/// Turns a scalar value into wire text (query and XML bodies, headers). `None` for values
/// that are not scalars of a fitting kind.
pub fn scalar_to_text(
    r: Option<&ShapeRef>,
    shape: &Shape,
    value: &Value,
    ts_default: TimestampFormat,
) -> Option<String> {
    Some(match (shape.kind, value) {
        (ShapeKind::Timestamp, Value::Number(n)) => {
            format_timestamp(n.as_f64()?, TimestampFormat::of(r, shape, ts_default))
        }
        (ShapeKind::Timestamp, Value::String(s)) => s.clone(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Bool(b)) => b.to_string(),
        (ShapeKind::Float | ShapeKind::Double, Value::Number(n)) => format_number(n.as_f64()?),
        (_, Value::Number(n)) => n.to_string(),
        _ => return None,
    })
}

/// The name a member carries on the wire (`locationName`), else its model name.
pub fn wire_name<'a>(name: &'a str, r: &'a ShapeRef) -> &'a str {
    r.location_name.as_deref().unwrap_or(name)
}

/// Looks a shape up, answering an internal error for dangling model references.
pub fn shape<'m>(model: &'m gureum_model::ServiceModel, name: &str) -> Result<&'m Shape, AwsError> {
    model
        .shape(name)
        .ok_or_else(|| AwsError::internal(format!("model has no shape {name}")))
}

/// The error for input nested deeper than [`crate::MAX_DEPTH`].
pub fn too_deep() -> AwsError {
    AwsError::validation(format!(
        "input nests deeper than {} levels",
        crate::MAX_DEPTH
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_format() {
        let cases = [
            (
                "2023-11-14T22:13:20Z",
                TimestampFormat::Iso8601,
                1_700_000_000.0,
            ),
            (
                "2023-11-14T22:13:20.500Z",
                TimestampFormat::Iso8601,
                1_700_000_000.5,
            ),
            (
                "Tue, 14 Nov 2023 22:13:20 GMT",
                TimestampFormat::Rfc822,
                1_700_000_000.0,
            ),
            (
                "1700000000",
                TimestampFormat::UnixTimestamp,
                1_700_000_000.0,
            ),
            ("1700000000.25", TimestampFormat::Iso8601, 1_700_000_000.25),
        ];
        for (text, fmt, secs) in cases {
            assert_eq!(parse_timestamp(text, fmt), Some(secs), "{text}");
        }
        assert_eq!(parse_timestamp("yesterday", TimestampFormat::Iso8601), None);
        assert_eq!(
            format_timestamp(1_700_000_000.0, TimestampFormat::Iso8601),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            format_timestamp(1_700_000_000.5, TimestampFormat::Iso8601),
            "2023-11-14T22:13:20.500Z"
        );
        assert_eq!(
            format_timestamp(1_700_000_000.0, TimestampFormat::Rfc822),
            "Tue, 14 Nov 2023 22:13:20 GMT"
        );
        assert_eq!(
            format_timestamp(1_700_000_000.0, TimestampFormat::UnixTimestamp),
            "1700000000"
        );
    }
}
