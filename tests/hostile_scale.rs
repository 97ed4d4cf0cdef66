//! Hostile input that used to cost exponential or quadratic time and memory (issue 12, items 5
//! and 6), built in a temp dir at sizes a debug build lints in well under a second. The assertions
//! are on structure (errors, edge and candidate counts, output size), never on wall time: timings
//! are in `scripts/bench_scale.sh` and the README's "Scale" section.

use assert_cmd::Command;
use serde_json::Value;
use stacklint::engine::{lint, Outcome};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn run(dir: &Path) -> Outcome {
    lint(&[dir.to_path_buf()], &Default::default()).unwrap()
}

fn json(dir: &Path) -> (i32, Value) {
    let out = Command::cargo_bin("stacklint").unwrap().arg("--format").arg("json").arg(dir).output().unwrap();
    (out.status.code().unwrap(), serde_json::from_slice(&out.stdout).unwrap())
}

// ---- item 5: includes that multiply ------------------------------------------------------------

/// 28 files of a few bytes, each including the next twice: 2^27 directives once expanded.
fn include_chain(dir: &Path, levels: usize) {
    write(dir, "nginx.conf", "events {}\nhttp {\n    include l01.conf;\n    include l01.conf;\n}\n");
    for i in 1..levels {
        let body = if i + 1 < levels {
            format!("include l{:02}.conf;\ninclude l{:02}.conf;\n", i + 1, i + 1)
        } else {
            "keepalive_timeout 65s;\n".to_string()
        };
        write(dir, &format!("l{i:02}.conf"), &body);
    }
}

#[test]
fn an_include_chain_that_doubles_is_an_error_naming_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    include_chain(dir.path(), 28);
    let (code, out) = json(dir.path());
    assert_eq!(code, 2, "{out}");
    let errors = out["errors"].as_array().unwrap();
    let expand: Vec<&Value> =
        errors.iter().filter(|e| e["message"].as_str().unwrap().contains("includes expand too far")).collect();
    assert_eq!(expand.len(), 1, "{errors:?}");
    let e = expand[0];
    // At the first `include l01.conf;` of nginx.conf.
    assert!(e["file"].as_str().unwrap().ends_with("nginx.conf"), "{e}");
    assert_eq!((e["line"].as_u64(), e["column"].as_u64()), (Some(3), Some(5)), "{e}");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("stands for 67108864 directives"), "{msg}");
    let chain: Vec<String> = (1..28).map(|i| format!("l{i:02}.conf")).collect();
    let mut at = msg.find("nginx.conf ->").expect(msg);
    for f in &chain {
        at += msg[at..].find(f.as_str()).unwrap_or_else(|| panic!("{f} missing from the chain: {msg}"));
    }
    assert!(msg.contains("l02.conf (2 times)"), "{msg}");
    assert!(msg.contains("1 more include of this file is not followed either"), "{msg}");
    // Nothing else went wrong: the rest of the tree is linted as usual.
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn a_glob_including_its_own_directory_five_times_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "nginx.conf", "events {}\nhttp {\n    include c/*.conf;\n}\n");
    for i in 0..30 {
        write(dir.path(), &format!("c/{i:02}.conf"), &"include c/*.conf;\n".repeat(5));
    }
    let out = run(dir.path());
    let expand: Vec<_> = out.errors.iter().filter(|e| e.message.contains("includes expand too far")).collect();
    assert_eq!(expand.len(), 1, "{:?}", out.errors);
    let msg = &expand[0].message;
    assert!(msg.contains("more than 2^62"), "{msg}");
    assert!(msg.contains("c/00.conf -> ") && msg.contains("c/29.conf (5 times)"), "{msg}");
    let loc = out.map.location(expand[0].span.unwrap()).unwrap();
    assert!(loc.file.ends_with("nginx.conf") && loc.line == 3, "{loc:?}");
    // Each file includes itself and those it is included from: cycles, one error per file (was
    // one per include and file matched, each naming a chain up to 30 files long: cubic output).
    let cycles: Vec<_> = out.errors.iter().filter(|e| e.message.starts_with("include cycle")).collect();
    assert_eq!(cycles.len(), 30, "{cycles:?}");
    assert!(
        cycles.iter().any(|e| e.message.ends_with("(149 more includes in this file close a cycle too)")),
        "{cycles:?}"
    );
    assert_eq!(out.errors.len(), 31);
}

