//! Every Envoy config in the corpus (`fixtures/corpus/envoy/`, copied from envoyproxy/examples
//! and envoyproxy/envoy) is classified as Envoy and loads with no error, and every span the
//! Envoy model puts in the graph slices to the text it claims to stand for.

use stacklint::discover::{classify, Kind};
use stacklint::engine::{lint, Options, Outcome};
use stacklint::graph::{Endpoint, HopTarget};
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/envoy")
}

fn configs() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(corpus())
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.path().to_path_buf())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json"))
        .collect();
    out.sort();
    out
}

/// Files in the corpus that are not Envoy configs, with the reason. (None so far.)
const NOT_ENVOY: &[(&str, &str)] = &[];

/// Checks that spans in the graph slice to what they describe.
fn check_spans(out: &Outcome) -> Vec<String> {
    let mut bad = Vec::new();
    let map = &out.map;
    let same_file = |s: stacklint::source::Span| map.file_of(s.start).is_some_and(|f| f.contains(s) && !s.is_empty());
    for g in &out.stack.groups {
        let t = map.slice(g.span);
        if !same_file(g.span) || !t.starts_with("name") || !t.contains(&g.name) {
            bad.push(format!("group {} span {:?}", g.name, t));
        }
        for tg in &g.targets {
            let t = map.slice(tg.span);
            let ok = match &tg.endpoint {
                Endpoint::Tcp { port, .. } => t.contains(&port.to_string()),
                Endpoint::Unix(p) => t.contains(p.as_str()),
                Endpoint::Fd(_) => true,
            };
            if !ok || !same_file(tg.span) {
                bad.push(format!("target {} span {:?}", tg.endpoint, t));
            }
        }
    }
    for l in &out.stack.listeners {
        let t = map.slice(l.span);
        let ok = match &l.endpoint {
            Endpoint::Tcp { port, .. } => t.contains(&port.to_string()),
            Endpoint::Unix(p) => t.contains(p.as_str()),
            Endpoint::Fd(_) => true,
        };
        if !ok || !same_file(l.span) {
            bad.push(format!("listener {} span {:?}", l.endpoint, t));
        }
    }
    for r in &out.stack.routes {
        let t = map.slice(r.hop.target_span);
        if matches!(r.hop.target, HopTarget::Group(_) | HopTarget::Missing { .. })
            && t.trim_matches(['"', '\'']) != r.hop.target_text
        {
            bad.push(format!("route {} target {:?} vs {:?}", r.name, t, r.hop.target_text));
        }
        let h = map.slice(r.hop.span);
        if !(h.starts_with("cluster")
            || h.starts_with("name")
            || h.starts_with("\"cluster")
            || h.starts_with("inline_cluster"))
        {
            bad.push(format!("route {} hop span {:?}", r.name, h));
        }
        if let Some(s) = r.hop.read_timeout.origin.span() {
            let t = map.slice(s);
            if !t.contains("timeout") {
                bad.push(format!("route {} read timeout span {:?}", r.name, t));
            }
        }
    }
    for p in &out.stack.problems {
        if !same_file(p.span) {
            bad.push(format!("problem span {:?}", map.slice(p.span)));
        }
    }
    bad
}

#[test]
fn every_corpus_config_loads_with_exact_spans() {
    let files = configs();
    assert!(files.len() >= 70, "corpus has {} files", files.len());
    let (mut listeners, mut routes, mut groups) = (0, 0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(corpus()).unwrap().display().to_string();
        if NOT_ENVOY.iter().any(|(p, _)| *p == rel) {
            continue;
        }
        let kind = classify(f, || std::fs::read_to_string(f).ok());
        if kind != Some(Kind::Envoy) {
            failures.push(format!("{rel}: classified as {kind:?}"));
            continue;
        }
        let out = lint(std::slice::from_ref(f), &Options::default()).unwrap();
        if !out.errors.is_empty() {
            failures.push(format!("{rel}: {:?}", out.errors));
        }
        for b in check_spans(&out) {
            failures.push(format!("{rel}: {b}"));
        }
        listeners += out.stack.listeners.len();
        routes += out.stack.routes.len();
        groups += out.stack.groups.len();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // What the corpus holds, so a regression that reads nothing shows up.
    eprintln!("{} files: {listeners} listeners, {routes} routes, {groups} clusters", files.len());
    assert!(listeners >= 80 && routes >= 80 && groups >= 80);
}

#[test]
fn whole_corpus_at_once_links_lds_to_cds() {
    let out = lint(&[corpus()], &Options::default()).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    // dynamic-config-fs: the bootstrap names lds.yaml and cds.yaml; the LDS route reaches the
    // CDS cluster.
    let r = out.stack.routes.iter().find(|r| r.hop.target_text == "example_proxy_cluster").expect("LDS route");
    let HopTarget::Group(g) = r.hop.target else { panic!("{:?}", r.hop.target) };
    let g = &out.stack.groups[g];
    assert!(out.map.location(g.span).unwrap().file.ends_with("cds.yaml"));
    // google-vrp/envoy-edge.yaml writes `clusters:` as a single map.
    assert!(out
        .stack
        .groups
        .iter()
        .any(|g| g.name == "service_foo" && out.map.location(g.span).unwrap().file.ends_with("envoy-edge.yaml")));
    // No route in the corpus names an undefined cluster.
    let missing: Vec<_> = out
        .stack
        .routes
        .iter()
        .filter(|r| matches!(r.hop.target, HopTarget::Missing { .. }))
        .map(|r| (&r.name, out.map.location(r.hop.span)))
        .collect();
    assert!(missing.is_empty(), "{missing:?}");
}
