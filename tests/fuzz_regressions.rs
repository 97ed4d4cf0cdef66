//! Inputs that once crashed (or could crash) the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer),
//! kept as regression tests: each file of `fixtures/fuzz/` goes through the parser, the whole
//! lint pipeline and the crossplane payload, which must end in a tree or a clean error. Plus the
//! hostile shapes fuzzers rarely build: deep nesting, huge files, long lines, invalid UTF-8, NULs.

use stacklint::nginx::crossplane;
use stacklint::source::SourceMapBuilder;
use std::path::Path;

/// Parser, lint and crossplane payload on `bytes`; returns the parser's error message, if any.
fn run(bytes: &[u8]) -> Option<String> {
    let map = SourceMapBuilder::new();
    let sf = map.add(Path::new("x.conf"), "x.conf".into(), bytes.to_vec());
    let err = stacklint::nginx::parser::parse(&sf).err().map(|e| e.message);
    let _ = stacklint::nginx::looks_like_nginx(&sf.text);
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, bytes).unwrap();
    let out = stacklint::engine::lint(&[dir.path().to_path_buf()], &Default::default()).unwrap();
    let _ = stacklint::report::json::render(&out.map, &out.findings, &out.errors, &out.files);
    let _ = stacklint::report::human::render(&out.map, &out.findings, &out.errors, false);
    let _ = crossplane::parse(&conf, &Default::default()).to_json();
    let _ = crossplane::parse(&conf, &crossplane::Options { comments: true }).to_json();
    err
}

#[test]
fn saved_fuzz_inputs() {
    let mut n = 0;
    for e in std::fs::read_dir("fixtures/fuzz").unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() || p.extension().is_some_and(|x| x == "md") {
            continue;
        }
        run(&std::fs::read(&p).unwrap());
        n += 1;
    }
    eprintln!("{n} saved fuzz inputs ran clean");
}

#[test]
fn deep_nesting_is_a_clean_error() {
    let text = "a {".repeat(100_000);
    let err = run(text.as_bytes()).expect("rejected");
    assert!(err.contains("too many nested blocks"), "{err}");
    let text = format!("{}{}", "a {".repeat(200), "}".repeat(200));
    assert_eq!(run(text.as_bytes()), None);
}

#[test]
fn long_line_and_long_word() {
    let word = "x".repeat(1 << 20);
    assert_eq!(run(format!("d {word};\n").as_bytes()), None);
    let quoted = format!("d \"{}\";\n", "y ".repeat(1 << 18));
    assert_eq!(run(quoted.as_bytes()), None);
    // No newline at all, unterminated.
    assert!(run(format!("d \"{word}").as_bytes()).is_some());
}

#[test]
fn huge_file_is_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::with_capacity(17 << 20);
    while text.len() <= 16 << 20 {
        text.push_str("server_tokens off;\n");
    }
    std::fs::write(dir.path().join("nginx.conf"), &text).unwrap();
    let out = stacklint::engine::lint(&[dir.path().to_path_buf()], &Default::default()).unwrap();
    assert!(out.errors.iter().any(|e| e.message.contains("larger than stacklint reads")), "{:?}", out.errors);
    let p = crossplane::parse(&dir.path().join("nginx.conf"), &Default::default());
    assert_eq!(p.status, "failed");
}

#[test]
fn invalid_utf8_and_nul_bytes() {
    assert_eq!(run(b"events {}\nhttp { server_name \xff\xfe\x00abc; }\n"), None);
    assert_eq!(run(b"\x00\x00\x00;"), None);
    assert!(run(b"\"\x00\xc3").is_some());
    assert_eq!(run(b"# \xed\xa0\x80 surrogate\nhttp {}\n"), None);
    assert_eq!(run(b"content_by_lua_block { ngx.say('\xff}') }\n"), None);
}

#[path = "common/fuzz_layout.rs"]
mod fuzz_layout;

