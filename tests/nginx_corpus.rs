//! Parses every nginx config of the corpus (`fixtures/corpus/nginx`, see `fixtures/corpus/SOURCES.md`).
//! The only files allowed to fail are listed below, with the error nginx itself reports for them
//! (`nginx -t`, Debian 12 nginx 1.22.1, from the shared corpus's `nginx-validation.tsv`): the parser
//! must fail the same way, on the same line.

use stacklint::nginx::parser::{looks_like_nginx, parse};
use stacklint::source::SourceMapBuilder;
use std::path::Path;

const ROOT: &str = "fixtures/corpus/nginx";

/// (path under ROOT, message, line) of the files nginx rejects for their syntax.
const EXPECTED_FAILURES: &[(&str, &str, usize)] = &[
    // crossplane: fragments that are deliberately not nginx syntax ("should never be included").
    (
        "crossplane/tests/configs/includes-globbed/servers/locations/not-included.conf",
        "unexpected end of file, expecting \";\" or \"}\"",
        3,
    ),
    (
        "crossplane/tests/configs/includes-regular/conf.d/bar.conf",
        "unexpected end of file, expecting \";\" or \"}\"",
        3,
    ),
    (
        "crossplane/tests/configs/includes-regular/conf.d/foo.conf",
        "unexpected end of file, expecting \";\" or \"}\"",
        3,
    ),
    // crossplane: missing semicolons, deliberately.
    ("crossplane/tests/configs/missing-semicolon/broken-above.conf", "unexpected \"}\"", 5),
    ("crossplane/tests/configs/missing-semicolon/broken-below.conf", "unexpected \"}\"", 8),
    // crossplane: quotes glued to words, which nginx rejects (crossplane accepts them).
    ("crossplane/tests/configs/quote-behavior/nginx.conf", "unexpected \"-\"", 1),
    // gixy-ng: a map block with a `{` where nginx wants `;` (gixy's parser is lenient).
    ("gixy-ng/tests/plugins/simply/origins/map_origin_allowlist_fp.conf", "unexpected \"{\"", 3),
    // gixy-ng: a test-harness header line (`// Options: {"__allow_includes": true}`); nginx -t:
    // unknown directive "//" on line 1, before reaching the same syntax error.
    ("gixy-ng/tests/plugins/simply/allow_without_deny/include_and_deny_fp.conf", "unexpected \":\"", 1),
    // nginx-lint's generated fixtures write regex quantifiers unquoted (`location ~ ^/id/[0-9]{6}$ {`):
    // nginx reads that `{` as the start of a block, so the braces never balance. nginx -t stops
    // earlier, at a directive-level error on the split regex (shown for each file); the syntax error
    // here is at end of file, where nginx would report it too.
    // nginx -t: unknown directive "8,}\\.(css|js|png|jpg|jpeg|gif|ico|woff2?)$" :55
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0020_static_server.conf",
        "unexpected end of file, expecting \"}\"",
        94,
    ),
    // nginx -t: unknown directive "6}$" :14
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0021_regex_quantifiers.conf",
        "unexpected end of file, expecting \"}\"",
        39,
    ),
    // nginx -t: unknown directive "2,5}$" :35
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0027_regex_modifiers.conf",
        "unexpected end of file, expecting \"}\"",
        40,
    ),
    // nginx -t: pcre2_compile() failed: missing closing parenthesis :19
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0028_regex_complex.conf",
        "unexpected end of file, expecting \"}\"",
        40,
    ),
    // nginx -t: directive "rewrite" is not terminated by ";" :17
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0029_regex_rewrites.conf",
        "unexpected end of file, expecting \"}\"",
        45,
    ),
    // nginx -t: unknown directive "0,}$" :14
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0030_regex_edge_cases.conf",
        "unexpected end of file, expecting \"}\"",
        49,
    ),
    // nginx -t: pcre2_compile() failed: missing closing parenthesis :20
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0041_regex_capture_groups.conf",
        "unexpected end of file, expecting \"}\"",
        61,
    ),
    // nginx -t: pcre2_compile() failed: missing closing parenthesis :55
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0043_regex_api_versioning.conf",
        "unexpected end of file, expecting \"}\"",
        85,
    ),
    // nginx -t: pcre2_compile() failed: missing closing parenthesis :32
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0044_regex_locale.conf",
        "unexpected end of file, expecting \"}\"",
        87,
    ),
    // nginx -t: directive "rewrite" is not terminated by ";" :44
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0048_regex_rewrite_advanced.conf",
        "unexpected end of file, expecting \"}\"",
        91,
    ),
    // nginx -t: pcre2_compile() failed: missing closing parenthesis :91
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0049_regex_media_streaming.conf",
        "unexpected end of file, expecting \"}\"",
        111,
    ),
    // nginx -t: host not found in upstream "users.internal:8080" :23 (needs DNS; the regexes below split too)
    (
        "nginx-lint/crates/nginx-lint-parser/tests/fixtures/test_generated/0050_regex_microservices.conf",
        "unexpected end of file, expecting \"}\"",
        138,
    ),
];

/// Which files are nginx configs: `.conf`, `nginx.conf`, `mime.types`, `*_params`, the
/// charset maps, and extension-less files in nginx directories.
fn is_config(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".conf")
        || name == "mime.types"
        || name.ends_with("_params")
        || matches!(name, "koi-utf" | "koi-win" | "win-utf")
        || ((parent.starts_with("sites-") || parent == "conf.d") && !name.contains('.'))
}

