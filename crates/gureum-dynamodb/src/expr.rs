//! The expression languages: a tokenizer and recursive-descent parsers (with a nesting bound)
//! for ConditionExpression / FilterExpression / KeyConditionExpression, UpdateExpression and
//! ProjectionExpression. `#names` and `:values` are resolved while parsing, and the ones used
//! are recorded so the request can refuse unused ones as DynamoDB does.

use std::collections::{BTreeMap, BTreeSet};

use gureum_core::AwsError;

use crate::errors::validation;
use crate::value::AttributeValue;

/// How deep parentheses, NOT chains and nested functions may go.
pub const MAX_EXPRESSION_DEPTH: usize = 32;
/// How many elements a document path may have.
pub const MAX_PATH_LENGTH: usize = 32;
/// How many operands IN accepts (DynamoDB's limit).
const MAX_IN_OPERANDS: usize = 100;

/// One element of a document path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathElement {
    Attribute(String),
    Index(usize),
}

/// A document path: `a.b[2].c`, names already resolved.
pub type Path = Vec<PathElement>;

/// Shows a path as DynamoDB's messages do: `[a, b, [2]]`.
pub fn show_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|e| match e {
            PathElement::Attribute(a) => a.clone(),
            PathElement::Index(i) => format!("[{i}]"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(AttributeValue),
    Size(Path),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Operand, Comparator, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    AttributeExists(Path),
    AttributeNotExists(Path),
    AttributeType(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

/// The right-hand side of a SET action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Operand(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SetOperand {
    Path(Path),
    Value(AttributeValue),
    IfNotExists(Path, Box<SetOperand>),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    Set(Path, SetValue),
    Remove(Path),
    Add(Path, AttributeValue),
    Delete(Path, AttributeValue),
}

impl UpdateAction {
    pub fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }
}

/// The substitutions of one request and which of them its expressions used.
pub struct Substitutions<'a> {
    pub names: &'a BTreeMap<String, String>,
    pub values: &'a BTreeMap<String, AttributeValue>,
    pub used_names: BTreeSet<String>,
    pub used_values: BTreeSet<String>,
}

impl<'a> Substitutions<'a> {
    pub fn new(
        names: &'a BTreeMap<String, String>,
        values: &'a BTreeMap<String, AttributeValue>,
    ) -> Self {
        Substitutions {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// DynamoDB's refusal of substitutions no expression used.
    pub fn check_all_used(&self) -> Result<(), AwsError> {
        let unused: Vec<&String> = self
            .values
            .keys()
            .filter(|k| !self.used_values.contains(*k))
            .collect();
        if !unused.is_empty() {
            return Err(validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                join(&unused)
            )));
        }
        let unused: Vec<&String> = self
            .names
            .keys()
            .filter(|k| !self.used_names.contains(*k))
            .collect();
        if !unused.is_empty() {
            return Err(validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                join(&unused)
            )));
        }
        Ok(())
    }
}

