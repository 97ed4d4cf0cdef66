//! Differential tests against HAProxy itself (`haproxy -c -f FILE`, Debian 12's 2.6.12 in CI; install
//! it with `scripts/install-test-deps.sh`).
//!
//! * Every HAProxy fixture stacklint accepts (`fixtures/rules`, `fixtures/stacks`,
//!   `fixtures/haproxy/valid`), `haproxy -c` accepts too, unless HAProxy fails for a reason outside
//!   syntax: a missing certificate, map or error file, a host name that does not resolve on the
//!   test machine ([`OUTSIDE_SYNTAX`]).
//! * Every file of `fixtures/haproxy/syntax-errors/` is rejected by both, and stacklint names the
//!   line HAProxy names (except a non-terminated `.if`: HAProxy names the end of the file,
//!   stacklint the `.if`).
//! * On the corpus (`fixtures/corpus/haproxy/`, where HAProxy rejects most files for reasons
//!   outside syntax: vtest macros such as `fd@${fe1}`, keywords newer than 2.6, missing files), the
//!   two agree on the syntax errors: every line where HAProxy reports one of [`SYNTAX`], stacklint
//!   reports too, and every file stacklint rejects, HAProxy rejects.
//!
//! "stacklint rejects" means a load error, or a finding that says the component refuses to start:
//! SL401 invalid-value (`1.5s`, timer overflow, `bind` without port) or an SL301 `use_backend` to a
//! backend that does not exist.
//!
//! Without `haproxy` on the PATH the tests fail when `CI=true`, and are skipped loudly otherwise.

mod common;
use common::root;
use stacklint::graph::HopTarget;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// HAProxy alerts about the environment rather than the config text.
const OUTSIDE_SYNTAX: &[&str] = &[
    "unable to stat SSL certificate",
    "unable to load SSL",
    "error opening file",
    "could not resolve address",
    "unable to load",
    "failed to load",
    "failed to open pattern file",
    "Cannot open",
    "No such file",
];

/// HAProxy alerts that stacklint's parser and model must also raise.
const SYNTAX: &[&str] = &[
    "unmatched quote",
    "unmatched brace",
    "hexadecimal sequence",
    "forbidden first char in environment variable",
    "Stray NUL",
    "Missing LF on last line",
    "out of section",
    "unknown directive",
    "with no matching '.if'",
    "non-terminated '.if'",
    "unexpected character",
    "timer overflow",
    "not found for",
    "unable to find required use_backend",
    "unable to find required default_backend",
];

/// `Some("haproxy")` when HAProxy is installed; otherwise fails (CI) or says loudly that it skips.
fn haproxy() -> Option<PathBuf> {
    for cand in ["haproxy", "/usr/sbin/haproxy"] {
        if Command::new(cand).arg("-v").output().is_ok_and(|o| o.status.success()) {
            return Some(PathBuf::from(cand));
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("haproxy is not installed; run scripts/install-test-deps.sh (CI=true: not skipping)");
    }
    eprintln!("\n{}\n!!! SKIPPED: haproxy differential tests: `haproxy` is not installed.\n!!! Run scripts/install-test-deps.sh (with CI=true this test fails instead).\n{}\n", "!".repeat(72), "!".repeat(72));
    None
}

/// What `haproxy -c` said: accepted, and each alert with the line it names in this file.
struct HaproxySays {
    ok: bool,
    alerts: Vec<(Option<usize>, String)>,
}

fn haproxy_check(bin: &Path, file: &Path) -> HaproxySays {
    let out = Command::new(bin).arg("-c").arg("-f").arg(file).output().expect("run haproxy");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let name = file.to_string_lossy();
    let alerts = stderr
        .lines()
        .filter(|l| l.contains("[ALERT]"))
        .map(|l| {
            let line = l.find(&format!("{name}:")).and_then(|i| {
                l[i + name.len() + 1..].split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse().ok())
            });
            (line, l.to_string())
        })
        .collect();
    HaproxySays { ok: out.status.success(), alerts }
}

/// The lines stacklint rejects (load errors, SL401), and whether it rejects the file at all.
fn stacklint_check(file: &Path) -> (bool, BTreeSet<usize>, Vec<String>) {
    let out = stacklint::engine::lint(&[file.to_path_buf()], &Default::default()).unwrap();
    let mut lines = BTreeSet::new();
    let mut why = Vec::new();
    for e in &out.errors {
        if let Some(l) = e.span.and_then(|s| out.map.location(s)) {
            lines.insert(l.line);
        }
        why.push(e.message.clone());
    }
    for f in out.findings.iter().filter(|f| f.code == "SL401") {
        if let Some(l) = out.map.location(f.anchor()) {
            lines.insert(l.line);
        }
        why.push(f.message.clone());
    }
    let missing = out.stack.routes.iter().any(|r| matches!(r.hop.target, HopTarget::Missing { .. }));
    if missing {
        why.push("use_backend/default_backend to a missing backend".into());
    }
    (!why.is_empty(), lines, why)
}

