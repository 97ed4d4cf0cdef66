//! Inline suppressions: `# stacklint: ignore[timeout-order] the app streams, 30 s is deliberate`.
//!
//! A directive is a comment, in the comment syntax of the file it is in, whose text starts with
//! `stacklint: ignore[RULE, ...]` (codes or names), optionally followed by a reason. It suppresses
//! a finding of a listed rule when it sits on the line of any of the finding's labels (a trailing
//! comment), or on a comment line above it (with only comment lines between). A finding labels
//! several files; a directive next to any one of its labels is enough.
//!
//! Directives that suppress nothing are findings of SL901 unused-suppression: a listed rule that
//! is not reported there, a rule that does not exist, and a directive that names no rule at all
//! (`# stacklint: ignore`, which would otherwise silence everything silently).
//!
//! Comments are found in the text already in the source map (files are never read again), by a
//! small scanner per comment syntax: `#` (nginx, HAProxy, gunicorn/Python, YAML, .env, Procfile,
//! Dockerfile, systemd), `;` or `#` (PHP-FPM and other ini files, systemd units), `//` (JavaScript,
//! TypeScript). JSON has no comments: use stacklint.toml `[[overrides]]` or a baseline there.

use crate::diag::{Finding, Label};
use crate::files::Kind;
use crate::source::{SourceFile, SourceMap, Span};
use std::collections::HashMap;
use std::path::Path;

/// How comments start in a file: each kind of file declares it (`crate::files::Kind::comments`).
pub use crate::files::Comments as Syntax;

/// The comment syntax of a file, from what stacklint read it as and its name: the file format
/// first (JSON has none, JavaScript `//`, ini `;`), then the kind's.
pub fn syntax_of(path: &Path, kind: Kind) -> Syntax {
    by_format(path).unwrap_or(kind.comments)
}

/// [`syntax_of`] for a kind given by name (`Kind::as_str`); an unknown name reads `#` comments.
pub fn syntax_for(path: &Path, kind: &str) -> Syntax {
    let known = crate::registry::COMPONENTS.iter().flat_map(|c| c.kinds.iter()).find(|k| k.name == kind);
    by_format(path).unwrap_or(known.map_or(Syntax::Hash, |k| k.comments))
}

fn by_format(path: &Path) -> Option<Syntax> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
    match name.rsplit_once('.').map(|(_, e)| e).unwrap_or("") {
        "json" => Some(Syntax::None),
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" => Some(Syntax::Slash),
        "ini" => Some(Syntax::SemiHash),
        _ => None,
    }
}

/// A `stacklint:` comment.
#[derive(Clone, Debug)]
pub struct Directive {
    /// 1-based line.
    pub line: usize,
    /// The comment is the only thing on its line.
    pub own_line: bool,
    /// The comment text (global span), for SL901's label.
    pub span: Span,
    /// Rules named, as written, with their code when they exist.
    pub rules: Named,
    /// What is wrong with the directive itself (names no rule, not `ignore`).
    pub problem: Option<String>,
}

