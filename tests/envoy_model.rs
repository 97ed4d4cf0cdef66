//! The Envoy model: JSON and YAML give the same graph, defaults and their origins, the forms
//! Envoy accepts, malformed input as clean errors, discovery that never takes other YAML.

use stacklint::discover::{classify, Kind};
use stacklint::duration::Origin;
use stacklint::engine::{lint, Options, Outcome};
use stacklint::graph::{Endpoint, HopTarget, Host, KeepAlive, ProblemKind};
use std::path::{Path, PathBuf};

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/envoy").join(p)
}

/// Lints files written to a temporary directory.
fn lint_files(files: &[(&str, &str)]) -> (tempfile::TempDir, Outcome) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = lint(&[dir.path().to_path_buf()], &Options::default()).unwrap();
    (dir, out)
}

/// A comparable description of the graph: values and where they come from, not file positions.
fn describe(out: &Outcome) -> Vec<String> {
    let s = &out.stack;
    let mut v = Vec::new();
    let origin = |o: &Origin| match o {
        Origin::Explicit(_) => "explicit".to_string(),
        Origin::Inherited(_) => "inherited".into(),
        Origin::Default(f) => format!("default {}", f.setting),
        Origin::Declared { what, .. } => what.clone(),
    };
    for srv in &s.servers {
        let name = srv.name.split(" (").next().unwrap().to_string();
        let ka = match &srv.keepalive {
            Some(KeepAlive::Idle(t)) => format!("{:?} {}", t.ms, origin(&t.origin)),
            other => format!("{other:?}"),
        };
        let work = srv.work_timeout.as_ref().map(|t| format!("{:?} {}", t.ms, origin(&t.origin)));
        let listen: Vec<String> = srv.listeners.iter().map(|l| s.listeners[*l].endpoint.to_string()).collect();
        v.push(format!("server {name} {:?} listen {listen:?} ka {ka} work {work:?} notes {:?}", srv.role, srv.notes));
    }
    for r in &s.routes {
        let target = match &r.hop.target {
            HopTarget::Group(g) => {
                let g = &s.groups[*g];
                let pool = g.pool.as_ref().map(|p| format!("{:?} {}", p.idle.ms, origin(&p.idle.origin)));
                let ts: Vec<String> = g.targets.iter().map(|t| t.endpoint.to_string()).collect();
                format!("group {} {ts:?} pool {pool:?}", g.name)
            }
            other => format!("{other:?}"),
        };
        let c = r.hop.connect_timeout.as_ref().map(|t| format!("{:?} {}", t.ms, origin(&t.origin)));
        v.push(format!(
            "route {} -> {} read {:?} {} ({}) connect {c:?} target {target}",
            r.name,
            r.hop.target_text,
            r.hop.read_timeout.ms,
            origin(&r.hop.read_timeout.origin),
            r.hop.read_semantics
        ));
    }
    v
}

#[test]
fn json_and_yaml_give_the_same_graph() {
    let y = lint(&[fixture("json-vs-yaml/envoy.yaml")], &Options::default()).unwrap();
    let j = lint(&[fixture("json-vs-yaml/envoy.json")], &Options::default()).unwrap();
    assert!(y.errors.is_empty() && j.errors.is_empty());
    let (dy, dj) = (describe(&y), describe(&j));
    assert_eq!(dy, dj);
    assert_eq!(dy.len(), 2 + 5, "{dy:#?}");
    // Spans in the JSON file are exact too.
    for r in &j.stack.routes {
        if let HopTarget::Group(_) = r.hop.target {
            assert_eq!(j.map.slice(r.hop.target_span), format!("\"{}\"", r.hop.target_text));
        }
    }
}

