//! Baselines: adopt stacklint on an old repo without fixing everything first.
//!
//! `stacklint --write-baseline FILE` records the current findings; `--baseline FILE` (or
//! stacklint.toml `baseline = "FILE"`) then reports only findings that are not in it. A finding is
//! keyed by its rule, the file of its primary label and a hash of the *text* of every labelled line
//! (with the file it is in), never by line numbers: adding a line above a known finding does not
//! make it new, changing the labelled line does. Paths are relative to the baseline file's
//! directory, so the same baseline works wherever stacklint is run from. Entries are a multiset:
//! two identical findings need two entries.
//!
//! ```json
//! {"version": 1, "findings": [{"rule": "SL101", "file": "etc/nginx/conf.d/shop.conf",
//!   "hash": "5f0c...", "message": "nginx gives up after 30 s ..."}]}
//! ```

use crate::diag::Finding;
use crate::files::relative_to;
use crate::source::{SourceMap, Span};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub rule: String,
    pub file: String,
    pub hash: String,
    /// For people reading the file; not part of the key.
    #[serde(default)]
    pub message: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// FNV-1a, 64 bit: stable across Rust versions and platforms (std's hasher is not).
fn fnv1a(data: &[u8], mut h: u64) -> u64 {
    for b in data {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// A file's path for keys: relative to `base` when given and inside it, else its display path.
fn file_key(map: &SourceMap, span: Span, base: Option<&Path>) -> String {
    let Some(f) = map.file_of(span.start) else { return String::new() };
    base.and_then(|b| relative_to(&f.path, b)).unwrap_or_else(|| f.display.replace('\\', "/"))
}

fn line_text(map: &SourceMap, span: Span) -> &str {
    let Some(f) = map.file_of(span.start) else { return "" };
    let local = f.local(span.start).min(f.text.len());
    let start = f.text[..local].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = f.text[local..].find('\n').map(|i| local + i).unwrap_or(f.text.len());
    f.text.get(start..end).unwrap_or("").trim()
}

/// The line-shift-proof identity of a finding: rule, and for every label the file and the trimmed
/// text of its first line. 16 hex digits.
pub fn fingerprint(map: &SourceMap, f: &Finding, base: Option<&Path>) -> String {
    let mut h = fnv1a(f.code.as_bytes(), 0xcbf2_9ce4_8422_2325);
    for l in &f.labels {
        h = fnv1a(&[0], h);
        h = fnv1a(file_key(map, l.span, base).as_bytes(), h);
        h = fnv1a(&[0], h);
        h = fnv1a(line_text(map, l.span).as_bytes(), h);
    }
    format!("{h:016x}")
}

/// The baseline entry of a finding.
pub fn entry(map: &SourceMap, f: &Finding, base: &Path) -> Entry {
    Entry {
        rule: f.code.to_string(),
        file: file_key(map, f.anchor(), Some(base)),
        hash: fingerprint(map, f, Some(base)),
        message: f.message.clone(),
    }
}

/// The directory baseline paths are relative to (canonical).
pub fn base_of(file: &Path) -> PathBuf {
    let abs =
        if file.is_absolute() { file.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(file) };
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    dir.canonicalize().unwrap_or(dir)
}

/// Writes the baseline of `findings` to `file`; returns how many entries it holds.
pub fn write(file: &Path, map: &SourceMap, findings: &[Finding]) -> Result<usize, String> {
    let base = base_of(file);
    let mut entries: Vec<Entry> = findings.iter().map(|f| entry(map, f, &base)).collect();
    entries.sort();
    let n = entries.len();
    let b = Baseline { version: VERSION, findings: entries };
    let text = serde_json::to_string_pretty(&b).map_err(|e| e.to_string())? + "\n";
    std::fs::write(file, text).map_err(|e| format!("cannot write baseline {}: {e}", file.display()))?;
    Ok(n)
}

/// Largest baseline read (a baseline of 100,000 findings is about 20 MiB).
const MAX_BASELINE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a baseline file: a regular file only, with a size cap. Errors give the position of what
/// is wrong, never the file's text (a baseline may be named by a pull request's stacklint.toml).
pub fn load(file: &Path) -> Result<Baseline, String> {
    let shown = file.display();
    let bytes = crate::fsread::read_regular(file, MAX_BASELINE_BYTES)
        .map_err(|e| format!("cannot read baseline {shown}: {e}"))?;
    let b: Baseline = serde_json::from_slice(&bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "JSON of another shape",
            _ => "not valid JSON",
        };
        format!(
            "{shown}:{}:{}: not a stacklint baseline ({what}); write one with --write-baseline",
            e.line(),
            e.column()
        )
    })?;
    if b.version != VERSION {
        return Err(format!("{shown}: baseline version {} (this stacklint reads {VERSION})", b.version));
    }
    Ok(b)
}

/// Splits findings into (new, known): each baseline entry absorbs one matching finding.
pub fn filter(
    findings: Vec<Finding>,
    map: &SourceMap,
    baseline: &Baseline,
    base: &Path,
) -> (Vec<Finding>, Vec<Finding>) {
    let mut budget: HashMap<(String, String, String), usize> = HashMap::new();
    for e in &baseline.findings {
        *budget.entry((e.rule.clone(), e.file.clone(), e.hash.clone())).or_default() += 1;
    }
    let (mut new, mut known) = (Vec::new(), Vec::new());
    for f in findings {
        let e = entry(map, &f, base);
        match budget.get_mut(&(e.rule, e.file, e.hash)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                known.push(f);
            }
            _ => new.push(f),
        }
    }
    (new, known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Label, Severity};
    use crate::source::SourceMapBuilder;

    fn finding(span: Span) -> Finding {
        Finding {
            code: "SL101",
            name: "timeout-order",
            severity: Severity::Warning,
            message: "m".into(),
            help: String::new(),
            labels: vec![Label::primary(span, "x")],
        }
    }

    #[test]
    fn fingerprint_survives_line_shifts_but_not_edits() {
        let b = SourceMapBuilder::new();
        let a = b.add(Path::new("/r/a.conf"), "a.conf".into(), b"x;\nproxy_read_timeout 30s;\n".to_vec());
        let c = b.add(Path::new("/r/b.conf"), "b.conf".into(), b"\n\n\n  proxy_read_timeout 30s;\n".to_vec());
        let d = b.add(Path::new("/r/d.conf"), "d.conf".into(), b"proxy_read_timeout 31s;\n".to_vec());
        let map = b.freeze();
        let fa = finding(a.span(3, 10));
        let fc = finding(c.span(5, 12));
        let fd = finding(d.span(0, 5));
        // Same text, different file: different; same file shifted: same (by construction of key).
        assert_ne!(fingerprint(&map, &fa, None), fingerprint(&map, &fc, None));
        assert_eq!(line_text(&map, fa.anchor()), line_text(&map, fc.anchor()));
        assert_ne!(line_text(&map, fa.anchor()), line_text(&map, fd.anchor()));
    }

    #[test]
    fn entries_are_a_multiset() {
        let b = SourceMapBuilder::new();
        let a = b.add(Path::new("/r/a.conf"), "a.conf".into(), b"one\none\n".to_vec());
        let map = b.freeze();
        let f1 = finding(a.span(0, 3));
        let f2 = finding(a.span(4, 7));
        let base = Path::new("/r");
        let bl = Baseline { version: 1, findings: vec![entry(&map, &f1, base)] };
        let (new, known) = filter(vec![f1, f2], &map, &bl, base);
        assert_eq!((new.len(), known.len()), (1, 1));
    }
}