#[test]
fn a_snippet_included_by_every_location_is_not_an_expansion_error() {
    // 2,000 locations each including a 20-line snippet: 40,000 directives expanded, far more
    // than the 2,000 includes read, but nothing multiplies.
    let dir = tempfile::tempdir().unwrap();
    let mut conf = String::from("events {}\nhttp {\n    server {\n        listen 80;\n");
    for i in 0..2_000 {
        conf.push_str(&format!(
            "        location /p{i} {{ include snippet.conf; proxy_pass http://127.0.0.1:8000; }}\n"
        ));
    }
    conf.push_str("    }\n}\n");
    write(dir.path(), "nginx.conf", &conf);
    write(dir.path(), "snippet.conf", &"proxy_set_header X-A $host;\n".repeat(20));
    let out = run(dir.path());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.stack.routes.len(), 2_000);
}

#[test]
fn the_expansion_budget_is_shared_by_every_main_file() {
    // One 2^19 file (524,288 directives, under the limit on its own) included by forty fragments
    // that nothing includes: each fits, together they would not.
    let dir = tempfile::tempdir().unwrap();
    for i in 1..20 {
        write(dir.path(), &format!("inc/l{i:02}.conf"), &format!("include inc/l{:02}.conf;\n", i + 1).repeat(2));
    }
    write(dir.path(), "inc/l20.conf", "keepalive_timeout 65s;\n");
    for i in 0..40 {
        write(dir.path(), &format!("conf.d/site{i:02}.conf"), "server { listen 80; include inc/l01.conf; }\n");
    }
    let out = run(dir.path());
    let expand = out.errors.iter().filter(|e| e.message.contains("includes expand too far")).count();
    assert!(expand >= 38, "{:?}", out.errors);
}

// ---- item 6: many vhosts on one wildcard port --------------------------------------------------

/// `n` vhosts on `listen 80`, each sending to its own backend address on port 80.
fn vhosts(dir: &Path, n: usize) {
    let mut conf = String::from("events {}\nhttp {\n");
    for i in 0..n {
        conf.push_str(&format!(
            "    server {{ listen 80; location / {{ proxy_pass http://10.0.{}.{}:80; }} }}\n",
            i >> 8 & 255,
            i & 255
        ));
    }
    conf.push_str("}\n");
    write(dir, "nginx.conf", &conf);
}

#[test]
fn vhosts_on_a_wildcard_port_share_one_candidate_set() {
    const N: usize = 2_000;
    let dir = tempfile::tempdir().unwrap();
    vhosts(dir.path(), N);
    let out = run(dir.path());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let s = &out.stack;
    assert_eq!((s.servers.len(), s.listeners.len(), s.routes.len()), (N, N, N));
    // The N listeners on *:80 are one bind; no target is joined to any one of them.
    assert_eq!(s.binds.len(), 1);
    assert_eq!(s.binds[0].listeners.len(), N);
    assert!(s.edges().is_empty());
    let mut candidate_refs = 0;
    for t in s.all_targets() {
        assert!(t.reaches.is_empty());
        let c = t.candidates.as_ref().expect("an address several servers may own");
        assert_eq!(c.binds, vec![0]);
        assert_eq!(s.candidate_count(c), N - 1);
        candidate_refs += c.binds.len();
    }
    assert_eq!(candidate_refs, N, "O(N) candidate references, not N x N edges");
    // Every vhost is still reached (as a candidate): none is taken for an entry point.
    assert!(s.reached_listeners().iter().all(|r| *r));
    // No finding: a target that several servers may own is not judged against any one of them.
    assert!(out.findings.is_empty(), "{:?}", out.findings.iter().map(|f| &f.message).collect::<Vec<_>>());

    // `stacklint graph` prints the shared set once: one line per vhost in it, and one line per
    // target pointing at it (was 149 MB for 2,000 vhosts).
    let graph = stacklint::graph::print::render(s, &out.map);
    assert!(graph.len() < N * 1_000, "graph output is {} bytes", graph.len());
    assert_eq!(graph.matches("(see shared listeners)").count(), N);
    assert_eq!(graph.matches("[shared #1] *:80: 2000 servers").count(), 1, "{}", &graph[graph.len() - 500..]);
}

