//! The HAProxy parser: `grammars/haproxy.pest` splits lines into words; this module turns words
//! into values (quotes, escapes, `"${VAR-default}"`), groups lines into sections, follows the
//! `.if`/`.elif`/`.else`/`.endif` blocks, and reports what HAProxy itself rejects while reading
//! a file (unmatched quotes, bad `\x` escapes, stray NUL characters, a missing final newline,
//! keywords outside any section, unknown `.` directives) with file:line:col.

use super::ast::{Arg, File, Line, Message, Section, SectionKind};
use crate::diag::LoadError;
use crate::source::{SourceFile, Span};
use pest::Parser as _;
use std::sync::Arc;

#[derive(pest_derive::Parser)]
#[grammar = "../grammars/haproxy.pest"]
struct HaproxyParser;

type Pair<'i> = pest::iterators::Pair<'i, Rule>;

/// Parses one file. Never panics; lines HAProxy would reject are reported and left out.
pub fn parse(source: Arc<SourceFile>) -> (File, Vec<LoadError>) {
    let mut errors = Vec::new();
    let text: &str = &source.text;
    let err = |local: usize, msg: String| {
        LoadError::at(source.span(local, (local + 1).min(text.len())), &source.display, msg)
    };
    // HAProxy: "Stray NUL character at position N." The line is dropped; so is ours (the grammar
    // sees a blank instead, and the line is skipped below).
    // One error per line, at its first NUL, as HAProxy reports them (a line of a million NULs
    // gave a million errors).
    let owned;
    let mut nul_lines: Vec<usize> = Vec::new();
    let parse_text: &str = if text.contains('\0') {
        for (i, _) in text.match_indices('\0') {
            let line = source.line_col(i).line;
            if nul_lines.last() != Some(&line) {
                nul_lines.push(line);
                errors.push(err(i, "stray NUL character; HAProxy rejects the line".into()));
            }
        }
        owned = text.replace('\0', " ");
        &owned
    } else {
        text
    };
    if !text.is_empty() && !text.ends_with('\n') {
        let last = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
        errors.push(
            LoadError::at(
                source.span(last, text.len()),
                &source.display,
                "missing LF on last line: HAProxy refuses a file whose last line has no newline (it might have been truncated)",
            )
            .with_help("end the file with a newline"),
        );
    }

    let mut file = File { source: source.clone(), sections: Vec::new(), messages: Vec::new(), comments: Vec::new() };
    let mut sb = Sectioner::new(&source);
    let mut offset = 0usize;
    for (i, text_line) in parse_text.split('\n').enumerate() {
        let base = offset;
        offset += text_line.len() + 1;
        let lno = i + 1;
        if nul_lines.binary_search(&lno).is_ok() || text_line.trim_start_matches([' ', '\t']).is_empty() {
            continue;
        }
        let line = match HaproxyParser::parse(Rule::one_line, text_line) {
            Ok(mut p) => p.next().and_then(|l| l.into_inner().next()),
            Err(e) => {
                // The grammar accepts any line; this is a safety net.
                let pos = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((s, _)) => s,
                };
                errors.push(err(base + pos, format!("cannot parse this line: {}", e.variant.message())));
                continue;
            }
        };
        for part in line.into_iter().flat_map(|l| l.into_inner()) {
            match part.as_rule() {
                Rule::good => {
                    let mut words = Vec::new();
                    for w in part.into_inner() {
                        match w.as_rule() {
                            Rule::word => words.push(word(&source, base, w)),
                            Rule::comment => {
                                let s = w.as_span();
                                file.comments.push(source.span(base + s.start(), base + s.end()));
                            }
                            _ => {}
                        }
                    }
                    if !words.is_empty() {
                        sb.line(words, lno, &mut file, &mut errors);
                    }
                }
                Rule::bad => {
                    let (pos, msg) = diagnose(text_line);
                    errors.push(err(base + pos, msg));
                }
                _ => {}
            }
        }
    }
    sb.finish(&mut file, &mut errors);
    (file, errors)
}

