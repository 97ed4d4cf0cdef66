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
use serde_json::{json, Value};

pub const VERSION: u32 = 1;

pub fn finding(map: &SourceMap, f: &Finding) -> Value {
    let labels: Vec<Value> = f
        .labels
        .iter()
        .filter_map(|l| {
            let loc = map.location(l.span)?;
            Some(json!({
                "file": loc.file, "line": loc.line, "column": loc.column,
                "end_line": loc.end_line, "end_column": loc.end_column,
                "message": l.message, "primary": l.primary,
            }))
        })
        .collect();
    json!({
        "rule": f.code, "name": f.name, "severity": f.severity.as_str(),
        "message": f.message, "help": f.help, "labels": labels,
    })
}

pub fn error(map: &SourceMap, e: &LoadError) -> Value {
    match e.span.and_then(|s| map.location(s)) {
        Some(l) => {
            json!({"file": l.file, "line": l.line, "column": l.column, "message": e.message})
        }
        None => {
            json!({"file": e.file, "line": Value::Null, "column": Value::Null, "message": e.message})
        }
    }
}

pub fn render(map: &SourceMap, findings: &[Finding], errors: &[LoadError], files: &[FileInfo]) -> String {
    let v = json!({
        "version": VERSION,
        "findings": findings.iter().map(|f| finding(map, f)).collect::<Vec<_>>(),
        "errors": errors.iter().map(|e| error(map, e)).collect::<Vec<_>>(),
        "files": files,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
