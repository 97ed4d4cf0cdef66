//! The HAProxy syntax tree: files made of sections (`global`, `defaults`, `frontend`, ...), each a
//! header line and keyword lines. Every word keeps its span and its value as HAProxy reads it
//! (quotes removed, escapes and `"${VAR-default}"` processed).

use crate::source::{SourceFile, Span};
use std::sync::Arc;

/// One word of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The value as HAProxy sees it. An environment variable with no default in the linted tree
    /// stays as written (`${VAR}`), and `unresolved` is set.
    pub value: String,
    /// The word as written, quotes included.
    pub span: Span,
    /// Some part of the word was quoted.
    pub quoted: bool,
    /// The word holds `"${VAR}"` with no default: its real value is only known at run time.
    pub unresolved: bool,
}

/// A keyword line: `timeout server 30s`, `server s1 10.0.0.1:80 check`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// All words, the keyword first.
    pub words: Vec<Arg>,
    /// From the first byte of the keyword to the end of the last word.
    pub span: Span,
    /// 1-based line number.
    pub line: usize,
    /// The conditions of the `.if`/`.elif`/`.else` blocks the line sits in, innermost last
    /// (`defined(FOO)`, `!(version_atleast(2.5))`). stacklint does not evaluate them: every line
    /// counts, so with `.if A ... .else ... .endif` the later setting wins.
    pub cond: Vec<String>,
}

impl Line {
    pub fn keyword(&self) -> &str {
        self.words.first().map(|w| w.value.as_str()).unwrap_or("")
    }
    /// The words after the keyword.
    pub fn args(&self) -> &[Arg] {
        self.words.get(1..).unwrap_or(&[])
    }
    /// The value of the `i`-th word after the keyword.
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.words.get(i + 1).map(|w| w.value.as_str())
    }
}

/// What a section is. Sections the model does not read (`resolvers`, `peers`, `userlist`,
/// `program`, `http-errors`, `ring`, `cache`, `fcgi-app`, `mailers`, `crt-store`, `traces`, ...)
/// are kept as `Other` with their keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    Global,
    Defaults,
    Frontend,
    Backend,
    Listen,
    Other,
}

/// Every section keyword HAProxy (up to 3.x) knows.
pub const SECTION_KEYWORDS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "resolvers",
    "peers",
    "userlist",
    "program",
    "http-errors",
    "ring",
    "cache",
    "fcgi-app",
    "mailers",
    "crt-store",
    "traces",
    "log-forward",
    "namespace_list",
    "acme",
];

impl SectionKind {
    pub fn of(keyword: &str) -> Option<SectionKind> {
        Some(match keyword {
            "global" => SectionKind::Global,
            "defaults" => SectionKind::Defaults,
            "frontend" => SectionKind::Frontend,
            "backend" => SectionKind::Backend,
            "listen" => SectionKind::Listen,
            k if SECTION_KEYWORDS.contains(&k) => SectionKind::Other,
            _ => return None,
        })
    }
    /// Accepts connections (`frontend`, `listen`).
    pub fn is_frontend(&self) -> bool {
        matches!(self, SectionKind::Frontend | SectionKind::Listen)
    }
    /// Holds servers (`backend`, `listen`).
    pub fn is_backend(&self) -> bool {
        matches!(self, SectionKind::Backend | SectionKind::Listen)
    }
    pub fn is_proxy(&self) -> bool {
        self.is_frontend() || self.is_backend()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    /// The header line (`backend api from common`).
    pub header: Line,
    /// The section name, if written.
    pub name: Option<Arg>,
    /// `from NAME`: the defaults section this one takes its settings from.
    pub from: Option<Arg>,
    pub lines: Vec<Line>,
}

impl Section {
    pub fn keyword(&self) -> &str {
        self.header.keyword()
    }
    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().map(|n| n.value.as_str())
    }
    /// The span of the header line.
    pub fn span(&self) -> Span {
        self.header.span
    }
    /// Lines with this keyword, in order.
    pub fn lines_named<'a>(&'a self, kw: &'a str) -> impl Iterator<Item = &'a Line> + 'a {
        self.lines.iter().filter(move |l| l.keyword() == kw)
    }
}

/// A `.notice`/`.warning`/`.alert`/`.diag` line: a message HAProxy prints while it loads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub level: String,
    pub text: String,
    pub span: Span,
    pub cond: Vec<String>,
}

/// One parsed file.
#[derive(Debug)]
pub struct File {
    pub source: Arc<SourceFile>,
    pub sections: Vec<Section>,
    pub messages: Vec<Message>,
    /// Comment spans (`# ...`).
    pub comments: Vec<Span>,
}

/// The files HAProxy would load together (`haproxy -f a.cfg -f conf.d/`): one directory, in
/// lexical order, with its `*.d` sub-directory.
#[derive(Debug, Default)]
pub struct Instance {
    /// The directory (display path) the files come from.
    pub dir: String,
    pub files: Vec<File>,
    /// The `-f FILE` pattern files its ACLs name, read from the linted tree.
    pub pattern_files: Vec<super::trust::PatternFile>,
}

impl Instance {
    /// Every section of every file, in load order.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.files.iter().flat_map(|f| f.sections.iter())
    }
}

/// Every HAProxy file found, grouped into instances.
#[derive(Debug, Default)]
pub struct Config {
    pub instances: Vec<Instance>,
}
