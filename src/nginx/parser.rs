//! The nginx parser: the pest lexer (`grammars/nginx.pest`) yields a flat token stream, and a
//! loop with an explicit stack builds directives and blocks from it, following nginx's own
//! `ngx_conf_read_token` / `ngx_conf_parse` rules and error wording.
//!
//! Why a token stream: pest's pair queue for a nested grammar costs more than the matching, and
//! recursion in the grammar would overflow the stack on deeply nested input. The lexer works on
//! chunks of the text so the pair queue stays small and a raw `*_by_lua_block` body (which is Lua,
//! not nginx syntax) can be skipped by a hand-written scanner before lexing resumes.

use super::ast::{Arg, Comment, Directive, File, Quote};
use crate::diag::LoadError;
use crate::source::SourceFile;
use pest::Parser;
use std::sync::Arc;

#[derive(pest_derive::Parser)]
#[grammar = "../grammars/nginx.pest"]
struct NginxLexer;

/// Deepest block nesting accepted; deeper input is rejected with a clean error.
pub const MAX_DEPTH: usize = 256;

/// Blocks whose body nginx reads with a custom handler, where a `{` is a syntax error.
const HANDLER_BLOCKS: &[&str] = &["map", "geo", "types", "split_clients", "charset_map"];

/// First chunk size for the lexer; chunks grow geometrically up to [`MAX_CHUNK`].
const MIN_CHUNK: usize = 4 * 1024;
const MAX_CHUNK: usize = 256 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Word(Quote),
    Semi,
    LBrace,
    RBrace,
    Comment,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Lexes `text[pos..]` a chunk at a time. `next` returns tokens in order; `restart` moves the
/// cursor (after a raw Lua body).
struct Lexer<'t> {
    text: &'t str,
    /// Where the next chunk starts.
    pos: usize,
    chunk: usize,
    buf: Vec<Tok>,
    idx: usize,
    /// Set once the final chunk was lexed: `Some(stop)` where the lexer stopped (`< len` means a
    /// token could not be finished: an unterminated quote or a trailing backslash).
    done: Option<usize>,
}

impl<'t> Lexer<'t> {
    fn new(text: &'t str) -> Self {
        Lexer { text, pos: 0, chunk: MIN_CHUNK, buf: Vec::new(), idx: 0, done: None }
    }

    fn restart(&mut self, pos: usize) {
        self.pos = pos;
        self.chunk = MIN_CHUNK;
        self.buf.clear();
        self.idx = 0;
        self.done = None;
    }

    /// Next token, or `Err(stop)` at the end of input (`stop < len`: unfinished token).
    fn next(&mut self) -> Result<Tok, usize> {
        loop {
            if self.idx < self.buf.len() {
                self.idx += 1;
                return Ok(self.buf[self.idx - 1]);
            }
            if let Some(stop) = self.done {
                return Err(stop);
            }
            self.fill();
        }
    }

