//! Differential test against nginx itself (`nginx -t`, Debian's nginx-light):
//! - every corpus config that `nginx -t` accepts (as it is, or wrapped in the context that the
//!   shared corpus's `nginx-validation.tsv` names) parses in stacklint without an error;
//! - for a set of syntax errors (unbalanced braces, unterminated quotes, missing `;`, `{` where
//!   not allowed, ...) both reject the config, with the same message on the same line.
//!
//! nginx runs unprivileged-friendly: `-p` a temporary prefix, `-e stderr`, `-c` the config.
//! Without nginx the test prints a loud skip, except under `CI=true`, where it fails
//! (`scripts/install-test-deps.sh` installs nginx-light).

use stacklint::nginx::parser::parse;
use stacklint::source::SourceMapBuilder;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = "fixtures/corpus/nginx";
/// What Debian 12's `nginx -t` said of each corpus file, copied from the shared corpus.
const VALIDATION: &str = include_str!("../fixtures/nginx/nginx-validation.tsv");

fn nginx() -> Option<PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"].iter().map(PathBuf::from).find(|p| p.is_file());
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("nginx is not installed (CI=true): run scripts/install-test-deps.sh");
        }
        eprintln!("\n!!!!!! SKIPPED: nginx not installed; run scripts/install-test-deps.sh !!!!!!\n");
    }
    found
}

/// `nginx -t` on a config: `Ok(())` or `Err((message, file, line))` from its first `[emerg]`.
fn nginx_t(nginx: &Path, conf: &Path, prefix: &Path) -> Result<(), (String, String, usize)> {
    std::fs::create_dir_all(prefix.join("logs")).unwrap();
    let out = Command::new(nginx)
        .arg("-t")
        .arg("-q")
        .arg("-p")
        .arg(prefix)
        .arg("-e")
        .arg("stderr")
        .arg("-c")
        .arg(conf)
        .output()
        .expect("run nginx");
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let line = err.lines().find(|l| l.contains("[emerg]")).unwrap_or(&err).to_string();
    // `... [emerg] 123#123: MESSAGE in FILE:LINE`
    let msg = line.split_once(": ").map(|(_, m)| m).unwrap_or(&line);
    match msg.rsplit_once(" in ") {
        Some((m, at)) => match at.rsplit_once(':').and_then(|(f, l)| Some((f, l.trim().parse().ok()?))) {
            Some((f, l)) => Err((m.to_string(), f.to_string(), l)),
            None => Err((msg.to_string(), String::new(), 0)),
        },
        None => Err((msg.to_string(), String::new(), 0)),
    }
}

fn stacklint_parse(path: &Path) -> Result<(), (String, usize)> {
    let map = SourceMapBuilder::new();
    let sf = map.add(path, path.display().to_string(), std::fs::read(path).unwrap());
    parse(&sf).map(drop).map_err(|e| {
        let line = e.span.map(|s| sf.line_col(sf.local(s.start)).line).unwrap_or(0);
        (e.message, line)
    })
}