/// Byte offset of the comment on this line, if any (outside quotes).
fn comment_start(line: &str, syntax: Syntax) -> Option<(usize, usize)> {
    let b = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        let boundary = i == 0 || b[i - 1].is_ascii_whitespace() || matches!(b[i - 1], b';' | b'{' | b'}');
        match (syntax, c) {
            (Syntax::Hash | Syntax::SemiHash, b'"' | b'\'') => quote = Some(c),
            (Syntax::Slash, b'"' | b'\'' | b'`') => quote = Some(c),
            (Syntax::Hash | Syntax::SemiHash, b'#') if boundary => return Some((i, 1)),
            (Syntax::SemiHash, b';') if boundary => return Some((i, 1)),
            (Syntax::Slash, b'/') if b.get(i + 1) == Some(&b'/') => return Some((i, 2)),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Rules named in a directive, as written, with their code when they exist.
type Named = Vec<(String, Option<&'static str>)>;

/// Parses the text after a comment marker: the rules named, or what is wrong with the directive.
/// `None`: not a stacklint directive.
fn parse(body: &str) -> Option<(Named, Option<String>)> {
    let body = body.trim_start_matches(['#', ';', '/']).trim_start();
    let rest = body.strip_prefix("stacklint:")?.trim_start();
    let Some(after) = rest.strip_prefix("ignore") else {
        let word: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        return Some((
            Vec::new(),
            Some(format!(
                "`stacklint: {word}` is not a directive stacklint knows; write `stacklint: ignore[RULE] reason`"
            )),
        ));
    };
    let Some(list) = after.strip_prefix('[') else {
        return Some((
            Vec::new(),
            Some("`stacklint: ignore` must name the rules it silences: `stacklint: ignore[SL101] reason`; this one silences nothing".into()),
        ));
    };
    let Some((inside, _reason)) = list.split_once(']') else {
        return Some((Vec::new(), Some("`stacklint: ignore[` has no closing `]`; this suppresses nothing".into())));
    };
    let rules: Named = inside
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| (s.to_string(), crate::rules::find(s).map(|r| r.code)))
        .collect();
    if rules.is_empty() {
        return Some((Vec::new(), Some("`stacklint: ignore[]` names no rule; this suppresses nothing".into())));
    }
    Some((rules, None))
}

/// Every `stacklint:` directive in a file, and which lines hold only a comment.
pub fn scan(file: &SourceFile, syntax: Syntax) -> (Vec<Directive>, Vec<bool>) {
    let mut out = Vec::new();
    let mut comment_only = Vec::new();
    if syntax == Syntax::None {
        return (out, comment_only);
    }
    let mut offset = 0usize;
    for (i, raw) in file.text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let c = comment_start(line, syntax);
        let own = c.is_some_and(|(at, _)| line[..at].trim().is_empty());
        comment_only.push(own);
        if let Some((at, len)) = c {
            if let Some((rules, problem)) = parse(&line[at + len..]) {
                let span = file.span(offset + at, offset + line.trim_end().len());
                out.push(Directive { line: i + 1, own_line: own, span, rules, problem });
            }
        }
        offset += raw.len() + 1;
    }
    (out, comment_only)
}

struct FileDirectives {
    directives: Vec<Directive>,
    comment_only: Vec<bool>,
    /// Per directive, per rule: used?
    used: Vec<Vec<bool>>,
}

impl FileDirectives {
    /// Directives that cover a finding labelled on `line`.
    fn covering(&self, line: usize) -> impl Iterator<Item = usize> + '_ {
        self.directives.iter().enumerate().filter_map(move |(i, d)| {
            let covers =
                d.line == line || (d.own_line && d.line < line && (d.line + 1..line).all(|l| self.comment_only[l - 1]));
            covers.then_some(i)
        })
    }
}