    fn fill(&mut self) {
        self.buf.clear();
        self.idx = 0;
        let len = self.text.len();
        loop {
            let pos = self.pos;
            let mut end = if len - pos <= self.chunk { len } else { pos + self.chunk };
            while !self.text.is_char_boundary(end) {
                end += 1;
            }
            let last = end == len;
            let slice = &self.text[pos..end];
            let stop = match NginxLexer::parse(Rule::chunk, slice) {
                Ok(mut pairs) => {
                    let chunk = match pairs.next() {
                        Some(c) => c,
                        None => {
                            self.done = Some(pos);
                            return;
                        }
                    };
                    let stop = pos + chunk.as_span().end();
                    for p in chunk.into_inner() {
                        let sp = p.as_span();
                        let kind = match p.as_rule() {
                            Rule::bare => Kind::Word(Quote::None),
                            Rule::quoted if slice.as_bytes()[sp.start()] == b'"' => Kind::Word(Quote::Double),
                            Rule::quoted => Kind::Word(Quote::Single),
                            Rule::punct => match slice.as_bytes()[sp.start()] {
                                b';' => Kind::Semi,
                                b'{' => Kind::LBrace,
                                _ => Kind::RBrace,
                            },
                            Rule::comment => Kind::Comment,
                            _ => continue,
                        };
                        self.buf.push(Tok { kind, start: pos + sp.start(), end: pos + sp.end() });
                    }
                    stop
                }
                // `chunk` matches the empty string, so this cannot happen; stop cleanly anyway.
                Err(_) => pos,
            };
            if last {
                self.done = Some(stop);
                return;
            }
            // Not the last chunk: a token touching where the lexer stopped may be cut short.
            let mut resume = stop;
            if let Some(t) = self.buf.last() {
                if t.end == stop {
                    resume = t.start;
                    self.buf.pop();
                }
            }
            if resume > pos {
                self.pos = resume;
                self.chunk = (self.chunk * 2).min(MAX_CHUNK);
                if !self.buf.is_empty() {
                    return;
                }
            } else {
                // No progress (one token longer than the chunk): try a bigger chunk.
                self.buf.clear();
                self.chunk = self.chunk.saturating_mul(2);
            }
        }
    }
}

/// A directive being read: name and args so far.
struct Stmt {
    name: String,
    name_start: usize,
    name_end: usize,
    line: usize,
    args: Vec<Arg>,
}

/// An open block.
struct Frame {
    stmt: Stmt,
    children: Vec<Directive>,
}

/// Counts lines incrementally (token offsets only move forward).
struct Lines<'t> {
    bytes: &'t [u8],
    off: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, off: usize) -> usize {
        if off >= self.off {
            self.line += self.bytes[self.off..off].iter().filter(|&&b| b == b'\n').count();
        } else {
            self.line -= self.bytes[off..self.off].iter().filter(|&&b| b == b'\n').count();
        }
        self.off = off;
        self.line
    }
}

/// What went wrong, at a local byte offset (`start..end`).
struct SyntaxError {
    start: usize,
    end: usize,
    message: String,
    /// The error is "unexpected end of file" (input may simply be truncated).
    eof: bool,
    /// Blocks open when the error was found.
    depth: usize,
    /// Start of the last complete token read before the error.
    last: Option<usize>,
}

/// Where an "unexpected end of file" was found, for callers that report it as another parser
/// would (crossplane names the last token's line when braces are open, no line otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EofInfo {
    /// Blocks still open at the end of the file.
    pub depth: usize,
    /// Local byte offset of the last complete token.
    pub last_token: Option<usize>,
}

/// Result of the internal parse: the tree, or an error with the top-level names read so far.
struct Parsed {
    directives: Vec<Directive>,
    comments: Vec<Comment>,
    error: Option<SyntaxError>,
    /// Names of the top-level directives seen (complete or still open) when stopping.
    top_names: Vec<String>,
}

/// Parses one nginx file.
pub fn parse(file: &Arc<SourceFile>) -> Result<File, LoadError> {
    parse_detailed(file).map_err(|(e, _)| e)
}

/// [`parse`], telling for an "unexpected end of file" how deep the parser was and where its last
/// token started.
pub fn parse_detailed(file: &Arc<SourceFile>) -> Result<File, (LoadError, Option<EofInfo>)> {
    let p = parse_text(&file.text, |s, e| file.span(s, e));
    match p.error {
        Some(e) => {
            let info = e.eof.then_some(EofInfo { depth: e.depth, last_token: e.last });
            Err((LoadError::at(file.span(e.start, e.end), file.display.clone(), e.message), info))
        }
        None => Ok(File { source: file.clone(), directives: p.directives, comments: p.comments }),
    }
}

/// The directives of a file that does not parse, up to its syntax error (blocks still open there
/// closed at it), with the error's offset: what nginx has read, and checked, when it stops.
pub fn parse_partial(file: &Arc<SourceFile>) -> Option<(File, usize)> {
    let p = parse_text(&file.text, |s, e| file.span(s, e));
    let e = p.error?;
    Some((File { source: file.clone(), directives: p.directives, comments: p.comments }, e.start))
}

