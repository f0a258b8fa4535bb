//! PartiQL for DynamoDB: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction. A
//! hand-written tokenizer and parser (nesting bounded by `MAX_DEPTH`) turn SELECT, INSERT,
//! UPDATE and DELETE into the condition trees and update actions the rest of the crate runs.

use std::collections::BTreeMap;

use base64::Engine;
use gureum_core::{AwsError, RequestContext};
use gureum_store::{KeyRange, Txn, key};
use serde_json::{Value, json};

use crate::DynamoDb;
use crate::batch::{RequestToken, cancelled};
use crate::capacity::{self, Consumed, Report};
use crate::errors::{conditional_check_failed, store_error, validation};
use crate::eval;
use crate::expr::{
    Comparator, Condition, Operand, Path, PathElement, SetOperand, SetValue, UpdateAction,
};
use crate::number::Number;
use crate::ops::{check_item, decode_item, load_table, read_item, returned, transact, write_item};
use crate::streams::Origin;
use crate::table::{INDEXES, ITEMS, KeySchemaElement, TableRecord, encode_key_value, table_key};
use crate::throughput::Access;
use crate::value::{AttributeValue, Item, item_size, item_to_json};

/// How deep conditions and literals may nest.
const MAX_DEPTH: usize = 32;
const MAX_BATCH: usize = 25;
const MAX_TRANSACTION: usize = 100;
const MAX_PAGE_BYTES: usize = 1024 * 1024;

fn malformed(detail: impl AsRef<str>) -> AwsError {
    validation(format!(
        "Statement wasn't well formed, can't be processed: {}",
        detail.as_ref()
    ))
}

fn duplicate_item() -> AwsError {
    AwsError::bad_request(
        "DuplicateItemException",
        "Duplicate primary key exists in table",
    )
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A bare word: a keyword or an unquoted identifier.
    Word(String),
    /// A double-quoted identifier.
    Quoted(String),
    /// A single-quoted string literal.
    Str(String),
    Num(String),
    Param,
    Punct(&'static str),
    Eof,
}

fn tokenize(src: &str) -> Result<Vec<Tok>, AwsError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        if let Some(p) = ["<=", ">=", "<>", "!=", "<<", ">>"]
            .into_iter()
            .find(|p| *p == two)
        {
            out.push(Tok::Punct(p));
            i += 2;
            continue;
        }
        if let Some(p) = [
            "=", "<", ">", ",", ".", "(", ")", "[", "]", "{", "}", ":", "*", "+", "-",
        ]
        .into_iter()
        .find(|p| p.starts_with(c))
        {
            // A minus sign directly before a digit starts a negative number literal when the
            // previous token cannot end an operand.
            let ends_operand = matches!(
                out.last(),
                Some(Tok::Word(_) | Tok::Quoted(_) | Tok::Str(_) | Tok::Num(_) | Tok::Param)
                    | Some(Tok::Punct(")" | "]"))
            );
            if c == '-' && !ends_operand && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                let (n, next) = number_at(&chars, i + 1);
                out.push(Tok::Num(format!("-{n}")));
                i = next;
                continue;
            }
            out.push(Tok::Punct(p));
            i += 1;
            continue;
        }
        match c {
            '?' => {
                out.push(Tok::Param);
                i += 1;
            }
            '\'' | '"' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(malformed("Unterminated quoted text")),
                        Some(&q) if q == c => {
                            if chars.get(i + 1) == Some(&c) {
                                text.push(c);
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(&other) => {
                            text.push(other);
                            i += 1;
                        }
                    }
                }
                out.push(if c == '\'' {
                    Tok::Str(text)
                } else {
                    Tok::Quoted(text)
                });
            }
            c if c.is_ascii_digit() => {
                let (n, next) = number_at(&chars, i);
                out.push(Tok::Num(n));
                i = next;
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                {
                    i += 1;
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            }
            other => return Err(malformed(format!("Unexpected character: {other}"))),
        }
    }
    out.push(Tok::Eof);
    Ok(out)
}

fn number_at(chars: &[char], mut i: usize) -> (String, usize) {
    let start = i;
    while chars
        .get(i)
        .is_some_and(|c| c.is_ascii_digit() || *c == '.')
    {
        i += 1;
    }
    if chars.get(i).is_some_and(|c| *c == 'e' || *c == 'E') {
        let mut j = i + 1;
        if chars.get(j).is_some_and(|c| *c == '+' || *c == '-') {
            j += 1;
        }
        if chars.get(j).is_some_and(char::is_ascii_digit) {
            i = j;
            while chars.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
        }
    }
    (chars[start..i].iter().collect(), i)
}

// ---------------------------------------------------------------------------------------------
// Statements

#[derive(Debug)]
pub enum Statement {
    Select {
        table: String,
        index: Option<String>,
        projection: Option<Vec<Path>>,
        condition: Option<Condition>,
    },
    Insert {
        table: String,
        item: Item,
    },
    Update {
        table: String,
        actions: Vec<UpdateAction>,
        condition: Condition,
        returning: Option<&'static str>,
    },
    Delete {
        table: String,
        condition: Condition,
        returning: Option<&'static str>,
    },
}

impl Statement {
    fn table(&self) -> &str {
        match self {
            Statement::Select { table, .. }
            | Statement::Insert { table, .. }
            | Statement::Update { table, .. }
            | Statement::Delete { table, .. } => table,
        }
    }

    fn is_read(&self) -> bool {
        matches!(self, Statement::Select { .. })
    }
}