fn join(keys: &[&String]) -> String {
    keys.iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Name(String),
    Value(String),
    Int(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Cmp(Comparator),
    Plus,
    Minus,
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn tokenize(src: &str, kind: &str) -> Result<Vec<Token>, AwsError> {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(src.len(), |&(o, _)| o);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        let start = chars[i].0;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            ',' => Some(Tok::Comma),
            '.' => Some(Tok::Dot),
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '=' => Some(Tok::Cmp(Comparator::Eq)),
            _ => None,
        };
        if let Some(tok) = single {
            i += 1;
            tokens.push(Token {
                tok,
                start,
                end: offset(i),
            });
            continue;
        }
        let tok = match c {
            '<' => {
                i += 1;
                match at(i) {
                    Some('=') => {
                        i += 1;
                        Tok::Cmp(Comparator::Le)
                    }
                    Some('>') => {
                        i += 1;
                        Tok::Cmp(Comparator::Ne)
                    }
                    _ => Tok::Cmp(Comparator::Lt),
                }
            }
            '>' => {
                i += 1;
                if at(i) == Some('=') {
                    i += 1;
                    Tok::Cmp(Comparator::Ge)
                } else {
                    Tok::Cmp(Comparator::Gt)
                }
            }
            '#' | ':' => {
                i += 1;
                while at(i).is_some_and(is_word) {
                    i += 1;
                }
                let text = src[start..offset(i)].to_string();
                if text.len() == 1 {
                    return Err(syntax(kind, src, &text, start, offset(i)));
                }
                if c == '#' {
                    Tok::Name(text)
                } else {
                    Tok::Value(text)
                }
            }
            c if c.is_ascii_digit() => {
                while at(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
                Tok::Int(src[start..offset(i)].to_string())
            }
            c if is_word(c) => {
                while at(i).is_some_and(is_word) {
                    i += 1;
                }
                Tok::Ident(src[start..offset(i)].to_string())
            }
            other => {
                let end = start + other.len_utf8();
                return Err(syntax(kind, src, &other.to_string(), start, end));
            }
        };
        tokens.push(Token {
            tok,
            start,
            end: offset(i),
        });
    }
    tokens.push(Token {
        tok: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    Ok(tokens)
}

/// DynamoDB's syntax error: the offending token and the text around it.
fn syntax(kind: &str, src: &str, token: &str, start: usize, end: usize) -> AwsError {
    let near_start = src[..start]
        .trim_end()
        .rfind(char::is_whitespace)
        .map_or(0, |p| p + 1);
    let near = src.get(near_start..end).unwrap_or(src);
    validation(format!(
        "Invalid {kind}: Syntax error; token: \"{token}\", near: \"{near}\""
    ))
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Parser<'s, 'a> {
    src: &'s str,
    kind: &'static str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    subs: &'s mut Substitutions<'a>,
}

fn keyword(tok: &Tok, word: &str) -> bool {
    matches!(tok, Tok::Ident(w) if w.eq_ignore_ascii_case(word))
}

impl<'s, 'a> Parser<'s, 'a> {
    fn new(
        src: &'s str,
        kind: &'static str,
        subs: &'s mut Substitutions<'a>,
    ) -> Result<Self, AwsError> {
        if src.trim().is_empty() {
            return Err(validation(format!(
                "Invalid {kind}: The expression can not be empty;"
            )));
        }
        Ok(Parser {
            src,
            kind,
            tokens: tokenize(src, kind)?,
            pos: 0,
            depth: 0,
            subs,
        })
    }

    fn peek(&self) -> &Tok {
        self.tokens.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.tokens.get(self.pos + n).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn next(&mut self) -> Tok {
        let tok = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        tok
    }

    fn error(&self) -> AwsError {
        let Some(token) = self.tokens.get(self.pos) else {
            return validation(format!("Invalid {}: Syntax error", self.kind));
        };
        let text = if token.tok == Tok::Eof {
            "<EOF>".to_string()
        } else {
            self.src[token.start..token.end].to_string()
        };
        let near_start = self
            .pos
            .checked_sub(1)
            .and_then(|p| self.tokens.get(p))
            .map_or(token.start, |t| t.start);
        let near = self.src.get(near_start..token.end).unwrap_or(self.src);
        validation(format!(
            "Invalid {}: Syntax error; token: \"{text}\", near: \"{near}\"",
            self.kind
        ))
    }

    fn message(&self, text: impl std::fmt::Display) -> AwsError {
        validation(format!("Invalid {}: {text}", self.kind))
    }

    fn expect(&mut self, tok: Tok) -> Result<(), AwsError> {
        if *self.peek() == tok {
            self.next();
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn expect_end(&self) -> Result<(), AwsError> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn enter(&mut self) -> Result<(), AwsError> {
        self.depth += 1;
        if self.depth > MAX_EXPRESSION_DEPTH {
            return Err(self.message(format!(
                "The expression is nested more than {MAX_EXPRESSION_DEPTH} levels deep"
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn value(&mut self, name: &str) -> Result<AttributeValue, AwsError> {
        match self.subs.values.get(name) {
            Some(v) => {
                self.subs.used_values.insert(name.to_string());
                Ok(v.clone())
            }
            None => Err(self.message(format!(
                "An expression attribute value used in expression is not defined; attribute value: {name}"
            ))),
        }
    }

    fn attribute_name(&mut self) -> Result<String, AwsError> {
        match self.next() {
            Tok::Ident(word) => {
                if is_reserved(&word) {
                    return Err(self.message(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {word}"
                    )));
                }
                Ok(word)
            }
            Tok::Name(name) => match self.subs.names.get(&name) {
                Some(real) => {
                    self.subs.used_names.insert(name);
                    Ok(real.clone())
                }
                None => Err(self.message(format!(
                    "An expression attribute name used in the document path is not defined; attribute name: {name}"
                ))),
            },
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(self.error())
            }
        }
    }

    fn path(&mut self) -> Result<Path, AwsError> {
        let mut path = vec![PathElement::Attribute(self.attribute_name()?)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.next();
                    path.push(PathElement::Attribute(self.attribute_name()?));
                }
                Tok::LBracket => {
                    self.next();
                    let Tok::Int(digits) = self.peek().clone() else {
                        return Err(self.error());
                    };
                    let index = digits
                        .parse::<usize>()
                        .map_err(|_| self.message("List index is out of range"))?;
                    self.next();
                    self.expect(Tok::RBracket)?;
                    path.push(PathElement::Index(index));
                }
                _ => break,
            }
            if path.len() > MAX_PATH_LENGTH {
                return Err(self.message(format!(
                    "The document path has too many nesting levels; nesting levels: {}",
                    path.len()
                )));
            }
        }
        Ok(path)
    }

    // --- conditions ---

    fn condition(&mut self) -> Result<Condition, AwsError> {
        self.enter()?;
        let mut left = self.conjunction()?;
        while keyword(self.peek(), "OR") {
            self.next();
            let right = self.conjunction()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        self.leave();
        Ok(left)
    }

    fn conjunction(&mut self) -> Result<Condition, AwsError> {
        let mut left = self.negation()?;
        while keyword(self.peek(), "AND") {
            self.next();
            let right = self.negation()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn negation(&mut self) -> Result<Condition, AwsError> {
        if keyword(self.peek(), "NOT") {
            self.next();
            self.enter()?;
            let inner = self.negation()?;
            self.leave();
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, AwsError> {
        if *self.peek() == Tok::LParen {
            self.next();
            let inner = self.condition()?;
            self.expect(Tok::RParen)?;
            return Ok(inner);
        }
        if let (Tok::Ident(name), Tok::LParen) = (self.peek().clone(), self.peek_at(1)) {
            if let Some(condition) = self.condition_function(&name)? {
                return Ok(condition);
            }
        }
        let left = self.operand()?;
        match self.peek().clone() {
            Tok::Cmp(op) => {
                self.next();
                let right = self.operand()?;
                Ok(Condition::Compare(left, op, right))
            }
            t if keyword(&t, "BETWEEN") => {
                self.next();
                let low = self.operand()?;
                if !keyword(self.peek(), "AND") {
                    return Err(self.error());
                }
                self.next();
                let high = self.operand()?;
                Ok(Condition::Between(left, low, high))
            }
            t if keyword(&t, "IN") => {
                self.next();
                self.expect(Tok::LParen)?;
                let mut list = vec![self.operand()?];
                while *self.peek() == Tok::Comma {
                    self.next();
                    list.push(self.operand()?);
                    if list.len() > MAX_IN_OPERANDS {
                        return Err(self.message(format!(
                            "The IN operator is provided with too many operands; number of operands: {}",
                            list.len()
                        )));
                    }
                }
                self.expect(Tok::RParen)?;
                Ok(Condition::In(left, list))
            }
            _ => Err(self.error()),
        }
    }

    /// A function that is a condition by itself; `None` for `size` (an operand).
    fn condition_function(&mut self, name: &str) -> Result<Option<Condition>, AwsError> {
        let condition = match name {
            "attribute_exists" | "attribute_not_exists" => {
                self.next();
                self.next();
                let path = self.path()?;
                self.expect(Tok::RParen)?;
                if name == "attribute_exists" {
                    Condition::AttributeExists(path)
                } else {
                    Condition::AttributeNotExists(path)
                }
            }
            "attribute_type" => {
                self.next();
                self.next();
                let path = self.path()?;
                self.expect(Tok::Comma)?;
                let kind = self.operand()?;
                self.expect(Tok::RParen)?;
                if let Operand::Value(v) = &kind {
                    const TYPES: [&str; 10] =
                        ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];
                    let valid = matches!(v, AttributeValue::S(t) if TYPES.contains(&t.as_str()));
                    if !valid {
                        let shown = match v {
                            AttributeValue::S(t) => t.clone(),
                            other => other.type_name().to_string(),
                        };
                        return Err(self.message(format!(
                            "Invalid attribute type name found; type: {shown}, valid types: {{ B,N,S,SS,NS,BS,L,M,NULL,BOOL }}"
                        )));
                    }
                }
                Condition::AttributeType(path, kind)
            }
            "begins_with" | "contains" => {
                self.next();
                self.next();
                let a = self.operand()?;
                self.expect(Tok::Comma)?;
                let b = self.operand()?;
                self.expect(Tok::RParen)?;
                if name == "begins_with" {
                    Condition::BeginsWith(a, b)
                } else {
                    Condition::Contains(a, b)
                }
            }
            "size" => return Ok(None),
            "if_not_exists" | "list_append" => {
                return Err(self.message(format!(
                    "The function is not allowed in a condition expression; function: {name}"
                )));
            }
            other => {
                return Err(self.message(format!("Invalid function name; function: {other}")));
            }
        };
        Ok(Some(condition))
    }

    fn operand(&mut self) -> Result<Operand, AwsError> {
        match self.peek().clone() {
            Tok::Value(name) => {
                self.next();
                Ok(Operand::Value(self.value(&name)?))
            }
            Tok::Ident(name) if *self.peek_at(1) == Tok::LParen => {
                if name != "size" {
                    return Err(self.message(format!(
                        "The function is not allowed to be used this way in an expression; function: {name}"
                    )));
                }
                self.next();
                self.next();
                let path = self.path()?;
                self.expect(Tok::RParen)?;
                Ok(Operand::Size(path))
            }
            Tok::Ident(_) | Tok::Name(_) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.error()),
        }
    }

    // --- updates ---

    fn update(&mut self) -> Result<Vec<UpdateAction>, AwsError> {
        let mut actions = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        while *self.peek() != Tok::Eof {
            let Tok::Ident(word) = self.peek().clone() else {
                return Err(self.error());
            };
            let clause = word.to_ascii_uppercase();
            if !["SET", "REMOVE", "ADD", "DELETE"].contains(&clause.as_str()) {
                return Err(self.error());
            }
            if seen.contains(&clause) {
                return Err(self.message(format!(
                    "The \"{clause}\" section can only be used once in an update expression;"
                )));
            }
            seen.push(clause.clone());
            self.next();
            loop {
                let path = self.path()?;
                let action = match clause.as_str() {
                    "SET" => {
                        self.expect(Tok::Cmp(Comparator::Eq))?;
                        UpdateAction::Set(path, self.set_value()?)
                    }
                    "REMOVE" => UpdateAction::Remove(path),
                    _ => {
                        let Tok::Value(name) = self.peek().clone() else {
                            return Err(self.error());
                        };
                        self.next();
                        let value = self.value(&name)?;
                        if clause == "ADD" {
                            UpdateAction::Add(path, value)
                        } else {
                            UpdateAction::Delete(path, value)
                        }
                    }
                };
                actions.push(action);
                if *self.peek() == Tok::Comma {
                    self.next();
                } else {
                    break;
                }
            }
        }
        Ok(actions)
    }

    fn set_value(&mut self) -> Result<SetValue, AwsError> {
        let left = self.set_operand()?;
        match self.peek() {
            Tok::Plus => {
                self.next();
                Ok(SetValue::Plus(left, self.set_operand()?))
            }
            Tok::Minus => {
                self.next();
                Ok(SetValue::Minus(left, self.set_operand()?))
            }
            _ => Ok(SetValue::Operand(left)),
        }
    }

    fn set_operand(&mut self) -> Result<SetOperand, AwsError> {
        match self.peek().clone() {
            Tok::Value(name) => {
                self.next();
                Ok(SetOperand::Value(self.value(&name)?))
            }
            Tok::Ident(name) if *self.peek_at(1) == Tok::LParen => {
                self.next();
                self.next();
                self.enter()?;
                let operand = match name.as_str() {
                    "if_not_exists" => {
                        let path = self.path()?;
                        self.expect(Tok::Comma)?;
                        let fallback = self.set_operand()?;
                        SetOperand::IfNotExists(path, Box::new(fallback))
                    }
                    "list_append" => {
                        let a = self.set_operand()?;
                        self.expect(Tok::Comma)?;
                        let b = self.set_operand()?;
                        SetOperand::ListAppend(Box::new(a), Box::new(b))
                    }
                    "attribute_exists"
                    | "attribute_not_exists"
                    | "attribute_type"
                    | "begins_with"
                    | "contains"
                    | "size" => {
                        return Err(self.message(format!(
                            "The function is not allowed in an update expression; function: {name}"
                        )));
                    }
                    other => {
                        return Err(
                            self.message(format!("Invalid function name; function: {other}"))
                        );
                    }
                };
                self.expect(Tok::RParen)?;
                self.leave();
                Ok(operand)
            }
            Tok::Ident(_) | Tok::Name(_) => Ok(SetOperand::Path(self.path()?)),
            _ => Err(self.error()),
        }
    }
}

/// Parses a ConditionExpression, FilterExpression or KeyConditionExpression (`kind` names it in
/// messages).
pub fn parse_condition(
    src: &str,
    kind: &'static str,
    subs: &mut Substitutions<'_>,
) -> Result<Condition, AwsError> {
    let mut parser = Parser::new(src, kind, subs)?;
    let condition = parser.condition()?;
    parser.expect_end()?;
    Ok(condition)
}

/// Parses an UpdateExpression and refuses overlapping paths.
pub fn parse_update(
    src: &str,
    subs: &mut Substitutions<'_>,
) -> Result<Vec<UpdateAction>, AwsError> {
    let mut parser = Parser::new(src, "UpdateExpression", subs)?;
    let actions = parser.update()?;
    parser.expect_end()?;
    for (i, a) in actions.iter().enumerate() {
        for b in &actions[i + 1..] {
            let (pa, pb) = (a.path(), b.path());
            if pa.starts_with(pb) || pb.starts_with(pa) {
                let kind = if pa == pb { "overlap" } else { "overlap" };
                return Err(validation(format!(
                    "Invalid UpdateExpression: Two document paths {kind} with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                    show_path(pa),
                    show_path(pb)
                )));
            }
        }
    }
    Ok(actions)
}

/// Parses a ProjectionExpression: paths separated by commas.
pub fn parse_projection(src: &str, subs: &mut Substitutions<'_>) -> Result<Vec<Path>, AwsError> {
    let mut parser = Parser::new(src, "ProjectionExpression", subs)?;
    let mut paths = vec![parser.path()?];
    while *parser.peek() == Tok::Comma {
        parser.next();
        paths.push(parser.path()?);
    }
    parser.expect_end()?;
    Ok(paths)
}

/// DynamoDB's reserved words (a subset of its list: the ones applications trip over).
const RESERVED: &[&str] = &[
    "ABORT",
    "ABSOLUTE",
    "ACTION",
    "ADD",
    "ALL",
    "ALTER",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "AT",
    "ATTRIBUTE",
    "AVG",
    "BEGIN",
    "BETWEEN",
    "BINARY",
    "BLOB",
    "BOOLEAN",
    "BOTH",
    "BY",
    "CALL",
    "CASE",
    "CAST",
    "CHAR",
    "CHECK",
    "COLUMN",
    "COMMENT",
    "COMMIT",
    "CONDITION",
    "CONNECTION",
    "COUNT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURSOR",
    "DATA",
    "DATABASE",
    "DATE",
    "DAY",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DOUBLE",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "EXISTS",
    "EXIT",
    "FALSE",
    "FETCH",
    "FILTER",
    "FIRST",
    "FLOAT",
    "FOR",
    "FROM",
    "FULL",
    "FUNCTION",
    "GET",
    "GLOBAL",
    "GROUP",
    "HASH",
    "HAVING",
    "HOUR",
    "IF",
    "IN",
    "INDEX",
    "INSERT",
    "INTEGER",
    "INTO",
    "IS",
    "ITEM",
    "ITEMS",
    "JOIN",
    "KEY",
    "KEYS",
    "LANGUAGE",
    "LAST",
    "LEVEL",
    "LIKE",
    "LIMIT",
    "LIST",
    "LOCAL",
    "LOCATION",
    "MAP",
    "MAX",
    "MIN",
    "MINUTE",
    "MONTH",
    "NAME",
    "NAMES",
    "NEW",
    "NEXT",
    "NO",
    "NOT",
    "NULL",
    "NUMBER",
    "OBJECT",
    "OF",
    "OFFSET",
    "OLD",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OWNER",
    "PARTITION",
    "PASSWORD",
    "PATH",
    "PERCENT",
    "POSITION",
    "PRIMARY",
    "PUBLIC",
    "QUERY",
    "RANGE",
    "RAW",
    "READ",
    "REFERENCE",
    "REGION",
    "REMOVE",
    "RENAME",
    "REPLACE",
    "RESULT",
    "RETURN",
    "ROLE",
    "ROW",
    "ROWS",
    "SCHEMA",
    "SECOND",
    "SELECT",
    "SESSION",
    "SET",
    "SIZE",
    "SOURCE",
    "SPACE",
    "START",
    "STATE",
    "STATUS",
    "STRING",
    "SUM",
    "SYSTEM",
    "TABLE",
    "THEN",
    "TIME",
    "TIMESTAMP",
    "TO",
    "TOKEN",
    "TOTAL",
    "TRUE",
    "TTL",
    "TYPE",
    "UNIQUE",
    "UPDATE",
    "USER",
    "USERS",
    "USING",
    "VALUE",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHERE",
    "WITH",
    "WRITE",
    "YEAR",
    "ZONE",
];

fn is_reserved(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    RESERVED.contains(&upper.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs_fixture() -> (BTreeMap<String, String>, BTreeMap<String, AttributeValue>) {
        let names = BTreeMap::from([
            ("#s".to_string(), "status".to_string()),
            ("#n".to_string(), "name".to_string()),
        ]);
        let values = BTreeMap::from([
            (":a".to_string(), AttributeValue::S("x".into())),
            (
                ":n".to_string(),
                AttributeValue::N(
                    crate::number::Number::parse("1")
                        .unwrap_or_else(|_| crate::number::Number::zero()),
                ),
            ),
            (":t".to_string(), AttributeValue::S("N".into())),
        ]);
        (names, values)
    }

    fn attr(name: &str) -> PathElement {
        PathElement::Attribute(name.into())
    }

    #[test]
    fn conditions_parse_with_precedence() {
        let (names, values) = subs_fixture();
        let cases: &[(&str, &str)] = &[
            (
                "a = :a",
                "Compare(Path([Attribute(\"a\")]), Eq, Value(S(\"x\")))",
            ),
            ("a = :a OR b = :a AND c = :a", "Or(Compare"),
            ("NOT a = :a", "Not(Compare"),
            ("(a = :a OR b = :a) AND c = :a", "And(Or("),
            ("a BETWEEN :n AND :n", "Between("),
            ("a IN (:a, :n)", "In("),
            (
                "attribute_exists(#s)",
                "AttributeExists([Attribute(\"status\")])",
            ),
            (
                "attribute_not_exists(a.b[3])",
                "AttributeNotExists([Attribute(\"a\"), Attribute(\"b\"), Index(3)])",
            ),
            ("attribute_type(a, :t)", "AttributeType("),
            (
                "begins_with(#n, :a)",
                "BeginsWith(Path([Attribute(\"name\")])",
            ),
            ("contains(a, :a)", "Contains("),
            ("size(a) > :n", "Compare(Size("),
            (
                "a <> :a and not b < :n",
                "And(Compare(Path([Attribute(\"a\")]), Ne",
            ),
        ];
        for (src, prefix) in cases {
            let mut subs = Substitutions::new(&names, &values);
            let parsed = parse_condition(src, "ConditionExpression", &mut subs)
                .unwrap_or_else(|e| panic!("{src}: {e}"));
            let shown = format!("{parsed:?}");
            assert!(shown.starts_with(prefix), "{src} parsed as {shown}");
        }
    }

    #[test]
    fn condition_errors_are_dynamodbs() {
        let (names, values) = subs_fixture();
        let cases: &[(&str, &str)] = &[
            (
                "a = ",
                "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \"",
            ),
            (
                "a == :a",
                "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"==\"",
            ),
            (
                "a = :zz",
                "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :zz",
            ),
            (
                "#zz = :a",
                "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #zz",
            ),
            (
                "status = :a",
                "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status",
            ),
            (
                "foo(a)",
                "Invalid ConditionExpression: Invalid function name; function: foo",
            ),
            (
                "attribute_type(a, :a)",
                "Invalid ConditionExpression: Invalid attribute type name found; type: x, valid types: { B,N,S,SS,NS,BS,L,M,NULL,BOOL }",
            ),
            (
                "",
                "Invalid ConditionExpression: The expression can not be empty;",
            ),
            (
                "a = :a $",
                "Invalid ConditionExpression: Syntax error; token: \"$\", near: \":a $\"",
            ),
            (
                "(a = :a",
                "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":a\"",
            ),
        ];
        for (src, message) in cases {
            let mut subs = Substitutions::new(&names, &values);
            let err = parse_condition(src, "ConditionExpression", &mut subs)
                .err()
                .unwrap_or_else(|| panic!("{src} parsed"));
            assert_eq!(err.message, *message, "{src}");
            assert_eq!(err.code, "ValidationException");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let (names, values) = subs_fixture();
        let deep = format!("{}a = :a{}", "(".repeat(10_000), ")".repeat(10_000));
        let mut subs = Substitutions::new(&names, &values);
        assert!(parse_condition(&deep, "ConditionExpression", &mut subs).is_err());
        let nots = format!("{}a = :a", "NOT ".repeat(10_000));
        let mut subs = Substitutions::new(&names, &values);
        assert!(parse_condition(&nots, "ConditionExpression", &mut subs).is_err());
        let ok = format!("{}a = :a{}", "(".repeat(5), ")".repeat(5));
        let mut subs = Substitutions::new(&names, &values);
        assert!(parse_condition(&ok, "ConditionExpression", &mut subs).is_ok());
    }

    #[test]
    fn updates_parse_and_refuse_overlaps() {
        let (names, values) = subs_fixture();
        let mut subs = Substitutions::new(&names, &values);
        let actions = parse_update(
            "SET a = :n, b = b + :n, c = list_append(c, :a), d = if_not_exists(d, :n) REMOVE e[1], f ADD g :n DELETE h :a",
            &mut subs,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(actions.len(), 8);
        assert_eq!(
            actions[4],
            UpdateAction::Remove(vec![attr("e"), PathElement::Index(1)])
        );
        assert!(matches!(
            &actions[1],
            UpdateAction::Set(_, SetValue::Plus(..))
        ));
        let bad: &[(&str, &str)] = &[
            (
                "SET a = :n, a.b = :n",
                "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]",
            ),
            (
                "SET a = :n SET b = :n",
                "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;",
            ),
            (
                "SET a :n",
                "Invalid UpdateExpression: Syntax error; token: \":n\", near: \"a :n\"",
            ),
            (
                "PUT a = :n",
                "Invalid UpdateExpression: Syntax error; token: \"PUT\", near: \"PUT\"",
            ),
            (
                "SET a = size(b)",
                "Invalid UpdateExpression: The function is not allowed in an update expression; function: size",
            ),
        ];
        for (src, message) in bad {
            let mut subs = Substitutions::new(&names, &values);
            let err = parse_update(src, &mut subs)
                .err()
                .unwrap_or_else(|| panic!("{src}"));
            assert_eq!(err.message, *message, "{src}");
        }
    }

    #[test]
    fn unused_substitutions_are_refused() {
        let (names, values) = subs_fixture();
        let mut subs = Substitutions::new(&names, &values);
        let _ = parse_condition("#s = :a", "ConditionExpression", &mut subs);
        let err = subs.check_all_used().err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {:n, :t}"
            )
        );
        let no_values = BTreeMap::new();
        let mut subs = Substitutions::new(&names, &no_values);
        let _ = parse_projection("#s, a.b[0]", &mut subs);
        let err = subs.check_all_used().err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some("Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}")
        );
    }
}
