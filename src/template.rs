//! Templates: in real repositories a config is often a template, rendered at deploy or start-up
//! time (Jinja2 and Ansible `{{ x }}`/`{% if %}`, Go templates and Helm `{{ .Values.x }}`,
//! gomplate, ERB and EJS `<%= x %>`, Mustache/Handlebars, envsubst `${VAR}`). stacklint reads such
//! a file as the config it will become, with what the template leaves open carried as **unknown**:
//!
//! - an *expression* (`{{ x }}`, `<%= x %>`, `${PORT}`) becomes a placeholder word of the same
//!   length, [`MARKER`] padded with `_`, so the file still parses and the value is recognisably
//!   unknown ([`is_unknown`]);
//! - a *statement* (`{% if %}`, `{{ end }}`, `<% } %>`, comments) is blanked; every branch of a
//!   conditional is kept (the config is read as if every condition held).
//!
//! The masked text has the same length and the same line breaks as the original, so every span
//! and line number stays true; the source map keeps the original for snippets. On a line where a
//! statement precedes content (`  {% if x %}key: v`), the content moves left over the statement
//! (indentation matters to YAML), so columns after it on that line are off by the statement's
//! length. The engine drops every finding and error that touches a placeholder: no finding comes
//! from a value the template leaves open.

use std::ops::Range;

/// The word that stands for an unknown value.
pub const MARKER: &str = "_TPL_";

/// Does this value hold (part of) a template placeholder?
pub fn is_unknown(s: &str) -> bool {
    s.contains(MARKER)
}

/// Which placeholders a file's text may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// `{{ }}`, `{% %}`, `{# #}`, `<% %>`.
    Templates,
    /// Those, and envsubst's `${UPPER_CASE}` (in files that do not expand variables themselves).
    TemplatesAndEnv,
}

/// Which syntax a file of this name may hold: none for JS/TS sources (`{{` is JSX), templates only
/// for files whose own reader expands `${VAR}` (compose, Dockerfiles, .env, systemd units, shell,
/// HAProxy, PHP-FPM), and both for the rest (nginx, Envoy, ...).
pub fn syntax_for(path: &std::path::Path) -> Option<Syntax> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let name = strip_suffix(&name);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if matches!(ext, "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "jsx" | "tsx") {
        return None;
    }
    let expands_env = matches!(ext, "sh" | "bash" | "env" | "service" | "ini" | "py" | "cfg")
        || name.starts_with("docker-compose")
        || name.starts_with("compose.")
        || name.starts_with("dockerfile")
        || name.ends_with(".dockerfile")
        || name.starts_with(".env")
        || name.starts_with("procfile")
        || name.contains("haproxy")
        || name.contains("php")
        || name == "package.json";
    Some(if expands_env { Syntax::Templates } else { Syntax::TemplatesAndEnv })
}

/// Template file suffixes: `nginx.conf.j2` is an nginx config.
const SUFFIXES: &[&str] =
    &[".j2", ".jinja2", ".jinja", ".tmpl", ".tpl", ".template", ".erb", ".ejs", ".mustache", ".hbs", ".gotmpl"];

/// A file name without its template suffix (`nginx.conf.j2` -> `nginx.conf`).
pub fn strip_suffix(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    for s in SUFFIXES {
        if lower.len() > s.len() && lower.ends_with(s) {
            return &name[..name.len() - s.len()];
        }
    }
    name
}

/// A masked text and the byte ranges of its placeholders (unknown values).
#[derive(Debug, PartialEq, Eq)]
pub struct Masked {
    pub text: String,
    pub unknown: Vec<Range<u32>>,
}

/// Longest template tag looked at (a `{% %}` block may span lines; past this, the `{{` is text).
const MAX_TAG: usize = 4096;

