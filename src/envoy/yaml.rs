//! A small, span-carrying document tree for Envoy configs, read with saphyr (YAML 1.2, so JSON
//! files go through the same reader). saphyr markers count characters; every node here carries a
//! global byte [`Span`] so findings point at the exact text in any file, ASCII or not.

use crate::source::{SourceFile, Span};
use crate::yaml::CharOffsets;
use saphyr::{MarkedYaml, Scalar, YamlData};

/// A value in an Envoy config.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Map(Vec<(Key, Node)>),
    Seq(Vec<Node>),
    /// A string as the config means it (quotes and escapes removed).
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// For scalars: the scalar as written (quotes included); for collections: from the first
    /// character of the collection to where saphyr ends it.
    pub span: Span,
    /// The scalar was quoted (`"15"` is a string even though it reads as a number).
    pub quoted: bool,
    /// A flow collection (`{...}`, `[...]`, all of JSON): its span is exact, brackets included.
    pub flow: bool,
}

/// A malformed document: the message and the local byte offset it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

/// Parses a YAML or JSON document. Empty documents give `Value::Null`; a stream of several
/// documents gives the first (Envoy reads one).
pub fn parse(file: &SourceFile) -> Result<Node, SyntaxError> {
    let text: &str = &file.text;
    let offsets = CharOffsets::new(text);
    // A byte-order mark is not part of the document.
    let docs = match crate::yaml::load(text) {
        Ok(d) => d,
        Err(e) => return Err(SyntaxError { message: e.message, offset: e.offset }),
    };
    let conv = Conv { file, offsets };
    Ok(match docs.first() {
        Some(d) => conv.node(d, 0),
        None => Node { value: Value::Null, span: file.span(0, 0), quoted: false, flow: false },
    })
}

struct Conv<'a> {
    file: &'a SourceFile,
    offsets: CharOffsets,
}

/// Deeper than any real config; keeps a hostile file from exhausting the stack.
const MAX_DEPTH: usize = 256;

impl Conv<'_> {
    fn span(&self, s: &saphyr::MarkedYaml<'_>) -> Span {
        let a = self.offsets.byte(s.span.start.index());
        let b = self.offsets.byte(s.span.end.index()).max(a);
        self.file.span(a, b)
    }

    fn node(&self, y: &MarkedYaml<'_>, depth: usize) -> Node {
        let span = self.span(y);
        let mut quoted = false;
        let value = if depth > MAX_DEPTH {
            Value::Null
        } else {
            match &y.data {
                YamlData::Value(s) => scalar(s),
                YamlData::Representation(s, style, _) => {
                    quoted = *style != saphyr::ScalarStyle::Plain;
                    if quoted {
                        Value::Str(s.to_string())
                    } else {
                        scalar(&Scalar::parse_from_cow(s.clone()))
                    }
                }
                YamlData::Sequence(items) => Value::Seq(items.iter().map(|i| self.node(i, depth + 1)).collect()),
                YamlData::Mapping(m) => Value::Map(
                    m.iter()
                        .map(|(k, v)| {
                            let kn = self.node(k, depth + 1);
                            let text = kn.text().unwrap_or_default();
                            (Key { text, span: kn.span }, self.node(v, depth + 1))
                        })
                        .collect(),
                ),
                YamlData::Tagged(_, inner) => return self.node(inner, depth + 1),
                YamlData::Alias(_) | YamlData::BadValue => Value::Null,
            }
        };
        if let YamlData::Value(Scalar::String(_)) = &y.data {
            // saphyr resolves quoted scalars to strings; the first character tells.
            let t = self.file.slice(span);
            quoted = t.starts_with('"') || t.starts_with('\'');
        }
        let open = self.file.slice(span).chars().next();
        let flow = matches!(value, Value::Map(_) | Value::Seq(_)) && matches!(open, Some('{' | '['));
        let mut span = span;
        if flow {
            // saphyr ends a flow collection where its closing bracket starts: take the bracket.
            let close = if open == Some('{') { '}' } else { ']' };
            let end = self.file.local(span.end);
            if self.file.text[end..].starts_with(close) {
                span.end += 1;
            }
        }
        Node { value, span, quoted, flow }
    }
}

fn scalar(s: &Scalar<'_>) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Int(*i),
        Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
        Scalar::String(s) => Value::Str(s.to_string()),
    }
}