/// Applies the directives in `files` (display path -> kind) to the findings. Returns the findings
/// left, the SL901 findings for directives that suppress nothing, and how many were suppressed.
pub fn apply(
    findings: Vec<Finding>,
    map: &SourceMap,
    kinds: &HashMap<&str, Kind>,
) -> (Vec<Finding>, Vec<Finding>, usize) {
    let mut per_file: HashMap<u32, FileDirectives> = HashMap::new();
    for f in map.files() {
        if f.builtin {
            continue;
        }
        let Some(kind) = kinds.get(f.display.as_str()) else { continue };
        if !f.text.contains("stacklint:") {
            continue;
        }
        let (directives, comment_only) = scan(f, syntax_of(&f.path, *kind));
        if directives.is_empty() {
            continue;
        }
        let used = directives.iter().map(|d| vec![false; d.rules.len()]).collect();
        per_file.insert(f.id.0, FileDirectives { directives, comment_only, used });
    }
    if per_file.is_empty() {
        return (findings, Vec::new(), 0);
    }
    let mut kept = Vec::new();
    let mut suppressed = 0;
    for f in findings {
        let mut hit = false;
        for l in &f.labels {
            let Some(file) = map.file_of(l.span.start) else { continue };
            let Some(fd) = per_file.get_mut(&file.id.0) else { continue };
            let line = file.line_col(file.local(l.span.start)).line;
            let covering: Vec<usize> = fd.covering(line).collect();
            for i in covering {
                for (j, (_, code)) in fd.directives[i].rules.iter().enumerate() {
                    if *code == Some(f.code) {
                        fd.used[i][j] = true;
                        hit = true;
                    }
                }
            }
        }
        if hit {
            suppressed += 1;
        } else {
            kept.push(f);
        }
    }
    let rule = crate::rules::find("SL901").expect("SL901 is registered");
    let mut meta = Vec::new();
    let mut ids: Vec<&u32> = per_file.keys().collect();
    ids.sort();
    for id in ids {
        let fd = &per_file[id];
        for (i, d) in fd.directives.iter().enumerate() {
            if let Some(p) = &d.problem {
                meta.push(rule.finding(
                    p.clone(),
                    "name the rule, e.g. `# stacklint: ignore[timeout-order] reason`, or remove the comment".into(),
                    vec![Label::primary(d.span, "suppresses nothing")],
                ));
                continue;
            }
            for (j, (name, code)) in d.rules.iter().enumerate() {
                if fd.used[i][j] {
                    continue;
                }
                let (message, help) = match code {
                    None => (
                        format!("`stacklint: ignore[{name}]` names no rule stacklint has"),
                        "`stacklint rules` lists the codes and names".to_string(),
                    ),
                    Some(c) => (
                        format!("`{name}` is not reported here: this suppression is unused"),
                        format!("remove `{name}` from the comment (it would hide a future {c} finding here)"),
                    ),
                };
                meta.push(rule.finding(message, help, vec![Label::primary(d.span, "suppresses nothing")]));
            }
        }
    }
    (kept, meta, suppressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMapBuilder;

    fn directives(text: &str, syntax: Syntax) -> Vec<Directive> {
        let b = SourceMapBuilder::new();
        let f = b.add(Path::new("x"), "x".into(), text.as_bytes().to_vec());
        scan(&f, syntax).0
    }

    #[test]
    fn comment_syntaxes() {
        let d = directives("proxy_read_timeout 30s; # stacklint: ignore[SL101] streams\n", Syntax::Hash);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].rules[0].1, Some("SL101"));
        assert!(!d[0].own_line);
        let d = directives("; stacklint: ignore[timeout-order]\nrequest_terminate_timeout = 60\n", Syntax::SemiHash);
        assert_eq!((d[0].line, d[0].own_line, d[0].rules[0].1), (1, true, Some("SL101")));
        let d = directives("server.keepAliveTimeout = 5000; // stacklint: ignore[SL201]\n", Syntax::Slash);
        assert_eq!(d[0].rules[0].1, Some("SL201"));
        // Inside quotes it is not a comment; `#` glued to a word is not one in nginx either.
        assert!(directives("return 200 \"# stacklint: ignore[SL101]\";\n", Syntax::Hash).is_empty());
        assert!(directives("location /a#stacklint:ignore[SL101] {}\n", Syntax::Hash).is_empty());
        assert!(directives("x = 1 # stacklint: ignore[SL101]\n", Syntax::Slash).is_empty());
        assert!(directives("{\"a\": \"# stacklint: ignore[SL101]\"}\n", Syntax::None).is_empty());
    }

    #[test]
    fn bare_and_unknown_directives_are_problems() {
        let d = directives("# stacklint: ignore\n", Syntax::Hash);
        assert!(d[0].problem.as_deref().unwrap().contains("must name"));
        let d = directives("# stacklint: ignore[]\n", Syntax::Hash);
        assert!(d[0].problem.is_some());
        let d = directives("# stacklint: disable[SL101]\n", Syntax::Hash);
        assert!(d[0].problem.as_deref().unwrap().contains("not a directive"));
        let d = directives("# stacklint: ignore[SL999, keepalive-race] why\n", Syntax::Hash);
        assert_eq!(d[0].rules, vec![("SL999".to_string(), None), ("keepalive-race".to_string(), Some("SL201"))]);
        // Not a directive at all.
        assert!(directives("# see stacklint: docs\n", Syntax::Hash).is_empty());
    }

    #[test]
    fn syntax_by_kind_and_name() {
        assert_eq!(syntax_for(Path::new("www.conf"), "php-fpm"), Syntax::SemiHash);
        assert_eq!(syntax_for(Path::new("php.ini"), "whatever"), Syntax::SemiHash);
        assert_eq!(syntax_for(Path::new("server.js"), "node"), Syntax::Slash);
        assert_eq!(syntax_for(Path::new("envoy.json"), "envoy"), Syntax::None);
        assert_eq!(syntax_for(Path::new("nginx.conf"), "nginx"), Syntax::Hash);
        assert_eq!(syntax_for(Path::new("app.service"), "systemd"), Syntax::SemiHash);
    }
}