/// Builds the value of a word from its pieces.
fn word(source: &SourceFile, base: usize, w: Pair<'_>) -> Arg {
    let span = w.as_span();
    let mut value = String::new();
    let mut quoted = false;
    let mut unresolved = false;
    for piece in w.into_inner() {
        match piece.as_rule() {
            Rule::plain => value.push_str(piece.as_str()),
            Rule::sq => {
                quoted = true;
                for b in piece.into_inner() {
                    value.push_str(b.as_str());
                }
            }
            Rule::dq => {
                quoted = true;
                for p in piece.into_inner() {
                    match p.as_rule() {
                        Rule::dq_plain => value.push_str(p.as_str()),
                        Rule::env_bare => {
                            unresolved = true;
                            value.push_str(p.as_str());
                        }
                        Rule::env => {
                            let mut name = "";
                            let mut default = None;
                            for e in p.clone().into_inner() {
                                match e.as_rule() {
                                    Rule::env_name => name = e.as_str(),
                                    Rule::env_default => default = Some(e.as_str()),
                                    _ => {}
                                }
                            }
                            match default {
                                Some(d) => value.push_str(d),
                                None => {
                                    let _ = name;
                                    unresolved = true;
                                    value.push_str(p.as_str());
                                }
                            }
                        }
                        Rule::esc | Rule::esc_hex => escape(p.as_str(), &mut value),
                        _ => {}
                    }
                }
            }
            Rule::esc | Rule::esc_hex => escape(piece.as_str(), &mut value),
            Rule::esc_end => value.push('\\'),
            _ => {}
        }
    }
    Arg { value, span: source.span(base + span.start(), base + span.end()), quoted, unresolved }
}

/// `\ `, `\"`, `\'`, `\\`, `\#`, `\$` -> the character; `\r`, `\n`, `\t` -> control characters;
/// `\xNN` -> the byte; anything else stays as written (`\1` is `\1`), as in HAProxy's tools.c.
fn escape(s: &str, out: &mut String) {
    let rest = &s[1..];
    if let Some(hex) = rest.strip_prefix('x') {
        if let Ok(b) = u8::from_str_radix(hex, 16) {
            out.push(char::from(b));
            return;
        }
    }
    match rest {
        " " | "\"" | "'" | "\\" | "#" | "$" => out.push_str(rest),
        "r" => out.push('\r'),
        "n" => out.push('\n'),
        "t" => out.push('\t'),
        _ => out.push_str(s),
    }
}

/// Why a line did not match the grammar: the byte offset (within the line) HAProxy points at, and
/// HAProxy's own message.
fn diagnose(line: &str) -> (usize, String) {
    let b = line.as_bytes();
    let (mut sq, mut dq) = (false, false);
    let mut quote_at = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' && !sq {
            if b.get(i + 1) == Some(&b'x') {
                let hex = |j: usize| b.get(j).is_some_and(|c| c.is_ascii_hexdigit());
                if !(hex(i + 2) && hex(i + 3)) {
                    return (i, "truncated or invalid hexadecimal sequence (`\\x` needs two hex digits)".into());
                }
                i += 4;
            } else {
                i += 2;
            }
            continue;
        }
        if c == b'\'' && !dq {
            sq = !sq;
            quote_at = i;
        } else if c == b'"' && !sq {
            dq = !dq;
            quote_at = i;
        } else if c == b'$' && dq && b.get(i + 1) == Some(&b'{') {
            match b[i..].iter().position(|&x| x == b'}' || x == b'"') {
                Some(j) if b[i + j] == b'}' => i += j,
                _ => return (i, "unmatched brace in environment variable name (`${` with no `}`)".into()),
            }
        } else if c == b'$' && dq && !b.get(i + 1).is_some_and(|&n| n == b'{' || n == b'_' || n.is_ascii_alphabetic()) {
            return (
                i,
                "forbidden first char in environment variable name (inside double quotes, `$` starts a variable: write `\\$` for a dollar sign)".into(),
            );
        } else if c == b'#' && !sq && !dq {
            break;
        }
        i += 1;
    }
    if sq || dq {
        return (quote_at, "unmatched quote".into());
    }
    (0, "HAProxy cannot read this line".into())
}

struct Frame {
    /// The `.if` line, for "non-terminated '.if' block".
    span: Span,
    /// Conditions of the earlier branches of this block (negated for `.elif`/`.else`).
    previous: Vec<String>,
    /// The condition of the branch in force.
    current: String,
}

/// Groups lines into sections and follows `.if` blocks.
/// How deep `.if` blocks nest in HAProxy (`MAXNESTEDCONDS`).
const MAX_NESTED_CONDS: usize = 128;

struct Sectioner<'s> {
    source: &'s SourceFile,
    frames: Vec<Frame>,
    /// `.if` blocks open past [`MAX_NESTED_CONDS`] (refused, not tracked).
    too_deep: usize,
}

impl<'s> Sectioner<'s> {
    fn new(source: &'s SourceFile) -> Self {
        Sectioner { source, frames: Vec::new(), too_deep: 0 }
    }

    fn cond(&self) -> Vec<String> {
        self.frames.iter().map(|f| f.current.clone()).collect()
    }

