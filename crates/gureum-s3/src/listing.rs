//! The listing logic of ListObjects(V2) and ListMultipartUploads, independent of storage: keys
//! under a prefix, rolled up into common prefixes at a delimiter, a page at a time.

use base64::Engine;

/// Where a listing resumes: at a key, just after a key, or just after every key that starts
/// with a common prefix already answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    From(String),
    After(String),
    PastPrefix(String),
}

impl Cursor {
    /// The opaque continuation token of ListObjectsV2.
    pub fn to_token(&self) -> String {
        let text = match self {
            Cursor::From(k) => format!("F{k}"),
            Cursor::After(k) => format!("A{k}"),
            Cursor::PastPrefix(p) => format!("P{p}"),
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }

    pub fn from_token(token: &str) -> Option<Cursor> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let rest = text.get(1..)?.to_string();
        match text.as_bytes().first()? {
            b'F' => Some(Cursor::From(rest)),
            b'A' => Some(Cursor::After(rest)),
            b'P' => Some(Cursor::PastPrefix(rest)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<T> {
    Object(String, T),
    CommonPrefix(String),
}

#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<Item<T>>,
    /// Where the next page starts, when there is one.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// The last key or common prefix answered: v1's `NextMarker`.
    pub fn last_marker(&self) -> Option<&str> {
        self.items.last().map(|item| match item {
            Item::Object(k, _) => k.as_str(),
            Item::CommonPrefix(p) => p.as_str(),
        })
    }
}

/// The cursor a v1 marker or v2 start-after stands for: past a common prefix when the marker is
/// one, else just after the marker.
pub fn cursor_after(marker: &str, prefix: &str, delimiter: Option<&str>) -> Cursor {
    if let (Some(d), Some(rest)) = (
        delimiter.filter(|d| !d.is_empty()),
        marker.strip_prefix(prefix),
    ) {
        if let Some(pos) = rest.find(d) {
            if pos + d.len() == rest.len() {
                return Cursor::PastPrefix(marker.to_string());
            }
        }
    }
    Cursor::After(marker.to_string())
}

/// Lists up to `max` items under `prefix` starting at `cursor`. `fetch(cursor, n)` answers up
/// to `n` entries at or after the cursor whose keys start with `prefix`, in key order.
pub fn list<T, E>(
    prefix: &str,
    delimiter: Option<&str>,
    cursor: Cursor,
    max: usize,
    mut fetch: impl FnMut(&Cursor, usize) -> Result<Vec<(String, T)>, E>,
) -> Result<Page<T>, E> {
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let mut items = Vec::new();
    let mut cursor = cursor;
    const BATCH: usize = 1000;
    loop {
        let batch = fetch(&cursor, BATCH)?;
        let exhausted = batch.len() < BATCH;
        if batch.is_empty() {
            return Ok(Page { items, next: None });
        }
        let mut restart = false;
        for (key, value) in batch {
            let common = delimiter.and_then(|d| {
                let rest = key.get(prefix.len()..)?;
                rest.find(d)
                    .map(|pos| key[..prefix.len() + pos + d.len()].to_string())
            });
            if items.len() >= max {
                return Ok(Page {
                    next: Some(cursor),
                    items,
                });
            }
            match common {
                Some(cp) => {
                    items.push(Item::CommonPrefix(cp.clone()));
                    cursor = Cursor::PastPrefix(cp);
                    restart = true;
                    break;
                }
                None => {
                    cursor = Cursor::After(key.clone());
                    items.push(Item::Object(key, value));
                }
            }
        }
        if !restart && exhausted {
            return Ok(Page { items, next: None });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetcher<'a>(
        keys: &'a [&'a str],
        prefix: &'a str,
    ) -> impl FnMut(&Cursor, usize) -> Result<Vec<(String, ())>, ()> + 'a {
        move |cursor, n| {
            Ok(keys
                .iter()
                .filter(|k| k.starts_with(prefix))
                .filter(|k| match cursor {
                    Cursor::From(c) => **k >= c.as_str(),
                    Cursor::After(c) => **k > c.as_str(),
                    Cursor::PastPrefix(p) => !k.starts_with(p.as_str()) && **k > p.as_str(),
                })
                .take(n)
                .map(|k| (k.to_string(), ()))
                .collect())
        }
    }

    fn names(page: &Page<()>) -> Vec<String> {
        page.items
            .iter()
            .map(|i| match i {
                Item::Object(k, _) => k.clone(),
                Item::CommonPrefix(p) => format!("{p}*"),
            })
            .collect()
    }

    const KEYS: [&str; 8] = ["a", "b/1", "b/2", "b/c/3", "c", "d/1", "d/2", "e"];

    #[test]
    fn delimiter_rolls_up_common_prefixes() {
        let page = list(
            "",
            Some("/"),
            Cursor::From(String::new()),
            1000,
            fetcher(&KEYS, ""),
        )
        .unwrap();
        assert_eq!(names(&page), ["a", "b/*", "c", "d/*", "e"]);
        assert_eq!(page.next, None);
        let page = list(
            "b/",
            Some("/"),
            Cursor::From("b/".into()),
            1000,
            fetcher(&KEYS, "b/"),
        )
        .unwrap();
        assert_eq!(names(&page), ["b/1", "b/2", "b/c/*"]);
        let page = list(
            "",
            None,
            Cursor::From(String::new()),
            1000,
            fetcher(&KEYS, ""),
        )
        .unwrap();
        assert_eq!(page.items.len(), 8);
    }

    #[test]
    fn pages_resume_where_they_stopped() {
        let mut seen = Vec::new();
        let mut cursor = Cursor::From(String::new());
        loop {
            let page = list("", Some("/"), cursor, 2, fetcher(&KEYS, "")).unwrap();
            assert!(page.items.len() <= 2);
            seen.extend(names(&page));
            match page.next {
                Some(next) => cursor = Cursor::from_token(&next.to_token()).unwrap(),
                None => break,
            }
        }
        assert_eq!(seen, ["a", "b/*", "c", "d/*", "e"]);
        // A page that ends exactly at the last item is not truncated.
        let page = list(
            "",
            Some("/"),
            Cursor::After("d/".into()),
            1,
            fetcher(&KEYS, ""),
        )
        .unwrap();
        assert_eq!(names(&page), ["d/*"]);
        let page = list("", None, Cursor::After("d/2".into()), 1, fetcher(&KEYS, "")).unwrap();
        assert_eq!((names(&page), page.next), (vec!["e".to_string()], None));
    }

    #[test]
    fn markers_and_tokens() {
        assert_eq!(
            cursor_after("b/", "", Some("/")),
            Cursor::PastPrefix("b/".into())
        );
        assert_eq!(
            cursor_after("b/1", "", Some("/")),
            Cursor::After("b/1".into())
        );
        assert_eq!(cursor_after("b/", "", None), Cursor::After("b/".into()));
        let page = list(
            "",
            Some("/"),
            cursor_after("b/", "", Some("/")),
            10,
            fetcher(&KEYS, ""),
        )
        .unwrap();
        assert_eq!(names(&page), ["c", "d/*", "e"]);
        assert_eq!(Cursor::from_token("!!"), None);
        assert_eq!(Cursor::from_token(""), None);
        let zero = list("", None, Cursor::From(String::new()), 0, fetcher(&KEYS, "")).unwrap();
        assert!(zero.items.is_empty() && zero.next.is_some());
    }
}
