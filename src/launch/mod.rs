//! Where server processes are launched: systemd ExecStart, Procfile, Dockerfile CMD/ENTRYPOINT,
//! docker-compose command, with their environment.
//!
//! Every command is split into words the way its launcher does (a shell for shell forms, compose's
//! shell-like split, systemd's own quoting), and wrappers are peeled off (`sh -c "..."`, `exec`,
//! `env A=1`, `python -m gunicorn`, `poetry run`, `&&` chains) so that each [`Launch`] starts with
//! the program that really runs. Words keep spans into the files they were written in; for text
//! that went through an unescaping step (JSON strings, YAML scalars, `sh -c` strings) a word's span
//! is its exact text when that text appears verbatim, else the whole enclosing element.

pub mod compose;
pub mod python;
use crate::component::{ComponentDef, Phase, Recogniser, Shared, Step};
use crate::diag::LoadError;
use crate::files::{clean, Comments, Ctx, Found, Kind, Layer};
use crate::source::{SourceFile, Span};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A systemd unit (`*.service`): `ExecStart=` and `Environment=` may hold a server command line.
pub const SYSTEMD: Kind = Kind::new("systemd", Layer::App, Comments::SemiHash);
pub const PROCFILE: Kind = Kind::new("procfile", Layer::App, Comments::Hash);
pub const DOCKERFILE: Kind = Kind::new("dockerfile", Layer::App, Comments::Hash);
/// `.env` files.
pub const DOTENV: Kind = Kind::new("dot-env", Layer::App, Comments::Hash);

/// The launch sources (systemd units, Procfiles, Dockerfiles, `.env`): they add no server, they
/// publish [`Launches`] for the app servers that load after them.
pub static COMPONENT: ComponentDef = ComponentDef {
    name: "launch",
    kinds: &[SYSTEMD, PROCFILE, DOCKERFILE, DOTENV],
    recognise: &[
        Recogniser {
            rank: 10,
            step: |c, _| Step::when(c.lower == "procfile" || c.lower.starts_with("procfile."), PROCFILE),
        },
        Recogniser {
            rank: 20,
            step: |c, _| {
                let l = c.lower;
                Step::when(l == "dockerfile" || l.starts_with("dockerfile.") || l.ends_with(".dockerfile"), DOCKERFILE)
            },
        },
        Recogniser { rank: 50, step: |c, _| Step::when(c.lower == ".env" || c.lower.starts_with(".env."), DOTENV) },
        Recogniser { rank: 60, step: |c, _| Step::when(c.lower.ends_with(".service"), SYSTEMD) },
    ],
    precommit: &[
        r"\.service$",
        r"(^|/)procfile([.][^/]*)?$",
        r"(^|/)dockerfile[^/]*$ | \.dockerfile$",
        r"(^|/)\.env([.][^/]*)?$",
    ],
    phase: Phase::Main,
    load: |ctx, found, shared| {
        let compose = shared.get::<compose::Project>().unwrap_or_default();
        let (launches, errors) = launches(ctx, found, &compose);
        shared.publish(Launches(launches));
        (None, errors)
    },
    graph_rank: u8::MAX,
    graph: None,
};

/// Every launch in the tree, as the launch sources publish it (see [`Shared::get`]).
pub struct Launches(pub Vec<Launch>);

/// The launches published by the launch sources (none when they did not load).
pub fn published(shared: &Shared) -> std::sync::Arc<Launches> {
    shared.get::<Launches>().unwrap_or_else(|| std::sync::Arc::new(Launches(Vec::new())))
}

/// A word of a command line or a value, with where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub span: Span,
}

impl Word {
    /// The word from byte `from` on (`--bind=:80` -> `:80`). Its span narrows with it when the
    /// word is written as it reads (no quotes or escapes); otherwise it stays the whole word.
    pub fn suffix(&self, from: usize) -> Word {
        let span = if self.span.len() as usize == self.text.len() {
            Span::new(self.span.start + from as u32, self.span.end)
        } else {
            self.span
        };
        Word { text: self.text[from..].to_string(), span }
    }

    /// Words of a space-separated command line, spans counted from 0 (for unit tests of the
    /// command-line parsers).
    #[cfg(test)]
    pub fn split_for_test(s: &str) -> Vec<Word> {
        let mut pos = 0;
        s.split(' ')
            .map(|w| {
                let span = Span::new(pos, pos + w.len() as u32);
                pos += w.len() as u32 + 1;
                Word { text: w.to_string(), span }
            })
            .collect()
    }
}

