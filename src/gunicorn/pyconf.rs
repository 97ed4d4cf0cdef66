//! gunicorn config files are Python; stacklint never runs them. This reads module-level
//! assignments whose value is a literal (numbers, strings, lists, tuples, `True/False/None`,
//! integer arithmetic), an environment look-up (`os.environ.get("X", "d")`, `os.getenv`,
//! `int(os.environ.get(...))`, `os.environ["X"]`) or a name assigned earlier. Anything else is
//! kept as [`PyVal::Dynamic`]. Statements inside `def`/`class`/`if` bodies are skipped; only errors
//! Python itself would stop on (unterminated strings, unbalanced brackets) are load errors.

use crate::diag::LoadError;
use crate::source::{SourceFile, Span};
use std::collections::HashMap;

/// A value as far as it can be known without running Python.
#[derive(Clone, Debug, PartialEq)]
pub enum PyVal {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    None,
    /// A list or tuple.
    List(Vec<PyVal>),
    /// An environment variable with the value used when it is unset (`None`: no default, Python
    /// raises `KeyError` for `os.environ["X"]` / `getenv` returns `None`).
    Env {
        var: String,
        default: Option<Box<PyVal>>,
        int: bool,
    },
    /// Computed at run time (function calls, conditionals, f-strings, ...).
    Dynamic,
}

