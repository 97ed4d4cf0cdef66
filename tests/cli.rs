//! The CLI end to end: exit codes, the JSON shape, subcommands, errors on bad input.

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

fn bin() -> Command {
    Command::cargo_bin("stacklint").unwrap()
}

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/stacks/flask-behind-nginx")
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn example_stack_exits_1_with_all_four_cross_layer_rules() {
    let out = bin().arg(example()).arg("--color").arg("never").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    for code in ["SL101(timeout-order)", "SL201(keepalive-race)", "SL301(missing-upstream)", "SL302(port-mismatch)"] {
        assert!(text.contains(code), "missing {code} in:\n{text}");
    }
    // One diagnostic labels lines in both files.
    assert!(text.contains("shop.conf:") && text.contains("gunicorn.conf.py:"), "{text}");
}

#[test]
fn json_shape_is_stable() {
    let out = bin().current_dir(example()).args(["--format", "json", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(v["version"], 1);
    let f = &v["findings"][0];
    for key in ["rule", "name", "severity", "message", "help", "labels"] {
        assert!(!f[key].is_null(), "finding lacks {key}: {f}");
    }
    let l = &f["labels"][0];
    for key in ["file", "line", "column", "end_line", "end_column", "message"] {
        assert!(!l[key].is_null(), "label lacks {key}: {l}");
    }
    assert!(l["file"].as_str().unwrap().starts_with("etc/") || l["file"].as_str().unwrap().starts_with("app/"));
    assert!(v["errors"].as_array().unwrap().is_empty());
    let kinds: Vec<(&str, &str)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("etc/nginx/nginx.conf", "nginx")), "{kinds:?}");
    assert!(kinds.contains(&("app/gunicorn.conf.py", "gunicorn")), "{kinds:?}");
    assert!(kinds.contains(&("deploy/reports.service", "systemd")), "{kinds:?}");
}

#[test]
fn fail_on_controls_the_exit_code() {
    let run = |level: &str| bin().arg(example()).args(["--fail-on", level, "--format", "json"]).output().unwrap();
    assert_eq!(run("warning").status.code(), Some(1));
    assert_eq!(run("error").status.code(), Some(1)); // SL301 and SL302 are errors
    assert_eq!(run("never").status.code(), Some(0));
}

#[test]
fn a_clean_tree_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nginx.conf"), "events {}\nhttp { server { listen 80; } }\n").unwrap();
    let out = bin().arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_broken_config_exits_2_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nginx.conf"), "events {}\nhttp {\n  server {\n    listen 80\n}\n").unwrap();
    let out = bin().current_dir(dir.path()).args(["--format", "json", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json_of(&out);
    let e = &v["errors"][0];
    assert_eq!(e["file"], "nginx.conf");
    assert!(e["line"].as_u64().unwrap() >= 4, "{e}");
    assert!(e["column"].as_u64().is_some());
}

#[test]
fn a_missing_path_exits_2() {
    let out = bin().arg("/nonexistent/stacklint-test").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open"));
}

#[test]
fn rules_and_explain() {
    let out = bin().arg("rules").output().unwrap();
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(t.contains("SL101") && t.contains("timeout-order"));
    let out = bin().args(["explain", "keepalive-race"]).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("# SL201 keepalive-race"));
    let out = bin().args(["explain", "SL999"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn graph_shows_every_layer_with_timeouts() {
    let out = bin().arg("graph").arg(example()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(t.contains("listen *:80"), "{t}");
    assert!(t.contains("location / -> http http://shop"), "{t}");
    assert!(t.contains("read timeout 30 s"), "{t}");
    assert!(t.contains("127.0.0.1:8000 -> gunicorn"), "{t}");
    assert!(t.contains("127.0.0.1:8001 -> (nothing in the tree listens here)"), "{t}");
    assert!(t.contains("processing timeout 60 s"), "{t}");
}

#[test]
fn garbage_and_truncated_files_never_panic() {
    let src = std::fs::read(example().join("etc/nginx/conf.d/shop.conf")).unwrap();
    let py = std::fs::read(example().join("app/gunicorn.conf.py")).unwrap();
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for cut in (0..src.len()).step_by(37) {
        inputs.push(src[..cut].to_vec());
    }
    inputs.push(vec![0u8; 100]);
    inputs.push((0..=255u8).cycle().take(4096).collect());
    inputs.push(b"http {".repeat(20_000));
    inputs.push("\u{feff}server { listen 80; }".as_bytes().to_vec());
    for (i, input) in inputs.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("conf.d")).unwrap();
        std::fs::write(dir.path().join("conf.d/site.conf"), input).unwrap();
        let cut = (i * 13) % py.len();
        std::fs::write(dir.path().join("gunicorn.conf.py"), &py[..cut]).unwrap();
        let out = bin().arg(dir.path()).args(["--format", "json"]).output().unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "input {i}: exit {code:?}, stderr {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON even for garbage");
        if code == Some(2) {
            assert!(!v["errors"].as_array().unwrap().is_empty());
        }
    }
}

#[test]
fn readme_lists_every_rule() {
    let readme = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let out = bin().arg("rules").output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    for line in table.lines().skip(1) {
        let mut it = line.split_whitespace();
        let (code, name, sev) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        let row = format!("| {code} | {name} | {sev} |");
        assert!(readme.contains(&row), "README's rule table lacks `{row}`");
    }
}

#[test]
fn timings_go_to_stderr_only_when_asked() {
    let phases = ["walk", "classify", "discover", "admit", "nginx load", "rules", "render"];
    let out = bin().env("STACKLINT_TIMINGS", "1").args(["--format", "json"]).arg(example()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    for p in phases {
        assert!(err.lines().any(|l| l.starts_with(&format!("stacklint: timing: {p} "))), "no {p} in:\n{err}");
    }
    // stdout is still the JSON report, and the findings are the same as without timings.
    let plain = bin().env_remove("STACKLINT_TIMINGS").args(["--format", "json"]).arg(example()).output().unwrap();
    assert_eq!(json_of(&out), json_of(&plain));
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("timing"));
}

#[test]
fn a_path_with_nothing_to_read_is_said_on_stderr() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("notes.txt"), "hello\n").unwrap();
    let out = bin().arg(t.path()).arg(t.path().join("notes.txt")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0));
    assert!(err.contains("no file under it is one stacklint reads"), "{err}");
    assert!(err.contains("notes.txt: not a file stacklint reads"), "{err}");
    // A tree that has configs says nothing of the kind.
    std::fs::write(t.path().join("nginx.conf"), "events {}\nhttp {}\n").unwrap();
    let out = bin().arg(t.path()).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("note:"), "{}", String::from_utf8_lossy(&out.stderr));
}
