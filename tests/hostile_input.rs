//! A stranger's pull request: config files built to crash, hang or forge output. The binary runs
//! on a temporary tree of such files and must end in findings or clean errors (exit 0, 1 or 2,
//! never a panic's 101 or an abort's 134), with nothing in its output a CI log would execute
//! (a line starting with `::`) or a terminal would obey (ESC).

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn stacklint(dir: &Path, args: &[&str]) -> Output {
    // Run from the tree, so that file names are relative (`gunicorn.conf.py`).
    let out = Command::new(env!("CARGO_BIN_EXE_stacklint")).current_dir(dir).args(args).arg(".").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "exit {:?} (101 is a panic, None or 134 an abort)\n{stderr}",
        out.status.code()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

/// A temporary tree holding `files` (name, bytes).
fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

fn human(dir: &Path, color: &str) -> String {
    let out = stacklint(dir, &["--color", color]);
    String::from_utf8(out.stdout).unwrap()
}

fn json(dir: &Path) -> Value {
    let out = stacklint(dir, &["--format", "json"]);
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// The messages of the JSON report's load errors.
fn errors(v: &Value) -> Vec<String> {
    v["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_string()).collect()
}

/// No line (as the GitHub runner splits them: at CR, LF or CRLF) starts with `::`, even after blanks.
fn assert_no_workflow_command(text: &str) {
    for line in text.split(['\n', '\r']) {
        let t = line.trim_start();
        assert!(!t.starts_with("::"), "a line of the report would run as a workflow command: {line:?}\n{text}");
    }
}

// Item 7: deep nesting in a gunicorn config (and the other recursive readers).

#[test]
fn deep_brackets_in_gunicorn_conf_are_a_clean_error() {
    let text = format!("timeout = {}{}\n", "[".repeat(3000), "]".repeat(3000));
    let dir = tree(&[("gunicorn.conf.py", text.as_bytes())]);
    let out = stacklint(dir.path(), &["--color", "never"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    // `timeout = ` is 10 columns; Python refuses the 200th open bracket.
    assert!(text.contains("gunicorn.conf.py:1:210: too many nested parentheses"), "{text}");
    // 199 levels load, as in Python.
    let ok = format!("timeout = {}30{}\n", "(".repeat(199), ")".repeat(199));
    let dir = tree(&[("gunicorn.conf.py", ok.as_bytes())]);
    assert_eq!(stacklint(dir.path(), &[]).status.code(), Some(0));
}

#[test]
fn long_unary_and_power_chains_in_gunicorn_conf_do_not_overflow() {
    for text in [format!("timeout = {}1\n", "-".repeat(200_000)), format!("timeout = {}2\n", "2**".repeat(100_000))] {
        let dir = tree(&[("gunicorn.conf.py", text.as_bytes())]);
        let out = stacklint(dir.path(), &["--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn deep_nesting_in_the_other_readers_is_survived() {
    let deep = |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n));
    // uvicorn.run( with a deep argument, in a script a Procfile runs.
    let script = format!("import uvicorn\nuvicorn.run(app, port={})\n", deep("(", ")", 100_000));
    let dir = tree(&[("main.py", script.as_bytes()), ("Procfile", b"web: python main.py\n")]);
    stacklint(dir.path(), &[]);
    // Envoy JSON.
    let dir = tree(&[("envoy.json", deep("[", "]", 100_000).as_bytes())]);
    let v = json(dir.path());
    assert!(errors(&v).iter().any(|m| m.contains("nesting deeper than")), "{v}");
    // PHP-FPM and HAProxy.
    let fpm = format!("[www]\nlisten = 127.0.0.1:9000\nphp_value[x] = {}\n", deep("(", ")", 100_000));
    let dir = tree(&[("php-fpm.conf", fpm.as_bytes())]);
    stacklint(dir.path(), &[]);
    let hap = format!("global\n    log {}\n", deep("\"", "\"", 100_000));
    let dir = tree(&[("haproxy.cfg", hap.as_bytes())]);
    stacklint(dir.path(), &[]);
}

// Item 8: byte slices cut inside a UTF-8 character.

#[test]
fn dockerfile_instructions_glued_to_a_multibyte_character() {
    for docker in ["FROMéx\n", "ENVé=1 x\n", "ENVéé\n", "FROM\u{e9}\u{e9}\u{e9}\nENV\u{e9}\u{e9}\u{e9}\u{e9}\n"] {
        let dir = tree(&[("package.json", b"{}"), ("Dockerfile", docker.as_bytes())]);
        stacklint(dir.path(), &[]);
    }
    // A real instruction after a tab is still read: `FROM\tnode:18` sets the Node version.
    let dir = tree(&[
        ("package.json", br#"{"scripts": {"start": "node server.js"}}"#),
        ("server.js", b"require('http').createServer().listen(3000)\n"),
        ("Dockerfile", "FROM\tnode:18\nENV\u{e9} x\nENV PORT=3000\n".as_bytes()),
    ]);
    stacklint(dir.path(), &[]);
}

#[test]
fn python_hex_escape_before_a_multibyte_character() {
    for text in ["bind = '\\x\u{e9}'\n", "bind = '\\xa\u{e9}'\n", "bind = '\\x'\n", "bind = '\\x41:8000'\n"] {
        let dir = tree(&[("gunicorn.conf.py", text.as_bytes())]);
        stacklint(dir.path(), &[]);
    }
}

// Items 9 and 14: forged workflow commands and terminal escapes.

#[test]
fn a_file_name_with_a_newline_cannot_forge_an_annotation() {
    let dir = tempfile::tempdir().unwrap();
    let name = "gunicorn\n::error file=README.md,line=1::forged.conf.py";
    std::fs::write(dir.path().join(name), "bind = '127.0.0.1\n").unwrap();
    for color in ["never", "always"] {
        let text = human(dir.path(), color);
        assert!(text.contains("gunicorn\\n::error file=README.md"), "{text}");
        assert!(text.contains("unterminated string literal"), "{text}");
        assert_no_workflow_command(&text);
    }
    let out = stacklint(dir.path(), &["--format", "github"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("::error file=gunicorn%0A%3A%3Aerror file=README.md%2Cline=1%3A%3Aforged"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn a_carriage_return_in_a_config_line_cannot_forge_an_annotation() {
    // The line is shown in a snippet (SL301: no such upstream) and quoted in messages.
    let conf = b"http {\n  server {\n    listen 80;\n    location / { proxy_pass http://gone\r::error file=README.md::forged; }\n  }\n}\n";
    let dir = tree(&[("nginx.conf", conf)]);
    for color in ["never", "always"] {
        let text = human(dir.path(), color);
        assert!(text.contains("SL301"), "{text}");
        assert_no_workflow_command(&text);
    }
    let out = stacklint(dir.path(), &["--format", "github"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_no_workflow_command(&text.lines().map(|l| &l[2..]).collect::<Vec<_>>().join("\n"));
    assert!(!text.contains('\r'), "{text}");
}

#[test]
fn terminal_escapes_in_config_text_are_not_printed() {
    let conf =
        "http {\n  server {\n    listen 80;\n    location / { proxy_pass \"http://x\u{1b}[2J\u{9b}2J\"; }\n  }\n}\n";
    let dir = tree(&[("nginx.conf", conf.as_bytes())]);
    let text = human(dir.path(), "never");
    assert!(text.contains("SL301") || text.contains("parse-error"), "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{9b}'), "{text:?}");
    // With colours, miette's own escapes remain, the file's do not.
    let text = human(dir.path(), "always");
    assert!(!text.contains("\u{1b}[2J") && !text.contains('\u{9b}'), "{text:?}");
    let out = stacklint(dir.path(), &["--format", "github"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}') && !text.contains('\u{9b}'), "{text:?}");
    assert!(text.contains("\\u{1b}[2J"), "{text}");
}

// Item 11: one long line of errors or findings.

#[test]
fn a_line_of_nul_bytes_is_a_bounded_list_of_errors() {
    let mut cfg = b"global\n".to_vec();
    cfg.extend(std::iter::repeat_n(0u8, 256 * 1024));
    cfg.extend(b"\n");
    // Many lines with NULs too, and lines HAProxy cannot parse.
    for _ in 0..2000 {
        cfg.extend(b"  maxconn 1\0\n  log \"unterminated\n");
    }
    let dir = tree(&[("haproxy.cfg", &cfg)]);
    let v = json(dir.path());
    let errs = errors(&v);
    assert!(errs.len() <= 101, "{} errors", errs.len());
    assert!(errs[0].contains("stray NUL character"), "{errs:?}");
    let last = errs.last().unwrap();
    assert!(last.contains("more errors in this file"), "{last}");
    // One error per line holding NULs (as HAProxy reports them), with its position.
    let first = &v["errors"][0];
    assert_eq!((first["line"].as_u64(), first["column"].as_u64()), (Some(2), Some(1)), "{first}");
}

#[test]
fn many_findings_on_one_long_line_have_exact_columns() {
    // Non-ASCII paths, so that columns count characters, not bytes.
    let n = 5000;
    let mut conf = String::from("http { # é€😀\n");
    for i in 0..n {
        conf.push_str(&format!("include /nonexistent/é{i}.conf; "));
    }
    conf.push_str("\n}\n");
    let dir = tree(&[("nginx.conf", conf.as_bytes())]);
    let v = json(dir.path());
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), n, "{v}");
    // Sorted by position: the last include is the last finding.
    let last = &findings[n - 1]["labels"][0];
    let col = conf.lines().nth(1).unwrap().rfind("include").unwrap();
    let want = conf.lines().nth(1).unwrap()[..col].chars().count() + 1;
    assert_eq!(last["line"].as_u64(), Some(2), "{last}");
    assert_eq!(last["column"].as_u64(), Some(want as u64), "{last}");
}
