//! action.yml: a composite action whose lint step, run here with bash as GitHub would run it (with
//! the binary under test in place of the `cargo install`ed one), writes a schema-shaped SARIF file,
//! prints annotations and reports stacklint's exit code as a step output. Needs python3 with PyYAML
//! (pre-commit brings it; scripts/install-test-deps.sh installs pre-commit).

mod common;
use common::root;
use std::process::Command;

/// (step id or name -> run script, uses) from action.yml, through PyYAML.
fn steps() -> Option<serde_json::Value> {
    let script = r#"
import json, sys
try:
    import yaml
except ImportError:
    sys.exit(77)
a = yaml.safe_load(open(sys.argv[1]))
print(json.dumps(a))
"#;
    let out = Command::new("python3").args(["-c", script]).arg(root().join("action.yml")).output().ok()?;
    if !out.status.success() && out.status.code() != Some(77) {
        panic!("action.yml is not valid YAML: {}", String::from_utf8_lossy(&out.stderr));
    }
    if !out.status.success() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 with PyYAML is missing under CI=true: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("SKIPPED: python3 with PyYAML is not installed");
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn action_runs_stacklint_and_uploads_sarif() {
    let Some(action) = steps() else { return };
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    assert!(steps
        .iter()
        .any(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))));
    let install = steps.iter().find(|s| s["name"] == "Install stacklint").unwrap();
    assert!(install["run"].as_str().unwrap().contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""));
    let lint = steps.iter().find(|s| s["id"] == "lint").unwrap();
    let script = lint["run"].as_str().unwrap();

    // Every option the action passes exists.
    let help = Command::new(assert_cmd::cargo::cargo_bin("stacklint")).arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for flag in ["--fail-on", "--diff-base", "--baseline", "--format", "--output", "--color", "--statistics"] {
        assert!(script.contains(flag) && help.contains(flag), "{flag}");
    }

    // Run the step as GitHub would, on the example stack.
    let t = tempfile::tempdir().unwrap();
    let bin_dir = t.path().join("stacklint/bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("stacklint"), bin_dir.join("stacklint")).unwrap();
    let output = t.path().join("github_output");
    let sarif = t.path().join("out.sarif");
    let out = Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(root().join("fixtures/stacks/flask-behind-nginx"))
        .env("RUNNER_TEMP", t.path())
        .env("GITHUB_OUTPUT", &output)
        .env("STACKLINT_PATHS", "etc app deploy")
        .env("STACKLINT_FAIL_ON", "warning")
        .env("STACKLINT_DIFF_BASE", "")
        .env("STACKLINT_BASELINE", "")
        .env("STACKLINT_ARGS", "--nginx-version 1.30.0")
        .env("STACKLINT_SARIF", &sarif)
        .env("STACKLINT_ANNOTATIONS", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the step itself succeeds: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&output).unwrap().trim(), "exit-code=1");
    assert!(stdout.contains("::warning file=etc/nginx/conf.d/shop.conf,line=21,"), "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 4);
}