fn cfg_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "cfg")
                && stacklint::discover::classify(p, || std::fs::read_to_string(p).ok())
                    == Some(stacklint::discover::Kind::Haproxy)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn fixtures_stacklint_accepts_haproxy_accepts() {
    let Some(bin) = haproxy() else { return };
    let mut files = Vec::new();
    for d in ["fixtures/rules", "fixtures/stacks", "fixtures/haproxy/valid"] {
        files.extend(cfg_files(&root().join(d)));
    }
    assert!(files.len() >= 20, "only {} HAProxy fixtures", files.len());
    let mut failures = Vec::new();
    let (mut both_accept, mut both_reject) = (0, 0);
    for f in &files {
        let (rejects, _, why) = stacklint_check(f);
        let h = haproxy_check(&bin, f);
        // An ACL whose pattern file is not on this machine is not defined: its uses then fail too.
        let no_pattern_file = h.alerts.iter().any(|(_, a)| a.contains("failed to open pattern file"));
        let outside =
            h.alerts.iter().filter(|(_, a)| !a.contains("Fatal errors found") && !a.contains("Error(s) found")).all(
                |(_, a)| OUTSIDE_SYNTAX.iter().any(|o| a.contains(o)) || (no_pattern_file && a.contains("no such ACL")),
            );
        match (rejects, h.ok) {
            (false, true) => both_accept += 1,
            (true, false) => both_reject += 1,
            (false, false) if outside => both_accept += 1,
            (false, false) => failures.push(format!(
                "{}: stacklint accepts, haproxy -c rejects:\n    {}",
                f.display(),
                h.alerts.iter().map(|a| a.1.as_str()).collect::<Vec<_>>().join("\n    ")
            )),
            (true, true) => {
                failures.push(format!("{}: stacklint rejects ({}), haproxy -c accepts", f.display(), why.join("; ")))
            }
        }
    }
    println!("{} HAProxy fixtures: {both_accept} accepted by both, {both_reject} rejected by both", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn syntax_errors_rejected_by_both_on_the_same_line() {
    let Some(bin) = haproxy() else { return };
    let files = cfg_files(&root().join("fixtures/haproxy/syntax-errors"));
    assert!(files.len() >= 12);
    let mut failures = Vec::new();
    for f in &files {
        let (rejects, lines, why) = stacklint_check(f);
        let h = haproxy_check(&bin, f);
        if !rejects {
            failures.push(format!("{}: stacklint accepts it", f.display()));
        }
        if h.ok {
            failures.push(format!("{}: haproxy -c accepts it", f.display()));
        }
        let named = h.alerts.iter().find_map(|(l, _)| *l);
        let eof_named = h.alerts.iter().any(|(_, a)| a.contains("non-terminated '.if'"));
        if let Some(l) = named {
            if !eof_named && !lines.contains(&l) {
                failures.push(format!(
                    "{}: haproxy names line {l}, stacklint lines {lines:?} ({})",
                    f.display(),
                    why.join("; ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_agrees_on_syntax_errors() {
    let Some(bin) = haproxy() else { return };
    let files = cfg_files(&root().join("fixtures/corpus/haproxy"));
    assert!(files.len() >= 370);
    let mut failures = Vec::new();
    let (mut h_ok, mut h_syntax) = (0, 0);
    for f in &files {
        let (rejects, lines, why) = stacklint_check(f);
        let h = haproxy_check(&bin, f);
        if h.ok {
            h_ok += 1;
        }
        for (line, alert) in &h.alerts {
            let syntax = SYNTAX.iter().any(|s| alert.contains(s));
            if !syntax {
                continue;
            }
            h_syntax += 1;
            match line {
                Some(l) if !alert.contains("non-terminated") && !lines.contains(l) => failures
                    .push(format!("{}:{l}: haproxy: {alert}\n    stacklint reports lines {lines:?}", f.display())),
                None if !rejects => {
                    failures.push(format!("{}: haproxy: {alert}\n    stacklint accepts the file", f.display()))
                }
                _ => {}
            }
        }
        if rejects && h.ok {
            failures.push(format!("{}: stacklint rejects ({}), haproxy -c accepts", f.display(), why.join("; ")));
        }
    }
    println!("{} corpus files: haproxy -c accepts {h_ok}; {h_syntax} syntax alerts, all matched", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