/// An app server's setting as written: the value (`None` when it is only known at run time, or
/// invalid), its text, where, and which of the server's sources (`F`) gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting<T, F> {
    pub value: Option<T>,
    pub text: String,
    pub span: Span,
    pub from: F,
}

/// One process launch.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The command, wrappers removed: `argv[0]` is the program (`gunicorn`, `/usr/bin/gunicorn`).
    pub argv: Vec<Word>,
    /// Environment the process gets (later entries override earlier ones with the same name).
    pub env: Vec<(String, Word)>,
    /// The docker-compose service that runs it.
    pub service: Option<String>,
    /// Directory of the file that declares it: the process's likely working directory.
    pub dir: PathBuf,
    pub origin: Kind,
    /// The whole command.
    pub span: Span,
}

impl Launch {
    /// The program's base name (`/usr/local/bin/gunicorn` -> `gunicorn`).
    pub fn program(&self) -> &str {
        self.argv.first().map(|w| w.text.rsplit('/').next().unwrap_or(&w.text)).unwrap_or("")
    }

    /// The last value of an environment variable.
    pub fn env_var(&self, name: &str) -> Option<&Word> {
        self.env.iter().rev().find(|(k, _)| k == name).map(|(_, w)| w)
    }
}

// ---------------------------------------------------------------------------------------------
// Shell-word splitting
// ---------------------------------------------------------------------------------------------

/// A word as lexed: unescaped text and its raw byte range in the lexed text.
#[derive(Clone, Debug)]
struct Raw {
    text: String,
    start: usize,
    end: usize,
}

#[derive(Clone, Debug)]
enum Tok {
    Word(Raw),
    /// `&&`, `||`, `;`, `|`, `&`, newline: a command boundary.
    Sep,
}

