//! `uvicorn.run(app, host=..., port=..., timeout_keep_alive=...)` in a Python entry point that a
//! launch runs (`python main.py`). stacklint never runs Python: a small scanner skips comments and
//! strings, finds `uvicorn.run(` and reads its arguments. Literal values (numbers, plain strings,
//! `True/False/None`) are kept with the span of their text; anything else is [`Lit::Dynamic`].

use crate::source::{SourceFile, Span};

/// An argument value as far as it can be known without running Python.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    None,
    /// Computed at run time (names, calls, f-strings, ...).
    Dynamic,
}

/// One argument: keyword (`None` for positional), value, and where the value is written (for a
/// plain string, the text between the quotes).
#[derive(Clone, Debug)]
pub struct Arg {
    pub name: Option<String>,
    pub value: Lit,
    pub span: Span,
}

/// One `uvicorn.run(...)` call.
#[derive(Clone, Debug)]
pub struct RunCall {
    /// `uvicorn.run(...)`, whole.
    pub span: Span,
    pub args: Vec<Arg>,
    /// `*args` / `**kwargs` present: any setting may come from there.
    pub splat: bool,
}

impl RunCall {
    pub fn keyword(&self, name: &str) -> Option<&Arg> {
        self.args.iter().rev().find(|a| a.name.as_deref() == Some(name))
    }
    /// The first positional argument (the app).
    pub fn positional(&self) -> Option<&Arg> {
        self.args.iter().find(|a| a.name.is_none())
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// End (exclusive) of the string literal whose opening quote is at `i`; triple quotes handled.
fn skip_string(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    let mut j = if triple { i + 3 } else { i + 1 };
    while j < b.len() {
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if triple {
            if b[j] == q && b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q) {
                return j + 3;
            }
        } else if b[j] == q {
            return j + 1;
        } else if b[j] == b'\n' {
            return j;
        }
        j += 1;
    }
    b.len()
}

/// Every `uvicorn.run(` call in the file, in order.
pub fn find(file: &SourceFile) -> Vec<RunCall> {
    let text: &str = &file.text;
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' | b'\'' => i = skip_string(b, i),
            b'u' if text[i..].starts_with("uvicorn") && (i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b'.')) => {
                let mut j = i + "uvicorn".len();
                let ws = |j: &mut usize| {
                    while *j < b.len() && matches!(b[*j], b' ' | b'\t') {
                        *j += 1;
                    }
                };
                ws(&mut j);
                let mut k = j;
                if b.get(k) == Some(&b'.') {
                    k += 1;
                    ws(&mut k);
                }
                if k > j && text[k..].starts_with("run") && !b.get(k + 3).is_some_and(|c| is_ident(*c)) {
                    j = k + 3;
                    ws(&mut j);
                    if b.get(j) == Some(&b'(') {
                        // No closing `)` before the end of the file: the brackets are unbalanced
                        // (Python would not run the file), and any later call's scan would run to
                        // the end again (quadratic on `uvicorn.run(` repeated): stop here.
                        let Some((call, end)) = call(file, i, j + 1) else { break };
                        out.push(call);
                        i = end;
                        continue;
                    }
                }
                i = j.max(i + 1);
            }
            c if is_ident(c) => {
                while i < b.len() && is_ident(b[i]) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// Reads the arguments after `(` at `open`; returns the call and the offset after `)`.
fn call(file: &SourceFile, start: usize, open: usize) -> Option<(RunCall, usize)> {
    let text: &str = &file.text;
    let b = text.as_bytes();
    let mut ranges = Vec::new();
    let mut depth = 0usize;
    let mut s = open;
    let mut i = open;
    let close = loop {
        let c = *b.get(i)?;
        match c {
            b'"' | b'\'' => {
                i = skip_string(b, i);
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth > 0 => depth -= 1,
            b')' => {
                ranges.push((s, i));
                break i;
            }
            b',' if depth == 0 => {
                ranges.push((s, i));
                s = i + 1;
            }
            _ => {}
        }
        i += 1;
    };
    let mut call = RunCall { span: file.span(start, close + 1), args: Vec::new(), splat: false };
    for (s, e) in ranges {
        let raw = strip_comments(&text[s..e]);
        let lead = raw.len() - raw.trim_start().len();
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        let s = s + lead;
        if t.starts_with('*') {
            call.splat = true;
            continue;
        }
        let kw_len = t.bytes().take_while(|c| is_ident(*c)).count();
        let rest = t[kw_len..].trim_start();
        let (name, vs) = if kw_len > 0 && rest.starts_with('=') && !rest.starts_with("==") {
            let after = &rest[1..];
            let v = after.trim_start();
            (Some(t[..kw_len].to_string()), s + t.len() - v.len())
        } else {
            (None, s)
        };
        let v = &text[vs..s + t.len()];
        let (value, span) = literal(v);
        call.args.push(Arg { name, value, span: file.span(vs + span.0, vs + span.1) });
    }
    Some((call, close + 1))
}

/// Comments blanked (same length), so offsets stay put.
fn strip_comments(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => {
                let e = skip_string(b, i);
                out.push_str(&s[i..e]);
                i = e;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    out.push(' ');
                    i += 1;
                }
            }
            _ => {
                let ch = s[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// A literal and the local range of its text (inside the quotes for a string).
fn literal(v: &str) -> (Lit, (usize, usize)) {
    let all = (0, v.len());
    match v {
        "True" => return (Lit::Bool(true), all),
        "False" => return (Lit::Bool(false), all),
        "None" => return (Lit::None, all),
        _ => {}
    }
    let b = v.as_bytes();
    if let Some(&q) = b.first().filter(|c| matches!(c, b'"' | b'\'')) {
        let triple = v.len() >= 6 && b[1] == q && b[2] == q;
        if !triple && v.len() >= 2 && b[v.len() - 1] == q {
            let inner = &v[1..v.len() - 1];
            if !inner.contains(['\\', '\n', q as char]) {
                return (Lit::Str(inner.to_string()), (1, v.len() - 1));
            }
        }
        return (Lit::Dynamic, all);
    }
    if v.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+' | b'.')) && !v.is_empty() {
        if let Some(n) = crate::launch::python::py_int(v, true) {
            return (Lit::Int(n), all);
        }
        let digits = v.replace('_', "");
        if digits.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'))
            && !digits.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        {
            if let Ok(f) = digits.parse::<f64>() {
                return (Lit::Float(f), all);
            }
        }
    }
    (Lit::Dynamic, all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMapBuilder;

    fn calls(src: &str) -> (std::sync::Arc<SourceFile>, Vec<RunCall>) {
        let map = SourceMapBuilder::new();
        let f = map.add(std::path::Path::new("/m.py"), "m.py".into(), src.as_bytes().to_vec());
        let c = find(&f);
        (f, c)
    }

    #[test]
    fn reads_literal_arguments_with_spans() {
        let src = "import uvicorn\n# uvicorn.run(nope)\ns = 'uvicorn.run(x)'\nif __name__ == \"__main__\":\n    uvicorn.run(\n        \"main:app\",  # the app\n        host='0.0.0.0', port=8080,\n        timeout_keep_alive=2.5, reload=True, log_level=LEVEL,\n    )\n";
        let (f, c) = calls(src);
        assert_eq!(c.len(), 1);
        let c = &c[0];
        assert!(!c.splat);
        assert_eq!(c.positional().unwrap().value, Lit::Str("main:app".into()));
        assert_eq!(f.slice(c.positional().unwrap().span), "main:app");
        assert_eq!(c.keyword("host").unwrap().value, Lit::Str("0.0.0.0".into()));
        assert_eq!(f.slice(c.keyword("host").unwrap().span), "0.0.0.0");
        assert_eq!(c.keyword("port").unwrap().value, Lit::Int(8080));
        assert_eq!(f.slice(c.keyword("port").unwrap().span), "8080");
        assert_eq!(c.keyword("timeout_keep_alive").unwrap().value, Lit::Float(2.5));
        assert_eq!(c.keyword("reload").unwrap().value, Lit::Bool(true));
        assert_eq!(c.keyword("log_level").unwrap().value, Lit::Dynamic);
        assert!(f.slice(c.span).starts_with("uvicorn.run(") && f.slice(c.span).ends_with(')'));
    }

    #[test]
    fn unclosed_call_ends_the_search() {
        // One scan to the end of the file, not one per `uvicorn.run(`.
        let (_, c) = calls(&format!("import uvicorn\n{}", "uvicorn.run(".repeat(20_000)));
        assert!(c.is_empty());
        let (_, c) = calls("uvicorn.run(app, port=1)\nuvicorn.run(app, port=(2\n");
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn splats_and_garbage() {
        let (_, c) = calls("uvicorn.run(app, **cfg)\nmyuvicorn.run(x)\nuvicorn.runner(y)\n");
        assert_eq!(c.len(), 1);
        assert!(c[0].splat);
        for src in
            ["uvicorn.run(", "uvicorn.run(port=", "uvicorn.run(\"x", "uvicorn . run ( port = 1 )", "'''", "uvicorn"]
        {
            let _ = calls(src);
        }
        let (_, c) = calls("uvicorn . run ( port = 1 )");
        assert_eq!(c[0].keyword("port").unwrap().value, Lit::Int(1));
    }
}
