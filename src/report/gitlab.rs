//! `--format gitlab`: GitLab Code Quality (a subset of the Code Climate JSON), shown in merge
//! requests when saved as `artifacts: reports: codequality`.
//!
//! `[{"description": "SL101 timeout-order: ...", "check_name": "SL101", "fingerprint": "...",
//!    "severity": "major", "location": {"path": "etc/nginx/conf.d/shop.conf", "lines": {"begin": 21}}}]`
//!
//! Paths are relative to the current directory (the project checkout). Severities: error ->
//! `critical`, warning -> `major`, info -> `info`; load errors are `blocker`.

use crate::diag::{Finding, LoadError, Severity};
use crate::report::sarif::relative_to;
use crate::source::SourceMap;
use serde_json::{json, Value};
use std::path::Path;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

fn path_of(map: &SourceMap, start: u32, base: &Path) -> String {
    map.file_of(start).map(|f| relative_to(&f.path, base).unwrap_or_else(|| f.display.clone())).unwrap_or_default()
}

pub fn render(map: &SourceMap, findings: &[Finding], errors: &[LoadError], base: &Path) -> String {
    let mut out: Vec<Value> = Vec::new();
    for f in findings {
        let anchor = f.anchor();
        let line = map.location(anchor).map(|l| l.line).unwrap_or(1);
        out.push(json!({
            "type": "issue",
            "description": format!("{} {}: {}", f.code, f.name, f.message),
            "check_name": f.code,
            "categories": ["Bug Risk"],
            "fingerprint": crate::baseline::fingerprint(map, f, Some(base)),
            "severity": severity(f.severity),
            "location": {"path": path_of(map, anchor.start, base), "lines": {"begin": line}},
        }));
    }
    for e in errors {
        let (path, line) = match e.span {
            Some(s) => (path_of(map, s.start, base), map.location(s).map(|l| l.line).unwrap_or(1)),
            None => (e.file.clone(), 1),
        };
        let fp = format!("error:{path}:{line}:{}", e.message);
        out.push(json!({
            "type": "issue",
            "description": format!("parse error: {}", e.message),
            "check_name": "parse-error",
            "categories": ["Bug Risk"],
            "fingerprint": format!("{:x}", fp.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))),
            "severity": "blocker",
            "location": {"path": path, "lines": {"begin": line}},
        }));
    }
    serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
}
