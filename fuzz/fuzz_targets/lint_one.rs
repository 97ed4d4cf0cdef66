//! The whole lint pipeline on one file: the bytes are written to a private directory as
//! `nginx.conf` and linted (discover, parse, includes, model, rules, both reports).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("stacklint-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let d = dir();
    std::fs::write(d.join("nginx.conf"), data).unwrap();
    if let Ok(out) = stacklint::engine::lint(&[d.clone()], &Default::default()) {
        let _ = stacklint::report::json::render(&out.map, &out.findings, &out.errors, &out.files);
        let _ = stacklint::report::human::render(&out.map, &out.findings, &out.errors, false);
    }
    let p = stacklint::nginx::crossplane::parse(&d.join("nginx.conf"), &Default::default());
    let _ = p.to_json();
});
