//! `--format junit`: JUnit XML for CI systems that show test reports (GitLab `artifacts:reports:
//! junit`, Jenkins, Azure Pipelines, ...).
//!
//! One `<testsuite name="stacklint">`. Every file stacklint read is a test case that passes when no
//! finding's primary label is in it; every finding is a failing test case
//! (`classname="stacklint.SL101"`, `name="SL101 timeout-order at file:line"`) whose `<failure>`
//! carries the message, the severity and every labelled location. A file that could not be
//! parsed is a test case with an `<error>`.

use crate::diag::{Finding, LoadError};
use crate::files::FileInfo;
use crate::source::SourceMap;

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot hold.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

pub fn render(map: &SourceMap, findings: &[Finding], errors: &[LoadError], files: &[FileInfo]) -> String {
    let mut cases = String::new();
    let mut tests = 0;
    for f in findings {
        tests += 1;
        let at = map.location(f.anchor());
        let (file, line) = at.as_ref().map(|l| (l.file.clone(), l.line)).unwrap_or_default();
        let mut body = format!("{}: {}\n", f.severity.as_str(), f.message);
        for l in &f.labels {
            if let Some(loc) = map.location(l.span) {
                body.push_str(&format!("  {}:{}:{}: {}\n", loc.file, loc.line, loc.column, l.message));
            }
        }
        if !f.help.is_empty() {
            body.push_str(&format!("help: {}\n", f.help));
        }
        body.push_str(&format!("(stacklint explain {})\n", f.code));
        cases.push_str(&format!(
            "    <testcase classname=\"stacklint.{code}\" name=\"{name}\" file=\"{file}\" line=\"{line}\" time=\"0\">\n      <failure type=\"{sev}\" message=\"{msg}\">{body}</failure>\n    </testcase>\n",
            code = escape(f.code),
            name = escape(&format!("{} {} at {}:{}", f.code, f.name, file, line)),
            file = escape(&file),
            sev = f.severity.as_str(),
            msg = escape(&f.message),
            body = escape(&body),
        ));
    }
    for e in errors {
        tests += 1;
        let (file, line) = match e.span.and_then(|s| map.location(s)) {
            Some(l) => (l.file, l.line.to_string()),
            None => (e.file.clone(), String::new()),
        };
        let mut body = e.message.clone();
        if let Some(h) = &e.help {
            body.push_str(&format!("\nhelp: {h}"));
        }
        cases.push_str(&format!(
            "    <testcase classname=\"stacklint.parse\" name=\"{name}\" file=\"{f}\" time=\"0\">\n      <error type=\"parse-error\" message=\"{msg}\">{body}</error>\n    </testcase>\n",
            name = escape(&format!("parse {file}{}{line}", if line.is_empty() { "" } else { ":" })),
            f = escape(&file),
            msg = escape(&e.message),
            body = escape(&body),
        ));
    }
    for fi in files {
        let flagged = findings.iter().any(|f| map.location(f.anchor()).is_some_and(|l| l.file == fi.path))
            || errors.iter().any(|e| e.file == fi.path);
        if !flagged {
            tests += 1;
            cases.push_str(&format!(
                "    <testcase classname=\"stacklint.file\" name=\"{p}\" file=\"{p}\" time=\"0\"/>\n",
                p = escape(&fi.path)
            ));
        }
    }
    let (fails, errs) = (findings.len(), errors.len());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"stacklint\" tests=\"{tests}\" failures=\"{fails}\" errors=\"{errs}\" time=\"0\">\n  <testsuite name=\"stacklint\" tests=\"{tests}\" failures=\"{fails}\" errors=\"{errs}\" skipped=\"0\" time=\"0\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;\u{fffd}");
    }
}
