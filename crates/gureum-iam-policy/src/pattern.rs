//! Wildcard patterns (`*` any run, `?` one character) with policy variables (`${aws:username}`),
//! compiled once and matched without allocating.

use crate::request::ConditionContext;

/// A policy variable: a condition key (lower-cased) and an optional default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    key: Box<str>,
    default: Option<Box<str>>,
}

impl Variable {
    fn resolve<'c>(&'c self, context: &'c ConditionContext) -> Option<&'c str> {
        context.first_folded(&self.key).or(self.default.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Literal(Box<str>),
    /// `*`: any run of characters, the empty one included.
    Star,
    /// `?`: exactly one character.
    Question,
    Variable(Variable),
}

/// A compiled pattern. The common shapes (`*`, exact, `prefix*`, `*suffix`) get their own fast
/// forms; anything else is a token list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    Any,
    Exact(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Tokens(Box<[Token]>),
}

impl Pattern {
    /// Compiles `text`. With `wildcards`, `*` and `?` are wildcards; with `variables`,
    /// `${key}`, `${key, 'default'}`, `${*}`, `${?}` and `${$}` are policy variables.
    pub(crate) fn compile(text: &str, wildcards: bool, variables: bool) -> Pattern {
        let tokens = tokenize(text, wildcards, variables);
        match tokens.as_slice() {
            [] => Pattern::Exact("".into()),
            [Token::Star] => Pattern::Any,
            [Token::Literal(s)] => Pattern::Exact(s.clone()),
            [Token::Literal(s), Token::Star] => Pattern::Prefix(s.clone()),
            [Token::Star, Token::Literal(s)] => Pattern::Suffix(s.clone()),
            _ => Pattern::Tokens(tokens.into_boxed_slice()),
        }
    }

    /// Whether `value` matches. `fold_case` compares ASCII letters case-insensitively. A
    /// variable that the context cannot resolve (and that has no default) makes the pattern
    /// match nothing.
    pub(crate) fn matches(&self, value: &str, fold_case: bool, context: &ConditionContext) -> bool {
        let v = value.as_bytes();
        match self {
            Pattern::Any => true,
            Pattern::Exact(s) => v.len() == s.len() && bytes_eq(v, s.as_bytes(), fold_case),
            Pattern::Prefix(s) => {
                v.len() >= s.len() && bytes_eq(&v[..s.len()], s.as_bytes(), fold_case)
            }
            Pattern::Suffix(s) => {
                v.len() >= s.len() && bytes_eq(&v[v.len() - s.len()..], s.as_bytes(), fold_case)
            }
            Pattern::Tokens(tokens) => glob(tokens, v, fold_case, context),
        }
    }
}

fn bytes_eq(a: &[u8], b: &[u8], fold_case: bool) -> bool {
    if fold_case {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn starts_with_at(v: &[u8], at: usize, s: &[u8], fold_case: bool) -> bool {
    v.len() - at >= s.len() && bytes_eq(&v[at..at + s.len()], s, fold_case)
}

/// The index just past the UTF-8 character starting at `at`.
fn next_char(v: &[u8], mut at: usize) -> usize {
    at += 1;
    while at < v.len() && (v[at] & 0b1100_0000) == 0b1000_0000 {
        at += 1;
    }
    at
}

/// Glob matching with backtracking to the last `*` only: linear in practice, and exact because
/// every literal run between two stars is matched greedily at the earliest place it fits.
fn glob(tokens: &[Token], v: &[u8], fold_case: bool, context: &ConditionContext) -> bool {
    let (mut ti, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if ti < tokens.len() {
            match &tokens[ti] {
                Token::Star => {
                    star = Some((ti + 1, vi));
                    ti += 1;
                    continue;
                }
                Token::Question => {
                    if vi < v.len() {
                        vi = next_char(v, vi);
                        ti += 1;
                        continue;
                    }
                }
                Token::Literal(s) => {
                    if starts_with_at(v, vi, s.as_bytes(), fold_case) {
                        vi += s.len();
                        ti += 1;
                        continue;
                    }
                }
                Token::Variable(var) => match var.resolve(context) {
                    Some(s) => {
                        if starts_with_at(v, vi, s.as_bytes(), fold_case) {
                            vi += s.len();
                            ti += 1;
                            continue;
                        }
                    }
                    None => return false,
                },
            }
        } else if vi == v.len() {
            return true;
        }
        match star {
            Some((star_ti, star_vi)) if star_vi < v.len() => {
                let next = next_char(v, star_vi);
                star = Some((star_ti, next));
                ti = star_ti;
                vi = next;
            }
            _ => return false,
        }
    }
}

fn tokenize(text: &str, wildcards: bool, variables: bool) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if variables && rest.starts_with("${") {
            if let Some(end) = rest.find('}') {
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match inner {
                    "*" | "?" | "$" => literal.push_str(inner),
                    _ => {
                        if !literal.is_empty() {
                            tokens.push(Token::Literal(std::mem::take(&mut literal).into()));
                        }
                        tokens.push(Token::Variable(variable(inner)));
                    }
                }
                continue;
            }
        }
        rest = &rest[c.len_utf8()..];
        if wildcards && (c == '*' || c == '?') {
            if !literal.is_empty() {
                tokens.push(Token::Literal(std::mem::take(&mut literal).into()));
            }
            if c == '*' {
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
            } else {
                tokens.push(Token::Question);
            }
        } else {
            literal.push(c);
        }
    }
    if !literal.is_empty() {
        tokens.push(Token::Literal(literal.into()));
    }
    tokens
}

/// `aws:username` or `aws:username, 'default'`.
fn variable(inner: &str) -> Variable {
    if let Some((key, default)) = inner.split_once(',') {
        let default = default.trim();
        if default.len() >= 2 && default.starts_with('\'') && default.ends_with('\'') {
            return Variable {
                key: key.trim().to_ascii_lowercase().into(),
                default: Some(default[1..default.len() - 1].into()),
            };
        }
    }
    Variable {
        key: inner.trim().to_ascii_lowercase().into(),
        default: None,
    }
}

/// An ARN pattern for the `Arn*` condition operators: each of the six colon-separated parts is
/// matched on its own (the last part, the resource, may itself hold colons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    Segments(Box<[Pattern; 6]>),
    /// A pattern with fewer than six parts (`*`, `arn:aws:iam::*`): matched as a whole.
    Whole(Pattern),
}

impl ArnPattern {
    pub(crate) fn compile(text: &str, variables: bool) -> ArnPattern {
        let whole = || ArnPattern::Whole(Pattern::compile(text, true, variables));
        let tokens = tokenize(text, true, variables);
        let mut segments: Vec<Vec<Token>> = vec![Vec::new()];
        for token in tokens {
            match token {
                Token::Literal(s) if segments.len() < 6 && s.contains(':') => {
                    let mut parts = s.splitn(7 - segments.len(), ':');
                    if let Some(first) = parts.next() {
                        push_literal(&mut segments, first);
                    }
                    for part in parts {
                        segments.push(Vec::new());
                        push_literal(&mut segments, part);
                    }
                }
                other => {
                    if let Some(last) = segments.last_mut() {
                        last.push(other);
                    }
                }
            }
        }
        if segments.len() != 6 {
            return whole();
        }
        let compiled: Vec<Pattern> = segments.into_iter().map(from_tokens).collect();
        match <[Pattern; 6]>::try_from(compiled) {
            Ok(array) => ArnPattern::Segments(Box::new(array)),
            Err(_) => whole(),
        }
    }