fn count(dirs: &[stacklint::nginx::ast::Directive]) -> usize {
    dirs.iter().map(|d| 1 + count(d.children())).sum()
}

#[test]
fn every_corpus_config_parses() {
    let mut files: Vec<_> = walkdir::WalkDir::new(ROOT)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && is_config(e.path()))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    assert!(files.len() > 300, "corpus missing? {} files", files.len());

    let map = SourceMapBuilder::new();
    let mut problems = Vec::new();
    let mut failed = Vec::new();
    let mut directives = 0usize;
    for path in &files {
        let rel = path.strip_prefix(ROOT).unwrap().to_string_lossy().into_owned();
        let sf = map.add(path, rel.clone(), std::fs::read(path).unwrap());
        let expected = EXPECTED_FAILURES.iter().find(|(p, _, _)| *p == rel);
        match (parse(&sf), expected) {
            (Ok(f), None) => directives += count(&f.directives),
            (Ok(_), Some(_)) => problems.push(format!("{rel}: parsed, but nginx rejects it")),
            (Err(e), None) => {
                let lc = sf.line_col(sf.local(e.span.unwrap().start));
                problems.push(format!("{rel}:{}:{}: {}", lc.line, lc.column, e.message));
            }
            (Err(e), Some((_, msg, line))) => {
                let lc = sf.line_col(sf.local(e.span.unwrap().start));
                if e.message != *msg || lc.line != *line {
                    problems.push(format!(
                        "{rel}: got `{}` on line {}, nginx says `{msg}` on line {line}",
                        e.message, lc.line
                    ));
                }
                failed.push(rel);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(failed.len(), EXPECTED_FAILURES.len());
    assert!(directives > 1000);
    eprintln!(
        "{} corpus files parsed ({directives} directives), {} expected failures",
        files.len() - failed.len(),
        failed.len()
    );
}

#[test]
fn corpus_main_configs_look_like_nginx() {
    for p in [
        "nginx/conf/nginx.conf",
        "h5bp/nginx.conf",
        "debian/etc/nginx/nginx.conf",
        "debian/etc/nginx/sites-available/default",
        "debian/etc/nginx/snippets/fastcgi-php.conf",
    ] {
        let text = std::fs::read_to_string(Path::new(ROOT).join(p)).unwrap();
        assert!(looks_like_nginx(&text), "{p}");
    }
}

/// Parser throughput. Run with
/// `cargo test --release --test nginx_corpus parser_throughput -- --ignored --nocapture`;
/// set `STACKLINT_BENCH_DIR` to a tree (e.g. from `python3 /work/shared/bench/gen_stack.py DIR`)
/// whose nginx files are concatenated, else the corpus's parsable configs are repeated. The input
/// is repeated up to at least 10 MiB.
#[test]
#[ignore]
fn parser_throughput() {
    let mut unit = String::new();
    let dir = std::env::var("STACKLINT_BENCH_DIR").unwrap_or_else(|_| ROOT.to_string());
    let map = SourceMapBuilder::new();
    for e in walkdir::WalkDir::new(&dir).sort_by_file_name().into_iter().filter_map(Result::ok) {
        let p = e.path();
        if !e.file_type().is_file() || !is_config(p) || !p.to_string_lossy().contains("nginx") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p) else { continue };
        // Only files that parse on their own (so the concatenation parses).
        if parse(&map.add(p, String::new(), text.clone().into_bytes())).is_ok() {
            unit.push_str(&text);
            unit.push('\n');
        }
    }
    let mut big = String::new();
    while big.len() < 10 << 20 {
        big.push_str(&unit);
    }
    let sf = map.add(Path::new("big.conf"), "big.conf".into(), big.into_bytes());
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let f = parse(&sf).expect("concatenation parses");
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(f);
    }
    let mib = sf.len() as f64 / (1 << 20) as f64;
    eprintln!("parsed {mib:.1} MiB in {:.3} s (best of 5): {:.0} MiB/s", best, mib / best);
}

#[test]
fn debian_and_h5bp_trees_load_with_their_includes() {
    use stacklint::discover::{discover, Kind};
    for (root, main) in [("debian/etc/nginx", "debian/etc/nginx/nginx.conf"), ("h5bp", "h5bp/nginx.conf")] {
        let (ctx, found) = discover(&[Path::new(ROOT).join(root)]).unwrap();
        let nginx: Vec<_> = found.into_iter().filter(|f| f.kind == Kind::Nginx).collect();
        let (tree, errors) = stacklint::nginx::load::load(&ctx, &nginx);
        assert!(errors.is_empty(), "{root}: {errors:?}");
        assert!(tree.missing_includes.is_empty(), "{root}: {:?}", tree.missing_includes);
        let first = &tree.files[tree.mains[0]];
        assert!(first.source.display.ends_with(main), "{}", first.source.display);
        let http = first.directives.iter().find(|d| d.name == "http").unwrap();
        let linked = http.children().iter().filter(|d| d.name == "include" && !d.includes.is_empty()).count();
        assert!(linked >= 2, "{root}: includes linked");
        assert!(tree.expanded(http.children()).iter().any(|d| d.name == "server" || d.name == "types"));
        eprintln!(
            "{root}: {} files, mains {:?}",
            tree.files.len(),
            tree.mains.iter().map(|&i| tree.files[i].source.display.clone()).collect::<Vec<_>>()
        );
    }
}
