//! `stacklint parse --format crossplane`: the JSON payload `crossplane parse` (0.5.8) prints, built
//! from stacklint's own parse tree.
//!
//! Each file is parsed by [`super::parser`] (nginx's tokenizer rules), turned back into the token
//! stream crossplane's lexer would yield (values as crossplane keeps them: backslashes kept, `\"`
//! unquoted inside quotes, CR/CRLF read as LF; lines counted the same way; comments interleaved;
//! `*_by_lua_block` bodies as one quoted token), and that stream goes through a port of
//! crossplane's `parser.parse` and `analyzer.analyze` (context and argument-count checks with
//! crossplane's own directive table, [`super::crossplane_directives`], including its quirks: a
//! block directive rejected for its context is not skipped, its body is read in the outer context).
//!
//! Include resolution follows crossplane: a relative pattern is joined to the directory of the
//! main file *as given* (`os.path.join`, no normalisation), globs are expanded like Python's
//! `glob.glob` and sorted, every file gets one `config[]` entry in the order first reached, and
//! `includes` holds their indices. Paths are printed as crossplane prints them (joined, not made
//! absolute).
//!
//! Deliberate differences (see `tests/nginx_crossplane.rs`):
//! - stacklint never reads outside the tree being parsed, which for `parse` is the directory of
//!   FILE: an include that resolves outside it is reported as an error on its line and not read
//!   (crossplane reads it).
//! - A file with an nginx syntax error (which crossplane's more lenient lexer may accept: quotes
//!   glued to words, `}` inside words, a missing `;` before `}`) is reported with nginx's message
//!   and line and an empty `parsed`, as crossplane does for the syntax errors it detects.
//! - Error wording may differ from crossplane's; `file` and `line` do not.