#[test]
fn configs_nginx_accepts_parse_without_error() {
    let Some(nginx) = nginx() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(ROOT).canonicalize().unwrap();
    let mut accepted = 0;
    let mut problems = Vec::new();
    for row in VALIDATION.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (file, result, ctx) = (cols[0], cols[1], cols.get(3).copied().unwrap_or(""));
        let rel = file.strip_prefix("nginx/").unwrap_or(file);
        let path = root.join(rel);
        // Fragments whose relative includes need another directory as nginx's prefix are left out.
        let conf = match (result, ctx) {
            ("pass", _) => path.clone(),
            ("pass-as-fragment", c) if !c.contains('@') => {
                let inc = format!("include {};", path.display());
                let text = match c {
                    "http" => format!("events {{}}\nhttp {{\n{inc}\n}}\n"),
                    "http>server" => format!("events {{}}\nhttp {{\nserver {{\n{inc}\n}}\n}}\n"),
                    "http>server>location" => {
                        format!("events {{}}\nhttp {{\nserver {{\nlocation / {{\n{inc}\n}}\n}}\n}}\n")
                    }
                    "main(+events)" => format!("events {{}}\n{inc}\n"),
                    _ => continue,
                };
                let w = tmp.path().join(format!("wrap{accepted}.conf"));
                std::fs::write(&w, text).unwrap();
                w
            }
            _ => continue,
        };
        // A config that reads the machine's own files (absolute includes, modules) may not pass
        // here; only what nginx accepts on this machine is checked.
        if let Err(e) = nginx_t(&nginx, &conf, &tmp.path().join("prefix")) {
            eprintln!("{rel}: nginx -t does not accept it on this machine ({e:?}); not checked");
            continue;
        }
        accepted += 1;
        if let Err((msg, line)) = stacklint_parse(&path) {
            problems.push(format!("{rel}:{line}: nginx accepts it, stacklint says {msg}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(accepted >= 150, "only {accepted} configs accepted by nginx -t");
    eprintln!("nginx -t accepts {accepted} corpus configs; stacklint parses all of them");
}

/// Syntax errors: (name, config). Everything before the error is valid, so nginx reaches it.
const SYNTAX_ERRORS: &[(&str, &str)] = &[
    ("extra closing brace", "events {}\nhttp {\n    server {\n        listen 8080;\n    }\n}\n}\n"),
    ("missing closing brace", "events {}\nhttp {\n    server {\n        listen 8080;\n    }\n\n"),
    ("missing closing brace, comment last", "events {}\nhttp {\n    server {\n        listen 8080;\n# end\n"),
    ("unterminated double quote", "events {}\nhttp {\n    add_header X \"abc;\n    server_tokens off;\n}\n"),
    ("unterminated single quote", "events {}\nhttp {\n    add_header X 'abc;\n}\n"),
    ("missing semicolon before brace", "events {}\nhttp {\n    server {\n        listen 8080\n    }\n}\n"),
    ("missing semicolon at end of file", "events {}\nhttp {\n}\nworker_rlimit_nofile 1024\n"),
    ("semicolon alone", "events {}\nhttp {\n    ;\n}\n"),
    ("brace alone", "events {}\nhttp {\n    server_tokens off;\n    {\n    }\n}\n"),
    ("block inside map", "events {}\nhttp {\n    map $uri $x {\n        default 1;\n        /a { 2; }\n    }\n}\n"),
    ("block inside types", "events {}\nhttp {\n    types {\n        text/html html;\n        x { }\n    }\n}\n"),
    ("quote glued to a word", "events {}\nhttp {\n    add_header X \"a\"b;\n}\n"),
    ("single quote glued", "events {}\nhttp {\n    server_name 'a'.example.com;\n}\n"),
    ("close brace after argument", "events {}\nhttp {\n    server_tokens off }\n"),
    ("unterminated quote spanning lines", "events {}\nhttp {\n    add_header X \"a\n\nb;\n}\n"),
    ("escaped quote never closed", "events {}\nhttp {\n    add_header X \"a\\\";\n}\n"),
    ("extra brace at top", "}\nevents {}\n"),
    ("crlf lines", "events {}\r\nhttp {\r\n    server {\r\n        listen 8080\r\n    }\r\n}\r\n"),
];

#[test]
fn syntax_errors_rejected_on_the_same_line_as_nginx() {
    let Some(nginx) = nginx() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for (i, (name, text)) in SYNTAX_ERRORS.iter().enumerate() {
        let conf = tmp.path().join(format!("case{i}.conf"));
        std::fs::write(&conf, text).unwrap();
        let theirs = nginx_t(&nginx, &conf, &tmp.path().join("prefix"));
        let ours = stacklint_parse(&conf);
        match (theirs, ours) {
            (Err((nmsg, nfile, nline)), Err((smsg, sline))) => {
                if nfile != conf.display().to_string() || nline != sline || nmsg != smsg {
                    problems
                        .push(format!("{name}: nginx `{nmsg}` at {nfile}:{nline}, stacklint `{smsg}` at line {sline}"));
                }
            }
            (t, o) => problems.push(format!("{name}: nginx {t:?}, stacklint {o:?}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("{} syntax errors: nginx and stacklint agree on message and line", SYNTAX_ERRORS.len());
}
