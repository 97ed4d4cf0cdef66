//! A pull request from anyone: stacklint must not print, open, or hang on anything outside the
//! tree it lints, and must say (exit 2) what it could not read. Issue 12's probes, one test each.
//!
//! Confinement tests plant a marker in a file outside the temp tree and assert it appears in no
//! output format; where the outside path is a FIFO, opening it would block, so a test that
//! finishes shows the file was never opened (each run has a deadline and is killed past it).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MARKER: &str = "MARKER-7f3a9c-not-for-your-eyes";
const FORMATS: &[&str] = &["human", "json", "sarif", "github", "junit", "gitlab"];

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stacklint"))
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs with a deadline: a run that blocks (on a FIFO, a device) fails the test instead of
/// hanging the suite.
fn run(mut cmd: Command) -> Run {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("stacklint blocked for 60 s (did it open a FIFO or a device?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
    }
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", p.display());
}

/// A temp dir holding `tree/` (what is linted) and `outside/` with a secret file and a FIFO.
struct Setup {
    _dir: tempfile::TempDir,
    tree: PathBuf,
    secret: PathBuf,
    fifo: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let tree = base.join("tree");
    let outside = base.join("outside");
    std::fs::create_dir_all(tree.join("etc/nginx")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        tree.join("etc/nginx/nginx.conf"),
        "events {}\nhttp {\n  server {\n    listen 80;\n    location / { proxy_pass http://127.0.0.1:8000; }\n  }\n}\n",
    )
    .unwrap();
    let secret = outside.join("secret");
    // A file that fails every reader's syntax on every line, quoting the marker.
    std::fs::write(&secret, format!("{MARKER}\n\"{MARKER}\"\n{MARKER} = [\n")).unwrap();
    let fifo = outside.join("fifo");
    mkfifo(&fifo);
    Setup { _dir: dir, tree, secret, fifo }
}

/// Lints `tree` in every format and asserts the marker is in no output.
fn assert_confined(tree: &Path, extra: &[&str]) -> Vec<Run> {
    FORMATS
        .iter()
        .map(|f| {
            let mut c = bin();
            c.current_dir(tree).args(["--format", f, "--color", "never"]).args(extra).arg(".");
            let r = run(c);
            assert!(!r.all().contains(MARKER), "format {f}: the outside file's text leaked:\n{}", r.all());
            assert_ne!(r.code, None, "format {f}: killed by a signal");
            r
        })
        .collect()
}

#[test]
fn cdn_ranges_outside_the_tree_are_refused_in_every_format() {
    let s = setup();
    let rel = format!("../{}", "../".repeat(12)) + s.secret.strip_prefix("/").unwrap().to_str().unwrap();
    for target in [s.secret.display().to_string(), rel, "../outside/secret".into(), s.fifo.display().to_string()] {
        std::fs::write(
            s.tree.join("stacklint.toml"),
            format!("[edge]\nprovider = \"cloudflare\"\ncdn_ranges = \"{target}\"\n"),
        )
        .unwrap();
        for r in assert_confined(&s.tree, &[]) {
            assert_eq!(r.code, Some(2), "{}", r.all());
            assert!(flat(&r.all()).contains("outside the linted tree"), "{}", r.all());
        }
    }
}

/// Human output wraps long messages: words only, one space between.
fn flat(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '│').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

#[test]
fn refusals_do_not_say_whether_an_outside_file_exists() {
    let s = setup();
    let say = |target: &str| {
        std::fs::write(
            s.tree.join("stacklint.toml"),
            format!("[edge]\nprovider = \"cloudflare\"\ncdn_ranges = \"{target}\"\n"),
        )
        .unwrap();
        let mut c = bin();
        c.current_dir(&s.tree).args(["--format", "json", "."]);
        let r = run(c);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v["errors"][0]["message"].as_str().unwrap().replace(target, "X")
    };
    let exists = say(s.secret.to_str().unwrap());
    let missing = say(s.secret.with_file_name("no-such-file").to_str().unwrap());
    assert_eq!(exists, missing);
}

#[test]
fn a_stacklint_toml_linking_outside_is_not_read() {
    let s = setup();
    std::os::unix::fs::symlink(&s.secret, s.tree.join("stacklint.toml")).unwrap();
    for r in assert_confined(&s.tree, &[]) {
        assert_eq!(r.code, Some(2), "{}", r.all());
    }
    // A link to a FIFO outside: not opened (the run would block).
    std::fs::remove_file(s.tree.join("stacklint.toml")).unwrap();
    std::os::unix::fs::symlink(&s.fifo, s.tree.join("stacklint.toml")).unwrap();
    assert_confined(&s.tree, &[]);
}

#[test]
fn a_baseline_named_by_stacklint_toml_stays_in_the_tree() {
    let s = setup();
    std::fs::write(s.secret.with_file_name("json"), format!("\"{MARKER}\"")).unwrap();
    for target in [
        s.secret.with_file_name("json").display().to_string(),
        "../outside/json".into(),
        s.fifo.display().to_string(),
        "/dev/zero".into(),
    ] {
        std::fs::write(s.tree.join("stacklint.toml"), format!("baseline = \"{target}\"\n")).unwrap();
        for r in assert_confined(&s.tree, &[]) {
            assert_eq!(r.code, Some(2), "{target}: {}", r.all());
            assert!(flat(&r.stderr).contains("outside the linted tree"), "{}", r.stderr);
        }
    }
}

