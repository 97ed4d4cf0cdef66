//! Differential test of stacklint's YAML reader ([`stacklint::yaml::load`]) against PyYAML.
//!
//! docker compose parses YAML with go-yaml, a port of libyaml; PyYAML's `CSafeLoader` is libyaml
//! itself. For every `*.yml`/`*.yaml` file under `fixtures/` and `../shared/corpus/` (the shared
//! corpus beside the clone; under CI=true it must be there), and for hand-written compose shapes
//! ([`CASES`]), the two must agree on accept/reject.
//!
//! PyYAML's verdict is `yaml.compose_all(data, Loader=yaml.CSafeLoader)`: syntax and aliases,
//! what stacklint's reader checks. `safe_load_all` also constructs Python objects, and fails on
//! tags docker compose defines (`!reset`, `!override`), CloudFormation's `!Ref`, and mapping keys
//! Python cannot hash; those files are counted and shown, as accepted. The pure-Python
//! `SafeLoader` is not the reference: it refuses a tab after `key:` and tabs in flow collections,
//! which libyaml and docker compose accept.
//!
//! Where the two legitimately differ, the case says so ([`Case::differs`]) and the test asserts
//! stacklint's verdict and PyYAML's opposite one, so a stale reason shows up.
//!
//! PyYAML is installed (pinned) by scripts/install-test-deps.sh. Without python3 or PyYAML with
//! libyaml the test fails under CI=true and is skipped loudly otherwise.

mod common;
use common::root;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Reads NUL-separated paths on stdin; prints one line per file:
/// `accept\tPATH`, `accept-unconstructed\tPATH\tMESSAGE` or `reject\tPATH\tMESSAGE`.
const PYTHON: &str = r#"
import sys
try:
    import yaml
except ImportError:
    print("NO-PYYAML"); sys.exit(0)
if not getattr(yaml, "__with_libyaml__", False):
    print("NO-LIBYAML", yaml.__version__); sys.exit(0)
print("PYYAML", yaml.__version__)
def one_line(e):
    return " ".join(str(e).split())
for path in sys.stdin.buffer.read().decode("utf-8", "surrogateescape").split("\0"):
    if not path:
        continue
    with open(path, "rb") as f:
        data = f.read()
    try:
        list(yaml.compose_all(data, Loader=yaml.CSafeLoader))
    except (yaml.YAMLError, RecursionError) as e:
        print("reject", path, one_line(e), sep="\t"); continue
    try:
        list(yaml.load_all(data, Loader=yaml.CSafeLoader))
        print("accept", path, sep="\t")
    except (yaml.YAMLError, RecursionError) as e:
        print("accept-unconstructed", path, one_line(e), sep="\t")
"#;

/// What PyYAML said about one file.
#[derive(Debug)]
struct Verdict {
    accept: bool,
    /// PyYAML's message: the syntax error, or the construction error of an accepted file.
    message: Option<String>,
}