/// Masks the template syntax in `text`; `None` when it holds none.
pub fn mask(text: &str, syntax: Syntax) -> Option<Masked> {
    // INI-like files (PHP-FPM pools: `[section]` or `key = value` first) expand `${VAR}` themselves.
    let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with(['#', ';']));
    let ini = |l: &str| {
        l.starts_with('[')
            || l.split_once('=').is_some_and(|(k, _)| {
                let k = k.trim();
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "[]._-".contains(c))
            })
    };
    let syntax = if syntax == Syntax::TemplatesAndEnv && first.is_some_and(ini) { Syntax::Templates } else { syntax };
    let b = text.as_bytes();
    let quick = memchr_any(b, syntax);
    if !quick {
        return None;
    }
    let mut out = b.to_vec();
    let mut unknown = Vec::new();
    let mut statements: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    // Open conditional/loop blocks, and where an `else` branch being skipped began: only the first
    // branch of a conditional is read (two branches would define a key or directive twice).
    let mut depth = 0usize;
    let mut skipping: Option<(usize, usize)> = None; // (depth, start)
    while i + 1 < b.len() {
        let Some((end, kind)) = tag_at(b, i, syntax) else {
            i += 1;
            continue;
        };
        if kind == Kind::Statement {
            match block_role(&b[i..end]) {
                Role::Open => depth += 1,
                Role::Middle if skipping.is_none() && depth > 0 => skipping = Some((depth, i)),
                Role::End => {
                    if let Some((d, start)) = skipping {
                        if d == depth {
                            blank(&mut out[start..end]);
                            statements.push(start..end);
                            skipping = None;
                        }
                    }
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
        }
        if skipping.is_some() {
            i = end;
            continue;
        }
        match kind {
            Kind::Expression if !b[i..end].contains(&b'\n') => {
                write_placeholder(&mut out[i..end]);
                unknown.push(i as u32..end as u32);
            }
            _ => {
                blank(&mut out[i..end]);
                statements.push(i..end);
            }
        }
        i = end;
    }
    if let Some((_, start)) = skipping {
        // An `else` never closed: blank to the end.
        blank(&mut out[start..]);
    }
    if unknown.is_empty() && statements.is_empty() {
        return None;
    }
    // Placeholders inside a skipped branch were blanked with it.
    unknown.retain(|u| out[u.start as usize..u.end as usize].starts_with(MARKER.as_bytes()));
    statements.sort_by_key(|r| r.start);
    statements.dedup_by(|a, b| b.start <= a.start && a.end <= b.end);
    dedent_leading_statements(&mut out, &statements, &mut unknown);
    // An expression alone on its line stands for whole lines (a directive with its `;`, a YAML
    // block from `toYaml`): nothing of it can be read, so it is blanked rather than made a word
    // (which would swallow the next line as its arguments).
    unknown.retain(|u| {
        let (s, e) = (u.start as usize, u.end as usize);
        let line_start = out[..s].iter().rposition(|&c| c == b'\n').map(|p| p + 1).unwrap_or(0);
        let line_end = out[e..].iter().position(|&c| c == b'\n').map(|p| e + p).unwrap_or(out.len());
        let alone = out[line_start..s].iter().chain(&out[e..line_end]).all(|&c| matches!(c, b' ' | b'\t' | b'\r'));
        if alone {
            blank(&mut out[s..e]);
        }
        !alone
    });
    // Only ASCII was written over whole characters: still UTF-8.
    let text = String::from_utf8(out).ok()?;
    Some(Masked { text, unknown })
}

fn memchr_any(b: &[u8], syntax: Syntax) -> bool {
    b.windows(2)
        .any(|w| matches!(w, b"{{" | b"{%" | b"{#" | b"<%") || (syntax == Syntax::TemplatesAndEnv && w == b"${"))
}

/// What a statement does to the block structure.
#[derive(Debug, PartialEq, Eq)]
enum Role {
    Open,
    Middle,
    End,
    Other,
}

/// `{% if %}`/`{{ if }}`/`{{ range }}` open, `else`/`elif` are middles, `{% endif %}`/`{{ end }}` close.
fn block_role(tag: &[u8]) -> Role {
    let Ok(t) = std::str::from_utf8(tag) else { return Role::Other };
    let inner = t.get(2..t.len().saturating_sub(2)).unwrap_or("");
    let inner = inner.trim_start_matches(['-', '+', '~', '%']).trim_end_matches(['-', '+', '~', '%']).trim();
    let word = inner.split(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
    match word {
        "if" | "for" | "range" | "with" | "block" | "macro" | "call" | "filter" | "define" => Role::Open,
        "else" | "elif" | "elseif" => Role::Middle,
        w if w == "end" || w.starts_with("end") => Role::End,
        _ => Role::Other,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Expression,
    Statement,
}

/// The tag starting at `i`, if any: its end (exclusive) and kind.
fn tag_at(b: &[u8], i: usize, syntax: Syntax) -> Option<(usize, Kind)> {
    let open = &b[i..i + 2];
    let close_of = |close: &[u8], same_line: bool| -> Option<usize> {
        let limit = (i + MAX_TAG).min(b.len());
        let hay = &b[i + 2..limit];
        let pos = hay.windows(close.len()).position(|w| w == close)?;
        if same_line && hay[..pos].contains(&b'\n') {
            return None;
        }
        Some(i + 2 + pos + close.len())
    };
    match open {
        b"{{" => {
            // Mustache's triple braces.
            if b.get(i + 2) == Some(&b'{') {
                let end = close_of(b"}}}", false)?;
                return Some((end, Kind::Expression));
            }
            let end = close_of(b"}}", false)?;
            let inner = std::str::from_utf8(&b[i + 2..end - 2]).ok()?;
            Some((end, if go_statement(inner) { Kind::Statement } else { Kind::Expression }))
        }
        b"{%" => Some((close_of(b"%}", false)?, Kind::Statement)),
        b"{#" => Some((close_of(b"#}", true)?, Kind::Statement)),
        b"<%" => {
            let end = close_of(b"%>", false)?;
            let expr = matches!(b.get(i + 2), Some(b'=') | Some(b'-'));
            Some((end, if expr { Kind::Expression } else { Kind::Statement }))
        }
        b"${" if syntax == Syntax::TemplatesAndEnv => {
            // envsubst: `${NAME}` with an upper-case name (nginx's own `${var}` are lower case).
            let end = close_of(b"}", true)?;
            let name = &b[i + 2..end - 1];
            let upper = !name.is_empty()
                && name[0].is_ascii_uppercase()
                && name.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_');
            upper.then_some((end, Kind::Expression))
        }
        _ => None,
    }
}

/// Is the inside of a `{{ }}` a statement (Go template action, Handlebars block, comment) rather
/// than a value?
fn go_statement(inner: &str) -> bool {
    let t = inner.trim_start_matches(['-', '~']).trim_end_matches(['-', '~']).trim();
    if t.starts_with("/*") || t.starts_with(['#', '/', '^', '!', '>']) {
        return true;
    }
    let first = t.split(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
    if matches!(
        first,
        "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block" | "break" | "continue" | "include"
    ) && !t.starts_with("include ")
    {
        return true;
    }
    // `{{ $x := ... }}`, `{{ $x = ... }}`: assignments print nothing.
    t.starts_with('$') && (t.contains(":=") || t.split_whitespace().nth(1) == Some("="))
}

fn write_placeholder(out: &mut [u8]) {
    for (k, c) in out.iter_mut().enumerate() {
        *c = MARKER.as_bytes().get(k).copied().unwrap_or(b'_');
    }
}

fn blank(out: &mut [u8]) {
    for c in out {
        if *c != b'\n' {
            *c = b' ';
        }
    }
}

/// On a line that starts (after its indentation) with one-line statements followed by content,
/// the content moves left over them, so it keeps the line's indentation (YAML reads it); the
/// line is padded with spaces at its end, and placeholders on it move with it.
fn dedent_leading_statements(out: &mut [u8], statements: &[Range<usize>], unknown: &mut [Range<u32>]) {
    let mut k = 0;
    while k < statements.len() {
        let first = &statements[k];
        let line_start = out[..first.start].iter().rposition(|&c| c == b'\n').map(|p| p + 1).unwrap_or(0);
        let indent_only = out[line_start..first.start].iter().all(|&c| c == b' ' || c == b'\t');
        // The run of statements that follow each other from here (only blanks between them).
        let mut end = first.end;
        let mut j = k + 1;
        while j < statements.len()
            && !out[end..statements[j].start].contains(&b'\n')
            && out[end..statements[j].start].iter().all(|&c| c == b' ')
        {
            end = statements[j].end;
            j += 1;
        }
        let one_line = !out[first.start..end].contains(&b'\n');
        let line_end = out[end..].iter().position(|&c| c == b'\n').map(|p| end + p).unwrap_or(out.len());
        let content_after = out[end..line_end].iter().any(|&c| c != b' ' && c != b'\t' && c != b'\r');
        if indent_only && one_line && content_after {
            let width = end - first.start;
            out.copy_within(end..line_end, first.start);
            for c in &mut out[line_end - width..line_end] {
                *c = b' ';
            }
            for u in unknown.iter_mut() {
                if (u.start as usize) >= end && (u.end as usize) <= line_end {
                    u.start -= width as u32;
                    u.end -= width as u32;
                }
            }
        }
        k = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> String {
        mask(s, Syntax::TemplatesAndEnv).map(|m| m.text).unwrap_or_else(|| s.to_string())
    }

    #[test]
    fn expressions_become_placeholders_of_the_same_length() {
        let src = "proxy_pass http://127.0.0.1:<%= port %>;\nserver_name {{ getenv \"APP_DOMAIN\" }};\n";
        let out = mask(src, Syntax::Templates).unwrap();
        assert_eq!(out.text.len(), src.len());
        assert_eq!(out.text.lines().count(), src.lines().count());
        assert!(out.text.starts_with("proxy_pass http://127.0.0.1:_TPL_______;"), "{}", out.text);
        assert_eq!(out.unknown.len(), 2);
        assert_eq!(&src[out.unknown[0].start as usize..out.unknown[0].end as usize], "<%= port %>");
    }

    #[test]
    fn statements_are_blanked_and_indentation_is_kept() {
        let src = "volumes:\n  {% if x == 'y' %}{{ slug }}_redis: {}{% endif %}\n  other: {}\n";
        let out = m(src);
        assert_eq!(out.len(), src.len());
        let line = out.lines().nth(1).unwrap();
        assert!(line.starts_with("  _TPL_"), "{line:?}");
        let parsed = crate::yaml::load(&out);
        assert!(parsed.is_ok(), "{out}");
        let ejs = "location / {\n  <% if (a !== '/') { %>proxy_redirect off;<% } %>\n}\n";
        let out = m(ejs);
        assert!(out.contains("proxy_redirect off;") && !out.contains('<'), "{out}");
        let branches = "env:\n  {{ if .Env.A }}\n  K: one\n  {{else}}\n  K: two\n  {{end}}\n  L: x\n";
        let out = m(branches);
        assert!(out.contains("K: one") && !out.contains("two") && out.contains("L: x"), "{out}");
        assert!(crate::yaml::load(&out).is_ok(), "{out}");
        let jinja = "{% if a %}x: 1{% elif b %}x: 2{% else %}x: 3{% endif %}\ny: {% if c %}{{ v }}{% endif %}\n";
        let out = m(jinja);
        assert!(out.contains("x: 1") && !out.contains("x: 2") && !out.contains("x: 3"), "{out}");
        assert!(out.contains("y:") && out.contains("_TPL_"), "{out}");
        let go = "{{/* comment */}}\n{{ $x := or (isTrue .Env.A) }}\nservices:\n";
        assert_eq!(m(go).trim(), "services:");
    }

    #[test]
    fn env_placeholders_only_upper_case_and_only_where_asked() {
        let src = "proxy_read_timeout ${PROXY_READ_TIMEOUT};\nproxy_pass http://${backend};\n";
        let out = m(src);
        assert!(out.starts_with("proxy_read_timeout _TPL_"), "{out}");
        assert!(out.contains("http://${backend}"), "{out}");
        assert!(mask(src, Syntax::Templates).is_none());
        assert!(is_unknown(out.lines().next().unwrap()));
    }

    #[test]
    fn plain_configs_are_left_alone() {
        for s in ["location ~ ^/a{2}/ { return 200; }\n", "server { # {comment}\n}\n", "a: {b: {c: 1}}\n"] {
            assert!(mask(s, Syntax::TemplatesAndEnv).is_none(), "{s}");
        }
        assert!(syntax_for(std::path::Path::new("app/server.js")).is_none());
        assert_eq!(syntax_for(std::path::Path::new("docker-compose.yml.j2")), Some(Syntax::Templates));
        assert_eq!(syntax_for(std::path::Path::new("nginx.conf.template")), Some(Syntax::TemplatesAndEnv));
        assert_eq!(strip_suffix("default.conf.template"), "default.conf");
    }

    #[test]
    fn multibyte_text_inside_a_tag_stays_utf8() {
        let src = "x {{ café }} y\n{% if é %}\n";
        let out = m(src);
        assert_eq!(out.len(), src.len());
    }
}