#[test]
fn a_baseline_named_on_the_command_line_is_not_echoed() {
    let s = setup();
    let json = s.secret.with_file_name("json");
    std::fs::write(&json, format!("{{\"version\": 1, \"findings\": \"{MARKER}\"}}")).unwrap();
    let rs = assert_confined(&s.tree, &["--baseline", json.to_str().unwrap()]);
    for r in &rs {
        assert_eq!(r.code, Some(2));
        // Where, not what.
        assert!(r.stderr.contains(":1:") && r.stderr.contains("not a stacklint baseline"), "{}", r.stderr);
    }
    // The report still comes: the findings are all there (the nginx upstream reaches nothing).
    assert!(rs[1].stdout.contains("\"findings\""), "{}", rs[1].stdout);
    // Special files are refused, not read: no hang on a FIFO, no endless /dev/zero.
    for special in [s.fifo.to_str().unwrap(), "/dev/zero"] {
        let mut c = bin();
        c.current_dir(&s.tree).args(["--baseline", special, "."]);
        let r = run(c);
        assert_eq!(r.code, Some(2));
        assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    }
}

#[test]
fn files_named_on_the_command_line_are_read_but_not_shown() {
    let s = setup();
    // --cdn-ranges and --config outside the tree: the user's choice, read; positions only.
    std::fs::write(s.tree.join("stacklint.toml"), "[edge]\nprovider = \"cloudflare\"\n").unwrap();
    for r in assert_confined(&s.tree, &["--cdn-ranges", s.secret.to_str().unwrap()]) {
        assert_eq!(r.code, Some(2));
    }
    let human = &assert_confined(&s.tree, &["--cdn-ranges", s.secret.to_str().unwrap()])[0];
    assert!(human.all().contains("secret:1:1"), "{}", human.all());
    for r in assert_confined(&s.tree, &["--config", s.secret.to_str().unwrap()]) {
        assert_eq!(r.code, Some(2));
    }
    for special in [s.fifo.to_str().unwrap(), "/dev/zero"] {
        for flag in ["--cdn-ranges", "--config"] {
            let mut c = bin();
            c.current_dir(&s.tree).args([flag, special, "."]);
            let r = run(c);
            assert_eq!(r.code, Some(2), "{flag} {special}");
            assert!(r.all().contains("not a regular file"), "{}", r.all());
        }
    }
}

#[test]
fn includes_and_acl_files_outside_the_tree_are_not_read() {
    let s = setup();
    let conf = format!(
        "events {{}}\nhttp {{\n  include {};\n  include ../../../outside/secret;\n  include {};\n}}\n",
        s.secret.display(),
        s.fifo.display()
    );
    std::fs::write(s.tree.join("etc/nginx/nginx.conf"), conf).unwrap();
    std::fs::write(
        s.tree.join("haproxy.cfg"),
        format!(
            "frontend f\n  bind :80\n  acl a src -f {}\n  acl b src -f ../outside/secret\n  acl c src -f {}\n  default_backend b\nbackend b\n  server s 127.0.0.1:81\n",
            s.secret.display(),
            s.fifo.display()
        ),
    )
    .unwrap();
    assert_confined(&s.tree, &[]);
    // Links inside the tree to outside files: not followed.
    std::os::unix::fs::symlink(&s.secret, s.tree.join("etc/nginx/linked.conf")).unwrap();
    std::os::unix::fs::symlink(s.secret.parent().unwrap(), s.tree.join("etc/nginx/conf.d")).unwrap();
    std::fs::write(
        s.tree.join("etc/nginx/nginx.conf"),
        "events {}\nhttp {\n  include linked.conf;\n  include conf.d/secret;\n  include conf.d/fifo;\n}\n",
    )
    .unwrap();
    assert_confined(&s.tree, &[]);
}

#[test]
fn stacklint_parse_refuses_fifos_devices_and_outside_files() {
    let s = setup();
    mkfifo(&s.tree.join("etc/nginx/fifo.conf"));
    std::fs::write(
        s.tree.join("etc/nginx/nginx.conf"),
        format!("events {{}}\nhttp {{\n  include fifo.conf;\n  include {};\n}}\n", s.secret.display()),
    )
    .unwrap();
    let mut c = bin();
    c.args(["parse"]).arg(s.tree.join("etc/nginx/nginx.conf"));
    let r = run(c);
    assert!(!r.all().contains(MARKER), "{}", r.all());
    assert!(r.stdout.contains("not a regular file"), "{}", r.stdout);
    assert!(r.stdout.contains("it is not read"), "{}", r.stdout);
    let mut c = bin();
    c.args(["parse"]).arg(s.tree.join("etc/nginx/fifo.conf"));
    let r = run(c);
    assert_eq!(r.code, Some(1), "{}", r.all());
}

