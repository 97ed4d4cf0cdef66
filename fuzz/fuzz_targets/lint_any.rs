//! The whole lint pipeline on one file of any kind stacklint reads (HAProxy, Envoy YAML/JSON,
//! PHP-FPM and php.ini, gunicorn, Node sources and package files, Dockerfile, compose, Procfile,
//! systemd, uvicorn scripts, stacklint.toml, nginx): the first byte picks the kind (see
//! `tests/common/fuzz_layout.rs`), the rest is the file. It must end in findings or clean errors,
//! and both reports must render.
#![no_main]

#[path = "../../tests/common/fuzz_layout.rs"]
mod layout;

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("stacklint-fuzz-any-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let d = dir();
    if layout::write(d, data).is_none() {
        return;
    }
    if let Ok(out) = stacklint::engine::lint(&[d.clone()], &Default::default()) {
        let _ = stacklint::report::json::render(&out.map, &out.findings, &out.errors, &out.files);
        let _ = stacklint::report::human::render(&out.map, &out.findings, &out.errors, false);
    }
});
