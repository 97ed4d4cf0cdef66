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
use crate::files::FileInfo;
use crate::source::SourceMap;
use serde::Serialize;

pub const VERSION: u32 = 1;

// Typed records (not `serde_json::Value`): no map per object, no key allocations. Fields are in
// alphabetical order, the order the format has always had (it began as `json!` objects).

/// The whole document's shape (what [`render`] prints; built as one value only in tests).
#[cfg(test)]
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
    kind: crate::files::Kind,
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
    use rayon::prelude::*;
    // What `serde_json::to_string_pretty(&Report {..})` prints, byte for byte, but with the
    // findings (thousands on a big tree) serialized side by side and spliced in at their depth.
    let errors: Vec<ErrorOut> = errors.iter().map(|e| error(map, e)).collect();
    let files: Vec<FileOut> = files.iter().map(|f| FileOut { kind: f.kind, path: &f.path }).collect();
    let findings: Vec<Vec<u8>> =
        findings.par_iter().map(|f| serde_json::to_vec_pretty(&finding(map, f)).unwrap_or_default()).collect();
    let mut out = Vec::with_capacity(findings.iter().map(|f| f.len() + f.len() / 8 + 8).sum::<usize>() + 4096);
    out.extend_from_slice(b"{\n  \"errors\": ");
    indented(&mut out, &serde_json::to_vec_pretty(&errors).unwrap_or_default(), b"  ");
    out.extend_from_slice(b",\n  \"files\": ");
    indented(&mut out, &serde_json::to_vec_pretty(&files).unwrap_or_default(), b"  ");
    out.extend_from_slice(b",\n  \"findings\": ");
    if findings.is_empty() {
        out.extend_from_slice(b"[]");
    } else {
        out.extend_from_slice(b"[");
        for (i, f) in findings.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
            indented(&mut out, f, b"    ");
        }
        out.extend_from_slice(b"\n  ]");
    }
    out.extend_from_slice(format!(",\n  \"version\": {VERSION}\n}}\n").as_bytes());
    // serde_json writes UTF-8 and every piece added here is ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends pretty JSON, each line after the first indented by `pad` (JSON strings escape their
/// newlines, so every newline in `json` is a line break of the layout).
fn indented(out: &mut Vec<u8>, json: &[u8], pad: &[u8]) {
    let mut lines = json.split(|&b| b == b'\n');
    if let Some(first) = lines.next() {
        out.extend_from_slice(first);
    }
    for line in lines {
        out.push(b'\n');
        out.extend_from_slice(pad);
        out.extend_from_slice(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spliced_output_is_what_serde_json_prints() {
        // The same document through serde_json in one piece must give the same bytes.
        let map = crate::source::SourceMapBuilder::new();
        let f = map.add(std::path::Path::new("/t/nginx.conf"), "nginx.conf".into(), b"a b;\nc \"d\";\n".to_vec());
        let map = map.freeze();
        let findings: Vec<Finding> = (0..3)
            .map(|i| Finding {
                code: "SL101",
                name: "timeout-order",
                severity: crate::diag::Severity::Warning,
                message: format!("message {i} with \"quotes\"\nand a newline"),
                help: "help".into(),
                labels: vec![
                    crate::diag::Label::primary(f.span(0, 4), "first"),
                    crate::diag::Label::secondary(f.span(5, 11), "second"),
                ],
            })
            .collect();
        let errors =
            [LoadError::at(f.span(0, 1), "nginx.conf", "bad"), LoadError::file("gone.conf", "cannot read gone.conf")];
        let files = [FileInfo { path: "nginx.conf".into(), kind: crate::nginx::KIND }];
        for (fs, es, fi) in [(&findings[..], &errors[..], &files[..]), (&[][..], &[][..], &[][..])] {
            let whole = Report {
                version: VERSION,
                findings: fs.iter().map(|x| finding(&map, x)).collect(),
                errors: es.iter().map(|e| error(&map, e)).collect(),
                files: fi.iter().map(|x| FileOut { kind: x.kind, path: &x.path }).collect(),
            };
            let expected = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            assert_eq!(render(&map, fs, es, fi), expected);
        }
    }
}
