//! DynamoDB's legacy (pre-expression) parameters: Expected, KeyConditions, QueryFilter,
//! ScanFilter and ConditionalOperator become the condition trees the evaluator already runs, and
//! AttributeUpdates becomes update actions, with DynamoDB's validation messages.

use gureum_core::AwsError;
use serde_json::{Map, Value};

use crate::errors::validation;
use crate::expr::{
    Comparator, Condition, Operand, PathElement, SetOperand, SetValue, UpdateAction,
};
use crate::value::AttributeValue;

fn invalid(what: impl AsRef<str>) -> AwsError {
    validation(format!(
        "One or more parameter values were invalid: {}",
        what.as_ref()
    ))
}

/// Refuses a request naming both legacy and expression parameters, as DynamoDB words it. Each
/// list is in DynamoDB's order; KeyConditions may go with the other expressions when no
/// KeyConditionExpression is given.
pub fn reject_mixing(params: &Value, legacy: &[&str], expression: &[&str]) -> Result<(), AwsError> {
    let given = |name: &&str| params.get(*name).is_some_and(|v| !v.is_null());
    let expressions: Vec<&str> = expression.iter().copied().filter(given).collect();
    if expressions.is_empty() {
        return Ok(());
    }
    let key_conditions_alone = !expressions.contains(&"KeyConditionExpression");
    let legacies: Vec<&str> = legacy
        .iter()
        .copied()
        .filter(given)
        .filter(|n| !(key_conditions_alone && *n == "KeyConditions"))
        .collect();
    if legacies.is_empty() {
        return Ok(());
    }
    Err(validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
        legacies.join(", "),
        expressions.join(", ")
    )))
}

/// Whether any of `names` is present (not null) in `params`.
pub fn any_given(params: &Value, names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| params.get(*n).is_some_and(|v| !v.is_null()))
}

fn attribute(name: &str) -> Operand {
    Operand::Path(vec![PathElement::Attribute(name.to_string())])
}

/// Joins conditions into a balanced tree (depth grows with the log of their number).
fn join(mut conditions: Vec<Condition>, or: bool) -> Option<Condition> {
    while conditions.len() > 1 {
        let mut next = Vec::with_capacity(conditions.len().div_ceil(2));
        let mut it = conditions.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) if or => next.push(Condition::Or(Box::new(a), Box::new(b))),
                Some(b) => next.push(Condition::And(Box::new(a), Box::new(b))),
                None => next.push(a),
            }
        }
        conditions = next;
    }
    conditions.pop()
}

fn conditional_operator(operator: Option<&Value>) -> Result<bool, AwsError> {
    match operator.and_then(Value::as_str) {
        None | Some("AND") => Ok(false),
        Some("OR") => Ok(true),
        Some(other) => Err(validation(format!(
            "1 validation error detected: Value '{other}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [AND, OR]"
        ))),
    }
}

fn values_of(list: Option<&Value>) -> Result<Vec<AttributeValue>, AwsError> {
    match list {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().map(AttributeValue::from_json).collect(),
        Some(_) => Err(validation("AttributeValueList must be a list")),
    }
}

const OPERATORS: [&str; 13] = [
    "EQ",
    "NE",
    "IN",
    "LE",
    "LT",
    "GE",
    "GT",
    "BETWEEN",
    "NOT_NULL",
    "NULL",
    "CONTAINS",
    "NOT_CONTAINS",
    "BEGINS_WITH",
];

