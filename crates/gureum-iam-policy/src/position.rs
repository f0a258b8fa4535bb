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

/// Where IAM says each statement of `doc` is, in document order, as `SimulatePrincipalPolicy`
/// reports it: a statement in a list starts right after the token before it (the `[`, or the
/// end of the previous statement: the comma is not read yet) and ends right after its `}`; a
/// lone statement object starts right after its `{`. Empty when the document does not have
/// that shape.
pub fn statement_spans(doc: &str) -> Vec<(Position, Position)> {
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
                b'{' => out.push((i + 1, value_end)),
                b'[' => {
                    let mut previous_end = i + 1;
                    let mut j = i + 1;
                    loop {
                        j = ws(b, j);
                        match b.get(j)? {
                            b']' => break,
                            b',' => j += 1,
                            c => {
                                let end = skip(b, j)?;
                                if *c == b'{' {
                                    out.push((previous_end, end));
                                }
                                previous_end = end;
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
                        depth = depth.checked_sub(1)?;
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
    fn spans_as_iam_reports_them() {
        // Documents IAM was asked about, and the positions it answered.
        let compact = concat!(
            r#"{"Version":"2012-10-17","Statement":["#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
        );
        let two = concat!(
            r#"{"Version":"2012-10-17","Statement":["#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Sid":"First"},"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Sid":"Second"}]}"#
        );
        let pretty = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "*",
      "Sid": "First"
    },
    {
      "Effect": "Deny",
      "Action": "s3:PutObject",
      "Resource": "*",
      "Sid": "Second"
    }
  ]
}"#;
        let crlf = concat!(
            " \r\n{\r\n  \"Version\": \"2012-10-17\",\r\n  \"Statement\": [\r\n    {\r\n",
            "      \"Effect\": \"Allow\",\r\n      \"Action\": \"s3:GetObject\",\r\n",
            "      \"Resource\": \"*\"\r\n    }\r\n  ]\r\n}\r\n "
        );
        let lone =
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#;
        let lone_versioned = concat!(
            r#"{"Version": "2012-10-17", "Statement": "#,
            r#"{"Sid": "", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}}"#
        );
        let cases: &[(&str, &[((u32, u32), (u32, u32))])] = &[
            (compact, &[((1, 38), (1, 95))]),
            (two, &[((1, 38), (1, 109)), ((1, 109), (1, 182))]),
            (pretty, &[((3, 17), (9, 6)), ((9, 6), (15, 6))]),
            (crlf, &[((4, 17), (9, 6))]),
            (lone, &[((1, 16), (1, 77))]),
            (lone_versioned, &[((1, 41), (1, 113))]),
            ("not json", &[]),
            ("{\"Statement\":{\"a\":[1,{}]}}", &[((1, 15), (1, 26))]),
        ];
        for (doc, want) in cases {
            let got: Vec<_> = statement_spans(doc)
                .into_iter()
                .map(|(a, b)| ((a.line, a.column), (b.line, b.column)))
                .collect();
            assert_eq!(got, *want, "{doc}");
        }
    }
}
