//! DynamoDB numbers: decimals of up to 38 significant digits with magnitudes from 1E-130 to
//! 9.99...E+125, normalised, compared, added and encoded into order-preserving bytes.

use std::cmp::Ordering;

/// Significant digits a number may carry.
pub const MAX_DIGITS: usize = 38;
/// The exponent range (value = 0.d1d2... x 10^exponent) of nonzero numbers.
const MIN_EXPONENT: i32 = -129;
const MAX_EXPONENT: i32 = 126;

/// A normalised decimal: `0.digits x 10^exponent`, no leading or trailing zero digit; zero has
/// no digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// Decimal digits 0..=9, the first and last nonzero.
    digits: Vec<u8>,
    exponent: i32,
}

/// Why a string is not a DynamoDB number, with DynamoDB's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberError(pub &'static str);

pub const NOT_NUMERIC: NumberError =
    NumberError("The parameter cannot be converted to a numeric value");
const TOO_PRECISE: NumberError =
    NumberError("Attempting to store more than 38 significant digits in a Number");
const OVERFLOW: NumberError = NumberError(
    "Number overflow. Attempting to store a number with magnitude larger than supported range",
);
const UNDERFLOW: NumberError = NumberError(
    "Number underflow. Attempting to store a number with magnitude smaller than supported range",
);