fn unexpected_char(text: &str, at: usize) -> SyntaxError {
    let c = text[at..].chars().next().unwrap_or(' ');
    SyntaxError {
        start: at,
        end: at + c.len_utf8(),
        message: format!("unexpected \"{c}\""),
        eof: false,
        depth: 0,
        last: None,
    }
}

fn eof_error(len: usize, expecting: &str) -> SyntaxError {
    SyntaxError {
        start: len,
        end: len,
        message: format!("unexpected end of file, expecting {expecting}"),
        eof: true,
        depth: 0,
        last: None,
    }
}

fn parse_text(text: &str, span: impl Fn(usize, usize) -> crate::source::Span) -> Parsed {
    let bytes = text.as_bytes();
    let mut lex = Lexer::new(text);
    let mut lines = Lines { bytes, off: 0, line: 1 };
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Vec<Directive> = Vec::new();
    let mut comments = Vec::new();
    let mut cur: Option<Stmt> = None;
    let mut top_names: Vec<String> = Vec::new();

    let mut last: Option<usize> = None;
    let fail = |mut error: SyntaxError,
                root: Vec<Directive>,
                comments,
                mut top_names: Vec<String>,
                stack: &[Frame],
                last: Option<usize>| {
        error.depth = stack.len();
        error.last = last;
        if let Some(f) = stack.first() {
            top_names.push(f.stmt.name.clone());
        }
        // nginx reads and checks every directive before the error: the blocks still open are
        // kept, closed at the error, for `parse_partial`.
        let mut root = root;
        let mut inner: Option<Directive> = None;
        for f in stack.iter().rev() {
            let mut children = f.children.clone();
            children.extend(inner.take());
            inner = Some(Directive {
                name: f.stmt.name.clone(),
                name_span: span(f.stmt.name_start, f.stmt.name_end),
                args: f.stmt.args.clone(),
                span: span(f.stmt.name_start, error.start.max(f.stmt.name_end)),
                line: f.stmt.line,
                block: Some(children),
                includes: Vec::new(),
            });
        }
        root.extend(inner);
        Parsed { directives: root, comments, error: Some(error), top_names }
    };

    loop {
        let tok = match lex.next() {
            Ok(t) => t,
            Err(stop) => {
                let len = text.len();
                if stop < len || cur.is_some() {
                    // Unterminated quote, trailing backslash, or a directive with no `;`.
                    return fail(eof_error(len, "\";\" or \"}\""), root, comments, top_names, &stack, last);
                }
                if !stack.is_empty() {
                    return fail(eof_error(len, "\"}\""), root, comments, top_names, &stack, last);
                }
                return Parsed { directives: root, comments, error: None, top_names };
            }
        };
        last = Some(tok.start);
        match tok.kind {
            Kind::Comment => {
                let line = lines.at(tok.start);
                comments.push(Comment {
                    text: text[tok.start + 1..tok.end].to_string(),
                    span: span(tok.start, tok.end),
                    line,
                });
            }
            Kind::Word(quote) => {
                if quote != Quote::None {
                    // nginx: after a closing quote comes a space, `;`, `{` or `)`.
                    if let Some(&b) = bytes.get(tok.end) {
                        if !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b')') {
                            return fail(unexpected_char(text, tok.end), root, comments, top_names, &stack, last);
                        }
                    }
                }
                let value = word_value(&text[tok.start..tok.end], quote);
                match &mut cur {
                    Some(stmt) => stmt.args.push(Arg { value, span: span(tok.start, tok.end), quote }),
                    None => {
                        let line = lines.at(tok.start);
                        cur = Some(Stmt {
                            name: value,
                            name_start: tok.start,
                            name_end: tok.end,
                            line,
                            args: Vec::new(),
                        });
                    }
                }
            }
            Kind::Semi => {
                let Some(stmt) = cur.take() else {
                    return fail(unexpected_char(text, tok.start), root, comments, top_names, &stack, last);
                };
                let d = Directive {
                    name: stmt.name,
                    name_span: span(stmt.name_start, stmt.name_end),
                    args: stmt.args,
                    span: span(stmt.name_start, tok.end),
                    line: stmt.line,
                    block: None,
                    includes: Vec::new(),
                };
                match stack.last_mut() {
                    Some(f) => f.children.push(d),
                    None => {
                        top_names.push(d.name.clone());
                        root.push(d);
                    }
                }
            }
            Kind::LBrace => {
                let Some(mut stmt) = cur.take() else {
                    return fail(unexpected_char(text, tok.start), root, comments, top_names, &stack, last);
                };
                if stmt.name.ends_with("_by_lua_block") {
                    let Some(close) = lua_body_end(bytes, tok.end) else {
                        return fail(eof_error(text.len(), "\"}\""), root, comments, top_names, &stack, last);
                    };
                    stmt.args.push(Arg {
                        value: text[tok.end..close].to_string(),
                        span: span(tok.end, close),
                        quote: Quote::None,
                    });
                    let d = Directive {
                        name: stmt.name,
                        name_span: span(stmt.name_start, stmt.name_end),
                        args: stmt.args,
                        span: span(stmt.name_start, close + 1),
                        line: stmt.line,
                        block: Some(Vec::new()),
                        includes: Vec::new(),
                    };
                    match stack.last_mut() {
                        Some(f) => f.children.push(d),
                        None => {
                            top_names.push(d.name.clone());
                            root.push(d);
                        }
                    }
                    lex.restart(close + 1);
                    continue;
                }
                // Blocks read by a handler of their own (`map`, `types`, ...) hold no blocks:
                // nginx's `ngx_conf_parse` rejects a `{` there.
                if stack.last().is_some_and(|f| HANDLER_BLOCKS.contains(&f.stmt.name.as_str())) {
                    return fail(unexpected_char(text, tok.start), root, comments, top_names, &stack, last);
                }
                if stack.len() >= MAX_DEPTH {
                    let e = SyntaxError {
                        start: tok.start,
                        end: tok.end,
                        message: format!("too many nested blocks (more than {MAX_DEPTH})"),
                        eof: false,
                        depth: 0,
                        last: None,
                    };
                    return fail(e, root, comments, top_names, &stack, last);
                }
                stack.push(Frame { stmt, children: Vec::new() });
            }
            Kind::RBrace => {
                if cur.is_some() {
                    return fail(unexpected_char(text, tok.start), root, comments, top_names, &stack, last);
                }
                let Some(f) = stack.pop() else {
                    return fail(unexpected_char(text, tok.start), root, comments, top_names, &stack, last);
                };
                let d = Directive {
                    name: f.stmt.name,
                    name_span: span(f.stmt.name_start, f.stmt.name_end),
                    args: f.stmt.args,
                    span: span(f.stmt.name_start, tok.end),
                    line: f.stmt.line,
                    block: Some(f.children),
                    includes: Vec::new(),
                };
                match stack.last_mut() {
                    Some(p) => p.children.push(d),
                    None => {
                        top_names.push(d.name.clone());
                        root.push(d);
                    }
                }
            }
        }
    }
}