/// PyYAML's verdict on each file, or `None` (after a loud skip) when PyYAML is missing.
fn pyyaml(files: &[PathBuf]) -> Option<BTreeMap<PathBuf, Verdict>> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let missing = |what: &str| {
        assert!(!ci, "{what} under CI=true: run scripts/install-test-deps.sh (not skipping)");
        eprintln!(
            "\n{bar}\n!!! SKIPPED: YAML differential test: {what}.\n!!! Run scripts/install-test-deps.sh (with CI=true this test fails instead).\n{bar}\n",
            bar = "!".repeat(72)
        );
        None
    };
    let child = Command::new("python3")
        .args(["-c", PYTHON])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let Ok(mut child) = child else {
        return missing("python3 is not installed");
    };
    let mut list = Vec::new();
    for f in files {
        list.extend_from_slice(f.as_os_str().as_encoded_bytes());
        list.push(0);
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&list));
    let out = child.wait_with_output().expect("python3 runs");
    // Without PyYAML the script exits before reading its input: a broken pipe then is expected.
    let written = writer.join().unwrap();
    assert!(out.status.success(), "python3 failed: {:?}", out.status);
    let text = String::from_utf8(out.stdout).expect("python3 prints UTF-8");
    let mut lines = text.lines();
    match lines.next() {
        Some(l) if l.starts_with("PYYAML ") => {
            written.expect("file list written to python3");
            eprintln!("yaml_differential: {l} (CSafeLoader, libyaml)");
        }
        Some("NO-PYYAML") => return missing("PyYAML is not installed for python3"),
        Some(l) if l.starts_with("NO-LIBYAML") => return missing("PyYAML is built without libyaml (CSafeLoader)"),
        other => panic!("unexpected output from python3: {other:?}"),
    }
    let mut verdicts = BTreeMap::new();
    for line in lines {
        let mut parts = line.splitn(3, '\t');
        let (kind, path, message) = (parts.next().unwrap(), parts.next().unwrap(), parts.next());
        let accept = match kind {
            "accept" | "accept-unconstructed" => true,
            "reject" => false,
            _ => panic!("unexpected line from python3: {line:?}"),
        };
        verdicts.insert(PathBuf::from(path), Verdict { accept, message: message.map(str::to_string) });
    }
    assert_eq!(verdicts.len(), files.len(), "PyYAML answered for every file");
    Some(verdicts)
}

/// stacklint's verdict: the file's text as discovery reads it (lossy UTF-8), through the one YAML
/// entry point compose and Envoy use.
fn stacklint(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = String::from_utf8_lossy(&bytes);
    stacklint::yaml::load(&text).map(drop).map_err(|e| format!("{} (byte {})", e.message, e.offset))
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    out.sort();
    out
}

/// A hand-written file. `differs`: stacklint's verdict differs from PyYAML's, and why.
struct Case {
    name: &'static str,
    text: &'static str,
    differs: Option<&'static str>,
}

const fn same(name: &'static str, text: &'static str) -> Case {
    Case { name, text, differs: None }
}

