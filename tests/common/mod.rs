//! Helpers shared by the integration tests (`mod common;` in each test crate that needs them).
#![allow(dead_code)] // each test crate uses its own subset

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A tool the tests need: present, or (outside CI) a skip; under CI=true a missing tool fails.
pub fn tool(name: &str) -> bool {
    let ok = std::process::Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is missing under CI=true (scripts/install-test-deps.sh installs it)"
        );
        eprintln!("SKIPPED: {name} is not installed (scripts/install-test-deps.sh installs it)");
    }
    ok
}
