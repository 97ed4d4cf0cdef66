//! Human output: one miette report per finding, with a labelled snippet in every file involved.

//!
//! Every string from a config file or its name (messages, labels, help, file names, the snippet's
//! source lines) goes through [`printable`]: control characters but tab and the line breaks
//! between lines of the report are written out, so that a CR or LF in a name or a value cannot
//! start a line (`::error ...`, which the GitHub runner executes) and an ESC cannot drive the
//! terminal, with or without `--color`.

use crate::diag::{Finding, LoadError, Severity};
use crate::report::printable;
use crate::source::{SourceMap, Span};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use std::fmt;

struct FindingDiag<'a> {
    f: &'a Finding,
    map: &'a SourceMap,
}

impl fmt::Debug for FindingDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(&self.f.message))
    }
}
impl fmt::Display for FindingDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(&self.f.message))
    }
}
impl std::error::Error for FindingDiag<'_> {}

fn sev(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// Longest line (in bytes) shown in a snippet. miette pads a label's underline to its column with
/// a format width, which Rust caps at 65,535: a label further right than that panics. At most
/// 10,000 bytes, even tabs (4 columns each) stay below; a long `add_header` line still fits.
const MAX_SNIPPET_LINE: usize = 10_000;

/// Whether a snippet of `span` (its lines and one line of context around them) can be drawn.
fn fits(map: &SourceMap, span: Span) -> bool {
    map.file_of(span.start)
        .is_some_and(|f| !f.private && f.longest_line_around(span, CONTEXT_LINES) <= MAX_SNIPPET_LINE)
}

/// `file:line:col: message (line too long to show)`, for a label with no snippet.
fn as_text(map: &SourceMap, span: Span, msg: &str) -> String {
    let why = if map.file_of(span.start).is_some_and(|f| f.private) {
        "outside the linted tree: text not shown"
    } else {
        "line too long to show"
    };
    match map.location(span) {
        Some(l) => {
            format!("{}:{}:{}: {} ({why})", printable(&l.file), l.line, l.column, printable(msg))
        }
        None => printable(msg).into_owned(),
    }
}

const CONTEXT_LINES: usize = 1;

fn labeled(span: Span, msg: &str, primary: bool) -> LabeledSpan {
    let s = miette::SourceSpan::new((span.start as usize).into(), span.len() as usize);
    let msg = printable(msg).into_owned();
    if primary {
        LabeledSpan::new_primary_with_span(Some(msg), s)
    } else {
        LabeledSpan::new_with_span(Some(msg), s)
    }
}

impl Diagnostic for FindingDiag<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("{}({})", self.f.code, self.f.name)))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(sev(self.f.severity))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let mut help = String::new();
        for l in self.f.labels.iter().filter(|l| !fits(self.map, l.span)) {
            help.push_str(&as_text(self.map, l.span, &l.message));
            help.push('\n');
        }
        help.push_str(&format!("{}\n(stacklint explain {})", printable(&self.f.help), self.f.code));
        Some(Box::new(help))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.map)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let mut first = true;
        let labels: Vec<LabeledSpan> = self
            .f
            .labels
            .iter()
            .filter(|l| fits(self.map, l.span))
            .map(|l| {
                let p = l.primary && first;
                if p {
                    first = false;
                }
                labeled(l.span, &l.message, p)
            })
            .collect();
        Some(Box::new(labels.into_iter()))
    }
}

struct ErrorDiag<'a> {
    e: &'a LoadError,
    map: &'a SourceMap,
}
impl fmt::Debug for ErrorDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(&self.e.message))
    }
}
impl fmt::Display for ErrorDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.e.span.and_then(|s| self.map.location(s)) {
            Some(l) => write!(f, "{}:{}:{}: {}", printable(&l.file), l.line, l.column, printable(&self.e.message)),
            None => write!(f, "{}: {}", printable(&self.e.file), printable(&self.e.message)),
        }
    }
}
impl std::error::Error for ErrorDiag<'_> {}
impl Diagnostic for ErrorDiag<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("parse-error"))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.e.help.as_ref().map(|h| Box::new(printable(h).into_owned()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.e.span.filter(|&s| fits(self.map, s)).map(|_| self.map as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        // No snippet on a line too long to draw: the message already says file:line:column.
        let s = self.e.span.filter(|&s| fits(self.map, s))?;
        Some(Box::new(std::iter::once(labeled(s, "here", true))))
    }
}

/// Renders findings and errors as text. `color` picks the unicode+ANSI theme, else plain ASCII.
pub fn render(map: &SourceMap, findings: &[Finding], errors: &[LoadError], color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(CONTEXT_LINES).with_width(100);
    let mut out = String::new();
    for e in errors {
        let _ = handler.render_report(&mut out, &ErrorDiag { e, map });
        out.push('\n');
    }
    // Each report is independent: render them side by side, print them in order.
    use rayon::prelude::*;
    let reports: Vec<String> = findings
        .par_iter()
        .map(|f| {
            let mut s = String::new();
            let _ = handler.render_report(&mut s, &FindingDiag { f, map });
            s.push('\n');
            s
        })
        .collect();
    out.extend(reports);
    out
}

/// The one-line tally printed last.
pub fn summary(findings: &[Finding], errors: &[LoadError], files: usize) -> String {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let (e, w, i) = (count(Severity::Error), count(Severity::Warning), count(Severity::Info));
    let mut s = format!(
        "{} finding{} ({e} error{}, {w} warning{}, {i} info) in {files} file{}",
        findings.len(),
        plural(findings.len()),
        plural(e),
        plural(w),
        plural(files)
    );
    if !errors.is_empty() {
        s.push_str(&format!("; {} file error{} (exit 2)", errors.len(), plural(errors.len())));
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