/// Lints `input` as the `lint_any` fuzz target does (first byte: the kind) and checks what a user
/// would see: no panic, both reports render, every error with a position points into a file.
fn run_any(input: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let Some(name) = fuzz_layout::write(dir.path(), input) else { return };
    let out = match stacklint::engine::lint(&[dir.path().to_path_buf()], &Default::default()) {
        Ok(out) => out,
        Err(e) => panic!("{name}: lint failed outright: {e}"),
    };
    let _ = stacklint::report::json::render(&out.map, &out.findings, &out.errors, &out.files);
    let _ = stacklint::report::human::render(&out.map, &out.findings, &out.errors, false);
    for e in &out.errors {
        if let Some(span) = e.span {
            assert!(out.map.location(span).is_some(), "{name}: error position outside every file: {e:?}");
        }
    }
}

#[test]
fn saved_lint_any_inputs() {
    let mut n = 0;
    for e in std::fs::read_dir("fixtures/fuzz/any").unwrap() {
        let p = e.unwrap().path();
        run_any(&std::fs::read(&p).unwrap());
        n += 1;
    }
    assert!(n > 0, "fixtures/fuzz/any holds no inputs");
}

/// Hostile shapes for every kind of file stacklint reads: nesting far past any parser's stack,
/// a 1 MiB line, invalid UTF-8, NUL bytes, a lone quote.
#[test]
fn every_file_kind_survives_hostile_input() {
    let deep = |open: &str| open.repeat(100_000);
    let bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\xff\xfe\x00\x00\xed\xa0\x80 not text\n".to_vec(),
        deep("[").into_bytes(),
        deep("{").into_bytes(),
        deep("(").into_bytes(),
        deep("- ").into_bytes(),
        deep("a:\n ").into_bytes(),
        format!("x = {}\n", "1".repeat(1 << 20)).into_bytes(),
        b"\"".to_vec(),
    ];
    for (k, (name, _)) in fuzz_layout::KINDS.iter().enumerate() {
        for body in &bodies {
            let mut input = vec![k as u8];
            input.extend_from_slice(body);
            let r = std::panic::catch_unwind(|| run_any(&input));
            assert!(r.is_ok(), "{name}: panicked on {:?}...", String::from_utf8_lossy(&body[..body.len().min(20)]));
        }
    }
}

/// miette pads a label to its column with a format width, which Rust caps at 65,535: a finding or
/// an error further right on its line used to panic the human report. Such labels are printed as
/// `file:line:column` text instead, and JSON keeps their exact position.
#[test]
fn labels_far_right_on_a_long_line_are_printed_as_locations() {
    let dir = tempfile::tempdir().unwrap();
    let filler = "set $a 1; ".repeat(7_000);
    let conf = format!("events {{}}\nhttp {{ server {{ {filler}location / {{ proxy_pass http://api; }} }} }}\n");
    std::fs::write(dir.path().join("nginx.conf"), &conf).unwrap();
    let out = stacklint::engine::lint(&[dir.path().to_path_buf()], &Default::default()).unwrap();
    assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
    let column = conf.lines().nth(1).unwrap().find("http://api").unwrap() + 1;
    assert!(column > 65_535);
    let human = stacklint::report::human::render(&out.map, &out.findings, &out.errors, false);
    assert!(
        human.contains(&format!("nginx.conf:2:{column}: `api` is not defined (line too long to show)")),
        "{}",
        &human[..human.len().min(2_000)]
    );
    assert!(!human.contains(&filler[..1_000]), "the long line itself is not drawn");

    // An error at the end of a 100,000-byte line.
    std::fs::write(dir.path().join("nginx.conf"), format!("events {{}}\nhttp {{ {} \"", "x ".repeat(50_000))).unwrap();
    let out = stacklint::engine::lint(&[dir.path().to_path_buf()], &Default::default()).unwrap();
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    let human = stacklint::report::human::render(&out.map, &out.findings, &out.errors, false);
    assert!(human.contains("nginx.conf:2:"), "{}", &human[..human.len().min(500)]);
}
