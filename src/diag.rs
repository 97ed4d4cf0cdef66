//! What rules and loaders produce: findings (a rule fired) and load errors (a file could not be read
//! as what it claims to be). Reporters turn both into text, JSON, ...

use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!("unknown severity `{s}` (expected info, warning or error)")),
        }
    }
}

/// A labelled place in some file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    /// The place the finding is "at" (first primary label); others are context.
    pub primary: bool,
}

impl Label {
    pub fn primary(span: Span, message: impl Into<String>) -> Label {
        Label { span, message: message.into(), primary: true }
    }
    pub fn secondary(span: Span, message: impl Into<String>) -> Label {
        Label { span, message: message.into(), primary: false }
    }
}

/// A rule fired.
#[derive(Clone, Debug)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: String,
    pub labels: Vec<Label>,
}

impl Finding {
    /// Primary span, used for sorting and de-duplication.
    pub fn anchor(&self) -> Span {
        self.labels.iter().find(|l| l.primary).or(self.labels.first()).map(|l| l.span).unwrap_or_default()
    }
}

/// A file stacklint recognised but could not read (syntax error, include cycle, unreadable file).
/// These make the run exit 2.
#[derive(Clone, Debug)]
pub struct LoadError {
    /// Where, when the error has a position in a loaded file.
    pub span: Option<Span>,
    /// The file's display path, for errors with no span (unreadable file).
    pub file: String,
    pub message: String,
    pub help: Option<String>,
}

impl LoadError {
    pub fn at(span: Span, file: impl Into<String>, message: impl Into<String>) -> LoadError {
        LoadError { span: Some(span), file: file.into(), message: message.into(), help: None }
    }
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> LoadError {
        LoadError { span: None, file: file.into(), message: message.into(), help: None }
    }
    pub fn with_help(mut self, help: impl Into<String>) -> LoadError {
        self.help = Some(help.into());
        self
    }
}

/// `s` with every control character (C0 but tab, DEL, C1; so ESC, CR and LF) written as a `\u{..}`
/// escape: text from a config or a file name must not move a terminal's cursor, clear its screen
/// or start a new log line that CI runs as a command (GitHub's `::error`).
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| (c.is_control() && c != '\t') || c == '\u{2028}' || c == '\u{2029}';
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}