/// Lexes shell text. `ops`: recognise operators, comments and redirections (a real shell); without
/// it, only quotes and escapes matter (compose's and systemd's splitting).
fn lex(s: &str, ops: bool) -> Result<Vec<Tok>, (usize, String)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut skip_next_word = false;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' && b.get(i + 1) == Some(&b'\n') {
            i += 2;
            continue;
        }
        if c == b' ' || c == b'\t' || c == b'\r' || (c == b'\n' && !ops) {
            i += 1;
            continue;
        }
        if ops {
            if c == b'\n' || c == b';' || c == b'&' || c == b'|' || c == b'(' || c == b')' {
                if c == b'&' && b.get(i + 1) == Some(&b'>') {
                    // `&>file`
                    i += 2;
                    skip_next_word = true;
                    continue;
                }
                i += if matches!((c, b.get(i + 1)), (b'&', Some(b'&')) | (b'|', Some(b'|')) | (b';', Some(b';'))) {
                    2
                } else {
                    1
                };
                if !matches!(out.last(), Some(Tok::Sep) | None) {
                    out.push(Tok::Sep);
                }
                continue;
            }
            if c == b'#' {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            if c == b'>' || c == b'<' {
                i += 1;
                while i < b.len() && matches!(b[i], b'>' | b'&' | b'<') {
                    i += 1;
                }
                skip_next_word = true;
                continue;
            }
        }
        // A word.
        let start = i;
        let mut text = String::new();
        while i < b.len() {
            let c = b[i];
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => break,
                b';' | b'&' | b'|' | b'(' | b')' if ops => break,
                b'>' | b'<' if ops => {
                    // `2>&1`: the digits belong to the redirection.
                    if !text.is_empty() && text.bytes().all(|d| d.is_ascii_digit()) && i - start == text.len() {
                        text.clear();
                    }
                    break;
                }
                b'\'' => {
                    let close = s[i + 1..].find('\'').ok_or((i, "unterminated single quote".to_string()))?;
                    text.push_str(&s[i + 1..i + 1 + close]);
                    i += close + 2;
                }
                b'"' => {
                    let mut j = i + 1;
                    loop {
                        let Some(&d) = b.get(j) else {
                            return Err((i, "unterminated double quote".into()));
                        };
                        match d {
                            b'"' => break,
                            b'\\' if j + 1 < b.len() && matches!(b[j + 1], b'"' | b'\\' | b'$' | b'`' | b'\n') => {
                                if b[j + 1] != b'\n' {
                                    text.push(b[j + 1] as char);
                                }
                                j += 2;
                            }
                            b'$' if ops && b.get(j + 1) == Some(&b'(') => {
                                let e = close_paren(s, j + 1).ok_or((j, "unterminated `$(`".to_string()))?;
                                text.push_str(&s[j..=e]);
                                j = e + 1;
                            }
                            _ => {
                                let ch = s[j..].chars().next().unwrap_or(' ');
                                text.push(ch);
                                j += ch.len_utf8();
                            }
                        }
                    }
                    i = j + 1;
                }
                b'\\' => {
                    if let Some(ch) = s[i + 1..].chars().next() {
                        if ch != '\n' {
                            text.push(ch);
                        }
                        i += 1 + ch.len_utf8();
                    } else {
                        i += 1;
                    }
                }
                b'$' if ops && b.get(i + 1) == Some(&b'(') => {
                    let e = close_paren(s, i + 1).ok_or((i, "unterminated `$(`".to_string()))?;
                    text.push_str(&s[i..=e]);
                    i = e + 1;
                }
                _ => {
                    let ch = s[i..].chars().next().unwrap_or(' ');
                    text.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
        if i == start {
            // A lone `>`-like byte that was not consumed: move on.
            i += 1;
            continue;
        }
        if skip_next_word {
            skip_next_word = false;
            continue;
        }
        if text.is_empty() && i - start > 0 && !s[start..i].contains(['\'', '"']) {
            continue;
        }
        out.push(Tok::Word(Raw { text, start, end: i }));
    }
    Ok(out)
}

fn close_paren(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    for (k, c) in s[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + k);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where lexed text sits in a file: verbatim at a byte offset, or somewhere inside `whole`
/// (the text was unescaped first).
#[derive(Clone, Copy)]
enum Place {
    At(usize),
    Within(Span),
}

fn place(file: &SourceFile, text: &str, place: Place, raws: Vec<Raw>) -> Vec<Word> {
    match place {
        Place::At(base) => {
            raws.into_iter().map(|r| Word { span: file.span(base + r.start, base + r.end), text: r.text }).collect()
        }
        Place::Within(whole) => {
            let src = file.slice(whole);
            let mut cursor = 0;
            raws.into_iter()
                .map(|r| {
                    let raw = &text[r.start..r.end];
                    let found = [raw, r.text.as_str()]
                        .into_iter()
                        .filter(|t| !t.is_empty())
                        .find_map(|t| src.get(cursor..).and_then(|rest| rest.find(t)).map(|k| (cursor + k, t.len())));
                    let span = match found {
                        Some((k, len)) => {
                            cursor = k + len;
                            Span::new(whole.start + k as u32, whole.start + (k + len) as u32)
                        }
                        None => whole,
                    };
                    Word { text: r.text, span }
                })
                .collect()
        }
    }
}

/// Splits shell text into commands (at `&&`, `||`, `;`, `|`, newlines).
fn split_commands(file: &SourceFile, text: &str, at: Place) -> Result<Vec<Vec<Word>>, (usize, String)> {
    let toks = lex(text, true)?;
    let mut cmds = Vec::new();
    let mut cur = Vec::new();
    for t in toks {
        match t {
            Tok::Word(r) => cur.push(r),
            Tok::Sep => {
                if !cur.is_empty() {
                    cmds.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        cmds.push(cur);
    }
    Ok(cmds.into_iter().map(|c| place(file, text, at, c)).collect())
}

/// Splits a string into words the way compose and `shlex.split` do: quotes and escapes, no
/// operators. `whole` is the span of the string as written. Unbalanced quotes fall back to
/// splitting on whitespace.
pub fn split_plain(file: &SourceFile, text: &str, whole: Span) -> Vec<Word> {
    let at = if file.slice(whole) == text { Place::At(file.local(whole.start)) } else { Place::Within(whole) };
    let raws = match lex(text, false) {
        Ok(toks) => toks
            .into_iter()
            .filter_map(|t| match t {
                Tok::Word(r) => Some(r),
                Tok::Sep => None,
            })
            .collect(),
        Err(_) => {
            let mut v = Vec::new();
            let mut pos = 0;
            for w in text.split_whitespace() {
                let k = pos + text[pos..].find(w).unwrap_or(0);
                v.push(Raw { text: w.to_string(), start: k, end: k + w.len() });
                pos = k + w.len();
            }
            v
        }
    };
    place(file, text, at, raws)
}

// ---------------------------------------------------------------------------------------------
// Unwrapping
// ---------------------------------------------------------------------------------------------

fn is_assignment(t: &str) -> Option<(&str, &str)> {
    let (k, v) = t.split_once('=')?;
    (!k.is_empty()
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !k.starts_with(|c: char| c.is_ascii_digit()))
    .then_some((k, v))
}

fn base(t: &str) -> &str {
    t.rsplit('/').next().unwrap_or(t)
}

fn is_shell(t: &str) -> bool {
    matches!(base(t), "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh")
}

fn is_python(t: &str) -> bool {
    let b = base(t);
    b == "python" || b == "python3" || (b.starts_with("python3.") && b[8..].chars().all(|c| c.is_ascii_digit()))
}

/// Peels wrappers off one command. `shell`: the command is shell text (assignments prefix it).
/// Returns the commands that really run, each with the variables set on its line.
/// A command that really runs, with the variables set on its line.
type Unwrapped = (Vec<Word>, Vec<(String, Word)>);

fn unwrap(file: &SourceFile, mut argv: Vec<Word>, shell: bool, depth: usize) -> Vec<Unwrapped> {
    let mut env: Vec<(String, Word)> = Vec::new();
    loop {
        let Some(first) = argv.first() else {
            return Vec::new();
        };
        let prog = base(&first.text).to_string();
        if shell {
            if let Some((k, v)) = is_assignment(&first.text) {
                let vs = first.span.end - v.len() as u32;
                let span = if first.span.len() as usize == first.text.len() {
                    Span::new(vs, first.span.end)
                } else {
                    first.span
                };
                env.push((k.to_string(), Word { text: v.to_string(), span }));
                argv.remove(0);
                continue;
            }
        }
        match prog.as_str() {
            "exec"
            | "nohup"
            | "tini"
            | "dumb-init"
            | "--"
            | "ddtrace-run"
            | "opentelemetry-instrument"
            | "chpst"
            | "gosu"
            | "su-exec" => {
                let gosu = matches!(prog.as_str(), "gosu" | "su-exec");
                argv.remove(0);
                while argv.first().is_some_and(|w| w.text.starts_with('-')) {
                    let w = argv.remove(0);
                    if w.text == "--" {
                        break;
                    }
                }
                if gosu && !argv.is_empty() {
                    argv.remove(0); // the user
                }
                continue;
            }
            "newrelic-admin" if argv.get(1).is_some_and(|w| w.text == "run-program") => {
                argv.drain(..2);
                continue;
            }
            "env" => {
                argv.remove(0);
                while let Some(w) = argv.first() {
                    if let Some((k, v)) = is_assignment(&w.text) {
                        let vs = w.span.end - v.len() as u32;
                        let span =
                            if w.span.len() as usize == w.text.len() { Span::new(vs, w.span.end) } else { w.span };
                        env.push((k.to_string(), Word { text: v.to_string(), span }));
                        argv.remove(0);
                    } else if w.text.starts_with('-') {
                        argv.remove(0);
                    } else {
                        break;
                    }
                }
                continue;
            }
            "poetry" | "pipenv" | "uv" | "pdm" | "hatch" | "rye" if argv.get(1).is_some_and(|w| w.text == "run") => {
                argv.drain(..2);
                while argv.first().is_some_and(|w| w.text.starts_with('-')) {
                    argv.remove(0);
                }
                continue;
            }
            _ => {}
        }
        if is_python(&first.text) {
            // python [-u -O ...] -m module args
            let mut k = 1;
            while k < argv.len() && argv[k].text.starts_with('-') && argv[k].text != "-m" && argv[k].text != "-c" {
                k += 1;
            }
            if argv.get(k).is_some_and(|w| w.text == "-m") && k + 1 < argv.len() {
                argv.drain(..=k);
                continue;
            }
            break;
        }
        if is_shell(&first.text) && depth < 4 {
            // sh [-e -x ...] -c "script"
            let mut k = 1;
            while k < argv.len() && argv[k].text.starts_with('-') && !argv[k].text.ends_with('c') {
                k += 1;
            }
            let has_c = argv.get(k).is_some_and(|w| w.text.starts_with('-') && w.text.ends_with('c'));
            if has_c {
                if let Some(script) = argv.get(k + 1) {
                    let at = if file.slice(script.span) == script.text {
                        Place::At(file.local(script.span.start))
                    } else {
                        Place::Within(script.span)
                    };
                    let cmds = split_commands(file, &script.text, at).unwrap_or_default();
                    return cmds
                        .into_iter()
                        .flat_map(|c| unwrap(file, c, true, depth + 1))
                        .map(|(a, mut e)| {
                            let mut all = env.clone();
                            all.append(&mut e);
                            (a, all)
                        })
                        .collect();
                }
            }
            break;
        }
        // An entrypoint script that ends in `exec "$@"`: what follows is the command.
        if prog.ends_with(".sh") && argv.len() > 1 {
            argv.remove(0);
            continue;
        }
        break;
    }
    if argv.is_empty() {
        Vec::new()
    } else {
        vec![(argv, env)]
    }
}

fn span_of(words: &[Word], fallback: Span) -> Span {
    match (words.first(), words.last()) {
        (Some(a), Some(b)) if a.span.start <= b.span.end => Span::new(a.span.start, b.span.end.max(a.span.end)),
        _ => fallback,
    }
}

// ---------------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------------

struct Emit<'a> {
    out: &'a mut Vec<Launch>,
    file: &'a SourceFile,
    dir: PathBuf,
    origin: Kind,
    service: Option<String>,
}

impl Emit<'_> {
    fn push(&mut self, argv: Vec<Word>, shell: bool, env: &[(String, Word)], whole: Span) {
        for (argv, mut line_env) in unwrap(self.file, argv, shell, 0) {
            let mut e = env.to_vec();
            e.append(&mut line_env);
            let span = span_of(&argv, whole);
            self.out.push(Launch {
                argv,
                env: e,
                service: self.service.clone(),
                dir: self.dir.clone(),
                origin: self.origin,
                span,
            });
        }
    }
}

/// Every launch in the tree.
pub fn launches(ctx: &Ctx, found: &[Found], compose: &compose::Project) -> (Vec<Launch>, Vec<LoadError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut dockerfiles: HashMap<PathBuf, Dockerfile> = HashMap::new();
    for f in found {
        if !matches!(f.kind, SYSTEMD | PROCFILE | DOCKERFILE) {
            continue;
        }
        let file = match ctx.read(&f.path) {
            Ok(file) => file,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let dir = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut emit = Emit { out: &mut out, file: &file, dir: dir.clone(), origin: f.kind, service: None };
        match f.kind {
            SYSTEMD => systemd(&mut emit, &mut errors),
            PROCFILE => procfile(&mut emit, &mut errors),
            DOCKERFILE => {
                let d = dockerfile(&file, &mut errors);
                let key = f.path.canonicalize().unwrap_or_else(|_| clean(&f.path));
                dockerfiles.insert(key, d);
            }
            _ => {}
        }
    }

    // Which services build which Dockerfile.
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| clean(p));
    let mut users: HashMap<PathBuf, Vec<&compose::Service>> = HashMap::new();
    for s in &compose.services {
        if let Some(df) = &s.dockerfile {
            users.entry(canon(df)).or_default().push(s);
        }
    }
    let mut keys: Vec<&PathBuf> = dockerfiles.keys().collect();
    keys.sort();
    for key in keys {
        let d = &dockerfiles[key];
        let Some(file) = ctx.map.get_by_path(key) else {
            continue;
        };
        let dir = key.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = found
            .iter()
            .find(|f| f.kind == DOCKERFILE && canon(&f.path) == *key)
            .and_then(|f| f.path.parent().map(Path::to_path_buf))
            .unwrap_or(dir);
        let using: Vec<&&compose::Service> = users
            .get(key)
            .map(|v| v.iter().filter(|s| s.command.is_none() && s.entrypoint.is_none()).collect())
            .unwrap_or_default();
        let Some((argv, shell, whole)) = d.argv(None) else {
            continue;
        };
        if using.is_empty() {
            let mut emit = Emit { out: &mut out, file: &file, dir: dir.clone(), origin: DOCKERFILE, service: None };
            emit.push(argv, shell, &d.env, whole);
        } else {
            for s in using {
                let mut env = d.env.clone();
                env.extend(s.environment.iter().cloned());
                let mut emit = Emit {
                    out: &mut out,
                    file: &file,
                    dir: dir.clone(),
                    origin: DOCKERFILE,
                    service: Some(s.name.clone()),
                };
                emit.push(argv.clone(), shell, &env, whole);
            }
        }
    }

    // Compose services that set their own command or entrypoint.
    for s in &compose.services {
        if s.command.is_none() && s.entrypoint.is_none() {
            continue;
        }
        let Some(file) = ctx.map.get_by_path(&canon(&s.path)) else {
            continue;
        };
        let d = s.dockerfile.as_ref().and_then(|p| dockerfiles.get(&canon(p)));
        let mut env = d.map(|d| d.env.clone()).unwrap_or_default();
        env.extend(s.environment.iter().cloned());
        let mut argv = Vec::new();
        let whole = match (&s.entrypoint, &s.command) {
            (Some(ep), cmd) => {
                argv.extend(ep.words.iter().cloned());
                if let Some(c) = cmd {
                    argv.extend(c.words.iter().cloned());
                }
                ep.span
            }
            (None, Some(c)) => {
                // The image's exec-form ENTRYPOINT stays in front of the command.
                if let Some(Instr { words, exec: true, .. }) = d.and_then(|d| d.entrypoint.as_ref()) {
                    argv.extend(words.iter().cloned());
                }
                argv.extend(c.words.iter().cloned());
                c.span
            }
            (None, None) => continue,
        };
        let mut emit = Emit {
            out: &mut out,
            file: &file,
            dir: s.dir.clone(),
            origin: crate::launch::compose::KIND,
            service: Some(s.name.clone()),
        };
        emit.push(argv, false, &env, whole);
    }
    (out, errors)
}

// ----- systemd -----

fn systemd(emit: &mut Emit, errors: &mut Vec<LoadError>) {
    let file = emit.file;
    let text: &str = &file.text;
    let mut section = String::new();
    let mut env: Vec<(String, Word)> = Vec::new();
    let mut execs: Vec<(usize, usize)> = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        // A logical line: physical lines joined by a trailing backslash.
        let mut end = pos;
        loop {
            let nl = text[end..].find('\n').map(|k| end + k).unwrap_or(text.len());
            let line = text[end..nl].trim_end_matches('\r');
            if line.ends_with('\\') && nl < text.len() {
                end = nl + 1;
                continue;
            }
            end = nl;
            break;
        }
        let (ls, le) = (pos, end);
        pos = end + 1;
        let line = &text[ls..le];
        let t = line.trim_start();
        let off = ls + (line.len() - t.len());
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if t.starts_with('[') {
            section = t.trim_end().trim_matches(['[', ']']).to_string();
            continue;
        }
        if section != "Service" {
            continue;
        }
        let Some((key, _)) = t.split_once('=') else {
            continue;
        };
        let vstart = off + key.len() + 1;
        let key = key.trim();
        let value = &text[vstart..le];
        let lead = value.len() - value.trim_start().len();
        let vstart = vstart + lead;
        match key {
            "Environment" => {
                let v = &text[vstart..le];
                match lex(&v.replace("\\\n", "  "), false) {
                    Ok(toks) => {
                        for t in toks {
                            if let Tok::Word(r) = t {
                                if let Some((k, val)) = r.text.split_once('=') {
                                    let raw = &v[r.start..r.end];
                                    let vs = raw.find('=').map(|i| i + 1).unwrap_or(0);
                                    let q = usize::from(raw.starts_with(['"', '\'']));
                                    let (s, e) = if raw.len() == r.text.len() + 2 * q {
                                        (vstart + r.start + vs, vstart + r.end - q)
                                    } else {
                                        (vstart + r.start, vstart + r.end)
                                    };
                                    env.push((k.to_string(), Word { text: val.to_string(), span: file.span(s, e) }));
                                }
                            }
                        }
                    }
                    Err((at, m)) => errors.push(err(file, vstart + at, &m)),
                }
            }
            "ExecStart" => execs.push((vstart, le)),
            _ => {}
        }
    }
    for (s, e) in execs {
        let mut s = s;
        let mut at_prefix = false;
        while s < e && matches!(text.as_bytes()[s], b'-' | b'@' | b'+' | b'!' | b':') {
            at_prefix |= text.as_bytes()[s] == b'@';
            s += 1;
        }
        match lex(&text[s..e], false) {
            Ok(toks) => {
                let raws: Vec<Raw> = toks
                    .into_iter()
                    .filter_map(|t| match t {
                        Tok::Word(r) => Some(r),
                        Tok::Sep => None,
                    })
                    .collect();
                let mut argv = place(file, &text[s..e], Place::At(s), raws);
                if at_prefix && argv.len() > 1 {
                    // `@/usr/bin/gunicorn name args`: the second word is argv[0] only.
                    argv.remove(1);
                }
                let whole = file.span(s, e);
                emit.push(argv, false, &env, whole);
            }
            Err((at, m)) => errors.push(err(file, s + at, &m)),
        }
    }
}

fn err(file: &SourceFile, at: usize, m: &str) -> LoadError {
    let lc = file.line_col(at);
    LoadError::at(file.span(at, at), &file.display, format!("{}:{}:{}: {m}", file.display, lc.line, lc.column))
}

// ----- Procfile -----

fn procfile(emit: &mut Emit, errors: &mut Vec<LoadError>) {
    let file = emit.file;
    let text: &str = &file.text;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let ls = pos;
        pos += line.len();
        let l = line.trim_end_matches(['\n', '\r']);
        if l.trim_start().starts_with('#') {
            continue;
        }
        let Some((name, _)) = l.split_once(':') else {
            continue;
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            continue;
        }
        let cs = ls + name.len() + 1;
        let ce = ls + l.len();
        match split_commands(file, &text[cs..ce], Place::At(cs)) {
            Ok(cmds) => {
                for c in cmds {
                    emit.push(c, true, &[], file.span(cs, ce));
                }
            }
            Err((at, m)) => errors.push(err(file, cs + at, &m)),
        }
    }
}

// ----- Dockerfile -----

#[derive(Clone, Debug)]
struct Instr {
    words: Vec<Word>,
    /// JSON (exec) form.
    exec: bool,
    /// Shell form: the raw text range, for re-splitting as shell.
    span: Span,
}

#[derive(Clone, Debug, Default)]
struct Dockerfile {
    env: Vec<(String, Word)>,
    cmd: Option<Instr>,
    entrypoint: Option<Instr>,
}

impl Dockerfile {
    /// The command the image runs, with an optional CMD override: (argv, is shell text, span).
    fn argv(&self, cmd_override: Option<&Instr>) -> Option<(Vec<Word>, bool, Span)> {
        let cmd = cmd_override.or(self.cmd.as_ref());
        match (&self.entrypoint, cmd) {
            (Some(ep), _) if !ep.exec => Some((ep.words.clone(), true, ep.span)),
            (Some(ep), Some(c)) => {
                let mut v = ep.words.clone();
                if c.exec {
                    v.extend(c.words.iter().cloned());
                    Some((v, false, ep.span))
                } else {
                    // Shell-form CMD after an exec ENTRYPOINT: `/bin/sh -c "cmd"` is appended.
                    // Keep it simple: append the words (most entrypoints then `exec "$@"`).
                    v.extend(c.words.iter().cloned());
                    Some((v, false, ep.span))
                }
            }
            (Some(ep), None) => Some((ep.words.clone(), false, ep.span)),
            (None, Some(c)) => Some((c.words.clone(), !c.exec, c.span)),
            (None, None) => None,
        }
    }
}

/// JSON array of strings with positions: `["a", "b"]`. `None` when it is not one (Docker then
/// treats the text as shell form).
fn json_array(file: &SourceFile, s: usize, e: usize) -> Option<Vec<Word>> {
    let text = &file.text[s..e];
    let t = text.trim();
    if !t.starts_with('[') || !t.ends_with(']') {
        return None;
    }
    let parsed: Vec<String> = serde_json::from_str(t).ok()?;
    let b = text.as_bytes();
    let mut i = text.find('[')? + 1;
    let mut out = Vec::new();
    for val in parsed {
        while i < b.len() && b[i] != b'"' {
            i += 1;
        }
        let start = i;
        i += 1;
        while i < b.len() && b[i] != b'"' {
            if b[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        let end = (i + 1).min(b.len());
        i = end;
        let raw = &text[start..end];
        let span = if raw.len() == val.len() + 2 {
            file.span(s + start + 1, s + end - 1)
        } else {
            file.span(s + start, s + end)
        };
        out.push(Word { text: val, span });
    }
    Some(out)
}

fn dockerfile(file: &SourceFile, errors: &mut Vec<LoadError>) -> Dockerfile {
    let text: &str = &file.text;
    let mut d = Dockerfile::default();
    let mut pos = 0;
    let bytes = text.as_bytes();
    while pos < text.len() {
        // Skip blank lines and comments.
        let nl = text[pos..].find('\n').map(|k| pos + k).unwrap_or(text.len());
        let line = &text[pos..nl];
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            pos = nl + 1;
            continue;
        }
        let ls = pos + (line.len() - t.len());
        // The instruction runs to the first line not ending in a backslash; comment lines inside
        // a continuation are dropped by Docker (they are blanked here so offsets stay put).
        let mut end;
        let mut cur = pos;
        loop {
            let nl2 = text[cur..].find('\n').map(|k| cur + k).unwrap_or(text.len());
            let l = &text[cur..nl2];
            let is_comment = cur != pos && l.trim_start().starts_with('#');
            end = nl2;
            let cont = !is_comment && l.trim_end_matches('\r').ends_with('\\');
            if nl2 >= text.len() || !(cont || is_comment) {
                break;
            }
            cur = nl2 + 1;
        }
        pos = end + 1;
        let instr_end = ls + t.find(|c: char| c.is_whitespace()).unwrap_or(t.len()).min(end - ls);
        let name = text[ls..instr_end].to_ascii_uppercase();
        let mut as_ = instr_end;
        while as_ < end && matches!(bytes[as_], b' ' | b'\t') {
            as_ += 1;
        }
        let mut ae = end;
        while ae > as_ && matches!(bytes[ae - 1], b' ' | b'\t' | b'\r') {
            ae -= 1;
        }
        // Comment lines inside the continuation, blanked.
        let args = blank_comments(&text[as_..ae]);
        match name.as_str() {
            "FROM" => d = Dockerfile::default(),
            "ENV" => {
                let toks = match lex(&args, false) {
                    Ok(t) => t,
                    Err((at, m)) => {
                        errors.push(err(file, as_ + at, &m));
                        continue;
                    }
                };
                let raws: Vec<Raw> = toks
                    .into_iter()
                    .filter_map(|t| match t {
                        Tok::Word(r) => Some(r),
                        Tok::Sep => None,
                    })
                    .collect();
                if raws.first().is_some_and(|r| !r.text.contains('=')) {
                    // `ENV NAME value with spaces`
                    let key = raws[0].text.clone();
                    let vs = raws.get(1).map(|r| r.start).unwrap_or(args.len());
                    let value = args[vs..].trim().to_string();
                    d.env.push((key, Word { text: unquote(&value), span: file.span(as_ + vs, ae) }));
                } else {
                    for r in raws {
                        if let Some((k, v)) = r.text.split_once('=') {
                            let raw = &args[r.start..r.end];
                            let eq = raw.find('=').map(|i| i + 1).unwrap_or(0);
                            let vraw = &raw[eq..];
                            let q = usize::from(vraw.len() == v.len() + 2 && vraw.starts_with(['"', '\'']));
                            let span = if vraw.len() == v.len() + 2 * q {
                                file.span(as_ + r.start + eq + q, as_ + r.end - q)
                            } else {
                                file.span(as_ + r.start + eq, as_ + r.end)
                            };
                            d.env.push((k.to_string(), Word { text: v.to_string(), span }));
                        }
                    }
                }
            }
            "CMD" | "ENTRYPOINT" => {
                let span = file.span(as_, ae);
                let instr = if let Some(words) = json_array(file, as_, ae) {
                    Instr { words, exec: true, span }
                } else {
                    // Shell form: kept as one word (the script) for `/bin/sh -c`.
                    let words = vec![
                        Word { text: "/bin/sh".into(), span },
                        Word { text: "-c".into(), span },
                        Word { text: args.clone(), span },
                    ];
                    if let Err((at, m)) = lex(&args, true) {
                        errors.push(err(file, as_ + at, &m));
                        continue;
                    }
                    Instr { words, exec: false, span }
                };
                if name == "CMD" {
                    d.cmd = Some(instr);
                } else {
                    d.entrypoint = Some(instr);
                }
            }
            _ => {}
        }
    }
    d
}

fn blank_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, l) in s.split_inclusive('\n').enumerate() {
        if i > 0 && l.trim_start().starts_with('#') {
            for c in l.chars() {
                out.push(if c == '\n' { '\n' } else { ' ' });
            }
        } else {
            out.push_str(l);
        }
    }
    out
}

fn unquote(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2 && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('\'') && t.ends_with('\''))) {
        t[1..t.len() - 1].to_string()
    } else {
        t.to_string()
    }
}