    fn line(&mut self, words: Vec<Arg>, lno: usize, file: &mut File, errors: &mut Vec<LoadError>) {
        let span = words[0].span.to(words[words.len() - 1].span);
        let kw = words[0].value.clone();
        let rest = || words[1..].iter().map(|w| w.value.as_str()).collect::<Vec<_>>().join(" ");
        let at = |msg: String| LoadError::at(span, &self.source.display, msg);
        if kw.starts_with('.') && !words[0].quoted {
            match kw.as_str() {
                // HAProxy's MAXNESTEDCONDS; it also keeps every line from copying a deep stack.
                ".if" if self.frames.len() + self.too_deep >= MAX_NESTED_CONDS => {
                    if self.too_deep == 0 {
                        errors.push(at(format!("too many nested '.if', max is {MAX_NESTED_CONDS}")));
                    }
                    self.too_deep += 1;
                }
                // Inside a refused `.if`: its own `.elif`/`.else`/`.endif`.
                ".elif" | ".else" if self.too_deep > 0 => {}
                ".endif" if self.too_deep > 0 => self.too_deep -= 1,
                ".if" => self.frames.push(Frame { span, previous: Vec::new(), current: rest() }),
                ".elif" | ".else" => match self.frames.last_mut() {
                    Some(f) => {
                        let prev = std::mem::take(&mut f.current);
                        f.previous.push(format!("!({prev})"));
                        let mut c = f.previous.join(" && ");
                        if kw == ".elif" {
                            c = format!("{c} && {}", rest());
                        }
                        f.current = c;
                    }
                    None => errors.push(at(format!("lone '{kw}' with no matching '.if'"))),
                },
                ".endif" => {
                    if self.frames.pop().is_none() {
                        errors.push(at("lone '.endif' with no matching '.if'".into()));
                    }
                }
                ".diag" | ".notice" | ".warning" | ".alert" => {
                    file.messages.push(Message { level: kw[1..].to_string(), text: rest(), span, cond: self.cond() })
                }
                _ => errors.push(at(format!("unknown directive '{kw}'"))),
            }
            return;
        }
        let line = Line { words, span, line: lno, cond: self.cond() };
        if let Some(kind) = SectionKind::of(&kw) {
            let (name, from) = section_names(kind, &line);
            file.sections.push(Section { kind, header: line, name, from, lines: Vec::new() });
            return;
        }
        match file.sections.last_mut() {
            Some(s) => s.lines.push(line),
            None => errors.push(at(format!("unknown keyword '{kw}' out of section"))),
        }
    }

    fn finish(self, _file: &mut File, errors: &mut Vec<LoadError>) {
        for f in self.frames {
            errors.push(
                LoadError::at(
                    f.span,
                    &self.source.display,
                    "non-terminated '.if' block: no '.endif' before the end of the file",
                )
                .with_help("add `.endif`"),
            );
        }
    }
}

/// The name and `from` of a section header: `backend api`, `defaults common from base`,
/// `defaults from base`.
fn section_names(kind: SectionKind, l: &Line) -> (Option<Arg>, Option<Arg>) {
    let w = &l.words;
    if kind == SectionKind::Global {
        return (None, None);
    }
    let mut name = None;
    let mut from = None;
    let mut i = 1;
    if let Some(a) = w.get(1) {
        if !(a.value == "from" && kind == SectionKind::Defaults && w.len() == 3) {
            name = Some(a.clone());
            i = 2;
        }
    }
    if matches!(kind, SectionKind::Defaults | SectionKind::Frontend | SectionKind::Backend | SectionKind::Listen)
        && w.get(i).is_some_and(|a| a.value == "from")
    {
        from = w.get(i + 1).cloned();
    }
    (name, from)
}

