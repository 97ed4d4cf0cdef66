//! Every HAProxy file of the corpus (`fixtures/corpus/haproxy/`: HAProxy's examples, test configs
//! and reg-test bodies, client-native's configs, the "ultimate" config, Debian's haproxy.cfg)
//! parses without error and goes through the model without panicking. The few exceptions are
//! files HAProxy itself rejects for the same reason, listed below with that reason.

use stacklint::discover;
use stacklint::graph::StackBuilder;
use stacklint::haproxy;
use std::path::{Path, PathBuf};

/// Files HAProxy's own parser rejects, and stacklint too: (path under the corpus, why).
const EXCEPTIONS: &[(&str, &str)] = &[(
    "haproxytech-client-native/config-parser/tests/configs/haproxy_basic.cfg.configBasicMissingNewLineOnEnd.cfg",
    "no newline at the end of the last line: haproxy -c 2.6 says \"Missing LF on last line, file might have been truncated\"",
)];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/haproxy")
}

fn files() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(corpus())
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "cfg"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_corpus_file_parses() {
    let files = files();
    assert!(files.len() >= 380, "corpus has {} files", files.len());
    let mut failures = Vec::new();
    let mut sections = 0;
    let mut servers = 0;
    for path in &files {
        let rel = path.strip_prefix(corpus()).unwrap().to_string_lossy().into_owned();
        let (ctx, _) = discover::discover(std::slice::from_ref(path)).unwrap();
        let found = vec![discover::Found { path: path.clone(), display: rel.clone(), kind: discover::Kind::Haproxy }];
        let (cfg, errors) = haproxy::load(&ctx, &found);
        let mut b = StackBuilder::new();
        haproxy::model::add(&cfg, &mut b);
        let stack = b.link();
        sections += cfg.instances.iter().map(|i| i.sections().count()).sum::<usize>();
        servers += stack.servers.len();
        let expected_error = EXCEPTIONS.iter().any(|(p, _)| *p == rel);
        match (errors.is_empty(), expected_error) {
            (true, false) | (false, true) => {}
            (false, false) => failures
                .push(format!("{rel}: {}", errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; "))),
            (true, true) => failures.push(format!("{rel}: listed as an exception but parses")),
        }
    }
    println!("{} corpus files, {sections} sections, {servers} frontends/listens", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Debian's stock haproxy.cfg, as a whole run of the CLI pipeline: it loads, and its model is what
/// the file says (one frontend-less config: global + defaults only).
#[test]
fn debian_stock_config_loads() {
    let p = corpus().join("debian/etc/haproxy/haproxy.cfg");
    let out = stacklint::engine::lint(&[p], &Default::default()).unwrap();
    assert!(out.errors.is_empty());
    assert_eq!(out.files.len(), 1);
    assert_eq!(out.files[0].kind, discover::Kind::Haproxy);
}
