//! Differential test against crossplane 0.5.8 (the reference nginx config parser in Python):
//! for every nginx config of the corpus (`fixtures/corpus/nginx`), `stacklint parse --format
//! crossplane` must give crossplane's own payload, field for field. Error wording may differ
//! (stacklint's messages are nginx's); the file and line of every error may not.
//!
//! crossplane runs once over all files in one Python process (`fixtures/nginx/crossplane_all.py`).
//! Without crossplane the test prints a loud skip, except under `CI=true`, where it fails
//! (`scripts/install-test-deps.sh` installs it).

use serde_json::Value;
use stacklint::nginx::crossplane::{parse, Options};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ROOT: &str = "fixtures/corpus/nginx";

/// Files whose payload differs from crossplane's on purpose, and why. The test checks that each
/// one still differs (so the list cannot hide a fixed difference) and in the way described.
const DIFFERENCES: &[(&str, &str)] = &[
    // crossplane's lexer reads `${` up to the next `}` and then glues the following character to
    // the word, so `try_files /abc/${uri} /abc/${uri}.html` becomes ONE argument there; nginx
    // (and stacklint) read two.
    ("crossplane/tests/configs/messy/nginx.conf", "${...} glues the next word on in crossplane"),
    // A `;` missing before `}`: nginx rejects the file (`unexpected "}"`, on the `}` line);
    // crossplane reports `directive ... is not terminated by ";"` on the directive's line and goes
    // on parsing.
    ("crossplane/tests/configs/missing-semicolon/broken-above.conf", "missing ; before }"),
    ("crossplane/tests/configs/missing-semicolon/broken-below.conf", "missing ; before }"),
    // `"quoted"glued`: nginx rejects a closing quote followed by anything but space, `;`, `{`, `)`
    // (`unexpected "-"` on line 1); crossplane splits it into two words.
    ("crossplane/tests/configs/quote-behavior/nginx.conf", "quote glued to a word"),
    // A test-harness header `// Options: {"__allow_includes": true}`: nginx fails on line 1 (a
    // quote glued to `:`); crossplane reads a block named `//` and fails later, on an include.
    ("gixy-ng/tests/plugins/simply/allow_without_deny/include_and_deny_fp.conf", "quote glued to a word"),
    // `map ... { default $x { ... } }`: nginx rejects a block inside `map` (`unexpected "{"`);
    // crossplane has no notion of handler blocks and accepts it.
    ("gixy-ng/tests/plugins/simply/origins/map_origin_allowlist_fp.conf", "block inside map"),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0020_static_server.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0021_regex_quantifiers.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0027_regex_modifiers.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0028_regex_complex.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0029_regex_rewrites.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0030_regex_edge_cases.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0041_regex_capture_groups.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0043_regex_api_versioning.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0044_regex_locale.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0048_regex_rewrite_advanced.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0049_regex_media_streaming.conf", REGEX),
    ("nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0050_regex_microservices.conf", REGEX),
];

/// nginx-lint's generated fixtures write regex quantifiers unquoted (`location ~ ^/id/[0-9]{6}$ {`).
/// nginx reads that `{` as the start of a block and `}` as part of a word, so the braces never
/// balance and the file is rejected (stacklint: `unexpected end of file`, as nginx at end of file);
/// crossplane ends words at `}`, balances the braces by accident and parses a different tree.
const REGEX: &str = "unquoted regex quantifier braces";

fn is_config(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".conf")
        || name == "mime.types"
        || name.ends_with("_params")
        || matches!(name, "koi-utf" | "koi-win" | "win-utf")
        || ((parent.starts_with("sites-") || parent == "conf.d") && !name.contains('.'))
}

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(ROOT).canonicalize().unwrap();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && is_config(e.path()))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

fn have_crossplane() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import crossplane; assert crossplane.__version__ == '0.5.8'"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("crossplane 0.5.8 is not installed (CI=true): run scripts/install-test-deps.sh");
        }
        eprintln!("\n!!!!!! SKIPPED: crossplane 0.5.8 not installed; run scripts/install-test-deps.sh !!!!!!\n");
    }
    ok
}

