//! Live tier: every cross-layer rule reproduced as a real 502/504 on real servers (nginx,
//! HAProxy, gunicorn, PHP-FPM, Node), and the fix stacklint suggests verified on the same servers. Each test runs
//! one case of `tests/live/driver.py` (see its docstring and README "Proven on real servers").
//!
//! The servers come from `scripts/install-test-deps.sh` (Debian's nginx, haproxy and php-fpm; gunicorn in
//! a virtualenv at `$STACKLINT_LIVE_VENV`, default `~/.cache/stacklint-live-venv`). When one is
//! missing a test fails under `CI=true` and says loudly that it skipped otherwise. Servers listen
//! on 127.0.0.1 and unix sockets in a temp dir only, traffic is bounded, and the driver stops every
//! process it started (process groups), also when a check fails; it gives up after 180 s.

mod common;
use common::root;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::RwLock;

/// The keep-alive races are timed to the millisecond: each runs alone; the other cases may overlap.
static EXCLUSIVE: RwLock<()> = RwLock::new(());

fn python() -> Option<String> {
    ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("-c")
                .arg("pass")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(str::to_string)
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).map(|d| d.join(name)).find(|p| p.is_file())
}

fn skip_or_fail(case: &str, why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("live case {case}: {why}; CI=true: not skipping (run scripts/install-test-deps.sh)");
    }
    let bar = "!".repeat(72);
    eprintln!("\n{bar}\n!!! SKIPPED: live case {case}: {why}\n!!! Run scripts/install-test-deps.sh (with CI=true this test fails instead).\n{bar}\n");
}

fn run(case: &str) {
    let _guard = if case.ends_with("keepalive-race") {
        Err(EXCLUSIVE.write().unwrap_or_else(|e| e.into_inner()))
    } else {
        Ok(EXCLUSIVE.read().unwrap_or_else(|e| e.into_inner()))
    };
    if case.contains("node") && which("node").is_none() {
        return skip_or_fail(case, "node not found");
    }
    let Some(py) = python() else {
        return skip_or_fail(case, "python3 not found");
    };
    let driver = root().join("tests/live/driver.py");
    let attempt = || {
        let out = Command::new(&py)
            .arg(&driver)
            .arg("--stacklint")
            .arg(Path::new(env!("CARGO_BIN_EXE_stacklint")))
            .arg(case)
            .stdin(Stdio::null())
            .output()
            .expect("run tests/live/driver.py");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.code(), text)
    };
    let (mut code, mut text) = attempt();
    // A keep-alive race is a matter of timing: on a loaded machine one run may miss it. Such a
    // case gets one more run; the first run's output is kept in the failure message and in
    // `target/live-retries.log`, so a flaky case is visible, not hidden.
    if case.ends_with("keepalive-race") && !matches!(code, Some(0) | Some(77)) {
        let first = text.clone();
        let log = root().join("target/live-retries.log");
        let _ = std::fs::create_dir_all(root().join("target"));
        let _ = std::fs::OpenOptions::new().create(true).append(true).open(&log).and_then(|mut f| {
            std::io::Write::write_all(&mut f, format!("=== {case} (exit {code:?})\n{first}\n").as_bytes())
        });
        eprintln!("live case {case} failed once (exit {code:?}); running it again. First run:\n{first}");
        (code, text) = attempt();
        text = format!("{text}\n--- first run (failed):\n{first}");
    }
    // Shown with --nocapture, and on failure.
    println!("{text}");
    match code {
        Some(0) => assert!(text.contains(&format!("PASS {case}")), "{case}: driver exited 0 without PASS:\n{text}"),
        Some(77) => skip_or_fail(case, text.lines().find(|l| l.starts_with("SKIP")).unwrap_or("a tool is missing")),
        code => panic!("live case {case} failed (exit {code:?}):\n{text}"),
    }
}

#[test]
fn live_sl101_timeout_order_nginx_gunicorn() {
    run("timeout-order");
}

#[test]
fn live_sl201_keepalive_race_nginx_gunicorn_gthread() {
    run("keepalive-race");
}

#[test]
fn live_sl302_port_mismatch_nginx_gunicorn() {
    run("port-mismatch");
}

#[test]
fn live_sl301_missing_upstream_nginx() {
    run("missing-upstream");
}

#[test]
fn live_sl302_fpm_socket_typo() {
    run("fpm-socket-typo");
}

#[test]
fn live_sl101_timeout_order_nginx_php_fpm() {
    run("fpm-timeout-order");
}

#[test]
fn live_sl101_timeout_order_haproxy_gunicorn() {
    run("haproxy-timeout-order");
}

#[test]
fn live_sl201_keepalive_race_haproxy_gunicorn_gthread() {
    run("haproxy-keepalive-race");
}

/// Not in the default run: Node's close time wanders by milliseconds from burst to burst, and the
/// race was lost 2 to 19 times per 240-480 POSTs over six runs, once fewer than 3 times. Run it with
/// `cargo test --test live_proofs -- --ignored --nocapture`.
#[test]
#[ignore = "timing-sensitive: Node's keep-alive close wanders; run with --ignored"]
fn live_sl201_keepalive_race_haproxy_node() {
    run("haproxy-node-keepalive-race");
}

/// Every case directory has a test above, and every test's case exists.
#[test]
fn live_every_case_has_a_test() {
    let this = std::fs::read_to_string(root().join("tests/live_proofs.rs")).unwrap();
    for e in std::fs::read_dir(root().join("tests/live/cases")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(
            this.contains(&format!("run(\"{name}\")")),
            "tests/live/cases/{name} has no test in tests/live_proofs.rs"
        );
    }
}