#[test]
fn values_defaults_and_forms() {
    let out = lint(&[fixture("json-vs-yaml/envoy.yaml")], &Options::default()).unwrap();
    let s = &out.stack;
    let route = |name: &str| s.routes.iter().find(|r| r.name.starts_with(name)).unwrap_or_else(|| panic!("{name}"));
    // 0.250s, explicit.
    let api = route("route prefix \"/api/\"");
    assert_eq!(api.hop.read_timeout.ms, Some(250));
    assert_eq!(out.map.slice(api.hop.read_timeout.origin.span().unwrap()), "timeout: 0.250s");
    assert_eq!(api.hop.connect_timeout.as_ref().unwrap().ms, Some(2_000));
    // `timeout: 0s` disables the route timeout: the stream idle timeout (120 s) bounds the wait.
    let slow = route("route path \"/slow\"");
    assert_eq!(slow.hop.read_timeout.ms, Some(120_000));
    assert!(slow.hop.read_semantics.contains("inactivity"));
    // Unset: 15 s default with its source.
    let split = route("route prefix \"/split\"");
    match &split.hop.read_timeout.origin {
        Origin::Default(f) => {
            assert_eq!(f.value_ms, Some(15_000));
            assert!(f.source.contains("route_components.proto"));
        }
        o => panic!("{o:?}"),
    }
    // {seconds, nanos}.
    assert_eq!(route("route prefix \"/\"").hop.read_timeout.ms, Some(20_500));
    // Weighted clusters: one route per cluster.
    assert_eq!(s.routes.iter().filter(|r| r.name.starts_with("route prefix \"/split\"")).count(), 2);
    let group = |n: &str| s.groups.iter().find(|g| g.name == n).unwrap();
    // Typed HttpProtocolOptions idle 30 s; deprecated cluster-level `0s` = never closes idle;
    // max_requests_per_connection 1 = no pool; legacy `hosts`; pipe endpoints.
    assert_eq!(group("api").pool.as_ref().unwrap().idle.ms, Some(30_000));
    assert!(group("api").resolves);
    assert_eq!(group("canary").pool.as_ref().unwrap().idle.ms, None);
    assert_eq!(group("canary").targets[0].endpoint, Endpoint::tcp(Host::Loopback, 8001));
    assert!(group("web").pool.is_none());
    assert_eq!(group("web").targets[0].endpoint, Endpoint::Unix("/run/web.sock".into()));
    // The public listener: HCM idle 90 s; works at most as long as its longest route (120 s).
    let public = s.servers.iter().find(|x| x.name.starts_with("listener public")).unwrap();
    match &public.keepalive {
        Some(KeepAlive::Idle(t)) => assert_eq!(t.ms, Some(90_000)),
        k => panic!("{k:?}"),
    }
    assert_eq!(public.work_timeout.as_ref().unwrap().ms, Some(120_000));
    // RDS: noted, nothing checked, no error.
    let internal = s.servers.iter().find(|x| x.name.starts_with("listener internal")).unwrap();
    assert!(internal.notes.iter().any(|n| n.contains("RDS")));
    assert_eq!(s.listeners[internal.listeners[0]].endpoint, Endpoint::Unix("/run/envoy/internal.sock".into()));
}

const MINI: &str = r#"static_resources:
  listeners:
  - name: l
    address: {socket_address: {address: 0.0.0.0, port_value: 80}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          route_config:
            virtual_hosts:
            - name: v
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: c, timeout: TIMEOUT}
  clusters:
  - name: c
    connect_timeout: CONNECT
    load_assignment:
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8000}}}
"#;

#[test]
fn malformed_durations_are_invalid_values() {
    for (timeout, connect, bad) in [
        ("15s", "1s", 0),
        ("\"0.5s\"", "{seconds: 1, nanos: 5}", 0),
        ("15", "1s", 1),
        ("1m", "250ms", 2),
        ("-1s", "1.5.5s", 2),
        ("1.0000000001s", "1h", 2),
        ("{seconds: 1, minutes: 2}", "true", 2),
    ] {
        let text = MINI.replace("TIMEOUT", timeout).replace("CONNECT", connect);
        let (_d, out) = lint_files(&[("envoy.yaml", &text)]);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let problems: Vec<_> = out.stack.problems.iter().filter(|p| p.kind == ProblemKind::InvalidValue).collect();
        assert_eq!(problems.len(), bad, "{timeout} / {connect}: {problems:?}");
        for p in problems {
            let t = out.map.slice(p.span);
            assert!(t == timeout || t == connect, "span {t:?}");
        }
        assert!(out.findings.iter().filter(|f| f.code == "SL401").count() == bad);
    }
}