impl Node {
    /// The value under `key` in a mapping. YAML merge keys (`<<: *defaults`) are followed, as
    /// Envoy's YAML reader does.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value under `key`.
    pub fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        let Value::Map(m) = &self.value else {
            return None;
        };
        if let Some((k, v)) = m.iter().find(|(k, _)| k.text == key) {
            return Some((k, v));
        }
        let merged = m.iter().find(|(k, _)| k.text == "<<")?;
        match &merged.1.value {
            Value::Map(_) => merged.1.entry(key),
            Value::Seq(items) => items.iter().find_map(|i| i.entry(key)),
            _ => None,
        }
    }

    /// Follows a path of keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(v) => v,
            _ => &[],
        }
    }

    /// The entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(Key, Node)] {
        match &self.value {
            Value::Map(v) => v,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// A string value.
    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Any scalar as text (numbers and booleans as YAML would print them).
    pub fn text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => Some(String::new()),
            _ => None,
        }
    }

    /// An unsigned integer, written as a number or (as proto3 JSON allows) a quoted one.
    pub fn uint(&self) -> Option<u64> {
        match &self.value {
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMapBuilder;
    use std::path::Path;

    fn load(text: &str) -> (std::sync::Arc<SourceFile>, Result<Node, SyntaxError>) {
        let b = SourceMapBuilder::new();
        b.add(Path::new("pad"), "pad".into(), b"0123456789".to_vec());
        let f = b.add(Path::new("x.yaml"), "x.yaml".into(), text.as_bytes().to_vec());
        let n = parse(&f);
        (f, n)
    }

    #[test]
    fn scalar_spans_are_exact() {
        let (f, n) = load("a:\n  b: \"15s\"\n  c: 0.25s\n  é: 'ü x'\n  d: 8080\n");
        let n = n.unwrap();
        let b = n.at(&["a", "b"]).unwrap();
        assert_eq!(f.slice(b.span), "\"15s\"");
        assert_eq!(b.str(), Some("15s"));
        assert!(b.quoted);
        let c = n.at(&["a", "c"]).unwrap();
        assert_eq!(f.slice(c.span), "0.25s");
        assert!(!c.quoted);
        let (k, v) = n.get("a").unwrap().entry("é").unwrap();
        assert_eq!(f.slice(k.span), "é");
        assert_eq!(f.slice(v.span), "'ü x'");
        let d = n.at(&["a", "d"]).unwrap();
        assert_eq!(d.uint(), Some(8080));
        assert_eq!(f.slice(d.span), "8080");
    }

    #[test]
    fn json_is_read_too() {
        let (f, n) = load("{\"a\":{\"b\":\"15s\",\"n\":[1,2.5,true,null],\"u\":\"\\u00e9\\/\"}}");
        let n = n.unwrap();
        assert_eq!(f.slice(n.at(&["a", "b"]).unwrap().span), "\"15s\"");
        assert_eq!(n.at(&["a", "n"]).unwrap().items().len(), 4);
        assert_eq!(n.at(&["a", "u"]).unwrap().str(), Some("é/"));
    }

    #[test]
    fn errors_have_positions() {
        let (_, n) = load("a: [1, 2\nb: c\n");
        let e = n.unwrap_err();
        assert!(e.offset > 0, "{e:?}");
    }
}

#[cfg(test)]
mod json_corners {
    use super::*;
    use crate::source::SourceMapBuilder;
    use std::path::Path;

    fn parse_str(text: &str) -> Result<(std::sync::Arc<SourceFile>, Node), SyntaxError> {
        let b = SourceMapBuilder::new();
        let f = b.add(Path::new("x.json"), "x.json".into(), text.as_bytes().to_vec());
        parse(&f).map(|n| (f, n))
    }

    #[test]
    fn tabs_bom_spaces_and_empty() {
        let (f, n) = parse_str("{\n\t\"a\" : {\n\t\t\"b\" :\t\"x\",\n\t\t\"c\": []\n\t}\n}\n").unwrap();
        assert_eq!(f.slice(n.at(&["a", "b"]).unwrap().span), "\"x\"");
        let (f, n) = parse_str("\u{feff}{\"ä\": \"ö\", \"k\": 1}").unwrap();
        assert_eq!(f.slice(n.get("k").unwrap().span), "1");
        assert_eq!(f.slice(n.get("ä").unwrap().span), "\"ö\"");
        let (_, n) = parse_str("{}").unwrap();
        assert!(n.entries().is_empty());
        let (_, n) = parse_str("").unwrap();
        assert_eq!(n.value, Value::Null);
        let (_, n) = parse_str("{\"big\": 123456789012345678901234, \"e\": 1e3, \"neg\": -0.5}").unwrap();
        assert!(n.get("big").is_some());
        assert_eq!(n.get("e").unwrap().value, Value::Float(1000.0));
    }
}

#[cfg(test)]
mod flow_spans {
    use super::*;
    use crate::source::SourceMapBuilder;
    use std::path::Path;

    #[test]
    fn flow_collections_include_their_closing_bracket() {
        let b = SourceMapBuilder::new();
        let f = b.add(Path::new("x"), "x".into(), b"a: {b: {c: 1}, d: [1, [2]], e: {}}\nf:\n  g: [x]\n".to_vec());
        let n = parse(&f).unwrap();
        assert_eq!(f.slice(n.get("a").unwrap().span), "{b: {c: 1}, d: [1, [2]], e: {}}");
        assert_eq!(f.slice(n.at(&["a", "b"]).unwrap().span), "{c: 1}");
        assert_eq!(f.slice(n.at(&["a", "d"]).unwrap().span), "[1, [2]]");
        assert_eq!(f.slice(n.at(&["a", "e"]).unwrap().span), "{}");
        assert_eq!(f.slice(n.at(&["f", "g"]).unwrap().span), "[x]");
    }
}