    pub(crate) fn matches(&self, value: &str, context: &ConditionContext) -> bool {
        match self {
            ArnPattern::Whole(pattern) => pattern.matches(value, false, context),
            ArnPattern::Segments(patterns) => {
                let mut parts = value.splitn(6, ':');
                for pattern in patterns.iter() {
                    match parts.next() {
                        Some(part) if pattern.matches(part, false, context) => {}
                        _ => return false,
                    }
                }
                true
            }
        }
    }
}

fn push_literal(segments: &mut [Vec<Token>], s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(last) = segments.last_mut() {
        last.push(Token::Literal(s.into()));
    }
}

fn from_tokens(tokens: Vec<Token>) -> Pattern {
    match tokens.as_slice() {
        [] => Pattern::Exact("".into()),
        [Token::Star] => Pattern::Any,
        [Token::Literal(s)] => Pattern::Exact(s.clone()),
        [Token::Literal(s), Token::Star] => Pattern::Prefix(s.clone()),
        [Token::Star, Token::Literal(s)] => Pattern::Suffix(s.clone()),
        _ => Pattern::Tokens(tokens.into_boxed_slice()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, value: &str, expect: bool) {
        let ctx = ConditionContext::new();
        let p = Pattern::compile(pattern, true, true);
        assert_eq!(
            p.matches(value, false, &ctx),
            expect,
            "{pattern} vs {value}"
        );
    }

    #[test]
    fn wildcards() {
        check("*", "", true);
        check("a*c", "abbbc", true);
        check("a*c", "abbbd", false);
        check("a?c", "abc", true);
        check("a?c", "ac", false);
        check("a?c", "a한c", true);
        check("*b*b*", "abxbx", true);
        check("*b*b*", "abx", false);
        check("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", true);
        check("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket2/a", false);
        check("a**b", "ab", true);
        check("${*}", "*", true);
        check("${*}", "x", false);
        check("a${?}", "a?", true);
        check("a${$}", "a$", true);
    }

    #[test]
    fn variables() {
        let mut ctx = ConditionContext::new();
        ctx.set("aws:username", "alice");
        let p = Pattern::compile("home/${aws:username}/*", true, true);
        assert!(p.matches("home/alice/x", false, &ctx));
        assert!(!p.matches("home/bob/x", false, &ctx));
        assert!(!p.matches("home/alice/x", false, &ConditionContext::new()));
        let d = Pattern::compile("home/${aws:username, 'nobody'}", true, true);
        assert!(d.matches("home/nobody", false, &ConditionContext::new()));
        let literal = Pattern::compile("home/${aws:username}", true, false);
        assert!(literal.matches("home/${aws:username}", false, &ctx));
    }

    #[test]
    fn arn_segments() {
        let ctx = ConditionContext::new();
        let p = ArnPattern::compile("arn:aws:ec2:*:*:instance/*", false);
        assert!(p.matches("arn:aws:ec2:us-east-1:123456789012:instance/i-1", &ctx));
        assert!(!p.matches("arn:aws:s3:::instance/i-1", &ctx));
        let any = ArnPattern::compile("*", false);
        assert!(any.matches("arn:aws:s3:::b", &ctx));
        let exact = ArnPattern::compile("arn:aws:sns:us-east-1:1:topic:sub", false);
        assert!(exact.matches("arn:aws:sns:us-east-1:1:topic:sub", &ctx));
        assert!(!exact.matches("arn:aws:sns:us-east-1:1:topic", &ctx));
    }
}