#[test]
fn special_files_and_odd_names_in_the_tree_are_noted_not_skipped_silently() {
    use std::os::unix::ffi::OsStrExt;
    let s = setup();
    mkfifo(&s.tree.join("etc/nginx/pipe.conf"));
    std::fs::write(s.tree.join(std::ffi::OsStr::from_bytes(b"bad\xffname.conf")), "x").unwrap();
    let mut c = bin();
    c.current_dir(&s.tree).arg(".");
    let r = run(c);
    assert!(r.stderr.contains("pipe.conf: a FIFO, not a regular file"), "{}", r.stderr);
    assert!(r.stderr.contains("not UTF-8"), "{}", r.stderr);
}

#[test]
fn diff_base_is_never_a_git_option() {
    let s = setup();
    let target = s.tree.join("written-by-git");
    let git = |args: &[&str]| {
        let ok = Command::new("git").current_dir(&s.tree).args(args).output().unwrap().status.success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x"]);
    let mut c = bin();
    c.current_dir(&s.tree).arg(format!("--diff-base=--output={}", target.display())).arg(".");
    let r = run(c);
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(!target.exists(), "git wrote {}", target.display());
    assert!(r.stderr.contains("--diff-base takes a git revision"), "{}", r.stderr);
}

#[test]
fn changed_only_refuses_files_outside_the_repository() {
    let s = setup();
    Command::new("git").current_dir(&s.tree).args(["init", "-q"]).output().unwrap();
    // Above the repository: a stacklint.toml that would make the parent the stack root.
    std::fs::write(s.tree.parent().unwrap().join("stacklint.toml"), "").unwrap();
    let mut c = bin();
    c.current_dir(&s.tree).args(["--changed-only", "--format", "json"]).arg(&s.secret).arg("etc/nginx/nginx.conf");
    let r = run(c);
    assert!(!r.all().contains(MARKER), "{}", r.all());
    assert_eq!(r.code, Some(2), "{}", r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v["errors"].to_string().contains("outside the repository"), "{v}");
    // The stack is the repository, not the directory above it.
    let files: Vec<String> =
        v["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().into()).collect();
    assert!(files.iter().all(|f| !f.contains("outside")), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("nginx.conf")), "{files:?}");
}

#[test]
fn one_bad_path_among_good_ones_still_gives_the_report() {
    let s = setup();
    let mut c = bin();
    c.current_dir(&s.tree).args(["--format", "json", ".", "no-such-dir"]);
    let r = run(c);
    assert_eq!(r.code, Some(2));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v["errors"].to_string().contains("cannot open no-such-dir"), "{v}");
    assert!(v["files"].to_string().contains("nginx.conf"), "{v}");
}

/// Root reads every directory: run stacklint as `nobody` (setpriv) for the permission probes.
fn as_nobody(mut c: Command) -> Command {
    if unsafe { libc::geteuid() } != 0 {
        return c;
    }
    let prog = c.get_program().to_owned();
    let args: Vec<_> = c.get_args().map(|a| a.to_owned()).collect();
    let dir = c.get_current_dir().map(Path::to_path_buf);
    let mut n = Command::new("setpriv");
    n.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(prog).args(args);
    if let Some(d) = dir {
        n.current_dir(d);
    }
    c = n;
    c
}

#[test]
fn unreadable_directories_are_errors() {
    use std::os::unix::fs::PermissionsExt;
    // The binary must be reachable by `nobody`: skip where it is not (a private home).
    let probe = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_stacklint"))
        .arg("--version")
        .output();
    if unsafe { libc::geteuid() } == 0 && !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: nobody cannot run {}", env!("CARGO_BIN_EXE_stacklint"));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("etc/nginx/conf.d")).unwrap();
    std::fs::write(tree.join("etc/nginx/nginx.conf"), "events {}\nhttp { include conf.d/*.conf; }\n").unwrap();
    std::fs::write(tree.join("etc/nginx/conf.d/a.conf"), "server { listen 80; }\n").unwrap();
    for d in [dir.path(), tree.as_path(), &tree.join("etc"), &tree.join("etc/nginx")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(tree.join("etc/nginx/conf.d"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut c = bin();
    c.current_dir(&tree).args(["--format", "json", "."]);
    let r = run(as_nobody(c));
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.stdout.contains("conf.d") && r.stdout.contains("Permission denied"), "{}", r.all());
    // The unreadable directory given on the command line.
    let mut c = bin();
    c.current_dir(&tree).args(["etc/nginx/conf.d"]);
    let r = run(as_nobody(c));
    assert_eq!(r.code, Some(2), "{}", r.all());
    assert!(r.stderr.contains("etc/nginx/conf.d") && r.stderr.contains("Permission denied"), "{}", r.all());
    std::fs::set_permissions(tree.join("etc/nginx/conf.d"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_failed_write_to_stdout_is_an_error() {
    let s = setup();
    for args in [vec!["--format", "sarif", "."], vec!["rules"], vec!["graph", "."]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = bin().current_dir(&s.tree).args(&args).stdout(full).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write to standard output"));
    }
}
