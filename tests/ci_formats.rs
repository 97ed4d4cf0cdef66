//! The CI output formats end to end: SARIF validated against the official SARIF 2.1.0 schema
//! (fixtures/schemas/sarif-2.1.0.json, with `check-jsonschema`), GitHub workflow commands and
//! their escaping, JUnit XML (parsed by Python's XML parser), GitLab Code Quality.

mod common;
use assert_cmd::Command;
use common::{root, tool};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    root().join("fixtures/stacks/flask-behind-nginx")
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("stacklint").unwrap().current_dir(dir).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

/// Validates a SARIF document against the official schema; returns the validator's complaint.
fn schema_errors(sarif: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.sarif");
    std::fs::write(&file, sarif).unwrap();
    // The schema's `language` pattern is not valid ECMA-262 in unicode mode; Python's regex
    // dialect reads it as intended.
    let out = std::process::Command::new("check-jsonschema")
        .args(["--regex-variant", "python", "--schemafile"])
        .arg(root().join("fixtures/schemas/sarif-2.1.0.json"))
        .arg(&file)
        .output()
        .unwrap();
    (!out.status.success())
        .then(|| format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Stacks that exercise every part of the SARIF log: cross-file findings, load errors, a clean run,
/// file names that need percent-encoding.
fn sarif_cases() -> Vec<(String, tempfile::TempDir)> {
    let mut cases = Vec::new();
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("my stack/ünïcode");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("nginx.conf"), "events {}\nhttp { server { listen 80; location / { proxy_read_timeout 30s; proxy_pass http://127.0.0.1:8000; } } }\n").unwrap();
    std::fs::write(d.join("gunicorn.conf.py"), "bind = \"127.0.0.1:8000\"\ntimeout = 60\n").unwrap();
    std::fs::write(d.join("envoy.yaml"), "static_resources:\n  listeners: [\n").unwrap();
    cases.push(("special names and a load error".to_string(), t));
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("nginx.conf"), "events {}\nhttp { server { listen 80; } }\n").unwrap();
    cases.push(("clean".to_string(), t));
    cases
}

#[test]
fn sarif_validates_against_the_official_schema() {
    if !tool("check-jsonschema") {
        return;
    }
    let (code, sarif) = run(&example(), &["--format", "sarif", "."]);
    assert_eq!(code, 1);
    if let Some(e) = schema_errors(&sarif) {
        panic!("flask-behind-nginx: SARIF does not validate:\n{e}\n{sarif}");
    }
    for (name, dir) in sarif_cases() {
        let (_, sarif) = run(dir.path(), &["--format", "sarif", "."]);
        if let Some(e) = schema_errors(&sarif) {
            panic!("{name}: SARIF does not validate:\n{e}\n{sarif}");
        }
    }
    // The validator does reject what the schema forbids.
    let mut v: Value = serde_json::from_str(&sarif).unwrap();
    v["runs"][0]["results"] = serde_json::json!([{"ruleId": "SL101", "level": "fatal", "message": {"text": "x"}}]);
    assert!(schema_errors(&v.to_string()).is_some(), "a wrong level must not validate");
}

