//! `--format github`: GitHub Actions workflow commands, one annotation per finding and per load
//! error, shown on the pull request's diff.
//!
//! `::warning file=etc/nginx/conf.d/shop.conf,line=21,col=9,endLine=21,endColumn=33,title=SL101 timeout-order::message`
//!
//! Escaping follows GitHub's toolkit (`@actions/core` `issueCommand`): in the message `%`, CR and LF
//! become `%25`, `%0D`, `%0A`; in property values `:` and `,` are escaped too (`%3A`, `%2C`).
//! Severities: error -> `::error`, warning -> `::warning`, info -> `::notice`. Labels in other files
//! are listed in the message (an annotation has one location). Paths are relative to the current
//! directory (the checkout) when the file is inside it.

use crate::diag::{Finding, LoadError, Severity};
use crate::report::sarif::relative_to;
use crate::source::{SourceMap, Span};
use std::path::Path;

/// Escapes a command's message. Other control characters (ESC of a terminal escape in a config
/// value, NEL, ...) are written out (`\u{1b}`): the runner would print them raw to the log.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if super::unsafe_char(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

fn file_of(map: &SourceMap, span: Span, base: &Path) -> Option<String> {
    let f = map.file_of(span.start)?;
    Some(relative_to(&f.path, base).unwrap_or_else(|| f.display.clone()))
}

fn props(map: &SourceMap, span: Span, base: &Path) -> Option<String> {
    let loc = map.location(span)?;
    let file = file_of(map, span, base)?;
    Some(format!(
        "file={},line={},col={},endLine={},endColumn={}",
        escape_property(&file),
        loc.line,
        loc.column,
        loc.end_line,
        loc.end_column
    ))
}

/// One annotation line for a finding.
pub fn finding(map: &SourceMap, f: &Finding, base: &Path) -> String {
    let primary = f.labels.iter().position(|l| l.primary).unwrap_or(0);
    let mut msg = f.message.clone();
    for (i, l) in f.labels.iter().enumerate() {
        if i == primary {
            continue;
        }
        if let (Some(loc), Some(file)) = (map.location(l.span), file_of(map, l.span, base)) {
            msg.push_str(&format!("\n{}:{}: {}", file, loc.line, l.message));
        }
    }
    if !f.help.is_empty() {
        msg.push_str(&format!("\nhelp: {}", f.help));
    }
    let title = escape_property(&format!("{} {}", f.code, f.name));
    let at = f.labels.get(primary).and_then(|l| props(map, l.span, base));
    match at {
        Some(p) => format!("::{} {p},title={title}::{}\n", command(f.severity), escape_data(&msg)),
        None => format!("::{} title={title}::{}\n", command(f.severity), escape_data(&msg)),
    }
}

pub fn error(map: &SourceMap, e: &LoadError, base: &Path) -> String {
    let mut msg = e.message.clone();
    if let Some(h) = &e.help {
        msg.push_str(&format!("\nhelp: {h}"));
    }
    let at = match e.span.and_then(|s| props(map, s, base)) {
        Some(p) => p,
        None => format!("file={}", escape_property(&e.file)),
    };
    format!("::error {at},title=stacklint parse-error::{}\n", escape_data(&msg))
}

pub fn render(map: &SourceMap, findings: &[Finding], errors: &[LoadError], base: &Path) -> String {
    let mut out = String::new();
    for e in errors {
        out.push_str(&error(map, e, base));
    }
    for f in findings {
        out.push_str(&finding(map, f, base));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_toolkit() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("x\u{1b}[2J\u{85}::error::y\tz"), "x\\u{1b}[2J\\u{85}::error::y\tz");
    }
}
