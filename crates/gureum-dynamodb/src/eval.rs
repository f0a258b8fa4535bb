//! Evaluating parsed expressions against an item: conditions, update actions and projections.
//! Values are at most `MAX_NESTING` deep and paths at most `MAX_PATH_LENGTH` long, and the
//! condition tree is bounded by the parser, so nothing here recurses without bound.

use std::borrow::Cow;
use std::cmp::Ordering;

use gureum_core::AwsError;

use crate::errors::validation;
use crate::expr::{
    Comparator, Condition, Operand, Path, PathElement, SetOperand, SetValue, UpdateAction,
};
use crate::value::{AttributeValue, Item};

/// The value at `path` in `item`, if any.
pub fn resolve<'a>(item: &'a Item, path: &Path) -> Option<&'a AttributeValue> {
    let (first, rest) = path.split_first()?;
    let PathElement::Attribute(name) = first else {
        return None;
    };
    let mut current = item.get(name)?;
    for element in rest {
        current = match (element, current) {
            (PathElement::Attribute(a), AttributeValue::M(m)) => m.get(a)?,
            (PathElement::Index(i), AttributeValue::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

/// An operand's value: borrowed from the item or the expression (conditions run on every item a
/// Query or Scan reads), computed for `size()`.
fn operand<'a>(item: &'a Item, operand: &'a Operand) -> Option<Cow<'a, AttributeValue>> {
    match operand {
        Operand::Path(p) => resolve(item, p).map(Cow::Borrowed),
        Operand::Value(v) => Some(Cow::Borrowed(v)),
        Operand::Size(p) => {
            let size = match resolve(item, p)? {
                AttributeValue::S(s) => s.len(),
                AttributeValue::B(b) => b.len(),
                AttributeValue::M(m) => m.len(),
                AttributeValue::L(l) => l.len(),
                AttributeValue::SS(s) => s.len(),
                AttributeValue::NS(s) => s.len(),
                AttributeValue::BS(s) => s.len(),
                _ => return None,
            };
            crate::number::Number::parse(&size.to_string())
                .ok()
                .map(|n| Cow::Owned(AttributeValue::N(n)))
        }
    }
}

/// The order of two scalars of one type (N, S or B); `None` when they do not compare.
pub fn compare(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Whether `condition` holds for `item` (an absent item is the empty item).
pub fn matches(item: &Item, condition: &Condition) -> bool {
    match condition {
        Condition::Compare(a, op, b) => {
            let (a, b) = (operand(item, a), operand(item, b));
            match op {
                Comparator::Eq => matches!((&a, &b), (Some(x), Some(y)) if x == y),
                Comparator::Ne => match (&a, &b) {
                    (Some(x), Some(y)) => x != y,
                    _ => true,
                },
                _ => {
                    let (Some(x), Some(y)) = (a, b) else {
                        return false;
                    };
                    let Some(order) = compare(&x, &y) else {
                        return false;
                    };
                    match op {
                        Comparator::Lt => order == Ordering::Less,
                        Comparator::Le => order != Ordering::Greater,
                        Comparator::Gt => order == Ordering::Greater,
                        _ => order != Ordering::Less,
                    }
                }
            }
        }
        Condition::Between(v, low, high) => {
            let (Some(v), Some(low), Some(high)) =
                (operand(item, v), operand(item, low), operand(item, high))
            else {
                return false;
            };
            matches!(compare(&v, &low), Some(Ordering::Greater | Ordering::Equal))
                && matches!(compare(&v, &high), Some(Ordering::Less | Ordering::Equal))
        }
        Condition::In(v, list) => {
            let Some(v) = operand(item, v) else {
                return false;
            };
            list.iter().any(|o| operand(item, o).as_ref() == Some(&v))
        }
        Condition::And(a, b) => matches(item, a) && matches(item, b),
        Condition::Or(a, b) => matches(item, a) || matches(item, b),
        Condition::Not(a) => !matches(item, a),
        Condition::AttributeExists(p) => resolve(item, p).is_some(),
        Condition::AttributeNotExists(p) => resolve(item, p).is_none(),
        Condition::AttributeType(p, kind) => {
            match (resolve(item, p), operand(item, kind).as_deref()) {
                (Some(v), Some(AttributeValue::S(kind))) => v.type_name() == kind,
                _ => false,
            }
        }
        Condition::BeginsWith(a, b) => {
            match (operand(item, a).as_deref(), operand(item, b).as_deref()) {
                (Some(AttributeValue::S(x)), Some(AttributeValue::S(y))) => {
                    x.starts_with(y.as_str())
                }
                (Some(AttributeValue::B(x)), Some(AttributeValue::B(y))) => x.starts_with(y),
                _ => false,
            }
        }
        Condition::Contains(a, b) => {
            match (operand(item, a).as_deref(), operand(item, b).as_deref()) {
                (Some(AttributeValue::S(x)), Some(AttributeValue::S(y))) => x.contains(y.as_str()),
                (Some(AttributeValue::B(x)), Some(AttributeValue::B(y))) => {
                    y.is_empty() || x.windows(y.len()).any(|w| w == y.as_slice())
                }
                (Some(AttributeValue::SS(x)), Some(AttributeValue::S(y))) => x.contains(y),
                (Some(AttributeValue::NS(x)), Some(AttributeValue::N(y))) => x.contains(y),
                (Some(AttributeValue::BS(x)), Some(AttributeValue::B(y))) => x.contains(y),
                (Some(AttributeValue::L(x)), Some(y)) => x.contains(y),
                _ => false,
            }
        }
    }
}

fn incorrect_type() -> AwsError {
    validation("An operand in the update expression has an incorrect data type")
}

fn set_operand(item: &Item, o: &SetOperand) -> Result<AttributeValue, AwsError> {
    match o {
        SetOperand::Value(v) => Ok(v.clone()),
        SetOperand::Path(p) => resolve(item, p).cloned().ok_or_else(|| {
            validation(
                "The provided expression refers to an attribute that does not exist in the item",
            )
        }),
        SetOperand::IfNotExists(p, fallback) => match resolve(item, p) {
            Some(v) => Ok(v.clone()),
            None => set_operand(item, fallback),
        },
        SetOperand::ListAppend(a, b) => match (set_operand(item, a)?, set_operand(item, b)?) {
            (AttributeValue::L(mut x), AttributeValue::L(y)) => {
                x.extend(y);
                Ok(AttributeValue::L(x))
            }
            _ => Err(incorrect_type()),
        },
    }
}

fn arithmetic(
    item: &Item,
    a: &SetOperand,
    b: &SetOperand,
    minus: bool,
) -> Result<AttributeValue, AwsError> {
    match (set_operand(item, a)?, set_operand(item, b)?) {
        (AttributeValue::N(x), AttributeValue::N(y)) => {
            let y = if minus { y.negate() } else { y };
            x.add(&y)
                .map(AttributeValue::N)
                .map_err(|e| validation(e.0))
        }
        _ => Err(incorrect_type()),
    }
}

fn invalid_path() -> AwsError {
    validation("The document path provided in the update expression is invalid for update")
}

/// The container holding the last element of `path`, created nowhere: it must exist.
fn parent_mut<'a>(
    item: &'a mut Item,
    path: &Path,
) -> Result<Option<&'a mut AttributeValue>, AwsError> {
    if path.len() < 2 {
        return Ok(None);
    }
    let PathElement::Attribute(first) = &path[0] else {
        return Err(invalid_path());
    };
    let mut current = item.get_mut(first).ok_or_else(invalid_path)?;
    for element in &path[1..path.len() - 1] {
        current = match (element, current) {
            (PathElement::Attribute(a), AttributeValue::M(m)) => {
                m.get_mut(a).ok_or_else(invalid_path)?
            }
            (PathElement::Index(i), AttributeValue::L(l)) => {
                l.get_mut(*i).ok_or_else(invalid_path)?
            }
            _ => return Err(invalid_path()),
        };
    }
    Ok(Some(current))
}

fn set_path(item: &mut Item, path: &Path, value: AttributeValue) -> Result<(), AwsError> {
    let Some(last) = path.last() else {
        return Err(invalid_path());
    };
    match parent_mut(item, path)? {
        None => match last {
            PathElement::Attribute(a) => {
                item.insert(a.clone(), value);
                Ok(())
            }
            PathElement::Index(_) => Err(invalid_path()),
        },
        Some(parent) => match (last, parent) {
            (PathElement::Attribute(a), AttributeValue::M(m)) => {
                m.insert(a.clone(), value);
                Ok(())
            }
            (PathElement::Index(i), AttributeValue::L(l)) => {
                if *i < l.len() {
                    l[*i] = value;
                } else {
                    l.push(value);
                }
                Ok(())
            }
            _ => Err(invalid_path()),
        },
    }
}

fn remove_path(item: &mut Item, path: &Path) -> Result<(), AwsError> {
    let Some(last) = path.last() else {
        return Err(invalid_path());
    };
    match parent_mut(item, path) {
        Ok(None) => {
            if let PathElement::Attribute(a) = last {
                item.remove(a);
            }
            Ok(())
        }
        Ok(Some(parent)) => {
            match (last, parent) {
                (PathElement::Attribute(a), AttributeValue::M(m)) => {
                    m.remove(a);
                }
                (PathElement::Index(i), AttributeValue::L(l)) => {
                    if *i < l.len() {
                        l.remove(*i);
                    }
                }
                _ => return Err(invalid_path()),
            }
            Ok(())
        }
        // Removing beneath a missing parent removes nothing.
        Err(_) => Ok(()),
    }
}

fn add(
    existing: Option<AttributeValue>,
    value: AttributeValue,
) -> Result<AttributeValue, AwsError> {
    use AttributeValue::*;
    match (existing, value) {
        (None, v @ (N(_) | SS(_) | NS(_) | BS(_))) => Ok(v),
        (Some(N(x)), N(y)) => x.add(&y).map(N).map_err(|e| validation(e.0)),
        (Some(SS(mut x)), SS(y)) => {
            for v in y {
                if !x.contains(&v) {
                    x.push(v);
                }
            }
            Ok(SS(x))
        }
        (Some(NS(mut x)), NS(y)) => {
            for v in y {
                if !x.contains(&v) {
                    x.push(v);
                }
            }
            Ok(NS(x))
        }
        (Some(BS(mut x)), BS(y)) => {
            for v in y {
                if !x.contains(&v) {
                    x.push(v);
                }
            }
            Ok(BS(x))
        }
        (None, v) => Err(validation(format!(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: {}",
            operand_type(&v)
        ))),
        _ => Err(incorrect_type()),
    }
}

fn operand_type(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::S(_) => "STRING",
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::Bool(_) => "BOOLEAN",
        AttributeValue::Null => "NULL",
        AttributeValue::M(_) => "MAP",
        AttributeValue::L(_) => "LIST",
        AttributeValue::SS(_) => "STRING SET",
        AttributeValue::NS(_) => "NUMBER SET",
        AttributeValue::BS(_) => "BINARY SET",
    }
}

/// `existing` minus the elements of `value`; `None` when nothing is left.
fn delete(
    existing: AttributeValue,
    value: AttributeValue,
) -> Result<Option<AttributeValue>, AwsError> {
    use AttributeValue::*;
    let left = match (existing, value) {
        (SS(mut x), SS(y)) => {
            x.retain(|v| !y.contains(v));
            (!x.is_empty()).then_some(SS(x))
        }
        (NS(mut x), NS(y)) => {
            x.retain(|v| !y.contains(v));
            (!x.is_empty()).then_some(NS(x))
        }
        (BS(mut x), BS(y)) => {
            x.retain(|v| !y.contains(v));
            (!x.is_empty()).then_some(BS(x))
        }
        (_, v @ (SS(_) | NS(_) | BS(_))) => {
            let _ = v;
            return Err(incorrect_type());
        }
        (_, v) => {
            return Err(validation(format!(
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: {}",
                operand_type(&v)
            )));
        }
    };
    Ok(left)
}

/// Applies update `actions` to `item`; right-hand sides read the item as it was before.
pub fn apply_update(item: &mut Item, actions: &[UpdateAction]) -> Result<(), AwsError> {
    let before = item.clone();
    let mut removes: Vec<&Path> = Vec::new();
    for action in actions {
        match action {
            UpdateAction::Set(path, value) => {
                let value = match value {
                    SetValue::Operand(o) => set_operand(&before, o)?,
                    SetValue::Plus(a, b) => arithmetic(&before, a, b, false)?,
                    SetValue::Minus(a, b) => arithmetic(&before, a, b, true)?,
                };
                set_path(item, path, value)?;
            }
            UpdateAction::Remove(path) => removes.push(path),
            UpdateAction::Add(path, value) => {
                let result = add(resolve(&before, path).cloned(), value.clone())?;
                set_path(item, path, result)?;
            }
            UpdateAction::Delete(path, value) => {
                if let Some(existing) = resolve(&before, path).cloned() {
                    match delete(existing, value.clone())? {
                        Some(left) => set_path(item, path, left)?,
                        None => remove_path(item, path)?,
                    }
                } else if !matches!(
                    value,
                    AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_)
                ) {
                    delete(AttributeValue::Null, value.clone())?;
                }
            }
        }
    }
    // Later list indexes first, so earlier removals do not shift them.
    removes.sort();
    for path in removes.into_iter().rev() {
        remove_path(item, path)?;
    }
    Ok(())
}