#[test]
fn a_wildcard_port_one_other_server_listens_on_is_still_an_edge() {
    // The tree leaves only one server that can own 10.0.0.9:80: the edge stays, and so do the
    // rules (the proxy's 30 s is shorter than the 60 s the other server waits).
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "nginx.conf",
        "events {}\nhttp {\n\
         server { listen 8080; location / { proxy_read_timeout 30s; proxy_pass http://10.0.0.9:80; } }\n\
         server { listen 80; location / { proxy_read_timeout 60s; proxy_pass http://127.0.0.1:9000; } }\n\
         server { listen 127.0.0.1:9000; location / { proxy_read_timeout 90s; proxy_pass http://10.0.0.8:7000; } }\n\
         }\n",
    );
    let out = run(dir.path());
    let edges = out.stack.edges();
    assert_eq!(edges.len(), 2);
    assert!(edges.iter().all(|e| e.target.candidates.is_none()));
    let sl101: Vec<_> = out.findings.iter().filter(|f| f.code == "SL101").collect();
    assert_eq!(sl101.len(), 2, "{:?}", out.findings.iter().map(|f| &f.message).collect::<Vec<_>>());
}

#[test]
fn vhosts_on_one_socket_are_one_bind_too() {
    // 1,000 vhosts on 127.0.0.1:8080, each sending to 127.0.0.1:8080 (another vhost of the
    // same socket): one bind, N candidate references, no N x N edges.
    const N: usize = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let mut conf = String::from("events {}\nhttp {\n");
    for i in 0..N {
        conf.push_str(&format!(
            "    server {{ listen 127.0.0.1:8080; server_name s{i}; location / {{ proxy_pass http://127.0.0.1:8080; }} }}\n"
        ));
    }
    conf.push_str("}\n");
    write(dir.path(), "nginx.conf", &conf);
    let out = run(dir.path());
    assert_eq!(out.stack.binds.len(), 1);
    assert!(out.stack.edges().is_empty());
    assert_eq!(out.stack.all_targets().filter(|t| t.candidates.is_some()).count(), N);
}

// ---- many findings ------------------------------------------------------------------------------

#[test]
fn ten_thousand_findings_from_linear_edges() {
    // Every three locations: two timeout-order findings, one invalid value, one missing upstream
    // (the shape of `benches/gen_hostile.py findings`).
    const N: usize = 7_500;
    let dir = tempfile::tempdir().unwrap();
    let mut conf = String::from("events {}\nhttp {\n    server {\n        listen 80;\n");
    for i in 0..N {
        let body = match i % 3 {
            0 => "proxy_read_timeout 30s; proxy_pass http://127.0.0.1:8000;".to_string(),
            1 => "proxy_read_timeout 30s; proxy_connect_timeout 1.5s; proxy_pass http://127.0.0.1:8000;".to_string(),
            _ => format!("proxy_pass http://missing{i};"),
        };
        conf.push_str(&format!("        location /p{i} {{ {body} }}\n"));
    }
    conf.push_str("    }\n}\n");
    write(dir.path(), "nginx.conf", &conf);
    write(dir.path(), "gunicorn.conf.py", "bind = \"127.0.0.1:8000\"\ntimeout = 60\n");
    let out = run(dir.path());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.stack.edges().len(), N / 3 * 2);
    let count = |code: &str| out.findings.iter().filter(|f| f.code == code).count();
    assert_eq!((count("SL101"), count("SL401"), count("SL301")), (N / 3 * 2, N / 3, N / 3));
    assert_eq!(out.findings.len(), 10_000);
}
