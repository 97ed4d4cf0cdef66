//! INI files as PHP reads them (`grammars/ini.pest`): `[section]`, `key = value`,
//! `key[sub] = value`, `;` comments, quoted values, `${ENV}` references. Every section, key and
//! value keeps its global span.
//!
//! PHP-FPM and php.ini differ only after parsing: a label with no `=` (`# text`,
//! `listen 127.0.0.1:9000`) is a [`Item::Bare`]; PHP-FPM refuses to start on one, php.ini
//! ignores it. That decision belongs to the loader.

use crate::diag::LoadError;
use crate::source::{SourceFile, Span};
use pest::iterators::Pair;
use pest::Parser;
use std::collections::HashMap;

#[derive(pest_derive::Parser)]
#[grammar = "../grammars/ini.pest"]
struct IniParser;

/// One piece of a value, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Unquoted text (booleans like `yes`/`off` are converted when the value is one word).
    Raw(String),
    /// Text from a quoted string, quotes removed, escapes resolved.
    Quoted(String),
    /// `${NAME}`, with the span of the whole reference.
    Env(String, Span),
    /// Blanks between pieces (kept: `a b` is the value "a b").
    Blank(String),
}

/// A value as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub pieces: Vec<Piece>,
    /// The value as written, from its first to its last character (empty span after `=` when
    /// the value is empty).
    pub span: Span,
}

impl Value {
    /// The value as PHP would see it with `env` as its environment: quotes removed, `${NAME}`
    /// replaced, one-word `yes/on/true` -> `1`, `no/off/false/none/null` -> empty. References to
    /// names missing from `env` stay as written (`${NAME}`) and are listed in the second result.
    pub fn cooked(&self, env: &HashMap<String, String>) -> (String, Vec<String>) {
        let mut out = String::new();
        let mut missing = Vec::new();
        if let [Piece::Raw(w)] = self.pieces.as_slice() {
            match w.to_ascii_lowercase().as_str() {
                "yes" | "on" | "true" => return ("1".into(), missing),
                "no" | "off" | "false" | "none" | "null" => return (String::new(), missing),
                _ => {}
            }
        }
        for p in &self.pieces {
            match p {
                Piece::Raw(s) | Piece::Quoted(s) | Piece::Blank(s) => out.push_str(s),
                Piece::Env(name, _) => match env.get(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push_str(&format!("${{{name}}}"));
                        missing.push(name.clone());
                    }
                },
            }
        }
        (out, missing)
    }

    /// The value with no environment: unresolved `${NAME}` kept as written.
    pub fn text(&self) -> String {
        self.cooked(&HashMap::new()).0
    }

    /// Does the value depend on the environment?
    pub fn has_env(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Env(..)))
    }
}

/// `key = value` or `key[sub] = value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    /// `memory_limit` in `php_admin_value[memory_limit]`.
    pub sub: Option<(String, Span)>,
    pub value: Value,
    /// From the key to the end of the value.
    pub span: Span,
    /// 1-based line.
    pub line: usize,
}

