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
        if p.extension().is_some_and(|x| x == "md") {
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