impl Number {
    pub fn zero() -> Self {
        Number {
            negative: false,
            digits: Vec::new(),
            exponent: 0,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Parses DynamoDB's number syntax: `[+-]digits[.digits][(e|E)[+-]digits]`.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        // Stored numbers are parsed on every read: skip `trim`'s Unicode scan when the text
        // starts and ends with characters that cannot be whitespace.
        let plain = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
        let bytes = if plain(text.as_bytes().first()) && plain(text.as_bytes().last()) {
            text.as_bytes()
        } else {
            text.trim().as_bytes()
        };
        let mut i = 0;
        let mut negative = false;
        if let Some(&c) = bytes.first() {
            if c == b'-' || c == b'+' {
                negative = c == b'-';
                i = 1;
            }
        }
        let mut mantissa = Vec::with_capacity(bytes.len());
        let mut point: Option<usize> = None;
        let mut seen_digit = false;
        while i < bytes.len() {
            match bytes[i] {
                c @ b'0'..=b'9' => {
                    mantissa.push(c - b'0');
                    seen_digit = true;
                }
                b'.' if point.is_none() => point = Some(mantissa.len()),
                b'e' | b'E' => break,
                _ => return Err(NOT_NUMERIC),
            }
            i += 1;
        }
        if !seen_digit {
            return Err(NOT_NUMERIC);
        }
        let mut exp_part: i64 = 0;
        if i < bytes.len() {
            // bytes[i] is the exponent marker.
            i += 1;
            let mut exp_negative = false;
            if let Some(&c) = bytes.get(i) {
                if c == b'-' || c == b'+' {
                    exp_negative = c == b'-';
                    i += 1;
                }
            }
            if i >= bytes.len() {
                return Err(NOT_NUMERIC);
            }
            while i < bytes.len() {
                match bytes[i] {
                    c @ b'0'..=b'9' => {
                        exp_part = (exp_part * 10 + i64::from(c - b'0')).min(1_000_000);
                    }
                    _ => return Err(NOT_NUMERIC),
                }
                i += 1;
            }
            if exp_negative {
                exp_part = -exp_part;
            }
        }
        let int_len = point.unwrap_or(mantissa.len()) as i64;
        // value = 0.mantissa x 10^int_len x 10^exp_part
        let leading = mantissa.iter().take_while(|&&d| d == 0).count();
        mantissa.drain(..leading);
        let mut number = Number {
            negative,
            digits: mantissa,
            exponent: 0,
        };
        let exponent = int_len - leading as i64 + exp_part;
        number.trim();
        if number.digits.is_empty() {
            return Ok(Number::zero());
        }
        number.exponent = exponent.clamp(-10_000, 10_000) as i32;
        number.check()?;
        Ok(number)
    }

    fn trim(&mut self) {
        while self.digits.last() == Some(&0) {
            self.digits.pop();
        }
        if self.digits.is_empty() {
            self.negative = false;
            self.exponent = 0;
        }
    }

    fn check(&self) -> Result<(), NumberError> {
        if self.is_zero() {
            return Ok(());
        }
        if self.digits.len() > MAX_DIGITS {
            return Err(TOO_PRECISE);
        }
        if self.exponent > MAX_EXPONENT {
            return Err(OVERFLOW);
        }
        if self.exponent < MIN_EXPONENT {
            return Err(UNDERFLOW);
        }
        Ok(())
    }

    /// `self + other`, refused when the result leaves DynamoDB's range or precision.
    pub fn add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        // Each as an integer of digits x 10^low.
        let low = (self.exponent - self.digits.len() as i32)
            .min(other.exponent - other.digits.len() as i32);
        let widen = |n: &Number| -> Vec<u8> {
            let mut v = n.digits.clone();
            let zeros = (n.exponent - n.digits.len() as i32 - low).max(0) as usize;
            v.extend(std::iter::repeat_n(0, zeros));
            v
        };
        let (a, b) = (widen(self), widen(other));
        let (negative, magnitude) = if self.negative == other.negative {
            (self.negative, add_magnitudes(&a, &b))
        } else {
            match cmp_magnitudes(&a, &b) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (self.negative, sub_magnitudes(&a, &b)),
                Ordering::Less => (other.negative, sub_magnitudes(&b, &a)),
            }
        };
        let leading = magnitude.iter().take_while(|&&d| d == 0).count();
        let digits = magnitude[leading..].to_vec();
        let exponent = (digits.len() as i32) + low;
        let mut number = Number {
            negative,
            digits,
            exponent,
        };
        number.trim();
        number.check()?;
        Ok(number)
    }

    pub fn negate(&self) -> Number {
        let mut n = self.clone();
        if !n.is_zero() {
            n.negative = !n.negative;
        }
        n
    }

    /// The canonical text DynamoDB answers: plain decimal notation, no redundant zeros.
    pub fn to_text(&self) -> String {
        Number::text_of(self.negative, &self.digits, self.exponent)
    }

    /// [`Number::to_text`] of the number of these parts (as [`Number::parts`] gives them).
    pub fn text_of(negative: bool, digits: &[u8], exponent: i32) -> String {
        if digits.is_empty() {
            return "0".to_string();
        }
        let mut out = String::with_capacity(digits.len() + exponent.unsigned_abs() as usize + 3);
        if negative {
            out.push('-');
        }
        let digit = |d: &u8| char::from(b'0' + d);
        let len = digits.len() as i32;
        if exponent <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent) as usize));
            out.extend(digits.iter().map(digit));
        } else if exponent >= len {
            out.extend(digits.iter().map(digit));
            out.extend(std::iter::repeat_n('0', (exponent - len) as usize));
        } else {
            let (int, frac) = digits.split_at(exponent as usize);
            out.extend(int.iter().map(digit));
            out.push('.');
            out.extend(frac.iter().map(digit));
        }
        out
    }

    /// Bytes whose order is the numbers' order: a sign byte, the exponent (inverted for
    /// negatives), then the digits (complemented and terminated for negatives).
    pub fn encode(&self) -> Vec<u8> {
        if self.is_zero() {
            return vec![0x80];
        }
        let biased = (self.exponent + 0x8000).clamp(0, 0xFFFF) as u16;
        let mut out = Vec::with_capacity(self.digits.len() + 4);
        if self.negative {
            out.push(0x7F);
            out.extend_from_slice(&(0xFFFF - biased).to_be_bytes());
            out.extend(self.digits.iter().map(|d| b'9' - d));
            // Above every complemented digit: a longer magnitude (more negative) sorts first.
            out.push(0xFF);
        } else {
            out.push(0x81);
            out.extend_from_slice(&biased.to_be_bytes());
            out.extend(self.digits.iter().map(|d| b'0' + d));
        }
        out
    }

    /// The sign, the digits (0..=9, none for zero) and the exponent: what the binary item
    /// codec (`codec.rs`) stores.
    pub fn parts(&self) -> (bool, &[u8], i32) {
        (self.negative, &self.digits, self.exponent)
    }

    /// The number of [`Number::parts`], or `None` when they are not a normalised number in
    /// DynamoDB's range (stored bytes are not trusted to be).
    pub fn from_parts(negative: bool, digits: Vec<u8>, exponent: i32) -> Option<Number> {
        Number::valid_parts(negative, &digits, exponent).then_some(Number {
            negative,
            digits,
            exponent,
        })
    }

    /// Whether these are the parts of a normalised number in DynamoDB's range.
    pub fn valid_parts(negative: bool, digits: &[u8], exponent: i32) -> bool {
        if digits.is_empty() {
            return !negative && exponent == 0;
        }
        digits.iter().all(|d| *d <= 9)
            && digits.first() != Some(&0)
            && digits.last() != Some(&0)
            && digits.len() <= MAX_DIGITS
            && (MIN_EXPONENT..=MAX_EXPONENT).contains(&exponent)
    }

    /// Decimal digits as DynamoDB counts them for item size: about one byte per two digits.
    pub fn stored_size(&self) -> usize {
        self.digits.len().div_ceil(2) + 1
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| -> i8 {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let magnitude = self
            .exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits));
        if sa < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