use super::ast::{Directive, File};
use super::crossplane_directives::DIRECTIVES;
use super::parser;
use crate::source::{SourceFile, SourceMapBuilder};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `crossplane parse` takes that stacklint supports.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--include-comments`.
    pub comments: bool,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Payload {
    pub status: &'static str,
    pub errors: Vec<PayloadError>,
    pub config: Vec<Config>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PayloadError {
    pub file: String,
    pub error: String,
    pub line: Option<usize>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Config {
    pub file: String,
    pub status: &'static str,
    pub errors: Vec<ConfigError>,
    pub parsed: Vec<Stmt>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ConfigError {
    pub error: String,
    pub line: Option<usize>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Stmt {
    pub directive: String,
    pub line: usize,
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub includes: Option<Vec<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<Vec<Stmt>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Payload {
    /// The payload as `crossplane parse` prints it: compact JSON, non-ASCII escaped (Python's
    /// `json.dumps` default `ensure_ascii`), and a newline.
    pub fn to_json(&self) -> String {
        let s = serde_json::to_string(self).unwrap_or_default();
        let mut out = String::with_capacity(s.len() + 1);
        for c in s.chars() {
            if c.is_ascii() && c != '\u{7f}' {
                out.push(c);
            } else {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
        out.push('\n');
        out
    }
}

// Bit masks of crossplane's analyzer (nginx's own names).
const NGX_CONF_BLOCK: u32 = 0x0000_0100;
const NGX_CONF_FLAG: u32 = 0x0000_0200;
const NGX_CONF_ANY: u32 = 0x0000_0400;
const NGX_CONF_1MORE: u32 = 0x0000_0800;
const NGX_CONF_2MORE: u32 = 0x0000_1000;

/// crossplane's `CONTEXTS`: the mask of each context it knows.
fn context_mask(ctx: &[String]) -> Option<u32> {
    let c: Vec<&str> = ctx.iter().map(String::as_str).collect();
    Some(match c.as_slice() {
        [] => 0x0004_0000,
        ["events"] => 0x0008_0000,
        ["mail"] => 0x0010_0000,
        ["mail", "server"] => 0x0020_0000,
        ["stream"] => 0x0040_0000,
        ["stream", "server"] => 0x0080_0000,
        ["stream", "upstream"] => 0x0100_0000,
        ["http"] => 0x0200_0000,
        ["http", "server"] => 0x0400_0000,
        ["http", "location"] => 0x0800_0000,
        ["http", "upstream"] => 0x1000_0000,
        ["http", "server", "if"] => 0x2000_0000,
        ["http", "location", "if"] => 0x4000_0000,
        ["http", "location", "limit_except"] => 0x8000_0000,
        _ => return None,
    })
}

fn masks_of(directive: &str) -> Option<&'static [u32]> {
    DIRECTIVES.binary_search_by(|(n, _)| n.cmp(&directive)).ok().map(|i| DIRECTIVES[i].1)
}

/// crossplane's `analyze` (no `strict`): `Err(reason)` when the statement is rejected.
fn analyze(stmt: &Stmt, term: &Tok, ctx: &[String]) -> Result<(), String> {
    let directive = stmt.directive.as_str();
    let (Some(ctx_mask), Some(masks)) = (context_mask(ctx), masks_of(directive)) else {
        return Ok(());
    };
    let masks: Vec<u32> = masks.iter().copied().filter(|m| m & ctx_mask != 0).collect();
    if masks.is_empty() {
        return Err(format!("\"{directive}\" directive is not allowed here"));
    }
    let n = stmt.args.len();
    let flag = |s: &str| s.eq_ignore_ascii_case("on") || s.eq_ignore_ascii_case("off");
    let mut reason = String::new();
    for &mask in masks.iter().rev() {
        if mask & NGX_CONF_BLOCK != 0 && term.value != "{" {
            reason = format!("directive \"{directive}\" has no opening \"{{\"");
            continue;
        }
        if mask & NGX_CONF_BLOCK == 0 && term.value != ";" {
            reason = format!("directive \"{directive}\" is not terminated by \";\"");
            continue;
        }
        if (n <= 7 && (mask >> n) & 1 == 1)
            || (mask & NGX_CONF_FLAG != 0 && n == 1 && flag(&stmt.args[0]))
            || mask & NGX_CONF_ANY != 0
            || (mask & NGX_CONF_1MORE != 0 && n >= 1)
            || (mask & NGX_CONF_2MORE != 0 && n >= 2)
        {
            return Ok(());
        } else if mask & NGX_CONF_FLAG != 0 && n == 1 {
            reason = format!(
                "invalid value \"{}\" in \"{directive}\" directive, it must be \"on\" or \"off\"",
                stmt.args[0]
            );
        } else {
            reason = format!("invalid number of arguments in \"{directive}\" directive");
        }
    }
    Err(reason)
}

fn enter_block_ctx(directive: &str, ctx: &[String]) -> Vec<String> {
    if ctx.first().is_some_and(|c| c == "http") && directive == "location" {
        return vec!["http".into(), "location".into()];
    }
    let mut v = ctx.to_vec();
    v.push(directive.to_string());
    v
}

/// `if (...)`: crossplane strips the parentheses from the arguments.
fn prepare_if_args(args: &mut Vec<String>) {
    if args.is_empty() || !args[0].starts_with('(') || !args[args.len() - 1].ends_with(')') {
        return;
    }
    args[0] = args[0][1..].trim_start().to_string();
    let last = args.len() - 1;
    let s = &args[last];
    args[last] = s[..s.len() - 1].trim_end().to_string();
    let start = usize::from(args[0].is_empty());
    let end = args.len() - usize::from(args[args.len() - 1].is_empty());
    *args = if start <= end { args[start..end].to_vec() } else { Vec::new() };
}

/// A token as crossplane's lexer yields it.
#[derive(Clone, Debug)]
struct Tok {
    value: String,
    line: usize,
    quoted: bool,
}

impl Tok {
    fn is(&self, s: &str) -> bool {
        !self.quoted && self.value == s
    }
}

/// Line numbers as crossplane counts them: Python reads files with universal newlines, so
/// `\r\n`, `\r` and `\n` each end a line.
struct CpLines {
    starts: Vec<usize>,
}

impl CpLines {
    fn new(text: &str) -> Self {
        let b = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if b.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        CpLines { starts }
    }
    fn line(&self, off: usize) -> usize {
        self.starts.partition_point(|&s| s <= off)
    }
}

fn universal_newlines(s: &str) -> String {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s.to_string()
    }
}

/// The value crossplane keeps for a word as written: unquoted words verbatim; inside quotes only
/// `\<quote>` loses its backslash (other escapes stay as written).
fn cp_value(raw: &str) -> (String, bool) {
    let q = match raw.as_bytes().first() {
        Some(&c @ (b'"' | b'\'')) if raw.len() >= 2 => c as char,
        _ => return (universal_newlines(raw), false),
    };
    let inner = &raw[1..raw.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some(n) if n == q => out.push(q),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    (universal_newlines(&out), true)
}

/// The lua block directives crossplane's Lua extension lexes (others are nginx syntax to it).
const CP_LUA: &[&str] = &[
    "access_by_lua_block",
    "balancer_by_lua_block",
    "body_filter_by_lua_block",
    "content_by_lua_block",
    "header_filter_by_lua_block",
    "init_by_lua_block",
    "init_worker_by_lua_block",
    "log_by_lua_block",
    "rewrite_by_lua_block",
    "set_by_lua_block",
    "ssl_certificate_by_lua_block",
    "ssl_session_fetch_by_lua_block",
    "ssl_session_store_by_lua_block",
];

/// Rebuilds crossplane's token stream from a parsed file.
fn tokens(file: &File) -> Vec<Tok> {
    let sf = &file.source;
    let text: &str = &sf.text;
    let lines = CpLines::new(text);
    let mut out: Vec<(usize, Tok)> = Vec::new();
    push_dirs(&file.directives, sf, text, &lines, &mut out);
    // Comments are tokens too (crossplane drops them later unless asked); merge them in by offset.
    let mut cms: Vec<(usize, Tok)> = file
        .comments
        .iter()
        .map(|c| {
            let off = sf.local(c.span.start);
            let mut t = c.text.strip_suffix('\r').unwrap_or(&c.text);
            // crossplane reads `\` + the next character as one; an odd backslash at the end of a
            // comment is read with the newline and lost.
            if (t.len() - t.trim_end_matches('\\').len()) % 2 == 1 {
                t = &t[..t.len() - 1];
            }
            (off, Tok { value: format!("#{}", universal_newlines(t)), line: lines.line(off), quoted: false })
        })
        .collect();
    // A comment that ends the file without a newline is lost by crossplane's lexer.
    if let Some((off, _)) = cms.last() {
        if !text[*off..].contains('\n') && !text[*off..].contains('\r') {
            cms.pop();
        }
    }
    if cms.is_empty() {
        return out.into_iter().map(|(_, t)| t).collect();
    }
    let mut merged = Vec::with_capacity(out.len() + cms.len());
    let mut ci = cms.into_iter().peekable();
    for (off, t) in out {
        while ci.peek().is_some_and(|(c, _)| *c < off) {
            merged.push(ci.next().unwrap().1);
        }
        merged.push(t);
    }
    merged.extend(ci.map(|(_, t)| t));
    merged
}

fn punct(off: usize, s: &str, lines: &CpLines) -> (usize, Tok) {
    (off, Tok { value: s.to_string(), line: lines.line(off), quoted: false })
}

fn push_dirs(dirs: &[Directive], sf: &SourceFile, text: &str, lines: &CpLines, out: &mut Vec<(usize, Tok)>) {
    for d in dirs {
        let start = sf.local(d.name_span.start);
        let (value, quoted) = cp_value(&text[start..sf.local(d.name_span.end)]);
        out.push((start, Tok { value, line: lines.line(start), quoted }));
        let end = sf.local(d.span.end);
        let lua =
            d.name.ends_with("_by_lua_block") && d.block.as_ref().is_some_and(Vec::is_empty) && !d.args.is_empty();
        if lua && CP_LUA.contains(&d.name.as_str()) {
            let (body, rest) = d.args.split_last().unwrap_or_else(|| unreachable!());
            for a in rest {
                let s = sf.local(a.span.start);
                let (value, quoted) = cp_value(&text[s..sf.local(a.span.end)]);
                out.push((s, Tok { value, line: lines.line(s), quoted }));
            }
            let s = sf.local(body.span.start);
            let body_text = universal_newlines(&text[s..sf.local(body.span.end)]);
            out.push((s, Tok { value: body_text, line: lines.line(s), quoted: true }));
            out.push(punct(end - 1, ";", lines));
            continue;
        }
        let mut after = sf.local(d.name_span.end);
        for a in &d.args {
            let s = sf.local(a.span.start);
            after = sf.local(a.span.end);
            let (value, quoted) = cp_value(&text[s..after]);
            out.push((s, Tok { value, line: lines.line(s), quoted }));
        }
        match &d.block {
            Some(children) => {
                let brace = find_brace(text.as_bytes(), after);
                out.push(punct(brace, "{", lines));
                push_dirs(children, sf, text, lines, out);
                out.push(punct(end - 1, "}", lines));
            }
            None => out.push(punct(end - 1, ";", lines)),
        }
    }
}

/// The `{` opening a block: the first one after `from` outside comments.
fn find_brace(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'{' => return i,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

struct Parsing {
    file: String,
    errors: Vec<ConfigError>,
}

/// Port of crossplane's `parser.parse`.
struct Run<'a> {
    opts: &'a Options,
    config_dir: String,
    /// The canonical tree stacklint may read (the directory of FILE).
    root: Option<PathBuf>,
    /// The same directory as given (absolute, links not resolved), for the lexical check.
    given_root: Vec<PathBuf>,
    includes: Vec<(String, Vec<String>)>,
    included: HashMap<String, usize>,
    payload_errors: Vec<PayloadError>,
    map: SourceMapBuilder,
    /// `inside` answers by path as written (thousands of includes often name one snippet).
    inside_cache: std::cell::RefCell<HashMap<PathBuf, bool>>,
}

impl Run<'_> {
    fn error(&mut self, parsing: &mut Parsing, error: String, line: Option<usize>) {
        parsing.errors.push(ConfigError { error: error.clone(), line });
        self.payload_errors.push(PayloadError { file: parsing.file.clone(), error, line });
    }

    fn parse_block(
        &mut self,
        parsing: &mut Parsing,
        toks: &mut std::iter::Peekable<std::vec::IntoIter<Tok>>,
        ctx: &[String],
        consume: bool,
    ) -> Vec<Stmt> {
        let mut parsed = Vec::new();
        while let Some(tok) = toks.next() {
            if tok.is("}") {
                break;
            }
            if consume {
                if tok.is("{") {
                    self.parse_block(parsing, toks, &[], true);
                }
                continue;
            }
            if tok.value.starts_with('#') && !tok.quoted {
                if self.opts.comments {
                    parsed.push(Stmt {
                        directive: "#".into(),
                        line: tok.line,
                        args: Vec::new(),
                        includes: None,
                        block: None,
                        comment: Some(tok.value[1..].to_string()),
                    });
                }
                continue;
            }
            let mut stmt = Stmt {
                directive: tok.value,
                line: tok.line,
                args: Vec::new(),
                includes: None,
                block: None,
                comment: None,
            };
            let mut comments_in_args = Vec::new();
            // The token stream comes from a successful parse: every statement is terminated.
            let Some(mut term) = toks.next() else { break };
            while !(term.is("{") || term.is(";") || term.is("}")) {
                if term.value.starts_with('#') && !term.quoted {
                    comments_in_args.push(term.value[1..].to_string());
                } else {
                    stmt.args.push(term.value);
                }
                match toks.next() {
                    Some(t) => term = t,
                    None => return parsed,
                }
            }
            if stmt.directive == "if" {
                prepare_if_args(&mut stmt.args);
            }
            if let Err(reason) = analyze(&stmt, &term, ctx) {
                let msg = format!("{reason} in {}:{}", parsing.file, stmt.line);
                self.error(parsing, msg, Some(stmt.line));
                if reason.ends_with(" is not terminated by \";\"") {
                    if !term.is("}") {
                        self.parse_block(parsing, toks, &[], true);
                    } else {
                        break;
                    }
                }
                continue;
            }
            if stmt.directive == "include" {
                stmt.includes = Some(self.include(parsing, &stmt, ctx));
            }
            if term.is("{") {
                let inner = enter_block_ctx(&stmt.directive, ctx);
                stmt.block = Some(self.parse_block(parsing, toks, &inner, false));
            }
            let line = stmt.line;
            parsed.push(stmt);
            for c in comments_in_args {
                parsed.push(Stmt {
                    directive: "#".into(),
                    line,
                    args: Vec::new(),
                    includes: None,
                    block: None,
                    comment: Some(c),
                });
            }
        }
        parsed
    }

    fn include(&mut self, parsing: &mut Parsing, stmt: &Stmt, ctx: &[String]) -> Vec<usize> {
        let Some(arg) = stmt.args.first() else { return Vec::new() };
        let pattern = py_join(&self.config_dir, arg);
        let fnames = if has_magic(&pattern) {
            let mut v = self.glob(&pattern);
            v.sort();
            v
        } else {
            match self.check_readable(&pattern) {
                Ok(()) => vec![pattern],
                Err(e) => {
                    self.error(parsing, e, Some(stmt.line));
                    Vec::new()
                }
            }
        };
        let mut out = Vec::new();
        for f in fnames {
            let idx = match self.included.get(&f) {
                Some(&i) => i,
                None => {
                    let i = self.includes.len();
                    self.included.insert(f.clone(), i);
                    self.includes.push((f, ctx.to_vec()));
                    i
                }
            };
            out.push(idx);
        }
        out
    }

    /// Is `path` inside the tree being parsed? (Symlinks resolved.)
    fn inside(&self, path: &Path) -> bool {
        if let Some(&b) = self.inside_cache.borrow().get(path) {
            return b;
        }
        let b = self.inside_uncached(path);
        self.inside_cache.borrow_mut().insert(path.to_path_buf(), b);
        b
    }

    fn inside_uncached(&self, path: &Path) -> bool {
        // Lexically first, then through links; a missing file is inside only when its deepest
        // existing ancestor is (so a refusal never tells whether an outside file exists).
        match &self.root {
            Some(root) => !matches!(
                crate::fsread::confine(path, std::slice::from_ref(root), &self.given_root),
                Err(crate::fsread::Refusal::Outside)
            ),
            None => false,
        }
    }

    fn outside_error(&self, path: &str) -> String {
        let root = self.root.as_ref().map(|r| r.display().to_string()).unwrap_or_default();
        format!("{} is outside {root}, the tree stacklint parses; it is not read", py_repr(path))
    }

    /// crossplane's `open(pattern).close()` check, refusing files outside the tree.
    fn check_readable(&self, path: &str) -> Result<(), String> {
        let p = Path::new(path);
        if !self.inside(p) {
            return Err(self.outside_error(path));
        }
        match crate::fsread::read_head(p, 0) {
            Some(_) => Ok(()),
            None => match std::fs::metadata(p) {
                Err(e) => Err(io_error(&e, path)),
                Ok(m) if m.is_dir() => Ok(()), // crossplane's open() of a directory succeeds on Linux
                Ok(m) => Err(format!(
                    "{} is a {}, not a regular file; stacklint reads regular files only",
                    py_repr(path),
                    crate::fsread::kind_name(m.file_type())
                )),
            },
        }
    }

    /// Reads one file of the payload, refusing files outside the tree.
    fn read(&self, path: &str) -> Result<Arc<SourceFile>, String> {
        let p = Path::new(path);
        if !self.inside(p) {
            return Err(self.outside_error(path));
        }
        if p.is_dir() {
            return Err(format!("[Errno 21] Is a directory: {}", py_repr(path)));
        }
        let bytes = crate::fsread::read_regular(p, crate::files::MAX_FILE_BYTES).map_err(|e| match e {
            crate::fsread::ReadError::Io(e) => io_error(&e, path),
            other => format!("{}: {other}", py_repr(path)),
        })?;
        Ok(self.map.add(p, path.to_string(), bytes))
    }

    /// Python's `glob.glob(pattern)` (not recursive), never listing directories outside the tree.
    fn glob(&self, pattern: &str) -> Vec<String> {
        let (dirname, basename) = py_split(pattern);
        if !has_magic(pattern) {
            let ok = if basename.is_empty() { Path::new(&dirname).is_dir() } else { lexists(pattern) };
            return if ok { vec![pattern.to_string()] } else { Vec::new() };
        }
        if dirname.is_empty() {
            return self.glob1(".", &basename, false);
        }
        let dirs = if dirname != pattern && has_magic(&dirname) { self.glob_dirs(&dirname) } else { vec![dirname] };
        let mut out = Vec::new();
        for d in dirs {
            let names = if has_magic(&basename) {
                self.glob1(&d, &basename, false)
            } else if basename.is_empty() {
                if Path::new(&d).is_dir() {
                    vec![String::new()]
                } else {
                    Vec::new()
                }
            } else if lexists(&py_join(&d, &basename)) {
                vec![basename.clone()]
            } else {
                Vec::new()
            };
            out.extend(names.into_iter().map(|n| py_join(&d, &n)));
        }
        out
    }

    /// `glob` of a directory pattern: directories only.
    fn glob_dirs(&self, pattern: &str) -> Vec<String> {
        let (dirname, basename) = py_split(pattern);
        if !has_magic(pattern) {
            return if Path::new(pattern).is_dir() { vec![pattern.to_string()] } else { Vec::new() };
        }
        if dirname.is_empty() {
            return self.glob1(".", &basename, true);
        }
        let dirs = if dirname != pattern && has_magic(&dirname) { self.glob_dirs(&dirname) } else { vec![dirname] };
        let mut out = Vec::new();
        for d in dirs {
            let names = if has_magic(&basename) {
                self.glob1(&d, &basename, true)
            } else if Path::new(&py_join(&d, &basename)).is_dir() {
                vec![basename.clone()]
            } else {
                Vec::new()
            };
            out.extend(names.into_iter().map(|n| py_join(&d, &n)));
        }
        out
    }

    fn glob1(&self, dir: &str, pattern: &str, dirs_only: bool) -> Vec<String> {
        let dir = if dir.is_empty() { "." } else { dir };
        if !self.inside(Path::new(dir)) {
            return Vec::new();
        }
        let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
        let hidden_ok = pattern.starts_with('.');
        let mut out = Vec::new();
        for e in rd.flatten() {
            let Some(name) = e.file_name().to_str().map(str::to_string) else { continue };
            if !hidden_ok && name.starts_with('.') {
                continue;
            }
            if dirs_only && !e.path().is_dir() {
                continue;
            }
            if fnmatch(name.as_bytes(), pattern.as_bytes()) {
                out.push(name);
            }
        }
        out
    }
}

fn lexists(p: &str) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

fn io_error(e: &std::io::Error, path: &str) -> String {
    let (no, what) = match e.kind() {
        std::io::ErrorKind::NotFound => (2, "No such file or directory"),
        std::io::ErrorKind::PermissionDenied => (13, "Permission denied"),
        _ => return format!("{e}: {}", py_repr(path)),
    };
    format!("[Errno {no}] {what}: {}", py_repr(path))
}

/// Python's `repr` of a string (enough for paths in error messages).
fn py_repr(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::new();
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

/// `glob.has_magic`.
fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `os.path.join(a, b)` for two parts.
fn py_join(a: &str, b: &str) -> String {
    if b.starts_with('/') || a.is_empty() {
        b.to_string()
    } else if a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// `os.path.split`.
fn py_split(p: &str) -> (String, String) {
    let i = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (head, tail) = p.split_at(i);
    let trimmed = head.trim_end_matches('/');
    let head = if trimmed.is_empty() { head } else { trimmed };
    (head.to_string(), tail.to_string())
}

/// `os.path.dirname`.
fn py_dirname(p: &str) -> String {
    py_split(p).0
}

/// `fnmatch.fnmatchcase` on POSIX: `*`, `?`, `[...]` / `[!...]` (an unclosed `[` is literal).
fn fnmatch(name: &[u8], pat: &[u8]) -> bool {
    // Iterative matcher with backtracking to the last `*`.
    let (mut n, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                b'?' if n < name.len() => {
                    // `?` matches one character (UTF-8: skip continuation bytes).
                    n += utf8_len(name[n]);
                    p += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, len, next)) = class_match(&pat[p..], &name[n.min(name.len())..]) {
                        if matched {
                            n += len;
                            p += next;
                            continue;
                        }
                    } else if n < name.len() && name[n] == b'[' {
                        n += 1;
                        p += 1;
                        continue;
                    }
                }
                c if c != b'?' && n < name.len() && name[n] == c => {
                    n += 1;
                    p += 1;
                    continue;
                }
                _ => {}
            }
        } else if n == name.len() {
            return true;
        }
        match star {
            Some((sp, sn)) if sn < name.len() => {
                let sn = sn + utf8_len(name[sn]);
                star = Some((sp, sn));
                p = sp + 1;
                n = sn;
            }
            _ => return false,
        }
    }
}

fn utf8_len(b: u8) -> usize {
    match b {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// A `[...]` class at the start of `pat` against the first character of `name`: `None` if the
/// class is not closed (then `[` is literal), else (matched, bytes of name used, bytes of pattern).
fn class_match(pat: &[u8], name: &[u8]) -> Option<(bool, usize, usize)> {
    let mut i = 1;
    let negate = matches!(pat.get(i), Some(b'!'));
    if negate {
        i += 1;
    }
    let body_start = i;
    if pat.get(i) == Some(&b']') {
        i += 1;
    }
    while i < pat.len() && pat[i] != b']' {
        i += 1;
    }
    if i >= pat.len() {
        return None;
    }
    let body = std::str::from_utf8(&pat[body_start..i]).ok()?;
    let Some(c) = std::str::from_utf8(name).ok().and_then(|s| s.chars().next()) else {
        return Some((false, 0, i + 1));
    };
    let chars: Vec<char> = body.chars().collect();
    let mut hit = false;
    let mut k = 0;
    while k < chars.len() {
        if k + 2 < chars.len() && chars[k + 1] == '-' {
            if chars[k] <= c && c <= chars[k + 2] {
                hit = true;
            }
            k += 3;
        } else {
            if chars[k] == c {
                hit = true;
            }
            k += 1;
        }
    }
    Some((hit != negate, c.len_utf8(), i + 1))
}

/// `crossplane parse FILE`: the payload for FILE and every file it includes.
pub fn parse(file: &Path, opts: &Options) -> Payload {
    let filename = file.to_string_lossy().into_owned();
    let root = file.canonicalize().ok().and_then(|c| c.parent().map(Path::to_path_buf));
    let mut run = Run {
        opts,
        config_dir: py_dirname(&filename),
        root,
        given_root: std::env::current_dir()
            .ok()
            .and_then(|cwd| crate::fsread::clean(&cwd.join(file)).parent().map(Path::to_path_buf))
            .into_iter()
            .collect(),
        includes: vec![(filename.clone(), Vec::new())],
        included: HashMap::from([(filename, 0)]),
        payload_errors: Vec::new(),
        map: SourceMapBuilder::new(),
        inside_cache: Default::default(),
    };
    let mut config = Vec::new();
    let mut i = 0;
    while i < run.includes.len() {
        let (fname, ctx) = run.includes[i].clone();
        i += 1;
        let mut parsing = Parsing { file: fname.clone(), errors: Vec::new() };
        let parsed = match run.read(&fname) {
            Err(e) => {
                run.error(&mut parsing, e, None);
                Vec::new()
            }
            Ok(sf) => match parser::parse_detailed(&sf) {
                Ok(f) => {
                    let toks = tokens(&f);
                    run.parse_block(&mut parsing, &mut toks.into_iter().peekable(), &ctx, false)
                }
                Err((e, eof)) => {
                    let lines = CpLines::new(&sf.text);
                    // crossplane finds an unexpected end of file after its last token: it names
                    // that token's line while braces are open, and no line otherwise.
                    let line = match eof {
                        Some(info) if info.depth > 0 => info.last_token.map(|o| lines.line(o)),
                        Some(_) => None,
                        None => e.span.map(|s| lines.line(sf.local(s.start))),
                    };
                    let msg = match line {
                        Some(l) => format!("{} in {fname}:{l}", e.message),
                        None => format!("{} in {fname}", e.message),
                    };
                    run.error(&mut parsing, msg, line);
                    Vec::new()
                }
            },
        };
        let status = if parsing.errors.is_empty() { "ok" } else { "failed" };
        config.push(Config { file: parsing.file, status, errors: parsing.errors, parsed });
    }
    let status = if run.payload_errors.is_empty() { "ok" } else { "failed" };
    Payload { status, errors: run.payload_errors, config }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_path_helpers() {
        assert_eq!(py_dirname("nginx.conf"), "");
        assert_eq!(py_dirname("/nginx.conf"), "/");
        assert_eq!(py_dirname("a//b"), "a");
        assert_eq!(py_join("a", "b/c"), "a/b/c");
        assert_eq!(py_join("a/", "b"), "a/b");
        assert_eq!(py_join("a", "/b"), "/b");
        assert_eq!(py_join("", "b"), "b");
    }

    #[test]
    fn fnmatch_like_python() {
        assert!(fnmatch(b"a.conf", b"*.conf"));
        assert!(!fnmatch(b"a.confx", b"*.conf"));
        assert!(fnmatch(b"x1", b"x[0-9]"));
        assert!(!fnmatch(b"x1", b"x[!0-9]"));
        assert!(fnmatch(b"x[", b"x["));
        assert!(fnmatch(b"abc", b"a?c"));
        assert!(fnmatch(b"", b"*"));
    }

    #[test]
    fn values_as_crossplane_keeps_them() {
        assert_eq!(cp_value(r#""a\"b\\n""#), (r#"a"b\\n"#.to_string(), true));
        assert_eq!(cp_value(r"w\ x"), (r"w\ x".to_string(), false));
        assert_eq!(cp_value("'it\\'s'"), ("it's".to_string(), true));
    }

    #[test]
    fn if_args() {
        let mut a = vec!["($request_method".to_string(), "=".into(), "POST)".into()];
        prepare_if_args(&mut a);
        assert_eq!(a, ["$request_method", "=", "POST"]);
        let mut a = vec!["(".to_string(), "$x".into(), ")".into()];
        prepare_if_args(&mut a);
        assert_eq!(a, ["$x"]);
    }

    #[test]
    fn json_escapes_like_python() {
        let p = Payload { status: "ok", errors: Vec::new(), config: Vec::new() };
        assert_eq!(p.to_json(), "{\"status\":\"ok\",\"errors\":[],\"config\":[]}\n");
        let p = Payload {
            status: "ok",
            errors: vec![PayloadError { file: "é😀\u{7f}".into(), error: String::new(), line: None }],
            config: Vec::new(),
        };
        assert!(p.to_json().contains(r#""file":"\u00e9\ud83d\ude00\u007f""#));
    }
}