struct Parser<'a> {
    toks: Vec<Tok>,
    at: usize,
    params: &'a [AttributeValue],
    used: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Tok {
        self.toks.get(self.at).unwrap_or(&Tok::Eof)
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        self.at += 1;
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Word(x) if x.eq_ignore_ascii_case(w))
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.is_word(w) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect_word(&mut self, w: &str) -> Result<(), AwsError> {
        if self.eat_word(w) {
            Ok(())
        } else {
            Err(malformed(format!("Expected {w}")))
        }
    }

    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Tok::Punct(x) if *x == p) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Result<(), AwsError> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(malformed(format!("Expected {p}")))
        }
    }

    fn identifier(&mut self) -> Result<String, AwsError> {
        match self.next() {
            Tok::Word(w) | Tok::Quoted(w) => Ok(w),
            other => Err(malformed(format!(
                "Expected an identifier, found {other:?}"
            ))),
        }
    }

    fn parameter(&mut self) -> Result<AttributeValue, AwsError> {
        let v = self.params.get(self.used).cloned().ok_or_else(|| {
            validation("Number of parameters in request and statement don't match.")
        })?;
        self.used += 1;
        Ok(v)
    }

    /// `table` or `"table"."index"`.
    fn table(&mut self) -> Result<(String, Option<String>), AwsError> {
        let table = self.identifier()?;
        let index = if self.eat(".") {
            Some(self.identifier()?)
        } else {
            None
        };
        Ok((table, index))
    }

    fn path(&mut self) -> Result<Path, AwsError> {
        let mut path = vec![PathElement::Attribute(self.identifier()?)];
        loop {
            if self.eat(".") {
                path.push(PathElement::Attribute(self.identifier()?));
            } else if self.eat("[") {
                match self.next() {
                    Tok::Num(n) => path.push(PathElement::Index(
                        n.parse()
                            .map_err(|_| malformed(format!("Invalid list index: {n}")))?,
                    )),
                    Tok::Str(s) => path.push(PathElement::Attribute(s)),
                    _ => return Err(malformed("Expected a list index")),
                }
                self.expect("]")?;
            } else {
                break;
            }
            if path.len() > crate::expr::MAX_PATH_LENGTH {
                return Err(malformed("Document path is too long"));
            }
        }
        Ok(path)
    }

    /// A literal value, `?`, a tuple, a list or a set.
    fn value(&mut self, depth: usize) -> Result<AttributeValue, AwsError> {
        if depth > MAX_DEPTH {
            return Err(validation("Nesting Levels have exceeded supported limits"));
        }
        Ok(match self.next() {
            Tok::Param => self.parameter()?,
            Tok::Str(s) => AttributeValue::S(s),
            Tok::Num(n) => AttributeValue::N(Number::parse(&n).map_err(|e| validation(e.0))?),
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => AttributeValue::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => AttributeValue::Bool(false),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => AttributeValue::Null,
            Tok::Punct("{") => {
                let mut map = BTreeMap::new();
                if !self.eat("}") {
                    loop {
                        let name = match self.next() {
                            Tok::Str(s) | Tok::Quoted(s) => s,
                            Tok::Param => match self.parameter()? {
                                AttributeValue::S(s) => s,
                                _ => return Err(malformed("Tuple keys must be strings")),
                            },
                            _ => return Err(malformed("Expected a tuple key")),
                        };
                        self.expect(":")?;
                        let v = self.value(depth + 1)?;
                        if map.insert(name.clone(), v).is_some() {
                            return Err(validation(format!(
                                "Duplicate attribute name in tuple: {name}"
                            )));
                        }
                        if self.eat("}") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                AttributeValue::M(map)
            }
            Tok::Punct("[") => {
                let mut list = Vec::new();
                if !self.eat("]") {
                    loop {
                        list.push(self.value(depth + 1)?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                AttributeValue::L(list)
            }
            Tok::Punct("<<") => {
                let mut members = Vec::new();
                if !self.eat(">>") {
                    loop {
                        members.push(self.value(depth + 1)?);
                        if self.eat(">>") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                // Through the wire form, so a set is checked as any other (no duplicates).
                AttributeValue::from_json(&set_of(members)?.to_json())?
            }
            other => return Err(malformed(format!("Expected a value, found {other:?}"))),
        })
    }

    fn starts_value(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Param | Tok::Str(_) | Tok::Num(_) | Tok::Punct("{" | "[" | "<<")
        ) || self.is_word("true")
            || self.is_word("false")
            || self.is_word("null")
    }

    fn operand(&mut self, depth: usize) -> Result<Operand, AwsError> {
        if self.starts_value() {
            Ok(Operand::Value(self.value(depth)?))
        } else if self.is_word("size") && self.toks.get(self.at + 1) == Some(&Tok::Punct("(")) {
            self.at += 2;
            let p = self.path()?;
            self.expect(")")?;
            Ok(Operand::Size(p))
        } else {
            Ok(Operand::Path(self.path()?))
        }
    }

    fn condition(&mut self, depth: usize) -> Result<Condition, AwsError> {
        if depth > MAX_DEPTH {
            return Err(validation("The expression has too many levels of nesting"));
        }
        let mut left = self.conjunction(depth + 1)?;
        while self.eat_word("OR") {
            let right = self.conjunction(depth + 1)?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn conjunction(&mut self, depth: usize) -> Result<Condition, AwsError> {
        let mut left = self.negation(depth + 1)?;
        while self.eat_word("AND") {
            let right = self.negation(depth + 1)?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn negation(&mut self, depth: usize) -> Result<Condition, AwsError> {
        if depth > MAX_DEPTH {
            return Err(validation("The expression has too many levels of nesting"));
        }
        if self.eat_word("NOT") {
            return Ok(Condition::Not(Box::new(self.negation(depth + 1)?)));
        }
        self.predicate(depth + 1)
    }

    fn predicate(&mut self, depth: usize) -> Result<Condition, AwsError> {
        if self.eat("(") {
            let c = self.condition(depth + 1)?;
            self.expect(")")?;
            return Ok(c);
        }
        for f in ["begins_with", "contains", "attribute_type"] {
            if self.is_word(f) && self.toks.get(self.at + 1) == Some(&Tok::Punct("(")) {
                self.at += 2;
                let a = self.operand(depth)?;
                self.expect(",")?;
                let b = self.operand(depth)?;
                self.expect(")")?;
                return Ok(match f {
                    "begins_with" => Condition::BeginsWith(a, b),
                    "contains" => Condition::Contains(a, b),
                    _ => match a {
                        Operand::Path(p) => Condition::AttributeType(p, b),
                        _ => return Err(malformed("attribute_type needs a path")),
                    },
                });
            }
        }
        if self.is_word("EXISTS") {
            return Err(malformed("EXISTS is not supported here"));
        }
        let left = self.operand(depth)?;
        let cmp = match self.peek() {
            Tok::Punct("=") => Some(Comparator::Eq),
            Tok::Punct("<>" | "!=") => Some(Comparator::Ne),
            Tok::Punct("<") => Some(Comparator::Lt),
            Tok::Punct("<=") => Some(Comparator::Le),
            Tok::Punct(">") => Some(Comparator::Gt),
            Tok::Punct(">=") => Some(Comparator::Ge),
            _ => None,
        };
        if let Some(cmp) = cmp {
            self.at += 1;
            let right = self.operand(depth)?;
            return Ok(Condition::Compare(left, cmp, right));
        }
        if self.eat_word("BETWEEN") {
            let low = self.operand(depth)?;
            self.expect_word("AND")?;
            let high = self.operand(depth)?;
            return Ok(Condition::Between(left, low, high));
        }
        if self.eat_word("IN") {
            let close = if self.eat("[") {
                "]"
            } else {
                self.expect("(")?;
                ")"
            };
            let mut list = Vec::new();
            loop {
                list.push(self.operand(depth)?);
                if self.eat(close) {
                    break;
                }
                self.expect(",")?;
                if list.len() > 100 {
                    return Err(validation("Too many operands in IN list"));
                }
            }
            return Ok(Condition::In(left, list));
        }
        if self.eat_word("IS") {
            let negated = self.eat_word("NOT");
            let Operand::Path(p) = left else {
                return Err(malformed("IS needs a path"));
            };
            let c = if self.eat_word("MISSING") {
                Condition::AttributeNotExists(p)
            } else if self.eat_word("NULL") {
                Condition::AttributeType(p, Operand::Value(AttributeValue::S("NULL".into())))
            } else {
                return Err(malformed("Expected MISSING or NULL"));
            };
            return Ok(if negated {
                Condition::Not(Box::new(c))
            } else {
                c
            });
        }
        Err(malformed("Expected a comparison"))
    }

    fn finish(&mut self) -> Result<(), AwsError> {
        self.eat(";");
        if *self.peek() != Tok::Eof {
            return Err(malformed(format!("Unexpected token: {:?}", self.peek())));
        }
        if self.used != self.params.len() {
            return Err(validation(
                "Number of parameters in request and statement don't match.",
            ));
        }
        Ok(())
    }

    /// `RETURNING (ALL | MODIFIED) (OLD | NEW) *`, as ReturnValues names it.
    fn returning(&mut self) -> Result<Option<&'static str>, AwsError> {
        if !self.eat_word("RETURNING") {
            return Ok(None);
        }
        let all = if self.eat_word("ALL") {
            true
        } else if self.eat_word("MODIFIED") {
            false
        } else {
            return Err(malformed("Expected ALL or MODIFIED after RETURNING"));
        };
        let new = if self.eat_word("NEW") {
            true
        } else if self.eat_word("OLD") {
            false
        } else {
            return Err(malformed("Expected OLD or NEW after RETURNING"));
        };
        self.expect("*")?;
        Ok(Some(match (all, new) {
            (true, true) => "ALL_NEW",
            (true, false) => "ALL_OLD",
            (false, true) => "UPDATED_NEW",
            (false, false) => "UPDATED_OLD",
        }))
    }

    fn set_clause(&mut self, actions: &mut Vec<UpdateAction>) -> Result<(), AwsError> {
        loop {
            let path = self.path()?;
            self.expect("=")?;
            let action = if self.is_word("set_add") || self.is_word("set_delete") {
                let add = self.is_word("set_add");
                self.at += 1;
                self.expect("(")?;
                let target = self.path()?;
                if target != path {
                    return Err(malformed(
                        "set_add and set_delete apply to the path they set",
                    ));
                }
                self.expect(",")?;
                let v = self.value(0)?;
                self.expect(")")?;
                if add {
                    UpdateAction::Add(path, v)
                } else {
                    UpdateAction::Delete(path, v)
                }
            } else {
                let first = self.set_operand()?;
                let value = if self.eat("+") {
                    SetValue::Plus(first, self.set_operand()?)
                } else if self.eat("-") {
                    SetValue::Minus(first, self.set_operand()?)
                } else {
                    SetValue::Operand(first)
                };
                UpdateAction::Set(path, value)
            };
            actions.push(action);
            if !self.eat(",") {
                return Ok(());
            }
        }
    }

    fn set_operand(&mut self) -> Result<SetOperand, AwsError> {
        if self.is_word("list_append") && self.toks.get(self.at + 1) == Some(&Tok::Punct("(")) {
            self.at += 2;
            let a = self.set_operand()?;
            self.expect(",")?;
            let b = self.set_operand()?;
            self.expect(")")?;
            return Ok(SetOperand::ListAppend(Box::new(a), Box::new(b)));
        }
        if self.starts_value() {
            Ok(SetOperand::Value(self.value(0)?))
        } else {
            Ok(SetOperand::Path(self.path()?))
        }
    }
}

fn set_of(members: Vec<AttributeValue>) -> Result<AttributeValue, AwsError> {
    let invalid = || validation("Sets must contain members of one scalar type: S, N or B");
    match members.first() {
        Some(AttributeValue::S(_)) => members
            .into_iter()
            .map(|m| match m {
                AttributeValue::S(s) => Ok(s),
                _ => Err(invalid()),
            })
            .collect::<Result<_, _>>()
            .map(AttributeValue::SS),
        Some(AttributeValue::N(_)) => members
            .into_iter()
            .map(|m| match m {
                AttributeValue::N(n) => Ok(n),
                _ => Err(invalid()),
            })
            .collect::<Result<_, _>>()
            .map(AttributeValue::NS),
        Some(AttributeValue::B(_)) => members
            .into_iter()
            .map(|m| match m {
                AttributeValue::B(b) => Ok(b),
                _ => Err(invalid()),
            })
            .collect::<Result<_, _>>()
            .map(AttributeValue::BS),
        _ => Err(invalid()),
    }
}

/// Parses one statement, binding its `?` to `params` in order.
pub fn parse(src: &str, params: &[AttributeValue]) -> Result<Statement, AwsError> {
    let mut p = Parser {
        toks: tokenize(src)?,
        at: 0,
        params,
        used: 0,
    };
    let statement = if p.eat_word("SELECT") {
        let projection = if p.eat("*") {
            None
        } else {
            let mut paths = vec![p.path()?];
            while p.eat(",") {
                paths.push(p.path()?);
            }
            Some(paths)
        };
        p.expect_word("FROM")?;
        let (table, index) = p.table()?;
        let condition = if p.eat_word("WHERE") {
            Some(p.condition(0)?)
        } else {
            None
        };
        Statement::Select {
            table,
            index,
            projection,
            condition,
        }
    } else if p.eat_word("INSERT") {
        p.expect_word("INTO")?;
        let table = p.identifier()?;
        p.expect_word("VALUE")?;
        let AttributeValue::M(item) = p.value(0)? else {
            return Err(malformed("INSERT takes one tuple: VALUE {...}"));
        };
        Statement::Insert { table, item }
    } else if p.eat_word("UPDATE") {
        let table = p.identifier()?;
        let mut actions = Vec::new();
        loop {
            if p.eat_word("SET") {
                p.set_clause(&mut actions)?;
            } else if p.eat_word("REMOVE") {
                loop {
                    actions.push(UpdateAction::Remove(p.path()?));
                    if !p.eat(",") {
                        break;
                    }
                }
            } else {
                break;
            }
        }
        if actions.is_empty() {
            return Err(malformed("UPDATE needs a SET or REMOVE clause"));
        }
        p.expect_word("WHERE")?;
        let condition = p.condition(0)?;
        let returning = p.returning()?;
        Statement::Update {
            table,
            actions,
            condition,
            returning,
        }
    } else if p.eat_word("DELETE") {
        p.expect_word("FROM")?;
        let table = p.identifier()?;
        p.expect_word("WHERE")?;
        let condition = p.condition(0)?;
        let returning = p.returning()?;
        if returning.is_some_and(|r| r != "ALL_OLD") {
            return Err(validation(
                "DELETE statements only support RETURNING ALL OLD *",
            ));
        }
        Statement::Delete {
            table,
            condition,
            returning,
        }
    } else {
        return Err(malformed(
            "Statement must start with SELECT, INSERT, UPDATE or DELETE",
        ));
    };
    p.finish()?;
    Ok(statement)
}

/// The IAM action, table and (for a SELECT of an index) index of a statement, without binding
/// parameters (for authorization).
pub fn action_and_table(src: &str) -> Option<(&'static str, String, Option<String>)> {
    let toks = tokenize(src).ok()?;
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(w.to_ascii_uppercase()),
        _ => None,
    };
    let name = |i: usize| match toks.get(i) {
        Some(Tok::Word(w) | Tok::Quoted(w)) => Some(w.clone()),
        _ => None,
    };
    match word(0)?.as_str() {
        "SELECT" => {
            let from = (1..toks.len()).find(|i| word(*i).as_deref() == Some("FROM"))?;
            let index = match toks.get(from + 2) {
                Some(Tok::Punct(".")) => name(from + 3),
                _ => None,
            };
            Some(("PartiQLSelect", name(from + 1)?, index))
        }
        "INSERT" => Some(("PartiQLInsert", name(2)?, None)),
        "UPDATE" => Some(("PartiQLUpdate", name(1)?, None)),
        "DELETE" => Some(("PartiQLDelete", name(2)?, None)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Running statements

/// The conjuncts of a condition's top-level ANDs.
fn conjuncts(c: &Condition) -> Vec<&Condition> {
    let mut out = Vec::new();
    let mut stack = vec![c];
    while let Some(c) = stack.pop() {
        match c {
            Condition::And(a, b) => {
                stack.push(b);
                stack.push(a);
            }
            other => out.push(other),
        }
    }
    out
}

/// The value a conjunct `attribute = value` (either way round) gives `attribute`.
fn equality<'c>(conditions: &[&'c Condition], attribute: &str) -> Option<&'c AttributeValue> {
    conditions.iter().find_map(|c| match c {
        Condition::Compare(Operand::Path(p), Comparator::Eq, Operand::Value(v))
        | Condition::Compare(Operand::Value(v), Comparator::Eq, Operand::Path(p))
            if p.as_slice() == [PathElement::Attribute(attribute.to_string())] =>
        {
            Some(v)
        }
        _ => None,
    })
}

/// The full primary key a WHERE clause names by equalities.
fn key_of_where(table: &TableRecord, condition: &Condition) -> Result<Item, AwsError> {
    let parts = conjuncts(condition);
    let mut key = Item::new();
    for k in table.key_elements() {
        let v = equality(&parts, &k.name).ok_or_else(|| {
            validation("Where clause does not contain a mandatory equality on all key attributes")
        })?;
        key.insert(k.name.clone(), v.clone());
    }
    table.check_key(&key)?;
    Ok(key)
}

/// One write, checked and ready to run in a store transaction.
struct WritePlan {
    table: String,
    table_k: Vec<u8>,
    item_key: Vec<u8>,
    key: Item,
    kind: WriteKind,
    condition: Option<Condition>,
    returning: Option<&'static str>,
}

enum WriteKind {
    Insert(Item),
    Update(Vec<UpdateAction>),
    Delete,
}

fn plan_write(
    db: &DynamoDb,
    ctx: &RequestContext,
    statement: Statement,
) -> Result<WritePlan, AwsError> {
    let table = load_table(db, ctx, statement.table())?;
    let table_k = table_key(ctx.account_id(), &ctx.region, &table.name);
    let (key, kind, condition, returning) = match statement {
        Statement::Insert { item, .. } => {
            table.check_item_keys(&item)?;
            check_item(&item)?;
            (table.key_of(&item), WriteKind::Insert(item), None, None)
        }
        Statement::Update {
            actions,
            condition,
            returning,
            ..
        } => {
            let key = key_of_where(&table, &condition)?;
            for a in &actions {
                if let Some(PathElement::Attribute(first)) = a.path().first() {
                    if table.is_key(first) {
                        return Err(validation(format!(
                            "One or more parameter values were invalid: Cannot update attribute {first}. This attribute is part of the key"
                        )));
                    }
                }
            }
            // UPDATE changes an item that exists and meets the whole WHERE clause.
            let exists =
                Condition::AttributeExists(vec![PathElement::Attribute(table.hash.name.clone())]);
            let condition = Condition::And(Box::new(exists), Box::new(condition));
            (key, WriteKind::Update(actions), Some(condition), returning)
        }
        Statement::Delete {
            condition,
            returning,
            ..
        } => {
            let key = key_of_where(&table, &condition)?;
            let only_key = conjuncts(&condition).len() == table.key_elements().count();
            (
                key,
                WriteKind::Delete,
                (!only_key).then_some(condition),
                returning,
            )
        }
        Statement::Select { .. } => return Err(validation("Expected a write statement")),
    };
    Ok(WritePlan {
        item_key: table.item_key(ctx.account_id(), &ctx.region, &key)?,
        table: table.name.clone(),
        table_k,
        key,
        kind,
        condition,
        returning,
    })
}

/// Why a planned write cannot run against `old`, as a transaction's cancellation reason.
fn refusal(plan: &WritePlan, old: Option<&Item>) -> Option<&'static str> {
    if let WriteKind::Insert(_) = plan.kind {
        if old.is_some() {
            return Some("DuplicateItem");
        }
    }
    let holds = plan
        .condition
        .as_ref()
        .is_none_or(|c| eval::matches(old.unwrap_or(&Item::new()), c));
    (!holds).then_some("ConditionalCheckFailed")
}

fn run_write(
    txn: &mut dyn Txn,
    ctx: &RequestContext,
    plan: &WritePlan,
    old: Option<&Item>,
) -> Result<(Consumed, Option<Item>), AwsError> {
    let new = match &plan.kind {
        WriteKind::Insert(item) => Some(item.clone()),
        WriteKind::Update(actions) => {
            let mut new = old.cloned().unwrap_or_else(|| plan.key.clone());
            eval::apply_update(&mut new, actions)?;
            check_item(&new)?;
            Some(new)
        }
        WriteKind::Delete => None,
    };
    if new.is_none() && old.is_none() {
        // Deleting an item that is not there still consumes one write.
        let mut c = Consumed::default();
        c.table.write = 1.0;
        return Ok((c, None));
    }
    let c = write_item(
        txn,
        &plan.table_k,
        &plan.item_key,
        old,
        new.as_ref(),
        Origin::user(ctx),
    )?;
    Ok((c, new))
}

/// Runs one write on its own; answers its capacity and the item before and after it.
fn write_one(
    db: &DynamoDb,
    ctx: &RequestContext,
    plan: &WritePlan,
) -> Result<(Consumed, Option<Item>, Option<Item>), AwsError> {
    transact(&*db.storage.kv, |txn| {
        let old = read_item(txn, &plan.item_key)?;
        match refusal(plan, old.as_ref()) {
            Some("DuplicateItem") => Err(duplicate_item()),
            Some(_) => Err(conditional_check_failed()),
            None => {
                let (c, new) = run_write(txn, ctx, plan, old.as_ref())?;
                Ok((c, old, new))
            }
        }
    })
}

/// One page of a SELECT: the items, the store key to continue after, the bytes read.
struct Page {
    items: Vec<Item>,
    next: Option<Vec<u8>>,
    bytes: usize,
}

/// What one SELECT reads: from where, what it keeps, how far.
struct SelectRead<'a> {
    table: &'a TableRecord,
    index: Option<&'a str>,
    projection: Option<&'a [Path]>,
    condition: Option<&'a Condition>,
    limit: usize,
    start_after: Option<&'a [u8]>,
}

fn select(db: &DynamoDb, ctx: &RequestContext, read: SelectRead<'_>) -> Result<Page, AwsError> {
    let SelectRead {
        table,
        index,
        projection,
        condition,
        limit,
        start_after,
    } = read;
    let table_k = table.items_prefix(ctx.account_id(), &ctx.region);
    let (store_table, base, hash): (&str, Vec<u8>, &KeySchemaElement) = match index {
        Some(name) => {
            let ix = table.index(name).ok_or_else(|| {
                validation(format!(
                    "The table does not have the specified index: {name}"
                ))
            })?;
            let mut base = table_k.clone();
            key::push(&mut base, ix.name.as_bytes());
            (INDEXES, base, &ix.hash)
        }
        None => (ITEMS, table_k.clone(), &table.hash),
    };
    // An equality on the partition key reads one partition; anything else scans.
    let parts = condition.map(conjuncts).unwrap_or_default();
    let prefix = match equality(&parts, &hash.name) {
        Some(v) if v.type_name() == hash.kind => {
            let mut p = base.clone();
            key::push(&mut p, &encode_key_value(v));
            p
        }
        _ => base,
    };
    let mut range = KeyRange::prefix(&prefix);
    if let Some(after) = start_after {
        if !after.starts_with(&prefix) {
            return Err(validation("Invalid NextToken"));
        }
        range = range.after(after);
    }
    let now = ctx.clock.now_secs();
    let mut page = Page {
        items: Vec::new(),
        next: None,
        bytes: 0,
    };
    let mut evaluated = 0usize;
    loop {
        let batch = db
            .storage
            .kv
            .scan(store_table, &range, Some(256), false)
            .map_err(store_error)?;
        let Some((last, _)) = batch.last() else {
            return Ok(page);
        };
        let last = last.clone();
        for (k, v) in &batch {
            let item = decode_item(v)?;
            if table.expired(&item, now) {
                continue;
            }
            evaluated += 1;
            page.bytes += item_size(&item);
            if condition.is_none_or(|c| eval::matches(&item, c)) {
                page.items.push(match projection {
                    Some(paths) => eval::project(&item, paths),
                    None => item,
                });
            }
            if evaluated >= limit || page.bytes >= MAX_PAGE_BYTES {
                page.next = Some(k.clone());
                return Ok(page);
            }
        }
        range = range.after(&last);
    }
}

fn parameters(v: Option<&Value>) -> Result<Vec<AttributeValue>, AwsError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) if a.is_empty() => Err(validation(
            "1 validation error detected: Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1",
        )),
        Some(Value::Array(a)) => a.iter().map(AttributeValue::from_json).collect(),
        Some(_) => Err(validation("Parameters must be a list")),
    }
}

fn statement_text(v: Option<&Value>) -> Result<&str, AwsError> {
    match v.and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(validation(
            "1 validation error detected: Value null at 'statement' failed to satisfy constraint: Member must not be null",
        )),
    }
}

fn token_encode(k: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(k)
}

fn token_decode(t: &str) -> Result<Vec<u8>, AwsError> {
    base64::engine::general_purpose::STANDARD
        .decode(t)
        .map_err(|_| validation("Invalid NextToken"))
}

pub fn execute_statement(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let report = Report::of(&params)?;
    let text = statement_text(params.get("Statement"))?;
    let values = parameters(params.get("Parameters"))?;
    let statement = parse(text, &values)?;
    let consistent = params
        .get("ConsistentRead")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match statement {
        Statement::Select {
            table,
            index,
            projection,
            condition,
        } => {
            let table = load_table(db, ctx, &table)?;
            if consistent
                && index
                    .as_deref()
                    .and_then(|n| table.index(n))
                    .is_some_and(|ix| ix.global)
            {
                return Err(validation(
                    "Consistent reads are not supported on global secondary indexes",
                ));
            }
            let limit = match params.get("Limit").and_then(Value::as_u64) {
                Some(0) => {
                    return Err(validation(
                        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
                    ));
                }
                Some(n) => n as usize,
                None => usize::MAX,
            };
            db.throughput
                .admit(ctx, &table, Access::Read, index.as_deref())?;
            let start = params
                .get("NextToken")
                .and_then(Value::as_str)
                .map(token_decode)
                .transpose()?;
            let page = select(
                db,
                ctx,
                SelectRead {
                    table: &table,
                    index: index.as_deref(),
                    projection: projection.as_deref(),
                    condition: condition.as_ref(),
                    limit,
                    start_after: start.as_deref(),
                },
            )?;
            let mut out = json!({"Items": page.items.iter().map(item_to_json).collect::<Vec<_>>()});
            if let Some(next) = &page.next {
                out["NextToken"] = json!(token_encode(next));
            }
            let units = capacity::read_units(page.bytes, consistent);
            let consumed = match index.as_deref().and_then(|n| table.index(n)) {
                Some(ix) => Consumed::index_read(ix.global, &ix.name, units),
                None => Consumed::read(units),
            };
            db.throughput.consume(ctx, &table, &consumed);
            capacity::answer(&mut out, &consumed, &table.name, report);
            Ok(out)
        }
        write => {
            let plan = plan_write(db, ctx, write)?;
            let table = load_table(db, ctx, &plan.table)?;
            db.throughput.admit(ctx, &table, Access::Write, None)?;
            let (consumed, old, new) = write_one(db, ctx, &plan)?;
            db.throughput.consume(ctx, &table, &consumed);
            let mut items = Vec::new();
            if let Some(values) = plan.returning {
                let updated: Vec<String> = match &plan.kind {
                    WriteKind::Update(actions) => actions
                        .iter()
                        .filter_map(|a| match a.path().first() {
                            Some(PathElement::Attribute(n)) => Some(n.clone()),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let shown = returned(values, old.as_ref(), new.as_ref(), &updated);
                if let Some(a) = shown.get("Attributes") {
                    items.push(a.clone());
                }
            }
            let mut out = json!({"Items": items});
            capacity::answer(&mut out, &consumed, &plan.table, report);
            Ok(out)
        }
    }
}

/// Charges and meters what a batch or transaction of statements consumed, table by table.
fn consume_by_name(
    db: &DynamoDb,
    ctx: &RequestContext,
    consumed: &BTreeMap<String, Consumed>,
) -> Result<(), AwsError> {
    for (name, c) in consumed {
        let table = load_table(db, ctx, name)?;
        db.throughput.consume(ctx, &table, c);
    }
    Ok(())
}

fn error_entry(e: &AwsError) -> Value {
    let code = match &*e.code {
        "ConditionalCheckFailedException" => "ConditionalCheckFailed",
        "DuplicateItemException" => "DuplicateItem",
        "ResourceNotFoundException" => "ResourceNotFound",
        "InternalServerError" => "InternalServerError",
        "ProvisionedThroughputExceededException" => "ProvisionedThroughputExceeded",
        _ => "ValidationError",
    };
    json!({"Code": code, "Message": e.message})
}

pub fn batch_execute_statement(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let report = Report::of(&params)?;
    let requests = params
        .get("Statements")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if requests.is_empty() || requests.len() > MAX_BATCH {
        return Err(validation(format!(
            "1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length {}",
            if requests.is_empty() {
                "greater than or equal to 1"
            } else {
                "less than or equal to 25"
            }
        )));
    }
    let mut parsed = Vec::with_capacity(requests.len());
    for r in &requests {
        let values = parameters(r.get("Parameters"))?;
        parsed.push(parse(statement_text(r.get("Statement"))?, &values)?);
    }
    let reads = parsed.iter().filter(|s| s.is_read()).count();
    if reads != 0 && reads != parsed.len() {
        return Err(validation(
            "Unsupported operation: Batch must contain either only reads or only writes",
        ));
    }
    let mut responses = Vec::with_capacity(parsed.len());
    let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
    for (statement, request) in parsed.into_iter().zip(&requests) {
        let table_name = statement.table().to_string();
        let result = match statement {
            Statement::Select {
                table,
                index,
                projection,
                condition,
            } => (|| {
                let table = load_table(db, ctx, &table)?;
                if index.is_some() {
                    return Err(validation(
                        "Batch SELECT statements must read the table by its full primary key",
                    ));
                }
                let key = key_of_where(&table, condition.as_ref().ok_or_else(|| {
                    validation("Where clause does not contain a mandatory equality on all key attributes")
                })?)?;
                let item_key = table.item_key(ctx.account_id(), &ctx.region, &key)?;
                // Each statement is admitted and charged in turn: a batch can run a table dry.
                db.throughput.admit(ctx, &table, Access::Read, None)?;
                let found = db
                    .storage
                    .kv
                    .get(ITEMS, &item_key)
                    .map_err(store_error)?
                    .map(|b| decode_item(&b))
                    .transpose()?
                    .filter(|i| !table.expired(i, ctx.clock.now_secs()));
                let consistent = request
                    .get("ConsistentRead")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let c = Consumed::read(capacity::read_units(
                    found.as_ref().map_or(0, item_size),
                    consistent,
                ));
                db.throughput.consume(ctx, &table, &c);
                consumed.entry(table.name.clone()).or_default().add(&c);
                let shown = found
                    .filter(|i| condition.as_ref().is_none_or(|c| eval::matches(i, c)))
                    .map(|i| match &projection {
                        Some(p) => eval::project(&i, p),
                        None => i,
                    });
                Ok(match shown {
                    Some(i) => json!({"TableName": table.name, "Item": item_to_json(&i)}),
                    None => json!({"TableName": table.name}),
                })
            })(),
            write => plan_write(db, ctx, write).and_then(|plan| {
                let table = load_table(db, ctx, &plan.table)?;
                db.throughput.admit(ctx, &table, Access::Write, None)?;
                let (c, _, _) = write_one(db, ctx, &plan)?;
                db.throughput.consume(ctx, &table, &c);
                consumed.entry(plan.table.clone()).or_default().add(&c);
                Ok(json!({"TableName": plan.table}))
            }),
        };
        responses.push(match result {
            Ok(v) => v,
            Err(e) => json!({"TableName": table_name, "Error": error_entry(&e)}),
        });
    }
    let mut out = json!({"Responses": responses});
    capacity::answer_list(&mut out, &consumed, report);
    Ok(out)
}

pub fn execute_transaction(
    db: &DynamoDb,
    ctx: &RequestContext,
    params: Value,
) -> Result<Value, AwsError> {
    let report = Report::of(&params)?;
    let requests = params
        .get("TransactStatements")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if requests.is_empty() || requests.len() > MAX_TRANSACTION {
        return Err(validation(format!(
            "1 validation error detected: Value at 'transactStatements' failed to satisfy constraint: Member must have length {}",
            if requests.is_empty() {
                "greater than or equal to 1"
            } else {
                "less than or equal to 100"
            }
        )));
    }
    let mut parsed = Vec::with_capacity(requests.len());
    for r in &requests {
        let values = parameters(r.get("Parameters"))?;
        parsed.push(parse(statement_text(r.get("Statement"))?, &values)?);
    }
    let reads = parsed.iter().filter(|s| s.is_read()).count();
    if reads != 0 && reads != parsed.len() {
        return Err(validation(
            "Unsupported operation: Transaction must contain either only reads or only writes",
        ));
    }
    let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
    if reads > 0 {
        let mut gets = Vec::with_capacity(parsed.len());
        for s in parsed {
            let Statement::Select {
                table,
                index,
                projection,
                condition,
            } = s
            else {
                continue;
            };
            let table = load_table(db, ctx, &table)?;
            if index.is_some() {
                return Err(validation(
                    "Transaction SELECT statements must read the table by its full primary key",
                ));
            }
            let condition = condition.ok_or_else(|| {
                validation(
                    "Where clause does not contain a mandatory equality on all key attributes",
                )
            })?;
            let key = key_of_where(&table, &condition)?;
            let item_key = table.item_key(ctx.account_id(), &ctx.region, &key)?;
            gets.push((table, item_key, projection, condition));
        }
        let found = transact(&*db.storage.kv, |txn| {
            gets.iter()
                .map(|(_, k, _, _)| read_item(txn, k))
                .collect::<Result<Vec<_>, _>>()
        })?;
        let now = ctx.clock.now_secs();
        let mut responses = Vec::with_capacity(found.len());
        for ((table, _, projection, condition), item) in gets.iter().zip(found) {
            consumed
                .entry(table.name.clone())
                .or_default()
                .add(&Consumed::read(
                    2.0 * capacity::read_units(item.as_ref().map_or(0, item_size), true),
                ));
            let shown = item
                .filter(|i| !table.expired(i, now) && eval::matches(i, condition))
                .map(|i| match projection {
                    Some(p) => eval::project(&i, p),
                    None => i,
                });
            responses.push(match shown {
                Some(i) => json!({"Item": item_to_json(&i)}),
                None => json!({}),
            });
        }
        consume_by_name(db, ctx, &consumed)?;
        let mut out = json!({"Responses": responses});
        capacity::answer_list(&mut out, &consumed, report);
        return Ok(out);
    }
    let mut plans = Vec::with_capacity(parsed.len());
    for s in parsed {
        let plan = plan_write(db, ctx, s)?;
        if plans
            .iter()
            .any(|p: &WritePlan| p.item_key == plan.item_key)
        {
            return Err(validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        plans.push(plan);
    }
    // As TransactWriteItems: statements on tables without capacity cancel the transaction.
    let mut refused: BTreeMap<&str, bool> = BTreeMap::new();
    let mut reasons = Vec::with_capacity(plans.len());
    for plan in &plans {
        let no_capacity = match refused.get(plan.table.as_str()) {
            Some(r) => *r,
            None => {
                let table = load_table(db, ctx, &plan.table)?;
                let r = db
                    .throughput
                    .admit(ctx, &table, Access::Write, None)
                    .is_err();
                refused.insert(&plan.table, r);
                r
            }
        };
        reasons.push(no_capacity.then_some("ProvisionedThroughputExceeded"));
    }
    if reasons.iter().any(Option::is_some) {
        return Err(cancelled(&reasons));
    }
    let token = RequestToken::of(ctx, &params, &requests)?;
    let now = ctx.clock.now_millis();
    let consumed = transact(&*db.storage.kv, |txn| {
        if let Some(t) = &token {
            if t.applied(txn, now)? {
                return Ok(BTreeMap::new());
            }
        }
        let mut olds = Vec::with_capacity(plans.len());
        let mut reasons = Vec::with_capacity(plans.len());
        for plan in &plans {
            let old = read_item(txn, &plan.item_key)?;
            reasons.push(refusal(plan, old.as_ref()));
            olds.push(old);
        }
        if reasons.iter().any(Option::is_some) {
            return Err(cancelled(&reasons));
        }
        let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
        for (plan, old) in plans.iter().zip(&olds) {
            let (c, _) = run_write(txn, ctx, plan, old.as_ref())?;
            consumed
                .entry(plan.table.clone())
                .or_default()
                .add(&c.scaled(2.0));
        }
        if let Some(t) = &token {
            t.remember(txn, now)?;
        }
        Ok(consumed)
    })?;
    consume_by_name(db, ctx, &consumed)?;
    let mut out = json!({});
    capacity::answer_list(&mut out, &consumed, report);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    #[test]
    fn statements_parse() {
        let st = parse(
            r#"SELECT a, b.c[1] FROM "my-table"."byG" WHERE pk = ? AND n BETWEEN 1 AND 5 OR NOT x IS MISSING"#,
            &[s("p")],
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        let Statement::Select {
            table,
            index,
            projection,
            condition,
        } = st
        else {
            panic!("a select");
        };
        assert_eq!(
            (table.as_str(), index.as_deref()),
            ("my-table", Some("byG"))
        );
        assert_eq!(projection.map(|p| p.len()), Some(2));
        assert!(matches!(condition, Some(Condition::Or(_, _))));
        let st = parse("INSERT INTO t VALUE {'pk': 'a', 'n': -1.5, 'l': [1, 'x'], 's': <<'a','b'>>, 'm': {'x': null}}", &[])
            .unwrap_or_else(|e| panic!("{}", e.message));
        let Statement::Insert { item, .. } = st else {
            panic!("an insert");
        };
        assert_eq!(item.len(), 5);
        assert!(matches!(item.get("s"), Some(AttributeValue::SS(v)) if v.len() == 2));
        assert!(
            parse(
                "UPDATE t SET a = a + 1, b = ? REMOVE c WHERE pk = 'x'",
                &[s("v")]
            )
            .is_ok()
        );
        assert!(parse("DELETE FROM t WHERE pk = 'x' AND sk = 1", &[]).is_ok());
        assert!(parse("INSERT INTO t VALUE {'pk': 'a', 's': <<'x', 'x'>>}", &[]).is_err());
    }

    #[test]
    fn bad_statements_are_refused() {
        for (src, params) in [
            ("SELEC * FROM t", 0),
            ("SELECT * FROM t WHERE", 0),
            ("SELECT * FROM t WHERE a = ?", 0),
            ("SELECT * FROM t", 1),
            ("INSERT INTO t VALUE 'x'", 0),
            ("UPDATE t WHERE pk = 'a'", 0),
            ("SELECT * FROM t WHERE a = 'unterminated", 0),
        ] {
            let params = vec![s("x"); params];
            assert!(parse(src, &params).is_err(), "{src}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!(
            "SELECT * FROM t WHERE {}a = 1{}",
            "(".repeat(200),
            ")".repeat(200)
        );
        assert!(parse(&deep, &[]).is_err());
        let deep = format!(
            "INSERT INTO t VALUE {{'pk': {}1{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(parse(&deep, &[]).is_err());
    }

    #[test]
    fn authorization_reads_the_verb_and_table() {
        assert_eq!(
            action_and_table(r#"SELECT * FROM "t1" WHERE pk = ?"#),
            Some(("PartiQLSelect", "t1".to_string(), None))
        );
        assert_eq!(
            action_and_table(r#"SELECT * FROM "t1"."byG""#),
            Some(("PartiQLSelect", "t1".to_string(), Some("byG".to_string())))
        );
        assert_eq!(
            action_and_table("insert into t2 value {'pk': 'a'}"),
            Some(("PartiQLInsert", "t2".to_string(), None))
        );
        assert_eq!(
            action_and_table("UPDATE t3 SET a = 1 WHERE pk = 'a'"),
            Some(("PartiQLUpdate", "t3".to_string(), None))
        );
        assert_eq!(
            action_and_table("DELETE FROM t4 WHERE pk = 'a'"),
            Some(("PartiQLDelete", "t4".to_string(), None))
        );
    }
}