impl Entry {
    /// `key` or `key[sub]`, as written (without blanks).
    pub fn full_key(&self) -> String {
        match &self.sub {
            Some((s, _)) => format!("{}[{s}]", self.key),
            None => self.key.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Section {
        name: String,
        /// `[www]` with its brackets.
        span: Span,
        name_span: Span,
        line: usize,
    },
    Entry(Entry),
    /// A label alone on a line.
    Bare {
        text: String,
        span: Span,
        line: usize,
    },
}

/// Parses one INI file. The error, if any, points at the first character PHP would stop at.
pub fn parse(file: &SourceFile) -> Result<Vec<Item>, LoadError> {
    let text: &str = &file.text;
    // The grammar nests `( ... )` groups recursively: refuse absurd depth before pest recurses.
    if let Some(pos) = too_deep(text) {
        let span = file.span(pos, pos + 1);
        let lc = file.line_col(pos);
        return Err(LoadError::at(
            span,
            &file.display,
            format!(
                "{}:{}:{}: syntax error: parentheses nested more than {MAX_DEPTH} deep",
                file.display, lc.line, lc.column
            ),
        ));
    }
    let pairs = match IniParser::parse(Rule::file, text) {
        Ok(p) => p,
        Err(e) => return Err(error(file, e)),
    };
    let mut items = Vec::new();
    for f in pairs {
        for line in f.into_inner() {
            if line.as_rule() != Rule::line {
                continue;
            }
            for stmt in line.into_inner() {
                match stmt.as_rule() {
                    Rule::section => items.push(section(file, stmt)),
                    Rule::entry => items.push(Item::Entry(entry(file, stmt))),
                    Rule::bare => {
                        let s = stmt.as_span();
                        let t = stmt.as_str().trim_end();
                        items.push(Item::Bare {
                            text: t.to_string(),
                            span: file.span(s.start(), s.start() + t.len()),
                            line: file.line_col(s.start()).line,
                        });
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(items)
}

fn span_of(file: &SourceFile, p: &Pair<'_, Rule>) -> Span {
    let s = p.as_span();
    file.span(s.start(), s.end())
}

fn section(file: &SourceFile, p: Pair<'_, Rule>) -> Item {
    let span = span_of(file, &p);
    let line = file.line_col(p.as_span().start()).line;
    let name = p.into_inner().find(|x| x.as_rule() == Rule::section_name).expect("grammar: section has a name");
    Item::Section { name: name.as_str().to_string(), span, name_span: span_of(file, &name), line }
}

fn entry(file: &SourceFile, p: Pair<'_, Rule>) -> Entry {
    let span = span_of(file, &p);
    let line = file.line_col(p.as_span().start()).line;
    let after_eq = p.as_span().end();
    let mut key = None;
    let mut sub = None;
    let mut value = None;
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::key => key = Some((x.as_str().to_string(), span_of(file, &x))),
            Rule::subkey => sub = Some((x.as_str().trim().to_string(), span_of(file, &x))),
            Rule::value => value = Some(self::value(file, x)),
            _ => {}
        }
    }
    let (key, key_span) = key.expect("grammar: entry has a key");
    let value = value.unwrap_or(Value { pieces: Vec::new(), span: file.span(after_eq, after_eq) });
    Entry { key, key_span, sub, value, span, line }
}

fn value(file: &SourceFile, p: Pair<'_, Rule>) -> Value {
    let span = span_of(file, &p);
    let mut pieces = Vec::new();
    let mut last_end = p.as_span().start();
    for x in p.into_inner() {
        let s = x.as_span();
        if s.start() > last_end {
            pieces.push(Piece::Blank(file.text[last_end..s.start()].to_string()));
        }
        last_end = s.end();
        piece(file, x, &mut pieces);
    }
    Value { pieces, span }
}

fn piece(file: &SourceFile, x: Pair<'_, Rule>, pieces: &mut Vec<Piece>) {
    match x.as_rule() {
        Rule::raw => pieces.push(Piece::Raw(x.as_str().to_string())),
        Rule::sq_string => {
            let inner = x.as_str();
            pieces.push(Piece::Quoted(inner[1..inner.len() - 1].to_string()));
        }
        Rule::dq_string => {
            let mut text = String::new();
            for y in x.into_inner() {
                match y.as_rule() {
                    Rule::dq_chars => text.push_str(&unescape(y.as_str())),
                    Rule::env_ref => {
                        if !text.is_empty() {
                            pieces.push(Piece::Quoted(std::mem::take(&mut text)));
                        }
                        pieces.push(env(file, y));
                    }
                    _ => {}
                }
            }
            if !text.is_empty() || !matches!(pieces.last(), Some(Piece::Env(..))) {
                pieces.push(Piece::Quoted(text));
            }
        }
        Rule::env_ref => pieces.push(env(file, x)),
        Rule::group => {
            // Kept as written: PHP evaluates it as a constant expression (php.ini only).
            pieces.push(Piece::Raw(x.as_str().to_string()));
        }
        _ => {}
    }
}

fn env(file: &SourceFile, p: Pair<'_, Rule>) -> Piece {
    let span = span_of(file, &p);
    let name = p.into_inner().next().map(|n| n.as_str().to_string()).unwrap_or_default();
    Piece::Env(name, span)
}

/// The offset of a quote or parenthesis left open in a line, if any.
/// Deepest `( ... )` nesting accepted in a value (PHP's own limit is far above any real config).
pub const MAX_DEPTH: usize = 256;

/// Where parentheses outside quotes first nest deeper than [`MAX_DEPTH`], if they do.
fn too_deep(text: &str) -> Option<usize> {
    if text.bytes().filter(|&b| b == b'(').count() <= MAX_DEPTH {
        return None;
    }
    let mut offset = 0;
    for line in text.split_inclusive(['\n', '\r']) {
        let mut quote: Option<char> = None;
        let mut depth = 0usize;
        let mut it = line.char_indices();
        while let Some((i, c)) = it.next() {
            match (quote, c) {
                (Some('"'), '\\') => {
                    it.next();
                }
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, ';') => break,
                (None, '"') | (None, '\'') => quote = Some(c),
                (None, '(') => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(offset + i);
                    }
                }
                (None, ')') => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        offset += line.len();
    }
    None
}

fn unclosed(line: &str) -> Option<usize> {
    let mut quote: Option<(char, usize)> = None;
    let mut parens: Vec<usize> = Vec::new();
    let mut it = line.char_indices();
    while let Some((i, c)) = it.next() {
        match (quote, c) {
            (Some(('"', _)), '\\') => {
                it.next();
            }
            (Some((q, _)), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, ';') => break,
            (None, '"') | (None, '\'') => quote = Some((c, i)),
            (None, '(') => parens.push(i),
            (None, ')') => {
                parens.pop();
            }
            _ => {}
        }
    }
    quote.map(|(_, i)| i).or(parens.first().copied())
}

/// Double-quoted INI strings: `\"` and `\\` lose their backslash, other backslashes stay.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.peek() {
                Some('"') | Some('\\') => out.push(it.next().unwrap_or('\\')),
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A syntax error as PHP would word it, at the character where parsing stopped.
fn error(file: &SourceFile, e: pest::error::Error<Rule>) -> LoadError {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let text: &str = &file.text;
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    // At the end of a line: point at what was left open (a quote, a parenthesis) instead.
    if text[pos..].starts_with(['\n', '\r']) || pos == text.len() {
        let ls = text[..pos].rfind(['\n', '\r']).map(|i| i + 1).unwrap_or(0);
        if let Some(open) = unclosed(&text[ls..pos]) {
            pos = ls + open;
        }
    }
    // `[www` with no `]`: PHP expects `]` at the end of the line.
    if text[pos..].starts_with('[') {
        let rest = text[pos..].split(['\n', '\r']).next().unwrap_or("");
        if !rest.contains(']') {
            pos += rest.len();
        }
    }
    let ch = text[pos..].chars().next();
    let end = pos + ch.map(|c| c.len_utf8()).unwrap_or(0);
    let line_start = text[..pos].rfind(['\n', '\r']).map(|i| i + 1).unwrap_or(0);
    let line_text = text[line_start..].split(['\n', '\r']).next().unwrap_or("").trim_start();
    let message = match ch {
        None | Some('\n') | Some('\r') if line_text.starts_with('[') => {
            "syntax error: unexpected end of line, expecting `]` to close the section".to_string()
        }
        None => "syntax error: unexpected end of file".to_string(),
        Some('"') | Some('\'') => {
            "syntax error: unterminated quoted string (quotes must close on the same line)".to_string()
        }
        Some('=') => "syntax error: unexpected `=` (quote values that contain `=`)".to_string(),
        Some('(') | Some(')') => {
            format!("syntax error: unbalanced `{}` (quote values that contain parentheses)", ch.unwrap_or('('))
        }
        Some(c) if line_text.starts_with('[') => {
            format!("syntax error: unexpected `{}`, expecting `]` to close the section", c.escape_debug())
        }
        Some(c) => format!("syntax error: unexpected `{}`", c.escape_debug()),
    };
    let lc = file.line_col(pos);
    LoadError::at(
        file.span(pos, end),
        file.display.clone(),
        format!("{}:{}:{}: {message}", file.display, lc.line, lc.column),
    )
    .with_help("PHP refuses to load this file; `php-fpm -t` reports the same line")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMapBuilder;
    use std::path::Path;

    fn file(text: &str) -> std::sync::Arc<SourceFile> {
        let b = SourceMapBuilder::new();
        // A first file so that spans are global, not local.
        b.add(Path::new("pad"), "pad".into(), b"0123456789".to_vec());
        b.add(Path::new("t.conf"), "t.conf".into(), text.as_bytes().to_vec())
    }

    fn entries(items: &[Item]) -> Vec<&Entry> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Entry(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sections_entries_comments() {
        let f = file("; c\n[www]\nlisten = 127.0.0.1:9000 ; trailing\n  pm=dynamic\r\nx =\n");
        let items = parse(&f).unwrap();
        assert!(matches!(&items[0], Item::Section { name, line: 2, .. } if name == "www"));
        let es = entries(&items);
        assert_eq!(es[0].key, "listen");
        assert_eq!(es[0].value.text(), "127.0.0.1:9000");
        assert_eq!(f.slice(es[0].value.span), "127.0.0.1:9000");
        assert_eq!(f.slice(es[0].key_span), "listen");
        assert_eq!(es[0].line, 3);
        assert_eq!(es[1].value.text(), "dynamic");
        assert_eq!(es[2].value.text(), "");
        assert!(es[2].value.span.is_empty());
    }

    #[test]
    fn subkeys_quotes_env() {
        let f = file(
            "php_admin_value[memory_limit] = 128M\nenv[PATH] = ${PATH}\nslowlog = \"/var/log/${X}/$pool.log\"\nerror_reporting = E_ALL & ~E_DEPRECATED\nq = 'a b' \"c\\\"d\"\n",
        );
        let items = parse(&f).unwrap();
        let es = entries(&items);
        assert_eq!(es[0].full_key(), "php_admin_value[memory_limit]");
        assert_eq!(f.slice(es[0].sub.as_ref().unwrap().1), "memory_limit");
        let mut env = HashMap::new();
        env.insert("PATH".to_string(), "/usr/bin".to_string());
        assert_eq!(es[1].value.cooked(&env).0, "/usr/bin");
        let (v, missing) = es[2].value.cooked(&env);
        assert_eq!(v, "/var/log/${X}/$pool.log");
        assert_eq!(missing, vec!["X".to_string()]);
        assert_eq!(es[3].value.text(), "E_ALL & ~E_DEPRECATED");
        assert_eq!(es[4].value.text(), "a b c\"d");
    }

    #[test]
    fn booleans() {
        let f = file("a = yes\nb = Off\nc = \"off\"\n");
        let items = parse(&f).unwrap();
        let es = entries(&items);
        assert_eq!(es[0].value.text(), "1");
        assert_eq!(es[1].value.text(), "");
        assert_eq!(es[2].value.text(), "off");
    }

    #[test]
    fn bare_labels_are_items_not_errors() {
        let f = file("# not a comment for php-fpm\nlisten 127.0.0.1:9000\n");
        let items = parse(&f).unwrap();
        assert!(matches!(&items[0], Item::Bare { line: 1, text, .. } if text == "# not a comment for php-fpm"));
        assert!(matches!(&items[1], Item::Bare { line: 2, .. }));
    }

    #[test]
    fn errors_have_positions() {
        for (src, line, col) in
            [("[www]\nx = a=b\n", 2, 6), ("x = \"abc\n", 1, 5), ("[www\n", 1, 5), ("x = (a\n", 1, 5)]
        {
            let f = file(src);
            let e = parse(&f).unwrap_err();
            let span = e.span.unwrap();
            let lc = f.line_col(f.local(span.start));
            assert_eq!((lc.line, lc.column), (line, col), "{src:?}: {}", e.message);
            assert!(e.message.starts_with(&format!("t.conf:{line}:{col}:")), "{}", e.message);
        }
    }

    #[test]
    fn deep_parentheses_are_an_error_not_a_stack_overflow() {
        let src = format!("[www]\nx = {}\n", "(".repeat(200_000));
        let f = file(&src);
        let e = parse(&f).unwrap_err();
        let lc = f.line_col(f.local(e.span.unwrap().start));
        assert_eq!((lc.line, lc.column), (2, 5 + MAX_DEPTH));
        assert!(e.message.contains("nested more than 256 deep"), "{}", e.message);
        // Within the limit, nesting is parsed (and balanced groups are fine).
        let ok = format!("x = {}a{}\n", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&file(&ok)).is_ok());
    }

    #[test]
    fn garbage_never_panics() {
        let inputs: Vec<Vec<u8>> = vec![
            vec![0u8; 64],
            b"[".to_vec(),
            b"x = \"".to_vec(),
            b"x = ${".to_vec(),
            b"]]]===;;;\"'\"".to_vec(),
            b"a[b = c".to_vec(),
            b"a = b\0c\n".to_vec(),
            (0u8..=255).collect(),
            "é = ü\n[ö]\n".as_bytes().to_vec(),
        ];
        for bytes in inputs {
            let b = SourceMapBuilder::new();
            let f = b.add(Path::new("g"), "g".into(), bytes);
            let _ = parse(&f);
        }
        // Truncations of a real file.
        let src = "[global]\ninclude=/etc/php/*.conf\n[www]\nlisten = \"/run/php.sock\"\nenv[A] = ${B}\n";
        for i in 0..src.len() {
            let b = SourceMapBuilder::new();
            let f = b.add(Path::new("g"), "g".into(), src.as_bytes()[..i].to_vec());
            let _ = parse(&f);
        }
    }

    #[test]
    fn nul_ends_the_line() {
        let f = file("listen.backlog = 5\0junk\n");
        let items = parse(&f).unwrap();
        assert_eq!(entries(&items)[0].value.text(), "5");
    }
}