/// One `ComparisonOperator` over `AttributeValueList`, checked as DynamoDB checks it.
fn comparison(
    name: &str,
    operator: &str,
    values: Vec<AttributeValue>,
) -> Result<Condition, AwsError> {
    if !OPERATORS.contains(&operator) {
        return Err(validation(format!(
            "1 validation error detected: Value '{operator}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            OPERATORS.join(", ")
        )));
    }
    let count_ok = match operator {
        "NULL" | "NOT_NULL" => values.is_empty(),
        "IN" => !values.is_empty(),
        "BETWEEN" => values.len() == 2,
        _ => values.len() == 1,
    };
    if !count_ok {
        return Err(invalid(format!(
            "Invalid number of argument(s) for the {operator} ComparisonOperator"
        )));
    }
    if let Some(first) = values.first() {
        if values.iter().any(|v| v.type_name() != first.type_name()) {
            return Err(invalid(
                "AttributeValues inside AttributeValueList must be of same type",
            ));
        }
    }
    let allowed: &[&str] = match operator {
        "EQ" | "NE" => &["S", "N", "B", "SS", "NS", "BS", "BOOL", "NULL", "L", "M"],
        "BEGINS_WITH" => &["S", "B"],
        _ => &["S", "N", "B"],
    };
    if let Some(bad) = values.iter().find(|v| !allowed.contains(&v.type_name())) {
        return Err(invalid(format!(
            "ComparisonOperator {operator} is not valid for {} AttributeValue type",
            bad.type_name()
        )));
    }
    if operator == "BETWEEN"
        && crate::eval::compare(&values[0], &values[1]) == Some(std::cmp::Ordering::Greater)
    {
        return Err(validation(
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        ));
    }
    let a = attribute(name);
    let mut values: Vec<Operand> = values.into_iter().map(Operand::Value).collect();
    let first = values
        .first()
        .cloned()
        .unwrap_or(Operand::Value(AttributeValue::Null));
    let compare = |op| Condition::Compare(a.clone(), op, first.clone());
    let path = || vec![PathElement::Attribute(name.into())];
    Ok(match operator {
        "EQ" => compare(Comparator::Eq),
        "NE" => compare(Comparator::Ne),
        "LE" => compare(Comparator::Le),
        "LT" => compare(Comparator::Lt),
        "GE" => compare(Comparator::Ge),
        "GT" => compare(Comparator::Gt),
        "NOT_NULL" => Condition::AttributeExists(path()),
        "NULL" => Condition::AttributeNotExists(path()),
        "CONTAINS" => Condition::Contains(a.clone(), first.clone()),
        // NOT_CONTAINS holds only for an attribute that exists and lacks the value.
        "NOT_CONTAINS" => Condition::And(
            Box::new(Condition::AttributeExists(path())),
            Box::new(Condition::Not(Box::new(Condition::Contains(
                a.clone(),
                first.clone(),
            )))),
        ),
        "BEGINS_WITH" => Condition::BeginsWith(a.clone(), first.clone()),
        "BETWEEN" => {
            let high = values.pop().unwrap_or(Operand::Value(AttributeValue::Null));
            Condition::Between(a.clone(), first.clone(), high)
        }
        _ => Condition::In(a.clone(), values),
    })
}

fn entries<'v>(v: &'v Value, member: &str) -> Result<&'v Map<String, Value>, AwsError> {
    v.as_object()
        .ok_or_else(|| validation(format!("{member} must be a map")))
}