/// crossplane's payload for each file, from one Python process.
fn crossplane_payloads(files: &[PathBuf], comments: bool) -> HashMap<String, Value> {
    let mut cmd = Command::new("python3");
    cmd.args(["fixtures/nginx/crossplane_all.py", "--confine"]);
    if comments {
        cmd.arg("--include-comments");
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("python3");
    let mut stdin = child.stdin.take().unwrap();
    let list: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    let writer = std::thread::spawn(move || stdin.write_all(list.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "crossplane helper failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (path, json) = l.split_once('\t').unwrap();
            (path.to_string(), serde_json::from_str(json).unwrap())
        })
        .collect()
}

/// Error wording may differ: keep each error's file and line only.
fn normalize(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("error") && m.contains_key("line") {
                m.insert("error".into(), Value::Null);
            }
            m.values_mut().for_each(normalize);
        }
        Value::Array(a) => a.iter_mut().for_each(normalize),
        _ => {}
    }
}

fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &format!("{path}.{k}")),
                (p, q) => Some(format!("{path}.{k}: stacklint {p:?}, crossplane {q:?}")),
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            let d = x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]")));
            d.or_else(|| {
                (x.len() != y.len()).then(|| format!("{path}: stacklint has {} items, crossplane {}", x.len(), y.len()))
            })
        }
        _ => (a != b).then(|| format!("{path}: stacklint {a}, crossplane {b}")),
    }
}

fn compare(comments: bool) {
    if !have_crossplane() {
        return;
    }
    let files = corpus();
    assert!(files.len() > 300, "corpus missing? {} files", files.len());
    let theirs = crossplane_payloads(&files, comments);
    let root = Path::new(ROOT).canonicalize().unwrap();
    let mut same = 0;
    let mut problems = Vec::new();
    let mut differing = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        let mut ours = serde_json::to_value(parse(f, &Options { comments })).unwrap();
        let mut cp = theirs[&f.display().to_string()].clone();
        normalize(&mut ours);
        normalize(&mut cp);
        let diff = first_difference(&ours, &cp, "");
        let expected = DIFFERENCES.iter().find(|(p, _)| *p == rel);
        match (diff, expected) {
            (None, None) => same += 1,
            (None, Some(_)) => problems.push(format!("{rel}: listed as different but now identical")),
            (Some(d), None) => problems.push(format!("{rel}: {d}")),
            (Some(_), Some(_)) => differing.push(rel),
        }
    }
    eprintln!(
        "crossplane parity (comments: {comments}): {same} of {} files identical, {} documented differences",
        files.len(),
        differing.len()
    );
    assert!(problems.is_empty(), "{} files differ:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn payloads_equal_crossplane() {
    compare(false);
}

#[test]
fn payloads_with_comments_equal_crossplane() {
    compare(true);
}

/// The CLI prints crossplane's bytes: same key order, compact separators, `\uXXXX` for non-ASCII,
/// paths as given (relative here), for files with includes, globs, Lua blocks and non-UTF-8 text.
#[test]
fn cli_output_is_byte_identical() {
    if !have_crossplane() {
        return;
    }
    let dir = Path::new(ROOT);
    for f in [
        "h5bp/nginx.conf",
        "crossplane/tests/configs/includes-globbed/nginx.conf",
        "crossplane/tests/configs/lua-block-tricky/nginx.conf",
        "crossplane/tests/configs/non-unicode/nginx.conf",
        "crossplane/tests/configs/comments-between-args/nginx.conf",
        "nginx/conf/nginx.conf",
    ] {
        for extra in [&[][..], &["--include-comments"][..]] {
            let theirs = Command::new("python3")
                .args(["-m", "crossplane", "parse"])
                .args(extra)
                .arg(f)
                .current_dir(dir)
                .output()
                .unwrap();
            let ours = Command::new(env!("CARGO_BIN_EXE_stacklint"))
                .args(["parse", "--format", "crossplane"])
                .args(extra)
                .arg(f)
                .current_dir(dir)
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&ours.stdout), String::from_utf8_lossy(&theirs.stdout), "{f} {extra:?}");
        }
    }
}
