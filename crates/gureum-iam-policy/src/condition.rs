//! The `Condition` element: operators, their `...IfExists` forms and the `ForAllValues:` /
//! `ForAnyValue:` set qualifiers, compiled once per policy and checked against the request
//! context.
//!
//! Semantics, as AWS documents them:
//! - keys in one operator block AND; values of one key OR for positive operators, and NOR for
//!   negated ones (`StringNotEquals` with `["a", "b"]` holds when the request value is neither);
//! - a key missing from the request: positive operators fail, negated operators hold,
//!   `...IfExists` holds, `ForAllValues:` holds, `ForAnyValue:` fails;
//! - a multivalued request key without a set qualifier: positive operators hold when any value
//!   matches, negated ones when none does;
//! - `ForAllValues:` holds when every request value passes the operator, `ForAnyValue:` when at
//!   least one does.

use std::net::IpAddr;

use serde_json::Value;

use crate::date;
use crate::pattern::{ArnPattern, Pattern};
use crate::request::ConditionContext;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Qualifier {
    None,
    ForAllValues,
    ForAnyValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

impl Compare {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Compare::Equals => request == policy,
            Compare::LessThan => request < policy,
            Compare::LessThanEquals => request <= policy,
            Compare::GreaterThan => request > policy,
            Compare::GreaterThanEquals => request >= policy,
        }
    }
}

/// The operator family with its positive sense; `negated` lives in [`Condition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    StringIgnoreCase,
    StringLike,
    Numeric(Compare),
    Date(Compare),
    Bool,
    Binary,
    IpAddress,
    Arn,
    Null,
}

/// Operator name -> (family, negated). Unknown names answer `None`.
fn operator(name: &str) -> Option<(Family, bool)> {
    use Compare::*;
    Some(match name {
        "StringEquals" => (Family::String, false),
        "StringNotEquals" => (Family::String, true),
        "StringEqualsIgnoreCase" => (Family::StringIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Family::StringIgnoreCase, true),
        "StringLike" => (Family::StringLike, false),
        "StringNotLike" => (Family::StringLike, true),
        "NumericEquals" => (Family::Numeric(Equals), false),
        "NumericNotEquals" => (Family::Numeric(Equals), true),
        "NumericLessThan" => (Family::Numeric(LessThan), false),
        "NumericLessThanEquals" => (Family::Numeric(LessThanEquals), false),
        "NumericGreaterThan" => (Family::Numeric(GreaterThan), false),
        "NumericGreaterThanEquals" => (Family::Numeric(GreaterThanEquals), false),
        "DateEquals" => (Family::Date(Equals), false),
        "DateNotEquals" => (Family::Date(Equals), true),
        "DateLessThan" => (Family::Date(LessThan), false),
        "DateLessThanEquals" => (Family::Date(LessThanEquals), false),
        "DateGreaterThan" => (Family::Date(GreaterThan), false),
        "DateGreaterThanEquals" => (Family::Date(GreaterThanEquals), false),
        "Bool" => (Family::Bool, false),
        "BinaryEquals" => (Family::Binary, false),
        "IpAddress" => (Family::IpAddress, false),
        "NotIpAddress" => (Family::IpAddress, true),
        "ArnEquals" | "ArnLike" => (Family::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Family::Arn, true),
        "Null" => (Family::Null, false),
        _ => return None,
    })
}

/// A parsed operator name such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    family: Family,
    negated: bool,
    qualifier: Qualifier,
    if_exists: bool,
}

impl Operator {
    /// Parses an operator name; `None` for names IAM does not know.
    pub(crate) fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Qualifier::ForAllValues, rest)
        } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Qualifier::ForAnyValue, rest)
        } else {
            (Qualifier::None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let (family, negated) = operator(base)?;
        if family == Family::Null && if_exists {
            return None;
        }
        Some(Operator {
            family,
            negated,
            qualifier,
            if_exists,
        })
    }

    pub(crate) fn is_date(&self) -> bool {
        matches!(self.family, Family::Date(_))
    }
}

/// A CIDR block of `IpAddress`/`NotIpAddress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    network: u128,
    prefix: u8,
    v4: bool,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let (bits, v4, max) = match address.trim().parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => (u32::from(a) as u128, true, 32),
            IpAddr::V6(a) => (u128::from(a), false, 128),
        };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return None;
        }
        Some(Cidr {
            network: bits & mask(prefix, max),
            prefix,
            v4,
        })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let (bits, v4) = match ip {
            IpAddr::V4(a) => (u32::from(a) as u128, true),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(a4) if self.v4 => (u32::from(a4) as u128, true),
                _ => (u128::from(a), false),
            },
        };
        let max = if v4 { 32 } else { 128 };
        v4 == self.v4 && bits & mask(self.prefix, max) == self.network
    }
}

/// The network mask of a `/prefix` among `max` bits.
fn mask(prefix: u8, max: u8) -> u128 {
    let all: u128 = if max == 32 {
        u32::MAX as u128
    } else {
        u128::MAX
    };
    all & !all.checked_shr(u32::from(prefix)).unwrap_or(0)
}

