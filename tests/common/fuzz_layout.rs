//! The file kinds the `lint_any` fuzz target writes, shared with `tests/fuzz_regressions.rs` so a
//! saved input replays exactly: the first byte of an input picks a kind, the rest is the file.
//! Each kind comes with the companion files that make stacklint read it (a JS file is only looked
//! at inside a Node package; `uvicorn.run(...)` only in a script a launch runs).

use std::path::Path;

/// `(file name, companions)`.
pub const KINDS: &[(&str, &[(&str, &str)])] = &[
    ("nginx.conf", &[]),
    ("haproxy.cfg", &[]),
    ("envoy.yaml", &[]),
    ("envoy.json", &[]),
    ("php-fpm.conf", &[]),
    ("php.ini", &[("php-fpm.conf", "[www]\nlisten = 127.0.0.1:9000\n")]),
    ("gunicorn.conf.py", &[]),
    ("server.js", &[("package.json", "{\"scripts\": {\"start\": \"node server.js\"}}")]),
    ("package.json", &[("server.js", "require('http').createServer().listen(3000)\n")]),
    ("ecosystem.config.js", &[("package.json", "{}")]),
    (".env", &[("package.json", "{}"), ("server.js", "require('http').createServer().listen(process.env.PORT)\n")]),
    // A package.json beside it: the Node loader reads the Dockerfile too (FROM node:NN, ENV).
    ("Dockerfile", &[("package.json", "{}")]),
    ("docker-compose.yml", &[]),
    ("Procfile", &[]),
    ("app.service", &[]),
    ("main.py", &[("Procfile", "web: python main.py\n")]),
    ("stacklint.toml", &[("nginx.conf", "http { server { location / { proxy_pass http://127.0.0.1:8000; } } }\n")]),
];

/// Writes `input` into `dir` (emptied first) as the kind its first byte picks, with the companions.
/// Returns the kind's file name, or `None` for an empty input.
pub fn write(dir: &Path, input: &[u8]) -> Option<&'static str> {
    let (&sel, body) = input.split_first()?;
    let (name, companions) = KINDS[sel as usize % KINDS.len()];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
    for (n, text) in companions {
        std::fs::write(dir.join(n), text).unwrap();
    }
    std::fs::write(dir.join(name), body).unwrap();
    Some(name)
}