#[test]
fn non_ascii_text_keeps_exact_spans() {
    let text = format!(
        "# Prüfung: 日本語 コメント 🚀\n{}",
        MINI.replace("TIMEOUT", "\"7s\"")
            .replace("CONNECT", "2s # zwei Sekunden — ok")
            .replace("name: v", "name: \"vë\"")
    );
    let (_d, out) = lint_files(&[("envoy.yaml", &text)]);
    assert!(out.errors.is_empty());
    let r = &out.stack.routes[0];
    assert_eq!(out.map.slice(r.hop.target_span), "c");
    assert_eq!(out.map.slice(r.hop.span), "cluster: c");
    assert_eq!(out.map.slice(r.hop.read_timeout.origin.span().unwrap()), "timeout: \"7s\"");
    assert_eq!(out.map.slice(r.hop.connect_timeout.as_ref().unwrap().origin.span().unwrap()), "connect_timeout: 2s");
    let loc = out.map.location(r.hop.span).unwrap();
    assert_eq!(loc.line, 17);
    assert!(r.name.contains("vë"));
}

#[test]
fn garbage_and_truncated_input_is_a_clean_error() {
    for (text, line) in [
        ("static_resources:\n  listeners: [\n", 3),
        ("static_resources:\n  clusters:\n  - name: a\n   bad: [x\n", 4),
        ("static_resources: {\"listeners\": [1, 2}\n", 1),
        ("static_resources:\n  a: 1\n  a: 2\n", 3),
        ("static_resources:\n\t- x\n", 2),
    ] {
        let (_d, out) = lint_files(&[("envoy.yaml", text)]);
        assert_eq!(out.errors.len(), 1, "{text:?}: {:?}", out.errors);
        let e = &out.errors[0];
        let loc = out.map.location(e.span.unwrap()).unwrap();
        assert!(e.message.contains("envoy.yaml:"), "{}", e.message);
        assert!(loc.line <= line + 1, "{text:?}: {loc:?} {}", e.message);
    }
    let (_d, out) = lint_files(&[("envoy.json", "{\"static_resources\": {\"clusters\": [")]);
    assert_eq!(out.errors.len(), 1);
    assert!(out.errors[0].message.contains("invalid JSON"));
    // Truncating a real config anywhere never panics.
    let text = std::fs::read_to_string(fixture("json-vs-yaml/envoy.yaml")).unwrap();
    let b = stacklint::source::SourceMapBuilder::new();
    for cut in (0..text.len()).step_by(7) {
        let f = b.add(Path::new(&format!("cut{cut}")), "x".into(), text.as_bytes()[..cut].to_vec());
        if let Ok(root) = stacklint::envoy::yaml::parse(&f) {
            if let Some(k) = stacklint::envoy::config::kind_of(&root) {
                let _ = stacklint::envoy::config::read(f.clone(), &root, k);
            }
        }
    }
    // Binary noise in an envoy.yaml: an error or nothing, never a panic.
    let noise: Vec<u8> = (0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("envoy.yaml"), noise).unwrap();
    let _ = lint(&[dir.path().to_path_buf()], &Options::default()).unwrap();
}

#[test]
fn route_to_undefined_cluster_and_open_cds() {
    let text = MINI.replace("TIMEOUT", "5s").replace("CONNECT", "1s").replace("cluster: c,", "cluster: cc,");
    let (_d, out) = lint_files(&[("envoy.yaml", &text)]);
    match &out.stack.routes[0].hop.target {
        HopTarget::Missing { name, why } => {
            assert_eq!(name, "cc");
            assert!(why.contains("did you mean `c`"), "{why}");
        }
        t => panic!("{t:?}"),
    }
    assert!(out.findings.iter().any(|f| f.code == "SL301"));
    // With CDS from a control plane, an unknown cluster may arrive later: not a finding.
    let open = format!("dynamic_resources:\n  cds_config: {{ads: {{}}}}\n{text}");
    let (_d, out) = lint_files(&[("envoy.yaml", &open)]);
    assert!(matches!(out.stack.routes[0].hop.target, HopTarget::Dynamic { .. }));
    assert!(out.findings.is_empty(), "{:?}", out.findings);
}

