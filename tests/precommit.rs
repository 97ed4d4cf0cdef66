//! The pre-commit hook. `.pre-commit-hooks.yaml` says `language: rust`, so pre-commit would
//! `cargo install` this repository before the first run (minutes of release build); the hook run
//! here uses a copy of the real hook definition with `language: system` and the binary under test,
//! everything else (entry arguments, `files`, `pass_filenames`) unchanged. The `files` pattern of
//! the real file is tested on its own: it matches every file stacklint reads in the fixtures.
//!
//! Needs `pre-commit` and `git` (scripts/install-test-deps.sh); under CI=true a missing tool fails.

mod common;
use assert_cmd::Command;
use common::{root, tool};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn cmd(dir: &Path, program: &str, args: &[&str], home: &Path) -> Output {
    std::process::Command::new(program)
        .current_dir(dir)
        .args(args)
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("NO_COLOR", "1")
        .env_remove("CI") // pre-commit itself reads nothing from it; keep its output plain either way
        .output()
        .unwrap()
}

fn ok(o: &Output, what: &str) {
    assert!(o.status.success(), "{what}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

/// The real hook definition, with `language: system` and the binary under test as `entry`.
fn test_hooks() -> String {
    let real = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(real.contains("\n  language: rust\n"), "the published hook builds with cargo");
    assert!(real.contains("\n  entry: stacklint --changed-only\n"));
    assert!(real.contains("\n  pass_filenames: true\n"));
    let bin = assert_cmd::cargo::cargo_bin("stacklint");
    real.replace("\n  language: rust\n", "\n  language: system\n")
        .replace("\n  entry: stacklint --changed-only\n", &format!("\n  entry: '{} --changed-only'\n", bin.display()))
}

const NGINX: &str = "events {}\nhttp {\n    server {\n        listen 80;\n        location / {\n            proxy_read_timeout 90s;\n            proxy_pass http://127.0.0.1:8000;\n        }\n    }\n}\n";

#[test]
fn hook_fails_a_bad_commit_and_passes_a_good_one() {
    if !tool("pre-commit") || !tool("git") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("pre-commit-home");
    // The hook repository.
    let hooks = t.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join(".pre-commit-hooks.yaml"), test_hooks()).unwrap();
    ok(&cmd(&hooks, "git", &["init", "-q"], &home), "git init");
    ok(&cmd(&hooks, "git", &["add", "."], &home), "git add");
    ok(&cmd(&hooks, "git", &["commit", "-qm", "hooks"], &home), "git commit");
    let hooks_s = hooks.to_str().unwrap();

    // A project: nginx in front of gunicorn, timeouts in order.
    let p = t.path().join("project");
    std::fs::create_dir_all(p.join("deploy/nginx")).unwrap();
    std::fs::create_dir_all(p.join("app")).unwrap();
    std::fs::write(p.join("deploy/nginx/nginx.conf"), NGINX).unwrap();
    std::fs::write(p.join("app/gunicorn.conf.py"), "bind = \"127.0.0.1:8000\"\ntimeout = 60\n").unwrap();
    std::fs::write(p.join("README.md"), "# project\n").unwrap();
    ok(&cmd(&p, "git", &["init", "-q"], &home), "git init");
    ok(&cmd(&p, "git", &["add", "."], &home), "git add");

    // Good commit: passes.
    let good = cmd(&p, "pre-commit", &["try-repo", hooks_s, "stacklint"], &home);
    let text = String::from_utf8_lossy(&good.stdout).to_string();
    assert!(good.status.success(), "good commit must pass:\n{text}{}", String::from_utf8_lossy(&good.stderr));
    assert!(text.contains("stacklint") && text.contains("Passed"), "{text}");
    ok(&cmd(&p, "git", &["commit", "-qm", "stack"], &home), "git commit");

    // Bad commit: only gunicorn.conf.py changes, and the finding is against the unchanged nginx file.
    std::fs::write(p.join("app/gunicorn.conf.py"), "bind = \"127.0.0.1:8000\"\ntimeout = 120\n").unwrap();
    ok(&cmd(&p, "git", &["add", "app/gunicorn.conf.py"], &home), "git add");
    let bad = cmd(&p, "pre-commit", &["try-repo", hooks_s, "stacklint"], &home);
    let text = String::from_utf8_lossy(&bad.stdout).to_string();
    assert_eq!(bad.status.code(), Some(1), "bad commit must fail:\n{text}{}", String::from_utf8_lossy(&bad.stderr));
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("SL101(timeout-order)"), "{text}");
    assert!(text.contains("deploy/nginx/nginx.conf") && text.contains("app/gunicorn.conf.py"), "{text}");

    // A commit that touches no config file: the hook is skipped.
    ok(&cmd(&p, "git", &["reset", "-q", "--hard"], &home), "git reset");
    std::fs::write(p.join("README.md"), "# project, documented\n").unwrap();
    ok(&cmd(&p, "git", &["add", "README.md"], &home), "git add");
    let skip = cmd(&p, "pre-commit", &["try-repo", hooks_s, "stacklint"], &home);
    let text = String::from_utf8_lossy(&skip.stdout).to_string();
    assert!(skip.status.success(), "{text}");
    assert!(text.contains("no files to check") || text.contains("Skipped"), "{text}");
}

/// `files` of the real hook, as pre-commit applies it (Python `re.search`).
fn matching(paths: &[String]) -> Vec<bool> {
    let script = r#"
import json, re, sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
pattern = re.compile(hooks[0]["files"])
print(json.dumps([bool(pattern.search(p)) for p in json.load(sys.stdin)]))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(root().join(".pre-commit-hooks.yaml"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(serde_json::to_string(paths).unwrap().as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn hook_files_pattern_covers_every_file_stacklint_reads() {
    // pre-commit brings PyYAML; without pre-commit there is nothing to test against.
    if !tool("pre-commit") {
        return;
    }
    let mut dirs: Vec<PathBuf> = vec![root().join("fixtures/stacks"), root().join("fixtures/rules")];
    let mut read: Vec<String> = Vec::new();
    for d in dirs.drain(..) {
        let out =
            Command::cargo_bin("stacklint").unwrap().current_dir(&d).args(["--format", "json", "."]).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        read.extend(v["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()));
    }
    assert!(read.len() > 50, "{}", read.len());
    let hits = matching(&read);
    let missed: Vec<&String> = read.iter().zip(&hits).filter(|(_, h)| !**h).map(|(p, _)| p).collect();
    assert!(missed.is_empty(), "the hook's `files` misses files stacklint reads: {missed:?}");

    let more: Vec<String> = [
        "etc/haproxy/haproxy.cfg",
        "php/pool.d/www.conf",
        "php/php-fpm.ini",
        "deploy/envoy.json",
        "Dockerfile.prod",
        "docker-compose.override.yml",
        ".env.production",
        "etc/nginx/sites-enabled/default",
        "ecosystem.config.js",
        "stacklint.toml",
        "Procfile",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert!(matching(&more).iter().all(|h| *h), "{:?}", more.iter().zip(matching(&more)).collect::<Vec<_>>());
    let never: Vec<String> = [
        "README.md",
        "src/main.rs",
        "LICENSE",
        "Cargo.toml",
        "scripts/test",
        "app/views.py",
        "docs/nginx.md",
        "EXPECT",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let hits = matching(&never);
    assert!(hits.iter().all(|h| !*h), "{:?}", never.iter().zip(hits).collect::<Vec<_>>());
}