/// `Expected` with its `ConditionalOperator`, as one condition (`None` when empty).
pub fn expected(params: &Value) -> Result<Option<Condition>, AwsError> {
    let Some(map) = params.get("Expected").filter(|v| !v.is_null()) else {
        return conditional_alone(params);
    };
    let map = entries(map, "Expected")?;
    let or = conditional_operator(params.get("ConditionalOperator"))?;
    check_joins(params, map)?;
    let mut conditions = Vec::with_capacity(map.len());
    for (name, c) in map {
        let c = entries(c, "ExpectedAttributeValue")?;
        let has = |m: &str| c.get(m).is_some_and(|v| !v.is_null());
        if has("AttributeValueList") && has("Value") {
            return Err(invalid(format!(
                "Value and AttributeValueList cannot be used together for Attribute: {name}"
            )));
        }
        if let Some(operator) = c.get("ComparisonOperator").and_then(Value::as_str) {
            if has("Exists") {
                return Err(invalid(format!(
                    "Exists and ComparisonOperator cannot be used together for Attribute: {name}"
                )));
            }
            if operator != "NULL"
                && operator != "NOT_NULL"
                && !has("AttributeValueList")
                && !has("Value")
            {
                return Err(invalid(format!(
                    "Value or AttributeValueList must be used with ComparisonOperator: {operator} for Attribute: {name}"
                )));
            }
            let values = match c.get("Value").filter(|v| !v.is_null()) {
                Some(v) => vec![AttributeValue::from_json(v)?],
                None => values_of(c.get("AttributeValueList"))?,
            };
            conditions.push(comparison(name, operator, values)?);
            continue;
        }
        if has("AttributeValueList") {
            return Err(invalid(format!(
                "AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}"
            )));
        }
        let exists = c.get("Exists").and_then(Value::as_bool);
        let value = c.get("Value").filter(|v| !v.is_null());
        match (exists.unwrap_or(true), value) {
            (true, None) => {
                return Err(invalid(format!(
                    "Value must be provided when Exists is {} for Attribute: {name}",
                    if exists.is_some() { "true" } else { "null" }
                )));
            }
            (false, Some(_)) => {
                return Err(invalid(format!(
                    "Value cannot be used when Exists is false for Attribute: {name}"
                )));
            }
            (true, Some(v)) => conditions.push(Condition::Compare(
                attribute(name),
                Comparator::Eq,
                Operand::Value(AttributeValue::from_json(v)?),
            )),
            (false, None) => {
                conditions.push(Condition::AttributeNotExists(vec![PathElement::Attribute(
                    name.clone(),
                )]))
            }
        }
    }
    Ok(join(conditions, or))
}

/// ConditionalOperator without the map it joins.
fn conditional_alone(params: &Value) -> Result<Option<Condition>, AwsError> {
    if params
        .get("ConditionalOperator")
        .is_some_and(|v| !v.is_null())
        && !any_given(params, &["Expected", "QueryFilter", "ScanFilter"])
    {
        return Err(validation(
            "ConditionalOperator cannot be used without Filter or Expected",
        ));
    }
    Ok(None)
}

/// ConditionalOperator joins two or more conditions, or it is refused.
fn check_joins(params: &Value, map: &Map<String, Value>) -> Result<(), AwsError> {
    if params
        .get("ConditionalOperator")
        .is_some_and(|v| !v.is_null())
        && map.len() <= 1
    {
        return Err(validation(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        ));
    }
    Ok(())
}

/// A QueryFilter or ScanFilter (`member`) with its ConditionalOperator, as one condition.
pub fn filter(params: &Value, member: &str) -> Result<Option<Condition>, AwsError> {
    let Some(map) = params.get(member).filter(|v| !v.is_null()) else {
        return conditional_alone(params);
    };
    let or = conditional_operator(params.get("ConditionalOperator"))?;
    let map = entries(map, member)?;
    check_joins(params, map)?;
    conditions_map(map).map(|c| join(c, or))
}

fn conditions_map(map: &Map<String, Value>) -> Result<Vec<Condition>, AwsError> {
    let mut conditions = Vec::with_capacity(map.len());
    for (name, c) in map {
        let c = entries(c, "Condition")?;
        let operator = c
            .get("ComparisonOperator")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                validation(
                    "1 validation error detected: Value null at 'comparisonOperator' failed to satisfy constraint: Member must not be null",
                )
            })?;
        conditions.push(comparison(
            name,
            operator,
            values_of(c.get("AttributeValueList"))?,
        )?);
    }
    Ok(conditions)
}