fn cmp_magnitudes(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |v: &[u8]| -> usize { v.iter().take_while(|&&d| d == 0).count() };
    let (a, b) = (&a[strip(a)..], &b[strip(b)..]);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn add_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let len = a.len().max(b.len());
    let mut out = vec![0u8; len + 1];
    let mut carry = 0u8;
    for i in 0..len {
        let da = if i < a.len() { a[a.len() - 1 - i] } else { 0 };
        let db = if i < b.len() { b[b.len() - 1 - i] } else { 0 };
        let sum = da + db + carry;
        out[len - i] = sum % 10;
        carry = sum / 10;
    }
    out[0] = carry;
    out
}

/// `a - b` for `a >= b`.
fn sub_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i8;
    for i in 0..a.len() {
        let da = a[a.len() - 1 - i] as i8;
        let db = if i < b.len() {
            b[b.len() - 1 - i] as i8
        } else {
            0
        };
        let mut d = da - db - borrow;
        borrow = 0;
        if d < 0 {
            d += 10;
            borrow = 1;
        }
        out[a.len() - 1 - i] = d as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn parses_and_normalises() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("00.000", "0"),
            ("1", "1"),
            ("+1.50", "1.5"),
            ("-001.0100", "-1.01"),
            ("1e3", "1000"),
            ("1.5E-3", "0.0015"),
            ("123.456", "123.456"),
            (".5", "0.5"),
            ("5.", "5"),
            (
                "-12345678901234567890123456789012345678",
                "-12345678901234567890123456789012345678",
            ),
            ("1E+125", &format!("1{}", "0".repeat(125))),
            ("1E-130", &format!("0.{}1", "0".repeat(129))),
        ];
        for (input, text) in cases {
            assert_eq!(n(input).to_text(), text, "{input}");
        }
    }

    #[test]
    fn refuses_what_dynamodb_refuses() {
        let cases = [
            ("", NOT_NUMERIC),
            ("abc", NOT_NUMERIC),
            ("1.2.3", NOT_NUMERIC),
            ("1e", NOT_NUMERIC),
            ("--1", NOT_NUMERIC),
            ("1x", NOT_NUMERIC),
            (".", NOT_NUMERIC),
            ("123456789012345678901234567890123456789", TOO_PRECISE),
            ("1E126", OVERFLOW),
            ("1E-131", UNDERFLOW),
        ];
        for (input, error) in cases {
            assert_eq!(Number::parse(input), Err(error), "{input}");
        }
    }

    #[test]
    fn order_and_encoding_agree_with_numeric_order() {
        let sorted = [
            "-1E125",
            "-1000",
            "-999.99",
            "-100",
            "-10.5",
            "-10",
            "-2",
            "-1.5",
            "-1.25",
            "-1.2",
            "-1",
            "-0.5",
            "-0.05",
            "-1E-130",
            "0",
            "1E-130",
            "0.05",
            "0.5",
            "1",
            "1.2",
            "1.25",
            "1.5",
            "2",
            "10",
            "10.5",
            "100",
            "999.99",
            "1000",
            "12345678901234567890123456789012345678",
            "1E125",
        ];
        for pair in sorted.windows(2) {
            let (a, b) = (n(pair[0]), n(pair[1]));
            assert_eq!(a.cmp(&b), Ordering::Less, "{} < {}", pair[0], pair[1]);
            assert!(
                a.encode() < b.encode(),
                "encode({}) < encode({})",
                pair[0],
                pair[1]
            );
            // Order survives the composite-key encoding too.
            let ka = gureum_store::key::join([b"t".as_slice(), &a.encode()]);
            let kb = gureum_store::key::join([b"t".as_slice(), &b.encode()]);
            assert!(ka < kb, "{} vs {} as keys", pair[0], pair[1]);
        }
        assert_eq!(n("1.0").encode(), n("1").encode());
        assert_eq!(n("-0").encode(), n("0").encode());
    }

    #[test]
    fn adds_exactly() {
        let cases = [
            ("1", "2", "3"),
            ("0.1", "0.2", "0.3"),
            ("-5", "3", "-2"),
            ("5", "-5", "0"),
            ("999", "1", "1000"),
            ("1E20", "1E-10", "100000000000000000000.0000000001"),
            ("-1.5", "-1.5", "-3"),
            ("100", "-0.01", "99.99"),
        ];
        for (a, b, sum) in cases {
            assert_eq!(
                n(a).add(&n(b)).map(|s| s.to_text()),
                Ok(sum.to_string()),
                "{a}+{b}"
            );
        }
        assert_eq!(n("1E125").add(&n("9E125")), Err(OVERFLOW));
        assert_eq!(n("1E30").add(&n("1E-10")), Err(TOO_PRECISE));
    }
}