/// `name = value` at module level.
#[derive(Clone, Debug)]
pub struct Assign {
    pub name: String,
    pub name_span: Span,
    pub value: PyVal,
    pub value_span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct PyConf {
    pub assigns: Vec<Assign>,
}

impl PyConf {
    /// The last assignment to `name` (later assignments win, as in Python).
    pub fn get(&self, name: &str) -> Option<&Assign> {
        self.assigns.iter().rev().find(|a| a.name == name)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum T {
    Name(String),
    Int(i64),
    Float(f64),
    /// Unparseable number (`030`): a value we can't use.
    BadNum,
    Str(String),
    /// f-string / bytes: not a plain value.
    OtherStr,
    Op(&'static str),
}

#[derive(Clone, Debug)]
struct Tok {
    t: T,
    s: usize,
    e: usize,
}

struct Line {
    toks: Vec<Tok>,
    indented: bool,
}

const OPS: [&str; 47] = [
    "**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=",
    "/=", "%=", "&=", "|=", "^=", "@=", "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "=", "+", "-", "*", "/", "%",
    "<", ">", "&", "|", "^", "~", "@",
];

/// Python's tokenizer refuses 200 nested brackets ("too many nested parentheses"); so does this
/// reader, which also keeps the recursive expression reader off the end of the stack.
const MAX_BRACKETS: usize = 200;

/// Depth of the expression reader past which a value is not read (kept `Dynamic`): unary chains
/// (`- - - 1`) and `**` nest without brackets. CPython itself gives up ("RecursionError ... during
/// compilation") a few thousand levels down.
const MAX_DEPTH: usize = 1000;

fn error(file: &SourceFile, at: usize, msg: &str) -> LoadError {
    let lc = file.line_col(at);
    LoadError::at(file.span(at, at + 1), &file.display, format!("{}:{}:{}: {msg}", file.display, lc.line, lc.column))
        .with_help("gunicorn could not load this config file either")
}

/// Tokenizes into logical lines.
fn tokenize(file: &SourceFile) -> Result<Vec<Line>, LoadError> {
    let s: &str = &file.text;
    let b = s.as_bytes();
    let mut lines = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    let mut indented = false;
    let mut at_line_start = true;
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if at_line_start && stack.is_empty() {
            // Indentation of a new logical line.
            let mut j = i;
            while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\x0c') {
                j += 1;
            }
            if j >= b.len() || matches!(b[j], b'\n' | b'\r' | b'#') {
                // Blank or comment line.
                while j < b.len() && b[j] != b'\n' {
                    j += 1;
                }
                i = j + 1;
                continue;
            }
            indented = j > i;
            at_line_start = false;
            i = j;
            continue;
        }
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\x0c' | b'\r' => i += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\\' if matches!(b.get(i + 1), Some(b'\n')) => i += 2,
            b'\\' if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => i += 3,
            b'\n' => {
                i += 1;
                if stack.is_empty() {
                    if !cur.is_empty() {
                        lines.push(Line { toks: std::mem::take(&mut cur), indented });
                    }
                    at_line_start = true;
                }
            }
            b'0'..=b'9' => {
                let st = i;
                i = number_end(b, i);
                cur.push(Tok { t: number(&s[st..i]), s: st, e: i });
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let st = i;
                i = number_end(b, i);
                cur.push(Tok { t: number(&s[st..i]), s: st, e: i });
            }
            _ if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let st = i;
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
                    i += 1;
                }
                let word = &s[st..i];
                if i < b.len()
                    && (b[i] == b'"' || b[i] == b'\'')
                    && word.len() <= 2
                    && word.chars().all(|c| "rRbBuUfF".contains(c))
                {
                    let (t, end) = string(file, st, i, word)?;
                    cur.push(Tok { t, s: st, e: end });
                    i = end;
                } else {
                    cur.push(Tok { t: T::Name(word.to_string()), s: st, e: i });
                }
            }
            b'"' | b'\'' => {
                let (t, end) = string(file, i, i, "")?;
                cur.push(Tok { t, s: i, e: end });
                i = end;
            }
            _ => {
                let rest = &s[i..];
                if let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) {
                    match *op {
                        "(" | "[" | "{" => {
                            if stack.len() + 1 >= MAX_BRACKETS {
                                return Err(error(file, i, "too many nested parentheses"));
                            }
                            stack.push((op.as_bytes()[0], i))
                        }
                        ")" | "]" | "}" => {
                            let want = match *op {
                                ")" => b'(',
                                "]" => b'[',
                                _ => b'{',
                            };
                            match stack.pop() {
                                Some((o, _)) if o == want => {}
                                Some((o, at)) => {
                                    return Err(error(
                                        file,
                                        i,
                                        &format!("closing `{op}` does not match `{}` opened at byte {at}", o as char),
                                    ))
                                }
                                None => return Err(error(file, i, &format!("unmatched `{op}`"))),
                            }
                        }
                        _ => {}
                    }
                    cur.push(Tok { t: T::Op(op), s: i, e: i + op.len() });
                    i += op.len();
                } else {
                    // Not Python we model (`$`, `?`, stray bytes): keep going; the statement
                    // that holds it will not evaluate.
                    let ch = rest.chars().next().map(char::len_utf8).unwrap_or(1);
                    cur.push(Tok { t: T::BadNum, s: i, e: i + ch });
                    i += ch;
                }
            }
        }
    }
    if let Some((o, at)) = stack.last() {
        return Err(error(file, *at, &format!("`{}` is never closed", *o as char)));
    }
    if !cur.is_empty() {
        lines.push(Line { toks: cur, indented });
    }
    Ok(lines)
}

fn number_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        let c = b[i];
        let exp_sign = (c == b'+' || c == b'-') && i > 0 && matches!(b[i - 1], b'e' | b'E') && !is_hex_context(b, i);
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exp_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

fn is_hex_context(b: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && (b[j - 1].is_ascii_alphanumeric() || b[j - 1] == b'_') {
        j -= 1;
    }
    b.get(j) == Some(&b'0') && matches!(b.get(j + 1), Some(b'x' | b'X'))
}

fn number(raw: &str) -> T {
    let t = raw.replace('_', "");
    let lower = t.to_ascii_lowercase();
    let parsed = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(bn) = lower.strip_prefix("0b") {
        i64::from_str_radix(bn, 2).ok()
    } else if lower.chars().all(|c| c.is_ascii_digit()) {
        if lower.len() > 1 && lower.starts_with('0') && lower.chars().any(|c| c != '0') {
            return T::BadNum;
        }
        lower.parse().ok()
    } else {
        return lower.parse::<f64>().map(T::Float).unwrap_or(T::BadNum);
    };
    parsed.map(T::Int).unwrap_or(T::BadNum)
}