const CASES: &[Case] = &[
    // The issue: a flow sequence closed at its key's column.
    same(
        "flow-sequence-closed-at-key-column",
        "services:\n  web:\n    command: [\n      \"gunicorn\", \"app:app\"\n    ]\n    ports: [\"80:80\"\n    ]\n",
    ),
    same("flow-sequence-closed-left-of-key", "services:\n  web:\n    command: [\n      sh, -c\n  ]\n"),
    same("flow-items-at-column-0", "services:\n  web:\n    command: [\ngunicorn,\n\"app:app\"\n]\n"),
    same(
        "flow-mapping-over-lines",
        "services:\n  web:\n    environment: {\n      A: \"1\",\n      B: 2\n    }\n    labels: {\n  x: y\n}\n",
    ),
    same(
        "nested-flow-over-lines",
        "services:\n  web:\n    healthcheck: {\n      test: [\n\"CMD\", \"curl\"\n],\n      interval: 5s }\n",
    ),
    same(
        "anchors-aliases-merge-keys",
        "x-common: &common\n  restart: always\n  environment:\n    A: 1\nservices:\n  web:\n    <<: *common\n    image: nginx\n  db:\n    <<: [*common]\n    image: postgres\n",
    ),
    same(
        "multi-document",
        "services:\n  a:\n    image: x\n---\nservices:\n  b:\n    image: y\n...\n---\nservices: {}\n",
    ),
    same(
        "block-scalars",
        "services:\n  web:\n    command: |\n      gunicorn\n        app:app\n    entrypoint: >-\n      sh -c\n      \"run\"\n    x: |+\n      keep\n\n    y: >2-\n        indented\n",
    ),
    same("tabs-in-values", "services:\n  web:\n    image:\tnginx\n    command: \"a\tb\"\n    user: a\tb\n"),
    same("tabs-in-flow-lines", "services:\n  web:\n    ports: [\n\t\"80:80\",\n\t\"443:443\"]\n"),
    same(
        "comments-after-flow-items",
        "services:\n  web:\n    ports: [\n      \"80:80\",  # http\n      \"443:443\" # https\n    ]  # done\n    dns: {a: 1, # c\n      b: 2}\n",
    ),
    same("comment-right-after-quoted-scalar", "services:\n  web:\n    image: \"nginx:1.27\"# pinned\n"),
    same(
        "windows-line-endings",
        "services:\r\n  web:\r\n    image: nginx\r\n    command: [\r\n      \"a\"\r\n    ]\r\n    x: |\r\n      l1\r\n      l2\r\n",
    ),
    same("byte-order-mark", "\u{feff}services:\n  web:\n    image: nginx\n"),
    same("quoted-scalar-continued-left-of-key", "services:\n  web:\n    command: \"gunicorn\napp:app\"\n"),
    same("quoted-scalar-continued-after-tab", "services:\n  web:\n    command: \"gunicorn\n\tapp:app\"\n"),
    same("sequence-at-mapping-indentation", "services:\n  web:\n    ports:\n    - \"80:80\"\n    - 443\n"),
    same("explicit-key-last-byte", "a: 1\n?"),
    same("empty-file", ""),
    same("comments-only", "# nothing\n"),
    // Both refuse.
    same("unclosed-flow", "services:\n  web: [unclosed\n  x: 1\n"),
    same("bad-indentation", "services:\n  web: 1\n    bad: 2\n"),
    same("tab-indentation", "services:\n\tweb: 1\n"),
    same("document-start-in-flow", "a: [\n---\n]\n"),
    same("undefined-alias", "a: *x\n"),
    same("block-sequence-after-tab", "a:\t- b\n"),
    same("plain-scalar-continued-left-of-key", "a:\n  b: x\n y\n"),
    same("unterminated-quote", "a: \"x\n"),
    // Legitimate differences.
    Case {
        name: "duplicate-key",
        text: "services:\n  web:\n    image: a\n    image: b\n",
        differs: Some(
            "stacklint refuses a duplicate key, as docker compose (go-yaml: \"mapping key already defined\") \
             does; PyYAML keeps the last value",
        ),
    },
    Case {
        name: "duplicate-anchor",
        text: "a: &x 1\nb: &x 2\nc: *x\n",
        differs: Some(
            "YAML 1.2 lets an anchor be redefined (an alias names the latest); so do libyaml's parser and \
             go-yaml; PyYAML's composer refuses",
        ),
    },
    Case {
        name: "tab-only-line",
        text: "a: 1\n\t\nb: 2\n",
        differs: Some(
            "a line of white space is an empty line in YAML 1.2 (saphyr accepts it); libyaml does not skip \
             a tab at the start of a line in block context",
        ),
    },
    Case {
        name: "bare-document-after-end-marker",
        text: "a: 1\n...\nb: 2\n",
        differs: Some("YAML 1.2 allows a bare document after `...`; libyaml (YAML 1.1) wants `---`"),
    },
];