/// Does this text look like an HAProxy config (for `*.cfg` files whose name says nothing)? True
/// when a line starts with a section keyword (`global`, `defaults`, `frontend`, `peers`, ...)
/// and the file has no nginx-style `{ ... ;` blocks on those lines.
pub fn looks_like_haproxy(text: &str) -> bool {
    let mut proxies = 0;
    for l in text.lines().take(5000) {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let kw = t.split_ascii_whitespace().next().unwrap_or("");
        if super::ast::SECTION_KEYWORDS.contains(&kw) && !t.ends_with('{') && !t.ends_with(';') && !t.contains('=') {
            proxies += 1;
        }
    }
    proxies > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMapBuilder;
    use std::path::Path;

    fn p(text: &str) -> (File, Vec<LoadError>) {
        let b = SourceMapBuilder::new();
        let f = b.add(Path::new("h.cfg"), "h.cfg".into(), text.as_bytes().to_vec());
        parse(f)
    }

    fn words(text: &str) -> Vec<String> {
        let (f, e) = p(&format!("global\n  {text}\n"));
        assert!(e.is_empty(), "{e:?}");
        f.sections[0].lines[0].words.iter().map(|w| w.value.clone()).collect()
    }

    #[test]
    fn quoting_and_escapes() {
        assert_eq!(words(r#"a "b c" 'd e'"#), ["a", "b c", "d e"]);
        assert_eq!(words(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(words(r"a\ b c\#d e#f"), ["a b", "c#d", "e"]);
        assert_eq!(words(r#""\"x\"" '\n'"#), ["\"x\"", "\\n"]);
        assert_eq!(words(r"\x41\x42 \1"), ["AB", "\\1"]);
        assert_eq!(words(r#""${A-5s}" "${B}" ${C} "$D""#), ["5s", "${B}", "${C}", "$D"]);
        assert_eq!(words("tail\\"), ["tail\\"]);
    }

    #[test]
    fn sections_and_conditions() {
        let (f, e) = p("global\n  maxconn 10\n.if defined(X)\ndefaults d from base\n  mode http\n.else\n  mode tcp\n.endif\nbackend b from d\n  server s 1.2.3.4:80\n");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(f.sections.len(), 3);
        let d = &f.sections[1];
        assert_eq!(d.name(), Some("d"));
        assert_eq!(d.from.as_ref().unwrap().value, "base");
        assert_eq!(d.lines[0].cond, ["defined(X)"]);
        assert_eq!(d.lines[1].cond, ["!(defined(X))"]);
        assert_eq!(f.sections[2].lines[0].line, 10);
    }

    #[test]
    fn errors_have_lines() {
        let line_of = |text: &str| {
            let (_, e) = p(text);
            let b = SourceMapBuilder::new();
            let _ = b.add(Path::new("h.cfg"), "h.cfg".into(), text.as_bytes().to_vec());
            let m = b.freeze();
            e.iter().map(|e| (m.location(e.span.unwrap()).unwrap().line, e.message.clone())).collect::<Vec<_>>()
        };
        let e = line_of("global\n  a \"b\n  c 'd\n");
        assert_eq!((e[0].0, e[1].0), (2, 3));
        assert!(e[0].1.contains("unmatched quote"));
        assert_eq!(line_of("global\n x \"${A\"\n")[0].0, 2);
        assert!(line_of("global\n x \"a$5\"\n")[0].1.contains("forbidden first char"));
        assert_eq!(line_of("global\n\n x a\\xZ1\n")[0].0, 3);
        assert_eq!(line_of("foo\n")[0].0, 1);
        assert_eq!(line_of("global\n.endif\n")[0].0, 2);
        assert_eq!(line_of("global\n.if 1\n x\n")[0].0, 2);
        assert_eq!(line_of("global\n x\0y\n")[0].0, 2);
        assert_eq!(line_of("global\n x").len(), 1);
        // One error per line holding NULs, however many.
        let e = line_of("global\n\0\0\0 x\0\n\0\n");
        assert_eq!(e.iter().map(|e| e.0).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn if_nesting_is_bounded_as_in_haproxy() {
        let deep = |n: usize| format!("global\n{}  daemon\n{}", ".if 1\n".repeat(n), ".endif\n".repeat(n));
        let (f, e) = p(&deep(128));
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(f.sections[0].lines[0].cond.len(), 128);
        let (f, e) = p(&deep(10_000));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].message, "too many nested '.if', max is 128");
        assert_eq!(f.sections[0].lines[0].cond.len(), 128);
        // The refused blocks' own `.else`/`.endif` close them, not the outer ones.
        let (_, e) = p("global\n.if 1\n.else\n.endif\n");
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 12345u64;
        let alphabet = b"ab \t\"'\\#${}-x0\n\r.\0";
        for _ in 0..2000 {
            let n = (seed % 40) as usize;
            let mut s = String::new();
            for _ in 0..n {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                s.push(alphabet[(seed >> 33) as usize % alphabet.len()] as char);
            }
            let _ = p(&s);
            let _ = p(&format!("global\n{s}"));
        }
        let cfg = "global\n  log stdout\ndefaults\n  timeout server \"30s\"\nfrontend f\n  bind :80\n";
        for i in 0..cfg.len() {
            let _ = p(&cfg[..i]);
        }
    }

    #[test]
    fn detection() {
        assert!(looks_like_haproxy("# x\nglobal\n  daemon\nfrontend x\n"));
        assert!(!looks_like_haproxy("server {\n listen 80;\n}\n"));
        assert!(!looks_like_haproxy("[global]\nx = 1\n"));
    }
}
