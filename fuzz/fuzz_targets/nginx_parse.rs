//! The nginx parser on arbitrary bytes (invalid UTF-8 is replaced as when loading a file): it
//! must return a tree or a clean error, never panic; the crossplane payload is built too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stacklint::source::SourceMapBuilder;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let map = SourceMapBuilder::new();
    let sf = map.add(Path::new("fuzz.conf"), "fuzz.conf".into(), data.to_vec());
    let _ = stacklint::nginx::parser::parse(&sf);
    let _ = stacklint::nginx::looks_like_nginx(&sf.text);
});