/// `KeyConditions` as one condition over the key attributes: EQ on the partition key, and on
/// the sort key one of EQ, LE, LT, GE, GT, BEGINS_WITH or BETWEEN.
pub fn key_conditions(params: &Value) -> Result<Option<Condition>, AwsError> {
    let Some(map) = params.get("KeyConditions").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let map = entries(map, "KeyConditions")?;
    for c in map.values() {
        let operator = c.get("ComparisonOperator").and_then(Value::as_str);
        if let Some(op) = operator {
            if OPERATORS.contains(&op)
                && !matches!(
                    op,
                    "EQ" | "LE" | "LT" | "GE" | "GT" | "BEGINS_WITH" | "BETWEEN"
                )
            {
                return Err(validation(
                    "Attempted conditional constraint is not an indexable operation",
                ));
            }
        }
    }
    if map.len() > 2 {
        return Err(validation("Conditions can be of length 1 or 2 only"));
    }
    Ok(join(conditions_map(map)?, false))
}

/// `AttributeUpdates` as update actions: PUT sets, DELETE removes the attribute (or, with a set
/// value, those elements), ADD adds to a number or set or appends to a list.
pub fn attribute_updates(params: &Value) -> Result<Option<Vec<UpdateAction>>, AwsError> {
    let Some(map) = params.get("AttributeUpdates").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let map = entries(map, "AttributeUpdates")?;
    let mut actions = Vec::with_capacity(map.len());
    for (name, update) in map {
        let update = entries(update, "AttributeValueUpdate")?;
        let path = vec![PathElement::Attribute(name.clone())];
        let value = update
            .get("Value")
            .filter(|v| !v.is_null())
            .map(AttributeValue::from_json)
            .transpose()?;
        let action = update
            .get("Action")
            .and_then(Value::as_str)
            .unwrap_or("PUT");
        actions.push(match (action, value) {
            ("PUT", Some(v)) => UpdateAction::Set(path, SetValue::Operand(SetOperand::Value(v))),
            ("PUT", None) => {
                return Err(invalid(format!(
                    "Only DELETE action is allowed when no attribute value is specified: {name}"
                )));
            }
            ("DELETE", None) => UpdateAction::Remove(path),
            ("DELETE", Some(v)) => match v {
                AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_) => {
                    UpdateAction::Delete(path, v)
                }
                other => {
                    return Err(invalid(format!(
                        "DELETE action with value is not supported for the type {}",
                        other.type_name()
                    )));
                }
            },
            ("ADD", None) => {
                return Err(invalid(format!(
                    "Only DELETE action is allowed when no attribute value is specified: {name}"
                )));
            }
            ("ADD", Some(AttributeValue::L(list))) => UpdateAction::Set(
                path.clone(),
                SetValue::Operand(SetOperand::ListAppend(
                    Box::new(SetOperand::IfNotExists(
                        path,
                        Box::new(SetOperand::Value(AttributeValue::L(Vec::new()))),
                    )),
                    Box::new(SetOperand::Value(AttributeValue::L(list))),
                )),
            ),
            ("ADD", Some(v)) => match v {
                AttributeValue::N(_)
                | AttributeValue::SS(_)
                | AttributeValue::NS(_)
                | AttributeValue::BS(_) => UpdateAction::Add(path, v),
                other => {
                    return Err(invalid(format!(
                        "ADD action is not supported for the type {}",
                        other.type_name()
                    )));
                }
            },
            (other, _) => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{other}' at 'attributeUpdates.{name}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
                )));
            }
        });
    }
    Ok(Some(actions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Item, item_from_json};
    use serde_json::json;

    fn item(v: Value) -> Item {
        item_from_json(&v).unwrap_or_else(|e| panic!("{}", e.message))
    }

    fn check(params: Value, on: Value, expect: bool) {
        let c = expected(&params)
            .unwrap_or_else(|e| panic!("{}", e.message))
            .unwrap_or_else(|| panic!("a condition"));
        assert_eq!(crate::eval::matches(&item(on), &c), expect, "{params}");
    }

    fn refused(params: Value) -> String {
        match expected(&params) {
            Err(e) => e.message,
            Ok(_) => panic!("refused: {params}"),
        }
    }

    #[test]
    fn every_comparison_operator() {
        let on = json!({"n": {"N": "5"}, "s": {"S": "hello"}, "ss": {"SS": ["a", "b"]}});
        for (attr, op, values, expect) in [
            ("n", "EQ", json!([{"N": "5"}]), true),
            ("n", "NE", json!([{"N": "5"}]), false),
            ("missing", "NE", json!([{"N": "5"}]), true),
            ("n", "LT", json!([{"N": "6"}]), true),
            ("n", "LE", json!([{"N": "5"}]), true),
            ("n", "GT", json!([{"N": "5"}]), false),
            ("n", "GE", json!([{"N": "5"}]), true),
            ("n", "NOT_NULL", json!([]), true),
            ("missing", "NULL", json!([]), true),
            ("s", "CONTAINS", json!([{"S": "ell"}]), true),
            ("ss", "CONTAINS", json!([{"S": "b"}]), true),
            ("ss", "NOT_CONTAINS", json!([{"S": "c"}]), true),
            ("missing", "NOT_CONTAINS", json!([{"S": "c"}]), false),
            ("s", "BEGINS_WITH", json!([{"S": "he"}]), true),
            ("n", "IN", json!([{"N": "1"}, {"N": "5"}]), true),
            ("n", "BETWEEN", json!([{"N": "1"}, {"N": "4"}]), false),
        ] {
            let params = json!({"Expected": {attr: {"ComparisonOperator": op, "AttributeValueList": values}}});
            check(params, on.clone(), expect);
        }
    }

    #[test]
    fn exists_value_and_conditional_operator() {
        let on = json!({"a": {"S": "x"}});
        check(
            json!({"Expected": {"a": {"Value": {"S": "x"}}}}),
            on.clone(),
            true,
        );
        check(
            json!({"Expected": {"b": {"Exists": false}}}),
            on.clone(),
            true,
        );
        check(
            json!({"Expected": {"a": {"Value": {"S": "y"}}, "b": {"Exists": false}}, "ConditionalOperator": "OR"}),
            on.clone(),
            true,
        );
        check(
            json!({"Expected": {"a": {"Value": {"S": "y"}}, "b": {"Exists": false}}}),
            on,
            false,
        );
    }

    #[test]
    fn refusals_use_dynamodbs_words() {
        assert!(
            refused(json!({"Expected": {"a": {"Exists": true}}}))
                .ends_with("Value must be provided when Exists is true for Attribute: a")
        );
        assert!(
            refused(json!({"Expected": {"a": {"Exists": false, "Value": {"S": "x"}}}}))
                .ends_with("Value cannot be used when Exists is false for Attribute: a")
        );
        assert!(
            refused(
                json!({"Expected": {"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}}})
            )
            .ends_with("Invalid number of argument(s) for the EQ ComparisonOperator")
        );
        assert!(refused(json!({"Expected": {"a": {"ComparisonOperator": "GT", "AttributeValueList": [{"SS": ["x"]}]}}})).ends_with("ComparisonOperator GT is not valid for SS AttributeValue type"));
        assert!(refused(json!({"Expected": {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "1"}]}}})).contains("lower bound is greater than the upper bound"));
        let mixed = reject_mixing(
            &json!({"Expected": {}, "ConditionExpression": "x"}),
            &["Expected", "ConditionalOperator"],
            &["ConditionExpression"],
        );
        assert_eq!(
            mixed.err().map(|e| e.message).unwrap_or_default(),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
        );
    }

    #[test]
    fn many_conditions_make_a_shallow_tree() {
        let conditions: Vec<Condition> = (0..1000)
            .map(|i| Condition::AttributeExists(vec![PathElement::Attribute(format!("a{i}"))]))
            .collect();
        fn depth(c: &Condition) -> usize {
            match c {
                Condition::And(a, b) | Condition::Or(a, b) => 1 + depth(a).max(depth(b)),
                _ => 1,
            }
        }
        assert!(join(conditions, false).as_ref().map_or(0, depth) <= 11);
    }
}
