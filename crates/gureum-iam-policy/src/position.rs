//! Where each statement sits in the document text, for `SimulatePrincipalPolicy`'s
//! `MatchedStatements` (`StartPosition`/`EndPosition`).
//!
//! The document has already been parsed as JSON; this only walks it again to find the byte
//! ranges of the `Statement` objects, without recursion.

/// A place in a policy document: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// The start and end (the braces) of every statement object, in document order. Empty when the
/// document does not have the expected shape.
pub(crate) fn statement_spans(doc: &str) -> Vec<(Position, Position)> {
    let bytes = doc.as_bytes();
    let mut offsets = Vec::new();
    let _ = scan(bytes, &mut offsets);
    offsets
        .into_iter()
        .map(|(start, end)| (position(doc, start), position(doc, end)))
        .collect()
}

fn scan(b: &[u8], out: &mut Vec<(usize, usize)>) -> Option<()> {
    let mut i = ws(b, 0);
    expect(b, i, b'{')?;
    i += 1;
    loop {
        i = ws(b, i);
        match b.get(i)? {
            b'}' => return Some(()),
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_end = skip(b, i)?;
        let is_statement = &b[i..key_end] == b"\"Statement\"";
        i = ws(b, key_end);
        expect(b, i, b':')?;
        i = ws(b, i + 1);
        let value_end = skip(b, i)?;
        if is_statement {
            match b.get(i)? {
                b'{' => out.push((i, value_end - 1)),
                b'[' => {
                    let mut j = i + 1;
                    loop {
                        j = ws(b, j);
                        match b.get(j)? {
                            b']' => break,
                            b',' => j += 1,
                            c => {
                                let end = skip(b, j)?;
                                if *c == b'{' {
                                    out.push((j, end - 1));
                                }
                                j = end;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        i = value_end;
    }
}

fn expect(b: &[u8], i: usize, c: u8) -> Option<()> {
    (b.get(i) == Some(&c)).then_some(())
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The index just past the JSON value starting at `i`.
fn skip(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len()
                && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'-' | b'+' | b'.'))
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

fn position(doc: &str, offset: usize) -> Position {
    let before = &doc.as_bytes()[..offset.min(doc.len())];
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let line = before.iter().filter(|&&c| c == b'\n').count() as u32 + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u32
        + 1;
    Position { line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans() {
        let doc = "{\"Version\":\"2012-10-17\",\n \"Statement\": [\n  {\"Effect\":\"Allow\"},\n  {\"Sid\":\"}\"}\n ]}";
        let spans = statement_spans(doc);
        assert_eq!(
            spans,
            vec![
                (
                    Position { line: 3, column: 3 },
                    Position {
                        line: 3,
                        column: 20
                    }
                ),
                (
                    Position { line: 4, column: 3 },
                    Position {
                        line: 4,
                        column: 13
                    }
                ),
            ]
        );
        let single = statement_spans("{\"Statement\":{\"a\":[1,{}]}}");
        assert_eq!(single.len(), 1);
    }
}