/// The parts of `item` that `paths` name.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out = Item::new();
    for path in paths {
        let Some(value) = resolve(item, path) else {
            continue;
        };
        let Some(PathElement::Attribute(first)) = path.first() else {
            continue;
        };
        if path.len() == 1 {
            out.insert(first.clone(), value.clone());
            continue;
        }
        // Rebuild the containers along the path, merging with what is already projected.
        let mut slot = out
            .entry(first.clone())
            .or_insert_with(|| empty_like(&path[1]));
        for (i, element) in path[1..].iter().enumerate() {
            let is_last = i + 2 == path.len();
            let next = if is_last {
                value.clone()
            } else {
                empty_like(&path[i + 2])
            };
            slot = match (element, slot) {
                (PathElement::Attribute(a), AttributeValue::M(m)) => {
                    if is_last {
                        m.insert(a.clone(), next);
                        break;
                    }
                    m.entry(a.clone()).or_insert(next)
                }
                (PathElement::Index(_), AttributeValue::L(l)) => {
                    l.push(next);
                    if is_last {
                        break;
                    }
                    let Some(last) = l.last_mut() else { break };
                    last
                }
                _ => break,
            };
        }
    }
    out
}

fn empty_like(element: &PathElement) -> AttributeValue {
    match element {
        PathElement::Attribute(_) => AttributeValue::M(Default::default()),
        PathElement::Index(_) => AttributeValue::L(Vec::new()),
    }
}
