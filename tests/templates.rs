//! Templates are read as the configs they render to: placeholders are unknown values, never the
//! cause of a finding or a parse error; what the template does say is still checked.

use std::path::Path;
use std::process::Command;

fn lint(dir: &Path) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_stacklint"))
        .current_dir(dir)
        .args(["--format", "json", "."])
        .output()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// nginx in front of gunicorn (timeout 60 s): with `proxy_read_timeout` set to `value`.
fn stack(dir: &Path, nginx_name: &str, value: &str, pass: &str) {
    write(
        dir,
        nginx_name,
        &format!(
            "events {{}}\nhttp {{\n  server {{\n    listen 80;\n    server_name {{{{ getenv \"APP_DOMAIN\" }}}};\n    location / {{\n      proxy_read_timeout {value};\n      proxy_pass {pass};\n    }}\n  }}\n}}\n"
        ),
    );
    write(dir, "app/gunicorn.conf.py", "bind = \"127.0.0.1:8000\"\ntimeout = 60\nkeepalive = 75\n");
}

#[test]
fn a_literal_value_in_a_template_is_checked() {
    // The control: the same template with the timeout written out gives the timeout-order finding.
    let t = tempfile::tempdir().unwrap();
    stack(t.path(), "etc/nginx/nginx.conf.j2", "30s", "http://127.0.0.1:8000");
    let (code, v) = lint(t.path());
    assert_eq!(code, 1, "{v}");
    assert_eq!(codes(&v), ["SL101"], "{v}");
    assert_eq!(v["files"][1]["kind"], "nginx", "{v}");
}

#[test]
fn no_finding_and_no_error_from_a_placeholder() {
    for (value, pass) in [
        ("{{ nginx_proxy_read_timeout }}", "http://127.0.0.1:8000"),
        ("${PROXY_READ_TIMEOUT}", "http://127.0.0.1:8000"),
        ("<%= timeout %>", "http://127.0.0.1:8000"),
        // A target nobody knows yet: neither missing (SL301) nor mismatched (SL302).
        ("30s", "http://{{ backend_host }}:8000"),
        ("30s", "http://127.0.0.1:{{ app_port }}"),
    ] {
        let t = tempfile::tempdir().unwrap();
        stack(t.path(), "etc/nginx/templates/default.conf.template", value, pass);
        let (code, v) = lint(t.path());
        assert!(v["errors"].as_array().unwrap().is_empty(), "{value} {pass}: {v}");
        let c = codes(&v);
        if value == "30s" {
            assert!(!c.iter().any(|c| c == "SL301" || c == "SL302"), "{pass}: {v}");
        } else {
            assert!(c.is_empty(), "{value}: {v}");
            assert_eq!(code, 0, "{value}: {v}");
        }
    }
}

#[test]
fn control_blocks_do_not_make_a_template_unreadable() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "etc/nginx/nginx.conf.j2",
        "events {}\nhttp {\n{% for vhost in nginx_vhosts %}\n  server {\n    listen {{ vhost.listen | default('80') }};\n    {% if vhost.extra %}{{ vhost.extra }}{% endif %}\n    location / { proxy_pass http://127.0.0.1:8000; proxy_read_timeout 30s; }\n  }\n{% endfor %}\n{# a comment #}\n}\n",
    );
    write(
        t.path(),
        "docker-compose.yml.j2",
        "services:\n  app:\n    image: python:3.12\n    {% if use_gunicorn %}command: gunicorn -b 0.0.0.0:9000 --timeout 60 app:app{% else %}command: python app.py{% endif %}\nvolumes:\n  {{ project }}_data: {}\n",
    );
    write(t.path(), "app/gunicorn.conf.py", "bind = \"127.0.0.1:8000\"\ntimeout = 60\n");
    let (_, v) = lint(t.path());
    assert!(v["errors"].as_array().unwrap().is_empty(), "{v}");
    let kinds: Vec<&str> = v["files"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"compose") && kinds.contains(&"nginx"), "{kinds:?}");
    // What the template states (30 s in front of 60 s) is still found.
    assert!(codes(&v).contains(&"SL101".to_string()), "{v}");
}

#[test]
fn snippets_show_the_template_as_written() {
    let t = tempfile::tempdir().unwrap();
    stack(t.path(), "etc/nginx/nginx.conf.j2", "30s", "http://127.0.0.1:8000");
    let out = Command::new(env!("CARGO_BIN_EXE_stacklint"))
        .current_dir(t.path())
        .args(["--color", "never", "."])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("_TPL_"), "{text}");
}
