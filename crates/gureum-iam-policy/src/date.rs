//! Dates as the `Date*` condition operators read them: ISO 8601 in IAM's lenient form
//! (`2019-07-01T13:20:15Z`, `2016-12-13t2:00:00.593194+23`, `01T`) or epoch seconds.
//!
//! The same grammar decides whether a policy passes IAM's legacy parsing and reads request
//! values (`aws:CurrentTime`, `aws:EpochTime`) at evaluation time.

const MIN_YEAR: i64 = -292_275_054;
const MAX_YEAR: i64 = 292_278_993;

/// Nanoseconds since the Unix epoch, or `None` when `text` is not a date IAM accepts.
pub(crate) fn parse(text: &str) -> Option<i128> {
    if text.contains(['t', 'T', '-']) {
        iso8601(text)
    } else {
        epoch_seconds(text)
    }
}

fn epoch_seconds(text: &str) -> Option<i128> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i128 = digits.parse().ok()?;
    (seconds <= i64::MAX as i128).then_some(seconds * 1_000_000_000)
}

fn number(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn iso8601(text: &str) -> Option<i128> {
    let (date, time) = match text.find(['t', 'T']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    let (negative, date) = match date.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, date),
    };
    let mut parts = date.split('-');
    let year = number(parts.next()?)?;
    let year = if negative { -year } else { year };
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return None;
    }
    let month = match parts.next() {
        Some(m) => number(m).filter(|m| (1..=12).contains(m))?,
        None => 1,
    };
    let day = match parts.next() {
        Some(d) => number(d).filter(|d| (1..=31).contains(d))?,
        None => 1,
    };
    if parts.next().is_some() {
        return None;
    }
    let (seconds_of_day, nanos, offset) = clock(time)?;
    let days = days_from_civil(year, month, day);
    let seconds = days as i128 * 86_400 + seconds_of_day as i128 - offset as i128;
    Some(seconds * 1_000_000_000 + nanos as i128)
}

/// `hh[:mm[:ss[.fraction][zone]]]`, every part optional; the zone is `Z`, `+hh`, `+hh:mm`,
/// `+hhmm` (or `-`). Returns (seconds of the day, nanoseconds, zone offset in seconds).
fn clock(time: &str) -> Option<(i64, i64, i64)> {
    if time.is_empty() {
        return Some((0, 0, 0));
    }
    let (hours, rest) = split_once_or_all(time, ':');
    let hours = number(hours).filter(|h| (0..=23).contains(h))?;
    let Some(rest) = rest else {
        return Some((hours * 3600, 0, 0));
    };
    let (minutes, rest) = split_once_or_all(rest, ':');
    let minutes = number(minutes).filter(|m| (0..=59).contains(m))?;
    let Some(rest) = rest else {
        return Some((hours * 3600 + minutes * 60, 0, 0));
    };
    let zone_at = rest.find(['z', 'Z', '+', '-']);
    let (seconds_text, zone) = match zone_at {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let (whole, fraction) = split_once_or_all(seconds_text, '.');
    let seconds = number(whole).filter(|s| (0..=59).contains(s))?;
    let nanos = match fraction {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<i64>().ok()? * 10i64.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
        None => 0,
    };
    let offset = zone_offset(zone)?;
    Some((hours * 3600 + minutes * 60 + seconds, nanos, offset))
}

fn zone_offset(zone: &str) -> Option<i64> {
    let sign = match zone.as_bytes().first() {
        None => return Some(0),
        Some(b'z' | b'Z') => return (zone.len() == 1).then_some(0),
        Some(b'+') => 1,
        Some(b'-') => -1,
        Some(_) => return None,
    };
    let rest = &zone[1..];
    let (hours, minutes) = match rest.len() {
        2 => (rest, None),
        4 if rest.bytes().all(|b| b.is_ascii_digit()) => (&rest[..2], Some(&rest[2..])),
        5 if rest.as_bytes()[2] == b':' => (&rest[..2], Some(&rest[3..])),
        _ => return None,
    };
    let hours = number(hours).filter(|h| (0..=23).contains(h))?;
    let minutes = match minutes {
        Some(m) => number(m).filter(|m| (0..=59).contains(m))?,
        None => 0,
    };
    Some(sign * (hours * 3600 + minutes * 60))
}

fn split_once_or_all(text: &str, c: char) -> (&str, Option<&str>) {
    match text.split_once(c) {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn secs(text: &str) -> Option<i128> {
        parse(text).map(|n| n / 1_000_000_000)
    }

    #[test]
    fn iso_and_epoch() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(secs("2019-07-01T13:20:15Z"), Some(1_561_987_215));
        assert_eq!(secs("2019-07-01"), Some(1_561_939_200));
        assert_eq!(secs("2019-07-01T15:20:15+02:00"), Some(1_561_987_215));
        assert_eq!(secs("1561987215"), Some(1_561_987_215));
        assert_eq!(
            parse("2016-12-13T21:20:37.593194+00:00").map(|n| n % 1_000_000_000),
            Some(593_194_000)
        );
    }

    #[test]
    fn iam_accepts() {
        for ok in [
            "01T",
            "2016-12-13t2:00:00.593194+23",
            "-292275054",
            "2016-12-13T21:20:37.593194+00:00",
        ] {
            assert!(parse(ok).is_some(), "{ok}");
        }
    }

    #[test]
    fn iam_refuses() {
        for bad in [
            "sdfdsf",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "2016-12-13t2:00:00.1999999999+10:59",
            "9223372036854775808",
            "",
            "T10",
            "2019-07-01T25:00:00Z",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
