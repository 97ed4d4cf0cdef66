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

/// Load errors reported per file, at most; the rest are counted in one more error. A hostile file
/// (a line of a million NUL bytes, a million unparseable lines) would otherwise fill the report
/// (256 KiB of NULs made 41 MB of JSON).
pub const MAX_ERRORS_PER_FILE: usize = 100;

/// Keeps the first [`MAX_ERRORS_PER_FILE`] errors of each file, in order, and puts after the last
/// one kept an error saying how many more there were.
pub fn cap_per_file(errors: Vec<LoadError>) -> Vec<LoadError> {
    use std::collections::HashMap;
    // File -> (errors seen, index in `out` of its last error kept).
    let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
    let mut out = Vec::with_capacity(errors.len().min(1024));
    for e in errors {
        let s = seen.entry(e.file.clone()).or_insert((0, 0));
        s.0 += 1;
        if s.0 <= MAX_ERRORS_PER_FILE {
            s.1 = out.len();
            out.push(e);
        }
    }
    let mut more: Vec<(usize, String, usize)> =
        seen.into_iter().filter(|(_, (n, _))| *n > MAX_ERRORS_PER_FILE).map(|(f, (n, at))| (at, f, n)).collect();
    more.sort();
    for (at, file, n) in more.into_iter().rev() {
        let extra = n - MAX_ERRORS_PER_FILE;
        let msg = format!(
            "{extra} more error{} in this file not reported (stacklint reports the first {MAX_ERRORS_PER_FILE})",
            if extra == 1 { "" } else { "s" }
        );
        out.insert(at + 1, LoadError::file(file, msg));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_capped_per_file() {
        let mut errors: Vec<LoadError> = (0..250).map(|i| LoadError::file("a", format!("a{i}"))).collect();
        errors.insert(3, LoadError::file("b", "b0"));
        errors.extend((0..101).map(|i| LoadError::file("c", format!("c{i}"))));
        let out = cap_per_file(errors);
        let msgs: Vec<&str> = out.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(out.len(), 100 + 1 + 1 + 100 + 1);
        assert_eq!(msgs[3], "b0");
        assert_eq!(msgs[100], "a99");
        assert_eq!(msgs[101], "150 more errors in this file not reported (stacklint reports the first 100)");
        assert_eq!((out[101].file.as_str(), out[101].span), ("a", None));
        assert_eq!(msgs[202], "1 more error in this file not reported (stacklint reports the first 100)");
    }
}