/// The value nginx sees for a word as written (`raw` includes the quotes).
fn word_value(raw: &str, quote: Quote) -> String {
    let inner = match quote {
        Quote::None => raw,
        _ => &raw[1..raw.len() - 1],
    };
    if !inner.as_bytes().contains(&b'\\') {
        return inner.to_string();
    }
    unescape(inner)
}

/// nginx's copy loop in `ngx_conf_read_token`: `\"`, `\'`, `\\` lose the backslash; `\t`, `\r`,
/// `\n` become the control characters; any other backslash is kept.
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'"' | b'\'' | b'\\' => i += 1,
                b't' => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                b'r' => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Offset of the `}` closing a Lua block body that starts at `start` (just after its `{`). Skips
/// Lua strings (`'...'`, `"..."`, `[[...]]`, `[==[...]==]`) and comments (`-- ...`, `--[[...]]`)
/// so braces inside them do not count. `None` at end of input.
fn lua_body_end(b: &[u8], start: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'[' => {
                if let Some(end) = long_bracket(b, i) {
                    i = end;
                    continue;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i += 2;
                if let Some(end) = long_bracket(b, i) {
                    i = end;
                    continue;
                }
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// If a Lua long bracket (`[[`, `[=[`, ...) opens at `i`, the offset just after its closer (or
/// the end of input).
fn long_bracket(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while b.get(j) == Some(&b'=') {
        j += 1;
    }
    if b.get(j) != Some(&b'[') {
        return None;
    }
    let level = j - i - 1;
    let mut k = j + 1;
    while k < b.len() {
        if b[k] == b']' {
            let mut m = k + 1;
            while m < b.len() && b[m] == b'=' {
                m += 1;
            }
            if m - k - 1 == level && b.get(m) == Some(&b']') {
                return Some(m + 1);
            }
        }
        k += 1;
    }
    Some(b.len())
}

/// Top-level directives that only an nginx config would hold.
const NGINX_TOP: &[&str] = &[
    "http",
    "events",
    "server",
    "upstream",
    "stream",
    "mail",
    "map",
    "geo",
    "split_clients",
    "location",
    "types",
    "worker_processes",
    "worker_connections",
    "worker_rlimit_nofile",
    "load_module",
    "pid",
    "user",
    "error_log",
    "access_log",
    "log_format",
    "listen",
    "server_name",
    "root",
    "proxy_pass",
    "proxy_set_header",
    "proxy_read_timeout",
    "proxy_connect_timeout",
    "proxy_send_timeout",
    "proxy_http_version",
    "proxy_buffering",
    "proxy_cache_path",
    "fastcgi_pass",
    "fastcgi_param",
    "fastcgi_read_timeout",
    "uwsgi_pass",
    "uwsgi_param",
    "scgi_param",
    "grpc_pass",
    "add_header",
    "client_max_body_size",
    "keepalive_timeout",
    "sendfile",
    "gzip",
    "ssl_certificate",
    "ssl_certificate_key",
    "ssl_protocols",
    "resolver",
    "limit_req_zone",
    "charset_map",
    "default_type",
    "try_files",
    "rewrite",
];

/// Fast heuristic for `.conf` files whose name says nothing: the text lexes as nginx and its top
/// level holds a directive only nginx uses. Text cut short (discovery passes the first 64 KiB) is
/// judged on what was read before the cut.
pub fn looks_like_nginx(text: &str) -> bool {
    let p = parse_text(text, |s, e| crate::source::Span::new(s as u32, e as u32));
    if let Some(e) = &p.error {
        if !(e.eof && text.len() >= 60 * 1024) {
            return false;
        }
    }
    p.top_names.iter().any(|n| NGINX_TOP.contains(&n.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexer_chunks_agree_with_one_pass() {
        // Long enough to need several chunks, with quoted words spanning chunk boundaries.
        let mut s = String::new();
        for i in 0..5000 {
            s.push_str(&format!("d{i} \"a b {i}\" 'x\\'y' w\\ z;\n# c {i}\n"));
        }
        let p = parse_text(&s, |a, b| crate::source::Span::new(a as u32, b as u32));
        assert!(p.error.is_none());
        assert_eq!(p.directives.len(), 5000);
        assert_eq!(p.comments.len(), 5000);
        for (i, d) in p.directives.iter().enumerate() {
            assert_eq!(d.name, format!("d{i}"));
            assert_eq!(d.line, 2 * i + 1);
            assert_eq!(d.arg(0), Some(format!("a b {i}").as_str()));
            assert_eq!(d.arg(1), Some("x'y"));
            assert_eq!(d.arg(2), Some("w\\ z"));
        }
    }
}