/// A string literal starting at `q` (the quote), with prefix starting at `st`.
fn string(file: &SourceFile, st: usize, q: usize, prefix: &str) -> Result<(T, usize), LoadError> {
    let s: &str = &file.text;
    let b = s.as_bytes();
    let quote = b[q];
    let triple = b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote);
    let raw = prefix.contains(['r', 'R']);
    let plain = !prefix.contains(['f', 'F', 'b', 'B']);
    let mut i = q + if triple { 3 } else { 1 };
    let mut out = String::new();
    loop {
        let Some(&c) = b.get(i) else {
            let what = if triple { "unterminated triple-quoted string" } else { "unterminated string literal" };
            return Err(error(file, st, what));
        };
        if c == quote && (!triple || (b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote))) {
            i += if triple { 3 } else { 1 };
            break;
        }
        if c == b'\n' && !triple {
            return Err(error(file, st, "unterminated string literal"));
        }
        if c == b'\\' && i + 1 < b.len() {
            let n = b[i + 1];
            if raw {
                out.push('\\');
                let ch = s[i + 1..].chars().next().unwrap_or('\\');
                out.push(ch);
                i += 1 + ch.len_utf8();
                continue;
            }
            i += 2;
            match n {
                b'\n' => {}
                b'n' => out.push('\n'),
                b't' => out.push('\t'),
                b'r' => out.push('\r'),
                b'0' => out.push('\0'),
                b'\\' => out.push('\\'),
                b'\'' => out.push('\''),
                b'"' => out.push('"'),
                b'x' => {
                    // Two hex digits, or Python stops ("truncated \xXX escape"); either way no
                    // slicing into the middle of a character that follows.
                    let hex = |k: usize| b.get(k).and_then(|&c| (c as char).to_digit(16));
                    match (hex(i), hex(i + 1)) {
                        (Some(h), Some(l)) => {
                            out.push(char::from((h * 16 + l) as u8));
                            i += 2;
                        }
                        _ => out.push_str("\\x"),
                    }
                }
                _ => {
                    out.push('\\');
                    i -= 1;
                    let ch = s[i..].chars().next().unwrap_or('\\');
                    out.push(ch);
                    i += ch.len_utf8();
                }
            }
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or('?');
        out.push(ch);
        i += ch.len_utf8();
    }
    Ok((if plain { T::Str(out) } else { T::OtherStr }, i))
}

const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// Parses a gunicorn config file's module-level assignments.
pub fn parse(file: &SourceFile) -> Result<PyConf, LoadError> {
    let lines = tokenize(file)?;
    let mut conf = PyConf::default();
    let mut known: HashMap<String, PyVal> = HashMap::new();
    for line in lines {
        if line.indented {
            continue;
        }
        // `;` separates statements on one line.
        for stmt in line.toks.split(|t| t.t == T::Op(";")) {
            let Some(first) = stmt.first() else { continue };
            let T::Name(name) = &first.t else { continue };
            if KEYWORDS.contains(&name.as_str()) {
                continue;
            }
            // `name = ...` or `name: annotation = ...`
            let eq = match stmt.get(1).map(|t| &t.t) {
                Some(T::Op("=")) => Some(1),
                Some(T::Op(":")) => stmt.iter().position(|t| t.t == T::Op("=")),
                _ => None,
            };
            let Some(eq) = eq else { continue };
            let rhs = &stmt[eq + 1..];
            if rhs.is_empty() {
                continue;
            }
            // `a = b = 1`: every name gets the last value.
            let mut targets = vec![(name.clone(), first)];
            let mut rhs = rhs;
            while rhs.len() > 2 && matches!(rhs[0].t, T::Name(_)) && rhs[1].t == T::Op("=") {
                if let T::Name(n) = &rhs[0].t {
                    targets.push((n.clone(), &rhs[0]));
                }
                rhs = &rhs[2..];
            }
            let mut p = Parser { toks: rhs, i: 0, known: &known, depth: 0 };
            let value = match p.expr() {
                Some(v) if p.i == rhs.len() => v,
                _ => PyVal::Dynamic,
            };
            let value_span = file.span(rhs[0].s, rhs[rhs.len() - 1].e);
            for (n, tok) in targets {
                known.insert(n.clone(), value.clone());
                conf.assigns.push(Assign {
                    name: n,
                    name_span: file.span(tok.s, tok.e),
                    value: value.clone(),
                    value_span,
                });
            }
        }
    }
    Ok(conf)
}