#[test]
fn sarif_carries_rule_metadata_and_related_locations() {
    let (_, sarif) = run(&example(), &["--format", "sarif", "."]);
    let v: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let (_, table) = run(&root(), &["rules"]);
    assert_eq!(rules.len(), table.lines().count() - 1, "every registered rule is described");
    for r in rules {
        let id = r["id"].as_str().unwrap();
        let name = r["name"].as_str().unwrap();
        assert!(r["help"]["markdown"].as_str().unwrap().starts_with(&format!("# {id} {name}")));
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert!(["error", "warning", "note"].contains(&r["defaultConfiguration"]["level"].as_str().unwrap()));
    }
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let sl101 = results.iter().find(|r| r["ruleId"] == "SL101").unwrap();
    assert_eq!(rules[sl101["ruleIndex"].as_u64().unwrap() as usize]["id"], "SL101");
    assert_eq!(sl101["level"], "warning");
    let loc = &sl101["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "etc/nginx/conf.d/shop.conf");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "SRCROOT");
    assert_eq!(loc["region"]["startLine"], 21);
    let related = sl101["relatedLocations"].as_array().unwrap();
    assert!(
        related.iter().any(|r| r["physicalLocation"]["artifactLocation"]["uri"] == "app/gunicorn.conf.py"
            && r["physicalLocation"]["region"]["startLine"] == 8),
        "{related:?}"
    );
    let base = run0["originalUriBaseIds"]["SRCROOT"]["uri"].as_str().unwrap();
    assert!(base.starts_with("file:///") && base.ends_with('/'), "{base}");
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn sarif_reports_load_errors_as_notifications_and_encodes_uris() {
    let (_, dir) = sarif_cases().remove(0);
    let (code, sarif) = run(dir.path(), &["--format", "sarif", "."]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let n = &inv["toolExecutionNotifications"][0];
    assert_eq!(n["level"], "error");
    assert_eq!(
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "my%20stack/%C3%BCn%C3%AFcode/envoy.yaml"
    );
    let uri =
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("my%20stack/"), "{uri}");
}

#[test]
fn github_annotations() {
    let (code, text) = run(&example(), &["--format", "github", "."]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "one workflow command per finding:\n{text}");
    let sl101 = lines.iter().find(|l| l.contains("title=SL101 timeout-order::")).unwrap();
    assert!(
        sl101.starts_with("::warning file=etc/nginx/conf.d/shop.conf,line=21,col=9,endLine=21,endColumn="),
        "{sl101}"
    );
    // Multi-line messages are escaped, and list the labels in other files.
    assert!(sl101.contains("%0Aapp/gunicorn.conf.py:8: gunicorn processing timeout: 60 s"), "{sl101}");
    assert!(!sl101.contains('\r'));
    assert!(lines.iter().any(|l| l.starts_with("::error file=etc/nginx/conf.d/shop.conf,line=30,")
        && l.contains("title=SL301 missing-upstream::")));

    // Property values escape `,` and `:`; load errors are ::error too.
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("a,b:c")).unwrap();
    std::fs::write(t.path().join("a,b:c/envoy.yaml"), "static_resources:\n  listeners: [\n").unwrap();
    let (code, text) = run(t.path(), &["--format", "github", "."]);
    assert_eq!(code, 2);
    assert!(text.starts_with("::error file=a%2Cb%3Ac/envoy.yaml,line=3,"), "{text}");
}

#[test]
fn junit_is_well_formed_xml_with_a_failure_per_finding() {
    let (code, xml) = run(&example(), &["--format", "junit", "."]);
    assert_eq!(code, 1);
    let check = r#"
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
suites = root.findall("testsuite")
assert len(suites) == 1, suites
s = suites[0]
cases = s.findall("testcase")
failures = [c for c in cases if c.find("failure") is not None]
assert int(s.get("tests")) == len(cases), (s.get("tests"), len(cases))
assert int(s.get("failures")) == len(failures) == 4, s.get("failures")
f = [c for c in failures if c.get("classname") == "stacklint.SL101"][0]
assert f.get("file") == "etc/nginx/conf.d/shop.conf" and f.get("line") == "21", f.attrib
assert "app/gunicorn.conf.py:8" in f.find("failure").text
print("ok")
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", check])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(xml.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{}\n{xml}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn gitlab_code_quality() {
    let (code, text) = run(&example(), &["--format", "gitlab", "."]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&text).unwrap();
    let issues = v.as_array().unwrap();
    assert_eq!(issues.len(), 4);
    for i in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[key].is_string(), "{key} in {i}");
        }
        assert!(i["location"]["path"].as_str().unwrap().starts_with("etc/"));
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() > 0);
    }
    let fps: std::collections::HashSet<&str> = issues.iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
    assert_eq!(fps.len(), 4, "fingerprints are unique");
}

#[test]
fn output_file_and_statistics() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("report.sarif");
    let out = Command::cargo_bin("stacklint")
        .unwrap()
        .current_dir(example())
        .args(["--format", "sarif", "-o"])
        .arg(&file)
        .arg(".")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 4);

    let (_, text) = run(&example(), &["--statistics", "."]);
    assert!(text.contains("    1  SL101  timeout-order"), "{text}");
    assert!(!text.contains("╭─["), "--statistics replaces the snippets: {text}");
    assert!(text.trim_end().ends_with("in 4 files"), "{text}");
    let (_, text) = run(&example(), &["--quiet", "."]);
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, text) = run(&root(), &["completions", shell]);
        assert_eq!(code, 0);
        assert!(text.contains("diff-base") && text.contains("changed-only") && text.contains("sarif"), "{shell}");
    }
    let (code, man) = run(&root(), &["man"]);
    assert_eq!(code, 0);
    assert!(man.contains(".TH stacklint") && man.contains("fail\\-on"), "{}", &man[..200.min(man.len())]);
}
