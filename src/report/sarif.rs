//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).
//!
//! One run; `tool.driver.rules` carries every rule of the registry (code, name, descriptions, the
//! doc page as help, default level). A result's first location is the finding's primary label; the
//! labels in other places (the gunicorn line behind an nginx timeout) are `relatedLocations`.
//! Artifact URIs are relative to `%SRCROOT%` (the directory stacklint ran in, normally the
//! repository root) so code scanning can map them onto the checkout; a file outside it gets an
//! absolute `file://` URI. Columns count characters (`columnKind: unicodeCodePoints`). Load errors
//! are `toolExecutionNotifications` of the invocation, which is then not `executionSuccessful`.

use crate::diag::{Finding, LoadError, Severity};
use crate::rules::{Rule, RULES};
use crate::source::{SourceMap, Span};
use serde_json::{json, Map, Value};
use std::path::Path;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const BASE_ID: &str = "SRCROOT";

/// SARIF `level` for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encodes a relative path for a URI reference (keeps `/` and unreserved characters).
pub fn encode_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub use crate::files::relative_to;

/// `artifactLocation` for the file holding `span`.
fn artifact(map: &SourceMap, span: Span, base: &Path) -> Option<Value> {
    let f = map.file_of(span.start)?;
    Some(match relative_to(&f.path, base) {
        Some(rel) => json!({"uri": encode_path(&rel), "uriBaseId": BASE_ID}),
        None => json!({"uri": format!("file://{}", encode_path(&f.path.to_string_lossy()))}),
    })
}

fn physical(map: &SourceMap, span: Span, base: &Path) -> Option<Value> {
    let loc = map.location(span)?;
    // SARIF's endColumn is the column after the last character, as ours is.
    let region = json!({
        "startLine": loc.line, "startColumn": loc.column, "endLine": loc.end_line, "endColumn": loc.end_column,
    });
    let file = map.file_of(span.start)?;
    let line_text = line_of(&file.text, file.local(span.start));
    let mut phys = json!({"artifactLocation": artifact(map, span, base)?, "region": region});
    if !line_text.is_empty() {
        phys["contextRegion"] = json!({"startLine": loc.line, "snippet": {"text": line_text}});
    }
    Some(phys)
}

fn line_of(text: &str, local: usize) -> &str {
    let local = local.min(text.len());
    let start = text[..local].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = text[local..].find('\n').map(|i| local + i).unwrap_or(text.len());
    text.get(start..end).unwrap_or("")
}

/// The first paragraph under `## What it checks` of a doc page (falls back to the summary).
fn full_description(r: &Rule) -> String {
    let mut lines = r.doc.lines().skip_while(|l| !l.starts_with("## What it checks")).skip(1);
    let para: Vec<&str> = lines.by_ref().take_while(|l| !l.trim().is_empty() && !l.starts_with('#')).collect();
    if para.is_empty() {
        r.summary.to_string()
    } else {
        para.join(" ")
    }
}

fn rule_descriptor(r: &Rule) -> Value {
    json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": full_description(r)},
        "help": {"text": r.doc, "markdown": r.doc},
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {"tags": r.components, "precision": "high"},
    })
}

/// One SARIF result.
pub fn result(map: &SourceMap, f: &Finding, base: &Path) -> Value {
    let primary = f.labels.iter().position(|l| l.primary).unwrap_or(0);
    let mut locations = Vec::new();
    let mut related = Vec::new();
    for (i, l) in f.labels.iter().enumerate() {
        let Some(phys) = physical(map, l.span, base) else { continue };
        if i == primary {
            locations.push(json!({"physicalLocation": phys, "message": {"text": l.message}}));
        } else {
            related.push(json!({"id": related.len() + 1, "physicalLocation": phys, "message": {"text": l.message}}));
        }
    }
    let mut text = f.message.clone();
    if !f.help.is_empty() {
        text.push_str("\nHelp: ");
        text.push_str(&f.help);
    }
    let mut r = json!({
        "ruleId": f.code,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": locations,
        "partialFingerprints": {"stacklint/v1": crate::baseline::fingerprint(map, f, Some(base))},
    });
    if let Some(i) = RULES.iter().position(|x| x.code == f.code) {
        r["ruleIndex"] = json!(i);
    }
    if !related.is_empty() {
        r["relatedLocations"] = Value::Array(related);
    }
    r
}

fn notification(map: &SourceMap, e: &LoadError, base: &Path) -> Value {
    let mut n = json!({"level": "error", "message": {"text": e.message}, "descriptor": {"id": "load-error"}});
    let loc = match e.span.and_then(|s| physical(map, s, base)) {
        Some(phys) => json!({"physicalLocation": phys}),
        None => {
            let uri = encode_path(&e.file);
            json!({"physicalLocation": {"artifactLocation": {"uri": uri}}})
        }
    };
    n["locations"] = json!([loc]);
    n
}

/// The whole SARIF log. `base` is `%SRCROOT%` (canonical; normally the current directory).
pub fn render(map: &SourceMap, findings: &[Finding], errors: &[LoadError], base: &Path) -> String {
    let mut base_uri = format!("file://{}", encode_path(&base.to_string_lossy()));
    if !base_uri.ends_with('/') {
        base_uri.push('/');
    }
    let mut bases = Map::new();
    bases.insert(BASE_ID.into(), json!({"uri": base_uri}));
    let v = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "stacklint",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "version": env!("CARGO_PKG_VERSION"),
                "rules": RULES.iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": bases,
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": errors.is_empty(),
                "toolExecutionNotifications": errors.iter().map(|e| notification(map, e, base)).collect::<Vec<_>>(),
            }],
            "results": findings.iter().map(|f| result(map, f, base)).collect::<Vec<_>>(),
        }],
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("etc/nginx/my site.conf"), "etc/nginx/my%20site.conf");
        assert_eq!(encode_path("a/ü#.conf"), "a/%C3%BC%23.conf");
    }

    #[test]
    fn every_rule_has_a_full_description() {
        for r in RULES {
            assert!(!full_description(r).is_empty());
        }
    }
}