struct Parser<'a> {
    toks: &'a [Tok],
    i: usize,
    known: &'a HashMap<String, PyVal>,
    /// Nesting of [`Parser::unary`], which every recursion goes through.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&T> {
        self.toks.get(self.i).map(|t| &t.t)
    }
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(T::Op(o)) if *o == op) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Top level: a bare tuple `a, b` is a tuple.
    fn expr(&mut self) -> Option<PyVal> {
        let first = self.sum()?;
        if matches!(self.peek(), Some(T::Op(","))) {
            let mut items = vec![first];
            while self.eat(",") {
                if self.peek().is_none() {
                    break;
                }
                items.push(self.sum()?);
            }
            return Some(PyVal::List(items));
        }
        Some(first)
    }

    fn sum(&mut self) -> Option<PyVal> {
        let mut v = self.term()?;
        loop {
            if self.eat("+") {
                let r = self.term()?;
                v = match (v, r) {
                    (PyVal::Int(a), PyVal::Int(b)) => a.checked_add(b).map(PyVal::Int).unwrap_or(PyVal::Dynamic),
                    (PyVal::Str(a), PyVal::Str(b)) => PyVal::Str(a + &b),
                    (PyVal::List(mut a), PyVal::List(b)) => {
                        a.extend(b);
                        PyVal::List(a)
                    }
                    _ => PyVal::Dynamic,
                };
            } else if self.eat("-") {
                let r = self.term()?;
                v = match (v, r) {
                    (PyVal::Int(a), PyVal::Int(b)) => a.checked_sub(b).map(PyVal::Int).unwrap_or(PyVal::Dynamic),
                    _ => PyVal::Dynamic,
                };
            } else {
                return Some(v);
            }
        }
    }

    fn term(&mut self) -> Option<PyVal> {
        let mut v = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(T::Op(o @ ("*" | "//" | "%" | "/"))) => *o,
                _ => return Some(v),
            };
            self.i += 1;
            let r = self.unary()?;
            v = match (op, v, r) {
                ("*", PyVal::Int(a), PyVal::Int(b)) => a.checked_mul(b).map(PyVal::Int).unwrap_or(PyVal::Dynamic),
                ("//", PyVal::Int(a), PyVal::Int(b)) if b != 0 => PyVal::Int(a.div_euclid(b)),
                ("%", PyVal::Int(a), PyVal::Int(b)) if b != 0 => PyVal::Int(a.rem_euclid(b)),
                ("/", PyVal::Int(a), PyVal::Int(b)) if b != 0 => PyVal::Float(a as f64 / b as f64),
                _ => PyVal::Dynamic,
            };
        }
    }

    fn unary(&mut self) -> Option<PyVal> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let v = self.unary_inner();
        self.depth -= 1;
        v
    }

    fn unary_inner(&mut self) -> Option<PyVal> {
        if self.eat("-") {
            return Some(match self.unary()? {
                PyVal::Int(a) => PyVal::Int(-a),
                PyVal::Float(f) => PyVal::Float(-f),
                _ => PyVal::Dynamic,
            });
        }
        if self.eat("+") {
            return self.unary();
        }
        let base = self.postfix()?;
        if self.eat("**") {
            let e = self.unary()?;
            return Some(match (base, e) {
                (PyVal::Int(a), PyVal::Int(b)) if (0..64).contains(&b) => {
                    a.checked_pow(b as u32).map(PyVal::Int).unwrap_or(PyVal::Dynamic)
                }
                _ => PyVal::Dynamic,
            });
        }
        Some(base)
    }

    /// Atoms, dotted names, calls and subscripts.
    fn postfix(&mut self) -> Option<PyVal> {
        let tok = self.toks.get(self.i)?.t.clone();
        self.i += 1;
        match tok {
            T::Int(n) => Some(PyVal::Int(n)),
            T::Float(f) => Some(PyVal::Float(f)),
            T::BadNum => Some(PyVal::Dynamic),
            T::Str(mut s) => {
                let mut dynamic = false;
                loop {
                    match self.peek() {
                        Some(T::Str(n)) => {
                            s.push_str(n);
                            self.i += 1;
                        }
                        Some(T::OtherStr) => {
                            dynamic = true;
                            self.i += 1;
                        }
                        _ => break,
                    }
                }
                let v = if dynamic { PyVal::Dynamic } else { PyVal::Str(s) };
                self.trailers(v)
            }
            T::OtherStr => {
                while matches!(self.peek(), Some(T::Str(_) | T::OtherStr)) {
                    self.i += 1;
                }
                self.trailers(PyVal::Dynamic)
            }
            T::Op("(") => {
                if self.eat(")") {
                    return Some(PyVal::List(Vec::new()));
                }
                let v = self.expr()?;
                if !self.eat(")") {
                    return None;
                }
                self.trailers(v)
            }
            T::Op("[") => {
                let mut items = Vec::new();
                while !self.eat("]") {
                    items.push(self.sum()?);
                    if !self.eat(",") {
                        if !self.eat("]") {
                            return None;
                        }
                        break;
                    }
                }
                self.trailers(PyVal::List(items))
            }
            T::Name(n) => {
                match n.as_str() {
                    "True" => return Some(PyVal::Bool(true)),
                    "False" => return Some(PyVal::Bool(false)),
                    "None" => return Some(PyVal::None),
                    _ if KEYWORDS.contains(&n.as_str()) => return None,
                    _ => {}
                }
                let mut path = n;
                while matches!(self.peek(), Some(T::Op(".")))
                    && matches!(self.toks.get(self.i + 1).map(|t| &t.t), Some(T::Name(_)))
                {
                    if let Some(T::Name(m)) = self.toks.get(self.i + 1).map(|t| &t.t) {
                        path.push('.');
                        path.push_str(m);
                    }
                    self.i += 2;
                }
                if self.eat("(") {
                    let args = self.args()?;
                    let v = call(&path, args);
                    return self.trailers(v);
                }
                if matches!(path.as_str(), "os.environ" | "environ") && self.eat("[") {
                    let key = self.sum()?;
                    if !self.eat("]") {
                        return None;
                    }
                    let v = match key {
                        PyVal::Str(var) => PyVal::Env { var, default: None, int: false },
                        _ => PyVal::Dynamic,
                    };
                    return self.trailers(v);
                }
                let v = self.known.get(&path).cloned().unwrap_or(PyVal::Dynamic);
                self.trailers(v)
            }
            _ => None,
        }
    }

    /// Anything after a value we do not model (`.lower()`, `[0]`, `if ... else ...`) makes it dynamic.
    fn trailers(&mut self, v: PyVal) -> Option<PyVal> {
        let mut v = v;
        loop {
            match self.peek() {
                Some(T::Op(".")) => {
                    self.i += 1;
                    if !matches!(self.peek(), Some(T::Name(_))) {
                        return None;
                    }
                    self.i += 1;
                    v = PyVal::Dynamic;
                }
                Some(T::Op("(")) => {
                    self.i += 1;
                    self.args()?;
                    v = PyVal::Dynamic;
                }
                Some(T::Op("[")) => {
                    self.i += 1;
                    self.skip_to_close("]")?;
                    v = PyVal::Dynamic;
                }
                Some(T::Name(k)) if matches!(k.as_str(), "if" | "and" | "or" | "for" | "in" | "not" | "is") => {
                    // Conditional or comprehension: consume the rest, value unknown.
                    self.i = self.toks.len();
                    return Some(PyVal::Dynamic);
                }
                Some(T::Op("==" | "!=" | "<" | ">" | "<=" | ">=" | "|" | "&" | "^" | "<<" | ">>" | "@")) => {
                    self.i = self.toks.len();
                    return Some(PyVal::Dynamic);
                }
                _ => return Some(v),
            }
        }
    }

    fn skip_to_close(&mut self, close: &str) -> Option<()> {
        let mut depth = 1;
        while let Some(t) = self.peek().cloned() {
            self.i += 1;
            match t {
                T::Op("(" | "[" | "{") => depth += 1,
                T::Op(")" | "]" | "}") => {
                    depth -= 1;
                    if depth == 0 {
                        let _ = close;
                        return Some(());
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Call arguments after `(`, up to and including `)`; keyword arguments and anything
    /// unparseable become `Dynamic`.
    fn args(&mut self) -> Option<Vec<PyVal>> {
        let mut out = Vec::new();
        loop {
            if self.eat(")") {
                return Some(out);
            }
            let start = self.i;
            let v = if matches!(self.peek(), Some(T::Name(_)))
                && matches!(self.toks.get(self.i + 1).map(|t| &t.t), Some(T::Op("=")))
            {
                None
            } else {
                self.sum()
            };
            match v {
                Some(v) if matches!(self.peek(), Some(T::Op("," | ")"))) => out.push(v),
                _ => {
                    // Skip this argument.
                    self.i = start;
                    let mut depth = 0;
                    while let Some(t) = self.peek().cloned() {
                        match t {
                            T::Op("(" | "[" | "{") => depth += 1,
                            T::Op(")" | "]" | "}") if depth > 0 => depth -= 1,
                            T::Op(")" | ",") if depth == 0 => break,
                            _ => {}
                        }
                        self.i += 1;
                    }
                    self.peek()?;
                    out.push(PyVal::Dynamic);
                }
            }
            self.eat(",");
        }
    }
}

fn call(path: &str, args: Vec<PyVal>) -> PyVal {
    match path {
        "os.environ.get" | "environ.get" | "os.getenv" | "getenv" => match args.as_slice() {
            [PyVal::Str(var)] => PyVal::Env { var: var.clone(), default: None, int: false },
            [PyVal::Str(var), d] => PyVal::Env { var: var.clone(), default: Some(Box::new(d.clone())), int: false },
            _ => PyVal::Dynamic,
        },
        "int" => match args.as_slice() {
            [PyVal::Env { var, default, .. }] => PyVal::Env { var: var.clone(), default: default.clone(), int: true },
            [PyVal::Int(n)] => PyVal::Int(*n),
            [PyVal::Bool(b)] => PyVal::Int(i64::from(*b)),
            [PyVal::Float(f)] if f.is_finite() => PyVal::Int(f.trunc() as i64),
            [PyVal::Str(s)] => s.trim().replace('_', "").parse().map(PyVal::Int).unwrap_or(PyVal::Dynamic),
            _ => PyVal::Dynamic,
        },
        "str" => match args.as_slice() {
            [PyVal::Env { var, default, .. }] => PyVal::Env { var: var.clone(), default: default.clone(), int: false },
            [PyVal::Int(n)] => PyVal::Str(n.to_string()),
            [PyVal::Str(s)] => PyVal::Str(s.clone()),
            _ => PyVal::Dynamic,
        },
        "list" | "tuple" => match args.as_slice() {
            [PyVal::List(v)] => PyVal::List(v.clone()),
            _ => PyVal::Dynamic,
        },
        _ => PyVal::Dynamic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMapBuilder;
    use std::path::Path;

    fn conf(text: &str) -> Result<PyConf, LoadError> {
        let b = SourceMapBuilder::new();
        let f = b.add(Path::new("g.py"), "g.py".into(), text.as_bytes().to_vec());
        parse(&f)
    }

    #[test]
    fn literals_and_arithmetic() {
        let c = conf("timeout = 2 * 60\nkeepalive = 0x10\nbind = ['a:1', \"b:2\"]\nw: int = 3\nx = (1)\ny = -5 + 2\ns = r'a\\b' 'c'\n").unwrap();
        assert_eq!(c.get("timeout").unwrap().value, PyVal::Int(120));
        assert_eq!(c.get("keepalive").unwrap().value, PyVal::Int(16));
        assert_eq!(c.get("bind").unwrap().value, PyVal::List(vec![PyVal::Str("a:1".into()), PyVal::Str("b:2".into())]));
        assert_eq!(c.get("w").unwrap().value, PyVal::Int(3));
        assert_eq!(c.get("x").unwrap().value, PyVal::Int(1));
        assert_eq!(c.get("y").unwrap().value, PyVal::Int(-3));
        assert_eq!(c.get("s").unwrap().value, PyVal::Str("a\\bc".into()));
    }

    #[test]
    fn env_and_dynamic() {
        let c = conf("import os, multiprocessing\nbind = os.environ.get('B', '0.0.0.0:8000')\nworkers = int(os.getenv(\"W\", multiprocessing.cpu_count() + 1))\nt = multiprocessing.cpu_count() * 2 + 1\nr = os.environ.get('X', 'false').lower() == 'true'\n").unwrap();
        assert_eq!(
            c.get("bind").unwrap().value,
            PyVal::Env { var: "B".into(), default: Some(Box::new(PyVal::Str("0.0.0.0:8000".into()))), int: false }
        );
        assert_eq!(
            c.get("workers").unwrap().value,
            PyVal::Env { var: "W".into(), default: Some(Box::new(PyVal::Dynamic)), int: true }
        );
        assert_eq!(c.get("t").unwrap().value, PyVal::Dynamic);
        assert_eq!(c.get("r").unwrap().value, PyVal::Dynamic);
    }

    #[test]
    fn bodies_skipped_and_errors() {
        let c = conf("def f():\n    timeout = 5\nif True:\n    timeout = 6\ntimeout = 7\nx = $weird\n").unwrap();
        assert_eq!(c.get("timeout").unwrap().value, PyVal::Int(7));
        assert_eq!(c.get("x").unwrap().value, PyVal::Dynamic);
        assert!(conf("bind = '127.0.0.1\n").is_err());
        assert!(conf("bind = '''abc\n").is_err());
        assert!(conf("bind = [1, 2\n").is_err());
        assert!(conf("x = (1]\n").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        // Python refuses the 200th nested bracket; 199 are read.
        let ok = format!("x = {}1{}\n", "(".repeat(199), ")".repeat(199));
        assert_eq!(conf(&ok).unwrap().get("x").unwrap().value, PyVal::Int(1));
        let e = conf(&format!("x = {}", "[".repeat(3000))).unwrap_err();
        assert!(e.message.ends_with(":1:204: too many nested parentheses"), "{}", e.message);
        // Unary and power chains nest without brackets: past MAX_DEPTH the value is not read.
        assert_eq!(conf(&format!("x = {}1\n", "-".repeat(100_000))).unwrap().get("x").unwrap().value, PyVal::Dynamic);
        assert_eq!(conf(&format!("x = {}2\n", "2**".repeat(100_000))).unwrap().get("x").unwrap().value, PyVal::Dynamic);
        assert_eq!(conf("x = - - -1\n").unwrap().get("x").unwrap().value, PyVal::Int(-1));
    }

    #[test]
    fn hex_escapes() {
        let s = |text: &str| conf(text).unwrap().get("s").unwrap().value.clone();
        assert_eq!(s("s = '\\x41\\x7a'\n"), PyVal::Str("Az".into()));
        // Not two hex digits (Python: "truncated \xXX escape"): kept as written, and a
        // multibyte character after it is not cut.
        assert_eq!(s("s = '\\x\u{e9}'\n"), PyVal::Str("\\x\u{e9}".into()));
        assert_eq!(s("s = '\\xa\u{e9}'\n"), PyVal::Str("\\xa\u{e9}".into()));
        assert_eq!(s("s = '\\x+f'\n"), PyVal::Str("\\x+f".into()));
    }
}
