//! The HTTP semantics S3 applies to object reads: byte ranges, conditional headers, ETag
//! comparison and HTTP dates.

use time::OffsetDateTime;

/// A satisfiable byte range: the first and last byte, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub first: u64,
    pub last: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    pub fn content_range(&self, size: u64) -> String {
        format!("bytes {}-{}/{size}", self.first, self.last)
    }
}

/// What a `Range` header asks of an object of `size` bytes, as S3 reads it: `Ok(None)` for a
/// header S3 ignores (malformed, not bytes, several ranges: the whole object is served),
/// `Err(())` for a range that cannot be satisfied (`InvalidRange`, 416).
#[allow(clippy::result_unit_err)]
pub fn parse_range(header: &str, size: u64) -> Result<Option<ByteRange>, ()> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => {
            let Some(n) = parse(last) else {
                return Ok(None);
            };
            if n == 0 || size == 0 {
                return Err(());
            }
            Ok(Some(ByteRange {
                first: size.saturating_sub(n),
                last: size - 1,
            }))
        }
        // bytes=A-: from A to the end.
        (false, true) => {
            let Some(a) = parse(first) else {
                return Ok(None);
            };
            if a >= size {
                return Err(());
            }
            Ok(Some(ByteRange {
                first: a,
                last: size - 1,
            }))
        }
        (false, false) => {
            let (Some(a), Some(b)) = (parse(first), parse(last)) else {
                return Ok(None);
            };
            if b < a {
                return Ok(None);
            }
            if a >= size {
                return Err(());
            }
            Ok(Some(ByteRange {
                first: a,
                last: b.min(size - 1),
            }))
        }
        (true, true) => Ok(None),
    }
}

/// Whether an `If-Match`/`If-None-Match` list (`"a", "b"` or `*`) names `etag` (quoted).
pub fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    list.split(',').map(str::trim).any(|item| {
        item == "*" || item.strip_prefix("W/").unwrap_or(item).trim_matches('"') == bare
    })
}

/// The outcome of evaluating the conditional headers of a read.
#[derive(Debug, PartialEq, Eq)]
pub enum Condition {
    Proceed,
    /// 412, naming the header that failed.
    PreconditionFailed(&'static str),
    /// 304.
    NotModified,
}

/// The conditional headers of a GET/HEAD (or the `x-amz-copy-source-if-*` of a copy), evaluated
/// as S3 does (RFC 7232 order: If-Match, then If-Unmodified-Since only without If-Match;
/// If-None-Match, then If-Modified-Since only without If-None-Match).
#[derive(Debug, Default)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<f64>,
    pub if_unmodified_since: Option<f64>,
}

impl Conditions<'_> {
    pub fn evaluate(&self, etag: &str, last_modified_secs: i64) -> Condition {
        let modified = last_modified_secs as f64;
        match self.if_match {
            Some(list) if !etag_matches(list, etag) => {
                return Condition::PreconditionFailed("If-Match");
            }
            Some(_) => {}
            None => {
                if self.if_unmodified_since.is_some_and(|t| modified > t) {
                    return Condition::PreconditionFailed("If-Unmodified-Since");
                }
            }
        }
        match self.if_none_match {
            Some(list) if etag_matches(list, etag) => return Condition::NotModified,
            Some(_) => {}
            None => {
                if self.if_modified_since.is_some_and(|t| modified <= t) {
                    return Condition::NotModified;
                }
            }
        }
        Condition::Proceed
    }
}

/// An HTTP date (RFC 7231 IMF-fixdate) for epoch seconds.
pub fn http_date(secs: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn r(first: u64, last: u64) -> Result<Option<ByteRange>, ()> {
        Ok(Some(ByteRange { first, last }))
    }

    #[test]
    fn ranges_as_s3_reads_them() {
        assert_eq!(parse_range("bytes=0-4", 10), r(0, 4));
        assert_eq!(parse_range("bytes=5-", 10), r(5, 9));
        assert_eq!(parse_range("bytes=-3", 10), r(7, 9));
        assert_eq!(parse_range("bytes=-30", 10), r(0, 9));
        assert_eq!(parse_range("bytes=8-100", 10), r(8, 9));
        assert_eq!(parse_range("bytes=10-", 10), Err(()));
        assert_eq!(parse_range("bytes=10-20", 10), Err(()));
        assert_eq!(parse_range("bytes=0-", 0), Err(()));
        assert_eq!(parse_range("bytes=-0", 10), Err(()));
        for ignored in [
            "bytes=5-2",
            "items=0-1",
            "bytes=a-b",
            "bytes=0-1,3-4",
            "bytes=-",
        ] {
            assert_eq!(parse_range(ignored, 10), Ok(None), "{ignored}");
        }
        let range = ByteRange { first: 2, last: 5 };
        assert_eq!(
            (range.len(), range.content_range(10)),
            (4, "bytes 2-5/10".into())
        );
    }

    #[test]
    fn conditions_in_rfc_order() {
        let etag = "\"abc\"";
        let t = 1_700_000_000;
        let eval = |c: Conditions| c.evaluate(etag, t);
        assert_eq!(eval(Conditions::default()), Condition::Proceed);
        let c = Conditions {
            if_match: Some("\"abc\""),
            ..Default::default()
        };
        assert_eq!(eval(c), Condition::Proceed);
        let c = Conditions {
            if_match: Some("\"x\", abc"),
            ..Default::default()
        };
        assert_eq!(eval(c), Condition::Proceed);
        let c = Conditions {
            if_match: Some("\"x\""),
            ..Default::default()
        };
        assert_eq!(eval(c), Condition::PreconditionFailed("If-Match"));
        let c = Conditions {
            if_none_match: Some("*"),
            ..Default::default()
        };
        assert_eq!(eval(c), Condition::NotModified);
        let c = Conditions {
            if_none_match: Some("\"x\""),
            if_modified_since: Some(t as f64 + 10.0),
            ..Default::default()
        };
        assert_eq!(eval(c), Condition::Proceed);
        let c = Conditions {
            if_modified_since: Some(t as f64),
            ..Default::default()
        };
        assert_eq!(eval(c), Condition::NotModified);
        let c = Conditions {
            if_modified_since: Some(t as f64 - 1.0),
            ..Default::default()
        };
        assert_eq!(eval(c), Condition::Proceed);
        let c = Conditions {
            if_unmodified_since: Some(t as f64 - 1.0),
            ..Default::default()
        };
        assert_eq!(
            eval(c),
            Condition::PreconditionFailed("If-Unmodified-Since")
        );
        // If-Match wins over If-Unmodified-Since.
        let c = Conditions {
            if_match: Some(etag),
            if_unmodified_since: Some(t as f64 - 1.0),
            ..Default::default()
        };
        assert_eq!(eval(c), Condition::Proceed);
    }

    #[test]
    fn http_dates() {
        assert_eq!(http_date(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
