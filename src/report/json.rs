//! `--format json`: a stable, versioned shape (documented in README.md).
//!
//! ```json
//! {"version":1,
//!  "findings":[{"rule":"SL101","name":"timeout-order","severity":"warning","message":"...","help":"...",
//!               "labels":[{"file":"nginx.conf","line":12,"column":5,"end_line":12,"end_column":30,"message":"..."}]}],
//!  "errors":[{"file":"...","line":1,"column":1,"message":"..."}],
//!  "files":[{"path":"nginx.conf","kind":"nginx"}]}
//! ```

use crate::diag::{Finding, LoadError};
use crate::engine::FileInfo;
use crate::source::SourceMap;
use serde::Serialize;

pub const VERSION: u32 = 1;

// Typed records (not `serde_json::Value`): no map per object, no key allocations. Fields are in
// alphabetical order, the order the format has always had (it began as `json!` objects).

#[derive(Serialize)]
struct Report<'a> {
    errors: Vec<ErrorOut<'a>>,
    files: Vec<FileOut<'a>>,
    findings: Vec<FindingOut<'a>>,
    version: u32,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    help: &'a str,
    labels: Vec<LabelOut<'a>>,
    message: &'a str,
    name: &'a str,
    rule: &'a str,
    severity: &'a str,
}

#[derive(Serialize)]
struct LabelOut<'a> {
    column: usize,
    end_column: usize,
    end_line: usize,
    file: &'a str,
    line: usize,
    message: &'a str,
    primary: bool,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    column: Option<usize>,
    file: &'a str,
    line: Option<usize>,
    message: &'a str,
}

#[derive(Serialize)]
struct FileOut<'a> {
    kind: crate::discover::Kind,
    path: &'a str,
}

fn finding<'a>(map: &'a SourceMap, f: &'a Finding) -> FindingOut<'a> {
    let labels = f
        .labels
        .iter()
        .filter_map(|l| {
            let (file, s, e) = map.line_cols(l.span)?;
            Some(LabelOut {
                file: &file.display,
                line: s.line,
                column: s.column,
                end_line: e.line,
                end_column: e.column,
                message: &l.message,
                primary: l.primary,
            })
        })
        .collect();
    FindingOut { rule: f.code, name: f.name, severity: f.severity.as_str(), message: &f.message, help: &f.help, labels }
}

fn error<'a>(map: &'a SourceMap, e: &'a LoadError) -> ErrorOut<'a> {
    match e.span.and_then(|s| map.line_cols(s)) {
        Some((file, s, _)) => {
            ErrorOut { file: &file.display, line: Some(s.line), column: Some(s.column), message: &e.message }
        }
        None => ErrorOut { file: &e.file, line: None, column: None, message: &e.message },
    }
}

pub fn render(map: &SourceMap, findings: &[Finding], errors: &[LoadError], files: &[FileInfo]) -> String {
    let report = Report {
        version: VERSION,
        findings: findings.iter().map(|f| finding(map, f)).collect(),
        errors: errors.iter().map(|e| error(map, e)).collect(),
        files: files.iter().map(|f| FileOut { kind: f.kind, path: &f.path }).collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}