/// The policy's values for one key, compiled for the operator's family.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    Patterns(Box<[Pattern]>),
    Numbers(Box<[Option<f64>]>),
    Dates(Box<[Option<i128>]>),
    Bools(Box<[Option<bool>]>),
    Binary(Box<[Box<str>]>),
    Cidrs(Box<[Option<Cidr>]>),
    Arns(Box<[ArnPattern]>),
}

/// One (operator, key, values) test of a statement's `Condition` element.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    operator: Operator,
    /// The condition key, lower-cased (keys are case-insensitive).
    key: Box<str>,
    /// The key as the policy spells it.
    name: Box<str>,
    values: Values,
}

/// A condition value as JSON gives it: a string, a boolean or a number.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Condition {
    /// Compiles one key's values (already syntax-checked: strings, booleans or numbers).
    pub(crate) fn compile(
        operator: Operator,
        key: &str,
        texts: &[String],
        variables: bool,
    ) -> Condition {
        let values = match operator.family {
            Family::String | Family::StringIgnoreCase => Values::Patterns(
                texts
                    .iter()
                    .map(|t| Pattern::compile(t, false, variables))
                    .collect(),
            ),
            Family::StringLike => Values::Patterns(
                texts
                    .iter()
                    .map(|t| Pattern::compile(t, true, variables))
                    .collect(),
            ),
            Family::Numeric(_) => {
                Values::Numbers(texts.iter().map(|t| t.trim().parse().ok()).collect())
            }
            Family::Date(_) => Values::Dates(texts.iter().map(|t| date::parse(t)).collect()),
            Family::Bool | Family::Null => {
                Values::Bools(texts.iter().map(|t| boolean(t)).collect())
            }
            Family::Binary => Values::Binary(texts.iter().map(|t| t.as_str().into()).collect()),
            Family::IpAddress => Values::Cidrs(texts.iter().map(|t| Cidr::parse(t)).collect()),
            Family::Arn => Values::Arns(
                texts
                    .iter()
                    .map(|t| ArnPattern::compile(t, variables))
                    .collect(),
            ),
        };
        Condition {
            operator,
            key: key.to_ascii_lowercase().into(),
            name: key.into(),
            values,
        }
    }

    /// The condition key, lower-cased.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The condition key as the policy spells it.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Whether the condition holds for `context`.
    pub(crate) fn holds(&self, context: &ConditionContext) -> bool {
        let request = context.get_folded(&self.key).filter(|v| !v.is_empty());
        let op = self.operator;
        if op.family == Family::Null {
            // `"Null": {"k": "true"}` holds when k is absent; `"false"` when it is present.
            let absent = request.is_none();
            return self.bool_values().iter().any(|b| *b == Some(absent));
        }
        let Some(request) = request else {
            return op.if_exists
                || match op.qualifier {
                    Qualifier::ForAllValues => true,
                    Qualifier::ForAnyValue => false,
                    Qualifier::None => op.negated,
                };
        };
        let passes = |value: &String| self.any_value_matches(value, context) != op.negated;
        match op.qualifier {
            Qualifier::ForAllValues => request.iter().all(passes),
            Qualifier::ForAnyValue => request.iter().any(passes),
            Qualifier::None if op.negated => request.iter().all(passes),
            Qualifier::None => request.iter().any(passes),
        }
    }

    fn bool_values(&self) -> &[Option<bool>] {
        match &self.values {
            Values::Bools(b) => b,
            _ => &[],
        }
    }

    /// Whether one request value matches any of the policy's values, in the operator's
    /// positive sense.
    fn any_value_matches(&self, value: &str, context: &ConditionContext) -> bool {
        match (&self.values, self.operator.family) {
            (Values::Patterns(patterns), Family::StringIgnoreCase) => {
                patterns.iter().any(|p| p.matches(value, true, context))
            }
            (Values::Patterns(patterns), _) => {
                patterns.iter().any(|p| p.matches(value, false, context))
            }
            (Values::Numbers(numbers), Family::Numeric(cmp)) => match value.trim().parse::<f64>() {
                Ok(v) => numbers.iter().flatten().any(|n| cmp.holds(v, *n)),
                Err(_) => false,
            },
            (Values::Dates(dates), Family::Date(cmp)) => match date::parse(value.trim()) {
                Some(v) => dates.iter().flatten().any(|d| cmp.holds(v, *d)),
                None => false,
            },
            (Values::Bools(bools), _) => match boolean(value) {
                Some(v) => bools.iter().any(|b| *b == Some(v)),
                None => false,
            },
            (Values::Binary(blobs), _) => blobs.iter().any(|b| **b == *value),
            (Values::Cidrs(cidrs), _) => match value.trim().parse::<IpAddr>() {
                Ok(ip) => cidrs.iter().flatten().any(|c| c.contains(ip)),
                Err(_) => false,
            },
            (Values::Arns(arns), _) => arns.iter().any(|a| a.matches(value, context)),
            _ => false,
        }
    }
}

fn boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