#[test]
fn stacklint_and_pyyaml_agree_on_every_yaml_file() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let shared = root().join("../shared/corpus");
    let shared = shared.canonicalize().unwrap_or(shared);
    let mut files = yaml_files(&root().join("fixtures"));
    let n_fixtures = files.len();
    if shared.is_dir() {
        files.extend(yaml_files(&shared));
    } else {
        assert!(!ci, "{} is missing under CI=true (CI has the shared corpus beside the clone)", shared.display());
        eprintln!("yaml_differential: NOTE: {} not found; fixtures and hand-written cases only", shared.display());
    }
    assert!(n_fixtures >= 50, "fixtures hold {n_fixtures} YAML files");

    let cases = tempfile::tempdir().unwrap();
    let mut case_files = Vec::new();
    for c in CASES {
        let path = cases.path().join(format!("{}.yml", c.name));
        std::fs::write(&path, c.text).unwrap();
        case_files.push(path);
    }
    let all: Vec<PathBuf> = files.iter().chain(&case_files).cloned().collect();
    let Some(py) = pyyaml(&all) else { return };

    let mut problems = Vec::new();
    let (mut accepted, mut rejected, mut unconstructed) = (0, 0, Vec::new());
    for f in &files {
        let v = &py[f];
        let ours = stacklint(f);
        match (v.accept, &ours) {
            (true, Ok(())) => accepted += 1,
            (false, Err(_)) => rejected += 1,
            (true, Err(e)) => problems.push(format!("{}: PyYAML accepts, stacklint rejects: {e}", f.display())),
            (false, Ok(())) => problems.push(format!(
                "{}: PyYAML rejects ({}), stacklint accepts",
                f.display(),
                v.message.as_deref().unwrap_or("")
            )),
        }
        if v.accept && v.message.is_some() {
            unconstructed.push(format!("{}: {}", f.display(), v.message.as_deref().unwrap()));
        }
    }
    for (c, path) in CASES.iter().zip(&case_files) {
        let v = &py[path];
        let ours = stacklint(path);
        let agree = v.accept == ours.is_ok();
        match (c.differs, agree) {
            (None, true) | (Some(_), false) => {}
            (None, false) => problems.push(format!(
                "case {}: PyYAML {} ({}), stacklint {:?}",
                c.name,
                if v.accept { "accepts" } else { "rejects" },
                v.message.as_deref().unwrap_or(""),
                ours
            )),
            (Some(why), true) => {
                problems.push(format!("case {}: listed as differing ({why}), but both say {}", c.name, ours.is_ok()))
            }
        }
    }
    eprintln!(
        "yaml_differential: {} files ({} fixtures, {} shared corpus): {} agreed ({} accepted, {} rejected); \
         {} accepted that safe_load_all would fail to construct; {} hand-written cases ({} listed differences)",
        files.len(),
        n_fixtures,
        files.len() - n_fixtures,
        accepted + rejected,
        accepted,
        rejected,
        unconstructed.len(),
        CASES.len(),
        CASES.iter().filter(|c| c.differs.is_some()).count()
    );
    for u in unconstructed.iter().take(5) {
        eprintln!("  accepted, not constructed: {u}");
    }
    if unconstructed.len() > 5 {
        eprintln!("  ... and {} more", unconstructed.len() - 5);
    }
    assert!(problems.is_empty(), "{} disagreement(s):\n{}", problems.len(), problems.join("\n"));
}

/// The issue's compose file: read through compose, with the command's words where they are
/// written, and a whole lint reports no load error (it exited 2 before).
#[test]
fn compose_file_with_flow_sequence_closed_at_key_column_lints() {
    let yml =
        "services:\n  web:\n    command: [\n      \"gunicorn\", \"app:app\"\n    ]\n    ports: [\"80:80\"\n    ]\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docker-compose.yml"), yml).unwrap();
    let (ctx, found) = stacklint::discover::discover(&[dir.path().to_path_buf()]).unwrap();
    let (project, errs) = stacklint::compose::load(&ctx, &found);
    assert!(errs.is_empty(), "{:?}", errs.iter().map(|e| &e.message).collect::<Vec<_>>());
    let web = &project.services[0];
    let command = web.command.as_ref().expect("command");
    assert!(command.list);
    let file = ctx.all_files.iter().find_map(|p| ctx.map.get_by_path(p)).unwrap();
    let words: Vec<(&str, &str)> = command.words.iter().map(|w| (w.text.as_str(), file.slice(w.span))).collect();
    assert_eq!(words, [("gunicorn", "gunicorn"), ("app:app", "app:app")]);
    // From the `[` (saphyr ends a flow collection where its `]` starts; compose trims the blanks).
    assert_eq!(file.slice(command.span), "[\n      \"gunicorn\", \"app:app\"");
    assert_eq!(web.ports.len(), 1);
    assert_eq!(web.ports[0].target, Some(80));
    assert!(file.slice(web.ports[0].span).contains("80:80"));

    let out = stacklint::engine::lint(&[dir.path().to_path_buf()], &stacklint::engine::Options::default()).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors.iter().map(|e| &e.message).collect::<Vec<_>>());
}
