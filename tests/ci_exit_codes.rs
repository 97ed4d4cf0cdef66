//! Exit codes, every combination: findings of each severity (none, info, warning, error) x a file
//! that cannot be parsed (or not) x `--fail-on` (info, warning, error, never), in every format.
//! 0: nothing at or above `--fail-on`; 1: a finding at or above it; 2: a load error, whatever
//! `--fail-on` says.

use assert_cmd::Command;
use std::path::Path;

const NGINX: &str = "events {}\nhttp { server { listen 80; location / { proxy_read_timeout 30s; proxy_pass http://127.0.0.1:8000; } } }\n";
const NGINX_OK: &str = "events {}\nhttp { server { listen 80; location / { proxy_read_timeout 90s; proxy_pass http://127.0.0.1:8000; } } }\n";
const GUNICORN: &str = "bind = \"127.0.0.1:8000\"\ntimeout = 60\n";

/// A stack with one SL101 finding at `severity` (none: a clean stack), and a broken envoy.yaml.
fn stack(dir: &Path, severity: Option<&str>, broken: bool) {
    std::fs::write(dir.join("gunicorn.conf.py"), GUNICORN).unwrap();
    match severity {
        Some(s) => {
            std::fs::write(dir.join("nginx.conf"), NGINX).unwrap();
            std::fs::write(dir.join("stacklint.toml"), format!("[rules.severity]\nSL101 = \"{s}\"\n")).unwrap();
        }
        None => std::fs::write(dir.join("nginx.conf"), NGINX_OK).unwrap(),
    }
    if broken {
        std::fs::write(dir.join("envoy.yaml"), "static_resources:\n  listeners: [\n").unwrap();
    }
}

fn expected(severity: Option<&str>, broken: bool, fail_on: &str) -> i32 {
    if broken {
        return 2;
    }
    let rank = |s: &str| ["info", "warning", "error"].iter().position(|x| *x == s);
    match (severity, rank(fail_on)) {
        (Some(s), Some(t)) if rank(s).unwrap() >= t => 1,
        _ => 0,
    }
}

#[test]
fn every_combination_of_findings_errors_and_fail_on() {
    let mut failures = Vec::new();
    let mut runs = 0;
    for severity in [None, Some("info"), Some("warning"), Some("error")] {
        for broken in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            stack(dir.path(), severity, broken);
            for fail_on in ["info", "warning", "error", "never"] {
                for format in ["human", "json", "sarif", "github", "junit", "gitlab"] {
                    let out = Command::cargo_bin("stacklint")
                        .unwrap()
                        .current_dir(dir.path())
                        .args(["--fail-on", fail_on, "--format", format, "--color", "never", "."])
                        .output()
                        .unwrap();
                    runs += 1;
                    let want = expected(severity, broken, fail_on);
                    let got = out.status.code().unwrap_or(-1);
                    if got != want {
                        failures.push(format!(
                            "severity {severity:?}, broken {broken}, --fail-on {fail_on}, --format {format}: exit {got}, expected {want}\n{}",
                            String::from_utf8_lossy(&out.stdout)
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(runs, 4 * 2 * 4 * 6);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn quiet_and_statistics_keep_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    stack(dir.path(), Some("warning"), false);
    for flag in ["--quiet", "--statistics"] {
        let out = Command::cargo_bin("stacklint").unwrap().arg(dir.path()).arg(flag).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{flag}");
    }
    let clean = tempfile::tempdir().unwrap();
    stack(clean.path(), None, false);
    let out = Command::cargo_bin("stacklint").unwrap().arg(clean.path()).arg("--quiet").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "--quiet prints nothing for a clean run");
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::cargo_bin("stacklint").unwrap().args(["--format", "xml", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out =
        Command::cargo_bin("stacklint").unwrap().args(["--baseline", "/nonexistent/b.json", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read baseline"));
}
