//! CDN range files end to end: `--cdn-ranges`, `[edge] cdn_ranges`, malformed lines (load errors
//! with file:line while the rest is still read), an edge with no bundled data, the bundled data's
//! provenance headers.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn lint(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("stacklint")
        .unwrap()
        .current_dir(dir)
        .args(["--format", "json"])
        .args(args)
        .arg(".")
        .output()
        .unwrap();
    (out.status.code().unwrap(), serde_json::from_slice(&out.stdout).unwrap())
}

fn rules(v: &Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

const NGINX: &str = "events {}\nhttp {\n  keepalive_timeout 930s;\n  server {\n    listen 80;\n    set_real_ip_from 130.176.0.0/17;\n    real_ip_header X-Forwarded-For;\n    location / { root /srv; }\n  }\n}\n";

#[test]
fn cloudfront_has_no_bundled_data_so_nothing_is_checked() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("nginx.conf"), NGINX).unwrap();
    std::fs::write(d.path().join("stacklint.toml"), "edge = \"cloudfront\"\n").unwrap();
    let (code, v) = lint(d.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert!(rules(&v).is_empty());
}

#[test]
fn user_file_from_toml_and_flag() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("nginx.conf"), NGINX).unwrap();
    std::fs::write(d.path().join("cf.txt"), "# CloudFront, taken 2026-11\n130.176.0.0/17\n2600:9000::/28\n").unwrap();
    std::fs::write(d.path().join("stacklint.toml"), "[edge]\nprovider = \"cloudfront\"\ncdn_ranges = \"cf.txt\"\n")
        .unwrap();
    let (code, v) = lint(d.path(), &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(rules(&v), ["SL501"]);
    assert!(v["findings"][0]["message"].as_str().unwrap().contains("2600:9000::/28"));
    // The ranges file is not listed as a config file.
    assert!(!v["files"].to_string().contains("cf.txt"), "{}", v["files"]);
    // --cdn-ranges wins over the toml.
    std::fs::write(d.path().join("full.txt"), "130.176.0.0/16\n").unwrap();
    let (code, v) = lint(d.path(), &["--cdn-ranges", "full.txt"]);
    assert_eq!(rules(&v), ["SL501"], "{v}");
    assert!(v["findings"][0]["message"].as_str().unwrap().contains("130.176.128.0/17"));
    assert_eq!(code, 1);
}

#[test]
fn malformed_lines_are_load_errors_with_line_and_the_rest_is_read() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("nginx.conf"), NGINX).unwrap();
    std::fs::write(d.path().join("stacklint.toml"), "edge = \"cloudfront\"\n").unwrap();
    std::fs::write(d.path().join("r.txt"), "130.176.0.0/17\n130.176.128.0/33\n2600:9000::/28\n").unwrap();
    let (code, v) = lint(d.path(), &["--cdn-ranges", "r.txt"]);
    assert_eq!(code, 2);
    let errs = v["errors"].as_array().unwrap();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0]["line"], 2, "{errs:?}");
    assert!(errs[0]["message"].as_str().unwrap().contains("130.176.128.0/33"));
    // Line 3 was still read: the IPv6 range is reported missing.
    assert!(v["findings"][0]["message"].as_str().unwrap().contains("2600:9000::/28"), "{v}");
}

#[test]
fn unknown_edge_keys_stay_errors() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("nginx.conf"), NGINX).unwrap();
    std::fs::write(d.path().join("stacklint.toml"), "[edge]\nprovider = \"cloudflare\"\ncdn_range = \"x\"\n").unwrap();
    let (code, v) = lint(d.path(), &[]);
    assert_eq!(code, 2);
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("cdn_range"));
}