#[test]
fn merge_keys_are_followed() {
    let text = MINI
        .replace("TIMEOUT", "5s")
        .replace("CONNECT", "1s")
        .replace(
            "  clusters:\n  - name: c\n",
            "  clusters:\n  - &base\n    name: c\n    connect_timeout: 3s\n  - <<: *base\n    name: d\n",
        )
        .replace("    connect_timeout: 1s\n    load_assignment", "    load_assignment");
    let (_d, out) = lint_files(&[("envoy.yaml", &text)]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let d = out.stack.groups.iter().find(|g| g.name == "d");
    assert!(d.is_some(), "{:?}", out.stack.groups);
}

#[test]
fn discovery_takes_envoy_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, Option<Kind>)] = &[
        ("envoy.yaml", "static_resources: {}\n", Some(Kind::Envoy)),
        ("envoy.yaml", "{{{ broken", Some(Kind::Envoy)),
        ("front.yml", "admin: {}\nstatic_resources: {}\n", Some(Kind::Envoy)),
        ("bootstrap.json", "{\"static_resources\": {}}", Some(Kind::Envoy)),
        (
            "cds.yaml",
            "resources:\n- \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: a\n",
            Some(Kind::Envoy),
        ),
        ("envoy.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  envoy.yaml: |\n    static_resources: {}\n", None),
        ("docker-compose.yml", "services:\n  envoy: {image: envoyproxy/envoy}\n", Some(Kind::Compose)),
        ("stack.yaml", "services:\n  envoy:\n    image: envoyproxy/envoy\n", None),
        ("deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template: {}\n", None),
        ("ci.yml", "name: CI\non: push\njobs:\n  t: {runs-on: ubuntu-latest}\n", None),
        ("package.json", "{\"name\": \"x\", \"version\": \"1.0.0\"}", Some(Kind::Node)),
        ("values.yaml", "resources:\n  limits: {cpu: 1}\n", None),
    ];
    for (name, text, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let got = classify(&p, || std::fs::read_to_string(&p).ok());
        assert_eq!(got, *want, "{name}: {text:?}");
    }
}

#[test]
fn http2_upstream_is_marked_on_the_pool_in_every_form_envoy_accepts() {
    let cluster = |name: &str, options: &str| {
        format!(
            "  - name: {name}\n    type: STATIC\n{options}    load_assignment:\n      cluster_name: {name}\n      endpoints:\n      - lb_endpoints:\n        - endpoint:\n            address:\n              socket_address: {{address: 127.0.0.1, port_value: 9000}}\n"
        )
    };
    let typed = |key: &str| {
        format!("    typed_extension_protocol_options:\n      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:\n        \"@type\": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions\n        {key}\n")
    };
    let yaml = format!(
        "static_resources:\n  clusters:\n{}{}{}{}",
        cluster("h2_typed", &typed("explicit_http_config: {http2_protocol_options: {}}")),
        cluster("h2_legacy", "    http2_protocol_options: {}\n"),
        cluster("h1_typed", &typed("explicit_http_config: {http_protocol_options: {}}")),
        cluster("auto_alpn", &typed("auto_config: {http2_protocol_options: {}}")),
    );
    let (_d, out) = lint_files(&[("envoy.yaml", &yaml)]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let http2: Vec<(String, bool)> =
        out.stack.groups.iter().map(|g| (g.name.clone(), g.pool.as_ref().unwrap().http2)).collect();
    assert_eq!(
        http2,
        [
            ("h2_typed".to_string(), true),
            ("h2_legacy".to_string(), true),
            ("h1_typed".to_string(), false),
            // Picked by ALPN at run time: not known to be HTTP/2.
            ("auto_alpn".to_string(), false),
        ]
    );
}
