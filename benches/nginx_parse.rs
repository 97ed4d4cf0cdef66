//! Parser and pipeline speed on the generated stack (`benches/gen_stack.py`: 1,000 servers,
//! 10,000 locations, 1,404 files, 2.1 MB), generated into the target directory if absent.
//!
//!     cargo bench --bench nginx_parse
//!
//! `STACKLINT_BENCH_TREE=DIR` uses (or generates) the tree in DIR instead.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

// The allocator the `stacklint` binary uses (src/main.rs), so the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use stacklint::source::SourceMapBuilder;
use std::path::{Path, PathBuf};

fn tree() -> PathBuf {
    let dir = match std::env::var_os("STACKLINT_BENCH_TREE") {
        Some(d) => PathBuf::from(d),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| "target".into());
            target.join("bench-tree")
        }
    };
    if !dir.join("etc/nginx/nginx.conf").is_file() {
        let gen = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/gen_stack.py");
        let ok = std::process::Command::new("python3").arg(gen).arg(&dir).status().is_ok_and(|s| s.success());
        assert!(ok, "python3 benches/gen_stack.py {} failed", dir.display());
    }
    dir.canonicalize().unwrap()
}

fn nginx_files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(root.join("etc/nginx"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect()
}

fn bench(c: &mut Criterion) {
    let root = tree();
    let files = nginx_files(&root);
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let map = SourceMapBuilder::new();
    let sources: Vec<_> = files.iter().map(|(p, b)| map.add(p, p.display().to_string(), b.clone())).collect();

    let mut g = c.benchmark_group("nginx");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(bytes as u64));
    // The parser alone, one thread, every nginx file of the tree (already in memory).
    g.bench_function("parse_one_thread", |b| {
        b.iter(|| {
            for sf in &sources {
                std::hint::black_box(stacklint::nginx::parser::parse(sf).unwrap());
            }
        })
    });
    // Discovery + reading + parallel parsing + include resolution.
    g.bench_function("discover_and_load", |b| {
        b.iter(|| {
            let (ctx, found) = stacklint::discover::discover(std::slice::from_ref(&root)).unwrap();
            let nginx: Vec<_> = found.into_iter().filter(|f| f.kind == stacklint::discover::Kind::Nginx).collect();
            std::hint::black_box(stacklint::nginx::load::load(&ctx, &nginx));
        })
    });
    // The whole lint, as `stacklint DIR` runs it (without printing).
    g.bench_function("lint_whole_tree", |b| {
        b.iter(|| std::hint::black_box(stacklint::engine::lint(std::slice::from_ref(&root), &Default::default())))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
